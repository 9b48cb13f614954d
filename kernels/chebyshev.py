"""Evaluation of JPL Chebyshev ephemeris segments inside compiled code (numba).

Units: time ``t`` in TDB seconds past J2000 (2000-01-01T12:00:00 TDB); positions in km, velocities
in km/s; Euler angles in rad and their rates in rad/s. Frame: ICRF axes.

Ephemeris table tuple
---------------------
Every function taking ``eph`` expects the tuple built by
:meth:`massdriver.ephemeris.Ephemeris.kernel_tables`::

    eph = (moon_emb, earth_emb, emb_ssb, sun_ssb, moon_pa, spans)

``moon_emb .. moon_pa``
    float64 C-contiguous arrays of shape ``(n_records, 3, n_coef)`` holding the Chebyshev
    coefficients of, in order: DE 301 wrt 3 (Moon wrt Earth-Moon barycentre), 399 wrt 3 (Earth wrt
    EMB), 3 wrt 0 (EMB wrt solar-system barycentre), 10 wrt 0 (Sun wrt SSB), all in km, and the
    lunar principal-axes Euler angles (phi, theta, psi) of frame 31006 MOON_PA_DE421 relative to
    ICRF, in rad (binary PCK type 2).
``spans``
    float64 ``(6, 2)``: row ``k < 5`` = ``(init, intlen)`` of table ``k`` in TDB seconds past
    J2000; record ``i`` covers ``[init + i*intlen, init + (i+1)*intlen]``. Row 5 =
    ``(1 / (1 + EMRAT), 0)``: JPL files store Earth wrt EMB as ``-1/EMRAT`` times Moon wrt EMB,
    so the Earth's offset from the EMB is ``-geocentric Moon / (1 + EMRAT)`` (used by
    :func:`massdriver.kernels.forces.pack_ephemeris`; EMRAT is read off the tables once, by the
    loader).

SPK type 2 / binary PCK type 2 record layout (NAIF SPK Required Reading, "Type 2: Chebyshev
(position only)"): ``MID, RADIUS, X coefficients, Y coefficients, Z coefficients``; the normalised
time of a record is ``s = (t - MID) / RADIUS`` in ``[-1, 1]``. The loader strips MID and RADIUS (the
records are uniform, so ``MID = init + (i + 1/2) intlen``, ``RADIUS = intlen / 2``).

Times outside a table never read out of bounds: the record index is clamped, so the polynomial of
the first/last record is extrapolated. Range checks belong to the Python layer
(:class:`massdriver.errors.EphemerisRangeError`).

Allocation-free variants (``*_into``) write into caller-owned arrays for the integrator hot path.
"""

from __future__ import annotations

import math

import numpy as np
from massdriver.kernels.jit import jit

__all__ = [
    "MOON_EMB", "EARTH_EMB", "EMB_SSB", "SUN_SSB", "MOON_PA",
    "record_and_s", "cheb_eval", "cheb_add_position", "cheb_add_state",
    "geocentric_moon", "geocentric_sun", "geocentric_moon_into", "geocentric_sun_into",
    "moon_sun_positions_into", "moon_pa_angles", "euler313_matrix", "euler313_elements",
    "moon_pa_matrix", "moon_pa_matrix_and_rate", "moon_pa_matrix_and_rate_into",
    "euler313_matrix_rate", "geocentric_states", "moon_pa_matrices", "slice_tables",
    "N_TABLES",
]

# indices into the ``eph`` tuple (and rows of ``spans``)
MOON_EMB = 0
EARTH_EMB = 1
EMB_SSB = 2
SUN_SSB = 3
MOON_PA = 4
N_TABLES = 5


@jit(inline="always")
def record_and_s(n_records, init, intlen, t):
    """Record index (clamped to the table) and normalised time ``s`` of epoch ``t``.

    Parameters
    ----------
    n_records : int
        Number of records of the table.
    init, intlen : float
        Start of the first record and record length, TDB s past J2000 and s.
    t : float
        Epoch, TDB s past J2000.

    Returns
    -------
    index : int
        Record index in ``[0, n_records - 1]``.
    s : float
        Normalised time, in ``[-1, 1]`` inside the table (beyond it when extrapolating).
    """
    index = int(math.floor((t - init) / intlen))
    if index < 0:
        index = 0
    elif index > n_records - 1:
        index = n_records - 1
    # measure t from the record midpoint (exact for the integral init/intlen of JPL files): t - mid
    # is then exact, whereas t - init (up to 5e9 s) would round to ~1e-6 s (3 cm for the Earth)
    half = 0.5 * intlen
    s = (t - (init + index * intlen + half)) / half
    return index, s


