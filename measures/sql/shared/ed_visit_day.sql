-- Emergency department (ED) visits, one row per member and day: the days of medical claim
-- lines with an ED revenue code or ED evaluation and management code (value set ed_visit) or
-- place of service 23 (their first service date). For each day, whether one of its ED lines
-- had a principal diagnosis (diagnosis_code_1):
--   non_emergent: in value set non_emergent_ed_dx (seed 004's 14 conditions);
--   mental_disorder: in value set mental_disorder_dx (a mental illness or substance use
--     disorder, seed 004's ICD-9 290-316).
-- admitted: a hospital inpatient admission (type of bill 11x) on the visit day or the next
-- day, so the member was kept in hospital rather than sent home.
WITH visit_day AS (
  SELECT person_id, claim_start_date AS visit_date,
         bool_or(in_value_set(diagnosis_code_1, 'non_emergent_ed_dx')) AS non_emergent,
         bool_or(in_value_set(diagnosis_code_1, 'mental_disorder_dx')) AS mental_disorder
  FROM medical_claim
  WHERE in_value_set(revenue_center_code, 'ed_visit')
     OR in_value_set(hcpcs_code, 'ed_visit')
     OR place_of_service_code = '23'
  GROUP BY ALL
),
admission_day AS (
  SELECT DISTINCT person_id, admission_date
  FROM inpatient_stay
  WHERE left(bill_type_code, 2) = '11'
)
SELECT v.person_id, v.visit_date, v.non_emergent, v.mental_disorder,
       count(a.admission_date) > 0 AS admitted
FROM visit_day v
LEFT JOIN admission_day a
  ON a.person_id = v.person_id
 AND a.admission_date BETWEEN v.visit_date AND v.visit_date + INTERVAL 1 DAY
GROUP BY v.person_id, v.visit_date, v.non_emergent, v.mental_disorder
