-- Medical claims with a diabetes diagnosis (value set diabetes_dx) in any position: one row per
-- claim, with its member, type and first service date. Read by the four diabetes measures'
-- denominator (_diabetes_denominator.sql), so the diagnoses are searched once.
SELECT DISTINCT person_id, claim_id, claim_type, claim_start_date
FROM claim_diagnosis
WHERE in_value_set(code, 'diabetes_dx')
