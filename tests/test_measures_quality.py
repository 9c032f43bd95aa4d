"""Quality measures (issue 3) on small hand-readable fixtures, one per group of related measures.

Each fixture in tests/fixtures/marts/quality_*/ covers its measures' window edges, exclusions and
enrollment gaps. Expected numerators and denominators are worked out by hand in the comments from
the CSV files. Results are checked for period 2024Q4 (12-month window 2024-01-01..2024-12-31,
so "Dec 1" is 30 days before its end) unless a test says otherwise. Only the measures a fixture
was written for are run on it, which keeps the tests fast.
"""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path

import pytest

from scorecard import engine
from scorecard.specs import load_specs

ROOT = Path(__file__).resolve().parents[1]
MARTS = ROOT / "tests" / "fixtures" / "marts"
VALUE_SETS = ROOT / "measures" / "value_sets"

IET = [
    f"iet_{kind}{age}" for kind in ("initiation", "engagement") for age in ("", "_13_17", "_18plus")
]


@cache
def all_specs():
    """Return every measure spec, loaded once for this module."""
    return load_specs(ROOT / "measures")


def run_fixture(name: str, measure_ids: list[str]):
    """Return the results of the given measures on fixture `name`."""
    specs = [s for s in all_specs() if s.id in measure_ids]
    assert sorted(s.id for s in specs) == sorted(measure_ids)
    run = engine.run(MARTS / name, VALUE_SETS, specs)
    assert run.period_id == "2024Q4"
    assert run.skipped == {}
    return run.results


def cell(
    results, measure, period="2024Q4", level="program", entity="ALL", stratum="all", value="all"
):
    """Return (numerator, denominator) of one result cell."""
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


# ------------------------------------------------------------------ follow-up (FUH 30, FUM, FUA)


@pytest.fixture(scope="module")
def followup():
    return run_fixture("quality_followup", ["fuh_30d", "fum_7d", "fum_30d", "fua_7d", "fua_30d"])


def test_fuh_30d(followup):
    # MH discharges in Jan 1 - Dec 1: F1 Feb 10 (visit Mar 11 = day 30: yes), F2 Mar 1 (visit
    # Apr 1 = day 31: no), F3 Dec 1, the last day (visit Dec 5: yes), F5 May 25 (visit Jun 20:
    # yes), F9 Sep 1 (an office visit, 99214, with principal F319 on Sep 10: yes, any
    # clinician counts when the visit is for mental illness). Excluded: F5 May 1 (readmitted
    # May 20), F4 Dec 2 (after Dec 1), F6 (age 5), F7 (died, status 20), F8 Aug 1
    # (transferred the same day to a skilled nursing facility, type of bill 211), M3's Apr 20
    # stay (principal J189, not mental illness).
    assert cell(followup, "fuh_30d") == (4, 5)


def test_fum(followup):
    # Qualifying ED visits: M1 Jan 10 (F329), M1 Jan 25 (within 31 days of Jan 10: not counted),
    # M1 Feb 10 (Jan 10 + 31: counted), M2 Mar 5 (principal injury, X78 self-harm in position
    # 2), M5 Dec 1 (last day). Excluded: M3 (admitted Apr 20, 19 days after the ED visit), M4
    # (age 5), M6 (Dec 2), M7 (F419 not principal), M8 (not enrolled in July, ED day + 30).
    # M9 Aug 5 counts. Follow-up (visit with a principal MH diagnosis, ED day included):
    # M1 Jan 17 = day 7; M1 Feb 10: none; M2 Mar 20 = day 15; M5 same day (ED day counts);
    # M9 Aug 12 has principal J069 (no), Sep 4 = day 30.
    assert cell(followup, "fum_7d") == (2, 5)  # M1 Jan 10, M5
    assert cell(followup, "fum_30d") == (4, 5)  # + M2, M9


def test_fua(followup):
    # Qualifying ED visits: U1 Feb 1 (F1020), U2 Mar 10 (heroin overdose T401X1A), U4 Apr 15
    # (age 13), U6 Jun 1, U7 Jul 1 (U7 Jul 20 is within 31 days: not counted). Excluded: U3
    # (age 12), U5 (admitted the same day). Follow-up: U1 naltrexone fill Feb 5 (day 4); U2
    # H0004 Apr 10 = day 31 (no); U4 office visit with principal F1210 Apr 22 = day 7; U6 Jun 3
    # visit has SUD only in position 2 (no), H0020 methadone Jun 20 = day 19; U7 H0004 Jul 25
    # = day 24 (it would be day 5 for the uncounted Jul 20 visit).
    assert cell(followup, "fua_7d") == (2, 5)  # U1, U4
    assert cell(followup, "fua_30d") == (4, 5)  # + U6, U7


# ------------------------------------------------------------------ IET


@pytest.fixture(scope="module")
def iet():
    return run_fixture("quality_iet", IET)


def test_iet_2024(iet):
    # Intake Nov 15, 2023 - Nov 14, 2024; new episode = no SUD claim or medication in the 194
    # days before; enrolled every month from IESD - 194 days to IESD + 47 days.
    # Ages 13-17 (on the IESD):
    #   I3 (16) May 6: H0004 May 10 initiates; only one engagement day (2 claims on May 20).
    #   I7 (13) Nov 14, the last intake day: H0004 Nov 20 initiates; no engagement.
    # Ages 18+:
    #   I1 Mar 1: H0004 Mar 14 = day 13 initiates; H0005 Mar 20 and H0004 Apr 17 (= initiation
    #     + 34) engage.
    #   I2 Apr 1 (ED): another ED visit Apr 5 is not treatment; office visit Apr 15 = day 14: no.
    #   I4 stay Jun 1-5: IESD Jun 5, the stay initiates; H0004 Jun 10 + naltrexone Jun 12 engage.
    #   I6 buprenorphine Jul 1 initiates itself; fills Jul 15 and Jul 29 engage.
    #   I11 Nov 15, 2023, the first intake day: initiated Nov 20, engaged Nov 25 and Dec 1.
    #   I12 two episodes: Dec 1, 2023 (no treatment) and Jul 1, 2024 (213 days later, a new
    #     episode; H0004 Jul 5 initiates, no engagement).
    # Excluded: I5 (SUD Sep 1, 2023 is within 194 days of Mar 1, 2024), I8 (Nov 15, 2024,
    # after intake), I9 (not enrolled in January 2024), I10 (age 12).
    assert cell(iet, "iet_initiation_13_17") == (2, 2)
    assert cell(iet, "iet_engagement_13_17") == (0, 2)
    assert cell(iet, "iet_initiation_18plus") == (5, 7)  # I1, I4, I6, I11, I12 Jul
    assert cell(iet, "iet_engagement_18plus") == (4, 7)  # I1, I4, I6, I11
    # The total is the sum of the two strata.
    assert cell(iet, "iet_initiation") == (7, 9)
    assert cell(iet, "iet_engagement") == (4, 9)


