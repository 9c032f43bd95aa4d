"""Tests for scorecard.ratings: cut points, stars, guardrails, summary stars and tiers."""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import ArrayLike
from scipy.cluster.hierarchy import fcluster, linkage

from scorecard import build, methodology, parallel, ratings, stats
from scorecard import history as results_history

HIGHER, LOWER = ratings.HIGHER, ratings.LOWER

# Five tight groups, four copies of each value: a fold leaves out 2 of 20 scores, so every run
# still sees all five groups and finds them.
FIVE_GROUPS = [10.0] * 4 + [30.0] * 4 + [50.0] * 4 + [70.0] * 4 + [90.0] * 4


def test_quartiles_use_sas_definition_5():
    # n = 20: 25% of 20 = 5 exactly, so Q1 = mean of the 5th and 6th sorted values = 30;
    # Q3 = mean of the 15th and 16th = 70. numpy's default (linear) would also give 30 / 70 here,
    # so check an uneven case: 1..10, 25% of 10 = 2.5 -> 3rd value = 3 (linear gives 3.25).
    assert ratings.quartiles(FIVE_GROUPS) == (30.0, 70.0)
    assert ratings.quartiles(range(1, 11)) == (3.0, 8.0)


def test_tukey_filter_drops_beyond_outer_fences():
    # 1..10: Q1 3, Q3 8, IQR 5, fences 3 - 15 = -12 and 8 + 15 = 23
    assert ratings.tukey_fences(range(1, 11)) == (-12.0, 23.0)
    # -40, 1..10, 26 (n 12): Q1 = (2 + 3)/2 = 2.5, Q3 = (8 + 9)/2 = 8.5, IQR 6,
    # fences 2.5 - 18 = -15.5 and 8.5 + 18 = 26.5: -40 goes, 26 stays
    kept = ratings.tukey_filter([-40, *range(1, 11), 26])
    assert sorted(kept) == [*range(1, 11), 26]


def test_cut_points_five_obvious_groups():
    # every run finds the groups {10} {30} {50} {70} {90}; the cut point is each group's lowest
    # score above the bottom group, so the mean over runs is exactly (30, 50, 70, 90)
    assert ratings.cut_points(FIVE_GROUPS, HIGHER, 0) == (30.0, 50.0, 70.0, 90.0)
    # lower is better: worst group is {90}; t_k is the highest score of the k-star group
    assert ratings.cut_points(FIVE_GROUPS, LOWER, 0) == (70.0, 50.0, 30.0, 10.0)


def test_cut_points_lowest_and_highest_score_of_each_cluster():
    scores = [1, 2, 3, 20, 21, 22, 40, 41, 60, 61, 62, 80, 81]
    # one clustering of all scores (folds=1): groups 1-3, 20-22, 40-41, 60-62, 80-81
    assert ratings.cut_points(scores, HIGHER, 0, folds=1) == (20.0, 40.0, 60.0, 80.0)
    # lower is better: 80-81 is 1 star; t2 = highest of 60-62, ... t5 = highest of 1-3
    assert ratings.cut_points(scores, LOWER, 0, folds=1) == (62.0, 41.0, 22.0, 3.0)


def brute_force_ward(scores: list[int], k: int) -> list[tuple[int, int]]:
    """Ward by the definition: merge the pair of groups (any two, not only neighbours) whose
    merge adds the least within-group sum of squares, in exact fractions; a tie goes to the
    pair with the lowest scores. Returns (first, last) positions in sorted scores."""
    groups = [[i] for i in range(len(scores))]
    values = sorted(scores)

    def cost(a: list[int], b: list[int]) -> Fraction:
        mean_a = Fraction(sum(values[i] for i in a), len(a))
        mean_b = Fraction(sum(values[i] for i in b), len(b))
        return Fraction(len(a) * len(b), len(a) + len(b)) * (mean_a - mean_b) ** 2

    while len(groups) > k:
        pairs = [
            (cost(a, b), min(a), min(b), x, y)
            for x, a in enumerate(groups)
            for y, b in enumerate(groups)
            if x < y
        ]
        *_, x, y = min(pairs)
        groups[x] = sorted(groups[x] + groups[y])
        del groups[y]
    return sorted((min(g), max(g)) for g in groups)


def test_ward_groups_tie_goes_to_the_lower_scores():
    # 0, 1, 2, 3: the three neighbour merges all cost 1/2 -> {0, 1} first. Then {0, 1} + {2}
    # costs 2*1/3 * (1/2 - 2)^2 = 3/2 and {2} + {3} costs 1/2 -> {2, 3}.
    assert ratings.ward_groups(np.array([0.0, 1.0, 2.0, 3.0]), 3, 0) == [(0, 1), (2, 2), (3, 3)]
    assert ratings.ward_groups(np.array([0.0, 1.0, 2.0, 3.0]), 2, 0) == [(0, 1), (2, 3)]
    # equal scores always share a group, whatever k asks for
    assert ratings.ward_groups(np.array([0.5, 0.5, 0.7, 0.7]), 5, 1) == [(0, 1), (2, 3)]


@settings(max_examples=200, deadline=None)
@given(scores=st.lists(st.integers(0, 12), min_size=1, max_size=14), k=st.integers(1, 5))
def test_ward_groups_equal_merging_any_two_groups_by_definition(scores, k):
    # small integer scores: many equal scores and equal merge costs
    x = np.sort(np.array(scores, dtype=float))
    groups = min(k, len(set(scores)))  # equal scores share a group: at most one per score
    assert ratings.ward_groups(x, k, 0) == brute_force_ward(scores, groups)


def test_ward_groups_same_as_scipy_when_no_two_merges_cost_the_same():
    # continuous scores (6 decimals): no ties, so SciPy's Ward linkage cut into five groups
    # must give the same groups
    rng = np.random.default_rng(3)
    for _ in range(100):
        x = np.sort(ratings.round_half_up(rng.normal(60, 12, rng.integers(10, 400)), 6))
        labels = fcluster(linkage(x.reshape(-1, 1), method="ward"), 5, criterion="maxclust")
        scipy_groups = sorted(
            (int(np.flatnonzero(labels == g)[0]), int(np.flatnonzero(labels == g)[-1]))
            for g in np.unique(labels)
        )
        assert ratings.ward_groups(x, 5, 6) == scipy_groups


def test_cut_points_round_scores_then_average():
    # 0.4 rounds to 0 and 9.6 to 10 at 0 decimals: two values {0, 10} in every run
    scores = [0.4] * 10 + [9.6] * 10
    assert ratings.cut_points(scores, HIGHER, 0) == (0.0, 0.0, 0.0, 10.0)
    # at 1 decimal the two values stay 0.4 and 9.6; the empty levels take the lowest, 0.4
    assert ratings.cut_points(scores, HIGHER, 1) == (0.4, 0.4, 0.4, 9.6)


def test_fewer_than_five_clusters_fill_lower_levels():
    scores = [98.0] * 20 + [100.0] * 30
    # two groups take the top two levels; the empty levels take the lowest score clustered
    # (CMS publishes 0, as D07 2026: 0, 0, 0, 99), so a score under it gets 1 star, not 4
    points = ratings.cut_points(scores, HIGHER, 0)
    assert points == (98.0, 98.0, 98.0, 100.0)
    assert ratings.stars_from_cut_points([97.0, 98.0, 100.0], points, HIGHER).tolist() == [1, 4, 5]
    # the mirror for lower is better: empty levels take the highest score, so they never bind
    low = [2.0] * 30 + [5.0] * 20
    points = ratings.cut_points(low, LOWER, 0)
    assert points == (5.0, 5.0, 5.0, 2.0)
    assert ratings.stars_from_cut_points([2.0, 5.0], points, LOWER).tolist() == [5, 4]


def test_cut_points_deterministic_and_order_free():
    rng = np.random.default_rng(1)
    scores = np.round(rng.normal(70, 10, 200))
    a = ratings.cut_points(scores, HIGHER, 0, seed=7)
    assert a == ratings.cut_points(scores[::-1], HIGHER, 0, seed=7)
    assert list(a) == sorted(a)


def test_cut_points_too_few_scores():
    assert all(np.isnan(ratings.cut_points([50.0], HIGHER, 0)))
    with pytest.raises(ValueError, match="direction"):
        ratings.cut_points(FIVE_GROUPS, "up", 0)


def test_stars_from_cut_points_both_directions():
    # higher: >= 30 is 2 stars, >= 90 is 5; lower: <= 70 is 2 stars, <= 10 is 5
    values = pd.Series([5.0, 30.0, 69.9, 90.0, np.nan], index=list("abcde"))
    hi = ratings.stars_from_cut_points(values, (30, 50, 70, 90), HIGHER)
    assert list(hi.index) == list("abcde")
    assert hi.tolist()[:4] == [1, 2, 3, 5] and hi.isna().tolist()[4]
    lo = ratings.stars_from_cut_points([95.0, 70.0, 10.0, 30.0], (70, 50, 30, 10), LOWER)
    assert lo.tolist() == [1, 2, 5, 4]
    assert ratings.stars_from_cut_points([50.0], None, HIGHER).isna().all()


@settings(max_examples=60, deadline=None)
@given(
    cuts=st.lists(st.floats(0, 100), min_size=4, max_size=4),
    values=st.lists(st.floats(-10, 110), min_size=1, max_size=30),
    higher=st.booleans(),
)
def test_stars_monotone_in_score(cuts, values, higher):
    direction = HIGHER if higher else LOWER
    cuts = sorted(cuts, reverse=not higher)
    v = np.sort(values)
    stars = ratings.stars_from_cut_points(v, cuts, direction).to_numpy(int)
    steps = np.diff(stars)
    assert (steps >= 0).all() if higher else (steps <= 0).all()
    assert stars.min() >= 1 and stars.max() <= 5


@settings(max_examples=25, deadline=None)
@given(
    scores=st.lists(st.integers(0, 100), min_size=12, max_size=80),
    higher=st.booleans(),
)
def test_cut_points_ordered(scores, higher):
    points = ratings.cut_points(scores, HIGHER if higher else LOWER, 0)
    assert list(points) == sorted(points, reverse=not higher)


@settings(max_examples=60, deadline=None)
@given(
    scores=st.lists(st.one_of(st.just(100), st.integers(0, 100)), min_size=10, max_size=40),
    higher=st.booleans(),
)
def test_a_score_beyond_the_tukey_fences_gets_1_or_5_stars(scores, higher):
    # many ties at 100, as whole-percent scores near the top have: a score dropped as an
    # outlier on the worse side meets no cut point, one on the better side all of them
    direction = HIGHER if higher else LOWER
    points = ratings.cut_points(scores, direction, 0)
    lo, hi = ratings.tukey_fences(scores)
    below = [s for s in scores if s < lo]
    above = [s for s in scores if s > hi]
    worse, better = (below, above) if higher else (above, below)
    assert set(ratings.stars_from_cut_points(worse, points, direction).tolist()) <= {1}
    assert set(ratings.stars_from_cut_points(better, points, direction).tolist()) <= {5}


