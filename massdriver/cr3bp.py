"""The Earth-Moon circular restricted three-body problem: points, constants, frames, orbits.

Scaling (one constant set everywhere, JPL's three-body database [JPL-3B]): mass ratio
``mu = M_moon / (M_earth + M_moon)`` = :data:`massdriver.bodies.CR3BP_MU`, length unit
:data:`~massdriver.bodies.CR3BP_LENGTH_UNIT` (389703 km), time unit
:data:`~massdriver.bodies.CR3BP_TIME_UNIT` (382981 s; the frame turns at 1 rad per unit).
The rotating frame is barycentric: Earth at ``(-mu, 0, 0)``, Moon at ``(1 - mu, 0, 0)``,
z along the orbital angular momentum. Functions take and return non-dimensional numpy arrays
unless they say otherwise; :func:`to_dimensional` gives km and km/s.

[JPL-3B] JPL Solar System Dynamics, Three-Body Periodic Orbits,
https://ssd.jpl.nasa.gov/tools/periodic_orbits.html.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import astropy.units as u
import numpy as np
from scipy.integrate import solve_ivp

from massdriver import bodies
from massdriver.errors import InputError
from massdriver.kernels import forces

__all__ = ["MU", "lagrange_points", "jacobi_constant", "rotating_to_inertial",
           "inertial_to_rotating", "to_dimensional", "PeriodicOrbit", "correct_periodic_orbit",
           "equations_of_motion"]

MU = bodies.CR3BP_MU


def _state(y, name: str = "state") -> np.ndarray:
    a = np.asarray(y, dtype=np.float64)
    if a.shape[-1:] != (6,) or not np.all(np.isfinite(a)):
        raise InputError(f"{name}: expected finite rotating-frame states of 6 components, "
                         f"shape (..., 6)")
    return a


def _mu(mu) -> float:
    m = float(mu)
    if not (math.isfinite(m) and 0.0 < m <= 0.5):
        raise InputError(f"mu = {mu!r}: must be in (0, 0.5]")
    return m


def lagrange_points(mu: float = MU) -> np.ndarray:
    """The five Lagrange points, rows L1..L5, rotating frame (non-dimensional), shape (5, 3)."""
    return np.asarray(forces.lagrange_points(_mu(mu)))


def jacobi_constant(state, mu: float = MU):
    """Jacobi constant ``C = x^2 + y^2 + 2 (1 - mu) / r1 + 2 mu / r2 - v^2`` (JPL convention)
    of one state (6,) or many (..., 6)."""
    y = _state(state)
    m = _mu(mu)
    x, yy, z = y[..., 0], y[..., 1], y[..., 2]
    r1 = np.sqrt((x + m) ** 2 + yy**2 + z**2)
    r2 = np.sqrt((x - 1.0 + m) ** 2 + yy**2 + z**2)
    v2 = np.sum(y[..., 3:] ** 2, axis=-1)
    return x * x + yy * yy + 2.0 * (1.0 - m) / r1 + 2.0 * m / r2 - v2


def _rotation(t):
    c, s = np.cos(t), np.sin(t)
    return c, s


def rotating_to_inertial(state, t, *, mu: float = MU, center: str = "barycenter"):
    """Rotating-frame states to the inertial frame that coincides with it at ``t = 0``.

    Parameters
    ----------
    state : array_like (..., 6)
        Rotating-frame states (non-dimensional, barycentric).
    t : float or array_like (...)
        Non-dimensional times (the rotation angle, rad).
    mu : float
    center : {"barycenter", "earth", "moon"}
        Origin of the inertial frame.

    Returns
    -------
    ndarray (..., 6)
    """
    y = _state(state)
    m = _mu(mu)
    t = np.asarray(t, dtype=np.float64)
    shift = {"barycenter": 0.0, "earth": -m, "moon": 1.0 - m}
    if center not in shift:
        raise InputError(f"center = {center!r}: must be barycenter, earth or moon")
    c, s = _rotation(t)
    r = y[..., :3]
    v = y[..., 3:]
    vi = v + np.stack([-r[..., 1], r[..., 0], np.zeros_like(r[..., 0])], axis=-1)

    def rot(a):
        return np.stack([c * a[..., 0] - s * a[..., 1], s * a[..., 0] + c * a[..., 1],
                         a[..., 2]], axis=-1)

    ri = rot(r)
    vi = rot(vi)
    # the chosen primary moves on a circle in the inertial frame
    p = np.stack([shift[center] * c, shift[center] * s, np.zeros_like(c)], axis=-1)
    pv = np.stack([-shift[center] * s, shift[center] * c, np.zeros_like(c)], axis=-1)
    return np.concatenate([ri - p, vi - pv], axis=-1)


def inertial_to_rotating(state, t, *, mu: float = MU, center: str = "barycenter"):
    """The inverse of :func:`rotating_to_inertial`."""
    y = _state(state)
    m = _mu(mu)
    t = np.asarray(t, dtype=np.float64)
    shift = {"barycenter": 0.0, "earth": -m, "moon": 1.0 - m}
    if center not in shift:
        raise InputError(f"center = {center!r}: must be barycenter, earth or moon")
    c, s = _rotation(t)
    p = np.stack([shift[center] * c, shift[center] * s, np.zeros_like(c)], axis=-1)
    pv = np.stack([-shift[center] * s, shift[center] * c, np.zeros_like(c)], axis=-1)
    ri = y[..., :3] + p
    vi = y[..., 3:] + pv

    def unrot(a):
        return np.stack([c * a[..., 0] + s * a[..., 1], -s * a[..., 0] + c * a[..., 1],
                         a[..., 2]], axis=-1)

    r = unrot(ri)
    v = unrot(vi) - np.stack([-r[..., 1], r[..., 0], np.zeros_like(r[..., 0])], axis=-1)
    return np.concatenate([r, v], axis=-1)


def to_dimensional(state):
    """Non-dimensional states (..., 6) to ``(position km, velocity km/s)`` Quantities."""
    y = _state(state)
    return (y[..., :3] * bodies.CR3BP_LENGTH_UNIT * u.km,
            y[..., 3:] * bodies.CR3BP_VELOCITY_UNIT * u.km / u.s)


def equations_of_motion(t: float, y: np.ndarray, mu: float = MU) -> np.ndarray:
    """CR3BP right-hand side, with the 6x6 state-transition matrix if ``y`` has 42 entries."""
    x, yy, z, vx, vy, vz = y[:6]
    dx, dx2 = x + mu, x - 1.0 + mu
    r1 = math.sqrt(dx * dx + yy * yy + z * z)
    r2 = math.sqrt(dx2 * dx2 + yy * yy + z * z)
    a1, a2 = (1.0 - mu) / r1**3, mu / r2**3
    ax = 2.0 * vy + x - a1 * dx - a2 * dx2
    ay = -2.0 * vx + yy - a1 * yy - a2 * yy
    az = -a1 * z - a2 * z
    out = np.empty_like(y)
    out[:6] = (vx, vy, vz, ax, ay, az)
    if y.shape[0] == 42:
        b1, b2 = 3.0 * (1.0 - mu) / r1**5, 3.0 * mu / r2**5
        uxx = 1.0 - a1 - a2 + b1 * dx * dx + b2 * dx2 * dx2
        uyy = 1.0 - a1 - a2 + (b1 + b2) * yy * yy
        uzz = -a1 - a2 + (b1 + b2) * z * z
        uxy = b1 * dx * yy + b2 * dx2 * yy
        uxz = b1 * dx * z + b2 * dx2 * z
        uyz = (b1 + b2) * yy * z
        A = np.zeros((6, 6))
        A[0:3, 3:6] = np.eye(3)
        A[3:6, 0:3] = [[uxx, uxy, uxz], [uxy, uyy, uyz], [uxz, uyz, uzz]]
        A[3, 4], A[4, 3] = 2.0, -2.0
        out[6:] = (A @ y[6:].reshape(6, 6)).ravel()
    return out


@dataclass(frozen=True)
class PeriodicOrbit:
    """A periodic orbit symmetric about the xz plane (Lyapunov, halo).

    Attributes
    ----------
    initial_state : ndarray (6,)
        At the xz-plane crossing (y = 0, vx = vz = 0), non-dimensional.
    period : float
        Non-dimensional.
    jacobi : float
    iterations : int
        Newton steps taken.
    residual : float
        ``max(|vx|, |vz|)`` at the half-period crossing.
    """

    initial_state: np.ndarray
    period: float
    jacobi: float
    iterations: int
    residual: float


def _half_period(y0: np.ndarray, mu: float, t_guess: float, rtol: float):
    """Propagate state + STM to the next y = 0 crossing after ~t_guess / 4."""
    def cross(t, y, mu):
        return y[1]

    cross.terminal = True
    y = np.concatenate([y0, np.eye(6).ravel()])
    # skip the start (y = 0 there): integrate a quarter guess, then to the crossing
    first = solve_ivp(equations_of_motion, (0.0, 0.25 * t_guess), y, method="DOP853",
                      rtol=rtol, atol=rtol * 1e-2, args=(mu,))
    sol = solve_ivp(equations_of_motion, (first.t[-1], 2.0 * t_guess), first.y[:, -1],
                    method="DOP853", rtol=rtol, atol=rtol * 1e-2, events=cross, args=(mu,))
    if not sol.t_events[0].size:
        raise InputError("correct_periodic_orbit(): the guess does not cross the xz plane "
                         "again; give a better guess")
    return float(sol.t_events[0][0]), sol.y_events[0][0]


def correct_periodic_orbit(guess, period_guess: float, *, mu: float = MU, fix: str = "z",
                           tol: float = 1e-11, max_iterations: int = 25,
                           rtol: float = 1e-12) -> PeriodicOrbit:
    """Differential correction of an xz-symmetric periodic orbit from a guess.

    The guess starts on the xz plane (``y = vx = vz = 0``); Newton steps on two of
    ``(x0, z0, vy0)`` drive ``vx`` and ``vz`` to zero at the next crossing of the plane (half a
    period), with the state-transition matrix of the variational equations.

    Parameters
    ----------
    guess : array_like (6,)
        ``(x0, 0, z0, 0, vy0, 0)``, non-dimensional.
    period_guess : float
        Roughly the period (sets the integration span).
    mu : float
    fix : {"z", "x"}
        The coordinate held: ``"z"`` corrects ``(x0, vy0)`` (halo orbits by amplitude, and
        planar Lyapunov orbits with ``z0 = 0``), ``"x"`` corrects ``(z0, vy0)``.
    tol : float
        On ``max(|vx|, |vz|)`` at the crossing.
    max_iterations : int
    rtol : float
        Integration tolerance.

    Returns
    -------
    PeriodicOrbit

    Raises
    ------
    InputError
        Bad guess, or no convergence.
    """
    y0 = _state(guess, "guess").copy()
    m = _mu(mu)
    if y0.shape != (6,) or abs(y0[1]) > 1e-12 or abs(y0[3]) > 1e-12 or abs(y0[5]) > 1e-12:
        raise InputError("guess: must be (x0, 0, z0, 0, vy0, 0) on the xz plane")
    if fix not in ("z", "x"):
        raise InputError(f"fix = {fix!r}: must be 'z' or 'x'")
    planar = abs(y0[2]) == 0.0
    free = 0 if fix == "z" else 2
    t_half, yc = 0.5 * period_guess, None
    for k in range(1, max_iterations + 1):
        t_half, yc = _half_period(y0, m, 2.0 * t_half, rtol)
        residual = max(abs(yc[3]), abs(yc[5]))
        if residual < tol:
            return PeriodicOrbit(y0.copy(), 2.0 * t_half, float(jacobi_constant(y0, m)), k - 1,
                                 float(residual))
        phi = yc[6:].reshape(6, 6)
        f = equations_of_motion(0.0, yc[:6], m)
        # d(vx, vz)/d(free, vy0) with the crossing time adjusted to keep y = 0
        rows = [3, 5] if not planar else [3]
        cols = [free, 4] if not planar else [4]
        J = phi[np.ix_(rows, cols)] - np.outer(f[rows], phi[1, cols]) / f[1]
        delta = np.linalg.lstsq(J, -yc[rows], rcond=None)[0]
        for c, d in zip(cols, delta, strict=True):
            y0[c] += d
    raise InputError(f"correct_periodic_orbit(): no convergence in {max_iterations} "
                     f"iterations (residual {residual:.2e}); give a better guess")
