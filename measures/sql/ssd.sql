-- Diabetes screening for people with schizophrenia or bipolar disorder who use antipsychotic
-- medications (adapted from NCQA HEDIS SSD).
-- Units: members aged 18-64 at the end of the 12-month window, continuously enrolled in it (HEDIS
-- rule: period_enrollment), with schizophrenia, schizoaffective or bipolar disorder (one inpatient
-- claim, or claims on two different days, with the diagnosis in the window), and at least one
-- antipsychotic dispensing event in the window: a pharmacy fill or a long-acting injection billed
-- on a medical claim (shared table antipsychotic_event).
-- Excluded: members with diabetes in the window or the 12 months before it, found as the
-- diabetes measures find it (_diabetic.sql): a diabetes diagnosis on one acute inpatient stay
-- or on claims of two different dates, or a diabetes medicine dispensed.
-- Numerator: a glucose or HbA1c test in the window (claim code or clinical result).
WITH smi_claim AS (  -- claims with the diagnosis in any position
  SELECT DISTINCT c.person_id, c.claim_id, c.claim_start_date,
         c.claim_type = 'institutional' AND left(c.bill_type_code, 2) IN ('11', '12') AS inpatient
  FROM medical_claim c
  WHERE c.claim_id IN (
    SELECT claim_id FROM claim_diagnosis
    WHERE in_value_set(code, 'schizophrenia_dx') OR in_value_set(code, 'bipolar_dx'))
),
diagnosed AS (
  SELECT p.period_id, s.person_id
  FROM smi_claim s
  JOIN periods p ON s.claim_start_date BETWEEN p.window_start AND p.period_end
  GROUP BY ALL
  HAVING bool_or(s.inpatient) OR count(DISTINCT s.claim_start_date) >= 2
),
{% with diabetes_lookback=12, diabetes_exclusion=false %}
{% include "_diabetic.sql" %}
{% endwith %}
,
eligible AS (
  SELECT d.period_id, d.person_id, p.window_start, p.period_end
  FROM diagnosed d
  JOIN periods p USING (period_id)
  JOIN person m ON m.person_id = d.person_id
  JOIN period_enrollment e
    ON e.period_id = d.period_id AND e.person_id = d.person_id AND e."window" = 'year'
  WHERE year(p.period_end) - m.birth_year BETWEEN 18 AND 64
    AND e.continuously_enrolled
    AND EXISTS (
      SELECT 1 FROM {{ shared("antipsychotic_event") }} a
      WHERE a.person_id = d.person_id
        AND a.event_date BETWEEN p.window_start AND p.period_end)
    AND NOT EXISTS (
      SELECT 1 FROM diabetic x WHERE x.period_id = d.period_id AND x.person_id = d.person_id)
),
test AS (
  SELECT person_id, claim_start_date AS test_date
  FROM medical_claim
  WHERE in_value_set(hcpcs_code, 'glucose_test') OR in_value_set(hcpcs_code, 'hba1c_test')
  UNION
  SELECT person_id, result_date
  FROM clinical_result
  WHERE in_value_set(loinc_code, 'glucose_test') OR in_value_set(loinc_code, 'hba1c_test')
)
SELECT e.period_id, e.person_id, e.period_end AS attr_month,
       CASE WHEN EXISTS (
         SELECT 1 FROM test t
         WHERE t.person_id = e.person_id AND t.test_date BETWEEN e.window_start AND e.period_end
       ) THEN 1 ELSE 0 END AS numerator,
       1 AS denominator
FROM eligible e
