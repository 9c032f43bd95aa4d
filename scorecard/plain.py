"""Plain-language pages for members and families, in English and Spanish, and the glossary.

Pages (docs-relative):

    plain/index.md            list of ACOs and CPs, in plain words (in the nav: "Plain language")
    plain/<level>/<slug>.md   one per ACO and CP (not in the nav, not in search)
    glossary.md               every term the plain pages use (in the nav: "Glossary")
    es/index.md, es/<level>/<slug>.md, es/glosario.md   the same in Spanish

The Spanish pages are a second mkdocs build (`build_spanish`) into `<edition>/es/`, with the
theme's chrome in Spanish (`theme.language: es`) and a Spanish search index; mkdocs-material's
`extra.alternate` switches between the two, with relative links. The main build leaves es/ out
(`exclude_docs`). Links that cross between the builds are written as HTML (mkdocs validates
only markdown links, and only inside one build); each is checked by tests/test_readable.py.

Each page links the first use of every glossary term to its entry (`Linker`).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import yaml
from markupsafe import Markup, escape

from scorecard import i18n, views
from scorecard import site as S
from scorecard.specs import FAMILY_ORDER, MeasureSpec

GLOSSARY_PAGE = {"en": "glossary.md", "es": "es/glosario.md"}
INDEX_PAGE = {"en": "plain/index.md", "es": "es/index.md"}
SPANISH_DIR = "es"
SPANISH_CONFIG = "mkdocs-es.yml"


# ---------------------------------------------------------------- glossary links


class Linker:
    """Link the first use on a page of each glossary term to its entry (markdown links)."""

    def __init__(self, lang: str, glossary_href: str, protect: tuple[str, ...] = ()):
        self.lang = lang
        self.href = glossary_href
        self.seen: set[str] = set()
        self.protect = tuple(sorted({p for p in protect if p}, key=len, reverse=True))
        aliases = sorted(
            ((alias, term.key) for term in i18n.GLOSSARY for alias in term.text(lang).aliases),
            key=lambda pair: -len(pair[0]),
        )
        self.keys: dict[str, str] = {}
        parts = []
        for alias, key in aliases:
            self.keys.setdefault(alias.lower(), key)
            body = re.escape(alias)
            parts.append(body if _is_abbreviation(alias) else f"(?i:{body})")
        self.pattern = re.compile(r"(?<![\w-])(" + "|".join(parts) + r")(?![\w-])")

    def __call__(self, text: str) -> Markup:
        """Return `text` escaped for markdown, with first uses of terms as glossary links;
        protected strings (names of organisations) are never linked into."""
        if self.protect:
            pieces = re.split("(" + "|".join(map(re.escape, self.protect)) + ")", text)
            return Markup("").join(
                S.md_escape(piece) if piece in self.protect else self._link(piece)
                for piece in pieces
            )
        return self._link(text)

    def _link(self, text: str) -> Markup:
        out: list[str] = []
        last = 0
        for match in self.pattern.finditer(text):
            key = self.keys.get(match[1].lower())
            if key is None or key in self.seen:
                continue
            self.seen.add(key)
            out.append(S.md_escape(text[last : match.start()]))
            out.append(f"[{S.md_escape(match[1])}]({self.href}#{key})")
            last = match.end()
        out.append(S.md_escape(text[last:]))
        return Markup("".join(out))


def _is_abbreviation(alias: str) -> bool:
    return sum(ch.isupper() for ch in alias) >= 2 or any(ch.isdigit() for ch in alias)


# ---------------------------------------------------------------- plain scorecard page


def _html_link(href: str, text: str, hreflang: str = "", lang: str = "", about: str = "") -> Markup:
    """Return an HTML link (used across the two builds, which mkdocs does not validate):
    hreflang is the language of the target, lang that of the link's own words; `about`, words
    for screen readers only that say where a link of repeated words goes (the measure)."""
    attrs = f' hreflang="{hreflang}"' if hreflang else ""
    attrs += f' lang="{lang}"' if lang else ""
    hidden = Markup('<span class="sc-sr-only">: {}</span>').format(about) if about else ""
    return Markup(f'<a href="{escape(href)}"{attrs}>{escape(text)}{hidden}</a>')


def _cross(page: str, target_md: str) -> str:
    """Return the relative HTML link from `page` to a page of the other build."""
    return str(S.rel(page, views.html_path(target_md)))


def _same_build(page: str, lang: str, target_md: str) -> str:
    return str(S.rel(page, target_md))


def _stars_line(stars: object, lang: str) -> dict | None:
    if S.missing(stars):
        return None
    value = float(stars)  # type: ignore[arg-type]
    return {
        "glyphs": views._glyphs(value),
        "words": i18n.stars_words(value, lang),
        "meaning": i18n.stars_meaning(value, lang),
    }


def _tier(model: S.SiteModel, entity: S.Entity, page: str, lang: str, link: Linker) -> dict | None:
    """Return the entity's incentive tier in words, with a link to the bands (None if none)."""
    tier = model.tiers.get((entity.level, entity.entity_id))
    if tier is None:
        return None
    name = str(tier.get(f"name_{lang}") or tier["name"]) if lang != "en" else str(tier["name"])
    target = "methodology.md"
    anchor = f"#{views.TIERS_ANCHOR}"
    if lang == "en":
        more = Markup(f"[{escape(i18n.t(lang, 'tier_link'))}]({S.rel(page, target)}{anchor})")
    else:
        more = _html_link(_cross(page, target) + anchor, i18n.t(lang, "tier_link"), "en")
    text = i18n.t(lang, "tier", name=entity.name, tier=name) + " " + i18n.t(lang, "tier_explain")
    return {"text": link(text), "more": more}


