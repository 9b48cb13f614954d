"""The mission file: [site], [launcher], [target], [search] -> :class:`MissionConfig`.

Each section is mapped onto its model's constructor (:class:`~massdriver.site.LaunchSite`,
:class:`~massdriver.mission.LauncherSpec`, :class:`~massdriver.mission.SearchSpec`); the ranges
are the constructors' own, restated as :class:`~massdriver.errors.ConfigError` under the key.
"""

from __future__ import annotations

from pathlib import Path

import astropy.units as u

from massdriver.coilgun_tolerances import monte_carlo
from massdriver.config.coilgun import coilgun_from_config
from massdriver.config.satellite import satellite_sections
from massdriver.config.table import Table, _fmt, read_toml
from massdriver.config.targets import target_from_config
from massdriver.errors import ConfigError, InputError
from massdriver.mission import (
    LAUNCHER_BOUNDS,
    SEARCH_BOUNDS,
    SEARCH_MODELS,
    LauncherSpec,
    MissionConfig,
    SearchSpec,
)
from massdriver.site import BOUNDS as SITE_BOUNDS
from massdriver.site import LaunchSite

__all__ = ["search_from_config", "launcher_from_config", "site_from_config", "common_sections",
           "load_mission"]


def search_from_config(t: Table) -> SearchSpec:
    """Parse a ``[search]`` table into a :class:`~massdriver.mission.SearchSpec`."""
    b = SEARCH_BOUNDS
    kwargs = dict(
        start=t.time("start"),
        span=t.quantity("span", "day", bound=b["span"]),
        step=t.quantity("step", "min", default=60.0, bound=b["step"]),
        threshold=t.quantity("threshold", "km/s", bound=b["threshold"]),
        model=t.string("model", default="ephemeris", choices=SEARCH_MODELS,
                       checked=False),
        rtol=t.number("rtol", default=1e-10, bound=b["rtol"]),
        max_flight_time=t.quantity("max_flight_time", "day", default=8.0,
                                   bound=b["max_flight_time"]),
    )
    t.finish()
    return t.build(SearchSpec, **kwargs)


#: ``speed_sigma`` / ``pointing_sigma`` value that takes the sigma from the coilgun model
FROM_COILGUN = "from-coilgun"


def launcher_from_config(t: Table, base_dir: Path | None = None) -> LauncherSpec:
    """Parse a ``[launcher]`` table (``coilgun = "file.toml"`` is relative to ``base_dir``).

    With a coilgun file and no ``speed_min``/``speed_max``, the missing limits are the
    launcher's own range for this payload (:meth:`massdriver.coilgun.Coilgun.speed_range`).
    ``speed_sigma`` and ``pointing_sigma`` may be ``"from-coilgun"``: a Monte Carlo of
    ``dispersion_shots`` shots (default 200) of the coilgun's ``[tolerances]`` at its
    configured charge gives them (:func:`massdriver.coilgun_tolerances.monte_carlo`).
    """
    b = LAUNCHER_BOUNDS
    from_gun = [k for k in ("speed_sigma", "pointing_sigma") if t.data.get(k) == FROM_COILGUN]
    for k in from_gun:
        t.string(k)
    kwargs = dict(
        speed_min=t.quantity("speed_min", "km/s", default=2.30, bound=b["speed_min"]),
        speed_max=t.quantity("speed_max", "km/s", default=2.80, bound=b["speed_max"]),
        payload_mass=t.quantity("payload_mass", "kg", default=1000.0, bound=b["payload_mass"]),
        speed_sigma=0.05 * u.m / u.s if "speed_sigma" in from_gun else t.quantity(
            "speed_sigma", "m/s", default=0.05, bound=b["speed_sigma"]),
        pointing_sigma=1e-3 * u.deg if "pointing_sigma" in from_gun else t.quantity(
            "pointing_sigma", "deg", default=1e-3, bound=b["pointing_sigma"]),
    )
    coilgun_file = t.string("coilgun", default=None)
    n_mc = t.integer("dispersion_shots", default=200, minimum=2, maximum=1_000_000)
    t.finish()
    if coilgun_file is None:
        if from_gun:
            raise ConfigError(f"{t.key_path(from_gun[0])} = {_fmt(FROM_COILGUN)}: needs "
                              f"{t.key_path('coilgun')} (a coilgun file with [tolerances])")
        return t.build(LauncherSpec, **kwargs)
    path = Path(coilgun_file)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if not path.exists():
        raise ConfigError(f"{t.key_path('coilgun')} = {_fmt(coilgun_file)}: file {path} does "
                          "not exist")
    coilgun = coilgun_from_config(read_toml(path))
    # the mass must be valid before the launcher's range is priced for it
    t.build(b["payload_mass"].check, owner="LauncherSpec", name="payload_mass",
            value=kwargs["payload_mass"])
    if "speed_min" not in t or "speed_max" not in t:
        try:
            rng = coilgun.speed_range(kwargs["payload_mass"])
        except InputError as exc:
            raise ConfigError(f"{t.key_path('coilgun')} = {_fmt(coilgun_file)}: {exc}") from None
        for key, value in (("speed_min", rng.minimum), ("speed_max", rng.maximum)):
            if key not in t:
                kwargs[key] = value.to(u.km / u.s)
        if kwargs["speed_max"] <= kwargs["speed_min"]:
            raise ConfigError(
                f"{t.key_path('coilgun')} = {_fmt(coilgun_file)}: the launcher's speed range "
                f"({kwargs['speed_min']:.4g} to {kwargs['speed_max']:.4g}) is empty for this "
                "payload")
    if from_gun:
        try:
            disp = monte_carlo(coilgun, n_mc, kwargs["payload_mass"])
        except InputError as exc:
            raise ConfigError(f"{t.key_path(from_gun[0])} = {_fmt(FROM_COILGUN)}: {exc}") from None
        if "speed_sigma" in from_gun:
            kwargs["speed_sigma"] = disp.speed_sigma.to(u.m / u.s)
        if "pointing_sigma" in from_gun:
            kwargs["pointing_sigma"] = disp.pointing_sigma.to(u.deg)
        kwargs["sigma_source"] = "coilgun"
        kwargs["launcher_dispersion"] = disp
    try:
        return LauncherSpec(coilgun=coilgun, **kwargs)
    except InputError as exc:
        if exc.field in ("speed_min", "speed_max") and exc.field not in t:
            raise ConfigError(
                f"{t.key_path('coilgun')} = {_fmt(coilgun_file)}: the launcher's "
                f"{exc.field} ({kwargs[exc.field]:.4g}) is out of range: {exc.reason}") from None
        raise t.restate(exc, kwargs) from None


