-- CP disenrollment rate. Units: CP assignments active on at least one day of the 12-month
-- window (assigned on or before its last day and not disenrolled before its first day).
-- Numerator: the assignment ended (disenrollment date) inside the window, whatever the
-- reason. The row belongs to the CP of the assignment and to the month it ended (or the last
-- month of the window for assignments still open).
SELECT p.period_id, e.person_id,
       CASE WHEN e.disenrollment_date <= p.period_end THEN e.disenrollment_date
            ELSE p.period_end END AS attr_month,
       e.cp_id,
       CASE WHEN e.disenrollment_date BETWEEN p.window_start AND p.period_end THEN 1 ELSE 0 END
         AS numerator,
       1 AS denominator
FROM cp_enrollment e
JOIN periods p
  ON e.assignment_date <= p.period_end
 AND coalesce(e.disenrollment_date, DATE '9999-12-31') >= p.window_start
