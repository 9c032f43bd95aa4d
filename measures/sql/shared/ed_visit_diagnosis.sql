-- Every diagnosis of every emergency department (ED) visit, for FUA and FUM: one row per
-- member, visit day (the first service date of a claim line with an ED revenue or procedure
-- code, or place of service 23), diagnosis code and whether it was the principal diagnosis.
WITH ed_line AS (
  SELECT claim_id, person_id, claim_start_date AS visit_date
  FROM medical_claim
  WHERE in_value_set(revenue_center_code, 'ed_visit')
     OR in_value_set(hcpcs_code, 'ed_visit')
     OR place_of_service_code = '23'
)
SELECT DISTINCT l.person_id, l.visit_date, d.code, d.position = 'diagnosis_code_1' AS principal
FROM ed_line l
JOIN claim_diagnosis d ON d.claim_id = l.claim_id
