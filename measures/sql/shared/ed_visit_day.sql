-- Emergency department (ED) visits, one row per member and day: the days of medical claim
-- lines with an ED revenue code or ED evaluation and management code (value set ed_visit) or
-- place of service 23 (their first service date). non_emergent: a line of that day had a
-- principal diagnosis in value set non_emergent_ed_dx.
SELECT person_id, claim_start_date AS visit_date,
       bool_or(in_value_set(diagnosis_code_1, 'non_emergent_ed_dx')) AS non_emergent
FROM medical_claim
WHERE in_value_set(revenue_center_code, 'ed_visit')
   OR in_value_set(hcpcs_code, 'ed_visit')
   OR place_of_service_code = '23'
GROUP BY ALL
