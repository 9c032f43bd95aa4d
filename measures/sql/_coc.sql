{#- The Bice-Boxerman continuity of care (COC) index over office visits: the CTE coc
    (period_id, person_id, attr_month, coc), with those before it. Include right after `WITH`;
    it ends with the CTE coc (write a comma on the next line to add more CTEs). Used by
    continuity_of_care and fragmented_care. -#}
-- A visit is a distinct member, service date and provider on a professional claim line with
-- an office, preventive or wellness visit code (value set coc_office_visit); the provider is
-- the rendering NPI, else the billing NPI, else the billing TIN (lines with none are
-- skipped). Units: members with 3 or more visits in the 12-month window who were enrolled
-- in it, attributed in their last enrolled month.
-- COC = (sum_j n_j^2 - N) / (N (N - 1)), n_j visits to provider j, N visits in all.
visit AS (
  SELECT DISTINCT person_id, claim_start_date AS visit_date,
         coalesce(rendering_npi, billing_npi, billing_tin) AS provider
  FROM medical_claim
  WHERE claim_type = 'professional'
    AND in_value_set(hcpcs_code, 'coc_office_visit')
    AND coalesce(rendering_npi, billing_npi, billing_tin) IS NOT NULL
    AND {{ in_computed_months("claim_start_date") }}
),
per_provider AS (
  SELECT p.period_id, v.person_id, v.provider, count(*) AS n
  FROM visit v
  JOIN periods p ON v.visit_date BETWEEN p.window_start AND p.period_end
  GROUP BY ALL
),
last_enrolled AS (
  SELECT p.period_id, mm.person_id, max(mm.month) AS month
  FROM member_months mm
  JOIN periods p ON mm.month BETWEEN p.window_start AND p.period_end
  GROUP BY ALL
),
coc AS (
  SELECT v.period_id, v.person_id, l.month AS attr_month,
         (sum(v.n * v.n) - sum(v.n)) / (sum(v.n) * (sum(v.n) - 1)) AS coc
  FROM per_provider v
  JOIN last_enrolled l USING (period_id, person_id)
  GROUP BY v.period_id, v.person_id, l.month
  HAVING sum(v.n) >= 3
)
