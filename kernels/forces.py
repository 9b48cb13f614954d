"""Force models (right-hand sides) of the cislunar coast, selected by an integer model id.

Every right-hand side has the signature ``(t, y, params, tab, out, row)``: it reads the state
``y`` (shape ``(6,)``) at time ``t`` and writes ``dy/dt`` into ``out[row, 0:6]`` (``out`` is the
integrator's stage array, so nothing is allocated per call). :func:`rhs` dispatches on the model
id; an integer (rather than a function argument) keeps the compiled integrator cacheable by numba.
The physics lives in two scalar functions, :func:`cr3bp_accel` and :func:`ephemeris_accel`,
shared by the single-shot integrator and the lockstep batch kernel (same arithmetic, hence
bit-identical results).

``tab`` is the ephemeris in packed form (:func:`pack_ephemeris`): the integrator receives the
``eph`` tuple of :mod:`massdriver.kernels.chebyshev` (``Ephemeris.kernel_tables()``) and packs
the few records its time span needs into one array, because numba reference-counts every array
argument on every non-inlined call and a tuple of six arrays made each force evaluation ~100 ns
slower. For the CR3BP pass ``eph = None`` (then ``tab`` is None): the ``tab is None`` tests are
resolved at compile time, so the CR3BP specialisation of the integrator contains no ephemeris
code at all and its force model inlines into the step.

Models
------
``MODEL_CR3BP = 0`` -- Earth-Moon circular restricted three-body problem
    Rotating (synodic) frame with origin at the Earth-Moon barycentre, x from the Earth towards the
    Moon, z along the orbital angular momentum. Non-dimensional: length unit ``L`` =
    ``CR3BP_LENGTH_UNIT`` (389703 km), time unit ``T`` = ``CR3BP_TIME_UNIT`` (382981 s; the frame
    turns at 1 rad per ``T``), velocity unit ``L / T`` (1.01755 km/s), mass ratio ``mu`` =
    ``CR3BP_MU`` = M_moon / (M_earth + M_moon) = 1.215058560962404e-2 (JPL three-body database,
    :mod:`massdriver.bodies`). The Earth sits at ``(-mu, 0, 0)``, the Moon at ``(1 - mu, 0, 0)``.
    Equations (Szebehely 1967; Koon, Lo, Marsden & Ross 2011, Sec. 2.3)::

        x'' =  2 y' + x - (1 - mu) (x + mu) / r1^3 - mu (x - 1 + mu) / r2^3
        y'' = -2 x' + y - (1 - mu) y / r1^3        - mu y / r2^3
        z'' =           - (1 - mu) z / r1^3        - mu z / r2^3

    No ephemeris is needed (``tab`` is None, or ignored when given).

``MODEL_EPHEMERIS = 1`` -- high-fidelity Earth-centred model
    ICRF axes, origin at the Earth's centre, km, s, km/s, ``t`` in TDB seconds past J2000. Forces:

    * point-mass Earth (``GM_EARTH``);
    * point-mass Moon and Sun at their DE421 geocentric positions, evaluated inside the kernel from
      the Chebyshev tables (:mod:`massdriver.kernels.chebyshev`), each as a direct minus
      indirect term written with Battin's ``f(q)`` so the difference of two nearly equal
      accelerations is never formed (Battin 1999, *An Introduction to the Mathematics and Methods
      of Astrodynamics*, Sec. 8.4)::

          a = -GM / |d|^3 (r + f(q) s),   d = r - s,   q = r.(r - 2 s) / s.s,
          f(q) = q (3 + 3 q + q^2) / (1 + (1 + q)^(3/2))

      (``s``: body position, ``r``: spacecraft position, both geocentric);
    * Earth J2 about a pole ``p``: ``a = -3/2 J2 GM R^2 / r^5 [(1 - 5 (r.p)^2 / r^2) r + 2 (r.p) p]``.
      ``p`` is either the ICRF z axis (``pole_model = 0``; the true pole is 0.1-0.3 deg away in
      2000-2050) or (``pole_model = 1``, default) the mean Celestial Intermediate Pole: the
      polynomial part of the IAU 2006/2000A CIP coordinates X, Y (IERS Conventions 2010, eq. 5.16,
      frame bias and precession, no nutation), good to the nutation amplitude (< 20 arcsec);
    * lunar J2 and C22 in the Moon's principal-axis frame (DE421 PA, from the binary PCK Euler
      angles), applied when the spacecraft is within ``moon_harmonics_radius`` of the
      Moon's centre. Their reaction on the Earth (and the Earth-J2 reaction of the Moon) is below
      1e-15 km/s^2 and is neglected.

Regularised form (Sundman time transformation)
----------------------------------------------
:mod:`massdriver.kernels.integrators.sundman` integrates either model in a fictitious time ``s`` with
``dt = g ds`` (Sundman 1912, Acta Math. 36, 105; Szebehely 1967, *Theory of Orbits*, Sec. 3.2;
Hairer, Lubich & Wanner 2006, *Geometric Numerical Integration*, Sec. VIII.2), carrying the
elapsed time as a seventh state component ``Y = (r, v, t - t_ref)``::

    dr/ds = g v,   dv/ds = g a(t, r, v),   d(t - t_ref)/ds = g,
    g = 1 / (GM_earth / r_earth + w GM_moon / r_moon)

(CR3BP units: ``g = 1 / ((1 - mu) / r1 + w mu / r2)``), ``w = SUNDMAN_MOON_WEIGHT = 30``. Near
either body ``g`` is proportional to the distance, the classical Sundman factor ``dt = r ds``
(the eccentric anomaly of a Kepler orbit), so the steps shrink in physical time in proportion
to the distance at a perigee or at the lunar surface and an error-controlled integrator spends
its steps evenly along the coast. The weight ``w`` shares the steps between the two ends (the
Moon is 81 times lighter than the Earth, so with ``w = 1`` its term hardly shortens the steps
at the launch): 30 needed the fewest evaluations of 1, 3, 10 and 30 on two 5-day coasts, 7-20 %
fewer than ``w = 1`` (docs/performance.md). The Sun
is left out of ``g`` on purpose: its pull is nearly uniform over the Earth-Moon system.
:func:`sundman_rhs` evaluates the transformed system (:func:`state_rhs` picks it by the state
dimension).

Parameters array
----------------
Model parameters travel as one float64 array ``params`` (build it with :func:`cr3bp_params` or
:func:`ephemeris_params`); index constants:

=============================  ====  =====================================================
name                           idx   meaning (unit)
=============================  ====  =====================================================
``P_MU``                       0     CR3BP mass ratio (-)
``P_GM_EARTH``                 1     Earth GM (km^3/s^2)
``P_GM_MOON``                  2     Moon GM (km^3/s^2)
``P_GM_SUN``                   3     Sun GM (km^3/s^2); 0 switches the Sun off
``P_J2_EARTH``                 4     Earth J2, unnormalised (-); 0 switches it off
``P_R_EARTH_J2``               5     Earth J2 reference radius (km)
``P_POLE_MODEL``               6     0: ICRF z; 1: mean CIP (IAU 2006 polynomial X, Y)
``P_J2_MOON``                  7     lunar J2, unnormalised, PA frame (-)
``P_C22_MOON``                 8     lunar C22, unnormalised, PA frame (-)
``P_R_MOON_J2``                9     lunar harmonics reference radius (km)
``P_MOON_HARMONICS_RADIUS``    10    lunar J2/C22 applied within this distance (km); 0 = off
``P_R_MOON_SURFACE``           11    lunar impact radius (km; CR3BP: length units)
``P_R_EARTH_SURFACE``          12    Earth impact radius (km; CR3BP: length units)
``P_R_ATMOSPHERE``             13    atmosphere interface radius (km; CR3BP: length units)
``P_R_ESCAPE``                 14    escape radius from the Earth (km; CR3BP: length units)
``P_PERIGEE_MAX_RADIUS``       15    perigees farther than this are not reported (km;
                                     CR3BP: length units); ``inf`` (default) reports all
``P_T_REF``                    16    regularised integrator only: physical time at which
                                     the seventh state component is zero
``P_T_TARGET``                 17    regularised integrator only: the elapsed time at
                                     which the pseudo-event ``EV_TIME`` (-1) is zero
=============================  ====  =====================================================

``P_T_REF`` and ``P_T_TARGET`` live in the regularised integrator's private copy of ``params``
(``N_PARAMS_REGULARIZED`` long); the builders below return ``N_PARAMS`` values.

Events
------
:func:`event_value` evaluates the event functions (zero at the event) of both models:

======================  ====  =========  ===================================================
event                   idx   direction  function
======================  ====  =========  ===================================================
``EV_MOON_IMPACT``      0     -1         ``|r - r_moon| - R_moon_surface``
``EV_PERIGEE``          1     +1         ``(r - r_earth) . (v - v_earth)`` (radial velocity)
``EV_ATMOSPHERE``       2     -1         ``|r - r_earth| - R_atmosphere``
``EV_EARTH_IMPACT``     3     -1         ``|r - r_earth| - R_earth_surface``
``EV_ESCAPE``           4     +1         ``|r - r_earth| - R_escape``
======================  ====  =========  ===================================================

Direction +1 fires when the function goes from negative to positive (scipy's convention); a
perigee is only reported when the state at the end of its step is within
``params[P_PERIGEE_MAX_RADIUS]`` of the Earth (default ``inf``: all of them). In the
CR3BP the Earth is at ``(-mu, 0, 0)`` and the Moon at ``(1 - mu, 0, 0)``; the rotating-frame
radial velocity about the Earth equals the inertial one (the frame rotation adds a velocity normal
to the Earth-spacecraft line), so the perigee event means the same in both models.
"""