def _item(
    model: S.SiteModel,
    spec: MeasureSpec,
    record: dict,
    page: str,
    lang: str,
    link: Linker,
    unrated: bool = False,
) -> dict:
    text = spec.text(lang)
    fallback = lang == "es" and "es" not in spec.plain
    trend = str(record["trend_label"])
    measure_page = f"measures/{spec.id}.md"
    # the same words on every result: the measure's title, for screen readers, says which
    target = (
        S.rel(page, views.html_path(measure_page)) if lang == "en" else _cross(page, measure_page)
    )
    more = _html_link(target, i18n.t(lang, "more"), "" if lang == "en" else "en", "", text.title)
    return {
        "title": text.title,
        "title_lang": "en" if fallback else "",
        "summary": link(text.summary),
        "result": link(result_words(spec, record, lang)),
        "stars": _stars_line(record["stars"], lang) if spec.stars.method != "none" else None,
        "stars_note": ""
        if unrated
        else i18n.STAR_NOTE_WORDS[lang].get(str(record.get("star_note") or ""), ""),
        "peer": i18n.PEER_WORDS[lang].get(str(record["peer_label"]), ""),
        "trend": (i18n.TREND_ARROWS[trend], link(i18n.TREND_WORDS[lang][spec.window][trend]))
        if trend in i18n.TREND_WORDS[lang][spec.window]
        else None,
        "meaning": link(text.meaning) if text.meaning else "",
        "new_way": _new_way(model, spec, record, lang),
        "covers": covers_words(model.site.period_id, spec.window, lang),
        "more": more,
    }


def result_words(spec: MeasureSpec, record: dict, lang: str) -> str:
    """Return a result in words and, for a share, out of how many: '47.2% of emergency room
    visits (17 of 36)'. The counts are the full page's (S.format_count): a count from 1 to 10
    is never written, so then only the total is ('out of 36')."""
    words = i18n.value_words(record["value"], spec.unit, spec.decimals, lang)
    if spec.kind != "proportion":  # a rate's or a cost's counts are no plainer than its value
        return words
    top, total = S.format_count(record["numerator"]), S.format_count(record["denominator"])
    if not total:
        return words
    counts = i18n.t(lang, "counts_of" if top else "counts_out_of", n=top, d=total)
    return f"{words} ({counts})"


