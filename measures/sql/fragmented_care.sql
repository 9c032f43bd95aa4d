-- Fragmented care: share of members whose fragmentation (1 - COC, Bice-Boxerman continuity
-- of care index over office visits, defined as in continuity_of_care) is above the program's
-- 75th percentile of fragmentation in the same period (Liu's fragmented-care measure, seed
-- 004). Units: members with 3 or more visits in the 12-month window who were enrolled in it;
-- numerator: 1 - COC strictly above the 75th percentile (linear interpolation) of 1 - COC
-- over all units of the program. Members tied at the percentile are not above it.
-- KEEP IN SYNC: the CTEs visit .. coc are the same in continuity_of_care.sql.
WITH visit AS (
  SELECT DISTINCT person_id, claim_start_date AS visit_date,
         coalesce(rendering_npi, billing_npi, billing_tin) AS provider
  FROM medical_claim
  WHERE claim_type = 'professional'
    AND in_value_set(hcpcs_code, 'coc_office_visit')
    AND coalesce(rendering_npi, billing_npi, billing_tin) IS NOT NULL
),
per_provider AS (
  SELECT p.period_id, v.person_id, v.provider, count(*) AS n
  FROM visit v
  JOIN periods p ON v.visit_date BETWEEN p.window_start AND p.period_end
  GROUP BY ALL
),
last_enrolled AS (
  SELECT p.period_id, mm.person_id, max(mm.month) AS month
  FROM member_months mm
  JOIN periods p ON mm.month BETWEEN p.window_start AND p.period_end
  GROUP BY ALL
),
coc AS (
  SELECT v.period_id, v.person_id, l.month AS attr_month,
         (sum(v.n * v.n) - sum(v.n)) / (sum(v.n) * (sum(v.n) - 1)) AS coc
  FROM per_provider v
  JOIN last_enrolled l USING (period_id, person_id)
  GROUP BY v.period_id, v.person_id, l.month
  HAVING sum(v.n) >= 3
),
threshold AS (
  SELECT period_id, quantile_cont(1 - coc, 0.75) AS p75 FROM coc GROUP BY period_id
)
SELECT c.period_id, c.person_id, c.attr_month,
       CASE WHEN 1 - c.coc > t.p75 THEN 1 ELSE 0 END AS numerator,
       1 AS denominator
FROM coc c
JOIN threshold t USING (period_id)
