-- Eye exam for members with diabetes (adapted from NCQA HEDIS EED).
-- Units: the same members as hba1c_testing: aged 18-75 at the end of the 12-month window,
-- enrolled at least 11 of its 12 months and in its last month, with diabetes (two
-- professional claims or one institutional claim with a diabetes diagnosis in the window).
-- Numerator: a retinal or dilated eye exam, retinal imaging, or an eye-exam CPT II result
-- code in the window (measures/value_sets/diabetic_eye_exam.csv), or an exam without
-- retinopathy (CPT II 2023F, 2025F, 2033F) in the 12 months before the window.
WITH diabetes_claim AS (
  SELECT DISTINCT person_id, claim_id, claim_type, claim_start_date
  FROM claim_diagnosis
  WHERE in_value_set(code, 'diabetes_dx')
),
diabetic AS (
  SELECT p.period_id, d.person_id
  FROM diabetes_claim d
  JOIN periods p ON d.claim_start_date BETWEEN p.window_start AND p.period_end
  GROUP BY ALL
  HAVING count(DISTINCT d.claim_id) FILTER (WHERE d.claim_type = 'professional') >= 2
      OR count(DISTINCT d.claim_id) FILTER (WHERE d.claim_type = 'institutional') >= 1
),
eligible AS (
  SELECT d.period_id, d.person_id, p.window_start, p.period_end
  FROM diabetic d
  JOIN periods p USING (period_id)
  JOIN person m ON m.person_id = d.person_id
  JOIN period_enrollment e
    ON e.period_id = d.period_id AND e.person_id = d.person_id AND e."window" = 'year'
  WHERE year(p.period_end) - m.birth_year BETWEEN 18 AND 75
    AND e.months_enrolled >= 11 AND e.enrolled_at_end
),
exam AS (
  SELECT person_id, claim_start_date AS exam_date,
         in_value_set(hcpcs_code, 'diabetic_eye_exam_negative') AS negative
  FROM medical_claim
  WHERE in_value_set(hcpcs_code, 'diabetic_eye_exam')
)
SELECT e.period_id, e.person_id, e.period_end AS attr_month,
       CASE WHEN EXISTS (
         SELECT 1 FROM exam x
         WHERE x.person_id = e.person_id
           AND (x.exam_date BETWEEN e.window_start AND e.period_end
                OR (x.negative AND x.exam_date BETWEEN e.window_start - INTERVAL 12 MONTH
                                                   AND e.window_start - INTERVAL 1 DAY))
       ) THEN 1 ELSE 0 END AS numerator,
       1 AS denominator
FROM eligible e
