-- CP follow-up within 7 days after an emergency department visit.
-- An ED visit is a distinct member and service date with an ED revenue code, an ED
-- evaluation and management code (value set ed_visit) or place of service 23, as in
-- ed_visits. Units: ED visits of members assigned to a CP on the visit day, from the start of
-- the 12-month window up to 7 days before its end. Excluded: visits followed by a hospital
-- inpatient admission (type of bill 11x) on the same or the next day (the member was
-- admitted, not sent home). Numerator: a successful contact (a cp_activity of any code,
-- transitions of care T2038 among them, whose successful_contact is not false) by the
-- member's CP from the visit day through 7 days after it.
WITH ed_visit AS (  -- one row per member and day (shared/ed_visit_day.sql)
  SELECT person_id, visit_date FROM {{ shared("ed_visit_day") }}
  WHERE NOT admitted
),
assigned_visit AS (
  SELECT v.person_id, v.visit_date,
         -- the latest assignment covering the day; two on the same date: the higher CP id
         arg_max(e.cp_id, struct_pack(d := e.assignment_date, c := e.cp_id)) AS cp_id
  FROM ed_visit v
  JOIN cp_enrollment e
    ON e.person_id = v.person_id
   AND v.visit_date BETWEEN e.assignment_date
                        AND coalesce(e.disenrollment_date, DATE '9999-12-31')
  GROUP BY ALL
)
SELECT p.period_id, v.person_id, v.visit_date AS attr_month, v.cp_id,
       CASE WHEN EXISTS (
         SELECT 1 FROM cp_activity t
         WHERE t.person_id = v.person_id AND t.cp_id = v.cp_id
           AND t.activity_date BETWEEN v.visit_date AND v.visit_date + INTERVAL 7 DAY
           AND coalesce(t.successful_contact, true)  -- an attempt that failed is no follow-up
       ) THEN 1 ELSE 0 END AS numerator,
       1 AS denominator
FROM assigned_visit v
JOIN periods p
  ON v.visit_date BETWEEN p.window_start AND p.period_end - INTERVAL 7 DAY
