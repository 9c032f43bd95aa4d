"""The one pipeline: settings -> specs -> marts -> results -> stars -> pages -> publish.

Everything is computed before any page is rendered; pages read only from the scored tables.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pandas as pd
import yaml

from scorecard import audience as audiences
from scorecard import disclosure, disk, drug_list, engine, parallel, ratings, stats
from scorecard import history as results_history
from scorecard.compile import MeasureShapeError, describe_sql, shape_problem, sql_path
from scorecard.extract import ExtractCache
from scorecard.i18n import LANGS
from scorecard.marts import (
    MartError,
    find_mart_files,
    mart_files,
    read_organizations,
    unread_files,
    unread_note,
)
from scorecard.plausibility import (
    RUNOUT,
    Finding,
    reader_notes,
    recorded_warnings,
    runout_warnings,
)
from scorecard.publish import (
    PublishError,
    VersionExistsError,
    check_can_publish,
    edition_manifest,
    is_edition,
    publish_edition,
    published_versions,
    states,
    version_key,
)
from scorecard.resources import resource_root
from scorecard.settings import Settings
from scorecard.site import SiteInput, peer_group_sizes, published_rows
from scorecard.specs import FRAGMENT_FOLDER, SHARED_FOLDER, MeasureSpec, SpecError, load_specs


class BuildError(Exception):
    """A build stopped on bad input; nothing published was touched."""

    def __init__(self, title: str, problems: list):
        self.title = title
        self.problems = problems
        super().__init__(f"{title}: " + "; ".join(str(p) for p in problems))


@dataclass
class Scored:
    """The tables the site is rendered from."""

    results: pd.DataFrame
    summary: pd.DataFrame
    benchmarks: pd.DataFrame
    cut_points: pd.DataFrame


@dataclass
class BuildReport:
    period_id: str
    version_dir: Path
    n_measures: int
    n_entities: int
    skipped: dict[str, str] = field(default_factory=dict)
    unread: list[str] = field(default_factory=list)  # files in the marts folder no table's
    warnings: list[Finding] = field(default_factory=list)  # scorecard/plausibility.py
    seconds: dict[str, float] = field(default_factory=dict)  # measure id -> wall time
    steps: dict[str, float] = field(default_factory=dict)  # step of engine.run -> wall time
    not_stored: list[str] = field(default_factory=list)  # periods left out of the history
    privacy: disclosure.Audit | None = None  # the privacy check of a partner or public edition
    state: str = "active"  # kept from before when a hidden or retired edition is rebuilt
    unchanged: bool = False  # --force built it identical to the published one: left as it was

    def timing_lines(self, slowest: int = 10) -> list[str]:
        """Return the wall time of each step of the computing, of all the measures computed
        and of the slowest of them."""
        lines = ["Computing, step by step:"] if self.steps else []
        lines += [f"  {seconds:6.1f} s  {step}" for step, seconds in self.steps.items()]
        if self.privacy is not None:
            lines.append(f"  {self.privacy.seconds:6.1f} s  privacy check (before publishing)")
        if not self.seconds:
            return lines + [
                "Measures computed: none timed (the Spark engine does not time them one by one)"
            ]
        total = sum(self.seconds.values())
        ranked = sorted(self.seconds.items(), key=lambda item: (-item[1], item[0]))[:slowest]
        lines += [f"Measures computed: {len(self.seconds)} in {total:.1f} s; the slowest:"]
        lines += [f"  {seconds:6.1f} s  {measure_id}" for measure_id, seconds in ranked]
        return lines

    def state_note(self) -> str:
        """Return ' (hidden: run ... to show it)' for an edition rebuilt while hidden (or
        retired), whose state the build keeps; '' for an active one."""
        if self.state == "active":
            return ""
        show = f"`scorecard versions show {self.period_id} --out {self.version_dir.parent}`"
        wanted = "to show it" if self.state == "hidden" else "to make it active again"
        return f" ({self.state}: run {show} {wanted})"

    def summary(self) -> str:
        """Return a few lines telling what was published and what was skipped."""
        lines = [
            f"Published {self.period_id}{self.state_note()}: {self.n_measures} measures, "
            f"{self.n_entities} entities -> {self.version_dir}"
        ]
        if self.unchanged:
            lines = [
                f"{self.period_id} rebuilt: identical to the published edition, left as it was "
                f"({self.version_dir})"
            ]
        lines += unread_lines(self.unread) + warning_lines(self.warnings)
        lines += [f"  {line}" for line in (self.privacy.lines() if self.privacy else [])]
        lines += [
            f"  not kept in the results history: {period} (its claims look incomplete; the "
            "next build with this history computes it again)"
            for period in self.not_stored
        ]
        lines += skipped_lines(self.skipped)
        return "\n".join(lines)


def warning_lines(warnings: list[Finding]) -> list[str]:
    """Return one line for each warning about the marts."""
    return [f"  warning: {w.message}" for w in warnings]


def skipped_lines(skipped: dict[str, str]) -> list[str]:
    """Return the lines telling which measures were skipped and why: one for all those whose
    tables were not supplied (how many, and the tables), one for each other reason."""
    lacking = {mid: why for mid, why in skipped.items() if why.startswith(engine.NOT_SUPPLIED)}
    tables = sorted({t for why in lacking.values() for t in engine.not_supplied(why)})
    lines = []
    if lacking:
        lines.append(
            f"  skipped {plural(len(lacking), 'measure')}, as these tables are not supplied: "
            f"{', '.join(tables)}"
        )
    reasons: dict[str, list[str]] = {}
    for mid, why in sorted(skipped.items()):
        if mid not in lacking:
            reasons.setdefault(why, []).append(mid)
    lines += [f"  skipped {', '.join(ids)}: {why}" for why, ids in reasons.items()]
    return lines


def plural(count: int, noun: str) -> str:
    """Return e.g. '1 measure', '55 measures'."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def unread_lines(unread: list[str]) -> list[str]:
    """Return the line naming the files of the marts folder that were not read, if any."""
    return [f"  {unread_note(unread)}"] if unread else []


