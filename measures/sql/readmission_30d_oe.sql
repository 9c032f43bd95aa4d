-- 30-day all-cause readmissions, observed / expected. Index stays and readmissions as in
-- readmission_30d (acute stays, interim bills and direct transfers joined into one, of members
-- 18-64, discharged from the start of the 12-month window up to 30 days before its end, not
-- transfers out of the data, deaths, pregnancy stays, same-day stays or stays still going
-- (status 30), members enrolled through 30 days after discharge and in all but at most one of
-- the 12 months before the discharge month; unplanned acute readmission 2-30 days after
-- discharge). Numerator: 1 if readmitted. Denominator: the expected readmissions of the stay =
-- the program-wide readmission rate of index stays in the same period, age band at discharge
-- (18-34, 35-49, 50-64) and sex (indirect standardisation), members with hospice care in the
-- window left out of both. The program's own ratio is 1 by construction.
WITH acute AS (
  SELECT * FROM hospital_stay WHERE left(bill_type_code, 2) = '11'
),
stay AS (
  SELECT p.period_id, s.stay_id, s.person_id, s.discharge_date,
         coalesce(m.gender, 'unknown') || ' ' || CASE
           WHEN year(s.discharge_date) - m.birth_year < 35 THEN '18-34'
           WHEN year(s.discharge_date) - m.birth_year < 50 THEN '35-49'
           ELSE '50-64' END AS cell
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
    -- the spec's hospice exclusion, here too: the expected rates must come from the same
    -- index stays as the observed count, or the program's ratio is not 1
    AND NOT EXISTS (
      SELECT 1 FROM {{ shared("hospice") }} h
      WHERE h.person_id = s.person_id
        AND h.service_date BETWEEN p.window_start AND p.period_end)
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
),
flagged AS (
  SELECT i.period_id, i.person_id, i.discharge_date, i.cell,
         CASE WHEN r.stay_id IS NULL THEN 0 ELSE 1 END AS readmitted
  FROM index_stay i
  LEFT JOIN readmitted r USING (period_id, stay_id)
),
expected AS (
  SELECT period_id, cell, avg(readmitted) AS rate FROM flagged GROUP BY ALL
)
SELECT f.period_id, f.person_id, f.discharge_date AS attr_month,
       f.readmitted AS numerator,
       e.rate AS denominator
FROM flagged f
JOIN expected e USING (period_id, cell)
