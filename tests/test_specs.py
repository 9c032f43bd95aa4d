"""Measure specs as SQL templates: parameters, a shared sql_file, fragments and their errors."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from spec_fixture import write

from scorecard.build import measure_file_hashes
from scorecard.specs import SpecError, change_notes, load_spec, load_specs

ROOT = Path(__file__).resolve().parents[1]
MEASURES = ROOT / "measures"

FOLLOW_UP = """-- follow-up within {{ days }} days ({{ id }})
SELECT period_id, person_id, period_end AS attr_month,
       {{ days }} AS numerator, 1 AS denominator
FROM periods
"""
WITH_FRAGMENT = """WITH
{% with table='periods' %}
{% include "_rows.sql" %}
{% endwith %}
,
extra AS (SELECT 1 AS one)
SELECT r.*, {{ days }} AS numerator, 1 AS denominator FROM rows r, extra
"""
ROWS = """{#- rows of `table`: a fragment -#}
rows AS (
  SELECT period_id, person_id, period_end AS attr_month FROM {{ table }}
)
"""


def problems(folder: Path) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_specs(folder)
    return caught.value.problems


def test_parameters_render_into_the_sql(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"follow_up.sql": FOLLOW_UP},
        fu_7d={"sql_file": "sql/follow_up.sql", "parameters": {"days": 7}},
    )
    spec, found = load_spec(tmp_path / "fu_7d.yml")
    assert found == [] and spec is not None
    assert spec.parameters == {"days": 7} and spec.sql_file == "sql/follow_up.sql"
    assert spec.sql.startswith("-- follow-up within 7 days (fu_7d)\n")
    assert "7 AS numerator" in spec.sql and "{{" not in spec.sql
    assert "sql" not in spec.model_dump() and "parameters" in spec.model_dump()


def test_specs_share_one_sql_file_with_their_own_parameters(tmp_path: Path) -> None:
    shared = {"sql_file": "sql/follow_up.sql"}
    write(
        tmp_path,
        {"follow_up.sql": FOLLOW_UP},
        fu_7d={**shared, "parameters": {"days": 7}},
        fu_30d={**shared, "parameters": {"days": 30}},
    )
    specs = {s.id: s for s in load_specs(tmp_path)}
    assert "7 AS numerator" in specs["fu_7d"].sql and "30 AS numerator" in specs["fu_30d"].sql
    assert specs["fu_7d"].sql.replace("7", "30").replace("fu_30d", "fu_7d") == specs[
        "fu_30d"
    ].sql.replace("fu_30d", "fu_7d")


def test_fragments_are_included_and_hashed(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"uses_rows.sql": WITH_FRAGMENT, "_rows.sql": ROWS},
        rows_7d={"sql_file": "sql/uses_rows.sql", "parameters": {"days": 7}},
    )
    (spec,) = load_specs(tmp_path)
    assert spec.sql_includes == ("sql/_rows.sql",)
    assert "FROM periods\n)\n,\nextra AS" in spec.sql and "{%" not in spec.sql
    assert "-- rows" not in spec.sql  # a Jinja comment is not SQL
    before = measure_file_hashes(tmp_path, [spec])
    assert set(before) == {"rows_7d.yml", "sql/uses_rows.sql", "sql/_rows.sql"}
    (tmp_path / "sql" / "_rows.sql").write_text(ROWS.replace("rows AS", "rows AS  -- x"))
    (changed,) = load_specs(tmp_path)
    after = measure_file_hashes(tmp_path, [changed])
    assert after["sql/_rows.sql"] != before["sql/_rows.sql"]
    assert {k: v for k, v in after.items() if k != "sql/_rows.sql"} == {
        k: v for k, v in before.items() if k != "sql/_rows.sql"
    }


def test_missing_parameter_names_the_spec_file_and_field(tmp_path: Path) -> None:
    write(tmp_path, {"follow_up.sql": FOLLOW_UP}, fu={"sql_file": "sql/follow_up.sql"})
    (problem,) = problems(tmp_path)
    assert problem.startswith(f"{tmp_path / 'fu.yml'}: parameters: sql/follow_up.sql line 1: ")
    assert "'days' is undefined" in problem


def test_missing_parameter_in_a_fragment_names_the_fragment(tmp_path: Path) -> None:
    sql = WITH_FRAGMENT.replace("{% with table='periods' %}\n", "").replace("{% endwith %}\n", "")
    write(
        tmp_path,
        {"uses_rows.sql": sql, "_rows.sql": ROWS},
        rows={"sql_file": "sql/uses_rows.sql", "parameters": {"days": 7}},
    )
    (problem,) = problems(tmp_path)
    assert re.match(
        rf"{re.escape(str(tmp_path / 'rows.yml'))}: parameters: sql/_rows.sql line \d+: ", problem
    )
    assert "'table' is undefined" in problem


@pytest.mark.parametrize(
    ("include", "why"),
    [
        ("_missing.sql", "cannot include '_missing.sql'"),
        ("follow_up.sql", "only fragments named _*.sql can be included"),
        ("../secret.sql", "only fragments named _*.sql can be included"),
    ],
)
def test_bad_include_names_the_file_and_sql_file(tmp_path: Path, include: str, why: str) -> None:
    sql = f'WITH\n{{% include "{include}" %}}\nSELECT 1\n'
    write(
        tmp_path,
        {"bad.sql": sql, "follow_up.sql": FOLLOW_UP},
        bad={"sql_file": "sql/bad.sql"},
    )
    (problem,) = problems(tmp_path)
    assert problem.startswith(f"{tmp_path / 'bad.yml'}: sql_file: sql/bad.sql line 2: ")
    assert why in problem


def test_template_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, {"bad.sql": "SELECT 1\n-- {% if %}\n"}, bad={"sql_file": "sql/bad.sql"})
    (problem,) = problems(tmp_path)
    assert problem.startswith(f"{tmp_path / 'bad.yml'}: sql_file: sql/bad.sql line 2: ")
    assert "template syntax" in problem


def test_unused_and_badly_named_parameters_are_problems(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"follow_up.sql": FOLLOW_UP},
        typo={"sql_file": "sql/follow_up.sql", "parameters": {"days": 7, "dayz": 7}},
        bad_value={"sql_file": "sql/follow_up.sql", "parameters": {"days": [7]}},
        reserved={"sql_file": "sql/follow_up.sql", "parameters": {"days": 7, "id": "x"}},
    )
    found = problems(tmp_path)
    assert f"{tmp_path / 'typo.yml'}: parameters.dayz: not used by sql/follow_up.sql" in found[2]
    assert found[0].startswith(f"{tmp_path / 'bad_value.yml'}: parameters: ")
    assert "['days'] need a text, number or true/false value" in found[0]
    assert found[1].startswith(f"{tmp_path / 'reserved.yml'}: parameters: ") and "'id'" in found[1]
    assert len(found) == 3


def test_fail_stops_with_the_templates_message(tmp_path: Path) -> None:
    sql = "{% if kind != 'a' %}{{ fail('kind must be a, not ' ~ kind) }}{% endif %}\nSELECT 1\n"
    write(tmp_path, {"k.sql": sql}, k={"sql_file": "sql/k.sql", "parameters": {"kind": "b"}})
    (problem,) = problems(tmp_path)
    assert problem == f"{tmp_path / 'k.yml'}: parameters: sql/k.sql line 1: kind must be a, not b"


def test_a_condition_the_shared_claims_table_does_not_hold_is_refused(tmp_path: Path) -> None:
    # _diagnosed.sql reads condition_claim, which holds only the value sets of
    # _condition_value_sets.sql: a prevalence of another value set would silently be 0
    shutil.copytree(MEASURES, tmp_path, dirs_exist_ok=True)
    path = tmp_path / "prevalence_smi.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("value_sets: 'smi_dx'", "value_sets: 'esrd_dx'"), "utf-8")
    spec, found = load_spec(path)
    assert spec is None and len(found) == 1
    assert found[0].startswith(f"{path}: parameters: sql/_diagnosed.sql line ")
    assert "'esrd_dx' is not in the shared table condition_claim" in found[0]
    assert "sql/_condition_value_sets.sql" in found[0]


def test_a_spec_without_parameters_gets_its_own_file_unchanged() -> None:
    spec, found = load_spec(MEASURES / "cp_disenrollment.yml")
    assert found == [] and spec is not None and spec.parameters == {}
    text = (MEASURES / "sql" / "cp_disenrollment.sql").read_text(encoding="utf-8")
    assert spec.sql_file == "sql/cp_disenrollment.sql" and spec.sql == text
    assert spec.sql_includes == () and spec.shared_tables == {}


def test_the_measure_families_share_their_sql() -> None:
    specs = {s.id: s for s in load_specs(MEASURES)}
    assert all("{{" not in s.sql and "{%" not in s.sql for s in specs.values())
    families = {
        "sql/iet.sql": 6,
        "sql/fua.sql": 2,
        "sql/fum.sql": 2,
        "sql/fuh.sql": 2,
        "sql/pmpm_category.sql": 5,
        "sql/prevalence.sql": 4,  # prevalence_diabetes has its own (diabetes as below)
        "sql/cp_milestone.sql": 4,
        "sql/well_care_visits.sql": 2,
    }
    for sql_file, count in families.items():
        assert sum(s.sql_file == sql_file for s in specs.values()) == count, sql_file
    # the 7- and 30-day rates differ in the day count only
    for family in ("fua", "fum", "fuh"):
        short, long = specs[f"{family}_7d"].sql, specs[f"{family}_30d"].sql
        assert short != long
        assert re.sub(r"\b7\b", "30", short) == long
    diabetes = (
        "hba1c_testing",
        "hba1c_poor_control",
        "diabetes_eye_exam",
        "kidney_health_evaluation",
    )
    diabetic = (
        "sql/_diabetic.sql",
        "sql/_diagnosed.sql",
        "sql/_condition_value_sets.sql",
        "sql/shared/condition_claim.sql",
        "sql/shared/diabetes_fill.sql",
    )
    denominator = ("sql/_diabetes_denominator.sql", *diabetic)
    hospice = ("sql/shared/hospice.sql",)  # exclusions: [hospice]
    # exclusions: [hospice, palliative_care, frailty_advanced_illness], and frailty_81 for
    # kidney_health_evaluation (long_term_institutional is HEDIS's for Medicare members only)
    palliative = ("sql/shared/palliative_care.sql",)
    frailty = ("sql/shared/frailty_advanced_illness.sql", "sql/shared/frailty_window.sql")
    for m in diabetes:
        frailty_81 = ("sql/shared/frailty_81.sql",) * (m == "kidney_health_evaluation")
        assert specs[m].sql_includes == (
            denominator + hospice + palliative + frailty + frailty_81
        ), m
        shared = ["condition_claim", "diabetes_fill", "hospice", "palliative_care"]
        shared += ["frailty_window", "frailty_advanced_illness"]
        shared += ["frailty_81"] * len(frailty_81)
        assert list(specs[m].shared_tables) == shared, m
    # ssd excludes the members with diabetes the four measures count; prevalence_diabetes
    # counts them, found in its window only
    antipsychotic = ("sql/shared/antipsychotic_event.sql",)  # fills and long-acting injections
    assert specs["ssd"].sql_includes == diabetic + antipsychotic + hospice
    # SAA, SSD and metabolic monitoring count the same antipsychotic dispensing events
    for m in ("saa", "ssd", "antipsychotic_metabolic_monitoring"):
        assert "antipsychotic_event" in specs[m].shared_tables, m
        assert "pharmacy_claim" in specs[m].requires and "medical_claim" in specs[m].requires
    assert specs["prevalence_diabetes"].sql_includes == diabetic
    # HEDIS's diabetes exclusion (medicine alone, with PCOS, gestational or drug-induced
    # diabetes): in the diabetes measures and prevalence_diabetes, not in SSD
    for m in (*diabetes, "prevalence_diabetes"):
        assert "diabetes_excluded" in specs[m].sql, m
    assert "diabetes_excluded" not in specs["ssd"].sql
    # the other prevalences and high_risk_share find their conditions by the same claims rule
    conditions = (
        "sql/_diagnosed.sql",
        "sql/_condition_value_sets.sql",
        "sql/shared/condition_claim.sql",
    )
    profile = [s for s in specs.values() if s.sql_file == "sql/prevalence.sql"]
    for spec in profile:
        assert spec.sql_includes == conditions, spec.id
    # high_risk_share and frequent_ed_users count ED visits by one rule (enrolled months only)
    ed_visits = ("sql/_enrolled_ed_visit.sql", "sql/shared/ed_visit_day.sql")
    assert specs["high_risk_share"].sql_includes == conditions + ed_visits
    assert specs["frequent_ed_users"].sql_includes == ed_visits
    # the denominator reads the year before the window, and diabetes medicines
    assert all(specs[m].lookback_months == 12 for m in (*diabetes, "ssd"))
    assert specs["prevalence_diabetes"].lookback_months == 0
    assert "INTERVAL 12 MONTH" in specs["ssd"].sql
    assert "INTERVAL" not in specs["prevalence_diabetes"].sql
    assert all("pharmacy_claim" in specs[m].requires for m in (*diabetes, "ssd"))
    assert "pharmacy_claim" in specs["prevalence_diabetes"].requires
    assert "esrd_dx" in specs["kidney_health_evaluation"].sql
    assert "esrd_dx" not in specs["hba1c_testing"].sql
    assert "BETWEEN 18 AND 85" in specs["kidney_health_evaluation"].sql
    assert "e.age BETWEEN 13 AND 17" in specs["iet_engagement_13_17"].sql
    assert "e.age >= 18" in specs["iet_initiation_18plus"].sql
    assert "engagement_days >= 2" not in specs["iet_initiation"].sql


def test_parts_of_a_measure_are_checked(tmp_path: Path) -> None:
    shared = {"sql_file": "sql/follow_up.sql", "parameters": {"days": 7}}
    write(
        tmp_path,
        {"follow_up.sql": FOLLOW_UP},
        total={**shared, "parts": ["total", "young", "old"]},
        other={**shared, "parts": ["young"]},
        young=shared,
        old={**shared, "kind": "mean", "multiplier": 1},
    )
    found = problems(tmp_path)
    assert any("total.yml: parts: a measure cannot be a part of itself" in p for p in found)
    assert any("total.yml: parts: young is already a part of other" in p for p in found)
    assert any("total.yml: parts: old is a mean, this measure a rate" in p for p in found)
    assert len(found) == 3, found


def test_a_neutral_measure_cannot_be_rated(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"follow_up.sql": FOLLOW_UP},
        counted={
            "sql_file": "sql/follow_up.sql",
            "parameters": {"days": 7},
            "direction": "neutral",
        },
    )
    found = problems(tmp_path)
    assert len(found) == 1 and "counted.yml" in found[0], found
    assert "direction 'neutral'" in found[0] and "stars: {method: none}" in found[0]
    path = tmp_path / "counted.yml"
    path.write_text(path.read_text() + "stars: {method: none}\n")
    assert load_specs(tmp_path)[0].direction == "neutral"


def test_an_exclusion_needs_the_claims_it_reads(tmp_path: Path) -> None:
    # exclusions: [hospice] reads medical_claim (shared table hospice): a spec that does not
    # require it is refused, naming the field; an unknown exclusion is refused too; a good one
    # brings the shared table with it
    hospice = "SELECT person_id, claim_start_date AS service_date FROM medical_claim"
    sql = {"follow_up.sql": FOLLOW_UP, "shared/hospice.sql": hospice}
    base = {"sql_file": "sql/follow_up.sql", "parameters": {"days": 7}}
    write(tmp_path, sql, counted={**base, "exclusions": ["hospice"], "requires": ["eligibility"]})
    found = problems(tmp_path)
    assert len(found) == 1 and "counted.yml" in found[0], found
    assert "exclusions ['hospice'] read medical_claim: add it to requires" in found[0]
    write(tmp_path, sql, counted={**base, "exclusions": ["deceased"]})
    found = problems(tmp_path)
    assert len(found) == 1 and "exclusions" in found[0] and "'hospice'" in found[0], found
    requires = ["eligibility", "medical_claim"]
    write(tmp_path, sql, counted={**base, "exclusions": ["hospice"], "requires": requires})
    spec = load_specs(tmp_path)[0]
    assert spec.shared_tables == {"hospice": hospice}
    assert "sql/shared/hospice.sql" in spec.sql_includes


@pytest.mark.parametrize("kind", ["mean", "median", "ratio"])
def test_a_multiplier_other_than_1_is_refused_where_it_would_not_be_applied(
    tmp_path: Path, kind: str
) -> None:
    # the engine's value ignores the multiplier of a mean, median or O/E ratio while the
    # intervals multiply it in: ratio 40 / 50 at 100 was shown as 0.8 within 57.2 to 108.9.
    # The base spec (ED visits, a rate) has multiplier 1000: kept for a rate, refused here
    base = {"sql_file": "sql/follow_up.sql", "parameters": {"days": 7}}
    write(tmp_path, {"follow_up.sql": FOLLOW_UP}, counted={**base, "kind": kind})
    found = problems(tmp_path)
    assert len(found) == 1 and "counted.yml: multiplier:" in found[0], found
    assert f"a {kind} is shown as computed: multiplier must be 1, not 1000" in found[0]
    write(tmp_path, {"follow_up.sql": FOLLOW_UP}, counted={**base, "kind": kind, "multiplier": 1})
    assert load_specs(tmp_path)[0].multiplier == 1
    write(tmp_path, {"follow_up.sql": FOLLOW_UP}, counted=base)
    assert load_specs(tmp_path)[0].multiplier == 1000


@pytest.mark.parametrize(("kind", "allowed"), [("rate", True), ("median", False), ("ratio", False)])
def test_a_rate_may_be_clustered_by_member_but_not_a_median_or_a_ratio(
    tmp_path: Path, kind: str, allowed: bool
) -> None:
    # ED visits' member months are one member's: their rate takes them together; a median has
    # no range, and an O/E ratio's range is the exact Poisson one of its observed count
    base = {"sql_file": "sql/follow_up.sql", "parameters": {"days": 7}, "multiplier": 1}
    fields = {**base, "kind": kind, "cluster": "person"}
    write(tmp_path, {"follow_up.sql": FOLLOW_UP}, counted=fields)
    if allowed:
        assert load_specs(tmp_path)[0].cluster == "person"
    else:
        found = problems(tmp_path)
        assert (
            len(found) == 1
            and f"cluster 'person' is for a mean, a proportion or a rate, not a {kind}" in found[0]
        ), found


@pytest.mark.parametrize(
    ("line", "why"),
    [
        # a risperidone NDC without its `route`: DuckDB's reader would take the whole file for
        # one column and every NDC class code would be lost without a word
        ("99201000101,NDC,risperidone,test,antipsychotic,risperidone\n", "has 6 fields where"),
        (",NDC,risperidone,test,antipsychotic,risperidone,oral\n", "has no code"),
    ],
)
def test_a_ragged_or_codeless_code_list_line_names_the_file_and_line(
    tmp_path: Path, line: str, why: str
) -> None:
    shutil.copytree(MEASURES, tmp_path, dirs_exist_ok=True)
    codes = tmp_path / "value_sets" / "ndc_drug_class.csv"
    lines = len(codes.read_text(encoding="utf-8").splitlines())
    with codes.open("a", encoding="utf-8") as file:
        file.write(line)
    with pytest.raises(SpecError) as caught:
        load_specs(tmp_path)
    assert caught.value.problems == [
        next(p for p in caught.value.problems if p.startswith(f"{codes}: line {lines + 1} {why}"))
    ]


def test_change_notes_are_the_method_sentences_of_the_versions_since() -> None:
    # what the pages quote when a measure's definition changed since the previous edition
    spec = {s.id: s for s in load_specs(MEASURES)}["hba1c_poor_control"]
    assert spec.version == 6
    notes = change_notes(spec, 5)
    assert [n[:22] for n in notes] == [
        "A test billed without ",  # the sentence that holds "(changed in v6: ...)"
        "Changed in v6: frailty",
        "Also changed in v6, as",
        "Also changed in v6: co",  # continuous enrollment
    ]
    assert notes[0].endswith(
        "(changed in v6: versions before 6 skipped such a test and counted the result before it)."
    )
    assert "(versions before 6 took one frailty claim)." in notes[1]
    assert not any("in v5" in n for n in notes)  # v5's notes are not v6's
    since_4 = change_notes(spec, 4)  # v5's first, then v6's
    assert (
        since_4[0].startswith("Changed in v5: HEDIS's exclusion of older") and since_4[1:] == notes
    )
    assert change_notes(spec, 6) == []


# The versions of the specs whose definition changed after commit a803966 (the last edition's
# code) and before the HEDIS continuous-enrollment change was given its "Changed in vN" notes:
# id -> version at a803966. Each bumped by one; each page's "What changed" list is
# change_notes(spec, that version), which was empty for 15 of them (the notes said "until vN").
BUMPED_SINCE_A803966 = {
    "adolescent_well_care_12_21": 1,
    "adult_bmi_assessment": 3,
    "antipsychotic_metabolic_monitoring": 2,
    "asthma_medication_ratio": 2,
    "breast_cancer_screening": 5,
    "colorectal_cancer_screening": 2,
    "controlling_blood_pressure": 2,
    "depression_screening_followup": 1,
    "diabetes_eye_exam": 4,
    "hba1c_poor_control": 5,
    "hba1c_testing": 5,
    "kidney_health_evaluation": 4,
    "saa": 3,
    "ssd": 4,
    "well_child_visits_3_11": 1,
}


def test_every_spec_bumped_since_the_last_edition_says_what_changed() -> None:
    specs = {s.id: s for s in load_specs(MEASURES)}
    for measure, before in BUMPED_SINCE_A803966.items():
        spec = specs[measure]
        assert spec.version == before + 1, measure
        notes = change_notes(spec, before)
        assert notes, measure
        assert all(re.search(rf"\b[Cc]hanged in v{spec.version}\b", n) for n in notes), measure
        # every one of them took HEDIS continuous enrollment (at most one gap of 45 days)
        enrollment = [n for n in notes if "continuous enrollment" in n and "45 days" in n]
        assert len(enrollment) == 1, measure
        assert f"until v{before}, a member enrolled at least 11 of" in enrollment[0], measure
    amr = change_notes(specs["asthma_medication_ratio"], 2)
    assert any("leukotriene modifier" in n and "asthma diagnosis" in n for n in amr)
    dsf = change_notes(specs["depression_screening_followup"], 1)
    assert any("first positive screen" in n and "30th day before" in n for n in dsf)


# Specs at a version above 1 whose method says nothing of what changed in it (written before
# change notes were quoted on the pages): id -> that version. A spec bumped past it, or any
# other spec bumped, must say "Changed in v<its version>".
NO_CHANGE_NOTE = {
    "acute_admissions": 2,
    "copd_spirometry": 3,
    "cp_annual_care_plan": 3,
    "cp_assessment_90d": 2,
    "cp_caseload": 2,
    "cp_community_tenure": 3,
    "cp_days_to_engagement": 2,
    "cp_days_to_participation_form": 2,
    "cp_engagement_122d": 2,
    "cp_engagement_150d": 2,
    "cp_followup_discharge_3bd": 3,
    "cp_followup_ed_7d": 2,
    "cp_participation_form_30d": 2,
    "cp_qualifying_activities": 3,
    "ed_visits": 2,
    "high_risk_share": 4,
    "iet_engagement": 2,
    "iet_engagement_13_17": 2,
    "iet_engagement_18plus": 2,
    "iet_initiation": 2,
    "iet_initiation_13_17": 2,
    "iet_initiation_18plus": 2,
    "prevalence_asthma_copd": 2,
    "prevalence_diabetes": 3,
    "prevalence_hypertension": 2,
    "prevalence_smi": 2,
    "prevalence_sud": 2,
}


def test_a_spec_above_version_1_says_what_changed_in_it() -> None:
    silent = {
        s.id: s.version
        for s in load_specs(MEASURES)
        if s.version > 1 and not change_notes(s, s.version - 1)
    }
    assert silent == NO_CHANGE_NOTE


# Code lists a measure's SQL reads only to leave people or events out, and a word its list of
# what it leaves out (specs.left_out) must then hold.
EXCLUDING_CODE_LISTS = {
    "pregnancy_dx": "pregnan",
    "esrd_dx": "kidney",
    "dementia_dx": "dementia",
    "diabetes_exclusion_dx": "diabetes medicine",
    "asthma_exclusion_dx": "lung condition",
    "transfer_discharge_status": "another hospital",
    "mastectomy_procedure": "breasts removed",
    "total_colectomy": "colon removed",
    "colorectal_cancer_dx": "colorectal cancer",
}
# What a measure's SQL, or a shared table it reads, does to leave people or events out, and a
# word its list of what it leaves out must then hold. The IET measures read both in
# shared/iet_episode.sql and listed only hospice.
EXCLUDING_SQL = {
    "still_in_hospital": "still going",  # a stay whose last bill says still a patient (30)
    "'20', '30')": "still going",
    "enrolled_through(": "not covered",  # continuous enrollment
}
# How a measure's SQL comment or method says it leaves something out ("Excluded: ...",
# "excluding transfers"); "never excluded" explains who stays in.
EXCLUDES = re.compile(r"(?<!never )\b[Ee]xclud(ed|ing)\b")


def _without_comments(sql: str) -> str:
    """Return the SQL without its -- comments."""
    return "\n".join(line.split("--")[0] for line in sql.splitlines())


def _excluded_comments(sql: str) -> set[str]:
    """Return the distinct SQL comment lines that say what the measure leaves out."""
    return {line.strip() for line in sql.splitlines() if "--" in line and EXCLUDES.search(line)}


def test_every_exclusion_a_measures_sql_applies_is_listed() -> None:
    # controlling_blood_pressure listed hospice, palliative care and frailty but not pregnancy
    # and kidney failure; cp_engagement_122d said "Leaves out: none"
    from scorecard.specs import left_out, what_can_change

    specs = load_specs(ROOT / "measures")
    for spec in specs:
        words = " ".join(left_out(spec))
        for code_list, word in EXCLUDING_CODE_LISTS.items():
            if re.search(rf"\b{code_list}\b", spec.sql):
                assert word in words, (spec.id, code_list)
        code = _without_comments("\n".join([spec.sql, *spec.shared_tables.values()]))
        for marker, word in EXCLUDING_SQL.items():
            if marker in code:
                assert word in words, (spec.id, marker)
        said = _excluded_comments(spec.sql)
        if said or EXCLUDES.search(spec.method):
            assert spec.leaves_out, (spec.id, sorted(said))
        assert len(spec.leaves_out) >= len(said), (spec.id, sorted(said))
        assert dict(what_can_change(spec))["Leaves out"] == ("; ".join(left_out(spec)) or "none")
    by_id = {s.id: s for s in specs}
    blood_pressure = dict(what_can_change(by_id["controlling_blood_pressure"]))["Leaves out"]
    assert "pregnant" in blood_pressure and "kidney failure" in blood_pressure
    assert "hospice" in blood_pressure and "frail" in blood_pressure
    engagement = dict(what_can_change(by_id["cp_engagement_122d"]))["Leaves out"]
    assert engagement.startswith("members who left the Community Partner before the deadline")


def test_what_a_measure_leaves_out_is_plain_words() -> None:
    from scorecard.specs import left_out

    for spec in load_specs(ROOT / "measures"):
        for words in spec.leaves_out:
            assert words == words.strip() and words[0].islower(), (spec.id, words)
            assert not re.search(r"[a-z]+_[a-z]+|\.csv|\b[A-Z]\d\d\.", words), (spec.id, words)
        assert len(set(left_out(spec))) == len(left_out(spec)), spec.id
