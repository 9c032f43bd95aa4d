-- Medical claims with a diagnosis (any position) of a condition the measures find on claims:
-- one row per claim and value set, with the member, the claim's first service date and
-- whether it is an acute inpatient stay (type of bill 11x). The value sets: the five profile
-- conditions (smi_dx, sud_dx, diabetes_dx, asthma_dx, copd_dx, hypertension_dx) and the
-- diagnoses of HEDIS's diabetes exclusion (diabetes_exclusion_dx). Read by _diagnosed.sql (the
-- prevalences, high_risk_share and, through _diabetic.sql, the diabetes measures and SSD), so
-- the diagnoses are searched once. The list is _condition_value_sets.sql; _diagnosed.sql refuses
-- a value set outside it.
{% from "_condition_value_sets.sql" import condition_value_sets %}
SELECT DISTINCT d.person_id, v.value_set, d.claim_id, d.claim_start_date,
       s.claim_id IS NOT NULL AS acute_inpatient
FROM claim_diagnosis d
JOIN value_set_codes v
  ON v.code = d.code
 AND v.value_set IN ('{{ condition_value_sets | join("', '") }}')
LEFT JOIN (SELECT claim_id FROM inpatient_stay WHERE left(bill_type_code, 2) = '11') s
  ON s.claim_id = d.claim_id
