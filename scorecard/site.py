"""Results -> markdown pages (Jinja2 templates in site_templates/) -> HTML with mkdocs-material.

One straight pipeline, like mkdocs' own build: `gather()` turns a `SiteInput` into a `SiteModel`
(public view of the results, look-up tables, entity lists) before any page is rendered; page
functions turn the model into template contexts; `render_markdown()` writes pages, downloads
and static assets into a docs folder; `write_config()` extends the base mkdocs.yml; `build_html()`
runs mkdocs. publish.py wraps this into versioned, atomically swapped output.

Privacy rule: pages and downloads read only from `public_view()`, which blanks the value, counts
and interval of every suppressed row and, defensively, every count from 1 to 10.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import gc
import json
import logging
import math
import posixpath
import re
import shutil
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import jinja2
import numpy as np
import pandas as pd
import yaml
from markupsafe import Markup, escape

from scorecard import charts, export, i18n, methodology, parallel, plain, ratings, shell, views
from scorecard.audience import SUMMARY_HIDDEN
from scorecard.engine import is_care_gap_measure
from scorecard.resources import resource_root
from scorecard.specs import ENTITY_LEVELS, FAMILY_ORDER, MeasureSpec, change_notes
from scorecard.stats import NEUTRAL_REASON, is_small_count, peer_group_of

log = logging.getLogger(__name__)

REPO_ROOT = resource_root()  # the checkout, or the copies installed with a wheel
TEMPLATES_DIR = REPO_ROOT / "site_templates"
BASE_CONFIG = REPO_ROOT / "mkdocs.yml"
DEFAULT_PROGRAM_NAME = "MassHealth ACO and Community Partner program (demo)"

LEVELS: tuple[str, ...] = ENTITY_LEVELS  # the levels whose entities have pages
LEVEL_SINGULAR = {
    "program": "whole program",
    "aco": "ACO",
    "cp": "Community Partner",
    "practice": "practice",
}
LEVEL_PLURAL = {"aco": "ACOs", "cp": "Community Partners", "practice": "Practices"}
LEVEL_PEERS = {"aco": "ACOs", "cp": "Community Partners", "practice": "practices"}
CP_TYPE_NAMES = i18n.CP_TYPE_NAMES


@dataclass(frozen=True)
class Peers:
    """The entities a result is compared with: every entity of a level, or those of one peer
    group (stats.PEER_GROUP: a CP type)."""

    level: str
    group: str = ""

    @property
    def words(self) -> str:
        """Return them in words: 'ACOs', 'Behavioral Health Community Partners'."""
        plural = LEVEL_PEERS.get(self.level, "peers")
        name = CP_TYPE_NAMES.get(self.group, self.group)
        return f"{name} {plural}" if self.group else plural

    @property
    def key(self) -> str:
        """Return a name for ids: the level, with the group after it ('cp-bh')."""
        return f"{self.level}-{self.group.lower()}" if self.group else self.level

    @property
    def reference(self) -> str:
        """Return what a peer label compares a result with (stats.peer_label), in words."""
        return f"all members of {self.words}" if self.group else "the whole program"

    def compare_header(self) -> str:
        """Return the heading of the column that compares a result with them."""
        return f"Compared with {self.reference}"

    @property
    def typed(self) -> bool:
        """Return True for the CPs of one known type, compared with their type's program row."""
        return self.level == "cp" and bool(self.group)

    @property
    def line_name(self) -> str:
        """Return the name of a chart's reference line: the result a peer label is judged
        against (stats.peer_label), the program's row of the CP type for typed CPs."""
        return f"All members of {self.words}" if self.typed else "Whole program"


LEVEL_FIND = {  # the label of the box that filters a table of organisations (tables.js)
    "aco": "Find an ACO by name",
    "cp": "Find a Community Partner by name",
    "practice": "Find a practice by name",
}
# The column a level's index shows beside the name, and how its filter box names it.
INDEX_DETAIL = {"cp": ("Type", "type"), "practice": ("ACO", "ACO")}
FAMILY_TITLES = {
    "operational": "Care coordination by Community Partners",
    "claims": "Use and cost of services",
    "quality": "Quality of care",
    "profile": "Who the members are",
    "overall": "Overall",
}
STRATUM_TITLES = {
    "age_band": "Age group",
    "sex": "Sex",
    "race": "Race and ethnicity",
    "language": "Language",
    "cp_type": "Community Partner type",
}
PEER_TEXT = i18n.PEER_WORDS["en"]
# A trend's arrow and words, by the measure's window (what the trend compares it with).
TREND_TEXT = {
    window: {label: (i18n.TREND_ARROWS[label], text) for label, text in words.items()}
    for window, words in i18n.TREND_WORDS["en"].items()
}
DIRECTION_TEXT = i18n.DIRECTION_WORDS["en"]
STAR_NOTE_TEXT = i18n.STAR_NOTE_WORDS["en"]
FALLBACK_REASON_TEXT = {  # used when scorecard.stats.REASON_TEXT is missing, and for our code
    "no_data": "No one was eligible for this measure here in this period.",
    "small_count": "Hidden to protect privacy: the number is based on 10 or fewer people.",
    "small_complement": "Hidden to protect privacy: it would reveal 10 or fewer people.",
    "small_denominator": "Not shown because too few people were eligible for a reliable result.",
    "complementary": "Hidden so that another hidden number cannot be worked out.",
}
DEFAULT_REASON = "Not shown to protect privacy or because there is too little data."
VALUE_COLUMNS = ("value", "numerator", "denominator", "lower", "upper", "open_gaps")
COUNT_COLUMNS = ("numerator", "denominator", "open_gaps")  # counts: 1 to 10 is never shown
# Downloads carry these columns and nothing else (never e.g. numerator_sq).
PUBLIC_COLUMNS = (
    *("measure_id", "period_id", "period_end", "level", "entity_id", "stratum", "stratum_value"),
    *("numerator", "denominator", "value", "lower", "upper", "suppressed", "suppression_reason"),
    *("stars", "star_note", "peer_group", "peer_label", "trend_label", "open_gaps"),
    *("kind", "direction", "multiplier", "decimals", "family", "unit"),
)
OPTIONAL_DEFAULTS = {
    "stars": pd.NA,
    "star_note": "",
    "peer_group": "",
    "peer_label": "",
    "trend_label": "",
    "suppression_reason": "",
    "open_gaps": float("nan"),  # open care gaps: quality proportions only (engine.shape_results)
}
NOT_SHOWN = "Not shown"
NAV_PAGES = (
    ("Home", "index.md"),
    ("ACOs", "aco/index.md"),
    ("Community Partners", "cp/index.md"),
    ("Practices", "practice/index.md"),
    ("Measures", "measures/index.md"),
    ("Plain language", "plain/index.md"),
    ("Glossary", "glossary.md"),
    ("Methodology", "methodology.md"),
    ("Provenance", "provenance.md"),
)
NOT_IN_NAV = ("/aco/*.md", "/cp/*.md", "/practice/*.md", "/measures/*.md")
STATIC_FILES = (
    "static/scorecard.css",
    "static/charts.js",
    "static/tables.js",
    "static/editions.js",
    "static/keyboard.js",
)
PLOTLY_JS = "static/plotly.min.js"
EDITIONS_JS = "static/editions.js"  # the Spanish pages' edition menu (the theme's serves English)


@dataclass
class SiteInput:
    """Everything a version of the site shows, computed before any page is rendered."""

    results: pd.DataFrame
    summary: pd.DataFrame
    benchmarks: pd.DataFrame
    specs: list[MeasureSpec]
    organizations: pd.DataFrame
    period_id: str
    versions: list[str] = field(default_factory=list)
    manifest: dict = field(default_factory=dict)
    program_name: str = DEFAULT_PROGRAM_NAME
    help_contact: str = "MassHealth Customer Service"  # named on the plain pages (settings)
    cut_points: pd.DataFrame | None = None  # published as downloads/cut_points.csv when given
    audience_label: str = ""  # who this version is for, shown in every page's header
    # The marking at the top of every page (and print) by language (audience.notice)
    audience_notice: dict[str, str] = field(default_factory=dict)
    cp_assessment: pd.DataFrame | None = None  # focus-area ratings of CPs (contract table)
    tiers: list[dict] = field(default_factory=list)  # incentive tiers (build.read_tiers)
    # What every page tells its readers about the data, by language (plausibility.reader_notes)
    notes: dict[str, list[str]] = field(default_factory=dict)
    # published_rows of results, when the caller has made them already (build: the privacy
    # check reads them first); None: gather makes them
    published: pd.DataFrame | None = None
    # The internal edition shows counts of 1 to 10 (audience.internal_results); every other
    # edition never does (public_view, format_count)
    small_counts: bool = False
    # (level, peer group) -> how many organisations the group has in the period, counted over
    # every edition's results (a partner edition holds its own only); None: count the entities
    # of this edition (peer_group_sizes)
    peer_sizes: dict[tuple[str, str], int] | None = None
    # The results for all members (the program's, each organisation's) the previous edition
    # published for its quarter, of the measures whose definition changed since
    # (build.last_edition_results; without level and entity_id, the program's); None: none
    last_edition: pd.DataFrame | None = None


# ---------------------------------------------------------------- formatting (pure)


def family_title(family: str) -> str:
    """Return the plain heading of a family of measures."""
    return FAMILY_TITLES.get(family, family.replace("_", " ").capitalize())


def reason_texts() -> dict[str, str]:
    """Return suppression code -> plain text, from scorecard.stats when it exists."""
    try:
        from scorecard.stats import REASON_TEXT  # type: ignore[attr-defined]
    except ImportError:
        return dict(FALLBACK_REASON_TEXT)
    return {**FALLBACK_REASON_TEXT, **REASON_TEXT}


def missing(value: object) -> bool:
    """Return True for None, NaN and pd.NA."""
    if value is None or value is pd.NA:
        return True
    try:
        return math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def period_label(period_id: str) -> str:
    """Return '2025 Q4' for '2025Q4'; other ids unchanged."""
    match = re.fullmatch(r"(\d{4})[-_ ]?([QqHhMm]\d{1,2})", str(period_id))
    return f"{match[1]} {match[2].upper()}" if match else str(period_id)


# What months each point of a trend covers, by the measure's window: said under a trend chart's
# periods and above its table (the period labels, '2025 Q4', name only the quarter).
WINDOW_NOTES = {
    "year": "Each {thing} is the 12 months ending that quarter",
    "quarter": "Each {thing} is the 3 months of that quarter",
}


def window_note(spec: MeasureSpec, thing: str = "point") -> str:
    """Return what months each point of a trend chart over quarters covers, by the measure's
    window, as the chart's axis title; with thing 'row', the sentence over its table."""
    note = WINDOW_NOTES.get(spec.window, WINDOW_NOTES["year"]).format(thing=thing)
    return note if thing == "point" else f"{note}."


def date_label(value: object) -> str:
    """Return a date as US readers write it, 'December 31, 2025' ('' when missing)."""
    if missing(value):
        return ""
    day = pd.Timestamp(value).date() if not isinstance(value, date) else value
    return i18n.date_words(day, "en")


def format_number(value: object, decimals: int) -> str:
    """Return a number with thousands separators and `decimals` places ('' when missing)."""
    return "" if missing(value) else f"{float(value):,.{int(decimals)}f}"  # type: ignore[arg-type]


unit_marks = i18n.unit_marks


def format_value(value: object, unit: str, decimals: int) -> str:
    """Return a value with its unit: '72.4% of members', '$412.50 per member per month'."""
    number = format_number(value, decimals)
    if not number:
        return ""
    prefix, suffix, words = unit_marks(unit)
    return f"{i18n.marked(number, prefix, suffix)} {words}".strip()


def format_interval(lower: object, upper: object, unit: str, decimals: int) -> str:
    """Return 'a to b' for an interval, with % or $ marks ('' when either end is missing)."""
    if missing(lower) or missing(upper):
        return ""
    prefix, suffix, _ = unit_marks(unit)
    low, high = format_number(lower, decimals), format_number(upper, decimals)
    return f"{i18n.marked(low, prefix, suffix)} to {i18n.marked(high, prefix, suffix)}"


# Whether the site being made shows counts of 1 to 10 (SiteInput.small_counts, set by gather:
# the internal edition only). The pages are rendered after gather, also in forked processes.
_SMALL_COUNTS_SHOWN = False


