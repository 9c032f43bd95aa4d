-- Follow-up visits after a behavioural-health hospital stay or ED visit, for FUH, FUM and FUA
-- (one definition for the three): one row per claim line that can be a follow-up visit for one
-- of them, with its member, first service date and which. A line is one of these kinds of care:
--   mh_service   a mental-health service (value set mental_health_visit): a psychiatry or
--                mental-health procedure code (CPT/HCPCS), a behavioural-health revenue code
--                (0900-0919: intensive outpatient 0905-0907, partial hospitalisation
--                0912-0913, ...) whoever bills it, or a line at place of service 52
--                (psychiatric facility, partial hospitalisation) or 53 (community mental
--                health center);
--   outpatient   an outpatient, telehealth or preventive visit with any clinician
--                (outpatient_visit);
--   sud_service  a substance use disorder treatment service (sud_service).
-- The flags, each true if the line is:
--   mh_service           a mental-health service, whatever its diagnosis (FUH);
--   mental_illness_visit an outpatient visit or mental-health service with a principal
--                        mental-illness diagnosis (FUH, FUM);
--   self_harm_visit      an outpatient visit or mental-health service with a principal
--                        intentional self-harm diagnosis and a mental-illness diagnosis in
--                        positions 2-5 (FUM);
--   sud_visit            any of the three kinds with a principal substance use disorder
--                        diagnosis (FUA).
-- Not follow-up visits: care given in the emergency department or in hospital, i.e. lines at
-- place of service 23 (emergency room), 21 (inpatient hospital) or 51 (inpatient psychiatric
-- facility), every line of a claim of an ED visit (a claim with an ED revenue code, an ED
-- evaluation and management code or place of service 23 on any line, as in
-- shared/ed_visit_diagnosis.sql), and bills of an inpatient or residential stay (type of bill
-- 11x, 12x, 18x, 21x, 86x).
-- One row per claim line with only the flags the measures read (at a million members 1.5
-- million lines instead of 5.7 million with their five diagnoses). The lines of no interest
-- to the three (no mental-health service, no principal diagnosis of theirs) are left out
-- before their other codes are looked up, and the ED claims after (at a million members
-- about 3.6 s of CPU instead of 5.4, benchmarks/README.md, Round 23).
WITH ed_line AS (  -- lines that make their claim an ED visit
  SELECT claim_id
  FROM medical_claim
  WHERE in_value_set(revenue_center_code, 'ed_visit')
     OR in_value_set(hcpcs_code, 'ed_visit')
     OR place_of_service_code = '23'
),
line AS (
  SELECT claim_id, person_id, claim_start_date AS visit_date, diagnosis_code_1,
         diagnosis_code_2, diagnosis_code_3, diagnosis_code_4, diagnosis_code_5,
         coalesce(in_value_set(hcpcs_code, 'mental_health_visit')
                  OR in_value_set(revenue_center_code, 'mental_health_visit')
                  OR in_value_set(place_of_service_code, 'mental_health_visit'), false)
           AS mh_service,
         coalesce(in_value_set(hcpcs_code, 'outpatient_visit')
                  OR in_value_set(revenue_center_code, 'outpatient_visit'), false) AS outpatient,
         coalesce(in_value_set(hcpcs_code, 'sud_service')
                  OR in_value_set(revenue_center_code, 'sud_service'), false) AS sud_service
  FROM medical_claim
  WHERE (claim_type <> 'institutional'
         OR coalesce(left(ltrim(bill_type_code, '0'), 2), '') NOT IN ('11', '12', '18', '21', '86'))
    AND coalesce(place_of_service_code, '') NOT IN ('21', '23', '51')
    AND (diagnosis_code_1 IN (SELECT code FROM value_set_codes
                              WHERE value_set IN ('mental_illness_dx', 'self_harm_dx', 'sud_dx'))
         OR in_value_set(hcpcs_code, 'mental_health_visit')
         OR in_value_set(revenue_center_code, 'mental_health_visit')
         OR in_value_set(place_of_service_code, 'mental_health_visit'))
),
visit AS (
  SELECT claim_id, person_id, visit_date, mh_service,
         (outpatient OR mh_service)
           AND coalesce(in_value_set(diagnosis_code_1, 'mental_illness_dx'), false)
           AS mental_illness_visit,
         (outpatient OR mh_service)
           AND coalesce(in_value_set(diagnosis_code_1, 'self_harm_dx')
                        AND (in_value_set(diagnosis_code_2, 'mental_illness_dx')
                             OR in_value_set(diagnosis_code_3, 'mental_illness_dx')
                             OR in_value_set(diagnosis_code_4, 'mental_illness_dx')
                             OR in_value_set(diagnosis_code_5, 'mental_illness_dx')), false)
           AS self_harm_visit,
         (outpatient OR mh_service OR sud_service)
           AND coalesce(in_value_set(diagnosis_code_1, 'sud_dx'), false) AS sud_visit
  FROM line
  WHERE mh_service OR outpatient OR sud_service
)
SELECT person_id, visit_date, mh_service, mental_illness_visit, self_harm_visit, sud_visit
FROM visit v
WHERE (mh_service OR mental_illness_visit OR self_harm_visit OR sud_visit)
  AND NOT EXISTS (SELECT 1 FROM ed_line e WHERE e.claim_id = v.claim_id)
