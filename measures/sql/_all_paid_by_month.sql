{#- What was paid for each member's medical and pharmacy claims, by month of the claim's
    first service (or dispensing) date: the CTE paid_by_month (person_id, month, paid). Include
    right after `WITH` or a comma; it ends with paid_by_month (write a comma on the next line to
    add more CTEs). Only the months of the periods computed are summed (the windows start and
    end with a month). Used by total_cost_pmpm and risk_adjusted_pmpm. -#}
paid AS (
  SELECT person_id, date_trunc('month', claim_start_date) AS month, paid_amount FROM medical_claim
  WHERE {{ in_computed_months("claim_start_date") }}
  UNION ALL
  SELECT person_id, date_trunc('month', dispensing_date), paid_amount FROM pharmacy_claim
  WHERE {{ in_computed_months("dispensing_date") }}
),
paid_by_month AS (
  SELECT person_id, CAST(month AS DATE) AS month, sum(paid_amount) AS paid
  FROM paid
  GROUP BY ALL
)
