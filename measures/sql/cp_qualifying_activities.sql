-- Qualifying activities per engaged member per month. Units: engaged member months, i.e.
-- calendar months in which the member was enrolled in MassHealth and assigned to the CP,
-- with the care plan signed on or before the last day of the month (numerator counted
-- against denominator 1). Numerator: the CP's qualifying activities for the member that
-- month (value set cp_qualifying_activity, with its modifier where the list names one: the
-- assessment G0506 and the signed care plan T2024 count with U4, as the program bills them,
-- in either modifier column; all activity types together) dated while the
-- member was assigned to the CP, excluding unsuccessful outreach attempts (successful_contact
-- false). The row belongs to the CP.
WITH engaged_month AS (
  SELECT DISTINCT p.period_id, e.person_id, e.cp_id, mm.month
  FROM cp_enrollment e
  JOIN member_months mm
    ON mm.person_id = e.person_id
   AND e.care_plan_signed_date <= last_day(mm.month)
   AND e.assignment_date <= last_day(mm.month)
   AND coalesce(e.disenrollment_date, DATE '9999-12-31') >= mm.month
  JOIN periods p ON mm.month BETWEEN p.window_start AND p.period_end
),
activity_by_month AS (
  SELECT t.person_id, t.cp_id, CAST(date_trunc('month', t.activity_date) AS DATE) AS month,
         count(DISTINCT t.activity_id) AS activities
  FROM cp_activity t
  WHERE EXISTS (  -- a code whose list entry names a modifier (G0506-U4, T2024-U4) needs it,
                  -- in either modifier column (95 first on a telehealth one: 95, U4)
      SELECT 1 FROM value_set v
      WHERE v.value_set = 'cp_qualifying_activity' AND v.code = t.hcpcs_code
        AND (v.modifier IS NULL OR v.modifier IN (t.hcpcs_modifier, t.hcpcs_modifier_2)))
    AND coalesce(t.successful_contact, true)
    AND {{ in_computed_months("t.activity_date") }}
    AND EXISTS (
      SELECT 1 FROM cp_enrollment e
      WHERE e.person_id = t.person_id AND e.cp_id = t.cp_id
        AND t.activity_date BETWEEN e.assignment_date
                                AND coalesce(e.disenrollment_date, DATE '9999-12-31'))
  GROUP BY ALL
)
SELECT m.period_id, m.person_id, m.month AS attr_month, m.cp_id,
       coalesce(a.activities, 0) AS numerator,
       1 AS denominator
FROM engaged_month m
LEFT JOIN activity_by_month a USING (person_id, cp_id, month)