def _new_way(model: S.SiteModel, spec: MeasureSpec, record: dict, lang: str) -> str:
    """Return, for a measure whose definition changed since the previous edition (the
    manifest's changed_since_previous), that its months were all worked out again the new way
    and may differ from that edition's, with the organisation's result in that edition when
    it may be shown (S.last_edition_value); '' otherwise (and in a first edition)."""
    if spec.id not in S.changed_ids(model):
        return ""
    previous = str(model.site.manifest.get("previous_edition"))
    text = i18n.t(lang, "new_way_text", period=i18n.period_words(previous, lang))
    last = model.last_edition.get((str(record["level"]), str(record["entity_id"]), spec.id))
    if last is None:
        return text
    words = i18n.value_words(last, spec.unit, spec.decimals, lang)
    return f"{text} {i18n.t(lang, 'new_way_last', value=words)}"


def covers_words(period_id: str, window: str, lang: str) -> str:
    """Return the months a result covers, in words: 'the 12 months ending December 2025' for
    a measure over a year (window 'year'), 'October to December 2025' for one over a quarter."""
    if window == "year":
        return i18n.t(lang, "covers_year", end=i18n.period_end_words(period_id, lang))
    return i18n.t(lang, "covers_quarter", period=i18n.period_words(period_id, lang))


def _families(
    model: S.SiteModel,
    entity: S.Entity,
    page: str,
    lang: str,
    link: Linker,
    unrated: bool = False,
) -> list[dict]:
    """Return the areas of a plain page (`unrated`: its peer group is too small for stars,
    which the page says once, so no area or result repeats that it has none)."""
    member = views.member_spec(model)
    sections = []
    for family in FAMILY_ORDER:
        specs = [
            s
            for s in model.specs.values()
            if s.family == family and entity.level in s.levels and s is not member
        ]
        records = [(s, model.current(entity.level, entity.entity_id, s.id)) for s in specs]
        records = [(s, r) for s, r in records if r is not None]
        if not records:
            continue
        shown = [(s, r) for s, r in records if not bool(r["suppressed"])]
        hidden = len(records) - len(shown)
        key = (entity.level, entity.entity_id, family)
        if hidden == 0:
            note = ""
        elif not shown:
            note = i18n.t(lang, "none_shown")
        elif hidden == 1:
            note = i18n.t(lang, "hidden_one")
        else:
            note = i18n.t(lang, "hidden_some", count=hidden)
        sections.append(
            {
                "family": family,
                "title": i18n.FAMILY_PLAIN[lang].get(family, S.family_title(family)),
                "intro": link(i18n.FAMILY_INTRO[lang].get(family, "")),
                "rated": family != "profile" and not unrated,
                "stars": _stars_line(model.stars.get(key), lang),
                "basis": views.rating_basis(model, key, lang),
                "items": [_item(model, s, r, page, lang, link, unrated) for s, r in shown],
                "note": link(note) if note else "",
            }
        )
    return sections


