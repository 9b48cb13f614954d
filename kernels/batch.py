"""Many trajectories in one compiled call, in parallel over shots (``numba.prange``).

Each shot is integrated by :func:`massdriver.kernels.dop853.integrate` exactly as a single call
would do it (same arithmetic, no shared state between shots), so the results are bit-identical to
one-at-a-time propagation and do not depend on the number of threads (``numba.set_num_threads``)
or on how numba schedules the shots.

Per shot the kernel keeps the final state, the status, the counters and, for every event, the
number of occurrences and the first occurrence (time and state). The first Earth perigee of a shot
is therefore ``first_t[i, EV_PERIGEE]``, ``first_y[i, EV_PERIGEE]`` (NaN if none occurred).

Entry points
------------
:func:`propagate_batch`
    The compiled kernel (raw arrays).
:func:`propagate_many`
    Python wrapper: validates/broadcasts the inputs and returns a :class:`BatchPropagation`.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np
from massdriver.kernels.dop853 import N_STATE, STATUS_MESSAGES, integrate
from massdriver.kernels.forces import EVENT_NAMES, MODEL_CR3BP, MODEL_EPHEMERIS, N_EVENTS
from massdriver.kernels.jit import jit_parallel

__all__ = ["propagate_batch", "propagate_many", "BatchPropagation"]


@jit_parallel
def propagate_batch(model, t0, y0, t_end, rtol, atol, max_step, params, eph, event_modes,
                    max_steps):
    """Integrate ``n`` shots in parallel (DOP853, events, no stored steps).

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
    eph : tuple or None
        Ephemeris tables (ephemeris model) or None (CR3BP).
    event_modes : ndarray of int64, shape (N_EVENTS,)
        0 off, -1 record, k >= 1 terminal at the k-th occurrence (shared by all shots).
    max_steps : int
        Cap on accepted steps per shot.

    Returns
    -------
    t_final : ndarray, shape (n,)
        Final time (event time for a terminal event).
    y_final : ndarray, shape (n, 6)
        Final state.
    status : ndarray of int64, shape (n,)
        ``dop853.STATUS_*``.
    terminal_event : ndarray of int64, shape (n,)
        Event that stopped the shot, or -1.
    event_count : ndarray of int64, shape (n, N_EVENTS)
        Occurrences of each event.
    first_t : ndarray, shape (n, N_EVENTS)
        Time of the first occurrence of each event (NaN if none).
    first_y : ndarray, shape (n, N_EVENTS, 6)
        State at that time.
    nfev, nsteps, nrejected : ndarray of int64, shape (n,)
        Counters.
    """
    n = t0.shape[0]
    dim = y0.shape[1]
    t_final = np.empty(n)
    y_final = np.empty((n, dim))
    status = np.empty(n, dtype=np.int64)
    terminal_event = np.empty(n, dtype=np.int64)
    event_count = np.zeros((n, N_EVENTS), dtype=np.int64)
    first_t = np.full((n, N_EVENTS), np.nan)
    first_y = np.full((n, N_EVENTS, dim), np.nan)
    nfev = np.empty(n, dtype=np.int64)
    nsteps = np.empty(n, dtype=np.int64)
    nrejected = np.empty(n, dtype=np.int64)
    no_output = np.empty(0)
    for i in numba.prange(n):
        out = integrate(model, t0[i], y0[i], t_end[i], rtol, atol, max_step, 0.0, params, eph,
                        event_modes, no_output, False, max_steps, 1)
        status[i] = out[0]
        t_final[i] = out[1]
        y_final[i, :] = out[2]
        nfev[i] = out[3]
        nsteps[i] = out[4]
        nrejected[i] = out[5]
        count = out[10]
        ev_t = out[11]
        ev_y = out[12]
        terminal_event[i] = out[13]
        for e in range(N_EVENTS):
            event_count[i, e] = count[e]
            if count[e] > 0:
                first_t[i, e] = ev_t[e, 0]
                for k in range(dim):
                    first_y[i, e, k] = ev_y[e, 0, k]
    return (t_final, y_final, status, terminal_event, event_count, first_t, first_y, nfev,
            nsteps, nrejected)


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
                   max_step: float = np.inf, events=None,
                   max_steps: int = 1_000_000) -> BatchPropagation:
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
        As :func:`massdriver.kernels.dop853.propagate`.
    events : array_like of int, optional
        ``event_modes`` array (:func:`massdriver.kernels.dop853.event_modes`).

    Returns
    -------
    BatchPropagation
    """
    if int(model) not in (MODEL_CR3BP, MODEL_EPHEMERIS):
        raise ValueError(f"unknown model id {model!r}")
    if int(model) == MODEL_EPHEMERIS and eph is None:
        raise ValueError("the ephemeris model needs the ephemeris tables (eph is None)")
    y0 = np.ascontiguousarray(np.atleast_2d(np.asarray(y0, dtype=np.float64)))
    n, dim = y0.shape
    if dim != N_STATE:
        raise ValueError(f"y0 must have shape (n, {N_STATE}), got {y0.shape}")
    t0 = np.ascontiguousarray(np.broadcast_to(np.asarray(t0, dtype=np.float64), (n,)))
    t_end = np.ascontiguousarray(np.broadcast_to(np.asarray(t_end, dtype=np.float64), (n,)))
    atol_arr = np.ascontiguousarray(np.broadcast_to(np.asarray(atol, dtype=np.float64), (dim,)))
    if not (rtol > 0.0 and np.all(atol_arr >= 0.0)) or max_step <= 0.0:
        raise ValueError("rtol and max_step must be > 0 and atol >= 0")
    modes = (np.zeros(N_EVENTS, dtype=np.int64) if events is None
             else np.ascontiguousarray(events, dtype=np.int64))
    if modes.shape != (N_EVENTS,):
        raise ValueError(f"events must have shape ({N_EVENTS},)")
    out = propagate_batch(int(model), t0, y0, t_end, float(rtol), atol_arr, float(max_step),
                          np.ascontiguousarray(params, dtype=np.float64), eph, modes,
                          int(max_steps))
    return BatchPropagation(*out)
