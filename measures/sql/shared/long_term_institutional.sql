-- Living long-term in an institution, an approximation from claims of HEDIS's exclusion of
-- members 66 and older who live long-term in an institution. HEDIS applies that exclusion to
-- Medicare members only (CBP, BCS-E, COL-E, GSD, EED, KED), and this program is Medicaid, so no
-- measure shipped here declares it; the table is kept for a program with Medicare members to
-- add `exclusions: [long_term_institutional]` (palliative care and frailty with advanced illness,
-- which HEDIS applies to every product line, are declared). (HEDIS reads CMS's long-term
-- institutional flag and enrollment in an institutional special-needs plan, which these marts do
-- not hold). One row per member and 12-month window ending on period_end (the last day of a
-- quarter, as every period's 12-month window does) when the member is 66 or older that year
-- (from the birth year, as the measures count it) and was in a long stay in a nursing facility
-- reaching into the window:
--   a stay: institutional claims whose type of bill (first two digits) is in value set
--     long_term_care_bill_type (21x skilled nursing / nursing facility, 65x and 66x
--     intermediate care facilities), from the admission day (admission_date, or the claim's
--     first day when it has none or a later one) to the claim's last day; claims that overlap
--     or follow one another without a day between (monthly bills of one stay) are one stay;
--   long: 90 or more days of the stay up to the end of the window (the stay may begin before
--     the window; days after its end are not looked at), and the stay has a day in the window.
-- Simplified: professional claims in a nursing facility (place of service 32) do not show
-- how long a member stays, so they do not count; a stay whose admission is before the data and
-- whose claims carry no admission day counts from its first claim.
WITH quarter_end AS (  -- the last day of every quarter of the data
  SELECT DISTINCT CAST(date_trunc('quarter', month) + INTERVAL 3 MONTH - INTERVAL 1 DAY AS DATE)
           AS period_end
  FROM months
),
window_end AS (  -- each quarter's 12-month window (as the periods' window_start)
  SELECT period_end, CAST(period_end - INTERVAL 12 MONTH + INTERVAL 1 DAY AS DATE) AS window_start
  FROM quarter_end
),
stay_claim AS (  -- a claim's lines as one span; last_day is the day after its last day, so
                 -- that a claim starting the next day overlaps it and joins the same stay
  SELECT person_id,
         least(min(claim_start_date), coalesce(min(admission_date), min(claim_start_date)))
           AS first_day,
         CAST(max(claim_end_date) + INTERVAL 1 DAY AS DATE) AS last_day
  FROM medical_claim
  WHERE claim_type = 'institutional'
    AND in_value_set(left(ltrim(bill_type_code, '0'), 2), 'long_term_care_bill_type')
  GROUP BY person_id, claim_id
),
stay AS (  -- the stays, disjoint; last_day is the day after the stay's last day
{% with keys='person_id', source='stay_claim' %}
{% include "_merged_ranges.sql" %}
{% endwith %}
)
SELECT DISTINCT s.person_id, w.period_end
FROM stay s
JOIN window_end w ON s.first_day <= w.period_end AND s.last_day > w.window_start
JOIN person m ON m.person_id = s.person_id
WHERE year(w.period_end) - m.birth_year >= 66
  AND date_diff('day', s.first_day, least(s.last_day, CAST(w.period_end + INTERVAL 1 DAY AS DATE)))
        >= 90
