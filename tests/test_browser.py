"""A reader's journey through the published demo in a real headless Chromium, and axe-core.

The small demo is built by the real `scorecard build` and published twice (2025Q3, then 2025Q4;
tests/conftest.py: demo_site), served on 127.0.0.1 and visited with Debian's chromium through
Playwright: home -> an ACO -> a measure -> the older version -> Spanish -> English plain page.
Screenshots and a PDF of a printed scorecard are left in test-artifacts/ (git-ignored).

Accessibility: axe-core 4.14.1 (MPL-2.0), vendored at tests/vendor/axe.min.js so the tests
need no network (see tests/vendor/README.md), must report no WCAG 2.0/2.1 A or AA violation.
These tests fail, never skip, when Playwright or Chromium is missing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def first_aco(demo_site: dict) -> tuple[str, str]:
    """Return (file name, name) of the first ACO in the newest version's ACO index."""
    html = (demo_site["newest"] / "aco" / "index.html").read_text(encoding="utf-8")
    match = re.search(r'<th scope="row"><a href="(ACO\d+\.html)">([^<]+)</a></th>', html)
    assert match, "no ACO in the index"
    return match[1], match[2].replace("&amp;", "&")


def most_rated_scorecard(demo_site: dict) -> str:
    """Return the page (level/id.html) of the organisation with the most results rated with
    stars in the newest version's downloads."""
    results = pd.read_csv(demo_site["newest"] / "downloads" / "results.csv")
    rated = results[results["stars"].notna() & (results["level"] != "program")]
    assert not rated.empty, "nothing is rated in the newest version"
    level, entity = rated.groupby(["level", "entity_id"]).size().idxmax()
    return f"{level}/{entity}.html"


def draw_every_chart(page) -> int:
    """Scroll each chart into view; wait until all are drawn; return how many there are."""
    charts = page.locator("div.sc-chart")
    count = charts.count()
    for index in range(count):
        charts.nth(index).scroll_into_view_if_needed()
    page.wait_for_function(
        f"document.querySelectorAll('div.sc-chart[data-drawn]').length === {count}",
        timeout=20_000,
    )
    assert page.locator("div.sc-chart svg.main-svg").count() >= count
    return count


def shot(page, artifacts: Path, name: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(artifacts / f"{name}.png"))


def test_a_readers_journey(sc_page, demo_url: str, demo_site: dict, artifacts: Path) -> None:
    page = sc_page
    aco_file, aco_name = first_aco(demo_site)

    page.goto(f"{demo_url}/")  # the root sends readers to the newest version
    page.wait_for_url(re.compile(r"/2025Q4/index\.html$"))
    assert "2025 Q4" in page.title()
    assert page.locator("h2", has_text="Who is included").is_visible()
    shot(page, artifacts, "01-home")

    page.locator("a.md-tabs__link", has_text="ACOs").click()
    page.wait_for_url(re.compile(r"/2025Q4/aco/index\.html$"))
    page.get_by_role("link", name=aco_name, exact=True).click()
    page.wait_for_url(re.compile(rf"/2025Q4/aco/{aco_file}$"))
    assert page.locator("h1").inner_text() == aco_name
    assert page.locator(".sc-card").count() >= 2
    assert page.locator("#profile").is_visible()
    assert draw_every_chart(page) >= 3
    shot(page, artifacts, "02-aco")

    page.locator("table a", has_text="Emergency room visits").first.click()
    page.wait_for_url(re.compile(r"/2025Q4/measures/ed_visits\.html$"))
    assert page.locator("h1").inner_text() == "Emergency room visits"
    assert page.locator("text=In plain words.").is_visible()
    assert draw_every_chart(page) >= 3
    shot(page, artifacts, "03-measure")

    page.locator(".md-version").hover()
    page.locator("a.md-version__link", has_text="2025 Q3").click()
    page.wait_for_url(re.compile(r"/2025Q3/measures/ed_visits\.html$"))  # the same page
    assert "2025 Q3" in page.title()
    banner = page.locator("[data-md-component=outdated]")
    banner.wait_for(state="visible", timeout=10_000)
    assert "older edition" in banner.inner_text()
    shot(page, artifacts, "04-older-version")

    page.goto(f"{demo_url}/2025Q4/index.html")
    page.locator(".md-header__option .md-select").hover()
    page.locator('.md-select__link[hreflang="es"]').click()
    page.wait_for_url(re.compile(r"/2025Q4/es/index\.html$"))
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.locator("h1").inner_text() == "Resultados en palabras sencillas"
    assert page.locator("input.md-search__input").get_attribute("placeholder") == "Búsqueda"
    shot(page, artifacts, "05-spanish-home")

    page.get_by_role("link", name=aco_name, exact=True).click()
    page.wait_for_url(re.compile(rf"/2025Q4/es/aco/{aco_file}$"))
    assert "resultados en palabras sencillas" in page.locator("h1").inner_text()
    assert page.locator("text=Qué significa para los miembros").count() >= 1
    shot(page, artifacts, "06-spanish-aco")

    page.get_by_role("link", name="Read this page in English").click()
    page.wait_for_url(re.compile(rf"/2025Q4/plain/aco/{aco_file}$"))
    assert "results in plain words" in page.locator("h1").inner_text()
    glossary = page.locator('a[href*="glossary.html#"]').first
    glossary.click()
    page.wait_for_url(re.compile(r"/2025Q4/glossary\.html#[a-z-]+$"))
    shot(page, artifacts, "07-glossary")
    assert not page.errors, page.errors  # type: ignore[attr-defined]


