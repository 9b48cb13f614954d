"""Compile kernels on a second core while a cold ``solve`` compiles its scan.

A cold run (empty numba cache) compiles its kernels one after another on one core: the scan's
integrator first (its called parts several seconds in), the insertion budgets and arrival
strategies only when the windows are priced, tens of seconds later. None of these depends on
the scan's own kernels, so a child
``massdriver warmup --only STEPS`` can compile them on another core meanwhile and write them to
the shared on-disk cache, from which the parent loads them when it gets there. A kernel the
parent reaches first it compiles itself, exactly as without the child, so results never depend
on the child. Numba writes each cache entry to a temporary file and renames it into place, and
writes the index after the data, so a child stopped half-way leaves no damaged entry.

The child is ``python -m massdriver.background_compile --only STEPS`` (:func:`main`). It runs
the steps compiled by explicit signature (:mod:`massdriver.kernels.precompile`: the scan's
launch state and ephemeris packing, the integrator's parts, the refinement's helpers) having
imported only numba and the kernels, so it is compiling about a second after it starts, ahead
of the parent's typing; only then does it import the rest of the package for the steps that go
through the public API (two-body budgets, arrival strategies).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from massdriver.kernels import jit as jit_module
from massdriver.kernels import precompile
from massdriver.safe_io import read_limited

__all__ = ["start_background", "stop_background", "compiling_beside", "solve_steps",
           "mission_file_steps", "main"]

_log = logging.getLogger(__name__)


#: per step that may run in the background, one kernel whose cache entry says the step has
#: already run in this cache (module, function)
_SENTINELS: dict[str, tuple[str, str]] = {
    "scan_head": ("massdriver.kernels.frames", "launch_state_into"),
    "integrator_parts": ("massdriver.kernels.integrators.events", "handle_events"),
    "scan_tail": ("massdriver.kernels.chebyshev", "geocentric_states"),
    "twobody_budgets": ("massdriver.kernels.twobody", "insertion_budgets"),
    "arrival": ("massdriver.kernels.arrival", "aerobrake"),
}


def _cached(step: str) -> bool | None:
    """Whether ``step``'s sentinel kernel has an entry in the numba cache this process uses
    (None when that cannot be told: caching off, or numba's cache layout not recognised)."""
    if not jit_module.CACHE:
        return None
    module_name, function = _SENTINELS[step]
    dispatcher = getattr(importlib.import_module(module_name), function, None)
    cache_file = getattr(getattr(dispatcher, "_cache", None), "_cache_file", None)
    index = getattr(cache_file, "_index_path", None)
    if index is None:
        return None
    return os.path.exists(index)


def start_background(steps: Sequence[str]) -> subprocess.Popen | None:
    """Compile the kernels of ``steps`` in a child ``massdriver warmup`` while this process works.

    Nothing is started when every step's kernels are cached already, caching is off
    (``MASSDRIVER_JIT_CACHE=0``), the machine has one core, or the environment sets
    ``MASSDRIVER_BACKGROUND_COMPILE=0``.

    Parameters
    ----------
    steps : sequence of str
        Warm-up steps (:data:`massdriver.warmup.STEPS`) among those of :data:`_SENTINELS`
        (``scan_head``, ``integrator_parts``, ``scan_tail``, ``twobody_budgets``,
        ``arrival``), in the order the child should run them.

    Returns
    -------
    subprocess.Popen or None
        The child (pass it to :func:`stop_background` when done), or None if none started.
    """
    if os.environ.get("MASSDRIVER_BACKGROUND_COMPILE", "1") in ("0", "false", "False", ""):
        return None
    if (os.cpu_count() or 1) < 2:
        return None
    cold = [step for step in steps if _cached(step) is False]
    if not cold:
        return None
    command = [sys.executable, "-m", "massdriver.background_compile", "--only", ",".join(cold)]
    try:
        child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
    except OSError as exc:           # no process to spare: this one compiles everything
        _log.debug("background compile not started: %s", exc)
        return None
    _log.info("compiling %s in the background (pid %d)", ", ".join(cold), child.pid)
    return child


def stop_background(child: subprocess.Popen | None) -> None:
    """End a :func:`start_background` child that is still running (its cache entries are
    written whole or not at all, so stopping it loses no finished kernel) and reap it."""
    if child is None:
        return
    if child.poll() is None:
        child.terminate()
    try:
        child.wait(timeout=10)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


#: the steps of every solve, in the order the parent needs them
_SOLVE_STEPS = ["scan_head", "integrator_parts", "scan_tail", "twobody_budgets"]


def solve_steps(mission) -> list[str]:
    """The warm-up steps whose kernels a solve of ``mission`` uses and can take from a child,
    in the order the solve reaches them: the scan's launch state and ephemeris packing, the
    integrator's out-of-line parts, the refinement's helpers, the two-body budgets, and the
    arrival strategies when it has a ``[satellite]``."""
    return _steps_for(mission.satellite is not None)


def _steps_for(satellite: bool) -> list[str]:
    """The solve's steps, with the arrival strategies when the mission has a satellite."""
    return _SOLVE_STEPS + (["arrival"] if satellite else [])


def mission_file_steps(path: str | os.PathLike) -> list[str]:
    """:func:`solve_steps` of the mission file ``path`` read as plain TOML, before it is loaded
    and checked, so that the child can start while this process imports the package and
    validates the mission. A file that cannot be read or parsed gives no steps (no child is
    started; loading it then reports the error)."""
    try:
        table = tomllib.loads(read_limited(path).decode("utf-8"))
    except Exception:      # unreadable, too large, not TOML: a hint only, load_mission reports it
        return []
    return _steps_for("satellite" in table)


@contextmanager
def compiling_beside(steps: Sequence[str]) -> Iterator[subprocess.Popen | None]:
    """``with compiling_beside(steps):`` runs its body with a :func:`start_background` child
    (or none), ended by :func:`stop_background` however the body ends."""
    child = start_background(steps)
    try:
        yield child
    finally:
        stop_background(child)


def main(argv: Sequence[str] | None = None) -> int:
    """The child: ``python -m massdriver.background_compile --only STEPS`` runs the warm-up
    ``STEPS`` (comma-separated, in that order), those of
    :data:`massdriver.kernels.precompile.GROUPS` before importing anything beyond the kernels.
    Its output goes nowhere (:func:`start_background`); a step that raises ends the child, and
    the parent then compiles the kernels left over itself. Returns 0 when every step ran."""
    parser = argparse.ArgumentParser(prog="python -m massdriver.background_compile")
    parser.add_argument("--only", required=True, metavar="STEPS")
    steps = [name for name in parser.parse_args(argv).only.split(",") if name]
    for step in steps:
        if step in precompile.GROUPS:
            precompile.compile_group(step)
        else:
            # the public-API steps need astropy, scipy and the package: imported only now,
            # after the kernels the parent wants first are in the cache
            from massdriver.warmup import warmup

            warmup(steps=[step])
    return 0


if __name__ == "__main__":
    sys.exit(main())
