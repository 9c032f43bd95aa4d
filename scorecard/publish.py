"""Versioned output: build one edition of the site beside the others and swap it in atomically.

Layout of out_root (the layout `mike` writes, so mkdocs-material's version selector reads it):

    out_root/
      versions.json        the menu: [{"version", "title", "aliases"}], newest first,
                           "latest" on the newest active edition
      versions-state.json  {"audience": ..., "versions": {id: "hidden" | "retired"},
                            "published": {manifest SHA-256: first day published}}
      index.html           sends the reader to the latest edition
      latest/index.html    the "latest" alias: a redirect page to ../<latest>/index.html
      2025Q3/ 2025Q4/ ...  one complete, self-contained site per edition
      .restated/           not part of the site: each edition a --force build replaced, kept
                           whole as .restated/<id>-<first 12 hex of its manifest's sha256>/

What is published is the edition folders on disk: a folder named after a reporting period
(2025Q4) that holds an index.html and the downloads/manifest.json every build writes, and whose
manifest, when it names a period, names that one. Any other folder (a copy such as 2025Q4.bak, a
help/ folder, a folder of someone's own files named 2025Q4) is left alone and never listed, and
a build refuses to publish over it, even with force. versions.json and the redirect pages are
derived from the folders and versions-state.json, and rewritten (temp file + os.replace) after
every change.

versions.json lists hidden editions too, marked {"properties": {"hidden": true}}: mkdocs-material
leaves them out of the menu but still knows which edition a hidden page belongs to (so it shows
that edition's name and the "older edition" banner, not the first edition's name).

latest/ holds one small redirect page for every page of every edition (latest/aco/ACO01.html
sends the reader to ../../2025Q4/aco/ACO01.html, keeping any #anchor), so links to latest/ keep
working from one edition to the next: a page goes to the latest edition when it has the page,
else to the newest other edition in the menu (active, then retired) that has it, else (a page
only hidden editions have) to the latest edition's home. It is written into a .build folder and
swapped in whole, and only when where its pages lead changed (latest/.redirects holds the
sha256 of that list).

Publishing an edition, under an exclusive lock on out_root (flock: released by the kernel when
the process dies, so a killed build never leaves a stale lock):

1. recover(): finish or undo what a killed build left (see below);
2. build into out_root/.build-<id>-<random>/ (same file system), never into an edition folder;
   with force, stop here when the edition built is the published one apart from the record of
   its build (same_edition): the published edition stays as it was, nothing is archived or
   restated, and the .build folder is deleted;
3. the commit: one os.rename of the finished folder to out_root/<id>, or, with force, one
   renameat2(RENAME_EXCHANGE) that swaps the new folder with the old one atomically (where the
   kernel or file system lacks it: rename the old one aside into the .build folder, rename the
   new one in; recover() renames the old one back if the process died in between);
4. with force, rename the replaced edition (now inside the .build folder) to its archive in
   .restated/, which the new edition's downloads/manifest.json names under "restates" (with the
   old manifest's sha256, data as-of date and the day it was first published); recover() does
   it if the process died in between;
5. rewrite the derived files (versions-state.json, versions.json, aliases); delete the .build
   folder.

A build killed before step 3 leaves every published file byte-identical (the .build folder is
not an edition: it is not listed, starts with a dot, and the next publish deletes it). Killed
after step 3, the new edition is published and the next publish (or `scorecard versions`)
rewrites the derived files. Older editions are never written to, and none is ever deleted.
"""

from __future__ import annotations

import ctypes
import dataclasses
import errno
import hashlib
import io
import json
import logging
import os
import re
import shutil
import signal
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from html import escape
from pathlib import Path

from scorecard import disk, i18n
from scorecard.site import SiteInput, build_site, period_label

