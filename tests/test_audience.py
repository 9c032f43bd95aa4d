"""Audiences: a partner site names no one else, no site but the internal one has a person id."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import html
import json
import re
import zipfile
from pathlib import Path
from types import SimpleNamespace

import duckdb
import material
import pandas as pd
import plotly
import pyarrow.parquet as pq
import pytest
from publish_fixture import (
    KEEP_ACOS,
    KEEP_CPS,
    run_scorecard,
    small_marts,
    small_measures,
    tree_digest,
)

from scorecard import audience as audiences
from scorecard import build, disclosure, engine, site, stats, views
from scorecard.settings import load_settings
from scorecard.site import TEMPLATES_DIR
from scorecard.specs import load_specs

PERSON_ID = re.compile(r"P\d{7}")
TOKEN = re.compile(r"[A-Za-z0-9]+")
PARTNERS = tuple(f"partner:{p}" for p in KEEP_ACOS + KEEP_CPS)


def library_hashes() -> set[str]:
    """Return the sha256 of files shipped by plotly, mkdocs-material and our static folder.

    A published file byte-identical to one of these cannot hold data, so the scan skips it.
    """
    roots = [Path(material.__file__).parent / "templates", TEMPLATES_DIR / "static"]
    files = [Path(plotly.__file__).parent / "package_data" / "plotly.min.js"]
    files += [p for root in roots for p in root.rglob("*") if p.is_file()]
    return {hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def readable_text(path: Path) -> str:
    """Return every string a reader or a program could get out of a published file."""
    data = path.read_bytes()
    if zipfile.is_zipfile(path):  # xlsx and other zip-based downloads: every member
        with zipfile.ZipFile(path) as archive:
            members = [archive.read(info).decode("utf-8", "replace") for info in archive.infolist()]
        data += "\n".join(members).encode("utf-8")
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        metadata = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
        return table.to_pandas().to_csv() + json.dumps(metadata) + str(table.schema)
    text = data.decode("utf-8", errors="replace")
    return text + "\n" + html.unescape(text)


@dataclasses.dataclass
class Scan:
    """What one site's files contain: tokens (ids are tokens) and the text (for names)."""

    tokens: set[str]
    person_ids: set[str]
    text: str


