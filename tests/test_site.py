"""Site rendering: pages, links, nav, charts, downloads and the privacy rules, on a tiny input."""

from __future__ import annotations

import dataclasses
import html
import json
import os
import re
import shutil
import signal
import time
from html.parser import HTMLParser
from pathlib import Path

import markdown
import pandas as pd
import pytest
from site_fixture import (
    SECRET_DENOMINATOR,
    SECRET_NUMERATOR,
    SECRET_VALUE,
    SMALL_COUNT,
    chromium_page,
    make_sample_input,
    serve_folder,
)

from scorecard import build, charts, i18n, parallel, shell, site, views
from scorecard.plain import result_words
from scorecard.site import LEVELS
from scorecard.specs import load_specs


class PageParser(HTMLParser):
    """Collect a page's tables (cell text and links), its nav links and its JSON scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[tuple[str, list[str]]]]] = []
        self.nav_links: list[str] = []
        self.links: list[str] = []
        self.scripts: dict[str, str] = {}
        self._nav_depth = 0
        self._cell: list | None = None
        self._script: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "nav":
            self._nav_depth += 1
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables:
            self._cell = ["", []]
        elif tag == "a" and a.get("href"):
            # the language menu (hreflang) links a page to itself or its other language: no nav
            in_nav = self._nav_depth and not a.get("hreflang")
            (self.nav_links if in_nav else self.links).append(a["href"])
            if self._cell is not None:
                self._cell[1].append(a["href"])
        elif tag == "script" and a.get("type") == "application/json":
            self._script = a["id"]
            self.scripts[a["id"]] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self._nav_depth -= 1
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append((self._cell[0].strip(), self._cell[1]))
            self._cell = None
        elif tag == "script":
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell[0] += data
        if self._script is not None:
            self.scripts[self._script] += data


def parse(path: Path) -> PageParser:
    parser = PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def column(table: list, header: str) -> list[tuple[str, list[str]]]:
    """Return the cells under a header (empty when the table has no such column)."""
    headers = [text for text, _ in table[0]]
    if header not in headers:
        return []
    index = headers.index(header)
    return [row[index] for row in table[1:] if len(row) > index]


@pytest.fixture(scope="module")
def sample() -> site.SiteInput:
    return make_sample_input()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, sample: site.SiteInput) -> Path:
    """Build the sample site once for the module (strict: a broken link fails the build)."""
    work = tmp_path_factory.mktemp("site")
    return site.build_site(sample, work, strict=True)


@pytest.fixture(scope="module")
def model(sample: site.SiteInput) -> site.SiteModel:
    return site.gather(sample)


def words(page: str) -> str:
    """Return a page's text without its tags, entities read and spaces made single."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def html_pages(built: Path) -> list[Path]:
    return sorted(p for p in built.rglob("*.html") if p.name != "404.html")


# ------------------------------------------------------------------ pages, links and nav


def test_every_entity_page_exists_and_is_linked_from_its_index(built: Path, model) -> None:
    for level in LEVELS:
        index = parse(built / level / "index.html")
        linked = {href for cell in column(index.tables[0], "Name") for href in cell[1]}
        expected = {f"{e.slug}.html" for e in model.entities[level]}
        assert expected, level
        assert linked == expected
        for name in expected:
            assert (built / level / name).is_file()


def test_entity_pages_are_not_in_the_nav(built: Path, model) -> None:
    entity_pages = {e.page.replace(".md", ".html") for es in model.entities.values() for e in es}
    for page in html_pages(built):
        nav = parse(page).nav_links
        resolved = {
            str((page.parent / h).resolve().relative_to(built.resolve()))
            for h in nav
            if not h.startswith("#")
        }
        assert not resolved & entity_pages, page
    home_nav = parse(built / "index.html").nav_links
    assert "aco/index.html" in home_nav and "provenance.html" in home_nav


def test_nav_is_shallow(sample) -> None:
    config = site.mkdocs_config(sample)
    titles = [next(iter(item)) for item in config["nav"]]
    assert titles == [t for t, _ in site.NAV_PAGES]
    assert all(isinstance(item[t], str) for item, t in zip(config["nav"], titles, strict=True))
    assert "/aco/*.md" in config["not_in_nav"]


def test_links_are_relative_and_resolve(built: Path) -> None:
    for page in html_pages(built):
        text = page.read_text(encoding="utf-8")
        for ref in re.findall(r'(?:href|src)="([^"]*)"', text):
            assert not ref.startswith("/"), (page, ref)
            assert "://" not in ref, (page, ref)
            target = (page.parent / ref.split("#")[0]).resolve()
            if target == (built.parent / "index.html").resolve():
                continue  # the "newest results" link of the outdated banner leaves the edition
            assert target.is_relative_to(built.resolve()) and target.exists(), (page, ref)


def test_entity_page_links_measures_and_its_csv(built: Path, model) -> None:
    entity = model.entities["aco"][0]
    links = parse(built / entity.page.replace(".md", ".html")).links
    assert "../measures/ed_visits.html" in links
    assert f"../downloads/aco/{entity.slug}.csv" in links


def test_special_characters_in_names_are_shown_once_escaped(built: Path) -> None:
    text = (built / "aco" / "aco2.html").read_text(encoding="utf-8")
    assert "Valley Care &amp; Partners ACO" in text
    assert "&amp;amp;" not in text
    assert "&amp;#" not in text


# ------------------------------------------------------------------ charts and plotly.js


def test_figures_skip_markdown_and_come_back_whole(built: Path) -> None:
    for page in html_pages(built):
        text = page.read_text(encoding="utf-8")
        assert "<!--sc-figure-" not in text
        assert text.count('<figure class="sc-figure"') == text.count("</figure>")


def test_blocks_side_by_side_share_one_placeholder_and_come_back_as_markdown_wrote_them() -> None:
    import markdown as python_markdown

    source = (
        "# T\n\n<!--sc:html-->\n<p>a</p>\n<!--/sc:html-->\n\n\n<!--sc:html-->\n<p>b</p>\n"
        "<!--/sc:html-->\n\n## S { #s }\n\n<!--sc:html-->\n<p>c</p>\n<!--/sc:html-->\n"
    )
    page = type("Page", (), {"meta": {}, "parent": "in a nav: not built from a shell"})()
    left = site.stash_blocks(source, page)
    assert left.count("<!--sc-figure-") == 2  # a and b share one; c follows a heading
    html = python_markdown.markdown(left, extensions=["attr_list", "toc"])
    html = site.restore_late_blocks(site.restore_blocks(html, page), page)
    # as with one placeholder each: Markdown writes a blank line after an HTML block
    assert html == '<h1 id="t">T</h1>\n<p>a</p>\n\n<p>b</p>\n\n<h2 id="s">S</h2>\n<p>c</p>'


def test_scorecard_pages_leave_only_their_headings_to_markdown(model) -> None:
    """Thousands of scorecards are built per edition: Python-Markdown must see only the title
    and the section headings (for the table of contents); the rest is HTML past it."""
    env = site.template_env()
    pages = [job for job in site.page_plan(model) if job[1] == "pages/entity.md.j2"]
    assert {path.split("/")[0] for path, _, _ in pages} == set(LEVELS)
    for path, template, make in pages:
        markdown = env.get_template(template).render(make()).split("\n---\n", 1)[1]
        page = type("Page", (), {"meta": {}, "parent": "in a nav: not built from a shell"})()
        left = site.stash_blocks(markdown, page)
        lines = [line for line in left.splitlines() if line.strip()]
        assert lines[0].startswith("# "), path
        others = [ln for ln in lines if not ln.startswith(("# ", "## ", "<!--sc-figure-"))]
        assert others == [], (path, others)


def test_a_chart_with_nothing_to_show_is_left_out(model) -> None:
    spec = model.specs["ed_visits"]
    entity = site.Entity("cp", "cp1", "Bridge", "cp1")
    assert site.trend_chart(model, spec, entity).shown
    assert site.trend_figure_html(model, spec, entity) is not None
    hidden = dict(model.series[("cp", "cp1", "ed_visits")])
    for period in hidden:
        model.series[("cp", "cp1", "ed_visits")][period] = {**hidden[period], "value": None}
    try:
        assert not site.trend_chart(model, spec, entity).shown
        assert site.trend_figure_html(model, spec, entity) is None
    finally:
        model.series[("cp", "cp1", "ed_visits")] = hidden


def test_scorecard_trend_figures_are_the_trend_charts_with_tidied_tables(model) -> None:
    """Scorecards build their trend figures with the cells a level shares made once
    (site.trend_figure_html): the same bytes as the chart, its tidied table and its title."""
    entities = [None, *(e for es in model.entities.values() for e in es)]
    compared = 0
    for entity in entities:
        for spec in model.specs.values():
            level = entity.level if entity else "program"
            if level not in spec.levels:
                continue
            chart = site.trend_chart(model, spec, entity)
            title = spec.text("en").title
            expected = site.chart_html(chart, title, views.tidy_table(chart))
            figure = site.trend_figure_html(model, spec, entity)
            assert figure == (expected if chart.shown else None), (level, spec.id)
            compared += figure is not None
    assert compared >= 10  # the tiny site has 19


def test_chart_tables_move_a_unit_shared_by_a_column_to_its_header() -> None:
    cells = ["$57.00 per member per month", "Not shown", "$1,204.50 per member per month"]
    assert views.tidy_column("Bridge", cells) == (
        "Bridge (per member per month)",
        ["$57.00", "Not shown", "$1,204.50"],
    )
    mixed = ["12 visits", "3 stays"]
    assert views.tidy_column("Bridge", mixed) == ("Bridge", mixed)
    assert views.tidy_column("Bridge", ["Not shown"]) == ("Bridge", ["Not shown"])
    # a range of peers' results in a single shown cell is not a number followed by a unit
    band = ["Not shown", "12.0% to 15.5%"]
    assert views.tidy_column("Middle half of peers", band) == ("Middle half of peers", band)


def test_scorecard_page_has_chart_json_drawn_by_one_script(built: Path) -> None:
    page = parse(built / "aco" / "aco1.html")
    figure = json.loads(page.scripts["trend-ed_visits"])
    assert figure["data"][0]["name"] == "Harbor Health ACO"
    assert figure["data"][1]["name"] == "Whole program"
    assert figure["data"][0]["x"] == ["2025 Q1", "2025 Q2", "2025 Q3", "2025 Q4"]
    text = (built / "aco" / "aco1.html").read_text(encoding="utf-8")
    assert 'data-figure="trend-ed_visits"' in text
    assert "Show the numbers as a table" in text


def test_figures_are_valid_plotly(built: Path) -> None:
    import plotly.graph_objects as go

    for page in (built / "aco" / "aco1.html", built / "measures" / "fuh_7.html"):
        figures = {
            k: v for k, v in parse(page).scripts.items() if k.startswith(("trend", "ranked"))
        }
        assert figures
        for source in figures.values():
            figure = json.loads(source)
            go.Figure(data=figure["data"], layout=figure["layout"])


