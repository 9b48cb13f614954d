"""Delta-v budgets at Earth arrival: insertion strategies, mid-course correction, margins.

A shot from the Moon coasts to an Earth perigee; from there the satellite's own thruster must put
it into the :class:`~massdriver.targets.TargetOrbit`. This module prices impulsive strategies:

``perigee_burn``
    One burn at the arrival perigee combining capture, shape and as much plane change as pays,
    plus (when the target's apsides are not both reachable from the arrival radius) a second
    burn at the far apsis, plus a residual plane trim when the arrival point is not in the
    target plane.
``high_ellipse``
    Capture into a high ellipse (apoapsis fixed or optimised, default bound 100,000 km), rotate
    the plane at a node of that ellipse where it is slow, then lower to the target.
``mid_course_correction``
    A correction during the coast (costed by the trajectory code by differential correction)
    that puts the perigee into the target plane; then the cheapest of the above on the corrected
    arrival (:func:`budget_with_mcc`).

The geometry (why a burn at a point can only reach planes containing that point, and how an
arrival perigee off the target plane is handled) is in ``docs/budget.md`` and
:mod:`massdriver.kernels.twobody`.

Two layers, as everywhere in massdriver: :func:`budget_arrays` takes plain float arrays (km, km/s,
TDB seconds) for thousands of arrivals (the window scanner calls it), and :func:`delta_v_budget`
takes Quantities and a ``Time`` for one arrival and returns a :class:`DeltaVBudget`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import astropy.units as u
import numba
import numpy as np

from massdriver.bodies import G0, GM_EARTH
from massdriver.errors import InputError
from massdriver.kernels.twobody import insertion_budgets
from massdriver.targets import TargetOrbit, _vector
from massdriver.timescales import to_tdb_seconds

__all__ = [
    "STRATEGIES", "MCC_STRATEGY", "DEFAULT_CAPTURE_APOAPSIS", "BudgetArrays", "ArrivalGeometry",
    "ArrivalState", "DeltaVBudget", "DispersionMargin", "budget_arrays", "arrival_geometry",
    "delta_v_budget", "budget_with_mcc", "dispersion_margin", "propellant_mass",
    "combined_burn_delta_v",
]

#: strategy names, in the order of the second axis of the :class:`BudgetArrays` fields
STRATEGIES = ("perigee_burn", "high_ellipse")
#: name of the strategy with a mid-course correction (:func:`budget_with_mcc`)
MCC_STRATEGY = "mid_course_correction"
#: default upper bound (and, if not optimised, value) of the capture-ellipse apoapsis radius, km
DEFAULT_CAPTURE_APOAPSIS = 100_000.0
#: fewer arrivals than this are priced on the calling thread only: waking numba's sleeping
#: OpenMP worker for the one-row calls of the window refinement cost up to ~10 ms of CPU a
#: call when the other core was busy, pricing the row ~0.01 ms (docs/performance.md, "Warm
#: main job")
_SERIAL_ROWS = 64


# --- raw, vectorised -----------------------------------------------------------------------------
@dataclass(frozen=True)
class BudgetArrays:
    """Costs of the insertion strategies for N arrivals (plain floats: km/s, km, rad).

    Attributes
    ----------
    insertion, plane_change, circularization : ndarray (N, 2)
        Breakdown of each strategy (columns in the order of :data:`STRATEGIES`), km/s.
        ``insertion`` is the first burn as if the arrival were coplanar with the target,
        ``plane_change`` the extra cost of turning the plane (combined-burn excess and trims),
        ``circularization`` the remaining in-plane burns. They add up to ``strategy_total``.
    strategy_total : ndarray (N, 2)
        km/s.
    total : ndarray (N,)
        The cheapest strategy's total, km/s (no MCC, no margin).
    best : ndarray (N,) of int
        Index into :data:`STRATEGIES` of the cheapest.
    capture_apoapsis_radius : ndarray (N,)
        Apoapsis radius of the ``high_ellipse`` capture orbit, km.
    plane_angle : ndarray (N,)
        Dihedral angle between the arrival plane and the target plane, rad (for a free RAAN: the
        difference of inclinations).
    out_of_plane_angle : ndarray (N,)
        Angle between the target plane and the nearest plane through the arrival point, rad:
        ``asin |n_target . r_hat|`` (0 when the perigee lies in the target plane). For a free
        RAAN: the inclination excess when ``|declination| > inclination``.
    perigee_rotation_fraction : ndarray (N,)
        Share of the plane rotation done by the ``perigee_burn`` burn (rest in the trim).
    strategies : tuple of str
    """

    insertion: np.ndarray
    plane_change: np.ndarray
    circularization: np.ndarray
    strategy_total: np.ndarray
    total: np.ndarray
    best: np.ndarray
    capture_apoapsis_radius: np.ndarray
    plane_angle: np.ndarray
    out_of_plane_angle: np.ndarray
    perigee_rotation_fraction: np.ndarray
    strategies: tuple[str, ...] = STRATEGIES


def _rows(x, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2 or a.shape[1] != 3:
        raise InputError(f"{name} must have shape (N, 3) or (3,), got {np.shape(x)}")
    return np.ascontiguousarray(a)


def budget_arrays(r, v, t_tdb, target: TargetOrbit, *,
                  capture_apoapsis: float = DEFAULT_CAPTURE_APOAPSIS,
                  optimize_capture: bool = True, mu: float = GM_EARTH) -> BudgetArrays:
    """Insertion costs for many arrivals (the raw function the window scanner calls).

    Parameters
    ----------
    r : ndarray (N, 3)
        Arrival (perigee) positions, km, Earth-centred ICRF axes.
    v : ndarray (N, 3)
        Arrival velocities, km/s.
    t_tdb : float or ndarray (N,)
        Arrival epochs, TDB seconds past J2000 (where the target plane is evaluated).
    target : TargetOrbit
    capture_apoapsis : float
        ``high_ellipse`` capture apoapsis radius, km: the upper bound of the search when
        ``optimize_capture`` (default), else the fixed value.
    optimize_capture : bool
        Optimise the capture apoapsis in ``[|r|, capture_apoapsis]`` per arrival.
    mu : float
        km^3/s^2 (default ``GM_EARTH``).

    Returns
    -------
    BudgetArrays

    Notes
    -----
    Cost: about 3-5 microseconds per arrival per core (see ``docs/budget.md``); the target plane
    for all epochs is computed in numpy first (IAU 1976 precession, mean Sun). Fewer than
    64 arrivals are priced on the calling thread alone (starting numba's threads costs more).
    """
    rr = _rows(r, "r")
    vv = _rows(v, "v")
    if rr.shape != vv.shape:
        raise InputError(f"r and v must have the same shape, got {rr.shape} and {vv.shape}")
    n = rr.shape[0]
    t = np.broadcast_to(np.asarray(t_tdb, dtype=np.float64), (n,))
    if not (np.all(np.isfinite(rr)) and np.all(np.isfinite(vv)) and np.all(np.isfinite(t))):
        raise InputError("r, v and t_tdb must be finite")
    h = np.cross(rr, vv)
    if np.any(np.einsum("ij,ij->i", h, h) <= 0.0):
        raise InputError("an arrival has zero angular momentum (radial velocity only)")
    plane = target.plane_arrays(t)
    out = np.empty((n, 2, 3))
    out_ra = np.empty(n)
    out_geom = np.empty((n, 3))
    threads = numba.get_num_threads()          # of this thread (numba keeps it per thread)
    if n < _SERIAL_ROWS:
        numba.set_num_threads(1)
    try:
        insertion_budgets(rr, vv, plane.normal, plane.pole, plane.cos_inclination,
                          plane.free_raan, plane.perigee_radius, plane.apogee_radius,
                          float(mu), float(capture_apoapsis), bool(optimize_capture),
                          plane.raan_rate, out, out_ra, out_geom)
    finally:
        numba.set_num_threads(threads)
    strategy_total = out.sum(axis=2)
    best = np.argmin(strategy_total, axis=1)
    return BudgetArrays(
        insertion=out[:, :, 0], plane_change=out[:, :, 1], circularization=out[:, :, 2],
        strategy_total=strategy_total, total=strategy_total[np.arange(n), best], best=best,
        capture_apoapsis_radius=out_ra, plane_angle=out_geom[:, 0],
        out_of_plane_angle=out_geom[:, 1], perigee_rotation_fraction=out_geom[:, 2])


@dataclass(frozen=True)
class ArrivalGeometry:
    """Where an arrival stands relative to the target plane (raw floats) - the residuals a
    mid-course correction drives to zero.

    Attributes
    ----------
    out_of_plane : ndarray (N,)
        Signed ``asin(n_target . r_hat)``, rad: the perigee's angular height above the target
        plane (fixed RAAN); for a free RAAN, the signed excess of ``|declination|`` over the
        reachable band (0 inside it).
    plane_angle : ndarray (N,)
        Dihedral angle between arrival and target planes (free RAAN: arrival inclination minus
        target inclination, signed), rad.
    perigee_radius_error : ndarray (N,)
        ``|r| - q_target``, km.
    """

    out_of_plane: np.ndarray
    plane_angle: np.ndarray
    perigee_radius_error: np.ndarray


def _angles(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise angle between unit vectors, accurate near 0 and pi."""
    return np.arctan2(np.linalg.norm(np.cross(a, b), axis=1), np.einsum("ij,ij->i", a, b))


def arrival_geometry(r, v, t_tdb, target: TargetOrbit) -> ArrivalGeometry:
    """Targeting residuals of arrivals with respect to ``target`` (see :class:`ArrivalGeometry`).

    Parameters
    ----------
    r, v : ndarray (N, 3) or (3,)
        km, km/s, ICRF axes.
    t_tdb : float or ndarray (N,)
        TDB seconds past J2000.
    target : TargetOrbit
    """
    rr = _rows(r, "r")
    vv = _rows(v, "v")
    n = rr.shape[0]
    t = np.broadcast_to(np.asarray(t_tdb, dtype=np.float64), (n,))
    plane = target.plane_arrays(t)
    R = np.linalg.norm(rr, axis=1)
    rh = rr / R[:, None]
    h = np.cross(rr, vv)
    hh = h / np.linalg.norm(h, axis=1)[:, None]
    if plane.free_raan:
        inc = math.acos(plane.cos_inclination)
        sin_dec = np.einsum("ij,ij->i", rh, plane.pole)
        dec = np.arcsin(np.clip(sin_dec, -1.0, 1.0))
        limit = min(inc, math.pi - inc)
        out = np.sign(dec) * np.maximum(np.abs(dec) - limit, 0.0)
        arrival_inc = _angles(hh, plane.pole)
        angle = arrival_inc - inc
    else:
        out = np.arcsin(np.clip(np.einsum("ij,ij->i", plane.normal, rh), -1.0, 1.0))
        angle = _angles(plane.normal, hh)
    return ArrivalGeometry(out, angle, R - plane.perigee_radius)


def combined_burn_delta_v(r, v, t_tdb: float, target: TargetOrbit, *, mu: float = GM_EARTH,
                          tolerance: float = 1e-6) -> np.ndarray:
    """The single burn at ``r`` into the target orbit, as a vector (km/s, ICRF axes).

    Valid when the arrival point lies in the target plane (``|out_of_plane| <= tolerance`` rad,
    or inside the reachable declination band for a free RAAN) and its radius lies between the
    target's apsides. The post-burn orbit is the target shape through ``r`` in the target plane,
    with the sign of its radial velocity chosen to minimise the burn. Use it to apply the
    ``perigee_burn`` insertion in a simulation.

    Parameters
    ----------
    r, v : ndarray (3,)
        Arrival position (km) and velocity (km/s).
    t_tdb : float
        TDB seconds past J2000.
    target : TargetOrbit
    """
    rr = np.asarray(r, dtype=np.float64).reshape(3)
    vv = np.asarray(v, dtype=np.float64).reshape(3)
    plane = target.plane_arrays(np.array([t_tdb]))
    R = float(np.linalg.norm(rr))
    rh = rr / R
    q, Q = plane.perigee_radius, plane.apogee_radius
    if not q * (1 - 1e-9) <= R <= Q * (1 + 1e-9):
        raise InputError(f"arrival radius {R:.3f} km is outside the target apsides "
                         f"[{q:.3f}, {Q:.3f}] km: one burn cannot reach the target shape")
    ha = np.cross(rr, vv)
    ha /= np.linalg.norm(ha)
    if plane.free_raan:
        pole = plane.pole[0]
        cos_i = plane.cos_inclination
        sd = float(rh @ pole)
        cd = math.sqrt(max(1.0 - sd * sd, 0.0))
        if cd < 1e-12 or abs(cos_i / cd) > 1.0 + tolerance:
            raise InputError("the arrival point is outside the declination band of the target "
                             "inclination: no plane of that inclination contains it")
        e2 = (pole - sd * rh) / cd
        e3 = np.cross(rh, e2)
        phi = math.acos(max(-1.0, min(1.0, cos_i / cd)))
        cands = [math.cos(p) * e2 + math.sin(p) * e3 for p in (phi, -phi)]
        n = max(cands, key=lambda c: float(c @ ha))
    else:
        n = plane.normal[0]
        s = float(n @ rh)
        if abs(s) > tolerance:
            raise InputError(f"the arrival point is {math.degrees(math.asin(min(abs(s), 1))):.4g} "
                             f"deg out of the target plane: a single burn cannot reach it")
        n = n - s * rh
        n /= np.linalg.norm(n)
    th = np.cross(n, rh)
    s_ = q + Q
    vh = math.sqrt(2.0 * mu * q * Q / s_) / R
    vr = math.sqrt(max(2.0 * mu * (R - q) * (Q - R) / (s_ * R * R), 0.0))
    best = None
    for sign in (1.0, -1.0):
        dv = sign * vr * rh + vh * th - vv
        if best is None or np.linalg.norm(dv) < np.linalg.norm(best):
            best = dv
    return best


# --- units-aware ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ArrivalState:
    """An Earth-centred state (ICRF axes) at an epoch: a coast arc's perigee.

    Attributes
    ----------
    position : Quantity (3,)
        km.
    velocity : Quantity (3,)
        km/s.
    epoch : Time
    """

    position: Any
    velocity: Any
    epoch: Any


@dataclass(frozen=True)
class DeltaVBudget:
    """Delta-v budget of one arrival for one strategy (all speeds are km/s Quantities).

    Attributes
    ----------
    strategy : str
        ``"perigee_burn"``, ``"high_ellipse"`` or ``"mid_course_correction"``.
    mcc : Quantity
        Mid-course correction (0 unless ``strategy == "mid_course_correction"``).
    insertion : Quantity
        First Earth burn, as if the arrival were coplanar with the target.
    plane_change : Quantity
        Extra cost of turning the plane (combined-burn excess plus trims).
    circularization : Quantity
        The remaining in-plane burns (apsis adjustments, circularization).
    margin : Quantity
        Dispersion margin (e.g. from :func:`dispersion_margin`).
    total : Quantity
        ``mcc + insertion + plane_change + circularization + margin``.
    capture_apoapsis_radius : Quantity or None
        km, for ``high_ellipse`` (and an MCC budget whose Earth part uses it).
    plane_angle : Quantity
        deg, dihedral angle between the arrival and target planes (free RAAN: inclination
        difference), of the arrival this budget uses.
    out_of_plane_angle : Quantity
        deg, the arrival point's angular distance from the target plane.
    alternatives : tuple of DeltaVBudget
        The other strategies, priced for the same arrival (empty in the alternatives
        themselves).
    """

    strategy: str
    mcc: Any
    insertion: Any
    plane_change: Any
    circularization: Any
    margin: Any
    total: Any
    capture_apoapsis_radius: Any
    plane_angle: Any
    out_of_plane_angle: Any
    alternatives: tuple[DeltaVBudget, ...] = ()

    def as_dict(self) -> dict:
        """Plain-float summary (km/s, km, deg) for JSON output, alternatives included."""
        d = {
            "strategy": self.strategy,
            "mcc_km_s": float(self.mcc.to_value("km/s")),
            "insertion_km_s": float(self.insertion.to_value("km/s")),
            "plane_change_km_s": float(self.plane_change.to_value("km/s")),
            "circularization_km_s": float(self.circularization.to_value("km/s")),
            "margin_km_s": float(self.margin.to_value("km/s")),
            "total_km_s": float(self.total.to_value("km/s")),
            "capture_apoapsis_radius_km": (None if self.capture_apoapsis_radius is None else
                                           float(self.capture_apoapsis_radius.to_value("km"))),
            "plane_angle_deg": float(self.plane_angle.to_value("deg")),
            "out_of_plane_angle_deg": float(self.out_of_plane_angle.to_value("deg")),
        }
        if self.alternatives:
            d["alternatives"] = [a.as_dict() for a in self.alternatives]
        return d

    def __str__(self) -> str:
        parts = [f"{self.strategy}: total {self.total.to_value('km/s'):.4f} km/s ="]
        for name in ("mcc", "insertion", "plane_change", "circularization", "margin"):
            parts.append(f"{name} {getattr(self, name).to_value('km/s'):.4f}")
        return " ".join(parts[:1]) + " " + " + ".join(parts[1:])


def _margin_km_s(margin) -> float:
    if margin is None:
        return 0.0
    if isinstance(margin, DispersionMargin):
        margin = margin.margin
    try:
        value = float(u.Quantity(margin).to_value(u.km / u.s))
    except (u.UnitsError, TypeError, ValueError):
        raise InputError(f"margin must be a speed Quantity or a DispersionMargin, "
                         f"got {margin!r}") from None
    if not (math.isfinite(value) and value >= 0.0):
        raise InputError(f"margin = {margin!r}: must be finite and >= 0")
    return value


def _speed(x: float):
    return float(x) * (u.km / u.s)


def _budgets_from_arrays(arr: BudgetArrays, i: int, margin: float, mcc: float = 0.0,
                         strategy_names: Sequence[str] = STRATEGIES) -> list[DeltaVBudget]:
    out = []
    for s, name in enumerate(strategy_names):
        ins = float(arr.insertion[i, s])
        pl = float(arr.plane_change[i, s])
        ci = float(arr.circularization[i, s])
        out.append(DeltaVBudget(
            strategy=name, mcc=_speed(mcc), insertion=_speed(ins), plane_change=_speed(pl),
            circularization=_speed(ci), margin=_speed(margin),
            total=_speed(mcc + ins + pl + ci + margin),
            capture_apoapsis_radius=(float(arr.capture_apoapsis_radius[i]) * u.km
                                     if STRATEGIES[s] == "high_ellipse" else None),
            plane_angle=math.degrees(float(arr.plane_angle[i])) * u.deg,
            out_of_plane_angle=math.degrees(float(arr.out_of_plane_angle[i])) * u.deg))
    return out


def _choose(candidates: list[DeltaVBudget]) -> DeltaVBudget:
    best = min(range(len(candidates)), key=lambda k: candidates[k].total.to_value("km/s"))
    others = tuple(c for k, c in enumerate(candidates) if k != best)
    b = candidates[best]
    return DeltaVBudget(b.strategy, b.mcc, b.insertion, b.plane_change, b.circularization,
                        b.margin, b.total, b.capture_apoapsis_radius, b.plane_angle,
                        b.out_of_plane_angle, others)


def _state(position, velocity, epoch) -> tuple[np.ndarray, np.ndarray, float]:
    return (_vector(position, "position", "km"), _vector(velocity, "velocity", "km/s"),
            float(to_tdb_seconds(epoch)))


def delta_v_budget(position, velocity, epoch, target: TargetOrbit, *, margin=None,
                   capture_apoapsis=None, optimize_capture: bool = True,
                   mu: float = GM_EARTH) -> DeltaVBudget:
    """Budget of one arrival: the cheapest strategy, the others in ``alternatives``.

    Parameters
    ----------
    position : Quantity (3,)
        Arrival (perigee) position, Earth-centred ICRF axes.
    velocity : Quantity (3,)
        Arrival velocity.
    epoch : Time
        Arrival epoch.
    target : TargetOrbit
    margin : Quantity or DispersionMargin, optional
        Added to every strategy's total (default 0).
    capture_apoapsis : Quantity, optional
        ``high_ellipse`` capture apoapsis radius (bound of the search if ``optimize_capture``);
        default 100,000 km.
    optimize_capture : bool
        Optimise the capture apoapsis (default True).
    mu : float
        km^3/s^2.

    Returns
    -------
    DeltaVBudget
    """
    r, v, t = _state(position, velocity, epoch)
    ra = (DEFAULT_CAPTURE_APOAPSIS if capture_apoapsis is None
          else _positive_km(capture_apoapsis, "capture_apoapsis"))
    arr = budget_arrays(r, v, t, target, capture_apoapsis=ra, optimize_capture=optimize_capture,
                        mu=mu)
    return _choose(_budgets_from_arrays(arr, 0, _margin_km_s(margin)))


def _positive_km(x, name: str) -> float:
    try:
        value = float(u.Quantity(x).to_value(u.km))
    except (u.UnitsError, TypeError, ValueError):
        raise InputError(f"{name} must be a length Quantity, got {x!r}") from None
    if not (math.isfinite(value) and value > 0.0):
        raise InputError(f"{name} = {x!r}: must be a finite positive length")
    return value


def budget_with_mcc(position, velocity, epoch, target: TargetOrbit, mcc, *,
                    uncorrected: DeltaVBudget | None = None, margin=None,
                    capture_apoapsis=None, optimize_capture: bool = True,
                    mu: float = GM_EARTH) -> DeltaVBudget:
    """Budget of the mid-course-correction strategy, compared with the uncorrected arrival.

    The trajectory code finds (by differential correction) a correction of magnitude ``mcc`` at
    some time of the coast that moves the perigee into the target plane (and to the wanted
    radius). Give the *corrected* arrival here: its Earth part is priced like
    :func:`delta_v_budget` (its cheapest strategy, normally a nearly coplanar ``perigee_burn``)
    and the MCC is added.

    Parameters
    ----------
    position, velocity, epoch
        The corrected arrival (as in :func:`delta_v_budget`).
    target : TargetOrbit
    mcc : Quantity
        Magnitude of the correction (sum of magnitudes if several).
    uncorrected : DeltaVBudget, optional
        The budget of the arrival without correction (from :func:`delta_v_budget`); if given,
        the cheapest of it, its alternatives and the MCC budget is returned and the others
        become ``alternatives``.
    margin, capture_apoapsis, optimize_capture, mu
        As in :func:`delta_v_budget`.

    Returns
    -------
    DeltaVBudget
        ``strategy == "mid_course_correction"`` unless an uncorrected strategy is cheaper.
    """
    try:
        mcc_km_s = float(u.Quantity(mcc).to_value(u.km / u.s))
    except (u.UnitsError, TypeError, ValueError):
        raise InputError(f"mcc must be a speed Quantity, got {mcc!r}") from None
    if not (math.isfinite(mcc_km_s) and mcc_km_s >= 0.0):
        raise InputError(f"mcc = {mcc!r}: must be finite and >= 0")
    corrected = delta_v_budget(position, velocity, epoch, target, margin=margin,
                               capture_apoapsis=capture_apoapsis,
                               optimize_capture=optimize_capture, mu=mu)
    m = corrected.margin
    mcc_budget = DeltaVBudget(
        MCC_STRATEGY, _speed(mcc_km_s), corrected.insertion, corrected.plane_change,
        corrected.circularization, m, corrected.total + _speed(mcc_km_s),
        corrected.capture_apoapsis_radius, corrected.plane_angle, corrected.out_of_plane_angle)
    candidates = [mcc_budget]
    if uncorrected is not None:
        base = [uncorrected, *uncorrected.alternatives]
        for b in base:
            # same margin for a fair comparison
            total = b.mcc + b.insertion + b.plane_change + b.circularization + m
            candidates.append(DeltaVBudget(b.strategy, b.mcc, b.insertion, b.plane_change,
                                           b.circularization, m, total,
                                           b.capture_apoapsis_radius, b.plane_angle,
                                           b.out_of_plane_angle))
    return _choose(candidates)


# --- dispersion margin ---------------------------------------------------------------------------
@dataclass(frozen=True)
class DispersionMargin:
    """Statistics of the correction needed to absorb launcher errors.

    Attributes
    ----------
    margin : Quantity
        The ``percentile``-th percentile of the correction magnitude, km/s.
    percentile : float
    mean : Quantity
        Mean correction magnitude, km/s.
    n_samples : int
    seed : int
    """

    margin: Any
    percentile: float
    mean: Any
    n_samples: int
    seed: int


def _sigma_value(s) -> float:
    if hasattr(s, "unit"):
        q = u.Quantity(s)
        if q.unit.physical_type == "speed":
            return float(q.to_value(u.km / u.s))
        if q.unit.physical_type == "angle":
            return float(q.to_value(u.rad))
        if q.unit.physical_type == "dimensionless":
            return float(q.to_value(u.one))
        if q.unit.physical_type == "time":
            return float(q.to_value(u.s))
        if q.unit.physical_type == "length":
            return float(q.to_value(u.km))
        raise InputError(f"sigma {s!r}: expected a speed, angle, length, time or dimensionless "
                         f"value")
    return float(s)


def dispersion_margin(sensitivity: np.ndarray | Callable[[np.ndarray], np.ndarray],
                      sigmas: Sequence, *, n_samples: int = 20000, seed: int = 0,
                      percentile: float = 99.0) -> DispersionMargin:
    """Monte Carlo margin for launcher errors (speed, pointing, ...): a percentile of |dv|.

    Errors are drawn independent and normal, ``e_k ~ N(0, sigma_k^2)``; each sample's correction
    is ``|J e|`` (linear covariance, ``sensitivity`` a matrix) or ``|f(e)|`` (a callable, e.g. a
    differential corrector); the ``percentile``-th percentile of the magnitudes is the margin.

    Parameters
    ----------
    sensitivity : ndarray (m, k) or callable
        Jacobian of the correction vector (km/s, ``m`` components, usually 3) with respect to the
        ``k`` launcher errors, in km/s per unit of each sigma (speed errors in km/s, angles in
        rad, lengths in km, times in s); or a function mapping samples ``(n, k)`` (same units) to
        corrections ``(n,)`` magnitudes or ``(n, m)`` vectors in km/s.
    sigmas : sequence of k floats or Quantities
        One-sigma errors. Quantities are converted to km/s, rad, km, s or dimensionless.
    n_samples : int
        Monte Carlo samples (default 20,000; the 99th percentile is then good to about 2 %).
    seed : int
        Seed of ``numpy.random.default_rng``: the result is deterministic.
    percentile : float
        In (0, 100], default 99.

    Returns
    -------
    DispersionMargin
    """
    sig = np.array([_sigma_value(s) for s in sigmas], dtype=np.float64)
    if sig.ndim != 1 or sig.size == 0 or not np.all(np.isfinite(sig)) or np.any(sig < 0):
        raise InputError(f"sigmas must be a non-empty sequence of finite values >= 0, "
                         f"got {sigmas!r}")
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) \
            or n_samples < 2:
        raise InputError(f"n_samples = {n_samples!r}: must be an integer >= 2")
    if not 0.0 < percentile <= 100.0:
        raise InputError(f"percentile = {percentile!r}: must be in (0, 100]")
    rng = np.random.default_rng(seed)
    samples = rng.standard_normal((int(n_samples), sig.size)) * sig
    if callable(sensitivity):
        dv = np.asarray(sensitivity(samples), dtype=np.float64)
    else:
        J = np.asarray(sensitivity, dtype=np.float64)
        if J.ndim == 1:
            J = J[None, :]
        if J.ndim != 2 or J.shape[1] != sig.size:
            raise InputError(f"sensitivity must have shape (m, {sig.size}) to match "
                             f"{sig.size} sigmas, got {J.shape}")
        dv = samples @ J.T
    if dv.ndim == 2:
        mag = np.linalg.norm(dv, axis=1)
    elif dv.ndim == 1:
        mag = np.abs(dv)
    else:
        raise InputError(f"the sensitivity function returned shape {dv.shape}: expected (n,) "
                         f"or (n, m)")
    if mag.shape[0] != samples.shape[0] or not np.all(np.isfinite(mag)):
        raise InputError("the sensitivity function must return one finite correction per sample")
    kms = u.km / u.s
    return DispersionMargin(float(np.percentile(mag, percentile)) * kms, float(percentile),
                            float(mag.mean()) * kms, int(n_samples), int(seed))


