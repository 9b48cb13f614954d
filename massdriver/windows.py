"""Launch windows: scan the launch epochs, solve the exit speed, price the arrival, refine.

The pipeline (docs/windows.md):

1. **Grid.** Launch epochs ``start + k * step`` over the span.
2. **Speed solve** (compiled, parallel; :func:`massdriver.kernels.shots.solve_speeds`). For each
   epoch and each *branch* (prograde / retrograde arrival, see :mod:`massdriver.kernels.shots`)
   the exit speed in the launcher's range that puts the Earth perigee at the target perigee
   radius, with the DE421 force model, at the scan tolerances (``SCAN_RTOL``, perigee within
   ``2e-6`` of the target radius).
3. **Budget** of every arrival (:func:`massdriver.budget.budget_arrays`): the cheapest of a
   combined perigee burn and a high-ellipse capture with the plane change at apoapsis.
4. **Windows.** Contiguous grid runs whose total is under the threshold; each run's edges are
   located by root finding on the epoch (``scipy.optimize.brentq``) and its minimum by
   ``scipy.optimize.minimize_scalar`` (bounded), each evaluation a fresh speed solve.
5. **Best-epoch budget.** At the refined minimum: the strategies above, a mid-course correction
   found by differential correction (:func:`mid_course_correction`), and a Monte Carlo
   dispersion margin over the launcher's speed and pointing errors.

Units are stripped in :func:`solve` and restored in the result dataclasses.
"""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import astropy.units as u
import numpy as np
from astropy.table import QTable
from astropy.utils.masked import Masked
from scipy import optimize

import massdriver
from massdriver import bodies
from massdriver.budget import (
    STRATEGIES,
    budget_arrays,
    budget_with_mcc,
    delta_v_budget,
    dispersion_margin,
)
from massdriver.display import plan_html, plan_repr, scan_html, scan_repr, window_html, window_repr
from massdriver.ephemeris import Ephemeris
from massdriver.errors import InputError
from massdriver.kernels import forces, shots
from massdriver.kernels.frames import launch_state
from massdriver.kernels.integrators import propagate
from massdriver.kernels.shots import (
    OUTCOME_ESCAPE,
    OUTCOME_MOON_IMPACT,
    REACH_MARGIN,
    SOLVE_CONVERGED,
    SOLVE_NAMES,
    run_tasks,
    signed_perigee,
    solve_speeds,
)
from massdriver.mission import LauncherSpec, scan_epoch_count
from massdriver.timescales import from_tdb_seconds, table_times, to_tdb_seconds
from massdriver.trajectory import FAR_PERIGEE_RADIUS, coast, perigee_arrival_from_state

_log = logging.getLogger(__name__)

__all__ = ["ScanResult", "LaunchWindow", "Plan", "MidCourseCorrection", "solve", "scan",
           "scan_many", "assemble_scan", "scan_epochs",
           "mid_course_correction", "solve_mission", "BRANCHES"]

BRANCHES = {"prograde": 1.0, "retrograde": -1.0}
_FAR_PERIGEE = FAR_PERIGEE_RADIUS
_SPEED_TOL = 1e-10        # km/s, bracket width of the speed solve
#: perigee-radius tolerance of a speed solve, relative to the target perigee radius: refined
#: solutions (1.4 m at LEO) and grid epochs of the scan (14 m at LEO; the budget changes by
#: ~0.2 m/s per km of perigee radius, and a scan row is priced at its own arrival state)
_PERIGEE_REL = 2e-7
_SCAN_PERIGEE_REL = 2e-6
#: DOP853 rtol of the grid scan (unless the mission's is looser); windows are refined at the
#: mission's rtol. At 1e-7 a scan solution flown at rtol 1e-10 reaches the target perigee to
#: < 7 m (LEO, 30 days of 10-minute epochs) and grid budgets move by < 0.02 m/s (docs/windows.md)
SCAN_RTOL = 1e-7
#: MCC residual (relative perigee radius, plane-normal components in rad): stop / accept
_MCC_TOL = 1e-9
_MCC_ACCEPT = 1e-6        # 7 m of perigee radius at LEO, 0.2 arcsec of plane


@dataclass(frozen=True)
class _Problem:
    """Kernel floats of one solve (units stripped here, once)."""

    site_body: np.ndarray
    dir_body: np.ndarray
    r_target: float
    speed_min: float
    speed_max: float
    flight_time_max: float
    rtol: float
    atol: np.ndarray
    params: np.ndarray
    eph: tuple
    scan_rtol: float
    scan_atol: np.ndarray


@dataclass(frozen=True)
class ScanResult:
    """Every grid epoch of a scan, per branch (plain arrays; units in the names).

    Attributes
    ----------
    t_launch_tdb : ndarray (n,)
        Launch epochs, TDB s past J2000.
    branch : ndarray (n,) of str
        ``prograde`` or ``retrograde``.
    speed_km_s, t_perigee_tdb : ndarray (n,)
        Solved exit speed and perigee epoch (NaN where unsolved).
    solve_status : ndarray (n,) of str
        ``converged``, ``no_root_in_speed_range`` or ``not_converged``.
    perigee_state : ndarray (n, 6)
        km, km/s.
    total_km_s, insertion_km_s, plane_change_km_s, circularization_km_s : ndarray (n,)
        Budget of the cheapest Earth strategy (no MCC, no margin); NaN where unsolved.
    strategy : ndarray (n,) of str
    inclination_deg, raan_deg : ndarray (n,)
        Arrival plane.
    nfev : ndarray (n,) of int
    """

    t_launch_tdb: np.ndarray
    branch: np.ndarray
    speed_km_s: np.ndarray
    t_perigee_tdb: np.ndarray
    solve_status: np.ndarray
    perigee_state: np.ndarray
    total_km_s: np.ndarray
    insertion_km_s: np.ndarray
    plane_change_km_s: np.ndarray
    circularization_km_s: np.ndarray
    strategy: np.ndarray
    inclination_deg: np.ndarray
    raan_deg: np.ndarray
    nfev: np.ndarray

    def __repr__(self) -> str:

        return scan_repr(self)

    def _repr_html_(self) -> str:

        return scan_html(self)

    def to_table(self):
        """An astropy ``QTable`` with units (ECSV-ready)."""


        def col(values: np.ndarray, unit):
            # unsolved rows are masked (written as empty fields), never NaN in the file
            bad = ~np.isfinite(values)
            q = np.where(bad, 0.0, values) * unit
            return Masked(q, mask=bad) if np.any(bad) else q

        tof = (self.t_perigee_tdb - self.t_launch_tdb) / bodies.DAY
        return QTable({
            "launch_utc": table_times(from_tdb_seconds(self.t_launch_tdb)),
            "branch": self.branch,
            "solve_status": self.solve_status,
            "speed": col(self.speed_km_s, u.km / u.s),
            "time_of_flight": col(tof, u.day),
            "total": col(self.total_km_s, u.km / u.s),
            "insertion": col(self.insertion_km_s, u.km / u.s),
            "plane_change": col(self.plane_change_km_s, u.km / u.s),
            "circularization": col(self.circularization_km_s, u.km / u.s),
            "strategy": self.strategy,
            "inclination": col(self.inclination_deg, u.deg),
            "raan": col(self.raan_deg, u.deg),
        })


