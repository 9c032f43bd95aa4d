"""Malformed marts and specs: each case names the file, the column and an example row, and exits 2.

Every case starts from the hand-readable fixture tests/fixtures/marts/basic and breaks one
thing in a copy of it.
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from scorecard.cli import main
from scorecard.marts import load_marts

ROOT = Path(__file__).resolve().parents[1]
BASIC = ROOT / "tests" / "fixtures" / "marts" / "basic"


def replace_in(table: str, old: str, new: str) -> Callable[[Path], None]:
    """Return a mutation that replaces the first `old` with `new` in <table>.csv."""

    def mutate(folder: Path) -> None:
        path = folder / f"{table}.csv"
        text = path.read_text(encoding="utf-8")
        assert old in text, f"fixture has no {old!r} in {table}.csv"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return mutate


def rename_column(table: str, old: str, new: str) -> Callable[[Path], None]:
    """Return a mutation that renames a header column of <table>.csv."""

    def mutate(folder: Path) -> None:
        path = folder / f"{table}.csv"
        header, rest = path.read_text(encoding="utf-8").split("\n", 1)
        columns = [new if c == old else c for c in header.split(",")]
        path.write_text(",".join(columns) + "\n" + rest, encoding="utf-8")

    return mutate


def add_column(table: str, name: str, value: str) -> Callable[[Path], None]:
    """Return a mutation that adds a column to every row of <table>.csv."""

    def mutate(folder: Path) -> None:
        path = folder / f"{table}.csv"
        lines = path.read_text(encoding="utf-8").rstrip("\n").split("\n")
        lines = [lines[0] + "," + name] + [line + "," + value for line in lines[1:]]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    return mutate


def delete_file(table: str) -> Callable[[Path], None]:
    return lambda folder: (folder / f"{table}.csv").unlink()


def write_file(table: str, content: bytes) -> Callable[[Path], None]:
    return lambda folder: (folder / f"{table}.csv").write_bytes(content)


def duplicate_row(table: str, line: int) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        path = folder / f"{table}.csv"
        lines = path.read_text(encoding="utf-8").rstrip("\n").split("\n")
        path.write_text("\n".join([*lines, lines[line]]) + "\n", encoding="utf-8")

    return mutate


# (case id, mutation, file named, column named, words in the message, example fragment)
CASES = [
    (
        "ACO id naming a CP",
        replace_in("attribution", "P1,2024-01-01,A1,C1,", "P1,2024-01-01,C2,C1,"),
        "attribution.csv",
        "aco_id",
        "whose id is not an organisation of type 'aco'",
        "line 2 (person_id='P1', month='2024-01-01', aco_id='C2', cp_id='C1', practice_id='PR1')"
        ": aco_id='C2' is a 'cp'",
    ),
    (
        "practice's ACO naming a CP",
        replace_in("organization", "Alpha Family Practice,,A1,", "Alpha Family Practice,,C1,"),
        "organization.csv",
        "parent_org_id",
        "whose id is not an organisation of type 'aco'",
        "C1",
    ),
    (
        "practice's ACO unknown",
        replace_in("organization", "Alpha Family Practice,,A1,", "Alpha Family Practice,,A9,"),
        "organization.csv",
        "parent_org_id",
        "whose id is not in",
        "line 6 (org_id='PR1', parent_org_id='A9'",
    ),
    (
        "missing required table",
        delete_file("eligibility"),
        "eligibility.csv",
        "",  # a problem of the file, of no column
        "required table is missing",
        "",
    ),
    (
        "missing required column",
        rename_column("eligibility", "birth_year", "year_of_birth"),
        "eligibility.csv",
        "birth_year",
        "missing",
        "",
    ),
    (
        "missing claim column",
        rename_column("medical_claim", "paid_amount", "paid"),
        "medical_claim.csv",
        "paid_amount",
        "missing",
        "",
    ),
    (
        "unparsable date",
        replace_in("eligibility", "2024-01-01,2024-06-30", "2024/13/45,2024-06-30"),
        "eligibility.csv",
        "enrollment_start_date",
        "not a valid DATE",
        "P3",
    ),
    (
        "unparsable number",
        replace_in("medical_claim", ",100,120,I10", ",one hundred,120,I10"),
        "medical_claim.csv",
        "paid_amount",
        "not a valid DOUBLE",
        "M01",
    ),
    (
        "negative amount",
        replace_in("medical_claim", ",800,900,", ",-800,900,"),
        "medical_claim.csv",
        "paid_amount",
        "below 0",
        "M09",
    ),
    (
        "absurd amount",
        replace_in("medical_claim", ",5000,6000,", ",99000000,6000,"),
        "medical_claim.csv",
        "paid_amount",
        "above",
        "M05",
    ),
    (
        "absurd pharmacy amount",
        replace_in("pharmacy_claim", ",30,30,50,", ",30,30,900000,"),
        "pharmacy_claim.csv",
        "paid_amount",
        "above",
        "R1",
    ),
    (
        "bad days supply",
        replace_in("pharmacy_claim", ",30,30,25,", ",0,30,25,"),
        "pharmacy_claim.csv",
        "days_supply",
        "below 1",
        "R2",
    ),
    (
        "birth year in future",
        replace_in("eligibility", "P6,male,White,2010", "P6,male,White,2110"),
        "eligibility.csv",
        "birth_year",
        "above",
        "P6",
    ),
    (
        "unknown gender",
        replace_in("eligibility", "P5,female", "P5,F"),
        "eligibility.csv",
        "gender",
        "not in",
        "P5",
    ),
    (
        "unknown org type",
        replace_in("organization", "A1,aco", "A1,hospital"),
        "organization.csv",
        "org_type",
        "not in",
        "A1",
    ),
    (
        "unknown cp type",
        replace_in("cp_enrollment", "P9,C2,LTSS", "P9,C2,XX"),
        "cp_enrollment.csv",
        "cp_type",
        "not in",
        "P9",
    ),
    (
        "unknown claim type",
        replace_in("medical_claim", "M01,1,professional", "M01,1,prof"),
        "medical_claim.csv",
        "claim_type",
        "not in",
        "M01",
    ),
    (
        "date outside window",
        replace_in(
            "medical_claim", "M01,1,professional,P5,2024-01-05", "M01,1,professional,P5,1890-01-05"
        ),
        "medical_claim.csv",
        "claim_start_date",
        "below",
        "M01",
    ),
    (
        "end before start",
        replace_in(
            "eligibility",
            "P1,female,White,1980,2024-01-01,2024-12-31",
            "P1,female,White,1980,2024-01-01,2023-12-31",
        ),
        "eligibility.csv",
        "enrollment_end_date",
        "before",
        "P1",
    ),
    (
        "discharge before admission",
        replace_in("medical_claim", "2024-06-01,2024-06-05,01", "2024-06-01,2024-05-05,01"),
        "medical_claim.csv",
        "discharge_date",
        "before",
        "M05",
    ),
    (
        "empty required value",
        replace_in("medical_claim", "M02,1,professional,P1", "M02,1,professional,"),
        "medical_claim.csv",
        "person_id",
        "empty but required",
        "M02",
    ),
    (
        "duplicate claim key",
        duplicate_row("medical_claim", 3),
        "medical_claim.csv",
        "claim_id, claim_line_number",
        "not unique",
        "M03",
    ),
    ("duplicate member", duplicate_row("member", 2), "member.csv", "person_id", "not unique", "P2"),
    (
        "duplicate attribution",
        duplicate_row("attribution", 5),
        "attribution.csv",
        "person_id, month",
        "not unique",
        "P1",
    ),
    (
        "duplicate organisation",
        duplicate_row("organization", 1),
        "organization.csv",
        "org_id",
        "not unique",
        "A1",
    ),
    (
        "empty file",
        write_file(
            "pharmacy_claim",
            b"claim_id,person_id,dispensing_date,ndc_code,days_supply,quantity,paid_amount,prescribing_provider_npi\n",
        ),
        "pharmacy_claim.csv",
        "",  # a problem of the file, of no column
        "no data rows",
        "",
    ),
    (
        "zero-byte file",
        write_file("clinical_result", b""),
        "clinical_result.csv",
        "",  # a problem of the file, of no column
        "no data rows",
        "",
    ),
    (
        "wrong encoding",
        write_file("member", "person_id,language\nP1,Portugu\u00eas\n".encode("utf-16")),
        "member.csv",
        "",  # a problem of the file, of no column
        "is UTF-16 text: save the file as UTF-8",
        "",
    ),
    (
        "latin-1 bytes",
        write_file("member", b"person_id,language\nP1,Portugu\xeas\n"),
        "member.csv",
        "",  # a problem of the file, of no column
        "is not UTF-8 text: line 2 has the byte 0xEA",
        "",
    ),
    (
        "name column",
        add_column("eligibility", "first_name", "Ann"),
        "eligibility.csv",
        "first_name",
        "identifies a person",
        "",
    ),
    (
        "ssn column",
        add_column("member", "ssn", "123-45-6789"),
        "member.csv",
        "ssn",
        "identifies a person and is not allowed in a de-identified mart: leave it out",
        "",
    ),
    (
        "birth date column",
        add_column("eligibility", "birth_date", "1980-02-03"),
        "eligibility.csv",
        "birth_date",
        "identifies a person and is not allowed in a de-identified mart: give birth_year",
        "",
    ),
    (
        "address column",
        add_column("member", "address", "1 Main St"),
        "member.csv",
        "address",
        "identifies a person",
        "",
    ),
    (
        "mrn column",
        add_column("clinical_result", "mrn", "12345"),
        "clinical_result.csv",
        "mrn",
        "identifies a person",
        "",
    ),
    (
        "orphan person",
        replace_in("medical_claim", "M31,1,professional,P8", "M31,1,professional,P99"),
        "medical_claim.csv",
        "person_id",
        "not in",
        "P99",
    ),
    (
        "orphan aco",
        replace_in("attribution", "P1,2024-01-01,A1", "P1,2024-01-01,A9"),
        "attribution.csv",
        "aco_id",
        "not in",
        "A9",
    ),
    (
        "orphan cp",
        replace_in("cp_enrollment", "P1,C1", "P1,C7"),
        "cp_enrollment.csv",
        "cp_id",
        "not in",
        "C7",
    ),
    (
        "claim dated after today",
        replace_in(
            "medical_claim", "M01,1,professional,P5,2024-01-05", "M01,1,professional,P5,2099-01-05"
        ),
        "medical_claim.csv",
        "claim_start_date",
        "is after today",
        "claim_start_date='2099-01-05'",
    ),
    (
        "fill dated after today",
        replace_in("pharmacy_claim", "R2,P2,2024-10-03", "R2,P2,2099-10-03"),
        "pharmacy_claim.csv",
        "dispensing_date",
        "is after today",
        "R2",
    ),
    (
        "attribution month written as its last day",
        replace_in("attribution", "P1,2024-02-01,A1", "P1,2024-02-29,A1"),
        "attribution.csv",
        "month",
        "is not the first day of a month in 1 row(s): write each month as its first day",
        "month='2024-02-29'",
    ),
    (
        "disenrollment before assignment",
        replace_in(
            "cp_enrollment", "2024-02-15,2024-06-08,\n", "2024-02-15,2024-06-08,2023-01-01\n"
        ),
        "cp_enrollment.csv",
        "disenrollment_date",
        "is before assignment_date",
        "P1",
    ),
    (
        "revenue code longer than its four digits",
        replace_in("medical_claim", ",131,0450,", ",131,04500,"),
        "medical_claim.csv",
        "revenue_center_code",
        "is not a code of 4 digits in 1 row(s): write it as digits alone",
        "line 10 (claim_id='M09', claim_line_number='1', revenue_center_code='04500'",
    ),
    (
        "NDC with hyphens around segments of no NDC configuration",
        replace_in("pharmacy_claim", "R1,P1,2024-02-03,00000000001,", "R1,P1,2024-02-03,0-1,"),
        "pharmacy_claim.csv",
        "ndc_code",
        "is not an NDC of 11 digits, nor one with hyphens in the 4-4-2, 5-3-2, 5-4-1 or 5-4-2",
        "line 2 (claim_id='R1', ndc_code='0-1'",
    ),
    (
        "type of bill of five characters",
        replace_in("medical_claim", ",131,0450,", ",01311,0450,"),
        "medical_claim.csv",
        "bill_type_code",
        "is not a type of bill of three characters (111) or four with a leading zero",
        "bill_type_code='01311'",
    ),
]


def broken_copy(tmp_path: Path, mutate: Callable[[Path], None]) -> Path:
    folder = tmp_path / "marts"
    shutil.copytree(BASIC, folder)
    mutate(folder)
    return folder


@pytest.mark.parametrize(
    "mutate, file, column, words, example", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_mart_is_reported_with_file_column_and_example(
    tmp_path, mutate, file, column, words, example
):
    folder = broken_copy(tmp_path, mutate)
    _, problems = load_marts(duckdb.connect(), folder)
    matching = [
        p
        for p in problems
        if p.file.endswith(file)
        and (column in p.column if column else p.column == "")
        and words in p.message
    ]
    assert matching, (
        f"no problem naming {file} / {column} / {words!r}; got: {[str(p) for p in problems]}"
    )
    if example:
        assert example in matching[0].example, str(matching[0])


def test_there_are_at_least_thirty_cases():
    assert len(CASES) >= 30


def test_clean_fixture_has_no_problems():
    tables, problems = load_marts(duckdb.connect(), BASIC)
    assert problems == []
    assert "eligibility" in tables and "medical_claim" in tables


def test_check_reports_every_problem_at_once_and_exits_2(tmp_path):
    folder = broken_copy(tmp_path, replace_in("medical_claim", ",800,900,", ",-800,900,"))
    replace_in("eligibility", "P5,female", "P5,F")(folder)
    result = CliRunner().invoke(main, ["check", "--data", str(folder)])
    assert result.exit_code == 2
    assert "paid_amount" in result.output and "gender" in result.output
    assert "M09" in result.output and "P5" in result.output


def test_check_passes_on_clean_fixture():
    result = CliRunner().invoke(main, ["check", "--data", str(BASIC)])
    assert result.exit_code == 0, result.output
    assert "ok" in result.output


def test_unknown_period_is_refused(tmp_path):
    result = CliRunner().invoke(main, ["check", "--data", str(BASIC), "--period", "2031Q1"])
    assert result.exit_code == 2
    assert "2031Q1" in result.output and "2024Q4" in result.output
    # a build says it is the period, not the marts; a quarter in lower case is the same one
    out = tmp_path / "site"
    built = CliRunner().invoke(
        main, ["build", "--data", str(BASIC), "--out", str(out), "--period", "2031Q1"]
    )
    assert built.exit_code == 2 and "the period asked for is not in the data" in built.output
    assert "marts have problems" not in built.output and not out.exists()
    lower = CliRunner().invoke(main, ["check", "--data", str(BASIC), "--period", "2024q4"])
    assert lower.exit_code == 0, lower.output
    # not a quarter at all: said at once, before any mart is read
    for command in ("check", "build"):
        wrong = CliRunner().invoke(main, [command, "--data", str(BASIC), "--period", "Q4 2025"])
        assert wrong.exit_code == 2, wrong.output
        assert "period: 'Q4 2025' is not a quarter written like 2025Q4" in wrong.output
        assert "marts:" not in wrong.output and "Traceback" not in wrong.output


def test_examples_show_values_as_written_in_a_file(tmp_path):
    # a Parquet date reads as '2025-13-01' would in a CSV, not as datetime.date(...)
    folder = tmp_path / "marts"
    shutil.copytree(BASIC, folder)
    eligibility = folder / "eligibility.csv"
    duckdb.execute(
        f"COPY (SELECT * REPLACE (CAST(enrollment_start_date AS DATE) AS enrollment_start_date, "
        f"CAST(enrollment_end_date AS DATE) - INTERVAL 3000 DAY AS enrollment_end_date) "
        f"FROM read_csv('{eligibility}', all_varchar = true)) "
        f"TO '{folder / 'eligibility.parquet'}' (FORMAT parquet)"
    )
    eligibility.unlink()
    _, problems = load_marts(duckdb.connect(), folder)
    examples = " ".join(p.example for p in problems)
    assert problems and "datetime" not in examples
    assert "enrollment_start_date='20" in examples, examples


def test_examples_say_where_the_row_is_as_an_editor_or_a_spreadsheet_numbers_it(tmp_path):
    # P3 is on line 4 of eligibility.csv (the header is line 1); as Parquet it is row 3
    folder = tmp_path / "marts"
    shutil.copytree(BASIC, folder)
    replace_in(
        "eligibility",
        "P3,female,Hispanic or Latino,2000,2024-01-01",
        "P3,female,Hispanic or Latino,2000,2024-13-01",
    )(folder)
    _, problems = load_marts(duckdb.connect(), folder)
    assert [p.example.split(" (")[0] for p in problems] == ["line 4"]
    eligibility = folder / "eligibility.csv"
    duckdb.execute(
        f"COPY (SELECT * FROM read_csv('{eligibility}', all_varchar = true)) "
        f"TO '{folder / 'eligibility.parquet'}' (FORMAT parquet)"
    )
    eligibility.unlink()
    _, problems = load_marts(duckdb.connect(), folder)
    assert [p.example.split(" (")[0] for p in problems] == ["row 3"]


def test_optional_columns_may_be_left_out(tmp_path):
    # A claims file without the optional admission/discharge columns is valid (no crash in
    # the date-order check, which only looks at columns the file has).
    folder = tmp_path / "marts"
    shutil.copytree(BASIC, folder)
    path = folder / "medical_claim.csv"
    lines = path.read_text(encoding="utf-8").rstrip("\n").split("\n")
    header = lines[0].split(",")
    keep = [i for i, c in enumerate(header) if c not in ("admission_date", "discharge_date")]
    rows = [",".join(line.split(",")[i] for i in keep) for line in lines]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    _, problems = load_marts(duckdb.connect(), folder)
    assert problems == []


def test_dates_written_month_first_name_the_expected_form_and_nothing_else(tmp_path):
    # both of P4's enrollment rows written 01/01/2024 style: the dates are reported with the
    # form expected, and the key (person_id, enrollment_start_date) is not reported as
    # repeated, which it would seem to be with both unreadable dates read as empty
    folder = broken_copy(
        tmp_path, replace_in("eligibility", "2024-01-01,2024-03-31", "01/01/2024,03/31/2024")
    )
    replace_in("eligibility", "2024-05-01,2024-12-31", "05/01/2024,12/31/2024")(folder)
    _, problems = load_marts(duckdb.connect(), folder)
    assert {p.column for p in problems} == {"enrollment_start_date", "enrollment_end_date"}
    for problem in problems:
        assert "not a valid DATE in 2 row(s); expected a date written YYYY-MM-DD" in problem.message
        assert "P4" in problem.example


def test_dates_written_with_slashes_are_refused_not_read_by_one_engine(tmp_path):
    # DuckDB's own cast reads 2024/01/01 as a date, Spark's as NULL: the check asks for
    # YYYY-MM-DD (a time after it is read on both engines alike)
    folder = broken_copy(
        tmp_path, replace_in("eligibility", "2024-01-01,2024-03-31", "2024/01/01,2024-03-31")
    )
    replace_in("pharmacy_claim", "R1,P1,2024-02-03,", "R1,P1,2024-02-03T00:00:00,")(folder)
    con = duckdb.connect()
    _, problems = load_marts(con, folder)
    assert [(p.column, p.message) for p in problems] == [
        (
            "enrollment_start_date",
            "is not a valid DATE in 1 row(s); expected a date written YYYY-MM-DD, e.g. 2025-10-31",
        )
    ]
    assert "enrollment_start_date='2024/01/01'" in problems[0].example


@pytest.mark.parametrize(
    ("written", "read"),
    [("1980.0", 1980), ("1980.", 1980), ("+1980.00", 1980), ("1980.5", None), ("1.98e3", None)],
)
def test_whole_numbers_written_with_a_decimal_point_are_read_fractions_refused(
    tmp_path, written, read
):
    # 30.0 (as spreadsheets and pandas write whole numbers) is 30 on both engines; DuckDB's own
    # cast rounded 30.5 to 31 where Spark's read NULL: a fraction is refused
    person = "P1,female,White,"
    folder = broken_copy(
        tmp_path, replace_in("eligibility", f"{person}1980,", f"{person}{written},")
    )
    replace_in("pharmacy_claim", "00000000001,30,", "00000000001,30.0,")(folder)
    con = duckdb.connect()
    _, problems = load_marts(con, folder)
    if read is None:
        assert [(p.column, p.message) for p in problems] == [
            ("birth_year", "is not a valid INTEGER in 1 row(s); expected a whole number, e.g. 1987")
        ]
        return
    assert problems == []
    query = "SELECT birth_year FROM eligibility WHERE person_id = 'P1'"
    assert {row[0] for row in con.execute(query).fetchall()} == {read}
    query = "SELECT days_supply FROM pharmacy_claim WHERE claim_id = 'R1'"
    assert con.execute(query).fetchone()[0] == 30


def test_amounts_written_with_a_dollar_sign_name_the_expected_form(tmp_path):
    folder = broken_copy(tmp_path, replace_in("medical_claim", ",100,120,I10", ",$100.00,120,I10"))
    _, problems = load_marts(duckdb.connect(), folder)
    assert [(p.column, p.message) for p in problems] == [
        (
            "paid_amount",
            "is not a valid DOUBLE in 1 row(s); expected a number with no $ sign "
            "or thousands separator, e.g. 1234.50",
        )
    ]
    assert "$100.00" in problems[0].example


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("1e2", 100.0),
        ("100.", 100.0),
        (".5", 0.5),
        ("+2.5E1", 25.0),
        ("1_000", None),
        ("inf", None),
    ],
)
def test_amounts_are_read_alike_on_both_engines_or_refused(tmp_path, written, read):
    # DuckDB's own cast read 1_000 as 1000 and inf as infinity where Spark's read NULL (or
    # Infinity): digits with a point and an exponent are read, anything else is refused
    folder = broken_copy(
        tmp_path, replace_in("medical_claim", ",100,120,I10", f",{written},120,I10")
    )
    con = duckdb.connect()
    _, problems = load_marts(con, folder)
    if read is None:
        assert [p.column for p in problems] == ["paid_amount"]
        assert problems[0].message.startswith("is not a valid DOUBLE in 1 row(s)")
        return
    assert problems == []
    paid = {row[0] for row in con.execute("SELECT paid_amount FROM medical_claim").fetchall()}
    assert read in paid


def test_headers_match_the_contract_whatever_their_case_and_spaces(tmp_path):
    # PERSON_ID, ' Birth_Year ' ... as SAS and database exports write them, with a byte-order
    # mark and Windows line ends: read as the contract's columns, no problem
    folder = broken_copy(tmp_path, lambda f: None)
    path = folder / "eligibility.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    header = [f" {c.title()} " if c == "birth_year" else c.upper() for c in lines[0].split(",")]
    text = "\ufeff" + "\r\n".join([",".join(header), *lines[1:]]) + "\r\n"
    path.write_text(text, encoding="utf-8")
    tables, problems = load_marts(duckdb.connect(), folder)
    assert problems == [] and "eligibility" in tables


def test_a_missing_id_column_is_one_problem_not_a_cascade(tmp_path):
    # without eligibility's person_id neither its key nor the ids of the other marts that
    # refer to it can be checked: only the missing column is reported
    folder = broken_copy(tmp_path, rename_column("eligibility", "person_id", "member_key"))
    _, problems = load_marts(duckdb.connect(), folder)
    assert [(Path(p.file).name, p.column, p.message) for p in problems] == [
        ("eligibility.csv", "person_id", "is required but missing from the file")
    ]


def test_file_names_match_the_tables_whatever_their_case(tmp_path):
    folder = broken_copy(tmp_path, lambda f: None)
    (folder / "eligibility.csv").rename(folder / "Eligibility.CSV")
    tables, problems = load_marts(duckdb.connect(), folder)
    assert problems == [] and "eligibility" in tables


def test_files_no_table_reads_are_named(tmp_path):
    # a file whose name is no table's, nor nearly one's: the check passes, saying it was not read
    folder = broken_copy(tmp_path, lambda f: None)
    (folder / "old_export.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (folder / "README.md").write_text("notes", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--data", str(folder)])
    assert result.exit_code == 0, result.output
    assert "  not read, as no table has their name: old_export.csv\n" in result.output
    # but CI's check --strict stops there: a misnamed mart leaves its measures out
    strict = CliRunner().invoke(main, ["check", "--data", str(folder), "--strict"])
    assert strict.exit_code == 2, strict.output
    assert "  - old_export.csv: not read, as no table has its name" in strict.output
    assert "README.md" not in strict.output  # notes beside the marts are not marts
    # a required table misnamed: the problem names what was looked for and what is there
    (folder / "eligibility.csv").rename(folder / "elig.csv")
    _, problems = load_marts(duckdb.connect(), folder)
    assert [(p.column, p.message) for p in problems] == [
        (
            "",
            "required table is missing (looked for eligibility.parquet, eligibility.csv, "
            "eligibility.csv.gz or a folder eligibility/); not read, as no table has their "
            "name: elig.csv, old_export.csv",
        )
    ]


@pytest.mark.parametrize(
    "table, misnamed, words",
    [
        (
            "medical_claim",
            "medical_claims.csv",
            "is not a table name: did you mean medical_claim? (rename it medical_claim.csv)",
        ),
        ("member", "Members.csv", "is not a table name: did you mean member?"),
        ("eligibility", "eligibilty.csv", "is not a table name: did you mean eligibility?"),
        ("member", "member.tsv", "is not read: a table is read from member.parquet, member.csv"),
    ],
)
def test_a_file_nearly_named_as_a_table_is_an_error_not_skipped_measures(
    tmp_path, table, misnamed, words
):
    folder = broken_copy(tmp_path, lambda f: None)
    (folder / f"{table}.csv").rename(folder / misnamed)
    _, problems = load_marts(duckdb.connect(), folder)
    # one problem, also for a required table: not "missing" besides "did you mean"
    assert [(Path(p.file).name, p.column) for p in problems] == [(misnamed, "")], problems
    assert words in problems[0].message, problems[0].message
    out = tmp_path / "site"
    for command in (["check"], ["build", "--out", str(out)]):
        result = CliRunner().invoke(main, [*command, "--data", str(folder)])
        assert result.exit_code == 2, result.output
        assert f"{misnamed}: {words}" in result.output and "Published" not in result.output
    assert not out.exists()


def test_a_file_nearly_named_as_a_table_it_supplies_is_only_not_read(tmp_path):
    folder = broken_copy(tmp_path, lambda f: None)
    shutil.copy(folder / "member.csv", folder / "members.csv")  # a copy beside the table
    tables, problems = load_marts(duckdb.connect(), folder)
    assert problems == [] and "member" in tables


def test_a_file_that_is_not_parquet_gives_the_readers_reason_alone(tmp_path):
    folder = broken_copy(tmp_path, delete_file("member"))
    (folder / "member.parquet").write_bytes(b"person_id,language\nP1,English\n")
    _, problems = load_marts(duckdb.connect(), folder)
    assert len(problems) == 1 and problems[0].file.endswith("member.parquet")
    assert problems[0].message.startswith("cannot be read as CSV or Parquet: ")
    assert "magic bytes" in problems[0].message
    assert "Possible Solution" not in problems[0].message  # DuckDB's advice on its own options


def test_a_compressed_csv_that_is_not_utf8_is_found_inside(tmp_path):
    folder = broken_copy(tmp_path, delete_file("member"))
    (folder / "member.csv.gz").write_bytes(gzip.compress(b"person_id,language\nP1,Portugu\xeas\n"))
    _, problems = load_marts(duckdb.connect(), folder)
    assert [p.message for p in problems] == [
        "is not UTF-8 text: line 2 has the byte 0xEA, which UTF-8 does not allow there (as in "
        "a file saved as Windows-1252 or Latin-1, for letters such as é or ç): save the file "
        "as UTF-8"
    ]


def test_a_compressed_csv_named_in_capitals_is_read(tmp_path):
    # MEDICAL_CLAIM.CSV.GZ is found (names match whatever their case) and read decompressed,
    # not refused as text that is not UTF-8
    folder = broken_copy(tmp_path, lambda f: None)
    claims = folder / "medical_claim.csv"
    (folder / "MEDICAL_CLAIM.CSV.GZ").write_bytes(gzip.compress(claims.read_bytes()))
    claims.unlink()
    con = duckdb.connect()
    tables, problems = load_marts(con, folder)
    assert problems == [] and "medical_claim" in tables
    assert con.execute("SELECT count(*) FROM medical_claim").fetchone()[0] == 31


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("perod: 2025Q4\n", "unknown setting(s) ['perod']"),
        ("threads: many\n", "threads: 'many' is not a whole number"),
        ("period: [2025Q4\n", "not valid YAML"),
        ("- 2025Q4\n", "must hold 'name: value' lines"),
        ("threads: -3\n", "threads: -3 is not a whole number of at least 1"),
        ("threads: 0\n", "threads: 0 is not a whole number of at least 1"),
        ("threads: yes\n", "threads: True is not a whole number of at least 1"),
        ("memory_limit: lots\n", "memory_limit: 'lots' is not a memory size such as 6GB"),
        ("memory_limit: 6\n", "memory_limit: 6 is not a memory size"),
        ("memory_limit: 150%\n", "memory_limit: '150%' is not a memory size"),
    ],
)
def test_a_bad_settings_file_names_the_file_and_exits_2(tmp_path, text, words):
    config = tmp_path / "scorecard.yml"
    config.write_text(text, encoding="utf-8")
    out = tmp_path / "site"
    result = CliRunner().invoke(main, ["build", "--config", str(config), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert f"{config}: " in result.output and words in result.output, result.output
    assert "Traceback" not in result.output and not out.exists()
    missing = CliRunner().invoke(main, ["build", "--config", str(tmp_path / "none.yml")])
    assert missing.exit_code == 2 and "does not exist" in missing.output


@pytest.mark.parametrize("limit", ["6GB", "500MB", "8 GiB", "1.5gb", "50%"])
def test_memory_limits_duckdb_reads_are_accepted_as_written(tmp_path, limit):
    from scorecard.settings import load_settings

    config = tmp_path / "scorecard.yml"
    config.write_text(f"memory_limit: {limit}\nthreads: 2\n", encoding="utf-8")
    settings = load_settings(config)
    assert (settings.memory_limit, settings.threads) == (limit, 2)
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{settings.memory_limit}'")  # DuckDB takes it as it is
    con.execute(f"SET threads = {settings.threads}")


def test_a_bad_limit_on_the_command_line_is_named_as_from_there(tmp_path):
    config = tmp_path / "scorecard.yml"
    config.write_text("threads: 2\n", encoding="utf-8")
    out = tmp_path / "site"
    args = ["build", "--config", str(config), "--out", str(out), "--memory-limit", "lots"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "command line: memory_limit: 'lots' is not a memory size" in result.output
    assert not out.exists()


def test_a_renamed_optional_column_is_a_problem_not_an_empty_column(tmp_path):
    # bill_type_code under another name would be read as empty: every inpatient stay lost
    folder = broken_copy(tmp_path, rename_column("medical_claim", "bill_type_code", "type_of_bill"))
    _, problems = load_marts(duckdb.connect(), folder)
    assert [(Path(p.file).name, p.column) for p in problems] == [
        ("medical_claim.csv", "type_of_bill")
    ]
    message = problems[0].message
    assert "is not a column of medical_claim" in message and "bill_type_code" in message
    # a column the contract does not know, when no optional column is missing: left unread
    folder = broken_copy(tmp_path / "extra", add_column("medical_claim", "load_batch", "7"))
    assert load_marts(duckdb.connect(), folder)[1] == []


@pytest.mark.parametrize(
    "name", ["Member Name", "patient_first_name", "date of birth", "zip5", "beneficiary_id"]
)
def test_identifying_columns_are_found_by_what_their_name_says(tmp_path, name):
    folder = broken_copy(tmp_path, add_column("eligibility", name, "x"))
    _, problems = load_marts(duckdb.connect(), folder)
    assert [(p.column, "identifies a person" in p.message) for p in problems] == [(name, True)]


@pytest.mark.parametrize(
    "line, words",
    [
        (
            "P3,female,Hispanic or Latino,2000,2024-01-01,2024-06-30,medicaid,aco,extra",
            "line 4 has 9 fields, the header has 8 (a comma not in quotes?)",
        ),
        (
            "P3,female,Hispanic or Latino,2000,2024-01-01,2024-06-30,medicaid",
            "line 4 has 7 fields, the header has 8 (a field left out?)",
        ),
    ],
)
def test_a_line_with_a_field_too_many_or_too_few_is_named(tmp_path, line, words):
    # the header of the fixture's eligibility.csv has 8 columns; P3 is on line 4
    folder = broken_copy(tmp_path, lambda f: None)
    path = folder / "eligibility.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[0].count(",") == 7 and lines[3].startswith("P3,")
    lines[3] = line
    path.write_text("\n".join(lines), encoding="utf-8")
    _, problems = load_marts(duckdb.connect(), folder)
    assert [(Path(p.file).name, p.column, p.message) for p in problems] == [
        ("eligibility.csv", "", words)
    ]
    assert problems[0].example == f"line 4: {line}"


def test_the_delimiter_is_the_headers_and_quoted_delimiters_are_values(tmp_path):
    folder = broken_copy(tmp_path, lambda f: None)
    path = folder / "organization.csv"
    text = path.read_text(encoding="utf-8").replace(",", ";")
    path.write_text(text.replace("Alpha Health ACO", '"Alpha; Health"'), encoding="utf-8")
    member = folder / "member.csv"
    member.write_text(member.read_text(encoding="utf-8").replace(",", "\t"), encoding="utf-8")
    con = duckdb.connect()
    tables, problems = load_marts(con, folder)
    assert problems == [] and {"organization", "member"} <= tables
    names = con.execute("SELECT org_name FROM organization ORDER BY org_id").fetchall()
    assert names[0] == ("Alpha; Health",)


def test_an_empty_file_is_one_problem(tmp_path):
    for content in (b"", b"\n"):
        folder = broken_copy(tmp_path / str(len(content)), write_file("pharmacy_claim", content))
        _, problems = load_marts(duckdb.connect(), folder)
        assert [str(p) for p in problems] == [f"{folder / 'pharmacy_claim.csv'}: has no data rows"]


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_repeated_key_names_the_lines_of_both_copies_in_plain_values(tmp_path, kind):
    # P2's first enrollment (line 3 of eligibility.csv) written again at the end
    folder = broken_copy(tmp_path, duplicate_row("eligibility", 2))
    n_lines = len((folder / "eligibility.csv").read_text(encoding="utf-8").splitlines())
    place = f"lines 3 and {n_lines}"
    if kind == "parquet":
        csv_file = folder / "eligibility.csv"
        duckdb.execute(
            f"COPY (SELECT * FROM read_csv('{csv_file}', all_varchar = true)) "
            f"TO '{folder / 'eligibility.parquet'}' (FORMAT parquet)"
        )
        csv_file.unlink()
        place = f"rows 2 and {n_lines - 1}"
    _, problems = load_marts(duckdb.connect(), folder)
    assert [p.message for p in problems] == [
        "key (person_id, enrollment_start_date) is not unique: 2 rows share it"
    ]
    assert problems[0].example == f"{place} (person_id=P2, enrollment_start_date=2024-01-01)"


def test_errors_are_said_once_on_lines_of_their_own(tmp_path):
    folder = broken_copy(tmp_path, delete_file("eligibility"))
    checked = CliRunner().invoke(main, ["check", "--data", str(folder)])
    assert checked.exit_code == 2
    assert "problem" not in checked.stdout and "skipped" not in checked.output
    assert "check failed (1 problem):\n  - " in checked.stderr
    assert "column '" not in checked.output  # a file's problem names no column
    out = tmp_path / "site"
    built = CliRunner().invoke(main, ["build", "--data", str(folder), "--out", str(out)])
    assert built.exit_code == 2 and not out.exists()
    assert "in duckdb ... stopped\nthe marts have problems (1 problem):\n" in built.stderr


def test_measures_skipped_for_want_of_a_table_are_summed_up_in_one_line(tmp_path):
    # the fixture has no cp_activity; without pharmacy_claim too
    folder = broken_copy(tmp_path, delete_file("pharmacy_claim"))
    checked = CliRunner().invoke(main, ["check", "--data", str(folder)])
    assert checked.exit_code == 0, checked.output
    skipped = [line for line in checked.stdout.splitlines() if "not supplied" in line]
    assert len(skipped) == 1, skipped
    assert skipped[0].endswith(
        " measures, as these tables are not supplied: cp_activity, pharmacy_claim"
    )
    assert checked.stdout.endswith("ok\n")


@pytest.mark.parametrize(
    "audience, words",
    [
        ("partner:PR1", "--audience: PR1 is a practice; a partner is an ACO or a CP"),
        ("partner:NOPE", "--audience: no organization has the org_id NOPE"),
    ],
)
def test_a_partner_is_checked_before_any_measure_is_computed(tmp_path, audience, words):
    from scorecard.build import BuildError, build_site
    from scorecard.settings import load_settings

    settings = load_settings(None, data=BASIC, out=tmp_path / "site", audience=audience)
    steps: list[str] = []

    class Steps:
        def step(self, label: str) -> Callable[[], None]:
            steps.append(label)
            return lambda: None

    with pytest.raises(BuildError) as error:
        build_site(settings, Steps())
    assert len(error.value.problems) == 1 and error.value.problems[0].startswith(words)
    assert steps == []  # not even the specs were read
    assert not (tmp_path / "site").exists()


def test_a_date_after_today_is_judged_by_the_day_given(tmp_path):
    # the fixture's last claim is from 2024-12; a check "on" 2024-06-30 finds the later ones,
    # a claim dated that very day is not one of them
    _, problems = load_marts(duckdb.connect(), BASIC, today=date(2024, 6, 30))
    found = {(p.column, p.message.split(" in ")[0]) for p in problems}
    assert ("claim_start_date", "is after today (2024-06-30)") in found
    assert ("dispensing_date", "is after today (2024-06-30)") in found
    assert all("2024-06-30'" not in p.example for p in problems)
    assert load_marts(duckdb.connect(), BASIC, today=date(2025, 1, 1))[1] == []


def test_a_claim_dated_after_today_stops_the_build_and_leaves_the_site(tmp_path):
    folder = broken_copy(
        tmp_path,
        replace_in(
            "medical_claim",
            "M01,1,professional,P5,2024-01-05,2024-01-05",
            "M01,1,professional,P5,2099-01-01,2099-01-02",
        ),
    )
    out = tmp_path / "site"
    out.mkdir()
    (out / "index.html").write_text("published before", encoding="utf-8")
    built = CliRunner().invoke(main, ["build", "--data", str(folder), "--out", str(out)])
    assert built.exit_code == 2, built.output
    assert "medical_claim.csv: column 'claim_start_date': is after today (" in built.output
    assert "example: line 2 (claim_id='M01'" in built.output
    assert [p.name for p in out.iterdir()] == ["index.html"]
    assert (out / "index.html").read_text(encoding="utf-8") == "published before"


def test_a_second_row_for_the_same_month_is_not_a_new_key(tmp_path):
    # the 1st and the 15th of one month were two keys; now the 15th is refused itself
    folder = broken_copy(tmp_path, lambda f: None)
    path = folder / "attribution.csv"
    path.write_text(path.read_text(encoding="utf-8") + "P1,2024-02-15,A1,C1,PR1\n")
    _, problems = load_marts(duckdb.connect(), folder)
    assert [(p.column, p.message.split(":")[0]) for p in problems] == [
        ("month", "is not the first day of a month in 1 row(s)")
    ]


def test_diagnosis_codes_written_with_a_dot_are_read_without_it(tmp_path):
    folder = broken_copy(tmp_path, replace_in("medical_claim", ",120,E119,", ",120,e11.9,"))
    con = duckdb.connect()
    _, problems = load_marts(con, folder)
    assert problems == []
    codes = con.execute(
        "SELECT diagnosis_code_1 FROM medical_claim WHERE claim_id = 'M02'"
    ).fetchall()
    assert codes == [("E119",)]


TZ_SCRIPT = """
import sys, duckdb
from scorecard.engine import connect
from scorecard.marts import load_marts
for con in (connect(), duckdb.connect()):
    tables, problems = load_marts(con, sys.argv[1])
    assert problems == [], problems
    query = "SELECT min(claim_start_date), max(claim_end_date) FROM medical_claim"
    print(con.execute(query).fetchone())
