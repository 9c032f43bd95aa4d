"""Marts given as folders of Parquet files (as Spark and other engines write them): they are
read, checked and hashed like single files, and problems name the part file and its row."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from scorecard import engine
from scorecard.build import file_sha256
from scorecard.contract import TABLES_BY_NAME
from scorecard.marts import find_mart_files, load_marts, raw_columns, raw_types, rules_source
from scorecard.specs import load_specs

ROOT = Path(__file__).resolve().parents[1]
BASIC = ROOT / "tests" / "fixtures" / "marts" / "basic"
VALUE_SETS = ROOT / "measures" / "value_sets"


def split_into_parts(folder: Path, table: str, folder_name: str, partitioned: bool) -> Path:
    """Replace folder/<table>.csv by Parquet part files under folder/<folder_name>: two halves,
    or (partitioned) one key=value folder per claim_type, the column left out of the files as
    Spark does."""
    con = duckdb.connect()
    csv = folder / f"{table}.csv"
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{csv}', all_varchar = true)")
    csv.unlink()
    target = folder / folder_name
    target.mkdir()
    if partitioned:
        con.execute(f"COPY t TO '{target}' (FORMAT parquet, PARTITION_BY (claim_type))")
    else:
        n = con.execute("SELECT count(*) FROM t").fetchone()[0]
        con.execute(f"COPY (SELECT * FROM t LIMIT {n // 2}) TO '{target}/part-0.parquet'")
        con.execute(f"COPY (SELECT * FROM t OFFSET {n // 2}) TO '{target}/part-1.parquet'")
    (target / "_SUCCESS").write_text("")
    return target


def program_results(folder: Path) -> dict:
    specs = [s for s in load_specs(ROOT / "measures") if s.id in ("ed_visits", "pmpm_pharmacy")]
    run = engine.run(folder, VALUE_SETS, specs, con=engine.connect(threads=1))
    program = run.results[(run.results["level"] == "program") & (run.results["stratum"] == "all")]
    return {(r.measure_id, r.period_id): (r.numerator, r.denominator) for r in program.itertuples()}


@pytest.mark.parametrize(
    "table, folder_name, partitioned",
    [
        ("pharmacy_claim", "pharmacy_claim.parquet", False),
        ("medical_claim", "medical_claim", True),
    ],
)
def test_a_folder_of_parquet_files_gives_the_same_results_as_one_file(
    tmp_path: Path, table: str, folder_name: str, partitioned: bool
) -> None:
    folder = tmp_path / "marts"
    shutil.copytree(BASIC, folder)
    split_into_parts(folder, table, folder_name, partitioned)
    assert find_mart_files(folder)[table] == folder / folder_name
    tables, problems = load_marts(duckdb.connect(), folder)
    assert problems == [] and table in tables
    expected = program_results(BASIC)
    assert expected and program_results(folder) == expected


def test_a_problem_in_a_folder_names_the_part_file_and_its_row(tmp_path: Path) -> None:
    folder = tmp_path / "marts"
    shutil.copytree(BASIC, folder)
    parts = split_into_parts(folder, "pharmacy_claim", "pharmacy_claim", False)
    second = parts / "part-1.parquet"
    edited = tmp_path / "edited.parquet"
    duckdb.connect().execute(
        "COPY (SELECT * EXCLUDE (file_row_number) REPLACE (CASE WHEN file_row_number = 0 "
        "THEN '-5' ELSE paid_amount END AS paid_amount) "
        f"FROM read_parquet('{second}', file_row_number = true)) TO '{edited}'"
    )
    shutil.move(edited, second)
    _, problems = load_marts(duckdb.connect(), folder)
    paid = [p for p in problems if p.column == "paid_amount"]
    assert len(paid) == 1 and paid[0].file == str(parts)
    assert "below 0 in 1 row(s)" in paid[0].message
    assert paid[0].example.startswith("row 1 of part-1.parquet (claim_id=")


def test_a_folder_is_hashed_by_its_files(tmp_path: Path) -> None:
    folder = tmp_path / "marts"
    shutil.copytree(BASIC, folder)
    parts = split_into_parts(folder, "pharmacy_claim", "pharmacy_claim", False)
    before = file_sha256(parts)
    assert before == file_sha256(parts)  # the same files give the same hash
    (parts / "_SUCCESS").write_text("not a data file")
    assert file_sha256(parts) == before  # only Parquet files count
    shutil.copy(parts / "part-0.parquet", parts / "part-2.parquet")
    assert file_sha256(parts) != before


def test_a_typed_parquet_mart_gets_the_problems_of_the_same_rows_as_csv(tmp_path: Path) -> None:
    """A Parquet file storing every column in its contract type is checked on the loaded table
    rather than the file (marts.rules_source): the problems, counts and example rows must be
    those of the same rows given as CSV, checked on the raw text."""
    edits = {  # row (1-based) -> what is wrong with it
        2: "claim_type = ' dental '",  # not an allowed value, around spaces
        3: "paid_amount = '-5'",  # below 0
        4: "person_id = '  '",  # required, empty once trimmed
        5: "claim_end_date = '2023-12-31'",  # before claim_start_date
        6: "person_id = 'NOBODY'",  # not in eligibility
    }
    con = duckdb.connect()
    csv = BASIC / "medical_claim.csv"
    con.execute(
        "CREATE TABLE t AS SELECT *, row_number() OVER () AS n "
        f"FROM read_csv('{csv}', all_varchar = true)"
    )
    for row, change in edits.items():
        con.execute(f"UPDATE t SET {change} WHERE n = {row}")
    table = TABLES_BY_NAME["medical_claim"]
    present = {d[0] for d in con.execute("SELECT * FROM t LIMIT 0").description}
    typed = ", ".join(  # the optional columns the fixture leaves out stay out
        f'CAST(NULLIF("{c.name}", \'\') AS {c.type}) AS "{c.name}"'
        for c in table.columns
        if c.name in present
    )
    problems = {}
    for kind, select in (("csv", "* EXCLUDE (n)"), ("parquet", typed)):
        folder = tmp_path / kind
        shutil.copytree(BASIC, folder)
        target = folder / f"medical_claim.{kind}"
        (folder / "medical_claim.csv").unlink()
        options = "HEADER" if kind == "csv" else "FORMAT parquet"
        con.execute(f"COPY (SELECT {select} FROM t ORDER BY n) TO '{target}' ({options})")
        loaded = duckdb.connect()
        _, found = load_marts(loaded, folder)
        problems[kind] = sorted((p.column, p.message, p.example) for p in found)
        present = set(raw_columns(loaded, "medical_claim"))
        source = rules_source(table, present, raw_types(loaded, "medical_claim"))
        assert source == ("raw_medical_claim" if kind == "csv" else "medical_claim")
    assert [(c, m.split(" row(s)")[0]) for c, m, _ in problems["parquet"]] == [
        ("claim_end_date", "is before claim_start_date in 1"),
        ("claim_type", "has a value not in ['professional', 'institutional'] in 1"),
        ("paid_amount", "is below 0 in 1"),
        ("person_id", "has 1"),
        ("person_id", "is empty but required in 1"),
    ]

    # the same problems, counts and example rows (the values in an example are as each file
    # stores them: text in the CSV, dates and numbers in the Parquet file; row N of the Parquet
    # file is line N + 1 of the CSV file, under its header)
    def same_form(kind: str) -> list:
        def tidy(text: str) -> str:
            return text.replace(str(tmp_path / kind), "").replace(f"medical_claim.{kind}", "")

        def where(example: str) -> str:
            place, _, number = example.split(" (")[0].partition(" ")
            return f"row {int(number) - 1}" if place == "line" else f"{place} {number}"

        return [(c, tidy(m), where(e)) for c, m, e in problems[kind]]

    assert same_form("csv") == same_form("parquet")
    assert [e.split(" (")[0] for _, _, e in problems["parquet"]] == [
        "row 5",
        "row 2",
        "row 3",
        "row 6",  # the id not in eligibility, named by its row too
        "row 4",
    ]
