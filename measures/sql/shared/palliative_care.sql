-- Palliative care, after HEDIS's exclusion of members who received palliative care during the
-- measurement period, as public HEDIS summaries describe it (NCQA's Palliative Care value sets
-- are licensed; value set palliative_care is the project's own, shorter): one row per member and
-- day with a claim holding the diagnosis of an encounter for palliative care (ICD-10-CM Z51.5,
-- any position) or a palliative-care HCPCS code (G9054, M1017). Read by the measures whose spec
-- lists `exclusions: [palliative_care]`: a member with palliative care on any day of a period's
-- window is left out of that period.
SELECT person_id, claim_start_date AS service_date
FROM claim_diagnosis
WHERE in_value_set(code, 'palliative_care')
UNION
SELECT person_id, claim_start_date
FROM medical_claim
WHERE in_value_set(hcpcs_code, 'palliative_care')
