"""Run every compiled measure on Apache Spark, from the same specs and SQL as the DuckDB engine.

The marts are validated in DuckDB first (engine.prepare: the same checks, messages and example
rows as a DuckDB build, and the same data window and target period). Spark then reads the same
files itself, casts them to the contract types, creates the helpers (sql/extract_helpers.sql,
then sql/helpers.sql) and runs every measure, all translated from DuckDB SQL by transpile.py,
and runs engine.aggregate_sql() over the measure rows. engine.shape_results() turns the
aggregated rows into the results table, so the statistics, ratings and site stages get the same
table whichever engine computed it.

Each mart, helper and measure is materialised once it is computed (a checkpoint: in the
checkpoint directory when the SparkContext has one, else on the executors), so every later
query starts from data rather than from a copy of the plan that made it.

pyspark and sqlglot are the optional extra `spark` (pip install -e ".[spark]"); Spark needs a
Java runtime (17 or later for Spark 4).
"""

from __future__ import annotations

import os
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from functools import reduce
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import sqlglot
from sqlglot import exp

from scorecard import drug_list, engine, marts
from scorecard.compile import (
    MeasureShapeError,
    compile_measure,
    describe_sql,
    sql_path,
    strip_sql,
)
from scorecard.contract import TABLES, Column, Table
from scorecard.extract import ExtractCache
from scorecard.marts import (
    cast_text,
    contract_names,
    csv_header,
    find_mart_files,
    is_parquet,
    split_modifiers,
    written_form,
)
from scorecard.specs import SHARED_PREFIX, MeasureSpec
from scorecard.transpile import REFERENCE_TABLES, Translator

if TYPE_CHECKING:
    import duckdb
    from pyspark.sql import DataFrame, SparkSession

SPARK_TYPES: dict[str, str] = {
    "VARCHAR": "STRING",
    "DATE": "DATE",
    "INTEGER": "INT",
    "DOUBLE": "DOUBLE",
    "BOOLEAN": "BOOLEAN",
}

