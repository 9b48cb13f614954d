"""Two-body kernels: classical elements and impulsive insertion budgets at Earth arrival (numba).

Units: km, s, km/s, rad; ``mu`` in km^3/s^2. Frame: whatever frame the caller uses consistently
(massdriver passes ICRF axes centred on the Earth). No astropy, no I/O.

Insertion budgets
-----------------
:func:`insertion_budgets` prices, for every arrival state ``(r, v)`` (the perigee of the coast arc),
two impulsive strategies into a target orbit of apsides ``(q_t, Q_t)`` in a target plane. The
target plane is either fixed (unit normal ``normal``, the angular-momentum direction of the target)
or *free in RAAN* (every plane whose normal ``n`` satisfies ``n . pole = cos(inc)``). Every
strategy is a complete, feasible sequence of impulses, so each cost is an upper bound of the true
impulsive optimum. The geometry is documented in ``docs/budget.md``; in short:

Strategy 0, ``perigee_burn``
    A rotation of the velocity about the radius vector (a burn at ``r``) can only reach planes that
    *contain* ``r``. Let ``P(psi)`` be the plane through ``r`` obtained by turning the arrival plane
    about ``r`` by ``psi`` and ``P'`` (``psi = psi'``) the plane through ``r`` closest to the target
    plane; their residual dihedral angle is ``delta = asin(|n_t . r_hat|)`` (zero when the arrival
    point lies in the target plane, i.e. on the line of nodes of the two planes). Sequence:
    burn 1 at ``r`` into an orbit of ``P(psi)`` (either the target shape through ``r``, or a
    transfer orbit with an apsis at ``r`` and the other apsis at ``q_t`` or ``Q_t``); burn 2 at the
    far apsis to finish the shape (two-burn case); then a trim that rotates the plane by the
    remaining dihedral ``d(psi)`` about the line of nodes of ``P(psi)`` and the target plane, at the
    node of larger radius: ``2 v_h sin(d/2)``. ``psi`` runs from 0 (no plane change at perigee) to
    ``psi'`` (the most at perigee) and is chosen by golden-section search.

Strategy 1, ``high_ellipse``
    Burn at ``r`` (coplanar, tangential) into a capture ellipse with its periapsis at ``r`` and
    apoapsis ``r_A``; at a point of that ellipse where a rotation about the radius vector reaches
    the target plane (a node with the target plane; for a free RAAN any point, searched on a grid
    plus the equator crossings) turn the plane and at the same time re-aim the periapsis to
    ``q_t`` (the post-burn orbit has apsides ``(min(q_t, r_node), r_A)``); if needed raise the
    periapsis to ``q_t`` at apoapsis; finally set the apoapsis to ``Q_t`` at periapsis ``q_t``.
    ``r_A`` is either fixed or optimised in ``[|r|, r_A_max]`` (log grid + golden section).
    A fixed target plane whose RAAN moves (``raan_rate``) is taken where it will be at the last
    burn, half a capture period plus half an intermediate period after the arrival.

Each strategy's cost is split into ``insertion`` (the first burn as if the arrival were coplanar),
``plane_change`` (the extra cost of the plane rotation: combined-burn excess plus trims) and
``circularization`` (the remaining in-plane burns). The three parts add up to the strategy total.
"""

from __future__ import annotations

import math

import numpy as np
from massdriver.kernels.jit import jit, jit_parallel
from numba import prange

__all__ = [
    "apsis_speed", "rv2coe", "coe2rv", "rv2coe_batch", "coe2rv_batch", "insertion_budgets",
    "perigee_strategy", "high_ellipse_strategy", "N_STRATEGIES", "N_FREE_GRID",
]

N_STRATEGIES = 2
#: number of evenly spaced true anomalies searched for a free-RAAN plane change (strategy 1)
N_FREE_GRID = 12
_GOLDEN = 0.6180339887498949
_EPS = 1e-12
_TWO_PI = 2.0 * math.pi


# --- small vector helpers on 3-tuples ------------------------------------------------------------
# The one-line helpers are calls, not numba-inlined (inline="always"): each inlined copy (about
# a hundred here) cost compile time on the first run, while LLVM inlines the calls itself.
@jit
def _dot(a, b):
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


@jit
def _cross(a, b):
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


@jit
def _norm(a):
    return math.sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2])


@jit
def _scale(a, s):
    return (a[0] * s, a[1] * s, a[2] * s)


@jit
def _lin(a, s, b, t):
    return (a[0] * s + b[0] * t, a[1] * s + b[1] * t, a[2] * s + b[2] * t)


@jit
def _angle(a, b):
    """Angle between two vectors, accurate near 0 and pi (atan2 of |a x b| and a . b)."""
    return math.atan2(_norm(_cross(a, b)), _dot(a, b))


@jit
def _clip1(x):
    return -1.0 if x < -1.0 else (1.0 if x > 1.0 else x)