@dataclass(frozen=True)
class MidCourseCorrection:
    """An impulsive correction during the coast that puts the perigee in the target plane.

    Attributes
    ----------
    epoch : astropy.time.Time
    time_after_launch : astropy.units.Quantity (day)
    delta_v : astropy.units.Quantity (3,), km/s, ICRF
    magnitude : astropy.units.Quantity, km/s
    converged : bool
    iterations : int
    """

    epoch: Any
    time_after_launch: Any
    delta_v: Any
    magnitude: Any
    converged: bool
    iterations: int


@dataclass(frozen=True)
class LaunchWindow:
    """A contiguous span of launch epochs whose total delta-v is under the threshold.

    Attributes
    ----------
    open, close, best_epoch : astropy.time.Time
        Window edges and the refined epoch of least delta-v (UTC scale; use ``.tdb`` for
        TDB). A window open at an end of the requested span is followed past it (see
        ``truncated_start``), so ``open``/``close`` may lie outside the span.
    branch : str
        ``prograde`` or ``retrograde`` arrival.
    speed : astropy.units.Quantity
        Exit speed at ``best_epoch`` (km/s).
    time_of_flight : astropy.units.Quantity
        Launch to perigee (days).
    perigee : massdriver.trajectory.PerigeeArrival
        Arrival (uncorrected) at ``best_epoch``.
    budget : massdriver.budget.DeltaVBudget
        The cheapest strategy (others in ``budget.alternatives``), dispersion margin included.
    mid_course : MidCourseCorrection or None
        The correction priced for the ``mid_course_correction`` strategy.
    energy_per_shot : astropy.units.Quantity
        Energy of the shot (J): the bank energy drawn by the configured coilgun, or, without a
        coilgun model, the payload's kinetic energy at exit.
    optimizer : dict
        ``converged`` (bool), ``message``, ``nfev`` (evaluations of the epoch objective).
    truncated_start, truncated_end : bool
        The window was still open at the first (last) epoch scanned, after the scan was
        extended past the span's edge by the window's length (or to the ephemeris' end):
        ``open`` (``close``) is then that epoch, not the true edge, and the true minimum may
        lie outside.
    dispersion : dict or None
        The launcher errors used and what they do at Earth: ``speed_sigma_m_s``,
        ``pointing_sigma_deg``, ``source`` (``"given"`` or ``"coilgun"``: from the launcher
        model's Monte Carlo), ``perigee_radius_sigma_km`` and ``perigee_position_sigma_km``
        (linear, 1 sigma), ``correction_mean_km_s`` and ``correction_margin_km_s``.
    launcher_energy : dict or None
        With a coilgun launcher: the energy account of this window's shot (J and ratios:
        stored, drawn, left in the banks, dissipated per mechanism, kinetic, grid, the
        muzzle, bank and wall-plug efficiencies and their ``definitions``; see
        :func:`massdriver.coilgun_losses.energy_account`) and its ``charge_fraction``.
    """

    open: Any
    close: Any
    best_epoch: Any
    branch: str
    speed: Any
    time_of_flight: Any
    perigee: Any
    budget: Any
    mid_course: MidCourseCorrection | None
    energy_per_shot: Any
    optimizer: dict = field(default_factory=dict)
    truncated_start: bool = False
    truncated_end: bool = False
    #: arrival strategies priced for the mission's satellite (massdriver.arrival), or None
    arrival: Any = None
    dispersion: dict | None = None
    launcher_energy: dict | None = None

    def __repr__(self) -> str:

        return window_repr(self)

    def _repr_html_(self) -> str:

        return window_html(self)

    @property
    def duration(self):
        """``close - open`` (hours)."""

        return (self.close - self.open).to(u.hour)

    def to_dict(self) -> dict:
        """Plain-JSON view (units in the key names)."""

        out = {
            "open_utc": self.open.utc.isot,
            "close_utc": self.close.utc.isot,
            "best_utc": self.best_epoch.utc.isot,
            "best_tdb": self.best_epoch.tdb.isot,
            "duration_hours": float(self.duration.to_value(u.hour)),
            "branch": self.branch,
            "speed_km_s": float(self.speed.to_value(u.km / u.s)),
            "time_of_flight_days": float(self.time_of_flight.to_value(u.day)),
            "perigee_altitude_km": float(self.perigee.altitude.to_value(u.km)),
            "inclination_deg": float(self.perigee.inclination.to_value(u.deg)),
            "raan_deg": float(self.perigee.raan.to_value(u.deg)),
            "perigee": self.perigee.to_dict(),
            "budget": self.budget.as_dict(),
            "energy_per_shot_j": float(self.energy_per_shot.to_value(u.J)),
            "optimizer": dict(self.optimizer),
            "truncated_start": bool(self.truncated_start),
            "truncated_end": bool(self.truncated_end),
        }
        if self.arrival is not None:
            out["arrival"] = self.arrival.as_dict()
        if self.dispersion is not None:
            out["dispersion"] = dict(self.dispersion)
        if self.launcher_energy is not None:
            out["launcher_energy"] = copy.deepcopy(self.launcher_energy)
        if self.mid_course is not None:
            m = self.mid_course
            out["mid_course"] = {
                "epoch_tdb": m.epoch.tdb.isot,
                "time_after_launch_days": float(m.time_after_launch.to_value(u.day)),
                "delta_v_km_s": m.delta_v.to_value(u.km / u.s).tolist(),
                "magnitude_km_s": float(m.magnitude.to_value(u.km / u.s)),
                "converged": bool(m.converged),
                "iterations": int(m.iterations),
            }
        return out