# Settings every run needs, whoever created the session. ANSI mode off: DuckDB's `/` never
# raises (x / 0 is inf or NaN there) while ANSI Spark aborts the job; off, Spark gives NULL.
# Dates and month boundaries must not depend on the machine's time zone. Constraint
# propagation (inferring filters) is slow on plans this size and fails on a union of
# checkpoints in Spark 4 ("key not found" in UnionBase.rewriteConstraints).
RUN_CONF: dict[str, str] = {
    "spark.sql.ansi.enabled": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.constraintPropagation.enabled": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}

# For small data in local mode (tests), set when the session starts: adaptive re-planning and
# the JVM's optimising compiler (C2) cost more than they save when every table has a few
# thousand rows and the JVM lives for a few minutes. Whole-stage code generation stays on: the
# final aggregation (19 grouping sets) takes twice as long without it, and the measures no less.
SMALL_DATA_CONF: dict[str, str] = {
    "spark.sql.adaptive.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=256m",
    "spark.driver.memory": "2g",
}

# Measures run at the same time (independent queries; Spark schedules their tasks together).
PARALLEL_MEASURES = 4

MEASURE_ROWS_SCHEMA = (
    "measure_id STRING, period_id STRING, person_id STRING, attr_month DATE, "
    "numerator DOUBLE, denominator DOUBLE, cp_id STRING"
)


class SparkMeasureError(marts.MartError):
    """A measure that Spark could not translate, analyse or run, with Spark's first line: a
    build stops on it as on bad input (a MartError: the problem names the measure's SQL file),
    nothing published."""

    title = "a measure cannot run on Spark"

    def __init__(self, spec: MeasureSpec, exc: Exception):
        lines = str(exc).strip().splitlines() or [type(exc).__name__]
        self.spec = spec
        super().__init__([marts.Problem(sql_path(spec), "", f"on Spark: {lines[0][:500]}")])


def ensure_java_home() -> None:
    """Set JAVA_HOME from the `java` on PATH when it is not set (pyspark needs a JVM)."""
    if os.environ.get("JAVA_HOME"):
        return
    java = shutil.which("java")
    if java:
        os.environ["JAVA_HOME"] = str(Path(java).resolve().parents[1])


def session(
    master: str = "local[*]",
    app_name: str = "scorecard",
    shuffle_partitions: int | None = None,
    conf: dict[str, str] | None = None,
) -> SparkSession:
    """Return a SparkSession on `master` (local[*] by default) with the run settings applied."""
    ensure_java_home()
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(master).appName(app_name)
    settings = dict(RUN_CONF)
    if shuffle_partitions:
        settings["spark.sql.shuffle.partitions"] = str(shuffle_partitions)
    settings.update(conf or {})
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def materialise(frame: DataFrame) -> DataFrame:
    """Return `frame` computed now and cut from its plan (reliable checkpoint if configured)."""
    if frame.sparkSession.sparkContext.getCheckpointDir():
        return frame.checkpoint(eager=True)
    return frame.localCheckpoint(eager=True)


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _typed_expr(column: Column, source_types: dict[str, str]) -> str:
    """Return the Spark expression giving `column` its contract type and written form, as
    marts.create_typed."""
    target = SPARK_TYPES[column.type]
    name = _quote(column.name)
    if column.name not in source_types:
        return f"CAST(NULL AS {target}) AS {name}"
    if source_types[column.name] == "string":
        text = f"NULLIF(TRIM({name}), '')"
        typed = text if target == "STRING" else cast_text(text, column.type)
    elif target == "STRING":
        typed = f"NULLIF(TRIM(CAST({name} AS STRING)), '')"
    else:
        typed = f"TRY_CAST({name} AS {target})"
    typed = written_form(column, typed)  # marts.FORMS: SQL that Spark reads as DuckDB does
    return f"{typed} AS {name}"


def read_mart(spark: SparkSession, table: Table, path: Path) -> DataFrame:
    """Return the mart file or folder at `path` as a DataFrame with the contract's columns and
    types (a folder is read as Spark writes one: part files, key=value partition folders)."""
    raw = spark.read.parquet(str(path)) if is_parquet(path) else read_csv(spark, path)
    raw = raw.withColumnsRenamed(contract_names(table, raw.columns))  # as DuckDB reads it
    source_types = dict(raw.dtypes)
    typed = raw.selectExpr(*(_typed_expr(c, source_types) for c in table.columns))
    split = split_modifiers(table)  # two modifiers in one field, read as marts.create_typed
    if split:
        from pyspark.sql import functions as F  # noqa: N812

        typed = typed.withColumns({name: F.expr(sql) for name, sql in split.items()})
    return typed


def read_csv(spark: SparkSession, path: Path) -> DataFrame:
    """Return a CSV mart as marts.load_raw reads it in DuckDB: RFC 4180 (fields in double
    quotes, a quote doubled inside one, line breaks inside one kept), the header's delimiter
    and column names (marts.csv_header), every column text (.csv.gz is decompressed)."""
    from pyspark.sql.types import StringType, StructField, StructType

    header = csv_header(path)
    schema = StructType([StructField(name, StringType()) for name in header.names])
    return spark.read.csv(
        str(path),
        schema=schema,
        header=True,
        sep=header.delimiter,
        quote='"',
        escape='"',
        multiLine=True,
        encoding="UTF-8",
    )


def empty_table(spark: SparkSession, table: Table) -> DataFrame:
    """Return an empty DataFrame with the contract's columns, for a table not supplied."""
    schema = ", ".join(f"{_quote(c.name)} {SPARK_TYPES[c.type]}" for c in table.columns)
    return spark.createDataFrame([], schema)


def register(translator: Translator, name: str, frame: DataFrame) -> None:
    """Make `frame` the temporary view `name` and record its column types for translation."""
    frame.createOrReplaceTempView(name)
    translator.add_table(name, dict(frame.dtypes))


def load_marts(
    spark: SparkSession,
    translator: Translator,
    data_dir: Path,
    tables: set[str],
    con: duckdb.DuckDBPyConnection | None = None,
) -> None:
    """Register every contract table as a materialised view (empty if not supplied).

    With `con` (holding the tables DuckDB checked), a table Spark reads with another number
    of rows than DuckDB stops the run (MartError): the engines would count different rows.
    """
    files = find_mart_files(data_dir)
    supplied = [t for t in TABLES if t.name in tables and t.name in files]
    with ThreadPoolExecutor(max_workers=PARALLEL_MEASURES) as pool:
        frames = pool.map(lambda t: materialise(read_mart(spark, t, files[t.name])), supplied)
        for table, frame in zip(supplied, frames, strict=True):
            if con is not None:
                check_row_count(con, table.name, files[table.name], frame.count())
            register(translator, table.name, frame)
    for table in TABLES:
        if table not in supplied:
            register(translator, table.name, empty_table(spark, table))


def check_row_count(
    con: duckdb.DuckDBPyConnection, table: str, path: Path, spark_rows: int
) -> None:
    """Raise MartError if Spark read `spark_rows` rows from the mart at `path` and DuckDB's
    checked table holds another number: a file the two readers read differently."""
    duckdb_rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    if spark_rows != duckdb_rows:
        message = (
            f"is read as {spark_rows} rows by Spark but {duckdb_rows} by the check (DuckDB): "
            "the engines would count different rows; write it as plain RFC 4180 CSV or Parquet"
        )
        raise marts.MartError([marts.Problem(str(path), "", message)])


def load_value_sets(
    spark: SparkSession, translator: Translator, con: duckdb.DuckDBPyConnection
) -> None:
    """Copy table value_set (read by engine.load_value_sets) from DuckDB into Spark."""
    codes = con.execute("SELECT * FROM value_set").df()
    schema = ", ".join(f"{_quote(c)} STRING" for c in codes.columns)
    codes = codes.astype(object).where(codes.notna(), None)
    frame = spark.createDataFrame(codes, schema)
    register(translator, "value_set", materialise(frame))


def create_helpers(
    spark: SparkSession,
    translator: Translator,
    start: date,
    end: date,
    target: str,
    con: duckdb.DuckDBPyConnection | None = None,
) -> None:
    """Create every helper (engine.helpers_sql) in Spark, each materialised, in file order.

    DuckDB keeps some helpers as views; Spark materialises them all, since most measures read
    them again. Reference tables (value_set_codes) are also copied into `con`, where the
    translator folds value-set subqueries into literal lists.
    """
    for statement in translator.helpers(engine.helpers_sql(start, end, target)):
        frame = materialise(spark.sql(statement.sql))
        register(translator, statement.name, frame)
        if statement.name in REFERENCE_TABLES and con is not None:
            con.register("spark_copy", frame.toPandas())
            con.execute(f"CREATE OR REPLACE TABLE {statement.name} AS SELECT * FROM spark_copy")
            con.unregister("spark_copy")


# CTEs of compile.py that are cheaper to recompute than to materialise (a few rows).
STAGE_INLINE: frozenset[str] = frozenset({"periods"})


def _with_key(node: exp.Expression) -> str:
    return "with_" if "with_" in node.arg_types else "with"


def _tables_named(trees: list[exp.Expression], name: str) -> list[exp.Table]:
    return [
        table
        for tree in trees
        for table in tree.find_all(exp.Table)
        if not table.db and table.name.lower() == name
    ]


def _hoist_inner_ctes(tree: exp.Expression) -> None:
    """Move the CTEs of the spec's own query (inside CTE measure_rows) up to the outer WITH."""
    outer = tree.args.get(_with_key(tree))
    if outer is None:
        return
    names = {c.alias_or_name.lower() for c in outer.expressions}
    for position, cte in enumerate(outer.expressions):
        inner = cte.this.args.get(_with_key(cte.this))
        if inner is None or any(c.alias_or_name.lower() in names for c in inner.expressions):
            continue
        cte.this.set(_with_key(cte.this), None)
        ctes = outer.expressions
        outer.set("expressions", [*ctes[:position], *inner.expressions, *ctes[position:]])
        if inner.args.get("recursive"):
            outer.set("recursive", True)
        return


def _standalone(earlier: list[exp.CTE], cte: exp.CTE, recursive: bool) -> str:
    """Return the query of `cte` with the earlier inline CTEs it reads, directly or not."""
    needed = {t.name.lower() for t in cte.this.find_all(exp.Table) if not t.db}
    deps: list[exp.CTE] = []
    for other in reversed(earlier):
        if other.alias_or_name.lower() in needed:
            deps.insert(0, other.copy())
            needed |= {t.name.lower() for t in other.this.find_all(exp.Table) if not t.db}
    query = cte.this.copy()
    if deps:
        inner = query.args.get(_with_key(query))
        query.set(
            _with_key(query),
            exp.With(
                expressions=[*deps, *(inner.expressions if inner else [])],
                recursive=recursive or bool(inner and inner.args.get("recursive")),
            ),
        )
    return query.sql(dialect="duckdb")


def _readers(tree: exp.Expression, outer: exp.With, cte: exp.CTE) -> list[exp.Table]:
    """Return the tables that read `cte`: in the CTEs after it and in the main query."""
    name = cte.alias_or_name.lower()
    ctes = outer.expressions
    later = _tables_named([c.this for c in ctes[ctes.index(cte) + 1 :]], name)
    main = [t for t in _tables_named([tree], name) if t.find_ancestor(exp.With) is not outer]
    return later + main


def stage_shared_ctes(sql: str, prefix: str) -> tuple[list[tuple[str, str]], str]:
    """Split a DuckDB query: each CTE read more than once becomes a (view, query) stage.

    DuckDB computes such a CTE once; Spark inlines every reference and computes it again for
    each. Materialising it first, as DuckDB does, keeps Spark's plans small and its work the
    same as DuckDB's. Returns the stages in order and the rest of the query, which reads them
    by view name (prefix__cte). CTEs with a column list, recursive ones and STAGE_INLINE stay.
    """
    tree = sqlglot.parse_one(sql, read="duckdb")
    _hoist_inner_ctes(tree)
    outer = tree.args.get(_with_key(tree))
    if outer is None:
        return [], sql
    stages: list[tuple[str, str]] = []
    recursive = bool(outer.args.get("recursive"))
    for cte in list(outer.expressions):
        name = cte.alias_or_name.lower()
        readers = _readers(tree, outer, cte)
        if (
            name in STAGE_INLINE
            or cte.args["alias"].columns
            or (recursive and _tables_named([cte.this], name))
            or len(readers) < 2
        ):
            continue
        view = f"{prefix}__{name}"
        ctes = outer.expressions
        stages.append((view, _standalone(ctes[: ctes.index(cte)], cte, recursive)))
        for table in readers:
            if not table.args.get("alias"):
                table.set("alias", exp.TableAlias(this=exp.to_identifier(table.name)))
            table.set("this", exp.to_identifier(view))
        outer.set("expressions", [c for c in ctes if c is not cte])
    if not stages:
        return [], sql
    if not outer.expressions:
        tree.set(_with_key(tree), None)
    return stages, tree.sql(dialect="duckdb")


def output_columns(spark: SparkSession, translator: Translator, spec: MeasureSpec) -> list[str]:
    """Return the columns the spec's query returns (read from the SQL, else asked of Spark)."""
    try:
        names = sqlglot.parse_one(strip_sql(spec.sql), read="duckdb").named_selects
    except sqlglot.errors.ParseError:
        names = []
    if names and "*" not in names:
        return names
    return spark.sql(translator.query(describe_sql(spec))).columns


def create_shared_tables(
    spark: SparkSession, translator: Translator, specs: list[MeasureSpec]
) -> None:
    """Create the shared tables the specs read (specs.py, `shared("name")`), materialised."""
    for name, query in engine.shared_tables(specs).items():
        frame = materialise(spark.sql(translator.query(query)))
        register(translator, f"{SHARED_PREFIX}{name}", frame)


def run_measure(
    spark: SparkSession, translator: Translator, spec: MeasureSpec, sql: str
) -> DataFrame:
    """Return the rows of one compiled measure, computed: its shared CTEs first, then the rest.

    `translator` should be this measure's own (Translator.fork) when measures run in threads.
    """
    stages, rest = stage_shared_ctes(sql, f"m_{spec.id}")
    views: list[str] = []
    try:
        for view, query in stages:
            register(translator, view, materialise(spark.sql(translator.query(query))))
            views.append(view)
        rows = materialise(spark.sql(translator.query(rest)))
    except Exception as exc:
        raise SparkMeasureError(spec, exc) from exc
    finally:
        for view in views:  # their data is freed once nothing refers to it
            spark.catalog.dropTempView(view)
    check_rows(spark, spec, rows)
    return rows


def check_rows(spark: SparkSession, spec: MeasureSpec, rows: DataFrame) -> None:
    """Raise MeasureRowError, as a DuckDB run does, if `rows` (the spec's measure rows) hold a
    row no unit can have (engine.IMPOSSIBLE_ROWS)."""
    view = f"m_{spec.id}__rows"
    rows.createOrReplaceTempView(view)
    try:
        found = spark.sql(engine.first_impossible_sql(spec, view)).collect()
    finally:
        spark.catalog.dropTempView(view)
    if found:
        rule, *values = found[0]
        row = dict(zip(engine.SHOWN_COLUMNS, values, strict=True))
        raise engine.MeasureRowError([engine.impossible_problem(spec, rule, row)])


def run_measures(
    spark: SparkSession,
    translator: Translator,
    specs: list[MeasureSpec],
    tables: set[str],
    parallel: int = PARALLEL_MEASURES,
) -> dict[str, str]:
    """Create the view measure_rows from every runnable measure; return skipped id -> why.

    Measures run `parallel` at a time: they are independent, and most are too small to keep
    a cluster (or two local cores) busy alone. Each runs as its own queries (run_measure): a
    union of every measure's plan is too big for Spark's analyser, and a measure that fails
    is named on its own.
    """
    jobs: list[tuple[Translator, MeasureSpec, str]] = []
    skipped = engine.unrunnable(specs, tables)
    runnable = [s for s in specs if s.id not in skipped]
    create_shared_tables(spark, translator, runnable)
    for spec in runnable:
        try:
            sql = compile_measure(spec, output_columns(spark, translator, spec))
            jobs.append((translator.fork(), spec, sql))
        except MeasureShapeError:  # the build says it as `scorecard check` does
            raise
        except Exception as exc:
            raise SparkMeasureError(spec, exc) from exc
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        frames = list(pool.map(lambda job: run_measure(spark, *job), jobs))
    rows = (
        reduce(lambda a, b: a.unionAll(b), frames)
        if frames
        else spark.createDataFrame([], MEASURE_ROWS_SCHEMA)
    )
    rows.createOrReplaceTempView("measure_rows")
    return skipped


def to_pandas(frame: DataFrame) -> pd.DataFrame:
    """Return `frame` as pandas, dates as datetime64[us] like DuckDB's .df()."""
    result = frame.toPandas()
    for name, kind in frame.dtypes:
        if kind == "date":
            result[name] = pd.to_datetime(result[name]).astype("datetime64[us]")
    return result


def copy_measure_rows(spark: SparkSession, con: duckdb.DuckDBPyConnection, period_id: str) -> None:
    """Copy the target period's measure rows into DuckDB table measure_rows (for care gaps)."""
    rows = to_pandas(spark.table("measure_rows").where(f"period_id = '{period_id}'"))
    con.register("spark_rows", rows)
    person_id = "person_id"
    if marts.has_person_keys(con):  # DuckDB's marts hold keys (marts.key_person_ids)
        person_id = marts.PERSON_KEY_SQL.format("person_id")
    con.execute(
        f"CREATE OR REPLACE TABLE measure_rows AS SELECT measure_id, period_id, "
        f"{person_id} AS person_id, CAST(attr_month AS DATE) AS attr_month, numerator, "
        "denominator, cp_id FROM spark_rows"
    )
    con.unregister("spark_rows")


def run(
    data_dir: Path,
    value_set_dir: Path,
    specs: list[MeasureSpec],
    period_id: str | None = None,
    spark: SparkSession | None = None,
    master: str = "local[*]",
    con: duckdb.DuckDBPyConnection | None = None,
    cache: ExtractCache | None = None,
) -> engine.EngineRun:
    """Validate the marts in DuckDB, run every measure in Spark; return the aggregated results.

    `con` keeps the validated marts and, afterwards, the target period's measure rows, so the
    build's panel sizes and care gaps read them as after a DuckDB run. With a `cache`, marts
    already checked are not checked again (scorecard/extract.py).
    """
    con = con or engine.connect()
    tables, start, end, target = engine.prepare(con, data_dir, value_set_dir, period_id, cache)
    spark = spark or session(master)
    for key, value in RUN_CONF.items():
        spark.conf.set(key, value)
    lock = threading.Lock()  # measures are translated in several threads; DuckDB is one

    def fold(sql: str) -> list:
        with lock:
            return [row[0] for row in con.execute(sql).fetchall()]

    translator = Translator(fold=fold)
    load_marts(spark, translator, Path(data_dir), tables, con)
    load_value_sets(spark, translator, con)
    create_helpers(spark, translator, start, end, target, con)
    measured, too_short = engine.short_of_history(specs, start, target)
    measured, unlisted, drug_warnings = drug_list.check(con, measured, tables, value_set_dir)
    skipped = {**run_measures(spark, translator, measured, tables), **too_short, **unlisted}
    engine.refuse_nothing_to_compute(specs, skipped)
    ran = [s for s in specs if s.id not in skipped]
    all_periods = to_pandas(spark.sql(translator.query(engine.PERIODS_SQL)))
    aggregate = translator.query(
        engine.aggregate_sql(engine.median_measures(ran), person_ids=engine.person_measures(ran))
    )
    results = engine.shape_results(to_pandas(spark.sql(aggregate)), ran, all_periods)
    copy_measure_rows(spark, con, target)
    periods = sorted(results["period_id"].unique())
    organizations = to_pandas(spark.sql(translator.query(engine.ORGANIZATIONS_SQL)))
    done = engine.EngineRun(results, target, periods, start, end, tables, organizations, skipped)
    done.warnings = drug_warnings
    if "cp_assessment" in tables:
        done.cp_assessment = con.execute(engine.ASSESSMENT_SQL).df()
    return done