@jit
def _wrap(x):
    """Wrap an angle to [-pi, pi)."""
    return (x + math.pi) % _TWO_PI - math.pi


# --- closed forms --------------------------------------------------------------------------------
@jit
def apsis_speed(mu, r, r_other):
    """Speed (km/s) at the apsis of radius ``r`` of the orbit whose other apsis is ``r_other``.

    Vis-viva with ``a = (r + r_other) / 2``: ``v = sqrt(2 mu r_other / (r (r + r_other)))``.
    """
    return math.sqrt(2.0 * mu * r_other / (r * (r + r_other)))


@jit(inline="always")
def _radial_speed(mu, q, Q, r):
    """|radial velocity| (km/s) at radius ``r`` on the orbit of apsides ``q <= Q``.

    ``v_r^2 = v^2 - (h/r)^2 = 2 mu (r - q)(Q - r) / ((q + Q) r^2)``: the factored form has no
    cancellation at the apsides (radii within 1e-12 relative of an apsis count as the apsis).
    """
    a = r - q
    b = Q - r
    if a <= 1e-12 * q or b <= 1e-12 * Q:
        return 0.0
    return math.sqrt(2.0 * mu * a * b / ((q + Q) * r * r))


@jit
def _rotated_burn(vr0, vh0, vr1, vh1, sin_half):
    """|v1 - v0| for velocities at the same point given by radial / horizontal components, the
    horizontal directions being ``angle`` apart (a rotation about the radius vector);
    ``sin_half = sin(angle / 2)``. Law of cosines in the cancellation-free form
    ``(vr1 - vr0)^2 + (vh1 - vh0)^2 + 4 vh0 vh1 sin^2(angle / 2)``."""
    d2 = (vr1 - vr0) ** 2 + (vh1 - vh0) ** 2 + 4.0 * vh0 * vh1 * sin_half * sin_half
    return math.sqrt(d2)


# --- classical elements --------------------------------------------------------------------------
@jit
def rv2coe(mu, r, v):
    """Classical elements from a state (Vallado 2013, algorithm 9 RV2COE; Curtis 2013 alg. 4.2).

    Parameters
    ----------
    mu : float
        Gravitational parameter, km^3/s^2.
    r, v : ndarray (3,)
        Position (km) and velocity (km/s).

    Returns
    -------
    tuple of float
        ``(p, ecc, inc, raan, argp, nu)``: semi-latus rectum (km), eccentricity, inclination,
        RAAN, argument of periapsis and true anomaly (rad; angles in [0, 2 pi), inc in [0, pi]).
        Singular cases: equatorial orbits get ``raan = 0`` (argp measured from the x axis);
        circular orbits get ``argp = 0`` (nu measured from the node, or from x if also equatorial).
    """
    rr = (r[0], r[1], r[2])
    vv = (v[0], v[1], v[2])
    rn = _norm(rr)
    v2 = _dot(vv, vv)
    rv = _dot(rr, vv)
    h = _cross(rr, vv)
    hn = _norm(h)
    p = hn * hn / mu
    ev = _lin(rr, (v2 - mu / rn) / mu, vv, -rv / mu)
    ecc = _norm(ev)
    inc = math.acos(_clip1(h[2] / hn))
    nvec = (-h[1], h[0], 0.0)  # k x h
    nn = _norm(nvec)
    hh = _scale(h, 1.0 / hn)
    tol = 1e-11
    equatorial = nn < tol * hn
    circular = ecc < tol
    if not equatorial:
        raan = math.atan2(nvec[1], nvec[0]) % _TWO_PI
        nodal = _scale(nvec, 1.0 / nn)
    else:
        raan = 0.0
        nodal = (1.0, 0.0, 0.0)
    if not circular:
        argp = math.atan2(_dot(_cross(nodal, ev), hh), _dot(nodal, ev)) % _TWO_PI
        nu = math.atan2(_dot(_cross(ev, rr), hh), _dot(ev, rr)) % _TWO_PI
    else:
        argp = 0.0
        nu = math.atan2(_dot(_cross(nodal, rr), hh), _dot(nodal, rr)) % _TWO_PI
    return p, ecc, inc, raan, argp, nu


@jit
def coe2rv(mu, p, ecc, inc, raan, argp, nu):
    """State from classical elements (perifocal frame rotated by R3(-raan) R1(-inc) R3(-argp)).

    Returns
    -------
    tuple
        ``(r, v)`` as 3-tuples (km, km/s).
    """
    cn, sn = math.cos(nu), math.sin(nu)
    rad = p / (1.0 + ecc * cn)
    sq = math.sqrt(mu / p)
    xp, yp = rad * cn, rad * sn
    vxp, vyp = -sq * sn, sq * (ecc + cn)
    co, so = math.cos(raan), math.sin(raan)
    cw, sw = math.cos(argp), math.sin(argp)
    ci, si = math.cos(inc), math.sin(inc)
    # columns of the rotation: P and Q unit vectors
    px = co * cw - so * sw * ci
    py = so * cw + co * sw * ci
    pz = sw * si
    qx = -co * sw - so * cw * ci
    qy = -so * sw + co * cw * ci
    qz = cw * si
    r = (px * xp + qx * yp, py * xp + qy * yp, pz * xp + qz * yp)
    v = (px * vxp + qx * vyp, py * vxp + qy * vyp, pz * vxp + qz * vyp)
    return r, v