def plain_context(model: S.SiteModel, entity: S.Entity, lang: str) -> dict[str, Any]:
    """Return the context of one entity's plain-language page in `lang`."""
    page = views.plain_page(entity, lang)
    other = "es" if lang == "en" else "en"
    name = entity.name
    link = Linker(lang, _same_build(page, lang, GLOSSARY_PAGE[lang]), (name,))
    end = i18n.period_end_words(model.site.period_id, lang)
    peers = _peers(entity, lang)
    if entity.level == "cp" and entity.detail in i18n.CP_TYPE_PLAIN[lang]:
        kind = i18n.t(
            lang,
            "kind_cp_type",
            name=name,
            cp="Community Partner",
            kind=i18n.CP_TYPE_PLAIN[lang][entity.detail],
        )
    else:
        kind = i18n.t(lang, f"kind_{entity.level}", name=name, aco="ACO", cp="Community Partner")
    overall_key = (entity.level, entity.entity_id, "overall")
    overall_line = _stars_line(model.stars.get(overall_key), lang)
    basis = views.rating_basis(model, overall_key, lang)
    if overall_key in model.withheld:
        overall_text = i18n.t(lang, "overall_hidden", name=name)
    elif overall_line:
        overall_text = i18n.t(lang, "overall", name=name, stars=overall_line["words"])
        overall_line["basis"] = basis
    elif basis:
        overall_text = i18n.t(lang, "overall_none_short", name=name) + " " + basis
    else:
        overall_text = i18n.t(lang, "overall_none", name=name)
    unrated = model.unrated_group(entity.peers)
    if unrated:  # never "this time": stars need more organisations of its kind than there are
        overall_text = i18n.t(lang, "group_unrated", name=name, peers=peers)
    reward = model.rewards.get((entity.level, entity.entity_id))
    if overall_line and reward is not None:
        overall_text += " " + i18n.t(lang, "reward", name=name, reward=f"{reward:.1f}")
    tier = _tier(model, entity, page, lang, link)
    full = f"{entity.level}/{entity.slug}.md"
    if lang == "en":
        full_link = Markup(f"[{escape(i18n.t(lang, 'full_page'))}]({S.rel(page, full)})")
    else:
        full_link = _html_link(_cross(page, full), i18n.t(lang, "full_page"), "en")
    profile = views.member_profile(model, entity, lang)
    members_text = _members_text(model, profile, name, lang)
    return {
        "lang": lang,
        "name": name,
        "title": i18n.t(lang, "plain_title", name=name),
        "intro": [
            link(i18n.t(lang, "plain_intro", name=name, end=end)),
            link(kind),
        ],
        "switch": _html_link(
            _cross(page, views.plain_page(entity, other)), i18n.t(lang, "switch"), other, other
        ),
        "alternates": views.language_menu(page, lang, views.plain_page(entity, other)),
        "full_link": full_link,
        "words_note": Markup(
            escape(i18n.t(lang, "plain_words", glossary="\x00")).replace(
                "\x00",
                Markup(
                    f"[{escape(i18n.t(lang, 'glossary_word'))}]"
                    f"({_same_build(page, lang, GLOSSARY_PAGE[lang])})"
                ),
            )
        ),
        "overall_title": i18n.t(lang, "overall_title"),
        "overall": link(overall_text),
        "overall_line": overall_line,
        "tier": tier,
        "stars_explain": ""
        if unrated
        else link(
            i18n.t(lang, "stars_explain")
            + " "
            + i18n.t(lang, "stars_compare", name=name, peers=peers)
        ),
        "families": _families(model, entity, page, lang, link, unrated),
        "compare": i18n.t(lang, "compare_own_kind" if entity.peer_group else "compare"),
        "members_title": i18n.t(lang, "members_title"),
        "members_text": link(members_text) if members_text else "",
        "profile": profile,
        "assessment": views.assessment(model, entity),
        "t": lambda key, **kw: i18n.t(lang, key, **kw),
        "help_contact": i18n.contact_words(model.site.help_contact, lang),
        "link": link,
        "back": _same_build(page, lang, INDEX_PAGE[lang]),
    }


def _peers(entity: S.Entity, lang: str) -> str:
    """Return whom the entity's stars compare it with: others of its level, or for a CP
    compared with CPs of its own type (S.Entity.peer_group) those, in words."""
    kind = i18n.CP_TYPE_PLAIN[lang].get(entity.peer_group)
    if kind is None:
        return i18n.PEERS_PLAIN[lang][entity.level]
    return i18n.t(lang, "peers_cp_type", kind=kind)