def test_plotly_js_is_served_once_and_never_inlined(built: Path) -> None:
    copies = [p for p in built.rglob("*") if p.is_file() and "plotly" in p.name.lower()]
    assert [p.relative_to(built).as_posix() for p in copies] == ["static/plotly.min.js"]
    signature = site.plotly_js_path().read_bytes()[:200].decode("utf-8", "ignore").strip()[:60]
    for page in html_pages(built):
        text = page.read_text(encoding="utf-8")
        assert signature not in text
        assert text.count("static/plotly.min.js") == 1
        assert len(text) < 500_000


def test_chart_text_summary_and_colour_blind_palette() -> None:
    figure = charts.trend_figure(
        ["2025 Q1", "2025 Q2"],
        [1.0, float("nan")],
        [2.0, 3.0],
        entity_name="X",
        unit="%",
        decimals=1,
    )
    assert figure["data"][0]["y"] == [1.0, None]
    assert {t["line"]["color"] for t in figure["data"]} <= set(charts.PALETTE.values())
    assert {t["line"]["dash"] for t in figure["data"]} == {"solid", "dash"}
    text = charts.trend_summary(["2025 Q1", "2025 Q2"], ["1.0%", ""], ["2.0%", "3.0%"], "X")
    assert text == (
        "X has one result to show: 1.0% in 2025 Q1. Its result for 2025 Q2 is not shown. "
        "The whole program's result in 2025 Q2 was 3.0%."
    )
    shown = charts.trend_summary(["2025 Q1", "2025 Q2"], ["1.0%", "2.5%"], None, "X")
    assert shown == "From 2025 Q1 to 2025 Q2, X went from 1.0% to 2.5%."
    assert "</script>" not in charts.figure_json({"text": "</script><b>&"})


def test_chart_hover_shows_the_tables_value_rounded_once() -> None:
    """0.5147 drawn at 3 places (0.515) and rounded again by the hover read 0.52 beside the
    table's 0.51: the hover shows the page's own text (customdata) under the full period."""
    figure = charts.trend_figure(
        ["2024 Q4", "2025 Q4"],
        [0.5147, 0.6],
        [0.5, 0.4],
        entity_name="X",
        unit="index",
        decimals=2,
        text=["0.51 index", "0.60 index"],
        program_text=["0.50 index", "0.40 index"],
    )
    entity, program = figure["data"][:2]
    assert entity["customdata"] == ["0.51 index", "0.60 index"]
    assert program["customdata"] == ["0.50 index", "0.40 index"]
    assert "%{customdata}" in entity["hovertemplate"] and "%{y" not in entity["hovertemplate"]
    assert figure["layout"]["xaxis"]["unifiedhovertitle"] == {"text": "%{x}"}
    # without the page's text, the values are rounded once, from the values themselves
    plain = charts.trend_figure(["2025 Q3"], [0.5147], None, entity_name="X", unit="u", decimals=2)
    assert plain["data"][0]["customdata"] == ["0.51 u"]
    ranked = charts.ranked_figure(
        ["A", "B"], [0.5147, 0.2], unit="u", decimals=2, higher_is_better=True, text=["a", "b"]
    )
    assert ranked["data"][0]["customdata"] == ["b", "a"]  # sorted with their names
    assert "%{customdata}" in ranked["data"][0]["hovertemplate"]


def test_ranked_chart_turns_into_a_histogram_when_crowded() -> None:
    names = [f"P{i}" for i in range(charts.MAX_RANKED_BARS + 1)]
    figure = charts.ranked_figure(
        names, list(range(len(names))), unit="%", decimals=1, higher_is_better=True
    )
    assert figure["data"][0]["type"] == "histogram"
    small = charts.ranked_figure(
        ["a", "b"], [1.0, 2.0], unit="%", decimals=1, higher_is_better=False, reference=1.5
    )
    assert small["data"][0]["y"] == ["b", "a"]  # plotly draws the last bar at the top: best
    assert small["layout"]["shapes"]


# ------------------------------------------------------------------ privacy


def _secret_strings() -> list[str]:
    counts = [f"{SECRET_NUMERATOR:,}", str(SECRET_NUMERATOR)]
    counts += [f"{SECRET_DENOMINATOR:,}", str(SECRET_DENOMINATOR)]
    return [*counts, f"{SECRET_VALUE:.1f}", f"{SECRET_VALUE:.2f}", "49.298"]


def test_no_suppressed_value_appears_anywhere(built: Path) -> None:
    files = [*built.rglob("*.html"), *built.rglob("*.csv"), *built.rglob("*.json")]
    for path in files:
        text = path.read_text(encoding="utf-8")
        for secret in _secret_strings():
            assert secret not in text, (path, secret)


def test_suppressed_result_shows_only_the_reason_in_words(built: Path) -> None:
    page = parse(built / "practice" / "prac2.html")
    rows = [row for table in page.tables for row in table if "Follow-up" in row[0][0]]
    result, interval, counts = rows[0][1][0], rows[0][2][0], rows[0][3][0]
    assert result == site.reason_texts()["small_count"]
    assert interval == counts == ""
    figure = json.loads(page.scripts["trend-fuh_7"])
    assert figure["data"][0]["y"][-1] is None


def test_no_count_from_1_to_10_in_any_table(built: Path) -> None:
    checked = 0
    for page in html_pages(built):
        for table in parse(page).tables:
            for text, _ in column(table, "Counts"):
                numbers = [float(n.replace(",", "")) for n in re.findall(r"[\d,.]+\d|\d", text)]
                assert not [n for n in numbers if 0 < n <= 10], (page, text)
                checked += 1
    assert checked > 20
    prac3 = parse(built / "practice" / "prac3.html")
    ed = [row for table in prac3.tables for row in table if row[0][0] == "Emergency room visits"]
    assert ed[0][3][0].startswith("– / ")  # the count of SMALL_COUNT is blanked


def test_public_view_blanks_suppressed_rows_and_small_counts(sample) -> None:
    public = site.public_view(sample.results)
    hidden = public[public["suppressed"]]
    assert len(hidden) >= 2
    assert hidden[list(site.VALUE_COLUMNS)].isna().all().all()
    assert (hidden["suppression_reason"] != "").all()
    assert hidden["stars"].isna().all()
    assert not public["numerator"].isin(range(1, 11)).any()
    assert not public["denominator"].isin(range(1, 11)).any()
    assert (public["suppression_reason"][~public["suppressed"]] == "").all()
    assert SMALL_COUNT not in public["numerator"].tolist()


def test_public_view_keeps_only_public_columns(sample) -> None:
    results = sample.results.assign(numerator_sq=123456.0, star_method="relative")
    results = results.drop(columns=["peer_label", "trend_label"])
    public = site.public_view(results)
    assert list(public.columns) == list(site.PUBLIC_COLUMNS)
    assert (public["peer_label"] == "").all()


def test_public_view_hides_proportions_with_a_small_complement(sample) -> None:
    results = sample.results.head(1).copy()
    results[["kind", "numerator", "denominator", "suppressed"]] = ["proportion", 95.0, 100.0, False]
    public = site.public_view(results)
    assert public["suppressed"].iloc[0] and pd.isna(public["value"].iloc[0])
    assert public["suppression_reason"].iloc[0] == "small_count"


def test_downloads_are_the_public_view(built: Path, model) -> None:
    csv = pd.read_csv(built / "downloads" / "results.csv")
    parquet = pd.read_parquet(built / "downloads" / "results.parquet")
    assert len(csv) == len(parquet) == len(model.public)
    hidden = csv[csv["suppressed"]]
    assert hidden[["value", "numerator", "denominator", "lower", "upper"]].isna().all().all()
    assert hidden["suppression_text"].str.len().gt(10).all()
    for entity in (e for es in model.entities.values() for e in es):
        own = pd.read_csv(built / entity.csv)
        assert set(own["entity_id"].astype(str)) == {entity.entity_id}
    assert json.loads((built / "downloads" / "manifest.json").read_text())["period_id"] == "2025Q4"


# ------------------------------------------------------------------ open care gaps


def _row_cells(page: PageParser, title: str, header: str) -> list[str]:
    """Return the cells under `header` of every table row whose first cell is `title`."""
    out = []
    for table in page.tables:
        headers = [text for text, _ in table[0]]
        if header in headers:
            index = headers.index(header)
            out += [row[index][0] for row in table[1:] if row and row[0][0] == title]
    return out


def test_open_care_gaps_on_pages_and_in_downloads(built: Path, sample) -> None:
    results = sample.results
    now = results[(results["period_id"] == "2025Q4") & (results["stratum"] == "all")]
    fuh = now[now["measure_id"] == "fuh_7"].set_index("entity_id")
    expected = fuh.loc["aco1", "denominator"] - fuh.loc["aco1", "numerator"]  # higher is better
    assert expected > 10
    title = "Follow-up within 7 days after a mental health hospital stay"
    page = parse(built / "aco" / "aco1.html")
    assert _row_cells(page, title, "Open care gaps") == [f"{int(expected):,}"]  # unit "%"
    # measures that are not care-gap measures have no such column
    assert not _row_cells(page, "Emergency room visits", "Open care gaps")
    measure = parse(built / "measures" / "fuh_7.html")
    by_entity = _row_cells(measure, "Harbor Health ACO", "Open care gaps")
    assert by_entity == [f"{int(expected):,}"]
    # the suppressed row (prac2) shows no gap count, and publishes none
    assert _row_cells(parse(built / "practice" / "prac2.html"), title, "Open care gaps") == [""]
    csv = pd.read_csv(built / "downloads" / "results.csv")
    csv_now = csv[(csv["period_id"] == "2025Q4") & (csv["stratum"] == "all")]
    gaps = csv_now.set_index(["measure_id", "entity_id"])["open_gaps"]
    assert gaps[("fuh_7", "aco1")] == expected
    assert pd.isna(gaps[("fuh_7", "prac2")]) and pd.isna(gaps[("ed_visits", "aco1")])
    own = pd.read_csv(built / "downloads" / "aco" / "aco1.csv")
    own_now = own[(own["period_id"] == "2025Q4") & (own["stratum"] == "all")]
    assert own_now.set_index("measure_id").loc["fuh_7", "open_gaps"] == expected
    assert "open_gaps" in pd.read_parquet(built / "downloads" / "results.parquet").columns


def test_format_gaps_names_what_is_counted() -> None:
    assert site.format_gaps(1234.0, "percent of discharges") == "1,234 discharges"
    assert site.format_gaps(0.0, "percent of members") == "0 members"
    assert site.format_gaps(20.0, "percent of ED visits") == "20 ED visits"
    assert site.format_gaps(7.0, "percent of members") == ""  # 1 to 10 is never shown
    assert site.format_gaps(float("nan"), "%") == ""


