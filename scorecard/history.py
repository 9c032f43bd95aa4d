"""The results history: each quarter's aggregated results, kept from the build that made them.

With a history folder (`scorecard build --history DIR`), a build computes the quarter it
publishes and only those earlier (measure, quarter) results the folder does not hold under the
same definition; the trend's earlier quarters are read back from the folder. At a million
members that is most of the compute time saved (benchmarks/README.md), and the trend keeps the
values that were published: later claims for an earlier quarter do not restate it.

The folder holds one Parquet file per quarter, `<period_id>.parquet`, with the engine's
aggregate rows (the columns of engine.MEASURE_RESULTS_COLUMNS: sums and counts per measure,
level, entity and stratum, never a person) and the definition each row was computed under.
Counts there are not suppressed, so the folder is internal: keep it out of the published site
(a build refuses a history folder inside --out).

Beside them, `cut_points/<period_id>.csv` keeps the star cut points each build rated its
quarter with (the cut_points.csv every edition of that quarter publishes, whatever its
audience): the next year's guardrails start from them and they say when a measure was first
rated (build.rated_before). Kept here rather than read from the editions in --out, so that
every audience's edition of a quarter gets the same stars.

A definition is the SHA-256 of everything that decides a measure's aggregate rows apart from
the data: its compiled SQL, the aggregation SQL, the helper views, the attribution lookup and
every code list. Change any of them and the measure is computed again for every quarter.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from scorecard import disk

FORMAT = "scorecard-results-history-1"


class HistoryError(Exception):
    """The history folder cannot be used (where it is, or what it holds)."""


@dataclass
class Plan:
    """What a build computes and what it reads back, per measure id."""

    compute: dict[str, list[str]] = field(default_factory=dict)  # measure -> periods to compute
    reuse: dict[str, list[str]] = field(default_factory=dict)  # measure -> periods read back

    def summary(self) -> dict[str, int]:
        """Return how many (measure, period) results are computed and how many read back."""
        return {
            "computed": sum(len(p) for p in self.compute.values()),
            "read_from_history": sum(len(p) for p in self.reuse.values()),
        }


def definition_hash(*parts: str) -> str:
    """Return the SHA-256 of the parts (SQL texts, file digests), in order."""
    digest = hashlib.sha256(FORMAT.encode())
    for part in parts:
        digest.update(b"\x00" + part.encode("utf-8"))
    return digest.hexdigest()


def files_digest(paths: list[Path]) -> str:
    """Return one SHA-256 over the names and bytes of `paths` (e.g. every code list)."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode() + b"\x00" + path.read_bytes() + b"\x00")
    return digest.hexdigest()


def check_location(history: Path, site_root: Path) -> None:
    """Raise HistoryError if the history folder lies inside the published site."""
    inside = Path(history).resolve().is_relative_to(Path(site_root).resolve())
    if inside:
        raise HistoryError(
            f"{history}: the results history holds unsuppressed counts and must not be inside "
            f"the published site {site_root}; choose a folder outside it"
        )


KEYS = ["measure_id", "period_id", "definition"]
# The columns of a quarter's file: engine.MEASURE_RESULTS_COLUMNS (a test keeps the two alike)
# and the definition. Files written before the sums per member lack the later ones (from
# numerator_sq on) and are read all the same; a file without the first ones, or with a column
# the engine does not know, is not one this tool wrote.
RESULT_COLUMNS = (
    *("measure_id", "period_id", "level", "entity_id", "stratum", "stratum_value"),
    *("numerator", "denominator", "numerator_sq", "denominator_sq", "numerator_denominator"),
    *("median", "units", "persons", "persons_numerator", "persons_complement"),
)
REQUIRED_RESULT_COLUMNS = (*RESULT_COLUMNS[:8], "definition")
# The columns of cut_points/<period_id>.csv that the ratings read back.
CUT_POINT_COLUMNS = ("measure_id", "period_id", "level", "t2", "t3", "t4", "t5")
_QUARTER_FILE = re.compile(r"^\d{4}Q[1-4]$")


