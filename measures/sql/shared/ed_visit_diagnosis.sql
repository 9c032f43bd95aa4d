-- The behavioural-health diagnoses of emergency department (ED) visits, for FUA and FUM: one
-- row per member, visit day (the first service date of a claim line with an ED revenue or
-- procedure code, or place of service 23), diagnosis code of the visit's claim and whether it
-- was the principal diagnosis. Only the codes of the value sets FUA and FUM look for
-- (mental_illness_dx, self_harm_dx, sud_dx, overdose_dx; _ed_visit_followup.sql refuses
-- others): at a million members 0.6 million rows instead of 2.5 million with every
-- diagnosis, and each ED claim's day joined to its diagnoses once, not once per ED line.
WITH ed_line AS (
  SELECT DISTINCT claim_id, person_id, claim_start_date AS visit_date
  FROM medical_claim
  WHERE in_value_set(revenue_center_code, 'ed_visit')
     OR in_value_set(hcpcs_code, 'ed_visit')
     OR place_of_service_code = '23'
)
SELECT DISTINCT l.person_id, l.visit_date, d.code, d.position = 'diagnosis_code_1' AS principal
FROM ed_line l
JOIN claim_diagnosis d ON d.claim_id = l.claim_id
WHERE d.code IN (SELECT code FROM value_set_codes
                 WHERE value_set IN ('mental_illness_dx', 'self_harm_dx', 'sud_dx', 'overdose_dx'))
