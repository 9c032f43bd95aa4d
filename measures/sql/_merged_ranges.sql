{#- Date ranges merged into disjoint ones: the rows of `source` (the `keys` columns, first_day,
    last_day; rows with last_day before first_day are left out) as one row per key and range
    of overlapping rows. Set `keys` (columns, comma-separated) and `source` (a CTE). Used by
    cp_community_tenure and cp_milestone. -#}
SELECT {{ keys }}, min(first_day) AS first_day, max(last_day) AS last_day
FROM (SELECT *, sum(starts) OVER (PARTITION BY {{ keys }} ORDER BY first_day, last_day
                                  ROWS UNBOUNDED PRECEDING) AS range_number
      FROM (SELECT *, CASE WHEN first_day <= max(last_day) OVER (
                                  PARTITION BY {{ keys }} ORDER BY first_day, last_day
                                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                           THEN 0 ELSE 1 END AS starts
            FROM {{ source }}
            WHERE first_day <= last_day))
GROUP BY {{ keys }}, range_number