# ------------------------------------------------------------------ incentive tiers


ROOT = Path(__file__).resolve().parents[1]


def _tiered_input(sample: site.SiteInput) -> site.SiteInput:
    """Return the sample with the measures/_tiers.yml tiers: aco1 averages 4.8 (Tier 1), aco2
    3.75 (4 stars once rounded, but below Tier 4's 3.76: no bonus), cp1 is not rated."""
    tiers = build.read_tiers(ROOT / "measures")
    summary = sample.summary.copy()
    summary["average"] = summary["stars"]
    overall = (summary["family"] == "overall") & (summary["period_id"] == "2025Q4")
    for entity, average, stars in (("aco1", 4.8, 5.0), ("aco2", 3.75, 4.0), ("cp1", 2.0, None)):
        at = overall & (summary["entity_id"] == entity)
        summary.loc[at, ["average", "stars"]] = [average, stars]
    return site.SiteInput(
        **{**sample.__dict__, "summary": build.add_tiers(summary, tiers), "tiers": tiers}
    )


@pytest.fixture(scope="module")
def tiered(tmp_path_factory: pytest.TempPathFactory, sample: site.SiteInput) -> Path:
    """Build the sample with tiers (strict: the links to the tiers must resolve)."""
    return site.build_site(_tiered_input(sample), tmp_path_factory.mktemp("tiered"), strict=True)


def test_tiers_show_on_scorecards_index_methodology_and_downloads(tiered: Path) -> None:
    aco1 = (tiered / "aco" / "aco1.html").read_text(encoding="utf-8")
    assert "Incentive tier: Tier 1: highest bonus." in aco1 and "4.80 stars" in aco1
    assert 'href="../methodology.html#incentive-tiers"' in aco1
    aco2 = (tiered / "aco" / "aco2.html").read_text(encoding="utf-8")
    assert "Incentive tier: No bonus." in aco2 and "3.75 stars" in aco2
    assert "Incentive tier" not in (tiered / "cp" / "cp1.html").read_text(encoding="utf-8")
    index = parse(tiered / "aco" / "index.html").tables[0]
    names = [text for text, _ in column(index, "Name")]
    tiers = [text for text, _ in column(index, "Incentive tier")]
    assert dict(zip(names, tiers, strict=True)) == {
        # the unrounded average decides the tier: aco2's 4 stars are 3.75 before rounding
        "Harbor Health ACO": "Tier 1: highest bonus · average 4.80",
        "Valley Care & Partners ACO": "No bonus · average 3.75",
    }
    cp_index = parse(tiered / "cp" / "index.html").tables[0]
    cp_tiers = {
        n: t
        for (n, _), (t, _) in zip(
            *(column(cp_index, h) for h in ("Name", "Incentive tier")), strict=True
        )
    }
    assert cp_tiers["Bridge Behavioral Health CP"] == "Not rated"
    # the bands are read from measures/_tiers.yml
    bands = [
        table for table in parse(tiered / "methodology.html").tables if table[0][0][0] == "Tier"
    ][0]
    rows = [(row[0][0], row[1][0]) for row in bands[1:]]
    names = [t["name"] for t in build.read_tiers(ROOT / "measures")]
    assert [name for name, _ in rows] == names
    assert [band for _, band in rows] == [
        "4.75 or more",
        "4.5 to under 4.75",
        "4 to under 4.5",
        "3.76 to under 4",
        "Under 3.76",
    ]
    summary = pd.read_csv(tiered / "downloads" / "summary_stars.csv", keep_default_na=False)
    overall = summary[summary["family"] == "overall"].set_index("entity_id")
    assert overall.loc["aco1", "tier"] == "Tier 1: highest bonus"
    assert overall.loc["aco2", "tier"] == "No bonus" and overall.loc["cp1", "tier"] == ""
    assert "tier" in pd.read_csv(tiered / "downloads" / "cp_summary.csv").columns
    spanish = (tiered / "es" / "aco" / "aco1.html").read_text(encoding="utf-8")
    assert 'nivel de bono llamado "Nivel 1: el bono más alto"' in words(spanish)
    english = (tiered / "plain" / "aco" / "aco1.html").read_text(encoding="utf-8")
    assert 'in the bonus level called "Tier 1: highest bonus"' in words(english)
    assert "methodology.html#incentive-tiers" in english


def test_without_tiers_nothing_about_tiers_appears(built: Path) -> None:
    for page in [*built.rglob("*.html"), *built.rglob("*.csv")]:
        text = page.read_text(encoding="utf-8").lower()
        assert "incentive tier" not in text and "bonus" not in text, page
    summary = pd.read_csv(built / "downloads" / "summary_stars.csv")
    assert "tier" not in summary.columns and len(summary) > 0
    assert "tier" not in pd.read_csv(built / "downloads" / "cp_summary.csv").columns


# ------------------------------------------------------------------ formatting


@pytest.mark.parametrize(
    ("value", "unit", "decimals", "expected"),
    [
        (72.345, "%", 1, "72.3%"),
        (72.345, "percent of members", 1, "72.3% of members"),
        (212.5, "dollars per member per month", 0, "$212 per member per month"),
        (3.0, "days", 0, "3 days"),
        (412.5, "$ per member per month", 2, "$412.50 per member per month"),
        (-31.2, "dollars per member per month", 0, "-$31 per member per month"),
        (1234.5, "per 1,000 member months", 1, "1,234.5 per 1,000 member months"),
        (float("nan"), "%", 1, ""),
        (None, "%", 1, ""),
    ],
)
def test_format_value(value, unit, decimals, expected) -> None:
    assert site.format_value(value, unit, decimals) == expected


def test_format_interval_puts_the_sign_before_the_dollar() -> None:
    assert site.format_interval(-3.5, 97.2, "dollars per member", 0) == "-$4 to $97"
    assert site.format_interval(0.0, 97.2, "%", 1) == "0.0% to 97.2%"


def test_counts_from_1_to_10_are_never_formatted() -> None:
    assert [site.format_count(n) for n in (0, 1, 10, 11, 12345.0)] == ["0", "", "", "11", "12,345"]
    assert site.format_counts(7, 845, "proportion") == "– of 845"
    assert site.format_counts(float("nan"), float("nan"), "rate") == ""
    # a median: how many were counted (the sum of their days would not give the median)
    assert site.format_counts(37_252, 423, "median") == "423 counted"
    assert site.format_counts(37_252, 8, "median") == ""


def test_counts_say_what_they_count() -> None:
    # both sides in words: a share's members, a rate's events and member months, a cost in
    # whole dollars, a ratio's readmissions and those expected
    care_plans = site.format_counts(153, 295, "proportion", "percent of care plans due")
    assert care_plans == "153 of 295 care plans due"
    cost = site.format_counts(3_075_560.61, 42_279, "mean", "dollars per member per month")
    assert cost == "$3,075,561 over 42,279 member months"
    stays = site.format_counts(247, 8_844.17, "rate", "admissions per 100,000 member years")
    assert stays == "247 admissions over 8,844.2 member years"
    ratio = site.format_counts(128, 130.82, "ratio", "observed / expected readmissions")
    assert ratio == "128 readmissions (130.8 expected)"
    assert site.format_counts(7, 845, "rate", "visits per 1,000 member months") == (
        "– visits over 845 member months"
    )
    assert site.denominator_words("mean", "dollars per risk-adjusted member month") == (
        "member months"
    )


def test_every_measure_s_counts_have_words() -> None:
    for spec in load_specs(ROOT / "measures"):
        if spec.id == "members":  # its count is the result itself
            continue
        words = site.count_words(spec.kind, spec.unit)
        assert "{d}" in words and not re.search(r"\{d\}$", words), (spec.id, words)


def test_stars_have_a_text_equivalent() -> None:
    assert "★★★★☆</span> 4 out of 5 stars" in site.stars_html(4)
    assert "★★★½☆</span> 3.5 out of 5 stars" in site.stars_html(3.5)
    assert 'aria-hidden="true"' in site.stars_html(2)
    assert "Not rated" in site.stars_html(pd.NA) and "Not rated" in site.stars_html(float("nan"))


def test_every_rating_says_how_many_measures_it_rests_on(model) -> None:
    # (n_rated, n_measures) and stars of an overall rating and an area rating. The half rule
    # and the minimum of 3 measures for an overall rating say how many more it would need:
    # 3 of 7 -> half of 7 is 3.5, so 4; 1 of 1 -> the minimum, 3; an area, 1 of 3 -> 2.
    cases = {
        ("overall", 4, 7, 3.0): ("Based on 4 measures.", "Se basa en 4 medidas."),
        ("claims", 1, 1, 2.0): ("Based on 1 measure.", "Se basa en 1 medida."),
        ("overall", 1, 1, None): (
            "Only 1 measure got stars, and a rating needs at least 3.",
            "Solo 1 medida recibió estrellas, y una calificación necesita al menos 3.",
        ),
        ("overall", 3, 7, None): (
            "Only 3 measures got stars, and a rating needs at least 4.",
            "Solo 3 medidas recibieron estrellas, y una calificación necesita al menos 4.",
        ),
        ("quality", 1, 3, None): (
            "Only 1 measure got stars, and a rating needs at least 2.",
            "Solo 1 medida recibió estrellas, y una calificación necesita al menos 2.",
        ),
        ("quality", 0, 3, None): ("", ""),
    }
    for (family, n_rated, n_measures, stars), (english, spanish) in cases.items():
        key = ("cp", "X", family)
        one = dataclasses.replace(
            model, stars={key: stars}, rated_counts={key: (n_rated, n_measures)}
        )
        assert views.rating_basis(one, key, "en") == english
        assert views.rating_basis(one, key, "es") == spanish


def test_scorecard_cards_and_areas_say_how_many_measures_they_rest_on(built: Path, model) -> None:
    # the sample's summary (site_fixture.make_summary) rates every family it has measures of
    for entity in model.entities["aco"]:
        page = (built / entity.page.replace(".md", ".html")).read_text(encoding="utf-8")
        n_rated, _ = model.rated_counts[("aco", entity.entity_id, "overall")]
        assert f'<p class="sc-card__basis">Based on {n_rated} measures.</p>' in page
        assert "Stars for this area: " in page and "Based on 1 measure.</p>" in page
        plain = (built / "plain" / "aco" / f"{entity.slug}.html").read_text(encoding="utf-8")
        assert f"Based on {n_rated} measures.</p>" in plain  # after the overall stars
        spanish = (built / "es" / "aco" / f"{entity.slug}.html").read_text(encoding="utf-8")
        assert f"Se basa en {n_rated} medidas.</p>" in spanish


