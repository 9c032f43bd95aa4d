"""Behavioural-health measures (FUH, FUM, FUA, behavioural-health and all-cause readmissions) on
tiny hand-made marts, one per test, for period 2024Q4 (12-month window 2024-01-01..2024-12-31).

Every member is born in 1990 and enrolled from 2023-01-01 to 2024-12-31 (the readmission
measures need the year before each discharge; a pharmacy claim of January 2023 makes the data
start then; an office visit of 2024-12-31, for a well check (Z0000), makes them end with 2024Q4).
Expected numerators and denominators are worked out by hand in the comments.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

from scorecard import engine
from scorecard.specs import load_specs

ROOT = Path(__file__).resolve().parents[1]
VALUE_SETS = ROOT / "measures" / "value_sets"

CLAIM_HEADER = (
    "claim_id,claim_line_number,claim_type,person_id,claim_start_date,claim_end_date,"
    "admission_date,discharge_date,discharge_disposition_code,place_of_service_code,"
    "bill_type_code,revenue_center_code,hcpcs_code,paid_amount,diagnosis_code_1,"
    "diagnosis_code_2,diagnosis_code_3,diagnosis_code_4,diagnosis_code_5\n"
)


@cache
def all_specs() -> tuple:
    """Return every measure spec, loaded once for this module."""
    return tuple(load_specs(ROOT / "measures"))


def stay(claim: str, person: str, admit: str, discharge: str, dx: str, status: str = "01") -> str:
    """Return a one-line acute hospital bill (type of bill 111, room and board 0114)."""
    return (
        f"{claim},1,institutional,{person},{admit},{discharge},{admit},{discharge},{status},,"
        f"111,0114,,5000,{dx},,,,\n"
    )


def line(
    claim: str,
    person: str,
    day: str,
    *,
    hcpcs: str = "",
    revenue: str = "",
    pos: str = "",
    bill: str = "",
    dx: str = "",
    dx2: str = "",
    number: int = 1,
) -> str:
    """Return one claim line: institutional when it has a type of bill, else professional."""
    kind = "institutional" if bill else "professional"
    return (
        f"{claim},{number},{kind},{person},{day},{day},,,,{pos},{bill},{revenue},{hcpcs},100,"
        f"{dx},{dx2},,,\n"
    )


def run(
    tmp_path: Path, persons: list[str], claims: str, measures: list[str], fills: str = ""
) -> pd.DataFrame:
    """Return the results of `measures` on marts of `persons` (born 1990, enrolled 2023-2024)
    with the medical claim lines `claims` and the pharmacy claims `fills`."""
    folder = tmp_path / "marts"
    folder.mkdir()
    (folder / "eligibility.csv").write_text(
        "person_id,gender,race,birth_year,enrollment_start_date,enrollment_end_date\n"
        + "".join(f"{p},female,White,1990,2023-01-01,2024-12-31\n" for p in persons)
    )
    last = line("Z0", persons[0], "2024-12-31", pos="11", hcpcs="99213", dx="Z0000")
    (folder / "medical_claim.csv").write_text(CLAIM_HEADER + claims + last)
    (folder / "pharmacy_claim.csv").write_text(
        "claim_id,person_id,dispensing_date,ndc_code,days_supply,paid_amount\n"
        f"R0,{persons[0]},2023-01-10,99105000101,30,30\n" + fills
    )
    specs = [s for s in all_specs() if s.id in measures]
    assert sorted(s.id for s in specs) == sorted(measures)
    result = engine.run(folder, VALUE_SETS, specs)
    assert result.period_id == "2024Q4" and result.skipped == {}
    return result.results


def cell(results: pd.DataFrame, measure: str) -> tuple:
    """Return (numerator, denominator) of the program-wide 2024Q4 cell, (0, 0) if none."""
    rows = results[
        (results.measure_id == measure)
        & (results.period_id == "2024Q4")
        & (results.level == "program")
        & (results.stratum == "all")
    ]
    if rows.empty:
        return (0, 0)
    assert len(rows) == 1
    return rows.iloc[0].numerator, rows.iloc[0].denominator


# ------------------------------------------------------------------ 1. facility-billed care


def test_mental_health_care_billed_by_a_facility_is_follow_up(tmp_path):
    # FUH: five stays of Mar 1-5 (principal F329), each followed on Mar 8 (day 3) by:
    #   A1  a 131 outpatient hospital bill, revenue 0912 (partial hospitalisation) + 90853
    #   A2  a 131 bill, revenue 0905 (intensive outpatient), no procedure code
    #   A3  a 761 community mental health center bill, revenue 0900 + 90834
    #   A4  a professional 90834 (counted before too)
    #   A5  a professional office visit 99213 at place of service 53 (community mental health
    #       center) with principal I10, not a mental illness
    # All five are followed up: 5 of 5 (before: only A4, 1 of 5).
    # FUM: A6's ED visit of Jun 10 (131 bill, 0450 + 99284, F329), then on Jun 12 a 131 bill
    # with revenue 0905 (intensive outpatient) and principal F329: 1 of 1 (before 0 of 1).
    # FUA: A7's ED visit of Jul 1 (F1020), then on Jul 3 a 131 bill with revenue 0913
    # (partial hospitalisation) and principal F1020: 1 of 1 (before 0 of 1).
    claims = "".join(
        [stay(f"S{i}", f"A{i}", "2024-03-01", "2024-03-05", "F329") for i in range(1, 6)]
        + [
            line("V1", "A1", "2024-03-08", bill="131", revenue="0912", hcpcs="90853", dx="F329"),
            line("V2", "A2", "2024-03-08", bill="131", revenue="0905", dx="F329"),
            line("V3", "A3", "2024-03-08", bill="761", revenue="0900", hcpcs="90834", dx="F329"),
            line("V4", "A4", "2024-03-08", pos="11", hcpcs="90834", dx="F329"),
            line("V5", "A5", "2024-03-08", pos="53", hcpcs="99213", dx="I10"),
            line("E6", "A6", "2024-06-10", bill="131", revenue="0450", hcpcs="99284", dx="F329"),
            line("V6", "A6", "2024-06-12", bill="131", revenue="0905", dx="F329"),
            line("E7", "A7", "2024-07-01", bill="131", revenue="0450", hcpcs="99284", dx="F1020"),
            line("V7", "A7", "2024-07-03", bill="131", revenue="0913", dx="F1020"),
        ]
    )
    persons = [f"A{i}" for i in range(1, 8)]
    results = run(tmp_path, persons, claims, ["fuh_7d", "fum_7d", "fua_7d"])
    assert cell(results, "fuh_7d") == (5, 5)
    assert cell(results, "fum_7d") == (1, 1)
    assert cell(results, "fua_7d") == (1, 1)


# ------------------------------------------------------------------ 2. care in the ED


def test_care_given_in_the_emergency_department_is_not_follow_up(tmp_path):
    # FUM: B1's ED visit of Jun 10 (131 bill, 0450 + 99284, F329) and the ED doctor's claim P1
    # at place of service 23 with 99284 and a psychiatric evaluation 90791 (F329): the 90791
    # is care in the ED, not follow-up. B2's 90791 at place of service 23 on Mar 8 (below) is
    # an ED visit for F329 too, followed only by itself. 0 of 2 (before 2 of 2).
    # FUH: B2's stay of Mar 1-5 (F329) then a 90791 at place of service 23 on Mar 8, and B3's
    # stay of Mar 1-5 then a 90792 at place of service 21 (inpatient hospital) on Mar 8: no
    # follow-up, 0 of 2 (before 2 of 2). B4's stay, then a 90834 in the office (place of
    # service 11) on Mar 8, is followed up as before: 1 of 3.
    # FUA: B5's ED visit of Jul 1 (F1020), with the ED doctor's claim P5 at place of service
    # 23 carrying 99284 and an SUD assessment H0001 (F1020): 0 of 1 (before 1 of 1). B6's ED
    # visit of Aug 1 (F1020) with a naltrexone fill the same day: medicines still count, 1 of
    # 1. FUA: 1 of 2.
    claims = "".join(
        [
            line("E1", "B1", "2024-06-10", bill="131", revenue="0450", hcpcs="99284", dx="F329"),
            line("P1", "B1", "2024-06-10", pos="23", hcpcs="99284", dx="F329"),
            line("P1", "B1", "2024-06-10", pos="23", hcpcs="90791", dx="F329", number=2),
            stay("S2", "B2", "2024-03-01", "2024-03-05", "F329"),
            line("V2", "B2", "2024-03-08", pos="23", hcpcs="90791", dx="F329"),
            stay("S3", "B3", "2024-03-01", "2024-03-05", "F329"),
            line("V3", "B3", "2024-03-08", pos="21", hcpcs="90792", dx="F329"),
            stay("S4", "B4", "2024-03-01", "2024-03-05", "F329"),
            line("V4", "B4", "2024-03-08", pos="11", hcpcs="90834", dx="F329"),
            line("E5", "B5", "2024-07-01", bill="131", revenue="0450", hcpcs="99284", dx="F1020"),
            line("P5", "B5", "2024-07-01", pos="23", hcpcs="99284", dx="F1020"),
            line("P5", "B5", "2024-07-01", pos="23", hcpcs="H0001", dx="F1020", number=2),
            line("E6", "B6", "2024-08-01", bill="131", revenue="0450", hcpcs="99284", dx="F1020"),
        ]
    )
    fills = "R6,B6,2024-08-01,99111000101,30,45\n"  # naltrexone
    persons = [f"B{i}" for i in range(1, 7)]
    results = run(tmp_path, persons, claims, ["fuh_7d", "fum_7d", "fua_7d"], fills)
    assert cell(results, "fum_7d") == (0, 2)
    assert cell(results, "fuh_7d") == (1, 3)
    assert cell(results, "fua_7d") == (1, 2)


# ------------------------------------------------------------------ 3. transfers


def test_a_move_to_a_psychiatric_or_critical_access_hospital_is_a_transfer(tmp_path):
    # Stays (all principal F329, members aged 34):
    #   C1  Feb 1-10, discharge status 65 (to a psychiatric hospital), then Mar 1-10 (01)
    #   C2  Apr 1-5, status 94 (to a critical access hospital, planned readmission), then
    #       Apr 20-25 (01)
    #   C3  Jun 1-5, status 65, and no later bill
    # Readmissions (readmission_30d and readmission_bh_30d alike): the stays with status 65 or
    # 94 are transfers, not index stays; the index stays left are C1 Mar and C2 Apr 20, not
    # readmitted: 0 of 2 (before: C1 Feb and C2 Apr readmitted, 2 of 5).
    # FUH: C1 Feb and C2 Apr are followed by an admission within 30 days (left out, as
    # before); C3 Jun is a transfer now (before a discharge without follow-up); C1 Mar and C2
    # Apr 20 have no follow-up: 0 of 2 (before 0 of 3).
    claims = "".join(
        [
            stay("S1", "C1", "2024-02-01", "2024-02-10", "F329", status="65"),
            stay("S2", "C1", "2024-03-01", "2024-03-10", "F329"),
            stay("S3", "C2", "2024-04-01", "2024-04-05", "F329", status="94"),
            stay("S4", "C2", "2024-04-20", "2024-04-25", "F329"),
            stay("S5", "C3", "2024-06-01", "2024-06-05", "F329", status="65"),
        ]
    )
    measures = ["readmission_30d", "readmission_bh_30d", "fuh_7d"]
    results = run(tmp_path, ["C1", "C2", "C3"], claims, measures)
    assert cell(results, "readmission_30d") == (0, 2)
    assert cell(results, "readmission_bh_30d") == (0, 2)
    assert cell(results, "fuh_7d") == (0, 2)


def test_the_transfer_statuses_are_one_list_of_nubc_codes():
    # 02, 05, 65, 66 (short-term general, cancer or children's, psychiatric, critical access
    # hospital) and their planned-readmission variants 82, 85, 93, 94; read by the four
    # measures from the one code list.
    codes = pd.read_csv(VALUE_SETS / "transfer_discharge_status.csv", dtype=str).code
    assert sorted(codes) == ["02", "05", "65", "66", "82", "85", "93", "94"]
    for spec in all_specs():
        if spec.id in ("readmission_30d", "readmission_30d_oe", "readmission_bh_30d", "fuh_7d"):
            assert "'transfer_discharge_status'" in spec.sql
            assert "'02'" not in spec.sql


# ------------------------------------------------------------------ 4. mental-illness list


def test_the_mental_illness_list_has_the_categories_of_hedis_fuh(tmp_path):
    # D1's stay of Mar 1-5 with principal F530 (postpartum depression) and D2's with F928
    # (WHO ICD-10: mixed disorders of conduct and emotions), each followed by a 90834 on Mar 9
    # (day 4); D3's with F952 (Tourette's disorder) and no visit.
    # FUH: 2 of 3 (before no discharge counted: no row). readmission_bh_30d: three index
    # stays, none readmitted: 0 of 3 (before no row).
    claims = "".join(
        [
            stay("S1", "D1", "2024-03-01", "2024-03-05", "F530"),
            line("V1", "D1", "2024-03-09", pos="11", hcpcs="90834", dx="F530"),
            stay("S2", "D2", "2024-03-01", "2024-03-05", "F928"),
            line("V2", "D2", "2024-03-09", pos="11", hcpcs="90834", dx="F928"),
            stay("S3", "D3", "2024-03-01", "2024-03-05", "F952"),
        ]
    )
    results = run(tmp_path, ["D1", "D2", "D3"], claims, ["fuh_7d", "readmission_bh_30d"])
    assert cell(results, "fuh_7d") == (2, 3)
    assert cell(results, "readmission_bh_30d") == (0, 3)
    categories = set(pd.read_csv(VALUE_SETS / "mental_illness_dx.csv").code)
    added = {"F51", "F52", "F53", "F59", "F64", "F65", "F66", "F69", "F80", "F81", "F82"}
    assert added | {"F88", "F89", "F92", "F95", "F98"} <= categories


# ------------------------------------------------------------------ 5. self-harm list


def test_every_intentional_self_poisoning_is_self_harm(tmp_path):
    # ED visits (131 bills, 0450 + 99284) with a self-harm code first and depression (F329)
    # second, which qualify for FUM by the self-harm code alone:
    #   E1  Jun 10, T450X2A (antiallergic drug, intentional self-harm), a 90834 for F329 on
    #       Jun 12 (day 2): followed up
    #   E2  Jun 10, T71112A (smothering under a pillow, intentional self-harm), no visit
    #   E3  Jun 10, T391X1A (acetaminophen, accidental): not self-harm, not in the denominator
    # fum_7d: 1 of 2 (before no row: neither code was in the list).
    claims = "".join(
        [
            line(
                "E1",
                "E1",
                "2024-06-10",
                bill="131",
                revenue="0450",
                hcpcs="99284",
                dx="T450X2A",
                dx2="F329",
            ),
            line("V1", "E1", "2024-06-12", pos="11", hcpcs="90834", dx="F329"),
            line(
                "E2",
                "E2",
                "2024-06-10",
                bill="131",
                revenue="0450",
                hcpcs="99284",
                dx="T71112A",
                dx2="F329",
            ),
            line(
                "E3",
                "E3",
                "2024-06-10",
                bill="131",
                revenue="0450",
                hcpcs="99284",
                dx="T391X1A",
                dx2="F329",
            ),
        ]
    )
    results = run(tmp_path, ["E1", "E2", "E3"], claims, ["fum_7d"])
    assert cell(results, "fum_7d") == (1, 2)


def test_the_self_harm_list_follows_the_intent_character():
    # Prefixes of the self-harm codes: the intent (2) is the 6th character, or the 5th before
    # the placeholder X where the subcategory has four characters (T36.92X-); accidental
    # (1), assault (3) and undetermined (4) codes are not in the list.
    codes = set(pd.read_csv(VALUE_SETS / "self_harm_dx.csv").code)
    assert {"T1491", "T450X2", "T3692X", "T40412", "T65892", "T71162", "T71112"} <= codes
    poisoning = [c for c in codes if c.startswith(("T3", "T4", "T5", "T6")) and c[1:3] >= "36"]
    assert len(poisoning) > 300
    assert all(c[5] == "2" or (c[4] == "2" and c[5] == "X") for c in poisoning)
