-- 30-day behavioural-health readmissions. Index stays: hospital inpatient stays (type of bill
-- 11x; hospital_stay: interim bills and direct transfers joined into one stay, with the last
-- claim's status and diagnosis) with a principal mental-illness or substance-use diagnosis
-- (value sets mental_illness_dx, sud_dx), members 18-64 at discharge, discharged from the start
-- of the 12-month window up to 30 days before its end; excluded: discharges to a hospital whose
-- bill is not in the data (value set transfer_discharge_status: 02, 05, 65, 66, 82, 85, 93,
-- 94), deaths (20), stays still going at the last bill (30, still a patient), same-day stays
-- (admitted and discharged on one day: HEDIS PCR leaves them out of the index stays, not of the
-- readmissions), and members not enrolled in every month from the discharge through 30 days
-- after it or missing more than one of the 12 months before the discharge month (as
-- readmission_30d). Numerator: another such behavioural-health stay admitted 2 to 30 days after
-- the discharge (a day sooner it would be the same stay).
WITH bh_stay AS (
  SELECT *
  FROM hospital_stay
  WHERE left(bill_type_code, 2) = '11'
    AND (in_value_set(principal_dx, 'mental_illness_dx') OR in_value_set(principal_dx, 'sud_dx'))
),
stay AS (
  SELECT p.period_id, s.stay_id, s.person_id, s.discharge_date
  FROM bh_stay s
  JOIN periods p
    ON s.discharge_date BETWEEN p.window_start AND p.period_end - INTERVAL 30 DAY
  JOIN person m ON m.person_id = s.person_id
  WHERE year(s.discharge_date) - m.birth_year BETWEEN 18 AND 64
    AND s.admission_date <> s.discharge_date  -- same-day stays are no index stays (PCR)
    AND coalesce(s.discharge_disposition_code, '01') NOT IN ('20', '30')  -- died, still a patient
    AND NOT coalesce(in_value_set(s.discharge_disposition_code, 'transfer_discharge_status'),
                     false)  -- moved to another hospital
    AND enrolled_through(s.person_id, s.discharge_date, s.discharge_date + INTERVAL 30 DAY)
),
{% include "_index_stay.sql" %},
readmitted AS (
  SELECT DISTINCT i.period_id, i.stay_id
  FROM index_stay i
  JOIN bh_stay r
    ON r.person_id = i.person_id
   AND r.stay_id <> i.stay_id
   AND r.admission_date > i.discharge_date
   AND r.admission_date <= i.discharge_date + INTERVAL 30 DAY
)
SELECT i.period_id, i.person_id, i.discharge_date AS attr_month,
       CASE WHEN r.stay_id IS NULL THEN 0 ELSE 1 END AS numerator,
       1 AS denominator
FROM index_stay i
LEFT JOIN readmitted r USING (period_id, stay_id)
