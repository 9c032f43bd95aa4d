-- Hospice care (after HEDIS's Hospice Encounter and Hospice Intervention value sets): one row
-- per member and day with a hospice claim line, from the type of bill (81x hospice not in a
-- hospital, 82x in a hospital), the revenue code or the HCPCS code (value set hospice). Read by
-- the measures whose spec lists `exclusions: [hospice]`: a member with hospice care in a
-- period's window is left out of that period.
SELECT DISTINCT person_id, claim_start_date AS service_date
FROM medical_claim
WHERE left(bill_type_code, 2) IN ('81', '82')
   OR in_value_set(revenue_center_code, 'hospice')
   OR in_value_set(hcpcs_code, 'hospice')
