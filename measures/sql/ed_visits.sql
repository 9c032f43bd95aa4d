-- ED visits per 1,000 member months. Units are member months (denominator 1 each);
-- the numerator of a member month is the number of ED visits that month.
-- An ED visit is a distinct member and service date with an ED revenue code, an ED
-- evaluation and management code, or place of service 23.
WITH ed_visit AS (
  SELECT DISTINCT person_id, claim_start_date AS visit_date
  FROM medical_claim
  WHERE in_value_set(revenue_center_code, 'ed_visit')
     OR in_value_set(hcpcs_code, 'ed_visit')
     OR place_of_service_code = '23'
),
visits_by_month AS (
  SELECT person_id, CAST(date_trunc('month', visit_date) AS DATE) AS month, count(*) AS visits
  FROM ed_visit
  GROUP BY ALL
)
SELECT p.period_id, mm.person_id, mm.month AS attr_month,
       coalesce(v.visits, 0) AS numerator,
       1 AS denominator
FROM member_months mm
JOIN periods p ON mm.month BETWEEN p.window_start AND p.period_end
LEFT JOIN visits_by_month v USING (person_id, month)
