-- Frequent ED users: members with 4 or more ED visits in the 12-month window, per 1,000
-- members. An ED visit is a distinct member and service date with an ED revenue code, an ED
-- evaluation and management code (value set ed_visit) or place of service 23; visits in
-- months the member was not enrolled are not counted. Unlike ed_visits, every visit counts
-- (those followed by an admission and those for a mental disorder too), as in the seed's "ER
-- visits by member" report. Units: members enrolled in at least one month of the window,
-- attributed in their last enrolled month.
WITH member AS (
  SELECT p.period_id, p.window_start, p.period_end, mm.person_id, max(mm.month) AS last_month
  FROM member_months mm
  JOIN periods p ON mm.month BETWEEN p.window_start AND p.period_end
  GROUP BY ALL
),
{% include "_enrolled_ed_visit.sql" %},
visits AS (
  SELECT m.period_id, m.person_id, count(*) AS visits
  FROM member m
  JOIN enrolled_ed_visit v
    ON v.person_id = m.person_id AND v.visit_date BETWEEN m.window_start AND m.period_end
  GROUP BY ALL
)
SELECT m.period_id, m.person_id, m.last_month AS attr_month,
       CASE WHEN coalesce(v.visits, 0) >= 4 THEN 1 ELSE 0 END AS numerator,
       1 AS denominator
FROM member m
LEFT JOIN visits v USING (period_id, person_id)