def read_stored(history: Path, periods: list[str]) -> pd.DataFrame:
    """Return every row the folder holds for `periods`, with its definition column; raise
    HistoryError naming the file if one cannot be read or is not a results-history file."""
    frames = [_read_results(path) for path in _period_files(history, periods)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=KEYS)


def check_folder(history: Path) -> None:
    """Raise HistoryError naming the first file of the history folder a build would fail on:
    a quarter's file that is not Parquet or lacks the results columns (only its schema is read
    here; read_stored reads the rows), or a cut-points CSV that cannot be used. A folder that
    does not exist yet is fine: the build creates it."""
    history = Path(history)
    if history.exists() and not history.is_dir():
        raise HistoryError(f"{history}: the results history must be a folder, not a file")
    for path in sorted(history.glob("*.parquet")):
        if _QUARTER_FILE.match(path.stem):
            _check_result_columns(path, _parquet_columns(path))
    read_cut_points(history)


def _parquet_columns(path: Path) -> list[str]:
    import pyarrow.parquet as pq

    try:
        return list(pq.read_schema(path).names)
    except Exception as exc:  # pyarrow's errors: ArrowInvalid, OSError, ...
        raise _not_readable(path, "Parquet", exc) from None


def _read_results(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow's errors: ArrowInvalid, OSError, ...
        raise _not_readable(path, "Parquet", exc) from None
    _check_result_columns(path, list(frame.columns))
    _check_period(path, frame)
    return frame


def _not_readable(path: Path, kind: str, exc: Exception) -> HistoryError:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    reason = re.sub(r"^Could not open Parquet input source '[^']*': ", "", reason)  # the path
    return HistoryError(f"{path}: cannot be read as {kind} ({reason}); {_remedy(path)}")


def _remedy(path: Path) -> str:
    """Return what to do about a bad file of the history folder."""
    if path.parent.name == CUT_POINTS:
        kept = "the edition of that quarter publishes the same cut points in its downloads"
    else:
        kept = "moved out, its quarter is computed again"
    return (
        f"put back a good copy of the file or move it out of {path.parent} ({kept}), or choose "
        "another --history folder"
    )


def _check_result_columns(path: Path, columns: list[str]) -> None:
    """Raise HistoryError unless `columns` are those of a quarter's file (its schema for
    check_folder, its rows for read_stored)."""
    _check_columns(path, columns, REQUIRED_RESULT_COLUMNS, (*RESULT_COLUMNS, "definition"))


def _check_columns(
    path: Path, columns: list[str], required: tuple[str, ...], known: tuple[str, ...] = ()
) -> None:
    """Raise HistoryError naming the `required` columns missing and, when `known` is given,
    the columns not among them."""
    missing = [c for c in required if c not in columns]
    unknown = [c for c in columns if known and c not in known]
    if not (missing or unknown):
        return
    what = []
    if missing:
        what.append(f"column(s) {', '.join(missing)} missing")
    if unknown:
        what.append(f"column(s) {', '.join(unknown)} not of a results history")
    raise HistoryError(
        f"{path}: not a results-history file written by scorecard: {'; '.join(what)} "
        f"(columns found: {', '.join(map(str, columns)) or 'none'}); " + _remedy(path)
    )


def _check_period(path: Path, frame: pd.DataFrame) -> None:
    """Raise HistoryError if the file holds rows of a quarter other than the one it is named
    after (a file renamed by hand would put its numbers in the wrong quarter's trend)."""
    others = sorted({str(p) for p in frame["period_id"].dropna()} - {path.stem})
    if others:
        raise HistoryError(
            f"{path}: holds rows of period_id {', '.join(others[:3])}, not only {path.stem} "
            f"as its name says; " + _remedy(path)
        )


def plan(
    valid_periods: dict[str, list[str]],
    definitions: dict[str, str],
    stored: pd.DataFrame,
    target: str,
) -> Plan:
    """Return which (measure, period) results to compute and which to read back.

    `valid_periods`: each measure's periods in this build (a 12-month measure has none whose
    window starts before the data); `definitions`: each measure's definition hash; `stored`:
    read_stored(). The published quarter is always computed.
    """
    held = set(stored[KEYS].drop_duplicates().itertuples(index=False, name=None))
    result = Plan()
    for measure_id, periods in valid_periods.items():
        definition = definitions[measure_id]
        reuse = [p for p in periods if p != target and (measure_id, p, definition) in held]
        result.reuse[measure_id] = reuse
        result.compute[measure_id] = [p for p in periods if p not in reuse]
    return result


def reused_rows(
    stored: pd.DataFrame, chosen: Plan, definitions: dict[str, str]
) -> pd.DataFrame | None:
    """Return the stored rows the plan reads back, without their definition column (None if
    there are none)."""
    wanted = [(m, p, definitions[m]) for m, periods in chosen.reuse.items() for p in periods]
    if not wanted:
        return None
    return stored.merge(pd.DataFrame(wanted, columns=KEYS), on=KEYS).drop(columns="definition")


def write_rows(history: Path, computed: pd.DataFrame, definitions: dict[str, str]) -> list[str]:
    """Store the computed aggregate rows; return the periods whose files were written.

    A period's file keeps its rows of other measures and gains (or replaces) the rows of the
    measures computed now. Each file is written to a temporary name and renamed, so a killed
    build leaves the old file or the new one, never half of one.
    """
    history = Path(history)
    history.mkdir(parents=True, exist_ok=True)
    written = []
    rows = computed.copy()
    rows["definition"] = rows["measure_id"].map(definitions)
    for period_id, new in rows.groupby("period_id", sort=True):
        path = history / f"{period_id}.parquet"
        if path.exists():
            old = pd.read_parquet(path)
            new = pd.concat([old[~old["measure_id"].isin(set(new["measure_id"]))], new])
        sort_keys = ["measure_id", "level", "entity_id", "stratum", "stratum_value"]
        new = new.sort_values(sort_keys, ignore_index=True)
        disk.write_whole(path, lambda tmp, rows=new: rows.to_parquet(tmp, index=False))
        written.append(str(period_id))
    return written


CUT_POINTS = "cut_points"  # the folder of the cut points rated, one CSV per quarter


def write_cut_points(history: Path, period_id: str, cut_points: pd.DataFrame) -> Path:
    """Keep the cut points `period_id` was rated with (replacing a rebuild's older ones), via a
    temporary name and a rename; return the file."""
    folder = Path(history) / CUT_POINTS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{period_id}.csv"
    disk.write_whole(path, lambda tmp: cut_points.to_csv(tmp, index=False))
    return path


def read_cut_points(history: Path) -> pd.DataFrame:
    """Return the cut points of every quarter kept (period_id says whose; empty if none)."""
    paths = sorted((Path(history) / CUT_POINTS).glob("*.csv"))
    frames = [_read_cut_point_file(path) for path in paths]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=KEYS[:2])


def _read_cut_point_file(path: Path) -> pd.DataFrame:
    """Return one quarter's cut points; raise HistoryError naming the file (and the column and
    an example value) if it cannot be read, lacks a column or holds a cut point that is not a
    number."""
    try:
        frame = pd.read_csv(path, dtype={"period_id": str, "measure_id": str})
    except Exception as exc:  # ParserError, UnicodeDecodeError, EmptyDataError, OSError
        raise _not_readable(path, "a cut-points CSV", exc) from None
    _check_columns(path, list(frame.columns), CUT_POINT_COLUMNS)
    for column in CUT_POINT_COLUMNS[3:]:
        numbers = pd.to_numeric(frame[column], errors="coerce")
        bad = frame.loc[numbers.isna() & frame[column].notna(), column]
        if len(bad):
            raise HistoryError(
                f"{path}: column {column}: {bad.iloc[0]!r} (line {bad.index[0] + 2}) is not a "
                f"number; " + _remedy(path)
            )
        frame[column] = numbers
    _check_period(path, frame)
    return frame


def _period_files(history: Path, periods: list[str]) -> list[Path]:
    paths = [Path(history) / f"{p}.parquet" for p in periods]
    return [p for p in paths if p.is_file()]
