-- Depression screening and follow-up (adapted from NCQA HEDIS DSF-E and the CMS Core Set
-- CDF-AD / CDF-CH screening for depression and follow-up plan).
-- Units: members aged 12+ at the end of the 12-month window, continuously enrolled in it (HEDIS
-- rule: period_enrollment), with an outpatient visit in the window.
-- Excluded: members with depression or bipolar disorder (a diagnosis in the 12 months before
-- the window).
-- Numerator: screened from the window's start to the 30th day before its end (Dec 1 for a
-- calendar year: HEDIS DSF-E's screening period), and, when a screen of that period was
-- positive, follow-up care on the day of the first positive screen or in the 30 days after it
-- (as DSF-E: a later negative screen does not make up for a positive one left without
-- follow-up). A screen in the window's last 30 days is not counted at all: a member screened
-- only then is not screened this window. Screens: HCPCS G8510 (negative), G8431 (positive,
-- follow-up plan documented: counts as its own follow-up), G8511 (positive, no plan); or a
-- standardized tool's total score as a clinical result (PHQ-9, PHQ-A, EPDS: positive at 10 or
-- more; PHQ-2: positive at 3 or more). Follow-up: a mental-health visit, a collaborative-care
-- or depression care-management code, an outpatient visit with a depression diagnosis, or an
-- antidepressant fill.
WITH visit AS (
  SELECT person_id, claim_start_date AS visit_date
  FROM medical_claim
  WHERE in_value_set(hcpcs_code, 'outpatient_visit')
     OR in_value_set(revenue_center_code, 'outpatient_visit')
),
eligible AS (
  SELECT p.period_id, e.person_id, p.window_start, p.period_end
  FROM periods p
  JOIN period_enrollment e ON e.period_id = p.period_id AND e."window" = 'year'
  JOIN person m ON m.person_id = e.person_id
  WHERE year(p.period_end) - m.birth_year >= 12
    AND e.continuously_enrolled
    AND EXISTS (
      SELECT 1 FROM visit v
      WHERE v.person_id = e.person_id AND v.visit_date BETWEEN p.window_start AND p.period_end)
    AND NOT EXISTS (
      SELECT 1 FROM claim_diagnosis x
      WHERE x.person_id = e.person_id
        AND (in_value_set(x.code, 'depression_dx') OR in_value_set(x.code, 'bipolar_dx'))
        AND x.claim_start_date BETWEEN p.window_start - INTERVAL 12 MONTH
                                   AND p.window_start - INTERVAL 1 DAY)
),
screen AS (  -- one row per screen: its day and whether it was positive
  SELECT person_id, claim_start_date AS screen_date,
         in_value_set(hcpcs_code, 'depression_screen_positive') AS positive
  FROM medical_claim
  WHERE in_value_set(hcpcs_code, 'depression_screen_positive')
     OR in_value_set(hcpcs_code, 'depression_screen_negative')
  UNION ALL
  SELECT person_id, result_date, value >= 10
  FROM clinical_result WHERE in_value_set(loinc_code, 'depression_screen_score10')
  UNION ALL
  SELECT person_id, result_date, value >= 3
  FROM clinical_result WHERE in_value_set(loinc_code, 'depression_screen_score3')
),
follow_up AS (
  SELECT person_id, claim_start_date AS follow_up_date
  FROM medical_claim
  WHERE in_value_set(hcpcs_code, 'mental_health_visit')
     OR in_value_set(hcpcs_code, 'depression_followup')
     OR ((in_value_set(hcpcs_code, 'outpatient_visit')
          OR in_value_set(revenue_center_code, 'outpatient_visit'))
         AND (in_value_set(diagnosis_code_1, 'depression_dx')
              OR in_value_set(diagnosis_code_2, 'depression_dx')
              OR in_value_set(diagnosis_code_3, 'depression_dx')
              OR in_value_set(diagnosis_code_4, 'depression_dx')
              OR in_value_set(diagnosis_code_5, 'depression_dx')))
  UNION
  SELECT person_id, dispensing_date
  FROM pharmacy_claim
  WHERE ndc_code IN (
    SELECT code FROM value_set WHERE value_set = 'ndc_drug_class' AND drug_class = 'antidepressant')
),
window_screen AS (  -- the eligible members' screens from the window's start to the 30th day
                    -- before its end, each with the day of the member's first positive one
  SELECT e.period_id, e.person_id, s.screen_date,
         min(CASE WHEN s.positive THEN s.screen_date END)
           OVER (PARTITION BY e.period_id, e.person_id) AS first_positive_date
  FROM eligible e
  JOIN screen s
    ON s.person_id = e.person_id
   AND s.screen_date BETWEEN e.window_start AND e.period_end - INTERVAL 30 DAY
),
met AS (
  SELECT DISTINCT w.period_id, w.person_id
  FROM window_screen w
  WHERE w.first_positive_date IS NULL
     OR (w.screen_date = w.first_positive_date
         AND EXISTS (
           SELECT 1 FROM follow_up f
           WHERE f.person_id = w.person_id
             AND f.follow_up_date BETWEEN w.screen_date AND w.screen_date + INTERVAL 30 DAY))
)
SELECT e.period_id, e.person_id, e.period_end AS attr_month,
       CASE WHEN m.person_id IS NULL THEN 0 ELSE 1 END AS numerator,
       1 AS denominator
FROM eligible e
LEFT JOIN met m USING (period_id, person_id)
