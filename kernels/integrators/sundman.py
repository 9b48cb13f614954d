"""DOP853 in Sundman-regularised time: the same method, fewer steps near the Earth and the Moon.

A coast from the lunar surface to a low Earth perigee is slow for most of its 3-5 days and fast
at both ends. In physical time an error-controlled integrator must shorten its steps by orders of
magnitude near the perigee and at the launch; most of its right-hand-side evaluations go there.
Integrating in a fictitious time ``s`` with ``dt = g ds`` (the Sundman transformation, see
"Regularised form" in :mod:`massdriver.kernels.forces` for ``g`` and the equations) evens the
work out: on the 5-day benchmark coast the same DOP853 pair at the same tolerances needs 38-48 %
fewer evaluations for a 5-18x smaller global error (docs/performance.md).

The integrator is :mod:`massdriver.kernels.integrators.dop853`'s: its step, error norm, step-size control
(with a safety factor of 0.8 instead of 0.9, see :data:`SAFETY`), dense output and Brent event
location act on the 7-component state ``Y = (r, v, t - t0)`` with ``s`` as the independent
variable. What changes is the driver:

* the end time is a root: the step that carries ``t`` past ``t_end`` is cut there by Brent's
  method on the dense output of ``t(s)`` (to ~4 ulp of ``s``), and the state is the dense
  output at that point (``t_final`` is ``t_end`` exactly);
* events see the physical time, and are sought only up to ``t_end``;
* ``t_eval`` points are physical times, each found the same way;
* ``max_step`` and ``first_step`` are physical; they are converted with ``g`` at the start of
  each step, and a step that came out longer than ``max_step`` in physical time (``g`` grew
  along it) is retried shorter and counted as rejected;
* a step is at most twice the time left to ``t_end`` at the current ``dt/ds`` (the force
  model's packed ephemeris covers ``[t0, t_end]`` plus one record);
* the absolute tolerance of the time component is ``min(atol[0:3]) / |v0|``: the time error
  that moves the spacecraft by the position tolerance at its initial speed.

The results are in the model's units and physical time, in the layout of
:func:`massdriver.kernels.integrators.dop853.integrate` (states have 6 components). ``nfev``, ``nsteps``
and ``nrejected`` count the regularised integration. Unlike :mod:`~massdriver.kernels.integrators.dop853`
this path has no scipy twin step for step; it is validated against Kepler's solution, scipy's
``solve_ivp`` and the physical-time kernel at tighter tolerances (tests/test_sundman.py).
"""

from __future__ import annotations

import math