def scan_site(root: Path, skip: set[str]) -> Scan:
    """Return the tokens, person-id-like strings and text of every file and file name."""
    tokens: set[str] = set()
    people: set[str] = set()
    texts = []
    for relative, digest in tree_digest(root).items():
        names = relative + "\n"
        text = names if digest in skip else names + readable_text(root / relative)
        tokens |= set(TOKEN.findall(text))
        people |= set(PERSON_ID.findall(text))
        texts.append(text)
    return Scan(tokens, people, "\n".join(texts))


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Compute the small demo once, then publish the internal, public and every partner site."""
    base = tmp_path_factory.mktemp("audiences")
    settings = load_settings(
        None,
        data=small_marts(base / "marts"),
        measures=small_measures(base / "measures"),
        out=base / "internal",
        audience="internal",
    )
    specs = build.read_specs(settings)
    run = build.compute(settings, specs)
    first_rated = build.measures_first_rated(specs, build.rated_before(settings), run.period_id)
    scored = build.score(  # as build_site scores: the cut points keep each spec's version
        run.results,
        None,
        settings.seed,
        None,
        run.organizations,
        first_rated=first_rated,
        versions={s.id: s.version for s in specs},
    )
    roots = {}
    for audience in ("internal", "public", *PARTNERS):
        out = base / "sites" / audience.replace(":", "-")
        build.publish_audience(
            dataclasses.replace(settings, audience=audience, out=out), specs, run, scored
        )
        roots[audience] = out
    skip = library_hashes()
    marts = base / "marts"
    return {
        "roots": roots,
        "scans": {a: scan_site(r, skip) for a, r in roots.items()},
        "orgs": pd.read_csv(marts / "organization.csv", dtype=str),
        "people": set(pd.read_csv(marts / "eligibility.csv", dtype=str)["person_id"]),
        "run": run,
        "scored": scored,
        "settings": settings,
        "base": base,
    }


def test_the_scan_finds_what_the_internal_site_holds(sites: dict) -> None:
    scan = sites["scans"]["internal"]
    assert scan.person_ids, "the internal care-gap lists should hold person ids"
    assert scan.person_ids <= sites["people"]
    orgs = sites["orgs"]
    published = orgs[orgs["org_id"].isin(sites["run"].results["entity_id"])]
    assert len(published) > 20
    assert set(published["org_id"]) <= scan.tokens
    assert all(name in scan.text for name in published["org_name"])


@pytest.mark.parametrize("audience", ["public", *PARTNERS])
def test_no_person_id_outside_the_internal_site(sites: dict, audience: str) -> None:
    scan = sites["scans"][audience]
    assert not scan.person_ids
    assert not (scan.tokens & sites["people"])
    assert not list(sites["roots"][audience].rglob("care_gaps*"))
    assert not list(sites["roots"][audience].rglob("internal"))


@pytest.mark.parametrize("audience", PARTNERS)
def test_a_partner_site_names_no_other_entity(sites: dict, audience: str) -> None:
    orgs = sites["orgs"]
    partner = audience.split(":", 1)[1]
    own = {e for _, e in audiences.own_entities(audiences.parse_audience(audience), orgs)}
    others = orgs[~orgs["org_id"].isin(own)]
    scan = sites["scans"][audience]
    leaked_ids = sorted(set(others["org_id"]) & scan.tokens)
    leaked_names = [n for n in others["org_name"] if n in scan.text]
    assert not leaked_ids and not leaked_names, (leaked_ids, leaked_names)
    assert partner in scan.tokens and own <= scan.tokens


def test_partner_pages_are_its_own_entities(sites: dict) -> None:
    aco = sites["roots"]["partner:ACO01"] / "2025Q4"
    orgs = sites["orgs"]
    practices = set(orgs.loc[orgs["parent_org_id"] == "ACO01", "org_id"])
    assert practices
    assert {p.stem for p in (aco / "practice").glob("*.html")} == practices | {"index"}
    assert {p.stem for p in (aco / "aco").glob("*.html")} == {"ACO01", "index"}
    assert {p.stem for p in (aco / "cp").glob("*.html")} == {"index"}
    cp = sites["roots"]["partner:CP16"] / "2025Q4"
    assert {p.stem for p in (cp / "cp").glob("*.html")} == {"CP16", "index"}
    assert {p.stem for p in (cp / "practice").glob("*.html")} == {"index"}
    # an empty index says why: not that no CP had results
    empty = (aco / "cp" / "index.html").read_text(encoding="utf-8")
    assert "No Community Partners have results in this edition: it shows only the results" in empty
    # the CP summary is linked only where it has rows
    for page in ("index.html", "provenance.html"):
        assert "cp_summary.csv" not in (aco / page).read_text(encoding="utf-8"), page
        assert "cp_summary.csv" in (cp / page).read_text(encoding="utf-8"), page


def test_every_page_header_says_who_the_site_is_for(sites: dict) -> None:
    expected = {
        "internal": "(Internal: not for distribution)",
        "public": "(Public edition)",
        "partner:CP01": "(For Harbor Light BH Community Partner)",
    }
    for audience, words in expected.items():
        version = sites["roots"][audience] / "2025Q4"
        for page in (version / "index.html", version / "provenance.html"):
            title = re.search(r"<title>(.*?)</title>", page.read_text(encoding="utf-8"))
            assert title and html.unescape(title[1]).endswith(words), (page, title)


def test_every_page_of_an_internal_or_partner_site_is_marked_in_its_text(sites: dict) -> None:
    # the header is cut short on a phone and not printed: the marking opens every page's text
    expected = {
        "internal": ("For internal use only. Do not share", "Solo para uso interno. No lo"),
        "partner:CP01": (
            "Made for Harbor Light BH Community Partner. Do not share",
            "Hecho para Harbor Light BH Community Partner. No lo",
        ),
    }
    for audience, (english, spanish) in expected.items():
        pages = sorted((sites["roots"][audience] / "2025Q4").rglob("*.html"))
        pages = [p for p in pages if p.name != "404.html"]
        assert len(pages) > 10
        for page in pages:
            text = html.unescape(page.read_text(encoding="utf-8"))
            marking = re.search(r'<p class="sc-audience" role="note">([^<]*)</p>', text)
            assert marking, page
            wanted = spanish if "/es/" in page.as_posix() else english
            assert marking[1].startswith(wanted), (page, marking[1])
    public = (sites["roots"]["public"] / "2025Q4" / "index.html").read_text(encoding="utf-8")
    assert "sc-audience" not in public


def test_manifest_and_provenance_page_record_the_audience(sites: dict) -> None:
    version = sites["roots"]["partner:ACO02"] / "2025Q4"
    manifest = json.loads((version / "downloads" / "manifest.json").read_text())
    assert manifest["audience"] == "partner:ACO02"
    assert manifest["audience_rules"]["person_level"] == "none"
    provenance = (version / "provenance.html").read_text(encoding="utf-8")
    assert "partner:ACO02" in provenance and manifest["inputs"]["eligibility"] in provenance
    state = json.loads((sites["roots"]["partner:ACO02"] / "versions-state.json").read_text())
    assert state["audience"] == "partner:ACO02"


def test_public_site_has_no_small_practice_and_no_entity_breakdowns(sites: dict) -> None:
    version = sites["roots"]["public"] / "2025Q4"
    results = pd.read_parquet(version / "downloads" / "results.parquet")
    panels = sites["run"].panels
    small = panels[(panels["level"] == "practice") & (panels["members"] < 100)]
    assert len(small) and not set(small["entity_id"]) & set(results["entity_id"])
    assert {p.stem for p in (version / "practice").glob("*.html")} == {"index"}
    entity = results[results["level"] != "program"]
    assert len(entity) and (entity["stratum"] == "all").all()
    assert (results.loc[results["level"] == "program", "stratum"] != "all").any()
    manifest = json.loads((version / "downloads" / "manifest.json").read_text())
    assert manifest["audience_rules"]["practices_without_a_page"] == len(small)


def test_the_public_edition_gives_every_hidden_result_one_reason(sites: dict) -> None:
    def reasons(audience: str) -> pd.Series:
        version = sites["roots"][audience] / "2025Q4"
        results = pd.read_parquet(version / "downloads" / "results.parquet")
        return results.loc[results["suppressed"], "suppression_reason"]

    public, partner = reasons("public"), reasons(PARTNERS[0])
    assert "withheld" in set(public) and set(public) <= {"no_data", "withheld"}
    # the partner keeps the detailed reasons, among them privacy ones the public edition merges
    assert {"small_count", "small_denominator"} <= set(partner) and "withheld" not in set(partner)
    page = sites["roots"]["public"] / "2025Q4" / "methodology.html"
    text = page.read_text(encoding="utf-8")
    assert "In this public version a hidden result gives one of the two" in text
    assert stats.REASON_TEXT["withheld"] in text and stats.REASON_TEXT["small_count"] not in text


def test_public_measure_pages_fold_the_analysts_part_into_closed_details(sites: dict) -> None:
    # members reach a measure page from their plain page: the method (codes, SQL terms) and the
    # technical rows are there, but in a closed <details>; the partner page shows them open
    def page(audience: str) -> str:
        path = sites["roots"][audience] / "2025Q4" / "measures" / "ed_visits.html"
        return path.read_text(encoding="utf-8")

    public = page("public")
    details = re.search(r'<details class="sc-technical">(.*?)</details>', public, re.S)
    assert details and '<details class="sc-technical" open' not in public
    assert "<summary>Technical details, for analysts</summary>" in details[1]
    outside = public.replace(details[0], "")
    for technical in (
        "How it is worked out",
        "Smallest denominator",
        "Definition followed",
        "Data source",
    ):
        assert technical in details[1] and technical not in outside, technical
    assert re.search(
        r'<th scope="row">Fewest needed to show a result</th>\s*<td>30 member months</td>',
        outside,
    )
    partner = page(PARTNERS[0])
    assert "sc-technical" not in partner and 'id="how-it-is-worked-out"' in partner
    assert "Smallest denominator for a result" in partner and "Fewest needed" not in partner


def test_care_gap_lists_are_per_cp_and_person_level(sites: dict) -> None:
    internal = sites["roots"]["internal"] / "2025Q4" / "downloads" / "internal"
    folder = internal / "care_gaps"
    assert sorted(p.stem for p in folder.glob("*.csv")) == sorted(KEEP_CPS)
    program = pd.read_csv(internal / "care_gaps_program.csv", dtype=str, keep_default_na=False)
    assert list(program.columns) == list(audiences.CARE_GAP_COLUMNS)
    assert program.equals(pd.read_parquet(internal / "care_gaps_program.parquet").astype(str))
    frames = [
        pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted(folder.glob("*.csv"))
    ]
    assert all(list(f.columns) == list(audiences.CARE_GAP_COLUMNS) for f in frames)
    gaps = pd.concat(frames)
    assert len(gaps) and set(gaps["period_id"]) == {"2025Q4"}
    specs = load_specs(sites["settings"].measures)
    quality = {s.id for s in specs if s.family == "quality"}
    assert set(gaps["measure_id"]) <= quality
    # each CP's list is the program list's rows of that CP
    for path, frame in zip(sorted(folder.glob("*.csv")), frames, strict=True):
        own = program[program["cp_id"] == path.stem].reset_index(drop=True)
        assert frame.reset_index(drop=True).equals(own), path
    # the program list names every member with an open gap, with practice and ACO
    assert len(program) > len(gaps) and (program["cp_id"] == "").any()
    assert (program["practice_id"] != "").any() and (program["aco_id"] != "").any()
    titles = {s.id: s.title for s in specs}
    assert (program["measure_title"] == program["measure_id"].map(titles)).all()
    # its open gaps add up to the program's results, measure by measure
    results = sites["run"].results
    totals = results[
        (results["level"] == "program")
        & (results["stratum"] == "all")
        & (results["period_id"] == "2025Q4")
        & results["open_gaps"].notna()
    ].set_index("measure_id")["open_gaps"]
    listed = program.assign(n=program["open_gaps"].astype(int)).groupby("measure_id")["n"].sum()
    assert set(listed.index) <= set(totals.index)
    assert listed.reindex(totals.index, fill_value=0).tolist() == totals.astype(int).tolist()


def test_a_partner_build_through_the_cli_matches_the_one_above(sites: dict) -> None:
    settings = sites["settings"]
    out = sites["base"] / "cli-partner"
    args = ["build", "--data", str(settings.data), "--measures", str(settings.measures)]
    done = run_scorecard(*args, "--out", str(out), "--audience", "partner:CP02", "--quiet")
    assert done.returncode == 0, done.stderr
    assert tree_digest(out) == tree_digest(sites["roots"]["partner:CP02"])
    again = run_scorecard(*args, "--out", str(out), "--audience", "public", "--force")
    assert again.returncode == 2 and "publish each audience into its own folder" in again.stderr


@pytest.mark.parametrize(
    "audience, words",
    [("partner:PR001", "a partner is an ACO or a CP"), ("partner:ACO99", "no organization")],
)
def test_a_partner_must_be_an_aco_or_a_cp(sites: dict, audience: str, words: str) -> None:
    settings = dataclasses.replace(sites["settings"], audience=audience, out=sites["base"] / "x")
    with pytest.raises(build.BuildError) as error:
        build.publish_audience(settings, [], sites["run"], sites["scored"])
    assert words in str(error.value)
    assert not (sites["base"] / "x").exists()


@pytest.mark.parametrize(
    "text, expected",
    [
        ("internal", audiences.Audience("internal")),
        ("public", audiences.Audience("public")),
        ("partner:CP01", audiences.Audience("partner", "CP01")),
    ],
)
def test_parse_audience(text: str, expected: audiences.Audience) -> None:
    assert audiences.parse_audience(text) == expected
    assert audiences.parse_audience(text).key == text


@pytest.mark.parametrize("bad", ["", "everyone", "partner:", "partner:../x", "Public"])
def test_bad_audiences_are_refused(bad: str) -> None:
    with pytest.raises(audiences.AudienceError):
        audiences.parse_audience(bad)


def test_practices_with_a_large_panel_keep_their_page() -> None:
    results = pd.DataFrame(
        {
            "level": ["program", "practice", "practice", "aco", "aco"],
            "entity_id": ["ALL", "PR1", "PR2", "A1", "A1"],
            "stratum": ["all", "all", "all", "all", "sex"],
        }
    )
    panels = pd.DataFrame(
        {"level": ["practice", "practice"], "entity_id": ["PR1", "PR2"], "members": [100, 99]}
    )
    assert audiences.small_practices(panels, results) == {"PR2"}
    assert audiences.small_practices(None, results) == {"PR1", "PR2"}


def test_care_gap_rows_follow_the_measure_direction() -> None:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE measure_rows AS SELECT * FROM (VALUES "
        "('up', '2025Q4', 'P1', DATE '2025-10-01', 0.0, 1.0, 'C1'),"  # gap
        "('up', '2025Q4', 'P2', DATE '2025-10-01', 1.0, 1.0, 'C1'),"  # met
        "('up', '2025Q4', 'P3', DATE '2025-10-01', 0.0, 1.0, NULL),"  # CP from attribution
        "('up', '2025Q4', 'P4', DATE '2025-10-01', 0.0, 1.0, NULL),"  # no CP: listed too
        "('up', '2025Q3', 'P1', DATE '2025-07-01', 0.0, 1.0, 'C1'),"  # another period
        "('down', '2025Q4', 'P1', DATE '2025-10-01', 1.0, 1.0, 'C1'),"  # inverse: gap
        "('down', '2025Q4', 'P2', DATE '2025-10-01', 0.0, 1.0, 'C1'),"  # inverse: fine
        "('ops', '2025Q4', 'P1', DATE '2025-10-01', 0.0, 1.0, 'C1')"  # not a quality measure
        ") AS t(measure_id, period_id, person_id, attr_month, numerator, denominator, cp_id)"
    )
    con.execute(
        "CREATE TABLE attribution AS SELECT * FROM (VALUES "
        "('P3', DATE '2025-10-01', 'A1', 'PR1', 'C2'),"
        "('P4', DATE '2025-10-01', 'A1', 'PR2', NULL)"
        ") AS t(person_id, month, aco_id, practice_id, cp_id)"
    )

    def spec(measure_id: str, family: str, direction: str):
        return type(
            "Spec",
            (),
            {"id": measure_id, "family": family, "kind": "proportion", "direction": direction},
        )()

    specs = [
        spec("up", "quality", "higher_is_better"),
        spec("down", "quality", "lower_is_better"),
        spec("ops", "operational", "higher_is_better"),
    ]
    gaps = engine.care_gap_rows(con, specs, "2025Q4")  # type: ignore[arg-type]
    assert list(gaps.columns) == list(engine.CARE_GAP_ROW_COLUMNS)
    rows = gaps.astype(object).where(gaps.notna(), None).values.tolist()
    assert rows == [
        ["P1", "down", "2025Q4", None, None, "C1", 1.0],
        ["P1", "up", "2025Q4", None, None, "C1", 1.0],
        ["P3", "up", "2025Q4", "A1", "PR1", "C2", 1.0],
        ["P4", "up", "2025Q4", "A1", "PR2", None, 1.0],  # no CP: in the program list
    ]


def test_the_program_care_gap_list_adds_up_to_the_open_gaps() -> None:
    """Worked by hand: 'up' (higher is better) counts discharges, 'down' is inverse."""
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE measure_rows AS SELECT * FROM (VALUES "
        "('up', '2025Q4', 'P1', DATE '2025-10-01', 0.0, 1.0, NULL),"  # gap, ACO A1 PR1
        "('up', '2025Q4', 'P1', DATE '2025-11-01', 0.0, 1.0, NULL),"  # 2nd discharge: A2
        "('up', '2025Q4', 'P1', DATE '2025-10-01', 0.0, 1.0, NULL),"  # 3rd, with the 1st
        "('up', '2025Q4', 'P2', DATE '2025-10-01', 1.0, 1.0, NULL),"  # met
        "('up', '2025Q4', 'P3', DATE '2025-10-01', 0.0, 1.0, 'C9'),"  # gap, CP from the row
        "('up', '2025Q4', 'P4', DATE '2025-10-01', NULL, 1.0, NULL),"  # gap, no attribution
        "('up', '2025Q4', 'P5', DATE '2025-10-01', 0.0, 0.0, NULL),"  # excluded
        "('down', '2025Q4', 'P2', DATE '2025-10-01', 1.0, 1.0, NULL),"  # inverse: gap
        "('down', '2025Q4', 'P3', DATE '2025-10-01', 0.0, 1.0, NULL)"  # inverse: fine
        ") AS t(measure_id, period_id, person_id, attr_month, numerator, denominator, cp_id)"
    )
    con.execute(
        "CREATE TABLE attribution AS SELECT * FROM (VALUES "
        "('P1', DATE '2025-10-01', 'A1', 'PR1', NULL),"
        "('P1', DATE '2025-11-01', 'A2', 'PR7', 'C1'),"
        "('P2', DATE '2025-10-01', 'A1', 'PR1', 'C1'),"
        "('P3', DATE '2025-10-01', 'A2', 'PR7', NULL)"
        ") AS t(person_id, month, aco_id, practice_id, cp_id)"
    )
    spec = SimpleNamespace(family="quality", kind="proportion")
    specs = [
        SimpleNamespace(**vars(spec), id="up", direction="higher_is_better"),
        SimpleNamespace(**vars(spec), id="down", direction="lower_is_better"),
    ]
    gaps = engine.care_gap_rows(con, specs, "2025Q4")  # type: ignore[arg-type]
    frame = audiences.care_gap_frame(gaps, {"up": "Up measure", "down": "Down measure"})
    assert frame.values.tolist() == [
        ["P2", "down", "Down measure", "2025Q4", "A1", "PR1", "C1", 1],
        ["P4", "up", "Up measure", "2025Q4", "", "", "", 1],
        ["P1", "up", "Up measure", "2025Q4", "A1", "PR1", "", 2],
        ["P1", "up", "Up measure", "2025Q4", "A2", "PR7", "C1", 1],
        ["P3", "up", "Up measure", "2025Q4", "A2", "PR7", "C9", 1],
    ]
    # the program's open gaps, as the results count them: up 6 - 1 met = 5 (P5 has none
    # to count), down 1
    program = pd.DataFrame(
        {
            "measure_id": ["up", "down"],
            "direction": ["higher_is_better", "lower_is_better"],
            "numerator": [1.0, 1.0],
            "denominator": [6.0, 2.0],
        }
    )
    expected = engine.open_gap_counts(program, {"up", "down"}).tolist()
    assert expected == [5.0, 1.0]
    listed = frame.groupby("measure_id")["open_gaps"].sum()
    assert [listed["up"], listed["down"]] == expected
    files = audiences.care_gap_files(gaps, pd.DataFrame({"org_id": ["C1"], "org_type": ["cp"]}))
    assert sorted(files) == [
        "downloads/internal/care_gaps/C1.csv",
        "downloads/internal/care_gaps_program.csv",
        "downloads/internal/care_gaps_program.parquet",
    ]
    assert files["downloads/internal/care_gaps/C1.csv"].decode().splitlines()[1:] == [
        "P2,down,,2025Q4,A1,PR1,C1,1",
        "P1,up,,2025Q4,A2,PR7,C1,1",
    ]


def test_the_last_check_catches_a_table_that_was_not_restricted() -> None:
    orgs = pd.DataFrame(
        {
            "org_id": ["A1", "A2", "C1"],
            "org_type": ["aco", "aco", "cp"],
            "org_name": ["First ACO", "Second ACO", "A CP"],
            "parent_org_id": [None, None, None],
        }
    )
    audience = audiences.parse_audience("partner:A1")
    view = audiences.View(pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), orgs.iloc[[0]])
    extra = pd.DataFrame({"cp_id": ["A1", "C1"], "note": ["ours", "about Second ACO"]})
    restricted = audiences.only_visible(audience, extra, "cp_id", view)
    assert list(restricted["cp_id"]) == ["A1"]
    leaky = type("Input", (), {})()
    leaky.results = pd.DataFrame({"entity_id": ["A1", "A2"], "value": [1.0, 2.0]})
    leaky.other = pd.DataFrame({"label": ["Second ACO"]})
    problems = audiences.foreign_entities(audience, leaky, view, orgs)
    assert len(problems) == 2 and "results.entity_id" in problems[1] and "'A2'" in problems[1]
    internal = audiences.parse_audience("internal")
    assert audiences.foreign_entities(internal, leaky, view, orgs) == []


@pytest.mark.parametrize(
    ("window", "compared"),
    [("quarter", "2026Q1"), ("year", "2026Q4")],  # the period whose trend is against 2025Q4
)
def test_a_practice_left_out_of_the_public_edition_is_protected_like_a_hidden_one(
    window: str, compared: str
):
    # ACO A = P1 + P2 + P3; P1 has too few members for a public page, so the public edition
    # leaves it out: A less P2 and P3 would give its 40 of 80, so P2 (the smaller) is hidden
    # too, and loses its stars and labels
    def result(level: str, entity: str, num: float, den: float) -> dict:
        return {
            "window": window,
            "measure_id": "m1",
            "period_id": "2025Q4",
            "level": level,
            "entity_id": entity,
            "stratum": "all",
            "stratum_value": "all",
            "numerator": num,
            "denominator": den,
            "kind": "proportion",
            "min_denominator": 30,
            "stars": 3,
            "peer_label": "better",
            "trend_label": "",
        }

    results = stats.suppress(
        pd.DataFrame(
            [
                result("program", "ALL", 300, 600),
                result("aco", "A", 140, 256),
                result("practice", "P1", 40, 80),
                result("practice", "P2", 31, 56),
                result("practice", "P3", 69, 120),
                {**result("practice", "P2", 35, 60), "period_id": compared, "trend_label": "up"},
                {**result("practice", "P2", 36, 60), "period_id": "2026Q2", "trend_label": "up"},
            ]
        )
    )
    assert not results["suppressed"].any()
    organizations = pd.DataFrame(
        {
            "org_id": ["A", "P1", "P2", "P3"],
            "org_type": ["aco", "practice", "practice", "practice"],
            "parent_org_id": [None, "A", "A", "A"],
        }
    )
    withheld = (results["entity_id"] == "P1").to_numpy()
    again = audiences.protect_withheld(results, organizations, withheld).set_index("entity_id")
    assert again[again["period_id"] == "2025Q4"]["suppressed"].to_dict() == {
        "ALL": False,
        "A": False,
        "P1": True,
        "P2": True,
        "P3": False,
    }
    p2 = again.loc["P2"].set_index("period_id")
    assert pd.isna(p2.loc["2025Q4", "stars"]) and p2.loc["2025Q4", "peer_label"] == ""
    # the change of the period compared with it (the quarter after, or the same quarter a year
    # on for a result over twelve months) was worked out from the value now hidden: no label
    # either; another period's stays
    assert p2.loc[compared, "trend_label"] == "" and not p2.loc[compared, "suppressed"]
    assert p2.loc["2026Q2", "trend_label"] == "up"
    assert again.loc["P3", "stars"] == 3


ORGS = pd.DataFrame(
    {
        "org_id": ["A", "P1", "P2", "P3"],
        "org_type": ["aco", "practice", "practice", "practice"],
        "parent_org_id": [None, "A", "A", "A"],
    }
)


def starred(measure: str, family: str, counts: dict[str, tuple], stars: dict) -> list[dict]:
    """Return the 2025Q4 rows of one measure for ALL, A, P1-P3: (numerator, denominator) and
    the stars of each entity (absent: none)."""
    base = {"measure_id": measure, "family": family, "period_id": "2025Q4", "stratum": "all"}
    base |= {"stratum_value": "all", "kind": "proportion", "min_denominator": 30}
    level = {"ALL": "program", "A": "aco"}
    return [
        {
            **base,
            "level": level.get(entity, "practice"),
            "entity_id": entity,
            "numerator": num,
            "denominator": den,
            "stars": stars.get(entity, pd.NA),
        }
        for entity, (num, den) in counts.items()
    ]


ACO_COUNTS = {"ALL": (300, 600), "A": (140, 256), "P1": (40, 80), "P2": (31, 56), "P3": (69, 120)}
M2_COUNTS = {"ALL": (300, 600), "A": (100, 176), "P2": (31, 56), "P3": (69, 120)}


def test_a_complement_spares_a_result_with_stars_when_one_without_will_do() -> None:
    # as above, A less P2 and P3 would give P1 away; P2 is the smaller, but it has stars
    # (its summaries count it) and P3 has none: P3 is hidden, P2 keeps its 4 stars
    rows = starred("m1", "quality", ACO_COUNTS, {"A": 3, "P1": 2, "P2": 4})
    results = stats.suppress(pd.DataFrame(rows))
    withheld = (results["entity_id"] == "P1").to_numpy()
    again = audiences.protect_withheld(results, ORGS, withheld).set_index("entity_id")
    assert again["suppressed"].to_dict() == {
        "ALL": False,
        "A": False,
        "P1": True,
        "P2": False,
        "P3": True,
    }
    assert again.loc["P2", "stars"] == 4


def summary_row(entity: str, family: str, stars: float, n_rated: int, n_measures: int) -> dict:
    return {
        **{"period_id": "2025Q4", "level": "practice", "entity_id": entity, "family": family},
        **{"stars": stars, "n_rated": n_rated, "n_measures": n_measures},
        **{"rated_share": n_rated / n_measures, "average": stars, "reward": 0.0},
        "tier": "Gold" if family == "overall" else None,
    }


@pytest.fixture
def hidden_p2() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return (full results, the public edition's results, summary): every result has stars,
    P1 is left out, so P2's m1 (quality) is hidden as its complement; P1 has no m2 (claims),
    which is shown."""
    full = pd.DataFrame(
        starred("m1", "quality", ACO_COUNTS, dict.fromkeys(ACO_COUNTS, 3))
        + starred("m2", "claims", M2_COUNTS, dict.fromkeys(M2_COUNTS, 5))
    )
    full = stats.suppress(full)
    withheld = (full["entity_id"] == "P1").to_numpy()
    kept = audiences.protect_withheld(full, ORGS, withheld)
    kept = kept[~withheld]
    hidden = kept[kept["suppressed"]]
    assert set(zip(hidden["entity_id"], hidden["measure_id"], strict=True)) == {("P2", "m1")}
    summary = pd.DataFrame(
        [
            summary_row("P2", "quality", 3, 1, 1),
            summary_row("P2", "claims", 5, 1, 1),
            summary_row("P2", "overall", 4, 2, 2),
            summary_row("P3", "overall", 4, 2, 2),
        ]
    )
    return full, kept, summary


