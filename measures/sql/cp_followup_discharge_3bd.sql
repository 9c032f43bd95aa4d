-- CP follow-up within 3 business days after an acute or post-acute discharge.
-- Stays: institutional claims with type of bill 11x (hospital inpatient: acute, psychiatric,
-- substance use, rehabilitation), 18x (swing bed) or 21x (skilled nursing facility), one row
-- per claim, with a discharge date and a status other than 20 (died) or 30 (still a patient).
-- Units: stays of members assigned to a CP on the discharge day, discharged from the start of
-- the 12-month window, whose 3-business-day deadline is on or before the window's end.
-- Business days are Monday to Friday except Massachusetts legal holidays (value set
-- business_holiday: dates, 2015-2030): the deadline is the 3rd of them after the discharge
-- day. Excluded: stays followed by another stay admitted from the discharge day to the
-- deadline (a transfer or readmission: the member was not back in the community).
-- Numerator: a successful contact (a cp_activity of any code, transitions of care T2038
-- among them, whose successful_contact is not false) by the member's CP from the discharge day
-- through the deadline.
WITH stay AS (
  SELECT claim_id, any_value(person_id) AS person_id,
         min(coalesce(admission_date, claim_start_date)) AS admission_date,
         max(discharge_date) AS discharge_date,
         any_value(discharge_disposition_code) AS disposition
  FROM medical_claim
  WHERE claim_type = 'institutional'
    AND left(ltrim(bill_type_code, '0'), 2) IN ('11', '18', '21')
  GROUP BY claim_id
),
assigned_discharge AS (
  SELECT s.claim_id, s.person_id, s.discharge_date,
         -- the latest assignment covering the day; two on the same date: the higher CP id
         arg_max(e.cp_id, struct_pack(d := e.assignment_date, c := e.cp_id)) AS cp_id
  FROM stay s
  JOIN cp_enrollment e
    ON e.person_id = s.person_id
   AND s.discharge_date BETWEEN e.assignment_date
                            AND coalesce(e.disenrollment_date, DATE '9999-12-31')
  WHERE s.discharge_date IS NOT NULL
    AND coalesce(s.disposition, '01') NOT IN ('20', '30')
  GROUP BY ALL
),
day_after AS (  -- the 14 days after each discharge day: 3 business days are always among them
  SELECT claim_id, discharge_date, unnest(range(1, 15)) AS days_after
  FROM assigned_discharge
),
business_day_after AS (  -- those that are business days (isodow 1-5: Monday to Friday), numbered
  SELECT claim_id, day,
         row_number() OVER (PARTITION BY claim_id ORDER BY day) AS business_days_after
  FROM (SELECT claim_id, discharge_date + CAST(days_after AS INTEGER) AS day FROM day_after)
  WHERE isodow(day) <= 5
    AND NOT in_value_set(CAST(day AS VARCHAR), 'business_holiday')
),
discharge AS (  -- with the deadline: the 3rd business day after the discharge day
  SELECT a.*, b.day AS deadline
  FROM assigned_discharge a
  JOIN business_day_after b ON b.claim_id = a.claim_id AND b.business_days_after = 3
),
back_in AS (
  SELECT DISTINCT d.claim_id
  FROM discharge d
  JOIN stay s
    ON s.person_id = d.person_id AND s.claim_id <> d.claim_id
   AND s.admission_date BETWEEN d.discharge_date AND d.deadline
)
SELECT p.period_id, d.person_id, d.discharge_date AS attr_month, d.cp_id,
       CASE WHEN EXISTS (
         SELECT 1 FROM cp_activity t
         WHERE t.person_id = d.person_id AND t.cp_id = d.cp_id
           AND t.activity_date BETWEEN d.discharge_date AND d.deadline
           AND coalesce(t.successful_contact, true)  -- an attempt that failed is no follow-up
       ) THEN 1 ELSE 0 END AS numerator,
       1 AS denominator
FROM discharge d
JOIN periods p
  ON d.discharge_date >= p.window_start AND d.deadline <= p.period_end
WHERE d.claim_id NOT IN (SELECT claim_id FROM back_in)
