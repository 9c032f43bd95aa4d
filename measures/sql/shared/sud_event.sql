-- Substance use disorder (SUD) events, for the six IET measures: one row per claim with an SUD
-- diagnosis in any position (sud_dx), with its first service date, its last day (the discharge,
-- for a stay) and what kind of care it was; and one row per member and day with a medication
-- for opioid or alcohol use disorder (a pharmacy fill of a drug class in group
-- sud_pharmacotherapy, or a medication code on a medical claim).
WITH sud_claim AS (
  SELECT DISTINCT claim_id FROM claim_diagnosis WHERE in_value_set(code, 'sud_dx')
),
sud_claim_line AS (
  SELECT c.claim_id, c.person_id, c.claim_start_date,
         coalesce(c.discharge_date, c.claim_end_date) AS end_date,
         coalesce(c.claim_type = 'institutional' AND left(c.bill_type_code, 2) IN ('11', '12'),
                  false) AS inpatient,
         coalesce(in_value_set(c.revenue_center_code, 'ed_visit')
                  OR in_value_set(c.hcpcs_code, 'ed_visit')
                  OR c.place_of_service_code = '23', false) AS ed,
         coalesce(in_value_set(c.hcpcs_code, 'outpatient_visit')
                  OR in_value_set(c.hcpcs_code, 'mental_health_visit')
                  OR in_value_set(c.hcpcs_code, 'sud_service')
                  OR in_value_set(c.revenue_center_code, 'outpatient_visit')
                  OR in_value_set(c.revenue_center_code, 'sud_service'), false) AS treatment
  FROM medical_claim c
  WHERE c.claim_id IN (SELECT claim_id FROM sud_claim)
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
SELECT any_value(person_id) AS person_id, min(claim_start_date) AS service_date,
       max(end_date) AS end_date, bool_or(inpatient) AS inpatient, bool_or(ed) AS ed,
       bool_or(treatment) AS treatment, false AS medication
FROM sud_claim_line
GROUP BY claim_id
UNION ALL
SELECT person_id, service_date, service_date, false, false, false, true
FROM medication
