"""Checked extracts kept between builds (scorecard/extract.py, the `cache` setting).

A build that starts from a kept extract must give exactly the results of one that loads and
checks the marts; it must not load or check them again; a changed byte in a mart must load
and check it again; marts with problems are never kept; a kept file that cannot be opened is
only a warning; and the cache never lands in the published site.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from click.testing import CliRunner
from engine_fixture import few_measure_inputs

from scorecard import contract, engine, extract, marts, plausibility
from scorecard.build import BuildError, check_cache
from scorecard.extract import ExtractCache
from scorecard.settings import load_settings


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return few_measure_inputs(tmp_path_factory.mktemp("extract"), 1200, seed=5, fmt="parquet")


def _build(inputs: dict, cache_folder: Path | None, data: Path | None = None) -> pd.DataFrame:
    """Run the engine as `scorecard build` does (a working file, maybe a cache); return results."""
    data = data or inputs["data"]
    cache = ExtractCache.look_up(cache_folder, data) if cache_folder else None
    with engine.working_connection(start_from=cache.kept if cache else None) as con:
        run = engine.run(data, inputs["value_sets"], inputs["specs"], None, con, None, cache)
    return run.results


def _loads_counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Return the list that each loading of the marts, and each making of the helpers kept with
    them, is appended to from now on."""
    loads: list[str] = []
    for name in ("load_marts", "create_extract_helpers"):
        real = getattr(engine, name)

        def counting(*args, __real=real, __name=name):
            loads.append(__name)
            return __real(*args)

        monkeypatch.setattr(engine, name, counting)
    return loads


def test_a_kept_extract_gives_the_same_results_without_loading_again(inputs, tmp_path, monkeypatch):
    loads = _loads_counted(monkeypatch)
    plain = _build(inputs, None)
    cache = tmp_path / "cache"
    first = _build(inputs, cache)
    kept = list(cache.glob("extract-*.duckdb"))
    made = ["load_marts", "create_extract_helpers"]
    assert len(kept) == 1 and loads == made * 2  # by the plain build and the first one
    second = _build(inputs, cache)
    assert loads == made * 2  # the second build started from the kept extract
    pd.testing.assert_frame_equal(first, plain)
    pd.testing.assert_frame_equal(second, plain)
    assert not list(cache.glob(".*.tmp"))  # no temporary copy left (disk.copy_whole)


def test_the_key_follows_the_bytes_not_the_folder(inputs, tmp_path):
    moved = tmp_path / "elsewhere"
    shutil.copytree(inputs["data"], moved)
    assert extract.extract_key(moved) == extract.extract_key(inputs["data"])
    with (moved / "member.parquet").open("ab") as handle:
        handle.write(b"\0")
    assert extract.extract_key(moved) != extract.extract_key(inputs["data"])


def test_marts_with_problems_are_never_kept(inputs, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(inputs["data"], data)
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * REPLACE (-1.0 AS paid_amount) FROM '{data}/pharmacy_claim.parquet') "
        f"TO '{data}/pharmacy_claim.parquet' (FORMAT parquet)"
    )
    cache = tmp_path / "cache"
    with pytest.raises(marts.MartError, match="paid_amount"):
        _build(inputs, cache, data)
    assert not list(cache.glob("*"))


