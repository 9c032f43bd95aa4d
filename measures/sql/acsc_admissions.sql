-- Ambulatory-care-sensitive admissions (AHRQ PQI 90-style composite, simplified), members
-- 18-74, indirectly age-standardised, per 100,000 member years.
-- ACSC admission: a hospital inpatient claim (type of bill 11x), one per member and
-- admission date, of a member aged 18-74 at admission, in a month the member was enrolled,
-- with
--   * a principal diagnosis in value set pqi_acsc_dx (PQI 01, 03, 07, 08, 11, 12, 14, and
--     asthma for PQI 05/15 at any adult age), or
--   * a principal diagnosis in value set pqi_copd_dx (PQI 05 COPD) at age 40 or more, or
--   * PQI 16: a diabetes diagnosis (any position, value set diabetes_dx) and a professional
--     claim line for a lower-extremity amputation (value set pqi_amputation_cpt) dated during
--     the stay, without a traumatic amputation diagnosis (value set traumatic_amputation_dx).
-- Excluded: stays with a pregnancy or childbirth diagnosis in any position (pregnancy_dx)
-- and transfers: stays admitted on the day of or the day after the discharge from another
-- institutional stay (value set institutional_bill_type).
-- Member months of members aged 18-74 in the 12-month window; numerator: ACSC admissions
-- that month; denominator: (program ACSC rate of the member's age band / program ACSC rate
-- of all ages) / 12, i.e. expected admissions scaled so that sum(numerator) /
-- sum(denominator) = (observed / expected) x program rate per member year (indirect age
-- standardisation to the program's own age-specific rates; bands 18-34, 35-49, 50-64, 65-74).
-- Units: a member's months with the same ACO, CP and practice (sums of the above).
WITH acute AS (
  SELECT s.claim_id, s.person_id, s.admission_date, s.discharge_date, s.principal_dx,
         year(s.admission_date) - m.birth_year AS age
  FROM inpatient_stay s
  JOIN person m ON m.person_id = s.person_id
  WHERE left(s.bill_type_code, 2) = '11'
),
stay_dx AS (
  SELECT claim_id, code FROM claim_diagnosis WHERE claim_type = 'institutional'
),
facility_stay AS (
  SELECT claim_id, any_value(person_id) AS person_id,
         max(coalesce(discharge_date, claim_end_date)) AS discharge_date
  FROM medical_claim
  WHERE claim_type = 'institutional'
    AND in_value_set(left(ltrim(bill_type_code, '0'), 2), 'institutional_bill_type')
  GROUP BY claim_id
),
acsc_stay AS (
  SELECT a.person_id, a.admission_date
  FROM acute a
  WHERE a.age BETWEEN 18 AND 74
    AND (in_value_set(a.principal_dx, 'pqi_acsc_dx')
         OR (a.age >= 40 AND in_value_set(a.principal_dx, 'pqi_copd_dx'))
         OR (EXISTS (SELECT 1 FROM stay_dx d
                     WHERE d.claim_id = a.claim_id AND in_value_set(d.code, 'diabetes_dx'))
             AND EXISTS (SELECT 1 FROM medical_claim c
                         WHERE c.person_id = a.person_id AND c.claim_type = 'professional'
                           AND in_value_set(c.hcpcs_code, 'pqi_amputation_cpt')
                           AND c.claim_start_date BETWEEN a.admission_date AND a.discharge_date)
             AND NOT EXISTS (SELECT 1 FROM stay_dx d
                             WHERE d.claim_id = a.claim_id
                               AND in_value_set(d.code, 'traumatic_amputation_dx'))))
    AND NOT EXISTS (SELECT 1 FROM stay_dx d
                    WHERE d.claim_id = a.claim_id AND in_value_set(d.code, 'pregnancy_dx'))
    AND NOT EXISTS (SELECT 1 FROM facility_stay f
                    WHERE f.person_id = a.person_id AND f.claim_id <> a.claim_id
                      AND a.admission_date BETWEEN f.discharge_date
                                               AND f.discharge_date + INTERVAL 1 DAY)
),
admissions_by_month AS (
  SELECT person_id, CAST(date_trunc('month', admission_date) AS DATE) AS month,
         count(DISTINCT admission_date) AS admissions
  FROM acsc_stay
  GROUP BY ALL
),
adult_month AS (
  SELECT p.period_id, mm.person_id, mm.month,
         CASE WHEN year(mm.month) - m.birth_year < 35 THEN '18-34'
              WHEN year(mm.month) - m.birth_year < 50 THEN '35-49'
              WHEN year(mm.month) - m.birth_year < 65 THEN '50-64'
              ELSE '65-74' END AS band,
         coalesce(a.admissions, 0) AS admissions,
         mm.aco_id, mm.cp_id, mm.practice_id
  -- each member month with its attribution (helpers.sql: one join for every measure)
  FROM member_month_attribution mm
  JOIN periods p ON mm.month BETWEEN p.window_start AND p.period_end
  JOIN person m ON m.person_id = mm.person_id
  LEFT JOIN admissions_by_month a ON a.person_id = mm.person_id AND a.month = mm.month
  WHERE year(mm.month) - m.birth_year BETWEEN 18 AND 74
),
band_rate AS (
  SELECT period_id, band, sum(admissions) / count(*) AS rate FROM adult_month GROUP BY ALL
),
program_rate AS (
  SELECT period_id, sum(admissions) / count(*) AS rate FROM adult_month GROUP BY ALL
),
unit AS (
  SELECT u.period_id, u.person_id, u.month, u.admissions,
         CASE WHEN o.rate > 0 THEN b.rate / o.rate ELSE 1 END / 12 AS expected_share,
         u.aco_id, u.cp_id, u.practice_id
  FROM adult_month u
  JOIN band_rate b USING (period_id, band)
  JOIN program_rate o USING (period_id)
)
-- one row per member and ACO/CP/practice combination (about 12 times fewer rows than one
-- per member month; sums are unchanged)
SELECT period_id, person_id, max(month) AS attr_month,
       sum(admissions) AS numerator,
       sum(expected_share) AS denominator
FROM unit
GROUP BY period_id, person_id, aco_id, cp_id, practice_id
