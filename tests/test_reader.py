"""What a reader sees, on a tiny input with typed Community Partners: the chart's dashed line,
comparisons not made, peer groups too small to rate, periods and glossary links."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from site_fixture import make_sample_input

from scorecard import site

BH_LINE = 1.2345  # the value of the program's row of BH CPs, added to the program's own


def typed_input() -> site.SiteInput:
    """Return the sample with cp1 a BH CP and cp2 an LTSS CP, each compared with its own type:
    the program's BH row is shown (program value + BH_LINE), its LTSS row hidden."""
    sample = make_sample_input()
    res = sample.results.copy()
    res["peer_group"] = ""
    res.loc[res["entity_id"] == "cp1", "peer_group"] = "BH"
    res.loc[res["entity_id"] == "cp2", "peer_group"] = "LTSS"
    program = res[(res["level"] == "program") & (res["stratum"] == "all")]
    bh = program.assign(stratum="cp_type", stratum_value="BH", value=program["value"] + BH_LINE)
    ltss = program.assign(
        stratum="cp_type",
        stratum_value="LTSS",
        value=np.nan,
        suppressed=True,
        suppression_reason="small_count",
    )
    res = pd.concat([res, bh, ltss], ignore_index=True)
    now = (res["period_id"] == "2025Q4") & (res["stratum"] == "all")
    res.loc[now & (res["entity_id"] == "cp2"), "peer_label"] = "hidden_reference"
    res.loc[now & (res["entity_id"] == "cp1"), "peer_label"] = "no_reference"
    res.loc[res["level"] == "cp", "star_note"] = "few_entities"
    res.loc[res["level"] == "cp", "stars"] = pd.NA
    summary = sample.summary[sample.summary["level"] != "cp"].reset_index(drop=True)
    return site.SiteInput(**{**sample.__dict__, "results": res, "summary": summary})


@pytest.fixture(scope="module")
def typed() -> site.SiteInput:
    return typed_input()


@pytest.fixture(scope="module")
def model(typed: site.SiteInput) -> site.SiteModel:
    return site.gather(typed)


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory, typed: site.SiteInput) -> Path:
    out = tmp_path_factory.mktemp("reader") / "docs"
    site.render_pages(typed, out)
    return out


