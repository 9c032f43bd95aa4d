-- Metabolic monitoring for members on antipsychotics (adapted from NCQA HEDIS APM, extended
-- from ages 1-17 to every age as in the cardio-metabolic screening measures of the MaineCare
-- health-home slate). Units: members aged 1+ at the end of the 12-month window, continuously
-- enrolled in it (HEDIS rule: period_enrollment), with antipsychotic dispensing events on at least
-- two different days in the window: pharmacy fills, and long-acting injections billed on medical
-- claims (shared table antipsychotic_event).
-- Numerator: both a glucose or HbA1c test AND a cholesterol (lipid) test in the window
-- (claim code or clinical result).
WITH eligible AS (
  SELECT p.period_id, a.person_id, p.window_start, p.period_end
  FROM {{ shared("antipsychotic_event") }} a
  JOIN periods p ON a.event_date BETWEEN p.window_start AND p.period_end
  JOIN person m ON m.person_id = a.person_id
  JOIN period_enrollment e
    ON e.period_id = p.period_id AND e.person_id = a.person_id AND e."window" = 'year'
  WHERE year(p.period_end) - m.birth_year >= 1
    AND e.continuously_enrolled
  GROUP BY ALL
  HAVING count(DISTINCT a.event_date) >= 2
),
test AS (
  SELECT person_id, claim_start_date AS test_date,
         in_value_set(hcpcs_code, 'glucose_test') OR in_value_set(hcpcs_code, 'hba1c_test')
           AS glucose,
         in_value_set(hcpcs_code, 'lipid_test') AS lipid
  FROM medical_claim
  UNION ALL
  SELECT person_id, result_date,
         in_value_set(loinc_code, 'glucose_test') OR in_value_set(loinc_code, 'hba1c_test'),
         in_value_set(loinc_code, 'lipid_test')
  FROM clinical_result
),
tested AS (
  SELECT e.period_id, e.person_id, bool_or(t.glucose) AS glucose, bool_or(t.lipid) AS lipid
  FROM eligible e
  JOIN test t ON t.person_id = e.person_id AND t.test_date BETWEEN e.window_start AND e.period_end
  WHERE t.glucose OR t.lipid
  GROUP BY ALL
)
SELECT e.period_id, e.person_id, e.period_end AS attr_month,
       CASE WHEN t.glucose AND t.lipid THEN 1 ELSE 0 END AS numerator,
       1 AS denominator
FROM eligible e
LEFT JOIN tested t USING (period_id, person_id)
