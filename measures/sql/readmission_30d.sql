-- 30-day all-cause readmissions. Units are index acute stays (hospital_stay: interim bills of
-- one stay, and a direct transfer, admitted on the day of or the day after a discharge, are one
-- stay from the first admission to the last discharge; status and diagnosis are the last
-- claim's): members 18-64 at discharge, discharged alive, not transferred to a hospital whose
-- bill is not in the data (value set transfer_discharge_status: 02, 05, 65, 66, 82, 85, 93,
-- 94), not still in hospital at the last bill (status 30), not for pregnancy or childbirth, not
-- same-day stays (admitted and discharged on one day: HEDIS PCR leaves them out of the index
-- stays, not of the readmissions), discharged from the start of the 12-month window up to 30
-- days before its end (so every stay has 30 days of follow-up inside the window), of members
-- enrolled in every month from the discharge through 30 days after it and in all but at most
-- one of the 12 months before the discharge month. Numerator: another acute stay admitted 2-30
-- days after the discharge (a day sooner it would be the same stay) that is not a planned
-- admission.
WITH acute AS (
  SELECT * FROM hospital_stay WHERE left(bill_type_code, 2) = '11'
),
stay AS (
  SELECT p.period_id, s.stay_id, s.person_id, s.discharge_date
  FROM acute s
  JOIN periods p
    ON s.discharge_date BETWEEN p.window_start AND p.period_end - INTERVAL 30 DAY
  JOIN person m ON m.person_id = s.person_id
  WHERE year(s.discharge_date) - m.birth_year BETWEEN 18 AND 64
    AND s.admission_date <> s.discharge_date  -- same-day stays are no index stays (PCR)
    AND coalesce(s.discharge_disposition_code, '01') NOT IN ('20', '30')  -- died, still a patient
    AND NOT coalesce(in_value_set(s.discharge_disposition_code, 'transfer_discharge_status'),
                     false)  -- moved to another hospital
    AND NOT in_value_set(s.principal_dx, 'pregnancy_dx')
    AND enrolled_through(s.person_id, s.discharge_date, s.discharge_date + INTERVAL 30 DAY)
),
{% include "_index_stay.sql" %},
readmitted AS (
  SELECT DISTINCT i.period_id, i.stay_id
  FROM index_stay i
  JOIN acute r
    ON r.person_id = i.person_id
   AND r.stay_id <> i.stay_id
   AND r.admission_date > i.discharge_date
   AND r.admission_date <= i.discharge_date + INTERVAL 30 DAY
  WHERE NOT in_value_set(r.principal_dx, 'planned_admission_dx')
)
SELECT i.period_id, i.person_id, i.discharge_date AS attr_month,
       CASE WHEN r.stay_id IS NULL THEN 0 ELSE 1 END AS numerator,
       1 AS denominator
FROM index_stay i
LEFT JOIN readmitted r USING (period_id, stay_id)