def test_search_finds_entities_and_measures(sc_page, demo_url: str, demo_site: dict) -> None:
    page = sc_page
    aco_file, aco_name = first_aco(demo_site)
    page.goto(f"{demo_url}/2025Q4/index.html")
    for query, target in (
        (aco_name.split()[0], f"aco/{aco_file}"),
        ("Emergency room", "ed_visits"),
    ):
        search = page.locator("input.md-search__input")
        search.click()
        search.fill("")
        search.press_sequentially(query, delay=20)  # the theme listens to key presses
        results = page.locator(".md-search-result__item a")
        results.first.wait_for(timeout=15_000)
        hrefs = [results.nth(i).get_attribute("href") or "" for i in range(results.count())]
        assert any(target in href for href in hrefs), (query, hrefs)


AXE_PAGES = (
    "index.html",
    "aco/index.html",
    "{aco}",
    "measures/ed_visits.html",
    "plain/{aco}",
    "es/{aco}",
    "glossary.html",
)


def test_axe_finds_no_wcag_violation(sc_page, demo_url: str, demo_site: dict) -> None:
    """Home, a level index, a scorecard, a measure page, plain pages (English, Spanish), the
    glossary: no WCAG 2.0/2.1 A or AA violation (one browser page, so plotly.js loads once)."""
    aco_file, _ = first_aco(demo_site)
    page = sc_page
    found = {}
    for path in AXE_PAGES:
        page.goto(f"{demo_url}/2025Q4/{path.format(aco=f'aco/{aco_file}')}")
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
        )
        assert len(result["passes"]) > 10, path  # axe really ran
        found[path] = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]])
            for v in result["violations"]
        ]
    assert not any(found.values()), {p: v for p, v in found.items() if v}


def test_a_scorecard_prints_cleanly(
    sc_page, demo_url: str, demo_site: dict, artifacts: Path
) -> None:
    aco_file, aco_name = first_aco(demo_site)
    page = sc_page
    page.goto(f"{demo_url}/2025Q4/aco/{aco_file}")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")  # draws every chart
    page.wait_for_function(
        "document.querySelectorAll('div.sc-chart:not([data-drawn])').length === 0", timeout=20_000
    )
    page.emulate_media(media="print")
    hidden = page.evaluate(
        "['.md-header', '.md-tabs', '.md-sidebar--secondary', '.sc-actions']"
        ".map(s => getComputedStyle(document.querySelector(s)).display)"
    )
    assert hidden == ["none"] * 4, hidden
    # what the header said is on paper too: who the edition is for
    assert page.locator(".sc-audience").inner_text().startswith("For internal use only")
    assert page.locator(".sc-audience").is_visible()
    pdf = artifacts / "scorecard-print.pdf"
    page.pdf(path=str(pdf), format="Letter", print_background=True)
    assert pdf.stat().st_size > 20_000
    assert pdf.read_bytes().startswith(b"%PDF")
    assert page.locator("h1").inner_text() == aco_name


