-- HbA1c testing for members with diabetes (adapted from NCQA HEDIS HBD/GSD testing).
-- Units: members aged 18-75 at the end of the 12-month window, enrolled at least 11 of its
-- 12 months and in its last month, with diabetes: two outpatient claims or one inpatient claim
-- with a diabetes diagnosis in the window.
-- Numerator: an HbA1c test in the window, from a claim (CPT or CPT II) or a clinical result.
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
  SELECT d.period_id, d.person_id, p.period_end
  FROM diabetic d
  JOIN periods p USING (period_id)
  JOIN person m ON m.person_id = d.person_id
  JOIN period_enrollment e
    ON e.period_id = d.period_id AND e.person_id = d.person_id AND e."window" = 'year'
  WHERE year(p.period_end) - m.birth_year BETWEEN 18 AND 75
    AND e.months_enrolled >= 11 AND e.enrolled_at_end
),
test AS (
  SELECT person_id, claim_start_date AS test_date
  FROM medical_claim WHERE in_value_set(hcpcs_code, 'hba1c_test')
  UNION ALL
  SELECT person_id, result_date FROM clinical_result WHERE in_value_set(loinc_code, 'hba1c_test')
),
tested AS (
  SELECT DISTINCT e.period_id, e.person_id
  FROM eligible e
  JOIN periods p USING (period_id)
  JOIN test t ON t.person_id = e.person_id AND t.test_date BETWEEN p.window_start AND p.period_end
)
SELECT e.period_id, e.person_id, e.period_end AS attr_month,
       CASE WHEN t.person_id IS NULL THEN 0 ELSE 1 END AS numerator,
       1 AS denominator
FROM eligible e
LEFT JOIN tested t USING (period_id, person_id)
