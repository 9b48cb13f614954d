"""The throughput plan file -> :class:`massdriver.throughput.ThroughputPlan`.

Layout (docs/throughput.md; ``examples/throughput_1mt.toml``)::

    name = "..."
    start = "2027-01-01T00:00"     # UTC; launchers ready, banks charged, coils cold
    horizon = "365.25 d"           # default a year, at most 18.6 years
    step = "60 min"                # pricing grid
    threshold = "3.6 km/s"         # a shot's total delta-v (no margin) must be under it
    rtol = 1e-10
    max_flight_time = "8 d"

    [satellite]                    # mass at arrival (delivered per shot) and thruster
    mass = "1000 kg"
    isp = "320 s"
    # or the satellite model of a mission file (issue 17): wet_mass, drag/limits keys and
    # [[satellite.engines]] (thrust, isp, kind); the capture engine's Isp prices propellant;
    # each shot then flies the arrival strategy chosen for it (massdriver.throughput_arrival)

    [arrival]                      # optional, with the satellite model only: as a mission's
    strategies = "all"             # (docs/arrival.md); "impulsive" prices shots impulsively
    choose_by = "propellant"
    # (top level) arrival_step = "1 d": node spacing of the strategy pricing


    [[launchers]]
    name = "..."
    site = { lat = ..., lon = ..., azimuth = ..., elevation = ... }   # as a mission's [site]
    speed_min = "2.35 km/s"
    speed_max = "2.80 km/s"
    power = "200 MW"               # or, with a coilgun file, its [thermal] charging_power
    efficiency = 0.5               # or energy_per_shot = "6 GJ", or a coilgun file:
    coilgun = "gun.toml"           # (relative to this file) energy per shot and heating from
    coilgun_speed = "2.5 km/s"     # a shot simulated at this speed (default mid-range)
    bank_capacity = "12 GJ"        # default: twice a shot at speed_max
    max_shot_rate = "120 /h"       # optional
    thermal = { heat_fraction = 0.05, heat_capacity = "5e7 J/K", cooling_time = "20 min",
                max_rise = "100 K" }   # optional; hand-typed values win over the coilgun's

    [[shells]]
    name = "..."
    altitude = "600 km"
    inclination = "sso"            # or an angle
    ltan = "06:00"                 # sso only
    planes = 3                     # fixed planes (RAANs raan0 + 360 k / planes at start);
    raan0 = "0 deg"                # absent: a free RAAN (any plane of that inclination)
    tonnes_per_year = 500000       # or "max"
    priority = 1
"""

from __future__ import annotations

from pathlib import Path

import astropy.units as u

from massdriver import throughput as throughput_model
from massdriver.campaign import ShotEnergy
from massdriver.config.coilgun import coilgun_from_config
from massdriver.config.mission import site_from_config
from massdriver.config.satellite import arrival_from_config, satellite_from_config
from massdriver.config.table import Table, read_toml
from massdriver.errors import ConfigError, InputError
from massdriver.mission import LAUNCHER_BOUNDS, LauncherSpec
from massdriver.targets import circular, sun_synchronous
from massdriver.throughput import (
    MAX_HORIZON_YEARS,
    YEAR,
    CoilThermal,
    SatelliteSpec,
    Shell,
    ThroughputLauncher,
    ThroughputPlan,
)

__all__ = ["load_throughput"]


