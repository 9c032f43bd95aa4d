-- Kidney health evaluation for members with diabetes (adapted from NCQA HEDIS KED).
-- Units: members aged 18-85 at the end of the 12-month window, continuously enrolled in it (HEDIS
-- rule: period_enrollment), with diabetes in the window or the 12 months before it (claims or a
-- diabetes medicine; _diabetes_denominator.sql).
-- Excluded: end-stage renal disease, dialysis or a kidney transplant (a diagnosis on any claim
-- up to the end of the window).
-- Numerator: BOTH an eGFR (a serum creatinine test or an eGFR result) AND a urine
-- albumin-creatinine ratio (uACR) in the window. A uACR is a uACR result, or a quantitative
-- urine albumin test and a urine creatinine test 4 days or less apart (claims or results).
WITH
{% with max_age=85, exclude_esrd=true %}
{% include "_diabetes_denominator.sql" %}
{% endwith %}
,
test AS (  -- every claim code and clinical result, with its day
  SELECT person_id, claim_start_date AS test_date, hcpcs_code AS code FROM medical_claim
  UNION ALL
  SELECT person_id, result_date, loinc_code FROM clinical_result
),
kind AS (
  SELECT person_id, test_date, 'egfr' AS kind FROM test WHERE in_value_set(code, 'egfr_test')
  UNION ALL
  SELECT person_id, test_date, 'uacr' FROM test WHERE in_value_set(code, 'uacr_test')
  UNION ALL
  SELECT person_id, test_date, 'albumin' FROM test WHERE in_value_set(code, 'urine_albumin_test')
  UNION ALL
  SELECT person_id, test_date, 'creatinine' FROM test
  WHERE in_value_set(code, 'urine_creatinine_test')
),
in_window AS (
  SELECT e.period_id, e.person_id, k.test_date, k.kind
  FROM eligible e
  JOIN kind k
    ON k.person_id = e.person_id AND k.test_date BETWEEN e.window_start AND e.period_end
),
uacr_pair AS (  -- urine albumin and urine creatinine tests 4 days or less apart
  SELECT DISTINCT a.period_id, a.person_id
  FROM in_window a
  JOIN in_window c
    ON c.period_id = a.period_id AND c.person_id = a.person_id
   AND a.kind = 'albumin' AND c.kind = 'creatinine'
   AND abs(c.test_date - a.test_date) <= 4
),
evaluated AS (
  SELECT w.period_id, w.person_id,
         bool_or(w.kind = 'egfr') AS egfr,
         bool_or(w.kind = 'uacr') OR bool_or(u.person_id IS NOT NULL) AS uacr
  FROM in_window w
  LEFT JOIN uacr_pair u USING (period_id, person_id)
  GROUP BY ALL
)
SELECT e.period_id, e.person_id, e.period_end AS attr_month,
       CASE WHEN v.egfr AND v.uacr THEN 1 ELSE 0 END AS numerator,
       1 AS denominator
FROM eligible e
LEFT JOIN evaluated v USING (period_id, person_id)