def format_count(value: object) -> str:
    """Return a count for display, or '' when missing or from 1 to 10 (never shown, but in
    the internal edition: SiteInput.small_counts)."""
    if missing(value) or (not _SMALL_COUNTS_SHOWN and is_small_count(float(value))):  # type: ignore[arg-type]
        return ""
    number = float(value)  # type: ignore[arg-type]
    return f"{int(number):,}" if number.is_integer() else f"{number:,.2f}"


# What the counts of a measure are, by its unit, where its kind and unit do not say it
# (count_words): {n} the numerator, {d} the denominator.
COUNT_WORDS = {
    "observed / expected readmissions": "{n} readmissions ({d} expected)",
    "on a scale from 0 to 1": "{d} members counted",
    "risk score": "{d} members counted",
    "months enrolled per member": "{n} member months over {d} members",
    "members per care team": "{n} members on caseloads over {d} care-team months",
    "members per 1,000 members": "{n} of {d} members",
}
_PER = re.compile(r"(?P<what>[\w-]+) per (?:[\d,]+ )?(?P<over>.+)")


def count_words(kind: str, unit: str) -> str:
    """Return how a measure's counts read, with {n} and {d} for the numerator and the
    denominator: '{n} of {d} members' (a share), '{n} admissions over {d} member months' (a
    rate or an average), '{d} counted' (a middle value: the sum of its days would not give
    it), '{n} / {d}' when the unit does not say."""
    unit = (unit or "").strip()
    if kind == "median":
        return "{d} counted"
    if unit in COUNT_WORDS:
        return COUNT_WORDS[unit]
    words = unit_marks(unit)[2]
    if kind == "proportion" and words.startswith("of "):
        return f"{{n}} of {{d}} {words[3:]}"
    match = _PER.fullmatch(unit.replace("per member per month", "per member month"))
    if match is None or kind == "proportion":
        return "{n} of {d}" if kind == "proportion" else "{n} / {d}"
    what = "{n}" if match["what"] == "dollars" else f"{{n}} {match['what']}"
    over = match["over"] if match["over"].endswith("s") else match["over"] + "s"
    return f"{what} over {{d}} {over}"


def denominator_words(kind: str, unit: str) -> str:
    """Return what a measure's denominator counts, by count_words: 'members', 'member months',
    'hospital stays' ('' when its words do not say)."""
    tail = count_words(kind, unit).partition("{d}")[2].removesuffix("counted").strip()
    # a risk-adjusted cost's smallest denominator counts member months, not their risk
    return "" if ")" in tail else tail.removeprefix("risk-adjusted ")


def format_counts(numerator: object, denominator: object, kind: str, unit: str = "") -> str:
    """Return a result's counts in words by count_words ('153 of 295 care plans due',
    '$3,075,561 over 42,279 member months'); dollars are whole, other fractions have one
    place; a hidden count (from 1 to 10) shows as a dash."""
    num = _count_text(numerator, unit.startswith("dollars"))
    den = _count_text(denominator, False)
    words = count_words(kind, unit)
    if (den == "–" and "{n}" not in words) or num == den == "–":
        return ""
    return words.format(n=num, d=den)


def _count_text(value: object, dollars: bool) -> str:
    if not format_count(value):
        return "–"
    number = float(value)  # type: ignore[arg-type]
    if dollars:
        return i18n.marked(f"{number:,.0f}", "$", "")
    return f"{number:,.1f}".removesuffix(".0")


def stars_html(stars: object, note: object = "") -> Markup:
    """Return stars as glyphs (hidden from screen readers) plus '4 out of 5 stars' in words;
    without stars, 'Not rated', or why not when `note` (ratings.STAR_NOTES) says."""
    if missing(stars):
        return _not_rated_html(str(note) if note in STAR_NOTE_TEXT else "")
    return _stars_html(round(float(stars) * 2) / 2)  # type: ignore[arg-type]


@functools.lru_cache(maxsize=8)
def _not_rated_html(note: str) -> Markup:
    words = STAR_NOTE_TEXT.get(note, "Not rated")
    return Markup(f'<span class="sc-stars sc-stars--none">{escape(words)}</span>')


@functools.lru_cache(maxsize=1)
def _information_html() -> Markup:
    """Return the stars cell of a measure that never gets stars (stars: {method: none})."""
    words = escape(i18n.INFORMATION_ONLY["en"])
    return Markup(f'<span class="sc-stars sc-stars--none">{words}</span>')


@functools.lru_cache(maxsize=64)  # eleven values in all; a large site shows a million
def _stars_html(rounded: float) -> Markup:
    full, half = int(rounded), rounded % 1 == 0.5
    glyphs = "★" * full + ("½" if half else "") + "☆" * (5 - full - int(half))
    return Markup(
        f'<span class="sc-stars"><span class="sc-stars__glyphs" aria-hidden="true">{glyphs}'
        f"</span> {rounded:g} out of 5 stars</span>"
    )


@functools.lru_cache(maxsize=64)  # a few labels, shown a million times on a large site
def trend_html(label: str, window: str = "quarter") -> Markup:
    """Return an arrow (hidden from screen readers) and the trend in words, which say what the
    result is compared with (the quarter or the year before, by the measure's `window`; ''
    when there is no trend)."""
    texts = TREND_TEXT.get(window, TREND_TEXT["quarter"])
    if label not in texts:
        return Markup("")
    arrow, words = texts[label]
    return Markup(
        f'<span class="sc-trend sc-trend--{label}"><span aria-hidden="true">{arrow}'
        f"</span> {words}</span>"
    )


def slug(entity_id: object) -> str:
    """Return a file-name-safe version of an id (letters, digits, '.', '_' and '-')."""
    text = re.sub(r"[^A-Za-z0-9._-]+", "-", str(entity_id)).strip(".-") or "entity"
    return f"{text}-page" if text.lower() == "index" else text


_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}
_ESCAPES |= {c: f"&#{ord(c)};" for c in "\\`*_[]|{}#!"}
_MD_ESCAPES = str.maketrans(_ESCAPES)


def md_escape(value: object) -> Markup:
    """Return text escaped for HTML and Markdown (tables included); Markup passes unchanged."""
    if isinstance(value, Markup):
        return value
    if value is None:
        return Markup("")
    return Markup(_escape_text(str(value)))


def table_rows(
    rows: Iterable[Iterable[object]], cell: str = "td", end: str = "", row_header: bool = False
) -> Markup:
    """Return table rows as HTML, each cell escaped like any {{ value }} of a page: a Jinja
    filter, many times faster than a loop in the template for the data tables of charts.
    `cell` is the cell's tag with any attributes ('th scope="col"'), `end` ends each row;
    with `row_header` each row's first cell heads its row (<th scope="row">)."""
    close = f"</{cell.split()[0]}>"
    head = '<th scope="row">' if row_header else ""
    return Markup(
        "".join(
            "<tr>"
            + "".join(
                f"{head}{_escaped(v)}</th>" if head and i == 0 else f"<{cell}>{_escaped(v)}{close}"
                for i, v in enumerate(row)
            )
            + "</tr>"
            + end
            for row in rows
        )
    )


def chart_html(chart: Chart, title: str = "", table: tuple | None = None) -> Markup:
    """Return a chart as the HTML figure of partials/macros.md.j2 chart: its title and text
    summary (the caption), the drawing (hidden from screen readers) and its numbers as a table
    (`table`: headers and rows, by default the chart's own), each value escaped like any
    {{ value }} of a page. A Jinja filter: the 37 charts of a scorecard, made for speed."""
    headers, rows = table or (chart.headers, chart.rows)
    head, body = table_rows([headers], 'th scope="col"'), table_rows(rows, "td", "\n", True)
    return _figure_html(chart, title, chart.summary, head, body)


def _figure_html(chart: Chart, title: str, summary: str, head: str, body: str) -> Markup:
    """Return the HTML figure of a chart whose data table's rows are already HTML (with
    chart.note as the table's caption)."""
    caption = f"<caption>{_escaped(chart.note)}</caption>\n" if chart.note else ""
    strong = f'<strong class="sc-figure__title">{_escaped(title)}</strong> ' if title else ""
    # which chart's numbers, for screen readers: a page has many summaries of the same words
    about = f'<span class="sc-sr-only">: {_escaped(title.rstrip("."))}</span>' if title else ""
    figure_id = _escaped(chart.figure_id)
    return Markup(
        '<figure class="sc-figure" data-search-exclude>\n'
        f"<figcaption>{strong}{_escaped(summary)}</figcaption>\n"
        f'<div class="sc-chart" data-figure="{figure_id}" style="height: '
        f'{_escaped(chart.height)}px" aria-hidden="true"></div>\n'
        f'<script type="application/json" id="{figure_id}">{_escaped(chart.json)}</script>\n'
        f'<details class="sc-data"><summary>Show the numbers as a table{about}</summary>\n'
        "<table>\n"
        f"{caption}"
        f"<thead>{head}</thead>\n"
        "<tbody>\n"
        f"{body}</tbody>\n"
        "</table>\n"
        "</details>\n"
        "</figure>"
    )


def result_rows(
    rows: Iterable[ResultRow], by_entity: bool = False, rated: bool = True, gaps: bool = False
) -> Markup:
    """Return the body rows of a results table (partials/macros.md.j2 results_table) as HTML,
    each value escaped like any {{ value }} of a page: a Jinja filter, for speed."""
    out = []
    for row in rows:
        if by_entity:
            name = f'<a href="{html_href(row.entity_link)}">{_escaped(row.entity)}</a>'
        else:
            name = f'<a href="{html_href(row.link)}">{_escaped(row.title)}</a>'
        result = _escaped(row.result)
        if not row.shown:
            result = f'<span class="sc-hidden">{result}</span>'
        cells = [result, _escaped(row.interval), _escaped(row.counts)]
        if gaps:
            cells.append(_escaped(row.gaps))
        if rated:
            cells += [_escaped(row.stars if row.shown else ""), _escaped(row.peer)]
        cells.append(_escaped(row.trend))
        # the name heads its row: a screen reader says it with each cell of the row
        head = f'<th scope="row">{name}</th>\n'
        out.append("<tr>\n" + head + "".join(f"<td>{c}</td>\n" for c in cells) + "</tr>\n")
    return Markup("".join(out))


def _escaped(value: object) -> str:
    """Return str(md_escape(value)) without making a Markup (a hot loop)."""
    if isinstance(value, Markup):
        return str(value)
    return "" if value is None else _escape_text(str(value))


@functools.lru_cache(maxsize=1 << 16)  # cells repeat (periods, "Not shown", the program's)
def _escape_text(text: str) -> str:
    return text.translate(_MD_ESCAPES)  # str.translate with a dict: about 0.6 us a cell


def rel(from_page: str, to_path: str) -> Markup:
    """Return the relative link from one docs-relative page to another docs-relative path."""
    return _relative(_folder(str(from_page)), str(to_path))


@functools.lru_cache(maxsize=1 << 14)  # a site's pages: a few thousand
def _folder(page: str) -> str:
    return posixpath.dirname(page) or "."


@functools.lru_cache(maxsize=1 << 16)
def _relative(start: str, to_path: str) -> Markup:
    return Markup(posixpath.relpath(to_path, start))  # relpath is slow and pages share links


# ---------------------------------------------------------------- public view (privacy)


def hidden_rows(results: pd.DataFrame, small_counts: bool = False) -> pd.Series:
    """Return a mask of rows whose value may not be shown (suppressed, or a small proportion
    unless `small_counts`: the internal edition)."""
    suppressed = results["suppressed"].astype("boolean").fillna(True).astype(bool)
    if small_counts:
        return suppressed
    proportion = results["kind"].astype(str) == "proportion"
    num = pd.to_numeric(results["numerator"], errors="coerce")
    den = pd.to_numeric(results["denominator"], errors="coerce")
    small = proportion & (is_small_count(num) | is_small_count(den - num))
    if (small & ~suppressed).any():
        log.warning(
            "hiding %d proportion rows with a count of 1-10", int((small & ~suppressed).sum())
        )
    return suppressed | small