# Three more members (34 in 2024, enrolled 2023-2024) for the stay rules, each with one SUD
# stay for F1120. J1: a stay billed in two pieces (J1a Apr 1-10, status 30, still a patient;
# J1b Apr 11-20, admitted Apr 1, discharged) and an H0004 visit on Apr 25. J2: an ED visit on
# May 1 that ends in a stay of May 1-4. J3: an ED visit on Apr 30, the day before a stay of
# May 1-4.
STAY_MEMBERS = "".join(
    f"{person},female,White,1990,2023-01-01,2024-12-31\n" for person in ("J1", "J2", "J3")
)
STAY_CLAIMS = """\
J1a,1,institutional,J1,2024-04-01,2024-04-10,2024-04-01,2024-04-10,30,,112,0116,,5000,F1120
J1b,1,institutional,J1,2024-04-11,2024-04-20,2024-04-01,2024-04-20,01,,114,0116,,5000,F1120
J1c,1,professional,J1,2024-04-25,2024-04-25,,,,11,,,H0004,100,F1120
J2a,1,professional,J2,2024-05-01,2024-05-01,,,,23,,,99284,300,F1120
J2b,1,institutional,J2,2024-05-01,2024-05-04,2024-05-01,2024-05-04,01,,111,0116,,5000,F1120
J3a,1,professional,J3,2024-04-30,2024-04-30,,,,23,,,99284,300,F1120
J3b,1,institutional,J3,2024-05-01,2024-05-04,2024-05-01,2024-05-04,01,,111,0116,,5000,F1120
"""


def test_iet_counts_each_stay_once_from_its_ed_visit_to_its_last_bill(tmp_path):
    # Each of J1-J3 has one episode, the stay, dated at its last discharge; the stay initiates.
    #   J1: IESD Apr 20 (not the interim bill's Apr 10). Engagement, 1-34 days after Apr 20:
    #     Apr 25 only (J1b is part of the stay, not a treatment day of Apr 11): not engaged.
    #   J2: the ED visit of May 1 is part of the stay, not an episode of its own: IESD May 4.
    #   J3: the ED visit the day before admission is part of the stay too, and the 194 days
    #     before are counted from Apr 30, so the visit does not make the stay look not new.
    # 18+ with them: initiation 5 of 7 + 3 of 3 = 8 of 10; engagement 4 of 7 + 0 of 3 = 4 of 10.
    # (One piece, ED visit or claim at a time: J1 engaged at Apr 10 with J1b's Apr 11 and Apr
    # 25; J2 a second episode, the ED visit, not initiated; J3 the ED visit of Apr 30 only,
    # initiated by the admission the next day: 8 of 11 and 5 of 11.)
    folder = tmp_path / "quality_iet"
    shutil.copytree(MARTS / "quality_iet", folder)
    for name, extra in (("eligibility", STAY_MEMBERS), ("medical_claim", STAY_CLAIMS)):
        path = folder / f"{name}.csv"
        path.write_text(path.read_text() + extra)
    specs = [s for s in all_specs() if s.id in ("iet_initiation_18plus", "iet_engagement_18plus")]
    results = engine.run(folder, VALUE_SETS, specs).results
    assert cell(results, "iet_initiation_18plus") == (8, 10)
    assert cell(results, "iet_engagement_18plus") == (4, 10)


def test_iet_rolling_window(iet):
    # IET looks back 8 months before its window (lookback_months: an intake period 47 days
    # before it, then 194 days of history): the data start with I1's visit of Oct 3, 2022, so
    # 2024Q2 (window from Jul 1, 2023) is the first period computed.
    assert sorted(set(iet.loc[iet.measure_id == "iet_initiation", "period_id"]))[0] == "2024Q2"
    # 2024Q2: window Jul 1, 2023 - Jun 30, 2024, intake May 15, 2023 - May 14, 2024. Episodes:
    # I5 Sep 1, 2023 (not initiated), I11 (initiated, engaged), I12 Dec 1, 2023 (no), I1
    # (initiated, engaged), I2 (no), I3 (initiated). I4, I6, I7 and I12's July episode are after
    # the intake period.
    assert cell(iet, "iet_initiation", period="2024Q2") == (3, 6)
    assert cell(iet, "iet_engagement", period="2024Q2") == (2, 6)


# ------------------------------------------------------------------ SSD, SAA, metabolic monitoring


@pytest.fixture(scope="module")
def smi():
    return run_fixture("quality_smi", ["ssd", "saa", "antipsychotic_metabolic_monitoring"])


def test_ssd(smi):
    # Schizophrenia/bipolar (1 inpatient claim or 2 days), 18-64, an antipsychotic fill in 2024:
    # S1 (glucose test Jun 1: yes), S2 (bipolar inpatient stay; no test), S8 (HbA1c result on
    # Dec 31, the last day: yes), S10 (schizoaffective stay; only a lipid test), S11 (no test),
    # S14 (no test), S15 (glucose test Jul 1: yes).
    # Diabetes excludes as the diabetes measures find it (one acute inpatient stay, claims on
    # two dates, or a diabetes medicine, in 2024 or 2023): S3 (E11.9 visit Jun 2023 and E11.9
    # on an HbA1c claim Apr 2024: two dates), S4 (glipizide fill Mar 2023; metformin alone
    # would not exclude). One date is not diabetes: S14 (one E11.9 visit, Sep 2023) and S15 (a
    # visit and a glucose test with E11.9 on Jul 1, 2024) stay in; any diabetes diagnosis
    # excluded them before.
    # Also excluded: S5 (age 65), S6 (one diagnosis day), S7 (fill Dec 2023 only), S9 (not
    # enrolled in December), S12 (age 84), S13 (no schizophrenia or bipolar diagnosis).
    assert cell(smi, "ssd") == (3, 7)


def test_saa_pdc(smi):
    # Schizophrenia, 18+, antipsychotic fills on 2+ days in 2024; 2024 has 366 days.
    # S3: same drug, 90 days on Jan 1 and Mar 1 (shifted to Mar 31 - Jun 28), 90 on Aug 1,
    #     30 on Oct 15 (shifted to Oct 30 - Nov 28): 300 / 366 = 82% -> yes. Without the shift
    #     it would be 255 / 366 = 70%.
    # S8: two different drugs overlapping (Jan 1 + 180, Mar 1 + 180) do not shift: covered
    #     Jan 1 - Aug 27 = 240 / 366 = 66% -> no.
    # S10: first fill Jul 5 (180 days to Dec 31); 90 + 100 days, the supply after Dec 31 not
    #     counted: 180 / 180 -> yes.
    # S11: first fill Aug 4 (150 days); 60 + 60 days = 120 / 150 = exactly 80% -> yes.
    # Excluded: S12 (dementia), S1, S4, S5 (one fill each), S2 (bipolar), S9 (not enrolled in
    # December), S13 (no schizophrenia diagnosis).
    assert cell(smi, "saa") == (3, 4)