@dataclass
class CheckReport:
    tables: set[str]
    specs: list[MeasureSpec]
    skipped: dict[str, str]
    problems: list
    kept_in: Path | None = None  # the cache folder the marts checked earlier were read from
    unread: list[str] = field(default_factory=list)  # files in the marts folder no table's
    warnings: list[Finding] = field(default_factory=list)  # scorecard/plausibility.py
    specs_read: bool = True  # False when the specs have problems (listed with the others)

    def lines(self) -> list[str]:
        """Return the human-readable lines of the check."""
        lines = [f"marts: {len(self.tables)} table(s): {', '.join(sorted(self.tables)) or '-'}"]
        lines += unread_lines(self.unread) + warning_lines(self.warnings)
        if self.kept_in:
            lines.append(f"  checked earlier (the same files), kept in {self.kept_in}")
        if not self.specs_read:
            lines.append("measures: not read, the specs have problems (listed below)")
        else:
            lines.append(f"measures: {len(self.specs)} spec(s) read")
        if not self.problems:  # else the problems say why measures cannot run
            lines += skipped_lines(self.skipped)
        return lines


def read_specs(settings: Settings) -> list[MeasureSpec]:
    """Return the measure specs, or raise BuildError listing every spec problem."""
    try:
        return load_specs(settings.measures)
    except SpecError as exc:
        raise BuildError("measure specs are invalid", exc.problems) from exc


def compute(
    settings: Settings, specs: list[MeasureSpec], cache: ExtractCache | None = None
) -> engine.EngineRun:
    """Return the engine run over the marts, or raise BuildError listing every mart problem.
    `cache`: the marts' place in settings.cache, if already looked up."""
    check_history(settings)
    check_cache(settings)
    cache = cache or extract_cache(settings)
    kept = cache.kept if cache else None
    with engine.working_connection(settings.threads, settings.memory_limit, kept) as con:
        try:
            run = _run_engine(settings, specs, con, cache)
        except MartError as exc:
            raise BuildError(exc.title, exc.problems) from exc
        except MeasureShapeError as exc:  # as `scorecard check` reports it
            raise BuildError("measure SQL is invalid", [str(exc)]) from exc
        run.panels = engine.panel_sizes(con, run.period_id)
        run.warnings = [
            *recorded_warnings(con),
            *run.warnings,  # the engine's (drug_list.check)
            *runout_warnings(con, run.period_id, run.tables),
        ]
        if audiences.parse_audience(settings.audience).person_level:
            run.care_gaps = engine.care_gap_rows(con, specs, run.period_id)
    return run


def extract_cache(settings: Settings) -> ExtractCache | None:
    """Return the marts' place in the cache folder, if the settings name one."""
    return ExtractCache.look_up(settings.cache, settings.data) if settings.cache else None


def _run_engine(
    settings: Settings,
    specs: list[MeasureSpec],
    con: duckdb.DuckDBPyConnection,
    cache: ExtractCache | None,
) -> engine.EngineRun:
    if settings.engine == "spark":  # marts validated in DuckDB, measures run in Spark
        from scorecard import spark_engine

        return spark_engine.run(
            settings.data,
            settings.value_sets,
            specs,
            settings.period,
            master=settings.spark_master,
            con=con,
            cache=cache,
        )
    if settings.engine == "duckdb":
        return engine.run(
            settings.data, settings.value_sets, specs, settings.period, con, settings.history, cache
        )
    raise BuildError("bad setting", [f"engine: '{settings.engine}': use duckdb or spark"])


def check_cache(settings: Settings) -> None:
    """Raise BuildError if the cache folder lies inside the published site: it holds the
    marts' person-level rows."""
    if settings.cache and Path(settings.cache).resolve().is_relative_to(settings.out.resolve()):
        raise BuildError(
            "bad setting",
            [
                f"cache: {settings.cache} holds person-level rows and must not be inside the "
                f"published site {settings.out}; choose a folder outside it"
            ],
        )


def check_history(settings: Settings) -> None:
    """Raise BuildError if the results history cannot be used with these settings."""
    if settings.history is None:
        return
    if settings.engine != "duckdb":
        raise BuildError("bad setting", ["history: works with --engine duckdb only"])
    try:
        results_history.check_location(settings.history, settings.out)
    except results_history.HistoryError as exc:
        raise BuildError("bad setting", [str(exc)]) from exc


def store_history(settings: Settings, run: engine.EngineRun, cut_points: pd.DataFrame) -> list[str]:
    """Add the results computed by this build, and the `cut_points` its quarter was rated with
    (read back by rated_before), to the results history, if there is one; return the periods
    left out of it.

    The published quarter is left out when its claims look incomplete (a run-out warning):
    its results would otherwise be read back, too low, into every later edition's trends.
    Left out, the next build with this history computes that quarter again from its newer
    claims (the edition already published keeps its own numbers and its note).
    """
    if settings.history is not None:
        results_history.write_cut_points(settings.history, run.period_id, cut_points)
    if settings.history is None or run.computed_rows is None:
        return []
    left_out = [run.period_id] if any(f.kind == RUNOUT for f in run.warnings) else []
    kept = run.computed_rows[~run.computed_rows["period_id"].isin(left_out)]
    results_history.write_rows(settings.history, kept, run.definitions)
    return left_out


def rated_before(settings: Settings) -> pd.DataFrame:
    """Return the cut points of the quarters rated before, as the results history keeps them
    (history.read_cut_points; none without --history).

    The star ratings of a quarter depend on earlier quarters' (the guardrails, a measure's
    first year) and on nothing else outside the build's inputs: not on the editions already in
    --out, which differ from one audience's folder to another's.
    """
    if settings.history is None:
        return pd.DataFrame(columns=["measure_id", "period_id"])
    return results_history.read_cut_points(settings.history)


