"""Adaptive Dormand-Prince 8(5,3) integrator (DOP853) with dense output and event location.

One compiled call integrates a whole trajectory: no Python runs per step. The algorithm is the one
of ``scipy.integrate.solve_ivp(method="DOP853")`` operation for operation, so that on the same
problem both take the same accepted and rejected steps, make the same number of right-hand-side
evaluations and agree to round-off (scipy sums the stages through BLAS in another order, so
individual step sizes agree to ~1e-6 relative and, where error estimates sit at round-off level,
a step count can differ; see docs/performance.md):

* initial step: Hairer, Norsett & Wanner (1993) Sec. II.4 as in scipy's ``select_initial_step``
  (RMS norms of ``y0`` and ``f0`` scaled by ``atol + rtol |y0|``, one trial Euler step);
* error estimate: the 5th-order estimator ``E5`` corrected by the 3rd-order one ``E3`` as in
  Hairer's ``dop853.f``: ``err = |h| |E5 K|^2 / sqrt(n (|E5 K|^2 + 0.01 |E3 K|^2))`` with each
  component divided by ``atol_i + rtol max(|y_i|, |y_new_i|)``;
* step control: accept when ``err < 1``; new step ``h * min(10, 0.9 err^(-1/8))`` (at most 1 after
  a rejection in the same step), on rejection ``h * max(0.2, 0.9 err^(-1/8))``; the step never
  drops below ``10 ulp(t)`` (else status ``STATUS_STEP_TOO_SMALL``) and is clipped to ``max_step``
  and to the end of the interval;
* dense output: Hairer's 7th-order continuous extension (three extra stages, 3 RHS evaluations),
  computed only for steps that contain a requested output time or an event sign change (scipy
  does the same, so the counters agree);
* events: after each accepted step the active event functions are compared with their values at
  the start of the step (scipy's rule, direction-aware); each sign change is located by Brent's
  method on the dense output (a port of scipy's ``brentq`` with ``xtol = rtol = 4 eps``, as
  ``solve_ivp`` uses: far below 1 ms). Events may be terminal at their k-th occurrence. As in
  scipy, an event function that is exactly zero at ``t0`` fires on the first step if it moves
  in its direction (restarting from an event's root can find it again).

Units are those of the model (see :mod:`massdriver.kernels.forces`). The method coefficients are in
:mod:`massdriver.kernels.dop853_coefficients`.

Entry points
------------
:func:`integrate`
    The compiled kernel, returning a raw tuple (documented there).
:func:`integrate_packed`
    The same with the ephemeris already packed (:func:`massdriver.kernels.forces.pack_ephemeris`).
:func:`propagate`
    Thin Python wrapper: validates and converts arguments, calls :func:`integrate` and packs the
    tuple into a :class:`Propagation` named tuple.

Status codes
------------
``STATUS_FINISHED = 0`` reached ``t_end`` (the "time-out" outcome); ``STATUS_EVENT = 1`` stopped
by a terminal event; ``STATUS_STEP_TOO_SMALL = -1`` the step fell below ``10 ulp(t)`` (e.g. a
singularity, non-finite derivatives); ``STATUS_MAX_STEPS = -2`` ``max_steps`` accepted steps were
taken before ``t_end``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from massdriver.kernels import dop853_coefficients as cf
from massdriver.kernels.forces import (
    EV_PERIGEE,
    EV_TIME,
    EVENT_DIRECTIONS,
    EVENT_NAMES,
    MODEL_CR3BP,
    MODEL_EPHEMERIS,
    N_EVENTS,
    P_MU,
    P_PERIGEE_MAX_RADIUS,
    P_T_REF,
    P_T_TARGET,
    event_value,
    pack_ephemeris,
    rhs,
    state_rhs,
)
from massdriver.kernels.jit import jit

__all__ = [
    "STATUS_FINISHED", "STATUS_EVENT", "STATUS_STEP_TOO_SMALL", "STATUS_MAX_STEPS",
    "STATUS_MESSAGES", "EVENT_OFF", "EVENT_RECORD", "SAFETY", "MIN_FACTOR", "MAX_FACTOR",
    "integrate", "integrate_packed", "select_initial_step", "rk_step", "error_norm", "dense_coefficients",
    "step_factor", "detect_events", "handle_events", "error_scale", "error_finish", "N_STATE",
    "dense_eval", "step_dense", "Propagation", "propagate", "check_method", "event_modes", "event_workspace",
]

STATUS_FINISHED = 0
STATUS_EVENT = 1
STATUS_STEP_TOO_SMALL = -1
STATUS_MAX_STEPS = -2
STATUS_MESSAGES = {
    STATUS_FINISHED: "reached the end of the integration interval",
    STATUS_EVENT: "a terminal event occurred",
    STATUS_STEP_TOO_SMALL: "required step size is less than spacing between numbers",
    STATUS_MAX_STEPS: "maximum number of steps reached",
}

#: ``event_modes`` values: 0 = inactive, -1 = record every occurrence, k >= 1 = terminal at the
#: k-th occurrence (also recorded).
EVENT_OFF = 0
EVENT_RECORD = -1

SAFETY = 0.9          # safety factor on the asymptotic step-size estimate
MIN_FACTOR = 0.2      # smallest step decrease after a rejection
MAX_FACTOR = 10.0     # largest step increase after an acceptance
ERROR_EXPONENT = -1.0 / (cf.ERROR_ESTIMATOR_ORDER + 1)
_EPS = float(np.finfo(float).eps)
_EVENT_TOL = 4.0 * _EPS   # brentq xtol and rtol used by scipy's solve_ivp event location
_EVENT_MAXITER = 100

# 3rd-order comparison weights E3_j = b_j - bhh_j (computed exactly as scipy builds its E3)
_E3_1 = cf.A13_1 - cf.BHH1
_E3_9 = cf.A13_9 - cf.BHH9
_E3_12 = cf.A13_12 - cf.BHH12

_EV_DIR = np.array(EVENT_DIRECTIONS, dtype=np.int64)

#: State dimension of every model (position and velocity); fixed so the compiler unrolls the
#: stage loops.
N_STATE = 6


@jit(inline="always")
def _eighth_root(x):
    """``x ** (1/8)`` by three square roots (3x cheaper than ``pow``; equal to ~1 ulp, and NaN
    for NaN like the power). ``ERROR_EXPONENT = -1/8`` is hard-wired here."""
    return math.sqrt(math.sqrt(math.sqrt(x)))


@jit(inline="always")
def rk_step(model, t, y, h, K, ytmp, y_new, params, tab, n):
    """One DOP853 step of size ``h`` from ``(t, y)``: fills stages ``K[1..12]`` and ``y_new``.

    ``K[0]`` must hold ``f(t, y)`` on entry; on exit ``K[12] = f(t + h, y_new)`` (12 RHS
    evaluations). ``ytmp`` is scratch. ``n`` is the state dimension: pass a constant
    (``N_STATE``) so that, inlined, the compiler unrolls the stage loops (a run-time ``n`` makes
    the CR3BP step ~35 % slower).
    """
    for i in range(n):
        ytmp[i] = y[i] + (cf.A2_1 * K[0, i]) * h
    state_rhs(model, t + cf.C2 * h, ytmp, params, tab, K, 1, n)
    for i in range(n):
        ytmp[i] = y[i] + (cf.A3_1 * K[0, i] + cf.A3_2 * K[1, i]) * h
    state_rhs(model, t + cf.C3 * h, ytmp, params, tab, K, 2, n)
    for i in range(n):
        ytmp[i] = y[i] + (cf.A4_1 * K[0, i] + cf.A4_3 * K[2, i]) * h
    state_rhs(model, t + cf.C4 * h, ytmp, params, tab, K, 3, n)
    for i in range(n):
        ytmp[i] = y[i] + (cf.A5_1 * K[0, i] + cf.A5_3 * K[2, i] + cf.A5_4 * K[3, i]) * h
    state_rhs(model, t + cf.C5 * h, ytmp, params, tab, K, 4, n)
    for i in range(n):
        ytmp[i] = y[i] + (cf.A6_1 * K[0, i] + cf.A6_4 * K[3, i] + cf.A6_5 * K[4, i]) * h
    state_rhs(model, t + cf.C6 * h, ytmp, params, tab, K, 5, n)
    for i in range(n):
        ytmp[i] = y[i] + (cf.A7_1 * K[0, i] + cf.A7_4 * K[3, i] + cf.A7_5 * K[4, i]
                          + cf.A7_6 * K[5, i]) * h
    state_rhs(model, t + cf.C7 * h, ytmp, params, tab, K, 6, n)
    for i in range(n):
        ytmp[i] = y[i] + (cf.A8_1 * K[0, i] + cf.A8_4 * K[3, i] + cf.A8_5 * K[4, i]
                          + cf.A8_6 * K[5, i] + cf.A8_7 * K[6, i]) * h
    state_rhs(model, t + cf.C8 * h, ytmp, params, tab, K, 7, n)
    for i in range(n):
        ytmp[i] = y[i] + (cf.A9_1 * K[0, i] + cf.A9_4 * K[3, i] + cf.A9_5 * K[4, i]
                          + cf.A9_6 * K[5, i] + cf.A9_7 * K[6, i] + cf.A9_8 * K[7, i]) * h
    state_rhs(model, t + cf.C9 * h, ytmp, params, tab, K, 8, n)
    for i in range(n):
        ytmp[i] = y[i] + (cf.A10_1 * K[0, i] + cf.A10_4 * K[3, i] + cf.A10_5 * K[4, i]
                          + cf.A10_6 * K[5, i] + cf.A10_7 * K[6, i] + cf.A10_8 * K[7, i]
                          + cf.A10_9 * K[8, i]) * h
    state_rhs(model, t + cf.C10 * h, ytmp, params, tab, K, 9, n)
    for i in range(n):
        ytmp[i] = y[i] + (cf.A11_1 * K[0, i] + cf.A11_4 * K[3, i] + cf.A11_5 * K[4, i]
                          + cf.A11_6 * K[5, i] + cf.A11_7 * K[6, i] + cf.A11_8 * K[7, i]
                          + cf.A11_9 * K[8, i] + cf.A11_10 * K[9, i]) * h
    state_rhs(model, t + cf.C11 * h, ytmp, params, tab, K, 10, n)
    for i in range(n):
        ytmp[i] = y[i] + (cf.A12_1 * K[0, i] + cf.A12_4 * K[3, i] + cf.A12_5 * K[4, i]
                          + cf.A12_6 * K[5, i] + cf.A12_7 * K[6, i] + cf.A12_8 * K[7, i]
                          + cf.A12_9 * K[8, i] + cf.A12_10 * K[9, i] + cf.A12_11 * K[10, i]) * h
    state_rhs(model, t + cf.C12 * h, ytmp, params, tab, K, 11, n)
    for i in range(n):
        y_new[i] = y[i] + h * (cf.A13_1 * K[0, i] + cf.A13_6 * K[5, i] + cf.A13_7 * K[6, i]
                               + cf.A13_8 * K[7, i] + cf.A13_9 * K[8, i] + cf.A13_10 * K[9, i]
                               + cf.A13_11 * K[10, i] + cf.A13_12 * K[11, i])
    state_rhs(model, t + h, y_new, params, tab, K, 12, n)


@jit(inline="always")
def error_norm(K, h, y, y_new, rtol, atol, n):
    """Scaled error of the last step (accept when < 1), as scipy's ``DOP853._estimate_error_norm``.

    Parameters
    ----------
    K : ndarray, shape (>= 13, n)
        Stages of the step.
    h : float
        Step.
    y, y_new : ndarray, shape (n,)
        States at the start and end of the step.
    rtol : float
        Relative tolerance.
    atol : ndarray, shape (n,)
        Absolute tolerances.

    Returns
    -------
    float
        Error norm (may be NaN if the step produced non-finite values).
    """
    s5 = 0.0
    s3 = 0.0
    for i in range(n):
        scale = error_scale(atol[i], y[i], y_new[i], rtol)
        e5 = (cf.ER1 * K[0, i] + cf.ER6 * K[5, i] + cf.ER7 * K[6, i] + cf.ER8 * K[7, i]
              + cf.ER9 * K[8, i] + cf.ER10 * K[9, i] + cf.ER11 * K[10, i]
              + cf.ER12 * K[11, i]) / scale
        e3 = (_E3_1 * K[0, i] + cf.A13_6 * K[5, i] + cf.A13_7 * K[6, i] + cf.A13_8 * K[7, i]
              + _E3_9 * K[8, i] + cf.A13_10 * K[9, i] + cf.A13_11 * K[10, i]
              + _E3_12 * K[11, i]) / scale
        s5 += e5 * e5
        s3 += e3 * e3
    return error_finish(s5, s3, h, n)


@jit(inline="always")
def error_scale(atol_i, y_i, y_new_i, rtol):
    """``atol_i + max(|y_i|, |y_new_i|) rtol`` (written as a select so loops vectorise)."""
    a = abs(y_i)
    b = abs(y_new_i)
    return atol_i + (a if a >= b else b) * rtol


@jit(inline="always")
def error_finish(s5, s3, h, n):
    """scipy's DOP853 error norm from the sums of squared scaled 5th/3rd-order estimates."""
    # scipy squares np.linalg.norm (a square root): reproduce that rounding
    r5 = math.sqrt(s5)
    r3 = math.sqrt(s3)
    err5_sq = r5 * r5
    err3_sq = r3 * r3
    denom = err5_sq + 0.01 * err3_sq
    value = abs(h) * err5_sq / math.sqrt(denom * n)
    return 0.0 if (err5_sq == 0.0 and err3_sq == 0.0) else value


