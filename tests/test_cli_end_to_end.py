"""End to end: `scorecard build` on the committed demo marts into a temporary folder."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
import spec_fixture
from click.testing import CliRunner

from scorecard import stats
from scorecard.cli import main
from scorecard.specs import load_specs

ROOT = Path(__file__).resolve().parents[1]
PERSON_ID = re.compile(r"\bP\d{7}\b")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    result = CliRunner().invoke(main, ["build", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    return out


def test_default_period_is_latest_complete_quarter(site: Path) -> None:
    versions = json.loads((site / "versions.json").read_text())
    assert versions[0]["version"] == "2025Q4"
    assert versions[0]["aliases"] == ["latest"]
    assert set(versions[0]) >= {"version", "title", "aliases"}
    assert "2025Q4" in (site / "index.html").read_text()


def test_home_links_every_level_index_and_indexes_link_every_entity(site: Path) -> None:
    version = site / "2025Q4"
    home = (version / "index.html").read_text()
    orgs = pd.read_parquet(ROOT / "data" / "demo" / "organization.parquet")
    for level in ("aco", "cp", "practice"):
        assert f'href="{level}/index.html"' in home
        index = (version / level / "index.html").read_text()
        published = {p.stem for p in (version / level).glob("*.html")} - {"index"}
        assert published, f"no {level} pages"
        assert published <= set(orgs.org_id)
        for org_id in published:
            assert f'href="{org_id}.html"' in index


def test_scorecard_page_has_results_and_trend_charts(site: Path) -> None:
    page = (site / "2025Q4" / "aco" / "ACO01.html").read_text()
    assert "Emergency room visits" in page
    assert page.count('class="sc-chart"') + page.count("sc-chart ") >= 1
    assert "plotly.min.js" in page
    assert "Plotly.newPlot" not in page, "plotly.js is served once, never inlined"
    assert len(list((site / "2025Q4").rglob("plotly.min.js"))) == 1


def test_descriptive_measures_are_never_called_better_or_worse(site: Path) -> None:
    # how many members have diabetes, how sick they are, how many prescriptions they fill:
    # compared with the program and over time they are higher or lower, not better or worse
    results = pd.read_csv(site / "2025Q4" / "downloads" / "results.csv")
    neutral = {s.id for s in load_specs(ROOT / "measures") if s.direction == "neutral"}
    assert {"prevalence_diabetes", "risk_score_avg", "rx_scripts", "members"} <= neutral
    described = results[results["measure_id"].isin(neutral)]
    # (an average with no range is not compared: too few members, or all alike; nor is a CP
    # with too few others of its type, or whose reference is hidden or absent)
    not_compared = {*stats.INTERVAL_GAPS, *stats.NOT_COMPARED}
    compared = set(described["peer_label"].dropna()) - not_compared
    assert compared == {"higher", "lower", "no_different"}
    assert set(described["trend_label"].dropna()) <= {"rose", "fell", "no_change"}
    rated = results[~results["measure_id"].isin(neutral)]
    assert {"better", "worse"} <= set(rated["peer_label"].dropna())
    page = (site / "2025Q4" / "measures" / "prevalence_diabetes.html").read_text()
    assert "Neither higher nor lower is better by itself" in page


def test_the_member_count_is_stated_not_listed_as_a_result(site: Path) -> None:
    results = pd.read_csv(site / "2025Q4" / "downloads" / "results.csv")
    now = results[(results["period_id"] == "2025Q4") & (results["stratum"] == "all")]
    program = now[(now["measure_id"] == "members") & (now["level"] == "program")]
    home = (site / "2025Q4" / "index.html").read_text()
    count = f"{int(program['denominator'].iloc[0]):,}"
    assert f"<strong>Members at the end of 2025 Q4:</strong> {count}." in home
    for page in (home, (site / "2025Q4" / "aco" / "ACO01.html").read_text()):
        assert "the value is always 100%" not in page  # the member measure's unit


def test_entity_pages_are_not_in_the_nav(site: Path) -> None:
    home = (site / "2025Q4" / "index.html").read_text()
    nav = home[home.find('<nav class="md-nav md-nav--primary"') :]
    nav = nav[: nav.find("</nav>")]
    assert "ACO01.html" not in nav


def test_downloads_hold_aggregates_only(site: Path) -> None:
    downloads = site / "2025Q4" / "downloads"
    csv = pd.read_csv(downloads / "results.csv")
    parquet = pd.read_parquet(downloads / "results.parquet")
    assert len(csv) == len(parquet) > 0
    assert "person_id" not in csv.columns
    # The default audience is internal, which shows counts of 1-10 (the partner and public
    # editions never do: test_audience, test_disclosure) and marks every row holding one:
    # numerators of proportions and rates are counts, and so are the denominators of every kind
    # but ratios (whose denominator is an expected value).
    marked = csv["small_counts"].eq("yes")
    counted = csv[csv["kind"].isin(["proportion", "rate"])]
    assert counted["numerator"].between(1, 10).any()
    assert marked[counted.index[counted["numerator"].between(1, 10)]].all()
    units = csv[csv["kind"] != "ratio"]
    assert marked[units.index[units["denominator"].between(1, 10)]].all()
    text = (downloads / "results.csv").read_text()
    assert not PERSON_ID.search(text)


def test_every_spec_is_listed_as_json() -> None:
    result = CliRunner().invoke(main, ["measures", "list", "--format", "json"])
    assert result.exit_code == 0
    listed = json.loads(result.output)
    specs = load_specs(ROOT / "measures")
    assert [m["id"] for m in listed] == [s.id for s in specs]
    assert {"id", "title", "family", "kind", "direction"} <= set(listed[0])
    foundation = {
        "total_cost_pmpm",
        "ed_visits",
        "readmission_30d",
        "fuh_7d",
        "cp_engagement_150d",
        "hba1c_testing",
    }
    assert foundation <= {m["id"] for m in listed}


def test_measures_show_explains_in_plain_words() -> None:
    result = CliRunner().invoke(main, ["measures", "show", "ed_visits", "--lang", "es"])
    assert result.exit_code == 0
    assert "emergencias" in result.output
    assert "Un resultado más bajo es mejor." in result.output
    neutral = CliRunner().invoke(main, ["measures", "show", "prevalence_diabetes"])
    assert "Neither higher nor lower is better by itself." in neutral.output
    assert CliRunner().invoke(main, ["measures", "show", "no_such_measure"]).exit_code == 2


def test_measures_show_sql_prints_the_rendered_sql_and_no_empty_line(tmp_path: Path) -> None:
    shown = CliRunner().invoke(main, ["measures", "show", "fua_7d", "--sql"])
    assert shown.exit_code == 0, shown.output
    rendered = shown.output.split("SQL (measures/sql/fua.sql, rendered):\n", 1)[1]
    assert "within 7 days after an emergency" in rendered and "{{" not in rendered
    assert "SQL (" not in CliRunner().invoke(main, ["measures", "show", "fua_7d"]).output

    sql = {"plain.sql": "SELECT person_id, 1 AS numerator FROM eligibility\n"}
    folder = spec_fixture.write(tmp_path, sql, plain={"sql_file": "sql/plain.sql", "method": ""})
    bare = CliRunner().invoke(main, ["measures", "show", "plain", "--measures", str(folder)])
    assert bare.exit_code == 0, bare.output
    assert "Method:" not in bare.output and "Definition: " in bare.output


def test_timings_name_the_slowest_measures(tmp_path: Path) -> None:
    basic = ROOT / "tests" / "fixtures" / "marts" / "basic"
    args = ["build", "--data", str(basic), "--out", str(tmp_path), "--quiet", "--timings"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == "Computing, step by step:"
    steps = {line.split(" s  ")[1]: float(line.split()[0]) for line in lines[1:5]}
    assert list(steps) == [
        "marts loaded and checked (or copied from a kept extract)",
        "helper tables (and the results history read)",
        "measures",
        "results gathered and shaped",
    ]
    head, *slowest = lines[5:]
    computed = int(re.match(r"Measures computed: (\d+) in [\d.]+ s; the slowest:", head).group(1))
    skipped = json.loads((tmp_path / "2024Q4" / "downloads" / "manifest.json").read_text())
    assert computed == len(load_specs(ROOT / "measures")) - len(skipped["skipped_measures"])
    assert len(slowest) == 10
    times = [float(line.split()[0]) for line in slowest]
    assert times == sorted(times, reverse=True)
    assert all(line.split()[-1] in skipped["measures"] for line in slowest)
    total = float(re.search(r"in ([\d.]+) s", head).group(1))
    assert steps["measures"] >= total - 0.1  # the step holds every measure's own time


def test_the_plain_pages_name_who_members_can_call(site: Path, tmp_path: Path) -> None:
    # the default names the demo's program, in each language
    def words(page: Path) -> str:  # glossary terms are links: the text without the tags
        return re.sub(r"<[^>]+>", "", page.read_text())

    english = words(next((site / "2025Q4" / "plain" / "aco").glob("*.html")))
    spanish = words(next((site / "2025Q4" / "es" / "aco").glob("*.html")))
    assert "You can also call MassHealth Customer Service." in english
    assert "También puede llamar al Servicio al Cliente de MassHealth." in spanish
    # another program sets its own (--help-contact, or help_contact in the config file)
    basic = ROOT / "tests" / "fixtures" / "marts" / "basic"
    contact = "Member Services at 1-800-555-0100 (TTY: 711)"
    args = ["build", "--data", str(basic), "--out", str(tmp_path), "--quiet"]
    result = CliRunner().invoke(main, [*args, "--help-contact", contact])
    assert result.exit_code == 0, result.output
    pages = [*tmp_path.glob("*/plain/*/*.html"), *tmp_path.glob("*/es/*/*.html")]
    pages = [p for p in pages if p.relative_to(tmp_path).parts[0] != "latest"]  # redirects
    assert pages
    for page in pages:
        text = words(page)
        wanted = f"llamar a {contact}." if "/es/" in page.as_posix() else f"call {contact}."
        assert wanted in text and "MassHealth Customer Service" not in text, page


def test_the_downloads_say_what_each_column_holds(site: Path) -> None:
    downloads = site / "2025Q4" / "downloads"
    columns = pd.read_csv(downloads / "results_columns.csv", keep_default_na=False)
    results = pd.read_csv(downloads / "results.csv", nrows=1)
    described = dict(zip(columns["column"], columns["meaning"], strict=True))
    assert set(results.columns) <= set(described)
    assert all(described[c] for c in results.columns), described
    assert "95%" in described["lower"] and "rose or fell" in described["trend_label"]
    provenance = (site / "2025Q4" / "provenance.html").read_text()
    assert 'href="downloads/results_columns.csv"' in provenance
