{#- Cost per member month: every member month in the window is one unit; its numerator is
    what was paid that month. Include after the CTE paid_by_month (person_id, month, paid) and
    a comma: `WITH paid_by_month AS (...),`; summing only the months of the periods computed
    there (the windows' months) gives the same rows for less work. Used by the pmpm_* measures
    and total_cost_pmpm. -#}
enrolled AS (
  SELECT p.period_id, mm.person_id, mm.month
  FROM member_months mm
  JOIN periods p ON mm.month BETWEEN p.window_start AND p.period_end
)
SELECT e.period_id, e.person_id, e.month AS attr_month,
       coalesce(m.paid, 0) AS numerator,
       1 AS denominator
FROM enrolled e
LEFT JOIN paid_by_month m USING (person_id, month)
