{#- The prevalence_* measures. Parameter: value_sets, the condition's diagnosis value sets
    (measures/value_sets/<name>.csv, among those of the shared table condition_claim),
    separated by commas. -#}
-- {{ id }}: share of members with a diagnosis in {{ value_sets }}.
-- Units: members enrolled in the last month of the 12-month window (attributed by that month).
-- Numerator: the condition found on claims in the window (_diagnosed.sql): a diagnosis on one
-- acute inpatient stay, or on claims of two or more different dates.
WITH
{% with cte="diagnosed", evidence_from="p.window_start",
         conditions={id: value_sets.split(",") | map("trim") | list} %}
{% include "_diagnosed.sql" %}
{% endwith %}
,
base AS (  -- members enrolled in the last month of the 12-month window
  SELECT p.period_id, e.person_id, p.period_end
  FROM periods p
  JOIN period_enrollment e ON e.period_id = p.period_id AND e."window" = 'year'
  WHERE e.enrolled_at_end
)
SELECT b.period_id, b.person_id, b.period_end AS attr_month,
       CASE WHEN d.person_id IS NULL THEN 0 ELSE 1 END AS numerator,
       1 AS denominator
FROM base b
LEFT JOIN diagnosed d USING (period_id, person_id)