@dataclass(frozen=True)
class Plan:
    """The answer to a mission: its windows, the scan behind them, and the inputs.

    Attributes
    ----------
    windows : tuple of LaunchWindow
        In launch order.
    scan : ScanResult
    mission : massdriver.config.MissionConfig or None
        The inputs (``None`` when called through the API with plain arguments).
    inputs : dict
        Plain description of the inputs (site, target, span, threshold, model).
    version : str
        massdriver version that made the plan.
    message : str
        Why there is no window, when there is none (closest approach of the budget).
    """

    windows: tuple
    scan: ScanResult
    mission: Any
    inputs: dict
    version: str
    message: str = ""

    def __repr__(self) -> str:

        return plan_repr(self)

    def _repr_html_(self) -> str:

        return plan_html(self)

    @property
    def best(self) -> LaunchWindow | None:
        """The window with the lowest total delta-v (``None`` if there is none)."""
        if not self.windows:
            return None
        return min(self.windows, key=lambda w: w.budget.total.to_value("km/s"))

    def to_table(self):
        """The windows as an astropy ``QTable`` with units (ECSV-ready)."""


        cols: dict[str, Any] = {}
        w = self.windows
        cols["open_utc"] = table_times([x.open for x in w])
        cols["close_utc"] = table_times([x.close for x in w])
        cols["best_utc"] = table_times([x.best_epoch for x in w])
        cols["branch"] = np.array([x.branch for x in w], dtype=str)
        cols["speed"] = [x.speed.to_value(u.km / u.s) for x in w] * u.km / u.s
        cols["time_of_flight"] = [x.time_of_flight.to_value(u.day) for x in w] * u.day
        cols["perigee_altitude"] = [x.perigee.altitude.to_value(u.km) for x in w] * u.km
        cols["inclination"] = [x.perigee.inclination.to_value(u.deg) for x in w] * u.deg
        cols["raan"] = [x.perigee.raan.to_value(u.deg) for x in w] * u.deg
        for part in ("mcc", "insertion", "plane_change", "circularization", "margin", "total"):
            cols[part] = [getattr(x.budget, part).to_value(u.km / u.s) for x in w] * u.km / u.s
        cols["strategy"] = np.array([x.budget.strategy for x in w], dtype=str)
        cols["energy_per_shot"] = [x.energy_per_shot.to_value(u.J) for x in w] * u.J
        cols["truncated_start"] = np.array([x.truncated_start for x in w], dtype=bool)
        cols["truncated_end"] = np.array([x.truncated_end for x in w], dtype=bool)
        if w and all(x.arrival is not None for x in w):
            from massdriver.arrival import arrival_columns
            cols.update(arrival_columns([x.arrival for x in w]))
        elif not w and getattr(self.mission, "satellite", None) is not None:
            # no window, but a satellite: the strategy columns a run with windows would have
            # (length 0), so that a reader of windows.ecsv sees one schema either way
            from massdriver.arrival import ArrivalOptions, arrival_columns
            options = getattr(self.mission, "arrival", None) or ArrivalOptions()
            cols.update(arrival_columns([], strategies=options.strategies))
        return QTable(cols, meta={"massdriver_version": self.version, **self.inputs})

    def to_dict(self) -> dict:
        """Plain-JSON view (the ``plan.json`` file and ``massdriver solve --json``)."""
        return {
            "massdriver_version": self.version,
            "inputs": self.inputs,
            "message": self.message,
            "windows": [w.to_dict() for w in self.windows],
        }


# ------------------------------------------------------------------------------------------------
def _problem(site, target, launcher, rtol: float, flight_time_max: float, ephemeris,
             t_first: float, t_last: float) -> _Problem:

    site_body, dir_body = site.kernel_arguments()
    tables = ephemeris.kernel_tables()
    ephemeris.check_range(np.array([t_first, t_last + flight_time_max]))
    q = float(target.perigee_radius.to_value("km"))
    return _Problem(
        site_body=np.ascontiguousarray(site_body, dtype=np.float64),
        dir_body=np.ascontiguousarray(dir_body, dtype=np.float64),
        r_target=q,
        speed_min=float(launcher.speed_min.to_value("km/s")),
        speed_max=float(launcher.speed_max.to_value("km/s")),
        flight_time_max=flight_time_max, rtol=rtol,
        # absolute tolerances: rtol km and rtol km/s (0.1 mm, 0.1 um/s at 1e-10); the perigee
        # radius then agrees with an rtol=1e-13 integration to < 1 m (docs/performance.md)
        atol=np.full(6, rtol), params=forces.ephemeris_params(),
        eph=tables, scan_rtol=max(rtol, SCAN_RTOL), scan_atol=np.full(6, max(rtol, SCAN_RTOL)))


def _scan_tasks(problem: _Problem, t: np.ndarray, branch: float,
                reach_screen: bool = False) -> tuple:
    """The speed-solve chunks of one branch at every epoch of ``t`` (scan tolerances), as
    ``(tasks, outputs)`` of :func:`massdriver.kernels.shots.speed_solve_tasks`
    (``reach_screen``: skip epochs the patched-conic reach screen proves unreachable)."""
    # shots.speed_solve_tasks, looked up at the call: tests stand in for it
    return shots.speed_solve_tasks(
        np.ascontiguousarray(t, dtype=np.float64), branch, problem.r_target, problem.speed_min,
        problem.speed_max, _SPEED_TOL, _SCAN_PERIGEE_REL * problem.r_target, problem.site_body,
        problem.dir_body, problem.flight_time_max, problem.scan_rtol, problem.scan_atol,
        problem.params, problem.eph, _FAR_PERIGEE, np.full(t.shape[0], np.nan),
        **({"reach_margin": REACH_MARGIN} if reach_screen else {}))


def _scan_branch(problem: _Problem, t: np.ndarray, branch: float,
                 progress: Callable[[int], None] | None = None) -> tuple:
    """Speed solve of one branch at every epoch of ``t`` (scan tolerances), ``progress(k)``
    after each chunk of ``k`` epochs; the six arrays of ``solve_speeds``."""

    tasks, out = _scan_tasks(problem, t, branch)
    run_tasks(tasks, progress)
    return out


def _price(target, y: np.ndarray, t_perigee: np.ndarray) -> dict:
    """Budget arrays for the solved rows (NaN elsewhere)."""

    n = y.shape[0]
    out = {k: np.full(n, np.nan) for k in ("total", "insertion", "plane_change",
                                           "circularization", "inclination", "raan")}
    out["strategy"] = np.full(n, "", dtype=object)
    ok = np.isfinite(y[:, 0])
    if np.any(ok):
        arr = budget_arrays(y[ok, :3], y[ok, 3:], t_perigee[ok], target)
        idx = np.arange(arr.total.shape[0])
        out["total"][ok] = arr.total
        out["insertion"][ok] = arr.insertion[idx, arr.best]
        out["plane_change"][ok] = arr.plane_change[idx, arr.best]
        out["circularization"][ok] = arr.circularization[idx, arr.best]
        out["strategy"][ok] = np.array(STRATEGIES, dtype=object)[arr.best]
        h = np.cross(y[ok, :3], y[ok, 3:])
        hn = np.linalg.norm(h, axis=1)
        out["inclination"][ok] = np.degrees(np.arccos(np.clip(h[:, 2] / hn, -1, 1)))
        out["raan"][ok] = np.degrees(np.arctan2(h[:, 0], -h[:, 1])) % 360.0
    return out


def scan(problem: _Problem, t: np.ndarray, target, branches: tuple[str, ...],
         progress: Callable[[int], None] | None = None) -> ScanResult:
    """Solve and price every grid epoch for each branch (see the module notes)."""
    return scan_many([(problem, t, target, branches)], progress)[0]


def scan_many(cases, progress: Callable[[int], None] | None = None,
              reach_screen: bool = False) -> list[ScanResult]:
    """:func:`scan` of several ``(problem, t, target, branches)`` cases, their chunks run on
    one pool of threads (no thread idles while a branch or case still has work); results are
    those of :func:`scan` on each case. ``progress(k)`` is called on the calling thread after
    each chunk of ``k`` epochs. ``reach_screen`` (the track search): epochs the patched-conic
    screen of :func:`massdriver.kernels.shots.reach_mask` proves unreachable are not solved;
    the results are the same but for the evaluation counts."""

    cases = list(cases)
    tasks: list = []
    outputs = []
    for problem, t, _target, branches in cases:
        per_branch = []
        for name in branches:
            branch_tasks, out = _scan_tasks(problem, t, BRANCHES[name], reach_screen)
            tasks.extend(branch_tasks)
            per_branch.append((name, out))
        outputs.append(per_branch)
    run_tasks(tasks, progress)
    return [assemble_scan(t, target, per_branch)
            for (_p, t, target, _b), per_branch in zip(cases, outputs, strict=True)]


