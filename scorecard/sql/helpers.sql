-- Helper views every measure may use. Created once per build, after the marts are loaded.
-- Parameters are filled in by engine.py: {data_start}, {data_end}, {target_end} and
-- {first_quarter} (the first day of the quarter holding data_start).

-- The span of data this build covers.
CREATE OR REPLACE TABLE data_window AS
SELECT DATE '{data_start}' AS data_start, DATE '{data_end}' AS data_end;

-- Every calendar month in the data window. (Helpers are also translated to Spark SQL by
-- scorecard/transpile.py: prefer unnest(generate_series(...)) in a SELECT list to range() in
-- FROM, and UNION ALL to UNPIVOT.)
CREATE OR REPLACE TABLE months AS
SELECT CAST(m AS DATE) AS month
FROM (SELECT unnest(generate_series(DATE '{data_start}', DATE '{data_end}', INTERVAL 1 MONTH))
             AS m);

-- Every reporting quarter in the data window, up to the period being published.
CREATE OR REPLACE TABLE all_periods AS
SELECT year(q) || 'Q' || quarter(q) AS period_id,
       CAST(q AS DATE) AS period_start,
       CAST(q + INTERVAL 3 MONTH - INTERVAL 1 DAY AS DATE) AS period_end
FROM (SELECT unnest(generate_series(DATE '{first_quarter}', DATE '{target_end}', INTERVAL 3 MONTH))
             AS q)
WHERE CAST(q + INTERVAL 3 MONTH - INTERVAL 1 DAY AS DATE) <= DATE '{target_end}';

-- A person counts for a month if any enrollment span touches that month: each span is
-- listed month by month inside the data window. Only a member with several spans can have a
-- month twice, so only theirs are made distinct (at a million members half the time of
-- joining every span to every month and making all 18 million rows distinct).
CREATE OR REPLACE TABLE member_months AS
WITH span AS (
  SELECT person_id,
         greatest(CAST(date_trunc('month', enrollment_start_date) AS DATE),
                  DATE '{data_start}') AS first_month,
         least(enrollment_end_date, DATE '{data_end}') AS last_day,
         count(*) OVER (PARTITION BY person_id) AS spans
  FROM eligibility
)
SELECT DISTINCT person_id, CAST(month AS DATE) AS month
FROM (SELECT person_id, unnest(generate_series(first_month, last_day, INTERVAL 1 MONTH)) AS month
      FROM span WHERE spans > 1 AND first_month <= last_day)
UNION ALL
SELECT person_id, CAST(month AS DATE) AS month
FROM (SELECT person_id, unnest(generate_series(first_month, last_day, INTERVAL 1 MONTH)) AS month
      FROM span WHERE spans = 1 AND first_month <= last_day);

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
-- position is the column name, e.g. 'diagnosis_code_1'; empty positions have no row.
CREATE OR REPLACE TABLE claim_diagnosis AS
SELECT claim_id, claim_line_number, person_id, claim_type, claim_start_date, claim_end_date,
       'diagnosis_code_1' AS position, diagnosis_code_1 AS code
FROM medical_claim WHERE diagnosis_code_1 IS NOT NULL
UNION ALL
SELECT claim_id, claim_line_number, person_id, claim_type, claim_start_date, claim_end_date,
       'diagnosis_code_2' AS position, diagnosis_code_2 AS code
FROM medical_claim WHERE diagnosis_code_2 IS NOT NULL
UNION ALL
SELECT claim_id, claim_line_number, person_id, claim_type, claim_start_date, claim_end_date,
       'diagnosis_code_3' AS position, diagnosis_code_3 AS code
FROM medical_claim WHERE diagnosis_code_3 IS NOT NULL
UNION ALL
SELECT claim_id, claim_line_number, person_id, claim_type, claim_start_date, claim_end_date,
       'diagnosis_code_4' AS position, diagnosis_code_4 AS code
FROM medical_claim WHERE diagnosis_code_4 IS NOT NULL
UNION ALL
SELECT claim_id, claim_line_number, person_id, claim_type, claim_start_date, claim_end_date,
       'diagnosis_code_5' AS position, diagnosis_code_5 AS code
FROM medical_claim WHERE diagnosis_code_5 IS NOT NULL;

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

