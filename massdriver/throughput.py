"""Throughput at industrial scale: how many tonnes a year reach which orbit shells.

A plan (``massdriver throughput PLAN.toml``, docs/throughput.md) has launchers (a track on the
Moon, a speed range, the power recharging its banks, the banks' capacity, a firing-rate limit
and a coil heating model), shells to fill (altitude, inclination or sun-synchronous with an
LTAN, fixed planes or a free RAAN, tonnes per year or "as much as possible", a priority), the
satellite (mass at arrival, specific impulse) and a horizon (a year by default, up to the
18.6-year nodal cycle of the Moon's orbit). It is answered in two steps:

1. **Pricing** (:func:`price_windows`). Every (launcher, shell, plane) is scanned on a regular
   grid over the horizon by :func:`massdriver.windows.scan_epochs` (the compiled batch speed
   solve and budget of the window scan, both arrival branches), in time blocks: one task per
   (launcher, shell, plane, block), in-process or on a Dask cluster, each kept in a checkpoint
   when one is given (a rerun only computes what is missing).
2. **Scheduling** (:func:`schedule`). The compiled event loop of
   :mod:`massdriver.kernels.throughput` fires shots: a shot at any epoch is priced by linear
   interpolation of the scan between the two grid epochs around it (total delta-v of the
   cheapest strategy, exit speed, time of flight), a window is where that total is under the
   threshold, and each launcher's bank energy, coil temperature and rate limit decide when it is
   ready. The horizon is cut into time blocks; the state (banks, temperatures, last shots,
   shots per shell) is handed from one block to the next, so a run in blocks, on a cluster or
   resumed from a checkpoint, gives the same schedule bit for bit.

The **verdict** (:attr:`ThroughputResult.verdict`) schedules each shell alone as "as much as
possible" to state the largest rate it can receive from the plan's launchers, and names the
constraint that binds it (the windows, the recharge, the heating, the rate limit) with what
would raise it.

The launchers' energy per shot and coil heating may come from a coilgun file
(:func:`coilgun_model`, issue 18) and the satellite from the satellite model of issue 17
(:meth:`SatelliteSpec.from_satellite`: its wet mass and its capture engine's Isp). With the
model's arrival options each shot then flies the arrival strategy chosen for it (impulsive,
finite burn, multi-pass, aerobraking, aerocapture), priced at nodes days apart and
interpolated to the shots (:mod:`massdriver.throughput_arrival`); which shot is fired when is
still chosen by the impulsive total and the threshold.

Not modelled (docs/throughput.md, "Limits"): the dispersion margin and mid-course correction of
each shot (priced at the window's best epoch by ``massdriver solve``, not per shot), the slot
phasing inside a plane, launcher downtime and failures.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import astropy.units as u
import numpy as np
from astropy.table import QTable
from astropy.time import Time

import massdriver
from massdriver.arrival import ArrivalOptions
from massdriver.campaign import ShotEnergy
from massdriver.coilgun import charge_for_speed
from massdriver.errors import InputError
from massdriver.kernels.throughput import empty_buffers, schedule_block
from massdriver.outputs import write_file
from massdriver.parallel import active_client, map_checkpointed
from massdriver.satellite import Satellite
from massdriver.targets import TargetOrbit
from massdriver.throughput_arrival import (
    ARRIVAL_INTERPOLATION_TOLERANCE_KM_S,
    DEFAULT_ARRIVAL_STEP_DAYS,
    fly_strategies,
    price_arrival_nodes,
    strategy_names,
)
from massdriver.timescales import SECONDS_PER_DAY, from_tdb_seconds, to_tdb_seconds
from massdriver.windows import scan_epochs

__all__ = ["CoilThermal", "coilgun_model", "ThroughputLauncher", "Shell", "SatelliteSpec",
           "ThroughputPlan", "WindowTables", "Schedule", "ShellVerdict", "ThroughputResult",
           "price_windows", "schedule", "plan_throughput", "CONSTRAINT_NAMES", "MAX_HORIZON_YEARS",
           "INTERPOLATION_TOLERANCE_KM_S"]

log = logging.getLogger(__name__)

#: the nodal cycle of the Moon's orbit (years): the longest horizon
MAX_HORIZON_YEARS = 18.6
#: Julian year (s)
YEAR = 365.25 * SECONDS_PER_DAY
#: bound on |interpolated - individually solved| total delta-v of a shot at the default 60-min
#: grid, checked by tests/test_throughput.py (docs/throughput.md, "Pricing by interpolation")
INTERPOLATION_TOLERANCE_KM_S = 0.02
#: names of the binding constraints, in code order (massdriver.kernels.throughput)
CONSTRAINT_NAMES = ("no_window", "recharge", "heating", "demand_met", "rate_limit",
                    "horizon_end")
_BRANCHES = ("prograde", "retrograde")
#: shot and change-point buffers of one kernel call
_BUFFER = 1 << 20
_G0 = 9.80665e-3          # km/s^2


def _value(q, unit, name: str) -> float:
    try:
        return float(u.Quantity(q).to_value(unit))
    except (u.UnitsError, TypeError, ValueError):
        raise InputError(f"{name} = {q!r}: expected a quantity in {unit}") from None


def _positive(q, unit, name: str) -> float:
    x = _value(q, unit, name)
    if not (x > 0 and math.isfinite(x)):
        raise InputError(f"{name} = {q}: must be positive and finite")
    return x


# ------------------------------------------------------------------------------------------------
# inputs
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CoilThermal:
    """Lumped heating model of a launcher's coils (a stand-in until the coil heating model of
    issue 18 is joined: only these four numbers cross the boundary).

    Each shot deposits ``heat_fraction * E`` (J) in the coils, whose temperature rises by that
    over ``heat_capacity``; the rise above the heat sink decays as ``exp(-t / cooling_time)``.
    A shot is allowed only if it keeps the rise at or under ``max_rise``. Fired as fast as the
    heating allows, the shots settle at the spacing
    ``-cooling_time ln(1 - heat / (heat_capacity max_rise))``.

    Attributes
    ----------
    heat_fraction : float
        Fraction of the bank energy of a shot that ends as heat in the coils, (0, 1].
    heat_capacity : astropy.units.Quantity
        J/K.
    cooling_time : astropy.units.Quantity
        Time constant of the cooling (s).
    max_rise : astropy.units.Quantity
        Largest temperature rise above the heat sink (K).
    """

    heat_fraction: float
    heat_capacity: Any
    cooling_time: Any
    max_rise: Any

    def __post_init__(self) -> None:
        f = float(self.heat_fraction)
        if not (0 < f <= 1):
            raise InputError(f"CoilThermal.heat_fraction = {self.heat_fraction!r}: must be in "
                             "(0, 1]")
        object.__setattr__(self, "heat_fraction", f)
        object.__setattr__(self, "heat_capacity",
                           _positive(self.heat_capacity, u.J / u.K, "heat_capacity") * u.J / u.K)
        object.__setattr__(self, "cooling_time",
                           _positive(self.cooling_time, u.s, "cooling_time") * u.s)
        object.__setattr__(self, "max_rise", _positive(self.max_rise, u.K, "max_rise") * u.K)

    def kernel_arguments(self) -> tuple[float, float, float]:
        """``(K per J of shot energy, cooling time s, max rise K)``."""
        return (self.heat_fraction / float(self.heat_capacity.to_value(u.J / u.K)),
                float(self.cooling_time.to_value(u.s)), float(self.max_rise.to_value(u.K)))

    def sustained_spacing(self, energy) -> Any:
        """Shortest steady spacing of shots of ``energy`` (J Quantity) the heating allows."""
        k, tau, rise = self.kernel_arguments()
        heat = k * float(u.Quantity(energy).to_value(u.J))
        if heat >= rise:
            return math.inf * u.s
        return -tau * math.log(1.0 - heat / rise) * u.s


    @classmethod
    def from_heating(cls, heat: dict, thermal, energy) -> CoilThermal | None:
        """The lumped model of a simulated shot's coil heating (issue 18).

        ``heat`` is :func:`massdriver.coilgun_losses.heating`'s answer for a shot of grid
        ``energy`` (J), ``thermal`` the coilgun's :class:`massdriver.coilgun_losses.Thermal`.
        The limiting stage (the one with the lowest sustainable rate) is kept: its temperature
        rise per shot ``dT``, heat capacity ``C = tau G`` (its cooling time constant times its
        cooling conductance), cooling time ``tau`` and allowed rise ``T_max - T_ambient``; so
        ``heat_fraction = C dT / E`` and the steady spacing of :meth:`sustained_spacing` is
        exactly ``1 / thermal_rate_hz`` of that shot. ``None`` when no stage heats.
        """
        i = int(heat.get("limiting_stage", -1))
        rate = float(heat.get("thermal_rate_hz", math.inf))
        if i < 0 or not math.isfinite(rate):
            return None
        d_t = float(np.asarray(heat["temperature_rise_per_shot_k"])[i])
        tau = float(np.asarray(heat["cooling_time_constant_s"])[i])
        g = float(np.asarray(heat["cooling_conductance_w_k"])[i])
        e = _positive(energy, u.J, "energy")
        if not d_t > 0:
            return None
        allow = float(thermal.max_temperature) - float(thermal.ambient_temperature)
        return cls(heat_fraction=min(1.0, tau * g * d_t / e), heat_capacity=tau * g * u.J / u.K,
                   cooling_time=tau * u.s, max_rise=allow * u.K)


def coilgun_model(coilgun, speed, payload_mass=None) -> tuple:
    """Energy per shot, coil heating and charging power of a launcher from its coilgun file
    (issue 18's models), instead of hand-typed numbers.

    One :func:`massdriver.coilgun.charge_for_speed` at ``speed`` (choose the middle of the
    speeds the plan will use): its grid energy (with the launcher's losses, charger
    efficiency, residual recovery and cryogenics) is the shot energy, scaled as ``v^2`` to
    other speeds (:class:`massdriver.campaign.ShotEnergy`); its heating is the lumped
    :meth:`CoilThermal.from_heating`.

    Parameters
    ----------
    coilgun : massdriver.coilgun.Coilgun
    speed : astropy.units.Quantity
        Exit speed the shot is charged for.
    payload_mass : astropy.units.Quantity, optional
        Payload (kg), the plan's satellite mass; default the coilgun's nominal payload.

    Returns
    -------
    energy : massdriver.campaign.ShotEnergy
    thermal : CoilThermal or None
    charging_power : astropy.units.Quantity or None
        The coilgun's ``[thermal] charging_power`` (W) when set.
    """
    shot = charge_for_speed(coilgun, payload_mass, speed).shot
    v = shot.exit_speed.to(u.km / u.s)
    acc = shot.energy
    e = float(acc["grid_j"]) if acc else float(shot.energy_drawn.to_value(u.J))
    label = getattr(coilgun, "name", "") or "coilgun"
    text = (f"{label}: simulated shot at {v.to_value(u.km / u.s):.4f} km/s, grid energy "
            f"{e / 1e9:.4g} GJ" + (f", wall-plug {acc['wall_plug_efficiency']:.4f}" if acc
                                   else ""))
    rate = None
    if shot.thermal and math.isfinite(shot.thermal["thermal_rate_hz"]) \
            and shot.thermal["thermal_rate_hz"] > 0:
        rate = shot.thermal["thermal_rate_hz"] * 3600.0 / u.h
    energy = ShotEnergy(e * u.J, v, text, rate)
    thermal = (None if not shot.thermal else
               CoilThermal.from_heating(shot.thermal, coilgun.thermal, e * u.J))
    power = getattr(coilgun.thermal, "charging_power", None)
    return energy, thermal, None if power is None else float(power) * u.W


@dataclass(frozen=True)
class ThroughputLauncher:
    """One launcher of a throughput plan.

    Attributes
    ----------
    name : str
    site : massdriver.site.LaunchSite
        The track.
    spec : massdriver.mission.LauncherSpec
        Exit-speed range (the mass leaving the track is the plan's satellite mass).
    power : astropy.units.Quantity
        Average power recharging the banks (W).
    energy : massdriver.campaign.ShotEnergy
        Bank energy of a shot against its exit speed.
    bank_capacity : astropy.units.Quantity or None
        Energy the banks hold (J); ``None``: twice the energy of a shot at ``speed_max``.
    max_shot_rate : astropy.units.Quantity or None
        Firing-rate limit (1/h), ``None`` for none.
    thermal : CoilThermal or None
        Coil heating; ``None``: heating is not a limit.
    """

    name: str
    site: Any
    spec: Any
    power: Any
    energy: ShotEnergy
    bank_capacity: Any = None
    max_shot_rate: Any = None
    thermal: CoilThermal | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.energy, ShotEnergy):
            raise InputError(f"launcher {self.name!r}: energy must be a ShotEnergy")
        p = _positive(self.power, u.W, "power")
        object.__setattr__(self, "power", p * u.W)
        e_max = self.energy.joules(float(self.spec.speed_max.to_value(u.km / u.s)))
        cap = (2.0 * e_max if self.bank_capacity is None
               else _positive(self.bank_capacity, u.J, "bank_capacity"))
        if cap < e_max * (1 - 1e-12):
            raise InputError(f"launcher {self.name!r}: bank_capacity = {cap:.4g} J is less than "
                             f"the energy of a shot at speed_max ({e_max:.4g} J)")
        object.__setattr__(self, "bank_capacity", cap * u.J)
        if self.max_shot_rate is not None:
            r = _positive(self.max_shot_rate, 1 / u.h, "max_shot_rate")
            object.__setattr__(self, "max_shot_rate", r / u.h)
        if self.thermal is not None:
            k, _tau, rise = self.thermal.kernel_arguments()
            if k * e_max > rise:
                raise InputError(
                    f"launcher {self.name!r}: one shot at speed_max heats the coils by "
                    f"{k * e_max:.4g} K, more than thermal.max_rise = {rise:.4g} K")

    def kernel_arguments(self) -> dict:
        """Floats of the scheduler kernel (W, J, km/s, s, K/J, s, K)."""
        e = self.energy
        heat, tau, rise = (0.0, 1.0, math.inf) if self.thermal is None else \
            self.thermal.kernel_arguments()
        return {
            "power": float(self.power.to_value(u.W)),
            "bank_capacity": float(self.bank_capacity.to_value(u.J)),
            "energy_ref": float(e.reference_energy.to_value(u.J)),
            "speed_ref": (0.0 if e.reference_speed is None
                          else float(e.reference_speed.to_value(u.km / u.s))),
            "min_spacing": (0.0 if self.max_shot_rate is None
                            else 3600.0 / float(self.max_shot_rate.to_value(1 / u.h))),
            "heat_per_joule": heat, "cooling_time": tau, "max_rise": rise,
        }

    def describe(self) -> dict:
        """Plain description (JSON)."""
        a = self.kernel_arguments()
        return {"name": self.name, "site": self.site.describe(),
                "speed_range_km_s": [float(self.spec.speed_min.to_value("km/s")),
                                     float(self.spec.speed_max.to_value("km/s"))],
                "power_w": a["power"], "bank_capacity_j": a["bank_capacity"],
                "shot_energy": self.energy.source or "",
                "max_shot_rate_per_h": (None if self.max_shot_rate is None
                                        else float(self.max_shot_rate.to_value(1 / u.h))),
                "thermal": None if self.thermal is None else {
                    "heat_fraction": self.thermal.heat_fraction,
                    "heat_capacity_j_per_k": float(self.thermal.heat_capacity.value),
                    "cooling_time_s": float(self.thermal.cooling_time.value),
                    "max_rise_k": float(self.thermal.max_rise.value)}}


@dataclass(frozen=True)
class Shell:
    """An orbit shell to fill.

    Attributes
    ----------
    name : str
    planes : tuple of massdriver.targets.TargetOrbit
        Its planes (one target each; a free-RAAN or sun-synchronous shell has one). A shot goes
        to the cheapest plane open at its epoch.
    rate : astropy.units.Quantity or None
        Demand (t/yr); ``None``: as much as possible.
    priority : int
        Lower goes first when two shells could take the same shot.
    """

    name: str
    planes: tuple
    rate: Any = None
    priority: int = 1

    def __post_init__(self) -> None:
        planes = tuple(self.planes)
        if not planes or not all(isinstance(p, TargetOrbit) for p in planes):
            raise InputError(f"shell {self.name!r}: planes must be one or more TargetOrbit")
        object.__setattr__(self, "planes", planes)
        if self.rate is not None:
            r = _positive(self.rate, u.t / u.yr, "rate")
            object.__setattr__(self, "rate", r * u.t / u.yr)
        if isinstance(self.priority, bool) or not isinstance(self.priority, (int, np.integer)):
            raise InputError(f"shell {self.name!r}: priority must be an integer")
        object.__setattr__(self, "priority", int(self.priority))

    def describe(self) -> dict:
        """Plain description (JSON)."""
        return {"name": self.name, "planes": [p.describe() for p in self.planes],
                "tonnes_per_year": None if self.rate is None else float(self.rate.value),
                "priority": self.priority}


@dataclass(frozen=True)
class SatelliteSpec:
    """The satellite as the throughput planner sees it: the mass delivered per shot and the
    specific impulse its insertion propellant is priced with (rocket equation on each shot's
    budget).

    Hand-typed (``SatelliteSpec(mass, isp)``) or from the satellite model of issue 17
    (:meth:`from_satellite`: the wet mass and the capture engine's Isp; the model rides along
    in :attr:`model` for the report).

    Attributes
    ----------
    mass : astropy.units.Quantity
        Mass at arrival, before the insertion burns (kg): the mass delivered per shot.
    isp : astropy.units.Quantity
        Specific impulse of its thruster (s).
    model : massdriver.satellite.Satellite or None
        The satellite model these numbers come from, if any.
    arrival : massdriver.arrival.ArrivalOptions or None
        With a ``model``: the arrival strategies each shot may fly
        (:mod:`massdriver.throughput_arrival`); ``None``: every shot is priced impulsively.
    """

    mass: Any
    isp: Any
    model: Any = None
    arrival: Any = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "mass", _positive(self.mass, u.kg, "satellite mass") * u.kg)
        object.__setattr__(self, "isp", _positive(self.isp, u.s, "isp") * u.s)
        if self.model is not None:
            if not isinstance(self.model, Satellite):
                raise InputError("SatelliteSpec.model: must be a massdriver.satellite.Satellite")
        if self.arrival is not None:
            if self.model is None:
                raise InputError("SatelliteSpec.arrival: the arrival strategies need the "
                                 "satellite model (they fly its engines and aerodynamics)")
            if not isinstance(self.arrival, ArrivalOptions):
                raise InputError("SatelliteSpec.arrival: must be a "
                                 "massdriver.arrival.ArrivalOptions")

    @classmethod
    def from_satellite(cls, satellite, arrival=None) -> SatelliteSpec:
        """The planner's view of a :class:`massdriver.satellite.Satellite`: its wet mass at
        arrival and the Isp of its capture engine (the chemical engine of largest thrust,
        the one every capture burn uses); with ``arrival``
        (:class:`massdriver.arrival.ArrivalOptions`) each shot flies the strategy chosen for
        it (:mod:`massdriver.throughput_arrival`)."""
        if not isinstance(satellite, Satellite):
            raise InputError("SatelliteSpec.from_satellite: give a massdriver.satellite.Satellite")
        return cls(satellite.wet_mass, satellite.capture_engine.isp, model=satellite,
                   arrival=arrival)

    def describe(self) -> dict:
        """Plain description (JSON)."""
        d = {"mass_kg": float(self.mass.to_value(u.kg)), "isp_s": float(self.isp.to_value(u.s))}
        if self.model is not None:
            d["model"] = self.model.as_dict()
            d["isp_from"] = f"capture engine {self.model.capture_engine.name!r}".replace(
                " ''", "")
        if self.arrival is not None:
            d["arrival"] = {"strategies": list(strategy_names(self.arrival)),
                            "choose_by": self.arrival.choose_by,
                            "solar_activity": self.arrival.solar}
        return d


@dataclass(frozen=True)
class ThroughputPlan:
    """Everything a throughput run needs.

    Attributes
    ----------
    launchers : tuple of ThroughputLauncher
    shells : tuple of Shell
    satellite : SatelliteSpec
    start : astropy.time.Time
        The launchers are ready (banks charged, coils cold) at ``start``.
    horizon : astropy.units.Quantity
        Length of the plan (default a Julian year; at most 18.6 years).
    step : astropy.units.Quantity
        Scan grid of the pricing (default 60 min).
    threshold : astropy.units.Quantity
        A shot is fired only where its total delta-v (no margin) is under it (km/s).
    rtol : float
        DOP853 relative tolerance of the coasts (the scan runs at ``max(rtol, 1e-7)``, as
        :func:`massdriver.windows.solve`'s grid).
    max_flight_time : astropy.units.Quantity
        Longest coast from the Moon to the Earth perigee (default 8 days).
    name : str
        Plan name, shown in the outputs.
    arrival_step : astropy.units.Quantity
        Node spacing of the arrival-strategy pricing (default 1 day; used only when the
        satellite has arrival options, :mod:`massdriver.throughput_arrival`).
    """

    launchers: tuple
    shells: tuple
    satellite: SatelliteSpec
    start: Any
    horizon: Any = 1.0 * u.yr
    step: Any = 60 * u.min
    threshold: Any = 3.6 * u.km / u.s
    rtol: float = 1e-10
    max_flight_time: Any = 8 * u.day
    name: str = ""
    arrival_step: Any = DEFAULT_ARRIVAL_STEP_DAYS * u.day

    def __post_init__(self) -> None:
        launchers, shells = tuple(self.launchers), tuple(self.shells)
        if not launchers or not all(isinstance(x, ThroughputLauncher) for x in launchers):
            raise InputError("ThroughputPlan.launchers: give one or more ThroughputLauncher")
        if not shells or not all(isinstance(x, Shell) for x in shells):
            raise InputError("ThroughputPlan.shells: give one or more Shell")
        object.__setattr__(self, "launchers", launchers)
        object.__setattr__(self, "shells", shells)
        h = _positive(self.horizon, u.s, "horizon")
        if h > MAX_HORIZON_YEARS * YEAR * (1 + 1e-9):
            raise InputError(f"horizon = {self.horizon}: at most {MAX_HORIZON_YEARS} years (the "
                             "nodal cycle of the Moon's orbit)")
        step = _positive(self.step, u.s, "step")
        if step > h:
            raise InputError(f"step = {self.step}: longer than the horizon")
        object.__setattr__(self, "horizon", h / SECONDS_PER_DAY * u.day)
        object.__setattr__(self, "step", step / 60.0 * u.min)
        object.__setattr__(self, "threshold",
                           _positive(self.threshold, u.km / u.s, "threshold") * u.km / u.s)
        object.__setattr__(self, "max_flight_time",
                           _positive(self.max_flight_time, u.day, "max_flight_time") * u.day)
        object.__setattr__(self, "arrival_step",
                           _positive(self.arrival_step, u.day, "arrival_step") * u.day)
        for la in launchers:
            if la.spec.payload_mass < self.satellite.mass * (1 - 1e-12):
                raise InputError(f"launcher {la.name!r}: payload_mass {la.spec.payload_mass:g} "
                                 f"is less than the satellite mass {self.satellite.mass:g}")

    def grid(self) -> np.ndarray:
        """Scan epochs (TDB s): ``start + k step`` up to and past the horizon's end."""
        t0 = float(to_tdb_seconds(self.start))
        step = float(self.step.to_value(u.s))
        n = int(math.ceil(float(self.horizon.to_value(u.s)) / step - 1e-9)) + 1
        return t0 + step * np.arange(n)

    def describe(self) -> dict:
        """Plain description (JSON)."""
        return {"name": self.name, "start_utc": self.start.utc.isot,
                "horizon_days": float(self.horizon.to_value(u.day)),
                "step_minutes": float(self.step.to_value(u.min)),
                "threshold_km_s": float(self.threshold.value), "rtol": self.rtol,
                "max_flight_time_days": float(self.max_flight_time.value),
                **({} if self.satellite.arrival is None else
                   {"arrival_step_days": float(self.arrival_step.value)}),
                "satellite": self.satellite.describe(),
                "launchers": [la.describe() for la in self.launchers],
                "shells": [s.describe() for s in self.shells]}


# ------------------------------------------------------------------------------------------------
# pricing
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WindowTables:
    """The scans of a plan on one grid, as the scheduler reads them.

    Attributes
    ----------
    grid : ndarray (G,)
        Scan epochs, TDB s.
    total_km_s, speed_km_s, tof_s : ndarray (L, S, O, G)
        Per launcher, shell, option (``plane * 2 + branch``, branch 0 prograde, 1 retrograde)
        and epoch; NaN where unsolved or where the shell has fewer planes.
    """

    grid: np.ndarray
    total_km_s: np.ndarray
    speed_km_s: np.ndarray
    tof_s: np.ndarray

    def open_fraction(self, threshold: float) -> np.ndarray:
        """(L, S): fraction of grid epochs where some option is under ``threshold`` km/s."""
        ok = np.isfinite(self.total_km_s) & (np.nan_to_num(self.total_km_s, nan=np.inf)
                                             < threshold)
        return ok.any(axis=2).mean(axis=2)


def _price_piece(piece: tuple) -> np.ndarray:
    """One pricing task: ``(site, target, spec, epochs, rtol, tof)`` -> (3, 2, n) array of
    total (km/s), speed (km/s), time of flight (s) per branch (module-level: picklable)."""

    site, target, spec, t, rtol, tof_days = piece
    r = scan_epochs(site, target, spec, t, rtol=rtol, max_flight_time=tof_days * u.day,
                    branches=_BRANCHES)
    n = t.shape[0]
    out = np.full((3, 2, n), np.nan)
    for b, name in enumerate(_BRANCHES):
        sel = r.branch == name
        out[0, b] = r.total_km_s[sel]
        out[1, b] = r.speed_km_s[sel]
        out[2, b] = r.t_perigee_tdb[sel] - r.t_launch_tdb[sel]
    return out


def _piece_key(piece: tuple) -> str:
    site, target, spec, t, rtol, tof = piece
    h = hashlib.sha256(json.dumps([site.describe(), target.describe(),
                                   [float(spec.speed_min.value), float(spec.speed_max.value)],
                                   rtol, tof], sort_keys=True, default=str).encode())
    h.update(np.ascontiguousarray(t).tobytes())
    return h.hexdigest()[:24]


def price_windows(plan: ThroughputPlan, *, block_days: float = 30.0,
                  scheduler: str | None = None, client=None, checkpoint: str | Path | None = None,
                  progress: Callable[[int, int], None] | None = None) -> WindowTables:
    """Scan every (launcher, shell, plane) over the horizon (step 1 of the module notes).

    Parameters
    ----------
    plan : ThroughputPlan
    block_days : float
        Length of one pricing task (days of grid epochs). Keep it fixed to compare runs: other
        task boundaries were seen to move the totals in their last bits at the boundary epochs
        (the backend, in-process or Dask, does not).
    scheduler, client
        A Dask cluster (:mod:`massdriver.parallel`); default in-process.
    checkpoint : path, optional
        Folder keeping each finished task (``price-<hash>.npy``); tasks found there are not
        computed again.
    progress : callable, optional
        ``progress(done, total)`` in tasks.

    Returns
    -------
    WindowTables
    """
    grid = plan.grid()
    step = float(plan.step.to_value(u.s))
    per_block = max(1, int(round(block_days * SECONDS_PER_DAY / step)))
    spans = [(i, min(i + per_block, grid.size)) for i in range(0, grid.size, per_block)]
    n_l, n_s = len(plan.launchers), len(plan.shells)
    n_o = 2 * max(len(s.planes) for s in plan.shells)
    shape = (n_l, n_s, n_o, grid.size)
    tables = [np.full(shape, np.nan) for _ in range(3)]
    pieces, where = [], []
    tof = float(plan.max_flight_time.to_value(u.day))
    for li, la in enumerate(plan.launchers):
        spec = replace(la.spec, coilgun=None)
        for si, shell in enumerate(plan.shells):
            for pi, target in enumerate(shell.planes):
                for a, b in spans:
                    pieces.append((la.site, target, spec, grid[a:b], plan.rtol, tof))
                    where.append((li, si, pi, a, b))
    folder = None if checkpoint is None else Path(checkpoint)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    paths = [None if folder is None else folder / f"price-{_piece_key(piece)}.npy"
             for piece in pieces]
    log.info("pricing: %d tasks, %d from the checkpoint", len(pieces),
             sum(p is not None and p.exists() for p in paths))
    results = map_checkpointed(_price_piece, pieces, paths, batch=8, scheduler=scheduler,
                               client=client, label="massdriver-throughput-price",
                               progress=progress)
    for (li, si, pi, a, b), arr in zip(where, results, strict=True):
        for q in range(3):
            tables[q][li, si, 2 * pi:2 * pi + 2, a:b] = arr[q]
    return WindowTables(grid=grid, total_km_s=tables[0], speed_km_s=tables[1], tof_s=tables[2])


# ------------------------------------------------------------------------------------------------
# scheduling
# ------------------------------------------------------------------------------------------------
_SHOT_FIELDS = ("epoch_tdb", "launcher", "shell", "option", "speed_km_s", "tof_s",
                "delta_v_km_s", "energy_j")
_STATE_FIELDS = ("t_now", "bank", "rise", "t_last", "last_code", "delivered")


@dataclass(frozen=True)
class Schedule:
    """Every shot (plain columns, one row per shot, in firing order).

    Attributes
    ----------
    epoch_tdb : ndarray
        Firing epoch, TDB s past J2000.
    launcher, shell, plane : ndarray of int16
        Indices into the plan's launchers, shells and the shell's planes.
    branch : ndarray of int8
        0 prograde, 1 retrograde arrival.
    speed_km_s, tof_s, delta_v_km_s, energy_j, propellant_kg : ndarray
        Exit speed, time of flight to the Earth perigee, total insertion delta-v of the
        strategy flown (no margin), bank energy drawn, satellite propellant (rocket equation
        on that delta-v).
    strategy : ndarray of int8
        Arrival strategy flown, index into :attr:`strategies` (0: impulsive, the cheaper of
        perigee burn and high ellipse).
    delta_v_impulsive_km_s : ndarray
        The impulsive total the scheduler chose the shot by (equal to ``delta_v_km_s`` without
        arrival strategies).
    strategies : tuple of str
        Names of the strategies priced (``("impulsive",)`` without a satellite model's
        arrival options).
    """

    epoch_tdb: np.ndarray
    launcher: np.ndarray
    shell: np.ndarray
    plane: np.ndarray
    branch: np.ndarray
    speed_km_s: np.ndarray
    tof_s: np.ndarray
    delta_v_km_s: np.ndarray
    energy_j: np.ndarray
    propellant_kg: np.ndarray
    strategy: np.ndarray | None = None
    delta_v_impulsive_km_s: np.ndarray | None = None
    strategies: tuple = ("impulsive",)

    def __post_init__(self) -> None:
        if self.strategy is None:
            object.__setattr__(self, "strategy", np.zeros(self.epoch_tdb.shape[0], np.int8))
        if self.delta_v_impulsive_km_s is None:
            object.__setattr__(self, "delta_v_impulsive_km_s", self.delta_v_km_s)

    def by_strategy(self, sel: np.ndarray | None = None) -> dict:
        """Per strategy flown (those with shots): shots, summed delta-v (km/s) and
        propellant (kg), of all shots or of the ``sel`` mask."""
        st = self.strategy if sel is None else self.strategy[sel]
        dv = self.delta_v_km_s if sel is None else self.delta_v_km_s[sel]
        mp = self.propellant_kg if sel is None else self.propellant_kg[sel]
        n = np.bincount(st, minlength=len(self.strategies))
        dv_sum = np.bincount(st, weights=dv, minlength=len(self.strategies))
        mp_sum = np.bincount(st, weights=mp, minlength=len(self.strategies))
        return {name: {"shots": int(n[i]), "delta_v_km_s": float(dv_sum[i]),
                       "propellant_kg": float(mp_sum[i])}
                for i, name in enumerate(self.strategies) if n[i]}

    def __len__(self) -> int:
        return int(self.epoch_tdb.shape[0])

    def to_arrow(self, plan: ThroughputPlan):
        """A ``pyarrow.Table`` (Parquet-ready; epochs as UTC timestamps and TDB seconds)."""
        import pyarrow as pa

        t_utc = _utc_ns(self.epoch_tdb)
        arrival = _utc_ns(self.epoch_tdb + self.tof_s)
        lnames = np.array([la.name for la in plan.launchers], dtype=object)
        snames = np.array([s.name for s in plan.shells], dtype=object)
        return pa.table({
            "epoch_utc": pa.array(t_utc, type=pa.timestamp("ns")),
            "epoch_tdb_s": self.epoch_tdb,
            "launcher": pa.DictionaryArray.from_arrays(self.launcher.astype(np.int32),
                                                       pa.array(lnames.tolist())),
            "shell": pa.DictionaryArray.from_arrays(self.shell.astype(np.int32),
                                                    pa.array(snames.tolist())),
            "plane": self.plane.astype(np.int16),
            "branch": pa.DictionaryArray.from_arrays(self.branch.astype(np.int32),
                                                     pa.array(list(_BRANCHES))),
            "speed_km_s": self.speed_km_s,
            "arrival_utc": pa.array(arrival, type=pa.timestamp("ns")),
            "tof_days": self.tof_s / SECONDS_PER_DAY,
            "delta_v_km_s": self.delta_v_km_s,
            "energy_gj": self.energy_j / 1e9,
            "propellant_kg": self.propellant_kg,
            "arrival_strategy": pa.DictionaryArray.from_arrays(
                self.strategy.astype(np.int32), pa.array(list(self.strategies))),
            "delta_v_impulsive_km_s": self.delta_v_impulsive_km_s,
        })


def _utc_ns(t_tdb: np.ndarray) -> np.ndarray:
    """TDB seconds -> UTC datetime64[ns] (the TDB-UTC offset taken at a few knots and
    interpolated: it changes by < 2 ms a year and by leap seconds, none announced)."""
    if t_tdb.size == 0:
        return np.zeros(0, dtype="datetime64[ns]")
    lo, hi = float(t_tdb.min()), float(t_tdb.max())
    knots = np.linspace(lo, hi, max(2, int((hi - lo) / SECONDS_PER_DAY) + 2))
    utc = from_tdb_seconds(knots).utc
    unix = (utc.jd1 - 2440587.5) * SECONDS_PER_DAY + utc.jd2 * SECONDS_PER_DAY
    offset = np.interp(t_tdb, knots, unix - knots)
    return ((t_tdb + offset) * 1e9).astype(np.int64).astype("datetime64[ns]")


def _initial_state(plan: ThroughputPlan) -> dict:
    n_l, n_s = len(plan.launchers), len(plan.shells)
    t0 = float(to_tdb_seconds(plan.start))
    return {"t_now": np.full(n_l, t0),
            "bank": np.array([float(la.bank_capacity.to_value(u.J)) for la in plan.launchers]),
            "rise": np.zeros(n_l), "t_last": np.full(n_l, -np.inf),
            "last_code": np.full(n_l, -1, np.int64), "delivered": np.zeros(n_s, np.int64)}


def _kernel_inputs(plan: ThroughputPlan, tables: WindowTables, shells=None) -> dict:
    shells = plan.shells if shells is None else shells
    args = [la.kernel_arguments() for la in plan.launchers]
    h = float(plan.horizon.to_value(u.s))
    m = float(plan.satellite.mass.to_value(u.t))
    rate = np.array([0.0 if s.rate is None else float(s.rate.to_value(u.t / u.s)) / m
                     for s in shells])
    cap = np.array([math.inf if s.rate is None
                    else math.floor(float(s.rate.to_value(u.t / u.s)) * h / m + 1e-9)
                    for s in shells])
    t0 = float(to_tdb_seconds(plan.start))
    return {
        "grid_start": float(tables.grid[0]),
        "grid_step": float(tables.grid[1] - tables.grid[0]) if tables.grid.size > 1 else 1.0,
        "total": tables.total_km_s, "speed": tables.speed_km_s, "tof": tables.tof_s,
        "threshold": float(plan.threshold.to_value(u.km / u.s)),
        **{k: np.array([a[k] for a in args]) for k in args[0]},
        "priority": np.array([s.priority for s in shells], np.int64),
        "quota_rate": rate, "quota_cap": cap, "quota_period": min(YEAR, h), "t_origin": t0,
        "t_stop": t0 + h,
    }


def _run_block(job: tuple) -> tuple:
    """One time block of the scheduler (module-level: a Dask task). ``job`` is
    ``(kernel inputs, state, block_end[, light])``; returns ``(state, shots, changes,
    shot count)``; with ``light`` the shots are counted and dropped (empty arrays returned)."""

    k, state, block_end = job[:3]
    light = bool(job[3]) if len(job) > 3 else False
    count = 0
    state = {key: np.array(v, copy=True) for key, v in state.items()}
    shots: list = []
    changes: list = []
    while True:
        buf = empty_buffers(_BUFFER, _BUFFER)
        n, c, done = schedule_block(
            k["grid_start"], k["grid_step"], k["total"], k["speed"], k["tof"], k["threshold"],
            k["power"], k["bank_capacity"], k["energy_ref"], k["speed_ref"], k["min_spacing"],
            k["heat_per_joule"], k["cooling_time"], k["max_rise"], k["priority"],
            k["quota_rate"], k["quota_cap"], k["quota_period"], k["t_origin"], k["t_stop"],
            float(block_end),
            state["t_now"], state["bank"], state["rise"], state["t_last"], state["last_code"],
            state["delivered"], *buf)
        count += int(n)
        shots.append([b[:0 if light else n].copy() for b in buf[:8]])
        changes.append([b[:c].copy() for b in buf[8:]])
        del buf
        if done:
            break
    cat = []
    for i in range(8):                         # field by field, each chunk freed once copied
        cat.append(np.concatenate([s[i] for s in shots]))
        for s in shots:
            s[i] = None
    ch = [np.concatenate([s[i] for s in changes]) for i in range(3)]
    return state, cat, ch, count


@dataclass(frozen=True)
class ShellVerdict:
    """What one shell can receive.

    Attributes
    ----------
    name : str
    demand : astropy.units.Quantity or None
        t/yr asked (``None``: as much as possible).
    delivered : astropy.units.Quantity
        t/yr delivered in this plan (over the horizon, per year).
    capacity : astropy.units.Quantity or None
        The largest rate it can receive from the plan's launchers alone (t/yr), ``None`` if
        not computed.
    met : bool or None
        Demand met (``None`` for "as much as possible").
    window_open : float
        Fraction of the horizon its windows are open (any launcher).
    limit : str
        The constraint that holds the launchers back while its windows are open, in the run
        of the shell alone (``no_window`` when nothing else does).
    raise_by : str
        What would raise it.
    """

    name: str
    demand: Any
    delivered: Any
    capacity: Any
    met: bool | None
    window_open: float
    limit: str
    raise_by: str

    def to_dict(self) -> dict:
        """Plain description (JSON)."""
        return {"name": self.name,
                "demand_t_per_yr": None if self.demand is None else float(self.demand.value),
                "delivered_t_per_yr": float(self.delivered.value),
                "capacity_t_per_yr": None if self.capacity is None else float(
                    self.capacity.value),
                "met": self.met, "window_open_fraction": self.window_open,
                "limit": self.limit, "raise_by": self.raise_by}


_ADVICE = {
    "no_window": "more tracks or sites whose windows reach it, a wider speed range or a higher "
                 "threshold (its windows are closed most of the time)",
    "recharge": "more power (until its windows bind: then a higher rate limit or more "
                "launchers), or lighter shots",
    "heating": "more coil cooling or heat capacity (a shorter cooling time, a higher allowed "
               "rise), or more launchers",
    "rate_limit": "a higher firing-rate limit",
    "demand_met": "nothing: its demand is met",
    "horizon_end": "a longer horizon",
}


@dataclass(frozen=True)
class ThroughputResult:
    """A planned and priced throughput run.

    Attributes
    ----------
    plan : ThroughputPlan
    schedule : Schedule
    change_t, change_launcher, change_code : ndarray
        Binding-constraint change points (TDB s, launcher, code into
        :data:`CONSTRAINT_NAMES`).
    window_open : ndarray (L, S)
        Fraction of grid epochs with a window open.
    verdicts : tuple of ShellVerdict
    blocks : int
        Time blocks the schedule was computed in.
    inputs : dict
    version : str
    """

    plan: ThroughputPlan
    schedule: Schedule
    change_t: np.ndarray
    change_launcher: np.ndarray
    change_code: np.ndarray
    window_open: np.ndarray
    verdicts: tuple = ()
    blocks: int = 1
    inputs: dict = field(default_factory=dict)
    version: str = ""

    # -- derived -------------------------------------------------------------------------------
    @property
    def feasible(self) -> bool:
        """Every finite demand met in full."""
        return all(v.met is not False for v in self.verdicts)

    def delivered_tonnes(self) -> np.ndarray:
        """(S,) tonnes delivered to each shell over the horizon (shots x satellite mass)."""
        m = float(self.plan.satellite.mass.to_value(u.t))
        return np.bincount(self.schedule.shell, minlength=len(self.plan.shells)) * m

    def month_edges(self) -> np.ndarray:
        """TDB seconds of the calendar-month boundaries (UTC) spanning the horizon."""

        start = self.plan.start.utc
        t_end = float(to_tdb_seconds(start)) + float(self.plan.horizon.to_value(u.s))
        y, mo = (int(x) for x in start.isot[:7].split("-"))
        edges = []
        while True:
            e = float(to_tdb_seconds(Time(f"{y:04d}-{mo:02d}-01T00:00:00", scale="utc")))
            edges.append(e)
            if e >= t_end:
                break
            mo += 1
            if mo == 13:
                y, mo = y + 1, 1
        return np.array(edges)

    def monthly_tonnes(self) -> np.ndarray:
        """(S, months) tonnes fired per shell in each calendar month of :meth:`month_edges`."""
        edges = self.month_edges()
        m = float(self.plan.satellite.mass.to_value(u.t))
        k = np.searchsorted(edges, self.schedule.epoch_tdb, side="right") - 1
        n_m = edges.size - 1
        out = np.zeros((len(self.plan.shells), n_m))
        ok = (k >= 0) & (k < n_m)
        np.add.at(out, (self.schedule.shell[ok], k[ok]), m)
        return out

    def constraint_time(self, edges: np.ndarray) -> np.ndarray:
        """(L, codes, bins) seconds each launcher spent under each binding constraint in the
        bins ``edges[i] .. edges[i+1]`` (TDB s)."""
        t_stop = float(to_tdb_seconds(self.plan.start)) + float(self.plan.horizon.to_value(u.s))
        n_c = len(CONSTRAINT_NAMES)
        out = np.zeros((len(self.plan.launchers), n_c, edges.size - 1))
        for li in range(len(self.plan.launchers)):
            sel = self.change_launcher == li
            tt = np.append(self.change_t[sel], t_stop)
            codes = self.change_code[sel]
            if codes.size == 0:
                continue
            dur = np.diff(tt)
            for c in range(n_c):
                cum = np.concatenate([[0.0], np.cumsum(np.where(codes == c, dur, 0.0))])
                f = np.interp(edges, tt, cum)
                out[li, c] = np.diff(f)
        return out

    def binding_table(self, days: float = 1.0):
        """Fraction of each ``days`` bin each launcher spent under each binding constraint
        (ECSV-ready QTable: ``start_utc``, ``launcher``, one column per constraint)."""

        t0 = float(to_tdb_seconds(self.plan.start))
        h = float(self.plan.horizon.to_value(u.s))
        width = days * SECONDS_PER_DAY
        edges = t0 + width * np.arange(int(math.ceil(h / width - 1e-9)) + 1)
        edges[-1] = min(edges[-1], t0 + h)
        ct = self.constraint_time(edges)
        span = np.diff(edges)
        n_l, n_b = ct.shape[0], span.size
        starts = from_tdb_seconds(edges[:-1]).utc.isot
        cols = {"start_utc": np.tile(starts, n_l),
                "launcher": np.repeat([la.name for la in self.plan.launchers], n_b)}
        for c, name in enumerate(CONSTRAINT_NAMES):
            cols[name] = (ct[:, c, :] / span).reshape(-1)
        return QTable(cols)

    def totals(self) -> dict:
        """Totals: shots, tonnes, energy, propellant, delta-v, per year."""
        s = self.schedule
        years = float(self.plan.horizon.to_value(u.s)) / YEAR
        m = float(self.plan.satellite.mass.to_value(u.t))
        n = len(s)
        return {"shots": n, "tonnes": n * m, "tonnes_per_year": n * m / years,
                "energy_j": float(s.energy_j.sum()),
                "mean_power_w": float(s.energy_j.sum()) / float(self.plan.horizon.to_value(u.s)),
                "propellant_kg": float(s.propellant_kg.sum()),
                "mean_delta_v_km_s": float(s.delta_v_km_s.mean()) if n else None,
                "max_delta_v_km_s": float(s.delta_v_km_s.max()) if n else None,
                "years": years, "by_strategy": s.by_strategy(),
                "propellant_impulsive_kg": float(self._impulsive_propellant().sum())}

    def _impulsive_propellant(self, sel: np.ndarray | None = None) -> np.ndarray:
        """Propellant (kg) of the shots (all, or the ``sel`` mask) had they all flown the
        impulsive insertion."""
        dv = self.schedule.delta_v_impulsive_km_s
        dv = dv if sel is None else dv[sel]
        isp = float(self.plan.satellite.isp.to_value(u.s))
        return float(self.plan.satellite.mass.to_value(u.kg)) * -np.expm1(-dv / (_G0 * isp))

    def strategy_lines(self) -> list[str]:
        """Per shell, the arrival strategies flown (empty without arrival strategies)."""
        s = self.schedule
        if len(s.strategies) < 2:
            return []
        lines = []
        for si, shell in enumerate(self.plan.shells):
            sel = s.shell == si
            by = s.by_strategy(sel)
            if not by:
                continue
            parts = ", ".join(f"{name.replace('_', ' ')} {x['shots']:,} shots "
                              f"{x['propellant_kg'] / 1e3:,.1f} t" for name, x in by.items())
            lines.append(f"{shell.name}: arrival strategies flown (chosen by "
                         f"{self.plan.satellite.arrival.choose_by}): {parts}; all impulsive "
                         f"would take {self._impulsive_propellant(sel).sum() / 1e3:,.1f} t")
        return lines

    def verdict_text(self) -> str:
        """The plain verdict: feasible or not, and per shell its largest rate and its limit."""
        lines = [("FEASIBLE: every demand is met." if self.feasible else
                  "NOT FEASIBLE: some demand is not met.")]
        for v in self.verdicts:
            ask = "as much as possible" if v.demand is None else f"{v.demand.value:,.0f} t/yr"
            cap = ("" if v.capacity is None else
                   f"; largest rate it can receive {v.capacity.value:,.0f} t/yr")
            lines.append(f"{v.name}: asked {ask}, delivered {v.delivered.value:,.0f} t/yr{cap}; "
                         f"windows open {100 * v.window_open:.1f} % of the time; limited by "
                         f"{v.limit.replace('_', ' ')}: raise it with {v.raise_by}")
        return "\n".join(lines + self.strategy_lines())

    def to_dict(self) -> dict:
        """Summary (JSON): inputs, totals, per shell, verdict (not the shots)."""
        d = self.delivered_tonnes()
        codes = self.constraint_time(np.array([float(to_tdb_seconds(self.plan.start)),
                                               float(to_tdb_seconds(self.plan.start))
                                               + float(self.plan.horizon.to_value(u.s))]))
        h = float(self.plan.horizon.to_value(u.s))
        return {
            "inputs": self.inputs, "version": self.version, "feasible": self.feasible,
            "verdict": self.verdict_text(), "totals": self.totals(),
            "shells": [{**v.to_dict(), "tonnes": float(d[i]),
                        "shots": int(np.sum(self.schedule.shell == i)),
                        "by_strategy": self.schedule.by_strategy(self.schedule.shell == i),
                        "propellant_impulsive_kg": float(self._impulsive_propellant(
                            self.schedule.shell == i).sum())}
                       for i, v in enumerate(self.verdicts)],
            "binding_constraint_fraction": {
                la.name: {name: float(codes[li, c, 0] / h)
                          for c, name in enumerate(CONSTRAINT_NAMES)}
                for li, la in enumerate(self.plan.launchers)},
            "blocks": self.blocks,
        }

    def summary_table(self):
        """Per shell and month: tonnes, shots, mean delta-v, propellant (ECSV-ready QTable);
        with arrival strategies also the shots and propellant per strategy flown
        (``shots_<strategy>``, ``propellant_<strategy>``) and ``propellant_all_impulsive``
        (the same shots all impulsive), and per shell totals by strategy in ``meta``."""

        edges = self.month_edges()
        m = float(self.plan.satellite.mass.to_value(u.t))
        k = np.searchsorted(edges, self.schedule.epoch_tdb, side="right") - 1
        rows = {"month": [], "shell": [], "shots": [], "tonnes": [], "mean_delta_v": [],
                "propellant": [], "energy": []}
        months = from_tdb_seconds(edges[:-1]).utc.isot
        names = self.schedule.strategies if len(self.schedule.strategies) > 1 else ()
        per = {f"{q}_{name}": [] for name in names for q in ("shots", "propellant")}
        imp = [] if names else None
        for si, shell in enumerate(self.plan.shells):
            for mi in range(edges.size - 1):
                sel = (self.schedule.shell == si) & (k == mi)
                n = int(sel.sum())
                if names:
                    by = self.schedule.by_strategy(sel)
                    for name in names:
                        x = by.get(name, {"shots": 0, "propellant_kg": 0.0})
                        per[f"shots_{name}"].append(x["shots"])
                        per[f"propellant_{name}"].append(x["propellant_kg"])
                    imp.append(float(self._impulsive_propellant(sel).sum()))
                rows["month"].append(months[mi][:7])
                rows["shell"].append(shell.name)
                rows["shots"].append(n)
                rows["tonnes"].append(n * m)
                rows["mean_delta_v"].append(float(self.schedule.delta_v_km_s[sel].mean())
                                            if n else 0.0)
                rows["propellant"].append(float(self.schedule.propellant_kg[sel].sum()))
                rows["energy"].append(float(self.schedule.energy_j[sel].sum()) / 1e9)
        t = QTable({"month": rows["month"], "shell": rows["shell"],
                    "shots": np.array(rows["shots"], np.int64),
                    "tonnes": np.array(rows["tonnes"]) * u.t,
                    "mean_delta_v": np.array(rows["mean_delta_v"]) * u.km / u.s,
                    "propellant": np.array(rows["propellant"]) * u.kg,
                    "energy": np.array(rows["energy"]) * u.GJ})
        for key, col in per.items():
            t[key] = (np.array(col, np.int64) if key.startswith("shots_")
                      else np.array(col) * u.kg)
        if names:
            t["propellant_all_impulsive"] = np.array(imp) * u.kg
            t.meta["by_strategy"] = {
                shell.name: {"strategies": self.schedule.by_strategy(self.schedule.shell == si),
                             "propellant_impulsive_kg": float(self._impulsive_propellant(
                                 self.schedule.shell == si).sum())}
                for si, shell in enumerate(self.plan.shells)}
        t.meta["verdict"] = self.verdict_text()
        t.meta["feasible"] = self.feasible
        return t


def _block_ends(plan: ThroughputPlan, block_days: float) -> list[float]:
    t0 = float(to_tdb_seconds(plan.start))
    h = float(plan.horizon.to_value(u.s))
    step = block_days * SECONDS_PER_DAY
    n = max(1, int(math.ceil(h / step - 1e-9)))
    return [t0 + min(h, (i + 1) * step) for i in range(n)]


def schedule(plan: ThroughputPlan, tables: WindowTables, *, block_days: float | None = None,
             scheduler: str | None = None, client=None, checkpoint: str | Path | None = None,
             verdict: bool = True,
             progress: Callable[[int, int], None] | None = None) -> ThroughputResult:
    """Fire the plan's shots over the horizon (step 2 of the module notes).

    Parameters
    ----------
    plan : ThroughputPlan
    tables : WindowTables
        From :func:`price_windows`.
    block_days : float, optional
        Cut the horizon into blocks of this many days (default: one block in-process, 365 days
        on a cluster). The state is handed from block to block: the schedule does not depend
        on the blocks.
    scheduler, client
        Run the blocks as Dask tasks: the blocks of one piece one after the other (each needs
        the state the previous one leaves), the pieces side by side (the per-shell verdict
        runs, and each launcher of a run whose shells all ask "as much as possible";
        :func:`_schedule_runs`).
    checkpoint : path, optional
        Folder keeping each finished block (``block-<hash>-<i>.npz``); a rerun takes the
        blocks found there instead of computing them.
    verdict : bool
        Also schedule each shell alone as "as much as possible" to state its largest rate.
    progress : callable, optional
        ``progress(done, total)`` in arrival-strategy tasks (with a satellite model's arrival
        options: :mod:`massdriver.throughput_arrival`).

    Returns
    -------
    ThroughputResult
    """

    with active_client(scheduler, client) as active:
        remote = active is not None
        days = block_days if block_days is not None else (365.0 if remote else 1e9)
        runs = [(tables, None)]
        if verdict:
            for si, shell in enumerate(plan.shells):
                sub = WindowTables(tables.grid, tables.total_km_s[:, si:si + 1],
                                   tables.speed_km_s[:, si:si + 1], tables.tof_s[:, si:si + 1])
                runs.append((sub, (replace(shell, rate=None),)))
        done = _schedule_runs(plan, runs, days, active, checkpoint)
    (shots, ch, _n), n_blocks = done[0], len(_block_ends(plan, days))
    shot_arrays = dict(zip(_SHOT_FIELDS, shots, strict=True))
    verdicts = []
    open_frac = tables.open_fraction(float(plan.threshold.to_value(u.km / u.s)))
    years = float(plan.horizon.to_value(u.s)) / YEAR
    m = float(plan.satellite.mass.to_value(u.t))
    counts = np.bincount(shot_arrays["shell"], minlength=len(plan.shells))
    for si, shell in enumerate(plan.shells):
        delivered = counts[si] * m / years
        met = None
        if shell.rate is not None:
            cap_n = math.floor(float(shell.rate.to_value(u.t / u.s))
                               * float(plan.horizon.to_value(u.s)) / m + 1e-9)
            met = bool(counts[si] >= cap_n)
        capacity, limit = None, "demand_met" if met else "no_window"
        w_open = float(1.0 - np.prod(1.0 - open_frac[:, si]))
        if verdict:
            _none, a_ch, a_n = done[1 + si]
            capacity = a_n * m / years * u.t / u.yr
            limit = _dominant(plan, a_ch)
        advice = _ADVICE[limit]
        if limit not in ("no_window", "demand_met") and w_open < 0.5:
            advice += (f"; beyond that, {_ADVICE['no_window']}")
        verdicts.append(ShellVerdict(
            name=shell.name, demand=shell.rate, delivered=delivered * u.t / u.yr,
            capacity=capacity, met=met, window_open=w_open, limit=limit,
            raise_by=advice))
    n = shot_arrays["epoch_tdb"].size
    isp = float(plan.satellite.isp.to_value(u.s))
    mass = float(plan.satellite.mass.to_value(u.kg))
    option = shot_arrays.pop("option")        # small integers: small types (memory)
    launcher = shot_arrays.pop("launcher").astype(np.int16)
    shell = shot_arrays.pop("shell").astype(np.int16)
    dv_imp = shot_arrays["delta_v_km_s"]
    dv, strategy, names, calls = dv_imp, None, ("impulsive",), 0
    # impulsive only: every node difference would be 0, so no node is flown
    flying = (plan.satellite.arrival is not None
              and len(strategy_names(plan.satellite.arrival)) > 1)
    if flying and n:
        nodes = price_arrival_nodes(plan, launcher, shell, option, shot_arrays["epoch_tdb"],
                                    n_options=tables.total_km_s.shape[2], scheduler=scheduler,
                                    client=client, checkpoint=checkpoint, progress=progress)
        strategy, dv = fly_strategies(nodes, plan, launcher, shell, option,
                                      shot_arrays["epoch_tdb"], dv_imp,
                                      n_options=tables.total_km_s.shape[2])
        names, calls = nodes.strategies, nodes.calls
    elif plan.satellite.arrival is not None:
        names = strategy_names(plan.satellite.arrival)
    prop = mass * -np.expm1(-dv / (_G0 * isp))
    sched = Schedule(epoch_tdb=shot_arrays["epoch_tdb"], launcher=launcher, shell=shell,
                     plane=(option // 2).astype(np.int16), branch=(option % 2).astype(np.int8),
                     speed_km_s=shot_arrays["speed_km_s"], tof_s=shot_arrays["tof_s"],
                     delta_v_km_s=dv, energy_j=shot_arrays["energy_j"], propellant_kg=prop,
                     strategy=strategy, delta_v_impulsive_km_s=dv_imp, strategies=names)
    del option
    log.info("scheduled %d shots in %d blocks", n, n_blocks)
    inputs = {**plan.describe(), "pricing": (
        "each shot priced by linear interpolation of the window scan (cheapest of perigee "
        "burn / high ellipse, no dispersion margin, no mid-course correction) between the two "
        f"grid epochs around it, grid {plan.step.to_value(u.min):g} min; bound "
        f"{INTERPOLATION_TOLERANCE_KM_S} km/s at 60 min (tests/test_throughput.py)")}
    if plan.satellite.arrival is not None:
        inputs["arrival"] = {
            "strategies": list(names), "choose_by": plan.satellite.arrival.choose_by,
            "node_days": float(plan.arrival_step.to_value(u.day)), "comparisons": calls,
            "shot_propellant": (
                "the chosen arrival strategy's (docs/throughput.md): every strategy flown at "
                "nodes every "
                f"{plan.arrival_step.to_value(u.day):g} days from the scan's perigee state, "
                "its difference from the impulsive total interpolated linearly to each shot; "
                f"bound {ARRIVAL_INTERPOLATION_TOLERANCE_KM_S} km/s at "
                f"{DEFAULT_ARRIVAL_STEP_DAYS:g} days (tests/test_throughput_arrival.py); the "
                "schedule itself is chosen by the impulsive total")}
    return ThroughputResult(plan=plan, schedule=sched, change_t=ch[0], change_launcher=ch[1],
                            change_code=ch[2], window_open=open_frac, verdicts=tuple(verdicts),
                            blocks=n_blocks, inputs=inputs, version=massdriver.__version__)


def _dominant(plan: ThroughputPlan, ch: list) -> str:
    """The constraint that holds the launchers back while a window is open (the one with the
    most launcher-time, closed windows and the horizon end excluded); ``no_window`` if none."""
    t_stop = float(to_tdb_seconds(plan.start)) + float(plan.horizon.to_value(u.s))
    time_in = np.zeros(len(CONSTRAINT_NAMES))
    for li in range(len(plan.launchers)):
        sel = ch[1] == li
        tt = np.append(ch[0][sel], t_stop)
        np.add.at(time_in, ch[2][sel], np.diff(tt))
    time_in[CONSTRAINT_NAMES.index("horizon_end")] = 0.0
    window = CONSTRAINT_NAMES.index("no_window")
    open_time = time_in.copy()
    open_time[window] = 0.0
    if not np.any(open_time > 0):
        return "no_window"
    return CONSTRAINT_NAMES[int(np.argmax(open_time))]


def _units(plan: ThroughputPlan, tables: WindowTables, shells) -> list:
    """Independent pieces of one schedule run: ``[(launcher indices, sub-plan, sub-tables)]``.

    When every shell of the run asks "as much as possible" nothing couples the launchers (no
    shared demand: each fires at its own pace into the best open shell), so each launcher is a
    piece of its own; the kernel acts on the launcher of earliest time, the lowest index first
    on a tie, so merging the pieces' records by (time, launcher), stably, gives the run of all
    launchers together record for record (:func:`_merge`). With a finite demand the launchers
    share the shells' quotas and run together.
    """
    shells = plan.shells if shells is None else shells
    if len(plan.launchers) == 1 or any(sh.rate is not None for sh in shells):
        return [(tuple(range(len(plan.launchers))), plan, tables)]
    return [((li,), replace(plan, launchers=(la,)),
             WindowTables(tables.grid, tables.total_km_s[li:li + 1],
                          tables.speed_km_s[li:li + 1], tables.tof_s[li:li + 1]))
            for li, la in enumerate(plan.launchers)]


def _merge(parts: list) -> tuple:
    """Merge pieces ``[(launcher indices, shots, changes)]`` into one run's records."""
    shots, changes = [], []
    for idx, sh, chg in parts:
        lut = np.asarray(idx, np.int64)
        sh = list(sh)
        chg = list(chg)
        sh[1] = lut[sh[1]]
        chg[1] = lut[chg[1]]
        shots.append(sh)
        changes.append(chg)
    if len(parts) == 1:
        return shots[0], changes[0]
    cat_s = [np.concatenate([p[j] for p in shots]) for j in range(8)]
    cat_c = [np.concatenate([p[j] for p in changes]) for j in range(3)]
    o = np.lexsort((cat_s[1], cat_s[0]))           # by time, then launcher; stable
    oc = np.lexsort((cat_c[1], cat_c[0]))
    return [a[o] for a in cat_s], [a[oc] for a in cat_c]


def _as_finished(jobs: list, client):
    """``(index, _run_block(job))`` for each job as it finishes: in-process one after the
    other, on a Dask cluster all submitted at once and gathered in order."""
    if client is None:
        for j, job in enumerate(jobs):
            yield j, _run_block(job)
        return
    run_id = uuid.uuid4().hex[:12]
    keys = [f"massdriver-throughput-block-{run_id}-{j:06d}" for j in range(len(jobs))]
    futures = client.map(_run_block, jobs, key=keys, retries=2)
    for j, fut in enumerate(futures):       # all running; each kept once gathered
        yield j, client.gather(fut)


def _schedule_runs(plan, runs: list, block_days: float, client, checkpoint) -> list:
    """Schedule several independent runs ``[(tables, shells or None)]`` block by block.

    Each run is cut into the pieces of :func:`_units` (by launcher where that is exact) and
    each piece into the time blocks of :func:`_block_ends`; a piece's state (banks, coil
    temperatures, last shots, shots per shell) is handed from one of its blocks to the next.
    Block ``i`` of every piece is one batch of tasks (in-process one after the other, on a Dask
    cluster side by side). With a ``checkpoint`` folder each finished block is kept
    (``block-<key>-<i>.npz``, written whole or not at all) and a rerun takes it from there
    instead of computing it. Returns ``[(shots, changes, shot count)]``, one per run; the
    runs with ``shells`` given (the verdict's capacity runs) keep their count and binding
    changes only, not their shots (memory).
    """
    ends = _block_ends(plan, block_days)
    folder = None if checkpoint is None else Path(checkpoint)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    pieces = []                                    # (run index, launcher idx, inputs, key)
    for ri, (tables, shells) in enumerate(runs):
        for idx, sub_plan, sub_tables in _units(plan, tables, shells):
            k = _kernel_inputs(sub_plan, sub_tables, shells)
            key = None
            if folder is not None:
                h = hashlib.sha256(json.dumps(
                    [sub_plan.describe(), block_days, list(idx),
                     None if shells is None else [sh.describe() for sh in shells]],
                    sort_keys=True, default=str).encode())
                for name in ("total", "speed", "tof"):
                    h.update(np.ascontiguousarray(k[name]).tobytes())
                key = h.hexdigest()[:24]
            state = _initial_state(sub_plan)
            if shells is not None:
                state["delivered"] = np.zeros(len(shells), np.int64)
            pieces.append({"run": ri, "idx": idx, "k": k, "key": key, "state": state,
                           "shots": [], "changes": [], "n": 0, "light": shells is not None})
    log.info("scheduling: %d runs, %d pieces x %d blocks", len(runs), len(pieces), len(ends))
    for i, end in enumerate(ends):
        todo = []
        for pc in pieces:
            path = None if folder is None else folder / f"block-{pc['key']}-{i:04d}.npz"
            if path is not None and path.exists():
                z = np.load(path)
                pc["state"] = {f: z[f"state_{f}"] for f in _STATE_FIELDS}
                pc["n"] += int(z["n_shots"])
                pc["shots"].append([z[f"shot_{j}"] for j in range(8)])
                pc["changes"].append([z[f"change_{j}"] for j in range(3)])
            else:
                todo.append((pc, path))
        if not todo:
            continue
        # a verdict run's pieces are light: their count and changes only, not their shots
        jobs = [(pc["k"], pc["state"], end, pc["light"]) for pc, _ in todo]
        for j, (state, shots, changes, n_block) in _as_finished(jobs, client):
            pc, path = todo[j]
            pc["state"] = state
            pc["n"] += n_block
            pc["shots"].append(shots)
            pc["changes"].append(changes)
            if path is not None:               # kept as soon as it is done
                arrays = {"n_shots": np.int64(n_block),
                          **{f"state_{f}": state[f] for f in _STATE_FIELDS},
                          **{f"shot_{j}": a for j, a in enumerate(shots)},
                          **{f"change_{j}": a for j, a in enumerate(changes)}}
                write_file(path, True, lambda f, arrays=arrays: np.savez(f, **arrays))
    result = []
    for ri in range(len(runs)):
        parts = []
        for pc in pieces:
            if pc["run"] != ri:
                continue
            blocks, pc["shots"] = pc["shots"], None        # (freed once concatenated)
            shots = []
            for j in range(8):
                shots.append(blocks[0][j] if len(blocks) == 1
                             else np.concatenate([p[j] for p in blocks]))
                for p in blocks:
                    p[j] = None
            changes = [np.concatenate([p[j] for p in pc["changes"]]) for j in range(3)]
            parts.append((pc["idx"], shots, changes))
        shots, changes = _merge(parts)
        result.append((shots, changes, sum(pc["n"] for pc in pieces if pc["run"] == ri)))
    return result


def plan_throughput(plan: ThroughputPlan, *, scheduler: str | None = None, client=None,
                    checkpoint: str | Path | None = None, block_days: float | None = None,
                    verdict: bool = True,
                    progress: Callable[[int, int], None] | None = None,
                    arrival_progress: Callable[[int, int], None] | None = None
                    ) -> ThroughputResult:
    """Price and schedule a throughput plan (:func:`price_windows` then :func:`schedule`).

    Parameters
    ----------
    plan : ThroughputPlan
    scheduler, client
        A Dask cluster for the pricing tasks and the schedule blocks.
    checkpoint : path, optional
        Folder of finished pricing tasks and schedule blocks (resumable runs).
    block_days : float, optional
        Schedule block length (see :func:`schedule`).
    verdict : bool
        Compute each shell's largest rate (one more schedule per shell).
    progress : callable, optional
        ``progress(done, total)`` in window-pricing tasks.
    arrival_progress : callable, optional
        ``progress(done, total)`` in arrival-strategy tasks (a second phase with its own
        count, after the schedule); default ``progress``.

    Returns
    -------
    ThroughputResult
    """
    tables = price_windows(plan, scheduler=scheduler, client=client, checkpoint=checkpoint,
                           progress=progress)
    return schedule(plan, tables, block_days=block_days, scheduler=scheduler, client=client,
                    checkpoint=checkpoint, verdict=verdict,
                    progress=progress if arrival_progress is None else arrival_progress)
