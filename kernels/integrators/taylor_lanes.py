"""The Taylor integrator's batch driver: lockstep SIMD lanes inside, threads outside.

Like the DOP853 batch (:mod:`massdriver.kernels.batch`), each thread takes chunks of ``CHUNK``
shots and advances ``lanes`` of them together in one workspace array (lane index fastest, every
offset a compile-time constant). Per step, three generated loops over the lanes
(:mod:`massdriver.kernels.taylor_jets`) vectorise: the Taylor coefficients
(``jet_lanes_<p>``), the step sizes (``step_lanes_<p>``, plain arithmetic instead of ``log``
and ``exp``: :func:`massdriver.kernels.taylor_core.step_from_norms`) and the polynomial
(``advance_lanes_<p>``). The rest runs per lane: clipping the step
(:func:`massdriver.kernels.taylor_core.clip_step`) and the event search
(:func:`massdriver.kernels.dop853.detect_events`, :func:`~massdriver.kernels.dop853.handle_events`)
through the functions of the single-shot driver (:func:`massdriver.kernels.taylor_core.core`),
the bookkeeping (counters, step cap, finishing and refilling a lane) written out in the same
order. So every shot is bit-identical to its one-at-a-time propagation, whatever the thread
count, the chunking or the lane it ran in (tests/test_batch.py).

:func:`lane_chunk` is inlined into one compiled function per order (``chunk_<p>``, generated);
``batch_<p>`` runs the chunks in parallel. The entry point is
:func:`massdriver.kernels.taylor.integrate_batch`.
"""

from __future__ import annotations

import numpy as np
from massdriver.kernels.forces import MODEL_CR3BP, N_EVENTS, P_MU, event_value
from massdriver.kernels.integrators.contract import (
    N_STATE,
    STATUS_EVENT,
    STATUS_FINISHED,
    STATUS_MAX_STEPS,
    STATUS_STEP_TOO_SMALL,
)
from massdriver.kernels.integrators.events import (
    detect_events,
    handle_events,
    lane_event_scratch,
    swap_first_events,
)
from massdriver.kernels.integrators.taylor_core import clip_step
from massdriver.kernels.jit import jit

__all__ = ["lane_chunk"]


