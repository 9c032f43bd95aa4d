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


def empty_marts() -> duckdb.DuckDBPyConnection:
    """Return a new connection holding every mart of the contract, empty."""
    con = duckdb.connect()
    for table in TABLES:
        marts.create_empty(con, table)
    return con


def test_member_months_lists_each_month_a_span_touches_once():
    con = empty_marts()
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


# claim, person, type of bill, first day, last day, admission date (None: the first day),
# discharge status, principal diagnosis: one member's hospital bills, one institutional line each
BILLS = [
    ("A1", "M", "112", date(2024, 1, 1), date(2024, 1, 10), None, "30", "F200"),
    ("A2", "M", "114", date(2024, 1, 11), date(2024, 1, 20), date(2024, 1, 1), "01", "F200"),
    ("B1", "M", "111", date(2024, 2, 1), date(2024, 2, 5), None, "01", "I500"),
    ("B2", "M", "111", date(2024, 2, 6), date(2024, 2, 9), None, "01", "J189"),
    ("C1", "M", "111", date(2024, 3, 1), date(2024, 3, 5), None, "02", "I214"),
    ("C2", "M", "111", date(2024, 3, 5), date(2024, 3, 8), None, "30", "I214"),
    ("D1", "M", "111", date(2024, 3, 10), date(2024, 3, 12), None, "01", "K359"),
    ("E1", "M", "121", date(2024, 3, 11), date(2024, 3, 11), None, "01", "K359"),
    ("F1", "M", "111", date(2024, 4, 1), date(2024, 4, 4), None, "01", "N390"),
    ("F2", "M", "112", date(2024, 4, 1), date(2024, 4, 4), None, "30", "N390"),
]


def test_hospital_stays_join_interim_bills_and_direct_transfers():
    # A1 + A2: interim bills of one stay (A2 admitted Jan 1, the same day as A1): Jan 1-20,
    # A2's status 01. B1 + B2: B2 admitted Feb 6, the day after B1's discharge: one stay
    # whatever B1's status 01 says, Feb 1-9, with B2's diagnosis. C1 + C2: transferred the
    # same day (Mar 5), the last bill still a patient: Mar 1-8, status 30. D1 admitted two days
    # after C2's discharge: a stay of its own. E1 (12x) overlaps D1 but is another kind of bill:
    # a stay of its own. F1 + F2 over the same days: the status of F1, the bill that is not
    # an interim one, though F2's type of bill is higher.
    con = empty_marts()
    con.executemany(
        "INSERT INTO medical_claim (claim_id, claim_line_number, claim_type, person_id, "
        "bill_type_code, claim_start_date, claim_end_date, admission_date, "
        "discharge_disposition_code, diagnosis_code_1) "
        "VALUES (?, 1, 'institutional', ?, ?, ?, ?, ?, ?, ?)",
        [
            (c, p, t, first, last, admitted, s, dx)
            for c, p, t, first, last, admitted, s, dx in BILLS
        ],
    )
    engine.create_extract_helpers(con, date(2024, 1, 1), date(2024, 6, 30))
    stays = con.execute(
        "SELECT stay_id, month(admission_date), day(admission_date), month(discharge_date), "
        "day(discharge_date), discharge_disposition_code, principal_dx, claims "
        "FROM hospital_stay ORDER BY ALL"
    ).fetchall()
    assert stays == [
        ("A1", 1, 1, 1, 20, "01", "F200", 2),
        ("B1", 2, 1, 2, 9, "01", "J189", 2),
        ("C1", 3, 1, 3, 8, "30", "I214", 2),
        ("D1", 3, 10, 3, 12, "01", "K359", 1),
        ("E1", 3, 11, 3, 11, "01", "K359", 1),
        ("F1", 4, 1, 4, 4, "01", "N390", 2),
    ]
    claims = con.execute(
        "SELECT stay_id, string_agg(claim_id, ' ' ORDER BY claim_id) FROM inpatient_stay "
        "GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    assert claims == [
        ("A1", "A1 A2"),
        ("B1", "B1 B2"),
        ("C1", "C1 C2"),
        ("D1", "D1"),
        ("E1", "E1"),
        ("F1", "F1 F2"),
    ]