def test_guardrails_hand_worked():
    # cap 5: 60 is 10 above 50 -> 55; 70 is within 72 +- 5; 80 is 6 below 86 -> 81; 90 unchanged
    new = ratings.apply_guardrails((60, 70, 80, 90), (50, 72, 86, 90), 5)
    assert new == (55.0, 70.0, 81.0, 90.0)
    assert ratings.apply_guardrails((60, 70, 80, 90), None, 5) == (60.0, 70.0, 80.0, 90.0)
    assert ratings.guardrail_cap("proportion", 100, 42.0) == 5.0
    assert ratings.guardrail_cap("rate", 1000, 42.0) == pytest.approx(2.1)  # 5% of 42


def test_half_star_rounding():
    got = ratings.round_half_star([3.75, 3.74, 3.25, 3.2499, 4.4, 5.0])
    assert got.tolist() == [4.0, 3.5, 3.5, 3.0, 4.5, 5.0]


def test_tier_for():
    tiers = [
        {"name": "Tier 3", "min_stars": 3.0},
        {"name": "Tier 1", "min_stars": 4.75},
        {"name": "Tier 2", "min_stars": 4.0},
    ]
    assert ratings.tier_for(4.8, tiers) == "Tier 1"
    assert ratings.tier_for(4.75, tiers) == "Tier 1"
    assert ratings.tier_for(4.0, tiers) == "Tier 2"
    assert ratings.tier_for(2.9, tiers) is None
    assert ratings.tier_for(float("nan"), tiers) is None
    assert ratings.tier_for(pd.Series([3.5, 5.0]), tiers).tolist() == ["Tier 3", "Tier 1"]


def result(measure: str, level: str, entity: str, value: float, **kw) -> dict:
    """Return one stratum-'all' results row of a percent measure with 100 in the denominator."""
    out = {
        "measure_id": measure,
        "period_id": "2025Q4",
        "level": level,
        "entity_id": entity,
        "stratum": "all",
        "stratum_value": "all",
        "numerator": value,
        "denominator": 100.0,
        "numerator_sq": np.nan,
        "value": value,
        "kind": "proportion",
        "direction": HIGHER,
        "multiplier": 100.0,
        "decimals": 0,
        "min_denominator": 30,
        "family": "quality",
        "weight": 1.0,
        "star_method": "relative",
        "star_thresholds": None,
    }
    out.update(kw)
    return out


def _rated_table() -> pd.DataFrame:
    values = [20, 22, 40, 42, 50, 52, 60, 62, 80, 82, 81, 21]
    rows = [result("rel", "program", "ALL", 55.0)]
    rows += [result("rel", "aco", f"A{i:02d}", v) for i, v in enumerate(values)]
    rows.append(result("rel", "aco", "A_small", 90.0, denominator=25.0))  # below 30
    fixed = {"star_method": "fixed", "star_thresholds": [20.0, 40.0, 60.0, 80.0]}
    rows += [result("fix", "aco", f"A{i:02d}", v, **fixed) for i, v in enumerate([19.6, 80, 45])]
    rows.append(result("fix", "aco", "A_hidden", 95.0, numerator=95.0, **fixed))  # 100-95 = 5
    rows.append(result("none", "aco", "A00", 50.0, star_method="none"))
    return pd.DataFrame(rows)


def test_rate_results_relative_fixed_and_unrated():
    rated, cuts = ratings.rate_results(_rated_table())
    stars = dict(zip(rated["measure_id"] + ":" + rated["entity_id"], rated["stars"], strict=True))
    assert rated["stars"].dtype == "Int64"
    # relative: groups 20-22, 40-42, 50-52, 60-62, 80-82 -> cut points 40, 50, 60, 80
    rel = cuts.set_index("measure_id").loc["rel"]
    assert (rel.t2, rel.t3, rel.t4, rel.t5) == (40.0, 50.0, 60.0, 80.0)
    assert rel.method == "relative" and rel.n_entities == 12
    assert [stars[f"rel:A{i:02d}"] for i in (0, 2, 4, 6, 8)] == [1, 2, 3, 4, 5]
    assert pd.isna(stars["rel:ALL"]) and pd.isna(stars["rel:A_small"])
    # fixed: 19.6 is shown as 20 and so meets t2 = 20
    assert [stars[f"fix:A{i:02d}"] for i in range(3)] == [2, 5, 3]
    assert pd.isna(stars["fix:A_hidden"]) and pd.isna(stars["none:A00"])
    assert cuts.columns.tolist() == [
        "measure_id",
        "period_id",
        "level",
        "peer_group",
        "t2",
        "t3",
        "t4",
        "t5",
        "method",
        "n_entities",
        "n_reliable",
        "n_rated",
        "median_reliability",
        "score_range",
        "first_rated",
        "guardrail",
        "measure_version",
    ]
    assert set(cuts["measure_id"]) == {"rel", "fix"}
    # no prior cut points, no measure ages: nothing to hold the cut points to
    assert cuts.set_index("measure_id")["guardrail"].to_dict() == {"rel": "no_prior", "fix": ""}


def test_rate_results_only_some_periods():
    table = _rated_table()
    second = table[table["measure_id"] == "rel"].assign(measure_id="rel2")
    table = pd.concat([table, second.assign(value=second["value"] * 0.9)], ignore_index=True)
    earlier = table.assign(period_id="2025Q3", value=table["value"] + 1)
    both = pd.concat([earlier, table], ignore_index=True)
    alone, alone_cuts = ratings.rate_results(table)
    rated, cuts = ratings.rate_results(both, periods=["2025Q4"])
    assert rated.loc[rated["period_id"] == "2025Q3", "stars"].isna().all()
    now = rated[rated["period_id"] == "2025Q4"].reset_index(drop=True)
    assert now["stars"].equals(alone["stars"]) and cuts.equals(alone_cuts)


def test_scoring_with_its_trend_labels_made_in_a_forked_process_is_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    table = _rated_table()
    earlier = table.assign(period_id="2025Q3", numerator=table["numerator"] * 0.5)
    both = pd.concat([earlier, table], ignore_index=True)
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    one = build.score(both, None, 7, "2025Q4")
    monkeypatch.setenv(parallel.WORKERS_ENV, "2")
    two = build.score(both, None, 7, "2025Q4")
    assert (one.results["trend_label"] != "").sum() >= 5 and one.results["stars"].notna().any()
    assert one.results.equals(two.results) and one.summary.equals(two.summary)
    assert one.benchmarks.equals(two.benchmarks) and one.cut_points.equals(two.cut_points)


def _one_measure(values: list[float], **kw) -> pd.DataFrame:
    """Return ACO rows of one percent measure 'm' with these values, of 10,000 members each
    (so that no 96% or 4% is hidden for a small count)."""
    rows = [
        result("m", "aco", f"A{i:02d}", v, numerator=v * 100, denominator=10_000.0, **kw)
        for i, v in enumerate(values)
    ]
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    ("values", "direction"),
    [
        # 14 values: Q1 (3.5th -> 4th sorted) = Q3 (10.5th -> 11th) = 100, fences (100, 100):
        # only the eleven 100s are left, one score
        ([100.0] * 11 + [60.0, 80.0, 95.0], HIGHER),
        # 12 values: Q1 = (3rd + 4th) / 2 = (99 + 100) / 2 = 99.5, Q3 = 100, IQR 0.5, fences
        # (98, 101.5): 99 and nine 100s are left, ten results but two scores
        ([100.0] * 9 + [99.0, 60.0, 80.0], HIGHER),
        # the mirror: Q1 = Q3 = 0, fences (0, 0), ten 0s left
        ([0.0] * 10 + [2.0, 5.0, 30.0], LOWER),
    ],
)
def test_a_level_whose_fences_leave_fewer_than_five_scores_is_not_rated(values, direction):
    # CMS's empty levels of 0 gave every dropped score 5 stars in the first case and 4 in the
    # second (averaged cut points 0, 0, 0, 90); now nobody is rated on it, and the note says why
    rated, cuts = ratings.rate_results(_one_measure(values, direction=direction))
    assert rated["stars"].isna().all() and rated["star_note"].eq("alike").all()
    row = cuts.set_index("measure_id").loc["m"]
    assert np.isnan([row.t2, row.t3, row.t4, row.t5]).all() and row.n_rated == 0
    assert row.n_entities == len(values) and row.guardrail == ""


def test_a_low_outlier_gets_1_star_when_a_resampling_run_finds_fewer_than_five_groups():
    # 14 values: 60, 96, 97, 98, 99 and nine 100s. Q1 (3.5th -> 4th) = 98, Q3 (10.5th -> 11th)
    # = 100, IQR 2, fences (92, 106): 60 is dropped, 13 results and 5 scores are left, so the
    # level is rated. Clustering all 13: each score its own group, cut points 97, 98, 99, 100.
    # The ten runs (fold_assignment, seed 8675309) each leave out one or two results; four
    # leave out a score's only result (98, 99, 97 and 96) and find four groups, whose empty
    # level is the lowest score that run clustered: 96 in three runs, 97 in the one without
    # 96, and 97 in the six others. t2 = (3 x 96 + 7 x 97) / 10 = 96.7 -> 97; t3 = (97 + 97 +
    # 8 x 98) / 10 = 97.8 -> 98; t4 = (98 + 9 x 99) / 10 = 98.9 -> 99; t5 = 100. With CMS's
    # empty levels of 0 instead, those four runs had t2 = 0, t2 = 6 x 97 / 10 = 58.2 -> 58,
    # and 60 got 2 stars.
    values = [60.0, 96.0, 97.0, 98.0, 99.0, *[100.0] * 9]
    rated, cuts = ratings.rate_results(_one_measure(values))
    row = cuts.set_index("measure_id").loc["m"]
    assert (row.t2, row.t3, row.t4, row.t5) == (97.0, 98.0, 99.0, 100.0)
    assert rated["stars"].tolist() == [1, 1, 2, 3, 4, *[5] * 9]
    assert row.score_range == 4.0  # 96 to 100: 60 is not clustered


def test_rate_results_guardrails_and_too_few_entities():
    prior = pd.DataFrame(
        [{"measure_id": "rel", "level": "aco", "t2": 30, "t3": 50, "t4": 62, "t5": 90}]
    )
    _, cuts = ratings.rate_results(_rated_table(), prior_cut_points=prior)
    rel = cuts.set_index("measure_id").loc["rel"]
    # new 40, 50, 60, 80 within 5 points of 30, 50, 62, 90 -> 35, 50, 60, 85
    assert (rel.t2, rel.t3, rel.t4, rel.t5) == (35.0, 50.0, 60.0, 85.0)
    few = _rated_table().query("measure_id == 'rel' and entity_id < 'A05'")
    rated, cuts = ratings.rate_results(few)
    assert cuts["t2"].isna().all() and rated["stars"].isna().all()


