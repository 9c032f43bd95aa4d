-- Behavioural-health prescriptions per 1,000 member months. Exposure: member months in the
-- quarter; numerator: the member's pharmacy claims dispensed in those months whose NDC is in
-- value set ndc_drug_class with drug_class antipsychotic, antidepressant, buprenorphine or
-- naltrexone (one class per NDC; a script counts once).
WITH enrolled AS (
  SELECT p.period_id, mm.person_id, mm.month
  FROM member_months mm
  JOIN periods p ON mm.month BETWEEN p.window_start AND p.period_end
),
bh_ndc AS (
  SELECT DISTINCT code AS ndc_code
  FROM value_set
  WHERE value_set = 'ndc_drug_class'
    AND drug_class IN ('antipsychotic', 'antidepressant', 'buprenorphine', 'naltrexone')
),
scripts_by_month AS (
  SELECT person_id, CAST(date_trunc('month', dispensing_date) AS DATE) AS month,
         count(DISTINCT claim_id) AS scripts
  FROM pharmacy_claim
  WHERE ndc_code IN (SELECT ndc_code FROM bh_ndc)
  GROUP BY ALL
),
unit AS (
  SELECT e.period_id, e.person_id, e.month, coalesce(s.scripts, 0) AS events,
         t.aco_id, t.cp_id, t.practice_id
  FROM enrolled e
  LEFT JOIN scripts_by_month s USING (person_id, month)
  LEFT JOIN attribution t ON t.person_id = e.person_id AND t.month = e.month
)
-- One row per member and ACO/CP/practice combination in the quarter (usually one per
-- member): its numerator and denominator are the sums over those member months, so every
-- total is unchanged and there are about three times fewer rows to aggregate.
SELECT period_id, person_id, max(month) AS attr_month,
       sum(events) AS numerator,
       count(*) AS denominator
FROM unit
GROUP BY period_id, person_id, aco_id, cp_id, practice_id
