{#- A rate per member month: every member month in the window is one unit with the member's
    events that month, rolled up to one row per member and ACO/CP/practice combination. Include
    after the CTE events_by_month (person_id, month, events) and a comma; counting only the
    months of the periods computed there (the windows' months) gives the same rows for less
    work. Used by acute_admissions, non_emergent_ed, rx_scripts and rx_bh_scripts. -#}
unit AS (
  -- each member month with its attribution (helpers.sql: one join for every measure)
  SELECT p.period_id, mm.person_id, mm.month, coalesce(x.events, 0) AS events,
         mm.aco_id, mm.cp_id, mm.practice_id
  FROM member_month_attribution mm
  JOIN periods p ON mm.month BETWEEN p.window_start AND p.period_end
  LEFT JOIN events_by_month x USING (person_id, month)
)
-- One row per member and ACO/CP/practice combination in the quarter (usually one per
-- member): its numerator and denominator are the sums over those member months, so every
-- total is unchanged and there are about three times fewer rows to aggregate.
SELECT period_id, person_id, max(month) AS attr_month,
       sum(events) AS numerator,
       count(*) AS denominator
FROM unit
GROUP BY period_id, person_id, aco_id, cp_id, practice_id
