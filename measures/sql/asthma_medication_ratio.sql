-- Asthma medication ratio (adapted from NCQA HEDIS AMR).
-- Units: members aged 5-64 at the end of the 12-month window, continuously enrolled in it (HEDIS
-- rule: period_enrollment), with persistent asthma in the window: an ED visit or an acute inpatient
-- stay with a principal asthma diagnosis (J45); or outpatient visits with an asthma diagnosis on 4
-- or more days and 2 or more asthma medication fills; or 4 or more asthma medication fills (asthma
-- medication: drug class asthma_controller, leukotriene_modifier or asthma_reliever), with, when
-- every fill in the window was of a leukotriene modifier, an asthma diagnosis (J45, any position,
-- any setting) on a claim in the window (HEDIS AMR: leukotriene modifiers alone, given for
-- allergic rhinitis too, do not show persistent asthma).
-- Excluded: COPD, emphysema, cystic fibrosis, chronic respiratory conditions from fumes, or
-- acute respiratory failure on any claim up to the end of the window; members with no asthma
-- medication fill in the window.
-- Numerator: controller units / all asthma medication units >= 0.50 in the window. Units
-- (HEDIS AMR): an inhaler fill (route inhalation in ndc_drug_class) is 1 unit, one canister,
-- whatever its days supply (the mart has no quantity dispensed); any other fill (oral, or a
-- code list without route) is 1 unit per 30 days supplied, rounded down, and at least 1 (a
-- 30- or 45-day fill 1 unit, a 90-day fill 3).
WITH asthma_fill AS (
  SELECT f.person_id, f.dispensing_date,
         CASE WHEN v.route = 'inhalation' THEN 1
              ELSE greatest(1, floor(f.days_supply / 30)) END AS units,
         v.drug_class IN ('asthma_controller', 'leukotriene_modifier') AS controller,
         v.drug_class = 'leukotriene_modifier' AS leukotriene_modifier
  FROM pharmacy_claim f
  JOIN (SELECT DISTINCT code, drug_class, route FROM value_set
        WHERE value_set = 'ndc_drug_class'
          AND drug_class IN ('asthma_controller', 'leukotriene_modifier', 'asthma_reliever')) v
    ON v.code = f.ndc_code
),
asthma_claim AS (  -- claims with an asthma diagnosis: principal, and what kind of care
  SELECT DISTINCT c.person_id, c.claim_id, c.claim_start_date,
         in_value_set(c.diagnosis_code_1, 'asthma_dx') AS principal,
         in_value_set(c.revenue_center_code, 'ed_visit') OR in_value_set(c.hcpcs_code, 'ed_visit')
           OR c.place_of_service_code = '23' AS ed,
         c.claim_type = 'institutional' AND left(c.bill_type_code, 2) = '11' AS acute_inpatient,
         in_value_set(c.hcpcs_code, 'outpatient_visit')
           OR in_value_set(c.revenue_center_code, 'outpatient_visit') AS outpatient
  FROM medical_claim c
  WHERE c.claim_id IN (SELECT claim_id FROM claim_diagnosis WHERE in_value_set(code, 'asthma_dx'))
),
claim_criteria AS (
  SELECT p.period_id, a.person_id,
         bool_or(a.principal AND (a.ed OR a.acute_inpatient)) AS acute_event,
         count(DISTINCT a.claim_start_date) FILTER (WHERE a.outpatient) AS outpatient_days,
         count(*) AS asthma_claims
  FROM asthma_claim a
  JOIN periods p ON a.claim_start_date BETWEEN p.window_start AND p.period_end
  GROUP BY ALL
),
fill_criteria AS (
  SELECT p.period_id, f.person_id, count(*) AS fills,
         bool_and(f.leukotriene_modifier) AS leukotriene_modifier_only,
         sum(f.units) AS units, sum(f.units) FILTER (WHERE f.controller) AS controller_units
  FROM asthma_fill f
  JOIN periods p ON f.dispensing_date BETWEEN p.window_start AND p.period_end
  GROUP BY ALL
),
eligible AS (
  SELECT p.period_id, x.person_id, p.period_end, x.units, coalesce(x.controller_units, 0) AS ctrl
  FROM fill_criteria x
  JOIN periods p USING (period_id)
  LEFT JOIN claim_criteria c USING (period_id, person_id)
  JOIN person m ON m.person_id = x.person_id
  JOIN period_enrollment e
    ON e.period_id = x.period_id AND e.person_id = x.person_id AND e."window" = 'year'
  WHERE year(p.period_end) - m.birth_year BETWEEN 5 AND 64
    AND e.continuously_enrolled
    AND (coalesce(c.acute_event, false)
         OR (coalesce(c.outpatient_days, 0) >= 4 AND x.fills >= 2)
         OR (x.fills >= 4
             AND (NOT x.leukotriene_modifier_only OR coalesce(c.asthma_claims, 0) > 0)))
    AND NOT EXISTS (
      SELECT 1 FROM claim_diagnosis d
      WHERE d.person_id = x.person_id AND in_value_set(d.code, 'asthma_exclusion_dx')
        AND d.claim_start_date <= p.period_end)
)
SELECT period_id, person_id, period_end AS attr_month,
       CASE WHEN ctrl / units >= 0.5 THEN 1 ELSE 0 END AS numerator,
       1 AS denominator
FROM eligible