def test_antipsychotic_metabolic_monitoring(smi):
    # Antipsychotic fills on 2+ days in 2024, age 1+: S3 (HbA1c CPT Apr 1 + cholesterol result
    # Apr 1: yes), S8 (HbA1c only), S10 (lipid only), S11 (none), S12 (glucose Feb 2024, lipid
    # Dec 2023 is before the window: no), S13 (age 10: glucose + lipid panel May 1: yes).
    # S9 has two fills but is not enrolled in December.
    assert cell(smi, "antipsychotic_metabolic_monitoring") == (2, 6)
    assert cell(smi, "antipsychotic_metabolic_monitoring", stratum="age_band", value="0-17") == (
        1,
        1,
    )


# Long-acting antipsychotic injections (medical claims with a HCPCS code of antipsychotic_lai,
# beside the CPT 96372 administration line) added to a copy of quality_smi, and S16, a child
# (born 2012: age 12) enrolled all of 2023-2024 with no SMI diagnosis.
SMI_ELIGIBILITY = "S16,male,White,2012,2023-01-01,2024-12-31\n"
SMI_FILLS = "P26,S16,2024-02-10,99101000101,30,18\n"  # one oral risperidone fill
SMI_CLAIMS = (
    # S7 (schizophrenia, oral fill Dec 2023 only): aripiprazole (28 days) on May 10, 2024.
    "L01,1,professional,S7,2024-05-10,2024-05-10,,,,11,,,96372,20,F200\n"
    "L01,2,professional,S7,2024-05-10,2024-05-10,,,,11,,,J0401,900,F200\n"
    # S1 (one oral fill Feb 1, 2024): paliperidone on the same day as the fill.
    "L02,1,professional,S1,2024-02-01,2024-02-01,,,,11,,,J2426,900,F200\n"
    # S16: aripiprazole on Mar 9, a day other than the fill's, then both tests on Apr 1.
    "L03,1,professional,S16,2024-03-09,2024-03-09,,,,11,,,J0401,900,F840\n"
    "L04,1,professional,S16,2024-04-01,2024-04-01,,,,81,,,82947,5,F840\n"
    "L05,1,professional,S16,2024-04-01,2024-04-01,,,,81,,,80061,16,F840\n"
)


def run_fixture_with_rows(
    tmp_path: Path,
    name: str,
    rows: dict[str, str],
    measure_ids: list[str],
    value_set_rows: dict[str, str] | None = None,
):
    """Return the results of the given measures on a copy of fixture `name` with `rows` (CSV
    text by file name) appended, and `value_set_rows` appended to a copy of the code lists."""
    folder = tmp_path / name
    shutil.copytree(MARTS / name, folder)
    for file, text in rows.items():
        with (folder / file).open("a") as out:
            out.write(text)
    value_sets = VALUE_SETS
    if value_set_rows:
        value_sets = tmp_path / "value_sets"
        shutil.copytree(VALUE_SETS, value_sets)
        for file, text in value_set_rows.items():
            with (value_sets / file).open("a") as out:
                out.write(text)
    specs = [s for s in all_specs() if s.id in measure_ids]
    run = engine.run(folder, value_sets, specs)
    assert run.period_id == "2024Q4" and run.skipped == {}
    return run.results


def run_without_claims(tmp_path: Path, name: str, claim_ids: tuple[str, ...], measures: tuple):
    """Return the engine run of `measures` on a copy of fixture `name` without the medical
    claims `claim_ids`."""
    folder = tmp_path / name
    shutil.copytree(MARTS / name, folder)
    claims = folder / "medical_claim.csv"
    lines = claims.read_text().splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(tuple(f"{c}," for c in claim_ids))]
    assert len(kept) == len(lines) - len(claim_ids)
    claims.write_text("".join(kept))
    return engine.run(folder, VALUE_SETS, [s for s in all_specs() if s.id in measures])


def test_long_acting_injections_count_as_antipsychotic_events(tmp_path):
    rows = {
        "eligibility.csv": SMI_ELIGIBILITY,
        "pharmacy_claim.csv": SMI_FILLS,
        "medical_claim.csv": SMI_CLAIMS,
    }
    measures = ["ssd", "saa", "antipsychotic_metabolic_monitoring"]
    results = run_fixture_with_rows(tmp_path, "quality_smi", rows, measures)
    # SSD (3, 7 before): S7's only antipsychotic in 2024 is the injection, which now meets the
    # "antipsychotic in the window" condition: in, with no glucose or HbA1c test -> (3, 8).
    # S1 was in already (the same-day injection changes nothing); S16 has no SMI diagnosis.
    assert cell(results, "ssd") == (3, 8)
    # APM (2, 6 before): S16 has the fill Feb 10 and the injection Mar 9, events on two
    # different days: in, with a glucose test (82947) and a lipid panel (80061) on Apr 1 ->
    # yes: (3, 7), and (2, 2) in the 0-17 band with S13. S1's injection is on the day of
    # its only fill: still one event day, still out. S7 has one event in 2024: out.
    assert cell(results, "antipsychotic_metabolic_monitoring") == (3, 7)
    assert cell(
        results, "antipsychotic_metabolic_monitoring", stratum="age_band", value="0-17"
    ) == (2, 2)
    # SAA (3, 4) unchanged: S7 and S1 still have one event day each; S16 is not diagnosed.
    assert cell(results, "saa") == (3, 4)


# S17 (born 1990, enrolled 2023-2024): schizophrenia on visits of two dates, an oral
# risperidone fill and a glucose test, and a glipizide fill with polycystic ovarian syndrome
# (E28.2) and no diabetes diagnosis: HEDIS's diabetes exclusion would not count her as
# diabetic.
SSD_PCOS_ROWS = {
    "eligibility.csv": "S17,female,White,1990,2023-01-01,2024-12-31\n",
    "pharmacy_claim.csv": (
        "P27,S17,2024-02-01,99101000101,30,18\n"  # risperidone
        "P28,S17,2024-03-01,99103000201,30,10\n"  # glipizide
    ),
    "medical_claim.csv": (
        "Q01,1,professional,S17,2024-02-01,2024-02-01,,,,11,,,99213,90,F200\n"
        "Q02,1,professional,S17,2024-05-01,2024-05-01,,,,11,,,99213,90,F200\n"
        "Q03,1,professional,S17,2024-02-15,2024-02-15,,,,11,,,99213,90,E282\n"
        "Q04,1,professional,S17,2024-06-01,2024-06-01,,,,81,,,82947,5,F200\n"
    ),
}