@jit
def rv2coe_batch(mu, r, v, out):
    """:func:`rv2coe` over rows: ``r, v`` (N, 3) -> ``out`` (N, 6) = p, ecc, inc, raan, argp, nu."""
    for i in range(r.shape[0]):
        p, e, inc, raan, argp, nu = rv2coe(mu, r[i], v[i])
        out[i, 0] = p
        out[i, 1] = e
        out[i, 2] = inc
        out[i, 3] = raan
        out[i, 4] = argp
        out[i, 5] = nu


@jit
def coe2rv_batch(mu, coe, r, v):
    """:func:`coe2rv` over rows of ``coe`` (N, 6) -> ``r, v`` (N, 3)."""
    for i in range(coe.shape[0]):
        rr, vv = coe2rv(mu, coe[i, 0], coe[i, 1], coe[i, 2], coe[i, 3], coe[i, 4], coe[i, 5])
        for k in range(3):
            r[i, k] = rr[k]
            v[i, k] = vv[k]


# --- target-plane geometry -----------------------------------------------------------------------
@jit(inline="always")
def _free_plane_through(ph, ha, pole, cos_inc):
    """Planes through the direction ``ph`` with ``n . pole = cos_inc``: the one nearest to the
    plane of normal ``ha`` (which must contain ``ph``).

    Returns ``(n, rotation, residual)``: the chosen unit normal, the rotation angle about ``ph``
    from ``ha`` to it (signed, rad) and the inclination residual (0 when such a plane exists; else
    the plane of least |inclination - inc| is returned and its excess is the residual).
    """
    sd = _dot(pole, ph)
    cd2 = 1.0 - sd * sd
    if cd2 < _EPS * _EPS:
        # ph along the pole: every plane through it is polar (n . pole = 0)
        return ha, 0.0, abs(math.acos(0.0) - math.acos(_clip1(cos_inc)))
    cd = math.sqrt(cd2)
    e2 = _scale(_lin(pole, 1.0, ph, -sd), 1.0 / cd)   # northward unit vector at ph
    e3 = _cross(ph, e2)
    phi_a = math.atan2(_dot(ha, e3), _dot(ha, e2))
    c = cos_inc / cd
    if c > 1.0 or c < -1.0:
        phi = 0.0 if c > 0.0 else math.pi
        residual = abs(math.acos(cd if c > 0.0 else -cd) - math.acos(_clip1(cos_inc)))
    else:
        phi_s = math.acos(c)
        d1 = abs(_wrap(phi_s - phi_a))
        d2 = abs(_wrap(-phi_s - phi_a))
        phi = phi_s if d1 <= d2 else -phi_s
        residual = 0.0
    n = _lin(e2, math.cos(phi), e3, math.sin(phi))
    # rotation angle about ph from ha to n
    rot = _wrap(phi - phi_a)
    return n, rot, residual


@jit
def _perigee_cost(vr0, vh0, vr1, vh1, dv2, sh, ch, ha, ta, rh, normal, pole, inc, free_raan,
                  sq_p, e_t, cnr, snr):
    """Strategy-0 cost for one burn-1 shape and a rotation ``psi`` about ``rh`` at perigee.

    ``sh, ch = sin(psi/2), cos(psi/2)``; ``sq_p = sqrt(mu/p_t)``, ``e_t`` the target shape;
    ``cnr, snr`` = cos, sin of the true anomaly (on the final orbit) of the arrival direction.
    Cost = rotated burn 1 + in-plane burn 2 + trim ``2 v_h sin(d/2)`` of the remaining dihedral
    ``d`` about the node line of ``P(psi)`` and the target plane, at the node where the final
    orbit's horizontal speed ``sqrt(mu/p) (1 + e cos nu)`` is smaller.
    """
    burn = _rotated_burn(vr0, vh0, vr1, vh1, sh)
    cp = 1.0 - 2.0 * sh * sh
    sp = 2.0 * sh * ch
    n = _lin(ha, cp, ta, -sp)
    if free_raan:
        line = _cross(pole, n)
        ln = _norm(line)
        s_half = math.sin(0.5 * abs(math.atan2(ln, _dot(n, pole)) - inc))
    else:
        line = _cross(n, normal)
        ln = _norm(line)
        c = _dot(n, normal)
        # half-angle sine without cancellation near 0 (ln) or near pi (1 - c)
        s_half = ln / math.sqrt(2.0 * (1.0 + c)) if c >= 0.0 else math.sqrt(0.5 * (1.0 - c))
    if s_half <= 0.0:
        return burn + dv2
    if ln < _EPS:
        vfac = 1.0 - e_t
    else:
        # node direction at angle lam from rh in P(psi): cos(lam) = x/ln, sin(lam) = y/ln
        x = _dot(rh, line)
        y = _dot(_cross(rh, line), n)
        vfac = 1.0 - e_t * abs(cnr * x - snr * y) / ln
    return burn + dv2 + 2.0 * sq_p * vfac * s_half