def test_a_guardrail_below_one_display_unit_cannot_freeze_the_cut_points():
    # days until first contact, whole days, range 8 days: 5% of it is 0.4 day. The new cut
    # points (lower is better) are 3 days below last quarter's; clamped to 0.4 day and rounded,
    # every one would go back to last quarter's, and so in every quarter after: each moves one
    # display unit (1 day) instead.
    days = {"kind": "median", "multiplier": 1.0, "direction": "lower_is_better"}
    values = [10, 10, 12, 12, 13, 13, 15, 15, 17, 17, 18, 18]
    # 100 members each, whose waits have a mean near the median and a spread of 2 days: the
    # medians, 10 to 18 days apart, are far more than chance (reliability above 0.99)
    rows = [
        result(
            "wait", "aco", f"A{i:02d}", v, numerator=100 * v, numerator_sq=100 * (v**2 + 4), **days
        )
        for i, v in enumerate(values)
    ]
    prior = pd.DataFrame(
        [
            {
                "measure_id": "wait",
                "level": "aco",
                "t2": 20,
                "t3": 18,
                "t4": 16,
                "t5": 13,
                "score_range": 8.0,
            }
        ]
    )
    _, cuts = ratings.rate_results(pd.DataFrame(rows), prior_cut_points=prior)
    wait = cuts.set_index("measure_id").loc["wait"]
    unclamped = ratings.rate_results(pd.DataFrame(rows))[1].set_index("measure_id").loc["wait"]
    assert all(unclamped[t] < prior[t].iloc[0] - 1 for t in ("t2", "t3", "t4", "t5"))
    assert (wait.t2, wait.t3, wait.t4, wait.t5) == (19.0, 17.0, 15.0, 12.0)


def _summary_input() -> pd.DataFrame:
    rows = [
        # entity X: quality 5 (weight 3) and 3 (weight 1), claims 4, operational unrated
        result("q1", "aco", "X", 0, family="quality", weight=3.0, stars=5),
        result("q2", "aco", "X", 0, family="quality", weight=1.0, stars=3),
        result("c1", "aco", "X", 0, family="claims", weight=1.0, stars=4),
        result("o1", "aco", "X", 0, family="operational", weight=1.0, stars=pd.NA),
        # entity Y: only o1 rated
        result("o1", "aco", "Y", 0, family="operational", weight=1.0, stars=3),
        result("p1", "program", "ALL", 0, family="quality", stars=pd.NA),
    ]
    df = pd.DataFrame(rows)
    df["stars"] = df["stars"].astype("Int64")
    return df


def test_summary_stars_hand_worked():
    out = ratings.summary_stars(_summary_input())
    got = out.set_index(["entity_id", "family"])
    # X quality: (5 + 3) / 2 = 4.0; claims 4.0; operational 0 of 1 rated -> NaN
    assert got.loc[("X", "quality"), "stars"] == 4.0
    assert got.loc[("X", "claims"), "stars"] == 4.0
    assert np.isnan(got.loc[("X", "operational"), "stars"])
    # X overall: (3*5 + 1*3 + 1*4) / 5 = 4.4 -> 4.5; 3 of 4 measures rated
    x = got.loc[("X", "overall")]
    assert x["average"] == pytest.approx(4.4) and x["stars"] == 4.5
    assert (x["n_rated"], x["n_measures"], x["rated_share"]) == (3, 4, 0.75)
    # Y: 1 of 4 rated overall < 0.5 -> NaN, but its operational family is fully rated
    assert np.isnan(got.loc[("Y", "overall"), "stars"])
    assert got.loc[("Y", "operational"), "stars"] == 3.0
    assert "ALL" not in set(out["entity_id"])
    assert out.columns.tolist()[:9] == [
        "period_id",
        "level",
        "peer_group",
        "entity_id",
        "family",
        "stars",
        "n_rated",
        "n_measures",
        "rated_share",
    ]


def test_rated_share_counts_only_measures_someone_at_the_level_is_rated_on():
    # Two ACOs. q1 (weight 3) rated for both, q2 only for Y, o1 for nobody (say fewer than 10
    # ACOs had enough data to set cut points), n1 never rated (star_method none).
    stars = {("q1", "X"): 4, ("q1", "Y"): 2, ("q2", "X"): pd.NA, ("q2", "Y"): 3}
    rows = [
        result(m, "aco", e, 0, family="quality", weight=w, stars=stars[(m, e)])
        for m, w in (("q1", 3.0), ("q2", 1.0))
        for e in ("X", "Y")
    ]
    rows += [result("o1", "aco", e, 0, family="operational", stars=pd.NA) for e in "XY"]
    rows += [result("n1", "aco", e, 0, star_method="none", stars=pd.NA) for e in "XY"]
    # at the CP level o1 is rated for someone, so it counts there
    rows += [result("o1", "cp", "C", 0, family="operational", stars=5)]
    rows += [result("q1", "cp", "C", 0, family="quality", stars=pd.NA)]
    frame = pd.DataFrame(rows)
    frame["stars"] = frame["stars"].astype("Int64")
    # one measure is enough here (min_measures=1): this test is about the share
    got = ratings.summary_stars(frame, min_measures=1).set_index(["level", "entity_id", "family"])
    # X has stars on 1 of the 2 ratable measures (q1, q2); o1 counts against no one. Before,
    # n_measures was 3 (q1, q2, o1) and X's 1 of 3 < half left it unrated.
    x = got.loc[("aco", "X", "overall")]
    assert (x["n_rated"], x["n_measures"], x["rated_share"]) == (1, 2, 0.5)
    assert x["stars"] == 4.0
    y = got.loc[("aco", "Y", "overall")]
    assert (y["n_rated"], y["n_measures"]) == (2, 2)
    assert y["average"] == pytest.approx((3 * 2 + 3) / 4) and y["stars"] == 2.5
    # a family nobody at the level is rated on: no measures to count, no rating
    o = got.loc[("aco", "X", "operational")]
    assert (o["n_rated"], o["n_measures"]) == (0, 0) and np.isnan(o["stars"])
    # CP level: o1 rated, q1 not rated for anyone -> 1 of 1
    c = got.loc[("cp", "C", "overall")]
    assert (c["n_rated"], c["n_measures"], c["stars"]) == (1, 1, 5.0)
    stricter = ratings.summary_stars(frame, min_share=0.6, min_measures=1)
    x_overall = (stricter["entity_id"] == "X") & (stricter["family"] == "overall")
    assert stricter.loc[x_overall, "stars"].isna().all()  # 1 of 2 is below 0.6


def test_measures_needed_is_half_and_at_least_the_minimum():
    # half of 7 is 3.5 -> 4; half of 11 -> 6; half of 1 or 4 is under the minimum of 3
    assert [ratings.measures_needed(n) for n in (7, 11, 1, 4, 6)] == [4, 6, 3, 3, 3]
    assert ratings.measures_needed(7, min_measures=1) == 4
    assert ratings.measures_needed(1, min_measures=1) == 1
    assert ratings.measures_needed([0, 2, 5], min_measures=1).tolist() == [1, 1, 3]


def test_an_overall_rating_and_tier_need_three_measures_with_stars():
    # A Community Partner can be rated on 2 measures (o1, o2). P has stars on both (5, 5):
    # 2 of 2 passes the half rule but not the minimum of 3, so no overall rating and no tier;
    # its operational area (2 of 2) keeps its 5 stars. Q has stars on 3 of 4 at the ACO level.
    rows = [result(m, "cp", "P", 0, family="operational", stars=5) for m in ("o1", "o2")]
    rows += [result(m, "aco", "Q", 0, stars=4) for m in ("q1", "q2", "q3")]
    rows += [result("q4", "aco", "R", 0, stars=2), result("q4", "aco", "Q", 0, stars=pd.NA)]
    frame = pd.DataFrame(rows)
    frame["stars"] = frame["stars"].astype("Int64")
    got = ratings.summary_stars(frame, reward="cms").set_index(["entity_id", "family"])
    p = got.loc[("P", "overall")]
    assert (p["n_rated"], p["n_measures"], p["average"]) == (2, 2, 5.0) and np.isnan(p["stars"])
    assert p["reward"] == 0  # no overall rating: no reward either
    assert got.loc[("P", "operational"), "stars"] == 5.0
    q = got.loc[("Q", "overall")]
    assert (q["n_rated"], q["n_measures"], q["stars"]) == (3, 4, 4.0)
    assert np.isnan(got.loc[("R", "overall"), "stars"])  # 1 of 4
    tiers = [{"name": "Top", "min_stars": 4.75}, {"name": "None", "min_stars": 0}]
    tiered = build.add_tiers(got.reset_index(), tiers).set_index(["entity_id", "family"])
    assert tiered.loc[("P", "overall"), "tier"] is None
    assert tiered.loc[("Q", "overall"), "tier"] == "None"
    one_is_enough = ratings.summary_stars(frame, min_measures=1).set_index(["entity_id", "family"])
    assert one_is_enough.loc[("P", "overall"), "stars"] == 5.0


def test_reward_factor_hand_worked():
    # SAS percentiles (PCTLDEF=5) of n values: n*p not whole -> the next value up, whole ->
    # the mean of that value and the next. Means 3, 3.5, 4, 4.5, 5: 85th (4.25) -> 5.0,
    # 65th (3.25) -> 4.5; variances sorted 0.05, 0.1, 0.2, 0.5, 1: 30th (1.5) -> 0.1,
    # 70th (3.5) -> 0.5
    means = pd.Series([3.0, 3.5, 4.0, 4.5, 5.0])
    variances = pd.Series([1.0, 0.1, 0.5, 0.2, 0.05])
    # 5.0 high mean + low variance 0.05 -> 0.4; 4.5 relatively high + medium 0.2 -> 0.1;
    # 4.0 is below the 65th percentile
    assert ratings.reward_factor(means, variances).tolist() == [0.0, 0.0, 0.0, 0.1, 0.4]


