"""What the exclusion tests of the screening, diabetes and blood-pressure measures share
(test_measures_frailty, test_measures_exclusions): the specs, an office claim line, a run for
2024Q4 and the program's result of a measure."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

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
