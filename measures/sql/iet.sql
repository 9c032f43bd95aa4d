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
WITH sud_claim AS (
  SELECT DISTINCT claim_id FROM claim_diagnosis WHERE in_value_set(code, 'sud_dx')
),
sud_claim_line AS (
  SELECT c.claim_id, c.person_id, c.claim_start_date,
         coalesce(c.discharge_date, c.claim_end_date) AS end_date,
         coalesce(c.claim_type = 'institutional' AND left(c.bill_type_code, 2) IN ('11', '12'),
                  false) AS inpatient,
         coalesce(in_value_set(c.revenue_center_code, 'ed_visit')
                  OR in_value_set(c.hcpcs_code, 'ed_visit')
                  OR c.place_of_service_code = '23', false) AS ed,
         coalesce(in_value_set(c.hcpcs_code, 'outpatient_visit')
                  OR in_value_set(c.hcpcs_code, 'mental_health_visit')
                  OR in_value_set(c.hcpcs_code, 'sud_service')
                  OR in_value_set(c.revenue_center_code, 'outpatient_visit')
                  OR in_value_set(c.revenue_center_code, 'sud_service'), false) AS treatment
  FROM medical_claim c
  WHERE c.claim_id IN (SELECT claim_id FROM sud_claim)
),
sud_claim_kind AS (  -- one row per claim with an SUD diagnosis
  SELECT claim_id, any_value(person_id) AS person_id, min(claim_start_date) AS service_date,
         max(end_date) AS end_date, bool_or(inpatient) AS inpatient, bool_or(ed) AS ed,
         bool_or(treatment) AS treatment
  FROM sud_claim_line
  GROUP BY claim_id
),
medication AS (  -- medication events for opioid or alcohol use disorder
  SELECT person_id, dispensing_date AS service_date
  FROM pharmacy_claim
  WHERE ndc_code IN (
    SELECT code FROM value_set  -- NDCs whose drug class is in group sud_pharmacotherapy
    WHERE value_set = 'ndc_drug_class' AND in_value_set(drug_class, 'sud_pharmacotherapy'))
  UNION
  SELECT person_id, claim_start_date
  FROM medical_claim
  WHERE in_value_set(hcpcs_code, 'sud_medication_service')
),
history AS (  -- anything that shows SUD: claims with an SUD diagnosis, SUD medication
  SELECT person_id, service_date FROM sud_claim_kind
  UNION
  SELECT person_id, service_date FROM medication
),
treatment AS (  -- what counts for initiation and engagement
  SELECT person_id, service_date FROM sud_claim_kind WHERE inpatient OR (treatment AND NOT ed)
  UNION
  SELECT person_id, service_date FROM medication
),
event AS (  -- what can start an episode, dated on the episode day
  SELECT person_id, CASE WHEN inpatient THEN end_date ELSE service_date END AS episode_date,
         service_date AS anchor_date, inpatient, false AS is_medication
  FROM sud_claim_kind
  WHERE inpatient OR ed OR treatment
  UNION ALL
  SELECT person_id, service_date, service_date, false, true FROM medication
),
episode_day AS (
  SELECT person_id, episode_date, min(anchor_date) AS anchor_date,
         bool_or(inpatient OR is_medication) AS initiates_itself
  FROM event
  GROUP BY ALL
),
episode AS (
  SELECT p.period_id, d.person_id, d.episode_date, d.initiates_itself,
         year(d.episode_date) - m.birth_year AS age
  FROM episode_day d
  JOIN periods p
    ON d.episode_date BETWEEN p.window_start - INTERVAL 47 DAY AND p.period_end - INTERVAL 47 DAY
  JOIN person m ON m.person_id = d.person_id
  WHERE NOT EXISTS (
      SELECT 1 FROM history h
      WHERE h.person_id = d.person_id
        AND h.service_date BETWEEN d.anchor_date - INTERVAL 194 DAY
                               AND d.anchor_date - INTERVAL 1 DAY)
    AND enrolled_through(d.person_id, d.episode_date - INTERVAL 194 DAY,
                         d.episode_date + INTERVAL 47 DAY)
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
