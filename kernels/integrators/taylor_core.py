"""The Taylor integrator's driver (see :mod:`massdriver.kernels.integrators.taylor` for the method).

:func:`core` is inlined into one compiled entry point per order
(``massdriver.kernels.integrators.taylor_jets.integrate_<p>``, generated), together with that order's
coefficient function: each order compiles on first use, and the ~100 coefficient loads and
stores of a step stay inside one function (a call per step that passes arrays costs ~40 % on
the benchmark coast).
"""

from __future__ import annotations

import math

import numpy as np
from massdriver.kernels.forces import MODEL_CR3BP, N_EVENTS, P_MU
from massdriver.kernels.integrators.contract import (
    N_STATE,
    STATUS_EVENT,
    STATUS_FINISHED,
    STATUS_MAX_STEPS,
    STATUS_STEP_TOO_SMALL,
    Integration,
)
from massdriver.kernels.integrators.dense import step_dense
from massdriver.kernels.integrators.events import detect_events, event_workspace, handle_events
from massdriver.kernels.integrators.storage import start_points, store_point
from massdriver.kernels.jit import jit
from numba.core import types
from numba.extending import intrinsic, overload

__all__ = ["core", "clip_step", "step_from_norms", "norm6", "plain_log2", "plain_exp2",
           "float_bits", "bits_float"]


def float_bits(x):
    """The IEEE-754 bits of the float64 ``x`` as an int64.

    Plain numpy here (so the kernels still run with ``NUMBA_DISABLE_JIT=1``); in compiled code
    the overload below makes it a bit cast, free and vectorisable.
    """
    return int(np.float64(x).view(np.int64))


def bits_float(b):
    """The float64 with the IEEE-754 bits ``b`` (inverse of :func:`float_bits`)."""
    return float(np.int64(b).view(np.float64))


@intrinsic
def _bitcast_f2i(typingctx, x):
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.int64))

    return types.int64(types.float64), codegen


@intrinsic
def _bitcast_i2f(typingctx, b):
    if b != types.int64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.float64))

    return types.float64(types.int64), codegen


@overload(float_bits, jit_options={"cache": True})
def _float_bits_compiled(x):
    if x == types.float64:
        return lambda x: _bitcast_f2i(x)
    return None


@overload(bits_float, jit_options={"cache": True})
def _bits_float_compiled(b):
    if b == types.int64:
        return lambda b: _bitcast_i2f(b)
    return None


_LOG2E = 1.4426950408889634
_LN2 = 0.6931471805599453
_SQRT2 = 1.4142135623730951
_TINY = 2.2250738585072014e-308      # the smallest normal float64
_NO_LIMIT = 1e300