import numpy as np
from massdriver.kernels.forces import (
    EV_TIME,
    N_EVENTS,
    N_PARAMS,
    N_PARAMS_REGULARIZED,
    P_T_REF,
    P_T_TARGET,
    pack_ephemeris,
    sundman_rhs,
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
from massdriver.kernels.integrators.dop853 import (
    dense_coefficients,
    error_norm,
    rk_step,
    select_initial_step,
    step_factor,
)
from massdriver.kernels.integrators.events import (
    detect_events,
    event_workspace,
    handle_events,
    locate_event,
)
from massdriver.kernels.integrators.storage import start_points, store_point
from massdriver.kernels.jit import jit

__all__ = ["N_AUGMENTED", "SAFETY", "integrate", "integrate_packed", "time_tolerance"]

#: Components of the regularised state: position, velocity and the elapsed time.
N_AUGMENTED = N_STATE + 1

#: Safety factor of the step-size update (scipy's is 0.9). On the approach to a perigee the
#: error per step grows from one step to the next, and with 0.9 every step there was tried too
#: long once (10-17 rejections on the benchmark coast); with 0.8, 1-2. Measured on two 5-day
#: CR3BP coasts at rtol 1e-10 and 1e-12: -12 % to +3 % evaluations and a 2-4x smaller error
#: (docs/performance.md, "Sundman-regularised time").
SAFETY = 0.8


@jit
def time_tolerance(atol, y0, rtol):
    """Absolute tolerance of the elapsed-time component: ``min(atol[0:3]) / |v0|`` (model time
    units; ``rtol |r0|`` stands in for a zero position tolerance, and a state at rest divides
    by 1)."""
    a = min(atol[0], min(atol[1], atol[2]))
    if not a > 0.0:
        a = rtol * math.sqrt(y0[0] * y0[0] + y0[1] * y0[1] + y0[2] * y0[2])
    if not a > 0.0:
        a = rtol
    v = math.sqrt(y0[3] * y0[3] + y0[4] * y0[4] + y0[5] * y0[5])
    return a / v if v > 0.0 else a


@jit
def integrate(model, t0, y0, t_end, rtol, atol, max_step, first_step, params, eph, event_modes,
              t_eval, store_steps, max_steps, max_event_records):
    """Integrate model ``model`` from ``t0`` to ``t_end`` in Sundman-regularised time.

    Same arguments and returned record as :func:`massdriver.kernels.integrators.dop853.integrate` (physical
    times and 6-component states; ``atol`` has 6 components, the time component's is derived
    by :func:`time_tolerance`).
    """
    if y0.shape[0] != N_STATE:
        raise ValueError("the state must have 6 components (position, velocity)")
    return integrate_packed(model, t0, y0, t_end, rtol, atol.copy(), max_step, first_step,
                            params, pack_ephemeris(eph, t0, t_end), event_modes, t_eval,
                            store_steps, max_steps, max_event_records)


@jit
def integrate_packed(model, t0, y0, t_end, rtol, atol, max_step, first_step, params, tab,
                     event_modes, t_eval, store_steps, max_steps, max_event_records):
    """:func:`integrate` with the ephemeris already packed (or None for the CR3BP)."""
    n = N_AUGMENTED
    direction = 1.0 if t_end >= t0 else -1.0
    tau_end = t_end - t0

    # private parameters with the time reference and target appended
    p = np.empty(N_PARAMS_REGULARIZED)
    for i in range(N_PARAMS):
        p[i] = params[i]
    p[P_T_REF] = t0
    p[P_T_TARGET] = tau_end
    a = np.empty(n)
    for i in range(N_STATE):
        a[i] = atol[i]
    a[N_STATE] = time_tolerance(atol, y0, rtol)

    K = np.empty((cf.N_STAGES_EXTENDED, n))
    F = np.empty((cf.INTERPOLATOR_POWER, n))
    y = np.empty(n)
    for i in range(N_STATE):
        y[i] = y0[i]
    y[N_STATE] = 0.0
    y_new = np.empty(n)
    y_end = np.empty(n)
    ytmp = np.empty(n)
    work = np.empty(n)

    n_eval_total = t_eval.shape[0]
    y_eval = np.full((n_eval_total, N_STATE), np.nan)
    ie = 0

    (event_count, event_t, event_y, g, g_new, found, roots,
     any_event) = event_workspace(model, event_modes, max_event_records, t0, y, p, tab)
    terminal_event = -1

    ts, ys, n_stored = start_points(t0, y0, store_steps)

    sundman_rhs(model, y, p, tab, K, np.int64(0))
    nfev = 1
    nsteps = 0
    nrejected = 0
    status = STATUS_FINISHED
    s = 0.0
    t_final = t0

    running = t_end != t0
    h_abs = 0.0
    if running:
        if first_step > 0.0:
            h_abs = first_step / K[0, N_STATE]
        else:
            # the s-interval is unknown: bound it by the time left at the initial rate of t
            h_abs = select_initial_step(model, 0.0, y, K[0], direction * abs(tau_end)
                                        / K[0, N_STATE], max_step / K[0, N_STATE], direction,
                                        rtol, a, p, tab, K, work)
            nfev += 1

    while running:
        min_step = 10.0 * abs(np.nextafter(s, direction * np.inf) - s)
        # physical max_step, and no step much past t_end (the packed ephemeris ends there)
        h_max = min(max_step, 2.0 * abs(tau_end - y[N_STATE])) / K[0, N_STATE]
        if h_max < min_step:              # a step that ended a few ulp short of t_end
            h_max = min_step
        if h_abs > h_max:
            h_abs = h_max
        elif h_abs < min_step:
            h_abs = min_step

        step_rejected = False
        failed = False
        h = 0.0
        while True:
            if not h_abs >= min_step:    # also a NaN step (non-finite state)
                failed = True
                break
            h = h_abs * direction
            rk_step(model, s, y, h, K, ytmp, y_new, p, tab, N_AUGMENTED)
            nfev += 12
            dt = abs(y_new[N_STATE] - y[N_STATE])
            if dt > max_step:
                # g grew along the step: retry it shorter (counted as a rejection)
                h_abs = h_abs * (0.99 * max_step / dt)
                step_rejected = True
                nrejected += 1
                continue
            err = error_norm(K, h, y, y_new, rtol, a, N_AUGMENTED)
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
        s_new = s + h
        s_stop = s_new
        dense_ready = False
        cut = False
        stop = y_new                      # state at the end of the part of the step kept

        # --- the end time: cut the step where t(s) = t_end ----------------------------------
        if direction * (y_new[N_STATE] - tau_end) >= 0.0:
            dense_coefficients(model, s, y, y_new, h, K, ytmp, F, p, tab)
            nfev += 3
            dense_ready = True
            p[P_T_TARGET] = tau_end
            s_stop = locate_event(model, EV_TIME, s, s_new, s, h, y, F, work, p, tab)
            dense_eval(s_stop, s, h, y, F, y_end)
            y_end[N_STATE] = tau_end
            stop = y_end
            cut = True
            status = STATUS_FINISHED
            running = False

        # --- events ---------------------------------------------------------------------------
        if any_event:
            n_found = detect_events(model, event_modes, t0 + stop[N_STATE], stop, p, tab, g,
                                    g_new, found)
            if n_found > 0:
                if not dense_ready:
                    dense_coefficients(model, s, y, y_new, h, K, ytmp, F, p, tab)
                    nfev += 3
                    dense_ready = True
                terminate, s_event, term = handle_events(
                    model, event_modes, n_found, found, roots, s, s_stop, h, y, stop, F, work,
                    p, tab, direction, event_count, event_t, event_y)
                if terminate:
                    s_stop = s_event
                    terminal_event = term
                    status = STATUS_EVENT
                    running = False
            for e in range(N_EVENTS):
                g[e] = g_new[e]

        # --- output times ---------------------------------------------------------------------
        while ie < n_eval_total and direction * (t_eval[ie] - t0 - stop[N_STATE]) <= 0.0:
            if not dense_ready:
                dense_coefficients(model, s, y, y_new, h, K, ytmp, F, p, tab)
                nfev += 3
                dense_ready = True
            p[P_T_TARGET] = t_eval[ie] - t0
            x = locate_event(model, EV_TIME, s, s_stop, s, h, y, F, work, p, tab)
            dense_eval(x, s, h, y, F, work)
            for i in range(N_STATE):
                y_eval[ie, i] = work[i]
            ie += 1

        # --- advance --------------------------------------------------------------------------
        s = s_stop
        if not cut:
            tmp = y
            y = y_new
            y_new = tmp
        else:
            for i in range(n):
                y[i] = stop[i]
        for i in range(n):
            K[0, i] = K[12, i]
        t_final = t_end if (status == STATUS_FINISHED and not running) else t0 + y[N_STATE]

        if store_steps or not running:
            ts, ys, n_stored = store_point(ts, ys, n_stored, t_final, y[:N_STATE], store_steps)

        if running and nsteps >= max_steps:
            status = STATUS_MAX_STEPS
            break

    if status == STATUS_MAX_STEPS or status == STATUS_STEP_TOO_SMALL:
        t_final = t0 + y[N_STATE]
        if ts[n_stored - 1] != t_final:
            ts, ys, n_stored = store_point(ts, ys, n_stored, t_final, y[:N_STATE],
                                            store_steps)

    return Integration(status, t_final, y[:N_STATE].copy(), nfev, nsteps, nrejected,
                       ts[:n_stored].copy(), ys[:n_stored].copy(), y_eval, ie, event_count,
                       event_t, event_y[:, :, :N_STATE].copy(), terminal_event)
