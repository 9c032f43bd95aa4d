"""Preventive and chronic-care measures (HbA1c, adult BMI, breast cancer screening, COPD
spirometry) on tiny marts written by each test, small enough to read.

Each test writes only the rows it needs (tables as CSV text) and works out the expected
numerators and denominators by hand in its comments. Results are checked for the newest
complete quarter of the fixture's data (2024Q4 unless a test says otherwise).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd
from engine_fixture import CLINICAL, ELIGIBILITY, MEDICAL, PHARMACY

from scorecard import engine
from scorecard.specs import MeasureSpec, load_specs

ROOT = Path(__file__).resolve().parents[1]
VALUE_SETS = ROOT / "measures" / "value_sets"


@cache
def all_specs() -> tuple[MeasureSpec, ...]:
    """Return every measure spec, loaded once for this module."""
    return tuple(load_specs(ROOT / "measures"))


def visit(claim: str, person: str, day: str, code: str = "99213", dx: str = "Z0000") -> str:
    """Return one professional office claim line (place of service 11)."""
    return f"{claim},1,professional,{person},{day},{day},,,11,,,{code},,90,{dx},\n"


def run_marts(
    folder: Path,
    measure_ids: list[str],
    eligibility: str,
    medical: str,
    pharmacy: str = "",
    clinical: str = "",
    period: str = "2024Q4",
) -> pd.DataFrame:
    """Write the marts (rows without their header; none: no table) to `folder`, run the
    measures for `period` and return the results; every measure must be computed."""
    folder.mkdir(parents=True, exist_ok=True)
    if not pharmacy:  # the frailty exclusions read the fills: one of a drug no list names
        first = medical.splitlines()[0].split(",")
        pharmacy = f"RX0,{first[3]},{first[4]},00000000000,30,1\n"
    for name, header, rows in (
        ("eligibility", ELIGIBILITY, eligibility),
        ("medical_claim", MEDICAL, medical),
        ("pharmacy_claim", PHARMACY, pharmacy),
        ("clinical_result", CLINICAL, clinical),
    ):
        if rows:  # a table with no rows is a mart problem: leave it out
            (folder / f"{name}.csv").write_text(header + rows)
    specs = [s for s in all_specs() if s.id in measure_ids]
    assert sorted(s.id for s in specs) == sorted(measure_ids)
    run = engine.run(folder, VALUE_SETS, specs, period_id=period)
    assert run.period_id == period and run.skipped == {}
    return run.results


def cell(results: pd.DataFrame, measure: str, period: str = "2024Q4") -> tuple[float, float]:
    """Return (numerator, denominator) of a measure's program-level result for `period`."""
    rows = results[
        (results.measure_id == measure)
        & (results.period_id == period)
        & (results.level == "program")
        & (results.stratum == "all")
    ]
    assert len(rows) == 1, f"expected one row for {measure} {period}"
    return rows.iloc[0].numerator, rows.iloc[0].denominator


# ------------------------------------------------------------------ HbA1c

# H1-H4, born 1970 (54 at the end of 2024), enrolled 2023-2024, each with type 2 diabetes
# (E11.9) on two office visits in 2024 (Feb 1 and Dec 1: the data end in December), and one
# HbA1c result in 2024: H1 LOINC 4549-2 (by electrophoresis) 6.5%, H2 LOINC 17855-8
# (calculated) 6.8%, H3 LOINC 4548-4 6.5%, H4 a claim with CPT II 3045F (HbA1c 7.0-9.0%, the
# code before 3051F and 3052F). A visit in January 2023 starts the data there, so the 12 months
# before the 2024 window are in the data.
HBA1C_MEMBERS = "".join(
    f"{who},female,White,1970,2023-01-01,2024-12-31\n" for who in ("H1", "H2", "H3", "H4")
)
HBA1C_CLAIMS = (
    visit("C00", "H1", "2023-01-05")
    + "".join(
        visit(f"C{n}{i}", who, day, dx="E119")
        for n, who in enumerate(("H1", "H2", "H3", "H4"), start=1)
        for i, day in enumerate(("2024-02-01", "2024-12-01"))
    )
    + visit("C50", "H4", "2024-06-01", code="3045F", dx="E119")
)
HBA1C_FILLS = "F1,H1,2024-03-01,99999999999,30,10\n"  # a drug in no code list
HBA1C_RESULTS = (
    "H1,2024-05-01,4549-2,6.5,%\nH2,2024-05-01,17855-8,6.8,%\nH3,2024-05-01,4548-4,6.5,%\n"
)


def test_hba1c_reads_every_hba1c_loinc_and_cpt2_3045f(tmp_path):
    # Testing: each of H1-H4 had a test in 2024 -> 4/4. Poor control: no last result is above
    # 9.0% (6.5, 6.8, 6.5 and 3045F = 7.0-9.0%) -> 0/4. With only LOINC 4548-4 and 17856-6 and
    # no 3045F, H1, H2 and H4 had no test and no result (a missing result is poor control):
    # testing 1/4 and poor control 3/4.
    measures = ["hba1c_testing", "hba1c_poor_control"]
    results = run_marts(tmp_path, measures, HBA1C_MEMBERS, HBA1C_CLAIMS, HBA1C_FILLS, HBA1C_RESULTS)
    assert cell(results, "hba1c_testing") == (4, 4)
    assert cell(results, "hba1c_poor_control") == (0, 4)


