-- Community tenure: share of eligible days CP members spent in the community, not in an
-- acute, psychiatric, substance-use inpatient or other institutional setting.
-- Eligible days: days in the 12-month window when the member was enrolled in MassHealth
-- (eligibility) and assigned to the CP. A day two assignments cover (a member moved to another
-- CP on the day the first assignment ends) is one eligible day, of the later assignment's CP
-- (two made on the same date: the higher CP id), so the program counts each member day once.
-- Institutional days:
--   * institutional claims with a type of bill in value set institutional_bill_type
--     (hospital inpatient 11x, swing bed 18x, skilled nursing 21x, ICF 65x/66x, residential
--     86x, ...): from the first service day to the day before discharge (the discharge day is
--     spent back in the community); a claim with no discharge (interim bill) covers its
--     service days through its last day; a same-day stay counts one day;
--   * professional claim lines with a place of service in value set institutional_pos
--     (inpatient hospital, nursing facility, psychiatric or substance-use residential ...):
--     their service days; a line that ends on the discharge day of one of the member's stays
--     above counts to the day before (a clinician's discharge visit leaves it a day at home).
-- Units: member x CP x month; numerator: eligible days not institutional; denominator:
-- eligible days. The row belongs to the CP.
-- Days are listed only inside the windows of the periods computed (the data window when
-- every period is computed; one year when a results history holds the earlier ones).
WITH day_range AS (
  SELECT greatest(min(window_start), (SELECT data_start FROM data_window)) AS first_day,
         least(max(period_end), (SELECT data_end FROM data_window)) AS last_day
  FROM periods
),
assignment_range AS (  -- each assignment's days inside the days listed
  SELECT person_id, cp_id, assignment_date,
         greatest(assignment_date, (SELECT first_day FROM day_range)) AS first_day,
         least(coalesce(disenrollment_date, DATE '9999-12-31'),
               (SELECT last_day FROM day_range)) AS last_day
  FROM cp_enrollment
),
boundary AS (  -- the days on which a member's set of assignments can change
  SELECT person_id, first_day AS day FROM assignment_range WHERE first_day <= last_day
  UNION
  SELECT person_id, CAST(last_day + INTERVAL 1 DAY AS DATE)
  FROM assignment_range WHERE first_day <= last_day
),
segment AS (  -- from one boundary to the day before the next: the same assignments throughout
  SELECT person_id, day AS first_day,
         CAST(lead(day) OVER (PARTITION BY person_id ORDER BY day) - INTERVAL 1 DAY AS DATE)
           AS last_day
  FROM boundary
),
owned_span AS (  -- a day belongs to one CP: the latest assignment covering it; two made on
                 -- the same date: the higher CP id (as in the follow-up measures)
  SELECT s.person_id, s.first_day, s.last_day,
         arg_max(a.cp_id, struct_pack(d := a.assignment_date, c := a.cp_id)) AS cp_id
  FROM segment s
  JOIN assignment_range a
    ON a.person_id = s.person_id AND s.first_day BETWEEN a.first_day AND a.last_day
  WHERE s.last_day IS NOT NULL
  GROUP BY s.person_id, s.first_day, s.last_day
),
assigned_span AS (  -- the days owned while enrolled in MassHealth
  SELECT o.person_id, o.cp_id,
         greatest(o.first_day, g.enrollment_start_date) AS first_day,
         least(o.last_day, g.enrollment_end_date) AS last_day
  FROM owned_span o
  JOIN eligibility g ON g.person_id = o.person_id
),
eligible_range AS (  -- the assigned spans merged into disjoint date ranges per member and CP
{% with keys='person_id, cp_id', source='assigned_span' %}
{% include "_merged_ranges.sql" %}
{% endwith %}
),
stay_claim AS (  -- institutional claims of a facility: admission (first day) to discharge
  SELECT person_id, claim_id, min(claim_start_date) AS first_day, max(claim_end_date) AS end_day,
         max(discharge_date) AS discharge_day
  FROM medical_claim
  WHERE claim_type = 'institutional'
    AND in_value_set(left(ltrim(bill_type_code, '0'), 2), 'institutional_bill_type')
  GROUP BY person_id, claim_id
),
discharge AS (  -- the days stays end: spent back home
  SELECT DISTINCT person_id, discharge_day FROM stay_claim WHERE discharge_day IS NOT NULL
),
facility_claim AS (
  SELECT person_id, first_day,
         CASE WHEN discharge_day > first_day THEN discharge_day - 1 ELSE end_day END AS last_day
  FROM stay_claim
  UNION ALL
  -- a line ending on a discharge day (a clinician's discharge visit) counts to the day before
  SELECT c.person_id, c.claim_start_date,
         CASE WHEN d.person_id IS NULL THEN c.claim_end_date ELSE c.claim_end_date - 1 END
  FROM medical_claim c
  LEFT JOIN discharge d ON d.person_id = c.person_id AND d.discharge_day = c.claim_end_date
  WHERE c.claim_type = 'professional'
    AND in_value_set(c.place_of_service_code, 'institutional_pos')
),
facility_span AS (
  SELECT person_id, greatest(first_day, (SELECT first_day FROM day_range)) AS first_day,
         least(last_day, (SELECT last_day FROM day_range)) AS last_day
  FROM facility_claim
),
facility_range AS (  -- the facility spans merged into disjoint date ranges per member
{% with keys='person_id', source='facility_span' %}
{% include "_merged_ranges.sql" %}
{% endwith %}
),
piece AS (  -- each eligible range's days inside a period's window, month by month
  SELECT p.period_id, e.person_id, e.cp_id, m.month,
         greatest(e.first_day, p.window_start, m.month) AS first_day,
         least(e.last_day, p.period_end, m.month_end) AS last_day
  FROM eligible_range e
  JOIN periods p ON e.first_day <= p.period_end AND e.last_day >= p.window_start
  JOIN (SELECT month, CAST(month + INTERVAL 1 MONTH - INTERVAL 1 DAY AS DATE) AS month_end
        FROM months) m
    ON m.month <= least(e.last_day, p.period_end)
   AND m.month_end >= greatest(e.first_day, p.window_start)
),
piece_days AS (  -- a piece's days, and those of them in a facility (the ranges are disjoint;
                 -- FILTER: greatest and least skip NULLs, so an unmatched row would count)
  SELECT c.period_id, c.person_id, c.cp_id, c.month, c.first_day,
         any_value(date_diff('day', c.first_day, c.last_day) + 1) AS days,
         coalesce(sum(date_diff('day', greatest(c.first_day, f.first_day),
                                least(c.last_day, f.last_day)) + 1)
                    FILTER (WHERE f.person_id IS NOT NULL), 0) AS facility_days
  FROM piece c
  LEFT JOIN facility_range f
    ON f.person_id = c.person_id AND f.first_day <= c.last_day AND f.last_day >= c.first_day
  GROUP BY c.period_id, c.person_id, c.cp_id, c.month, c.first_day
)
SELECT period_id, person_id, month AS attr_month, cp_id,
       sum(days - facility_days) AS numerator,
       sum(days) AS denominator
FROM piece_days
GROUP BY period_id, person_id, month, cp_id
