-- Pharmacy fills of a diabetes medicine: one row per member and dispensing day of an NDC whose
-- drug class is in group diabetes_medication (insulin, or a glucose-lowering drug other than
-- metformin alone). Read by the four diabetes measures' denominator
-- (_diabetic.sql), beside the claims with a diabetes diagnosis of condition_claim.sql.
SELECT DISTINCT person_id, dispensing_date
FROM pharmacy_claim
WHERE ndc_code IN (
  SELECT code FROM value_set  -- NDCs whose drug class is in group diabetes_medication
  WHERE value_set = 'ndc_drug_class' AND in_value_set(drug_class, 'diabetes_medication'))