@jit(inline="always")
def cheb_add_position(coef, init, intlen, t, factor, out, offset):
    """Add ``factor`` times the 3-vector of a Chebyshev table at ``t`` into ``out[offset:offset+3]``.

    Position only (no derivative): the cheapest evaluation, for force models. Allocation-free.

    Parameters
    ----------
    coef : ndarray, shape (n_records, 3, n_coef)
        Chebyshev coefficients (km or rad).
    init, intlen : float
        Table start (TDB s past J2000) and record length (s).
    t : float
        Epoch, TDB s past J2000.
    factor : float
        Multiplier (e.g. ``-1.0`` to subtract).
    out : ndarray
        Output array, modified in place.
    offset : int
        First index written in ``out``.
    """
    n_coef = coef.shape[2]
    index, s = record_and_s(coef.shape[0], init, intlen, t)
    two_s = 2.0 * s
    # Chebyshev T_k(s) by the three-term recurrence, three components at once
    t_prev = 1.0
    t_curr = s
    x = coef[index, 0, 0]
    y = coef[index, 1, 0]
    z = coef[index, 2, 0]
    if n_coef > 1:
        x += coef[index, 0, 1] * s
        y += coef[index, 1, 1] * s
        z += coef[index, 2, 1] * s
    for k in range(2, n_coef):
        t_next = two_s * t_curr - t_prev
        t_prev = t_curr
        t_curr = t_next
        x += coef[index, 0, k] * t_curr
        y += coef[index, 1, k] * t_curr
        z += coef[index, 2, k] * t_curr
    out[offset] += factor * x
    out[offset + 1] += factor * y
    out[offset + 2] += factor * z


@jit
def cheb_add_state(coef, init, intlen, t, factor, out, offset):
    """Add ``factor`` times value and rate of a Chebyshev table at ``t`` into ``out``.

    Writes the value into ``out[offset:offset+3]`` and its time derivative (per second) into
    ``out[offset+3:offset+6]``. Allocation-free. A call, not inlined: it serves launch states
    and batch ephemeris lookups, not the force model, and each inlined copy (six in the
    launch state and the Moon/Sun states) cost compile time on the first run.

    Parameters
    ----------
    coef : ndarray, shape (n_records, 3, n_coef)
        Chebyshev coefficients (km or rad).
    init, intlen : float
        Table start (TDB s past J2000) and record length (s).
    t : float
        Epoch, TDB s past J2000.
    factor : float
        Multiplier (e.g. ``-1.0`` to subtract).
    out : ndarray
        Output array (at least ``offset + 6`` long), modified in place.
    offset : int
        First index written in ``out``.
    """
    n_coef = coef.shape[2]
    index, s = record_and_s(coef.shape[0], init, intlen, t)
    two_s = 2.0 * s
    # T_k and dT_k/ds: T'_k = 2 T_{k-1} + 2 s T'_{k-1} - T'_{k-2}
    t_prev = 1.0
    t_curr = s
    d_prev = 0.0
    d_curr = 1.0
    x = coef[index, 0, 0]
    y = coef[index, 1, 0]
    z = coef[index, 2, 0]
    dx = 0.0
    dy = 0.0
    dz = 0.0
    if n_coef > 1:
        x += coef[index, 0, 1] * s
        y += coef[index, 1, 1] * s
        z += coef[index, 2, 1] * s
        dx += coef[index, 0, 1]
        dy += coef[index, 1, 1]
        dz += coef[index, 2, 1]
    for k in range(2, n_coef):
        d_next = 2.0 * t_curr + two_s * d_curr - d_prev
        t_next = two_s * t_curr - t_prev
        t_prev = t_curr
        t_curr = t_next
        d_prev = d_curr
        d_curr = d_next
        x += coef[index, 0, k] * t_curr
        y += coef[index, 1, k] * t_curr
        z += coef[index, 2, k] * t_curr
        dx += coef[index, 0, k] * d_curr
        dy += coef[index, 1, k] * d_curr
        dz += coef[index, 2, k] * d_curr
    ds_dt = 2.0 / intlen
    out[offset] += factor * x
    out[offset + 1] += factor * y
    out[offset + 2] += factor * z
    out[offset + 3] += factor * dx * ds_dt
    out[offset + 4] += factor * dy * ds_dt
    out[offset + 5] += factor * dz * ds_dt


