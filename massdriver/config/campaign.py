"""The campaign file -> :class:`massdriver.campaign.CampaignConfig` (``massdriver campaign``)."""

from __future__ import annotations

from pathlib import Path

import astropy.units as u

from massdriver.campaign import (
    POLICIES,
    CampaignConfig,
    CampaignLauncher,
    Constellation,
    ShotEnergy,
)
from massdriver.config.mission import common_sections, search_from_config
from massdriver.config.satellite import satellite_sections
from massdriver.config.table import read_toml
from massdriver.config.targets import targets_from_config
from massdriver.errors import ConfigError, InputError

__all__ = ["load_campaign"]


def _satellite_counts(t, key: str, n_planes: int, default: int | None) -> tuple[int, ...]:
    if key not in t:
        if default is None:
            raise ConfigError(f"{t.key_path(key)} is missing: give the satellites of each plane "
                              f"(one integer, or a list of {n_planes})")
        t.integer(key, default=default)               # marks the key as read
        return (default,) * n_planes
    raw = t.listed(key)
    if raw is not None:
        if len(raw) != n_planes:
            raise ConfigError(f"{t.key_path(key)} = {raw!r}: {len(raw)} counts for {n_planes} "
                              "planes; give one per plane")
        out = []
        for i, v in enumerate(raw):
            if isinstance(v, bool) or not isinstance(v, int) or not (0 <= v <= 100_000):
                raise ConfigError(f"{t.key_path(key)}[{i}] = {v!r}: must be an integer in "
                                  "0 .. 100000")
            out.append(int(v))
        return tuple(out)
    return (t.integer(key, minimum=0, maximum=100_000),) * n_planes


