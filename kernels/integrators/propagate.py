"""The integrators' front door: one Python call, any method, named results.

:func:`propagate` validates and converts its arguments, runs the chosen compiled kernel
(:func:`massdriver.kernels.integrators.dop853.integrate`, its Sundman-regularised variant
:func:`massdriver.kernels.integrators.sundman.integrate`, or the Taylor method
:func:`massdriver.kernels.integrators.taylor.integrate`) and returns a :class:`Propagation`.
The names a caller of :func:`propagate` needs are here too: the status codes
(:mod:`~massdriver.kernels.integrators.contract`) and :func:`event_modes`
(:mod:`~massdriver.kernels.integrators.events`). Many shots at once:
:func:`massdriver.kernels.integrators.batch.propagate_many`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from massdriver.kernels.forces import (
    EVENT_NAMES,
    MODEL_CR3BP,
    MODEL_EPHEMERIS,
    N_EVENTS,
    pack_ephemeris,
)
from massdriver.kernels.integrators import dop853, sundman, taylor
from massdriver.kernels.integrators.contract import (
    N_STATE,
    STATUS_EVENT,
    STATUS_FINISHED,
    STATUS_MAX_STEPS,
    STATUS_MESSAGES,
    STATUS_STEP_TOO_SMALL,
)
from massdriver.kernels.integrators.events import EVENT_OFF, EVENT_RECORD, event_modes

__all__ = ["Propagation", "propagate", "check_method", "event_modes", "EVENT_OFF", "EVENT_RECORD",
           "STATUS_FINISHED", "STATUS_EVENT", "STATUS_STEP_TOO_SMALL", "STATUS_MAX_STEPS",
           "STATUS_MESSAGES", "N_STATE"]


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



def check_method(method: str, model: int) -> None:
    """Raise ``ValueError`` unless ``method`` is ``"dop853"`` or ``"taylor"`` and fits the model
    (the Taylor integrator has the CR3BP only); shared by :func:`propagate` and
    :func:`massdriver.kernels.integrators.batch.propagate_many`."""
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
        ``event_modes`` array (see :func:`massdriver.kernels.integrators.events.event_modes`); default: no events.
    t_eval : array_like, optional
        Output times within ``[t0, t_end]``, ordered along the integration.
    store_steps : bool
        Keep every accepted step.
    max_steps : int
        Maximum number of accepted steps.
    max_event_records : int
        Occurrences stored per event.

    regularize : bool
        Integrate in Sundman-regularised time (:mod:`massdriver.kernels.integrators.sundman`): the same
        DOP853 pair on the time-transformed equations, fewer steps near the Earth and the Moon
        for the same tolerances. Default False: physical time, step for step as scipy.
    method : {"dop853", "taylor"}
        ``"taylor"``: the Taylor-series integrator of :mod:`massdriver.kernels.integrators.taylor` (CR3BP
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
        kernel = taylor.integrate
    elif regularize:
        kernel = sundman.integrate
    if method == "taylor" or regularize:
        out = kernel(int(model), float(t0), y0, float(t_end), float(rtol), atol_arr,
                     float(max_step), float(first_step), params, eph, modes, te,
                     bool(store_steps), int(max_steps), int(max_event_records))
    else:
        # dop853.integrate's body from Python (its checks are done above, its copies are
        # atol_arr and params): the compiled callers (kernels/shots.py) call integrate_packed
        # too, so a first run compiles no wrapper level, which would link the integrator and
        # have LLVM optimise and emit it once more (~2.5 s CPU)
        out = dop853.integrate_packed(
            int(model), float(t0), y0, float(t_end), float(rtol), atol_arr, float(max_step),
            float(first_step), params, pack_ephemeris(eph, float(t0), float(t_end)), modes,
            te, bool(store_steps), int(max_steps), int(max_event_records))
    status = int(out.status)
    term = int(out.terminal_event)
    kept = np.minimum(out.event_count, out.event_t.shape[1])
    return Propagation(
        t=out.ts, y=out.ys, status=status, message=STATUS_MESSAGES[status],
        t_final=float(out.t_final), y_final=out.y_final, nfev=int(out.nfev),
        nsteps=int(out.nsteps), nrejected=int(out.nrejected), t_eval=te, y_eval=out.y_eval,
        n_eval=int(out.n_eval), event_count=out.event_count,
        event_t=tuple(out.event_t[e, :kept[e]] for e in range(N_EVENTS)),
        event_y=tuple(out.event_y[e, :kept[e]] for e in range(N_EVENTS)), terminal_event=term,
        terminal_event_name=EVENT_NAMES[term] if term >= 0 else "")
