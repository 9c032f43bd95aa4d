"""Pipeline pieces of build.py: incentive tiers and the manifest."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from scorecard.build import BuildError, add_tiers, read_tiers

ROOT = Path(__file__).resolve().parents[1]


def test_tiers_follow_the_unrounded_average_of_overall_rows() -> None:
    tiers = read_tiers(ROOT / "measures")
    summary = pd.DataFrame(
        {
            "family": ["overall", "overall", "overall", "quality"],
            "average": [4.80, 4.74, 3.75, 4.9],
            "stars": [5.0, 4.5, 4.0, 5.0],
        }
    )
    tiered = add_tiers(summary, tiers)
    # 4.80 >= 4.75 -> Tier 1; 4.74 is in 4.5-4.74 -> Tier 2 (although it rounds to 4.5 stars);
    # 3.75 is below 3.76 -> no bonus; family rows get no tier.
    assert list(tiered["tier"]) == ["Tier 1: highest bonus", "Tier 2", "No bonus", None]


def test_tiers_read_the_average_of_measure_stars_before_the_reward() -> None:
    # the demo's ACO10: measure stars averaging 3.714, +0.3 reward = 4.014 (4 overall stars).
    # The tiers go by average star rating; the reward is a bonus on the overall rating, not a
    # star: 3.714 is below 3.76, no bonus. Without a reward (NaN) the average is the tier's.
    tiers = read_tiers(ROOT / "measures")
    summary = pd.DataFrame(
        {
            "family": ["overall", "overall", "overall"],
            "average": [3.714 + 0.3, 4.9, 4.6],
            "reward": [0.3, 0.4, float("nan")],
            "stars": [4.0, 5.0, 4.5],
        }
    )
    tiered = add_tiers(summary, tiers)
    assert list(tiered["tier"]) == ["No bonus", "Tier 2", "Tier 2"]
    assert tiered["stars"].tolist() == [4.0, 5.0, 4.5]  # the stars keep the reward


def test_no_tiers_file_means_no_tiers(tmp_path: Path) -> None:
    summary = pd.DataFrame({"family": ["overall"], "average": [4.9], "stars": [5.0]})
    assert read_tiers(tmp_path) == []
    assert add_tiers(summary, [])["tier"].isna().all()


def test_an_entity_without_an_overall_rating_gets_no_tier() -> None:
    summary = pd.DataFrame(
        {"family": ["overall", "overall"], "average": [4.9, 2.0], "stars": [5.0, float("nan")]}
    )
    tiered = add_tiers(summary, read_tiers(ROOT / "measures"))
    assert tiered["tier"].tolist() == ["Tier 1: highest bonus", None]


def test_tiers_are_read_highest_first_with_their_spanish_names() -> None:
    tiers = read_tiers(ROOT / "measures")
    assert [t["min_stars"] for t in tiers] == sorted((t["min_stars"] for t in tiers), reverse=True)
    assert all(t.get("name_es") for t in tiers)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("tiers:\n  - {name: Gold}\n", "tiers[0]: min_stars: needs a value"),
        ("tiers:\n  - {min_stars: 4}\n", "tiers[0]: name: needs a value"),
        ("tiers:\n  - {name: Gold, min_stars: 7}\n", "tiers[0]: min_stars: needs a number"),
        ("tiers:\n  - {name: Gold, min_stars: high}\n", "tiers[0]: min_stars: needs a number"),
        (
            "tiers:\n  - {name: Gold, min_stars: 4}\n  - {name: '', min_stars: 3}\n",
            "tiers[1]: name",
        ),
        ("tiers:\n  - {name: Gold, min_stars: 4, bonus: 9}\n", "tiers[0]: bonus: unknown field"),
        ("tiers:\n  - {name: A, min_stars: 4}\n  - {name: A, min_stars: 3}\n", "the same name"),
        ("tiers:\n  - {name: A, min_stars: 4}\n  - {name: B, min_stars: 4}\n", "same min_stars"),
        ("tiers: Gold\n", "tiers: needs a list"),
        ("tiers: [\n", "not valid YAML"),
    ],
)
def test_bad_tiers_name_the_file_and_the_field(tmp_path: Path, text: str, field: str) -> None:
    (tmp_path / "_tiers.yml").write_text(text, encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        read_tiers(tmp_path)
    problems = "\n".join(caught.value.problems)
    assert str(tmp_path / "_tiers.yml") in problems and field in problems, problems


def test_check_reports_bad_tiers_with_the_other_problems(tmp_path: Path) -> None:
    from scorecard.build import check_inputs
    from scorecard.settings import load_settings

    (tmp_path / "_tiers.yml").write_text("tiers:\n  - {name: Gold, min_stars: 9}\n")
    report = check_inputs(load_settings(None, data=tmp_path / "no_marts", measures=tmp_path))
    assert any("_tiers.yml: tiers[0]: min_stars" in str(p) for p in report.problems)
    # what the check prints leads with the problems, not with what follows from them
    lines = report.lines()
    assert "measures: not read, the specs have problems (listed below)" in lines
    assert not any(line.startswith("  skipped ") for line in lines)  # no mart was read


def test_the_reward_setting_is_cms_by_default_and_checked() -> None:
    from scorecard import ratings
    from scorecard.settings import REWARDS, SettingsError, load_settings

    assert REWARDS == ratings.REWARDS
    assert load_settings(None).reward == "cms"
    assert load_settings(None, reward="None").reward == "none"
    with pytest.raises(SettingsError, match="reward"):
        load_settings(None, reward="sometimes")


def test_three_audiences_published_from_one_run_hash_each_mart_file_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # build_inputs (and the manifest) of each audience hashed every mart file again: three
    # audiences of a two-file folder read 6 files; kept by path, size and time, 2. A file
    # written again (another size) is hashed again, and a new run forgets them all.
    from scorecard import build
    from scorecard.settings import load_settings

    marts = tmp_path / "marts"
    marts.mkdir()
    (marts / "eligibility.csv").write_text("person_id\nP1\n", encoding="utf-8")
    (marts / "medical_claim.csv").write_text("claim_id\nC1\n", encoding="utf-8")
    measures = tmp_path / "measures"
    measures.mkdir()
    hashed: list[str] = []

    def counted(path: Path, *args: object, **kwargs: object) -> object:
        if Path(path).parent == marts:  # not the code's files (hashed once, code_sha256)
            hashed.append(Path(path).name)
        return open(path, *args, **kwargs)  # noqa: SIM115 (build's with-block closes it)

    monkeypatch.setattr(build, "open", counted, raising=False)  # build.py's reads of files
    build.forget_file_hashes()
    inputs = [
        build.build_inputs(
            load_settings(None, data=marts, measures=measures, audience=a), [], "2025Q3"
        )
        for a in ("internal", "public", "partner:CP01")
    ]
    assert sorted(hashed) == ["eligibility.csv", "medical_claim.csv"]
    assert inputs[0]["data"] == inputs[1]["data"] == inputs[2]["data"]
    (marts / "eligibility.csv").write_text("person_id\nP1\nP2\n", encoding="utf-8")
    again = build.build_inputs(load_settings(None, data=marts, measures=measures), [], "2025Q3")
    assert sorted(hashed) == ["eligibility.csv", "eligibility.csv", "medical_claim.csv"]
    assert again["data"] != inputs[0]["data"]
    build.forget_file_hashes()
    build.build_inputs(load_settings(None, data=marts, measures=measures), [], "2025Q3")
    assert len(hashed) == 5


def test_the_definitions_an_edition_was_made_with_are_named_older_or_other() -> None:
    # the published manifest's "measures" (id -> version) against the specs now: a measure it
    # does not hold (new, or skipped then) is not named; one at a later version than now
    # (the tool rolled back) makes the definitions "other", not "older"
    from types import SimpleNamespace

    from scorecard.build import definitions_changed, definitions_said

    specs = [SimpleNamespace(id=i, version=v) for i, v in (("a", 3), ("b", 2), ("c", 5))]
    published = {"a": 2, "b": 2, "gone": 1}
    assert definitions_changed(published, specs) == {"a": (2, 3)}
    assert definitions_said({"a": (2, 3)}) == "older measure definitions: a v2 (now v3)"
    assert definitions_changed({"a": 4, "c": 4}, specs) == {"a": (4, 3), "c": (4, 5)}
    assert definitions_said({"a": (4, 3), "c": (4, 5)}) == (
        "other measure definitions: a v4 (now v3), c v4 (now v5)"
    )
    assert definitions_changed(None, specs) == {}


def test_the_last_editions_program_results_of_the_changed_measures_are_read(
    tmp_path: Path,
) -> None:
    # the 2025Q3 edition's results.parquet: of the changed measure "a", the rows for all
    # members in 2025Q3 are taken, the program's and an ACO's (its pages quote its own), not a
    # stratum's or an earlier quarter's; "b" did not change and is left out
    from scorecard.build import last_edition_results

    downloads = tmp_path / "2025Q3" / "downloads"
    downloads.mkdir(parents=True)
    rows = pd.DataFrame(
        {
            "measure_id": ["a", "a", "a", "a", "b"],
            "period_id": ["2025Q3", "2025Q3", "2025Q3", "2025Q2", "2025Q3"],
            "level": ["program", "aco", "program", "program", "program"],
            "entity_id": ["ALL", "ACO1", "ALL", "ALL", "ALL"],
            "stratum": ["all", "all", "sex", "all", "all"],
            "kind": ["proportion"] * 5,
            "value": [61.2, 50.0, 70.0, 40.0, 10.0],
            "numerator": [150.0, 20.0, 70.0, 40.0, 10.0],
            "denominator": [245.0, 40.0, 100.0, 100.0, 100.0],
            "suppressed": [False] * 5,
        }
    )
    rows.to_parquet(downloads / "results.parquet")
    edition = {
        "previous_edition": "2025Q3",
        "changed_since_previous": [{"measure_id": "a", "from": 1, "to": 2}],
    }
    read = last_edition_results(tmp_path, edition)
    assert read is not None
    assert read.to_dict("records") == [
        {
            "measure_id": "a",
            "level": "program",
            "entity_id": "ALL",
            "kind": "proportion",
            "value": 61.2,
            "numerator": 150.0,
            "denominator": 245.0,
            "suppressed": False,
        },
        {
            "measure_id": "a",
            "level": "aco",
            "entity_id": "ACO1",
            "kind": "proportion",
            "value": 50.0,
            "numerator": 20.0,
            "denominator": 40.0,
            "suppressed": False,
        },
    ]
    assert last_edition_results(tmp_path, {**edition, "changed_since_previous": []}) is None
    assert last_edition_results(tmp_path, {**edition, "previous_edition": "2025Q2"}) is None