from __future__ import annotations

import math

import numpy as np
from massdriver.kernels.chebyshev import euler313_elements
from massdriver.kernels.jit import FASTMATH, jit
from numba import types
from numba.extending import overload

from massdriver.bodies import (
    C22_MOON,
    CR3BP_LENGTH_UNIT,
    CR3BP_MU,
    EARTH_ATMOSPHERE_ALTITUDE,
    ESCAPE_RADIUS,
    GM_EARTH,
    GM_MOON,
    GM_SUN,
    J2_EARTH,
    J2_MOON,
    R_EARTH,
    R_MOON,
    R_MOON_GRAVITY,
)

__all__ = [
    "MODEL_CR3BP", "MODEL_EPHEMERIS", "cr3bp_accel", "ephemeris_accel", "N_PARAMS", "N_EVENTS", "EVENT_NAMES", "EVENT_DIRECTIONS",
    "EV_MOON_IMPACT", "EV_PERIGEE", "EV_ATMOSPHERE", "EV_EARTH_IMPACT", "EV_ESCAPE",
    "P_MU", "P_GM_EARTH", "P_GM_MOON", "P_GM_SUN", "P_J2_EARTH", "P_R_EARTH_J2", "P_POLE_MODEL",
    "P_J2_MOON", "P_C22_MOON", "P_R_MOON_J2", "P_MOON_HARMONICS_RADIUS", "P_R_MOON_SURFACE",
    "P_R_EARTH_SURFACE", "P_R_ATMOSPHERE", "P_R_ESCAPE", "P_PERIGEE_MAX_RADIUS", "MOON_SPHERE_OF_INFLUENCE",
    "rhs", "derivative", "cr3bp_rhs", "ephemeris_rhs", "battin_f", "earth_pole",
    "moon_pa_rotation", "event_value", "event_value_called", "sundman_rhs", "state_rhs", "rhs_called", "state_rhs_called", "cr3bp_accel_sundman", "ephemeris_accel_moon",
    "P_T_REF", "P_T_TARGET", "N_PARAMS_REGULARIZED", "EV_TIME", "moon_position", "pack_ephemeris", "table_position",
    "PACKED_MOON", "PACKED_SUN_EMB", "PACKED_MOON_PA",
    "ephemeris_bodies", "moon_pa_angles_packed",
    "jacobi_constant", "lagrange_points", "cr3bp_params", "ephemeris_params",
]

MODEL_CR3BP = 0
MODEL_EPHEMERIS = 1

