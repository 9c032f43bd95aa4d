-- Pharmacy PMPM: every member month in the quarter is one unit; its numerator is what was
-- paid for the member's pharmacy claims dispensed that month.
WITH enrolled AS (
  SELECT p.period_id, mm.person_id, mm.month
  FROM member_months mm
  JOIN periods p ON mm.month BETWEEN p.window_start AND p.period_end
),
paid_by_month AS (
  SELECT person_id, CAST(date_trunc('month', dispensing_date) AS DATE) AS month,
         sum(paid_amount) AS paid
  FROM pharmacy_claim
  GROUP BY ALL
)
SELECT e.period_id, e.person_id, e.month AS attr_month,
       coalesce(m.paid, 0) AS numerator,
       1 AS denominator
FROM enrolled e
LEFT JOIN paid_by_month m USING (person_id, month)
