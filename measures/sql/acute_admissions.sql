-- Acute inpatient admissions per 1,000 member months. Exposure: member months in the quarter;
-- numerator: the member's acute admissions in those months. An admission is a distinct member
-- and admission date of a hospital inpatient claim (type of bill 11x), so interim bills of one
-- stay count once; a stay admitted on the day of or the day after a discharge to another
-- hospital (status 02, 05, 65 or 66) is a transfer and counts with the first stay. All causes
-- (including childbirth and mental health) are counted. Admissions in months the member was not
-- enrolled are not counted.
WITH acute AS (
  SELECT claim_id, person_id, admission_date, discharge_date, discharge_disposition_code
  FROM inpatient_stay
  WHERE left(bill_type_code, 2) = '11'
),
admission AS (
  SELECT DISTINCT a.person_id, a.admission_date
  FROM acute a
  WHERE NOT EXISTS (
    SELECT 1 FROM acute b
    WHERE b.person_id = a.person_id AND b.claim_id <> a.claim_id
      AND b.discharge_disposition_code IN ('02', '05', '65', '66')
      AND a.admission_date BETWEEN b.discharge_date AND b.discharge_date + INTERVAL 1 DAY)
),
admissions_by_month AS (
  SELECT person_id, CAST(date_trunc('month', admission_date) AS DATE) AS month,
         count(*) AS admissions
  FROM admission
  GROUP BY ALL
),
unit AS (
  SELECT p.period_id, mm.person_id, mm.month, coalesce(a.admissions, 0) AS events,
         t.aco_id, t.cp_id, t.practice_id
  FROM member_months mm
  JOIN periods p ON mm.month BETWEEN p.window_start AND p.period_end
  LEFT JOIN admissions_by_month a USING (person_id, month)
  LEFT JOIN attribution t ON t.person_id = mm.person_id AND t.month = mm.month
)
-- One row per member and ACO/CP/practice combination in the quarter (usually one per
-- member): its numerator and denominator are the sums over those member months, so every
-- total is unchanged and there are about three times fewer rows to aggregate.
SELECT period_id, person_id, max(month) AS attr_month,
       sum(events) AS numerator,
       count(*) AS denominator
FROM unit
GROUP BY period_id, person_id, aco_id, cp_id, practice_id
