-- Breast cancer screening (adapted from NCQA HEDIS BCS-E, MY2024 edition: women 50-74).
-- Units: women (gender female) aged 52-74 at the end of the 12-month window, continuously enrolled
-- in it (HEDIS rule: period_enrollment). (Aged 52+ so that every woman counted was 50 or older
-- during the whole look-back.)
-- Excluded: both breasts removed, on claims up to the end of the window: a diagnosis of
-- absence of both breasts (Z90.13) or a mastectomy (CPT, mastectomy_procedure) with the
-- bilateral modifier 50; or the left breast (Z90.12, or a mastectomy with modifier LT) and the
-- right (Z90.11, or a mastectomy with modifier RT), on any dates, or on one line (LT and RT);
-- the side modifier in either modifier column. A mastectomy without a side
-- modifier says nothing of the side and does not count.
-- Numerator: a mammogram from 15 months before the window starts (Oct 1 two years before,
-- for a calendar year: 27 months in all) to the end of the window. Counted from the window's
-- first day: 27 months back from its last day (Jun 30) would land on the 30th of a 31-day
-- month (Mar 30) and take in a day too many.
WITH eligible AS (
  SELECT p.period_id, e.person_id, p.window_start, p.period_end
  FROM periods p
  JOIN period_enrollment e ON e.period_id = p.period_id AND e."window" = 'year'
  JOIN person m ON m.person_id = e.person_id
  WHERE m.gender = 'female'
    AND year(p.period_end) - m.birth_year BETWEEN 52 AND 74
    AND e.continuously_enrolled
),
mastectomy_modifier AS (  -- each modifier column of a mastectomy line, a row each: the side
  -- can be in either (59 then LT), and a line billed LT and RT removed both breasts
  SELECT person_id, claim_start_date, hcpcs_modifier_1 AS modifier
  FROM medical_claim WHERE in_value_set(hcpcs_code, 'mastectomy_procedure')
  UNION ALL
  SELECT person_id, claim_start_date, hcpcs_modifier_2
  FROM medical_claim WHERE in_value_set(hcpcs_code, 'mastectomy_procedure')
),
breast_removed AS (  -- one row per side a claim shows removed: both, left or right
  SELECT person_id, claim_start_date,
         CASE WHEN in_value_set(code, 'bilateral_mastectomy_dx') THEN 'both'
              WHEN in_value_set(code, 'left_mastectomy_dx') THEN 'left'
              ELSE 'right' END AS side
  FROM claim_diagnosis
  WHERE in_value_set(code, 'bilateral_mastectomy_dx') OR in_value_set(code, 'left_mastectomy_dx')
     OR in_value_set(code, 'right_mastectomy_dx')
  UNION ALL
  SELECT person_id, claim_start_date,
         CASE modifier WHEN '50' THEN 'both' WHEN 'LT' THEN 'left' ELSE 'right' END
  FROM mastectomy_modifier
  WHERE modifier IN ('50', 'LT', 'RT')
),
mastectomy AS (
  SELECT e.period_id, e.person_id
  FROM eligible e
  JOIN breast_removed x ON x.person_id = e.person_id AND x.claim_start_date <= e.period_end
  GROUP BY ALL
  HAVING bool_or(x.side = 'both') OR (bool_or(x.side = 'left') AND bool_or(x.side = 'right'))
)
SELECT e.period_id, e.person_id, e.period_end AS attr_month,
       CASE WHEN EXISTS (
         SELECT 1 FROM medical_claim c
         WHERE c.person_id = e.person_id AND in_value_set(c.hcpcs_code, 'mammogram')
           AND c.claim_start_date BETWEEN e.window_start - INTERVAL 15 MONTH AND e.period_end
       ) THEN 1 ELSE 0 END AS numerator,
       1 AS denominator
FROM eligible e
WHERE NOT EXISTS (
  SELECT 1 FROM mastectomy x WHERE x.period_id = e.period_id AND x.person_id = e.person_id)
