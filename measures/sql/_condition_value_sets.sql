{#- The diagnosis value sets the shared table condition_claim holds, so that they are searched
    once: shared/condition_claim.sql selects them and _diagnosed.sql refuses any other (it
    would never be found). Add a value set here to find a new condition on claims. -#}
{% set condition_value_sets = [
  "smi_dx", "sud_dx", "diabetes_dx", "asthma_dx", "copd_dx", "hypertension_dx",
  "diabetes_exclusion_dx",
] %}
