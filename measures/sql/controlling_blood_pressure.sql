-- Controlling high blood pressure (adapted from NCQA HEDIS CBP).
-- Units: members aged 18-85 at the end of the 12-month window, continuously enrolled in it (HEDIS
-- rule: period_enrollment), with hypertension: claims on two different days with an essential
-- hypertension diagnosis (I10, any position) from 12 months before the window through its sixth
-- month (Jan 1 of the prior year - Jun 30 for a calendar year).
-- Excluded: end-stage renal disease, dialysis or kidney transplant (any claim up to the end
-- of the window) and pregnancy (a pregnancy diagnosis in the window).
-- Numerator: on the most recent day in the window with both a systolic and a diastolic
-- reading, the lowest systolic is below 140 and the lowest diastolic is below 90. Readings:
-- clinical results (LOINC 8480-6 systolic, 8462-4 diastolic) or CPT II bands on claims
-- (3074F/3075F systolic below 140, 3077F 140 or more; 3078F/3079F diastolic below 90, 3080F
-- 90 or more). No reading in the window counts as not controlled.
WITH htn_day AS (
  SELECT DISTINCT person_id, claim_start_date AS dx_date
  FROM claim_diagnosis
  WHERE in_value_set(code, 'essential_hypertension_dx')
),
eligible AS (
  SELECT p.period_id, h.person_id, p.window_start, p.period_end
  FROM htn_day h
  JOIN periods p
    ON h.dx_date BETWEEN p.window_start - INTERVAL 12 MONTH
                     AND p.window_start + INTERVAL 6 MONTH - INTERVAL 1 DAY
  JOIN person m ON m.person_id = h.person_id
  JOIN period_enrollment e
    ON e.period_id = p.period_id AND e.person_id = h.person_id AND e."window" = 'year'
  WHERE year(p.period_end) - m.birth_year BETWEEN 18 AND 85
    AND e.continuously_enrolled
    AND NOT EXISTS (
      SELECT 1 FROM claim_diagnosis x
      WHERE x.person_id = h.person_id
        AND ((in_value_set(x.code, 'esrd_dx') AND x.claim_start_date <= p.period_end)
             OR (in_value_set(x.code, 'pregnancy_dx')
                 AND x.claim_start_date BETWEEN p.window_start AND p.period_end)))
  GROUP BY ALL
  HAVING count(*) >= 2
),
reading AS (  -- one row per reading: its day, systolic or diastolic, and below the threshold
  SELECT person_id, result_date AS reading_date, 'systolic' AS kind, value < 140 AS below
  FROM clinical_result WHERE in_value_set(loinc_code, 'systolic_bp')
  UNION ALL
  SELECT person_id, result_date, 'diastolic', value < 90
  FROM clinical_result WHERE in_value_set(loinc_code, 'diastolic_bp')
  UNION ALL
  SELECT person_id, claim_start_date, 'systolic', in_value_set(hcpcs_code, 'bp_below_threshold')
  FROM medical_claim WHERE in_value_set(hcpcs_code, 'systolic_bp')
  UNION ALL
  SELECT person_id, claim_start_date, 'diastolic', in_value_set(hcpcs_code, 'bp_below_threshold')
  FROM medical_claim WHERE in_value_set(hcpcs_code, 'diastolic_bp')
),
reading_day AS (  -- days in the window with both readings, and whether each is controlled
  SELECT e.period_id, e.person_id, r.reading_date,
         bool_or(r.kind = 'systolic' AND r.below) AND bool_or(r.kind = 'diastolic' AND r.below)
           AS controlled
  FROM eligible e
  JOIN reading r
    ON r.person_id = e.person_id AND r.reading_date BETWEEN e.window_start AND e.period_end
  GROUP BY ALL
  HAVING bool_or(r.kind = 'systolic') AND bool_or(r.kind = 'diastolic')
),
last_day AS (
  SELECT period_id, person_id, arg_max(controlled, reading_date) AS controlled
  FROM reading_day
  GROUP BY ALL
)
SELECT e.period_id, e.person_id, e.period_end AS attr_month,
       CASE WHEN coalesce(l.controlled, false) THEN 1 ELSE 0 END AS numerator,
       1 AS denominator
FROM eligible e
LEFT JOIN last_day l USING (period_id, person_id)