@jit(inline="always")
def _shape(k, R, q_t, Q_t, mu):
    """Burn-1 end state for shape option ``k`` at radius ``R``.

    k = 0, 1: the target shape through ``R`` with outward / inward radial velocity (only when
    ``q_t <= R <= Q_t``; k = 1 only if that radial velocity is not zero); k = 2, 3: a transfer
    orbit with apsides ``R`` and ``X = q_t`` / ``Q_t``, burn 2 at ``X`` sets the other apsis to
    the remaining target apsis (k = 3 only for an elliptic target).

    Returns ``(valid, vr1, vh1, dv2, cos_nu, sin_nu)`` where ``nu`` is the true anomaly, on the
    final (target-shape) orbit, of the direction of the arrival point.
    """
    if k <= 1:
        if R < q_t * (1.0 - 1e-12) or R > Q_t * (1.0 + 1e-12):
            return False, 0.0, 0.0, 0.0, 1.0, 0.0
        s = q_t + Q_t
        vh1 = math.sqrt(2.0 * mu * q_t * Q_t / s) / R
        vr = _radial_speed(mu, q_t, Q_t, R)
        if k == 1:
            if vr == 0.0:
                return False, 0.0, 0.0, 0.0, 1.0, 0.0
            vr = -vr
        p_t = 2.0 * q_t * Q_t / s
        # e cos(nu) = p/R - 1, e sin(nu) = vr sqrt(p/mu) (accurate at the apsides, unlike acos)
        ec = p_t / R - 1.0
        es = vr * math.sqrt(p_t / mu)
        e = math.sqrt(ec * ec + es * es)
        if e < 1e-300:
            return True, vr, vh1, 0.0, 1.0, 0.0
        return True, vr, vh1, 0.0, ec / e, es / e
    if k == 3 and Q_t == q_t:
        return False, 0.0, 0.0, 0.0, 1.0, 0.0
    x = q_t if k == 2 else Q_t
    y = Q_t if k == 2 else q_t
    vh1 = apsis_speed(mu, R, x)
    dv2 = abs(apsis_speed(mu, x, y) - apsis_speed(mu, x, R))
    return True, 0.0, vh1, dv2, (1.0 if y <= x else -1.0), 0.0


