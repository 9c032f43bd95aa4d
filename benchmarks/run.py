"""Scale benchmark of the scorecard pipeline (issue 7). Not a test: run it by hand.

    python benchmarks/run.py                       # 10k, 100k and 1M members, every stage
    python benchmarks/run.py --sizes 10k,100k      # a quicker run
    python benchmarks/run.py --sizes 2k --work /tmp/bench --results /tmp/r.json --no-readme

For each size it generates demo marts (members x 24 months, seed 42, Parquet), cached under
benchmarks/work/m<size>/marts (git-ignored), then runs each stage in its own Python process:

    generate   scorecard.demo.write_demo_marts: each mart written as it is made (when not cached)
    check      scorecard.marts.load_marts: load and validate every mart
    scan       the floor: DuckDB reads every column the measures read, once, from the Parquet
               files (SELECT count(*), sum(hash(col)), ... per table)
    compute    what `scorecard build` computes: engine.run (load + check, helper views, every
               measure, aggregation) + panel sizes + care-gap rows; every quarter is computed
               into an empty results history (work/m<size>/history), which `quarter` reads
    quarter    the newest quarter computed with that history holding the earlier quarters, as
               `scorecard build --history DIR` publishes a new quarter; its results must equal
               compute's
    cached     the quarter stage twice with an emptied extract cache (`scorecard build --cache
               DIR`): quarter_keep loads and checks the marts and keeps them, quarter_cached
               starts from the kept extract (marts hashed, working file copied, no load or check)
    engine3    engine.run with only ed_visits, readmission_30d and fuh_7d
    pandas3    the same three measures written in plain pandas (the peer baseline); its
               program-level numbers are checked against the engine's
    score      statistics and star ratings (build.score)
    site       render + mkdocs + publish of the edition into a temporary folder
               (build.publish_audience, the code path of `scorecard build`)
    site3000   the results relabelled to ~3,000 practices (--site-practices), scored and
               published: the entity-page scale of a statewide program (once, on --site-size)
    incremental  4 editions published one after another into one folder: the earlier
               editions' files must stay byte-identical with unchanged mtimes, and the time of
               a publish must not grow with the number of editions already there

The parent measures every stage process with os.wait4(): wall time, CPU time (user + sys of
all the process's threads) and peak resident memory (ru_maxrss). Start-up (interpreter and
imports, about 1-2 s) is inside those figures; each stage also reports its own inner timings
(wall and CPU of the work alone), which the tables use. The machine is shared: the load average
is recorded before and after each stage, and a calibration (seconds of a fixed workload on both
cores) just before it; CPU time is the steadier figure. `--repeat N` runs site3000 N times and
keeps the median run.

Results are merged into benchmarks/results.json (keyed by size and stage, so a partial re-run
updates only what it ran) and the tables in benchmarks/README.md between the
`<!-- results:start -->` and `<!-- results:end -->` markers are regenerated; the rest of the
README is left as it is.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scorecard.engine import EngineRun

Log = Callable[[str], None]  # prints one line of the run's log

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MEASURES = ROOT / "measures"
VALUE_SETS = MEASURES / "value_sets"
DEFAULT_WORK = HERE / "work"
DEFAULT_RESULTS = HERE / "results.json"
README = HERE / "README.md"
MONTHS = 24
SEED = 42
PEER_MEASURES = ("ed_visits", "readmission_30d", "fuh_7d")
ALL_STAGES = (
    "generate",
    "check",
    "scan",
    "compute",
    "quarter",
    "cached",
    "engine3",
    "pandas3",
    "score",
    "site",
    "site3000",
    "incremental",
)
START, END = "<!-- results:start -->", "<!-- results:end -->"
# Benchmark the checkout this file is in, whatever an editable install points at.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# =================================================================================================
# helpers shared by parent and stages
# =================================================================================================


def parse_size(text: str) -> int:
    """Return the number of members for '10k', '1m', '2500'."""
    text = text.strip().lower().replace("_", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if scale > 1 else text) * scale)


def size_label(members: int) -> str:
    """Return '10k', '1M', '2.5k'."""
    if members >= 1_000_000 and members % 100_000 == 0:
        return f"{members / 1_000_000:g}M"
    if members >= 1_000 and members % 100 == 0:
        return f"{members / 1_000:g}k"
    return str(members)


def marts_dir(work: Path, members: int) -> Path:
    return work / f"m{size_label(members)}" / "marts"


def cpu_seconds() -> float:
    """Return the user + sys CPU seconds of this process so far (every thread), and of the
    processes it forked and waited for (the build's workers, scorecard/parallel.py)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class Timer:
    """Inner timings of a stage: {step: {"wall_s", "cpu_s"}}."""

    def __init__(self) -> None:
        self.steps: dict[str, dict[str, float]] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), cpu_seconds()
        try:
            yield
        finally:
            done = self.steps.setdefault(name, {"wall_s": 0.0, "cpu_s": 0.0})
            done["wall_s"] = round(done["wall_s"] + time.perf_counter() - wall, 3)
            done["cpu_s"] = round(done["cpu_s"] + cpu_seconds() - cpu, 3)
            done["calls"] = done.get("calls", 0) + 1


def machine() -> dict:
    """Return a description of this machine: CPU, cores, memory, load, library versions."""
    from importlib.metadata import version

    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    libs = {}
    for name in ("duckdb", "pandas", "pyarrow", "numpy", "mkdocs", "mkdocs-material"):
        with contextlib.suppress(Exception):  # a missing library is just not listed
            libs[name] = version(name)
    import scorecard.engine

    return {
        "scorecard": str(Path(scorecard.engine.__file__).parent),
        "cpu": model or platform.processor(),
        "cores": os.cpu_count(),
        "memory_gb": mem_gb,
        "load_avg": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "libraries": libs,
    }


# =================================================================================================
# stages (each runs in its own process: `run.py _stage <name> <json params>`)
# =================================================================================================


def stage_generate(p: dict, t: Timer) -> dict:
    from scorecard.demo import write_demo_marts

    out = Path(p["marts"])
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    # One step: each table is written as soon as it is made (no separate write_parquet step).
    with t.step("generate"):
        written = write_demo_marts(tmp, "parquet", members=p["members"], months=MONTHS, seed=SEED)
    rows = {path.stem: count for path, count in written.items()}
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    size = sum(f.stat().st_size for f in out.glob("*.parquet"))
    (out / "_generated.json").write_text(
        json.dumps({"members": p["members"], "months": MONTHS, "seed": SEED, "rows": rows})
    )
    return {"rows": sum(rows.values()), "rows_by_table": rows, "parquet_mb": round(size / 2**20, 1)}


