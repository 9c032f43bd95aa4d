"""A tiny run of the scale benchmark (benchmarks/run.py) to prove the harness works.

Not a timed test: 1,000 members (with 500 two measures go uncomputed; the time goes to
running ~70 measures, not to the members), the stages that need no site build. The figures
themselves come from `python benchmarks/run.py` (see benchmarks/README.md).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _harness():
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_the_harness_runs_every_compute_stage_and_writes_its_tables(tmp_path: Path) -> None:
    bench = _harness()
    results, readme = tmp_path / "results.json", tmp_path / "README.md"
    readme.write_text("# Benchmarks\n\nkept\n\n<!-- results:start -->\nold\n<!-- results:end -->\n")
    argv = ["--sizes", "1k", "--work", str(tmp_path / "work"), "--results", str(results)]
    stages = "generate,check,scan,compute,quarter,cached,pandas3"
    argv += ["--stages", stages, "--readme", str(readme)]
    assert bench.main(argv) == 0
    report = json.loads(results.read_text())
    size = report["sizes"]["1k"]
    for stage in ("generate", "check", "scan", "compute", "quarter", "quarter_cached", "pandas3"):
        assert size["stages"][stage]["ok"], stage
        assert size["stages"][stage]["peak_rss_mb"] > 0
        assert size["stages"][stage]["calibration_s"] > 0  # the machine's speed beside it
    assert size["stages"]["compute"]["measures"] > 60
    assert size["peer_check"]["match"], size["peer_check"]["mismatches"]
    quarter = size["stages"]["quarter"]  # the newest quarter only, earlier ones read back
    assert quarter["same_results_as_compute"]
    assert quarter["computed"] == size["stages"]["compute"]["measures"]
    assert quarter["read_from_history"] > quarter["computed"]
    kept, cached = size["stages"]["quarter_keep"], size["stages"]["quarter_cached"]
    assert kept["same_results_as_compute"] and cached["same_results_as_compute"]
    assert "load_and_check" in kept["inner"] and "load_and_check" not in cached["inner"]
    text = readme.read_text()
    assert "kept" in text and "old" not in text and "| 1k |" in text


def test_expanding_practices_multiplies_the_practice_level_only() -> None:
    import pandas as pd

    bench = _harness()

    class Run:
        results = pd.DataFrame(
            {
                "level": ["program", "practice", "practice"],
                "entity_id": ["ALL", "PR1", "PR2"],
                "kind": ["proportion"] * 3,
                "numerator": [10.0, 4.0, 6.0],
                "denominator": [20.0, 8.0, 12.0],
                "numerator_sq": [10.0, 4.0, 6.0],
                "numerator_denominator": [10.0, 4.0, 6.0],
                "value": [50.0, 50.0, 50.0],
            }
        )
        organizations = pd.DataFrame(
            {"org_id": ["A1", "PR1", "PR2"], "org_name": ["a", "p1", "p2"]}
        )
        panels = None
        care_gaps = None

    run, n = bench.expand_practices(Run(), 6)
    practices = run.results[run.results["level"] == "practice"]
    assert n == 6 and practices["entity_id"].nunique() == 6
    assert (practices["numerator"] <= practices["denominator"]).all()
    assert len(run.results[run.results["level"] == "program"]) == 1
    assert set(run.organizations["org_id"]) >= set(practices["entity_id"])


def test_a_repeated_stage_reports_its_median_run_and_every_run(monkeypatch) -> None:
    bench = _harness()
    walls = iter([30.0, 10.0, 20.0])

    def fake_stage(name: str, params: dict, log) -> dict:
        wall = next(walls)
        return {"stage": name, "ok": True, "process_wall_s": wall, "process_cpu_s": 2 * wall}

    monkeypatch.setattr(bench, "run_stage", fake_stage)
    report = bench.run_repeated("site3000", {}, print, 3)
    assert report["process_wall_s"] == 20.0 and report["process_cpu_s"] == 40.0
    assert [r["process_wall_s"] for r in report["repeats"]] == [30.0, 10.0, 20.0]
    monkeypatch.setattr(bench, "run_stage", fake_stage)
    walls = iter([5.0])
    assert "repeats" not in bench.run_repeated("site3000", {}, print, 1)