def test_ssd_excludes_a_diabetes_medicine_whatever_the_other_diagnoses(tmp_path):
    # SSD keeps HEDIS SSD's exclusion of every member with diabetes found by claims or a
    # diabetes medicine, without the diabetes measures' exclusion for polycystic ovaries,
    # gestational or drug-induced diabetes: S17's glipizide fill excludes her, and SSD stays
    # (3, 7). With that exclusion she would be in, with her glucose test: (4, 8).
    results = run_fixture_with_rows(tmp_path, "quality_smi", SSD_PCOS_ROWS, ["ssd"])
    assert cell(results, "ssd") == (3, 7)


# Two more members with schizophrenia (born 1980, enrolled 2023-2024, F20.0 visits on Feb 1 and
# May 1, 2024) and only 90- or 150-day risperidone fills: S18 a woman, S19 a man. S18's fills
# alternate between the demo's risperidone 2 mg tablet and a second maker's risperidone 2 mg
# tablet (99201000101, added to a copy of ndc_drug_class.csv): another NDC product code, the
# same drug. S19 has two 150-day fills on Jan 1 and a 60-day fill on Jul 1.
SAA_SAME_DRUG_ROWS = {
    "eligibility.csv": (
        "S18,female,White,1980,2023-01-01,2024-12-31\nS19,male,White,1980,2023-01-01,2024-12-31\n"
    ),
    "medical_claim.csv": "".join(
        f"{claim},1,professional,{person},{day},{day},,,,11,,,99213,90,F200\n"
        for claim, person, day in (
            ("Z01", "S18", "2024-02-01"),
            ("Z02", "S18", "2024-05-01"),
            ("Z03", "S19", "2024-02-01"),
            ("Z04", "S19", "2024-05-01"),
        )
    ),
    "pharmacy_claim.csv": (
        "Z11,S18,2024-01-01,99101000101,90,10\n"
        "Z12,S18,2024-03-01,99201000101,90,10\n"
        "Z13,S18,2024-05-01,99101000101,90,10\n"
        "Z14,S18,2024-07-01,99201000101,90,10\n"
        "Z21,S19,2024-01-01,99101000101,150,10\n"
        "Z22,S19,2024-01-01,99101000101,150,10\n"
        "Z23,S19,2024-07-01,99101000101,60,10\n"
    ),
}
SECOND_MAKER = {
    "ndc_drug_class.csv": (
        "99201000101,NDC,risperidone 2 mg tablet (second maker),"
        "test code (second maker),antipsychotic,risperidone,oral\n"
    )
}


def test_saa_adds_up_fills_of_one_drug_of_any_maker_once_a_day(tmp_path):
    # HEDIS PDC: fills of the same medication on different days add their supply forward;
    # fills of it on the same day count once, with the longest days supply. 2024 has 366 days.
    # S18: risperidone 90 days on Jan 1 (Jan 1 - Mar 30), Mar 1 (shifted to Mar 31 - Jun 28),
    #      May 1 (Jun 29 - Sep 26), Jul 1 (Sep 27 - Dec 25): Jan 1 - Dec 25 = 360 / 366 = 98%:
    #      yes. With the maker's NDC product code as the drug, the two makers' fills would not
    #      shift: Jan 1 - Sep 28 = 272 / 366 = 74%: no.
    # S19: 150 days twice on Jan 1: one fill, Jan 1 - May 29 (150 days); 60 days on Jul 1 (Jul 1
    #      - Aug 29): 210 / 366 = 57%: no. Adding the two would cover Jan 1 - Dec 25 (360): yes.
    # SAA was (3, 4): now (4, 6).
    results = run_fixture_with_rows(
        tmp_path, "quality_smi", SAA_SAME_DRUG_ROWS, ["saa"], value_set_rows=SECOND_MAKER
    )
    assert cell(results, "saa") == (4, 6)
    # Women: S3, S11 (yes) and S18 (yes); men: S8 (no), S10 (yes) and S19 (no).
    assert cell(results, "saa", stratum="sex", value="female") == (3, 3)
    assert cell(results, "saa", stratum="sex", value="male") == (1, 3)


# ------------------------------------------------------------------ diabetes, BP, asthma, COPD


@pytest.fixture(scope="module")
def chronic():
    return run_fixture(
        "quality_chronic",
        [
            "hba1c_poor_control",
            "diabetes_eye_exam",
            "kidney_health_evaluation",
            "controlling_blood_pressure",
            "asthma_medication_ratio",
            "copd_spirometry",
        ],
    )


def test_hba1c_poor_control(chronic):
    # Diabetic (E11 on an acute inpatient stay, or on claims of 2 different dates), 18-75,
    # 11+ months incl. Dec:
    # D1 last result Sep 1 = 8.0 (the March 10.2 is older): controlled.
    # D2 Nov 1 has 9.0 (LOINC) and 3046F (> 9) on the same day: the lowest counts, and 9.0 is
    #     not above 9.0: controlled.
    # D3 only CPT 83036 (a test without a result): missing result = poor control.
    # D4 7.0 in February, 3046F in October: poor control.
    # D6 (inpatient claim; April enrollment gap allowed) 3044F on Dec 31: controlled.
    # Excluded: D5 (age 76), D7 (one claim), D8 (10 months enrolled), D9 (a visit and a lab
    # test on one day: one date), D10 (one outpatient hospital claim, type of bill 131, not an
    # inpatient stay). D9 and D10 have no result, so counting them would add two poor controls.
    assert cell(chronic, "hba1c_poor_control") == (2, 5)


# HbA1c tests billed without a result (CPT 83036): D1 (last result Sep 1, 8.0) on Nov 1, and
# D6 (3044F on Dec 31) on Dec 31, the day of its result.
RESULTLESS_TEST_ROWS = {
    "medical_claim.csv": (
        "T1,1,professional,D1,2024-11-01,2024-11-01,,,,11,,,83036,20,E119,\n"
        "T2,1,professional,D6,2024-12-31,2024-12-31,,,,11,,,83036,20,E119,\n"
    ),
}


def test_hba1c_poor_control_a_later_test_without_a_result_is_poor_control(tmp_path):
    # D1's most recent test is Nov 1, with no result: poor control, although Sep 1 was 8.0
    # (it was skipped and D1 counted in control). D6's result-less test shares Dec 31 with
    # 3044F: the result counts, in control. (2, 5) -> (3, 5): D1, D3 and D4.
    results = run_fixture_with_rows(
        tmp_path, "quality_chronic", RESULTLESS_TEST_ROWS, ["hba1c_poor_control", "hba1c_testing"]
    )
    assert cell(results, "hba1c_poor_control") == (3, 5)
    assert cell(results, "hba1c_testing") == (5, 5)  # every member was already tested


# HbA1c tests billed without a result (CPT 83036) a few days after a result: D1 on Sep 8, 7 days
# after her last result (Sep 1, 8.0), and D2 on Nov 9, 8 days after his (Nov 1, 9.0 and 3046F).
LATE_BILLED_TEST_ROWS = {
    "medical_claim.csv": (
        "T3,1,professional,D1,2024-09-08,2024-09-08,,,,81,,,83036,20,E119,\n"
        "T4,1,professional,D2,2024-11-09,2024-11-09,,,,81,,,83036,20,E119,\n"
    ),
}


