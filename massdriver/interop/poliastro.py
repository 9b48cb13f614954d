"""Interoperability with the poliastro API (``boinor`` and ``hapsira``, its maintained forks).

Optional: install with ``pip install "massdriver[poliastro]"``. boinor is imported lazily; without
it every function here raises :class:`~massdriver.errors.InputError` saying how to install it.

Both ways with either fork: :func:`to_orbit` makes a boinor ``Orbit`` by default and a hapsira
one with ``library="hapsira"``; :func:`from_orbit` and the functions built on it read any
object with the poliastro ``Orbit`` attributes (``attractor.name``, ``attractor.k``, ``r``,
``v``, ``epoch``) and import neither fork. hapsira 0.18.0 (the latest release) does not import
with astropy >= 7 (``hapsira.frames.ecliptic`` imports ``matrix_product``, which astropy 7
removed): there, ``to_orbit(..., library="hapsira")`` raises an ``InputError`` saying so, and a
hapsira ``Orbit`` made elsewhere still reads through the shared attributes.

Frames: a boinor ``Orbit`` around the Earth (``Planes.EARTH_EQUATOR``) is expressed in GCRS,
whose axes are the ICRF axes used by massdriver, so states pass through unchanged. Targets whose
elements refer to the mean equator of date (the default for massdriver targets) are rotated with
the IAU 1976 precession matrix.

Gravitational parameter: boinor's ``Earth.k`` is the IERS/WGS value 398600.4418 km^3/s^2,
massdriver's ``GM_EARTH`` the DE421 value 398600.4362 km^3/s^2 (relative difference 1.4e-8). The
functions below keep each library's own value; pass ``mu=orbit.attractor.k`` to the budget
functions to compare to boinor maneuvers exactly.
"""

from __future__ import annotations

import math
from typing import Any

import astropy.units as u
import numpy as np

from massdriver.budget import ArrivalState, delta_v_budget
from massdriver.errors import InputError
from massdriver.targets import (
    OrbitalElements,
    TargetOrbit,
    _to,
    _vector,
    elements_from_state,
    from_elements,
    precession_matrix,
    state_from_elements,
)
from massdriver.timescales import to_tdb_seconds

__all__ = ["to_orbit", "from_orbit", "elements_from_orbit", "target_from_orbit",
           "budget_for_orbit"]


#: poliastro-API libraries :func:`to_orbit` can build for
LIBRARIES = ("boinor", "hapsira")


def _boinor():
    try:
        from boinor.bodies import Earth
        from boinor.twobody import Orbit
    except ImportError:
        raise InputError(
            "the poliastro interop needs the 'boinor' package: pip install "
            "'massdriver[poliastro]'"
        ) from None
    return Orbit, Earth


def _hapsira():
    try:
        from hapsira.bodies import Earth
        from hapsira.twobody import Orbit
    except ImportError as exc:
        raise InputError(
            "hapsira could not be imported "
            f"({type(exc).__name__}: {exc}); hapsira 0.18 fails with astropy >= 7 - use "
            "library='boinor', or read a hapsira Orbit with from_orbit()"
        ) from None
    return Orbit, Earth


def _library(library: str):
    if library == "boinor":
        return _boinor()
    if library == "hapsira":
        return _hapsira()
    raise InputError(f"library = {library!r}: must be one of {', '.join(LIBRARIES)}")


def _check_earth(orbit) -> None:
    """``orbit`` has the poliastro ``Orbit`` attributes and orbits the Earth (any fork)."""
    attractor = getattr(orbit, "attractor", None)
    if not all(hasattr(orbit, a) for a in ("r", "v", "epoch")) or attractor is None:
        raise InputError(f"expected a poliastro-API Orbit (boinor, hapsira), got "
                         f"{type(orbit).__name__}")
    if getattr(attractor, "name", None) != "Earth":
        name = getattr(attractor, "name", repr(attractor))
        raise InputError(f"expected an Orbit around the Earth, got one around {name}")


