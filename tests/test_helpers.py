"""Helper tables (scorecard/sql/extract_helpers.sql, helpers.sql) worked by hand on a few rows."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from scorecard import engine, marts
from scorecard.contract import TABLES

ROOT = Path(__file__).resolve().parents[1]

# person, enrollment start, enrollment end (the data window is 2024-01-01 to 2024-06-30)
SPANS = [
    ("ONE", date(2024, 1, 15), date(2024, 3, 2)),  # starts and ends mid-month: Jan-Mar
    ("TWO", date(2024, 1, 1), date(2024, 2, 29)),  # two spans meeting in February ...
    ("TWO", date(2024, 2, 10), date(2024, 4, 30)),  # ... which counts once: Jan-Apr
    ("GAP", date(2023, 6, 1), date(2024, 1, 31)),  # began before the window: Jan
    ("GAP", date(2024, 5, 1), date(2030, 12, 31)),  # and back after a gap, to beyond it: May-Jun
    ("OUT", date(2022, 1, 1), date(2023, 12, 31)),  # ended before the window: no month
]


def test_member_months_lists_each_month_a_span_touches_once():
    con = duckdb.connect()
    for table in TABLES:
        marts.create_empty(con, table)
    con.executemany(
        "INSERT INTO eligibility (person_id, enrollment_start_date, enrollment_end_date) "
        "VALUES (?, ?, ?)",
        SPANS,
    )
    engine.load_value_sets(con, ROOT / "measures" / "value_sets")
    engine.create_helpers(con, date(2024, 1, 1), date(2024, 6, 30), "2024Q2")
    rows = con.execute("SELECT person_id, month(month) FROM member_months ORDER BY ALL").fetchall()
    assert rows == [
        ("GAP", 1),
        ("GAP", 5),
        ("GAP", 6),
        ("ONE", 1),
        ("ONE", 2),
        ("ONE", 3),
        ("TWO", 1),
        ("TWO", 2),
        ("TWO", 3),
        ("TWO", 4),
    ]
