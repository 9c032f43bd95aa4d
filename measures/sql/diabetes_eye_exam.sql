-- Eye exam for members with diabetes (adapted from NCQA HEDIS EED).
-- Units: the same members as hba1c_testing: aged 18-75 at the end of the 12-month window,
-- continuously enrolled in it (HEDIS rule: period_enrollment), with diabetes in the window or
-- the 12 months before it (claims or a diabetes medicine; _diabetes_denominator.sql).
-- Numerator: a retinal or dilated eye exam, retinal imaging, or an eye-exam CPT II result
-- code in the window (measures/value_sets/diabetic_eye_exam.csv), or an exam without
-- retinopathy (CPT II 2023F, 2025F, 2033F) in the 12 months before the window.
WITH
{% with max_age=75, exclude_esrd=false %}
{% include "_diabetes_denominator.sql" %}
{% endwith %}
,
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
