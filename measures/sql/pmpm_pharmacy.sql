-- Pharmacy PMPM: every member month in the quarter is one unit; its numerator is what was
-- paid for the member's pharmacy claims dispensed that month.
WITH paid_by_month AS (
  SELECT person_id, CAST(date_trunc('month', dispensing_date) AS DATE) AS month,
         sum(paid_amount) AS paid
  FROM pharmacy_claim
  WHERE dispensing_date BETWEEN (SELECT min(window_start) FROM periods)
                            AND (SELECT max(period_end) FROM periods)
  GROUP BY ALL
),
{% include "_pmpm.sql" %}
