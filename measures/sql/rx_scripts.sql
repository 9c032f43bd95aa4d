-- Prescriptions per 1,000 member months. Exposure: member months in the quarter; numerator: the
-- member's pharmacy claims dispensed in those months (one claim = one script, whatever its days
-- supply).
WITH events_by_month AS (
  SELECT person_id, CAST(date_trunc('month', dispensing_date) AS DATE) AS month,
         count(DISTINCT claim_id) AS events
  FROM pharmacy_claim
  WHERE {{ in_computed_months("dispensing_date") }}
  GROUP BY ALL
),
{% include "_events_per_member_month.sql" %}