@jit
def perigee_strategy(rh, R, vr0, vh0, ha, ta, normal, pole, cos_inc, free_raan, q_t, Q_t, mu):
    """Strategy 0 (combined burn at the arrival point, see module doc) for one arrival.

    Parameters
    ----------
    rh : 3-tuple
        Unit vector of the arrival position.
    R : float
        Arrival radius, km.
    vr0, vh0 : float
        Radial and horizontal arrival speed, km/s (``vh0 >= 0``).
    ha, ta : 3-tuple
        Unit arrival angular momentum and prograde horizontal direction ``ha x rh``.
    normal : 3-tuple
        Target-plane unit normal (ignored when ``free_raan``).
    pole : 3-tuple
        Unit vector of the Earth's pole (used when ``free_raan``).
    cos_inc : float
        Cosine of the target inclination.
    free_raan : bool
        Any plane of the target inclination is acceptable.
    q_t, Q_t : float
        Target periapsis / apoapsis radii, km (``q_t <= Q_t``).
    mu : float
        km^3/s^2.

    Returns
    -------
    tuple of float
        ``(insertion, plane_change, circularization, out_of_plane, fraction)``: km/s for the
        first three; ``out_of_plane`` (rad) is the dihedral angle between the target plane and the
        nearest plane through the arrival point; ``fraction`` in [0, 1] is the share of the
        rotation ``psi'`` done by the perigee burn (the rest is the trim).
    """
    inc = math.acos(_clip1(cos_inc))
    if free_raan:
        nprime, psi_p, delta = _free_plane_through(rh, ha, pole, cos_inc)
    else:
        s = _dot(normal, rh)
        proj = _lin(normal, 1.0, rh, -s)
        m = _norm(proj)
        if m < _EPS:
            nprime = ha
        else:
            nprime = _scale(proj, 1.0 / m)
        delta = math.asin(min(abs(s), 1.0))
        psi_p = math.atan2(-_dot(nprime, ta), _dot(nprime, ha))
    s_t = q_t + Q_t
    p_t = 2.0 * q_t * Q_t / s_t
    e_t = (Q_t - q_t) / s_t
    sq_p = math.sqrt(mu / p_t)
    half = 0.5 * psi_p
    sh1, ch1 = math.sin(half), math.cos(half)
    shm, chm = math.sin(0.5 * half), math.cos(0.5 * half)

    # pick the shape on a 3-point look (s = 0, 1/2, 1), then golden-search s for that shape
    best_k = -1
    best_f = np.inf
    for k in range(4):
        ok, vr1, vh1, dv2, cnr, snr = _shape(k, R, q_t, Q_t, mu)
        if not ok:
            continue
        f = min(
            _perigee_cost(vr0, vh0, vr1, vh1, dv2, 0.0, 1.0, ha, ta, rh, normal, pole, inc,
                          free_raan, sq_p, e_t, cnr, snr),
            _perigee_cost(vr0, vh0, vr1, vh1, dv2, shm, chm, ha, ta, rh, normal, pole, inc,
                          free_raan, sq_p, e_t, cnr, snr),
            _perigee_cost(vr0, vh0, vr1, vh1, dv2, sh1, ch1, ha, ta, rh, normal, pole, inc,
                          free_raan, sq_p, e_t, cnr, snr))
        if f < best_f:
            best_f = f
            best_k = k
    ok, vr1, vh1, dv2, cnr, snr = _shape(best_k, R, q_t, Q_t, mu)
    f0 = _perigee_cost(vr0, vh0, vr1, vh1, dv2, 0.0, 1.0, ha, ta, rh, normal, pole, inc,
                       free_raan, sq_p, e_t, cnr, snr)
    f1 = _perigee_cost(vr0, vh0, vr1, vh1, dv2, sh1, ch1, ha, ta, rh, normal, pole, inc,
                       free_raan, sq_p, e_t, cnr, snr)
    best_s, best_f = (0.0, f0) if f0 <= f1 else (1.0, f1)
    if abs(psi_p) > 1e-12:
        a, b = 0.0, 1.0
        c = b - _GOLDEN * (b - a)
        d = a + _GOLDEN * (b - a)
        fc = _perigee_cost(vr0, vh0, vr1, vh1, dv2, math.sin(c * half), math.cos(c * half), ha,
                           ta, rh, normal, pole, inc, free_raan, sq_p, e_t, cnr, snr)
        fd = _perigee_cost(vr0, vh0, vr1, vh1, dv2, math.sin(d * half), math.cos(d * half), ha,
                           ta, rh, normal, pole, inc, free_raan, sq_p, e_t, cnr, snr)
        for _ in range(24):
            if fc < fd:
                b, d, fd = d, c, fc
                c = b - _GOLDEN * (b - a)
                fc = _perigee_cost(vr0, vh0, vr1, vh1, dv2, math.sin(c * half),
                                   math.cos(c * half), ha, ta, rh, normal, pole, inc, free_raan,
                                   sq_p, e_t, cnr, snr)
            else:
                a, c, fc = c, d, fd
                d = a + _GOLDEN * (b - a)
                fd = _perigee_cost(vr0, vh0, vr1, vh1, dv2, math.sin(d * half),
                                   math.cos(d * half), ha, ta, rh, normal, pole, inc, free_raan,
                                   sq_p, e_t, cnr, snr)
        if fc < best_f:
            best_s, best_f = c, fc
        if fd < best_f:
            best_s, best_f = d, fd
    insertion = _rotated_burn(vr0, vh0, vr1, vh1, 0.0)
    plane = best_f - dv2 - insertion
    if plane < 0.0:  # rounding only (the rotated burn is never cheaper than the coplanar one)
        plane = 0.0
    return insertion, plane, dv2, delta, best_s


@jit(inline="always")
def _high_ellipse_cost(R, vr0, vh0, rA, q_t, Q_t, mu, cos_nu, sin_nu, sin_half, n_cand):
    """Strategy-1 cost for capture apoapsis ``rA`` over the candidate plane-change points.

    Returns ``(total, insertion, plane_change, circularization, best_index)``.
    """
    vp = apsis_speed(mu, R, rA)
    dcap = math.sqrt(vr0 * vr0 + (vh0 - vp) ** 2)
    e_c = (rA - R) / (rA + R)
    p_c = 2.0 * R * rA / (rA + R)
    sq = math.sqrt(mu / p_c)
    d4 = abs(apsis_speed(mu, q_t, Q_t) - apsis_speed(mu, q_t, rA))
    best = np.inf
    best_j = -1
    best_plane = 0.0
    best_circ = 0.0
    for j in range(n_cand):
        if sin_half[j] < 0.0:  # infeasible candidate
            continue
        den = 1.0 + e_c * cos_nu[j]
        rn = p_c / den
        vr = sq * e_c * sin_nu[j]
        vh = sq * den
        qn = q_t if q_t < rn else rn
        sn = qn + rA
        vhn = math.sqrt(2.0 * mu * qn * rA / sn) / rn
        vrn = _radial_speed(mu, qn, rA, rn)
        if vr < 0.0:
            vrn = -vrn
        dn = _rotated_burn(vr, vh, vrn, vhn, sin_half[j])
        d3 = abs(apsis_speed(mu, rA, q_t) - apsis_speed(mu, rA, qn)) if qn < q_t else 0.0
        tot = dn + d3
        if tot < best:
            dn0 = _rotated_burn(vr, vh, vrn, vhn, 0.0)
            best = tot
            best_j = j
            best_plane = dn - dn0
            best_circ = dn0 + d3
    if best_plane < 0.0:
        best_plane = 0.0
    return dcap + best + d4, dcap, best_plane, best_circ + d4, best_j


