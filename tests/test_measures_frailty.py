"""HEDIS's exclusion of older members with frailty and advanced illness (exclusions
frailty_advanced_illness and frailty_81; measures/sql/shared/frailty_window.sql), on a tiny
hand-readable fixture run through the seven measures that declare it.

Period 2024Q4: the 12-month window is 2024-01-01..2024-12-31 and the year before it 2023. Ages
are counted from the birth year at the end of 2024, as the measures count them. Every member is
a woman enrolled 2022-2024 with hypertension (I10) and type 2 diabetes (E11.9) on office visits
on Feb 1 and Mar 1, 2024, so that each is in the denominator of every measure her age allows
(breast cancer screening 52-74, colorectal 46-75, the diabetes measures 18-75, controlling
blood pressure and kidney health evaluation 18-85), with no screening, test or reading: every
numerator is 0 (HbA1c poor control: a missing result is poor control, so its numerator is its
denominator).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import exclusion_fixture
import pandas as pd
import pytest
from exclusion_fixture import ROOT, all_specs, cell, office, run

from scorecard.specs import SpecError, load_specs

DONEPEZIL = "99112000101"  # demo NDC of ndc_drug_class.csv: drug donepezil

WITH_FRAILTY = (  # exclusions of each measure (the spec lists hospice too)
    "breast_cancer_screening",
    "colorectal_cancer_screening",
    "hba1c_testing",
    "hba1c_poor_control",
    "diabetes_eye_exam",
)
WITH_FRAILTY_81 = ("controlling_blood_pressure", "kidney_health_evaluation")
MEASURES = (*WITH_FRAILTY, *WITH_FRAILTY_81)


def inpatient(claim: str, person: str, admitted: str, discharged: str, dx: str) -> str:
    """Return one acute inpatient claim line (type of bill 111)."""
    return (
        f"{claim},1,institutional,{person},{admitted},{discharged},{admitted},{discharged},"
        f",111,0100,,,4000,{dx},\n"
    )


# Members: (id, birth year, what they have besides hypertension and diabetes). Frailty needs
# frailty claims of two or more different dates in the window ("twice": on two dates in 2024).
#   W1  70  R54 (debility) twice in 2024, F03.90 (dementia) on two office dates in 2024: excluded
#   W2  70  R54 alone: stays (frailty without advanced illness, under 81)
#   W3  65  R54 and F03.90 on two dates: stays (under 66)
#   W4  70  R54 twice and a donepezil fill in 2024: excluded
#   W5  81  R26.2 (difficulty walking) twice alone: excluded where frailty_81 applies (CBP, KED;
#           81 is over the other measures' ages)
#   W6  70  R54 twice in 2024, heart failure (I50.23) on one acute inpatient stay in 2023 (the
#           year before the window): excluded
#   W7  70  R54 in 2023 only (before the window), F03.90 on two dates in 2024: stays
#   W8  70  a walker (HCPCS E0130, a frailty device) and R54 on another day in 2024, F03.90 on
#           two dates: excluded
#   W9  70  R54 in 2024, F03.90 on one office date only: stays
#   W10 80  R26.2 alone: stays everywhere (frailty alone counts from 81)
#   W11 66  R54 on two dates (once as a second diagnosis) and F03.90 on two dates: excluded (66
#           is old enough)
#   W12 70  R54 in 2024, heart failure on one acute inpatient stay in Dec 2022 (more than a year
#           before the window): stays
#   W13 70  R54 on one date only, F03.90 on two dates: stays (one frailty claim is not enough;
#           excluded before frailty needed two dates)
#   W14 82  R26.2 on one date only: stays everywhere (one frailty claim, even at 81 or older)
MEMBERS = {
    "W1": 1954,
    "W2": 1954,
    "W3": 1959,
    "W4": 1954,
    "W5": 1943,
    "W6": 1954,
    "W7": 1954,
    "W8": 1954,
    "W9": 1954,
    "W10": 1944,
    "W11": 1958,
    "W12": 1954,
    "W13": 1954,
    "W14": 1942,
}
EXCLUDED = {"W1", "W4", "W6", "W8", "W11"}  # frailty and advanced illness, 66 or older
EXCLUDED_81 = {"W5"}  # frailty alone, 81 or older

FRAILTY_CLAIMS = (
    office("F1", "W1", "2024-05-01", "R54")
    + office("F2", "W1", "2024-06-01", "F0390")
    + office("F3", "W1", "2024-07-01", "F0390")
    + office("F4", "W2", "2024-05-01", "R54")
    + office("F5", "W3", "2024-05-01", "R54")
    + office("F6", "W3", "2024-06-01", "F0390")
    + office("F7", "W3", "2024-07-01", "F0390")
    + office("F8", "W4", "2024-05-01", "R54")
    + office("F9", "W5", "2024-05-01", "R262")
    + office("F10", "W6", "2024-05-01", "R54")
    + inpatient("F11", "W6", "2023-03-01", "2023-03-05", "I5023")
    + office("F12", "W7", "2023-11-01", "R54")
    + office("F13", "W7", "2024-06-01", "F0390")
    + office("F14", "W7", "2024-07-01", "F0390")
    + office("F15", "W8", "2024-05-01", "Z0000", code="E0130")
    + office("F16", "W8", "2024-06-01", "F0390")
    + office("F17", "W8", "2024-07-01", "F0390")
    + office("F18", "W9", "2024-05-01", "R54")
    + office("F19", "W9", "2024-06-01", "F0390")
    + office("F20", "W10", "2024-05-01", "R262")
    + office("F21", "W11", "2024-05-01", "R54")
    + office("F22", "W11", "2024-06-01", "F0390", dx2="R54")
    + office("F23", "W11", "2024-07-01", "F0390")
    + office("F24", "W12", "2024-05-01", "R54")
    + inpatient("F25", "W12", "2022-12-01", "2022-12-05", "I5023")
    # the second frailty date of W1, W4, W5, W6 and W8 (W11's is F22)
    + office("F26", "W1", "2024-09-01", "R54")
    + office("F27", "W4", "2024-09-01", "R54")
    + office("F28", "W5", "2024-09-01", "R262")
    + office("F29", "W6", "2024-09-01", "R54")
    + office("F30", "W8", "2024-09-01", "R54")
    + office("F31", "W13", "2024-05-01", "R54")
    + office("F32", "W13", "2024-06-01", "F0390")
    + office("F33", "W13", "2024-07-01", "F0390")
    + office("F34", "W14", "2024-05-01", "R262")
)
FILLS = f"R1,W4,2024-08-01,{DONEPEZIL},30,12\n"


def write_marts(folder: Path) -> Path:
    """Write the fixture's marts to `folder` and return it."""
    return exclusion_fixture.write_marts(folder, MEMBERS, FRAILTY_CLAIMS, FILLS)


