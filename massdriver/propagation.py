"""``massdriver.propagate``: any state, either force model, with events and dense output.

:func:`massdriver.trajectory.shoot` starts from a lunar track; this starts from any state:

``model="ephemeris"``
    Earth-centred ICRF axes, TDB: point-mass Earth, Moon and Sun from DE421, Earth J2, lunar
    J2/C22 near the Moon (the coast model of ``shoot``). The state is a geocentric position and
    velocity (Quantities), an :class:`~massdriver.budget.ArrivalState`, or a poliastro-API
    ``Orbit`` around the Earth (boinor, hapsira).
``model="cr3bp"``
    The Earth-Moon CR3BP in its rotating frame (:mod:`massdriver.cr3bp` scaling): the state is
    a non-dimensional rotating-frame array (6,), ``tof`` a time Quantity (converted with the
    time unit) or a non-dimensional float; ``epoch`` only labels the start.

Both integrate with the compiled DOP853 kernel. Terminal ``events`` among
``moon_impact``, ``perigee``, ``atmosphere``, ``earth_impact``, ``escape`` stop the
integration at their first occurrence (located on the dense output). The result stores every
accepted step; :meth:`Propagation.at` gives states at any epochs inside the span from the
integrator's dense output (the same integration run again with output times: the same steps,
so the same interpolant).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import astropy.units as u
import numpy as np
from astropy.coordinates import CartesianRepresentation
from astropy.time import Time

from massdriver import bodies
from massdriver.budget import ArrivalState
from massdriver.errors import InputError
from massdriver.kernels import forces
from massdriver.kernels.integrators import propagate as front_door
from massdriver.targets import _vector
from massdriver.timescales import from_tdb_seconds, to_tdb_seconds

__all__ = ["propagate", "Propagation", "EVENTS"]

EVENTS = ("moon_impact", "perigee", "atmosphere", "earth_impact", "escape")


@dataclass(frozen=True)
class Propagation:
    """Result of :func:`propagate`.

    Attributes
    ----------
    model : str
    status : str
        ``"done"`` (end reached), the name of the terminal event that stopped it, or
        ``"failed"``.
    epoch : astropy.time.Time
        Start.
    times : astropy.time.Time
        Every stored point (start, accepted steps, end), TDB.
    positions, velocities : astropy.units.Quantity
        ``(n, 3)``: km and km/s, geocentric ICRF (ephemeris model); non-dimensional
        rotating-frame values (cr3bp model, ``u.one``).
    nfev, steps, rejected : int
    """

    model: str
    status: str
    epoch: Any
    times: Any
    positions: Any
    velocities: Any
    nfev: int
    steps: int
    rejected: int
    _setup: tuple = field(repr=False, compare=False, default=())

    def __repr__(self) -> str:
        return (f"Propagation(model={self.model!r}, status={self.status!r}, "
                f"points={len(self.times)}, nfev={self.nfev})")

    @property
    def representation(self):
        """The stored positions as an astropy ``CartesianRepresentation``."""
        return CartesianRepresentation(self.positions.T)

    def at(self, times):
        """States at ``times`` (inside the span) from the integrator's dense output.

        Parameters
        ----------
        times : astropy.time.Time
            Increasing epochs.

        Returns
        -------
        (Time, Quantity, Quantity)
            The epochs served, positions and velocities (units as ``positions``).
        """
        model_id, t0, y0, t_end, params, eph, rtol, atol, modes, t_scale, sec0 = self._setup
        sec = np.atleast_1d(np.asarray(to_tdb_seconds(times), dtype=np.float64))
        if sec.size == 0 or np.any(np.diff(sec) <= 0.0):
            raise InputError("at(): times must be increasing epochs")
        t_model = t0 + (sec - sec0) * t_scale        # model time units per second
        lo, hi = min(t0, t_end), max(t0, t_end)
        if np.any(t_model < lo - 1e-12 * max(1.0, abs(lo))) or \
                np.any(t_model > hi + 1e-12 * max(1.0, abs(hi))):
            raise InputError("at(): times must lie within the propagated span")
        prop = _integrate(model_id, t0, y0, t_end, params, eph, rtol, atol, modes, t_model)
        n = prop.n_eval
        y = prop.y_eval[:n]
        unit_r, unit_v = (u.km, u.km / u.s) if self.model == "ephemeris" else (u.one, u.one)
        return from_tdb_seconds(sec[:n]), y[:, :3] * unit_r, y[:, 3:] * unit_v


def _integrate(model_id, t0, y0, t_end, params, eph, rtol, atol, modes, t_eval=None):
    return front_door.propagate(model_id, t0, y0, t_end, params, eph, rtol=rtol, atol=atol,
                                events=modes, t_eval=t_eval, store_steps=True)


def _ephemeris_state(state):
    if isinstance(state, ArrivalState):
        return (_vector(state.position, "position", "km"),
                _vector(state.velocity, "velocity", "km/s"), state.epoch)
    if hasattr(state, "attractor") and hasattr(state, "r"):
        from massdriver.interop.poliastro import from_orbit

        s = from_orbit(state)
        return (s.position.to_value(u.km), s.velocity.to_value(u.km / u.s), s.epoch)
    if isinstance(state, (tuple, list)) and len(state) == 2:
        return (_vector(state[0], "position", "km"), _vector(state[1], "velocity", "km/s"),
                None)
    raise InputError("state: expected (position, velocity) Quantities, an ArrivalState or a "
                     "poliastro-API Orbit")


def propagate(state, epoch=None, tof=None, *, model: str = "ephemeris", events=(),
              rtol: float = 1e-11, ephemeris=None) -> Propagation:
    """Propagate any state under the ephemeris or the CR3BP force model.

    Parameters
    ----------
    state
        ``model="ephemeris"``: ``(position, velocity)`` Quantities (geocentric ICRF), an
        ``ArrivalState`` or a poliastro-API ``Orbit`` (their epochs are used if ``epoch`` is
        None). ``model="cr3bp"``: a non-dimensional rotating-frame state (6,).
    epoch : astropy.time.Time
        Start (required unless the state carries one; optional for the CR3BP).
    tof : astropy.units.Quantity or float
        Time of flight (negative: backwards). A float is days for the ephemeris model and
        non-dimensional time for the CR3BP.
    model : {"ephemeris", "cr3bp"}
    events : iterable of str
        Terminal events among :data:`EVENTS`.
    rtol : float
        Relative tolerance (1e-13 .. 1e-6); ``atol = rtol`` km and ``rtol * 1e-6`` km/s
        (ephemeris), ``rtol * 1e-3`` (cr3bp).
    ephemeris : massdriver.ephemeris.Ephemeris, optional

    Returns
    -------
    Propagation
    """
    if model not in ("ephemeris", "cr3bp"):
        raise InputError(f"model = {model!r}: must be 'ephemeris' or 'cr3bp'")
    if not (isinstance(rtol, float) and 1e-13 <= rtol <= 1e-6):
        raise InputError(f"rtol = {rtol!r}: must be a float in [1e-13, 1e-6]")
    names = [events] if isinstance(events, str) else list(events)
    for e in names:
        if e not in EVENTS:
            raise InputError(f"event {e!r}: must be among {', '.join(EVENTS)}")

    modes = front_door.event_modes(terminal=names)
    if tof is None:
        raise InputError("tof: give the time of flight, e.g. 3 * u.day")
    if model == "ephemeris":
        from massdriver.ephemeris import Ephemeris

        r, v, own_epoch = _ephemeris_state(state)
        epoch = epoch if epoch is not None else own_epoch
        if epoch is None:
            raise InputError("epoch: give the start epoch (astropy Time)")
        tof_s = _tof(tof, u.day, 86400.0)
        eph = ephemeris or Ephemeris()
        t0 = float(to_tdb_seconds(Time(epoch)))
        t_end = t0 + tof_s
        eph.check_range(np.array([min(t0, t_end), max(t0, t_end)]))
        setup = (forces.MODEL_EPHEMERIS, t0, np.concatenate([r, v]), t_end,
                 forces.ephemeris_params(), eph.kernel_tables(), rtol,
                 np.array([rtol] * 3 + [rtol * 1e-6] * 3), modes, 1.0, t0)
    else:
        y0 = np.asarray(state, dtype=np.float64)
        if y0.shape != (6,) or not np.all(np.isfinite(y0)):
            raise InputError("state: the cr3bp model takes a non-dimensional rotating-frame "
                             "state of 6 finite numbers")
        T = bodies.CR3BP_TIME_UNIT
        tof_nd = _tof(tof, u.s, T) / T if isinstance(tof, u.Quantity) else _tof(tof, None, 1.0)
        sec0 = float(to_tdb_seconds(Time(epoch))) if epoch is not None else 0.0
        setup = (forces.MODEL_CR3BP, 0.0, y0, tof_nd, forces.cr3bp_params(), None, rtol,
                 np.full(6, rtol * 1e-3), modes, 1.0 / T, sec0)
    model_id, t0, y0, t_end, params, eph_t, rtol, atol, modes, t_scale, sec0 = setup
    prop = _integrate(model_id, t0, y0, t_end, params, eph_t, rtol, atol, modes)
    status = ("failed" if prop.status < 0 else
              prop.terminal_event_name if prop.terminal_event >= 0 else "done")
    sec = sec0 + (prop.t - t0) / t_scale
    unit_r, unit_v = (u.km, u.km / u.s) if model == "ephemeris" else (u.one, u.one)
    return Propagation(model=model, status=status, epoch=from_tdb_seconds(sec0),
                       times=from_tdb_seconds(sec), positions=prop.y[:, :3] * unit_r,
                       velocities=prop.y[:, 3:] * unit_v, nfev=prop.nfev, steps=prop.nsteps,
                       rejected=prop.nrejected, _setup=setup)


def _tof(tof, unit, scale: float) -> float:
    """``tof`` as seconds (a Quantity; a float is in ``unit``) or as a plain float."""
    try:
        if isinstance(tof, u.Quantity):
            value = float(tof.to_value(u.s))
        else:
            value = float(tof) * (scale if unit is not None else 1.0)
    except (TypeError, ValueError, u.UnitsError):
        raise InputError(f"tof = {tof!r}: expected a time") from None
    if not math.isfinite(value) or value == 0.0:
        raise InputError(f"tof = {tof!r}: must be finite and non-zero")
    return value
