"""The results history (scorecard/history.py, `scorecard build --history DIR`).

A build with a history computes the quarter it publishes and reads earlier quarters back. On
the same marts, that must give exactly the results of computing every quarter; a stored value
must be what the next build shows (read back, not recomputed); a changed definition must be
computed again; and the folder must never be inside the published site.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from engine_fixture import FEW_MEASURES, few_measure_inputs

from scorecard import engine
from scorecard import history as results_history

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return few_measure_inputs(tmp_path_factory.mktemp("history"), members=1500, seed=11)


def _run(inputs: dict, period: str | None, history: Path | None) -> engine.EngineRun:
    return engine.run(inputs["data"], inputs["value_sets"], inputs["specs"], period, None, history)


def _store(run: engine.EngineRun, history: Path) -> None:
    results_history.write_rows(history, run.computed_rows, run.definitions)


def test_reading_back_gives_the_results_of_computing_every_quarter(inputs, tmp_path):
    history = tmp_path / "history"
    first = _run(inputs, "2025Q3", history)
    assert first.history_plan.summary()["read_from_history"] == 0  # empty folder: all computed
    _store(first, history)
    assert sorted(p.stem for p in history.glob("*.parquet")) == first.periods

    second = _run(inputs, "2025Q4", history)
    # only the new quarter is computed, once per measure
    assert {m: p for m, p in second.history_plan.compute.items()} == {
        m: ["2025Q4"] for m in FEW_MEASURES
    }
    assert set(second.computed_rows["period_id"]) == {"2025Q4"}
    reused = second.history_plan.reuse
    # quarter window: every earlier quarter the build shows is read back
    assert reused["ed_visits"] == second.periods[:-1] == first.periods[1:]
    # breast screening reads 15 months before its 12-month window (lookback_months): of the 27
    # months of data (demo_months) only 2025Q4 has both, so 2025Q3's build skipped it, saying
    # why, and there is nothing of it to read back
    assert "needs 15 months of data before" in first.skipped["breast_cancer_screening"]
    assert not reused.get("breast_cancer_screening")

    full = _run(inputs, "2025Q4", None)
    assert full.history_plan is None and full.computed_rows is None
    pd.testing.assert_frame_equal(second.results, full.results)


def test_a_stored_quarter_is_shown_as_stored(inputs, tmp_path):
    history = tmp_path / "history"
    _store(_run(inputs, "2025Q3", history), history)
    path = history / "2025Q2.parquet"
    stored = pd.read_parquet(path)
    doubled = stored["measure_id"] == "ed_visits"
    stored.loc[doubled, "numerator"] *= 2  # as if later claims had changed it: kept as stored
    stored.to_parquet(path, index=False)

    after = _run(inputs, "2025Q4", history).results
    program = (after["level"] == "program") & (after["stratum"] == "all")
    ed = after[program & (after["measure_id"] == "ed_visits")].set_index("period_id")
    full = _run(inputs, "2025Q4", None).results
    ed_full = full[program & (full["measure_id"] == "ed_visits")].set_index("period_id")
    assert ed.loc["2025Q2", "numerator"] == 2 * ed_full.loc["2025Q2", "numerator"]
    assert ed.loc["2025Q1", "numerator"] == ed_full.loc["2025Q1", "numerator"]
    assert ed.loc["2025Q4", "numerator"] == ed_full.loc["2025Q4", "numerator"]


def test_a_changed_definition_is_computed_again(inputs, tmp_path):
    history = tmp_path / "history"
    _store(_run(inputs, "2025Q3", history), history)
    changed = dict(inputs)
    changed["value_sets"] = tmp_path / "value_sets"
    shutil.copytree(inputs["value_sets"], changed["value_sets"])
    with open(changed["value_sets"] / "ed_visit.csv", "a", encoding="utf-8") as handle:
        handle.write("0450X,REV,test code,test\n")  # any code-list change invalidates everything

    again = _run(changed, "2025Q4", history)
    assert again.history_plan.summary()["read_from_history"] == 0
    assert again.history_plan.compute["ed_visits"][0] == "2024Q1"

    _store(again, history)  # the new definition replaces the old rows, per measure
    stored = pd.read_parquet(history / "2025Q3.parquet")
    in_quarter = again.computed_rows.query("period_id == '2025Q3'")
    assert set(stored["definition"]) == {again.definitions[m] for m in in_quarter["measure_id"]}
    assert len(stored) == len(in_quarter)


def test_a_history_stored_before_the_member_sums_reads_and_is_computed_again(inputs, tmp_path):
    # Files written before the sums of squares and products per member (engine.SUM_COLUMNS)
    # and the member counts (PERSON_COLUMNS) lack those columns. Their rows were aggregated by
    # other SQL, so under other definitions: they are read without error and computed again.
    history = tmp_path / "history"
    _store(_run(inputs, "2025Q3", history), history)
    added = ["denominator_sq", "numerator_denominator", *engine.PERSON_COLUMNS]

    def store_as_before(definition) -> None:
        for path in history.glob("*.parquet"):
            rows = pd.read_parquet(path).drop(columns=added, errors="ignore")
            rows["definition"] = rows["measure_id"].map(definition)
            rows.to_parquet(path, index=False)

    store_as_before(lambda measure_id: "aggregated before")
    again = _run(inputs, "2025Q4", history)
    assert again.history_plan.summary()["read_from_history"] == 0
    # rows without the columns under the current definition (not written by any build) would
    # still be read back, by column name, with the new columns empty
    store_as_before(again.definitions)
    back = _run(inputs, "2025Q4", history)
    assert back.history_plan.summary()["read_from_history"] > 0
    earlier = back.results[back.results["period_id"] < "2025Q4"]
    assert earlier["persons"].isna().all()
    assert earlier["numerator"].tolist() == again.results.loc[earlier.index, "numerator"].tolist()


def test_storing_keeps_the_other_measures_rows(tmp_path):
    def rows(measure_id: str, numerator: float) -> pd.DataFrame:
        row = {"measure_id": measure_id, "period_id": "2025Q1", "level": "program"}
        row.update(entity_id="ALL", stratum="all", stratum_value="all", numerator=numerator)
        return pd.DataFrame([row])

    definitions = {"a": "d1", "b": "d1"}
    results_history.write_rows(tmp_path, pd.concat([rows("a", 1), rows("b", 2)]), definitions)
    results_history.write_rows(tmp_path, rows("b", 3), {"b": "d2"})
    stored = pd.read_parquet(tmp_path / "2025Q1.parquet").set_index("measure_id")
    assert stored.loc["a", "numerator"] == 1 and stored.loc["a", "definition"] == "d1"
    assert stored.loc["b", "numerator"] == 3 and stored.loc["b", "definition"] == "d2"
    assert not list(tmp_path.glob(".*tmp"))  # no temporary file left behind


def test_a_history_inside_the_site_is_refused(inputs, tmp_path):
    from scorecard.cli import main

    out = tmp_path / "site"
    args = ["build", "--data", str(inputs["data"]), "--out", str(out), "--quiet"]
    result = CliRunner().invoke(main, [*args, "--history", str(out / "history")])
    assert result.exit_code == 2, result.output
    assert "must not be inside the published site" in result.output
    assert not out.exists()  # refused before anything was computed or written


def test_period_enrollment_holds_only_the_quarters_computed(inputs) -> None:
    """The helper is a view until the build knows which quarters it computes; then a table of
    those quarters only (every quarter without a history). Helpers can be made again on the
    same connection."""
    con = engine.connect()
    tables, start, end, target = engine.prepare(con, inputs["data"], inputs["value_sets"], None)
    engine.create_build_helpers(con, start, end, target)
    every = con.execute("SELECT DISTINCT period_id FROM period_enrollment").fetchall()
    assert len(every) == 8
    rows = con.execute("SELECT count(*) FROM period_enrollment WHERE period_id = ?", [target])
    in_target = rows.fetchone()[0]
    engine.make_period_helpers(con, [target])
    kept = con.execute("SELECT period_id, count(*) FROM period_enrollment GROUP BY ALL").fetchall()
    assert kept == [(target, in_target)]
    kinds = "SELECT table_name FROM duckdb_tables() WHERE table_name = 'period_enrollment'"
    assert con.execute(kinds).fetchall() == [("period_enrollment",)]
    engine.create_build_helpers(con, start, end, target)
    again = con.execute("SELECT DISTINCT period_id FROM period_enrollment").fetchall()
    assert sorted(again) == sorted(every)
    engine.make_period_helpers(con, None)
    assert len(con.execute("SELECT DISTINCT period_id FROM period_enrollment").fetchall()) == 8


def test_the_history_columns_are_the_engines() -> None:
    names = [c.split()[0] for c in engine.MEASURE_RESULTS_COLUMNS.split(",")]
    assert list(results_history.RESULT_COLUMNS) == [n.strip() for n in names]


def _good_quarter(history: Path, period: str = "2025Q1") -> Path:
    row = {"measure_id": "m", "period_id": period, "level": "program", "entity_id": "ALL"}
    row.update(stratum="all", stratum_value="all", numerator=1.0, denominator=2.0)
    results_history.write_rows(history, pd.DataFrame([row]), {"m": "d1"})
    return history / f"{period}.parquet"


def _good_cut_points(history: Path, period: str = "2025Q1") -> Path:
    row = {"measure_id": "m", "period_id": period, "level": "aco", "t2": 0.1, "t3": 0.2}
    return results_history.write_cut_points(
        history, period, pd.DataFrame([{**row, "t4": 0.3, "t5": 0.4}])
    )


def _corrupt(path: Path) -> None:
    path.write_bytes(b"PAR1" + b"\x00" * 100 + b"not the footer")


def _foreign(path: Path) -> None:
    pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}).to_parquet(path, index=False)


def _renamed(path: Path) -> None:
    rows = pd.read_parquet(path)
    rows.assign(period_id="2024Q4").to_parquet(path, index=False)


@pytest.mark.parametrize(
    ("spoil", "words"),
    [
        (_corrupt, "cannot be read as Parquet (Parquet magic bytes not found"),
        (_foreign, "not a results-history file written by scorecard: column(s) measure_id,"),
        (_renamed, "holds rows of period_id 2024Q4, not only 2025Q1"),
    ],
)
def test_a_bad_quarter_file_is_named_not_a_traceback(tmp_path: Path, spoil, words: str) -> None:
    path = _good_quarter(tmp_path)
    assert len(results_history.read_stored(tmp_path, ["2025Q1"])) == 1
    spoil(path)
    with pytest.raises(results_history.HistoryError) as raised:
        results_history.read_stored(tmp_path, ["2025Q1"])
    message = str(raised.value)
    assert message.startswith(f"{path}: ") and words in message, message
    assert "move it out of" in message
    if spoil is not _renamed:  # the schema alone tells these
        with pytest.raises(results_history.HistoryError, match=str(path)):
            results_history.check_folder(tmp_path)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("foo;bar\n1;2\n", "column(s) measure_id, period_id, level, t2, t3, t4, t5 missing"),
        (
            "measure_id,period_id,level,t2,t3,t4,t5\nm,2025Q1,aco,0.1,lots,0.3,0.4\n",
            "column t3: 'lots' (line 2) is not a number",
        ),
        (b"\xff\xfe\x00\x01".decode("latin-1"), "cannot be read as a cut-points CSV"),
    ],
)
def test_a_bad_cut_points_file_is_named_not_a_key_error(tmp_path: Path, text, words) -> None:
    path = _good_cut_points(tmp_path)
    assert results_history.read_cut_points(tmp_path)["t5"].tolist() == [0.4]
    path.write_text(text, encoding="latin-1")
    for read in (results_history.read_cut_points, results_history.check_folder):
        with pytest.raises(results_history.HistoryError) as raised:
            read(tmp_path)
        assert str(raised.value).startswith(f"{path}: ") and words in str(raised.value)


def test_a_good_or_new_history_folder_passes_the_check(tmp_path: Path) -> None:
    results_history.check_folder(tmp_path / "not yet made")
    _good_quarter(tmp_path)
    _good_cut_points(tmp_path)
    (tmp_path / "notes.parquet").write_text("not a quarter's file: not read")
    results_history.check_folder(tmp_path)


@pytest.mark.parametrize("spoil", ["parquet", "cut_points"])
def test_a_bad_history_stops_the_build_with_exit_2_before_anything(inputs, tmp_path, spoil):
    from scorecard.cli import main

    history = tmp_path / "history"
    if spoil == "parquet":
        _foreign(_good_quarter(history))
    else:
        _good_cut_points(history).write_text("foo;bar\n1;2\n")
    out = tmp_path / "site"
    args = ["build", "--data", str(inputs["data"]), "--out", str(out), "--quiet"]
    result = CliRunner().invoke(main, [*args, "--history", str(history)])
    assert result.exit_code == 2, result.output
    assert "results history (1 problem)" in result.output and str(history) in result.output
    assert "Traceback" not in result.output and not out.exists()
