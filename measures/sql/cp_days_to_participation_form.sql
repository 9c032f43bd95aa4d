-- Days from CP assignment to the signed participation form. Units: assignments whose form
-- was signed in the 12-month window; the value of each unit is the number of days from
-- assignment to signature and the measure is their median. A form dated before the
-- assignment counts as 0 days, unless it falls in an earlier assignment of the member, which
-- it belongs to (_cp_assignment_steps.sql). The row belongs to the CP of the assignment.
WITH step AS (
{% include "_cp_assignment_steps.sql" %}
)
SELECT p.period_id, e.person_id, e.participation_form_date AS attr_month, e.cp_id,
       greatest(date_diff('day', e.assignment_date, e.participation_form_date), 0) AS numerator,
       1 AS denominator
FROM step e
JOIN periods p ON e.participation_form_date BETWEEN p.window_start AND p.period_end
