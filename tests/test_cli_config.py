"""check and measures read a settings file (--config) as build does; none is read unasked."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from scorecard.cli import main

ROOT = Path(__file__).resolve().parents[1]
BASIC = ROOT / "tests" / "fixtures" / "marts" / "basic"
MEASURES = ROOT / "measures"


def _measures_of(tmp_path: Path, *ids: str) -> Path:
    folder = tmp_path / "few_measures"
    folder.mkdir()
    for measure_id in ids:
        shutil.copy(MEASURES / f"{measure_id}.yml", folder)
    if (MEASURES / "sql").is_dir():
        shutil.copytree(MEASURES / "sql", folder / "sql")
    return folder


def test_check_reads_the_settings_file_and_the_options_win(tmp_path: Path) -> None:
    config = tmp_path / "scorecard.yml"
    config.write_text(f"data: {tmp_path / 'marts_elsewhere'}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--config", str(config)])
    assert result.exit_code == 2, result.output
    assert "marts_elsewhere" in result.output and "ok" not in result.stdout.split()
    config.write_text(f"data: {BASIC}\n", encoding="utf-8")
    passed = CliRunner().invoke(main, ["check", "--config", str(config)])
    assert passed.exit_code == 0, passed.output
    assert f"Checking the marts in {BASIC}" in passed.stderr
    config.write_text(f"data: {tmp_path / 'marts_elsewhere'}\n", encoding="utf-8")
    wins = CliRunner().invoke(main, ["check", "--config", str(config), "--data", str(BASIC)])
    assert wins.exit_code == 0, wins.output


def test_a_settings_file_in_the_folder_is_named_when_it_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    Path("scorecard.yml").write_text("data: somewhere/else\n", encoding="utf-8")
    result = runner.invoke(main, ["measures", "list", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "scorecard.yml in this folder is not read; pass --config" in result.stderr
    used = runner.invoke(main, ["measures", "list", "--config", "scorecard.yml"])
    assert used.exit_code == 0 and "not read" not in used.stderr


def test_measures_list_and_show_read_the_settings_file(tmp_path: Path) -> None:
    few = _measures_of(tmp_path, "ed_visits", "fuh_7d")
    config = tmp_path / "settings.yml"
    config.write_text(f"measures: {few}\n", encoding="utf-8")
    listed = CliRunner().invoke(
        main, ["measures", "list", "--config", str(config), "--format", "json"]
    )
    assert listed.exit_code == 0, listed.output
    assert sorted(row["id"] for row in json.loads(listed.stdout)) == ["ed_visits", "fuh_7d"]
    shown = CliRunner().invoke(main, ["measures", "show", "fuh_7d", "--config", str(config)])
    assert shown.exit_code == 0, shown.output
    other = CliRunner().invoke(main, ["measures", "show", "bcs", "--config", str(config)])
    assert other.exit_code == 2 and "unknown measure" in other.output
    # --measures wins over the file
    wins = ["measures", "list", "--config", str(config), "--measures", str(MEASURES)]
    assert len(json.loads(CliRunner().invoke(main, [*wins, "--format", "json"]).stdout)) > 2


def test_measures_show_says_what_can_change_between_quarters() -> None:
    shown = CliRunner().invoke(main, ["measures", "show", "diabetes_eye_exam"])
    assert shown.exit_code == 0, shown.output
    for words in (
        "Version: ",
        "Edition followed: ",
        "Look-back before the window: 12 months",
        "Smallest denominator for a result: 30",
        "Leaves out: members who had hospice care",
        "Breakdowns: age band",
        "Star method: relative",
    ):
        assert words in shown.output, words


def test_the_measures_download_has_definition_method_and_edition() -> None:
    from types import SimpleNamespace

    from scorecard import export
    from scorecard.specs import load_specs

    specs = {s.id: s for s in load_specs(MEASURES)}
    frame = export.measures_frame(SimpleNamespace(specs=specs))  # type: ignore[arg-type]
    for column in ("definition", "method", "edition", "lookback_months", "exclusions"):
        assert column in frame.columns, column
    row = frame.set_index("measure_id").loc["diabetes_eye_exam"]
    assert row["edition"] == specs["diabetes_eye_exam"].edition and row["definition"]
    assert "hospice" in row["exclusions"] and row["star_method"] == "relative"
