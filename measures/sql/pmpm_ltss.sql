-- PMPM for the 'ltss' service category: every member month in the quarter is one unit; its
-- numerator is what was paid that month for the member's medical claim lines in the category
-- (helper view medical_service_category, which documents the categorisation rules). Paid
-- amounts are line-level and assigned to the month of the claim's first service date.
WITH enrolled AS (
  SELECT p.period_id, mm.person_id, mm.month
  FROM member_months mm
  JOIN periods p ON mm.month BETWEEN p.window_start AND p.period_end
),
paid_by_month AS (
  SELECT person_id, CAST(date_trunc('month', claim_start_date) AS DATE) AS month,
         sum(paid_amount) AS paid
  FROM medical_service_category
  WHERE service_category = 'ltss'
  GROUP BY ALL
)
SELECT e.period_id, e.person_id, e.month AS attr_month,
       coalesce(m.paid, 0) AS numerator,
       1 AS denominator
FROM enrolled e
LEFT JOIN paid_by_month m USING (person_id, month)
