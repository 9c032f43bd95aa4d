{#- WCV, one age band. Parameters: min_age, max_age (at the end of the window). -#}
-- Well-care visits for members aged {{ min_age }}-{{ max_age }} (adapted from NCQA HEDIS WCV).
-- Units: members aged {{ min_age }}-{{ max_age }} at the end of the 12-month window, continuously
-- enrolled in it (HEDIS rule: period_enrollment).
-- Numerator: a well-care visit in the window: a preventive-medicine visit code (CPT
-- 99381-99397, HCPCS G0438, G0439, S0302, S0610, S0612, S0613) or a routine-examination
-- diagnosis (Z00.0x, Z00.12x, Z00.2, Z00.3, Z02.5, Z76.1, Z76.2) on any claim. The provider's
-- specialty is not in the marts, so "with a primary care provider or OB/GYN" is not checked.
WITH eligible AS (
  SELECT p.period_id, e.person_id, p.window_start, p.period_end
  FROM periods p
  JOIN period_enrollment e ON e.period_id = p.period_id AND e."window" = 'year'
  JOIN person m ON m.person_id = e.person_id
  WHERE year(p.period_end) - m.birth_year BETWEEN {{ min_age }} AND {{ max_age }}
    AND e.continuously_enrolled
),
well_visit AS (
  SELECT person_id, claim_start_date AS visit_date
  FROM medical_claim WHERE in_value_set(hcpcs_code, 'well_care_visit')
  UNION
  SELECT person_id, claim_start_date
  FROM claim_diagnosis WHERE in_value_set(code, 'well_care_visit')
)
SELECT e.period_id, e.person_id, e.period_end AS attr_month,
       CASE WHEN EXISTS (
         SELECT 1 FROM well_visit v
         WHERE v.person_id = e.person_id AND v.visit_date BETWEEN e.window_start AND e.period_end
       ) THEN 1 ELSE 0 END AS numerator,
       1 AS denominator
FROM eligible e