def test_hba1c_poor_control_a_test_billed_up_to_7_days_after_a_result_is_that_result(tmp_path):
    # A lab claim is often billed a day or two after the result is recorded. D1's 83036 of
    # Sep 8 is 7 days after her 8.0 result: the same test, so the result counts, in control.
    # D2's of Nov 9 is 8 days after his results: a later test with no result, poor control.
    # (2, 5) -> (3, 5): D2, D3 and D4. Taking every result-less claim as a later test made D1
    # poor control as well: (4, 5).
    results = run_fixture_with_rows(
        tmp_path, "quality_chronic", LATE_BILLED_TEST_ROWS, ["hba1c_poor_control"]
    )
    assert cell(results, "hba1c_poor_control") == (3, 5)


def test_diabetes_eye_exam(chronic):
    # Same denominator. D1 92014 in May: yes. D2 2023F (no retinopathy) in Aug 2023, the year
    # before: yes. D3 92014 in Aug 2023 is not a negative-result code: no. D4, D6: none.
    assert cell(chronic, "diabetes_eye_exam") == (2, 5)


def test_kidney_health_evaluation(chronic):
    # Diabetic, 18-85 (D5, age 76, is in). D1: creatinine 82565 + uACR result: yes. D2: eGFR
    # result + urine albumin Apr 1 and urine creatinine Apr 5 (4 days apart): yes. D3:
    # creatinine, but albumin and creatinine 5 days apart: no. D5: panel 80053 + uACR: yes.
    # D6: none. D4 is excluded (N18.6 end-stage renal disease).
    assert cell(chronic, "kidney_health_evaluation") == (3, 5)


# Three women born 1990 (age 34), enrolled 2023-2024, with a glipizide fill in 2024 and no
# HbA1c test, eye exam or kidney test: D11 a visit for gestational diabetes (O24.419) in 2024,
# D12 the same plus one visit with E11.9 in 2023, D13 a visit for polycystic ovarian syndrome
# (E28.2) in 2023, the year before.
DIABETES_EXCLUSION_ROWS = {
    "eligibility.csv": "".join(
        f"{who},female,White,1990,2023-01-01,2024-12-31\n" for who in ("D11", "D12", "D13")
    ),
    "pharmacy_claim.csv": "".join(
        f"X{n},{who},2024-03-10,99103000201,30,10\n"
        for n, who in ((21, "D11"), (22, "D12"), (23, "D13"))
    ),
    "medical_claim.csv": (
        "G41,1,professional,D11,2024-01-15,2024-01-15,,,,11,,,99213,90,O24419,\n"
        "G42,1,professional,D12,2024-01-15,2024-01-15,,,,11,,,99213,90,O24419,\n"
        "G43,1,professional,D12,2023-11-01,2023-11-01,,,,11,,,99213,90,E119,\n"
        "G44,1,professional,D13,2023-06-01,2023-06-01,,,,11,,,99213,90,E282,\n"
    ),
}


def test_diabetes_exclusion_of_members_found_by_a_medicine_alone(tmp_path):
    # Found by the glipizide fill alone (no diabetes diagnosis in 2023 or 2024) and with
    # gestational diabetes (D11) or polycystic ovaries (D13): excluded, as HEDIS does. D12 has
    # a diabetes diagnosis (one visit is enough here): kept, with no test and no result.
    # Denominators D1, D2, D3, D4, D6 (and D5 for kidney health) + D12:
    # HbA1c testing: D1-D4, D6 tested (5); poor control (2, 5) -> (3, 6), a missing result is
    # poor control; eye exam (2, 5) -> (2, 6); kidney health (3, 5) -> (3, 6). Without the
    # exclusion D11 and D13 would be in too: (5, 8), (5, 8), (2, 8), (3, 8).
    measures = [
        "hba1c_testing",
        "hba1c_poor_control",
        "diabetes_eye_exam",
        "kidney_health_evaluation",
    ]
    results = run_fixture_with_rows(tmp_path, "quality_chronic", DIABETES_EXCLUSION_ROWS, measures)
    assert cell(results, "hba1c_testing") == (5, 6)
    assert cell(results, "hba1c_poor_control") == (3, 6)
    assert cell(results, "diabetes_eye_exam") == (2, 6)
    assert cell(results, "kidney_health_evaluation") == (3, 6)


def test_controlling_blood_pressure(chronic):
    # I10 on 2 days from Jan 1, 2023 to Jun 30, 2024; 18-85.
    # B1: last day Nov 1 135/85: yes (the Aug 150/85 is older).
    # B2: Nov 1 systolic 138 (LOINC) and 3077F, diastolic 92 (LOINC) and 3079F: lowest of the
    #     day, 138/80-89: yes.
    # B3: second diagnosis Jun 30, the last day; Oct 1 3074F + 3080F (diastolic >= 90): no.
    # B6: no reading: no. B7: Dec 1 has only a systolic; last day with both, Sep 1, 150/95: no.
    # Excluded: B4 (second diagnosis Jul 1), B5 (pregnancy), B8 (age 86), D*, A*, C* (no I10).
    assert cell(chronic, "controlling_blood_pressure") == (2, 5)


# Re-takes: B6 (no reading in the fixture) has two systolic readings on Oct 1, 2024, 150 and
# the re-take 134, and diastolic 85 written twice (an exact duplicate row); D2's Nov 1 (9.0 by
# LOINC 4548-4 and 3046F) gets a second 4548-4 result of 9.6 that day.
RETAKE_ROWS = {
    "clinical_result.csv": (
        "B6,2024-10-01,8480-6,150,mm[Hg]\n"
        "B6,2024-10-01,8480-6,134,mm[Hg]\n"
        "B6,2024-10-01,8462-4,85,mm[Hg]\n"
        "B6,2024-10-01,8462-4,85,mm[Hg]\n"
        "D2,2024-11-01,4548-4,9.6,%\n"
    ),
}


def test_same_day_retakes_load_and_the_lowest_reading_of_the_day_counts(tmp_path):
    # Two results of one LOINC on one day were refused at load (clinical_result's key was
    # person, day and LOINC), stopping the build. Now they load:
    # CBP: B6's Oct 1 is 134/85 (the lowest systolic of the day, below 140/90): yes, so
    #     (2, 5) -> (3, 5); the 150 alone would have been no.
    # HbA1c poor control: D2's Nov 1 has 9.0, 9.6 and 3046F: the lowest, 9.0, is not above 9.0:
    #     still controlled, (2, 5).
    results = run_fixture_with_rows(
        tmp_path,
        "quality_chronic",
        RETAKE_ROWS,
        ["controlling_blood_pressure", "hba1c_poor_control"],
    )
    assert cell(results, "controlling_blood_pressure") == (3, 5)
    assert cell(results, "hba1c_poor_control") == (2, 5)