def prior_cut_points(rated: pd.DataFrame, period_id: str) -> pd.DataFrame | None:
    """Return the cut points `rated` (rated_before) holds for the same quarter a year before
    `period_id` (ratings.GUARDRAIL_QUARTERS back), or None if it holds none.

    CMS applies its guardrails year over year. They are that quarter's own cut points (with
    the score range each was clustered from and the measure version each was rated under, when
    kept), returned without a period_id so that the guardrails apply them to the period being
    rated; those of another version than the spec's now cap nothing
    (ratings.definition_changed).
    """
    year_before = str(pd.Period(period_id, freq="Q") - ratings.GUARDRAIL_QUARTERS)
    prior = rated[rated["period_id"] == year_before]
    return None if prior.empty else prior.drop(columns="period_id").reset_index(drop=True)


def measures_first_rated(
    specs: list[MeasureSpec], rated: pd.DataFrame, period_id: str
) -> dict[str, int]:
    """Return measure_id -> the year each rated measure was first rated, for the guardrails'
    exemption of new measures (ratings.guardrail_exempt) and their weight.

    The spec's `stars.first_rated` when given; else the year of the earliest period that
    `rated` (rated_before) has cut points for it in; else the year of `period_id` (rated for
    the first time now).
    """
    earliest = earliest_rated_years(rated)
    this_year = _year_of(period_id)
    return {
        s.id: min(earliest.get(s.id, this_year), this_year)
        if s.stars.first_rated is None
        else s.stars.first_rated
        for s in specs
        if s.stars.method != "none"
    }


def earliest_rated_years(rated: pd.DataFrame) -> dict[str, int]:
    """Return measure_id -> the year of the earliest period with cut points (at some level)
    for it in `rated` ({} when there are none)."""
    if rated.empty:
        return {}
    with_points = rated[rated[list(ratings.THRESHOLD_COLUMNS)].notna().all(axis=1)]
    years = with_points.assign(year=with_points["period_id"].map(_year_of))
    return {str(m): int(y) for m, y in years.groupby("measure_id")["year"].min().items()}


def _year_of(period_id: str) -> int:
    """Return the calendar year of a quarter id (2025Q4 -> 2025)."""
    return pd.Period(str(period_id), freq="Q").year


TIERS_FILE = "_tiers.yml"


def read_tiers(measures_dir: Path) -> list[dict]:
    """Return the incentive tiers of measures/_tiers.yml, highest first ([] when absent).

    Each tier has a `name`, a `min_stars` from 0 to 5 (the lowest unrounded average star
    rating in the tier) and optionally `name_es`, its name in Spanish. Raise BuildError naming
    the file and the field of every problem.
    """
    path = Path(measures_dir) / TIERS_FILE
    if not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise BuildError("incentive tiers are invalid", [f"{path}: not valid YAML: {exc}"]) from exc
    tiers = data.get("tiers") if isinstance(data, dict) else None
    if not isinstance(tiers, list) or not tiers:
        raise BuildError("incentive tiers are invalid", [f"{path}: tiers: needs a list of tiers"])
    problems = [p for i, tier in enumerate(tiers) for p in _tier_problems(path, i, tier)]
    if not problems:
        for field_name in ("name", "min_stars"):
            values = [t[field_name] for t in tiers]
            if len(set(values)) < len(values):
                problems.append(f"{path}: tiers: two tiers share the same {field_name}")
    if problems:
        raise BuildError("incentive tiers are invalid", problems)
    return sorted(tiers, key=lambda t: float(t["min_stars"]), reverse=True)


def _tier_problems(path: Path, index: int, tier: object) -> list[str]:
    """Return the problems of one tier of the tiers file (see read_tiers)."""
    where = f"{path}: tiers[{index}]"
    if not isinstance(tier, dict):
        return [f"{where}: needs name and min_stars"]
    problems = [f"{where}: {k}: needs a value" for k in ("name", "min_stars") if k not in tier]
    problems += [f"{where}: {k}: unknown field" for k in tier if k not in TIER_FIELDS]
    for key in ("name", "name_es"):
        if key in tier and (not isinstance(tier[key], str) or not tier[key].strip()):
            problems.append(f"{where}: {key}: needs some text, got {tier[key]!r}")
    stars = tier.get("min_stars", 0)
    if isinstance(stars, bool) or not isinstance(stars, int | float) or not 0 <= stars <= 5:
        problems.append(f"{where}: min_stars: needs a number from 0 to 5, got {stars!r}")
    return problems


TIER_FIELDS = ("name", "name_es", "min_stars")


def add_tiers(summary: pd.DataFrame, tiers: list[dict]) -> pd.DataFrame:
    """Return the summary with a `tier` column on overall rows, from the unrounded weighted
    average of the measure stars before any reward factor (ratings.average_before_reward): the
    tiers (seed 003) go by average star rating, and the reward is a bonus added to the overall
    rating, not a star. The overall stars keep the reward.

    Only entities with an overall rating get a tier: one "Not rated" overall has none.
    """
    summary = summary.copy()
    summary["tier"] = None
    if tiers:
        overall = (summary["family"] == "overall") & summary["stars"].notna()
        average = ratings.average_before_reward(summary.loc[overall])
        summary.loc[overall, "tier"] = ratings.tier_for(average, tiers)
    return summary


