"""Extra pieces of the scorecard, measure and level pages, built from the SiteModel.

site.py builds the core of each page context; the functions here add what issue 5 asked for
(summary cards, population profile, organisational assessment, benchmark bands, star
distributions, links to the plain-language pages, search entries) without growing site.py.
Everything reads the public view only (model.public), like the rest of the site.
"""

from __future__ import annotations

import json
import logging
import math
import posixpath
import re
from pathlib import Path
from typing import Any

import pandas as pd
from markupsafe import Markup

from scorecard import charts, i18n, ratings
from scorecard import site as S
from scorecard.specs import RATED_FAMILIES, STRATA, MeasureSpec

log = logging.getLogger(__name__)

MEMBER_MEASURE = "members"  # profile measure whose strata count the members (see its spec)
MEMBER_MONTHS_MEASURE = "member_months"  # member months (numerator), members in the quarter
PLAIN_LEVELS: tuple[str, ...] = ("aco", "cp")
LAST_VALUES = ("Other", "Unknown", "unknown", "No CP")
SEARCH_ENTRIES = ".scorecard-search.json"  # dot file: mkdocs never copies it into the site


def _cached(model: S.SiteModel, name: str, build: Any) -> Any:
    if name not in model.__dict__:
        model.__dict__[name] = build()
    return model.__dict__[name]


# ---------------------------------------------------------------- paths of the plain pages


def plain_page(entity: S.Entity, lang: str) -> str:
    """Return the docs-relative path of an entity's plain-language page in `lang`."""
    if lang == "es":
        return f"es/{entity.level}/{entity.slug}.md"
    return f"plain/{entity.level}/{entity.slug}.md"


def html_path(page: str) -> str:
    """Return the built HTML path of a docs-relative markdown page."""
    return page[:-3] + ".html" if page.endswith(".md") else page


def language_menu(page: str, lang: str, counterpart_md: str) -> dict[str, str]:
    """Return the language menu's links from `page` (in `lang`): the page itself, and its
    counterpart in the other language (front matter `alternates`, read by
    overrides/partials/alternate.html)."""
    other = "es" if lang == "en" else "en"
    counterpart = str(S.rel(page, html_path(counterpart_md)))
    return {lang: posixpath.basename(html_path(page)), other: counterpart}


def plain_links(entity: S.Entity, page: str) -> dict[str, Markup] | None:
    """Return links from `page` to the entity's plain pages (None for practices): the English
    one as a markdown target, the Spanish one as a built HTML path (it is another mkdocs build)."""
    if entity.level not in PLAIN_LEVELS:
        return None
    return {
        "en": S.rel(page, plain_page(entity, "en")),
        "en_html": S.rel(page, html_path(plain_page(entity, "en"))),
        "es": S.rel(page, html_path(plain_page(entity, "es"))),
    }


# ---------------------------------------------------------------- bands (interquartile range)


def _bench_by_period(model: S.SiteModel) -> dict[tuple[str, S.Peers, str], dict]:
    def build() -> dict[tuple[str, S.Peers, str], dict]:
        frame = model.site.benchmarks
        if frame is None or frame.empty:
            return {}
        groups = zip(frame["level"], S.peer_group_of(frame), strict=True)
        peers = [S.Peers(level, group) for level, group in groups]
        periods = frame["period_id"].astype(str)
        keys = zip(frame["measure_id"], peers, periods, strict=True)
        return dict(zip(keys, frame.to_dict("records"), strict=True))

    return _cached(model, "_sc_bench", build)


def band_series(
    model: S.SiteModel, spec: MeasureSpec, peers: S.Peers, periods: list[str], key: str
) -> list[float | None]:
    """Return a benchmark percentile (key 'p25', 'p50', 'p75') of a peer group per period."""
    bench = _bench_by_period(model)
    out: list[float | None] = []
    for period in periods:
        value = bench.get((spec.id, peers, period), {}).get(key)
        out.append(None if S.missing(value) else float(value))
    return out


