"""One shot from a lunar track to the Earth: :func:`shoot` and its :class:`Trajectory` result.

The coast is integrated by the compiled DOP853 kernel
(:mod:`massdriver.kernels.integrators.dop853`) under
one of two force models:

``"ephemeris"``
    Earth-centred ICRF axes; point-mass Earth, Moon and Sun from DE421 inside the kernel, Earth
    J2, lunar J2/C22 near the Moon (:mod:`massdriver.kernels.forces`).
``"cr3bp"``
    The Earth-Moon circular restricted three-body problem, the fast preview. The launch state is
    computed with the ephemeris (real Moon and libration) and mapped into the CR3BP rotating frame
    defined by the instantaneous Earth-Moon line and the Moon's orbit normal at launch; results
    are mapped back by the frame's uniform rotation (1 rad per time unit) about that normal.

Units are stripped in :func:`shoot` and restored in :class:`Trajectory`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import astropy.units as u
import numpy as np
from astropy.table import QTable

from massdriver import bodies
from massdriver.display import trajectory_html, trajectory_repr
from massdriver.ephemeris import Ephemeris
from massdriver.errors import InputError
from massdriver.kernels import forces
from massdriver.kernels.chebyshev import geocentric_states
from massdriver.kernels.integrators import propagate
from massdriver.kernels.shots import PERIGEE_HOP
from massdriver.kernels.twobody import rv2coe
from massdriver.timescales import from_tdb_seconds, table_times, to_tdb_seconds

__all__ = ["Event", "PerigeeArrival", "Samples", "Trajectory", "shoot", "MODELS", "METHODS",
           "STATUSES", "perigee_arrival_from_state"]

MODELS = ("ephemeris", "cr3bp")
#: Integrators of :func:`shoot` (``"taylor"``: CR3BP only,
#: :mod:`massdriver.kernels.integrators.taylor`).
METHODS = ("dop853", "taylor")
STATUSES = ("perigee", "moon_impact", "earth_impact", "atmosphere", "escape", "timeout", "failed")
#: a perigee event farther than this from the Earth (a shallow minimum of the geocentric distance
#: just after launch) does not end the coast, km
FAR_PERIGEE_RADIUS = 150_000.0


@dataclass(frozen=True)
class Event:
    """An event of the coast.

    Attributes
    ----------
    kind : str
        ``moon_impact``, ``perigee``, ``atmosphere``, ``earth_impact`` or ``escape``.
    epoch : astropy.time.Time
        When (TDB).
    time_of_flight : astropy.units.Quantity
        Since launch (days).
    radius : astropy.units.Quantity
        Geocentric distance (km).
    position, velocity : astropy.units.Quantity
        Geocentric ICRF state (km, km/s).
    """

    kind: str
    epoch: Any
    time_of_flight: Any
    radius: Any
    position: Any
    velocity: Any


@dataclass(frozen=True)
class PerigeeArrival:
    """Osculating geocentric state and elements at the Earth perigee of a coast.

    Attributes
    ----------
    epoch : astropy.time.Time
    time_of_flight : astropy.units.Quantity (day)
    radius, altitude : astropy.units.Quantity (km)
        Perigee radius and altitude above the equatorial radius.
    speed : astropy.units.Quantity (km/s)
    inclination, raan, argument_of_perigee : astropy.units.Quantity (deg)
        Relative to the ICRF equator.
    eccentricity : float
    position, velocity : astropy.units.Quantity (km, km/s)
    """

    epoch: Any
    time_of_flight: Any
    radius: Any
    altitude: Any
    speed: Any
    inclination: Any
    raan: Any
    argument_of_perigee: Any
    eccentricity: float
    position: Any
    velocity: Any

    def to_dict(self) -> dict:
        """Plain-JSON view (units in the key names)."""
        return {
            "epoch_tdb": self.epoch.tdb.isot,
            "time_of_flight_days": float(self.time_of_flight.to_value(u.day)),
            "radius_km": float(self.radius.to_value(u.km)),
            "altitude_km": float(self.altitude.to_value(u.km)),
            "speed_km_s": float(self.speed.to_value(u.km / u.s)),
            "inclination_deg": float(self.inclination.to_value(u.deg)),
            "raan_deg": float(self.raan.to_value(u.deg)),
            "argument_of_perigee_deg": float(self.argument_of_perigee.to_value(u.deg)),
            "eccentricity": float(self.eccentricity),
            "position_km": self.position.to_value(u.km).tolist(),
            "velocity_km_s": self.velocity.to_value(u.km / u.s).tolist(),
        }


def perigee_arrival_from_state(t_perigee: float, t_launch: float, y) -> PerigeeArrival:
    """Build a :class:`PerigeeArrival` from kernel floats (TDB s, km, km/s): units restored here."""
    y = np.asarray(y, dtype=np.float64)
    r = y[:3].copy()
    v = y[3:6].copy()
    _p, ecc, inc, raan, argp, _nu = rv2coe(bodies.GM_EARTH, r, v)
    radius = float(np.linalg.norm(r))
    return PerigeeArrival(
        epoch=from_tdb_seconds(t_perigee),
        time_of_flight=((t_perigee - t_launch) / bodies.DAY) * u.day,
        radius=radius * u.km,
        altitude=(radius - bodies.R_EARTH) * u.km,
        speed=float(np.linalg.norm(v)) * u.km / u.s,
        inclination=math.degrees(inc) * u.deg,
        raan=math.degrees(raan) * u.deg,
        argument_of_perigee=math.degrees(argp) * u.deg,
        eccentricity=float(ecc),
        position=r * u.km,
        velocity=v * u.km / u.s,
    )


@dataclass(frozen=True)
class Samples:
    """States of a coast at requested times, from the integrator's dense output.

    Attributes
    ----------
    times : astropy.time.Time
        The requested epochs reached by the coast (TDB).
    positions, velocities : astropy.units.Quantity
        Geocentric ICRF states at ``times``, shape ``(n, 3)`` (km, km/s).
    """

    times: Any
    positions: Any
    velocities: Any


@dataclass(frozen=True)
class Trajectory:
    """A coast from the lunar track to its end (perigee or another terminal event).

    Attributes
    ----------
    model : str
        ``"ephemeris"`` or ``"cr3bp"``.
    status : str
        How the coast ended: one of :data:`STATUSES`.
    launch_epoch : astropy.time.Time
        Track exit (TDB).
    exit_speed : astropy.units.Quantity
        Speed relative to the lunar surface (km/s).
    times : astropy.time.Time
        Epochs of the stored points (every accepted step).
    positions, velocities : astropy.units.Quantity
        Geocentric ICRF states at ``times``, shape ``(n, 3)`` (km, km/s).
    moon_positions : astropy.units.Quantity
        Geocentric Moon at ``times`` (km), for plots in the rotating frame.
    events : tuple of Event
    perigee : PerigeeArrival or None
        The arrival, when the coast ended at a perigee.
    nfev, steps, rejected : int
        Integrator counters (summed over segments).
    cr3bp : dict or None
        For the CR3BP model: ``mu``, ``length_unit_km``, ``time_unit_s`` and the non-dimensional
        initial state ``initial_state_nd``.
    samples : Samples or None
        The states at the epochs requested with ``shoot(..., t_eval=...)``.
    """

    model: str
    status: str
    launch_epoch: Any
    exit_speed: Any
    times: Any
    positions: Any
    velocities: Any
    moon_positions: Any
    events: tuple = ()
    perigee: PerigeeArrival | None = None
    nfev: int = 0
    steps: int = 0
    rejected: int = 0
    cr3bp: dict | None = None
    site: Any = field(default=None, compare=False)
    samples: Samples | None = field(default=None, compare=False)

    def __repr__(self) -> str:
        return trajectory_repr(self)

    def _repr_html_(self) -> str:
        return trajectory_html(self)

    @property
    def initial_position(self):
        """Geocentric ICRF position at track exit (km)."""
        return self.positions[0]

    @property
    def initial_velocity(self):
        """Geocentric ICRF velocity at track exit (km/s)."""
        return self.velocities[0]

    @property
    def time_of_flight(self):
        """Launch to the end of the coast (days)."""
        return (self.times[-1] - self.launch_epoch).to(u.day)

    def to_dict(self) -> dict:
        """Plain-JSON summary (the ``massdriver shoot --json`` object)."""
        out = {
            "status": self.status,
            "model": self.model,
            "epoch_tdb": self.launch_epoch.tdb.isot,
            "epoch_utc": self.launch_epoch.utc.isot,
            "exit_speed_km_s": float(self.exit_speed.to_value(u.km / u.s)),
            "initial_state": {
                "frame": "ICRF, Earth-centred",
                "position_km": self.initial_position.to_value(u.km).tolist(),
                "velocity_km_s": self.initial_velocity.to_value(u.km / u.s).tolist(),
            },
            "events": [
                {
                    "kind": e.kind,
                    "epoch_tdb": e.epoch.tdb.isot,
                    "time_of_flight_days": float(e.time_of_flight.to_value(u.day)),
                    "radius_km": float(e.radius.to_value(u.km)),
                }
                for e in self.events
            ],
            "perigee": None if self.perigee is None else self.perigee.to_dict(),
            "time_of_flight_days": float(self.time_of_flight.to_value(u.day)),
            "nfev": int(self.nfev),
            "steps": int(self.steps),
            "rejected": int(self.rejected),
        }
        if self.cr3bp is not None:
            out["initial_state"]["cr3bp"] = self.cr3bp
        return out

    def to_table(self):
        """The stored states as an astropy ``QTable`` (ECSV-ready)."""
        return QTable(
            {
                "epoch_tdb": table_times(self.times, scale="tdb", precision=6),
                "x": self.positions[:, 0], "y": self.positions[:, 1], "z": self.positions[:, 2],
                "vx": self.velocities[:, 0], "vy": self.velocities[:, 1],
                "vz": self.velocities[:, 2],
                "moon_x": self.moon_positions[:, 0], "moon_y": self.moon_positions[:, 1],
                "moon_z": self.moon_positions[:, 2],
            },
            meta={"frame": "ICRF, Earth-centred", "model": self.model, "status": self.status},
        )


@dataclass(frozen=True)
class Coast:
    """Raw result of :func:`coast` (kernel units: km, s, km/s or CR3BP units).

    Attributes
    ----------
    status : str
        One of :data:`STATUSES`.
    t, y : ndarray
        Stored times (every accepted step if ``store_steps``, else the ends) and states.
    t_eval, y_eval : ndarray
        The requested output times reached by the coast and the integrator's dense-output
        states there (empty unless ``t_eval`` was given).
    events : tuple of (kind, t, y)
        Terminal events met, skipped far perigees included.
    nfev, steps, rejected : int
    """

    status: str
    t: np.ndarray
    y: np.ndarray
    events: tuple
    nfev: int
    steps: int
    rejected: int
    t_eval: np.ndarray = field(default_factory=lambda: np.empty(0))
    y_eval: np.ndarray = field(default_factory=lambda: np.empty((0, 6)))

    @property
    def t_final(self) -> float:
        """Time at the end of the coast."""
        return float(self.t[-1])

    @property
    def y_final(self) -> np.ndarray:
        """State at the end of the coast."""
        return self.y[-1]


def coast(model_id: int, t0: float, y0, t_end: float, params, eph, rtol: float, atol, *,
          far_perigee_radius: float = FAR_PERIGEE_RADIUS, earth=None,
          hop: float | None = None, store_steps: bool = True,
          regularize: bool = False, method: str = "dop853", t_eval=None) -> Coast:
    """Integrate a coast to its first Earth perigee closer than ``far_perigee_radius``.

    Terminal events: perigee, lunar impact, Earth impact, atmosphere interface, escape. A
    perigee farther out (a shallow distance minimum just after launch) is skipped: the coast
    goes on for ``hop`` with the perigee event off, then resumes. The Python twin of
    :func:`massdriver.kernels.shots.coast_to_perigee` for the callers that want every step or
    call it a few times (sharing the one compiled integrator keeps compile time down).

    Parameters
    ----------
    model_id : int
        :data:`massdriver.kernels.forces.MODEL_EPHEMERIS` or ``MODEL_CR3BP``.
    t0, t_end : float
        Start and time-out (TDB s past J2000, or CR3BP time units).
    y0 : ndarray (6,)
    params, eph
        Force-model parameters and ephemeris tables.
    rtol : float
    atol : float or ndarray (6,)
    far_perigee_radius : float
        Perigees farther than this from ``earth`` do not end the coast (km or CR3BP units).
    earth : ndarray (3,), optional
        Earth's position in the model frame (default the origin).
    hop : float, optional
        Coast after a skipped perigee with that event off (model time units; default
        :data:`massdriver.kernels.shots.PERIGEE_HOP` seconds).
    store_steps : bool
        Keep every accepted step.
    regularize : bool
        Integrate in Sundman-regularised time (:mod:`massdriver.kernels.integrators.sundman`).
    method : {"dop853", "taylor"}
        Integrator (``"taylor"``: CR3BP only, :mod:`massdriver.kernels.integrators.taylor`).
    t_eval : ndarray, optional
        Increasing output times (model units) in ``[t0, t_end]``: the states there come from
        the integrator's dense output (the same steps as without ``t_eval``); those past the
        end of the coast are not returned.

    Returns
    -------
    Coast
    """
    hop = PERIGEE_HOP if hop is None else hop
    terminal = ["perigee", "moon_impact", "earth_impact", "atmosphere", "escape"]
    modes = propagate.event_modes(terminal=terminal)
    hop_modes = modes.copy()
    hop_modes[forces.EV_PERIGEE] = 0
    earth = np.zeros(3) if earth is None else np.asarray(earth, dtype=np.float64)
    ts, ys, events = [], [], []
    t_out = np.empty(0) if t_eval is None else np.asarray(t_eval, dtype=np.float64).ravel()
    te_done, ye_done = [], []
    i_eval = 0
    nfev = steps = rejected = 0
    status = "timeout"
    t_cur, y_cur = float(t0), np.asarray(y0, dtype=np.float64)
    hopping = False
    for _ in range(64):
        t_seg_end = min(t_cur + hop, t_end) if hopping else t_end
        # the output times of this segment: from the next one not served, up to its end
        j_eval = i_eval + int(np.searchsorted(t_out[i_eval:], t_seg_end, side="right"))
        prop = propagate.propagate(model_id, t_cur, y_cur, t_seg_end, params, eph, rtol=rtol,
                                   atol=atol, events=hop_modes if hopping else modes,
                                   store_steps=store_steps, regularize=regularize,
                                   method=method, t_eval=t_out[i_eval:j_eval])
        te_done.append(prop.t_eval[:prop.n_eval])
        ye_done.append(prop.y_eval[:prop.n_eval])
        i_eval += prop.n_eval
        nfev += prop.nfev
        steps += prop.nsteps
        rejected += prop.nrejected
        ts.append(prop.t if not ts else prop.t[1:])
        ys.append(prop.y if not ys else prop.y[1:])
        t_cur, y_cur = prop.t_final, prop.y_final
        if prop.status < 0:
            status = "failed"
            break
        if prop.terminal_event < 0:
            if hopping and t_cur < t_end:
                hopping = False
                continue
            status = "timeout"
            break
        hopping = False
        kind = forces.EVENT_NAMES[prop.terminal_event]
        events.append((kind, prop.t_final, prop.y_final.copy()))
        if kind == "perigee" and np.linalg.norm(prop.y_final[:3] - earth) > far_perigee_radius:
            hopping = True
            continue
        status = kind
        break
    return Coast(status=status, t=np.concatenate(ts), y=np.concatenate(ys),
                 events=tuple(events), nfev=nfev, steps=steps, rejected=rejected,
                 t_eval=np.concatenate(te_done) if te_done else np.empty(0),
                 y_eval=(np.concatenate(ye_done).reshape(-1, 6) if ye_done
                         else np.empty((0, 6))))


#: km: a launch point closer than this to the lunar impact sphere starts this far above it
LAUNCH_CLEARANCE = 1e-6


def _off_the_impact_sphere(r0: np.ndarray, moon_state: np.ndarray) -> np.ndarray:
    """Move a launch point lying on the impact sphere 1 mm out along the local vertical.

    A track at height 0 starts exactly on the root of the lunar-impact event; round-off can put
    the first event value on the wrong side and a later descent (a suborbital hop) would then
    never be seen as a sign change. One millimetre changes nothing else measurably.
    """
    rel = r0 - moon_state[:3]
    rho = float(np.linalg.norm(rel))
    if abs(rho - bodies.R_MOON) < LAUNCH_CLEARANCE:
        return moon_state[:3] + rel * ((bodies.R_MOON + LAUNCH_CLEARANCE) / rho)
    return r0


def _enters_the_moon_at_launch(r0: np.ndarray, v0: np.ndarray, moon_state: np.ndarray) -> bool:
    """Whether a shot leaving the track on (or under) the impact sphere at once goes below it.

    The lunar-impact event is a sign change of ``|r - r_moon| - R_MOON``; a horizontal track at
    height 0 starts on that root, and a shot slower than circular (about 1.68 km/s) descends
    from it at once: round-off can put the first value on either side, and the descent was
    missed (the shot then flew through the Moon). Here: moving inward, or horizontal and below
    the local circular speed, from at most 1 mm above the sphere, is an impact at launch.
    """
    r = r0 - moon_state[:3]
    v = v0 - moon_state[3:]
    rho = float(np.linalg.norm(r))
    if rho - bodies.R_MOON > 2.0 * LAUNCH_CLEARANCE:    # km: the event sees a later descent
        return False
    v_r = float(r @ v) / rho
    if abs(v_r) > 1e-9:                     # km/s: clearly inward or outward
        return v_r < 0.0
    return float(v @ v) - v_r * v_r < bodies.GM_MOON / rho


def _speed_km_s(speed) -> float:
    try:
        value = float(u.Quantity(speed).to_value(u.km / u.s))
    except (TypeError, ValueError, u.UnitConversionError):
        raise InputError(f"speed = {speed!r}: expected a velocity Quantity, e.g. 2.5 km/s") \
            from None
    if not math.isfinite(value) or not 0.0 < value < 20.0:
        raise InputError(f"speed = {speed!r}: must be a finite speed in (0, 20) km/s")
    return value


def _cr3bp_frame(moon_state: np.ndarray):
    """Rotation (columns x, y, z of the rotating frame in ICRF) from a geocentric Moon state."""
    r = moon_state[:3]
    v = moon_state[3:]
    x = r / np.linalg.norm(r)
    z = np.cross(r, v)
    z /= np.linalg.norm(z)
    y = np.cross(z, x)
    return np.column_stack((x, y, z))


def shoot(site, epoch, speed, *, model: str = "ephemeris", days: float = 8.0,
          rtol: float = 1e-11, ephemeris=None, regularize: bool = False,
          method: str = "dop853", t_eval=None) -> Trajectory:
    """Fire one shot from ``site`` at ``epoch`` with exit ``speed`` and coast to the Earth.

    Parameters
    ----------
    site : massdriver.site.LaunchSite
        Track location and pointing.
    epoch : astropy.time.Time
        Track exit (any scale; TDB is used inside).
    speed : astropy.units.Quantity
        Exit speed relative to the lunar surface (velocity units).
    model : {"ephemeris", "cr3bp"}
        Force model of the coast.
    days : float
        Longest coast before the shot is reported as ``timeout`` (days, 0 < days <= 60).
    rtol : float
        DOP853 relative tolerance (1e-13 .. 1e-6); the absolute tolerance is
        ``rtol * 1 km`` (and ``rtol * 1 mm/s``).
    ephemeris : massdriver.ephemeris.Ephemeris, optional
        Default DE421.
    regularize : bool
        Integrate in Sundman-regularised time
        (:mod:`massdriver.kernels.integrators.sundman`): the same DOP853 pair, ~40 % fewer force
        evaluations for the same accuracy; the stored steps are then those of the regularised
        integration. Default False (physical time, step for step as scipy's ``solve_ivp``).
    method : {"dop853", "taylor"}
        Integrator: ``"dop853"`` (default) or ``"taylor"``, the Taylor-series method of
        :mod:`massdriver.kernels.integrators.taylor` (``model="cr3bp"`` only; ~100 long
        steps for 5 days, ``nfev`` then counts Taylor expansions).
    t_eval : astropy.time.Time, optional
        Increasing epochs from ``epoch`` on: the states there, from the integrator's dense
        output (the steps are those taken without ``t_eval``), go to ``Trajectory.samples``;
        epochs past the end of the coast are left out.

    Returns
    -------
    Trajectory
        States at every accepted step, events, the perigee arrival and counters.

    Raises
    ------
    InputError
        Unknown model or method, bad speed/duration/tolerance.
    EphemerisRangeError
        Epoch outside the ephemeris.
    """
    if model not in MODELS:
        raise InputError(f"model = {model!r}: must be one of {', '.join(MODELS)}")
    if method not in METHODS:
        raise InputError(f"method = {method!r}: must be one of {', '.join(METHODS)}")
    if method == "taylor" and model != "cr3bp":
        raise InputError(f"method = 'taylor' with model = {model!r}: the Taylor integrator has "
                         "the cr3bp model only")
    if method == "taylor" and regularize:
        raise InputError("regularize = True with method = 'taylor': regularisation applies to "
                         "the dop853 method only")
    if not (isinstance(days, (int, float)) and math.isfinite(days) and 0.0 < days <= 60.0):
        raise InputError(f"days = {days!r}: must be a number in (0, 60]")
    if not (isinstance(rtol, float) and 1e-13 <= rtol <= 1e-6):
        raise InputError(f"rtol = {rtol!r}: must be a float in [1e-13, 1e-6]")
    speed_km_s = _speed_km_s(speed)
    eph_obj = ephemeris or Ephemeris()
    t0 = float(to_tdb_seconds(epoch))
    t_end = t0 + days * bodies.DAY
    eph_obj.check_range(np.array([t0, t_end]))
    sample_sec = None
    if t_eval is not None:
        sample_sec = np.atleast_1d(np.asarray(to_tdb_seconds(t_eval), dtype=np.float64))
        if not (np.all(np.isfinite(sample_sec)) and np.all(np.diff(sample_sec) > 0.0)
                and (sample_sec.size == 0 or sample_sec[0] >= t0)):
            raise InputError("t_eval: must be increasing epochs, none before the launch epoch")
        sample_sec = sample_sec[sample_sec <= t_end]
    tables = eph_obj.kernel_tables()
    r0, v0 = site.launch_state_raw(t0, speed_km_s, tables)
    r0 = _off_the_impact_sphere(r0, geocentric_states(np.array([t0]), tables, 0)[0])
    y_icrf = np.concatenate([r0, v0])

    cr3bp_info = None
    if model == "ephemeris":
        params = forces.ephemeris_params()
        y_start, t_start, t_stop, eph_arg = y_icrf, t0, t_end, tables
        atol = np.array([rtol] * 3 + [rtol * 1e-6] * 3)
        far = FAR_PERIGEE_RADIUS
    else:
        L, T, mu = bodies.CR3BP_LENGTH_UNIT, bodies.CR3BP_TIME_UNIT, bodies.CR3BP_MU
        moon0 = geocentric_states(np.array([t0]), tables, 0)[0]
        C = _cr3bp_frame(moon0)
        # keep the selenocentric launch state (the real site, the real exit velocity) and place
        # it at the model Moon, (1 - mu, 0, 0); the frame turns at 1 rad per time unit
        r_rel = C.T @ (r0 - moon0[:3]) / L
        v_rel = C.T @ (v0 - moon0[3:]) / (L / T)
        r_rot = np.array([1.0 - mu, 0.0, 0.0]) + r_rel
        v_rot = v_rel - np.cross([0.0, 0.0, 1.0], r_rel)
        y_start = np.concatenate([r_rot, v_rot])
        t_start, t_stop = 0.0, days * bodies.DAY / T
        params = forces.cr3bp_params()
        eph_arg = None                       # the CR3BP specialisation has no ephemeris code
        atol = np.full(6, rtol * 1e-3)
        far = FAR_PERIGEE_RADIUS / L
        cr3bp_info = {"mu": mu, "length_unit_km": L, "time_unit_s": T,
                      "initial_state_nd": y_start.tolist(),
                      "frame": "Earth-Moon rotating, barycentric, x Earth->Moon at launch"}

    model_id = forces.MODEL_EPHEMERIS if model == "ephemeris" else forces.MODEL_CR3BP
    earth = np.array([-bodies.CR3BP_MU, 0, 0]) if model == "cr3bp" else np.zeros(3)

    hop_span = (PERIGEE_HOP if model == "ephemeris" else PERIGEE_HOP / bodies.CR3BP_TIME_UNIT)
    moon_launch = geocentric_states(np.array([t0]), tables, 0)[0]
    if _enters_the_moon_at_launch(r0, v0, moon_launch):
        # the impact event cannot see a descent that starts on its root: decided here
        c = Coast(status="moon_impact", t=np.array([t_start]), y=y_start[None, :].copy(),
                  events=(("moon_impact", t_start, y_start.copy()),), nfev=0, steps=0,
                  rejected=0)
    else:
        t_eval_model = None
        if sample_sec is not None:
            t_eval_model = (sample_sec if model == "ephemeris"
                            else (sample_sec - t0) / bodies.CR3BP_TIME_UNIT)
        c = coast(model_id, t_start, y_start, t_stop, params, eph_arg, rtol, atol,
                  far_perigee_radius=far, earth=earth, hop=hop_span, store_steps=True,
                  regularize=bool(regularize), method=method, t_eval=t_eval_model)
    status, ts, ys, events = c.status, [c.t], [c.y], list(c.events)
    nfev, steps, rejected = c.nfev, c.steps, c.rejected
    t_all = np.concatenate(ts)
    y_all = np.concatenate(ys)
    samples = None

    if model == "cr3bp":
        L, T, mu = bodies.CR3BP_LENGTH_UNIT, bodies.CR3BP_TIME_UNIT, bodies.CR3BP_MU

        def to_icrf(t_nd, y_nd):
            c, s = np.cos(t_nd), np.sin(t_nd)
            x_rot = y_nd[..., :3] + np.array([mu, 0.0, 0.0])       # Earth-centred, rotating
            v_rot = y_nd[..., 3:]
            v_in_rot = v_rot + np.cross([0.0, 0.0, 1.0], x_rot)
            def rot(a):
                return np.stack([c * a[..., 0] - s * a[..., 1], s * a[..., 0] + c * a[..., 1],
                                 a[..., 2]], axis=-1)
            r_in = rot(x_rot) * L
            v_in = rot(v_in_rot) * (L / T)
            return r_in @ C.T, v_in @ C.T

        r_all, v_all = to_icrf(t_all, y_all)
        sec = t0 + t_all * T
        ang = t_all
        moon_nd = np.stack([np.cos(ang), np.sin(ang), np.zeros_like(ang)], axis=-1) * L
        moon_all = moon_nd @ C.T
        ev_conv = []
        for kind, te, ye in events:
            re, ve = to_icrf(np.array(te), ye)
            ev_conv.append((kind, t0 + te * T, np.concatenate([re, ve])))
        events = ev_conv
        if sample_sec is not None:
            r_s, v_s = to_icrf(c.t_eval, c.y_eval)
            samples = Samples(from_tdb_seconds(t0 + c.t_eval * T), r_s * u.km,
                              v_s * u.km / u.s)
    else:
        sec = t_all
        r_all, v_all = y_all[:, :3], y_all[:, 3:]
        moon_all = geocentric_states(np.ascontiguousarray(sec), tables, 0)[:, :3]
        if sample_sec is not None:
            samples = Samples(from_tdb_seconds(c.t_eval), c.y_eval[:, :3] * u.km,
                              c.y_eval[:, 3:] * u.km / u.s)

    event_objs = tuple(
        Event(kind=k, epoch=from_tdb_seconds(te), time_of_flight=((te - t0) / bodies.DAY) * u.day,
              radius=float(np.linalg.norm(ye[:3])) * u.km, position=ye[:3] * u.km,
              velocity=ye[3:] * u.km / u.s)
        for k, te, ye in events
    )
    perigee = None
    if status == "perigee":
        _, te, ye = events[-1]
        perigee = perigee_arrival_from_state(te, t0, ye)
    return Trajectory(
        model=model, status=status, launch_epoch=from_tdb_seconds(t0),
        exit_speed=speed_km_s * u.km / u.s, times=from_tdb_seconds(np.asarray(sec)),
        positions=r_all * u.km, velocities=v_all * u.km / u.s, moon_positions=moon_all * u.km,
        events=event_objs, perigee=perigee, nfev=nfev, steps=steps, rejected=rejected,
        cr3bp=cr3bp_info, site=site, samples=samples,
    )
