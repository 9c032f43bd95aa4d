"""Run every compiled measure in DuckDB and aggregate by level x period x stratum.

The pipeline inside the database: marts -> helper views -> measure rows (one table, the long
shape of compile.py) -> attribution and demographics joined once -> GROUPING SETS. Person ids
never leave this module: the results table holds aggregates only.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from scorecard import drug_list
from scorecard import history as results_history
from scorecard.compile import WINDOW_MONTHS, compile_measure, describe_sql, periods_cte, sql_path
from scorecard.extract import ExtractCache
from scorecard.marts import (
    PERSON_REF,
    MartError,
    NothingToComputeError,
    PeriodError,
    Problem,
    has_person_keys,
    has_table,
    in_utc,
    key_claim_ids,
    key_person_ids,
    load_marts,
    quiet,
)
from scorecard.plausibility import Finding, record_warnings
from scorecard.specs import ENTITY_LEVELS, SHARED_PREFIX, STRATA, MeasureSpec

EXTRACT_HELPERS_SQL = Path(__file__).with_name("sql") / "extract_helpers.sql"
HELPERS_SQL = Path(__file__).with_name("sql") / "helpers.sql"
# Who a row counts for: every member's timeline cut into spans (tables unit_span, unit_dim)
UNIT_SPAN_SQL = (Path(__file__).with_name("sql") / "unit_span.sql").read_text(encoding="utf-8")

LEVEL_COLUMNS: dict[str, str] = {level: f"{level}_id" for level in ENTITY_LEVELS}
STRATUM_COLUMNS: tuple[str, ...] = STRATA  # each stratum is a column of the same name
STRATIFIED_LEVELS: tuple[str, ...] = ("program", "aco", "cp")

AGE_BANDS: tuple[tuple[int, str], ...] = ((18, "0-17"), (35, "18-34"), (50, "35-49"), (65, "50-64"))


def age_band_sql(age: str) -> str:
    """Return a CASE expression giving the age band of the SQL expression `age`."""
    whens = " ".join(f"WHEN {age} < {upper} THEN '{label}'" for upper, label in AGE_BANDS)
    return f"CASE WHEN {age} IS NULL THEN 'Unknown' {whens} ELSE '65+' END"


META_COLUMNS: tuple[str, ...] = (
    "kind",
    "direction",
    "multiplier",
    "decimals",
    "min_denominator",
    "family",
    "weight",
    "unit",
    "part_of",
    "shared_numerator",
    "shared_denominator",
    "window",
)


@dataclass
class EngineRun:
    """What one engine run produced: the results and what it could not compute, and why."""

    results: pd.DataFrame
    period_id: str
    periods: list[str]
    data_start: date
    data_end: date
    tables: set[str]
    organizations: pd.DataFrame
    skipped: dict[str, str] = field(default_factory=dict)
    panels: pd.DataFrame | None = None  # level, entity_id, members: see panel_sizes()
    care_gaps: pd.DataFrame | None = None  # internal audience only: care_gap_rows()
    cp_assessment: pd.DataFrame | None = None  # mart cp_assessment, when supplied
    seconds: dict[str, float] = field(default_factory=dict)  # measure id -> wall time
    steps: dict[str, float] = field(default_factory=dict)  # step of run() -> wall time
    warnings: list[Finding] = field(default_factory=list)  # scorecard/plausibility.py
    # With a results history (scorecard/history.py): the rows computed now, to be stored once
    # the version is published, each measure's definition hash and what was read back.
    computed_rows: pd.DataFrame | None = None
    definitions: dict[str, str] = field(default_factory=dict)
    history_plan: results_history.Plan | None = None


def connect(
    threads: int | None = None, memory_limit: str | None = None, database: Path | None = None
) -> duckdb.DuckDBPyConnection:
    """Return a DuckDB connection with the given resource limits, in memory or in `database`.

    Insertion order is not preserved: every result is sorted before it is used, and keeping
    the order makes DuckDB hold whole intermediate tables in memory (at a million members
    the difference is several GB). DuckDB's progress bar is off (marts.quiet), and dates are
    read in UTC whatever the machine's time zone (marts.in_utc).
    """
    con = duckdb.connect(
        str(database) if database else ":memory:", config={"preserve_insertion_order": False}
    )
    in_utc(quiet(con))
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    con.execute(f"SET memory_limit = '{memory_limit or default_memory_limit()}'")
    return con


WORK_FOLDER_PREFIX = "scorecard-"
WORK_OWNER_FILE = "owner.pid"  # in a working folder: the id of the process using it


@contextmanager
def working_connection(
    threads: int | None = None, memory_limit: str | None = None, start_from: Path | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a connection whose tables live in a DuckDB file in a new temporary folder (under
    TMPDIR), closed and deleted afterwards. With `start_from` (a checked extract kept by
    scorecard/extract.py), the file starts as a copy of it; if it cannot be copied or opened,
    empty (with a warning).

    A file rather than memory: past the memory limit DuckDB drops table blocks it can read
    back from the file instead of writing them out to spill files. At a million members the
    newest quarter with a results history peaked at 3.6 GB instead of 6.7 GB for 14% less
    CPU; computing every quarter and the demo take the same (benchmarks/README.md).
    Folders left by builds that were killed (see remove_abandoned_work_folders) are deleted
    first.
    """
    root = Path(tempfile.gettempdir())
    remove_abandoned_work_folders(root)
    with tempfile.TemporaryDirectory(prefix=WORK_FOLDER_PREFIX, dir=root) as folder:
        (Path(folder) / WORK_OWNER_FILE).write_text(str(os.getpid()), encoding="ascii")
        database = Path(folder) / "work.duckdb"
        con = _connect_copy(start_from, database, threads, memory_limit) if start_from else None
        con = con or connect(threads, memory_limit, database)
        try:
            yield con
        finally:
            con.close()


def _connect_copy(
    kept: Path, database: Path, threads: int | None, memory_limit: str | None
) -> duckdb.DuckDBPyConnection | None:
    """Return a connection to a copy of `kept` made at `database`, or None (with a warning)
    if the copy cannot be made or opened."""
    try:
        shutil.copyfile(kept, database)
        return connect(threads, memory_limit, database)
    except (OSError, duckdb.Error) as exc:
        database.unlink(missing_ok=True)
        warnings.warn(f"extract cache: cannot start from {kept}: {exc}", stacklevel=3)
        return None