P_MU = 0
P_GM_EARTH = 1
P_GM_MOON = 2
P_GM_SUN = 3
P_J2_EARTH = 4
P_R_EARTH_J2 = 5
P_POLE_MODEL = 6
P_J2_MOON = 7
P_C22_MOON = 8
P_R_MOON_J2 = 9
P_MOON_HARMONICS_RADIUS = 10
P_R_MOON_SURFACE = 11
P_R_EARTH_SURFACE = 12
P_R_ATMOSPHERE = 13
P_R_ESCAPE = 14
P_PERIGEE_MAX_RADIUS = 15
N_PARAMS = 16
# slots appended by the regularised integrator (kernels/integrators/sundman.py) to its private copy of params
P_T_REF = N_PARAMS              # physical time of s = 0: t = params[P_T_REF] + Y[6]
P_T_TARGET = N_PARAMS + 1       # EV_TIME fires where Y[6] = params[P_T_TARGET]
N_PARAMS_REGULARIZED = N_PARAMS + 2

EV_MOON_IMPACT = 0
EV_PERIGEE = 1
EV_ATMOSPHERE = 2
EV_EARTH_IMPACT = 3
EV_ESCAPE = 4
N_EVENTS = 5
#: pseudo-event of the regularised integrator: the elapsed time reaching a target
EV_TIME = -1
EVENT_NAMES = ("moon_impact", "perigee", "atmosphere", "earth_impact", "escape")
#: +1: fires when the event function goes from negative to positive, -1: the reverse.
EVENT_DIRECTIONS = (-1, 1, -1, -1, 1)

#: Weight of the Moon's term in the Sundman factor ``g`` (see "Regularised form"): measured,
#: see docs/performance.md ("Sundman-regularised time").
SUNDMAN_MOON_WEIGHT = 30.0

#: km, the Moon's sphere of influence wrt the Earth (Laplace radius a (m/M)^(2/5) = 66,100 km):
#: default reach of the lunar J2/C22 terms, where their acceleration has fallen below 3e-13 km/s^2.
MOON_SPHERE_OF_INFLUENCE = 66100.0

_ARCSEC = math.pi / (180.0 * 3600.0)
_SECONDS_PER_CENTURY = 36525.0 * 86400.0


# --- CR3BP -------------------------------------------------------------------------------------


@jit
def cr3bp_accel(mu, x, y, z, vx, vy):
    """Rotating-frame acceleration of the CR3BP (the arithmetic every CR3BP path shares).

    Parameters
    ----------
    mu : float
        Mass ratio.
    x, y, z : float
        Position (length units).
    vx, vy : float
        Velocity components in the orbital plane (velocity units).

    Returns
    -------
    tuple of float
        ``(ax, ay, az)``, acceleration units.
    """
    ax, ay, az, _ = cr3bp_accel_sundman(mu, x, y, z, vx, vy)
    return ax, ay, az


@jit(inline="always")
def cr3bp_accel_sundman(mu, x, y, z, vx, vy):
    """:func:`cr3bp_accel` (the same arithmetic) and the Sundman factor
    ``g = 1 / ((1 - mu) / r1 + SUNDMAN_MOON_WEIGHT mu / r2)``, written as
    ``r1 r2 / ((1 - mu) r2 + w mu r1)`` so that its one division runs beside the acceleration's
    (the stages of a Runge-Kutta step are a chain of dependent evaluations: latency, not
    operation count, sets their cost)."""
    yz2 = y * y + z * z
    dx1 = x + mu
    dx2 = x - 1.0 + mu
    r1sq = dx1 * dx1 + yz2
    r2sq = dx2 * dx2 + yz2
    r1 = math.sqrt(r1sq)
    r2 = math.sqrt(r2sq)
    k1 = (1.0 - mu) / (r1sq * r1)
    k2 = mu / (r2sq * r2)
    g = r1 * r2 / ((1.0 - mu) * r2 + SUNDMAN_MOON_WEIGHT * mu * r1)
    return (2.0 * vy + x - k1 * dx1 - k2 * dx2, -2.0 * vx + y - (k1 + k2) * y,
            -(k1 + k2) * z, g)


@jit
def cr3bp_rhs(t, y, params, tab, out, row):
    """Earth-Moon CR3BP in the rotating frame, non-dimensional (see the module docstring).

    Parameters
    ----------
    t : float
        Time (non-dimensional; unused, the system is autonomous).
    y : ndarray, shape (6,)
        State ``(x, y, z, vx, vy, vz)`` in length and velocity units.
    params : ndarray
        Model parameters; uses ``params[P_MU]``.
    tab : ndarray or None
        Ignored.
    out : ndarray, shape (m, 6)
        Output; ``out[row]`` receives ``dy/dt``.
    row : int
        Row of ``out`` written.
    """
    rhs(MODEL_CR3BP, t, y, params, None, out, row)


@jit
def jacobi_constant(y, mu):
    """Jacobi constant ``C = x^2 + y^2 + 2 (1 - mu) / r1 + 2 mu / r2 - v^2`` (JPL convention).

    With this convention ``C(L4) = C(L5) = 3 - mu (1 - mu)``.

    Parameters
    ----------
    y : ndarray, shape (6,)
        Rotating-frame state, non-dimensional.
    mu : float
        Mass ratio.

    Returns
    -------
    float
        Jacobi constant (non-dimensional).
    """
    x = y[0]
    yy = y[1]
    z = y[2]
    r1 = math.sqrt((x + mu) ** 2 + yy * yy + z * z)
    r2 = math.sqrt((x - 1.0 + mu) ** 2 + yy * yy + z * z)
    v2 = y[3] * y[3] + y[4] * y[4] + y[5] * y[5]
    return x * x + yy * yy + 2.0 * (1.0 - mu) / r1 + 2.0 * mu / r2 - v2


@jit
def _collinear_residual(x, mu):
    r1 = x + mu
    r2 = x - 1.0 + mu
    return x - (1.0 - mu) * r1 / abs(r1) ** 3 - mu * r2 / abs(r2) ** 3


@jit
def _bisect_collinear(a, b, mu):
    fa = _collinear_residual(a, mu)
    for _ in range(200):
        m = 0.5 * (a + b)
        if m == a or m == b:
            break
        fm = _collinear_residual(m, mu)
        if (fm < 0.0) == (fa < 0.0):
            a = m
            fa = fm
        else:
            b = m
    return 0.5 * (a + b)