def stage_check(p: dict, t: Timer) -> dict:
    import duckdb

    from scorecard.marts import load_marts

    con = _connect(p)
    with t.step("load_marts"):
        tables, problems = load_marts(con, Path(p["marts"]))
    if problems:
        raise SystemExit(f"mart problems: {problems[:3]}")
    assert isinstance(con, duckdb.DuckDBPyConnection)
    return {"tables": len(tables)}


def _connect(p: dict, start_from: Path | None = None):
    """Return a connection like the build's (engine.working_connection): its tables in a
    DuckDB file in a temporary folder (a copy of `start_from`, a kept extract, if given),
    deleted when the stage process ends."""
    import atexit

    from scorecard import engine

    context = engine.working_connection(p.get("threads"), p.get("memory_limit"), start_from)
    con = context.__enter__()
    atexit.register(context.__exit__, None, None, None)
    return con


def measure_columns() -> dict[str, list[str]]:
    """Return, per contract table, the columns named in the measure SQL or the helper views."""
    from scorecard.contract import TABLES

    text = "\n".join(
        f.read_text(encoding="utf-8")
        for f in [
            *sorted((MEASURES / "sql").glob("*.sql")),
            *sorted((MEASURES / "sql" / "shared").glob("*.sql")),
            *(ROOT / "scorecard/sql").glob("*.sql"),
        ]
    )
    text = re.sub(r"--[^\n]*", "", text)  # comments
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
    used: dict[str, list[str]] = {}
    for table in TABLES:
        if table.name not in words and table.name not in ("person",):
            continue
        cols = [c.name for c in table.columns if c.name in words]
        if cols:
            used[table.name] = cols
    return used


def stage_scan(p: dict, t: Timer) -> dict:
    from scorecard.marts import find_mart_files

    con = _connect(p)
    files = find_mart_files(Path(p["marts"]))
    used = {}
    for name, cols in measure_columns().items():
        if name in files:  # an optional column the marts do not hold is not read
            held = {
                r[0] for r in con.execute(f"DESCRIBE FROM read_parquet('{files[name]}')").fetchall()
            }
            used[name] = [c for c in cols if c in held]
    queries = {
        name: "SELECT count(*), "
        + ", ".join(f'sum(hash("{c}"))' for c in cols)
        + f" FROM read_parquet('{files[name]}')"
        for name, cols in used.items()
    }
    runs = []
    for i in range(p.get("repeat", 3)):
        with t.step(f"scan_{i + 1}"):
            rows = sum(con.execute(q).fetchone()[0] for q in queries.values())
        runs.append(t.steps[f"scan_{i + 1}"])
    best = min(runs, key=lambda r: r["wall_s"])
    t.steps["scan"] = {"wall_s": best["wall_s"], "cpu_s": min(r["cpu_s"] for r in runs)}
    return {
        "rows": rows,
        "columns": sum(len(c) for c in used.values()),
        "columns_by_table": used,
        "note": f"best of {len(runs)} runs (wall and CPU minimum)",
    }


def _instrument_engine(t: Timer) -> None:
    """Wrap the steps engine.run calls so each gets its own timing."""
    from scorecard import engine

    for name, label in (
        ("load_marts", "load_and_check"),
        ("key_person_ids", "load_and_check"),  # ids made integer keys once the marts pass
        ("key_claim_ids", "load_and_check"),
        ("create_extract_helpers", "helpers"),  # kept with the extract by --cache
        ("create_build_helpers", "helpers"),
        ("make_period_helpers", "helpers"),  # helpers made once the periods are known
        ("run_measures", "measures"),
        ("aggregate", "aggregate"),
    ):
        original = getattr(engine, name)

        def wrapped(*args, __original=original, __label=label, **kwargs):
            with t.step(__label):
                return __original(*args, **kwargs)

        setattr(engine, name, wrapped)


def _program_values(results, period_id: str | None = None) -> dict:
    rows = results[(results["level"] == "program") & (results["stratum"] == "all")]
    rows = rows[rows["measure_id"].isin(PEER_MEASURES)]
    return {
        f"{r.measure_id}|{r.period_id}": [float(r.numerator), float(r.denominator)]
        for r in rows.itertuples()
    }


COMPUTE_STEPS = (
    "extract_look_up",
    "load_and_check",
    "helpers",
    "measures",
    "aggregate",
    "panels",
    "care_gaps",
)


def _timed_compute(p: dict, t: Timer, specs: list, history: Path | None, care_gaps: bool):
    """Run what `scorecard build` computes (engine.run, panel sizes, care-gap rows) with each
    step timed, and the step `compute` summing them; return (run, connection). With
    p["cache"], the marts are looked up in that extract cache first (`--cache`)."""
    from scorecard import engine
    from scorecard.extract import ExtractCache

    _instrument_engine(t)
    cache, con = None, None
    if p.get("cache"):
        with t.step("extract_look_up"):  # hashing the marts, copying the kept extract if any
            cache = ExtractCache.look_up(Path(p["cache"]), Path(p["marts"]))
            con = _connect(p, cache.kept if cache else None)
    con = con or _connect(p)
    with t.step("engine_run"):
        run = engine.run(Path(p["marts"]), VALUE_SETS, specs, None, con, history, cache)
    with t.step("panels"):
        run.panels = engine.panel_sizes(con, run.period_id)
    if care_gaps:
        with t.step("care_gaps"):
            run.care_gaps = engine.care_gap_rows(con, specs, run.period_id)
    t.steps["compute"] = {
        k: round(sum(t.steps[s][k] for s in COMPUTE_STEPS if s in t.steps), 3)
        for k in ("wall_s", "cpu_s")
    }
    return run, con


