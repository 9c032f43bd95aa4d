-- Colorectal cancer screening (adapted from NCQA HEDIS COL-E, ages 45-75).
-- Units: members aged 46-75 at the end of the 12-month window (as HEDIS counts them: 46 by
-- December 31, so 45 or older all year), continuously enrolled in it (HEDIS rule:
-- period_enrollment).
-- Excluded: colorectal cancer (a diagnosis) or a total colectomy (a procedure code) on any
-- claim up to the end of the window.
-- Numerator, with look-backs counted from the start of the window: a fecal occult blood test
-- (FIT or gFOBT) in the window; a stool DNA test (FIT-DNA) in the window or the 2 years
-- before; a CT colonography or flexible sigmoidoscopy in the window or the 4 years before; a
-- colonoscopy in the window or the 9 years before.
WITH eligible AS (
  SELECT p.period_id, e.person_id, p.window_start, p.period_end
  FROM periods p
  JOIN period_enrollment e ON e.period_id = p.period_id AND e."window" = 'year'
  JOIN person m ON m.person_id = e.person_id
  WHERE year(p.period_end) - m.birth_year BETWEEN 46 AND 75
    AND e.continuously_enrolled
),
excluded AS (
  SELECT DISTINCT e.period_id, e.person_id
  FROM eligible e
  JOIN claim_diagnosis x ON x.person_id = e.person_id AND x.claim_start_date <= e.period_end
  WHERE in_value_set(x.code, 'colorectal_cancer_dx')
  UNION
  SELECT DISTINCT e.period_id, e.person_id
  FROM eligible e
  JOIN medical_claim c ON c.person_id = e.person_id AND c.claim_start_date <= e.period_end
  WHERE in_value_set(c.hcpcs_code, 'total_colectomy')
),
screen AS (  -- each screening test and how many years before the window it still counts
  SELECT person_id, claim_start_date AS test_date,
         CASE WHEN in_value_set(hcpcs_code, 'colorectal_colonoscopy') THEN 9
              WHEN in_value_set(hcpcs_code, 'colorectal_ct_colonography')
                OR in_value_set(hcpcs_code, 'colorectal_sigmoidoscopy') THEN 4
              WHEN in_value_set(hcpcs_code, 'colorectal_stool_dna') THEN 2
              WHEN in_value_set(hcpcs_code, 'colorectal_fobt') THEN 0
         END AS years_back
  FROM medical_claim
)
SELECT e.period_id, e.person_id, e.period_end AS attr_month,
       CASE WHEN EXISTS (
         SELECT 1 FROM screen s
         WHERE s.person_id = e.person_id AND s.years_back IS NOT NULL
           AND s.test_date BETWEEN e.window_start - to_years(CAST(s.years_back AS INTEGER))
                               AND e.period_end
       ) THEN 1 ELSE 0 END AS numerator,
       1 AS denominator
FROM eligible e
WHERE NOT EXISTS (
  SELECT 1 FROM excluded x WHERE x.period_id = e.period_id AND x.person_id = e.person_id)
