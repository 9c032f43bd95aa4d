"""The differencing audit (scorecard.disclosure): hand-worked tables, then the small demo."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import _demo_inputs

from scorecard import audience as audiences
from scorecard import build, disclosure, stats
from scorecard.settings import load_settings
from scorecard.site import public_view, published_rows

ORGS = pd.DataFrame(
    {
        "org_id": ["ACO01", "PR1", "PR2", "PR3", "CP01"],
        "org_type": ["aco", "practice", "practice", "practice", "cp"],
        "org_name": ["ACO one", "P one", "P two", "P three", "CP one"],
        "parent_org_id": [None, "ACO01", "ACO01", "ACO01", None],
        "cp_type": [None, None, None, None, "BH"],
    }
)
SPEC = {  # spec columns the audit reads, by measure
    "fuh_7d": {"kind": "proportion", "multiplier": 100, "shared_denominator": "fuh_discharges"},
    "fuh_30d": {"kind": "proportion", "multiplier": 100, "shared_denominator": "fuh_discharges"},
    "readmission_30d": {"kind": "proportion", "multiplier": 100, "shared_numerator": "readmits"},
    "readmission_30d_oe": {"kind": "ratio", "multiplier": 1, "shared_numerator": "readmits"},
}


def row(measure: str, level: str, entity: str, num: float, den: float, **cell: str) -> dict:
    """Return one true result row; cell: stratum and stratum_value (default 'all')."""
    spec = {"shared_numerator": "", "shared_denominator": "", **SPEC[measure]}
    return {
        "measure_id": measure,
        "period_id": "2025Q4",
        "level": level,
        "entity_id": entity,
        "stratum": cell.get("stratum", "all"),
        "stratum_value": cell.get("value", "all"),
        "numerator": float(num),
        "denominator": float(den),
        "value": num / den * spec["multiplier"],
        "direction": "higher_is_better",
        "part_of": "",
        **spec,
    }


def published(truth: pd.DataFrame, hidden: dict[tuple[str, str, str], str]) -> pd.DataFrame:
    """Return the rows as an edition publishes them: `hidden` maps (measure, entity, stratum
    value) to the reason; a hidden row shows no number."""
    out = truth.copy()
    key = list(zip(out["measure_id"], out["entity_id"], out["stratum_value"], strict=True))
    reason = pd.Series([hidden.get(k, "") for k in key], index=out.index)
    out["suppressed"] = reason != ""
    out["suppression_reason"] = reason
    for column in ("numerator", "denominator", "value"):
        out.loc[out["suppressed"], column] = np.nan
    return out


def aco_of_three(measure: str = "fuh_7d") -> list[dict]:
    return [
        row(measure, "aco", "ACO01", 40, 100),
        row(measure, "practice", "PR1", 12, 30),
        row(measure, "practice", "PR2", 20, 40),
        row(measure, "practice", "PR3", 8, 30),
    ]


def worked_out(found: disclosure.Audit) -> dict[str, float]:
    return dict(zip(found.recovered["label"], found.recovered["value"], strict=True))


def test_a_practice_hidden_alone_under_a_shown_aco_is_worked_out_and_a_leak() -> None:
    truth = pd.DataFrame(aco_of_three())
    found = disclosure.audit(
        truth, published(truth, {("fuh_7d", "PR3", "all"): "small_count"}), ORGS
    )
    got = worked_out(found)
    assert got["fuh_7d numerator, 2025Q4 practice PR3"] == pytest.approx(8)
    assert got["fuh_7d denominator (shared count fuh_discharges), 2025Q4 practice PR3"] == 30
    assert got["fuh_7d rest (open gaps), 2025Q4 practice PR3"] == pytest.approx(22)
    assert list(found.leaks["label"]) == ["fuh_7d numerator, 2025Q4 practice PR3"]
    problem = found.problems()[0]
    assert "true value 8" in problem and "practices of an ACO add up to the ACO" in problem
    assert "fuh_7d numerator, 2025Q4 aco ACO01 = 40 (shown)" in problem


def test_a_hidden_group_of_a_breakdown_is_worked_out_from_the_others_and_everyone() -> None:
    rows = [
        row("fuh_7d", "program", "ALL", 30, 100),
        row("fuh_7d", "program", "ALL", 26, 60, stratum="sex", value="male"),
        row("fuh_7d", "program", "ALL", 4, 40, stratum="sex", value="female"),
    ]
    truth = pd.DataFrame(rows)
    found = disclosure.audit(truth, published(truth, {("fuh_7d", "ALL", "female"): "small_count"}))
    assert worked_out(found)["fuh_7d numerator, 2025Q4 program ALL sex=female"] == pytest.approx(4)
    assert len(found.leaks) == 1
    assert "the groups of a breakdown add up to everyone" in found.problems()[0]


def test_a_chain_of_two_steps_needs_the_fixpoint() -> None:
    # ACO01's own row is hidden, but its practices give it (round 0); then its female group
    # is everyone less the men (round 1)
    rows = [
        *aco_of_three(),
        row("fuh_7d", "aco", "ACO01", 33, 60, stratum="sex", value="male"),
        row("fuh_7d", "aco", "ACO01", 7, 40, stratum="sex", value="female"),
    ]
    truth = pd.DataFrame(rows)
    hidden = {
        ("fuh_7d", "ACO01", "all"): "complementary",
        ("fuh_7d", "ACO01", "female"): "small_count",
    }
    found = disclosure.audit(truth, published(truth, hidden), ORGS)
    leaks = found.leaks.set_index("label")
    female = "fuh_7d numerator, 2025Q4 aco ACO01 sex=female"
    assert leaks.loc[female, "truth"] == 7 and leaks.loc[female, "round"] == 1
    total = found.recovered.set_index("label").loc["fuh_7d numerator, 2025Q4 aco ACO01"]
    assert total["value"] == pytest.approx(40) and total["round"] == 0
    assert "(worked out)" in found.problems()[0]
    assert "practices of an ACO add up to the ACO" in found.problems()[0]


def test_a_count_shared_by_two_measures_is_read_from_the_one_that_shows_it() -> None:
    # readmissions are counted by the percent and by the O/E ratio: PR2 is hidden in the
    # percent but its readmissions are shown by the ratio, so PR3's 6 is the ACO's 40 less 12
    # less 22
    rows = [
        row("readmission_30d", "aco", "ACO01", 40, 200),
        row("readmission_30d", "practice", "PR1", 12, 60),
        row("readmission_30d", "practice", "PR2", 22, 80),
        row("readmission_30d", "practice", "PR3", 6, 60),
        row("readmission_30d_oe", "practice", "PR2", 22, 20.5),
    ]
    truth = pd.DataFrame(rows)
    hidden = {
        ("readmission_30d", "PR2", "all"): "complementary",
        ("readmission_30d", "PR3", "all"): "small_count",
    }
    found = disclosure.audit(truth, published(truth, hidden), ORGS)
    label = "readmission_30d numerator (shared count readmits), 2025Q4 practice PR3"
    assert list(found.leaks["label"]) == [label]
    unshared = truth.assign(shared_numerator="")  # not declared shared: nothing to read it from
    assert disclosure.audit(unshared, published(unshared, hidden), ORGS).leaks.empty


def test_a_properly_suppressed_table_gives_nothing_away() -> None:
    truth = pd.DataFrame(aco_of_three())
    hidden = {("fuh_7d", "PR3", "all"): "small_count", ("fuh_7d", "PR2", "all"): "complementary"}
    found = disclosure.audit(truth, published(truth, hidden), ORGS)
    assert found.recovered.empty and found.leaks.empty
    # the ACO is its practices (numerators, denominators, rests), and numerator + rest =
    # denominator in each of the 4 cells
    assert found.relations == 3 + 4


def test_a_relation_that_does_not_hold_in_the_true_results_is_not_used() -> None:
    # a member counted in PR3 and outside the ACO: the practices add up to more than the ACO
    rows = aco_of_three()
    rows[3] = row("fuh_7d", "practice", "PR3", 9, 32)
    truth = pd.DataFrame(rows)
    found = disclosure.audit(
        truth, published(truth, {("fuh_7d", "PR3", "all"): "small_count"}), ORGS
    )
    assert found.recovered.empty
    assert found.not_used == {"practices": 3}  # numerators, denominators, rests


# ---------------------------------------------------------------- the small demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Compute the demo of the site tests once (6,000 members, 13 measures: conftest)."""
    base = tmp_path_factory.mktemp("disclosure")
    data, measures = _demo_inputs(base)
    settings = load_settings(
        None, data=data, measures=measures, out=base / "site", audience="internal"
    )
    specs = build.read_specs(settings)
    run = build.compute(settings, specs)
    scored = build.score(run.results, None, settings.seed, None, run.organizations)
    return {"settings": settings, "specs": specs, "run": run, "scored": scored, "base": base}