# ------------------------------------------------------------------ adult BMI assessment

# Enrolled 2023-2024. A1 (born 1980: 43 in 2023, 44 in 2024): an office visit with BMI 25
# (Z68.25) on Jan 10, 2023, nothing in 2024. A2 (born 2005: 19 in 2024): an office visit with
# Z68.25 on Dec 1, 2024. A3 (born 2005): an office visit with a BMI percentile (Z68.52) on
# Mar 1, 2024, and another visit on Dec 2, 2024.
BMI_MEMBERS = (
    "A1,female,White,1980,2023-01-01,2024-12-31\n"
    "A2,male,White,2005,2023-01-01,2024-12-31\n"
    "A3,female,White,2005,2023-01-01,2024-12-31\n"
)
BMI_CLAIMS = (
    visit("B1", "A1", "2023-01-10", dx="Z6825")
    + visit("B2", "A2", "2024-12-01", dx="Z6825")
    + visit("B3", "A3", "2024-03-01", dx="Z6852")
    + visit("B4", "A3", "2024-12-02")
)


def test_adult_bmi_assessment_reads_two_years_and_the_kind_of_bmi_the_age_calls_for(tmp_path):
    # Denominator: 18-74 at the end of 2024 with an outpatient visit in 2023 or 2024: A1 (visit
    # in 2023 only), A2, A3 -> 3. Numerator: A1's BMI value in 2023, at 43: yes. A2 was 19 on
    # Dec 1, 2024: a BMI value (Z68.25) is not the percentile a member under 20 needs: no. A3
    # (19) has a percentile: yes. -> (2, 3). Before, the visit had to be in 2024 (A1 out) and
    # any Z68 code counted (A2 in): (2, 2).
    results = run_marts(tmp_path, ["adult_bmi_assessment"], BMI_MEMBERS, BMI_CLAIMS)
    assert cell(results, "adult_bmi_assessment") == (2, 3)


# ------------------------------------------------------------------ windows counted in months
# For 2025Q2 the 12-month window is Jul 1, 2024 - Jun 30, 2025. Months counted back from Jun 30
# keep the day number: Jun 30 - 27 months + 1 day is Mar 31, 2023 (a day too early) and Jun 30 -
# 6 months is Dec 30, 2024 (a day short); counted from the window's first day they are Apr 1,
# 2023 and Dec 31, 2024.

# Women born 1960 (65 in 2025), enrolled Jan 2023 - Jun 2025: W1 a mammogram on Mar 31, 2023,
# W2 on Apr 1, 2023, the first day of the 27 months; W2 an office visit on Jun 30, 2025 (the
# data end in June 2025).
BCS_MEMBERS = "".join(f"{who},female,White,1960,2023-01-01,2025-06-30\n" for who in ("W1", "W2"))
BCS_CLAIMS = (
    visit("M1", "W1", "2023-03-31", code="77067", dx="Z1231")
    + visit("M2", "W2", "2023-04-01", code="77067", dx="Z1231")
    + visit("M3", "W2", "2025-06-30")
)


def test_breast_cancer_screening_counts_27_months_from_the_first_of_a_month(tmp_path):
    # W1's mammogram (Mar 31, 2023) is before the 27 months: no. W2's (Apr 1): yes -> (1, 2).
    # Before, the look-back began on Mar 31: (2, 2).
    results = run_marts(
        tmp_path, ["breast_cancer_screening"], BCS_MEMBERS, BCS_CLAIMS, period="2025Q2"
    )
    assert cell(results, "breast_cancer_screening", "2025Q2") == (1, 2)


def test_a_quarter_whose_data_start_on_the_first_day_of_its_look_back_is_computed(tmp_path):
    # Without W1's claim the data start on Apr 1, 2023, exactly 15 months before the window:
    # enough for 2025Q2 (run_marts asserts nothing is skipped); W2 counted -> (1, 2). Before, the
    # engine asked for data from Mar 31, 2023 and skipped the measure.
    claims = BCS_CLAIMS.replace(visit("M1", "W1", "2023-03-31", code="77067", dx="Z1231"), "")
    results = run_marts(tmp_path, ["breast_cancer_screening"], BCS_MEMBERS, claims, period="2025Q2")
    assert cell(results, "breast_cancer_screening", "2025Q2") == (1, 2)


# Born 1970 (55 in 2025), enrolled Dec 2021 - Jun 2025 (730 days before Dec 31, 2024 is Jan 1,
# 2023; the look-back of 30 months before the window starts on Jan 1, 2022): P1 a first COPD
# diagnosis (J44.9) on an office visit on Dec 31, 2024, the last day of the 2025Q2 intake, and
# spirometry (94010) on Jan 15, 2025; P2 a first COPD visit on Jun 1, 2024, no spirometry. P1
# has a visit on Dec 5, 2021 (the data start then, a month early, so that this test does not
# hang on the day the engine asks the data to start) and P2 one on Jun 30, 2025 (they end
# then).
COPD_MEMBERS = "".join(f"{who},male,White,1970,2021-12-01,2025-06-30\n" for who in ("P1", "P2"))
COPD_CLAIMS = (
    visit("S1", "P1", "2021-12-05")
    + visit("S2", "P1", "2024-12-31", dx="J449")
    + visit("S3", "P1", "2025-01-15", code="94010", dx="J449")
    + visit("S4", "P2", "2024-06-01", dx="J449")
    + visit("S5", "P2", "2025-06-30")
)


