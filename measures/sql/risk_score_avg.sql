-- Average risk score: CMS-HCC V24 (community, non-dual segments; concurrent; not normalised).
-- Units: members enrolled in at least one month of the 12-month window; each unit's value is
-- the member's score: the demographic factor of the member's segment (aged 65+ CNA, otherwise
-- disabled CND), sex and age at the window's end, plus the factors of the HCCs from every
-- diagnosis on medical claims starting in the window (after the V24 hierarchies), the V24
-- disease interactions and the payment-HCC count term. Tables: value sets cms_hcc_v24_dx
-- (ICD-10-CM -> HCC, column hcc) and cms_hcc_v24_coefficient (column coefficient).
WITH
{% include "_cms_hcc_v24.sql" %}
SELECT m.period_id, m.person_id, m.last_month AS attr_month,
       r.score AS numerator,
       1 AS denominator
FROM member m
JOIN risk r USING (period_id, person_id)
