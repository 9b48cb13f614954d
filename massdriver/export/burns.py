"""Every manoeuvre of an insertion budget as an impulsive burn: epoch and ICRF delta-v vector.

The budget kernels (:mod:`massdriver.kernels.twobody`) price the strategies as magnitudes:
``insertion``, ``plane_change``, ``circularization``. The files handed to other tools (OPM
maneuver blocks, GMAT ``ImpulsiveBurn``) need each burn's epoch and vector, so this module
builds the burn sequence of the window's chosen strategy from the arrival state (the perigee:
position, velocity, epoch) and the target, in two-body dynamics about the Earth
(``GM_EARTH``), with Kepler's equation between the burns:

``perigee_burn``
    1. ``insertion`` at the arrival perigee: into the plane through the arrival point nearest
       the target plane (the target plane itself when it contains the point; for a free RAAN a
       plane of the target inclination through the point, the one nearer the arrival plane),
       with the target shape when the arrival radius lies between the target's apsides
       (one burn, :func:`massdriver.budget.combined_burn_delta_v`'s construction), else
       horizontal with the far apsis of the target;
    2. ``apsis`` (only when the arrival radius is outside the target's apsides) half an orbit
       later, at that far apsis: moves the other apsis to the target's;
    3. ``plane_trim`` (only when the arrival point is off every target plane): at the node of
       the orbit with the target plane where the orbit is slower (free RAAN: at the equator
       crossing, the inclination brought down to the target's), the velocity turned about the
       radius into the target plane.
``high_ellipse``
    1. ``capture`` at the arrival perigee, along the anti-velocity: into the ellipse of the
       budget's capture apoapsis radius, in the arrival plane;
    2. ``plane_change`` at the node of that ellipse with the target plane where it is slower
       (free RAAN: at the apoapsis when a plane of the target inclination passes through it,
       else at the slower equator crossing): the velocity turned about the radius;
    3. ``lowering`` at the next periapsis: the apoapsis brought down to the target's far apsis;
    4. ``apsis`` (only when the arrival radius is not a target apsis) at that far apsis: the
       other apsis moved to the target's.

These are plain, documented constructions, not an optimisation: their summed magnitudes are
close to the budget's price of the strategy but not always equal to it (the kernel splits a
plane rotation between two burns when that is cheaper, and optimises the capture apoapsis);
the files state both sums. Applied to the arrival state in two-body dynamics, they reach the
target orbit (tested with boinor's independent propagator: ``tests/test_burns.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from massdriver.bodies import GM_EARTH
from massdriver.errors import InputError

__all__ = ["PlannedBurn", "plan_burns", "kepler", "STRATEGIES"]

#: strategies whose burns are built here
STRATEGIES = ("perigee_burn", "high_ellipse")
_SMALL = 1e-12       # km/s: burns smaller than this are left out


@dataclass(frozen=True)
class PlannedBurn:
    """One impulsive burn, relative to the arrival.

    Attributes
    ----------
    name : str
    dt : float
        Seconds after the arrival epoch.
    delta_v : ndarray (3,)
        km/s, ICRF axes.
    description : str
    """

    name: str
    dt: float
    delta_v: np.ndarray
    description: str


def _unit(a: np.ndarray) -> np.ndarray:
    return a / np.linalg.norm(a)


def kepler(r: np.ndarray, v: np.ndarray, dt: float, mu: float = GM_EARTH):
    """Two-body state after ``dt`` seconds on an elliptic orbit (Lagrange f and g).

    Parameters
    ----------
    r, v : ndarray (3,)
        km, km/s.
    dt : float
        s (>= 0 or < 0).
    mu : float
        km^3/s^2.

    Returns
    -------
    (ndarray, ndarray)
        Position (km) and velocity (km/s).
    """
    r = np.asarray(r, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    r0 = float(np.linalg.norm(r))
    a = 1.0 / (2.0 / r0 - float(v @ v) / mu)
    if not a > 0.0:
        raise InputError("kepler(): the orbit is not elliptic")
    n = math.sqrt(mu / a**3)
    ecos = 1.0 - r0 / a                       # e cos E0
    esin = float(r @ v) / math.sqrt(mu * a)   # e sin E0
    m = n * dt
    x = m                                     # Delta E, Newton on Kepler's equation
    for _ in range(60):
        f = x - ecos * math.sin(x) + esin * (1.0 - math.cos(x)) - m
        fp = 1.0 - ecos * math.cos(x) + esin * math.sin(x)
        step = f / fp
        x -= step
        if abs(step) < 1e-15 * max(1.0, abs(x)):
            break
    f = 1.0 - a / r0 * (1.0 - math.cos(x))
    g = dt - (x - math.sin(x)) / n
    r1 = f * r + g * v
    r1n = float(np.linalg.norm(r1))
    fd = -math.sqrt(mu * a) / (r1n * r0) * math.sin(x)
    gd = 1.0 - a / r1n * (1.0 - math.cos(x))
    return r1, fd * r + gd * v


def _time_to_direction(r, v, d, mu) -> float:
    """Seconds until the orbit's position points along ``d`` (a direction in its plane)."""
    r0 = float(np.linalg.norm(r))
    a = 1.0 / (2.0 / r0 - float(v @ v) / mu)
    h = np.cross(r, v)
    e_vec = np.cross(v, h) / mu - r / r0
    e = float(np.linalg.norm(e_vec))
    hh = _unit(h)
    # angles from a reference direction in the plane (periapsis, or r itself if circular)
    ref = e_vec / e if e > 1e-10 else r / r0
    side = np.cross(hh, ref)

    def mean_anomaly(direction):
        nu = math.atan2(float(direction @ side), float(direction @ ref))
        if e <= 1e-10:
            return nu
        big_e = 2.0 * math.atan2(math.sqrt(1.0 - e) * math.sin(nu / 2.0),
                                 math.sqrt(1.0 + e) * math.cos(nu / 2.0))
        return big_e - e * math.sin(big_e)

    n = math.sqrt(mu / a**3)
    dm = (mean_anomaly(_unit(d)) - mean_anomaly(r / r0)) % (2.0 * math.pi)
    return dm / n


