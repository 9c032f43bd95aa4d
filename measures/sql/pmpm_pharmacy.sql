-- Pharmacy PMPM: every member month in the quarter is one unit; its numerator is what was
-- paid for the member's pharmacy claims dispensed that month.
WITH paid_by_month AS (
  SELECT person_id, CAST(date_trunc('month', dispensing_date) AS DATE) AS month,
         sum(paid_amount) AS paid
  FROM pharmacy_claim
  WHERE {{ in_computed_months("dispensing_date") }}
  GROUP BY ALL
),
{% include "_pmpm.sql" %}
