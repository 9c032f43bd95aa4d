"""Run every compiled measure in DuckDB and aggregate by level x period x stratum.

The pipeline inside the database: marts -> helper views -> measure rows (one table, the long
shape of compile.py) -> attribution and demographics joined once -> GROUPING SETS. Person ids
never leave this module: the results table holds aggregates only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from scorecard.compile import compile_measure, describe_sql
from scorecard.marts import MartError, Problem, load_marts
from scorecard.specs import MeasureSpec

HELPERS_SQL = Path(__file__).with_name("sql") / "helpers.sql"

LEVEL_COLUMNS: dict[str, str] = {"aco": "aco_id", "cp": "cp_id", "practice": "practice_id"}
STRATUM_COLUMNS: tuple[str, ...] = ("age_band", "sex", "race", "language", "cp_type")
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


def connect(
    threads: int | None = None, memory_limit: str | None = None
) -> duckdb.DuckDBPyConnection:
    """Return an in-memory DuckDB connection with the given resource limits."""
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    return con


def load_value_sets(con: duckdb.DuckDBPyConnection, value_set_dir: Path) -> None:
    """Load every code list in `value_set_dir` into table value_set (value_set = file stem)."""
    files = sorted(Path(value_set_dir).glob("*.csv"))
    if not files:
        con.execute(
            "CREATE OR REPLACE TABLE value_set (value_set VARCHAR, code VARCHAR, "
            "code_system VARCHAR, description VARCHAR, drug_class VARCHAR)"
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
    if "drug_class" not in columns:
        con.execute("ALTER TABLE value_set ADD COLUMN drug_class VARCHAR")


def data_window(con: duckdb.DuckDBPyConnection) -> tuple[date, date]:
    """Return the first day of the first data month and the last day of the last data month."""
    start, end = con.execute(
        """
        SELECT coalesce(min(d0), (SELECT min(month) FROM attribution),
                        (SELECT min(enrollment_start_date) FROM eligibility)),
               coalesce(max(d1), (SELECT max(month) FROM attribution),
                        least((SELECT max(enrollment_end_date) FROM eligibility), current_date))
        FROM (SELECT claim_start_date AS d0, claim_end_date AS d1 FROM medical_claim
              UNION ALL SELECT dispensing_date, dispensing_date FROM pharmacy_claim)
        """
    ).fetchone()
    if start is None or end is None:
        raise MartError([Problem("eligibility", "(file)", "no dates found: the marts are empty")])
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
        raise MartError([Problem("--period", "(option)", message)])
    return period_id


def helpers_sql(start: date, end: date, target: str) -> str:
    """Return sql/helpers.sql (DuckDB SQL) filled in for this data window and target period."""
    first_quarter = pd.Period(pd.Timestamp(start), freq="Q").start_time.date()
    return HELPERS_SQL.read_text(encoding="utf-8").format(
        data_start=start.isoformat(),
        data_end=end.isoformat(),
        target_end=period_end(target),
        first_quarter=first_quarter.isoformat(),
    )


def create_helpers(con: duckdb.DuckDBPyConnection, start: date, end: date, target: str) -> None:
    """Create the helper views of sql/helpers.sql for this data window and target period."""
    con.execute(helpers_sql(start, end, target))


def missing_tables(spec: MeasureSpec, tables: set[str]) -> list[str]:
    """Return the tables a spec requires that were not supplied."""
    return [t for t in spec.requires if t not in tables]


def run_measures(
    con: duckdb.DuckDBPyConnection, specs: list[MeasureSpec], tables: set[str]
) -> dict[str, str]:
    """Insert every runnable measure's rows into table measure_rows; return skipped id -> why."""
    con.execute(
        "CREATE OR REPLACE TABLE measure_rows (measure_id VARCHAR, period_id VARCHAR, "
        "person_id VARCHAR, attr_month DATE, numerator DOUBLE, denominator DOUBLE, cp_id VARCHAR)"
    )
    skipped: dict[str, str] = {}
    for spec in specs:
        missing = missing_tables(spec, tables)
        if missing:
            skipped[spec.id] = f"needs table(s) not supplied: {', '.join(missing)}"
            continue
        columns = [r[0] for r in con.execute(f"DESCRIBE {describe_sql(spec)}").fetchall()]
        con.execute(f"INSERT INTO measure_rows {compile_measure(spec, columns)}")
    return skipped


def _grouping_sets() -> str:
    sets = []
    for level in ("program", *LEVEL_COLUMNS):
        base = ["measure_id", "period_id"] + ([LEVEL_COLUMNS[level]] if level != "program" else [])
        strata = STRATUM_COLUMNS if level in STRATIFIED_LEVELS else ()
        sets.append(base)
        sets += [[*base, s] for s in strata]
    return ", ".join("(" + ", ".join(s) + ")" for s in sets)


def _first_grouped(columns: tuple[str, ...], labels: tuple[str, ...], default: str) -> str:
    whens = " ".join(
        f"WHEN grouping({c}) = 0 THEN '{lab}'" for c, lab in zip(columns, labels, strict=True)
    )
    return f"CASE {whens} ELSE '{default}' END"


def exact_sum(expression: str) -> str:
    """Return SQL summing `expression` exactly (DECIMAL, 6 places): the same in any row order."""
    return f"CAST(sum(CAST({expression} AS DECIMAL(38, 6))) AS DOUBLE)"


