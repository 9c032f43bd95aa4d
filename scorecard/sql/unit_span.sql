-- Who a row counts for, looked up by every measure (engine.aggregate_sql(unit_span=True)):
-- every member's timeline cut into spans of months with the same ACO, CP and practice
-- (usually one to three per member, with the gaps and the time before and after as spans
-- without attribution), each pointing to a dim_id: one row of unit_dim per combination of attribution and demographics. A measure's rows then
-- need one small join and four grouping keys before the entity and stratum columns are
-- looked up on the few summed rows (aggregate_sql(unit_span=True)). Only first-of-month
-- attribution rows are used: attr_month is always a month start, so no other row could match.
-- Most members stay with one ACO, CP and practice for one unbroken run of months, found by
-- one grouping; only members who left and came back (one in eleven in the generated data) have
-- their months numbered one by one into islands (at a million members 5.8 -> 3.4 s).
-- Made with the helpers of extract_helpers.sql (engine.create_extract_helpers, DuckDB only:
-- Spark aggregates without it) as it depends on attribution and person alone, so it is kept
-- with a checked extract (scorecard/extract.py) and a build that starts from one does not make
-- it again (at a million members about 5 s of CPU).
CREATE OR REPLACE TABLE unit_timeline AS
WITH attributed AS NOT MATERIALIZED (
  SELECT person_id, month, aco_id, cp_id, practice_id
  FROM attribution
  WHERE month = date_trunc('month', month)
),
runs AS MATERIALIZED (
  SELECT person_id, aco_id, cp_id, practice_id, min(month) AS first_month,
         max(month) AS last_month,
         count(*) = datediff('month', min(month), max(month)) + 1 AS unbroken
  FROM attributed
  GROUP BY person_id, aco_id, cp_id, practice_id
),
broken AS (
  SELECT DISTINCT person_id FROM runs WHERE NOT unbroken
),
numbered AS (
  SELECT person_id, month, aco_id, cp_id, practice_id,
         year(month) * 12 + month(month)
           - row_number() OVER (PARTITION BY person_id, aco_id, cp_id, practice_id
                                ORDER BY month) AS island
  FROM attributed
  WHERE person_id IN (SELECT person_id FROM broken)
),
spans AS (
  SELECT person_id, aco_id, cp_id, practice_id, first_month, last_month
  FROM runs
  WHERE person_id NOT IN (SELECT person_id FROM broken)
  UNION ALL
  SELECT person_id, aco_id, cp_id, practice_id, min(month), max(month)
  FROM numbered
  GROUP BY person_id, aco_id, cp_id, practice_id, island
),
gaps AS (
  SELECT person_id,
         coalesce(CAST(lag(last_month) OVER (PARTITION BY person_id ORDER BY first_month)
                       + INTERVAL 1 MONTH AS DATE), DATE '0001-01-01') AS first_month,
         CAST(first_month - INTERVAL 1 MONTH AS DATE) AS last_month
  FROM spans
  UNION ALL
  SELECT person_id, CAST(max(last_month) + INTERVAL 1 MONTH AS DATE), DATE '9999-12-01'
  FROM spans
  GROUP BY person_id
  UNION ALL
  SELECT person_id, DATE '0001-01-01', DATE '9999-12-01'
  FROM person
  WHERE person_id NOT IN (SELECT person_id FROM spans)
),
timeline AS (
  SELECT person_id, first_month, last_month, aco_id, cp_id, practice_id FROM spans
  UNION ALL
  SELECT person_id, first_month, last_month, NULL, NULL, NULL
  FROM gaps
  WHERE first_month <= last_month
)
SELECT t.*, p.birth_year, coalesce(p.gender, 'unknown') AS sex,
       coalesce(p.race, 'Unknown') AS race, coalesce(p.language, 'Unknown') AS language
FROM timeline t
LEFT JOIN person p USING (person_id);

CREATE OR REPLACE TABLE unit_dim AS
SELECT row_number() OVER () AS dim_id, *
FROM (SELECT DISTINCT aco_id, cp_id, practice_id, birth_year, sex, race, language
      FROM unit_timeline);

CREATE OR REPLACE TABLE unit_span AS
SELECT t.person_id, t.first_month, t.last_month, d.dim_id
FROM unit_timeline t
JOIN unit_dim d
  ON d.aco_id IS NOT DISTINCT FROM t.aco_id AND d.cp_id IS NOT DISTINCT FROM t.cp_id
 AND d.practice_id IS NOT DISTINCT FROM t.practice_id
 AND d.birth_year IS NOT DISTINCT FROM t.birth_year
 AND d.sex = t.sex AND d.race = t.race AND d.language = t.language;

DROP TABLE unit_timeline;
