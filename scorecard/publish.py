"""Versioned output: build one edition of the site beside the others and swap it in atomically.

Layout of out_root (the layout `mike` writes, so mkdocs-material's version selector reads it):

    out_root/
      versions.json        [{"version", "title", "aliases"}], newest first, "latest" on the newest
      index.html           sends the reader to the newest edition
      latest/index.html    the "latest" alias: a redirect page to ../<newest>/index.html
      2025Q3/ 2025Q4/ ...  one complete, self-contained site per edition

An edition is built in a temporary folder inside out_root (same file system), then moved into
place with one os.rename; versions.json and the redirect pages are replaced with os.replace.
Publishing never writes into another edition's folder, so older editions stay byte-identical.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from html import escape
from pathlib import Path

from scorecard.site import SiteInput, build_site, period_label

LATEST = "latest"
VERSIONS_FILE = "versions.json"
_VERSION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class VersionExistsError(FileExistsError):
    """Raised when an edition is already published and force was not given."""


def publish_version(site_input: SiteInput, out_root: Path, force: bool = False) -> Path:
    """Build the edition of site_input.period_id into out_root; return its folder."""
    version = check_version_id(site_input.period_id)
    out_root = Path(out_root)
    out_root.mkdir(parents=True, exist_ok=True)
    target = out_root / version
    if target.exists() and not force:
        raise VersionExistsError(
            f"edition {version} is already published at {target}; pass force=True to replace it"
        )
    with tempfile.TemporaryDirectory(prefix=f".build-{version}-", dir=out_root) as work:
        built = build_site(site_input, Path(work))
        swap_into_place(built, target, Path(work))
    entries = update_versions(out_root, version)
    write_aliases(out_root, entries[0]["version"])
    return target


def check_version_id(version: str) -> str:
    """Return the version id if it is a safe folder name (not 'latest'); raise ValueError."""
    if not _VERSION_ID.match(version) or version == LATEST:
        raise ValueError(f"edition id {version!r} must be a plain folder name other than 'latest'")
    return version


def swap_into_place(built: Path, target: Path, scratch: Path) -> None:
    """Move the finished site to target; an old target is moved aside first, then deleted."""
    old = scratch / "replaced"
    if target.exists():
        os.rename(target, old)  # the window without target is two renames long
    os.rename(built, target)


def version_key(version: str) -> tuple:
    """Return a sort key ordering ids like 2024, 2025Q1, 2025Q4 by time (digits as numbers)."""
    parts = re.findall(r"\d+|\D+", version)
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts)


def read_versions(out_root: Path) -> list[dict]:
    """Return the entries of out_root/versions.json ([] when there is none)."""
    path = Path(out_root) / VERSIONS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def published_versions(out_root: Path) -> list[str]:
    """Return the editions listed in out_root/versions.json whose folder exists, newest first."""
    out_root = Path(out_root)
    return [e["version"] for e in read_versions(out_root) if (out_root / e["version"]).is_dir()]


def versions_entries(versions: list[str]) -> list[dict]:
    """Return mike-style entries, newest first, with the 'latest' alias on the newest."""
    ordered = sorted(set(versions), key=version_key, reverse=True)
    return [
        {"version": v, "title": period_label(v), "aliases": [LATEST] if i == 0 else []}
        for i, v in enumerate(ordered)
    ]


def update_versions(out_root: Path, version: str) -> list[dict]:
    """Add version to versions.json (editions whose folder is gone are dropped); return entries."""
    entries = versions_entries([*published_versions(out_root), version])
    text = json.dumps(entries, indent=2) + "\n"
    write_atomic(out_root / VERSIONS_FILE, text)
    return entries


def write_atomic(path: Path, text: str) -> None:
    """Write text to path through a temporary file in the same folder and os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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


def write_aliases(out_root: Path, newest: str) -> None:
    """Write latest/index.html and the root index.html, both sending readers to newest."""
    title = f"Scorecard results for {period_label(newest)}"
    write_atomic(out_root / LATEST / "index.html", redirect_html(f"../{newest}/index.html", title))
    write_atomic(out_root / "index.html", redirect_html(f"{newest}/index.html", title))


def remove_version(out_root: Path, version: str) -> None:
    """Delete an edition's folder and entry; re-point the aliases to the newest one left."""
    out_root = Path(out_root)
    shutil.rmtree(out_root / check_version_id(version))
    remaining = [e["version"] for e in read_versions(out_root) if e["version"] != version]
    entries = versions_entries(remaining)
    write_atomic(out_root / VERSIONS_FILE, json.dumps(entries, indent=2) + "\n")
    if entries:
        write_aliases(out_root, entries[0]["version"])
    else:
        shutil.rmtree(out_root / LATEST, ignore_errors=True)
        (out_root / "index.html").unlink(missing_ok=True)