def load_campaign(path: str | Path) -> CampaignConfig:
    """Read and validate a campaign TOML file.

    Sections: ``[site]``, ``[launcher]`` and ``[search]`` as in a mission file; ``[target]`` (one
    target, or ``kind = "walker"`` for all the planes of a Walker constellation) or ``[[targets]]``
    (a list of target orbits, one plane each); ``[campaign]`` with ``satellites_per_plane``
    (integer or list; default ``total / planes`` for a Walker target), ``satellite_mass``,
    ``isp``, ``power``, ``energy_per_shot`` or ``efficiency`` (or neither with a
    ``launcher.coilgun``), ``max_shot_rate`` (per hour), ``policy``, ``dispersion_samples``,
    ``seed``; optional ``[satellite]`` and ``[arrival]`` as in a mission file (then every
    shot's insertion is priced with each enabled strategy, its propellant is the chosen one's,
    and ``satellite_mass`` / ``isp`` default to the satellite's).

    Raises
    ------
    ConfigError
        One line naming the key, the value and what is allowed.
    """
    root = read_toml(path)
    name, site, spec = common_sections(root, path)

    has_one, has_list = "target" in root, "targets" in root
    if has_one == has_list:
        raise ConfigError("give either [target] (one target or kind = \"walker\") or "
                          "[[targets]] (one table per plane), not " +
                          ("both" if has_one else "neither"))
    default_count = None
    if has_one:
        table = root.table("target")
        planes = targets_from_config(table)
        if table.data.get("kind") == "walker":
            default_count = int(table.data["total"]) // int(table.data["planes"])
        label = table.data.get("name") or planes[0].name.rsplit(" plane ", 1)[0]
    else:
        planes = []
        for t in root.tables("targets"):
            got = targets_from_config(t)
            if len(got) != 1:
                raise ConfigError(f"[{t.path}]: one plane per [[targets]] table (give "
                                  "'plane' for a walker kind)")
            planes.extend(got)
        if not planes:
            raise ConfigError("targets = []: give at least one [[targets]] table")
        label = name
    search = search_from_config(root.table("search"))

    # arrival realism (docs/arrival.md): with a [satellite], every shot's insertion is priced
    # with each enabled strategy and its propellant is the chosen one's
    satellite, arrival = satellite_sections(root)

    c = root.table("campaign")
    counts = _satellite_counts(c, "satellites_per_plane", len(planes), default_count)
    if sum(counts) == 0:
        raise ConfigError(f"{c.key_path('satellites_per_plane')}: at least one satellite needed")
    if satellite is not None:
        satellite_mass, isp = _mass_and_isp_of(c, satellite)
    else:
        satellite_mass = c.quantity("satellite_mass", "kg", minimum=0.0,
                                    exclusive_minimum=True, maximum=1e7)
        isp = c.quantity("isp", "s", minimum=0.0, exclusive_minimum=True, maximum=100_000.0)
    if satellite_mass > spec.payload_mass:
        raise ConfigError(
            f"{c.key_path('satellite_mass')} = {satellite_mass:g}: must not exceed "
            f"launcher.payload_mass = {spec.payload_mass:g} (the mass leaving the track)")
    power = c.quantity("power", "W", minimum=0.0, exclusive_minimum=True, maximum=1e13)
    energy_per_shot = c.quantity("energy_per_shot", "J", default=None, minimum=0.0,
                                 exclusive_minimum=True, maximum=1e14)
    efficiency = c.number("efficiency", default=None, minimum=0.0, exclusive_minimum=True,
                          maximum=1.0)
    rate = c.quantity("max_shot_rate", "1/h", default=None, minimum=0.0,
                      exclusive_minimum=True, maximum=3600.0)
    policy = c.string("policy", default="cheapest", choices=POLICIES)
    samples = c.integer("dispersion_samples", default=2000, minimum=100, maximum=1_000_000)
    seed = c.integer("seed", default=0, minimum=0)
    c.finish()
    if energy_per_shot is not None and efficiency is not None:
        raise ConfigError(f"{c.key_path('energy_per_shot')} and {c.key_path('efficiency')}: "
                          "give one of them, not both")
    if energy_per_shot is not None:
        energy = ShotEnergy.fixed(energy_per_shot)
    elif efficiency is not None:
        energy = ShotEnergy.from_efficiency(efficiency, spec.payload_mass)
    elif spec.coilgun is not None:
        mid = 0.5 * (spec.speed_min + spec.speed_max)
        try:
            energy = ShotEnergy.from_coilgun(spec.coilgun, spec.payload_mass, mid)
        except InputError as exc:
            raise ConfigError(f"launcher.coilgun: cannot price a shot at {mid:.4g}: {exc}") \
                from None
        # the coils' sustainable firing rate bounds the rate too (issue 18)
        if energy.thermal_rate is not None:
            rate = energy.thermal_rate if rate is None else min(rate, energy.thermal_rate)
    else:
        raise ConfigError(f"{c.key_path('energy_per_shot')} is missing: give energy_per_shot "
                          "(J per shot), efficiency (bank to kinetic energy, 0 < e <= 1) or a "
                          "launcher.coilgun file")
    root.finish()
    try:
        launcher = CampaignLauncher(spec=spec, power=power.to(u.W), energy=energy,
                                    max_shot_rate=rate)
    except InputError as exc:
        raise ConfigError(str(exc).replace("CampaignLauncher.power", c.key_path("power"))) \
            from None
    constellation = Constellation(planes=tuple(planes), satellites=counts, name=label)
    return CampaignConfig(name=name, site=site, launcher=launcher, constellation=constellation,
                          search=search, satellite_mass=satellite_mass, isp=isp,
                          policy=policy, dispersion_samples=samples, seed=seed, source=str(path),
                          satellite=satellite, arrival=arrival)


def _mass_and_isp_of(c, satellite):
    """``[campaign]`` satellite_mass and isp when a ``[satellite]`` is given: optional, the
    satellite's wet mass and capture-engine Isp by default; other values are refused (the
    strategies fly the [satellite], so the two must agree)."""
    wet = satellite.wet_mass.to(u.kg)
    isp0 = satellite.capture_engine.isp.to(u.s)
    mass = c.quantity("satellite_mass", "kg", default=None, minimum=0.0,
                      exclusive_minimum=True, maximum=1e7)
    isp = c.quantity("isp", "s", default=None, minimum=0.0, exclusive_minimum=True,
                     maximum=100_000.0)
    for key, given, own, what in (("satellite_mass", mass, wet, "satellite.wet_mass"),
                                  ("isp", isp, isp0, "the Isp of the satellite's capture "
                                                     "engine")):
        if given is not None and abs(float((given - own) / own)) > 1e-9:
            raise ConfigError(f"{c.key_path(key)} = {given:g}: differs from {what} = {own:g}; "
                              "with a [satellite] leave it out (the satellite's is used)")
    return wet, isp0