def test_an_edition_leaves_blank_the_summaries_that_count_stars_it_hides(hidden_p2) -> None:
    # P2's quality rating (3 stars, based on 1 measure) is its hidden m1's stars, and its
    # overall (4 = (3 + 5) / 2, based on 2) with m2's 5 shown gives them too: both are left
    # blank, counting the 0 and 1 results with stars shown; its claims rating and P3's stay
    full, kept, summary = hidden_p2
    hidden = audiences.hidden_stars(full, kept)
    assert sorted(hidden["family"] + hidden["entity_id"]) == ["overallP2", "qualityP2"]
    out = audiences.withhold_summaries(summary, hidden, kept).set_index(["entity_id", "family"])
    blank = out.loc[[("P2", "quality"), ("P2", "overall")]]
    assert blank[["stars", "average", "reward", "tier"]].isna().all().all()
    assert blank["n_rated"].tolist() == [0, 1] and blank["rated_share"].tolist() == [0.0, 0.5]
    assert set(blank["note"]) == {audiences.SUMMARY_HIDDEN}
    kept_rows = out.loc[[("P2", "claims"), ("P3", "overall")]]
    assert kept_rows["stars"].tolist() == [5, 4] and set(kept_rows["note"]) == {""}
    assert kept_rows["n_rated"].tolist() == [1, 2]