def score(
    results: pd.DataFrame,
    prior: pd.DataFrame | None,
    seed: int,
    period_id: str | None = None,
    organizations: pd.DataFrame | None = None,
    first_rated: Mapping[str, int] | None = None,
    reward: str = "cms",
    versions: Mapping[str, int] | None = None,
) -> Scored:
    """Return results with intervals, suppression, stars and labels, and the summary tables.

    Only `period_id`, the period published (by default the latest period of the results, as
    the engine computes up to the period asked for), is rated: the pages show only its stars,
    so rows of earlier periods (trend charts, downloads) carry none and cut_points has that
    period only. `organizations` (EngineRun.organizations) gives each practice's ACO, whose
    results its practices add up to (suppression protects them as a group), and each CP's
    type: a CP is compared with CPs of its own type (stats.PEER_GROUP). `first_rated`
    (measures_first_rated) spares new measures the guardrails; `reward` is the summary
    ratings' reward factor ('cms' or 'none', ratings.REWARDS); `versions` (measure_id -> spec
    version) is kept with the cut points, and spares a measure whose prior cut points were
    rated under another version the guardrails (ratings.definition_changed).
    """
    results = stats.add_intervals(results)
    results = audiences.suppress(results, organizations)
    results = stats.with_peer_groups(results, audiences.cp_types(organizations))
    rated = latest_period(results) if period_id is None else period_id
    # The trend labels (a test of every row against an earlier period, the longest part) do
    # not depend on the stars: a large build makes them in a forked process meanwhile.
    fork = parallel.workers(len(results) >= PARALLEL_SCORING) > 1
    trends = parallel.Later(_trend_labels, (results,), fork)
    try:
        peers = stats.peer_label(results)["peer_label"].to_numpy()
        benchmarks = stats.benchmarks(results)
        results, cut_points = ratings.rate_results(
            results,
            prior_cut_points=prior,
            seed=seed,
            periods=[rated],
            first_rated=first_rated,
            versions=versions,
        )
    except BaseException:
        trends.cancel()
        raise
    results["peer_label"] = peers  # results: rate_results' copy, same rows
    results["trend_label"] = trends.wait()
    summary = ratings.summary_stars(results, reward=reward)
    return Scored(results, summary, benchmarks, cut_points)


# Results with fewer rows are scored in one process (their trend labels take under 0.4 s).
PARALLEL_SCORING = 200_000


def _trend_labels(results: pd.DataFrame) -> Any:
    """Return the trend label of every row of results, in their order."""
    return stats.trend_label(results)["trend_label"].to_numpy()


def latest_period(results: pd.DataFrame) -> str:
    """Return the period of the results that ends last (the largest id without period_end)."""
    if "period_end" in results.columns and results["period_end"].notna().any():
        ends = pd.to_datetime(results["period_end"])
        return str(results.loc[ends.idxmax(), "period_id"])
    return str(results["period_id"].max())


# The SHA-256 of each file hashed in this run, by (path, size, mtime_ns): the manifest and
# build_inputs of every audience published from one run read the same marts (gigabytes at a
# million members), hashed once. A file written again has another size or time, so it is
# hashed again; build_site starts each run with none (forget_file_hashes).
_FILE_HASHES: dict[tuple[str, int, int], str] = {}


def forget_file_hashes() -> None:
    """Forget the hashes file_sha256 kept: a new run hashes its files afresh."""
    _FILE_HASHES.clear()


def file_sha256(path: Path) -> str:
    """Return the hex SHA-256 of a file's bytes; for a folder of mart files, of each file's
    path inside the folder and SHA-256, in name order. A file's is hashed once in a run, kept
    by its path, size and modification time (_FILE_HASHES)."""
    if path.is_dir():
        listing = "".join(
            f"{f.relative_to(path).as_posix()}\t{file_sha256(f)}\n" for f in mart_files(path)
        )
        return hashlib.sha256(listing.encode("utf-8")).hexdigest()
    stat = path.stat()
    key = (str(path.absolute()), stat.st_size, stat.st_mtime_ns)
    if key not in _FILE_HASHES:
        _FILE_HASHES[key] = bytes_sha256(path)
    return _FILE_HASHES[key]