def test_reward_factor_takes_percentiles_as_sas_does():
    # 7 organisations. Means 2 to 5 by 0.5: 85th percentile (7 * 0.85 = 5.95) -> 6th value
    # 4.5, 65th (4.55) -> 5th value 4.0. Variances 0.1 to 0.7: 30th (2.1) -> 3rd value 0.3,
    # 70th (4.9) -> 5th value 0.5. So 5.0 (variance 0.1: low) gets 0.4; 4.5 is high with a
    # medium variance 0.3 -> 0.3; 4.0 is relatively high, but its variance 0.5 is at the
    # 70th percentile, high -> 0. Numpy's default (linear) percentiles would put 4.5 below
    # the 85th (4.55) and 0.5 below the 70th (0.52): 0.1 each, which CMS's SAS would not give.
    means = pd.Series([2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0])
    variances = pd.Series([0.7, 0.6, 0.4, 0.2, 0.5, 0.3, 0.1])
    assert ratings.reward_factor(means, variances).tolist() == [0, 0, 0, 0, 0, 0.3, 0.4]
    assert ratings.percentile([1, 2, 3, 4], 50) == 2.5  # 4 * 0.5 whole: mean of 2nd and 3rd
    # an organisation without a variance (one measure rated) gets none and is not counted
    one = ratings.reward_factor(pd.Series([5.0, 1.0]), pd.Series([np.nan, 0.0]))
    assert one.tolist() == [0.0, 0.0]


def _reward_input() -> pd.DataFrame:
    """Six ACOs with stars on two process measures (weight 1 each)."""
    stars = {"A": (5, 4), "B": (4, 4), "C": (5, 3), "D": (4, 3), "E": (3, 2), "F": (1, 3)}
    rows = [
        result(measure, "aco", entity, 0, stars=got)
        for entity, pair in stars.items()
        for measure, got in zip(("q1", "q2"), pair, strict=True)
    ]
    frame = pd.DataFrame(rows)
    frame["stars"] = frame["stars"].astype("Int64")
    return frame


def test_summary_stars_add_the_reward_factor_hand_worked():
    # mean and variance (n/(n-1) * weighted spread; equal weights: the sample variance):
    # A 4.5, 0.5; B 4.0, 0; C 4.0, 2; D 3.5, 0.5; E 2.5, 0.5; F 2.0, 2.
    # Means sorted 2, 2.5, 3.5, 4, 4, 4.5: 85th (5.1) -> 4.5, 65th (3.9) -> 4.0.
    # Variances sorted 0, 0.5, 0.5, 0.5, 2, 2: 30th (1.8) -> 0.5, 70th (4.2) -> 2.
    # A: high, medium -> +0.3: 4.8 -> 5 stars (4.5 without). B: relatively high, low (0 < 0.5)
    # -> +0.2: 4.2 -> 4 stars. C: relatively high, but its stars vary most -> 0.
    frame = _reward_input()  # two measures each: rated overall when two are enough
    got = ratings.summary_stars(frame, reward="cms", min_measures=2)
    overall = got[got["family"] == "overall"].set_index("entity_id")
    assert overall["reward"].to_dict() == {"A": 0.3, "B": 0.2, "C": 0, "D": 0, "E": 0, "F": 0}
    assert overall.loc["A", "average"] == pytest.approx(4.8) and overall.loc["A", "stars"] == 5
    assert overall.loc["B", "average"] == pytest.approx(4.2) and overall.loc["B", "stars"] == 4
    assert overall.loc["C", "stars"] == 4
    # the area ratings get no reward; without it, A has 4.5 stars
    assert got.loc[got["family"] != "overall", "reward"].isna().all()
    plain = ratings.summary_stars(frame, min_measures=2).set_index(["entity_id", "family"])
    assert plain.loc[("A", "overall"), "stars"] == 4.5 and plain["reward"].isna().all()
    assert ratings.summary_stars(frame, reward="none")["reward"].isna().all()
    with pytest.raises(ValueError, match="reward"):
        ratings.summary_stars(frame, reward="maybe")


def test_a_reward_past_five_stars_leaves_the_average_of_measure_stars_whole(monkeypatch):
    # A's measure stars average 4.5 (as above); with a reward of 0.6 (a factor CMS never gives,
    # to pass 5) the overall average is 5.1 and the stars 5, capped. The average less the
    # reward is still A's 4.5, which the incentive tiers read: capping the average at 5 made
    # it 4.4 (5 - 0.6), a lower tier for exactly the best-rated.
    frame = _reward_input()
    bonus = {"A": 0.6}

    def factors(means: pd.Series, variances: pd.Series) -> pd.Series:
        entities = frame.drop_duplicates("entity_id")["entity_id"].to_numpy()
        return pd.Series([bonus.get(e, 0.0) for e in entities], index=means.index)

    monkeypatch.setattr(ratings, "reward_factor", factors)
    got = ratings.summary_stars(frame, reward="cms", min_measures=2)
    a = got[(got["family"] == "overall") & (got["entity_id"] == "A")]
    assert a["average"].iloc[0] == pytest.approx(5.1) and a["stars"].iloc[0] == 5
    assert ratings.average_before_reward(a).iloc[0] == pytest.approx(4.5)


def test_cut_points_table():
    df = pd.DataFrame(
        {
            "measure_id": ["a"] * len(FIVE_GROUPS) + ["b"] * len(FIVE_GROUPS),
            "score": FIVE_GROUPS + FIVE_GROUPS,
            "direction": [HIGHER] * len(FIVE_GROUPS) + [LOWER] * len(FIVE_GROUPS),
        }
    )
    out = ratings.cut_points_table(df)
    assert out.columns.tolist() == ["measure_id", "t2", "t3", "t4", "t5"]
    assert out.iloc[0, 1:].tolist() == [30.0, 50.0, 70.0, 90.0]
    assert out.iloc[1, 1:].tolist() == [70.0, 50.0, 30.0, 10.0]
    with pytest.raises(ValueError, match="score"):
        ratings.cut_points_table(df.drop(columns="score"))


def _keep_cut_points(history, period: str, points: tuple, measure: str = "rel") -> None:
    """Keep in a results history the cut points (t2..t5, score_range) a build rated `period`
    with: one ACO row of `measure`, as build.store_history keeps them."""
    row = {"measure_id": measure, "period_id": period, "level": "aco", "method": "relative"}
    row |= dict(zip(("t2", "t3", "t4", "t5", "score_range"), points, strict=True))
    results_history.write_cut_points(history, period, pd.DataFrame([row]))


def test_guardrails_read_the_cut_points_of_the_same_quarter_a_year_before(tmp_path):
    # CMS applies guardrails year over year: 2025Q4 is capped by the 2024Q4 edition's own
    # 2024Q4 cut points, not by those of the 2025Q3 edition published in between
    _keep_cut_points(tmp_path, "2024Q4", (30, 50, 62, 90, 60))
    _keep_cut_points(tmp_path, "2025Q3", (10, 20, 30, 40, 60))
    kept = results_history.read_cut_points(tmp_path)
    prior = build.prior_cut_points(kept, "2025Q4")
    assert prior is not None and list(prior["t2"]) == [30] and "period_id" not in prior
    _, cuts = ratings.rate_results(_rated_table(), prior_cut_points=prior)
    rel = cuts.set_index("measure_id").loc["rel"]
    # new 40, 50, 60, 80 within 5 points of 30, 50, 62, 90 -> 35, 50, 60, 85
    assert (rel.t2, rel.t3, rel.t4, rel.t5) == (35.0, 50.0, 60.0, 85.0)
    assert build.prior_cut_points(kept, "2025Q3") is None  # 2024Q3 was never rated
    assert list(build.prior_cut_points(kept, "2026Q3")["t2"]) == [10]


def test_new_measures_get_no_guardrails_for_their_first_three_years():
    # new cut points 40, 50, 60, 80 against last year's 30, 50, 62, 90: t2 and t5 move more
    # than the 5-point cap. Rated in 2025Q4: a measure first rated in 2023 is in its third
    # year (2023, 2024, 2025), so it is not capped; first rated in 2022, its fourth: capped.
    prior = pd.DataFrame(
        [{"measure_id": "rel", "level": "aco", "t2": 30, "t3": 50, "t4": 62, "t5": 90}]
    )
    assert ratings.years_rated(2023, "2025Q4") == 3 and ratings.years_rated(2022, "2025Q4") == 4
    assert ratings.guardrail_exempt(2023, "2025Q4") and not ratings.guardrail_exempt(2022, "2025Q4")
    assert not ratings.guardrail_exempt(None, "2025Q4")  # age unknown: guardrails as before

    def rel(first_rated: dict | None, prior_table: pd.DataFrame = prior) -> pd.Series:
        _, cuts = ratings.rate_results(
            _rated_table(), prior_cut_points=prior_table, first_rated=first_rated
        )
        return cuts.set_index("measure_id").loc["rel"]

    new = rel({"rel": 2023})
    assert (new.t2, new.t3, new.t4, new.t5) == (40.0, 50.0, 60.0, 80.0)
    assert (new.guardrail, new.first_rated) == ("new_measure", 2023)
    old = rel({"rel": 2022})
    assert (old.t2, old.t3, old.t4, old.t5) == (35.0, 50.0, 60.0, 85.0)
    assert (old.guardrail, old.first_rated) == ("capped", 2022)
    unknown = rel(None)
    assert (unknown.t2, unknown.t5, unknown.guardrail) == (35.0, 85.0, "capped")
    assert pd.isna(unknown.first_rated)
    # an old measure whose cut points moved less than the cap, or had none a year before
    close = prior.assign(t2=38, t5=83)
    assert rel({"rel": 2010}, close).guardrail == "within"
    assert rel({"rel": 2010}, prior.iloc[:0]).guardrail == "no_prior"


def test_no_guardrails_across_a_change_of_definition(tmp_path):
    # 2024Q4 was rated under version 5 of 'rel' (30, 50, 62, 90); 2025Q4 rates version 6,
    # whose cut points 40, 50, 60, 80 the old definition's must not cap (CMS applies no
    # guardrails across a substantive specification change)
    _keep_cut_points(tmp_path, "2024Q4", (30, 50, 62, 90, 60))
    kept = results_history.read_cut_points(tmp_path)
    path = tmp_path / results_history.CUT_POINTS / "2024Q4.csv"
    old = pd.read_csv(path)
    old.assign(measure_version=5).to_csv(path, index=False)
    versioned = build.prior_cut_points(results_history.read_cut_points(tmp_path), "2025Q4")

    def rel(prior: pd.DataFrame | None, version: int | None) -> pd.Series:
        versions = None if version is None else {"rel": version, "fix": 1}
        _, cuts = ratings.rate_results(
            _rated_table(), prior_cut_points=prior, first_rated={"rel": 2010}, versions=versions
        )
        return cuts.set_index("measure_id").loc["rel"]

    changed = rel(versioned, 6)
    assert (changed.t2, changed.t3, changed.t4, changed.t5) == (40.0, 50.0, 60.0, 80.0)
    assert (changed.guardrail, changed.measure_version) == ("definition_changed", 6)
    same = rel(versioned, 5)  # the same definition: capped as before
    assert (same.t2, same.t5, same.guardrail, same.measure_version) == (35.0, 85.0, "capped", 5)
    # a history kept before the version was stored with the cut points: taken as the same
    # version (old histories keep their guardrails); so is a build that gives no versions
    unknown = rel(build.prior_cut_points(kept, "2025Q4"), 6)
    assert (unknown.t2, unknown.t5, unknown.guardrail) == (35.0, 85.0, "capped")
    assert rel(versioned, None).guardrail == "capped"
    # the version is kept with the cut points the history stores for next year
    _, cuts = ratings.rate_results(_rated_table(), versions={"rel": 6, "fix": 2})
    results_history.write_cut_points(tmp_path, "2025Q4", cuts)
    back = results_history.read_cut_points(tmp_path).query("period_id == '2025Q4'")
    assert back.set_index("measure_id")["measure_version"].to_dict() == {"rel": 6, "fix": 2}
    assert methodology.guardrail_words({"guardrail": "definition_changed"}) == (
        "Not capped: the definition changed since a year earlier"
    )


