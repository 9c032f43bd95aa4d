{#- Members with diabetes: the CTE eligible (period_id, person_id, window_start, period_end),
    with those before it. Include right after `WITH`, with max_age and exclude_esrd (true or
    false) set around it by `{% with max_age=75, exclude_esrd=false %}`; it ends with the CTE
    eligible (write a comma on the next line to add more CTEs). Used by hba1c_testing,
    hba1c_poor_control, diabetes_eye_exam and kidney_health_evaluation, whose specs must have
    lookback_months: 12 (it reads the year before the window) and require pharmacy_claim. The
    members with diabetes (CTE diabetic) come from _diabetic.sql, which ssd and
    prevalence_diabetes include too. -#}
-- Members aged 18-{{ max_age }} at the end of the 12-month window, continuously enrolled in it
-- (HEDIS rule: period_enrollment), with diabetes in the window or the 12 months before it (the
-- spec's lookback_months: 12; _diabetic.sql).
{% if exclude_esrd %}
-- Excluded: end-stage renal disease, dialysis or a kidney transplant (a diagnosis on any claim
-- up to the end of the window).
{% endif %}
{% with diabetes_lookback=12, diabetes_exclusion=true %}
{% include "_diabetic.sql" %}
{% endwith %}
,
eligible AS (
  SELECT d.period_id, d.person_id, p.window_start, p.period_end
  FROM diabetic d
  JOIN periods p USING (period_id)
  JOIN person m ON m.person_id = d.person_id
  JOIN period_enrollment e
    ON e.period_id = d.period_id AND e.person_id = d.person_id AND e."window" = 'year'
  WHERE year(p.period_end) - m.birth_year BETWEEN 18 AND {{ max_age }}
    AND e.continuously_enrolled
{% if exclude_esrd %}
    AND NOT EXISTS (
      SELECT 1 FROM claim_diagnosis x
      WHERE x.person_id = d.person_id AND in_value_set(x.code, 'esrd_dx')
        AND x.claim_start_date <= p.period_end)
{% endif %}
)