def bytes_sha256(path: Path) -> str:
    """Return the hex SHA-256 of the bytes of the file at `path`, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest(settings: Settings, specs: list[MeasureSpec], run: engine.EngineRun) -> dict:
    """Return the provenance of a version: inputs and their hashes, spec versions, tool, period."""
    inputs = find_mart_files(settings.data)
    value_sets = sorted(Path(settings.value_sets).glob("*.csv"))
    return {
        "period": run.period_id,
        "audience": settings.audience,
        "star_reward": settings.reward,
        "tool_version": version("scorecard"),
        "data_from": run.data_start.isoformat(),
        "data_as_of": run.data_end.isoformat(),
        "inputs": {name: file_sha256(path) for name, path in sorted(inputs.items())},
        "value_sets": {p.stem: file_sha256(p) for p in value_sets},
        "measures": {s.id: s.version for s in specs if s.id not in run.skipped},
        **changed_since_previous(settings.out, run.period_id, specs, run.skipped),
        "measure_files": measure_file_hashes(settings.measures, specs),
        "libraries": {name: version(name) for name in LIBRARIES},
        "skipped_measures": dict(sorted(run.skipped.items())),
        "data_notes": reader_notes(run.warnings, run.period_id, "en"),
        **history_provenance(run),
        "star_seed": settings.seed,
    }


def previous_edition(out_root: Path, period_id: str) -> str | None:
    """Return the newest edition in out_root's menu (published_versions: active or retired)
    of a quarter before `period_id`, or None (a first edition)."""
    key = version_key(period_id)
    earlier = [v for v in published_versions(out_root) if version_key(v) < key]
    return max(earlier, key=version_key) if earlier else None


def changed_since_previous(
    out_root: Path, period_id: str, specs: list[MeasureSpec], skipped: Mapping[str, str]
) -> dict:
    """Return {"previous_edition": its id, "changed_since_previous": [{measure_id, from, to}]}:
    the measures published now whose spec version differs from the one the previous edition
    (previous_edition) records in its manifest, in id order; nothing for a first edition.

    Every quarter of such a measure's trend is worked out again under the new definition (the
    results history holds none under it), so the earlier quarters' numbers differ from those
    that edition published: the measure, methodology and provenance pages say so."""
    previous = previous_edition(out_root, period_id)
    if previous is None:
        return {}
    before = edition_manifest(out_root, previous).get("measures") or {}
    changed = [
        {"measure_id": s.id, "from": _version_of(before[s.id]), "to": s.version}
        for s in sorted(specs, key=lambda s: s.id)
        if s.id not in skipped and _version_of(before.get(s.id)) not in (None, s.version)
    ]
    return {"previous_edition": previous, "changed_since_previous": changed}


LAST_EDITION_COLUMNS = [
    "measure_id",
    "level",
    "entity_id",
    "kind",
    "value",
    "numerator",
    "denominator",
    "suppressed",
]


def last_edition_results(out_root: Path, edition: Mapping[str, Any]) -> pd.DataFrame | None:
    """Return the results for all members (the program's and each organisation's) that the
    previous edition published for its own quarter, of the measures whose definition changed
    since (`edition`: the manifest of the edition being made, with previous_edition and
    changed_since_previous), as that edition's downloads/results.parquet holds them
    (LAST_EDITION_COLUMNS); None without such a measure or when that file cannot be read.

    Read once a build: the measure page quotes the program's beside its note on the change,
    an organisation's pages their own. Read from the edition itself, not the results history,
    which no longer holds the old definition's rows once this build has stored the new ones,
    and holds counts no edition may show: these are the numbers that edition showed the
    readers of this same folder (the same audience)."""
    previous = edition.get("previous_edition")
    changed = {c["measure_id"] for c in edition.get("changed_since_previous") or []}
    if not previous or not changed:
        return None
    path = Path(out_root) / str(previous) / "downloads" / "results.parquet"
    try:
        rows = pd.read_parquet(path)
        wanted = (
            rows["measure_id"].isin(changed)
            & (rows["period_id"] == previous)
            & (rows["stratum"] == "all")
        )
        return rows.loc[wanted, LAST_EDITION_COLUMNS].reset_index(drop=True)
    except (OSError, ValueError, KeyError):  # no such file, not Parquet, not its columns
        return None


def _version_of(value: object) -> int | None:
    """Return a manifest's version of a measure as an int (None when missing or not one)."""
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


def history_provenance(run: engine.EngineRun) -> dict:
    """Return {"results_history": what was computed and which earlier quarters were read
    back from the results history}, or nothing when the build had no history."""
    if run.history_plan is None:
        return {}
    read_back = sorted({p for periods in run.history_plan.reuse.values() for p in periods})
    return {"results_history": {**run.history_plan.summary(), "periods_read_back": read_back}}


LIBRARIES = ("duckdb", "pandas", "pyarrow", "mkdocs", "mkdocs-material", "plotly")


def measure_file_hashes(measures_dir: Path, specs: list[MeasureSpec]) -> dict[str, str]:
    """Return the SHA-256 of each spec's YAML and SQL file, of the SQL fragments they include
    (so a change in a shared fragment shows) and of the tiers file, by path inside measures_dir."""
    paths = [f"{s.id}.yml" for s in specs] + [s.sql_file for s in specs if s.sql_file]
    paths += [fragment for s in specs for fragment in s.sql_includes]
    paths.append(TIERS_FILE)  # the incentive tiers, when there are any
    found = {p: Path(measures_dir) / p for p in sorted(set(paths))}
    return {p: file_sha256(path) for p, path in found.items() if path.is_file()}


class AlreadyPublished(Exception):
    """The edition is already published from the same inputs (build_inputs): nothing to do."""

    def __init__(self, period_id: str):
        self.period_id = period_id
        super().__init__(
            f"{period_id} is already published from the same data and definitions; nothing to do"
        )


class PublishedDiffers(Exception):
    """The edition is already published from other inputs, and --force was not given."""

    def __init__(
        self,
        period_id: str,
        folder: Path,
        differ: list[str],
        note: str = "",
        changed: dict[str, tuple[int, int]] | None = None,
    ):
        self.period_id = period_id
        self.differ = differ
        self.changed = changed or {}
        kept = f"the edition replaced is kept whole in {Path(folder).parent}/.restated/"
        said = (
            f"{period_id} is already published at {folder} from other inputs (what differs: "
            f"{', '.join(differ)}{note})"
        )
        if not self.changed:
            super().__init__(f"{said}; pass --force to rebuild it ({kept})")
            return
        super().__init__(
            f"{said}; it was made with {definitions_said(self.changed)}; to restate it under the "
            f"definitions now, pass --force ({kept}, and the new one says it restates it)"
        )


def definitions_said(changed: dict[str, tuple[int, int]]) -> str:
    """Return how a message names the measures whose spec version differs from the published
    edition's, `changed`: id -> (version published, version now)."""
    older = all(published < now for published, now in changed.values())
    listed = ", ".join(f"{m} v{old} (now v{new})" for m, (old, new) in sorted(changed.items()))
    return f"{'older' if older else 'other'} measure definitions: {listed}"


def definitions_changed(published: object, specs: list[MeasureSpec]) -> dict[str, tuple[int, int]]:
    """Return id -> (version published, version now) of each measure of `specs` whose version
    differs from the one a published edition's manifest records under "measures"
    (`published`: {id: version}; a measure it does not record is new, and left out)."""
    if not isinstance(published, dict):
        return {}
    return {
        s.id: (published[s.id], s.version)
        for s in specs
        if isinstance(published.get(s.id), int) and published[s.id] != s.version
    }


BUILD_INPUTS = "build_inputs"  # the manifest's record of what decides an edition (build_inputs)
# Each part of build_inputs and how the messages name it.
INPUT_PARTS = {
    "data": "data",
    "definitions": "definitions",
    "code": "code",
    "settings": "settings",
    "results_history": "results history",
}
# The settings that change what an edition shows (not threads, memory, folders or force).
# Not the engine: DuckDB and Spark give the same results and downloads (tests/test_spark.py), so
# an edition is the same whichever computed it, and its manifest says nothing of it.
EDITION_SETTINGS = ("audience", "program_name", "help_contact", "seed", "reward")


