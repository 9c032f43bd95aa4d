{#- ED visits that count for a member: one row per member and day with an ED visit
    (shared/ed_visit_day.sql) in a month the member was enrolled, as ed_visits counts them.
    Include after `WITH` (or after a CTE and a comma). Used by frequent_ed_users and
    high_risk_share. -#}
enrolled_ed_visit AS (
  SELECT v.person_id, v.visit_date
  FROM {{ shared("ed_visit_day") }} v
  JOIN member_months mm
    ON mm.person_id = v.person_id AND mm.month = date_trunc('month', v.visit_date)
)
