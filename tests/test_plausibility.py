"""Warnings about marts that pass every check but look wrong (scorecard/plausibility.py):
claim totals repeated on every line, and the newest months' claims not all in yet."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from scorecard.cli import main
from scorecard.plausibility import (
    REPEATED_TOTALS,
    RUNOUT,
    Finding,
    reader_notes,
    repeated_totals_warning,
    runout_warnings,
)

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
    version = next((tmp_path / "s").glob("20*Q*"))
    assert "Some hospital bills in the data may show" in notes_shown(version / "index.html")


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
    assert (warnings[0].kind, warnings[0].table, warnings[0].month) == (
        RUNOUT,
        "medical_claim",
        date(2025, 12, 1),
    )
    assert warnings[0].message.startswith(
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


def test_readers_are_told_in_plain_words_without_counts():
    late = [
        Finding(RUNOUT, "medical_claim", "for the analyst", date(2025, 12, 1)),
        Finding(RUNOUT, "pharmacy_claim", "for the analyst", date(2025, 11, 1)),
        Finding(RUNOUT, "medical_claim", "for the analyst", date(2025, 11, 1)),
    ]
    assert reader_notes(late, "2025Q4", "en") == [
        "Not all the bills from doctors, hospitals and pharmacies for November 2025 and "
        "December 2025 had come in when these results were made. Results about the use and "
        "cost of care in October to December 2025 may be lower than they really are."
    ]
    assert reader_notes(late[:1], "2025Q4", "es") == [
        "Cuando se prepararon estos resultados, todavía no habían llegado todas las facturas de "
        "médicos y hospitales de diciembre de 2025. Los resultados sobre el uso y el costo de "
        "la atención de octubre a diciembre de 2025 pueden ser más bajos de lo que realmente "
        "son."
    ]
    repeated = [Finding(REPEATED_TOTALS, "medical_claim", "in 12 of the 20 claims ...")]
    (note,) = reader_notes(repeated, "2025Q4", "en")
    assert note.startswith("Some hospital bills in the data may show") and "12" not in note
    assert reader_notes([], "2025Q4", "en") == []


def notes_shown(page: Path) -> str:
    """Return the text of the notes about the data shown above `page`, or ''."""
    text = page.read_text(encoding="utf-8")
    start = text.find('class="sc-data-notes"')
    return "" if start < 0 else text[start : text.find("</div>", start)]


def test_a_quarter_with_claims_not_all_in_says_so_on_every_page(demo_site, tmp_path):
    # the small demo with 60% of December 2025's medical claims left out, as if not in yet
    data = tmp_path / "marts"
    shutil.copytree(demo_site["data"], data)
    claims, kept = data / "medical_claim.csv", tmp_path / "kept.csv"
    duckdb.execute(
        f"COPY (SELECT * FROM read_csv('{claims}', all_varchar = true) "
        "WHERE claim_start_date < '2025-12-01' OR hash(claim_id) % 10 >= 6) "
        f"TO '{kept}' (HEADER)"
    )
    kept.replace(claims)
    out, history = tmp_path / "site", tmp_path / "history"
    args = ["--out", str(out), "--period", "2025Q4", "--measures", str(demo_site["measures"])]
    args += ["--history", str(history)]
    built = CliRunner().invoke(main, ["build", "--data", str(data), *args])
    assert built.exit_code == 0, built.output
    assert "  warning: medical_claim: December 2025 has " in built.output
    # its results are not kept for later editions' trends: the next build computes them again
    assert "  not kept in the results history: 2025Q4 (its claims look incomplete" in built.output
    assert not (history / "2025Q4.parquet").exists() and (history / "2025Q3.parquet").exists()
    version = out / "2025Q4"
    english = ["index.html", "provenance.html", "cp/index.html", "plain/index.html"]
    english += [str(next(version.glob("cp/*.html")).relative_to(version))]
    for page in english:
        assert "Not all the bills from doctors and hospitals for December 2025" in notes_shown(
            version / page
        ), page
    assert "todavía no habían llegado todas las facturas" in notes_shown(version / "es/index.html")
    provenance = (version / "provenance.html").read_text(encoding="utf-8")
    assert provenance.count("Not all the bills from doctors and hospitals") == 2  # and a section
    manifest = json.loads((version / "downloads/manifest.json").read_text(encoding="utf-8"))
    assert manifest["data_notes"][0].startswith("Not all the bills from doctors and hospitals")
    # the version menu and `versions list` flag the edition too
    menu = json.loads((out / "versions.json").read_text(encoding="utf-8"))
    assert menu[0]["version"] == "2025Q4" and menu[0]["title"] == "2025 Q4 (see data note)"
    listed = CliRunner().invoke(main, ["versions", "list", "--out", str(out)])
    assert listed.exit_code == 0 and "1 about the data" in listed.output, listed.output
    assert "out of date" not in listed.output
    # once the claims are in, the quarter built again: no note, and its results are kept
    again = CliRunner().invoke(main, ["build", "--data", str(demo_site["data"]), *args, "--force"])
    assert again.exit_code == 0, again.output
    assert "warning" not in again.output and "not kept" not in again.output
    assert notes_shown(version / "index.html") == ""
    assert (history / "2025Q4.parquet").exists()
    menu = json.loads((out / "versions.json").read_text(encoding="utf-8"))
    assert menu[0]["title"] == "2025 Q4"
    # the edition with the note, whose figures may have been cited, is kept whole (not served)
    restates = json.loads((version / "downloads/manifest.json").read_text())["restates"]
    kept = json.loads((out / restates["archive"] / "downloads/manifest.json").read_text())
    assert kept == manifest and restates["archive"].startswith(".restated/2025Q4-")
    assert "replaces the edition of 2025 Q4 first published on" in (
        version / "provenance.html"
    ).read_text(encoding="utf-8")


def test_a_quarter_without_warnings_shows_no_note(demo_site):
    version = demo_site["newest"]
    for page in ("index.html", "provenance.html", "es/index.html"):
        assert notes_shown(version / page) == ""
    manifest = json.loads((version / "downloads/manifest.json").read_text(encoding="utf-8"))
    assert manifest["data_notes"] == []