def _apsis_speed(mu: float, r: float, other: float) -> float:
    """Speed at an apsis of radius ``r`` of the orbit whose other apsis is ``other``."""
    return math.sqrt(2.0 * mu * other / (r * (r + other)))


def _turn_into_plane(r, v, normal) -> np.ndarray:
    """The delta-v turning ``v`` about the radius ``r`` into the plane of ``normal`` (which
    contains ``r``), keeping its radial part and its speed, prograde about ``normal``."""
    rh = _unit(r)
    vr = float(v @ rh) * rh
    vt = v - vr
    t_new = _unit(np.cross(normal, rh))
    return vr + float(np.linalg.norm(vt)) * t_new - v


def _free_normal_through(rh, pole, cos_i, ha):
    """A normal of inclination ``acos(cos_i)`` whose plane contains ``rh`` (the one nearer
    ``ha``), or None when ``rh`` is outside the declination band."""
    sd = float(rh @ pole)
    cd = math.sqrt(max(1.0 - sd * sd, 0.0))
    if cd < 1e-12 or abs(cos_i) > cd * (1.0 + 1e-12):
        return None
    e2 = (pole - sd * rh) / cd
    e3 = np.cross(rh, e2)
    phi = math.acos(max(-1.0, min(1.0, cos_i / cd)))
    cands = [math.cos(p) * e2 + math.sin(p) * e3 for p in (phi, -phi)]
    return max(cands, key=lambda c: float(c @ ha))


def _equator_crossing(r, v, pole, mu):
    """(seconds, position, velocity) at the slower of the two equator crossings ahead."""
    h = np.cross(r, v)
    line = np.cross(pole, h)
    if np.linalg.norm(line) < 1e-12 * np.linalg.norm(h):
        raise InputError("the orbit lies in the equator: no node to change the inclination at")
    out = []
    for d in (line, -line):
        dt = _time_to_direction(r, v, d, mu)
        out.append((dt, *kepler(r, v, dt, mu)))
    return max(out, key=lambda x: np.linalg.norm(x[1]))


def _same_node_normal(r, v, pole, cos_i) -> np.ndarray:
    """The orbit normal of inclination ``acos(cos_i)`` with the orbit's own line of nodes
    (``pole`` x ``h``): ``pole cos i + (k x pole) sin i``."""
    k = _unit(np.cross(pole, np.cross(r, v)))
    sin_i = math.sqrt(max(1.0 - cos_i * cos_i, 0.0))
    return pole * cos_i + np.cross(k, pole) * sin_i