def trend_band(
    model: S.SiteModel, spec: MeasureSpec, peers: S.Peers, periods: list[str]
) -> tuple[tuple[list, list] | None, str]:
    """Return ((p25s, p75s), legend name) of a peer group's middle half over periods, or
    (None, '')."""
    if peers.level not in S.LEVEL_PEERS:
        return None, ""
    low = band_series(model, spec, peers, periods, "p25")
    high = band_series(model, spec, peers, periods, "p75")
    if all(v is None for v in low):
        return None, ""
    return (low, high), f"Middle half of {peers.words}"


def band_columns(
    spec: MeasureSpec, band: tuple[list, list] | None
) -> tuple[tuple[str, ...], list[str]]:
    """Return the data-table header and one 'a to b' cell per period for a band (or nothing)."""
    if band is None:
        return (), []
    cells = [
        S.format_interval(lo, hi, spec.unit, spec.decimals) or S.NOT_SHOWN
        for lo, hi in zip(*band, strict=True)
    ]
    return ("Middle half of peers",), cells


def band_sentence(
    spec: MeasureSpec, band: tuple[list, list] | None, labels: list[str], peers: S.Peers | None
) -> str:
    """Return a sentence on the latest band of a trend chart ('' without a band)."""
    if band is None or not labels:
        return ""
    low, high = band[0][-1], band[1][-1]
    interval = S.format_interval(low, high, spec.unit, spec.decimals)
    words = S.unit_marks(spec.unit)[2]
    text = f"{interval} {words}".strip() if interval else ""
    return charts.band_summary(labels[-1], text, peers.words if peers else "peers")


def current_band(
    model: S.SiteModel, spec: MeasureSpec, peers: S.Peers
) -> tuple[float, float] | None:
    """Return (p25, p75) of a peer group in the published period, or None."""
    bench = model.benchmarks.get((spec.id, peers.level, peers.group))
    if not bench or S.missing(bench.get("p25")) or S.missing(bench.get("p75")):
        return None
    return float(bench["p25"]), float(bench["p75"])


# ---------------------------------------------------------------- the bands as a download

PEER_BAND_COLUMNS = (
    *("measure_id", "period_id", "level", "peer_group", "n_organizations"),
    *("low", "middle", "high", "unit"),
)


def peer_bands_frame(model: S.SiteModel) -> pd.DataFrame:
    """Return the peers' bands exactly as the edition's pages show them (downloads/
    peer_bands.csv): one row per measure, period and peer group whose middle half a page
    shows, with how many organizations it is worked out from, its low and high ends (p25,
    p75) and the middle result (p50; blank when no page shows it: only the measure pages do),
    rounded to the measure's decimals as the pages round them. No band a page leaves out (the
    member count's, a peer group without a page in this edition) is in it."""

    def build() -> pd.DataFrame:
        shown: dict[tuple[str, str, S.Peers], set[str]] = {}
        counted = member_spec(model)
        for level in S.LEVELS:
            for peers in model.peer_sets(level):
                for spec in model.specs.values():
                    if level in spec.levels and spec is not counted:
                        _bands_shown(model, spec, peers, shown)
        bench = _bench_by_period(model)
        rows = []
        for (measure, period, peers), parts in shown.items():
            spec, row = model.specs[measure], bench[(measure, peers, period)]
            figures = {
                name: _as_shown(row[key], spec.decimals) if part in parts else None
                for name, key, part in _BAND_FIGURES
            }
            rows.append(
                {
                    "measure_id": measure,
                    "period_id": period,
                    "level": peers.level,
                    "peer_group": peers.group,
                    "n_organizations": _count(row.get("n_entities")),
                    **figures,
                    "unit": spec.unit,
                }
            )
        frame = pd.DataFrame(rows, columns=list(PEER_BAND_COLUMNS))
        frame["n_organizations"] = frame["n_organizations"].astype("Int64")
        order = ["measure_id", "level", "peer_group", "period_id"]
        return frame.sort_values(order, kind="stable").reset_index(drop=True)

    return _cached(model, "_sc_peer_bands", build)


_BAND_FIGURES = (("low", "p25", "band"), ("middle", "p50", "middle"), ("high", "p75", "band"))


def _count(value: object) -> int | None:
    return None if S.missing(value) else int(value)  # type: ignore[call-overload]


