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
--   months_enrolled        months of the window with any enrolled day (as member_months).
--   enrolled_at_end        enrolled on some day of the window's last month.
--   continuously_enrolled  (year window; NULL for the quarter) HEDIS continuous enrollment:
--                          enrolled on the window's last day (the anchor date) and, inside
--                          the window, at most one gap, of at most 45 days (a gap at the
--                          window's start counts as one).
-- All three are worked from the eligibility spans clipped to the data window (as member_months
-- is), each knowing the last day the member was enrolled before it (one window function over
-- the spans): a span adds the window's months after that day's month up to its own end, and the
-- days between that day and its start are a gap. So a window is one join of the spans and one
-- grouping: no row per month or day, no merging of the spans (at a million members 3.5 s of
-- CPU for the newest period when months were counted from member_months and gaps from merged
-- spans, 1.0 s this way; results identical).
-- Declared as a view: engine.make_period_enrollment makes it a table holding only the periods
-- the build computes (with a results history, usually one), before the measures run.
CREATE OR REPLACE VIEW period_enrollment AS
WITH span AS (  -- eligibility spans inside the data window, each with the last day the member
                -- was enrolled before it (the latest end of the spans sorted before it)
  SELECT person_id, first_day, last_day,
         max(last_day) OVER (PARTITION BY person_id ORDER BY first_day, last_day
                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS enrolled_before
  FROM (SELECT person_id, greatest(enrollment_start_date, DATE '{data_start}') AS first_day,
               least(enrollment_end_date, DATE '{data_end}') AS last_day
        FROM eligibility)
  WHERE first_day <= last_day
),
period_window AS (
  SELECT p.period_id, w.window_kind AS "window", p.period_end,
         CASE w.window_kind WHEN 'year' THEN CAST(p.period_start - INTERVAL 9 MONTH AS DATE)
                            ELSE p.period_start END AS window_start,
         CAST(date_trunc('month', p.period_end) AS DATE) AS last_month
  FROM all_periods p
  CROSS JOIN (VALUES ('year'), ('quarter')) w(window_kind)
),
span_in_window AS (  -- each span with a day in a window
  SELECT w.period_id, w."window", s.person_id, s.last_day, w.period_end, w.last_month,
         -- months of the window the span adds to those of the spans before it
         greatest(0, date_diff('month',
                               greatest(CAST(date_trunc('month', s.first_day) AS DATE),
                                        w.window_start,
                                        CAST(date_trunc('month', coalesce(s.enrolled_before,
                                                                          DATE '0001-01-01'))
                                             + INTERVAL 1 MONTH AS DATE)),
                               least(s.last_day, w.period_end)) + 1) AS new_months,
         -- days not enrolled in the window just before the span (0 or less: none); days
         -- before the data start are no gap (the spans are clipped there, not ended there)
         date_diff('day',
                   greatest(coalesce(s.enrolled_before, DATE '0001-01-01'),
                            CAST(w.window_start - INTERVAL 1 DAY AS DATE),
                            CAST(DATE '{data_start}' - INTERVAL 1 DAY AS DATE)),
                   s.first_day) - 1 AS gap_days
  FROM period_window w
  JOIN span s ON s.first_day <= w.period_end AND s.last_day >= w.window_start
)
SELECT period_id, "window", person_id,
       CAST(sum(new_months) AS BIGINT) AS months_enrolled,
       bool_or(last_day >= last_month) AS enrolled_at_end,
       CASE WHEN "window" = 'year'
            THEN bool_or(last_day >= period_end) AND count_if(gap_days > 0) <= 1
                 AND max(gap_days) <= 45
       END AS continuously_enrolled
FROM span_in_window
GROUP BY period_id, "window", person_id
HAVING sum(new_months) > 0;


-- Every member month with the member's attribution that month (NULLs: none), for the measures
-- whose units are a member's months with the same ACO, CP and practice (member_months,
-- _events_per_member_month.sql, acsc_admissions): each of them joined member_months to
-- attribution itself, the same join each time (at a million members, newest quarter, the six
-- measures' CPU 17.5 -> 12.1 s; the table costs about 2 s, once). The measures that need no
-- attribution keep reading member_months: this table, narrower, saves them nothing.
-- Only first-of-month attribution rows can match (member_months' months are month starts).
-- Declared as a view: engine.make_period_helpers makes it a table of the months of the periods
-- the build computes (their 12-month windows), before the measures run.
CREATE OR REPLACE VIEW member_month_attribution AS
SELECT mm.person_id, mm.month, a.aco_id, a.cp_id, a.practice_id
FROM member_months mm
LEFT JOIN attribution a ON a.person_id = mm.person_id AND a.month = mm.month;

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
