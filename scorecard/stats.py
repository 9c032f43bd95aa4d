"""Statistics for public reporting: intervals, cell-size suppression, benchmarks and labels.

Pure functions over numpy arrays and the engine's results table (one row per measure x period
x level x entity x stratum value; see the module docstring of scorecard.engine). Nothing here
reads or writes files.

Suppression never overwrites the counts: `suppress` adds `suppressed` and
`suppression_reason`; what may be published is made from them by site.public_view (through
site.published_rows), which keeps only the public columns and blanks the counts, value,
interval and open_gaps of hidden rows and every count from 1 to 10 (is_small_count).
"""

from __future__ import annotations

import logging
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy import sparse
from scipy import stats as sps
from scipy.sparse import csgraph
from scipy.sparse.linalg import lsmr

from scorecard.compile import WINDOW_MONTHS
from scorecard.specs import DEFAULT_MIN_DENOMINATOR

log = logging.getLogger(__name__)

# A mean clustered by member (spending per member month) gets a likely range and a comparison
# with the program only over at least this many members: below it the log-scale t interval
# held the true value under 5 times in 6 in simulations of a quarter's spending (82% at 50
# members, 87% at 100; docs_notes/ratings.md). The value is still published.
MIN_MEAN_MEMBERS = 100
SMALL_CELL_MAX = 10  # a count of 1..10 may never be shown (CMS cell-size rule)
ALPHA = 0.05

# Reason codes, in the order they are checked; the first that applies is recorded.
REASON_TEXT: dict[str, str] = {
    "no_data": "No one was eligible for this measure here in this period, so there is no result.",
    "small_count": (
        "Hidden to protect privacy: the number is based on 10 or fewer people or events."
    ),
    "small_complement": (
        "Hidden to protect privacy: almost everyone had the same result, so showing it would "
        "reveal something about 10 or fewer people."
    ),
    "small_denominator": (
        "Not shown because too few people were eligible for the result to be reliable."
    ),
    "complementary": (
        "Hidden to protect privacy: showing it would let someone work out another hidden number."
    ),
    "withheld": ("Not shown: too few people are behind this result to show it safely or reliably."),
}
# The public edition gives every hidden result this one reason (stats.neutral_reasons): which
# of the others applies says something about the hidden counts (a small count, a small rest,
# a denominator under the minimum), and combined across measures and groups it narrowed
# hidden counts to a few values in the privacy reviews. Partners keep the detailed reasons.
NEUTRAL_REASON = "withheld"
# Suppressed for privacy: these must not be recoverable by subtraction.
PROTECTED_REASONS = frozenset({"small_count", "small_complement", "complementary"})


def _z(alpha: float) -> float:
    """Return the two-sided normal critical value for alpha."""
    return float(sps.norm.ppf(1 - alpha / 2))


def _wrap(arr: np.ndarray, like: Any) -> Any:
    """Return arr shaped like the input: a Series keeps its index, a scalar becomes a float."""
    if isinstance(like, pd.Series):
        return pd.Series(arr, index=like.index)
    arr = np.asarray(arr, dtype=float)
    return float(arr) if arr.ndim == 0 else arr


def wilson_interval(num: Any, den: Any, alpha: float = ALPHA) -> tuple[Any, Any]:
    """Return the Wilson score interval (lower, upper) for num/den as proportions; NaN if den<=0."""
    x = np.asarray(num, dtype=float)
    n = np.asarray(den, dtype=float)
    z2 = _z(alpha) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        centre = (p + z2 / (2 * n)) / (1 + z2 / n)
        half = np.sqrt(z2) * np.sqrt(p * (1 - p) / n + z2 / (4 * n**2)) / (1 + z2 / n)
    bad = ~(n > 0) | ~(x >= 0) | (x > n)
    lower = np.where(bad, np.nan, np.clip(centre - half, 0, 1))
    upper = np.where(bad, np.nan, np.clip(centre + half, 0, 1))
    return _wrap(lower, num), _wrap(upper, num)


def poisson_interval(count: Any, exposure: Any, alpha: float = ALPHA) -> tuple[Any, Any]:
    """Return the exact (chi-square) Poisson interval for count/exposure; NaN if exposure<=0."""
    x = np.asarray(count, dtype=float)
    e = np.asarray(exposure, dtype=float)
    bad = ~(e > 0) | ~(x >= 0)
    xs = np.where(bad, 0.0, x)
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = np.where(xs > 0, sps.chi2.ppf(alpha / 2, 2 * np.where(xs > 0, xs, 1)) / 2, 0.0)
        hi = sps.chi2.ppf(1 - alpha / 2, 2 * xs + 2) / 2
        lower = np.where(bad, np.nan, lo / e)
        upper = np.where(bad, np.nan, hi / e)
    return _wrap(lower, count), _wrap(upper, count)


def oe_interval(observed: Any, expected: Any, alpha: float = ALPHA) -> tuple[Any, Any]:
    """Return the interval for an observed/expected ratio: exact Poisson on observed / expected."""
    return poisson_interval(observed, expected, alpha)


class ClusterSums(NamedTuple):
    """A result's sums over its independent clusters (members, or rows: engine.SUM_COLUMNS):
    y = Σy_i, d = Σd_i, yy = Σy_i², dd = Σd_i², yd = Σy_i·d_i, and n, the number of clusters."""

    y: np.ndarray
    d: np.ndarray
    yy: np.ndarray
    dd: np.ndarray
    yd: np.ndarray
    n: np.ndarray


def cluster_spread(sums: ClusterSums) -> np.ndarray:
    """Return each row's Σ(y_i - R·d_i)² over its clusters, R = y / d its own ratio, from the
    sums: yy - 2R·yd + R²·dd. Never below 0, and 0 where it is within rounding of 0 (below
    1e-10 of yy: every cluster had the same ratio), which rounding could otherwise give."""
    y, d, yy, dd, yd = (np.asarray(a, dtype=float) for a in sums[:5])
    with np.errstate(divide="ignore", invalid="ignore"):
        r = y / d
        spread = yy - 2 * r * yd + r**2 * dd
    return np.where(spread <= 1e-10 * np.abs(yy), 0.0, spread)


def ratio_variance(sums: ClusterSums) -> np.ndarray:
    """Return the variance of the ratio R = y / d from the sums of n independent clusters.

    The ratio estimator's (linearised, cluster-robust) variance, as survey software gives it:
    n / (n - 1) × Σ(y_i - R·d_i)² / d², where Σ(y_i - R·d_i)² = yy - 2R·yd + R²·dd. A cluster
    is a member (their months' dollars y_i over their months d_i; their days in the community
    over their eligible days) or, for a measure whose rows are independent, a row; with every
    d_i = 1 it is the usual variance of a mean, s² / n. NaN with fewer than 2 clusters or d <= 0.
    """
    d, n = (np.asarray(a, dtype=float) for a in (sums.d, sums.n))
    with np.errstate(divide="ignore", invalid="ignore"):
        var = n / (n - 1) * cluster_spread(sums) / d**2
    return np.where((n >= 2) & (d > 0), var, np.nan)


