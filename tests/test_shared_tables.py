"""Shared tables (`{{ shared("name") }}` in measure SQL, measures/sql/shared/<name>.sql).

A shared table is work several measures repeat, computed once per build: it must give the
same results as the SQL it replaced (the IET, FUA and FUM fixture tests and the Spark
comparison check that), be built once and only for measures that run, be part of every
reading measure's definition and manifest hash, and be named when its SQL is wrong.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from spec_fixture import write

from scorecard import engine
from scorecard import history as results_history
from scorecard.build import measure_file_hashes
from scorecard.specs import SpecError, load_specs

ROOT = Path(__file__).resolve().parents[1]

VISIT_DAY = """-- each member's ED claim days
SELECT DISTINCT person_id, claim_start_date AS visit_date
FROM medical_claim
WHERE place_of_service_code = '23'
"""
FIRST_VISIT = """-- each member's first ED day, from another shared table
SELECT person_id, min(visit_date) AS first_visit
FROM {{ shared("visit_day") }}
GROUP BY person_id
"""
COUNT_VISITS = """SELECT p.period_id, v.person_id, v.visit_date AS attr_month,
       {{ weight }} AS numerator, 1 AS denominator
FROM {{ shared("visit_day") }} v
JOIN periods p ON v.visit_date BETWEEN p.window_start AND p.period_end
"""
FIRST_VISITS = """SELECT p.period_id, f.person_id, f.first_visit AS attr_month,
       1 AS numerator, 1 AS denominator
FROM {{ shared("first_visit") }} f
JOIN periods p ON f.first_visit BETWEEN p.window_start AND p.period_end
"""


def measures_folder(folder: Path) -> Path:
    return write(
        folder,
        {
            "shared/visit_day.sql": VISIT_DAY,
            "shared/first_visit.sql": FIRST_VISIT,
            "count_visits.sql": COUNT_VISITS,
            "first_visits.sql": FIRST_VISITS,
        },
        visits_a={"sql_file": "sql/count_visits.sql", "parameters": {"weight": 1}},
        visits_b={"sql_file": "sql/count_visits.sql", "parameters": {"weight": 2}},
        first_visits={"sql_file": "sql/first_visits.sql"},
    )


def test_a_spec_lists_its_shared_tables_those_they_read_first(tmp_path: Path) -> None:
    specs = {s.id: s for s in load_specs(measures_folder(tmp_path))}
    first = specs["first_visits"]
    assert list(first.shared_tables) == ["visit_day", "first_visit"]
    assert "FROM shared_first_visit f" in first.sql and "{{" not in first.sql
    assert "FROM shared_visit_day" in first.shared_tables["first_visit"]
    assert first.shared_tables["visit_day"].startswith("-- each member's ED claim days")
    assert set(first.sql_includes) == {"sql/shared/visit_day.sql", "sql/shared/first_visit.sql"}
    hashes = measure_file_hashes(tmp_path, [first])
    assert {"sql/shared/visit_day.sql", "sql/shared/first_visit.sql"} <= set(hashes)
    assert list(specs["visits_a"].shared_tables) == ["visit_day"]


@pytest.mark.parametrize(
    ("query", "why"),
    [
        ("SELECT * FROM periods", "shared table visit_day reads the periods"),
        ("SELECT * FROM all_periods", "shared table visit_day reads the periods"),
        ("SELECT {{ days }}", "'days' is undefined"),  # no parameters
    ],
)
def test_a_shared_table_cannot_read_the_periods_or_parameters(
    tmp_path: Path, query: str, why: str
) -> None:
    measures_folder(tmp_path)
    (tmp_path / "sql" / "shared" / "visit_day.sql").write_text(query, encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_specs(tmp_path)
    assert any(why in p and str(tmp_path / "first_visits.yml") in p for p in caught.value.problems)


def test_a_missing_shared_table_names_the_file(tmp_path: Path) -> None:
    measures_folder(tmp_path)
    (tmp_path / "sql" / "shared" / "visit_day.sql").unlink()
    with pytest.raises(SpecError) as caught:
        load_specs(tmp_path)
    assert any("shared/visit_day.sql" in p for p in caught.value.problems)


class Recorder:
    """A connection that records the statements it is given."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def execute(self, sql: str) -> None:
        self.statements.append(sql.split("\n")[0])


