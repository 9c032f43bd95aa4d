{#- FUH, the 7- and 30-day rates. Parameter: days. -#}
-- Follow-up within {{ days }} days after hospitalisation for mental illness (adapted from NCQA
-- HEDIS FUH). Units: acute hospital stays (hospital_stay: interim bills and direct transfers
-- joined into one stay, dated at its last discharge) of members aged 6+ with a principal
-- mental-illness diagnosis on the last claim, discharged from the start of the 12-month window up to 30 days
-- before its end. Excluded: members not enrolled in every month from discharge through 30
-- days after it; discharges followed within 30 days by an admission to acute or non-acute
-- inpatient care (readmission, or transfer to a skilled nursing facility, a swing bed or a
-- residential facility: type of bill 11x, 12x, 18x, 21x, 86x); discharges where the member
-- died, stays still going at the last bill (status 30), and discharges to another hospital
-- whose bill is not in the data (value set transfer_discharge_status, as in the readmission
-- measures). Numerator, 1-{{ days }} days after discharge (the discharge day itself does not
-- count): a mental-health service billed by a clinician or a facility (a psychiatry code, a
-- behavioural-health revenue code such as intensive outpatient or partial hospitalisation, or
-- place of service 52 or 53), or an outpatient or telehealth visit with any clinician with a
-- principal mental-illness diagnosis; not care in the ED or in hospital
-- (shared/bh_followup_visit.sql).
WITH mh_discharge AS (
  SELECT p.period_id, s.stay_id, s.person_id, s.discharge_date
  FROM hospital_stay s
  JOIN periods p
    ON s.discharge_date BETWEEN p.window_start AND p.period_end - INTERVAL 30 DAY
  JOIN person m ON m.person_id = s.person_id
  WHERE left(s.bill_type_code, 2) = '11'
    AND in_value_set(s.principal_dx, 'mental_illness_dx')
    AND year(s.discharge_date) - m.birth_year >= 6
    AND coalesce(s.discharge_disposition_code, '01') NOT IN ('20', '30')  -- died, still a patient
    AND NOT coalesce(in_value_set(s.discharge_disposition_code, 'transfer_discharge_status'),
                     false)  -- moved to another hospital
    AND enrolled_through(s.person_id, s.discharge_date, s.discharge_date + INTERVAL 30 DAY)
),
admission AS (  -- acute or non-acute inpatient care; a hospital claim with its stay
  SELECT DISTINCT c.person_id, coalesce(i.stay_id, c.claim_id) AS stay_id,
         coalesce(c.admission_date, c.claim_start_date) AS admit_date
  FROM medical_claim c
  LEFT JOIN inpatient_stay i ON i.claim_id = c.claim_id
  WHERE c.claim_type = 'institutional'
    AND left(c.bill_type_code, 2) IN ('11', '12', '18', '21', '86')
),
followed_by_stay AS (
  SELECT DISTINCT d.stay_id
  FROM mh_discharge d
  JOIN admission a
    ON a.person_id = d.person_id
   AND a.stay_id <> d.stay_id
   AND a.admit_date BETWEEN d.discharge_date AND d.discharge_date + INTERVAL 30 DAY
),
mh_visit AS (  -- shared/bh_followup_visit.sql: the follow-up visits of FUH, FUM and FUA
  SELECT DISTINCT person_id, visit_date
  FROM {{ shared("bh_followup_visit") }}
  WHERE mh_service OR mental_illness_visit
),
followed_up AS (
  SELECT DISTINCT d.stay_id
  FROM mh_discharge d
  JOIN mh_visit v
    ON v.person_id = d.person_id
   AND v.visit_date BETWEEN d.discharge_date + INTERVAL 1 DAY
                        AND d.discharge_date + INTERVAL {{ days }} DAY
)
SELECT d.period_id, d.person_id, d.discharge_date AS attr_month,
       CASE WHEN f.stay_id IS NULL THEN 0 ELSE 1 END AS numerator,
       1 AS denominator
FROM mh_discharge d
LEFT JOIN followed_up f USING (stay_id)
WHERE d.stay_id NOT IN (SELECT stay_id FROM followed_by_stay)