@jit(inline="always")
def plain_log2(x):
    """``log2(x)`` for normal ``x > 0`` in plain arithmetic, within 1e-15 (relative, or absolute
    below 1); 0 gives -1023 and inf 1024 (the exponent field).

    Exponent from the bits, mantissa ``m`` in ``[1/sqrt2, sqrt2)``, ``ln m = 2 atanh s`` with
    ``s = (m - 1) / (m + 1)`` (``|s| < 0.172``, series to ``s^17``, summed by Estrin's scheme: the
    step waits for this value, so the dependency chain is kept short). No libm call and no branch,
    so a loop over lanes vectorises (numba vectorises ``math.log`` only with Intel's SVML).
    """
    b = float_bits(x)
    m = bits_float((b & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000)
    big = m > _SQRT2
    e = float(((b >> 52) & 0x7FF) - 1023) + (1.0 if big else 0.0)
    m = 0.5 * m if big else m
    s = (m - 1.0) / (m + 1.0)
    s2 = s * s
    s4 = s2 * s2
    s8 = s4 * s4
    q = (((1.0 / 17.0) * s8 + ((1.0 / 15.0 * s2 + 1.0 / 13.0) * s4 + (1.0 / 11.0 * s2 + 1.0 / 9.0)))
         * s8 + ((1.0 / 7.0 * s2 + 0.2) * s4 + (1.0 / 3.0 * s2 + 1.0)))
    return e + (2.0 * _LOG2E) * (s * q)


@jit(inline="always")
def plain_exp2(y):
    """``2^y`` for finite ``y``, clamped to ``[-1000, 1000]``, in plain arithmetic (within
    1e-15 relative).

    ``y = k + f`` with ``k`` the nearest integer and ``|f| <= 1/2``: ``2^f = e^(f ln 2)`` by its
    Taylor series to degree 12 (Estrin's scheme), ``2^k`` written into the exponent bits.
    """
    y = min(max(y, -1000.0), 1000.0)
    k = math.floor(y + 0.5)
    x = (y - k) * _LN2
    x2 = x * x
    x4 = x2 * x2
    x8 = x4 * x4
    lo = (1.0 / 6.0 * x + 0.5) * x2 + (x + 1.0)
    mid = (1.0 / 5040.0 * x + 1.0 / 720.0) * x2 + (1.0 / 120.0 * x + 1.0 / 24.0)
    hi = ((1.0 / 479001600.0 * x4 + (1.0 / 39916800.0 * x + 1.0 / 3628800.0) * x2)
          + (1.0 / 362880.0 * x + 1.0 / 40320.0))
    q = hi * x8 + (mid * x4 + lo)
    return q * bits_float((k + 1023) << 52)


@jit(inline="always")
def step_from_norms(m0, m1, m2, bad, p, floor):
    """Jorba-Zou step from the infinity norms of the coefficients of orders 0, ``p - 1`` and
    ``p`` (``floor = min(atol) / rtol``); NaN when ``bad`` (a NaN coefficient: the driver then
    stops with "step too small").

    ``h = 2^(min((log2 m - log2 m1) / (p - 1), (log2 m - log2 m2) / p) - (2 + 0.7 / (p - 1))
    log2 e)`` with ``m = max(m0, floor)``: the module's rule, evaluated by :func:`plain_log2` and
    :func:`plain_exp2` so that the batch kernel's lane loop (:mod:`massdriver.kernels.integrators.taylor_lanes`)
    vectorises and computes the same bits as the single-shot driver. The limits are those of
    the rule written with ``math.log`` (``log 0 = -inf``), by selects: a zero norm ``m1`` or
    ``m2`` sets no limit (``h = 2^1000`` when both are zero, clipped like an infinite step); an
    infinite one, or ``m = 0`` (a zero state with ``atol = 0``), gives ``h = 0``; ``m``, ``m1``
    and ``m2`` are otherwise normal numbers in practice (the exponent field of a subnormal reads
    as ``2^-1023``).
    """
    m = max(m0, floor)
    lm = plain_log2(m)
    e1 = (lm - plain_log2(m1)) * (1.0 / (p - 1))
    e2 = (lm - plain_log2(m2)) * (1.0 / p)
    e1 = _NO_LIMIT if m1 == 0.0 else e1
    e2 = _NO_LIMIT if m2 == 0.0 else e2
    h = plain_exp2(min(e1, e2) - (2.0 + 0.7 / (p - 1)) * _LOG2E)
    zero = (m == 0.0) | (m1 == math.inf) | (m2 == math.inf) | (m == math.inf)
    h = 0.0 if zero else h
    return np.nan if bad else h


@jit(inline="always")
def norm6(a, b, c, d, e, f):
    """Infinity norm of six numbers, as a tree (a shorter dependency chain than a loop)."""
    return max(max(max(abs(a), abs(b)), abs(c)), max(max(abs(d), abs(e)), abs(f)))


@jit(inline="always")
def _step_size(c, p, floor):
    """:func:`step_from_norms` of the coefficients ``c`` (rows ``0 .. p``)."""
    bad = False
    for i in range(N_STATE):
        bad = bad | (c[0, i] != c[0, i]) | (c[p - 1, i] != c[p - 1, i]) | (c[p, i] != c[p, i])
    return step_from_norms(norm6(c[0, 0], c[0, 1], c[0, 2], c[0, 3], c[0, 4], c[0, 5]),
                           norm6(c[p - 1, 0], c[p - 1, 1], c[p - 1, 2], c[p - 1, 3],
                                 c[p - 1, 4], c[p - 1, 5]),
                           norm6(c[p, 0], c[p, 1], c[p, 2], c[p, 3], c[p, 4], c[p, 5]),
                           bad, p, floor)


@jit(inline="always")
def clip_step(h_abs, t, t_end, direction, max_step):
    """The step from ``t`` of size ``h_abs``, capped at ``max_step`` and ending at ``t_end``.

    Returns ``(ok, t_new, last)``: ``ok`` is False when the step is below the DOP853 kernel's
    floor (10 ulp of ``t``; a NaN step fails it), ``last`` is True when ``t_new`` is ``t_end``.
    Shared by :func:`core` and the batch driver (:mod:`massdriver.kernels.integrators.taylor_lanes`).
    """
    if h_abs > max_step:
        h_abs = max_step
    # the floor is computed only near it
    if not h_abs > 1e-13 * abs(t):
        if not h_abs >= 10.0 * abs(np.nextafter(t, direction * np.inf) - t):
            return False, t, False
    t_new = t + direction * h_abs
    if direction * (t_new - t_end) >= 0.0:
        return True, t_end, True
    return True, t_new, False


@jit(inline="always")
def core(jet_p, advance_p, p, model, t0, y0, t_end, rtol, atol, max_step, params, event_modes,
         t_eval, store_steps, max_steps, max_event_records):
    """Integrate the CR3BP from ``t0`` to ``t_end`` with the order-``p`` Taylor method.

    ``jet_p(mu, y, c)`` fills the coefficients ``c[0:p+1]`` and ``advance_p(c, h, out)``
    evaluates the polynomial (the generated functions of that order). Other arguments and the
    results as :func:`massdriver.kernels.integrators.dop853.integrate` (``model`` must be
    ``MODEL_CR3BP``). ``rtol`` and ``min(atol)`` set the step (module docstring).
    """
    if model != MODEL_CR3BP:
        raise ValueError("the Taylor integrator has the CR3BP force model only")
    if y0.shape[0] != N_STATE:
        raise ValueError("the state must have 6 components (position, velocity)")
    n = N_STATE
    mu = params[P_MU]
    floor = np.min(atol) / rtol
    direction = 1.0 if t_end >= t0 else -1.0

    c = np.zeros((p + 1, n))
    y = y0.copy()
    y_new = np.empty(n)
    work = np.empty(n)

    n_eval_total = t_eval.shape[0]
    y_eval = np.full((n_eval_total, n), np.nan)
    ie = 0
    (event_count, event_t, event_y, g, g_new, found, roots,
     any_event) = event_workspace(model, event_modes, max_event_records, t0, y, params, None)
    terminal_event = -1

    ts, ys, n_stored = start_points(t0, y0, store_steps)

    nsteps = 0
    nfev = 0
    status = STATUS_FINISHED
    t = t0
    running = t != t_end
    while running:
        jet_p(mu, y, c)
        nfev += 1
        ok, t_new, last = clip_step(_step_size(c, p, floor), t, t_end, direction, max_step)
        if not ok:
            status = STATUS_STEP_TOO_SMALL
            break
        if last:
            running = False
        h = t_new - t
        advance_p(c, h, y_new)
        nsteps += 1
        t_stop = t_new

        if any_event:
            n_found = detect_events(model, event_modes, t_new, y_new, params, None, g, g_new,
                                    found)
            if n_found > 0:
                terminate, t_stop, term = handle_events(
                    model, event_modes, n_found, found, roots, t, t_new, h, y, y_new, c, work,
                    params, None, direction, event_count, event_t, event_y)
                if terminate:
                    terminal_event = term
                    status = STATUS_EVENT
                    running = False
            for e in range(N_EVENTS):
                g[e] = g_new[e]

        while ie < n_eval_total and direction * (t_eval[ie] - t_stop) <= 0.0:
            step_dense(t_eval[ie], t, h, y, c, work)
            for i in range(n):
                y_eval[ie, i] = work[i]
            ie += 1

        t = t_stop
        tmp = y
        y = y_new
        y_new = tmp
        if store_steps or not running:
            ts, ys, n_stored = store_point(ts, ys, n_stored, t, y, store_steps)
        if running and nsteps >= max_steps:
            status = STATUS_MAX_STEPS
            break

    if status == STATUS_MAX_STEPS or status == STATUS_STEP_TOO_SMALL:
        if ts[n_stored - 1] != t:
            ts, ys, n_stored = store_point(ts, ys, n_stored, t, y, store_steps)

    return Integration(status, t, y.copy(), nfev, nsteps, 0, ts[:n_stored].copy(),
                       ys[:n_stored].copy(), y_eval, ie, event_count, event_t, event_y,
                       terminal_event)
