"""Forked worker processes for the two parts of a build that use more than one core well: the
star-rating clustering (build.score) and the entity pages (site.render_markdown).

Workers are forked, so they share what the build has computed without copying it; each returns
results (cut points) or writes whole files (pages) that are the same whichever process makes
them, so a build's output does not depend on the number of workers. Only small sites and small
ratings run in one process, and SCORECARD_WORKERS sets the number (1: never fork).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable
from typing import Any

WORKERS_ENV = "SCORECARD_WORKERS"
MAX_WORKERS = 4


def workers(large: bool) -> int:
    """Return how many processes to use: SCORECARD_WORKERS when set, else 1 for work that is
    not `large`, else the CPUs this process may use (at most MAX_WORKERS); 1 without fork."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    setting = os.environ.get(WORKERS_ENV, "").strip()
    if setting:
        return max(1, int(setting))
    if not large:
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(MAX_WORKERS, cpus or 1))


def pool(n: int) -> Any:
    """Return a pool of n forked processes (use it as a context manager)."""
    return multiprocessing.get_context("fork").Pool(n)


def starmap(function: Callable[..., Any], items: Iterable[tuple], n: int) -> list:
    """Return [function(*item) for item in items], computed by n forked processes when n > 1."""
    items = list(items)
    if n <= 1 or len(items) <= 1:
        return [function(*item) for item in items]
    with pool(min(n, len(items))) as processes:
        return processes.starmap(function, items, chunksize=1)