@jit
def lagrange_points(mu):
    """Positions of the five Lagrange points of the CR3BP (rotating frame, non-dimensional).

    The collinear points are the roots of ``dOmega/dx = 0`` on the x axis, found by bisection to
    the last bit in the three intervals separated by the primaries; L4 and L5 are the equilateral
    points ``(1/2 - mu, +-sqrt(3)/2, 0)``.

    Parameters
    ----------
    mu : float
        Mass ratio (0 < mu <= 1/2).

    Returns
    -------
    ndarray, shape (5, 3)
        Rows L1 (between the primaries), L2 (beyond the Moon), L3 (beyond the Earth), L4, L5.
    """
    out = np.zeros((5, 3))
    tiny = 1e-12
    out[0, 0] = _bisect_collinear(-mu + tiny, 1.0 - mu - tiny, mu)
    out[1, 0] = _bisect_collinear(1.0 - mu + tiny, 2.0, mu)
    out[2, 0] = _bisect_collinear(-2.0, -mu - tiny, mu)
    half_sqrt3 = 0.5 * math.sqrt(3.0)
    out[3, 0] = 0.5 - mu
    out[3, 1] = half_sqrt3
    out[4, 0] = 0.5 - mu
    out[4, 1] = -half_sqrt3
    return out


# --- ephemeris model --------------------------------------------------------------------------


@jit
def battin_f(q):
    """Battin's ``f(q) = (1 + q)^(3/2) - 1``, evaluated without cancellation for small ``q``.

    Parameters
    ----------
    q : float
        ``r.(r - 2 s) / s.s`` (see the module docstring).

    Returns
    -------
    float
        ``q (3 + 3 q + q^2) / (1 + (1 + q)^(3/2))``.
    """
    return q * (3.0 + q * (3.0 + q)) / (1.0 + (1.0 + q) * math.sqrt(1.0 + q))


@jit
def earth_pole(t, pole_model):
    """Unit vector of the Earth's pole used by the J2 term, ICRF components.

    Parameters
    ----------
    t : float
        TDB seconds past J2000 (TDB is used for TT: they differ by < 2 ms).
    pole_model : int
        0: ICRF z axis; 1: mean CIP from the polynomial part of the IAU 2006/2000A X, Y series
        (IERS Conventions 2010, eq. 5.16; no nutation, so off by < 20 arcsec).

    Returns
    -------
    tuple of float
        ``(px, py, pz)``.
    """
    if pole_model == 0:
        return 0.0, 0.0, 1.0
    tc = t / _SECONDS_PER_CENTURY
    xa = (-0.016617 + tc * (2004.191898 + tc * (-0.4297829 + tc * -0.19861834))) * _ARCSEC
    ya = (-0.006951 + tc * (-0.025896 + tc * (-22.4072747 + tc * 0.00190059))) * _ARCSEC
    return xa, ya, math.sqrt(1.0 - xa * xa - ya * ya)


@jit
def moon_pa_rotation(phi, theta, psi):
    """Elements of the ICRF -> Moon principal-axes rotation ``R3(psi) R1(theta) R3(phi)``.

    :func:`massdriver.kernels.chebyshev.euler313_elements`: the matrix of
    :func:`massdriver.kernels.chebyshev.euler313_matrix` as scalars (row-major ``m00, m01, ...,
    m22``), so the force model allocates nothing.
    """
    return euler313_elements(phi, theta, psi)


# Packed ephemeris: the records an integration needs, concatenated into one float64 array, in
# three tables combined from the five of ``eph`` (record grids of DE421 shown):
#
#   PACKED_MOON    geocentric Moon  = Moon wrt EMB - Earth wrt EMB  (coefficient-wise; 4-day grid)
#   PACKED_SUN_EMB Sun wrt the EMB  = Sun wrt SSB - EMB wrt SSB     (coefficient-wise; 16-day grid)
#   PACKED_MOON_PA lunar principal-axis Euler angles
#
# Chebyshev series on one record grid add coefficient by coefficient, so the geocentric Moon and
# the Sun cost one evaluation each instead of four. The Earth's offset from the EMB, needed for
# the geocentric Sun, is the geocentric Moon times a constant: DE421 stores Earth wrt EMB as
# -1/EMRAT times Moon wrt EMB (to 1e-12 km; EMRAT = 81.3005690699153), so
# Earth wrt EMB = -Moon_geo / (1 + EMRAT); the loader reads EMRAT off the tables once (row 5 of
# ``spans``), so the factor does not depend on the packed span.
# A header of 7 values per table precedes the coefficients: (offset, n_packed, n_coef, init,
# intlen, first, n_records), where ``init`` and ``n_records`` describe the *whole* table and
# ``first`` is the global index of the first packed record; packed record ``r`` of table ``j``
# starts at ``offset_j + 3 r n_coef_j`` (x, y, z coefficient rows). After the three headers:
# the factor ``1 / (1 + EMRAT)``. Record indices are global, so the value at ``t`` is
# bit-identical whatever span was packed. One array argument instead of a tuple of six keeps the
# call into the force model cheap (numba reference-counts every array).
_PACK_HEADER = 7
PACKED_MOON = 0
PACKED_SUN_EMB = 1
PACKED_MOON_PA = 2
_N_PACKED = 3
_EARTH_OFFSET = _N_PACKED * _PACK_HEADER      # index of 1 / (1 + EMRAT)


def pack_ephemeris(eph, t_start, t_stop):
    """Pack the records of ``eph`` covering ``[t_start, t_stop]`` into one float64 array.

    Parameters
    ----------
    eph : tuple or None
        ``(moon_emb, earth_emb, emb_ssb, sun_ssb, moon_pa, spans)`` (see
        :mod:`massdriver.kernels.chebyshev`), or None for models without an ephemeris. The Moon
        and Earth tables must share one record grid, and so must the Sun and EMB tables (true
        of every JPL DE file).
    t_start, t_stop : float
        Span that will be evaluated, TDB s past J2000 (any order). One record of margin is
        kept on each side; outside the packed records the polynomials are extrapolated, exactly
        as :mod:`massdriver.kernels.chebyshev` does at the ends of its tables.

    Returns
    -------
    ndarray or None
        Packed tables (layout in the module source), or None when ``eph`` is None.

    Notes
    -----
    Compiled code sees this through :func:`_overload_pack_ephemeris`, which picks the branch
    from the type of ``eph`` at compile time: the result is then a plain array (or None), not
    an optional array, so every ``tab is None`` test downstream is resolved by the compiler
    and an ephemeris integrator holds no CR3BP code (and the reverse). One function returning
    either would type as ``Optional(array)`` and compile both force models into every stage
    of the integrator.
    """
    if eph is None:
        return None
    return _pack_records(eph, t_start, t_stop)


