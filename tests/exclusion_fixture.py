"""What the exclusion tests of the screening, diabetes and blood-pressure measures share
(test_measures_frailty, test_measures_exclusions): the specs, an office claim line, their marts,
a run for 2024Q4 and the program's result of a measure."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd
from engine_fixture import ELIGIBILITY, MEDICAL, PHARMACY

from scorecard import engine
from scorecard.specs import MeasureSpec, load_specs

ROOT = Path(__file__).resolve().parents[1]
VALUE_SETS = ROOT / "measures" / "value_sets"


@cache
def all_specs() -> tuple[MeasureSpec, ...]:
    return tuple(load_specs(ROOT / "measures"))


def office(claim: str, person: str, day: str, dx: str, code: str = "99213", dx2: str = "") -> str:
    """Return one professional office claim line (place of service 11)."""
    return f"{claim},1,professional,{person},{day},{day},,,11,,,{code},,90,{dx},{dx2}\n"


def write_marts(folder: Path, members: dict[str, int], claims: str, fills: str) -> Path:
    """Write marts of `members` (id -> birth year: women enrolled 2022-2024, each with
    hypertension and diabetes on two office visits), their own `claims` and pharmacy `fills`
    to `folder` and return it. The claims start in January 2022 and end in December 2024."""
    folder.mkdir(parents=True, exist_ok=True)
    eligibility = "".join(
        f"{who},female,White,{born},2022-01-01,2024-12-31\n" for who, born in members.items()
    )
    chronic = "".join(
        office(f"H{who}{i}", who, day, "I10", dx2="E119")
        for who in members
        for i, day in enumerate(("2024-02-01", "2024-03-01"))
    )
    first, second = list(members)[:2]
    start = office("S0", first, "2022-01-05", "Z0000") + office("S1", second, "2024-12-15", "Z0000")
    (folder / "eligibility.csv").write_text(ELIGIBILITY + eligibility)
    (folder / "medical_claim.csv").write_text(MEDICAL + start + chronic + claims)
    (folder / "pharmacy_claim.csv").write_text(PHARMACY + fills)
    return folder


def run(folder: Path, specs: list[MeasureSpec]) -> pd.DataFrame:
    """Run `specs` on the marts in `folder` for 2024Q4 and return the results."""
    result = engine.run(folder, VALUE_SETS, specs, period_id="2024Q4")
    assert result.period_id == "2024Q4" and result.skipped == {}
    return result.results


def cell(results: pd.DataFrame, measure: str) -> tuple[float, float]:
    """Return (numerator, denominator) of a measure's program-level result for 2024Q4."""
    rows = results[
        (results.measure_id == measure)
        & (results.period_id == "2024Q4")
        & (results.level == "program")
        & (results.stratum == "all")
    ]
    assert len(rows) == 1, measure
    return rows.iloc[0].numerator, rows.iloc[0].denominator