def to_orbit(obj: Any, epoch=None, *, raan=None, library: str = "boinor"):
    """A poliastro-API ``Orbit`` around the Earth (boinor or hapsira) from a massdriver object.

    Parameters
    ----------
    obj : ArrivalState, OrbitalElements, TargetOrbit or (position, velocity)
        * :class:`~massdriver.budget.ArrivalState`: its state and epoch;
        * :class:`~massdriver.targets.OrbitalElements`: its elements (``frame="icrf"``) or, for
          ``frame="mean_of_date"``, the state rotated to ICRF axes at its epoch;
        * :class:`~massdriver.targets.TargetOrbit`: the target at ``epoch`` (its RAAN then),
          at periapsis (true anomaly 0, argument of perigee as given or 0);
        * a ``(position, velocity)`` pair of Quantities, with ``epoch``.
    epoch : Time, optional
        Required for a target or a bare state; overrides nothing else.
    raan : Quantity, optional
        RAAN to use for a free-RAAN target (any plane of its inclination is acceptable, so one
        must be picked to make an orbit).
    library : {"boinor", "hapsira"}
        Which fork's ``Orbit`` to make.

    Returns
    -------
    boinor.twobody.Orbit or hapsira.twobody.Orbit
    """
    Orbit, Earth = _library(library)
    if isinstance(obj, ArrivalState):
        r = _vector(obj.position, "position", "km")
        v = _vector(obj.velocity, "velocity", "km/s")
        return Orbit.from_vectors(Earth, r * u.km, v * u.km / u.s, epoch=obj.epoch)
    if isinstance(obj, OrbitalElements):
        ep = obj.epoch if epoch is None else epoch
        if ep is None:
            raise InputError("to_orbit(): these elements have no epoch; pass epoch=Time(...)")
        if obj.frame == "icrf":
            nu = (obj.true_anomaly.to_value(u.deg) + 180.0) % 360.0 - 180.0
            return Orbit.from_classical(
                Earth, obj.semi_major_axis.to(u.km), obj.eccentricity * u.one,
                obj.inclination.to(u.deg), obj.raan.to(u.deg),
                obj.argument_of_periapsis.to(u.deg), nu * u.deg, epoch=ep)
        # boinor's own mu, so the Orbit has exactly these elements in boinor's terms
        r, v = state_from_elements(obj, mu=float(Earth.k.to_value(u.km**3 / u.s**2)))
        P = precession_matrix(to_tdb_seconds(ep))
        return Orbit.from_vectors(Earth, (P.T @ r.to_value(u.km)) * u.km,
                                  (P.T @ v.to_value(u.km / u.s)) * u.km / u.s, epoch=ep)
    if isinstance(obj, TargetOrbit):
        if epoch is None:
            raise InputError("to_orbit(target): pass epoch=Time(...) (the RAAN moves with time)")
        if obj.free_raan:
            if raan is None:
                raise InputError(f"target {obj.name!r} has a free RAAN: pass raan=... to pick a "
                                 f"plane")
            raan_deg = _to(raan, "deg", "raan")
        else:
            raan_deg = float(obj.raan_at(epoch).to_value(u.deg))
        argp = 0.0 if obj.argument_of_perigee is None else \
            float(obj.argument_of_perigee.to_value(u.deg))
        el = OrbitalElements(obj.semi_major_axis, obj.eccentricity, obj.inclination,
                             raan_deg * u.deg, argp * u.deg, 0.0 * u.deg, epoch, obj.frame)
        return to_orbit(el, library=library)
    if isinstance(obj, (tuple, list)) and len(obj) == 2:
        if epoch is None:
            raise InputError("to_orbit((r, v)): pass epoch=Time(...)")
        r = _vector(obj[0], "position", "km")
        v = _vector(obj[1], "velocity", "km/s")
        return Orbit.from_vectors(Earth, r * u.km, v * u.km / u.s, epoch=epoch)
    raise InputError(f"to_orbit(): cannot make an Orbit from {type(obj).__name__}")


def from_orbit(orbit):
    """The state of a poliastro-API ``Orbit`` around the Earth as an :class:`ArrivalState`.

    Reads the shared attributes only (``attractor.name``, ``r``, ``v``, ``epoch``): a boinor or
    a hapsira ``Orbit`` (GCRS, i.e. ICRF axes) alike, without importing either.

    Parameters
    ----------
    orbit : boinor.twobody.Orbit or hapsira.twobody.Orbit

    Returns
    -------
    massdriver.budget.ArrivalState
    """
    _check_earth(orbit)
    r, v = orbit.r, orbit.v
    return ArrivalState(np.asarray(r.to_value(u.km)) * u.km,
                        np.asarray(v.to_value(u.km / u.s)) * u.km / u.s, orbit.epoch)


def elements_from_orbit(orbit):
    """Classical elements of a boinor ``Orbit`` (computed by massdriver from its state).

    Uses the orbit's own gravitational parameter (``orbit.attractor.k``).

    Returns
    -------
    massdriver.targets.OrbitalElements
        ``frame="icrf"``.
    """
    state = from_orbit(orbit)
    mu = float(orbit.attractor.k.to_value(u.km**3 / u.s**2))
    return elements_from_state(state.position, state.velocity, state.epoch, mu=mu, frame="icrf")


def target_from_orbit(orbit, *, name: str | None = None, raan_drift: bool = True):
    """A :class:`~massdriver.targets.TargetOrbit` with the shape and plane of a boinor ``Orbit``.

    The RAAN holds at the orbit's epoch (ICRF axes) and drifts at the J2 rate if ``raan_drift``.
    """
    el = elements_from_orbit(orbit)
    if not 0.0 <= el.eccentricity < 1.0 or not math.isfinite(el.semi_major_axis.value):
        raise InputError(f"target_from_orbit(): the orbit is not closed (e = {el.eccentricity:g})")
    return from_elements(el.semi_major_axis, el.eccentricity, el.inclination, el.raan,
                         el.argument_of_periapsis, orbit.epoch,
                         name=name or "target from poliastro Orbit", frame="icrf",
                         raan_drift=raan_drift)


def budget_for_orbit(orbit, target, **kwargs):
    """:func:`massdriver.budget.delta_v_budget` for an arrival given as a boinor ``Orbit``.

    The orbit's current state (``orbit.rv()``) at ``orbit.epoch`` is the arrival point (it should
    be the perigee of the approach). Keyword arguments go to ``delta_v_budget``; ``mu`` defaults
    to the orbit's own ``attractor.k``.
    """
    state = from_orbit(orbit)
    kwargs.setdefault("mu", float(orbit.attractor.k.to_value(u.km**3 / u.s**2)))
    return delta_v_budget(state.position, state.velocity, state.epoch, target, **kwargs)