def _as_shown(value: float, decimals: int) -> float:
    """Return a number rounded as the pages print it (S.format_number)."""
    return float(f"{float(value):.{int(decimals)}f}")


def _bands_shown(
    model: S.SiteModel, spec: MeasureSpec, peers: S.Peers, shown: dict[tuple, set[str]]
) -> None:
    """Add to `shown` the figures of a peer group's bands of a measure that pages show:
    (measure, period, peers) -> {'band' (both ends), 'middle'}."""
    bench = _bench_by_period(model)

    def add(period: str, part: str) -> None:
        shown.setdefault((spec.id, period, peers), set()).add(part)

    def has(period: str, key: str) -> bool:
        return not S.missing(bench.get((spec.id, peers, period), {}).get(key))

    # the trend tables of the scorecards: the band of every period their chart has
    banded = {p for p in model.periods if has(p, "p25") and has(p, "p75")}
    for entity in model.members(peers):
        if not banded:  # each band is on a scorecard already (or there is none)
            break
        if model.current(peers.level, entity.entity_id, spec.id) is None:
            continue
        (_, _, periods), _, cells = S._trend_series(model, spec, entity)
        if any(cells):
            for period in banded.intersection(periods):
                add(period, "band")
            banded.difference_update(periods)
    # the measure page: its key under the ranking (the published period) ...
    now = model.site.period_id
    ranked = (model.current(peers.level, e.entity_id, spec.id) for e in model.members(peers))
    if any(record is not None for record in ranked) and has(now, "p50"):
        add(now, "band")
        add(now, "middle")
    # ... and its spread chart (at least two periods of a middle result)
    periods = [p for p in model.periods if has(p, "p50")]
    if len(periods) >= 2:
        for period in periods:
            add(period, "middle")
            if has(period, "p25") and has(period, "p75"):
                add(period, "band")


# ---------------------------------------------------------------- data tables of charts

_CELL = re.compile(r"^(-?\$?[\d,.]+%?) (\D.*)$")
_RANGE_END = re.compile(r"to -?\$?\d")  # '12.0% to 15.5%' is a range, not a number and a unit


def tidy_table(chart: S.Chart) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """Return a chart's data table with a unit shared by a whole column moved to its header:
    '$57 per member per month' in each cell becomes '$57' under 'Name (per member per month)'."""
    headers, columns = [chart.headers[0]], [[r[0] for r in chart.rows]]
    for column, header in enumerate(chart.headers[1:], 1):
        header, cells = tidy_column(header, [r[column] for r in chart.rows])
        headers.append(header)
        columns.append(cells)
    return tuple(headers), list(zip(*columns, strict=True))


def tidy_column(header: str, cells: list[str]) -> tuple[str, list[str]]:
    """Return a data-table column with the unit its shown cells share moved to its header
    (tidy_table), or as it is (ranges of peers' results keep their 'to')."""
    found = [_CELL.match(c) for c in cells if c != S.NOT_SHOWN]
    if not found or not all(found) or len({m[2] for m in found}) != 1:  # type: ignore[index]
        return header, cells
    unit = found[0][2]  # type: ignore[index]
    if _RANGE_END.match(unit):
        return header, cells
    numbers = iter(m[1] for m in found)  # type: ignore[index]
    return f"{header} ({unit})", [c if c == S.NOT_SHOWN else next(numbers) for c in cells]


# ---------------------------------------------------------------- scorecard page


def rating_basis(model: S.SiteModel, key: tuple[str, str, str], lang: str) -> str:
    """Return how many measures the (level, entity_id, family) rating rests on ('Based on 4
    measures.'), or, without a rating although some measures got stars, how many it would
    need (ratings.measures_needed: an overall rating needs ratings.MIN_RATED_MEASURES);
    '' when no measure got stars. A rating the edition leaves blank says why instead."""
    if key in model.withheld:
        return i18n.t(lang, "summary_hidden")
    n_rated, n_measures = model.rated_counts.get(key, (0, 0))
    if n_rated == 0:
        return ""
    plural = "one" if n_rated == 1 else "some"
    if not S.missing(model.stars.get(key)):
        return i18n.t(lang, f"basis_{plural}", count=n_rated)
    need = ratings.measures_needed(n_measures, min_measures=ratings.least_measures(key[2]))
    return i18n.t(lang, f"short_{plural}", count=n_rated, need=need)


