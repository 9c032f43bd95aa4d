-- Antipsychotic dispensing events, for SAA, SSD and metabolic monitoring (APM): one row per
-- pharmacy fill of an NDC whose drug class is antipsychotic (ndc_drug_class), with its claim,
-- its drug and days supply; and one row per member, day and days covered with a long-acting
-- injection billed on a medical claim (HCPCS code of antipsychotic_lai, on the claim's service
-- date). The drug of a fill is the medicine (column drug of ndc_drug_class, e.g. risperidone),
-- whatever its maker or strength: HEDIS adds up the supply of fills of the same medication.
-- A code list without that column falls back to the 9-digit NDC product code. An injectable
-- dispensed by a pharmacy is a fill: the pharmacy mart has no route or dosage form.
SELECT 'fill' AS source, f.person_id, f.dispensing_date AS event_date, f.claim_id,
       coalesce(v.drug, left(f.ndc_code, 9)) AS drug, f.days_supply,
       CAST(NULL AS INTEGER) AS days_covered
FROM pharmacy_claim f
JOIN (SELECT code, any_value(drug) AS drug FROM value_set
      WHERE value_set = 'ndc_drug_class' AND drug_class = 'antipsychotic'
      GROUP BY code) v
  ON v.code = f.ndc_code
UNION ALL
SELECT DISTINCT 'injection', c.person_id, c.claim_start_date, NULL, NULL, NULL,
       CAST(v.days_covered AS INTEGER)
FROM medical_claim c
JOIN value_set v ON v.value_set = 'antipsychotic_lai' AND v.code = c.hcpcs_code