#: ``[site]`` keys a mission file may set to ``"auto"`` (track search first)
AUTO_TRACK_KEYS = ("azimuth", "elevation")


def site_from_config(t: Table, auto: list | None = None) -> LaunchSite:
    """Parse a ``[site]`` table into a :class:`massdriver.site.LaunchSite`.

    With a list ``auto``, ``azimuth = "auto"`` / ``elevation = "auto"`` are accepted: the key
    names are appended to ``auto`` and the site gets a placeholder (90 deg / 0 deg) that
    :func:`massdriver.aim.resolve_auto_track` replaces with the track search's choice.
    """
    b = SITE_BOUNDS

    def angle(key: str, **kw):
        if auto is not None and t.data.get(key) == "auto":
            t.string(key)                       # marks the key as read
            auto.append(key)
            return {"azimuth": 90.0, "elevation": 0.0}[key] * u.deg
        return t.quantity(key, "deg", bound=b[key], **kw)

    kwargs = dict(
        lat=t.quantity("lat", "deg", bound=b["lat"]),
        lon=t.quantity("lon", "deg", bound=b["lon"]),
        height=t.quantity("height", "km", default=0.0, bound=b["height"]),
        azimuth=angle("azimuth"),
        elevation=angle("elevation", default=0.0),
        name=t.string("name", default=""),
        frame=t.string("frame", default="PA", choices=("PA", "ME")),
    )
    t.finish()
    return t.build(LaunchSite, **kwargs)


def common_sections(root: Table, path: str | Path,
                    auto: list | None = None) -> tuple[str, LaunchSite, LauncherSpec]:
    """``name``, ``[site]`` and ``[launcher]`` of a mission or campaign file.

    Returns
    -------
    (str, massdriver.site.LaunchSite, massdriver.mission.LauncherSpec)
        A relative ``launcher.coilgun`` path is resolved against the file's folder.
    """
    name = root.string("name", default=Path(path).stem)
    site = site_from_config(root.table("site"), auto)
    launcher_table = root.table("launcher", required=False)
    launcher = launcher_from_config(launcher_table or Table({}, "launcher"),
                                    Path(path).resolve().parent)
    return name, site, launcher


def load_mission(path: str | Path) -> MissionConfig:
    """Read and validate a mission TOML file (the input of ``massdriver solve``).

    Raises
    ------
    ConfigError
        One line naming the key, the value and what is allowed.
    """
    root = read_toml(path)
    auto: list[str] = []
    name, site, launcher = common_sections(root, path, auto)
    target = target_from_config(root.table("target"))
    search = search_from_config(root.table("search"))
    mid_course = root.boolean("mid_course", default=True)
    # arrival realism (docs/arrival.md): optional [satellite] and [arrival]
    satellite, arrival = satellite_sections(root)
    root.finish()
    return MissionConfig(name=name, site=site, launcher=launcher, target=target, search=search,
                         mid_course=mid_course, source=str(path), auto_track=tuple(auto),
                         satellite=satellite, arrival=arrival)