def _stars_card(title: str, stars: object, href: str = "", basis: str = "") -> dict:
    rated = not S.missing(stars)
    return {
        "title": title,
        "href": href,
        "basis": basis,
        "rated": rated,
        "glyphs": _glyphs(stars) if rated else "",
        "words": i18n.stars_words(float(stars), "en") if rated else "Not rated",  # type: ignore[arg-type]
        "meaning": i18n.stars_meaning(float(stars), "en") if rated else "not enough data",  # type: ignore[arg-type]
    }


TIERS_ANCHOR = "incentive-tiers"  # heading id of the tiers on the methodology page


def tier_info(model: S.SiteModel, entity: S.Entity, page: str) -> dict | None:
    """Return an entity's incentive tier for its scorecard: name, unrounded average (before
    any reward, which the tier leaves out), whether it has a reward, and a link to the bands
    on the methodology page (None without tiers or an overall rating)."""
    tier = model.tiers.get((entity.level, entity.entity_id))
    if tier is None:
        return None
    average = tier.get("average")
    return {
        "name": str(tier["name"]),
        "average": "" if S.missing(average) else two_places_down(float(average)),
        "reward": bool(tier.get("reward")),
        "href": Markup(f"{S.rel(page, 'methodology.md')}#{TIERS_ANCHOR}"),
    }


REWARD_ANCHOR = "reward"  # heading id of the reward factor on the methodology page


def reward_info(model: S.SiteModel, entity: S.Entity, page: str) -> dict | None:
    """Return the reward factor in an entity's overall stars for its scorecard, with a link
    to how it works (None when it got none)."""
    reward = model.rewards.get((entity.level, entity.entity_id))
    if reward is None:
        return None
    return {
        "amount": f"+{reward:.1f}",
        "href": Markup(f"{S.rel(page, 'methodology.md')}#{REWARD_ANCHOR}"),
    }


def two_places_down(value: float) -> str:
    """Return value with 2 decimals, cut rather than rounded, so that an average just below
    a tier's lowest (4.749) never reads as reaching it (4.75)."""
    return f"{math.floor(value * 100 + 1e-6) / 100:.2f}"


def level_has_tiers(model: S.SiteModel, level: str) -> bool:
    """Return True when some entity of the level has an incentive tier."""
    return any(lv == level for lv, _ in model.tiers)


def _glyphs(stars: object) -> str:
    rounded = round(float(stars) * 2) / 2  # type: ignore[arg-type]
    full, half = int(rounded), rounded % 1 == 0.5
    return "★" * full + ("½" if half else "") + "☆" * (5 - full - int(half))


def summary_cards(model: S.SiteModel, entity: S.Entity) -> list[dict]:
    """Return the overall and family star cards at the top of a scorecard."""
    key = (entity.level, entity.entity_id)

    unrated = model.unrated_group(entity.peers)

    def card(family: str, title: str, href: str = "") -> dict:
        stars = model.stars.get((*key, family))
        card = _stars_card(title, stars, href, rating_basis(model, (*key, family), "en"))
        if unrated:  # never rated, not "not enough data" this time
            card["meaning"] = f"too few {entity.peers.words} to compare"
            card["basis"] = ""
        if (*key, family) in model.withheld:
            card["words"] = i18n.t("en", "summary_hidden_words")
            card["meaning"] = i18n.t("en", "summary_hidden_short")
        return card

    cards = [card("overall", "Overall")]
    for family in RATED_FAMILIES:
        has = any(s.family == family and entity.level in s.levels for s in model.specs.values())
        if has:
            cards.append(card(family, S.family_title(family), Markup(f"#{family}")))
    return cards


def member_spec(model: S.SiteModel) -> MeasureSpec | None:
    """Return the profile measure whose strata count the members, if there is one."""
    spec = model.specs.get(MEMBER_MEASURE)
    if spec is not None:
        return spec
    for spec in model.specs.values():
        if spec.family == "profile" and spec.unit.startswith("members"):
            return spec
    return None


