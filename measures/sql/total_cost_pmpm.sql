-- Total cost of care per member per month: every member month in the quarter is one unit;
-- its numerator is what was paid for that member's medical and pharmacy claims that month.
WITH enrolled AS (
  SELECT p.period_id, mm.person_id, mm.month
  FROM member_months mm
  JOIN periods p ON mm.month BETWEEN p.window_start AND p.period_end
),
paid AS (
  SELECT person_id, date_trunc('month', claim_start_date) AS month, paid_amount FROM medical_claim
  UNION ALL
  SELECT person_id, date_trunc('month', dispensing_date), paid_amount FROM pharmacy_claim
),
paid_by_month AS (
  SELECT person_id, CAST(month AS DATE) AS month, sum(paid_amount) AS paid
  FROM paid
  GROUP BY ALL
)
SELECT e.period_id, e.person_id, e.month AS attr_month,
       coalesce(m.paid, 0) AS numerator,
       1 AS denominator
FROM enrolled e
LEFT JOIN paid_by_month m USING (person_id, month)
