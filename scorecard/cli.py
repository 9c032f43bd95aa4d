"""The `scorecard` command: a thin Click group over build, check, demo-data, measures, stars."""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from scorecard import blas  # noqa: F401  (before numpy: one BLAS thread)
from scorecard.settings import SETTING, SETTINGS, Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from scorecard.build import CheckReport

EXIT_BAD_INPUT = 2
EXIT_DISK = 3  # a folder the build writes to is read-only, full, over quota or not permitted
EXIT_PUBLISHED_DIFFERS = 4  # the edition is published from other inputs; --force rebuilds it


class Progress:
    """Prints one line per pipeline step with the time it took."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.started = time.perf_counter()
        self.open = False  # a step's label is printed, its time not yet

    def step(self, label: str) -> Callable[[], None]:
        """Print `label` now; return a function that prints the elapsed time when called."""
        begin = time.perf_counter()
        if not self.quiet:
            click.echo(f"  {label} ...", nl=False, err=True)
            self.open = True

        def done() -> None:
            if not self.quiet:
                click.echo(f" {time.perf_counter() - begin:.1f} s", err=True)
                self.open = False

        return done

    def stopped(self) -> None:
        """End the line of a step that stopped on an error, so the error starts a line."""
        if self.open:
            click.echo(" stopped", err=True)
            self.open = False


def fail(problems: list, title: str) -> NoReturn:
    """Print every problem to stderr and exit with the bad-input code."""
    count = f"{len(problems)} problem{'' if len(problems) == 1 else 's'}"
    click.echo(f"{title} ({count}):", err=True)
    for problem in problems:
        click.echo(f"  - {problem}", err=True)
    sys.exit(EXIT_BAD_INPUT)


def disk_failed(exc: Exception) -> NoReturn:
    """Print the one line of a disk error (disk.DiskError) to stderr and exit with the disk
    code."""
    click.echo(str(exc), err=True)
    sys.exit(EXIT_DISK)


@click.group()
@click.version_option(package_name="scorecard")
def main() -> None:
    """Publish health-care scorecards (CPs, ACOs, providers) as a versioned static website."""
    if threading.current_thread() is threading.main_thread():  # where Python runs handlers
        signal.signal(signal.SIGTERM, _stop_on_sigterm)


def _stop_on_sigterm(signum: int, frame: object) -> None:
    """Stop as on an error when asked to (a CI job cancelled, `kill`): the working database
    and the half-built edition are cleaned up and nothing published is touched."""
    raise SystemExit(128 + signum)


def settings_options(command: Callable) -> Callable:
    """Add one option per declared setting (see scorecard/settings.py) to `command`."""
    for setting in reversed(SETTINGS):
        if setting.type is bool:
            option = click.option(
                setting.option, setting.name, is_flag=True, default=None, help=setting.help
            )
        else:
            kind = click.Path(path_type=Path) if setting.type is Path else setting.type
            option = click.option(
                setting.option, setting.name, type=kind, default=None, help=setting.help
            )
        command = option(command)
    return command


CONFIG_NAME = "scorecard.yml"  # the usual name of a settings file; read only with --config


def measures_dir_option(command: Callable) -> Callable:
    """Add --measures (a folder of measure specs, passed as measures_dir) to `command`."""
    return click.option(
        "--measures",
        "measures_dir",
        type=click.Path(path_type=Path),
        default=None,
        help=SETTING["measures"].help,
    )(command)


def config_option(command: Callable) -> Callable:
    """Add --config (a settings file, as build reads it) to `command`."""
    return click.option(
        "--config",
        type=click.Path(path_type=Path, exists=True, dir_okay=False),
        default=None,
        help=f"A {CONFIG_NAME} file of settings (the command line's options win over it).",
    )(command)


def unread_config_note(config: Path | None) -> None:
    """Print a note on stderr when a scorecard.yml in the working folder is not read (no
    --config): every command reads settings only from --config, so that check and build
    never read different settings."""
    here = Path.cwd() / CONFIG_NAME
    if config is None and here.is_file():
        click.echo(
            f"note: {CONFIG_NAME} in this folder is not read; pass --config {CONFIG_NAME} to "
            "use its settings (the defaults and the options given are used)",
            err=True,
        )


@main.command()
@config_option
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
@click.option(
    "--timings",
    is_flag=True,
    help="Also print the seconds of each step of the computing and of the slowest measures.",
)
@settings_options
def build(config: Path | None, quiet: bool, timings: bool, **options: object) -> None:
    """Compute every measure and publish one version of the site."""
    from scorecard.build import AlreadyPublished, BuildError, PublishedDiffers, build_site
    from scorecard.disk import DiskError
    from scorecard.history import HistoryError, check_folder

    settings = _settings(config, **options)
    if not quiet:
        unread_config_note(config)
    progress = Progress(quiet)
    try:
        if settings.history is not None:  # a bad file stops the build before any computing
            check_folder(settings.history)
        report = build_site(settings, progress)
    except AlreadyPublished as exc:  # a re-run (a CI job retried): green, nothing changed
        progress.stopped()
        if not quiet:
            click.echo(str(exc))
        return
    except PublishedDiffers as exc:  # not bad input: its own code, so CI can tell them apart
        progress.stopped()
        click.echo(str(exc), err=True)
        sys.exit(EXIT_PUBLISHED_DIFFERS)
    except BuildError as exc:
        progress.stopped()
        fail(exc.problems, exc.title)
    except HistoryError as exc:  # a file of the history that check_folder reads no rows of
        progress.stopped()
        fail([str(exc)], "results history")
    except DiskError as exc:
        progress.stopped()
        disk_failed(exc)
    if not quiet:
        click.echo(report.summary())
    if timings:
        click.echo("\n".join(report.timing_lines()), err=True)


@main.command()
@config_option
@click.option("--data", type=click.Path(path_type=Path), default=None, help=SETTING["data"].help)
@click.option(
    "--measures", type=click.Path(path_type=Path), default=None, help=SETTING["measures"].help
)
@click.option("--period", default=None, help=SETTING["period"].help)
@click.option("--cache", type=click.Path(path_type=Path), default=None, help=SETTING["cache"].help)
@click.option(
    "--strict",
    is_flag=True,
    help="Count warnings (claims not all in yet, repeated claim totals) and files no table "
    "reads as problems: exit 2.",
)
def check(
    config: Path | None,
    data: Path | None,
    measures: Path | None,
    period: str | None,
    cache: Path | None,
    strict: bool,
) -> None:
    """Validate the marts and the measure specs; print every problem; exit 2 if any.

    Settings as build reads them: defaults, then --config, then the options given."""
    from scorecard.build import check_inputs

    settings = _settings(config, data=data, measures=measures, period=period, cache=cache)
    unread_config_note(config)
    click.echo(
        f"Checking the marts in {settings.data} and the specs in {settings.measures}", err=True
    )
    report = check_inputs(settings)
    for line in report.lines():
        click.echo(line)
    problems = report.problems + (strict_problems(report) if strict else [])
    if problems:
        fail(problems, "check failed")
    click.echo("ok")


def _settings(config: Path | None, **options: object) -> Settings:
    """Return the settings, or exit 2 with the problem (naming the file) when they are bad."""
    try:
        return load_settings(config, **options)
    except SettingsError as exc:
        fail([str(exc)], "settings")


def strict_problems(report: CheckReport) -> list[str]:
    """Return what `check --strict` counts as problems besides the report's own: the warnings,
    and each file of the marts folder no table reads (a misnamed mart would leave its measures
    out; a mart a program does not have at all only skips its measures, as without --strict)."""
    return [
        *(f"warning: {w.message}" for w in report.warnings),
        *(f"{name}: not read, as no table has its name" for name in report.unread),
    ]


@main.command("demo-data")
@click.option("--members", default=20000, show_default=True, help="Number of members.")
@click.option("--months", default=24, show_default=True, help="Months of data.")
@click.option("--seed", default=42, show_default=True, help="Random seed (same seed, same files).")
@click.option(
    "--end-month", default="2025-12", show_default=True, help="Last month of data (YYYY-MM)."
)
@click.option(
    "--out", type=click.Path(path_type=Path), required=True, help="Folder to write the marts into."
)
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True
)
def demo_data(members: int, months: int, seed: int, end_month: str, out: Path, fmt: str) -> None:
    """Write deterministic synthetic marts in the data contract."""
    from scorecard.demo import write_demo_marts

    done = Progress().step(f"Generating {members:,} members x {months} months")
    paths = write_demo_marts(
        out, fmt, members=members, months=months, seed=seed, end_month=end_month
    )
    done()
    click.echo(f"Wrote {len(paths)} files to {out}")


@main.group()
def measures() -> None:
    """List and explain the measures."""


def _load_specs(measures_dir: Path | None, config: Path | None = None) -> list:
    """Return the specs of --measures, else of --config's measures setting, else the default."""
    from scorecard.specs import SpecError, load_specs

    unread_config_note(config)
    try:
        return load_specs(_settings(config, measures=measures_dir).measures)
    except SpecError as exc:
        fail(exc.problems, "measure specs are invalid")
    return []


