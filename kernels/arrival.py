"""Arrival kernels: powered and atmospheric flight near the Earth with mass flow (numba).

Units: km, s, km/s, kg; density kg/m^3, heat rate W/m^2, heat load J/m^2; thrust N, Isp s.
Frame: Earth-centred ICRF axes (the J2 axis and the atmosphere's rotation axis are z).

Model
-----
State ``y = (x, y, z, vx, vy, vz, m, Q)``: position, velocity, mass and the stagnation-point
heat load ``Q = int q dt``. Forces:

* Earth point mass and J2 (``P[MU]``, ``P[J2]``, reference radius ``P[R_REF]``; J2 is left
  out of :func:`aerobrake`'s passes, whose coasts are two-body, and enters the campaign as its
  first-order secular drift of node and periapsis, :func:`j2_secular_drift`);
* drag ``-1/2 rho (Cd A / m) |w| w`` on the air-relative velocity ``w = v - omega z x r``
  (``P[OMEGA]``), with ``rho`` from :mod:`massdriver.kernels.atmosphere` (``P[ATM] = 0``, solar
  level ``P[LEVEL]``) or an exponential ``rho0 exp(-h / H)`` (``P[ATM] = 1``, for the analytic
  checks); no drag above ``P[TOP]``;
* lift ``(L/D) * drag`` perpendicular to ``w`` in the vertical plane, scaled by ``P[BANK_COS]``
  = cos(bank): +1 lift up, -1 lift down. The lateral part of a banked lift vector is taken as
  cancelled by bank reversals (not flown), as in planar guidance studies;
* thrust ``T`` (N) with ``dm/dt = -T / (Isp g0)`` between ``P[T_ON]`` and ``P[T_OFF]``, steered
  against the inertial velocity (``P[STEER] = 0``, velocity-aligned retrograde), along it
  (``1``), or along the fixed unit vector ``P[DIR:DIR+3]`` (``2``, inertially fixed).

The heat rate is Sutton & Graves (1971, NASA TR R-376) for Earth air,
``q = 1.7415e-4 sqrt(rho / r_n) w^3`` (SI), ``r_n`` the nose radius ``P[NOSE]`` (m). The
deceleration reported is the aerodynamic one (drag and lift), in g0.

Integrator
----------
An adaptive Dormand-Prince 5(4) pair (Dormand & Prince 1980, the coefficients of
``scipy.integrate.RK45``) with the standard step-size controller; steps stop exactly at the
thrust switching times, and a step is limited so it cannot jump over the atmosphere. Status of a
run: :data:`DONE` (reached the end time), :data:`EXITED` (rose through ``P[EXIT_ALT]`` after
having been below it, when ``P[STOP_EXIT] = 1``), :data:`FLOOR` (fell below ``P[FLOOR]``: a
re-entry), :data:`MAXSTEPS`. :func:`burn_trace` flies a burn recording its trial steps, and
:func:`burn_resume` gives from them any shorter burn from the same start, bit-identical to
:func:`propagate`'s (the root finding of a burn's length flies ~40 of them).
"""

from __future__ import annotations

import math

import numpy as np
from massdriver.kernels.atmosphere import density
from massdriver.kernels.jit import jit

__all__ = [
    "N_PARAMS", "MU", "J2", "R_REF", "OMEGA", "ATM", "LEVEL", "RHO0", "SCALE_H", "CDA",
    "LIFT_DRAG", "BANK_COS", "THRUST", "ISP", "STEER", "DIR", "T_ON", "T_OFF", "NOSE", "TOP",
    "FLOOR", "STOP_EXIT", "EXIT_ALT", "DONE", "EXITED", "FLOOR_HIT", "MAXSTEPS",
    "SUTTON_GRAVES_K", "G0", "propagate", "perigee_of", "state_at_anomaly", "apsides",
    "time_from_periapsis", "aerobrake", "aerocapture_pass", "entry_pass", "N_INFO",
    "j2_secular_rates", "j2_secular_drift", "burn_trace", "burn_resume", "TRACE_WIDTH",
]

G0 = 9.80665
SUTTON_GRAVES_K = 1.7415e-4      # kg^0.5 / m, Earth air (Sutton & Graves 1971)

# parameter vector layout
MU, J2, R_REF, OMEGA, ATM, LEVEL, RHO0, SCALE_H, CDA, LIFT_DRAG, BANK_COS = range(11)
THRUST, ISP, STEER, DIR = 11, 12, 13, 14          # DIR: 14, 15, 16
T_ON, T_OFF, NOSE, TOP, FLOOR, STOP_EXIT, EXIT_ALT = 17, 18, 19, 20, 21, 22, 23
N_PARAMS = 24

# statuses
DONE, EXITED, FLOOR_HIT, MAXSTEPS = 0, 1, 2, 3
# info vector: t, status, peak g, peak q (W/m^2), min altitude (km), steps, rhs calls
N_INFO = 7
#: columns of a trace row (:func:`burn_trace`): trial time, trial step (after the atmosphere
#: limit, before the cut at the end time), state, first stage, info[2:7]
TRACE_WIDTH = 23

_MAX_STEPS = 20_000
#: bisections of cos(bank) per guidance cycle (resolution 2 / 2^12)
_BISECTIONS = 12

# Dormand-Prince 5(4)
_C2, _C3, _C4, _C5 = 1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0
_A21 = 1.0 / 5.0
_A31, _A32 = 3.0 / 40.0, 9.0 / 40.0
_A41, _A42, _A43 = 44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0
_A51, _A52, _A53, _A54 = 19372.0 / 6561.0, -25360.0 / 2187.0, 64448.0 / 6561.0, -212.0 / 729.0
_A61, _A62, _A63, _A64, _A65 = (9017.0 / 3168.0, -355.0 / 33.0, 46732.0 / 5247.0, 49.0 / 176.0,
                                -5103.0 / 18656.0)
