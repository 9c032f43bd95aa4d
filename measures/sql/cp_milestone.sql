{#- CP work done within a number of days of assignment. Parameters: done_date (the day the
    work was done: a cp_enrollment column, or engagement_date, the day the last engagement step
    was done; see _cp_assignment_steps.sql) and days. -#}
-- {{ id }}: CP assignments whose {{ days }}-day deadline (assignment date + {{ days }} days) falls
-- inside the 12-month window, so every assignment counted had the full {{ days }} days. Numerator:
-- {{ done_date }} on or before the deadline. Excluded: members who left the CP before the
-- deadline without the work done (the CP could not finish the work). An assignment ends on its
-- disenrollment date or when the member's MassHealth enrollment ends, whichever comes first (a
-- member who loses eligibility leaves the CP, whether or not the assignment was closed): the
-- end of the first unbroken run of enrollment that ends on or after the assignment date (none:
-- the member was not enrolled after the assignment, which ended at once). The row belongs to
-- the CP of the assignment, whatever the monthly attribution says.
WITH step AS (
{% include "_cp_assignment_steps.sql" %}
),
enrollment_span AS (  -- a day before each span's start: a span starting the day after another
                      -- ends merges with it into one unbroken run
  SELECT person_id, CAST(enrollment_start_date - INTERVAL 1 DAY AS DATE) AS first_day,
         enrollment_end_date AS last_day
  FROM eligibility
),
enrollment_run AS (
{% with keys='person_id', source='enrollment_span' %}
{% include "_merged_ranges.sql" %}
{% endwith %}
),
assignment AS (
  SELECT s.person_id, s.cp_id, s.{{ done_date }} AS done_date,
         CAST(s.assignment_date + INTERVAL {{ days }} DAY AS DATE) AS deadline,
         least(coalesce(s.disenrollment_date, DATE '9999-12-31'),
               coalesce(min(r.last_day), CAST(s.assignment_date - INTERVAL 1 DAY AS DATE)))
           AS end_date
  FROM step s
  LEFT JOIN enrollment_run r ON r.person_id = s.person_id AND r.last_day >= s.assignment_date
  GROUP BY s.person_id, s.cp_id, s.assignment_date, s.{{ done_date }}, s.disenrollment_date
)
SELECT p.period_id, a.person_id, a.deadline AS attr_month, a.cp_id,
       CASE WHEN a.done_date <= a.deadline THEN 1 ELSE 0 END AS numerator,
       1 AS denominator
FROM assignment a
JOIN periods p ON a.deadline BETWEEN p.window_start AND p.period_end
WHERE NOT (a.end_date < a.deadline AND coalesce(a.done_date > a.end_date, true))
