{#- The PMPM of one service category of medical claims. Parameter: category. -#}
-- PMPM for the '{{ category }}' service category: every member month in the quarter is one
-- unit; its numerator is what was paid that month for the member's medical claim lines in the
-- category (helper view medical_service_category, which documents the categorisation rules).
-- Paid amounts are line-level and assigned to the month of the claim's first service date.
WITH paid_by_month AS (
  SELECT person_id, CAST(date_trunc('month', claim_start_date) AS DATE) AS month,
         sum(paid_amount) AS paid
  FROM medical_service_category
  WHERE service_category = '{{ category }}'
    AND {{ in_computed_months("claim_start_date") }}
  GROUP BY ALL
),
{% include "_pmpm.sql" %}