def _node_with(r, v, normal, mu):
    """(seconds, position, velocity) at the slower node of the orbit with the plane of
    ``normal``."""
    line = np.cross(np.cross(r, v), normal)
    if np.linalg.norm(line) < 1e-15:
        return 0.0, r, v
    out = []
    for d in (line, -line):
        dt = _time_to_direction(r, v, d, mu)
        out.append((dt, *kepler(r, v, dt, mu)))
    return max(out, key=lambda x: np.linalg.norm(x[1]))


def _plane_targets(plane):
    """(free_raan, normal or None, pole, cos_i, q, Q) of ``target.plane_arrays`` output."""
    return (bool(plane.free_raan), None if plane.free_raan else np.asarray(plane.normal[0]),
            np.asarray(plane.pole[0]), float(plane.cos_inclination),
            float(plane.perigee_radius), float(plane.apogee_radius))


class _Sequence:
    """Burns applied one after the other, the state carried with Kepler's equation."""

    def __init__(self, r, v, mu):
        self.r, self.v, self.t, self.mu = r.copy(), v.copy(), 0.0, mu
        self.burns: list[PlannedBurn] = []

    def coast(self, dt: float) -> None:
        if dt > 0.0:
            self.r, self.v = kepler(self.r, self.v, dt, self.mu)
            self.t += dt

    def burn(self, name: str, dv: np.ndarray, text: str) -> None:
        dv = np.asarray(dv, dtype=np.float64)
        if float(np.linalg.norm(dv)) > _SMALL:
            self.burns.append(PlannedBurn(name, self.t, dv, text))
            self.v = self.v + dv

    def to_apsis(self) -> None:
        """Coast half an orbit (the state is at an apsis: to the other one)."""
        r0 = float(np.linalg.norm(self.r))
        a = 1.0 / (2.0 / r0 - float(self.v @ self.v) / self.mu)
        self.coast(math.pi * math.sqrt(a**3 / self.mu))

    def set_other_apsis(self, name: str, other: float, text: str) -> None:
        """At an apsis: a tangential burn making ``other`` the opposite apsis radius."""
        R = float(np.linalg.norm(self.r))
        t_hat = _unit(np.cross(_unit(np.cross(self.r, self.v)), self.r / R))
        self.burn(name, _apsis_speed(self.mu, R, other) * t_hat - self.v, text)


