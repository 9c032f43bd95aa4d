-- Spirometry testing in the assessment and diagnosis of COPD (adapted from NCQA HEDIS SPR).
-- Units: members aged 42+ at the end of the 12-month window with a new COPD diagnosis: the
-- first outpatient, ED or inpatient claim with a COPD diagnosis (J41-J44, any position) from
-- 6 months before the window to 6 months before its end (Jul 1 of the prior year - Jun 30 for
-- a calendar year; counted from the window's first day, as 6 months back from Jun 30 would
-- stop at Dec 30) is the index day (a stay is dated at discharge). No claim with a COPD
-- diagnosis may fall in the 730 days before it (before the admission, for a stay). The member
-- must be enrolled in every month from 730 days before to 180 days after the index day.
-- Numerator: spirometry from 730 days before to 180 days after the index day.
WITH copd_line AS (
  SELECT c.claim_id, c.person_id, c.claim_start_date,
         coalesce(c.discharge_date, c.claim_end_date) AS end_date,
         c.claim_type = 'institutional' AND left(c.bill_type_code, 2) IN ('11', '12') AS inpatient,
         in_value_set(c.revenue_center_code, 'ed_visit') OR in_value_set(c.hcpcs_code, 'ed_visit')
           OR c.place_of_service_code = '23'
           OR in_value_set(c.hcpcs_code, 'outpatient_visit')
           OR in_value_set(c.revenue_center_code, 'outpatient_visit') AS visit
  FROM medical_claim c
  WHERE c.claim_id IN (SELECT claim_id FROM claim_diagnosis WHERE in_value_set(code, 'copd_dx'))
),
copd_claim AS (  -- one row per claim with a COPD diagnosis; a stay is dated at discharge
  SELECT claim_id, any_value(person_id) AS person_id, min(claim_start_date) AS service_date,
         CASE WHEN bool_or(inpatient) THEN max(end_date) ELSE min(claim_start_date) END
           AS index_candidate,
         bool_or(inpatient) OR bool_or(visit) AS counts
  FROM copd_line
  GROUP BY claim_id
),
first_day AS (  -- the index day: that of the first qualifying claim in the intake period
  SELECT p.period_id, c.person_id, p.period_end, min(c.index_candidate) AS index_date
  FROM copd_claim c
  JOIN periods p
    ON c.index_candidate BETWEEN p.window_start - INTERVAL 6 MONTH
                             AND p.window_start + INTERVAL 6 MONTH - INTERVAL 1 DAY
  WHERE c.counts
  GROUP BY ALL
),
index_day AS (  -- its service day anchors: of the claims dated on the index day, the earliest
  -- (a stay's admission when a visit falls on its discharge day; never an arbitrary pick)
  SELECT f.period_id, f.person_id, f.period_end, f.index_date,
         min(c.service_date) AS anchor_date
  FROM first_day f
  JOIN copd_claim c
    ON c.person_id = f.person_id AND c.index_candidate = f.index_date AND c.counts
  GROUP BY ALL
),
eligible AS (
  SELECT i.*
  FROM index_day i
  JOIN person m ON m.person_id = i.person_id
  WHERE year(i.period_end) - m.birth_year >= 42
    AND NOT EXISTS (
      SELECT 1 FROM copd_claim c
      WHERE c.person_id = i.person_id
        AND c.service_date BETWEEN i.anchor_date - INTERVAL 730 DAY
                               AND i.anchor_date - INTERVAL 1 DAY)
    AND enrolled_through(i.person_id, i.index_date - INTERVAL 730 DAY,
                         i.index_date + INTERVAL 180 DAY)
)
SELECT e.period_id, e.person_id, e.index_date AS attr_month,
       CASE WHEN EXISTS (
         SELECT 1 FROM medical_claim s
         WHERE s.person_id = e.person_id AND in_value_set(s.hcpcs_code, 'spirometry')
           AND s.claim_start_date BETWEEN e.index_date - INTERVAL 730 DAY
                                      AND e.index_date + INTERVAL 180 DAY
       ) THEN 1 ELSE 0 END AS numerator,
       1 AS denominator
FROM eligible e