_B1, _B3, _B4, _B5, _B6 = 35.0 / 384.0, 500.0 / 1113.0, 125.0 / 192.0, -2187.0 / 6784.0, 11.0 / 84.0
_E1, _E3, _E4, _E5, _E6, _E7 = (71.0 / 57600.0, -71.0 / 16695.0, 71.0 / 1920.0,
                                -17253.0 / 339200.0, 22.0 / 525.0, -1.0 / 40.0)


@jit
def _altitude(y, P):
    return math.sqrt(y[0] * y[0] + y[1] * y[1] + y[2] * y[2]) - P[R_REF]


@jit
def _air_density(h, P):
    if h > P[TOP]:
        return 0.0
    if P[ATM] == 1.0:
        return P[RHO0] * math.exp(-h / P[SCALE_H])
    return density(h, int(P[LEVEL]))


@jit
def _rhs(t, y, P, dy, diag, thrust_on):
    """dy/dt into ``dy``; ``diag = (altitude km, aero deceleration g0, heat rate W/m^2)``.

    ``thrust_on`` is decided per integration segment (segments end at the switching times), so
    every stage of a step inside a burn sees the thrust, including those at its end."""
    x, yy, z = y[0], y[1], y[2]
    vx, vy, vz = y[3], y[4], y[5]
    m = y[6]
    r2 = x * x + yy * yy + z * z
    r = math.sqrt(r2)
    mu = P[MU]
    f = -mu / (r2 * r)
    ax, ay, az = f * x, f * yy, f * z
    if P[J2] != 0.0:
        k = 1.5 * P[J2] * mu * P[R_REF] * P[R_REF] / (r2 * r2 * r)
        zz = 5.0 * z * z / r2
        ax += k * x * (zz - 1.0)
        ay += k * yy * (zz - 1.0)
        az += k * z * (zz - 3.0)
    h = r - P[R_REF]
    rho = _air_density(h, P)
    g_aero = 0.0
    q = 0.0
    if rho > 0.0 and P[CDA] > 0.0:
        wx = vx + P[OMEGA] * yy
        wy = vy - P[OMEGA] * x
        wz = vz
        w = math.sqrt(wx * wx + wy * wy + wz * wz)
        # drag per unit mass, km/s^2: 0.5 rho CdA/m (1000 w)^2 / 1000
        dmag = 500.0 * rho * P[CDA] / m * w * w
        ax -= dmag * wx / w
        ay -= dmag * wy / w
        az -= dmag * wz / w
        lmag = 0.0
        if P[LIFT_DRAG] != 0.0 and P[BANK_COS] != 0.0:
            # vertical unit vector perpendicular to w: r_hat minus its part along w
            ux, uy, uz = x / r, yy / r, z / r
            c = (ux * wx + uy * wy + uz * wz) / w
            px, py, pz = ux - c * wx / w, uy - c * wy / w, uz - c * wz / w
            pn = math.sqrt(px * px + py * py + pz * pz)
            if pn > 1e-12:
                lmag = P[LIFT_DRAG] * dmag * P[BANK_COS]
                ax += lmag * px / pn
                ay += lmag * py / pn
                az += lmag * pz / pn
        g_aero = math.sqrt(dmag * dmag + lmag * lmag) * 1000.0 / G0
        q = SUTTON_GRAVES_K * math.sqrt(rho / P[NOSE]) * (1000.0 * w) ** 3
    mdot = 0.0
    if thrust_on:
        a = P[THRUST] / m / 1000.0
        s = int(P[STEER])
        if s == 2:
            dx, dyy, dz = P[DIR], P[DIR + 1], P[DIR + 2]
        else:
            v = math.sqrt(vx * vx + vy * vy + vz * vz)
            sign = -1.0 if s == 0 else 1.0
            dx, dyy, dz = sign * vx / v, sign * vy / v, sign * vz / v
        ax += a * dx
        ay += a * dyy
        az += a * dz
        mdot = -P[THRUST] / (P[ISP] * G0)
    dy[0], dy[1], dy[2] = vx, vy, vz
    dy[3], dy[4], dy[5] = ax, ay, az
    dy[6] = mdot
    dy[7] = q
    diag[0] = h
    diag[1] = g_aero
    diag[2] = q


@jit
def _segment(y, t0, t1, P, rtol, h_init, info, work, thrust_on, trace):
    """Integrate ``y`` in place from ``t0`` to ``t1`` (either direction); update ``info``.

    ``h_init`` is the first trial step (s; 0 for the default, ``min(10, |t1 - t0|)``).
    ``work`` (9, 8) is scratch and ``trace`` (rows, :data:`TRACE_WIDTH`) records the trial
    steps (see :func:`_steps`; no rows, no record). Returns the last accepted step size
    (signed) for the next segment and the number of trial steps."""
    if t1 == t0:
        return h_init, 0
    diag = np.empty(3)
    direction = 1.0 if t1 >= t0 else -1.0
    h = abs(h_init) if h_init != 0.0 else min(10.0, abs(t1 - t0))
    atol_m = rtol * max(y[6], 1.0)
    _rhs(t0, y, P, work[0], diag, thrust_on)
    info[6] += 1
    return _steps(y, t0, t1, direction, P, rtol, h, atol_m, info, work, thrust_on,
                  diag[0] < P[EXIT_ALT], trace)