@jit(inline="always")
def _fixed_nodes(rh, ha, normal, cos_nu, sin_nu, sin_half):
    """Plane-change candidates for a fixed target plane: the two nodes of the arrival plane with
    it (true anomalies from the arrival perigee ``rh``). Returns the number of candidates."""
    sh = math.sin(0.5 * _angle(ha, normal))
    line = _cross(ha, normal)
    if _norm(line) < _EPS:
        cos_nu[0] = -1.0
        sin_nu[0] = 0.0
        sin_half[0] = sh
        return 1
    x = _dot(rh, line)
    y = _dot(_cross(rh, line), ha)
    ln = math.sqrt(x * x + y * y)
    cos_nu[0], sin_nu[0], sin_half[0] = x / ln, y / ln, sh
    cos_nu[1], sin_nu[1], sin_half[1] = -x / ln, -y / ln, sh
    return 2


@jit(inline="always")
def _free_points(rh, ha, ta, pole, cos_inc, cos_nu, sin_nu, sin_half):
    """Plane-change candidates for a free RAAN: ``N_FREE_GRID`` evenly spaced true anomalies
    of the capture ellipse plus the two equator crossings of the arrival plane. ``sin_half`` is
    the sine of half the least rotation about the radius there reaching the target inclination
    (-1 where none does). Returns the number of candidates."""
    n_cand = 0
    for j in range(N_FREE_GRID + 2):
        if j < N_FREE_GRID:
            nu = _TWO_PI * j / N_FREE_GRID
        else:
            line = _cross(pole, ha)   # ascending node of the arrival plane on the equator
            if _norm(line) < _EPS:
                break
            nu = math.atan2(_dot(_cross(rh, line), ha), _dot(rh, line))
            if j == N_FREE_GRID + 1:
                nu += math.pi
        cn, sn = math.cos(nu), math.sin(nu)
        ph = _lin(rh, cn, ta, sn)
        _n, rot, residual = _free_plane_through(ph, ha, pole, cos_inc)
        cos_nu[n_cand] = cn
        sin_nu[n_cand] = sn
        sin_half[n_cand] = abs(math.sin(0.5 * rot)) if residual == 0.0 else -1.0
        n_cand += 1
    return n_cand


@jit
def _candidates(free_raan, rh, ha, ta, normal, pole, cos_inc, cos_nu, sin_nu, sin_half):
    """:func:`_free_points` (``free_raan``) or :func:`_fixed_nodes`. A call, not inlined:
    :func:`high_ellipse_strategy` fills the candidates twice, and each inlined copy of both
    branches cost compile time on the first run."""
    if free_raan:
        return _free_points(rh, ha, ta, pole, cos_inc, cos_nu, sin_nu, sin_half)
    return _fixed_nodes(rh, ha, normal, cos_nu, sin_nu, sin_half)


@jit(inline="always")
def _sequence_time(R, rA, q_t, mu):
    """Time from the arrival perigee to the last burn of strategy 1, s: half a period of the
    capture ellipse ``(R, rA)`` plus half a period of the intermediate ellipse ``(q_t, rA)``
    (exact when the plane changes at the apoapsis)."""
    a1 = 0.5 * (R + rA)
    a2 = 0.5 * (q_t + rA)
    return math.pi * (math.sqrt(a1 * a1 * a1 / mu) + math.sqrt(a2 * a2 * a2 / mu))


@jit(inline="always")
def _rotate_about(v, k, angle):
    """Rodrigues rotation of ``v`` about the unit axis ``k`` by ``angle`` (rad)."""
    c, s = math.cos(angle), math.sin(angle)
    kv = _cross(k, v)
    kd = _dot(k, v) * (1.0 - c)
    return (v[0] * c + kv[0] * s + k[0] * kd, v[1] * c + kv[1] * s + k[1] * kd,
            v[2] * c + kv[2] * s + k[2] * kd)