def column_numbers(page, table: str, column: int) -> list[float | None]:
    """Return the first number in each visible row's cell of `column` (1-based), or None."""
    texts = page.locator(f"{table} tbody tr:visible td:nth-child({column})").all_inner_texts()
    found = [re.search(r"\d+(\.\d+)?", t.replace(",", "")) for t in texts]
    return [float(m[0]) if m else None for m in found]


def in_order(values: list[float | None], descending: bool) -> bool:
    """True when the numbers are in order and every None comes after them."""
    numbers = [v for v in values if v is not None]
    return values[: len(numbers)] == numbers and numbers == sorted(numbers, reverse=descending)


def test_a_long_table_can_be_filtered_and_sorted(sc_page, demo_url: str, demo_site: dict) -> None:
    page = sc_page
    page.goto(f"{demo_url}/2025Q4/practice/index.html")
    table = "table[data-sc-sortable]"
    rows = page.locator(f"{table} tbody tr")
    total = rows.count()
    assert total > 10
    # the filter keeps the rows holding the words typed, whatever their case
    word = rows.first.locator("th").first.inner_text().split()[0]  # the name heads its row
    page.get_by_label("Find a practice by name or ACO").fill(word.upper())
    kept = page.locator(f"{table} tbody tr:visible")
    assert 0 < kept.count() < total
    assert all(word.lower() in t.lower() for t in kept.all_inner_texts())
    status = page.locator(".sc-filter [role=status]")
    assert status.inner_text() == f"{kept.count()} of {total} shown"
    page.get_by_label("Find a practice by name or ACO").fill("")
    assert page.locator(f"{table} tbody tr:visible").count() == total
    # stars sort best first on the first choice, then worst first; "Not rated" stays last. On
    # the ACOs' index: the small demo's practices have no stars, their results being mostly
    # chance (acute admissions reliability 0, ED visits 0.64 in the middle, 12 of 34 reliable).
    # Its ACOs have stars on one measure (ED visits): too few for an overall rating
    # (ratings.MIN_RATED_MEASURES), so the stars sorted are those of its area
    page.goto(f"{demo_url}/2025Q4/aco/index.html")
    area = page.locator(f"{table} th", has_text="Use and cost of services")
    column = 1 + [t.strip() for t in page.locator(f"{table} th").all_inner_texts()].index(
        area.inner_text().strip()
    )
    area.locator("button").click()
    assert area.get_attribute("aria-sort") == "descending"
    stars = column_numbers(page, table, column)
    assert in_order(stars, descending=True) and None in stars and stars[0] is not None
    area.locator("button").press("Enter")  # a button: the keyboard works too
    assert area.get_attribute("aria-sort") == "ascending"
    assert in_order(column_numbers(page, table, column), descending=False)
    # a measure's results by practice: the best first (lowest first where lower is better),
    # results hidden for privacy last
    cases = (
        ("acute_admissions", "Find a practice by name", False),
        ("members", "Find an ACO by name", True),
    )
    for measure, label, descending in cases:
        page.goto(f"{demo_url}/2025Q4/measures/{measure}.html")
        table_of_level = page.locator(f"table[data-filter-label='{label}']")
        result = table_of_level.locator("th", has_text="Result")
        result.locator("button").click()
        assert result.get_attribute("aria-sort") == ("descending" if descending else "ascending")
        cells = table_of_level.locator("tbody tr td:nth-child(2)")
        hidden = [cells.nth(i).locator(".sc-hidden").count() > 0 for i in range(cells.count())]
        assert hidden == sorted(hidden) and not hidden[0], (measure, hidden)
        shown = [
            float(t.split()[0].replace(",", "").rstrip("%"))
            for t in cells.all_inner_texts()[: hidden.count(False)]
        ]
        assert len(shown) > 1 and shown == sorted(shown, reverse=descending), (measure, shown)
    # a scorecard's results sort by stars (no filter box: a few rows each): the organisation
    # with the most stars in the newest version (the small demo hides most ACO results)
    page.goto(f"{demo_url}/2025Q4/{most_rated_scorecard(demo_site)}")
    assert page.locator(".sc-filter").count() == 0
    stars_header = page.locator("th", has_text="Stars")
    tables = page.locator("table[data-sc-sortable]").filter(has=stars_header)
    rated = 0
    for index in range(tables.count()):
        table = tables.nth(index)
        column = 1 + [t.strip() for t in table.locator("th").all_inner_texts()].index("Stars")
        table.locator("th", has_text="Stars").locator("button").click()
        texts = table.locator(f"tbody tr td:nth-child({column})").all_inner_texts()
        stars = [float(m[0]) if (m := re.search(r"\d(\.5)?", t)) else None for t in texts]
        assert in_order(stars, descending=True), stars
        rated += sum(v is not None for v in stars)
    assert rated > 0


