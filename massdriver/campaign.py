"""Deployment campaigns: which satellite is fired when, in which window, into which plane.

A campaign takes a constellation (the planes of a Walker constellation, or any list of target
orbits, with a number of satellites per plane), one launcher (its exit-speed range, the energy a
shot draws from the banks, the power that recharges them and an optional shot-rate limit), one
track on the Moon and a span of dates, and plans the deployment (``docs/campaign.md``):

1. **Windows of every plane.** Each plane is its own target (the planes of a Walker
   constellation differ by their RAAN, so each has its own windows): one
   :func:`massdriver.windows.solve` per plane over the whole span, on the coarse grid of the
   ``[search]`` step, without the mid-course-correction strategy (it is priced only at a
   window's best epoch, which most shots are not at). The planes are solved in-process, or one
   Dask task per plane on a cluster (:mod:`massdriver.parallel`).
2. **Greedy assignment** (deterministic). The launcher is ready at ``start`` (banks charged);
   a shot at exit speed ``v`` needs ``recharge = max(E(v) / P, 1 / max_shot_rate)`` after the
   previous one, with ``E(v)`` the bank energy of the shot and ``P`` the power. Two policies:

   ``cheapest`` (default: least delta-v). Each window offers the *slots* ``best + j T`` inside
   it (``best`` its refined minimum, ``T`` the recharge at the fastest speed the scan solved in
   it), ranked by the scan's total interpolated at the slot. Slots are taken cheapest first
   (ties: earlier, lower plane) for planes that still need satellites, each kept only if the
   re-solved shot keeps its recharge to the shots already chosen on both sides. Shots crowd
   around the windows' minima; the campaign lasts as long as the windows it uses.

   ``earliest`` (shortest campaign). Each plane with satellites left has a *candidate*: the
   earliest epoch at or after the ready time inside one of its windows. The earliest candidate
   is fired; candidates within one recharge time of it count as simultaneous, and among those
   the window that closes first goes (earliest deadline first), then the plane with more
   satellites left, then the lower index. Shots go near the windows' opening edges, where the
   delta-v is close to the threshold.
3. **Each shot is re-solved at its own epoch** (not read off the scan grid): the exit speed that
   puts the perigee at the target radius (same compiled speed solve as the scan, seeded with the
   window's best speed), the arrival priced by :func:`massdriver.budget.delta_v_budget` (the
   cheapest of the perigee-burn and high-ellipse strategies at that arrival) plus the window's
   dispersion margin (computed by ``windows.solve`` at the window's best epoch). A shot is
   accepted only if its total without the margin is under the threshold (the window criterion);
   the recharge of the shot's own energy is enforced exactly (the epoch is moved and the shot
   re-solved until it holds).
4. **Propellant** of each satellite by the rocket equation on its total (margin included: the
   propellant the satellite must carry), ``m_p = m (1 - exp(-dv / (g0 Isp)))`` with ``m`` the
   satellite's mass at arrival (:func:`massdriver.budget.propellant_mass`). With a
   ``[satellite]`` (:class:`massdriver.satellite.Satellite`) each scheduled shot's insertion is
   re-priced with every enabled arrival strategy (finite burn, multi-pass, aerobraking,
   aerocapture: :func:`massdriver.arrival.compare_strategies`, the shot's plane change and
   margin kept) and its propellant and delta-v are the chosen strategy's; the totals are then
   also given per strategy and against the all-impulsive propellant (docs/arrival.md).

Not modelled: the in-plane slot phasing of a Walker pattern (a drift, not priced by insertion
budgets), the time the high-ellipse strategy spends before the plane reaches its final orbit
(arrival means the perigee where the insertion begins), launcher failures and downtime.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import astropy.units as u
import numpy as np
from astropy.table import QTable
from astropy.utils.masked import Masked

import massdriver
from massdriver.arrival import ArrivalOptions, compare_strategies
from massdriver.budget import delta_v_budget, propellant_mass
from massdriver.coilgun import charge_for_speed
from massdriver.ephemeris import Ephemeris
from massdriver.errors import InputError
from massdriver.parallel import active_client, map_ordered
from massdriver.targets import TargetOrbit, parse_walker, walker
from massdriver.timescales import SECONDS_PER_DAY, from_tdb_seconds, table_times, to_tdb_seconds
from massdriver.trajectory import perigee_arrival_from_state
from massdriver.windows import BRANCHES, _problem, _solve_one, solve

__all__ = ["Constellation", "ShotEnergy", "CampaignLauncher", "CampaignShot", "Campaign",
           "CampaignConfig", "plan_campaign", "schedule_campaign", "solve_planes",
           "POLICIES"]

#: assignment policies of :func:`schedule_campaign`
POLICIES = ("cheapest", "earliest")
#: seconds an epoch is moved inside a window when the re-solved shot misses the threshold
_EDGE_NUDGE = 60.0
#: longest recharge of one shot accepted (s; about 30 years, beyond any campaign's span)
MAX_RECHARGE_SECONDS = 1e9
#: re-solves allowed to settle one shot's recharge spacing
_MAX_SPACING_ITERATIONS = 8
#: seconds added when a shot is moved to the end of its recharge (the speed moves a little)
_SPACING_SLACK = 1.0


# ------------------------------------------------------------------------------------------------
# inputs
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Constellation:
    """The planes to fill and how many satellites each needs.

    Attributes
    ----------
    planes : tuple of massdriver.targets.TargetOrbit
        One target orbit per plane.
    satellites : tuple of int
        Satellites to deliver into each plane (>= 0).
    name : str
    """

    planes: tuple
    satellites: tuple
    name: str = ""

    def __post_init__(self) -> None:
        planes = tuple(self.planes)
        sats = tuple(self.satellites)
        if not planes:
            raise InputError("Constellation: no plane given")
        if not all(isinstance(p, TargetOrbit) for p in planes):
            raise InputError("Constellation.planes: every plane must be a TargetOrbit")
        if len(sats) != len(planes):
            raise InputError(f"Constellation.satellites: {len(sats)} counts for {len(planes)} "
                             "planes; give one count per plane")
        for k, n in enumerate(sats):
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
                raise InputError(f"Constellation.satellites[{k}] = {n!r}: must be an integer "
                                 ">= 0")
        if sum(sats) == 0:
            raise InputError("Constellation.satellites: at least one satellite is needed")
        object.__setattr__(self, "planes", planes)
        object.__setattr__(self, "satellites", tuple(int(n) for n in sats))

    @property
    def total(self) -> int:
        """Satellites in the whole constellation."""
        return int(sum(self.satellites))

    @classmethod
    def walker(cls, inclination, total: int | None = None, planes: int | None = None,
               phasing: int | None = None, altitude=None, *, raan0=None, epoch=None,
               name: str | None = None) -> Constellation:
        """A Walker-delta constellation ``i:T/P/F``: ``T/P`` satellites in each of ``P`` planes.

        Arguments as :func:`massdriver.targets.walker` (give ``epoch`` = the campaign start
        or the date the RAANs refer to).
        """
        plane_list = walker(inclination, total, planes, phasing, altitude, raan0=raan0,
                            epoch=epoch, name=name)
        if isinstance(inclination, str):
            _i, total, planes, _f = parse_walker(inclination)
        label = name or plane_list[0].name.rsplit(" plane ", 1)[0]
        return cls(planes=tuple(plane_list), satellites=(int(total) // int(planes),) * planes,
                   name=label)

    def describe(self) -> dict:
        """Plain description (JSON)."""
        return {"name": self.name, "planes": [p.describe() for p in self.planes],
                "satellites": list(self.satellites), "total": self.total}


@dataclass(frozen=True)
class ShotEnergy:
    """Bank energy drawn by one shot as a function of its exit speed.

    ``E(v) = reference_energy`` when ``reference_speed`` is ``None`` (a fixed charge), else
    ``E(v) = reference_energy (v / reference_speed)^2`` (a constant electrical-to-kinetic
    efficiency).

    Attributes
    ----------
    reference_energy : astropy.units.Quantity
        J.
    reference_speed : astropy.units.Quantity or None
        km/s.
    source : str
        Where the figures come from (for reports).
    thermal_rate : astropy.units.Quantity or None
        Sustainable firing rate of the launcher's coils (1/h) when the energy comes from a
        coilgun model (:func:`massdriver.coilgun_losses.heating`); ``None`` otherwise.
    """

    reference_energy: Any
    reference_speed: Any = None
    source: str = ""
    thermal_rate: Any = None

    def __post_init__(self) -> None:
        try:
            e = float(u.Quantity(self.reference_energy).to_value(u.J))
            v = (None if self.reference_speed is None
                 else float(u.Quantity(self.reference_speed).to_value(u.km / u.s)))
        except (u.UnitsError, TypeError, ValueError) as exc:
            raise InputError(f"ShotEnergy: {exc}") from None
        if not (e > 0 and math.isfinite(e)):
            raise InputError(f"ShotEnergy.reference_energy = {self.reference_energy}: must be "
                             "positive and finite")
        if v is not None and not (v > 0 and math.isfinite(v)):
            raise InputError(f"ShotEnergy.reference_speed = {self.reference_speed}: must be "
                             "positive and finite")
        object.__setattr__(self, "reference_energy", e * u.J)
        object.__setattr__(self, "reference_speed", None if v is None else v * u.km / u.s)

    @classmethod
    def fixed(cls, energy) -> ShotEnergy:
        """The same energy for every shot (J)."""
        return cls(energy, None, "fixed energy per shot")

    @classmethod
    def from_efficiency(cls, efficiency: float, mass) -> ShotEnergy:
        """``E = m v^2 / (2 efficiency)``: kinetic energy of ``mass`` at exit over the efficiency.

        Parameters
        ----------
        efficiency : float
            Bank energy to muzzle kinetic energy, in (0, 1].
        mass : astropy.units.Quantity
            Mass leaving the track (kg), e.g. ``LauncherSpec.payload_mass``.
        """
        eta = float(efficiency)
        if not (0 < eta <= 1):
            raise InputError(f"efficiency = {efficiency!r}: must be in (0, 1]")
        m = float(u.Quantity(mass).to_value(u.kg))
        if not (m > 0 and math.isfinite(m)):
            raise InputError(f"mass = {mass}: must be positive")
        return cls(0.5 * m * 1e6 / eta * u.J, 1.0 * u.km / u.s,
                   f"kinetic energy of {m:g} kg / efficiency {eta:g}")

    @classmethod
    def from_coilgun(cls, coilgun, payload_mass, speed) -> ShotEnergy:
        """Grid energy of a simulated shot of ``coilgun`` charged for ``speed``.

        One :func:`massdriver.coilgun.charge_for_speed` at ``speed`` (choose the middle of the
        speeds the campaign will use); other speeds scale as ``v^2`` (the efficiency of that
        shot held constant). The energy is the shot's grid energy (what the charger takes from
        the supply, with the launcher's losses, charger efficiency, residual recovery and
        cryogenics: ``shot.energy["grid_j"]``), so ``power`` is the grid power; the coils'
        sustainable firing rate rides along as ``thermal_rate``.
        """
        charge = charge_for_speed(coilgun, payload_mass, speed)
        shot = charge.shot
        v = shot.exit_speed.to(u.km / u.s)
        label = getattr(coilgun, "name", "") or "coilgun"
        acc = shot.energy
        energy = acc["grid_j"] * u.J if acc else shot.energy_drawn.to(u.J)
        rate = None
        if shot.thermal and math.isfinite(shot.thermal["thermal_rate_hz"]) \
                and shot.thermal["thermal_rate_hz"] > 0:
            rate = shot.thermal["thermal_rate_hz"] * 3600.0 / u.h
        text = (f"{label}: simulated shot at {v.to_value(u.km / u.s):.4f} km/s, muzzle "
                f"efficiency {shot.efficiency:.4f}")
        if acc:
            text += f", wall-plug {acc['wall_plug_efficiency']:.4f} (grid energy per shot)"
        return cls(energy, v, text, rate)

    def joules(self, speed_km_s: float) -> float:
        """``E(v)`` in J for an exit speed in km/s (plain floats)."""
        e = float(self.reference_energy.to_value("J"))
        if self.reference_speed is None:
            return e
        return e * (float(speed_km_s) / float(self.reference_speed.to_value("km/s"))) ** 2

    def at(self, speed):
        """``E(v)`` (J) for an exit speed Quantity."""
        return self.joules(float(u.Quantity(speed).to_value(u.km / u.s))) * u.J


@dataclass(frozen=True)
class CampaignLauncher:
    """The launcher as a campaign sees it: what it can fire and how often.

    Attributes
    ----------
    spec : massdriver.mission.LauncherSpec
        Exit-speed range, mass leaving the track, error sigmas.
    power : astropy.units.Quantity
        Average electrical power available to recharge the banks (W).
    energy : ShotEnergy
        Bank energy of a shot against its exit speed.
    max_shot_rate : astropy.units.Quantity or None
        Upper limit on the firing rate (1/h), e.g. thermal or mechanical; ``None``: only the
        recharge limits it.
    """

    spec: Any
    power: Any
    energy: ShotEnergy
    max_shot_rate: Any = None

    def __post_init__(self) -> None:
        try:
            p = float(u.Quantity(self.power).to_value(u.W))
            r = (None if self.max_shot_rate is None
                 else float(u.Quantity(self.max_shot_rate).to_value(1 / u.h)))
        except (u.UnitsError, TypeError, ValueError) as exc:
            raise InputError(f"CampaignLauncher: {exc}") from None
        if not (p > 0 and math.isfinite(p)):
            raise InputError(f"CampaignLauncher.power = {self.power}: must be positive")
        if r is not None and not (r > 0 and math.isfinite(r)):
            raise InputError(f"CampaignLauncher.max_shot_rate = {self.max_shot_rate}: must be "
                             "positive")
        if not isinstance(self.energy, ShotEnergy):
            raise InputError("CampaignLauncher.energy: expected a ShotEnergy")
        object.__setattr__(self, "power", p * u.W)
        object.__setattr__(self, "max_shot_rate", None if r is None else r / u.h)
        speed_max = getattr(self.spec, "speed_max", None)
        if speed_max is not None:     # bounded now, not after the planes were solved
            energy = self.energy.joules(float(u.Quantity(speed_max).to_value(u.km / u.s)))
            t = energy / p
            if not (math.isfinite(t) and t <= MAX_RECHARGE_SECONDS):
                raise InputError(
                    f"CampaignLauncher.power = {p:.4g} W: a shot at {speed_max:.4g} draws "
                    f"{energy:.4g} J, which takes {t:.3g} s to recharge (more than "
                    f"{MAX_RECHARGE_SECONDS:.0e} s, about 30 years); give more power")

    def recharge_seconds(self, speed_km_s: float) -> float:
        """Shortest spacing (s) before a shot at ``speed_km_s``: ``max(E / P, 1 / rate)``."""
        t = self.energy.joules(speed_km_s) / float(self.power.to_value("W"))
        if self.max_shot_rate is not None:
            t = max(t, 3600.0 / float(self.max_shot_rate.to_value("1/h")))
        return t

    def recharge_time(self, speed):
        """:meth:`recharge_seconds` for a speed Quantity (returns minutes)."""
        return (self.recharge_seconds(float(u.Quantity(speed).to_value(u.km / u.s))) / 60.0
                * u.min)

    def describe(self) -> dict:
        """Plain description (JSON)."""
        s = self.spec
        return {
            "speed_range_km_s": [float(s.speed_min.to_value("km/s")),
                                 float(s.speed_max.to_value("km/s"))],
            "mass_leaving_track_kg": float(s.payload_mass.to_value("kg")),
            "power_w": float(self.power.to_value("W")),
            "energy_model": self.energy.source,
            "reference_energy_j": float(self.energy.reference_energy.to_value("J")),
            "reference_speed_km_s": (None if self.energy.reference_speed is None else
                                     float(self.energy.reference_speed.to_value("km/s"))),
            "max_shot_rate_per_hour": (None if self.max_shot_rate is None else
                                       float(self.max_shot_rate.to_value("1/h"))),
        }


# ------------------------------------------------------------------------------------------------
# results
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CampaignShot:
    """One satellite fired.

    Attributes
    ----------
    index : int
        Firing order (0-based).
    plane, satellite : int
        Plane index and the satellite's number in its plane (0-based, in firing order).
    epoch : astropy.time.Time
        Launch (track exit), UTC scale.
    window : int
        Index of the window in ``Campaign.windows[plane]``.
    branch : str
    speed : astropy.units.Quantity
        Exit speed (km/s), solved at ``epoch``.
    perigee : massdriver.trajectory.PerigeeArrival
        Arrival at the Earth perigee where the insertion begins.
    budget : massdriver.budget.DeltaVBudget
        Delta-v of this satellite (cheapest strategy at its arrival + the window's margin).
    propellant : astropy.units.Quantity
        kg, rocket equation on ``budget.total`` from the satellite's mass at arrival.
    energy : astropy.units.Quantity
        Bank energy drawn (J).
    recharge : astropy.units.Quantity
        Spacing this shot needs after the previous one (min).
    spacing : astropy.units.Quantity or None
        Time since the previous shot (min); ``None`` for the first.
    comparison : massdriver.arrival.ArrivalComparison or None
        Every enabled arrival strategy priced for this shot when the campaign has a
        ``[satellite]`` (``None`` otherwise); ``propellant`` is then the chosen strategy's.
    """

    index: int
    plane: int
    satellite: int
    epoch: Any
    window: int
    branch: str
    speed: Any
    perigee: Any
    budget: Any
    propellant: Any
    energy: Any
    recharge: Any
    spacing: Any
    comparison: Any = None

    @property
    def arrival(self):
        """Epoch of the arrival perigee (TDB scale)."""
        return self.perigee.epoch

    @property
    def strategy(self) -> str:
        """Insertion strategy flown: the chosen arrival strategy with a ``[satellite]``, else
        the impulsive budget's (``perigee_burn``, ``high_ellipse``)."""
        return self.comparison.chosen if self.comparison is not None else self.budget.strategy

    @property
    def delta_v(self):
        """Delta-v of the strategy flown (km/s): the chosen arrival strategy's total with a
        ``[satellite]``, else the impulsive budget's."""
        c = self.comparison
        return c.best.delta_v if c is not None else self.budget.total

    @property
    def time_of_flight(self):
        """Launch to perigee (days)."""
        return self.perigee.time_of_flight

    def to_dict(self) -> dict:
        """Plain-JSON view (units in the key names)."""
        return {
            "index": self.index, "plane": self.plane, "satellite": self.satellite,
            "launch_utc": self.epoch.utc.isot, "launch_tdb": self.epoch.tdb.isot,
            "window": self.window, "branch": self.branch,
            "speed_km_s": float(self.speed.to_value(u.km / u.s)),
            "arrival_utc": self.arrival.utc.isot,
            "time_of_flight_days": float(self.time_of_flight.to_value(u.day)),
            "perigee": self.perigee.to_dict(),
            "budget": self.budget.as_dict(),
            "strategy": self.strategy,
            "delta_v_km_s": float(self.delta_v.to_value(u.km / u.s)),
            "propellant_kg": float(self.propellant.to_value(u.kg)),
            "energy_j": float(self.energy.to_value(u.J)),
            "recharge_minutes": float(self.recharge.to_value(u.min)),
            "spacing_minutes": (None if self.spacing is None
                                else float(self.spacing.to_value(u.min))),
            # every strategy priced (no per-pass history: campaign.json stays small)
            "arrival": (None if self.comparison is None else
                        _without_history(self.comparison.as_dict())),
        }


def _without_history(d: dict) -> dict:
    for r in d["strategies"]:
        r.pop("history", None)
    return d


@dataclass(frozen=True)
class Campaign:
    """A planned deployment: the shots in firing order, their windows, totals and timeline.

    Attributes
    ----------
    constellation : Constellation
    launcher : CampaignLauncher
    shots : tuple of CampaignShot
        In firing order.
    windows : tuple of tuple of massdriver.windows.LaunchWindow
        The windows of each plane over the span.
    start : astropy.time.Time
        Campaign start (the launcher is ready, banks charged).
    span : astropy.units.Quantity
        Days searched.
    satellite_mass, isp : astropy.units.Quantity
        Satellite mass at arrival (kg) and specific impulse of its thruster (s).
    inputs : dict
        Plain description of the inputs.
    version : str
    message : str
        Why satellites are missing, when the campaign is incomplete.
    """

    constellation: Constellation
    launcher: CampaignLauncher
    shots: tuple
    windows: tuple
    start: Any
    span: Any
    satellite_mass: Any
    isp: Any
    inputs: dict = field(default_factory=dict)
    version: str = ""
    message: str = ""

    # -- counts ----------------------------------------------------------------------------------
    @property
    def requested(self) -> tuple:
        """Satellites asked for, per plane."""
        return self.constellation.satellites

    @property
    def delivered(self) -> tuple:
        """Satellites scheduled, per plane."""
        counts = [0] * len(self.constellation.planes)
        for s in self.shots:
            counts[s.plane] += 1
        return tuple(counts)

    @property
    def complete(self) -> bool:
        """Every satellite of every plane is scheduled."""
        return self.delivered == self.requested

    # -- totals ----------------------------------------------------------------------------------
    def _sum(self, getter, unit: str):
        return float(sum(getter(s).to_value(unit) for s in self.shots)) * u.Unit(unit)

    @property
    def total_delta_v(self):
        """Sum of the satellites' delta-v (km/s), each that of the strategy it flies
        (:attr:`CampaignShot.delta_v`)."""
        return self._sum(lambda s: s.delta_v, "km/s")

    @property
    def total_propellant(self):
        """Propellant of all satellites (kg), each that of the strategy it flies."""
        return self._sum(lambda s: s.propellant, "kg")

    def _last_in_orbit(self) -> str | None:
        done = [s.arrival + s.comparison.best.days for s in self.shots
                if s.comparison is not None]
        if not done:
            return None
        return max(done, key=lambda t: t.tdb.jd1 + t.tdb.jd2).utc.isot

    def by_strategy(self) -> dict:
        """Shots, delta-v and propellant summed per insertion strategy flown
        (:attr:`CampaignShot.strategy`), in order of first use."""
        out: dict[str, dict] = {}
        for s in self.shots:
            d = out.setdefault(s.strategy, {"shots": 0, "delta_v_km_s": 0.0,
                                            "propellant_kg": 0.0})
            d["shots"] += 1
            d["delta_v_km_s"] += float(s.delta_v.to_value(u.km / u.s))
            d["propellant_kg"] += float(s.propellant.to_value(u.kg))
        return out

    @property
    def impulsive_propellant(self):
        """Propellant of all satellites had each flown the impulsive budget (kg): the
        reference the arrival strategies are compared with."""
        m = float(self.satellite_mass.to_value(u.kg))
        return self._sum(lambda s: propellant_mass(s.budget.total, self.isp,
                                                   wet_mass=m * u.kg), "kg")

    @property
    def total_energy(self):
        """Bank energy drawn by all shots (J)."""
        return self._sum(lambda s: s.energy, "J")

    # -- timeline --------------------------------------------------------------------------------
    @property
    def first_shot(self):
        """Epoch of the first shot (``None`` without shots)."""
        return self.shots[0].epoch if self.shots else None

    @property
    def last_shot(self):
        """Epoch of the last shot (``None`` without shots)."""
        return self.shots[-1].epoch if self.shots else None

    @property
    def completion(self):
        """Latest arrival at Earth (``None`` without shots)."""
        if not self.shots:
            return None
        return max((s.arrival for s in self.shots), key=lambda t: t.tdb.jd1 + t.tdb.jd2)

    @property
    def duration(self):
        """Campaign duration: ``start`` to the latest arrival (days; 0 without shots)."""
        if not self.shots:
            return 0.0 * u.day
        return (self.completion - self.start).to(u.day)

    @property
    def firing_span(self):
        """First to last shot (days)."""
        if not self.shots:
            return 0.0 * u.day
        return (self.last_shot - self.first_shot).to(u.day)

    # -- views -----------------------------------------------------------------------------------
    @property
    def schedule(self):
        """The schedule as an astropy ``QTable`` (one row per shot; ECSV-ready)."""
        return self.to_table()

    def to_table(self):
        """The schedule as an astropy ``QTable`` with units (one row per shot, firing order)."""
        s = self.shots
        kms = u.km / u.s

        def col(fn, unit):
            return np.array([fn(x) for x in s], dtype=float) * unit

        cols: dict[str, Any] = {
            "shot": np.array([x.index for x in s], dtype=int),
            "plane": np.array([x.plane for x in s], dtype=int),
            "plane_name": np.array([self.constellation.planes[x.plane].name for x in s],
                                   dtype=str),
            "satellite": np.array([x.satellite for x in s], dtype=int),
            "launch_utc": table_times([x.epoch for x in s]),
            "window": np.array([x.window for x in s], dtype=int),
            "branch": np.array([x.branch for x in s], dtype=str),
            "speed": col(lambda x: x.speed.to_value(kms), kms),
            "energy": col(lambda x: x.energy.to_value(u.J), u.J),
            "recharge": col(lambda x: x.recharge.to_value(u.min), u.min),
            "spacing": _first_masked(col(lambda x: 0.0 if x.spacing is None else
                                         x.spacing.to_value(u.min), u.min)),
            "arrival_utc": table_times([x.arrival for x in s]),
            "time_of_flight": col(lambda x: x.time_of_flight.to_value(u.day), u.day),
            "perigee_altitude": col(lambda x: x.perigee.altitude.to_value(u.km), u.km),
            "inclination": col(lambda x: x.perigee.inclination.to_value(u.deg), u.deg),
            "raan": col(lambda x: x.perigee.raan.to_value(u.deg), u.deg),
        }
        for part in ("insertion", "plane_change", "circularization", "margin", "total"):
            cols[part] = col(lambda x, p=part: getattr(x.budget, p).to_value(kms), kms)
        cols["strategy"] = np.array([x.budget.strategy for x in s], dtype=str)
        # the strategy flown: the chosen arrival strategy with a [satellite], else the above
        cols["arrival_strategy"] = np.array([x.strategy for x in s], dtype=str)
        cols["delta_v"] = col(lambda x: x.delta_v.to_value(kms), kms)
        cols["propellant"] = col(lambda x: x.propellant.to_value(u.kg), u.kg)
        meta = {"massdriver_version": self.version, "constellation": self.constellation.name,
                "start_utc": self.start.utc.isot,
                "requested": list(self.requested), "delivered": list(self.delivered)}
        return QTable(cols, meta=meta)

    def plane_summary(self) -> list[dict]:
        """Per plane: requested, delivered, windows, first shot, last arrival, sums."""
        out = []
        for k, plane in enumerate(self.constellation.planes):
            mine = [s for s in self.shots if s.plane == k]
            out.append({
                "plane": k, "name": plane.name, "requested": self.requested[k],
                "delivered": len(mine), "windows": len(self.windows[k]),
                "first_shot_utc": mine[0].epoch.utc.isot if mine else None,
                "last_arrival_utc": (max(mine, key=lambda s: s.arrival.tdb.jd).arrival.utc.isot
                                     if mine else None),
                "delta_v_km_s": float(sum(s.delta_v.to_value(u.km / u.s) for s in mine)),
                "propellant_kg": float(sum(s.propellant.to_value(u.kg) for s in mine)),
                "energy_j": float(sum(s.energy.to_value(u.J) for s in mine)),
            })
        return out

    def to_dict(self) -> dict:
        """Plain-JSON view (``campaign.json`` and ``massdriver campaign --json``)."""
        dv = [s.delta_v.to_value(u.km / u.s) for s in self.shots]
        firing = float(self.firing_span.to_value(u.s))
        energy = float(self.total_energy.to_value(u.J))
        return {
            "massdriver_version": self.version,
            "inputs": self.inputs,
            "message": self.message,
            "complete": self.complete,
            "totals": {
                "satellites_requested": self.constellation.total,
                "satellites_delivered": len(self.shots),
                "delta_v_km_s": float(self.total_delta_v.to_value(u.km / u.s)),
                "mean_delta_v_km_s": float(np.mean(dv)) if dv else None,
                "max_delta_v_km_s": float(np.max(dv)) if dv else None,
                "propellant_kg": float(self.total_propellant.to_value(u.kg)),
                "propellant_impulsive_kg": float(self.impulsive_propellant.to_value(u.kg)),
                "by_strategy": self.by_strategy(),
                "energy_j": energy,
                "mean_power_w": energy / firing if firing > 0 else None,
            },
            "timeline": {
                "start_utc": self.start.utc.isot,
                "first_shot_utc": self.first_shot.utc.isot if self.shots else None,
                "last_shot_utc": self.last_shot.utc.isot if self.shots else None,
                "last_arrival_utc": self.completion.utc.isot if self.shots else None,
                "duration_days": float(self.duration.to_value(u.day)),
                "firing_span_days": float(self.firing_span.to_value(u.day)),
                # with arrival strategies: the last satellite in its final orbit (aerobraking
                # and multi-pass take days to weeks after the arrival perigee)
                "last_in_final_orbit_utc": self._last_in_orbit(),
            },
            "planes": self.plane_summary(),
            "shots": [s.to_dict() for s in self.shots],
            "windows": [[w.to_dict() for w in ws] for ws in self.windows],
        }


def _first_masked(q):
    """``q`` with its first element masked (the first shot has no spacing): an empty ECSV field,
    never a NaN in the file."""
    if q.shape[0] == 0:
        return q
    mask = np.zeros(q.shape, dtype=bool)
    mask[0] = True
    return Masked(q, mask=mask)


# ------------------------------------------------------------------------------------------------
# step 1: windows of every plane
# ------------------------------------------------------------------------------------------------
def _solve_plane(job: tuple):
    """One plane's ``windows.solve`` (module level: a Dask task)."""
    site, target, start, span, kwargs = job
    return solve(site, target, start, span, **kwargs)


def solve_planes(constellation: Constellation, launcher: CampaignLauncher, site, start, span, *,
                 threshold, step=None, rtol: float = 1e-10, max_flight_time=None,
                 dispersion_samples: int = 2000, seed: int = 0, ephemeris=None,
                 scheduler: str | None = None, client=None,
                 progress: Callable[[int, int], None] | None = None) -> tuple:
    """The windows of every plane: one :func:`massdriver.windows.solve` each.

    In-process by default; with ``client``/``scheduler`` (or inside
    :func:`massdriver.parallel.use_dask`) one Dask task per plane (same floats: the kernels do not
    depend on the thread count). Arguments as :func:`plan_campaign`.

    Returns
    -------
    tuple of massdriver.windows.Plan
        One per plane, in plane order.
    """
    spec = replace(launcher.spec, coilgun=None)        # the scan needs the speed range only
    kwargs = {"threshold": threshold, "launcher": spec, "step": step, "rtol": rtol,
              "max_flight_time": max_flight_time, "mid_course": False,
              "dispersion_samples": dispersion_samples, "seed": seed, "ephemeris": ephemeris}
    jobs = [(site, plane, start, span, kwargs) for plane in constellation.planes]
    with active_client(scheduler, client) as active:
        if active is not None:
            plans = map_ordered(_solve_plane, jobs, client=active, label="massdriver-plane")
            if progress is not None:
                progress(len(jobs), len(jobs))
            return tuple(plans)

    plans = []
    for k, (s, plane, t0, dt, kw) in enumerate(jobs):
        def tick(done: int, total: int, k=k) -> None:
            if progress is not None:
                progress(k * total + done, len(jobs) * total)
        plans.append(solve(s, plane, t0, dt, progress=tick, **kw))
    return tuple(plans)


# ------------------------------------------------------------------------------------------------
# step 2-4: greedy assignment, shots re-solved at their epochs
# ------------------------------------------------------------------------------------------------
@dataclass
class _PlaneState:
    index: int
    target: Any
    problem: Any
    windows: list            # (open_s, close_s, window index, branch, best speed, margin km/s,
                             #  best epoch s)
    remaining: int
    scan: Any = None         # the plane's windows.ScanResult (per-epoch totals for ranking)
    cursor: int = 0          # first window not exhausted (earliest policy)


def _shot_at(state: _PlaneState, t: float, window: tuple, threshold: float):
    """Re-solve and price a shot of ``state``'s plane at ``t`` in ``window``; None if it fails."""
    branch, guess, margin = window[3], window[4], window[5]
    sol = _solve_one(state.problem, t, BRANCHES[branch], guess)
    if sol is None:
        return None
    speed, tp, yp = sol
    budget = delta_v_budget(yp[:3] * u.km, yp[3:] * u.km / u.s, from_tdb_seconds(tp),
                            state.target, margin=margin * u.km / u.s)
    if float(budget.total.to_value(u.km / u.s)) - margin > threshold:
        return None
    return speed, tp, yp, budget


def _place(st: _PlaneState, w: tuple, t0: float, t_last: float | None,
           launcher: CampaignLauncher, threshold: float):
    """The earliest acceptable shot in window ``w`` at or after ``t0``, or None.

    Acceptable: solved, total without margin under the threshold, and at least the recharge of
    its own energy after the previous shot (the epoch is moved later and the shot re-solved until
    that holds; the speed, hence the energy, barely changes over such moves).
    """
    t = t0
    while t <= w[1]:
        found = _shot_at(st, t, w, threshold)
        for _ in range(_MAX_SPACING_ITERATIONS):
            if found is None:
                break
            need = launcher.recharge_seconds(found[0])
            if t_last is None or t >= t_last + need:
                return t, found, need
            t = t_last + need + _SPACING_SLACK
            if t > w[1]:
                return None
            found = _shot_at(st, t, w, threshold)
        t += _EDGE_NUDGE                   # a failed solve or a miss near a window edge
    return None


def _earliest(states: list, launcher: CampaignLauncher, threshold: float, t_start: float
              ) -> list:
    """Policy ``earliest``: fire as soon as the launcher is ready and a window is open."""
    placements = []
    t_last: float | None = None
    while True:
        cands = []
        for st in states:
            if st.remaining <= 0:
                continue
            while st.cursor < len(st.windows):
                w = st.windows[st.cursor]
                ready = t_start if t_last is None else t_last + launcher.recharge_seconds(w[4])
                c = max(w[0], ready)
                if c <= w[1]:
                    cands.append((c, w[1], -st.remaining, st.index, w))
                    break
                st.cursor += 1
        if not cands:
            return placements
        earliest = min(x[0] for x in cands)
        slack = launcher.recharge_seconds(min(x[4][4] for x in cands))
        together = [x for x in cands if x[0] <= earliest + slack]
        c, _close, _rem, k, w = min(together, key=lambda x: (x[1], x[2], x[3], x[0]))
        st = states[k]
        placed = _place(st, w, c, t_last, launcher, threshold)
        if placed is None:
            st.cursor += 1                        # this window cannot take another shot
            continue
        t, found, need = placed
        placements.append((t, k, w, found, need))
        st.remaining -= 1
        t_last = t


def _cheapest(states: list, launcher: CampaignLauncher, threshold: float) -> list:
    """Policy ``cheapest``: the cheapest slots first, on a recharge lattice around each minimum.

    Each window offers the epochs ``best + j T`` inside it (``T`` the recharge at the fastest
    speed the scan solved in the window, so shots of one window never crowd each other), ranked
    by the scan's total interpolated there. Slots are taken cheapest first (ties: earlier,
    lower plane, earlier window), each re-solved; a slot is kept if the shot passes the
    threshold and keeps its recharge to the neighbouring shots already chosen.
    """
    cands = []
    for st in states:
        if st.remaining <= 0:
            continue
        scan = st.scan
        for w in st.windows:
            o, c, wi, branch, guess, _margin, best = w
            sel = (scan.branch == branch) & np.isfinite(scan.total_km_s)
            tt, tot, spd = scan.t_launch_tdb[sel], scan.total_km_s[sel], scan.speed_km_s[sel]
            inside = (tt >= o) & (tt <= c)
            v_hi = max([guess, *spd[inside].tolist()])
            period = launcher.recharge_seconds(v_hi) + _SPACING_SLACK
            j = np.arange(math.ceil((o - best) / period), math.floor((c - best) / period) + 1)
            slots = best + j * period
            slots = slots[(slots >= o) & (slots <= c)]
            cost = np.interp(slots, tt, tot) if tt.size else np.zeros(slots.size)
            cands.extend((float(cost[i]), float(slots[i]), st.index, wi, w)
                         for i in range(slots.size))
    cands.sort(key=lambda x: x[:4])

    times: list[float] = []                 # chosen epochs, sorted
    needs: list[float] = []                 # the recharge each of them needs before it
    chosen = []
    left = sum(st.remaining for st in states)
    for _cost, t, k, _wi, w in cands:
        if left == 0:
            break
        st = states[k]
        if st.remaining <= 0:
            continue
        i = bisect.bisect_left(times, t)
        if i < len(times) and times[i] - t < needs[i]:
            continue                        # the next chosen shot could not recharge
        if i > 0 and t - times[i - 1] < launcher.recharge_seconds(0.0):
            continue                        # closer than any shot's recharge
        found = _shot_at(st, t, w, threshold)
        if found is None:
            continue
        need = launcher.recharge_seconds(found[0])
        if i > 0 and t - times[i - 1] < need:
            continue
        times.insert(i, t)
        needs.insert(i, need)
        chosen.append((t, k, w, found, need))
        st.remaining -= 1
        left -= 1
    return chosen


def schedule_campaign(constellation: Constellation, launcher: CampaignLauncher, site, plans, *,
                      start, span, satellite_mass, isp, threshold, policy: str = "cheapest",
                      rtol: float = 1e-10, max_flight_time=None, ephemeris=None,
                      satellite=None, arrival=None) -> Campaign:
    """Assign the satellites to launch epochs inside the planes' windows (steps 2-4 above).

    Parameters
    ----------
    constellation : Constellation
    launcher : CampaignLauncher
    site : massdriver.site.LaunchSite
    plans : sequence of massdriver.windows.Plan
        The windows of each plane (:func:`solve_planes`), solved with the same ``threshold``,
        ``rtol`` and ``max_flight_time``.
    start : astropy.time.Time
        The launcher is ready (banks charged) at ``start``.
    span : astropy.units.Quantity
        Length of the campaign span (the windows' scan).
    satellite_mass : astropy.units.Quantity
        Satellite mass at arrival, before its insertion burns (kg).
    isp : astropy.units.Quantity
        Specific impulse of the satellite's thruster (s).
    threshold : astropy.units.Quantity
        Window threshold (km/s); each shot's total without the margin must stay under it.
    policy : {"cheapest", "earliest"}
        ``cheapest``: slots near each window's minimum first (least delta-v); ``earliest``: fire
        as soon as the launcher is ready and a window is open (shortest campaign). See the
        module notes.
    rtol, max_flight_time, ephemeris
        As :func:`massdriver.windows.solve`.
    satellite : massdriver.satellite.Satellite, optional
        With it, every scheduled shot's insertion is priced with each enabled arrival strategy
        (:func:`massdriver.arrival.compare_strategies`, keeping the shot's plane change and
        margin) and its propellant is the chosen strategy's; ``satellite_mass`` and ``isp``
        must then be the satellite's wet mass and capture-engine Isp.
    arrival : massdriver.arrival.ArrivalOptions, optional
        Strategies and their knobs (default: all, least propellant).

    Returns
    -------
    Campaign
    """
    if policy not in POLICIES:
        raise InputError(f"policy = {policy!r}: must be one of {', '.join(POLICIES)}")
    if arrival is not None and satellite is None:
        raise InputError("arrival options need a satellite (the strategies fly its engines "
                         "and aerodynamics)")
    plans = tuple(plans)
    if len(plans) != len(constellation.planes):
        raise InputError(f"schedule_campaign: {len(plans)} plans for "
                         f"{len(constellation.planes)} planes")
    m_sat = _positive(satellite_mass, "kg", "satellite_mass")
    isp_s = _positive(isp, "s", "isp")
    m_fired = float(launcher.spec.payload_mass.to_value(u.kg))
    if m_sat > m_fired * (1 + 1e-12):
        raise InputError(f"satellite_mass = {m_sat:g} kg: must not exceed the mass leaving the "
                         f"track (launcher payload_mass = {m_fired:g} kg)")
    thr = _positive(threshold, "km/s", "threshold")
    span_s = _positive(span, "s", "span")
    tof_s = float(u.Quantity(max_flight_time if max_flight_time is not None else 8 * u.day)
                  .to_value(u.s))
    ephemeris = ephemeris or Ephemeris()
    t_start = float(to_tdb_seconds(start))

    states = []
    for k, (plane, plan) in enumerate(zip(constellation.planes, plans, strict=True)):
        wins = []
        for wi, w in enumerate(plan.windows):
            wins.append((float(to_tdb_seconds(w.open)), float(to_tdb_seconds(w.close)), wi,
                         w.branch, float(w.speed.to_value(u.km / u.s)),
                         float(w.budget.margin.to_value(u.km / u.s)),
                         float(to_tdb_seconds(w.best_epoch))))
        wins.sort(key=lambda x: (x[0], x[1], x[2]))
        problem = _problem(site, plane, launcher.spec, rtol, tof_s, ephemeris, t_start,
                           t_start + span_s)
        states.append(_PlaneState(k, plane, problem, wins, constellation.satellites[k],
                                  scan=plan.scan))

    if policy == "earliest":
        placements = _earliest(states, launcher, thr, t_start)
    else:
        placements = _cheapest(states, launcher, thr)
    placements.sort(key=lambda x: x[0])
    if satellite is not None:
        _check_satellite(satellite, m_sat, isp_s)

    shots: list[CampaignShot] = []
    per_plane = [0] * len(states)
    t_last: float | None = None
    for t, k, w, (speed, tp, yp, budget), need in placements:
        comparison = None
        if satellite is not None:
            comparison = _price_arrival(yp, budget, states[k].target, satellite, arrival)
            mp = comparison.best.propellant
        else:
            mp = propellant_mass(budget.total, isp_s * u.s, wet_mass=m_sat * u.kg)
        shots.append(CampaignShot(
            index=len(shots), plane=k, satellite=per_plane[k],
            epoch=from_tdb_seconds(t).utc, window=w[2], branch=w[3],
            speed=speed * u.km / u.s, perigee=perigee_arrival_from_state(tp, t, yp),
            budget=budget, propellant=mp.to(u.kg),
            energy=launcher.energy.joules(speed) * u.J, recharge=need / 60.0 * u.min,
            spacing=None if t_last is None else (t - t_last) / 60.0 * u.min,
            comparison=comparison))
        per_plane[k] += 1
        t_last = t

    missing = [(st.index, st.remaining) for st in states if st.remaining > 0]
    message = ""
    if missing:
        parts = []
        for k, n in missing:
            why = ("no window under the threshold in the span" if not states[k].windows else
                   "its windows in the span are full")
            parts.append(f"plane {k} ({constellation.planes[k].name}): {n} left, {why}")
        message = (f"{len(shots)} of {constellation.total} satellites scheduled; "
                   + "; ".join(parts))
    inputs = {
        "site": site.describe(),
        "constellation": constellation.describe(),
        "launcher": launcher.describe(),
        "start_utc": from_tdb_seconds(t_start).utc.isot,
        "span_days": span_s / SECONDS_PER_DAY,
        "step_minutes": (float(plans[0].inputs.get("step_minutes", float("nan")))
                         if plans and plans[0].inputs else None),
        "threshold_km_s": thr,
        "satellite_mass_kg": m_sat,
        "isp_s": isp_s,
        "rtol": rtol,
        "policy": policy,
        "shot_budget": "re-solved at the shot epoch; cheapest of perigee_burn/high_ellipse + "
                       "the window's dispersion margin (no mid-course correction)",
    }
    if satellite is not None:
        options = arrival or _default_arrival_options()
        inputs["arrival"] = {
            "strategies": list(options.strategies), "choose_by": options.choose_by,
            "solar_activity": options.solar,
            "shot_propellant": "the chosen arrival strategy's (docs/arrival.md): each shot's "
                               "in-plane insertion re-priced with the [satellite], its plane "
                               "change and margin kept"}
    return Campaign(constellation=constellation, launcher=launcher, shots=tuple(shots),
                    windows=tuple(tuple(p.windows) for p in plans),
                    start=from_tdb_seconds(t_start).utc, span=(span_s / SECONDS_PER_DAY) * u.day,
                    satellite_mass=m_sat * u.kg, isp=isp_s * u.s, inputs=inputs,
                    version=massdriver.__version__, message=message)


def _default_arrival_options():
    return ArrivalOptions()


def _check_satellite(satellite, m_sat: float, isp_s: float) -> None:
    wet = float(satellite.wet_mass.to_value(u.kg))
    isp0 = float(satellite.capture_engine.isp.to_value(u.s))
    if abs(wet - m_sat) > 1e-9 * wet or abs(isp0 - isp_s) > 1e-9 * isp0:
        raise InputError(f"satellite_mass = {m_sat:g} kg, isp = {isp_s:g} s: with a satellite "
                         f"they must be its wet mass ({wet:g} kg) and capture-engine Isp "
                         f"({isp0:g} s)")


def _price_arrival(yp, budget, target, satellite, arrival):
    """Every enabled arrival strategy for one shot (its plane change and margin kept)."""
    extras = budget.mcc + budget.plane_change + budget.margin
    return compare_strategies(yp[:3] * u.km, yp[3:6] * u.km / u.s, target, satellite,
                              impulsive_total=budget.total, extras=extras, options=arrival)


def _positive(value, unit: str, name: str) -> float:
    try:
        x = float(u.Quantity(value).to_value(unit))
    except (u.UnitsError, TypeError, ValueError):
        raise InputError(f"{name} = {value!r}: expected a quantity in {unit}") from None
    if not (x > 0 and math.isfinite(x)):
        raise InputError(f"{name} = {value!r}: must be positive and finite")
    return x


def plan_campaign(constellation: Constellation, launcher: CampaignLauncher, site, start, span, *,
                  threshold, satellite_mass, isp, step=None, rtol: float = 1e-10,
                  policy: str = "cheapest", max_flight_time=None, dispersion_samples: int = 2000,
                  seed: int = 0, ephemeris=None, scheduler: str | None = None, client=None,
                  progress: Callable[[int, int], None] | None = None, satellite=None,
                  arrival=None) -> Campaign:
    """Plan the deployment of a constellation from one lunar launcher.

    Parameters
    ----------
    constellation : Constellation
        Planes and satellites per plane (:meth:`Constellation.walker` for a Walker pattern).
    launcher : CampaignLauncher
        Speed range, shot energy, recharge power, optional shot-rate limit.
    site : massdriver.site.LaunchSite
        The track.
    start : astropy.time.Time
        First epoch a shot may go (the banks are charged then).
    span : astropy.units.Quantity
        Days over which windows are searched.
    threshold : astropy.units.Quantity
        Window threshold on the total delta-v without margin (km/s).
    satellite_mass : astropy.units.Quantity
        Satellite mass at arrival (kg), at most the launcher's mass leaving the track.
    isp : astropy.units.Quantity
        Specific impulse of the satellites' thrusters (s).
    step : astropy.units.Quantity, optional
        Scan grid of the windows (default 60 min; a coarse step, 1-3 h, is enough: windows are
        refined by root finding).
    policy : {"cheapest", "earliest"}
        Assignment policy (module notes): least delta-v, or shortest campaign.
    rtol, max_flight_time, dispersion_samples, seed, ephemeris
        As :func:`massdriver.windows.solve`.
    scheduler, client
        Solve the planes on a Dask cluster (one task per plane), see :mod:`massdriver.parallel`.
    progress : callable, optional
        ``progress(done, total)`` in grid evaluations of the plane scans (in-process).
    satellite, arrival
        Price each shot's insertion with the arrival strategies (:func:`schedule_campaign`).

    Returns
    -------
    Campaign
    """
    if policy not in POLICIES:
        raise InputError(f"policy = {policy!r}: must be one of {', '.join(POLICIES)}")
    plans = solve_planes(constellation, launcher, site, start, span, threshold=threshold,
                         step=step, rtol=rtol, max_flight_time=max_flight_time,
                         dispersion_samples=dispersion_samples, seed=seed, ephemeris=ephemeris,
                         scheduler=scheduler, client=client, progress=progress)
    return schedule_campaign(constellation, launcher, site, plans, start=start, span=span,
                             satellite_mass=satellite_mass, isp=isp, threshold=threshold,
                             policy=policy, rtol=rtol, max_flight_time=max_flight_time,
                             ephemeris=ephemeris, satellite=satellite, arrival=arrival)


# ------------------------------------------------------------------------------------------------
# configuration
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CampaignConfig:
    """A campaign file (``massdriver campaign CONFIG.toml``).

    Attributes
    ----------
    name : str
    site : massdriver.site.LaunchSite
    launcher : CampaignLauncher
    constellation : Constellation
    search : massdriver.mission.SearchSpec
        ``start``, ``span``, ``step``, ``threshold``, ``rtol``, ``max_flight_time``.
    satellite_mass, isp : astropy.units.Quantity
    policy : str
        ``"cheapest"`` or ``"earliest"``.
    dispersion_samples, seed : int
    source : str
    satellite : massdriver.satellite.Satellite or None
        ``[satellite]``: each shot's insertion priced with the arrival strategies.
    arrival : massdriver.arrival.ArrivalOptions or None
        ``[arrival]`` (defaults when only ``[satellite]`` is given).
    """

    name: str
    site: Any
    launcher: CampaignLauncher
    constellation: Constellation
    search: Any
    satellite_mass: Any
    isp: Any
    policy: str = "cheapest"
    dispersion_samples: int = 2000
    seed: int = 0
    source: str = "<config>"
    satellite: Any = None
    arrival: Any = None

    def plan(self, *, scheduler: str | None = None, client=None,
             progress: Callable[[int, int], None] | None = None) -> Campaign:
        """:func:`plan_campaign` with this file's inputs."""
        s = self.search
        return plan_campaign(self.constellation, self.launcher, self.site, s.start, s.span,
                             threshold=s.threshold, satellite_mass=self.satellite_mass,
                             isp=self.isp, step=s.step, rtol=s.rtol, policy=self.policy,
                             max_flight_time=s.max_flight_time,
                             dispersion_samples=self.dispersion_samples, seed=self.seed,
                             scheduler=scheduler, client=client, progress=progress,
                             satellite=self.satellite, arrival=self.arrival)
