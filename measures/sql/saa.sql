-- Adherence to antipsychotic medications for people with schizophrenia (adapted from NCQA
-- HEDIS SAA). Units: members aged 18+ at the end of the 12-month window, continuously enrolled in
-- it (HEDIS rule: period_enrollment), with schizophrenia or schizoaffective disorder (one inpatient
-- claim, or claims on two different days, with the diagnosis in the window) and antipsychotic
-- dispensing events on at least two different days in the window: pharmacy fills, and long-acting
-- injections billed on medical claims (HCPCS codes of value set antipsychotic_lai); both from the
-- shared table antipsychotic_event.
-- Excluded: members with dementia (a diagnosis in the window).
-- Numerator: proportion of days covered (PDC) by an antipsychotic of at least 80%, from the
-- first dispensing event in the window (index prescription start date) to the end of the
-- window. Fills of the same drug (the medicine, e.g. risperidone, of any maker or strength:
-- column drug of ndc_drug_class) on the same day count once, with the longest days supply;
-- on different days, those that overlap shift forward: each fill starts the day after the
-- earlier supply of that drug ends (HEDIS PDC). An injection covers
-- the fixed days of its code (days_covered: 14 or 28) from its day, without shifting. Days
-- covered by different fills or injections count once. Supply after the window's end is not
-- counted.
WITH scz_claim AS (  -- claims with the diagnosis in any position
  SELECT DISTINCT c.person_id, c.claim_id, c.claim_start_date,
         c.claim_type = 'institutional' AND left(c.bill_type_code, 2) IN ('11', '12') AS inpatient
  FROM medical_claim c
  WHERE c.claim_id IN (
    SELECT claim_id FROM claim_diagnosis
    WHERE in_value_set(code, 'schizophrenia_dx'))
),
diagnosed AS (
  SELECT p.period_id, s.person_id
  FROM scz_claim s
  JOIN periods p ON s.claim_start_date BETWEEN p.window_start AND p.period_end
  GROUP BY ALL
  HAVING bool_or(s.inpatient) OR count(DISTINCT s.claim_start_date) >= 2
),
fill AS (  -- antipsychotic pharmacy fills in each period's window (oral, or an injectable
           -- dispensed by a pharmacy: its days supply is the claim's); fills of one drug on
           -- one day are one fill with the longest days supply
  SELECT p.period_id, a.person_id, a.drug, a.event_date AS dispensing_date,
         max(a.days_supply) AS days_supply
  FROM {{ shared("antipsychotic_event") }} a
  JOIN periods p ON a.event_date BETWEEN p.window_start AND p.period_end
  WHERE a.source = 'fill'
  GROUP BY p.period_id, a.person_id, a.drug, a.event_date
),
injection AS (  -- long-acting injections billed on medical claims, with their days covered
  SELECT p.period_id, a.person_id, a.event_date AS injection_date, a.days_covered
  FROM {{ shared("antipsychotic_event") }} a
  JOIN periods p ON a.event_date BETWEEN p.window_start AND p.period_end
  WHERE a.source = 'injection'
),
event AS (  -- dispensing events: pharmacy fills and injections
  SELECT period_id, person_id, dispensing_date AS event_date FROM fill
  UNION ALL
  SELECT period_id, person_id, injection_date FROM injection
),
eligible AS (
  SELECT d.period_id, d.person_id, p.period_end,
         (SELECT min(v.event_date) FROM event v
          WHERE v.period_id = d.period_id AND v.person_id = d.person_id) AS first_fill
  FROM diagnosed d
  JOIN periods p USING (period_id)
  JOIN person m ON m.person_id = d.person_id
  JOIN period_enrollment e
    ON e.period_id = d.period_id AND e.person_id = d.person_id AND e."window" = 'year'
  WHERE year(p.period_end) - m.birth_year >= 18
    AND e.continuously_enrolled
    AND (SELECT count(DISTINCT v.event_date) FROM event v
         WHERE v.period_id = d.period_id AND v.person_id = d.person_id) >= 2
    AND NOT EXISTS (
      SELECT 1 FROM claim_diagnosis x
      WHERE x.person_id = d.person_id AND in_value_set(x.code, 'dementia_dx')
        AND x.claim_start_date BETWEEN p.window_start AND p.period_end)
),
ordered AS (  -- day numbers, and the supply of the same drug dispensed before each fill
  SELECT f.period_id, f.person_id, f.drug, f.days_supply,
         f.dispensing_date - DATE '1970-01-01' AS fill_day,
         coalesce(CAST(sum(f.days_supply) OVER (
           PARTITION BY f.period_id, f.person_id, f.drug
           ORDER BY f.dispensing_date
           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS BIGINT), 0) AS supply_before,
         CAST(sum(f.days_supply) OVER (
           PARTITION BY f.period_id, f.person_id, f.drug
           ORDER BY f.dispensing_date
           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS BIGINT) AS supply_through
  FROM fill f
  JOIN eligible e USING (period_id, person_id)
),
shifted AS (
  -- A fill starts on its own day or the day after the drug's earlier supply runs out,
  -- whichever is later. Unrolled, its last covered day is
  -- supply_through - 1 + max over earlier-or-same fills j of (fill_day_j - supply_before_j).
  SELECT period_id, person_id, days_supply,
         supply_through - 1 + max(fill_day - supply_before) OVER (
           PARTITION BY period_id, person_id, drug
           ORDER BY fill_day, supply_through
           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS last_day
  FROM ordered
),
covered_range AS (  -- day numbers each fill (shifted) and each injection covers
  SELECT period_id, person_id, last_day - days_supply + 1 AS first_day, last_day
  FROM shifted
  UNION ALL
  SELECT i.period_id, i.person_id, i.injection_date - DATE '1970-01-01' AS first_day,
         i.injection_date - DATE '1970-01-01' + i.days_covered - 1 AS last_day
  FROM injection i
  JOIN eligible e USING (period_id, person_id)
),
covered_day AS (
  SELECT DISTINCT period_id, person_id, unnest(range(first_day, last_day + 1)) AS day
  FROM covered_range
),
pdc AS (
  SELECT e.period_id, e.person_id,
         count(c.day) FILTER (
           WHERE c.day BETWEEN e.first_fill - DATE '1970-01-01'
                           AND e.period_end - DATE '1970-01-01') AS days_covered,
         e.period_end - e.first_fill + 1 AS treatment_days
  FROM eligible e
  LEFT JOIN covered_day c USING (period_id, person_id)
  GROUP BY ALL
)
SELECT e.period_id, e.person_id, e.period_end AS attr_month,
       CASE WHEN p.days_covered >= 0.8 * p.treatment_days THEN 1 ELSE 0 END AS numerator,
       1 AS denominator
FROM eligible e
JOIN pdc p USING (period_id, person_id)
