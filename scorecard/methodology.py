"""The numbers the methodology page quotes, read from the code that uses them (never retyped)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from scorecard import audience, i18n, ratings, stats
from scorecard.specs import CATEGORY_WEIGHTS, MeasureSpec

LEVEL_NAMES: dict[str, str] = {"aco": "ACOs", "cp": "Community Partners", "practice": "Practices"}
WEIGHT_WORDS: dict[str, str] = {
    "process": "Process (was a service given?)",
    "outcome": "Outcome (what happened to members' health or use of care)",
    "intermediate_outcome": "Intermediate outcome (e.g. blood pressure or blood sugar control)",
    "experience": "Member experience",
    "improvement": "Improvement over time",
}


def constants() -> dict[str, Any]:
    """Return the method's fixed numbers: cell size, intervals, clustering and guardrails."""
    return {
        "small_cell_max": stats.SMALL_CELL_MAX,
        "min_denominator": stats.DEFAULT_MIN_DENOMINATOR,
        "min_mean_members": stats.MIN_MEAN_MEMBERS,
        "confidence": round(100 * (1 - stats.ALPHA)),
        "seed": ratings.CMS_SEED,
        "min_entities": ratings.MIN_ENTITIES_RELATIVE,
        "min_peers": stats.MIN_PEERS,
        "guardrail_points": ratings.GUARDRAIL_POINTS,
        "guardrail_share": round(100 * ratings.GUARDRAIL_SHARE),
        "guardrail_new_years": ratings.GUARDRAIL_NEW_YEARS,
        "new_measure_weight": f"{ratings.NEW_MEASURE_WEIGHT:g}",
        "percentiles": list(stats.PERCENTILES),
        "min_share": round(100 * ratings.MIN_RATED_SHARE),
        "min_measures": ratings.MIN_RATED_MEASURES,
        "min_reliability": f"{ratings.MIN_RELIABILITY:g}",
        "min_reliability_percent": round(100 * ratings.MIN_RELIABILITY),
        "min_reliable_share": round(100 * ratings.MIN_RELIABLE_SHARE),
        "median_factor": f"{ratings.MEDIAN_VARIANCE_FACTOR:.2f}",
    }


def guardrail_words(record: dict[str, Any]) -> str:
    """Return how the guardrails treated a cut-point row, in plain words ('' if not rated)."""
    status = record.get("guardrail")
    first = record.get("first_rated")
    since = "" if first is None or pd.isna(first) else f" (rated since {int(first)})"
    words = {
        "capped": "Held back: would have moved more than the limit",
        "within": "Moved less than the limit",
        "new_measure": f"No limit: new measure{since}",
        "no_prior": "No limit: not rated a year earlier",
        "definition_changed": "Not capped: the definition changed since a year earlier",
    }
    return words.get(status if isinstance(status, str) else "", "")


def new_measures(
    cut_points: pd.DataFrame | None, specs: dict[str, MeasureSpec], period_id: str
) -> list[str]:
    """Return the titles of the measures rated in the published period without guardrails
    because they are new (ratings.GUARDRAIL_NEW_YEARS), in title order."""
    records = _current(cut_points, period_id)
    return _titles([r for r in records if r.get("guardrail") == "new_measure"], specs)


def redefined_measures(
    cut_points: pd.DataFrame | None, specs: dict[str, MeasureSpec], period_id: str
) -> list[str]:
    """Return the titles of the measures rated in the published period without guardrails
    because their definition changed since the cut points a year before (guardrail
    'definition_changed', ratings.definition_changed), in title order."""
    records = _current(cut_points, period_id)
    return _titles([r for r in records if r.get("guardrail") == "definition_changed"], specs)


def first_year_measures(
    cut_points: pd.DataFrame | None, specs: dict[str, MeasureSpec], period_id: str
) -> list[str]:
    """Return the titles of the measures in their first year of star ratings in the published
    period, which weigh ratings.NEW_MEASURE_WEIGHT in the overall rating, in title order."""
    records = _current(cut_points, period_id)
    new = [r for r in records if ratings.in_first_year(r.get("first_rated"), period_id)]
    return _titles(new, specs)


