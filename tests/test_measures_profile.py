"""Population-profile measures on tests/fixtures/marts/profile (a copy of basic/ plus rows).

Added to basic/: P6 SUD (F11.20 on Apr 1 and Jun 1) and a second acute stay (Oct 1), P3 SUD
(F10.20; P3 left in June), P10 asthma and COPD (two claims on Feb 1), P9 asthma (Mar 1) and
COPD (Sep 1), P1 a second high blood pressure visit (Sep 15), P4 ED visits on 4 days, P8 ED
visits on 3 days.
Units: members enrolled in December 2024 (P3 is not), attributed by December's attribution.
A condition counts when its diagnosis is on one acute inpatient stay (type of bill 11x) or on
claims of two or more different dates in the window (_diagnosed.sql).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scorecard import engine
from scorecard.specs import load_specs

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "tests" / "fixtures" / "marts" / "profile"
MEASURES = [
    "members",
    "prevalence_smi",
    "prevalence_sud",
    "prevalence_diabetes",
    "prevalence_asthma_copd",
    "prevalence_hypertension",
    "high_risk_share",
]


@pytest.fixture(scope="module")
def results():
    specs = [s for s in load_specs(ROOT / "measures") if s.id in MEASURES]
    assert sorted(s.id for s in specs) == sorted(MEASURES)
    assert {s.family for s in specs} == {"profile"}
    assert {s.stars.method for s in specs} == {"none"}
    run = engine.run(PROFILE, ROOT / "measures" / "value_sets", specs)
    assert run.period_id == "2024Q4"
    return run.results


def cell(results, measure, level="program", entity="ALL", stratum="all", value="all"):
    rows = results[
        (results.measure_id == measure)
        & (results.period_id == "2024Q4")
        & (results.level == level)
        & (results.entity_id == entity)
        & (results.stratum == stratum)
        & (results.stratum_value == value)
    ]
    assert len(rows) == 1, f"expected one row for {measure} {level} {entity} {stratum} {value}"
    row = rows.iloc[0]
    return row.numerator, row.denominator


def test_members_and_their_strata(results):
    # Enrolled in December: P1, P2, P4, P5, P6, P7, P8, P9, P10 (P3 left on Jun 30).
    assert cell(results, "members") == (9, 9)
    # ACO A1: P1, P2, P5, P6, P7; A2: P4, P8, P9, P10. CP C1 (BH): P1, P6, P7; C2 (LTSS): P8, P9.
    assert cell(results, "members", "aco", "A1") == (5, 5)
    assert cell(results, "members", "aco", "A2") == (4, 4)
    assert cell(results, "members", "cp", "C1") == (3, 3)
    assert cell(results, "members", "cp", "C2") == (2, 2)
    # Age in 2024 from birth year: 35-49 = P1 (44), P8 (39), P10 (49); 65+ = P4 (74), P5 (76).
    assert cell(results, "members", stratum="age_band", value="35-49")[1] == 3
    assert cell(results, "members", stratum="age_band", value="65+")[1] == 2
    assert cell(results, "members", stratum="sex", value="female")[1] == 4  # P1, P5, P7, P9
    assert cell(results, "members", stratum="cp_type", value="BH")[1] == 3
    assert cell(results, "members", stratum="cp_type", value="LTSS")[1] == 2
    assert cell(results, "members", stratum="cp_type", value="No CP")[1] == 4
    assert cell(results, "members", stratum="language", value="Spanish")[1] == 1  # P9
    practice = results.query("measure_id == 'members' and level == 'practice'")
    assert practice.empty, "profile measures are for the program, ACOs and CPs"


def test_prevalence(results):
    # SMI: P7 (F20.0 on a stay and two visits), P8 (F25.1 on a stay), P9 (F20.0 on two stays);
    # P6's F32.9 is not a serious mental illness.
    assert cell(results, "prevalence_smi") == (3, 9)
    # SUD: P6 (F11.20 on Apr 1 and Jun 1: two dates); P3 also has one but is not enrolled in
    # December.
    assert cell(results, "prevalence_sud") == (1, 9)
    # Diabetes, as the diabetes measures find it in the window: P1, P4, P5 (E11.9 on two or
    # more dates), P2 (E11.9 on an acute inpatient stay); P3 left.
    assert cell(results, "prevalence_diabetes") == (4, 9)
    # Asthma or COPD: P9 (J45.30 on Mar 1, J44.9 on Sep 1: two dates of the one condition).
    # Not P10: J45.909 and J44.9 on a visit and an outpatient claim of the same day (Feb 1),
    # one date (counted when one claim was enough).
    assert cell(results, "prevalence_asthma_copd") == (1, 9)
    # High blood pressure (I10, any position): P1 (visits Mar 1 and Sep 15: two dates), P2 and
    # P10 (each on an acute inpatient stay, bill type 111). Not P5: one visit (Jan 5), as a
    # test ordered to rule it out would be (counted when one claim was enough: 4 of 9).
    assert cell(results, "prevalence_hypertension") == (3, 9)
    # By CP: C2 (P8, P9) both have SMI.
    assert cell(results, "prevalence_smi", "cp", "C2") == (2, 2)


def test_high_risk_share(results):
    # Two or more conditions: P1 (diabetes, hypertension), P2 (same), P9 (SMI, asthma/COPD).
    # Two acute stays: P2 (Jun 1, Jun 20), P6 (Mar 5, Oct 1), P9, P10 (hypertension only:
    # asthma/COPD on one date). ED visits on four days: P4 (P8's three days are not enough).
    # Not high risk: P5 (diabetes; one I10 visit is not hypertension, so one condition: high
    # risk when one claim was enough), P7, P8.
    assert cell(results, "high_risk_share") == (6, 9)
    assert cell(results, "high_risk_share", "cp", "C1") == (2, 3)  # P1, P6 (not P7)


def test_high_risk_share_counts_ed_visits_in_enrolled_months_only(tmp_path):
    # P4's fourth ED visit (M48) moved from Aug 10 to Apr 10, a month P4 was not enrolled (P4's
    # spans: Jan-Mar and May-Dec): three ED days count (May, Jun, Jul 10), as for
    # frequent_ed_users and ed_visits. P4 has one condition (diabetes) and no stay: not high
    # risk. (6, 9) - P4 = (5, 9); counting April would leave P4 in: (6, 9). frequent_ed_users
    # agrees: no member with 4 ED days (P4 3, P8 3) of the 10 enrolled in 2024 (P3 too).
    folder = tmp_path / "profile"
    shutil.copytree(PROFILE, folder)
    claims = folder / "medical_claim.csv"
    text = claims.read_text()
    moved = text.replace(
        "M48,1,professional,P4,2024-08-10,2024-08-10", "M48,1,professional,P4,2024-04-10,2024-04-10"
    )
    assert moved != text
    claims.write_text(moved)
    measures = ("high_risk_share", "frequent_ed_users")
    specs = [s for s in load_specs(ROOT / "measures") if s.id in measures]
    results = engine.run(folder, ROOT / "measures" / "value_sets", specs).results
    assert cell(results, "high_risk_share") == (5, 9)
    assert cell(results, "frequent_ed_users") == (0, 10)


def test_prevalence_diabetes_needs_two_dates_a_stay_or_a_medicine(tmp_path):
    # The profile fixture plus: P8 one office visit with E11.9 (a single date, as a rule-out
    # before a test: not diabetes; one claim was enough before), P9 a glipizide fill (a
    # diabetes medicine: diabetes without a diagnosis), P10 metformin alone (not a diabetes
    # medicine here), P7 a glipizide fill and a visit for gestational diabetes (O24.419) with
    # no diabetes diagnosis: HEDIS's diabetes exclusion, not counted. Diabetic: P1, P2, P4,
    # P5, P9.
    folder = tmp_path / "profile"
    shutil.copytree(PROFILE, folder)
    with (folder / "medical_claim.csv").open("a") as claims:
        claims.write(
            "M60,1,professional,P8,2024-11-05,2024-11-05,,,,11,,,99213,,,,222222222,"
            "100,120,E119,,,,\n"
            "M61,1,professional,P7,2024-05-20,2024-05-20,,,,11,,,99213,,,,222222222,"
            "100,120,O24419,,,,\n"
        )
    with (folder / "pharmacy_claim.csv").open("a") as fills:
        fills.write("R10,P9,2024-06-01,99103000201,30,30,10,\n")
        fills.write("R11,P10,2024-06-01,99103000101,30,30,5,\n")
        fills.write("R12,P7,2024-06-01,99103000201,30,30,10,\n")
    specs = [s for s in load_specs(ROOT / "measures") if s.id == "prevalence_diabetes"]
    results = engine.run(folder, ROOT / "measures" / "value_sets", specs).results
    assert cell(results, "prevalence_diabetes") == (5, 9)
    # Women P1, P5, P7, P9: P1, P5, P9 (not P7); men P2, P4, P6, P8, P10: P2, P4 (P8 and P10
    # are not).
    assert cell(results, "prevalence_diabetes", stratum="sex", value="female") == (3, 4)
    assert cell(results, "prevalence_diabetes", stratum="sex", value="male") == (2, 5)