LATEST = "latest"
VERSIONS_FILE = "versions.json"
STATE_FILE = "versions-state.json"
PUBLISHED = "published"  # in STATE_FILE: manifest SHA-256 -> the day that edition was published
BUILD_PREFIX = ".build-"
STATES = ("active", "hidden", "retired")
RETIRED_SUFFIX = " " + i18n.t("en", "edition_retired")
NOTE_SUFFIX = " " + i18n.t("en", "edition_noted")  # published with a note about its data
KILL_AT_ENV = "SCORECARD_TEST_KILL_AT"  # test hook: SIGKILL this process at a named step
_VERSION_ID = re.compile(r"^\d{4}Q[1-4]$")  # the periods the tool publishes (engine quarters)
_TARGET_NOTE = "target"  # inside a .build folder: the id of the edition it replaces
_REPLACED = "replaced"  # inside a .build folder: the old edition, moved aside (fallback swap)
_RESTATES_NOTE = "restates.json"  # inside a .build folder: the record of the edition replaced
# Inside out_root: each edition a --force build replaced, kept whole; not part of the site (never
# listed, linked or redirected to; exclude it from uploads, keep it on the persisted disk).
RESTATED = ".restated"

log = logging.getLogger(__name__)


class VersionExistsError(FileExistsError):
    """Raised when an edition is already published and force was not given."""


class PublishError(RuntimeError):
    """Raised when out_root cannot be published into (locked, or for another audience)."""


def check_version_id(version: str) -> str:
    """Return the version id if it names a reporting period such as 2025Q4; raise ValueError."""
    if not _is_version_id(version):
        raise ValueError(f"edition id {version!r} must be a reporting period such as 2025Q4")
    return version


def _is_version_id(name: str) -> bool:
    return bool(_VERSION_ID.match(name))


def _step(name: str) -> None:
    """Die here (SIGKILL) when the test hook asks for this step; otherwise do nothing."""
    if os.environ.get(KILL_AT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


# ---------------------------------------------------------------- publishing


def publish_version(
    site_input: SiteInput,
    out_root: Path,
    force: bool = False,
    extra_files: dict[str, bytes] | None = None,
    audience: str | None = None,
) -> Path:
    """Build the edition of site_input.period_id into out_root atomically; return its folder
    (publish_edition, which also says whether a force rebuild left it as it was)."""
    return publish_edition(site_input, out_root, force, extra_files, audience).folder


def publish_edition(
    site_input: SiteInput,
    out_root: Path,
    force: bool = False,
    extra_files: dict[str, bytes] | None = None,
    audience: str | None = None,
) -> Published:
    """Build the edition of site_input.period_id into out_root atomically; return its folder
    and whether it was left as it was.

    extra_files ({path inside the edition: bytes}) are added to the edition before the swap.
    audience, when given, is recorded in versions-state.json and must match earlier editions.
    With force, an edition built identical to the published one apart from the record of its
    build (same_edition) is not swapped in: the published one stays, nothing is archived or
    restated.
    """
    version = check_version_id(site_input.period_id)
    out_root = Path(out_root)
    out_root.mkdir(parents=True, exist_ok=True)
    target = out_root / version
    with locked(out_root):
        for action in recover(out_root):
            log.warning("%s: %s", out_root, action)
        check_can_publish(out_root, version, force, audience)
        _step("locked")
        restates = restatement(out_root, version) if target.exists() else None
        if restates is not None:  # the new edition's manifest says which one it replaces
            manifest = {**site_input.manifest, "restates": restates}
            site_input = dataclasses.replace(site_input, manifest=manifest)
        work = Path(tempfile.mkdtemp(prefix=f"{BUILD_PREFIX}{version}-", dir=out_root))
        try:
            (work / _TARGET_NOTE).write_text(version, encoding="utf-8")
            if restates is not None:
                (work / _RESTATES_NOTE).write_text(_json(restates), encoding="utf-8")
            _step("build-folder")
            with reproducible_time(site_input):
                built = build_site(site_input, work / "tree")
            for relative, content in sorted((extra_files or {}).items()):
                path = built / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
            normalize_archives(built, build_epoch(site_input))
            _step("built")
            if restates is not None and same_edition(built, target):
                refresh(out_root, audience)  # the published edition is left as it was
                _step("left")
                return Published(target, unchanged=True)
            replaced = swap_into_place(built, target, work)
            _step("swapped")
            if replaced is not None and restates is not None:
                archive_replaced(out_root, replaced, restates)
            _step("archived")
            refresh(out_root, audience)
            _step("indexed")
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return Published(target)


@dataclasses.dataclass(frozen=True)
class Published:
    """What publish_edition did: the edition's folder, and whether a force rebuild found it
    identical to the published one and left that as it was (nothing archived or restated)."""

    folder: Path
    unchanged: bool = False


# Files of an edition that record when and how it was built rather than what it shows: the
# manifest is compared without BUILD_RECORD (below); the provenance pages and the search
# index show it (the edition restated, the quarters read back from the results history).
BUILD_RECORD = ("restates", "results_history")
BUILT_FILES = ("downloads/manifest.json", "provenance.html", "search/search_index.json")


def same_edition(new: Path, old: Path) -> bool:
    """Return True if the edition built at `new` is the published edition `old` apart from
    its record of the build: every file byte-identical except the manifest, equal without
    BUILD_RECORD, and the pages that show that record (BUILT_FILES, in every language)."""

    def digest(folder: Path) -> dict[str, str]:
        files = {
            p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()
        }
        return {
            name: hashlib.sha256(path.read_bytes()).hexdigest()
            for name, path in files.items()
            if not any(name == f or name.endswith(f"/{f}") for f in BUILT_FILES)
        }

    def record(folder: Path) -> dict | None:
        manifest = _read_manifest(folder)
        return None if manifest is None else _without(manifest, BUILD_RECORD)

    return (
        old.is_dir()
        and record(old) is not None
        and record(new) == record(old)
        and _same_listing(new, old)
        and digest(new) == digest(old)
    )


def _without(manifest: dict, keys: tuple[str, ...]) -> dict:
    return {k: v for k, v in manifest.items() if k not in keys}


def _same_listing(new: Path, old: Path) -> bool:
    """Return True if both folders hold the same paths (files and folders)."""

    def listing(folder: Path) -> list[str]:
        return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))

    return listing(new) == listing(old)