@jit
def cheb_eval(coef, init, intlen, t):
    """Value and time derivative of a Chebyshev table at epoch ``t``.

    Parameters
    ----------
    coef : ndarray, shape (n_records, 3, n_coef)
        Chebyshev coefficients (km, or rad for Euler angles).
    init, intlen : float
        Table start (TDB s past J2000) and record length (s).
    t : float
        Epoch, TDB s past J2000.

    Returns
    -------
    value : ndarray, shape (3,)
        Value (km or rad).
    rate : ndarray, shape (3,)
        Time derivative (km/s or rad/s).
    """
    out = np.zeros(6)
    cheb_add_state(coef, init, intlen, t, 1.0, out, 0)
    return out[:3], out[3:]


@jit(inline="always")
def geocentric_moon_into(t, eph, out):
    """Geocentric Moon state written into ``out[0:6]`` (km, km/s, ICRF). Allocation-free.

    Moon wrt Earth = (Moon wrt EMB) - (Earth wrt EMB).
    """
    spans = eph[5]
    for i in range(6):
        out[i] = 0.0
    cheb_add_state(eph[0], spans[0, 0], spans[0, 1], t, 1.0, out, 0)
    cheb_add_state(eph[1], spans[1, 0], spans[1, 1], t, -1.0, out, 0)


@jit(inline="always")
def geocentric_sun_into(t, eph, out):
    """Geocentric Sun state written into ``out[0:6]`` (km, km/s, ICRF). Allocation-free.

    Sun wrt Earth = (Sun wrt SSB) - (EMB wrt SSB) - (Earth wrt EMB).
    """
    spans = eph[5]
    for i in range(6):
        out[i] = 0.0
    cheb_add_state(eph[3], spans[3, 0], spans[3, 1], t, 1.0, out, 0)
    cheb_add_state(eph[2], spans[2, 0], spans[2, 1], t, -1.0, out, 0)
    cheb_add_state(eph[1], spans[1, 0], spans[1, 1], t, -1.0, out, 0)


@jit(inline="always")
def moon_sun_positions_into(t, eph, out):
    """Geocentric Moon position into ``out[0:3]`` and Sun position into ``out[3:6]`` (km, ICRF).

    Positions only (no velocities): the cheapest call for a point-mass force model.
    Allocation-free.
    """
    spans = eph[5]
    for i in range(3):
        out[i] = 0.0
    cheb_add_position(eph[1], spans[1, 0], spans[1, 1], t, -1.0, out, 0)   # -(Earth wrt EMB)
    for i in range(3):
        out[3 + i] = out[i]
    cheb_add_position(eph[0], spans[0, 0], spans[0, 1], t, 1.0, out, 0)
    cheb_add_position(eph[3], spans[3, 0], spans[3, 1], t, 1.0, out, 3)
    cheb_add_position(eph[2], spans[2, 0], spans[2, 1], t, -1.0, out, 3)


@jit
def geocentric_moon(t, eph):
    """Geocentric position and velocity of the Moon, ICRF axes.

    Parameters
    ----------
    t : float
        Epoch, TDB s past J2000.
    eph : tuple
        Ephemeris tables (see module docstring).

    Returns
    -------
    r : ndarray, shape (3,)
        Position, km.
    v : ndarray, shape (3,)
        Velocity, km/s.
    """
    out = np.empty(6)
    geocentric_moon_into(t, eph, out)
    return out[:3], out[3:]


@jit
def geocentric_sun(t, eph):
    """Geocentric position and velocity of the Sun, ICRF axes.

    Parameters
    ----------
    t : float
        Epoch, TDB s past J2000.
    eph : tuple
        Ephemeris tables (see module docstring).

    Returns
    -------
    r : ndarray, shape (3,)
        Position, km.
    v : ndarray, shape (3,)
        Velocity, km/s.
    """
    out = np.empty(6)
    geocentric_sun_into(t, eph, out)
    return out[:3], out[3:]


@jit(inline="always")
def moon_pa_angles(t, eph, out):
    """Lunar PA Euler angles (phi, theta, psi) in ``out[0:3]`` (rad) and rates in ``out[3:6]``
    (rad/s). Allocation-free."""
    spans = eph[5]
    for i in range(6):
        out[i] = 0.0
    cheb_add_state(eph[4], spans[4, 0], spans[4, 1], t, 1.0, out, 0)


