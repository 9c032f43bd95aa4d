{#- Members with diabetes, as HEDIS finds them: the CTEs diabetic_by_claim (period_id,
    person_id, condition) and diabetic (period_id, person_id), for each period, from the
    evidence in its 12-month window and the `diabetes_lookback` months before it (12 for the
    HEDIS measures, whose specs then have lookback_months: 12; 0 for the window alone), and
    with `diabetes_exclusion` true, the CTE diabetes_excluded (HEDIS's exclusion, below).
    Include right after `WITH` (or after a comma) with both set around it by
    `{% with diabetes_lookback=12, diabetes_exclusion=true %}`; the spec must require
    medical_claim and pharmacy_claim. Used by _diabetes_denominator.sql (the four diabetes
    measures, with the exclusion), ssd (which excludes these members; without it) and
    prevalence_diabetes (with it). -#}
{% if diabetes_lookback %}
{% set evidence_from = "p.window_start - INTERVAL %d MONTH" % diabetes_lookback %}
-- Diabetes in the window or the {{ diabetes_lookback }} months before it, found either way:
{% else %}
{% set evidence_from = "p.window_start" %}
-- Diabetes in the window, found either way:
{% endif %}
--   claims: a diabetes diagnosis (diabetes_dx) found on claims (_diagnosed.sql: one acute
--     inpatient stay, or claims of two or more different dates);
--   pharmacy: a diabetes medicine dispensed (drug-class group diabetes_medication: insulin or
--     a glucose-lowering drug other than metformin alone).
{% if diabetes_exclusion %}
-- Excluded (HEDIS's diabetes exclusion): members with no diabetes diagnosis on any claim in
-- that time and a diagnosis of polycystic ovarian syndrome, gestational diabetes or drug or
-- chemical induced diabetes (diabetes_exclusion_dx): found by a medicine alone, they probably
-- do not have diabetes mellitus.
{% endif %}
{% with cte="diabetic_by_claim", conditions={"diabetes": ["diabetes_dx"]},
        evidence_from=evidence_from %}
{% include "_diagnosed.sql" %}
{% endwith %}
,
{% if diabetes_exclusion %}
diabetes_excluded AS (
  SELECT p.period_id, c.person_id
  FROM {{ shared("condition_claim") }} c
  JOIN periods p ON c.claim_start_date BETWEEN {{ evidence_from }} AND p.period_end
  WHERE c.value_set IN ('diabetes_dx', 'diabetes_exclusion_dx')
  GROUP BY ALL
  HAVING NOT bool_or(c.value_set = 'diabetes_dx')
),
{% endif %}
diabetic AS (
  SELECT period_id, person_id FROM diabetic_by_claim
  UNION
  SELECT p.period_id, f.person_id
  FROM {{ shared("diabetes_fill") }} f
  JOIN periods p ON f.dispensing_date BETWEEN {{ evidence_from }} AND p.period_end
{% if diabetes_exclusion %}
  WHERE NOT EXISTS (  -- a member found by a claim has a diabetes diagnosis: never excluded
    SELECT 1 FROM diabetes_excluded x
    WHERE x.period_id = p.period_id AND x.person_id = f.person_id)
{% endif %}
)