def in_ages(measure: str) -> set[str]:
    """The fixture's members of an age the measure counts (at the end of 2024)."""
    low, high = {
        "breast_cancer_screening": (52, 74),
        "colorectal_cancer_screening": (46, 75),
        "controlling_blood_pressure": (18, 85),
        "kidney_health_evaluation": (18, 85),
    }.get(measure, (18, 75))
    return {who for who, born in MEMBERS.items() if low <= 2024 - born <= high}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    specs = [s for s in all_specs() if s.id in MEASURES]
    assert sorted(s.id for s in specs) == sorted(MEASURES)
    return run(write_marts(tmp_path_factory.mktemp("frailty")), specs)


@pytest.mark.parametrize("measure", MEASURES)
def test_each_measure_leaves_out_frail_members_with_advanced_illness(results, measure) -> None:
    # BCS, COL and the three diabetes measures (ages to 74 or 75): 11 members in ages (all but
    # W5, 81, W10, 80, and W14, 82) less W1, W4, W6, W8 and W11 -> 6 (W2, W3, W7, W9, W12,
    # W13). CBP and KED (to 85): all 14 less those five and W5 (81, frailty alone) -> 8 (W10,
    # 80, and W14, one frailty claim, stay).
    left_out = EXCLUDED | (EXCLUDED_81 if measure in WITH_FRAILTY_81 else set())
    kept = in_ages(measure) - left_out
    assert len(kept) == (8 if measure in WITH_FRAILTY_81 else 6)
    numerator = len(kept) if measure == "hba1c_poor_control" else 0
    assert cell(results, measure) == (numerator, len(kept))


def test_the_specs_declare_the_exclusions() -> None:
    specs = {s.id: s for s in all_specs()}
    for measure in MEASURES:
        exclusions = specs[measure].exclusions
        assert "hospice" in exclusions and "frailty_advanced_illness" in exclusions, measure
        assert ("frailty_81" in exclusions) == (measure in WITH_FRAILTY_81), measure
        assert "Changed in v" in specs[measure].method, measure
        method = " ".join(specs[measure].method.split())
        assert "Not applied: HEDIS's exclusion of members 66 and older with" not in method


def test_without_the_exclusion_every_member_in_ages_counts(tmp_path: Path) -> None:
    # The same marts and SQL with no frailty exclusion declared: the denominators are every
    # member of an age the measure counts, so the fixture shows the exclusion at work.
    specs = {s.id: s for s in all_specs()}
    bare = [
        specs[m].model_copy(update={"exclusions": ("hospice",)})
        for m in ("controlling_blood_pressure", "hba1c_testing")
    ]
    results = run(write_marts(tmp_path / "marts"), bare)
    assert cell(results, "controlling_blood_pressure") == (0, 14)
    assert cell(results, "hba1c_testing") == (0, 11)


@pytest.mark.parametrize(
    "written, rewritten, refusal",
    [
        # frailty_advanced_illness and frailty_81 name the members of 12-month windows
        ("\nwindow: year\n", "\nwindow: quarter\n", "are for a 12-month window: window: year"),
        # W4 is excluded by a donepezil fill alone: without pharmacy_claim the exclusion would
        # quietly leave such members in (BCS 0/7 instead of 0/6 on this file's fixture)
        (", pharmacy_claim]", "]", "read pharmacy_claim (dementia medicines)"),
    ],
)
def test_a_spec_with_a_period_exclusion_is_refused_without_what_it_needs(
    tmp_path: Path, written: str, rewritten: str, refusal: str
) -> None:
    text = (ROOT / "measures" / "controlling_blood_pressure.yml").read_text(encoding="utf-8")
    assert written in text
    shutil.copytree(ROOT / "measures", tmp_path / "measures")
    path = tmp_path / "measures" / "controlling_blood_pressure.yml"
    path.write_text(text.replace(written, rewritten), encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_specs(tmp_path / "measures")
    assert any(
        "controlling_blood_pressure.yml" in p and refusal in p for p in caught.value.problems
    ), caught.value.problems
