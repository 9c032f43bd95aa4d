"""Time the measures of the newest quarter from a kept extract (the `--cache` folder's file).

    python benchmarks/measure_stage.py benchmarks/work/m1M/extract-cache/extract-*.duckdb
    python benchmarks/measure_stage.py EXTRACT --text-ids   # member ids put back as text

Works on a copy of the extract: the helpers every build makes, the period enrollment of the
newest quarter, then engine.run_measures for that quarter, as a build with a results history
does. With --text-ids the members' own ids replace their integer keys first (marts.PERSON_REF),
to compare the two (benchmarks/README.md, Round 11). Not a test: run it by hand.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from scorecard import engine, marts
from scorecard.specs import load_specs

MEASURES = Path(__file__).resolve().parents[1] / "measures"


def put_back_text_ids(con) -> None:
    """Replace the integer member keys by the members' own ids in every mart and make the
    helpers made from the marts again."""
    for table in marts.person_tables():
        columns = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
        select = ", ".join("k.person_id" if c == "person_id" else f"t.{c}" for c in columns)
        con.execute(
            f"CREATE OR REPLACE TABLE {table} AS SELECT {select} FROM {table} t "
            f"LEFT JOIN {marts.PERSON_REF} k ON k.person_key = t.person_id"
        )
    con.execute(f"DROP TABLE {marts.PERSON_REF}")
    engine.create_extract_helpers(con, *engine.data_window(con))  # made from the marts


def time_measures(extract: Path, text_ids: bool) -> dict[str, float]:
    """Return wall and CPU seconds of the helpers and the measures, from a copy of `extract`."""
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "work.duckdb"
        shutil.copyfile(extract, copy)
        con = engine.connect(database=copy)
        if text_ids:
            put_back_text_ids(con)
        specs = load_specs(MEASURES)
        engine.load_value_sets(con, MEASURES / "value_sets")
        start, end = engine.data_window(con)
        target = engine.resolve_period(None, engine.complete_quarters(start, end))
        began, cpu = time.perf_counter(), time.process_time()
        engine.create_build_helpers(con, start, end, target)
        tables = {r[0] for r in con.execute("SELECT * FROM extract_supplied_marts").fetchall()}
        runnable = [s for s in specs if not engine.missing_tables(s, tables)]
        engine.declare_shared_tables(con, runnable)
        engine.make_period_enrollment(con, [target])
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
    parser.add_argument("--text-ids", action="store_true")
    args = parser.parse_args()
    label = "text ids" if args.text_ids else "integer keys"
    print(label, time_measures(args.extract, args.text_ids))


if __name__ == "__main__":
    main()
