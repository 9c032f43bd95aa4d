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
events_by_month AS (
  SELECT person_id, CAST(date_trunc('month', admission_date) AS DATE) AS month,
         count(*) AS events
  FROM admission
  WHERE {{ in_computed_months("admission_date") }}
  GROUP BY ALL
),
{% include "_events_per_member_month.sql" %}