@jit
def _steps(y, t, t1, direction, P, rtol, h, atol_m, info, work, thrust_on, was_below, trace):
    """The adaptive Dormand-Prince 5(4) step loop, from ``(t, y)`` to ``t1`` (``direction``
    +-1), with the next trial step size ``h`` (s, > 0) and ``work[0]`` the first stage at ``t``.

    ``atol_m`` is the mass's absolute tolerance (kg; that of the segment's start) and
    ``was_below`` whether the flight has been below ``P[EXIT_ALT]`` (for ``P[STOP_EXIT]``).
    Before each trial step a row of ``trace`` (while rows remain) gets ``t``, the trial step
    size (after the atmosphere limit, before the cut at ``t1``), ``y``, the first stage and
    ``info[2:7]``: all that the loop needs to go on from there (:func:`burn_resume`).
    Returns the last accepted step size (signed) and the number of trial steps."""
    n = 8
    k1, k2, k3, k4, k5, k6, k7 = (work[0], work[1], work[2], work[3], work[4], work[5],
                                  work[6])
    ytmp, ynew = work[7], work[8]
    diag = np.empty(3)
    atol_pos = rtol * 1000.0
    atol_vel = rtol * 1.0
    atol_q = 1.0
    rows = 0
    while True:
        if info[5] >= _MAX_STEPS:
            info[1] = MAXSTEPS
            info[0] = t
            return direction * h, rows
        # a step may not jump over the dense atmosphere: on the way down it covers at most
        # about half the height above 80 km (plus 5 km)
        rn = math.sqrt(y[0] * y[0] + y[1] * y[1] + y[2] * y[2])
        rdot = abs(y[0] * y[3] + y[1] * y[4] + y[2] * y[5]) / rn
        hmax = (max(rn - P[R_REF] - 80.0, 0.0) * 0.5 + 5.0) / max(rdot, 1e-3)
        if h > hmax:
            h = hmax
        if rows < trace.shape[0]:
            row = trace[rows]
            row[0] = t
            row[1] = h
            for i in range(n):
                row[2 + i] = y[i]
                row[10 + i] = k1[i]
            for i in range(5):
                row[18 + i] = info[2 + i]
        rows += 1
        last = False
        if h >= abs(t1 - t):
            h = abs(t1 - t)
            last = True
        hs = direction * h
        for i in range(n):
            ytmp[i] = y[i] + hs * _A21 * k1[i]
        _rhs(t + _C2 * hs, ytmp, P, k2, diag, thrust_on)
        for i in range(n):
            ytmp[i] = y[i] + hs * (_A31 * k1[i] + _A32 * k2[i])
        _rhs(t + _C3 * hs, ytmp, P, k3, diag, thrust_on)
        for i in range(n):
            ytmp[i] = y[i] + hs * (_A41 * k1[i] + _A42 * k2[i] + _A43 * k3[i])
        _rhs(t + _C4 * hs, ytmp, P, k4, diag, thrust_on)
        for i in range(n):
            ytmp[i] = y[i] + hs * (_A51 * k1[i] + _A52 * k2[i] + _A53 * k3[i] + _A54 * k4[i])
        _rhs(t + _C5 * hs, ytmp, P, k5, diag, thrust_on)
        for i in range(n):
            ytmp[i] = y[i] + hs * (_A61 * k1[i] + _A62 * k2[i] + _A63 * k3[i] + _A64 * k4[i]
                                   + _A65 * k5[i])
        _rhs(t + hs, ytmp, P, k6, diag, thrust_on)
        for i in range(n):
            ynew[i] = y[i] + hs * (_B1 * k1[i] + _B3 * k3[i] + _B4 * k4[i] + _B5 * k5[i]
                                   + _B6 * k6[i])
        _rhs(t + hs, ynew, P, k7, diag, thrust_on)
        info[6] += 6
        err = 0.0
        for i in range(n):
            e = hs * (_E1 * k1[i] + _E3 * k3[i] + _E4 * k4[i] + _E5 * k5[i] + _E6 * k6[i]
                      + _E7 * k7[i])
            if i < 3:
                sc = atol_pos + rtol * max(abs(y[i]), abs(ynew[i]))
            elif i < 6:
                sc = atol_vel + rtol * max(abs(y[i]), abs(ynew[i]))
            elif i == 6:
                sc = atol_m + rtol * max(abs(y[i]), abs(ynew[i]))
            else:
                sc = atol_q + rtol * max(abs(y[i]), abs(ynew[i]))
            err += (e / sc) ** 2
        err = math.sqrt(err / n)
        if err <= 1.0 or h < 1e-9:
            t = t + hs
            for i in range(n):
                y[i] = ynew[i]
                k1[i] = k7[i]
            info[5] += 1
            if diag[1] > info[2]:
                info[2] = diag[1]
            if diag[2] > info[3]:
                info[3] = diag[2]
            if diag[0] < info[4]:
                info[4] = diag[0]
            fac = 5.0 if err == 0.0 else min(5.0, 0.9 * err ** -0.2)
            h_next = h * max(0.2, fac)
            if diag[0] < P[FLOOR]:
                info[1] = FLOOR_HIT
                info[0] = t
                return direction * h, rows
            if P[STOP_EXIT] == 1.0:
                if diag[0] < P[EXIT_ALT]:
                    was_below = True
                elif was_below:
                    radial = y[0] * y[3] + y[1] * y[4] + y[2] * y[5]
                    if radial > 0.0:
                        info[1] = EXITED
                        info[0] = t
                        return direction * h, rows
            if last:
                info[0] = t
                return direction * h_next, rows
            h = h_next
        else:
            h = h * max(0.2, 0.9 * err ** -0.2)


@jit(inline="always")
def _reset_info(info, t0):
    """``info`` at the start of a run from ``t0``: done, no peaks, no steps (see
    :func:`propagate`)."""
    info[0] = t0
    info[1] = DONE
    info[2] = 0.0
    info[3] = 0.0
    info[4] = 1e300
    info[5] = 0.0
    info[6] = 0.0


