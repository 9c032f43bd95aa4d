-- Acute inpatient admissions per 1,000 member months. Exposure: member months in the quarter;
-- numerator: the member's acute admissions in those months. An admission is a hospital stay
-- (hospital_stay, type of bill 11x), counted in the month of its first admission: interim bills
-- of one stay, and a transfer (a stay admitted on the day of or the day after a discharge from
-- another), count once. All causes (including childbirth and mental health) are counted.
-- Admissions in months the member was not enrolled are not counted.
WITH admission AS (
  SELECT person_id, admission_date
  FROM hospital_stay
  WHERE left(bill_type_code, 2) = '11'
),
events_by_month AS (
  SELECT person_id, CAST(date_trunc('month', admission_date) AS DATE) AS month,
         count(*) AS events
  FROM admission
  WHERE {{ in_computed_months("admission_date") }}
  GROUP BY ALL
),
{% include "_events_per_member_month.sql" %}