def aggregate_sql(median_ids: tuple[str, ...] = ()) -> str:
    """Return the query that joins attribution and demographics once and aggregates.

    The median, a holistic aggregate, is computed only for the measures in `median_ids`:
    over every grouping set of every measure it would cost more than all the sums together.
    """
    level_cols = tuple(LEVEL_COLUMNS.values())
    is_median = " OR ".join(f"measure_id = '{m}'" for m in median_ids) or "false"
    return f"""
WITH units AS (
  SELECT r.measure_id, r.period_id, r.numerator, r.denominator,
         a.aco_id, coalesce(r.cp_id, a.cp_id) AS cp_id, a.practice_id,
         {age_band_sql("(year(r.attr_month) - p.birth_year)")} AS age_band,
         coalesce(p.gender, 'unknown') AS sex,
         coalesce(p.race, 'Unknown') AS race,
         coalesce(p.language, 'Unknown') AS language,
         coalesce(o.cp_type, 'No CP') AS cp_type
  FROM measure_rows r
  LEFT JOIN attribution a ON a.person_id = r.person_id AND a.month = r.attr_month
  LEFT JOIN person p ON p.person_id = r.person_id
  LEFT JOIN organization o ON o.org_id = coalesce(r.cp_id, a.cp_id)
)
SELECT measure_id, period_id,
       {_first_grouped(level_cols, tuple(LEVEL_COLUMNS), "program")} AS level,
       coalesce({", ".join(level_cols)}, 'ALL') AS entity_id,
       {_first_grouped(STRATUM_COLUMNS, STRATUM_COLUMNS, "all")} AS stratum,
       coalesce({", ".join(STRATUM_COLUMNS)}, 'all') AS stratum_value,
       {exact_sum("numerator")} AS numerator,
       {exact_sum("denominator")} AS denominator,
       {exact_sum("numerator * numerator")} AS numerator_sq,
       median(numerator) FILTER (WHERE {is_median}) AS median,
       count(*) AS units
FROM units
GROUP BY GROUPING SETS ({_grouping_sets()})
"""


def spec_metadata(specs: list[MeasureSpec]) -> pd.DataFrame:
    """Return one row per measure with the metadata the statistics and pages need."""
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
            "star_method": s.stars.method,
            "star_thresholds": list(s.stars.thresholds) if s.stars.thresholds else None,
            "strata": set(s.strata),
            "levels": set(s.levels),
        }
        for s in specs
    ]
    return pd.DataFrame(rows)


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
    """Return the tidy results table: one row per measure, period, level, entity and stratum."""
    raw = con.execute(aggregate_sql(median_measures(specs))).df()
    return shape_results(raw, specs, all_periods)


def median_measures(specs: list[MeasureSpec]) -> tuple[str, ...]:
    """Return the ids of the measures whose value is a median."""
    return tuple(s.id for s in specs if s.kind == "median")


def shape_results(
    raw: pd.DataFrame, specs: list[MeasureSpec], all_periods: pd.DataFrame
) -> pd.DataFrame:
    """Return the tidy results table from the rows of aggregate_sql(), whichever engine ran it."""
    results = raw.merge(spec_metadata(specs), on="measure_id").merge(all_periods, on="period_id")
    results = results[_keep_declared(results)].copy()
    results["value"] = compute_values(results)
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
        "units",
        "value",
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


def prepare(
    con: duckdb.DuckDBPyConnection, data_dir: Path, value_set_dir: Path, period_id: str | None
) -> tuple[set[str], date, date, str]:
    """Load and validate marts and value sets; return tables, data window and target period."""
    tables, problems = load_marts(con, data_dir)
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
) -> EngineRun:
    """Load and validate the marts, run every measure and return the aggregated results."""
    con = con or connect()
    tables, start, end, target = prepare(con, data_dir, value_set_dir, period_id)
    create_helpers(con, start, end, target)
    skipped = run_measures(con, specs, tables)
    all_periods = con.execute(PERIODS_SQL).df()
    results = aggregate(con, [s for s in specs if s.id not in skipped], all_periods)
    periods = sorted(results["period_id"].unique())
    organizations = con.execute(ORGANIZATIONS_SQL).df()
    done = EngineRun(results, target, periods, start, end, tables, organizations, skipped)
    if "cp_assessment" in tables:
        done.cp_assessment = con.execute(ASSESSMENT_SQL).df()
    return done


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


def care_gap_rows(
    con: duckdb.DuckDBPyConnection, specs: list[MeasureSpec], period_id: str
) -> pd.DataFrame:
    """Return cp_id, person_id, measure_id, period_id of quality care gaps in measure_rows.

    A gap is a member in the denominator but not the numerator of a higher-is-better quality
    proportion, or in the numerator of a lower-is-better one (e.g. HbA1c poor control). Person
    level: only for internal output (see scorecard.audience).
    """
    quality = [s for s in specs if s.family == "quality" and s.kind == "proportion"]
    columns = ["cp_id", "person_id", "measure_id", "period_id"]
    if not quality:
        return pd.DataFrame(columns=columns)
    directions = ", ".join(f"('{s.id}', {s.direction == 'lower_is_better'})" for s in quality)
    return con.execute(
        f"""
        SELECT DISTINCT coalesce(r.cp_id, a.cp_id) AS cp_id, r.person_id, r.measure_id,
               r.period_id
        FROM measure_rows r
        JOIN (VALUES {directions}) AS m(measure_id, inverse) ON m.measure_id = r.measure_id
        LEFT JOIN attribution a ON a.person_id = r.person_id AND a.month = r.attr_month
        WHERE r.period_id = ? AND coalesce(r.cp_id, a.cp_id) IS NOT NULL AND r.denominator > 0
          AND CASE WHEN m.inverse THEN r.numerator > 0
                   ELSE coalesce(r.numerator, 0) < r.denominator END
        ORDER BY cp_id, r.person_id, r.measure_id
        """,
        [period_id],
    ).df()[columns]
