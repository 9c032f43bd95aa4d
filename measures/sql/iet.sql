{#- The six IET measures (initiation and engagement; total, 13-17 and 18+) in one query.
    Parameters: component (initiation or engagement), min_age and, for a closed band, max_age. -#}
{% if component not in ('initiation', 'engagement') %}
{{ fail("component must be initiation or engagement, not %r" % component) }}
{% endif %}
{% set ages = '%s-%s' % (min_age, max_age) if max_age is defined else '%s or older' % min_age %}
-- IET {{ component }}, members aged {{ ages }}: initiation of SUD treatment within 14 days,
-- or engagement within 34 days of initiation (adapted from NCQA HEDIS IET).
-- Units: new substance use disorder (SUD) episodes. An SUD event is a claim with an SUD
-- diagnosis (any position) that is an ED visit, an inpatient stay (dated at discharge) or a
-- treatment visit (outpatient, telehealth, mental-health or SUD service codes), or a
-- medication event for opioid or alcohol use disorder (pharmacy fill of a drug class in
-- group sud_pharmacotherapy, or a medication code on a medical claim). An episode starts on the
-- day of an event (the index episode start date, IESD) when the member had no claim with an
-- SUD diagnosis and no SUD medication in the 194 days before it (before the admission, for a
-- stay). Intake period: IESD from 47 days before the 12-month window to 47 days before its end
-- (Nov 15 - Nov 14 for a calendar year). Members aged {{ ages }} on the IESD (age from birth
-- year), enrolled in every month from 194 days before to 47 days after the IESD.
-- Initiation: the IESD itself was an inpatient stay or a medication event, or a treatment
-- event (treatment visit or stay with an SUD diagnosis, or SUD medication) 1 to 13 days after
-- the IESD. Engagement: initiation plus treatment events on 2 or more different days 1 to 34
-- days after the initiation day.
WITH treatment AS (  -- what counts for initiation and engagement
  SELECT DISTINCT person_id, service_date
  FROM {{ shared("sud_event") }}
  WHERE medication OR inpatient OR (treatment AND NOT ed)
),
episode AS (  -- new episodes in the periods' intake periods (shared/iet_episode.sql)
  SELECT p.period_id, e.person_id, e.episode_date, e.initiates_itself,
         year(e.episode_date) - m.birth_year AS age
  FROM {{ shared("iet_episode") }} e
  JOIN periods p
    ON e.episode_date BETWEEN p.window_start - INTERVAL 47 DAY AND p.period_end - INTERVAL 47 DAY
  JOIN person m ON m.person_id = e.person_id
),
initiation AS (  -- the first treatment event 1-13 days after the IESD
  SELECT e.period_id, e.person_id, e.episode_date, e.initiates_itself,
         min(t.service_date) AS first_treatment
  FROM episode e
  LEFT JOIN treatment t
    ON t.person_id = e.person_id
   AND t.service_date BETWEEN e.episode_date + INTERVAL 1 DAY AND e.episode_date + INTERVAL 13 DAY
{% if max_age is defined %}
  WHERE e.age BETWEEN {{ min_age }} AND {{ max_age }}
{% else %}
  WHERE e.age >= {{ min_age }}
{% endif %}
  GROUP BY ALL
),
initiated AS (
  SELECT period_id, person_id, episode_date,
         CASE WHEN initiates_itself THEN episode_date ELSE first_treatment END AS initiation_date
  FROM initiation
),
engagement AS (  -- treatment days 1-34 days after the initiation day
  SELECT i.period_id, i.person_id, i.episode_date, i.initiation_date,
         count(DISTINCT t.service_date) AS engagement_days
  FROM initiated i
  LEFT JOIN treatment t
    ON t.person_id = i.person_id
   AND t.service_date BETWEEN i.initiation_date + INTERVAL 1 DAY
                          AND i.initiation_date + INTERVAL 34 DAY
  GROUP BY ALL
)
SELECT period_id, person_id, episode_date AS attr_month,
{% if component == 'engagement' %}
       CASE WHEN initiation_date IS NOT NULL AND engagement_days >= 2
{% else %}
       CASE WHEN initiation_date IS NOT NULL
{% endif %}
            THEN 1 ELSE 0 END AS numerator,
       1 AS denominator
FROM engagement
