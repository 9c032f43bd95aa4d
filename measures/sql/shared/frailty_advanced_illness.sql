-- HEDIS's exclusion of members 66 and older with frailty and advanced illness, as public HEDIS
-- summaries describe it (frailty_window.sql): one row per member and 12-month window ending on
-- period_end when the member is 66 or older that year (from the birth year), had frailty claims
-- of two or more dates in the window and an advanced illness in the window or the 12 months before it. Read by
-- the measures whose spec lists `exclusions: [frailty_advanced_illness]`: the member is left
-- out of the period whose window ends on period_end.
SELECT person_id, period_end
FROM {{ shared("frailty_window") }}
WHERE age >= 66 AND advanced_illness
