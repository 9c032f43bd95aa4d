"""The attribution timeline the DuckDB run looks entities up in (engine.UNIT_SPAN_SQL).

Every measure row is attributed by finding the span of months holding its attr_month in
unit_span and the entities and demographics of that span in unit_dim. The lookup must give
exactly what the attribution table says for that member and month, or no entity at all when
the member was not attributed then, for any timeline: members who leave and come back to the
same practice, switch, have gaps, or were never attributed.
"""

from __future__ import annotations

from datetime import date

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from scorecard import engine

MONTHS = [date(2024, m, 1) for m in range(1, 13)]
# (aco_id, cp_id, practice_id) a member can be attributed to in a month; None: not attributed
UNITS = [None, ("A1", "C1", "P1"), ("A1", None, "P2"), ("A2", "C1", None)]
# months looked up: before, inside and after the attribution months, and the no-month marker
PROBES = [date(1, 1, 1), date(2023, 12, 1), *MONTHS, date(2025, 1, 1), date(9999, 12, 1)]

timelines = st.lists(st.lists(st.sampled_from(UNITS), min_size=12, max_size=12), max_size=4)


def unit_span_tables(timelines: list[list[tuple | None]]) -> duckdb.DuckDBPyConnection:
    """Return a connection holding attribution and person for `timelines` (one per member,
    one entry per month of MONTHS) and one member never attributed, with UNIT_SPAN_SQL run."""
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE attribution (person_id VARCHAR, month DATE, aco_id VARCHAR, "
        "cp_id VARCHAR, practice_id VARCHAR)"
    )
    con.execute(
        "CREATE TABLE person (person_id VARCHAR, birth_year INTEGER, gender VARCHAR, "
        "race VARCHAR, language VARCHAR)"
    )
    for number, timeline in enumerate(timelines):
        person = f"M{number}"
        con.execute("INSERT INTO person VALUES (?, ?, 'female', NULL, 'Spanish')", [person, 1980])
        rows = [(person, m, *unit) for m, unit in zip(MONTHS, timeline, strict=True) if unit]
        if rows:
            con.executemany("INSERT INTO attribution VALUES (?, ?, ?, ?, ?)", rows)
    con.execute("INSERT INTO person VALUES ('NEVER', 1990, NULL, 'White', NULL)")
    con.execute(engine.UNIT_SPAN_SQL)
    return con


def looked_up(con: duckdb.DuckDBPyConnection, person: str, month: date) -> list[tuple]:
    return con.execute(
        "SELECT d.aco_id, d.cp_id, d.practice_id, d.birth_year, d.sex, d.race, d.language "
        "FROM unit_span s JOIN unit_dim d USING (dim_id) "
        "WHERE s.person_id = ? AND ? BETWEEN s.first_month AND s.last_month",
        [person, month],
    ).fetchall()


@settings(max_examples=60, deadline=None)
@given(timelines)
def test_every_month_finds_its_attribution_and_only_it(timelines):
    con = unit_span_tables(timelines)
    for number, timeline in enumerate(timelines):
        by_month = dict(zip(MONTHS, timeline, strict=True))
        for month in PROBES:
            unit = by_month.get(month) or (None, None, None)
            demographics = (1980, "female", "Unknown", "Spanish")
            assert looked_up(con, f"M{number}", month) == [(*unit, *demographics)]
    for month in PROBES:
        assert looked_up(con, "NEVER", month) == [
            (None, None, None, 1990, "unknown", "White", "Unknown")
        ]


@settings(max_examples=60, deadline=None)
@given(timelines)
def test_spans_are_as_long_as_they_can_be(timelines):
    """No two spans of a member that follow each other point to the same entities (they
    would be one span), so a measure row meets few spans."""
    con = unit_span_tables(timelines)
    (touching,) = con.execute(
        "SELECT count(*) FROM unit_span a JOIN unit_span b ON a.person_id = b.person_id "
        "AND b.first_month = CAST(a.last_month + INTERVAL 1 MONTH AS DATE) "
        "AND a.dim_id = b.dim_id"
    ).fetchone()
    assert touching == 0


def test_a_member_back_with_the_same_practice_gets_two_spans_and_a_gap():
    """Worked by hand: P1 in January-February, nothing in March, P1 again in April."""
    unit = ("A1", "C1", "P1")
    con = unit_span_tables([[unit, unit, None, unit, *([None] * 8)]])
    spans = con.execute(
        "SELECT first_month, last_month, d.practice_id FROM unit_span "
        "JOIN unit_dim d USING (dim_id) WHERE person_id = 'M0' ORDER BY first_month"
    ).fetchall()
    assert spans == [
        (date(1, 1, 1), date(2023, 12, 1), None),
        (date(2024, 1, 1), date(2024, 2, 1), "P1"),
        (date(2024, 3, 1), date(2024, 3, 1), None),
        (date(2024, 4, 1), date(2024, 4, 1), "P1"),
        (date(2024, 5, 1), date(9999, 12, 1), None),
    ]
