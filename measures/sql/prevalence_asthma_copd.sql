-- Share of members with asthma or COPD (asthma_dx.csv, copd_dx.csv).
-- Units: members enrolled in the last month of the 12-month window (attributed by that month).
-- Numerator: a claim with a matching diagnosis (any position, any kind of claim) in the window.
WITH base AS (  -- members enrolled in the last month of the 12-month window
  SELECT p.period_id, e.person_id, p.window_start, p.period_end
  FROM periods p
  JOIN period_enrollment e ON e.period_id = p.period_id AND e."window" = 'year'
  WHERE e.enrolled_at_end
)
SELECT b.period_id, b.person_id, b.period_end AS attr_month,
       CASE WHEN EXISTS (
         SELECT 1 FROM claim_diagnosis d
         WHERE d.person_id = b.person_id
           AND d.claim_start_date BETWEEN b.window_start AND b.period_end
           AND (in_value_set(d.code, 'asthma_dx') OR in_value_set(d.code, 'copd_dx'))
       ) THEN 1 ELSE 0 END AS numerator,
       1 AS denominator
FROM base b