def _t(alpha: float, dof: np.ndarray) -> np.ndarray:
    """Return the two-sided Student t critical value for alpha on `dof` degrees of freedom
    (NaN where dof < 1)."""
    dof = np.asarray(dof, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(dof >= 1, sps.t.ppf(1 - alpha / 2, np.maximum(dof, 1)), np.nan)


def ratio_interval(sums: ClusterSums, alpha: float = ALPHA) -> tuple[np.ndarray, np.ndarray]:
    """Return the interval for the ratio y / d on the log scale, with a t quantile on its
    clusters less one: R·exp(±t·se / R), se² the ratio_variance, t on n - 1 degrees of freedom.

    Spending is skewed (a few members with large hospital bills): the normal interval R ± z·se
    held the program's value about 3 times in 4 for 30 members in simulations, the log-scale t
    interval several points more often, and it never goes below 0 (docs_notes/ratings.md has
    the figures). A ratio at or below 0 (possible only with negative amounts) gets R ± t·se.
    NaN with fewer than 2 clusters and where the clusters do not vary (no_spread): a sample
    whose members all had the same result (every one $0) says nothing about its range.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.asarray(sums.y, dtype=float) / np.asarray(sums.d, dtype=float)
        var = ratio_variance(sums)
        half = _t(alpha, np.asarray(sums.n, dtype=float) - 1) * np.sqrt(var)
        factor = np.exp(half / r)
        lower = np.where(r > 0, r / factor, r - half)
        upper = np.where(r > 0, r * factor, r + half)
    bad = ~np.isfinite(half) | ~(var > 0)
    return np.where(bad, np.nan, lower), np.where(bad, np.nan, upper)


def mean_interval(total: Any, total_sq: Any, n: Any, alpha: float = ALPHA) -> tuple[Any, Any]:
    """Return the interval for a mean of n independent values from their sum and sum of
    squares: ratio_interval with every denominator 1."""
    sums = ClusterSums(*(np.asarray(a, dtype=float) for a in (total, n, total_sq, n, total, n)))
    lower, upper = ratio_interval(sums, alpha)
    return _wrap(lower, total), _wrap(upper, total)


def clustered_proportion_interval(
    sums: ClusterSums, alpha: float = ALPHA
) -> tuple[np.ndarray, np.ndarray]:
    """Return the Wilson interval of the proportion y / d on its effective sample size, for a
    proportion of days (or other units) clustered in members.

    The effective sample size is the number of independent trials that would give the same
    variance, p(1 - p) / ratio_variance (Kish); the Wilson interval on it stays inside 0-100%
    and is not symmetric near the ends, like the plain Wilson interval. It is never taken
    above d (the units as if independent). With no variation to go on (p is 0 or 1), the
    members are the trials.
    """
    d = np.asarray(sums.d, dtype=float)
    var = ratio_variance(sums)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.asarray(sums.y, dtype=float) / d
        effective = np.where(var > 0, p * (1 - p) / var, np.asarray(sums.n, dtype=float))
    effective = np.minimum(effective, d)
    return wilson_interval(p * effective, effective, alpha)


def clustered_rate_interval(
    sums: ClusterSums, alpha: float = ALPHA
) -> tuple[np.ndarray, np.ndarray]:
    """Return the exact Poisson interval of the rate y / d on its effective exposure, for a
    rate whose member months are clustered in members (quasi-Poisson).

    The effective exposure is the exposure whose Poisson variance, R / exposure, equals the
    ratio_variance over the members: R / ratio_variance. One member's repeated ED visits make
    the rate vary more than independent months would, so it is smaller than d and the interval
    wider (by the square root of the dispersion, as a quasi-Poisson interval). It is never
    taken above d (a rate less spread than Poisson keeps its exact Poisson interval), and with
    no events (R = 0, no variance) it is d itself.
    """
    d = np.asarray(sums.d, dtype=float)
    var = ratio_variance(sums)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.asarray(sums.y, dtype=float) / d
        exposure = np.where(var > 0, r / var, d)
    exposure = np.minimum(exposure, d)
    return poisson_interval(r * exposure, exposure, alpha)


def _col(df: pd.DataFrame, name: str, default: Any) -> pd.Series:
    """Return column `name` with gaps filled by `default` (all `default` if it is absent)."""
    if name in df.columns:
        return df[name].fillna(default)
    return pd.Series(default, index=df.index)


def _or(df: pd.DataFrame, name: str, fallback: np.ndarray) -> np.ndarray:
    """Return column `name` as floats, `fallback` where it is missing (or absent)."""
    values = _col(df, name, np.nan).to_numpy(float)
    return np.where(np.isnan(values), fallback, values)


def cluster_sums(df: pd.DataFrame) -> ClusterSums:
    """Return the rows' ClusterSums (engine.SUM_COLUMNS). The clusters are the members counted
    in `persons` for a measure clustered by member (spec.cluster), else the rows (`units`).

    Rows that are clusters of their own have no d² and y·d (NULL: engine.SUM_COLUMNS): for a
    mean their denominators are 1, so d² adds up to the denominator and y·d to the numerator.
    A mean whose denominator is not its count of rows breaks that, and gets no variance."""
    num = df["numerator"].to_numpy(float)
    den = df["denominator"].to_numpy(float)
    rows = _or(df, "units", den)
    ones = np.where(rows == den, 1.0, np.nan)
    return ClusterSums(
        num,
        den,
        _col(df, "numerator_sq", np.nan).to_numpy(float),
        _or(df, "denominator_sq", den * ones),
        _or(df, "numerator_denominator", num * ones),
        _or(df, "persons", rows),
    )


def by_person(df: pd.DataFrame) -> np.ndarray:
    """Return True for the rows of measures clustered by member (the engine counted persons)."""
    return np.isfinite(_col(df, "persons", np.nan).to_numpy(float))


def value_variance(df: pd.DataFrame) -> np.ndarray:
    """Return the variance of each row's numerator / denominator (before the multiplier) that
    the intervals and trend tests of means and of proportions and rates clustered by member
    use (ratio_variance); NaN for other rows."""
    kind = df["kind"].to_numpy()
    wanted = (kind == "mean") | (np.isin(kind, ["proportion", "rate"]) & by_person(df))
    return np.where(wanted, ratio_variance(cluster_sums(df)), np.nan)


def _masked(sums: ClusterSums, m: np.ndarray) -> ClusterSums:
    return ClusterSums(*(np.asarray(a)[m] for a in sums))


# Why a result that may be compared has no likely range (interval_gap), as its peer_label.
INTERVAL_GAPS = ("too_few", "no_spread")


def interval_gap(df: pd.DataFrame) -> np.ndarray:
    """Return why each row of a mean has no interval: 'too_few', a mean clustered by member
    over fewer than MIN_MEAN_MEMBERS members; 'no_spread', a mean whose clusters (2 or more)
    all had the same result, such as $0 for every member; '' otherwise (other kinds too)."""
    return _interval_gap(df["kind"].to_numpy(), cluster_sums(df), by_person(df))


def _interval_gap(kind: np.ndarray, sums: ClusterSums, clustered: np.ndarray) -> np.ndarray:
    """interval_gap from what add_intervals has already worked out."""
    mean = kind == "mean"
    too_few = mean & clustered & (sums.n < MIN_MEAN_MEMBERS)
    no_spread = mean & (sums.n >= 2) & (np.asarray(sums.d) > 0) & (cluster_spread(sums) == 0)
    return np.select([too_few, no_spread], list(INTERVAL_GAPS), default="").astype(object)


def add_intervals(results: pd.DataFrame, alpha: float = ALPHA) -> pd.DataFrame:
    """Return a copy with `lower`, `upper` on the value's scale (NaN for medians and empty rows).

    proportion: Wilson, on the effective sample size for a measure clustered by member
    (clustered_proportion_interval); rate: exact Poisson on numerator / exposure, on the
    effective exposure for a measure clustered by member (clustered_rate_interval); ratio:
    exact Poisson on observed / expected; mean: ratio_interval over its clusters (members for
    a measure clustered by member, else its rows), none where interval_gap says why; all
    times multiplier.
    """
    df = results.copy()
    kind = df["kind"].to_numpy()
    num = df["numerator"].to_numpy(float)
    den = df["denominator"].to_numpy(float)
    sums = cluster_sums(df)
    clustered = by_person(df)
    mult = _col(df, "multiplier", 1.0).to_numpy(float)
    lower = np.full(len(df), np.nan)
    upper = np.full(len(df), np.nan)
    for m, interval in (
        ((kind == "proportion") & ~clustered, lambda m: wilson_interval(num[m], den[m], alpha)),
        (
            (kind == "proportion") & clustered,
            lambda m: clustered_proportion_interval(_masked(sums, m), alpha),
        ),
        ((kind == "rate") & ~clustered, lambda m: poisson_interval(num[m], den[m], alpha)),
        (
            (kind == "rate") & clustered,
            lambda m: clustered_rate_interval(_masked(sums, m), alpha),
        ),
        (kind == "ratio", lambda m: oe_interval(num[m], den[m], alpha)),
        (
            (kind == "mean") & (_interval_gap(kind, sums, clustered) == ""),
            lambda m: ratio_interval(_masked(sums, m), alpha),
        ),
    ):
        if m.any():
            lo, hi = interval(m)
            lower[m], upper[m] = lo * mult[m], hi * mult[m]
    df["lower"], df["upper"] = lower, upper
    return df


# Suppression reasons as small codes while suppress works (comparing 1.2 million strings a
# pass was most of its time): the index in this tuple.
REASON_CODES = (
    "",
    "no_data",
    "small_count",
    "small_complement",
    "small_denominator",
    "complementary",
)
_COMPLEMENTARY = REASON_CODES.index("complementary")
_SMALL_COUNT = REASON_CODES.index("small_count")
_SMALL_COMPLEMENT = REASON_CODES.index("small_complement")
_PROTECTED_CODE = np.array([code in PROTECTED_REASONS for code in REASON_CODES])
_HIDDEN_CODE = np.array([code not in ("", "no_data") for code in REASON_CODES])


def neutral_reasons(results: pd.DataFrame) -> pd.DataFrame:
    """Return a copy whose hidden rows all give NEUTRAL_REASON, except no_data (nobody was
    eligible: a count of 0, which may be shown)."""
    out = results.copy()
    reason = out["suppression_reason"].fillna("").astype(str)
    out["suppression_reason"] = reason.mask(~reason.isin(["", "no_data"]), NEUTRAL_REASON)
    return out


def _reason_names(codes: np.ndarray) -> np.ndarray:
    """Return the reasons (strings) of REASON_CODES codes."""
    return np.array(REASON_CODES, dtype=object)[codes]


def _own_reason(df: pd.DataFrame) -> np.ndarray:
    """Return each row's own suppression reason ('' if it may be shown), before complements."""
    return _reason_names(_own_reason_codes(df))


def is_small_count(counts: Any) -> Any:
    """Return True where a count is 1 to SMALL_CELL_MAX (the cell-size rule), for an array, a
    Series (text and missing values are no count) or a number.

    A count may be fractional (a rate's member months, a sum of risk weights): any amount
    above 0 is somebody's, and up to SMALL_CELL_MAX + 0.5 rounds to 10 or fewer; this also
    keeps whole counts that arrive as floats inside the rule."""
    numbers = pd.to_numeric(counts, errors="coerce")
    return (numbers > 0) & (numbers <= SMALL_CELL_MAX + 0.5)


COUNTED_KINDS: dict[str, tuple[str, ...]] = {  # which of a cell's numbers count people/events
    "numerator": ("proportion", "rate", "ratio"),
    "denominator": ("proportion", "mean", "median", "rate"),
}


def counted(kind: np.ndarray, role: str) -> np.ndarray:
    """Return True where the `role` ('numerator' or 'denominator') of a cell of `kind` is a
    count that the cell-size rule protects (see COUNTED_KINDS)."""
    return np.isin(kind, COUNTED_KINDS[role])


def _small_counts(kind: np.ndarray, num: np.ndarray, den: np.ndarray) -> tuple[np.ndarray, ...]:
    """Return (the numerator is a count of 1 to 10, the denominator is) for cells of `kind`.

    The numerator counts people (proportion) or events (rate, ratio); the denominator counts
    people or units, or a rate's exposure (member months: 1 to 10 of them are one to ten
    people)."""
    return counted(kind, "numerator") & is_small_count(num), counted(
        kind, "denominator"
    ) & is_small_count(den)


def _small_cells(
    kind: np.ndarray, num: np.ndarray, den: np.ndarray, rest: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Return (a count is 1 to 10, a proportion's complement is 1 to 10) for cells of `kind`,
    from the counts of _privacy_counts."""
    num_small, den_small = _small_counts(kind, num, den)
    return num_small | den_small, (kind == "proportion") & is_small_count(rest)


def _privacy_counts(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the counts the cell-size rule tests: (numerator, denominator, complement).

    The numerator, the denominator and their difference, except for a measure clustered by
    member (spec.cluster), whose rows are members' months or days: 19 days in a facility may
    be one member's. There the rule counts members (engine.PERSON_COLUMNS): those with some
    numerator (a day in the community), all of them, and those short of their denominator (a
    day in a facility); a mean's numerator (dollars) is no count, and only its members are.
    A rate clustered by member keeps its events and member months, as any rate."""
    num = df["numerator"].to_numpy(float)
    den = df["denominator"].to_numpy(float)
    kind = df["kind"].to_numpy()
    clustered = by_person(df) & (kind != "rate")
    proportion = clustered & (kind == "proportion")

    def members(column: str, rows: np.ndarray, otherwise: np.ndarray) -> np.ndarray:
        return np.where(rows, _col(df, column, np.nan).to_numpy(float), otherwise)

    return (
        members("persons_numerator", proportion, num),
        members("persons", clustered, den),
        members("persons_complement", proportion, den - num),
    )


def reliability_count(df: pd.DataFrame) -> pd.Series:
    """Return the count that each row's min_denominator applies to: the denominator, but the
    units of a mean (member months, members, care-team months), which differ from its
    denominator when the denominator is weighted (risk-adjusted spending divides by the sum
    of relative risk)."""
    den = df["denominator"].astype(float)
    if "units" not in df.columns:
        return den
    return den.where(df["kind"] != "mean", df["units"].astype(float).fillna(den))


def _own_reason_codes(df: pd.DataFrame) -> np.ndarray:
    """Return _own_reason as codes (REASON_CODES)."""
    den = df["denominator"].to_numpy(float)
    min_den = _col(df, "min_denominator", DEFAULT_MIN_DENOMINATOR).to_numpy(float)
    count_small, complement_small = _small_cells(df["kind"].to_numpy(), *_privacy_counts(df))
    no_data = ~(den > 0)
    reasons = ["no_data", "small_count", "small_complement", "small_denominator"]
    return np.select(
        [no_data, count_small, complement_small, reliability_count(df).to_numpy() < min_den],
        [REASON_CODES.index(r) for r in reasons],
        default=0,
    ).astype(np.int8)


def _groupings(
    df: pd.DataFrame,
    parents: dict[str, str] | None = None,
    cp_types: dict[str, str] | None = None,
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Return the partition groups as (part row positions, group code per part, total per group).

    Stratum values partition their entity's stratum-'all' row (for every level), the
    entities of a level are treated as partitioning the program row of the same stratum value,
    the practices of an ACO (`parents`: practice id -> ACO id) its ACO's row, the CPs of a type
    (`cp_types`: CP id -> type) the program's row of that CP type, and the parts of
    a measure (column part_of, see MeasureSpec.parts) its row of the same period, entity and
    stratum value. A group whose total row is absent gets total -1.
    """
    pos = pd.Series(np.arange(len(df)), index=df.index)
    base = df[["measure_id", "period_id", "level", "entity_id", "stratum", "stratum_value"]].copy()
    base["_pos"] = pos.to_numpy()
    out = []

    def build(parts: pd.DataFrame, group_keys: list[str], totals: pd.DataFrame, on: list[str]):
        if parts.empty:
            return
        # numbered in order of first appearance, as pd.factorize of the key tuples would be
        codes = parts.groupby(group_keys, sort=False, dropna=False).ngroup().to_numpy()
        first = parts.groupby(codes, sort=True)[on].first()
        merged = first.merge(
            totals[[*on, "_pos"]].drop_duplicates(on), on=on, how="left", sort=False
        )
        total = merged["_pos"].fillna(-1).astype(int).to_numpy()
        out.append((parts["_pos"].to_numpy(), codes, total))

    is_all = base["stratum"] == "all"
    build(
        base[~is_all],
        ["measure_id", "period_id", "level", "entity_id", "stratum"],
        base[is_all],
        ["measure_id", "period_id", "level", "entity_id"],
    )
    program = base["level"] == "program"
    build(
        base[~program],
        ["measure_id", "period_id", "level", "stratum", "stratum_value"],
        base[program],
        ["measure_id", "period_id", "stratum", "stratum_value"],
    )

    def nested(rows: pd.Series, group_of: dict[str, str] | None, column: str, totals, on):
        """Group `rows` by what `group_of` maps their entity to, written into `column`."""
        group = base["entity_id"].map(group_of or {}).where(rows)
        placed = group.notna().to_numpy()
        build(base[placed].assign(**{column: group[placed]}), on, totals, on)

    same_row = ["measure_id", "period_id", "entity_id", "stratum", "stratum_value"]
    nested(
        base["level"] == "practice", parents, "entity_id", base[base["level"] == "aco"], same_row
    )
    cp_all = (base["level"] == "cp") & is_all
    by_type = base[program & (base["stratum"] == "cp_type")]
    nested(cp_all, cp_types, "stratum_value", by_type, ["measure_id", "period_id", "stratum_value"])
    if "part_of" in df.columns:
        whole = df["part_of"].fillna("").to_numpy(str)
        is_part = whole != ""
        same_cell = ["measure_id", "period_id", "level", "entity_id", "stratum", "stratum_value"]
        wholes = base[base["measure_id"].isin(set(whole[is_part]))]
        build(base[is_part].assign(measure_id=whole[is_part]), same_cell, wholes, same_cell)
    return out


# How much hiding a row costs the reader, as complements are ranked (_complement_cost): a
# breakdown cell costs least, an entity's own headline result (or a cell always equal to one)
# more, one with stars (STARRED_COST) more again, the program's headline most.
HEADLINE_RANK = {"breakdown": 0, "entity": 1, "program": 2}
# Hiding a result with stars costs more than hiding any other entity result: its entity's
# summary stars count it, so an edition hiding it can publish no summary they feed into.
STARRED_COST = 3


def _headline_twins(df: pd.DataFrame, groupings: list[tuple]) -> np.ndarray:
    """Return, for each row that always equals a headline (stratum 'all') result, how much that
    headline matters (HEADLINE_RANK: 2 the program's, 1 an entity's), 0 for other rows.

    A group with a single part makes its part and its total the same number (the age band of
    a teens-only measure is its whole; the teens' age band of a measure split by age is the
    teens' measure). Hiding one such cell hides its twins, so a complement chosen among them
    could hide a headline result: iet_initiation's 0-17 band, say, is the 13-17 measure.
    """
    n = len(df)
    firsts, seconds = [], []
    for parts, codes, total in groupings:
        size = np.bincount(codes, minlength=total.size)
        single = (size[codes] == 1) & (total[codes] >= 0)
        firsts.append(parts[single])
        seconds.append(total[codes[single]])
    none = np.empty(0, dtype=int)
    first, second = np.concatenate([none, *firsts]), np.concatenate([none, *seconds])
    edges = sparse.coo_matrix((np.ones(first.size), (first, second)), shape=(n, n))
    _, label = csgraph.connected_components(edges, directed=False)
    rank = np.zeros(label.max() + 1 if n else 0, dtype=np.int8)
    is_all = df["stratum"].to_numpy() == "all"
    program = df["level"].to_numpy() == "program"
    own_rank = np.where(program, HEADLINE_RANK["program"], HEADLINE_RANK["entity"])
    np.maximum.at(rank, label[is_all], own_rank[is_all].astype(np.int8))
    return rank[label]


def _starred(df: pd.DataFrame) -> np.ndarray:
    """Return True for the rows with stars (none before the results are rated)."""
    if "stars" not in df.columns:
        return np.zeros(len(df), dtype=bool)
    return df["stars"].notna().to_numpy(bool)


class _Cells(NamedTuple):
    """What suppress knows of every row: its counts (_privacy_counts), its kind and its
    headline twins."""

    num: np.ndarray
    den: np.ndarray
    rest: np.ndarray
    kind: np.ndarray
    headline: np.ndarray  # HEADLINE_RANK of each row: see _headline_twins
    starred: np.ndarray  # True where a row has stars (rated already: an edition's suppression)


SHARED_COUNT_COLUMNS = ("shared_numerator", "shared_denominator")  # spec shared_counts


def _shared_counts(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the cells that publish a count another measure publishes in the same cell (spec
    shared_counts: a count of the same name, period, level, entity and stratum value) as
    (row position, which count: 0 numerator or 1 denominator, code of the count shared)."""
    frames = []
    for role, column in enumerate(SHARED_COUNT_COLUMNS):
        if column in df.columns:
            name = df[column].fillna("").to_numpy(str)
            named = np.flatnonzero(name != "")
            frames.append(pd.DataFrame({"pos": named, "role": role, "name": name[named]}))
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if rows.empty:
        return np.empty(0, int), np.empty(0, int), np.empty(0, int)
    cell = ["period_id", "level", "entity_id", "stratum", "stratum_value"]
    rows[cell] = df[cell].to_numpy()[rows["pos"].to_numpy()]
    code = rows.groupby(["name", *cell], sort=False).ngroup().to_numpy()
    shared = np.bincount(code)[code] >= 2
    _, code = np.unique(code[shared], return_inverse=True)
    return rows["pos"].to_numpy()[shared], rows["role"].to_numpy()[shared], code


def _own_guards(reason: np.ndarray, cells: _Cells) -> np.ndarray:
    """Return which counts (column 0: numerator, 1: denominator) each row's own reason hides
    for privacy: a small count the small one(s), a small complement or a row left out of the
    edition both."""
    num_small, den_small = _small_counts(cells.kind, cells.num, cells.den)
    small = reason == _SMALL_COUNT
    both = np.isin(reason, [_SMALL_COMPLEMENT, _COMPLEMENTARY])
    return np.column_stack([both | (small & num_small), both | (small & den_small)])


def _hide_shared(reason: np.ndarray, guards: np.ndarray, shared: tuple) -> bool:
    """Hide (as complementary) every shown cell that publishes a count another measure's cell
    hides for privacy (`shared`: see _shared_counts; `guards`: which counts each hidden cell
    protects, see _own_guards). `reason` and `guards` are changed in place."""
    pos, role, code = shared
    if not pos.size:
        return False
    hidden_count = np.bincount(code, weights=guards[pos, role]) > 0
    hide = hidden_count[code] & (reason[pos] == 0)
    reason[pos[hide]] = _COMPLEMENTARY
    guards[pos[hide], role[hide]] = True
    return bool(hide.any())


def _overlap(low: np.ndarray, high: np.ndarray, start: Any, end: Any) -> np.ndarray:
    """Return how many whole numbers lie in both [low, high] and [start, end]."""
    return np.clip(np.minimum(high, end) - np.maximum(low, start) + 1, 0, None)


def _pinned_by_one_other(
    sum_: np.ndarray, k: np.ndarray, top: np.ndarray, flipped: np.ndarray
) -> np.ndarray:
    """Return True where k small cells (1 to 10 each) and one other hidden cell of a proportion
    add up to `sum_` and the other cell can take 3 values or fewer.

    The other cell's denominator `top` may be shown by a measure sharing it, so it bounds the
    cell above too: hidden for another reason, it is 0, 11 to top - 11, or top (neither it nor
    its rest is 1 to 10); small the other way round (`flipped`: a small rest next to small
    counts), it is top - 10 to top - 1. It must be sum_ - 10k to sum_ - k: 10 of 60 and 29 of
    40 adding up to 39 leave 29 to 38 for the second, and only 29 fits."""
    low, high = sum_ - SMALL_CELL_MAX * k, sum_ - k
    big = SMALL_CELL_MAX + 1
    fits = np.where(
        flipped,
        _overlap(low, high, top - SMALL_CELL_MAX, top - 1),
        _overlap(low, high, 0, 0)
        + _overlap(low, high, big, top - big)
        + _overlap(low, high, top, top),
    )
    return fits <= 3


def _sums_to_protect(
    reason: np.ndarray, cells: _Cells, grouping: tuple, looked_at: np.ndarray
) -> np.ndarray:
    """Return, per group of `grouping` whose total is shown, which counts (columns: numerator,
    denominator) of its hidden parts add up to something that would give a count away: 1 to
    10 (a numerator, a denominator or a proportion's rest), or a sum their published reasons
    narrow to a few values. Only the groups `looked_at` are worked out (False elsewhere)."""
    parts, codes, total = grouping
    needs = np.zeros((total.size, 2), dtype=bool)
    mine = looked_at[codes]
    parts, codes = parts[mine], (np.cumsum(looked_at) - 1)[codes[mine]]
    needs[looked_at] = _hidden_sums_to_protect(reason, cells, parts, codes, looked_at.sum())
    return needs


def _hidden_sums_to_protect(
    reason: np.ndarray, cells: _Cells, parts: np.ndarray, codes: np.ndarray, n_groups: int
) -> np.ndarray:
    """Return _sums_to_protect of the groups `codes` (0 to n_groups - 1) of `parts`."""
    hidden = _HIDDEN_CODE[reason]
    in_sum = hidden[parts]
    sums = [
        np.bincount(codes, weights=np.where(in_sum, np.nan_to_num(x[parts]), 0), minlength=n_groups)
        for x in (cells.num, cells.den, cells.rest)
    ]
    kind = np.empty(n_groups, dtype=object)
    kind[codes] = cells.kind[parts]
    num_small, den_small = _small_counts(kind, sums[0], sums[1])
    rest = sums[2]
    rest_small = (kind == "proportion") & is_small_count(rest)

    # a published reason bounds its cell: 'small count' is 1 to 10, 'small complement' leaves
    # 1 to 10, and any other hidden cell is 0 or 11 and more. k such small cells in a known
    # sum are narrowed to 3 values or fewer when the sum is near the ends of what they can
    # add up to: two small counts adding up to 20 are 10 each; a small count and one other
    # cell adding up to 12 are 1 and 11
    # (or, with one other hidden cell, when its denominator leaves it few values: see
    # _pinned_by_one_other)
    n_in_sum = np.bincount(codes, weights=in_sum, minlength=n_groups)
    den = np.nan_to_num(cells.den[parts])

    def narrowed(sum_: np.ndarray, code: int, mirror: int) -> np.ndarray:
        is_code = in_sum & (reason[parts] == code)
        k = np.bincount(codes, weights=is_code, minlength=n_groups)
        alone = n_in_sum == k  # no other hidden cell takes up part of the sum
        near_low = sum_ <= k + np.where(alone, 2, SMALL_CELL_MAX + 3)
        near_high = alone & (sum_ >= SMALL_CELL_MAX * k - 2)
        other = in_sum & ~is_code
        top = np.bincount(codes, weights=np.where(other, den, 0), minlength=n_groups)
        flipped = np.bincount(codes, weights=other & (reason[parts] == mirror), minlength=n_groups)
        pinned = (n_in_sum == k + 1) & _pinned_by_one_other(sum_, k, top, flipped > 0)
        return (k > 0) & (sum_ >= 1) & (near_low | near_high | ((kind == "proportion") & pinned))

    proportion_rest = (kind == "proportion") & narrowed(rest, _SMALL_COMPLEMENT, _SMALL_COUNT)
    rest_given = rest_small | proportion_rest
    num_given = num_small | narrowed(sums[0], _SMALL_COUNT, _SMALL_COMPLEMENT)
    return np.column_stack([num_given | rest_given, den_small | rest_given])


def _where_holding(grouping: tuple, counts: list[np.ndarray]) -> tuple:
    """Return `grouping` with the total of each group whose parts add up to it in none of
    `counts` (numerator, denominator, rest: true and as the cell-size rule counts them) set
    absent (-1), so that the rules leave the group alone.

    A group that does not add up gives an attacker a wrong sum, not a hidden one (the ACOs
    need not add up to the program: some members are attributed to none; nor the CPs: most
    members are in none), as _holding says of the relations solved together. Counting it
    made its rules hide the program's headline result whenever every part of a level was
    hidden (no shown part left: hide the total)."""
    parts, codes, total = grouping
    has_total = total >= 0
    holds = np.zeros(total.size, dtype=bool)
    for count in counts:
        value = np.nan_to_num(count)
        part_sum = np.bincount(codes, weights=value[parts], minlength=total.size)
        scale = np.bincount(codes, weights=np.abs(value[parts]), minlength=total.size)
        at_total = value[np.maximum(total, 0)]
        holds |= _adds_up(at_total - part_sum, scale + np.abs(at_total))
    return parts, codes, np.where(has_total & holds, total, -1)


def _last_shown_parts(reason: np.ndarray, cells: _Cells, groupings: list[tuple]) -> np.ndarray:
    """Return True for each row that is the only shown part of a group whose total is a shown
    headline result: hiding it would leave that total the sum of hidden parts only, which
    small parts often make the total's own complement."""
    last = np.zeros(reason.size, dtype=bool)
    shown = reason == 0
    for parts, codes, total in groupings:
        n_shown = np.bincount(codes, weights=shown[parts], minlength=total.size)
        at_total = np.maximum(total, 0)
        headline_total = (total >= 0) & shown[at_total] & (cells.headline[at_total] > 0)
        alone = shown[parts] & (n_shown[codes] == 1) & headline_total[codes]
        last[parts[alone]] = True
    return last


def _complement_cost(reason: np.ndarray, cells: _Cells, groupings: list[tuple]) -> np.ndarray:
    """Return what hiding each row costs the reader, lowest first (COMPLEMENT_ORDER ranks
    complements by it, then by the smallest denominator and numerator): 0 a breakdown cell;
    1 one whose hiding would strip a shown headline total of its last shown part
    (_last_shown_parts), which small parts often leave that headline's own complement; 2 an
    entity's headline result; 3 one with stars (STARRED_COST); 4 the program's
    (HEADLINE_RANK, with the cells always equal to them)."""
    rank = cells.headline.astype(np.int64)
    cost = np.where(rank > 0, 2 * rank, _last_shown_parts(reason, cells, groupings))
    return np.where(cells.starred, np.maximum(cost, STARRED_COST), cost)


COMPLEMENT_ORDER = ["cost", "den", "num"]  # how complements are ranked, cheapest first


def _ranking(rows: np.ndarray, cost: np.ndarray, cells: _Cells) -> dict[str, np.ndarray]:
    """Return the COMPLEMENT_ORDER columns of `rows`."""
    return {"cost": cost[rows], "den": cells.den[rows], "num": cells.num[rows]}


def _group_needs(
    reason: np.ndarray, guards: np.ndarray, cells: _Cells, grouping: tuple
) -> np.ndarray:
    """Return, per group of `grouping`, which counts (columns: numerator, denominator) a
    complement must protect: those of a lone protected cell, or two or more hidden parts of a
    shown total whose sum would give a count away (_sums_to_protect)."""
    parts, codes, total = grouping
    hidden = _HIDDEN_CODE[reason]  # an empty cell (no_data) is known to be zero
    protected = _PROTECTED_CODE[reason]
    n_groups = total.size
    has_total = total >= 0
    at_total = np.maximum(total, 0)
    total_hidden = np.where(has_total, hidden[at_total], True)
    total_protected = has_total & protected[at_total]
    n_hidden = np.bincount(codes, weights=hidden[parts], minlength=n_groups) + total_hidden
    n_protected = np.bincount(codes, weights=protected[parts], minlength=n_groups)
    # one protected cell under a total that exists: other hidden cells do not protect it when
    # hidden for their reliability (too few to rate: their reason says their count is 0 or
    # above 10) or empty
    lone = (n_protected + total_protected == 1) & has_total
    need = np.column_stack(
        [
            lone
            & (
                (np.bincount(codes, weights=guards[parts, role], minlength=n_groups) > 0)
                | (total_protected & guards[at_total, role])
            )
            for role in (0, 1)
        ]
    )
    several = ~total_hidden & (n_hidden >= 2)  # the hidden parts' sum is the total less the rest
    if several.any():
        need |= _sums_to_protect(reason, cells, grouping, several)
    return need


def _complement_once(
    reason: np.ndarray, guards: np.ndarray, cells: _Cells, grouping: tuple, cost: np.ndarray
) -> bool:
    """Suppress one complement in every group where hidden counts could be worked out
    (_group_needs; `reason`: REASON_CODES codes, and `guards`: which counts each row protects,
    both changed in place). The complement is the shown part that ranks first by
    COMPLEMENT_ORDER (`cost`: _complement_cost; then the smallest denominator), or the group's
    total when it is shown and costs less than every shown part (the program's row of a CP
    type, not one of the CPs' own results), or when no part is shown; it protects the counts
    its group needed protected."""
    parts, codes, total = grouping
    need = _group_needs(reason, guards, cells, grouping)
    group_needs = need.any(axis=1)
    if not group_needs.any():
        return False
    has_total = total >= 0
    at_total = np.maximum(total, 0)
    shown = (reason[parts] == 0) & group_needs[codes]
    at = parts[shown]
    candidates = pd.DataFrame(
        {"code": codes[shown], **_ranking(at, cost, cells)}, index=at
    ).sort_values(["code", *COMPLEMENT_ORDER], kind="stable")
    pick = candidates[~candidates["code"].duplicated()]
    code = pick["code"].to_numpy()
    total_shown = has_total[code] & (reason[at_total[code]] == 0)
    pick = pick[~(total_shown & (cost[at_total[code]] < pick["cost"].to_numpy()))]
    picked, picked_groups = pick.index.to_numpy(), pick["code"].to_numpy()
    reason[picked] = _COMPLEMENTARY
    guards[picked] |= need[picked_groups]
    # no shown part left (the lone hidden part equals the total) or the total costs less: hide
    # the total (if the unknown is the total itself and every part is an empty cell, there is
    # nothing to hide)
    no_part = np.setdiff1d(np.flatnonzero(group_needs), picked_groups)
    no_part = no_part[has_total[no_part] & (reason[at_total[no_part]] == 0)]
    reason[total[no_part]] = _COMPLEMENTARY
    guards[total[no_part]] |= need[no_part]
    return len(picked) + len(no_part) > 0


# ---------------------------------------------------------------- several groups at once
#
# The rules above look at one group at a time. Groups share cells, so their relations solved
# together can give a hidden cell away that no single group does: in a 2-D table with both
# margins shown, a hidden cell is worked out exactly when it is a bridge (on no cycle) of the
# graph whose nodes are rows and columns and whose edges are the hidden cells. The tables here
# have more than two dimensions (practices within ACOs x strata x levels), so the test is
# linear algebra: a hidden cell is determined by the relations exactly when every change of
# the hidden cells that keeps every relation true leaves it unchanged, i.e. when it is 0 in
# every vector of the null space of the relations restricted to the hidden cells. Linked
# components (hidden cells tied by relations) are solved apart (solve_linked): most hold a few
# cells, and each of those is a small dense matrix whose SVD decides it exactly. A larger one
# (a measure-period's hidden cells form one of up to ~10,000 cells in the public demo, too many
# for a dense SVD) projects a random vector onto that null space, which is 0 there with
# probability 1 only where the cell is determined (so one projection decides every cell): a
# sparse least squares solve (LSMR).

DETERMINED_TOLERANCE = 1e-7  # |free change| below: determined (1M benchmark: <1e-8 vs >4e-5)
# Components of up to EXACT_MAX unknowns are solved exactly (a dense SVD each, many at once:
# most components are this small), the others by LSMR, components of a size class (up to
# LSMR_CLASS**k unknowns) together: LSMR takes as many steps as its hardest component needs
# (about 300 for the public demo's largest, of ~10,000), so small ones solved with large ones
# cost as much as large ones.
EXACT_MAX = 16
LSMR_CLASS = 8
ROUNDS_WITHOUT_PROGRESS = 3  # rounds whose complements free nothing before giving up
UNSOLVED_WARNING = (
    "suppression: %d hidden cell(s) that all the sums solved together still give away in the "
    "rules' model (complements tried did not free them); the privacy check decides"
)
_SEED = 20260101  # the random direction is fixed: the same results suppress the same cells


def _relation_matrix(n_rows: int, groupings: list[tuple]) -> sparse.csr_matrix:
    """Return the relations of `groupings` as a matrix over result rows: one row per group with
    a total, +1 at the total and -1 at each part (total - parts = 0)."""
    rows, cols, coef, offset = [], [], [], 0
    for parts, codes, total in groupings:
        has_total = total >= 0
        in_sum = has_total[codes]
        rows += [offset + codes[in_sum], offset + np.flatnonzero(has_total)]
        cols += [parts[in_sum], total[has_total]]
        coef += [-np.ones(in_sum.sum()), np.ones(has_total.sum())]
        offset += total.size
    if not rows:
        return sparse.csr_matrix((0, n_rows))
    data = (np.concatenate(coef), (np.concatenate(rows), np.concatenate(cols)))
    return sparse.csr_matrix(data, shape=(offset, n_rows))


def _holding(relations: sparse.csr_matrix, counts: list[np.ndarray]) -> sparse.csr_matrix:
    """Return the relations that hold exactly for each of the true `counts` (numerator,
    denominator): one that does not (the ACOs need not add up to the program) gives an
    attacker a wrong number, not a hidden one."""
    holds = np.ones(relations.shape[0], dtype=bool)
    for count in counts:
        value = np.nan_to_num(count)
        holds &= _adds_up(relations @ value, abs(relations) @ np.abs(value))
    return relations[holds]


def _adds_up(residual: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Return True where a sum holds in the true counts: its residual (total - parts) is 0 up
    to rounding relative to `scale`, the sum of the absolute values involved."""
    return np.abs(residual) <= 1e-6 * np.maximum(1.0, scale)


def linked_components(terms: sparse.spmatrix) -> np.ndarray:
    """Return a label per column of `terms` (relations x unknowns): columns linked through
    rows share a label."""
    graph = sparse.bmat([[None, terms], [terms.T, None]], format="csr")
    return csgraph.connected_components(graph, directed=False)[1][terms.shape[0] :]


class _Block(NamedTuple):
    """Whole linked components of one size class: their relations and unknowns (positions)."""

    rows: np.ndarray
    columns: np.ndarray
    exact: bool  # up to exact_max unknowns each: solved by _exact_solve, else by LSMR


def _size_blocks(relations: sparse.csr_matrix, label: np.ndarray, exact_max: int) -> list:
    """Return the _Blocks of `relations` (every row holding an unknown; `label`: the linked
    component of each column): components of up to exact_max unknowns by their power of 2,
    larger ones by their power of LSMR_CLASS."""
    _, component, size = np.unique(label, return_inverse=True, return_counts=True)
    n = size[component].astype(float)
    exact = n <= exact_max
    size_class = np.where(exact, -1 - np.ceil(np.log2(n)), np.ceil(np.log(n) / np.log(LSMR_CLASS)))
    row_class = size_class[relations.indices[relations.indptr[:-1]]]
    return [
        _Block(np.flatnonzero(row_class == k), np.flatnonzero(size_class == k), bool(k < 0))
        for k in np.unique(size_class)
    ]


def _within(group: np.ndarray) -> np.ndarray:
    """Return each element's place among the elements of its group (0, 1, ... in order)."""
    order = np.argsort(group, kind="stable")
    in_order = group[order]
    place = np.empty(group.size, dtype=np.int64)
    place[order] = np.arange(group.size) - np.searchsorted(in_order, in_order)
    return place


def _exact_solve(
    terms: sparse.csr_matrix, label: np.ndarray, rhs: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Return, for each unknown (column of `terms`, `label` its component), the part of its
    unit vector outside the row space of its component's relations (0 when they give it, up to
    rounding; a free one's, in these small matrices of +1 and -1, is of the order of 1 / the
    component's size, far above DETERMINED_TOLERANCE), and the least-squares
    solution of terms @ x = rhs (None without rhs). Each component is a small dense matrix,
    all of them one stack for numpy's SVD; the rank is numpy's (matrix_rank's cutoff)."""
    component = np.unique(label, return_inverse=True)[1]
    row_component = component[terms.indices[terms.indptr[:-1]]]
    place, row_place = _within(component), _within(row_component)
    n_rows = int(row_place.max()) + 1 if row_place.size else 1
    dense = np.zeros((int(component.max()) + 1, n_rows, int(place.max()) + 1))
    at = terms.tocoo()
    dense[row_component[at.row], row_place[at.row], place[at.col]] = at.data
    left, singular, right = np.linalg.svd(dense, full_matrices=False)
    cutoff = singular[:, :1] * max(dense.shape[1:]) * np.finfo(float).eps
    kept = singular > np.maximum(cutoff, np.finfo(float).tiny)
    outside = 1 - np.einsum("bku,bk->bu", right**2, kept)[component, place]
    if rhs is None:
        return outside, None
    stacked = np.zeros(dense.shape[:2])
    stacked[row_component, row_place] = rhs
    inverse = np.where(kept, 1 / np.where(kept, singular, 1), 0)
    weights = np.einsum("brk,br->bk", left, stacked) * inverse
    return outside, np.einsum("bku,bk->bu", right, weights)[component, place]


def _lsmr_free(terms: sparse.spmatrix, change: np.ndarray) -> np.ndarray:
    """Return `change` (of the unknowns, the columns of `terms`) less its projection onto the
    row space: a change that keeps every relation true (LSMR, refined until the relations
    hold to 1e-9)."""
    transposed = terms.T.tocsr()
    for _ in range(3):
        change = change - transposed @ lsmr(transposed, change, atol=1e-14, btol=1e-14)[0]
        if np.abs(terms @ change).max(initial=0) < 1e-9:
            break
    return change


def _lsmr_solution(
    terms: sparse.csr_matrix, label: np.ndarray, rhs: np.ndarray, wanted: np.ndarray
) -> np.ndarray:
    """Return the least-squares solution of terms @ x = rhs on the components (`label`) of
    the `wanted` unknowns (LSMR), NaN on the others."""
    solution = np.full(terms.shape[1], np.nan)
    mine = np.isin(label, label[wanted])
    if mine.any():
        sub = terms[:, mine]
        rows = np.diff(sub.indptr) > 0
        solution[mine] = lsmr(sub[rows], rhs[rows], atol=1e-14, btol=1e-14)[0]
    return solution


def solve_linked(
    relations: sparse.spmatrix,
    label: np.ndarray,
    rhs: np.ndarray | None = None,
    exact_max: int = EXACT_MAX,
) -> tuple[np.ndarray, np.ndarray]:
    """Return, for each unknown (column of `relations`; `label`: linked_components), whether
    the relations give it (every change of the unknowns that keeps them all true leaves it
    unchanged), and, with `rhs`, its value where given (in the least-squares solution of
    relations @ x = rhs; NaN elsewhere and without rhs).

    Components of up to `exact_max` unknowns are solved exactly (_exact_solve: given when
    the part of its unit vector outside the row space is below DETERMINED_TOLERANCE). Larger
    ones, by size class (_size_blocks), project one fixed random vector onto the null space
    (_lsmr_free): given when its entry is below DETERMINED_TOLERANCE, which a free unknown
    is with probability about 1e-7; only components with an unknown given are solved for
    their values."""
    relations = relations.tocsr()
    used = np.diff(relations.indptr) > 0
    relations = relations[used]
    rhs = None if rhs is None else np.asarray(rhs, dtype=float)[used]
    change = np.random.default_rng(_SEED).standard_normal(relations.shape[1])
    given = np.zeros(relations.shape[1], dtype=bool)
    value = np.full(relations.shape[1], np.nan)
    for block in _size_blocks(relations, label, exact_max):
        terms = relations[block.rows][:, block.columns]
        mine = label[block.columns]
        part = None if rhs is None else rhs[block.rows]
        if block.exact:
            outside, solution = _exact_solve(terms, mine, part)
            given[block.columns] = np.abs(outside) < DETERMINED_TOLERANCE
        else:
            free = _lsmr_free(terms, change[block.columns])
            given[block.columns] = np.abs(free) < DETERMINED_TOLERANCE
            wanted = given[block.columns]
            solution = None if part is None else _lsmr_solution(terms, mine, part, wanted)
        if solution is not None:
            value[block.columns] = np.where(given[block.columns], solution, np.nan)
    return given, value


def _determined(
    relations: sparse.spmatrix,
    unknown: np.ndarray,
    label: np.ndarray | None = None,
    exact_max: int = EXACT_MAX,
) -> np.ndarray:
    """Return True for each `unknown` column (positions) that the relations and the other,
    known, columns give exactly (solve_linked; `label`: the unknowns' linked components, if
    known)."""
    linked = relations[:, unknown]
    label = linked_components(linked) if label is None else label
    return solve_linked(linked, label, exact_max=exact_max)[0]


def _solvable(
    relations: sparse.spmatrix,
    unknown: np.ndarray,
    label: np.ndarray,
    protected: np.ndarray,
    suspects: np.ndarray,
) -> np.ndarray:
    """Return the protected hidden rows the relations give away, looking only in the linked
    components of the `suspects` (rows hidden more cannot become determined: a change that was
    free stays free). `unknown` are the hidden rows, `label` their linked components."""
    looked_at = np.isin(label, label[suspects[unknown]])
    determined = np.zeros(unknown.size, dtype=bool)
    determined[looked_at] = _determined(relations, unknown[looked_at], label[looked_at])
    return unknown[determined & protected[unknown]]


def _certificates(linked: sparse.spmatrix, targets: np.ndarray) -> np.ndarray:
    """Return weights of the relations (rows of `linked`, over the unknowns) whose weighted
    sums give the unknowns `targets` alone: how the relations give them away. The targets lie
    in different linked components, so one least-squares solve finds every certificate."""
    wanted = np.zeros(linked.shape[1])
    wanted[targets] = 1.0
    return lsmr(linked.T.tocsr(), wanted, atol=1e-14, btol=1e-14)[0]


def _complements_for(
    targets: np.ndarray,
    reason: np.ndarray,
    cells: _Cells,
    cost: np.ndarray,
    relations: sparse.spmatrix,
    unknown: np.ndarray,
    label: np.ndarray,
) -> pd.DataFrame:
    """Return, for the first of the hidden determined rows `targets` in each linked component,
    the shown row to hide so that it is no longer determined, as columns target and
    complement.

    Hiding a row frees its target when the row enters the relations that give the target away
    with a net weight (_certificates) and each of its relations holds another hidden row (a
    row alone among shown ones in a relation would just be worked out itself, the target with
    it); in 2-D, when it closes a cycle through the bridge (E0/v2 or E1/v3 for the bridge
    E1/v2 of two hidden blocks). Among those, the one with the largest net weight, then as
    the rules pick (COMPLEMENT_ORDER: the lowest `cost`, the smallest denominator, so a
    breakdown cell before any headline result); failing that, the first
    shown row of the relations giving it away (the next round tries again). A target whose
    relations show nothing is left out. `unknown` are the hidden rows, `label` their linked
    components (as _solvable had them)."""
    hidden = _HIDDEN_CODE[reason]
    target_label = label[np.searchsorted(unknown, targets)]
    first = np.unique(target_label, return_index=True)[1]  # one per linked component
    targets, target_label = targets[first], target_label[first]
    mine = np.isin(label, target_label)
    members, member_label = unknown[mine], label[mine]
    terms = relations[:, members].tocsr()
    used = np.flatnonzero(terms.getnnz(axis=1))
    linked = terms[used]
    certificate = _certificates(linked, np.searchsorted(members, targets))
    giving = np.abs(certificate) > DETERMINED_TOLERANCE
    weight = relations[used[giving]].T @ certificate[giving]
    component = member_label[linked.indices[linked.indptr[:-1]]][giving]  # a relation's
    around = relations[used[giving]].tocoo()
    shown = reason[around.col] == 0  # not hidden, and not empty (a known 0)
    candidate = around.col[shown]
    magnitude = abs(relations)
    unknowns = magnitude @ hidden.astype(float)  # hidden rows in each relation
    closes = magnitude.T @ (unknowns == 0).astype(float) == 0
    frees = closes[candidate] & (np.abs(weight[candidate]) > DETERMINED_TOLERANCE)
    pick = pd.DataFrame(
        {
            "component": component[around.row[shown]],
            "keeps": ~frees,
            "weight": -np.round(np.abs(weight[candidate]), 3),  # the relations that count most
            **_ranking(candidate, cost, cells),
            "complement": candidate,
        }
    ).sort_values(["component", "keeps", "weight", *COMPLEMENT_ORDER, "complement"])
    pick = pick.drop_duplicates("component")[["component", "complement"]]
    chosen = pd.DataFrame({"target": targets, "component": target_label})
    return chosen.merge(pick, on="component")


def _hide_until_unsolvable(
    reason: np.ndarray,
    guards: np.ndarray,
    cells: _Cells,
    relations: sparse.spmatrix,
    complete: Any,
    cost: Any,
) -> None:
    """Hide more rows until no row hidden for privacy is determined by all the relations
    solved together (`reason`, `guards` changed in place; `complete` reruns the group rules,
    `cost` returns the current _complement_cost).

    Each round hides a complement for one cell given away per linked component (it protects
    that cell's counts) and reruns the rules. Rows only ever get hidden, so this ends; when
    everything linked is hidden, nothing protected is determined (the relations would make it
    0, and the cells hidden for privacy are not). Guaranteed when it returns without a
    warning, up to floating point (DETERMINED_TOLERANCE): no protected row is determined by
    the relations of `_groupings` that hold on the true counts (_holding). After
    ROUNDS_WITHOUT_PROGRESS rounds whose complements free none (in tables of many dimensions,
    where every relation carries a little of the solution) it stops with a warning and the
    privacy check (disclosure.audit, which stops the build on a leak) decides. Not covered:
    shared counts (_hide_shared keeps them hidden together, but they are not in this test),
    bounds from counts being whole and not negative or from the reasons beyond
    _sums_to_protect."""
    relations = relations.tocsc()  # columns are sliced out far more often than rows
    suspects = _PROTECTED_CODE[reason]
    fewest, stalled = len(reason) + 1, 0
    while True:
        unknown, protected = np.flatnonzero(_HIDDEN_CODE[reason]), _PROTECTED_CODE[reason]
        label = linked_components(relations[:, unknown])  # hidden rows linked by relations
        given_away = _solvable(relations, unknown, label, protected, suspects)
        stalled = 0 if given_away.size < fewest else stalled + 1
        fewest = min(fewest, given_away.size)
        if not given_away.size or stalled > ROUNDS_WITHOUT_PROGRESS:
            if given_away.size:
                log.warning(UNSOLVED_WARNING, given_away.size)
            return
        picked = _complements_for(given_away, reason, cells, cost(), relations, unknown, label)
        if picked.empty:  # nothing shown left around them (their relations may not hold)
            return
        target, complement = picked["target"].to_numpy(), picked["complement"].to_numpy()
        reason[complement] = _COMPLEMENTARY
        np.logical_or.at(guards, complement, guards[target])
        complete()
        suspects = _PROTECTED_CODE[reason] & ~protected
        suspects[given_away] = True


def suppress(
    results: pd.DataFrame,
    parents: dict[str, str] | None = None,
    withheld: np.ndarray | None = None,
    cp_types: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Return a copy with `suppressed` (bool) and `suppression_reason` (code in REASON_TEXT).

    Own reasons: no_data (denominator 0), small_count (a count of 1-10: the numerator of a
    proportion, rate or ratio; the denominator of a proportion, mean, median or rate),
    small_complement (denominator - numerator of a proportion is 1-10), small_denominator
    (reliability_count below min_denominator); for a measure clustered by member, members are
    counted rather than its rows (_privacy_counts). Then complementary suppression: in each
    partition group (see `_groupings`; `parents` maps each practice to its ACO, `cp_types`
    each CP to its type) that adds up to its total in the true counts (_where_holding)
    where exactly one cell is unknown and it is hidden for privacy, or where the hidden parts
    of a shown total add up to a count of 1 to 10, one more cell is hidden: the cheapest
    shown part by _complement_cost (a breakdown cell before any headline result) and then
    the smallest denominator, or the total when it costs less than every shown part or no
    part is left, repeated until
    stable; then, while the relations of all groups solved together still
    give a cell hidden for privacy away, one more cell that frees it is hidden and the rules
    run again (_hide_until_unsolvable). Rows marked `withheld` (left out of an
    edition) count as hidden for privacy. Counts are left in place; publish through
    site.published_rows.
    """
    df = results.copy()
    reason = _own_reason_codes(df)
    if withheld is not None:  # whatever its own reason: only privacy protects it
        den_known = df["denominator"].to_numpy(float) > 0
        reason[withheld & den_known & ~_PROTECTED_CODE[reason]] = _COMPLEMENTARY
    groupings = _groupings(df, parents, cp_types)
    cells = _Cells(
        *_privacy_counts(df), df["kind"].to_numpy(), _headline_twins(df, groupings), _starred(df)
    )
    guards = _own_guards(reason, cells)
    shared = _shared_counts(df)

    num, den = (df[c].to_numpy(float) for c in ("numerator", "denominator"))
    counts = [num, den, den - num, cells.num, cells.den, cells.rest]
    adding_up = [_where_holding(g, counts) for g in groupings]

    def cost() -> np.ndarray:
        return _complement_cost(reason, cells, adding_up)

    def complete() -> None:
        for _ in range(len(df) + 1):  # each pass hides at least one more cell, so this ends
            now = cost()
            changed = [_complement_once(reason, guards, cells, g, now) for g in adding_up]
            changed.append(_hide_shared(reason, guards, shared))
            if not any(changed):
                break

    complete()
    relations = _holding(_relation_matrix(len(df), groupings), [num, den])
    _hide_until_unsolvable(reason, guards, cells, relations, complete, cost)
    df["suppression_reason"] = _reason_names(reason).astype(str)
    df["suppressed"] = df["suppression_reason"] != ""
    return df


def _reportable(df: pd.DataFrame) -> pd.Series:
    """Return True for shown rows with a value and a denominator of at least min_denominator."""
    if "suppressed" not in df.columns:
        df = suppress(df)
    min_den = _col(df, "min_denominator", DEFAULT_MIN_DENOMINATOR)
    return ~df["suppressed"] & (reliability_count(df) >= min_den) & df["value"].notna()


PERCENTILES = (10, 25, 50, 75, 90)


# Entities behind a benchmark (a "middle half of peers" band) in every edition: from fewer,
# the band is one or two organizations' own results (and, outside the internal edition, it
# would come close to showing another organization's result).
MIN_PEERS = 5


# The column naming the peer group a result is compared in (its stars, peer label and
# benchmark): a Community Partner's type (organization.cp_type: 'BH' or 'LTSS') on the
# stratum-'all' rows of a CP whose type is known, as the two kinds serve different members;
# '' elsewhere: ACOs, practices and CPs of unknown type are compared with every entity of
# their level (a breakdown row with the whole program's row of the same group).
PEER_GROUP = "peer_group"
POOLED = ""


def peer_groups(results: pd.DataFrame, cp_types: dict[str, str] | None) -> np.ndarray:
    """Return each row's peer group (PEER_GROUP) from `cp_types` (CP id -> type)."""
    typed = (results["level"] == "cp") & (results["stratum"] == "all")
    group = results["entity_id"].astype(str).map(cp_types or {}).astype(object).where(typed)
    return group.fillna(POOLED).astype(str).to_numpy(object)


def with_peer_groups(results: pd.DataFrame, cp_types: dict[str, str] | None) -> pd.DataFrame:
    """Return a copy of results with the PEER_GROUP column (peer_groups)."""
    return results.assign(**{PEER_GROUP: peer_groups(results, cp_types)})


def peer_group_of(df: pd.DataFrame) -> np.ndarray:
    """Return the rows' peer groups (POOLED for every row when the column is absent)."""
    return _col(df, PEER_GROUP, POOLED).astype(str).to_numpy(object)


def peer_pools(groups: np.ndarray) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Return (group, pool, members) for each peer group among `groups` (the peer groups of
    rows of one measure, period and level), POOLED always first: `members` marks the group's
    rows, `pool` those they are compared with: the group's own rows, or for POOLED every row
    (entities of unknown type are compared with the whole level)."""
    everyone = np.ones(len(groups), dtype=bool)
    named = sorted(set(groups.tolist()) - {POOLED})
    return [(POOLED, everyone, groups == POOLED)] + [(g, groups == g, groups == g) for g in named]


BENCHMARK_KEYS = ("measure_id", "period_id", "level", PEER_GROUP)


def benchmarks(results: pd.DataFrame) -> pd.DataFrame:
    """Return percentiles p10..p90 of entity values per measure x period x level x peer group.

    Uses entity rows of stratum 'all' that are shown and meet min_denominator, where at least
    MIN_PEERS entities have them; columns measure_id, period_id, level, peer_group,
    n_entities, p10, p25, p50, p75, p90 (numpy linear percentiles). Every level has its
    pooled row (peer_group POOLED: all its entities), and a CP type its own (peer_pools).
    """
    keys = ["measure_id", "period_id", "level"]
    ok = _reportable(results) & (results["level"] != "program") & (results["stratum"] == "all")
    kept = results[ok]
    groups = peer_group_of(kept)
    rows = []
    for key, at in kept.groupby(keys, sort=True).indices.items():
        values = kept["value"].to_numpy(float)[at]
        for group, pool, _ in peer_pools(groups[at]):
            if pool.sum() >= MIN_PEERS:
                rows.append(
                    _percentiles(
                        {**dict(zip(keys, key, strict=True)), PEER_GROUP: group}, values[pool]
                    )
                )
    return pd.DataFrame(
        rows, columns=[*BENCHMARK_KEYS, "n_entities", *(f"p{p}" for p in PERCENTILES)]
    )


def _percentiles(key: dict[str, Any], values: np.ndarray) -> dict[str, Any]:
    """Return a benchmark row: `key`, n_entities and the PERCENTILES of values."""
    pct = np.percentile(values, PERCENTILES)
    return {
        **key,
        "n_entities": values.size,
        **{f"p{p}": float(v) for p, v in zip(PERCENTILES, pct, strict=True)},
    }


def _better(diff: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Return True where a positive diff (entity minus reference) is good for the direction
    (for a neutral measure: where it is higher)."""
    return np.where(direction == "lower_is_better", -diff, diff) > 0


# The words of a difference, by whether the measure has a better direction: (better or
# higher, worse or lower) for peer_label and for trend_label.
PEER_LABELS = {True: ("better", "worse"), False: ("higher", "lower")}
TREND_LABELS = {True: ("improved", "declined"), False: ("rose", "fell")}


def _pick(good: np.ndarray, direction: np.ndarray, labels: dict) -> np.ndarray:
    """Return labels[rated][0] where good, else labels[rated][1], rated = the direction is not
    neutral (good then means higher)."""
    rated = direction != "neutral"
    return np.where(
        rated,
        np.where(good, labels[True][0], labels[True][1]),
        np.where(good, labels[False][0], labels[False][1]),
    )


# An interval bound this close to a reference, relative to it, touches it: a Wilson bound at
# x = n comes out a hair under 1 in floating point, which must not read as "lower".
TOUCH_RTOL = 1e-9


def touches(bound: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Return True where an interval bound equals the reference within TOUCH_RTOL of it."""
    return np.abs(bound - ref) <= TOUCH_RTOL * np.abs(ref)


def fixed_value(df: pd.DataFrame) -> np.ndarray:
    """Return True on rows of a measure whose value cannot vary: its numerator and denominator
    are the same count (spec shared_counts, as `members`, always 100%)."""
    num = _col(df, "shared_numerator", "").astype(str).to_numpy()
    den = _col(df, "shared_denominator", "").astype(str).to_numpy()
    return (num != "") & (num == den)


# A result compared within its peer group (PEER_GROUP) whose group has fewer than MIN_PEERS
# results to compare gets this peer_label: a group of two or three is hardly a group, and its
# program row is close to the result's own.
FEW_PEERS = "few_peers"
# A result that would be compared but whose reference (the program's row, or its CP type's) is
# hidden for privacy gets HIDDEN_REFERENCE; one whose reference does not exist (the program has
# no row of its CP type for the measure) gets NO_REFERENCE. Neither carries a figure.
HIDDEN_REFERENCE = "hidden_reference"
NO_REFERENCE = "no_reference"
# The peer labels of a result not compared with its peers, each saying why (INTERVAL_GAPS aside).
NOT_COMPARED = (FEW_PEERS, HIDDEN_REFERENCE, NO_REFERENCE)


def peer_label(results: pd.DataFrame) -> pd.DataFrame:
    """Return a copy with `peer_label`: 'better'/'no_different'/'worse' than the program, or ''.

    An entity is better or worse when its whole interval lies on one side of the program's
    value for the same measure, period and stratum value (respecting direction; 'higher' or
    'lower' for a neutral measure); a bound that touches the program's value (`touches`) is
    not beyond it. A row with a peer group (PEER_GROUP: a CP of known type) is compared with
    the program's row for that group instead (stratum cp_type), and only when at least
    MIN_PEERS entities of the group have results to compare (else FEW_PEERS). A mean with no
    interval says why (interval_gap: 'too_few' members, 'no_spread'): it is not compared. ''
    for program rows, suppressed or too-small rows, other rows without an interval (medians),
    rows whose program value is hidden and measures whose value cannot vary (fixed_value).
    A row that would be compared but whose reference is hidden says so (HIDDEN_REFERENCE), or
    that there is none (NO_REFERENCE).
    """
    df = results if {"lower", "upper"} <= set(results.columns) else add_intervals(results)
    df = df.copy()
    ref, exists = _peer_reference(df)
    lower, upper = df["lower"].to_numpy(float), df["upper"].to_numpy(float)
    direction = df["direction"].to_numpy()
    reportable = _reportable(df).to_numpy()
    entity = reportable & (df["level"] != "program").to_numpy() & ~fixed_value(df)
    few = entity & (_peer_group_sizes(df, reportable) < MIN_PEERS)
    comparable = entity & np.isfinite(ref) & ~few
    ok = comparable & np.isfinite(lower) & np.isfinite(upper)
    above = (lower > ref) & ~touches(lower, ref)
    below = (upper < ref) & ~touches(upper, ref)
    label = np.where(
        above | below,
        _pick(_better(lower - ref, direction), direction, PEER_LABELS),
        "no_different",
    )
    gap = interval_gap(df)
    label = np.where(ok, label, np.where(comparable & (gap != ""), gap, ""))
    # would be compared (an interval, or a reason for none) but its reference is not shown
    unreferenced = entity & ~few & ~np.isfinite(ref)
    unreferenced &= (np.isfinite(lower) & np.isfinite(upper)) | (gap != "")
    why = np.where(exists, HIDDEN_REFERENCE, NO_REFERENCE)
    label = np.where(unreferenced, why, label)
    df["peer_label"] = np.where(few, FEW_PEERS, label).astype(object)
    return df


def _peer_reference(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Return the program value each row is compared with (NaN when hidden or absent): the
    program's row of the same stratum value, or of the row's peer group (stratum cp_type);
    and whether that program row exists (shown or hidden)."""
    keys = ["measure_id", "period_id", "stratum", "stratum_value"]
    # a hidden program value is no reference: a label against it would bound it
    shown_program = (df["level"] == "program") & ~_col(df, "suppressed", False).astype(bool)
    program = df.loc[shown_program, [*keys, "value"]].drop_duplicates(keys)
    groups = peer_group_of(df)
    typed = groups != POOLED
    wanted = df[keys].copy()
    wanted.loc[typed, "stratum"] = "cp_type"
    wanted.loc[typed, "stratum_value"] = groups[typed]
    values = wanted.merge(program, on=keys, how="left")["value"].to_numpy(float)
    rows = df.loc[df["level"] == "program", keys].drop_duplicates().assign(_exists=True)
    exists = wanted.merge(rows, on=keys, how="left")["_exists"].notna().to_numpy()
    return values, exists


def _peer_group_sizes(df: pd.DataFrame, reportable: np.ndarray) -> np.ndarray:
    """Return, on each row with a peer group, how many reportable rows its group has for the
    same measure, period and level (infinity on rows without one: their pool is the level)."""
    keys = ["measure_id", "period_id", "level", PEER_GROUP]
    rows = df[keys[:-1]].assign(**{PEER_GROUP: peer_group_of(df)})
    counted = rows[reportable & (rows[PEER_GROUP] != POOLED).to_numpy()]
    sizes = counted.groupby(keys).size().rename("n").reset_index()
    n = rows.merge(sizes, on=keys, how="left")["n"].fillna(0).to_numpy(float)
    return np.where(rows[PEER_GROUP].to_numpy() == POOLED, np.inf, n)


def _two_sided_binom(k: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Return the two-sided exact binomial p-value (twice the smaller tail, capped at 1)."""
    low = sps.binom.cdf(k, n, p)
    high = sps.binom.sf(k - 1, n, p)
    return np.minimum(1.0, 2 * np.minimum(low, high))


def change_p_value(
    kind: Any,
    num0: Any,
    den0: Any,
    num1: Any,
    den1: Any,
    var0: Any = np.nan,
    var1: Any = np.nan,
) -> np.ndarray:
    """Return the two-sided p-value for a change between two periods, by kind (NaN if untestable).

    `var0`, `var1`: each period's value_variance (the variance of numerator / denominator),
    where known. proportion: pooled two-proportion z-test, or where both variances are known
    (a proportion clustered by member) the z-test of the difference with them; rate and
    ratio: conditional binomial test of the later count given the total (exposure or expected
    counts as weights), or for a rate clustered by member the z-test with its variances; mean:
    Welch z-test with the variances (members as the clusters where the measure says so, as in
    its interval); median: NaN.
    """
    kind = np.asarray(kind, dtype=object)
    x0, n0, x1, n1 = (np.asarray(a, dtype=float) for a in (num0, den0, num1, den1))
    v0 = np.broadcast_to(np.asarray(var0, dtype=float), x0.shape)
    v1 = np.broadcast_to(np.asarray(var1, dtype=float), x0.shape)
    out = np.full(x0.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        difference = x1 / n1 - x0 / n0
        known = np.isfinite(v0) & np.isfinite(v1)
        m = (kind == "proportion") & (n0 > 0) & (n1 > 0) & ~known
        pooled = (x0 + x1) / (n0 + n1)
        out[m] = _z_test(difference, pooled * (1 - pooled) * (1 / n0 + 1 / n1))[m]

        m = np.isin(kind, ["rate", "ratio"]) & (n0 > 0) & (n1 > 0)
        total = np.round(x0 + x1)
        share = n1 / (n0 + n1)
        bp = np.where(total > 0, _two_sided_binom(np.round(x1), total, share), 1.0)
        out[m] = bp[m]

        m = np.isin(kind, ["proportion", "rate", "mean"]) & known & (n0 > 0) & (n1 > 0)
        out[m] = _z_test(difference, v0 + v1)[m]
    return out


def comparison_quarters(results: pd.DataFrame) -> np.ndarray:
    """Return, for each row, how many quarters back its trend compares it: a whole window, so
    that the two results share no month (a year for `window` 'year', one quarter for 'quarter'
    or when the results have no window column)."""
    months = _col(results, "window", "quarter").map(WINDOW_MONTHS).fillna(3).to_numpy(int)
    return np.maximum(months // 3, 1)


def _z_test(difference: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """Return the two-sided normal p-value of `difference` (1 when the variance is 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = difference / np.sqrt(variance)
    return np.where(variance > 0, 2 * sps.norm.sf(np.abs(z)), 1.0)


def quarters_before(period_ids: pd.Series, quarters: np.ndarray) -> np.ndarray:
    """Return the quarter id `quarters` before each period id ('2025Q4', 4 -> '2024Q4')."""
    pairs = pd.DataFrame({"period_id": period_ids.to_numpy(), "back": quarters})
    unique = pairs.drop_duplicates()
    unique["before"] = [
        str(pd.Period(p, freq="Q") - int(n))
        for p, n in zip(unique["period_id"], unique["back"], strict=True)
    ]
    return pairs.merge(unique, on=["period_id", "back"], how="left")["before"].to_numpy(object)


def trend_label(results: pd.DataFrame, alpha: float = ALPHA) -> pd.DataFrame:
    """Return a copy with `trend_label`: 'improved'/'no_change'/'declined' against an earlier
    period ('rose' or 'fell' for a neutral measure).

    The earlier period is a whole window back (`comparison_quarters`): a result over twelve
    months is compared with the twelve months before (the same quarter a year earlier), one
    over a quarter with the quarter before, so the two never share a month. Rows are matched
    on measure, level, entity and stratum value. '' when either row is suppressed or below
    min_denominator, there is no such earlier row, or the kind has no test (median).
    """
    df = results if "suppressed" in results.columns else suppress(results)
    df = df.copy()
    keys = ["measure_id", "level", "entity_id", "stratum", "stratum_value"]
    cur = df[[*keys, "kind", "direction"]].assign(
        prev_period=quarters_before(df["period_id"], comparison_quarters(df))
    )
    ok_rows = df[_reportable(df)]
    prev = pd.DataFrame(
        {
            **{k: ok_rows[k] for k in keys},
            "prev_period": ok_rows["period_id"],
            "num0": ok_rows["numerator"].astype(float),
            "den0": ok_rows["denominator"].astype(float),
            "var0": value_variance(ok_rows),
        }
    ).drop_duplicates([*keys, "prev_period"])
    both = cur.merge(prev, on=[*keys, "prev_period"], how="left")
    num1 = df["numerator"].to_numpy(float)
    den1 = df["denominator"].to_numpy(float)
    var1 = value_variance(df)
    p = change_p_value(both["kind"], both["num0"], both["den0"], num1, den1, both["var0"], var1)
    with np.errstate(divide="ignore", invalid="ignore"):
        x0 = both["num0"].to_numpy(float) / both["den0"].to_numpy(float)
        x1 = num1 / den1
    significant = p < alpha
    direction = both["direction"].to_numpy()
    changed = _pick(_better(x1 - x0, direction), direction, TREND_LABELS)
    label = np.where(significant, changed, "no_change")
    ok = _reportable(df).to_numpy() & np.isfinite(p)
    df["trend_label"] = np.where(ok, label, "").astype(object)
    return df
