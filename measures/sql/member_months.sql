-- Member months. A member month is one member enrolled for any part of one calendar month.
-- Units: a member's months in the quarter with the same ACO, CP and practice attribution
-- (usually one unit per member); numerator: those member months;
-- denominator 1. The numerator total is the member months of each ACO, CP, practice and
-- group exactly; the value (numerator / units) is the average months enrolled per member.
WITH enrolled AS (
  -- each member month with its attribution (helpers.sql: one join for every measure)
  SELECT p.period_id, mm.person_id, mm.month, mm.aco_id, mm.cp_id, mm.practice_id
  FROM member_month_attribution mm
  JOIN periods p ON mm.month BETWEEN p.window_start AND p.period_end
)
SELECT period_id, person_id, max(month) AS attr_month,
       count(*) AS numerator,
       1 AS denominator
FROM enrolled
GROUP BY period_id, person_id, aco_id, cp_id, practice_id
