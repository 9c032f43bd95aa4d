{#- CP assignments (cp_enrollment rows) with the dates of their engagement steps, and
    engagement_date: the day the last of the three steps the data holds was done (participation
    form signed, comprehensive assessment completed, care plan signed by the PCP), NULL until
    all three are. The data has no consent date: the member agrees to take part by signing the
    participation form, so the form stands for consent.
    A step dated before the assignment belongs to it (work done while the member was being
    reached, before the assignment was recorded) unless the member had an earlier assignment
    (any CP) that had not ended by then: the step belongs to that one, and is NULL here.
    Used as a CTE by cp_milestone, cp_days_to_participation_form and cp_days_to_engagement. -#}
{%- macro own(column) -%}
CASE WHEN e.{{ column }} >= e.assignment_date OR earlier.last_day IS NULL
            OR e.{{ column }} > earlier.last_day
       THEN e.{{ column }} END
{%- endmacro %}
SELECT person_id, cp_id, assignment_date, disenrollment_date,
       participation_form_date, assessment_date, care_plan_signed_date,
       CASE WHEN participation_form_date IS NOT NULL AND assessment_date IS NOT NULL
                 AND care_plan_signed_date IS NOT NULL
            THEN greatest(participation_form_date, assessment_date, care_plan_signed_date)
       END AS engagement_date
FROM (
  SELECT e.person_id, e.cp_id, e.assignment_date, e.disenrollment_date,
         {{ own("participation_form_date") }} AS participation_form_date,
         {{ own("assessment_date") }} AS assessment_date,
         {{ own("care_plan_signed_date") }} AS care_plan_signed_date
  FROM cp_enrollment e
  LEFT JOIN (  -- the last day of the member's assignments made before each assignment
    SELECT e.person_id, e.assignment_date,
           max(coalesce(b.disenrollment_date, DATE '9999-12-31')) AS last_day
    FROM (SELECT DISTINCT person_id, assignment_date FROM cp_enrollment) e
    JOIN cp_enrollment b ON b.person_id = e.person_id AND b.assignment_date < e.assignment_date
    GROUP BY e.person_id, e.assignment_date
  ) earlier
    ON earlier.person_id = e.person_id AND earlier.assignment_date = e.assignment_date
)