def remove_abandoned_work_folders(root: Path) -> list[Path]:
    """Delete the working folders in `root` whose build process is gone; return them.

    A build stopped by SIGKILL (or a power cut) cannot delete its working folder, which holds
    about 1.4 GB at a million members. A folder is abandoned when the process named in its
    owner file no longer runs; folders without an owner file (not a build's, or one starting
    this instant) are left alone, as are those of processes that run under another user.
    """
    removed = []
    for folder in sorted(root.glob(f"{WORK_FOLDER_PREFIX}*")):
        try:
            owner = int((folder / WORK_OWNER_FILE).read_text(encoding="ascii"))
        except (OSError, ValueError):
            continue
        if not _process_runs(owner):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _process_runs(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # runs, as another user
        return True
    return True


DEFAULT_MEMORY_CAP_MB = 6 * 1024


def default_memory_limit() -> str:
    """Return DuckDB's memory limit when none is set: 6 GB, or 60% of the memory if less.

    DuckDB's own default (80% of the memory) let a 1M-member build peak at 14.4 GB; with
    6 GB DuckDB spills to disk instead and the build peaked at 6.7 GB for 3% more CPU time
    (benchmarks/README.md).
    """
    try:
        total_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    except (ValueError, OSError, AttributeError):  # no sysconf: keep the cap
        total_mb = 10 * DEFAULT_MEMORY_CAP_MB
    return f"{min(DEFAULT_MEMORY_CAP_MB, int(total_mb * 0.6))}MB"


# Extra code-list columns the measures read (ndc_drug_class.csv: drug_class, drug, route;
# antipsychotic_lai.csv: drug, days_covered), added empty when no list in the folder has them.
VALUE_SET_COLUMNS: tuple[str, ...] = ("drug_class", "drug", "route", "days_covered", "modifier")


def load_value_sets(con: duckdb.DuckDBPyConnection, value_set_dir: Path) -> None:
    """Load every code list in `value_set_dir` into table value_set (value_set = file stem)."""
    files = sorted(Path(value_set_dir).glob("*.csv"))
    if not files:
        con.execute(
            "CREATE OR REPLACE TABLE value_set (value_set VARCHAR, code VARCHAR, "
            "code_system VARCHAR, description VARCHAR, "
            + ", ".join(f"{c} VARCHAR" for c in VALUE_SET_COLUMNS)
            + ")"
        )
        return
    paths = "[" + ", ".join(f"'{p}'" for p in files) + "]"
    con.execute(
        "CREATE OR REPLACE TABLE value_set AS "
        "SELECT regexp_extract(filename, '([^/\\\\]+)\\.csv$', 1) AS value_set, "
        "* EXCLUDE (filename) "
        f"FROM read_csv({paths}, union_by_name = true, filename = true, all_varchar = true)"
    )
    columns = {r[0] for r in con.execute("DESCRIBE value_set").fetchall()}
    for column in VALUE_SET_COLUMNS:  # read by measures whatever lists the folder holds
        if column not in columns:
            con.execute(f"ALTER TABLE value_set ADD COLUMN {column} VARCHAR")


def data_window(con: duckdb.DuckDBPyConnection, today: date | None = None) -> tuple[date, date]:
    """Return the first day of the first data month and the last day of the last data month,
    which is never after the month of `today` (the machine's date if not given): the loader
    refuses claims dated later (contract Column.past), and open enrollment spans end then."""
    today = today or date.today()
    start, end = con.execute(
        """
        SELECT coalesce(min(d0), (SELECT min(month) FROM attribution),
                        (SELECT min(enrollment_start_date) FROM eligibility)),
               least(coalesce(max(d1), (SELECT max(month) FROM attribution),
                              (SELECT max(enrollment_end_date) FROM eligibility)), $today)
        FROM (SELECT claim_start_date AS d0, claim_end_date AS d1 FROM medical_claim
              UNION ALL SELECT dispensing_date, dispensing_date FROM pharmacy_claim)
        """,
        {"today": today},
    ).fetchone()
    if start is None or end is None:
        raise MartError([Problem("eligibility", "", "no dates found: the marts are empty")])
    first = date(start.year, start.month, 1)
    last = (pd.Timestamp(end) + pd.offsets.MonthEnd(0)).date()
    return first, last


def complete_quarters(data_start: date, data_end: date) -> list[str]:
    """Return the ids of the quarters wholly inside [data_start, data_end], oldest first."""
    quarters = pd.period_range(pd.Timestamp(data_start), pd.Timestamp(data_end), freq="Q")
    return [
        f"{q.year}Q{q.quarter}"
        for q in quarters
        if q.start_time.date() >= data_start and q.end_time.date() <= data_end
    ]


def period_end(period_id: str) -> date:
    """Return the last day of quarter `period_id` (e.g. '2025Q4' -> 2025-12-31)."""
    return pd.Period(period_id, freq="Q").end_time.date()


def resolve_period(period_id: str | None, available: list[str]) -> str:
    """Return the period to publish: the one asked for, or the latest complete quarter."""
    if not available:
        raise MartError([Problem("(marts)", "(dates)", "the data cover no complete quarter")])
    if period_id is None:
        return available[-1]
    if period_id not in available:
        message = (
            f"period {period_id} is not a complete quarter in the data; choose one of {available}"
        )
        raise PeriodError([Problem("--period", "", message)])
    return period_id


# The quarters computed: the one published and the seven before it (two years of trend), so
# that a longer history in the marts does not make every build longer.
TREND_QUARTERS = 8


def _fill(sql_file: Path, start: date, end: date, target: str | None) -> str:
    first = pd.Period(pd.Timestamp(start), freq="Q")
    if target:
        first = max(first, pd.Period(target, freq="Q") - (TREND_QUARTERS - 1))
    first_quarter = first.start_time.date()
    return sql_file.read_text(encoding="utf-8").format(
        data_start=start.isoformat(),
        data_end=end.isoformat(),
        target_end=period_end(target) if target else None,
        first_quarter=first_quarter.isoformat(),
    )


def helpers_sql(start: date, end: date, target: str) -> str:
    """Return every helper (DuckDB SQL) filled in for this data window and target period:
    sql/extract_helpers.sql, then sql/helpers.sql."""
    return (
        _fill(EXTRACT_HELPERS_SQL, start, end, None) + "\n" + _fill(HELPERS_SQL, start, end, target)
    )


def create_extract_helpers(con: duckdb.DuckDBPyConnection, start: date, end: date) -> None:
    """Create the helpers of sql/extract_helpers.sql (the marts alone decide them) and the
    attribution timeline the measures are aggregated through (sql/unit_span.sql): both are
    kept with a checked extract (scorecard/extract.py)."""
    con.execute(_fill(EXTRACT_HELPERS_SQL, start, end, None))
    con.execute(UNIT_SPAN_SQL)


def create_build_helpers(
    con: duckdb.DuckDBPyConnection, start: date, end: date, target: str
) -> None:
    """Create the helpers of sql/helpers.sql (periods and code lists) for this target period."""
    for name in PERIOD_HELPERS:  # made tables by an earlier run on this connection
        con.execute(f"DROP TABLE IF EXISTS temp.main.{name}")
        if has_table(con, name):
            con.execute(f"DROP TABLE {name}")
    con.execute(_fill(HELPERS_SQL, start, end, target))


def create_helpers(con: duckdb.DuckDBPyConnection, start: date, end: date, target: str) -> None:
    """Create every helper for this data window and target period (see helpers_sql)."""
    create_extract_helpers(con, start, end)
    create_build_helpers(con, start, end, target)


# The views of sql/helpers.sql that make_period_helpers makes tables of the periods computed:
# name -> (the condition on their rows, whether the table is temporary). In the conditions
# {periods} stands for the periods' ids, {first_month} and {last_day} for the first month of
# their 12-month windows (the longest a measure has) and their last day: written as constants,
# which DuckDB pushes into both sides of the view's join (at a million members 2.0-2.5 s of
# CPU with the bounds as subqueries, 1.6-1.8 s as constants). member_month_attribution is
# temporary: written to the working file it cost 3.0-3.5 s, in memory 1.6-1.8 s.
PERIOD_HELPERS = {
    "period_enrollment": ("list_contains({periods}, period_id)", False),
    "member_month_attribution": ("month BETWEEN {first_month} AND {last_day}", True),
}
PERIOD_BOUNDS = """
SELECT min(CAST(period_start - INTERVAL 9 MONTH AS DATE)), max(period_end)
FROM all_periods WHERE list_contains(?, period_id)"""


def make_period_helpers(con: duckdb.DuckDBPyConnection, periods: list[str] | None) -> None:
    """Make the views of PERIOD_HELPERS (sql/helpers.sql) tables of `periods` (None: every
    period). Measures read them for their own periods only, and a build computes few periods
    when it reads the others from a results history: at a million members a table of every
    period's enrollment is 13 million rows and ten seconds to write."""
    if periods is None:
        periods = [r[0] for r in con.execute("SELECT period_id FROM all_periods").fetchall()]
    bad = [p for p in periods if not re.fullmatch(r"\d{4}Q[1-4]", p)]
    if bad:  # ids are written into the SQL below
        raise ValueError(f"not a period id: {bad}")
    first_month, last_day = con.execute(PERIOD_BOUNDS, [sorted(periods)]).fetchone()
    values = {
        "periods": "CAST([" + ", ".join(f"'{p}'" for p in sorted(periods)) + "] AS VARCHAR[])",
        "first_month": f"DATE '{first_month}'" if first_month else "NULL",  # None: no period
        "last_day": f"DATE '{last_day}'" if last_day else "NULL",
    }
    for name, (condition, temporary) in PERIOD_HELPERS.items():
        kind = "TEMP TABLE" if temporary else "TABLE"
        made = f"CREATE {kind} {name}_made AS SELECT * FROM {name} WHERE {condition}"
        con.execute(made.format(**values))
        con.execute(f"DROP VIEW {name}")
        con.execute(f"ALTER TABLE {name}_made RENAME TO {name}")


def shared_tables(specs: list[MeasureSpec]) -> dict[str, str]:
    """Return the shared tables the specs read (specs.py, `shared("name")`): name -> query,
    each after the shared tables it reads."""
    queries: dict[str, str] = {}
    for spec in specs:
        for name, query in spec.shared_tables.items():
            queries.setdefault(name, query)
    return queries


def declare_shared_table(con: duckdb.DuckDBPyConnection, name: str, query: str) -> None:
    """Create shared table `name` as a view of its query: cheap, enough to describe the
    measures that read it. SharedTables.make turns it into a table when one of them runs."""
    con.execute(f"CREATE OR REPLACE VIEW {SHARED_PREFIX}{name} AS\n{query}")


def declare_shared_tables(con: duckdb.DuckDBPyConnection, specs: list[MeasureSpec]) -> None:
    """Create every shared table the specs read as a view (see declare_shared_table)."""
    for name, query in shared_tables(specs).items():
        declare_shared_table(con, name, query)


class SharedTables:
    """Makes each shared table a table once, when the first measure that reads it runs, and
    drops them all at the end (they can be as big as a mart)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.made: list[str] = []

    def make(self, spec: MeasureSpec) -> None:
        """Make the spec's shared tables that are not tables yet."""
        for name, query in spec.shared_tables.items():
            if name not in self.made:
                self.con.execute(f"DROP VIEW IF EXISTS {SHARED_PREFIX}{name}")
                self.con.execute(f"CREATE TABLE {SHARED_PREFIX}{name} AS\n{query}")
                self.made.append(name)

    def drop(self) -> None:
        """Drop the shared tables made."""
        for name in reversed(self.made):
            self.con.execute(f"DROP TABLE {SHARED_PREFIX}{name}")
        self.made.clear()


def missing_tables(spec: MeasureSpec, tables: set[str]) -> list[str]:
    """Return the tables a spec requires that were not supplied."""
    return [t for t in spec.requires if t not in tables]


NOT_SUPPLIED = "needs table(s) not supplied: "


def unrunnable(specs: list[MeasureSpec], tables: set[str]) -> dict[str, str]:
    """Return id -> why, for the specs that need tables that were not supplied."""
    return {
        s.id: NOT_SUPPLIED + ", ".join(missing_tables(s, tables))
        for s in specs
        if missing_tables(s, tables)
    }


def not_supplied(why: str) -> list[str]:
    """Return the tables named by a reason of unrunnable()."""
    return why.removeprefix(NOT_SUPPLIED).split(", ")


def short_of_history(
    specs: list[MeasureSpec], data_start: date, period_id: str
) -> tuple[list[MeasureSpec], dict[str, str]]:
    """Return (the specs to run, id -> why for the others): the specs whose look-back
    (lookback_months) before the window of period_id starts before the data do are not run,
    as their result would count less than it should."""
    # Counted back from the day after the period (a month's first day): months back from its
    # last day would keep the day number (Jun 30 - 27 months = Mar 30) and ask for a day too
    # many, so a quarter whose data start on Apr 1 would not be computed.
    after = pd.Timestamp(period_end(period_id)) + pd.Timedelta(days=1)
    short = {}
    for spec in specs:
        months = WINDOW_MONTHS[spec.window] + spec.lookback_months
        earliest = (after - pd.DateOffset(months=months)).date()
        if spec.lookback_months and earliest < data_start:
            span = "12-month window" if spec.window == "year" else "quarter"
            short[spec.id] = (
                f"needs {spec.lookback_months} months of data before its {span}, from "
                f"{earliest:%B %Y}; the data start in {data_start:%B %Y}"
            )
    return [s for s in specs if s.id not in short], short


def keeps_person_rows(spec: MeasureSpec) -> bool:
    """Return True if the spec's person-level rows are kept in measure_rows after the run.

    A median needs every unit's value, and care_gap_rows() lists members of quality
    proportions. Every other measure is aggregated as it runs (see run_measures).
    """
    return spec.kind == "median" or is_care_gap_measure(spec)


def is_care_gap_measure(spec: MeasureSpec) -> bool:
    """Return True for the measures care_gap_rows() reads: quality proportions with a better
    direction."""
    return spec.family == "quality" and spec.kind == "proportion" and spec.direction != "neutral"


def open_gap_counts(results: pd.DataFrame, gap_measures: set[str]) -> pd.Series:
    """Return each row's open care gaps: denominator - numerator for a higher-is-better
    measure of `gap_measures`, the numerator for a lower-is-better one; NaN for other measures.

    The aggregate twin of care_gap_rows(): units (members, discharges, ED visits) in the
    denominator who did not get the care, or who had the bad outcome (e.g. HbA1c > 9%).
    """
    lower = results["direction"] == "lower_is_better"
    gaps = results["numerator"].where(lower, results["denominator"] - results["numerator"])
    return gaps.astype(float).where(results["measure_id"].isin(gap_measures))


MEASURE_RESULTS_COLUMNS = (
    "measure_id VARCHAR, period_id VARCHAR, level VARCHAR, entity_id VARCHAR, stratum VARCHAR, "
    "stratum_value VARCHAR, numerator DOUBLE, denominator DOUBLE, numerator_sq DOUBLE, "
    "denominator_sq DOUBLE, numerator_denominator DOUBLE, median DOUBLE, units BIGINT, "
    "persons DOUBLE, persons_numerator DOUBLE, persons_complement DOUBLE"
)


def measure_queries(
    con: duckdb.DuckDBPyConnection, spec: MeasureSpec, checked: bool = False
) -> tuple[str, str | None, str]:
    """Return the spec's row query, the statement keeping its rows (None if they are not
    kept, see keeps_person_rows) and its aggregation query over those rows. `checked`: the
    rows are read through checked_rows_sql, so a row no unit can have stops the query."""
    columns = [r[0] for r in con.execute(f"DESCRIBE {describe_sql(spec)}").fetchall()]
    rows_sql = compile_measure(spec, columns)
    read = checked_rows_sql(spec, rows_sql) if checked else rows_sql
    source, keep = f"(\n{read}\n)", None
    if keeps_person_rows(spec):
        keep = f"INSERT INTO measure_rows {read}"
        source = f"(SELECT * FROM measure_rows WHERE measure_id = '{spec.id}')"
    median_ids = (spec.id,) if spec.kind == "median" else ()
    person_ids = (spec.id,) if spec.cluster == "person" else ()
    query = aggregate_sql(
        median_ids, source, spec.levels, spec.strata, True, person_ids, source_ids=(spec.id,)
    )
    return rows_sql, keep, query


# Rows no unit can have, by measure kind ("" for every kind): (condition, column, message). A
# proportion counts each unit once, 0 or 1 of 1 (a count of visits, count(*), belongs in a
# rate): a numerator above the denominator would publish more than 100% and negative gaps.
IMPOSSIBLE_ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("", "denominator < 0", "denominator", "has a negative denominator"),
    ("proportion", "numerator < 0", "numerator", "has a negative numerator (a proportion)"),
    (
        "proportion",
        "numerator > denominator",
        "numerator",
        "has a numerator above its denominator (a proportion counts each unit once, 0 or 1 of "
        "1; a count of events, count(*), is a rate)",
    ),
)
ROW_ERROR = "scorecard: impossible measure row: "  # how checked_rows_sql's error begins
SHOWN_COLUMNS = ("period_id", "person_id", "attr_month", "numerator", "denominator")


