"""Register mart files (CSV or Parquet) in DuckDB as typed tables, and validate them.

Each table of the contract becomes `raw_<table>` (the file as read, with where each row is: a view
over a Parquet file with its `_row` number, a table for CSV with its `_line`) and
`<table>` (contract columns cast to contract types; optional columns that are absent are NULL).
validate() returns every problem found, each naming the file, the column and an example row.
"""

from __future__ import annotations

import csv
import difflib
import gzip
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

import duckdb
import pandas as pd

from scorecard.contract import (
    BIRTH_DATE_COLUMNS,
    FREE_TEXT_PATTERNS,
    IDENTIFYING_COLUMNS,
    IDENTIFYING_PATTERN,
    PERSON_ID_PATTERNS,
    TABLES,
    TABLES_BY_NAME,
    Column,
    Table,
    free_text_columns,
    shown_columns,
)

SUFFIXES: tuple[str, ...] = (".parquet", ".csv", ".csv.gz")
# Columns load_raw adds to what a file holds: the row number (Parquet) or line (CSV, the header
# is line 1, as a spreadsheet numbers its rows), and each row's file for a folder.
ADDED_COLUMNS: tuple[str, ...] = ("_row", "_line", "_file")


@dataclass(frozen=True)
class Problem:
    file: str
    column: str
    message: str
    example: str = ""

    def __str__(self) -> str:
        example = f"; example: {self.example}" if self.example else ""
        column = f"column '{self.column}': " if self.column else ""  # '': the file's problem
        return f"{self.file}: {column}{self.message}{example}"


class MartError(Exception):
    """Raised with every problem found in the marts."""

    title = "the marts have problems"  # how a build introduces the problems

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class PeriodError(MartError):
    """Raised when the period asked for is not a complete quarter of the marts."""

    title = "the period asked for is not in the data"


class NothingToComputeError(MartError):
    """Raised when every measure asked for was skipped: the marts lack its tables or history."""

    title = "no measure can be computed from these marts"


def find_mart_files(data_dir: Path) -> dict[str, Path]:
    """Return the file or folder found for each contract table in `data_dir`, Parquet preferred.

    A table is one file (`<table>.parquet`, `.csv` or `.csv.gz`) or a folder of Parquet files
    (`<table>.parquet/` or `<table>/`, as Spark and other engines write them; see
    is_parquet_folder). Names are matched without regard to case (`Eligibility.CSV`), an
    exact match first.
    """
    entries = _folder_entries(Path(data_dir))
    found: dict[str, Path] = {}
    for table in TABLES:
        for name in (*(f"{table.name}{suffix}" for suffix in SUFFIXES), table.name):
            path = Path(data_dir) / name
            path = path if path.exists() else entries.get(name.lower(), path)
            if path.is_file() or is_parquet_folder(path):
                found[table.name] = path
                break
    return found


def _folder_entries(folder: Path) -> dict[str, Path]:
    """Return lower-cased name -> path for what `folder` holds (nothing if it does not exist)."""
    if not folder.is_dir():
        return {}
    return {entry.name.lower(): entry for entry in sorted(folder.iterdir(), reverse=True)}


def unread_files(data_dir: Path) -> list[str]:
    """Return the names of the files and folders in `data_dir` that are no table's, so are not
    read (organisation.csv, member.tsv ...), leaving out hidden ones and READMEs."""
    if not Path(data_dir).is_dir():
        return []
    read = {path.name for path in find_mart_files(data_dir).values()}
    return [
        entry.name
        for entry in sorted(Path(data_dir).iterdir())
        if entry.name not in read
        and not entry.name.startswith((".", "_"))
        and not entry.name.lower().startswith("readme")
    ]


def misnamed_tables(found: dict[str, Path], unread: list[str]) -> dict[str, str]:
    """Return table -> file name, for each table not `found` whose name a file that no table
    reads (`unread`, see unread_files) nearly has (medical_claims.csv, member.tsv): most likely
    the table, misnamed, whose measures would otherwise be skipped without a word."""
    missing = [t.name for t in TABLES if t.name not in found]
    misnamed: dict[str, str] = {}
    for name in unread:
        stem = name.split(".")[0].lower()
        close = difflib.get_close_matches(stem, missing, n=1, cutoff=0.8)
        if close and close[0] not in misnamed:
            misnamed[close[0]] = name
    return misnamed


def misnamed_problem(data_dir: Path, table: str, name: str) -> Problem:
    """Return the problem of file `name`, which is no table's but nearly has `table`'s name."""
    stem = name.split(".")[0]
    if stem.lower() == table:
        message = f"is not read: a table is read from {_looked_for(table)}"
    else:
        message = (
            f"is not a table name: did you mean {table}? (rename it {table}{name[len(stem) :]})"
        )
    return Problem(str(Path(data_dir) / name), "", message)


def unread_note(unread: list[str]) -> str:
    """Return the words naming the files of a marts folder that no table reads."""
    return f"not read, as no table has their name: {', '.join(unread)}"


def is_parquet_folder(path: Path) -> bool:
    """Return True if `path` is a folder holding Parquet files, at any depth (hive-style
    partition folders such as `month=2025-01/` included)."""
    return path.is_dir() and next(path.rglob("*.parquet"), None) is not None


def mart_files(path: Path) -> list[Path]:
    """Return the files a mart is read from: the file itself, or a folder's Parquet files in
    name order."""
    return sorted(path.rglob("*.parquet")) if path.is_dir() else [path]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def is_parquet(path: Path) -> bool:
    """Return True if the mart at `path` is Parquet: a .parquet file or a folder of them."""
    return path.name.lower().endswith(".parquet") or path.is_dir()


def _raw_select(path: Path) -> str:
    """Return the SELECT reading `path` as it is, plus `_row` (1-based row in a Parquet file) or
    `_line` (a CSV file's line, the header being line 1) and, for a folder, `_file` (the file
    each row comes from)."""
    if is_parquet(path):
        files = "[" + ", ".join(_literal(f) for f in mart_files(path)) + "]"
        folder = path.is_dir()  # only a folder's rows say which file they come from
        which_file = ", filename AS _file" if folder else ""
        return (
            f"SELECT * EXCLUDE ({'filename, ' if folder else ''}file_row_number), "
            f"file_row_number + 1 AS _row{which_file} FROM read_parquet({files}, "
            f"file_row_number = true, filename = {folder}, union_by_name = true)"
        )
    header = csv_header(path)
    columns = "{" + ", ".join(f"{_literal(name)}: 'VARCHAR'" for name in header.names) + "}"
    # the delimiter and the columns come from the header, and the read is strict: a line
    # with a field too many or too few (a comma not in quotes) is an error naming the line,
    # not a reason for the sniffer to read the whole file as one column
    return (
        "SELECT *, row_number() OVER () + 1 AS _line FROM "
        f"read_csv({_literal(path)}, header = true, auto_detect = false, columns = {columns}, "
        f"delim = {_literal(header.delimiter)}, quote = '\"', escape = '\"', "
        "strict_mode = true, null_padding = false)"
    )


DELIMITERS = ",;\t|"


@dataclass(frozen=True)
class CsvHeader:
    """The first line of a CSV file: its delimiter and column names."""

    delimiter: str
    names: tuple[str, ...]


class EmptyFileError(Exception):
    """Raised for a CSV file with no header line."""