def check_can_publish(
    out_root: Path, version: str | None, force: bool = False, audience: str | None = None
) -> None:
    """Raise VersionExistsError or PublishError if version (or audience) cannot go to out_root."""
    out_root = Path(out_root)
    target = out_root / check_version_id(version) if version is not None else None
    if target is not None and target.exists():
        if not is_edition(target):
            raise PublishError(
                f"{target}: this folder is not an edition of this site (an edition holds the "
                f"index.html and downloads/manifest.json of {version} that scorecard writes), so "
                "it is neither replaced nor deleted, even with --force; move it away or choose "
                "another --out"
            )
        if not force:
            raise VersionExistsError(
                f"edition {version} is already published at {target}; pass --force "
                "(force=True) to replace it"
            )
    recorded = site_audience(out_root)
    if audience and recorded and recorded != audience:
        raise PublishError(
            f"{out_root / STATE_FILE}: audience: this site is for {recorded!r}, not "
            f"{audience!r}; publish each audience into its own folder"
        )


def site_audience(out_root: Path) -> str:
    """Return the audience out_root is for: from versions-state.json, else the newest manifest."""
    recorded = read_state(out_root).get("audience")
    if recorded:
        return str(recorded)
    for row in version_rows(out_root):
        if row["audience"]:
            return str(row["audience"])
    return ""