def test_asthma_medication_ratio(chronic):
    # Persistent asthma, 5-64. A1 (4 inhaler fills): 2 controller / 4 units = 0.50: yes. A2 (ED
    # visit with principal asthma): reliever only: no. A3 (4 visit days + 2 fills): montelukast
    # tablets 90 days = 3 units, albuterol inhaler 1: 0.75: yes. Excluded: A4 (3 visit days, 2
    # fills), A5 (COPD diagnosis May 2023), A6 (age 4), A7 (inpatient asthma stay but no asthma
    # fill).
    assert cell(chronic, "asthma_medication_ratio") == (2, 3)


# Three more members with persistent asthma by 4 or more asthma medication fills in 2024 (born
# 1990, enrolled 2023-2024, no asthma claims needed): A8 (a woman) fluticasone inhaler 30 days
# on Jan 10 and Apr 10, albuterol inhaler 34 days on Feb 1 and Jun 1; A9 (a man) montelukast
# tablets 45 days on Jan 10 and Mar 10, albuterol 30 days on Feb 1, May 1 and Aug 1; A10 (an
# Asian man) fluticasone 30 days on Jan 10 and Apr 10, albuterol 90 days on Feb 1 and Jun 1.
AMR_UNIT_ROWS = {
    "eligibility.csv": (
        "A8,female,White,1990,2023-01-01,2024-12-31\n"
        "A9,male,White,1990,2023-01-01,2024-12-31\n"
        "A10,male,Asian,1990,2023-01-01,2024-12-31\n"
    ),
    "pharmacy_claim.csv": (
        "Y01,A8,2024-01-10,99107000101,30,190\n"
        "Y02,A8,2024-04-10,99107000101,30,190\n"
        "Y03,A8,2024-02-01,99108000101,34,35\n"
        "Y04,A8,2024-06-01,99108000101,34,35\n"
        "Y11,A9,2024-01-10,99107000301,45,14\n"
        "Y12,A9,2024-03-10,99107000301,45,14\n"
        "Y13,A9,2024-02-01,99108000101,30,35\n"
        "Y14,A9,2024-05-01,99108000101,30,35\n"
        "Y15,A9,2024-08-01,99108000101,30,35\n"
        "Y21,A10,2024-01-10,99107000101,30,190\n"
        "Y22,A10,2024-04-10,99107000101,30,190\n"
        "Y23,A10,2024-02-01,99108000101,90,105\n"
        "Y24,A10,2024-06-01,99108000101,90,105\n"
    ),
}


def test_asthma_medication_units(tmp_path):
    # HEDIS AMR units: an inhaler fill is one unit (one canister: the mart has no quantity),
    # whatever its days supply; an oral fill is one unit per 30 days, rounded down, at least 1.
    # A8: 2 controller / (2 + 2) = 0.50: yes (rounded up, the 34-day inhalers were 2 units
    #     each: 2 / 6, no).
    # A9: montelukast 45 days = 1 unit each: 2 / (2 + 3) = 0.40: no (rounded up: 4 / 7, yes).
    # A10: 90-day albuterol inhalers are one unit each: 2 / (2 + 2) = 0.50: yes (counted as an
    #      oral drug, 3 units each: 2 / 8, no).
    # With A1 and A3 (yes) and A2 (no): (4, 6); women A1, A3, A8 (3, 3); Asian A10 (1, 1).
    results = run_fixture_with_rows(
        tmp_path, "quality_chronic", AMR_UNIT_ROWS, ["asthma_medication_ratio"]
    )
    assert cell(results, "asthma_medication_ratio") == (4, 6)
    assert cell(results, "asthma_medication_ratio", stratum="sex", value="female") == (3, 3)
    assert cell(results, "asthma_medication_ratio", stratum="race", value="Asian") == (1, 1)


# Three more members born 1990, enrolled 2023-2024, each with an office visit (99213) on Mar 1,
# 2024 and fills on Jan 10, Apr 10, Jul 10 and Oct 10, 2024 (30 days each). L1: montelukast (a
# leukotriene modifier) four times, the visit for allergic rhinitis (J30.1). L2: the same, the
# visit with asthma (J45.20) in position 2. L3: montelukast three times, albuterol on Oct 10,
# the visit for allergic rhinitis.
MONTELUKAST, ALBUTEROL = "99107000301", "99108000101"
AMR_LEUKOTRIENE_ROWS = {
    "eligibility.csv": "".join(
        f"{who},male,White,1990,2023-01-01,2024-12-31\n" for who in ("L1", "L2", "L3")
    ),
    "medical_claim.csv": "".join(
        f"Z{who},1,professional,{who},2024-03-01,2024-03-01,,,,11,,,99213,90,J301,{dx2}\n"
        for who, dx2 in (("L1", ""), ("L2", "J4520"), ("L3", ""))
    ),
    "pharmacy_claim.csv": "".join(
        f"Z{who}{month},{who},2024-{month}-10,{ndc},30,10\n"
        for who in ("L1", "L2", "L3")
        for month in ("01", "04", "07", "10")
        for ndc in [ALBUTEROL if (who, month) == ("L3", "10") else MONTELUKAST]
    ),
}


def test_asthma_by_leukotriene_modifier_fills_alone_needs_an_asthma_diagnosis(tmp_path):
    # The fixture's cell is (2, 3). L1 is found by four fills of a leukotriene modifier alone
    # and has no asthma diagnosis in 2024: left out (HEDIS AMR). L2's fills are the same, with
    # asthma on a claim in 2024: in, 4 controller units of 4: yes. L3 also filled a reliever:
    # the fills alone show persistent asthma, 3 controller units of 4 = 0.75: yes. (4, 5);
    # counting L1 too (4 of 4: yes) gave (5, 6).
    results = run_fixture_with_rows(
        tmp_path, "quality_chronic", AMR_LEUKOTRIENE_ROWS, ["asthma_medication_ratio"]
    )
    assert cell(results, "asthma_medication_ratio") == (4, 5)


def test_copd_spirometry(chronic):
    # New COPD, intake Jul 1, 2023 - Jun 30, 2024, age 40+. C1 Jan 10 (spirometry Feb 1: yes),
    # C2 Jul 1, 2023, the first intake day (spirometry Dec 28 = day 180: yes), C3 Jun 30, the
    # last intake day (spirometry Dec 28 = day 181: no), C7 inpatient stay Apr 1-5 (index day
    # Apr 5; its own claim is not prior history; no spirometry). Excluded: C4 (COPD claim Mar
    # 2023, within 730 days), C5 (age 34), C6 (not enrolled before 2023), C8 (Jul 1, 2024).
    # C1's claim of Jul 1, 2021 (a cold, J06.9) makes the data start 30 months before the window.
    assert cell(chronic, "copd_spirometry") == (2, 4)