@jit(inline="always")
def _euler_cos_sin(phi, theta, psi):
    """``cos`` and ``sin`` of the three Euler angles: ``(c1, s1, c2, s2, c3, s3)``."""
    return (math.cos(phi), math.sin(phi), math.cos(theta), math.sin(theta), math.cos(psi),
            math.sin(psi))


@jit(inline="always")
def euler313_elements(phi, theta, psi):
    """Elements of ``M = R3(psi) R1(theta) R3(phi)`` (see :func:`euler313_matrix`) as scalars,
    row-major ``m00, m01, ..., m22``: for code that must not allocate (the force model)."""
    c1, s1, c2, s2, c3, s3 = _euler_cos_sin(phi, theta, psi)
    return (c3 * c1 - s3 * c2 * s1, c3 * s1 + s3 * c2 * c1, s3 * s2,
            -s3 * c1 - c3 * c2 * s1, -s3 * s1 + c3 * c2 * c1, c3 * s2,
            s2 * s1, -s2 * c1, c2)


@jit(inline="always")
def euler313_matrix(phi, theta, psi, m):
    """Write ``M = R3(psi) R1(theta) R3(phi)`` into ``m`` (3, 3).

    ``Rk(a)`` is the SPICE frame rotation about axis ``k`` by angle ``a`` (e.g. ``R3(a) =
    [[cos a, sin a, 0], [-sin a, cos a, 0], [0, 0, 1]]``); with the binary PCK's Euler angles,
    ``M`` rotates ICRF components into body-fixed ones (SPICE ``EUL2M(psi, theta, phi, 3, 1, 3)``).
    """
    (m[0, 0], m[0, 1], m[0, 2], m[1, 0], m[1, 1], m[1, 2], m[2, 0], m[2, 1],
     m[2, 2]) = euler313_elements(phi, theta, psi)


@jit(inline="always")
def euler313_matrix_rate(phi, theta, psi, dphi, dtheta, dpsi, dm):
    """Write the time derivative of :func:`euler313_matrix` into ``dm`` (3, 3), per second."""
    c1, s1, c2, s2, c3, s3 = _euler_cos_sin(phi, theta, psi)
    # partial derivatives of each element wrt phi, theta, psi, combined with the rates
    dm[0, 0] = (-c3 * s1 - s3 * c2 * c1) * dphi + (s3 * s2 * s1) * dtheta \
        + (-s3 * c1 - c3 * c2 * s1) * dpsi
    dm[0, 1] = (c3 * c1 - s3 * c2 * s1) * dphi + (-s3 * s2 * c1) * dtheta \
        + (-s3 * s1 + c3 * c2 * c1) * dpsi
    dm[0, 2] = (s3 * c2) * dtheta + (c3 * s2) * dpsi
    dm[1, 0] = (s3 * s1 - c3 * c2 * c1) * dphi + (c3 * s2 * s1) * dtheta \
        + (-c3 * c1 + s3 * c2 * s1) * dpsi
    dm[1, 1] = (-s3 * c1 - c3 * c2 * s1) * dphi + (-c3 * s2 * c1) * dtheta \
        + (-c3 * s1 - s3 * c2 * c1) * dpsi
    dm[1, 2] = (c3 * c2) * dtheta + (-s3 * s2) * dpsi
    dm[2, 0] = (s2 * c1) * dphi + (c2 * s1) * dtheta
    dm[2, 1] = (s2 * s1) * dphi + (-c2 * c1) * dtheta
    dm[2, 2] = -s2 * dtheta


@jit
def moon_pa_matrix(t, eph):
    """Rotation matrix ICRF -> Moon principal axes (``x_body = R @ x_icrf``).

    Parameters
    ----------
    t : float
        Epoch, TDB s past J2000.
    eph : tuple
        Ephemeris tables (see module docstring).

    Returns
    -------
    R : ndarray, shape (3, 3)
        Rotation matrix (dimensionless).
    """
    spans = eph[5]
    angles = np.zeros(3)
    cheb_add_position(eph[4], spans[4, 0], spans[4, 1], t, 1.0, angles, 0)
    m = np.empty((3, 3))
    euler313_matrix(angles[0], angles[1], angles[2], m)
    return m


