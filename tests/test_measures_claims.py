"""Claims (cost and use) measures on the hand-readable fixtures tests/fixtures/marts/claims_use
and tests/fixtures/marts/risk.

claims_use covers 2024 (periods 2024Q1-2024Q4; 12-month measures only have 2024Q4). Members
K1-K10, ages in 2024: K1 44 (female), K2 49, K3 34 (female, enrolled Jan 1-May 15), K4 64
(gap in April and May), K5 69 (female; ACO A1 Jan-May, A2 Jun-Dec), K6 79, K7 14 (female), K8
39, K9 29 (female), K10 54. ACO A1: K1, K2, K6, K8, K10 (and K5 to May); A2: K3, K4, K7, K9
(and K5 from June). Claim ids: S* acute stays, Q* 2024Q1 claims of every service category,
E* ED visits, V* office visits, P* surgeons' claims, R* pharmacy claims. Expected values are
worked out by hand in the comments.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from scorecard import engine, stats
from scorecard.cli import main
from scorecard.specs import load_specs

ROOT = Path(__file__).resolve().parents[1]
MARTS = ROOT / "tests" / "fixtures" / "marts"
CATEGORIES = ("inpatient", "outpatient", "ed", "professional", "ltss", "pharmacy")


def _run(fixture: str):
    # Only the claims family is run, to keep the tests fast; the other families have their own.
    specs = [s for s in load_specs(ROOT / "measures") if s.family == "claims"]
    run = engine.run(MARTS / fixture, ROOT / "measures" / "value_sets", specs)
    assert run.period_id == "2024Q4"
    assert run.periods == ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
    return run.results


@pytest.fixture(scope="module")
def results():
    return _run("claims_use")


def _prior_year_run(root: Path, claims_edit=None):
    # The readmission measures need the year before each discharge (HEDIS PCR continuous
    # enrollment; spec lookback_months: 12): claims_use with every span that starts on Jan 1,
    # 2024 starting on Jan 1, 2023 instead, and one pharmacy claim in January 2023 so the data
    # start then. K4's gap (April and May 2024) stays. claims_edit, if given, changes the text
    # of medical_claim.csv.
    folder = root / "claims_use"
    shutil.copytree(MARTS / "claims_use", folder)
    eligibility = folder / "eligibility.csv"
    eligibility.write_text(eligibility.read_text().replace(",2024-01-01,", ",2023-01-01,"))
    pharmacy = folder / "pharmacy_claim.csv"
    pharmacy.write_text(pharmacy.read_text() + "R0,K1,2023-01-10,99105000101,30,30,50\n")
    if claims_edit is not None:
        claims = folder / "medical_claim.csv"
        claims.write_text(claims_edit(claims.read_text()))
    specs = [s for s in load_specs(ROOT / "measures") if s.id.startswith("readmission_")]
    run = engine.run(folder, ROOT / "measures" / "value_sets", specs)
    assert run.period_id == "2024Q4"
    return run.results


@pytest.fixture(scope="module")
def prior_year_results(tmp_path_factory):
    return _prior_year_run(tmp_path_factory.mktemp("prior_year"))


@pytest.fixture(scope="module")
def risk_results():
    return _run("risk")


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


def test_member_months(results):
    # 2024Q2: K1, K2, K6-K10 x 3 = 21, K3 Apr-May 2, K4 Jun 1 (gap Apr-May), K5 3 = 27 member
    # months. K5 changes ACO in June, so she is two units (A1 Apr-May, A2 Jun): 11 units.
    assert cell(results, "member_months", "2024Q2") == (27, 11)
    # A1: K1, K2, K6, K8, K10 x 3 + K5 2 = 17 in 6 units; A2: K3 2, K4 1, K5 1, K7 3, K9 3 = 10.
    assert cell(results, "member_months", "2024Q2", "aco", "A1") == (17, 6)
    assert cell(results, "member_months", "2024Q2", "aco", "A2") == (10, 5)
    assert cell(results, "member_months", "2024Q1") == (30, 10)


def test_pmpm_by_service_category(results):
    # 2024Q1, 30 member months (everyone enrolled Jan-Mar):
    #   inpatient     S1 (type of bill 111, two lines 3,000 + 500) + Q01 (POS 21) 200 = 3,700
    #   ed            Q02 (131 with an 0450 line: the whole claim, 600 + 100) + Q03 (POS 23) 150
    #   outpatient    Q04 (131 without an ED line) 1,200 + Q05 (type of bill 0771) 180 = 1,380
    #   professional  Q06 90 + Q07 88 + Q08 20 + Q09 (POS 31 is professional) 120 = 318
    #   ltss          Q10 (skilled nursing 211) 5,000 + Q11 (T1019 personal care) 400 + Q12
    #                 (home health 321) 300 = 5,700
    #   pharmacy      R1-R4: 50 + 30 + 200 + 190 = 470
    expected = {
        "inpatient": 3700,
        "ed": 850,
        "outpatient": 1380,
        "professional": 318,
        "ltss": 5700,
        "pharmacy": 470,
    }
    for category, paid in expected.items():
        assert cell(results, f"pmpm_{category}", "2024Q1") == (paid, 30), category
    assert cell(results, "total_cost_pmpm", "2024Q1") == (12418, 30)
    assert cell(results, "pmpm_outpatient", "2024Q1", "aco", "A2") == (1380, 12)


def test_pmpm_counts_members(results):
    # Spending is clustered by member (cluster: person): 2024Q2 has 27 member months of 10
    # members (see test_member_months). K5 is in two cells (A1 Apr-May, A2 Jun), so she counts
    # half in each: the program 9 + 1/2 + 1/2 = 10 members, A1 five and a half (K1, K2, K6,
    # K8, K10 and half of K5), A2 four and a half (K3, K4, K7, K9 and half of K5), each
    # rounded up to a whole member: never more members than a group holds.
    rows = results[(results.measure_id == "total_cost_pmpm") & (results.period_id == "2024Q2")]
    rows = rows[rows.stratum == "all"].set_index("entity_id")
    assert rows.loc["ALL", ["units", "persons"]].tolist() == [27, 10]
    assert rows.loc["A1", ["units", "persons"]].tolist() == [17, 6]
    assert rows.loc["A2", ["units", "persons"]].tolist() == [10, 5]


@pytest.mark.parametrize("fixture", ["claims_use", "basic"])
def test_service_categories_add_up_to_total_cost(fixture, results):
    res = results if fixture == "claims_use" else _run("basic")
    keys = ["period_id", "level", "entity_id", "stratum", "stratum_value"]
    total = res[res.measure_id == "total_cost_pmpm"].set_index(keys)
    parts = res[res.measure_id.isin([f"pmpm_{c}" for c in CATEGORIES])]
    summed = parts.groupby(keys)[["numerator", "denominator"]].agg(
        {"numerator": "sum", "denominator": "max"}
    )
    summed.columns = ["numerator_parts", "denominator_parts"]
    joined = total.join(summed)
    assert len(joined) > 0
    assert (joined.numerator - joined.numerator_parts).abs().max() < 1e-6
    assert (joined.denominator == joined.denominator_parts).all()


def test_rx_scripts(results):
    # 2024Q1: R1-R4 = 4 prescriptions over 30 member months. Behavioural-health classes: R2
    # (antidepressant), R3 (antipsychotic), R4 (buprenorphine) = 3; R1 is a statin.
    assert cell(results, "rx_scripts", "2024Q1") == (4, 30)
    assert cell(results, "rx_bh_scripts", "2024Q1") == (3, 30)
    assert cell(results, "rx_bh_scripts", "2024Q1", "aco", "A2") == (2, 12)


# 100 fills of K1 (Jan 1 - Apr 9, 2024) of an NDC the drug-class list does not hold.
UNLISTED_FILLS = "".join(
    f"U{i},K1,{pd.Timestamp('2024-01-01') + pd.Timedelta(days=i):%Y-%m-%d},00000000001,30,30,10\n"
    for i in range(100)
)
DRUG_LIST_SPECS = ("rx_scripts", "rx_bh_scripts", "prevalence_diabetes", "member_months")


def _run_with_fills(root: Path, fills: str):
    """claims_use with pharmacy_claim.csv holding only `fills`; the DRUG_LIST_SPECS run."""
    folder = root / "claims_use"
    shutil.copytree(MARTS / "claims_use", folder)
    pharmacy = folder / "pharmacy_claim.csv"
    pharmacy.write_text(pharmacy.read_text().splitlines()[0] + "\n" + fills)
    specs = [s for s in load_specs(ROOT / "measures") if s.id in DRUG_LIST_SPECS]
    return engine.run(folder, ROOT / "measures" / "value_sets", specs), folder


def test_medicine_measures_are_not_computed_when_the_drug_list_matches_no_fill(tmp_path):
    # claims_use's four fills replaced by 100 of an unlisted NDC: 0 of the 1 distinct NDCs
    # and 0 of the 100 fills are in ndc_drug_class.csv. rx_bh_scripts would read 0 (a false
    # zero: it counts listed fills), so it is not computed, with the reason; rx_scripts (every
    # fill: 100 in 2024Q1-Q2) is. prevalence_diabetes reads the list only to find members
    # with diabetes from their fills: computed, and named in the warning.
    run, _ = _run_with_fills(tmp_path, UNLISTED_FILLS)
    assert "rx_bh_scripts" not in set(run.results.measure_id)
    assert "the drug-class list" in run.skipped["rx_bh_scripts"]
    assert {"rx_scripts", "prevalence_diabetes"} <= set(run.results.measure_id)
    # Jan 1 - Mar 31: 91 fills over 2024Q1's 30 member months.
    assert cell(run.results, "rx_scripts", "2024Q1") == (91, 30)
    [warning] = run.warnings
    list_file = ROOT / "measures" / "value_sets" / "ndc_drug_class.csv"
    assert warning.message.startswith(
        f"pharmacy_claim: the drug-class list {list_file} matches 0 of the 1 distinct NDCs and "
        "0 of the 100 fills (0.0%"
    )
    assert "Not computed, as they count medicines: rx_bh_scripts." in warning.message
    assert (
        "Computed, but without the members found to have diabetes from their fills alone: "
        "prevalence_diabetes." in warning.message
    )


def _fills(unlisted: int, listed: int) -> str:
    """`unlisted` fills of K1 (Jan 1 - Oct 26, 2024, by day, again from Jan 1 after 300) of an
    NDC the drug-class list does not hold, then `listed` fills of K9's antipsychotic (risperidone,
    a listed NDC) on Mar 3, 2024, each its own claim."""
    rows = [
        f"U{i},K1,{pd.Timestamp('2024-01-01') + pd.Timedelta(days=i % 300):%Y-%m-%d},"
        "00000000001,30,30,10\n"
        for i in range(unlisted)
    ]
    rows += [f"L{i},K9,2024-03-03,99101000101,30,30,200\n" for i in range(listed)]
    return "".join(rows)


@pytest.mark.parametrize(
    "unlisted, listed",
    [
        (99, 1),  # 1 fill of 100 listed: 1%, at the limit
        (990, 10),  # 10 of 1,000: 1%, at the limit
    ],
)
def test_a_drug_list_matching_at_most_1_percent_of_the_fills_is_not_used(
    tmp_path, unlisted, listed
):
    # With a real list matching 1 fill in 20, so few listed fills happen by chance once in 27
    # (100 fills) or less than once in 10^11 (1,000): rx_bh_scripts is not computed.
    run, _ = _run_with_fills(tmp_path, _fills(unlisted, listed))
    assert "rx_bh_scripts" not in set(run.results.measure_id)
    assert "the drug-class list" in run.skipped["rx_bh_scripts"]
    [warning] = run.warnings
    fills = unlisted + listed
    assert f"matches 1 of the 2 distinct NDCs and {listed} of the {fills:,} fills (1.0%" in (
        warning.message
    )


@pytest.mark.parametrize(
    "unlisted, listed",
    [
        (989, 11),  # 11 of 1,000 listed: over 1%, the list is used
        (99, 0),  # 99 fills, none listed: too few fills (under 100) to judge the list
    ],
)
def test_the_drug_list_is_used_over_1_percent_or_under_100_fills(tmp_path, unlisted, listed):
    # rx_bh_scripts counts K9's listed fills of Mar 3 over 2024Q1's 30 member months.
    run, _ = _run_with_fills(tmp_path, _fills(unlisted, listed))
    assert run.warnings == [] and "rx_bh_scripts" not in run.skipped
    assert cell(run.results, "rx_bh_scripts", "2024Q1") == (listed, 30)


def test_check_and_build_say_the_drug_list_matches_no_fill(tmp_path):
    _, folder = _run_with_fills(tmp_path, UNLISTED_FILLS)
    checked = CliRunner().invoke(main, ["check", "--data", str(folder)])
    assert checked.exit_code == 0, checked.output
    assert "  warning: pharmacy_claim: the drug-class list " in checked.output
    skipped = next(line for line in checked.output.splitlines() if "skipped ant" in line)
    assert skipped.startswith("  skipped antipsychotic_metabolic_monitoring, ")
    assert skipped.endswith("(see the warning)")
    out = tmp_path / "site"
    built = CliRunner().invoke(main, ["build", "--data", str(folder), "--out", str(out)])
    assert built.exit_code == 0, built.output
    assert "  warning: pharmacy_claim: the drug-class list " in built.output
    manifest = json.loads((out / "2024Q4" / "downloads" / "manifest.json").read_text())
    assert "the drug-class list" in manifest["skipped_measures"]["rx_bh_scripts"]
    assert "rx_bh_scripts" not in manifest["measures"]
    # Readers are told in plain words, without counts (plausibility.reader_notes).
    assert manifest["data_notes"] == [
        "The medicines in the pharmacy bills could not be recognized (the list that says which "
        "medicine each code stands for did not match them). Results that count medicines are "
        "not shown, and a few others may be slightly off."
    ]


def test_acute_admissions(results):
    # 2024Q3, 27 member months (K3 left in May): K2 S2 + S3 (S2 discharged to another hospital,
    # status 02, S3 admitted the same day: one admission), K8 S4 + S5 (interim bill and final
    # bill of one admission on Aug 1: one), K10 S6 (Sep 30), K5 S7 (Jul 1-3) and S8 (admitted
    # Jul 4, the day after S7's discharge: a direct transfer whatever S7's status 01 says, one
    # stay: one), K4 S23 and S24 = 6. K3's S21 (Aug) is not counted: not enrolled.
    assert cell(results, "acute_admissions", "2024Q3") == (6, 27)
    assert cell(results, "acute_admissions", "2024Q1") == (1, 30)


def test_frequent_ed_users(results):
    # Members enrolled in 2024: K1-K10. ED visits (distinct dates): K9 Apr 10, Jun 20 (E02 and
    # E03 the same day: one), Aug 15, Nov 2 = 4: frequent. K4 has 4 ED dates but Apr 20 is in
    # his enrollment gap: 3. Everyone else has 2 or fewer.
    assert cell(results, "frequent_ed_users") == (1, 10)
    assert cell(results, "frequent_ed_users", level="aco", entity="A2") == (1, 5)


def test_ed_visits(results):
    # 2024Q4, 27 member months (K3 left in May, K4 enrolled Oct-Dec). ED days: K1 Oct 5 (E10
    # and E11 the same day: one), K9 Nov 2, K6 Nov 20, K10 Dec 1, K7 Dec 10 = 5. Not counted:
    # K2 Oct 12 (E12, admitted to hospital the next day, S9 Oct 13), K3 Oct 20 (not enrolled).
    assert cell(results, "ed_visits", "2024Q4") == (5, 27)
    # A1 (K1, K2, K6, K8, K10 x 3 = 15 member months): K1, K6, K10 = 3.
    assert cell(results, "ed_visits", "2024Q4", "aco", "A1") == (3, 15)
    # 2024Q2: K9 Apr 10 and Jun 20 = 2 (K4's Apr 20 visit is in his enrollment gap).
    assert cell(results, "ed_visits", "2024Q2") == (2, 27)


# K8's ED visits added to claims_use for the next test (he had none). Columns: claim, line,
# type, member, service dates, admission and discharge dates, status, place of service, type of
# bill, revenue code, procedure code, three NPI/TIN fields, paid, diagnoses 1 and 2.
K8_ED_CLAIMS = """\
E17,1,professional,K8,2024-10-01,2024-10-01,,,,23,,,99283,,,,100,R109,
S25,1,institutional,K8,2024-10-03,2024-10-05,2024-10-03,2024-10-05,01,,111,0120,,,,,1000,K8590,
E18,1,professional,K8,2024-11-11,2024-11-11,,,,23,,,99284,,,,100,F329,
S26,1,institutional,K8,2024-12-02,2024-12-04,2024-12-02,2024-12-04,01,,111,0450,,,,,800,I214,
S26,2,institutional,K8,2024-12-02,2024-12-04,2024-12-02,2024-12-04,01,,111,0120,,,,,3000,I214,
E19,1,institutional,K8,2024-12-20,2024-12-20,,,,,131,0450,,,,,500,F1020,
E20,1,professional,K8,2024-12-27,2024-12-27,,,,23,,,99283,,,,100,S0990XA,F329
"""


def test_ed_visits_leave_out_admissions_and_mental_disorders(tmp_path):
    # claims_use plus K8_ED_CLAIMS. ed_visits in 2024Q4 (27 member months): the 5 of
    # test_ed_visits, plus K8's E17 Oct 1 (admitted Oct 3, two days later: counted) and E20 Dec
    # 27 (injury; depression only as the second diagnosis: counted) = 7. Not counted: E18 Nov
    # 11 (principal diagnosis depression F329), S26 Dec 2 (ED line on the inpatient claim:
    # admitted the same day), E19 Dec 20 (alcohol dependence F1020, a substance use disorder).
    folder = tmp_path / "claims_use"
    shutil.copytree(MARTS / "claims_use", folder)
    with open(folder / "medical_claim.csv", "a", encoding="utf-8") as claims:
        claims.write(K8_ED_CLAIMS)
    measures = {"ed_visits", "frequent_ed_users", "non_emergent_ed"}
    specs = [s for s in load_specs(ROOT / "measures") if s.id in measures]
    results = engine.run(folder, ROOT / "measures" / "value_sets", specs).results
    assert cell(results, "ed_visits", "2024Q4") == (7, 27)
    assert cell(results, "ed_visits", "2024Q4", "aco", "A1") == (5, 15)  # K8 is in A1
    # frequent_ed_users counts every ED visit, as the report it follows does: K8 has 5 ED days
    # in 2024 (Oct 1, Nov 11, Dec 2, Dec 20, Dec 27), so K8 and K9 are frequent users.
    assert cell(results, "frequent_ed_users") == (2, 10)
    # non_emergent_ed: K8's visits are not on its list (R109, F329, I214, F1020, S0990XA): 3.
    assert cell(results, "non_emergent_ed", "2024Q4") == (3, 27)


def test_non_emergent_ed(results):
    # 2024Q4, 27 member months: E05 K9 Nov 2 (J069 upper respiratory infection), E10 + E11 K1
    # Oct 5 (facility line R079 chest pain, professional line R519 headache: one of the visit's
    # lines is enough), E13 K10 Dec 1 (M5450 low back pain) = 3. Not counted: E12 K2 Oct 12
    # (asthma J45909, but admitted Oct 13), E14 (injury), E15 K7 (H1010 acute atopic
    # conjunctivitis: not in the seed's list), E16 K3 (not enrolled).
    assert cell(results, "non_emergent_ed", "2024Q4") == (3, 27)
    assert cell(results, "non_emergent_ed", "2024Q4", "aco", "A1") == (2, 15)


def test_acsc_admissions(results):
    # ACSC admissions, members 18-74: K2 S9 (asthma J45909, 35-49) and S10 (hypertension I10,
    # 35-49), K4 S11 (COPD J441 at 64, 50-64), K5 S7 (PQI 16: E119 on the stay and amputation
    # CPT 27880, below the knee, on P16 during it, 65-74) = 4. Not counted: K8 S13 (heart
    # failure, but admitted the day S12 was discharged: transfer), K9 S18 (COPD at 29), K1 S17
    # (UTI with a pregnancy code), K10 S16 (amputation with a traumatic amputation code), K6
    # S14 (79), K7 S15 (14), K3 S21 (not enrolled).
    # Member months 18-74: 18-34 K3 5 + K9 12 = 17; 35-49 K1, K2, K8 = 36; 50-64 K4 10 + K10
    # 12 = 22; 65-74 K5 12: 87 in all. Program rate R = 4/87 per member month; band rates
    # 0/17, 2/36, 1/22, 1/12. Each member month's denominator is (band rate / R) / 12, so the
    # program's denominator is (4 / R) / 12 = 87/12 = 7.25 member years: 4 / 7.25 x 100,000.
    assert cell(results, "acsc_admissions") == (4, pytest.approx(7.25))
    # A1 (K1, K2, K8 36 months at 35-49, K10 12 at 50-64, K5 Jan-May 5 at 65-74): observed 2
    # (K2); expected 36 x 2/36 + 12/22 + 5/12 = 2.962...; denominator = expected x 87/48.
    a1_expected = 2 + 12 / 22 + 5 / 12
    assert cell(results, "acsc_admissions", level="aco", entity="A1") == (
        2,
        pytest.approx(a1_expected * 87 / 48),
    )
    # A2 (K3, K9 at 18-34, K4 10 months at 50-64, K5 Jun-Dec 7): observed 2 (K4, K5).
    assert cell(results, "acsc_admissions", level="aco", entity="A2") == (
        2,
        pytest.approx((10 / 22 + 7 / 12) * 87 / 48),
    )
    value = results.query(
        "measure_id == 'acsc_admissions' and level == 'program' and stratum == 'all'"
    ).value.iloc[0]
    assert value == pytest.approx(4 / 7.25 * 100_000)


def _program_strata(results, measure: str) -> set[str]:
    rows = results[(results.measure_id == measure) & (results.level == "program")]
    return set(rows.stratum)


def test_acsc_admissions_is_adjusted_for_age_so_not_broken_down_by_it(results):
    # Within one age band the age-standardised figure is not the band's rate: each band's
    # expected admissions come from the band's own program rate, so program-wide every band
    # showed the crude program rate (55,172 for 35-49, whose own rate is 2 / 3 member years
    # = 66,667). So no age-band rows.
    assert _program_strata(results, "acsc_admissions") == {
        "all",
        "sex",
        "race",
        "language",
        "cp_type",
    }
    # The sex rows stay, adjusted for age (test_acsc_admissions's rates: R = 4/87 per member
    # month; bands 18-34 0/17, 35-49 2/36, 50-64 1/22, 65-74 1/12). Women 18-74: K1 12
    # months at 35-49, K3 5 and K9 12 at 18-34, K5 12 at 65-74; admissions: K5's S7 = 1.
    # Expected share: 18-34 nothing; K1 12 x (2/36) / R / 12 = 87/72; K5 12 x (1/12) / R /
    # 12 = 87/48; together 435/144 member years: 1 / (435/144) x 100,000 = 33,103 (the crude
    # rate would be 1 per 41/12 member years = 29,268). Men: 3 (S9, S10, S11) over
    # 87/12 - 435/144 = 609/144.
    female = cell(results, "acsc_admissions", stratum="sex", value="female")
    assert female == (1, pytest.approx(435 / 144))
    male = cell(results, "acsc_admissions", stratum="sex", value="male")
    assert male == (3, pytest.approx(609 / 144))


def test_acsc_toe_amputations_are_not_pqi_16(tmp_path):
    # AHRQ PQI 16 counts lower-extremity amputations except toe amputations: with P16 a toe
    # amputation (CPT 28820) instead of one below the knee, K5's stay S7 is no longer an ACSC
    # admission: 3 where test_acsc_admissions counts 4.
    folder = tmp_path / "claims_use"
    shutil.copytree(MARTS / "claims_use", folder)
    claims = folder / "medical_claim.csv"
    text = claims.read_text()
    assert text.count(",K5,2024-07-02,2024-07-02,,,,21,,,27880,") == 1
    claims.write_text(
        text.replace(
            ",K5,2024-07-02,2024-07-02,,,,21,,,27880,", ",K5,2024-07-02,2024-07-02,,,,21,,,28820,"
        )
    )
    specs = [s for s in load_specs(ROOT / "measures") if s.id == "acsc_admissions"]
    run = engine.run(folder, ROOT / "measures" / "value_sets", specs)
    assert cell(run.results, "acsc_admissions")[0] == 3


def test_readmissions_need_the_year_before(results):
    # claims_use starts in January 2024: 2024Q4's window has no year before it in the data.
    assert results[results.measure_id.str.startswith("readmission_")].empty


def test_readmission_30d_oe_leaves_hospice_out_of_the_expected_rates_too(tmp_path):
    # As above, with a hospice bill (type 811) for K8 in October: K8's stays S5 and S13 (male
    # 35-49, not readmitted) leave the index stays, and so the expected rates. Male 35-49 is
    # then S3, S9, S10 (K2) with S9 readmitted: rate 1/3. Program: observed 3, expected 3 x 1/3
    # + 3 x 2/3 = 3, the ratio 1. Counted with K8 in the rates (1/5), the expected would be
    # 3 x 0.2 + 2 = 2.6 and the ratio 1.15.
    hospice = "H1,1,institutional,K8,2024-10-01,2024-10-31,,,,,811,0651,,,,,500,C349,\n"
    results = _prior_year_run(tmp_path, lambda text: text + hospice)
    assert cell(results, "readmission_30d_oe") == (3, pytest.approx(3.0))
    assert cell(results, "readmission_30d") == (3, 10)


def test_readmission_30d_observed_to_expected(prior_year_results):
    results = prior_year_results
    # Index stays (18-64, discharged by Dec 1, not transfers, deaths or interim bills):
    #   female 35-49: S1, S17 (K1)                      readmitted: none       rate 0/2
    #   male 35-49:   S3, S9, S10 (K2), S5, S13 (K8)   S9 (S10 on Nov 1)      rate 1/5
    #   male 50-64:   S6, S22 (K10)                     none                   rate 0/2
    #                 (S6 -> S22 is a planned chemotherapy stay: not a readmission)
    #   female 18-34: S18, S19, S20 (K9)                S18 (S19), S19 (S20)   rate 2/3
    # Excluded: S2, S12 (status 02), S4 (interim bill, status 30), S7, S8, S14 (65+), S15 (14),
    # S16 (discharged Dec 12), S21 (K3's August stay: K3 was enrolled only to May 15), and K4's
    # S11 (Jun 12), S23 (Sep 5) and S24 (Sep 22): April and May 2024, two months in a row,
    # are missing from the 12 months before each discharge month (one is allowed).
    # Program: observed 3, expected 2 x 0 + 5 x 0.2 + 2 x 0 + 3 x 2/3 = 3.
    assert cell(results, "readmission_30d_oe") == (3, pytest.approx(3.0))
    units = results.query(
        "measure_id == 'readmission_30d_oe' and level == 'program' and stratum == 'all'"
    ).units.iloc[0]
    assert units == 12  # S4 (interim bill), S21 (not enrolled) or a K4 stay would make 13
    # The percent counts the same stays and readmissions (shared_counts).
    assert cell(results, "readmission_30d") == (3, 12)
    # A1 (K1, K2, K8, K10): observed 1 (S9); expected 2 x 0 + 5 x 0.2 + 2 x 0 = 1.
    assert cell(results, "readmission_30d_oe", level="aco", entity="A1") == (
        1,
        pytest.approx(1.0),
    )
    # A2 (K4's stays excluded, K9): observed 2 (S18, S19); expected 3 x 2/3 = 2.
    assert cell(results, "readmission_30d_oe", level="aco", entity="A2") == (
        2,
        pytest.approx(2.0),
    )


def test_readmission_30d_oe_is_not_broken_down_by_age_or_sex(prior_year_results):
    # The expected readmissions come from the program's rate for the stay's cell of age band
    # by sex, so program-wide each age band and each sex had a ratio of exactly 1 (female:
    # S1, S17, S18-S20, observed 2, expected 2 x 0 + 3 x 2/3 = 2). Those rows are left out;
    # the readmission rate by age and sex is readmission_30d's, which keeps them.
    results = prior_year_results
    assert _program_strata(results, "readmission_30d_oe") == {"all", "race", "language", "cp_type"}
    assert {"age_band", "sex"} <= _program_strata(results, "readmission_30d")
    # Race rows stay: White (K1, K8): S1, S17 (female 35-49, rate 0), S5, S13 (male 35-49,
    # rate 1/5); observed 0, expected 2 x 0 + 2 x 0.2 = 0.4.
    assert cell(results, "readmission_30d_oe", stratum="race", value="White") == (
        0,
        pytest.approx(0.4),
    )


def test_readmission_bh_30d(prior_year_results):
    # Behavioural-health index stays: S19 (K9, depression F329; S20 for alcohol use F1020 18
    # days later: yes), S20 (no). K4's S23 (schizophrenia F200) is excluded by the two
    # months missing from the year before (it was not readmitted: S24 is not a
    # behavioural-health stay).
    assert cell(prior_year_results, "readmission_bh_30d") == (1, 2)


def test_readmission_bh_30d_leaves_out_interim_bills(tmp_path):
    # K8's one admission of Aug 1, billed as an interim bill S4 (status 30, still a patient;
    # through Aug 15) and a final bill S5 (discharged Aug 20), here for depression (F329)
    # instead of K8590: S5 is an index stay (not readmitted), S4 is not (the stay went on),
    # as in readmission_30d. Counting S4 would make 1 of 4. S5 is not a readmission after S4:
    # it was admitted Aug 1, before S4's last day.
    def depression(text: str) -> str:
        for claim in ("S4", "S5"):
            line = next(row for row in text.splitlines() if row.startswith(f"{claim},"))
            text = text.replace(line, line.replace(",K8590,", ",F329,"))
        return text

    results = _prior_year_run(tmp_path, depression)
    assert cell(results, "readmission_bh_30d") == (1, 3)  # S19 (yes), S20, S5


def test_same_day_stays_are_readmissions_but_not_index_stays(tmp_path):
    # HEDIS PCR leaves out index stays admitted and discharged on the same day; such a stay
    # still counts as a readmission. Two same-day stays added to the year-before fixture:
    #   X1 K1 Feb 20 (I10), 16 days after S1's discharge of Feb 4: S1 is now readmitted;
    #   X2 K9 Jun 1 (depression F329), 18 days after S20's discharge of May 14: S20 is now
    #   readmitted, for readmission_30d and (F329 is behavioural) readmission_bh_30d.
    # Neither is an index stay, so the index stays are test_readmission_30d_observed_to_
    # expected's 12: readmitted S9, S18, S19 as there, plus S1 and S20 -> 5 of 12. With X1
    # and X2 as index stays (not readmitted) it would be 5 of 14.
    same_day = (
        "X1,1,institutional,K1,2024-02-20,2024-02-20,2024-02-20,2024-02-20,01,,111,0120,,,,,"
        "1000,I10,\n"
        "X2,1,institutional,K9,2024-06-01,2024-06-01,2024-06-01,2024-06-01,01,,111,0120,,,,,"
        "1000,F329,\n"
    )
    results = _prior_year_run(tmp_path, lambda text: text + same_day)
    assert cell(results, "readmission_30d") == (5, 12)
    # O/E on the same 12 stays: female 35-49 S1 (yes), S17 -> 1/2; male 35-49 1/5; male
    # 50-64 0/2; female 18-34 S18, S19, S20 all readmitted -> 3/3. Expected 2 x 0.5 + 5 x 0.2
    # + 0 + 3 x 1 = 5, observed 5; 12 stays (14 with X1 and X2).
    assert cell(results, "readmission_30d_oe") == (5, pytest.approx(5.0))
    units = results.query(
        "measure_id == 'readmission_30d_oe' and level == 'program' and stratum == 'all'"
    ).units.iloc[0]
    assert units == 12
    # Behavioural health: S19 (readmitted by S20), S20 (readmitted by X2) -> 2 of 2; X2 as an
    # index stay would make 2 of 3.
    assert cell(results, "readmission_bh_30d") == (2, 2)


def test_continuity_of_care(results):
    # Office visits (distinct date x provider) in 2024, members with 3 or more:
    #   K1  4 visits, all N1                        COC = (16 - 4) / (4 x 3) = 1
    #   K2  Q06, V05 N1, V06 N2, V07 N3             COC = (4 + 1 + 1 - 4) / 12 = 1/6
    #   K8  V08, V09 N1, V10 N2                     COC = (4 + 1 - 3) / 6 = 1/3
    #   K10 V11, V12 billing NPI B1 (no rendering), V13 rendering N4: 1/3
    #   K5  three providers on the same day         COC = 0
    # Out: K6 (V17 and V18 are one visit: 2 in all), K9 (2 visits), K7 (90834 is not an office
    # visit code), K4 (1). Sum = 1 + 1/6 + 1/3 + 1/3 + 0 = 11/6 over 5 members.
    assert cell(results, "continuity_of_care") == (pytest.approx(11 / 6), 5)
    # Fragmentation 1 - COC: 0, 2/3, 2/3, 5/6, 1; 75th percentile (linear) = 5/6 (K2, not
    # above it). Above: K5 only.
    assert cell(results, "fragmented_care") == (1, 5)
    assert cell(results, "fragmented_care", level="aco", entity="A2") == (1, 1)


def test_risk_score(risk_results):
    # CMS-HCC V24 factors (value set cms_hcc_v24_coefficient), age at 2024-12-31:
    #   R1 female 34, CND: F0_34 0.241 + HCC57 schizophrenia (F200) 0.352 + HCC55 substance
    #      use (F1120) 0.279 + HCC18 (E1165; drops HCC19 from E119) 0.351 + substance use x
    #      psychiatric interaction 0.138 + D3 0 = 1.361
    #   R2 male 69, CNA: M65_69 0.308 + HCC85 heart failure (I5023) 0.331 + HCC111 COPD (J449)
    #      0.335 + HCC19 (E119) 0.105 + HCC137 CKD 4 (N184) 0.289 + HCC2 sepsis (A419) 0.352 +
    #      DIABETES_CHF 0.121 + CHF_gCopdCF 0.155 + HCC85_gRenal 0.156 + D5 0.042 = 2.194
    #   R3 sex unknown (female factors), 24: F0_34 0.241 (Z0000 maps to no HCC)
    #   R4 male 44, enrolled in January only: M35_44 0.199 (F329 maps to no HCC in V24)
    # These equal hccpy 0.1.9's HCCEngine("24").profile(...)["risk_score"].
    assert cell(risk_results, "risk_score_avg") == (pytest.approx(3.995), 4)
    assert cell(risk_results, "risk_score_avg", level="aco", entity="A2") == (
        pytest.approx(2.435),
        2,
    )


def test_risk_adjusted_pmpm(risk_results):
    # A quarter's scores use the diagnoses of the 12 months ending with it, so the measure
    # looks back 9 months before its quarter (lookback_months): the data start in January
    # 2024, and 2024Q1-Q3 are not computed (2024Q1's scores would have seen only Q1's
    # diagnoses, lower than any later quarter's).
    periods = set(risk_results.loc[risk_results.measure_id == "risk_adjusted_pmpm", "period_id"])
    assert periods == {"2024Q4"}
    # 2024Q4: scores as in test_risk_score (all of 2024's diagnoses): R1 1.361, R2 2.194, R3
    # 0.241; R4 is not enrolled. Member months R1, R2, R3 x 3 = 9; mean score per member month
    # m = 3 x (1.361 + 2.194 + 0.241) / 9 = 1.26533. Paid in Q4: R1's Dec 1 visit, 150. The
    # program's relative risks add up to its member months: 150 / 9.
    assert cell(risk_results, "risk_adjusted_pmpm") == (150, pytest.approx(9))
    m = (1.361 + 2.194 + 0.241) / 3
    # A1 (R1): 150 over 3 x 1.361 / m relative-risk member months.
    assert cell(risk_results, "risk_adjusted_pmpm", level="aco", entity="A1") == (
        150,
        pytest.approx(3 * 1.361 / m, abs=1e-3),
    )


def test_risk_adjusted_pmpm_interval_counts_members(risk_results):
    # The sum of relative risks (9) is no count of members: the interval and the cell-size
    # rule count the 3 members (R1, R2, R3; 9 member months). Member i: paid y_i, relative
    # risk d_i = 3 months x score / m: R1 150, 3.22682; R2 0, 5.20179; R3 0, 0.57139.
    # R = 150 / 9 = 16.6667; y_i - R d_i: 96.2197, -86.6965, -9.5232; sum of squares
    # 16,865.21; variance 3/2 x 16,865.21 / 9² = 312.319, se 17.6725; log-scale t on 3 - 1
    # degrees of freedom: 4.302653 x 17.6725 / 16.6667 = 4.562328, exp 95.80630: 0.1740 to
    # 1,596.77. Three members are under MIN_MEAN_MEMBERS: the published row has no range.
    rows = risk_results[
        (risk_results.measure_id == "risk_adjusted_pmpm")
        & (risk_results.level == "program")
        & (risk_results.stratum == "all")
    ]
    row = stats.suppress(stats.add_intervals(rows)).iloc[0]
    assert (row.persons, row.units) == (3, 9)
    assert pd.isna(row.lower) and pd.isna(row.upper)
    lower, upper = stats.ratio_interval(stats.cluster_sums(rows))
    assert lower[0] == pytest.approx(0.17396, abs=1e-4)
    assert upper[0] == pytest.approx(1596.77, abs=1e-1)
    assert row.suppression_reason == "small_count"  # 3 members


@pytest.mark.parametrize(
    ("first", "second", "fragment"),
    [
        ("risk_score_avg", "risk_adjusted_pmpm", "sql/_cms_hcc_v24.sql"),
        ("continuity_of_care", "fragmented_care", "sql/_coc.sql"),
    ],
)
def test_shared_sql_blocks_come_from_one_fragment(first, second, fragment):
    # These pairs share a block of CTEs: it lives in one fragment that both include.
    specs = {s.id: s for s in load_specs(ROOT / "measures")}
    assert fragment in specs[first].sql_includes and fragment in specs[second].sql_includes
    assert "{%" not in specs[first].sql and "{%" not in specs[second].sql


def test_a_type_of_bill_written_with_the_forms_leading_zero_reads_the_same(tmp_path, results):
    # the UB-04 form prints type of bill 111 as 0111: every inpatient measure read it as no stay
    folder = tmp_path / "claims_use"
    shutil.copytree(MARTS / "claims_use", folder)
    claims = pd.read_csv(folder / "medical_claim.csv", dtype=str, keep_default_na=False)
    typed = claims["bill_type_code"].str.len() == 3  # one line is written 0771 already
    assert claims.loc[typed, "bill_type_code"].str.startswith("11").any()
    claims.loc[typed, "bill_type_code"] = "0" + claims.loc[typed, "bill_type_code"]
    claims.to_csv(folder / "medical_claim.csv", index=False)
    specs = [s for s in load_specs(ROOT / "measures") if s.family == "claims"]
    zero = engine.run(folder, ROOT / "measures" / "value_sets", specs).results
    assert cell(zero, "acute_admissions") == cell(results, "acute_admissions")
    assert cell(results, "acute_admissions")[0] > 0
    columns = ["measure_id", "period_id", "level", "entity_id", "stratum", "stratum_value"]
    counts = ["numerator", "denominator"]
    pd.testing.assert_frame_equal(
        zero.sort_values(columns)[columns + counts].reset_index(drop=True),
        results.sort_values(columns)[columns + counts].reset_index(drop=True),
    )
