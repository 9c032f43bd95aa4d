-- Antipsychotic dispensing events, for SAA, SSD and metabolic monitoring (APM): one row per
-- pharmacy fill of an NDC whose drug class is antipsychotic (ndc_drug_class), with its claim,
-- its drug (9-digit NDC product code) and days supply; and one row per member, day and days
-- covered with a long-acting injection billed on a medical claim (HCPCS code of
-- antipsychotic_lai, on the claim's service date). An injectable dispensed by a pharmacy is a
-- fill: the pharmacy mart has no route or dosage form.
SELECT 'fill' AS source, person_id, dispensing_date AS event_date, claim_id,
       left(ndc_code, 9) AS drug, days_supply, CAST(NULL AS INTEGER) AS days_covered
FROM pharmacy_claim
WHERE ndc_code IN (
  SELECT code FROM value_set WHERE value_set = 'ndc_drug_class' AND drug_class = 'antipsychotic')
UNION ALL
SELECT DISTINCT 'injection', c.person_id, c.claim_start_date, NULL, NULL, NULL,
       CAST(v.days_covered AS INTEGER)
FROM medical_claim c
JOIN value_set v ON v.value_set = 'antipsychotic_lai' AND v.code = c.hcpcs_code
