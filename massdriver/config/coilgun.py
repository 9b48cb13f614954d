"""The coilgun file -> :class:`massdriver.coilgun.Coilgun` (the keys: ``docs/config.md``)."""

from __future__ import annotations

import math
from typing import Any

import astropy.units as u
import numpy as np

from massdriver.bodies import RHO_ALUMINIUM, RHO_COPPER
from massdriver.coilgun import SWITCH_MODES, Armature, Coilgun, DriveCoil
from massdriver.config.table import REQUIRED, Table
from massdriver.errors import ConfigError, InputError

__all__ = ["coilgun_from_config"]


def coilgun_from_config(table: Table) -> Coilgun:
    """Build a launcher from a TOML table (a coilgun file's root, or a ``[coilgun]`` table).

    See ``docs/config.md`` for the keys; every invalid value raises
    :class:`massdriver.errors.ConfigError` naming the key, value and allowed range.
    """
    return _coilgun_from_table(table)


def _per_stage(t, key: str, unit: str, n: int, *, default: Any = None,
               minimum: float | None = None, exclusive_minimum: bool = False,
               maximum: float | None = None):
    """A scalar or a list of ``n`` quantities under ``key`` (numbers in ``unit`` or strings)."""
    raw = t.listed(key)
    if raw is None:
        return t.quantity(key, unit, default=REQUIRED if default is None else default,
                          minimum=minimum, exclusive_minimum=exclusive_minimum, maximum=maximum)
    if len(raw) != n:
        raise ConfigError(f"{t.key_path(key)}: {len(raw)} values given, expected {n} "
                          f"(one per stage of [{t.path}]) or a single value")
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in raw):
        arr = np.asarray(raw, dtype=float)
        for i, v in enumerate(arr):
            bad = not math.isfinite(v) or (minimum is not None and (
                v <= minimum if exclusive_minimum else v < minimum)) or (
                maximum is not None and v > maximum)
            if bad:
                rel = ">" if exclusive_minimum else ">="
                parts = ([] if minimum is None else [f"{rel} {minimum:g} {unit}"]) + (
                    [] if maximum is None else [f"<= {maximum:g} {unit}"])
                allowed = f"must be {' and '.join(parts)}" if parts else "must be finite"
                raise ConfigError(f"{t.key_path(key)}[{i}] = {raw[i]!r}: {allowed}")
        return arr * u.Unit(unit)
    vals = []
    for i, v in enumerate(raw):
        sub = Table({f"{key}[{i}]": v}, t.path, t.source)
        vals.append(sub.quantity(f"{key}[{i}]", unit, minimum=minimum,
                                 exclusive_minimum=exclusive_minimum,
                                 maximum=maximum).to_value(unit))
    return np.asarray(vals) * u.Unit(unit)


def _coil_from_table(t) -> DriveCoil:
    kw = dict(
        inner_radius=t.quantity("inner_radius", "m", minimum=0.0, exclusive_minimum=True,
                                maximum=100.0),
        outer_radius=t.quantity("outer_radius", "m", default=None, minimum=0.0,
                                exclusive_minimum=True, maximum=100.0),
        length=t.quantity("length", "m", minimum=0.0, exclusive_minimum=True, maximum=100.0),
        turns=t.number("turns", minimum=0.0, exclusive_minimum=True, maximum=1e6),
        resistance=t.quantity("resistance", "Ohm", default=None, minimum=0.0),
        inductance=t.quantity("inductance", "H", default=None, minimum=0.0,
                              exclusive_minimum=True),
        fill_factor=t.number("fill_factor", default=0.7, minimum=0.0, exclusive_minimum=True,
                             maximum=1.0),
        resistivity=t.quantity("resistivity", "Ohm m", default=RHO_COPPER, minimum=0.0,
                               exclusive_minimum=True),
    )
    if kw["outer_radius"] is None:
        kw["outer_radius"] = kw["inner_radius"]
    if kw["outer_radius"] < kw["inner_radius"]:
        raise ConfigError(f"{t.key_path('outer_radius')} = {kw['outer_radius']:g}: must be >= "
                          f"inner_radius = {kw['inner_radius']:g}")
    t.finish()
    try:
        return DriveCoil(**kw)
    except InputError as exc:
        raise ConfigError(f"[{t.path}] {exc}") from None


