"""Star ratings: fixed thresholds, CMS clustering cut points, guardrails and summary stars.

Pure functions over numpy arrays and the engine's results table (no I/O). The relative method
follows the CMS Part C & D Star Ratings Technical Notes (2026, Attachment K): Tukey outer-fence
outlier deletion, then mean resampling of Ward's minimum-variance hierarchical clustering into
five groups. See docs_notes/ratings.md for how closely it reproduces CMS's published 2026 cut
points.

Threshold convention for a tuple ``(t2, t3, t4, t5)``: higher is better: a score >= t_k earns at
least k stars; lower is better: a score <= t_k earns at least k stars; otherwise 1 star.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from scorecard import stats

HIGHER = "higher_is_better"
LOWER = "lower_is_better"
CMS_SEED = 8675309
N_STARS = 5
THRESHOLD_COLUMNS = ("t2", "t3", "t4", "t5")
FAMILIES = ("operational", "claims", "quality")
# Fewest eligible entities for which relative (clustering) cut points are computed; below this a
# measure is not rated at that level, because five clusters of two or three entities say little.
MIN_ENTITIES_RELATIVE = 10
# An overall or family rating needs stars on at least this share of the measures the
# entity could be rated on (CMS: about half of the measures).
MIN_RATED_SHARE = 0.5
# An overall rating (and so an incentive tier) also needs stars on at least this many
# measures: with fewer, the "average" is one or two results, and the half rule alone lets an
# entity that can be rated on a single measure get an overall rating from it (1 of 1).
MIN_RATED_MEASURES = 3
GUARDRAIL_POINTS = 5.0  # cap on 0-100 scales
GUARDRAIL_SHARE = 0.05  # cap as a share of the prior score range on other scales
# Guardrails cap the move from the cut points of the same quarter this many quarters before
# (a year: CMS applies them year over year).
GUARDRAIL_QUARTERS = 4
# A measure gets no guardrails in its first this many years of star ratings (CMS: "measures 3
# years old or less"): years counted by calendar year of the period rated, the first year
# rated being year 1 (first rated 2023: no guardrails in 2023, 2024 and 2025; from 2026 on).
GUARDRAIL_NEW_YEARS = 3
# A measure in its first year of star ratings (years_rated 1) weighs this much in the overall
# rating, whatever its category (CMS: new measures get a weight of 1 in their first year).
NEW_MEASURE_WEIGHT = 1.0
# How the guardrails treated a level's cut points (the cut points' `guardrail` column; '' for
# fixed thresholds and levels not rated): 'capped', at least one cut point was held back by the
# cap; 'within', none moved more than the cap; 'new_measure', none, the measure being in its
# first GUARDRAIL_NEW_YEARS years; 'no_prior', none, as the edition a year before did not rate
# it at this level (or was not published); 'definition_changed', none, as the measure's definition
# (its spec `version`) is not the one those cut points were rated under: CMS does not hold the
# cut points of a substantively changed measure to the old definition's (`definition_changed`).
GUARDRAIL_STATUSES = ("capped", "within", "new_measure", "no_prior", "definition_changed")
# A relative measure's result earns stars only when at least this share of the differences
# between results like it is real, not chance (its signal-to-noise reliability; 0.7 is the
# usual minimum for physician-level results, e.g. NCQA's).
MIN_RELIABILITY = 0.7
# A relative measure is rated at a level only when at least this share of the entities with
# enough data reach MIN_RELIABILITY: the cut points are clustered from all of them, and would
# otherwise mostly sort out chance.
MIN_RELIABLE_SHARE = 0.5
# A median's sampling variance is taken as pi/2 times a mean's: exact for normal data, and
# larger than the truth for the right-skewed waits measured here, so it errs towards no stars.
MEDIAN_VARIANCE_FACTOR = np.pi / 2
# Why a ratable result has no stars (the results' `star_note`; '' when it has stars, or when
# its suppression reason or small denominator already says why): its own result is mostly
# chance; the measure is not rated at its level because fewer than MIN_RELIABLE_SHARE of the
# results there are reliable; fewer than MIN_ENTITIES_RELATIVE entities had enough data; the
# results are so alike that the Tukey fences leave fewer than MIN_ENTITIES_RELATIVE of them or
# fewer than N_STARS different scores to cluster (`too_alike`).
STAR_NOTES = ("chance", "level_chance", "few_entities", "alike")

CutPoints = tuple[float, float, float, float]
_NO_CUT_POINTS: CutPoints = (np.nan, np.nan, np.nan, np.nan)


def round_half_up(x: Any, decimals: int = 0) -> Any:
    """Return x rounded to `decimals` places with halves away from zero (as SAS ROUND does)."""
    arr = np.asarray(x, dtype=float)
    factor = 10.0 ** int(decimals)
    # the small nudge absorbs binary error such as 0.285 * 100 = 28.499999999999996
    out = np.sign(arr) * np.floor(np.abs(arr) * factor + 0.5 + 1e-9) / factor
    return float(out) if out.ndim == 0 else out


def _clean(scores: Iterable[float]) -> np.ndarray:
    """Return the finite scores as a flat float array."""
    arr = np.asarray(scores if hasattr(scores, "__len__") else list(scores), dtype=float).ravel()
    return arr[np.isfinite(arr)]


def quartiles(scores: Iterable[float]) -> tuple[float, float]:
    """Return (Q1, Q3) by SAS's default percentile definition (PCTLDEF=5)."""
    arr = _clean(scores)
    return percentile(arr, 25), percentile(arr, 75)


def tukey_fences(scores: Iterable[float]) -> tuple[float, float]:
    """Return the Tukey outer fences (Q1 - 3 IQR, Q3 + 3 IQR), quartiles as in `quartiles`."""
    q1, q3 = quartiles(scores)
    iqr = q3 - q1
    return q1 - 3 * iqr, q3 + 3 * iqr


def tukey_filter(scores: Iterable[float]) -> np.ndarray:
    """Return the finite scores inside the Tukey outer fences (fences themselves kept)."""
    arr = _clean(scores)
    lo, hi = tukey_fences(arr)
    return arr[(arr >= lo) & (arr <= hi)]


def too_alike(kept: np.ndarray) -> bool:
    """Return True when the scores left inside the Tukey fences (`kept`, at display precision)
    are too few or too alike to set five star levels: fewer than MIN_ENTITIES_RELATIVE of them
    or fewer than N_STARS different scores.

    With whole-percent scores and most entities at 100%, the middle half has no spread and the
    fences keep only the most common score: the cut points would then rest on one or two scores
    and rate every other entity on that alone (see docs_notes/ratings.md).
    """
    return kept.size < MIN_ENTITIES_RELATIVE or np.unique(kept).size < N_STARS


