-- Days from CP assignment to engagement (care plan signed by the primary care provider).
-- Units: assignments whose care plan was signed in the 12-month window; the value of each
-- unit is the number of days from assignment to signature (a plan dated before the
-- assignment counts as 0 days) and the measure is their median. The row belongs to the CP of
-- the assignment.
SELECT p.period_id, e.person_id, e.care_plan_signed_date AS attr_month, e.cp_id,
       greatest(date_diff('day', e.assignment_date, e.care_plan_signed_date), 0) AS numerator,
       1 AS denominator
FROM cp_enrollment e
JOIN periods p ON e.care_plan_signed_date BETWEEN p.window_start AND p.period_end