@jit
def dense_coefficients(model, t_old, y_old, y_new, h, K, ytmp, F, params, tab):
    """Coefficients ``F`` (7, n) of the 7th-order dense output of the step ``t_old -> t_old + h``.

    Evaluates the three extra stages ``K[13..15]`` (3 RHS evaluations); ``K[0]`` and ``K[12]`` are
    the derivatives at both ends of the step.
    """
    n = y_old.shape[0]
    for i in range(n):
        ytmp[i] = y_old[i] + (cf.A14_1 * K[0, i] + cf.A14_7 * K[6, i] + cf.A14_8 * K[7, i]
                              + cf.A14_9 * K[8, i] + cf.A14_10 * K[9, i] + cf.A14_11 * K[10, i]
                              + cf.A14_12 * K[11, i] + cf.A14_13 * K[12, i]) * h
    state_rhs(model, t_old + cf.C14 * h, ytmp, params, tab, K, 13, n)
    for i in range(n):
        ytmp[i] = y_old[i] + (cf.A15_1 * K[0, i] + cf.A15_6 * K[5, i] + cf.A15_7 * K[6, i]
                              + cf.A15_8 * K[7, i] + cf.A15_11 * K[10, i] + cf.A15_12 * K[11, i]
                              + cf.A15_13 * K[12, i] + cf.A15_14 * K[13, i]) * h
    state_rhs(model, t_old + cf.C15 * h, ytmp, params, tab, K, 14, n)
    for i in range(n):
        ytmp[i] = y_old[i] + (cf.A16_1 * K[0, i] + cf.A16_6 * K[5, i] + cf.A16_7 * K[6, i]
                              + cf.A16_8 * K[7, i] + cf.A16_9 * K[8, i] + cf.A16_13 * K[12, i]
                              + cf.A16_14 * K[13, i] + cf.A16_15 * K[14, i]) * h
    state_rhs(model, t_old + cf.C16 * h, ytmp, params, tab, K, 15, n)
    for i in range(n):
        dy = y_new[i] - y_old[i]
        f_old = K[0, i]
        F[0, i] = dy
        F[1, i] = h * f_old - dy
        F[2, i] = 2.0 * dy - h * (K[12, i] + f_old)
        for k in range(4):
            acc = 0.0
            for j in range(16):
                acc += cf.D[k, j] * K[j, i]
            F[3 + k, i] = h * acc