def _launcher(t: Table, satellite_mass, base_dir: Path) -> ThroughputLauncher:
    b = LAUNCHER_BOUNDS
    name = t.string("name", default=t.path)
    site = site_from_config(t.table("site"))
    spec_kwargs = dict(
        speed_min=t.quantity("speed_min", "km/s", default=2.30, bound=b["speed_min"]),
        speed_max=t.quantity("speed_max", "km/s", default=2.80, bound=b["speed_max"]),
        payload_mass=t.quantity("payload_mass", "kg", default=satellite_mass,
                                bound=b["payload_mass"]),
        speed_sigma=0.05 * u.m / u.s, pointing_sigma=1e-3 * u.deg)
    power = t.quantity("power", "W", default=None, minimum=0.0, exclusive_minimum=True,
                       maximum=1e13)
    coilgun_file = t.string("coilgun", default=None)
    coilgun_speed = t.quantity("coilgun_speed", "km/s", default=None, minimum=0.0,
                               exclusive_minimum=True, maximum=10.0)
    energy_per_shot = t.quantity("energy_per_shot", "J", default=None, minimum=0.0,
                                 exclusive_minimum=True, maximum=1e14)
    efficiency = t.number("efficiency", default=None, minimum=0.0, exclusive_minimum=True,
                          maximum=1.0)
    bank = t.quantity("bank_capacity", "J", default=None, minimum=0.0, exclusive_minimum=True,
                      maximum=1e16)
    rate = t.quantity("max_shot_rate", "1/h", default=None, minimum=0.0,
                      exclusive_minimum=True, maximum=3.6e5)
    th = t.table("thermal", required=False)
    thermal = None
    if th is not None:
        thermal = th.build(
            CoilThermal,
            heat_fraction=th.number("heat_fraction", minimum=0.0, exclusive_minimum=True,
                                    maximum=1.0),
            heat_capacity=th.quantity("heat_capacity", "J/K", minimum=0.0,
                                      exclusive_minimum=True),
            cooling_time=th.quantity("cooling_time", "s", minimum=0.0, exclusive_minimum=True),
            max_rise=th.quantity("max_rise", "K", minimum=0.0, exclusive_minimum=True))
        th.finish()
    t.finish()
    spec = t.build(LauncherSpec, **spec_kwargs)
    if energy_per_shot is not None and efficiency is not None:
        raise ConfigError(f"{t.key_path('efficiency')}: give efficiency (bank to kinetic "
                          "energy, 0 < e <= 1) or energy_per_shot (J), not both")
    if coilgun_speed is not None and coilgun_file is None:
        raise ConfigError(f"{t.key_path('coilgun_speed')}: needs {t.key_path('coilgun')} "
                          "(a coilgun file)")
    gun_energy = gun_thermal = gun_power = None
    if coilgun_file is not None:
        path = Path(coilgun_file)
        if not path.is_absolute():
            path = base_dir / path
        if not path.is_file():
            raise ConfigError(f"{t.key_path('coilgun')} = {coilgun_file!r}: file {path} does "
                              "not exist")
        gun = coilgun_from_config(read_toml(path))
        speed = (coilgun_speed if coilgun_speed is not None
                 else 0.5 * (spec.speed_min + spec.speed_max))
        try:
            gun_energy, gun_thermal, gun_power = throughput_model.coilgun_model(
                gun, speed, spec.payload_mass)
        except InputError as exc:
            raise ConfigError(f"{t.key_path('coilgun')} = {coilgun_file!r}: cannot price a "
                              f"shot of {spec.payload_mass:g} at {speed:.4g}: {exc}") from None
    if energy_per_shot is not None:
        energy = ShotEnergy.fixed(energy_per_shot)
    elif efficiency is not None:
        energy = ShotEnergy.from_efficiency(efficiency, spec.payload_mass)
    elif gun_energy is not None:
        energy = gun_energy
    else:
        raise ConfigError(f"{t.key_path('efficiency')}: give efficiency (bank to kinetic "
                          "energy, 0 < e <= 1), energy_per_shot (J) or a coilgun file")
    if thermal is None:
        thermal = gun_thermal
    if power is None:
        power = gun_power
    if power is None:
        raise ConfigError(f"{t.key_path('power')} is missing: give the average power "
                          "recharging the banks (W), or a coilgun file whose [thermal] sets "
                          "charging_power")
    try:
        return ThroughputLauncher(name=name, site=site, spec=spec, power=power, energy=energy,
                                  bank_capacity=bank, max_shot_rate=rate, thermal=thermal)
    except InputError as exc:
        raise ConfigError(f"[{t.path}] {exc}") from None


def _satellite(t: Table, arrival: Table | None) -> SatelliteSpec:
    """Hand-typed ``mass`` and ``isp``, or the satellite model (``wet_mass`` and
    ``[[satellite.engines]]``, as a mission's ``[satellite]``) with its arrival options
    (``[arrival]``, default every strategy)."""
    model_keys = [k for k in ("wet_mass", "engines") if k in t]
    if model_keys:
        if "mass" in t or "isp" in t:
            raise ConfigError(f"{t.key_path('mass' if 'mass' in t else 'isp')}: give mass and "
                              "isp (hand-typed) or wet_mass and [[satellite.engines]] (the "
                              "satellite model), not both")
        model = satellite_from_config(t)
        options = arrival_from_config(arrival or Table({}, "arrival"))
        try:
            return SatelliteSpec.from_satellite(model, arrival=options)
        except InputError as exc:
            raise ConfigError(f"[{t.path}] {exc}") from None
    if arrival is not None:
        raise ConfigError("[arrival] needs the satellite model in [satellite] (wet_mass and "
                          "[[satellite.engines]]): the strategies fly its engines and "
                          "aerodynamics")
    spec = t.build(SatelliteSpec,
                   mass=t.quantity("mass", "kg", minimum=0.0, exclusive_minimum=True,
                                   maximum=1e7),
                   isp=t.quantity("isp", "s", minimum=0.0, exclusive_minimum=True,
                                  maximum=1e5))
    t.finish()
    return spec