def test_every_edition_of_the_demo_gives_no_count_of_1_to_10_away(demo: dict) -> None:
    run, scored = demo["run"], demo["scored"]
    orgs = run.organizations
    partners = orgs.loc[orgs["org_type"].isin(["aco", "cp"]), "org_id"]
    problems, recovered = [], {}
    for audience in ["public", *(f"partner:{p}" for p in sorted(partners))]:
        view = audiences.restrict(
            audiences.parse_audience(audience),
            scored.results,
            scored.summary,
            scored.benchmarks,
            orgs,
            run.panels,
        )
        shown = published_rows(view.results, run.period_id, {s.id: s for s in demo["specs"]})
        found = disclosure.audit(scored.results, shown, orgs)
        problems += [f"{audience}: {p}" for p in found.problems()]
        assert found.recovered["right"].all()  # the relations used hold in the true results
        recovered[audience] = len(found.recovered)
    assert not problems, problems
    assert len(recovered) == 1 + len(partners) > 30
    assert recovered["public"] > 0  # complements are worked out: the audit does find things


def test_an_edition_giving_a_count_away_is_not_published(
    demo: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    leak = pd.DataFrame(
        {"quantity": [0], "value": [7.0], "truth": [7.0], "right": [True], "count": [True]}
    ).assign(leak=True, round=0, label="fuh_7d numerator, 2025Q4 practice PR3")
    found = disclosure.Audit(1, 1, 1, {}, leak, 0.0, {0: "[how]"})
    monkeypatch.setattr(build.disclosure, "audit", lambda *args: found)
    out: Path = demo["base"] / "refused"
    settings = dataclasses.replace(demo["settings"], audience="partner:ACO01", out=out)
    with pytest.raises(build.BuildError) as error:
        build.publish_audience(settings, demo["specs"], demo["run"], demo["scored"])
    assert "privacy check failed for partner:ACO01" in error.value.title
    assert error.value.problems == [
        "fuh_7d numerator, 2025Q4 practice PR3: true value 7, worked out as 7: [how]"
    ]
    assert not out.exists()


def test_a_published_edition_records_its_privacy_check(demo: dict) -> None:
    out: Path = demo["base"] / "public"
    settings = dataclasses.replace(demo["settings"], audience="public", out=out)
    report = build.publish_audience(settings, demo["specs"], demo["run"], demo["scored"])
    assert report.privacy is not None and "Privacy check" in report.summary()
    manifest = (out / report.period_id / "downloads" / "manifest.json").read_text()
    assert '"hidden counts from 1 to 10 that can be worked out": 0' in manifest
    methodology = (out / report.period_id / "methodology.html").read_text(encoding="utf-8")
    assert "checked that no hidden number from 1 to" in methodology
    # the care-gap lists (person level) are the internal edition's only
    assert demo["run"].care_gaps is not None and len(demo["run"].care_gaps)
    assert not list(out.rglob("care_gaps*")) and not list(out.rglob("internal"))


def bridged_table() -> pd.DataFrame:
    """Return the reviewer's table: ACOs E0-E4 x age bands v0-v4 with both margins; nine
    cells of 6 (of 200) in two 2x2 blocks (E0,E1)x(v0,v1) and (E2,E3)x(v2,v3) joined by
    (E1,v2), every other cell 50 of 200."""
    small = {(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (2, 2), (2, 3), (3, 2), (3, 3)}
    num = {(e, v): 6 if (e, v) in small else 50 for e in range(5) for v in range(5)}
    rows = []
    for e in range(5):
        for v in range(5):
            rows.append(row("fuh_7d", "aco", f"E{e}", num[e, v], 200, stratum="age", value=f"v{v}"))
        rows.append(row("fuh_7d", "aco", f"E{e}", sum(num[e, v] for v in range(5)), 1000))
    for v in range(5):
        band = sum(num[e, v] for e in range(5))
        rows.append(row("fuh_7d", "program", "ALL", band, 1000, stratum="age", value=f"v{v}"))
    rows.append(row("fuh_7d", "program", "ALL", sum(num.values()), 5000))
    return pd.DataFrame(rows)


def test_a_bridge_of_hidden_cells_is_solved_for_when_no_relation_alone_gives_it() -> None:
    # the nine small cells hidden and nothing else (what the group rules alone left): every
    # relation has 2 or 3 unknowns, so peeling finds nothing; solved together, (E1,v2) =
    # (E0 less shown) + (E1 less shown) - (v0 less shown) - (v1 less shown): E0's row is
    # 6+6+50+50+50 = 162 with 150 shown, E1's 6+6+6+50+50 = 118 with 100 shown, v0's and v1's
    # columns 162 with 150 shown: 12 + 18 - 12 - 12 = 6
    truth = bridged_table()
    small = ["E0/v0", "E0/v1", "E1/v0", "E1/v1", "E1/v2", "E2/v2", "E2/v3", "E3/v2", "E3/v3"]
    hidden = {("fuh_7d", cell[:2], cell[3:]): "small_count" for cell in small}
    found = disclosure.audit(truth, published(truth, hidden))
    assert list(found.leaks["label"]) == ["fuh_7d numerator, 2025Q4 aco E1 age=v2"]
    assert found.leaks["value"].iloc[0] == pytest.approx(6)
    # its denominator (200) and rest (194) are worked out too, but they are no small counts;
    # the other eight cells each lie on a cycle of hidden cells and stay unknown
    got = worked_out(found)
    assert got["fuh_7d rest (open gaps), 2025Q4 aco E1 age=v2"] == pytest.approx(194)
    assert "fuh_7d numerator, 2025Q4 aco E0 age=v0" not in got
    problem = found.problems()[0]
    assert "true value 6" in problem and "solved together" in problem
    assert "the groups of a breakdown add up to everyone" in problem


def test_what_suppress_publishes_of_the_bridged_table_gives_nothing_away() -> None:
    truth = bridged_table()
    suppressed = stats.suppress(truth)
    shown = {"period_end": "2025-12-31", "lower": np.nan, "upper": np.nan, "decimals": 1}
    shown |= {"family": "quality", "unit": "percent"}
    found = disclosure.audit(truth, public_view(suppressed.assign(**shown)))
    assert found.leaks.empty
    assert "fuh_7d numerator, 2025Q4 aco E1 age=v2" not in worked_out(found)