@jit
def dense_eval(t, t_old, h_dense, y_old, F, out):
    """Evaluate the dense output of a step at ``t`` into ``out`` (scipy's nested form).

    ``h_dense = t_new - t_old``; ``x = (t - t_old) / h_dense`` in ``[0, 1]`` inside the step.
    """
    x = (t - t_old) / h_dense
    n = y_old.shape[0]
    for i in range(n):
        v = F[6, i] * x
        v = (v + F[5, i]) * (1.0 - x)
        v = (v + F[4, i]) * x
        v = (v + F[3, i]) * (1.0 - x)
        v = (v + F[2, i]) * x
        v = (v + F[1, i]) * (1.0 - x)
        v = (v + F[0, i]) * x
        out[i] = v + y_old[i]


@jit
def step_dense(t, t_old, h_dense, y_old, F, out):
    """A step's dense output at ``t`` into ``out``, for the event search and ``t_eval``.

    ``F`` is either this module's interpolant (``INTERPOLATOR_POWER`` = 7 rows, from
    :func:`dense_coefficients`; evaluated by :func:`dense_eval`) or the Taylor polynomial of a
    step of :mod:`massdriver.kernels.taylor` (``p + 1 >= 9`` rows, ``F[k] = y^(k)(t_old) / k!``).
    One function for both, told apart by the row count, so that :func:`handle_events` serves
    both integrators (passing the evaluator as a function argument instead stops numba from
    caching every caller).
    """
    if F.shape[0] == cf.INTERPOLATOR_POWER:
        dense_eval(t, t_old, h_dense, y_old, F, out)
        return
    tau = t - t_old
    p = F.shape[0] - 1
    for i in range(out.shape[0]):
        v = F[p, i]
        for k in range(p - 1, -1, -1):
            v = v * tau + F[k, i]
        out[i] = v


