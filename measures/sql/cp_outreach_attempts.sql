-- Outreach attempts per assigned member per month. Units: assigned member months, i.e.
-- calendar months in which the member was enrolled in MassHealth and assigned to the CP for
-- at least one day (denominator 1 each). Numerator: the CP's unsuccessful outreach attempts
-- to the member that month while assigned (cp_activity rows with successful_contact false,
-- any code). The row belongs to the CP.
WITH assigned_month AS (
  SELECT DISTINCT p.period_id, e.person_id, e.cp_id, mm.month
  FROM cp_enrollment e
  JOIN member_months mm
    ON mm.person_id = e.person_id
   AND e.assignment_date <= last_day(mm.month)
   AND coalesce(e.disenrollment_date, DATE '9999-12-31') >= mm.month
  JOIN periods p ON mm.month BETWEEN p.window_start AND p.period_end
),
attempts_by_month AS (
  SELECT t.person_id, t.cp_id, CAST(date_trunc('month', t.activity_date) AS DATE) AS month,
         count(DISTINCT t.activity_id) AS attempts
  FROM cp_activity t
  WHERE t.successful_contact = false
    AND {{ in_computed_months("t.activity_date") }}
    AND EXISTS (
      SELECT 1 FROM cp_enrollment e
      WHERE e.person_id = t.person_id AND e.cp_id = t.cp_id
        AND t.activity_date BETWEEN e.assignment_date
                                AND coalesce(e.disenrollment_date, DATE '9999-12-31'))
  GROUP BY ALL
)
SELECT m.period_id, m.person_id, m.month AS attr_month, m.cp_id,
       coalesce(a.attempts, 0) AS numerator,
       1 AS denominator
FROM assigned_month m
LEFT JOIN attempts_by_month a USING (person_id, cp_id, month)