@jit
def _high_ellipse_total(R, vr0, vh0, rA, q_t, Q_t, mu, rh, ha, normal, pole, raan_rate,
                        moving, cos_nu, sin_nu, sin_half, n_cand):
    """:func:`_high_ellipse_cost`, first re-aiming a fixed target plane that moves (``moving``)
    at the plane it will have at the last burn (RAAN advanced by ``raan_rate`` times
    :func:`_sequence_time`). Not inlined: :func:`high_ellipse_strategy` calls it six times,
    and six inlined copies took ~15 s to compile."""
    if moving:
        dt = _sequence_time(R, rA, q_t, mu)
        n_cand = _fixed_nodes(rh, ha, _rotate_about(normal, pole, raan_rate * dt), cos_nu,
                              sin_nu, sin_half)
    return _high_ellipse_cost(R, vr0, vh0, rA, q_t, Q_t, mu, cos_nu, sin_nu, sin_half, n_cand)


@jit
def high_ellipse_strategy(rh, R, vr0, vh0, ha, ta, normal, pole, cos_inc, free_raan, q_t, Q_t,
                          mu, ra_max, optimize, raan_rate):
    """Strategy 1 (capture into a high ellipse, plane change there, then lower) for one arrival.

    Parameters are those of :func:`perigee_strategy` plus ``ra_max`` (km; the fixed capture
    apoapsis when ``optimize`` is false, else the upper bound of the search over ``[R, ra_max]``)
    and ``raan_rate`` (rad/s): the secular rate of the target's RAAN about ``pole``; the plane
    change aims at the target plane as it will be at the last burn, about a day later.

    Returns
    -------
    tuple of float
        ``(insertion, plane_change, circularization, capture_apoapsis_radius)`` (km/s, km).
    """
    n_max = N_FREE_GRID + 2
    cos_nu = np.empty(n_max)
    sin_nu = np.empty(n_max)
    sin_half = np.empty(n_max)
    moving = (not free_raan) and raan_rate != 0.0
    n_cand = _candidates(free_raan, rh, ha, ta, normal, pole, cos_inc, cos_nu, sin_nu,
                         sin_half)
    hi = ra_max if ra_max > R else R
    if not optimize or hi <= R * (1.0 + 1e-9):
        tot, ins, pl, ci, j = _high_ellipse_total(R, vr0, vh0, hi, q_t, Q_t, mu, rh, ha, normal,
                                                  pole, raan_rate, moving, cos_nu, sin_nu,
                                                  sin_half, n_cand)
        return ins, pl, ci, hi
    # coarse log grid over [R, hi], then golden section around the best grid point
    n_grid = 9
    lo_l = math.log(R)
    hi_l = math.log(hi)
    step = (hi_l - lo_l) / (n_grid - 1)
    best_t = np.inf
    best_i = 0
    best_j = 0
    for i in range(n_grid):
        tot, ins, pl, ci, j = _high_ellipse_total(R, vr0, vh0, math.exp(lo_l + i * step), q_t,
                                                  Q_t, mu, rh, ha, normal, pole, raan_rate,
                                                  moving, cos_nu, sin_nu, sin_half, n_cand)
        if tot < best_t:
            best_t = tot
            best_i = i
            best_j = j
    if not moving:
        # the golden section follows the plane-change point that won on the grid (a free RAAN
        # has up to N_FREE_GRID + 2 of them); the final cost below uses all points again
        cos_nu[0], sin_nu[0], sin_half[0] = cos_nu[best_j], sin_nu[best_j], sin_half[best_j]
        n_g = 1
    else:
        n_g = n_cand
    a = lo_l + max(best_i - 1, 0) * step
    b = lo_l + min(best_i + 1, n_grid - 1) * step
    best_x = lo_l + best_i * step
    if best_i == n_grid - 1:
        # usual case: the cost still falls at the upper bound -> the optimum is the bound
        f_in = _high_ellipse_total(R, vr0, vh0, math.exp(hi_l - 1e-4 * step), q_t, Q_t, mu, rh,
                                   ha, normal, pole, raan_rate, moving, cos_nu, sin_nu,
                                   sin_half, n_g)[0]
        if f_in >= best_t:
            a = b = hi_l
    c = b - _GOLDEN * (b - a)
    d = a + _GOLDEN * (b - a)
    fc = _high_ellipse_total(R, vr0, vh0, math.exp(c), q_t, Q_t, mu, rh, ha, normal, pole,
                             raan_rate, moving, cos_nu, sin_nu, sin_half, n_g)[0]
    fd = _high_ellipse_total(R, vr0, vh0, math.exp(d), q_t, Q_t, mu, rh, ha, normal, pole,
                             raan_rate, moving, cos_nu, sin_nu, sin_half, n_g)[0]
    for _ in range(20 if b > a else 0):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - _GOLDEN * (b - a)
            fc = _high_ellipse_total(R, vr0, vh0, math.exp(c), q_t, Q_t, mu, rh, ha, normal,
                                     pole, raan_rate, moving, cos_nu, sin_nu, sin_half, n_g)[0]
        else:
            a, c, fc = c, d, fd
            d = a + _GOLDEN * (b - a)
            fd = _high_ellipse_total(R, vr0, vh0, math.exp(d), q_t, Q_t, mu, rh, ha, normal,
                                     pole, raan_rate, moving, cos_nu, sin_nu, sin_half, n_g)[0]
    if fc < best_t:
        best_t, best_x = fc, c
    if fd < best_t:
        best_t, best_x = fd, d
    rA = math.exp(best_x)
    if best_i == n_grid - 1 and best_x >= hi_l - 1e-12:
        rA = hi
    if not moving:
        # restore the full candidate set (slot 0 was overwritten)
        n_cand = _candidates(free_raan, rh, ha, ta, normal, pole, cos_inc, cos_nu, sin_nu,
                             sin_half)
    tot, ins, pl, ci, j = _high_ellipse_total(R, vr0, vh0, rA, q_t, Q_t, mu, rh, ha, normal,
                                              pole, raan_rate, moving, cos_nu, sin_nu, sin_half,
                                              n_cand)
    return ins, pl, ci, rA