def build_inputs(settings: Settings, specs: list[MeasureSpec], period_id: str) -> dict[str, str]:
    """Return the SHA-256 of each part of what decides the edition of `period_id` (INPUT_PARTS):
    the marts, the measures folder (specs, SQL, code lists, tiers), the code (scorecard's
    source, templates and version, its libraries' versions), the settings that show, and what
    the results history gives the stars (a year before's cut points, the first years rated).

    The same inputs give byte-identical editions (docs/ci.md, Reproducible output), so a
    re-run compares these with the published edition's manifest before computing anything.
    The history's stored rows are left out: rows under the same definition are read back as
    computing them gives them, and this quarter's own rows and cut points never change its
    edition, though the build stores them before publishing (publish_audience calls this with
    them in the history, check_rerun before they are): what is read is a year before's cut
    points and each measure's first year rated, the same either way. Each file is hashed once
    in a run (file_sha256), however many audiences are published from it."""
    try:
        marts = find_mart_files(settings.data)
    except MartError as exc:
        raise BuildError(exc.title, exc.problems) from exc
    parts: dict[str, object] = {
        "data": {name: file_sha256(path) for name, path in sorted(marts.items())},
        "definitions": folder_sha256(Path(settings.measures)),
        "code": {
            "tool_version": version("scorecard"),
            "source": code_sha256(),
            "libraries": {name: version(name) for name in LIBRARIES},
        },
        "settings": {
            "period": period_id,
            **{name: str(getattr(settings, name)) for name in EDITION_SETTINGS},
        },
        "results_history": history_inputs(settings, specs, period_id),
    }
    return {key: _sha256_json(value) for key, value in parts.items()}


def history_inputs(settings: Settings, specs: list[MeasureSpec], period_id: str) -> dict:
    """Return what the results history gives the stars of `period_id` ({} without one)."""
    if settings.history is None:
        return {}
    rated = rated_before(settings)
    prior = prior_cut_points(rated, period_id)
    return {
        "prior_cut_points": "" if prior is None else prior.to_csv(index=False),
        "first_rated": measures_first_rated(specs, rated, period_id),
    }


def _sha256_json(value: object) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def folder_sha256(folder: Path) -> str:
    """Return the SHA-256 of every file's path inside `folder` and SHA-256, in path order."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    listing = "".join(f"{p.relative_to(folder).as_posix()}\t{file_sha256(p)}\n" for p in files)
    return hashlib.sha256(listing.encode("utf-8")).hexdigest()


@cache
def code_sha256() -> str:
    """Return the SHA-256 of scorecard's source (*.py), its site templates and mkdocs.yml."""
    package = Path(__file__).resolve().parent
    sources = sorted(package.rglob("*.py"))
    root = resource_root()
    listing = "".join(f"{p.relative_to(package).as_posix()}\t{file_sha256(p)}\n" for p in sources)
    listing += f"site_templates\t{folder_sha256(root / 'site_templates')}\n"
    listing += f"mkdocs.yml\t{file_sha256(root / 'mkdocs.yml')}\n"
    return hashlib.sha256(listing.encode("utf-8")).hexdigest()


def check_rerun(
    settings: Settings, period_id: str, specs: list[MeasureSpec] | None = None
) -> dict[str, str] | None:
    """Say, before anything is published, what a build without --force of an edition already
    published does: raise AlreadyPublished when the published edition's manifest records the
    same build_inputs (nothing to do), PublishedDiffers naming the parts that differ, and the
    measures whose spec version is not the one the edition was made with (a definition changed
    since: --force restates the edition, there is no restatement without it). Return
    the build_inputs (None when there is nothing to compare: --force, or not published yet).

    A folder that is not an edition, or a site for another audience, is left to check_target
    (exit 2) before this. An edition published before the manifest recorded build_inputs
    was made by other code."""
    folder = Path(settings.out) / period_id
    if settings.force or not is_edition(folder):
        return None
    check_target(dataclasses.replace(settings, force=True), period_id)
    specs = specs if specs is not None else read_specs(settings)
    inputs = build_inputs(settings, specs, period_id)
    published = edition_manifest(settings.out, period_id)
    recorded = published.get(BUILD_INPUTS)
    if recorded == inputs:
        raise AlreadyPublished(period_id)
    changed = definitions_changed(published.get("measures"), specs)
    if not isinstance(recorded, dict):
        note = " (an earlier version of scorecard, which did not record its inputs, published it)"
        raise PublishedDiffers(period_id, folder, ["code"], note, changed)
    differ = [INPUT_PARTS[k] for k in INPUT_PARTS if recorded.get(k) != inputs[k]]
    raise PublishedDiffers(period_id, folder, differ, changed=changed)


def check_target(settings: Settings, period_id: str | None) -> audiences.Audience:
    """Return the audience; raise BuildError if it or the version cannot be published."""
    try:
        audience = audiences.parse_audience(settings.audience)
        check_can_publish(settings.out, period_id, settings.force, audience.key)
    except (ValueError, VersionExistsError, PublishError) as exc:
        raise BuildError("cannot publish", [str(exc)]) from exc
    return audience


class Steps(Protocol):
    """What build_site reports its steps to (cli.Progress): step(label) returns the function
    to call when the step is done."""

    def step(self, label: str) -> Callable[[], None]: ...


def check_partner(settings: Settings) -> None:
    """Raise BuildError if the audience is a partner the organization mart does not have as
    an ACO or a CP: said before any measure is computed (and again before publishing, from
    the marts as checked)."""
    audience = check_target(settings, settings.period)
    if audience.kind == "partner":
        require_partner(audience, read_organizations(settings.data))


