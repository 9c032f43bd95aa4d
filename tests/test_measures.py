"""Each foundation measure on the hand-readable fixture tests/fixtures/marts/basic.

The fixture covers 2024 (periods 2024Q1-2024Q4; 12-month measures only have 2024Q4).
Expected values are worked out by hand in the comments from the fixture's CSV files.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from scorecard import engine
from scorecard.specs import load_specs

ROOT = Path(__file__).resolve().parents[1]
BASIC = ROOT / "tests" / "fixtures" / "marts" / "basic"


@pytest.fixture(scope="module")
def basic_run() -> engine.EngineRun:
    specs = load_specs(ROOT / "measures")
    run = engine.run(BASIC, ROOT / "measures" / "value_sets", specs)
    assert run.period_id == "2024Q4"
    assert run.periods == ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
    return run


@pytest.fixture(scope="module")
def results(basic_run):
    return basic_run.results


def cell(
    results, measure, period="2024Q4", level="program", entity="ALL", stratum="all", value="all"
):
    rows = results[
        (results.measure_id == measure)
        & (results.period_id == period)
        & (results.level == level)
        & (results.entity_id == entity)
        & (results.stratum == stratum)
        & (results.stratum_value == value)
    ]
    assert len(rows) == 1, f"expected one row for {measure} {period} {level} {entity}"
    row = rows.iloc[0]
    return row.numerator, row.denominator


def run_changed(
    tmp_path: Path, name: str, change, also: dict[str, Callable[[str], str | None]] | None = None
) -> engine.EngineRun:
    """Return the engine run over a copy of the basic fixture whose CSV file `name` holds
    `change` of its text, and so on for each file of `also`; a change giving None removes
    the file."""
    import shutil

    folder = tmp_path / "marts"
    shutil.copytree(BASIC, folder)
    for file, edit in {name: change, **(also or {})}.items():
        path = folder / file
        text = edit(path.read_text())
        if text is None:
            path.unlink()
        else:
            path.write_text(text)
    return engine.run(folder, ROOT / "measures" / "value_sets", load_specs(ROOT / "measures"))


def test_ed_visits_per_member_month(results):
    # Q1: 10 members x 3 months = 30 member months; P3 has 2 ED visits (Feb 10: revenue 0450
    # and CPT 99283 the same day count once; Mar 5: POS 23).
    assert cell(results, "ed_visits", "2024Q1") == (2, 30)
    # Q2: P3 enrolled Apr-Jun (3), P4 has an April gap (2), 8 others x 3 = 24 -> 29.
    assert cell(results, "ed_visits", "2024Q2") == (0, 29)
    # Q3: P3's Aug 1 ED visit happens after her enrollment ended: not counted.
    assert cell(results, "ed_visits", "2024Q3") == (0, 27)
    # Q4: P1's Nov 11 ED visit (revenue 0451); A1 has P1, P2, P5, P6, P7 x 3 = 15 months.
    assert cell(results, "ed_visits", "2024Q4") == (1, 27)
    assert cell(results, "ed_visits", "2024Q4", "aco", "A1") == (1, 15)
    value = results.query(
        "measure_id == 'ed_visits' and period_id == '2024Q1' and level == 'program'"
    )
    assert value[value.stratum == "all"].value.iloc[0] == pytest.approx(2 / 30 * 1000)


def test_total_cost_pmpm(results):
    # Q1 claims: 100+100+150+100+100+800+200+300+100+100+6000+150+6000 = 14,200 medical
    # + 50 pharmacy (R1) = 14,250 over 30 member months.
    assert cell(results, "total_cost_pmpm", "2024Q1") == (14250, 30)
    # Q3: M12 ($700, P3 not enrolled in August) is left out; M27 3000 + M28 4000 + M29 2000
    # + M14 100 = 9,100.
    assert cell(results, "total_cost_pmpm", "2024Q3") == (9100, 27)


def test_readmission_30d(results):
    # Index stays discharged 2024-01-01..2024-12-01, members 18-64: P2 Jun 5 (readmitted Jun
    # 20: yes), P2 Jun 25 (no), P7 Apr 1 (no), P9 May 1 (readmitted May 20: yes), P9 May 25
    # (no), P10 Sep 3 (Sep 10 chemotherapy Z5111 is planned: no), P10 Sep 11 (no).
    # Excluded: P6 (age 14), P8 (discharged Dec 15, after Dec 1), P1 (childbirth O800).
    assert cell(results, "readmission_30d") == (2, 7)
    # ACO A1: P2's two stays and P7's -> 1 of 3.
    assert cell(results, "readmission_30d", level="aco", entity="A1") == (1, 3)


def test_fuh_7d(results):
    # Mental-illness discharges: P6 Mar 10 (visit Mar 17 = day 7: yes); P7 Apr 1 (visits on
    # the discharge day and day 8 only: no); P9 May 1 excluded (readmitted May 20); P9 May 25
    # (visit May 28: yes); P8 Dec 15 after Dec 1: excluded.
    assert cell(results, "fuh_7d") == (2, 3)


DIABETES = ("hba1c_testing", "hba1c_poor_control", "diabetes_eye_exam", "kidney_health_evaluation")


def test_diabetes_measures_need_the_year_before_the_window(basic_run):
    # The diabetes denominator looks for diabetes in the 12 months before the window too
    # (lookback_months: 12); the basic fixture starts in January 2024, so 2024Q4 is not
    # computed: a denominator that saw one year of two would count fewer members than later
    # periods and make a false trend.
    for measure in DIABETES:
        assert basic_run.skipped[measure] == (
            "needs 12 months of data before its 12-month window, from January 2023; the data"
            " start in January 2024"
        )
        assert measure not in set(basic_run.results.measure_id)


# The basic fixture with 2023 in it and the cases of the diabetes denominator's two routes
# (claims or a diabetes medicine, in 2024 or the 12 months before it). Medical claims:
DIABETES_CLAIMS = (
    # P10 (age 49): two office visits with E11.9 in 2023, none in 2024
    "D01,1,professional,P10,2023-01-10,2023-01-10,,,,11,,,99213,,,,222222222,100,120,E119,,,,\n"
    "D02,1,professional,P10,2023-09-15,2023-09-15,,,,11,,,99213,,,,222222222,100,120,E119,,,,\n"
    # P7 (age 34): one office visit with E11.9 in 2024
    "D03,1,professional,P7,2024-05-06,2024-05-06,,,,11,,,99213,,,,111111111,100,120,E119,,,,\n"
    # P9 (age 29): an HbA1c test (CPT 83036) for high blood sugar, not a diabetes diagnosis
    "D04,1,professional,P9,2024-08-01,2024-08-01,,,,81,,,83036,,,,222222222,20,25,R739,,,,\n"
)
DIABETES_FILLS = (  # pharmacy claims (demo NDCs, measures/value_sets/ndc_drug_class.csv)
    "D11,P9,2024-07-01,99103000201,30,30,7,\n"  # glipizide (antidiabetic) in 2024
    "D12,P8,2022-12-20,99104000101,30,15,310,\n"  # insulin glargine, 13 months before 2024
    "D13,P11,2024-03-04,99103000101,30,60,6,\n"  # metformin alone, twice
    "D14,P11,2024-06-04,99103000101,30,60,6,\n"
)


def with_diabetes_history(eligibility: str) -> str:
    """Enroll P8 from December 2022 and P10 from January 2023, and add P11 for 2024."""
    eligibility = eligibility.replace(
        "P8,male,White,1985,2024-01-01", "P8,male,White,1985,2022-12-01"
    ).replace("P10,male,Unknown,1975,2024-01-01", "P10,male,Unknown,1975,2023-01-01")
    return eligibility + "P11,female,White,1988,2024-01-01,2024-12-31,medicaid,aco\n"


def test_diabetes_is_found_in_the_year_before_and_by_medicines(tmp_path):
    run = run_changed(
        tmp_path,
        "medical_claim.csv",
        lambda text: text + DIABETES_CLAIMS,
        also={
            "pharmacy_claim.csv": lambda text: text + DIABETES_FILLS,
            "eligibility.csv": with_diabetes_history,
            "member.csv": lambda text: text + "P11,English\n",
        },
    )
    # The data now start in December 2022 (P8's fill), so 2024Q4's window (2024) and the 12
    # months before it (2023) are in the data, and the diabetes measures are computed.
    assert run.data_start.isoformat() == "2022-12-01"
    assert not set(DIABETES) & set(run.skipped)
    # Members with diabetes, 18-75, enrolled 11+ months of 2024 incl. December:
    #   P1  two office claims with E11.9 in 2024 (Feb 1, Mar 1)          HbA1c CPT May 2: yes
    #   P2  one acute inpatient stay with E11.9 (Jun 2024)               no test in 2024: no
    #   P4  two office claims in 2024 (April gap allowed)                LOINC Oct 2: yes
    #   P10 two office claims with E11.9 in 2023 only (the year before)  no test: no
    #   P9  a glipizide fill in 2024, no diabetes diagnosis              CPT 83036 Aug 1: yes
    # Not members with diabetes:
    #   P7  one office claim with E11.9: a visit on a second date is needed
    #   P8  an insulin fill on Dec 20, 2022: before Jan 1, 2023, outside the two years
    #   P11 metformin alone (twice): not a diabetes medicine here, as in HEDIS
    # Left out as before: P3 (enrolled 6 months), P5 (age 76), P6 (age 14).
    assert cell(run.results, "hba1c_testing") == (3, 5)
    assert cell(run.results, "hba1c_testing", level="aco", entity="A1") == (1, 2)  # P1, P2
    assert cell(run.results, "hba1c_testing", level="aco", entity="A2") == (2, 3)  # P4, P9, P10
    assert cell(run.results, "hba1c_testing", stratum="age_band", value="65+") == (1, 1)  # P4
    # Poor control (the last HbA1c above 9% or no result in 2024): P4's 8.2 is the only
    # result; CPT 83036 (P1, P9) is a test without a result. 4 of 5.
    assert cell(run.results, "hba1c_poor_control") == (4, 5)
    # No eye exams: 0 of the same 5.
    assert cell(run.results, "diabetes_eye_exam") == (0, 5)
    # Kidney health evaluation takes ages 18-85, so P5 (age 76; E11.9 on Mar 12, Apr 12 and
    # May 12) is in: 6 members, none with an eGFR and a uACR.
    assert cell(run.results, "kidney_health_evaluation") == (0, 6)


def test_diabetes_measures_need_pharmacy_claims(tmp_path):
    # Without a pharmacy_claim file the diabetes medicines cannot be seen: rather than count
    # only the members found by claims under the same title, the four measures are skipped,
    # each with the reason (as FUA, IET and SSD are). The data start in January 2023 (P10's
    # first claim), so the year before 2024 is there.
    run = run_changed(
        tmp_path,
        "medical_claim.csv",
        lambda text: text + DIABETES_CLAIMS,
        also={"pharmacy_claim.csv": lambda text: None, "eligibility.csv": with_diabetes_history},
    )
    for measure in DIABETES:
        assert run.skipped[measure] == "needs table(s) not supplied: pharmacy_claim"
    assert "ed_visits" not in run.skipped


def test_cp_engagement_150d(results):
    # Deadlines (assignment + 150 days) in 2024: P1 signed on the deadline Jun 8 (yes), P6 one
    # day late (no), P9 never (no); P7 left the CP before the deadline: excluded; P8's
    # deadline is in 2025: excluded.
    assert cell(results, "cp_engagement_150d") == (1, 3)
    assert cell(results, "cp_engagement_150d", level="cp", entity="C1") == (1, 2)
    assert cell(results, "cp_engagement_150d", level="cp", entity="C2") == (0, 1)
    practice_rows = results.query("measure_id == 'cp_engagement_150d' and level == 'practice'")
    assert practice_rows.empty, "the spec limits this measure to program, ACO and CP levels"


def test_data_starting_mid_quarter_keeps_quarter_labels(tmp_path):
    # One extra claim on 2023-12-05 moves the data start into the middle of 2023Q4: that
    # quarter is incomplete and left out; the labels of the 2024 quarters must not shift.
    extra = (
        "M99,1,professional,P5,2023-12-05,2023-12-05,,,,11,,,99213,,,,111111111,100,120,I10,,,,\n"
    )
    run = run_changed(tmp_path, "medical_claim.csv", lambda text: text + extra)
    assert run.periods == ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
    ed = run.results.query("measure_id == 'ed_visits' and level == 'program' and stratum == 'all'")
    assert ed.set_index("period_id").loc["2024Q1", "denominator"] == 30


def test_fuh_needs_enrollment_through_30_days_after_discharge(tmp_path):
    # P6 (discharged Mar 10, followed up on day 7) leaves on Mar 31, before Apr 9 (discharge
    # + 30 days): the discharge leaves the denominator, which drops from 3 to 2. 7 days: P7 no
    # (day 8), P9 yes. 30 days: P7's day-8 visit counts, so both.
    p6 = "P6,male,White,2010,2024-01-01,2024-"
    run = run_changed(
        tmp_path, "eligibility.csv", lambda text: text.replace(p6 + "12-31", p6 + "03-31")
    )
    assert cell(run.results, "fuh_7d") == (1, 2)
    assert cell(run.results, "fuh_30d") == (2, 2)


def test_hospice_care_in_the_window_leaves_a_member_out(tmp_path):
    # Three hospice claims in 2024, one by each route of measures/sql/shared/hospice.sql: P9 a
    # hospice bill (type 811), P6 a hospice revenue code (0651) on an office visit, P10 a
    # hospice HCPCS code (T2042). Specs with `exclusions: [hospice]` leave them out of 2024Q4:
    # fuh_7d keeps P7's discharge only (no follow-up in 7 days): 0 of 1, was 2 of 3;
    # readmission_30d keeps P2's two stays (one readmitted) and P7's: 1 of 3, was 2 of 7.
    # ed_visits has no such exclusion: Q4 is still 1 visit over 27 member months.
    hospice = (
        "H01,1,institutional,P9,2024-10-01,2024-10-20,,,,,811,0651,,,,,,900,1000,C259,,,,\n"
        "H02,1,professional,P6,2024-06-03,2024-06-03,,,,12,,0651,99349,,,,111111111,80,90,G309,,,,\n"
        "H03,1,professional,P10,2024-11-04,2024-11-04,,,,12,,,T2042,,,,111111111,80,90,C189,,,,\n"
    )
    run = run_changed(tmp_path, "medical_claim.csv", lambda text: text + hospice)
    assert cell(run.results, "fuh_7d") == (0, 1)
    assert cell(run.results, "readmission_30d") == (1, 3)
    assert cell(run.results, "ed_visits", "2024Q4") == (1, 27)