# person, enrollment start, enrollment end (the data window is 2023-01-01 to 2024-12-31)
ENROLLMENT = [
    ("E1", date(2020, 1, 1), date(2024, 2, 1)),  # Feb 2 - Apr 28, 2024: one gap of 87 days
    ("E1", date(2024, 4, 29), date(9999, 12, 31)),
    ("E2", date(2020, 1, 1), date(2024, 12, 1)),  # left Dec 1, 2024
    ("E3", date(2020, 1, 1), date(2024, 3, 5)),  # Mar 6 - Apr 19 and Jul 6 - Aug 19, 2024:
    ("E3", date(2024, 4, 20), date(2024, 7, 5)),  # two gaps of 45 days
    ("E3", date(2024, 8, 20), date(2024, 12, 31)),
    ("G45", date(2020, 1, 1), date(2024, 2, 1)),  # Feb 2 - Mar 17, 2024: one gap of 45 days
    ("G45", date(2024, 3, 18), date(2024, 12, 31)),
    ("G46", date(2020, 1, 1), date(2024, 2, 1)),  # Feb 2 - Mar 18, 2024: 46 days
    ("G46", date(2024, 3, 19), date(2024, 12, 31)),
    ("S45", date(2024, 2, 15), date(2024, 12, 31)),  # Jan 1 - Feb 14, 2024 missing: 45 days
    ("S46", date(2024, 2, 16), date(2024, 12, 31)),  # Jan 1 - Feb 15, 2024: 46 days
    ("T", date(2020, 1, 1), date(2024, 5, 31)),  # spans that touch (Jun 1) and overlap
    ("T", date(2024, 6, 1), date(2024, 9, 30)),
    ("T", date(2024, 3, 1), date(2024, 12, 31)),
    ("TWO", date(2020, 1, 1), date(2024, 1, 10)),  # Jan 11-20 and Dec 1-10, 2024: two short
    ("TWO", date(2024, 1, 21), date(2024, 11, 30)),  # gaps
    ("TWO", date(2024, 12, 11), date(2024, 12, 31)),
]


def test_continuous_enrollment_allows_one_gap_of_45_days_and_needs_the_anchor_date():
    con = empty_marts()
    con.executemany(
        "INSERT INTO eligibility (person_id, enrollment_start_date, enrollment_end_date) "
        "VALUES (?, ?, ?)",
        ENROLLMENT,
    )
    engine.load_value_sets(con, ROOT / "measures" / "value_sets")
    engine.create_helpers(con, date(2023, 1, 1), date(2024, 12, 31), "2024Q4")
    rows = con.execute(
        "SELECT period_id, person_id, continuously_enrolled, months_enrolled FROM "
        "period_enrollment WHERE \"window\" = 'year' AND period_id IN ('2024Q3', '2024Q4') "
        "ORDER BY ALL"
    ).fetchall()
    # 2024Q4 (2024): one gap of at most 45 days, a gap at the window's start included, and
    # enrolled on Dec 31. Every member here has 11 or 12 months with an enrolled day.
    q4 = {
        person: (continuous, months)
        for period, person, continuous, months in rows
        if period == "2024Q4"
    }
    assert q4 == {
        "E1": (False, 11),
        "E2": (False, 12),
        "E3": (False, 12),
        "G45": (True, 12),
        "G46": (False, 12),
        "S45": (True, 11),
        "S46": (False, 11),
        "T": (True, 12),
        "TWO": (False, 12),
    }
    # 2024Q3 (Oct 2023 - Sep 2024): E2 is enrolled on Sep 30; S45 and S46 miss Oct-Feb; TWO's
    # December gap is after the window.
    q3 = {person for period, person, continuous, _ in rows if period == "2024Q3" and continuous}
    assert q3 == {"E2", "G45", "T", "TWO"}
    quarter = (
        "SELECT DISTINCT continuously_enrolled FROM period_enrollment WHERE \"window\" = 'quarter'"
    )
    assert con.execute(quarter).fetchall() == [(None,)]


