-- Helpers that depend on the periods computed or the code lists, made by every build after
-- those of extract_helpers.sql (which they may read). Parameters are filled in by engine.py:
-- {target_end}, {first_quarter} (the first day of the quarter holding the data's first day),
-- {data_start} and {data_end} (the data window).

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

-- Enrollment in each period's rolling 12-month ("year") and quarter windows, one row per
-- period, window and member enrolled in it:
--   months_enrolled        months of the window with any enrolled day (member_months).
--   enrolled_at_end        enrolled on some day of the window's last month.
--   continuously_enrolled  (year window; NULL for the quarter) HEDIS continuous enrollment:
--                          enrolled on the window's last day (the anchor date) and, inside
--                          the window, at most one gap, of at most 45 days (a gap at the
--                          window's start counts as one). Worked from the eligibility spans,
--                          clipped to the data window as member_months is.
-- Months are counted per quarter first (a 12-month window is the four quarters ending with the
-- period's), which is the same as joining every member month to every window and 2x faster at
-- a million members. Gaps are worked from the spans merged per member (spans that overlap or
-- touch are one range), each range knowing where the one before it ended, so a window's gaps
-- are one subtraction per range: no window function per period, and no row per day or month.
-- Declared as a view: engine.make_period_enrollment makes it a table holding only the periods
-- the build computes (with a results history, usually one), before the measures run.
CREATE OR REPLACE VIEW period_enrollment AS
WITH member_quarter AS (
  SELECT person_id, CAST(date_trunc('quarter', month) AS DATE) AS quarter_start,
         count(*) AS months,
         bool_or(month(month) % 3 = 0) AS has_last_month
  FROM member_months
  GROUP BY ALL
),
months_in_window AS (
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
  GROUP BY ALL
),
span AS (  -- eligibility spans up to the data's end, not clipped to its start: enrollment
           -- before the first data month is real, and each window clips its own start
  SELECT person_id, enrollment_start_date AS first_day,
         least(enrollment_end_date, DATE '{data_end}') AS last_day
  FROM eligibility
),
span_start AS (  -- 1 where a span starts a new range: after the day after every earlier span
  SELECT person_id, first_day, last_day,
         CASE WHEN first_day <= max(last_day) OVER (
                                  PARTITION BY person_id ORDER BY first_day, last_day
                                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                                + INTERVAL 1 DAY
              THEN 0 ELSE 1 END AS starts
  FROM span
  WHERE first_day <= last_day
),
enrolled_range AS (  -- disjoint ranges per member, not touching
  SELECT person_id, min(first_day) AS first_day, max(last_day) AS last_day
  FROM (SELECT *, sum(starts) OVER (PARTITION BY person_id ORDER BY first_day, last_day
                                    ROWS UNBOUNDED PRECEDING) AS range_number
        FROM span_start)
  GROUP BY person_id, range_number
),
enrolled_range_after AS (  -- each range with the last day of the member's range before it
  SELECT person_id, first_day, last_day,
         lag(last_day) OVER (PARTITION BY person_id ORDER BY first_day) AS previous_last_day
  FROM enrolled_range
),
year_gap AS (  -- the gap (days) before each range inside a year window: from the end of the
               -- range before it, or from the window's start
  SELECT p.period_id, r.person_id, p.period_end, r.last_day,
         date_diff('day',
                   greatest(coalesce(r.previous_last_day, DATE '1900-01-01'),
                            CAST(p.period_start - INTERVAL 9 MONTH - INTERVAL 1 DAY AS DATE)),
                   greatest(r.first_day, CAST(p.period_start - INTERVAL 9 MONTH AS DATE)))
           - 1 AS gap_days
  FROM all_periods p
  JOIN enrolled_range_after r
    ON r.first_day <= p.period_end
   AND r.last_day >= CAST(p.period_start - INTERVAL 9 MONTH AS DATE)
),
year_continuity AS (
  SELECT period_id, person_id,
         max(last_day) >= max(period_end)
           AND sum(CASE WHEN gap_days > 0 THEN 1 ELSE 0 END) <= 1
           AND max(gap_days) <= 45 AS continuously_enrolled
  FROM year_gap
  GROUP BY period_id, person_id
)
SELECT m.period_id, m."window", m.person_id, m.months_enrolled, m.enrolled_at_end,
       CASE WHEN m."window" = 'year' THEN coalesce(c.continuously_enrolled, false)
       END AS continuously_enrolled
FROM months_in_window m
LEFT JOIN year_continuity c
  ON c.period_id = m.period_id AND c.person_id = m.person_id AND m."window" = 'year';


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