@jit
def propagate(y, t0, t1, P, rtol, info):
    """Integrate the state ``y`` (8,) in place from ``t0`` to ``t1`` (s).

    Steps stop at the thrust switching times ``P[T_ON]``, ``P[T_OFF]``. ``info`` (N_INFO,) is
    reset and returns ``(t_end, status, peak g, peak q W/m^2, min altitude km, steps, calls)``.
    """
    _reset_info(info, t0)
    work = np.empty((9, 8))
    no_trace = np.empty((0, TRACE_WIDTH))
    direction = 1.0 if t1 >= t0 else -1.0
    cuts = np.empty(4)
    nc = 0
    cuts[nc] = t0
    nc += 1
    for tc in (P[T_ON], P[T_OFF]):
        if P[THRUST] > 0.0 and direction * (tc - t0) > 0.0 and direction * (t1 - tc) > 0.0:
            cuts[nc] = tc
            nc += 1
    cuts[nc] = t1
    nc += 1
    if nc == 4 and direction * (cuts[2] - cuts[1]) < 0.0:
        cuts[1], cuts[2] = cuts[2], cuts[1]
    h = 0.0
    for k in range(nc - 1):
        mid = 0.5 * (cuts[k] + cuts[k + 1])
        on = P[THRUST] > 0.0 and P[T_ON] <= mid < P[T_OFF]
        h = _segment(y, cuts[k], cuts[k + 1], P, rtol, h, info, work, on, no_trace)[0]
        if info[1] != DONE:
            return
    info[0] = t1


# --- burns of several lengths from one start -----------------------------------------------------
@jit
def burn_trace(y, t0, t1, P, rtol, info, trace):
    """:func:`propagate` of a burn (thrust on from ``t0`` to ``t1 > t0``, ``P[THRUST] > 0``,
    ``P[STOP_EXIT] != 1``), recording its trial steps in ``trace`` (rows of
    :data:`TRACE_WIDTH`) so that :func:`burn_resume` gives any shorter burn from the same start.

    Returns the number of trial steps; more than ``trace``'s rows and the trace is incomplete
    (not to be resumed from)."""
    _reset_info(info, t0)
    # np.bool_: a run-time flag, not a Literal[bool] that compiles _segment, _steps and _rhs
    # once more for the constant
    rows = _segment(y, t0, t1, P, rtol, 0.0, info, np.empty((9, 8)), np.bool_(True),
                    trace)[1]
    if info[1] == DONE:
        info[0] = t1
    return rows


@jit
def burn_resume(trace, rows, y0, t1, P, rtol, y, info):
    """The end of the burn from ``y0`` (the start of the complete ``trace`` of ``rows`` trial
    steps, :func:`burn_trace`) to ``t1``, bit-identical to :func:`propagate`'s, both of a first
    step of 10 s (a burn of at least 10 s).

    Such a burn takes the traced steps until the first trial step that reaches ``t1`` (the step
    sizes and states before it do not depend on the end time); from there it is flown on.
    Returns False, ``y`` and ``info`` untouched, when no traced trial reaches ``t1`` (the
    traced burn ended, at the floor, before it)."""
    for j in range(rows):
        row = trace[j]
        if row[1] >= abs(t1 - row[0]):
            for i in range(8):
                y[i] = row[2 + i]
            work = np.empty((9, 8))
            for i in range(8):
                work[0, i] = row[10 + i]
            info[0] = row[0]
            info[1] = DONE
            for i in range(5):
                info[2 + i] = row[18 + i]
            _steps(y, row[0], t1, 1.0, P, rtol, row[1], rtol * max(y0[6], 1.0), info, work,
                   np.bool_(True), np.bool_(False), np.empty((0, TRACE_WIDTH)))
            if info[1] == DONE:
                info[0] = t1
            return True
    return False


# --- two-body helpers (in-plane) -----------------------------------------------------------------
@jit
def _frame(mu, r, v):
    """Perifocal axes, eccentricity, semi-latus rectum and true anomaly of (r, v)."""
    rn = math.sqrt(r[0] ** 2 + r[1] ** 2 + r[2] ** 2)
    hx = r[1] * v[2] - r[2] * v[1]
    hy = r[2] * v[0] - r[0] * v[2]
    hz = r[0] * v[1] - r[1] * v[0]
    hn = math.sqrt(hx * hx + hy * hy + hz * hz)
    rv = r[0] * v[0] + r[1] * v[1] + r[2] * v[2]
    v2 = v[0] ** 2 + v[1] ** 2 + v[2] ** 2
    ev = np.empty(3)
    for i in range(3):
        ev[i] = ((v2 - mu / rn) * r[i] - rv * v[i]) / mu
    e = math.sqrt(ev[0] ** 2 + ev[1] ** 2 + ev[2] ** 2)
    P = np.empty(3)
    if e > 1e-10:
        for i in range(3):
            P[i] = ev[i] / e
    else:
        for i in range(3):
            P[i] = r[i] / rn
    W = np.array([hx / hn, hy / hn, hz / hn])
    Q = np.array([W[1] * P[2] - W[2] * P[1], W[2] * P[0] - W[0] * P[2],
                  W[0] * P[1] - W[1] * P[0]])
    nu = math.atan2(r[0] * Q[0] + r[1] * Q[1] + r[2] * Q[2],
                    r[0] * P[0] + r[1] * P[1] + r[2] * P[2])
    p = hn * hn / mu
    return P, Q, e, p, nu


@jit
def apsides(mu, r, v):
    """``(periapsis radius, apoapsis radius)`` of the osculating orbit, km (apoapsis
    ``inf`` for an open orbit)."""
    _, _, e, p, _ = _frame(mu, r, v)
    rp = p / (1.0 + e)
    ra = p / (1.0 - e) if e < 1.0 else math.inf
    return rp, ra


@jit
def state_at_anomaly(mu, r, v, nu, out):
    """State (6,) on the osculating orbit of (r, v) at true anomaly ``nu`` (rad), into out."""
    P, Q, e, p, _ = _frame(mu, r, v)
    c, s = math.cos(nu), math.sin(nu)
    rad = p / (1.0 + e * c)
    k = math.sqrt(mu / p)
    for i in range(3):
        out[i] = rad * (c * P[i] + s * Q[i])
        out[3 + i] = k * (-s * P[i] + (e + c) * Q[i])