@measures.command("list")
@config_option
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@measures_dir_option
def list_measures(fmt: str, measures_dir: Path | None, config: Path | None) -> None:
    """List every measure with its family, kind and direction."""
    specs = _load_specs(measures_dir, config)
    fields = ("id", "title", "family", "kind", "direction", "unit", "source")
    rows = [{f: getattr(s, f) for f in fields} for s in specs]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    widths = {f: max(len(f), *(len(str(r[f])) for r in rows)) for f in fields[:5]}
    click.echo("  ".join(f.ljust(widths[f]) for f in fields[:5]))
    for row in rows:
        click.echo("  ".join(str(row[f]).ljust(widths[f]) for f in fields[:5]))


@measures.command("show")
@click.argument("measure_id")
@config_option
@click.option("--lang", type=click.Choice(["en", "es"]), default="en", show_default=True)
@measures_dir_option
@click.option(
    "--sql",
    "show_sql",
    is_flag=True,
    help="Print the measure's SQL as the engines run it (its Jinja2 template rendered).",
)
def show_measure(
    measure_id: str, config: Path | None, lang: str, measures_dir: Path | None, show_sql: bool
) -> None:
    """Explain one measure in plain words (the definition, method and source in English)."""
    from scorecard import i18n
    from scorecard.specs import what_can_change

    specs = {s.id: s for s in _load_specs(measures_dir, config)}
    if measure_id not in specs:
        raise click.BadParameter(f"unknown measure '{measure_id}'; try: {', '.join(sorted(specs))}")
    spec = specs[measure_id]
    text = spec.text(lang)
    better = i18n.DIRECTION_WORDS[lang][spec.direction] + "."
    click.echo(
        "\n\n".join(p for p in (text.title, _lines(text.summary, text.meaning), better) if p)
    )
    details = (("Definition", spec.description), ("Method", spec.method), ("Source", spec.source))
    click.echo("\n" + _lines(*(f"{label}: {value}" for label, value in details if value)))
    click.echo(
        f"Family: {spec.family}; kind: {spec.kind}; unit: {spec.unit}; window: {spec.window}"
    )
    click.echo(_lines(*(f"{label}: {value}" for label, value in what_can_change(spec))))
    if show_sql:
        template = spec.sql_file or f"sql/{spec.id}.sql"
        click.echo(f"\nSQL (measures/{template}, rendered):\n{spec.sql.strip()}")


