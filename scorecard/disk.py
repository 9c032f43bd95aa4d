"""A folder the build writes to that the disk refuses: read-only, full, over quota or not
permitted. Said in one line naming the folder and what to do (exit code 3, docs/ci.md), and
for the site folder before anything is computed."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

# What the machine, not the input, is to blame for; any other OSError stays a bug (traceback).
# EPERM: a folder the system does not permit making (/sys/..., a sealed mount), even for root.
DISK_ERRNOS = frozenset(
    {errno.EROFS, errno.ENOSPC, errno.EACCES, errno.EPERM, errno.EDQUOT, errno.ENOTDIR}
)
# A .build-* folder (publish.BUILD_PREFIX): one a killed build left is deleted by the next.
PROBE_PREFIX = ".build-probe-"
PROBE_BYTES = 64 * 1024  # enough that a full disk refuses it


class DiskError(Exception):
    """A folder cannot be written; nothing published was touched."""


def check_links(folder: Path) -> None:
    """Raise DiskError if `folder` or a folder above it is a link to nothing (a volume that
    is not mounted), naming the link and where it leads."""
    for path in (Path(folder), *Path(folder).parents):
        if path.is_symlink() and not path.exists():
            raise DiskError(
                f"{path}: this link leads to {os.readlink(path)}, which does not exist (is the "
                "disk or volume mounted?): mount it or choose another folder, then run again"
            )


def check_writable(folder: Path) -> None:
    """Raise DiskError if `folder` (made if missing, as publishing would) cannot take a new
    folder and a file in it, or is a link to nothing; leave nothing behind, not even the
    folders made for the test."""
    folder = Path(folder)
    check_links(folder)
    made = [p for p in (folder, *folder.parents) if not p.exists()]
    try:
        with writing(folder):
            folder.mkdir(parents=True, exist_ok=True)
            probe = Path(tempfile.mkdtemp(prefix=PROBE_PREFIX, dir=folder))
            try:
                (probe / "probe").write_bytes(bytes(PROBE_BYTES))
            finally:
                shutil.rmtree(probe, ignore_errors=True)
    finally:
        for path in made:  # the deepest first
            with suppress(OSError):
                path.rmdir()


@contextmanager
def writing(folder: Path, again: str = "the build") -> Iterator[None]:
    """Turn an OSError of the disk (DISK_ERRNOS) raised inside into a DiskError naming the
    file or `folder` (and what to run `again`); leave every other error as it is."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in DISK_ERRNOS:
            raise
        raise DiskError(message(exc, folder, again)) from exc


def message(exc: OSError, folder: Path, again: str = "the build") -> str:
    """Return the one line said for a disk error `exc` met writing into `folder`."""
    where = exc.filename or folder
    reason = exc.strerror or os.strerror(exc.errno or 0)
    return (
        f"{where}: cannot write ({reason}): make {folder} writable or free space on its disk, "
        f"or choose another folder, then run {again} again"
    )


def write_whole(path: Path, write: Callable[[Path], object]) -> None:
    """Write `path` whole or not at all: `write` fills a temporary file beside it (a unique
    name, so that builds writing at once do not meet), which is flushed to disk, given the
    mode a new file gets under the process's umask (mkstemp makes it 0600; 0644 under the
    usual umask 022, 0600 under 077, so an operator's stricter umask keeps person-level
    caches private) and put in place by one rename: a killed process or a lost machine leaves
    the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent)
    os.close(handle)
    tmp = Path(name)
    try:
        write(tmp)
        with tmp.open("rb") as written:
            os.fsync(written.fileno())
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def current_umask() -> int:
    """Return the process's umask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_text(path: Path, text: str) -> None:
    """Write `text` (UTF-8) to `path` whole or not at all (write_whole)."""
    write_whole(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def copy_whole(source: Path, path: Path) -> None:
    """Copy the file `source` to `path` whole or not at all (write_whole)."""
    write_whole(path, lambda tmp: shutil.copyfile(source, tmp))
