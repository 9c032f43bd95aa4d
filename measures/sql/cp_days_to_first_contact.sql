-- Days from CP assignment to the first successful contact: the first cp_activity of the same
-- CP on or after the assignment date (and while assigned) that is not an unsuccessful outreach
-- attempt (successful_contact false). Units: assignments whose first contact happened in the
-- 12-month window; the value of each unit is the number of days (0 = contact on the day of
-- assignment) and the measure is their median. The row belongs to the CP of the assignment.
WITH first_contact AS (
  SELECT e.person_id, e.cp_id, e.assignment_date, min(t.activity_date) AS done_date
  FROM cp_enrollment e
  JOIN cp_activity t
    ON t.person_id = e.person_id AND t.cp_id = e.cp_id
   AND t.activity_date BETWEEN e.assignment_date
                           AND coalesce(e.disenrollment_date, DATE '9999-12-31')
  WHERE coalesce(t.successful_contact, true)
  GROUP BY ALL
)
SELECT p.period_id, f.person_id, f.done_date AS attr_month, f.cp_id,
       date_diff('day', f.assignment_date, f.done_date) AS numerator,
       1 AS denominator
FROM first_contact f
JOIN periods p ON f.done_date BETWEEN p.window_start AND p.period_end