@contextmanager
def locked(out_root: Path) -> Iterator[None]:
    """Hold an exclusive flock on the out_root folder; raise PublishError if another holds it."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    handle = os.open(out_root, os.O_RDONLY)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise PublishError(f"{out_root}: another publish is running into this folder") from exc
        yield
    finally:
        os.close(handle)  # closing releases the lock


@contextmanager
def reproducible_time(site_input: SiteInput) -> Iterator[None]:
    """Set SOURCE_DATE_EPOCH (unless set) to the data's as-of date while mkdocs builds.

    mkdocs dates the sitemap and the gzip header of sitemap.xml.gz with it, so the same data
    give the same bytes on any day.
    """
    if "SOURCE_DATE_EPOCH" in os.environ:
        yield
        return
    os.environ["SOURCE_DATE_EPOCH"] = str(as_of_epoch(site_input))
    try:
        yield
    finally:
        os.environ.pop("SOURCE_DATE_EPOCH", None)


def build_epoch(site_input: SiteInput) -> int:
    """Return SOURCE_DATE_EPOCH when it is set, else as_of_epoch(site_input)."""
    text = os.environ.get("SOURCE_DATE_EPOCH", "")
    return int(text) if text.isdigit() else as_of_epoch(site_input)


def as_of_epoch(site_input: SiteInput) -> int:
    """Return midnight UTC of the manifest's data_as_of date (else of the period's last day)."""
    text = str(site_input.manifest.get("data_as_of", ""))
    try:
        day = date.fromisoformat(text[:10])
    except ValueError:
        ends = site_input.results.loc[
            site_input.results["period_id"] == site_input.period_id, "period_end"
        ]
        day = date.fromisoformat(str(ends.max())[:10]) if len(ends) else date(1970, 1, 1)
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


ARCHIVE_SUFFIXES = (".xlsx", ".docx", ".pptx", ".ods", ".zip")
_OFFICE_DATES = re.compile(
    r"(<dcterms:(?:created|modified)\b[^>]*>)[^<]*(</dcterms:(?:created|modified)>)"
)


def normalize_archives(folder: Path, epoch: int) -> list[Path]:
    """Rewrite zip-based downloads (xlsx, ...) with fixed dates; return the files rewritten.

    Writers such as openpyxl stamp the time of writing into each zip entry and into
    docProps/core.xml; stamping the data's as-of date instead makes the bytes reproducible.
    """
    when = datetime.fromtimestamp(max(epoch, 315532800), tz=UTC)  # zip dates start in 1980
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    rewritten = []
    for path in sorted(p for p in Path(folder).rglob("*") if p.suffix in ARCHIVE_SUFFIXES):
        if not zipfile.is_zipfile(path):
            continue
        with zipfile.ZipFile(path) as source:
            entries = [(info, source.read(info)) for info in source.infolist()]
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as target:
            for info, data in entries:
                if info.filename == "docProps/core.xml":
                    text = _OFFICE_DATES.sub(rf"\g<1>{stamp}\g<2>", data.decode("utf-8"))
                    data = text.encode("utf-8")
                fixed = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
                fixed.compress_type = info.compress_type
                fixed.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
                fixed.create_system = 3
                target.writestr(fixed, data)
        path.write_bytes(buffer.getvalue())
        rewritten.append(path)
    return rewritten


def swap_into_place(built: Path, target: Path, scratch: Path) -> Path | None:
    """Put built at target in one step; return where the old target now is (inside scratch:
    built or scratch/replaced), or None when there was none."""
    if not target.exists():
        os.rename(built, target)
        return None
    try:
        exchange(built, target)  # now target is new and built holds the old edition
        return built
    except OSError:
        aside = scratch / _REPLACED
        os.rename(target, aside)  # recover() renames it back if the process dies here
        try:
            _step("moved-aside")
            os.rename(built, target)
        except BaseException:
            if not target.exists():
                os.rename(aside, target)
            raise
        return aside


def restatement(out_root: Path, version: str) -> dict:
    """Return the record of the published edition out_root/version that a --force build is to
    replace: when it was first published (the day its manifest was written), its data as-of
    date, the SHA-256 of its downloads/manifest.json and where inside out_root it is kept."""
    path = Path(out_root) / version / "downloads" / "manifest.json"
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    try:
        as_of = str(json.loads(data).get("data_as_of", ""))
    except (ValueError, AttributeError):
        as_of = ""
    published = published_on(out_root, path)
    archive = _free_archive(Path(out_root), f"{version}-{sha[:12]}")
    return {
        "published_on": published,
        "data_as_of": as_of,
        "manifest_sha256": sha,
        "archive": archive.relative_to(out_root).as_posix(),
    }


def published_on(out_root: Path, manifest: Path) -> str:
    """Return the day (ISO) the edition whose downloads/manifest.json is `manifest` was first
    published: as versions-state.json recorded it under the manifest's SHA-256 when the site's
    versions were last rewritten (a copy of the site that loses modification times keeps it),
    else the day the manifest file was last modified."""
    sha = hashlib.sha256(manifest.read_bytes()).hexdigest()
    recorded = read_state(out_root).get(PUBLISHED, {})
    if isinstance(recorded, dict) and isinstance(recorded.get(sha), str):
        return recorded[sha]
    return _modified_day(manifest)


def _modified_day(path: Path) -> str:
    """Return the day (ISO, UTC) `path` was last modified."""
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).date().isoformat()


def _publication_days(out_root: Path, state: dict, versions: list[str]) -> dict[str, str]:
    """Return manifest SHA-256 -> first day published, for the editions `versions` and those
    kept in .restated: days already recorded in `state` are kept, new ones are added."""
    recorded = state.get(PUBLISHED, {})
    days = dict(recorded) if isinstance(recorded, dict) else {}
    folders = [out_root / v for v in versions]
    if (out_root / RESTATED).is_dir():
        folders += sorted((out_root / RESTATED).iterdir())
    for folder in folders:
        manifest = folder / "downloads" / "manifest.json"
        if manifest.is_file():
            sha = hashlib.sha256(manifest.read_bytes()).hexdigest()
            if sha not in days:  # first seen: published the day its manifest was written
                days[sha] = _modified_day(manifest)
    return dict(sorted(days.items()))


def _free_archive(out_root: Path, name: str) -> Path:
    """Return out_root/.restated/name, or name-2, name-3, ... when that is taken."""
    archive, count = out_root / RESTATED / name, 1
    while archive.exists() or archive.is_symlink():
        count += 1
        archive = out_root / RESTATED / f"{name}-{count}"
    return archive


def archive_replaced(out_root: Path, old: Path, restates: dict) -> Path:
    """Move the replaced edition `old` (whole, one rename) to its archive in out_root/.restated;
    return the archive folder."""
    archive = Path(out_root) / restates["archive"]
    if archive.exists():  # taken since the record was made (by hand): keep both
        archive = _free_archive(Path(out_root), archive.name)
    archive.parent.mkdir(exist_ok=True)
    os.rename(old, archive)
    return archive


def restated_editions(out_root: Path) -> list[dict]:
    """Return one row per replaced edition kept in out_root/.restated, newest period first:
    version, archive (relative to out_root), published_on, data_as_of."""
    folder = Path(out_root) / RESTATED
    if not folder.is_dir():
        return []
    rows = []
    for archive in folder.iterdir():
        path = archive / "downloads" / "manifest.json"
        manifest = _read_manifest(archive)
        if manifest is None:
            continue
        published = published_on(out_root, path)
        rows.append(
            {
                "version": str(manifest.get("period") or archive.name.partition("-")[0]),
                "archive": archive.relative_to(out_root).as_posix(),
                "published_on": published,
                "data_as_of": str(manifest.get("data_as_of", "")),
            }
        )
    return sorted(rows, key=lambda r: (version_key(r["version"]), r["published_on"]), reverse=True)


def _replaced_in(work: Path, sha: str) -> Path | None:
    """Return the folder in a .build folder holding the edition whose manifest has hash sha."""
    for folder in (work / _REPLACED, *sorted((work / "tree").glob("*"))):
        path = folder / "downloads" / "manifest.json"
        if path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == sha:
            return folder
    return None


def exchange(first: Path, second: Path) -> None:
    """Swap two paths atomically with Linux renameat2(RENAME_EXCHANGE); raise OSError if not."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError) as exc:
        raise OSError(errno.ENOSYS, "renameat2 is not available") from exc
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange)
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(first), None, str(second))