def assemble_scan(t: np.ndarray, target, branch_results) -> ScanResult:
    """Price raw speed-solve results and stack them into a :class:`ScanResult`.

    Parameters
    ----------
    t : ndarray (n,)
        Launch epochs, TDB s past J2000.
    target : massdriver.targets.TargetOrbit
    branch_results : iterable of (str, tuple)
        ``(branch name, solve_speeds output)`` per branch, in order.
    """

    rows: dict[str, list] = {k: [] for k in ScanResult.__dataclass_fields__}
    for name, (speed, status, _outcome, tp, yp, nfev) in branch_results:
        priced = _price(target, yp, tp)
        rows["t_launch_tdb"].append(t)
        rows["branch"].append(np.full(t.shape[0], name, dtype=object))
        rows["speed_km_s"].append(speed)
        rows["t_perigee_tdb"].append(tp)
        rows["solve_status"].append(np.array(SOLVE_NAMES, dtype=object)[status])
        rows["perigee_state"].append(yp)
        for key in ("total", "insertion", "plane_change", "circularization"):
            rows[f"{key}_km_s"].append(priced[key])
        rows["strategy"].append(priced["strategy"])
        rows["inclination_deg"].append(priced["inclination"])
        rows["raan_deg"].append(priced["raan"])
        rows["nfev"].append(nfev)
    return ScanResult(**{k: np.concatenate(v) for k, v in rows.items()})


def _solve_one(problem: _Problem, t0: float, branch: float, guess: float = np.nan):
    """Speed solve at one epoch (through the batch kernel: one compiled entry point)."""

    speed, status, _oc, tp, yp, _nf = solve_speeds(
        np.array([float(t0)]), branch, problem.r_target, problem.speed_min, problem.speed_max,
        _SPEED_TOL, _PERIGEE_REL * problem.r_target, problem.site_body, problem.dir_body,
        problem.flight_time_max, problem.rtol, problem.atol, problem.params, problem.eph,
        _FAR_PERIGEE, np.array([float(guess)]))
    if status[0] != SOLVE_CONVERGED:
        return None
    return float(speed[0]), float(tp[0]), yp[0].copy()


def _coast_to_perigee(problem: _Problem, t0: float, y0: np.ndarray, t_max: float):
    """(perigee epoch, perigee state) of a coast in the ephemeris model, or None."""

    c = coast(forces.MODEL_EPHEMERIS, t0, y0, t_max, problem.params, problem.eph, problem.rtol,
              problem.atol, far_perigee_radius=_FAR_PERIGEE, store_steps=False)
    if c.status != "perigee":
        return None
    return c.t_final, c.y_final.copy()


def _objective(problem: _Problem, target, branch: float, guess: float):
    """total delta-v (km/s) as a function of the launch epoch; unsolved epochs cost +inf."""
    cache: dict[float, tuple] = {}

    def f(t0: float) -> float:
        if t0 not in cache:
            sol = _solve_one(problem, t0, branch, guess)
            if sol is None:
                cache[t0] = (math.inf, None)
            else:
                priced = _price(target, sol[2][None, :], np.array([sol[1]]))
                cache[t0] = (float(priced["total"][0]), sol)
        return cache[t0][0]

    return f, cache


def _rotate(vec: np.ndarray, axis: np.ndarray, angle: float) -> np.ndarray:
    """Rodrigues rotation of ``vec`` about the unit ``axis`` by ``angle`` (rad)."""
    c, s = math.cos(angle), math.sin(angle)
    return vec * c + np.cross(axis, vec) * s + axis * (axis @ vec) * (1.0 - c)


def _plane_turn(r: np.ndarray, v: np.ndarray, free: bool, normal: np.ndarray, pole: np.ndarray,
                cos_i: float) -> float | None:
    """Smallest turn (rad) of the orbit plane about ``r`` that reaches the target plane, or None.

    Fixed plane: only possible when ``r`` lies in it (a node); the turn is the angle between
    the two normals. Free RAAN: the turn giving ``n . pole = cos_i``.
    """
    rh = r / np.linalg.norm(r)
    h = np.cross(r, v)
    n = h / np.linalg.norm(h)
    m = np.cross(rh, n)                  # n(theta) = n cos(theta) + m sin(theta)
    if free:
        a, b = n @ pole, m @ pole
        amp = math.hypot(a, b)
        if amp < abs(cos_i):
            return None
        phi = math.atan2(b, a)
        d = math.acos(max(-1.0, min(1.0, cos_i / amp)))
        thetas = [(phi + d + math.pi) % (2 * math.pi) - math.pi,
                  (phi - d + math.pi) % (2 * math.pi) - math.pi]
        return min(thetas, key=abs)
    theta = math.atan2(m @ normal, n @ normal)
    return theta


