"""DuckDB vs Spark local: time build.compute (the compute stage of `scorecard build`). By hand.

    python benchmarks/spark_vs_duckdb.py --data /tmp/demo100k
    python benchmarks/spark_vs_duckdb.py --data data/demo --engines spark --driver-memory 2g

Each engine runs in a process of its own (a fresh interpreter, and for Spark a fresh JVM), which
times build.compute(): mart validation in DuckDB, then the helpers, every measure and the
aggregation in the engine, then panel sizes and care gaps. For Spark, starting the session
(the JVM) is timed apart and counted in the total. Figures:

    wall        seconds of the stage (session start + compute)
    CPU         user + sys seconds of the process tree: the Python process (all threads) and
                the JVM, read from /proc just before the session stops
    peak RSS    the largest sum of resident memory over the process tree, sampled every 0.2 s;
                and the JVM's own peak (VmHWM)

The load average is read before and after each engine (the machine may be shared), and the two
engines' results tables are compared as tests/test_spark.py does (units exactly, sums to 1e-9).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
KEYS = ["measure_id", "period_id", "level", "entity_id", "stratum", "stratum_value"]
SUMS = [
    *("numerator", "denominator", "numerator_sq", "denominator_sq", "numerator_denominator"),
    *("persons", "persons_numerator", "persons_complement", "value"),
]
TICK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def _stat(pid: int) -> list[str] | None:
    """Return the fields of /proc/<pid>/stat after the command name, or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def descendants(root: int) -> list[int]:
    """Return the ids of every live process under `root` (children, their children...)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        fields = _stat(int(entry)) if entry.isdigit() else None
        if fields:
            parents[int(entry)] = int(fields[1])
    found, frontier = [], [root]
    while frontier:
        children = [pid for pid, ppid in parents.items() if ppid in frontier]
        found += children
        frontier = children
    return found


def tree_rss_mb(root: int) -> float:
    """Return the resident memory of `root` and its descendants, in MB."""
    total = 0
    for pid in [root, *descendants(root)]:
        fields = _stat(pid)
        total += int(fields[21]) * PAGE_KB if fields else 0
    return total / 1024


def children_cpu_s(root: int) -> float:
    """Return user + sys seconds of the live descendants of `root` (the JVM, for Spark)."""
    total = 0
    for pid in descendants(root):
        fields = _stat(pid)
        total += sum(int(f) for f in fields[11:15]) if fields else 0
    return total / TICK


def jvm_peak_mb(root: int) -> float:
    """Return the largest VmHWM (peak resident memory) of a java process under `root`, in MB."""
    peaks = [0.0]
    for pid in descendants(root):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"java" in command:
            line = next(x for x in status.splitlines() if x.startswith("VmHWM"))
            peaks.append(int(line.split()[1]) / 1024)
    return max(peaks)


class PeakSampler(threading.Thread):
    """Sample the process tree's resident memory until stopped; keep the peak (MB)."""

    def __init__(self, interval: float = 0.2):
        super().__init__(daemon=True)
        self.interval, self.peak_mb, self.done = interval, 0.0, threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak_mb = max(self.peak_mb, tree_rss_mb(os.getpid()))
            self.done.wait(self.interval)


def own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure_engine(
    engine_name: str, data: Path, master: str, driver_memory: str, out: Path
) -> dict:
    """Run build.compute with `engine_name` in this process; return its figures."""
    from scorecard import build
    from scorecard.settings import load_settings
    from scorecard.specs import load_specs

    settings = load_settings(None, data=data, engine=engine_name, spark_master=master)
    specs = load_specs(settings.measures)
    sampler = PeakSampler()
    sampler.start()
    started, cpu_before, session_s, spark = time.perf_counter(), own_cpu_s(), 0.0, None
    if engine_name == "spark":
        from scorecard import spark_engine

        spark = spark_engine.session(master, conf={"spark.driver.memory": driver_memory})
        session_s = time.perf_counter() - started
    run = build.compute(settings, specs)
    wall = time.perf_counter() - started
    cpu = own_cpu_s() - cpu_before + children_cpu_s(os.getpid())
    sampler.done.set()
    sampler.join()
    figures = {
        "engine": engine_name,
        "wall_s": round(wall, 1),
        "session_s": round(session_s, 1),
        "cpu_s": round(cpu, 1),
        "peak_rss_mb": round(max(sampler.peak_mb, tree_rss_mb(os.getpid())), 0),
        "jvm_peak_mb": round(jvm_peak_mb(os.getpid()), 0),
        "result_rows": len(run.results),
    }
    run.results[KEYS + ["units", *SUMS]].to_parquet(out / f"results_{engine_name}.parquet")
    if spark is not None:
        spark.stop()
    return figures


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def run_child(engine_name: str, args: argparse.Namespace, out: Path) -> dict:
    """Run one engine in a fresh interpreter; return its figures with the load around it."""
    before = load_average()
    command = [sys.executable, __file__, "--child", engine_name, "--data", str(args.data)]
    command += ["--master", args.master, "--driver-memory", args.driver_memory, "--out", str(out)]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{engine_name} failed:\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return {**figures, "load_before": before, "load_after": load_average()}


def differences(out: Path) -> list[str]:
    """Return the measures whose results differ between the engines (empty when the same)."""
    duck = pd.read_parquet(out / "results_duckdb.parquet")
    spark = pd.read_parquet(out / "results_spark.parquet")
    both = duck.merge(spark, on=KEYS, how="outer", suffixes=("_d", "_s"), indicator=True)
    bad = set(both.loc[both["_merge"] != "both", "measure_id"])
    matched = both[both["_merge"] == "both"]
    bad |= set(matched.loc[matched["units_d"] != matched["units_s"], "measure_id"])
    for column in SUMS:
        d, s = matched[f"{column}_d"].astype(float), matched[f"{column}_s"].astype(float)
        same = np.isclose(d, s, rtol=1e-9, atol=1e-9) | (d.isna() & s.isna())
        bad |= set(matched.loc[~same, "measure_id"])
    return sorted(bad)


def table(rows: list[dict]) -> str:
    """Return the figures as a Markdown table."""
    lines = [
        "| engine | wall s | of which session start | CPU s | peak RSS MB (tree) | "
        "JVM peak MB | result rows | load before / after |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['engine']} | {r['wall_s']} | {r['session_s']} | {r['cpu_s']} | "
            f"{r['peak_rss_mb']:,.0f} | {r['jvm_peak_mb']:,.0f} | {r['result_rows']:,} | "
            f"{r['load_before'][0]} / {r['load_after'][0]} |"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder of mart files")
    parser.add_argument("--engines", default="duckdb,spark", help="comma-separated, in order")
    parser.add_argument("--master", default="local[*]", help="Spark master")
    parser.add_argument("--driver-memory", default="3g", help="Spark driver (JVM) heap")
    parser.add_argument("--out", type=Path, default=None, help="folder for the results files")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.child:
        figures = measure_engine(args.child, args.data, args.master, args.driver_memory, args.out)
        print(json.dumps(figures))
        return
    out = args.out or Path(tempfile.mkdtemp(prefix="spark_vs_duckdb_"))
    out.mkdir(parents=True, exist_ok=True)
    rows = [run_child(name, args, out) for name in args.engines.split(",")]
    print(json.dumps(rows, indent=1))
    print(table(rows))
    if len(rows) == 2:
        bad = differences(out)
        print("same results" if not bad else f"results differ in: {', '.join(bad)}")


if __name__ == "__main__":
    main()
