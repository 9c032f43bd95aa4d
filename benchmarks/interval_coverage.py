"""Simulated coverage of the likely ranges of spending means and of rates clustered by member.

    python benchmarks/interval_coverage.py            # about 10 s, fixed seeds

Not a test: the figures behind stats.ratio_interval, stats.MIN_MEAN_MEMBERS and the rated
rates' `cluster: person` (docs_notes/ratings.md, "Mean intervals" and "Rates clustered by
member").

Spending: members of a quarter (1 to 3 months each) with a frailty that scales their use;
each month 70% see a doctor (lognormal $, sigma 1.3) and 2% x frailty have a hospital stay
(lognormal around $13,000); "inpatient" keeps the stays only. The truth is the ratio over
400,000 members; each line gives how often an interval of n members held it: the normal
interval from $0 (before), the log-scale t interval (now; of those that have one, since a
sample whose members all spent $0 has none) and the log-scale t interval on the level's
pooled spread (not used: see the docs note).

Rates: ED-like visits per member month, each member's own rate gamma-distributed (shape k:
smaller k, more frequent users), 3 months each, 15 practices of 100-1,500 members whose true
rates differ by about 15%. How often the exact Poisson interval (member months as independent)
and stats.clustered_rate_interval (members) held the practice's rate, and the share of
practices reaching reliability 0.7 against the truth.
"""

from __future__ import annotations

import numpy as np

from scorecard import ratings, stats

RNG = np.random.default_rng(20261124)


def quarter_spending(shape: tuple[int, ...], inpatient: bool) -> tuple[np.ndarray, np.ndarray]:
    """Return members' quarter spending and their months (arrays of `shape`)."""
    months = RNG.integers(1, 4, shape)
    frail = RNG.lognormal(0, 0.8, shape)
    enrolled = np.arange(3) < months[..., None]
    spent = np.zeros(shape)
    if not inpatient:
        visit = (RNG.random((*shape, 3)) < 0.7) & enrolled
        spent += (visit * RNG.lognormal(5, 1.3, (*shape, 3))).sum(-1) * frail
    stay = (RNG.random((*shape, 3)) < 0.02 * frail[..., None]) & enrolled
    spent += (stay * RNG.lognormal(9.5, 0.8, (*shape, 3))).sum(-1)
    return spent, months.astype(float)


def sums_of(y: np.ndarray, d: np.ndarray) -> stats.ClusterSums:
    """Return the ClusterSums of each row of members (y, d: samples x members)."""
    n = np.full(y.shape[0], float(y.shape[1]))
    return stats.ClusterSums(y.sum(1), d.sum(1), (y * y).sum(1), (d * d).sum(1), (y * d).sum(1), n)


def normal_from_zero(sums: stats.ClusterSums) -> tuple[np.ndarray, np.ndarray]:
    """Return the interval used before: R ± z·se, from 0."""
    r = sums.y / sums.d
    half = 1.959964 * np.sqrt(stats.ratio_variance(sums))
    return np.maximum(r - half, 0), r + half


def with_spread(sums: stats.ClusterSums, spread: float) -> stats.ClusterSums:
    """Return the sums with their spread about their own ratio replaced by (n - 1) x `spread`,
    so that ratio_variance is n x spread / d² (the pooled spread of ratings.sampling_variance)."""
    return sums._replace(yy=sums.yy - stats.cluster_spread(sums) + spread * (sums.n - 1))


def spending_line(inpatient: bool, n: int, samples: int = 4000) -> str:
    """Return the coverage of each spending interval for samples of n members."""
    y, d = quarter_spending((400_000,), inpatient)
    truth = y.sum() / d.sum()
    pooled = float(stats.cluster_spread(sums_of(y[None], d[None]))[0] / (y.size - 1))
    sums = sums_of(*quarter_spending((samples, n), inpatient))
    intervals = {
        "normal (before)": normal_from_zero(sums),
        "log t (now)": stats.ratio_interval(sums),
        "log t, pooled spread": stats.ratio_interval(with_spread(sums, pooled)),
    }
    words = []
    for name, (lower, upper) in intervals.items():
        held = (lower <= truth) & (truth <= upper)
        some = np.isfinite(lower)
        words.append(f"{name} {held.mean():.3f} ({held[some].mean():.3f} of {some.mean():.2f})")
    label = "inpatient" if inpatient else "total"
    return f"{label:9s} {n:4d} members: " + "; ".join(words)


def practice_rates(mu: float, k: float, practices: int = 15, spread: float = 0.15) -> dict:
    """Return one level of practices' true rates and their sums, by member month and by member."""
    members = RNG.integers(100, 1500, practices)
    rates = mu * np.exp(RNG.normal(0, spread, practices))
    y, d, yy_months, yy_members = (np.zeros(practices) for _ in range(4))
    for i, (m, rate) in enumerate(zip(members, rates, strict=True)):
        visits = RNG.poisson(RNG.gamma(k, rate / k, m)[:, None], (m, 3))
        y[i], d[i] = visits.sum(), 3 * m
        yy_months[i], yy_members[i] = (visits**2).sum(), (visits.sum(1) ** 2).sum()
    tau2 = mu**2 * (np.exp(spread**2) - 1) * np.exp(spread**2)
    return {
        "rates": rates,
        "months": stats.ClusterSums(y, d, yy_months, d, y, d),
        "members": stats.ClusterSums(y, d, yy_members, 3 * d, 3 * y, members.astype(float)),
        "truth": tau2 / (tau2 + (3 * rates + 9 * rates**2 / k) / (9 * members)),
    }


def rate_line(mu: float, k: float, levels: int = 300) -> str:
    """Return interval coverage and reliability for `levels` simulated levels of practices."""
    held = {"exact Poisson (before)": [], "clustered (now)": []}
    reliable = {"true": [], "member months": [], "members": []}
    for _ in range(levels):
        level = practice_rates(mu, k)
        months, members = level["months"], level["members"]
        for name, (lower, upper) in (
            ("exact Poisson (before)", stats.poisson_interval(months.y, months.d)),
            ("clustered (now)", stats.clustered_rate_interval(members)),
        ):
            held[name].append((lower <= level["rates"]) & (level["rates"] <= upper))
        values = months.y / months.d
        reliable["true"].append(level["truth"])
        reliable["member months"].append(ratings.reliability("rate", values, months))
        reliable["members"].append(ratings.reliability("rate", values, members, clustered=True))
    cover = "; ".join(f"{name} {np.mean(h):.3f}" for name, h in held.items())
    share = ", ".join(
        f"{name} {np.mean(np.concatenate(r) >= 0.7):.2f}" for name, r in reliable.items()
    )
    return f"ED-like {mu}/month, k={k}: held the rate: {cover}; reliability >= 0.7: {share}"


def main() -> None:
    for inpatient in (False, True):
        for n in (11, 20, 30, 50, 100, 200):
            print(spending_line(inpatient, n), flush=True)
    for mu, k in ((0.05, 1.0), (0.05, 0.3), (0.05, 0.1), (2.0, 2.0), (2.0, 0.5)):
        print(rate_line(mu, k), flush=True)


if __name__ == "__main__":
    main()