@jit
def _time_from_periapsis_nu(mu, e, p, nu):
    if e < 1.0:
        a = p / (1.0 - e * e)
        E = 2.0 * math.atan(math.sqrt((1.0 - e) / (1.0 + e)) * math.tan(nu / 2.0))
        return (E - e * math.sin(E)) * math.sqrt(a ** 3 / mu)
    if e > 1.0:
        a = p / (e * e - 1.0)
        F = 2.0 * math.atanh(math.sqrt((e - 1.0) / (e + 1.0)) * math.tan(nu / 2.0))
        return (e * math.sinh(F) - F) * math.sqrt(a ** 3 / mu)
    D = math.tan(nu / 2.0)
    return 0.5 * math.sqrt(p ** 3 / mu) * (D + D ** 3 / 3.0)


@jit
def time_from_periapsis(mu, r, v):
    """Time since periapsis passage (s; negative before it) on the osculating orbit."""
    _, _, e, p, nu = _frame(mu, r, v)
    return _time_from_periapsis_nu(mu, e, p, nu)


@jit
def perigee_of(mu, r, v, out):
    """Osculating periapsis state (6,) into ``out``; returns the time from (r, v) to it (s;
    negative if passed: the periapsis of this revolution)."""
    state_at_anomaly(mu, r, v, 0.0, out)
    return -time_from_periapsis(mu, r, v)


# --- secular J2 (first order) ---------------------------------------------------------------------
@jit
def j2_secular_rates(mu, j2, r_ref, a, e, cos_i):
    """First-order secular J2 rates of the node and of the argument of periapsis, rad/s.

    ``dOmega/dt = -3/2 n J2 (R/p)^2 cos i`` and ``domega/dt = 3/4 n J2 (R/p)^2 (4 - 5 sin^2 i)``
    (Vallado 2013, "Fundamentals of Astrodynamics and Applications", 4th ed., eqs. 9-41 and
    9-42), ``n = sqrt(mu / a^3)`` the two-body mean motion, ``p = a (1 - e^2)``; km, km^3/s^2.
    Semi-major axis, eccentricity and inclination have no secular J2 rate (first order).
    """
    n = math.sqrt(mu / (a * a * a))
    p = a * (1.0 - e * e)
    k = n * j2 * (r_ref / p) ** 2
    sin2 = 1.0 - cos_i * cos_i
    return -1.5 * k * cos_i, 0.75 * k * (4.0 - 5.0 * sin2)


@jit
def _rotate(v, axis, ang):
    """Rotate the 3-vector ``v`` (in place) by ``ang`` rad about the unit vector ``axis``
    (Rodrigues)."""
    c, s = math.cos(ang), math.sin(ang)
    d = axis[0] * v[0] + axis[1] * v[1] + axis[2] * v[2]
    cx = axis[1] * v[2] - axis[2] * v[1]
    cy = axis[2] * v[0] - axis[0] * v[2]
    cz = axis[0] * v[1] - axis[1] * v[0]
    x = v[0] * c + cx * s + axis[0] * d * (1.0 - c)
    y = v[1] * c + cy * s + axis[1] * d * (1.0 - c)
    z = v[2] * c + cz * s + axis[2] * d * (1.0 - c)
    v[0], v[1], v[2] = x, y, z


@jit
def j2_secular_drift(y, dt, P):
    """Apply ``dt`` seconds of secular J2 drift to the state ``y`` (in place): the orbit is
    turned by ``domega/dt * dt`` about its normal (the periapsis moves, the satellite keeps
    its true anomaly) and then by ``dOmega/dt * dt`` about z (the node regresses); rates from
    :func:`j2_secular_rates` with ``P[MU]``, ``P[J2]``, ``P[R_REF]``. Speed, radius, hence
    semi-major axis and eccentricity, are unchanged (energy conserved), and so is the
    inclination. Returns ``(dOmega, domega, -3/2 n J2 (R/p)^2 dt)`` (rad; the last is the
    node drift per unit ``cos i``). No-op for an open orbit or ``P[J2] = 0``.
    """
    mu = P[MU]
    r = y[0:3]
    v = y[3:6]
    if P[J2] == 0.0 or dt == 0.0:
        return 0.0, 0.0, 0.0
    rn = math.sqrt(r[0] ** 2 + r[1] ** 2 + r[2] ** 2)
    v2 = v[0] ** 2 + v[1] ** 2 + v[2] ** 2
    eps = 0.5 * v2 - mu / rn
    if eps >= 0.0:
        return 0.0, 0.0, 0.0
    a = -0.5 * mu / eps
    h = np.empty(3)
    h[0] = r[1] * v[2] - r[2] * v[1]
    h[1] = r[2] * v[0] - r[0] * v[2]
    h[2] = r[0] * v[1] - r[1] * v[0]
    hn = math.sqrt(h[0] ** 2 + h[1] ** 2 + h[2] ** 2)
    e = math.sqrt(max(0.0, 1.0 - hn * hn / (mu * a)))
    for i in range(3):
        h[i] /= hn
    cos_i = h[2]
    dnode_rate, dargp_rate = j2_secular_rates(mu, P[J2], P[R_REF], a, e, cos_i)
    dnode = dnode_rate * dt
    dargp = dargp_rate * dt
    _rotate(r, h, dargp)                # r, v: views of y, turned in place
    _rotate(v, h, dargp)
    zax = np.array([0.0, 0.0, 1.0])
    _rotate(r, zax, dnode)
    _rotate(v, zax, dnode)
    p = a * (1.0 - e * e)
    per_cos = -1.5 * math.sqrt(mu / (a * a * a)) * P[J2] * (P[R_REF] / p) ** 2 * dt
    return dnode, dargp, per_cos