def public_view(results: pd.DataFrame, small_counts: bool = False) -> pd.DataFrame:
    """Return the results as they may be published: hidden rows keep ids and reason only;
    counts of 1 to 10 are blanked unless `small_counts` (the internal edition)."""
    out = results.assign(**{k: v for k, v in OPTIONAL_DEFAULTS.items() if k not in results})
    out = out[list(PUBLIC_COLUMNS)].copy()
    hidden = hidden_rows(out, small_counts)
    for column in VALUE_COLUMNS:
        out[column] = pd.to_numeric(out[column], errors="coerce").astype("float64")
        out.loc[hidden, column] = float("nan")
    for column in COUNT_COLUMNS if not small_counts else ():
        out.loc[is_small_count(out[column]), column] = float("nan")
    out["suppressed"] = hidden
    reason = out["suppression_reason"].fillna("").astype(str).where(hidden, "")
    out["suppression_reason"] = reason.mask(hidden & (reason == ""), "small_count")
    out["stars"] = out["stars"].astype("Int64").mask(hidden)
    for column in ("star_note", "peer_label", "trend_label"):
        out[column] = out[column].fillna("").astype(str).where(~hidden, "")
    return out


# ---------------------------------------------------------------- gathering (before rendering)


@dataclass
class Entity:
    """One ACO, CP or practice with a page on the site."""

    level: str
    entity_id: str
    name: str
    slug: str
    detail: str = ""
    peer_group: str = ""  # whom its results are compared with (stats.PEER_GROUP)

    @property
    def peers(self) -> Peers:
        """Return the entities this one is compared with."""
        return Peers(self.level, self.peer_group)

    @property
    def page(self) -> str:
        """Return the docs-relative path of this entity's page."""
        return f"{self.level}/{self.slug}.md"

    @property
    def csv(self) -> str:
        """Return the docs-relative path of this entity's results CSV."""
        return f"downloads/{self.level}/{self.slug}.csv"


@dataclass
class SiteModel:
    """The site input plus every look-up the pages need, built once."""

    site: SiteInput
    public: pd.DataFrame
    specs: dict[str, MeasureSpec]
    periods: list[str]
    period_end: str
    entities: dict[str, list[Entity]]
    series: dict[tuple[str, str, str], dict[str, dict]]  # (level, id, measure) -> period -> row
    strata: dict[str, list[dict]]
    stars: dict[tuple[str, str, str], float]
    benchmarks: dict[tuple[str, str, str], dict]  # (measure_id, level, peer group) -> row
    reasons: dict[str, str]
    tiers: dict[tuple[str, str], dict] = field(default_factory=dict)  # (level, id) -> tier
    # (level, id) -> the reward factor in its overall stars, for those given one
    rewards: dict[tuple[str, str], float] = field(default_factory=dict)
    # (level, id, family) -> (measures with stars, measures it could be rated on)
    rated_counts: dict[tuple[str, str, str], tuple[int, int]] = field(default_factory=dict)
    # (level, id, family) of the ratings this edition leaves blank (audience.withhold_summaries)
    withheld: set[tuple[str, str, str]] = field(default_factory=set)
    # (measure, CP type) -> period -> the program's row of that type (stratum cp_type)
    type_series: dict[tuple[str, str], dict[str, dict]] = field(default_factory=dict)
    # (level, id, measure) -> the previous edition's result, of a changed measure, that this
    # edition may quote (last_edition_shown)
    last_edition: dict[tuple[str, str, str], float] = field(default_factory=dict)

    def reference(self, measure_id: str, peers: Peers | None) -> dict[str, dict] | None:
        """Return the series a peer group's results are judged against (stats.peer_label): the
        program's row of their CP type for typed CPs, else the whole program's (None if absent)."""
        if peers is not None and peers.typed:
            return self.type_series.get((measure_id, peers.group))
        return self.series.get(("program", "ALL", measure_id))

    def current(self, level: str, entity_id: str, measure_id: str) -> dict | None:
        """Return the published period's stratum-'all' record, or None."""
        return self.series.get((level, entity_id, measure_id), {}).get(self.site.period_id)

    def entity(self, level: str, entity_id: str) -> Entity | None:
        """Return the entity with this id at this level, or None."""
        return self._by_id.get((level, entity_id))

    def peer_sets(self, level: str) -> list[Peers]:
        """Return the peer groups of a level's entities, every entity of the level first
        (only the ACOs, say, or the CPs of unknown type), then each CP type."""
        groups = {e.peer_group for e in self.entities.get(level, [])}
        return [Peers(level, g) for g in sorted(groups)]

    def members(self, peers: Peers) -> list[Entity]:
        """Return the entities of a peer group, in the level's order."""
        return [e for e in self.entities.get(peers.level, []) if e.peer_group == peers.group]

    def unrated_group(self, peers: Peers) -> bool:
        """Return True when a peer group has too few organisations for stars ever to be given
        (fewer than ratings.MIN_ENTITIES_RELATIVE) and none of them has any."""
        if peers not in self._unrated:
            self._unrated[peers] = self._too_few_to_rate(peers)
        return self._unrated[peers]

    def _too_few_to_rate(self, peers: Peers) -> bool:
        sizes = self.site.peer_sizes
        if sizes is None:
            size = len(self.members(peers))
        else:
            size = sizes.get((peers.level, peers.group), 0)
        if size >= ratings.MIN_ENTITIES_RELATIVE:
            return False
        ids = {e.entity_id for e in self.members(peers)}
        return not any(
            lv == peers.level and eid in ids and not missing(v)
            for (lv, eid, _), v in self.stars.items()
        )

    def __post_init__(self) -> None:
        self._by_id = {(e.level, e.entity_id): e for es in self.entities.values() for e in es}
        self._unrated: dict[Peers, bool] = {}


def gather(site: SiteInput) -> SiteModel:
    """Return the SiteModel: public view, series by entity and measure, entities, stars."""
    global _SMALL_COUNTS_SHOWN
    _SMALL_COUNTS_SHOWN = site.small_counts
    specs = {s.id: s for s in site.specs}
    public = site.published
    if public is None:
        public = published_rows(site.results, site.period_id, specs, site.small_counts)
    periods, period_end = _periods(public, site.period_id)
    return SiteModel(
        site=site,
        public=public,
        specs=specs,
        periods=periods,
        period_end=period_end,
        entities=_entities(public, site.organizations, site.period_id),
        series=_series(public),
        strata=_strata(public, site.period_id),
        stars=_summary_stars(site.summary, site.period_id),
        benchmarks=_benchmarks(site.benchmarks, site.period_id),
        reasons=reason_texts(),
        tiers=_entity_tiers(site.summary, site.period_id, site.tiers),
        rewards=_entity_rewards(site.summary, site.period_id),
        rated_counts=_rated_counts(site.summary, site.period_id),
        withheld=_withheld_summaries(site.summary, site.period_id),
        type_series=_type_series(public),
        last_edition=last_edition_shown(site.last_edition, site.small_counts),
    )


def published_rows(
    results: pd.DataFrame,
    period_id: str,
    specs: dict[str, MeasureSpec],
    small_counts: bool = False,
) -> pd.DataFrame:
    """Return the rows an edition's pages, charts and downloads are made from (public_view):
    periods up to the published one, measures with a spec, breakdowns of the published period
    only. `small_counts`: counts of 1 to 10 are kept (the internal edition)."""
    public = _known_measures(_up_to(public_view(results, small_counts), period_id), specs)
    # the program's rows by CP type, every period: typed CPs' charts draw them (Peers.line_name)
    by_type = (public["level"] == "program") & (public["stratum"] == "cp_type")
    return public[(public["stratum"] == "all") | (public["period_id"] == period_id) | by_type]


def _up_to(public: pd.DataFrame, period_id: str) -> pd.DataFrame:
    ends = pd.to_datetime(public["period_end"])
    published = ends[public["period_id"] == period_id]
    if published.empty:
        raise ValueError(f"no results for the published period {period_id!r}")
    return public[ends <= published.max()].copy()


def _known_measures(public: pd.DataFrame, specs: dict[str, MeasureSpec]) -> pd.DataFrame:
    unknown = sorted(set(public["measure_id"].unique()) - set(specs))  # unique: one Arrow pass
    if unknown:
        log.warning("results for measures without a spec are not shown: %s", unknown)
    return public[public["measure_id"].isin(specs)]


def _periods(public: pd.DataFrame, period_id: str) -> tuple[list[str], str]:
    ends = public.groupby("period_id")["period_end"].max().reset_index()
    ends = ends.sort_values(["period_end", "period_id"])
    periods = [str(p) for p in ends["period_id"]]
    end = ends.loc[ends["period_id"] == period_id, "period_end"]
    return periods, date_label(end.iloc[0]) if len(end) else ""


def peer_group_sizes(results: pd.DataFrame, period_id: str) -> dict[tuple[str, str], int]:
    """Return (level, peer group) -> how many organisations have a result in the period
    (stratum all, shown or not): the size of each group stars would compare."""
    rows = results[
        (results["period_id"] == period_id)
        & (results["level"] != "program")
        & (results["stratum"] == "all")
    ]
    groups = pd.Series(peer_group_of(rows), index=rows.index).astype(str)
    sizes = rows.assign(_group=groups).groupby(["level", "_group"])["entity_id"].nunique()
    return {(str(lv), str(g)): int(n) for (lv, g), n in sizes.items()}


def _entities(public: pd.DataFrame, orgs: pd.DataFrame, period_id: str) -> dict[str, list[Entity]]:
    now = public[(public["period_id"] == period_id) & (public["level"].isin(LEVELS))]
    orgs = orgs.drop_duplicates("org_id")
    orgs = orgs.set_index(orgs["org_id"].astype(str))
    names = orgs["org_name"].astype(str).to_dict()
    found: dict[str, list[Entity]] = {level: [] for level in LEVELS}
    pairs = now[["level", "entity_id"]].drop_duplicates()
    rows = dict(zip(orgs.index, orgs.to_dict("records"), strict=True))
    groups = _peer_groups(now)
    for level, entity_id in pairs.itertuples(index=False):
        detail = _entity_detail(level, str(entity_id), rows, names)
        name = names.get(str(entity_id), str(entity_id))
        group = groups.get((level, str(entity_id)), "")
        found[level].append(Entity(level, str(entity_id), name, slug(entity_id), detail, group))
    for level, items in found.items():
        found[level] = sorted(items, key=lambda e: (e.name.lower(), e.entity_id))
        _check_unique_slugs(found[level])
    return found


def _peer_groups(now: pd.DataFrame) -> dict[tuple[str, str], str]:
    """Return (level, entity_id) -> peer group of the entities with one (stats.PEER_GROUP)."""
    headline = now[now["stratum"] == "all"]
    groups = peer_group_of(headline)
    named = headline.loc[groups != "", ["level", "entity_id"]].astype(str)
    keys = zip(named["level"], named["entity_id"], strict=True)
    return dict(zip(keys, groups[groups != ""], strict=True))


def _entity_detail(level: str, entity_id: str, orgs: dict[str, dict], names: dict) -> str:
    row = orgs.get(entity_id)
    if row is None:
        return ""
    if level == "cp" and not missing(row.get("cp_type")):
        return str(row["cp_type"])
    parent = row.get("parent_org_id")
    return names.get(str(parent), "") if level == "practice" and not missing(parent) else ""


def _check_unique_slugs(entities: list[Entity]) -> None:
    seen: dict[str, str] = {}
    for entity in entities:
        key = entity.slug.lower()  # pages must differ on case-insensitive file systems too
        if seen.setdefault(key, entity.entity_id) != entity.entity_id:
            raise ValueError(f"ids {seen[key]!r} and {entity.entity_id!r} share a page name")


