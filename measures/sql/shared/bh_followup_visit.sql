-- Claim lines that can be a follow-up visit after a behavioural-health hospital stay or ED
-- visit, for FUH, FUM and FUA (one definition for the three): one row per claim line, of any
-- claim type, with its member, first service date, claim, first five diagnoses and what kind
-- of care it was:
--   mh_service   a mental-health service (value set mental_health_visit): a psychiatry or
--                mental-health procedure code (CPT/HCPCS), a behavioural-health revenue code
--                (0900-0919: intensive outpatient 0905-0907, partial hospitalisation
--                0912-0913, ...) whoever bills it, or a line at place of service 52
--                (psychiatric facility, partial hospitalisation) or 53 (community mental
--                health center);
--   outpatient   an outpatient, telehealth or preventive visit with any clinician
--                (outpatient_visit);
--   sud_service  a substance use disorder treatment service (sud_service).
-- Not follow-up visits: care given in the emergency department or in hospital, i.e. lines at
-- place of service 23 (emergency room), 21 (inpatient hospital) or 51 (inpatient psychiatric
-- facility), every line of a claim of an ED visit (a claim with an ED revenue code, an ED
-- evaluation and management code or place of service 23 on any line, as in
-- shared/ed_visit_diagnosis.sql), and bills of an inpatient or residential stay (type of bill
-- 11x, 12x, 18x, 21x, 86x).
WITH ed_claim AS (
  SELECT DISTINCT claim_id
  FROM medical_claim
  WHERE in_value_set(revenue_center_code, 'ed_visit')
     OR in_value_set(hcpcs_code, 'ed_visit')
     OR place_of_service_code = '23'
),
line AS (
  SELECT person_id, claim_id, claim_start_date AS visit_date,
         diagnosis_code_1, diagnosis_code_2, diagnosis_code_3, diagnosis_code_4,
         diagnosis_code_5,
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
    AND claim_id NOT IN (SELECT claim_id FROM ed_claim)
)
SELECT * FROM line WHERE mh_service OR outpatient OR sud_service
