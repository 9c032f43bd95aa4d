-- prevalence_diabetes: share of members with diabetes, found as the diabetes measures find it
-- but in the 12-month window only (no year before it, so every period with a 12-month window
-- in the data is computed).
-- Units: members enrolled in the last month of the 12-month window (attributed by that month).
-- Numerator: diabetes in the window (_diabetic.sql): a diabetes diagnosis on one acute
-- inpatient stay or on claims of two different dates, or a diabetes medicine dispensed.
WITH
{% with diabetes_lookback=0, diabetes_exclusion=true %}
{% include "_diabetic.sql" %}
{% endwith %}
,
base AS (  -- members enrolled in the last month of the 12-month window
  SELECT p.period_id, e.person_id, p.period_end
  FROM periods p
  JOIN period_enrollment e ON e.period_id = p.period_id AND e."window" = 'year'
  WHERE e.enrolled_at_end
)
SELECT b.period_id, b.person_id, b.period_end AS attr_month,
       CASE WHEN d.person_id IS NULL THEN 0 ELSE 1 END AS numerator,
       1 AS denominator
FROM base b
LEFT JOIN diabetic d USING (period_id, person_id)
