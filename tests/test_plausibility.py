"""Warnings about marts that pass every check but look wrong (scorecard/plausibility.py):
claim totals repeated on every line, and the newest months' claims not all in yet."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from scorecard.cli import main
from scorecard.plausibility import repeated_totals_warning, runout_warnings

BASIC = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "marts" / "basic"


def claims_with_lines(repeated: int, distinct: int) -> duckdb.DuckDBPyConnection:
    """Return a connection holding medical_claim: `repeated` institutional claims of two lines
    paid 500 each, `distinct` of two lines paid 300 and 200, and one single-line claim."""
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE medical_claim (claim_id VARCHAR, claim_type VARCHAR, paid_amount DOUBLE)"
    )
    rows = [(f"R{i}", "institutional", 500.0) for i in range(repeated) for _ in range(2)]
    rows += [(f"D{i}", "institutional", amount) for i in range(distinct) for amount in (300, 200)]
    rows += [("S1", "institutional", 900.0)]
    con.executemany("INSERT INTO medical_claim VALUES (?, ?, ?)", rows)
    return con


@pytest.mark.parametrize(
    "repeated, distinct, warned",
    [(10, 10, True), (9, 0, False), (10, 11, False), (0, 30, False)],
)
def test_claim_totals_repeated_on_each_line_are_warned_of(repeated, distinct, warned):
    # at least 10 claims, and at least half of the institutional claims with several lines
    warning = repeated_totals_warning(claims_with_lines(repeated, distinct))
    assert (warning is not None) == warned
    if warned:
        assert warning.startswith(
            f"medical_claim: in {repeated} of the {repeated + distinct} institutional claims"
        )


def add_repeated_totals(folder: Path) -> None:
    """Add ten inpatient claims of two lines to the marts in `folder`, each line carrying
    the claim's total (2000)."""
    path = folder / "medical_claim.csv"
    header, *lines = path.read_text(encoding="utf-8").splitlines()
    template = lines[0].split(",")
    for i in range(10):
        for line in (1, 2):
            row = [*template]
            row[:4] = [f"T{i}", str(line), "institutional", "P5"]
            row[17] = "2000"
            lines.append(",".join(row))
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")


def test_check_and_build_report_the_warning_and_go_on(tmp_path):
    folder = tmp_path / "marts"
    shutil.copytree(BASIC, folder)
    add_repeated_totals(folder)
    checked = CliRunner().invoke(main, ["check", "--data", str(folder)])
    assert checked.exit_code == 0, checked.output
    assert "  warning: medical_claim: in 10 of the " in checked.output
    built = CliRunner().invoke(main, ["build", "--data", str(folder), "--out", str(tmp_path / "s")])
    assert built.exit_code == 0, built.output
    assert "  warning: medical_claim: in 10 of the " in built.output


def months_with_claims(claims_by_month: dict[str, int], members: int = 100):
    """Return a connection holding member_months (`members` members in each month given) and
    medical_claim (that many claim lines dated the 15th of each month)."""
    con = duckdb.connect()
    con.execute("CREATE TABLE member_months (person_id VARCHAR, month DATE)")
    con.execute("CREATE TABLE medical_claim (claim_id VARCHAR, claim_start_date DATE)")
    for month, claims in claims_by_month.items():
        add_month(con, month, members, claims)
    return con


def add_month(con: duckdb.DuckDBPyConnection, month: str, members: int, claims: int) -> None:
    con.execute(
        "INSERT INTO member_months SELECT 'P' || i, CAST(? AS DATE) FROM range(?) t(i)",
        [f"{month}-01", members],
    )
    con.execute(
        "INSERT INTO medical_claim SELECT ? || i, CAST(? AS DATE) FROM range(?) t(i)",
        [month, f"{month}-15", claims],
    )


# the year before 2025Q4 (2024-10 ... 2025-09): 200 claim lines a month for 100 members
USUAL_YEAR = {f"{y}-{m:02d}": 200 for y, m in [(2024, 10), (2024, 11), (2024, 12)]} | {
    f"2025-{m:02d}": 200 for m in range(1, 10)
}


def test_a_month_with_far_fewer_claims_is_named():
    # 2025Q4: October as usual (2 a member), November 1.5 a member (75%: not below the
    # threshold), December 1 a member (half the usual): December only
    con = months_with_claims(USUAL_YEAR | {"2025-10": 200, "2025-11": 150, "2025-12": 100})
    warnings = runout_warnings(con, "2025Q4", {"medical_claim", "eligibility"})
    assert len(warnings) == 1
    assert warnings[0].startswith(
        "medical_claim: December 2025 has 50% fewer claims per enrolled member than the usual "
        "month of the year before the quarter."
    )


def test_fewer_members_are_not_fewer_claims():
    # December: half the members and half the claims, the same claims per member: no warning
    con = months_with_claims(USUAL_YEAR | {"2025-10": 200, "2025-11": 200})
    add_month(con, "2025-12", 50, 100)
    assert runout_warnings(con, "2025Q4", {"medical_claim"}) == []


def test_small_numbers_are_left_to_chance():
    # 10 members with 2 claim lines a month: 20 expected, under 100: even none is no warning
    small = {month: 20 for month in USUAL_YEAR} | {"2025-10": 20, "2025-11": 20, "2025-12": 0}
    assert runout_warnings(months_with_claims(small, members=10), "2025Q4", {"medical_claim"}) == []


def test_no_warning_without_a_usual_year_or_without_the_mart():
    short_year = {f"2025-{m:02d}": 200 for m in range(5, 10)}  # five months before the quarter
    con = months_with_claims(short_year | {"2025-10": 200, "2025-11": 200, "2025-12": 20})
    assert runout_warnings(con, "2025Q4", {"medical_claim"}) == []
    con = months_with_claims(USUAL_YEAR | {"2025-10": 200, "2025-11": 200, "2025-12": 20})
    assert runout_warnings(con, "2025Q4", {"eligibility"}) == []  # no claims mart supplied


def test_the_demo_and_the_fixture_have_no_warning():
    for data in (None, BASIC):
        result = CliRunner().invoke(main, ["check"] + (["--data", str(data)] if data else []))
        assert result.exit_code == 0, result.output
        assert "warning" not in result.output


def test_check_strict_stops_on_a_warning(tmp_path):
    folder = tmp_path / "marts"
    shutil.copytree(BASIC, folder)
    plain = CliRunner().invoke(main, ["check", "--data", str(folder), "--strict"])
    assert plain.exit_code == 0, plain.output  # no warning: --strict changes nothing
    add_repeated_totals(folder)
    strict = CliRunner().invoke(main, ["check", "--data", str(folder), "--strict"])
    assert strict.exit_code == 2
    assert "  - warning: medical_claim: in 10 of the " in strict.output
