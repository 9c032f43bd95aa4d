{#- The CMS-HCC V24 model (community, non-dual segments; concurrent; not normalised): the CTEs
    member (period_id, person_id, dx_start, period_end, last_month, age, sex) and risk
    (period_id, person_id, score), with those in between. Include right after `WITH`; it ends
    with the CTE risk (write a comma on the next line to add more CTEs). Used by risk_score_avg
    and risk_adjusted_pmpm. -#}
-- CMS-HCC V24 risk score of each member: the demographic factor of the member's segment (aged
-- 65+ CNA, otherwise disabled CND), sex and age, plus the factors of the HCCs from every
-- diagnosis on medical claims (after the V24 hierarchies), the V24 disease interactions and the
-- payment-HCC count term. Tables: value sets cms_hcc_v24_dx (ICD-10-CM -> HCC, column hcc) and
-- cms_hcc_v24_coefficient (column coefficient).
-- members: anyone enrolled in a month of the window (12 months or the quarter); age at the
-- period's end; diagnoses from the 12 months ending with the period (fewer at the start of the
-- data).
member AS (
  SELECT p.period_id, CAST(p.period_end - INTERVAL 12 MONTH + INTERVAL 1 DAY AS DATE) AS dx_start,
         p.period_end, mm.person_id, max(mm.month) AS last_month,
         any_value(year(p.period_end) - m.birth_year) AS age,
         any_value(CASE WHEN m.gender = 'male' THEN 'M' ELSE 'F' END) AS sex
  FROM member_months mm
  JOIN periods p ON mm.month BETWEEN p.window_start AND p.period_end
  JOIN person m ON m.person_id = mm.person_id
  GROUP BY p.period_id, p.window_start, p.period_end, mm.person_id
),
-- segment: community non-dual aged (CNA, 65+) or disabled (CND, under 65)
demographic AS (
  SELECT period_id, person_id,
         CASE WHEN age >= 65 THEN 'CNA' ELSE 'CND' END AS segment,
         sex || CASE
           WHEN age < 35 THEN '0_34' WHEN age < 45 THEN '35_44' WHEN age < 55 THEN '45_54'
           WHEN age < 60 THEN '55_59' WHEN age < 65 THEN '60_64' WHEN age < 70 THEN '65_69'
           WHEN age < 75 THEN '70_74' WHEN age < 80 THEN '75_79' WHEN age < 85 THEN '80_84'
           WHEN age < 90 THEN '85_89' WHEN age < 95 THEN '90_94' ELSE '95_GT' END AS age_sex
  FROM member
),
-- condition categories from every diagnosis on medical claims starting from dx_start to the
-- period's end
cc AS (
  SELECT DISTINCT m.period_id, m.person_id, v.hcc
  FROM member m
  JOIN claim_diagnosis d
    ON d.person_id = m.person_id AND d.claim_start_date BETWEEN m.dx_start AND m.period_end
  -- exact codes (code_system ICD10CM_EXACT), so the helper's prefix expansion skips them
  JOIN value_set v ON v.value_set = 'cms_hcc_v24_dx' AND v.code = d.code
),
-- V24 hierarchies (CMS macro V24H86H1): a member with the first HCC drops the second
hierarchy(parent, child) AS (VALUES
    ('HCC8', 'HCC9'), ('HCC8', 'HCC10'), ('HCC8', 'HCC11'), ('HCC8', 'HCC12'),
    ('HCC9', 'HCC10'), ('HCC9', 'HCC11'), ('HCC9', 'HCC12'), ('HCC10', 'HCC11'),
    ('HCC10', 'HCC12'), ('HCC11', 'HCC12'), ('HCC17', 'HCC18'), ('HCC17', 'HCC19'),
    ('HCC18', 'HCC19'), ('HCC27', 'HCC28'), ('HCC27', 'HCC29'), ('HCC27', 'HCC80'),
    ('HCC28', 'HCC29'), ('HCC46', 'HCC48'), ('HCC51', 'HCC52'), ('HCC54', 'HCC55'),
    ('HCC54', 'HCC56'), ('HCC55', 'HCC56'), ('HCC57', 'HCC58'), ('HCC57', 'HCC59'),
    ('HCC57', 'HCC60'), ('HCC58', 'HCC59'), ('HCC58', 'HCC60'), ('HCC59', 'HCC60'),
    ('HCC70', 'HCC71'), ('HCC70', 'HCC72'), ('HCC70', 'HCC103'), ('HCC70', 'HCC104'),
    ('HCC70', 'HCC169'), ('HCC71', 'HCC72'), ('HCC71', 'HCC104'), ('HCC71', 'HCC169'),
    ('HCC72', 'HCC169'), ('HCC82', 'HCC83'), ('HCC82', 'HCC84'), ('HCC83', 'HCC84'),
    ('HCC86', 'HCC87'), ('HCC86', 'HCC88'), ('HCC87', 'HCC88'), ('HCC99', 'HCC100'),
    ('HCC103', 'HCC104'), ('HCC106', 'HCC107'), ('HCC106', 'HCC108'), ('HCC106', 'HCC161'),
    ('HCC106', 'HCC189'), ('HCC107', 'HCC108'), ('HCC110', 'HCC111'), ('HCC110', 'HCC112'),
    ('HCC111', 'HCC112'), ('HCC114', 'HCC115'), ('HCC134', 'HCC135'), ('HCC134', 'HCC136'),
    ('HCC134', 'HCC137'), ('HCC134', 'HCC138'), ('HCC135', 'HCC136'), ('HCC135', 'HCC137'),
    ('HCC135', 'HCC138'), ('HCC136', 'HCC137'), ('HCC136', 'HCC138'), ('HCC137', 'HCC138'),
    ('HCC157', 'HCC158'), ('HCC157', 'HCC159'), ('HCC157', 'HCC161'), ('HCC158', 'HCC159'),
    ('HCC158', 'HCC161'), ('HCC159', 'HCC161'), ('HCC166', 'HCC80'), ('HCC166', 'HCC167')
),
hcc AS (
  SELECT c.period_id, c.person_id, c.hcc
  FROM cc c
  WHERE NOT EXISTS (
    SELECT 1 FROM cc h JOIN hierarchy x ON x.parent = h.hcc
    WHERE h.period_id = c.period_id AND h.person_id = c.person_id AND x.child = c.hcc)
),
-- V24 community disease interactions (CMS macro V24I0ED1 / V2419P1M): both groups present
hcc_group(grp, hcc) AS (VALUES
    ('CANCER', 'HCC8'), ('CANCER', 'HCC9'), ('CANCER', 'HCC10'), ('CANCER', 'HCC11'),
    ('CANCER', 'HCC12'), ('DIABETES', 'HCC17'), ('DIABETES', 'HCC18'), ('DIABETES', 'HCC19'),
    ('CARD_RESP_FAIL', 'HCC82'), ('CARD_RESP_FAIL', 'HCC83'), ('CARD_RESP_FAIL', 'HCC84'),
    ('CHF', 'HCC85'), ('gCopdCF', 'HCC110'), ('gCopdCF', 'HCC111'), ('gCopdCF', 'HCC112'),
    ('RENAL', 'HCC134'), ('RENAL', 'HCC135'), ('RENAL', 'HCC136'), ('RENAL', 'HCC137'),
    ('RENAL', 'HCC138'), ('SUD', 'HCC54'), ('SUD', 'HCC55'), ('SUD', 'HCC56'),
    ('PSYCH', 'HCC57'), ('PSYCH', 'HCC58'), ('PSYCH', 'HCC59'), ('PSYCH', 'HCC60'),
    ('HCC47', 'HCC47'), ('HCC96', 'HCC96')
),
interaction(term, grp1, grp2) AS (VALUES
    ('HCC47_gCancer', 'HCC47', 'CANCER'), ('DIABETES_CHF', 'CHF', 'DIABETES'),
    ('CHF_gCopdCF', 'CHF', 'gCopdCF'), ('HCC85_gRenal_V24', 'CHF', 'RENAL'),
    ('gCopdCF_CARD_RESP_FAIL', 'gCopdCF', 'CARD_RESP_FAIL'), ('HCC85_HCC96', 'CHF', 'HCC96'),
    ('gSubstanceUseDisorder_gPsych', 'SUD', 'PSYCH')
),
member_group AS (
  SELECT DISTINCT h.period_id, h.person_id, g.grp
  FROM hcc h JOIN hcc_group g ON g.hcc = h.hcc
),
hcc_count AS (
  SELECT period_id, person_id, count(*) AS n FROM hcc GROUP BY period_id, person_id
),
-- model terms; a term without a coefficient in the segment (e.g. CNA_gSubstance...) adds 0
term AS (
  SELECT period_id, person_id, segment || '_' || age_sex AS code FROM demographic
  UNION ALL
  SELECT h.period_id, h.person_id, d.segment || '_' || h.hcc
  FROM hcc h JOIN demographic d USING (period_id, person_id)
  UNION ALL
  SELECT a.period_id, a.person_id, d.segment || '_' || i.term
  FROM interaction i
  JOIN member_group a ON a.grp = i.grp1
  JOIN member_group b ON b.grp = i.grp2 AND b.period_id = a.period_id
                     AND b.person_id = a.person_id
  JOIN demographic d ON d.period_id = a.period_id AND d.person_id = a.person_id
  UNION ALL
  SELECT c.period_id, c.person_id,
         d.segment || '_D' || CASE WHEN c.n >= 10 THEN '10P' ELSE CAST(c.n AS VARCHAR) END
  FROM hcc_count c JOIN demographic d USING (period_id, person_id)
),
risk AS (
  SELECT t.period_id, t.person_id, sum(CAST(v.coefficient AS DOUBLE)) AS score
  FROM term t
  JOIN value_set v ON v.value_set = 'cms_hcc_v24_coefficient' AND v.code = t.code
  GROUP BY t.period_id, t.person_id
)
