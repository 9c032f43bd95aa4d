-- HEDIS's exclusion of members 81 and older with frailty alone (controlling blood pressure,
-- kidney health evaluation), as public HEDIS summaries describe it (frailty_window.sql): one
-- row per member and 12-month window ending on period_end when the member is 81 or older that
-- year (from the birth year) and had frailty claims of two or more dates in the window, with or
-- without an advanced illness. Read by the measures whose spec lists `exclusions: [frailty_81]`.
SELECT person_id, period_end
FROM {{ shared("frailty_window") }}
WHERE age >= 81