@jit
def _event_on_dense(model, event, t, t_old, h_dense, y_old, F, work, params, tab):
    """Event function ``event`` on the dense output at ``t`` (:func:`step_dense`). For the
    regularised state (7 components, :mod:`massdriver.kernels.sundman`) ``t`` is the fictitious
    time: the events see the physical time ``params[P_T_REF] + Y[6]``, and ``EV_TIME`` is
    ``Y[6] - params[P_T_TARGET]``."""
    step_dense(t, t_old, h_dense, y_old, F, work)
    if work.shape[0] > N_STATE:
        if event == EV_TIME:
            return work[N_STATE] - params[P_T_TARGET]
        return event_value(model, event, params[P_T_REF] + work[N_STATE], work, params, tab)
    return event_value(model, event, t, work, params, tab)


@jit
def _locate_event(model, event, xa, xb, t_old, h_dense, y_old, F, work, params, tab):
    """Root of event ``event`` on the dense output in ``[xa, xb]``: scipy's ``brentq`` algorithm
    (Brent 1973, as in scipy/optimize/Zeros/brentq.c) with ``xtol = rtol = 4 eps``."""
    xpre = xa
    xcur = xb
    fpre = _event_on_dense(model, event, xpre, t_old, h_dense, y_old, F, work, params, tab)
    fcur = _event_on_dense(model, event, xcur, t_old, h_dense, y_old, F, work, params, tab)
    if fpre == 0.0:
        return xpre
    if fcur == 0.0:
        return xcur
    if (fpre < 0.0) == (fcur < 0.0):
        # the interpolant's end value disagrees in sign with the step's (round-off at a root
        # sitting on the step boundary): take the end closer to zero
        return xpre if abs(fpre) < abs(fcur) else xcur
    xblk = 0.0
    fblk = 0.0
    spre = 0.0
    scur = 0.0
    for _ in range(_EVENT_MAXITER):
        if fpre != 0.0 and fcur != 0.0 and ((fpre < 0.0) != (fcur < 0.0)):
            xblk = xpre
            fblk = fpre
            spre = scur = xcur - xpre
        if abs(fblk) < abs(fcur):
            xpre = xcur
            xcur = xblk
            xblk = xpre
            fpre = fcur
            fcur = fblk
            fblk = fpre
        delta = (_EVENT_TOL + _EVENT_TOL * abs(xcur)) / 2.0
        sbis = (xblk - xcur) / 2.0
        if fcur == 0.0 or abs(sbis) < delta:
            return xcur
        if abs(spre) > delta and abs(fcur) < abs(fpre):
            if xpre == xblk:
                stry = -fcur * (xcur - xpre) / (fcur - fpre)       # secant
            else:
                dpre = (fpre - fcur) / (xpre - xcur)              # inverse quadratic
                dblk = (fblk - fcur) / (xblk - xcur)
                stry = -fcur * (fblk * dblk - fpre * dpre) / (dblk * dpre * (fblk - fpre))
            if 2.0 * abs(stry) < min(abs(spre), 3.0 * abs(sbis) - delta):
                spre = scur
                scur = stry
            else:
                spre = sbis
                scur = sbis
        else:
            spre = sbis
            scur = sbis
        xpre = xcur
        fpre = fcur
        if abs(scur) > delta:
            xcur += scur
        else:
            xcur += delta if sbis > 0.0 else -delta
        fcur = _event_on_dense(model, event, xcur, t_old, h_dense, y_old, F, work, params, tab)
    return xcur


@jit
def select_initial_step(model, t0, y0, f0, t_bound, max_step, direction, rtol, atol, params,
                        tab, K, work):
    """First step size, as scipy's ``select_initial_step`` for an error estimator of order 7.

    Makes one RHS evaluation (written into ``K[1]``, used as scratch; ``work`` is scratch too).

    Returns
    -------
    float
        Absolute value of the first step (model time units).
    """
    n = y0.shape[0]
    interval_length = abs(t_bound - t0)
    if interval_length == 0.0:
        return 0.0
    s0 = 0.0
    s1 = 0.0
    for i in range(n):
        scale = atol[i] + abs(y0[i]) * rtol
        s0 += (y0[i] / scale) ** 2
        s1 += (f0[i] / scale) ** 2
    d0 = math.sqrt(s0) / math.sqrt(n)
    d1 = math.sqrt(s1) / math.sqrt(n)
    if d0 < 1e-5 or d1 < 1e-5:
        h0 = 1e-6
    else:
        h0 = 0.01 * d0 / d1
    h0 = min(h0, interval_length)
    for i in range(n):
        work[i] = y0[i] + h0 * direction * f0[i]
    state_rhs(model, t0 + h0 * direction, work, params, tab, K, 1, n)
    s2 = 0.0
    for i in range(n):
        scale = atol[i] + abs(y0[i]) * rtol
        s2 += ((K[1, i] - f0[i]) / scale) ** 2
    d2 = math.sqrt(s2) / math.sqrt(n) / h0
    if d1 <= 1e-15 and d2 <= 1e-15:
        h1 = max(1e-6, h0 * 1e-3)
    else:
        h1 = (0.01 / max(d1, d2)) ** (1.0 / (cf.ERROR_ESTIMATOR_ORDER + 1))
    return min(100.0 * h0, h1, interval_length, max_step)


@jit(inline="always")
def step_factor(err, step_rejected, safety):
    """scipy's step-size update: ``(accepted, factor)`` for error norm ``err``.

    Accepted (``err < 1``): ``min(10, safety err^(-1/8))``, at most 1 after a rejection in the
    same step; rejected: ``max(0.2, safety err^(-1/8))`` (0.2 for a NaN error, like Python's
    ``max``). scipy's ``safety`` is ``SAFETY`` = 0.9.
    """
    if err < 1.0:
        if err == 0.0:
            factor = MAX_FACTOR
        else:
            factor = safety / _eighth_root(err)
            if not factor < MAX_FACTOR:
                factor = MAX_FACTOR
        if step_rejected and factor > 1.0:
            factor = 1.0
        return True, factor
    factor = safety / _eighth_root(err)
    if not factor > MIN_FACTOR:
        factor = MIN_FACTOR
    return False, factor