def test_a_profile_says_truly_why_all_its_groups_are_hidden() -> None:
    # ACO01 in the demo: 335 female, 245 male, 3 unknown. The 3 are too few to show, and
    # female and male are hidden too, or 583 - 335 - 245 would give them away: not "every
    # group is too small".
    def rows(*reasons: str) -> list[dict]:
        return [{"suppression_reason": reason} for reason in reasons]

    assert views.why_all_hidden(rows("small_count", "small_denominator")) == "groups_small"
    mixed = rows("complementary", "complementary", "small_count")
    assert views.why_all_hidden(mixed) == "groups_small_and_others"
    assert views.why_all_hidden(rows("complementary", "complementary")) == "groups_protect_others"
    for key in views.HIDDEN_GROUP_TEXTS:
        for lang in i18n.LANGS:
            assert "{groups}" in i18n.UI[lang][key], (key, lang)
    assert "every group is too small" not in i18n.t("en", "groups_small_and_others", groups="x")
    assert "cannot be worked out" in i18n.t("en", "groups_small_and_others", groups="x")


def test_a_change_says_what_it_is_compared_with() -> None:
    assert "▲</span> Better than the year before</span>" in site.trend_html("improved", "year")
    assert "No clear change since the last report" in site.trend_html("no_change", "quarter")
    assert site.trend_html("declined") == site.trend_html("declined", "quarter")
    assert site.trend_html("", "year") == ""


def test_a_result_without_stars_says_why_when_the_rating_knows() -> None:
    chance = site.stars_html(pd.NA, "chance")
    assert chance == (
        '<span class="sc-stars sc-stars--none">Not rated: too few of its members were '
        "counted</span>"
    )
    # a reason shared by every organization of the kind says so, not 'Not rated', which
    # readers take as the organization's own fault
    for note in ("level_chance", "few_entities", "alike"):
        assert site.stars_html(pd.NA, note).count("No stars for anyone this time: ") == 1, note
    assert "too close to tell apart" in site.stars_html(pd.NA, "level_chance")
    assert "too few organizations of its kind had enough data" in site.stars_html(
        pd.NA, "few_entities"
    )
    # stars win over a note; an unknown or missing note says only 'Not rated'
    assert "4 out of 5 stars" in site.stars_html(4, "chance")
    assert site.stars_html(pd.NA, "other") == site.stars_html(pd.NA) == site.stars_html(pd.NA, None)


def test_star_notes_are_short_and_say_whose_count_it_is_in_both_languages() -> None:
    for lang, own, shared in (
        ("en", "Not rated: ", "No stars for anyone this time: "),
        ("es", "Sin estrellas: ", "Nadie recibió estrellas esta vez: "),
    ):
        words = i18n.STAR_NOTE_WORDS[lang]
        assert words["chance"].startswith(own), lang
        assert all(words[n].startswith(shared) for n in ("level_chance", "few_entities", "alike"))
        assert max(len(w) for w in words.values()) <= 90, lang  # fits a table cell


def test_results_too_alike_to_rate_say_so_in_both_languages() -> None:
    assert "most organizations had the same result" in site.stars_html(pd.NA, "alike")
    assert (
        "la mayoría de las organizaciones tuvo el mismo resultado"
        in (i18n.STAR_NOTE_WORDS["es"]["alike"])
    )


def test_methodology_lists_levels_too_alike_to_rate_and_the_weight_of_new_measures(
    tmp_path: Path, sample: site.SiteInput
) -> None:
    # fuh_7 among ACOs: 12 with enough data, all reliable, no cut points: too alike. Among
    # CPs: 2 of 12 reliable: mostly chance. First rated in 2025, so in 2025Q4 it weighs 1.
    unrated = {f"t{k}": float("nan") for k in range(2, 6)}
    common = {"measure_id": "fuh_7", "period_id": "2025Q4", "method": "relative", **unrated}
    common |= {"n_entities": 12, "n_rated": 0, "first_rated": 2025, "guardrail": ""}
    cut_points = pd.DataFrame(
        [
            {**common, "level": "aco", "n_reliable": 12, "median_reliability": 0.9},
            {**common, "level": "cp", "n_reliable": 2, "median_reliability": 0.3},
        ]
    )
    site.render_markdown(site.SiteInput(**{**sample.__dict__, "cut_points": cut_points}), tmp_path)
    text = " ".join((tmp_path / "methodology.md").read_text(encoding="utf-8").split())
    title = next(s for s in sample.specs if s.id == "fuh_7").text("en").title
    alike = text.split("results too alike")[1].split("##")[0]
    assert f"| {title} | ACOs | 12 |" in alike and "Community Partners" not in alike
    chance = text.split("differences mostly chance")[1].split("##")[0]
    assert f"| {title} | Community Partners | 12 | 2 |" in chance and "ACOs" not in chance
    # both tables' counts take in hidden results (they are clustered), and say so
    assert "the counts include results hidden to protect privacy" in chance
    assert "The counts include results hidden to protect privacy" in alike
    assert "| New measure, in its first year of star ratings (of any kind above) | 1 |" in text
    assert "every measure rated is in its first year of star ratings, so all weigh 1" in text
    # with a second measure rated since 2019, the one in its first year is named
    older = cut_points.iloc[:1].assign(measure_id="ed_visits", first_rated=2019, t5=1.0)
    with_older = pd.concat([cut_points, older], ignore_index=True)
    site.render_markdown(site.SiteInput(**{**sample.__dict__, "cut_points": with_older}), tmp_path)
    text = " ".join((tmp_path / "methodology.md").read_text(encoding="utf-8").split())
    assert f"In 2025 Q4, 1 measure is in its first year of star ratings and weighs 1: {title}." in (
        text
    )


def test_methodology_says_the_practice_counts_include_practices_the_edition_withholds(
    tmp_path: Path, sample: site.SiteInput
) -> None:
    # the public edition showed "Rated 63 of 63" practices but published 58: 5 have no page
    points = {"t2": 40.0, "t3": 50.0, "t4": 60.0, "t5": 70.0, "method": "relative"}
    common = {"measure_id": "fuh_7", "period_id": "2025Q4", **points, "guardrail": ""}
    cut_points = pd.DataFrame([{**common, "level": "practice", "n_entities": 63, "n_rated": 63}])
    rules = {"audience": "public", "practices_without_a_page": 5}
    manifest = {**sample.manifest, "audience": "public", "audience_rules": rules}

    def text(**changes: object) -> str:
        given = site.SiteInput(**{**sample.__dict__, "cut_points": cut_points, **changes})
        site.render_markdown(given, tmp_path)
        return " ".join((tmp_path / "methodology.md").read_text(encoding="utf-8").split())

    note = (
        "The counts for practices include the 5 practices with fewer than 100 members that "
        "this edition does not show: their results were used with all the others to set the "
        "cut points."
    )
    published = text(manifest=manifest)
    assert note in published and "| 63 of 63 |" in published
    assert "counts for practices" not in text()  # the internal edition shows every practice
    only_acos = cut_points.assign(level="aco")
    assert "counts for practices" not in text(manifest=manifest, cut_points=only_acos)
    one = {**manifest, "audience_rules": {**rules, "practices_without_a_page": 1}}
    assert "include the 1 practice with fewer than 100 members" in text(manifest=one)
    assert "its results were used" in text(manifest=one)


def test_markdown_escaping_and_slugs() -> None:
    assert site.md_escape("A | B & *C*") == "A &#124; B &amp; &#42;C&#42;"
    assert site.md_escape(site.Markup("<b>ok</b>")) == "<b>ok</b>"
    assert site.slug("ACO 12/3") == "ACO-12-3"
    assert site.slug("index") != "index"
    assert site.period_label("2025Q4") == "2025 Q4" and site.period_label("2025") == "2025"
    assert site.rel("aco/a.md", "measures/m.md") == "../measures/m.md"


def test_reason_texts_fall_back_when_stats_has_none() -> None:
    texts = site.reason_texts()
    assert texts["small_count"] and texts["small_denominator"]
    assert all(isinstance(v, str) and v for v in texts.values())


def test_cut_points_are_published_when_given(tmp_path: Path, sample) -> None:
    cut_points = pd.DataFrame({"measure_id": ["fuh_7"], "level": ["aco"], "t2": [40.0]})
    with_cuts = site.SiteInput(**{**sample.__dict__, "cut_points": cut_points})
    site.render_markdown(with_cuts, tmp_path)
    assert pd.read_csv(tmp_path / "downloads" / "cut_points.csv").equals(cut_points)


def test_rendered_markdown_is_deterministic(tmp_path: Path, sample) -> None:
    first = site.render_markdown(sample, tmp_path / "a")
    site.render_markdown(sample, tmp_path / "b")
    for page in first:
        assert (tmp_path / "a" / page).read_bytes() == (tmp_path / "b" / page).read_bytes()


# A line that Markdown reads as the start of a list item: "2024. The page", "- more", "* more".
LIST_MARKER = re.compile(r"^( *)(\d+\.|[-*+])\s+\S")


# Blocks Markdown does not read, by the line that opens them -> the line that closes them.
NOT_MARKDOWN = {"```": "```", "<!--sc:html-->": "<!--/sc:html-->"}


def markdown_lines(text: str) -> list[str]:
    """Return a page's lines with front matter, code and the HTML between <!--sc:html--> marks
    (site.stash_blocks) blanked: what Markdown parses as Markdown."""
    lines = text.splitlines()
    closing = "---" if lines[:1] == ["---"] else None  # front matter
    out = []
    for number, line in enumerate(lines):
        if closing is None:
            closing = NOT_MARKDOWN.get(line.strip())
            out.append("" if closing else line)
        else:
            out.append("")
            closing = None if line.strip() == closing and number else closing
    return out


def stray_list_markers(text: str) -> list[str]:
    """Return the lines of a Markdown page that start like a list item ("2024. ", "- ", "* ")
    right after a line of text without being an item of a list already open there: a wrapped
    paragraph or item, where Markdown would start a list or a new item, or a list with no
    blank line before it, which Markdown shows as text."""
    bad: list[str] = []
    items: set[int] = set()  # the indents of the list items open at this line
    previous = ""
    for number, line in enumerate(markdown_lines(text), 1):
        marker = LIST_MARKER.match(line)
        if marker:
            indent = len(marker[1])
            nested = bool(items) and indent >= max(items) + 4
            if previous.strip() and indent not in items and not nested:
                bad.append(f"{number}: {line.strip()}")
            items = {i for i in items if i < indent} | {indent}
        elif line.strip() and not line.startswith(" "):
            items = set()  # text at the margin ends the lists
        previous = line
    return bad