def test_the_privacy_check_catches_a_summary_counting_hidden_stars(hidden_p2) -> None:
    full, kept, summary = hidden_p2
    published = kept[~kept["suppressed"]].assign(stars=kept["stars"])
    leaks = disclosure.summary_leaks(full, published, summary)  # as before the fix
    assert len(leaks) == 2 and all(line.startswith("practice P2 2025Q4") for line in leaks)
    assert "overall rating: counts 2 result(s) with stars, of which the edition shows 1" in leaks[1]
    fixed = audiences.withhold_summaries(summary, audiences.hidden_stars(full, kept), kept)
    assert disclosure.summary_leaks(full, published, fixed) == []
    # a blank rating whose n_rated still counts the hidden result is caught too
    fixed.loc[(fixed["entity_id"] == "P2") & (fixed["family"] == "quality"), "n_rated"] = 1
    assert len(disclosure.summary_leaks(full, published, fixed)) == 1


def test_a_blank_rating_says_why_in_both_languages() -> None:
    key = ("practice", "P2", "overall")
    model = SimpleNamespace(withheld={key}, rated_counts={key: (1, 2)}, stars={key: float("nan")})
    assert views.rating_basis(model, key, "en").startswith("Not shown in this edition: it would")
    assert "proteger la privacidad" in views.rating_basis(model, key, "es")
    model.withheld = set()  # otherwise: the rating needs more measures with stars
    assert views.rating_basis(model, key, "en").startswith("Only 1 measure got stars")
    assert "reveal results hidden" in site._summary_stars_html(
        SimpleNamespace(withheld={key}, stars={}), key
    )