def test_a_measure_weighs_1_in_its_first_year_of_star_ratings():
    # 'rel' is an outcome measure (weight 3), 'fix' a process one (1). A01 has 1 star on 'rel'
    # (22%, the lowest group) and 5 on 'fix' (80% meets t5 = 80). Overall: (3 x 1 + 1 x 5) / 4
    # = 2.0; in 'rel's first year of ratings (first rated 2025, rated 2025Q4) it weighs 1:
    # (1 + 5) / 2 = 3.0. In its second year (first rated 2024) it weighs 3 again.
    table = _rated_table()
    table.loc[table["measure_id"] == "rel", "weight"] = 3.0

    def overall(first_rated: dict | None) -> tuple[float, float]:
        rated, _ = ratings.rate_results(table, first_rated=first_rated)
        weight = rated.loc[(rated["measure_id"] == "rel") & (rated["entity_id"] == "A01"), "weight"]
        summary = ratings.summary_stars(rated, min_measures=2)  # two measures here
        summary = summary.set_index(["entity_id", "family"])
        return float(weight.iloc[0]), float(summary.loc[("A01", "overall"), "stars"])

    assert overall({"rel": 2025, "fix": 2020}) == (1.0, 3.0)
    assert overall({"rel": 2024, "fix": 2020}) == (3.0, 2.0)
    assert overall(None) == (3.0, 2.0)  # ages unknown: the category's weight
    # only the periods of the first year: 2026Q1 of a measure first rated in 2025 is year 2
    two = pd.concat([table, table.assign(period_id="2026Q1")], ignore_index=True)
    weights = ratings.first_year_weights(two, {"rel": 2025})
    by_period = weights[two["measure_id"] == "rel"].groupby(two["period_id"]).unique()
    assert by_period.map(list).to_dict() == {"2025Q4": [1.0], "2026Q1": [3.0]}


def _spec(measure: str, first_rated: int | None = None, method: str = "relative") -> object:
    """Return what build.measures_first_rated reads of a spec."""
    return SimpleNamespace(
        id=measure, stars=SimpleNamespace(method=method, first_rated=first_rated)
    )


def test_a_measures_first_year_is_its_spec_or_the_first_quarter_kept_rated(tmp_path):
    # 'rel' was rated in 2023Q4 (cut points), not in 2022Q4 (too few entities: none); 'late'
    # only from 2025Q3; 'declared' says it was rated since 2015; 'fresh' was never rated
    _keep_cut_points(tmp_path, "2022Q4", (None,) * 5)
    _keep_cut_points(tmp_path, "2023Q4", (30, 50, 62, 90, 60))
    _keep_cut_points(tmp_path, "2025Q3", (10, 20, 30, 40, 60), measure="late")
    kept = results_history.read_cut_points(tmp_path)
    specs = [_spec("rel"), _spec("late"), _spec("declared", 2015), _spec("fresh")]
    specs.append(_spec("count", method="none"))
    got = build.measures_first_rated(specs, kept, "2025Q4")  # type: ignore[arg-type]
    assert got == {"rel": 2023, "late": 2025, "declared": 2015, "fresh": 2025}
    # rebuilding an earlier quarter: a measure cannot be first rated after it
    assert build.measures_first_rated(specs, kept, "2024Q4")["late"] == 2024  # type: ignore[arg-type]
    # so in 2025Q4 'rel' is in its third year (no guardrails) and 'declared' is not
    assert ratings.guardrail_exempt(got["rel"], "2025Q4")
    assert not ratings.guardrail_exempt(got["declared"], "2025Q4")
    # without a results history nothing was rated before: every measure is new but 'declared'
    none_kept = build.rated_before(SimpleNamespace(history=None))  # type: ignore[arg-type]
    assert build.measures_first_rated(specs, none_kept, "2025Q4") == {  # type: ignore[arg-type]
        **dict.fromkeys(("rel", "late", "fresh"), 2025),
        "declared": 2015,
    }
    assert build.prior_cut_points(none_kept, "2025Q4") is None


def test_the_guardrail_cap_is_worked_out_on_the_prior_score_range():
    # visits per member (not a percent): the cap is 5% of the range the prior cut points were
    # clustered from (40 -> 2 visits), not of this period's (62 - 20 = 42 -> 2.1) nor a fixed 5
    table = _rated_table().query("measure_id == 'rel'")
    # visits by 100 members each: 20 to 82 visits a member
    table = table.assign(kind="rate", multiplier=1.0, numerator=table["value"] * 100)
    prior = pd.DataFrame(
        [{"measure_id": "rel", "level": "aco", "t2": 30, "t3": 50, "t4": 62, "t5": 90}]
    )
    _, cuts = ratings.rate_results(table, prior_cut_points=prior.assign(score_range=40.0))
    rel = cuts.set_index("measure_id").loc["rel"]
    # new 40, 50, 60, 80 within 2 of 30, 50, 62, 90 -> 32, 50, 60, 88
    assert (rel.t2, rel.t3, rel.t4, rel.t5) == (32.0, 50.0, 60.0, 88.0)
    assert rel.score_range == 62.0  # this period's, 20 to 82, stored for next year's cap
    # an edition that stored no range: this period's range (62 -> cap 3.1; whole visits shown,
    # so 33.1 and 86.9 round to 33 and 87)
    _, cuts = ratings.rate_results(table, prior_cut_points=prior)
    rel = cuts.set_index("measure_id").loc["rel"]
    assert (rel.t2, rel.t3, rel.t4, rel.t5) == (33.0, 50.0, 60.0, 87.0)


def test_between_variance_hand_worked():
    # two results 0.2 and 0.6 with sampling variances 0.01 and 0.04: weights 100 and 25,
    # S1 125, S2 10,625, weighted mean (20 + 15) / 125 = 0.28,
    # Q = 100 * 0.08^2 + 25 * 0.32^2 = 0.64 + 2.56 = 3.2, tau^2 = (3.2 - 1) / (125 - 85) = 0.055
    assert ratings.between_variance(np.array([0.2, 0.6]), np.array([0.01, 0.04])) == (
        pytest.approx(0.055)
    )
    # 0.2 and 0.4: Q = 100 * 0.04^2 + 25 * 0.16^2 = 0.8, less than the 1 chance alone gives
    assert ratings.between_variance(np.array([0.2, 0.4]), np.array([0.01, 0.04])) == 0.0
    # equal sampling variances: the sample variance of the results less that variance
    y, v = np.array([0.2, 0.5, 0.8]), np.full(3, 0.0025)
    assert ratings.between_variance(y, v) == pytest.approx(0.09 - 0.0025)
    assert np.isnan(ratings.between_variance(np.array([0.5]), np.array([0.01])))


def rows_sums(y: ArrayLike, d: ArrayLike, yy: ArrayLike = np.nan) -> stats.ClusterSums:
    """Return the ClusterSums of entities whose rows are clusters of their own with a
    denominator of 1 each (d_i rows): d² adds up to d and y·d to y."""
    y = np.asarray(y, dtype=float)
    d, yy = (np.broadcast_to(np.asarray(a, dtype=float), y.shape) for a in (d, yy))
    return stats.ClusterSums(y, d, yy, d, y, d)


def member_sums(members: list[list[tuple[float, float]]]) -> stats.ClusterSums:
    """Return the ClusterSums of entities from each member's (y_j, d_j), as the engine sums a
    measure clustered by member (engine.SUM_COLUMNS, persons)."""
    columns = [
        [sum(f(y, d) for y, d in entity) for entity in members]
        for f in (
            lambda y, d: y,
            lambda y, d: d,
            lambda y, d: y * y,
            lambda y, d: d * d,
            lambda y, d: y * d,
            lambda y, d: 1,
        )
    ]
    return stats.ClusterSums(*(np.array(c, dtype=float) for c in columns))


def test_reliability_hand_worked_for_each_kind():
    # proportions 20, 50 and 80 of 100: pooled p 0.5, each v = 0.25 / 100 = 0.0025, tau^2 =
    # 0.0875 (above), reliability 0.0875 / 0.09 = 35/36
    got = ratings.reliability("proportion", np.array([0.2, 0.5, 0.8]), rows_sums([20, 50, 80], 100))
    assert got == pytest.approx([35 / 36] * 3)
    # rates: 10 and 40 events in 100 member months; no sums of squares, so Poisson (phi 1):
    # pooled 0.25 an exposure unit, v = 0.0025; the sample variance of 0.1 and 0.4 is 0.045:
    # tau^2 0.0425, reliability 0.0425 / 0.045
    got = ratings.reliability("rate", np.array([0.1, 0.4]), rows_sums([10, 40], 100))
    assert got == pytest.approx([0.0425 / 0.045] * 2)
    # a big and a small entity: 180 of 400 (45%) and 13 of 25 (52%); pooled p = 193 / 425 =
    # 0.4541, v = 0.2479 / n = 0.00062 and 0.00992, weights 1,613.6 and 100.8, weighted mean
    # 0.4541, Q = 1,613.6 * 0.0041^2 + 100.8 * 0.0659^2 = 0.465: less than chance alone gives
    got = ratings.reliability("proportion", np.array([0.45, 0.52]), rows_sums([180, 13], [400, 25]))
    assert got.tolist() == [0.0, 0.0]
    # means: sums and sums of squares; within variance (sq - num^2 / n) pooled over n - k:
    # each entity 10 units of variance 1 -> (9 + 9) / 18 = 1; v = 1 / 10; results 1 and 3:
    # sample variance 2, tau^2 1.9, reliability 1.9 / 2; a median's v is pi/2 times that
    num, den = np.array([10.0, 30.0]), np.array([10.0, 10.0])
    sums = rows_sums(num, den, num**2 / den + 9.0)
    assert ratings.reliability("mean", num / den, sums) == pytest.approx([0.95] * 2)
    v = np.pi / 2 / 10
    median = ratings.reliability("median", num / den, sums)
    assert median == pytest.approx([(2 - v) / 2] * 2)
    # no sums of squares: cannot be worked out
    assert np.isnan(ratings.reliability("mean", num / den, rows_sums(num, den))).all()


