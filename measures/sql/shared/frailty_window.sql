-- Frailty and advanced illness, after HEDIS's exclusion of older members with frailty and
-- advanced illness as public HEDIS summaries describe it (NCQA's value sets are licensed; the
-- code lists are the project's own, shorter). One row per member and 12-month window with
-- frailty claims of two or more different dates of service in it: the window ending on
-- period_end (the last day of a quarter, as every period's 12-month window does), the
-- member's age that year (from the birth year, as the measures count it) and whether they had
-- an advanced illness in the window or the 12 months before it. Read by the exclusion tables frailty_advanced_illness (66 and older, frailty and
-- advanced illness) and frailty_81 (81 and older, frailty alone).
--   frailty: a diagnosis (frailty_dx, any position: debility, gait problems, falls, pressure
--     ulcers, weakness, weight loss, reduced mobility, dependence on a wheelchair, respirator
--     or oxygen) or a medical device (frailty_device, HCPCS: cane, walker, commode chair,
--     hospital bed, wheelchair, oxygen) on claims of two or more different dates of service in
--     the window (as current HEDIS editions ask: one claim is not enough);
--   advanced illness: a diagnosis (advanced_illness_dx, any position: dementia, advanced
--     cancers, heart failure, COPD, end-stage kidney or liver disease, Parkinson's, ALS,
--     Huntington's) on one acute inpatient stay (type of bill 11x) or on other claims of two or
--     more different dates, or a dementia medicine dispensed (an NDC whose drug, column drug of
--     ndc_drug_class, is in dementia_medication), in the window or the 12 months before it.
-- Simplified: any claim other than an acute inpatient stay counts as a visit (HEDIS names the
-- outpatient, ED, observation, telehealth and nonacute inpatient settings).
WITH quarter_end AS (  -- the last day of every quarter of the data
  SELECT DISTINCT CAST(date_trunc('quarter', month) + INTERVAL 3 MONTH - INTERVAL 1 DAY AS DATE)
           AS period_end
  FROM months
),
window_end AS (  -- each quarter's 12-month window (as the periods' window_start) and year before
  SELECT period_end,
         CAST(period_end - INTERVAL 12 MONTH + INTERVAL 1 DAY AS DATE) AS window_start,
         CAST(period_end - INTERVAL 24 MONTH + INTERVAL 1 DAY AS DATE) AS evidence_start
  FROM quarter_end
),
frailty AS (
  SELECT person_id, claim_start_date AS service_date
  FROM claim_diagnosis
  WHERE in_value_set(code, 'frailty_dx')
  UNION
  SELECT person_id, claim_start_date
  FROM medical_claim
  WHERE in_value_set(hcpcs_code, 'frailty_device')
),
illness AS (  -- alone: one is enough (an acute inpatient stay, a dementia medicine)
  SELECT DISTINCT d.person_id, d.claim_start_date AS service_date,
         s.claim_id IS NOT NULL AS alone
  FROM claim_diagnosis d
  LEFT JOIN (SELECT claim_id FROM inpatient_stay WHERE left(bill_type_code, 2) = '11') s
    ON s.claim_id = d.claim_id
  WHERE in_value_set(d.code, 'advanced_illness_dx')
  UNION
  SELECT person_id, dispensing_date, true
  FROM pharmacy_claim
  WHERE ndc_code IN (
    SELECT code FROM value_set  -- NDCs whose drug is a dementia medicine
    WHERE value_set = 'ndc_drug_class' AND in_value_set(drug, 'dementia_medication'))
),
frail AS (  -- frailty on two or more different dates of service in the window
  SELECT f.person_id, w.period_end, w.evidence_start
  FROM frailty f
  JOIN window_end w ON f.service_date BETWEEN w.window_start AND w.period_end
  GROUP BY f.person_id, w.period_end, w.evidence_start
  HAVING count(DISTINCT f.service_date) >= 2
),
advanced_illness AS (
  SELECT f.person_id, f.period_end
  FROM frail f
  JOIN illness i
    ON i.person_id = f.person_id AND i.service_date BETWEEN f.evidence_start AND f.period_end
  GROUP BY ALL
  HAVING bool_or(i.alone) OR count(DISTINCT i.service_date) FILTER (WHERE NOT i.alone) >= 2
)
SELECT f.person_id, f.period_end, year(f.period_end) - m.birth_year AS age,
       a.person_id IS NOT NULL AS advanced_illness
FROM frail f
JOIN person m ON m.person_id = f.person_id
LEFT JOIN advanced_illness a ON a.person_id = f.person_id AND a.period_end = f.period_end
