{#- FUA, the 7- and 30-day rates. Parameter: days. -#}
-- Follow-up within {{ days }} days after an emergency department visit for substance use
-- (adapted from NCQA HEDIS FUA). Units: ED visits (one per member per day) of members aged 13+
-- with a principal substance use disorder (SUD) diagnosis or any drug or alcohol overdose
-- diagnosis, on or between the start of the 12-month window and 30 days before its end
-- (Jan 1 - Dec 1). Excluded: visits followed by an inpatient or residential admission on the ED
-- day or within 30 days after it, and visits of members not enrolled in every month from the ED
-- day to 30 days after. Then, per member, only the first visit in any 31-day period counts.
-- Numerator, on the ED day or up to {{ days }} days after it: an outpatient, telehealth,
-- mental-health or SUD treatment visit (not in the ED or in hospital:
-- shared/bh_followup_visit.sql) with a principal SUD diagnosis, or a medication for
-- opioid or alcohol use disorder (a pharmacy fill of a drug class in group sud_pharmacotherapy
-- or a medication code on a medical claim).
WITH RECURSIVE follow_up AS (  -- what counts as follow-up (visits: shared/bh_followup_visit.sql)
  SELECT person_id, visit_date
  FROM {{ shared("bh_followup_visit") }}
  WHERE sud_visit
  UNION ALL
  SELECT person_id, claim_start_date
  FROM medical_claim
  WHERE in_value_set(hcpcs_code, 'sud_medication_service')
  UNION ALL
  SELECT f.person_id, f.dispensing_date
  FROM pharmacy_claim f
  WHERE f.ndc_code IN (
    SELECT code FROM value_set  -- NDCs whose drug class is in group sud_pharmacotherapy
    WHERE value_set = 'ndc_drug_class' AND in_value_set(drug_class, 'sud_pharmacotherapy'))
),
{% with principal_dx='sud_dx', any_dx='overdose_dx', min_age=13 %}
{% include "_ed_visit_followup.sql" %}
{% endwith %}
