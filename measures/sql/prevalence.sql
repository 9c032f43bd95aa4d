{#- The prevalence_* measures. Parameter: value_sets, the condition's diagnosis value sets
    (measures/value_sets/<name>.csv), separated by commas. -#}
-- {{ id }}: share of members with a diagnosis in {{ value_sets }}.
-- Units: members enrolled in the last month of the 12-month window (attributed by that month).
-- Numerator: a claim with a matching diagnosis (any position, any kind of claim) in the window.
WITH base AS (  -- members enrolled in the last month of the 12-month window
  SELECT p.period_id, e.person_id, p.window_start, p.period_end
  FROM periods p
  JOIN period_enrollment e ON e.period_id = p.period_id AND e."window" = 'year'
  WHERE e.enrolled_at_end
)
SELECT b.period_id, b.person_id, b.period_end AS attr_month,
       CASE WHEN EXISTS (
         SELECT 1 FROM claim_diagnosis d
         WHERE d.person_id = b.person_id
           AND d.claim_start_date BETWEEN b.window_start AND b.period_end
           AND (
{% for value_set in value_sets.split(',') %}
             {{ 'OR ' if not loop.first else '' }}in_value_set(d.code, '{{ value_set.strip() }}')
{% endfor %}
           )
       ) THEN 1 ELSE 0 END AS numerator,
       1 AS denominator
FROM base b