def recover(out_root: Path) -> list[str]:
    """Undo or finish what a killed publish left in out_root; return what was done.

    A .build folder holding an old edition moved aside while its id has no folder: the old
    edition is renamed back. Every .build folder and temporary file is deleted. The derived
    files (versions.json, aliases) are rewritten if they are out of date.
    """
    out_root = Path(out_root)
    done: list[str] = []
    if not out_root.is_dir():
        return done
    for work in sorted(out_root.glob(BUILD_PREFIX + "*")):
        if not work.is_dir():
            work.unlink(missing_ok=True)
            continue
        note, replaced = work / _TARGET_NOTE, work / _REPLACED
        restates = _read_json(work / _RESTATES_NOTE)
        if restates and note.is_file():  # a --force publish: the old edition goes back or away
            version = note.read_text(encoding="utf-8").strip()
            old = _replaced_in(work, str(restates.get("manifest_sha256", "")))
            if old is not None and _is_version_id(version):
                if not (out_root / version).exists():
                    os.rename(old, out_root / version)
                    done.append(f"restored {version} from an interrupted --force publish")
                else:
                    kept = archive_replaced(out_root, old, restates)
                    done.append(f"kept the replaced {version} in {kept.relative_to(out_root)}")
        elif replaced.is_dir() and note.is_file():
            version = note.read_text(encoding="utf-8").strip()
            if _is_version_id(version) and not (out_root / version).exists():
                os.rename(replaced, out_root / version)
                done.append(f"restored {version} from an interrupted --force publish")
        shutil.rmtree(work, ignore_errors=True)
        done.append(f"deleted {work.name}")
    for folder in (out_root, out_root / LATEST):
        for name in (VERSIONS_FILE, STATE_FILE, "index.html"):
            for temp in folder.glob(f".{name}-*"):
                temp.unlink(missing_ok=True)
                done.append(f"deleted {temp.relative_to(out_root)}")
    if (out_root / VERSIONS_FILE).exists() or existing_versions(out_root):
        done += [f"rewrote {name}" for name in refresh(out_root)]
    return done