def mid_course_correction(problem: _Problem, target, t_launch: float, speed: float, *,
                          samples: int = 240, max_iter: int = 12):
    """A mid-course correction that puts the perigee in the target plane at the target radius.

    1. **Guess** (two-body geometry on the coast): an impulse can only turn the orbit plane
       about the current radius vector, so a fixed target plane is reachable only at one of its
       nodes on the coast, and a free-RAAN plane (given inclination) where ``|declination| <=
       inclination``. Along the sampled coast the turn angle ``theta`` is computed and the
       impulse that rotates the velocity about the radius by ``theta``, of magnitude
       ``2 v_t sin(|theta| / 2)`` (``v_t`` the transverse speed), is priced; the cheapest point
       is kept. In two-body motion this leaves the perigee radius unchanged.
    2. **Differential correction** with the full force model: unknowns the impulse vector and
       its epoch, conditions at the next Earth perigee: radius = target perigee radius; the
       plane equals the target plane (two conditions) or, for a free RAAN, the inclination
       equals the target's (one). Damped Newton with minimum-norm (``lstsq``) steps on a
       forward-difference Jacobian.

    Returns
    -------
    (delta_v (3,), mcc_epoch, perigee_epoch, perigee_state (6,), converged, iterations) or None
        Epochs in TDB s past J2000, states in km, km/s.
    """
    r0, v0 = launch_state(float(t_launch), float(speed), problem.site_body, problem.dir_body,
                          problem.eph)
    y_launch = np.concatenate([r0, v0])
    t_max = float(t_launch) + problem.flight_time_max
    # the target plane moves (J2 drift, the mean Sun): take it at the arrival epoch
    arrival = _coast_to_perigee(problem, float(t_launch), y_launch, t_max)
    if arrival is None:
        return None
    t_p = arrival[0]

    def plane_at(t_arrival: float):
        plane = target.plane_arrays(np.array([t_arrival]))
        pole, normal, cos_i = plane.pole[0], plane.normal[0], plane.cos_inclination
        # a free RAAN with an (anti-)equatorial inclination is a fixed plane: n . pole = +-1
        # has a zero gradient at the solution, so constrain the components across the pole
        free = bool(target.free_raan) and abs(cos_i) < math.cos(math.radians(1.0))
        if target.free_raan and not free:
            normal = pole * (1.0 if cos_i > 0 else -1.0)
        if free:
            return free, pole, normal, cos_i, None, None
        u1 = np.cross(normal, pole if abs(normal @ pole) < 0.99 else np.array([1.0, 0, 0]))
        u1 /= np.linalg.norm(u1)
        return free, pole, normal, cos_i, u1, np.cross(normal, u1)

    free, pole, normal, cos_i, u1, u2 = plane_at(t_p)
    r_t = problem.r_target

    # --- 1. the nominal coast, sampled, and the cheapest plane turn on it ----------------------
    t_eval = np.linspace(t_launch + 0.01 * bodies.DAY, t_p - 0.01 * (t_p - t_launch), samples)
    prop = propagate.propagate(forces.MODEL_EPHEMERIS, float(t_launch), y_launch, float(t_eval[-1]),
                               problem.params, problem.eph, rtol=problem.rtol, atol=problem.atol,
                               t_eval=t_eval, store_steps=False)
    ys = prop.y_eval[:prop.n_eval]
    best = None
    prev_side = None
    for k in range(ys.shape[0]):
        r, v = ys[k, :3], ys[k, 3:]
        if free:
            theta = _plane_turn(r, v, True, normal, pole, cos_i)
        else:
            side = float(np.sign(normal @ r))
            theta = None
            if prev_side is not None and side != prev_side and k > 0:
                # node between samples k-1 and k: interpolate its position linearly
                g0, g1 = normal @ ys[k - 1, :3], normal @ r
                w = g0 / (g0 - g1)
                yk = ys[k - 1] + w * (ys[k] - ys[k - 1])
                r, v = yk[:3], yk[3:]
                theta = _plane_turn(r, v, False, normal, pole, cos_i)
                t_k = t_eval[k - 1] + w * (t_eval[k] - t_eval[k - 1])
            prev_side = side
        if theta is None:
            continue
        t_k = t_eval[k] if free else t_k
        rh = r / np.linalg.norm(r)
        dv = _rotate(v, rh, theta) - v
        mag = float(np.linalg.norm(dv))
        if best is None or mag < best[0]:
            best = (mag, float(t_k), dv)
    if best is None:
        return None
    _mag0, t_mcc, dv0 = best

    # --- 2. differential correction in the full model -----------------------------------------
    def state_at(t_m: float):
        p = propagate.propagate(forces.MODEL_EPHEMERIS, float(t_launch), y_launch, float(t_m),
                                problem.params, problem.eph, rtol=problem.rtol, atol=problem.atol,
                                store_steps=False)
        return None if p.status < 0 else p.y_final.copy()

    def residual(x: np.ndarray):
        t_m = t_mcc + x[3] * bodies.DAY
        if not (t_launch + 0.02 * bodies.DAY < t_m < t_max - 0.02 * bodies.DAY):
            return None
        y = state_at(t_m)
        if y is None:
            return None
        y[3:] += x[:3]
        arrival = _coast_to_perigee(problem, float(t_m), y, t_max)
        if arrival is None or arrival[0] <= t_m:
            return None
        tp, yp = arrival
        h = np.cross(yp[:3], yp[3:])
        n = h / np.linalg.norm(h)
        rad = (np.linalg.norm(yp[:3]) - r_t) / r_t
        free, pole, normal, cos_i, u1, u2 = plane_at(tp)
        if free:
            res = np.array([rad, n @ pole - cos_i])
        else:
            res = np.array([rad, n @ u1, n @ u2])
            if n @ normal < 0:          # the opposite sense of motion is not the target orbit
                res[1:] += np.sign(res[1:] + 1e-300) * 2.0
        return res, t_m, tp, yp

    x = np.concatenate([dv0, [0.0]])
    cur = residual(x)
    if cur is None:
        return None
    steps = np.array([1e-6, 1e-6, 1e-6, 1e-4])   # km/s, km/s, km/s, days
    for it in range(1, max_iter + 1):
        res = cur[0]
        if np.linalg.norm(res) < _MCC_TOL:
            return x[:3].copy(), cur[1], cur[2], cur[3], True, it - 1
        jac = np.empty((res.shape[0], 4))
        for k in range(4):
            d = np.zeros(4)
            d[k] = steps[k]
            trial = residual(x + d)
            if trial is None:
                d[k] = -steps[k]
                trial = residual(x + d)
                if trial is None:
                    return None
            jac[:, k] = (trial[0] - res) / d[k]
        step = np.linalg.lstsq(jac, -res, rcond=None)[0]
        scale = 1.0
        while scale > 1e-4:
            trial = residual(x + scale * step)
            if trial is not None and np.linalg.norm(trial[0]) < np.linalg.norm(res):
                break
            scale *= 0.5
        else:   # no descent left: converged if within the looser tolerance
            ok = bool(np.linalg.norm(res) < _MCC_ACCEPT)
            return x[:3].copy(), cur[1], cur[2], cur[3], ok, it
        x = x + scale * step
        cur = trial
    ok = bool(np.linalg.norm(cur[0]) < _MCC_ACCEPT)
    return x[:3].copy(), cur[1], cur[2], cur[3], ok, max_iter


def _dispersion(problem: _Problem, target, t0: float, speed: float, branch: float, launcher,
                n_samples: int, seed: int, y_nominal: np.ndarray):
    """Monte Carlo of launcher errors mapped linearly to the perigee, priced as corrections.

    Sensitivities of the perigee state to exit speed and to the two pointing angles come from
    finite differences of the full coast; each error sample's perigee deviation is removed by a
    correction costed as the change in the insertion budget (:func:`budget_arrays`).
    """

    sig_speed = float(launcher.speed_sigma.to_value("km/s"))
    sig_point = float(launcher.pointing_sigma.to_value("rad"))
    base_dir = problem.dir_body
    # two unit vectors perpendicular to the track direction (body frame)
    a = np.cross(base_dir, [0.0, 0.0, 1.0])
    if np.linalg.norm(a) < 1e-6:
        a = np.cross(base_dir, [1.0, 0.0, 0.0])
    a /= np.linalg.norm(a)
    b = np.cross(base_dir, a)

    def perigee(dspeed: float, da: float, db: float):
        d = base_dir + da * a + db * b
        d = np.ascontiguousarray(d / np.linalg.norm(d))
        d.setflags(write=False)      # the site's own arrays are read-only: same compiled code
        r0, v0 = launch_state(float(t0), float(speed + dspeed), problem.site_body, d,
                              problem.eph)
        return _coast_to_perigee(problem, float(t0), np.concatenate([r0, v0]),
                                 float(t0) + problem.flight_time_max)

    steps = (max(sig_speed, 1e-7), max(sig_point, 1e-8), max(sig_point, 1e-8))
    columns = []
    for k, h in enumerate(steps):
        dp = [0.0, 0.0, 0.0]
        dp[k] = h
        plus = perigee(*dp)
        dp[k] = -h
        minus = perigee(*dp)
        if plus is None or minus is None:
            return None
        columns.append((plus[1] - minus[1]) / (2 * h))
    jac = np.column_stack(columns)                       # d(perigee state) / d(errors)
    base_total = float(budget_arrays(y_nominal[:3], y_nominal[3:], t0, target).total[0])

    def correction(samples: np.ndarray) -> np.ndarray:
        ys = y_nominal[None, :] + samples @ jac.T
        tot = budget_arrays(ys[:, :3], ys[:, 3:], np.full(len(ys), t0), target).total
        return np.abs(tot - base_total)

    margin = dispersion_margin(correction, [sig_speed, sig_point, sig_point],
                               n_samples=n_samples, seed=seed)
    # perigee dispersion (linear): position covariance J_r diag(sigma^2) J_r^T
    sig = np.array([sig_speed, sig_point, sig_point])
    jr = jac[:3] * sig[None, :]
    r_hat = y_nominal[:3] / np.linalg.norm(y_nominal[:3])
    info = {
        "speed_sigma_m_s": sig_speed * 1e3,
        "pointing_sigma_deg": float(np.degrees(sig_point)),
        "source": getattr(launcher, "sigma_source", "given"),
        "perigee_radius_sigma_km": float(np.linalg.norm(r_hat @ jr)),
        "perigee_position_sigma_km": float(np.sqrt(np.sum(jr * jr))),
        "correction_mean_km_s": float(margin.mean.to_value("km/s")),
        "correction_margin_km_s": float(margin.margin.to_value("km/s")),
    }
    return margin, info


