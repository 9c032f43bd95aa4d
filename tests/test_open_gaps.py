"""Open care-gap counts (issue 3): per quality measure, the units counted who did not get the
care (higher is better), or who had the bad outcome (lower is better, e.g. HbA1c poor control).

Expected counts are worked out by hand from the fixtures of tests/test_measures_quality.py
(see the comments there); the end-to-end test repeats the chronic-care fixture 20 times over,
so its counts are large enough to be published, and reads them off a rendered page and the CSVs.
"""

from __future__ import annotations

from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scorecard import build, engine, site
from scorecard.specs import load_specs

ROOT = Path(__file__).resolve().parents[1]
MARTS = ROOT / "tests" / "fixtures" / "marts"
VALUE_SETS = ROOT / "measures" / "value_sets"
CHRONIC = ["hba1c_poor_control", "diabetes_eye_exam"]
COPIES = 20
ACO = "ACO9"


@cache
def specs_for(*ids: str) -> list:
    """Return the specs of the given measures."""
    return [s for s in load_specs(ROOT / "measures") if s.id in ids]


def program_row(results: pd.DataFrame, measure: str, level: str = "program") -> pd.Series:
    """Return the 2024Q4 stratum-'all' row of a measure at a level (one entity per level)."""
    rows = results[
        (results["measure_id"] == measure)
        & (results["period_id"] == "2024Q4")
        & (results["level"] == level)
        & (results["stratum"] == "all")
    ]
    assert len(rows) == 1, (measure, level)
    return rows.iloc[0]


def test_open_gap_counts_by_direction_and_only_for_care_gap_measures() -> None:
    frame = pd.DataFrame(
        {
            "measure_id": ["up", "down", "ed"],
            "direction": ["higher_is_better", "lower_is_better", "lower_is_better"],
            "numerator": [30.0, 12.0, 50.0],
            "denominator": [100.0, 80.0, 900.0],
        }
    )
    gaps = engine.open_gap_counts(frame, {"up", "down"})
    assert gaps.iloc[0] == 70 and gaps.iloc[1] == 12 and np.isnan(gaps.iloc[2])
    specs = {s.id: s for s in load_specs(ROOT / "measures")}
    assert engine.is_care_gap_measure(specs["fuh_7d"])
    assert not engine.is_care_gap_measure(specs["ed_visits"])
    assert not engine.is_care_gap_measure(specs["cp_engagement_122d"])


def test_open_gaps_on_the_hand_worked_fixtures() -> None:
    chronic = engine.run(MARTS / "quality_chronic", VALUE_SETS, specs_for(*CHRONIC)).results
    # HbA1c poor control (lower is better): 2 of 5 in poor control (D3 no result, D4 3046F):
    # each of them is an open gap.
    assert program_row(chronic, "hba1c_poor_control")["open_gaps"] == 2
    # Eye exam: D1 and D2 had one, so D3, D4 and D6 (3 of 5) still need it.
    assert program_row(chronic, "diabetes_eye_exam")["open_gaps"] == 3
    followup = engine.run(MARTS / "quality_followup", VALUE_SETS, specs_for("fuh_30d")).results
    # FUH 30 days counts discharges: 3 of 4 followed up; F2's Mar 1 discharge (visit on day 31)
    # is the one open gap.
    assert program_row(followup, "fuh_30d")["open_gaps"] == 1


