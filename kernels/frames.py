"""Launch states: a lunar surface site (Moon PA body frame) to an Earth-centred ICRF state (numba).

Units: km, s, km/s; time in TDB seconds past J2000; ``eph`` is the tuple documented in
:mod:`massdriver.kernels.chebyshev`.

With ``R(t)`` the rotation ICRF -> Moon PA (``x_body = R x_icrf``) and ``x`` a body-fixed point,
the geocentric ICRF state of a payload leaving the track with exit speed ``w`` along the body-fixed
unit direction ``d`` is::

    r = r_moon(t) + R(t).T x
    v = v_moon(t) + dR/dt(t).T x + w R(t).T d

where ``dR/dt.T x`` is the surface velocity due to the Moon's rotation (physical libration
included: the Euler-angle rates come from the same Chebyshev polynomials).
"""

from __future__ import annotations

import numba
import numpy as np
from massdriver.kernels.chebyshev import geocentric_moon_into, moon_pa_matrix_and_rate_into
from massdriver.kernels.jit import jit, jit_parallel

__all__ = ["launch_state_into", "launch_state", "launch_states", "launch_states_steered",
           "surface_velocity"]


@jit
def launch_state_into(t, speed, site_body, dir_body, eph, out, m, dm, work):
    """Geocentric ICRF launch state into ``out[0:6]`` (km, km/s). Allocation-free.

    Parameters
    ----------
    t : float
        Epoch, TDB s past J2000.
    speed : float
        Exit speed relative to the lunar surface, km/s.
    site_body : ndarray, shape (3,)
        Site position in the Moon PA frame, km.
    dir_body : ndarray, shape (3,)
        Unit launch direction in the Moon PA frame.
    eph : tuple
        Ephemeris tables.
    out : ndarray, shape (6,)
        Output state.
    m, dm : ndarray, shape (3, 3)
        Scratch for the rotation matrix and its rate.
    work : ndarray, shape (6,)
        Scratch.
    """
    moon_pa_matrix_and_rate_into(t, eph, m, dm, work)
    geocentric_moon_into(t, eph, out)
    for i in range(3):
        position = 0.0
        spin = 0.0
        direction = 0.0
        for j in range(3):
            position += m[j, i] * site_body[j]
            spin += dm[j, i] * site_body[j]
            direction += m[j, i] * dir_body[j]
        out[i] += position
        out[3 + i] += spin + speed * direction


@jit
def launch_state(t, speed, site_body, dir_body, eph):
    """Geocentric ICRF position (km) and velocity (km/s) of one launch; see the module doc.

    Parameters
    ----------
    t : float
        Epoch, TDB s past J2000.
    speed : float
        Exit speed relative to the surface, km/s.
    site_body : ndarray, shape (3,)
        Site position, Moon PA frame, km.
    dir_body : ndarray, shape (3,)
        Unit launch direction, Moon PA frame.
    eph : tuple
        Ephemeris tables.

    Returns
    -------
    r : ndarray, shape (3,)
        Position, km.
    v : ndarray, shape (3,)
        Velocity, km/s.
    """
    out = np.empty(6)
    m = np.empty((3, 3))
    dm = np.empty((3, 3))
    work = np.empty(6)
    launch_state_into(t, speed, site_body, dir_body, eph, out, m, dm, work)
    return out[:3], out[3:]


@jit_parallel
def launch_states(t, speed, site_body, dir_body, eph):
    """Launch states for many epochs and speeds from one site and track direction (parallel).

    Parameters
    ----------
    t : ndarray, shape (n,)
        Epochs, TDB s past J2000.
    speed : ndarray, shape (n,)
        Exit speeds, km/s.
    site_body : ndarray, shape (3,)
        Site position, Moon PA frame, km.
    dir_body : ndarray, shape (3,)
        Unit launch direction, Moon PA frame.
    eph : tuple
        Ephemeris tables.

    Returns
    -------
    ndarray, shape (n, 6)
        Geocentric ICRF position (km) and velocity (km/s) per shot.
    """
    n = t.shape[0]
    out = np.empty((n, 6))
    n_chunks = min(n, 256)         # static chunks (get_num_threads() would defeat caching)
    for chunk in numba.prange(n_chunks):
        m = np.empty((3, 3))          # per-chunk scratch (no per-shot allocation)
        dm = np.empty((3, 3))
        work = np.empty(6)
        for i in range(chunk * n // n_chunks, (chunk + 1) * n // n_chunks):
            launch_state_into(t[i], speed[i], site_body, dir_body, eph, out[i], m, dm, work)
    return out


@jit_parallel
def launch_states_steered(t, speed, site_body, dir_body, eph):
    """As :func:`launch_states` with one launch direction per shot, ``dir_body`` shape (n, 3)."""
    n = t.shape[0]
    out = np.empty((n, 6))
    n_chunks = min(n, 256)         # static chunks (get_num_threads() would defeat caching)
    for chunk in numba.prange(n_chunks):
        m = np.empty((3, 3))
        dm = np.empty((3, 3))
        work = np.empty(6)
        for i in range(chunk * n // n_chunks, (chunk + 1) * n // n_chunks):
            launch_state_into(t[i], speed[i], site_body, dir_body[i], eph, out[i], m, dm, work)
    return out


@jit
def surface_velocity(t, site_body, eph):
    """ICRF velocity (km/s) of a body-fixed point relative to the Moon's centre, ``dR/dt.T x``.

    Parameters
    ----------
    t : float
        Epoch, TDB s past J2000.
    site_body : ndarray, shape (3,)
        Point in the Moon PA frame, km.
    eph : tuple
        Ephemeris tables.

    Returns
    -------
    ndarray, shape (3,)
        Velocity, km/s.
    """
    m = np.empty((3, 3))
    dm = np.empty((3, 3))
    work = np.empty(6)
    moon_pa_matrix_and_rate_into(t, eph, m, dm, work)
    out = np.zeros(3)
    for i in range(3):
        for j in range(3):
            out[i] += dm[j, i] * site_body[j]
    return out
