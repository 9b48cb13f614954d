"""A mission's inputs: what the launcher delivers, which launch epochs to scan, the whole mission.

These are validated frozen dataclasses: each checks its own parameters (the ranges are the
:class:`~massdriver.bounds.Bound` objects in :data:`LAUNCHER_BOUNDS` and :data:`SEARCH_BOUNDS`)
and raises :class:`~massdriver.errors.InputError` naming the field. :mod:`massdriver.config` reads
them from TOML; :func:`massdriver.windows.solve_mission` solves a :class:`MissionConfig`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import astropy.units as u

from massdriver.bounds import Bound
from massdriver.ephemeris import Ephemeris
from massdriver.errors import InputError
from massdriver.timescales import from_tdb_seconds, to_tdb_seconds

__all__ = [
    "LauncherSpec", "SearchSpec", "MissionConfig", "MAX_SCAN_EPOCHS", "SEARCH_MODELS",
    "LAUNCHER_BOUNDS", "SEARCH_BOUNDS", "scan_epoch_count",
]

#: most launch epochs one scan may have (per branch): 3660 days at 30 min is 175,681; every
#: epoch keeps a fixed-size record (about 0.2 kB per branch), so memory stays below ~100 MB
MAX_SCAN_EPOCHS = 200_000
#: force models of a window scan. The scan, refinement and budgets run in the ephemeris model
#: only: the Earth-Moon CR3BP is a preview of one shot (``massdriver shoot --model cr3bp``),
#: not a window solver, so a mission asking for it is refused rather than silently ignored.
SEARCH_MODELS = ("ephemeris",)

#: the allowed range of each numeric field of :class:`LauncherSpec`
LAUNCHER_BOUNDS: dict[str, Bound] = {
    "speed_min": Bound("km/s", 1.0, 5.0),
    "speed_max": Bound("km/s", 1.0, 5.0),
    "payload_mass": Bound("kg", 0.0, 1e7, exclusive_minimum=True),
    "speed_sigma": Bound("m/s", 0.0, 100.0),
    "pointing_sigma": Bound("deg", 0.0, 5.0),
}
#: the allowed range of each numeric field of :class:`SearchSpec`
SEARCH_BOUNDS: dict[str, Bound] = {
    "span": Bound("day", 0.0, 3660.0, exclusive_minimum=True),
    "step": Bound("min", 1.0, 1440.0),
    "threshold": Bound("km/s", 0.0, 20.0, exclusive_minimum=True),
    "rtol": Bound("", 1e-13, 1e-6),
    "max_flight_time": Bound("day", 1.0, 30.0),
}


def scan_epoch_count(span, step) -> int:
    """Number of launch epochs of a scan grid ``0, step, ..., <= span``.

    Raises
    ------
    massdriver.errors.InputError
        More than :data:`MAX_SCAN_EPOCHS` epochs (``field="step"``).
    """
    n = int(math.floor(float((span / step).to_value(u.one)) + 1e-9)) + 1
    if n > MAX_SCAN_EPOCHS:
        reason = (f"the {span.to(u.day):g} span would have {n} launch epochs, at most "
                  f"{MAX_SCAN_EPOCHS} are allowed; use a larger step or a shorter span")
        raise InputError(f"step = {step:g}: {reason}", field="step", reason=reason)
    return n


@dataclass(frozen=True)
class LauncherSpec:
    """What the launcher can deliver: exit-speed range, payload mass, optional coilgun model.

    Attributes
    ----------
    speed_min, speed_max : astropy.units.Quantity
        Exit speeds the launcher can be charged for (km/s).
    payload_mass : astropy.units.Quantity
        Mass of one satellite plus carrier share leaving the track (kg).
    speed_sigma : astropy.units.Quantity
        1-sigma exit-speed error (m/s), for the dispersion margin (in a file,
        ``"from-coilgun"`` takes it from the coilgun model's Monte Carlo).
    pointing_sigma : astropy.units.Quantity
        1-sigma pointing error of the track, per axis (deg; ``"from-coilgun"`` as above).
    coilgun : object or None
        A :class:`massdriver.coilgun.Coilgun` when the config names a coilgun file; then the
        speed range defaults to the launcher's (:meth:`~massdriver.coilgun.Coilgun.speed_range`)
        and each window reports the bank energy of its shot.
    sigma_source : str
        ``"given"`` (typed-in sigmas) or ``"coilgun"`` (``speed_sigma`` and/or
        ``pointing_sigma`` from the coilgun model's Monte Carlo of its ``[tolerances]``,
        :func:`massdriver.coilgun_tolerances.monte_carlo`).
    launcher_dispersion : object or None
        That Monte Carlo's :class:`~massdriver.coilgun_tolerances.LauncherDispersion`.

    Raises
    ------
    massdriver.errors.InputError
        A field outside :data:`LAUNCHER_BOUNDS`, or ``speed_max <= speed_min``.
    """

    speed_min: Any
    speed_max: Any
    payload_mass: Any
    speed_sigma: Any
    pointing_sigma: Any
    coilgun: Any = None
    sigma_source: str = "given"
    launcher_dispersion: Any = None

    def __post_init__(self) -> None:
        for key, bound in LAUNCHER_BOUNDS.items():
            object.__setattr__(self, key, bound.check("LauncherSpec", key, getattr(self, key)))
        if self.speed_max <= self.speed_min:
            reason = f"must exceed speed_min = {self.speed_min:g}"
            raise InputError(f"LauncherSpec.speed_max = {self.speed_max:g}: {reason}",
                             field="speed_max", reason=reason)


@dataclass(frozen=True)
class SearchSpec:
    """What span of launch epochs to scan, how finely, and what counts as a window.

    Attributes
    ----------
    start : astropy.time.Time
        First launch epoch of the scan.
    span : astropy.units.Quantity
        Length of the scan (days).
    step : astropy.units.Quantity
        Coarse grid spacing (minutes); windows are then refined between grid points.
    threshold : astropy.units.Quantity
        A window is a contiguous span where the total delta-v is below this (km/s).
    model : str
        Force model of the coast: ``"ephemeris"`` (DE421 Earth, Moon, Sun, J2), the only one a
        window scan has (:data:`SEARCH_MODELS`).
    rtol : float
        Relative tolerance of the DOP853 integration.
    max_flight_time : astropy.units.Quantity
        Shots not at Earth perigee after this long are reported as timed out (days).

    Raises
    ------
    massdriver.errors.InputError
        A field outside :data:`SEARCH_BOUNDS`; a step longer than the span; more than
        :data:`MAX_SCAN_EPOCHS` epochs; a scan (plus the longest flight) outside the coverage of
        the default ephemeris (:attr:`massdriver.ephemeris.Ephemeris.coverage`, read from the
        loaded files).
    """

    start: Any
    span: Any
    step: Any
    threshold: Any
    model: str = "ephemeris"
    rtol: float = 1e-10
    max_flight_time: Any = 8.0 * u.day

    def __post_init__(self) -> None:
        for key, bound in SEARCH_BOUNDS.items():
            object.__setattr__(self, key, bound.check("SearchSpec", key, getattr(self, key)))
        if self.model not in SEARCH_MODELS:
            reason = ("must be 'ephemeris': windows are scanned in the ephemeris model only "
                      "(the CR3BP preview of one shot is massdriver shoot --model cr3bp)")
            raise InputError(f"SearchSpec.model = {self.model!r}: {reason}", field="model",
                             reason=reason)
        if self.step > self.span:
            reason = f"must not exceed the span ({self.span:g})"
            raise InputError(f"SearchSpec.step = {self.step:g}: {reason}", field="step",
                             reason=reason)
        scan_epoch_count(self.span, self.step)
        cover = Ephemeris().coverage
        start = float(to_tdb_seconds(self.start))
        if not cover.start_seconds <= start <= cover.stop_seconds:
            reason = (f"outside the ephemeris ({cover.start.isot[:10]} .. "
                      f"{cover.stop.isot[:10]} TDB)")
            raise InputError(f"SearchSpec.start = '{self.start.isot}': {reason}", field="start",
                             reason=reason)
        end = start + float((self.span + self.max_flight_time).to_value(u.s))
        if end > cover.stop_seconds:
            reason = (f"the scan and its {self.max_flight_time:g} flights would end at "
                      f"{from_tdb_seconds(end).isot[:16]} TDB, after the end of the ephemeris "
                      f"({cover.stop.isot[:16]} TDB)")
            raise InputError(f"SearchSpec.span = {self.span:g}: {reason}", field="span",
                             reason=reason)


@dataclass(frozen=True)
class MissionConfig:
    """A whole mission file: where, with what, to which orbit, when.

    Attributes
    ----------
    name : str
    site : massdriver.site.LaunchSite
    launcher : LauncherSpec
    target : massdriver.targets.TargetOrbit
    search : SearchSpec
    mid_course : bool
        Whether the mid-course-correction strategy is considered.
    source : str
        The file it was read from.
    auto_track : tuple of str
        ``[site]`` keys given as ``"auto"`` (``"azimuth"``, ``"elevation"``): the site holds a
        placeholder until :func:`massdriver.aim.resolve_auto_track` runs the track search.
    satellite : massdriver.satellite.Satellite or None
        The arriving satellite (``[satellite]``): with it every window prices the arrival
        strategies of :mod:`massdriver.arrival`.
    arrival : massdriver.arrival.ArrivalOptions or None
        Which strategies and how (``[arrival]``; defaults when only ``[satellite]`` is given).
    """

    name: str
    site: Any
    launcher: LauncherSpec
    target: Any
    search: SearchSpec
    mid_course: bool = True
    source: str = "<config>"
    auto_track: tuple = ()
    satellite: Any = None
    arrival: Any = None
