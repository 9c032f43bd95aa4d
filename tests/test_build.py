"""Pipeline pieces of build.py: incentive tiers and the manifest."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from scorecard.build import add_tiers, read_tiers

ROOT = Path(__file__).resolve().parents[1]


def test_tiers_follow_the_unrounded_average_of_overall_rows() -> None:
    tiers = read_tiers(ROOT / "measures")
    summary = pd.DataFrame(
        {
            "family": ["overall", "overall", "overall", "quality"],
            "average": [4.80, 4.74, 3.75, 4.9],
            "stars": [5.0, 4.5, 4.0, 5.0],
        }
    )
    tiered = add_tiers(summary, tiers)
    # 4.80 >= 4.75 -> Tier 1; 4.74 is in 4.5-4.74 -> Tier 2 (although it rounds to 4.5 stars);
    # 3.75 is below 3.76 -> no bonus; family rows get no tier.
    assert list(tiered["tier"]) == ["Tier 1: highest bonus", "Tier 2", "No bonus", None]


def test_no_tiers_file_means_no_tiers(tmp_path: Path) -> None:
    summary = pd.DataFrame({"family": ["overall"], "average": [4.9], "stars": [5.0]})
    assert read_tiers(tmp_path) == []
    assert add_tiers(summary, [])["tier"].isna().all()
