-- Adult body mass index (BMI) assessment (adapted from NCQA HEDIS ABA, retired by NCQA after
-- MY2019 and kept here because the health-home slate uses it).
-- Units: members aged 18-74 at the end of the 12-month window, enrolled at least 11 of its 12
-- months and in its last month, with an outpatient visit in the window.
-- Excluded: members with a pregnancy diagnosis in the window or the 12 months before it.
-- Numerator: a BMI recorded in the window or the 12 months before it: an ICD-10-CM Z68 code
-- (BMI value or, for members under 20, BMI percentile) on any claim, or a BMI clinical result.
WITH visit AS (
  SELECT person_id, claim_start_date AS visit_date
  FROM medical_claim
  WHERE in_value_set(hcpcs_code, 'outpatient_visit')
     OR in_value_set(revenue_center_code, 'outpatient_visit')
),
eligible AS (
  SELECT p.period_id, e.person_id, p.window_start, p.period_end
  FROM periods p
  JOIN period_enrollment e ON e.period_id = p.period_id AND e."window" = 'year'
  JOIN person m ON m.person_id = e.person_id
  WHERE year(p.period_end) - m.birth_year BETWEEN 18 AND 74
    AND e.months_enrolled >= 11 AND e.enrolled_at_end
    AND EXISTS (
      SELECT 1 FROM visit v
      WHERE v.person_id = e.person_id AND v.visit_date BETWEEN p.window_start AND p.period_end)
    AND NOT EXISTS (
      SELECT 1 FROM claim_diagnosis x
      WHERE x.person_id = e.person_id AND in_value_set(x.code, 'pregnancy_dx')
        AND x.claim_start_date BETWEEN p.window_start - INTERVAL 12 MONTH AND p.period_end)
),
bmi AS (
  SELECT person_id, claim_start_date AS bmi_date
  FROM claim_diagnosis WHERE in_value_set(code, 'bmi_assessment')
  UNION
  SELECT person_id, result_date
  FROM clinical_result WHERE in_value_set(loinc_code, 'bmi_assessment')
)
SELECT e.period_id, e.person_id, e.period_end AS attr_month,
       CASE WHEN EXISTS (
         SELECT 1 FROM bmi b
         WHERE b.person_id = e.person_id
           AND b.bmi_date BETWEEN e.window_start - INTERVAL 12 MONTH AND e.period_end
       ) THEN 1 ELSE 0 END AS numerator,
       1 AS denominator
FROM eligible e
