-- Behavioural-health prescriptions per 1,000 member months. Exposure: member months in the
-- quarter; numerator: the member's pharmacy claims dispensed in those months whose NDC is in
-- value set ndc_drug_class with drug_class antipsychotic, antidepressant, buprenorphine or
-- naltrexone (one class per NDC; a script counts once).
WITH bh_ndc AS (
  SELECT DISTINCT code AS ndc_code
  FROM value_set
  WHERE value_set = 'ndc_drug_class'
    AND drug_class IN ('antipsychotic', 'antidepressant', 'buprenorphine', 'naltrexone')
),
events_by_month AS (
  SELECT person_id, CAST(date_trunc('month', dispensing_date) AS DATE) AS month,
         count(DISTINCT claim_id) AS events
  FROM pharmacy_claim
  WHERE ndc_code IN (SELECT ndc_code FROM bh_ndc)
    AND {{ in_computed_months("dispensing_date") }}
  GROUP BY ALL
),
{% include "_events_per_member_month.sql" %}