def _value_order(stratum: str, value: str, count: float | None) -> tuple:
    last = value in LAST_VALUES
    if stratum == "age_band":
        digits = "".join(ch for ch in value.split("-")[0] if ch.isdigit())
        return (last, int(digits) if digits else 999, value)
    return (last, -(count or 0), value)


def member_profile(model: S.SiteModel, entity: S.Entity, lang: str = "en") -> dict | None:
    """Return the member count and the counts by group (age, sex, race, language, CP type)."""
    spec = member_spec(model)
    if spec is None or entity.level not in spec.levels:
        return None
    total = model.current(entity.level, entity.entity_id, spec.id)
    if total is None:
        return None
    shown_total = not bool(total["suppressed"]) and not S.missing(total["denominator"])
    rows = _member_rows(model, entity, spec)
    groups: list[dict] = []
    hidden_groups: dict[str, list[str]] = {}  # why (HIDDEN_GROUP_TEXTS) -> titles
    for stratum in STRATA:
        part = [r for r in rows if r["stratum"] == stratum]
        if not part or (stratum == "cp_type" and entity.level == "cp"):
            continue
        part.sort(key=lambda r: _value_order(stratum, str(r["stratum_value"]), r["denominator"]))
        items = []
        for r in part:
            hidden = bool(r["suppressed"]) or S.missing(r["denominator"])
            share = None
            if not hidden and shown_total and float(total["denominator"]) > 0:
                share = 100 * float(r["denominator"]) / float(total["denominator"])
            items.append(
                {
                    "value": i18n.group_value(str(r["stratum_value"]), lang),
                    "count": S.format_count(r["denominator"]) if not hidden else "",
                    "share": f"{share:.0f}%" if share is not None else "",
                    "width": f"{share:.1f}" if share is not None else "0",
                }
            )
        title = i18n.STRATUM_PLAIN[lang].get(stratum, stratum)
        if any(item["count"] for item in items):
            groups.append({"title": title, "items": items})
        else:
            hidden_groups.setdefault(why_all_hidden(part), []).append(title)
    return {
        "count": S.format_count(total["denominator"]) if shown_total else "",
        "groups": groups,
        # one sentence per reason, in HIDDEN_GROUP_TEXTS order
        "hidden": [
            i18n.t(lang, key, groups=", ".join(hidden_groups[key]))
            for key in HIDDEN_GROUP_TEXTS
            if key in hidden_groups
        ],
        "spec": spec,
    }


# Why every group of a kind (sex, age...) is hidden, as the i18n text that says so: every group
# is too small; some are, and the others are hidden so they cannot be worked out from the total
# (complementary suppression); or none is, all being hidden to protect a small group elsewhere
# (another organisation's, or the program's, of the same value).
HIDDEN_GROUP_TEXTS = ("groups_small", "groups_small_and_others", "groups_protect_others")
COMPLEMENTARY = "complementary"  # the suppression reason of a cell hidden to protect another


def why_all_hidden(rows: list[dict]) -> str:
    """Return the HIDDEN_GROUP_TEXTS key that says why these rows (the groups of one kind, all
    hidden) are hidden, from their suppression reasons."""
    protecting = [str(r.get("suppression_reason") or "") == COMPLEMENTARY for r in rows]
    if not any(protecting):
        return "groups_small"
    return "groups_protect_others" if all(protecting) else "groups_small_and_others"


def prepare(model: S.SiteModel) -> None:
    """Build the look-ups that pages share (with pandas) now rather than at the first page."""
    _bench_by_period(model)
    spec = member_spec(model)
    if spec is not None:
        _members_by_entity(model, spec)
    for entity in model.entities.get("cp", []):
        assessment(model, entity)


def _member_rows(model: S.SiteModel, entity: S.Entity, spec: MeasureSpec) -> list[dict]:
    return _members_by_entity(model, spec).get((entity.level, entity.entity_id), [])