def _members_text(model: S.SiteModel, profile: dict | None, name: str, lang: str) -> str:
    """Return how many members the organisation had, or why that is not shown (so the Members
    heading never stands over nothing); "" when the page has no members section."""
    if not profile:
        return ""
    if not profile["count"]:
        return i18n.t(lang, "members_hidden", name=name)
    month = i18n.period_end_words(model.site.period_id, lang)
    return i18n.t(lang, "members_count", name=name, count=profile["count"], month=month)


# ---------------------------------------------------------------- index and glossary pages


def _index_heading(level: str, detail: str, lang: str) -> str:
    """Return the heading a level's entities are listed under on the plain index: CPs by
    their type ('Community Partners for behavioral health (BH)'), ACOs all together."""
    typed = f"index_{level}_{detail}"
    if detail and typed in i18n.UI[lang]:
        return i18n.t(lang, typed)
    heading = i18n.t(lang, f"index_{level}")
    return f"{heading} ({i18n.group_value(detail, lang)})" if detail and level == "cp" else heading


def index_context(model: S.SiteModel, lang: str) -> dict[str, Any]:
    """Return the context of the plain-language index (every ACO and CP) in `lang`."""
    page = INDEX_PAGE[lang]
    other = "es" if lang == "en" else "en"
    link = Linker(lang, _same_build(page, lang, GLOSSARY_PAGE[lang]))
    period = i18n.period_words(model.site.period_id, lang)
    groups: dict[str, list[dict]] = {}  # heading -> entities: one per level and CP type
    for level in views.PLAIN_LEVELS:
        for e in model.entities[level]:
            item = {"name": e.name, "href": _same_build(page, lang, views.plain_page(e, lang))}
            groups.setdefault(_index_heading(level, e.detail, lang), []).append(item)
    return {
        "lang": lang,
        "title": i18n.t(lang, "index_title"),
        "intro": link(
            i18n.t(lang, "index_intro", aco="ACO", cp="Community Partner", period=period)
        ),
        "stars": link(i18n.t(lang, "stars_explain")),
        "groups": [{"title": title, "items": items} for title, items in groups.items()],
        "switch": _html_link(_cross(page, INDEX_PAGE[other]), i18n.t(lang, "switch"), other, other),
        "alternates": views.language_menu(page, lang, INDEX_PAGE[other]),
        "glossary": _same_build(page, lang, GLOSSARY_PAGE[lang]),
        "glossary_title": i18n.t(lang, "glossary_title"),
    }


def glossary_context(model: S.SiteModel, lang: str) -> dict[str, Any]:
    """Return the context of the glossary page in `lang`."""
    page = GLOSSARY_PAGE[lang]
    other = "es" if lang == "en" else "en"
    entries = [
        {"key": term.key, "term": term.text(lang).term, "definition": term.text(lang).definition}
        for term in i18n.GLOSSARY
    ]
    return {
        "lang": lang,
        "title": i18n.t(lang, "glossary_title"),
        "intro": i18n.t(lang, "glossary_intro"),
        "entries": entries,
        "switch": _html_link(
            _cross(page, GLOSSARY_PAGE[other]), i18n.t(lang, "switch"), other, other
        ),
        "alternates": views.language_menu(page, lang, GLOSSARY_PAGE[other]),
        "back": _same_build(page, lang, INDEX_PAGE[lang]),
        "back_text": i18n.t(lang, "back"),
    }


