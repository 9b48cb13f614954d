"""Target orbits: where the satellite must end up after its insertion burns.

A target is an orbit *shape* (perigee and apogee radii) plus a *plane* (inclination and a right
ascension of the ascending node that may move with time). Constructors:

* :func:`circular` - circular orbit at any altitude and inclination, RAAN fixed at an epoch (and
  drifting with the J2 secular rate) or free (``raan=None``: any plane of that inclination);
* :func:`sun_synchronous` - altitude and local time of the ascending node (LTAN); the inclination
  comes from the J2 nodal-precession condition and the RAAN follows the mean Sun;
* :func:`geo` - the geostationary orbit;
* :func:`from_elements` - classical elements at an epoch (RAAN drifting with J2);
* :func:`walker` - the planes of a Walker-delta constellation ``i:T/P/F``.

Frames
------
Inclination and RAAN of the built-in targets are measured from the **mean equator and equinox of
date** (what "RAAN", "LTAN" and "sun-synchronous" mean to an operator, and the axis about which J2
turns the node). The trajectory kernels work in ICRF axes, so :meth:`TargetOrbit.plane_normal`
rotates the plane normal with the IAU 1976 precession matrix (Lieske et al. 1977, A&A 58, 1;
identical to ERFA ``pmat76``). Neglected: nutation (<= 0.005 deg of pole motion) and the ICRF frame
bias (0.02 arcsec). Targets built from ICRF/GCRS elements (``frame="icrf"``, e.g. from a poliastro
``Orbit``) are used as given.

Sun
---
:func:`sun_right_ascension` is the Astronomical Almanac's low-precision solar ephemeris (The
Astronomical Almanac, section C, "Low-precision formulas for the Sun's coordinates"; precision
0.01 deg over 1950-2050), vectorised in numpy. The mean Sun's right ascension is the Sun's mean
longitude ``L`` of that formula (so the equation of time is ``L - alpha``). LTAN is **mean** local
solar time, as for real sun-synchronous missions: their planes precess uniformly, following the
mean Sun, and the true local time of the node oscillates with the equation of time (+-16 min).

The secular J2 rate of the node is ``dOmega/dt = -3/2 n J2 (R/p)^2 cos i`` (first order;
Vallado 2013, "Fundamentals of Astrodynamics and Applications", 4th ed., eq. 9-41), ``n`` the
two-body mean motion; the sun-synchronous condition sets it to 360 deg per tropical year
(365.2421897 d, the rate of the mean Sun's right ascension of date).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import astropy.units as u
import numpy as np
from astropy.time import Time

from massdriver.bodies import (
    EARTH_ATMOSPHERE_ALTITUDE,
    GM_EARTH,
    J2_EARTH,
    OMEGA_EARTH,
    R_EARTH,
)
from massdriver.bounds import Bound
from massdriver.errors import InputError
from massdriver.kernels.twobody import coe2rv, rv2coe
from massdriver.safe_io import one_line
from massdriver.timescales import SECONDS_PER_DAY, to_tdb_seconds
from massdriver.trajectory import FAR_PERIGEE_RADIUS

__all__ = [
    "TargetOrbit", "TargetPlaneArrays", "OrbitalElements", "circular", "sun_synchronous", "geo",
    "from_elements", "walker", "parse_walker", "sun_right_ascension",
    "mean_sun_right_ascension", "equation_of_time", "precession_matrix", "nodal_precession_rate",
    "sun_synchronous_inclination", "elements_from_state", "state_from_elements",
    "TROPICAL_YEAR_DAYS", "SUN_MEAN_MOTION", "GEO_RADIUS", "MIN_PERIGEE_ALTITUDE",
    "MAX_PERIGEE_ALTITUDE", "KINDS", "BOUNDS",
]

#: tropical year, days (Astronomical Almanac; the period of the mean Sun's right ascension)
TROPICAL_YEAR_DAYS = 365.2421897
#: mean motion of the mean Sun in right ascension of date, rad/s
SUN_MEAN_MOTION = 2.0 * math.pi / (TROPICAL_YEAR_DAYS * SECONDS_PER_DAY)
#: geostationary radius from Kepler's third law with the sidereal rotation rate, km (42164.17)
GEO_RADIUS = (GM_EARTH / OMEGA_EARTH**2) ** (1.0 / 3.0)
#: lowest accepted perigee altitude of a target, km (the atmosphere interface)
MIN_PERIGEE_ALTITUDE = EARTH_ATMOSPHERE_ALTITUDE
#: highest accepted perigee altitude of a target, km: the solvers take a geocentric distance
#: minimum beyond ``FAR_PERIGEE_RADIUS`` (150,000 km) as a passing, not an arrival
MAX_PERIGEE_ALTITUDE = FAR_PERIGEE_RADIUS - R_EARTH
#: largest Walker constellation accepted (planes, satellites): bounded before anything is built
MAX_WALKER_PLANES = 1_000
MAX_WALKER_TOTAL = 1_000_000
#: the allowed range of the parameters :class:`TargetOrbit` and :func:`walker` check
BOUNDS: dict[str, Bound] = {
    "perigee_altitude": Bound("km", MIN_PERIGEE_ALTITUDE, MAX_PERIGEE_ALTITUDE),
    "inclination": Bound("deg", 0.0, 180.0),
    "total": Bound("", 1, MAX_WALKER_TOTAL),
    "planes": Bound("", 1, MAX_WALKER_PLANES),
    "phasing": Bound("", 0),
}
#: the target kinds (``kind`` of a ``[target]`` table, see :mod:`massdriver.config.targets`)
KINDS = ("circular", "sun_synchronous", "geo", "elements", "walker")
_FRAMES = ("mean_of_date", "icrf")
_ARCSEC = math.pi / (180.0 * 3600.0)
_DEG = math.pi / 180.0


# --- Sun and precession (raw, vectorised) --------------------------------------------------------
def _days(t_tdb) -> np.ndarray:
    return np.asarray(t_tdb, dtype=np.float64) / SECONDS_PER_DAY


def mean_sun_right_ascension(t_tdb) -> np.ndarray:
    """Right ascension of the mean Sun (the Sun's mean longitude ``L``), rad, of date.

    Parameters
    ----------
    t_tdb : float or ndarray
        TDB seconds past J2000.

    Returns
    -------
    ndarray
        ``L = 280.460 deg + 0.9856474 deg * d`` (``d`` days from J2000), wrapped to [0, 2 pi).
        Source: The Astronomical Almanac, low-precision formulas for the Sun.
    """
    d = _days(t_tdb)
    return np.mod(np.radians(280.460 + 0.9856474 * d), 2.0 * np.pi)


def _sun_ecliptic(t_tdb):
    d = _days(t_tdb)
    mean_longitude = np.radians(280.460 + 0.9856474 * d)
    g = np.radians(357.528 + 0.9856003 * d)
    lam = mean_longitude + np.radians(1.915 * np.sin(g) + 0.020 * np.sin(2.0 * g))
    eps = np.radians(23.439 - 0.0000004 * d)
    return mean_longitude, lam, eps


def sun_right_ascension(t_tdb) -> np.ndarray:
    """Apparent right ascension of the Sun (mean equator and equinox of date), rad.

    The Astronomical Almanac's low-precision formulas (section C; 0.01 deg over 1950-2050)::

        d = JD - 2451545.0
        L = 280.460 + 0.9856474 d          (mean longitude, aberration included)
        g = 357.528 + 0.9856003 d          (mean anomaly)
        lambda = L + 1.915 sin g + 0.020 sin 2g
        epsilon = 23.439 - 0.0000004 d
        alpha = atan2(cos epsilon sin lambda, cos lambda)

    ``d`` is taken in TDB days (the almanac uses UT; the 69 s difference is 0.0008 deg).

    Parameters
    ----------
    t_tdb : float or ndarray
        TDB seconds past J2000.

    Returns
    -------
    ndarray
        Right ascension in [0, 2 pi), rad.
    """
    _, lam, eps = _sun_ecliptic(t_tdb)
    return np.mod(np.arctan2(np.cos(eps) * np.sin(lam), np.cos(lam)), 2.0 * np.pi)


def equation_of_time(t_tdb) -> np.ndarray:
    """Equation of time ``L - alpha`` (mean minus apparent solar right ascension), rad in (-pi, pi].

    Multiply by ``12 / pi`` for hours. Positive when the apparent Sun is ahead of the mean Sun in
    hour angle (sundial fast), e.g. about +16.4 min in early November.
    """
    d = mean_sun_right_ascension(t_tdb) - sun_right_ascension(t_tdb)
    return np.mod(d + np.pi, 2.0 * np.pi) - np.pi


def precession_matrix(t_tdb) -> np.ndarray:
    """IAU 1976 precession matrix ``P`` (J2000 mean equator/equinox -> mean of date).

    ``x_of_date = P @ x_J2000`` with ``P = R3(-z_A) R2(theta_A) R3(-zeta_A)`` and Lieske et al.
    (1977) angles (the same model as ERFA ``pmat76``), ``T`` in Julian centuries of TDB (~TT).

    Parameters
    ----------
    t_tdb : float or ndarray
        TDB seconds past J2000, shape ``(N,)`` or scalar.

    Returns
    -------
    ndarray
        Shape ``(N, 3, 3)`` (or ``(3, 3)`` for a scalar input).
    """
    t = np.asarray(t_tdb, dtype=np.float64)
    T = t / (36525.0 * SECONDS_PER_DAY)
    zeta = (2306.2181 + (0.30188 + 0.017998 * T) * T) * T * _ARCSEC
    z = (2306.2181 + (1.09468 + 0.018203 * T) * T) * T * _ARCSEC
    theta = (2004.3109 + (-0.42665 - 0.041833 * T) * T) * T * _ARCSEC
    cz, sz = np.cos(zeta), np.sin(zeta)
    cZ, sZ = np.cos(z), np.sin(z)
    ct, st = np.cos(theta), np.sin(theta)
    P = np.empty(t.shape + (3, 3))
    P[..., 0, 0] = cZ * ct * cz - sZ * sz
    P[..., 0, 1] = -cZ * ct * sz - sZ * cz
    P[..., 0, 2] = -cZ * st
    P[..., 1, 0] = sZ * ct * cz + cZ * sz
    P[..., 1, 1] = -sZ * ct * sz + cZ * cz
    P[..., 1, 2] = -sZ * st
    P[..., 2, 0] = st * cz
    P[..., 2, 1] = -st * sz
    P[..., 2, 2] = ct
    return P


def nodal_precession_rate(semi_major_axis: float, eccentricity: float, inclination: float,
                          *, mu: float = GM_EARTH, j2: float = J2_EARTH,
                          radius: float = R_EARTH) -> float:
    """Secular J2 rate of the RAAN, rad/s: ``-3/2 n J2 (R/p)^2 cos i``.

    Parameters
    ----------
    semi_major_axis : float
        km.
    eccentricity : float
        Dimensionless, in [0, 1).
    inclination : float
        rad.
    mu, j2, radius : float
        Earth constants (km^3/s^2, unnormalised J2, km); default :mod:`massdriver.bodies`.

    Returns
    -------
    float
        rad/s (negative for prograde orbits: the node regresses).
    """
    n = math.sqrt(mu / semi_major_axis**3)
    p = semi_major_axis * (1.0 - eccentricity**2)
    return -1.5 * n * j2 * (radius / p) ** 2 * math.cos(inclination)


def sun_synchronous_inclination(altitude: float, eccentricity: float = 0.0) -> float:
    """Inclination (rad) whose J2 nodal rate equals the mean Sun's rate (360 deg / tropical year).

    Parameters
    ----------
    altitude : float
        Semi-major axis minus the Earth's equatorial radius, km.
    eccentricity : float
        Default 0 (circular).

    Raises
    ------
    InputError
        Above about 5,970 km no inclination is fast enough (``cos i < -1``).
    """
    a = R_EARTH + altitude
    rate_at_cos1 = nodal_precession_rate(a, eccentricity, 0.0)  # rad/s for cos i = 1
    c = SUN_MEAN_MOTION / rate_at_cos1
    if not -1.0 <= c <= 1.0:
        reason = ("no sun-synchronous orbit exists there (J2 precession too slow); the limit is "
                  "about 5970 km for a circular orbit")
        raise InputError(f"altitude = {altitude:g} km: {reason}", field="altitude",
                         reason=reason)
    return math.acos(c)


# --- elements ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OrbitalElements:
    """Classical (Keplerian) elements of an Earth orbit.

    Attributes
    ----------
    semi_major_axis : Quantity
        km (negative for hyperbolic orbits).
    eccentricity : float
    inclination, raan, argument_of_periapsis, true_anomaly : Quantity
        deg. Singular cases follow :func:`massdriver.kernels.twobody.rv2coe`.
    epoch : Time or None
    frame : str
        ``"icrf"`` (elements of an ICRF state) or ``"mean_of_date"``.
    """

    semi_major_axis: Any
    eccentricity: float
    inclination: Any
    raan: Any
    argument_of_periapsis: Any
    true_anomaly: Any
    epoch: Any = None
    frame: str = "icrf"

    @property
    def perigee_radius(self):
        """Periapsis radius ``a (1 - e)``, km."""
        return self.semi_major_axis * (1.0 - self.eccentricity)

    @property
    def apogee_radius(self):
        """Apoapsis radius ``a (1 + e)``, km (negative/infinite meaning for e >= 1)."""
        return self.semi_major_axis * (1.0 + self.eccentricity)


def elements_from_state(position, velocity, epoch=None, *, mu: float = GM_EARTH,
                        frame: str = "icrf") -> OrbitalElements:
    """Classical elements of one Earth-centred state.

    Parameters
    ----------
    position : Quantity (3,)
        Length.
    velocity : Quantity (3,)
        Speed.
    epoch : Time, optional
    mu : float
        km^3/s^2.
    frame : str
        Label of the axes of ``position`` / ``velocity``.
    """
    r = _vector(position, "position", "km")
    v = _vector(velocity, "velocity", "km/s")
    p, e, inc, raan, argp, nu = rv2coe(mu, r, v)
    a = p / (1.0 - e * e) if abs(1.0 - e) > 1e-12 else math.inf
    return OrbitalElements(a * u.km, float(e), math.degrees(inc) * u.deg,
                           math.degrees(raan) * u.deg, math.degrees(argp) * u.deg,
                           math.degrees(nu) * u.deg, epoch, frame)


def state_from_elements(elements: OrbitalElements, *, mu: float = GM_EARTH):
    """Position (km) and velocity (km/s) Quantities of :class:`OrbitalElements`."""
    a = elements.semi_major_axis.to_value(u.km)
    e = float(elements.eccentricity)
    r, v = coe2rv(mu, a * (1.0 - e * e), e, elements.inclination.to_value(u.rad),
                  elements.raan.to_value(u.rad), elements.argument_of_periapsis.to_value(u.rad),
                  elements.true_anomaly.to_value(u.rad))
    return np.array(r) * u.km, np.array(v) * u.km / u.s


def _vector(value, name: str, unit: str) -> np.ndarray:
    try:
        arr = np.asarray(u.Quantity(value).to_value(unit), dtype=np.float64)
    except (u.UnitsError, TypeError, ValueError):
        raise InputError(
            f"{name} must be a Quantity convertible to {unit}, got {value!r}") from None
    if arr.shape != (3,) or not np.all(np.isfinite(arr)):
        raise InputError(f"{name} must be a finite 3-vector, got shape {arr.shape}")
    return arr


# --- the target ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class TargetPlaneArrays:
    """Kernel arguments describing a target at many epochs (plain floats, ICRF axes).

    Attributes
    ----------
    normal : ndarray (N, 3)
        Unit normal (angular-momentum direction) of the target plane; zeros when ``free_raan``.
    pole : ndarray (N, 3)
        Unit vector of the pole of the reference equator (mean pole of date, or ICRF z).
    cos_inclination : float
    free_raan : bool
    perigee_radius, apogee_radius : float
        km.
    raan_rate : float
        Secular rate of the RAAN about ``pole``, rad/s (0 for a free RAAN).
    """

    normal: np.ndarray
    pole: np.ndarray
    cos_inclination: float
    free_raan: bool
    perigee_radius: float
    apogee_radius: float
    raan_rate: float = 0.0


@dataclass(frozen=True)
class TargetOrbit:
    """An Earth orbit to insert into: a shape and a plane whose RAAN may move with time.

    Build with :func:`circular`, :func:`sun_synchronous`, :func:`geo`, :func:`from_elements`,
    :func:`walker` or :func:`massdriver.config.target_from_config` rather than directly.

    Attributes
    ----------
    name : str
        Label for reports.
    kind : str
        One of :data:`KINDS`.
    perigee_altitude, apogee_altitude : Quantity
        Above the equatorial radius ``R_EARTH``, km.
    inclination : Quantity
        deg, in [0, 180], relative to the equator of ``frame``.
    raan_reference : Quantity or None
        RAAN (deg) at ``reference_epoch``; ``None`` for a free RAAN or a sun-synchronous target.
    reference_epoch : Time or None
        Epoch of ``raan_reference``.
    raan_rate : Quantity
        Secular RAAN rate, deg/day (J2; the mean-Sun rate for sun-synchronous targets).
    ltan : float or None
        Sun-synchronous only: mean local time of the ascending node, hours in [0, 24).
    argument_of_perigee : Quantity or None
        deg, informative (the budgets leave the line of apsides free).
    frame : str
        ``"mean_of_date"`` (default) or ``"icrf"``.
    """

    name: str
    kind: str
    perigee_altitude: Any
    apogee_altitude: Any
    inclination: Any
    raan_reference: Any = None
    reference_epoch: Any = None
    raan_rate: Any = None
    ltan: float | None = None
    argument_of_perigee: Any = None
    frame: str = "mean_of_date"
    _q: float = field(init=False, repr=False, compare=False, default=0.0)
    _Q: float = field(init=False, repr=False, compare=False, default=0.0)
    _inc: float = field(init=False, repr=False, compare=False, default=0.0)
    _raan0: float = field(init=False, repr=False, compare=False, default=0.0)
    _t0: float = field(init=False, repr=False, compare=False, default=0.0)
    _rate: float = field(init=False, repr=False, compare=False, default=0.0)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InputError(f"kind = {self.kind!r}: must be one of {', '.join(KINDS)}")
        if self.frame not in _FRAMES:
            raise InputError(f"frame = {self.frame!r}: must be one of {', '.join(_FRAMES)}")
        hp = _to(self.perigee_altitude, "km", "perigee_altitude")
        ha = _to(self.apogee_altitude, "km", "apogee_altitude")
        inc = _to(self.inclination, "deg", "inclination")
        if not BOUNDS["perigee_altitude"].contains(hp):
            reason = BOUNDS["perigee_altitude"].describe() + (
                " (a perigee below the atmosphere interface, or inside the Earth, is not an "
                "orbit)" if not hp > MAX_PERIGEE_ALTITUDE else
                " (a closest approach beyond 150,000 km is a passing, not an arrival)")
            raise InputError(f"perigee_altitude = {hp:g} km: {reason}", field="perigee_altitude",
                             reason=reason)
        if not ha >= hp:
            raise InputError(f"apogee_altitude = {ha:g} km: must be >= perigee_altitude "
                             f"({hp:g} km)")
        BOUNDS["inclination"].check("TargetOrbit", "inclination", inc * u.deg)
        if self.ltan is not None and not 0.0 <= self.ltan < 24.0:
            raise InputError(f"ltan = {self.ltan:g} h: must be in [0, 24) hours")
        rate = 0.0 if self.raan_rate is None else _to(self.raan_rate, "deg/day", "raan_rate")
        set_ = object.__setattr__
        set_(self, "perigee_altitude", hp * u.km)
        set_(self, "apogee_altitude", ha * u.km)
        set_(self, "inclination", inc * u.deg)
        set_(self, "_q", R_EARTH + hp)
        set_(self, "_Q", R_EARTH + ha)
        set_(self, "_inc", math.radians(inc))
        set_(self, "_rate", math.radians(rate) / SECONDS_PER_DAY)
        if self.raan_reference is not None:
            if self.reference_epoch is None:
                raise InputError("raan_reference needs reference_epoch (the epoch it holds at)")
            raan_deg = _to(self.raan_reference, "deg", "raan")
            set_(self, "raan_reference", raan_deg * u.deg)
            set_(self, "_raan0", math.radians(raan_deg))
            set_(self, "_t0", float(to_tdb_seconds(self.reference_epoch)))
        set_(self, "raan_rate", rate * u.deg / u.day)

    # -- shape -------------------------------------------------------------------------------------
    @property
    def perigee_radius(self):
        """Periapsis radius, km (Quantity)."""
        return self._q * u.km

    @property
    def apogee_radius(self):
        """Apoapsis radius, km (Quantity)."""
        return self._Q * u.km

    @property
    def semi_major_axis(self):
        """km (Quantity)."""
        return 0.5 * (self._q + self._Q) * u.km

    @property
    def eccentricity(self) -> float:
        """Dimensionless."""
        return (self._Q - self._q) / (self._Q + self._q)

    @property
    def free_raan(self) -> bool:
        """True when any plane of this inclination is acceptable (no RAAN constraint)."""
        return self.raan_reference is None and self.ltan is None

    # -- plane -------------------------------------------------------------------------------------
    def raan_rad(self, t_tdb) -> np.ndarray:
        """RAAN (rad, [0, 2 pi)) at TDB seconds past J2000, in this target's frame (vectorised).

        Raises
        ------
        InputError
            For a free-RAAN target (any RAAN is acceptable).
        """
        t = np.asarray(t_tdb, dtype=np.float64)
        if self.ltan is not None:
            offset = (self.ltan - 12.0) * math.pi / 12.0
            return np.mod(mean_sun_right_ascension(t) + offset, 2.0 * np.pi)
        if self.raan_reference is None:
            raise InputError(f"target {self.name!r} has a free RAAN (any plane of inclination "
                             f"{math.degrees(self._inc):g} deg is acceptable)")
        return np.mod(self._raan0 + self._rate * (t - self._t0), 2.0 * np.pi)

    def raan_at(self, epoch):
        """RAAN at ``epoch`` (astropy Time, scalar or array) as a Quantity in deg."""
        return np.degrees(self.raan_rad(to_tdb_seconds(epoch))) * u.deg

    def pole(self, t_tdb) -> np.ndarray:
        """Unit vector (ICRF axes) of the pole of this target's reference equator, ``(N, 3)``."""
        t = np.atleast_1d(np.asarray(t_tdb, dtype=np.float64))
        if self.frame == "icrf":
            out = np.zeros(t.shape + (3,))
            out[..., 2] = 1.0
            return out
        return precession_matrix(t)[..., 2, :].copy()

    def plane_normal(self, t_tdb) -> np.ndarray:
        """Unit normal of the target plane (angular-momentum direction), ICRF axes, ``(N, 3)``.

        ``n = P^T (sin i sin Omega, -sin i cos Omega, cos i)`` with ``P`` the precession matrix
        (identity for ``frame="icrf"``).
        """
        t = np.atleast_1d(np.asarray(t_tdb, dtype=np.float64))
        om = self.raan_rad(t)
        si = math.sin(self._inc)
        n = np.stack([si * np.sin(om), -si * np.cos(om),
                      np.full(t.shape, math.cos(self._inc))], axis=-1)
        if self.frame == "icrf":
            return n
        return np.einsum("...ji,...j->...i", precession_matrix(t), n)

    def plane_arrays(self, t_tdb) -> TargetPlaneArrays:
        """Everything the budget kernel needs at the epochs ``t_tdb`` (TDB s past J2000)."""
        t = np.atleast_1d(np.asarray(t_tdb, dtype=np.float64))
        pole = np.ascontiguousarray(self.pole(t))
        if self.free_raan:
            normal = np.zeros_like(pole)
        else:
            normal = np.ascontiguousarray(self.plane_normal(t))
        rate = 0.0 if self.free_raan else (
            SUN_MEAN_MOTION if self.ltan is not None else self._rate)
        return TargetPlaneArrays(normal, pole, math.cos(self._inc), self.free_raan, self._q,
                                 self._Q, rate)

    def describe(self) -> str:
        """One line: name, shape and plane."""
        hp = self._q - R_EARTH
        ha = self._Q - R_EARTH
        shape = f"{hp:.0f} km circular" if abs(ha - hp) < 1e-6 else f"{hp:.0f} x {ha:.0f} km"
        if self.ltan is not None:
            h, m = divmod(round(self.ltan * 60), 60)
            plane = f"LTAN {h:02d}:{m:02d}"
        elif self.free_raan:
            plane = "any RAAN"
        else:
            plane = (f"RAAN {math.degrees(self._raan0) % 360:.3f} deg at "
                     f"{self.reference_epoch.tdb.isot} TDB")
        return f"{self.name}: {shape}, i = {math.degrees(self._inc):.3f} deg, {plane}"


def _to(value, unit: str, name: str) -> float:
    try:
        x = float(u.Quantity(value).to_value(unit))
    except (u.UnitsError, TypeError, ValueError):
        raise InputError(f"{name} must be a Quantity convertible to {unit}, "
                         f"got {value!r}") from None
    if not math.isfinite(x):
        raise InputError(f"{name} = {value!r}: must be finite")
    return x


def _qty(value, unit: str, name: str):
    return _to(value, unit, name) * u.Unit(unit)


# --- constructors --------------------------------------------------------------------------------
def _j2_rate_deg_day(q: float, Q: float, inc_rad: float):
    a = 0.5 * (q + Q)
    e = (Q - q) / (Q + q)
    return math.degrees(nodal_precession_rate(a, e, inc_rad)) * SECONDS_PER_DAY * u.deg / u.day


def circular(altitude, inclination, raan=None, *, epoch=None, name: str | None = None,
             raan_drift: bool = True, frame: str = "mean_of_date") -> TargetOrbit:
    """A circular orbit.

    Parameters
    ----------
    altitude : Quantity
        Above ``R_EARTH``, length (>= 120 km).
    inclination : Quantity
        Angle in [0, 180] deg (mean equator of date).
    raan : Quantity, optional
        RAAN at ``epoch``; ``None`` (default) = free RAAN: any plane of this inclination will do
        (e.g. a single satellite), and the budget pays only for the inclination.
    epoch : Time
        Required with ``raan``: the epoch at which the RAAN holds.
    name : str, optional
    raan_drift : bool
        Let the RAAN drift at the J2 secular rate from ``epoch`` (default True).
    frame : str
        ``"mean_of_date"`` (default: inclination/RAAN from the mean equator and equinox of date)
        or ``"icrf"`` (from the ICRF equator and x axis).
    """
    h = _qty(altitude, "km", "altitude")
    inc = _qty(inclination, "deg", "inclination")
    if raan is not None and epoch is None:
        raise InputError("circular(): a RAAN needs the epoch at which it holds (epoch=Time(...))")
    label = name or f"circular {h.to_value(u.km):g} km, i={inc.to_value(u.deg):g} deg"
    if raan is None:
        return TargetOrbit(label, "circular", h, h, inc, frame=frame)
    rate = _j2_rate_deg_day(R_EARTH + h.value, R_EARTH + h.value, inc.to_value(u.rad)) \
        if raan_drift else 0.0 * u.deg / u.day
    return TargetOrbit(label, "circular", h, h, inc, raan_reference=_qty(raan, "deg", "raan"),
                       reference_epoch=epoch, raan_rate=rate, frame=frame)


def _parse_ltan(ltan) -> float:
    def bad(reason: str) -> InputError:
        return InputError(f"ltan = {ltan!r}: {reason}", field="ltan", reason=reason)

    if isinstance(ltan, str):
        m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d*)?))?\s*", ltan)
        if not m:
            raise bad("write the local time as 'HH:MM' (e.g. '06:00')")
        hours = int(m.group(1)) + int(m.group(2)) / 60.0 + float(m.group(3) or 0.0) / 3600.0
        if int(m.group(2)) >= 60:
            raise bad("minutes must be < 60")
    elif isinstance(ltan, (int, float)) and not isinstance(ltan, bool):
        hours = float(ltan)
    elif hasattr(ltan, "unit"):
        hours = _to(ltan, "hour", "ltan")
    else:
        raise bad("give 'HH:MM', hours as a number, or a Quantity")
    if not 0.0 <= hours < 24.0:
        raise bad("must be in [00:00, 24:00)")
    return hours