def require_partner(audience: audiences.Audience, organizations: pd.DataFrame | None) -> None:
    """Raise BuildError if a partner `audience` is no ACO or CP of `organizations` (none
    read: nothing to check against)."""
    if organizations is None:
        return
    problems = audiences.partner_problems(audience, organizations)
    if problems:
        raise BuildError("cannot publish", problems)


def build_site(settings: Settings, progress: Steps) -> BuildReport:
    """Run the whole pipeline and publish one version; raise BuildError on bad input and
    disk.DiskError when --out (checked before computing) or the history cannot be written;
    AlreadyPublished or PublishedDiffers (check_rerun) for an edition already published,
    before computing when --period is given."""
    forget_file_hashes()
    if settings.period is not None:
        check_rerun(settings, settings.period)
    check_partner(settings)
    for folder in (settings.out, settings.history):
        if folder is not None:
            disk.check_writable(folder)
    done = progress.step("Reading measure specs")
    specs = read_specs(settings)
    done()
    cache = extract_cache(settings)
    if cache and cache.kept:
        done = progress.step(
            f"Computing measures in {settings.engine} from the marts checked "
            f"earlier, kept in {settings.cache}"
        )
    else:
        done = progress.step(f"Checking marts and computing measures in {settings.engine}")
    run = compute(settings, specs, cache)
    if settings.period is None:  # the period is known now
        check_rerun(settings, run.period_id, specs)
    audience = check_target(settings, run.period_id)
    require_partner(audience, run.organizations)
    done()
    done = progress.step("Statistics and star ratings")
    rated = rated_before(settings)
    prior = prior_cut_points(rated, run.period_id)
    first_rated = measures_first_rated(specs, rated, run.period_id)
    scored = score(
        run.results,
        prior,
        settings.seed,
        run.period_id,
        run.organizations,
        first_rated=first_rated,
        reward=settings.reward,
        versions={s.id: s.version for s in specs},
    )
    done()
    done = progress.step(f"Rendering and publishing {run.period_id}")
    # The history first: a build killed between the two leaves the edition unpublished (a
    # re-run publishes it), never published with its results missing from the history (a
    # re-run from the same inputs has nothing to do, and would not store them).
    with disk.writing(settings.history or settings.out):
        not_stored = store_history(settings, run, scored.cut_points)
    with disk.writing(settings.out):
        report = publish_audience(settings, specs, run, scored, audience)
    report.not_stored = not_stored
    done()
    return report


def publish_audience(
    settings: Settings,
    specs: list[MeasureSpec],
    run: engine.EngineRun,
    scored: Scored,
    audience: audiences.Audience | None = None,
) -> BuildReport:
    """Render and publish the version for settings.audience from the computed tables, with
    the incentive tiers; `audience`: settings.audience as build_site checked it (None: check
    it here)."""
    if audience is None:
        audience = check_target(settings, run.period_id)
        require_partner(audience, run.organizations)
    tiers = read_tiers(settings.measures)
    summary = add_tiers(scored.summary, tiers)
    view = audiences.restrict(
        audience, scored.results, summary, scored.benchmarks, run.organizations, run.panels
    )
    shown = [s for s in specs if s.id not in run.skipped]
    small_counts = audience.kind == "internal"  # shown there only, and marked
    published = published_rows(view.results, run.period_id, {s.id: s for s in shown}, small_counts)
    privacy = check_privacy(audience, scored.results, published, run.organizations)
    check_summary_stars(audience, scored.results, published, view.summary)
    checked = {"privacy_check": privacy.figures()} if privacy else {}
    provenance = manifest(settings, specs, run)
    site_input = SiteInput(
        results=view.results,
        summary=view.summary,
        benchmarks=view.benchmarks,
        specs=shown,
        organizations=view.organizations,
        period_id=run.period_id,
        peer_sizes=peer_group_sizes(scored.results, run.period_id),
        versions=published_versions(settings.out),
        manifest={
            **provenance,
            **view.manifest,
            **checked,
            BUILD_INPUTS: build_inputs(settings, specs, run.period_id),
        },
        program_name=settings.program_name,
        help_contact=settings.help_contact,
        cut_points=scored.cut_points,
        audience_label=audiences.label(audience, run.organizations),
        audience_notice=audiences.notice(audience, run.organizations),
        cp_assessment=audiences.only_visible(audience, run.cp_assessment, "cp_id", view),
        tiers=tiers,
        notes={lang: reader_notes(run.warnings, run.period_id, lang) for lang in LANGS},
        published=published,
        small_counts=small_counts,
        last_edition=last_edition_results(settings.out, provenance),
    )
    leaks = audiences.foreign_entities(audience, site_input, view, run.organizations)
    if leaks:
        raise BuildError("audience check failed", leaks)
    gaps = run.care_gaps if audience.person_level and run.care_gaps is not None else None
    titles = {s.id: s.title for s in specs}
    extra = audiences.care_gap_files(gaps, run.organizations, titles) if gaps is not None else {}
    try:
        published = publish_edition(
            site_input, settings.out, settings.force, extra, audience=audience.key
        )
    except (VersionExistsError, PublishError) as exc:
        raise BuildError("cannot publish", [str(exc)]) from exc
    version_dir = published.folder
    n_entities = view.results.query("level != 'program'")["entity_id"].nunique()
    return BuildReport(
        run.period_id,
        version_dir,
        len(site_input.specs),
        n_entities,
        run.skipped,
        unread_files(settings.data),
        run.warnings,
        run.seconds,
        run.steps,
        privacy=privacy,
        state=states(settings.out).get(run.period_id, "active"),
        unchanged=published.unchanged,
    )


