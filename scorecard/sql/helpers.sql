-- Helpers that depend on the periods computed or the code lists, made by every build after
-- those of extract_helpers.sql (which they may read). Parameters are filled in by engine.py:
-- {target_end} and {first_quarter} (the first day of the quarter holding the data's first day).

-- Every reporting quarter in the data window, up to the period being published.
CREATE OR REPLACE TABLE all_periods AS
SELECT year(q) || 'Q' || quarter(q) AS period_id,
       CAST(q AS DATE) AS period_start,
       CAST(q + INTERVAL 3 MONTH - INTERVAL 1 DAY AS DATE) AS period_end
FROM (SELECT unnest(generate_series(DATE '{first_quarter}', DATE '{target_end}', INTERVAL 3 MONTH))
             AS q)
WHERE CAST(q + INTERVAL 3 MONTH - INTERVAL 1 DAY AS DATE) <= DATE '{target_end}';

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
