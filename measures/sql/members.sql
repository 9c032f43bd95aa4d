-- Members: one unit per member enrolled in the last month of the 12-month window, attributed
-- by that month (numerator and denominator 1). The value is always 100%; the denominators of
-- its strata are the member counts by age band, sex, race, language and CP type.
WITH base AS (  -- members enrolled in the last month of the 12-month window
  SELECT p.period_id, e.person_id, p.window_start, p.period_end
  FROM periods p
  JOIN period_enrollment e ON e.period_id = p.period_id AND e."window" = 'year'
  WHERE e.enrolled_at_end
)
SELECT period_id, person_id, period_end AS attr_month, 1 AS numerator, 1 AS denominator
FROM base
