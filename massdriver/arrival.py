"""Arrival strategies at the Earth: impulsive, finite burn, multi-pass, aerobraking, aerocapture.

The impulsive budget (:mod:`massdriver.budget`) prices burns as if the engine fired in an
instant. Here each strategy is flown with the satellite's own engine and aerodynamics
(:class:`~massdriver.satellite.Satellite`) in :mod:`massdriver.kernels.arrival` (Earth point
mass, drag and lift in the US Standard Atmosphere 1976 with a solar level, thrust with mass
flow; J2 only as the secular drift of the multi-day strategies, so that every burn and pass is
priced in the two-body model of the impulsive budget), and priced by propellant mass as well as
delta-v:

``impulsive``
    The window's impulsive budget (the reference).
``finite_burn``
    One retrograde burn, velocity-aligned (or inertially fixed), of finite duration; its start
    is chosen by ``scipy.optimize.minimize_scalar`` and its length by ``brentq`` so that the
    orbit after it has the target's energy and the remaining trim to the target apsides is
    least; the mid-course correction aims the approach perigee higher where that lets the
    burn end in the target orbit (the raise optimised too, its cost included). Gravity loss =
    this strategy's delta-v - the impulsive one. A trim over :func:`trim_tolerance` (5 % of
    the impulsive in-plane cost) is not a clean-up but the insertion the burn could not do:
    infeasible.
``multi_pass``
    Capture into a long ellipse with a burn of at most ``max_burn`` seconds centred on perigee,
    then lower the apogee on the following perigee passes with burns of the same length, the
    last one sized to land on the target (its trim held to the same tolerance). Reports
    passes, days and radiation-belt passes.
``aerobraking``
    Capture (finite burn) into an ellipse of apoapsis altitude ``capture_apoapsis``, walk the
    perigee down into the atmosphere with a burn at the first apoapsis (bisection: the first
    pass heats at the middle of the corridor band), pass by pass until the apoapsis is the
    target's, with corridor-control burns at apoapsis keeping the heat rate and deceleration
    under the satellite's limits, then raise the perigee to the target.
``aerocapture``
    The mid-course correction sets the entry flight-path angle at the centre of the corridor
    (the range of angles between full lift down just capturing and full lift up just not
    overshooting the target apoapsis, under the limits); one pass flown with a numerical
    predictor-corrector on the bank angle; then a burn at apoapsis raises the perigee and a
    trim sets the apoapsis. A re-entry or a skip-out is a reported outcome.

The in-plane cost of each strategy replaces the impulsive one; the window's mid-course
correction, plane change and dispersion margin are kept (``extras``). The multi-day strategies
(multi-pass, aerobraking) drift with the secular J2 rates; into a target with a prescribed
node they also pay the plane change to where that node is when they end
(:func:`node_mismatch_cost`). The physics and limits of each strategy are in
``docs/arrival.md``.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import astropy.units as u
import numpy as np
from astropy.utils.masked import Masked
from scipy.optimize import brentq, minimize_scalar

from massdriver.bodies import EARTH_ATMOSPHERE_ALTITUDE, G0, GM_EARTH, J2_EARTH, R_EARTH
from massdriver.errors import InputError
from massdriver.kernels import arrival as K
from massdriver.satellite import Satellite

__all__ = [
    "ARRIVAL_STRATEGIES", "CHOOSE_BY", "SOLAR_LEVELS", "StrategyResult", "ArrivalComparison",
    "ArrivalOptions", "compare_strategies", "finite_burn", "multi_pass", "aerobraking",
    "aerocapture", "entry_corridor", "kernel_parameters", "parse_strategies", "price_window",
    "price_plan", "arrival_columns", "priced_strategies", "with_cli_choices",
    "comparison_lines", "PlaneDrift", "node_mismatch_cost",
    "HISTORY_COLUMNS", "history_dict", "satellite_limits", "trim_tolerance",
    "TRIM_FRACTION", "TRIM_FLOOR",
]

log = logging.getLogger(__name__)

#: every strategy, in the order of the comparison
ARRIVAL_STRATEGIES = ("impulsive", "finite_burn", "multi_pass", "aerobraking", "aerocapture")
#: what the choice minimises
CHOOSE_BY = ("propellant", "delta-v")
#: solar-activity levels of the atmosphere (kernel rows 0, 1, 2)
SOLAR_LEVELS = ("low", "mean", "high")
_KMS = u.km / u.s
_RTOL = 1e-9
#: altitude (km) a powered flight may not go below: burns are not aero-assisted (a burn that
#: would dip lower is rejected by the optimiser)
BURN_FLOOR = 150.0
#: largest trim (impulsive clean-up of the apsides a finite burn leaves) a finite-burn strategy
#: may carry, as a fraction of the arrival's impulsive in-plane cost, and at least
#: :data:`TRIM_FLOOR` km/s: a clean-up burn, not the insertion. The trim is priced as impulses,
#: which is honest only for short burns (Robbins' loss grows as dv tau^2: at 1/20 of the
#: insertion's delta-v and burn time, its own loss is ~1e-4 of that of one burn doing the
#: whole insertion). More than that and the strategy is infeasible (docs/arrival.md).
TRIM_FRACTION = 0.05
#: km/s: the trim allowed whatever the insertion (a mid-course-correction-sized clean-up)
TRIM_FLOOR = 0.010


def parse_strategies(text: str | Sequence[str]) -> tuple[str, ...]:
    """``"impulsive,finite_burn"`` or ``"all"`` -> a tuple of strategy names.

    Raises
    ------
    InputError
        An unknown name (one line naming it and the allowed ones).
    """
    names = [s.strip() for s in (text.split(",") if isinstance(text, str) else text)]
    names = [s.replace("-", "_") for s in names if s]
    if names == ["all"]:
        return ARRIVAL_STRATEGIES
    bad = [s for s in names if s not in ARRIVAL_STRATEGIES]
    if bad or not names:
        raise InputError(f"strategies {','.join(names) or '(none)'!s}: unknown "
                         f"{', '.join(bad) or 'empty list'}; choose from "
                         f"{', '.join(ARRIVAL_STRATEGIES)} or all")
    if "impulsive" not in names:
        names.insert(0, "impulsive")
    return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class ArrivalOptions:
    """Knobs of the strategies (defaults are those of ``solve``).

    Attributes
    ----------
    solar : str
        Atmosphere solar level: ``low``, ``mean`` (the 1976 standard) or ``high``.
    steering : str
        Finite-burn steering: ``velocity`` (against the inertial velocity) or ``inertial``
        (fixed along the impulsive burn direction).
    max_burn : Quantity
        Longest burn per perigee pass of ``multi_pass`` (s).
    capture_apoapsis : Quantity
        Apoapsis altitude of the aerobraking capture ellipse (km).
    max_days : Quantity
        Longest aerobraking campaign (days); longer is infeasible.
    max_passes : int
        Most aerobraking passes.
    mcc_radius : Quantity
        Distance from the Earth where the corridor-targeting correction (aerobraking,
        aerocapture) and the perigee aim of ``finite_burn`` are made (km); the correction
        changes the angular momentum by ``r x dv``.
    interface_altitude : Quantity
        Entry interface of aerocapture (km).
    strategies : tuple of str
        Strategies to price (:data:`ARRIVAL_STRATEGIES`; ``impulsive`` is always priced).
    choose_by : str
        ``propellant`` (total propellant mass) or ``delta-v``.
    """

    solar: str = "mean"
    steering: str = "velocity"
    max_burn: Any = 600.0 * u.s
    capture_apoapsis: Any = 20000.0 * u.km
    max_days: Any = 365.0 * u.day
    max_passes: int = 5000
    mcc_radius: Any = 200000.0 * u.km
    interface_altitude: Any = EARTH_ATMOSPHERE_ALTITUDE * u.km
    strategies: tuple = ARRIVAL_STRATEGIES
    choose_by: str = "propellant"

    def __post_init__(self) -> None:
        object.__setattr__(self, "strategies", parse_strategies(self.strategies))
        if self.choose_by not in CHOOSE_BY:
            raise InputError(f"choose_by = {self.choose_by!r}: must be propellant or delta-v",
                             field="choose_by",
                             reason="must be propellant or delta-v")
        for key, unit, lo in (("max_burn", "s", 1.0), ("capture_apoapsis", "km", 1000.0),
                              ("max_days", "day", 1.0), ("mcc_radius", "km", 10000.0),
                              ("interface_altitude", "km", 50.0)):
            value = getattr(self, key)
            try:
                x = float(u.Quantity(value).to_value(unit))
            except (u.UnitsError, TypeError, ValueError):
                raise InputError(f"{key} = {value!r}: expected a quantity in {unit}",
                                 field=key, reason=f"expected a quantity in {unit}") from None
            if not (math.isfinite(x) and x >= lo):
                raise InputError(f"{key} = {value!r}: must be >= {lo:g} {unit}", field=key,
                                 reason=f"must be >= {lo:g} {unit}")
        if isinstance(self.max_passes, bool) or not isinstance(self.max_passes, int) \
                or not 1 <= self.max_passes <= 100000:
            raise InputError(f"max_passes = {self.max_passes!r}: must be an integer in "
                             "1..100000", field="max_passes",
                             reason="must be an integer in 1..100000")
        if self.solar not in SOLAR_LEVELS:
            reason = f"must be one of {', '.join(SOLAR_LEVELS)}"
            raise InputError(f"solar = {self.solar!r}: {reason}", field="solar", reason=reason)
        if self.steering not in ("velocity", "inertial"):
            reason = "must be velocity or inertial"
            raise InputError(f"steering = {self.steering!r}: {reason}", field="steering",
                             reason=reason)


@dataclass(frozen=True)
class StrategyResult:
    """One strategy priced for one arrival.

    Attributes
    ----------
    strategy : str
    feasible : bool
        Completed under the satellite's limits.
    outcome : str
        ``"ok"`` or why not (``"re-entry"``, ``"skip-out"``, ``"heat rate limit"``, ...).
    delta_v : Quantity
        Total (window extras + this strategy's arrival part), km/s; NaN if infeasible.
    propellant : Quantity
        Propellant for ``delta_v`` with the capture engine (rocket equation), kg.
    arrival_delta_v : Quantity
        The in-plane arrival part alone (burns, corridor control, trims), km/s.
    gravity_loss : Quantity or None
        ``arrival_delta_v`` minus the impulsive in-plane cost (finite-burn strategies).
    passes : int
        Perigee passes with a burn or through the atmosphere.
    days : Quantity
        From arrival to the final orbit.
    belt_passes : int
        Revolutions with an apoapsis above 1,000 km altitude (each crosses the Van Allen
        belts twice) before the final orbit.
    peak_heat_rate, peak_g, heat_load : Quantity, float, Quantity
        Worst pass (W/cm^2, g0, J/cm^2); zero without atmosphere.
    corridor : tuple of Quantity or None
        Aerocapture: steep and shallow entry flight-path angle (deg) at the interface.
    burn_time : Quantity
        Total engine time (s).
    history : ndarray or None
        Aerobraking: per pass (time d, perigee alt km, apogee alt km, peak q W/cm^2, peak g,
        load J/cm^2, corridor burn m/s).
    trim : Quantity or None
        Finite-burn strategies (finite burn, multi-pass): the impulsive clean-up of the apsides
        left by the (last) finite burn, km/s, included in ``arrival_delta_v``; more than
        :func:`trim_tolerance` makes the strategy infeasible (the trim is then the shortfall).
    approach_perigee : Quantity or None
        ``finite_burn``: the perigee altitude (km) the mid-course correction aims the approach
        at so that the burn ends in the target orbit (the arrival's own when not raised); its
        cost is in ``arrival_delta_v``.
    node_mismatch : Quantity or None
        Multi-day strategies (multi-pass, aerobraking) into a target with a prescribed node:
        the node of the final orbit minus the target's at the end (deg, in (-180, 180]), both
        drifting with their first-order secular J2 rates (the target's own rate; the Sun's for
        a sun-synchronous one) from a plane matched at arrival; the plane change it costs is in
        ``arrival_delta_v``. ``None`` for a free RAAN or a strategy of hours.
    """

    strategy: str
    feasible: bool
    outcome: str
    delta_v: Any
    propellant: Any
    arrival_delta_v: Any
    gravity_loss: Any = None
    passes: int = 1
    days: Any = 0.0 * u.day
    belt_passes: int = 0
    peak_heat_rate: Any = 0.0 * u.W / u.cm ** 2
    peak_g: float = 0.0
    heat_load: Any = 0.0 * u.J / u.cm ** 2
    corridor: Any = None
    burn_time: Any = 0.0 * u.s
    history: Any = field(default=None, repr=False, compare=False)
    node_mismatch: Any = None
    trim: Any = None
    approach_perigee: Any = None

    def as_dict(self) -> dict:
        """Plain floats for plan.json (NaN -> None)."""
        def f(x, unit=None):
            v = float(x.to_value(unit)) if unit is not None else float(x)
            return v if math.isfinite(v) else None
        out = {
            "strategy": self.strategy, "feasible": self.feasible, "outcome": self.outcome,
            "delta_v_km_s": f(self.delta_v, _KMS), "propellant_kg": f(self.propellant, u.kg),
            "arrival_delta_v_km_s": f(self.arrival_delta_v, _KMS),
            "gravity_loss_km_s": (None if self.gravity_loss is None
                                  else f(self.gravity_loss, _KMS)),
            "passes": int(self.passes), "days": f(self.days, u.day),
            "belt_passes": int(self.belt_passes),
            "peak_heat_rate_W_cm2": f(self.peak_heat_rate, u.W / u.cm ** 2),
            "peak_g": f(self.peak_g), "heat_load_J_cm2": f(self.heat_load, u.J / u.cm ** 2),
            "burn_time_s": f(self.burn_time, u.s),
        }
        if self.node_mismatch is not None:
            out["node_mismatch_deg"] = f(self.node_mismatch, u.deg)
        if self.trim is not None:
            out["trim_km_s"] = f(self.trim, _KMS)
        if self.approach_perigee is not None:
            out["approach_perigee_altitude_km"] = f(self.approach_perigee, u.km)
        if self.corridor is not None:
            out["corridor_deg"] = [f(self.corridor[0], u.deg), f(self.corridor[1], u.deg)]
        if self.history is not None and len(self.history):
            out["history"] = history_dict(self.history)
        return out


#: columns of :attr:`StrategyResult.history` (aerobraking, one row per atmospheric pass), as
#: they are named in plan.json
HISTORY_COLUMNS = ("time_days", "perigee_altitude_km", "apogee_altitude_km",
                   "peak_heat_rate_W_cm2", "peak_g", "heat_load_J_cm2", "corridor_burn_m_s")
#: significant digits of the per-pass history in plan.json (it holds hundreds of passes)
_HISTORY_DIGITS = 5


def history_dict(history) -> dict:
    """Per-pass aerobraking history as plan.json stores it: one list per column of
    :data:`HISTORY_COLUMNS`, rounded to 5 significant digits (~60 kB of plan.json for 500
    passes)."""
    h = np.asarray(history, dtype=float)
    out = {}
    for k, name in enumerate(HISTORY_COLUMNS):
        col = h[:, k]
        out[name] = [float(f"{x:.{_HISTORY_DIGITS}g}") if math.isfinite(x) else None
                     for x in col]
    return out


@dataclass(frozen=True)
class ArrivalComparison:
    """Every enabled strategy for one arrival and the one chosen.

    Attributes
    ----------
    results : tuple of StrategyResult
    chosen : str
        Cheapest feasible by :attr:`choose_by`.
    choose_by : str
        ``"propellant"`` or ``"delta-v"``.
    limits : dict or None
        The satellite's limits the strategies were priced under (plain floats:
        ``max_g``, ``max_heat_rate_W_cm2``, ``max_heat_load_J_cm2``), for the report.
    """

    results: tuple
    chosen: str
    choose_by: str
    limits: dict | None = field(default=None, compare=False)

    def __getitem__(self, name: str) -> StrategyResult:
        for r in self.results:
            if r.strategy == name:
                return r
        raise KeyError(name)

    @property
    def best(self) -> StrategyResult:
        return self[self.chosen]

    def as_dict(self) -> dict:
        out = {"chosen": self.chosen, "choose_by": self.choose_by,
               "strategies": [r.as_dict() for r in self.results]}
        if self.limits is not None:
            out["limits"] = dict(self.limits)
        return out


# --- kernel arguments -----------------------------------------------------------------------------
def kernel_parameters(satellite: Satellite, *, solar: str = "mean", thrust: bool = True,
                      top: float = 1000.0, floor: float = 0.0) -> np.ndarray:
    """The kernel parameter vector (:mod:`massdriver.kernels.arrival`) of a satellite."""
    P = np.zeros(K.N_PARAMS)
    P[K.MU], P[K.J2], P[K.R_REF] = GM_EARTH, J2_EARTH, R_EARTH
    P[K.OMEGA] = 7.292115e-5
    P[K.ATM] = 0.0
    P[K.LEVEL] = SOLAR_LEVELS.index(solar)
    P[K.CDA] = float(satellite.drag_coefficient * satellite.drag_area.to_value(u.m ** 2))
    P[K.LIFT_DRAG] = float(satellite.lift_to_drag)
    P[K.BANK_COS] = 0.0
    eng = satellite.capture_engine
    P[K.THRUST] = float(eng.thrust.to_value(u.N)) if thrust else 0.0
    P[K.ISP] = float(eng.isp.to_value(u.s))
    P[K.T_ON], P[K.T_OFF] = -math.inf, -math.inf
    P[K.NOSE] = float(satellite.nose_radius.to_value(u.m))
    P[K.TOP] = top
    P[K.FLOOR] = floor
    P[K.EXIT_ALT] = top
    return P


def _ve(satellite: Satellite) -> float:
    """Exhaust speed of the capture engine, km/s."""
    return float(satellite.capture_engine.isp.to_value(u.s)) * G0 / 1000.0


def _vis_viva(r: float, a: float, mu: float = GM_EARTH) -> float:
    return math.sqrt(mu * (2.0 / r - 1.0 / a))


def _apsis_speed(r: float, other: float, mu: float = GM_EARTH) -> float:
    return _vis_viva(r, 0.5 * (r + other), mu)


def apsides_change_cost(rp: float, ra: float, q: float, Q: float, mu: float = GM_EARTH) -> float:
    """Two coplanar impulses from apsides (rp, ra) to (q, Q), km/s: at apoapsis move the
    periapsis to q, then at the new periapsis move the apoapsis to Q."""
    rp, ra = min(rp, ra), max(rp, ra)
    dv1 = abs(_apsis_speed(ra, q, mu) - _apsis_speed(ra, rp, mu))
    lo, hi = min(q, ra), max(q, ra)
    dv2 = abs(_apsis_speed(q, Q, mu) - _apsis_speed(q, ra, mu)) if (lo, hi) != (q, Q) else 0.0
    return dv1 + dv2


def impulsive_in_plane(r_p: float, v_p: float, q: float, Q: float, mu: float = GM_EARTH) -> float:
    """Coplanar impulsive cost from a periapsis (r_p, v_p) into apsides (q, Q), km/s: one burn
    at r_p into the ellipse (r_p, Q) [or (r_p, q) if r_p > Q], then a trim of the other apsis."""
    far = Q if r_p <= Q else q
    dv1 = abs(v_p - _apsis_speed(r_p, far, mu))
    return dv1 + apsides_change_cost(r_p, far, q, Q, mu)


# --- finite burn -----------------------------------------------------------------------------
@dataclass
class _Burn:
    start: float
    duration: float
    y_end: np.ndarray
    t_end: float
    delta_v: float
    trim: float
    peak_q: float = 0.0
    peak_g: float = 0.0
    min_altitude: float = math.inf


def _two_body(P: np.ndarray) -> np.ndarray:
    """A copy of the kernel parameters ``P`` without J2: the gravity of every burn and of the
    coast to its start.

    The burns are priced against two-body elements (the impulsive budget's vis-viva, the
    target apsides, the Kepler coasts and secular J2 drift of the multi-day strategies). A
    burn flown with J2 would end in an *osculating* J2 state whose two-body elements carry the
    short-period J2 terms (the J2 potential difference between the burn's two ends shifts the
    energy): read as mean elements by what follows, that was an artefact of up to -16 m/s in
    ``multi_pass`` that moves with where the burn sits (docs/arrival.md)."""
    Pt = P.copy()
    Pt[K.J2] = 0.0
    return Pt


def _backward(y_p: np.ndarray, t_p: float, t: float, P: np.ndarray) -> np.ndarray:
    """Two-body coast (no thrust, no drag, no J2) from the periapsis state back (or on) to
    ``t``."""
    Pc = _two_body(P)
    Pc[K.THRUST] = 0.0
    Pc[K.CDA] = 0.0
    y = y_p.copy()
    info = np.empty(K.N_INFO)
    K.propagate(y, t_p, t, Pc, _RTOL, info)
    return y


def _burn(y_start: np.ndarray, t_start: float, duration: float, P: np.ndarray,
          direction: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Fly a burn of ``duration`` s from ``(y_start, t_start)``: two-body gravity (``P``'s J2
    is ignored, see :func:`_two_body`), thrust with mass flow, drag above ``P[FLOOR]``."""
    Pb = _burn_params(P, t_start, duration, direction)
    y = y_start.copy()
    info = np.empty(K.N_INFO)
    K.propagate(y, t_start, t_start + duration, Pb, _RTOL, info)
    return y, info


def _burn_params(P: np.ndarray, t_start: float, duration: float,
                 direction: np.ndarray | None) -> np.ndarray:
    """``P`` for a burn of ``duration`` s from ``t_start``: two-body gravity, thrust on over the
    burn, steered along ``direction`` (inertial unit vector) or along the velocity (None)."""
    Pb = _two_body(P)
    Pb[K.T_ON], Pb[K.T_OFF] = t_start, t_start + duration
    if direction is not None:
        Pb[K.STEER] = 2.0
        Pb[K.DIR:K.DIR + 3] = direction
    else:
        Pb[K.STEER] = 0.0
    return Pb


#: trial steps a :class:`_BurnLengths` trace holds (a burn of an hour takes ~50)
_TRACE_ROWS = 1024


class _BurnLengths:
    """Burns of several lengths (at most ``d_max`` s) from one start, each bit-identical to
    :func:`_burn`'s, most of them without flying the burn again.

    The integrator's steps do not depend on where the burn ends until the trial step that
    reaches the end (its first step is 10 s for any burn of at least 10 s). The longest burn
    is flown once with its trial steps recorded (:func:`massdriver.kernels.arrival.burn_trace`);
    a shorter one is resumed from the trial step that reaches its end
    (:func:`~massdriver.kernels.arrival.burn_resume`, one or two steps), and one that ends
    after the traced burn fell to the floor ends there as that one did. What the trace cannot
    give (under 20 s or over ``d_max``, an incomplete trace, thrust off) is flown by
    :func:`_burn`. The root finding of :func:`_solve_duration` then sees the same numbers and
    finds the same length: the answers do not change (``tests/test_arrival_burn_lengths.py``).
    """

    def __init__(self, y_start: np.ndarray, t_start: float, P: np.ndarray,
                 direction: np.ndarray | None, d_max: float) -> None:
        self.args = (y_start, t_start, P, direction)
        self.d_max = d_max
        self.trace = None
        self.seen: dict[float, tuple[np.ndarray, np.ndarray]] = {}
        if not (d_max >= 20.0 and P[K.THRUST] > 0.0 and P[K.STOP_EXIT] != 1.0):
            return
        Pb = _burn_params(P, t_start, d_max, direction)
        y = y_start.copy()
        info = np.empty(K.N_INFO)
        trace = np.empty((_TRACE_ROWS, K.TRACE_WIDTH))
        rows = K.burn_trace(y, t_start, t_start + d_max, Pb, _RTOL, info, trace)
        if rows <= _TRACE_ROWS and info[1] in (K.DONE, K.FLOOR_HIT):
            self.trace, self.rows, self.Pb = trace, rows, Pb
            self.end = (y, info)

    def __call__(self, duration: float) -> tuple[np.ndarray, np.ndarray]:
        """:func:`_burn` of ``duration`` s (fresh arrays)."""
        y, info = self.peek(duration)
        return y.copy(), info.copy()

    def peek(self, duration: float) -> tuple[np.ndarray, np.ndarray]:
        """:func:`_burn` of ``duration`` s, arrays that may be shared (not to be written). A
        length asked again is not flown again: the root finder asks for its bracket's end
        twice, and the caller for the root."""
        key = float(duration)
        burn = self.seen.get(key)
        if burn is None:
            burn = self.seen[key] = self._fly(key)
        return burn

    def _fly(self, duration: float) -> tuple[np.ndarray, np.ndarray]:
        y_start, t_start, P, direction = self.args
        if self.trace is None or not 20.0 <= duration <= self.d_max:
            return _burn(y_start, t_start, duration, P, direction)
        y = np.empty(y_start.shape[0])
        info = np.empty(K.N_INFO)
        if K.burn_resume(self.trace, self.rows, y_start, t_start + duration, self.Pb, _RTOL,
                         y, info):
            return y, info
        if self.end[1][1] == K.FLOOR_HIT:
            return self.end
        return _burn(y_start, t_start, duration, P, direction)


def _energy_radius(y: np.ndarray) -> float:
    """Semi-major axis of the osculating orbit (km; negative for an open orbit)."""
    # np.linalg.norm's own sum and root (x.dot(x), then sqrt) without its checks: the same
    # bits, a third of the time (called ~40 times per burn length solved)
    x, v = y[:3], y[3:6]
    r = math.sqrt(float(x.dot(x)))
    v2 = float(v.dot(v))
    return 1.0 / (2.0 / r - v2 / GM_EARTH)


def _solve_duration(y_start, t_start, a_target, P, direction, d_max, d_guess,
                    burns: _BurnLengths | None = None):
    """Burn length (s) after which the osculating semi-major axis is ``a_target``; ``burns``
    (of the same start, up to ``d_max``) flies the trial burns."""
    if burns is None:
        burns = _BurnLengths(y_start, t_start, P, direction, d_max)

    def g(d):
        y, info = burns.peek(d)
        if info[1] != K.DONE:
            return 1.0          # fell below the floor: counts as "enough" (rejected later)
        a = _energy_radius(y)
        # 1/a grows as the burn removes energy; open orbits have 1/a <= 0
        return 1.0 / a - 1.0 / a_target

    # bracket from above the impulsive-equivalent length (long burns that would reverse the
    # velocity are never tried when a shorter one does it)
    lo, hi = 0.0, min(d_guess, d_max)
    while g(hi) < 0.0:
        if hi >= d_max:
            return math.nan
        lo, hi = hi, min(2.0 * hi, d_max)
    return brentq(g, lo, hi, xtol=1e-6, rtol=1e-12)


def _finite_burn_to(y_p: np.ndarray, t_p: float, q: float, Q: float, P: np.ndarray, ve: float,
                    steering: str, centred: bool = False) -> _Burn | None:
    """A burn near the periapsis (y_p, t_p) putting the orbit on the energy of (q, Q); the start
    chosen to minimise burn + trim (or centred on the periapsis when ``centred``)."""
    m0 = float(y_p[6])
    r_p = float(np.linalg.norm(y_p[:3]))
    v_p = float(np.linalg.norm(y_p[3:6]))
    a_t = 0.5 * (q + Q)
    dv_imp = abs(v_p - _vis_viva(r_p, a_t)) if 2.0 / r_p - 1.0 / a_t > 0 else v_p
    mdot = P[K.THRUST] / (P[K.ISP] * G0)
    d_imp = m0 * (1.0 - math.exp(-dv_imp / ve)) / mdot
    d_max = min(1.25 * d_imp + 60.0, 0.95 * m0 / mdot)
    direction = -y_p[3:6] / v_p if steering == "inertial" else None

    flown: dict[float, _Burn | None] = {}

    def fly(start: float) -> _Burn | None:
        """The burn from ``start`` s (once per start: the search's answer is one it tried)."""
        key = float(start)
        if key not in flown:
            flown[key] = fly_from(key)
        return flown[key]

    def fly_from(start: float) -> _Burn | None:
        y0 = _backward(y_p, t_p, t_p + start, P)
        burns = _BurnLengths(y0, t_p + start, P, direction, d_max)
        d = _solve_duration(y0, t_p + start, a_t, P, direction, d_max, 1.3 * d_imp + 30.0,
                            burns)
        if not math.isfinite(d):
            return None
        y, info = burns(d)
        rp, ra = K.apsides(GM_EARTH, y[:3], y[3:6])
        if info[1] != K.DONE or not math.isfinite(ra):
            return None
        dv = ve * math.log(float(y0[6]) / float(y[6]))
        return _Burn(start, d, y, t_p + start + d, dv, apsides_change_cost(rp, ra, q, Q),
                     info[3], info[2], info[4])

    if centred:
        # the centred burn of the length that would do it: fixed point on d
        d = d_imp
        for _ in range(6):
            b = fly(-0.5 * d)
            if b is None:
                return None
            if abs(b.duration - d) < 1e-3:
                break
            d = b.duration
        return b

    def cost(start: float) -> float:
        b = fly(start)
        return 1e3 if b is None else b.delta_v + b.trim

    res = minimize_scalar(cost, bounds=(-1.2 * d_imp, 0.2 * d_imp), method="bounded",
                          options={"xatol": 0.5})
    return fly(float(res.x))


# --- secular J2 over multi-day strategies ---------------------------------------------------
@dataclass(frozen=True)
class PlaneDrift:
    """What the multi-day strategies need of a target with a prescribed node.

    Attributes
    ----------
    inclination : float
        Target inclination, rad.
    node_rate : float
        Secular rate of the target's node, rad/s (its J2 rate, or the mean Sun's for a
        sun-synchronous target).
    """

    inclination: float
    node_rate: float

    @classmethod
    def of(cls, target) -> PlaneDrift | None:
        """``None`` for a free-RAAN target (its node is free: nothing to price)."""
        if target is None or target.free_raan:
            return None
        rate = target.plane_arrays(0.0).raan_rate
        return cls(float(target.inclination.to_value(u.rad)), float(rate))


def node_mismatch_cost(plane: PlaneDrift | None, node_per_cos: float, t_end: float,
                       q: float, Q: float) -> tuple[float, float | None]:
    """Plane change (km/s) owed at the end of a multi-day strategy, and the node mismatch (deg).

    The plane is taken as matched at arrival (the window's plane change, kept in the extras);
    the strategy's orbit then drifts by ``node_per_cos * cos i`` (the first-order secular J2
    drift summed over its revolutions by :func:`massdriver.kernels.arrival.j2_secular_drift`,
    at the target inclination ``i``) and the target's node by ``node_rate * t_end``. The two
    planes of inclination ``i`` whose nodes differ by ``dOmega`` make the angle ``theta`` with
    ``cos theta = cos^2 i + sin^2 i cos dOmega``; turning it costs ``2 v sin(theta / 2)`` at the
    target's apoapsis speed ``v`` (a lower bound: the line of apsides is free, and a circular
    target has the same speed at its node).

    Parameters
    ----------
    plane : PlaneDrift or None
        ``None``: free RAAN, nothing owed.
    node_per_cos : float
        rad.
    t_end : float
        s from arrival to the final orbit.
    q, Q : float
        Target apsides, km.

    Returns
    -------
    (float, float or None)
        km/s and deg, in (-180, 180] (``None`` for a free RAAN).
    """
    if plane is None:
        return 0.0, None
    d_node = node_per_cos * math.cos(plane.inclination) - plane.node_rate * t_end
    d_node = math.remainder(d_node, 2.0 * math.pi)
    if d_node <= -math.pi:          # remainder gives [-pi, pi]: report (-180, 180] deg
        d_node += 2.0 * math.pi
    si, ci = math.sin(plane.inclination), math.cos(plane.inclination)
    cos_theta = min(1.0, max(-1.0, ci * ci + si * si * math.cos(d_node)))
    theta = math.acos(cos_theta)
    v = _apsis_speed(Q, q)
    return 2.0 * v * math.sin(0.5 * theta), math.degrees(d_node)


def _mismatch_outcome(dv: float, node_deg: float | None) -> str:
    if node_deg is None:
        return "ok"
    return f"ok, node off {node_deg:+.0f} deg (+{dv:.2f} km/s)"


# --- strategies ----------------------------------------------------------------------------
def _perigee_state(position, velocity, mass: float) -> tuple[np.ndarray, float]:
    r = np.asarray(u.Quantity(position).to_value(u.km), dtype=float).reshape(3)
    v = np.asarray(u.Quantity(velocity).to_value(_KMS), dtype=float).reshape(3)
    y = np.concatenate([r, v, [mass, 0.0]])
    return y, 0.0


def _result(name: str, feasible: bool, outcome: str, arrival_dv: float, extras: float,
            satellite: Satellite, impulsive_dv: float | None = None, **kw) -> StrategyResult:
    total = extras + arrival_dv if feasible else math.nan
    ve = _ve(satellite)
    m0 = float(satellite.wet_mass.to_value(u.kg))
    prop = m0 * (1.0 - math.exp(-total / ve)) if feasible else math.nan
    loss = None
    if impulsive_dv is not None:
        loss = (arrival_dv - impulsive_dv if feasible else math.nan) * _KMS
    return StrategyResult(name, feasible, outcome, total * _KMS, prop * u.kg,
                          (arrival_dv if feasible else math.nan) * _KMS, loss, **kw)


def trim_tolerance(impulsive_dv: float) -> float:
    """Largest trim (km/s) a finite-burn strategy may carry for an arrival whose impulsive
    in-plane cost is ``impulsive_dv`` km/s: :data:`TRIM_FRACTION` of it, at least
    :data:`TRIM_FLOOR`."""
    return max(TRIM_FRACTION * impulsive_dv, TRIM_FLOOR)


def _trim_outcome(b: _Burn, which: str) -> str:
    """Why a finite burn whose trim is over the tolerance is not an insertion (short enough
    for the CLI table): the burn stopped at the burn floor, or ended off the target."""
    if b.min_altitude < BURN_FLOOR + 1.0:
        return f"{which} floored at {BURN_FLOOR:.0f} km, {b.trim:.2f} km/s short"
    return f"{which} ends {b.trim:.2f} km/s off the orbit"


#: raises (km) of the approach perigee the finite burn is tried at before the refinement
#: between the two neighbours of the best (:func:`finite_burn`); at 2,000 km the correction
#: alone is ~50 m/s and the burn, that high in the well, loses hundreds of m/s more
FINITE_BURN_RAISES = (0.0, 25.0, 50.0, 100.0, 150.0, 200.0, 300.0, 400.0, 500.0, 700.0,
                      1000.0, 1500.0, 2000.0)


def finite_burn(y_p: np.ndarray, q: float, Q: float, satellite: Satellite,
                options: ArrivalOptions, extras: float = 0.0) -> StrategyResult:
    """One finite retrograde burn from the periapsis state ``y_p`` (8,: km, km/s, kg, J/m^2;
    time 0 at periapsis) into apsides (q, Q) km, the approach perigee raised by the mid-course
    correction where that helps.

    For a given approach perigee the burn's start is optimised (burn + trim) and its length
    set so that the orbit after it has the target's energy; the apsides it leaves are cleaned
    up by an impulsive trim. A long burn started before perigee sags towards the Earth while
    it slows: the mid-course correction aims the approach at a higher perigee ``r_p' >= r_p``
    (same energy and plane, :func:`_perigee_moved`), costed ``|dh| / r`` at
    ``options.mcc_radius`` (:func:`_mcc_cost`, as aerobraking's corridor targeting), so that the
    burn ends in the target orbit above :data:`BURN_FLOOR`. The raise minimises correction +
    burn + trim among the raises whose trim is within :func:`trim_tolerance`: tried at
    :data:`FINITE_BURN_RAISES`, then refined (``minimize_scalar``, 0.5 km) between the two
    neighbours of the best feasible one. Infeasible (the outcome saying by how much) when no
    raise brings the trim within the tolerance: typically a longer burn would dip under the
    floor whatever the aim. The result's ``approach_perigee`` is the altitude aimed at."""
    P = kernel_parameters(satellite, solar=options.solar, floor=BURN_FLOOR)
    ve = _ve(satellite)
    r_p, v_p = float(np.linalg.norm(y_p[:3])), float(np.linalg.norm(y_p[3:6]))
    imp = impulsive_in_plane(r_p, v_p, q, Q)
    tol = trim_tolerance(imp)
    r_mcc = float(u.Quantity(options.mcc_radius).to_value(u.km))
    tried: dict[float, tuple[_Burn | None, float]] = {}

    def attempt(raise_km: float) -> tuple[_Burn | None, float]:
        if raise_km not in tried:
            if raise_km <= 0.0:
                y_c, mcc = y_p, 0.0
            else:
                y_c = _perigee_moved(y_p, r_p + raise_km)
                mcc = _mcc_cost(y_p, y_c, r_mcc)
                y_c[6] = float(y_p[6]) * math.exp(-mcc / ve)    # burnt before arrival
            tried[raise_km] = (_finite_burn_to(y_c, 0.0, q, Q, P, ve, options.steering), mcc)
        return tried[raise_km]

    def cost(raise_km: float) -> float:
        """Correction + burn + trim, km/s; a trim over the tolerance (or no burn) ranks
        behind every feasible raise."""
        b, mcc = attempt(raise_km)
        if b is None:
            return 1e3
        total = mcc + b.delta_v + b.trim
        return total if b.trim <= tol else total + 10.0 + b.trim

    raises = FINITE_BURN_RAISES
    costs = [cost(h) for h in raises]
    k = int(np.argmin(costs))
    if costs[k] < 10.0:     # a feasible aim on the grid: refine it (else nothing to refine)
        lo, hi = raises[max(k - 1, 0)], raises[min(k + 1, len(raises) - 1)]
        minimize_scalar(cost, bounds=(lo, hi), method="bounded", options={"xatol": 0.5})
    feasible = [(cost(h), h) for h, (b, _) in tried.items() if b is not None and b.trim <= tol]
    if not feasible:
        b, _ = attempt(0.0)
        if b is None:
            return _result("finite_burn", False, "no burn reaches the target", 0.0, extras,
                           satellite, imp)
        return _result("finite_burn", False, _trim_outcome(b, "burn"), 0.0, extras,
                       satellite, imp, passes=1, days=b.t_end / 86400.0 * u.day,
                       burn_time=b.duration * u.s, trim=b.trim * _KMS,
                       approach_perigee=(r_p - R_EARTH) * u.km)
    _, raise_km = min(feasible)
    b, mcc = attempt(raise_km)
    outcome = "ok" if raise_km < 1.0 else f"ok, perigee aimed at {r_p + raise_km - R_EARTH:.0f} km"
    return _result("finite_burn", True, outcome, mcc + b.delta_v + b.trim, extras, satellite,
                   imp, passes=1, days=b.t_end / 86400.0 * u.day, burn_time=b.duration * u.s,
                   trim=b.trim * _KMS, approach_perigee=(r_p + raise_km - R_EARTH) * u.km)


def multi_pass(y_p: np.ndarray, q: float, Q: float, satellite: Satellite,
               options: ArrivalOptions, extras: float = 0.0,
               plane: PlaneDrift | None = None) -> StrategyResult:
    """Capture and apogee lowering over several perigee passes, burns of at most
    ``options.max_burn`` centred on perigee; the last sized to land on the energy of (q, Q).

    The coasts between passes are two-body plus the first-order secular J2 drift of node and
    perigee (:func:`massdriver.kernels.arrival.j2_secular_drift`); for a target with a
    prescribed node (``plane``) the plane change to where it is at the end is added
    (:func:`node_mismatch_cost`)."""
    P = kernel_parameters(satellite, solar=options.solar, floor=BURN_FLOOR)
    ve = _ve(satellite)
    r_p, v_p = float(np.linalg.norm(y_p[:3])), float(np.linalg.norm(y_p[3:6]))
    imp = impulsive_in_plane(r_p, v_p, q, Q)
    max_burn = float(u.Quantity(options.max_burn).to_value(u.s))
    a_t = 0.5 * (q + Q)
    y, t = y_p.copy(), 0.0
    dv_total, burn_time, belt, passes = 0.0, 0.0, 0, 0
    node_per_cos = 0.0
    peri = np.empty(6)
    for _ in range(200):
        passes += 1
        y_start = _backward(y, t, t - 0.5 * max_burn, P)
        y_end, info = _burn(y_start, t - 0.5 * max_burn, max_burn, P, None)
        if 1.0 / _energy_radius(y_end) >= 1.0 / a_t:
            # the last pass: a centred burn landing on the target energy
            b = _finite_burn_to(y, t, q, Q, P, ve, "velocity", centred=True)
            if b is None:
                return _result("multi_pass", False, "last burn failed", 0.0, extras,
                               satellite, imp)
            last_trim = b.trim
            if b.trim > trim_tolerance(imp):
                return _result("multi_pass", False, _trim_outcome(b, "last burn"), 0.0,
                               extras, satellite, imp, passes=passes, trim=b.trim * _KMS)
            dv_total += b.delta_v + b.trim
            burn_time += b.duration
            t_end = b.t_end
            break
        rp, ra = K.apsides(GM_EARTH, y_end[:3], y_end[3:6])
        if math.isfinite(ra):
            dv_total += ve * math.log(float(y_start[6]) / float(y_end[6]))
            burn_time += max_burn
            t_burn_end = t + 0.5 * max_burn
        else:
            # still open after the longest burn: this (capture) burn is made long enough to
            # close the orbit below 400,000 km
            b = _finite_burn_to(y, t, rp, 4.0e5, P, ve, "velocity", centred=True)
            if b is None:
                return _result("multi_pass", False, "cannot capture", 0.0, extras, satellite,
                               imp)
            y_end = b.y_end
            dv_total += b.delta_v
            burn_time += b.duration
            t_burn_end = b.t_end
            rp, ra = K.apsides(GM_EARTH, y_end[:3], y_end[3:6])
        if ra - R_EARTH > 1000.0:
            belt += 1
        # coast to the next periapsis
        dt = K.perigee_of(GM_EARTH, y_end[:3], y_end[3:6], peri)
        a = _energy_radius(y_end)
        period = 2.0 * math.pi * math.sqrt(a ** 3 / GM_EARTH)
        t_next = t_burn_end + dt + (period if dt < 0 else 0.0)
        y = np.concatenate([peri, y_end[6:8]])
        node_per_cos += K.j2_secular_drift(y, t_next - t_burn_end, P)[2]
        t = t_next
    else:
        return _result("multi_pass", False, "too many passes", 0.0, extras, satellite, imp)
    dv_plane, node_deg = node_mismatch_cost(plane, node_per_cos, t_end, q, Q)
    return _result("multi_pass", True, _mismatch_outcome(dv_plane, node_deg),
                   dv_total + dv_plane, extras, satellite, imp, passes=passes,
                   days=t_end / 86400.0 * u.day, belt_passes=belt, burn_time=burn_time * u.s,
                   node_mismatch=None if node_deg is None else node_deg * u.deg,
                   trim=last_trim * _KMS)


def _lower_perigee(y_p: np.ndarray, r_new: float) -> np.ndarray:
    """Same energy and plane, periapsis radius ``r_new`` (the state at the new periapsis)."""
    r_p = float(np.linalg.norm(y_p[:3]))
    v_p = float(np.linalg.norm(y_p[3:6]))
    v_new = math.sqrt(v_p ** 2 + 2.0 * GM_EARTH * (1.0 / r_new - 1.0 / r_p))
    y = y_p.copy()
    y[:3] = y_p[:3] / r_p * r_new
    y[3:6] = y_p[3:6] / v_p * v_new
    return y


def _mcc_cost(y_p: np.ndarray, y_new: np.ndarray, r_mcc: float) -> float:
    """|dh| / r: a transverse correction at radius r_mcc changing the angular momentum."""
    h0 = float(np.linalg.norm(np.cross(y_p[:3], y_p[3:6])))
    h1 = float(np.linalg.norm(np.cross(y_new[:3], y_new[3:6])))
    return abs(h1 - h0) / r_mcc


#: arrival perigee altitudes (km) the mid-course correction may aim an aerobraking arrival at
#: (corridor targeting): the capture burn then starts nearer the corridor and the walk-in burn
#: is smaller; lower would let the hour-long capture burn dip under :data:`BURN_FLOOR`
AEROBRAKING_MCC_PERIGEES = (250.0, 200.0)


def _perigee_moved(y_p: np.ndarray, r_new: float) -> np.ndarray:
    """The periapsis state of the orbit with ``y_p``'s energy and plane and periapsis radius
    ``r_new`` (the periapsis direction kept): what a mid-course correction aims at."""
    r_p = float(np.linalg.norm(y_p[:3]))
    v_p = float(np.linalg.norm(y_p[3:6]))
    eps = 0.5 * v_p ** 2 - GM_EARTH / r_p
    p_hat = y_p[:3] / r_p
    w = np.cross(y_p[:3], y_p[3:6])
    t_hat = np.cross(w / np.linalg.norm(w), p_hat)
    y = y_p.copy()
    y[:3] = r_new * p_hat
    y[3:6] = math.sqrt(2.0 * (eps + GM_EARTH / r_new)) * t_hat
    return y


def aerobraking(y_p: np.ndarray, q: float, Q: float, satellite: Satellite,
                options: ArrivalOptions, extras: float = 0.0,
                plane: PlaneDrift | None = None) -> StrategyResult:
    """Corridor targeting, capture burn, walk-in, aerobraking passes under the limits, perigee
    raise.

    Flown from the arrival perigee as it is, and with the mid-course correction first lowering
    it to each altitude of :data:`AEROBRAKING_MCC_PERIGEES` (costed ``|dh| / r`` at
    ``options.mcc_radius``); the cheapest feasible variant is returned.
    """
    r_p, v_p = float(np.linalg.norm(y_p[:3])), float(np.linalg.norm(y_p[3:6]))
    imp = impulsive_in_plane(r_p, v_p, q, Q)
    best = _aerobraking_from(y_p, 0.0, q, Q, satellite, options, extras, imp, plane)
    r_mcc = float(u.Quantity(options.mcc_radius).to_value(u.km))
    for h in AEROBRAKING_MCC_PERIGEES:
        if R_EARTH + h >= r_p - 1.0:
            continue
        y_c = _perigee_moved(y_p, R_EARTH + h)
        res = _aerobraking_from(y_c, _mcc_cost(y_p, y_c, r_mcc), q, Q, satellite, options,
                                extras, imp, plane)
        if res.feasible and (not best.feasible or res.propellant < best.propellant):
            best = res
    return best


def _aerobraking_from(y_p: np.ndarray, pre_dv: float, q: float, Q: float,
                      satellite: Satellite, options: ArrivalOptions, extras: float,
                      imp: float, plane: PlaneDrift | None = None) -> StrategyResult:
    """:func:`aerobraking` from the periapsis state ``y_p`` reached after ``pre_dv`` km/s of
    corridor targeting; ``imp`` the impulsive in-plane cost of the original arrival. The
    campaign's node and perigee drift with the secular J2 rates (capture ellipse and walk-in
    included); ``plane``: see :func:`node_mismatch_cost`."""
    P = kernel_parameters(satellite, solar=options.solar)
    ve = _ve(satellite)
    r_p = float(np.linalg.norm(y_p[:3]))
    r_cap = R_EARTH + float(u.Quantity(options.capture_apoapsis).to_value(u.km))
    if r_cap <= Q:
        return _result("aerobraking", False, "capture apoapsis below the target", 0.0, extras,
                       satellite, imp)
    Pb = P.copy()
    Pb[K.FLOOR] = BURN_FLOOR
    cap = _finite_burn_to(y_p, 0.0, r_p, r_cap, Pb, ve, options.steering)
    if cap is None:
        return _result("aerobraking", False, "capture burn failed", 0.0, extras, satellite, imp)
    y = cap.y_end.copy()
    rp0, ra0 = K.apsides(GM_EARTH, y[:3], y[3:6])
    if not ra0 <= r_cap + 0.02 * (r_cap - R_EARTH):
        # the burn stopped short (a longer one would dip under the burn floor): a bigger
        # capture ellipse than asked for is not this strategy's
        return _result("aerobraking", False, "capture burn cannot reach the capture apoapsis",
                       0.0, extras, satellite, imp)
    apo = np.empty(6)
    K.state_at_anomaly(GM_EARTH, y[:3], y[3:6], math.pi, apo)
    v_apo = float(np.linalg.norm(apo[3:6]))
    q_max = float(satellite.max_heat_rate.to_value(u.W / u.m ** 2))
    g_max = float(satellite.max_g)
    load_max = float(satellite.max_heat_load.to_value(u.J / u.m ** 2))
    q_low, q_high = 0.55, 0.8
    Pp = P.copy()
    Pp[K.THRUST] = 0.0
    Pp[K.STOP_EXIT] = 1.0
    Pp[K.J2] = 0.0          # as in the campaign's passes (K.aerobrake): two-body + drag

    def first_pass(h: float):
        """Peak heat rate, g and load (fractions of their limits) of a pass at perigee alt h."""
        rn = R_EARTH + h
        va = _apsis_speed(ra0, rn)
        yy = np.concatenate([apo[:3], apo[3:6] / v_apo * va, y[6:8]])
        per = np.empty(6)
        K.state_at_anomaly(GM_EARTH, yy[:3], yy[3:6], -1.2, per)
        yy[:6] = per
        Pp[K.EXIT_ALT] = min(1000.0, 0.5 * (h + ra0 - R_EARTH))
        info = np.empty(K.N_INFO)
        yq = yy.copy()
        K.propagate(yq, 0.0, 1e5, Pp, _RTOL, info)
        load = yq[7] - yy[7]
        return max(info[3] / q_max, info[2] / g_max, load / load_max), yy

    target_frac = 0.5 * (q_low + q_high)
    lo_h, hi_h = 60.0, 400.0
    try:
        h0 = brentq(lambda h: first_pass(h)[0] - target_frac, lo_h, hi_h, xtol=0.01)
    except ValueError:
        return _result("aerobraking", False, "no corridor under the limits", 0.0, extras,
                       satellite, imp)
    _, y_walk = first_pass(h0)
    walk_dv = abs(_apsis_speed(ra0, rp0) - _apsis_speed(ra0, R_EARTH + h0))
    period0 = 2.0 * math.pi * math.sqrt((0.5 * (rp0 + ra0)) ** 3 / GM_EARTH)
    t_apo = cap.t_end + 0.5 * period0 - K.time_from_periapsis(GM_EARTH, y[:3], y[3:6])
    period1 = 2.0 * math.pi * math.sqrt((0.5 * (R_EARTH + h0 + ra0)) ** 3 / GM_EARTH)
    t0 = t_apo + 0.5 * period1 + K.time_from_periapsis(GM_EARTH, y_walk[:3], y_walk[3:6])
    hist = np.zeros((int(options.max_passes), 7))
    max_days = float(u.Quantity(options.max_days).to_value(u.day))
    # secular J2 from arrival to the first pass (capture ellipse, walk-in)
    node_per_cos = K.j2_secular_drift(y_walk, t0, P)[2]
    status, npass, t_end, corridor_dv, pq, pg, pl, y_end, drift = K.aerobrake(
        y_walk, t0, P, _RTOL, Q, q_max, g_max, load_max, q_low, q_high, 5.0,
        int(options.max_passes), max_days, hist)
    hist = hist[:npass].copy()
    hist[:, 0] /= 86400.0
    hist[:, 3] /= 1e4
    hist[:, 5] /= 1e4
    hist[:, 6] *= 1000.0
    kw = dict(passes=npass + 1, days=t_end / 86400.0 * u.day,
              belt_passes=int(np.sum(hist[:, 2] > 1000.0)) + (1 if ra0 - R_EARTH > 1000 else 0),
              peak_heat_rate=pq / 1e4 * u.W / u.cm ** 2, peak_g=float(pg),
              heat_load=pl / 1e4 * u.J / u.cm ** 2, burn_time=cap.duration * u.s, history=hist)
    outcomes = {1: "too many passes or days", 2: "re-entry", 3: "not captured",
                4: "corridor control failed"}
    if status != 0:
        return _result("aerobraking", False, outcomes[int(status)], 0.0, extras, satellite,
                       imp, **kw)
    if pq > q_max or pg > g_max or pl > load_max:
        return _result("aerobraking", False, "heat or deceleration limit exceeded", 0.0, extras,
                       satellite, imp, **kw)
    rp, ra = K.apsides(GM_EARTH, y_end[:3], y_end[3:6])
    raise_dv = apsides_change_cost(rp, ra, q, Q)
    dv_plane, node_deg = node_mismatch_cost(plane, node_per_cos + float(drift[2]), t_end, q, Q)
    total = pre_dv + cap.delta_v + walk_dv + corridor_dv + raise_dv + dv_plane
    return _result("aerobraking", True, _mismatch_outcome(dv_plane, node_deg), total, extras,
                   satellite, imp, node_mismatch=None if node_deg is None else node_deg * u.deg,
                   **kw)


def _entry_state(y_p: np.ndarray, gamma: float, r_i: float) -> np.ndarray:
    """State at the interface radius r_i (descending, flight-path angle gamma < 0 rad) on the
    orbit with the arrival's energy and plane."""
    r_p = float(np.linalg.norm(y_p[:3]))
    v_p = float(np.linalg.norm(y_p[3:6]))
    eps = 0.5 * v_p ** 2 - GM_EARTH / r_p
    v_i = math.sqrt(2.0 * (eps + GM_EARTH / r_i))
    P_hat = y_p[:3] / r_p
    W = np.cross(y_p[:3], y_p[3:6])
    W /= np.linalg.norm(W)
    Q_hat = np.cross(W, P_hat)
    # place the entry point a little before the arrival periapsis direction
    ang = -0.15
    rh = math.cos(ang) * P_hat + math.sin(ang) * Q_hat
    th = np.cross(W, rh)
    y = y_p.copy()
    y[:3] = r_i * rh
    y[3:6] = v_i * (math.sin(gamma) * rh + math.cos(gamma) * th)
    return y


def _pass(y0, P, bank_cos, t_max=3000.0):
    yo = np.empty(8)
    info = K.entry_pass(y0, 0.0, P, _RTOL, bank_cos, t_max, yo)
    return info, yo


def entry_corridor(y_p: np.ndarray, P: np.ndarray, r_i: float, accept_shallow, accept_steep,
                   lo_deg: float = -20.0, hi_deg: float = -0.5) -> tuple[float, float]:
    """Entry flight-path angles (deg) bounding the corridor, by bisection.

    ``accept_shallow(info, y_exit)`` is the test of full lift down at the shallow edge (it
    passes from the steep side up to the edge), ``accept_steep`` that of full lift up (it
    passes from the shallow side down to the edge). Returns ``(steep, shallow)``; NaNs if the
    corridor is empty in ``[lo_deg, hi_deg]``.
    """
    def edge(bank, accept, good_side_deg, bad_side_deg):
        a, b = good_side_deg, bad_side_deg
        if not accept(*_pass(_entry_state(y_p, math.radians(a), r_i), P, bank)):
            return math.nan
        if accept(*_pass(_entry_state(y_p, math.radians(b), r_i), P, bank)):
            return b
        for _ in range(40):
            m = 0.5 * (a + b)
            if accept(*_pass(_entry_state(y_p, math.radians(m), r_i), P, bank)):
                a = m
            else:
                b = m
            if abs(a - b) < 1e-4:
                break
        return 0.5 * (a + b)

    shallow = edge(-1.0, accept_shallow, lo_deg, hi_deg)
    steep = edge(1.0, accept_steep, hi_deg, lo_deg)
    if not (math.isfinite(shallow) and math.isfinite(steep)) or steep >= shallow:
        return math.nan, math.nan
    return steep, shallow


def aerocapture(y_p: np.ndarray, q: float, Q: float, satellite: Satellite,
                options: ArrivalOptions, extras: float = 0.0) -> StrategyResult:
    """One guided atmospheric pass into an orbit of apoapsis Q, then perigee raise."""
    h_i = float(u.Quantity(options.interface_altitude).to_value(u.km))
    # two-body + drag and lift, as the aerobraking passes: the exit apoapsis is read as a
    # two-body element and the perigee raise priced two-body (see _two_body)
    P = _two_body(kernel_parameters(satellite, solar=options.solar, thrust=False, top=h_i,
                                    floor=20.0))
    P[K.EXIT_ALT] = h_i
    r_i = R_EARTH + h_i
    r_p, v_p = float(np.linalg.norm(y_p[:3])), float(np.linalg.norm(y_p[3:6]))
    imp = impulsive_in_plane(r_p, v_p, q, Q)
    q_max = float(satellite.max_heat_rate.to_value(u.W / u.m ** 2))
    g_max = float(satellite.max_g)
    load_max = float(satellite.max_heat_load.to_value(u.J / u.m ** 2))

    def within(info, yo):
        return info[3] <= q_max and info[2] <= g_max and yo[7] <= load_max

    def enough_energy_lost(info, yo):  # full lift down: does not overshoot the target
        if info[1] != K.EXITED:
            return True
        return K.apsides(GM_EARTH, yo[:3], yo[3:6])[1] <= Q

    def not_too_deep(info, yo):        # full lift up: exits above the target, under limits
        if info[1] != K.EXITED:
            return False
        return K.apsides(GM_EARTH, yo[:3], yo[3:6])[1] >= Q and within(info, yo)

    steep, shallow = entry_corridor(y_p, P, r_i, enough_energy_lost, not_too_deep)
    if not math.isfinite(steep):
        return _result("aerocapture", False, "no entry corridor under the limits", 0.0, extras,
                       satellite, imp)
    gamma = math.radians(0.5 * (steep + shallow))
    y_e = _entry_state(y_p, gamma, r_i)
    mcc = _mcc_cost(y_p, y_e, float(u.Quantity(options.mcc_radius).to_value(u.km)))
    yo = np.empty(8)
    info = K.aerocapture_pass(y_e, 0.0, P, _RTOL, Q, 10.0, 3000.0, yo)
    corridor = (steep * u.deg, shallow * u.deg)
    kw = dict(passes=1, days=info[0] / 86400.0 * u.day,
              peak_heat_rate=info[3] / 1e4 * u.W / u.cm ** 2, peak_g=float(info[2]),
              heat_load=yo[7] / 1e4 * u.J / u.cm ** 2, corridor=corridor)
    if info[1] == K.FLOOR_HIT or info[1] == K.DONE:
        return _result("aerocapture", False, "re-entry", 0.0, extras, satellite, imp, **kw)
    rp, ra = K.apsides(GM_EARTH, yo[:3], yo[3:6])
    if not math.isfinite(ra) or ra > 4.0 * Q:
        return _result("aerocapture", False, "skip-out", 0.0, extras, satellite, imp, **kw)
    if not within(info, yo):
        return _result("aerocapture", False, "heat or deceleration limit", 0.0, extras,
                       satellite, imp, **kw)
    raise_dv = apsides_change_cost(rp, ra, q, Q)
    return _result("aerocapture", True, "ok", mcc + raise_dv, extras, satellite, imp, **kw)


_FUNCS = {"finite_burn": finite_burn, "multi_pass": multi_pass, "aerobraking": aerobraking,
          "aerocapture": aerocapture}


def compare_strategies(position, velocity, target, satellite: Satellite, *,
                       impulsive_total=None, extras=None, strategies=None,
                       choose_by: str | None = None,
                       options: ArrivalOptions | None = None) -> ArrivalComparison:
    """Price every enabled strategy for one arrival and choose one.

    Parameters
    ----------
    position, velocity : Quantity (3,)
        Arrival periapsis state (Earth-centred ICRF).
    target : massdriver.targets.TargetOrbit
        Its apsides; and, for a prescribed node, its inclination and node rate: the multi-day
        strategies pay the plane change to where the target's node is when they end
        (:func:`node_mismatch_cost`; the plane at arrival is the impulsive budget's business).
    satellite : Satellite
    impulsive_total : Quantity, optional
        The window's impulsive total (with MCC, plane change, margin); default: the coplanar
        impulsive cost.
    extras : Quantity, optional
        The part of ``impulsive_total`` that every strategy keeps (MCC + plane change +
        margin); default 0.
    strategies : sequence of str, optional
        Names from :data:`ARRIVAL_STRATEGIES` (``impulsive`` is always priced); default
        ``options.strategies``.
    choose_by : str, optional
        ``"propellant"`` or ``"delta-v"``; default ``options.choose_by``.
    options : ArrivalOptions, optional

    Returns
    -------
    ArrivalComparison
    """
    options = options or ArrivalOptions()
    choose_by = options.choose_by if choose_by is None else choose_by
    if choose_by not in CHOOSE_BY:
        raise InputError(f"choose_by = {choose_by!r}: must be propellant or delta-v")
    strategies = parse_strategies(options.strategies if strategies is None else strategies)
    m0 = float(satellite.wet_mass.to_value(u.kg))
    y_p, _ = _perigee_state(position, velocity, m0)
    q = R_EARTH + float(target.perigee_altitude.to_value(u.km))
    Q = R_EARTH + float(target.apogee_altitude.to_value(u.km))
    r_p, v_p = float(np.linalg.norm(y_p[:3])), float(np.linalg.norm(y_p[3:6]))
    imp = impulsive_in_plane(r_p, v_p, q, Q)
    ex = 0.0 if extras is None else float(u.Quantity(extras).to_value(_KMS))
    imp_total = (ex + imp) if impulsive_total is None else float(
        u.Quantity(impulsive_total).to_value(_KMS))
    # the MCC is burnt before arrival: the arrival strategies start lighter
    y_p[6] = m0 * math.exp(-ex / _ve(satellite))
    results = [_result("impulsive", True, "ok", imp_total - ex, ex, satellite, imp)]
    for name in strategies:
        if name == "impulsive":
            continue
        try:
            if name in ("multi_pass", "aerobraking"):
                res = _FUNCS[name](y_p, q, Q, satellite, options, ex, PlaneDrift.of(target))
            else:
                res = _FUNCS[name](y_p, q, Q, satellite, options, ex)
        except (ValueError, ArithmeticError) as exc:     # a solver that found nothing
            log.info("arrival strategy %s failed: %s", name, exc)
            res = _result(name, False, f"failed: {exc}", 0.0, ex, satellite, imp)
        results.append(res)
    key = (lambda r: r.propellant.to_value(u.kg)) if choose_by == "propellant" else (
        lambda r: r.delta_v.to_value(_KMS))
    feasible = [r for r in results if r.feasible]
    chosen = min(feasible, key=key).strategy
    return ArrivalComparison(tuple(results), chosen, choose_by, satellite_limits(satellite))


def satellite_limits(satellite: Satellite) -> dict:
    """The satellite's aerothermal limits as plain floats (plan.json ``arrival.limits``)."""
    return {"max_g": float(satellite.max_g),
            "max_heat_rate_W_cm2": float(satellite.max_heat_rate.to_value(u.W / u.cm ** 2)),
            "max_heat_load_J_cm2": float(satellite.max_heat_load.to_value(u.J / u.cm ** 2))}


def price_window(window, target, satellite: Satellite,
                 options: ArrivalOptions | None = None) -> ArrivalComparison:
    """:func:`compare_strategies` for a :class:`~massdriver.windows.LaunchWindow`: its
    (uncorrected) perigee arrival, its budget's total as the impulsive price, and its MCC,
    plane change and margin kept by every strategy."""
    b = window.budget
    extras = b.mcc + b.plane_change + b.margin
    return compare_strategies(window.perigee.position, window.perigee.velocity, target,
                              satellite, impulsive_total=b.total, extras=extras,
                              options=options)


def price_plan(plan, target, satellite: Satellite, options: ArrivalOptions | None = None):
    """The plan with every window's :attr:`~massdriver.windows.LaunchWindow.arrival` priced
    (:func:`price_window`)."""
    windows = tuple(dataclasses.replace(w, arrival=price_window(w, target, satellite, options))
                    for w in plan.windows)
    return dataclasses.replace(plan, windows=windows)


def priced_strategies(strategies: str | Sequence[str] = ARRIVAL_STRATEGIES) -> tuple[str, ...]:
    """The strategies :func:`compare_strategies` prices for ``strategies``, in the order of its
    results: ``impulsive`` first, then the others as given."""
    names = parse_strategies(strategies)
    return ("impulsive",) + tuple(n for n in names if n != "impulsive")


def arrival_columns(comparisons: Sequence[ArrivalComparison],
                    strategies: str | Sequence[str] | None = None) -> dict:
    """windows.ecsv columns of the comparison: chosen strategy, then delta-v and propellant
    of each strategy (masked, an empty field in the file, where infeasible).

    Every ``dv_*`` / ``propellant_*`` column is a masked quantity, also when nothing in it is
    masked: the file's schema then depends on which strategies were priced, never on their
    outcomes (a plain column for an all-feasible strategy but a masked one as soon as one
    window fails would change the ECSV header between runs, and a reader's column type).

    Parameters
    ----------
    comparisons : sequence of ArrivalComparison
        One per window; may be empty.
    strategies : str or sequence of str, optional
        What was (or would have been) priced (:func:`priced_strategies`); used when
        ``comparisons`` is empty, so that a run without windows writes the same columns (of
        length 0) as one with windows. Default: every strategy.
    """

    def col(values: list[float], unit):
        v = np.asarray(values, dtype=float)
        bad = ~np.isfinite(v)
        return Masked(np.where(bad, 0.0, v) * unit, mask=bad)

    cols: dict[str, Any] = {"arrival_strategy": np.array([c.chosen for c in comparisons],
                                                         dtype=str)}
    if comparisons:
        names = [r.strategy for r in comparisons[0].results]
    else:
        names = priced_strategies(ARRIVAL_STRATEGIES if strategies is None else strategies)
    for name in names:
        cols[f"dv_{name}"] = col([c[name].delta_v.to_value(_KMS) for c in comparisons], _KMS)
        cols[f"propellant_{name}"] = col([c[name].propellant.to_value(u.kg)
                                          for c in comparisons], u.kg)
    return cols


def with_cli_choices(mission, strategies: str | None, choose_by: str | None):
    """The mission with ``--strategies`` / ``--choose-by`` applied to its ``[arrival]``.

    Raises
    ------
    InputError
        A flag given for a mission without ``[satellite]``, or an unknown strategy.
    """
    if strategies is None and choose_by is None:
        return mission
    flag = "--strategies" if strategies is not None else "--choose-by"
    if getattr(mission, "satellite", None) is None:
        raise InputError(f"{flag}: the mission file has no [satellite] table, so there is "
                         "nothing to price but the impulsive budget (see docs/arrival.md)")
    changes = {}
    if strategies is not None:
        try:
            changes["strategies"] = parse_strategies(strategies)
        except InputError as exc:
            raise InputError(f"--strategies {strategies}: {exc}") from None
    if choose_by is not None:
        changes["choose_by"] = choose_by
    options = dataclasses.replace(mission.arrival or ArrivalOptions(), **changes)
    return dataclasses.replace(mission, arrival=options)


def comparison_lines(window) -> list[str]:
    """Text table of one window's comparison (for the CLI), at most 100 columns wide."""
    c = window.arrival
    lines = [f"arrival of the {window.best_epoch.utc.isot[:16]} launch, chosen by "
             f"{c.choose_by}:",
             f"  {'strategy':<13} {'km/s':>7} {'kg':>7} {'passes':>6} {'days':>6} "
             f"{'q W/cm2':>8} {'g':>5}  outcome"]
    for r in c.results:
        mark = "*" if r.strategy == c.chosen else " "
        dv = r.delta_v.to_value(_KMS)
        kg = r.propellant.to_value(u.kg)
        lines.append(
            f"{mark} {r.strategy:<13} {dv:7.4f} {kg:7.1f} {r.passes:6d} "
            f"{r.days.to_value(u.day):6.2f} {r.peak_heat_rate.to_value(u.W / u.cm ** 2):8.3f} "
            f"{r.peak_g:5.2f}  {r.outcome}")
    return lines
