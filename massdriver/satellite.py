"""The satellite that arrives at the Earth: mass, engines, aerodynamics and limits.

:class:`Satellite` is what the arrival strategies (:mod:`massdriver.arrival`) need to price
finite burns (thrust, Isp, mass flow), atmospheric passes (ballistic coefficient, lift-to-drag
ratio, nose radius for the Sutton-Graves heat rate) and what they may not exceed (peak
deceleration, peak heat rate, heat load per pass). Each field is checked against
:data:`SATELLITE_BOUNDS` / :data:`ENGINE_BOUNDS` and a bad one raises
:class:`~massdriver.errors.InputError` naming it. :mod:`massdriver.config.satellite` reads the
``[satellite]`` table of a mission file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import astropy.units as u

from massdriver.bodies import G0
from massdriver.bounds import Bound
from massdriver.errors import InputError

__all__ = ["Engine", "Satellite", "ENGINE_KINDS", "ENGINE_BOUNDS", "SATELLITE_BOUNDS"]

#: engine kinds: a chemical engine can capture; an electric one only trims (see docs/arrival.md)
ENGINE_KINDS = ("chemical", "electric")

ENGINE_BOUNDS: dict[str, Bound] = {
    "thrust": Bound("N", 0.0, 1e7, exclusive_minimum=True),
    "isp": Bound("s", 0.0, 20000.0, exclusive_minimum=True),
}
SATELLITE_BOUNDS: dict[str, Bound] = {
    "wet_mass": Bound("kg", 0.0, 1e6, exclusive_minimum=True),
    "drag_area": Bound("m2", 0.0, 1e4, exclusive_minimum=True),
    "drag_coefficient": Bound("", 0.0, 10.0, exclusive_minimum=True),
    "lift_to_drag": Bound("", 0.0, 3.0),
    "nose_radius": Bound("m", 0.0, 100.0, exclusive_minimum=True),
    "max_g": Bound("", 0.0, 1000.0, exclusive_minimum=True),
    "max_heat_rate": Bound("W/cm2", 0.0, 10000.0, exclusive_minimum=True),
    "max_heat_load": Bound("J/cm2", 0.0, 1e6, exclusive_minimum=True),
}


@dataclass(frozen=True)
class Engine:
    """One engine of the satellite.

    Attributes
    ----------
    thrust : Quantity
        Thrust (N).
    isp : Quantity
        Specific impulse (s).
    kind : str
        ``"chemical"`` or ``"electric"`` (:data:`ENGINE_KINDS`).
    name : str
        Label.

    Raises
    ------
    massdriver.errors.InputError
        A field outside :data:`ENGINE_BOUNDS` or an unknown kind.
    """

    thrust: Any
    isp: Any
    kind: str = "chemical"
    name: str = ""

    def __post_init__(self) -> None:
        for key, bound in ENGINE_BOUNDS.items():
            object.__setattr__(self, key, bound.check("Engine", key, getattr(self, key)))
        if self.kind not in ENGINE_KINDS:
            reason = f"must be one of {', '.join(ENGINE_KINDS)}"
            raise InputError(f"Engine.kind = {self.kind!r}: {reason}", field="kind",
                             reason=reason)

    @property
    def mass_flow(self):
        """Propellant flow ``T / (Isp g0)`` (kg/s)."""
        return (self.thrust / (self.isp * G0 * u.m / u.s ** 2)).to(u.kg / u.s)


@dataclass(frozen=True)
class Satellite:
    """The arriving satellite.

    Attributes
    ----------
    wet_mass : Quantity
        Mass at Earth arrival, before any insertion burn (kg).
    engines : tuple of Engine
        At least one. Capture burns use the chemical engine of largest thrust
        (:attr:`capture_engine`).
    drag_area : Quantity
        Reference area of the drag coefficient (m^2).
    drag_coefficient : float
        Cd (about 2.2 for a tumbling box in free-molecular flow, 1.2-1.5 for a blunt capsule).
    lift_to_drag : float
        L/D for bank-angle control in aerocapture (0: no lift; Apollo about 0.3).
    nose_radius : Quantity
        Effective nose radius for the Sutton-Graves stagnation heat rate (m).
    max_g : float
        Peak aerodynamic deceleration allowed, in g0 (9.80665 m/s^2).
    max_heat_rate : Quantity
        Peak stagnation heat rate allowed (W/cm^2).
    max_heat_load : Quantity
        Stagnation heat load allowed in one pass (J/cm^2).

    Raises
    ------
    massdriver.errors.InputError
        A field outside :data:`SATELLITE_BOUNDS`, no engine, or no chemical engine.
    """

    wet_mass: Any
    engines: tuple = ()
    drag_area: Any = 4.0 * u.m ** 2
    drag_coefficient: float = 2.2
    lift_to_drag: float = 0.0
    nose_radius: Any = 1.0 * u.m
    max_g: float = 5.0
    max_heat_rate: Any = 0.5 * u.W / u.cm ** 2
    max_heat_load: Any = 200.0 * u.J / u.cm ** 2

    def __post_init__(self) -> None:
        for key, bound in SATELLITE_BOUNDS.items():
            object.__setattr__(self, key, bound.check("Satellite", key, getattr(self, key)))
        engines = tuple(self.engines)
        if not engines or not all(isinstance(e, Engine) for e in engines):
            reason = "give at least one Engine"
            raise InputError(f"Satellite.engines = {self.engines!r}: {reason}", field="engines",
                             reason=reason)
        if not any(e.kind == "chemical" for e in engines):
            reason = "at least one engine must be chemical (an electric engine cannot capture)"
            raise InputError(f"Satellite.engines: {reason}", field="engines", reason=reason)
        object.__setattr__(self, "engines", engines)

    @property
    def capture_engine(self) -> Engine:
        """The chemical engine of largest thrust: the one every capture burn uses."""
        return max((e for e in self.engines if e.kind == "chemical"),
                   key=lambda e: e.thrust.to_value(u.N))

    @property
    def ballistic_coefficient(self):
        """``m / (Cd A)`` at arrival (kg/m^2)."""
        return (self.wet_mass / (self.drag_coefficient * self.drag_area)).to(u.kg / u.m ** 2)

    def as_dict(self) -> dict:
        """Plain numbers for plan.json (SI-like units in the key names)."""
        return {
            "wet_mass_kg": float(self.wet_mass.to_value(u.kg)),
            "engines": [{"name": e.name, "kind": e.kind, "thrust_N": float(e.thrust.to_value(u.N)),
                         "isp_s": float(e.isp.to_value(u.s))} for e in self.engines],
            "drag_area_m2": float(self.drag_area.to_value(u.m ** 2)),
            "drag_coefficient": float(self.drag_coefficient),
            "lift_to_drag": float(self.lift_to_drag),
            "nose_radius_m": float(self.nose_radius.to_value(u.m)),
            "max_g": float(self.max_g),
            "max_heat_rate_W_cm2": float(self.max_heat_rate.to_value(u.W / u.cm ** 2)),
            "max_heat_load_J_cm2": float(self.max_heat_load.to_value(u.J / u.cm ** 2)),
        }
