"""Checked extracts kept between builds (the `cache` setting).

Loading and checking the marts, and making the helpers that depend on them alone
(sql/extract_helpers.sql: member months, diagnoses, stays, enrollment gaps; sql/unit_span.sql:
the attribution timeline), is the same work
every time a build or a check reads the same files: at a million members about a third of a
build of the newest quarter. With a cache folder, the first build (or `scorecard check`) of an
extract keeps its working database as it stands once the marts are loaded and checked without
a problem and those helpers made; a later build of the very same files starts from a copy of
it (the figures are in benchmarks/README.md).

An extract is known by the SHA-256 of its mart files (their paths inside the marts folder and
their bytes) and of the code that loads them (the mart contract, the loader, the helpers kept,
DuckDB's version): change a byte of either and the extract is loaded and checked again (and
helpers kept for another data window than the one this code finds are made again). Code
lists, periods, the other helpers and the measures are computed by every build. Only the
newest KEEP extracts are kept. The cache holds the marts' person-level rows, as the marts
themselves do: keep it where the marts are kept, never in the published site.

A cache is a convenience, never a reason for a build to fail: a kept extract that cannot be
read, or a cache folder that cannot be written, is reported as a warning and the build goes on
without it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import duckdb

from scorecard import contract, disk, marts, plausibility

KEEP = 2  # extracts kept in a cache folder (the newest by last use)
PREFIX = "extract-"
SUPPLIED = "extract_supplied_marts"  # table in a kept database: the marts the extract supplied
_CODE = (
    Path(contract.__file__),
    Path(marts.__file__),
    Path(plausibility.__file__),  # its warnings are kept with the extract
    Path(__file__).with_name("sql") / "extract_helpers.sql",
    Path(__file__).with_name("sql") / "unit_span.sql",  # made with them (engine.py)
)
_CHUNK = 1 << 20


def extract_key(data_dir: Path) -> str:
    """Return the SHA-256 naming the extract in `data_dir`: every mart file's path inside the
    folder and its bytes, the loader's code and DuckDB's version."""
    digest = hashlib.sha256(f"duckdb {duckdb.__version__}".encode())
    for path in _CODE:
        digest.update(path.read_bytes())
    files = marts.find_mart_files(Path(data_dir))
    for name in sorted(files):
        for path in marts.mart_files(files[name]):
            digest.update(b"\x00" + path.relative_to(data_dir).as_posix().encode() + b"\x00")
            with path.open("rb") as handle:
                while chunk := handle.read(_CHUNK):
                    digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class ExtractCache:
    """One extract's place in a cache folder: `kept` is its database if the folder holds it."""

    folder: Path
    key: str
    kept: Path | None

    @classmethod
    def look_up(cls, folder: Path, data_dir: Path) -> ExtractCache | None:
        """Return the extract in `data_dir` as the cache `folder` knows it, or None if its
        files cannot be read (loading them will say why)."""
        try:
            key = extract_key(data_dir)
        except OSError:
            return None
        kept = Path(folder) / f"{PREFIX}{key}.duckdb"
        if not kept.is_file():
            return cls(Path(folder), key, None)
        with contextlib.suppress(OSError):  # a cache folder read-only here: still usable
            os.utime(kept)  # used now: kept longest
        return cls(Path(folder), key, kept)

    def restored_marts(self, con: duckdb.DuckDBPyConnection) -> set[str] | None:
        """Return the marts supplied if `con` started from the kept extract, else None."""
        if not marts.has_table(con, SUPPLIED):
            return None
        return {row[0] for row in con.execute(f"SELECT name FROM {SUPPLIED}").fetchall()}

    def keep(self, con: duckdb.DuckDBPyConnection, tables: set[str]) -> None:
        """Keep the working database of `con` (the marts loaded and checked, nothing else
        yet) in the cache folder, then delete all but the newest KEEP extracts there."""
        marts.drop_raw(con)  # the files as read: the checks' only
        con.execute(
            f"CREATE TABLE {SUPPLIED} AS SELECT unnest(?::VARCHAR[]) AS name", [sorted(tables)]
        )
        con.execute("CHECKPOINT")
        (source,) = con.execute(
            "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
        ).fetchone()
        final = self.folder / f"{PREFIX}{self.key}.duckdb"
        try:
            disk.copy_whole(source, final)  # whole or not at all, whoever else is building
            prune(self.folder)
        except OSError as exc:
            warnings.warn(f"extract cache: cannot keep the checked marts: {exc}", stacklevel=3)


def prune(folder: Path) -> list[Path]:
    """Delete all but the KEEP most recently used extracts in `folder`; return those deleted."""
    kept = sorted(folder.glob(f"{PREFIX}*.duckdb"), key=lambda p: p.stat().st_mtime, reverse=True)
    for path in kept[KEEP:]:
        path.unlink(missing_ok=True)
    return kept[KEEP:]