def repeat_marts(source: Path, folder: Path, copies: int) -> Path:
    """Write source's marts with every member (and claim) copied `copies` times, all of them
    attributed to ACO9 in every month of 2023-2024; return folder."""
    folder.mkdir(parents=True)
    people = set()
    for path in sorted(source.glob("*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        parts = []
        for k in range(copies):
            part = frame.copy()
            for column in ("person_id", "claim_id"):
                if column in part.columns:
                    part[column] = part[column] + f"x{k:02d}"
            parts.append(part)
        frame = pd.concat(parts, ignore_index=True)
        people |= set(frame["person_id"])
        frame.to_csv(folder / path.name, index=False)
    months = pd.date_range("2023-01-01", "2024-12-01", freq="MS").strftime("%Y-%m-%d")
    attribution = pd.DataFrame(
        [(p, m, ACO) for p in sorted(people) for m in months],
        columns=["person_id", "month", "aco_id"],
    )
    attribution.to_csv(folder / "attribution.csv", index=False)
    pd.DataFrame([{"org_id": ACO, "org_type": "aco", "org_name": "Test Harbor ACO"}]).to_csv(
        folder / "organization.csv", index=False
    )
    return folder


class _Tables(HTMLParser):
    """Collect the cell texts of every HTML table, row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table_cells(markdown: str, header: str, row_start: str) -> str:
    """Return the cell under `header` of the results table row whose first cell starts with
    `row_start` (the first such row of the first table with that header). Results tables are
    HTML inside the markdown pages (scorecard/site.py: they skip Markdown)."""
    parser = _Tables()
    parser.feed(markdown)
    for table in parser.tables:
        if table and header in table[0]:
            index = table[0].index(header)
            for values in table[1:]:
                if values and values[0].startswith(row_start):
                    return values[index]
    raise AssertionError(f"no row {row_start!r} under {header!r}")


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Run the repeated chronic fixture, score it and render its pages and downloads."""
    base = tmp_path_factory.mktemp("gaps")
    marts = repeat_marts(MARTS / "quality_chronic", base / "marts", COPIES)
    specs = specs_for(*CHRONIC)
    run = engine.run(marts, VALUE_SETS, specs)
    scored = build.score(run.results, None, 8675309, None, run.organizations)
    docs = base / "docs"
    site.render_markdown(
        site.SiteInput(
            results=scored.results,
            summary=scored.summary,
            benchmarks=scored.benchmarks,
            specs=specs,
            organizations=run.organizations,
            period_id=run.period_id,
        ),
        docs,
    )
    return {"results": run.results, "docs": docs, "specs": {s.id: s for s in specs}}


def test_repeated_fixture_counts_twenty_times_the_gaps(published: dict) -> None:
    results = published["results"]
    for level in ("program", "aco"):
        poor = program_row(results, "hba1c_poor_control", level)
        eye = program_row(results, "diabetes_eye_exam", level)
        assert (poor["numerator"], poor["denominator"], poor["open_gaps"]) == (40, 100, 40)
        assert (eye["numerator"], eye["denominator"], eye["open_gaps"]) == (40, 100, 60)


def test_pages_and_downloads_show_the_open_gaps(published: dict) -> None:
    docs, specs = published["docs"], published["specs"]
    poor_title = specs["hba1c_poor_control"].text("en").title
    eye_title = specs["diabetes_eye_exam"].text("en").title
    page = (docs / "aco" / f"{ACO}.md").read_text(encoding="utf-8")
    assert table_cells(page, "Open care gaps", poor_title) == "40 members"
    assert table_cells(page, "Open care gaps", eye_title) == "60 members"
    assert "<em>Open care gaps</em>" in page  # the note under the tables says what they are
    measure = (docs / "measures" / "diabetes_eye_exam.md").read_text(encoding="utf-8")
    assert table_cells(measure, "Open care gaps", "Test Harbor ACO") == "60 members"
    for path in (docs / "downloads" / "results.csv", docs / "downloads" / "aco" / f"{ACO}.csv"):
        csv = pd.read_csv(path, dtype={"entity_id": str})
        now = csv[(csv["period_id"] == "2024Q4") & (csv["stratum"] == "all")]
        now = now[now["entity_id"] == ACO]  # the entity's own CSV has no level column
        gaps = now.set_index("measure_id")["open_gaps"]
        assert gaps["hba1c_poor_control"] == 40
        assert gaps["diabetes_eye_exam"] == 60
        # privacy: a published gap count is never 1 to 10, and hidden rows publish none
        assert not csv["open_gaps"].between(1, 10).any()
        assert csv.loc[csv["suppressed"], "open_gaps"].isna().all()
    parquet = pd.read_parquet(docs / "downloads" / "results.parquet")
    assert {40.0, 60.0} <= set(parquet["open_gaps"].dropna())
