-- HbA1c testing for members with diabetes (adapted from NCQA HEDIS HBD/GSD testing).
-- Units: members aged 18-75 at the end of the 12-month window, continuously enrolled in it (HEDIS
-- rule: period_enrollment), with diabetes in the window or the 12 months before it: a diabetes
-- diagnosis on one acute inpatient stay or on claims of two different dates, or a diabetes medicine
-- dispensed (_diabetes_denominator.sql).
-- Numerator: an HbA1c test in the window, from a claim (CPT or CPT II) or a clinical result.
WITH
{% with max_age=75, exclude_esrd=false %}
{% include "_diabetes_denominator.sql" %}
{% endwith %}
,
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
