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


def run(tmp_path: Path, persons: list[str], claims: str, measures: list[str]) -> pd.DataFrame:
    """Return the results of `measures` on marts of `persons` (born 1990, enrolled 2023-2024)
    with the medical claim lines `claims`."""
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
        f"R0,{persons[0]},2023-01-10,99105000101,30,30\n"
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
