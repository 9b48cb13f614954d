"""Result storage: the points of one integration, the result arrays of a batch.

The stored points of an integration are ``t0``, every accepted step if asked, and the final
point; the arrays start with room for 64 points and double when full (one allocation per
doubling, none per step). :func:`batch_outputs` allocates the
:data:`~massdriver.kernels.integrators.contract.BatchResult` of both batch kernels.
"""

from __future__ import annotations

import numpy as np
from massdriver.kernels.forces import N_EVENTS
from massdriver.kernels.integrators.contract import N_STATE, BatchResult
from massdriver.kernels.jit import jit

__all__ = ["start_points", "store_point", "batch_outputs"]


@jit(inline="always")
def start_points(t0, y0, store_steps):
    """The stored points of a run, holding ``(t0, y0)``: ``(ts, ys, n_stored)`` (room for 64
    points with ``store_steps``, else for ``t0`` and the final point)."""
    capacity = 64 if store_steps else 2
    ts = np.empty(capacity)
    ys = np.empty((capacity, y0.shape[0]))
    ts[0] = t0
    # element loops, not slice assignments: a slice assignment compiles numba's shape-mismatch
    # error (string formatting, ~3 s of the first run's compile, linked into every caller)
    for i in range(y0.shape[0]):
        ys[0, i] = y0[i]
    return ts, ys, 1


@jit(inline="always")
def store_point(ts, ys, n_stored, t, y, store_steps):
    """Append ``(t, y)`` to the stored points, doubling the arrays when full; without
    ``store_steps`` only ``t0`` and the latest point are kept. Returns ``(ts, ys, n_stored)``."""
    if n_stored == ts.shape[0]:
        ts2 = np.empty(2 * ts.shape[0])
        ys2 = np.empty((2 * ts.shape[0], ys.shape[1]))
        for k in range(n_stored):      # loops, not slices: see start_points
            ts2[k] = ts[k]
            for i in range(ys.shape[1]):
                ys2[k, i] = ys[k, i]
        ts = ts2
        ys = ys2
    if not store_steps:
        n_stored = 1      # keep t0 and the final point only
    ts[n_stored] = t
    for i in range(y.shape[0]):
        ys[n_stored, i] = y[i]
    return ts, ys, n_stored + 1


@jit
def batch_outputs(n):
    """The :data:`~massdriver.kernels.integrators.contract.BatchResult` arrays of ``n`` shots
    (counts zero, first occurrences NaN, the rest filled by the kernels)."""
    return BatchResult(np.empty(n), np.empty((n, N_STATE)), np.empty(n, dtype=np.int64),
                       np.empty(n, dtype=np.int64), np.zeros((n, N_EVENTS), dtype=np.int64),
                       np.full((n, N_EVENTS), np.nan), np.full((n, N_EVENTS, N_STATE), np.nan),
                       np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64),
                       np.zeros(n, dtype=np.int64))