def rated_measures(
    cut_points: pd.DataFrame | None, specs: dict[str, MeasureSpec], period_id: str
) -> list[str]:
    """Return the titles of the measures with cut points in the published period, in title
    order."""
    return _titles(_current(cut_points, period_id), specs)


def _titles(records: list[dict[str, Any]], specs: dict[str, MeasureSpec]) -> list[str]:
    """Return the titles of the cut-point records' measures found in `specs`, once each, in
    title order."""
    return sorted(
        {specs[r["measure_id"]].text("en").title for r in records if r["measure_id"] in specs}
    )


def reward_rows() -> list[dict[str, str]]:
    """Return the reward factor's table (ratings.REWARD_FACTORS) in words: one row per band of
    the average star, with the extra for stars that vary little and for those that vary about
    as much as most."""
    high = 100 - ratings.REWARD_MEAN_PERCENTILES["high"]
    fairly = 100 - ratings.REWARD_MEAN_PERCENTILES["relatively_high"]
    bands = {
        "high": f"Among the highest {high}%",
        "relatively_high": f"Among the highest {fairly}%, but not the highest {high}%",
    }
    return [
        {
            "average": words,
            **{
                spread: f"+{ratings.REWARD_FACTORS.get((band, spread), 0.0):.1f}"
                for spread in ("low", "medium")
            },
        }
        for band, words in bands.items()
    ]


def reward_numbers() -> dict[str, int]:
    """Return the percentiles of the reward factor's spread bands, for the page's words."""
    low = ratings.REWARD_VARIANCE_PERCENTILES["low"]
    medium = ratings.REWARD_VARIANCE_PERCENTILES["medium"]
    return {"least": low, "middle": medium - low, "most": 100 - medium}


def reward_applied(manifest: dict[str, Any], summary: pd.DataFrame) -> bool:
    """Return True when the edition's overall stars include the reward factor: as its
    manifest says (`star_reward`), else when its summary has reward factors."""
    if "star_reward" in manifest:
        return manifest["star_reward"] == "cms"
    return "reward" in summary.columns and bool(summary["reward"].notna().any())


NEW_MEASURE_WORDS = "New measure, in its first year of star ratings (of any kind above)"


def weight_rows() -> list[dict[str, Any]]:
    """Return one row per measure category with its weight in the overall rating, and last the
    weight of a measure in its first year (ratings.NEW_MEASURE_WEIGHT)."""
    rows = [
        {"category": WEIGHT_WORDS[name], "weight": f"{weight:g}"}
        for name, weight in CATEGORY_WEIGHTS.items()
    ]
    rows.append({"category": NEW_MEASURE_WORDS, "weight": f"{ratings.NEW_MEASURE_WEIGHT:g}"})
    return rows


def _threshold(value: float, decimals: int) -> str:
    return "" if pd.isna(value) else f"{value:,.{decimals}f}"


def _current(cut_points: pd.DataFrame | None, period_id: str) -> list[dict[str, Any]]:
    """Return the published period's cut-point rows as records, by measure and level."""
    if cut_points is None or cut_points.empty:
        return []
    current = cut_points
    if "period_id" in cut_points.columns:
        current = cut_points[cut_points["period_id"] == period_id]
    order = [c for c in ("measure_id", "level", stats.PEER_GROUP) if c in current.columns]
    return current.sort_values(order).to_dict("records")


def _level_words(record: dict[str, Any]) -> str:
    """Return whom a cut-point row rates: its level, or its peer group ('Behavioral Health
    Community Partners': a CP type, stats.PEER_GROUP)."""
    level = LEVEL_NAMES.get(record["level"], record["level"])
    group = record.get(stats.PEER_GROUP)
    if not isinstance(group, str) or not group:
        return level
    return f"{i18n.CP_TYPE_NAMES.get(group, group)} {level}"


def _reliability_words(record: dict[str, Any]) -> str:
    """Return the typical (median) reliability of a cut-point row, '' when not worked out."""
    return _threshold(record.get("median_reliability"), 2)


def _count(record: dict[str, Any], column: str) -> str:
    return _threshold(record.get(column), 0)


