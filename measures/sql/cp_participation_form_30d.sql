-- CP participation form signed within 30 days of assignment. Units: CP assignments whose
-- 30-day deadline (assignment date + 30 days) falls inside the 12-month window, so every
-- assignment counted had the full 30 days. Excluded: members who left the CP before the
-- deadline without a signed form (the CP could not finish the work).
-- The row belongs to the CP of the assignment, whatever the monthly attribution says.
WITH assignment AS (
  SELECT person_id, cp_id, participation_form_date AS done_date, disenrollment_date,
         CAST(assignment_date + INTERVAL 30 DAY AS DATE) AS deadline
  FROM cp_enrollment
)
SELECT p.period_id, a.person_id, a.deadline AS attr_month, a.cp_id,
       CASE WHEN a.done_date <= a.deadline THEN 1 ELSE 0 END AS numerator,
       1 AS denominator
FROM assignment a
JOIN periods p ON a.deadline BETWEEN p.window_start AND p.period_end
WHERE NOT coalesce(
  a.disenrollment_date < a.deadline AND coalesce(a.done_date > a.disenrollment_date, true),
  false)
