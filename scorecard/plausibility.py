"""Warnings about marts that pass every check of the contract but look wrong.

They do not stop a build (the data may be right); `scorecard check` and `build` print each as
a line `  warning: ...`. Two kinds:

- claim totals repeated on every line of institutional claims (the cost measures would count
  them once per line), found once the marts are checked and kept in the working database (so a
  build from a kept extract reports them too): record_warnings / recorded_warnings;
- a month of the published quarter with far fewer claims per enrolled member than usual,
  which is what claims not all in yet look like (run-out): runout_warnings, for the period
  being published.

Each is a Finding: a message for whoever runs the build, and what the published pages tell
their readers about it (reader_notes: no counts, plain words, English and Spanish).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from scorecard import i18n
from scorecard.marts import has_table

REPEATED_TOTALS, RUNOUT = "repeated_totals", "runout"
DRUG_LIST = "drug_list"  # found by scorecard/drug_list.py once the code lists are loaded


@dataclass(frozen=True)
class Finding:
    """Something that looks wrong in marts that passed every check."""

    kind: str  # REPEATED_TOTALS, RUNOUT or DRUG_LIST
    table: str  # the mart it was found in
    message: str  # for whoever runs the build: what was found and what to do
    month: date | None = None  # RUNOUT: the month whose claims look incomplete


WARNINGS_TABLE = "mart_warnings"

# Institutional claims of several lines whose lines all carry the same paid amount: when at
# least this many, and at least this share of such claims, the amounts are likely the claim's
# total repeated on each line (as some Tuva-shaped data has them).
REPEATED_TOTAL_CLAIMS = 10
REPEATED_TOTAL_SHARE = 0.5
REPEATED_TOTALS_SQL = """
WITH claims AS (
  SELECT claim_id, min(paid_amount) AS low, max(paid_amount) AS high
  FROM medical_claim
  WHERE claim_type = 'institutional'
  GROUP BY claim_id
  HAVING count(*) > 1
)
SELECT count(*), count(*) FILTER (WHERE low = high AND low > 0) FROM claims
"""


def repeated_totals_warning(con: duckdb.DuckDBPyConnection) -> str | None:
    """Return a warning if medical_claim's institutional lines look like they repeat their
    claim's total (see REPEATED_TOTAL_CLAIMS), else None."""
    several_lines, repeated = con.execute(REPEATED_TOTALS_SQL).fetchone()
    if repeated < REPEATED_TOTAL_CLAIMS or repeated < REPEATED_TOTAL_SHARE * several_lines:
        return None
    return (
        f"medical_claim: in {repeated:,} of the {several_lines:,} institutional claims with "
        "several lines, every line has the same paid amount. If that is the claim's total "
        "repeated on each line, the cost measures count it once per line: give each line its "
        "own amount (README: The data contract)."
    )


def record_warnings(con: duckdb.DuckDBPyConnection) -> list[Finding]:
    """Find what looks wrong in marts that passed every check; keep and return it."""
    repeated = repeated_totals_warning(con)
    found = [Finding(REPEATED_TOTALS, "medical_claim", repeated)] if repeated else []
    con.execute(
        f"CREATE OR REPLACE TABLE {WARNINGS_TABLE} "
        "(kind VARCHAR, mart VARCHAR, message VARCHAR, month DATE)"
    )
    for finding in found:
        con.execute(
            f"INSERT INTO {WARNINGS_TABLE} VALUES (?, ?, ?, ?)",
            [finding.kind, finding.table, finding.message, finding.month],
        )
    return found


def recorded_warnings(con: duckdb.DuckDBPyConnection) -> list[Finding]:
    """Return the findings record_warnings kept (none if the marts were not checked here)."""
    if not has_table(con, WARNINGS_TABLE):
        return []
    rows = con.execute(f"SELECT kind, mart, message, month FROM {WARNINGS_TABLE}").fetchall()
    return [Finding(*row) for row in rows]


