-- Medical claims with a diabetes diagnosis (value set diabetes_dx) in any position: one row per
-- claim, with its member, type, first service date and whether it is an acute inpatient stay
-- (type of bill 11x). Read by the four diabetes measures' denominator
-- (_diabetes_denominator.sql), so the diagnoses are searched once.
SELECT DISTINCT d.person_id, d.claim_id, d.claim_type, d.claim_start_date,
       s.claim_id IS NOT NULL AS acute_inpatient
FROM claim_diagnosis d
LEFT JOIN (SELECT claim_id FROM inpatient_stay WHERE left(bill_type_code, 2) = '11') s
  ON s.claim_id = d.claim_id
WHERE in_value_set(d.code, 'diabetes_dx')
