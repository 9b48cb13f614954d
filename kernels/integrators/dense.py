"""A step's dense output: the DOP853 interpolant or a Taylor polynomial, evaluated at a time.

Shared by the event location (:mod:`massdriver.kernels.integrators.events`) and the ``t_eval``
output of every integrator. The DOP853 interpolant's coefficients come from
:func:`massdriver.kernels.integrators.dop853.dense_coefficients`.
"""

from __future__ import annotations

from massdriver.kernels.integrators import dop853_coefficients as cf
from massdriver.kernels.jit import jit

__all__ = ["dense_eval", "step_dense"]


@jit
def dense_eval(t, t_old, h_dense, y_old, F, out):
    """Evaluate the dense output of a step at ``t`` into ``out`` (scipy's nested form).

    ``h_dense = t_new - t_old``; ``x = (t - t_old) / h_dense`` in ``[0, 1]`` inside the step.
    """
    x = (t - t_old) / h_dense
    n = y_old.shape[0]
    for i in range(n):
        v = F[6, i] * x
        v = (v + F[5, i]) * (1.0 - x)
        v = (v + F[4, i]) * x
        v = (v + F[3, i]) * (1.0 - x)
        v = (v + F[2, i]) * x
        v = (v + F[1, i]) * (1.0 - x)
        v = (v + F[0, i]) * x
        out[i] = v + y_old[i]


@jit
def step_dense(t, t_old, h_dense, y_old, F, out):
    """A step's dense output at ``t`` into ``out``, for the event search and ``t_eval``.

    ``F`` is either the DOP853 interpolant (``INTERPOLATOR_POWER`` = 7 rows, from
    :func:`massdriver.kernels.integrators.dop853.dense_coefficients`; evaluated by :func:`dense_eval`) or the Taylor polynomial of a
    step of :mod:`massdriver.kernels.integrators.taylor` (``p + 1 >= 9`` rows, ``F[k] = y^(k)(t_old) / k!``).
    One function for both, told apart by the row count, so that :func:`massdriver.kernels.integrators.events.handle_events` serves
    both integrators (passing the evaluator as a function argument instead stops numba from
    caching every caller).
    """
    if F.shape[0] == cf.INTERPOLATOR_POWER:
        dense_eval(t, t_old, h_dense, y_old, F, out)
        return
    tau = t - t_old
    p = F.shape[0] - 1
    for i in range(out.shape[0]):
        v = F[p, i]
        for k in range(p - 1, -1, -1):
            v = v * tau + F[k, i]
        out[i] = v