def _shell(t: Table, start) -> Shell:
    name = t.string("name", default=t.path)
    altitude = t.quantity("altitude", "km", minimum=120.0, maximum=50_000.0)
    raw_inc = t.data.get("inclination")
    ltan = t.string("ltan", default=None) if raw_inc == "sso" else None
    if raw_inc == "sso":
        t.string("inclination", choices=("sso",))
        planes_n = t.integer("planes", default=1, minimum=1, maximum=1)
        try:
            planes = (sun_synchronous(altitude, ltan or "06:00", name=name),)
        except InputError as exc:
            raise ConfigError(f"[{t.path}] {exc}") from None
    else:
        inc = t.quantity("inclination", "deg", minimum=0.0, maximum=180.0)
        planes_n = t.integer("planes", default=None, minimum=1, maximum=64)
        raan0 = t.quantity("raan0", "deg", default=0.0)
        try:
            if planes_n is None:
                planes = (circular(altitude, inc, name=name),)
            else:
                planes = tuple(circular(altitude, inc, raan0 + k * 360.0 / planes_n * u.deg,
                                        epoch=start, name=f"{name} plane {k}")
                               for k in range(planes_n))
        except InputError as exc:
            raise ConfigError(f"[{t.path}] {exc}") from None
    raw = t.data.get("tonnes_per_year")
    if raw == "max":
        t.string("tonnes_per_year", choices=("max",))
        rate = None
    else:
        rate = t.number("tonnes_per_year", minimum=0.0, exclusive_minimum=True,
                        maximum=1e12) * u.t / u.yr
    priority = t.integer("priority", default=1, minimum=0, maximum=1000)
    t.finish()
    return Shell(name=name, planes=planes, rate=rate, priority=priority)


def load_throughput(path: str | Path, *, horizon=None, step=None) -> ThroughputPlan:
    """Read and validate a throughput plan file.

    Parameters
    ----------
    path : str or Path
    horizon, step : astropy.units.Quantity, optional
        Override the file's ``horizon`` and ``step`` (the CLI's ``--horizon``, ``--step``).

    Raises
    ------
    ConfigError
        One line naming the key, the value and what is allowed.
    """
    root = read_toml(path)
    name = root.string("name", default=Path(path).stem)
    start = root.time("start")
    h = root.quantity("horizon", "day", default=YEAR / 86400.0, minimum=0.0,
                      exclusive_minimum=True, maximum=MAX_HORIZON_YEARS * YEAR / 86400.0)
    st = root.quantity("step", "min", default=60.0, minimum=1.0, maximum=1440.0)
    threshold = root.quantity("threshold", "km/s", minimum=0.0, exclusive_minimum=True,
                              maximum=20.0)
    rtol = root.number("rtol", default=1e-10, minimum=1e-13, maximum=1e-6)
    tof = root.quantity("max_flight_time", "day", default=8.0, minimum=1.0, maximum=60.0)
    arrival_step = root.quantity("arrival_step", "day", default=1.0, minimum=0.01,
                                 maximum=30.0)
    satellite = _satellite(root.table("satellite"), root.table("arrival", required=False))
    if "arrival_step" in root and satellite.arrival is None:
        raise ConfigError(f"arrival_step = {arrival_step:g}: it spaces the arrival-strategy "
                          "pricing, which needs the satellite model in [satellite] (wet_mass "
                          "and [[satellite.engines]]); remove it or give the model")
    base_dir = Path(path).resolve().parent
    launchers = tuple(_launcher(t, satellite.mass, base_dir) for t in root.tables("launchers"))
    shells = tuple(_shell(t, start) for t in root.tables("shells"))
    if not launchers:
        raise ConfigError("launchers = []: give at least one [[launchers]] table")
    if not shells:
        raise ConfigError("shells = []: give at least one [[shells]] table")
    root.finish()
    try:
        return ThroughputPlan(launchers=launchers, shells=shells, satellite=satellite,
                              start=start, horizon=horizon if horizon is not None else h,
                              step=step if step is not None else st, threshold=threshold,
                              rtol=rtol, max_flight_time=tof, name=name,
                              arrival_step=arrival_step)
    except InputError as exc:
        raise ConfigError(f"{path}: {exc}") from None
