"""The ``[target]`` table -> :class:`massdriver.targets.TargetOrbit` (one, or every plane)."""

from __future__ import annotations

from massdriver.bodies import R_EARTH
from massdriver.bounds import Bound
from massdriver.config.table import Table, parse_quantity
from massdriver.errors import ConfigError, InputError
from massdriver.targets import (
    _FRAMES,
    BOUNDS,
    KINDS,
    MIN_PERIGEE_ALTITUDE,
    TargetOrbit,
    circular,
    from_elements,
    geo,
    sun_synchronous,
    walker,
)

__all__ = ["target_from_config", "targets_from_config"]

#: the range sun_synchronous() accepts for ``ltan`` given in hours ([0, 24): recorded for the
#: reference as 0 .. 24; the constructor refuses 24 itself)
_LTAN = Bound("", 0.0, 24.0)


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
        raise _restate(table, kind, exc) from None
    table.finish()
    return targets


def _restate(table: Table, kind: str, exc: InputError) -> ConfigError:
    """A constructor's error under the key it came from (the perigee altitude is the
    ``altitude`` of a circular kind, and ``semi_major_axis`` with ``eccentricity`` otherwise)."""
    if exc.field != "perigee_altitude":
        return table.restate(exc)
    if kind != "elements":
        return table.restate(InputError(str(exc), field="altitude", reason=exc.reason))
    a = parse_quantity(table.data["semi_major_axis"], "km").value
    ecc = float(table.data["eccentricity"])
    perigee = a * (1.0 - ecc) - R_EARTH
    return ConfigError(f"{table.key_path('eccentricity')} = {ecc!r}: with semi_major_axis = "
                       f"{a:g} km the perigee altitude is {perigee:.1f} km; it {exc.reason}")


def _altitude(table: Table, key: str):
    return table.quantity(key, "km", bound=BOUNDS["perigee_altitude"])


def _angle(table: Table, key: str, **kwargs):
    return table.quantity(key, "deg", minimum=-360.0, maximum=360.0, **kwargs)


def _parse_kind(table: Table, kind: str, name: str | None, single: bool) -> list[TargetOrbit]:
    if kind == "circular":
        alt = _altitude(table, "altitude")
        inc = table.quantity("inclination", "deg", bound=BOUNDS["inclination"])
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
            hours = table.string("ltan")
        else:
            hours = table.number("ltan", default=6.0, bound=_LTAN)
        return [sun_synchronous(alt, hours, name=name)]
    if kind == "geo":
        return [geo(name=name or "GEO")]
    if kind == "elements":
        a = table.quantity("semi_major_axis", "km", minimum=R_EARTH + MIN_PERIGEE_ALTITUDE,
                           maximum=1.0e6)      # well inside the Earth's Hill sphere (1.5e6 km)
        ecc = table.number("eccentricity", minimum=0.0, maximum=0.999)
        inc = table.quantity("inclination", "deg", bound=BOUNDS["inclination"])
        raan = _angle(table, "raan")
        argp = _angle(table, "argument_of_perigee", default=0.0)
        epoch = table.time("epoch")
        frame = table.string("frame", default="mean_of_date", choices=_FRAMES)
        drift = table.boolean("raan_drift", default=True)
        return [from_elements(a, ecc, inc, raan, argp, epoch, name=name, frame=frame,
                              raan_drift=drift)]
    # walker
    inc = table.quantity("inclination", "deg", bound=BOUNDS["inclination"])
    total = table.integer("total", bound=BOUNDS["total"])
    planes = table.integer("planes", bound=BOUNDS["planes"])
    phasing = table.integer("phasing", bound=BOUNDS["phasing"])
    alt = _altitude(table, "altitude")
    raan0 = _angle(table, "raan0", default=0.0)
    epoch = table.time("epoch", default=None)
    drift = table.boolean("raan_drift", default=True)
    plane = table.integer("plane", default=None, minimum=0)
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
