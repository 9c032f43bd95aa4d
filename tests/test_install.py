"""A non-editable install works: the wheel `pip wheel .` builds carries the SQL helpers and the
top-level site_templates/, measures/, data/demo/ and mkdocs.yml (scorecard/resources.py), so
an installed `scorecard` run from a folder outside the checkout checks and builds the demo."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from scorecard.resources import CHECKOUT, RESOURCES, resource_root

# What a wheel is built from; copied so that the build leaves nothing (build/, *.egg-info) here.
SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "scorecard", *RESOURCES)


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    # without PYTHONPATH: a checkout on it would be imported instead of the installed wheel
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


def test_a_checkout_reads_its_own_folders() -> None:
    assert resource_root() == CHECKOUT  # an editable install sees edits to the templates


@pytest.mark.slow
def test_an_installed_wheel_checks_and_builds_the_demo_outside_the_checkout(
    tmp_path: Path,
) -> None:
    source = tmp_path / "source"
    for name in SOURCES:
        path, copy = CHECKOUT / name, source / name
        copy.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            shutil.copytree(path, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, copy)
    wheels = tmp_path / "wheels"
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    run([*pip_wheel, "--no-index", "-w", str(wheels), "."], source)
    (wheel,) = wheels.glob("scorecard-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("sql/extract_helpers.sql", "_resources/mkdocs.yml", "_resources/measures"):
        assert any(n.startswith(f"scorecard/{name}") for n in names), name

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], tmp_path)
    python = venv / "bin" / "python"
    run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)], tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    root = run(
        [str(python), "-c", "from scorecard import resources as r; print(r.resource_root())"],
        elsewhere,
    )
    assert "site-packages" in root.stdout and root.stdout.strip().endswith("_resources")
    scorecard = str(venv / "bin" / "scorecard")
    assert run([scorecard, "check"], elsewhere).stdout.rstrip().endswith("ok")
    assert "colorectal_cancer_screening" in run([scorecard, "measures", "list"], elsewhere).stdout
    built = run([scorecard, "build", "--out", "site", "--quiet"], elsewhere)
    assert (elsewhere / "site" / "2025Q4" / "index.html").is_file(), built.stdout
    assert sorted(p.name for p in elsewhere.iterdir()) == ["site"]
