"""HEDIS's exclusions of members with palliative care and of members 66 and older living
long-term in an institution (exclusions palliative_care and long_term_institutional;
measures/sql/shared/palliative_care.sql and long_term_institutional.sql), on a tiny
hand-readable fixture run through the seven measures that declare palliative care. HEDIS
applies the long-term institutional exclusion to Medicare members only and this program is
Medicaid, so no measure declares it; it is run here on copies of the specs that add it, as a
program with Medicare members would.

Period 2024Q4: the 12-month window is 2024-01-01..2024-12-31. Ages are counted from the birth
year at the end of 2024, as the measures count them. Every member is a woman enrolled 2022-2024
with hypertension (I10) and type 2 diabetes (E11.9) on office visits on Feb 1 and Mar 1, 2024,
aged 60, 65 or 70, so that each is in the denominator of all seven measures, with no screening,
test or reading: every numerator is 0 (HbA1c poor control: a missing result is poor control, so
its numerator is its denominator).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import exclusion_fixture
import pandas as pd
import pytest
from exclusion_fixture import ROOT, all_specs, cell, office, run

from scorecard.specs import MeasureSpec, load_specs, what_can_change

MEASURES = (
    "breast_cancer_screening",
    "colorectal_cancer_screening",
    "controlling_blood_pressure",
    "hba1c_testing",
    "hba1c_poor_control",
    "diabetes_eye_exam",
    "kidney_health_evaluation",
)


def facility(
    claim: str, person: str, first: str, last: str, bill: str = "211", admitted: str = ""
) -> str:
    """Return one nursing-facility claim line (institutional, type of bill 211 unless told),
    from `first` to `last`, with admission day `admitted` if given."""
    return (
        f"{claim},1,institutional,{person},{first},{last},{admitted},,,{bill},0110,,,5000,Z0000,\n"
    )


# Members: (id, birth year, what they have besides hypertension and diabetes).
#   E1  60  Z51.5 (encounter for palliative care), second diagnosis of a Jun 1, 2024 visit: out
#   E2  60  HCPCS G9054 (care with palliative therapies) on Mar 15, 2024: out
#   E3  60  HCPCS M1017 (admitted to palliative care) on Dec 15, 2023, before the window: stays
#   E4  70  one nursing-facility bill (211) for all of 2024, admitted Jun 1, 2023: out
#   E5  70  monthly bills Jan 1-31 (written 0211), Feb 1-29 and Mar 1-31, 2024: one stay of
#           31 + 29 + 31 = 91 days: out
#   E6  70  monthly bills Jan 1-31, Feb 1-29 and Mar 1-29, 2024: 89 days: stays
#   E7  65  a bill for all of 2024: stays (under 66)
#   E8  70  an intermediate care facility (651) from Oct 1, 2023 to Jan 15, 2024: 107 days,
#           15 of them in the window: out
#   E9  70  two stays with a day between: Jan 1 - Feb 14 (45 days) and Feb 16 - Mar 31, 2024
#           (45 days): neither is 90 days: stays
#   E10 70  a stay from Jan 1 to Jun 30, 2023 (181 days), before the window: stays
MEMBERS = {
    "E1": 1964,
    "E2": 1964,
    "E3": 1964,
    "E4": 1954,
    "E5": 1954,
    "E6": 1954,
    "E7": 1959,
    "E8": 1954,
    "E9": 1954,
    "E10": 1954,
}
STATIN = "99105000101"  # demo NDC of ndc_drug_class.csv: atorvastatin
PALLIATIVE = {"E1", "E2"}
LONG_TERM = {"E4", "E5", "E8"}

CLAIMS = (
    office("X1", "E1", "2024-06-01", "C787", dx2="Z515")
    + office("X2", "E2", "2024-03-15", "C787", code="G9054")
    + office("X3", "E3", "2023-12-15", "C787", code="M1017")
    + facility("X4", "E4", "2024-01-01", "2024-12-31", admitted="2023-06-01")
    + facility("X5", "E5", "2024-01-01", "2024-01-31", bill="0211")
    + facility("X6", "E5", "2024-02-01", "2024-02-29")
    + facility("X7", "E5", "2024-03-01", "2024-03-31")
    + facility("X8", "E6", "2024-01-01", "2024-01-31")
    + facility("X9", "E6", "2024-02-01", "2024-02-29")
    + facility("X10", "E6", "2024-03-01", "2024-03-29")
    + facility("X11", "E7", "2024-01-01", "2024-12-31")
    + facility("X12", "E8", "2023-10-01", "2024-01-15", bill="651")
    + facility("X13", "E9", "2024-01-01", "2024-02-14")
    + facility("X14", "E9", "2024-02-16", "2024-03-31")
    + facility("X15", "E10", "2023-01-01", "2023-06-30")
)


def write_marts(folder: Path) -> Path:
    """Write the fixture's marts to `folder` and return it (one statin fill: a pharmacy file
    needs a row; statins play no part here)."""
    return exclusion_fixture.write_marts(
        folder, MEMBERS, CLAIMS, f"R1,E3,2024-01-10,{STATIN},30,12\n"
    )


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    specs = [s for s in all_specs() if s.id in MEASURES]
    assert sorted(s.id for s in specs) == sorted(MEASURES)
    return run(write_marts(tmp_path_factory.mktemp("exclusions")), specs)


@pytest.mark.parametrize("measure", MEASURES)
def test_each_measure_leaves_out_palliative_care_but_not_medicaid_members_in_long_stays(
    results, measure
) -> None:
    # 10 members in every measure's ages, less E1, E2 (palliative care in the window) -> 8. E4,
    # E5 and E8 (66 or older, a stay of 90 days or more reaching into the window) stay in:
    # HEDIS leaves out members living long-term in an institution among Medicare members only,
    # and these are Medicaid's. Leaving them out too gave 5.
    kept = set(MEMBERS) - PALLIATIVE
    assert kept == {"E3", "E4", "E5", "E6", "E7", "E8", "E9", "E10"}
    numerator = len(kept) if measure == "hba1c_poor_control" else 0
    assert cell(results, measure) == (numerator, len(kept))


def with_long_term_institutional(folder: Path) -> list[MeasureSpec]:
    """Return the seven specs with exclusion long_term_institutional added, as a program with
    Medicare members would declare it: loaded from a copy of measures/ in `folder` (a spec's
    SQL, with its exclusions, is put together when it is loaded)."""
    shutil.copytree(ROOT / "measures", folder)
    for measure in MEASURES:
        path = folder / f"{measure}.yml"
        text = path.read_text(encoding="utf-8")
        line = next(x for x in text.splitlines() if x.startswith("exclusions: ["))
        declared = line.replace("]", ", long_term_institutional]")
        path.write_text(text.replace(line, declared), encoding="utf-8")
    specs = [s for s in load_specs(folder) if s.id in MEASURES]
    assert all("long_term_institutional" in s.exclusions for s in specs)
    return specs


@pytest.fixture(scope="module")
def results_with_long_term(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    folder = tmp_path_factory.mktemp("exclusions_long_term")
    return run(write_marts(folder / "marts"), with_long_term_institutional(folder / "measures"))


@pytest.mark.parametrize("measure", MEASURES)
def test_a_measure_declaring_long_term_institutional_leaves_out_long_stays(
    results_with_long_term, measure
) -> None:
    # Declared, the exclusion leaves out E4, E5, E8 as well (a stay of 90 days or more reaching
    # into the window, 66 or older) -> 5: E3, E6, E7, E9, E10.
    kept = set(MEMBERS) - PALLIATIVE - LONG_TERM
    assert kept == {"E3", "E6", "E7", "E9", "E10"}
    numerator = len(kept) if measure == "hba1c_poor_control" else 0
    assert cell(results_with_long_term, measure) == (numerator, len(kept))


def test_without_the_new_exclusions_every_member_counts(tmp_path: Path) -> None:
    # The same marts and SQL with only the older exclusions: all 10 members count, so the
    # fixture shows the two exclusions at work (and that frailty removes none of them).
    specs = {s.id: s for s in all_specs()}
    bare = [
        specs[m].model_copy(
            update={
                "exclusions": tuple(
                    x
                    for x in specs[m].exclusions
                    if x not in ("palliative_care", "long_term_institutional")
                )
            }
        )
        for m in ("controlling_blood_pressure", "hba1c_testing")
    ]
    results = run(write_marts(tmp_path / "marts"), bare)
    assert cell(results, "controlling_blood_pressure") == (0, 10)
    assert cell(results, "hba1c_testing") == (0, 10)


def test_the_specs_declare_the_exclusions_and_say_so() -> None:
    specs = {s.id: s for s in all_specs()}
    for measure in MEASURES:
        spec = specs[measure]
        assert "palliative_care" in spec.exclusions, measure
        assert "Z51.5" in spec.method, measure
        assert "Not applied: HEDIS's exclusion for palliative care" not in spec.method
        leaves_out = dict(what_can_change(spec))["Leaves out"]
        assert "palliative care" in leaves_out and "nursing home" not in leaves_out, measure
        # the long-term institutional exclusion is HEDIS's for Medicare members only
        assert "long_term_institutional" not in spec.exclusions, measure
        method = " ".join(spec.method.split())
        assert "Not applied: HEDIS's exclusion of members 66 or older living long-term" in method
        assert "applies to Medicare members alone" in method, measure
    # no measure of this Medicaid program declares it
    assert not [s.id for s in all_specs() if "long_term_institutional" in s.exclusions]