# --- atmospheric passes ---------------------------------------------------------------------------
@jit
def _coast_to_entry(y, t, P, alt_b, out8):
    """From an exit (ascending through ``alt_b``) coast on the two-body orbit to the next
    descending crossing of ``alt_b``; returns the time (s) or NaN if the orbit is open/too low."""
    mu = P[MU]
    r = y[0:3]
    v = y[3:6]
    Pv, Qv, e, p, nu = _frame(mu, r, v)
    if e >= 1.0:
        return math.nan
    rb = P[R_REF] + alt_b
    c = (p / rb - 1.0) / e
    if c > 1.0 or c < -1.0:
        return math.nan
    nub = math.acos(c)
    a = p / (1.0 - e * e)
    period = 2.0 * math.pi * math.sqrt(a ** 3 / mu)
    t_here = _time_from_periapsis_nu(mu, e, p, nu)
    t_entry = period - _time_from_periapsis_nu(mu, e, p, nub)   # -nub one revolution later
    tmp = np.empty(6)
    state_at_anomaly(mu, r, v, -nub, tmp)
    for i in range(6):
        out8[i] = tmp[i]
    out8[6] = y[6]
    out8[7] = y[7]
    return t + (t_entry - t_here)


@jit
def _fly_pass(y, t, P, Pl, rtol, info):
    """From a state after the last exit (or before the first entry), coast two-body to the
    next descending crossing of the pass boundary ``min(P[TOP], (h_p + h_a) / 2)`` and
    integrate the pass (``Pl``: two-body + drag) until it rises through it again (or one
    period). ``y`` is updated in place; returns the time at the end (s), or NaN if the orbit
    is open or never reaches the boundary (``info`` then untouched)."""
    mu = P[MU]
    rp, ra = apsides(mu, y[0:3], y[3:6])
    hp = rp - P[R_REF]
    ha = ra - P[R_REF]
    alt_b = min(P[TOP], 0.5 * (hp + ha))
    Pl[EXIT_ALT] = alt_b
    r_now = math.sqrt(y[0] ** 2 + y[1] ** 2 + y[2] ** 2)
    radial = y[0] * y[3] + y[1] * y[4] + y[2] * y[5]
    if r_now > P[R_REF] + alt_b * 1.000001 or radial > 0.0:
        if radial > 0.0:
            # after periapsis: coast on to the next entry
            tn = _coast_to_entry(y, t, P, alt_b, y)
        else:
            tmp = np.empty(6)
            Pv, Qv, e, p, nu = _frame(mu, y[0:3], y[3:6])
            rb = P[R_REF] + alt_b
            nub = math.acos(min(1.0, max(-1.0, (p / rb - 1.0) / e)))
            dt = _time_from_periapsis_nu(mu, e, p, -nub) - _time_from_periapsis_nu(
                mu, e, p, nu)
            state_at_anomaly(mu, y[0:3], y[3:6], -nub, tmp)
            for i in range(6):
                y[i] = tmp[i]
            tn = t + dt
        if math.isnan(tn):
            return math.nan
        t = tn
    a = 0.5 * (rp + ra)
    period = 2.0 * math.pi * math.sqrt(a ** 3 / mu)
    propagate(y, t, t + period, Pl, rtol, info)
    return info[0]


@jit
def _burn_at_apoapsis(y, t, mu, new_rp):
    """Move ``y`` (in place) to the apoapsis of its orbit and change the speed there so that
    the periapsis radius becomes ``new_rp`` (km); returns ``(time at apoapsis s, |dv| km/s)``.
    """
    rp, ra = apsides(mu, y[0:3], y[3:6])
    va_old = math.sqrt(2.0 * mu * rp / (ra * (ra + rp)))
    va_new = math.sqrt(2.0 * mu * new_rp / (ra * (ra + new_rp)))
    Pv, Qv, e, p, nu = _frame(mu, y[0:3], y[3:6])
    t_here = _time_from_periapsis_nu(mu, e, p, nu)
    aa = p / (1.0 - e * e)
    t_apo = math.pi * math.sqrt(aa ** 3 / mu)
    tmp = np.empty(6)
    state_at_anomaly(mu, y[0:3], y[3:6], math.pi, tmp)
    sc = va_new / va_old
    for i in range(3):
        y[i] = tmp[i]
        y[3 + i] = tmp[3 + i] * sc
    dt = t_apo - t_here
    if dt > 2.0 * t_apo * (1.0 - 1e-9):
        # already at apoapsis, on the far side of the anomaly's +-pi cut (a trim right after
        # a corridor burn): no extra revolution
        dt -= 2.0 * t_apo
    return t + dt, abs(va_new - va_old)


@jit
def _apoapsis_after_pass(y, t, P, Pl, rtol, new_rp, ytr, info):
    """Apoapsis radius (km) after the next pass if the periapsis is first moved to ``new_rp``
    at apoapsis (``y`` untouched; ``ytr`` (8,) scratch); -1 for a re-entry, +inf if open."""
    for i in range(8):
        ytr[i] = y[i]
    t1, dv = _burn_at_apoapsis(ytr, t, P[MU], new_rp)
    t2 = _fly_pass(ytr, t1, P, Pl, rtol, info)
    if math.isnan(t2):
        return math.inf
    if info[1] == FLOOR_HIT:
        return -1.0
    rp, ra = apsides(P[MU], ytr[0:3], ytr[3:6])
    return ra


#: last-pass trim: the periapsis is bisected until the apoapsis after the last pass is within
#: this many km under the target (or the bracket is narrower than 1 micrometre)
_TRIM_TOL_KM = 0.01