print(connect().execute("SELECT current_setting('TimeZone')").fetchone())
"""


def test_dates_stored_as_utc_timestamps_read_the_same_in_every_time_zone(tmp_path):
    # Spark writes dates to Parquet as timestamps in UTC: midnight UTC is the evening before
    # in New York, and DuckDB reads a timestamp's day in the connection's time zone
    folder = broken_copy(tmp_path, lambda f: None)
    csv_file = folder / "medical_claim.csv"
    duckdb.execute(
        "SET TimeZone = 'UTC'; "
        f"COPY (SELECT * REPLACE (claim_start_date::TIMESTAMPTZ AS claim_start_date, "
        f"claim_end_date::TIMESTAMPTZ AS claim_end_date) FROM read_csv('{csv_file}', "
        f"all_varchar = true)) TO '{folder / 'medical_claim.parquet'}' (FORMAT parquet)"
    )
    csv_file.unlink()
    seen = set()
    for zone in ("UTC", "America/New_York", "Asia/Tokyo"):
        env = {**os.environ, "TZ": zone, "PYTHONPATH": str(ROOT)}
        run = subprocess.run(
            [sys.executable, "-c", TZ_SCRIPT, str(folder)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        seen.add(run.stdout)
    assert len(seen) == 1, seen
    assert "datetime.date(2024, 1, 5)" in seen.pop().splitlines()[0]


def test_a_damaged_parquet_file_is_a_problem_not_a_traceback(tmp_path):
    import pyarrow.parquet as pq

    folder = broken_copy(tmp_path, lambda f: None)
    csv_file, parquet = folder / "pharmacy_claim.csv", folder / "pharmacy_claim.parquet"
    duckdb.execute(
        f"COPY (SELECT * FROM read_csv('{csv_file}', all_varchar = true)) TO '{parquet}' "
        "(FORMAT parquet, COMPRESSION zstd)"
    )
    csv_file.unlink()
    chunk = pq.ParquetFile(parquet).metadata.row_group(0).column(2)  # dispensing_date
    data = bytearray(parquet.read_bytes())
    start, end = (
        chunk.data_page_offset + chunk.total_compressed_size // 2,
        chunk.data_page_offset + chunk.total_compressed_size,
    )
    data[start:end] = bytes(end - start)  # zeroed bytes in a data page; the footer is whole
    parquet.write_bytes(bytes(data))
    _, problems = load_marts(duckdb.connect(), folder)
    assert [(Path(p.file).name, p.column) for p in problems] == [("pharmacy_claim.parquet", "")]
    assert problems[0].message.startswith("cannot be read (")
    assert problems[0].message.endswith("): is the file damaged or cut short? Write it again")
    assert str(parquet) not in problems[0].message  # said once, as the problem's file
    checked = CliRunner().invoke(main, ["check", "--data", str(folder)])
    assert checked.exit_code == 2 and "Traceback" not in checked.output


def test_a_quote_never_closed_names_its_line_and_not_the_rows_after_it(tmp_path):
    # DuckDB quotes the "line" from the opening quote on: every row up to the next quote
    folder = broken_copy(tmp_path, replace_in("eligibility", ",medicaid,aco\n", ',medicaid,"aco\n'))
    _, problems = load_marts(duckdb.connect(), folder)
    assert [(Path(p.file).name, p.column) for p in problems] == [("eligibility.csv", "")]
    problem = problems[0]
    assert problem.message == (
        "line 2 cannot be read as CSV: Value with unterminated quote found. "
        "(a quote opened and never closed?)"
    )
    assert problem.example == 'line 2: P1,female,White,1980,2024-01-01,2024-12-31,medicaid,"aco'
    assert "P2" not in str(problem) and "\n" not in str(problem)


def test_a_build_with_no_measure_that_can_be_computed_stops_with_each_reason(tmp_path):
    # the only measure asked for reads cp_activity, which the fixture does not supply: before,
    # the engine went on with no results at all and stopped on a KeyError
    measures = tmp_path / "measures"
    shutil.copytree(ROOT / "measures" / "sql", measures / "sql")
    shutil.copytree(ROOT / "measures" / "value_sets", measures / "value_sets")
    shutil.copy(ROOT / "measures" / "cp_caseload.yml", measures)
    out = tmp_path / "site"
    args = ["build", "--data", str(BASIC), "--measures", str(measures), "--out", str(out)]
    built = CliRunner().invoke(main, args)
    assert built.exit_code == 2 and not out.exists(), built.output
    assert "no measure can be computed from these marts (1 problem):\n" in built.stderr
    assert "  - cp_caseload.yml: " in built.stderr and "cp_activity" in built.stderr


MARTS = ROOT / "tests" / "fixtures" / "marts"
VALUE_SETS = ROOT / "measures" / "value_sets"


def _rewrite_csv(path: Path, columns: dict[str, Callable[[str], str]]) -> int:
    """Rewrite the `columns` of the CSV file at `path` with their functions (empty values kept
    empty); return how many values changed."""
    import pandas as pd

    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    changed = 0
    for column, rewrite in columns.items():
        if column in frame:
            new = frame[column].map(lambda v, f=rewrite: f(v) if v else v)
            changed += int((new != frame[column]).sum())
            frame[column] = new
    frame.to_csv(path, index=False)
    return changed


def _results(folder: Path):
    from scorecard import engine
    from scorecard.specs import load_specs

    run = engine.run(folder, VALUE_SETS, load_specs(ROOT / "measures"))
    return run.results.sort_values(list(run.results.columns[:6])).reset_index(drop=True)


LOWER_CASE_CODES = {
    "hcpcs_code": lambda v: f" {v.lower()}",
    "hcpcs_modifier": str.lower,
    "hcpcs_modifier_1": str.lower,
    "loinc_code": lambda v: f"{v.lower()} ",
}


@pytest.mark.parametrize("fixture", ["cp_ops", "quality_chronic", "quality_prevention"])
def test_procedure_modifier_and_loinc_codes_in_lower_case_give_the_same_results(tmp_path, fixture):
    # the code lists hold codes in capitals (G9005, 3044F, U4): a file writing them in lower
    # case or with spaces around them once matched none (cp_qualifying_activities 3148 -> 0)
    folder = tmp_path / fixture
    shutil.copytree(MARTS / fixture, folder)
    changed = sum(
        _rewrite_csv(folder / f"{table}.csv", LOWER_CASE_CODES)
        for table in ("medical_claim", "cp_activity", "clinical_result")
        if (folder / f"{table}.csv").exists()
    )
    assert changed > 5  # letters were put in lower case
    _, problems = load_marts(duckdb.connect(), folder)
    assert problems == []
    import pandas as pd

    pd.testing.assert_frame_equal(_results(folder), _results(MARTS / fixture))


# codes of a fixed number of digits, and a fixture holding each of them
ZERO_PADDED = {
    "medical_claim": (
        "revenue_center_code",
        "place_of_service_code",
        "bill_type_code",
        "discharge_disposition_code",
        "billing_tin",
    ),
    "pharmacy_claim": ("ndc_code",),
    "organization": ("tin",),
}


def _as_numbers(folder: Path, cast: str = "BIGINT") -> None:
    """Write the tables of ZERO_PADDED in `folder` as Parquet with those codes stored as
    numbers (`cast`), which drops their leading zeros (0450 -> 450, 01 -> 1)."""
    for table, columns in ZERO_PADDED.items():
        csv_file = folder / f"{table}.csv"
        if not csv_file.exists():
            continue
        numbers = ", ".join(f"TRY_CAST({c} AS {cast}) AS {c}" for c in columns)
        duckdb.execute(
            f"COPY (SELECT * REPLACE ({numbers}) FROM read_csv('{csv_file}', all_varchar = true))"
            f" TO '{folder / f'{table}.parquet'}' (FORMAT parquet)"
        )
        csv_file.unlink()


@pytest.mark.parametrize("fixture", ["basic", "claims_use"])
def test_codes_stored_as_numbers_get_their_leading_zeros_back(tmp_path, fixture):
    # revenue code 0450 stored as the integer 450 once matched no ED code (pmpm_ed fell by
    # seven eighths) and check said ok
    folder = tmp_path / fixture
    shutil.copytree(MARTS / fixture, folder)
    _as_numbers(folder)
    lost = duckdb.execute(
        f"SELECT count(*) FROM '{folder / 'medical_claim.parquet'}' "
        "WHERE revenue_center_code < 1000 OR discharge_disposition_code < 10"
    ).fetchone()[0]
    assert lost > 0  # leading zeros were dropped
    con = duckdb.connect()
    _, problems = load_marts(con, folder)
    assert problems == []
    assert (
        con.execute(
            "SELECT count(*) FILTER (WHERE revenue_center_code = '0450'), "
            "count(*) FILTER (WHERE length(revenue_center_code) <> 4) FROM medical_claim"
        ).fetchone()[1]
        == 0
    )
    import pandas as pd

    pd.testing.assert_frame_equal(_results(folder), _results(MARTS / fixture))


def test_codes_stored_as_decimals_are_refused_ids_are_not(tmp_path):
    # a code stored as a decimal (450.0, as pandas stores integers with gaps) is no code; an
    # NPI or TIN is an id, maybe a pseudonym (N1 in fixture claims_use), and is read as written
    folder = broken_copy(tmp_path, lambda f: None)
    _as_numbers(folder, cast="DOUBLE")
    con = duckdb.connect()
    _, problems = load_marts(con, folder)
    found = {(Path(p.file).name, p.column): p for p in problems}
    assert set(found) == {
        ("medical_claim.parquet", column)
        for column in (
            "revenue_center_code",
            "place_of_service_code",
            "bill_type_code",
            "discharge_disposition_code",
        )
    } | {("pharmacy_claim.parquet", "ndc_code")}
    revenue = found[("medical_claim.parquet", "revenue_center_code")]
    assert revenue.message.startswith("is not a code of 4 digits in 13 row(s): write it as")
    assert revenue.example.startswith("row 5 (claim_id='M05', claim_line_number='1', ")
    assert "revenue_center_code=120.0" in revenue.example
    checked = CliRunner().invoke(main, ["check", "--data", str(folder)])
    assert checked.exit_code == 2, checked.output
    assert "revenue_center_code" in checked.output and "Traceback" not in checked.output


# An NDC as written -> as read: a hyphenated 10-digit NDC gets the zero its short segment lacks
# in that segment (a package label prints 12345-678-90 for the code lists' 12345067890), not in
# front of the code as a 10-digit value without hyphens does (which cannot say which segment).
NDCS_READ = {
    "0002-3227-30": "00002322730",  # 4-4-2
    "12345-678-90": "12345067890",  # 5-3-2
    "12345-6789-0": "12345678900",  # 5-4-1
    "00002-3227-30": "00002322730",  # 5-4-2, 11 digits
    "00002322730": "00002322730",
    "1234567890": "01234567890",  # no hyphens: the zero in front
    "2322730": "00002322730",  # stored as a number
}
NDCS_REFUSED = ("123-45-6", "12345-67890-1", "1234-567-89", "00002-3227-301", "1234-5678-9")


def _fills(ndcs) -> Callable[[Path], None]:
    """Return a mutation writing one pharmacy fill per NDC in `ndcs` (claim F0, F1, ...)."""

    def mutate(folder: Path) -> None:
        path = folder / "pharmacy_claim.csv"
        rows = "".join(f"F{i},P1,2024-02-03,{ndc},30,30,50,\n" for i, ndc in enumerate(ndcs))
        path.write_text(path.read_text(encoding="utf-8") + rows, encoding="utf-8")

    return mutate


def test_hyphenated_ndcs_get_their_zero_in_the_short_segment(tmp_path):
    # an NDC written with hyphens, as a package prints it, was refused by check; read with the
    # zero in front, 12345-678-90 would have been 01234567890 and matched no drug list
    folder = broken_copy(tmp_path, _fills(NDCS_READ))
    con = duckdb.connect()
    _, problems = load_marts(con, folder)
    assert problems == []
    read = con.execute(
        "SELECT ndc_code FROM pharmacy_claim WHERE starts_with(claim_id, 'F') "
        "ORDER BY CAST(substring(claim_id, 2) AS INTEGER)"
    ).fetchall()
    assert [r[0] for r in read] == list(NDCS_READ.values())


@pytest.mark.parametrize("ndc", NDCS_REFUSED)
def test_hyphenated_ndcs_of_other_segment_lengths_are_refused(tmp_path, ndc):
    folder = broken_copy(tmp_path, _fills([ndc]))
    _, problems = load_marts(duckdb.connect(), folder)
    assert [(Path(p.file).name, p.column) for p in problems] == [("pharmacy_claim.csv", "ndc_code")]
    assert problems[0].message.startswith("is not an NDC of 11 digits, nor one with hyphens")
    assert "read with a zero in front" in problems[0].message  # the hint on 10 digits
    assert f"(claim_id='F0', ndc_code='{ndc}'" in problems[0].example
    checked = CliRunner().invoke(main, ["check", "--data", str(folder)])
    assert checked.exit_code == 2 and "pharmacy_claim.csv" in checked.output, checked.output
    assert ndc in checked.output and "Traceback" not in checked.output


def _activity(first: str, second: str) -> Callable[[Path], None]:
    """Return a mutation adding column hcpcs_modifier_2 to fixture cp_ops's cp_activity (empty
    on its rows) and an activity Q1 with modifiers `first` and `second`."""

    def mutate(folder: Path) -> None:
        path = folder / "cp_activity.csv"
        header, *rows = path.read_text(encoding="utf-8").splitlines()
        rows = [f"{row}," for row in rows]
        rows.append(f'Q1,O1,C1,2024-08-12,G0506,"{first}",true,T1,"{second}"')
        path.write_text("\n".join([f"{header},hcpcs_modifier_2", *rows]) + "\n", "utf-8")

    return mutate


@pytest.mark.parametrize(
    "first, second, read",
    [
        ("U4 95", "", ("U4", "95")),
        ("u4,95", "", ("U4", "95")),
        ("95: U4", "", ("95", "U4")),
        ("", "95 U4", ("95", "U4")),
        ("95", "U4", ("95", "U4")),
    ],
)
def test_two_modifiers_in_one_field_are_read_as_the_two_columns(tmp_path, first, second, read):
    # a source writing both modifiers in one field once had them read as one modifier, "U4 95",
    # which no code list names: the member's U4 assessment or care plan counted nothing
    folder = tmp_path / "marts"
    shutil.copytree(MARTS / "cp_ops", folder)
    _activity(first, second)(folder)
    con = duckdb.connect()
    _, problems = load_marts(con, folder)
    assert problems == []
    query = "SELECT hcpcs_modifier, hcpcs_modifier_2 FROM cp_activity WHERE activity_id = 'Q1'"
    assert con.execute(query).fetchone() == read


@pytest.mark.parametrize(
    "first, second, column, words",
    [
        ("95 U4", "GT", "hcpcs_modifier", "holds two modifiers while hcpcs_modifier_2 holds"),
        ("GT", "95,U4", "hcpcs_modifier_2", "holds two modifiers while hcpcs_modifier holds"),
        ("95 U4 GT", "", "hcpcs_modifier", "is not a modifier of two letters or digits (U4)"),
        ("U495", "", "hcpcs_modifier", "nor two in one field (95 U4)"),
    ],
)
def test_modifiers_the_two_columns_cannot_hold_are_refused(tmp_path, first, second, column, words):
    folder = tmp_path / "marts"
    shutil.copytree(MARTS / "cp_ops", folder)
    _activity(first, second)(folder)
    _, problems = load_marts(duckdb.connect(), folder)
    assert [(Path(p.file).name, p.column) for p in problems] == [("cp_activity.csv", column)]
    assert words in problems[0].message and "in 1 row(s)" in problems[0].message
    assert problems[0].example.startswith("line 34 (activity_id='Q1', ")
    assert f"{column}={(first if column == 'hcpcs_modifier' else second)!r}" in (
        problems[0].example
    )
    checked = CliRunner().invoke(main, ["check", "--data", str(folder)])
    assert checked.exit_code == 2 and "cp_activity.csv" in checked.output, checked.output


@pytest.mark.parametrize(
    "written, read",
    [
        ("gt 95", ("GT", "95")),
        ("GT,95", ("GT", "95")),
        ("59:LT", ("59", "LT")),
        ("95", ("95", None)),
    ],
)
def test_a_claim_line_with_two_modifiers_in_one_field_is_read_as_the_two(tmp_path, written, read):
    # medical_claim without a hcpcs_modifier_2 column: a field "GT 95" (telehealth) or "59 LT"
    # (a mastectomy's side after another modifier) was once kept as one modifier, which no
    # code list names; it is now read as the two columns, as cp_activity's modifiers are
    folder = tmp_path / "marts"
    shutil.copytree(MARTS / "basic", folder)
    path = folder / "medical_claim.csv"
    header, first, *rest = path.read_text(encoding="utf-8").splitlines()
    assert first.startswith("M01,") and ",99213,,," in first
    first = first.replace(",99213,,,", f',99213,"{written}",,', 1)
    path.write_text("\n".join([header, first, *rest]) + "\n", encoding="utf-8")
    con = duckdb.connect()
    _, problems = load_marts(con, folder)
    assert problems == []
    query = "SELECT hcpcs_modifier_1, hcpcs_modifier_2 FROM medical_claim WHERE claim_id = 'M01'"
    assert con.execute(query).fetchone() == read


def test_ids_of_digits_stored_as_numbers_get_their_leading_zeros_back(tmp_path):
    folder = broken_copy(tmp_path, replace_in("organization", ",A1,111111111", ",A1,011111111"))
    replace_in("medical_claim", ",11,,,99213,,,,111111111,", ",11,,,99213,,,,011111111,")(folder)
    _as_numbers(folder)
    con = duckdb.connect()
    _, problems = load_marts(con, folder)
    assert problems == []
    tins = con.execute("SELECT DISTINCT tin FROM organization ORDER BY 1").fetchall()
    assert tins == [("011111111",), ("222222222",), (None,)]
    billed = "SELECT count(*) FROM medical_claim WHERE billing_tin = '011111111'"
    assert con.execute(billed).fetchone()[0] == 1


def _custom_measures(tmp_path: Path, numerator: str, denominator: str, **fields) -> Path:
    """Return a --measures folder holding one measure over ED visits (ed_visits.sql with
    its numerator and denominator written anew) with `fields` over ed_visits.yml."""
    import yaml

    measures = tmp_path / "custom measures"
    shutil.copytree(ROOT / "measures" / "sql", measures / "sql")
    shutil.copytree(ROOT / "measures" / "value_sets", measures / "value_sets")
    sql = (ROOT / "measures" / "sql" / "ed_visits.sql").read_text(encoding="utf-8")
    sql = sql.replace("coalesce(v.visits, 0) AS numerator", f"{numerator} AS numerator")
    sql = sql.replace("1 AS denominator", f"{denominator} AS denominator")
    (measures / "sql" / "ed_count.sql").write_text(sql, encoding="utf-8")
    spec = yaml.safe_load((ROOT / "measures" / "ed_visits.yml").read_text(encoding="utf-8"))
    spec.update(id="ed_count", sql_file="sql/ed_count.sql", **fields)
    (measures / "ed_count.yml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    return measures


@pytest.mark.parametrize(
    "numerator, denominator, fields, words",
    [
        (
            "2 * coalesce(v.visits, 0)",  # a count of visits, where a unit may count once
            "1",
            {"kind": "proportion", "multiplier": 100, "unit": "%", "shared_counts": {}},
            "column 'numerator': measure ed_count has a numerator above its denominator",
        ),
        (
            "coalesce(v.visits, 0)",
            "CASE WHEN v.visits > 0 THEN -1 ELSE 1 END",
            {},
            "column 'denominator': measure ed_count has a negative denominator",
        ),
    ],
    ids=["proportion over 100%", "negative denominator"],
)
def test_a_measure_returning_impossible_rows_stops_the_build_naming_its_sql_file(
    tmp_path, numerator, denominator, fields, words
):
    measures = _custom_measures(tmp_path, numerator, denominator, **fields)
    out = tmp_path / "site"
    args = ["build", "--data", str(BASIC), "--measures", str(measures), "--out", str(out)]
    built = CliRunner().invoke(main, args)
    assert built.exit_code == 2 and not out.exists(), built.output
    assert "a measure's SQL returns impossible rows (1 problem):" in built.stderr
    sql_file = measures / "sql" / "ed_count.sql"
    assert f"{sql_file}: {words}" in built.stderr
    # the example row, with the member's id as the marts write it
    assert "example: period_id=2024Q1, person_id=P3, attr_month=2024-02-01" in built.stderr
    assert "Traceback" not in built.output


def test_measure_sql_lacking_a_column_is_named_by_check_and_build_alike(tmp_path):
    # check once ran only DESCRIBE and said ok; the build then stopped on a ValueError
    # traceback (exit 1) naming measures/sql/... whatever folder --measures named
    measures = _custom_measures(tmp_path, "coalesce(v.visits, 0)", "1")
    sql_file = measures / "sql" / "ed_count.sql"
    sql = sql_file.read_text(encoding="utf-8")
    sql_file.write_text(sql.replace("mm.month AS attr_month,", ""), encoding="utf-8")
    expected = f"{sql_file}: sql: returns no column(s) attr_month: a measure's SQL returns"
    checked = CliRunner().invoke(main, ["check", "--data", str(BASIC), "--measures", str(measures)])
    assert checked.exit_code == 2, checked.output
    assert expected in checked.output
    out = tmp_path / "site"
    args = ["build", "--data", str(BASIC), "--measures", str(measures), "--out", str(out)]
    built = CliRunner().invoke(main, args)
    assert built.exit_code == 2 and not out.exists(), built.output
    assert "measure SQL is invalid (1 problem):" in built.stderr and expected in built.stderr
    assert "Traceback" not in built.output


def test_measure_sql_duckdb_cannot_read_is_named_by_its_real_path(tmp_path):
    measures = _custom_measures(tmp_path, "coalesce(v.no_such_column, 0)", "1")
    checked = CliRunner().invoke(main, ["check", "--data", str(BASIC), "--measures", str(measures)])
    assert checked.exit_code == 2, checked.output
    assert f"{measures / 'sql' / 'ed_count.sql'}: sql: " in checked.output
    assert "no_such_column" in checked.output


def test_broken_sql_in_a_shared_file_is_one_line_naming_its_measures(tmp_path):
    # a column renamed in pmpm_category.sql printed the same line five times, naming no measure
    measures = tmp_path / "measures"
    shutil.copytree(ROOT / "measures", measures)
    sql_file = measures / "sql" / "pmpm_category.sql"
    sql_file.write_text(sql_file.read_text(encoding="utf-8").replace("paid_amount", "paid_amt"))
    checked = CliRunner().invoke(main, ["check", "--data", str(BASIC), "--measures", str(measures)])
    assert checked.exit_code == 2, checked.output
    lines = [line for line in checked.stderr.splitlines() if "pmpm_category.sql" in line]
    assert len(lines) == 1, lines
    ids = "pmpm_ed, pmpm_inpatient, pmpm_ltss, pmpm_outpatient, pmpm_professional"
    assert lines[0].startswith(f"  - {ids}: {sql_file}: sql: "), lines[0]


def test_check_names_the_measures_the_build_skips_for_want_of_earlier_months():
    # check said ok and named no measure; the build then skipped these for the period
    checked = CliRunner().invoke(main, ["check", "--data", str(BASIC)])
    assert checked.exit_code == 0, checked.output
    assert (
        "  skipped copd_spirometry: needs 30 months of data before its 12-month window, from "
        "July 2021; the data start in January 2024 (period 2024Q4)"
    ) in checked.output


@pytest.mark.parametrize(
    "table, old, new, column, words",
    [
        ("organization", "Alpha Health ACO", "P1", "org_name", "a person_id of the eligibility"),
        ("organization", "Alpha Health ACO", "Alpha P0001234", "org_name", "a member id (P and"),
        ("organization", "A2,aco,", "100012345678,aco,", "org_id", "a MassHealth member id"),
        ("eligibility", "P1,female,White", "P1,female,P2", "race", "a person_id of the"),
    ],
    ids=["a member's id as a name", "an id in a name", "a MassHealth id", "an id as a race"],
)
def test_a_persons_id_in_a_column_shown_on_pages_stops_check_and_build(
    tmp_path, table, old, new, column, words
):
    # org_name P0000001 was published on the CP's page and in 80 files, and check said ok
    folder = broken_copy(tmp_path, replace_in(table, old, new))
    if column == "org_id":  # the id other tables name, renamed there too
        for name in ("attribution", "organization"):
            path = folder / f"{name}.csv"
            text = path.read_text(encoding="utf-8").replace(",A2,", ",100012345678,")
            path.write_text(text, encoding="utf-8")
    checked = CliRunner().invoke(main, ["check", "--data", str(folder)])
    assert checked.exit_code == 2, checked.output
    line = next(x for x in checked.stderr.splitlines() if "person's identifier" in x)
    said = f"{table}.csv: column '{column}': holds a person's identifier or details ({words}"
    assert said in line, line
    value = {"org_id": "100012345678", "race": "P2"}.get(column, new)
    assert "example: line " in line and f"{column}='{value}'" in line, line
    out = tmp_path / "site"
    built = CliRunner().invoke(main, ["build", "--data", str(folder), "--out", str(out)])
    assert built.exit_code == 2 and not out.exists(), built.output
    assert "person's identifier" in built.stderr and "Traceback" not in built.output


def add_assessment(recommendation: str) -> Callable[[Path], None]:
    """Return a mutation that adds a cp_assessment.csv with one recommendation for CP C1."""

    def mutate(folder: Path) -> None:
        rows = [
            "cp_id,focus_area,rating,recommendation,assessment_date",
            "C1,Workforce Development,On track,Train two more coordinators in 2026.,2024-06-30",
            f'C1,Care Model,Opportunity for improvement,"{recommendation}",2024-06-30',
        ]
        (folder / "cp_assessment.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")

    return mutate


@pytest.mark.parametrize(
    "recommendation, words",
    [
        ("Call back Jane, born 1980-02-03, after discharge.", "a date"),
        ("She was discharged on Aug. 14, 2024 and not called.", "a date written with its month"),
        ("Ring her at (617) 555-1234 this week.", "a phone number"),
        ("Member P0000001 was never called back.", "a member id (P and seven digits)"),
    ],
    ids=["iso date", "month date", "phone", "member id"],
)
def test_a_persons_details_in_an_assessments_free_text_stop_check(tmp_path, recommendation, words):
    # the recommendation is published as written on the CP's page, its plain page and the
    # xlsx download of every edition: a reviewer's "Member P0000001 (Jane Doe, born
    # 1980-02-03) was never called back after her discharge on 2025-08-14" went out in public
    folder = broken_copy(tmp_path, add_assessment(recommendation))
    checked = CliRunner().invoke(main, ["check", "--data", str(folder)])
    assert checked.exit_code == 2, checked.output
    line = next(x for x in checked.stderr.splitlines() if "identifier or details" in x)
    assert "cp_assessment.csv: column 'recommendation': holds a person's identifier or " in line
    assert f"details ({words})" in line and "example: line 3" in line, line


def test_an_assessments_plain_recommendation_with_numbers_and_a_year_is_read(tmp_path):
    # years, counts and quarters are how an assessor writes about an organisation: only a
    # real day's date, a phone number or an id is refused (24/7/365 and 7/14/30 days were)
    sentence = (
        "Hire 12 care coordinators by Q3 2026 (by June 2026 for 3 sites), answer a care line "
        "24/7/365 and follow up within 7/14/30 days, for 1,200 members."
    )
    folder = broken_copy(tmp_path, add_assessment(sentence))
    checked = CliRunner().invoke(main, ["check", "--data", str(folder)])
    assert checked.exit_code == 0, checked.output
