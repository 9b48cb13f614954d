"""The ``[target]`` table -> :class:`massdriver.targets.TargetOrbit` (one, or every plane)."""

from __future__ import annotations

from massdriver.bodies import R_EARTH
from massdriver.config.table import Table
from massdriver.errors import ConfigError, InputError
from massdriver.targets import (
    _FRAMES,
    KINDS,
    MIN_PERIGEE_ALTITUDE,
    TargetOrbit,
    _parse_ltan,
    circular,
    from_elements,
    geo,
    sun_synchronous,
    walker,
)
from massdriver.trajectory import FAR_PERIGEE_RADIUS

__all__ = ["target_from_config", "targets_from_config"]


def target_from_config(table: Table) -> TargetOrbit:
    """Build a target from a ``[target]`` TOML table (see :func:`targets_from_config`).

    A ``walker`` table must name one plane with ``plane = k`` (0-based) here; use
    :func:`targets_from_config` to get all planes.
    """
    return _parse_config(table, single=True)[0]


def targets_from_config(table: Table) -> list[TargetOrbit]:
    """Targets of a ``[target]`` table (one, or every plane of a Walker constellation).

    Keys by ``kind``:

    ``circular``: ``altitude``, ``inclination``, optional ``raan`` + ``epoch``, ``raan_drift``.
    ``sun_synchronous``: ``altitude``, ``ltan`` ("HH:MM" or hours).
    ``geo``: none.
    ``elements``: ``semi_major_axis``, ``eccentricity``, ``inclination``, ``raan``,
    ``argument_of_perigee`` (default 0), ``epoch``, ``frame``, ``raan_drift``.
    ``walker``: ``inclination``, ``total``, ``planes``, ``phasing``, ``altitude``, ``raan0``
    (default 0), ``epoch`` (default J2000 TDB), optional ``plane`` (only that plane).
    Every kind accepts ``name``. Quantities take numbers in the default unit (km, deg) or strings
    with a unit ("600 km").
    """
    return _parse_config(table, single=False)


def _parse_config(table: Table, *, single: bool) -> list[TargetOrbit]:
    kind = table.string("kind", choices=KINDS)
    name = table.string("name", default=None)
    try:
        targets = _parse_kind(table, kind, name, single)
    except InputError as exc:
        raise ConfigError(f"[{table.path or 'target'}] {exc}") from None
    table.finish()
    return targets


def _max_perigee_altitude() -> float:
    """Highest target perigee altitude, km: the solvers take a geocentric distance minimum
    beyond ``FAR_PERIGEE_RADIUS`` (150,000 km) as a passing, not an arrival."""
    return FAR_PERIGEE_RADIUS - R_EARTH


def _altitude(table: Table, key: str):
    return table.quantity(key, "km", minimum=MIN_PERIGEE_ALTITUDE,
                          maximum=_max_perigee_altitude())


def _angle(table: Table, key: str, **kwargs):
    return table.quantity(key, "deg", minimum=-360.0, maximum=360.0, **kwargs)


def _parse_kind(table: Table, kind: str, name: str | None, single: bool) -> list[TargetOrbit]:
    if kind == "circular":
        alt = _altitude(table, "altitude")
        inc = table.quantity("inclination", "deg", minimum=0.0, maximum=180.0)
        raan = _angle(table, "raan", default=None)
        epoch = table.time("epoch", default=None)
        drift = table.boolean("raan_drift", default=True)
        if raan is not None and epoch is None:
            raise ConfigError(f"{table.key_path('epoch')} is missing: it is required with "
                              f"{table.key_path('raan')} (the epoch the RAAN holds at)")
        return [circular(alt, inc, raan, epoch=epoch, name=name, raan_drift=drift)]
    if kind == "sun_synchronous":
        alt = _altitude(table, "altitude")
        if isinstance(table.data.get("ltan"), str):
            raw = table.string("ltan")
            try:
                hours = _parse_ltan(raw)
            except InputError as exc:
                raise ConfigError(f"{table.key_path('ltan')}: {exc}") from None
        else:
            hours = table.number("ltan", default=6.0, minimum=0.0, maximum=24.0)
            if hours >= 24.0:
                raise ConfigError(f"{table.key_path('ltan')} = {hours!r}: must be < 24 hours")
        return [sun_synchronous(alt, hours, name=name)]
    if kind == "geo":
        return [geo(name=name or "GEO")]
    if kind == "elements":
        a = table.quantity("semi_major_axis", "km", minimum=R_EARTH + MIN_PERIGEE_ALTITUDE,
                           maximum=1.0e6)      # well inside the Earth's Hill sphere (1.5e6 km)
        ecc = table.number("eccentricity", minimum=0.0, maximum=0.999)
        inc = table.quantity("inclination", "deg", minimum=0.0, maximum=180.0)
        raan = _angle(table, "raan")
        argp = _angle(table, "argument_of_perigee", default=0.0)
        epoch = table.time("epoch")
        frame = table.string("frame", default="mean_of_date", choices=_FRAMES)
        drift = table.boolean("raan_drift", default=True)
        perigee = a.value * (1.0 - ecc) - R_EARTH
        if perigee < MIN_PERIGEE_ALTITUDE:
            raise ConfigError(
                f"{table.key_path('eccentricity')} = {ecc!r}: with semi_major_axis = {a.value:g} "
                f"km the perigee altitude is {perigee:.1f} km; it must be >= "
                f"{MIN_PERIGEE_ALTITUDE:g} km")
        if perigee > _max_perigee_altitude():
            raise ConfigError(
                f"{table.key_path('eccentricity')} = {ecc!r}: with semi_major_axis = {a.value:g} "
                f"km the perigee altitude is {perigee:.1f} km; it must be <= "
                f"{_max_perigee_altitude():.0f} km (an arrival perigee within 150,000 km)")
        return [from_elements(a, ecc, inc, raan, argp, epoch, name=name, frame=frame,
                              raan_drift=drift)]
    # walker
    inc = table.quantity("inclination", "deg", minimum=0.0, maximum=180.0)
    total = table.integer("total", minimum=1)
    planes = table.integer("planes", minimum=1)
    phasing = table.integer("phasing", minimum=0)
    alt = _altitude(table, "altitude")
    raan0 = _angle(table, "raan0", default=0.0)
    epoch = table.time("epoch", default=None)
    drift = table.boolean("raan_drift", default=True)
    plane = table.integer("plane", default=None, minimum=0)
    if total % planes:
        raise ConfigError(f"{table.key_path('total')} = {total}: must be a multiple of "
                          f"{table.key_path('planes')} = {planes}")
    if phasing > planes - 1:
        raise ConfigError(f"{table.key_path('phasing')} = {phasing}: must be <= planes - 1 = "
                          f"{planes - 1}")
    all_planes = walker(inc, total, planes, phasing, alt, raan0=raan0, epoch=epoch, name=name,
                        raan_drift=drift)
    if plane is not None:
        if plane >= planes:
            raise ConfigError(f"{table.key_path('plane')} = {plane}: must be <= planes - 1 = "
                              f"{planes - 1}")
        return [all_planes[plane]]
    if single:
        raise ConfigError(f"{table.key_path('plane')} is missing: a walker target needs the plane "
                          f"index 0..{planes - 1} here (massdriver.config.targets_from_config "
                          f"returns all planes)")
    return all_planes