def page_plan(model: S.SiteModel) -> list[tuple[str, str, Callable[[], dict[str, Any]]]]:
    """Return (path, template, function making the context) of every plain page, glossary and
    search-entry file, in order: contexts are made only when asked for."""
    plan: list[tuple[str, str, Callable[[], dict[str, Any]]]] = []
    for lang in i18n.LANGS:
        plan += [
            (INDEX_PAGE[lang], "pages/plain_index.md.j2", partial(index_context, model, lang)),
            (GLOSSARY_PAGE[lang], "pages/glossary.md.j2", partial(glossary_context, model, lang)),
        ]
        for level in views.PLAIN_LEVELS:
            for entity in model.entities[level]:
                make = partial(plain_context, model, entity, lang)
                plan.append((views.plain_page(entity, lang), "pages/plain.md.j2", make))
    plan.append((views.SEARCH_ENTRIES, "pages/search_entries.json.j2", partial(_entries, model)))
    spanish = f"{SPANISH_DIR}/{views.SEARCH_ENTRIES}"
    plan.append((spanish, "pages/search_entries.json.j2", partial(_entries_es, model)))
    return plan


def _entries(model: S.SiteModel) -> dict[str, Any]:
    return {"entries": Markup(views.search_entries(model))}


def _entries_es(model: S.SiteModel) -> dict[str, Any]:
    return {"entries": Markup(spanish_search_entries(model))}


def spanish_search_entries(model: S.SiteModel) -> str:
    """Return JSON of the Spanish search's own entries (its plain pages are left out of search,
    as in English): one per organization, naming the results its page gives in Spanish, and
    one per measure with a Spanish title, leading to the measure's page (in English, and said
    so). Locations are relative to es/."""
    entries = []
    for level in views.PLAIN_LEVELS:
        kind = {"aco": "esta ACO", "cp": "este Community Partner"}.get(level, level)
        for entity in model.entities[level]:
            titles = [
                spec.text("es").title
                for spec in model.specs.values()
                if "es" in spec.plain and level in spec.levels
                if model.current(level, entity.entity_id, spec.id) is not None
            ]
            page = views.plain_page(entity, "es").removeprefix(f"{SPANISH_DIR}/")
            entries.append(
                {
                    "location": views.html_path(page),
                    "title": entity.name,
                    "text": f"Resultados de {kind} en palabras sencillas: " + "; ".join(titles),
                }
            )
    for spec in model.specs.values():
        if "es" in spec.plain:
            text = spec.text("es")
            entries.append(
                {
                    "location": f"../measures/{spec.id}.html",
                    "title": text.title,
                    "text": f"{text.summary} Página de esta medida, en inglés.",
                }
            )
    return json.dumps(entries, ensure_ascii=False, separators=(",", ":"))


# ---------------------------------------------------------------- mkdocs configuration


def alternate(lang: str) -> list[dict]:
    """Return mkdocs-material's extra.alternate (language menu) for the build of `lang`."""
    if lang == "es":
        return [
            {"name": "English", "link": "../plain/index.html", "lang": "en"},
            {"name": "Español", "link": "index.html", "lang": "es"},
        ]
    return [
        {"name": "English", "link": "index.html", "lang": "en"},
        {"name": "Español", "link": "es/index.html", "lang": "es"},
    ]


def extend_config(config: dict) -> dict:
    """Add to the main build's config: leave es/ out, keep plain pages out of the nav, and
    offer the language menu."""
    config["exclude_docs"] = "\n".join(
        filter(None, [config.get("exclude_docs") or "", f"/{SPANISH_DIR}/"])
    )
    config["not_in_nav"] = "\n".join(
        filter(None, [config.get("not_in_nav") or "", "/plain/*/*.md"])
    )
    config.setdefault("extra", {})["alternate"] = alternate("en")
    return config


def spanish_program_name(program_name: str) -> str:
    """Return the program's name on the Spanish pages: the demo's in Spanish, any other as it
    is given (a program's own name is not translated)."""
    if not program_name.startswith("MassHealth ACO and Community Partner program"):
        return program_name
    demo = " (datos de demostración)" if "demo" in program_name.lower() else ""
    return f"Resultados de las ACO y los Community Partners de MassHealth{demo}"


PALETTE_ES = {"default": "Cambiar al modo oscuro", "slate": "Cambiar al modo claro"}