def ward_groups(x: np.ndarray, k: int, decimals: int) -> list[tuple[int, int]]:
    """Return Ward's minimum-variance clustering of sorted scores into k groups, as (first,
    last) positions in `x`, lowest scores first.

    Scores are whole multiples of 10**-decimals (rounded to display precision), so they are
    clustered as integers. Equal scores always share a group (merging them costs nothing), so
    each distinct score is one point weighted by how many entities have it. In one dimension
    the cheapest merge is always of two neighbouring groups (for A < B < C, merging A and C
    costs more than merging B with one of them), so only neighbours are compared: a heap of
    their merge costs, O(n log n). Each cost, (n_B S_A - n_A S_B)^2 / (n_A n_B (n_A + n_B))
    for sizes n and score sums S, is a ratio of exact integers rounded once, so equal costs
    are equal floats and a tie goes to the lower scores. SciPy's linkage gives the same groups
    whenever no two merges cost the same, but decides ties by its own rounding errors, and
    takes 10-20 times as long (docs_notes/ratings.md).
    """
    scaled = np.rint(np.asarray(x, dtype=float) * 10.0 ** int(decimals)).astype(np.int64)
    points, firsts, counts = np.unique(scaled, return_index=True, return_counts=True)
    n_points = points.size
    if n_points == 0:
        return []
    firsts_list, counts_list = firsts.tolist(), counts.tolist()
    sizes = list(counts_list)  # merged into as groups grow
    sums = [point * size for point, size in zip(points.tolist(), sizes, strict=True)]
    right = [*range(1, n_points), -1]  # the group after each group (by its first point)
    left = list(range(-1, n_points - 1))
    version = [0] * n_points  # a heap entry is stale once its group's version moved on

    def merge_cost(i: int) -> tuple[float, int, int]:
        j = right[i]
        diff = sizes[j] * sums[i] - sizes[i] * sums[j]
        return diff * diff / (sizes[i] * sizes[j] * (sizes[i] + sizes[j])), i, version[i]

    heap = [merge_cost(i) for i in range(n_points - 1)]
    heapq.heapify(heap)
    for _ in range(n_points - max(k, 1)):
        _, i, seen = heapq.heappop(heap)
        while seen != version[i] or right[i] < 0:
            _, i, seen = heapq.heappop(heap)
        j = right[i]  # group i takes in group j
        sizes[i] += sizes[j]
        sums[i] += sums[j]
        right[i], right[j] = right[j], -1
        version[i] += 1
        if right[i] >= 0:
            left[right[i]] = i
            heapq.heappush(heap, merge_cost(i))
        if left[i] >= 0:
            version[left[i]] += 1
            heapq.heappush(heap, merge_cost(left[i]))
    groups, i = [], 0
    while i >= 0:
        last = (right[i] if right[i] >= 0 else n_points) - 1  # the group's last point
        groups.append((firsts_list[i], firsts_list[last] + counts_list[last] - 1))
        i = right[i]
    return groups


def _fold_cut_points(x: np.ndarray, higher: bool, decimals: int) -> np.ndarray:
    """Return t2..t5 from one Ward clustering of sorted x into min(5, distinct scores) groups
    (empty lower levels filled as documented)."""
    groups = ward_groups(x, N_STARS, decimals)  # lowest scores first
    if higher:
        points = [x[first] for first, _ in groups[1:]]
    else:
        points = [x[last] for _, last in groups[-2::-1]]
    # Fewer than five clusters: the clusters take the top star levels, and the empty lower levels
    # are the worst score clustered, so every score clustered meets them and a score worse than
    # all of them (an outlier dropped by the Tukey fences) does not. CMS publishes 0 instead for
    # higher is better (D07 in 2026: 0,0,0,99), which gives the same stars to every score it
    # clustered but would hand a dropped low score the lowest cluster's stars.
    filler = float(x.min()) if higher else float(x.max())
    return np.array([filler] * (N_STARS - 1 - len(points)) + points, dtype=float)


def fold_assignment(n: int, folds: int, seed: int = CMS_SEED) -> np.ndarray:
    """Return a fold number 0..folds-1 for each of n sorted scores (equal-sized random groups)."""
    order = np.random.default_rng(seed).permutation(n)
    out = np.empty(n, dtype=int)
    out[order] = np.arange(n) % folds
    return out


def cut_points(
    scores: Iterable[float],
    direction: str,
    decimals: int,
    seed: int = CMS_SEED,
    folds: int = 10,
    tukey: bool = True,
    fences: tuple[float, float] | None = None,
) -> CutPoints:
    """Return CMS mean-resampling cut points (t2, t3, t4, t5) at display precision.

    Scores are rounded to `decimals`, outliers beyond the Tukey outer fences dropped (or beyond
    `fences` when given, e.g. CMS's published ones), then sorted and split into `folds` random
    groups; each run clusters the scores outside one group (Ward, five groups) and the cut points
    are averaged over the runs and rounded. `folds` <= 1 clusters all scores once.
    """
    if direction not in (HIGHER, LOWER):
        raise ValueError(f"direction must be {HIGHER!r} or {LOWER!r}, got {direction!r}")
    x = round_half_up(_clean(scores), decimals)
    if fences is not None:
        x = x[(x >= fences[0]) & (x <= fences[1])]
    elif tukey and x.size:
        x = tukey_filter(x)
    x = np.sort(x)
    if x.size < 2:
        return _NO_CUT_POINTS
    higher = direction == HIGHER
    folds = min(int(folds), x.size)
    if folds <= 1:
        runs = [_fold_cut_points(x, higher, decimals)]
    else:
        fold = fold_assignment(x.size, folds, seed)
        runs = [_fold_cut_points(x[fold != f], higher, decimals) for f in range(folds)]
    mean = round_half_up(np.mean(runs, axis=0), decimals)
    return tuple(float(v) for v in mean)  # type: ignore[return-value]


def stars_from_cut_points(
    values: Iterable[float] | pd.Series, cut_points: Sequence[float] | None, direction: str
) -> pd.Series:
    """Return stars 1-5 (nullable Int64) for each value; NA for missing values or cut points."""
    index = values.index if isinstance(values, pd.Series) else None
    v = np.asarray(values, dtype=float).ravel()
    out = pd.Series(pd.array([pd.NA] * v.size, dtype="Int64"), index=index)
    if cut_points is None or len(cut_points) != N_STARS - 1:
        return out
    t = np.asarray(cut_points, dtype=float)
    if not np.isfinite(t).all():
        return out
    meets = v[:, None] >= t[None, :] if direction == HIGHER else v[:, None] <= t[None, :]
    # a level counts only if every level below it is met too (robust to non-monotone input)
    stars = 1 + np.cumprod(meets, axis=1).sum(axis=1)
    ok = np.isfinite(v)
    out[ok] = stars[ok]
    return out


def pooled_cluster_variance(sums: stats.ClusterSums) -> float:
    """Return the spread of one cluster about its entity's own ratio, pooled over the entities
    given (one measure, period and level): s^2 = sum_i e_i / (sum_i n_i - k).

    e_i = sum over entity i's clusters j of (y_j - R_i d_j)^2 = yy_i - 2 R_i yd_i + R_i^2 dd_i,
    with R_i = y_i / d_i the entity's own result, n_i its clusters (members for a measure
    clustered by member, else its rows) and k the number of entities: the within-entity
    residual variance of a cluster, with one degree of freedom spent on each entity's R_i. With
    every d_j = 1 (a mean of independent rows) it is the pooled within-entity variance of the
    rows, sum_i (yy_i - y_i^2 / n_i) / (sum_i n_i - k). NaN when it cannot be worked out (no
    sums of squares or products: rows whose denominators are not 1; no degrees of freedom).
    """
    n = np.asarray(sums.n, dtype=float)
    dof = n.sum() - n.size
    return float(stats.cluster_spread(sums).sum() / dof) if dof > 0 else np.nan


