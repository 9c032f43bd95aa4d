{#- FUM, the 7- and 30-day rates. Parameter: days. -#}
-- Follow-up within {{ days }} days after an emergency department visit for mental illness
-- (adapted from NCQA HEDIS FUM). Units: ED visits (one per member per day) of members aged 6+
-- with a principal mental-illness diagnosis or any intentional self-harm diagnosis, on or
-- between the start of the 12-month window and 30 days before its end (Jan 1 - Dec 1).
-- Excluded: visits followed by an inpatient or residential admission on the ED day or within
-- 30 days after it, and visits of members not enrolled in every month from the ED day to 30
-- days after. Then, per member, only the first visit in any 31-day period counts: after a
-- counted visit the next one counted is the first eligible visit 31 or more days later.
-- Numerator: an outpatient, telehealth or mental-health visit (not in the ED or in hospital:
-- shared/bh_followup_visit.sql) with a principal mental-illness
-- diagnosis (or principal self-harm plus any mental-illness diagnosis) on the ED day or up to
-- {{ days }} days after it.
WITH RECURSIVE follow_up AS (  -- what counts as follow-up (shared/bh_followup_visit.sql)
  SELECT person_id, visit_date
  FROM {{ shared("bh_followup_visit") }}
  WHERE mental_illness_visit OR self_harm_visit
),
{% with principal_dx='mental_illness_dx', any_dx='self_harm_dx', min_age=6 %}
{% include "_ed_visit_followup.sql" %}
{% endwith %}