# Measures the demo rates at the practice level (so practices get overall stars), already in
# 2024Q4, and one it rates from 2025Q4 on (ACOs only)
RATED_MEASURES = (
    "non_emergent_ed",
    "ed_visits",
    "depression_screening_followup",
    "adult_bmi_assessment",
    "colorectal_cancer_screening",
    "continuity_of_care",
    "controlling_blood_pressure",
)


def test_every_audience_rates_a_quarter_alike_whatever_its_folder_holds(tmp_path: Path) -> None:
    # CI keeps one folder per audience, and they need not hold the same earlier editions:
    # here only the internal one has 2024Q4. The stars of 2025Q4 (the guardrails' prior cut
    # points, a measure's first year and so its weight) come from the results history they
    # share, so both editions of 2025Q4 rate it alike, first rated in 2024 where it was
    from click.testing import CliRunner

    from scorecard.cli import main

    inputs = ["--measures", small_measures(tmp_path / "measures", RATED_MEASURES)]
    inputs += ["--history", tmp_path / "history", "--quiet"]

    def published(audience: str, period: str) -> Path:
        out = tmp_path / audience
        args = ["build", *inputs, "--audience", audience, "--out", out, "--period", period]
        result = CliRunner().invoke(main, [str(a) for a in args])
        assert result.exit_code == 0, result.output
        return out / period / "downloads"

    published("internal", "2024Q4")
    internal, public = published("internal", "2025Q4"), published("public", "2025Q4")
    cuts = pd.read_csv(internal / "cut_points.csv")
    assert set(cuts.dropna(subset="t2")["first_rated"]) == {2024, 2025}
    pd.testing.assert_frame_equal(pd.read_csv(public / "cut_points.csv"), cuts)
    keys = ["level", "entity_id", "family"]
    # (but for ratings the public edition leaves blank so as not to give hidden stars away)
    public_stars = pd.read_csv(public / "summary_stars.csv", keep_default_na=False, na_values="")
    shown = public_stars[public_stars["note"].isna()][[*keys, "stars", "average"]]
    both = shown.merge(pd.read_csv(internal / "summary_stars.csv"), on=keys, how="left")
    overall = both[both["family"] == "overall"]
    assert overall["stars_x"].notna().sum() >= 20 and both["average_y"].notna().any()
    pd.testing.assert_series_equal(both["stars_x"], both["stars_y"], check_names=False)
    pd.testing.assert_series_equal(both["average_x"], both["average_y"], check_names=False)


