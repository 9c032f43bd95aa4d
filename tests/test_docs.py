"""Documentation that cannot drift: README settings and commands match the code."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from scorecard.cli import main
from scorecard.contract import TABLES
from scorecard.settings import SETTINGS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = README.index(title)
    end = README.find("\n#", start + len(title))
    return README[start : end if end > 0 else None]


def test_every_setting_is_documented_in_the_readme() -> None:
    table = _section("### Build settings")
    documented = set(re.findall(r"^\| `(\w+)` \|", table, flags=re.M))
    assert documented == {s.name for s in SETTINGS}


def test_every_setting_is_a_build_option() -> None:
    help_text = CliRunner().invoke(main, ["build", "--help"]).output
    for setting in SETTINGS:
        assert setting.option in help_text


def test_every_mart_table_is_documented() -> None:
    contract = _section("## The data contract")
    documented = set(re.findall(r"^\| `(\w+)` \|", contract, flags=re.M))
    assert documented == {t.name for t in TABLES}


def test_every_command_is_documented_and_has_help() -> None:
    commands = _section("## Commands")
    for name in (
        "build",
        "check",
        "demo-data",
        "measures list",
        "measures show",
        "stars cut-points",
    ):
        assert f"`scorecard {name}" in commands
        result = CliRunner().invoke(main, [*name.split(), "--help"])
        assert result.exit_code == 0 and "Usage" in result.output
