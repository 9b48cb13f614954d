"""Many trajectories in one compiled call: lockstep SIMD lanes inside, threads outside.

Each thread takes chunks of shots (``numba.prange``); inside a chunk, ``LANES`` shots advance in
lockstep: every stage of the DOP853 step is computed for all lanes at once (arrays with the lane
as the fastest axis, so the compiler emits SIMD code for the CR3BP force model and overlaps the
independent dependency chains of the lanes for the ephemeris model). Each lane keeps its own time,
step size, accept/reject decision, events and counters; a lane whose shot ends is refilled with
the next shot of the chunk. Per lane the arithmetic is exactly that of
:func:`massdriver.kernels.integrators.dop853.integrate` (the same expressions, the same force-model function
:func:`~massdriver.kernels.forces.cr3bp_accel` / :func:`~massdriver.kernels.forces.ephemeris_accel`,
the same event and step-size helpers), so every shot is bit-identical to its one-at-a-time
propagation and the results do not depend on the thread count, the chunking or the lane a shot
ran in. The workspace layout and the functions over all lanes (the step and error norm written
out component by component, so every offset is a compile-time constant) are generated into
:mod:`massdriver.kernels.integrators.batch_lanes` by ``tools/batch_gen.py``.

Per shot the kernel keeps the final state, the status, the counters and, for every event, the
number of occurrences and the first occurrence (time and state). The first Earth perigee of a shot
is ``first_t[i, EV_PERIGEE]``, ``first_y[i, EV_PERIGEE]`` (NaN if none occurred).

Entry points
------------
:func:`propagate_batch`
    The compiled kernel (raw arrays).
:func:`propagate_many`
    Python wrapper: validates/broadcasts the inputs and returns a :class:`BatchPropagation`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba
import numpy as np
from massdriver.kernels.forces import (
    EVENT_NAMES,
    MODEL_CR3BP,
    MODEL_EPHEMERIS,
    N_EVENTS,
    event_value,
    pack_ephemeris,
    rhs,
)
from massdriver.kernels.integrators import dop853_coefficients as cf
from massdriver.kernels.integrators import taylor
from massdriver.kernels.integrators.batch_lanes import (
    LANES,
    OFF_H,
    OFF_T,
    OFF_Y,
    OFF_YN,
    WORKSPACE,
    advance_lanes,
    error_norms_lanes,
    rk_step_lanes,
    step_factors_lanes,
)
from massdriver.kernels.integrators.contract import (
    N_STATE,
    STATUS_EVENT,
    STATUS_FINISHED,
    STATUS_MAX_STEPS,
    STATUS_MESSAGES,
    STATUS_STEP_TOO_SMALL,
    BatchResult,
    BatchShots,
)
from massdriver.kernels.integrators.dop853 import dense_coefficients, select_initial_step
from massdriver.kernels.integrators.events import (
    detect_events,
    handle_events,
    lane_event_scratch,
    swap_first_events,
)
from massdriver.kernels.integrators.propagate import check_method
from massdriver.kernels.integrators.storage import batch_outputs
from massdriver.kernels.jit import jit, jit_parallel

__all__ = ["propagate_batch", "propagate_many", "BatchPropagation", "LANES", "CHUNK",
           "WORKSPACE"]

#: Shots per parallel work item (results do not depend on it; larger chunks idle fewer lanes at
#: the end of a chunk).
CHUNK = 256


@jit
def _run_chunk(model, shots, tab, first, last, out):
    """Integrate shots ``first .. last - 1`` in lockstep lanes, writing their results into
    ``out`` in place (``shots``: :data:`~massdriver.kernels.integrators.contract.BatchShots`,
    ``out``: :data:`~massdriver.kernels.integrators.contract.BatchResult`, ``tab``: the packed
    ephemeris or None)."""
    t_end = shots.t_end
    rtol = shots.rtol
    atol = shots.atol
    max_step = shots.max_step
    params = shots.params
    event_modes = shots.event_modes
    max_steps = shots.max_steps
    (t_final, y_final, status, terminal_event, event_count, first_t, first_y, nfev, nsteps,
     nrejected) = out
    # run-time lane count (see rhs_lanes); at most LANES
    nl = min(LANES, last - first)
    W = np.zeros(WORKSPACE)
    t_new = np.zeros(LANES)
    adv = np.zeros(LANES, dtype=np.bool_)
    done_l = np.zeros(LANES, dtype=np.bool_)
    code_l = np.zeros(LANES, dtype=np.int64)
    term_l = np.zeros(LANES, dtype=np.int64)
    t_stop = np.zeros(LANES)
    factors = np.zeros(LANES)
    accepted_l = np.zeros(LANES, dtype=np.bool_)
    h_abs = np.zeros(LANES)
    min_step = np.zeros(LANES)
    direction = np.ones(LANES)
    new_step = np.ones(LANES, dtype=np.bool_)
    rejected_once = np.zeros(LANES, dtype=np.bool_)
    shot = np.full(LANES, -1, dtype=np.int64)
    g = np.zeros((LANES, N_EVENTS))
    # scalar-layout scratch for the per-lane paths (start, events): the same functions as the
    # single-shot kernel, hence the same arithmetic
    Ks = np.empty((cf.N_STAGES_EXTENDED, N_STATE))
    F = np.empty((cf.INTERPOLATOR_POWER, N_STATE))
    ys = np.empty(N_STATE)
    yns = np.empty(N_STATE)
    ytmp = np.empty(N_STATE)
    work = np.empty(N_STATE)
    g_new, found, roots, ev_count, ev_t, ev_y, any_event = lane_event_scratch(event_modes)
    lane = (W, h_abs, direction, new_step, shot, g)
    scratch = (Ks, ys, work)

    next_shot = first
    active = 0
    for l in range(nl):
        while next_shot < last and shot[l] < 0:
            i = next_shot
            next_shot += 1
            if _start_lane(model, i, l, shots, tab, any_event, lane, scratch, out):
                active += 1

    while active > 0:
        # --- choose this attempt's step in every lane (the single-shot logic) ------------------
        for l in range(nl):
            while shot[l] >= 0:
                i = shot[l]
                tl = W[OFF_T + l]
                if new_step[l]:
                    min_step[l] = 10.0 * abs(np.nextafter(tl, direction[l] * np.inf) - tl)
                    if h_abs[l] > max_step:
                        h_abs[l] = max_step
                    elif h_abs[l] < min_step[l]:
                        h_abs[l] = min_step[l]
                    rejected_once[l] = False
                    new_step[l] = False
                if not h_abs[l] >= min_step[l]:    # also NaN
                    _finish_lane(i, l, STATUS_STEP_TOO_SMALL, -1, W, out)
                    shot[l] = -1
                    active -= 1
                    while next_shot < last and shot[l] < 0:
                        j = next_shot
                        next_shot += 1
                        if _start_lane(model, j, l, shots, tab, any_event, lane, scratch,
                                       out):
                            active += 1
                    continue
                hh = h_abs[l] * direction[l]
                tn = tl + hh
                if direction[l] * (tn - t_end[i]) > 0.0:
                    tn = t_end[i]
                hl = tn - tl
                W[OFF_H + l] = hl
                h_abs[l] = abs(hl)
                t_new[l] = tn
                break
            if shot[l] < 0:
                W[OFF_H + l] = 0.0
        if active == 0:
            break

        # --- the step, all lanes at once --------------------------------------------------------
        rk_step_lanes(model, W, params, tab, nl)

        # --- accept or reject, per lane (error norms in one vectorised loop) -------------------
        error_norms_lanes(W, rtol, atol, nl)
        step_factors_lanes(W, rejected_once, factors, accepted_l, nl)
        for l in range(nl):
            adv[l] = False
            i = shot[l]
            if i < 0:
                continue
            nfev[i] += 12
            hl = W[OFF_H + l]
            h_abs[l] *= factors[l]
            if not accepted_l[l]:
                rejected_once[l] = True
                nrejected[i] += 1
                continue
            nsteps[i] += 1
            new_step[l] = True
            adv[l] = True
            done = direction[l] * (t_new[l] - t_end[i]) >= 0.0
            code = STATUS_FINISHED
            term = -1
            t_stop[l] = t_new[l]
            if any_event:
                for k in range(N_STATE):
                    yns[k] = W[OFF_YN + k * LANES + l]
                n_found = detect_events(model, event_modes, t_new[l], yns, params, tab, g[l],
                                        g_new, found)
                if n_found > 0:
                    nfev[i] += 3
                    for k in range(N_STATE):
                        ys[k] = W[OFF_Y + k * LANES + l]
                    for r in range(cf.N_STAGES_EXTENDED):
                        for k in range(N_STATE):
                            Ks[r, k] = W[(r * N_STATE + k) * LANES + l]
                    swap_first_events(i, event_count, first_t, first_y, ev_count, ev_t, ev_y,
                                      False)
                    dense_coefficients(model, W[OFF_T + l], ys, yns, hl, Ks, ytmp, F, params,
                                       tab)
                    terminate, tstop, term = handle_events(
                        model, event_modes, n_found, found, roots, W[OFF_T + l], t_new[l],
                        t_new[l] - W[OFF_T + l], ys, yns, F, work, params, tab, direction[l],
                        ev_count, ev_t, ev_y)
                    swap_first_events(i, event_count, first_t, first_y, ev_count, ev_t, ev_y,
                                      True)
                    if terminate:
                        t_stop[l] = tstop
                        for k in range(N_STATE):
                            W[OFF_YN + k * LANES + l] = yns[k]
                        done = True
                        code = STATUS_EVENT
                for e in range(N_EVENTS):
                    g[l, e] = g_new[e]
            if not done and nsteps[i] >= max_steps:
                done = True
                code = STATUS_MAX_STEPS
            done_l[l] = done
            code_l[l] = code
            term_l[l] = term

        # --- advance the accepted lanes (vectorised), then finish and refill ---------------------
        advance_lanes(W, adv, t_stop, nl)
        for l in range(nl):
            if adv[l] and done_l[l]:
                _finish_lane(shot[l], l, code_l[l], term_l[l], W, out)
                shot[l] = -1
                active -= 1
                while next_shot < last and shot[l] < 0:
                    j = next_shot
                    next_shot += 1
                    if _start_lane(model, j, l, shots, tab, any_event, lane, scratch, out):
                        active += 1


@jit
def _finish_lane(i, l, code, term, W, out):
    """Write lane ``l``'s time and state as shot ``i``'s result in ``out``, with its status."""
    out.status[i] = code
    out.terminal_event[i] = term
    out.t_final[i] = W[OFF_T + l]
    for k in range(N_STATE):
        out.y_final[i, k] = W[OFF_Y + k * LANES + l]


@jit
def _start_lane(model, i, l, shots, tab, any_event, lane, scratch, out):
    """Load shot ``i`` into lane ``l`` (first derivative, first step, initial event values).

    ``lane`` holds the chunk's per-lane arrays ``(W, h_abs, direction, new_step, shot, g)``,
    ``scratch`` the single-shot layout scratch ``(Ks, ys, work)``. Returns False (and writes
    the shot's result) if there is nothing to integrate.
    """
    t0, y0, t_end, rtol, atol, max_step, params, event_modes, _ = shots
    W, h_abs, direction, new_step, shot, g = lane
    Ks, ys, work = scratch
    t_final, y_final, status, terminal_event, _, _, _, nfev, nsteps, nrejected = out
    ta = t0[i]
    tb = t_end[i]
    d = 1.0 if tb >= ta else -1.0
    for k in range(N_STATE):
        ys[k] = y0[i, k]
        W[OFF_Y + k * LANES + l] = y0[i, k]
    rhs(model, ta, ys, params, tab, Ks, 0)
    for k in range(N_STATE):
        W[k * LANES + l] = Ks[0, k]
    W[OFF_T + l] = ta
    nfev[i] = 1
    nsteps[i] = 0
    nrejected[i] = 0
    if tb == ta:
        status[i] = STATUS_FINISHED
        terminal_event[i] = -1
        t_final[i] = ta
        for k in range(N_STATE):
            y_final[i, k] = ys[k]
        return False
    h_abs[l] = select_initial_step(model, ta, ys, Ks[0], tb, max_step, d, rtol, atol, params,
                                   tab, Ks, work)
    nfev[i] += 1
    if any_event:
        for e in range(N_EVENTS):
            if event_modes[e] != 0:
                g[l, e] = event_value(model, e, ta, ys, params, tab)
    direction[l] = d
    new_step[l] = True
    shot[l] = i
    return True


@jit
def private_copy(tab):
    """A copy of ``tab`` (None stays None, resolved at compile time)."""
    if tab is None:
        return None
    return tab.copy()


@jit_parallel
def propagate_batch(model, t0, y0, t_end, rtol, atol, max_step, params, tab, event_modes,
                    max_steps):
    """Integrate ``n`` shots (DOP853, events, no stored steps): chunks of shots in parallel,
    ``LANES`` shots in lockstep within a chunk.

    Parameters
    ----------
    model : int
        Force-model id (:mod:`massdriver.kernels.forces`).
    t0, t_end : ndarray, shape (n,)
        Initial and final time of each shot (model units).
    y0 : ndarray, shape (n, 6)
        Initial states.
    rtol : float
        Relative tolerance.
    atol : ndarray, shape (6,)
        Absolute tolerances.
    max_step : float
        Largest step (``inf`` for none).
    params : ndarray, shape (N_PARAMS,)
        Model parameters, shared by all shots.
    tab : ndarray or None
        The packed ephemeris covering every shot's span (:func:`pack_ephemeris` of the
        ``eph`` tuple, made by the caller: see :func:`propagate_many`), or None (CR3BP).
    event_modes : ndarray of int64, shape (N_EVENTS,)
        0 off, -1 record, k >= 1 terminal at the k-th occurrence (shared by all shots).
    max_steps : int
        Cap on accepted steps per shot.

    Returns
    -------
    BatchResult
        One row per shot (:data:`massdriver.kernels.integrators.contract.BatchResult`):
        ``t_final`` (n,) the final time (event time for a terminal event), ``y_final``
        (n, 6) the final state, ``status`` (n,) ``STATUS_*``, ``terminal_event`` (n,) the event
        that stopped the shot or -1, ``event_count`` (n, N_EVENTS) occurrences of each event,
        ``first_t`` (n, N_EVENTS) and ``first_y`` (n, N_EVENTS, 6) the time and state of its
        first occurrence (NaN if none), ``nfev``, ``nsteps``, ``nrejected`` (n,) counters.
    """
    n = t0.shape[0]
    if y0.shape[1] != N_STATE:
        raise ValueError("the states must have 6 components (position, velocity)")
    out = batch_outputs(n)
    if n == 0:
        return out
    (t_final, y_final, status, terminal_event, event_count, first_t, first_y, nfev, nsteps,
     nrejected) = out
    n_chunks = (n + CHUNK - 1) // CHUNK
    for c in numba.prange(n_chunks):
        # private copies of the read-only inputs used in the step loop: numba reference-counts
        # array arguments on every call, and atomic updates of one shared counter from both
        # cores serialise the threads (the ephemeris batch did not scale before this); the
        # records are built inside the parallel loop from plain arrays
        _run_chunk(model, BatchShots(t0, y0, t_end, rtol, atol.copy(), max_step, params.copy(),
                                     event_modes.copy(), max_steps),
                   private_copy(tab), c * CHUNK, min(n, (c + 1) * CHUNK),
                   BatchResult(t_final, y_final, status, terminal_event, event_count, first_t,
                               first_y, nfev, nsteps, nrejected))
    return out


class BatchPropagation(NamedTuple):
    """Result of :func:`propagate_many` (model units; one row per shot).

    Attributes
    ----------
    t_final : ndarray, shape (n,)
        Final times.
    y_final : ndarray, shape (n, 6)
        Final states.
    status : ndarray of int, shape (n,)
        ``dop853.STATUS_*`` per shot.
    terminal_event : ndarray of int, shape (n,)
        Event index that stopped each shot (-1 if none).
    event_count : ndarray of int, shape (n, N_EVENTS)
        Occurrences per event.
    first_t : ndarray, shape (n, N_EVENTS)
        First occurrence time per event (NaN if none).
    first_y : ndarray, shape (n, N_EVENTS, 6)
        States at those times.
    nfev, nsteps, nrejected : ndarray of int, shape (n,)
        Counters.
    """

    t_final: np.ndarray
    y_final: np.ndarray
    status: np.ndarray
    terminal_event: np.ndarray
    event_count: np.ndarray
    first_t: np.ndarray
    first_y: np.ndarray
    nfev: np.ndarray
    nsteps: np.ndarray
    nrejected: np.ndarray

    def first(self, event: str) -> tuple[np.ndarray, np.ndarray]:
        """First occurrence ``(t, y)`` of the event named ``event`` (e.g. ``"perigee"``)."""
        e = EVENT_NAMES.index(event)
        return self.first_t[:, e], self.first_y[:, e]

    def messages(self) -> list[str]:
        """Status message of each shot."""
        return [STATUS_MESSAGES[int(s)] for s in self.status]


def propagate_many(model: int, t0, y0, t_end, params, eph, *, rtol: float = 1e-10, atol=1e-12,
                   max_step: float = np.inf, events=None, max_steps: int = 1_000_000,
                   method: str = "dop853") -> BatchPropagation:
    """Integrate many shots in parallel with the compiled kernel and name the results.

    Parameters
    ----------
    model : int
        ``forces.MODEL_CR3BP`` or ``forces.MODEL_EPHEMERIS``.
    t0, t_end : float or array_like, shape (n,)
        Start and end times (broadcast against the shots).
    y0 : array_like, shape (n, 6)
        Initial states.
    params : array_like
        Model parameters (shared).
    eph : tuple or None
        Ephemeris tables (ephemeris model) or None (CR3BP).
    rtol, atol, max_step, max_steps
        As :func:`massdriver.kernels.integrators.propagate.propagate`.
    events : array_like of int, optional
        ``event_modes`` array (:func:`massdriver.kernels.integrators.events.event_modes`).
    method : {"dop853", "taylor"}
        ``"dop853"``: :func:`propagate_batch` (each shot as ``dop853.propagate``);
        ``"taylor"``: the Taylor method's lane kernel
        (:func:`massdriver.kernels.integrators.taylor.integrate_batch`, CR3BP only; each shot as
        ``dop853.propagate(..., method="taylor")``; ``nrejected`` is 0).

    Returns
    -------
    BatchPropagation

    Notes
    -----
    A shot whose state is not finite is not refused (it may come from an upstream failure in
    a scan): it ends with "step too small" at ``t0`` without a step, the others are unaffected.
    """
    check_method(method, model)
    if int(model) not in (MODEL_CR3BP, MODEL_EPHEMERIS):
        raise ValueError(f"unknown model id {model!r}")
    if int(model) == MODEL_EPHEMERIS and eph is None:
        raise ValueError("the ephemeris model needs the ephemeris tables (eph is None)")
    # private writable copies: one array type whatever the caller passes (a read-only view
    # would compile a second specialisation of the kernel)
    y0 = np.array(y0, dtype=np.float64, ndmin=2)
    if y0.ndim != 2 or y0.shape[1] != N_STATE:
        raise ValueError(f"y0 must have shape (n, {N_STATE}), got {y0.shape}")
    n, dim = y0.shape
    t0 = np.array(np.broadcast_to(np.asarray(t0, dtype=np.float64), (n,)))
    t_end = np.array(np.broadcast_to(np.asarray(t_end, dtype=np.float64), (n,)))
    atol_arr = np.array(np.broadcast_to(np.asarray(atol, dtype=np.float64), (dim,)))
    if not (math.isfinite(rtol) and rtol > 0.0 and np.all(np.isfinite(atol_arr))
            and np.all(atol_arr >= 0.0) and max_step > 0.0):
        raise ValueError("rtol must be finite and > 0, atol finite and >= 0, max_step > 0")
    if not (np.all(np.isfinite(t0)) and np.all(np.isfinite(t_end))):
        raise ValueError("t0 and t_end must be finite")
    modes = (np.zeros(N_EVENTS, dtype=np.int64) if events is None
             else np.ascontiguousarray(events, dtype=np.int64))
    if modes.shape != (N_EVENTS,):
        raise ValueError(f"events must have shape ({N_EVENTS},)")
    params = np.ascontiguousarray(params, dtype=np.float64)
    if method == "taylor":
        out = taylor.integrate_batch(t0, y0, t_end, float(rtol), atol_arr, float(max_step),
                                     params, modes, int(max_steps))
    else:
        # The tables are packed here, not inside the parallel kernel: packed there, the array
        # handed to the parallel loop's private copies was sometimes read after it had been
        # freed (garbage forces, e.g. every shot stuck at 1e6 steps, in a process that had
        # just compiled the kernel). Owned by this frame, it lives through the call.
        tab = (None if eph is None else
               pack_ephemeris(eph, float(min(t0.min(), t_end.min())),
                              float(max(t0.max(), t_end.max()))) if t0.shape[0] else None)
        out = propagate_batch(int(model), t0, y0, t_end, float(rtol), atol_arr,
                              float(max_step), params, tab, modes, int(max_steps))
    return BatchPropagation(*out)