# Run-out: a month of the quarter published whose claims per enrolled member are below this
# share of the median month of the year before the quarter (at least RUNOUT_BASE_MONTHS of
# them with members), for medical and for pharmacy claims; only where the usual rate would
# give the month at least RUNOUT_MIN_CLAIMS claims (a quarter below that share is then more
# than 2.5 standard deviations of chance away; with fewer, chance alone does it).
RUNOUT_SHARE = 0.75
RUNOUT_BASE_MONTHS = 6
RUNOUT_MIN_CLAIMS = 100
RUNOUT_SQL = """
WITH enrolled AS (
  SELECT month, count(*) AS members FROM member_months GROUP BY month
),
claims AS (
  SELECT CAST(date_trunc('month', {date}) AS DATE) AS month, count(*) AS claims
  FROM {table}
  GROUP BY 1
),
rate AS (
  SELECT e.month, coalesce(c.claims, 0) / e.members AS per_member
  FROM enrolled e LEFT JOIN claims c USING (month)
),
usual AS (
  SELECT median(per_member) AS per_member, count(*) AS months
  FROM rate
  WHERE month BETWEEN CAST(DATE '{start}' - INTERVAL 12 MONTH AS DATE)
                  AND CAST(DATE '{start}' - INTERVAL 1 MONTH AS DATE)
)
SELECT r.month, r.per_member / u.per_member
FROM rate r JOIN enrolled e USING (month), usual u
WHERE r.month BETWEEN DATE '{start}' AND DATE '{end}'
  AND u.months >= {base_months} AND u.per_member * e.members >= {min_claims}
  AND r.per_member < {share} * u.per_member
ORDER BY r.month
"""
RUNOUT_TABLES = {"medical_claim": "claim_start_date", "pharmacy_claim": "dispensing_date"}


def runout_warnings(
    con: duckdb.DuckDBPyConnection, period_id: str, tables: set[str]
) -> list[Finding]:
    """Return a finding for each month of quarter `period_id` with far fewer claims per
    enrolled member than usual (see RUNOUT_SHARE), in each claims mart supplied."""
    quarter = pd.Period(period_id, freq="Q")
    period_start, period_end = quarter.start_time.date(), quarter.end_time.date()
    warnings = []
    for table, date_column in RUNOUT_TABLES.items():
        if table not in tables:
            continue
        query = RUNOUT_SQL.format(
            date=date_column,
            table=table,
            start=period_start,
            end=period_end,
            base_months=RUNOUT_BASE_MONTHS,
            min_claims=RUNOUT_MIN_CLAIMS,
            share=RUNOUT_SHARE,
        )
        for month, ratio in con.execute(query).fetchall():
            message = (
                f"{table}: {month:%B %Y} has {1 - ratio:.0%} fewer claims per enrolled member "
                "than the usual month of the year before the quarter. If its claims are not all "
                "in yet, the quarter's use and cost results are too low: build it again once "
                "they are (scorecard build --force). The pages say so until then."
            )
            warnings.append(Finding(RUNOUT, table, message, month))
    return warnings


def reader_notes(findings: list[Finding], period_id: str, lang: str) -> list[str]:
    """Return what the published pages tell their readers about `findings`, in `lang`: one
    note for the claims not all in (every month and mart together), one for repeated totals,
    one for a drug-class list that matches too little."""
    notes = []
    late = [f for f in findings if f.kind == RUNOUT and f.month]
    if late:
        months = sorted({f.month for f in late})
        marts = "_".join(sorted({f.table for f in late}))  # medical_claim, pharmacy_claim
        notes.append(
            i18n.t(
                lang,
                "note_runout",
                bills=i18n.t(lang, f"bills_{marts}"),
                months=i18n.join_words([i18n.month_year_words(m, lang) for m in months], lang),
                period=i18n.period_words(period_id, lang),
            )
        )
    if any(f.kind == REPEATED_TOTALS for f in findings):
        notes.append(i18n.t(lang, "note_repeated_totals"))
    if any(f.kind == DRUG_LIST for f in findings):
        notes.append(i18n.t(lang, "note_drug_list"))
    return notes