@jit
def aerobrake(y0, t0, P, rtol, target_ra, q_max, g_max, load_max, q_low, q_high,
              dh_step, max_passes, max_days, history):
    """Aerobraking campaign from a periapsis-pass state: pass by pass until the apoapsis
    radius is at most ``target_ra`` (km).

    ``y0`` (8,) is a state before the first pass (any point above the pass boundary on the
    way in, or at periapsis). Each pass is integrated through the atmosphere between the
    boundary altitude ``min(P[TOP], (h_p + h_a) / 2)``; the coast between passes is two-body,
    and so is the gravity inside a pass (``P[J2]`` is ignored here, see below).
    Corridor control: after a pass whose peak heat rate exceeds ``q_high * q_max`` (or whose
    peak g exceeds ``q_high * g_max``, or heat load ``load_max``), the periapsis is raised by
    ``dh_step`` km with a burn at apoapsis; below ``q_low * q_max`` it is lowered by
    ``dh_step``. Those burns are costed (impulsive; they are a few m/s).
    Last pass: when the next pass would take the apoapsis below ``target_ra`` (checked by
    flying it once the target is within four decays of the last pass), its periapsis is raised
    at apoapsis (bisection, each trial a flown pass) so that it ends within
    :data:`_TRIM_TOL_KM` under ``target_ra``; that trim is costed like a corridor burn.

    J2: the coasts are Kepler arcs, so the passes are two-body as well. With J2 inside a pass
    only, the Keplerian energy of the osculating state changes between entry and exit by the
    J2 potential difference of the two points (~150 km of apoapsis per pass with no air at
    all in tests/test_arrival_energy.py, sign of ``sin 2 omega``), which the next coast then
    keeps: energy created from nothing. The
    J2 perturbation over the few minutes of a pass is a short-period term that averages out;
    what J2 does over a campaign of days is secular, and that is applied (when ``P[J2]`` is
    not 0): after every revolution the state is turned by the first-order secular drift of
    node and periapsis over the revolution's duration (:func:`j2_secular_drift`), which
    keeps a and e.

    ``history`` (max_passes, 7) receives per pass: time (s), periapsis altitude (km),
    apoapsis altitude (km) after the pass, peak q (W/m^2), peak g, heat load (J/m^2),
    corridor burn (km/s; the last pass's trim included).

    Returns ``(status, passes, t_end, corridor_dv km/s, peak_q, peak_g, peak_load, y_end,
    drift)``, ``drift`` (3,) the summed secular J2 drift of the node, of the periapsis (rad)
    and of the node per unit ``cos i`` (rad; times the cosine of another inclination, the
    drift an orbit of that inclination with the same apsides history would have had);
    status 0 done, 1 too many passes or days, 2 re-entry, 3 escaped / not captured, 4 a
    corridor burn could not bring the heat rate under its limit.
    """
    mu = P[MU]
    y = y0.copy()
    t = t0
    info = np.empty(N_INFO)
    info_tr = np.empty(N_INFO)
    ytr = np.empty(8)
    corridor_dv = 0.0
    peak_q = 0.0
    peak_g = 0.0
    peak_load = 0.0
    status = 1
    npass = 0
    Pl = P.copy()
    Pl[STOP_EXIT] = 1.0
    Pl[THRUST] = 0.0
    Pl[J2] = 0.0            # two-body + drag: consistent with the Kepler coasts
    raised_in_a_row = 0
    drift = np.zeros(3)
    for k in range(max_passes):
        t_rev = t
        rp, ra = apsides(mu, y[0:3], y[3:6])
        if ra == math.inf or ra <= 0.0:
            status = 3
            break
        if ra <= target_ra:
            status = 0
            break
        if t - t0 > max_days * 86400.0:
            status = 1
            break
        q0 = y[7]
        tn = _fly_pass(y, t, P, Pl, rtol, info)
        if math.isnan(tn):
            status = 3
            break
        t = tn
        npass += 1
        load = y[7] - q0
        peak_q = max(peak_q, info[3])
        peak_g = max(peak_g, info[2])
        peak_load = max(peak_load, load)
        if info[1] == FLOOR_HIT:
            status = 2
            break
        rp2, ra2 = apsides(mu, y[0:3], y[3:6])
        if ra2 == math.inf:
            status = 3
            break
        # corridor control at the coming apoapsis (impulsive: a few m/s). The binding limit's
        # fraction f = max(q/q_max, g/g_max, load/load_max) is brought back to the middle of
        # [q_low, q_high]: q ~ sqrt(rho), so the periapsis moves by 2 H ln(f / f_mid) (H the
        # local scale height), at most dh_step km down or 4 dh_step up; during the walk-out
        # (apoapsis below 2,000 km) the periapsis is only raised
        dv = 0.0
        frac = max(info[3] / q_max, info[2] / g_max, load / load_max)
        hot = frac > q_high
        cold = frac < q_low and ra2 - P[R_REF] > 2000.0
        if hot or cold:
            hp2 = rp2 - P[R_REF]
            rho_a = _air_density(hp2, P)
            rho_b = _air_density(hp2 + 1.0, P)
            H = 1.0 / math.log(rho_a / rho_b) if rho_a > rho_b > 0.0 else 7.0
            dh = 2.0 * H * math.log(frac / (0.5 * (q_low + q_high)))
            dh = min(max(dh, -dh_step), 4.0 * dh_step)
            if hot:
                raised_in_a_row += 1
            else:
                raised_in_a_row = 0
            new_rp = rp2 + dh
            if ra2 > new_rp > P[R_REF] + P[FLOOR]:
                t, dv = _burn_at_apoapsis(y, t, mu, new_rp)
                corridor_dv += dv
            if raised_in_a_row > 200:
                status = 4
                history[k, 0] = t
                break
        # last-pass trim: if the next pass would end under the target apoapsis, raise its
        # periapsis at apoapsis just enough (bisection on flown passes; the apoapsis after a
        # pass grows with its periapsis) that it ends within _TRIM_TOL_KM under the target.
        # Without it the campaign overshoots by up to one pass's decay (tens of km of apoapsis
        # on the walk-out, or a re-entry) and the closing burn pays for it. The trial pass is flown
        # only when the target is within 4 of this pass's decays (a corridor burn changes the
        # next decay by at most exp(dh_step / H) ~ 2), not on every pass
        if target_ra < ra2 < target_ra + 4.0 * max(ra - ra2, 0.0) + 1.0:
            rp_now, ra_now = apsides(mu, y[0:3], y[3:6])
            if _apoapsis_after_pass(y, t, P, Pl, rtol, rp_now, ytr, info_tr) < target_ra:
                lo = rp_now
                hi = min(ra_now, P[R_REF] + P[TOP])
                for _ in range(100):
                    if hi - lo < 1e-9:
                        break
                    mid = 0.5 * (lo + hi)
                    ra_mid = _apoapsis_after_pass(y, t, P, Pl, rtol, mid, ytr, info_tr)
                    if ra_mid < target_ra:
                        lo = mid
                        if ra_mid > target_ra - _TRIM_TOL_KM:
                            break
                    else:
                        hi = mid
                if lo > rp_now:
                    t, dtrim = _burn_at_apoapsis(y, t, mu, lo)
                    dv += dtrim
                    corridor_dv += dtrim
        # secular J2 over this revolution (pass, coast and burns): node and periapsis turn,
        # a and e stay (the short-period part is left out of the passes, see above)
        dn, dw, dc = j2_secular_drift(y, t - t_rev, P)
        drift[0] += dn
        drift[1] += dw
        drift[2] += dc
        history[k, 0] = t
        history[k, 1] = rp2 - P[R_REF]
        history[k, 2] = ra2 - P[R_REF]
        history[k, 3] = info[3]
        history[k, 4] = info[2]
        history[k, 5] = load
        history[k, 6] = dv
    else:
        rp, ra = apsides(mu, y[0:3], y[3:6])
        status = 0 if ra <= target_ra else 1
    return status, npass, t, corridor_dv, peak_q, peak_g, peak_load, y, drift