def csv_header(path: Path) -> CsvHeader:
    """Return the delimiter (the one of DELIMITERS the header holds most of, a comma if it
    holds none) and the column names of a CSV file's header. A name left empty is named
    column<N> (N from 0) and a repeated one gets _<n>, as DuckDB names them. Raise
    EmptyFileError if there is no header line, UnicodeDecodeError if it is not UTF-8."""
    with _open_bytes(path) as handle:
        line = handle.readline().decode("utf-8-sig").rstrip("\r\n")
    if not line.strip():
        raise EmptyFileError(path)
    delimiter = max(DELIMITERS, key=line.count) if any(d in line for d in DELIMITERS) else ","
    written = [
        name or f"column{index}"
        for index, name in enumerate(next(csv.reader([line], delimiter=delimiter)))
    ]
    names = [
        f"{name}_{written[:index].count(name)}" if name in written[:index] else name
        for index, name in enumerate(written)
    ]
    return CsvHeader(delimiter, tuple(names))


def load_raw(con: duckdb.DuckDBPyConnection, table: Table, path: Path) -> list[Problem]:
    """Load `path` as raw_<table> (see _raw_select); return problems if it cannot be read."""
    # Parquet is typed and columnar: a view reads it again for each check, which costs less
    # than a copy (at a million members the copy alone doubled the memory of the marts).
    kind = "VIEW" if is_parquet(path) else "TABLE"
    try:
        select = _with_contract_names(con, table, _raw_select(path))
        con.execute(f"CREATE OR REPLACE {kind} raw_{table.name} AS {select}")
    except EmptyFileError:
        return [Problem(str(path), "", NO_ROWS)]
    except (duckdb.Error, UnicodeDecodeError) as exc:
        return [_unreadable(path, exc)]
    return []


def _unreadable(path: Path, exc: Exception) -> Problem:
    """Return the problem of a file the reader refused: for a CSV file, text that is not UTF-8
    or a line whose fields do not match the header or that it cannot read (bad_line), else the
    reader's own reason."""
    csv = not is_parquet(path)
    encoding = encoding_problem(path) if csv else None
    line = (ragged_line(exc, path) or bad_line(exc)) if csv and not encoding else None
    if line:
        return Problem(str(path), "", *line)
    return Problem(str(path), "", encoding or _reader_reason(exc))


NO_ROWS = "has no data rows"
# DuckDB's words for a line with more or fewer fields than the header (strict_mode)
RAGGED_LINE = re.compile(
    r"CSV Error on Line: (\d+)\s*\nOriginal Line: (.*?)\n"
    r"Expected Number of Columns: (\d+) Found: (\d+)",
    re.S,
)
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "|"}


def ragged_line(exc: Exception, path: Path) -> tuple[str, str] | None:
    """Return (problem, example) for the line of a CSV file with more or fewer fields than
    its header, as the reader reported it (None for another error)."""
    match = RAGGED_LINE.search(str(exc))
    if match is None:
        return None
    line, written, expected, found = match[1], match[2].strip(), int(match[3]), int(match[4])
    delimiter = DELIMITER_NAMES[csv_header(path).delimiter]
    why = f"a {delimiter} not in quotes?" if found > expected else "a field left out?"
    problem = f"line {line} has {found} fields, the header has {expected} ({why})"
    shown = written if len(written) <= 200 else written[:200] + " ..."
    return problem, f"line {line}: {shown}"


# DuckDB's words for another line it cannot read (a quote not closed ...): the line, the line as
# written (which runs on over every line up to the next quote, so may hold thousands of rows)
# and, last, the reason
BAD_LINE = re.compile(r"CSV Error on Line: (\d+)\s*\nOriginal Line: ([^\n]*)")
SHOWN = 200  # characters of a line shown in an example, at most


def bad_line(exc: Exception) -> tuple[str, str] | None:
    """Return (problem, example) for a line of a CSV file the reader cannot read, as it
    reported it: the line number, its reason and the line's first SHOWN characters, never the
    lines it ran on over (None for another error)."""
    match = BAD_LINE.search(str(exc))
    if match is None:
        return None
    line, written = match[1], match[2].strip()
    reason = _reason_lines(exc)[-1]
    hint = " (a quote opened and never closed?)" if "unterminated quote" in reason else ""
    shown = written if len(written) <= SHOWN else written[:SHOWN] + " ..."
    return f"line {line} cannot be read as CSV: {reason}{hint}", f"line {line}: {shown}"


def _reason_lines(exc: Exception) -> list[str]:
    """Return the lines of DuckDB's reason for refusing a file, without the settings and
    suggestions it lists after a blank line, nor the line it quotes (see BAD_LINE)."""
    text = str(exc).strip()
    if "\nOriginal Line: " not in text:
        head = text.split("\n\n")[0].splitlines()
    else:  # the line quoted may run on over many, even blank ones: the reason comes last
        for advice in ("\n\nPossible fixes", "\n\n  file = "):
            text = text.split(advice)[0]
        before, quoted = text.split("\nOriginal Line: ", 1)
        head = [*before.splitlines(), [line for line in quoted.splitlines() if line.strip()][-1]]
    head = [line.strip() for line in head if line.strip()]
    return head or [type(exc).__name__]


def _first_line(exc: Exception) -> str:
    """Return the first line of DuckDB's reason, without the file's name (the problem names
    it), at most SHOWN characters."""
    line = re.sub(r'Failed to read file "[^"]*": ', "", _reason_lines(exc)[0])
    return line if len(line) <= SHOWN else line[:SHOWN] + " ..."


def encoding_problem(path: Path) -> str | None:
    """Return why a CSV file is not UTF-8 text, with where and what to do, or None if it is."""
    with _open_bytes(path) as handle:
        if handle.read(2) in (b"\xff\xfe", b"\xfe\xff"):
            return "is UTF-16 text: save the file as UTF-8"
    bad_byte = first_non_utf8(path)
    if bad_byte is None:
        return None
    line, byte = bad_byte
    return (
        f"is not UTF-8 text: line {line} has the byte 0x{byte:02X}, which UTF-8 does not "
        "allow there (as in a file saved as Windows-1252 or Latin-1, for letters such as "
        "é or ç): save the file as UTF-8"
    )


