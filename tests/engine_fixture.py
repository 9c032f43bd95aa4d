"""Small engine runs: demo marts and a few measures (a rate with a quarter window, a 12-month
proportion, a cost, a median and a CP measure)."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FEW_MEASURES = (
    "ed_visits",
    "breast_cancer_screening",
    "total_cost_pmpm",
    "cp_days_to_first_contact",
)


def few_measure_inputs(
    root: Path, members: int, seed: int, fmt: str = "csv", measures: tuple[str, ...] = FEW_MEASURES
) -> dict:
    """Return demo marts in root/data, a copy of the code lists and the specs of `measures`."""
    from scorecard import demo
    from scorecard.specs import load_specs

    data, value_sets = root / "data", root / "value_sets"
    demo.write_marts(demo.generate_marts(members=members, seed=seed), data, fmt=fmt)
    shutil.copytree(ROOT / "measures" / "value_sets", value_sets)
    specs = [s for s in load_specs(ROOT / "measures") if s.id in measures]
    return {"data": data, "value_sets": value_sets, "specs": specs, "root": root}
