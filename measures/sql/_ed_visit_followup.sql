{#- ED visits for a condition and whether each was followed up within `days` days (FUA, FUM).
    Include right after `WITH RECURSIVE follow_up AS (...),`, a CTE of (person_id, visit_date)
    rows that count as follow-up (read by EXISTS only: repeats do no harm), with these set:
    principal_dx (value set of a qualifying principal diagnosis), any_dx (value set of a
    qualifying diagnosis in any position), min_age and days. The shared table
    ed_visit_diagnosis holds only the diagnoses of the value sets below. -#}
{% for value_set in (principal_dx, any_dx)
   if value_set not in ('mental_illness_dx', 'self_harm_dx', 'sud_dx', 'overdose_dx') %}
{{ fail("value set " ~ value_set ~ " is not in shared/ed_visit_diagnosis.sql: add it there") }}
{% endfor %}
-- ED visits with a principal {{ principal_dx }} or any {{ any_dx }} diagnosis,
-- members aged {{ min_age }}+; numerator: follow-up on the ED day or up to {{ days }} days
-- after it.
ed_visit AS (  -- one row per member and day (shared/ed_visit_diagnosis.sql)
  SELECT DISTINCT person_id, visit_date
  FROM {{ shared("ed_visit_diagnosis") }}
  WHERE ((principal AND in_value_set(code, '{{ principal_dx }}'))
         OR in_value_set(code, '{{ any_dx }}'))
    AND {{ in_computed_months("visit_date") }}
),
admission AS (
  SELECT DISTINCT person_id, coalesce(admission_date, claim_start_date) AS admit_date
  FROM medical_claim
  WHERE claim_type = 'institutional' AND left(bill_type_code, 2) IN ('11', '12', '18', '21', '86')
    AND {{ in_computed_months("coalesce(admission_date, claim_start_date)") }}
),
eligible AS (
  SELECT p.period_id, v.person_id, v.visit_date
  FROM ed_visit v
  JOIN periods p ON v.visit_date BETWEEN p.window_start AND p.period_end - INTERVAL 30 DAY
  JOIN person m ON m.person_id = v.person_id
  WHERE year(v.visit_date) - m.birth_year >= {{ min_age }}
    AND enrolled_through(v.person_id, v.visit_date, v.visit_date + INTERVAL 30 DAY)
    AND NOT EXISTS (
      SELECT 1 FROM admission a
      WHERE a.person_id = v.person_id
        AND a.admit_date BETWEEN v.visit_date AND v.visit_date + INTERVAL 30 DAY)
),
next_visit AS (  -- for each eligible visit, the first eligible visit 31 or more days later
  SELECT a.period_id, a.person_id, a.visit_date, min(b.visit_date) AS next_date
  FROM eligible a
  LEFT JOIN eligible b
    ON b.period_id = a.period_id AND b.person_id = a.person_id
   AND b.visit_date >= a.visit_date + INTERVAL 31 DAY
  GROUP BY ALL
),
counted (period_id, person_id, visit_date) AS (  -- one visit per 31-day period, in date order
  SELECT period_id, person_id, min(visit_date) FROM eligible GROUP BY ALL
  UNION ALL
  SELECT n.period_id, n.person_id, n.next_date
  FROM counted c
  JOIN next_visit n
    ON n.period_id = c.period_id AND n.person_id = c.person_id AND n.visit_date = c.visit_date
  WHERE n.next_date IS NOT NULL
)
SELECT c.period_id, c.person_id, c.visit_date AS attr_month,
       CASE WHEN EXISTS (
         SELECT 1 FROM follow_up f
         WHERE f.person_id = c.person_id
           AND f.visit_date BETWEEN c.visit_date AND c.visit_date + INTERVAL {{ days }} DAY
       ) THEN 1 ELSE 0 END AS numerator,
       1 AS denominator
FROM counted c