# Spending per member month, clustered by member: three ACOs of three members, each member
# with 3 months (d_j = 3) and y_j dollars in them. Each ACO's members are $150 a month apart.
#   A: 450, 600, 750    y 1,800  d 9  R 200  residuals y_j - 3R: -150, 0, 150 -> 45,000
#   B: 750, 900, 1,050  y 2,700  d 9  R 300  -> 45,000
#   C: 1,050, 1,200, 1,350  y 3,600  d 9  R 400  -> 45,000
# Pooled s^2 = 135,000 / (9 members - 3 ACOs) = 22,500 a member; v_i = n_i s^2 / d_i^2 =
# 3 x 22,500 / 81 = 833.3. The results 200, 300, 400 have sample variance 10,000 and equal
# v: tau^2 = 10,000 - 833.3 = 9,166.7 and reliability 9,166.7 / 10,000 = 11/12.
# Before, months were the units and the sums of squares (which are of the members' totals,
# yy = 1,125,000, 2,475,000 and 4,365,000) were taken as months' squares: within variance
# sum(yy - y^2 / d) / sum(d - 1) = (765,000 + 1,665,000 + 2,925,000) / 24 = 223,125, v =
# 223,125 / 9 = 24,791.7, more than the whole spread of the results: reliability 0.
SPENDING = [
    [(450.0, 3.0), (600.0, 3.0), (750.0, 3.0)],
    [(750.0, 3.0), (900.0, 3.0), (1050.0, 3.0)],
    [(1050.0, 3.0), (1200.0, 3.0), (1350.0, 3.0)],
]


def test_reliability_of_a_mean_clustered_by_member_hand_worked():
    sums = member_sums(SPENDING)
    assert (sums.yy.tolist(), sums.n.tolist()) == ([1_125_000, 2_475_000, 4_365_000], [3, 3, 3])
    assert ratings.pooled_cluster_variance(sums) == pytest.approx(22_500)
    assert ratings.sampling_variance("mean", sums, True) == pytest.approx([2_500 / 3] * 3)
    values = np.array([200.0, 300.0, 400.0])
    assert ratings.reliability("mean", values, sums, True) == pytest.approx([11 / 12] * 3)


# Risk-adjusted spending: the denominator is the sum of the members' relative risk over their
# months, not a count. Three ACOs of three members (3 member months each); C's members are
# twice as sick (y_j dollars, d_j relative risk summed over the 3 months):
#   A: (150, 1.5), (600, 3), (1,050, 4.5)    y 1,800  d 9   R 200  residuals -150, 0, 150
#   B: (300, 1.5), (900, 3), (1,500, 4.5)    y 2,700  d 9   R 300  residuals -150, 0, 150
#   C: (1,050, 3), (2,400, 6), (3,750, 9)    y 7,200  d 18  R 400  residuals -150, 0, 150
# s^2 = 3 x 45,000 / (9 - 3) = 22,500; v = 3 x 22,500 / d^2 = 833.3, 833.3 and 208.3 (C's
# larger sum of risk). DerSimonian-Laird: w = 0.0012, 0.0012, 0.0048; S1 0.0072, S2 2.592e-5;
# weighted mean (0.24 + 0.36 + 1.92) / 0.0072 = 350; Q = 0.0012 x 150^2 + 0.0012 x 50^2 +
# 0.0048 x 50^2 = 42; tau^2 = (42 - 2) / (0.0072 - 0.0036) = 11,111.1; reliability
# 11,111.1 / (11,111.1 + 833.3) = 40/43 for A and B and 11,111.1 / (11,111.1 + 208.3) =
# 160/163 for C. (Before: the sum of risk was taken as a count of months, sum(d - 1) = 33,
# v = 72,424 and 36,212: reliability 0.)
RISK_ADJUSTED = [
    [(150.0, 1.5), (600.0, 3.0), (1050.0, 4.5)],
    [(300.0, 1.5), (900.0, 3.0), (1500.0, 4.5)],
    [(1050.0, 3.0), (2400.0, 6.0), (3750.0, 9.0)],
]


def test_reliability_of_a_risk_adjusted_mean_hand_worked():
    sums = member_sums(RISK_ADJUSTED)
    assert ratings.sampling_variance("mean", sums, True) == pytest.approx(
        [2500 / 3, 2500 / 3, 625 / 3]
    )
    got = ratings.reliability("mean", np.array([200.0, 300.0, 400.0]), sums, True)
    assert got == pytest.approx([40 / 43, 40 / 43, 160 / 163])


# Community tenure: days in the community of 100 eligible days, three CPs of three members.
#   A: 60, 70, 80   y 210  d 300  R 0.7  residuals -10, 0, 10 -> 200
#   B: 70, 80, 90   y 240  d 300  R 0.8  -> 200
#   C: 90, 90, 90   y 270  d 300  R 0.9  -> 0: its members all had the same result
# s^2 = 400 / (9 - 3) = 66.7 days^2 a member; v_i = 3 x 66.7 / 300^2 = 1/450 for each, C's
# too (pooled: not taken as exact). Results 0.7, 0.8, 0.9: sample variance 0.01, tau^2 =
# 0.01 - 1/450 = 7/900, reliability (7/900) / 0.01 = 7/9. Days as independent units gave v =
# 0.8 x 0.2 / 300 = 0.000533 and reliability 0.9467: near 1 whatever the members.
TENURE = [
    [(60.0, 100.0), (70.0, 100.0), (80.0, 100.0)],
    [(70.0, 100.0), (80.0, 100.0), (90.0, 100.0)],
    [(90.0, 100.0), (90.0, 100.0), (90.0, 100.0)],
]


def test_reliability_of_days_clustered_by_member_hand_worked():
    sums = member_sums(TENURE)
    values = np.array([0.7, 0.8, 0.9])
    assert ratings.sampling_variance("proportion", sums, True) == pytest.approx([1 / 450] * 3)
    assert ratings.reliability("proportion", values, sums, True) == pytest.approx([7 / 9] * 3)
    days = ratings.reliability("proportion", values, sums, False)
    assert days == pytest.approx([(0.01 - 0.16 / 300) / 0.01] * 3)


def _tenure_rows(min_denominator: float = 30.0) -> pd.DataFrame:
    """Return TENURE as results rows (percent, clustered by member), shown."""
    sums = member_sums(TENURE)
    rows = [
        result(
            "tenure",
            "cp",
            cp,
            100 * sums.y[i] / sums.d[i],
            numerator=sums.y[i],
            denominator=sums.d[i],
            numerator_sq=sums.yy[i],
            denominator_sq=sums.dd[i],
            numerator_denominator=sums.yd[i],
            units=sums.d[i],
            persons=3.0,
            suppressed=False,
            min_denominator=min_denominator,
        )
        for i, cp in enumerate("ABC")
    ]
    return pd.DataFrame(rows)


def test_rate_results_takes_a_measure_clustered_by_member_by_its_members():
    rated, _ = ratings.rate_results(_tenure_rows())
    assert rated["reliability"].to_numpy() == pytest.approx([7 / 9] * 3)
    # without persons (rows of independent days) the same sums are days' again
    rows = _tenure_rows().assign(persons=np.nan, numerator_sq=np.nan)
    rows[["denominator_sq", "numerator_denominator"]] = np.nan
    rated, _ = ratings.rate_results(rows)
    assert rated["reliability"].to_numpy() == pytest.approx([(0.01 - 0.16 / 300) / 0.01] * 3)


# Rates: three ACOs of 10 member months each (a row is a member month, denominator 1), with
# 10, 20 and 30 ED visits: rates 1, 2, 3 a month, pooled mean m = 60 / 30 = 2.
# Overdispersed, the visits bunched in a few months:
#   A: 6, 3, 1 and seven 0s        yy 46   within sum of squares 46 - 10^2 / 10 = 36
#   B: 5, 5, 3, 3, 2, 2, four 0s   yy 76   76 - 20^2 / 10 = 36
#   C: 6, 5, 5, 4, 3, 3, 2, 1, 1, 0  yy 126  126 - 30^2 / 10 = 36
# s^2 = 108 / (30 - 3) = 4 a month, phi = 4 / 2 = 2: v = 2 x 2 / 10 = 0.4, and with sample
# variance 1 of the rates, tau^2 = 0.6 and reliability 0.6 (Poisson: v 0.2, reliability 0.8).
# Poisson-like, spread no more than the mean:
#   A: 0, 0, 0, 1, 1, 1, 1, 2, 2, 2   yy 16   16 - 10 = 6
#   B: 1, 1, 1, 2, 2, 2, 2, 3, 3, 3   yy 46   46 - 40 = 6
#   C: 2, 2, 2, 3, 3, 3, 3, 4, 4, 4   yy 96   96 - 90 = 6
# s^2 = 18 / 27 = 0.67 < 2, so phi = 1: v 0.2, reliability 0.8, as Poisson.
BUNCHED = ([6, 3, 1], [5, 5, 3, 3, 2, 2], [6, 5, 5, 4, 3, 3, 2, 1, 1])
EVEN = (
    [0, 0, 0, 1, 1, 1, 1, 2, 2, 2],
    [1, 1, 1, 2, 2, 2, 2, 3, 3, 3],
    [2, 2, 2, 3, 3, 3, 3, 4, 4, 4],
)


def _rate_sums(counts: tuple[list[int], ...]) -> stats.ClusterSums:
    return rows_sums([sum(c) for c in counts], 10.0, [sum(x * x for x in c) for c in counts])


def test_overdispersed_rate_is_less_reliable_hand_worked():
    bunched, even = _rate_sums(BUNCHED), _rate_sums(EVEN)
    assert bunched.yy.tolist() == [46, 76, 126] and even.yy.tolist() == [16, 46, 96]
    assert ratings.dispersion(bunched) == pytest.approx(2.0)
    assert ratings.dispersion(even) == 1.0
    rates = np.array([1.0, 2.0, 3.0])
    assert ratings.reliability("rate", rates, bunched) == pytest.approx([0.6] * 3)
    assert ratings.reliability("rate", rates, even) == pytest.approx([0.8] * 3)
    # no sums of squares: Poisson, as before
    assert ratings.reliability("rate", rates, rows_sums([10, 20, 30], 10.0)) == pytest.approx(
        [0.8] * 3
    )
    # through rate_results: numerator_sq and units of the results rows (ROW_SUMS)
    rows = [
        result(
            "ed",
            "aco",
            aco,
            1000.0 * sum(counts) / 10,
            numerator=float(sum(counts)),
            denominator=10.0,
            numerator_sq=float(sum(x * x for x in counts)),
            units=10,
            kind="rate",
            multiplier=1000.0,
            min_denominator=5,
            suppressed=False,
        )
        for aco, counts in zip("ABC", BUNCHED, strict=True)
    ]
    rated, _ = ratings.rate_results(pd.DataFrame(rows))
    assert rated["reliability"].to_numpy() == pytest.approx([0.6] * 3)


