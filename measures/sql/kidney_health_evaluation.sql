-- Kidney health evaluation for members with diabetes (adapted from NCQA HEDIS KED).
-- Units: members aged 18-85 at the end of the 12-month window, enrolled at least 11 of its 12
-- months and in its last month, with diabetes (two professional claims or one institutional
-- claim with a diabetes diagnosis in the window).
-- Excluded: end-stage renal disease, dialysis or a kidney transplant (a diagnosis on any claim
-- up to the end of the window).
-- Numerator: BOTH an eGFR (a serum creatinine test or an eGFR result) AND a urine
-- albumin-creatinine ratio (uACR) in the window. A uACR is a uACR result, or a quantitative
-- urine albumin test and a urine creatinine test 4 days or less apart (claims or results).
WITH diabetes_claim AS (
  SELECT DISTINCT person_id, claim_id, claim_type, claim_start_date
  FROM claim_diagnosis
  WHERE in_value_set(code, 'diabetes_dx')
),
diabetic AS (
  SELECT p.period_id, d.person_id
  FROM diabetes_claim d
  JOIN periods p ON d.claim_start_date BETWEEN p.window_start AND p.period_end
  GROUP BY ALL
  HAVING count(DISTINCT d.claim_id) FILTER (WHERE d.claim_type = 'professional') >= 2
      OR count(DISTINCT d.claim_id) FILTER (WHERE d.claim_type = 'institutional') >= 1
),
eligible AS (
  SELECT d.period_id, d.person_id, p.window_start, p.period_end
  FROM diabetic d
  JOIN periods p USING (period_id)
  JOIN person m ON m.person_id = d.person_id
  JOIN period_enrollment e
    ON e.period_id = d.period_id AND e.person_id = d.person_id AND e."window" = 'year'
  WHERE year(p.period_end) - m.birth_year BETWEEN 18 AND 85
    AND e.months_enrolled >= 11 AND e.enrolled_at_end
    AND NOT EXISTS (
      SELECT 1 FROM claim_diagnosis x
      WHERE x.person_id = d.person_id AND in_value_set(x.code, 'esrd_dx')
        AND x.claim_start_date <= p.period_end)
),
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