def stage_compute(p: dict, t: Timer) -> dict:
    import pickle

    from scorecard import audience as audiences
    from scorecard import history as results_history
    from scorecard.specs import load_specs

    with t.step("specs"):
        specs = load_specs(MEASURES)
    if p.get("only"):
        specs = [s for s in specs if s.id in p["only"]]
    history = Path(p["history"]) if p.get("history") else None
    if history is not None:  # an empty results history: every quarter computed, then stored
        shutil.rmtree(history, ignore_errors=True)
    care_gaps = not p.get("only") and audiences.parse_audience("internal").person_level
    run, con = _timed_compute(p, t, specs, history, care_gaps)
    if history is not None:
        with t.step("store_history"):
            results_history.write_rows(history, run.computed_rows, run.definitions)
    (n_rows,) = con.execute("SELECT count(*) FROM measure_rows").fetchone()
    t.steps["compute_after_check"] = {
        k: round(t.steps["compute"][k] - t.steps["load_and_check"][k], 3)
        for k in ("wall_s", "cpu_s")
    }
    if p.get("save"):
        with open(p["save"], "wb") as handle:
            pickle.dump(run, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return {
        "measures": len(specs) - len(run.skipped),
        "skipped": run.skipped,
        "period_id": run.period_id,
        "periods": len(run.periods),
        "measure_rows": n_rows,
        "result_rows": len(run.results),
        "care_gap_rows": 0 if run.care_gaps is None else len(run.care_gaps),
        "program_values": _program_values(run.results),
        "measure_seconds": {k: round(v, 3) for k, v in run.seconds.items()},
    }


def stage_quarter(p: dict, t: Timer) -> dict:
    """The newest quarter computed with a results history holding the earlier ones (primed by
    the compute stage on the same marts), as `scorecard build --history DIR` publishes a new
    quarter; its results are compared with the compute stage's (every quarter computed)."""
    import pickle

    import pandas as pd

    from scorecard.specs import load_specs

    specs = load_specs(MEASURES)
    run, _ = _timed_compute(p, t, specs, Path(p["history"]), care_gaps=True)
    with open(p["run"], "rb") as handle:
        full = pickle.load(handle).results
    try:
        pd.testing.assert_frame_equal(run.results, full)
        same = True
    except AssertionError:
        same = False
    return {
        **run.history_plan.summary(),
        "period_id": run.period_id,
        "result_rows": len(run.results),
        "same_results_as_compute": same,
        "measure_seconds": {k: round(v, 3) for k, v in run.seconds.items()},
    }


def stage_pandas3(p: dict, t: Timer) -> dict:
    sys.path.insert(0, str(HERE))
    import pandas_peer

    with t.step("read"):
        marts = pandas_peer.read_marts(Path(p["marts"]))
    with t.step("compute"):
        values = pandas_peer.program_values(marts, VALUE_SETS)
    t.steps["total"] = {
        k: round(t.steps["read"][k] + t.steps["compute"][k], 3) for k in ("wall_s", "cpu_s")
    }
    return {"program_values": values}


def _load_run(path: str):
    """Return the EngineRun kept at `path`; fields added to EngineRun since it was kept (a
    pickle does not run __init__) get their defaults."""
    import dataclasses
    import pickle

    with open(path, "rb") as handle:
        run = pickle.load(handle)
    for field in dataclasses.fields(run):
        if not hasattr(run, field.name) and field.default_factory is not dataclasses.MISSING:
            setattr(run, field.name, field.default_factory())
        elif not hasattr(run, field.name):
            setattr(run, field.name, field.default)
    return _with_current_metadata(run)


def _with_current_metadata(run):
    """Return the run with its results' spec metadata (direction, parts) as the specs now say:
    a kept run predates later spec fields, and scoring reads them."""
    from scorecard import engine
    from scorecard.specs import load_specs

    meta = engine.spec_metadata(load_specs(MEASURES)).set_index("measure_id")
    for column in ("direction", "part_of"):
        run.results[column] = run.results["measure_id"].map(meta[column]).fillna("")
    return run


def _settings(out: Path, marts: str, audience: str = "internal"):
    from scorecard.settings import Settings

    return Settings(data=Path(marts), measures=MEASURES, out=out, audience=audience)


def stage_score(p: dict, t: Timer) -> dict:
    import pickle

    from scorecard import build

    run = _load_run(p["run"])
    with t.step("score"):
        scored = build.score(run.results, None, 8675309, run.period_id, run.organizations)
        scored.summary = build.add_tiers(scored.summary, build.read_tiers(MEASURES))
    with open(p["save"], "wb") as handle:
        pickle.dump(scored, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return {"result_rows": len(scored.results)}


def _count_pages(version_dir: Path) -> dict:
    pages = {
        lv: len(list((version_dir / lv).glob("*.html"))) - 1 for lv in ("aco", "cp", "practice")
    }
    pages["html_total"] = sum(1 for _ in version_dir.rglob("*.html"))
    pages["mb"] = round(
        sum(f.stat().st_size for f in version_dir.rglob("*") if f.is_file()) / 2**20, 1
    )
    return pages


def _timed_site_stages(t: Timer) -> None:
    """Split publish into render (markdown pages), mkdocs (the English HTML, in this process)
    and the wait for the downloads and the Spanish build made beside it (site.build_site;
    with SCORECARD_WORKERS=1 they are made before it, step downloads_es, and mkdocs counts
    both builds)."""
    from scorecard import site

    steps = (
        ("render_pages", "render_markdown"),
        ("build_html", "mkdocs"),
        ("finish_beside_mkdocs", "downloads_es_wait"),
        ("_beside_mkdocs", "downloads_es"),  # timed only when made in this process
    )
    for name, label in steps:
        original = getattr(site, name)

        def wrapped(*args, __original=original, __label=label, **kwargs):
            with t.step(__label):
                return __original(*args, **kwargs)

        setattr(site, name, wrapped)


def _publish_timed(t: Timer, p: dict, specs: list, run, scored, kind: str) -> tuple:
    """Publish into a temporary folder, timing render, mkdocs and publish; return the report
    and the page counts (the folder is removed)."""
    from scorecard import build

    _timed_site_stages(t)
    out = Path(tempfile.mkdtemp(prefix=f"scorecard-bench-{kind}-"))
    try:
        settings = _settings(out, p["marts"])
        with t.step("publish"):
            report = build.publish_audience(settings, specs, run, scored)
        return report, _count_pages(report.version_dir)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def stage_site(p: dict, t: Timer) -> dict:
    from scorecard.specs import load_specs

    run = _load_run(p["run"])
    scored = _load_run(p["scored"])
    specs = load_specs(MEASURES)
    report, pages = _publish_timed(t, p, specs, run, scored, "site")
    return {"entities": report.n_entities, "measures": report.n_measures, "pages": pages}


def expand_practices(run: EngineRun, target: int, seed: int = 7) -> tuple[EngineRun, int]:
    """Return a copy of an EngineRun whose practice level has about `target` practices.

    Each practice becomes k copies (k = ceil(target / practices)) with ids <id>-<nn>; every
    copy's numerators are the original's times a random factor (lognormal, sd 0.15; counts
    rounded, proportions capped at the denominator), so the copies spread out in the ratings.
    The organization table and the panel sizes get the copies too.
    """
    import copy as copy_module
    import math

    import numpy as np
    import pandas as pd

    run = copy_module.copy(run)
    res = run.results
    is_practice = res["level"] == "practice"
    practices = sorted(res.loc[is_practice, "entity_id"].unique())
    k = max(1, math.ceil(target / len(practices)))
    rng = np.random.default_rng(seed)
    parts = [res[~is_practice]]
    base = res[is_practice]
    for i in range(k):
        part = base.copy()
        part["entity_id"] = part["entity_id"] + f"-{i:02d}"
        factor = np.exp(0.15 * rng.standard_normal(len(part))) if i else np.ones(len(part))
        num = part["numerator"] * factor
        counted = part["kind"].isin(["proportion", "rate"]).to_numpy()
        num = np.where(counted, np.round(num), num)
        num = np.where(part["kind"].eq("proportion"), np.minimum(num, part["denominator"]), num)
        ratio = np.where(
            part["numerator"] > 0, num / part["numerator"].where(part["numerator"] > 0), 1.0
        )
        part["numerator"] = num
        part["numerator_sq"] = part["numerator_sq"] * ratio**2
        part["numerator_denominator"] = part["numerator_denominator"] * ratio
        part["value"] = part["value"] * ratio
        parts.append(part)
    run.results = pd.concat(parts, ignore_index=True)
    orgs = run.organizations
    is_org_practice = orgs["org_id"].isin(practices)
    copies = []
    for i in range(k):
        part = orgs[is_org_practice].copy()
        part["org_id"] = part["org_id"] + f"-{i:02d}"
        part["org_name"] = part["org_name"] + f" {i + 1}"
        copies.append(part)
    run.organizations = pd.concat([orgs[~is_org_practice], *copies], ignore_index=True)
    if run.panels is not None:
        panels = run.panels
        is_panel = panels["level"] == "practice"
        copies = []
        for i in range(k):
            part = panels[is_panel].copy()
            part["entity_id"] = part["entity_id"] + f"-{i:02d}"
            copies.append(part)
        run.panels = pd.concat([panels[~is_panel], *copies], ignore_index=True)
    run.care_gaps = None
    return run, len(practices) * k


def stage_site3000(p: dict, t: Timer) -> dict:
    from scorecard import build
    from scorecard.specs import load_specs

    run = _load_run(p["run"])
    specs = load_specs(MEASURES)
    with t.step("relabel"):
        run, n_practices = expand_practices(run, p["practices"])
    with t.step("score"):
        scored = build.score(run.results, None, 8675309, run.period_id, run.organizations)
        scored.summary = build.add_tiers(scored.summary, build.read_tiers(MEASURES))
    report, pages = _publish_timed(t, p, specs, run, scored, "site3000")
    return {
        "practices": n_practices,
        "entities": report.n_entities,
        "result_rows": len(run.results),
        "pages": pages,
    }


def _snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Return {relative path: (sha256, mtime_ns)} of every file under folder."""
    snap = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            snap[str(path.relative_to(folder))] = (digest, path.stat().st_mtime_ns)
    return snap


def _edition_input(run, scored, period: str):
    """Return (run, scored) cut to the periods up to `period`, as if `period` were the latest."""
    import copy as copy_module

    one = copy_module.copy(run)
    one.period_id = period
    one.results = run.results[run.results["period_id"] <= period]
    part = copy_module.copy(scored)
    part.results = scored.results[scored.results["period_id"] <= period]
    return one, part


def stage_incremental(p: dict, t: Timer) -> dict:
    """Publish editions one after another; check old editions are never touched.

    1. The last `editions` quarters are published in order into one folder: before each
       publish every file of the editions already there is hashed (and its mtime read), and
       again after it.
    2. To separate "how many editions exist" from "how big is this edition", the newest quarter
       is then published into folders that already hold k copies of an edition (k = 0, 1, 4,
       8, named as earlier quarters): the time should not depend on k.
    """
    from scorecard import build
    from scorecard.publish import published_versions
    from scorecard.specs import load_specs

    run = _load_run(p["run"])
    scored = _load_run(p["scored"])
    specs = load_specs(MEASURES)
    quarters = sorted(run.results["period_id"].unique())
    editions = quarters[-p.get("editions", 4) :]
    copies = p.get("copies", (0, 1, 4, 8))
    base = Path(tempfile.mkdtemp(prefix="scorecard-bench-incremental-"))
    publishes, changed, with_k = [], {}, []
    try:
        out = base / "sequence"
        settings = _settings(out, p["marts"])
        for n, period in enumerate(editions):
            before = {v: _snapshot(out / v) for v in published_versions(out)}
            one, part = _edition_input(run, scored, period)
            with t.step(f"publish_{period}"):
                build.publish_audience(settings, specs, one, part)
            for version, files in before.items():
                after = _snapshot(out / version)
                if after != files:
                    diff = [f for f in set(files) | set(after) if files.get(f) != after.get(f)]
                    changed[version] = sorted(diff)[:10]
            step = t.steps[f"publish_{period}"]
            publishes.append({"edition": period, "already_published": n, **step})
        versions = published_versions(out)
        template = out / editions[0]
        fillers = [f"{2000 + i // 4}Q{i % 4 + 1}" for i in range(max(copies))]
        one, part = _edition_input(run, scored, editions[-1])
        for k in copies:
            root = base / f"k{k}"
            root.mkdir()
            for name in fillers[:k]:
                shutil.copytree(template, root / name, copy_function=shutil.copy2)
            before = {v: _snapshot(root / v) for v in fillers[:k]}
            with t.step(f"publish_with_{k}"):
                build.publish_audience(_settings(root, p["marts"]), specs, one, part)
            same = all(_snapshot(root / v) == files for v, files in before.items())
            if not same:
                changed[f"k{k}"] = ["a copied edition changed"]
            step = t.steps[f"publish_with_{k}"]
            with_k.append({"existing_editions": k, "unchanged": same, **step})
            shutil.rmtree(root, ignore_errors=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return {
        "publishes": publishes,
        "publish_with_existing": with_k,
        "versions": versions,
        "old_editions_unchanged": not changed,
        "changed_files": changed,
    }


STAGES = {
    "generate": stage_generate,
    "check": stage_check,
    "scan": stage_scan,
    "compute": stage_compute,
    "quarter": stage_quarter,
    "quarter_keep": stage_quarter,
    "quarter_cached": stage_quarter,
    "engine3": stage_compute,
    "pandas3": stage_pandas3,
    "score": stage_score,
    "site": stage_site,
    "site3000": stage_site3000,
    "incremental": stage_incremental,
}


def stage_main(name: str, params: str) -> None:
    p = json.loads(params)
    t = Timer()
    started = time.perf_counter()
    if os.environ.get("BENCH_PROFILE"):  # e.g. BENCH_PROFILE=/tmp/site.prof: cProfile the stage
        import cProfile

        profiler = cProfile.Profile()
        out = profiler.runcall(STAGES[name], p, t)
        profiler.dump_stats(os.environ["BENCH_PROFILE"] + f".{name}")
    else:
        out = STAGES[name](p, t)
    out["inner"] = t.steps
    out["scorecard"] = str(Path(importlib.import_module("scorecard.engine").__file__).parent)
    out["inner_total_wall_s"] = round(time.perf_counter() - started, 3)
    Path(p["result_file"]).write_text(json.dumps(out, default=str))


# =================================================================================================
# parent
# =================================================================================================


def calibration_s() -> float:
    """Return the seconds a fixed pure-Python workload takes now on two cores at once (best
    of three). The speed of a shared virtual machine drifts (by 1.2-1.5x within an hour
    here), so every stage is recorded beside it: compare runs whose calibrations agree."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        child = os.fork()
        _calibration_work()
        if child == 0:
            os._exit(0)
        os.waitpid(child, 0)
        best = min(best, time.perf_counter() - started)
    return round(best, 3)


def _calibration_work() -> None:
    total = 0
    for i in range(4_000_000):
        total += i % 7
    sorted(str(i) for i in range(800_000))


def run_repeated(name: str, params: dict, log: Log, repeat: int) -> dict:
    """Run a stage `repeat` times; return the report of the run with the median wall time,
    with every run's wall, CPU and calibration under "repeats"."""
    reports = [run_stage(name, params, log) for _ in range(max(1, repeat))]
    median = sorted(reports, key=lambda r: r["process_wall_s"])[(len(reports) - 1) // 2]
    if len(reports) > 1:
        keys = ("process_wall_s", "process_cpu_s", "calibration_s", "load_before", "ok")
        median["repeats"] = [{k: r.get(k) for k in keys} for r in reports]
    return median


def run_stage(name: str, params: dict, log: Log) -> dict:
    """Run one stage in a child process; return its report with wall, CPU and peak memory."""
    fd, result_file = tempfile.mkstemp(prefix=f"bench-{name}-", suffix=".json")
    os.close(fd)
    params = {**params, "result_file": result_file}
    calibration = calibration_s()
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "_stage", name, json.dumps(params)],
        cwd=ROOT,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    report = {
        "stage": name,
        "ok": proc.returncode == 0,
        "process_wall_s": round(wall, 2),
        "process_cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "user_s": round(usage.ru_utime, 2),
        "sys_s": round(usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),  # ru_maxrss is in KiB on Linux
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
        "calibration_s": calibration,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    try:
        text = Path(result_file).read_text()
        report.update(json.loads(text) if text else {})
    finally:
        os.unlink(result_file)
    log(
        f"  {name:<12} wall {report['process_wall_s']:>7.1f} s  cpu {report['process_cpu_s']:>7.1f} s"
        f"  peak {report['peak_rss_mb']:>6} MB  load {report['load_before']:.1f}"
        + f"  calibration {calibration:.2f} s"
        + _inner_note(report)
        + ("" if report["ok"] else "  FAILED")
    )
    return report


def _inner_note(report: dict) -> str:
    """Return the stage's own timing of its main step (the one the README tables show), for
    the log line: the process figures before it include start-up and, for the scan, all three
    runs (Round 22 read 5.8 s from them for a floor of 1.8 s)."""
    step = (report.get("inner") or {}).get(report["stage"])
    if not step:
        return ""
    return f"  (inner {report['stage']} wall {step['wall_s']:.1f} s  cpu {step['cpu_s']:.1f} s)"


def compare_values(engine_values: dict, pandas_values: dict) -> dict:
    """Return whether the pandas peer gives the engine's program-level numbers."""
    mismatches = {}
    for key, (num, den) in engine_values.items():
        got = pandas_values.get(key)
        if (
            got is None
            or abs(got[0] - num) > 1e-6 * max(1, abs(num))
            or abs(got[1] - den) > 1e-6 * max(1, abs(den))
        ):
            mismatches[key] = {"engine": [num, den], "pandas": got}
    extra = sorted(set(pandas_values) - set(engine_values))
    return {
        "match": not mismatches and not extra,
        "compared": len(engine_values),
        "mismatches": mismatches,
        "extra": extra,
    }


def run_size(members: int, args: argparse.Namespace, log: Log) -> dict:
    label = size_label(members)
    work = Path(args.work)
    marts = marts_dir(work, members)
    base = {
        "members": members,
        "marts": str(marts),
        "threads": args.threads,
        "memory_limit": args.memory_limit,
    }
    runs_dir = work / f"m{label}"
    runs_dir.mkdir(parents=True, exist_ok=True)
    stages = [s for s in args.stages if s not in ("site3000",)]
    report: dict = {"members": members, "label": label, "stages": {}}
    log(f"{label} members ({marts})")
    cached = (marts / "_generated.json").exists()
    if "generate" in stages or not cached:
        if cached and not args.regenerate:
            log("  generate     cached")
        else:
            report["stages"]["generate"] = run_stage("generate", base, log)
    meta = json.loads((marts / "_generated.json").read_text())
    report["rows"] = sum(meta["rows"].values())
    report["parquet_mb"] = round(sum(f.stat().st_size for f in marts.glob("*.parquet")) / 2**20, 1)
    run_file, scored_file = runs_dir / "run.pickle", runs_dir / "scored.pickle"
    for name in ("check", "scan", "compute", "engine3", "pandas3"):
        if name not in stages:
            continue
        params = dict(base)
        if name == "compute":
            params["save"] = str(run_file)
            params["history"] = str(runs_dir / "history")
        if name == "engine3":
            params["only"] = list(PEER_MEASURES)
        report["stages"][name] = run_stage(name, params, log)
    if "quarter" in stages and (runs_dir / "history").is_dir() and run_file.exists():
        params = {**base, "history": str(runs_dir / "history"), "run": str(run_file)}
        report["stages"]["quarter"] = run_stage("quarter", params, log)
    if "cached" in stages and (runs_dir / "history").is_dir() and run_file.exists():
        cache = runs_dir / "extract-cache"  # emptied, kept by the first run, read by the second
        shutil.rmtree(cache, ignore_errors=True)
        params = {**base, "history": str(runs_dir / "history"), "run": str(run_file)}
        for name in ("quarter_keep", "quarter_cached"):
            report["stages"][name] = run_stage(name, {**params, "cache": str(cache)}, log)
    if "pandas3" in report["stages"] and (
        "engine3" in report["stages"] or "compute" in report["stages"]
    ):
        source = report["stages"].get("compute") or report["stages"]["engine3"]
        report["peer_check"] = compare_values(
            source.get("program_values", {}), report["stages"]["pandas3"].get("program_values", {})
        )
        log(f"  pandas peer matches the engine: {report['peer_check']['match']}")
    if {"score", "site", "incremental"} & set(stages) and run_file.exists():
        report["stages"]["score"] = run_stage(
            "score", {**base, "run": str(run_file), "save": str(scored_file)}, log
        )
        if "site" in stages:
            report["stages"]["site"] = run_stage(
                "site", {**base, "run": str(run_file), "scored": str(scored_file)}, log
            )
        if "incremental" in stages and members == min(args.sizes):
            report["stages"]["incremental"] = run_stage(
                "incremental", {**base, "run": str(run_file), "scored": str(scored_file)}, log
            )
    return report


def merge_results(path: Path, new: dict) -> dict:
    """Merge this run into results.json: sizes and stages not re-run are kept."""
    old = json.loads(path.read_text()) if path.exists() else {}
    sizes = old.get("sizes", {})
    for label, size in new.get("sizes", {}).items():
        kept = sizes.get(label, {})
        stages = {**kept.get("stages", {}), **size.get("stages", {})}
        sizes[label] = {**kept, **size, "stages": stages}
    merged = {**old, **{k: v for k, v in new.items() if k != "sizes"}, "sizes": sizes}
    if "site3000" in old and "site3000" not in new:
        merged["site3000"] = old["site3000"]
    return merged


# ------------------------------------------------------------------------------------- README


def _f(value, digits: int = 1) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, (int, float)):
        return f"{value:,.{digits}f}"
    return str(value)


def _inner(stage: dict | None, step: str, key: str):
    if not stage:
        return None
    return stage.get("inner", {}).get(step, {}).get(key)


def _ordered_sizes(results: dict) -> list[dict]:
    return sorted(results.get("sizes", {}).values(), key=lambda s: s["members"])


def tables_markdown(results: dict) -> str:
    """Return the generated part of the README: machine, figures, ratios, targets."""
    m = results.get("machine", {})
    lines = [
        f"Last run: {results.get('finished', '?')}, command: `{results.get('command', '?')}`.",
        "",
        f"Machine: {m.get('cpu', '?')}, {m.get('cores', '?')} cores, {m.get('memory_gb', '?')} GB "
        f"RAM, {m.get('platform', '')}; Python {m.get('python', '?')}, "
        + ", ".join(f"{k} {v}" for k, v in m.get("libraries", {}).items())
        + f". Load average when the run started: {m.get('load_avg', '?')} "
        "(the machine is shared with other sessions; each stage's load is in results.json).",
        "",
        "Times are seconds. *Wall* and *CPU* (user + sys, all threads) are of the work itself "
        "(timed inside the stage process, start-up and imports excluded); *peak* is the peak "
        "resident memory of the stage's whole process (ru_maxrss via os.wait4).",
        "",
        "### Per stage",
        "",
        "| members | rows | stage | wall s | CPU s | peak MB | load |",
        "|---:|---:|---|---:|---:|---:|---:|",
    ]
    main_step = {
        "generate": ("generate", "write_parquet"),
        "check": ("load_marts",),
        "scan": ("scan",),
        "compute": ("compute",),
        "engine3": ("compute",),
        "pandas3": ("total",),
        "score": ("score",),
        "site": ("publish",),
        "incremental": None,
    }
    for size in _ordered_sizes(results):
        for name, steps in main_step.items():
            stage = size["stages"].get(name)
            if not stage or steps is None:
                continue
            wall = sum(_inner(stage, s, "wall_s") or 0 for s in steps)
            cpu = sum(_inner(stage, s, "cpu_s") or 0 for s in steps)
            label = {
                "generate": "generate + write Parquet",
                "engine3": "engine, 3 measures",
                "pandas3": "pandas, 3 measures",
                "site": "render + mkdocs + publish",
                "compute": "compute (all measures)",
                "scan": "scan floor",
            }.get(name, name)
            lines.append(
                f"| {size['label']} | {size.get('rows', 0):,} | {label} | {_f(wall)} | {_f(cpu)} "
                f"| {stage.get('peak_rss_mb', '-'):,} | {_f(stage.get('load_before'))} |"
            )
    lines += [
        "",
        "### Compute, step by step",
        "",
        "| members | measure rows | load + check | helpers | measures | aggregate | panels + gaps "
        "| compute wall | compute CPU | peak MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size in _ordered_sizes(results):
        c = size["stages"].get("compute")
        if not c:
            continue
        extra = (_inner(c, "panels", "wall_s") or 0) + (_inner(c, "care_gaps", "wall_s") or 0)
        lines.append(
            f"| {size['label']} | {c.get('measure_rows', 0):,} | {_f(_inner(c, 'load_and_check', 'wall_s'))} "
            f"| {_f(_inner(c, 'helpers', 'wall_s'))} | {_f(_inner(c, 'measures', 'wall_s'))} "
            f"| {_f(_inner(c, 'aggregate', 'wall_s'))} | {_f(extra)} | {_f(_inner(c, 'compute', 'wall_s'))} "
            f"| {_f(_inner(c, 'compute', 'cpu_s'))} | {c.get('peak_rss_mb', 0):,} |"
        )
    lines += _slowest_measures(results)
    lines += _quarter_table(results)
    lines += _cached_table(results)
    lines += [
        "",
        "### Against the floor and the pandas peer",
        "",
        "Floor: DuckDB reading every column the measures read once from the Parquet files "
        "(best of 3). Peer: ed_visits, readmission_30d and fuh_7d in plain pandas "
        "(`benchmarks/pandas_peer.py`, read + compute) against engine.run with only those three.",
        "",
        "| members | floor wall / CPU | compute / floor (wall, CPU) | compute after check / floor "
        "(wall, CPU) | pandas 3 wall / CPU | engine 3 wall / CPU | pandas / engine (wall, CPU) "
        "| same numbers |",
        "|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for size in _ordered_sizes(results):
        st = size["stages"]
        s, c, e, pd_ = st.get("scan"), st.get("compute"), st.get("engine3"), st.get("pandas3")

        def ratio(a, b):
            return f"{a / b:,.1f}x" if a and b else "-"

        fw, fc = _inner(s, "scan", "wall_s"), _inner(s, "scan", "cpu_s")
        cw, cc = _inner(c, "compute", "wall_s"), _inner(c, "compute", "cpu_s")
        aw, ac = (
            _inner(c, "compute_after_check", "wall_s"),
            _inner(c, "compute_after_check", "cpu_s"),
        )
        ew, ec = _inner(e, "compute", "wall_s"), _inner(e, "compute", "cpu_s")
        pw, pc = _inner(pd_, "total", "wall_s"), _inner(pd_, "total", "cpu_s")
        match = size.get("peer_check", {}).get("match")
        lines.append(
            f"| {size['label']} | {_f(fw, 2)} / {_f(fc, 2)} | {ratio(cw, fw)}, {ratio(cc, fc)} "
            f"| {ratio(aw, fw)}, {ratio(ac, fc)} | {_f(pw)} / {_f(pc)} | {_f(ew)} / {_f(ec)} "
            f"| {ratio(pw, ew)}, {ratio(pc, ec)} | {'yes' if match else ('no' if match is not None else '-')} |"
        )
    sizes = _ordered_sizes(results)
    lines += [
        "",
        "### Scaling (10x the members)",
        "",
        "| from | to | compute wall | compute CPU | generate wall | generate CPU |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for a, b in zip(sizes, sizes[1:], strict=False):
        ca, cb = a["stages"].get("compute"), b["stages"].get("compute")
        ga, gb = a["stages"].get("generate"), b["stages"].get("generate")

        def grow(x, y, step, key):
            vx, vy = _inner(x, step, key), _inner(y, step, key)
            return f"{vy / vx:,.1f}x" if vx and vy else "-"

        lines.append(
            f"| {a['label']} | {b['label']} | {grow(ca, cb, 'compute', 'wall_s')} | {grow(ca, cb, 'compute', 'cpu_s')} "
            f"| {grow(ga, gb, 'generate', 'wall_s')} | {grow(ga, gb, 'generate', 'cpu_s')} |"
        )
    s3 = results.get("site3000")
    if s3:
        pages = s3.get("pages", {})
        lines += [
            "",
            f"### Site with {s3.get('practices', '?'):,} practices",
            "",
            f"Results of the {s3.get('source', '?')} run relabelled to {s3.get('practices', '?'):,} "
            f"practices ({s3.get('result_rows', 0):,} result rows; `expand_practices` in run.py); "
            f"{pages.get('html_total', '?'):,} HTML files, {pages.get('practice', '?'):,} practice pages, "
            f"{pages.get('mb', '?')} MB.",
            "",
            "| step | wall s | CPU s |",
            "|---|---:|---:|",
        ]
        for step in ("score", "render_markdown", "mkdocs", "downloads_es_wait", "publish"):
            lines.append(
                f"| {step} | {_f(_inner(s3, step, 'wall_s'))} | {_f(_inner(s3, step, 'cpu_s'))} |"
            )
        lines.append(f"| peak memory | {s3.get('peak_rss_mb', 0):,} MB | |")
        lines += _repeat_lines(s3)
    inc = None
    for size in sizes:
        inc = size["stages"].get("incremental") or inc
    if inc:
        lines += [
            "",
            "### Incremental publishing",
            "",
            f"Editions published one after another into one folder ({sizes[0]['label']} results). "
            f"Earlier editions byte-identical with unchanged mtimes after each publish: "
            f"**{'yes' if inc.get('old_editions_unchanged') else 'NO'}**.",
            "",
            "| edition | editions already published | wall s | CPU s |",
            "|---|---:|---:|---:|",
        ]
        for row in inc.get("publishes", []):
            lines.append(
                f"| {row['edition']} | {row['already_published']} | {_f(row['wall_s'])} "
                f"| {_f(row['cpu_s'])} |"
            )
        if inc.get("publish_with_existing"):
            lines += [
                "",
                "The newest edition published into folders already holding k editions (copies "
                "of one edition under earlier ids), so that only k changes:",
                "",
                "| k editions already there | wall s | CPU s | the k editions unchanged |",
                "|---:|---:|---:|---|",
            ]
            for row in inc["publish_with_existing"]:
                lines.append(
                    f"| {row['existing_editions']} | {_f(row['wall_s'])} | {_f(row['cpu_s'])} "
                    f"| {'yes' if row['unchanged'] else 'NO'} |"
                )
    return "\n".join(lines)


def _quarter_table(results: dict) -> list[str]:
    """Return the table of the quarter stage: the newest quarter with a results history."""
    sizes = [s for s in _ordered_sizes(results) if s["stages"].get("quarter")]
    if not sizes:
        return []
    lines = [
        "",
        "### Publishing a new quarter with a results history",
        "",
        "`compute` computes all 8 quarters into an empty results history; `quarter` then computes "
        "the newest quarter with the earlier ones read from the history (`scorecard build --history "
        "DIR`), and its results table is compared with compute's.",
        "",
        "| members | all quarters wall / CPU | newest quarter wall / CPU | peak MB "
        "| (measure, quarter) computed / read back | all / newest (CPU) "
        "| newest / floor (wall, CPU) | same results |",
        "|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for size in sizes:
        st = size["stages"]
        c, q, f = st.get("compute"), st["quarter"], st.get("scan")
        cw, cc = _inner(c, "compute", "wall_s"), _inner(c, "compute", "cpu_s")
        qw, qc = _inner(q, "compute", "wall_s"), _inner(q, "compute", "cpu_s")
        fw, fc = _inner(f, "scan", "wall_s"), _inner(f, "scan", "cpu_s")
        speedup = f"{cc / qc:.1f}x" if cc and qc else "-"
        floor = f"{qw / fw:.0f}x, {qc / fc:.0f}x" if fw and fc and qw and qc else "-"
        lines.append(
            f"| {size['label']} | {_f(cw)} / {_f(cc)} | {_f(qw)} / {_f(qc)} "
            f"| {q.get('peak_rss_mb', 0):,} | {q.get('computed', 0):,} / "
            f"{q.get('read_from_history', 0):,} | {speedup} | {floor} "
            f"| {'yes' if q.get('same_results_as_compute') else 'NO'} |"
        )
    return lines


def _cached_table(results: dict) -> list[str]:
    """Return the table of the cached stage: the newest quarter from a kept extract."""
    sizes = [s for s in _ordered_sizes(results) if s["stages"].get("quarter_cached")]
    if not sizes:
        return []
    lines = [
        "",
        "### The newest quarter from a checked extract kept between builds",
        "",
        "`scorecard build --history DIR --cache DIR` twice on the same marts, the cache emptied "
        "first: the first build loads and checks the marts, makes the helpers that depend on "
        "them alone and keeps them (`quarter_keep`); the second starts from a copy "
        "(`quarter_cached`: look-up = hashing the marts and copying the kept file). Inner wall / "
        "CPU s; both results tables are compared with compute's.",
        "",
        "| members | run | look-up | load + check | helpers | measures | compute | process wall "
        "| peak MB | same results |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for size in sizes:
        for name in ("quarter", "quarter_keep", "quarter_cached"):
            st = size["stages"].get(name)
            if not st:
                continue
            cells = [
                f"{_f(_inner(st, step, 'wall_s'))} / {_f(_inner(st, step, 'cpu_s'))}"
                if _inner(st, step, "wall_s") is not None
                else "-"
                for step in ("extract_look_up", "load_and_check", "helpers", "measures", "compute")
            ]
            lines.append(
                f"| {size['label']} | {name} | {' | '.join(cells)} | {_f(st.get('process_wall_s'))} "
                f"| {st.get('peak_rss_mb', 0):,} "
                f"| {'yes' if st.get('same_results_as_compute') else 'NO'} |"
            )
    return lines


def _slowest_measures(results: dict, top: int = 10) -> list[str]:
    """Return the README lines of the measures that took longest (rows + aggregation)."""
    sizes = [
        s for s in _ordered_sizes(results) if s["stages"].get("compute", {}).get("measure_seconds")
    ]
    if not sizes:
        return []
    largest = sizes[-1]["stages"]["compute"]["measure_seconds"]
    slowest = sorted(largest, key=largest.get, reverse=True)[:top]
    header = " | ".join(s["label"] for s in sizes)
    lines = [
        "",
        f"### Where the measure time goes (the {top} slowest at {sizes[-1]['label']}, wall s)",
        "",
        f"| measure | {header} | share of all measures at {sizes[-1]['label']} |",
        "|---|" + "---:|" * (len(sizes) + 1),
    ]
    total = sum(largest.values()) or 1.0
    for measure in slowest:
        cells = " | ".join(
            _f(s["stages"]["compute"]["measure_seconds"].get(measure)) for s in sizes
        )
        lines.append(f"| {measure} | {cells} | {100 * largest[measure] / total:.0f}% |")
    all_cells = " | ".join(
        _f(sum(s["stages"]["compute"]["measure_seconds"].values())) for s in sizes
    )
    lines.append(f"| all {len(largest)} measures | {all_cells} | 100% |")
    return lines


def _repeat_lines(stage: dict) -> list[str]:
    """Return the table of a repeated stage's runs (whole stage process), or nothing."""
    runs = stage.get("repeats") or []
    if not runs:
        return []
    lines = [
        "",
        f"The whole stage, {len(runs)} runs one after another (the steps above are of the run "
        "with the median wall time); calibration: seconds of a fixed Python workload on both "
        "cores just before the run (lower is a faster machine at that moment).",
        "",
        "| run | wall s | CPU s | calibration s | load |",
        "|---:|---:|---:|---:|---:|",
    ]
    for number, run in enumerate(runs, 1):
        lines.append(
            f"| {number} | {_f(run.get('process_wall_s'))} | {_f(run.get('process_cpu_s'))} "
            f"| {_f(run.get('calibration_s'), 2)} | {_f(run.get('load_before'))} |"
        )
    return lines


def write_readme(results: dict, path: Path = README) -> None:
    """Replace the generated block of the README (between the markers), keeping the rest."""
    block = f"{START}\n{tables_markdown(results)}\n{END}"
    if path.exists():
        text = path.read_text(encoding="utf-8")
        if START in text and END in text:
            head, rest = text.split(START, 1)
            _, tail = rest.split(END, 1)
            text = head + block + tail
        else:
            text = text.rstrip() + "\n\n## Figures\n\n" + block + "\n"
    else:
        text = "# Benchmarks\n\n## Figures\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_stage":
        stage_main(argv[1], argv[2])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10k,100k,1m", help="members, e.g. 10k,100k,1m")
    parser.add_argument("--stages", default=",".join(ALL_STAGES), help="comma-separated stages")
    parser.add_argument("--work", default=str(DEFAULT_WORK), help="cache of marts and runs")
    parser.add_argument("--results", default=str(DEFAULT_RESULTS))
    parser.add_argument("--no-readme", action="store_true", help="do not rewrite README tables")
    parser.add_argument("--readme", default=str(README), help="README whose tables are rewritten")
    parser.add_argument("--regenerate", action="store_true", help="regenerate cached marts")
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads")
    parser.add_argument("--memory-limit", default=None, help="DuckDB memory limit, e.g. 6GB")
    parser.add_argument("--site-practices", type=int, default=3000)
    parser.add_argument(
        "--repeat", type=int, default=1, help="run site3000 this many times, keep the median"
    )
    parser.add_argument(
        "--site-size",
        default=None,
        help="size whose results site3000 relabels (default: the largest size run)",
    )
    args = parser.parse_args(argv)
    args.sizes = sorted(parse_size(s) for s in args.sizes.split(","))
    args.stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    unknown = set(args.stages) - set(ALL_STAGES)
    if unknown:
        parser.error(f"unknown stage(s) {sorted(unknown)}; known: {ALL_STAGES}")

    def log(text: str) -> None:
        print(text, flush=True)

    command = "python benchmarks/run.py " + " ".join(argv)
    results: dict = {"machine": machine(), "command": command.strip(), "sizes": {}}
    log(
        f"machine: {results['machine']['cores']} cores, {results['machine']['memory_gb']} GB, "
        f"load {results['machine']['load_avg']}"
    )
    for members in args.sizes:
        size = run_size(members, args, log)
        results["sizes"][size["label"]] = size
    if "site3000" in args.stages:
        source = parse_size(args.site_size) if args.site_size else max(args.sizes)
        label = size_label(source)
        run_file = Path(args.work) / f"m{label}" / "run.pickle"
        if run_file.exists():
            log(f"site with ~{args.site_practices} practices (from the {label} results)")
            s3 = run_repeated(
                "site3000",
                {
                    "run": str(run_file),
                    "marts": str(marts_dir(Path(args.work), source)),
                    "practices": args.site_practices,
                },
                log,
                args.repeat,
            )
            s3["source"] = label
            results["site3000"] = s3
        else:
            log(f"site3000 skipped: no {run_file} (run the compute stage for {label} first)")
    results["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    path = Path(args.results)
    merged = merge_results(path, results)
    path.write_text(json.dumps(merged, indent=1, default=str) + "\n")
    if not args.no_readme:
        write_readme(merged, Path(args.readme))
    log(f"wrote {path}" + ("" if args.no_readme else f" and {args.readme}"))
    failed = [
        f"{size['label']}:{name}"
        for size in results["sizes"].values()
        for name, stage in size["stages"].items()
        if not stage.get("ok")
    ] + (["site3000"] if results.get("site3000") and not results["site3000"].get("ok") else [])
    if failed:
        log(f"FAILED stages: {failed}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
