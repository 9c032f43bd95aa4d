"""Forked worker processes for the parts of a build that use more than one core well: the
trend labels beside the star ratings (build.score), the entity pages (site.render_markdown),
and, beside mkdocs, the downloads and the Spanish build (site.build_site).

Workers are forked, so they share what the build has computed without copying it; each returns
results (labels) or writes whole files (pages) that are the same whichever process makes
them, so a build's output does not depend on the number of workers. Only small sites and small
results run in one process, and SCORECARD_WORKERS sets the number (1: never fork).

Each forked process is a Later: one call, its own pipe back, nothing shared with the others.
multiprocessing.Pool is not used: its shared task queue, its three threads in this process
and its terminate() can hang after every task is done (CPython issues 78178 and 96995); a
build hung that way once in CI, every page written and the pool never returning.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Callable, Iterator
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


_LATER: tuple | None = None  # the call a forked Later makes (set just before forking)


class Later:
    """function(*args) running in a forked process, started when made, while this process goes
    on; without `fork` it runs in this process when waited for. Either way `wait()` returns its
    result or raises what it raised. The forked process gets the arguments by the fork (never
    pickled) and this object does not keep them, so this process may let them go."""

    def __init__(self, function: Callable[..., Any], args: tuple, fork: bool) -> None:
        global _LATER
        self._call: tuple | None = None if fork else (function, args)
        self._process: Any = None
        if fork:
            context = multiprocessing.get_context("fork")
            self._pipe, child_end = context.Pipe(duplex=False)
            _LATER = (function, args, child_end)
            try:
                self._process = context.Process(target=_run_later, daemon=True)
                self._process.start()
            finally:
                _LATER = None
            child_end.close()

    def wait(self) -> Any:
        """Return the call's result (made now when it is not forked)."""
        if self._call is not None:
            function, args = self._call
            return function(*args)
        try:
            ok, value = self._pipe.recv()
        except EOFError:
            ok, value = False, RuntimeError(f"forked process died ({self._process.exitcode})")
        finally:
            self._process.join()
        if not ok:
            raise value
        return value

    def cancel(self) -> None:
        """Stop the forked process, if any, without waiting for its result. SIGKILL, not
        SIGTERM: a handler the process inherited (the CLI's) or a signal mask that blocks
        SIGTERM (some CI runners) would let it run on to the end."""
        if self._process is not None:
            self._process.kill()
            self._process.join()


def fork_each(function: Callable[[int], Any], count: int) -> list[Later]:
    """Return `count` Laters calling function(0) ... function(count - 1), each in a forked
    process (started now)."""
    started: list[Later] = []
    try:
        for index in range(count):
            started.append(Later(function, (index,), True))
    except BaseException:
        for later in started:
            later.cancel()
        raise
    return started


@contextlib.contextmanager
def waiting_for(laters: list[Later]) -> Iterator[None]:
    """Run the body, then wait for every Later (raising the first error); if the body or a
    Later raises, stop the Laters still running."""
    try:
        yield
        for later in laters:
            later.wait()
    except BaseException:
        for later in laters:
            later.cancel()
        raise


def _run_later(*_: Any) -> None:
    """Make the call of a forked Later and send back its result or what it raised."""
    function, args, pipe = _LATER  # type: ignore[misc]
    try:
        pipe.send((True, function(*args)))
    except BaseException as exc:  # sent to the waiting process, which raises it
        try:
            pipe.send((False, exc))
        except Exception:  # an exception that cannot be pickled
            pipe.send((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
    finally:
        pipe.close()
