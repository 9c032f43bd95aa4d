-- HbA1c poor control (> 9.0%) for members with diabetes (adapted from NCQA HEDIS GSD, the
-- inverse "poor control" rate). Lower is better.
-- Units: the same members as hba1c_testing: aged 18-75 at the end of the 12-month window,
-- continuously enrolled in it (HEDIS rule: period_enrollment), with diabetes in the window or
-- the 12 months before it (claims or a diabetes medicine; _diabetes_denominator.sql).
-- Numerator (poor control): the most recent HbA1c result in the window is above 9.0%, or there is
-- no HbA1c result in the window, or the most recent HbA1c test has no result. Results: a clinical
-- result (LOINC 4548-4, 4549-2, 17855-8, 17856-6) with its value, or a CPT II result band on a
-- claim (3044F, 3045F, 3051F, 3052F: 9.0% or less; 3046F, the only code of hba1c_above_9, above
-- 9.0%). When several results share the most recent day, the lowest counts, so that day is poor
-- control only if every result that day is above 9.0%. A test billed without a result (CPT 83036,
-- 83037: in hba1c_test, not in hba1c_result) is a test with a missing result on its day: the most
-- recent test day holding only such claims is poor control; on a day that also has a result, the
-- result counts. Such a claim dated 1-7 days after a result is taken as that result's own test
-- (labs often bill a day or two after the result is recorded): the result counts.
WITH
{% with max_age=75, exclude_esrd=false %}
{% include "_diabetes_denominator.sql" %}
{% endwith %}
,
result_value AS (  -- one row per HbA1c result: its day and whether it is above 9.0%
  SELECT person_id, result_date AS result_day, value > 9.0 AS above_9
  FROM clinical_result
  WHERE in_value_set(loinc_code, 'hba1c_result')
  UNION ALL
  SELECT person_id, claim_start_date, in_value_set(hcpcs_code, 'hba1c_above_9')
  FROM medical_claim
  WHERE in_value_set(hcpcs_code, 'hba1c_result')
),
result AS (  -- the results, and each test without a result as above 9.0% (a missing result)
             -- unless a result is dated on its day (the result counts) or in the 7 days before
             -- it: a lab claim billed a day or two after the result was recorded is that
             -- result's own test, not a later one
  SELECT person_id, result_day, above_9 FROM result_value
  UNION ALL
  SELECT c.person_id, c.claim_start_date, true
  FROM medical_claim c
  WHERE in_value_set(c.hcpcs_code, 'hba1c_test') AND NOT in_value_set(c.hcpcs_code, 'hba1c_result')
    AND NOT EXISTS (
      SELECT 1 FROM result_value v
      WHERE v.person_id = c.person_id
        AND v.result_day BETWEEN c.claim_start_date - INTERVAL 7 DAY AND c.claim_start_date)
),
last_day AS (
  SELECT e.period_id, e.person_id, max(r.result_day) AS result_day
  FROM eligible e
  JOIN result r
    ON r.person_id = e.person_id AND r.result_day BETWEEN e.window_start AND e.period_end
  GROUP BY ALL
),
last_result AS (
  SELECT l.period_id, l.person_id, bool_and(r.above_9) AS above_9
  FROM last_day l
  JOIN result r ON r.person_id = l.person_id AND r.result_day = l.result_day
  GROUP BY ALL
)
SELECT e.period_id, e.person_id, e.period_end AS attr_month,
       CASE WHEN coalesce(l.above_9, true) THEN 1 ELSE 0 END AS numerator,
       1 AS denominator
FROM eligible e
LEFT JOIN last_result l USING (period_id, person_id)
