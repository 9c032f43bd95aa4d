"""DuckDB -> Spark SQL translation (scorecard/transpile.py), without a Spark session.

Spark itself runs the translated SQL in tests/test_spark.py; these tests pin the rewrites that
keep DuckDB's meaning and check that every helper and measure translates.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scorecard import engine
from scorecard.compile import compile_measure, describe_sql
from scorecard.specs import load_specs
from scorecard.transpile import Translator, TranspileError

ROOT = Path(__file__).resolve().parents[1]
BASIC = ROOT / "tests" / "fixtures" / "marts" / "basic"


def spark_sql(sql: str, **kwargs) -> str:
    return Translator(**kwargs).query(sql)


@pytest.mark.parametrize(
    ("duckdb", "spark"),
    [
        ("SELECT isodow(d) FROM t", "SELECT (WEEKDAY(d) + 1) FROM t"),
        ("SELECT dayofweek(d) FROM t", "SELECT (DAYOFWEEK(d) - 1) FROM t"),
        (
            "SELECT date_diff('day', a, b) FROM t",
            "SELECT DATEDIFF(CAST(b AS DATE), CAST(a AS DATE)) FROM t",
        ),
        (
            "SELECT date_diff('month', a, b) FROM t",
            "SELECT ((YEAR(b) * 12 + MONTH(b)) - (YEAR(a) * 12 + MONTH(a))) FROM t",
        ),
        ("SELECT quantile_cont(x, 0.75) FROM t", "SELECT PERCENTILE(x, 0.75) FROM t"),
        ("SELECT median(x) FROM t", "SELECT MEDIAN(x) FROM t"),
        ("SELECT d - to_years(2) FROM t", "SELECT d - MAKE_YM_INTERVAL(2, 0) FROM t"),
        ("SELECT arg_max(a, b) FROM t GROUP BY ALL", "SELECT MAX_BY(a, b) FROM t GROUP BY ALL"),
    ],
)
def test_rewrites_keep_duckdb_meaning(duckdb: str, spark: str) -> None:
    assert spark_sql(duckdb) == spark


def test_macros_are_inlined_with_their_arguments() -> None:
    translator = Translator()
    list(
        translator.helpers(
            "CREATE MACRO twice(x) AS x * 2; CREATE MACRO quad(y) AS twice(twice(y));"
        )
    )
    assert (
        translator.query("SELECT quad(a + 1) FROM t") == "SELECT ((((((a + 1)) * 2)) * 2)) FROM t"
    )


def test_value_set_subqueries_fold_into_literal_lists() -> None:
    codes = {"ed_visit": ["0450", "99283"], "none": []}

    def fold(sql: str) -> list:
        return codes["ed_visit" if "'ed_visit'" in sql else "none"]

    sql = "SELECT {} FROM medical_claim WHERE {}"
    test = "x IN (SELECT code FROM value_set_codes WHERE value_set = '{}')"
    folded = spark_sql(sql.format(1, test.format("ed_visit")), fold=fold)
    assert folded == "SELECT 1 FROM medical_claim WHERE x IN ('0450', '99283')"
    # an empty set is FALSE, with no parentheses Spark would read as a table alias
    assert spark_sql(sql.format(1, test.format("none")), fold=fold).endswith("WHERE FALSE")
    # correlated subqueries are left to Spark
    correlated = "x IN (SELECT code FROM value_set_codes v WHERE v.value_set = t.kind)"
    assert "SELECT code" in spark_sql(sql.format(1, correlated), fold=fold)


def test_date_minus_date_is_a_day_count() -> None:
    translator = Translator()
    translator.add_table("t", {"a": "date", "b": "date", "n": "int"})
    assert translator.query("SELECT a - b, a - n, a - 1 FROM t") == (
        "SELECT DATEDIFF(CAST(a AS DATE), CAST(b AS DATE)), a - n, a - 1 FROM t"
    )


def test_statements_spark_cannot_run_are_refused() -> None:
    with pytest.raises(TranspileError, match="unsupported statement"):
        list(Translator().helpers("INSERT INTO t VALUES (1);"))
    with pytest.raises(TranspileError, match="date_diff"):
        spark_sql("SELECT date_diff('microsecond', a, b) FROM t")


def test_every_helper_and_measure_translates() -> None:
    """Every helper statement and every measure, with the fixture's types and codes."""
    con = engine.connect()
    tables, start, end, target = engine.prepare(con, BASIC, ROOT / "measures" / "value_sets", None)
    engine.create_build_helpers(con, start, end, target)
    specs = load_specs(ROOT / "measures")
    engine.declare_shared_tables(con, specs)
    translator = Translator(fold=lambda sql: [r[0] for r in con.execute(sql).fetchall()])
    for (name,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall():
        translator.add_table(name, {r[0]: r[1] for r in con.execute(f"DESCRIBE {name}").fetchall()})
    helpers = list(translator.helpers(engine.helpers_sql(start, end, target)))
    assert {"person", "claim_diagnosis", "value_set_codes"} <= {h.name for h in helpers}
    for query in engine.shared_tables(specs).values():
        assert "in_value_set" not in translator.query(query).lower()
    for spec in specs:
        columns = [r[0] for r in con.execute(f"DESCRIBE {describe_sql(spec)}").fetchall()]
        sql = translator.query(compile_measure(spec, columns))
        assert "in_value_set" not in sql.lower(), spec.id
