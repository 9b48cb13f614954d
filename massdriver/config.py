"""TOML configuration: validated, immutable views of config files.

A config file is data only (``tomllib``: no evaluation of any kind). :class:`Table` wraps one TOML
table and knows its key path, so every error names the key, the value and what is allowed, in one
line, e.g.::

    launcher.speed_max = '2.9 kg': unit 'kg' is not allowed here; give a value convertible to km / s

Typed getters return astropy ``Quantity`` / ``Time`` values; :meth:`Table.finish` rejects unknown
keys (with a close-match suggestion). The sections of the mission file are assembled by
:func:`load_mission` into :class:`MissionConfig`.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from massdriver.errors import ConfigError

__all__ = ["Table", "read_toml", "REQUIRED", "parse_quantity", "parse_epoch"]


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


#: sentinel: the key must be present
REQUIRED: Any = _Required()

_MAX_FILE_BYTES = 4 * 1024 * 1024


def read_toml(path: str | Path) -> Table:
    """Read a TOML file into a root :class:`Table`.

    Raises
    ------
    ConfigError
        The file is missing, unreadable, too large, or not valid TOML (the parser's message and
        line are kept).
    """
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"config file {p} does not exist")
    if p.is_dir():
        raise ConfigError(f"config file {p} is a directory, expected a .toml file")
    if p.stat().st_size > _MAX_FILE_BYTES:
        raise ConfigError(f"config file {p} is larger than {_MAX_FILE_BYTES // 2**20} MiB")
    from massdriver.errors import InputError
    from massdriver.safe_io import read_limited

    try:    # a regular file only (no device, FIFO, terminal), at most the limit read
        data = tomllib.loads(read_limited(p, _MAX_FILE_BYTES).decode("utf-8"))
    except InputError as exc:
        raise ConfigError(f"config file {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    except RecursionError:  # tomllib recurses into nested arrays / inline tables
        raise ConfigError(f"{p}: not a usable config: arrays or tables nested too deeply") \
            from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot read: {exc}") from None
    except ValueError as exc:       # e.g. an integer of more than 4300 digits
        raise ConfigError(f"{p}: not a usable config: {str(exc)[:100]}") from None
    return Table(data, "", source=str(p))


def _fmt(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def parse_quantity(value: Any, unit: str, where: str = "value"):
    """Parse ``value`` (number in ``unit``, or a string with its own unit) into a Quantity.

    Parameters
    ----------
    value : float, int or str
        ``2.5`` (taken in ``unit``) or ``"2.5 km/s"`` / ``"2500 m/s"``.
    unit : str
        The expected unit (anything convertible to it is accepted).
    where : str
        Key path used in error messages.

    Returns
    -------
    astropy.units.Quantity
        The value converted to ``unit``.
    """
    import astropy.units as u

    target = u.Unit(unit)
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ConfigError(
            f"{where} = {_fmt(value)}: expected a number (in {target}) or a string like "
            f"'1.0 {target}'"
        )
    if isinstance(value, str):
        try:
            q = u.Quantity(value.strip())
        except (TypeError, ValueError):
            raise ConfigError(
                f"{where} = {_fmt(value)}: cannot read a quantity; write e.g. '1.0 {target}'"
            ) from None
        if q.unit == u.dimensionless_unscaled and target != u.dimensionless_unscaled:
            try:                      # a bare number is in `unit`; '1 m/m' is refused
                float(value.strip())
            except ValueError:
                raise ConfigError(
                    f"{where} = {_fmt(value)}: its units cancel out; give a value convertible "
                    f"to {target}") from None
            q = q.value * target
        try:
            q = q.to(target)
        except u.UnitConversionError:
            raise ConfigError(
                f"{where} = {_fmt(value)}: unit '{q.unit}' is not allowed here; give a value "
                f"convertible to {target}"
            ) from None
    else:
        q = float(value) * target
    if not math.isfinite(float(q.value)):
        raise ConfigError(f"{where} = {_fmt(value)}: must be a finite number")
    return q


def parse_epoch(value: Any):
    """Parse an epoch: ISO 8601 text (UTC unless suffixed ' TDB'/' TT'/' UTC') or a datetime.

    Parameters
    ----------
    value : str or datetime.datetime or datetime.date
        E.g. ``"2027-03-01T00:00"``, ``"2027-03-01 12:00:00 TDB"``, a TOML datetime (UTC).

    Returns
    -------
    astropy.time.Time
        In the scale given (UTC by default).

    Raises
    ------
    ValueError
        The text is not an ISO epoch (the message says what is accepted).
    """
    import datetime as _dt

    from astropy.time import Time

    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(_dt.UTC).replace(tzinfo=None)
        return Time(value, scale="utc")
    if isinstance(value, _dt.date):
        return Time(value.isoformat(), scale="utc")
    if not isinstance(value, str):
        raise ValueError("expected an ISO 8601 epoch such as '2027-03-01T00:00' (UTC)")
    text = value.strip()
    scale = "utc"
    for name in ("UTC", "TDB", "TT", "TAI"):
        if text.upper().endswith(" " + name) or text.upper().endswith("Z") and name == "UTC":
            scale = name.lower()
            text = text[: -len(name)].strip() if not text.upper().endswith("Z") else text[:-1]
            break
    import warnings

    from erfa import ErfaWarning

    try:
        with warnings.catch_warnings():   # second 60 of a day without a leap second: refused
            warnings.filterwarnings("error", message=".*after end of day", category=ErfaWarning)
            t = Time(text, format="isot" if "T" in text else "iso", scale=scale)
    except ErfaWarning:
        raise ValueError(
            "second 60 exists only at the end of a UTC day with a leap second (the last was "
            "2016-12-31); write the next day's 00:00:00") from None
    except ValueError:
        raise ValueError(
            "expected an ISO 8601 epoch such as '2027-03-01T00:00' (UTC) or "
            "'2027-03-01 00:00 TDB'"
        ) from None
    return t


@dataclass(frozen=True)
class Table:
    """A validated view of one TOML table.

    Parameters
    ----------
    data : dict
        The parsed TOML table.
    path : str
        Its key path ("" for the root, "launcher", "target.walker", ...).
    source : str
        The file it came from (for messages).
    """

    data: dict
    path: str = ""
    source: str = "<config>"

    def __post_init__(self) -> None:
        object.__setattr__(self, "_used", set())

    # -- helpers ---------------------------------------------------------------------------------
    def key_path(self, key: str) -> str:
        """The full dotted path of ``key`` in this table."""
        return f"{self.path}.{key}" if self.path else key

    def __contains__(self, key: str) -> bool:
        return key in self.data

    def _get(self, key: str, default: Any) -> Any:
        self._used.add(key)  # type: ignore[attr-defined]
        if key in self.data:
            return self.data[key]
        if default is REQUIRED:
            where = f"[{self.path}]" if self.path else "the top level"
            raise ConfigError(f"{self.key_path(key)} is missing: it is required in {where}")
        return default

    def _range(self, key: str, shown: Any, x: float, minimum, maximum, exclusive_minimum: bool,
               unit: str = "") -> None:
        suffix = f" {unit}" if unit else ""
        too_low = minimum is not None and (x <= minimum if exclusive_minimum else x < minimum)
        too_high = maximum is not None and x > maximum
        if too_low or too_high:
            lo = "" if minimum is None else (
                f"> {minimum:g}{suffix}" if exclusive_minimum else f">= {minimum:g}{suffix}")
            hi = "" if maximum is None else f"<= {maximum:g}{suffix}"
            allowed = " and ".join(s for s in (lo, hi) if s)
            raise ConfigError(f"{self.key_path(key)} = {_fmt(shown)}: must be {allowed}")

    # -- typed getters ---------------------------------------------------------------------------
    def quantity(self, key: str, unit: str, *, default: Any = REQUIRED,
                 minimum: float | None = None, maximum: float | None = None,
                 exclusive_minimum: bool = False):
        """A physical quantity in (or convertible to) ``unit``; bounds are in ``unit``.

        A ``default`` (used when the key is absent) may be a Quantity, a number in ``unit``,
        a string with a unit, or ``None``.
        """
        value = self._get(key, default)
        if key not in self.data:
            if value is None or hasattr(value, "unit"):
                return value
            return parse_quantity(value, unit, self.key_path(key))
        q = parse_quantity(value, unit, self.key_path(key))
        self._range(key, value, float(q.value), minimum, maximum, exclusive_minimum, unit)
        return q

    def number(self, key: str, *, default: Any = REQUIRED, minimum: float | None = None,
               maximum: float | None = None, exclusive_minimum: bool = False) -> float:
        """A finite real number."""
        value = self._get(key, default)
        if key not in self.data:
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{self.key_path(key)} = {_fmt(value)}: expected a number")
        x = float(value)
        if not math.isfinite(x):
            raise ConfigError(f"{self.key_path(key)} = {_fmt(value)}: must be a finite number")
        self._range(key, value, x, minimum, maximum, exclusive_minimum)
        return x

    def integer(self, key: str, *, default: Any = REQUIRED, minimum: int | None = None,
                maximum: int | None = None) -> int:
        """An integer."""
        value = self._get(key, default)
        if key not in self.data:
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{self.key_path(key)} = {_fmt(value)}: expected an integer")
        if abs(value) > 2**63:      # (float() of it would overflow)
            raise ConfigError(f"{self.key_path(key)} = {_fmt(value)}: too large for any count")
        self._range(key, value, float(value), minimum, maximum, False)
        return int(value)

    def string(self, key: str, *, default: Any = REQUIRED, choices: tuple[str, ...] | None = None
               ) -> str:
        """A string, optionally one of ``choices``."""
        value = self._get(key, default)
        if key not in self.data:
            return value
        if not isinstance(value, str):
            raise ConfigError(f"{self.key_path(key)} = {_fmt(value)}: expected a string")
        if choices is not None and value not in choices:
            raise ConfigError(
                f"{self.key_path(key)} = {_fmt(value)}: must be one of {', '.join(choices)}"
            )
        return value

    def boolean(self, key: str, *, default: Any = REQUIRED) -> bool:
        """``true`` or ``false``."""
        value = self._get(key, default)
        if key not in self.data:
            return value
        if not isinstance(value, bool):
            raise ConfigError(f"{self.key_path(key)} = {_fmt(value)}: expected true or false")
        return value

    def time(self, key: str, *, default: Any = REQUIRED):
        """An epoch: ISO 8601 string (UTC unless it ends in ' TDB'), or a TOML datetime.

        Returns
        -------
        astropy.time.Time
        """
        value = self._get(key, default)
        if key not in self.data:
            return value
        try:
            return parse_epoch(value)
        except ValueError as exc:
            raise ConfigError(f"{self.key_path(key)} = {_fmt(value)}: {exc}") from None

    def table(self, key: str, *, required: bool = True) -> Table | None:
        """A sub-table (``[key]`` or ``key = {...}``)."""
        value = self._get(key, REQUIRED if required else None)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise ConfigError(f"{self.key_path(key)} = {_fmt(value)}: expected a table [{key}]")
        return Table(value, self.key_path(key), self.source)

    def tables(self, key: str, *, required: bool = True) -> list[Table]:
        """An array of tables (``[[key]]``)."""
        value = self._get(key, REQUIRED if required else [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise ConfigError(
                f"{self.key_path(key)} = {_fmt(value)}: expected an array of tables [[{key}]]"
            )
        return [Table(v, f"{self.key_path(key)}[{i}]", self.source) for i, v in enumerate(value)]

    def finish(self) -> None:
        """Reject keys that were never read (typos), suggesting the closest known key."""
        used: set = self._used  # type: ignore[attr-defined]
        unknown = [k for k in self.data if k not in used]
        if unknown:
            key = unknown[0]
            close = difflib.get_close_matches(key, sorted(used), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else (
                f"; known keys here: {', '.join(sorted(used))}" if used else "")
            raise ConfigError(f"{self.key_path(key)}: unknown key{hint}")


# ------------------------------------------------------------------------------------------------
# The mission file: [site], [launcher], [target], [search], [dispersion], [output]
# ------------------------------------------------------------------------------------------------

#: the earliest/latest epochs DE421 (and the lunar PA kernel) cover, as ISO UTC strings
EPHEMERIS_SPAN = ("1900-01-02", "2050-01-01")
#: most launch epochs one scan may have (per branch): 3660 days at 30 min is 175,681; every
#: epoch keeps a fixed-size record (about 0.2 kB per branch), so memory stays below ~100 MB
MAX_SCAN_EPOCHS = 200_000


@dataclass(frozen=True)
class SearchSpec:
    """What span of launch epochs to scan, how finely, and what counts as a window.

    Attributes
    ----------
    start : astropy.time.Time
        First launch epoch of the scan.
    span : astropy.units.Quantity
        Length of the scan (days).
    step : astropy.units.Quantity
        Coarse grid spacing (minutes); windows are then refined between grid points.
    threshold : astropy.units.Quantity
        A window is a contiguous span where the total delta-v is below this (km/s).
    model : str
        Force model of the coast: ``"ephemeris"`` (DE421 Earth, Moon, Sun, J2) or ``"cr3bp"``.
    rtol : float
        Relative tolerance of the DOP853 integration.
    max_flight_time : astropy.units.Quantity
        Shots not at Earth perigee after this long are reported as timed out (days).
    """

    start: Any
    span: Any
    step: Any
    threshold: Any
    model: str = "ephemeris"
    rtol: float = 1e-10
    max_flight_time: Any = None

    @classmethod
    def from_config(cls, t: Table) -> SearchSpec:
        """Parse a ``[search]`` table."""
        import astropy.units as u
        from astropy.time import Time

        start = t.time("start")
        lo, hi = (Time(s, scale="utc") for s in EPHEMERIS_SPAN)
        if start < lo or start > hi:
            raise ConfigError(
                f"{t.key_path('start')} = '{start.isot}': outside the ephemeris (DE421 covers "
                f"{EPHEMERIS_SPAN[0]} to {EPHEMERIS_SPAN[1]})"
            )
        span = t.quantity("span", "day", minimum=0.0, exclusive_minimum=True, maximum=3660.0)
        if start + span > hi:
            raise ConfigError(
                f"{t.key_path('span')} = {span:g}: the scan would end after {EPHEMERIS_SPAN[1]}, "
                "the end of the ephemeris"
            )
        step = t.quantity("step", "min", default=60.0, minimum=1.0, maximum=1440.0)
        if step > span:
            raise ConfigError(
                f"{t.key_path('step')} = {step:g}: must not exceed the span ({span:g})"
            )
        n_epochs = int((span / step).to_value(u.one) + 1e-9) + 1
        if n_epochs > MAX_SCAN_EPOCHS:
            raise ConfigError(
                f"{t.key_path('step')} = {step:g}: the {span:g} span would have {n_epochs} "
                f"launch epochs, at most {MAX_SCAN_EPOCHS} are allowed; use a larger step or a "
                "shorter span"
            )
        threshold = t.quantity("threshold", "km/s", minimum=0.0, exclusive_minimum=True,
                               maximum=20.0)
        model = t.string("model", default="ephemeris", choices=("ephemeris", "cr3bp"))
        rtol = t.number("rtol", default=1e-10, minimum=1e-13, maximum=1e-6)
        tof = t.quantity("max_flight_time", "day", default=8.0, minimum=1.0, maximum=30.0)
        t.finish()
        return cls(start=start, span=span.to(u.day), step=step.to(u.min), threshold=threshold,
                   model=model, rtol=rtol, max_flight_time=tof.to(u.day))


@dataclass(frozen=True)
class LauncherSpec:
    """What the launcher can deliver: exit-speed range, payload mass, optional coilgun model.

    Attributes
    ----------
    speed_min, speed_max : astropy.units.Quantity
        Exit speeds the launcher can be charged for (km/s).
    payload_mass : astropy.units.Quantity
        Mass of one satellite plus carrier share leaving the track (kg).
    speed_sigma : astropy.units.Quantity
        1-sigma exit-speed error (m/s), for the dispersion margin.
    pointing_sigma : astropy.units.Quantity
        1-sigma pointing error of the track, per axis (deg).
    coilgun : object or None
        A :class:`massdriver.coilgun.Coilgun` when the config names a coilgun file; then the
        speed range defaults to the launcher's (:meth:`~massdriver.coilgun.Coilgun.speed_range`)
        and each window reports the bank energy of its shot.
    """

    speed_min: Any
    speed_max: Any
    payload_mass: Any
    speed_sigma: Any
    pointing_sigma: Any
    coilgun: Any = None

    @classmethod
    def from_config(cls, t: Table, base_dir: Path | None = None) -> LauncherSpec:
        """Parse a ``[launcher]`` table (``coilgun = "file.toml"`` is relative to the config)."""
        speed_min = t.quantity("speed_min", "km/s", default=2.30, minimum=1.0, maximum=5.0)
        speed_max = t.quantity("speed_max", "km/s", default=2.80, minimum=1.0, maximum=5.0)
        if speed_max <= speed_min:
            raise ConfigError(
                f"{t.key_path('speed_max')} = {speed_max:g}: must exceed "
                f"{t.key_path('speed_min')} = {speed_min:g}"
            )
        mass = t.quantity("payload_mass", "kg", default=1000.0, minimum=0.0,
                          exclusive_minimum=True, maximum=1e7)
        speed_sigma = t.quantity("speed_sigma", "m/s", default=0.05, minimum=0.0, maximum=100.0)
        pointing_sigma = t.quantity("pointing_sigma", "deg", default=1e-3, minimum=0.0,
                                    maximum=5.0)
        coilgun = None
        coilgun_file = t.string("coilgun", default=None)
        if coilgun_file is not None:
            path = Path(coilgun_file)
            if not path.is_absolute() and base_dir is not None:
                path = base_dir / path
            if not path.exists():
                raise ConfigError(
                    f"{t.key_path('coilgun')} = {_fmt(coilgun_file)}: file {path} does not exist"
                )
            from massdriver.coilgun import Coilgun

            root = read_toml(path)
            coilgun = Coilgun.from_config(root)
        t.finish()
        if coilgun is not None and ("speed_min" not in t or "speed_max" not in t):
            # the launcher's own range for this payload (charge scaled uniformly)
            from massdriver.errors import InputError

            try:
                rng = coilgun.speed_range(mass)
            except InputError as exc:
                raise ConfigError(
                    f"{t.key_path('coilgun')} = {_fmt(coilgun_file)}: {exc}") from None
            if "speed_min" not in t:
                speed_min = rng.minimum.to(speed_min.unit)
            if "speed_max" not in t:
                speed_max = rng.maximum.to(speed_max.unit)
            if speed_max <= speed_min:
                raise ConfigError(
                    f"{t.key_path('coilgun')} = {_fmt(coilgun_file)}: the launcher's speed range "
                    f"({speed_min:.4g} to {speed_max:.4g}) is empty for this payload"
                )
        return cls(speed_min=speed_min, speed_max=speed_max, payload_mass=mass,
                   speed_sigma=speed_sigma, pointing_sigma=pointing_sigma, coilgun=coilgun)


def site_from_config(t: Table):
    """Parse a ``[site]`` table into a :class:`massdriver.site.LaunchSite`."""
    from massdriver.errors import InputError
    from massdriver.site import LaunchSite

    kwargs = dict(
        lat=t.quantity("lat", "deg", minimum=-90.0, maximum=90.0),
        lon=t.quantity("lon", "deg", minimum=-360.0, maximum=360.0),
        height=t.quantity("height", "km", default=0.0, minimum=-10.0, maximum=20.0),
        azimuth=t.quantity("azimuth", "deg", minimum=0.0, maximum=360.0),
        elevation=t.quantity("elevation", "deg", default=0.0, minimum=0.0, maximum=90.0),
        name=t.string("name", default=""),
        frame=t.string("frame", default="PA", choices=("PA", "ME")),
    )
    t.finish()
    try:
        return LaunchSite(**kwargs)
    except InputError as exc:
        raise ConfigError(f"[{t.path}] {exc}") from None


@dataclass(frozen=True)
class MissionConfig:
    """A whole mission file: where, with what, to which orbit, when.

    Attributes
    ----------
    name : str
    site : massdriver.site.LaunchSite
    launcher : LauncherSpec
    target : massdriver.targets.TargetOrbit
    search : SearchSpec
    mid_course : bool
        Whether the mid-course-correction strategy is considered.
    source : str
        The file it was read from.
    """

    name: str
    site: Any
    launcher: LauncherSpec
    target: Any
    search: SearchSpec
    mid_course: bool = True
    source: str = "<config>"


def common_sections(root: Table, path: str | Path):
    """``name``, ``[site]`` and ``[launcher]`` of a mission or campaign file.

    Returns
    -------
    (str, massdriver.site.LaunchSite, LauncherSpec)
        A relative ``launcher.coilgun`` path is resolved against the file's folder.
    """
    name = root.string("name", default=Path(path).stem)
    site = site_from_config(root.table("site"))
    launcher_table = root.table("launcher", required=False)
    launcher = LauncherSpec.from_config(launcher_table or Table({}, "launcher"),
                                        Path(path).resolve().parent)
    return name, site, launcher


def load_mission(path: str | Path) -> MissionConfig:
    """Read and validate a mission TOML file (the input of ``massdriver solve``).

    Raises
    ------
    ConfigError
        One line naming the key, the value and what is allowed.
    """
    from massdriver.targets import TargetOrbit

    root = read_toml(path)
    name, site, launcher = common_sections(root, path)
    target = TargetOrbit.from_config(root.table("target"))
    search = SearchSpec.from_config(root.table("search"))
    mid_course = root.boolean("mid_course", default=True)
    root.finish()
    return MissionConfig(name=name, site=site, launcher=launcher, target=target, search=search,
                         mid_course=mid_course, source=str(path))
