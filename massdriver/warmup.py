"""Compile every numba kernel ahead of use by calling the public API once on tiny problems.

The kernels are compiled with ``cache=True`` (:mod:`massdriver.kernels.jit`), so numba writes the
machine code to disk on first use: next to the kernel sources (``__pycache__``), or under
``NUMBA_CACHE_DIR`` when that environment variable is set (needed when the install directory is
read-only). After :func:`warmup` has run once, a new process loads the kernels from the cache in
a fraction of a second instead of compiling them for tens of seconds.

Each step calls the same public function a user calls, with the same argument types (numba
compiles one specialisation per argument-type signature), so the cached specialisations are the
ones used later. Steps whose module does not exist in this build are skipped. A cache entry
found damaged (e.g. a ``.nbc`` file truncated by a killed run) is removed and compiled again,
with one :class:`massdriver.kernels.jit.JitCacheWarning`.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import os
import pkgutil
import time
import warnings
from collections.abc import Callable, Sequence

import astropy.units as u
import numpy as np
from astropy.time import Time

import massdriver.kernels as kernels
from massdriver import bodies, targets
from massdriver.arrival import compare_strategies
from massdriver.bodies import R_EARTH
from massdriver.budget import delta_v_budget
from massdriver.coilgun import Armature, Coilgun, DriveCoil, simulate
from massdriver.ephemeris import Ephemeris
from massdriver.errors import InputError
from massdriver.kernels import forces, precompile, shots
from massdriver.kernels import jit as jit_module
from massdriver.kernels.integrators import batch, propagate
from massdriver.kernels.jit import JitCacheWarning
from massdriver.satellite import Engine, Satellite
from massdriver.site import LaunchSite
from massdriver.targets import circular
from massdriver.timescales import to_tdb_seconds
from massdriver.trajectory import FAR_PERIGEE_RADIUS, perigee_arrival_from_state, shoot
from massdriver.windows import solve

__all__ = ["warmup", "STEPS", "check_steps", "cache_location", "cache_directories"]

#: warm-up steps in the order they run: (name, modules that must exist, description)
STEPS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("scan_head", ("massdriver.kernels.precompile",),
     "the scan's launch state and ephemeris packing, compiled by signature"),
    ("integrator_parts", ("massdriver.kernels.precompile",),
     "the integrator's out-of-line parts (events, first step, dense output), compiled by "
     "signature"),
    ("scan_tail", ("massdriver.kernels.precompile",),
     "the refinement's perigee, launch-state and Moon-state kernels, compiled by signature"),
    ("shoot_ephemeris", ("massdriver.trajectory",),
     "one DE421 coast (DOP853, ephemeris forces, events)"),
    ("shoot_cr3bp", ("massdriver.trajectory",), "one CR3BP coast"),
    ("shoot_taylor", ("massdriver.trajectory", "massdriver.kernels.integrators.taylor"),
     "one CR3BP coast with the Taylor method at the default tolerance (order 14)"),
    ("shot_speeds", ("massdriver.kernels.shots",),
     "exit-speed solve on 2 epochs (parallel kernel)"),
    ("batch", ("massdriver.kernels.integrators.batch",),
     "batch propagation, 2 shots per model, and 2 CR3BP shots with the Taylor method "
     "(parallel kernels)"),
    ("twobody_budgets", ("massdriver.budget", "massdriver.targets", "massdriver.kernels.twobody"),
     "insertion delta-v budgets of one arrival"),
    ("windows", ("massdriver.windows", "massdriver.targets"),
     "window solve over 2 h (scan, refinement, mid-course correction, dispersion)"),
    ("coilgun", ("massdriver.coilgun",), "a two-stage coilgun shot"),
    ("arrival", ("massdriver.arrival", "massdriver.kernels.arrival"),
     "every arrival strategy of one lunar return (finite burns, aerobraking, aerocapture)"),
)


def _available(modules: tuple[str, ...]) -> bool:
    for name in modules:
        try:
            if importlib.util.find_spec(name) is None:
                return False
        except ModuleNotFoundError:          # a parent package is missing
            return False
    return True


def cache_location() -> str:
    """Where numba writes the compiled kernels (``NUMBA_CACHE_DIR`` or next to the sources)."""


    if not jit_module.CACHE:
        return "disabled (MASSDRIVER_JIT_CACHE=0)"
    directory = os.environ.get("NUMBA_CACHE_DIR")
    if directory:
        return directory
    return os.path.join(os.path.dirname(jit_module.__file__), "__pycache__")


def cache_directories() -> list[str]:
    """The directories numba really reads and writes the cached kernels in, for this process.

    Numba keys its cache by the directory of each kernel's source file: ``__pycache__`` beside
    it, or, with ``NUMBA_CACHE_DIR`` set, a folder under it named after the source directory's
    full path. The kernels imported here (an installed copy or a checkout, whichever Python
    picked up) therefore decide where the entries are; another copy of the package has other
    directories. The answer is read from the dispatchers themselves (importing the kernel
    modules compiles nothing).

    Returns
    -------
    list of str
        Sorted, without duplicates; empty when caching is disabled or no location is usable.
    """


    found: set[str] = set()
    names = [kernels.__name__] + [
        info.name for info in pkgutil.walk_packages(kernels.__path__, kernels.__name__ + ".")]
    for name in names:
        module = importlib.import_module(name)
        for value in vars(module).values():
            cache = getattr(value, "_cache", None)
            path = getattr(cache, "_cache_path", None)
            if path and hasattr(cache, "_cache_file"):          # not numba's NullCache
                found.add(str(path))
    return sorted(found)


# --- the steps (tiny problems, the argument types of real use) ---------------------------------


def _site():
    return LaunchSite(lat=0 * u.deg, lon=-55 * u.deg, azimuth=90 * u.deg, elevation=0 * u.deg)


def _epoch():
    return Time("2027-01-01T00:00", scale="utc")


def _shoot(model: str, method: str = "dop853"):
    return shoot(_site(), _epoch(), 2.5017 * u.km / u.s, model=model, days=6.0, method=method)


def _compiled_by_signature(group: str) -> Callable[[dict], None]:
    """A step compiling one :mod:`massdriver.kernels.precompile` group: compiled, not run, for
    the argument types the scan passes. These kernels are called, not inlined, so once they
    are in the cache a process compiling the scan loads them instead of compiling them; a
    background child (:mod:`massdriver.background_compile`) compiles them while its parent is
    still typing the scan. tests/test_background_compile.py checks the types."""
    def step(state: dict) -> None:
        precompile.compile_group(group)
    return step


def _shoot_ephemeris(state: dict) -> None:
    state["trajectory"] = _shoot("ephemeris")


def _shoot_cr3bp(state: dict) -> None:
    _shoot("cr3bp")


def _shoot_taylor(state: dict) -> None:
    _shoot("cr3bp", method="taylor")


def _shot_speeds(state: dict) -> None:
    site_body, dir_body = _site().kernel_arguments()
    t0 = float(to_tdb_seconds(_epoch()))
    epochs = t0 + np.array([0.0, 3600.0])
    flight = 6.0 * bodies.DAY
    tables = Ephemeris().kernel_tables(epochs[0] - bodies.DAY, epochs[-1] + flight + bodies.DAY)
    atol = np.full(6, 1e-9)
    r_target = bodies.R_EARTH + 400.0
    args = [r_target, 2.40, 2.70, 1e-9, 2e-7 * r_target, site_body, dir_body, flight, 1e-10,
            atol, forces.ephemeris_params(), tables, FAR_PERIGEE_RADIUS,
            np.full(epochs.shape[0], np.nan)]      # NaN guesses: bracket / continue
    for branch in (1.0, -1.0):
        shots.solve_speeds(epochs, branch, *args)
    # the reach screen of the track search (massdriver aim)
    shots.reach_mask(epochs, r_target, 2.40, 2.70, site_body, dir_body, flight,
                     forces.ephemeris_params(), tables, shots.REACH_MARGIN,
                     np.zeros(epochs.shape[0], dtype=np.bool_))


def _batch(state: dict) -> None:
    site = _site()
    t0 = float(to_tdb_seconds(_epoch()))
    tables = Ephemeris().kernel_tables()
    terminal = ["perigee", "moon_impact", "earth_impact", "atmosphere", "escape"]
    modes = propagate.event_modes(terminal=terminal)
    states = np.array([np.concatenate(site.launch_state_raw(t0 + k * 3600.0, 2.5, tables))
                       for k in range(2)])
    t_start = t0 + np.array([0.0, 3600.0])
    batch.propagate_many(forces.MODEL_EPHEMERIS, t_start, states, t_start + 0.5 * bodies.DAY,
                         forces.ephemeris_params(), tables, rtol=1e-10,
                         atol=np.array([1e-10] * 3 + [1e-16] * 3), events=modes)
    mu = bodies.CR3BP_MU
    y_nd = np.array([[1.0 - mu + 0.0045, 0.0, 0.0, 0.0, 2.4, 0.0]] * 2)
    for method in ("dop853", "taylor"):
        batch.propagate_many(forces.MODEL_CR3BP, 0.0, y_nd, 0.5, forces.cr3bp_params(), None,
                             rtol=1e-10, atol=1e-13, events=modes, method=method)


def _twobody_budgets(state: dict) -> None:
    # a lunar-return perigee written down (not shot), so that this step compiles the budget
    # kernels alone: massdriver.background_compile runs it beside a cold solve that is
    # compiling the integrator itself
    t_perigee = float(to_tdb_seconds(_epoch()))
    y = np.array([R_EARTH + 400.0, 0.0, 0.0, 0.0, 10.85 * math.cos(0.5), 10.85 * math.sin(0.5)])
    perigee = perigee_arrival_from_state(t_perigee, t_perigee - 4.5 * bodies.DAY, y)
    target = circular(400 * u.km, 28.5 * u.deg)
    delta_v_budget(perigee.position, perigee.velocity, perigee.epoch, target)


def _windows(state: dict) -> None:
    solve(_site(), circular(400 * u.km, 28.5 * u.deg), _epoch(), 2 * u.hour,
          threshold=3.5 * u.km / u.s, step=60 * u.min, dispersion_samples=20)


def _coilgun(state: dict) -> None:
    # two 1 kJ stages pushing a 1 kg carrier with an aluminium sleeve (about 20 m/s)
    coil = DriveCoil(inner_radius=0.06 * u.m, outer_radius=0.08 * u.m, length=0.1 * u.m,
                     turns=40)
    armature = Armature(kind="induction", inner_radius=0.045 * u.m, outer_radius=0.055 * u.m,
                        length=0.1 * u.m, rings=2)
    gun = Coilgun(coils=(coil,), coil_index=[0, 0], positions=[0.2, 0.35] * u.m,
                  capacitance=[2e-3, 2e-3] * u.F, voltage=[1000.0, 1000.0] * u.V,
                  series_resistance=[0.005, 0.005] * u.Ohm,
                  trigger_offset=[0.04, 0.04] * u.m, armature=armature,
                  carrier_mass=0.5 * u.kg, payload_mass=0.5 * u.kg)
    simulate(gun, record=True)
    simulate(gun, record=False)


def _arrival(state: dict) -> None:
    sat = Satellite(wet_mass=800 * u.kg, engines=(Engine(400 * u.N, 320 * u.s),),
                    lift_to_drag=0.2, max_heat_rate=5 * u.W / u.cm ** 2,
                    max_heat_load=5000 * u.J / u.cm ** 2)
    r = np.array([R_EARTH + 400.0, 0.0, 0.0]) * u.km
    v = np.array([0.0, 10.85 * math.cos(0.5), 10.85 * math.sin(0.5)]) * u.km / u.s
    compare_strategies(r, v, targets.circular(400 * u.km, 28.5 * u.deg), sat)


_FUNCTIONS: dict[str, Callable[[dict], None]] = {
    "scan_head": _compiled_by_signature("scan_head"),
    "integrator_parts": _compiled_by_signature("integrator_parts"),
    "scan_tail": _compiled_by_signature("scan_tail"),
    "shoot_ephemeris": _shoot_ephemeris,
    "shoot_cr3bp": _shoot_cr3bp,
    "shoot_taylor": _shoot_taylor,
    "shot_speeds": _shot_speeds,
    "batch": _batch,
    "twobody_budgets": _twobody_budgets,
    "windows": _windows,
    "coilgun": _coilgun,
    "arrival": _arrival,
}


def check_steps(steps: Sequence[str]) -> None:
    """Raise :class:`massdriver.errors.InputError` (one line) unless ``steps`` names at least one
    step and only steps of :data:`STEPS`."""
    unknown = sorted(set(steps) - set(_FUNCTIONS))
    if unknown or not steps:
        raise InputError(f"unknown warm-up step {', '.join(unknown) or '(none)'}; choose "
                         f"from {', '.join(name for name, _, _ in STEPS)}")


def warmup(progress: Callable[[str, float | None, str], None] | None = None,
           steps: Sequence[str] | None = None) -> dict[str, float]:
    """Compile (or load from the on-disk cache) every kernel by running tiny problems.

    Parameters
    ----------
    progress : callable, optional
        Called after each step as ``progress(name, seconds, note)``; ``seconds`` is None when
        the step was skipped (``note`` says why), else ``note`` describes the step.
    steps : sequence of str, optional
        Run only these steps (names of :data:`STEPS`, run in that table's order); default all.
        An unknown name, or none at all, raises :class:`massdriver.errors.InputError`
        (:func:`check_steps`).

    Returns
    -------
    dict of str to float
        Wall-clock seconds per step that ran, in order (see :data:`STEPS`), plus ``"total"``.

    Notes
    -----
    The first run in a fresh environment compiles everything (about a minute or two on one
    core); later runs only load the cache and take a few seconds, most of it importing numba,
    scipy and astropy and reading DE421.
    """


    timings: dict[str, float] = {}
    state: dict = {}
    start = time.perf_counter()
    if steps is not None:
        check_steps(steps)
    for name, modules, description in STEPS:
        if steps is not None and name not in steps:
            continue
        if not _available(modules):
            missing = ", ".join(m for m in modules if not _available((m,)))
            if progress is not None:
                progress(name, None, f"skipped: {missing} not in this build")
            continue
        tic = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")          # ERFA/astropy notes are not the point here
            # but a cache entry found damaged (removed and rebuilt) or an unusable cache is
            warnings.simplefilter("default", JitCacheWarning)
            _FUNCTIONS[name](state)
        timings[name] = time.perf_counter() - tic
        if progress is not None:
            progress(name, timings[name], description)
    timings["total"] = time.perf_counter() - start
    return timings