def _members_by_entity(model: S.SiteModel, spec: MeasureSpec) -> dict[tuple[str, str], list]:
    def build() -> dict[tuple[str, str], list[dict]]:
        public = model.public
        rows = public[
            (public["measure_id"] == spec.id)
            & (public["period_id"] == model.site.period_id)
            & (public["stratum"] != "all")
        ]
        grouped: dict[tuple[str, str], list[dict]] = {}
        for record in rows.to_dict("records"):
            grouped.setdefault((record["level"], str(record["entity_id"])), []).append(record)
        return grouped

    return _cached(model, "_sc_members", build)


def assessment(model: S.SiteModel, entity: S.Entity) -> dict | None:
    """Return a CP's latest organisational assessment (focus areas, ratings, recommendations)."""
    made = _cached(model, "_sc_assessments", dict)  # the scorecard and both plain pages show it
    key = (entity.level, entity.entity_id)
    if key not in made:
        made[key] = _assessment(model, entity)
    return made[key]


def _assessment(model: S.SiteModel, entity: S.Entity) -> dict | None:
    frame = getattr(model.site, "cp_assessment", None)
    if entity.level != "cp" or frame is None or len(frame) == 0:
        return None
    own = frame[frame["cp_id"].astype(str) == entity.entity_id].copy()
    if own.empty:
        return None
    own["assessment_date"] = pd.to_datetime(own["assessment_date"])
    end = pd.Timestamp(model.public["period_end"].max())
    own = own[own["assessment_date"] <= end] if (own["assessment_date"] <= end).any() else own
    latest = own["assessment_date"].max()
    own = own[own["assessment_date"] == latest]
    rows = []
    for record in own.to_dict("records"):
        rating = str(record["rating"])
        key = i18n.RATING_KEYS.get(rating, "other")
        area = str(record["focus_area"])
        plain = i18n.FOCUS_AREA_PLAIN.get(area)
        recommendation = record.get("recommendation")
        rows.append(
            {
                "area": area,
                "area_plain": {"en": plain[0], "es": plain[1]}
                if plain
                else {"en": area, "es": area},
                "rating": rating,
                "key": key,
                "icon": i18n.RATING_ICONS.get(key, ""),
                "plain": {lang: i18n.RATING_PLAIN[lang].get(rating, rating) for lang in i18n.LANGS},
                "recommendation": "" if S.missing(recommendation) else str(recommendation),
            }
        )
    order = {area: i for i, area in enumerate(i18n.FOCUS_AREA_PLAIN)}
    rows.sort(key=lambda r: (order.get(r["area"], 99), r["area"]))
    day = latest.date()
    return {
        "date": S.date_label(day),
        "date_words": {lang: i18n.date_words(day, lang) for lang in i18n.LANGS},
        "rows": rows,
        "legend": [(r, i18n.RATING_KEYS[r], i18n.RATING_MEANING[r]) for r in i18n.RATINGS],
    }


def profile_rows(section: dict, model: S.SiteModel) -> list:
    """Return the rows of the profile family without the member-count measure (shown apart)."""
    spec = member_spec(model)
    if spec is None:
        return section["rows"]
    target = f"measures/{spec.id}.md"
    return [r for r in section["rows"] if not str(r.link).endswith(target)]


def entity_extras(model: S.SiteModel, entity: S.Entity, page: str) -> dict[str, Any]:
    """Return what a scorecard page shows besides its result tables and trend charts."""
    plain = plain_links(entity, page)
    return {
        "cards": summary_cards(model, entity),
        "tier": tier_info(model, entity, page),
        "reward": reward_info(model, entity, page),
        "plain": plain,
        # the language menu: this page in English, its plain page in Spanish
        "alternates": language_menu(page, "en", plain_page(entity, "es")) if plain else None,
        "profile": member_profile(model, entity),
        "assessment": assessment(model, entity),
        "profile_rows": lambda section: profile_rows(section, model),
        "glossary": S.rel(page, "glossary.md"),
        "index_html": S.rel(page, f"{entity.level}/index.html"),
        "tidy": tidy_table,
    }