def dispersion(sums: stats.ClusterSums) -> float:
    """Return the quasi-Poisson dispersion of the counts of a rate's rows (its units), pooled
    over the entities given: phi = max(1, s^2 / m), where
    s^2 = sum_i (yy_i - y_i^2 / n_i) / (sum_i n_i - k) is the pooled within-entity variance of
    a row's count (n_i rows, k entities) and m = sum y / sum n the pooled mean count of a row.

    Poisson counts give phi near 1; counts that bunch up (a few members with many ED visits)
    give more, and v_i grows with them. Never below 1: counts less spread than Poisson (an
    observed readmission is 0 or 1) keep the Poisson variance. Exact (a Pearson-type estimate
    with the pooled mean) when every row is one unit of exposure; for rows that carry several
    months of exposure or a weighted one, rows with more exposure also expect more events,
    which adds about R var(d_j) / mean(d_j) to it (R the rate per unit of exposure, d_j a
    row's exposure), an overstatement, so it errs towards no stars. The rated rates (ED
    visits, admissions) are clustered by member and do not use it: one member's months are
    not independent rows (sampling_variance). 1 (Poisson) without sums of squares
    (`numerator_sq`).
    """
    y, n = (np.asarray(a, dtype=float) for a in (sums.y, sums.n))
    rows = n.sum()
    # rows as clusters of one unit each: d = d² = n and y·d = y, so the spread is yy - y² / n
    s2 = pooled_cluster_variance(sums._replace(d=sums.n, dd=sums.n, yd=sums.y))
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = y.sum() / rows if rows > 0 else np.nan
    if not (np.isfinite(s2) and np.isfinite(mean)) or mean <= 0:
        return 1.0
    return float(max(1.0, s2 / mean))