# --- propellant ----------------------------------------------------------------------------------
def propellant_mass(delta_v, isp, *, dry_mass=None, wet_mass=None):
    """Propellant for ``delta_v`` by the rocket equation (Tsiolkovsky).

    ``m_p = m_dry (exp(dv / (g0 Isp)) - 1) = m_wet (1 - exp(-dv / (g0 Isp)))``,
    ``g0 = 9.80665 m/s^2``.

    Parameters
    ----------
    delta_v : Quantity
        Speed (scalar or array).
    isp : Quantity
        Specific impulse, s.
    dry_mass, wet_mass : Quantity
        Give exactly one: the mass after (dry) or before (wet) the burns.

    Returns
    -------
    Quantity
        kg.
    """
    if (dry_mass is None) == (wet_mass is None):
        raise InputError("propellant_mass(): give exactly one of dry_mass and wet_mass")
    try:
        dv = u.Quantity(delta_v).to_value(u.m / u.s)
        isp_s = u.Quantity(isp).to_value(u.s)
        mass = u.Quantity(dry_mass if wet_mass is None else wet_mass).to_value(u.kg)
    except (u.UnitsError, TypeError, ValueError) as exc:
        raise InputError(f"propellant_mass(): {exc}") from None
    if np.any(np.asarray(isp_s) <= 0) or np.any(np.asarray(mass) <= 0) \
            or np.any(np.asarray(dv) < 0):
        raise InputError("propellant_mass(): isp and mass must be > 0 and delta_v >= 0")
    x = np.asarray(dv) / (G0 * np.asarray(isp_s))
    if wet_mass is None:
        mp = mass * np.expm1(x)
    else:
        mp = -mass * np.expm1(-x)
    return mp * u.kg