def plan_burns(r, v, t_tdb: float, target, strategy: str, *,
               capture_apoapsis_radius: float | None = None,
               mu: float = GM_EARTH) -> list[PlannedBurn]:
    """The burns of ``strategy`` from the arrival perigee state into ``target``.

    Parameters
    ----------
    r, v : ndarray (3,)
        Arrival perigee position (km) and velocity (km/s), Earth-centred ICRF.
    t_tdb : float
        Arrival epoch, TDB seconds past J2000 (where the target plane is evaluated).
    target : massdriver.targets.TargetOrbit
    strategy : {"perigee_burn", "high_ellipse"}
    capture_apoapsis_radius : float, optional
        km, the ``high_ellipse`` capture apoapsis (the budget's); required for that strategy.
    mu : float
        km^3/s^2.

    Returns
    -------
    list of PlannedBurn
        In time order (see the module docstring for each strategy's burns).
    """
    r = np.asarray(r, dtype=np.float64).reshape(3)
    v = np.asarray(v, dtype=np.float64).reshape(3)
    if strategy not in STRATEGIES:
        raise InputError(f"strategy {strategy!r}: burns are built for {', '.join(STRATEGIES)}")
    plane = target.plane_arrays(np.array([float(t_tdb)]))
    free, normal, pole, cos_i, q, Q = _plane_targets(plane)
    R = float(np.linalg.norm(r))
    rh = r / R
    ha = _unit(np.cross(r, v))
    seq = _Sequence(r, v, mu)
    if strategy == "perigee_burn":
        if not q * (1 - 1e-6) <= R <= Q * (1 + 1e-6):
            # out of the target's apsides: first along the velocity (in the arrival plane) to
            # the orbit whose far apsis is the target's, then the plane change there
            far = Q if R < q else q
            seq.burn("insertion", _apsis_speed(mu, R, far) * _unit(np.cross(ha, rh)) - v,
                     "at the arrival perigee, along the velocity: the target's far apsis "
                     "opposite (the arrival plane kept)")
            seq.to_apsis()
            name, where = "apsis", "at the far apsis"
        else:
            name, where = "insertion", "at the arrival perigee"
        # the plane through the point, nearest the target plane, and the target shape there
        R_now = float(np.linalg.norm(seq.r))
        rh_now = seq.r / R_now
        h_now = _unit(np.cross(seq.r, seq.v))
        trim_free = False
        if free:
            n1 = _free_normal_through(rh_now, pole, cos_i, h_now)
            if n1 is None:                    # outside the band: least inclination through r
                n1 = _unit(pole - float(pole @ rh_now) * rh_now)
                if float(n1 @ h_now) < 0.0:
                    n1 = -n1
                trim_free = True
        else:
            n1 = _unit(normal - float(normal @ rh_now) * rh_now)
        th = np.cross(n1, rh_now)
        s_ = q + Q
        vh = math.sqrt(2.0 * mu * q * Q / s_) / R_now
        vr = math.sqrt(max(2.0 * mu * (R_now - q) * (Q - R_now) / (s_ * R_now**2), 0.0))
        dvs = [sign * vr * rh_now + vh * th - seq.v for sign in (1.0, -1.0)]
        seq.burn(name, min(dvs, key=np.linalg.norm),
                 f"{where}: into the target shape, in the plane through this point nearest "
                 "the target plane")
        if trim_free:
            dt, _rn, _vn = _equator_crossing(seq.r, seq.v, pole, mu)
            seq.coast(dt)
            seq.burn("plane_trim", _turn_into_plane(
                seq.r, seq.v, _same_node_normal(seq.r, seq.v, pole, cos_i)),
                "at the equator crossing: the inclination brought to the target's")
        elif not free and float(np.linalg.norm(np.cross(n1, normal))) > 1e-12:
            dt, _rn, _vn = _node_with(seq.r, seq.v, normal, mu)
            seq.coast(dt)
            seq.burn("plane_trim", _turn_into_plane(seq.r, seq.v, normal),
                     "at the slower node with the target plane: the velocity turned into it")
        return seq.burns
    # high_ellipse
    if capture_apoapsis_radius is None or not math.isfinite(capture_apoapsis_radius):
        raise InputError("high_ellipse burns need the budget's capture apoapsis radius")
    ra = max(float(capture_apoapsis_radius), R)
    seq.burn("capture", _apsis_speed(mu, R, ra) * _unit(np.cross(ha, rh)) - v,
             f"at the arrival perigee, along the anti-velocity: capture into the "
             f"{ra:.0f} km apoapsis ellipse")
    if free:
        seq.to_apsis()
        apo = seq.r / np.linalg.norm(seq.r)
        n_new = _free_normal_through(apo, pole, cos_i, _unit(np.cross(seq.r, seq.v)))
        if n_new is None:                     # no such plane there: at the equator
            dt, _rn, _vn = _equator_crossing(seq.r, seq.v, pole, mu)
            seq.coast(dt)
            n_new = _same_node_normal(seq.r, seq.v, pole, cos_i)
        seq.burn("plane_change", _turn_into_plane(seq.r, seq.v, n_new),
                 "on the capture ellipse, where it is slow: the velocity turned into a plane "
                 "of the target inclination")
    else:
        dt, _rn, _vn = _node_with(seq.r, seq.v, normal, mu)
        seq.coast(dt)
        seq.burn("plane_change", _turn_into_plane(seq.r, seq.v, normal),
                 "at the slower node of the capture ellipse with the target plane: the "
                 "velocity turned into it")
    # to the periapsis (radius R), then the apoapsis down to the target's far apsis
    seq.coast(_time_to_direction(seq.r, seq.v, _periapsis_direction(seq.r, seq.v, mu), mu))
    far = Q if R <= Q else q
    seq.set_other_apsis("lowering", far, "at the periapsis: the apoapsis lowered to the "
                        "target's")
    if abs(R - (q if far == Q else Q)) > 1e-6:
        seq.to_apsis()
        seq.set_other_apsis("apsis", q if far == Q else Q,
                            "at the far apsis: the other apsis moved to the target's")
    return seq.burns


def _periapsis_direction(r, v, mu) -> np.ndarray:
    h = np.cross(r, v)
    e_vec = np.cross(v, h) / mu - r / np.linalg.norm(r)
    return _unit(e_vec)
