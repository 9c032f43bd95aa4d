"""The same measures on Apache Spark (local mode): every result equal to DuckDB's.

Runs the build's compute stage with engine=spark on the hand-checked fixture and on a
1,500-member demo, and compares every row of the results table with the DuckDB run: units
exactly, sums and values to 1e-9. One local SparkSession for the module (2 cores, 2 shuffle
partitions, small-data settings). pyspark and a Java runtime are required: without them these
tests fail, they do not skip (pip install -e ".[test,spark]").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scorecard import build, engine, spark_engine
from scorecard.settings import load_settings
from scorecard.specs import load_specs

pytestmark = pytest.mark.spark

ROOT = Path(__file__).resolve().parents[1]
BASIC = ROOT / "tests" / "fixtures" / "marts" / "basic"
KEYS = ["measure_id", "period_id", "level", "entity_id", "stratum", "stratum_value"]
SUMS = ["numerator", "denominator", "numerator_sq", "value"]


@pytest.fixture(scope="module")
def spark():
    """One local SparkSession for the module, stopped at the end."""
    session = spark_engine.session(
        "local[2]",
        app_name="scorecard-tests",
        shuffle_partitions=2,
        conf={"spark.ui.enabled": "false", **spark_engine.SMALL_DATA_CONF},
    )
    yield session
    session.stop()


@pytest.fixture(scope="module")
def specs():
    return load_specs(ROOT / "measures")


@pytest.fixture(scope="module")
def demo_marts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from scorecard.demo import generate_marts, write_marts

    out = tmp_path_factory.mktemp("spark_demo")
    write_marts(generate_marts(members=1500, months=24, seed=7), out, fmt="parquet")
    return out


def both_engines(data: Path, specs: list) -> tuple[engine.EngineRun, engine.EngineRun]:
    """Return build.compute() over `data` with engine=duckdb, then with engine=spark."""
    runs = []
    for name in ("duckdb", "spark"):
        settings = load_settings(None, data=data, engine=name, spark_master="local[2]")
        runs.append(build.compute(settings, specs))
    return runs[0], runs[1]


def mismatches(duck: pd.DataFrame, spark: pd.DataFrame) -> dict[str, list[str]]:
    """Return measure id -> what differs, over every results row (empty when equal)."""
    both = duck.merge(spark, on=KEYS, how="outer", suffixes=("_d", "_s"), indicator=True)
    found: dict[str, list[str]] = {}
    for mid in both.loc[both["_merge"] != "both", "measure_id"].unique():
        found.setdefault(mid, []).append("rows only in one engine")
    matched = both[both["_merge"] == "both"]
    different = matched["units_d"] != matched["units_s"]
    for mid in matched.loc[different, "measure_id"].unique():
        found.setdefault(mid, []).append("units")
    for column in SUMS:
        d, s = matched[f"{column}_d"].astype(float), matched[f"{column}_s"].astype(float)
        same = np.isclose(d, s, rtol=1e-9, atol=1e-9) | (d.isna() & s.isna())
        for mid in matched.loc[~same, "measure_id"].unique():
            found.setdefault(mid, []).append(column)
    return found


def assert_same(duck: engine.EngineRun, spark: engine.EngineRun) -> None:
    assert (spark.period_id, spark.periods) == (duck.period_id, duck.periods)
    assert (spark.data_start, spark.data_end) == (duck.data_start, duck.data_end)
    assert spark.skipped == duck.skipped
    assert list(spark.results.columns) == list(duck.results.columns)
    assert len(spark.results) == len(duck.results)
    assert mismatches(duck.results, spark.results) == {}
    pd.testing.assert_frame_equal(spark.organizations, duck.organizations, check_dtype=False)
    pd.testing.assert_frame_equal(spark.panels, duck.panels, check_dtype=False)
    pd.testing.assert_frame_equal(spark.care_gaps, duck.care_gaps, check_dtype=False)


def test_fixture_every_measure_equals_duckdb(spark, specs) -> None:
    duck, on_spark = both_engines(BASIC, specs)
    assert on_spark.period_id == "2024Q4"
    assert_same(duck, on_spark)


def test_demo_every_measure_equals_duckdb(spark, specs, demo_marts) -> None:
    duck, on_spark = both_engines(demo_marts, specs)
    assert len(duck.results) > 10_000 and not duck.skipped
    assert_same(duck, on_spark)


def test_unknown_engine_is_a_build_error(specs) -> None:
    settings = load_settings(None, data=BASIC, engine="oracle")
    with pytest.raises(build.BuildError, match="use duckdb or spark"):
        build.compute(settings, specs)