-- Months enrolled in each period's rolling 12-month and quarter windows. Counted per quarter
-- first (a 12-month window is the four quarters ending with the period's), which is the same
-- as joining every member month to every window and 2x faster at a million members.
-- Declared as a view: engine.make_period_enrollment makes it a table holding only the periods
-- the build computes (with a results history, usually one), before the measures run.
CREATE OR REPLACE VIEW period_enrollment AS
WITH member_quarter AS (
  SELECT person_id, CAST(date_trunc('quarter', month) AS DATE) AS quarter_start,
         count(*) AS months,
         bool_or(month(month) % 3 = 0) AS has_last_month
  FROM member_months
  GROUP BY ALL
)
SELECT p.period_id, w.window_kind AS "window", q.person_id,
       CAST(sum(q.months) AS BIGINT) AS months_enrolled,
       bool_or(q.quarter_start = p.period_start AND q.has_last_month) AS enrolled_at_end
FROM all_periods p
CROSS JOIN (VALUES ('year'), ('quarter')) w(window_kind)
JOIN member_quarter q
  ON q.quarter_start BETWEEN (CASE w.window_kind WHEN 'year'
                                THEN CAST(p.period_start - INTERVAL 9 MONTH AS DATE)
                                ELSE p.period_start END)
                         AND p.period_start
GROUP BY ALL;


-- Appended for the Quality measures (issue 3): continuous enrollment around an event.
-- TRUE when member `pid` is enrolled in every calendar month from the month of `first_day`
-- through the month of `last_day` (a month counts if any enrollment span touches it, as in
-- member_months). Reads eligibility directly, so look-backs before the data window work.
-- (Issue 8: written as a lookup in enrollment_gap so Spark can run it too: Spark cannot
-- correlate a subquery two levels deep. Same results as the month-by-month check it replaced.)
-- enrollment_gap: the months each member is not enrolled, as ranges of month starts
-- [gap_first, gap_last] between 0001-01 and 9999-12.
CREATE OR REPLACE TABLE enrollment_gap AS
WITH span AS (
  SELECT person_id,
         CAST(date_trunc('month', enrollment_start_date) AS DATE) AS first_month,
         CAST(date_trunc('month', enrollment_end_date) AS DATE) AS last_month
  FROM eligibility
),
covered AS (  -- each span, with the last month covered by the spans that start before it
  SELECT person_id, first_month, last_month,
         max(last_month) OVER (PARTITION BY person_id ORDER BY first_month, last_month
                               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS covered_before
  FROM span
)
SELECT person_id,
       coalesce(CAST(covered_before + INTERVAL 1 MONTH AS DATE), DATE '0001-01-01') AS gap_first,
       CAST(first_month - INTERVAL 1 MONTH AS DATE) AS gap_last
FROM covered
WHERE covered_before IS NULL OR first_month > covered_before + INTERVAL 1 MONTH
UNION ALL
SELECT person_id, CAST(max(last_month) + INTERVAL 1 MONTH AS DATE), DATE '9999-12-01'
FROM span
GROUP BY person_id
HAVING max(last_month) < DATE '9999-12-01';

CREATE OR REPLACE MACRO enrolled_through(pid, first_day, last_day) AS
  date_trunc('month', first_day) >= CAST(last_day AS TIMESTAMP) + INTERVAL 1 DAY
  OR (pid IN (SELECT person_id FROM eligibility)
      AND NOT EXISTS (
        SELECT 1 FROM enrollment_gap g
        WHERE g.person_id = pid
          AND g.gap_first < CAST(last_day AS TIMESTAMP) + INTERVAL 1 DAY
          AND g.gap_last >= date_trunc('month', first_day)));

-- Appended for the claims family (issue 3): every medical claim line's member, first service
-- date, paid amount and service category, for the PMPM-by-category measures (only the columns
-- they read: the claim ids made it twice as slow to write at a million members). The six
-- categories (with pharmacy_claim) split total_cost_pmpm exactly. First matching rule wins:
--   institutional claims, whole claim (type of bill = first two digits, leading zeros dropped):
--     ltss        type of bill in value set ltss_bill_type (SNF, home health, hospice, ICF,
--                 residential)
--     inpatient   type of bill 11x, 12x or 18x (hospital inpatient, swing bed)
--     ed          any line of the claim with an ED revenue code (value set ed_visit)
--     outpatient  every other institutional claim
--   professional claims, line by line:
--     ltss        HCPCS in value set ltss_hcbs (home and community-based services)
--     inpatient   place of service 21, 51 or 61 (inpatient hospital, psychiatric, rehabilitation)
--     ed          place of service 23 (emergency room)
--     professional every other professional line
CREATE OR REPLACE TABLE medical_service_category AS
WITH institutional AS (
  SELECT claim_id,
         left(ltrim(any_value(bill_type_code), '0'), 2) AS bill_class,
         bool_or(in_value_set(revenue_center_code, 'ed_visit')) AS has_ed_line
  FROM medical_claim
  WHERE claim_type = 'institutional'
  GROUP BY claim_id
)
SELECT c.person_id, c.claim_start_date, c.paid_amount,
       CASE
         WHEN c.claim_type = 'institutional' THEN CASE
           WHEN in_value_set(i.bill_class, 'ltss_bill_type') THEN 'ltss'
           WHEN i.bill_class IN ('11', '12', '18') THEN 'inpatient'
           WHEN i.has_ed_line THEN 'ed'
           ELSE 'outpatient' END
         WHEN in_value_set(c.hcpcs_code, 'ltss_hcbs') THEN 'ltss'
         WHEN c.place_of_service_code IN ('21', '51', '61') THEN 'inpatient'
         WHEN c.place_of_service_code = '23' THEN 'ed'
         ELSE 'professional'
       END AS service_category
FROM medical_claim c
LEFT JOIN institutional i USING (claim_id);