def test_the_internal_edition_shows_what_is_hidden_only_for_privacy(sites: dict) -> None:
    version = sites["roots"]["internal"] / "2025Q4"
    results = pd.read_parquet(version / "downloads" / "results.parquet")
    reasons = set(results["suppression_reason"].fillna(""))
    assert not reasons & stats.PROTECTED_REASONS
    small = results["small_counts"] == "yes"
    columns = ["numerator", "denominator", "open_gaps"]
    counts = pd.concat([stats.is_small_count(results[c]) for c in columns], axis=1)
    assert small.any() and small.tolist() == counts.any(axis=1).tolist()
    scored = sites["scored"].results
    private = scored["suppression_reason"].isin(stats.PROTECTED_REASONS)
    assert private.any()  # hidden for privacy in the other editions, shown here
    header = (version / "downloads" / "results.csv").read_text().splitlines()[0]
    assert header.endswith(",small_counts")
    columns = pd.read_csv(version / "downloads" / "results_columns.csv")
    assert "small_counts" in set(columns["column"])
    for page in [p for p in version.rglob("*.html") if p.name != "404.html"]:
        text = html.unescape(page.read_text(encoding="utf-8"))
        assert "counts under 11" in text or "menores de 11" in text, page
    for audience in ("public", "partner:ACO01"):
        other = sites["roots"][audience] / "2025Q4" / "downloads"
        assert "small_counts" not in (other / "results.csv").read_text().splitlines()[0]
        assert "counts under 11" not in (other.parent / "index.html").read_text(encoding="utf-8")