@jit(inline="always")
def detect_events(model, event_modes, t_new, y_new, params, tab, g, g_new, found):
    """Evaluate the active event functions at the end of a step and list the sign changes.

    ``g`` holds the values at the start of the step; ``g_new`` receives the new ones and
    ``found[:n]`` the events whose function crossed zero in their direction (scipy's rule:
    ``g <= 0 <= g_new`` going up, ``g >= 0 >= g_new`` going down). A perigee whose step ends
    farther than ``params[P_PERIGEE_MAX_RADIUS]`` from the Earth is skipped.

    Returns
    -------
    int
        Number of events found.
    """
    n_found = 0
    for e in range(N_EVENTS):
        if event_modes[e] == 0:
            continue
        gn = event_value(model, e, t_new, y_new, params, tab)
        go = g[e]
        g_new[e] = gn
        up = go <= 0.0 and gn >= 0.0
        down = go >= 0.0 and gn <= 0.0
        if (up and _EV_DIR[e] > 0) or (down and _EV_DIR[e] < 0):
            if e == EV_PERIGEE and not _near_enough(model, y_new, params, tab):
                continue
            found[n_found] = e
            n_found += 1
    return n_found


@jit(inline="always")
def _near_enough(model, y, params, tab):
    """Whether ``y`` is within ``params[P_PERIGEE_MAX_RADIUS]`` of the Earth."""
    x = y[0]
    if tab is None or model == MODEL_CR3BP:
        x = y[0] + params[P_MU]
    return math.sqrt(x * x + y[1] * y[1] + y[2] * y[2]) <= params[P_PERIGEE_MAX_RADIUS]


@jit
def handle_events(model, event_modes, n_found, found, roots, t, t_new, h_dense, y, y_new, F,
                  work, params, tab, direction, event_count, event_t, event_y):
    """Locate the events of a step, record them and decide termination (scipy's rules).

    ``F`` holds the dense output of the step that starts at ``(t, y)`` and is ``h_dense`` long
    (:func:`dense_coefficients`, or a Taylor polynomial: :func:`step_dense`); the events are
    sought in ``[t, t_new]`` (``t_new`` may end before the step does). Finds each root by
    Brent's method, orders them along the integration when a terminal event fires and keeps
    the events up to the first terminal one. On termination ``y_new`` is overwritten with the
    state at the event. With the regularised state (7 components) the recorded event times are
    physical (``params[P_T_REF] + Y[6]``).

    Returns
    -------
    terminate : bool
    t_stop : float
        End of the step (the terminal event's time when terminating).
    terminal_event : int
        The terminal event, or -1.
    """
    n = y.shape[0]
    max_rec = event_t.shape[1]
    terminate = False
    for j in range(n_found):
        e = found[j]
        roots[j] = _locate_event(model, e, t, t_new, t, h_dense, y, F, work, params, tab)
        if event_modes[e] > 0 and event_count[e] + 1 >= event_modes[e]:
            terminate = True
    n_keep = n_found
    if terminate:
        # order by time along the integration; stop at the first terminal one
        for a in range(1, n_found):
            b = a
            while b > 0 and direction * (roots[b] - roots[b - 1]) < 0.0:
                roots[b], roots[b - 1] = roots[b - 1], roots[b]
                found[b], found[b - 1] = found[b - 1], found[b]
                b -= 1
        for j in range(n_found):
            e = found[j]
            if event_modes[e] > 0 and event_count[e] + 1 >= event_modes[e]:
                n_keep = j + 1
                break
    for j in range(n_keep):
        e = found[j]
        c = event_count[e]
        if c < max_rec:
            step_dense(roots[j], t, h_dense, y, F, work)
            event_t[e, c] = roots[j] if n == N_STATE else params[P_T_REF] + work[N_STATE]
            for i in range(n):
                event_y[e, c, i] = work[i]
        event_count[e] = c + 1
    if terminate:
        t_stop = roots[n_keep - 1]
        step_dense(t_stop, t, h_dense, y, F, work)
        for i in range(n):
            y_new[i] = work[i]
        return True, t_stop, found[n_keep - 1]
    return False, t_new, -1



@jit(inline="always")
def _start_points(t0, y0, store_steps):
    """The stored points of a run, holding ``(t0, y0)``: ``(ts, ys, n_stored)`` (room for 64
    points with ``store_steps``, else for ``t0`` and the final point)."""
    capacity = 64 if store_steps else 2
    ts = np.empty(capacity)
    ys = np.empty((capacity, y0.shape[0]))
    ts[0] = t0
    ys[0, :] = y0
    return ts, ys, 1


@jit(inline="always")
def _store_point(ts, ys, n_stored, t, y, store_steps):
    """Append ``(t, y)`` to the stored points, doubling the arrays when full; without
    ``store_steps`` only ``t0`` and the latest point are kept. Returns ``(ts, ys, n_stored)``."""
    if n_stored == ts.shape[0]:
        ts2 = np.empty(2 * ts.shape[0])
        ys2 = np.empty((2 * ts.shape[0], ys.shape[1]))
        ts2[:n_stored] = ts[:n_stored]
        ys2[:n_stored] = ys[:n_stored]
        ts = ts2
        ys = ys2
    if not store_steps:
        n_stored = 1      # keep t0 and the final point only
    ts[n_stored] = t
    ys[n_stored, :] = y
    return ts, ys, n_stored + 1

@jit
def event_workspace(model, event_modes, max_event_records, t0, y, params, tab):
    """Event bookkeeping arrays of one integration starting at ``(t0, y)``: counts, times and
    states of up to ``max_event_records`` occurrences per event (NaN where unused), the event
    values at both ends of a step (``g`` holds the active events' values at the start), the
    scratch of :func:`handle_events`, and whether any event is active. ``y`` may be the
    regularised 7-component state (:mod:`massdriver.kernels.sundman`); ``t0`` is physical."""
    n = y.shape[0]
    max_rec = max(max_event_records, 0)
    event_count = np.zeros(N_EVENTS, dtype=np.int64)
    event_t = np.full((N_EVENTS, max_rec), np.nan)
    event_y = np.full((N_EVENTS, max_rec, n), np.nan)
    g = np.zeros(N_EVENTS)
    g_new = np.zeros(N_EVENTS)
    found = np.empty(N_EVENTS, dtype=np.int64)
    roots = np.empty(N_EVENTS)
    any_event = False
    for e in range(N_EVENTS):
        if event_modes[e] != 0:
            any_event = True
            g[e] = event_value(model, e, t0, y, params, tab)
    return event_count, event_t, event_y, g, g_new, found, roots, any_event