def level_extras(model: S.SiteModel, level: str) -> dict[str, Any]:
    """Return links to each entity's plain pages, in the order of the level index rows."""
    page = f"{level}/index.md"
    links = [plain_links(e, page) for e in model.entities[level]]
    return {"plain": links, "has_plain": level in PLAIN_LEVELS}


# ---------------------------------------------------------------- measure page


def stars_chart(model: S.SiteModel, spec: MeasureSpec, peers: S.Peers) -> S.Chart | None:
    """Return the distribution of stars among a peer group's entities in the published
    period."""
    if spec.stars.method == "none":
        return None
    counts = [0, 0, 0, 0, 0]
    not_rated = 0
    for entity in model.members(peers):
        record = model.current(peers.level, entity.entity_id, spec.id)
        if record is None:
            continue
        stars = record.get("stars")
        if S.missing(stars):
            not_rated += 1
        else:
            counts[min(5, max(1, int(round(float(stars))))) - 1] += 1
    if not any(counts):
        return None
    figure = charts.stars_figure(counts, not_rated)
    words = peers.words
    rows = [(f"{s} star{'s' if s > 1 else ''}", str(c)) for s, c in enumerate(counts, 1)]
    if not_rated:
        rows.append(("Not rated", str(not_rated)))
    return S.Chart(
        Markup(f"stars-{peers.key}"),
        Markup(charts.figure_json(figure)),
        int(figure["layout"]["height"]),
        charts.stars_summary(counts, not_rated, words),
        ("Stars", f"Number of {words}"),
        rows,
    )


def stars_note(model: S.SiteModel, spec: MeasureSpec, group: S.Peers) -> str:
    """Return why a peer group's entities have no stars on a measure, in words ('' when all
    that can be rated are): the group is not rated, or how many results were mostly chance."""
    if spec.stars.method == "none":
        return ""
    level = group.level
    notes = [
        str(record.get("star_note") or "")
        for entity in model.members(group)
        if (record := model.current(level, entity.entity_id, spec.id)) is not None
    ]
    peers = group.words
    least = ratings.MIN_ENTITIES_RELATIVE
    if model.unrated_group(group):
        return (
            f"{peers[0].upper()}{peers[1:]} are not given stars: there are too few of them "
            "to compare (stars need "
            f"at least {least})."
        )
    if "level_chance" in notes:
        return (
            f"No {peers} got stars on this measure this time: fewer than half of the {peers} "
            "with enough data had enough members to tell real differences between them from "
            "chance."
        )
    if "few_entities" in notes:
        return (
            f"No {peers} got stars on this measure this time: fewer than {least} {peers} had "
            "enough data to compare."
        )
    if "alike" in notes:
        return (
            f"No {peers} got stars on this measure this time: most {peers} had the same result, "
            "so once the very unusual results were set aside there were too few different "
            "results to set five star levels fairly."
        )
    chance = notes.count("chance")
    if not chance:
        return ""
    were = "was" if chance == 1 else "were"
    noun = S.LEVEL_SINGULAR[level] if chance == 1 else peers
    return (
        f"{chance} {noun} {were} not rated: too few members to tell real differences from chance."
    )


def spread_chart(model: S.SiteModel, spec: MeasureSpec, group: S.Peers) -> S.Chart | None:
    """Return a peer group's middle result and middle half over periods, with the result its
    results are judged against (S.Peers.line_name: the whole program, or a CP type's)."""
    periods = list(model.periods)
    median = band_series(model, spec, group, periods, "p50")
    if sum(v is not None for v in median) < 2:
        return None
    band, band_name = trend_band(model, spec, group, periods)
    program = model.reference(spec.id, group) or {}
    program_values = [program.get(p, {}).get("value") for p in periods]
    labels = [S.period_label(p) for p in periods]
    peers = group.words
    name = f"Middle result of {peers}"
    fmt = [S.format_value(v, spec.unit, spec.decimals) for v in median]
    prog = [S.format_value(v, spec.unit, spec.decimals) for v in program_values]
    figure = charts.trend_figure(
        labels,
        median,
        program_values,
        entity_name=name,
        unit=spec.unit,
        decimals=spec.decimals,
        band=band,
        band_name=band_name,
        program_name=group.line_name,
        text=fmt,
        program_text=prog,
        x_title=S.window_note(spec),
    )
    middle = f"the middle result of {peers}"
    summary = charts.trend_summary(labels, fmt, prog, middle, group.line_name)
    summary += band_sentence(spec, band, labels, group)
    band_header, band_cells = band_columns(spec, band)
    rows = [
        (label, fmt[i] or S.NOT_SHOWN, *(band_cells[i : i + 1]), prog[i] or S.NOT_SHOWN)
        for i, label in enumerate(labels)
    ]
    headers = ("Period", name, *band_header, group.line_name)
    return S.Chart(
        Markup(f"spread-{group.key}"),
        Markup(charts.figure_json(figure)),
        int(figure["layout"]["height"]),
        summary,
        headers,
        rows,
        S.window_note(spec, "row"),
    )


