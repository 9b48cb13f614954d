"""What an export writes for one launch window: the sampled coast and its burns.

An :class:`ExportCase` is built either from a solved run directory (``massdriver solve ... --out
DIR`` writes ``plan.json`` and ``mission.toml``: :func:`cases_from_run`) or from the library
objects (a :class:`~massdriver.windows.Plan` or :class:`~massdriver.windows.LaunchWindow` and the
launch site: :func:`cases_from_plan`). Either way the window's shot is fired again with
:func:`massdriver.trajectory.shoot` (same site, epoch, exit speed, tolerance and flight-time
limit as the solve), and its states at a regular step come from the integrator's dense output
(``shoot(..., t_eval=...)``), not from an interpolation of stored steps.

The burns
---------
``mcc``
    The mid-course correction (epoch and ICRF vector from the plan), when the window's
    cheapest strategy is ``mid_course_correction``. The exported coast then ends at the
    *uncorrected* perigee, as the plan's ``perigee``; the files say so.
the Earth burns
    Every manoeuvre of the window's strategy (``perigee_burn`` or ``high_ellipse``; after a
    mid-course correction, the cheaper of the two at the corrected perigee) with its epoch and
    ICRF vector, built by :func:`massdriver.export.burns.plan_burns` from the arrival state
    and the mission's target: ``insertion`` (and ``apsis``, ``plane_trim``) or ``capture``,
    ``plane_change``, ``lowering`` (and ``apsis``). Without a target (``cases_from_plan``
    with plain arguments and no ``target=``) only the ``insertion``: at the perigee, along
    the anti-velocity, of the budget's ``insertion`` magnitude.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import astropy.units as u
import numpy as np
from astropy.time import Time

from massdriver.budget import STRATEGIES, ArrivalState, budget_arrays, propellant_mass
from massdriver.config import load_mission
from massdriver.errors import InputError
from massdriver.export.burns import plan_burns
from massdriver.timescales import from_tdb_seconds, to_tdb_seconds
from massdriver.trajectory import shoot
from massdriver.windows import LaunchWindow

__all__ = ["Burn", "ExportCase", "cases_from_run", "cases_from_plan", "case_from_window",
           "read_run", "select_windows", "DEFAULT_STEP", "DEFAULT_ISP"]

#: default sampling step of the exported coast (s)
DEFAULT_STEP = 60.0
#: specific impulse assumed for the burns' propellant mass when none is given (s): a storable
#: bipropellant engine; only MAN_DELTA_MASS in the OPM and the GMAT tank depend on it
DEFAULT_ISP = 320.0


@dataclass(frozen=True)
class Burn:
    """An impulsive burn.

    Attributes
    ----------
    name : str
        ``"mcc"`` or ``"insertion"``.
    epoch : astropy.time.Time
        When (TDB).
    delta_v : astropy.units.Quantity
        Vector, ICRF axes (km/s), shape (3,).
    delta_mass : astropy.units.Quantity
        Propellant used (kg, negative), by the rocket equation with the case's ``isp``.
    description : str
        What the burn is, for the files' comments.
    """

    name: str
    epoch: Any
    delta_v: Any
    delta_mass: Any
    description: str

    @property
    def magnitude(self):
        """``|delta_v|`` (km/s)."""
        return float(np.linalg.norm(self.delta_v.to_value(u.km / u.s))) * u.km / u.s


@dataclass(frozen=True)
class ExportCase:
    """One window ready to write.

    Attributes
    ----------
    name : str
        ``window_N`` (N from 1, launch order) — the stem of its files.
    mission_name : str
    index : int
        Window index in the plan (0-based).
    trajectory : massdriver.trajectory.Trajectory
        The re-fired shot; ``trajectory.samples`` holds the states at ``step``.
    step : astropy.units.Quantity
        Sampling step (s).
    times, positions, velocities
        The exported states: the samples, then the coast's end (the perigee) if it falls
        between two samples (TDB ``Time``, km, km/s).
    burns : tuple of Burn
        In time order.
    budget : dict
        The window's budget (``plan.json`` form: ``*_km_s`` keys).
    mass : astropy.units.Quantity
        Spacecraft mass before the first burn (the launcher's payload mass, kg).
    isp : astropy.units.Quantity
        Specific impulse behind the burns' ``delta_mass`` (s).
    """

    name: str
    mission_name: str
    index: int
    trajectory: Any
    step: Any
    times: Any
    positions: Any
    velocities: Any
    burns: tuple
    budget: dict
    mass: Any
    isp: Any

    @property
    def arrival(self):
        """The arrival perigee (:class:`~massdriver.trajectory.PerigeeArrival`)."""
        return self.trajectory.perigee

    @property
    def times_tdb_seconds(self) -> np.ndarray:
        """``times`` as TDB seconds past J2000."""
        return np.asarray(to_tdb_seconds(self.times), dtype=np.float64)


def _seconds(value, name: str) -> float:
    try:
        x = float(u.Quantity(value, u.s).to_value(u.s))
    except (TypeError, ValueError, u.UnitsError):
        raise InputError(f"{name} = {value!r}: expected a time, e.g. 60 s") from None
    if not math.isfinite(x) or x <= 0.0:
        raise InputError(f"{name} = {value}: must be a finite positive time")
    return x


def _earth_burns(traj, window, budget, target, site, epoch, speed, days, rtol, ephemeris):
    """(strategy, arrival, burns) of the window's Earth manoeuvres
    (:func:`massdriver.export.burns.plan_burns`).

    Without a mid-course correction: the plan's strategy at the coast's perigee. With one: the
    coast is fired again to the correction's epoch, the correction applied, the corrected coast
    propagated to its perigee (:func:`massdriver.propagate`, the same force model), and the
    cheaper strategy there priced by the budget kernel is the one built.
    """
    strategy = budget.get("strategy")
    mcc = window.get("mid_course")
    p = traj.perigee
    arrival = ArrivalState(p.position, p.velocity, p.epoch)
    capture = budget.get("capture_apoapsis_radius_km")
    if strategy == "mid_course_correction" and mcc is not None:
        from massdriver.propagation import propagate

        t_mcc = Time(mcc["epoch_tdb"], scale="tdb")
        coast_days = float((t_mcc.tdb - epoch.tdb).to_value(u.day))
        before = shoot(site, epoch, speed, days=coast_days, rtol=rtol, ephemeris=ephemeris)
        v_new = before.velocities[-1] + np.asarray(mcc["delta_v_km_s"]) * u.km / u.s
        after = propagate((before.positions[-1], v_new), t_mcc, days - coast_days,
                          events=["perigee"], rtol=rtol, ephemeris=ephemeris)
        if after.status != "perigee":
            raise InputError(f"the corrected coast ends with {after.status!r}, not at a "
                             "perigee; no Earth burns to export")
        arrival = ArrivalState(after.positions[-1], after.velocities[-1], after.times[-1])
    r = arrival.position.to_value(u.km)
    v = arrival.velocity.to_value(u.km / u.s)
    t = float(to_tdb_seconds(arrival.epoch))
    if strategy not in STRATEGIES or capture is None:
        priced = budget_arrays(r, v, t, target)
        k = int(priced.best[0]) if strategy not in STRATEGIES else STRATEGIES.index(strategy)
        strategy = STRATEGIES[k]
        capture = float(priced.capture_apoapsis_radius[0])
    return strategy, arrival, plan_burns(r, v, t, target, strategy,
                                         capture_apoapsis_radius=float(capture))


def case_from_window(window: dict, index: int, site, *, days: float, rtol: float,
                     mass, step=DEFAULT_STEP, isp=DEFAULT_ISP, mission_name: str = "massdriver",
                     ephemeris=None, target=None) -> ExportCase:
    """Fire a window's shot again and sample it.

    Parameters
    ----------
    window : dict
        The window in ``plan.json`` form (``LaunchWindow.to_dict()``).
    index : int
        Its index in the plan (0-based).
    site : massdriver.site.LaunchSite
    days : float
        Longest coast (days), as the solve's ``max_flight_time``.
    rtol : float
        Integrator tolerance, as the solve's ``search.rtol``.
    mass : astropy.units.Quantity
        Spacecraft mass at launch (kg).
    step : astropy.units.Quantity or float
        Sampling step (s).
    isp : astropy.units.Quantity or float
        Specific impulse for the burns' propellant (s).
    mission_name : str
    ephemeris : massdriver.ephemeris.Ephemeris, optional
    target : massdriver.targets.TargetOrbit, optional
        The mission's target: every manoeuvre of the window's strategy is then a burn
        (:mod:`massdriver.export.burns`); without it only the capture part of the insertion.

    Returns
    -------
    ExportCase

    Raises
    ------
    InputError
        Bad step, Isp or mass, or the re-fired shot does not reach a perigee.
    """
    step_s = _seconds(step, "step")
    isp_s = _seconds(isp, "isp")
    try:
        mass_kg = float(u.Quantity(mass, u.kg).to_value(u.kg))
    except (TypeError, ValueError, u.UnitsError):
        raise InputError(f"mass = {mass!r}: expected a mass, e.g. 1000 kg") from None
    if not (math.isfinite(mass_kg) and mass_kg > 0.0):
        raise InputError(f"mass = {mass!r}: must be a finite positive mass")
    try:
        epoch = Time(window["best_tdb"], scale="tdb")
        speed = float(window["speed_km_s"]) * u.km / u.s
        budget = dict(window["budget"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"window {index + 1}: missing or bad field in the plan ({exc})") \
            from None
    n = int(days * 86400.0 // step_s) + 1
    t_eval = epoch + (np.arange(n) * step_s) * u.s
    traj = shoot(site, epoch, speed, days=days, rtol=rtol, ephemeris=ephemeris,
                 t_eval=t_eval)
    if traj.status != "perigee" or traj.samples is None:
        raise InputError(f"window {index + 1}: the shot fired again ends with "
                         f"{traj.status!r}, not at a perigee; nothing to export")
    s = traj.samples
    t_s = np.asarray((s.times.tdb - epoch.tdb).to_value(u.s)) if len(s.times) else np.empty(0)
    r = s.positions.to_value(u.km)
    v = s.velocities.to_value(u.km / u.s)
    tof = float((traj.times[-1].tdb - epoch.tdb).to_value(u.s))
    if t_s.size == 0 or tof - t_s[-1] > 1e-6:      # the perigee between two samples
        t_s = np.append(t_s, tof)
        r = np.vstack([r, traj.positions[-1].to_value(u.km)])
        v = np.vstack([v, traj.velocities[-1].to_value(u.km / u.s)])
    times = from_tdb_seconds(float(to_tdb_seconds(traj.launch_epoch)) + t_s)

    burns = []
    m_now = mass_kg * u.kg

    def burn(name, at, dv_km_s, text):
        nonlocal m_now
        dv = np.asarray(dv_km_s, dtype=np.float64) * u.km / u.s
        dm = propellant_mass(float(np.linalg.norm(dv_km_s)) * u.km / u.s, isp_s * u.s,
                             wet_mass=m_now)
        m_now = m_now - dm
        burns.append(Burn(name, at, dv, -dm, text))

    mcc = window.get("mid_course")
    if budget.get("strategy") == "mid_course_correction" and mcc is not None:
        burn("mcc", Time(mcc["epoch_tdb"], scale="tdb"), mcc["delta_v_km_s"],
             "mid-course correction (plan's ICRF vector); the exported coast is the "
             "uncorrected one")
    p = traj.perigee
    if target is None:                          # no target given: the capture part only
        v_p = p.velocity.to_value(u.km / u.s)
        ins = float(budget.get("insertion_km_s", 0.0))
        burn("insertion", p.epoch,
             -ins * v_p / np.linalg.norm(v_p),
             "Earth orbit insertion at the arrival perigee, anti-velocity, budget 'insertion' "
             "(the capture burn as if coplanar; no target given for the other burns)")
    else:
        strategy, arrival, planned = _earth_burns(
            traj, window, budget, target, site, epoch, speed, days, rtol, ephemeris)
        t_arrival = float(to_tdb_seconds(arrival.epoch))
        for b in planned:
            burn(b.name, from_tdb_seconds(t_arrival + b.dt), b.delta_v,
                 f"{strategy}, {b.description}")
    burns.sort(key=lambda b: float(to_tdb_seconds(b.epoch)))
    return ExportCase(
        name=f"window_{index + 1}", mission_name=mission_name, index=index, trajectory=traj,
        step=step_s * u.s, times=times, positions=r * u.km, velocities=v * u.km / u.s,
        burns=tuple(burns), budget=budget, mass=mass_kg * u.kg, isp=isp_s * u.s)


def _best_index(windows: list[dict]) -> int:
    return min(range(len(windows)), key=lambda k: float(windows[k]["budget"]["total_km_s"]))


def _select(windows: list[dict], all_windows: bool) -> list[int]:
    if not windows:
        raise InputError("the plan has no launch window: nothing to export")
    return list(range(len(windows))) if all_windows else [_best_index(windows)]


def read_run(run_dir: str | Path) -> tuple[list[dict], Path]:
    """The windows of a solved run directory (``plan.json`` form) and its mission file path.

    Raises
    ------
    InputError
        Not a run directory or an unreadable plan.
    """
    d = Path(run_dir)
    if not d.is_dir():
        raise InputError(f"{d}: not a directory (expected the --out directory of a solve)")
    for name in ("plan.json", "mission.toml"):
        if not (d / name).is_file():
            raise InputError(f"{d}: no {name} here (run 'massdriver solve MISSION.toml "
                             f"--out {d}' first)")
    try:
        plan = json.loads((d / "plan.json").read_text())
        windows = list(plan["windows"])
        for w in windows:
            float(w["budget"]["total_km_s"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{d / 'plan.json'}: not a massdriver plan ({exc!r})") from None
    return windows, d / "mission.toml"


def select_windows(windows: list[dict], all_windows: bool = False) -> list[int]:
    """Indices of the windows to export: all of them, or the best (least total delta-v)."""
    return _select(windows, all_windows)


def cases_from_run(run_dir: str | Path, *, all_windows: bool = False, step=DEFAULT_STEP,
                   isp=DEFAULT_ISP, ephemeris=None) -> list[ExportCase]:
    """Export cases from a solved run directory (``plan.json`` and ``mission.toml``).

    Parameters
    ----------
    run_dir : path
        The ``--out`` directory of ``massdriver solve``.
    all_windows : bool
        Every window (default: the best one, least total delta-v).
    step, isp, ephemeris
        As in :func:`case_from_window`.

    Returns
    -------
    list of ExportCase

    Raises
    ------
    InputError
        Not a run directory, unreadable plan, no window.
    """
    windows, mission_file = read_run(run_dir)
    idx = _select(windows, all_windows)
    mission = load_mission(mission_file)
    return [_case(windows[i], i, mission, step, isp, ephemeris) for i in idx]


def _case(window: dict, i: int, mission, step, isp, ephemeris) -> ExportCase:
    s = mission.search
    days = float(s.max_flight_time.to_value("day")) if s.max_flight_time is not None else 8.0
    return case_from_window(window, i, mission.site, days=days, rtol=float(s.rtol),
                            mass=mission.launcher.payload_mass, step=step, isp=isp,
                            mission_name=mission.name, ephemeris=ephemeris,
                            target=mission.target)


def cases_from_plan(plan, *, site=None, all_windows: bool = False, step=DEFAULT_STEP,
                    isp=DEFAULT_ISP, mass=None, days: float | None = None,
                    rtol: float | None = None, ephemeris=None,
                    target=None) -> list[ExportCase]:
    """Export cases from a :class:`~massdriver.windows.Plan` (or one ``LaunchWindow``).

    With a plan made from a mission file (``plan.mission`` set) the site, mass, flight-time
    limit, tolerance and target come from it; otherwise give ``site`` and ``mass`` (``days``
    default 8, ``rtol`` 1e-10, as ``windows.solve``) and ``target`` for every Earth burn.

    Returns
    -------
    list of ExportCase
    """
    if isinstance(plan, LaunchWindow):
        windows, mission = [plan.to_dict()], None
    else:
        windows, mission = [w.to_dict() for w in plan.windows], plan.mission
    idx = _select(windows, all_windows)
    if mission is not None and site is None and mass is None and days is None and rtol is None:
        return [_case(windows[i], i, mission, step, isp, ephemeris) for i in idx]
    if site is None or mass is None:
        raise InputError("cases_from_plan(): pass site= and mass= (the plan has no mission "
                         "file behind it)")
    return [case_from_window(windows[i], i, site, days=8.0 if days is None else float(days),
                             rtol=1e-10 if rtol is None else float(rtol), mass=mass, step=step,
                             isp=isp, ephemeris=ephemeris, target=target) for i in idx]
