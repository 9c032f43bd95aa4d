-- Risk-adjusted PMPM: medical and pharmacy paid per member month, divided by the members'
-- relative risk. Units: member months in the quarter; numerator: paid that month (as in
-- total_cost_pmpm); denominator: the member's relative risk, i.e. the member's CMS-HCC V24
-- score (model as in risk_score_avg, with diagnoses from the 12 months ending with the
-- quarter and age at the quarter's end) divided by the program's member-month-weighted mean
-- score in the quarter. The result is (paid / member months) / (mean relative risk): the
-- program's own value equals its plain PMPM, and a group whose members are sicker than
-- average has its PMPM scaled down.
WITH
{% include "_cms_hcc_v24.sql" %}
,
{% include "_all_paid_by_month.sql" %}
,
enrolled AS (
  SELECT p.period_id, mm.person_id, mm.month
  FROM member_months mm
  JOIN periods p ON mm.month BETWEEN p.window_start AND p.period_end
),
program_mean AS (
  SELECT e.period_id, avg(r.score) AS mean_score
  FROM enrolled e
  JOIN risk r USING (period_id, person_id)
  GROUP BY e.period_id
)
SELECT e.period_id, e.person_id, e.month AS attr_month,
       coalesce(m.paid, 0) AS numerator,
       r.score / pm.mean_score AS denominator
FROM enrolled e
JOIN risk r USING (period_id, person_id)
JOIN program_mean pm USING (period_id)
LEFT JOIN paid_by_month m USING (person_id, month)
