-- New substance use disorder (SUD) episodes, for the six IET measures, on every day of the
-- data. An episode starts on the day of an SUD event that is an ED visit, an inpatient stay
-- (dated at discharge; a stay still going at the last bill has no discharge yet and starts
-- none), a treatment visit or a medication (the index episode start date, IESD), when the
-- member had no SUD event in the 194 days before it (before the admission, for a stay) and was
-- enrolled in every month from 194 days before to 47 days after it. An ED visit, treatment
-- visit or medication from the day before an SUD stay's admission through its discharge is
-- part of the stay (HEDIS: an ED visit that ends in an admission counts as the stay): it starts
-- no episode of its own, and the stay's 194 days are counted back from the day before
-- admission when it was then. initiates_itself: the IESD was a stay or a medication
-- (initiation on the day itself).
WITH event AS (
  SELECT person_id, service_date, end_date, inpatient, medication, still_in_hospital
  FROM {{ shared("sud_event") }}
  WHERE inpatient OR ed OR treatment OR medication
),
stay_start AS (  -- discharges, with the day their look-back starts from
  SELECT s.person_id, s.end_date AS episode_date,
         min(coalesce(b.service_date, s.service_date)) AS anchor_date, true AS initiates_itself
  FROM event s
  LEFT JOIN event b
    ON b.person_id = s.person_id AND NOT b.inpatient
   AND b.service_date = s.service_date - INTERVAL 1 DAY
  WHERE s.inpatient AND NOT s.still_in_hospital
  GROUP BY s.person_id, s.end_date, s.service_date
),
visit_start AS (  -- ED visits, treatment visits and medications outside SUD stays
  SELECT e.person_id, e.service_date AS episode_date, e.service_date AS anchor_date,
         e.medication AS initiates_itself
  FROM event e
  WHERE NOT e.inpatient
    AND NOT EXISTS (
      SELECT 1 FROM event s
      WHERE s.inpatient AND s.person_id = e.person_id
        AND e.service_date BETWEEN s.service_date - INTERVAL 1 DAY AND s.end_date)
),
episode_day AS (
  SELECT person_id, episode_date, min(anchor_date) AS anchor_date,
         bool_or(initiates_itself) AS initiates_itself
  FROM (SELECT * FROM stay_start UNION ALL SELECT * FROM visit_start) AS start
  GROUP BY ALL
),
earlier AS (  -- each member's SUD event days, each with the one before it
  SELECT person_id, service_date,
         lag(service_date) OVER (PARTITION BY person_id ORDER BY service_date) AS previous_date
  FROM (SELECT DISTINCT person_id, service_date FROM {{ shared("sud_event") }}) AS event_day
)
-- No SUD event in the 194 days before the anchor: the event day before the anchor's (an
-- anchor is always the day of one of the member's SUD events) is more than 194 days before it.
-- The same as looking for events in those days, without matching every episode to every event.
SELECT d.person_id, d.episode_date, d.initiates_itself
FROM episode_day d
JOIN earlier h ON h.person_id = d.person_id AND h.service_date = d.anchor_date
WHERE (h.previous_date IS NULL OR h.previous_date < d.anchor_date - INTERVAL 194 DAY)
  AND enrolled_through(d.person_id, d.episode_date - INTERVAL 194 DAY,
                       d.episode_date + INTERVAL 47 DAY)