@overload(pack_ephemeris, jit_options={"fastmath": FASTMATH, "error_model": "numpy"})
def _overload_pack_ephemeris(eph, t_start, t_stop):
    """:func:`pack_ephemeris` in compiled code: None for a None ``eph``, else the packed array
    (selected by type, at compile time)."""
    if isinstance(eph, types.NoneType):
        return lambda eph, t_start, t_stop: None
    return lambda eph, t_start, t_stop: _pack_records(eph, t_start, t_stop)


@jit
def _pack_records(eph, t_start, t_stop):
    """:func:`pack_ephemeris` of a (non-None) ``eph`` tuple: the packed array."""
    lo = min(t_start, t_stop)
    hi = max(t_start, t_stop)
    spans = eph[5]
    moon, earth, emb, sun, pa = eph[0], eph[1], eph[2], eph[3], eph[4]
    if spans.shape[0] < 6:
        raise ValueError("pack_ephemeris: spans needs the 1 / (1 + EMRAT) row (row 5)")
    if (spans[0, 0] != spans[1, 0] or spans[0, 1] != spans[1, 1]
            or moon.shape[0] != earth.shape[0] or moon.shape[2] != earth.shape[2]
            or spans[2, 0] != spans[3, 0] or spans[2, 1] != spans[3, 1]
            or emb.shape[0] != sun.shape[0]):
        raise ValueError("pack_ephemeris: the Moon/Earth and Sun/EMB tables must share record "
                         "grids")
    f0, c0 = _record_range(moon.shape[0], spans[0, 0], spans[0, 1], lo, hi)
    f1, c1 = _record_range(sun.shape[0], spans[2, 0], spans[2, 1], lo, hi)
    f2, c2 = _record_range(pa.shape[0], spans[4, 0], spans[4, 1], lo, hi)
    n_moon = moon.shape[2]
    n_sun = max(sun.shape[2], emb.shape[2])
    n_pa = pa.shape[2]
    start = _EARTH_OFFSET + 1
    tab = np.zeros(start + 3 * (c0 * n_moon + c1 * n_sun + c2 * n_pa))
    tab[_EARTH_OFFSET] = spans[5, 0]       # 1 / (1 + EMRAT), read off the file by the loader
    # np.int64: the table ids as plain integers, not literals (a literal argument compiles
    # one specialisation of _pack_table per id)
    off = _pack_table(tab, np.int64(PACKED_MOON), start, moon, earth, f0, c0, n_moon, spans[0])
    off = _pack_table(tab, np.int64(PACKED_SUN_EMB), off, sun, emb, f1, c1, n_sun, spans[2])
    _pack_table(tab, np.int64(PACKED_MOON_PA), off, pa, None, f2, c2, n_pa, spans[4])
    return tab


@jit
def _pack_table(tab, j, offset, a, b, first, count, n_coef, span):
    """Write packed table ``j`` at ``offset``: records ``first .. first + count - 1`` of
    ``a - b`` (coefficient-wise, the shorter series zero-padded to ``n_coef``; ``b`` None: of
    ``a``), with its header. Returns the offset after it."""
    h = j * _PACK_HEADER
    tab[h] = offset
    tab[h + 1] = count
    tab[h + 2] = n_coef
    tab[h + 3] = span[0]
    tab[h + 4] = span[1]
    tab[h + 5] = first
    tab[h + 6] = a.shape[0]
    for r in range(count):
        for c in range(3):
            for k in range(n_coef):
                v = a[first + r, c, k] if k < a.shape[2] else 0.0
                if b is not None:
                    if k < b.shape[2]:
                        v -= b[first + r, c, k]
                tab[offset] = v
                offset += 1
    return offset


@jit
def _record_range(n_rec, init, intlen, lo, hi):
    """First record and record count covering ``[lo, hi]`` (+1 record of margin)."""
    i0 = int(math.floor((lo - init) / intlen)) - 1
    i1 = int(math.floor((hi - init) / intlen)) + 1
    i0 = min(max(i0, 0), n_rec - 1)
    i1 = min(max(i1, 0), n_rec - 1)
    return i0, i1 - i0 + 1


@jit(inline="always")
def table_position(tab, j, t):
    """Value of packed table ``j`` (``PACKED_MOON``, ``PACKED_SUN_EMB``, ``PACKED_MOON_PA``) at
    ``t``: (x, y, z).

    As :func:`massdriver.kernels.chebyshev.cheb_add_position` (record clamped to the whole
    table, forward Chebyshev recurrence), except that the normalised time is formed from the
    record's own start, which keeps the full precision of ``t`` (the values agree to 1e-6 km).
    """
    h = j * _PACK_HEADER
    offset = int(tab[h])
    n_packed = int(tab[h + 1])
    n_coef = int(tab[h + 2])
    init = tab[h + 3]
    intlen = tab[h + 4]
    first = int(tab[h + 5])
    n_rec = int(tab[h + 6])
    index = int(math.floor((t - init) / intlen))
    if index < 0:
        index = 0
    elif index > n_rec - 1:
        index = n_rec - 1
    # measure t from the start of its record: ``init + index intlen`` is exact (whole seconds),
    # so s carries the full precision of t (t - init for a table starting in 1899 is ~4e9 s,
    # rounded to 5e-7 s: 0.5 mm of lunar motion, which is visible as force-model noise at
    # rtol = 1e-12 near the Moon)
    s = 2.0 * (t - (init + index * intlen)) / intlen - 1.0
    local = index - first
    if local < 0:             # outside the packed span (not reached by an integration)
        local = 0
    elif local > n_packed - 1:
        local = n_packed - 1
    base = offset + local * 3 * n_coef
    bx = base
    by = base + n_coef
    bz = base + 2 * n_coef
    two_s = 2.0 * s
    t_prev = 1.0
    t_curr = s
    x = tab[bx]
    y = tab[by]
    z = tab[bz]
    if n_coef > 1:
        x += tab[bx + 1] * s
        y += tab[by + 1] * s
        z += tab[bz + 1] * s
    for k in range(2, n_coef):
        t_next = two_s * t_curr - t_prev
        t_prev = t_curr
        t_curr = t_next
        x += tab[bx + k] * t_curr
        y += tab[by + k] * t_curr
        z += tab[bz + k] * t_curr
    return x, y, z