def sun_synchronous(altitude, ltan: str | float = "06:00", *,
                    name: str | None = None) -> TargetOrbit:
    """A circular sun-synchronous orbit.

    Parameters
    ----------
    altitude : Quantity
        Above ``R_EARTH``, length (120 km .. about 5,970 km).
    ltan : str, float or Quantity
        Mean local time of the ascending node: ``"HH:MM"``, hours, or a time Quantity.
        ``RAAN(t) = alpha_mean_sun(t) + (LTAN - 12 h) * 15 deg/h``.
    name : str, optional
    """
    h = _qty(altitude, "km", "altitude")
    hours = _parse_ltan(ltan)
    if not BOUNDS["perigee_altitude"].contains(float(h.value)):   # before the J2 formula
        reason = BOUNDS["perigee_altitude"].describe()
        raise InputError(f"altitude = {h.value:g} km: {reason}", field="altitude", reason=reason)
    inc = math.degrees(sun_synchronous_inclination(h.value))
    hh, mm = divmod(round(hours * 60), 60)
    label = name or f"SSO {h.value:g} km LTAN {hh:02d}:{mm:02d}"
    rate = math.degrees(SUN_MEAN_MOTION) * SECONDS_PER_DAY * u.deg / u.day
    return TargetOrbit(label, "sun_synchronous", h, h, inc * u.deg, raan_rate=rate, ltan=hours)


