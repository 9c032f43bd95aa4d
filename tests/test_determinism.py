"""The same marts, specs and period give byte-identical output, and the manifest says which."""

from __future__ import annotations

import gzip
import json
import shutil
import struct
from pathlib import Path

import pytest
from publish_fixture import run_scorecard, small_marts, small_measures, tree_digest

from scorecard.build import file_sha256

MANIFEST_KEYS = {
    "period",
    "audience",
    "audience_rules",
    "tool_version",
    "libraries",
    "data_from",
    "data_as_of",
    "inputs",
    "value_sets",
    "measures",
    "measure_files",
    "skipped_measures",
    "star_seed",
}


@pytest.fixture(scope="module")
def twice(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Build the small demo twice: other folders, hash seed, time zone and working copy."""
    base = tmp_path_factory.mktemp("determinism")
    marts, measures = small_marts(base / "marts"), small_measures(base / "measures")
    other_marts = shutil.copytree(marts, base / "elsewhere" / "marts")
    other_measures = shutil.copytree(measures, base / "elsewhere" / "measures")
    runs = [
        (marts, measures, base / "one", {"PYTHONHASHSEED": "1", "TZ": "UTC"}),
        (other_marts, other_measures, base / "two", {"PYTHONHASHSEED": "2", "TZ": "Asia/Tokyo"}),
    ]
    for data, specs, out, env in runs:
        args = ["build", "--data", str(data), "--measures", str(specs), "--out", str(out)]
        done = run_scorecard(*args, "--quiet", env=env)
        assert done.returncode == 0, done.stderr
    return {"one": base / "one", "two": base / "two", "marts": marts}


def test_two_builds_are_byte_identical(twice: dict) -> None:
    one, two = tree_digest(twice["one"]), tree_digest(twice["two"])
    assert len(one) > 100
    kinds = {Path(name).suffix for name in one}
    assert {".html", ".json", ".csv", ".parquet", ".gz", ".xml"} <= kinds
    different = sorted(name for name in one.keys() | two.keys() if one.get(name) != two.get(name))
    assert not different


def test_sitemap_is_dated_by_the_data_not_by_the_clock(twice: dict) -> None:
    data = (twice["one"] / "2025Q4" / "sitemap.xml.gz").read_bytes()
    (mtime,) = struct.unpack("<I", data[4:8])  # the gzip header's timestamp
    manifest = json.loads((twice["one"] / "2025Q4" / "downloads" / "manifest.json").read_text())
    assert manifest["data_as_of"] == "2025-12-31" and mtime == 1767139200
    assert gzip.decompress(data).decode().startswith("<?xml")


def test_manifest_is_complete_and_on_the_provenance_page(twice: dict) -> None:
    version = twice["one"] / "2025Q4"
    manifest = json.loads((version / "downloads" / "manifest.json").read_text())
    assert set(manifest) >= MANIFEST_KEYS
    assert manifest["period"] == "2025Q4" and manifest["audience"] == "internal"
    marts = twice["marts"]
    assert manifest["inputs"] == {p.stem: file_sha256(p) for p in sorted(marts.glob("*.csv"))}
    assert all(name.endswith((".yml", ".sql")) for name in manifest["measure_files"])
    assert set(manifest["measures"]) and set(manifest["libraries"]) >= {"duckdb", "mkdocs"}
    page = (version / "provenance.html").read_text(encoding="utf-8")
    for text in (manifest["inputs"]["eligibility"], manifest["tool_version"], "2025-12-31"):
        assert text in page


def test_pages_from_shells_and_forked_processes_are_the_theme_s_pages(
    twice: dict, tmp_path: Path
) -> None:
    """Every page rendered by mkdocs-material's template, in one process, is byte for byte the
    page the default build writes (pages filled from page shells, scorecard/shell.py, and, with
    two workers, downloads and the Spanish pages made in a forked process)."""
    measures = small_measures(tmp_path / "measures")
    args = ["build", "--data", str(twice["marts"]), "--measures", str(measures)]
    env = {"SCORECARD_SHELLS": "0", "SCORECARD_WORKERS": "1", "PYTHONHASHSEED": "3"}
    done = run_scorecard(*args, "--out", str(tmp_path / "theme"), "--quiet", env=env)
    assert done.returncode == 0, done.stderr
    env = {"SCORECARD_WORKERS": "2", "PYTHONHASHSEED": "4"}
    done = run_scorecard(*args, "--out", str(tmp_path / "forked"), "--quiet", env=env)
    assert done.returncode == 0, done.stderr
    folders = (tmp_path / "theme", twice["one"], tmp_path / "forked")
    theme, one, forked = (tree_digest(folder) for folder in folders)
    assert len(theme) > 100 and sum(name.endswith(".html") for name in theme) > 20
    for other in (one, forked):
        assert sorted(n for n in theme.keys() | other.keys() if theme.get(n) != other.get(n)) == []