def test_each_shared_table_is_made_once_and_dropped(tmp_path: Path) -> None:
    specs = {s.id: s for s in load_specs(measures_folder(tmp_path))}
    con = Recorder()
    shared = engine.SharedTables(con)
    for measure_id in ("visits_a", "visits_b", "first_visits"):
        shared.make(specs[measure_id])
    shared.drop()
    assert con.statements == [
        "DROP VIEW IF EXISTS shared_visit_day",
        "CREATE TABLE shared_visit_day AS",
        "DROP VIEW IF EXISTS shared_first_visit",
        "CREATE TABLE shared_first_visit AS",
        "DROP TABLE shared_first_visit",
        "DROP TABLE shared_visit_day",
    ]


@pytest.fixture(scope="module")
def marts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from scorecard import demo

    data = tmp_path_factory.mktemp("shared") / "data"
    demo.write_marts(demo.generate_marts(members=300, seed=5), data)
    return data


def _run(measures: Path, marts: Path, history: Path | None = None, con=None) -> engine.EngineRun:
    specs = load_specs(measures)
    return engine.run(marts, ROOT / "measures" / "value_sets", specs, None, con, history)


def test_measures_on_shared_tables_count_what_the_sql_says(tmp_path: Path, marts: Path) -> None:
    con = engine.connect()
    run = _run(measures_folder(tmp_path), marts, con=con)
    quarter = pd.Period(run.period_id, freq="Q")
    visits, firsts = con.execute(
        """
        WITH v AS (SELECT DISTINCT person_id, claim_start_date AS d FROM medical_claim
                   WHERE place_of_service_code = '23'),
        f AS (SELECT person_id, min(d) AS d FROM v GROUP BY ALL)
        SELECT (SELECT count(*) FROM v WHERE d BETWEEN $1 AND $2),
               (SELECT count(*) FROM f WHERE d BETWEEN $1 AND $2)
        """,
        [quarter.start_time.date(), quarter.end_time.date()],
    ).fetchone()
    program = run.results.query(
        "level == 'program' and stratum == 'all' and period_id == @run.period_id"
    ).set_index("measure_id")
    assert visits > firsts > 0
    assert program.loc["visits_a", "numerator"] == visits
    assert program.loc["visits_b", "numerator"] == 2 * visits
    assert program.loc["first_visits", "numerator"] == firsts
    tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    assert {"medical_claim", "measure_results"} <= tables
    assert not {t for t in tables if t.startswith("shared_")}  # dropped after the measures


def test_a_changed_shared_table_recomputes_only_its_readers(tmp_path: Path, marts: Path) -> None:
    measures, history = measures_folder(tmp_path / "measures"), tmp_path / "history"
    first = _run(measures, marts, history)
    results_history.write_rows(history, first.computed_rows, first.definitions)
    (measures / "sql" / "shared" / "first_visit.sql").write_text(
        FIRST_VISIT.replace("-- each", "-- now each"), encoding="utf-8"
    )
    again = _run(measures, marts, history)
    assert again.definitions["first_visits"] != first.definitions["first_visits"]
    assert again.definitions["visits_a"] == first.definitions["visits_a"]
    computed = {m: len(p) for m, p in again.history_plan.compute.items()}
    assert computed["first_visits"] == len(first.periods) and computed["visits_a"] == 1


def test_check_names_a_shared_table_with_bad_sql(tmp_path: Path, marts: Path) -> None:
    from click.testing import CliRunner

    from scorecard.cli import main

    measures = measures_folder(tmp_path / "measures")
    shutil.copytree(ROOT / "measures" / "value_sets", measures / "value_sets")
    (measures / "sql" / "shared" / "visit_day.sql").write_text(
        VISIT_DAY.replace("place_of_service_code", "no_such_column"), encoding="utf-8"
    )
    result = CliRunner().invoke(main, ["check", "--data", str(marts), "--measures", str(measures)])
    assert result.exit_code == 2, result.output
    assert "measures/sql/shared/visit_day.sql: sql:" in result.output
    assert "no_such_column" in result.output
