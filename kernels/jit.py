"""The one JIT decorator used by every kernel.

``jit`` is ``numba.njit(cache=True, fastmath=False)``; ``jit_parallel`` adds ``parallel=True``
for the batch kernels that use ``numba.prange``.

Environment overrides (read once, at import):

``MASSDRIVER_JIT_CACHE``
    ``0`` disables numba's on-disk cache (default ``1``). The cache lives next to the source or in
    ``NUMBA_CACHE_DIR`` when that is set (use it when the install directory is read-only). It
    holds pickles that are loaded as code: it must be private to the user (never a shared,
    world-writable directory). Without a writable location the kernels are compiled in memory
    (one :class:`JitCacheWarning`); a damaged entry (a truncated ``.nbc``) is removed and
    compiled again.
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

import glob
import os
import warnings

import numba

__all__ = ["jit", "jit_parallel", "CACHE", "FASTMATH", "JitCacheWarning"]

CACHE = os.environ.get("MASSDRIVER_JIT_CACHE", "1") not in ("0", "false", "False", "")
FASTMATH = os.environ.get("MASSDRIVER_FASTMATH", "0") in ("1", "true", "True")


class JitCacheWarning(UserWarning):
    """The on-disk numba cache could not be used (the kernels still run, compiled in memory)
    or held an unreadable entry (removed and compiled again)."""


_warned: set = set()   # (key, ...) of the warnings given: each once per process


def _warn_once(key, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        warnings.warn(message, JitCacheWarning, stacklevel=4)


def _discard_entries(cache) -> None:
    """Remove the index and every data file of one function's cache entry."""
    cache_file = cache._cache_file
    pattern = glob.escape(cache_file._data_name_pattern.split("{")[0]) + "*.nbc"
    for path in [cache_file._index_path,
                 *glob.glob(os.path.join(cache._cache_path, pattern))]:
        try:
            os.unlink(path)
        except OSError:
            pass


def _guard_cache(dispatcher):
    """Make a cache entry that cannot be read (a truncated ``.nbc``/``.nbi``, a pickle of
    another build) a cache miss: the entry is removed and the function compiled again and
    re-saved; and make a cache that cannot be written a warning, not an error."""
    cache = getattr(dispatcher, "_cache", None)
    if cache is None or not hasattr(cache, "_cache_file"):
        return dispatcher                       # caching disabled (NullCache)
    load, save = cache.load_overload, cache.save_overload
    name = getattr(dispatcher.py_func, "__qualname__", "kernel")

    def load_overload(sig, target_context):
        try:
            return load(sig, target_context)
        except Exception as exc:                # unpickling a damaged file raises many types
            _discard_entries(cache)
            _warn_once(("corrupt", cache._cache_path, name),
                       f"numba cache entry of {name} in {cache._cache_path} was unreadable "
                       f"({type(exc).__name__}); removed, compiling it again")
            return None

    def save_overload(sig, data):
        try:
            save(sig, data)
        except OSError as exc:
            _warn_once(("save", cache._cache_path),
                       f"numba cache {cache._cache_path} is not writable "
                       f"({exc.strerror or exc}); kernels are compiled in memory for this run")

    cache.load_overload = load_overload
    cache.save_overload = save_overload
    return dispatcher


def _compile(func, options: dict):
    try:
        return _guard_cache(numba.njit(**options)(func))
    except RuntimeError as exc:                 # no usable cache location at all
        if not options.get("cache") or "cannot cache" not in str(exc):
            raise
        where = os.environ.get("NUMBA_CACHE_DIR") or "next to the kernel sources"
        _warn_once(("locate",),
                   f"no writable numba cache location ({where}); the kernels are compiled in "
                   "memory, on every run (set NUMBA_CACHE_DIR to a private writable directory)")
        return numba.njit(**{**options, "cache": False})(func)


def jit(*args, **kwargs):
    """``numba.njit`` with the project's options (``cache``, ``fastmath``, ``error_model='numpy'``).

    Use bare (``@jit``) or with extra numba options (``@jit(inline="always")``). The on-disk
    cache is guarded: no usable location means an in-memory compile with one
    :class:`JitCacheWarning`; an unreadable entry is removed and compiled again.
    """
    options = {"cache": CACHE, "fastmath": FASTMATH, "error_model": "numpy"}
    if len(args) == 1 and callable(args[0]) and not kwargs:
        return _compile(args[0], options)
    options.update(kwargs)
    if args:                                    # e.g. an explicit signature: numba's own way
        return numba.njit(*args, **options)
    return lambda func: _compile(func, options)


def jit_parallel(*args, **kwargs):
    """Like :func:`jit` with ``parallel=True`` (for kernels using ``numba.prange``)."""
    kwargs = {"parallel": True, **kwargs}
    if len(args) == 1 and callable(args[0]):
        return jit(**kwargs)(args[0])
    return jit(*args, **kwargs)