def test_a_phone_screen_needs_no_sideways_scrolling(
    sc_page, demo_url: str, demo_site: dict
) -> None:
    # 390 px, a common phone: pages fit the screen (wide tables scroll inside their own box)
    page = sc_page
    page.set_viewport_size({"width": 390, "height": 844})
    aco_file, _ = first_aco(demo_site)
    for path in (f"aco/{aco_file}", "measures/ed_visits.html", "index.html", f"es/aco/{aco_file}"):
        page.goto(f"{demo_url}/2025Q4/{path}")
        draw_every_chart(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)


# -------------------------------------------------- phone width, keyboard, dark theme (a11y)
PHONE = {"width": 375, "height": 812}
FOCUSED = """() => { const e = document.activeElement, r = e.getBoundingClientRect();
  return {x: Math.round(r.left), right: Math.round(r.right), w: Math.round(r.width),
          inDrawer: !!e.closest('.md-sidebar--primary'), toggle: e.getAttribute('data-sc-toggle'),
          search: e.classList.contains('md-search__input')}; }"""


def tab_to(page, toggle: str, most: int = 15) -> list[dict]:
    """Press Tab until the header button `toggle` has the focus; return where focus went."""
    seen = []
    for _ in range(most):
        page.keyboard.press("Tab")
        seen.append(page.evaluate(FOCUSED))
        if seen[-1]["toggle"] == toggle:
            return seen
    raise AssertionError(f"Tab never reached the {toggle} button: {seen}")


def test_a_phone_reader_opens_the_menu_and_search_by_keyboard(
    sc_page, demo_url: str, demo_site: dict
) -> None:
    page = sc_page
    page.set_viewport_size(PHONE)
    aco_file, _ = first_aco(demo_site)
    page.goto(f"{demo_url}/2025Q4/aco/{aco_file}")
    seen = tab_to(page, "__drawer")
    # on the way, Tab never stops on something off the screen (the closed drawer's links)
    assert all(s["x"] >= 0 and s["right"] <= PHONE["width"] for s in seen if s["w"]), seen
    page.keyboard.press("Enter")
    assert page.locator("#__drawer").is_checked()
    page.wait_for_timeout(400)  # the drawer slides in
    focus = page.evaluate(FOCUSED)
    assert focus["inDrawer"] and 0 <= focus["x"] < PHONE["width"], focus
    page.keyboard.press("Escape")
    assert not page.locator("#__drawer").is_checked()
    assert page.evaluate(FOCUSED)["toggle"] == "__drawer"
    page.wait_for_timeout(400)  # the drawer slides away, then leaves the tab order
    assert not page.locator(".md-sidebar--primary a[href]").first.is_visible()
    tab_to(page, "__search")
    page.keyboard.press(" ")
    assert page.locator("#__search").is_checked()
    assert page.evaluate(FOCUSED)["search"]
    # the buttons have names, in the page's language; wide screens show neither
    page.goto(f"{demo_url}/2025Q4/es/aco/{aco_file}")
    assert page.get_by_role("button", name="Abrir el menú").is_visible()
    assert page.get_by_role("dialog", name="Buscar").count() == 1
    page.set_viewport_size({"width": 1280, "height": 900})
    assert page.locator("[data-sc-toggle]:visible").count() == 0
    assert not page.errors, page.errors  # type: ignore[attr-defined]


def test_long_not_rated_reasons_wrap_in_results_tables(sc_page, demo_url: str) -> None:
    # "Not rated: too few members to tell..." wraps (only the star glyphs do not), so a table
    # holding such reasons stays within twice a phone's width (before: over 1,500 px at 375)
    page = sc_page
    page.set_viewport_size(PHONE)
    page.goto(f"{demo_url}/2025Q4/measures/ed_visits.html")
    reasons = page.locator("table .sc-stars--none").filter(has_text=re.compile(r"^Not rated.{30,}"))
    assert reasons.count() > 0  # the demo has long reasons to wrap
    widths = reasons.evaluate_all(
        "rs => rs.map(r => Math.round(r.closest('table').getBoundingClientRect().width))"
    )
    assert max(widths) <= 2 * PHONE["width"], widths
    assert reasons.first.evaluate("e => getComputedStyle(e).whiteSpace") != "nowrap"