# ---------------------------------------------------------------- the versions and their state


def version_key(version: str) -> tuple:
    """Return a sort key ordering ids like 2024, 2025Q1, 2025Q4 by time (digits as numbers)."""
    parts = re.findall(r"\d+|\D+", version)
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts)


def existing_versions(out_root: Path) -> list[str]:
    """Return every edition folder in out_root (hidden and retired too), newest first."""
    out_root = Path(out_root)
    if not out_root.is_dir():
        return []
    found = [p.name for p in out_root.iterdir() if is_edition(p)]
    return sorted(found, key=version_key, reverse=True)


def is_edition(folder: Path) -> bool:
    """Return True if folder is an edition this tool wrote: named after a period, holding an
    index.html and a readable downloads/manifest.json (every build writes one), and not a copy
    of another edition (its manifest names no other period)."""
    if not (_is_version_id(folder.name) and (folder / "index.html").is_file()):
        return False
    manifest = _read_manifest(folder)
    return manifest is not None and manifest.get("period") in (None, folder.name)


def ignored_folders(out_root: Path) -> list[str]:
    """Return the folders of out_root that are not editions (nor latest/ or a .build folder)."""
    out_root = Path(out_root)
    if not out_root.is_dir():
        return []
    return sorted(
        p.name
        for p in out_root.iterdir()
        if p.is_dir() and p.name != LATEST and not p.name.startswith(".") and not is_edition(p)
    )


def read_state(out_root: Path) -> dict:
    """Return versions-state.json: {"audience": ..., "versions": {id: state}} ({} if none)."""
    path = Path(out_root) / STATE_FILE
    if not path.exists():
        return {}
    state = json.loads(path.read_text(encoding="utf-8"))
    return state if isinstance(state, dict) else {}


def states(out_root: Path) -> dict[str, str]:
    """Return edition id -> 'active', 'hidden' or 'retired' for every edition folder."""
    recorded = read_state(out_root).get("versions", {})
    return {v: recorded.get(v, "active") for v in existing_versions(out_root)}


def latest_version(version_states: dict[str, str]) -> str | None:
    """Return the edition 'latest' points to: the newest active one, else the newest retired."""
    for wanted in ("active", "retired"):
        candidates = [v for v, s in version_states.items() if s == wanted]
        if candidates:
            return max(candidates, key=version_key)
    return None


def versions_entries(
    versions: list[str],
    version_states: dict[str, str] | None = None,
    noted: set[str] | frozenset[str] = frozenset(),
) -> list:
    """Return mike-style menu entries, newest first: hidden ones marked so (out of the menu,
    still known to their own pages), retired titled so, and the editions in `noted` (published
    with a note about their data) titled so too."""
    version_states = version_states or {}
    listed = sorted(set(versions), key=version_key, reverse=True)
    state = {v: version_states.get(v, "active") for v in listed}
    latest = latest_version(state)
    return [_entry(v, state[v], v == latest, v in noted) for v in listed]


def _entry(version: str, state: str, latest: bool, noted: bool) -> dict:
    title = period_label(version) + (RETIRED_SUFFIX if state == "retired" else "")
    entry: dict = {
        "version": version,
        "title": title + (NOTE_SUFFIX if noted else ""),
        "aliases": [LATEST] if latest else [],
    }
    if state == "hidden":
        entry["properties"] = {"hidden": True}
    return entry


def read_versions(out_root: Path) -> list[dict]:
    """Return the entries of out_root/versions.json ([] when there is none)."""
    path = Path(out_root) / VERSIONS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def published_versions(out_root: Path) -> list[str]:
    """Return the editions in the menu (active and retired; not hidden), newest first."""
    return [v for v, state in states(out_root).items() if state != "hidden"]