class MeasureRowError(MartError):
    """Raised when a measure's SQL returns a row no unit can have (IMPOSSIBLE_ROWS)."""

    title = "a measure's SQL returns impossible rows"


def _impossible(spec: MeasureSpec) -> list[tuple[str, str, str]]:
    return [
        (where, col, msg) for kind, where, col, msg in IMPOSSIBLE_ROWS if kind in ("", spec.kind)
    ]


def checked_rows_sql(spec: MeasureSpec, rows_sql: str) -> str:
    """Return `rows_sql` read so that its first impossible row (IMPOSSIBLE_ROWS) stops the query
    with an error (ROW_ERROR, the rule's number, the row's SHOWN_COLUMNS), read back by
    row_problem: a check in the same pass as the aggregation, the rows being too many to store."""
    rules = _impossible(spec)
    shown = ", '|', ".join(f"CAST({c} AS VARCHAR)" for c in SHOWN_COLUMNS)
    cases = " ".join(
        f"WHEN {where} THEN error(concat('{ROW_ERROR}{i}|', {shown}))"
        for i, (where, _, _) in enumerate(rules)
    )
    return f"SELECT * FROM (\n{rows_sql}\n) WHERE CASE {cases} ELSE true END"


def row_problem(
    con: duckdb.DuckDBPyConnection, spec: MeasureSpec, exc: duckdb.Error
) -> Problem | None:
    """Return the problem of the impossible row that stopped `spec`'s query (checked_rows_sql),
    naming its SQL file, or None if `exc` is another error."""
    text = str(exc)
    if ROW_ERROR not in text:
        return None
    rule, *values = text.split(ROW_ERROR, 1)[1].splitlines()[0].split("|")
    row = dict(zip(SHOWN_COLUMNS, values, strict=False))
    if has_person_keys(con) and row.get("person_id"):  # the id as the marts write it
        query = f"SELECT person_id FROM {PERSON_REF} WHERE CAST(person_key AS VARCHAR) = ?"
        found = con.execute(query, [row["person_id"]]).fetchone()
        row["person_id"] = found[0] if found else row["person_id"]
    return impossible_problem(spec, int(rule), row)


