"""The coilgun file -> :class:`massdriver.coilgun.Coilgun` (the keys: ``docs/config.md``)."""

from __future__ import annotations

import math
from typing import Any

import astropy.units as u
import numpy as np

from massdriver.bodies import RHO_ALUMINIUM, RHO_COPPER
from massdriver.coilgun import SWITCH_MODES, Armature, Coilgun, DriveCoil
from massdriver.coilgun_losses import Losses, Thermal
from massdriver.coilgun_tolerances import Tolerances
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
    lt = t.table("losses", required=False)
    losses = Losses() if lt is None else _losses_from_table(lt)
    tt = t.table("thermal", required=False)
    thermal = Thermal() if tt is None else _thermal_from_table(tt)
    tol = t.table("tolerances", required=False)
    tolerances = None if tol is None else _tolerances_from_table(tol)
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
            payload_mass=payload, stage_coupling=coupling, name=name, losses=losses,
            thermal=thermal, tolerances=tolerances)
    except InputError as exc:
        raise ConfigError(f"[{t.path or 'coilgun'}] {exc}") from None


def _off_or(t, key: str, read):
    """``key = false`` turns a loss off (None); absent keeps the default; else ``read()``."""
    if key in t and t.data.get(key) is False:
        t.boolean(key)
        return None
    return read()


def _losses_from_table(t) -> Losses:
    """The ``[losses]`` table (every key optional; ``false`` turns a loss off)."""
    d = Losses()
    kw = dict(
        capacitor_dissipation_factor=_off_or(t, "capacitor_dissipation_factor", lambda: t.number(
            "capacitor_dissipation_factor", default=d.capacitor_dissipation_factor,
            minimum=0.0, maximum=1.0)),
        switch_threshold_voltage=_off_or(t, "switch_threshold_voltage", lambda: t.quantity(
            "switch_threshold_voltage", "V", default=d.switch_threshold_voltage, minimum=0.0,
            maximum=1e3)),
        switch_slope_resistance=_off_or(t, "switch_slope_resistance", lambda: t.quantity(
            "switch_slope_resistance", "Ohm", default=d.switch_slope_resistance, minimum=0.0,
            maximum=1e3)),
        switch_device_voltage=t.quantity("switch_device_voltage", "V",
                                         default=d.switch_device_voltage, minimum=0.0,
                                         exclusive_minimum=True),
        switch_device_current=t.quantity("switch_device_current", "A",
                                         default=d.switch_device_current, minimum=0.0,
                                         exclusive_minimum=True),
        coil_ac_resistance=t.boolean("coil_ac_resistance", default=True),
        armature_resistance=t.boolean("armature_resistance", default=True),
        charger_efficiency=t.number("charger_efficiency", default=d.charger_efficiency,
                                    minimum=0.0, exclusive_minimum=True, maximum=1.0),
        residual_recovery=t.number("residual_recovery", default=d.residual_recovery,
                                   minimum=0.0, maximum=1.0),
        cryo_heat_load=_off_or(t, "cryo_heat_load", lambda: t.quantity(
            "cryo_heat_load", "W", default=d.cryo_heat_load, minimum=0.0)),
        cryo_time_per_shot=t.quantity("cryo_time_per_shot", "s", default=d.cryo_time_per_shot,
                                      minimum=0.0),
        cryo_temperature=t.quantity("cryo_temperature", "K", default=d.cryo_temperature,
                                    minimum=0.0, exclusive_minimum=True),
        cryo_carnot_fraction=t.number("cryo_carnot_fraction", default=d.cryo_carnot_fraction,
                                      minimum=0.0, exclusive_minimum=True, maximum=1.0),
        ambient_temperature=t.quantity("ambient_temperature", "K", default=d.ambient_temperature,
                                       minimum=0.0, exclusive_minimum=True),
    )
    kw = {k: (v.value if hasattr(v, "unit") else v) for k, v in kw.items()}
    if kw["cryo_heat_load"] is None:
        kw["cryo_heat_load"] = 0.0
    t.finish()
    try:
        return Losses(**kw)
    except InputError as exc:
        raise ConfigError(f"[{t.path}] {exc}") from None


def _thermal_from_table(t) -> Thermal:
    """The ``[thermal]`` table (every key optional)."""
    d = Thermal()
    kw = dict(
        heat_transfer_coefficient=t.quantity("heat_transfer_coefficient", "W / (m2 K)",
                                             default=d.heat_transfer_coefficient, minimum=0.0,
                                             exclusive_minimum=True),
        ambient_temperature=t.quantity("ambient_temperature", "K", default=d.ambient_temperature,
                                       minimum=0.0, exclusive_minimum=True),
        max_temperature=t.quantity("max_temperature", "K", default=d.max_temperature,
                                   minimum=0.0, exclusive_minimum=True),
        armature_max_temperature=t.quantity("armature_max_temperature", "K",
                                            default=d.armature_max_temperature, minimum=0.0,
                                            exclusive_minimum=True),
        charging_power=t.quantity("charging_power", "W", default=None, minimum=0.0,
                                  exclusive_minimum=True),
    )
    kw = {k: (v.value if hasattr(v, "unit") else v) for k, v in kw.items()}
    t.finish()
    try:
        return Thermal(**kw)
    except InputError as exc:
        raise ConfigError(f"[{t.path}] {exc}") from None


def _tolerances_from_table(t):
    """The ``[tolerances]`` table: one-sigma shot-to-shot errors (every key optional)."""
    d = Tolerances()
    kw = dict(
        voltage=t.number("voltage", default=d.voltage, minimum=0.0, maximum=0.5),
        voltage_common=t.number("voltage_common", default=d.voltage_common, minimum=0.0,
                                maximum=0.5),
        trigger_jitter=t.quantity("trigger_jitter", "s", default=d.trigger_jitter, minimum=0.0,
                                  maximum=1.0),
        mass=t.number("mass", default=d.mass, minimum=0.0, maximum=0.5),
        alignment=t.quantity("alignment", "rad", default=d.alignment, minimum=0.0,
                             maximum=0.1),
    )
    kw = {k: (v.value if hasattr(v, "unit") else v) for k, v in kw.items()}
    t.finish()
    return Tolerances(**kw)
