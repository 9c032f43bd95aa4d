{#- Members with diabetes, as HEDIS finds them: the CTEs diabetic_by_claim and diabetic
    (period_id, person_id), for each period, from the evidence in its 12-month window and the
    `diabetes_lookback` months before it (12 for the HEDIS measures, whose specs then have
    lookback_months: 12; 0 for the window alone). Include right after `WITH` (or after a
    comma) with diabetes_lookback set around it by `{% with diabetes_lookback=12 %}`; the spec
    must require medical_claim and pharmacy_claim. Used by _diabetes_denominator.sql (the four
    diabetes measures), ssd (which excludes these members) and prevalence_diabetes. -#}
{% if diabetes_lookback %}
{% set evidence_from = "p.window_start - INTERVAL %d MONTH" % diabetes_lookback %}
-- Diabetes in the window or the {{ diabetes_lookback }} months before it, found either way:
{% else %}
{% set evidence_from = "p.window_start" %}
-- Diabetes in the window, found either way:
{% endif %}
--   claims: a diabetes diagnosis (any position) on one acute inpatient stay, or on other
--     claims (visits) of two or more different dates;
--   pharmacy: a diabetes medicine dispensed (drug-class group diabetes_medication: insulin or
--     a glucose-lowering drug other than metformin alone).
diabetic_by_claim AS (
  SELECT p.period_id, d.person_id
  FROM {{ shared("diabetes_claim") }} d
  JOIN periods p ON d.claim_start_date BETWEEN {{ evidence_from }} AND p.period_end
  GROUP BY ALL
  HAVING bool_or(d.acute_inpatient)
      OR count(DISTINCT d.claim_start_date) FILTER (WHERE NOT d.acute_inpatient) >= 2
),
diabetic AS (
  SELECT period_id, person_id FROM diabetic_by_claim
  UNION
  SELECT p.period_id, f.person_id
  FROM {{ shared("diabetes_fill") }} f
  JOIN periods p ON f.dispensing_date BETWEEN {{ evidence_from }} AND p.period_end
)
