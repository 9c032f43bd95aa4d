-- ED visits per 1,000 member months. Units are member months (denominator 1 each);
-- the numerator of a member month is the number of ED visits that month.
-- An ED visit is a distinct member and service date with an ED revenue code, an ED
-- evaluation and management code, or place of service 23 (shared/ed_visit_day.sql).
-- Not counted, as in the definition cited (seed 004 and HEDIS AMB): visits followed by a
-- hospital inpatient admission (type of bill 11x) on the same or the next day, and visits
-- with a principal diagnosis of a mental illness or substance use disorder (mental_disorder_dx).
WITH ed_visit AS (  -- one row per member and day
  SELECT person_id, visit_date FROM {{ shared("ed_visit_day") }}
  WHERE NOT admitted AND NOT mental_disorder
),
visits_by_month AS (
  SELECT person_id, CAST(date_trunc('month', visit_date) AS DATE) AS month, count(*) AS visits
  FROM ed_visit
  GROUP BY ALL
)
SELECT p.period_id, mm.person_id, mm.month AS attr_month,
       coalesce(v.visits, 0) AS numerator,
       1 AS denominator
FROM member_months mm
JOIN periods p ON mm.month BETWEEN p.window_start AND p.period_end
LEFT JOIN visits_by_month v USING (person_id, month)
