"""Events of the integrators: modes, detection on a step, location, bookkeeping.

After each accepted step the active event functions (:func:`massdriver.kernels.forces.event_value`)
are compared with their values at the start of the step (scipy's rule, direction-aware); each
sign change is located by Brent's method on the step's dense output (a port of scipy's
``brentq`` with ``xtol = rtol = 4 eps``, as ``solve_ivp`` uses: far below 1 ms). Events may be
terminal at their k-th occurrence. As in scipy, an event function that is exactly zero at ``t0``
fires on the first step if it moves in its direction (restarting from an event's root can find
it again).

The same functions serve every integrator: DOP853 in physical time
(:mod:`massdriver.kernels.integrators.dop853`) and in regularised time
(:mod:`~massdriver.kernels.integrators.sundman`, 7-component states), the Taylor method
(:mod:`~massdriver.kernels.integrators.taylor_core`) and the batch lanes
(:func:`lane_event_scratch`, :func:`swap_first_events`).
"""

from __future__ import annotations

import math

import numpy as np
from massdriver.kernels.forces import (
    EV_PERIGEE,
    EV_TIME,
    EVENT_DIRECTIONS,
    EVENT_NAMES,
    MODEL_CR3BP,
    N_EVENTS,
    P_MU,
    P_PERIGEE_MAX_RADIUS,
    P_T_REF,
    P_T_TARGET,
    event_value,
    event_value_called,
)
from massdriver.kernels.integrators.contract import N_STATE
from massdriver.kernels.integrators.dense import step_dense
from massdriver.kernels.jit import jit

__all__ = ["EVENT_OFF", "EVENT_RECORD", "EVENT_TOL", "EVENT_MAXITER", "event_modes",
           "locate_event", "detect_events", "handle_events", "event_workspace",
           "lane_event_scratch", "swap_first_events"]

#: ``event_modes`` values: 0 = inactive, -1 = record every occurrence, k >= 1 = terminal at the
#: k-th occurrence (also recorded).
EVENT_OFF = 0
EVENT_RECORD = -1

EVENT_TOL = 4.0 * float(np.finfo(float).eps)   # brentq xtol and rtol of scipy's solve_ivp events
EVENT_MAXITER = 100

_EV_DIR = np.array(EVENT_DIRECTIONS, dtype=np.int64)


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


@jit
def _event_on_dense(model, event, t, t_old, h_dense, y_old, F, work, params, tab):
    """Event function ``event`` on the dense output at ``t`` (:func:`massdriver.kernels.integrators.dense.step_dense`). For the
    regularised state (7 components, :mod:`massdriver.kernels.integrators.sundman`) ``t`` is the fictitious
    time: the events see the physical time ``params[P_T_REF] + Y[6]``, and ``EV_TIME`` is
    ``Y[6] - params[P_T_TARGET]``."""
    step_dense(t, t_old, h_dense, y_old, F, work)
    t_event = t
    if work.shape[0] > N_STATE:
        if event == EV_TIME:
            return work[N_STATE] - params[P_T_TARGET]
        t_event = params[P_T_REF] + work[N_STATE]
    # one call for both state sizes (each inlined copy costs compile time on a first run)
    return event_value_called(model, event, t_event, work, params, tab)


@jit
def locate_event(model, event, xa, xb, t_old, h_dense, y_old, F, work, params, tab):
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
    for _ in range(EVENT_MAXITER):
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
        delta = (EVENT_TOL + EVENT_TOL * abs(xcur)) / 2.0
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
    # np.int64: a plain integer, not the literal 0 (type inference would first see the literal
    # and compile a useless Literal[int](0) specialisation of handle_events)
    n_found = np.int64(0)
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
    (:func:`massdriver.kernels.integrators.dop853.dense_coefficients`, or a Taylor polynomial;
    evaluated by :func:`massdriver.kernels.integrators.dense.step_dense`); the events are
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
        roots[j] = locate_event(model, e, t, t_new, t, h_dense, y, F, work, params, tab)
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


@jit
def event_workspace(model, event_modes, max_event_records, t0, y, params, tab):
    """Event bookkeeping arrays of one integration starting at ``(t0, y)``: counts, times and
    states of up to ``max_event_records`` occurrences per event (NaN where unused), the event
    values at both ends of a step (``g`` holds the active events' values at the start), the
    scratch of :func:`handle_events`, and whether any event is active. ``y`` may be the
    regularised 7-component state (:mod:`massdriver.kernels.integrators.sundman`); ``t0`` is physical."""
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
            g[e] = event_value_called(model, e, t0, y, params, tab)
    return event_count, event_t, event_y, g, g_new, found, roots, any_event


@jit(inline="always")
def lane_event_scratch(event_modes):
    """Scratch of the per-lane event search of a batch chunk: ``g_new``, ``found``, ``roots``
    (as :func:`event_workspace`), one-record event arrays in the
    single-shot layout, and whether any event is active."""
    any_event = False
    for e in range(N_EVENTS):
        if event_modes[e] != 0:
            any_event = True
    return (np.zeros(N_EVENTS), np.empty(N_EVENTS, dtype=np.int64), np.empty(N_EVENTS),
            np.zeros(N_EVENTS, dtype=np.int64), np.full((N_EVENTS, 1), np.nan),
            np.full((N_EVENTS, 1, N_STATE), np.nan), any_event)


@jit(inline="always")
def swap_first_events(i, event_count, first_t, first_y, ev_count, ev_t, ev_y, back):
    """Copy shot ``i``'s event counts and first occurrences into the one-record arrays that
    :func:`handle_events` updates, or (``back``) from them."""
    for e in range(N_EVENTS):
        if back:
            event_count[i, e] = ev_count[e]
            first_t[i, e] = ev_t[e, 0]
            for k in range(N_STATE):
                first_y[i, e, k] = ev_y[e, 0, k]
        else:
            ev_count[e] = event_count[i, e]
            ev_t[e, 0] = first_t[i, e]
            for k in range(N_STATE):
                ev_y[e, 0, k] = first_y[i, e, k]