A11Y_RULES = [
    "aria-dialog-name",
    "scrollable-region-focusable",
    "empty-table-header",
    "empty-heading",
    "aria-allowed-role",
    "color-contrast",
]
A11Y_PAGES = ("{aco}", "measures/ed_visits.html", "methodology.html", "provenance.html")


@pytest.mark.parametrize("width,scheme", [(375, "light"), (1280, "dark")])
def test_axe_rules_on_phone_and_dark_theme(
    sc_browser, demo_url: str, demo_site: dict, width: int, scheme: str
) -> None:
    """Named search dialog, wide boxes reachable by keyboard, named table headers, readable
    links on dark cards: no violation of these axe rules on a phone or in the dark theme."""
    aco_file, _ = first_aco(demo_site)
    context = sc_browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    found = {}
    try:
        for path in A11Y_PAGES:
            page.goto(f"{demo_url}/2025Q4/{path.format(aco=f'aco/{aco_file}')}")
            page.wait_for_load_state("load")
            if scheme == "dark":
                assert page.locator("body[data-md-color-scheme=slate]").count() == 1
            page.add_script_tag(path=str(AXE))
            result = page.evaluate("rules => axe.run(document, {runOnly: rules})", A11Y_RULES)
            assert result["passes"], path  # axe really ran
            found[path] = [
                (v["id"], [n["target"] for n in v["nodes"][:3]]) for v in result["violations"]
            ]
    finally:
        context.close()
    assert not any(found.values()), {p: v for p, v in found.items() if v}


def test_plain_pages_never_leave_the_members_heading_empty(demo_site: dict) -> None:
    pages = [*demo_site["newest"].glob("plain/*/*.html"), *demo_site["newest"].glob("es/*/*.html")]
    assert pages
    for path in pages:
        html = path.read_text(encoding="utf-8")
        for match in re.finditer(r'<h3 id="[^"]*">(Members|Miembros)</h3>\s*<(\w+)', html):
            assert match[2] in ("p", "table"), (path, match[0])
    hidden = "to protect the privacy of the people counted"
    assert any(hidden in p.read_text(encoding="utf-8") for p in pages), "no hidden count"


def test_glossary_words_are_underlined_not_only_blue(
    sc_page, demo_url: str, demo_site: dict
) -> None:
    aco_file, _ = first_aco(demo_site)
    for path, words in (("plain", "Underlined words"), ("es", "Las palabras subrayadas")):
        sc_page.goto(f"{demo_url}/2025Q4/{path}/aco/{aco_file}")
        assert sc_page.get_by_text(words).count() == 1
        links = sc_page.locator(
            "article a[href*='glosario.html#'], article a[href*='glossary.html#']"
        )
        assert links.count() > 3
        decorations = links.evaluate_all(
            "ls => ls.map(a => getComputedStyle(a).textDecorationLine)"
        )
        assert set(decorations) == {"underline"}, decorations


def test_chart_hover_shows_the_tables_value_and_the_full_period(
    sc_page, demo_url: str, demo_site: dict
) -> None:
    """Hovering a point of a trend chart shows the value as the chart's own table writes it
    (never rounded twice, e.g. 0.52 beside a table's 0.51) under the full period ('2025 Q4',
    not the tick's 'Q4', which two years share)."""
    page = sc_page
    aco_file, _ = first_aco(demo_site)
    page.goto(f"{demo_url}/2025Q4/aco/{aco_file}")
    figure = page.locator("figure.sc-figure", has=page.locator("div[data-figure^='trend-']"))
    figure = figure.first
    figure.locator("div.sc-chart").scroll_into_view_if_needed()
    page.wait_for_function(
        "document.querySelector(\"div.sc-chart[data-figure^='trend-'][data-drawn]\")",
        timeout=20_000,
    )
    rows = figure.locator("details.sc-data tbody tr")
    cells = [rows.nth(i).locator("th, td") for i in range(rows.count())]  # the period: a th
    table = {row.nth(0).text_content(): row.nth(1).text_content() for row in cells}
    points = figure.locator(".scatterlayer .trace").first.locator("path.point")
    assert points.count() >= 2
    checked = 0
    for index in range(points.count()):
        box = points.nth(index).bounding_box()
        if not box:
            continue
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        label = figure.locator(".hoverlayer .legend")
        label.wait_for(timeout=5_000)
        heading = label.locator(".legendtitletext").text_content() or ""
        assert re.fullmatch(r"\d{4} Q[1-4]", heading), heading
        shown = table[heading]
        assert shown in (label.text_content() or ""), (heading, shown, label.text_content())
        checked += 1
        page.mouse.move(0, 0)
    assert checked >= 2
    assert not page.errors, page.errors  # type: ignore[attr-defined]


