-- Total cost of care per member per month: every member month in the quarter is one unit;
-- its numerator is what was paid for that member's medical and pharmacy claims that month.
WITH
{% include "_all_paid_by_month.sql" %}
,
{% include "_pmpm.sql" %}
