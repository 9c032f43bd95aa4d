-- Follow-up within 30 days after an emergency department visit for substance use
-- (adapted from NCQA HEDIS FUA). Units: ED visits (one per member per day) of members aged 13+
-- with a principal substance use disorder (SUD) diagnosis or any drug or alcohol overdose
-- diagnosis, on or between the start of the 12-month window and 30 days before its end
-- (Jan 1 - Dec 1). Excluded: visits followed by an inpatient or residential admission on the ED
-- day or within 30 days after it, and visits of members not enrolled in every month from the ED
-- day to 30 days after. Then, per member, only the first visit in any 31-day period counts.
-- Numerator, on the ED day or up to 30 days after it: an outpatient, telehealth,
-- mental-health or SUD treatment visit with a principal SUD diagnosis, or a medication for
-- opioid or alcohol use disorder (a pharmacy fill of a drug class in group sud_pharmacotherapy
-- or a medication code on a medical claim).
WITH RECURSIVE ed_line AS (
  SELECT claim_id, person_id, claim_start_date AS visit_date
  FROM medical_claim
  WHERE in_value_set(revenue_center_code, 'ed_visit')
     OR in_value_set(hcpcs_code, 'ed_visit')
     OR place_of_service_code = '23'
),
ed_dx AS (
  SELECT DISTINCT l.person_id, l.visit_date,
         (d.position = 'diagnosis_code_1' AND in_value_set(d.code, 'sud_dx'))
           OR in_value_set(d.code, 'overdose_dx') AS qualifies
  FROM ed_line l
  JOIN claim_diagnosis d ON d.claim_id = l.claim_id
),
ed_visit AS (
  SELECT person_id, visit_date FROM ed_dx GROUP BY ALL HAVING bool_or(qualifies)
),
admission AS (
  SELECT DISTINCT person_id, coalesce(admission_date, claim_start_date) AS admit_date
  FROM medical_claim
  WHERE claim_type = 'institutional' AND left(bill_type_code, 2) IN ('11', '12', '18', '21', '86')
),
eligible AS (
  SELECT p.period_id, v.person_id, v.visit_date
  FROM ed_visit v
  JOIN periods p ON v.visit_date BETWEEN p.window_start AND p.period_end - INTERVAL 30 DAY
  JOIN person m ON m.person_id = v.person_id
  WHERE year(v.visit_date) - m.birth_year >= 13
    AND enrolled_through(v.person_id, v.visit_date, v.visit_date + INTERVAL 30 DAY)
    AND NOT EXISTS (
      SELECT 1 FROM admission a
      WHERE a.person_id = v.person_id
        AND a.admit_date BETWEEN v.visit_date AND v.visit_date + INTERVAL 30 DAY)
),
next_visit AS (  -- for each eligible visit, the first eligible visit 31 or more days later
  SELECT a.period_id, a.person_id, a.visit_date, min(b.visit_date) AS next_date
  FROM eligible a
  LEFT JOIN eligible b
    ON b.period_id = a.period_id AND b.person_id = a.person_id
   AND b.visit_date >= a.visit_date + INTERVAL 31 DAY
  GROUP BY ALL
),
counted (period_id, person_id, visit_date) AS (  -- one visit per 31-day period, in date order
  SELECT period_id, person_id, min(visit_date) FROM eligible GROUP BY ALL
  UNION ALL
  SELECT n.period_id, n.person_id, n.next_date
  FROM counted c
  JOIN next_visit n
    ON n.period_id = c.period_id AND n.person_id = c.person_id AND n.visit_date = c.visit_date
  WHERE n.next_date IS NOT NULL
),
follow_up AS (
  SELECT person_id, claim_start_date AS visit_date
  FROM medical_claim
  WHERE (in_value_set(hcpcs_code, 'outpatient_visit')
         OR in_value_set(hcpcs_code, 'mental_health_visit')
         OR in_value_set(hcpcs_code, 'sud_service')
         OR in_value_set(revenue_center_code, 'outpatient_visit')
         OR in_value_set(revenue_center_code, 'sud_service'))
    AND in_value_set(diagnosis_code_1, 'sud_dx')
  UNION
  SELECT person_id, claim_start_date
  FROM medical_claim
  WHERE in_value_set(hcpcs_code, 'sud_medication_service')
  UNION
  SELECT f.person_id, f.dispensing_date
  FROM pharmacy_claim f
  WHERE f.ndc_code IN (
    SELECT code FROM value_set  -- NDCs whose drug class is in group sud_pharmacotherapy
    WHERE value_set = 'ndc_drug_class' AND in_value_set(drug_class, 'sud_pharmacotherapy'))
)
SELECT c.period_id, c.person_id, c.visit_date AS attr_month,
       CASE WHEN EXISTS (
         SELECT 1 FROM follow_up f
         WHERE f.person_id = c.person_id
           AND f.visit_date BETWEEN c.visit_date AND c.visit_date + INTERVAL 30 DAY
       ) THEN 1 ELSE 0 END AS numerator,
       1 AS denominator
FROM counted c