def impossible_problem(spec: MeasureSpec, rule: int, row: dict[str, str | None]) -> Problem:
    """Return the problem of `spec`'s row `row` (SHOWN_COLUMNS -> text) that breaks rule number
    `rule` of its IMPOSSIBLE_ROWS, naming its SQL file (both engines say it so)."""
    _, column, message = _impossible(spec)[rule]
    example = ", ".join(f"{name}={value or 'NULL'}" for name, value in row.items())
    return Problem(sql_path(spec), column, f"measure {spec.id} {message}", example)


def first_impossible_sql(spec: MeasureSpec, rows: str) -> str:
    """Return a query (read alike by DuckDB and Spark) of the first row of table or view `rows`
    that breaks one of `spec`'s IMPOSSIBLE_ROWS: the rule's number, then SHOWN_COLUMNS as text
    (see impossible_problem); no row if none does. For an engine that stores the rows."""
    rules = [where for where, _, _ in _impossible(spec)]
    number = " ".join(f"WHEN {where} THEN {i}" for i, where in enumerate(rules))
    shown = ", ".join(f"CAST({c} AS STRING) AS {c}" for c in SHOWN_COLUMNS)
    broken = " OR ".join(f"({where})" for where in rules)
    return f"SELECT CASE {number} END AS rule, {shown} FROM {rows} WHERE {broken} LIMIT 1"


def person_id_type(con: duckdb.DuckDBPyConnection) -> str:
    """Return the type of person_id in the marts: UBIGINT once keyed (marts.key_person_ids)."""
    return "UBIGINT" if has_person_keys(con) else "VARCHAR"


def run_measures(
    con: duckdb.DuckDBPyConnection,
    specs: list[MeasureSpec],
    tables: set[str],
    seconds: dict[str, float] | None = None,
    periods: dict[str, list[str]] | None = None,
) -> dict[str, str]:
    """Run and aggregate every runnable measure; return skipped id -> why.

    `seconds`, if given, receives each measure's wall time (rows and aggregation): where the
    time goes, for `scorecard build --timings` and benchmarks/run.py. `periods`, if given, limits
    each measure to those periods (a results history holds the others); a measure with no
    period to compute is not run.

    Each measure's rows are aggregated by one query (aggregate_sql over the compiled measure)
    into table measure_results, without being stored: at a million members the measures
    yield about 250 million rows, which would not fit in memory. Person-level rows are kept in
    table measure_rows only for the measures that need them later (keeps_person_rows).
    A row no unit can have (IMPOSSIBLE_ROWS: a proportion's numerator above its denominator,
    a negative denominator) raises MeasureRowError, naming the measure's SQL file and the row.
    """
    con.execute(
        "CREATE OR REPLACE TABLE measure_rows (measure_id VARCHAR, period_id VARCHAR, "
        f"person_id {person_id_type(con)}, attr_month DATE, numerator DOUBLE, "
        "denominator DOUBLE, cp_id VARCHAR)"
    )
    con.execute(f"CREATE OR REPLACE TABLE measure_results ({MEASURE_RESULTS_COLUMNS})")
    skipped = unrunnable(specs, tables)
    limits = PeriodLimit(con) if periods is not None else None
    shared = SharedTables(con)
    for spec in specs:
        if spec.id in skipped:
            continue
        if limits is not None and not limits.set(periods.get(spec.id, [])):
            continue
        started = time.perf_counter()
        shared.make(spec)
        _, keep, query = measure_queries(con, spec, checked=True)
        try:
            if keep:
                con.execute(keep)
            con.execute(f"INSERT INTO measure_results {query}")
        except duckdb.Error as exc:
            problem = row_problem(con, spec, exc)
            if problem is None:
                raise
            raise MeasureRowError([problem]) from exc
        if seconds is not None:
            seconds[spec.id] = time.perf_counter() - started
    shared.drop()
    if limits is not None:
        limits.restore()
    return skipped