def refresh(out_root: Path, audience: str | None = None) -> list[str]:
    """Rewrite versions-state.json, versions.json and the aliases from the folders; return names.

    Files whose content would not change are left alone.
    """
    out_root = Path(out_root)
    state = read_state(out_root)
    current = states(out_root)
    changed = []
    recorded = {v: s for v, s in sorted(state.get("versions", {}).items()) if v in current}
    new_state = {**state, "versions": recorded}
    new_state[PUBLISHED] = _publication_days(out_root, state, list(current))
    if audience and not state.get("audience"):
        new_state["audience"] = audience
    if (out_root / STATE_FILE).exists() or recorded or new_state.get("audience") or current:
        changed += _write_if_changed(out_root / STATE_FILE, _json(new_state))
    entries = versions_entries(list(current), current, editions_with_notes(out_root, list(current)))
    changed += _write_if_changed(out_root / VERSIONS_FILE, _json(entries))
    latest = latest_version(current)
    if latest is not None:
        return changed + write_aliases(out_root, latest, current)
    if (out_root / LATEST).exists():
        shutil.rmtree(out_root / LATEST)
        changed.append(LATEST)
    if current:  # every edition hidden: the site's address says so rather than 'not found'
        changed += _write_if_changed(out_root / "index.html", NO_EDITION_HTML)
    elif (out_root / "index.html").exists():
        (out_root / "index.html").unlink()
        changed.append("index.html")
    return changed


def set_state(out_root: Path, version: str, state: str) -> list[str]:
    """Mark an edition active, hidden or retired (its folder is never touched); return changes."""
    if state not in STATES:
        raise ValueError(f"state {state!r} must be one of {STATES}")
    out_root = Path(out_root)
    with locked(out_root):
        recover(out_root)
        if check_version_id(version) not in existing_versions(out_root):
            raise PublishError(f"{out_root}: edition {version!r} is not published here")
        current = read_state(out_root)
        recorded = dict(current.get("versions", {}))
        recorded.pop(version, None)
        if state != "active":
            recorded[version] = state
        new = {**current, "versions": dict(sorted(recorded.items()))}
        changed = _write_if_changed(out_root / STATE_FILE, _json(new))
        return changed + [n for n in refresh(out_root) if n not in changed]


def edition_manifest(out_root: Path, version: str) -> dict:
    """Return an edition's downloads/manifest.json ({} when it has none or it is unreadable)."""
    return _read_manifest(Path(out_root) / version) or {}


def _read_json(path: Path) -> dict:
    """Return the JSON object in path ({} when it is missing, unreadable or not one)."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _read_manifest(folder: Path) -> dict | None:
    """Return the JSON object in an edition folder's downloads/manifest.json, or None when it
    is missing, unreadable or not one."""
    path = folder / "downloads" / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def editions_with_notes(out_root: Path, versions: list[str]) -> set[str]:
    """Return the editions of `versions` published with a note about their data (manifest
    data_notes)."""
    return {v for v in versions if edition_manifest(out_root, v).get("data_notes")}


def version_rows(out_root: Path) -> list[dict]:
    """Return one row per edition: id, state, latest, audience, data as of, notes about the
    data, and how many measures' definitions changed since the edition before it
    (`definitions_changed`, from its manifest's changed_since_previous; None for a first
    edition, or one built before that was recorded)."""
    out_root = Path(out_root)
    current = states(out_root)
    latest = latest_version(current)
    recorded = str(read_state(out_root).get("audience", ""))
    rows = []
    for version in current:  # every edition, newest first
        manifest = edition_manifest(out_root, version)
        rows.append(
            {
                "version": version,
                "state": current[version],
                "latest": version == latest,
                "audience": manifest.get("audience") or recorded,
                "data_as_of": manifest.get("data_as_of", ""),
                "data_notes": list(manifest.get("data_notes", [])),
                "definitions_changed": _changed_count(manifest),
            }
        )
    return rows


def _changed_count(manifest: dict) -> int | None:
    """Return how many measures the manifest's changed_since_previous lists (None without one)."""
    changed = manifest.get("changed_since_previous")
    return len(changed) if isinstance(changed, list) else None


# ---------------------------------------------------------------- files


def _json(value: object) -> str:
    return json.dumps(value, indent=2) + "\n"


def _write_if_changed(path: Path, text: str) -> list[str]:
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return []
    disk.write_text(path, text)
    return [path.name if path.parent.name != LATEST else f"{LATEST}/{path.name}"]


