"""Compile a measure spec into one readable SQL query in the shared long shape.

A measure's SQL (measures/sql/<id>.sql) is a SELECT over the marts and the helper views that
returns one row per unit counted:

    period_id    the reporting period the row belongs to (from `periods`)
    person_id    the member (never leaves the engine)
    attr_month   the month whose attribution assigns the row to an ACO, CP and practice
    numerator    0/1 for a proportion, a count for a rate, a value for a mean or median
    denominator  1 for a proportion, mean or median; the exposure for a rate; expected for a ratio
    cp_id        optional: the CP that owns the row (CP measures), overriding attribution

`periods` is defined by the compiler for the spec's window:
    period_id, period_start (quarter start), period_end, window_start
where window_start is the quarter start (window: quarter) or 12 months before period_end
(window: year).
"""

from __future__ import annotations

from scorecard.specs import PERIOD_EXCLUSIONS, SHARED_PREFIX, MeasureSpec

LONG_SHAPE: tuple[str, ...] = ("period_id", "person_id", "attr_month", "numerator", "denominator")
OVERRIDES: tuple[str, ...] = ("cp_id",)

WINDOW_MONTHS: dict[str, int] = {"quarter": 3, "year": 12}
WINDOW_START: dict[str, str] = {
    "quarter": "period_start",
    "year": "CAST(period_end - INTERVAL 12 MONTH + INTERVAL 1 DAY AS DATE)",
}


def periods_cte(spec: MeasureSpec) -> str:
    """Return the SQL of the `periods` CTE for the spec's window: the periods whose window, and
    the spec's look-back before it (lookback_months), are inside the data."""
    start = WINDOW_START[spec.window]
    earliest = f"{start} - INTERVAL {spec.lookback_months} MONTH" if spec.lookback_months else start
    return (
        "periods AS (\n"
        "  SELECT period_id, period_start, period_end,\n"
        f"         {start} AS window_start\n"
        "  FROM all_periods\n"
        f"  WHERE {earliest} >= (SELECT data_start FROM data_window)\n"
        ")"
    )


def strip_sql(sql: str) -> str:
    """Return the spec SQL without trailing semicolons or whitespace."""
    return sql.strip().rstrip(";").strip()


class MeasureShapeError(ValueError):
    """Raised when a measure's SQL lacks a column of the long shape (shape_problem says which)."""


def sql_path(spec: MeasureSpec) -> str:
    """Return the spec's SQL file as messages name it: its path as found (in the measures
    folder used), else measures/<sql_file>."""
    return spec.sql_path or f"measures/{spec.sql_file}"


def shape_problem(spec: MeasureSpec, output_columns: list[str]) -> str | None:
    """Return the problem of a measure's SQL whose columns (`output_columns`) lack one of
    LONG_SHAPE, naming its file and the columns missing; None if it has them all."""
    missing = [c for c in LONG_SHAPE if c not in output_columns]
    if not missing:
        return None
    return (
        f"{sql_path(spec)}: sql: returns no column(s) {', '.join(missing)}: a measure's SQL "
        f"returns one row per unit with columns {', '.join(LONG_SHAPE)} (and optionally "
        f"{', '.join(OVERRIDES)})"
    )


def compile_measure(spec: MeasureSpec, output_columns: list[str]) -> str:
    """Return the compiled query: the spec's rows labelled with its id, in the long shape.
    Raise MeasureShapeError if the SQL lacks a column of it (shape_problem)."""
    problem = shape_problem(spec, output_columns)
    if problem:
        raise MeasureShapeError(problem)
    overrides = [(c if c in output_columns else f"CAST(NULL AS VARCHAR) AS {c}") for c in OVERRIDES]
    return (
        f"-- measure {spec.id} v{spec.version}: {spec.title}\n"
        f"WITH {periods_cte(spec)},\n"
        f"measure_rows AS (\n{strip_sql(spec.sql)}\n)\n"
        f"SELECT '{spec.id}' AS measure_id, period_id, person_id,\n"
        "       CAST(date_trunc('month', attr_month) AS DATE) AS attr_month,\n"
        "       CAST(numerator AS DOUBLE) AS numerator,\n"
        "       CAST(denominator AS DOUBLE) AS denominator,\n"
        f"       {', '.join(overrides)}\n"
        "FROM measure_rows r"
        + "".join(
            f"\n{'WHERE' if i == 0 else '  AND'} {not_excluded(name)}"
            for i, name in enumerate(spec.exclusions)
        )
    )


def not_excluded(name: str) -> str:
    """Return the condition leaving out the rows of a member who is in the shared table `name`
    (person_id, service_date) on a day of the period's window, or for an exclusion of
    PERIOD_EXCLUSIONS (person_id, period_end) with the period's end (spec exclusions)."""
    if name in PERIOD_EXCLUSIONS:
        when = "x.period_end = p.period_end"
    else:
        when = "x.service_date BETWEEN p.window_start AND p.period_end"
    return (
        "NOT EXISTS (\n"
        f"  SELECT 1 FROM {SHARED_PREFIX}{name} x JOIN periods p ON p.period_id = r.period_id\n"
        "  WHERE x.person_id = r.person_id\n"
        f"    AND {when}\n"
        ")"
    )


def describe_sql(spec: MeasureSpec) -> str:
    """Return the spec's own query with its periods CTE, for DESCRIBE (column discovery)."""
    return f"WITH {periods_cte(spec)}\nSELECT * FROM (\n{strip_sql(spec.sql)}\n)"