def _shot_energy(launcher, speed: float, mass: float):
    """Energy of one shot (J) and the launcher's energy account of it.

    With a coilgun configured: the bank energy drawn at the charge that gives ``speed``
    (:func:`massdriver.coilgun.charge_for_speed`) and that shot's energy account
    (:func:`massdriver.coilgun_losses.energy_account`, with ``charge_fraction``, the scale
    on the configured voltages); else the payload's kinetic energy and None."""

    if getattr(launcher, "coilgun", None) is not None:
        from massdriver.coilgun import charge_for_speed

        charge = charge_for_speed(launcher.coilgun, mass * u.kg, speed * u.km / u.s)
        account = None
        if charge.shot.energy is not None:
            account = {"charge_fraction": float(charge.scale), **charge.shot.energy}
        return charge.shot.energy_drawn.to(u.J), account
    return (0.5 * mass * (speed * 1e3) ** 2) * u.J, None


def _windows_from_runs(ok: np.ndarray) -> list[tuple[int, int]]:
    runs, start = [], None
    for i, flag in enumerate(ok):
        if flag and start is None:
            start = i
        if not flag and start is not None:
            runs.append((start, i - 1))
            start = None
    if start is not None:
        runs.append((start, len(ok) - 1))
    return runs


def _extend_past_edges(problem: _Problem, t: np.ndarray, target, branches: tuple[str, ...],
                       result: ScanResult, thr: float, ephemeris,
                       progress: Callable[..., None]) -> tuple[np.ndarray, ScanResult, int]:
    """Scan past the span's edges where a window touches them, so its minimum is found.

    A run of grid epochs under the threshold that starts at the first (ends at the last) epoch
    may continue outside the span; its refined minimum and its edges would then be artefacts of
    the scan's limits. Such a run's length (the longest over the branches) is scanned again
    before (after) the span, once, inside the ephemeris coverage. Runs that still touch the
    extended grid's edges are reported as truncated.

    Returns
    -------
    t : ndarray
        The extended grid (TDB s).
    result : ScanResult
        The scan on it (every branch in time order).
    first : int
        Index in ``t`` of the span's first epoch (the number of epochs added before it).
    """
    n = t.shape[0]
    if n < 2:
        return t, result, 0
    step = float(t[1] - t[0])
    before = after = 0
    for name in branches:
        tot = result.total_km_s[result.branch == name]
        for i0, i1 in _windows_from_runs(np.isfinite(tot) & (tot < thr)):
            if i0 == 0:
                before = max(before, i1 - i0 + 1)
            if i1 == n - 1:
                after = max(after, i1 - i0 + 1)
    cover = ephemeris.coverage
    t_before = t[0] - step * np.arange(before, 0, -1, dtype=np.float64)
    t_before = t_before[t_before >= cover.start_seconds]
    t_after = t[-1] + step * np.arange(1, after + 1, dtype=np.float64)
    t_after = t_after[t_after + problem.flight_time_max <= cover.stop_seconds]
    if t_before.size == 0 and t_after.size == 0:
        return t, result, 0
    progress(0, (t_before.size + t_after.size) * len(branches))
    parts = [(t_before, None), (t, result), (t_after, None)]
    todo = [(problem, tp, target, branches) for tp, r in parts if r is None and tp.size]
    scanned = iter(scan_many(todo, progress))
    parts = [(tp, r if r is not None else next(scanned)) for tp, r in parts if tp.size]
    pieces = [(r, np.nonzero(r.branch == name)[0]) for name in branches for _tp, r in parts]
    joined = ScanResult(**{key: np.concatenate([getattr(r, key)[i] for r, i in pieces])
                           for key in ScanResult.__dataclass_fields__})
    return np.concatenate([tp for tp, _r in parts]), joined, int(t_before.size)


def _refine_window(problem: _Problem, target, launcher, result: ScanResult, t: np.ndarray,
                   sel: np.ndarray, i0: int, i1: int, name: str, thr: float, mass: float,
                   mid_course: bool, dispersion_samples: int, seed: int) -> LaunchWindow:
    """Refine the grid run ``t[i0..i1]`` of one branch (rows ``sel`` of ``result``) into a
    :class:`LaunchWindow`: the minimum by ``minimize_scalar``, the edges by ``brentq``, then
    the best epoch's budget with the mid-course correction and the dispersion margin. A run
    touching the grid's first (last) epoch keeps that epoch as its edge and is flagged
    ``truncated_start`` (``truncated_end``)."""


    n = t.shape[0]
    tot = result.total_km_s[sel]
    b = BRANCHES[name]
    k = i0 + int(np.nanargmin(tot[i0:i1 + 1]))
    guess = float(result.speed_km_s[sel][k])
    f, cache = _objective(problem, target, b, guess)
    lo = t[max(k - 1, i0)]
    hi = t[min(k + 1, i1)]
    opt = {"converged": True, "message": "grid minimum", "nfev": 0}
    t_best = t[k]
    if hi > lo:
        res = optimize.minimize_scalar(f, bounds=(lo, hi), method="bounded",
                                       options={"xatol": 1.0})
        opt = {"converged": bool(res.success), "message": str(res.message),
               "nfev": int(res.nfev)}
        if res.success and math.isfinite(res.fun) and res.fun <= tot[k]:
            t_best = float(res.x)
    if not math.isfinite(f(t_best)):
        t_best = float(t[k])
        opt["converged"] = False
        opt["message"] += "; kept the grid epoch"
    if cache.get(t_best, (0, None))[1] is None:
        # the solve at the mission tolerance failed here too: report the scan's own
        # solution (scan tolerances, docs/windows.md) and say so
        opt["converged"] = False
        opt["message"] += "; reports the scan's solution (scan tolerances)"
        j = sel[k]
        cache[t_best] = (float(tot[k]), (float(result.speed_km_s[j]),
                                         float(result.t_perigee_tdb[j]),
                                         result.perigee_state[j].copy()))
    speed, tp, yp = cache[t_best][1]

    def edge(ta: float, tb: float) -> float:
        def g(x: float) -> float:
            return min(f(x), 1e3) - thr
        try:
            return float(optimize.brentq(g, ta, tb, xtol=1.0))
        except ValueError:
            return tb
    t_open = t[i0] if i0 == 0 else edge(t[i0 - 1], t[i0])
    t_close = t[i1] if i1 == n - 1 else edge(t[i1 + 1], t[i1])

    uncorrected = delta_v_budget(yp[:3] * u.km, yp[3:] * u.km / u.s, from_tdb_seconds(tp), target)
    disp = _dispersion(problem, target, t_best, speed, b, launcher, dispersion_samples, seed, yp)
    disp_info = None
    if disp is not None:
        disp, disp_info = disp
    margin = disp.margin if disp is not None else 0.0 * u.km / u.s
    budget = delta_v_budget(yp[:3] * u.km, yp[3:] * u.km / u.s, from_tdb_seconds(tp), target,
                            margin=margin)
    mcc_obj = None
    if mid_course:
        sol = mid_course_correction(problem, target, t_best, speed)
        if sol is not None and sol[4]:
            dv, t_m, tpc, ypc, conv, its = sol
            mag = float(np.linalg.norm(dv))
            mcc_obj = MidCourseCorrection(
                epoch=from_tdb_seconds(t_m),
                time_after_launch=((t_m - t_best) / bodies.DAY) * u.day,
                delta_v=dv * u.km / u.s, magnitude=mag * u.km / u.s, converged=conv,
                iterations=its)
            budget = budget_with_mcc(ypc[:3] * u.km, ypc[3:] * u.km / u.s, from_tdb_seconds(tpc),
                                     target, mag * u.km / u.s, uncorrected=uncorrected,
                                     margin=margin)
    energy, account = _shot_energy(launcher, speed, mass)
    return LaunchWindow(
        open=from_tdb_seconds(t_open).utc, close=from_tdb_seconds(t_close).utc,
        best_epoch=from_tdb_seconds(t_best).utc, branch=name, speed=speed * u.km / u.s,
        time_of_flight=((tp - t_best) / bodies.DAY) * u.day,
        perigee=perigee_arrival_from_state(tp, t_best, yp), budget=budget, mid_course=mcc_obj,
        energy_per_shot=energy, optimizer=opt,
        truncated_start=i0 == 0, truncated_end=i1 == n - 1, dispersion=disp_info,
        launcher_energy=account)


