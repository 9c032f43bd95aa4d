"""Every build setting, declared once with its default and help.

The CLI options of `scorecard build` are generated from SETTINGS, values can also come from a
`scorecard.yml` file (same names), and the README's settings table is checked against this
list by a test, so the three cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from scorecard.resources import resource_root

PROJECT_ROOT = resource_root()  # the checkout, or the copies installed with a wheel


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    type: type = str

    @property
    def option(self) -> str:
        """Return the command-line option for this setting, e.g. --memory-limit."""
        return "--" + self.name.replace("_", "-")


SETTINGS: tuple[Setting, ...] = (
    Setting("data", PROJECT_ROOT / "data" / "demo", "Folder of mart files (CSV or Parquet).", Path),
    Setting(
        "measures",
        PROJECT_ROOT / "measures",
        "Folder of measure specs (*.yml, sql/, value_sets/).",
        Path,
    ),
    Setting("out", Path("site"), "Folder the versioned site is published into.", Path),
    Setting("period", None, "Quarter to publish, e.g. 2025Q4 (default: latest complete quarter)."),
    Setting(
        "audience",
        "internal",
        "Who the site is for: internal, public or partner:<org id of an ACO or a CP>.",
    ),
    Setting(
        "program_name",
        "MassHealth ACO and Community Partner program (demo data)",
        "Name shown on every page.",
    ),
    Setting(
        "help_contact",
        "MassHealth Customer Service",
        "Who members can call with questions, named on the plain-language pages, e.g. "
        "'MassHealth Customer Service at 1-800-841-2900 (TTY: 711)'.",
    ),
    Setting(
        "seed", 8675309, "Seed of the star-rating resampling (same seed, same cut points).", int
    ),
    Setting(
        "force",
        False,
        "Rewrite the version if it is already published (never a folder of the same name that "
        "is not an edition of the site).",
        bool,
    ),
    Setting("threads", None, "DuckDB worker threads, 1 or more (default: all cores).", int),
    Setting(
        "memory_limit",
        None,
        "DuckDB memory limit, e.g. 8GB, 500MB or 50% of RAM (default: 6GB, or 60% of RAM if less).",
        str,
    ),
    Setting(
        "history",
        None,
        "Folder of earlier quarters' results (internal; outside --out): read back instead of "
        "computed, and the quarters computed are added to it. Default: compute every quarter.",
        Path,
    ),
    Setting(
        "cache",
        None,
        "Folder where marts loaded and checked without a problem are kept (person-level: "
        "internal), so later builds and checks of the same files skip loading and checking. "
        "Default: none.",
        Path,
    ),
    Setting("engine", "duckdb", "Where the measures are computed: duckdb or spark."),
    Setting(
        "spark_master", "local[*]", "Spark master for --engine spark, e.g. yarn, spark://h:7077."
    ),
    Setting(
        "reward",
        "cms",
        "Reward factor of the overall stars: cms (as Medicare: up to +0.4 for an organisation "
        "whose measure stars are high and alike) or none.",
    ),
)

SETTING: dict[str, Setting] = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    data: Path = SETTINGS[0].default
    measures: Path = SETTINGS[1].default
    out: Path = SETTINGS[2].default
    period: str | None = None
    audience: str = "internal"
    program_name: str = SETTINGS[5].default
    help_contact: str = SETTINGS[6].default
    seed: int = 8675309
    force: bool = False
    threads: int | None = None
    memory_limit: str | None = None
    history: Path | None = None
    cache: Path | None = None
    engine: str = "duckdb"
    spark_master: str = "local[*]"
    reward: str = "cms"

    @property
    def value_sets(self) -> Path:
        """Return the folder of code lists beside the measure specs."""
        return Path(self.measures) / "value_sets"


class SettingsError(ValueError):
    """Raised for a settings file that cannot be used, with a message naming the file."""


def _coerce(setting: Setting, value: Any, source: object) -> Any:
    if value is None or setting.type in (str, bool):
        return value
    try:
        return setting.type(value)
    except (TypeError, ValueError):
        kind = {int: "a whole number", Path: "a folder path"}.get(setting.type, "a value")
        raise SettingsError(f"{source}: {setting.name}: {value!r} is not {kind}") from None


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Return Settings from defaults, then `config_file` (YAML), then non-None overrides;
    raise SettingsError naming the file for an unknown setting or a value of the wrong type."""
    values: dict[str, Any] = {s.name: s.default for s in SETTINGS}
    if config_file is not None and Path(config_file).exists():
        try:
            read = yaml.safe_load(Path(config_file).read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise SettingsError(f"{config_file}: not valid YAML: {exc}") from None
        if not isinstance(read, dict):
            raise SettingsError(f"{config_file}: must hold 'name: value' lines")
        values.update(read)
    values.update({k: v for k, v in overrides.items() if v is not None})
    by_name = {s.name: s for s in SETTINGS}
    unknown = sorted(set(values) - set(by_name))
    if unknown:
        raise SettingsError(
            f"{config_file}: unknown setting(s) {unknown}; known: {sorted(by_name)}"
        )
    given = {k for k, v in overrides.items() if v is not None}

    def source(name: str) -> object:  # where a value came from, for the messages
        return "command line" if name in given or config_file is None else config_file

    if values["period"] is not None:
        values["period"] = _quarter(str(values["period"]), source("period"))
    values["reward"] = _choice("reward", str(values["reward"]), REWARDS, source("reward"))
    settings = {k: _coerce(by_name[k], v, source(k)) for k, v in values.items()}
    if values["threads"] is not None:
        _check_threads(values["threads"], settings["threads"], source("threads"))
    if values["memory_limit"] is not None:
        settings["memory_limit"] = _memory_limit(values["memory_limit"], source("memory_limit"))
    return Settings(**settings)


def _check_threads(value: Any, number: int, source: object) -> None:
    """Raise SettingsError unless threads, given as `value` and read (_coerce) as `number`, is
    a whole number of at least 1 (not True, nor a fraction int() would cut)."""
    whole = isinstance(value, int | str) and not isinstance(value, bool)
    if not whole or number < 1:
        raise SettingsError(
            f"{source}: threads: {value!r} is not a whole number of at least 1 (the DuckDB "
            "worker threads; leave it out to use every core)"
        )


# A DuckDB memory limit: a number and a unit (1000- or 1024-based), or a share of the memory.
_MEMORY_LIMIT = re.compile(r"(\d+(?:\.\d+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB|%)", re.IGNORECASE)


def _memory_limit(value: Any, source: object) -> str:
    """Return the memory limit as DuckDB reads it ('6GB', '500 MB', '8GiB', '50%'), else raise
    SettingsError naming the value and the forms accepted."""
    found = _MEMORY_LIMIT.fullmatch(str(value).strip())
    amount = float(found.group(1)) if found else 0.0
    percent = bool(found) and found.group(2) == "%"
    if amount <= 0 or (percent and amount > 100):
        raise SettingsError(
            f"{source}: memory_limit: {value!r} is not a memory size such as 6GB, 500MB or "
            "8GiB, nor a share of the memory (up to 100%) such as 50%"
        )
    return str(value).strip()


# The reward choices (ratings.REWARDS, repeated so that reading settings needs no pandas).
REWARDS = ("cms", "none")


def _choice(name: str, value: str, choices: tuple[str, ...], source: object) -> str:
    """Return value in lower case if it is one of `choices`, else raise SettingsError."""
    chosen = value.strip().lower()
    if chosen not in choices:
        raise SettingsError(f"{source}: {name}: {value!r} is not one of {', '.join(choices)}")
    return chosen


def _quarter(period: str, source: object) -> str:
    """Return a quarter id as the tool writes it (2025q4 -> 2025Q4), or raise SettingsError
    before any mart is read ('Q4 2025' is not one)."""
    quarter = period.strip().upper()
    if not re.fullmatch(r"\d{4}Q[1-4]", quarter):
        raise SettingsError(f"{source}: period: {period!r} is not a quarter written like 2025Q4")
    return quarter


assert [f.name for f in fields(Settings)] == [s.name for s in SETTINGS], (
    "SETTINGS and Settings differ"
)
