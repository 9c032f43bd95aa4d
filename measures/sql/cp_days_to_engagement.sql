-- Days from CP assignment to engagement: the day the last engagement step was done
-- (participation form signed, comprehensive assessment completed, care plan signed by the
-- primary care provider; _cp_assignment_steps.sql). Units: assignments engaged in the 12-month
-- window; the value of each unit is the number of days from assignment to engagement (a step
-- dated before the assignment counts as done on the day of the assignment: 0 days) and the
-- measure is their median. The row belongs to the CP of the assignment.
WITH step AS (
{% include "_cp_assignment_steps.sql" %}
)
SELECT p.period_id, e.person_id, e.engagement_date AS attr_month, e.cp_id,
       greatest(date_diff('day', e.assignment_date, e.engagement_date), 0) AS numerator,
       1 AS denominator
FROM step e
JOIN periods p ON e.engagement_date BETWEEN p.window_start AND p.period_end