def editions_extra(period_id: str) -> dict:
    """Return what static/editions.js needs on the Spanish pages: this edition, where the list
    of editions is (relative to the Spanish home page), and the banner's words in Spanish."""
    suffixes = ("edition_retired", "edition_noted")
    # a quarter's title in Spanish words, as i18n.period_words writes it: '{first} a {last} de
    # {year}' ('octubre a diciembre de 2025' for '2025 Q4')
    sample = i18n.period_words("9999Q1", "es")
    months = i18n.MONTHS["es"]
    quarter = sample.replace(months[0], "{first}").replace(months[2], "{last}")
    return {
        "edition": period_id,
        "months": list(months),
        "quarter": quarter.replace("9999", "{year}"),
        "versions": "../../versions.json",
        "outdated": i18n.t("es", "edition_outdated"),
        "newest": i18n.t("es", "edition_newest"),
        "titles": {i18n.t("en", key): i18n.t("es", key) for key in suffixes},
    }


def spanish_config(site: S.SiteInput, base_config: Path | None = None) -> dict:
    """Return the mkdocs config of the Spanish build (docs/es -> site/es)."""
    base = Path(base_config or S.BASE_CONFIG)
    config = copy.deepcopy(yaml.safe_load(base.read_text(encoding="utf-8")))
    period = i18n.period_words(site.period_id, "es")
    name = spanish_program_name(site.program_name)
    config.update(
        site_name=f"{name}: {period}",
        site_description=f"{name}, en palabras sencillas.",
        docs_dir=f"docs/{SPANISH_DIR}",
        site_dir=f"site/{SPANISH_DIR}",
        use_directory_urls=False,
        nav=[{"Inicio": "index.md"}, {"Glosario": "glosario.md"}],
        not_in_nav="/aco/*.md\n/cp/*.md",
    )
    theme = config.setdefault("theme", {})
    theme["language"] = "es"
    for scheme in theme.get("palette", []):  # the light and dark switch, named in Spanish
        toggle = scheme.get("toggle", {})
        if "name" in toggle:
            toggle["name"] = PALETTE_ES.get(scheme.get("scheme", ""), toggle["name"])
    theme["custom_dir"] = "overrides"
    config["plugins"] = [{"search": {"lang": "es"}}]
    config["extra_css"] = ["../static/scorecard.css"]
    config["extra_javascript"] = [
        f"../{S.PLOTLY_JS}",
        "../static/charts.js",
        "../static/keyboard.js",
        f"../{S.EDITIONS_JS}",
    ]
    extra = config.setdefault("extra", {})
    extra.pop("version", None)  # the theme's menu would look for versions.json in the edition
    extra["scorecard_editions"] = editions_extra(site.period_id)
    extra["alternate"] = alternate("es")
    extra.update(S.notes_extra(site))
    return config


def build_spanish(
    site: S.SiteInput,
    work_dir: Path,
    base_config: Path | None = None,
    strict: bool = True,
    site_dir: str | None = None,
) -> Path | None:
    """Build the Spanish pages rendered into work_dir/docs/es into work_dir/site/es, or into
    work_dir/<site_dir> when given (the same files: every link is relative)."""
    work_dir = Path(work_dir)
    if not (work_dir / "docs" / SPANISH_DIR / "index.md").exists():
        return None
    path = work_dir / SPANISH_CONFIG
    config = spanish_config(site, base_config)
    config["site_dir"] = site_dir or config["site_dir"]
    text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    built = S.build_html(path, strict=strict)
    for source_map in built.glob("assets/javascripts/*.map"):
        source_map.unlink()  # 1 MB each, only for debugging the theme
    views.relative_not_found_page(built / "404.html")
    # its own search entries (organizations and measures), as the main build's hook adds them
    docs = {"docs_dir": str(work_dir / "docs" / SPANISH_DIR), "site_dir": str(built)}
    views.add_search_entries(docs)
    return built
