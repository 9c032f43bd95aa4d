{#- Two CTEs after CTE `stay` (period_id, stay_id, person_id, discharge_date) and a comma:
    short_year_before, the stays whose member was not enrolled in more than one of the 12
    calendar months before the discharge month, and index_stay, the others. HEDIS PCR asks
    for enrollment in the 365 days before the discharge with at most one gap of up to 45 days;
    with monthly enrollment that is at most one month missing (two months in a row are a gap
    of about 60 days, two single months are two gaps). A month counts if any enrollment span
    touches it (enrollment_gap, as helper enrolled_through). The specs that include it set
    lookback_months: 12, so a period whose year before is outside the data is not computed.
    Used by the readmission measures. -#}
short_year_before AS (
  SELECT s.period_id, s.stay_id
  FROM stay s
  JOIN enrollment_gap g
    ON g.person_id = s.person_id
   AND g.gap_last >= CAST(date_trunc('month', s.discharge_date) - INTERVAL 12 MONTH AS DATE)
   AND g.gap_first <= CAST(date_trunc('month', s.discharge_date) - INTERVAL 1 MONTH AS DATE)
  GROUP BY s.period_id, s.stay_id
  HAVING sum(date_diff('month',
                       greatest(g.gap_first, CAST(date_trunc('month', s.discharge_date)
                                                  - INTERVAL 12 MONTH AS DATE)),
                       least(g.gap_last, CAST(date_trunc('month', s.discharge_date)
                                              - INTERVAL 1 MONTH AS DATE))) + 1) > 1
),
index_stay AS (
  SELECT s.* FROM stay s
  WHERE NOT EXISTS (SELECT 1 FROM short_year_before x
                    WHERE x.period_id = s.period_id AND x.stay_id = s.stay_id)
)