@jit(inline="always")
def lane_chunk(jet_lanes, step_lanes, advance_lanes, layout, shots, first, last, out):
    """Integrate shots ``first .. last - 1`` with the order-``p`` Taylor method in lockstep
    lanes, writing the results into ``out`` in place.

    ``jet_lanes``, ``step_lanes`` and ``advance_lanes`` are the generated lane functions of the
    order; ``layout = (p, lanes, off_c, off_yn, off_h, off_t, size)`` the order, the lane count
    and their workspace layout (``tools/taylor_gen.py``, ``_lane_layout``); ``shots`` the
    :data:`~massdriver.kernels.integrators.contract.BatchShots` inputs and ``out`` the
    :data:`~massdriver.kernels.integrators.contract.BatchResult` arrays of
    :func:`massdriver.kernels.integrators.taylor.integrate_batch`. The steps of one lane are
    those of :func:`massdriver.kernels.integrators.taylor_core.core` on the same shot.
    """
    p, lanes, off_c, off_yn, off_h, off_t, size = layout
    t_end = shots.t_end
    max_step = shots.max_step
    params = shots.params
    event_modes = shots.event_modes
    max_steps = shots.max_steps
    nfev = out.nfev
    nsteps = out.nsteps
    event_count = out.event_count
    first_t = out.first_t
    first_y = out.first_y
    nl = min(lanes, last - first)
    mu = params[P_MU]
    floor = np.min(shots.atol) / shots.rtol
    W = np.zeros(size)
    shot = np.full(lanes, -1, dtype=np.int64)
    direction = np.ones(lanes)
    t_new = np.zeros(lanes)
    ends = np.zeros(lanes, dtype=np.bool_)
    adv = np.zeros(lanes, dtype=np.bool_)
    g = np.zeros((lanes, N_EVENTS))
    # scalar-layout scratch for the per-lane event search (the single-shot functions)
    c = np.empty((p + 1, N_STATE))
    ys = np.empty(N_STATE)
    yns = np.empty(N_STATE)
    work = np.empty(N_STATE)
    g_new, found, roots, ev_count, ev_t, ev_y, any_event = lane_event_scratch(event_modes)

    next_shot = first
    active = 0
    while True:
        # --- load shots into the free lanes ----------------------------------------------------
        for l in range(nl):
            while shot[l] < 0 and next_shot < last:
                i = next_shot
                next_shot += 1
                if _start_lane(i, l, lanes, off_t, shots, any_event, W, direction, shot, g, ys,
                               out):
                    active += 1
        if active == 0:
            break

        # --- coefficients and step sizes, all lanes at once --------------------------------------
        jet_lanes(mu, W, nl)
        step_lanes(W, floor, nl)

        # --- each lane's step (taylor_core.core's logic) -----------------------------------------
        for l in range(nl):
            adv[l] = False
            i = shot[l]
            if i < 0:
                W[off_h + l] = 0.0
                continue
            nfev[i] += 1
            tl = W[off_t + l]
            ok, tn, at_end = clip_step(W[off_h + l], tl, t_end[i], direction[l], max_step)
            if not ok:
                _finish_lane(i, l, lanes, off_t, STATUS_STEP_TOO_SMALL, -1, W, out)
                _park_lane(l, lanes, W)
                shot[l] = -1
                active -= 1
                W[off_h + l] = 0.0
                continue
            ends[l] = at_end
            W[off_h + l] = tn - tl
            t_new[l] = tn
            adv[l] = True

        # --- the new states, all lanes at once ---------------------------------------------------
        advance_lanes(W, nl)

        # --- events, step limit, per lane --------------------------------------------------------
        for l in range(nl):
            if not adv[l]:
                continue
            i = shot[l]
            nsteps[i] += 1
            t_stop = t_new[l]
            done = ends[l]
            code = STATUS_FINISHED
            term = -1
            if any_event:
                for k in range(N_STATE):
                    yns[k] = W[off_yn + k * lanes + l]
                n_found = detect_events(MODEL_CR3BP, event_modes, t_new[l], yns, params, None,
                                        g[l], g_new, found)
                if n_found > 0:
                    for k in range(N_STATE):
                        ys[k] = W[k * lanes + l]
                        for r in range(p + 1):
                            c[r, k] = W[off_c + (r * N_STATE + k) * lanes + l]
                    swap_first_events(i, event_count, first_t, first_y, ev_count, ev_t, ev_y,
                                      False)
                    terminate, tstop, term_e = handle_events(
                        MODEL_CR3BP, event_modes, n_found, found, roots, W[off_t + l],
                        t_new[l], W[off_h + l], ys, yns, c, work, params, None, direction[l],
                        ev_count, ev_t, ev_y)
                    swap_first_events(i, event_count, first_t, first_y, ev_count, ev_t, ev_y,
                                      True)
                    if terminate:
                        t_stop = tstop
                        for k in range(N_STATE):
                            W[off_yn + k * lanes + l] = yns[k]
                        code = STATUS_EVENT
                        term = term_e
                        done = True
                for e in range(N_EVENTS):
                    g[l, e] = g_new[e]
            # the new state becomes the lane's state
            W[off_t + l] = t_stop
            for k in range(N_STATE):
                W[k * lanes + l] = W[off_yn + k * lanes + l]
            if not done and nsteps[i] >= max_steps:
                done = True
                code = STATUS_MAX_STEPS
            if done:
                _finish_lane(i, l, lanes, off_t, code, term, W, out)
                _park_lane(l, lanes, W)
                shot[l] = -1
                active -= 1


@jit
def _finish_lane(i, l, lanes, off_t, code, term, W, out):
    """Write lane ``l``'s time and state as shot ``i``'s result in ``out``, with its status."""
    out.status[i] = code
    out.terminal_event[i] = term
    out.t_final[i] = W[off_t + l]
    for k in range(N_STATE):
        out.y_final[i, k] = W[k * lanes + l]


@jit
def _park_lane(l, lanes, W):
    """Give a freed lane a harmless state (the lane loops still compute it until it is
    refilled; a stale state near a singularity could run into slow subnormal arithmetic)."""
    for k in range(N_STATE):
        W[k * lanes + l] = 0.5 if k == 0 or k == 4 else 0.0


@jit
def _start_lane(i, l, lanes, off_t, shots, any_event, W, direction, shot, g, ys, out):
    """Load shot ``i`` into lane ``l`` (state, time, initial event values).

    Returns False (and writes the shot's result) if there is nothing to integrate.
    """
    t0 = shots.t0
    y0 = shots.y0
    t_end = shots.t_end
    params = shots.params
    event_modes = shots.event_modes
    ta = t0[i]
    for k in range(N_STATE):
        ys[k] = y0[i, k]
        W[k * lanes + l] = y0[i, k]
    W[off_t + l] = ta
    if t_end[i] == ta:
        _finish_lane(i, l, lanes, off_t, STATUS_FINISHED, -1, W, out)
        return False
    if any_event:
        for e in range(N_EVENTS):
            if event_modes[e] != 0:
                g[l, e] = event_value(MODEL_CR3BP, e, ta, ys, params, None)
    direction[l] = 1.0 if t_end[i] >= ta else -1.0
    shot[l] = i
    return True