def _lines(*lines: str | None) -> str:
    """Return the non-empty `lines` joined by newlines."""
    return "\n".join(line.strip() for line in lines if line and line.strip())


@main.group()
def stars() -> None:
    """CMS-style star-rating tools."""


@stars.command("cut-points")
@click.argument("input_csv", type=click.Path(exists=True, path_type=Path))
@click.option("--seed", default=8675309, show_default=True, help="Seed of the 10-fold resampling.")
@click.option("--folds", default=10, show_default=True, help="Number of resampling folds.")
@click.option("--no-tukey", is_flag=True, help="Keep outliers (skip Tukey outer-fence deletion).")
@config_option
@measures_dir_option
def cut_points(
    input_csv: Path,
    seed: int,
    folds: int,
    no_tukey: bool,
    config: Path | None,
    measures_dir: Path | None,
) -> None:
    """Print CMS clustering cut points (measure_id,t2,t3,t4,t5) for the scores in INPUT_CSV.

    INPUT_CSV has one row per organization and measure: columns measure_id and score
    (a number), and optionally direction (higher_is_better or lower_is_better, or higher,
    lower; default higher_is_better) and decimals (the places scores are rounded to before
    clustering; default 0). A measure_id of the measure specs (--measures, --config) takes
    its direction and decimals from its spec. A bad value stops with exit code 2, naming the
    line, the column and the row.
    """
    import pandas as pd

    from scorecard.ratings import cut_points_input, cut_points_table

    scores = pd.read_csv(input_csv, dtype=str, keep_default_na=False)
    missing = {"measure_id", "score"} - set(scores.columns)
    if missing:
        example = scores.head(1).to_dict("records")
        fail(
            [f"{input_csv}: column(s) {sorted(missing)} missing; example row: {example}"],
            "bad input",
        )
    known = {s.id: (s.direction, s.decimals) for s in _load_specs(measures_dir, config)}
    scores, problems = cut_points_input(scores.mask(scores == ""), known, str(input_csv))
    if problems:
        fail(problems, "bad input")
    table = cut_points_table(scores, seed=seed, folds=folds, tukey=not no_tukey)
    click.echo(table.to_csv(index=False), nl=False)


