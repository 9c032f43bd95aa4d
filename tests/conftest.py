"""Shared fixtures: a small demo published twice by the real `scorecard build`, and Chromium.

`demo_site` builds once per test session: synthetic marts (scorecard.demo) for 6,000 members,
thirteen measures covering every family, published as 2025Q3 and then 2025Q4 into one output
folder, exactly as a user would run it. tests/test_readable.py reads the files; tests/
test_browser.py serves them and drives Debian's Chromium through Playwright.

Browser fixtures fail (never skip) when Playwright or Chromium is missing: CI installs both.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

# One BLAS thread, set before numpy is first imported (an OPENBLAS_NUM_THREADS already set
# wins): the privacy audit of every partner and public edition (scorecard.disclosure, LSMR)
# runs thousands of products of small vectors, which OpenBLAS's threads made 3-4x slower on
# two cores (test_every_edition_of_the_demo_gives_no_count_of_1_to_10_away 48 s -> 13 s).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_MEASURES = (
    "members",
    "member_months",
    "prevalence_diabetes",
    "cp_engagement_122d",
    "cp_followup_discharge_3bd",
    "cp_days_to_first_contact",
    "ed_visits",
    "total_cost_pmpm",
    "acute_admissions",
    "readmission_30d",
    "fuh_7d",
    "controlling_blood_pressure",
    "breast_cancer_screening",
)
VERSIONS = ("2025Q3", "2025Q4")  # published in this order; 2025Q4 is the newest


def _demo_inputs(root: Path) -> tuple[Path, Path]:
    from scorecard import demo

    data, measures = root / "data", root / "measures"
    demo.write_marts(demo.generate_marts(members=6000, seed=11), data)
    measures.mkdir()
    for name in DEMO_MEASURES:
        shutil.copy(ROOT / "measures" / f"{name}.yml", measures / f"{name}.yml")
    shutil.copy(ROOT / "measures" / "_tiers.yml", measures / "_tiers.yml")  # incentive tiers
    shutil.copytree(ROOT / "measures" / "sql", measures / "sql")
    shutil.copytree(ROOT / "measures" / "value_sets", measures / "value_sets")
    return data, measures


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Build the small demo and publish two versions; return paths and timings."""
    from scorecard.cli import main

    root = tmp_path_factory.mktemp("demo")
    started = time.perf_counter()
    data, measures = _demo_inputs(root)
    out = root / "site"
    for period in VERSIONS:
        args = ["build", "--data", str(data), "--measures", str(measures), "--out", str(out)]
        result = CliRunner().invoke(main, [*args, "--period", period, "--quiet"])
        assert result.exit_code == 0, result.output
    return {
        "out": out,
        "newest": out / VERSIONS[-1],
        "older": out / VERSIONS[0],
        "data": data,
        "measures": measures,
        "seconds": time.perf_counter() - started,
    }


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Return Debian's chromium; fail (not skip) when it is missing."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "Debian's chromium is needed for the browser tests: apt-get install -y chromium"
    return path


@pytest.fixture(scope="module")
def sc_browser(chromium_path: str) -> Iterator:
    """Yield a headless Chromium driven by Playwright (its own browser download is not used).

    Module scope: Playwright's sync API runs one event loop per thread, so it must stop before
    another module (test_site.py, test_publish.py) starts its own.
    """
    from playwright.sync_api import sync_playwright  # ImportError fails the test: no skip

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture()
def sc_page(sc_browser) -> Iterator:
    """Yield a fresh page (1280 x 900) that records script errors in page.errors."""
    context = sc_browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))  # type: ignore[attr-defined]
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="session")
def demo_url(demo_site: dict) -> Iterator[str]:
    """Yield the base URL of the demo output folder served over HTTP on 127.0.0.1."""
    from site_fixture import serve_folder

    with serve_folder(demo_site["out"]) as url:
        yield url


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Return test-artifacts/ (git-ignored), where browser tests leave screenshots and PDFs."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
