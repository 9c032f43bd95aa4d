{#- CP work done within a number of days of assignment. Parameters: done_date (the day the
    work was done: a cp_enrollment column, or engagement_date, the day the last engagement step
    was done; see _cp_assignment_steps.sql) and days. -#}
-- {{ id }}: CP assignments whose {{ days }}-day deadline (assignment date + {{ days }} days) falls
-- inside the 12-month window, so every assignment counted had the full {{ days }} days. Numerator:
-- {{ done_date }} on or before the deadline. Excluded: members who left the CP before the
-- deadline without the work done (the CP could not finish the work). The row belongs to the CP
-- of the assignment, whatever the monthly attribution says.
WITH step AS (
{% include "_cp_assignment_steps.sql" %}
),
assignment AS (
  SELECT person_id, cp_id, {{ done_date }} AS done_date, disenrollment_date,
         CAST(assignment_date + INTERVAL {{ days }} DAY AS DATE) AS deadline
  FROM step
)
SELECT p.period_id, a.person_id, a.deadline AS attr_month, a.cp_id,
       CASE WHEN a.done_date <= a.deadline THEN 1 ELSE 0 END AS numerator,
       1 AS denominator
FROM assignment a
JOIN periods p ON a.deadline BETWEEN p.window_start AND p.period_end
WHERE NOT coalesce(
  a.disenrollment_date < a.deadline AND coalesce(a.done_date > a.disenrollment_date, true),
  false)