def test_a_kept_file_that_cannot_be_opened_is_only_a_warning(inputs, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    first = _build(inputs, cache)
    (kept,) = cache.glob("extract-*.duckdb")
    kept.write_bytes(b"not a database")
    loads = _loads_counted(monkeypatch)
    with pytest.warns(UserWarning, match="extract cache: cannot start from"):
        again = _build(inputs, cache)
    assert loads == ["load_marts", "create_extract_helpers"]  # made again, then kept again
    pd.testing.assert_frame_equal(again, first)
    assert kept.stat().st_size > 1000


def test_only_the_newest_extracts_are_kept(tmp_path):
    for age, name in enumerate(("a", "b", "c", "d")):
        path = tmp_path / f"extract-{name}.duckdb"
        path.write_bytes(b"x")
        os.utime(path, (1_000_000 - age * 10, 1_000_000 - age * 10))  # a newest, d oldest
    deleted = extract.prune(tmp_path)
    assert sorted(p.name for p in deleted) == ["extract-c.duckdb", "extract-d.duckdb"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["extract-a.duckdb", "extract-b.duckdb"]


def test_the_cache_is_refused_inside_the_published_site(tmp_path):
    settings = load_settings(None, out=tmp_path / "site", cache=tmp_path / "site" / "cache")
    with pytest.raises(BuildError, match="person-level rows"):
        check_cache(settings)
    check_cache(load_settings(None, out=tmp_path / "site", cache=tmp_path / "cache"))


def test_check_keeps_the_extract_for_the_build(inputs, tmp_path, monkeypatch):
    from scorecard.cli import main

    cache = tmp_path / "cache"
    data = ["--data", str(inputs["data"]), "--cache", str(cache)]
    checked = CliRunner().invoke(main, ["check", *data])
    assert checked.exit_code == 0, checked.output
    assert len(list(cache.glob("extract-*.duckdb"))) == 1
    loads = _loads_counted(monkeypatch)
    again = CliRunner().invoke(main, ["check", *data])
    assert again.exit_code == 0, again.output
    assert loads == []
    assert (
        again.stdout.splitlines()
        == [  # stderr says which marts and specs are checked
            checked.stdout.splitlines()[0],
            f"  checked earlier (the same files), kept in {cache}",
            *checked.stdout.splitlines()[1:],
        ]
    )


def test_helpers_kept_for_another_data_window_are_made_again(inputs, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    first = _build(inputs, cache)
    (kept,) = cache.glob("extract-*.duckdb")
    with duckdb.connect(str(kept)) as con:  # as if kept by code that computed another window
        con.execute("UPDATE data_window SET data_start = data_start + INTERVAL 1 MONTH")
    loads = _loads_counted(monkeypatch)
    again = _build(inputs, cache)
    assert loads == ["create_extract_helpers"]  # the marts as kept, their helpers made again
    pd.testing.assert_frame_equal(again, first)


def test_the_build_reads_the_extract_its_settings_name(inputs, tmp_path, monkeypatch):
    from scorecard import build

    settings = load_settings(None, data=inputs["data"], out=tmp_path / "site", cache=tmp_path / "c")
    loads = _loads_counted(monkeypatch)
    first = build.compute(settings, inputs["specs"])
    second = build.compute(settings, inputs["specs"])
    assert loads == ["load_marts", "create_extract_helpers"]  # the first build only
    pd.testing.assert_frame_equal(second.results, first.results)
    assert second.care_gaps is not None and second.care_gaps.equals(first.care_gaps)


def test_the_key_covers_the_code_whose_output_is_kept() -> None:
    # a kept extract holds the checked marts, their keys, the plausibility warnings and the
    # helpers of extract_helpers.sql and unit_span.sql: a change to any of that code must name
    # a new extract
    kept_by = {Path(m.__file__) for m in (contract, marts, plausibility)}
    sql = Path(marts.__file__).with_name("sql")
    assert kept_by | {sql / "extract_helpers.sql", sql / "unit_span.sql"} == set(extract._CODE)


def _progress_bar(con: duckdb.DuckDBPyConnection) -> bool:
    return con.execute("SELECT current_setting('enable_progress_bar')").fetchone()[0]


def test_no_connection_a_build_opens_prints_a_progress_bar(inputs, tmp_path, monkeypatch):
    # DuckDB turns its bar on in an interactive session (`python -c`, a notebook), where it
    # printed into the build's steps and through --quiet: every connection starts with it on
    # here, and each the build opens (the working file, from a kept extract or not, the
    # organization mart read alone) must have turned it off
    real_connect = duckdb.connect

    def bar_on(*args, **kwargs) -> duckdb.DuckDBPyConnection:
        con = real_connect(*args, **kwargs)
        con.execute("SET enable_progress_bar = true")
        return con

    monkeypatch.setattr(duckdb, "connect", bar_on)
    kept = tmp_path / "kept.duckdb"
    with duckdb.connect(str(kept)) as plain:
        assert _progress_bar(plain)
    for start_from in (None, kept):
        with engine.working_connection(start_from=start_from) as con:
            assert not _progress_bar(con)
    seen: list[bool] = []
    real_load = marts.load_raw

    def loading(con: duckdb.DuckDBPyConnection, *args: object) -> object:
        seen.append(_progress_bar(con))
        return real_load(con, *args)

    monkeypatch.setattr(marts, "load_raw", loading)
    assert marts.read_organizations(inputs["data"]) is not None
    assert seen == [False]
