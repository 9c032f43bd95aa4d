"""Properties every measure must have on synthetic demo data, whatever the seed."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
from engine_fixture import demo_months
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scorecard import demo, engine
from scorecard.specs import load_specs

ROOT = Path(__file__).resolve().parents[1]
SPECS = load_specs(ROOT / "measures")


def run_demo(tmp_path: Path, seed: int) -> engine.EngineRun:
    folder = tmp_path / f"demo-{seed}"
    marts = demo.generate_marts(members=1500, months=demo_months(SPECS), seed=seed)
    demo.write_marts(marts, folder, "parquet")
    return engine.run(folder, ROOT / "measures" / "value_sets", SPECS)


@settings(
    max_examples=2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(min_value=0, max_value=10_000))
def test_every_measure_is_in_range_on_demo_data(tmp_path: Path, seed: int) -> None:
    run = run_demo(tmp_path, seed)
    results = run.results
    assert run.skipped == {}, "the demo supplies every table"
    assert set(results["measure_id"]) == {s.id for s in SPECS}, "every measure has results"
    assert set(results["direction"]) <= {"higher_is_better", "lower_is_better", "neutral"}
    assert (results["denominator"] >= 0).all()
    proportions = results[results["kind"] == "proportion"]
    assert (proportions["numerator"] >= 0).all()
    assert (proportions["numerator"] <= proportions["denominator"] + 1e-9).all()
    shown = proportions[proportions["denominator"] > 0]
    assert shown["value"].between(0, shown["multiplier"] + 1e-9).all()
    counts = results[results["kind"].isin(["rate", "ratio"])]
    assert (counts["numerator"] >= 0).all()
    assert np.isfinite(results.loc[results["denominator"] > 0, "value"]).all()


def test_program_rows_partition_into_strata(tmp_path: Path) -> None:
    # For every measure that declares a stratum, the stratum denominators add up to the
    # program's 'all' denominator (each unit falls in exactly one stratum value).
    results = run_demo(tmp_path, 42).results
    program = results[results["level"] == "program"]
    totals = program[program["stratum"] == "all"].set_index(["measure_id", "period_id"])
    strata = program[program["stratum"] != "all"]
    sums = strata.groupby(["measure_id", "period_id", "stratum"])["denominator"].sum()
    for (measure_id, period_id, _), total in sums.items():
        assert abs(total - totals.loc[(measure_id, period_id), "denominator"]) < 1e-6
    # a measure split into parts (spec parts: IET by age) is their sum in every cell, the
    # fact complementary suppression relies on to protect a hidden part
    cell = ["period_id", "level", "entity_id", "stratum", "stratum_value"]
    whole_of = engine.whole_of_parts(SPECS)
    assert whole_of
    parts = results[results["measure_id"].isin(whole_of)].assign(
        measure_id=lambda frame: frame["measure_id"].map(whole_of)
    )
    summed = parts.groupby(["measure_id", *cell])[["numerator", "denominator"]].sum()
    wholes = results[results["measure_id"].isin(set(whole_of.values()))]
    wholes = wholes.set_index(["measure_id", *cell])[["numerator", "denominator"]]
    joined = wholes.merge(
        summed, left_index=True, right_index=True, how="outer", suffixes=("", "_parts")
    ).fillna(0)
    assert len(joined) == len(wholes)
    assert np.allclose(joined["numerator"], joined["numerator_parts"])
    assert np.allclose(joined["denominator"], joined["denominator_parts"])


def published_counts(results: pd.DataFrame) -> pd.DataFrame:
    """Return each measure's numerator and denominator as columns (measure, count), one row a
    cell: period, level, entity and stratum value."""
    cell = ["period_id", "level", "entity_id", "stratum", "stratum_value"]
    wide = results.pivot_table(
        index=cell, columns="measure_id", values=["numerator", "denominator"], aggfunc="first"
    )
    return wide.swaplevel(axis=1)


def test_measures_that_publish_the_same_count_say_so(tmp_path: Path) -> None:
    # Suppression hides a count in every measure that names it alike (spec shared_counts), so
    # the names must be true (the same count in every cell) and complete (two measures whose
    # counts agree in every cell of the demo share a name). A count that is one value in every
    # cell proves nothing either way: with 42 months, IET 13-17's initiation and engagement are
    # both the one adolescent who started and kept up treatment.
    counts = published_counts(run_demo(tmp_path, 42).results)
    names = {(spec.id, role): name for spec in SPECS for role, name in spec.shared_counts.items()}
    assert len(set(names.values())) >= 10
    # in numpy: ten thousand pairs of columns, which pandas took 18 s to compare
    values = counts.to_numpy(dtype=float, na_value=np.nan)
    columns = list(counts.columns)
    for i, j in itertools.combinations(range(len(columns)), 2):
        first, second = columns[i], columns[j]
        both = ~np.isnan(values[:, i]) & ~np.isnan(values[:, j]) & (values[:, i] > 0)
        if first[0] == second[0] or both.sum() < 20:
            continue
        mine, other = values[both, i], values[both, j]
        if mine.min() == mine.max():  # one value in every cell
            continue
        same = bool((mine == other).all())
        declared = first in names and names[first] == names.get(second)
        assert same == declared, f"{first} and {second}: equal in every cell: {same}"
