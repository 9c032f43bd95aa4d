"""Where the files beside the code are: site_templates/, measures/, data/demo/ and mkdocs.yml.

In a checkout (or an editable install) they are the repository's top-level folders. A built
wheel carries copies of them in scorecard/_resources/ (setup.py puts them there), because
site-packages has no repository around the package. resource_root() decides which, once.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
CHECKOUT = PACKAGE_DIR.parent
INSTALLED = PACKAGE_DIR / "_resources"
# Relative to the root, the same in both places; setup.py copies exactly these.
RESOURCES: tuple[str, ...] = ("site_templates", "measures", "data/demo", "mkdocs.yml")


def is_root(folder: Path) -> bool:
    """Return True if `folder` holds every resource."""
    return all((folder / name).exists() for name in RESOURCES)


@cache
def resource_root() -> Path:
    """Return the folder holding site_templates/, measures/, data/demo/ and mkdocs.yml: the
    checkout when the package runs from one (its edits seen at once), else the copies
    installed with the package."""
    if is_root(CHECKOUT):
        return CHECKOUT
    if is_root(INSTALLED):
        return INSTALLED
    raise FileNotFoundError(
        f"scorecard's resources ({', '.join(RESOURCES)}) are neither in {CHECKOUT} nor in "
        f"{INSTALLED}: reinstall scorecard from a wheel built by `pip wheel .`"
    )