def _reliability_table() -> pd.DataFrame:
    """Return ACO results of four relative measures (percent, 2025Q4).

    close: 12 ACOs of 1,000 members at 40% to 51%, two of 40 members at 45% and 50%, and one
    of 20 (below the smallest denominator); noise: 12 ACOs of 40 members at 18 to 22 of 40, no
    more spread than chance gives; half: 12 ACOs at 40%, 42%, ... 62%, every other one of 50
    members and the rest of 1,000; few: 6 ACOs of 1,000 members, far apart.
    """
    rows = [
        result("close", "aco", f"A{i:02d}", 40.0 + i, numerator=400.0 + 10 * i, denominator=1000.0)
        for i in range(12)
    ]
    rows += [
        result("close", "aco", f"S{i}", v, numerator=0.4 * v, denominator=40.0)
        for i, v in enumerate([45.0, 50.0])
    ]
    rows.append(result("close", "aco", "A_small", 50.0, numerator=10.0, denominator=20.0))
    rows += [
        result("noise", "aco", f"A{i:02d}", 2.5 * k, numerator=float(k), denominator=40.0)
        for i, k in enumerate([18, 19, 20, 21, 22, 20, 19, 21, 20, 18, 22, 20])
    ]
    rows += [half_row(i, 50.0 if i % 2 else 1000.0) for i in range(12)]
    rows += [
        result("few", "aco", f"A{i:02d}", v, numerator=10 * v, denominator=1000.0)
        for i, v in enumerate([20.0, 35.0, 50.0, 65.0, 80.0, 95.0])
    ]
    return pd.DataFrame(rows)


def half_row(i: int, members: float) -> dict:
    """Return ACO i's row of measure 'half': 40% + 2 points a step, of `members`."""
    value = 40.0 + 2 * i
    return result(
        "half", "aco", f"A{i:02d}", value, numerator=value * members / 100, denominator=members
    )


def test_only_reliable_results_get_stars():
    rated, cuts = ratings.rate_results(_reliability_table())
    close = rated[rated["measure_id"] == "close"].set_index("entity_id")
    # sampling variance 0.248 / 1,000 for the big ACOs against a spread of results about 0.0013:
    # reliability about 0.8; the two of 40 members (v 0.0062) are mostly chance
    big = [f"A{i:02d}" for i in range(12)]
    assert (close.loc[big, "reliability"] > 0.7).all()
    assert (close.loc[["S0", "S1"], "reliability"] < 0.2).all()
    assert close.loc[big, "stars"].notna().all() and close.loc[big, "star_note"].eq("").all()
    assert close.loc[["S0", "S1"], "stars"].isna().all()
    assert close.loc[["S0", "S1"], "star_note"].tolist() == ["chance", "chance"]
    # hidden for its small denominator: that is its reason, not chance
    assert pd.isna(close.loc["A_small", "stars"]) and close.loc["A_small", "star_note"] == ""
    assert np.isnan(close.loc["A_small", "reliability"])
    # the cut points are those of all 14 results with enough data, as CMS clusters every
    # contract that meets the smallest denominator
    row = cuts.set_index("measure_id").loc["close"]
    every = ratings.cut_points([*(40.0 + i for i in range(12)), 45.0, 50.0], HIGHER, 0)
    assert (row.t2, row.t3, row.t4, row.t5) == every
    assert (row.n_entities, row.n_reliable, row.n_rated) == (14, 12, 12)
    assert row.score_range == 11.0  # 40 to 51, no outlier beyond the Tukey fences


# Eleven practices of 100 members screened at 35% to 97%: the best has 3 members not
# screened, so stats.suppress hides it for its small complement (1 to 10).
SCREENED = [35.0, 41.0, 48.0, 52.0, 58.0, 63.0, 67.0, 72.0, 78.0, 85.0, 97.0]


def test_hidden_results_are_clustered_but_never_starred():
    rows = [result("screen", "practice", f"P{i:02d}", v) for i, v in enumerate(SCREENED)]
    hidden = stats.suppress(pd.DataFrame(rows))
    assert hidden["suppressed"].tolist() == [False] * 10 + [True]
    assert hidden["suppression_reason"].iloc[-1] == "small_complement"
    rated, cuts = ratings.rate_results(hidden)
    row = cuts.set_index("measure_id").loc["screen"]
    # the cut points of all eleven, as CMS clusters every contract with enough data; the ten
    # shown alone would give lower ones, (48, 59, 70, 82), and two more stars to P08 and P09
    every = ratings.cut_points(SCREENED, HIGHER, 0)
    assert every == (50.0, 64.0, 78.0, 96.0)
    assert ratings.cut_points(SCREENED[:-1], HIGHER, 0) == (48.0, 59.0, 70.0, 82.0)
    assert (row.t2, row.t3, row.t4, row.t5) == every
    # eleven clustered (and reliable), ten with stars; the range is that of the shown scores
    # (35 to 85): 35 to 97 would give the hidden 97 away from the lowest shown result
    assert (row.n_entities, row.n_reliable, row.n_rated) == (11, 11, 10)
    assert row.score_range == 50.0
    by_id = rated.set_index("entity_id")
    assert by_id["stars"].tolist()[:10] == [1, 1, 1, 2, 2, 2, 3, 3, 4, 4]
    # the hidden practice gets no stars, note or reliability: nothing hidden is starred
    assert pd.isna(by_id.loc["P10", "stars"]) and by_id.loc["P10", "star_note"] == ""
    assert np.isnan(by_id.loc["P10", "reliability"])
    assert by_id["reliability"].iloc[:10].notna().all()


def test_a_level_needs_enough_results_hidden_or_not():
    # ten practices with enough data, the best hidden: the level is rated (ten clustered),
    # the nine shown get stars
    rows = [result("screen", "practice", f"P{i:02d}", v) for i, v in enumerate(SCREENED[1:])]
    rated, cuts = ratings.rate_results(stats.suppress(pd.DataFrame(rows)))
    row = cuts.set_index("measure_id").loc["screen"]
    assert (row.n_entities, row.n_rated) == (10, 9)
    assert (row.t2, row.t3, row.t4, row.t5) == ratings.cut_points(SCREENED[1:], HIGHER, 0)
    assert rated["stars"].notna().sum() == 9 and rated["star_note"].eq("").all()


def test_a_hidden_result_of_an_unrated_level_gets_no_note():
    # nine practices: too few, so the shown ones say so; the hidden one says nothing
    rows = [result("screen", "practice", f"P{i:02d}", v) for i, v in enumerate(SCREENED[2:])]
    rated, cuts = ratings.rate_results(stats.suppress(pd.DataFrame(rows)))
    assert cuts["n_entities"].tolist() == [9] and cuts["n_rated"].tolist() == [0]
    assert rated["star_note"].tolist() == ["few_entities"] * 8 + [""]
    assert rated["stars"].isna().all()


def test_a_level_where_differences_are_mostly_chance_is_not_rated():
    rated, cuts = ratings.rate_results(_reliability_table())
    noise = rated[rated["measure_id"] == "noise"]
    # 18 to 22 of 40 vary less than chance alone would (v = 0.0061 against a sample variance of
    # 0.0014): no between-entity variance, reliability 0, no cut points and no stars
    assert (noise["reliability"] == 0).all() and noise["stars"].isna().all()
    assert noise["star_note"].eq("level_chance").all()
    row = cuts.set_index("measure_id").loc["noise"]
    assert np.isnan([row.t2, row.t3, row.t4, row.t5]).all()
    assert (row.n_entities, row.n_reliable, row.n_rated) == (12, 0, 0)
    # fewer than ten ACOs with enough data: not rated, and the note says so
    few = rated[rated["measure_id"] == "few"]
    assert few["stars"].isna().all() and few["star_note"].eq("few_entities").all()
    # without the reliability rule every ACO of 'noise' would get stars from chance alone
    unchecked, _ = ratings.rate_results(_reliability_table(), min_reliability=None)
    noise_stars = unchecked.loc[unchecked["measure_id"] == "noise", "stars"]
    assert noise_stars.notna().all() and noise_stars.nunique() >= 3


def test_a_level_is_rated_when_at_least_half_of_its_results_are_reliable():
    rated, cuts = ratings.rate_results(_reliability_table())
    half = rated[rated["measure_id"] == "half"]
    # the six of 1,000 members have reliability 0.95, the six of 50 exactly 0.5: half reliable
    big = half["denominator"] == 1000
    assert half.loc[big, "reliability"].round(3).eq(0.952).all()
    assert half.loc[~big, "reliability"].round(3).eq(0.5).all()
    assert half.loc[big, "stars"].notna().all() and half.loc[~big, "stars"].isna().all()
    assert half.loc[~big, "star_note"].eq("chance").all()
    assert cuts.set_index("measure_id").loc["half", "n_rated"] == 6
    # one big ACO fewer (ACO 6 has 50 members): 5 of 12 reliable, so no ACO is rated on it
    table = _reliability_table()
    six = (table["measure_id"] == "half") & (table["entity_id"] == "A06")
    table.loc[six, ["numerator", "denominator"]] = [26.0, 50.0]
    rated, cuts = ratings.rate_results(table)
    half = rated[rated["measure_id"] == "half"]
    assert half["stars"].isna().all() and half["star_note"].eq("level_chance").all()
    assert cuts.set_index("measure_id").loc["half", ["n_reliable", "n_rated"]].tolist() == [5, 0]


def test_a_measure_no_one_is_reliably_rated_on_counts_against_no_one():
    rated, _ = ratings.rate_results(_reliability_table())
    summary = ratings.summary_stars(rated, min_measures=1)  # this test is about the share
    summary = summary.set_index(["entity_id", "family"])
    # 'close' and 'half' are rated at ACO level; 'noise' and 'few' count against no one. A00 has
    # stars on both; A01, mostly chance on 'half' (50 members), on 1 of 2 (still half: rated);
    # S0, mostly chance on 'close' and absent from 'half', on none of 2: no overall rating
    assert summary.loc[("A00", "overall"), ["n_rated", "n_measures"]].tolist() == [2, 2]
    a01 = summary.loc[("A01", "overall")]
    assert (a01["n_rated"], a01["n_measures"]) == (1, 2) and a01["stars"] > 0
    s0 = summary.loc[("S0", "overall")]
    assert (s0["n_rated"], s0["n_measures"]) == (0, 2) and np.isnan(s0["stars"])


