-- CP engagement: care plan signed by the primary care provider within 150 days of CP
-- assignment. Units: CP assignments whose 150-day deadline falls inside the 12-month window,
-- so every member counted had the full 150 days. Members who left the CP before the deadline
-- without a signed care plan are excluded (the CP could not finish the work).
-- The row belongs to the CP of the assignment, whatever the monthly attribution says.
WITH assignment AS (
  SELECT person_id, cp_id, assignment_date, care_plan_signed_date, disenrollment_date,
         CAST(assignment_date + INTERVAL 150 DAY AS DATE) AS deadline
  FROM cp_enrollment
)
SELECT p.period_id, a.person_id, a.deadline AS attr_month, a.cp_id,
       CASE WHEN a.care_plan_signed_date <= a.deadline THEN 1 ELSE 0 END AS numerator,
       1 AS denominator
FROM assignment a
JOIN periods p ON a.deadline BETWEEN p.window_start AND p.period_end
WHERE NOT coalesce(
  a.disenrollment_date < a.deadline
  AND coalesce(a.care_plan_signed_date > a.disenrollment_date, true),
  false)