@jit
def integrate(model, t0, y0, t_end, rtol, atol, max_step, first_step, params, eph, event_modes,
              t_eval, store_steps, max_steps, max_event_records):
    """Integrate ``dy/dt = f(t, y)`` of force model ``model`` from ``t0`` to ``t_end`` (DOP853).

    Parameters
    ----------
    model : int
        Force-model id (:mod:`massdriver.kernels.forces`).
    t0, t_end : float
        Initial and final times (model units; backward integration if ``t_end < t0``).
    y0 : ndarray, shape (n,)
        Initial state.
    rtol : float
        Relative tolerance.
    atol : ndarray, shape (n,)
        Absolute tolerances per component.
    max_step : float
        Largest allowed step (``inf`` for none).
    first_step : float
        First step size; ``<= 0`` selects it automatically (scipy's rule).
    params : ndarray
        Model parameters.
    eph : tuple or None
        Ephemeris tables ``(moon_emb, earth_emb, emb_ssb, sun_ssb, moon_pa, spans)`` of
        :mod:`massdriver.kernels.chebyshev` (``Ephemeris.kernel_tables()``) for the ephemeris
        model; None for the CR3BP (fastest: a separate compiled specialisation without ephemeris
        code). The records covering ``[t0, t_end]`` are packed once per call.
    event_modes : ndarray of int64, shape (N_EVENTS,)
        Per event: 0 off, -1 record all occurrences, k >= 1 terminal at the k-th occurrence.
    t_eval : ndarray, shape (m,)
        Output times, ordered in the direction of integration (may be empty).
    store_steps : bool
        Keep every accepted step (``t``, ``y``); otherwise only the initial and final points.
    max_steps : int
        Cap on accepted steps (status ``STATUS_MAX_STEPS`` when reached before ``t_end``).
    max_event_records : int
        Occurrences stored per event (later ones are still counted).

    Returns
    -------
    status : int
        ``STATUS_*`` code.
    t_final : float
        Time reached (the event time when a terminal event stopped the integration).
    y_final : ndarray, shape (n,)
        State at ``t_final``.
    nfev, nsteps, nrejected : int
        RHS evaluations, accepted steps, rejected steps.
    ts : ndarray, shape (k,)
        Times of the stored points (``t0``, every accepted step if ``store_steps``, ``t_final``).
    ys : ndarray, shape (k, n)
        States at ``ts``.
    y_eval : ndarray, shape (m, n)
        Dense-output states at ``t_eval`` (rows past ``n_eval`` are NaN).
    n_eval : int
        Number of ``t_eval`` points reached.
    event_count : ndarray of int64, shape (N_EVENTS,)
        Occurrences of each event.
    event_t : ndarray, shape (N_EVENTS, max_event_records)
        Event times (NaN where unused).
    event_y : ndarray, shape (N_EVENTS, max_event_records, n)
        States at the events.
    terminal_event : int
        Index of the event that stopped the integration, or -1.
    """
    if y0.shape[0] != N_STATE:
        raise ValueError("the state must have 6 components (position, velocity)")
    # the core takes the packed tables as an argument: "tab is None" is then resolved at
    # compile time in the inlined force model (the CR3BP specialisation has no ephemeris code).
    # params and atol are copied: the force model is a call that reference-counts its array
    # arguments, and callers running integrate in parallel threads share these arrays (atomic
    # updates of one shared counter from both cores serialise the threads); the packed tables
    # are private already
    return integrate_packed(model, t0, y0, t_end, rtol, atol.copy(), max_step, first_step,
                            params.copy(), pack_ephemeris(eph, t0, t_end), event_modes,
                            t_eval, store_steps, max_steps, max_event_records)


