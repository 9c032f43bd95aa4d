-- Share of members in the high-risk tier.
-- Units: members enrolled in the last month of the 12-month window (attributed by that month).
-- Numerator (high risk): in the window, any of: two or more of the five profile conditions
-- (serious mental illness, substance use disorder, diabetes, asthma or COPD, high blood
-- pressure; each found on claims as the prevalence_* measures find it, _diagnosed.sql), two
-- or more acute inpatient stays (admitted in the window; hospital_stay, so the interim bills
-- of one stay and a direct transfer count once), or ED visits on four or more different days
-- (in months the member was enrolled, as ed_visits and frequent_ed_users count them).
WITH
{% with cte="diagnosed", evidence_from="p.window_start",
         conditions={"smi": ["smi_dx"], "sud": ["sud_dx"], "diabetes": ["diabetes_dx"],
                     "asthma_copd": ["asthma_dx", "copd_dx"],
                     "hypertension": ["hypertension_dx"]} %}
{% include "_diagnosed.sql" %}
{% endwith %}
,
base AS (  -- members enrolled in the last month of the 12-month window
  SELECT p.period_id, e.person_id, p.window_start, p.period_end
  FROM periods p
  JOIN period_enrollment e ON e.period_id = p.period_id AND e."window" = 'year'
  WHERE e.enrolled_at_end
),
condition AS (
  SELECT period_id, person_id, count(*) AS conditions FROM diagnosed GROUP BY ALL
),
stays AS (
  SELECT b.period_id, b.person_id, count(*) AS stays
  FROM base b
  JOIN hospital_stay s
    ON s.person_id = b.person_id AND s.admission_date BETWEEN b.window_start AND b.period_end
  WHERE left(s.bill_type_code, 2) = '11'
  GROUP BY ALL
),
{% include "_enrolled_ed_visit.sql" %},
ed_days AS (
  SELECT b.period_id, b.person_id, count(*) AS ed_days
  FROM base b
  JOIN enrolled_ed_visit v
    ON v.person_id = b.person_id AND v.visit_date BETWEEN b.window_start AND b.period_end
  GROUP BY ALL
)
SELECT b.period_id, b.person_id, b.period_end AS attr_month,
       CASE WHEN coalesce(c.conditions, 0) >= 2 OR coalesce(s.stays, 0) >= 2
                 OR coalesce(v.ed_days, 0) >= 4 THEN 1 ELSE 0 END AS numerator,
       1 AS denominator
FROM base b
LEFT JOIN condition c USING (period_id, person_id)
LEFT JOIN stays s USING (period_id, person_id)
LEFT JOIN ed_days v USING (period_id, person_id)