# Two more members born 1970 (age 54), enrolled 2021-2024, whose history before 2023 decides:
# C9 has COPD claims on Mar 1, 2022 and Feb 1, 2024; C10 a first COPD claim on Mar 1, 2024 and
# spirometry on Sep 1, 2022.
COPD_HISTORY_ROWS = {
    "eligibility.csv": "".join(
        f"{who},male,White,1970,2021-01-01,2024-12-31\n" for who in ("C9", "C10")
    ),
    "medical_claim.csv": (
        "S21,1,professional,C9,2022-03-01,2022-03-01,,,,11,,,99213,90,J449,\n"
        "S22,1,professional,C9,2024-02-01,2024-02-01,,,,11,,,99213,90,J449,\n"
        "S23,1,professional,C10,2022-09-01,2022-09-01,,,,11,,,94010,32,R0602,\n"
        "S24,1,professional,C10,2024-03-01,2024-03-01,,,,11,,,99213,90,J449,\n"
    ),
}


def test_copd_spirometry_reads_the_two_years_before_its_intake(tmp_path):
    # C9: the Feb 1, 2024 claim is not new: Mar 1, 2022 is within the 730 days before it
    # (from Feb 1, 2022): excluded. C10: new on Mar 1, 2024, and the Sep 1, 2022 spirometry is
    # within the 730 days before (from Mar 2, 2022): yes. (2, 4) + C10 = (3, 5). Had the data
    # started in January 2023, C9 would count as new with no test and C10 as not tested:
    # (2, 6), which is why the measure needs 30 months before its window.
    results = run_fixture_with_rows(
        tmp_path, "quality_chronic", COPD_HISTORY_ROWS, ["copd_spirometry"]
    )
    assert cell(results, "copd_spirometry") == (3, 5)


def test_copd_spirometry_needs_30_months_before_its_window(tmp_path):
    # Without C1's claim of Jul 1, 2021 the data start in January 2023 (claim G01, Jan 5): the
    # 2024Q4 index days go back to Jul 1, 2023 and their history 730 days more, to July 2021.
    measures = ("copd_spirometry", "controlling_blood_pressure")  # reads 12 months before
    run = run_without_claims(tmp_path, "quality_chronic", ("S00",), measures)
    assert set(run.results.measure_id) == {"controlling_blood_pressure"}
    assert run.skipped["copd_spirometry"] == (
        "needs 30 months of data before its 12-month window, from July 2021; the data start"
        " in January 2023"
    )


# ------------------------------------------------------------------ prevention


@pytest.fixture(scope="module")
def prevention():
    return run_fixture(
        "quality_prevention",
        [
            "breast_cancer_screening",
            "well_child_visits_3_11",
            "adolescent_well_care_12_21",
            "adult_bmi_assessment",
            "depression_screening_followup",
        ],
    )


def test_breast_cancer_screening(prevention):
    # Women 52-74 at Dec 31, 2024; mammogram Oct 1, 2022 - Dec 31, 2024. W1 Oct 1, 2022 (first
    # day): yes. W2 Sep 30, 2022: no. W3 (52): yes. W5 (74): none. W8 (right mastectomy only)
    # diagnostic mammogram: yes. Excluded: W4 (51), W6 (Z90.13), W7 (Z90.11 and Z90.12), W9
    # (male), W10 (not enrolled in December).
    assert cell(prevention, "breast_cancer_screening") == (3, 5)


def test_breast_cancer_screening_needs_15_months_before_its_window(tmp_path):
    # The fixture without its three claims before November 2022 (D00 Jul 1, B02 Sep 30, B01 Oct
    # 1): the data start in December 2022. 2024Q4 reads mammograms from Oct 1, 2022, two months
    # before that, so it is not computed: W1's Oct 1 mammogram would be missing and she would be
    # counted as not screened (2 of 5 instead of 3 of 5).
    measures = ("breast_cancer_screening", "well_child_visits_3_11")  # one with no look-back
    run = run_without_claims(tmp_path, "quality_prevention", ("D00", "B02", "B01"), measures)
    assert set(run.results.measure_id) == {"well_child_visits_3_11"}
    assert run.skipped["breast_cancer_screening"] == (
        "needs 15 months of data before its 12-month window, from October 2022; the data start"
        " in December 2022"
    )


def test_well_care_visits(prevention):
    # 3-11: K1 (3, 99392: yes), K2 (11, none), K3 (4, 99213 with Z00.129: yes); K4 (2) is out.
    assert cell(prevention, "well_child_visits_3_11") == (2, 3)
    # 12-21: K5 (12, 99394 on Dec 31: yes), K6 (21, visit Dec 31, 2023: no), K8 (one-month gap
    # allowed: yes). Out: K7 (22), K9 (two months missing).
    assert cell(prevention, "adolescent_well_care_12_21") == (2, 3)


# Children born 2018 (6 in 2024), each with a well-care visit (99392) on Jun 1, 2024, and their
# enrollment spans (start, end) around the 2024 window: HEDIS continuous enrollment allows one gap
# of at most 45 days and needs enrollment on Dec 31, 2024 (the anchor date).
ENROLLMENT_SPANS = {
    "E1": [("2022-01-01", "2024-02-01"), ("2024-04-29", "2024-12-31")],  # Feb 2-Apr 28: 87 days
    "E2": [("2022-01-01", "2024-12-01")],  # left Dec 1: not enrolled on the anchor date
    "E3": [
        ("2022-01-01", "2024-03-05"),
        ("2024-04-20", "2024-07-05"),
        ("2024-08-20", "2024-12-31"),
    ],
    "E5": [("2022-01-01", "2024-02-01"), ("2024-03-18", "2024-12-31")],  # Feb 2-Mar 17: 45 days
    "E6": [("2024-02-15", "2024-12-31")],  # Jan 1-Feb 14: a 45-day gap at the window's start
    "E7": [("2024-02-16", "2024-12-31")],  # Jan 1-Feb 15: 46 days
    "E8": [
        ("2022-01-01", "2024-06-30"),
        ("2024-07-01", "2024-12-31"),
        ("2024-03-01", "2024-08-31"),
    ],
}
ENROLLMENT_ROWS = {
    "eligibility.csv": "".join(
        f"{who},female,White,2018,{start},{end}\n"
        for who, spans in ENROLLMENT_SPANS.items()
        for start, end in spans
    ),
    "medical_claim.csv": "".join(
        f"WE{who},1,professional,{who},2024-06-01,2024-06-01,,,11,99392,50,Z00129,\n"
        for who in ENROLLMENT_SPANS
    ),
}