def test_a_rate_clustered_by_member_takes_its_variance_from_members():
    # E1: 3 members' ED visits: A 4 in 3 months, B 0 in 3, C 0 in 2 (y 4, d 8, yy 16, dd 22,
    # yd 12); E2: 3 members with 1 visit each in 3 months (y 3, d 9, yy 3, dd 27, yd 9).
    # Spread about each entity's rate: E1 (4 - 1.5)² + 1.5² + 1² = 9.5, E2 0; pooled s² =
    # 9.5 / (6 - 2) = 2.375; v_i = n_i s² / d_i²: E1 3 x 2.375 / 64 = 0.111328, E2 3 x 2.375 /
    # 81 = 0.087963 (as member months, quasi-Poisson would pool months that hold one visit)
    sums = stats.ClusterSums(
        *(np.array(v, dtype=float) for v in ((4, 3), (8, 9), (16, 3), (22, 27), (12, 9), (3, 3)))
    )
    v = ratings.sampling_variance("rate", sums, clustered=True)
    assert v == pytest.approx([0.111328125, 0.087962963])


def _cut_points_cli(tmp_path, text: str, *args: str):
    from click.testing import CliRunner

    from scorecard.cli import main

    path = tmp_path / "scores.csv"
    path.write_text(text, encoding="utf-8")
    return path, CliRunner().invoke(main, ["stars", "cut-points", str(path), *args])


ED_SCORES = (40.1, 45.3, 50.2, 60.7, 62.0, 70.4, 75.5, 80.9, 90.2, 99.8, 110.3, 120.0)


def test_cut_points_cli_takes_direction_and_decimals_from_the_spec(tmp_path):
    from scorecard.specs import load_specs

    spec = {s.id: s for s in load_specs(Path(__file__).parents[1] / "measures")}["ed_visits"]
    assert spec.direction == LOWER and spec.decimals == 1
    rows = "".join(f"ed_visits,{score}\n" for score in ED_SCORES)
    _, result = _cut_points_cli(tmp_path, "measure_id,score\n" + rows)
    assert result.exit_code == 0, result.output
    expected = ratings.cut_points(np.array(ED_SCORES), LOWER, 1)
    got = pd.read_csv(io.StringIO(result.stdout)).iloc[0]
    assert tuple(got[["t2", "t3", "t4", "t5"]]) == pytest.approx(expected)
    assert got["t2"] > got["t5"]  # lower is better: the 5-star cut point is the lowest
    # the short words are read for a measure the specs do not have
    text = "measure_id,score,direction,decimals\n" + "".join(
        f"mine,{score},lower,1\n" for score in ED_SCORES
    )
    _, mine = _cut_points_cli(tmp_path, text)
    assert mine.exit_code == 0, mine.output
    assert mine.stdout.split("\n")[1].split(",")[1:] == result.stdout.split("\n")[1].split(",")[1:]


@pytest.mark.parametrize(
    ("line", "column", "words"),
    [
        ("mine,n/a,lower,1", "score", "'n/a' is not a number"),
        ("mine,,lower,1", "score", "blank"),
        ("mine,3,sideways,1", "direction", "'sideways' is not higher_is_better"),
        ("mine,3,lower,one", "decimals", "'one' is not a whole number"),
        ("ed_visits,3,higher,1", "direction", "ed_visits is lower_is_better in its spec"),
    ],
)
def test_cut_points_cli_refuses_bad_values(tmp_path, line: str, column: str, words: str):
    text = "measure_id,score,direction,decimals\nmine,1,lower,1\n" + line + "\n"
    path, result = _cut_points_cli(tmp_path, text)
    assert result.exit_code == 2, result.output
    assert f"{path}: line 3, column {column}: {words}" in result.output
    assert "Traceback" not in result.output and not result.stdout.startswith("measure_id")


def test_cut_points_help_names_the_optional_columns():
    from click.testing import CliRunner

    from scorecard.cli import main

    text = CliRunner().invoke(main, ["stars", "cut-points", "--help"]).output
    for words in ("direction", "higher_is_better", "lower_is_better", "decimals", "spec"):
        assert words in text, words


# ---------------------------------------------------------------- peer groups (CP types)

# Twelve results in five tight groups, 20-22, 40-42, 50-52, 60-62 and 80-82: every resampling
# run clusters them the same way, so the cut points are 40, 50, 60 and 80 (as the ACOs' of
# test_rate_results_relative_fixed_and_unrated).
TWELVE = [20, 22, 40, 42, 50, 52, 60, 62, 80, 82, 81, 21]


def _cps(prefix: str, values: list[float], group: str, members: float = 100.0) -> list[dict]:
    """Return stratum-'all' CP rows of measure 'rel' (percent of `members`), in peer group
    `group`."""
    return [
        result(
            "rel",
            "cp",
            f"{prefix}{i:02d}",
            v,
            numerator=v * members / 100,
            denominator=members,
            peer_group=group,
        )
        for i, v in enumerate(values)
    ]


def _stars_of(rated: pd.DataFrame) -> dict[str, object]:
    return dict(zip(rated["entity_id"], rated["stars"], strict=True))


def test_a_cp_is_rated_among_the_cps_of_its_own_type():
    # LTSS results are the BH ones 10 points down (of 200 members each, so that no count is
    # 10 or fewer): their cut points are too (30, 40, 50, 70). Pooled, the 24 results would
    # share one set of cut points, and a result of 50 would get the same stars in both groups:
    # here it is 3 stars among BH CPs, 4 among LTSS CPs.
    bh = _cps("B", TWELVE, "BH")
    ltss = _cps("L", [v - 10 for v in TWELVE], "LTSS", members=200.0)
    rated, cuts = ratings.rate_results(pd.DataFrame(bh + ltss))
    stars = _stars_of(rated)
    assert (stars["B04"], stars["L06"]) == (3, 4)  # both scored 50
    assert [stars[f"B{i:02d}"] for i in (0, 2, 4, 6, 8)] == [1, 2, 3, 4, 5]
    assert [stars[f"L{i:02d}"] for i in (0, 2, 4, 6, 8)] == [1, 2, 3, 4, 5]
    got = cuts.set_index("peer_group")[["level", "t2", "t3", "t4", "t5", "n_entities"]]
    assert got.loc["BH"].tolist() == ["cp", 40.0, 50.0, 60.0, 80.0, 12]
    assert got.loc["LTSS"].tolist() == ["cp", 30.0, 40.0, 50.0, 70.0, 12]
    assert len(cuts) == 2  # no pooled cut points: every CP has a type


def test_a_cp_type_with_too_few_cps_is_not_rated_rather_than_pooled():
    # six LTSS CPs: fewer than MIN_ENTITIES_RELATIVE (10), so no LTSS CP gets stars, each
    # saying why (few_entities), though the 18 CPs pooled would be enough; the BH CPs keep
    # their own cut points (40, 50, 60, 80)
    bh = _cps("B", TWELVE, "BH")
    ltss = _cps("L", [30, 50, 50, 60, 70, 88], "LTSS")
    rated, cuts = ratings.rate_results(pd.DataFrame(bh + ltss))
    ltss_rows = rated[rated["peer_group"] == "LTSS"]
    assert ltss_rows["stars"].isna().all()
    assert set(ltss_rows["star_note"]) == {"few_entities"}
    assert rated.loc[rated["entity_id"] == "B04", "stars"].item() == 3
    row = cuts.set_index("peer_group").loc["LTSS"]
    assert row["n_entities"] == 6 and row["n_rated"] == 0 and np.isnan(row["t2"])


def test_a_cp_of_unknown_type_is_rated_against_every_cp():
    # U has no type (peer group ''): its cut points are clustered from all 13 CPs, whose five
    # groups stay 20-22, 40-42, 50-52 (U's 50 joins it), 60-62 and 80-82: 40, 50, 60, 80, so
    # U's 50 gets 3 stars. The BH CPs are rated among themselves only.
    rows = _cps("B", TWELVE, "BH") + _cps("U", [50], "")
    rated, cuts = ratings.rate_results(pd.DataFrame(rows))
    assert _stars_of(rated)["U00"] == 3
    pooled = cuts.set_index("peer_group").loc[""]
    assert (pooled.t2, pooled.t3, pooled.t4, pooled.t5) == (40.0, 50.0, 60.0, 80.0)
    assert (pooled.n_entities, pooled.n_rated) == (13, 1)  # clustered 13, rated U only
    assert cuts.set_index("peer_group").loc["BH", "n_entities"] == 12


def test_guardrails_hold_a_peer_group_to_its_own_prior_cut_points():
    # last year's BH cut points were 45, 55, 65, 85 (5 points above this year's); the pooled
    # ones (no peer_group column: an edition before peer groups) bound no peer group's
    bh = _cps("B", TWELVE, "BH")
    prior = pd.DataFrame(
        [
            {"measure_id": "rel", "level": "cp", "peer_group": "BH", "score_range": 62.0}
            | dict(zip(ratings.THRESHOLD_COLUMNS, [46.0, 56.0, 66.0, 86.0], strict=True)),
        ]
    )
    _, cuts = ratings.rate_results(pd.DataFrame(bh), prior_cut_points=prior)
    row = cuts.iloc[0]
    # each moves at most 5 points from its prior: 41, 51, 61, 81
    assert (row.t2, row.t3, row.t4, row.t5, row.guardrail) == (41.0, 51.0, 61.0, 81.0, "capped")
    pooled_prior = prior.drop(columns="peer_group")
    _, cuts = ratings.rate_results(pd.DataFrame(bh), prior_cut_points=pooled_prior)
    assert (cuts.iloc[0].t2, cuts.iloc[0].guardrail) == (40.0, "no_prior")


def test_summary_ratings_count_the_measures_a_cps_own_type_could_be_rated_on():
    # q2 and q3 have stars for BH CPs only (too few LTSS CPs to rate them). Counted over all
    # CPs, L1 could have been rated on 3 quality measures, has stars on 1 (< half): no quality
    # rating. Among LTSS CPs only q1 could be rated: L1's quality rating is its q1 stars, 4.
    rows = [
        result("q1", "cp", "B1", 0, stars=5, peer_group="BH"),
        result("q2", "cp", "B1", 0, stars=3, peer_group="BH"),
        result("q3", "cp", "B1", 0, stars=4, peer_group="BH"),
        result("q1", "cp", "L1", 0, stars=4, peer_group="LTSS"),
        result("q2", "cp", "L1", 0, stars=pd.NA, peer_group="LTSS"),
        result("q3", "cp", "L1", 0, stars=pd.NA, peer_group="LTSS"),
    ]
    frame = pd.DataFrame(rows).astype({"stars": "Int64"})
    got = ratings.summary_stars(frame, min_measures=1).set_index(["entity_id", "family"])
    assert got.loc[("L1", "quality"), ["stars", "n_rated", "n_measures"]].tolist() == [4.0, 1, 1]
    assert got.loc[("B1", "quality"), ["stars", "n_rated", "n_measures"]].tolist() == [4.0, 3, 3]
    assert got.loc[("L1", "quality"), "peer_group"] == "LTSS"