def geo(*, name: str = "GEO") -> TargetOrbit:
    """The geostationary orbit: circular, equatorial, radius ``(GM / omega_earth^2)^(1/3)``.

    42,164.17 km radius, 35,786.04 km altitude with :mod:`massdriver.bodies` constants.
    """
    h = (GEO_RADIUS - R_EARTH) * u.km
    return TargetOrbit(name, "geo", h, h, 0.0 * u.deg)


def from_elements(a, ecc, inc, raan, argp, epoch, *, name: str | None = None,
                  frame: str = "mean_of_date", raan_drift: bool = True) -> TargetOrbit:
    """A target from classical elements at an epoch.

    Parameters
    ----------
    a : Quantity
        Semi-major axis (length).
    ecc : float
        Eccentricity in [0, 1).
    inc, raan, argp : Quantity
        Angles; ``raan`` holds at ``epoch``. ``argp`` is kept for reference (the budgets leave the
        line of apsides free).
    epoch : Time
    frame : str
        ``"mean_of_date"`` (default) or ``"icrf"`` (elements of an ICRF/GCRS state).
    raan_drift : bool
        RAAN drifts at the J2 secular rate (default True).
    """
    a_km = _to(a, "km", "a")
    e = float(ecc)
    if not 0.0 <= e < 1.0:
        raise InputError(f"ecc = {ecc!r}: must be in [0, 1) (a closed orbit)")
    if epoch is None:
        raise InputError("from_elements(): epoch is required (the RAAN holds at that epoch)")
    inc_q = _qty(inc, "deg", "inc")
    q, Q = a_km * (1.0 - e), a_km * (1.0 + e)
    label = name or f"elements a={a_km:g} km e={e:g} i={inc_q.value:g} deg"
    rate = (_j2_rate_deg_day(q, Q, inc_q.to_value(u.rad)) if raan_drift
            else 0.0 * u.deg / u.day)
    return TargetOrbit(label, "elements", (q - R_EARTH) * u.km, (Q - R_EARTH) * u.km, inc_q,
                       raan_reference=_qty(raan, "deg", "raan"), reference_epoch=epoch,
                       raan_rate=rate, argument_of_perigee=_qty(argp, "deg", "argp"), frame=frame)



