-- Continuity of care (Bice-Boxerman COC index) over office visits: each unit's value is its
-- COC (see _coc.sql).
WITH
{% include "_coc.sql" %}
SELECT period_id, person_id, attr_month, coc AS numerator, 1 AS denominator
FROM coc
