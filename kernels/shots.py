"""Shots from a lunar track to an Earth perigee: the speed solve behind the window scan (numba).

Units: km, s, km/s; epochs in TDB seconds past J2000; Earth-centred ICRF; high-fidelity force
model (:data:`massdriver.kernels.forces.MODEL_EPHEMERIS`) integrated with the DOP853 kernel.

The signed perigee function
---------------------------
For a launch at epoch ``t`` with exit speed ``w`` the coast is integrated to the first Earth
perigee (or a terminal event). From the final state the *osculating* geocentric perigee radius
``r_p = h^2 / (GM (1 + e))`` is formed, and signed by the sense of motion relative to the Moon's
orbit: ``q(w) = sign(h . n_moon) sqrt(r_p)`` with ``n_moon`` the Moon's orbit normal at launch.

``q`` is continuous and, for a track pointing against the Moon's orbital motion, decreasing in
``w``: ``h`` passes through zero (a radial fall) between the prograde arrivals (``q > 0``) and the
retrograde ones (``q < 0``), and ``sqrt(r_p)`` is proportional to ``|h|`` for near-parabolic
arrivals, so ``q`` is nearly linear in ``w``. A target perigee radius ``r_t`` thus has up to two
solutions, one per *branch*: ``q = +sqrt(r_t)`` (prograde) and ``q = -sqrt(r_t)`` (retrograde).
Using the osculating value at an Earth-impact or escape stop keeps ``q`` defined on both sides of
the root; a lunar impact (speed below lunar escape) is mapped to ``+Q_MOON``, i.e. "did not come
down", which is consistent with the ordering.

A perigee event farther than ``far_perigee_radius`` from the Earth (a shallow minimum of the
geocentric distance right after launch) is skipped and the coast continues.

Root finding: from a guess (with a slope hint, one Newton step), a secant-accelerated search
brackets the root, then the Anderson-Bjorck (Illinois-type) regula falsi refines it; a shot whose
perigee radius is within ``perigee_tol`` of the target ends the search (or, failing that, a
bracket narrower than ``speed_tol``). ``q`` is continuous except where the orbit plane swings
through the Moon's orbit normal at a finite perigee: its sign then jumps (``+sqrt(r_p)`` to
``-sqrt(r_p)``), and a bracket around such a jump holds no root. The regula falsi stops as
soon as the bracket shows it (ends of opposite sign, both at least ``sqrt(r_t)`` in size, a
mean slope over :data:`JUMP_SLOPE`) instead of narrowing it to ``speed_tol`` (~25 more
shots): the result is the same ``SOLVE_NOT_CONVERGED``. Epochs are solved in fixed chunks of ``CHUNK`` consecutive
epochs (each root seeds the next), and chunks run in parallel on private copies of the arrays
they read: results do not depend on the thread count.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from massdriver.kernels.chebyshev import geocentric_moon_into, slice_tables
from massdriver.kernels.forces import (
    EV_EARTH_IMPACT,
    EV_ESCAPE,
    EV_MOON_IMPACT,
    EV_PERIGEE,
    MODEL_EPHEMERIS,
    N_EVENTS,
    P_GM_EARTH,
    P_GM_MOON,
    pack_ephemeris,
)
from massdriver.kernels.frames import launch_state_into
from massdriver.kernels.integrators.contract import STATUS_EVENT
from massdriver.kernels.integrators.dop853 import integrate_packed
from massdriver.kernels.jit import jit

__all__ = [
    "OUTCOME_PERIGEE", "OUTCOME_EARTH_IMPACT", "OUTCOME_MOON_IMPACT", "OUTCOME_ESCAPE",
    "OUTCOME_TIMEOUT", "OUTCOME_FAILED", "OUTCOME_NAMES", "SOLVE_CONVERGED", "SOLVE_NO_ROOT",
    "SOLVE_NOT_CONVERGED", "SOLVE_NAMES", "Q_MOON", "CHUNK",
    "osculating_perigee", "coast_to_perigee", "signed_perigee", "solve_speed", "solve_chunk",
    "solve_speeds", "speed_solve_tasks", "run_tasks", "private_arguments",
    "patched_conic_h", "reach_mask", "REACH_MARGIN", "R_SOI_MOON", "JUMP_SLOPE",
]

OUTCOME_PERIGEE = 0
OUTCOME_EARTH_IMPACT = 1
OUTCOME_MOON_IMPACT = 2
OUTCOME_ESCAPE = 3
OUTCOME_TIMEOUT = 4
OUTCOME_FAILED = 5
OUTCOME_NAMES = ("perigee", "earth_impact", "moon_impact", "escape", "timeout", "failed")

SOLVE_CONVERGED = 0
SOLVE_NO_ROOT = 1
SOLVE_NOT_CONVERGED = 2
SOLVE_NAMES = ("converged", "no_root_in_speed_range", "not_converged")

#: q assigned to shots that fall back onto the Moon (sqrt(km))
Q_MOON = 1.0e4
#: consecutive epochs solved in sequence (continuation); fixed, so results ignore the thread count
CHUNK = 256
_MAX_ITER = 60
#: km/s: 0.97 x the lunar surface escape speed sqrt(2 GM_moon / R_moon) = 2.376 km/s; slower
#: exit speeds stay bound to the Moon (the Earth's tide lowers the true threshold by < 2 %)
LOWEST_USEFUL_SPEED = 2.30
#: km/s, the widest spacing of the bracketing grid (the prograde and retrograde roots are
#: ~0.15 km/s apart, the Moon-impact edge ~0.1 km/s below the prograde root)
GRID_SPACING = 0.02
#: secant slopes from speeds closer than this (km/s) are dominated by integration noise
#: (q is reproducible to ~3e-7 sqrt(km) at rtol 1e-10, dq/dw ~ -1e3 sqrt(km) per km/s)
_SLOPE_DV = 1e-6
#: seconds coasted with the perigee event off after a skipped far perigee
PERIGEE_HOP = 600.0
#: a bracket whose ends have q of opposite signs, both at least sqrt(r_target) in size, and a
#: mean slope |q(lo) - q(hi)| / (hi - lo) above this (sqrt(km) per km/s) holds a jump of the
#: sign of q (the orbit plane swinging through the Moon's orbit normal at a finite perigee),
#: not a root: see :func:`solve_speed`
JUMP_SLOPE = 1.0e6
#: km, radius of the Moon's sphere of influence (Laplace: a (m_moon / m_earth)^(2/5) = 66,200 km)
R_SOI_MOON = 66200.0
#: km^2/s: how far the patched-conic geocentric angular momentum of a shot may lie from the true
#: one; the reach screen (:func:`reach_mask`) skips an epoch only if every speed of the range
#: gives a patched-conic ``|h|`` above ``sqrt(3 GM r_target) + REACH_MARGIN``. Calibrated on
#: converged shots (tests/test_shots_miss.py): they had ``|h_pc| - sqrt(3 GM r_t)`` up to about
#: a third of it.
REACH_MARGIN = 150000.0
#: speeds sampled per epoch by the reach screen (the range, ends included)
_REACH_SAMPLES = 81


@jit
def patched_conic_h(t0, speed, site_body, dir_body, eph, gm_moon, t_max, y0, m, dm, work,
                    moon):
    """Patched-conic estimate of a shot's geocentric angular momentum ``|h|`` (km^2/s).

    The selenocentric two-body hyperbola of the launch state (Moon point mass) is followed to
    the sphere of influence (:data:`R_SOI_MOON`, Kepler's equation for the time); there the
    state is added to the Moon's geocentric state at that epoch. A shot that does not escape
    the Moon in this model (energy <= 0) is given the Moon's own ``|h|`` (it leaves, if at
    all, through the Earth's tide with almost no excess speed). ``y0, m, dm, work, moon`` are
    scratch arrays (6, 3x3, 3x3, 6, 6).
    """
    launch_state_into(t0, speed, site_body, dir_body, eph, y0, m, dm, work)
    geocentric_moon_into(t0, eph, moon)
    rx = y0[0] - moon[0]
    ry = y0[1] - moon[1]
    rz = y0[2] - moon[2]
    vx = y0[3] - moon[3]
    vy = y0[4] - moon[4]
    vz = y0[5] - moon[5]
    rr = math.sqrt(rx * rx + ry * ry + rz * rz)
    energy = 0.5 * (vx * vx + vy * vy + vz * vz) - gm_moon / rr
    hx = ry * vz - rz * vy
    hy = rz * vx - rx * vz
    hz = rx * vy - ry * vx
    hs = math.sqrt(hx * hx + hy * hy + hz * hz)
    if energy <= 0.0 or hs == 0.0:
        ax = moon[1] * moon[5] - moon[2] * moon[4]
        ay = moon[2] * moon[3] - moon[0] * moon[5]
        az = moon[0] * moon[4] - moon[1] * moon[3]
        return math.sqrt(ax * ax + ay * ay + az * az)
    # eccentricity vector (v x h) / mu - r / |r|
    ex = (vy * hz - vz * hy) / gm_moon - rx / rr
    ey = (vz * hx - vx * hz) / gm_moon - ry / rr
    ez = (vx * hy - vy * hx) / gm_moon - rz / rr
    e = math.sqrt(ex * ex + ey * ey + ez * ez)
    if e <= 1.0:
        e = 1.0 + 1e-12
    px, py, pz = ex / e, ey / e, ez / e
    kx, ky, kz = hx / hs, hy / hs, hz / hs
    qx = ky * pz - kz * py
    qy = kz * px - kx * pz
    qz = kx * py - ky * px
    semi_latus = hs * hs / gm_moon
    r1 = max(R_SOI_MOON, rr)
    # true anomalies of the launch and of the exit (outgoing: sin >= 0 when moving outward)
    c0 = min(max((semi_latus / rr - 1.0) / e, -1.0), 1.0)
    nu0 = math.acos(c0)
    if rx * vx + ry * vy + rz * vz < 0.0:
        nu0 = -nu0
    c1 = min(max((semi_latus / r1 - 1.0) / e, -1.0), 1.0)
    nu1 = math.acos(c1)
    # hyperbolic anomaly: tanh(F / 2) = sqrt((e - 1) / (e + 1)) tan(nu / 2)
    k = math.sqrt((e - 1.0) / (e + 1.0))
    f0 = 2.0 * math.atanh(min(k * math.tan(0.5 * nu0), 1.0 - 1e-15))
    f1 = 2.0 * math.atanh(min(k * math.tan(0.5 * nu1), 1.0 - 1e-15))
    a = gm_moon / (2.0 * energy)
    dt = ((e * math.sinh(f1) - f1) - (e * math.sinh(f0) - f0)) / math.sqrt(gm_moon / (a * a * a))
    t1 = min(t0 + max(dt, 0.0), t_max)
    sn1 = math.sqrt(max(1.0 - c1 * c1, 0.0))
    vr = gm_moon / hs
    geocentric_moon_into(t1, eph, moon)
    px1 = moon[0] + r1 * (c1 * px + sn1 * qx)
    py1 = moon[1] + r1 * (c1 * py + sn1 * qy)
    pz1 = moon[2] + r1 * (c1 * pz + sn1 * qz)
    vx1 = moon[3] + vr * (-sn1 * px + (e + c1) * qx)
    vy1 = moon[4] + vr * (-sn1 * py + (e + c1) * qy)
    vz1 = moon[5] + vr * (-sn1 * pz + (e + c1) * qz)
    gx = py1 * vz1 - pz1 * vy1
    gy = pz1 * vx1 - px1 * vz1
    gz = px1 * vy1 - py1 * vx1
    return math.sqrt(gx * gx + gy * gy + gz * gz)


@jit(nogil=True)
def reach_mask(t0s, r_target, speed_min, speed_max, site_body, dir_body, flight_time_max, params,
               eph, margin, skip):
    """The reach screen: ``skip[i]`` = True where no speed of the range can bring the Earth
    perigee down to ``r_target`` (patched conics, with ``margin``; see :data:`REACH_MARGIN`).

    A perigee radius ``r_p = h^2 / (GM (1 + e))`` at most ``r_target`` needs ``|h| <=
    sqrt(GM r_target (1 + e))``; every arrival the scan prices is bound or barely hyperbolic
    (``e < 2``), so ``|h| <= sqrt(3 GM r_target)``. The epoch is skipped when the
    patched-conic ``|h|`` (:func:`patched_conic_h`) of every one of ``_REACH_SAMPLES`` speeds
    spanning ``[max(speed_min, LOWEST_USEFUL_SPEED), speed_max]`` exceeds that by ``margin``.
    """
    y0 = np.empty(6)
    m = np.empty((3, 3))
    dm = np.empty((3, 3))
    work = np.empty(6)
    moon = np.empty(6)
    lo = max(speed_min, LOWEST_USEFUL_SPEED)
    limit = math.sqrt(3.0 * params[P_GM_EARTH] * r_target) + margin
    gm_moon = params[P_GM_MOON]
    for i in range(t0s.shape[0]):
        skip[i] = True
        if lo >= speed_max:
            continue
        for k in range(_REACH_SAMPLES):
            w = lo + (speed_max - lo) * k / (_REACH_SAMPLES - 1)
            h = patched_conic_h(t0s[i], w, site_body, dir_body, eph, gm_moon,
                                t0s[i] + flight_time_max, y0, m, dm, work, moon)
            if not (h > limit):
                skip[i] = False
                break


@jit
def osculating_perigee(y, gm):
    """Osculating two-body perigee radius (km) and angular-momentum vector of state ``y``."""
    hx = y[1] * y[5] - y[2] * y[4]
    hy = y[2] * y[3] - y[0] * y[5]
    hz = y[0] * y[4] - y[1] * y[3]
    r = math.sqrt(y[0] * y[0] + y[1] * y[1] + y[2] * y[2])
    ex = (y[4] * hz - y[5] * hy) / gm - y[0] / r
    ey = (y[5] * hx - y[3] * hz) / gm - y[1] / r
    ez = (y[3] * hy - y[4] * hx) / gm - y[2] / r
    e = math.sqrt(ex * ex + ey * ey + ez * ez)
    h2 = hx * hx + hy * hy + hz * hz
    return h2 / (gm * (1.0 + e)), hx, hy, hz


@jit(inline="always")
def coast_to_perigee(t0, y0, t_max, rtol, atol, params, eph, far_perigee_radius):
    """Integrate a shot to its first Earth perigee closer than ``far_perigee_radius``.

    Inlined into its one caller, :func:`signed_perigee`: every compiled caller of the
    integrator links it and has LLVM optimise and emit it again on the first run (~2.5 s a
    level), so one level less is that much less to wait for.

    Returns
    -------
    outcome : int
        ``OUTCOME_*``.
    t_stop : float
        Epoch of the stop (perigee, impact, escape or ``t_max``), TDB s.
    y_stop : ndarray, shape (6,)
        State there (km, km/s).
    nfev : int
        Right-hand-side evaluations.
    """
    modes = np.zeros(N_EVENTS, dtype=np.int64)
    modes[EV_PERIGEE] = 1
    modes[EV_MOON_IMPACT] = 1
    modes[EV_EARTH_IMPACT] = 1
    modes[EV_ESCAPE] = 1
    hop_modes = modes.copy()
    hop_modes[EV_PERIGEE] = 0
    empty = np.empty(0)
    t = t0
    y = y0.copy()
    nfev = 0
    hop = False
    for _ in range(64):
        # after a skipped (far) perigee, coast PERIGEE_HOP seconds with the perigee event off:
        # restarting on the root itself would find the same event again
        t_stop = min(t + PERIGEE_HOP, t_max) if hop else t_max
        # np.int64 / np.bool_: plain values, not literals, so this shares the compiled
        # integrator with the Python-level propagate() (literal arguments compile a second
        # specialisation, ~10-15 s on the first run). dop853.integrate's body, not a call to
        # it: like propagate(), no compiled level between the integrator and its callers
        # (each level links the integrator and LLVM optimises and emits it again, ~2.5 s)
        out = integrate_packed(np.int64(MODEL_EPHEMERIS), t, y, t_stop, rtol, atol.copy(),
                               np.inf, 0.0, params.copy(), pack_ephemeris(eph, t, t_stop),
                               hop_modes if hop else modes, empty, np.bool_(False),
                               np.int64(200000), np.int64(1))
        status = out.status
        t = out.t_final
        y = out.y_final
        nfev += out.nfev
        term = out.terminal_event
        if status < 0:
            return OUTCOME_FAILED, t, y, nfev
        if status != STATUS_EVENT:
            if hop and t < t_max:
                hop = False
                continue
            return OUTCOME_TIMEOUT, t, y, nfev
        hop = False
        if term == EV_PERIGEE:
            r = math.sqrt(y[0] * y[0] + y[1] * y[1] + y[2] * y[2])
            if r <= far_perigee_radius:
                return OUTCOME_PERIGEE, t, y, nfev
            hop = True  # a shallow distance minimum near the Moon: keep coasting
            continue
        if term == EV_EARTH_IMPACT:
            return OUTCOME_EARTH_IMPACT, t, y, nfev
        if term == EV_MOON_IMPACT:
            return OUTCOME_MOON_IMPACT, t, y, nfev
        return OUTCOME_ESCAPE, t, y, nfev
    return OUTCOME_TIMEOUT, t, y, nfev


@jit
def signed_perigee(t0, speed, site_body, dir_body, t_max, rtol, atol, params, eph,
                   far_perigee_radius, y_stop_out):
    """``q(speed)`` of a launch at ``t0`` (see the module notes); writes the stop state.

    Returns
    -------
    q : float
        Signed square root of the osculating perigee radius, sqrt(km).
    outcome : int
    t_stop : float
    nfev : int
    """
    y0 = np.empty(6)
    m = np.empty((3, 3))
    dm = np.empty((3, 3))
    work = np.empty(6)
    launch_state_into(t0, speed, site_body, dir_body, eph, y0, m, dm, work)
    moon = np.empty(6)
    geocentric_moon_into(t0, eph, moon)
    nx = moon[1] * moon[5] - moon[2] * moon[4]
    ny = moon[2] * moon[3] - moon[0] * moon[5]
    nz = moon[0] * moon[4] - moon[1] * moon[3]
    outcome, t, y, nfev = coast_to_perigee(t0, y0, t_max, rtol, atol, params, eph,
                                           far_perigee_radius)
    for i in range(6):
        y_stop_out[i] = y[i]
    if outcome == OUTCOME_MOON_IMPACT:
        return Q_MOON, outcome, t, nfev
    if outcome == OUTCOME_FAILED:
        return np.nan, outcome, t, nfev
    rp, hx, hy, hz = osculating_perigee(y, params[P_GM_EARTH])
    sign = 1.0 if hx * nx + hy * ny + hz * nz >= 0.0 else -1.0
    return sign * math.sqrt(rp), outcome, t, nfev


@jit(inline="always")
def _clean(outcome):
    """Outcomes on which q is a smooth function of speed (a bracket end must be one)."""
    return outcome == OUTCOME_PERIGEE or outcome == OUTCOME_EARTH_IMPACT


@jit(inline="always")
def _newton(w, f, slope):
    """One Newton step ``w - f / slope`` on ``q(w) - q_target``; ``w`` itself if the slope is
    unknown (``q`` decreases with speed, so only a negative slope is usable) or the step is
    longer than 1e-4 km/s (a noisy slope: the step only refines an accepted shot)."""
    if slope < 0.0:
        step = f / slope
        if abs(step) <= 1e-4:
            return w - step
    return w


@jit(inline="always")
def solve_speed(t0, branch, r_target, guess, speed_min, speed_max, speed_tol, perigee_tol,
                site_body, dir_body, t_max, rtol, atol, params, eph, far_perigee_radius, y_out,
                slope_hint=np.nan):
    """Exit speed giving perigee radius ``r_target`` on ``branch`` (+1 prograde, -1 retrograde).

    Inlined into its one caller, :func:`solve_chunk` (one compiled level less above the
    integrator; see :func:`coast_to_perigee`).

    Parameters
    ----------
    t0 : float
        Launch epoch, TDB s past J2000.
    branch : float
        +1.0 or -1.0.
    r_target : float
        Target perigee radius, km.
    guess : float
        Starting speed (km/s), e.g. the previous epoch's solution; NaN: bracket the root on a
        grid spanning ``[speed_min, speed_max]``.
    speed_min, speed_max : float
        Launcher speed range, km/s.
    speed_tol : float
        Bracket width (km/s) at which the search stops even if ``perigee_tol`` is not met (the
        integration noise of ``q`` can keep it from being met); the solution must then still
        be within ``10 perigee_tol`` of the target, or it is ``SOLVE_NOT_CONVERGED``.
    perigee_tol : float
        Convergence: a shot whose osculating perigee radius is within ``perigee_tol`` (km) of
        ``r_target`` is the solution (e.g. ``2e-7 r_target``, 1.4 m at LEO, for refined
        solutions; a scan can accept more, since the budget changes by ~0.2 m/s per km of
        perigee radius and it is priced at the shot's own arrival state).
    y_out : ndarray, shape (6,)
        Receives the perigee state of the solution.
    slope_hint : float
        ``dq/dw`` near the root (sqrt(km) per km/s), e.g. from the previous epoch; with a good
        ``guess`` one Newton step from it usually lands within tolerance (2 shots per epoch).

    Returns
    -------
    speed : float
        Solution (NaN unless ``SOLVE_CONVERGED``).
    solve_status : int
        ``SOLVE_*``.
    outcome : int
        ``OUTCOME_*`` of the shot at the solution.
    t_perigee : float
        Perigee epoch of the solution, TDB s.
    nfev : int
        Total right-hand-side evaluations.
    slope : float
        Secant estimate of ``dq/dw`` at the solution (NaN if unknown).
    root : float
        The solution corrected by one Newton step with ``slope`` (km/s): a better estimate of
        the exact root than ``speed`` when ``perigee_tol`` is loose (NaN when not converged).
    """
    q_target = branch * math.sqrt(r_target)
    # q = sqrt(r_p): a perigee-radius error dr is an error dr / (2 sqrt(r_t)) in q
    f_tol = 0.5 * perigee_tol / math.sqrt(r_target)
    f_accept = 10.0 * f_tol     # a search stopped by the bracket width must be this close
    # below ~97 % of the lunar surface escape speed no shot leaves the Moon: search above it
    # (this also keeps the search away from sub-circular horizontal shots)
    speed_min = max(speed_min, LOWEST_USEFUL_SPEED)
    if speed_min >= speed_max:
        return np.nan, SOLVE_NO_ROOT, OUTCOME_MOON_IMPACT, t0, 0, np.nan, np.nan
    y_tmp = np.empty(6)
    nfev_total = 0
    found = False
    lo = hi = flo = fhi = 0.0
    if guess == guess:
        # continuation: Newton from the guess with the hinted slope, then a secant-accelerated
        # search outwards until the root is bracketed
        a = min(max(guess, speed_min), speed_max)
        qa, oa, ta, nf = signed_perigee(t0, a, site_body, dir_body, t_max, rtol, atol, params,
                                        eph, far_perigee_radius, y_tmp)
        nfev_total += nf
        if qa == qa and _clean(oa):
            fa = qa - q_target
            if abs(fa) <= f_tol and oa == OUTCOME_PERIGEE:
                for i in range(6):
                    y_out[i] = y_tmp[i]
                return (a, SOLVE_CONVERGED, oa, ta, nfev_total, slope_hint,
                        _newton(a, fa, slope_hint))
            direction = 1.0 if fa > 0.0 else -1.0   # q decreases with speed
            b = a + direction * 1e-3
            if slope_hint < 0.0:
                newton = -fa / slope_hint
                if abs(newton) < 0.02:
                    b = a + newton
            b = min(max(b, speed_min), speed_max)
            for _ in range(12):
                if b == a:
                    break
                qb, ob, tb, nf = signed_perigee(t0, b, site_body, dir_body, t_max, rtol, atol,
                                                params, eph, far_perigee_radius, y_tmp)
                nfev_total += nf
                if not (qb == qb and _clean(ob)):
                    break
                fb = qb - q_target
                if abs(fb) <= f_tol and ob == OUTCOME_PERIGEE:
                    for i in range(6):
                        y_out[i] = y_tmp[i]
                    sl = (fb - fa) / (b - a) if abs(b - a) > _SLOPE_DV else slope_hint
                    return b, SOLVE_CONVERGED, ob, tb, nfev_total, sl, _newton(b, fb, sl)
                if (fb > 0.0) != (fa > 0.0):
                    found = True
                    if fa > 0.0:
                        lo, flo, hi, fhi = a, fa, b, fb
                    else:
                        lo, flo, hi, fhi = b, fb, a, fa
                    break
                slope = (fb - fa) / (b - a)
                if slope < 0.0:
                    c = b + 1.3 * (-fb / slope)          # overshoot to bracket the root
                    c = b + direction * min(max(abs(c - b), 1e-6), 0.05)
                else:
                    c = b + direction * 2.0 * abs(b - a)
                a, fa = b, fb
                b = min(max(c, speed_min), speed_max)
    if not found:
        # a grid over the whole speed range; the first clean sign change on this branch
        n_grid = min(max(int(math.ceil((speed_max - speed_min) / GRID_SPACING)) + 1, 5), 64)
        width = (speed_max - speed_min) / (n_grid - 1)
        prev_f = 0.0
        prev_clean = False
        for k in range(n_grid):
            v = speed_min + k * width
            qv, ov, tv, nf = signed_perigee(t0, v, site_body, dir_body, t_max, rtol, atol,
                                            params, eph, far_perigee_radius, y_tmp)
            nfev_total += nf
            ok = qv == qv and _clean(ov)
            fv = qv - q_target if ok else 0.0
            if ok and prev_clean and (fv > 0.0) != (prev_f > 0.0) and prev_f > 0.0:
                lo, flo, hi, fhi = v - width, prev_f, v, fv
                found = True
                break
            prev_f = fv
            prev_clean = ok
    if not found:
        return np.nan, SOLVE_NO_ROOT, OUTCOME_TIMEOUT, t0, nfev_total, np.nan, np.nan
    # Anderson-Bjorck regula falsi on [lo, hi], f(lo) > 0 > f(hi); q at the ends unscaled
    qlo = flo + q_target
    qhi = fhi + q_target
    q_size = abs(q_target)
    slope = (fhi - flo) / (hi - lo)
    side = 0
    best_f = np.inf
    best_fs = 0.0
    best_v = np.nan
    best_o = OUTCOME_FAILED
    best_t = t0
    last_v = np.nan
    last_f = np.nan
    for _ in range(_MAX_ITER):
        c = (lo * fhi - hi * flo) / (fhi - flo)
        if not (lo < c < hi):
            c = 0.5 * (lo + hi)
        qc, oc, tc, nf = signed_perigee(t0, c, site_body, dir_body, t_max, rtol, atol, params,
                                        eph, far_perigee_radius, y_tmp)
        nfev_total += nf
        if not (qc == qc and _clean(oc)):
            return np.nan, SOLVE_NOT_CONVERGED, oc, tc, nfev_total, np.nan, np.nan
        fc = qc - q_target
        if last_v == last_v and abs(c - last_v) > _SLOPE_DV:
            slope = (fc - last_f) / (c - last_v)
        last_v = c
        last_f = fc
        if abs(fc) < best_f:
            best_f = abs(fc)
            best_fs = fc
            best_v = c
            best_o = oc
            best_t = tc
            for i in range(6):
                y_out[i] = y_tmp[i]
        if best_f <= f_tol or hi - lo <= speed_tol:
            break
        if fc > 0.0:
            if side == 1:
                m = 1.0 - fc / flo
                fhi *= m if m > 0.0 else 0.5
            lo, flo, qlo = c, fc, qc
            side = 1
        else:
            if side == -1:
                m = 1.0 - fc / fhi
                flo *= m if m > 0.0 else 0.5
            hi, fhi, qhi = c, fc, qc
            side = -1
        # a jump of the sign of q, not a root: q(lo) and q(hi) of opposite signs, both at
        # least sqrt(r_target) in size (a root would need q to pass through q_target and 0
        # in between), over a bracket so narrow that a continuous q would need a slope
        # JUMP_SLOPE, ~1000 times the largest measured. The loop could only end without
        # converging (it would narrow the bracket onto the jump): end it now.
        if ((qlo > 0.0) != (qhi > 0.0) and min(abs(qlo), abs(qhi)) >= q_size
                and abs(qlo - qhi) > JUMP_SLOPE * (hi - lo)):
            return np.nan, SOLVE_NOT_CONVERGED, best_o, best_t, nfev_total, np.nan, np.nan
    if best_o != OUTCOME_PERIGEE or best_f > f_accept:
        return np.nan, SOLVE_NOT_CONVERGED, best_o, best_t, nfev_total, np.nan, np.nan
    return (best_v, SOLVE_CONVERGED, best_o, best_t, nfev_total, slope,
            _newton(best_v, best_fs, slope))


@jit(nogil=True)
def solve_chunk(t0s, branch, r_target, speed_min, speed_max, speed_tol, perigee_tol, site_body,
                dir_body, flight_time_max, rtol, atol, params, eph, far_perigee_radius, guesses,
                speed, solve_status, outcome, t_perigee, y_perigee, nfev):
    """Solve consecutive epochs in sequence, each root seeding the next (compiled, GIL-free).

    Arguments as :func:`solve_speeds`; the last six arrays (same length as ``t0s``) receive
    the results. Releasing the GIL lets :func:`solve_speeds` run chunks on Python threads,
    which, unlike a ``prange`` loop, keeps working when numba loads the kernel from its cache.
    Concurrent chunks should get private copies of the arrays they read
    (:func:`private_arguments`).
    """
    n = t0s.shape[0]
    y = np.empty(6)
    # the last three solutions: quadratic prediction of the next root
    tp1 = sp1 = tp2 = sp2 = tp3 = sp3 = np.nan
    slope = np.nan
    for i in range(n):
        ti = t0s[i]
        if guesses[i] == guesses[i]:
            guess = guesses[i]
        elif sp3 == sp3:
            # Lagrange through (tp1, sp1), (tp2, sp2), (tp3, sp3)
            l1 = (ti - tp2) * (ti - tp3) / ((tp1 - tp2) * (tp1 - tp3))
            l2 = (ti - tp1) * (ti - tp3) / ((tp2 - tp1) * (tp2 - tp3))
            l3 = (ti - tp1) * (ti - tp2) / ((tp3 - tp1) * (tp3 - tp2))
            guess = sp1 * l1 + sp2 * l2 + sp3 * l3
        elif sp2 == sp2:
            guess = sp1 + (sp1 - sp2) * (ti - tp1) / (tp1 - tp2)
        else:
            guess = sp1
        s, st, oc, tp, nf, sl, root = solve_speed(ti, branch, r_target, guess, speed_min, speed_max,
                                            speed_tol, perigee_tol, site_body, dir_body,
                                            ti + flight_time_max, rtol, atol, params, eph,
                                            far_perigee_radius, y, slope)
        speed[i] = s
        solve_status[i] = st
        outcome[i] = oc
        nfev[i] = nf
        if st == SOLVE_CONVERGED:
            t_perigee[i] = tp
            for j in range(6):
                y_perigee[i, j] = y[j]
            # predict from the Newton-corrected roots: the accepted speeds themselves miss the
            # root by up to perigee_tol / |dr_p/dw| (km/s), which the quadratic extrapolation
            # (weights 3, -3, 1) would amplify up to 7x
            tp3, sp3 = tp2, sp2
            tp2, sp2 = tp1, sp1
            tp1, sp1 = ti, root
            if sl == sl:
                slope = sl
        else:
            t_perigee[i] = np.nan
            for j in range(6):
                y_perigee[i, j] = np.nan
            tp1 = sp1 = tp2 = sp2 = tp3 = sp3 = np.nan
            slope = np.nan


def solve_speeds(t0s, branch, r_target, speed_min, speed_max, speed_tol, perigee_tol, site_body,
                 dir_body, flight_time_max, rtol, atol, params, eph, far_perigee_radius, guesses,
                 progress=None):
    """:func:`solve_speed` for many launch epochs, in chunks of ``CHUNK`` on numba's threads.

    Chunks of ``CHUNK`` consecutive epochs are solved in sequence by :func:`solve_chunk`
    (continuation); chunks run concurrently on ``numba.get_num_threads()`` Python threads (the
    kernel releases the GIL). Chunk boundaries do not depend on the thread count, so neither
    do the results.

    Parameters
    ----------
    t0s : ndarray, shape (n,)
        Launch epochs in increasing order, TDB s past J2000.
    flight_time_max : float
        Coast limit, s.
    guesses : ndarray, shape (n,)
        Starting speeds (km/s); NaN: continue from the previous epoch of the chunk (or bracket
        on a grid at a chunk's first epoch).
    progress : callable, optional
        ``progress(k)`` after each chunk of ``k`` epochs, called on the calling thread.
    (others as :func:`solve_speed`)

    Returns
    -------
    speed : ndarray (n,)
        km/s (NaN where no solution).
    solve_status, outcome : ndarray of int64 (n,)
    t_perigee : ndarray (n,)
        TDB s.
    y_perigee : ndarray (n, 6)
        Perigee state, km, km/s.
    nfev : ndarray of int64 (n,)
    """
    tasks, out = speed_solve_tasks(t0s, branch, r_target, speed_min, speed_max, speed_tol,
                                   perigee_tol, site_body, dir_body, flight_time_max, rtol, atol,
                                   params, eph, far_perigee_radius, guesses)
    run_tasks(tasks, progress)
    return out


def speed_solve_tasks(t0s, branch, r_target, speed_min, speed_max, speed_tol, perigee_tol,
                      site_body, dir_body, flight_time_max, rtol, atol, params, eph,
                      far_perigee_radius, guesses, reach_margin=None):
    """The chunks of :func:`solve_speeds` as tasks, and the arrays they fill.

    For callers that solve several branches or cases at once: pass the tasks of all of them to
    one :func:`run_tasks` call, so no thread idles while another branch still has chunks.

    Returns
    -------
    tasks : list of callable
        One per chunk of ``CHUNK`` epochs; each fills its rows of ``out`` (any order, any
        thread) and returns the number of epochs it solved.
    out : tuple
        ``(speed, solve_status, outcome, t_perigee, y_perigee, nfev)`` as :func:`solve_speeds`
        returns them, complete once every task has run.

    reach_margin : float, optional
        Turn on the reach screen (:func:`reach_mask`, e.g. :data:`REACH_MARGIN` km^2/s):
        epochs it proves unreachable are not solved (``SOLVE_NO_ROOT``, ``OUTCOME_TIMEOUT``,
        no evaluations) and the others are solved in runs between them. An unreachable epoch
        ends the continuation in any case (no root: the next epoch starts on the bracketing
        grid), so every other result equals the unscreened run's bit for bit (only ``nfev``
        differs) as long as the screen skips no reachable epoch.

    Raises
    ------
    ValueError
        For non-finite epochs or a perigee tolerance that is not positive.
    """
    t0s = np.ascontiguousarray(t0s, dtype=np.float64)
    guesses = np.ascontiguousarray(guesses, dtype=np.float64)
    if not np.all(np.isfinite(t0s)):
        raise ValueError("solve_speeds: every launch epoch must be finite")
    if not (perigee_tol > 0.0 and math.isfinite(perigee_tol)):
        raise ValueError(f"solve_speeds: perigee_tol = {perigee_tol}: must be positive")
    n = t0s.shape[0]
    speed = np.full(n, np.nan)
    solve_status = np.zeros(n, dtype=np.int64)
    outcome = np.zeros(n, dtype=np.int64)
    t_perigee = np.full(n, np.nan)
    y_perigee = np.full((n, 6), np.nan)
    nfev = np.zeros(n, dtype=np.int64)
    args = (float(branch), float(r_target), float(speed_min), float(speed_max),
            float(speed_tol), float(perigee_tol), site_body, dir_body, float(flight_time_max),
            float(rtol), atol, params, eph, float(far_perigee_radius))
    chunk = CHUNK

    def run(k: int) -> int:
        sl = slice(k * chunk, min(n, (k + 1) * chunk))
        t = t0s[sl]
        private = private_arguments(args, eph, float(t.min()) - 86400.0,
                                    float(t.max()) + float(flight_time_max) + 86400.0)
        if reach_margin is None:
            solve_chunk(t, *private, guesses[sl], speed[sl], solve_status[sl], outcome[sl],
                        t_perigee[sl], y_perigee[sl], nfev[sl])
            return sl.stop - sl.start
        skip = np.zeros(t.shape[0], dtype=np.bool_)
        reach_mask(t, private[1], private[2], private[3], private[6], private[7], private[8],
                   private[11], private[12], float(reach_margin), skip)
        solve_status[sl][skip] = SOLVE_NO_ROOT
        outcome[sl][skip] = OUTCOME_TIMEOUT
        i = 0
        while i < t.shape[0]:           # solve the runs of epochs the screen keeps
            if skip[i]:
                i += 1
                continue
            j = i
            while j < t.shape[0] and not skip[j]:
                j += 1
            a, b = sl.start + i, sl.start + j
            solve_chunk(t[i:j], *private, guesses[a:b], speed[a:b], solve_status[a:b],
                        outcome[a:b], t_perigee[a:b], y_perigee[a:b], nfev[a:b])
            i = j
        return sl.stop - sl.start

    tasks = [(lambda k=k: run(k)) for k in range((n + chunk - 1) // chunk)]
    return tasks, (speed, solve_status, outcome, t_perigee, y_perigee, nfev)


def private_arguments(args: tuple, eph: tuple, t_start: float, t_stop: float) -> tuple:
    """``args`` with every array replaced by a private copy, and the ephemeris tables (the
    element ``eph`` of ``args``) by copies of the records covering ``[t_start, t_stop]``.

    numba reference-counts array arguments at every non-inlined call; threads sharing arrays
    update the same counters from two cores and slow each other down (1.6x instead of 2x on 2
    threads here). The copies keep the originals' write flags, hence their numba types (no
    second compilation), and give the same values within the span
    (:func:`massdriver.kernels.chebyshev.slice_tables`).
    """
    local = slice_tables(eph, t_start, t_stop, copy=True)

    def private(a):
        if a is eph:
            return local
        if isinstance(a, np.ndarray):
            c = a.copy()
            c.setflags(write=a.flags.writeable)
            return c
        return a

    return tuple(private(a) for a in args)


def run_tasks(tasks, progress=None) -> None:
    """Run ``tasks`` (callables releasing the GIL, e.g. :func:`speed_solve_tasks`) on
    ``numba.get_num_threads()`` Python threads, handed out one at a time in order.

    ``progress(result)`` is called on the calling thread as each task finishes (with the task's
    return value). On an exception or an interrupt the tasks not yet started are cancelled (the
    running ones, compiled code, finish their chunk) and it is raised.
    """
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    workers = max(1, min(numba.get_num_threads(), len(tasks)))
    if workers == 1:
        for task in tasks:
            done = task()
            if progress is not None:
                progress(done)
        return
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        pending = {pool.submit(task) for task in tasks}
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in finished:
                done = f.result()
                if progress is not None:
                    progress(done)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