@jit
def entry_pass(y0, t0, P, rtol, bank_cos, t_max, y_out):
    """One atmospheric pass at constant ``bank_cos`` from an entry state: integrate until the
    vehicle rises through ``P[EXIT_ALT]`` (status EXITED), falls below ``P[FLOOR]`` (FLOOR_HIT)
    or ``t_max`` s pass (DONE: still in the atmosphere, i.e. captured into it).

    Returns ``info`` (N_INFO,); the final state goes into ``y_out`` (8,)."""
    Pl = P.copy()
    Pl[BANK_COS] = bank_cos
    Pl[STOP_EXIT] = 1.0
    for i in range(8):
        y_out[i] = y0[i]
    info = np.empty(N_INFO)
    propagate(y_out, t0, t0 + t_max, Pl, rtol, info)
    return info


@jit
def _predict_apoapsis(y, t, P, rtol, bank_cos, t_max, ytmp):
    """Apoapsis radius (km) at exit with constant bank from (y, t); -1 re-entry/captured in the
    atmosphere, +inf open orbit."""
    info = entry_pass(y, t, P, rtol, bank_cos, t_max, ytmp)
    if info[1] != EXITED:
        return -1.0
    rp, ra = apsides(P[MU], ytmp[0:3], ytmp[3:6])
    return ra


@jit
def aerocapture_pass(y0, t0, P, rtol, target_ra, guidance_dt, t_max, y_out):
    """One aerocapture pass with a simple numerical predictor-corrector on cos(bank).

    Every ``guidance_dt`` s the exit apoapsis is predicted for constant bank (the rest of the
    pass integrated) and cos(bank) in [-1, 1] is solved by bisection so that it equals
    ``target_ra`` (km); the command is held until the next cycle (saturated at +/-1 when the
    target is out of reach).

    Returns ``info`` (N_INFO,) of the whole pass (status EXITED = captured or skipped: look at
    the exit orbit; FLOOR_HIT = re-entry; DONE = still inside after ``t_max``); final state in
    ``y_out``.
    """
    y = y0.copy()
    t = t0
    ytmp = np.empty(8)
    info = np.empty(N_INFO)
    total = np.zeros(N_INFO)
    total[4] = 1e300
    Pl = P.copy()
    Pl[STOP_EXIT] = 1.0
    t_end = t0 + t_max
    while t < t_end:
        # predictor-corrector: cos(bank) giving the target apoapsis. The predicted apoapsis
        # grows with cos(bank) (lift up loses less energy); re-entry counts as -1, an open
        # orbit as +inf, so bisection on "below the target" works across both
        ra_hi = _predict_apoapsis(y, t, P, rtol, 1.0, t_end - t, ytmp)
        if ra_hi < target_ra:
            u = 1.0
        else:
            ra_lo = _predict_apoapsis(y, t, P, rtol, -1.0, t_end - t, ytmp)
            if ra_lo >= target_ra:
                u = -1.0
            else:
                lo, hi = -1.0, 1.0
                for _ in range(_BISECTIONS):
                    u = 0.5 * (lo + hi)
                    if _predict_apoapsis(y, t, P, rtol, u, t_end - t, ytmp) < target_ra:
                        lo = u
                    else:
                        hi = u
                u = 0.5 * (lo + hi)
        Pl[BANK_COS] = u
        t_next = min(t + guidance_dt, t_end)
        propagate(y, t, t_next, Pl, rtol, info)
        total[2] = max(total[2], info[2])
        total[3] = max(total[3], info[3])
        total[4] = min(total[4], info[4])
        total[5] += info[5]
        total[6] += info[6]
        t = info[0]
        if info[1] != DONE:
            total[1] = info[1]
            break
        total[1] = DONE
    total[0] = t
    for i in range(8):
        y_out[i] = y[i]
    return total