def test_stray_list_markers_are_found_in_paragraphs_and_items() -> None:
    page = (
        "---\ntitle: x\n---\n\nText that ends in\n2024. More text.\n\n"
        "- An item wrapped before\n  2024. The page then says\n- a second item\n"
        "  - two spaces: not nested\n- third\n    - nested\n\n"
        "Text\n* starred\n\n1. one\n2. two\n\n<!--sc:html-->\n<p>a\n- b</p>\n"
        "<!--/sc:html-->\n\n```\ncode\n- here\n```\n"
    )
    assert stray_list_markers(page) == [
        "6: 2024. More text.",
        "9: 2024. The page then says",
        "11: - two spaces: not nested",
        "16: * starred",
    ]


def test_no_line_of_a_paragraph_starts_like_a_list_item(tmp_path: Path, sample) -> None:
    # methodology.md once wrapped "…January to December\n  2024. The page then says…", which
    # Markdown showed as "…January to December" and a stray bullet "The page then says…"; and
    # its list of the reasons a result is hidden, with no blank line before it, read as text
    public = {**sample.manifest, "audience": "public"}
    editions = {
        "partners": sample,
        "public": site.SiteInput(**{**sample.__dict__, "manifest": public}),
        "tiered": _tiered_input(sample),
    }
    for name, edition in editions.items():
        pages = site.render_markdown(edition, tmp_path / name)
        found = {
            str(page): stray_list_markers((tmp_path / name / page).read_text(encoding="utf-8"))
            for page in pages
            if str(page).endswith(".md")
        }
        assert {page: lines for page, lines in found.items() if lines} == {}, name
        assert {"methodology.md", "plain/index.md"} <= set(found), name