def measure_extras(model: S.SiteModel, spec: MeasureSpec, page: str) -> dict[str, Any]:
    """Return, per peer group of each level (S.Peers.key: the CPs of each type apart), the
    star distribution and the spread over time of a measure."""
    by_level = {}
    counted = spec is member_spec(model)  # a count: its value is always 100%
    for level in S.LEVELS:
        if level not in spec.levels:
            continue
        for peers in model.peer_sets(level):
            by_level[peers.key] = {
                "stars": stars_chart(model, spec, peers),
                "stars_note": stars_note(model, spec, peers),
                "spread": None if counted else spread_chart(model, spec, peers),
            }
    plain = spec.text("en")
    return {
        "by_level": by_level,
        "plain_es": spec.text("es") if "es" in spec.plain else None,
        "plain_en": plain,
        "glossary": S.rel(page, "glossary.md"),
        "group": lambda value: i18n.group_value(str(value), "en"),
        "tidy": tidy_table,
    }


# ---------------------------------------------------------------- search


def search_entries(model: S.SiteModel) -> str:
    """Return JSON of one small search entry per entity (its name, kind and page)."""
    entries = []
    for level in S.LEVELS:
        for entity in model.entities[level]:
            kind = S.LEVEL_SINGULAR[level]
            detail = f" ({entity.detail})" if entity.detail else ""
            entries.append(
                {
                    "location": html_path(entity.page),
                    "title": entity.name,
                    "text": f"Scorecard of this {kind}{detail}.",
                }
            )
    return json.dumps(entries, ensure_ascii=False, separators=(",", ":"))


def after_build(config: Any, **_: Any) -> None:
    """mkdocs hook (on_post_build): the entity search entries and a 404 page that works."""
    add_search_entries(config)
    relative_not_found_page(Path(config["site_dir"]) / "404.html")


# mkdocs writes 404.html with links from the server's root ('/aco/index.html'), as it cannot know
# where the page will be served from. It sits in its edition's folder, so links relative to that
# folder work wherever the site is served (the outdated banner's '{{ base_url }}/..' too).
_ROOT_LINK = re.compile(r'\b(href|src)="/+(?=[^/"])')


def relative_not_found_page(path: Path) -> None:
    """Make a built 404.html's links relative to its own folder (no-op if there is none)."""
    if not path.exists():
        return
    text = path.read_text(encoding="utf-8")
    text = _ROOT_LINK.sub(lambda m: f'{m.group(1)}="', text).replace('"base": "/"', '"base": "."')
    path.write_text(text, encoding="utf-8")


def add_search_entries(config: Any, **_: Any) -> None:
    """mkdocs hook (on_post_build): append the entity entries to the site's search index."""
    source = Path(config["docs_dir"]) / SEARCH_ENTRIES
    index_path = Path(config["site_dir"]) / "search" / "search_index.json"
    if not source.exists() or not index_path.exists():
        return
    index = json.loads(index_path.read_text(encoding="utf-8"))
    known = {doc["location"] for doc in index.get("docs", [])}
    extra = [
        e for e in json.loads(source.read_text(encoding="utf-8")) if e["location"] not in known
    ]
    index["docs"] = [*index.get("docs", []), *extra]
    index_path.write_text(
        json.dumps(index, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
    )