@jit(inline="always")
def moon_pa_matrix_and_rate_into(t, eph, m, dm, work6):
    """Allocation-free :func:`moon_pa_matrix_and_rate`: writes ``R`` into ``m``, ``dR/dt`` into
    ``dm`` (per second); ``work6`` is scratch of length >= 6."""
    moon_pa_angles(t, eph, work6)
    euler313_matrix(work6[0], work6[1], work6[2], m)
    euler313_matrix_rate(work6[0], work6[1], work6[2], work6[3], work6[4], work6[5], dm)


@jit
def moon_pa_matrix_and_rate(t, eph):
    """Rotation ICRF -> Moon principal axes and its time derivative.

    The surface velocity (ICRF, relative to the Moon's centre) of a body-fixed point ``x_body``
    is ``dR/dt.T @ x_body``; libration is included because the Euler-angle rates come from the
    same Chebyshev polynomials.

    Parameters
    ----------
    t : float
        Epoch, TDB s past J2000.
    eph : tuple
        Ephemeris tables (see module docstring).

    Returns
    -------
    R : ndarray, shape (3, 3)
        Rotation matrix ICRF -> PA.
    dR : ndarray, shape (3, 3)
        Its time derivative, 1/s.
    """
    work = np.empty(6)
    m = np.empty((3, 3))
    dm = np.empty((3, 3))
    moon_pa_matrix_and_rate_into(t, eph, m, dm, work)
    return m, dm


# --- batch helpers (used by the units-aware layer for arrays of epochs) ---------------------------


@jit
def geocentric_states(t, eph, body):
    """Geocentric states of the Moon (``body=0``) or the Sun (``body=1``) at epochs ``t``.

    Parameters
    ----------
    t : ndarray, shape (n,)
        Epochs, TDB s past J2000.
    eph : tuple
        Ephemeris tables (see module docstring).
    body : int
        0 for the Moon, 1 for the Sun.

    Returns
    -------
    ndarray, shape (n, 6)
        Position (km) and velocity (km/s), ICRF axes.
    """
    n = t.shape[0]
    out = np.empty((n, 6))
    for i in range(n):
        if body == 0:
            geocentric_moon_into(t[i], eph, out[i])
        else:
            geocentric_sun_into(t[i], eph, out[i])
    return out


@jit
def moon_pa_matrices(t, eph):
    """Rotation matrices ICRF -> Moon PA and their time derivatives at epochs ``t``.

    Parameters
    ----------
    t : ndarray, shape (n,)
        Epochs, TDB s past J2000.
    eph : tuple
        Ephemeris tables (see module docstring).

    Returns
    -------
    R : ndarray, shape (n, 3, 3)
        Rotation matrices (``x_body = R[i] @ x_icrf``).
    dR : ndarray, shape (n, 3, 3)
        Time derivatives, 1/s.
    """
    n = t.shape[0]
    m = np.empty((n, 3, 3))
    dm = np.empty((n, 3, 3))
    work = np.empty(6)
    for i in range(n):
        moon_pa_matrix_and_rate_into(t[i], eph, m[i], dm[i], work)
    return m, dm


def slice_tables(eph, t_start, t_stop, copy=False):
    """The records of every table of ``eph`` covering ``[t_start, t_stop]`` (plus one record of
    margin on each side), as a table tuple of the same layout (plain Python, not compiled).

    Values at times within the span are those of ``eph``: JPL record starts and lengths are
    whole seconds, so the shifted ``init`` of the first kept record is exact.

    Parameters
    ----------
    eph : tuple
        Table tuple (module notes).
    t_start, t_stop : float
        TDB s past J2000 (any order).
    copy : bool
        Copies (each with the original's write flag, hence the same numba type) instead of
        views: private arrays for code running on several threads (numba reference-counts
        array arguments at every non-inlined call, and threads updating the counters of shared
        arrays slow each other down).
    """
    lo, hi = min(t_start, t_stop), max(t_start, t_stop)
    spans = np.array(eph[N_TABLES], copy=True)
    tables = []
    for k in range(N_TABLES):
        coef = eph[k]
        init, intlen = spans[k]
        n = coef.shape[0]
        i0 = min(max(int(math.floor((lo - init) / intlen)) - 1, 0), n - 1)
        i1 = min(max(int(math.floor((hi - init) / intlen)) + 1, 0), n - 1)
        part = coef[i0:i1 + 1]
        if copy:
            part = part.copy()
            part.setflags(write=coef.flags.writeable)
        tables.append(part)
        spans[k, 0] = init + i0 * intlen
    spans.setflags(write=eph[N_TABLES].flags.writeable)
    return (*tables, spans)