NO_EDITION_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>No results are published at the moment</title>
</head>
<body>
<h1>No results are published at the moment</h1>
<p>The results that were here have been taken down for now. Please come back later.</p>
</body>
</html>
"""


def redirect_html(target: str, title: str) -> str:
    """Return a small page that sends the reader to target (relative), with a plain link too."""
    href = escape(target, quote=True)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape(title)}</title>
<meta http-equiv="refresh" content="0; url={href}">
<link rel="canonical" href="{href}">
<script>location.replace({json.dumps(target)} + location.hash);</script>
</head>
<body>
<p>Redirecting to <a href="{href}">{escape(title)}</a>.</p>
</body>
</html>
"""


def write_aliases(
    out_root: Path, newest: str, version_states: dict[str, str] | None = None
) -> list[str]:
    """Write latest/ (a redirect page for each page of any edition) and the root index.html."""
    title = f"Scorecard results for {period_label(newest)}"
    changed = write_latest(out_root, newest, title, version_states)
    return changed + _write_if_changed(
        out_root / "index.html", redirect_html(f"{newest}/index.html", title)
    )


def edition_pages(folder: Path) -> list[str]:
    """Return the paths of an edition's (or of latest/'s) pages, relative and sorted."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    pages = (p.relative_to(folder).as_posix() for p in folder.rglob("*.html"))
    return sorted(p for p in pages if p.rpartition("/")[2] != "404.html")


def latest_redirect(newest: str, page: str, title: str, target: str | None = None) -> str:
    """Return latest/<page>: a redirect to the same page of edition newest, or to target (a
    path inside out_root) when given (relative URL)."""
    up = "../" * (page.count("/") + 1)
    return redirect_html(f"{up}{target or f'{newest}/{page}'}", title)


REDIRECTS_DIGEST = ".redirects"  # in latest/: sha256 of where its pages lead (latest_targets)


def latest_targets(
    out_root: Path, newest: str, version_states: dict[str, str] | None = None
) -> dict[str, str]:
    """Return page -> the edition latest/<page> leads to, for every page of every edition: the
    newest edition if it has the page, else the newest other edition in the menu (active first,
    then retired) that has it, else (a page only hidden editions have) '' for newest's home."""
    out_root = Path(out_root)
    if version_states is None:
        version_states = states(out_root)
    others = sorted(
        (v for v, s in version_states.items() if v != newest and s != "hidden"),
        key=lambda v: (version_states[v] == "active", version_key(v)),
        reverse=True,
    )
    targets = dict.fromkeys(edition_pages(out_root / newest) or ["index.html"], newest)
    for version in others:
        for page in edition_pages(out_root / version):
            targets.setdefault(page, version)
    for version in (v for v, s in version_states.items() if s == "hidden" and v != newest):
        for page in edition_pages(out_root / version):
            targets.setdefault(page, "")
    return dict(sorted(targets.items()))


def write_latest(
    out_root: Path, newest: str, title: str, version_states: dict[str, str] | None = None
) -> list[str]:
    """Rewrite latest/ whole (built aside, then swapped in) unless its pages already lead where
    latest_targets says; return ['latest'] when rewritten."""
    out_root = Path(out_root)
    targets = latest_targets(out_root, newest, version_states)
    digest = hashlib.sha256(_json([newest, title, targets]).encode("utf-8")).hexdigest()
    recorded = out_root / LATEST / REDIRECTS_DIGEST
    if (
        recorded.is_file()
        and recorded.read_text(encoding="utf-8").strip() == digest
        and edition_pages(out_root / LATEST) == list(targets)
    ):
        return []
    work = Path(tempfile.mkdtemp(prefix=f"{BUILD_PREFIX}{LATEST}-", dir=out_root))
    try:
        built = work / LATEST
        for page, version in targets.items():
            path = built / page
            path.parent.mkdir(parents=True, exist_ok=True)
            if version == newest:
                text = latest_redirect(newest, page, title)
            elif version:
                label = f"Scorecard results for {period_label(version)}"
                text = latest_redirect(version, page, label)
            else:
                text = latest_redirect(newest, page, title, f"{newest}/index.html")
            path.write_text(text, encoding="utf-8")
        (built / REDIRECTS_DIGEST).write_text(digest + "\n", encoding="utf-8")
        swap_into_place(built, out_root / LATEST, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return [LATEST]
