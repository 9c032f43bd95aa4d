-- Member months. A member month is one member enrolled for any part of one calendar month.
-- Units: a member's months in the quarter with the same ACO, CP and practice attribution
-- (usually one unit per member); numerator: those member months;
-- denominator 1. The numerator total is the member months of each ACO, CP, practice and
-- group exactly; the value (numerator / units) is the average months enrolled per member.
WITH enrolled AS (
  SELECT p.period_id, mm.person_id, mm.month, a.aco_id, a.cp_id, a.practice_id
  FROM member_months mm
  JOIN periods p ON mm.month BETWEEN p.window_start AND p.period_end
  -- attribution only in the months of the periods computed: the same rows, fewer to match
  LEFT JOIN (SELECT * FROM attribution
             WHERE {{ in_computed_months("month") }}) a
    ON a.person_id = mm.person_id AND a.month = mm.month
)
SELECT period_id, person_id, max(month) AS attr_month,
       count(*) AS numerator,
       1 AS denominator
FROM enrolled
GROUP BY period_id, person_id, aco_id, cp_id, practice_id