def withheld_practices_words(manifest: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    """Return why the cut-point table (`rows`, cut_point_rows) counts more practices than an
    edition shows: the public edition gives no page to practices with few members
    (audience.PUBLIC_MIN_PANEL), but their results set the cut points with the others ('' when
    the edition withholds none or the table has no practices)."""
    count = int((manifest.get("audience_rules") or {}).get("practices_without_a_page") or 0)
    if count <= 0 or not any(r["level"] == LEVEL_NAMES["practice"] for r in rows):
        return ""
    some, their = ("1 practice", "its") if count == 1 else (f"{count:,} practices", "their")
    return (
        f"The counts for practices include the {some} with fewer than "
        f"{audience.PUBLIC_MIN_PANEL} members that this edition does not show: {their} "
        "results were used with all the others to set the cut points."
    )


def cut_point_rows(
    cut_points: pd.DataFrame | None, specs: dict[str, MeasureSpec], period_id: str
) -> list[dict[str, Any]]:
    """Return the published period's relative cut points with measure titles, for a table."""
    rows = []
    for record in _current(cut_points, period_id):
        spec = specs.get(record["measure_id"])
        if spec is None or pd.isna(record.get("t5")):
            continue
        better = "higher" if spec.direction == "higher_is_better" else "lower"
        rows.append(
            {
                "measure_id": spec.id,
                "title": spec.text("en").title,
                "level": _level_words(record),
                "better": better,
                **{t: _threshold(record[t], spec.decimals) for t in ratings.THRESHOLD_COLUMNS},
                "rated": _count(record, "n_rated"),
                "entities": _count(record, "n_entities"),
                "reliability": _reliability_words(record),
                "guardrail": guardrail_words(record),
            }
        )
    return rows


def chance_rows(
    cut_points: pd.DataFrame | None, specs: dict[str, MeasureSpec], period_id: str
) -> list[dict[str, Any]]:
    """Return the measures and levels not rated in the published period because too few of
    their results were reliable (ratings.MIN_RELIABLE_SHARE), though enough entities had
    data."""
    return _unrated_rows(cut_points, specs, period_id, alike=False)


def alike_rows(
    cut_points: pd.DataFrame | None, specs: dict[str, MeasureSpec], period_id: str
) -> list[dict[str, Any]]:
    """Return the measures and levels not rated in the published period because their results
    were too alike (ratings.too_alike), though enough entities had reliable data."""
    return _unrated_rows(cut_points, specs, period_id, alike=True)


def _unrated_rows(
    cut_points: pd.DataFrame | None, specs: dict[str, MeasureSpec], period_id: str, alike: bool
) -> list[dict[str, Any]]:
    """Return the relative measures and levels with enough entities but no cut points: those
    whose results were mostly reliable (too alike), or the others (mostly chance)."""
    rows = []
    for record in _current(cut_points, period_id):
        spec = specs.get(record["measure_id"])
        enough = record.get("n_entities", 0) >= ratings.MIN_ENTITIES_RELATIVE
        if spec is None or record.get("method") != "relative" or not enough:
            continue
        if pd.notna(record.get("t5")) or _mostly_reliable(record) != alike:
            continue
        rows.append(
            {
                "measure_id": spec.id,
                "title": spec.text("en").title,
                "level": _level_words(record),
                "entities": _count(record, "n_entities"),
                "reliable": _count(record, "n_reliable"),
                "reliability": _reliability_words(record),
            }
        )
    return rows


def _mostly_reliable(record: dict[str, Any]) -> bool:
    """Return True when at least ratings.MIN_RELIABLE_SHARE of a cut-point row's entities with
    enough data had reliable results."""
    reliable = record.get("n_reliable")
    if reliable is None or pd.isna(reliable):
        return False
    return ratings.enough_reliable(reliable, record["n_entities"])


def tier_rows(tiers: list[dict]) -> list[dict[str, str]]:
    """Return the incentive tiers (as build.read_tiers returns them), highest first, each with
    its band of average star ratings in words ([] without tiers)."""
    ordered = sorted(tiers, key=lambda t: float(t["min_stars"]), reverse=True)
    rows = []
    above = None
    for tier in ordered:
        low = float(tier["min_stars"])
        if above is None:
            band = f"{low:g} or more"
        elif low <= 0:
            band = f"Under {above:g}"
        else:
            band = f"{low:g} to under {above:g}"
        rows.append({"name": str(tier["name"]), "band": band})
        above = low
    return rows