def first_non_utf8(path: Path) -> tuple[int, int] | None:
    """Return (line number, byte) of the first byte of a CSV file (.csv.gz decompressed) that
    is not valid UTF-8, or None if it is all UTF-8. Read line by line: memory stays small."""
    with _open_bytes(path) as handle:
        for number, line in enumerate(handle, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                return number, line[exc.start]
    return None


def _open_bytes(path: Path) -> BinaryIO:
    """Open a CSV file for reading its bytes, a .gz one decompressed."""
    return gzip.open(path, "rb") if is_gzip(path) else open(path, "rb")


def is_gzip(path: Path) -> bool:
    """Return True if the CSV file at `path` is compressed: its name ends .gz, in any case
    (find_mart_files matches names so: MEDICAL_CLAIM.CSV.GZ)."""
    return path.name.lower().endswith(".gz")


def _reader_reason(exc: Exception) -> str:
    """Return the problem of a file the reader refused: its own reason, without the settings
    and suggestions DuckDB lists after it, nor any line it quotes (at most 3 x SHOWN
    characters)."""
    reason = "; ".join(_reason_lines(exc))
    reason = reason if len(reason) <= 3 * SHOWN else reason[: 3 * SHOWN] + " ..."
    return "cannot be read as CSV or Parquet: " + reason


def contract_names(table: Table, names: list[str]) -> dict[str, str]:
    """Return file column name -> contract name for the columns of a file (`names`) that the
    contract names otherwise: headers such as PERSON_ID or ' Paid_Amount ' (as SAS and database
    exports write them) are matched without regard to case or surrounding spaces. A column
    whose contract name the file also has as it is, or shares it with another, keeps its own
    name."""
    contract = {c.name.lower(): c.name for c in table.columns}
    matches = {
        name: contract.get(name.replace("\ufeff", "").strip().lower(), name) for name in names
    }
    wanted = list(matches.values())
    return {
        name: match
        for name, match in matches.items()
        if match != name and match not in names and wanted.count(match) == 1
    }


def _with_contract_names(con: duckdb.DuckDBPyConnection, table: Table, select: str) -> str:
    """Return `select` with each column named as the contract names it (contract_names)."""
    names = [r[0] for r in con.execute(f"DESCRIBE {select}").fetchall()]
    renamed = contract_names(table, names)
    if not renamed:
        return select
    columns = ", ".join(
        f"{_quote(n)} AS {_quote(renamed[n])}" if n in renamed else _quote(n) for n in names
    )
    return f"SELECT {columns} FROM ({select})"


def drop_raw(con: duckdb.DuckDBPyConnection) -> None:
    """Drop every raw_<table> (see load_raw): once the marts are checked, nothing reads them."""
    for kind, catalog in (("VIEW", "duckdb_views()"), ("TABLE", "duckdb_tables()")):
        column = f"{kind.lower()}_name"
        query = f"SELECT {column} FROM {catalog} WHERE starts_with({column}, 'raw_')"
        for (name,) in con.execute(query).fetchall():
            con.execute(f"DROP {kind} {_quote(name)}")


def raw_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """Return the column names of raw_<table>, without the added row number."""
    rows = con.execute(f"DESCRIBE raw_{table}").fetchall()
    return [r[0] for r in rows if r[0] not in ADDED_COLUMNS]


def _text(column: str) -> str:
    return f"NULLIF(TRIM(CAST({_quote(column)} AS VARCHAR)), '')"


def raw_types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """Return the DuckDB type of each column of raw_<table>."""
    return {r[0]: r[1] for r in con.execute(f"DESCRIBE raw_{table}").fetchall()}


def _native(column: Column, types: dict[str, str]) -> bool:
    """Return True if the file already stores `column` in its contract type (not text).

    Such a column (a Parquet DATE, INTEGER, DOUBLE or BOOLEAN) is used as it is: casting it to
    text and back would give the same values and cost about a third of loading the marts.
    """
    return column.type != "VARCHAR" and types.get(column.name) == column.type


# Rewrites of a column to one written form (Column.form), on its typed value {v}. The UB-04
# form prints the type of bill with a leading zero (0111); the measures read three digits (111).
# ICD-10-CM codes are written with a dot (E11.9) in many sources and without it (E119) in the
# code lists the measures read: the dot is dropped, and letters put in capitals (e119).
# Procedure, modifier and LOINC codes (form "code") are put in capitals as the code lists hold
# them: a file writing g9005 or 99213-gt would otherwise match no code list and count nothing.
# {v} is already trimmed (see _text and the Spark engine's _typed_expr). A code of a fixed
# number of digits (form "digits", Column.width {w}: revenue 0450, place of service 02, NPI,
# TIN; and NDC, form "ndc", which reads hyphenated NDCs too, see NDC_SEGMENTS) stored as a
# number has lost its leading zeros (450): a shorter value of digits is read with zeros in
# front, as the code lists write it; a code (not an id, "digit_id", which may be pseudonymised)
# longer or not all digits is refused (WRITTEN_RULES). A type of bill's frequency may be a
# letter, read in capitals.
# Written in SQL that DuckDB and Spark read alike: both engines use them through written_form.
DIGITS = (
    "CASE WHEN length({v}) < {w} AND translate({v}, '0123456789', '') = '' "
    "THEN lpad({v}, {w}, '0') ELSE {v} END"
)
# An NDC is 11 digits in the 5-4-2 configuration the code lists write (00002322730). A package
# label prints it with hyphens in 10 digits, in one of three configurations, whose missing zero
# goes in front of the short segment, not in front of the code: 4-4-2 0002-3227-30 as
# 00002322730, 5-3-2 12345-678-90 as 12345067890, 5-4-1 12345-6789-0 as 12345678900. The
# 11-digit 5-4-2 form (00002-3227-30) loses its hyphens. Other values are read as DIGITS: a
# plain 10-digit value, which cannot say which segment is short, gets its zero in front (right
# for the 4-4-2 configuration and for an 11-digit code stored as a number); anything else, a
# hyphenated value of other segment lengths among them, is refused (NDC_RULE).
NDC_SEGMENTS = {  # pattern of a hyphenated NDC: its 11 digits, from its segments {v}
    "[0-9]{4}-[0-9]{4}-[0-9]{2}": "concat('0', replace({v}, '-', ''))",
    "[0-9]{5}-[0-9]{3}-[0-9]{2}": (
        "concat(substring({v}, 1, 5), '0', substring({v}, 7, 3), substring({v}, 11, 2))"
    ),
    "[0-9]{5}-[0-9]{4}-[0-9]": (
        "concat(substring({v}, 1, 5), substring({v}, 7, 4), '0', substring({v}, 12, 1))"
    ),
    "[0-9]{5}-[0-9]{4}-[0-9]{2}": "replace({v}, '-', '')",
}


def _braced(text: str) -> str:
    """Return `text` with its braces doubled, read as itself by str.format."""
    return text.replace("{", "{{").replace("}", "}}")


def _ndc_form() -> str:
    """Return the FORMS template of an NDC: NDC_SEGMENTS, else DIGITS. A full match is tested as
    cast_text does, alike on both engines; the patterns' braces are doubled for str.format."""
    whens = []
    for pattern, value in NDC_SEGMENTS.items():
        full = _braced(_literal(f"^{pattern}$"))
        whens.append(f"WHEN regexp_replace({{v}}, {full}, '') = '' THEN {value}")
    return f"CASE {' '.join(whens)} ELSE {DIGITS} END"


NDC = _ndc_form()
FORMS: dict[str, str] = {
    "type_of_bill": (
        "upper(CASE WHEN length({v}) = 4 AND substring({v}, 1, 1) = '0' "
        "THEN substring({v}, 2) ELSE {v} END)"
    ),
    "icd10": "upper(replace({v}, '.', ''))",
    "code": "upper({v})",
    "modifier": "upper({v})",  # and split_modifiers, over the pair
    "digits": DIGITS,
    "digit_id": DIGITS,
    "ndc": NDC,
}


def written_form(column: Column, typed: str) -> str:
    """Return the SQL of `column`'s value in its written form (FORMS), from `typed`, the SQL of
    its value read as its contract type; `typed` itself for a column with no form."""
    if not column.form:
        return typed
    return FORMS[column.form].format(v=typed, w=column.width)


def _typed_expr(column: Column, present: set[str], types: dict[str, str] | None = None) -> str:
    name = _quote(column.name)
    if column.name not in present:
        return f"CAST(NULL AS {column.type}) AS {name}"
    typed = typed_value(column, types or {})
    return typed if typed == name else f"{typed} AS {name}"


# Text read as a contract type alike on DuckDB and Spark (the Spark engine reads text through
# cast_text too). Each engine's own cast reads more, and not the same: DuckDB reads 2024/01/05
# as a date and 30.5 as the whole number 31, Spark reads neither (NULL) but reads 2024 and
# +2024-01-05 as dates. Text of these types must match (pattern, value read):
# - a date is written YYYY-MM-DD, maybe followed by a time after a space or a T (as database
#   exports write a timestamp), whose date both engines read alike;
# - a whole number is digits with an optional sign, maybe followed by a decimal point and zeros
#   alone: 30.0 is how spreadsheets and pandas often write a whole number, read as 30 on both
#   engines; a real fraction (30.5) is refused rather than rounded by one engine.
# Other text is not a valid value (the check says so, TYPE_EXAMPLES). The patterns are written
# with brackets, not backslashes, which Spark's string literals would read as escapes.
TEXT_FORMS: dict[str, tuple[str, str]] = {
    "DATE": ("^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T].*)?$", "{t}"),
    "INTEGER": ("^[+-]?[0-9]+([.]0*)?$", "regexp_replace({t}, '[.]0*$', '')"),
    # digits with a decimal point and an exponent at most: DuckDB alone read 1_000 (as 1000)
    "DOUBLE": ("^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?$", "{t}"),
}


def cast_text(text: str, sql_type: str) -> str:
    """Return the SQL (read alike by DuckDB and Spark) of `text`, trimmed text or NULL, read as
    `sql_type`: NULL when it is not a value of that type written as TEXT_FORMS requires."""
    if sql_type not in TEXT_FORMS:
        return f"TRY_CAST({text} AS {sql_type})"
    pattern, value = TEXT_FORMS[sql_type]
    written = f"regexp_replace({text}, {_literal(pattern)}, '') = ''"  # a full match, on both
    return f"TRY_CAST(CASE WHEN {written} THEN {value.format(t=text)} END AS {sql_type})"


def typed_value(column: Column, types: dict[str, str]) -> str:
    """Return the expression of a raw_<table> column's value as <table> holds it (the column
    read as its contract type, in its written form)."""
    name = _quote(column.name)
    typed = name if _native(column, types) else cast_text(_text(column.name), column.type)
    return written_form(column, typed)


# A table's two modifier columns (first, second), of form "modifier". Some sources write both
# modifiers of an activity in one field, as a claim form prints them: "95 U4", "U4,95", "95:U4".
# Read as one, such a field matches no modifier a code list names, and the measures that need
# U4 (a comprehensive assessment, a signed care plan) silently count none of those activities,
# nor a claim line's side of a mastectomy written after another modifier ("59 LT").
# Two modifiers in one field (two letters or digits each, apart by anything else) are read as
# the two columns when the other column is empty, in their order; beside a filled other column
# (three modifiers), or more than two in one field, they are refused (MODIFIER_RULE,
# MODIFIERS_CROWDED). Written in SQL DuckDB and Spark read alike, over the typed columns.
MODIFIER_PAIRS: dict[str, tuple[str, str]] = {
    "cp_activity": ("hcpcs_modifier", "hcpcs_modifier_2"),
    "medical_claim": ("hcpcs_modifier_1", "hcpcs_modifier_2"),
}
TWO_MODIFIERS = "^[0-9A-Z]{2}[^0-9A-Z]+[0-9A-Z]{2}$"  # over a typed value, in capitals


def split_modifiers(table: Table) -> dict[str, str]:
    """Return the SQL of each modifier column of `table` (MODIFIER_PAIRS), over its typed
    columns, with a field of two modifiers beside an empty other column read as the two;
    empty for a table without a pair."""
    if table.name not in MODIFIER_PAIRS:
        return {}
    first, second = MODIFIER_PAIRS[table.name]  # plain names: Spark reads "x" as text
    pattern = _literal(TWO_MODIFIERS)

    def two(field: str) -> str:
        return f"regexp_replace({field}, {pattern}, '') = ''"

    one_in_first = f"{second} IS NULL AND {two(first)}"
    one_in_second = f"{first} IS NULL AND {two(second)}"
    return {
        first: (
            f"CASE WHEN {one_in_first} THEN substring({first}, 1, 2) "
            f"WHEN {one_in_second} THEN substring({second}, 1, 2) ELSE {first} END"
        ),
        second: (
            f"CASE WHEN {one_in_first} THEN right({first}, 2) "
            f"WHEN {one_in_second} THEN right({second}, 2) ELSE {second} END"
        ),
    }


def create_typed(con: duckdb.DuckDBPyConnection, table: Table, present: set[str]) -> None:
    """Create <table> from raw_<table> with contract columns and types (absent optional = NULL),
    two modifiers written in one field read as two (split_modifiers)."""
    types = raw_types(con, table.name)
    exprs = ", ".join(_typed_expr(c, present, types) for c in table.columns)
    select = f"SELECT {exprs} FROM raw_{table.name}"
    split = split_modifiers(table)
    if split:
        replaced = ", ".join(f"{sql} AS {_quote(name)}" for name, sql in split.items())
        select = f"SELECT * REPLACE ({replaced}) FROM ({select})"
    con.execute(f"CREATE OR REPLACE TABLE {table.name} AS {select}")


def create_empty(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    """Create an empty <table> with the contract's columns, for an optional table not supplied."""
    exprs = ", ".join(f"CAST(NULL AS {c.type}) AS {_quote(c.name)}" for c in table.columns)
    con.execute(f"CREATE OR REPLACE TABLE {table.name} AS SELECT {exprs} WHERE false")


def _example(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    where: str,
    present: set[str],
    columns: tuple[str, ...] = (),
) -> str:
    """Return the first row matching `where` as 'row N of file (key=..., column=..., ...)'
    ('line N' in a CSV file):
    the key, then `columns` (those at fault), then the table's other columns, six at most."""
    order = (*table.key, *columns, *(c.name for c in table.columns))
    shown = list(dict.fromkeys(c for c in order if c in present))[:6]
    raw = raw_types(con, table.name)
    where_from = "_file" if "_file" in raw else "NULL"
    place = "_line" if "_line" in raw else "_row"
    cols = ", ".join([place, where_from, *(_quote(c) for c in shown)])
    row = con.execute(f"SELECT {cols} FROM raw_{table.name} WHERE {where} LIMIT 1").fetchone()
    if row is None:
        return ""
    pairs = zip(shown, row[2:], strict=True)
    values = ", ".join(f"{name}={_shown(value)}" for name, value in pairs)
    in_file = f" of {Path(row[1]).name}" if row[1] else ""
    return f"{place[1:]} {row[0]}{in_file} ({values})"


def _shown(value: object) -> str:
    """Return a value of an example row as the message shows it: text and dates quoted as
    written in a file ('2021-07-01', not datetime.date(2021, 7, 1)), numbers as they are."""
    if isinstance(value, date | datetime):
        return repr(value.isoformat())
    return repr(value)


# What a value of each contract type looks like, for the message about a value that is not
# one: extracts often write dates as 10/31/2025 and amounts as $1,234.50.
TYPE_EXAMPLES = {
    "DATE": "a date written YYYY-MM-DD, e.g. 2025-10-31",
    "INTEGER": "a whole number, e.g. 1987",
    "DOUBLE": "a number with no $ sign or thousands separator, e.g. 1234.50",
    "BOOLEAN": "true or false",
}
NOT_VALID = "is not a valid"


def _column_rules(
    column: Column, native: bool = False, today: date | None = None
) -> list[tuple[str, str]]:
    """Return (condition that marks a bad row, message) pairs for one column.

    native: the file stores the column in its contract type (see _native), so every value is
    valid and empty means NULL. today: the day a date of something that has happened
    (Column.past) may not be after; None, no such rule.
    """
    text = _text(column.name)
    typed = _quote(column.name) if native else cast_text(text, column.type)
    rules = []
    if not native and column.type != "VARCHAR":  # any text is a valid VARCHAR
        rules.append((f"{text} IS NOT NULL AND {typed} IS NULL", f"{NOT_VALID} {column.type}"))
    if column.required:
        rules.append((f"{typed if native else text} IS NULL", "is empty but required"))
    if column.allowed:
        allowed = ", ".join(_literal(v) for v in column.allowed)
        rules.append((f"{text} NOT IN ({allowed})", f"has a value not in {list(column.allowed)}"))
    if column.min_value is not None:
        low = _literal(column.min_value)
        rules.append((f"{typed} < CAST({low} AS {column.type})", f"is below {column.min_value}"))
    if column.past and today is not None:  # the tighter bound, in place of max_value
        when = today.isoformat()
        rules.append((f"{typed} > DATE {_literal(when)}", f"{AFTER_TODAY} ({when})"))
    elif column.max_value is not None:
        high = _literal(column.max_value)
        rules.append((f"{typed} > CAST({high} AS {column.type})", f"is above {column.max_value}"))
    if column.first_of_month:
        rules.append((f"day({typed}) <> 1", NOT_FIRST_OF_MONTH))
    if column.form in WRITTEN_RULES:
        pattern, message = WRITTEN_RULES[column.form]
        pattern = pattern.format(w=column.width)
        rules.append(
            (f"NOT regexp_full_match({text}, {_literal(pattern)})", message.format(w=column.width))
        )
    return rules


# A service, fill or result dated after the day of the check has not happened: most often a
# date typed wrong (2099 for 2019), which would otherwise make a quarter that has not begun the
# latest one published.
AFTER_TODAY = "is after today"
# A month is written as its first day: the measures join attribution to other months by it,
# so a month written as another day (2025-03-31) would match none and be left out.
NOT_FIRST_OF_MONTH = "is not the first day of a month"
# The values a code column of a fixed form may hold, as written or in its written form (FORMS,
# where the rules are counted on the typed table, see rules_source), and the message for one
# that does not: (pattern, message), both formatted with the column's width {w}.
DIGITS_RULE = "is not a code of {w} digits"
BILL_TYPE_RULE = (
    "is not a type of bill of three characters (111) or four with a leading zero (0111)"
)
NDC_RULE = (
    "is not an NDC of {w} digits, nor one with hyphens in the 4-4-2, 5-3-2, 5-4-1 or 5-4-2 "
    "configuration"
)
MODIFIER_RULE = "is not a modifier of two letters or digits (U4), nor two in one field (95 U4)"
WRITTEN_RULES: dict[str, tuple[str, str]] = {
    "modifier": ("[0-9A-Za-z]{{2}}([^0-9A-Za-z]+[0-9A-Za-z]{{2}})?", MODIFIER_RULE),
    "digits": ("[0-9]{{1,{w}}}", DIGITS_RULE),
    "ndc": (
        "|".join(["[0-9]{{1,{w}}}", *(_braced(p) for p in NDC_SEGMENTS)]),
        NDC_RULE,
    ),
    "type_of_bill": ("0?[0-9]{{2}}[0-9A-Za-z]", BILL_TYPE_RULE),
}
# What to do, said after the count of rows a rule finds, by how its message begins
HINTS = {
    NOT_FIRST_OF_MONTH: "write each month as its first day, e.g. 2025-03-01",
    DIGITS_RULE.split("{")[0]: (
        "write it as digits alone (no hyphen, dot or decimal part), at most that many; a "
        "shorter one, as a number loses its leading zeros, is read with zeros in front (450 as "
        "0450)"
    ),
    MODIFIER_RULE: (
        "write one modifier in each modifier column; two in one field, apart by a space, comma "
        "or colon, are read as the two when the table's other modifier column is empty"
    ),
    NDC_RULE.split("{")[0]: (
        "write it as its 11 digits (00002322730), or with hyphens as the package prints it "
        "(0002-3227-30, 12345-678-90, 12345-6789-0 or 00002-3227-30), which is read with the "
        "short segment's zero in its place; 10 digits without hyphens are read with a zero in "
        "front, right only for the 4-4-2 configuration"
    ),
}


def _identifying_message(name: str) -> str:
    """Return the problem of an identifying column, saying what to give instead if anything."""
    message = "identifies a person and is not allowed in a de-identified mart"
    if name.strip().lower() in BIRTH_DATE_COLUMNS:
        return f"{message}: give birth_year (the year alone) instead"
    return f"{message}: leave it out"


def identifying(name: str, table: Table) -> bool:
    """Return True when a column name identifies a person (IDENTIFYING_COLUMNS, or a name
    IDENTIFYING_PATTERN matches) and is not one of the table's contract columns."""
    if name in {c.name for c in table.columns}:
        return False
    plain = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return plain in IDENTIFYING_COLUMNS or bool(IDENTIFYING_PATTERN.search(plain))


def renamed_problems(table: Table, path: Path, present: set[str]) -> list[Problem]:
    """Return a problem for each column the contract does not know in a file that also lacks
    optional columns: most likely one of them under another name, which would be read as
    empty (an admission without its discharge date, a claim without its bill type) and give
    wrong results. A column the contract does not know is otherwise left unread. The second
    modifier column beside the first (MODIFIER_PAIRS) is not looked for: a source writing one
    modifier a line, or both in the first column, has no need of it."""
    known = {c.name for c in table.columns}
    first, second = MODIFIER_PAIRS.get(table.name, ("", ""))
    unneeded = {second} if first in present else set()
    absent = [
        c.name
        for c in table.columns
        if not c.required and c.name not in present and c.name not in unneeded
    ]
    unknown = sorted(n for n in present - known if not identifying(n, table))
    if not absent:
        return []
    problems = []
    for name in unknown:
        close = difflib.get_close_matches(name.lower(), absent, n=1, cutoff=0.5)
        hint = f"is it {close[0]}? " if close else ""
        message = (
            f"is not a column of {table.name}, and the file lacks its optional column(s) "
            f"{', '.join(absent)}: {hint}rename the column to its contract name, or leave it out"
        )
        problems.append(Problem(str(path), name, message))
    return problems


def check_columns(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    path: Path,
    present: set[str],
    today: date | None = None,
) -> list[Problem]:
    """Return problems with column presence, identifying columns, types, values and ranges
    (dates of what has happened not after `today`, if given)."""
    problems = [
        Problem(str(path), name, _identifying_message(name))
        for name in sorted(present)
        if identifying(name, table)
    ]
    problems += renamed_problems(table, path, present)
    problems += [
        Problem(str(path), name, "is required but missing from the file")
        for name in table.required_columns
        if name not in present
    ]
    types = raw_types(con, table.name)
    checks = [
        (column, where, message)
        for column in table.columns
        if column.name in present
        for where, message in _column_rules(column, _native(column, types), today)
    ]
    if not checks:
        return problems
    counts = con.execute(
        "SELECT "
        + ", ".join(f"count(*) FILTER (WHERE {w})" for _, w, _ in checks)
        + f" FROM {rules_source(table, present, types)}"
    ).fetchone()
    for (column, where, message), count in zip(checks, counts, strict=True):
        if count:
            text = f"{message} in {count} row(s)"
            if message.startswith(NOT_VALID) and column.type in TYPE_EXAMPLES:
                text += f"; expected {TYPE_EXAMPLES[column.type]}"
            hint = next((h for start, h in HINTS.items() if message.startswith(start)), "")
            if hint:
                text += f": {hint}"
            example = _example(con, table, where, present, (column.name,))
            problems.append(Problem(str(path), column.name, text, example))
    return problems


def rules_source(table: Table, present: set[str], types: dict[str, str]) -> str:
    """Return where to count the column rules: the typed table (made by create_typed) when the
    file stores every column as text or in its contract type, as Parquet usually does, else
    raw_<table>.

    Then no rule needs the raw text ("is not a valid ..." is only for text read as another
    type), the typed values are the raw ones tidied as every rule tidies them, and reading the
    table costs less than reading the file again (at a million members 3.2 -> 2.1 s for
    medical_claim).
    """
    for column in table.columns:
        if column.name in present and column.type != "VARCHAR" and not _native(column, types):
            return f"raw_{table.name}"
    return table.name


# Dates that cannot come before another of the same row, by table: (earlier, later). A CP's
# milestones may: a participation form, assessment or care plan done while the member was
# being reached, before the assignment was recorded, counts as done on the day it began
# (cp_days_to_participation_form.sql and the like); a disenrollment cannot.
DATE_ORDER: dict[str, tuple[tuple[str, str], ...]] = {
    "eligibility": (("enrollment_start_date", "enrollment_end_date"),),
    "medical_claim": (("claim_start_date", "claim_end_date"), ("admission_date", "discharge_date")),
    "cp_enrollment": (("assignment_date", "disenrollment_date"),),
}


def check_rows(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    path: Path,
    unusable: frozenset[str] = frozenset(),
) -> list[Problem]:
    """Return problems found across rows: duplicate keys, a date before the one it follows.

    `unusable` names the columns already reported as missing or holding values that are not
    of their type: the key is not checked if it has one, as those values would all read as
    empty and seem to repeat.
    """
    problems = []
    if table.key and not unusable.intersection(table.key):
        problems += _duplicate_keys(con, table, path)
    return problems + _order_problems(con, table, path) + _crowded_modifiers(con, table, path)


def _duplicate_keys(con: duckdb.DuckDBPyConnection, table: Table, path: Path) -> list[Problem]:
    keys = ", ".join(_quote(k) for k in table.key)
    row = con.execute(
        f"SELECT {keys}, count(*) AS n FROM {table.name} GROUP BY ALL HAVING count(*) > 1 LIMIT 1"
    ).fetchone()
    if row is None:
        return []
    values = dict(zip(table.key, row, strict=False))
    shown = ", ".join(f"{k}={_plain(v)}" for k, v in values.items())
    example = f"{_places(con, table, values)} ({shown})"
    message = f"key ({', '.join(table.key)}) is not unique: {row[-1]} rows share it"
    return [Problem(str(path), ", ".join(table.key), message, example)]


def _plain(value: object) -> str:
    """Return a value as a person writes it: 2025-02-01, P0000002, 3."""
    return value.isoformat() if isinstance(value, date | datetime) else str(value)


def _places(con: duckdb.DuckDBPyConnection, table: Table, values: dict[str, object]) -> str:
    """Return where the first two rows of raw_<table> with these key values are: 'lines 3 and
    12' (CSV), 'rows 2 and 11' (Parquet), 'row 2 of a.parquet and row 5 of b.parquet' (a
    folder). Looked up only once a key is found repeated: the check itself stays one pass."""
    raw = raw_types(con, table.name)
    place = "_line" if "_line" in raw else "_row"
    which_file = "_file" if "_file" in raw else "NULL"
    columns = {c.name: c for c in table.columns}
    where = " AND ".join(f"{typed_value(columns[k], raw)} = ?" for k in values)
    found = con.execute(
        f"SELECT {place}, {which_file} FROM raw_{table.name} WHERE {where} ORDER BY 2, 1 LIMIT 2",
        list(values.values()),
    ).fetchall()
    word = place[1:]
    if all(file is None for _, file in found) or len({file for _, file in found}) == 1:
        in_file = f" of {Path(found[0][1]).name}" if found and found[0][1] else ""
        return f"{word}s {' and '.join(str(n) for n, _ in found)}{in_file}"
    return " and ".join(f"{word} {n} of {Path(file).name}" for n, file in found)


def _order_problems(con: duckdb.DuckDBPyConnection, table: Table, path: Path) -> list[Problem]:
    """Return a problem for each pair of DATE_ORDER whose later date comes first in a row,
    every pair of the table counted in one pass."""
    present = set(raw_columns(con, table.name))
    pairs = [p for p in DATE_ORDER.get(table.name, ()) if set(p) <= present]
    if not pairs:
        return []
    # counted on the typed table, whose dates are the raw ones read as _typed_expr reads them;
    # the example (with its row number) comes from the raw file
    wrong = [f"count(*) FILTER (WHERE {_quote(end)} < {_quote(start)})" for start, end in pairs]
    counts = con.execute(f"SELECT {', '.join(wrong)} FROM {table.name}").fetchone()
    problems = []
    for (start, end), count in zip(pairs, counts, strict=True):
        if not count:
            continue
        where = f"{cast_text(_text(end), 'DATE')} < {cast_text(_text(start), 'DATE')}"
        example = _example(con, table, where, present, (start, end))
        problems.append(Problem(str(path), end, f"is before {start} in {count} row(s)", example))
    return problems


MODIFIERS_CROWDED = (
    "holds two modifiers while {other} holds another in {count} row(s): three modifiers are "
    "more than the two columns hold; give at most two, one in each column"
)


def _crowded_modifiers(con: duckdb.DuckDBPyConnection, table: Table, path: Path) -> list[Problem]:
    """Return a problem for a modifier column (MODIFIER_PAIRS) holding two modifiers in a row
    whose other modifier column is filled: create_typed split every other such field, so one
    still holding two in the typed table is one of these."""
    present = set(raw_columns(con, table.name))
    names = MODIFIER_PAIRS.get(table.name, ())
    if not names or not set(names) <= present:  # one column alone: its pairs were all split
        return []
    pattern = _literal(TWO_MODIFIERS)
    counts = con.execute(
        "SELECT "
        + ", ".join(
            f"count(*) FILTER (WHERE regexp_full_match({_quote(n)}, {pattern}))" for n in names
        )
        + f" FROM {table.name}"
    ).fetchone()
    raw = raw_types(con, table.name)
    columns = {c.name: c for c in table.columns}
    problems = []
    for name, other, count in zip(names, names[::-1], counts, strict=True):
        if not count:
            continue
        typed, beside = typed_value(columns[name], raw), typed_value(columns[other], raw)
        where = f"regexp_full_match({typed}, {pattern}) AND {beside} IS NOT NULL"
        example = _example(con, table, where, present, (name, other))
        message = MODIFIERS_CROWDED.format(other=other, count=count)
        problems.append(Problem(str(path), name, message, example))
    return problems


def check_references(con: duckdb.DuckDBPyConnection, files: dict[str, Path]) -> list[Problem]:
    """Return orphan-key problems: ids that do not exist in the table they refer to.

    Each table's references are counted in one pass over it (at a million members attribution's
    four took 2.1 s one by one, 0.7 s together); an example is looked up only for a problem.
    """
    problems = []
    for name, path in files.items():
        table = TABLES_BY_NAME[name]
        refs = {c: t for c, t in _references(table).items() if _in_files(con, files, name, c, t)}
        if not refs:
            continue
        orphan = {column: _orphan_condition(column, target) for column, target in refs.items()}
        counts = con.execute(
            "SELECT "
            + ", ".join(f"count(*) FILTER (WHERE {where})" for where in orphan.values())
            + f" FROM {name} t"
        ).fetchone()
        for (column, target), count in zip(refs.items(), counts, strict=True):
            if not count:
                continue
            query = f"SELECT any_value({_quote(column)}) FROM {name} t WHERE {orphan[column]}"
            (value,) = con.execute(query).fetchone()
            target_table, target_column = target.split(".")
            message = (
                f"has {count} row(s) whose id is not in {files[target_table]} ({target_column})"
            )
            example = _example_with(con, table, column, value) or f"{column}={value!r}"
            problems.append(Problem(str(path), column, message, example))
    return problems


def _example_with(con: duckdb.DuckDBPyConnection, table: Table, column: str, value: object) -> str:
    """Return the first row of `table` whose `column` holds `value` (as <table> reads it) the
    way _example shows a row: 'line 4 (person_id=..., aco_id=...)' ('row 3' in Parquet)."""
    raw = raw_types(con, table.name)
    typed = typed_value(next(c for c in table.columns if c.name == column), raw)
    literal = "'" + str(value).replace("'", "''") + "'"
    where = f"{typed} = {literal}"
    return _example(con, table, where, set(raw_columns(con, table.name)), (column,))


def _in_files(
    con: duckdb.DuckDBPyConnection, files: dict[str, Path], name: str, column: str, target: str
) -> bool:
    """Return True if the file of table `name` has `column` and the file `target` (table.column)
    points to is supplied and has its column: else there is nothing to compare (a missing
    column is reported by check_columns)."""
    target_table, target_column = target.split(".")
    return (
        target_table in files
        and column in raw_columns(con, name)
        and target_column in raw_columns(con, target_table)
    )


# The kind of organisation each organisation id must name (organization.org_type): an ACO
# column holding a CP's id would publish the CP as an ACO.
ORG_TYPES: dict[tuple[str, str], str] = {
    ("attribution", "aco_id"): "aco",
    ("attribution", "cp_id"): "cp",
    ("attribution", "practice_id"): "practice",
    ("cp_enrollment", "cp_id"): "cp",
    ("cp_activity", "cp_id"): "cp",
    ("cp_assessment", "cp_id"): "cp",
    ("organization", "parent_org_id"): "aco",
}


def _references(table: Table) -> dict[str, str]:
    """Return the table's id columns and the table.column each refers to."""
    refs = dict(table.references)
    for table_name, column in ORG_TYPES:
        if table_name == table.name:
            refs[column] = "organization.org_id"
    return refs


def check_org_types(con: duckdb.DuckDBPyConnection, files: dict[str, Path]) -> list[Problem]:
    """Return a problem for each organisation id column (ORG_TYPES) naming organisations of
    another kind, e.g. an attribution aco_id that is a CP's org_id."""
    if "organization" not in files:
        return []
    problems = []
    for (name, column), org_type in ORG_TYPES.items():
        if name not in files or not _in_files(con, files, name, column, "organization.org_id"):
            continue
        col = _quote(column)
        count, value, found = con.execute(
            f"SELECT count(*), any_value(t.{col}), any_value(o.org_type) FROM {name} t "
            f"JOIN organization o ON o.org_id = t.{col} WHERE o.org_type <> '{org_type}'"
        ).fetchone()
        if count:
            message = (
                f"has {count} row(s) whose id is not an organisation of type '{org_type}' in "
                f"{files['organization']} (org_type)"
            )
            kind = f"{column}={value!r} is a '{found}'"
            row = _example_with(con, TABLES_BY_NAME[name], column, value)
            example = f"{row}: {kind}" if row else kind
            problems.append(Problem(str(files[name]), column, message, example))
    return problems


def _orphan_condition(column: str, target: str) -> str:
    """Return the condition true for a row of `t` whose `column` names no row of `target`."""
    target_table, target_column = target.split(".")
    col = _quote(column)
    return (
        f"t.{col} IS NOT NULL AND NOT EXISTS "
        f"(SELECT 1 FROM {target_table} r WHERE r.{target_column} = t.{col})"
    )


# Once the marts have passed every check, the ids the measures join and group by most are
# replaced by 64-bit hashes of them: each person_id (key_person_ids) and medical_claim's
# claim_id (key_claim_ids). At a million members integer keys take a fifth to a quarter off
# the measures' time (benchmarks/README.md, Rounds 11 and 12). Table person_ref keeps the
# members' pairs, for the one output that names members (care gaps, internal); claim ids
# never leave the working database.
PERSON_REF = "person_ref"
PERSON_KEY_SQL = "CASE WHEN {0} IS NOT NULL THEN hash({0}) END"  # UBIGINT
CLAIM_KEY_SQL = PERSON_KEY_SQL


def person_tables() -> list[str]:
    """Return the contract tables that have a person_id column."""
    return [t.name for t in TABLES if "person_id" in t.column_names]


def _replace_by_key(con: duckdb.DuckDBPyConnection, table: str, column: str, key: str) -> None:
    con.execute(f"ALTER TABLE {table} ALTER {column} SET DATA TYPE UBIGINT USING {key}")


def key_person_ids(con: duckdb.DuckDBPyConnection) -> bool:
    """Replace person_id by its key (PERSON_KEY_SQL) in every table that has one, keeping the
    pairs in table person_ref; return False, changing nothing, if two ids share a key. Every
    person_id refers to eligibility (check_references), so its ids are the ones to check."""
    key = PERSON_KEY_SQL.format("person_id")
    con.execute(
        f"CREATE OR REPLACE TABLE {PERSON_REF} AS "
        f"SELECT DISTINCT {key} AS person_key, person_id FROM eligibility "
        "WHERE person_id IS NOT NULL"
    )
    pairs, keys = con.execute(
        f"SELECT count(*), count(DISTINCT person_key) FROM {PERSON_REF}"
    ).fetchone()
    if pairs != keys:
        con.execute(f"DROP TABLE {PERSON_REF}")
        return False
    for table in person_tables():
        _replace_by_key(con, table, "person_id", key)
    return True


def key_claim_ids(con: duckdb.DuckDBPyConnection) -> bool:
    """Replace medical_claim's claim_id by its key (CLAIM_KEY_SQL); return False, changing
    nothing, if two claims share a key. The measures join medical claims by id (a stay and its
    diagnoses, a discharge and the stay after it). Pharmacy claim ids stay text: no measure
    joins by them, and one breaks ties between fills by them, which keys would reorder."""
    key = CLAIM_KEY_SQL.format("claim_id")
    ids, keys = con.execute(
        f"SELECT count(DISTINCT claim_id), count(DISTINCT {key}) FROM medical_claim"
    ).fetchone()
    if ids != keys:
        return False
    _replace_by_key(con, "medical_claim", "claim_id", key)
    return True


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Return True if the connection's database holds (not temporary) table `name`."""
    query = "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary"
    return con.execute(query, [name]).fetchone()[0] > 0


def has_person_keys(con: duckdb.DuckDBPyConnection) -> bool:
    """Return True if key_person_ids replaced the person ids on this connection."""
    return has_table(con, PERSON_REF)


def _looked_for(table: str) -> str:
    """Return the file and folder names a table is read from, as messages name them."""
    return ", ".join(f"{table}{suffix}" for suffix in SUFFIXES) + f" or a folder {table}/"


def _missing_message(table: Table, unread: list[str]) -> str:
    """Return the problem of a required table not found: the names looked for, and the files
    the folder has that are no table's (`unread`: one of them may be it, misnamed)."""
    message = f"required table is missing (looked for {_looked_for(table.name)})"
    return message + (f"; {unread_note(unread)}" if unread else "")


def in_utc(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Return `con` with its time zone set to UTC. A date stored as a timestamp with a time
    zone (as Spark writes dates to Parquet) is then read as the same day wherever the build
    runs: in the machine's own zone, midnight UTC is the day before west of Greenwich. Set
    with SET, as DuckDB's time zones are loaded only once a connection is open."""
    con.execute("SET TimeZone = 'UTC'")
    return con


def quiet(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Return `con` with DuckDB's progress bar turned off: the build prints its own steps, and
    the bar would print into them (and through --quiet when the output is piped)."""
    con.execute("SET enable_progress_bar = false")
    return con


def read_organizations(data_dir: Path) -> pd.DataFrame | None:
    """Return org_id and org_type of the organization mart in `data_dir`, read alone (a build
    checks its audience before computing anything), or None if it cannot be read so: the
    check of the marts says why."""
    path = find_mart_files(data_dir).get("organization")
    table = TABLES_BY_NAME["organization"]
    with in_utc(quiet(duckdb.connect())) as con:
        if path is None or load_raw(con, table, path):
            return None
        present = set(raw_columns(con, table.name))
        if not {"org_id", "org_type"} <= present:
            return None
        try:
            create_typed(con, table, present)
        except duckdb.Error:  # a damaged file: the check of the marts says so
            return None
        return con.execute("SELECT org_id, org_type FROM organization").df()


PERSON_IN_SHOWN = (
    "holds a person's identifier or details ({why}) in {count} value(s), and this column's "
    "values are published on the pages: write organisations' names and ids, groups and notes "
    "here, never a member's id, and in free text no day's date (write a deadline as a month "
    "and year: by June 2026) and no phone number"
)


def check_shown_values(con: duckdb.DuckDBPyConnection, files: dict[str, Path]) -> list[Problem]:
    """Return a problem for each column published on pages (contract Column.shown) with a
    value that is a person_id of eligibility or looks like a person's identifier
    (PERSON_ID_PATTERNS). Only the columns' distinct values are compared, and eligibility is
    read once, against them (a few hundred names and groups, whatever the number of members)."""
    shown = [
        (name, column)
        for name, columns in shown_columns().items()
        if name in files
        for column in columns
        if column in raw_columns(con, name)
    ]
    if not shown:
        return []
    _collect_shown_values(con, shown, "eligibility" in files)
    problems = []
    for name, column in shown:
        found = _person_values(con, name, column)
        if found:
            why, value, count = found
            message = PERSON_IN_SHOWN.format(why=why, count=count)
            example = _example_with(con, TABLES_BY_NAME[name], column, value)
            problems.append(Problem(str(files[name]), column, message, example))
    con.execute("DROP TABLE _shown_values; DROP TABLE _shown_people")
    return problems


def _collect_shown_values(
    con: duckdb.DuckDBPyConnection, shown: list[tuple[str, str]], with_people: bool
) -> None:
    """Make _shown_values (tbl, col, v: each distinct value of the shown columns) and
    _shown_people (the values among them that are a person_id of eligibility)."""
    parts = [
        f"SELECT DISTINCT {_literal(name)} AS tbl, {_literal(column)} AS col, "
        f"CAST({_quote(column)} AS VARCHAR) AS v FROM {name} WHERE {_quote(column)} IS NOT NULL"
        for name, column in shown
    ]
    con.execute("CREATE OR REPLACE TEMP TABLE _shown_values AS " + " UNION ALL ".join(parts))
    people = (
        "SELECT DISTINCT person_id AS v FROM eligibility"
        " WHERE person_id IN (SELECT v FROM _shown_values)"
        if with_people
        else "SELECT CAST(NULL AS VARCHAR) AS v WHERE false"
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE _shown_people AS {people}")


def _person_values(
    con: duckdb.DuckDBPyConnection, name: str, column: str
) -> tuple[str, str, int] | None:
    """Return (why, an example value, how many distinct values) for the values of
    name.column that identify a person; None when none does."""
    patterns = dict(PERSON_ID_PATTERNS)
    if (name, column) in free_text_columns():
        patterns.update(FREE_TEXT_PATTERNS)
    cases = ["WHEN v IN (SELECT v FROM _shown_people) THEN 'a person_id of the eligibility mart'"]
    cases += [
        f"WHEN regexp_matches(v, {_literal(p)}) THEN {_literal(w)}" for w, p in patterns.items()
    ]
    row = con.execute(
        f"SELECT why, v, count(*) OVER () FROM ("
        f"  SELECT v, CASE {' '.join(cases)} END AS why FROM _shown_values"
        f"  WHERE tbl = {_literal(name)} AND col = {_literal(column)}"
        f") WHERE why IS NOT NULL ORDER BY v LIMIT 1"
    ).fetchone()
    return (row[0], row[1], row[2]) if row else None


DAMAGED = "is the file damaged or cut short? Write it again"


def _check_table(
    con: duckdb.DuckDBPyConnection, table: Table, path: Path, today: date
) -> list[Problem]:
    """Make <table> from raw_<table> and return the problems of its columns and rows."""
    present = set(raw_columns(con, table.name))
    create_typed(con, table, present)
    column_problems = check_columns(con, table, path, present, today)
    unreadable = {p.column for p in column_problems if p.message.startswith(NOT_VALID)}
    unusable = frozenset(unreadable | {c.name for c in table.columns} - present)
    return column_problems + check_rows(con, table, path, unusable)


def load_marts(
    con: duckdb.DuckDBPyConnection, data_dir: Path, today: date | None = None
) -> tuple[set[str], list[Problem]]:
    """Load every mart in `data_dir` into `con`; return the tables supplied and all problems.

    `today` (the machine's date if not given) is the last day a service, fill or result may
    be dated (Column.past). `con` is set to read dates in UTC (in_utc).
    """
    data_dir = Path(data_dir)
    today = today or date.today()
    in_utc(con)
    if not data_dir.is_dir():
        return set(), [Problem(str(data_dir), "", "the marts folder does not exist")]
    files = find_mart_files(data_dir)
    unread = unread_files(data_dir)
    misnamed = misnamed_tables(files, unread)
    problems = [misnamed_problem(data_dir, table, name) for table, name in misnamed.items()]
    problems += [
        Problem(str(data_dir / f"{t.name}.csv"), "", _missing_message(t, unread))
        for t in TABLES
        if t.required and t.name not in files and t.name not in misnamed
    ]
    readable: dict[str, Path] = {}
    for table in TABLES:
        path = files.get(table.name)
        if path is None:
            create_empty(con, table)
            continue
        read_problems = load_raw(con, table, path)
        problems += read_problems
        if read_problems:
            create_empty(con, table)
            continue
        try:
            if not con.execute(f"SELECT count(*) FROM raw_{table.name}").fetchone()[0]:
                problems.append(Problem(str(path), "", NO_ROWS))  # an empty file's one problem
                create_empty(con, table)
                continue
            problems += _check_table(con, table, path, today)
        except (duckdb.InvalidInputException, duckdb.IOException) as exc:
            # a Parquet file whose header reads but whose data does not (damaged, cut short)
            reason = f"cannot be read ({_first_line(exc)}): {DAMAGED}"
            problems.append(Problem(str(path), "", reason))
            create_empty(con, table)
            continue
        readable[table.name] = path
    problems += check_references(con, readable) + check_org_types(con, readable)
    problems += check_shown_values(con, readable)
    return set(readable), problems