def records(frame: pd.DataFrame) -> list[dict]:
    """Return the rows of a frame as dicts, like frame.to_dict("records") but several times
    faster on large frames (the same values: Python scalars, None for pd.NA)."""
    columns = [str(c) for c in frame.columns]
    values = [_column_values(frame[c]) for c in frame.columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


def _column_values(column: pd.Series) -> list:
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "fiub":
        return column.tolist()
    # ids, labels and dates repeat: box each distinct value once (Timestamps are slow to make)
    codes, uniques = pd.factorize(column, use_na_sentinel=False)
    boxed = [None if v is pd.NA else v for v in uniques.tolist()]
    return [boxed[c] for c in codes.tolist()]


# The columns of the records in SiteModel.series: the measure's own attributes (kind, unit,
# decimals...) are on its spec, and 900,000 records of a large site are built one by one.
SERIES_COLUMNS = (
    *("measure_id", "period_id", "level", "entity_id", "stratum", "stratum_value"),
    *("numerator", "denominator", "value", "lower", "upper", "suppressed", "suppression_reason"),
    *("stars", "star_note", "peer_group", "peer_label", "trend_label", "open_gaps"),
)


def _series_by(rows: pd.DataFrame, key: Callable[[dict], tuple]) -> dict[tuple, dict[str, dict]]:
    """Return key(record) -> period -> record, over `rows` (SERIES_COLUMNS)."""
    series: dict[tuple, dict[str, dict]] = defaultdict(dict)
    for record in records(rows[list(SERIES_COLUMNS)]):
        series[key(record)][str(record["period_id"])] = record
    return dict(series)


def _series(public: pd.DataFrame) -> dict[tuple[str, str, str], dict[str, dict]]:
    """Return (level, entity, measure) -> period -> the stratum-'all' row."""
    overall = public[public["stratum"] == "all"]
    return _series_by(overall, lambda r: (r["level"], str(r["entity_id"]), r["measure_id"]))


def _type_series(public: pd.DataFrame) -> dict[tuple[str, str], dict[str, dict]]:
    """Return (measure, CP type) -> period -> the program's row of that CP type."""
    rows = public[(public["level"] == "program") & (public["stratum"] == "cp_type")]
    return _series_by(rows, lambda r: (r["measure_id"], str(r["stratum_value"])))


def _strata(public: pd.DataFrame, period_id: str) -> dict[str, list[dict]]:
    rows = public[(public["level"] == "program") & (public["period_id"] == period_id)]
    rows = rows[rows["stratum"] != "all"].sort_values(["measure_id", "stratum", "stratum_value"])
    strata: dict[str, list[dict]] = defaultdict(list)
    for record in rows.to_dict("records"):
        strata[record["measure_id"]].append(record)
    return dict(strata)


def _summary_stars(summary: pd.DataFrame, period_id: str) -> dict[tuple[str, str, str], float]:
    now = summary[summary["period_id"] == period_id]
    keys = zip(now["level"], now["entity_id"].astype(str), now["family"], strict=True)
    return dict(zip(keys, now["stars"], strict=True))


def _rated_counts(
    summary: pd.DataFrame, period_id: str
) -> dict[tuple[str, str, str], tuple[int, int]]:
    """Return (level, entity_id, family) -> (n_rated, n_measures) of the published period."""
    now = summary[summary["period_id"] == period_id]
    if not {"n_rated", "n_measures"} <= set(now.columns):
        return {}
    keys = zip(now["level"], now["entity_id"].astype(str), now["family"], strict=True)
    counts = zip(now["n_rated"].astype(int), now["n_measures"].astype(int), strict=True)
    return dict(zip(keys, counts, strict=True))


def _withheld_summaries(summary: pd.DataFrame, period_id: str) -> set[tuple[str, str, str]]:
    """Return (level, entity_id, family) of the published period's ratings the edition leaves
    blank so as not to give hidden results away (summary `note`: audience.SUMMARY_HIDDEN)."""
    if "note" not in summary.columns:
        return set()
    now = summary[(summary["period_id"] == period_id) & (summary["note"] == SUMMARY_HIDDEN)]
    return set(zip(now["level"], now["entity_id"].astype(str), now["family"], strict=True))


def given_reward(record: Mapping[str, Any]) -> float | None:
    """Return the reward factor included in a summary row's stars: only on a rated overall
    row that was given one (more than 0), else None."""
    reward = record.get("reward")
    if record.get("family") != "overall" or missing(record.get("stars")) or missing(reward):
        return None
    return float(reward) if float(reward) > 0 else None


def _entity_rewards(summary: pd.DataFrame, period_id: str) -> dict[tuple[str, str], float]:
    """Return (level, entity_id) -> the reward factor in its overall stars, for the published
    period's entities given one ({} when the summary has no reward column)."""
    if "reward" not in summary.columns:
        return {}
    now = summary[(summary["period_id"] == period_id) & (summary["family"] == "overall")]
    out = {}
    for record in now[["level", "entity_id", "family", "stars", "reward"]].to_dict("records"):
        reward = given_reward(record)
        if reward is not None:
            out[(str(record["level"]), str(record["entity_id"]))] = reward
    return out


def _entity_tiers(
    summary: pd.DataFrame, period_id: str, tiers: list[dict]
) -> dict[tuple[str, str], dict]:
    """Return (level, entity_id) -> its tier (a tier of `tiers`, plus `average`: the one the
    tier is read from, before any reward, ratings.average_before_reward; and `reward`, 0 for
    none), for the published period's overall rows that have one; {} when there are no
    tiers."""
    if not tiers or "tier" not in summary.columns:
        return {}
    by_name = {str(t["name"]): t for t in tiers}
    now = summary[
        (summary["period_id"] == period_id)
        & (summary["family"] == "overall")
        & summary["tier"].notna()
    ]
    average = (
        ratings.average_before_reward(now)
        if "average" in now.columns
        else pd.Series(float("nan"), now.index)
    )
    reward = now["reward"].fillna(0.0) if "reward" in now.columns else pd.Series(0.0, now.index)
    out = {}
    for level, entity_id, name, mean, extra in zip(
        now["level"], now["entity_id"].astype(str), now["tier"], average, reward, strict=True
    ):
        if str(name) in by_name:
            out[(str(level), entity_id)] = {
                **by_name[str(name)],
                "average": mean,
                "reward": float(extra),
            }
    return out


def _benchmarks(benchmarks: pd.DataFrame, period_id: str) -> dict[tuple[str, str, str], dict]:
    """Return (measure_id, level, peer group) -> the published period's benchmark row."""
    now = benchmarks[benchmarks["period_id"] == period_id]
    keys = zip(now["measure_id"], now["level"], peer_group_of(now), strict=True)
    return dict(zip(keys, now.to_dict("records"), strict=True))


# ---------------------------------------------------------------- rows, charts and page contexts


@dataclass(frozen=True)
class ResultRow:
    """One result, formatted for a table cell by cell."""

    title: str
    link: str
    entity: str
    entity_link: str
    shown: bool
    result: str
    interval: str
    counts: str
    stars: Markup
    peer: str
    trend: Markup
    gaps: str = ""  # open care gaps in words ('1,234 members'), care-gap measures only


def format_gaps(value: object, unit: str) -> str:
    """Return open care gaps with what they count: '1,234 members', '520 discharges' ('' when
    missing or from 1 to 10). The counted units are the words after 'of' in the unit."""
    count = format_count(value)
    if not count:
        return ""
    words = unit_marks(unit)[2]
    words = words[3:] if words.startswith("of ") else words
    return f"{count} {words}".strip()


def result_row(
    model: SiteModel, record: dict, page: str, entity: Entity | None = None
) -> ResultRow:
    """Return a formatted row; a hidden result shows only the reason, in words, as its result."""
    spec = model.specs[record["measure_id"]]
    unit, decimals = spec.unit, spec.decimals
    shown = not bool(record["suppressed"])
    reason = model.reasons.get(str(record["suppression_reason"]), DEFAULT_REASON)
    value = format_value(record["value"], unit, decimals) if shown else reason
    interval = format_interval(record["lower"], record["upper"], unit, decimals)
    counts = format_counts(record["numerator"], record["denominator"], spec.kind, unit)
    trend = trend_html(str(record["trend_label"]), spec.window)
    if shown and spec is views.member_spec(model):
        # the member count: its value is always 100% (members over members), its count is
        # the result; no likely range, counts or change of a value that cannot change
        value = f"{format_count(record['denominator'])} {unit}"
        interval = counts = ""
        trend = Markup("")
    return ResultRow(
        title=spec.text("en").title,
        link=rel(page, f"measures/{spec.id}.md"),
        entity=entity.name if entity else "",
        entity_link=rel(page, entity.page) if entity else "",
        shown=shown,
        result=value,
        interval=interval if shown else "",
        counts=counts if shown else "",
        stars=(
            stars_html(record["stars"], _star_note(model, record))
            if spec.stars.method != "none"
            else _information_html()
        ),
        peer=PEER_TEXT.get(str(record["peer_label"]), ""),
        trend=trend,
        gaps=format_gaps(record.get("open_gaps"), unit) if shown else "",
    )


@dataclass(frozen=True)
class Chart:
    """A figure to embed: its id, JSON, text summary and a data table alternative."""

    figure_id: str
    json: Markup
    height: int
    summary: str
    headers: tuple[str, ...]
    rows: list[tuple[str, ...]]
    note: str = ""  # above the data table (window_note of a trend)

    @property
    def shown(self) -> bool:
        """Return True when the chart's own series has at least one value to draw."""
        return any(row[1] != NOT_SHOWN for row in self.rows)


def trend_chart(model: SiteModel, spec: MeasureSpec, entity: Entity | None) -> Chart:
    """Return the trend chart of one measure for an entity (or the program) and the program."""
    series, values, cells = _trend_series(model, spec, entity)
    program = series[1]
    drawing = _trend_drawing(model, spec, entity, series, values, cells)
    shared = drawing.shared
    ranges = trend_ranges(spec, series)
    columns = [cells, *([ranges] if ranges else [])]
    columns += [shared["program_cells"]] if program is not None else []
    band_header, band_cells = shared["band_columns"]
    line = (shared["program_name"],) if program else ()
    headers = ("Period", drawing.name, *(("Likely range",) if ranges else ()), *line, *band_header)
    columns += [band_cells] if band_cells else []
    labels = shared["labels"]
    rows = [(label, *(c[i] or NOT_SHOWN for c in columns)) for i, label in enumerate(labels)]
    figure_id = Markup(f"trend-{spec.id}")
    note = window_note(spec, "row")
    return Chart(figure_id, drawing.json, drawing.height, drawing.summary, headers, rows, note)


def trend_figure_html(model: SiteModel, spec: MeasureSpec, entity: Entity | None) -> Markup | None:
    """Return the trend chart of a measure on a scorecard (the program's on the home page) as
    its HTML figure, with its data table tidied (views.tidy_table) and its title: the bytes of
    chart_html(chart, title, tidy_table(chart)) for the chart trend_chart returns, or None when
    that chart would not be shown. The data table's cells the entities of a level share
    (periods, the program, the peers' band) are made into HTML once per measure and level."""
    series, values, cells = _trend_series(model, spec, entity)
    if not any(cells):
        return None
    drawing = _trend_drawing(model, spec, entity, series, values, cells)
    table = _trend_table(drawing.shared, series[1] is not None)
    header, own = views.tidy_column(drawing.name, [c or NOT_SHOWN for c in cells])
    head = f'<tr><th scope="col">Period</th><th scope="col">{_escaped(header)}</th>'
    range_header, ranges = views.tidy_column("Likely range", trend_ranges(spec, series))
    if ranges:  # the likely range drawn around each point, as the results table writes it
        head += f'<th scope="col">{_escaped(range_header)}</th>'
        own = [f"{_escaped(c)}</td><td>{_escaped(r)}" for c, r in zip(own, ranges, strict=True)]
    else:
        own = [_escaped(c) for c in own]
    head += table["head"]
    before, after = table["rows"]
    body = "".join(f"{a}{c}{b}" for a, c, b in zip(before, own, after, strict=True))
    note = window_note(spec, "row")
    chart = Chart(Markup(f"trend-{spec.id}"), drawing.json, drawing.height, "", (), [], note)
    return _figure_html(chart, spec.text("en").title, drawing.summary, head, body)


def trend_ranges(spec: MeasureSpec, series: tuple[dict, dict | None, list[str]]) -> list[str]:
    """Return the likely range of each point of a trend chart's own line ('a to b', as the
    results table writes it; NOT_SHOWN where there is none), or [] when it has none at all."""
    mine, _, periods = series
    lower, upper = _pick(mine, periods, "lower"), _pick(mine, periods, "upper")
    ranges = [
        format_interval(lo, hi, spec.unit, spec.decimals)
        for lo, hi in zip(lower or [], upper or [], strict=True)
    ]
    return [r or NOT_SHOWN for r in ranges] if any(ranges) else []


def _trend_series(
    model: SiteModel, spec: MeasureSpec, entity: Entity | None
) -> tuple[tuple[dict, dict | None, list[str]], list | None, list[str]]:
    """Return a trend chart's series (the entity's, the program's (None on the program's own
    chart) and the periods either has), the entity's values and those values formatted."""
    level, entity_id = (entity.level, entity.entity_id) if entity else ("program", "ALL")
    mine = model.series.get((level, entity_id, spec.id), {})
    program = model.reference(spec.id, entity.peers) if entity else None
    periods = [p for p in model.periods if p in mine or p in (program or {})]
    values = _pick(mine, periods, "value")
    return (mine, program, periods), values, _formatted(spec, values)  # type: ignore[arg-type]


class _TrendDrawing(NamedTuple):
    shared: dict  # what the level's charts of the measure share (_trend_shared)
    name: str  # of the entity's line
    json: Markup  # the figure
    height: int
    summary: str  # the caption's sentences


def _trend_drawing(
    model: SiteModel,
    spec: MeasureSpec,
    entity: Entity | None,
    series: tuple[dict, dict | None, list[str]],
    values: list | None,
    cells: list[str],
) -> _TrendDrawing:
    """Return the figure and caption of a trend chart (`cells`: its own values formatted)."""
    mine, program, periods = series
    shared = _trend_shared(model, spec, entity.peers if entity else None, tuple(periods))
    name = entity.name if entity else "Whole program"
    figure = charts.trend_figure(
        shared["labels"],
        values,  # type: ignore[arg-type]
        shared["program_values"] if program is not None else None,
        entity_name=name,
        unit=spec.unit,
        decimals=spec.decimals,
        lower=_pick(mine, periods, "lower"),
        upper=_pick(mine, periods, "upper"),
        band=shared["band"],
        band_name=shared["band_name"],
        program_name=shared["program_name"],
        shared=shared["figure"],
        text=cells,
        program_text=shared["program_cells"] if program is not None else None,
        x_title=window_note(spec),
    )
    subject = name if entity else "the whole program"
    program_cells = shared["program_cells"] if program else None
    summary = charts.trend_summary(
        shared["labels"], cells, program_cells, subject, shared["program_name"]
    )
    summary += shared["band_sentence"]
    figure_json = Markup(charts.figure_json(figure, shared["json"]))
    return _TrendDrawing(shared, name, figure_json, _height(figure), summary)


def _trend_table(shared: dict, with_program: bool) -> dict:
    """Return the HTML of a trend chart's data table around the entity's own column: the
    headers after it and, for each row, the HTML before and after its cell."""
    key = ("table", with_program)
    if key not in shared:
        labels = shared["labels"]
        columns = [(shared["program_name"], shared["program_cells"])] if with_program else []
        band_header, band_cells = shared["band_columns"]
        columns += [(band_header[0], band_cells)] if band_cells else []
        tidied = [views.tidy_column(h, [c or NOT_SHOWN for c in cs]) for h, cs in columns]
        head = "".join(f'<th scope="col">{_escaped(h)}</th>' for h, _ in tidied)
        after = [
            "</td>" + "".join(f"<td>{_escaped(cs[i])}</td>" for _, cs in tidied) + "</tr>\n"
            for i in range(len(labels))
        ]
        before = [f'<tr><th scope="row">{_escaped(label)}</th><td>' for label in labels]
        shared[key] = {"head": f"{head}</tr>", "rows": (before, after)}
    return shared[key]


def _trend_shared(model: SiteModel, spec: MeasureSpec, peers: Peers | None, periods: tuple) -> dict:
    """Return what the trend charts of a measure share across the entities of a peer group
    (None for the program's own chart): period labels, the program's line and the peers' band."""
    cache = model.__dict__.setdefault("_sc_trend_shared", {})
    key = (spec.id, peers, periods)
    if key not in cache:
        labels = [period_label(p) for p in periods]
        program = model.reference(spec.id, peers)
        program_values = _pick(program, list(periods), "value")
        band, band_name = (
            views.trend_band(model, spec, peers, list(periods)) if peers else (None, "")
        )
        cache[key] = {
            "labels": labels,
            "program_values": program_values,
            "program_cells": _formatted(spec, program_values) if program_values else [],
            "program_name": peers.line_name if peers else "Whole program",
            "band": band,
            "band_name": band_name,
            "band_sentence": views.band_sentence(spec, band, labels, peers),
            "band_columns": views.band_columns(spec, band),
            "figure": {},  # what the charts share (charts.trend_figure)
            "json": {},  # and its JSON (charts.figure_json)
        }
    return cache[key]


def _pick(series: dict[str, dict] | None, periods: list[str], key: str) -> list | None:
    return None if series is None else [series.get(p, {}).get(key) for p in periods]


def _formatted(spec: MeasureSpec, values: list) -> list[str]:
    return [format_value(v, spec.unit, spec.decimals) for v in values]


def ranked_chart(model: SiteModel, spec: MeasureSpec, peers: Peers, rows: list[dict]) -> Chart:
    """Return the ranked chart of one measure across the entities of a peer group."""
    names = [model.entity(peers.level, str(r["entity_id"])).name for r in rows]  # type: ignore[union-attr]
    values = [r["value"] for r in rows]
    reference = reference_value(model, spec, peers)
    shown = _formatted(spec, values)
    figure = charts.ranked_figure(
        names,
        values,
        unit=spec.unit,
        decimals=spec.decimals,
        higher_is_better=spec.direction == "higher_is_better",
        reference=reference,
        reference_name=peers.line_name,
        lower=[r["lower"] for r in rows],
        upper=[r["upper"] for r in rows],
        band=views.current_band(model, spec, peers),
        band_name=f"Middle half of {peers.words}",
        text=shown,
    )
    summary = charts.ranked_summary(names, shown, values, peers.words)
    summary += charts.line_summary(peers.line_name, _line_value(spec, reference))
    ranges = [format_interval(r["lower"], r["upper"], spec.unit, spec.decimals) for r in rows]
    table = [(n, s, i) for n, s, i in zip(names, shown, ranges, strict=True) if s]
    chart_json = Markup(charts.figure_json(figure))
    figure_id = Markup(f"ranked-{peers.key}")
    headers = ("Name", "Result", "Likely range")
    return Chart(figure_id, chart_json, _height(figure), summary, headers, table)


def _star_note(model: SiteModel, record: dict) -> str:
    """Return a result's star note, 'small_group' for a peer group too small ever to be rated
    (SiteModel.unrated_group) rather than "no stars ... this time"."""
    note = str(record.get("star_note") or "")
    if note == "few_entities" and record["level"] in LEVELS:
        peers = Peers(str(record["level"]), str(record.get("peer_group") or ""))
        if model.unrated_group(peers):
            return "small_group"
    return note


def reference_value(model: SiteModel, spec: MeasureSpec, peers: Peers) -> float | None:
    """Return the value of a peer group's reference line in the published period (the result
    its results are judged against, Peers.line_name), or None when it is hidden or absent:
    no line is drawn then."""
    row = (model.reference(spec.id, peers) or {}).get(model.site.period_id)
    if not row or bool(row.get("suppressed")) or missing(row.get("value")):
        return None
    return float(row["value"])


def _line_value(spec: MeasureSpec, reference: float | None) -> str:
    return "" if reference is None else format_value(reference, spec.unit, spec.decimals)


def _height(figure: dict) -> int:
    return int(figure["layout"].get("height", 300))


def _family_sections(model: SiteModel, entity: Entity | None, page: str) -> list[dict]:
    level, entity_id = (entity.level, entity.entity_id) if entity else ("program", "ALL")
    # the member count is no result (always 100%): the page states it, with its groups
    counted = views.member_spec(model)
    sections = []
    for family in FAMILY_ORDER:
        specs = [
            s
            for s in model.specs.values()
            if s.family == family and level in s.levels and s is not counted
        ]
        records = [(s, model.current(level, entity_id, s.id)) for s in specs]
        records = [(s, r) for s, r in records if r is not None]
        if not records:
            continue
        rows = [result_row(model, r, page) for _, r in records]
        trend = [trend_figure_html(model, s, entity) for s, _ in records]
        trend = [figure for figure in trend if figure is not None]  # None: no value to draw
        rated = level != "program" and any(s.stars.method != "none" for s in specs)
        gaps = any(is_care_gap_measure(s) for s, _ in records)
        stars = model.stars.get((level, entity_id, family))
        sections.append(
            {
                "family": family,
                "title": family_title(family),
                "rows": rows,
                "charts": trend,
                "stars": stars_html(stars),
                "basis": views.rating_basis(model, (level, entity_id, family), "en"),
                "rated": rated,
                "informational": rated and any(s.stars.method == "none" for s, _ in records),
                "gaps": gaps,
                "changed": changed_notes(model, [s for s, _ in records], entity, page)
                if entity
                else [],
            }
        )
    return sections


def _common(model: SiteModel, page: str) -> dict[str, Any]:
    site = model.site
    return {
        "program_name": site.program_name,
        "period": period_label(site.period_id),
        "period_end": model.period_end,
        "link": lambda target: rel(page, target),
        "level_plural": LEVEL_PLURAL,
        "has_tiers": bool(model.tiers),
        "has_cp_summary": bool(model.entities["cp"]),  # a partner ACO's edition has no CPs
    }


def home_context(model: SiteModel) -> dict[str, Any]:
    """Return the context of the home page: counts, headline results, links."""
    page = "index.md"
    counts = [(LEVEL_PLURAL[lv], len(model.entities[lv]), f"{lv}/index.md") for lv in LEVELS]
    counted = views.member_spec(model)
    members = model.current("program", "ALL", counted.id) if counted else None
    months = model.current("program", "ALL", views.MEMBER_MONTHS_MEASURE)
    return {
        **_common(model, page),
        "counts": counts,
        "members": "" if members is None else format_count(members["denominator"]),
        "members_any_month": "" if months is None else format_count(months["denominator"]),
        "member_months": "" if months is None else format_count(months["numerator"]),
        "families": _family_sections(model, None, page),
    }


def level_context(model: SiteModel, level: str) -> dict[str, Any]:
    """Return the context of a level's index: a row per entity with its stars, in one table per
    peer group (index_sections): a BH CP's stars are not comparable with an LTSS CP's."""
    page = f"{level}/index.md"
    families = _rated_families(model, level)
    extras = views.level_extras(model, level)
    plain = dict(zip((e.entity_id for e in model.entities[level]), extras["plain"], strict=True))
    sections = index_sections(model, level)
    grouped = any(section["title"] for section in sections)
    detail, also = ("", "") if grouped else INDEX_DETAIL.get(level, ("", ""))
    for section in sections:
        section["rows"] = [
            {
                "name": e.name,
                "link": rel(page, e.page),
                "detail": e.detail,
                "stars": [_summary_stars_html(model, (level, e.entity_id, f)) for f in families],
                "tier": _tier_label(model, level, e.entity_id),
                "tier_rank": _tier_rank(model, level, e.entity_id),
                "plain": plain[e.entity_id],
            }
            for e in section.pop("entities")
        ]
    return {
        **_common(model, page),
        **extras,
        "level": level,
        "sections": sections,
        "rows": [row for section in sections for row in section["rows"]],
        "grouped": grouped,
        "has_tiers": families[:1] == ["overall"] and views.level_has_tiers(model, level),
        "partner_edition": str(model.site.manifest.get("audience", "")).startswith("partner:"),
        "detail_header": detail,
        "family_titles": [family_title(f) for f in families],
        "filter_label": LEVEL_FIND[level] + (f" or {also}" if also else ""),
    }


def index_sections(model: SiteModel, level: str) -> list[dict[str, Any]]:
    """Return the sections of a level's index: title, note and entities of each peer group, the
    CP types first (BH, LTSS, as CP_TYPE_NAMES orders them) and those of no known type last;
    one section without a title when the level has one group (ACOs, practices, CPs all of
    one pool)."""
    peer_sets = model.peer_sets(level)
    if len(peer_sets) == 1 and not peer_sets[0].typed:
        return [{"title": "", "note": "", "entities": model.members(peer_sets[0])}]
    known = list(CP_TYPE_NAMES)
    ordered = sorted(
        peer_sets,
        key=lambda p: (not p.group, known.index(p.group) if p.group in known else len(known)),
    )
    sections = []
    for peers in ordered:
        if peers.group and model.unrated_group(peers):
            title = peers.words
            note = (
                f"There are too few {peers.words} to compare them with one another, so none "
                'of them is given stars: "Not rated" here says so, not that data was missing.'
            )
        elif peers.group:
            title = peers.words
            note = (
                f"Each of these is compared only with the other {peers.words}: its stars say "
                "how it does among them."
            )
        else:
            title = f"{LEVEL_PLURAL[level]} of no known type"
            note = (
                f"The type of these {LEVEL_PLURAL[level]} is not known, so each is compared with "
                f"every {LEVEL_SINGULAR[level]}."
            )
        sections.append({"title": title, "note": note, "entities": model.members(peers)})
    return sections


def _tier_rank(model: SiteModel, level: str, entity_id: str) -> str:
    """Return what an entity's tier sorts by on the level index (tables.js): its average
    stars (else the tier's lowest average; a higher tier sorts first), or '' (last) without."""
    tier = model.tiers.get((level, entity_id))
    if tier is None:
        return ""
    average = tier.get("average")
    return f"{float(tier['min_stars'] if missing(average) else average):g}"


def _tier_label(model: SiteModel, level: str, entity_id: str) -> str:
    """Return an entity's incentive tier for the level index: its name and the unrounded
    average that decides it ('Tier 3 · average 4.13': two entities with the same stars can be
    in different tiers), 'Not rated' without an overall rating, or 'None' when its average is
    below every tier."""
    tier = model.tiers.get((level, entity_id))
    if tier is not None:
        average = tier.get("average")
        name = str(tier["name"])
        return name if missing(average) else f"{name} · average {views.two_places_down(average)}"
    if (level, entity_id, "overall") in model.withheld:
        return i18n.t("en", "summary_hidden_words")
    return "Not rated" if missing(model.stars.get((level, entity_id, "overall"))) else "None"


def _summary_stars_html(model: SiteModel, key: tuple[str, str, str]) -> Markup:
    """Return stars_html of a summary rating, saying why when this edition leaves it blank."""
    return stars_html(model.stars.get(key), SUMMARY_HIDDEN if key in model.withheld else "")


def _rated_families(model: SiteModel, level: str) -> list[str]:
    present = {f for (lv, _, f) in model.stars if lv == level}
    return [f for f in ("overall", *FAMILY_ORDER) if f in present]


def entity_context(model: SiteModel, entity: Entity) -> dict[str, Any]:
    """Return the context of one entity's scorecard page."""
    page = entity.page
    overall = model.stars.get((entity.level, entity.entity_id, "overall"))
    return {
        **_common(model, page),
        "entity": entity,
        "overall": stars_html(overall),
        "kind": LEVEL_SINGULAR[entity.level],
        "peers": entity.peers.words,
        "level_peers": LEVEL_PEERS[entity.level],
        "peer_note": peer_note(entity.peers),
        "unrated": model.unrated_group(entity.peers),
        "compare": entity.peers.compare_header(),
        "index": rel(page, f"{entity.level}/index.md"),
        "csv": rel(page, entity.csv),
        "csv_columns": rel(page, "downloads/results_columns.csv"),
        "csv_measures": rel(page, "downloads/measures.csv"),
        "families": _family_sections(model, entity, page),
        **views.entity_extras(model, entity, page),
    }


def peer_note(peers: Peers) -> str:
    """Return why a CP is compared only with CPs of its own type ('' for other peers)."""
    if not peers.group:
        return ""
    kinds = " and ".join(CP_TYPE_NAMES.values())
    return (
        f"{kinds} Community Partners help different members, so this Community Partner is "
        f"compared only with the other {peers.words}: its stars, the band and the column "
        f'"{peers.compare_header()}".'
    )


def measure_context(model: SiteModel, spec: MeasureSpec) -> dict[str, Any]:
    """Return the context of one measure's page: definition, results by level, trend."""
    page = f"measures/{spec.id}.md"
    program = model.current("program", "ALL", spec.id)
    counted = spec is views.member_spec(model)  # a count, not a result to chart (always 100%)
    return {
        **_common(model, page),
        "spec": spec,
        "text": spec.text("en"),
        "direction": DIRECTION_TEXT[spec.direction],
        "small_cell_max": methodology.constants()["small_cell_max"],
        "public": _public_edition(model),
        "fewest_words": denominator_words(spec.kind, spec.unit),
        "program": result_row(model, program, page) if program else None,
        "gaps": is_care_gap_measure(spec),
        "trend": trend_chart(model, spec, None) if program and not counted else None,
        "changed": definition_changes(model, page).get(spec.id),
        "strata": _strata_rows(model, spec, page),
        "levels": [s for lv in LEVELS for s in _level_sections(model, spec, lv, page)],
        **views.measure_extras(model, spec, page),
    }


def definition_changes(model: SiteModel, page: str) -> dict[str, dict[str, Any]]:
    """Return measure_id -> how its definition changed since the previous edition, as the
    manifest records it (build.changed_since_previous; {} for a first edition): the versions
    `from` and `to`, that edition (`previous`, e.g. '2025 Q3'), links from `page` to this
    measure's page (`href`) and to its page there (`previous_href`), the title and the
    sentences of the spec's method saying what changed (`notes`)."""
    manifest = model.site.manifest
    previous = str(manifest.get("previous_edition") or "")
    changes = {}
    for change in manifest.get("changed_since_previous") or []:
        spec = model.specs.get(str(change.get("measure_id")))
        if spec is None or not previous:
            continue
        since = change.get("from")
        measure_page = f"measures/{spec.id}.md"
        up = "../" * (page.count("/") + 1)  # from the page to the site root above the edition
        changes[spec.id] = {
            "from": since,
            "to": change.get("to"),
            "previous": period_label(previous),
            "title": spec.text("en").title,
            "href": rel(page, views.html_path(measure_page)),
            "previous_href": f"{up}{previous}/{views.html_path(measure_page)}",
            "notes": change_notes(spec, int(since)) if isinstance(since, int) else [],
            "last": last_edition_value(model, "program", "ALL", spec),
        }
    return dict(sorted(changes.items(), key=lambda item: item[1]["title"]))


def last_edition_shown(
    last_edition: pd.DataFrame | None, small_counts: bool = False
) -> dict[tuple[str, str, str], float]:
    """Return (level, entity_id, measure_id) -> the result the previous edition published (its
    rows in `last_edition`, SiteInput.last_edition) of those this edition may show: not hidden
    then, nor a proportion with a count of 1 to 10 on either side, which only an internal
    edition (`small_counts`) shows (hidden_rows). Made once a build, for every page."""
    if last_edition is None or last_edition.empty:
        return {}
    rows = last_edition.assign(
        **{k: v for k, v in (("level", "program"), ("entity_id", "ALL")) if k not in last_edition}
    )
    rows = rows[~hidden_rows(rows, small_counts).to_numpy()]
    values = pd.to_numeric(rows["value"], errors="coerce")
    keys = zip(rows["level"], rows["entity_id"], rows["measure_id"], values, strict=True)
    return {(str(lv), str(e), str(m)): float(v) for lv, e, m, v in keys if not missing(v)}


def last_edition_value(model: SiteModel, level: str, entity_id: str, spec: MeasureSpec) -> str:
    """Return the result the previous edition showed for `spec` and this entity (the program:
    'program', 'ALL'), in figures ('61.2%'), or '' when it has none this edition may show."""
    value = model.last_edition.get((level, entity_id, spec.id))
    return "" if value is None else format_value(value, spec.unit, spec.decimals)


def changed_ids(model: SiteModel) -> set[str]:
    """Return the measures whose definition changed since the previous edition (none in a
    first edition)."""
    manifest = model.site.manifest
    if not manifest.get("previous_edition"):
        return set()
    return {str(c.get("measure_id")) for c in manifest.get("changed_since_previous") or []}


def changed_notes(
    model: SiteModel, specs: list[MeasureSpec], entity: Entity, page: str
) -> list[dict[str, str]]:
    """Return, for each of an organisation's `specs` whose definition changed since the
    previous edition, the note below its results table: the measure's title and page
    (`href`), that edition (`previous`) and the organisation's result in it under the old
    rule (`last`, '' when it may not be shown)."""
    changed = changed_ids(model)
    previous = period_label(str(model.site.manifest.get("previous_edition") or ""))
    return [
        {
            "title": spec.text("en").title,
            "href": rel(page, views.html_path(f"measures/{spec.id}.md")),
            "previous": previous,
            "last": last_edition_value(model, entity.level, entity.entity_id, spec),
        }
        for spec in specs
        if spec.id in changed
    ]


def _strata_rows(model: SiteModel, spec: MeasureSpec, page: str) -> list[tuple]:
    records = model.strata.get(spec.id, [])
    return [(_stratum_title(r), r["stratum_value"], result_row(model, r, page)) for r in records]


def _stratum_title(record: dict) -> str:
    return STRATUM_TITLES.get(record["stratum"], str(record["stratum"]).replace("_", " "))


def _level_sections(model: SiteModel, spec: MeasureSpec, level: str, page: str) -> list[dict]:
    """Return the sections of a measure page for a level: one per peer group (the CPs of each
    type apart, as each is compared only with its own kind)."""
    if level not in spec.levels:
        return []
    sections = (_peers_section(model, spec, peers, page) for peers in model.peer_sets(level))
    return [s for s in sections if s]


def _peers_section(model: SiteModel, spec: MeasureSpec, peers: Peers, page: str) -> dict | None:
    pairs = [(e, model.current(peers.level, e.entity_id, spec.id)) for e in model.members(peers)]
    pairs = [(e, r) for e, r in pairs if r is not None]
    if not pairs:
        return None
    rows = [result_row(model, r, page, e) for e, r in pairs]
    bench = model.benchmarks.get((spec.id, peers.level, peers.group))
    counted = spec is views.member_spec(model)  # a count: no ranking of its 100% values
    return {
        "level": peers.level,
        "key": peers.key,
        "title": peers.words if peers.group else LEVEL_PLURAL[peers.level],
        "compare": peers.compare_header(),
        "rated": spec.stars.method != "none",
        "gaps": is_care_gap_measure(spec),
        "rows": rows,
        "chart": None if counted else ranked_chart(model, spec, peers, [r for _, r in pairs]),
        "benchmark": "" if counted else _chart_key(model, bench, spec, peers),
        "find": LEVEL_FIND[peers.level],
    }


def _benchmark_text(bench: dict | None, spec: MeasureSpec, peers: Peers) -> str:
    """Return where the middle half of a peer group's results lie, in words ('' without a
    benchmark: stats.benchmarks makes none from fewer than stats.MIN_PEERS results)."""
    if not bench or missing(bench.get("p50")):
        return ""
    p25, p50, p75 = (
        format_value(bench[k], spec.unit, spec.decimals) for k in ("p25", "p50", "p75")
    )
    return f"Half of {peers.words} score between {p25} and {p75}; the middle result is {p50}."


def _chart_key(model: SiteModel, bench: dict | None, spec: MeasureSpec, peers: Peers) -> str:
    """Return what the shaded band and the dashed line of a peer group's charts are, in
    words: the line named as drawn (the whole program, or all members of the CP type) with its
    value, and no word of a line when none is drawn (its result hidden or absent)."""
    band = _benchmark_text(bench, spec, peers)
    value = _line_value(spec, reference_value(model, spec, peers))
    line = charts.line_words(peers.line_name, value) if value else ""
    if band:
        band += " The shaded band in the charts is this middle half"
        return f"{band}; the dashed line is {line}." if line else f"{band}."
    return f"The dashed line in the charts is {line}." if line else ""


def catalogue_context(model: SiteModel) -> dict[str, Any]:
    """Return the context of the measure catalogue, grouped by family."""
    page = "measures/index.md"
    groups = []
    for family in FAMILY_ORDER:
        specs = [s for s in model.specs.values() if s.family == family]
        if specs:
            items = [
                {
                    "spec": s,
                    "text": s.text("en"),
                    "link": rel(page, f"measures/{s.id}.md"),
                    "direction": DIRECTION_TEXT[s.direction],
                }
                for s in specs
            ]
            groups.append({"title": family_title(family), "items": items})
    return {**_common(model, page), "groups": groups}


def _public_edition(model: SiteModel) -> bool:
    return model.site.manifest.get("audience", "") == "public"


def edition_reasons(model: SiteModel) -> list[str]:
    """Return the reasons a hidden result of this edition may give, in words: the public
    edition gives one (audience.restrict), the others every reason but that one."""
    others = set(model.reasons) - {NEUTRAL_REASON}
    codes = ("no_data", NEUTRAL_REASON) if _public_edition(model) else others
    return sorted({model.reasons[c] for c in codes if c in model.reasons})


def methodology_context(model: SiteModel) -> dict[str, Any]:
    """Return the context of the methodology page (the suppression reasons in words)."""
    cut_points = methodology.cut_point_rows(
        model.site.cut_points, model.specs, model.site.period_id
    )
    return {
        **_common(model, "methodology.md"),
        "reasons": edition_reasons(model),
        "one_reason": _public_edition(model),
        "numbers": methodology.constants(),
        "privacy_check": model.site.manifest.get("privacy_check") or {},
        "weights": methodology.weight_rows(),
        "cut_points": cut_points,
        "withheld_practices": methodology.withheld_practices_words(model.site.manifest, cut_points),
        "chance": methodology.chance_rows(model.site.cut_points, model.specs, model.site.period_id),
        "alike": methodology.alike_rows(model.site.cut_points, model.specs, model.site.period_id),
        "new_measures": methodology.new_measures(
            model.site.cut_points, model.specs, model.site.period_id
        ),
        "redefined": methodology.redefined_measures(
            model.site.cut_points, model.specs, model.site.period_id
        ),
        "first_year": methodology.first_year_measures(
            model.site.cut_points, model.specs, model.site.period_id
        ),
        "rated_measures": methodology.rated_measures(
            model.site.cut_points, model.specs, model.site.period_id
        ),
        "changes": list(definition_changes(model, "methodology.md").values()),
        "previous_edition": period_label(str(model.site.manifest.get("previous_edition") or "")),
        "reward": methodology.reward_applied(model.site.manifest, model.site.summary),
        "reward_rows": methodology.reward_rows(),
        "reward_numbers": methodology.reward_numbers(),
        "tiers": methodology.tier_rows(model.site.tiers),
    }


def provenance_context(model: SiteModel) -> dict[str, Any]:
    """Return the context of the provenance page: the manifest and the other versions."""
    manifest = model.site.manifest
    scalars = [(k, v) for k, v in manifest.items() if not isinstance(v, dict | list)]
    nested = {k: v for k, v in manifest.items() if isinstance(v, dict | list)}
    notes = nested.pop("data_notes", [])  # shown as a list of their own
    others = [v for v in model.site.versions if v != model.site.period_id]
    history = manifest.get("results_history") or {}
    return {
        **_common(model, "provenance.md"),
        "scalars": scalars,
        "nested": yaml.safe_dump(nested, sort_keys=False, allow_unicode=True) if nested else "",
        "versions": [(period_label(v), f"../{v}/index.html") for v in others],
        "read_back": [period_label(p) for p in history.get("periods_read_back", [])],
        "notes": notes,
        "restates": _restates_words(manifest.get("restates") or {}),
        "changes": list(definition_changes(model, "provenance.md").values()),
        "previous_edition": period_label(str(manifest.get("previous_edition") or "")),
        "has_peer_bands": not views.peer_bands_frame(model).empty,
    }


def _is_iso_day(value: object) -> bool:
    """Return True for a day written as 2025-12-31."""
    return isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) is not None


