-- Fragmented care: share of members whose fragmentation (1 - COC, Bice-Boxerman continuity
-- of care index over office visits, see _coc.sql) is above the program's
-- 75th percentile of fragmentation in the same period (Liu's fragmented-care measure, seed
-- 004). Units: members with 3 or more visits in the 12-month window who were enrolled in it;
-- numerator: 1 - COC strictly above the 75th percentile (linear interpolation) of 1 - COC
-- over all units of the program. Members tied at the percentile are not above it.
WITH
{% include "_coc.sql" %}
,
threshold AS (
  SELECT period_id, quantile_cont(1 - coc, 0.75) AS p75 FROM coc GROUP BY period_id
)
SELECT c.period_id, c.person_id, c.attr_month,
       CASE WHEN 1 - c.coc > t.p75 THEN 1 ELSE 0 END AS numerator,
       1 AS denominator
FROM coc c
JOIN threshold t USING (period_id)
