{#- Members with a condition found on claims: the CTE named by `cte`, (period_id, person_id,
    condition), one row for each condition a member has in a period. Include right after
    `WITH` (or after a comma) with these set around it by `{% with cte="diagnosed",
    conditions={"asthma_copd": ["asthma_dx", "copd_dx"]}, evidence_from="p.window_start" %}`:
    conditions maps each condition's name to its diagnosis value sets (those of the shared
    table condition_claim only, _condition_value_sets.sql: any other fails); evidence_from is the first day of evidence, in SQL over the
    period p. Used by prevalence.sql, high_risk_share.sql and _diabetic.sql. -#}
{% from "_condition_value_sets.sql" import condition_value_sets %}
{% for value_set in conditions.values() | sum(start=[]) if value_set not in condition_value_sets %}
{{ fail("value set %r is not in the shared table condition_claim: add it to "
        "sql/_condition_value_sets.sql" % value_set) }}
{% endfor %}
-- A condition is found, adapted from the CMS Chronic Conditions Warehouse algorithms and
-- HEDIS's denominators (one inpatient or two outpatient claims), when its diagnosis (any
-- position) is on one acute inpatient stay (type of bill 11x) or on other claims of two or
-- more different service dates. Simplified: any other claim counts as a visit (HEDIS names
-- the visit types), and the evidence period is the same for every condition.
{{ cte }} AS (
  SELECT p.period_id, c.person_id,
         CASE c.value_set
{% for condition, value_sets in conditions.items() %}
{% for value_set in value_sets %}
           WHEN '{{ value_set }}' THEN '{{ condition }}'
{% endfor %}
{% endfor %}
         END AS condition
  FROM {{ shared("condition_claim") }} c
  JOIN periods p ON c.claim_start_date BETWEEN {{ evidence_from }} AND p.period_end
  WHERE c.value_set IN ('{{ conditions.values() | sum(start=[]) | join("', '") }}')
  GROUP BY ALL
  HAVING bool_or(c.acute_inpatient)
      OR count(DISTINCT c.claim_start_date) FILTER (WHERE NOT c.acute_inpatient) >= 2
)