def sampling_variance(kind: str, sums: stats.ClusterSums, clustered: bool = False) -> np.ndarray:
    """Return each entity's sampling variance v_i of its result (before the multiplier), with
    the spread pooled over the entities given (one measure, period and level).

    Pooled, not each entity's own, so that an entity whose members all had the same result
    (0% or 100%, the same spending) does not look perfectly precise.

    - mean, median, and any measure clustered by member (spec.cluster 'person': spending per
      member month, the share of days in the community, ED visits and the other rated
      rates): the ratio estimator's variance with the pooled spread, v_i = n_i s^2 / d_i^2
      (s^2: pooled_cluster_variance; n_i clusters, d_i the denominator, which for
      risk-adjusted spending is a sum of relative risk, not a count). The units are the
      clusters: a member's months or days are not independent. For a mean of independent
      rows (d_j = 1) it is s^2 / n_i. median: that times MEDIAN_VARIANCE_FACTOR.
    - proportion (rows independent): p(1 - p) / d_i at the pooled p.
    - rate and O/E ratio: quasi-Poisson, v_i = phi R / d_i with R = sum y / sum d the pooled
      rate and phi >= 1 the dispersion of the rows' counts (`dispersion`; 1, i.e. Poisson,
      without sums of squares, and for an O/E ratio's 0-or-1 readmissions).

    NaN where it cannot be worked out (no sums of squares for a mean, no units).
    """
    y, d = np.asarray(sums.y, dtype=float), np.asarray(sums.d, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if clustered or kind in ("mean", "median"):
            s2 = pooled_cluster_variance(sums)
            factor = MEDIAN_VARIANCE_FACTOR if kind == "median" else 1.0
            return factor * np.asarray(sums.n, dtype=float) * s2 / d**2
        if kind == "proportion":
            p = y.sum() / d.sum()
            return p * (1 - p) / d
        if kind in ("rate", "ratio"):
            return dispersion(sums) * (y.sum() / d.sum()) / d
    return np.full(d.shape, np.nan)


def between_variance(y: np.ndarray, v: np.ndarray) -> float:
    """Return the DerSimonian-Laird (method of moments) estimate of the variance of the true
    results between entities, from their results `y` and sampling variances `v`.

    tau^2 = max(0, (Q - (k - 1)) / (S1 - S2 / S1)), where Q = sum w (y - ybar_w)^2, w = 1 / v,
    S1 = sum w, S2 = sum w^2: the spread of the results beyond what their own sampling
    variances explain. With equal v it is the sample variance of y less v. NaN for fewer than
    two entities; with no sampling variance at all, the sample variance of y.
    """
    y, v = np.asarray(y, dtype=float), np.asarray(v, dtype=float)
    if y.size < 2 or not np.isfinite(v).all() or not np.isfinite(y).all():
        return np.nan
    if (v <= 0).any():
        return float(np.var(y, ddof=1)) if (v <= 0).all() else np.nan
    w = 1.0 / v
    s1, s2 = w.sum(), (w**2).sum()
    q = float(np.sum(w * (y - np.sum(w * y) / s1) ** 2))
    return max(0.0, (q - (y.size - 1)) / (s1 - s2 / s1))


def reliability(
    kind: str, values: np.ndarray, sums: stats.ClusterSums, clustered: bool = False
) -> np.ndarray:
    """Return each entity's signal-to-noise reliability, tau^2 / (tau^2 + v_i), among the
    entities given (one measure, period and level; values without their multiplier).

    v_i is the sampling variance of the entity's own result (`sampling_variance`, from the
    entities' sums over their clusters: stats.cluster_sums; `clustered` for a measure clustered
    by member) and tau^2 the between-entity variance (`between_variance`). 0 when the entities
    differ no more than chance explains; NaN when it cannot be worked out (then no stars).
    """
    v = sampling_variance(kind, sums, clustered)
    tau2 = between_variance(values, v)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = tau2 / (tau2 + v)
    return np.where((tau2 == 0) & (v == 0), 0.0, out)


def apply_guardrails(new: Sequence[float], prior: Sequence[float] | None, cap: float) -> CutPoints:
    """Return the new cut points, each moved at most `cap` from its prior (NaN prior: unchanged)."""
    n = np.asarray(new, dtype=float)
    if prior is None:
        return tuple(float(v) for v in n)  # type: ignore[return-value]
    p = np.asarray(prior, dtype=float)
    clipped = np.clip(n, p - cap, p + cap)
    out = np.where(np.isfinite(p) & np.isfinite(n), clipped, n)
    return tuple(float(v) for v in out)  # type: ignore[return-value]


def guardrail_cap(kind: str, multiplier: float, score_range: float) -> float:
    """Return the guardrail cap: 5 points on a 0-100 percent scale, else 5% of the score range."""
    if kind == "proportion" and multiplier == 100:
        return GUARDRAIL_POINTS
    return GUARDRAIL_SHARE * score_range


def years_rated(first_rated: int, period_id: str) -> int:
    """Return which year of star ratings `period_id` is for a measure first rated in the
    calendar year `first_rated` (that year is year 1)."""
    return pd.Period(period_id, freq="Q").year - int(first_rated) + 1


def guardrail_exempt(first_rated: int | None, period_id: str) -> bool:
    """Return True when a measure first rated in `first_rated` gets no guardrails in
    `period_id`: it is in its first GUARDRAIL_NEW_YEARS years of ratings (None: age unknown,
    not exempt)."""
    if first_rated is None or pd.isna(first_rated):
        return False
    return years_rated(int(first_rated), period_id) <= GUARDRAIL_NEW_YEARS


def in_first_year(first_rated: int | None, period_id: str) -> bool:
    """Return True when a measure first rated in `first_rated` (None or NA: age unknown) is in
    its first year of star ratings in `period_id`, when it weighs NEW_MEASURE_WEIGHT."""
    if first_rated is None or pd.isna(first_rated):
        return False
    return years_rated(int(first_rated), period_id) == 1


def first_year_weights(results: pd.DataFrame, first_rated: Mapping[str, int]) -> pd.Series:
    """Return each row's weight (`weight`, its category's), NEW_MEASURE_WEIGHT on rows of a
    period in the first year its measure was rated (`first_rated`, measure_id -> year;
    `in_first_year`)."""
    pairs = results[["measure_id", "period_id"]].drop_duplicates()
    new = [
        in_first_year(first_rated.get(m), p)
        for m, p in zip(pairs["measure_id"], pairs["period_id"], strict=True)
    ]
    first = pd.MultiIndex.from_frame(pairs[new])
    rows = pd.MultiIndex.from_frame(results[["measure_id", "period_id"]]).isin(first)
    return results["weight"].astype(float).where(~rows, NEW_MEASURE_WEIGHT)


def definition_changed(prior: pd.Series | None, version: int | None) -> bool:
    """Return True when the `prior` cut points were rated under another version of the measure
    than `version` (the spec's now): then no guardrails apply, as CMS applies none across a
    substantive change of a measure's specification.

    A prior without a version (cut points kept before the version was stored with them, or a
    table without the `measure_version` column) is taken to be of the same version, as is a
    measure whose version is not given: histories written before keep their guardrails, rather
    than every measure losing them for a year on upgrading. Say otherwise by adding the column
    to that quarter's cut_points/<period_id>.csv in the results history."""
    if prior is None or version is None or "measure_version" not in prior.index:
        return False
    before = pd.to_numeric(pd.Series([prior["measure_version"]]), errors="coerce").iloc[0]
    return bool(pd.notna(before) and int(before) != int(version))


def _prior_lookup(prior: pd.DataFrame | None) -> dict[tuple, pd.Series]:
    """Return prior cut-point rows keyed by (measure_id, level, peer group, period_id or None).

    A prior without a peer_group column (or a blank one) holds pooled cut points
    (stats.POOLED): they bound no peer group's, which were clustered from other entities."""
    if prior is None or prior.empty:
        return {}
    has_period = "period_id" in prior.columns
    groups = stats.peer_group_of(prior.fillna({stats.PEER_GROUP: stats.POOLED}))
    out = {}
    for (_, row), group in zip(prior.iterrows(), groups, strict=True):
        period = row["period_id"] if has_period else None
        out[(row["measure_id"], row["level"], group, period)] = row
    return out


def _find_prior(lookup: dict, key: Mapping[str, str]) -> pd.Series | None:
    """Return the prior row of a cut-point `key` (measure_id, period_id, level, peer_group) for
    its period, else the one for all periods, else None."""
    at = (key["measure_id"], key["level"], key[stats.PEER_GROUP])
    return lookup.get((*at, key["period_id"]), lookup.get((*at, None)))


@dataclass(frozen=True)
class _LevelRating:
    """How one measure x period x level group is rated (arrays by the group's rows)."""

    points: CutPoints
    method: str
    rated: np.ndarray  # bool: the row gets stars from `points`
    notes: np.ndarray  # its star_note (STAR_NOTES, or '')
    reliability: np.ndarray  # its reliability (NaN when not worked out)
    score_range: float  # range of the shown scores inside the Tukey fences (NaN if none)
    guardrail: str = ""  # how the guardrails treated the cut points (GUARDRAIL_STATUSES or '')


def _fixed_thresholds(first: pd.Series) -> CutPoints:
    """Return a fixed-threshold measure's t2..t5 from its spec's star_thresholds."""
    thresholds = first["star_thresholds"]
    if not isinstance(thresholds, list | tuple | np.ndarray) or len(thresholds) != 4:
        raise ValueError(f"{first['measure_id']}: fixed star_thresholds needs 4 values")
    return tuple(float(t) for t in thresholds)  # type: ignore[return-value]


def _group_reliability(group: pd.DataFrame, eligible: np.ndarray) -> np.ndarray:
    """Return the reliability of each eligible row of the group among the eligible rows (NaN
    for the others)."""
    out = np.full(len(group), np.nan)
    rows = group[eligible]
    if rows.empty:
        return out
    multiplier = rows["multiplier"].fillna(1.0).to_numpy(float)
    values = rows["value"].to_numpy(float) / multiplier
    clustered = bool(stats.by_person(rows).all())
    out[eligible] = reliability(rows["kind"].iloc[0], values, stats.cluster_sums(rows), clustered)
    return out


def _guarded(
    points: CutPoints, first: pd.Series, prior: pd.Series | None, score_range: float
) -> CutPoints:
    """Return the cut points moved at most the guardrail cap from the prior ones (unchanged
    without a prior). The cap is worked out on the prior's score range, or this period's
    when the prior edition did not store one."""
    if prior is None:
        return points
    decimals = int(first["decimals"])
    if "score_range" in prior.index and pd.notna(prior["score_range"]):
        score_range = float(prior["score_range"])
    # at least one display unit: a smaller cap rounds every move back to the prior cut
    # point, which then could never move again
    cap = max(guardrail_cap(first["kind"], float(first["multiplier"]), score_range), 0.1**decimals)
    prior_points = [prior[c] for c in THRESHOLD_COLUMNS]
    clamped = round_half_up(apply_guardrails(points, prior_points, cap), decimals)
    return tuple(float(v) for v in clamped)  # type: ignore[return-value]


def _rate_level(
    group: pd.DataFrame,
    eligible: np.ndarray,
    shown: np.ndarray,
    prior: pd.Series | None,
    seed: int,
    min_reliability: float | None,
    exempt: bool = False,
    changed: bool = False,
) -> _LevelRating:
    """Return how one measure x period x level group of entity rows is rated.

    `eligible` marks the rows with enough data (hidden or not), `shown` those not hidden: only
    rows both eligible and shown get stars or a note. Fixed thresholds rate every such row.
    Relative: the cut points are clustered from all the eligible rows, hidden ones too (as CMS
    clusters every contract with enough data), if there are at least MIN_ENTITIES_RELATIVE of
    them and at least MIN_RELIABLE_SHARE of them have a reliability of `min_reliability` or more
    (None: no reliability condition), and the Tukey fences leave enough different scores to
    cluster (`too_alike`); the shown ones of those reliable rows get stars. The score range is
    that of the shown scores the fences keep: the cut-point table is published, and the range
    of every score clustered could give a hidden one away (the best, say, from the lowest
    shown). A score outside the fences is rated against the
    cut points like any other, as CMS rates every contract: beyond the better fence it meets
    every cut point, beyond the worse one none (the empty levels of fewer than five clusters
    are the worst score clustered: `_fold_cut_points`), so it gets 5 stars or 1 (unless the
    guardrails hold a cut point back past it). The cut points are capped by the guardrails
    against `prior` unless the measure is `exempt` (a new measure) or `changed` (the prior was
    rated under another definition: `definition_changed`).
    """
    first = group.iloc[0]
    notes = np.full(len(group), "", dtype=object)
    starred = eligible & shown
    if first["star_method"] == "fixed":
        nothing = np.full(len(group), np.nan)
        return _LevelRating(_fixed_thresholds(first), "fixed", starred, notes, nothing, np.nan)
    rel = _group_reliability(group, eligible)
    reliable = eligible & _reaches(rel, min_reliability)
    n_eligible = int(eligible.sum())
    if n_eligible < MIN_ENTITIES_RELATIVE or not enough_reliable(reliable.sum(), n_eligible):
        why = "few_entities" if n_eligible < MIN_ENTITIES_RELATIVE else "level_chance"
        return _level_not_rated(notes, starred, why, rel)
    decimals = int(first["decimals"])
    rounded = round_half_up(group["value"].to_numpy(float), decimals)
    scores = group["value"].to_numpy(float)[eligible]
    low, high = tukey_fences(rounded[eligible])
    fenced = (rounded >= low) & (rounded <= high)  # as tukey_filter keeps them
    kept = rounded[eligible & fenced]
    if too_alike(kept):
        return _level_not_rated(notes, starred, "alike", rel)
    notes[starred & ~reliable] = "chance"
    inside = rounded[starred & fenced]
    score_range = float(inside.max() - inside.min()) if inside.size else np.nan
    points = cut_points(scores, first["direction"], decimals, seed, fences=(low, high))
    status = _guardrail_status(points, prior, exempt, changed)
    if status == "within":
        # a cap to work out, with no shown score inside the fences: every score clustered
        cap_range = score_range if inside.size else float(kept.max() - kept.min())
        guarded = _guarded(points, first, prior, cap_range)
        status = "capped" if guarded != points else "within"
        points = guarded
    return _LevelRating(points, "relative", reliable & shown, notes, rel, score_range, status)


def _level_not_rated(
    notes: np.ndarray, starred: np.ndarray, why: str, reliabilities: np.ndarray
) -> _LevelRating:
    """Return a relative level that is not rated: no cut points, no stars, and `why` (a
    STAR_NOTES entry) as the note of each eligible row shown (`starred`)."""
    notes[starred] = why
    nobody = np.zeros(len(notes), dtype=bool)
    return _LevelRating(_NO_CUT_POINTS, "relative", nobody, notes, reliabilities, np.nan)


def _guardrail_status(
    points: CutPoints, prior: pd.Series | None, exempt: bool, changed: bool = False
) -> str:
    """Return how the guardrails treat new cut points: '' when there are none, 'new_measure'
    for an exempt measure, 'no_prior' without a prior cut point to hold them to,
    'definition_changed' when the prior ones are of another definition (`changed`), else
    'within' (to be worked out: 'capped' if the cap moves one)."""
    if not np.isfinite(points).all():
        return ""
    if exempt:
        return "new_measure"
    if prior is None or not np.isfinite(prior[list(THRESHOLD_COLUMNS)].astype(float)).any():
        return "no_prior"
    return "definition_changed" if changed else "within"


CUT_POINT_COLUMNS = (
    *("measure_id", "period_id", "level", stats.PEER_GROUP, *THRESHOLD_COLUMNS, "method"),
    "n_entities",
    *("n_reliable", "n_rated", "median_reliability", "score_range", "first_rated", "guardrail"),
    "measure_version",
)


def rate_results(
    results: pd.DataFrame,
    prior_cut_points: pd.DataFrame | None = None,
    seed: int = CMS_SEED,
    periods: Collection[str] | None = None,
    min_reliability: float | None = MIN_RELIABILITY,
    first_rated: Mapping[str, int] | None = None,
    versions: Mapping[str, int] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (results with an Int64 `stars` column, cut points per measure x period x level x
    peer group).

    Each peer group (column stats.PEER_GROUP: a CP's type) is rated on its own, against cut
    points clustered from its own entities: BH and LTSS Community Partners serve different
    members. Rows without one (stats.POOLED: ACOs, practices, CPs of unknown type) are rated
    against cut points clustered from every entity of their level (stats.peer_pools). The
    minimums below (MIN_ENTITIES_RELATIVE...) hold in each peer group: a group too small is
    not rated (star_note few_entities), never rated against another group.
    Only entity rows of stratum 'all' whose measure has star_method 'fixed' or 'relative' are
    rated. A row is eligible with a value and a denominator of at least min_denominator,
    whether shown or hidden (suppressed); only the shown ones get stars. A relative measure's
    row must also have a reliability (`reliability`, among the level's eligible rows) of at
    least `min_reliability` (None: no such condition), and the measure is rated at a level only
    when at least MIN_RELIABLE_SHARE of its eligible rows do. The cut points are clustered from
    all eligible rows, hidden ones too, as CMS clusters every contract with enough data: hiding
    the best results (near 100% is hidden for its small complement) would otherwise lower the
    cut points and raise everyone else's stars. A hidden row gets no stars, note or
    reliability. Values are rounded to display precision before comparing with the cut points.
    Also added: `reliability` (NaN where not worked out) and `star_note` (why a shown ratable
    row has no stars, see STAR_NOTES; '' otherwise).
    `prior_cut_points` (measure_id, level, t2..t5, optional period_id and score_range) turns on
    guardrails for relative measures. `periods`, when given, limits the rating (and the cut
    points) to those periods; rows of other periods get no stars (build.score rates only the
    period it publishes). Cut-point columns: CUT_POINT_COLUMNS; peer_group the group rated;
    n_entities counts the eligible rows clustered (hidden ones too), n_reliable those whose
    reliability reaches the minimum (NaN for fixed thresholds), n_rated those given stars (shown
    only; 0 when the level is not rated), median_reliability the middle reliability of the eligible
    rows, score_range the range of the shown scores inside the Tukey fences (what the next
    guardrails' cap is worked out from; not that of every score clustered, which could give a hidden
    one away), first_rated the year the measure was first rated (from `first_rated`, measure_id ->
    year; NA when not given) and guardrail how the guardrails treated the level (GUARDRAIL_STATUSES,
    '' if not rated). A measure in its first GUARDRAIL_NEW_YEARS years (`guardrail_exempt`) gets no
    guardrails; without `first_rated`, every measure with prior cut points gets them. A measure in
    its first year weighs NEW_MEASURE_WEIGHT in the results' `weight` (`first_year_weights`), which
    summary_stars reads; without `first_rated`, every measure keeps its category's weight.
    `versions` (measure_id -> its spec's version) is kept with the cut points (measure_version,
    NA when not given), for the next year's guardrails: a prior of another version caps nothing
    (guardrail 'definition_changed', `definition_changed`).
    """
    df = results if "suppressed" in results.columns else stats.suppress(results)
    df = df.copy()
    ratable = (
        (df["level"] != "program")
        & (df["stratum"] == "all")
        & df["star_method"].isin(["fixed", "relative"])
    )
    if periods is not None:
        ratable &= df["period_id"].isin(list(periods))
    # Clustered: every ratable row with enough data, hidden or not, as CMS clusters every
    # contract; starred: those the edition shows (a hidden result gets no stars or note).
    eligible_all = (
        ratable
        & (
            stats.reliability_count(df)
            >= df["min_denominator"].fillna(stats.DEFAULT_MIN_DENOMINATOR)
        )
        & df["value"].notna()
    ).to_numpy()
    shown_all = ~df["suppressed"].astype(bool).to_numpy()
    rating = _Rating(
        df, eligible_all, shown_all, _prior_lookup(prior_cut_points), seed, min_reliability
    )
    rating.versions = dict(versions or {})
    rated = df[ratable]
    rated_at = np.flatnonzero(ratable.to_numpy())  # positions of rated's rows in df
    groups = stats.peer_group_of(rated)
    indices = rated.groupby(["measure_id", "period_id", "level"], sort=True).indices
    rows = []
    for (measure, period, level), at in sorted(indices.items()):
        for peer, pool, members in stats.peer_pools(groups[at]):
            if members.any():
                key = {"measure_id": measure, "period_id": period, "level": level}
                key[stats.PEER_GROUP] = peer
                first_year = (first_rated or {}).get(measure)
                group = rated.iloc[at[pool]]
                rows.append(rating.rate(key, group, rated_at[at[pool]], members[pool], first_year))
    column = pd.array(rating.stars, dtype="Int64")
    column[rating.stars == 0] = pd.NA
    df["stars"] = column
    df["star_note"] = rating.notes
    df["reliability"] = rating.reliabilities
    if "weight" in df.columns and first_rated:
        df["weight"] = first_year_weights(df, first_rated)
    table = pd.DataFrame(rows, columns=list(CUT_POINT_COLUMNS))
    table["first_rated"] = table["first_rated"].astype("Int64")
    table["measure_version"] = table["measure_id"].map(rating.versions).astype("Int64")
    return df, table


class _Rating:
    """What rate_results fills in, row by row of its results (stars 0: none yet), as it rates
    one peer group of a measure x period x level at a time (`rate`)."""

    def __init__(
        self,
        df: pd.DataFrame,
        eligible: np.ndarray,
        shown: np.ndarray,
        lookup: dict,
        seed: int,
        min_reliability: float | None,
    ) -> None:
        self.eligible, self.shown, self.lookup = eligible, shown, lookup
        self.seed, self.min_reliability = seed, min_reliability
        self.stars = np.zeros(len(df), dtype=np.int64)
        self.notes = np.full(len(df), "", dtype=object)
        self.reliabilities = np.full(len(df), np.nan)
        self.versions: dict[str, int] = {}  # measure_id -> spec version (rate_results' versions)

    def rate(
        self,
        key: dict[str, str],
        group: pd.DataFrame,
        where: np.ndarray,
        members: np.ndarray,
        first_year: int | None,
    ) -> dict[str, Any]:
        """Rate the `members` of a pool of rows (`group`, at positions `where` of the results)
        against cut points clustered from the whole pool; return its cut-point row."""
        eligible, shown = self.eligible[where], self.shown[where] & members
        exempt = guardrail_exempt(first_year, key["period_id"])
        prior = _find_prior(self.lookup, key)
        changed = definition_changed(prior, self.versions.get(key["measure_id"]))
        level_rating = _rate_level(
            group, eligible, shown, prior, self.seed, self.min_reliability, exempt, changed
        )
        first = group.iloc[0]
        on = level_rating.rated
        values = round_half_up(group["value"].to_numpy(float)[on], int(first["decimals"]))
        got = stars_from_cut_points(np.atleast_1d(values), level_rating.points, first["direction"])
        self.stars[where[on]] = got.fillna(0).to_numpy(np.int64)
        own = where[members]
        self.notes[own] = level_rating.notes[members]
        self.reliabilities[own] = np.where(shown, level_rating.reliability, np.nan)[members]
        return _cut_point_row(key, level_rating, eligible, self.min_reliability, first_year)


def _cut_point_row(
    key: dict[str, str],
    level_rating: _LevelRating,
    eligible: np.ndarray,
    min_reliability: float | None,
    first_year: int | None,
) -> dict[str, Any]:
    """Return the cut-point row (CUT_POINT_COLUMNS) of one measure x period x level (`key`)
    rated as `level_rating` (_rate_level) over its `eligible` rows: see rate_results."""
    return {
        **key,
        **dict(zip(THRESHOLD_COLUMNS, level_rating.points, strict=True)),
        "method": level_rating.method,
        "n_entities": int(eligible.sum()),
        "n_reliable": _n_reliable(level_rating, eligible, min_reliability),
        "n_rated": int(level_rating.rated.sum()),
        "median_reliability": _median(level_rating.reliability[eligible]),
        "score_range": level_rating.score_range,
        "first_rated": pd.NA if first_year is None else int(first_year),
        "guardrail": level_rating.guardrail,
    }


def _reaches(reliabilities: np.ndarray, least: float | None) -> np.ndarray:
    """Return True where a reliability reaches `least` (everywhere when it is None)."""
    if least is None:
        return np.ones(reliabilities.shape, dtype=bool)
    return reliabilities >= least - 1e-12  # NaN (not worked out) never does


def _n_reliable(rating: _LevelRating, eligible: np.ndarray, least: float | None) -> float:
    """Return how many eligible rows reach the minimum reliability (NaN for fixed thresholds,
    which do not check it)."""
    if rating.method == "fixed":
        return np.nan
    return float(np.sum(eligible & _reaches(rating.reliability, least)))


def _median(values: np.ndarray) -> float:
    """Return the median of the finite values (NaN if none)."""
    finite = values[np.isfinite(values)]
    return float(np.median(finite)) if finite.size else np.nan


def round_half_star(x: Any) -> Any:
    """Return x rounded to the nearest half star, halves up (3.75 -> 4.0, 3.74 -> 3.5)."""
    return round_half_up(np.asarray(x, dtype=float) * 2, 0) / 2


# The CMS reward factor (2026 Technical Notes), as data: an entity's weighted mean of measure
# stars is 'high' at or above the 85th percentile of the entities' means, 'relatively high' at
# or above the 65th (below: no reward); the weighted variance of its stars is 'low' below the
# 30th percentile of the variances, 'medium' below the 70th ('high' variance: no reward).
REWARD_MEAN_PERCENTILES = {"high": 85, "relatively_high": 65}
REWARD_VARIANCE_PERCENTILES = {"low": 30, "medium": 70}
REWARD_FACTORS = {
    ("high", "low"): 0.4,
    ("high", "medium"): 0.3,
    ("relatively_high", "low"): 0.2,
    ("relatively_high", "medium"): 0.1,
}
# The summary_stars `reward` choices: CMS's reward factor, or none.
REWARDS = ("cms", "none")


def percentile(values: Iterable[float], q: float) -> float:
    """Return the q-th percentile of the finite values by SAS's default definition
    (PCTLDEF=5, as `quartiles`): CMS works its percentiles out in SAS."""
    arr = _clean(values)
    if arr.size == 0:
        return np.nan
    # PCTLDEF=5 is the empirical distribution function with averaging at jumps, which is
    # Hyndman & Fan type 2, numpy's "averaged_inverted_cdf".
    return float(np.percentile(arr, q, method="averaged_inverted_cdf"))


def reward_factor(means: pd.Series, variances: pd.Series) -> pd.Series:
    """Return the CMS reward factor (0 to 0.4) for entities, from percentiles across the
    entities with both a mean and a variance (REWARD_MEAN_PERCENTILES,
    REWARD_VARIANCE_PERCENTILES, REWARD_FACTORS; percentiles as `percentile`)."""
    ok = means.notna() & variances.notna()
    out = pd.Series(0.0, index=means.index)
    if not ok.any():
        return out
    m_high, m_rel = (
        percentile(means[ok], REWARD_MEAN_PERCENTILES[k]) for k in ("high", "relatively_high")
    )
    v_low, v_medium = (
        percentile(variances[ok], REWARD_VARIANCE_PERCENTILES[k]) for k in ("low", "medium")
    )
    mean_band = pd.Series(None, index=means.index, dtype=object)
    mean_band[means >= m_rel] = "relatively_high"
    mean_band[means >= m_high] = "high"
    variance_band = pd.Series(None, index=means.index, dtype=object)
    variance_band[variances < v_medium] = "medium"
    variance_band[variances < v_low] = "low"
    for (mean_key, variance_key), factor in REWARD_FACTORS.items():
        out[ok & (mean_band == mean_key) & (variance_band == variance_key)] = factor
    return out


# An entity's summary rating is worked out among the entities of its period, level and peer
# group (stats.PEER_GROUP): the measures it could be rated on and the reward percentiles.
SUMMARY_KEYS = ["period_id", "level", stats.PEER_GROUP]


def ratable_measures(rated: pd.DataFrame) -> pd.DataFrame:
    """Return n_measures per period x level x peer group: the measures of `rated` with stars
    for at least one entity of that level and peer group in that period (the measures an
    entity there could be rated on).

    A measure nobody there has stars on (e.g. fewer than MIN_ENTITIES_RELATIVE entities had
    enough data to set cut points) is left out, so it counts against no one.
    """
    keys = SUMMARY_KEYS
    with_stars = rated[rated["stars"].notna()]
    counts = with_stars.groupby(keys)["measure_id"].nunique()
    levels = rated[keys].drop_duplicates().set_index(keys).index
    return counts.reindex(levels, fill_value=0).rename("n_measures").reset_index()


def _family_rows(rated: pd.DataFrame, family: str, weighted: bool) -> pd.DataFrame:
    """Return one summary row per entity for the measures of `rated` (already one family)."""
    keys = SUMMARY_KEYS
    entity = [*keys, "entity_id"]
    n_measures = ratable_measures(rated)
    r = pd.DataFrame(
        {
            **{k: rated[k] for k in entity},
            "s": rated["stars"].astype(float),
            "w": rated["weight"].astype(float) if weighted else 1.0,
        }
    )
    r = r[r["s"].notna() & (r["w"] > 0)]
    r["ws"] = r["s"] * r["w"]
    sums = r.groupby(entity).agg(n_rated=("s", "size"), ws=("ws", "sum"), w=("w", "sum"))
    sums["average"] = sums["ws"] / sums["w"]
    r = r.join(sums["average"], on=entity)
    r["dev"] = r["w"] * (r["s"] - r["average"]) ** 2
    n = sums["n_rated"]
    sums["var"] = (r.groupby(entity)["dev"].sum() / sums["w"] * n / (n - 1)).where(n > 1)
    out = rated[entity].drop_duplicates().merge(sums.reset_index(), on=entity, how="left")
    out = out.merge(n_measures, on=keys, how="left")
    out["n_rated"] = out["n_rated"].fillna(0).astype(int)
    out["family"] = family
    return out


def _add_reward(overall: pd.DataFrame, min_share: float, min_measures: int) -> pd.DataFrame:
    """Return `overall` with the CMS reward factor in `reward` (0 for an entity without an
    overall rating) and added to `average`, not capped: the stars are (summary_stars), so that
    `average` less `reward` is always the average of the measure stars the tiers read (4.8 with
    a reward of 0.4 is 5.2, 5 stars). The percentiles are taken over the entities of the same
    period, level and peer group that have an overall rating."""
    enough = overall["n_rated"] >= measures_needed(overall["n_measures"], min_share, min_measures)
    means = overall["average"].where(enough)
    variances = overall["var"].where(enough)
    factor = pd.Series(0.0, index=overall.index)
    for _, idx in overall.groupby(SUMMARY_KEYS).groups.items():
        factor[idx] = reward_factor(means[idx], variances[idx])
    return overall.assign(average=overall["average"] + factor, reward=factor)


def measures_needed(
    n_measures: Any, min_share: float = MIN_RATED_SHARE, min_measures: Any = MIN_RATED_MEASURES
) -> Any:
    """Return the fewest measures with stars a rating needs out of `n_measures` it could be
    rated on: at least `min_share` of them and at least `min_measures` (the overall rating:
    MIN_RATED_MEASURES; an area rating: 1). Works on a number or an array of them."""
    share = np.ceil(np.asarray(n_measures, dtype=float) * min_share - 1e-9)
    needed = np.maximum(share, min_measures).astype(int)
    return needed if needed.ndim else int(needed)


def enough_reliable(n_reliable: float, n_eligible: float) -> bool:
    """Return True when at least MIN_RELIABLE_SHARE of the `n_eligible` results with enough
    data are reliable: a level is rated only then."""
    return bool(n_reliable >= MIN_RELIABLE_SHARE * n_eligible)


def least_measures(family: Any, min_measures: int = MIN_RATED_MEASURES) -> Any:
    """Return the fewest measures with stars a rating of `family` needs whatever its share:
    `min_measures` for the overall rating, 1 for an area (half is enough). Works on a name or
    an array of them."""
    least = np.where(np.asarray(family) == "overall", min_measures, 1)
    return least if least.ndim else int(least)


def summary_stars(
    rated: pd.DataFrame,
    min_share: float = MIN_RATED_SHARE,
    reward: str | None = None,
    min_measures: int = MIN_RATED_MEASURES,
) -> pd.DataFrame:
    """Return family and overall star ratings per period x level x entity.

    Columns: period_id, level, peer_group, entity_id, family, stars, n_rated, n_measures,
    rated_share, average, reward. Family ratings are the unweighted mean of measure stars
    (like CMS domain ratings); 'overall' is the mean weighted by `weight`. `stars` is `average`
    rounded to the nearest half star, NaN when the entity has stars on fewer than `min_share` of the
    measures it could be rated on, or (overall rows) on fewer than `min_measures` measures
    (`measures_needed`). n_measures counts those measures (see `ratable_measures`):
    star_method other than 'none', and stars for at least one entity of the level in the
    period (and peer group: a CP is rated among CPs of its type), as CMS counts only the
    measures a contract can be rated on. reward='cms' adds the
    CMS reward factor (0-0.4, see `reward_factor`) to the overall average before rounding (the
    stars capped at 5, the average not: 4.8 + 0.4 is 5.2): `average` includes it and `reward`
    says how much it was (NaN on family rows, and on every row without a reward: None or
    'none').
    """
    if reward not in (None, *REWARDS):
        raise ValueError(f"reward must be one of {REWARDS} or None, got {reward!r}")
    base = rated[
        (rated["level"] != "program")
        & (rated["stratum"] == "all")
        & (rated["star_method"] != "none")
    ]
    base = base.assign(**{stats.PEER_GROUP: stats.peer_group_of(base)})
    parts = [_family_rows(base[base["family"] == f], f, weighted=False) for f in FAMILIES]
    overall = _family_rows(base, "overall", weighted=True)
    if reward == "cms":
        overall = _add_reward(overall, min_share, min_measures)
    out = pd.concat([*parts, overall], ignore_index=True)
    if "reward" not in out.columns:
        out["reward"] = np.nan
    out["rated_share"] = out["n_rated"] / out["n_measures"]
    out["stars"] = round_half_star(np.minimum(out["average"], 5.0))  # a reward tops out at 5
    least = least_measures(out["family"], min_measures)
    out.loc[out["n_rated"] < measures_needed(out["n_measures"], min_share, least), "stars"] = np.nan
    columns = [*SUMMARY_KEYS, "entity_id", "family", "stars", "n_rated", "n_measures"]
    return out[[*columns, "rated_share", "average", "reward"]].reset_index(drop=True)


def average_before_reward(summary: pd.DataFrame) -> pd.Series:
    """Return each summary row's `average` less its `reward` (none: nothing to take off): the
    weighted average of its measure stars, which the incentive tiers read. The reward factor is
    a bonus CMS adds to the summary rating, not part of an average of stars."""
    if "reward" not in summary.columns:
        return summary["average"].astype(float)
    return summary["average"].astype(float) - summary["reward"].astype(float).fillna(0.0)


def tier_for(stars: float | pd.Series, tiers: Sequence[Mapping[str, Any]]) -> Any:
    """Return the name of the highest tier whose min_stars the stars reach (None if none/NaN)."""
    ordered = sorted(tiers, key=lambda t: float(t["min_stars"]), reverse=True)

    def one(s: float) -> str | None:
        if s is None or pd.isna(s):
            return None
        for tier in ordered:
            if s >= float(tier["min_stars"]) - 1e-9:
                return str(tier["name"])
        return None

    if isinstance(stars, pd.Series):
        return stars.map(one).astype(object)
    return one(stars)


# What the direction column of `scorecard stars cut-points` input may say: the spec's words,
# or the short ones.
DIRECTION_WORDS = {HIGHER: HIGHER, LOWER: LOWER, "higher": HIGHER, "lower": LOWER}


def cut_points_input(
    df: pd.DataFrame, known: Mapping[str, tuple[str, int]], name: str = "input"
) -> tuple[pd.DataFrame, list[str]]:
    """Return the score table of `scorecard stars cut-points` ready for cut_points_table, and
    its problems (each naming `name`, the row's line, the column and the row).

    `known`: measure id -> (direction, decimals) of the measures in the catalogue (specs): a
    known measure takes both from there, and a direction or decimals in the file that differs
    is a problem. Other measures read the optional columns direction (higher_is_better or
    lower_is_better; higher and lower do too; default higher_is_better) and decimals (a whole
    number from 0; default 0). Every score must be a number."""
    out = df.copy()
    problems: list[str] = []

    def problem(index: Any, column: str, text: str) -> None:
        row = {k: ("" if pd.isna(v) else v) for k, v in df.loc[index].to_dict().items()}
        problems.append(f"{name}: line {int(index) + 2}, column {column}: {text}; the row: {row}")

    scores = pd.to_numeric(out["score"], errors="coerce")
    for index in out.index[scores.isna()]:
        given = df.at[index, "score"]
        problem(index, "score", "blank" if pd.isna(given) else f"{given!r} is not a number")
    out["score"] = scores
    directions, decimals = [], []
    for index, measure in out["measure_id"].astype(str).items():
        given_direction = out.at[index, "direction"] if "direction" in out.columns else None
        given_decimals = out.at[index, "decimals"] if "decimals" in out.columns else None
        direction = DIRECTION_WORDS.get(str(given_direction).strip().lower())
        if given_direction is not None and not pd.isna(given_direction) and direction is None:
            problem(
                index,
                "direction",
                f"{given_direction!r} is not higher_is_better or lower_is_better",
            )
        places: int | None = None
        if given_decimals is not None and not pd.isna(given_decimals):
            number = pd.to_numeric(pd.Series([given_decimals]), errors="coerce").iloc[0]
            if pd.isna(number) or number < 0 or number != int(number):
                problem(index, "decimals", f"{given_decimals!r} is not a whole number from 0")
            else:
                places = int(number)
        if measure in known:
            spec_direction, spec_decimals = known[measure]
            if spec_direction not in (HIGHER, LOWER):
                problem(index, "measure_id", f"{measure} has no better direction: no stars")
            elif direction is not None and direction != spec_direction:
                problem(index, "direction", f"{measure} is {spec_direction} in its spec")
            if places is not None and places != spec_decimals:
                problem(index, "decimals", f"{measure} has {spec_decimals} decimals in its spec")
            direction, places = spec_direction, spec_decimals
        directions.append(direction or HIGHER)
        decimals.append(0 if places is None else places)
    out["direction"], out["decimals"] = directions, decimals
    return out, problems


def cut_points_table(
    df: pd.DataFrame, seed: int = CMS_SEED, folds: int = 10, tukey: bool = True
) -> pd.DataFrame:
    """Return measure_id, t2..t5 computed by `cut_points` for each measure in a score table.

    Input columns: measure_id, score, optional direction (default higher_is_better) and
    decimals (default 0), both read from a measure's first row. Backs `scorecard stars
    cut-points`.
    """
    missing = {"measure_id", "score"} - set(df.columns)
    if missing:
        raise ValueError(f"cut-points input lacks column(s): {', '.join(sorted(missing))}")
    rows = []
    for measure, group in df.groupby("measure_id", sort=False):
        first = group.iloc[0]
        direction = first["direction"] if "direction" in group.columns else HIGHER
        decimals = first["decimals"] if "decimals" in group.columns else 0
        direction = HIGHER if pd.isna(direction) else str(direction)
        decimals = 0 if pd.isna(decimals) else int(decimals)
        scores = pd.to_numeric(group["score"], errors="coerce").to_numpy(float)
        points = cut_points(scores, direction, decimals, seed=seed, folds=folds, tukey=tukey)
        rows.append({"measure_id": measure, **dict(zip(THRESHOLD_COLUMNS, points, strict=True))})
    return pd.DataFrame(rows, columns=["measure_id", *THRESHOLD_COLUMNS])
