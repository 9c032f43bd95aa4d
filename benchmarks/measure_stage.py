"""Time the measures of the newest quarter from a kept extract (the `--cache` folder's file).

    python benchmarks/measure_stage.py benchmarks/work/m1M/extract-cache/extract-*.duckdb
    python benchmarks/measure_stage.py EXTRACT --text-members   # member ids put back as text
    python benchmarks/measure_stage.py EXTRACT --text-claims benchmarks/work/m1M/marts

Works on a copy of the extract: the helpers every build makes, the period enrollment of the
newest quarter, then engine.run_measures for that quarter, as a build with a results history
does. --text-members puts the members' own ids back in place of their integer keys
(marts.PERSON_REF); --text-claims MARTS puts medical claims' own ids back, read from the
marts the extract was made from (no table keeps them). Either way the helpers made from the
marts are made again and the copy checkpointed before the clock starts, to compare text ids
with keys (benchmarks/README.md, Rounds 11 and 12). Not a test: run it by hand.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from scorecard import engine, marts
from scorecard.specs import load_specs

MEASURES = Path(__file__).resolve().parents[1] / "measures"


def put_back(con: duckdb.DuckDBPyConnection, tables: list[str], column: str, pairs: str) -> None:
    """Replace the integer keys in `column` of `tables` by the ids in `pairs` (a query of
    key, id)."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE id_pairs AS {pairs}")
    for table in tables:
        columns = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
        select = ", ".join(f"k.id AS {c}" if c == column else f"t.{c}" for c in columns)
        con.execute(
            f"CREATE OR REPLACE TABLE {table} AS SELECT {select} FROM {table} t "
            f"LEFT JOIN id_pairs k ON k.key = t.{column}"
        )
    con.execute("DROP TABLE id_pairs")


def put_back_member_ids(con: duckdb.DuckDBPyConnection) -> None:
    """Put the members' own ids back in every mart (see marts.key_person_ids)."""
    pairs = f"SELECT person_key AS key, person_id AS id FROM {marts.PERSON_REF}"
    put_back(con, marts.person_tables(), "person_id", pairs)
    con.execute(f"DROP TABLE {marts.PERSON_REF}")


def put_back_claim_ids(con: duckdb.DuckDBPyConnection, data_dir: Path) -> None:
    """Put medical claims' own ids back (see marts.key_claim_ids), read from `data_dir`."""
    files = [str(f) for f in marts.mart_files(marts.find_mart_files(data_dir)["medical_claim"])]
    key = marts.CLAIM_KEY_SQL.format("claim_id")
    pairs = f"SELECT DISTINCT {key} AS key, claim_id AS id FROM read_parquet({files!r})"
    put_back(con, ["medical_claim"], "claim_id", pairs)


def time_measures(
    extract: Path, text_members: bool = False, text_claims: Path | None = None
) -> dict[str, float]:
    """Return wall and CPU seconds of the helpers and the measures, from a copy of `extract`
    (with the ids put back as text first, see the module's text)."""
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "work.duckdb"
        shutil.copyfile(extract, copy)
        con = engine.connect(database=copy)
        if text_members:
            put_back_member_ids(con)
        if text_claims:
            put_back_claim_ids(con, text_claims)
        if text_members or text_claims:
            engine.create_extract_helpers(con, *engine.data_window(con))  # made from the marts
            con.execute("CHECKPOINT")
        specs = load_specs(MEASURES)
        engine.load_value_sets(con, MEASURES / "value_sets")
        start, end = engine.data_window(con)
        target = engine.resolve_period(None, engine.complete_quarters(start, end))
        began, cpu = time.perf_counter(), time.process_time()
        engine.create_build_helpers(con, start, end, target)
        tables = {r[0] for r in con.execute("SELECT * FROM extract_supplied_marts").fetchall()}
        runnable = [s for s in specs if not engine.missing_tables(s, tables)]
        engine.declare_shared_tables(con, runnable)
        engine.make_period_helpers(con, [target])
        helpers = time.perf_counter() - began
        engine.run_measures(con, specs, tables, {}, {s.id: [target] for s in runnable})
        con.close()
    return {
        "helpers_s": round(helpers, 1),
        "measures_s": round(time.perf_counter() - began - helpers, 1),
        "cpu_s": round(time.process_time() - cpu, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("extract", type=Path)
    parser.add_argument("--text-members", action="store_true", help="member ids as text")
    parser.add_argument("--text-claims", type=Path, metavar="MARTS", help="claim ids as text")
    args = parser.parse_args()
    members = "text" if args.text_members else "keys"
    claims = "text" if args.text_claims else "keys"
    timing = time_measures(args.extract, args.text_members, args.text_claims)
    print(f"members {members}, claims {claims}", timing, time.strftime("%H:%M:%S"), flush=True)


if __name__ == "__main__":
    main()
