-- Caseload per care team: members per care team per month, averaged over care-team months.
-- A member's care team in a month is the care_team_id of the latest cp_activity (any kind,
-- with a care team) of the member's CP assignment on or before the last day of the month;
-- members whose assignment has no activity with a care team yet have no team and are not
-- counted. Units: care-team months in the quarter (denominator 1 each); numerator: the
-- team's members that month (assigned to the CP for at least one day of the month).
-- A unit is a team, not a person: person_id carries one of the team's members only because
-- the long shape needs one; the row's CP is the team's CP, and the spec limits the levels to
-- program and CP and declares no strata.
-- Only the months of the periods computed are looked at (three for one quarter).
WITH period_month AS (
  SELECT DISTINCT m.month
  FROM months m
  JOIN periods p ON m.month BETWEEN p.window_start AND p.period_end
),
assigned_month AS (
  SELECT DISTINCT e.person_id, e.cp_id, e.assignment_date, m.month
  FROM cp_enrollment e
  JOIN period_month m
    ON e.assignment_date <= last_day(m.month)
   AND coalesce(e.disenrollment_date, DATE '9999-12-31') >= m.month
),
latest_activity AS (
  SELECT a.person_id, a.cp_id, a.month, t.care_team_id,
         row_number() OVER (PARTITION BY a.person_id, a.cp_id, a.assignment_date, a.month
                            ORDER BY t.activity_date DESC, t.activity_id DESC) AS recency
  FROM assigned_month a
  JOIN cp_activity t
    ON t.person_id = a.person_id AND t.cp_id = a.cp_id
   AND t.activity_date BETWEEN a.assignment_date AND last_day(a.month)
  WHERE t.care_team_id IS NOT NULL
),
team_member AS (
  SELECT DISTINCT person_id, cp_id, month, care_team_id
  FROM latest_activity
  WHERE recency = 1
)
SELECT p.period_id, min(t.person_id) AS person_id, t.month AS attr_month, t.cp_id,
       count(DISTINCT t.person_id) AS numerator,
       1 AS denominator
FROM team_member t
JOIN periods p ON t.month BETWEEN p.window_start AND p.period_end
GROUP BY p.period_id, t.cp_id, t.care_team_id, t.month
