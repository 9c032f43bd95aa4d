-- Adult body mass index (BMI) assessment (adapted from NCQA HEDIS ABA, retired by NCQA after
-- MY2019 and kept here because the health-home slate uses it).
-- Units: members aged 18-74 at the end of the 12-month window, continuously enrolled in it (HEDIS
-- rule: period_enrollment), with an outpatient visit in the window or the 12 months before it
-- (HEDIS: the measurement year or the year before).
-- Excluded: members with a pregnancy diagnosis in the window or the 12 months before it.
-- Numerator: a BMI recorded in the window or the 12 months before it, of the kind the member's
-- age on that day calls for (age = the year of the day - birth year): 20 or older, a BMI value
-- (ICD-10-CM Z68.1-Z68.45 or LOINC 39156-5, value set bmi_value); under 20, a BMI percentile
-- (Z68.5x or a percentile LOINC, value set bmi_percentile).
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
    AND e.continuously_enrolled
    AND EXISTS (
      SELECT 1 FROM visit v
      WHERE v.person_id = e.person_id
        AND v.visit_date BETWEEN p.window_start - INTERVAL 12 MONTH AND p.period_end)
    AND NOT EXISTS (
      SELECT 1 FROM claim_diagnosis x
      WHERE x.person_id = e.person_id AND in_value_set(x.code, 'pregnancy_dx')
        AND x.claim_start_date BETWEEN p.window_start - INTERVAL 12 MONTH AND p.period_end)
),
bmi AS (  -- one row per BMI recorded: its day and whether it is a percentile (else a value)
  SELECT person_id, claim_start_date AS bmi_date, in_value_set(code, 'bmi_percentile') AS pct
  FROM claim_diagnosis
  WHERE in_value_set(code, 'bmi_value') OR in_value_set(code, 'bmi_percentile')
  UNION
  SELECT person_id, result_date, in_value_set(loinc_code, 'bmi_percentile')
  FROM clinical_result
  WHERE in_value_set(loinc_code, 'bmi_value') OR in_value_set(loinc_code, 'bmi_percentile')
)
SELECT e.period_id, e.person_id, e.period_end AS attr_month,
       CASE WHEN EXISTS (
         SELECT 1 FROM bmi b JOIN person m ON m.person_id = b.person_id
         WHERE b.person_id = e.person_id
           AND b.bmi_date BETWEEN e.window_start - INTERVAL 12 MONTH AND e.period_end
           AND b.pct = (year(b.bmi_date) - m.birth_year < 20)
       ) THEN 1 ELSE 0 END AS numerator,
       1 AS denominator
FROM eligible e
