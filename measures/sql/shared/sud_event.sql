-- Substance use disorder (SUD) events, for the six IET measures: one row per claim with an SUD
-- diagnosis in any position (sud_dx), with its first service date, its last day and what kind
-- of care it was, except that hospital claims (type of bill 11x or 12x) are one row per stay
-- (hospital_stay: the interim bills of one stay and a direct transfer joined, from the first
-- admission to the last discharge; still_in_hospital when the last bill says the member is
-- still a patient, status 30); and one row per member and day with a medication for opioid or
-- alcohol use disorder (a pharmacy fill of a drug class in group sud_pharmacotherapy, or a
-- medication code on a medical claim).
WITH sud_claim AS (
  SELECT DISTINCT claim_id FROM claim_diagnosis WHERE in_value_set(code, 'sud_dx')
),
sud_claim_line AS (
  SELECT c.claim_id, i.stay_id, c.person_id, c.claim_start_date,
         coalesce(c.discharge_date, c.claim_end_date) AS end_date,
         coalesce(in_value_set(c.revenue_center_code, 'ed_visit')
                  OR in_value_set(c.hcpcs_code, 'ed_visit')
                  OR c.place_of_service_code = '23', false) AS ed,
         coalesce(in_value_set(c.hcpcs_code, 'outpatient_visit')
                  OR in_value_set(c.hcpcs_code, 'mental_health_visit')
                  OR in_value_set(c.hcpcs_code, 'sud_service')
                  OR in_value_set(c.revenue_center_code, 'outpatient_visit')
                  OR in_value_set(c.revenue_center_code, 'sud_service'), false) AS treatment
  FROM medical_claim c
  LEFT JOIN inpatient_stay i ON i.claim_id = c.claim_id
  WHERE c.claim_id IN (SELECT claim_id FROM sud_claim)
),
sud_care AS (  -- one row per claim, or per stay for hospital claims
  SELECT coalesce(stay_id, claim_id) AS care_id, stay_id IS NOT NULL AS inpatient,
         any_value(person_id) AS person_id, min(claim_start_date) AS service_date,
         max(end_date) AS end_date, bool_or(ed) AS ed, bool_or(treatment) AS treatment
  FROM sud_claim_line
  GROUP BY coalesce(stay_id, claim_id), stay_id IS NOT NULL
),
medication AS (
  SELECT person_id, dispensing_date AS service_date
  FROM pharmacy_claim
  WHERE ndc_code IN (
    SELECT code FROM value_set  -- NDCs whose drug class is in group sud_pharmacotherapy
    WHERE value_set = 'ndc_drug_class' AND in_value_set(drug_class, 'sud_pharmacotherapy'))
  UNION
  SELECT person_id, claim_start_date
  FROM medical_claim
  WHERE in_value_set(hcpcs_code, 'sud_medication_service')
)
SELECT c.person_id, coalesce(h.admission_date, c.service_date) AS service_date,
       coalesce(h.discharge_date, c.end_date) AS end_date, c.inpatient, c.ed, c.treatment,
       false AS medication,
       coalesce(h.discharge_disposition_code = '30', false) AS still_in_hospital
FROM sud_care c
LEFT JOIN hospital_stay h ON h.stay_id = c.care_id AND c.inpatient
UNION ALL
SELECT person_id, service_date, service_date, false, false, false, true, false
FROM medication