@main.group()
def versions() -> None:
    """List the published versions of a site; hide, retire or show one (files never change)."""


def _out_option(command: Callable) -> Callable:
    return click.option(
        "--out", type=click.Path(path_type=Path), required=True, help=SETTING["out"].help
    )(command)


@versions.command("list")
@_out_option
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def list_versions(out: Path, fmt: str) -> None:
    """List every version folder with its state (active, hidden, retired) and audience."""
    from scorecard import publish

    if not Path(out).is_dir():
        fail([f"{out}: no site here"], "versions")
    rows = publish.version_rows(out)
    ignored = publish.ignored_folders(out)
    if ignored:
        click.echo(f"not editions, left alone: {', '.join(ignored)}", err=True)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(
        f"{'version':<10} {'state':<8} {'latest':<6} {'audience':<20} {'data as of':<12} "
        f"{'changed':<8} notes"
    )
    for r in rows:
        latest = "yes" if r["latest"] else ""
        notes = f"{len(r['data_notes'])} about the data" if r["data_notes"] else ""
        changed = "-" if r["definitions_changed"] is None else str(r["definitions_changed"])
        click.echo(
            f"{r['version']:<10} {r['state']:<8} {latest:<6} {r['audience']:<20} "
            f"{r['data_as_of']:<12} {changed:<8} {notes}".rstrip()
        )
    for kept in publish.restated_editions(out):
        click.echo(
            f"{kept['version']:<10} replaced: the edition first published {kept['published_on']}"
            f" (data as of {kept['data_as_of'] or 'unknown'}) is kept, not served, in "
            f"{kept['archive']}"
        )
    noted = {r["version"] for r in rows if r["data_notes"]}
    expected = publish.versions_entries([r["version"] for r in rows], publish.states(out), noted)
    if rows and publish.read_versions(out) != expected:
        click.echo("versions.json is out of date: run `scorecard versions repair`", err=True)


def _set_state(out: Path, version: str, state: str) -> None:
    from scorecard import disk, publish

    try:
        disk.check_links(out)
        if not Path(out).is_dir():
            fail([f"{out}: no site here"], "versions")
        with disk.writing(out, "the command"):
            changed = publish.set_state(out, version, state)
    except (publish.PublishError, ValueError) as exc:
        fail([str(exc)], "versions")
    except disk.DiskError as exc:
        disk_failed(exc)
    click.echo(f"{version}: {state}" + (f" (rewrote {', '.join(changed)})" if changed else ""))


@versions.command("hide")
@_out_option
@click.argument("version")
def hide_version(out: Path, version: str) -> None:
    """Leave VERSION out of the version menu and of 'latest'; its pages are still served (with
    every version hidden, the site's address says no results are published)."""
    _set_state(out, version, "hidden")


@versions.command("retire")
@_out_option
@click.argument("version")
def retire_version(out: Path, version: str) -> None:
    """Keep VERSION in the menu titled '(retired)'; 'latest' goes to the newest active version
    (to a retired one only when no version is active)."""
    _set_state(out, version, "retired")


@versions.command("show")
@_out_option
@click.argument("version")
def show_version(out: Path, version: str) -> None:
    """Make a hidden or retired VERSION active again."""
    _set_state(out, version, "active")


@versions.command("repair")
@_out_option
def repair_versions(out: Path) -> None:
    """Finish or undo what a killed build left (temporary folders, derived files)."""
    from scorecard import disk, publish

    try:
        disk.check_links(out)
        if not Path(out).is_dir():
            fail([f"{out}: no site here"], "versions")
        with disk.writing(out, "the command"), publish.locked(out):
            actions = publish.recover(out)
    except publish.PublishError as exc:
        fail([str(exc)], "versions")
    except disk.DiskError as exc:
        disk_failed(exc)
    click.echo("\n".join(actions) or "nothing to repair")
