"""Small inputs for the publishing tests: a demo with few partners, a few measures, tree hashes."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd

from scorecard.demo import generate_marts, write_marts

ROOT = Path(__file__).resolve().parents[1]
# One measure per family, and quality measures (one inverse) for the care-gap lists.
SMALL_MEASURES = (
    "cp_engagement_122d",
    "ed_visits",
    "hba1c_testing",
    "hba1c_poor_control",
    "depression_screening_followup",
)
KEEP_ACOS = ("ACO01", "ACO02", "ACO03", "ACO04", "ACO05")
KEEP_CPS = ("CP01", "CP02", "CP03", "CP15", "CP16")  # BH and LTSS


def small_measures(folder: Path, ids: tuple[str, ...] = SMALL_MEASURES) -> Path:
    """Copy a few measure specs, the SQL folder (shared files and fragments) and every value set
    into folder; return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for measure_id in ids:
        shutil.copy(ROOT / "measures" / f"{measure_id}.yml", folder / f"{measure_id}.yml")
    shutil.copytree(ROOT / "measures" / "sql", folder / "sql", dirs_exist_ok=True)
    shutil.copytree(ROOT / "measures" / "value_sets", folder / "value_sets", dirs_exist_ok=True)
    return folder


def small_frames() -> dict[str, pd.DataFrame]:
    """Return the demo marts (600 members, 24 months) cut down to 5 ACOs and 5 CPs. Two years,
    as the quality measures of the care-gap lists look back a year before their 12-month
    window; seed 7 leaves members of the 5 CPs with gaps in three of them."""
    frames = generate_marts(members=600, months=24, seed=7)
    orgs = frames["organization"]
    keep = orgs["org_id"].isin(KEEP_ACOS + KEEP_CPS) | orgs["parent_org_id"].isin(KEEP_ACOS)
    frames["organization"] = orgs[keep].reset_index(drop=True)
    kept = set(frames["organization"]["org_id"])
    attribution = frames["attribution"].copy()
    for column in ("aco_id", "cp_id", "practice_id"):
        attribution[column] = attribution[column].where(attribution[column].isin(kept))
    frames["attribution"] = attribution
    for table, frame in list(frames.items()):
        if table != "attribution" and "cp_id" in frame.columns:
            frames[table] = frame[frame["cp_id"].isin(kept)].reset_index(drop=True)
    return frames


def small_marts(folder: Path) -> Path:
    """Write the small demo marts as CSV into folder; return it."""
    write_marts(small_frames(), folder)
    return folder


def tree_digest(folder: Path) -> dict[str, str]:
    """Return relative path -> sha256 of every file under folder."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(Path(folder).rglob("*"))
        if p.is_file()
    }


def published_digest(folder: Path) -> dict[str, str]:
    """Return tree_digest without what is never served: .build-* folders of a killed build."""
    return {k: v for k, v in tree_digest(folder).items() if not k.startswith(".build-")}


def scorecard_command(*args: str) -> list[str]:
    """Return the command line running the scorecard CLI with this interpreter."""
    return [sys.executable, "-c", "from scorecard.cli import main; main()", *args]


def run_scorecard(
    *args: str, env: dict | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """Run the scorecard CLI in a subprocess; return the completed process (text output)."""
    return subprocess.run(
        scorecard_command(*args),
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
        check=False,
    )
