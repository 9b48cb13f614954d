"""The one JIT decorator used by every kernel.

``jit`` is ``numba.njit(cache=True, fastmath=False)``; ``jit_parallel`` adds ``parallel=True``
for the batch kernels that use ``numba.prange``.

Environment overrides (read once, at import):

``MASSDRIVER_JIT_CACHE``
    ``0`` disables numba's on-disk cache (default ``1``). The cache lives next to the source or in
    ``NUMBA_CACHE_DIR`` when that is set (use it when the install directory is read-only).
``MASSDRIVER_FASTMATH``
    ``1`` enables fastmath (default ``0``: results are then not bit-reproducible across machines).
``NUMBA_DISABLE_JIT``
    numba's own switch; ``1`` runs the kernels as plain Python (for debugging, very slow).

One exception, whatever ``MASSDRIVER_FASTMATH`` says: the Taylor integrator's entry points
(:mod:`massdriver.kernels.integrators.taylor_jets`) allow FMA contraction (``fastmath={"contract"}``, no
reassociation; 9 % faster), so their results can differ in the last bits between CPUs with and
without FMA instructions.
"""

from __future__ import annotations

import os

import numba

__all__ = ["jit", "jit_parallel", "CACHE", "FASTMATH"]

CACHE = os.environ.get("MASSDRIVER_JIT_CACHE", "1") not in ("0", "false", "False", "")
FASTMATH = os.environ.get("MASSDRIVER_FASTMATH", "0") in ("1", "true", "True")


def jit(*args, **kwargs):
    """``numba.njit`` with the project's options (``cache``, ``fastmath``, ``error_model='numpy'``).

    Use bare (``@jit``) or with extra numba options (``@jit(inline="always")``).
    """
    options = {"cache": CACHE, "fastmath": FASTMATH, "error_model": "numpy"}
    if len(args) == 1 and callable(args[0]) and not kwargs:
        return numba.njit(**options)(args[0])
    options.update(kwargs)
    return numba.njit(*args, **options)


def jit_parallel(*args, **kwargs):
    """Like :func:`jit` with ``parallel=True`` (for kernels using ``numba.prange``)."""
    kwargs = {"parallel": True, **kwargs}
    if len(args) == 1 and callable(args[0]):
        return jit(**kwargs)(args[0])
    return jit(*args, **kwargs)
