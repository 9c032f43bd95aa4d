-- Community tenure: share of eligible days CP members spent in the community, not in an
-- acute, psychiatric, substance-use inpatient or other institutional setting.
-- Eligible days: days in the 12-month window when the member was enrolled in MassHealth
-- (eligibility) and assigned to the CP. Institutional days:
--   * institutional claims with a type of bill in value set institutional_bill_type
--     (hospital inpatient 11x, swing bed 18x, skilled nursing 21x, ICF 65x/66x, residential
--     86x, ...): from the first service day to the day before discharge (the discharge day is
--     spent back in the community); a claim with no discharge (interim bill) covers its
--     service days through its last day; a same-day stay counts one day;
--   * professional claim lines with a place of service in value set institutional_pos
--     (inpatient hospital, nursing facility, psychiatric or substance-use residential ...):
--     their service days.
-- Units: member x CP x month; numerator: eligible days not institutional; denominator:
-- eligible days. The row belongs to the CP.
-- Days are listed only inside the windows of the periods computed (the data window when
-- every period is computed; one year when a results history holds the earlier ones).
WITH day_range AS (
  SELECT greatest(min(window_start), (SELECT data_start FROM data_window)) AS first_day,
         least(max(period_end), (SELECT data_end FROM data_window)) AS last_day
  FROM periods
),
assigned_span AS (
  SELECT e.person_id, e.cp_id,
         greatest(e.assignment_date, g.enrollment_start_date,
                  (SELECT first_day FROM day_range)) AS first_day,
         least(coalesce(e.disenrollment_date, DATE '9999-12-31'), g.enrollment_end_date,
               (SELECT last_day FROM day_range)) AS last_day
  FROM cp_enrollment e
  JOIN eligibility g ON g.person_id = e.person_id
),
eligible_day AS (
  SELECT DISTINCT person_id, cp_id, CAST(day AS DATE) AS day
  FROM (SELECT person_id, cp_id,
               unnest(generate_series(CAST(first_day AS TIMESTAMP), CAST(last_day AS TIMESTAMP),
                                      INTERVAL 1 DAY)) AS day
        FROM assigned_span
        WHERE first_day <= last_day)
),
facility_claim AS (
  SELECT person_id, claim_id, min(claim_start_date) AS first_day,
         CASE WHEN max(discharge_date) > min(claim_start_date)
              THEN max(discharge_date) - 1
              ELSE max(claim_end_date) END AS last_day
  FROM medical_claim
  WHERE claim_type = 'institutional'
    AND in_value_set(left(ltrim(bill_type_code, '0'), 2), 'institutional_bill_type')
  GROUP BY person_id, claim_id
  UNION ALL
  SELECT person_id, claim_id, claim_start_date, claim_end_date
  FROM medical_claim
  WHERE claim_type = 'professional' AND in_value_set(place_of_service_code, 'institutional_pos')
),
facility_span AS (
  SELECT person_id, greatest(first_day, (SELECT first_day FROM day_range)) AS first_day,
         least(last_day, (SELECT last_day FROM day_range)) AS last_day
  FROM facility_claim
),
facility_day AS (
  SELECT DISTINCT person_id, CAST(day AS DATE) AS day
  FROM (SELECT person_id,
               unnest(generate_series(CAST(first_day AS TIMESTAMP), CAST(last_day AS TIMESTAMP),
                                      INTERVAL 1 DAY)) AS day
        FROM facility_span
        WHERE first_day <= last_day)
)
SELECT p.period_id, d.person_id, CAST(date_trunc('month', d.day) AS DATE) AS attr_month, d.cp_id,
       count(*) FILTER (WHERE f.day IS NULL) AS numerator,
       count(*) AS denominator
FROM eligible_day d
JOIN periods p ON d.day BETWEEN p.window_start AND p.period_end
LEFT JOIN facility_day f ON f.person_id = d.person_id AND f.day = d.day
GROUP BY ALL
