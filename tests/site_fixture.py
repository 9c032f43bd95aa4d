"""A tiny SiteInput for the site tests: 2 ACOs, 2 CPs, 3 practices, 3 measures, 4 periods.

Marked values let the tests check privacy: SECRET_* numbers belong to suppressed rows and must
never appear on a page or in a download; SMALL_COUNT sits, unsuppressed by mistake, in a row
whose counts must still be blanked. open_gaps is computed as the engine does (fuh_7 only).
"""

from __future__ import annotations

import functools
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd

from scorecard import engine
from scorecard.site import SiteInput
from scorecard.specs import MeasureSpec, PlainText

PERIODS = {
    "2025Q1": date(2025, 3, 31),
    "2025Q2": date(2025, 6, 30),
    "2025Q3": date(2025, 9, 30),
    "2025Q4": date(2025, 12, 31),
}
ORGS = [
    ("aco1", "aco", "Harbor Health ACO", None, None),
    ("aco2", "aco", "Valley Care & Partners ACO", None, None),
    ("cp1", "cp", "Bridge Behavioral Health CP", "BH", None),
    ("cp2", "cp", "Elm Street LTSS CP", "LTSS", None),
    ("prac1", "practice", "Main Street Family Practice", None, "aco1"),
    ("prac2", "practice", "Riverside Pediatrics", None, "aco1"),
    ("prac3", "practice", "Hilltop Primary Care", None, "aco2"),
]
SECRET_NUMERATOR = 4321
SECRET_DENOMINATOR = 8765
SECRET_VALUE = 49.2984  # shown as 49.30 or 49.3 if it leaked
SMALL_COUNT = 7


def _spec(
    mid: str, family: str, kind: str, direction: str, unit: str, plain: tuple, **kw
) -> MeasureSpec:
    return MeasureSpec(
        id=mid,
        title=kw.pop("title"),
        short_title=kw.pop("short_title"),
        description=kw.pop("description"),
        plain={"en": PlainText(title=plain[0], summary=plain[1], meaning=plain[2])},
        family=family,
        kind=kind,
        direction=direction,
        unit=unit,
        source=kw.pop("source"),
        **kw,
    )


def make_specs() -> list[MeasureSpec]:
    """Return three measures, one per family."""
    return [
        _spec(
            "cp_engagement",
            "operational",
            "proportion",
            "higher_is_better",
            "%",
            (
                "Care plan in place within 122 days",
                "Members assigned to a Community Partner with a signed care plan within 122 days.",
                "Members get a plan for their care soon after they join.",
            ),
            title="CP engagement within 122 days",
            short_title="Engagement 122d",
            description="Members assigned to a CP with a care plan signed by the PCP in 122 days.",
            source="cp_enrollment",
            multiplier=100,
            levels=("program", "cp"),
            requires=("eligibility", "cp_enrollment"),
            weight_category="process",
        ),
        _spec(
            "ed_visits",
            "claims",
            "rate",
            "lower_is_better",
            "per 1,000 member months",
            (
                "Emergency room visits",
                "Emergency room visits for every 1,000 months that members were enrolled.",
                "Fewer visits can mean people get care earlier, from their own doctor.",
            ),
            title="ED visits per 1,000 member months",
            short_title="ED visits",
            description="Emergency department visits / member months x 1,000.",
            source="medical_claim",
            multiplier=1000,
            levels=("program", "aco", "cp", "practice"),
            requires=("eligibility", "medical_claim"),
            weight_category="outcome",
        ),
        _spec(
            "fuh_7",
            "quality",
            "proportion",
            "higher_is_better",
            "%",
            (
                "Follow-up within 7 days after a mental health hospital stay",
                "Share of mental health hospital stays followed by a visit within 7 days.",
                "A quick visit after leaving hospital helps people stay well.",
            ),
            title="Follow-up after hospitalization for mental illness (7 days)",
            short_title="FUH 7-day",
            description="Adapted from NCQA HEDIS FUH.",
            source="medical_claim",
            multiplier=100,
            levels=("program", "aco", "cp", "practice"),
            requires=("eligibility", "medical_claim"),
            weight_category="process",
            strata=("sex",),
        ),
    ]


def _row(
    spec: MeasureSpec, period: str, level: str, entity: str, num: float, den: float, rng
) -> dict:
    value = num / den * spec.multiplier
    rated, later = level != "program", period != "2025Q1"
    half = 1.96 * np.sqrt(max(value * (spec.multiplier - value), 1.0) / den) if den else np.nan
    return {
        "measure_id": spec.id,
        "period_id": period,
        "period_end": PERIODS[period],
        "level": level,
        "entity_id": entity,
        "stratum": "all",
        "stratum_value": "all",
        "numerator": float(num),
        "denominator": float(den),
        "value": value,
        "lower": value - half,
        "upper": value + half,
        "suppressed": False,
        "suppression_reason": "",
        "stars": int(rng.integers(1, 6)) if rated else None,
        "peer_label": str(rng.choice(["better", "no_different", "worse"])) if rated else "",
        "trend_label": str(rng.choice(["improved", "no_change", "declined"])) if later else "",
        "kind": spec.kind,
        "direction": spec.direction,
        "multiplier": spec.multiplier,
        "decimals": spec.decimals,
        "family": spec.family,
        "unit": spec.unit,
    }


