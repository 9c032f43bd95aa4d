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
    `change` of its text, and so on for each file of `also` (see run_changes)."""
    return run_changes(tmp_path, {name: change, **(also or {})})


def run_changes(tmp_path: Path, changes: dict, measures: tuple[str, ...] = ()) -> engine.EngineRun:
    """Return the engine run over a copy of the basic fixture whose CSV files (the keys of
    `changes`) hold the change (the values) of their text, a change giving None removing the
    file: of the measures named, or all."""
    import shutil

    folder = tmp_path / "marts"
    shutil.copytree(BASIC, folder)
    for file, edit in changes.items():
        path = folder / file
        text = edit(path.read_text())
        if text is None:
            path.unlink()
        else:
            path.write_text(text)
    specs = [s for s in load_specs(ROOT / "measures") if not measures or s.id in measures]
    return engine.run(folder, ROOT / "measures" / "value_sets", specs)


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


def test_readmissions_need_the_year_before_the_window(results):
    # HEDIS PCR asks for enrollment in the year before each discharge: the basic fixture's
    # data start in January 2024, so 2024Q4's window has no year before it in the data and
    # the readmission measures are not computed (spec lookback_months: 12).
    for measure in ("readmission_30d", "readmission_30d_oe", "readmission_bh_30d"):
        assert results.query(f"measure_id == '{measure}'").empty


# The basic fixture with data from January 2023 (one pharmacy claim then) and enrollment in
# 2023 for four members with stays in 2024: P2 enrolled throughout; P9 missing November 2023
# (one month: allowed); P10 missing October and November 2023 (two months in a row: not);
# P7 missing June and November 2023 (two single months, two gaps: not).
PRIOR_YEAR = {
    "pharmacy_claim.csv": lambda text: text + "R0,P1,2023-01-15,00000000001,30,30,50,\n",
    "eligibility.csv": lambda text: (
        text.replace("P2,male,Black,1970,2024-01-01,", "P2,male,Black,1970,2023-01-01,")
        .replace(
            "P9,female,Hispanic or Latino,1995,2024-01-01,2024-12-31,medicaid,aco\n",
            "P9,female,Hispanic or Latino,1995,2023-01-01,2023-10-31,medicaid,aco\n"
            "P9,female,Hispanic or Latino,1995,2023-12-01,2024-12-31,medicaid,aco\n",
        )
        .replace(
            "P10,male,Unknown,1975,2024-01-01,2024-12-31,medicaid,aco\n",
            "P10,male,Unknown,1975,2023-01-01,2023-09-30,medicaid,aco\n"
            "P10,male,Unknown,1975,2023-12-01,2024-12-31,medicaid,aco\n",
        )
        .replace(
            "P7,female,Black,1990,2024-01-01,2024-12-31,medicaid,aco\n",
            "P7,female,Black,1990,2023-01-01,2023-05-31,medicaid,aco\n"
            "P7,female,Black,1990,2023-07-01,2023-10-31,medicaid,aco\n"
            "P7,female,Black,1990,2023-12-01,2024-12-31,medicaid,aco\n",
        )
    ),
}
READMISSIONS = ("readmission_30d", "readmission_30d_oe", "readmission_bh_30d")


def test_readmissions_with_the_year_before_the_discharge(tmp_path):
    # Acute stays discharged 2024-01-01..2024-12-01 of members 18-64 (no transfer, death,
    # childbirth): P2 Jun 5 (readmitted Jun 20: yes), P2 Jun 25 (no), P7 Apr 1, P9 May 1
    # (readmitted May 20: yes), P9 May 25 (no), P10 Sep 3 and Sep 11 (Z5111 is planned).
    # The 12 months before the discharge month: P2 none missing (kept); P9 May 2023 - Apr
    # 2024, November missing (kept); P10 Sep 2023 - Aug 2024, October and November missing
    # (excluded); P7 Apr 2023 - Mar 2024, June and November missing (excluded).
    run = run_changes(tmp_path, PRIOR_YEAR, measures=READMISSIONS)
    assert run.period_id == "2024Q4"
    assert cell(run.results, "readmission_30d") == (2, 4)  # was 2 of 7 with no year before
    # ACO A1: P2's two stays (P7's is excluded) -> 1 of 2.
    assert cell(run.results, "readmission_30d", level="aco", entity="A1") == (1, 2)
    # O/E, on the same 4 index stays: expected = rate of the cell of sex x age band: male
    # 50-64 P2 (1 of 2), female 18-34 P9 (1 of 2): 2 x 0.5 + 2 x 0.5 = 2; observed 2.
    assert cell(run.results, "readmission_30d_oe") == (2, pytest.approx(2.0))
    units = run.results.query(
        "measure_id == 'readmission_30d_oe' and level == 'program' and stratum == 'all'"
    ).units.iloc[0]
    assert units == 4
    # Behavioural-health stays (F200): P7 Apr 1 (excluded, two gaps), P9 May 1 (readmitted
    # May 20 for F200: yes), P9 May 25 (no) -> 1 of 2.
    assert cell(run.results, "readmission_bh_30d") == (1, 2)


def test_readmissions_with_the_whole_year_before_missing(tmp_path):
    # Data from January 2023 but every member enrolled from January 2024 only: each discharge
    # misses at least its year before's months of 2023 (P7 Apr 1: 9 of 12), so no index stay.
    run = run_changes(
        tmp_path, {"pharmacy_claim.csv": PRIOR_YEAR["pharmacy_claim.csv"]}, measures=READMISSIONS
    )
    assert run.results[run.results.measure_id.isin(READMISSIONS)].empty


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


def test_fuh_counts_an_interim_billed_stay_once(tmp_path):
    # P6's stay of Mar 5-10 (M18) billed in two pieces: M18a Mar 5-7 with status 30 (still a
    # patient) and M18b Mar 8-10 with the same admission date, Mar 5, discharged (01). One
    # stay, discharged Mar 10: the visit of Mar 17 (day 7) follows it up, so fuh_7d stays 2 of
    # 3 (P6, P9 of P6, P7, P9). Counting M18a's Mar 7 as a discharge too would add a unit the
    # Mar 17 visit misses (day 10): 2 of 4.
    m18 = "M18,1,institutional,P6,2024-03-05,2024-03-10,2024-03-05,2024-03-10,01,,111,"
    pieces = (
        "M18a,1,institutional,P6,2024-03-05,2024-03-07,2024-03-05,2024-03-07,30,,112,",
        "M18b,1,institutional,P6,2024-03-08,2024-03-10,2024-03-05,2024-03-10,01,,114,",
    )

    def split(text: str) -> str:
        line = next(row for row in text.splitlines() if row.startswith(m18))
        rest = line[len(m18) :]
        return text.replace(line, "\n".join(piece + rest for piece in pieces))

    run = run_changes(tmp_path, {"medical_claim.csv": split}, measures=("fuh_7d",))
    assert cell(run.results, "fuh_7d") == (2, 3)


def test_readmissions_count_a_direct_transfer_as_one_stay(tmp_path):
    # Two transfers added to PRIOR_YEAR's stays, each discharged home (status 01) by the first
    # hospital: P2 admitted Jun 6-8 (T1, I10), the day after M05's discharge of Jun 5; P9
    # admitted May 1-3 (T2, F200), the day of M24's discharge. Each is one stay with the stay
    # before it: P2 Jun 1-8 (readmitted Jun 20: yes), P9 Apr 25 - May 3 (readmitted May 20:
    # yes). Index stays as before: P2 Jun 1-8 (yes), P2 Jun 25 (no), P9 May 3 (yes), P9 May 25
    # (no) -> 2 of 4. Counting the transfers as stays of their own would make M05 readmitted
    # by T1 and T1 and T2 index stays readmitted on Jun 20 and May 20: 4 of 6.
    transfers = (
        "T1,1,institutional,P2,2024-06-06,2024-06-08,2024-06-06,2024-06-08,01,,111,0120,,,,,,"
        "3000,3500,I10,,,,\n"
        "T2,1,institutional,P9,2024-05-01,2024-05-03,2024-05-01,2024-05-03,01,,111,0114,,,,,,"
        "3000,3500,F200,,,,\n"
    )
    changes = {**PRIOR_YEAR, "medical_claim.csv": lambda text: text + transfers}
    run = run_changes(tmp_path, changes, measures=READMISSIONS)
    assert cell(run.results, "readmission_30d") == (2, 4)
    # Same cells as without the transfers: male 50-64 P2 1 of 2, female 18-34 P9 1 of 2.
    assert cell(run.results, "readmission_30d_oe") == (2, pytest.approx(2.0))
    # Behavioural health: P9 Apr 25 - May 3 (its last claim, T2, is for F200; readmitted May
    # 20: yes) and May 25 (no): 1 of 2 (2 of 3 with T2 as a stay of its own).
    assert cell(run.results, "readmission_bh_30d") == (1, 2)


def test_hospice_care_in_the_window_leaves_a_member_out(tmp_path):
    # Three hospice claims in 2024, one by each route of measures/sql/shared/hospice.sql: P9 a
    # hospice bill (type 811), P6 a hospice revenue code (0651) on an office visit, P10 a
    # hospice HCPCS code (T2042). Specs with `exclusions: [hospice]` leave them out of 2024Q4:
    # fuh_7d keeps P7's discharge only (no follow-up in 7 days): 0 of 1, was 2 of 3;
    # readmission_30d (with the year before of PRIOR_YEAR) keeps P2's two stays (one
    # readmitted): 1 of 2, was 2 of 4. ed_visits has no such exclusion: Q4 is still 1 visit
    # over 27 member months.
    hospice = (
        "H01,1,institutional,P9,2024-10-01,2024-10-20,,,,,811,0651,,,,,,900,1000,C259,,,,\n"
        "H02,1,professional,P6,2024-06-03,2024-06-03,,,,12,,0651,99349,,,,111111111,80,90,G309,,,,\n"
        "H03,1,professional,P10,2024-11-04,2024-11-04,,,,12,,,T2042,,,,111111111,80,90,C189,,,,\n"
    )
    run = run_changes(tmp_path, {**PRIOR_YEAR, "medical_claim.csv": lambda text: text + hospice})
    assert cell(run.results, "fuh_7d") == (0, 1)
    assert cell(run.results, "readmission_30d") == (1, 2)
    assert cell(run.results, "ed_visits", "2024Q4") == (1, 27)


# ------------------------------------------------------------------ SAA: long-acting injections

# Antipsychotic events for the three members with schizophrenia in the basic fixture (P7 age
# 34, P8 39, P9 29, all enrolled all 2024; diagnosed by an inpatient stay: M20, M23, M24).
# Oral fills use demo NDCs of ndc_drug_class.csv (99101000101 risperidone tablet, 99101000401
# aripiprazole tablet); injections are medical claims with a HCPCS code of antipsychotic_lai.
SAA_ORAL_FILLS = (
    "A1,P7,2024-04-26,99101000101,189,189,10,\n"  # Apr 26 - Oct 31
    "A2,P9,2024-01-02,99101000101,150,150,10,\n"  # Jan 2 - May 30
    "A3,P9,2024-07-06,99101000401,106,106,10,\n"  # Jul 6 - Oct 19
)
SAA_INJECTIONS = (
    # P7: paliperidone palmitate (28 days) on Mar 1 and again early on Mar 20.
    "L1,1,professional,P7,2024-03-01,2024-03-01,,,,11,,,J2426,,,,,900,1000,F200,,,,\n"
    "L2,1,professional,P7,2024-03-20,2024-03-20,,,,11,,,J2426,,,,,900,1000,F200,,,,\n"
    # P8: injections only, 28 days apart: Oct 1, Oct 29, Nov 26 (two lines on the last claim).
    "L3,1,professional,P8,2024-10-01,2024-10-01,,,,11,,,J2426,,,,,900,1000,F251,,,,\n"
    "L4,1,professional,P8,2024-10-29,2024-10-29,,,,11,,,J2426,,,,,900,1000,F251,,,,\n"
    "L5,1,professional,P8,2024-11-26,2024-11-26,,,,11,,,96372,,,,,20,25,F251,,,,\n"
    "L5,2,professional,P8,2024-11-26,2024-11-26,,,,11,,,J2426,,,,,900,1000,F251,,,,\n"
    # P9: risperidone (Risperdal Consta, 14 days) on May 25, then paliperidone on Jun 8.
    "L6,1,professional,P9,2024-05-25,2024-05-25,,,,11,,,J2794,,,,,400,500,F200,,,,\n"
    "L7,1,professional,P9,2024-06-08,2024-06-08,,,,11,,,J2426,,,,,900,1000,F200,,,,\n"
)


def test_saa_counts_long_acting_injections(tmp_path):
    # 2024 has 366 days; the treatment period runs from the first event to Dec 31.
    # P7: first event Mar 1: Mar 1 - Dec 31 = 306 days. The Mar 20 injection replaces the
    #     rest of the Mar 1 one (injections do not shift): covered Mar 1 - Apr 16 = 47 days,
    #     then the oral fill Apr 26 - Oct 31 = 189: 236 / 306 = 77.1% -> no. (Had the second
    #     injection been shifted to Mar 29, it would be 56 + 189 = 245 = 80.07%: yes.)
    # P8: injections only (no pharmacy fill): first event Oct 1: Oct 1 - Dec 31 = 92 days;
    #     3 x 28 = 84 days (Oct 1 - Dec 23): 84 / 92 = 91.3% -> yes.
    # P9: first event Jan 2: Jan 2 - Dec 31 = 365 days. Oral Jan 2 - May 30 (150), the
    #     14-day injection May 25 - Jun 7 (its first 6 days already covered: 8 more), the
    #     28-day injection Jun 8 - Jul 5 (28), oral Jul 6 - Oct 19 (106): 292 / 365 = exactly
    #     80% -> yes. (Counting the 6 shared days twice would not change it; leaving out the
    #     injections would give 256 / 365 = 70%.)
    run = run_changes(
        tmp_path,
        {
            "pharmacy_claim.csv": lambda text: text + SAA_ORAL_FILLS,
            "medical_claim.csv": lambda text: text + SAA_INJECTIONS,
        },
        measures=("saa",),
    )
    assert cell(run.results, "saa") == (2, 3)


def test_saa_without_the_injections(tmp_path):
    # The same oral fills alone: P7 has one fill (one event: out), P8 none (out), P9 two
    # fills on different days, 150 + 106 = 256 / 365 = 70.1% -> no.
    run = run_changes(
        tmp_path, {"pharmacy_claim.csv": lambda text: text + SAA_ORAL_FILLS}, measures=("saa",)
    )
    assert cell(run.results, "saa") == (0, 1)