def check_privacy(
    audience: audiences.Audience,
    results: pd.DataFrame,
    published: pd.DataFrame,
    organizations: pd.DataFrame,
) -> disclosure.Audit | None:
    """Return the privacy check of a partner or public edition (None for the internal one):
    which hidden counts its published numbers give away by subtraction (disclosure.audit of
    `published`, the rows its pages and downloads are made from: site.published_rows,
    against the true `results`). Raise
    BuildError, before anything is written, when one of them is a count of 1 to 10.

    The build stops rather than hiding more: a count given away means the suppression rules
    (stats.suppress) missed a case, which a person should see and fix there, and the error
    names the measure, the cell and the sums that give it away."""
    if audience.kind == "internal":
        return None
    found = disclosure.audit(results, published, organizations)
    if len(found.leaks):
        raise BuildError(
            f"privacy check failed for {audience.key}: {len(found.leaks)} hidden count(s) of "
            f"1 to {stats.SMALL_CELL_MAX} can be worked out from what this edition shows",
            found.problems(),
        )
    return found


def check_summary_stars(
    audience: audiences.Audience,
    results: pd.DataFrame,
    published: pd.DataFrame,
    summary: pd.DataFrame,
) -> None:
    """Raise BuildError, before anything is written, when a partner or public edition
    publishes a summary rating (stars, average or "Based on N measures") that counts a result
    with stars it hides (disclosure.summary_leaks): a reader would work the hidden stars out.
    audience.withhold_summaries leaves such ratings blank, so this is the check that it did."""
    if audience.kind == "internal":
        return
    leaks = disclosure.summary_leaks(results, published, summary)
    if leaks:
        raise BuildError(
            f"privacy check failed for {audience.key}: {len(leaks)} summary rating(s) count "
            "results with stars this edition hides",
            leaks[: disclosure.SHOWN_IN_ERROR],
        )


def _sql_problems(
    con: duckdb.DuckDBPyConnection, specs: list[MeasureSpec], tables: set[str], measures: Path
) -> list[str]:
    """Return the problems of the runnable measures' SQL (files named as found in `measures`):
    a shared table or a measure that DuckDB cannot read, a measure lacking a column compile
    needs (compile.shape_problem). Each line starts with the measures it stops; a file several
    measures share (pmpm_category.sql) gets one line naming them all."""
    found: dict[str, list[str]] = {}  # problem -> ids of the measures it stops
    runnable = [s for s in specs if not engine.missing_tables(s, tables)]
    shared = Path(measures) / FRAGMENT_FOLDER / SHARED_FOLDER
    for name, query in engine.shared_tables(runnable).items():
        try:
            engine.declare_shared_table(con, name, query)
        except duckdb.Error as exc:
            users = [s.id for s in runnable if name in s.shared_tables]
            found.setdefault(f"{shared / name}.sql: sql: {_first_line(exc)}", []).extend(users)
    for spec in runnable:
        try:
            columns = [r[0] for r in con.execute(f"DESCRIBE {describe_sql(spec)}").fetchall()]
        except duckdb.Error as exc:
            found.setdefault(f"{sql_path(spec)}: sql: {_first_line(exc)}", []).append(spec.id)
            continue
        problems = [p for p in [shape_problem(spec, columns)] if p]
        for problem in problems:
            found.setdefault(problem, []).append(spec.id)
    return [_with_ids(problem, ids) for problem, ids in found.items()]


def _with_ids(problem: str, ids: list[str]) -> str:
    """Return `problem` led by the measure ids it concerns, unless it names them already."""
    ids = list(dict.fromkeys(ids))
    if not ids or problem.startswith(f"{ids[0]}:"):
        return problem
    return f"{', '.join(ids)}: {problem}"


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]


def check_inputs(settings: Settings) -> CheckReport:
    """Return every problem found in the marts, the specs, the measure SQL and the incentive
    tiers, in one pass."""
    problems: list = []
    try:
        specs = load_specs(settings.measures)
    except SpecError as exc:
        specs, problems = [], list(exc.problems)
    try:
        read_tiers(settings.measures)
    except BuildError as exc:
        problems += exc.problems
    cache = extract_cache(settings)
    kept = cache.kept if cache else None
    with engine.working_connection(settings.threads, settings.memory_limit, kept) as con:
        restored = cache is not None and cache.restored_marts(con) is not None
        tables, mart_problems = engine.load_checked(con, settings.data, cache)
        problems += mart_problems
        warnings = recorded_warnings(con)
        skipped = engine.unrunnable(specs, tables)
        if not mart_problems:
            period_problems, period_warnings, short = _period_checks(con, settings, specs, tables)
            problems += period_problems
            warnings += period_warnings
            for mid, why in short.items():  # a table not supplied is the first thing to mend
                skipped.setdefault(mid, why)
            _, unlisted, drug_warnings = drug_list.check(con, specs, tables, settings.value_sets)
            skipped.update(unlisted)
            warnings += drug_warnings
    kept_in = settings.cache if restored else None
    unread = unread_files(settings.data)
    return CheckReport(
        tables, specs, skipped, problems, kept_in, unread, warnings, specs_read=bool(specs)
    )


def _period_checks(
    con: duckdb.DuckDBPyConnection, settings: Settings, specs: list[MeasureSpec], tables: set[str]
) -> tuple[list, list[Finding], dict[str, str]]:
    """Return the problems of the period and of the measure SQL, the period's warnings, and
    id -> why for the measures the build of the period will skip, their look-back reaching
    before the data (engine.short_of_history, as the build decides it)."""
    engine.load_value_sets(con, settings.value_sets)
    try:
        start, end = engine.data_window(con)
        target = engine.resolve_period(settings.period, engine.complete_quarters(start, end))
    except MartError as exc:
        return list(exc.problems), [], {}
    engine.create_build_helpers(con, start, end, target)
    sql_problems = _sql_problems(con, specs, tables, settings.measures)
    _, short = engine.short_of_history(specs, start, target)
    return (
        sql_problems,
        runout_warnings(con, target, tables),
        {mid: f"{why} (period {target})" for mid, why in short.items()},
    )