def test_internal_results_keep_only_the_minimum_denominator_rule() -> None:
    results = pd.DataFrame(
        {
            "measure_id": ["m"] * 5,
            "period_id": ["2025Q4"] * 5,
            "level": ["aco", "aco", "aco", "aco", "program"],
            "entity_id": ["A1", "A2", "A3", "A4", "ALL"],
            "stratum": ["all"] * 5,
            "kind": ["proportion"] * 5,
            "numerator": [15.0, 4.0, 4.0, 20.0, 43.0],
            "denominator": [39.0, 35.0, 12.0, 50.0, 136.0],
            "min_denominator": [30] * 5,
            "suppressed": [True, True, True, False, False],
            "suppression_reason": ["complementary", "small_count", "small_count", "", ""],
            "stars": [pd.NA, pd.NA, pd.NA, 3, pd.NA],
            "star_note": ["", "", "", "", ""],
        }
    )
    out = audiences.internal_results(results)
    assert out["suppression_reason"].tolist() == ["", "", "small_denominator", "", ""]
    assert out["suppressed"].tolist() == [False, False, True, False, False]
    assert out["star_note"].tolist() == [audiences.INTERNAL_ONLY] * 2 + ["", "", ""]
    assert out["stars"].isna().tolist() == [True, True, True, False, True]
    view = audiences.restrict(
        audiences.parse_audience("internal"), results, pd.DataFrame(), pd.DataFrame(), None
    )
    assert view.results.equals(out)
    assert site.hidden_rows(out, small_counts=True).tolist() == out["suppressed"].tolist()
    assert site.hidden_rows(out).tolist() == [False, True, True, False, False]  # 4 of 35