def _restates_words(restates: dict) -> dict:
    """Return the record of the edition this one replaced (--force), its days in words."""
    words = dict(restates)
    for key in ("published_on", "data_as_of"):
        if _is_iso_day(words.get(key)):
            words[key] = i18n.date_words(date.fromisoformat(words[key]), "en")
    return words


# ---------------------------------------------------------------- writing


def template_env(templates_dir: Path = TEMPLATES_DIR) -> jinja2.Environment:
    """Return the Jinja2 environment: autoescaped, Markdown-safe output, strict undefined."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        autoescape=True,
        finalize=md_escape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["stars"] = stars_html
    env.filters["period"] = period_label
    env.filters["html"] = html_href
    env.filters["table_rows"] = table_rows
    env.filters["result_rows"] = result_rows
    env.filters["chart_html"] = chart_html
    return env


PageMaker = Callable[[], dict[str, Any]]  # makes a page's template context when called


def page_plan(model: SiteModel) -> list[tuple[str, str, PageMaker]]:
    """Return (docs-relative path, template name, function making the context) for every page
    of the site, in order: no context is made until asked for."""
    plan: list[tuple[str, str, PageMaker]] = [
        ("index.md", "pages/home.md.j2", partial(home_context, model))
    ]
    for level in LEVELS:
        index = partial(level_context, model, level)
        plan.append((f"{level}/index.md", "pages/level.md.j2", index))
        plan += [
            (e.page, "pages/entity.md.j2", partial(entity_context, model, e))
            for e in model.entities[level]
        ]
    plan.append(("measures/index.md", "pages/catalogue.md.j2", partial(catalogue_context, model)))
    plan += [
        (f"measures/{s.id}.md", "pages/measure.md.j2", partial(measure_context, model, s))
        for s in model.specs.values()
    ]
    plan.append(("methodology.md", "pages/methodology.md.j2", partial(methodology_context, model)))
    plan.append(("provenance.md", "pages/provenance.md.j2", partial(provenance_context, model)))
    return plan + plain.page_plan(model)


PARALLEL_PAGES = 400  # a site with fewer pages is rendered in one process
_FORKED: tuple | None = None  # what the forked render processes read (set just before forking)
# The pages the forked processes render: the many pages of entities and measures, which read
# only the model's look-ups (no pandas); the others are rendered by the forking process.
FORKED_TEMPLATES = frozenset({"pages/entity.md.j2", "pages/measure.md.j2", "pages/plain.md.j2"})


def render_markdown(
    site: SiteInput, docs_dir: Path, templates_dir: Path = TEMPLATES_DIR
) -> list[str]:
    """Write every page, download and static asset into docs_dir; return the page paths.

    A large site's pages are rendered by forked processes (scorecard.parallel) while this one
    writes the downloads; each file's bytes are the same whichever process writes it.
    """
    model = gather(site)
    return _render(model, Path(docs_dir), templates_dir, downloads=True)


def render_pages(site: SiteInput, docs_dir: Path, templates_dir: Path = TEMPLATES_DIR) -> SiteModel:
    """Write every page and static asset into docs_dir, not the downloads (write_downloads);
    return the site model."""
    model = gather(site)
    _render(model, Path(docs_dir), templates_dir, downloads=False)
    return model


def _render(model: SiteModel, docs_dir: Path, templates_dir: Path, downloads: bool) -> list[str]:
    env = template_env(templates_dir)
    plan = page_plan(model)
    for folder in sorted({(docs_dir / path).parent for path, _, _ in plan}):
        folder.mkdir(parents=True, exist_ok=True)
    workers = parallel.workers(len(plan) >= PARALLEL_PAGES)
    if workers > 1:
        _render_in_processes(model, env, plan, docs_dir, workers, downloads)
    else:
        _render_pages(env, plan, docs_dir)
        if downloads:
            write_downloads(model, docs_dir / "downloads")
    copy_static(templates_dir, docs_dir)
    return [path for path, _, _ in plan]


def _render_pages(env: jinja2.Environment, plan: list, docs_dir: Path) -> None:
    for path, template, make in plan:
        text = env.get_template(template).render(make())
        (docs_dir / path).write_text(text, encoding="utf-8")


def _render_in_processes(
    model: SiteModel,
    env: jinja2.Environment,
    plan: list,
    docs_dir: Path,
    workers: int,
    downloads: bool = True,
) -> None:
    """Render the pages of FORKED_TEMPLATES, every workers-th in each of `workers` forked
    processes, while this process renders the others and writes the downloads (if asked);
    raise what a process raised."""
    global _FORKED
    for template in sorted({template for _, template, _ in plan}):
        env.get_template(template)  # compiled once, before the fork
    views.prepare(model)  # the look-ups the pages build with pandas, before the fork too
    shared = [job for job in plan if job[1] in FORKED_TEMPLATES]
    _FORKED = (env, shared, docs_dir, workers)
    # Frozen, the model is walked (and so copied) by no process's collector: not the workers',
    # not this one's while it renders its own pages.
    gc.freeze()
    try:
        with parallel.waiting_for(parallel.fork_each(_render_share, workers)):
            _render_pages(env, [job for job in plan if job[1] not in FORKED_TEMPLATES], docs_dir)
            if downloads:
                write_downloads(model, docs_dir / "downloads")
    finally:
        gc.unfreeze()
        _FORKED = None


def _render_share(index: int) -> None:
    """Render the index-th share of the pages (in a forked process)."""
    env, plan, docs_dir, workers = _FORKED  # type: ignore[misc]
    _render_pages(env, plan[index::workers], docs_dir)


def download_frame(model: SiteModel) -> pd.DataFrame:
    """Return the public results with entity names, as published in downloads/."""
    public = model.public.copy()
    orgs = model.site.organizations.drop_duplicates("org_id")
    names = orgs.set_index(orgs["org_id"].astype(str))["org_name"].astype(str)
    position = public.columns.get_loc("entity_id") + 1
    public.insert(position, "entity_name", public["entity_id"].astype(str).map(names).fillna(""))
    reasons = public["suppression_reason"].map(lambda c: model.reasons.get(c, DEFAULT_REASON))
    public["suppression_text"] = reasons.where(public["suppressed"], "")
    return public.sort_values(
        ["measure_id", "level", "entity_id", "period_id", "stratum", "stratum_value"]
    ).reset_index(drop=True)


def write_downloads(model: SiteModel, folder: Path) -> None:
    """Write results.csv, results.parquet, manifest.json and one CSV per entity."""
    folder.mkdir(parents=True, exist_ok=True)
    export.write_downloads(model, folder)  # results, measures, per-entity CSVs, CP summary
    manifest = json.dumps(model.site.manifest, indent=2, sort_keys=True, default=str)
    (folder / "manifest.json").write_text(manifest + "\n", encoding="utf-8")
    if model.site.cut_points is not None:
        model.site.cut_points.to_csv(folder / "cut_points.csv", index=False)


def copy_static(templates_dir: Path, docs_dir: Path) -> None:
    """Copy the site's css and js, and plotly.min.js from the installed plotly package."""
    for name in STATIC_FILES:
        (docs_dir / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(templates_dir / name, docs_dir / name)
    shutil.copyfile(plotly_js_path(), docs_dir / PLOTLY_JS)


def plotly_js_path() -> Path:
    """Return the path of plotly.min.js inside the installed plotly package."""
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def mkdocs_config(site: SiteInput, base_config: Path = BASE_CONFIG) -> dict:
    """Return the base mkdocs.yml extended for one version: nav, not_in_nav, assets, version."""
    config = copy.deepcopy(yaml.safe_load(Path(base_config).read_text(encoding="utf-8")))
    config.update(
        site_name=f"{site.program_name}: {period_label(site.period_id)}"
        + (f" ({site.audience_label})" if site.audience_label else ""),
        docs_dir="docs",
        site_dir="site",
        use_directory_urls=False,
        nav=[{title: path} for title, path in NAV_PAGES],
        not_in_nav="\n".join(NOT_IN_NAV),
    )
    config.setdefault("theme", {})["custom_dir"] = "overrides"
    config["extra_css"] = [*config.get("extra_css", []), "static/scorecard.css"]
    scripts = [PLOTLY_JS, *(n for n in STATIC_FILES if n.endswith(".js") and n != EDITIONS_JS)]
    config["extra_javascript"] = [*config.get("extra_javascript", []), *scripts]
    config["hooks"] = [*config.get("hooks", []), "scorecard_hooks.py"]
    extra = config.setdefault("extra", {})
    extra.setdefault("version", {"provider": "mike", "default": "latest"})
    extra["scorecard_version"] = site.period_id
    extra["scorecard_outdated"] = {k: i18n.t("en", f"edition_{k}") for k in ("outdated", "newest")}
    extra.update(notes_extra(site))
    return plain.extend_config(config)


def notes_extra(site: SiteInput) -> dict:
    """Return the config.extra entries that overrides/main.html shows on every page, in the
    language of the build: the notes about the data (if any) above the page, and who the
    edition is for (internal and partner editions) at the top of its text."""
    extra: dict = {}
    if site.audience_notice:
        extra["audience_notice"] = site.audience_notice
    if any(site.notes.values()):
        extra["data_notes"] = {
            lang: {"title": i18n.t(lang, "notes_title"), "notes": site.notes.get(lang, [])}
            for lang in i18n.LANGS
        }
    return extra


def write_config(
    site: SiteInput,
    work_dir: Path,
    templates_dir: Path = TEMPLATES_DIR,
    base_config: Path = BASE_CONFIG,
) -> Path:
    """Write work_dir/mkdocs.yml and the theme overrides; return the config path."""
    shutil.copytree(templates_dir / "overrides", work_dir / "overrides", dirs_exist_ok=True)
    (Path(work_dir) / "scorecard_hooks.py").write_text(HOOKS_MODULE, encoding="utf-8")
    path = Path(work_dir) / "mkdocs.yml"
    text = yaml.safe_dump(mkdocs_config(site, base_config), sort_keys=False, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    return path


# mkdocs hooks: figures and tables are plain HTML, so they skip Markdown (whose HTML parsing of
# their data tables was half of the Markdown time of a scorecard page, and whose inline
# processing of table cells most of the rest). A block left out of search (marked
# data-search-exclude, or on a page excluded from search) comes back only after the search
# plugin has read the page, which then never parses it. Without the hooks pages build the same.
_PLACEHOLDER = "<!--sc-figure-{}-->"
_BETWEEN_BLOCKS = "\n\n"  # what Markdown writes between two HTML blocks apart in its source
_PLACEHOLDERS = re.compile(r"<!--sc-figure-(\d+)-->")
_SEARCH_ATTRIBUTES = re.compile(r'\s?data-search-\w+="[^"]+"')  # as the search plugin strips
_SEARCH_VALUE = re.compile(r'data-search-\w+="[^"]')  # a quick test for one
HOOKS_MODULE = """\
from scorecard.shell import keep_context as on_page_context  # noqa: F401
from scorecard.shell import reset as on_pre_build  # noqa: F401
from scorecard.site import add_download_files as on_files  # noqa: F401
from scorecard.site import keep_env as on_env  # noqa: F401
from scorecard.site import restore_blocks as on_page_content  # noqa: F401
from scorecard.site import restore_late_blocks as on_post_page  # noqa: F401
from scorecard.site import stash_blocks as on_page_markdown  # noqa: F401
from scorecard.views import after_build as on_post_build  # noqa: F401
"""


def html_href(link: str) -> Markup:
    """Return a docs-relative link to a markdown page as the link to its built HTML page."""
    path, hash_, anchor = str(link).partition("#")
    if path.endswith(".md"):
        path = path[:-3] + ".html"
    return Markup(path + hash_ + anchor)


def _searched(page: Any) -> bool:
    meta = getattr(page, "meta", None) or {}
    search = meta.get("search") or {}
    return not (isinstance(search, dict) and search.get("exclude"))


def stash_blocks(markdown: str, page: Any, **_: Any) -> str:
    """Return the page's markdown with each figure and HTML table swapped for a placeholder
    (the blocks are kept on the page, with whether the search index may read them).

    Blocks that follow one another (only blank lines between them) share one placeholder, as
    Markdown would have written them: each placeholder costs Python-Markdown about 0.1 ms."""
    blocks: list[tuple[str, bool]] = []
    searched = _searched(page)
    out = []
    end = 0
    for start, block_end, block in _blocks(markdown):
        late = not searched or "data-search-exclude" in block[: block.find(">")]
        if late and _SEARCH_VALUE.search(block):
            block = _SEARCH_ATTRIBUTES.sub("", block)
        between = markdown[end:start]
        if blocks and blocks[-1][1] == late and not between.strip() and "\n\n" in between:
            blocks[-1] = (f"{blocks[-1][0]}{_BETWEEN_BLOCKS}{block}", late)
        else:
            blocks.append((block, late))
            out += [between, _PLACEHOLDER.format(len(blocks) - 1)]
        end = block_end
    page.sc_figures = blocks
    shell.choose_template(page)
    return "".join([*out, markdown[end:]])


_BLOCK_ENDS = {'<figure class="sc-figure"': "</figure>", "<!--sc:html-->": "<!--/sc:html-->"}


def _blocks(markdown: str) -> Iterable[tuple[int, int, str]]:
    """Yield (start, end, block) of each `<figure class="sc-figure">` and of each block marked
    <!--sc:html--> ... <!--/sc:html--> (the block inside the marks) in page markdown. str.find,
    not a regular expression: it is many times faster on pages of 100 KB."""
    position = 0
    while True:
        found = [(markdown.find(opening, position), opening) for opening in _BLOCK_ENDS]
        found = [(at, opening) for at, opening in found if at >= 0]
        if not found:
            return
        start, opening = min(found)
        closing = _BLOCK_ENDS[opening]
        stop = markdown.find(closing, start + len(opening))
        if stop < 0:
            return
        end = stop + len(closing)
        if opening == "<!--sc:html-->":
            inner = start + len(opening)
            inner += markdown.startswith("\n", inner)
            yield start, end, markdown[inner:stop].removesuffix("\n")
        else:
            yield start, end, markdown[start:end]
        position = end


def restore_blocks(html: str, page: Any, **_: Any) -> str:
    """Return the page's HTML with the searchable blocks back in place (on_page_content), its
    Markdown tables given row and column headers first (table_headers)."""
    return _put_back(table_headers(html), page, late=False)


_MARKDOWN_TABLE = re.compile(r"<table>.*?</table>", re.S)
_HEAD_CELL = re.compile(r"<th(?=[ >])(?![^>]*\bscope=)")
_FIRST_CELL = re.compile(r"(<tr>\s*)<td([^>]*)>(.*?)</td>", re.S)


def table_headers(html: str) -> str:
    """Return HTML whose Markdown tables (a bare <table>: those of the templates have
    attributes or are stashed) say what their headers head, as the results tables do: each
    header cell heads its column (scope="col") and each row's first cell heads its row
    (<th scope="row">), so a screen reader names both with every cell."""
    if "<table>" not in html:  # most pages: their tables are stashed blocks
        return html
    return _MARKDOWN_TABLE.sub(lambda m: _headed(m[0]), html)


def _headed(table: str) -> str:
    head, found, body = table.partition("<tbody>")
    if not found:
        return _HEAD_CELL.sub('<th scope="col"', table)
    body = _FIRST_CELL.sub(r'\1<th scope="row"\2>\3</th>', body)
    return _HEAD_CELL.sub('<th scope="col"', head) + found + body


def restore_late_blocks(output: str, page: Any, **_: Any) -> str:
    """Return the built page with the blocks left out of search back in place (on_post_page),
    after filling its shell (scorecard.shell) when it was built from one."""
    return _put_back(shell.fill(output, page), page, late=True)


def _put_back(text: str, page: Any, late: bool) -> str:
    stashed = getattr(page, "sc_figures", [])
    blocks = {i: block for i, (block, is_late) in enumerate(stashed) if is_late is late}
    if not blocks:
        return text
    parts = _PLACEHOLDERS.split(text)
    for k in range(1, len(parts), 2):
        index = int(parts[k])
        parts[k] = blocks.get(index, _PLACEHOLDER.format(index))
    return "".join(parts)


def build_html(config_path: Path, strict: bool = True) -> Path:
    """Run mkdocs on a generated config, in this process; return the built site folder."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    config = load_config(str(config_path), strict=strict)
    build(config)
    return Path(config["site_dir"])


def build_site(
    site: SiteInput,
    work_dir: Path,
    templates_dir: Path = TEMPLATES_DIR,
    base_config: Path = BASE_CONFIG,
    strict: bool = True,
) -> Path:
    """Render markdown into work_dir/docs and build HTML into work_dir/site; return the latter.

    mkdocs builds the English pages in this process; meanwhile a forked process
    (scorecard.parallel; with one worker, this process before mkdocs) writes the downloads into
    work_dir/downloads and builds the Spanish pages into work_dir/site-es, both moved into the
    site afterwards. The site is the same as when mkdocs copies the downloads from the docs.
    The markdown pages are deleted once mkdocs has read them (they are not part of the site).
    """
    work_dir = Path(work_dir)
    model = render_pages(site, work_dir / "docs", templates_dir)
    config_path = write_config(site, work_dir, templates_dir, base_config)
    later = None
    if parallel.workers(len(model.public) >= PARALLEL_ROWS) > 1:
        gc.freeze()  # a forked process's collector then never walks (and copies) the model
        try:
            later = parallel.Later(_beside_mkdocs, (model, work_dir, base_config, strict), True)
        finally:
            gc.unfreeze()
    else:  # one process: first, so that the model is let go before mkdocs
        _beside_mkdocs(model, work_dir, base_config, strict)
    del model
    try:
        with _pruning_sources():
            built = build_html(config_path, strict=strict)
    except BaseException:
        if later is not None:
            later.cancel()
        raise
    finish_beside_mkdocs(later, work_dir, built)
    return built


_PRUNED: list[threading.Thread] | None = None  # set while build_site runs mkdocs


@contextlib.contextmanager
def _pruning_sources() -> Iterator[None]:
    """Have keep_env delete the markdown pages mkdocs has read, in a thread while mkdocs writes
    the HTML; wait for it at the end. Deleting a file the disk already holds waits on the disk
    (about a millisecond each): 3,000 pages were 9 s of waiting after the build."""
    global _PRUNED
    _PRUNED = []
    try:
        yield
    finally:
        threads, _PRUNED = _PRUNED, None
        for thread in threads:
            thread.join()


def keep_env(env: Any, config: Any, files: Any, **_: Any) -> Any:
    """on_env (mkdocs has read every page): keep the theme for the page shells and, in
    build_site, start deleting the pages' markdown (the Spanish pages are another build's)."""
    shell.keep_env(env)
    if _PRUNED is not None:
        paths = [f.abs_src_path for f in files.documentation_pages() if f.abs_src_path]
        thread = threading.Thread(target=_unlink_all, args=(paths,), daemon=True)
        thread.start()
        _PRUNED.append(thread)
    return env


def _unlink_all(paths: list[str]) -> None:
    for path in paths:
        Path(path).unlink(missing_ok=True)


PARALLEL_ROWS = 20_000  # results with fewer rows write their downloads beside mkdocs, not in a fork
SPANISH_SITE = "site-es"  # where the Spanish build goes before it is moved into the site's es/


def _beside_mkdocs(model: SiteModel, work_dir: Path, base_config: Path, strict: bool) -> None:
    """Write the downloads into work_dir/downloads and build the Spanish pages into
    work_dir/site-es (while mkdocs builds the English pages)."""
    write_downloads(model, work_dir / "downloads")
    plain.build_spanish(model.site, work_dir, base_config, strict=strict, site_dir=SPANISH_SITE)


def finish_beside_mkdocs(later: parallel.Later | None, work_dir: Path, built: Path) -> None:
    """Wait for the downloads and the Spanish build (if made by another process), then move
    them into the built site."""
    if later is not None:
        later.wait()
    (work_dir / "downloads").rename(built / "downloads")
    spanish = work_dir / SPANISH_SITE
    if spanish.exists():
        spanish.rename(built / plain.SPANISH_DIR)


# The downloads that pages link to in their markdown: mkdocs checks that these links lead to a
# file, and the downloads are written beside mkdocs (build_site), so add_download_files lists them.
LINKED_DOWNLOADS = (
    *("results.csv", "results.parquet", "results_columns.csv", "measures.csv", "summary_stars.csv"),
    *("cp_summary.csv", "cp_summary.xlsx", "manifest.json", "peer_bands.csv", "peer_bands.parquet"),
)


def add_download_files(files: Any, config: Any, **_: Any) -> Any:
    """Add the linked downloads missing from the docs to mkdocs' files (on_files): not copied,
    since build_site moves them into the site."""
    from mkdocs.structure.files import File

    class Download(File):
        def copy_file(self, dirty: bool = False) -> None:
            """Copy nothing: build_site moves the downloads into the site."""

    for name in LINKED_DOWNLOADS:
        uri = f"downloads/{name}"
        if files.get_file_from_path(uri) is None:
            files.append(Download(uri, config.docs_dir, config.site_dir, config.use_directory_urls))
    return files
