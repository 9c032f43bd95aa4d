-- Helper views every measure may use. Created once per build, after the marts are loaded.
-- Parameters are filled in by engine.py: {data_start}, {data_end}, {target_end}.

-- The span of data this build covers.
CREATE OR REPLACE TABLE data_window AS
SELECT DATE '{data_start}' AS data_start, DATE '{data_end}' AS data_end;

-- Every calendar month in the data window.
CREATE OR REPLACE TABLE months AS
SELECT CAST(m AS DATE) AS month
FROM range(DATE '{data_start}', DATE '{data_end}' + INTERVAL 1 DAY, INTERVAL 1 MONTH) t(m);

-- Every reporting quarter in the data window, up to the period being published.
CREATE OR REPLACE TABLE all_periods AS
SELECT year(q) || 'Q' || quarter(q) AS period_id,
       CAST(q AS DATE) AS period_start,
       CAST(q + INTERVAL 3 MONTH - INTERVAL 1 DAY AS DATE) AS period_end
FROM range(DATE '{data_start}', DATE '{target_end}', INTERVAL 3 MONTH) t(q)
WHERE CAST(q + INTERVAL 3 MONTH - INTERVAL 1 DAY AS DATE) <= DATE '{target_end}';

-- A person counts for a month if any enrollment span touches that month.
CREATE OR REPLACE TABLE member_months AS
SELECT DISTINCT e.person_id, m.month
FROM eligibility e
JOIN months m
  ON m.month <= e.enrollment_end_date
 AND m.month + INTERVAL 1 MONTH > e.enrollment_start_date;

-- One row per member: demographics from the latest enrollment span, language from `member`.
CREATE OR REPLACE TABLE person AS
SELECT e.person_id,
       arg_max(e.gender, e.enrollment_start_date) AS gender,
       arg_max(e.race, e.enrollment_start_date) AS race,
       arg_max(e.birth_year, e.enrollment_start_date) AS birth_year,
       any_value(m.language) AS language
FROM eligibility e
LEFT JOIN member m USING (person_id)
GROUP BY e.person_id;

-- Every diagnosis on a medical claim line, one row per position (position 1 = principal).
CREATE OR REPLACE VIEW claim_diagnosis AS
UNPIVOT (
  SELECT claim_id, claim_line_number, person_id, claim_type, claim_start_date, claim_end_date,
         diagnosis_code_1, diagnosis_code_2, diagnosis_code_3, diagnosis_code_4, diagnosis_code_5
  FROM medical_claim
) ON diagnosis_code_1, diagnosis_code_2, diagnosis_code_3, diagnosis_code_4, diagnosis_code_5
INTO NAME position VALUE code;

-- Value-set codes, with ICD-10-CM prefixes expanded to the codes that occur in the claims,
-- so measures can join on exact codes.
CREATE OR REPLACE TABLE value_set_codes AS
SELECT value_set, code, code_system FROM value_set WHERE code_system <> 'ICD10CM'
UNION
SELECT v.value_set, d.code, v.code_system
FROM (SELECT DISTINCT code FROM claim_diagnosis) d
JOIN value_set v ON v.code_system = 'ICD10CM' AND starts_with(d.code, v.code);

CREATE OR REPLACE MACRO in_value_set(c, vs) AS
  c IN (SELECT code FROM value_set_codes WHERE value_set = vs);

-- Acute and other inpatient stays, one row per institutional inpatient claim.
CREATE OR REPLACE TABLE inpatient_stay AS
SELECT claim_id, any_value(person_id) AS person_id,
       min(coalesce(admission_date, claim_start_date)) AS admission_date,
       max(coalesce(discharge_date, claim_end_date)) AS discharge_date,
       any_value(discharge_disposition_code) AS discharge_disposition_code,
       any_value(diagnosis_code_1) AS principal_dx,
       any_value(bill_type_code) AS bill_type_code,
       sum(paid_amount) AS paid_amount
FROM medical_claim
WHERE claim_type = 'institutional' AND left(bill_type_code, 2) IN ('11', '12')
GROUP BY claim_id;

-- Months enrolled in each period's rolling 12-month and quarter windows.
CREATE OR REPLACE TABLE period_enrollment AS
SELECT p.period_id, w.window_kind AS "window", mm.person_id,
       count(*) AS months_enrolled,
       bool_or(mm.month = date_trunc('month', p.period_end)) AS enrolled_at_end
FROM all_periods p
CROSS JOIN (VALUES ('year'), ('quarter')) w(window_kind)
JOIN member_months mm
  ON mm.month BETWEEN (CASE w.window_kind WHEN 'year'
                         THEN CAST(p.period_end - INTERVAL 12 MONTH + INTERVAL 1 DAY AS DATE)
                         ELSE p.period_start END)
                  AND p.period_end
GROUP BY ALL;