def test_days_before_the_data_start_are_no_enrollment_gap():
    # the data start on 2023-02-01; both members are enrolled from 2020 (the spans are clipped
    # to the data start); LONG has no gap, GAP10 one real gap of 10 days in July. For 2023Q4
    # (Jan-Dec 2023) January lies before the data: no gap, so both are continuously enrolled
    # (January counted as a gap made GAP10's real one a second gap).
    con = empty_marts()
    con.executemany(
        "INSERT INTO eligibility (person_id, enrollment_start_date, enrollment_end_date) "
        "VALUES (?, ?, ?)",
        [
            ("LONG", "2020-01-01", "2024-12-31"),
            ("GAP10", "2020-01-01", "2023-07-04"),
            ("GAP10", "2023-07-15", "2024-12-31"),
        ],
    )
    engine.load_value_sets(con, ROOT / "measures" / "value_sets")
    engine.create_helpers(con, date(2023, 2, 1), date(2024, 12, 31), "2024Q4")
    rows = con.execute(
        "SELECT person_id, continuously_enrolled, months_enrolled FROM period_enrollment "
        "WHERE \"window\" = 'year' AND period_id = '2023Q4' ORDER BY ALL"
    ).fetchall()
    assert rows == [("GAP10", True, 11), ("LONG", True, 11)]


# person, month, ACO, CP, practice: a month the member was not enrolled has a row too (ONE, May)
ATTRIBUTION = [
    ("ONE", date(2024, 1, 1), "A1", None, "P1"),
    ("ONE", date(2024, 2, 1), "A2", "C1", "P2"),
    ("ONE", date(2024, 5, 1), "A2", None, "P2"),
    ("TWO", date(2024, 4, 1), "A1", None, None),
    ("GAP", date(2024, 1, 1), None, "C1", None),
]


def test_member_month_attribution_joins_each_member_month_once_for_the_periods_computed():
    """Every member month (enrolled) with that month's attribution, NULLs when there is none;
    once the build knows its periods, only the months of their 12-month windows (2024Q1: from
    2023-04 to 2024-03, so April to June go)."""
    con = empty_marts()
    con.executemany(
        "INSERT INTO eligibility (person_id, enrollment_start_date, enrollment_end_date) "
        "VALUES (?, ?, ?)",
        SPANS,
    )
    con.executemany(
        "INSERT INTO attribution (person_id, month, aco_id, cp_id, practice_id) "
        "VALUES (?, ?, ?, ?, ?)",
        ATTRIBUTION,
    )
    engine.load_value_sets(con, ROOT / "measures" / "value_sets")
    engine.create_helpers(con, date(2024, 1, 1), date(2024, 6, 30), "2024Q2")
    query = (
        "SELECT person_id, month(month), aco_id, cp_id, practice_id "
        "FROM member_month_attribution ORDER BY ALL"
    )
    every = con.execute(query).fetchall()
    assert every == [
        ("GAP", 1, None, "C1", None),
        ("GAP", 5, None, None, None),
        ("GAP", 6, None, None, None),
        ("ONE", 1, "A1", None, "P1"),
        ("ONE", 2, "A2", "C1", "P2"),
        ("ONE", 3, None, None, None),
        ("TWO", 1, None, None, None),
        ("TWO", 2, None, None, None),
        ("TWO", 3, None, None, None),
        ("TWO", 4, "A1", None, None),
    ]
    engine.make_period_helpers(con, ["2024Q1"])
    assert con.execute(query).fetchall() == [row for row in every if row[1] <= 3]
    engine.create_build_helpers(con, date(2024, 1, 1), date(2024, 6, 30), "2024Q2")  # again
    engine.make_period_helpers(con, None)
    assert con.execute(query).fetchall() == every
