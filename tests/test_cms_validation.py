"""Check the clustering cut points against CMS's published 2026 Part C Star Ratings.

The data (CMS's own per-contract scores and published thresholds) lives beside the repository in
shared/validation/cms-stars-2026-part-c; its README explains why agreement is close, not exact.
Figures and the reasons for the rest are in docs_notes/ratings.md. Run with -s to print them.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from scorecard import ratings

VALIDATION = Path(__file__).resolve().parents[2] / "shared" / "validation" / "cms-stars-2026-part-c"
THRESHOLDS = list(ratings.THRESHOLD_COLUMNS)


@cache
def load(name: str) -> pd.DataFrame:
    """Return one validation CSV."""
    return pd.read_csv(VALIDATION / name)


def decimals(display: str) -> int:
    """Return the display precision from CMS's data_display text ('... with 2 decimal places')."""
    found = re.search(r"(\d+) decimal", display)
    return int(found.group(1)) if found else 0


@cache
def measures() -> pd.DataFrame:
    """Return the clustering measures with direction, display precision and published fences."""
    spec = load("measures.csv").set_index("measure_id")
    target = load("cut_points_preguardrail.csv")
    target = target[target["method"] == "clustering"].set_index("measure_id")
    fences = load("tukey_cutoffs.csv")
    fences = fences[fences["subgroup"].isna()].set_index("measure_id")
    out = target[THRESHOLDS].join(spec[["direction", "data_display"]])
    out["decimals"] = out["data_display"].map(decimals)
    return out.join(fences[["lower_cutoff", "upper_cutoff"]])


def scores(measure: str) -> np.ndarray:
    data = load("measure_scores.csv")
    return data.loc[data["measure_id"] == measure, "score"].to_numpy(float)


@cache
def comparison(published_fences: bool) -> pd.DataFrame:
    """Return |ours - CMS| in display units for every threshold of every clustering measure."""
    rows = []
    for measure, m in measures().iterrows():
        fences = (m["lower_cutoff"], m["upper_cutoff"]) if published_fences else None
        ours = ratings.cut_points(scores(measure), m["direction"], m["decimals"], fences=fences)
        unit = 10.0 ** -m["decimals"]
        for name, mine in zip(THRESHOLDS, ours, strict=True):
            rows.append(
                {
                    "measure_id": measure,
                    "threshold": name,
                    "ours": mine,
                    "cms": m[name],
                    "units_off": round(abs(mine - m[name]) / unit, 6),
                }
            )
    return pd.DataFrame(rows)


def share_within_one_unit(published_fences: bool) -> float:
    table = comparison(published_fences)
    within = int((table["units_off"] <= 1).sum())
    exact = int((table["units_off"] == 0).sum())
    fences = "CMS's published Tukey fences" if published_fences else "our Tukey fences"
    print(f"\n{fences}: {within}/{len(table)} within one display unit, {exact} exact")
    return within / len(table)


def test_cut_points_within_one_display_unit_of_cms():
    assert len(measures()) == 25  # C30 (improvement) has no scores to cluster
    assert share_within_one_unit(published_fences=False) >= 0.75


def test_cut_points_with_published_tukey_fences():
    assert share_within_one_unit(published_fences=True) >= 0.75


def test_tukey_fences_match_published_for_most_measures():
    exact = same_kept = 0
    for measure, m in measures().iterrows():
        s = ratings.round_half_up(scores(measure), m["decimals"])
        lo, hi = ratings.tukey_fences(s)
        # CMS prints fences clipped to the possible scores: never below 0, never above 100 for a
        # percentage
        top = 100.0 if m["data_display"].startswith("Percentage") else np.inf
        lo, hi = max(lo, 0.0), min(hi, top)
        exact += bool(np.isclose(lo, m["lower_cutoff"]) and np.isclose(hi, m["upper_cutoff"]))
        kept = (s >= lo) & (s <= hi)
        kept_cms = (s >= m["lower_cutoff"]) & (s <= m["upper_cutoff"])
        same_kept += bool((kept == kept_cms).all())
    n = len(measures())
    print(f"\nTukey fences: {exact}/{n} identical, {same_kept}/{n} keep the same contracts")
    assert exact / n >= 0.5
    assert same_kept / n >= 0.7


def test_published_cut_points_give_published_stars():
    # The threshold convention: with CMS's final cut points, stars_from_cut_points reproduces
    # every published clustering-measure star except for contracts with 25% or more members in
    # 2024 disaster areas (CMS keeps the better of their 2025 and 2026 stars).
    final = load("cut_points.csv")
    final = final[final["method"] == "clustering"].set_index("measure_id")
    data = load("measure_scores.csv")
    data = data[data["measure_id"].isin(final.index) & (data["disaster_pct_2024"] < 25)]
    checked = 0
    for measure, group in data.groupby("measure_id"):
        m = final.loc[measure]
        stars = ratings.stars_from_cut_points(group["score"], m[THRESHOLDS], m["direction"])
        assert (stars.to_numpy(float) == group["published_star"].to_numpy(float)).all(), measure
        checked += len(group)
    assert checked > 10_000