def _armature_from_table(t) -> Armature:
    kind = t.string("kind", choices=("driven", "induction"))
    kw = dict(
        kind=kind,
        inner_radius=t.quantity("inner_radius", "m", minimum=0.0, exclusive_minimum=True,
                                maximum=100.0),
        outer_radius=t.quantity("outer_radius", "m", minimum=0.0, exclusive_minimum=True,
                                maximum=100.0),
        length=t.quantity("length", "m", minimum=0.0, exclusive_minimum=True, maximum=100.0),
    )
    if kw["outer_radius"] < kw["inner_radius"]:
        raise ConfigError(f"{t.key_path('outer_radius')} = {kw['outer_radius']:g}: must be >= "
                          f"inner_radius = {kw['inner_radius']:g}")
    if kind == "driven":
        kw["turns"] = t.number("turns", default=1.0, minimum=0.0, exclusive_minimum=True,
                               maximum=1e6)
        kw["current"] = t.quantity("current", "A", minimum=-1e9, maximum=1e9)
        if kw["current"].value == 0:
            raise ConfigError(f"{t.key_path('current')} = 0 A: a driven armature needs a current")
        kw["resistance"] = t.quantity("resistance", "Ohm", default=0.0, minimum=0.0)
        kw["inductance"] = t.quantity("inductance", "H", default=None, minimum=0.0,
                                      exclusive_minimum=True)
    else:
        if kw["outer_radius"] <= kw["inner_radius"]:
            raise ConfigError(f"{t.key_path('outer_radius')} = {kw['outer_radius']:g}: an "
                              f"induction sleeve needs outer_radius > inner_radius")
        kw["resistivity"] = t.quantity("resistivity", "Ohm m", default=RHO_ALUMINIUM,
                                       minimum=0.0, exclusive_minimum=True)
        kw["rings"] = t.integer("rings", default=4, minimum=1, maximum=32)
        kw["radial_rings"] = t.integer("radial_rings", default=1, minimum=1, maximum=8)
    t.finish()
    try:
        return Armature(**kw)
    except InputError as exc:
        raise ConfigError(f"[{t.path}] {exc}") from None


def _coilgun_from_table(t) -> Coilgun:
    """Parse a coilgun table (see :func:`coilgun_from_config`)."""
    if "coilgun" in t and isinstance(t.data.get("coilgun"), dict):
        sub = t.table("coilgun")
        gun = _coilgun_from_table(sub)
        t.finish()
        return gun
    name = t.string("name", default="")
    payload = t.quantity("payload_mass", "kg", default=None, minimum=0.0, maximum=1e7)
    carrier = t.quantity("carrier_mass", "kg", minimum=0.0, maximum=1e7)
    switch = t.string("switch", default="scr", choices=SWITCH_MODES)
    crowbar_r = t.quantity("crowbar_resistance", "Ohm", default=0.0, minimum=0.0)
    start = t.quantity("start_position", "m", default=None)
    v0 = t.quantity("initial_speed", "m/s", default=0.0, minimum=0.0, maximum=1e5)
    muzzle = t.quantity("muzzle_position", "m", default=None)
    vmax = t.quantity("max_voltage", "V", default=None, minimum=0.0, exclusive_minimum=True,
                      maximum=1e7)
    max_g = t.number("max_g", default=None, minimum=0.0, exclusive_minimum=True, maximum=1e7)
    coupling = t.boolean("stage_coupling", default=True)
    armature = _armature_from_table(t.table("armature"))
    sections = t.tables("sections")
    if not sections:
        raise ConfigError(f"{t.key_path('sections')}: at least one [[sections]] is required")
    coils: list[DriveCoil] = []
    idx, pos, cap, volt, rser, trig = [], [], [], [], [], []
    next_pos = 0.0
    for s in sections:
        n = s.integer("stages", minimum=1, maximum=200000)
        pitch = s.quantity("pitch", "m", default=REQUIRED if n > 1 else 1.0, minimum=0.0,
                           exclusive_minimum=True, maximum=1e3).to_value(u.m)
        first = s.quantity("first_position", "m", default=None, minimum=-1e6, maximum=1e6)
        x_first = next_pos if first is None else first.to_value(u.m)
        if pos and x_first <= pos[-1][-1]:
            raise ConfigError(f"{s.key_path('first_position')} = {x_first:g} m: must lie beyond "
                              f"the previous section's last coil at {pos[-1][-1]:g} m")
        x = x_first + pitch * np.arange(n)
        next_pos = x[-1] + pitch
        pos.append(x)
        trig.append(np.broadcast_to(_per_stage(s, "trigger_offset", "m", n, default=0.0,
                                               minimum=-1e3, maximum=1e3)
                                    .to_value(u.m), (n,)))
        volt.append(np.broadcast_to(_per_stage(s, "voltage", "V", n, minimum=-1e7, maximum=1e7)
                                    .to_value(u.V), (n,)))
        cap.append(np.broadcast_to(_per_stage(s, "capacitance", "F", n, minimum=0.0,
                                              exclusive_minimum=True).to_value(u.F), (n,)))
        rser.append(np.broadcast_to(_per_stage(s, "series_resistance", "Ohm", n, default=0.0,
                                               minimum=0.0).to_value(u.Ohm), (n,)))
        coil = _coil_from_table(s.table("coil"))
        coils.append(coil)
        idx.append(np.full(n, len(coils) - 1))
        s.finish()
    t.finish()
    try:
        return Coilgun(
            coils=tuple(coils), coil_index=np.concatenate(idx), positions=np.concatenate(pos) * u.m,
            capacitance=np.concatenate(cap) * u.F, voltage=np.concatenate(volt) * u.V,
            series_resistance=np.concatenate(rser) * u.Ohm,
            trigger_offset=np.concatenate(trig) * u.m, armature=armature, carrier_mass=carrier,
            switch=switch, crowbar_resistance=crowbar_r, start_position=start,
            initial_speed=v0, muzzle_position=muzzle, max_voltage=vmax, max_g=max_g,
            payload_mass=payload, stage_coupling=coupling, name=name)
    except InputError as exc:
        raise ConfigError(f"[{t.path or 'coilgun'}] {exc}") from None
