"""The integrators' shared contract: status codes, the state dimension, the result record.

Every single-shot kernel (:func:`massdriver.kernels.integrators.dop853.integrate`,
:func:`massdriver.kernels.integrators.sundman.integrate`,
:func:`massdriver.kernels.integrators.taylor.integrate`) takes the same arguments and returns an
:class:`Integration` record: compiled callers and Python read its fields by name.

Status codes
------------
``STATUS_FINISHED = 0`` reached ``t_end`` (the "time-out" outcome); ``STATUS_EVENT = 1`` stopped
by a terminal event; ``STATUS_STEP_TOO_SMALL = -1`` the step fell below ``10 ulp(t)`` (e.g. a
singularity, non-finite derivatives); ``STATUS_MAX_STEPS = -2`` ``max_steps`` accepted steps were
taken before ``t_end``.
"""

from __future__ import annotations

from collections import namedtuple

__all__ = ["STATUS_FINISHED", "STATUS_EVENT", "STATUS_STEP_TOO_SMALL", "STATUS_MAX_STEPS",
           "STATUS_MESSAGES", "N_STATE", "Integration", "BatchShots", "BatchResult"]

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

#: State dimension of every model (position and velocity); fixed so the compiler unrolls the
#: stage loops.
N_STATE = 6

#: Result of one integration (a ``collections.namedtuple``, so numba builds and returns it).
#:
#: ``status`` (``STATUS_*``); ``t_final`` time reached (the event time when a terminal event
#: stopped the integration); ``y_final`` state there, shape (6,); ``nfev``, ``nsteps``,
#: ``nrejected`` right-hand-side evaluations (Taylor expansions for the Taylor method), accepted
#: and rejected steps; ``ts``, ``ys`` the stored points (``t0``, every accepted step if asked,
#: ``t_final``), shapes (k,) and (k, 6); ``y_eval`` the states at the requested output times,
#: shape (m, 6), NaN rows past ``n_eval`` (the number of output times reached);
#: ``event_count`` occurrences of each event, shape (N_EVENTS,); ``event_t``, ``event_y`` their
#: times and states, shapes (N_EVENTS, max_event_records) and (N_EVENTS, max_event_records, 6),
#: NaN where unused; ``terminal_event`` the event that stopped the integration, or -1.
Integration = namedtuple("Integration", [
    "status", "t_final", "y_final", "nfev", "nsteps", "nrejected", "ts", "ys", "y_eval",
    "n_eval", "event_count", "event_t", "event_y", "terminal_event"])

#: Read-only inputs of a batch of ``n`` shots, as a chunk of the batch kernels sees them:
#: ``t0``, ``t_end`` shape (n,), ``y0`` shape (n, 6), ``rtol``, ``atol`` shape (6,),
#: ``max_step``, ``params``, ``event_modes`` shape (N_EVENTS,), ``max_steps`` (see
#: :func:`massdriver.kernels.integrators.batch.propagate_batch`).
BatchShots = namedtuple("BatchShots", [
    "t0", "y0", "t_end", "rtol", "atol", "max_step", "params", "event_modes", "max_steps"])

#: Results of a batch of ``n`` shots, one row per shot (written in place by the chunks):
#: ``t_final`` (n,), ``y_final`` (n, 6), ``status`` and ``terminal_event`` (n,) int64,
#: ``event_count`` (n, N_EVENTS) int64, ``first_t`` (n, N_EVENTS) and ``first_y``
#: (n, N_EVENTS, 6) the first occurrence of each event (NaN if none), ``nfev``, ``nsteps``,
#: ``nrejected`` (n,) int64.
BatchResult = namedtuple("BatchResult", [
    "t_final", "y_final", "status", "terminal_event", "event_count", "first_t", "first_y",
    "nfev", "nsteps", "nrejected"])