def test_copd_spirometry_intake_ends_on_the_last_day_of_its_month(tmp_path):
    # Intake for 2025Q2: Jan 1 - Dec 31, 2024. P1 (index Dec 31, spirometry 15 days later: yes)
    # and P2 (index Jun 1: no) -> (1, 2). Before, the intake stopped on Dec 30: P1 was not
    # counted -> (0, 1).
    results = run_marts(tmp_path, ["copd_spirometry"], COPD_MEMBERS, COPD_CLAIMS, period="2025Q2")
    assert cell(results, "copd_spirometry", "2025Q2") == (1, 2)


# ------------------------------------------------------------------ mastectomy


def surgery(claim: str, person: str, day: str, modifier: str) -> str:
    """Return a claim line for a simple complete mastectomy (CPT 19303) with `modifier`."""
    return f"{claim},1,professional,{person},{day},{day},,,22,,,19303,{modifier},900,C509,\n"


# Women born 1960, enrolled 2021-2024: W1 a mastectomy of the left breast (19303-LT) on Mar 1,
# 2021 and of the right (19303-RT) on Sep 1, 2021; W2 both breasts (19303-50) on Mar 1, 2021;
# W3 only the left (19303-LT) on Mar 1, 2021; W4 a mastectomy with no side (19303) on Mar 1,
# 2021 and a mammogram (77067) on Dec 31, 2024.
MASTECTOMY_MEMBERS = "".join(
    f"{who},female,White,1960,2021-01-01,2024-12-31\n" for who in ("W1", "W2", "W3", "W4")
)
MASTECTOMY_CLAIMS = (
    surgery("Q1", "W1", "2021-03-01", "LT")
    + surgery("Q2", "W1", "2021-09-01", "RT")
    + surgery("Q3", "W2", "2021-03-01", "50")
    + surgery("Q4", "W3", "2021-03-01", "LT")
    + surgery("Q5", "W4", "2021-03-01", "")
    + visit("Q6", "W4", "2024-12-31", code="77067", dx="Z1231")
)


def test_breast_cancer_screening_leaves_out_women_whose_two_breasts_were_removed(tmp_path):
    # W1 (left and right on two dates) and W2 (bilateral) are left out. W3 (one side) and W4 (no
    # side given) stay: W4 screened -> (1, 2). Before, only diagnoses were read: (1, 4).
    results = run_marts(
        tmp_path, ["breast_cancer_screening"], MASTECTOMY_MEMBERS, MASTECTOMY_CLAIMS
    )
    assert cell(results, "breast_cancer_screening") == (1, 2)


def test_a_mastectomy_line_billed_left_and_right_leaves_the_woman_out(tmp_path):
    # W1's two sides on one line, LT in one modifier column and RT in the other ("LT RT" and,
    # the other way round, W3's "RT LT": both women now had both breasts removed). W1, W2 and W3
    # left out, W4 screened -> (1, 1). Before, such a line counted as the left breast only: W3
    # stayed, (1, 2); W1 was left out only through her second line (RT, Sep 1).
    claims = MASTECTOMY_CLAIMS.replace(",19303,LT,", ',19303,"LT RT",', 1)
    claims = claims.replace(",19303,LT,", ',19303,"RT LT",', 1)  # W3's
    assert claims.count('"') == 4
    results = run_marts(tmp_path, ["breast_cancer_screening"], MASTECTOMY_MEMBERS, claims)
    assert cell(results, "breast_cancer_screening") == (1, 1)


def test_a_mastectomy_side_billed_after_another_modifier_or_in_one_field_counts(tmp_path):
    # The same four women, each side written after another modifier (59, a distinct procedure)
    # in one field, as some sources print them: W1 "59 LT" and "RT,59", W2 "59:50", W3 "LT 59"
    # (one side), W4 no side. The loader reads a field of two as the two modifier columns and
    # the measure reads the side in either: W1 and W2 left out -> (1, 2). Before, "59 LT" was
    # one modifier that named no side: nobody was left out, (1, 4).
    claims = MASTECTOMY_CLAIMS
    for plain, written in (("LT", '"59 LT"'), ("RT", '"RT,59"'), ("50", '"59:50"')):
        claims = claims.replace(f",19303,{plain},", f",19303,{written},", 1)
    claims = claims.replace(",19303,LT,", ',19303,"LT 59",', 1)  # W3's, the LT left
    assert claims.count('"') == 8
    results = run_marts(tmp_path, ["breast_cancer_screening"], MASTECTOMY_MEMBERS, claims)
    assert cell(results, "breast_cancer_screening") == (1, 2)