@jit
def integrate_packed(model, t0, y0, t_end, rtol, atol, max_step, first_step, params, tab,
                     event_modes, t_eval, store_steps, max_steps, max_event_records):
    """:func:`integrate` with the ephemeris already packed (:func:`forces.pack_ephemeris`, or
    None for the CR3BP): for callers that integrate many arcs over one span.

    In parallel code give each thread its own ``params``, ``atol`` and ``tab`` arrays (copies):
    numba reference-counts array arguments at every force-model call and a counter shared by
    two cores serialises them.
    """
    n = y0.shape[0]
    direction = 1.0 if t_end >= t0 else -1.0
    if t_end == t0:
        direction = 1.0

    K = np.empty((cf.N_STAGES_EXTENDED, n))
    F = np.empty((cf.INTERPOLATOR_POWER, n))
    y = y0.copy()
    y_new = np.empty(n)
    ytmp = np.empty(n)
    work = np.empty(n)

    n_eval_total = t_eval.shape[0]
    y_eval = np.full((n_eval_total, n), np.nan)
    ie = 0

    (event_count, event_t, event_y, g, g_new, found, roots,
     any_event) = event_workspace(model, event_modes, max_event_records, t0, y, params, tab)
    terminal_event = -1

    ts, ys, n_stored = _start_points(t0, y0, store_steps)

    rhs(model, t0, y, params, tab, K, 0)
    nfev = 1
    nsteps = 0
    nrejected = 0
    status = STATUS_FINISHED
    t = t0

    if t_end == t0:
        h_abs = 0.0
    elif first_step > 0.0:
        h_abs = first_step
    else:
        h_abs = select_initial_step(model, t0, y, K[0], t_end, max_step, direction, rtol, atol,
                                    params, tab, K, work)
        nfev += 1

    running = t != t_end
    # t_eval points at t0 (scipy serves them from the first step's dense output, which at x = 0
    # returns y0 exactly; no RHS evaluations needed here)
    while running:
        min_step = 10.0 * abs(np.nextafter(t, direction * np.inf) - t)
        if h_abs > max_step:
            h_abs = max_step
        elif h_abs < min_step:
            h_abs = min_step

        step_rejected = False
        failed = False
        h = 0.0
        t_new = t
        while True:
            if not h_abs >= min_step:    # also a NaN step (non-finite state)
                failed = True
                break
            h = h_abs * direction
            t_new = t + h
            if direction * (t_new - t_end) > 0.0:
                t_new = t_end
            h = t_new - t
            h_abs = abs(h)

            rk_step(model, t, y, h, K, ytmp, y_new, params, tab, N_STATE)
            nfev += 12
            err = error_norm(K, h, y, y_new, rtol, atol, N_STATE)
            accepted, factor = step_factor(err, step_rejected, SAFETY)
            h_abs *= factor
            if accepted:
                break
            step_rejected = True
            nrejected += 1

        if failed:
            status = STATUS_STEP_TOO_SMALL
            break
        nsteps += 1
        if direction * (t_new - t_end) >= 0.0:
            status = STATUS_FINISHED
            running = False

        h_dense = t_new - t
        dense_ready = False
        t_stop = t_new

        # --- events ---------------------------------------------------------------------
        if any_event:
            n_found = detect_events(model, event_modes, t_new, y_new, params, tab, g, g_new,
                                    found)
            if n_found > 0:
                dense_coefficients(model, t, y, y_new, h, K, ytmp, F, params, tab)
                nfev += 3
                dense_ready = True
                terminate, t_stop, term = handle_events(
                    model, event_modes, n_found, found, roots, t, t_new, h_dense, y, y_new, F,
                    work, params, tab, direction, event_count, event_t, event_y)
                if terminate:
                    terminal_event = term
                    status = STATUS_EVENT
                    running = False
            for e in range(N_EVENTS):
                g[e] = g_new[e]

        # --- dense samples ----------------------------------------------------------------
        while ie < n_eval_total and direction * (t_eval[ie] - t_stop) <= 0.0:
            if not dense_ready:
                dense_coefficients(model, t, y, y_new, h, K, ytmp, F, params, tab)
                nfev += 3
                dense_ready = True
            dense_eval(t_eval[ie], t, h_dense, y, F, work)
            for i in range(n):
                y_eval[ie, i] = work[i]
            ie += 1

        # --- advance ------------------------------------------------------------------------
        t = t_stop
        tmp = y
        y = y_new
        y_new = tmp
        for i in range(n):
            K[0, i] = K[12, i]

        if store_steps or not running:
            ts, ys, n_stored = _store_point(ts, ys, n_stored, t, y, store_steps)

        if running and nsteps >= max_steps:
            status = STATUS_MAX_STEPS
            break

    if status == STATUS_MAX_STEPS or status == STATUS_STEP_TOO_SMALL:
        if ts[n_stored - 1] != t:
            ts, ys, n_stored = _store_point(ts, ys, n_stored, t, y, store_steps)

    return (status, t, y.copy(), nfev, nsteps, nrejected, ts[:n_stored].copy(),
            ys[:n_stored].copy(), y_eval, ie, event_count, event_t, event_y, terminal_event)


# --- Python wrapper ---------------------------------------------------------------------------


class Propagation(NamedTuple):
    """Result of :func:`propagate` (plain floats in the model's units).

    Attributes
    ----------
    t : ndarray, shape (k,)
        Times of the stored points (``t0``, accepted steps if requested, final time).
    y : ndarray, shape (k, n)
        States at ``t``.
    status : int
        ``STATUS_*`` code (0 end reached, 1 terminal event, < 0 failure).
    message : str
        Human-readable status.
    t_final : float
        Final time (event time if a terminal event fired).
    y_final : ndarray, shape (n,)
        Final state.
    nfev, nsteps, nrejected : int
        RHS evaluations, accepted and rejected steps.
    t_eval : ndarray, shape (m,)
        Requested output times (those reached: ``n_eval`` of them).
    y_eval : ndarray, shape (m, n)
        States at ``t_eval`` (NaN rows for times not reached).
    n_eval : int
        Output times reached.
    event_count : ndarray of int, shape (N_EVENTS,)
        Occurrences per event.
    event_t : tuple of ndarray
        Per event (``EVENT_NAMES`` order), the recorded occurrence times.
    event_y : tuple of ndarray
        Per event, the states at those times, shape (c, n).
    terminal_event : int
        Event that stopped the integration, or -1.
    terminal_event_name : str
        Its name (``""`` if none).
    """

    t: np.ndarray
    y: np.ndarray
    status: int
    message: str
    t_final: float
    y_final: np.ndarray
    nfev: int
    nsteps: int
    nrejected: int
    t_eval: np.ndarray
    y_eval: np.ndarray
    n_eval: int
    event_count: np.ndarray
    event_t: tuple
    event_y: tuple
    terminal_event: int
    terminal_event_name: str

    @property
    def success(self) -> bool:
        """True unless the integration failed (status < 0)."""
        return self.status >= 0


def event_modes(terminal=(), record=()) -> np.ndarray:
    """Build an ``event_modes`` array from event names or indices.

    Parameters
    ----------
    terminal : iterable or dict
        Events that stop the integration at their first occurrence; a dict maps an event to the
        occurrence (>= 1) that stops it.
    record : iterable
        Events recorded without stopping.

    Returns
    -------
    ndarray of int64, shape (N_EVENTS,)
    """
    modes = np.zeros(N_EVENTS, dtype=np.int64)

    def index(e):
        if isinstance(e, str):
            if e not in EVENT_NAMES:
                raise ValueError(f"unknown event {e!r}; known: {', '.join(EVENT_NAMES)}")
            return EVENT_NAMES.index(e)
        e = int(e)
        if not 0 <= e < N_EVENTS:
            raise ValueError(f"event index {e} out of range 0..{N_EVENTS - 1}")
        return e

    for e in record:
        modes[index(e)] = EVENT_RECORD
    items = terminal.items() if isinstance(terminal, dict) else ((e, 1) for e in terminal)
    for e, k in items:
        if int(k) < 1:
            raise ValueError(f"terminal occurrence of event {e!r} must be >= 1, got {k}")
        modes[index(e)] = int(k)
    return modes