def test_pages_rendered_by_forked_processes_are_the_same(
    tmp_path: Path, sample, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    first = site.render_markdown(sample, tmp_path / "a")
    monkeypatch.setenv(parallel.WORKERS_ENV, "2")
    assert parallel.workers(large=False) == 2
    assert site.render_markdown(sample, tmp_path / "b") == first
    one, two = (
        {p.relative_to(root): p for p in root.rglob("*") if p.is_file()}
        for root in (tmp_path / "a", tmp_path / "b")
    )
    assert sorted(one) == sorted(two)
    for name, path in one.items():
        if name.suffix != ".xlsx":  # the workbook carries the time it was written
            assert path.read_bytes() == two[name].read_bytes(), name


def test_pages_filled_from_shells_are_the_pages_the_theme_renders(
    tmp_path: Path, sample, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entity and measure pages are filled from page shells (scorecard/shell.py); with shells
    off every page is rendered by the theme: the two sites are the same bytes, also with names
    that HTML, Markdown or the title's striptags change, and with the downloads and the
    Spanish build made in a forked process."""
    orgs = sample.organizations.copy()
    odd = {"prac2": "Riverside <Kids> \"R\" & 'Co' *1* [x]", "cp2": "Elm &amp; Oak_CP #2"}
    names = zip(orgs["org_id"], orgs["org_name"], strict=True)
    orgs["org_name"] = [odd.get(org_id, name) for org_id, name in names]
    odd_input = site.SiteInput(**{**sample.__dict__, "organizations": orgs})
    monkeypatch.setenv(shell.SHELLS_ENV, "0")
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    theme = site.build_site(odd_input, tmp_path / "theme", strict=True)
    assert shell._STATE.filled == 0
    monkeypatch.delenv(shell.SHELLS_ENV)
    monkeypatch.setenv(parallel.WORKERS_ENV, "2")
    filled = site.build_site(odd_input, tmp_path / "filled", strict=True)
    assert shell._STATE.filled >= 4  # the other entities of each level and the measures
    one, two = (
        {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}
        for root in (theme, filled)
    )
    assert sorted(one) == sorted(two)
    assert [name for name in one if one[name] != two[name] and name.suffix != ".xlsx"] == []
    assert "Riverside &lt;Kids&gt;" in (filled / "practice" / "prac2.html").read_text()


def _fail(message: str) -> None:
    raise ValueError(message)


@pytest.mark.parametrize("fork", [False, True])
def test_a_call_made_beside_the_build_returns_or_raises_in_the_waiting_process(
    fork: bool,
) -> None:
    assert parallel.Later(sorted, ([3, 1, 2],), fork).wait() == [1, 2, 3]
    with pytest.raises(ValueError, match="no downloads"):
        parallel.Later(_fail, ("no downloads",), fork).wait()


def _write_share(index: int) -> None:
    folder = Path(os.environ["SHARES_DIR"])
    if index == 2 and folder.joinpath("fail").exists():
        raise ValueError("share 2 failed")
    if index == 1 and folder.joinpath("slow").exists():
        time.sleep(60)
    (folder / f"share{index}").write_text(str(os.getpid()), encoding="ascii")


def test_forked_shares_all_finish_or_the_first_error_is_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHARES_DIR", str(tmp_path))
    with parallel.waiting_for(shares := parallel.fork_each(_write_share, 3)):
        pass
    pids = {tmp_path.joinpath(f"share{i}").read_text() for i in range(3)}
    assert len(pids) == 3 and str(os.getpid()) not in pids  # three other processes
    assert all(share._process.exitcode == 0 for share in shares)
    tmp_path.joinpath("fail").touch()
    failing = parallel.fork_each(_write_share, 3)
    with pytest.raises(ValueError, match="share 2 failed"), parallel.waiting_for(failing):
        pass
    slow_round = tmp_path / "slow_round"  # a folder no earlier share writes to
    slow_round.mkdir()
    slow_round.joinpath("slow").touch()  # the body fails: the slow share is stopped, not awaited
    monkeypatch.setenv("SHARES_DIR", str(slow_round))
    ignored = signal.signal(signal.SIGTERM, signal.SIG_IGN)  # as CI runners may leave it
    try:
        shares = parallel.fork_each(_write_share, 2)
    finally:
        signal.signal(signal.SIGTERM, ignored)
    with pytest.raises(KeyError), parallel.waiting_for(shares):
        raise KeyError("the body failed")
    assert not any(share._process.is_alive() for share in shares)  # the 60 s sleep cut short
    assert not slow_round.joinpath("share1").exists()  # the slow share never got to write
    assert not slow_round.joinpath("share1").exists()  # stopped while it slept


# ------------------------------------------------------------------ in a real browser


@pytest.fixture(scope="module")
def browser_page():
    """Yield a headless Chromium page; fail (never skip) when Playwright or Chromium is missing."""
    from playwright import sync_api

    assert shutil.which("chromium"), "Debian's chromium is needed: apt-get install -y chromium"
    with chromium_page(sync_api) as page:
        yield page


@pytest.fixture(scope="module")
def served(built: Path):
    """Yield the URL of the built site served on loopback, under a sub-path."""
    with serve_folder(built.parent) as url:
        yield f"{url}/{built.name}"


@pytest.mark.browser
def test_charts_draw_in_a_browser(served: str, browser_page) -> None:
    errors: list[str] = []
    browser_page.on("pageerror", lambda exc: errors.append(str(exc)))
    browser_page.goto(f"{served}/aco/aco1.html")
    charts_on_page = browser_page.locator("div.sc-chart").count()
    assert charts_on_page >= 2
    for index in range(charts_on_page):
        browser_page.locator("div.sc-chart").nth(index).scroll_into_view_if_needed()
    browser_page.wait_for_function(
        f"document.querySelectorAll('div.sc-chart[data-drawn]').length === {charts_on_page}",
        timeout=20_000,
    )
    assert browser_page.locator("div.sc-chart svg.main-svg").count() >= charts_on_page
    assert not errors


def test_the_middle_half_is_described_only_over_enough_results(sample) -> None:
    spec = next(s for s in sample.specs if s.kind == "proportion")
    # under stats.MIN_PEERS results there is no benchmark (test_stats), so no words
    assert site._benchmark_text(None, spec, site.Peers("cp")) == ""
    bench = {"p25": 38.0, "p50": 41.0, "p75": 45.5, "n_entities": 5}
    assert site._benchmark_text(bench, spec, site.Peers("cp")) == (
        "Half of Community Partners score between 38.0% and 45.5%; the middle result is 41.0%."
    )


# ------------------------------------------------------------------ reward and guardrails


def _rewarded_input(sample: site.SiteInput) -> site.SiteInput:
    """Return the sample with aco1's overall stars including +0.2 (reward factor), the others
    none, and cut points of which one is held back by the guardrails and one is new."""
    summary = sample.summary.copy()
    overall = summary["family"] == "overall"
    summary["reward"] = overall.map({True: 0.0, False: float("nan")})
    summary.loc[overall & (summary["entity_id"] == "aco1"), "reward"] = 0.2
    points = {"t2": 40.0, "t3": 50.0, "t4": 60.0, "t5": 70.0}
    cut_points = pd.DataFrame(
        [
            {"measure_id": "fuh_7", "period_id": "2025Q4", "level": "aco", **points}
            | {"method": "relative", "first_rated": 2019, "guardrail": "capped"},
            {"measure_id": "fuh_7", "period_id": "2025Q4", "level": "cp", **points}
            | {"method": "relative", "first_rated": 2024, "guardrail": "new_measure"},
        ]
    )
    manifest = {**sample.manifest, "star_reward": "cms"}
    return site.SiteInput(
        **{**sample.__dict__, "summary": summary, "cut_points": cut_points, "manifest": manifest}
    )


def test_the_reward_and_the_guardrails_are_said_in_words(
    tmp_path: Path, sample: site.SiteInput
) -> None:
    built = site.build_site(_rewarded_input(sample), tmp_path, strict=True)
    aco1 = (built / "aco" / "aco1.html").read_text(encoding="utf-8")
    assert "includes +0.2 stars for consistently high ratings" in aco1
    assert 'href="../methodology.html#reward"' in aco1
    aco2 = (built / "aco" / "aco2.html").read_text(encoding="utf-8")
    assert "consistently high" not in aco2  # a reward of 0 is not mentioned
    assert "0.2 extra stars" in (built / "plain" / "aco" / "aco1.html").read_text(encoding="utf-8")
    assert "0.2 estrellas extra" in (built / "es" / "aco" / "aco1.html").read_text(encoding="utf-8")
    summary = pd.read_csv(built / "downloads" / "summary_stars.csv", keep_default_na=False)
    overall = summary[summary["family"] == "overall"].set_index("entity_id")
    assert overall.loc["aco1", "reward"] == "0.2"
    assert overall.loc["aco1", "reward_note"] == "includes +0.2 for consistently high ratings"
    assert overall.loc["aco2", "reward"] == "" and overall.loc["aco2", "reward_note"] == ""
    methodology = (built / "methodology.html").read_text(encoding="utf-8")
    assert 'id="reward"' in methodology and "+0.4" in methodology
    assert "Held back: would have moved more than the limit" in methodology
    assert "No limit: new measure (rated since 2024)" in methodology
    assert "1 measure had no limit" in " ".join(methodology.split())


def test_without_the_reward_the_methodology_says_none_is_added(built: Path) -> None:
    text = " ".join((built / "methodology.html").read_text(encoding="utf-8").split())
    assert "This edition does not" in text
    assert "consistently high ratings" not in (built / "aco" / "aco1.html").read_text("utf-8")


def test_measure_page_names_every_group_the_measure_leaves_out(
    tmp_path: Path, sample: site.SiteInput
) -> None:
    # before, only hospice was named: the frailty exclusions (declared on seven measures) were
    # left off the page although they change who is counted
    exclusions = (
        "hospice",
        "palliative_care",
        "frailty_advanced_illness",
        "frailty_81",
        "long_term_institutional",
    )
    specs = [
        s.model_copy(update={"exclusions": exclusions}) if s.id == "fuh_7" else s
        for s in sample.specs
    ]
    site.render_markdown(site.SiteInput(**{**sample.__dict__, "specs": specs}), tmp_path)
    page = (tmp_path / "measures" / "fuh_7.md").read_text(encoding="utf-8")
    # all in one cell, as a list: a row per group left the rows after the first without a
    # label (an empty row header for a screen reader)
    rows = [line for line in page.splitlines() if "members who" in line]
    assert len(rows) == 1 and rows[0].startswith('| Also leaves out | <ul class="sc-leaves-out">')
    items = re.findall(r"<li>(.*?)</li>", rows[0])
    assert items[0].startswith("members who had hospice care")
    assert items[1].startswith("members who had palliative care (care to ease the symptoms")
    assert items[2] == (
        "members 66 or older who are frail and also have a serious illness that is getting "
        "worse, such as dementia or advanced heart failure"
    )
    assert items[3] == "members 81 or older who are frail"
    assert items[4].startswith("members 66 or older who live long-term in a nursing home")


# ------------------------------------------------------------------ CPs compared with their kind


def _typed_input(sample: site.SiteInput) -> site.SiteInput:
    """Return the sample with its CPs compared within their types (cp1 BH, cp2 LTSS), as
    build.score marks them (stats.PEER_GROUP), and cp_engagement's CP bands: the BH CPs' middle
    half 11.0% to 33.0%, all CPs' 44.0% to 66.0% (the sample's own bands are all CPs')."""
    results = sample.results.copy()
    headline = (results["level"] == "cp") & (results["stratum"] == "all")
    results["peer_group"] = results["entity_id"].map({"cp1": "BH", "cp2": "LTSS"}).where(headline)
    results["peer_group"] = results["peer_group"].fillna("")
    cp1 = headline & (results["entity_id"] == "cp1") & (results["measure_id"] == "cp_engagement")
    results.loc[cp1 & (results["period_id"] == "2025Q4"), "peer_label"] = "worse"
    bench = sample.benchmarks.assign(peer_group="")
    band = {"measure_id": "cp_engagement", "level": "cp", "n_entities": 5}
    quartiles = {"p10": 5.0, "p50": 22.0, "p90": 40.0}
    bench = bench[~((bench["measure_id"] == "cp_engagement") & (bench["level"] == "cp"))]
    rows = [
        {**band, **quartiles, "period_id": p, "peer_group": "BH", "p25": 11.0, "p75": 33.0}
        for p in ("2025Q3", "2025Q4")
    ]
    rows += [
        {**band, **quartiles, "period_id": p, "peer_group": "", "p25": 44.0, "p75": 66.0}
        for p in ("2025Q3", "2025Q4")
    ]
    bench = pd.concat([bench, pd.DataFrame(rows)], ignore_index=True)
    types = sample.summary["entity_id"].map({"cp1": "BH", "cp2": "LTSS"})
    summary = sample.summary.assign(peer_group=types.where(sample.summary["level"] == "cp"))
    summary["peer_group"] = summary["peer_group"].fillna("")
    return dataclasses.replace(sample, results=results, benchmarks=bench, summary=summary)


@pytest.fixture(scope="module")
def typed_pages(tmp_path_factory: pytest.TempPathFactory, sample: site.SiteInput) -> Path:
    docs = tmp_path_factory.mktemp("typed")
    site.render_markdown(_typed_input(sample), docs)
    return docs


def test_a_cp_page_compares_it_with_the_cps_of_its_own_kind(typed_pages: Path) -> None:
    page = " ".join((typed_pages / "cp" / "cp1.md").read_text(encoding="utf-8").split())
    assert "compare this Community Partner with other Behavioral Health Community Partners" in page
    assert "compared only with the other Behavioral Health Community Partners" in page
    header = "Compared with all members of Behavioral Health Community Partners"
    assert f'<th scope="col">{header}</th>' in page
    # the BH band (11.0% to 33.0%), not that of all CPs (44.0% to 66.0%)
    assert "the middle half of Behavioral Health Community Partners scored from 11.0% to 33.0%" in (
        page
    )
    assert "44.0% to 66.0%" not in page
    assert "See all Community Partners" in page  # the index still lists every CP
    # an ACO's page is as before
    aco = " ".join((typed_pages / "aco" / "aco1.md").read_text(encoding="utf-8").split())
    assert '<th scope="col">Compared with the whole program</th>' in aco
    assert "compared only with" not in aco


def test_the_cp_index_shows_each_kind_of_cp_in_its_own_table(typed_pages: Path) -> None:
    # the index once listed BH and LTSS CPs in one sortable table of stars, as if comparable
    page = (typed_pages / "cp" / "index.md").read_text(encoding="utf-8")
    bh = page.index("## Behavioral Health Community Partners")
    ltss = page.index("## Long-Term Services and Supports Community Partners")
    assert bh < page.index("Bridge Behavioral Health CP") < ltss
    assert ltss < page.index("Elm Street LTSS CP")
    assert page.count("<table data-sc-sortable") == 2  # sorted within its type alone
    text = " ".join(page.split())
    assert "stars in one table cannot be compared with stars in another" in text
    assert "compared only with the other Behavioral Health Community Partners" in text
    assert '<th scope="col">Type</th>' not in page  # the heading says it
    # the ACOs, of one kind, keep one table without headings
    aco = (typed_pages / "aco" / "index.md").read_text(encoding="utf-8")
    assert aco.count("<table data-sc-sortable") == 1 and "\n## " not in aco


def test_a_measure_page_shows_each_kind_of_cp_apart(typed_pages: Path) -> None:
    page = (typed_pages / "measures" / "cp_engagement.md").read_text(encoding="utf-8")
    assert "## Behavioral Health Community Partners" in page
    assert "## Long-Term Services and Supports Community Partners" in page
    assert "## Community Partners" not in page  # no pooled section: every CP has a type
    text = " ".join(page.split())
    assert "Half of Behavioral Health Community Partners score between 11.0% and 33.0%" in text
    # two CPs of LTSS: no band of their own (fewer than stats.MIN_PEERS)
    assert "Half of Long-Term Services and Supports Community Partners" not in text


def test_plain_pages_say_a_cp_is_compared_with_its_own_kind(typed_pages: Path) -> None:
    words = {
        "en": "other Community Partners that help members with mental health or drug and "
        "alcohol use",
        "es": "otros Community Partners que ayudan a miembros con problemas de salud mental o "
        "de consumo de alcohol o drogas",
    }
    compare = {
        "en": "Compared with all members of Community Partners of the same kind",
        "es": "Comparado con todos los miembros de los Community Partners del mismo tipo",
    }
    for lang in ("en", "es"):
        entity = site.Entity("cp", "cp1", "Bridge", "cp1", "BH", "BH")
        page = (typed_pages / views.plain_page(entity, lang)).read_text(encoding="utf-8")
        text = " ".join(page.split())
        assert words[lang] in text, lang
        assert compare[lang] in text, lang


def _with_type_rows(typed: site.SiteInput) -> site.SiteInput:
    """Return the typed sample with the program's BH row of cp_engagement (stratum cp_type),
    which its BH CPs' peer labels are judged against: 200 of 400 members in 2025Q3, 300 of
    400 in 2025Q4."""
    results = typed.results
    program = results[
        (results["level"] == "program")
        & (results["measure_id"] == "cp_engagement")
        & (results["stratum"] == "all")
        & results["period_id"].isin(["2025Q3", "2025Q4"])
    ]
    counts = program["period_id"].map({"2025Q3": 200.0, "2025Q4": 300.0})
    rows = program.assign(
        stratum="cp_type", stratum_value="BH", numerator=counts, denominator=400.0
    )
    rows["value"] = rows["numerator"] / rows["denominator"] * rows["multiplier"]
    together = pd.concat([results, rows], ignore_index=True)
    return dataclasses.replace(typed, results=together)


def _line_of(chart: site.Chart) -> dict:
    return next(t for t in json.loads(chart.json)["data"] if t.get("meta") == "program")


def test_a_typed_cps_charts_draw_the_result_its_label_is_judged_against(
    sample: site.SiteInput,
) -> None:
    model = site.gather(_with_type_rows(_typed_input(sample)))
    spec = model.specs["cp_engagement"]
    bh = "All members of Behavioral Health Community Partners"
    whole = model.current("program", "ALL", spec.id)["value"]
    assert round(whole, 1) != 75.0  # 300 of 400 BH members: the BH CPs' reference
    # the CP's trend chart: its type's line, named and in its table and text summary
    trend = site.trend_chart(model, spec, model.entity("cp", "cp1"))
    line = _line_of(trend)
    assert line["name"] == bh
    assert line["y"][-2:] == [50.0, 75.0]
    assert bh in trend.headers
    assert "The result for all members of Behavioral Health Community Partners in" in (
        trend.summary
    )
    assert "was 75.0%" in trend.summary
    # the ranked chart of the BH CPs on the measure page
    rows = [model.current("cp", "cp1", spec.id)]
    ranked = site.ranked_chart(model, spec, site.Peers("cp", "BH"), rows)
    layout = json.loads(ranked.json)["layout"]
    assert [s["x0"] for s in layout["shapes"] if s["type"] == "line"] == [75.0]
    # the labels wrap to fit a phone's narrow chart
    assert bh in [a["text"].replace("<br>", " ") for a in layout["annotations"]]
    # CPs of unknown type are still set against the whole program
    pooled = site.ranked_chart(model, spec, site.Peers("cp"), rows)
    layout = json.loads(pooled.json)["layout"]
    assert [s["x0"] for s in layout["shapes"] if s["type"] == "line"] == [round(whole, 6)]
    assert "Whole program" in [a["text"] for a in layout["annotations"]]


def test_downloads_say_which_peer_group_a_result_was_compared_in(typed_pages: Path) -> None:
    results = pd.read_csv(typed_pages / "downloads" / "results.csv", keep_default_na=False)
    cps = results[(results["level"] == "cp") & (results["stratum"] == "all")]
    assert set(zip(cps["entity_id"], cps["peer_group"], strict=True)) == {
        ("cp1", "BH"),
        ("cp2", "LTSS"),
    }
    assert set(results.loc[results["level"] == "aco", "peer_group"]) == {""}
    meanings = pd.read_csv(typed_pages / "downloads" / "results_columns.csv")
    assert "peer_group" in set(meanings.iloc[:, 0])
    summary = pd.read_csv(typed_pages / "downloads" / "summary_stars.csv", keep_default_na=False)
    cp_summary = summary[summary["level"] == "cp"]
    assert set(zip(cp_summary["entity_id"], cp_summary["peer_group"], strict=True)) == {
        ("cp1", "BH"),
        ("cp2", "LTSS"),
    }


# ------------------------------------------------------------ definitions changed


def test_a_definition_changed_since_the_last_edition_is_said_on_its_pages(
    tmp_path: Path, sample: site.SiteInput, built: Path
) -> None:
    # before, a new edition recomputed every earlier quarter of a measure whose spec version
    # changed, and no page said so: the trend simply showed other numbers than the 2025 Q3
    # edition's for the same quarters
    method = (
        "Counts follow-up visits (e.g. a visit on the same day counts). Changed in v2: the "
        "list of visits (visits.csv) was longer. Changed in v3: the same day no longer counts "
        "(versions before 3 counted it). Other text."
    )
    specs = [
        s.model_copy(update={"version": 3, "method": method}) if s.id == "fuh_7" else s
        for s in sample.specs
    ]
    change = {"measure_id": "fuh_7", "from": 2, "to": 3}
    manifest = {
        **sample.manifest,
        "previous_edition": "2025Q3",
        "changed_since_previous": [change],
    }
    given = dataclasses.replace(sample, specs=specs, manifest=manifest)
    out = site.build_site(given, tmp_path, strict=True)

    def text(page: str) -> str:
        return " ".join(html.unescape((out / page).read_text(encoding="utf-8")).split())

    measure = text("measures/fuh_7.html")
    assert (
        "The way this is measured changed in this edition (version 2 to 3): every quarter shown "
        "here was worked out again the new way, so the numbers differ from the 2025 Q3 "
        "edition's." in measure
    )
    assert 'href="../../2025Q3/measures/fuh_7.html"' in measure
    assert "Changed in v3: the same day no longer counts (versions before 3 counted it)." in (
        measure
    )
    assert "Changed in v2" not in measure.split("What changed:")[1].split("</ul>")[0]
    assert "Changed in this edition" not in text("measures/ed_visits.html")
    methodology = text("methodology.html")
    assert "What changed since the last edition" in methodology
    assert "changed since the 2025 Q3 edition" in methodology
    assert "2 to 3" in methodology and "the same day no longer counts" in methodology
    provenance = text("provenance.html")
    assert "What changed since the last edition" in provenance
    assert "version 2 to 3" in provenance
    plain = [text(f"plain/{level}/{e.slug}.html") for level, e in _entities_of(given, "fuh_7")]
    assert plain and all(
        "The way this is measured changed in this edition." in p
        and "the edition for July to September 2025" in p
        for p in plain
    )
    assert any("La forma de medir esto cambió en esta edición." in text(p) for p in _es(out))
    # a first edition (the sample: nothing to compare with) says nothing of the kind
    first = " ".join((built / "measures" / "fuh_7.html").read_text(encoding="utf-8").split())
    assert "Changed in this edition" not in first
    assert "What changed since the last edition" not in (built / "methodology.html").read_text(
        encoding="utf-8"
    )


# The last edition's figure (61.234 of a proportion) and whether it may be quoted now.
LAST_EDITION_CASES = [
    (150, 245, False, False, True),  # 150 of 245 then: quoted
    (150, 245, True, False, False),  # hidden in that edition: not quoted now
    (150, 155, False, False, False),  # 5 without: a count of 1 to 10, hidden
    (150, 155, False, True, True),  # the internal edition shows small counts
]


def _render_changed_fuh_7(
    sample: site.SiteInput, out: Path, last: dict[str, list], small_counts: bool
) -> None:
    """Render the sample site with fuh_7's definition changed (v2 -> v3) since the 2025 Q3
    edition, whose fuh_7 results were `last` (columns -> values)."""
    change = {"measure_id": "fuh_7", "from": 2, "to": 3}
    manifest = {**sample.manifest, "previous_edition": "2025Q3", "changed_since_previous": [change]}
    given = dataclasses.replace(
        sample, manifest=manifest, last_edition=pd.DataFrame(last), small_counts=small_counts
    )
    site.render_markdown(given, out)


@pytest.mark.parametrize(
    "numerator, denominator, suppressed, small_counts, shown", LAST_EDITION_CASES
)
def test_a_changed_measure_quotes_the_last_editions_number_when_it_may_be_shown(
    tmp_path: Path,
    sample: site.SiteInput,
    numerator: int,
    denominator: int,
    suppressed: bool,
    small_counts: bool,
    shown: bool,
) -> None:
    # before, the note said the numbers differ from the 2025 Q3 edition's but not what that
    # edition showed; now the program's number then (61.234 shown as 61.2%) is beside it,
    # under the same privacy rules as any number of this edition
    last = {
        "measure_id": ["fuh_7"],
        "kind": ["proportion"],
        "value": [61.234],
        "numerator": [numerator],
        "denominator": [denominator],
        "suppressed": [suppressed],
    }
    _render_changed_fuh_7(sample, tmp_path, last, small_counts)
    page = " ".join((tmp_path / "measures" / "fuh_7.md").read_text(encoding="utf-8").split())
    quoted = (
        "<strong>Last edition (old definition):</strong> 61.2% for all members, in the 2025 Q3 "
        "edition."
    )
    assert "Changed in this edition." in page
    assert (quoted in page) == shown
    assert ("Last edition (old definition)" in page) == shown


@pytest.mark.parametrize(
    "numerator, denominator, suppressed, small_counts, shown", LAST_EDITION_CASES
)
def test_an_organisations_pages_say_a_measure_changed_and_quote_its_own_last_figure(
    tmp_path: Path,
    sample: site.SiteInput,
    numerator: int,
    denominator: int,
    suppressed: bool,
    small_counts: bool,
    shown: bool,
) -> None:
    # before, only the measure page said a definition changed: an ACO whose number jumped
    # because the rule changed read nothing of it on its own page, nor its figure then
    (level, entity), *_ = _entities_of(sample, "fuh_7")
    last = {
        "measure_id": ["fuh_7", "fuh_7"],
        "level": ["program", level],
        "entity_id": ["ALL", entity.entity_id],
        "kind": ["proportion"] * 2,
        "value": [70.0, 61.234],
        "numerator": [900, numerator],
        "denominator": [1000, denominator],
        "suppressed": [False, suppressed],
    }
    _render_changed_fuh_7(sample, tmp_path, last, small_counts)

    def read(page: str) -> str:
        return " ".join(html.unescape((tmp_path / page).read_text(encoding="utf-8")).split())

    full = read(entity.page)
    title = next(s for s in sample.specs if s.id == "fuh_7").text("en").title
    assert f"{title}</a>: measured a new way.</strong>" in full
    quoted = "last edition's figure under the old rule (2025 Q3): 61.2%."
    assert (quoted in full) == shown
    assert ("can differ from the 2025 Q3 edition's" in full) == (not shown)
    assert "70.0%" not in full.split("measured a new way")[1]  # its own, not the program's
    plain = read(f"plain/{level}/{entity.slug}.md")
    assert "The way this is measured changed in this edition." in plain
    assert ("Last edition's figure, under the old rule: 61.2%" in plain) == shown
    spanish = read(f"es/{level}/{entity.slug}.md")
    assert "La forma de medir esto cambió en esta edición." in spanish
    assert ("La cifra de la edición anterior, con la regla anterior: 61.2%" in spanish) == shown
    # another organisation, with no figure then, is told only that the rule changed
    other = next(e for lv, e in _entities_of(sample, "fuh_7") if e != entity)
    page = read(other.page)
    assert "measured a new way" in page and "can differ from the 2025 Q3 edition's" in page
    assert "old rule" not in page and "old rule" not in read(f"plain/{other.level}/{other.slug}.md")


def _entities_of(given: site.SiteInput, measure_id: str) -> list[tuple[str, site.Entity]]:
    """Return (level, entity) of the entities with a shown current result of the measure."""
    model = site.gather(given)
    return [
        (level, e)
        for level in ("aco", "cp")
        for e in model.entities[level]
        if (r := model.current(level, e.entity_id, measure_id)) is not None
        and not bool(r["suppressed"])
    ]


def _es(out: Path) -> list[str]:
    """Return the Spanish plain pages of the built site (relative paths)."""
    return [p.relative_to(out).as_posix() for p in sorted((out / "es").glob("*/*.html"))]


def test_peer_bands_download_has_the_bands_pages_show_and_no_other(typed_pages: Path) -> None:
    """The BH CPs' band of cp_engagement is on cp1's page and the measure page: it is in
    peer_bands.csv, rounded as shown; the band of all CPs (44.0% to 66.0%) is on no page (every
    CP has a type), so it is not in the download either."""
    path = typed_pages / "downloads" / "peer_bands.csv"
    bands = pd.read_csv(path, dtype=str, keep_default_na=False)
    cps = bands[bands["level"] == "cp"]
    assert cps[["measure_id", "period_id", "peer_group", "n_organizations"]].values.tolist() == [
        ["cp_engagement", "2025Q3", "BH", "5"],
        ["cp_engagement", "2025Q4", "BH", "5"],
    ]
    assert cps[["low", "middle", "high", "unit"]].values.tolist() == [["11", "22", "33", "%"]] * 2
    assert not bands[["low", "middle", "high"]].isin(["44", "66"]).any().any()
    guide = pd.read_csv(typed_pages / "downloads" / "results_columns.csv")
    assert {"n_organizations", "low", "middle", "high"} <= set(guide["column"])
    assert "downloads/peer_bands.csv" in (typed_pages / "provenance.md").read_text("utf-8")


def test_downloads_say_each_results_window_and_measure_version(built: Path, model) -> None:
    # results.csv had neither the months a denominator counts nor the measure's version
    csv = pd.read_csv(built / "downloads" / "results.csv", dtype=str, keep_default_na=False)
    for column in ("measure_version", "window_start", "window_end"):
        assert column in csv.columns
    months = {"year": 12, "quarter": 3}
    for measure_id, rows in csv.groupby("measure_id"):
        spec = model.specs[measure_id]
        assert set(rows["measure_version"]) == {str(spec.version)}
        for period_id, start, end in rows[["period_id", "window_start", "window_end"]].values:
            last = pd.Period(period_id, freq="Q").end_time.normalize()
            first = last + pd.Timedelta(days=1) - pd.DateOffset(months=months[spec.window])
            assert (start, end) == (f"{first:%Y-%m-%d}", f"{last:%Y-%m-%d}"), measure_id
    meanings = pd.read_csv(built / "downloads" / "results_columns.csv")
    described = set(meanings["column"][meanings["meaning"].str.len() > 20])
    assert {"measure_version", "window_start", "window_end"} <= described


def test_measure_page_lists_the_measures_own_exclusions_after_the_shared_ones(
    tmp_path: Path, sample: site.SiteInput
) -> None:
    # a measure's own rules (pregnancy, kidney failure for blood pressure) were left off
    own = ("members who were pregnant in the window", "members with kidney failure")
    for shared in (("hospice",), ()):
        specs = [
            s.model_copy(update={"exclusions": shared, "leaves_out": own}) if s.id == "fuh_7" else s
            for s in sample.specs
        ]
        site.render_markdown(site.SiteInput(**{**sample.__dict__, "specs": specs}), tmp_path)
        page = (tmp_path / "measures" / "fuh_7.md").read_text(encoding="utf-8")
        # one row, the groups a list in its cell (each group its own row left the later rows
        # with an empty row header); the measure's own rules come after the shared ones
        row = next(line for line in page.splitlines() if line.startswith("| Also leaves out |"))
        items = re.findall(r"<li>(.*?)</li>", row)
        assert items[-2:] == list(own)
        assert len(items) == len(shared) + 2
        assert page.count("| Also leaves out |") == 1
        assert "|  |" not in page


def test_every_row_of_a_measure_pages_definition_table_has_a_label(
    tmp_path: Path, sample: site.SiteInput
) -> None:
    # rows after the first "Also leaves out" had an empty first cell, which table_headers made
    # an empty <th scope="row">: those rows had no label for a screen reader
    own = ("members who were pregnant in the window", "members with kidney failure")
    specs = [
        s.model_copy(update={"exclusions": ("hospice",), "leaves_out": own})
        if s.id == "fuh_7"
        else s
        for s in sample.specs
    ]
    site.render_markdown(site.SiteInput(**{**sample.__dict__, "specs": specs}), tmp_path)
    page = (tmp_path / "measures" / "fuh_7.md").read_text(encoding="utf-8")
    page_html = site.table_headers(markdown.markdown(page, extensions=["tables"]))
    assert '<th scope="row"></th>' not in page_html
    headers = re.findall(r'<th scope="row">(.*?)</th>', page_html)
    assert headers.count("Also leaves out") == 1
    assert "<li>members with kidney failure</li>" in page_html


# ------------------------------------------------------------------ accessibility review


def contrast(colour: str, background: str) -> float:
    """Return the WCAG contrast ratio of two #rrggbb colours."""

    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted([luminance(colour), luminance(background)], reverse=True)
    return (high + 0.05) / (low + 0.05)


DARK_PAGE = "#1e2029"  # mkdocs-material's slate background, hsl(232, 15%, 14%)


def test_chart_lines_and_band_edges_stand_out_at_3_to_1_in_both_themes() -> None:
    """WCAG 1.4.11: the program's line was the palette's orange (2.25:1 on white) and the
    peers' band a see-through sky with no edge (1.38:1)."""
    assert contrast(charts.PROGRAM_COLOUR, "#ffffff") >= 3
    dark_program = charts.DARK_COLOURS.get(charts.PROGRAM_COLOUR, charts.PROGRAM_COLOUR)
    assert contrast(dark_program, DARK_PAGE) >= 3
    # the two lines a reader follows like text reach 4.5:1 on the dark theme too (the
    # organisation's blue was 3.1:1 there)
    for colour in (charts.ENTITY_COLOUR, charts.PROGRAM_COLOUR):
        assert contrast(charts.DARK_COLOURS.get(colour, colour), DARK_PAGE) >= 4.5, colour
    edge = charts.BAND_LINE
    assert edge["width"] >= 1
    assert contrast(edge["color"], "#ffffff") >= 3 and contrast(edge["color"], DARK_PAGE) >= 3
    figure = charts.trend_figure(
        ["2025 Q1", "2025 Q2"],
        [1.0, 2.0],
        [1.5, 2.5],
        entity_name="X",
        unit="%",
        decimals=1,
        band=([1.0, 1.2], [2.0, 2.2]),
    )
    program = figure["data"][1]
    assert program["line"]["color"] == program["marker"]["color"] == charts.PROGRAM_COLOUR
    assert all(s["line"] == edge for s in figure["layout"]["shapes"])
    ranked = charts.ranked_figure(
        ["a", "b"], [1.0, 2.0], unit="%", decimals=1, higher_is_better=True, band=(1.0, 2.0)
    )
    assert ranked["layout"]["shapes"][0]["line"] == edge
    script = (ROOT / "site_templates" / "static" / "charts.js").read_text(encoding="utf-8")
    dark = json.loads(re.search(r"var DARK_COLOURS = (\{.*\});", script)[1])  # type: ignore[index]
    assert dark == charts.DARK_COLOURS


LONG = "Commonwealth Community Health Partnership of the Berkshires ACO"


def test_ranked_chart_leaves_a_phone_room_to_plot() -> None:
    """Long names took 279 of a phone's 343 px; labels near the right end ran off the screen
    and crowded ticks turned on their side."""
    names = [LONG, "Harbor Health ACO", LONG.replace("Berkshires", "Cape")]
    figure = charts.ranked_figure(
        names,
        [80.0, 20.0, 60.0],
        unit="% of visits",
        decimals=1,
        higher_is_better=True,
        lower=[70.0, 10.0, 50.0],
        upper=[90.0, 30.0, 70.0],
        reference=85.0,
        band=(40.0, 82.0),
        band_name="Middle half of Behavioral Health Community Partners",
        reference_name="All members of Behavioral Health Community Partners",
    )
    dots, layout = figure["data"][0], figure["layout"]
    assert dots["text"] == [names[1], names[2], names[0]]  # the hover names them in full
    assert "%{text}" in dots["hovertemplate"]
    shown = dots["y"]
    assert len(set(shown)) == 3 and shown[0] == "Harbor Health ACO"
    assert all(len(n) <= 2 * charts.NAME_CHARACTERS and "…" in n for n in shown[1:]), shown
    assert charts.short_names([LONG]) == ["Commonwealth…"]
    assert layout["xaxis"]["nticks"] <= 5 and layout["xaxis"]["tickangle"] == 0
    # labels near the plot's right end line up from their right, and wrap to fit a phone
    band, line = layout["annotations"]
    assert band["xanchor"] == "right" and line["xanchor"] == "right"
    assert all(len(part) <= 26 for a in (band, line) for part in a["text"].split("<br>"))
    assert line["yshift"] == 14 * (band["text"].count("<br>") + 1)
    assert layout["margin"]["t"] >= 16 + 14 * 4
    crowded = charts.ranked_figure(
        [f"P{i}" for i in range(charts.MAX_RANKED_BARS + 1)],
        list(range(charts.MAX_RANKED_BARS + 1)),
        unit="%",
        decimals=1,
        higher_is_better=True,
        reference=float(charts.MAX_RANKED_BARS),
    )
    assert crowded["layout"]["annotations"][-1]["xanchor"] == "right"  # the histogram's too


def test_trend_tables_give_the_likely_range_each_point_is_drawn_with(model) -> None:
    """The charts draw a likely range around each point; their tables left it out."""
    checked = 0
    for level in ("aco", "cp"):
        for entity in model.entities[level]:
            for spec in model.specs.values():
                if level not in spec.levels:
                    continue
                chart = site.trend_chart(model, spec, entity)
                series = model.series.get((level, entity.entity_id, spec.id), {})
                by_label = {site.period_label(p): r for p, r in series.items()}
                if not chart.shown or all(site.missing(r["lower"]) for r in series.values()):
                    continue
                assert chart.headers[2] == "Likely range", chart.headers
                for row in chart.rows:
                    record = by_label.get(row[0], {"lower": None, "upper": None})
                    expected = site.format_interval(
                        record["lower"], record["upper"], spec.unit, spec.decimals
                    )
                    assert row[2] == (expected or site.NOT_SHOWN), row
                figure = site.trend_figure_html(model, spec, entity)
                assert '<th scope="col">Likely range</th>' in figure
                checked += 1
    assert checked >= 5


def test_every_table_has_row_and_column_headers(built: Path) -> None:
    """Each row's name (a measure, an organisation, a period, a kind of organisation, a
    detail of a measure) heads its row and each header says it heads a column, so a screen
    reader names both with every cell: the results and chart tables, and the Markdown tables
    (the home page's counts, the catalogue, the methodology's, a measure's details), which
    had neither."""
    tables, markdown = 0, 0
    for path in html_pages(built):
        page = path.read_text(encoding="utf-8")
        for table in re.findall(r"<table\b.*?</table>", page, flags=re.S):
            tables += 1
            markdown += table.startswith("<table>")
            head = re.search(r"<thead>(.*?)</thead>", table, flags=re.S)
            if head:
                assert re.findall(r"<th(?=[ >])(?![^>]*scope=\"col\")", head[1]) == [], path
            body = re.search(r"<tbody>(.*?)</tbody>", table, flags=re.S)
            for row in re.findall(r"<tr>(.*?)</tr>", body[1] if body else "", flags=re.S):
                assert row.lstrip().startswith('<th scope="row"'), (path.name, row[:120])
    assert tables > 20 and markdown > 5, (tables, markdown)
    for page, header in [
        ("index.html", "Organizations"),
        ("measures/index.html", "Measure"),
        ("measures/fuh_7.html", "About this measure"),
    ]:
        text = (built / page).read_text(encoding="utf-8")
        assert f'<th scope="col">{header}</th>' in text, page


def test_plain_pages_say_out_of_how_many_a_share_is(built: Path, model) -> None:
    """'Result: 47.2% of emergency room visits.' gave no count; the full page's counts
    follow, a count from 1 to 10 never written."""
    spec = model.specs["fuh_7"]
    seen = 0
    for entity in model.entities["aco"] + model.entities["cp"]:
        record = model.current(entity.level, entity.entity_id, "fuh_7")
        path = built / "plain" / entity.level / f"{entity.slug}.html"
        if record is None or record["suppressed"] or not path.exists():
            continue
        text = words(path.read_text(encoding="utf-8"))
        value = i18n.value_words(record["value"], spec.unit, spec.decimals, "en")
        top = site.format_count(record["numerator"])
        total = site.format_count(record["denominator"])
        counts = f"{top} of {total}" if top else f"out of {total}"
        assert f"{value} ({counts})." in text, (entity.entity_id, value)
        seen += 1
    assert seen >= 1
    results = {"value": 0.5, "numerator": 7.0, "denominator": 40.0, "suppressed": False}
    shown = result_words(spec, results, "en")  # as partners and the public see it
    assert shown.endswith("(out of 40)") and "7" not in shown
    assert result_words(spec, {**results, "numerator": 20.0}, "es").endswith("(20 de 40)")
