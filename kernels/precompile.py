"""Kernels compiled ahead by explicit numba signature, importing nothing but the kernels.

A cold ``solve`` compiles its scan kernel (``shots.solve_chunk``) and, while typing it, every
kernel the scan calls. The called ones that are not inlined can be compiled elsewhere first: a
child process (:mod:`massdriver.background_compile`) compiles them on a second core into the
shared on-disk cache, and the parent loads them from there when its typing reaches them.
Compiled this way they need only numba and the kernel modules, so the child starts compiling
about a second after it is started (the ``massdriver warmup`` front end imports astropy,
scipy and the whole package first).

Each group lists the exact argument types the scan passes: a signature that differs in one
array's layout or read-only flag would compile a specialisation nobody loads.
``tests/test_background_compile.py`` runs a real scan after each group on an empty cache and
checks that it compiles no new specialisation of the group's kernels.

The ephemeris tables reach the kernels as read-only arrays (five Chebyshev record sets and the
lunar orientation table, see :mod:`massdriver.kernels.forces`); the site vectors are read-only
too.
"""

from __future__ import annotations

from massdriver.kernels import chebyshev, forces, frames, shots
from massdriver.kernels.integrators import dop853, events
from numba.core import types as nbt

__all__ = ["GROUPS", "compile_group", "scan_head", "integrator_parts", "scan_tail"]

_F8, _I8 = nbt.float64, nbt.int64
_A1, _A2, _A3 = (nbt.Array(nbt.float64, ndim, "C") for ndim in (1, 2, 3))
_AI = nbt.Array(nbt.int64, 1, "C")
_R1, _R2, _R3 = (nbt.Array(nbt.float64, ndim, "C", readonly=True) for ndim in (1, 2, 3))
#: the packed ephemeris tables as the integrator receives them
_TABLES = nbt.Tuple((_R3, _R3, _R3, _R3, _R3, _R2))


def scan_head() -> list:
    """What the scan's typing reaches first, before the integrator: the launch state (with the
    Chebyshev evaluation it calls) and the packing of the ephemeris tables."""
    return [
        (frames.launch_state_into, (_F8, _F8, _R1, _R1, _TABLES, _A1, _A2, _A2, _A1)),
        (forces._pack_records, (_TABLES, _F8, _F8)),
    ]


def integrator_parts() -> list:
    """The DOP853 integrator's out-of-line parts (events, force model, first step, dense
    output): called, not inlined, by ``integrate_packed`` and the batch and Sundman loops."""
    return [
        (events.event_workspace, (_I8, _AI, _I8, _F8, _A1, _A1, _A1)),
        (forces.rhs_called, (_I8, _F8, _A1, _A1, _A1, _A2, _I8)),
        (dop853.select_initial_step,
         (_I8, _F8, _A1, _A1, _F8, _F8, _F8, _F8, _A1, _A1, _A1, _A2, _A1)),
        (dop853.dense_coefficients, (_I8, _F8, _A1, _A1, _F8, _A2, _A1, _A2, _A1, _A1)),
        (events.handle_events, (_I8, _AI, _I8, _AI, _A1, _F8, _F8, _F8, _A1, _A1, _A2, _A1,
                                _A1, _A1, _F8, _AI, _A2, _A3)),
    ]


def scan_tail() -> list:
    """What the window refinement calls from Python after the scan: the osculating perigee of a
    coast's end state, one launch state, and geocentric Moon states."""
    return [
        (shots.osculating_perigee, (_A1, _F8)),
        (frames.launch_state, (_F8, _F8, _R1, _R1, _TABLES)),
        (chebyshev.geocentric_states, (_A1, _TABLES, _I8)),
    ]


#: group name -> the function listing its (dispatcher, argument types)
GROUPS = {"scan_head": scan_head, "integrator_parts": integrator_parts, "scan_tail": scan_tail}


def compile_group(name: str) -> None:
    """Compile (not run) every kernel of group ``name`` (a key of :data:`GROUPS`) for its
    listed signature; with numba's cache on, each lands in the on-disk cache."""
    for dispatcher, signature in GROUPS[name]():
        dispatcher.compile(signature)