def _entities_for(spec: MeasureSpec) -> list[tuple[str, str]]:
    pairs = [("program", "ALL")]
    pairs += [(org_type, org_id) for org_id, org_type, *_ in ORGS if org_type in spec.levels]
    return pairs


def make_results(specs: list[MeasureSpec]) -> pd.DataFrame:
    """Return results for every measure, level, entity and period, with marked edge cases."""
    rng = np.random.default_rng(2025)
    rows = []
    for spec in specs:
        for level, entity in _entities_for(spec):
            for period in PERIODS:
                den = float(rng.integers(200, 900)) * (12 if spec.kind == "rate" else 1)
                num = (
                    float(rng.integers(30, 150))
                    if spec.kind == "rate"
                    else round(den * rng.uniform(0.3, 0.8))
                )
                rows.append(_row(spec, period, level, entity, num, den, rng))
    rows += _strata_rows(specs[2], rng)
    frame = pd.DataFrame(rows)
    frame["stars"] = frame["stars"].astype("Int64")
    frame = _mark_edge_cases(frame)
    gap_measures = {s.id for s in specs if engine.is_care_gap_measure(s)}  # fuh_7
    frame["open_gaps"] = engine.open_gap_counts(frame, gap_measures)
    return frame


def _strata_rows(spec: MeasureSpec, rng) -> list[dict]:
    rows = []
    for sex, den in (("female", 480.0), ("male", 350.0)):
        row = _row(spec, "2025Q4", "program", "ALL", round(den * 0.6), den, rng)
        rows.append(
            {**row, "stratum": "sex", "stratum_value": sex, "stars": None, "trend_label": ""}
        )
    return rows


def _mark_edge_cases(frame: pd.DataFrame) -> pd.DataFrame:
    def at(measure: str, entity: str, period: str = "2025Q4") -> pd.Series:
        return (
            (frame["measure_id"] == measure)
            & (frame["entity_id"] == entity)
            & (frame["period_id"] == period)
            & (frame["stratum"] == "all")
        )

    secret = at("fuh_7", "prac2") | at("fuh_7", "cp2", "2025Q3")
    frame.loc[secret, ["numerator", "denominator", "value"]] = [
        SECRET_NUMERATOR,
        SECRET_DENOMINATOR,
        SECRET_VALUE,
    ]
    frame.loc[secret, ["lower", "upper"]] = [SECRET_VALUE - 1.111, SECRET_VALUE + 1.111]
    frame.loc[secret, "suppressed"] = True
    frame.loc[secret, "suppression_reason"] = "small_count"
    small = at("ed_visits", "prac3")
    frame.loc[small, "numerator"] = float(SMALL_COUNT)
    frame.loc[small, "value"] = SMALL_COUNT / frame.loc[small, "denominator"] * 1000
    frame.loc[small, ["lower", "upper"]] = np.nan
    frame.loc[at("ed_visits", "cp1", "2025Q2"), ["lower", "upper"]] = np.nan
    return frame


def make_summary(results: pd.DataFrame) -> pd.DataFrame:
    """Return summary stars per entity and family (half stars), program not rated."""
    rows = []
    rated = results[(results["level"] != "program") & (results["stratum"] == "all")]
    for (period, level, entity), group in rated.groupby(["period_id", "level", "entity_id"]):
        for family, part in [*group.groupby("family"), ("overall", group)]:
            stars = part["stars"].dropna().astype(float)
            mean = round(stars.mean() * 2) / 2 if len(stars) else np.nan
            rows.append(
                {
                    "period_id": period,
                    "level": level,
                    "entity_id": entity,
                    "family": family,
                    "stars": mean,
                    "n_rated": len(stars),
                    "n_measures": len(part),
                }
            )
    return pd.DataFrame(rows)


def make_benchmarks(results: pd.DataFrame) -> pd.DataFrame:
    """Return percentiles of entity values per measure, period and level."""
    shown = results[(results["level"] != "program") & (results["stratum"] == "all")]
    shown = shown[~shown["suppressed"]]
    groups = shown.groupby(["measure_id", "period_id", "level"])["value"]
    quantiles = {f"p{q}": groups.quantile(q / 100) for q in (10, 25, 50, 75, 90)}
    return pd.DataFrame(quantiles).reset_index()


def make_sample_input(period_id: str = "2025Q4", versions: list[str] | None = None) -> SiteInput:
    """Return the tiny SiteInput, published at period_id (results after it are dropped)."""
    specs = make_specs()
    results = make_results(specs)
    ends = pd.to_datetime(results["period_end"])
    results = results[ends <= pd.Timestamp(PERIODS[period_id])].reset_index(drop=True)
    organizations = pd.DataFrame(
        ORGS, columns=["org_id", "org_type", "org_name", "cp_type", "parent_org_id"]
    )
    return SiteInput(
        results=results,
        summary=make_summary(results),
        benchmarks=make_benchmarks(results),
        specs=specs,
        organizations=organizations,
        period_id=period_id,
        versions=versions or [period_id],
        manifest={
            "scorecard_version": "0.1.0",
            "period_id": period_id,
            "data": "synthetic demo data",
            "inputs": {"eligibility": "demo/eligibility.csv"},
        },
    )


@contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """Serve folder over HTTP on loopback for the duration; yield its base URL."""
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def chromium_page(sync_api) -> Iterator:
    """Yield a page of headless Debian Chromium driven by Playwright (no browser download)."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if not executable:
        raise FileNotFoundError("no chromium on this machine")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            yield browser.new_page()
        finally:
            browser.close()