@jit
def ephemeris_bodies(t, tab, with_moon, with_sun):
    """Geocentric Moon and Sun positions from the packed tables (km, ICRF).

    Two Chebyshev evaluations (see the packing notes): the geocentric Moon, and the Sun wrt the
    EMB, to which the Earth's offset from the EMB (a fixed multiple of the geocentric Moon) is
    added. One function, so the force model makes a single call per evaluation (numba
    reference-counts array arguments on every non-inlined call). Bodies not requested are
    returned as zeros.

    Returns
    -------
    tuple of float
        ``(mx, my, mz, sx, sy, sz)``.
    """
    mx, my, mz = table_position(tab, PACKED_MOON, t)
    sx = sy = sz = 0.0
    if with_sun:
        # Sun - Earth = (Sun - EMB) - (Earth - EMB) = (Sun - EMB) + Moon_geo / (1 + EMRAT)
        k = tab[_EARTH_OFFSET]
        sx, sy, sz = table_position(tab, PACKED_SUN_EMB, t)
        sx += k * mx
        sy += k * my
        sz += k * mz
    if not with_moon:
        mx = my = mz = 0.0
    return mx, my, mz, sx, sy, sz


@jit
def moon_pa_angles_packed(t, tab):
    """Euler angles (phi, theta, psi) of the lunar principal axes at ``t`` (rad)."""
    return table_position(tab, PACKED_MOON_PA, t)


@jit
def ephemeris_accel(t, x, yy, z, params, tab):
    """Geocentric ICRF acceleration of the high-fidelity model, ``(ax, ay, az)`` in km/s^2
    (the arithmetic every ephemeris path shares; see the module docstring). Arguments as
    :func:`ephemeris_accel_moon`."""
    ax, ay, az, _, _ = ephemeris_accel_moon(t, x, yy, z, params, tab)
    return ax, ay, az


@jit
def ephemeris_accel_moon(t, x, yy, z, params, tab):
    """:func:`ephemeris_accel` that also returns the distances to the Earth's and the Moon's
    centres (km; ``inf`` for the Moon when it is switched off), which the Sundman time
    transformation needs.

    Parameters
    ----------
    t : float
        TDB seconds past J2000.
    x, yy, z : float
        Geocentric position, km, ICRF axes.
    params : ndarray
        Model parameters (``P_*`` indices).
    tab : ndarray
        Packed ephemeris (:func:`pack_ephemeris`).

    Returns
    -------
    tuple of float
        ``(ax, ay, az, r, d)``: km/s^2 and km.
    """
    gm_moon = params[P_GM_MOON]
    gm_sun = params[P_GM_SUN]
    r2 = x * x + yy * yy + z * z
    r = math.sqrt(r2)

    # Earth point mass
    k = -params[P_GM_EARTH] / (r2 * r)
    ax = k * x
    ay = k * yy
    az = k * z

    # Earth J2 about the pole p
    j2 = params[P_J2_EARTH]
    if j2 != 0.0:
        px, py, pz = earth_pole(t, int(params[P_POLE_MODEL]))
        re = params[P_R_EARTH_J2]
        rp = x * px + yy * py + z * pz
        kj = -1.5 * j2 * params[P_GM_EARTH] * re * re / (r2 * r2 * r)
        c_r = kj * (1.0 - 5.0 * rp * rp / r2)
        c_p = kj * 2.0 * rp
        ax += c_r * x + c_p * px
        ay += c_r * yy + c_p * py
        az += c_r * z + c_p * pz

    d = math.inf
    if gm_moon != 0.0 or gm_sun != 0.0:
        mx, my, mz, sx, sy, sz = ephemeris_bodies(t, tab, gm_moon != 0.0, gm_sun != 0.0)

        # Sun point mass, direct - indirect in Battin's form
        if gm_sun != 0.0:
            q = (x * (x - 2.0 * sx) + yy * (yy - 2.0 * sy) + z * (z - 2.0 * sz)) / (
                sx * sx + sy * sy + sz * sz)
            fq = battin_f(q)
            wx = x - sx
            wy = yy - sy
            wz = z - sz
            w2 = wx * wx + wy * wy + wz * wz
            k = -gm_sun / (w2 * math.sqrt(w2))
            ax += k * (x + fq * sx)
            ay += k * (yy + fq * sy)
            az += k * (z + fq * sz)

        if gm_moon != 0.0:
            dx = x - mx
            dy = yy - my
            dz = z - mz
            d2 = dx * dx + dy * dy + dz * dz
            d = math.sqrt(d2)
            q = (x * (x - 2.0 * mx) + yy * (yy - 2.0 * my) + z * (z - 2.0 * mz)) / (
                mx * mx + my * my + mz * mz)
            fq = battin_f(q)
            k = -gm_moon / (d2 * d)
            ax += k * (x + fq * mx)
            ay += k * (yy + fq * my)
            az += k * (z + fq * mz)

            # lunar J2 and C22 in the principal-axis frame
            if d < params[P_MOON_HARMONICS_RADIUS]:
                phi, theta, psi = moon_pa_angles_packed(t, tab)
                m00, m01, m02, m10, m11, m12, m20, m21, m22 = moon_pa_rotation(phi, theta, psi)
                bx = m00 * dx + m01 * dy + m02 * dz
                by = m10 * dx + m11 * dy + m12 * dz
                bz = m20 * dx + m21 * dy + m22 * dz
                rm = params[P_R_MOON_J2]
                gr2 = gm_moon * rm * rm
                inv_d2 = 1.0 / d2
                inv_d5 = inv_d2 * inv_d2 / d
                zz5 = 5.0 * bz * bz * inv_d2
                # J2: -3/2 J2 GM R^2 / d^5 [x (1 - 5 z^2/d^2), y (1 - 5 z^2/d^2), z (3 - ...)]
                kj = -1.5 * params[P_J2_MOON] * gr2 * inv_d5
                gx = kj * bx * (1.0 - zz5)
                gy = kj * by * (1.0 - zz5)
                gz = kj * bz * (3.0 - zz5)
                # C22: gradient of 3 GM C22 R^2 (x^2 - y^2) / d^5
                kc = 3.0 * params[P_C22_MOON] * gr2 * inv_d5
                w = 5.0 * (bx * bx - by * by) * inv_d2
                gx += kc * (2.0 * bx - w * bx)
                gy += kc * (-2.0 * by - w * by)
                gz += kc * (-w * bz)
                # back to ICRF with the transpose
                ax += m00 * gx + m10 * gy + m20 * gz
                ay += m01 * gx + m11 * gy + m21 * gz
                az += m02 * gx + m12 * gy + m22 * gz

    return ax, ay, az, r, d


