-- New substance use disorder (SUD) episodes, for the six IET measures, on every day of the
-- data. An episode starts on the day of an SUD event that is an ED visit, an inpatient stay
-- (dated at discharge), a treatment visit or a medication (the index episode start date,
-- IESD), when the member had no SUD event in the 194 days before it (before the admission, for
-- a stay) and was enrolled in every month from 194 days before to 47 days after it.
-- initiates_itself: the IESD was a stay or a medication (initiation on the day itself).
WITH event AS (
  SELECT person_id, CASE WHEN inpatient THEN end_date ELSE service_date END AS episode_date,
         service_date AS anchor_date, inpatient OR medication AS initiates_itself
  FROM {{ shared("sud_event") }}
  WHERE inpatient OR ed OR treatment OR medication
),
episode_day AS (
  SELECT person_id, episode_date, min(anchor_date) AS anchor_date,
         bool_or(initiates_itself) AS initiates_itself
  FROM event
  GROUP BY ALL
)
SELECT d.person_id, d.episode_date, d.initiates_itself
FROM episode_day d
WHERE NOT EXISTS (
    SELECT 1 FROM {{ shared("sud_event") }} h
    WHERE h.person_id = d.person_id
      AND h.service_date BETWEEN d.anchor_date - INTERVAL 194 DAY
                             AND d.anchor_date - INTERVAL 1 DAY)
  AND enrolled_through(d.person_id, d.episode_date - INTERVAL 194 DAY,
                       d.episode_date + INTERVAL 47 DAY)