def check_method(method: str, model: int) -> None:
    """Raise ``ValueError`` unless ``method`` is ``"dop853"`` or ``"taylor"`` and fits the model
    (the Taylor integrator has the CR3BP only); shared by :func:`propagate` and
    :func:`massdriver.kernels.batch.propagate_many`."""
    if method not in ("dop853", "taylor"):
        raise ValueError(f"unknown method {method!r} (allowed: 'dop853', 'taylor')")
    if method == "taylor" and int(model) != MODEL_CR3BP:
        raise ValueError(f"method 'taylor' with model id {int(model)}: the Taylor integrator has "
                         f"the CR3BP force model only (id {MODEL_CR3BP})")


def propagate(model: int, t0: float, y0, t_end: float, params, eph, *, rtol: float = 1e-10,
              atol=1e-12, max_step: float = np.inf, first_step: float | None = None,
              events=None, t_eval=None, store_steps: bool = True, max_steps: int = 1_000_000,
              max_event_records: int = 16, regularize: bool = False,
              method: str = "dop853") -> Propagation:
    """Integrate one trajectory with a compiled kernel (DOP853 by default) and name the results.

    Parameters
    ----------
    model : int
        ``forces.MODEL_CR3BP`` or ``forces.MODEL_EPHEMERIS``.
    t0, t_end : float
        Initial and final time (model units: TDB s past J2000, or CR3BP time units).
    y0 : array_like, shape (n,)
        Initial state.
    params : array_like
        Model parameters (:func:`massdriver.kernels.forces.cr3bp_params` /
        :func:`~massdriver.kernels.forces.ephemeris_params`).
    eph : tuple or None
        Ephemeris tables (``Ephemeris.kernel_tables()``) for the ephemeris model, None for the
        CR3BP.
    rtol : float
        Relative tolerance.
    atol : float or array_like
        Absolute tolerance (scalar or per component).
    max_step : float
        Largest step.
    first_step : float, optional
        First step (default: automatic, as scipy).
    events : array_like of int, optional
        ``event_modes`` array (see :func:`event_modes`); default: no events.
    t_eval : array_like, optional
        Output times within ``[t0, t_end]``, ordered along the integration.
    store_steps : bool
        Keep every accepted step.
    max_steps : int
        Maximum number of accepted steps.
    max_event_records : int
        Occurrences stored per event.

    regularize : bool
        Integrate in Sundman-regularised time (:mod:`massdriver.kernels.sundman`): the same
        DOP853 pair on the time-transformed equations, fewer steps near the Earth and the Moon
        for the same tolerances. Default False: physical time, step for step as scipy.
    method : {"dop853", "taylor"}
        ``"taylor"``: the Taylor-series integrator of :mod:`massdriver.kernels.taylor` (CR3BP
        only; order and steps from ``rtol`` and ``min(atol)``; ``first_step`` is not used,
        ``nfev`` counts Taylor expansions).

    Returns
    -------
    Propagation
        Named result (see the class).
    """
    if int(model) not in (MODEL_CR3BP, MODEL_EPHEMERIS):
        raise ValueError(f"unknown model id {model!r}")
    if int(model) == MODEL_EPHEMERIS and eph is None:
        raise ValueError("the ephemeris model needs the ephemeris tables (eph is None)")
    # private writable copies: one array type whatever the caller passes (read-only views
    # would compile a second specialisation of the integrator)
    y0 = np.array(y0, dtype=np.float64).ravel()
    n = y0.shape[0]
    if n != N_STATE:
        raise ValueError(f"y0 must have {N_STATE} components (position, velocity), got {n}")
    atol_arr = np.array(np.broadcast_to(np.asarray(atol, dtype=np.float64), (n,)))
    if not (math.isfinite(rtol) and rtol > 0.0 and np.all(atol_arr >= 0.0)
            and np.all(np.isfinite(atol_arr))):
        raise ValueError("rtol must be finite and > 0, atol finite and >= 0")
    if not (np.all(np.isfinite(y0)) and math.isfinite(t0) and math.isfinite(t_end)):
        raise ValueError("y0, t0 and t_end must be finite")
    if first_step is None:
        first_step = 0.0
    elif not (0.0 < first_step <= abs(t_end - t0)):
        raise ValueError("first_step must be > 0 and within the integration interval")
    if max_step <= 0.0:
        raise ValueError("max_step must be > 0")
    modes = (np.zeros(N_EVENTS, dtype=np.int64) if events is None
             else np.ascontiguousarray(events, dtype=np.int64))
    if modes.shape != (N_EVENTS,):
        raise ValueError(f"events must have shape ({N_EVENTS},)")
    te = (np.empty(0) if t_eval is None
          else np.ascontiguousarray(t_eval, dtype=np.float64).ravel())
    params = np.array(params, dtype=np.float64)
    check_method(method, model)
    if method == "taylor":
        if regularize:
            raise ValueError("regularize applies to method 'dop853' only")
        from massdriver.kernels import taylor
        kernel = taylor.integrate
    elif regularize:
        from massdriver.kernels import sundman
        kernel = sundman.integrate
    else:
        kernel = integrate
    out = kernel(int(model), float(t0), y0, float(t_end), float(rtol), atol_arr,
                    float(max_step), float(first_step), params, eph, modes, te,
                    bool(store_steps), int(max_steps), int(max_event_records))
    (status, t_final, y_final, nfev, nsteps, nrejected, ts, ys, y_eval, n_eval, count, ev_t,
     ev_y, term) = out
    kept = np.minimum(count, ev_t.shape[1])
    return Propagation(
        t=ts, y=ys, status=int(status), message=STATUS_MESSAGES[int(status)],
        t_final=float(t_final), y_final=y_final, nfev=int(nfev), nsteps=int(nsteps),
        nrejected=int(nrejected), t_eval=te, y_eval=y_eval, n_eval=int(n_eval),
        event_count=count, event_t=tuple(ev_t[e, :kept[e]] for e in range(N_EVENTS)),
        event_y=tuple(ev_y[e, :kept[e]] for e in range(N_EVENTS)), terminal_event=int(term),
        terminal_event_name=EVENT_NAMES[term] if term >= 0 else "")
