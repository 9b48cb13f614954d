"""The ``[satellite]`` and ``[arrival]`` tables of a mission file -> :class:`Satellite`,
:class:`ArrivalOptions`.

``[satellite]`` holds the mass, aerodynamics and limits, and one ``[[satellite.engines]]``
table per engine; ``[arrival]`` (optional, only with a ``[satellite]``) chooses the strategies
and their knobs. Ranges are the constructors' (:data:`massdriver.satellite.SATELLITE_BOUNDS`,
:data:`~massdriver.satellite.ENGINE_BOUNDS`, :class:`massdriver.arrival.ArrivalOptions`).
"""

from __future__ import annotations

from massdriver.arrival import CHOOSE_BY, SOLAR_LEVELS, ArrivalOptions
from massdriver.config.table import Table
from massdriver.errors import ConfigError, InputError
from massdriver.satellite import ENGINE_BOUNDS, ENGINE_KINDS, SATELLITE_BOUNDS, Engine, Satellite

__all__ = ["satellite_from_config", "arrival_from_config", "satellite_sections"]


def _engine_from_config(t: Table):

    kwargs = dict(
        thrust=t.quantity("thrust", "N", bound=ENGINE_BOUNDS["thrust"]),
        isp=t.quantity("isp", "s", bound=ENGINE_BOUNDS["isp"]),
        kind=t.string("kind", default="chemical", choices=ENGINE_KINDS),
        name=t.string("name", default=""),
    )
    t.finish()
    return t.build(Engine, **kwargs)


def satellite_from_config(t: Table):
    """Parse a ``[satellite]`` table into a :class:`massdriver.satellite.Satellite`."""
    b = SATELLITE_BOUNDS

    engines = tuple(_engine_from_config(e) for e in t.tables("engines"))
    if not engines:
        raise ConfigError(f"{t.key_path('engines')}: give at least one [[satellite.engines]]")
    kwargs = dict(
        wet_mass=t.quantity("wet_mass", "kg", bound=b["wet_mass"]),
        engines=engines,
        drag_area=t.quantity("drag_area", "m2", default=4.0, bound=b["drag_area"]),
        drag_coefficient=t.number("drag_coefficient", default=2.2,
                                  bound=b["drag_coefficient"]),
        lift_to_drag=t.number("lift_to_drag", default=0.0, bound=b["lift_to_drag"]),
        nose_radius=t.quantity("nose_radius", "m", default=1.0, bound=b["nose_radius"]),
        max_g=t.number("max_g", default=5.0, bound=b["max_g"]),
        max_heat_rate=t.quantity("max_heat_rate", "W/cm2", default=0.5,
                                 bound=b["max_heat_rate"]),
        max_heat_load=t.quantity("max_heat_load", "J/cm2", default=200.0,
                                 bound=b["max_heat_load"]),
    )
    t.finish()
    return t.build(Satellite, **kwargs)


def arrival_from_config(t: Table):
    """Parse an ``[arrival]`` table into a :class:`massdriver.arrival.ArrivalOptions`."""
    kwargs = dict(
        strategies=t.string("strategies", default="all"),
        choose_by=t.string("choose_by", default="propellant", choices=CHOOSE_BY),
        solar=t.string("solar_activity", default="mean", choices=SOLAR_LEVELS),
        steering=t.string("steering", default="velocity", choices=("velocity", "inertial")),
        max_burn=t.quantity("max_burn", "s", default=600.0, minimum=1.0),
        capture_apoapsis=t.quantity("capture_apoapsis", "km", default=20000.0, minimum=1000.0),
        max_days=t.quantity("max_days", "day", default=365.0, minimum=1.0),
    )
    t.finish()
    try:
        return ArrivalOptions(**kwargs)
    except Exception as exc:   # InputError: restate under the table's key
        if not isinstance(exc, InputError):
            raise
        key = "solar_activity" if getattr(exc, "field", None) == "solar" else getattr(
            exc, "field", None)
        if key and getattr(exc, "reason", None):
            raise ConfigError(f"{t.key_path(key)} = {t.data.get(key)!r}: {exc.reason}") \
                from None
        raise ConfigError(f"[{t.path}] {exc}") from None


def satellite_sections(root: Table) -> tuple[Satellite | None, ArrivalOptions | None]:
    """The optional ``[satellite]`` and ``[arrival]`` tables of a mission or campaign file.

    Returns
    -------
    (Satellite or None, ArrivalOptions or None)
        Without ``[satellite]`` both are None; with it and no ``[arrival]``, the default
        options.

    Raises
    ------
    ConfigError
        ``[arrival]`` without ``[satellite]`` (the strategies fly the satellite).
    """
    sat_table = root.table("satellite", required=False)
    arrival_table = root.table("arrival", required=False)
    if arrival_table is not None and sat_table is None:
        raise ConfigError("[arrival] needs a [satellite] table (the strategies fly the "
                          "satellite's engines and aerodynamics)")
    if sat_table is None:
        return None, None
    return (satellite_from_config(sat_table),
            arrival_from_config(arrival_table or Table({}, "arrival")))