@jit
def ephemeris_rhs(t, y, params, tab, out, row):
    """High-fidelity Earth-centred ICRF acceleration (see the module docstring).

    Parameters
    ----------
    t : float
        TDB seconds past J2000.
    y : ndarray, shape (6,)
        Geocentric position (km) and velocity (km/s), ICRF axes.
    params : ndarray
        Model parameters (``P_*`` indices).
    tab : ndarray
        Packed ephemeris (:func:`pack_ephemeris`).
    out : ndarray, shape (m, 6)
        Output; ``out[row]`` receives ``dy/dt`` (km/s, km/s^2).
    row : int
        Row of ``out`` written.
    """
    rhs(MODEL_EPHEMERIS, t, y, params, tab, out, row)


# --- dispatch ----------------------------------------------------------------------------------


@jit(inline="always")
def rhs(model, t, y, params, tab, out, row):
    """Right-hand side of model ``model`` written into ``out[row]`` (see the module docstring).

    Inlined into the integrator's stages (a call per force evaluation costs reference
    counting of every array argument); its cold paths call :func:`rhs_called` instead, since
    each inlined copy costs compile time on the first run. The force models themselves
    (:func:`cr3bp_accel`, :func:`ephemeris_accel`) are shared with the batch kernel.

    Parameters
    ----------
    model : int
        ``MODEL_CR3BP`` or ``MODEL_EPHEMERIS``.
    t : float
        Time (non-dimensional for the CR3BP, TDB s past J2000 for the ephemeris model).
    y : ndarray, shape (6,)
        State.
    params : ndarray, shape (N_PARAMS,)
        Model parameters.
    tab : ndarray or None
        Packed ephemeris (:func:`pack_ephemeris`), or None for the CR3BP. With None the check
        below is resolved at compile time: the CR3BP specialisation has no ephemeris code.
    out : ndarray, shape (m, 6)
        Output array; row ``row`` is overwritten.
    row : int
        Row written.
    """
    if tab is None or model == MODEL_CR3BP:
        ax, ay, az = cr3bp_accel(params[P_MU], y[0], y[1], y[2], y[3], y[4])
    else:
        ax, ay, az = ephemeris_accel(t, y[0], y[1], y[2], params, tab)
    out[row, 0] = y[3]
    out[row, 1] = y[4]
    out[row, 2] = y[5]
    out[row, 3] = ax
    out[row, 4] = ay
    out[row, 5] = az


@jit
def sundman_rhs(model, y, params, tab, out, row):
    """Right-hand side ``dY/ds`` of the Sundman-transformed system (see "Regularised form" in
    the module docstring), written into ``out[row, 0:7]``.

    Parameters
    ----------
    model : int
        ``MODEL_CR3BP`` or ``MODEL_EPHEMERIS``.
    y : ndarray, shape (7,)
        Position, velocity (model units) and the time elapsed since ``params[P_T_REF]``.
    params : ndarray, shape (N_PARAMS_REGULARIZED,)
        Model parameters followed by ``P_T_REF`` and ``P_T_TARGET``.
    tab : ndarray or None
        Packed ephemeris, or None for the CR3BP.
    out : ndarray, shape (m, 7)
        Output array; row ``row`` is overwritten.
    row : int
        Row written.
    """
    if tab is None or model == MODEL_CR3BP:
        ax, ay, az, g = cr3bp_accel_sundman(params[P_MU], y[0], y[1], y[2], y[3], y[4])
    else:
        ax, ay, az, r, d = ephemeris_accel_moon(params[P_T_REF] + y[6], y[0], y[1], y[2],
                                                params, tab)
        g = 1.0 / (params[P_GM_EARTH] / r + SUNDMAN_MOON_WEIGHT * params[P_GM_MOON] / d)
    out[row, 0] = g * y[3]
    out[row, 1] = g * y[4]
    out[row, 2] = g * y[5]
    out[row, 3] = g * ax
    out[row, 4] = g * ay
    out[row, 5] = g * az
    out[row, 6] = g


@jit(inline="always")
def state_rhs(model, t, y, params, tab, out, row, n):
    """:func:`rhs` for ``n = 6`` (time is the independent variable ``t``) or
    :func:`sundman_rhs` for ``n = 7`` (``t`` is then the fictitious time and is not used). A
    constant ``n`` selects the branch at compile time."""
    # np.int64(row): the called function is compiled once for a plain integer row, not once
    # per literal row of the stages (a specialisation each, ~0.3 s of the first run each)
    if n == 7:
        sundman_rhs(model, y, params, tab, out, np.int64(row))
    else:
        rhs(model, t, y, params, tab, out, row)


@jit
def rhs_called(model, t, y, params, tab, out, row):
    """:func:`rhs` as a function call (not inlined), for the integrators' cold paths (the
    first evaluation, the initial step, the dense-output stages): each inlined copy of the
    force model costs compile time on the first run, and only the twelve stages of a step
    are hot."""
    rhs(model, t, y, params, tab, out, row)


@jit(inline="always")
def state_rhs_called(model, t, y, params, tab, out, row, n):
    """:func:`state_rhs` through function calls (:func:`rhs_called`, :func:`sundman_rhs`)."""
    if n == 7:
        sundman_rhs(model, y, params, tab, out, np.int64(row))
    else:
        rhs_called(model, t, y, params, tab, out, np.int64(row))


@jit
def derivative(model, t, y, params, tab):
    """Allocating convenience form of :func:`rhs`: returns ``dy/dt`` as a new (6,) array."""
    out = np.empty((1, 6))
    rhs(model, t, y, params, tab, out, 0)
    return out[0]


