-- Non-emergent ED visits per 1,000 member months (seed 004's 14 conditions usually treatable in
-- primary care). An ED visit is a distinct member and service date with an ED revenue code, an
-- ED evaluation and management code (value set ed_visit) or place of service 23; it is
-- non-emergent when the principal diagnosis (diagnosis_code_1) of one of its ED claim lines is
-- in value set non_emergent_ed_dx. Excluded: visits followed by a hospital inpatient admission
-- (type of bill 11x) on the same or the next day. Exposure: member months in the quarter;
-- numerator: the member's non-emergent ED visits in those months.
WITH ed_visit AS (  -- one row per member and day (shared/ed_visit_day.sql)
  SELECT person_id, visit_date, non_emergent, admitted FROM {{ shared("ed_visit_day") }}
),
events_by_month AS (
  SELECT v.person_id, CAST(date_trunc('month', v.visit_date) AS DATE) AS month, count(*) AS events
  FROM ed_visit v
  WHERE v.non_emergent AND NOT v.admitted
    AND {{ in_computed_months("v.visit_date") }}
  GROUP BY ALL
),
{% include "_events_per_member_month.sql" %}