def flat(path: Path) -> str:
    """Return a rendered page's words: spaces made single, markdown links left as their text."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", path.read_text(encoding="utf-8"))
    return " ".join(text.split())


# ------------------------------------------------------------------ 1. the dashed line


def test_measure_page_names_the_dashed_line_drawn_and_its_value(model, docs: Path) -> None:
    spec = model.specs["cp_engagement"]
    bh = site.Peers("cp", "BH")
    value = site.reference_value(model, spec, bh)
    assert value is not None
    shown = site.format_value(value, spec.unit, spec.decimals)
    page = flat(docs / "measures" / "cp_engagement.md")
    line = f"the result for all members of Behavioral Health Community Partners, {shown}"
    assert f"The dashed line in the charts is {line}." in page
    # the chart's text summary (its screen-reader caption) says where the line sits
    sections = {s["key"]: s for s in site._level_sections(model, spec, "cp", "m.md")}
    assert f"The dashed line is {line}." in sections["cp-bh"]["chart"].summary
    # LTSS: the program's LTSS row is hidden, so no line is drawn and none is spoken of
    assert site.reference_value(model, spec, site.Peers("cp", "LTSS")) is None
    assert "dashed line" not in sections["cp-ltss"]["benchmark"]
    assert "dashed" not in sections["cp-ltss"]["chart"].summary
    assert "the dashed line is the whole program" not in page
    # the ACOs' line is the whole program's
    acos = site._level_sections(model, model.specs["ed_visits"], "aco", "m.md")[0]
    assert "; the dashed line is the whole program's result, " in acos["benchmark"]


# ------------------------------------------------------------------ 2. comparisons not made


def test_a_comparison_not_made_says_why_on_full_and_plain_pages(model, docs: Path) -> None:
    from scorecard import i18n, views

    words = i18n.PEER_WORDS
    for entity_id, label in (("cp2", "hidden_reference"), ("cp1", "no_reference")):
        entity = model.entity("cp", entity_id)
        assert words["en"][label] in flat(docs / entity.page)
        for lang in ("en", "es"):
            plain = flat(docs / views.plain_page(entity, lang))
            assert f"{words[lang][label]}." in plain, (entity_id, lang)
    assert "hidden to protect privacy" in words["en"]["hidden_reference"]
    assert "proteger la privacidad" in words["es"]["hidden_reference"]


# ------------------------------------------------------------------ 3. groups too small to rate


def test_a_peer_group_too_small_to_rate_says_so_not_this_time(model, docs: Path) -> None:
    from scorecard import i18n, views

    ltss = site.Peers("cp", "LTSS")
    assert model.unrated_group(ltss) and not model.unrated_group(site.Peers("aco"))
    # the build counts every edition's organisations (a partner edition holds its own only)
    assert not site.gather(
        site.SiteInput(**{**model.site.__dict__, "peer_sizes": {("cp", "LTSS"): 12}})
    ).unrated_group(ltss)
    entity = model.entity("cp", "cp2")
    full = flat(docs / entity.page)
    assert (
        "This Community Partner is not given stars: there are too few Long-Term Services and "
        "Supports Community Partners to compare it with. The shaded band" in full
    )
    assert "Stars compare this" not in full and "not enough data" not in full
    assert "this time" not in full
    assert "too few Long-Term Services and Supports Community Partners to compare" in full
    en = flat(docs / views.plain_page(entity, "en"))
    assert (
        "Elm Street LTSS CP is not given stars: there are too few other Community Partners "
        "that help members with long-term care needs to compare it with." in en
    )
    assert "Stars compare" not in en and "this time" not in en
    es = flat(docs / views.plain_page(entity, "es"))
    assert "Elm Street LTSS CP no recibe estrellas: hay muy pocos otros Community Partners" in es
    assert "esta vez" not in es
    index = flat(docs / "cp" / "index.md")  # its "Not rated" is not for want of data
    assert "There are too few Long-Term Services and Supports Community Partners to compare" in (
        index
    )
    assert "compared only with the other Long-Term Services" not in index
    measure = flat(docs / "measures" / "cp_engagement.md")
    assert (
        "Long-Term Services and Supports Community Partners are not given stars: there are too "
        "few of them to compare (stars need at least 10)." in measure
    )
    assert i18n.STAR_NOTE_WORDS["es"]["small_group"]


# ------------------------------------------------------------------ 6. the PMPM glossary link


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_pmpm_entry_is_linked_from_dollar_amounts_only(lang: str) -> None:
    from scorecard import i18n, plain

    amounts = [
        ("activities per engaged member month", 2.51, 2, False),
        ("attempts per assigned member month", 0.23, 2, False),
        ("dollars per member per month", 412.0, 0, True),
        ("dollars per risk-adjusted member month", 398.0, 0, True),
    ]
    for unit, value, decimals, money in amounts:
        link = plain.Linker(lang, "glossary.md")
        text = str(link(i18n.value_words(value, unit, decimals, lang)))
        assert ("#pmpm)" in text) == money, (unit, text)


# ------------------------------------------------------------------ 5. the months a result covers


def test_plain_pages_say_which_months_each_result_covers(model, docs: Path) -> None:
    from scorecard import plain, views

    entity = model.entity("cp", "cp1")
    en = flat(docs / views.plain_page(entity, "en"))
    assert "did from October to December 2025" not in en
    assert "did up to the end of December 2025. Each result says which months it covers." in en
    assert "Months covered:** the 12 months ending December 2025." in en  # window year
    es = flat(docs / views.plain_page(entity, "es"))
    assert "Meses que abarca:** los 12 meses que terminan en diciembre de 2025." in es
    assert plain.covers_words("2025Q4", "quarter", "en") == "October to December 2025"
    assert plain.covers_words("2025Q4", "quarter", "es") == "de octubre a diciembre de 2025"