# -------------------------------------------------- the accessibility review's findings
LAST_STOP = """() => { const stops = [...document.querySelectorAll('a[href], button, input')]
  .filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden');
  stops[stops.length - 1].focus(); }"""
COVERED = """() => { const e = document.activeElement, r = e.getBoundingClientRect();
  const header = document.querySelector('.md-header').getBoundingClientRect().bottom;
  const tabs = document.querySelector('.md-tabs');
  const t = tabs && getComputedStyle(tabs).position === 'sticky' && !tabs.hidden
    ? tabs.getBoundingClientRect().bottom : 0;
  // the header's own links and the skip link (drawn over the header) are not covered
  const inHeader = e === document.body || !!e.closest('.md-header, .md-tabs, .md-skip');
  return {top: r.top, w: r.width, covered: !inHeader && r.width > 0
    && r.top < Math.max(header, t), text: (e.textContent || '').trim().slice(0, 40)}; }"""


@pytest.mark.parametrize("width,height", [(375, 740), (1280, 900)])
def test_keyboard_focus_never_hides_under_the_sticky_header(
    sc_browser, demo_url: str, demo_site: dict, width: int, height: int
) -> None:
    """WCAG 2.4.11: Shift+Tab up a phone's scorecard put links under the 48 px sticky header
    (19 of 120 stops), the page scrolling them only to its very top."""
    aco_file, _ = first_aco(demo_site)
    context = sc_browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        page.goto(f"{demo_url}/2025Q4/aco/{aco_file}")
        page.evaluate(LAST_STOP)  # from the page's end, as the reviewer did
        stops = []
        for _ in range(120):
            page.keyboard.press("Shift+Tab")
            stops.append(page.evaluate(COVERED))
        covered = [s for s in stops if s["covered"]]
        assert len([s for s in stops if s["w"]]) > 50
        assert not covered, covered[:5]
    finally:
        context.close()


RANKED_FIT = r"""div => { const box = div.getBoundingClientRect();
  const plot = div.querySelector('.draglayer .nsewdrag').getBoundingClientRect();
  const out = [...div.querySelectorAll('.annotation-text, .g-xtitle text, .xtick text')]
    .map(t => t.getBoundingClientRect())
    .filter(r => r.width && (r.left < 0 || r.right > window.innerWidth));
  const turned = [...div.querySelectorAll('.xtick text')]
    .filter(t => /rotate\((?!0)/.test(t.getAttribute('transform') || ''));
  return {share: plot.width / box.width, out: out.length, turned: turned.length}; }"""


def test_ranked_charts_fit_a_phone(sc_page, demo_url: str) -> None:
    """The "each result with its likely range" chart left a 64 px plot of 343 px beside long
    names, its labels past the screen's edge and its ticks turned on their side."""
    page = sc_page
    page.set_viewport_size({"width": 375, "height": 740})
    checked = 0
    for measure in ("ed_visits", "acute_admissions", "members"):
        page.goto(f"{demo_url}/2025Q4/measures/{measure}.html")
        draw_every_chart(page)
        charts = page.locator("div.sc-chart[data-figure^='ranked-']")
        for index in range(charts.count()):
            chart = charts.nth(index)
            if chart.locator(".draglayer .nsewdrag").count() == 0:
                continue
            found = chart.evaluate(RANKED_FIT)
            assert found["share"] >= 0.4 and not found["out"], (measure, index, found)
            assert not found["turned"], (measure, index, found)
            checked += 1
    assert checked >= 2