@jit(inline="always")
def moon_position(model, t, params, tab):
    """Position of the Moon's centre: ``(1 - mu, 0, 0)`` (CR3BP) or geocentric DE421 (km)."""
    if tab is None:
        return 1.0 - params[P_MU], 0.0, 0.0
    if model == MODEL_CR3BP:
        return 1.0 - params[P_MU], 0.0, 0.0
    return table_position(tab, PACKED_MOON, t)


@jit(inline="always")
def event_value(model, event, t, y, params, tab):
    """Value of event function ``event`` (``EV_*``) at ``(t, y)``; zero at the event.

    Parameters
    ----------
    model : int
        Model id (sets the frame: CR3BP rotating frame or Earth-centred ICRF).
    event : int
        Event index (see the module docstring for functions and directions).
    t : float
        Time.
    y : ndarray, shape (6,)
        State.
    params : ndarray
        Model parameters (the ``P_R_*`` radii).
    tab : ndarray or None
        Packed ephemeris, or None for the CR3BP.

    Returns
    -------
    float
        Event function value (length units of the model, or length^2/time for the perigee).
    """
    if event == EV_MOON_IMPACT:
        mx, my, mz = moon_position(model, t, params, tab)
        dx = y[0] - mx
        dy = y[1] - my
        dz = y[2] - mz
        return math.sqrt(dx * dx + dy * dy + dz * dz) - params[P_R_MOON_SURFACE]
    ex = y[0]
    if tab is None or model == MODEL_CR3BP:
        ex = y[0] + params[P_MU]
    if event == EV_PERIGEE:
        return ex * y[3] + y[1] * y[4] + y[2] * y[5]
    r = math.sqrt(ex * ex + y[1] * y[1] + y[2] * y[2])
    if event == EV_ATMOSPHERE:
        return r - params[P_R_ATMOSPHERE]
    if event == EV_EARTH_IMPACT:
        return r - params[P_R_EARTH_SURFACE]
    return r - params[P_R_ESCAPE]



@jit
def event_value_called(model, event, t, y, params, tab):
    """:func:`event_value` as a function call (not inlined), for the integrators' cold paths
    (the events at the start, the root search on the dense output): one compiled copy for
    them instead of one inlined copy each (compile time on the first run). The end-of-step
    test of every step keeps the inlined :func:`event_value`."""
    return event_value(model, event, t, y, params, tab)

# --- Python-side helpers (not compiled) ------------------------------------------------------


def cr3bp_params(mu: float = CR3BP_MU, length_unit: float = CR3BP_LENGTH_UNIT,
                 moon_radius: float = R_MOON, earth_radius: float = R_EARTH,
                 atmosphere_altitude: float = EARTH_ATMOSPHERE_ALTITUDE,
                 escape_radius: float = ESCAPE_RADIUS,
                 perigee_max_radius: float = math.inf) -> np.ndarray:
    """``params`` array of the CR3BP model; event radii given in km and scaled here.

    Parameters
    ----------
    mu : float
        Mass ratio (default ``CR3BP_MU``).
    length_unit : float
        km per length unit (default ``CR3BP_LENGTH_UNIT``).
    moon_radius, earth_radius : float
        Impact radii, km.
    atmosphere_altitude : float
        Atmosphere-interface altitude above ``earth_radius``, km.
    escape_radius : float
        Escape distance from the Earth, km.
    perigee_max_radius : float
        Perigee events farther than this from the Earth are ignored, km (``inf``: none).

    Returns
    -------
    ndarray, shape (N_PARAMS,)
        Parameters (GM and harmonics entries are zero: unused by the CR3BP).
    """
    p = np.zeros(N_PARAMS)
    p[P_MU] = mu
    p[P_R_MOON_SURFACE] = moon_radius / length_unit
    p[P_R_EARTH_SURFACE] = earth_radius / length_unit
    p[P_R_ATMOSPHERE] = (earth_radius + atmosphere_altitude) / length_unit
    p[P_R_ESCAPE] = escape_radius / length_unit
    p[P_PERIGEE_MAX_RADIUS] = perigee_max_radius / length_unit
    return p


def ephemeris_params(*, gm_earth: float = GM_EARTH, gm_moon: float = GM_MOON,
                     gm_sun: float = GM_SUN, j2_earth: float = J2_EARTH,
                     earth_j2_radius: float = R_EARTH, pole_model: int = 1,
                     j2_moon: float = J2_MOON, c22_moon: float = C22_MOON,
                     moon_j2_radius: float = R_MOON_GRAVITY,
                     moon_harmonics_radius: float = MOON_SPHERE_OF_INFLUENCE,
                     moon_radius: float = R_MOON, earth_radius: float = R_EARTH,
                     atmosphere_altitude: float = EARTH_ATMOSPHERE_ALTITUDE,
                     escape_radius: float = ESCAPE_RADIUS,
                     perigee_max_radius: float = math.inf) -> np.ndarray:
    """``params`` array of the high-fidelity model (km, s; defaults from :mod:`massdriver.bodies`).

    Set ``gm_sun``, ``j2_earth`` or ``moon_harmonics_radius`` to 0 to switch that term off.
    ``perigee_max_radius`` (km) hides the shallow geocentric-distance minima a shot can pass
    right after launch: perigee events farther from the Earth are not reported.

    Returns
    -------
    ndarray, shape (N_PARAMS,)
        Parameters (``P_MU`` is ``gm_moon / (gm_earth + gm_moon)``, informational).
    """
    p = np.zeros(N_PARAMS)
    total = gm_earth + gm_moon
    p[P_MU] = gm_moon / total if total > 0.0 else 0.0
    p[P_GM_EARTH] = gm_earth
    p[P_GM_MOON] = gm_moon
    p[P_GM_SUN] = gm_sun
    p[P_J2_EARTH] = j2_earth
    p[P_R_EARTH_J2] = earth_j2_radius
    p[P_POLE_MODEL] = float(pole_model)
    p[P_J2_MOON] = j2_moon
    p[P_C22_MOON] = c22_moon
    p[P_R_MOON_J2] = moon_j2_radius
    p[P_MOON_HARMONICS_RADIUS] = moon_harmonics_radius
    p[P_R_MOON_SURFACE] = moon_radius
    p[P_R_EARTH_SURFACE] = earth_radius
    p[P_R_ATMOSPHERE] = earth_radius + atmosphere_altitude
    p[P_R_ESCAPE] = escape_radius
    p[P_PERIGEE_MAX_RADIUS] = perigee_max_radius
    return p