def _no_solution_hint(problem: _Problem, site, t: np.ndarray) -> str:
    """Why no exit speed reaches the target perigee, and what to try.

    Shoots a few epochs of the grid at speeds across the launcher's range (scan tolerances) and
    summarises where those coasts went: their lowest perigee, how many fell back to the Moon or
    escaped. The advice follows from that: a perigee that stays high means the track points the
    coast away from the Earth (turn or tilt it); shots falling back mean too little speed.
    """

    epochs = t[np.unique(np.linspace(0, t.shape[0] - 1, min(8, t.shape[0])).astype(int))]
    speeds = np.linspace(problem.speed_min, problem.speed_max, 5)
    y_stop = np.empty(6)
    perigees, fell, escaped = [], 0, 0
    for t0 in epochs:
        for w in speeds:
            q, outcome, _t, _nfev = signed_perigee(
                float(t0), float(w), problem.site_body, problem.dir_body,
                problem.flight_time_max, problem.scan_rtol, problem.scan_atol, problem.params,
                problem.eph, _FAR_PERIGEE, y_stop)
            if outcome == OUTCOME_MOON_IMPACT:
                fell += 1
            elif outcome == OUTCOME_ESCAPE:
                escaped += 1
            elif math.isfinite(q):
                perigees.append(q * q)
    shots = epochs.size * speeds.size
    r_target_alt = problem.r_target - bodies.R_EARTH
    facts = [f"{shots} sample shots at {problem.speed_min:.2f}-{problem.speed_max:.2f} km/s"]
    if perigees:
        facts.append(f"lowest perigee {min(perigees) - bodies.R_EARTH:,.0f} km altitude "
                     f"(target {r_target_alt:,.0f} km)")
    if fell:
        facts.append(f"{fell} fell back to the Moon")
    if escaped:
        facts.append(f"{escaped} escaped")
    tries = []
    if fell and not escaped:
        tries.append("raise [launcher] speed_max (the slower shots fall back to the Moon)")
    elif escaped and not fell:
        tries.append("lower [launcher] speed_min (the faster shots escape the Earth-Moon system)")
    track = site.describe()
    tries.append(f"tilt the track up: [site] elevation (now {track['elevation_deg']:g} deg; off "
                 "the lunar equator a track tilted 15-30 deg can open windows no level track has)")
    tries.append(f"turn it: [site] azimuth (now {track['azimuth_deg']:g} deg; the coast falls to "
                 "the Earth only when the speed left after lunar escape points against the "
                 "Moon's orbital motion, toward selenographic longitude 90 E: eastward tracks "
                 "on the western near side do this)")
    if bool(fell) == bool(escaped):
        tries.append("widen [launcher] speed_min/speed_max")
    tries.append("or let `massdriver aim MISSION.toml --out DIR` search azimuth and elevation "
                 "for this site and target (docs/aim.md)")
    return ("no window: no exit speed in the launcher's range reaches the target perigee at "
            "any grid epoch (" + "; ".join(facts) + "). Try: " + "; ".join(tries) + ".")


