-- Helpers that depend on the marts alone (no period, no code list): made once the marts are
-- loaded and checked, and kept with them in an extract cache (scorecard/extract.py), so a
-- build that starts from a kept extract does not make them again. Parameters are filled in
-- by engine.py: {data_start} and {data_end} (the data window). The helpers that depend on
-- the periods or the code lists are in helpers.sql, made by every build after these.

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

-- Acute and other inpatient claims, one row per institutional inpatient claim (type of bill
-- 11x or 12x), with the hospital stay each is part of (stay_id, the stay's first claim).
-- Claims of one member and the same kind of bill (11x or 12x) are one stay when each is
-- admitted no later than the day after the discharge of the claims before it: interim bills of
-- one stay (the same admission date, or each bill starting the day after the one before) and a
-- direct transfer (admitted to a hospital on the day of or the day after the discharge from
-- another, whatever the discharge status said; as HEDIS counts a direct transfer).
CREATE OR REPLACE TABLE inpatient_stay AS
WITH claim AS (
  SELECT claim_id, any_value(person_id) AS person_id,
         min(coalesce(admission_date, claim_start_date)) AS admission_date,
         max(coalesce(discharge_date, claim_end_date)) AS discharge_date,
         any_value(discharge_disposition_code) AS discharge_disposition_code,
         any_value(diagnosis_code_1) AS principal_dx,
         any_value(bill_type_code) AS bill_type_code,
         sum(paid_amount) AS paid_amount
  FROM medical_claim
  WHERE claim_type = 'institutional' AND left(bill_type_code, 2) IN ('11', '12')
  GROUP BY claim_id
),
after_discharge AS (  -- each claim, with the latest discharge of the member's claims before it
  SELECT *,
         max(discharge_date) OVER (PARTITION BY person_id, left(bill_type_code, 2)
                                   ORDER BY admission_date, discharge_date, claim_id
                                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
           AS discharged_before
  FROM claim
),
numbered AS (  -- stay_number: how many stays of the member started up to this claim
  SELECT *,
         sum(CASE WHEN discharged_before IS NULL
                       OR admission_date > discharged_before + INTERVAL 1 DAY THEN 1 ELSE 0 END)
           OVER (PARTITION BY person_id, left(bill_type_code, 2)
                 ORDER BY admission_date, discharge_date, claim_id
                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS stay_number
  FROM after_discharge
)
SELECT claim_id, person_id, admission_date, discharge_date, discharge_disposition_code,
       principal_dx, bill_type_code, paid_amount,
       first_value(claim_id) OVER (PARTITION BY person_id, left(bill_type_code, 2), stay_number
                                   ORDER BY admission_date, discharge_date, claim_id)
         AS stay_id
FROM numbered;

-- Hospital stays, one row per stay of inpatient_stay: the first admission, the last discharge,
-- and the status, principal diagnosis and type of bill of the last claim (the one that
-- discharged the member). Status 30 (still a patient) on the last claim: the stay had not ended
-- by the last bill in the data, so it has no discharge. Two claims over the same days: the one
-- that is not an interim bill, then the higher type of bill (114, the last interim bill, after
-- 112, the first), status and diagnosis; never the claim id, which may be a key in any order.
CREATE OR REPLACE TABLE hospital_stay AS
WITH ranked AS (
  SELECT *,
         row_number() OVER (
           PARTITION BY stay_id
           ORDER BY discharge_date DESC, admission_date DESC,
                    coalesce(discharge_disposition_code = '30', false),
                    bill_type_code DESC NULLS LAST, discharge_disposition_code DESC NULLS LAST,
                    principal_dx DESC NULLS LAST) AS from_last,
         min(admission_date) OVER (PARTITION BY stay_id) AS first_admission,
         count(*) OVER (PARTITION BY stay_id) AS claims
  FROM inpatient_stay
)
SELECT stay_id, person_id, first_admission AS admission_date, discharge_date,
       discharge_disposition_code, principal_dx, bill_type_code, claims
FROM ranked
WHERE from_last = 1;

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
