-- Annual treatment plan completion: a care plan renewed within 12 months of the previous one.
-- Care plans of an assignment: the first one (cp_enrollment.care_plan_signed_date) and every
-- renewal (a cp_activity T2024 with modifier U4, in either modifier column, by the same CP
-- during the assignment).
-- Units: care plans whose renewal is due (plan date + 12 months) inside the 12-month window
-- while the member is still assigned to the CP on the due date, so only members enrolled with
-- the CP for 12 months after a plan count. Numerator: a later care plan signed after the plan
-- date and on or before the due date. The row belongs to the CP of the assignment.
-- Records of one plan: a plan is often recorded twice (drafted as an activity, signed days or
-- weeks later), so a record within 60 days after the assignment's previous record belongs to
-- that record's plan; a plan is dated at its first record. 60 days is well over the usual
-- lag between drafting and signing and far under the 12 months before a renewal is due.
WITH assignment AS (
  SELECT person_id, cp_id, assignment_date, care_plan_signed_date,
         coalesce(disenrollment_date, DATE '9999-12-31') AS end_date
  FROM cp_enrollment
),
plan_record AS (  -- one row per assignment and day a care plan was recorded
  SELECT person_id, cp_id, assignment_date, end_date, care_plan_signed_date AS plan_date
  FROM assignment
  WHERE care_plan_signed_date IS NOT NULL
  UNION
  SELECT a.person_id, a.cp_id, a.assignment_date, a.end_date, t.activity_date
  FROM cp_activity t
  JOIN assignment a
    ON a.person_id = t.person_id AND a.cp_id = t.cp_id
   AND t.activity_date BETWEEN a.assignment_date AND a.end_date
  WHERE t.hcpcs_code = 'T2024' AND 'U4' IN (t.hcpcs_modifier, t.hcpcs_modifier_2)
),
care_plan AS (  -- the first record of each plan: none of the assignment's in the 60 days before
  SELECT person_id, cp_id, assignment_date, end_date, plan_date
  FROM (SELECT *, lag(plan_date) OVER (PARTITION BY person_id, cp_id, assignment_date
                                       ORDER BY plan_date) AS previous_date
        FROM plan_record)
  WHERE previous_date IS NULL OR plan_date > previous_date + INTERVAL 60 DAY
),
due AS (
  SELECT *, CAST(plan_date + INTERVAL 12 MONTH AS DATE) AS due_date FROM care_plan
)
SELECT p.period_id, d.person_id, d.due_date AS attr_month, d.cp_id,
       CASE WHEN EXISTS (
         SELECT 1 FROM care_plan r
         WHERE r.person_id = d.person_id AND r.cp_id = d.cp_id
           AND r.assignment_date = d.assignment_date
           AND r.plan_date > d.plan_date AND r.plan_date <= d.due_date
       ) THEN 1 ELSE 0 END AS numerator,
       1 AS denominator
FROM due d
JOIN periods p ON d.due_date BETWEEN p.window_start AND p.period_end
WHERE d.end_date >= d.due_date