def test_well_care_visits_need_hedis_continuous_enrollment(tmp_path):
    # The fixture's 3-11 cell is (2, 3). E1 (one gap of 87 days; 11 months touched), E2 (left
    # Dec 1; enrolled in December), E3 (two gaps of 45 days, Mar 6-Apr 19 and Jul 6-Aug 19;
    # every month touched) and E7 (46 days missing at the window's start; 11 months) are left
    # out. E5 (one gap of 45 days), E6 (45 days missing at the start) and E8 (spans that touch
    # and overlap: no gap) are counted, each with a visit: (5, 6). Counting enrolled months
    # (11 of 12 and any day of December) counted all seven: (9, 10).
    results = run_fixture_with_rows(
        tmp_path, "quality_prevention", ENROLLMENT_ROWS, ["well_child_visits_3_11"]
    )
    assert cell(results, "well_child_visits_3_11") == (5, 6)


def test_adult_bmi_assessment(prevention):
    # 18-74 with an outpatient visit in 2023 or 2024: N1 (Z68.25 on the visit: yes), N2 (Z68.30
    # on Jan 1, 2023, the first day of the look-back: yes), N3 (Dec 31, 2022: no), N4 (BMI
    # result: yes), N6 (74: no BMI), the seven V adults (visits, no BMI) and K6 (21, a visit on
    # Dec 31, 2023 only, no BMI; version 2 wanted the visit in 2024). Excluded: N5 (pregnancy
    # 2023), N7 (75), N8 (no visit, only a lab).
    assert cell(prevention, "adult_bmi_assessment") == (3, 13)


# Two more adults born 1980, enrolled 2022-2024, with an office visit on Mar 1, 2024 and no BMI:
# N9 with hospice care (G9473, a hospice chaplain) on Jun 1, 2024, N10 on Jun 1, 2023.
HOSPICE_ROWS = {
    "eligibility.csv": "N9,female,White,1980,2022-01-01,2024-12-31\n"
    "N10,male,White,1980,2022-01-01,2024-12-31\n",
    "medical_claim.csv": "".join(
        f"{claim},1,professional,{who},{day},{day},,,11,{code},50,Z515,\n"
        for claim, who, day, code in (
            ("H91", "N9", "2024-03-01", "99213"),
            ("H92", "N9", "2024-06-01", "G9473"),
            ("H01", "N10", "2024-03-01", "99213"),
            ("H02", "N10", "2023-06-01", "G9473"),
        )
    ),
}


def test_adult_bmi_assessment_leaves_out_members_in_hospice(tmp_path):
    # N9 had hospice care in the window: left out. N10's hospice care was the year before: in,
    # with no BMI. (3, 13) + N10 = (3, 14); keeping N9 too would give (3, 15).
    results = run_fixture_with_rows(
        tmp_path, "quality_prevention", HOSPICE_ROWS, ["adult_bmi_assessment"]
    )
    assert cell(results, "adult_bmi_assessment") == (3, 14)


def test_depression_screening_followup(prevention):
    # 12+ with an outpatient visit in 2024, no depression or bipolar diagnosis in 2023:
    # K5 (PHQ-A 4, negative, on Dec 31: after Dec 1, the end of the screening period, so not
    # screened: no), K8 (PHQ-9 12 on Jun 1, psychotherapy Jul 1 = day 30: yes), V1 (G8510
    # negative: yes), V2 (G8431 positive with a plan: yes), V3 (G8511, no follow-up: no), V4
    # (PHQ-9 15, sertraline fill day 30: yes), V5 (PHQ-2 of 3 is positive; visit on day 31:
    # no), V7 (PHQ-9 9 is negative: yes), and N1-N7 (visits, never screened: no). Excluded: V6
    # (depression diagnosis Jun 2023).
    assert cell(prevention, "depression_screening_followup") == (5, 15)


# Six adults born 1990, enrolled 2022-2024, each with an office visit (99213) on Jan 10, 2024,
# and their screens (G8510 negative, G8511 positive with no plan) and follow-up (90834).
DSF_CLAIMS = {
    "Q1": [("2024-03-01", "G8511", "R451"), ("2024-09-01", "G8510", "J069")],
    "Q2": [("2024-12-20", "G8511", "R451")],
    "Q3": [("2024-12-01", "G8511", "R451")],
    "Q4": [("2024-03-01", "G8511", "R451"), ("2024-03-15", "90834", "F329")]
    + [("2024-06-01", "G8511", "R451")],
    "Q5": [("2024-02-01", "G8510", "J069"), ("2024-04-01", "G8511", "R451")],
    "Q6": [("2024-12-02", "G8510", "J069")],
}
DSF_ROWS = {
    "eligibility.csv": "".join(
        f"{who},male,White,1990,2022-01-01,2024-12-31\n" for who in DSF_CLAIMS
    ),
    "medical_claim.csv": "".join(
        f"DS{who}{n},1,professional,{who},{day},{day},,,11,{code},50,{dx},\n"
        for who, claims in DSF_CLAIMS.items()
        for n, (day, code, dx) in enumerate([("2024-01-10", "99213", "J069"), *claims])
    ),
}


def test_depression_follow_up_is_of_the_first_positive_screen_screened_up_to_dec_1(tmp_path):
    # The fixture's cell is (5, 15). HEDIS DSF-E's screening period is Jan 1 - Dec 1 (the 30th
    # day before the window's end). Q1: positive Mar 1, never followed up, then negative Sep 1:
    # not met (a later negative screen does not make up for the unaddressed positive one). Q2:
    # positive Dec 20 and Q6: negative Dec 2, both after Dec 1: not screened, not met. Q3:
    # positive Dec 1, the last day of the period, no follow-up: not met. Q4: first positive
    # Mar 1, followed up Mar 15 (day 14): met, though his second positive (Jun 1) was not. Q5:
    # negative Feb 1, positive Apr 1 with no follow-up: not met. (5 + 1, 15 + 6) = (6, 21).
    # Counting a screen after Dec 1 as a screen met K5, Q2 and Q6: (9, 21).
    results = run_fixture_with_rows(
        tmp_path, "quality_prevention", DSF_ROWS, ["depression_screening_followup"]
    )
    assert cell(results, "depression_screening_followup") == (6, 21)


@pytest.fixture(scope="module")
def colorectal():
    return run_fixture("quality_colorectal", ["colorectal_cancer_screening"])


def test_colorectal_cancer_screening(colorectal):
    # 46-75 by Dec 31 (HEDIS's 45-75, 45 or older all year). Look-backs from Jan 1, 2024: L1
    # (46) FIT 2024: yes. L2 FIT Dec 31, 2023: no (FIT
    # only in the year). L3 stool DNA Jan 1, 2022 (2 years): yes. L4 CT colonography Dec 31,
    # 2019: no (4 years start Jan 1, 2020). L5 sigmoidoscopy Jan 1, 2020: yes. L6 colonoscopy
    # Jan 1, 2015 (9 years): yes. L7 colonoscopy Dec 31, 2014: no. Excluded: L8 (colon cancer
    # C18.9), L9 (total colectomy), L10 (76), L11 (45 on Dec 31: 44 in early 2024).
    assert cell(colorectal, "colorectal_cancer_screening") == (4, 7)
