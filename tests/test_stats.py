"""Tests for scorecard.stats: intervals, suppression, benchmarks, peer and trend labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from scorecard import disclosure, engine, site, stats
from scorecard.specs import load_specs

ROOT = Path(__file__).resolve().parents[1]


def row(level: str, entity: str, stratum: str, sv: str, num: float, den: float, **kw) -> dict:
    """Return one results-table row of a percent measure (overridable by keyword)."""
    out = {
        "measure_id": "m1",
        "period_id": "2025Q4",
        "period_end": pd.Timestamp("2025-12-31"),
        "level": level,
        "entity_id": entity,
        "stratum": stratum,
        "stratum_value": sv,
        "numerator": float(num),
        "denominator": float(den),
        "numerator_sq": np.nan,
        "value": num / den * 100 if den else np.nan,
        "kind": "proportion",
        "direction": "higher_is_better",
        "multiplier": 100.0,
        "decimals": 1,
        "min_denominator": 30,
        "family": "quality",
        "weight": 1.0,
        "star_method": "none",
        "star_thresholds": None,
    }
    out.update(kw)
    return out


def public(results: pd.DataFrame) -> pd.DataFrame:
    """Return site.public_view of test rows (what an edition publishes), with the display
    columns they leave out."""
    shown = {"lower": np.nan, "upper": np.nan, "unit": "percent"}
    return site.public_view(results.assign(**{k: v for k, v in shown.items() if k not in results}))


def reasons(df: pd.DataFrame) -> dict[tuple[str, str], str]:
    out = stats.suppress(df)
    return {
        (r.entity_id, r.stratum_value): r.suppression_reason for r in out.itertuples(index=False)
    }


def hidden_reasons(df: pd.DataFrame, *keys: str) -> dict[tuple, str]:
    """Return the reason of every hidden row of stats.suppress(df), by the columns `keys`."""
    return hidden_in(stats.suppress(df), *keys)


def hidden_in(out: pd.DataFrame, *keys: str) -> dict[tuple, str]:
    """Return the reason of every hidden row of the suppressed table `out`, by `keys`."""
    return {
        tuple(r[k] for k in keys): r["suppression_reason"]
        for _, r in out[out["suppressed"]].iterrows()
    }


# --- intervals -------------------------------------------------------------------------------


def test_wilson_hand_worked():
    # 8/10, z = 1.959964, z^2 = 3.841459, z^2/n = 0.3841459
    # centre = (0.8 + 0.1920729) / 1.3841459 = 0.716739
    # half = z * sqrt(0.8*0.2/10 + 3.841459/400) / 1.3841459 = z * 0.1600112 / 1.3841459 = 0.226577
    lo, hi = stats.wilson_interval(8, 10)
    assert lo == pytest.approx(0.490162, abs=1e-5)
    assert hi == pytest.approx(0.943316, abs=1e-5)
    # 0/10: lower 0, upper = (z^2/n) / (1 + z^2/n) = 0.3841459 / 1.3841459 = 0.277533
    lo, hi = stats.wilson_interval(np.array([0.0]), np.array([10.0]))
    assert lo[0] == 0.0
    assert hi[0] == pytest.approx(0.277533, abs=1e-5)


def test_wilson_vectorised_keeps_series_index_and_blanks_zero_denominator():
    num = pd.Series([1.0, 0.0, 5.0], index=["a", "b", "c"])
    den = pd.Series([2.0, 0.0, 5.0], index=["a", "b", "c"])
    lo, hi = stats.wilson_interval(num, den)
    assert list(lo.index) == ["a", "b", "c"]
    assert np.isnan(lo["b"]) and np.isnan(hi["b"])
    assert hi["c"] == 1.0


def test_poisson_hand_worked():
    # count 0: lower 0; upper = chi2(0.975; 2)/2 = -ln(0.025) = 3.688879
    # count 1: lower = chi2(0.025; 2)/2 = -ln(0.975) = 0.025318; upper = chi2(0.975; 4)/2 = 5.571643
    lo, hi = stats.poisson_interval(np.array([0.0, 1.0]), np.array([1.0, 100.0]))
    assert lo[0] == 0.0
    assert hi[0] == pytest.approx(3.688879, abs=1e-6)
    assert lo[1] == pytest.approx(0.025318 / 100, abs=1e-8)
    assert hi[1] == pytest.approx(5.571643 / 100, abs=1e-8)
    assert np.isnan(stats.poisson_interval(3, 0)[0])


def test_mean_interval_hand_worked():
    # values 2, 4, 6: sum 12, sum of squares 56, n 3; mean 4, variance (56 - 48)/2 = 4,
    # se = 2/sqrt(3) = 1.154701; t on 2 degrees of freedom 4.302653, t x se = 4.968275, on
    # the log scale exp(4.968275 / 4) = 3.462770: 4 / 3.462770 to 4 x 3.462770
    lo, hi = stats.mean_interval(12, 56, 3)
    assert lo == pytest.approx(1.155145, abs=1e-6)
    assert hi == pytest.approx(13.851080, abs=1e-6)
    # spending of 0, 0 and 300 dollars: mean 100, variance (90000 - 30000)/2 = 30000,
    # se = sqrt(30000/3) = 100, t x se = 430.2653, exp(4.302653) = 73.895559: $1.35 to
    # $7,389.56 (the normal interval was $0 to $296, far too sure of three members)
    lo, hi = stats.mean_interval(300, 90_000, 3)
    assert lo == pytest.approx(1.353261, abs=1e-6) and hi == pytest.approx(7389.5559, abs=1e-3)
    lo, hi = stats.mean_interval(-12, 56, 3)  # a negative mean: -4 ± 4.968275, not logged
    assert (lo, hi) == (pytest.approx(-8.968275, abs=1e-6), pytest.approx(0.968275, abs=1e-6))


def test_a_mean_with_no_spread_has_no_interval():
    # 30 members with $0 each, and 10 with $50 each: the values do not vary, and a sample
    # whose members all had the same result says nothing about its range (not [0, 0])
    for total, total_sq, n in ((0, 0, 30), (500, 10 * 50**2, 10)):
        lo, hi = stats.mean_interval(total, total_sq, n)
        assert np.isnan(lo) and np.isnan(hi)
    lo, _ = stats.mean_interval(5, 25, 1)  # one value: nothing to go on either
    assert np.isnan(lo)


def test_add_intervals_per_kind_on_value_scale():
    one = {"multiplier": 1.0}
    df = pd.DataFrame(
        [
            row("program", "ALL", "all", "all", 8, 10),
            row("program", "ALL", "all", "all", 1, 100, kind="rate", multiplier=1000.0),
            row("program", "ALL", "all", "all", 1, 100, kind="ratio", multiplier=1.0),
            row("program", "ALL", "all", "all", 12, 3, kind="mean", numerator_sq=56, **one),
            row("program", "ALL", "all", "all", np.nan, 40, kind="median", value=7.0),
            row("program", "ALL", "all", "all", 0, 0),
        ]
    )
    out = stats.add_intervals(df)
    assert out["lower"].iloc[0] == pytest.approx(49.0162, abs=1e-3)  # percent
    assert out["upper"].iloc[1] == pytest.approx(55.71643, abs=1e-4)  # per 1,000
    assert out["upper"].iloc[2] == pytest.approx(0.05571643, abs=1e-7)  # O/E
    assert out["lower"].iloc[3] == pytest.approx(1.155145, abs=1e-6)  # log t, as above
    assert out[["lower", "upper"]].iloc[4:].isna().all().all()  # median, empty


# Three members' days, clustered by member: A 270 days in the community of 300 eligible, B 200
# of 200, C 70 of 100. R = 540 / 600 = 0.9; y_i - R d_i: 270 - 270 = 0, 200 - 180 = 20,
# 70 - 90 = -20. Sums: yy = 270² + 200² + 70² = 117,800; dd = 300² + 200² + 100² = 140,000;
# yd = 270 x 300 + 200 x 200 + 70 x 100 = 128,000; yy - 2R yd + R² dd = 117,800 - 230,400
# + 113,400 = 800 = 0² + 20² + 20².
TENURE = stats.ClusterSums(*(np.array([v]) for v in (540, 600, 117_800, 140_000, 128_000, 3)))
# Three members' spending: A $300 in each of 3 months, B $0 in 3 months, C $50 in 2 months.
PMPM = stats.ClusterSums(*(np.array([v]) for v in (1000, 8, 900**2 + 100**2, 22, 2900, 3)))


def test_ratio_variance_hand_worked():
    # tenure: 3/2 x 800 / 600² = 1/300
    assert stats.ratio_variance(TENURE)[0] == pytest.approx(1 / 300)
    # spending: R = 1000 / 8 = 125; y_i - R d_i: 900 - 375 = 525, 0 - 375 = -375, 100 - 250 =
    # -150; 3/2 x (525² + 375² + 150²) / 8² = 3/2 x 438,750 / 64 = 10,283.203
    assert stats.ratio_variance(PMPM)[0] == pytest.approx(10_283.203125)
    # with every denominator 1 it is the variance of a mean: 2, 4, 6 -> 4 / 3 (s² 4 over n 3)
    plain = stats.ClusterSums(*(np.array([v]) for v in (12, 3, 56, 3, 12, 3)))
    assert stats.ratio_variance(plain)[0] == pytest.approx(4 / 3)
    one = stats.ClusterSums(*(np.array([v]) for v in (5, 1, 25, 1, 5, 1)))
    assert np.isnan(stats.ratio_variance(one)[0])  # one member: no variance to go on


def test_clustered_intervals_hand_worked():
    # tenure: effective sample size 0.9 x 0.1 / (1/300) = 27; Wilson at 0.9 on 27: z²/n =
    # 0.142276, centre (0.9 + 0.071138) / 1.142276 = 0.850177, half 1.959964 x sqrt(0.09 / 27
    # + 3.841459 / 2916) / 1.142276 = 0.117014 -> 73.32% to 96.72% (on 600 independent days,
    # Wilson gives 87.34% to 92.15%)
    lo, hi = stats.clustered_proportion_interval(TENURE)
    assert (lo[0], hi[0]) == (pytest.approx(0.733164, abs=1e-6), pytest.approx(0.967192, abs=1e-6))
    # spending: se = sqrt(10,283.203) = 101.40613, 3 members so t on 2 degrees of freedom
    # 4.302653: t x se / R = 436.31536 / 125 = 3.490523, exp = 32.803095; 125 / 32.803095 =
    # 3.810616 to 125 x 32.803095 = 4,100.3869. As 8 independent months (300, 300, 300, 0,
    # 0, 0, 50, 50: sum of squares 275,000, spread 275,000 - 250,000 + 125,000 = 150,000,
    # variance 8/7 x 150,000 / 64 = 2,678.571, se 51.754917, t on 7 degrees of freedom
    # 2.364624, t x se / R = 0.979047, exp 2.661919) it would be 46.9586 to 332.7399: far
    # narrower, as if 8 members.
    lo, hi = stats.ratio_interval(PMPM)
    assert lo[0] == pytest.approx(3.810616, abs=1e-6) and hi[0] == pytest.approx(
        4100.3869, abs=1e-3
    )
    lo, hi = stats.mean_interval(1000, 3 * 300**2 + 2 * 50**2, 8)
    assert (lo, hi) == (pytest.approx(46.9586, abs=1e-4), pytest.approx(332.7399, abs=1e-4))


# Three members' ED visits over their member months: A 4 visits in 3 months, B 0 in 3, C 0 in
# 2. y = 4, d = 8, yy = 16, dd = 9 + 9 + 4 = 22, yd = 12, 3 members.
ED = stats.ClusterSums(*(np.array([v]) for v in (4, 8, 16, 22, 12, 3)))


def test_clustered_rate_interval_hand_worked():
    # R = 0.5; y_i - R d_i: 4 - 1.5 = 2.5, 0 - 1.5 = -1.5, 0 - 1 = -1; spread 9.5; variance
    # 3/2 x 9.5 / 64 = 0.22265625 (Poisson: R / d = 0.0625, 3.6 times less). Effective
    # exposure R / variance = 2.245614, effective count 0.5 x 2.245614 = 1.122807; exact
    # Poisson on them: chi2(0.025; 2.245614) / 2 / 2.245614 = 0.017862 to chi2(0.975;
    # 4.245614) / 2 / 2.245614 = 2.575315 (the exact Poisson interval of 4 visits in 8 member
    # months would be 0.136233 to 1.280199: one member's visits taken as 4 chances)
    assert stats.ratio_variance(ED)[0] == pytest.approx(0.22265625)
    lo, hi = stats.clustered_rate_interval(ED)
    assert (lo[0], hi[0]) == (pytest.approx(0.017862, abs=1e-6), pytest.approx(2.575315, abs=1e-6))
    # no visits: no variance, so the member months are the exposure: 0 to 3.688879 / 8
    none = ED._replace(y=np.array([0.0]), yy=np.array([0.0]), yd=np.array([0.0]))
    lo, hi = stats.clustered_rate_interval(none)
    assert (lo[0], hi[0]) == (0.0, pytest.approx(3.688879 / 8, abs=1e-6))
    # less spread than Poisson (every member 1 visit a month): never narrower than Poisson
    even = stats.ClusterSums(*(np.array([v]) for v in (8, 8, 22, 22, 22, 3)))
    lo, hi = stats.clustered_rate_interval(even)
    assert (lo[0], hi[0]) == stats.poisson_interval(np.array([8.0]), np.array([8.0]))


def test_a_rate_clustered_by_member_is_tested_with_its_members_variance():
    # 4 visits in 8 member months (ED above: variance 0.22265625) against 8 in 8 with the same
    # variance: z = 0.5 / sqrt(2 x 0.22265625) = 0.749269, p = 0.453695. As independent
    # member months (no variances), the binomial test of 8 of 12 at a share 1/2: p = 2 x 794 /
    # 4096 = 0.387695.
    four, eight = np.array([4.0, 4.0]), np.array([8.0, 8.0])
    variances = [0.22265625, np.nan]
    p = stats.change_p_value(["rate", "rate"], four, eight, eight, eight, variances, variances)
    assert p == pytest.approx([0.453695, 0.387695], abs=1e-6)


def clustered(num: float, den: float, persons: float, **kw) -> dict:
    """Return a row of a measure clustered by member (every sum given, persons counted)."""
    base = {"persons": persons, "persons_numerator": persons, "persons_complement": 0.0}
    return row("program", "ALL", "all", "all", num, den, **{**base, **kw})


def test_add_intervals_count_members_where_the_measure_says_so():
    sums = {"numerator_sq": 117_800, "denominator_sq": 140_000, "numerator_denominator": 128_000}
    pmpm = {"numerator_sq": 900**2 + 100**2, "denominator_sq": 22, "numerator_denominator": 2900}
    df = pd.DataFrame(
        [
            clustered(540, 600, 3, units=20, **sums),
            clustered(1000, 8, 3, units=8, kind="mean", multiplier=1.0, **pmpm),
            # a mean of independent rows whose denominators are not 1 (25.5 over 36 rows):
            # without d² and y·d there is no telling its variance
            row(
                "program",
                "ALL",
                "all",
                "all",
                9000,
                25.5,
                kind="mean",
                units=36,
                numerator_sq=9e6,
                multiplier=1.0,
            ),
        ]
    )
    out = stats.add_intervals(df)
    assert out["lower"].iloc[0] == pytest.approx(73.3164, abs=1e-4)  # percent
    # the spending of 3 members: fewer than MIN_MEAN_MEMBERS, so no range (the value stays)
    assert out[["lower", "upper"]].iloc[1].isna().all()
    assert out[["lower", "upper"]].iloc[2].isna().all()


def test_a_mean_by_member_needs_enough_members_for_a_range_and_a_comparison():
    # program: $5,000,000 over 10,000 member months of 3,400 members. Practices, 3 months a
    # member, half the members $0 and half twice the mean (y² summed: n x (2y/n)² / 2).
    # P1: 99 members: value shown, no range, 'too_few'. P2: the same spending per member
    # over 100 members: a range, under the program's $500, so 'lower'. P3: 150 members with
    # $0 each: 'no_spread' (it was [0, 0] and 'lower').
    kw = {"kind": "mean", "multiplier": 1.0, "direction": "neutral", "decimals": 0}
    prog = {"numerator_sq": 4e11, "denominator_sq": 30_000, "numerator_denominator": 1.5e7}

    def practice(name: str, y: float, n: int) -> dict:
        sums = {
            "numerator_sq": 2 * y**2 / n,
            "denominator_sq": 9 * n,
            "numerator_denominator": 3 * y,
        }
        return {
            **clustered(y, 3 * n, n, units=3 * n, **sums, **kw),
            "level": "practice",
            "entity_id": name,
        }

    df = pd.DataFrame(
        [
            clustered(5_000_000, 10_000, 3400, units=10_000, **prog, **kw),
            practice("P1", 59_400, 99),
            practice("P2", 60_000, 100),
            practice("P3", 0, 150),
        ]
    )
    df["value"] = df["numerator"] / df["denominator"]
    out = stats.peer_label(stats.add_intervals(stats.suppress(df)))
    assert out["suppressed"].tolist() == [False] * 4  # every value is published
    assert out["peer_label"].tolist() == ["", "too_few", "lower", "no_spread"]
    assert out[["lower", "upper"]].iloc[[1, 3]].isna().all().all()
    # P2: R = 60,000 / 300 = 200; spread yy - 2R yd + R² dd = 72,000,000 - 2 x 200 x 180,000
    # + 200² x 900 = 36,000,000; variance 100/99 x 36,000,000 / 300² = 404.0404, se
    # 20.100756; t on 99 degrees of freedom 1.984217, t x se / R = 0.199421, exp 1.220696:
    # 163.8409 to 244.1392
    assert out["lower"].iloc[2] == pytest.approx(163.8409, abs=1e-4)
    assert out["upper"].iloc[2] == pytest.approx(244.1392, abs=1e-4)


@settings(max_examples=60, deadline=None)
@given(
    k=st.integers(0, 500),
    extra=st.integers(0, 500),
    factor=st.integers(2, 20),
)
def test_wilson_contains_estimate_and_narrows_with_n(k, extra, factor):
    n = k + extra
    if n == 0:
        return
    lo, hi = stats.wilson_interval(k, n)
    assert lo <= k / n + 1e-12 and k / n <= hi + 1e-12
    lo2, hi2 = stats.wilson_interval(k * factor, n * factor)
    assert hi2 - lo2 < hi - lo


@settings(max_examples=60, deadline=None)
@given(
    count=st.integers(0, 1000),
    exposure=st.floats(1, 1e5),
    factor=st.integers(2, 20),
)
def test_poisson_contains_estimate_and_narrows_with_exposure(count, exposure, factor):
    lo, hi = stats.poisson_interval(count, exposure)
    assert lo <= count / exposure <= hi
    lo2, hi2 = stats.poisson_interval(count * factor, exposure * factor)
    assert hi2 - lo2 < hi - lo


# --- suppression -----------------------------------------------------------------------------


def test_own_reasons_per_kind():
    df = pd.DataFrame(
        [
            row("program", "ALL", "all", "all", 0, 50),  # 0 is fine
            row("program", "ALL", "all", "all", 10, 50),  # numerator 1-10
            row("program", "ALL", "all", "all", 45, 50),  # 50 - 45 = 5
            row("program", "ALL", "all", "all", 12, 25),  # 25 < 30
            row("program", "ALL", "all", "all", 0, 0),
            row("program", "ALL", "all", "all", 3, 5000, kind="rate"),  # 3 events
            row("program", "ALL", "all", "all", 4990, 5000, kind="rate"),  # no complement rule
            row("program", "ALL", "all", "all", 12.5, 9, kind="mean"),  # 9 people
            row("program", "ALL", "all", "all", 0, 6, kind="rate"),  # 6 member months
        ]
    )
    # suppress() alone: each row is its own group-less cell (all 'all' program rows, no parts)
    got = [stats._own_reason(df.iloc[[i]])[0] for i in range(len(df))]
    assert got == [
        "",
        "small_count",
        "small_complement",
        "small_denominator",
        "no_data",
        "small_count",
        "",
        "small_count",
        "small_count",
    ]
    assert set(stats.REASON_TEXT) >= set(got) - {""}


def test_complementary_suppression_hand_worked():
    df = pd.DataFrame(
        [
            row("program", "ALL", "all", "all", 100, 200),
            # F has 8 (small); M = 100 - 8 would give F back, so M is hidden too
            row("program", "ALL", "sex", "F", 8, 90),
            row("program", "ALL", "sex", "M", 92, 110),
            # 18-64 has 5 (small); smallest shown part by denominator is 0-17 (60)
            row("program", "ALL", "age_band", "0-17", 30, 60),
            row("program", "ALL", "age_band", "18-64", 5, 40),
            row("program", "ALL", "age_band", "65+", 65, 100),
            # entity C has 5 of 5 (small); smallest other entity is B (95)
            row("aco", "A", "all", "all", 50, 100),
            row("aco", "B", "all", "all", 45, 95),
            row("aco", "C", "all", "all", 5, 5),
        ]
    )
    assert reasons(df) == {
        ("ALL", "all"): "",
        ("ALL", "F"): "small_count",
        ("ALL", "M"): "complementary",
        ("ALL", "0-17"): "complementary",
        ("ALL", "18-64"): "small_count",
        ("ALL", "65+"): "",
        ("A", "all"): "",
        ("B", "all"): "complementary",
        ("C", "all"): "small_count",
    }


def test_complementary_suppression_cascades_through_the_total():
    df = pd.DataFrame(
        [
            row("program", "ALL", "all", "all", 100, 200),
            row("program", "ALL", "sex", "F", 40, 100),
            row("program", "ALL", "sex", "M", 60, 100),
            # 0-17 has 5 and 18+ is too few to rate (no protection): the age bands can only
            # be protected by hiding the program row, which is then recoverable as F + M, so F
            # (smaller numerator on a tie) goes too
            row("program", "ALL", "age_band", "0-17", 5, 50),
            row("program", "ALL", "age_band", "18+", 95, 150, min_denominator=200),
        ]
    )
    assert reasons(df) == {
        ("ALL", "all"): "complementary",
        ("ALL", "F"): "complementary",
        ("ALL", "M"): "",
        ("ALL", "0-17"): "small_count",
        ("ALL", "18+"): "small_denominator",
    }


def test_a_hidden_part_of_a_measure_cannot_be_worked_out_from_the_others():
    # iet_initiation is iet_initiation_13_17 plus iet_initiation_18plus (spec parts): at ACO
    # A the teens' 6 of 8 is hidden, but the total 27 of 50 less the adults' 21 of 42 would give
    # it back, so the adults' row is hidden too; at ACO B every part can be shown
    def iet(measure: str, entity: str, num: float, den: float) -> dict:
        part_of = "" if measure == "iet" else "iet"
        return row("aco", entity, "all", "all", num, den, measure_id=measure, part_of=part_of)

    df = pd.DataFrame(
        [
            iet("iet", "A", 27, 50),
            iet("iet_13_17", "A", 6, 8),
            iet("iet_18plus", "A", 21, 42),
            iet("iet", "B", 60, 140),
            iet("iet_13_17", "B", 20, 40),
            iet("iet_18plus", "B", 40, 100),
        ]
    )
    out = stats.suppress(df)
    got = {(r.measure_id, r.entity_id): r.suppression_reason for r in out.itertuples()}
    assert got == {
        ("iet", "A"): "",
        ("iet_13_17", "A"): "small_count",
        ("iet_18plus", "A"): "complementary",
        ("iet", "B"): "",
        ("iet_13_17", "B"): "",
        ("iet_18plus", "B"): "",
    }
    # without the link between the measures (part_of empty), the teens' count is recoverable
    unlinked = stats.suppress(df.assign(part_of=""))
    assert (unlinked["suppression_reason"] == "complementary").sum() == 0


def test_measures_that_publish_the_same_count_are_suppressed_together():
    # readmissions as a percent of stays (pct) and against the expected (oe) publish the same
    # count of readmissions (spec shared_counts). ACO A's 5 is hidden in both; each measure
    # picks its complement by the smallest denominator: pct hides B (120 stays), oe hides C
    # (45 expected). Unlinked, pct gives A + B = 60 - 30 (C) and oe shows B's 25, so A = 5.
    # Linked, a readmission count hidden in one is hidden in the other: all three in both.
    def readmissions(measure: str, entity: str, num: float, den: float) -> dict:
        kind = {"pct": "proportion", "oe": "ratio"}[measure]
        level = "program" if entity == "ALL" else "aco"
        return row(
            level,
            entity,
            "all",
            "all",
            num,
            den,
            measure_id=measure,
            kind=kind,
            shared_numerator="readmissions_30d",
        )

    stays = {"ALL": (60, 400), "A": (5, 100), "B": (25, 120), "C": (30, 180)}
    expected = {"ALL": 140, "A": 35, "B": 60, "C": 45}
    df = pd.DataFrame(
        [readmissions("pct", e, *counts) for e, counts in stays.items()]
        + [readmissions("oe", e, stays[e][0], den) for e, den in expected.items()]
    )

    linked = {(m, "A"): "small_count" for m in ("pct", "oe")}
    linked |= {(m, e): "complementary" for m in ("pct", "oe") for e in ("B", "C")}
    assert hidden_reasons(df, "measure_id", "entity_id") == linked
    unlinked = hidden_reasons(df.assign(shared_numerator=""), "measure_id", "entity_id")
    assert unlinked == {
        ("pct", "A"): "small_count",
        ("pct", "B"): "complementary",
        ("oe", "A"): "small_count",
        ("oe", "C"): "complementary",
    }


def test_a_hidden_cell_whose_denominator_leaves_its_partner_few_values_is_protected():
    # an ACO's follow-ups by sex: women 10 of 60 (hidden: small count), so men 29 of 40 are
    # its complement. Their sum, 89 - 50 = 39, is shown. Men's reason says neither 29 nor
    # 40 - 29 is 1 to 10, and their 40 discharges may be shown by fuh30 (a shared
    # denominator), so men are 0, 11 to 29 or 40; women 1 to 10 leave men 29 to 38: only 29
    # fits, and women are 10. So the unknown-sex group is hidden too
    df = pd.DataFrame(
        [
            row("aco", "A", "all", "all", 89, 170),
            row("aco", "A", "sex", "female", 10, 60),
            row("aco", "A", "sex", "male", 29, 40),
            row("aco", "A", "sex", "unknown", 50, 70),
        ]
    )
    assert reasons(df) == {
        ("A", "all"): "",
        ("A", "female"): "small_count",
        ("A", "male"): "complementary",
        ("A", "unknown"): "complementary",
    }
    # men at 29 of 50 instead: 0, 11 to 39 or 50, of which 29 to 38 all fit: no more hidden
    wider = df.assign(denominator=[180.0, 60.0, 50.0, 70.0])
    assert reasons(wider)[("A", "unknown")] == ""


def test_a_complement_spreads_only_through_the_count_it_protects():
    # fuh7 and fuh30 count the same discharges (shared denominator). At A, fuh7's 3 follow-ups
    # are hidden and B is its complement: that protects a numerator, which fuh30 does not
    # publish, so fuh30 is shown whole. At D, 8 discharges (a small denominator) are hidden in
    # both; fuh7 hides B to protect them, while fuh30 also hides C's 9 follow-ups and needs no
    # complement of its own. Unlinked, fuh30 would show B's 50 discharges and fuh7 gives
    # D + B = 118 - 60, so D = 8; linked, B is hidden in fuh30 too.
    def fuh(measure: str, entity: str, num: float, den: float) -> dict:
        level = "program" if entity == "ALL" else "aco"
        return row(
            level,
            entity,
            "all",
            "all",
            num,
            den,
            measure_id=measure,
            shared_denominator="fuh_discharges",
            period_id=period,
        )

    period = "2025Q3"
    q3 = [
        fuh("fuh7", "ALL", 43, 150),
        fuh("fuh7", "A", 3, 40),
        fuh("fuh7", "B", 20, 50),
        fuh("fuh7", "C", 20, 60),
        fuh("fuh30", "ALL", 85, 150),
        fuh("fuh30", "A", 15, 40),
        fuh("fuh30", "B", 30, 50),
        fuh("fuh30", "C", 40, 60),
    ]
    period = "2025Q4"
    q4 = [
        fuh("fuh7", "ALL", 45, 118),
        fuh("fuh7", "D", 4, 8),
        fuh("fuh7", "B", 20, 50),
        fuh("fuh7", "C", 21, 60),
        fuh("fuh30", "ALL", 45, 118),
        fuh("fuh30", "D", 6, 8),
        fuh("fuh30", "B", 30, 50),
        fuh("fuh30", "C", 9, 60),
    ]
    hidden = hidden_reasons(pd.DataFrame(q3 + q4), "period_id", "measure_id", "entity_id")
    assert hidden == {
        ("2025Q3", "fuh7", "A"): "small_count",
        ("2025Q3", "fuh7", "B"): "complementary",
        ("2025Q4", "fuh7", "D"): "small_count",
        ("2025Q4", "fuh7", "B"): "complementary",
        ("2025Q4", "fuh30", "D"): "small_count",
        ("2025Q4", "fuh30", "C"): "small_count",
        ("2025Q4", "fuh30", "B"): "complementary",
    }
    unlinked = stats.suppress(pd.DataFrame(q3 + q4).assign(shared_denominator=""))
    fuh30_b = unlinked.query("period_id == '2025Q4' and measure_id == 'fuh30' and entity_id == 'B'")
    assert not fuh30_b["suppressed"].any()


def test_a_complement_that_would_hide_a_headline_result_is_chosen_last():
    # program iet by age: 65+ has 5 (small), so one more band is hidden. The smallest shown
    # band, 0-17 (50), is the teens' measure itself (its single band, and so its 'all' row):
    # hiding it would hide the 13-17 result, then the 18+ one as the total's other part. The
    # next smallest, 50-64 (62), hides only a band (the adults' own 50-64, the complement of
    # their 65+ anyway), so both headline results stay shown.
    def iet(measure: str, stratum: str, value: str, num: float, den: float) -> dict:
        part_of = "" if measure == "iet" else "iet"
        return row("program", "ALL", stratum, value, num, den, measure_id=measure, part_of=part_of)

    bands = {"0-17": (22, 50), "18-49": (81, 179), "50-64": (26, 62), "65+": (1, 5)}
    df = pd.DataFrame(
        [
            iet("iet", "all", "all", 130, 296),
            *(iet("iet", "age_band", band, *counts) for band, counts in bands.items()),
            iet("iet_13_17", "all", "all", 22, 50),
            iet("iet_13_17", "age_band", "0-17", 22, 50),
            iet("iet_18plus", "all", "all", 108, 246),
            *(iet("iet_18plus", "age_band", b, *bands[b]) for b in ("18-49", "50-64", "65+")),
        ]
    )
    hidden = hidden_reasons(df, "measure_id", "stratum_value")
    assert hidden == {
        ("iet", "65+"): "small_count",
        ("iet", "50-64"): "complementary",
        ("iet_18plus", "65+"): "small_count",
        ("iet_18plus", "50-64"): "complementary",
    }


def test_a_complement_that_would_strip_a_headline_of_its_last_shown_part_is_chosen_later():
    # members aged 65+ by CP: A has 5 (hidden: small count), so the program's 38 less B's 14
    # and C's 19 would give it; B's is the smaller, but B's other age groups, 5 and 6, are
    # small counts: with its 65+ hidden too, B's 25 members less 14 leave 11 for two counts of
    # 1 to 10, and its 65+ (0, or 11 or more, or its own 14, which a measure sharing the count
    # may show) must be 14: so B's own 25 would be hidden as well (the old choice). C's 65+
    # goes instead, and C's 18-64 (15) with it (C's 54 less 20 would give 19 back). A + C's
    # 65+ = 38 - 14 = 24 still pins C's 65+ the same way (0 or 19), and the program's 65+
    # row, no one's headline, is hidden rather than B's 65+. That leaves P65 = A + 14 + C65
    # and 54 = 20 + C18-64 + C65: two sums for four unknowns, none given away, and both CPs'
    # own results stay shown.
    def members(level: str, entity: str, stratum: str, value: str, count: float) -> dict:
        return row(level, entity, stratum, value, count, count, min_denominator=1, part_of="")

    bands = {"B": (5, 6, 14), "C": (20, 15, 19)}
    df = pd.DataFrame(
        [
            members("program", "ALL", "age_band", "65+", 38),
            members("cp", "A", "age_band", "65+", 5),
            *(members("cp", cp, "all", "all", sum(counts)) for cp, counts in bands.items()),
            *(
                members("cp", cp, "age_band", band, count)
                for cp, counts in bands.items()
                for band, count in zip(("0-17", "18-64", "65+"), counts, strict=True)
            ),
        ]
    )
    out = stats.suppress(df)
    assert hidden_in(out, "entity_id", "stratum_value") == {
        ("ALL", "65+"): "complementary",
        ("A", "65+"): "small_count",
        ("B", "0-17"): "small_count",
        ("B", "18-64"): "small_count",
        ("C", "18-64"): "complementary",
        ("C", "65+"): "complementary",
    }
    assert disclosure.audit(df, public(out)).leaks.empty


def test_measure_parts_are_linked_only_when_every_part_is_there():
    specs = load_specs(ROOT / "measures")
    whole = engine.whole_of_parts(specs)
    assert whole["iet_initiation_13_17"] == whole["iet_initiation_18plus"] == "iet_initiation"
    assert whole["iet_engagement_13_17"] == "iet_engagement"
    without_adults = [s for s in specs if s.id != "iet_initiation_18plus"]
    assert "iet_initiation_13_17" not in engine.whole_of_parts(without_adults)


def test_a_rate_over_a_few_member_months_is_protected_like_a_small_count():
    # outreach tries by sex: 77 over 310 member months = 53/205 + 24/102 + 0/3; the 3 member
    # months of 'unknown' are one to three people, so male (the smaller shown part) goes too
    rate = {"kind": "rate", "multiplier": 1.0}
    df = pd.DataFrame(
        [
            row("program", "ALL", "all", "all", 77, 310, **rate),
            row("program", "ALL", "sex", "female", 53, 205, **rate),
            row("program", "ALL", "sex", "male", 24, 102, **rate),
            row("program", "ALL", "sex", "unknown", 0, 3, **rate),
        ]
    )
    assert list(reasons(df).values()) == ["", "", "complementary", "small_count"]


def test_two_small_cells_protect_each_other_and_reliability_is_not_protected():
    # A and B together have 4 + 8 = 12, which the program less C gives, but 12 is not small
    df = pd.DataFrame(
        [
            row("program", "ALL", "all", "all", 102, 250),
            row("aco", "A", "all", "all", 4, 40),
            row("aco", "B", "all", "all", 8, 60),
            row("aco", "C", "all", "all", 90, 150),
            row("program", "ALL", "sex", "F", 12, 25),  # small denominator only
            row("program", "ALL", "sex", "M", 90, 225),
        ]
    )
    got = reasons(df)
    assert got[("A", "all")] == got[("B", "all")] == "small_count"
    assert got[("C", "all")] == ""
    assert got[("ALL", "F")] == "small_denominator" and got[("ALL", "M")] == ""


def test_hidden_cells_whose_sum_is_small_are_protected_together():
    # A and B are hidden (4 and 6), but the program less C would give their sum, 10 of 100:
    # C is hidden too. By CP type, BH and LTSS (2 of 3, 1 of 3) would add up to 3 of 6.
    df = pd.DataFrame(
        [
            row("program", "ALL", "all", "all", 100, 250),
            row("aco", "A", "all", "all", 4, 40),
            row("aco", "B", "all", "all", 6, 60),
            row("aco", "C", "all", "all", 90, 150),
            row("program", "ALL", "cp_type", "BH", 2, 3),
            row("program", "ALL", "cp_type", "LTSS", 1, 3),
            row("program", "ALL", "cp_type", "No CP", 97, 244),
        ]
    )
    got = reasons(df)
    assert got[("A", "all")] == got[("B", "all")] == "small_count"
    assert got[("C", "all")] == "complementary"
    assert got[("ALL", "No CP")] == "complementary"
    assert got[("ALL", "all")] == ""  # all the parts hidden: their sum is the total, not small


def test_a_practice_hidden_in_its_aco_cannot_be_worked_out_from_the_others():
    # ACO A = practices P1 + P2 + P3: P1's 16 of 26 leaves 10 not done, so it is hidden; A less
    # P2 and P3 would give it back, so P2 (the smaller) goes too. ACO B = P4 + P5: P4 has 5.
    # Across all practices, P1 and P4 hide each other (21 of 66): only the ACOs show the leak.
    df = pd.DataFrame(
        [
            row("program", "ALL", "all", "all", 200, 400),
            row("aco", "A", "all", "all", 116, 202),
            row("aco", "B", "all", "all", 84, 198),
            row("practice", "P1", "all", "all", 16, 26),
            row("practice", "P2", "all", "all", 31, 56),
            row("practice", "P3", "all", "all", 69, 120),
            row("practice", "P4", "all", "all", 5, 40),
            row("practice", "P5", "all", "all", 79, 158),
        ]
    )
    parents = {"P1": "A", "P2": "A", "P3": "A", "P4": "B", "P5": "B"}
    out = stats.suppress(df, parents)
    got = dict(zip(out["entity_id"], out["suppression_reason"], strict=True))
    assert got == {
        "ALL": "",
        "A": "",
        "B": "",
        "P1": "small_complement",
        "P2": "complementary",
        "P3": "",
        "P4": "small_count",
        "P5": "complementary",
    }
    # without the practices' ACOs, P1 = A - P2 - P3 and P4 = B - P5 were left to be worked out
    assert "complementary" not in set(stats.suppress(df)["suppression_reason"])


def test_a_cell_hidden_for_reliability_does_not_protect_a_small_one():
    # visits by sex (rate per member months): female 23 of 31 shown; male 8 (small count);
    # unknown 0 over 20 member months, hidden as too few to rate. Its reason says its count is
    # 0 or above 10, and only 8 are left, so it is 0 and male is 8: female goes too.
    rate = {"kind": "rate", "multiplier": 1000.0}
    df = pd.DataFrame(
        [
            row("program", "ALL", "all", "all", 31, 1918, **rate),
            row("program", "ALL", "sex", "female", 23, 1076, **rate),
            row("program", "ALL", "sex", "male", 8, 822, **rate),
            row("program", "ALL", "sex", "unknown", 0, 20, **rate),
        ]
    )
    got = reasons(df)
    assert got[("ALL", "male")] == "small_count"
    assert got[("ALL", "unknown")] == "small_denominator"
    assert got[("ALL", "female")] == "complementary"


def test_no_peer_label_against_a_hidden_program_value():
    # the program's men are hidden (5): a label saying CP2's men are better would bound their
    # value. (CP1's men are hidden too, as the complement.)
    df = pd.DataFrame(
        [
            row("program", "ALL", "sex", "male", 5, 130),
            row("cp", "CP1", "sex", "male", 40, 60),
            row("cp", "CP2", "sex", "male", 45, 70),
            row("program", "ALL", "sex", "female", 40, 100),
            row("cp", "CP1", "sex", "female", 80, 100),
        ]
    )
    labels = stats.peer_label(stats.suppress(stats.add_intervals(df)))
    keys = labels["entity_id"] + ":" + labels["stratum_value"]
    got = dict(zip(keys, labels["peer_label"], strict=True))
    assert labels.set_index(keys).loc["CP2:male", "suppressed"] == False  # noqa: E712
    # it says why it is not compared, with no figure
    assert got["CP2:male"] == "hidden_reference" and got["CP1:female"] == "better"


def test_a_result_with_no_program_row_to_compare_with_says_so():
    df = pd.DataFrame(
        [
            row("program", "ALL", "sex", "female", 40, 100),
            row("cp", "CP1", "sex", "female", 80, 100),
            row("cp", "CP1", "sex", "male", 45, 70),  # the program has no row of men
        ]
    )
    labels = stats.peer_label(stats.suppress(stats.add_intervals(df)))
    got = dict(zip(labels["stratum_value"] + labels["level"], labels["peer_label"], strict=True))
    assert got == {"femaleprogram": "", "femalecp": "better", "malecp": "no_reference"}


def test_the_cps_of_a_type_add_up_to_the_programs_row_for_that_type():
    # program by CP type: LTSS 30 of 70 = C1 (6 of 20, hidden) + C2 (24 of 50), so LTSS less
    # C2 gives C1; BH 65 of 145 = C3 (60 of 130) + C4 (5 of 15, hidden), so BH less C3 gives
    # C4. The only other shown part is a CP's own headline result, so the program's row of
    # the type is hidden instead. The unknowns C1, C4, LTSS, BH then meet LTSS - C1 = 24,
    # BH - C4 = 60, LTSS + BH = 95 and C1 + C4 = 11 (the CPs less C2 and C3): three
    # independent sums for four unknowns, and C1 = 6 + t, C4 = 5 - t, LTSS = 30 + t,
    # BH = 65 - t fit them all for any t, so none is given away. Across all CPs, C1 and C4
    # hide each other (11 of 35): only the types show the leak.
    df = pd.DataFrame(
        [
            row("program", "ALL", "all", "all", 95, 215),
            row("program", "ALL", "cp_type", "LTSS", 30, 70),
            row("program", "ALL", "cp_type", "BH", 65, 145),
            row("cp", "C1", "all", "all", 6, 20),
            row("cp", "C2", "all", "all", 24, 50),
            row("cp", "C3", "all", "all", 60, 130),
            row("cp", "C4", "all", "all", 5, 15),
        ]
    )

    types = {"C1": "LTSS", "C2": "LTSS", "C3": "BH", "C4": "BH"}
    assert hidden_in(stats.suppress(df, cp_types=types), "entity_id", "stratum_value") == {
        ("C1", "all"): "small_count",
        ("C4", "all"): "small_count",
        ("ALL", "LTSS"): "complementary",
        ("ALL", "BH"): "complementary",
    }
    assert hidden_reasons(df, "entity_id", "stratum_value") == {
        ("C1", "all"): "small_count",
        ("C4", "all"): "small_count",
    }


def test_hidden_cells_that_their_reasons_pin_down_are_protected():
    # ACO A = P1 + P2 + P3. P2 and P3 are hidden as small counts (10 each), P1 is shown: A less
    # P1 gives 20 for the two, and 'small count' means 10 or fewer, so each is 10. P1 goes too.
    df = pd.DataFrame(
        [
            row("aco", "A", "all", "all", 54, 110),
            row("practice", "P1", "all", "all", 34, 60),
            row("practice", "P2", "all", "all", 10, 24),
            row("practice", "P3", "all", "all", 10, 26),
        ]
    )
    out = stats.suppress(df, {"P1": "A", "P2": "A", "P3": "A"})
    assert out["suppression_reason"].tolist() == ["", "complementary", "small_count", "small_count"]
    # spread apart (4 and 9 of 13), the two are not pinned down: P1 stays
    spread = df.assign(numerator=[47, 34, 4, 9])
    assert stats.suppress(spread, {"P1": "A", "P2": "A", "P3": "A"})[
        "suppression_reason"
    ].tolist() == ["", "", "small_count", "small_count"]


def test_hidden_total_over_empty_parts_keeps_its_own_reason():
    df = pd.DataFrame(
        [
            row("program", "ALL", "all", "all", 5, 40),
            row("aco", "A", "all", "all", 0, 0),  # empty cells are known zeros
            row("aco", "B", "all", "all", 0, 0),
        ]
    )
    assert list(reasons(df).values()) == ["small_count", "no_data", "no_data"]


def test_public_view_blanks_counts_but_suppress_keeps_them():
    df = pd.DataFrame([row("program", "ALL", "all", "all", 5, 50)])
    kept = stats.suppress(df)
    assert kept["numerator"].iloc[0] == 5
    masked = public(kept)
    assert masked[["numerator", "denominator", "value"]].isna().all().all()
    assert bool(masked["suppressed"].iloc[0])


def _partition_table(entities, strata) -> pd.DataFrame:
    """Return a program row, its entities and program strata, all summing to the program."""
    num = sum(n for n, _ in entities)
    den = sum(d for _, d in entities)
    rows = [row("program", "ALL", "all", "all", num, den)]
    rows += [row("aco", f"E{i}", "all", "all", n, d) for i, (n, d) in enumerate(entities)]
    for s, shares in enumerate(strata):
        # split the numerator and the rest of the denominator at the same cumulative shares
        cuts = sorted(shares)
        nums = np.diff([0, *[int(num * c) for c in cuts], num])
        rest = np.diff([0, *[int((den - num) * c) for c in cuts], den - num])
        rows += [
            row("program", "ALL", f"dim{s}", f"v{j}", n, n + r)
            for j, (n, r) in enumerate(zip(nums, rest, strict=True))
        ]
    return pd.DataFrame(rows)


def _determined(out: pd.DataFrame, groups: list) -> list[int]:
    """Return positions of privacy-hidden cells that the shown cells determine exactly."""
    equations = []
    for parts, codes, total in groups:
        for g, t in enumerate(total):
            if t < 0:
                continue
            eq = np.zeros(len(out))
            eq[t] = 1
            eq[parts[codes == g]] = -1
            equations.append(eq)
    if not equations:
        return []
    a = np.array(equations)
    hidden = np.flatnonzero(~out["suppression_reason"].isin(["", "no_data"]).to_numpy())
    protected = set(
        np.flatnonzero(out["suppression_reason"].isin(stats.PROTECTED_REASONS).to_numpy())
    )
    sub = a[:, hidden]
    rank = np.linalg.matrix_rank(sub)
    found = []
    for j, cell in enumerate(hidden):
        if cell not in protected:
            continue
        unit = np.zeros(len(hidden))
        unit[j] = 1
        if np.linalg.matrix_rank(np.vstack([sub, unit])) == rank:
            found.append(int(cell))
    return found


@settings(max_examples=50, deadline=None)
@given(
    entities=st.lists(
        st.tuples(st.integers(0, 40), st.integers(0, 80)).map(lambda t: (t[0], t[0] + t[1])),
        min_size=1,
        max_size=6,
    ),
    strata=st.lists(
        st.lists(st.floats(0.01, 0.99), min_size=1, max_size=4), min_size=0, max_size=2
    ),
)
def test_suppressed_cells_cannot_be_recovered(entities, strata):
    out = stats.suppress(_partition_table(entities, strata))
    reason = out["suppression_reason"].to_numpy()
    unknown = ~np.isin(reason, ["", "no_data"])
    protected = np.isin(reason, list(stats.PROTECTED_REASONS))
    groups = stats._groupings(out)
    for parts, codes, total in groups:
        for g, t in enumerate(total):
            members = parts[codes == g]
            cells = members if t < 0 else np.append(members, t)
            n_unknown = unknown[cells].sum() + (t < 0)
            # never exactly one unknown cell that is hidden for privacy
            assert not (n_unknown == 1 and protected[cells].sum() == 1)
    assert _determined(out, groups) == []


@settings(max_examples=50, deadline=None)
@given(
    entities=st.lists(
        st.tuples(st.integers(0, 40), st.integers(0, 80)).map(lambda t: (t[0], t[0] + t[1])),
        min_size=1,
        max_size=6,
    ),
    strata=st.lists(
        st.lists(st.floats(0.01, 0.99), min_size=1, max_size=4), min_size=0, max_size=2
    ),
    lower=st.booleans(),
)
def test_published_open_care_gaps_are_never_1_to_10(entities, strata, lower):
    # open gaps are den - num (higher is better) or num (lower is better): a shown
    # proportion has both 0 or above 10, and a suppressed row publishes no gap count
    direction = "lower_is_better" if lower else "higher_is_better"
    table = _partition_table(entities, strata).assign(direction=direction)
    table["open_gaps"] = engine.open_gap_counts(table, {"m1"})
    expected = table["numerator"] if lower else table["denominator"] - table["numerator"]
    assert table["open_gaps"].equals(expected)
    masked = public(stats.suppress(table))
    assert not masked["open_gaps"].between(1, 10).any()
    assert masked.loc[masked["suppressed"], "open_gaps"].isna().all()
    assert masked.loc[~masked["suppressed"], "open_gaps"].notna().all()


def _two_way_table(
    counts: dict[tuple[int, int], tuple[int, int]], n_e: int, n_v: int
) -> pd.DataFrame:
    """Return entities E0.. x age bands v0.. with both margins (each entity's 'all' row and
    the program's row per band) and the program's 'all' row: counts maps (entity, band) to
    (numerator, denominator)."""
    rows = []
    for e in range(n_e):
        mine = [counts[e, v] for v in range(n_v)]
        rows += [row("aco", f"E{e}", "age_band", f"v{v}", *mine[v]) for v in range(n_v)]
        rows.append(row("aco", f"E{e}", "all", "all", *np.sum(mine, axis=0)))
    for v in range(n_v):
        band = np.sum([counts[e, v] for e in range(n_e)], axis=0)
        rows.append(row("program", "ALL", "age_band", f"v{v}", *band))
    rows.append(row("program", "ALL", "all", "all", *np.sum(list(counts.values()), axis=0)))
    return pd.DataFrame(rows)


# the reviewer's table: 5 ACOs x 5 age bands, nine cells of 6 (of 200) in two 2x2 blocks
# (E0,E1)x(v0,v1) and (E2,E3)x(v2,v3) joined by (E1,v2); every other cell 50 of 200
BRIDGED = {(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (2, 2), (2, 3), (3, 2), (3, 3)}


def _bridged_table() -> pd.DataFrame:
    counts = {(e, v): ((6 if (e, v) in BRIDGED else 50), 200) for e in range(5) for v in range(5)}
    return _two_way_table(counts, 5, 5)


def test_a_cell_that_several_groups_give_away_together_is_hidden_with_a_partner():
    hidden = hidden_reasons(_bridged_table(), "entity_id", "stratum_value")
    # Each row and column holds 2 or 3 of the nine, so no group alone gives one away, but
    # (E0 row less its 3 shown) + (E1 row less its 2 shown) - (v0 column less its 3 shown)
    # - (v1 column less its 3 shown) = (6+6) + (6+6+6) - (6+6) - (6+6) = 6 = (E1,v2): it is on
    # no cycle of hidden cells. Shown rows that close a cycle through it: (E0,v2) and (E1,v3)
    # (their other line holds hidden cells across the bridge); (E1,v4) and (E4,v2) would be
    # worked out themselves. Equal denominators (200): the first, (E0,v2), is hidden.
    assert hidden == {
        **{(f"E{e}", f"v{v}"): "small_count" for e, v in BRIDGED},
        ("E0", "v2"): "complementary",
    }
    out = stats.suppress(_bridged_table())
    assert _determined(out, stats._groupings(out)) == []


def test_the_rank_test_finds_the_bridge_that_the_group_rules_miss():
    # without the new step (the rules alone) the bridge (E1,v2) is worked out: the test's own
    # exact rank check and stats._determined agree
    table = _bridged_table()
    alone = table.assign(suppressed=False, suppression_reason="")
    small = [(f"E{e}", f"v{v}") for e, v in BRIDGED]
    key = list(zip(alone["entity_id"], alone["stratum_value"], strict=True))
    alone["suppression_reason"] = ["small_count" if k in small else "" for k in key]
    groups = stats._groupings(alone)
    bridge = key.index(("E1", "v2"))
    assert _determined(alone, groups) == [bridge]
    hidden = np.flatnonzero(alone["suppression_reason"] != "")
    relations = stats._relation_matrix(len(alone), groups)
    assert list(hidden[stats._determined(relations, hidden)]) == [bridge]


BRIDGED_CELLS = [((6, 194) if divmod(i, 5) in BRIDGED else (50, 150)) for i in range(25)]


@settings(max_examples=40, deadline=None)
@given(
    shape=st.tuples(st.integers(2, 5), st.integers(2, 5)),
    cells=st.lists(
        st.tuples(st.one_of(st.integers(1, 10), st.integers(0, 60)), st.integers(0, 200)),
        min_size=25,
        max_size=25,
    ),
)
@example(shape=(5, 5), cells=BRIDGED_CELLS)  # the reviewer's bridge, which random tables seldom hit
def test_no_cell_of_a_two_way_table_with_both_margins_can_be_solved_for(shape, cells):
    # entities x age bands with both margins: many counts of 1 to 10 (and rests of 1 to 10),
    # hidden in patterns the group rules alone can leave solvable (see the bridge above)
    n_e, n_v = shape
    counts = {
        (e, v): (n, n + r)
        for (e, v), (n, r) in zip(np.ndindex(n_e, n_v), cells[: n_e * n_v], strict=True)
    }
    out = stats.suppress(_two_way_table(counts, n_e, n_v))
    assert _determined(out, stats._groupings(out)) == []


def _given_by_rank(relations: np.ndarray, unknown: np.ndarray) -> np.ndarray:
    """Return True for each unknown column that the relations give: adding its unit vector
    to the relations' rows leaves their rank unchanged (the test's own exact check)."""
    sub = relations[:, unknown]
    rank = np.linalg.matrix_rank(sub)
    units = np.eye(unknown.size)
    return np.array([np.linalg.matrix_rank(np.vstack([sub, u])) == rank for u in units])


@settings(max_examples=60, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 5), st.integers(1, 5)),
    cells=st.lists(st.tuples(st.integers(0, 60), st.integers(0, 200)), min_size=25, max_size=25),
    hidden=st.sets(st.integers(0, 35), min_size=1),
)
@example(shape=(5, 5), cells=BRIDGED_CELLS, hidden={6 * e + v for e, v in BRIDGED})
def test_the_exact_and_the_lsmr_solves_agree_on_two_way_tables(shape, cells, hidden):
    # every hidden pattern (cells and margins) of a table with both margins: the dense SVD of
    # small components, LSMR (every component) and the test's rank check find the same cells
    # given away, and both solves give their true counts
    n_e, n_v = shape
    counts = {
        (e, v): (n, n + r)
        for (e, v), (n, r) in zip(np.ndindex(n_e, n_v), cells[: n_e * n_v], strict=True)
    }
    table = _two_way_table(counts, n_e, n_v)
    unknown = np.array(sorted(h for h in hidden if h < len(table)))
    assume(unknown.size)
    relations = stats._relation_matrix(len(table), stats._groupings(table))
    truth = table["numerator"].to_numpy(float)
    known = np.setdiff1d(np.arange(len(table)), unknown)
    rhs = -(relations[:, known] @ truth[known])
    linked = relations[:, unknown]
    label = stats.linked_components(linked)
    expected = _given_by_rank(relations.toarray(), unknown)
    for exact_max in (0, len(table)):  # all by LSMR, all exact
        given_away, value = stats.solve_linked(linked, label, rhs, exact_max=exact_max)
        assert list(given_away) == list(expected)
        np.testing.assert_allclose(value[given_away], truth[unknown][given_away], atol=1e-6)
        assert np.isnan(value[~given_away]).all()
    assert list(stats._determined(relations, unknown)) == list(expected)


# --- comparisons -----------------------------------------------------------------------------


def test_benchmarks_percentiles_exclude_hidden_and_small():
    rows = [row("program", "ALL", "all", "all", 500, 1000)]
    rows += [row("aco", f"A{i}", "all", "all", v, 100) for i, v in enumerate([20, 30, 40, 50, 60])]
    rows += [row("aco", "tiny", "all", "all", 15, 29)]  # below min_denominator
    out = stats.benchmarks(pd.DataFrame(rows))
    # numpy linear percentiles of 20..60: p10 = 20 + 0.4*10 = 24, p90 = 50 + 0.6*10 = 56
    assert out.iloc[0][["n_entities", "p10", "p25", "p50", "p75", "p90"]].tolist() == [
        5,
        24.0,
        30.0,
        40.0,
        50.0,
        56.0,
    ]


def test_benchmarks_need_min_peers_entities_in_every_edition():
    # ACO01's readmissions once had a "middle half of peers" band of "17.6% to 17.6%": its own
    # result, the only one. 5 ACOs make a benchmark, 4 none (internal edition included)
    assert stats.MIN_PEERS == 5
    acos = [row("aco", f"A{i}", "all", "all", v, 100) for i, v in enumerate([20, 30, 40, 50, 60])]
    assert stats.benchmarks(pd.DataFrame(acos))["n_entities"].tolist() == [5]
    assert stats.benchmarks(pd.DataFrame(acos[:4])).empty


@pytest.mark.parametrize(
    ("direction", "expected"),
    [
        ("higher_is_better", ["better", "worse", "no_different"]),
        ("lower_is_better", ["worse", "better", "no_different"]),
        ("neutral", ["higher", "lower", "no_different"]),  # e.g. how many have diabetes
    ],
)
def test_peer_label(direction, expected):
    rows = [row("program", "ALL", "all", "all", 150, 300, direction=direction)]  # 50%
    # 80/100: Wilson lower is about 71% > 50%; 20/100: upper about 29% < 50%; 50/100 straddles
    for ent, num in (("A", 80), ("B", 20), ("C", 50)):
        rows.append(row("aco", ent, "all", "all", num, 100, direction=direction))
    out = stats.peer_label(pd.DataFrame(rows))
    assert out["peer_label"].tolist() == ["", *expected]


def test_peer_label_a_bound_touching_the_program_value_is_not_beyond_it():
    # 193/193: the Wilson upper bound is 1 in exact arithmetic but 0.99999999999999989 in
    # floating point, under the program's 100%; 170/200 (upper about 89.4%) is really lower
    assert stats.wilson_interval(193, 193)[1] < 1.0
    neutral = {"direction": "neutral"}
    rows = [row("program", "ALL", "all", "all", 5147, 5147, **neutral)]
    rows += [row("aco", "A", "all", "all", 193, 193, **neutral)]
    rows += [row("aco", "B", "all", "all", 170, 200, **neutral)]
    out = stats.peer_label(pd.DataFrame(rows))
    assert out["peer_label"].tolist() == ["", "no_different", "lower"]


def test_no_peer_label_for_a_measure_whose_value_cannot_vary():
    # members: numerator and denominator are the same count (spec shared_counts), always 100%
    same = {"shared_numerator": "members_at_end", "shared_denominator": "members_at_end"}
    rows = [row("program", "ALL", "all", "all", 5147, 5147, **same)]
    rows += [row("aco", "A", "all", "all", 193, 193, **same)]
    # a measure sharing only its denominator (a prevalence) is compared as before: 20/100 is
    # worse than 50% (upper about 29%)
    prevalence = {"measure_id": "m2", "shared_numerator": "", "shared_denominator": "members"}
    rows += [row("program", "ALL", "all", "all", 150, 300, **prevalence)]
    rows += [row("aco", "A", "all", "all", 20, 100, **prevalence)]
    out = stats.peer_label(pd.DataFrame(rows))
    assert out["peer_label"].tolist() == ["", "", "", "worse"]
    assert stats.fixed_value(pd.DataFrame(rows)).tolist() == [True, True, False, False]


def test_trend_label_two_proportions_and_rates():
    rate = {"kind": "rate", "multiplier": 1000.0, "direction": "lower_is_better"}
    q3 = [
        row("aco", "A", "all", "all", 40, 100, period_id="2025Q3"),
        row("aco", "B", "all", "all", 50, 100, period_id="2025Q3"),
        row("aco", "C", "all", "all", 12, 1000, period_id="2025Q3", **rate),
    ]
    q4 = [
        # 40/100 -> 60/100: pooled p = 0.5, se = sqrt(0.25 * 0.02) = 0.0707, z = 2.83, p = 0.005
        row("aco", "A", "all", "all", 60, 100),
        # 50/100 -> 55/100: pooled 0.525, se = 0.0706, z = 0.71, p = 0.48
        row("aco", "B", "all", "all", 55, 100),
        # 12 -> 36 events in 1,000 member months each: given 48 events,
        # P(X >= 36 | Bin(48, 1/2)) = 0.000359, two-sided 0.00072; fewer is better: a decline
        row("aco", "C", "all", "all", 36, 1000, **rate),
        row("aco", "D", "all", "all", 30, 100),  # no earlier row
    ]
    out = stats.trend_label(pd.DataFrame(q3 + q4))
    got = dict(zip(out["period_id"] + out["entity_id"], out["trend_label"], strict=True))
    assert got == {
        "2025Q3A": "",
        "2025Q3B": "",
        "2025Q3C": "",
        "2025Q4A": "improved",
        "2025Q4B": "no_change",
        "2025Q4C": "declined",
        "2025Q4D": "",
    }
    # the same changes of a measure neither better nor worse either way: up and down
    neutral = stats.trend_label(pd.DataFrame(q3 + q4).assign(direction="neutral"))
    assert neutral["trend_label"].tolist()[3:6] == ["rose", "no_change", "rose"]


def test_a_year_result_is_compared_with_the_year_before_and_a_quarter_with_the_quarter_before():
    # one ACO's 12-month results ending 2024Q4, 2025Q3 and 2025Q4. The windows ending 2025Q3 and
    # 2025Q4 share nine months; the ones ending 2024Q4 and 2025Q4 share none
    counts = {"2024Q4": 40, "2025Q3": 58, "2025Q4": 60}
    rows = [row("aco", "A", "all", "all", n, 100, period_id=p) for p, n in counts.items()]
    year = stats.trend_label(pd.DataFrame(rows).assign(window="year"))
    # 2025Q4 against 2024Q4: 40/100 -> 60/100, z = 2.83, p = 0.005 (worked above): improved;
    # 2025Q3 against 2024Q3, which there is none of: no label, nor for 2024Q4
    assert year["trend_label"].tolist() == ["", "", "improved"]
    # the same rows as results over a quarter: each against the quarter before. 2025Q4 against
    # 2025Q3 (58 -> 60 of 100: pooled 0.59, se 0.0696, z = 0.29): no clear change; 2025Q3 has no
    # 2025Q2 to compare with
    quarter = stats.trend_label(pd.DataFrame(rows).assign(window="quarter"))
    assert quarter["trend_label"].tolist() == ["", "", "no_change"]
    # without a window column: the quarter before, as before
    assert stats.trend_label(pd.DataFrame(rows))["trend_label"].tolist() == ["", "", "no_change"]


def test_comparison_quarters_and_quarters_before():
    frame = pd.DataFrame({"window": ["year", "quarter", None]})
    assert stats.comparison_quarters(frame).tolist() == [4, 1, 1]
    assert stats.comparison_quarters(pd.DataFrame(index=range(2))).tolist() == [1, 1]
    periods = pd.Series(["2025Q1", "2025Q1", "2024Q4"])
    got = stats.quarters_before(periods, np.array([4, 1, -1]))
    assert got.tolist() == ["2024Q1", "2024Q4", "2025Q1"]


def test_own_reasons_count_members_for_measures_clustered_by_member():
    year = {"min_denominator": 3650}
    df = pd.DataFrame(
        [
            # ten members all year: 3,660 days, over the 3,650-day minimum, and no count of
            # days from 1 to 10; but ten members
            clustered(3640, 3660, 10, persons_complement=2, **year),
            # 40 members, 14,640 days; the 19 days in a facility are 3 members' days
            clustered(14_621, 14_640, 40, persons_complement=3, **year),
            clustered(14_621, 14_640, 40, persons_complement=11, **year),  # 11 of them
            # spending: 36 member months of 8 members
            clustered(9000, 36, 8, kind="mean", units=36),
            # risk-adjusted spending: the denominator is the sum of relative risk; the minimum
            # of 30 applies to its member months (units)
            clustered(9000, 25.5, 12, kind="mean", units=36),
            clustered(9000, 45.0, 12, kind="mean", units=24),
        ]
    )
    got = [stats._own_reason(df.iloc[[i]])[0] for i in range(len(df))]
    assert got == ["small_count", "small_complement", "", "small_count", "", "small_denominator"]


def test_trend_of_a_proportion_clustered_by_member_uses_its_variance():
    # 540 of 600 days (90%) then 570 of 600 (95%), each with variance 1/300 (TENURE): z = 0.05 /
    # sqrt(2/300) = 0.6124, p = 0.5403; as 1,200 independent days the pooled test gives 0.0010
    p = stats.change_p_value(
        ["proportion"] * 2,
        [540] * 2,
        [600] * 2,
        [570] * 2,
        [600] * 2,
        [1 / 300, np.nan],
        [1 / 300, np.nan],
    )
    assert p[0] == pytest.approx(0.540291, abs=1e-6)
    assert p[1] == pytest.approx(0.001009, abs=1e-6)
    sums = {"numerator_sq": 117_800, "denominator_sq": 140_000, "numerator_denominator": 128_000}
    q3 = clustered(
        540, 600, 30, period_id="2025Q3", min_denominator=1, persons_complement=12, **sums
    )
    q4 = clustered(
        570, 600, 30, period_id="2025Q4", min_denominator=1, persons_complement=12, **sums
    )
    assert stats.trend_label(pd.DataFrame([q3, q4]))["trend_label"].tolist() == ["", "no_change"]


def test_change_p_value_matches_hand_figures():
    # the same two changes as above, from 10 rather than 12 events: P(X >= 30 | Bin(40, 1/2))
    p = stats.change_p_value(["proportion", "rate"], [40, 10], [100, 1000], [60, 30], [100, 1000])
    assert p[0] == pytest.approx(0.004678, abs=1e-5)
    assert p[1] == pytest.approx(2 * 0.0011107, abs=1e-6)


def test_a_group_whose_parts_do_not_add_up_to_its_total_hides_no_complement():
    # ACO A has 5 of 50 (small) and B 12 of 25 (too few to rate, no protection for A): every
    # part is hidden, so when the ACOs add up to the program (17 of 75) the program is hidden
    # too (no shown part left). With 50 members in no ACO (60 of 125) the program less the
    # ACOs is A plus 43 of 50 members published nowhere: nothing to work out, and the
    # program's headline result stays shown.
    def program_reason(num: float, den: float) -> str:
        df = pd.DataFrame(
            [
                row("program", "ALL", "all", "all", num, den),
                row("aco", "A", "all", "all", 5, 50),
                row("aco", "B", "all", "all", 12, 25),
            ]
        )
        return reasons(df)[("ALL", "all")]

    assert program_reason(17, 75) == "complementary"
    assert program_reason(60, 125) == ""
    assert program_reason(17, 125) == "complementary"  # the numerators still add up
    assert program_reason(67, 125) == "complementary"  # so do the rests (50 of those 50)


def test_small_count_rule_takes_in_fractions_that_round_to_ten_or_fewer() -> None:
    # member months and risk weights are fractional: 0.4 is part of one person's month, 10.5
    # would be shown rounded as 10 or 11 (half to even: 10); 10.6 rounds to 11
    counts = pd.Series([0, 0.4, 1, 10, 10.3, 10.5, 10.6, 11, "x", None], dtype=object)
    small = stats.is_small_count(counts).tolist()
    assert small == [False, True, True, True, True, True, False, False, False, False]


# --- peer groups: a CP is compared with the CPs of its own type -------------------------------


def test_a_cp_is_compared_with_the_program_row_of_its_own_type():
    # The program is 50% (150/300), its BH CPs' members 80% (400/500). 65/100 (Wilson about
    # 55% to 74%) was better than the whole program but is worse than BH CPs; 80/100 is about
    # the same as BH CPs. Only 4 LTSS CPs have results: fewer than MIN_PEERS (5) to compare.
    rows = [
        row("program", "ALL", "all", "all", 150, 300),
        row("program", "ALL", "cp_type", "BH", 400, 500),
        row("program", "ALL", "cp_type", "LTSS", 100, 500),
        row("cp", "B0", "all", "all", 65, 100, peer_group="BH"),
    ]
    rows += [row("cp", f"B{i}", "all", "all", 80, 100, peer_group="BH") for i in range(1, 5)]
    rows += [row("cp", f"L{i}", "all", "all", 20, 100, peer_group="LTSS") for i in range(4)]
    labels = stats.peer_label(pd.DataFrame(rows))["peer_label"].tolist()
    assert labels == ["", "", "", "worse", *["no_different"] * 4, *["few_peers"] * 4]


def test_a_cp_of_unknown_type_is_compared_with_the_whole_program():
    rows = [
        row("program", "ALL", "all", "all", 150, 300),
        row("program", "ALL", "cp_type", "BH", 400, 500),
        row("cp", "U", "all", "all", 65, 100, peer_group=""),
    ]
    assert stats.peer_label(pd.DataFrame(rows))["peer_label"].tolist()[-1] == "better"


def test_benchmarks_of_each_cp_type_and_of_all_cps():
    # BH 20..60: p10 24, p25 30, p50 40, p75 50, p90 56; LTSS: 4 CPs, fewer than MIN_PEERS,
    # no band of their own; all 9 CPs (20, 30, 40, 50, 60, 62, 72, 82, 86): p25 40, p50 60,
    # p75 72
    bh = [
        row("cp", f"B{i}", "all", "all", v, 100, peer_group="BH")
        for i, v in enumerate([20, 30, 40, 50, 60])
    ]
    ltss = [
        row("cp", f"L{i}", "all", "all", v, 100, peer_group="LTSS")
        for i, v in enumerate([62, 72, 82, 86])
    ]
    out = stats.benchmarks(pd.DataFrame(bh + ltss)).set_index("peer_group")
    assert sorted(out.index) == ["", "BH"]
    assert out.loc["BH", ["n_entities", "p10", "p25", "p50", "p75", "p90"]].tolist() == [
        5,
        24.0,
        30.0,
        40.0,
        50.0,
        56.0,
    ]
    assert out.loc["", ["n_entities", "p25", "p50", "p75"]].tolist() == [9, 40.0, 60.0, 72.0]


def test_peer_groups_are_cp_types_on_cp_headline_rows_only():
    rows = [
        row("cp", "C1", "all", "all", 20, 100),
        row("cp", "C1", "sex", "female", 10, 50),
        row("cp", "C2", "all", "all", 20, 100),
        row("aco", "C1", "all", "all", 20, 100),
    ]
    groups = stats.peer_groups(pd.DataFrame(rows), {"C1": "LTSS"})
    assert groups.tolist() == ["LTSS", "", "", ""]
    assert stats.peer_groups(pd.DataFrame(rows), None).tolist() == ["", "", "", ""]