_WALKER_RE = re.compile(
    r"\s*([0-9]{0,9}\.?[0-9]{1,17})\s*(?:deg|°)?\s*:\s*(\d{1,9})\s*/\s*(\d{1,9})\s*/\s*(\d{1,9})\s*")


def parse_walker(notation: str) -> tuple[float, int, int, int]:
    """Parse Walker ``i:T/P/F`` notation, e.g. ``"53:1584/72/17"`` -> (53.0, 1584, 72, 17)."""
    m = _WALKER_RE.fullmatch(notation)
    if not m:
        raise InputError(f"walker notation {_short(notation)}: expected 'i:T/P/F', e.g. "
                         "'53:1584/72/17'")
    return float(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4))


def _short(value) -> str:
    """``value`` for a one-line message (a huge integer by its size, any text cut short)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"an integer of {value.bit_length()} bits"
    return one_line(repr(value), 60)


def walker(inclination, total: int | None = None, planes: int | None = None,
           phasing: int | None = None, altitude=None, *, raan0=None, epoch=None,
           name: str | None = None, raan_drift: bool = True) -> list[TargetOrbit]:
    """The planes of a Walker-delta constellation ``i:T/P/F``, one :class:`TargetOrbit` each.

    Plane ``k`` (0-based) has RAAN ``raan0 + k * 360 deg / P`` at ``epoch``; all planes share the
    J2 drift, so the pattern is preserved. Within a plane the ``T/P`` slots are spaced by
    ``360/(T/P)`` deg and plane ``k+1`` is shifted by ``F * 360 / T`` deg in argument of latitude
    (Walker 1984, J. Br. Interplanet. Soc. 37, 559); the slot phasing is an in-plane matter that
    insertion budgets do not price (phasing is a drift, not a plane change).

    Parameters
    ----------
    inclination : Quantity or str
        The inclination, or the whole notation ``"53:1584/72/17"`` (then ``total``, ``planes``,
        ``phasing`` stay ``None``).
    total, planes, phasing : int
        ``T`` satellites (at most :data:`MAX_WALKER_TOTAL`), ``P`` equally spaced planes (at
        most :data:`MAX_WALKER_PLANES`, ``T % P == 0``), phasing ``F`` in ``0 .. P-1``.
    altitude : Quantity
        Circular altitude.
    raan0 : Quantity, optional
        RAAN of plane 0 at ``epoch`` (default 0 deg).
    epoch : Time, optional
        Epoch of ``raan0`` (default J2000.0 TDB; give the mission epoch for a real constellation).
    """
    if isinstance(inclination, str):
        if total is not None or planes is not None or phasing is not None:
            raise InputError("walker(): give either the notation string or i, T, P, F")
        inc_deg, total, planes, phasing = parse_walker(inclination)
        inc = inc_deg * u.deg
    else:
        inc = _qty(inclination, "deg", "inclination")
    if total is None or planes is None or phasing is None or altitude is None:
        raise InputError("walker(): total, planes, phasing and altitude are required")
    for key, val in (("total", total), ("planes", planes), ("phasing", phasing)):
        if isinstance(val, bool) or not isinstance(val, (int, np.integer)):
            reason = "must be an integer"
            raise InputError(f"walker {key} = {_short(val)}: {reason}", field=key,
                             reason=reason)
        if abs(int(val)) > 2**53:               # beyond any bound, and beyond a float
            reason = BOUNDS[key].describe()
            raise InputError(f"walker {key} = {_short(int(val))}: {reason}", field=key,
                             reason=reason)
        BOUNDS[key].check("walker", key, int(val))
    if total % planes:
        reason = f"must be a multiple of planes = {planes}"
        raise InputError(f"walker total = {total}: {reason}", field="total", reason=reason)
    if phasing > planes - 1:
        reason = f"must be in 0 .. planes-1 = {planes - 1}"
        raise InputError(f"walker phasing = {phasing}: {reason}", field="phasing", reason=reason)
    epoch = Time(2451545.0, format="jd", scale="tdb") if epoch is None else epoch
    raan0 = 0.0 * u.deg if raan0 is None else _qty(raan0, "deg", "raan0")
    label = name or f"Walker {inc.to_value(u.deg):g}:{total}/{planes}/{phasing}"
    out = []
    for k in range(planes):
        raan_k = raan0 + k * 360.0 / planes * u.deg
        out.append(circular(altitude, inc, raan_k, epoch=epoch, raan_drift=raan_drift,
                            name=f"{label} plane {k}"))
    return [
        TargetOrbit(t.name, "walker", t.perigee_altitude, t.apogee_altitude, t.inclination,
                    t.raan_reference, t.reference_epoch, t.raan_rate)
        for t in out
    ]
