{#- Members with diabetes: the CTE eligible (period_id, person_id, window_start, period_end),
    with those before it. Include right after `WITH`, with max_age and exclude_esrd (true or
    false) set around it by `{% with max_age=75, exclude_esrd=false %}`; it ends with the CTE
    eligible (write a comma on the next line to add more CTEs). Used by hba1c_testing,
    hba1c_poor_control, diabetes_eye_exam and kidney_health_evaluation, whose specs must have
    lookback_months: 12 (it reads the year before the window) and require pharmacy_claim. -#}
-- Members aged 18-{{ max_age }} at the end of the 12-month window, enrolled at least 11 of its 12
-- months and in its last month, with diabetes in the window or the 12 months before it (the
-- spec's lookback_months: 12), found either way:
--   claims: a diabetes diagnosis on one acute inpatient stay, or on other claims (visits) of
--     two or more different dates (the two dates may fall in different years);
--   pharmacy: a diabetes medicine dispensed (drug-class group diabetes_medication: insulin or
--     a glucose-lowering drug other than metformin alone).
{% if exclude_esrd %}
-- Excluded: end-stage renal disease, dialysis or a kidney transplant (a diagnosis on any claim
-- up to the end of the window).
{% endif %}
diabetic_by_claim AS (
  SELECT p.period_id, d.person_id
  FROM {{ shared("diabetes_claim") }} d
  JOIN periods p
    ON d.claim_start_date BETWEEN p.window_start - INTERVAL 12 MONTH AND p.period_end
  GROUP BY ALL
  HAVING bool_or(d.acute_inpatient)
      OR count(DISTINCT d.claim_start_date) FILTER (WHERE NOT d.acute_inpatient) >= 2
),
diabetic AS (
  SELECT period_id, person_id FROM diabetic_by_claim
  UNION
  SELECT p.period_id, f.person_id
  FROM {{ shared("diabetes_fill") }} f
  JOIN periods p
    ON f.dispensing_date BETWEEN p.window_start - INTERVAL 12 MONTH AND p.period_end
),
eligible AS (
  SELECT d.period_id, d.person_id, p.window_start, p.period_end
  FROM diabetic d
  JOIN periods p USING (period_id)
  JOIN person m ON m.person_id = d.person_id
  JOIN period_enrollment e
    ON e.period_id = d.period_id AND e.person_id = d.person_id AND e."window" = 'year'
  WHERE year(p.period_end) - m.birth_year BETWEEN 18 AND {{ max_age }}
    AND e.months_enrolled >= 11 AND e.enrolled_at_end
{% if exclude_esrd %}
    AND NOT EXISTS (
      SELECT 1 FROM claim_diagnosis x
      WHERE x.person_id = d.person_id AND in_value_set(x.code, 'esrd_dx')
        AND x.claim_start_date <= p.period_end)
{% endif %}
)
