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
:mod:`massdriver.kernels.integrators.dop853_coefficients`; the events
(:mod:`~massdriver.kernels.integrators.events`), the dense-output evaluation
(:mod:`~massdriver.kernels.integrators.dense`) and the stored points
(:mod:`~massdriver.kernels.integrators.storage`) are shared with the other integrators.

Entry points
------------
:func:`integrate`
    The compiled kernel, returning an :data:`~massdriver.kernels.integrators.contract.Integration`
    record (documented there).
:func:`integrate_packed`
    The same with the ephemeris already packed (:func:`massdriver.kernels.forces.pack_ephemeris`).

From Python, :func:`massdriver.kernels.integrators.propagate.propagate` validates and converts
the arguments, calls :func:`integrate` and names the results. Status codes:
:mod:`massdriver.kernels.integrators.contract`.
"""

from __future__ import annotations

import math

import numpy as np
from massdriver.kernels.forces import (
    N_EVENTS,
    pack_ephemeris,
    rhs_called,
    state_rhs,
    state_rhs_called,
)
from massdriver.kernels.integrators import dop853_coefficients as cf
from massdriver.kernels.integrators.contract import (
    N_STATE,
    STATUS_EVENT,
    STATUS_FINISHED,
    STATUS_MAX_STEPS,
    STATUS_STEP_TOO_SMALL,
    Integration,
)
from massdriver.kernels.integrators.dense import dense_eval
from massdriver.kernels.integrators.events import detect_events, event_workspace, handle_events
from massdriver.kernels.integrators.storage import start_points, store_point
from massdriver.kernels.jit import jit

__all__ = [
    "SAFETY", "MIN_FACTOR", "MAX_FACTOR", "ERROR_EXPONENT", "E3_1", "E3_9", "E3_12",
    "integrate", "integrate_packed", "select_initial_step", "rk_step", "error_norm",
    "error_scale", "error_finish", "dense_coefficients", "step_factor",
]

SAFETY = 0.9          # safety factor on the asymptotic step-size estimate
MIN_FACTOR = 0.2      # smallest step decrease after a rejection
MAX_FACTOR = 10.0     # largest step increase after an acceptance
ERROR_EXPONENT = -1.0 / (cf.ERROR_ESTIMATOR_ORDER + 1)

# 3rd-order comparison weights E3_j = b_j - bhh_j (computed exactly as scipy builds its E3)
E3_1 = cf.A13_1 - cf.BHH1
E3_9 = cf.A13_9 - cf.BHH9
E3_12 = cf.A13_12 - cf.BHH12


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
        e3 = (E3_1 * K[0, i] + cf.A13_6 * K[5, i] + cf.A13_7 * K[6, i] + cf.A13_8 * K[7, i]
              + E3_9 * K[8, i] + cf.A13_10 * K[9, i] + cf.A13_11 * K[10, i]
              + E3_12 * K[11, i]) / scale
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
    state_rhs_called(model, t_old + cf.C14 * h, ytmp, params, tab, K, 13, n)
    for i in range(n):
        ytmp[i] = y_old[i] + (cf.A15_1 * K[0, i] + cf.A15_6 * K[5, i] + cf.A15_7 * K[6, i]
                              + cf.A15_8 * K[7, i] + cf.A15_11 * K[10, i] + cf.A15_12 * K[11, i]
                              + cf.A15_13 * K[12, i] + cf.A15_14 * K[13, i]) * h
    state_rhs_called(model, t_old + cf.C15 * h, ytmp, params, tab, K, 14, n)
    for i in range(n):
        ytmp[i] = y_old[i] + (cf.A16_1 * K[0, i] + cf.A16_6 * K[5, i] + cf.A16_7 * K[6, i]
                              + cf.A16_8 * K[7, i] + cf.A16_9 * K[8, i] + cf.A16_13 * K[12, i]
                              + cf.A16_14 * K[13, i] + cf.A16_15 * K[14, i]) * h
    state_rhs_called(model, t_old + cf.C16 * h, ytmp, params, tab, K, 15, n)
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
    state_rhs_called(model, t0 + h0 * direction, work, params, tab, K, 1, n)
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
    Integration
        The record of :data:`massdriver.kernels.integrators.contract.Integration`: ``status``
        (``STATUS_*``), ``t_final`` (the event time when a terminal event stopped the
        integration), ``y_final``, the counters ``nfev``, ``nsteps``, ``nrejected``, the stored
        points ``ts``, ``ys`` (``t0``, every accepted step if ``store_steps``, ``t_final``), the
        dense-output states ``y_eval`` at ``t_eval`` (rows past ``n_eval`` are NaN), the events
        ``event_count``, ``event_t``, ``event_y`` (NaN where unused) and ``terminal_event``
        (-1 if none).
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

    ts, ys, n_stored = start_points(t0, y0, store_steps)

    rhs_called(model, t0, y, params, tab, K, np.int64(0))
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
            ts, ys, n_stored = store_point(ts, ys, n_stored, t, y, store_steps)

        if running and nsteps >= max_steps:
            status = STATUS_MAX_STEPS
            break

    if status == STATUS_MAX_STEPS or status == STATUS_STEP_TOO_SMALL:
        if ts[n_stored - 1] != t:
            ts, ys, n_stored = store_point(ts, ys, n_stored, t, y, store_steps)

    return Integration(status, t, y.copy(), nfev, nsteps, nrejected, ts[:n_stored].copy(),
                       ys[:n_stored].copy(), y_eval, ie, event_count, event_t, event_y,
                       terminal_event)
