{#- CP assignments (cp_enrollment rows) with the dates of their engagement steps, and
    engagement_date: the day the last of the three steps the data holds was done (participation
    form signed, comprehensive assessment completed, care plan signed by the PCP), NULL until
    all three are. The data has no consent date: the member agrees to take part by signing the
    participation form, so the form stands for consent. Used as a CTE by cp_milestone and
    cp_days_to_engagement. -#}
SELECT person_id, cp_id, assignment_date, disenrollment_date,
       participation_form_date, assessment_date, care_plan_signed_date,
       CASE WHEN participation_form_date IS NOT NULL AND assessment_date IS NOT NULL
                 AND care_plan_signed_date IS NOT NULL
            THEN greatest(participation_form_date, assessment_date, care_plan_signed_date)
       END AS engagement_date
FROM cp_enrollment