def solve(site, target, start, span, *, threshold, launcher=None, step=None,
          rtol: float = 1e-10, max_flight_time=None, branches=("prograde", "retrograde"),
          mid_course: bool = True, dispersion_samples: int = 2000, seed: int = 0,
          ephemeris=None, mission=None, progress: Callable[[int, int], None] | None = None,
          ) -> Plan:
    """Find the launch windows of a mission.

    Parameters
    ----------
    site : massdriver.site.LaunchSite
        Track on the Moon.
    target : massdriver.targets.TargetOrbit
        Earth orbit to reach; its perigee radius is the arrival perigee radius solved for.
    start : astropy.time.Time
        First launch epoch.
    span : astropy.units.Quantity
        Length of the scan (time).
    threshold : astropy.units.Quantity
        Total delta-v under which an epoch belongs to a window (km/s).
    launcher : massdriver.config.LauncherSpec, optional
        Speed range and error sigmas (default 2.30-2.80 km/s, 1000 kg, 0.05 m/s, 0.001 deg).
    step : astropy.units.Quantity, optional
        Grid spacing (default 60 min).
    rtol : float
        DOP853 relative tolerance of every coast behind a window (edges, best epoch, MCC,
        dispersion); the grid scan runs at ``max(rtol, SCAN_RTOL)`` and accepts perigees within
        ``2e-6`` of the target radius (docs/windows.md, "Scan tolerances").
    max_flight_time : astropy.units.Quantity, optional
        Longest coast (default 8 days).
    branches : tuple of str
        Which arrival branches to solve: ``"prograde"``, ``"retrograde"``.
    mid_course : bool
        Price the mid-course-correction strategy for each window.
    dispersion_samples, seed : int
        Monte Carlo samples and seed of the dispersion margin.
    ephemeris : massdriver.ephemeris.Ephemeris, optional
    mission : massdriver.config.MissionConfig, optional
        Kept in the plan as the inputs.
    progress : callable, optional
        ``progress(done, total)`` in grid evaluations.

    Returns
    -------
    Plan
    """


    if launcher is None:
        launcher = LauncherSpec(speed_min=2.30 * u.km / u.s, speed_max=2.80 * u.km / u.s,
                                payload_mass=1000 * u.kg, speed_sigma=0.05 * u.m / u.s,
                                pointing_sigma=1e-3 * u.deg)
    for name in branches:
        if name not in BRANCHES:
            raise InputError(f"branch {name!r}: must be one of {', '.join(BRANCHES)}")
    step_s = float((step if step is not None else 60 * u.min).to_value(u.s))
    span_s = float(u.Quantity(span).to_value(u.s))
    thr = float(u.Quantity(threshold).to_value(u.km / u.s))
    if not (span_s > 0 and step_s > 0 and math.isfinite(span_s) and math.isfinite(step_s)):
        raise InputError("span and step must be positive and finite")
    if step_s > span_s:
        raise InputError(f"step ({step_s:g} s) must not exceed the span ({span_s:g} s)")
    if not (thr > 0 and math.isfinite(thr)):
        raise InputError(f"threshold = {threshold}: must be a positive speed")
    tof_s = float((max_flight_time if max_flight_time is not None else 8 * u.day)
                  .to_value(u.s))
    ephemeris = ephemeris or Ephemeris()
    t_start = float(to_tdb_seconds(start))
    n = scan_epoch_count(span_s * u.s, step_s * u.s)
    t = t_start + step_s * np.arange(n)
    problem = _problem(site, target, launcher, rtol, tof_s, ephemeris, t[0], t[-1])

    n_user = n
    total_evals = [n * len(branches)]
    done = [0]

    def tick(k: int, more: int = 0) -> None:
        done[0] += k
        total_evals[0] += more
        if progress is not None:
            progress(done[0], total_evals[0])

    _log.info("scanning %d epochs x %d branch(es) from %s UTC, step %.1f min", n,
              len(branches), from_tdb_seconds(t_start).utc.isot, step_s / 60.0)
    result = scan(problem, t, target, tuple(branches), progress=tick)
    t, result, first = _extend_past_edges(problem, t, target, tuple(branches), result, thr,
                                          ephemeris, tick)
    n = t.shape[0]
    mass = float(launcher.payload_mass.to_value(u.kg))

    windows = []
    for name in branches:
        sel = np.nonzero(result.branch == name)[0]
        tot = result.total_km_s[sel]
        for i0, i1 in _windows_from_runs(np.isfinite(tot) & (tot < thr)):
            if i1 < first or i0 > first + n_user - 1:
                continue        # wholly in the extension: outside the span the user asked for
            windows.append(_refine_window(problem, target, launcher, result, t, sel, i0, i1,
                                          name, thr, mass, mid_course, dispersion_samples, seed))
    windows.sort(key=lambda w: w.best_epoch.jd)
    _log.info("%d window(s) under %.3f km/s", len(windows), thr)

    message = ""
    if not windows:
        tot = result.total_km_s
        if np.any(np.isfinite(tot)):
            k = int(np.nanargmin(tot))
            message = (f"no window under {thr:.3f} km/s: the lowest total on the grid is "
                       f"{tot[k]:.3f} km/s at {from_tdb_seconds(t[k % n]).utc.isot} UTC "
                       f"({result.branch[k]} branch)")
        else:
            message = _no_solution_hint(problem, site, t)
    inputs = {
        "site": site.describe(),
        "target": target.describe(),
        "start_utc": from_tdb_seconds(t_start).utc.isot,
        "span_days": span_s / bodies.DAY,
        "step_minutes": step_s / 60.0,
        "threshold_km_s": thr,
        "speed_range_km_s": [problem.speed_min, problem.speed_max],
        "model": f"ephemeris ({ephemeris.name}: Earth, Moon, Sun, Earth J2, lunar J2/C22)",
        "rtol": rtol,
        "scan_rtol": problem.scan_rtol,
        "branches": list(branches),
        "scan_extension_epochs": [int(first), int(n - first - n_user)],
    }
    return Plan(windows=tuple(windows), scan=result, mission=mission, inputs=inputs,
                version=massdriver.__version__, message=message)


def scan_epochs(site, target, launcher, epochs_tdb, *, rtol: float = 1e-10,
                max_flight_time=None, branches=("prograde", "retrograde"), ephemeris=None,
                progress: Callable[[int], None] | None = None) -> ScanResult:
    """Solve and price given launch epochs, as the grid scan of :func:`solve` does.

    The public entry to the scan for callers that choose their own epochs (the throughput
    planner prices a year in time blocks; a single epoch is an individually solved shot).

    Parameters
    ----------
    site : massdriver.site.LaunchSite
    target : massdriver.targets.TargetOrbit
    launcher : massdriver.mission.LauncherSpec
        Its speed range is used.
    epochs_tdb : array_like (n,)
        Launch epochs, TDB seconds past J2000 (float64).
    rtol : float
        As :func:`solve` (the scan runs at ``max(rtol, SCAN_RTOL)``).
    max_flight_time : astropy.units.Quantity, optional
        Longest coast (default 8 days).
    branches : tuple of str
    ephemeris : massdriver.ephemeris.Ephemeris, optional
    progress : callable, optional
        ``progress(k)`` after each chunk of ``k`` epochs.

    Returns
    -------
    ScanResult
    """


    t = np.ascontiguousarray(np.atleast_1d(np.asarray(epochs_tdb, dtype=np.float64)))
    if t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(t)):
        raise InputError("epochs_tdb: give a non-empty 1-D array of finite TDB seconds")
    for name in branches:
        if name not in BRANCHES:
            raise InputError(f"branch {name!r}: must be one of {', '.join(BRANCHES)}")
    tof_s = float(u.Quantity(max_flight_time if max_flight_time is not None else 8 * u.day)
                  .to_value(u.s))
    problem = _problem(site, target, launcher, rtol, tof_s, ephemeris or Ephemeris(),
                       float(t.min()), float(t.max()))
    return scan(problem, t, target, tuple(branches), progress=progress)


def solve_mission(mission, *, progress: Callable[[int, int], None] | None = None) -> Plan:
    """:func:`solve` with the inputs of a mission file (``massdriver solve`` and ``windows``).

    Parameters
    ----------
    mission : massdriver.mission.MissionConfig
        E.g. from :func:`massdriver.config.load_mission`; its ``search`` gives the span, grid,
        threshold, tolerance and longest flight.
    progress : callable, optional
        ``progress(done, total)`` in grid evaluations.

    Returns
    -------
    Plan
        With ``mission`` kept as its inputs.

    Raises
    ------
    massdriver.errors.InputError
        For a mission with ``azimuth``/``elevation = "auto"``: use
        :func:`massdriver.aim.solve_mission`, which chooses the track first.
    """
    if getattr(mission, "auto_track", ()):
        raise InputError(f"site.{mission.auto_track[0]} = \"auto\": choose the track first "
                         "(massdriver.aim.solve_mission runs the track search, then this)")
    s = mission.search
    plan = solve(mission.site, mission.target, s.start, s.span, threshold=s.threshold,
                 launcher=mission.launcher, step=s.step, rtol=s.rtol,
                 max_flight_time=s.max_flight_time, mid_course=mission.mid_course,
                 mission=mission, progress=progress)
    if getattr(mission, "satellite", None) is not None:
        from massdriver.arrival import price_plan
        plan = price_plan(plan, mission.target, mission.satellite, mission.arrival)
    return plan