@jit_parallel
def insertion_budgets(r, v, normal, pole, cos_inc, free_raan, q_t, Q_t, mu, ra_max, optimize,
                      raan_rate, out, out_ra, out_geom):
    """Price both insertion strategies for many arrivals (parallel over rows).

    Parameters
    ----------
    r, v : ndarray (N, 3)
        Arrival (perigee) positions, km, and velocities, km/s, Earth-centred.
    normal : ndarray (N, 3)
        Unit normal of the target plane at each arrival epoch (same frame; ignored if
        ``free_raan``).
    pole : ndarray (N, 3)
        Unit vector of the Earth's pole at each epoch (same frame).
    cos_inc : float
        Cosine of the target inclination (with respect to ``pole``).
    free_raan : bool
        Any plane of that inclination is acceptable (the RAAN is free).
    q_t, Q_t : float
        Target periapsis / apoapsis radii, km.
    mu : float
        Gravitational parameter, km^3/s^2.
    ra_max : float
        Capture apoapsis radius of strategy 1 (km): fixed, or the search's upper bound.
    optimize : bool
        Optimise the capture apoapsis in ``[|r|, ra_max]``.
    raan_rate : float
        Secular rate of the target RAAN about ``pole``, rad/s (strategy 1 aims its plane change
        at the plane the target will have at its last burn).
    out : ndarray (N, 2, 3)
        Written: ``out[i, s] = (insertion, plane_change, circularization)`` of strategy ``s``
        (0 = perigee burn, 1 = high ellipse), km/s.
    out_ra : ndarray (N,)
        Written: capture apoapsis radius of strategy 1, km.
    out_geom : ndarray (N, 3)
        Written: dihedral angle between arrival and target planes (for a free RAAN: the
        inclination difference), rad; the out-of-plane angle of the arrival point, rad; the share
        of the plane rotation done by the strategy-0 perigee burn (0..1).
    """
    n = r.shape[0]
    inc = math.acos(_clip1(cos_inc))
    for i in prange(n):
        rr = (r[i, 0], r[i, 1], r[i, 2])
        vv = (v[i, 0], v[i, 1], v[i, 2])
        R = _norm(rr)
        rh = _scale(rr, 1.0 / R)
        h = _cross(rr, vv)
        hn = _norm(h)
        ha = _scale(h, 1.0 / hn)
        ta = _cross(ha, rh)
        vr0 = _dot(vv, rh)
        vh0 = hn / R
        nt = (normal[i, 0], normal[i, 1], normal[i, 2])
        pk = (pole[i, 0], pole[i, 1], pole[i, 2])
        ins, pl, ci, delta, frac = perigee_strategy(rh, R, vr0, vh0, ha, ta, nt, pk, cos_inc,
                                              free_raan, q_t, Q_t, mu)
        out[i, 0, 0] = ins
        out[i, 0, 1] = pl
        out[i, 0, 2] = ci
        ins, pl, ci, ra = high_ellipse_strategy(rh, R, vr0, vh0, ha, ta, nt, pk, cos_inc,
                                                free_raan, q_t, Q_t, mu, ra_max, optimize,
                                                raan_rate)
        out[i, 1, 0] = ins
        out[i, 1, 1] = pl
        out[i, 1, 2] = ci
        out_ra[i] = ra
        if free_raan:
            out_geom[i, 0] = abs(_angle(ha, pk) - inc)
        else:
            out_geom[i, 0] = _angle(ha, nt)
        out_geom[i, 1] = delta
        out_geom[i, 2] = frac