class PeriodLimit:
    """Narrows table all_periods (which every measure's periods CTE reads) to some periods,
    and puts it back. The helper tables built from all_periods are left whole."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.current: tuple[str, ...] | None = None
        con.execute("CREATE OR REPLACE TEMP TABLE all_periods_whole AS SELECT * FROM all_periods")

    def set(self, periods: list[str]) -> bool:
        """Limit all_periods to `periods`; return False if there is none."""
        wanted = tuple(sorted(periods))
        if wanted and wanted != self.current:
            self.con.execute(
                "CREATE OR REPLACE TABLE all_periods AS SELECT * FROM all_periods_whole "
                "WHERE list_contains(?, period_id)",
                [list(wanted)],
            )
            self.current = wanted
        return bool(wanted)

    def restore(self) -> None:
        """Put every period back."""
        self.con.execute("CREATE OR REPLACE TABLE all_periods AS SELECT * FROM all_periods_whole")
        self.con.execute("DROP TABLE all_periods_whole")


ATTRIBUTION_JOIN = "LEFT JOIN attribution a ON a.person_id = r.person_id AND a.month = r.attr_month"


def _grouping_sets(
    levels: tuple[str, ...] = ("program", *LEVEL_COLUMNS), strata: tuple[str, ...] = STRATUM_COLUMNS
) -> str:
    sets = []
    for level in ("program", *LEVEL_COLUMNS):
        if level not in levels:
            continue
        base = ["measure_id", "period_id"] + ([LEVEL_COLUMNS[level]] if level != "program" else [])
        level_strata = [s for s in STRATUM_COLUMNS if s in strata and level in STRATIFIED_LEVELS]
        sets.append(base)
        sets += [[*base, s] for s in level_strata]
    return ", ".join("(" + ", ".join(s) + ")" for s in sets)


def _first_grouped(columns: tuple[str, ...], labels: tuple[str, ...], default: str) -> str:
    if not columns:
        return f"'{default}'"
    whens = " ".join(
        f"WHEN grouping({c}) = 0 THEN '{lab}'" for c, lab in zip(columns, labels, strict=True)
    )
    return f"CASE {whens} ELSE '{default}' END"


def exact_sum(expression: str) -> str:
    """Return SQL summing `expression` exactly (DECIMAL, 6 places): the same in any row order."""
    return f"CAST(sum({_decimal(expression)}) AS DOUBLE)"


def units_sql(source: str = "measure_rows") -> str:
    """Return the rows of `source` (the long shape) with their entities and strata."""
    return f"""
  SELECT r.measure_id, r.period_id, r.person_id, r.numerator, r.denominator,
         a.aco_id, coalesce(r.cp_id, a.cp_id) AS cp_id, a.practice_id,
         {age_band_sql("(year(r.attr_month) - p.birth_year)")} AS age_band,
         coalesce(p.gender, 'unknown') AS sex,
         coalesce(p.race, 'Unknown') AS race,
         coalesce(p.language, 'Unknown') AS language,
         coalesce(o.cp_type, 'No CP') AS cp_type
  FROM {source} r
  {ATTRIBUTION_JOIN}
  LEFT JOIN person p ON p.person_id = r.person_id
  LEFT JOIN organization o ON o.org_id = coalesce(r.cp_id, a.cp_id)"""


CELL_COLUMNS: tuple[str, ...] = (
    "measure_id",
    "period_id",
    *LEVEL_COLUMNS.values(),
    *STRATUM_COLUMNS,
)


def _labels(levels: tuple[str, ...], strata: tuple[str, ...]) -> str:
    """Return the level, entity_id, stratum and stratum_value columns of the grouping sets.

    Only columns that some grouping set groups by may be named (grouping() requires it).
    """
    level_names = tuple(lv for lv in LEVEL_COLUMNS if lv in levels)
    level_cols = tuple(LEVEL_COLUMNS[lv] for lv in level_names)
    strata_cols = tuple(s for s in STRATUM_COLUMNS if s in strata)
    if not any(lv in STRATIFIED_LEVELS for lv in levels):
        strata_cols = ()
    entity = f"coalesce({', '.join(level_cols)}, 'ALL')" if level_cols else "'ALL'"
    value = f"coalesce({', '.join(strata_cols)}, 'all')" if strata_cols else "'all'"
    return f"""{_first_grouped(level_cols, level_names, "program")} AS level,
       {entity} AS entity_id,
       {_first_grouped(strata_cols, strata_cols, "all")} AS stratum,
       {value} AS stratum_value"""


# A cell's sums over its clusters: numerator y, denominator d, y², d² and y·d, from which
# stats.ratio_variance works out the variance of y / d. With person_ids a cluster is a member's
# rows in the cell, summed; otherwise a row, and d² and y·d are NULL (not needed: a mean whose
# rows are independent has d = 1 on every row, and a proportion, rate or ratio of independent
# rows has its own interval), so that most measures sum no more than before. DECIMAL, so that
# any row order gives the same sums.
SUM_COLUMNS: tuple[str, ...] = (
    "numerator",
    "denominator",
    "numerator_sq",
    "denominator_sq",
    "numerator_denominator",
)
# With person_ids, how many members a cell's rows come from: all of them, those with some
# numerator (e.g. a day in the community) and those whose numerator is below their denominator
# (e.g. a day in a facility). A member whose rows fall in k cells (a move to another practice,
# an age band reached in January) counts 1/k in each, so the counts of every group are never
# above the members it holds (the cell-size rule is safe), and equal to them unless a member
# is only partly in it. NULL for the other measures.
PERSON_COLUMNS: tuple[str, ...] = ("persons", "persons_numerator", "persons_complement")


def _decimal(expression: str) -> str:
    return f"CAST({expression} AS DECIMAL(38, 6))"


PRODUCTS: dict[str, tuple[str, str]] = {
    "numerator_sq": ("numerator", "numerator"),
    "denominator_sq": ("denominator", "denominator"),
    "numerator_denominator": ("numerator", "denominator"),
}


def _sum_products(names: tuple[str, ...], cast: str = "{}") -> str:
    """Return the sums of the PRODUCTS `names` over a cell's clusters, from columns numerator
    and denominator as `cast` makes them (DOUBLE)."""
    pairs = {name: [cast.format(c) for c in PRODUCTS[name]] for name in names}
    return ",\n         ".join(
        f"sum({_decimal(f'{a} * {b}')}) AS {name}" for name, (a, b) in pairs.items()
    )


def _nulls(names: tuple[str, ...]) -> str:
    return ", ".join(f"{_decimal('NULL')} AS {name}" for name in names)


PLAIN_SUMS = f"""sum({_decimal("numerator")}) AS numerator,
         sum({_decimal("denominator")}) AS denominator"""
# The sums of rows that are clusters of their own, and then (as cells) their NULL columns: in
# the order of _person_cells_sql, as both are in one UNION ALL
ROW_SUMS = f"""{PLAIN_SUMS},
         {_sum_products(("numerator_sq",))},
         count(*) AS units"""
ROW_SUMMED = ("numerator", "denominator", "numerator_sq")
ROW_NULLS = _nulls(("denominator_sq", "numerator_denominator", *PERSON_COLUMNS))
# The cell columns of a row of unit_span's part (dim_id, attr_year, cp_override), from unit_dim
DIM_CELL = f"""d.aco_id, coalesce(cp_override, d.cp_id) AS cp_id,
         d.practice_id, {age_band_sql("(attr_year - d.birth_year)")} AS age_band,
         coalesce(d.sex, 'unknown') AS sex, coalesce(d.race, 'Unknown') AS race,
         coalesce(d.language, 'Unknown') AS language, coalesce(o.cp_type, 'No CP') AS cp_type"""
DIM_JOIN = """LEFT JOIN unit_dim d USING (dim_id)
  LEFT JOIN organization o ON o.org_id = coalesce(cp_override, d.cp_id)"""


def _span_part(rows: str, person: bool) -> str:
    """Return the rows summed by unit_span's dim_id (see UNIT_SPAN_SQL), also by member if
    `person`; a row with no month still gets its member's demographics, from the span holding
    0001-01 (never attributed)."""
    person_id = "r.person_id, " if person else ""
    sums = f"{PLAIN_SUMS},\n           count(*) AS units" if person else ROW_SUMS
    return f"""
    SELECT r.measure_id, r.period_id, {person_id}s.dim_id, year(r.attr_month) AS attr_year,
           r.cp_id AS cp_override,
           {sums}
    FROM {rows} r
    LEFT JOIN unit_span s
      ON s.person_id = r.person_id
     AND coalesce(r.attr_month, DATE '0001-01-01') BETWEEN s.first_month AND s.last_month
    GROUP BY ALL"""


def _cells_sql(rows: str, unit_span: bool) -> str:
    """Return the SELECT summing `rows` into cells (one per CELL_COLUMNS value), each row a
    cluster of its own."""
    keys = ", ".join(CELL_COLUMNS)
    if not unit_span:
        return f"""
  SELECT {keys},
         {ROW_SUMS},
         {ROW_NULLS}
  FROM ({units_sql(rows)}) u
  GROUP BY {keys}"""
    # The same cells through unit_span / unit_dim (see UNIT_SPAN_SQL).
    sums = ",\n         ".join(f"sum({c}) AS {c}" for c in (*ROW_SUMMED, "units"))
    return f"""
  SELECT measure_id, period_id, {DIM_CELL},
         {sums},
         {ROW_NULLS}
  FROM ({_span_part(rows, False)}
  ) part
  {DIM_JOIN}
  GROUP BY ALL"""


def _person_cells_sql(rows: str, unit_span: bool) -> str:
    """Return the SELECT summing `rows` into cells with each member's rows in a cell as one
    cluster (see SUM_COLUMNS and PERSON_COLUMNS)."""
    keys = ", ".join(CELL_COLUMNS)
    if unit_span:
        member_cells = f"""
      SELECT measure_id, period_id, person_id, {DIM_CELL},
             sum(numerator) AS numerator, sum(denominator) AS denominator, sum(units) AS units
      FROM ({_span_part(rows, True)}
      ) part
      {DIM_JOIN}
      GROUP BY ALL"""
    else:
        member_cells = f"""
      SELECT {keys}, person_id,
             {PLAIN_SUMS},
             count(*) AS units
      FROM ({units_sql(rows)}) u
      GROUP BY {keys}, person_id"""
    share = "CASE WHEN {} THEN share ELSE 0 END"
    return f"""
  SELECT {keys},
         sum(numerator) AS numerator, sum(denominator) AS denominator,
         {_sum_products(("numerator_sq",), "CAST({} AS DOUBLE)")},
         sum(units) AS units,
         {_sum_products(("denominator_sq", "numerator_denominator"), "CAST({} AS DOUBLE)")},
         sum(share) AS persons,
         sum({share.format("numerator > 0")}) AS persons_numerator,
         sum({share.format("numerator < denominator")}) AS persons_complement
  FROM ({_with_shares(member_cells, unit_span)}
  ) shared
  GROUP BY {keys}"""


MEMBER = "measure_id, period_id, person_id"


def _with_shares(member_cells: str, unit_span: bool) -> str:
    """Return the rows of `member_cells` (one per member and cell) with column share: 1/k for
    a member in k cells. DuckDB counts each member's cells by a grouping joined back, which
    costs less than a window carrying every column (at a million members 1.7 -> 1.5 s of CPU
    per measure and quarter); Spark gets the window (no MATERIALIZED there)."""
    if not unit_span:
        return f"""
    SELECT *, {_decimal(f"1.0 / count(*) OVER (PARTITION BY {MEMBER})")} AS share
    FROM ({member_cells}
    ) member_cell"""
    return f"""
    WITH member_cell AS MATERIALIZED ({member_cells}
    ),
    cells_of_member AS (
      SELECT {MEMBER}, {_decimal("1.0 / count(*)")} AS share
      FROM member_cell
      GROUP BY {MEMBER}
    )
    SELECT * FROM member_cell JOIN cells_of_member USING ({MEMBER})"""


def _where(source: str, condition: str) -> str:
    return f"(SELECT * FROM {source} WHERE {condition})"


def _is_one_of(ids: tuple[str, ...]) -> str:
    return "measure_id IN (" + ", ".join(f"'{m}'" for m in ids) + ")" if ids else "FALSE"


# Persons are rounded up: a member in k cells adds 1/k (6 decimals) to each, and a count of
# members is a whole number at least as large as its shares' sum (tolerance for the rounding).
PERSONS_SUM = "CAST(ceil(sum({0}) - 0.001) AS DOUBLE) AS {0}"


def aggregate_sql(
    median_ids: tuple[str, ...] = (),
    source: str = "measure_rows",
    levels: tuple[str, ...] = ("program", *LEVEL_COLUMNS),
    strata: tuple[str, ...] = STRATUM_COLUMNS,
    unit_span: bool = False,
    person_ids: tuple[str, ...] = (),
    source_ids: tuple[str, ...] | None = None,
) -> str:
    """Return the query that joins attribution and demographics once and aggregates.

    In two steps: the rows are first summed into cells (one per measure, period, ACO, CP,
    practice and every stratum column: CELL_COLUMNS), then the GROUPING SETS sum the cells,
    so the 19 grouping sets read a few cells rather than every row. The sums are exact
    (DECIMAL, see exact_sum), so the result is the same as summing the rows directly.
    The median, a holistic aggregate, is computed only for the measures in `median_ids`,
    straight from their rows. The measures in `person_ids` (spec.cluster 'person') have each
    member's rows in a cell summed first, so their squares and products are per member and
    the persons columns count members (SUM_COLUMNS, PERSON_COLUMNS). `source_ids`, when
    known, are the measures `source` holds: only the steps they need read it (a DuckDB run
    aggregates one measure, straight from its query). `levels` and `strata` limit the grouping
    sets (a spec's own); unit_span=True looks entities and strata up in the tables of
    UNIT_SPAN_SQL (DuckDB run).
    """
    rows = _where(source, f"NOT {_is_one_of(median_ids)}") if median_ids else source
    ids = set(source_ids) - set(median_ids) if source_ids is not None else None
    by_person = bool(person_ids) and (ids is None or bool(ids & set(person_ids)))
    by_row = ids is None or bool(ids - set(person_ids))
    is_person = _is_one_of(person_ids)
    cells = []
    if by_row:
        cells.append(_cells_sql(_where(rows, f"NOT {is_person}") if by_person else rows, unit_span))
    if by_person:
        cells.append(_person_cells_sql(_where(rows, is_person) if by_row else rows, unit_span))
    if not cells:  # the source holds medians only
        return _medians_sql(median_ids, source, levels, strata)
    union = "\n  UNION ALL".join(cells)
    sums = ",\n       ".join(f"CAST(sum({c}) AS DOUBLE) AS {c}" for c in SUM_COLUMNS)
    persons = ",\n       ".join(PERSONS_SUM.format(c) for c in PERSON_COLUMNS)
    query = f"""
WITH cells AS ({union}
)
SELECT measure_id, period_id,
       {_labels(levels, strata)},
       {sums},
       CAST(NULL AS DOUBLE) AS median,
       CAST(sum(units) AS BIGINT) AS units,
       {persons}
FROM cells
GROUP BY GROUPING SETS ({_grouping_sets(levels, strata)})
"""
    if not median_ids:
        return query
    return f"{query}UNION ALL{_medians_sql(median_ids, source, levels, strata)}"


def _medians_sql(
    median_ids: tuple[str, ...], source: str, levels: tuple[str, ...], strata: tuple[str, ...]
) -> str:
    """Return the aggregation of the measures in `median_ids`, straight from their rows."""
    nulls = {c: "CAST(NULL AS DOUBLE)" for c in (*SUM_COLUMNS, *PERSON_COLUMNS)}
    exact = {c: exact_sum(c) for c in ("numerator", "denominator")}
    exact["numerator_sq"] = exact_sum("numerator * numerator")
    columns = {**nulls, **exact, "median": "median(numerator)", "units": "count(*)"}
    order = (*SUM_COLUMNS, "median", "units", *PERSON_COLUMNS)
    return f"""
SELECT measure_id, period_id,
       {_labels(levels, strata)},
       {", ".join(f"{columns[c]} AS {c}" for c in order)}
FROM ({units_sql(_where(source, _is_one_of(median_ids)))}) u
GROUP BY GROUPING SETS ({_grouping_sets(levels, strata)})
"""


def spec_metadata(specs: list[MeasureSpec]) -> pd.DataFrame:
    """Return one row per measure with the metadata the statistics and pages need."""
    part_of = whole_of_parts(specs)
    rows = [
        {
            "measure_id": s.id,
            "kind": s.kind,
            "direction": s.direction,
            "multiplier": s.multiplier,
            "decimals": s.decimals,
            "min_denominator": s.min_denominator,
            "family": s.family,
            "weight": s.weight,
            "unit": s.unit,
            "part_of": part_of.get(s.id, ""),
            "shared_numerator": s.shared_counts.get("numerator", ""),
            "shared_denominator": s.shared_counts.get("denominator", ""),
            "window": s.window,
            "star_method": s.stars.method,
            "star_thresholds": list(s.stars.thresholds) if s.stars.thresholds else None,
            "strata": set(s.strata),
            "levels": set(s.levels),
        }
        for s in specs
    ]
    return pd.DataFrame(rows)


def whole_of_parts(specs: list[MeasureSpec]) -> dict[str, str]:
    """Return part id -> the id of the measure it is a part of (spec.parts), for the measures
    whose every part is among `specs` (a missing part leaves the others nothing to give away)."""
    ids = {s.id for s in specs}
    return {part: s.id for s in specs if s.parts and set(s.parts) <= ids for part in s.parts}


def _keep_declared(results: pd.DataFrame) -> pd.Series:
    entity_known = (results["level"] == "program") | (results["entity_id"] != "ALL")
    level_wanted = [
        lv in levels for lv, levels in zip(results["level"], results["levels"], strict=True)
    ]
    stratum_wanted = [
        s == "all" or s in strata
        for s, strata in zip(results["stratum"], results["strata"], strict=True)
    ]
    return (
        entity_known
        & pd.Series(level_wanted, index=results.index)
        & pd.Series(stratum_wanted, index=results.index)
    )


def compute_values(results: pd.DataFrame) -> pd.Series:
    """Return each value: the median, or numerator / denominator x multiplier."""
    ratio = results["numerator"] / results["denominator"].where(results["denominator"] != 0)
    scaled = ratio * results["multiplier"].where(results["kind"].isin(["proportion", "rate"]), 1.0)
    return scaled.where(results["kind"] != "median", results["median"])


def aggregate(
    con: duckdb.DuckDBPyConnection, specs: list[MeasureSpec], all_periods: pd.DataFrame
) -> pd.DataFrame:
    """Return the tidy results table: one row per measure, period, level, entity and stratum.

    Reads table measure_results, which run_measures() filled measure by measure.
    """
    raw = con.execute("SELECT * FROM measure_results").df()
    return shape_results(raw, specs, all_periods)


def median_measures(specs: list[MeasureSpec]) -> tuple[str, ...]:
    """Return the ids of the measures whose value is a median."""
    return tuple(s.id for s in specs if s.kind == "median")


def person_measures(specs: list[MeasureSpec]) -> tuple[str, ...]:
    """Return the ids of the measures whose rows are clustered by member (spec.cluster)."""
    return tuple(s.id for s in specs if s.cluster == "person")


def shape_results(
    raw: pd.DataFrame, specs: list[MeasureSpec], all_periods: pd.DataFrame
) -> pd.DataFrame:
    """Return the tidy results table from the rows of aggregate_sql(), whichever engine ran it."""
    results = raw.merge(spec_metadata(specs), on="measure_id").merge(all_periods, on="period_id")
    results = results[_keep_declared(results)].copy()
    results["value"] = compute_values(results)
    results["open_gaps"] = open_gap_counts(results, {s.id for s in specs if is_care_gap_measure(s)})
    ordered = [
        "measure_id",
        "period_id",
        "period_end",
        "level",
        "entity_id",
        "stratum",
        "stratum_value",
        "numerator",
        "denominator",
        "numerator_sq",
        "denominator_sq",
        "numerator_denominator",
        "units",
        *PERSON_COLUMNS,
        "value",
        "open_gaps",
        *META_COLUMNS,
        "star_method",
        "star_thresholds",
    ]
    sort_keys = ["measure_id", "period_id", "level", "entity_id", "stratum", "stratum_value"]
    return results[ordered].sort_values(sort_keys, ignore_index=True)


PERIODS_SQL = "SELECT period_id, period_end FROM all_periods"
ORGANIZATIONS_SQL = (
    "SELECT org_id, org_type, org_name, cp_type, parent_org_id FROM organization ORDER BY org_id"
)
ASSESSMENT_SQL = (
    "SELECT cp_id, focus_area, rating, recommendation, assessment_date FROM cp_assessment "
    "ORDER BY cp_id, assessment_date, focus_area"
)


def load_checked(
    con: duckdb.DuckDBPyConnection, data_dir: Path, cache: ExtractCache | None = None
) -> tuple[set[str], list[Problem]]:
    """Load and check the marts and make the helpers they alone decide (extract_helpers.sql);
    return the marts supplied and every problem. With a `cache`, what the connection already
    holds from a kept extract is taken as it is, and marts loaded without a problem are kept,
    with those helpers, for the next build (scorecard/extract.py)."""
    restored = cache.restored_marts(con) if cache else None
    if restored is not None:
        window = data_window(con)
        if con.execute("SELECT data_start, data_end FROM data_window").fetchone() != window:
            create_extract_helpers(con, *window)  # kept by code that set the window otherwise
        return restored, []
    tables, problems = load_marts(con, data_dir)
    if problems:
        return tables, problems
    key_person_ids(con)
    key_claim_ids(con)
    record_warnings(con)
    try:
        create_extract_helpers(con, *data_window(con))
    except MartError as exc:
        return tables, list(exc.problems)
    if cache:
        cache.keep(con, tables)
    return tables, []


def prepare(
    con: duckdb.DuckDBPyConnection,
    data_dir: Path,
    value_set_dir: Path,
    period_id: str | None,
    cache: ExtractCache | None = None,
) -> tuple[set[str], date, date, str]:
    """Load and validate marts and value sets; return tables, data window and target period."""
    tables, problems = load_checked(con, data_dir, cache)
    if problems:
        raise MartError(problems)
    load_value_sets(con, value_set_dir)
    start, end = data_window(con)
    target = resolve_period(period_id, complete_quarters(start, end))
    return tables, start, end, target


def run(
    data_dir: Path,
    value_set_dir: Path,
    specs: list[MeasureSpec],
    period_id: str | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    history: Path | None = None,
    cache: ExtractCache | None = None,
) -> EngineRun:
    """Load and validate the marts, run every measure and return the aggregated results.

    With a `history` folder (scorecard/history.py), earlier periods held there under the same
    definition are read back instead of computed; the rows computed are returned in
    EngineRun.computed_rows for the caller to store once the version is published. With a
    `cache` (scorecard/extract.py), marts already checked are not loaded and checked again.
    """
    con = con or connect()
    steps, lap = {}, time.perf_counter()
    tables, start, end, target = prepare(con, data_dir, value_set_dir, period_id, cache)
    lap = _timed(steps, STEP_MARTS, lap)
    create_build_helpers(con, start, end, target)
    specs, too_short = short_of_history(specs, start, target)
    specs, unlisted, drug_warnings = drug_list.check(con, specs, tables, value_set_dir)
    runnable = [s for s in specs if not missing_tables(s, tables)]
    declare_shared_tables(con, runnable)
    chosen, definitions, stored = None, {}, None
    if history is not None:
        definitions, stored, chosen = plan_history(con, runnable, value_set_dir, history, target)
    make_period_helpers(con, _periods_computed(chosen.compute) if chosen else None)
    lap = _timed(steps, STEP_HELPERS, lap)
    seconds: dict[str, float] = {}
    skipped = run_measures(con, specs, tables, seconds, chosen.compute if chosen else None)
    skipped.update({**too_short, **unlisted})
    refuse_nothing_to_compute(specs, skipped)
    lap = _timed(steps, STEP_MEASURES, lap)
    computed = None
    if chosen is not None:
        computed = con.execute("SELECT * FROM measure_results").df()
        add_read_back(con, results_history.reused_rows(stored, chosen, definitions))
    all_periods = con.execute(PERIODS_SQL).df()
    results = aggregate(con, [s for s in specs if s.id not in skipped], all_periods)
    periods = sorted(results["period_id"].unique())
    organizations = con.execute(ORGANIZATIONS_SQL).df()
    _timed(steps, STEP_RESULTS, lap)
    done = EngineRun(results, target, periods, start, end, tables, organizations, skipped)
    done.seconds, done.steps, done.warnings = seconds, steps, drug_warnings
    done.computed_rows, done.definitions, done.history_plan = computed, definitions, chosen
    if "cp_assessment" in tables:
        done.cp_assessment = con.execute(ASSESSMENT_SQL).df()
    return done


def refuse_nothing_to_compute(specs: list[MeasureSpec], skipped: dict[str, str]) -> None:
    """Raise NothingToComputeError, with each measure's reason, if every spec was skipped."""
    if not [s for s in specs if s.id not in skipped]:
        raise NothingToComputeError([Problem(f"{i}.yml", "", why) for i, why in skipped.items()])


STEP_MARTS = "marts loaded and checked (or copied from a kept extract)"
STEP_HELPERS = "helper tables (and the results history read)"
STEP_MEASURES = "measures"
STEP_RESULTS = "results gathered and shaped"


def _timed(steps: dict[str, float], step: str, started: float) -> float:
    """Record the wall time of `step` since `started` in `steps`; return the time now."""
    now = time.perf_counter()
    steps[step] = now - started
    return now


def _periods_computed(compute: dict[str, list[str]]) -> list[str]:
    return sorted({period for periods in compute.values() for period in periods})


def add_read_back(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame | None) -> None:
    """Add the rows read back from the results history (if any) to table measure_results."""
    if rows is None:
        return
    con.register("read_back_rows", rows)
    con.execute("INSERT INTO measure_results BY NAME SELECT * FROM read_back_rows")
    con.unregister("read_back_rows")


def plan_history(
    con: duckdb.DuckDBPyConnection,
    specs: list[MeasureSpec],
    value_set_dir: Path,
    history: Path,
    target: str,
) -> tuple[dict[str, str], pd.DataFrame, results_history.Plan]:
    """Return the specs' definitions, the rows the history holds for their periods, and the
    plan of what to compute and what to read back (scorecard/history.py)."""
    definitions = measure_definitions(con, specs, value_set_dir)
    valid = {s.id: measure_periods(con, s) for s in specs}
    stored = results_history.read_stored(history, sorted({p for v in valid.values() for p in v}))
    return definitions, stored, results_history.plan(valid, definitions, stored, target)


def measure_periods(con: duckdb.DuckDBPyConnection, spec: MeasureSpec) -> list[str]:
    """Return the periods the spec has results for in this build (its periods CTE)."""
    query = f"WITH {periods_cte(spec)} SELECT period_id FROM periods ORDER BY period_id"
    return [r[0] for r in con.execute(query).fetchall()]


def measure_definitions(
    con: duckdb.DuckDBPyConnection, specs: list[MeasureSpec], value_set_dir: Path
) -> dict[str, str]:
    """Return each spec's definition hash: its row and aggregation SQL, the shared tables it
    reads, the helper views, the attribution lookup and every code list (scorecard/history.py).
    """
    shared = (
        EXTRACT_HELPERS_SQL.read_text(encoding="utf-8"),
        HELPERS_SQL.read_text(encoding="utf-8"),
        UNIT_SPAN_SQL,
        results_history.files_digest(list(Path(value_set_dir).glob("*.csv"))),
    )
    definitions = {}
    for spec in specs:
        rows_sql, _, query = measure_queries(con, spec)
        parts = (rows_sql, *spec.shared_tables.values(), query, *shared)
        definitions[spec.id] = results_history.definition_hash(*parts)
    return definitions


def panel_sizes(con: duckdb.DuckDBPyConnection, period_id: str) -> pd.DataFrame:
    """Return level, entity_id and members (distinct people attributed in the quarter's months)."""
    start = pd.Period(period_id, freq="Q").start_time.date()
    parts = [
        f"SELECT '{level}' AS level, {column} AS entity_id, count(DISTINCT person_id) AS members "
        f"FROM attribution WHERE {column} IS NOT NULL AND month BETWEEN ? AND ? GROUP BY ALL"
        for level, column in LEVEL_COLUMNS.items()
    ]
    query = " UNION ALL ".join(parts) + " ORDER BY level, entity_id"
    return con.execute(query, [start, period_end(period_id)] * len(parts)).df()


CARE_GAP_ROW_COLUMNS = (
    "person_id",
    "measure_id",
    "period_id",
    "aco_id",
    "practice_id",
    "cp_id",
    "open_gaps",
)


def care_gap_rows(
    con: duckdb.DuckDBPyConnection, specs: list[MeasureSpec], period_id: str
) -> pd.DataFrame:
    """Return the program's quality care gaps in measure_rows for period_id: one row per
    member, measure and attribution (CARE_GAP_ROW_COLUMNS).

    A gap is a unit (member, discharge, visit) in the denominator but not the numerator of a
    higher-is-better quality proportion, or in the numerator of a lower-is-better one (e.g.
    HbA1c poor control). aco_id, practice_id and cp_id are the member's attribution in the
    month the measure attributes the unit to (as the results count it; empty when none);
    open_gaps is how many of the member's units are open there (more than 1 only for measures
    counted in discharges or visits), so open_gaps adds up to the results' open_gaps at
    program level. Person level: only for internal output (see scorecard.audience).
    """
    quality = [s for s in specs if is_care_gap_measure(s)]
    columns = list(CARE_GAP_ROW_COLUMNS)
    if not quality:
        return pd.DataFrame(columns=columns)
    directions = ", ".join(f"('{s.id}', {s.direction == 'lower_is_better'})" for s in quality)
    person_id, person_join = "r.person_id", ""
    if has_person_keys(con):  # the members' own ids, not their keys
        person_id = "k.person_id"
        person_join = f"\n        JOIN {PERSON_REF} k ON k.person_key = r.person_id"
    return con.execute(
        f"""
        SELECT {person_id} AS person_id, r.measure_id, r.period_id, a.aco_id, a.practice_id,
               coalesce(r.cp_id, a.cp_id) AS cp_id,
               sum(CASE WHEN m.inverse THEN r.numerator
                        ELSE r.denominator - coalesce(r.numerator, 0) END) AS open_gaps
        FROM measure_rows r{person_join}
        JOIN (VALUES {directions}) AS m(measure_id, inverse) ON m.measure_id = r.measure_id
        LEFT JOIN attribution a ON a.person_id = r.person_id AND a.month = r.attr_month
        WHERE r.period_id = ? AND r.denominator > 0
          AND CASE WHEN m.inverse THEN r.numerator > 0
                   ELSE coalesce(r.numerator, 0) < r.denominator END
        GROUP BY ALL
        ORDER BY person_id, r.measure_id, aco_id NULLS FIRST, practice_id NULLS FIRST,
                 cp_id NULLS FIRST
        """,
        [period_id],
    ).df()[columns]
