"""Reading TOML: :func:`read_toml`, the :class:`Table` view, quantity and epoch parsing.

A config file is data only (``tomllib``: no evaluation of any kind). :class:`Table` wraps one TOML
table and knows its key path, so every error names the key, the value and what is allowed, in one
line, e.g.::

    launcher.speed_max = '2.9 kg': unit 'kg' is not allowed here; give a value convertible to km / s

Typed getters return astropy ``Quantity`` / ``Time`` values; :meth:`Table.finish` rejects unknown
keys (with a close-match suggestion), and a missing required key next to a close misspelling gets
the same suggestion. Ranges are the domain constructors' (a getter's ``bound`` only records the
constructor's :class:`~massdriver.bounds.Bound` for the reference); :meth:`Table.build` calls a
constructor and restates its :class:`~massdriver.errors.InputError` under the config key.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import math
import tomllib
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import astropy.units as u
from astropy.time import Time
from erfa import ErfaWarning

from massdriver.errors import ConfigError, InputError
from massdriver.safe_io import read_limited

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
            unread = [k for k in self.data if k not in self._used]  # type: ignore[attr-defined]
            close = difflib.get_close_matches(key, unread, n=1, cutoff=0.8)
            # a misspelt required key gets the suggestion an unknown optional one gets
            hint = f"; did you mean '{key}' instead of '{close[0]}'?" if close else ""
            raise ConfigError(f"{self.key_path(key)} is missing: it is required in {where}{hint}")
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
                 exclusive_minimum: bool = False, bound: Any = None):
        """A physical quantity in (or convertible to) ``unit``; bounds are in ``unit``.

        A ``default`` (used when the key is absent) may be a Quantity, a number in ``unit``,
        a string with a unit, or ``None``. ``minimum``/``maximum`` are checked here (for models
        that do not check their own parameters); ``bound`` is the
        :class:`~massdriver.bounds.Bound` the receiving constructor enforces, recorded for the
        reference and not checked twice.
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
               maximum: float | None = None, exclusive_minimum: bool = False,
               bound: Any = None) -> float:
        """A finite real number (``bound``: as in :meth:`quantity`)."""
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
                maximum: int | None = None, bound: Any = None) -> int:
        """An integer (``bound``: as in :meth:`quantity`)."""
        value = self._get(key, default)
        if key not in self.data:
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{self.key_path(key)} = {_fmt(value)}: expected an integer")
        if abs(value) > 2**63:      # (float() of it would overflow)
            raise ConfigError(f"{self.key_path(key)} = {_fmt(value)}: too large for any count")
        self._range(key, value, float(value), minimum, maximum, False)
        return int(value)

    def string(self, key: str, *, default: Any = REQUIRED, choices: tuple[str, ...] | None = None,
               checked: bool = True) -> str:
        """A string, optionally one of ``choices`` (``checked=False``: the receiving
        constructor checks them, with its own explanation; they are only recorded here)."""
        value = self._get(key, default)
        if key not in self.data:
            return value
        if not isinstance(value, str):
            raise ConfigError(f"{self.key_path(key)} = {_fmt(value)}: expected a string")
        if checked and choices is not None and value not in choices:
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

    def listed(self, key: str) -> list | None:
        """The value of ``key`` when it is a TOML array (the key is then marked as read), else
        ``None``; for keys that take one value or a list of them."""
        value = self.data.get(key)
        if not isinstance(value, list):
            return None
        self._get(key, None)
        return value

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

    def build(self, factory, /, **kwargs):
        """``factory(**kwargs)``, its :class:`~massdriver.errors.InputError` restated as one
        :class:`~massdriver.errors.ConfigError` line under this table's key.

        An error naming its ``field`` becomes ``"{section}.{field} = {value as written}:
        {reason}"``; any other is prefixed with ``[section]``.
        """
        try:
            return factory(**kwargs)
        except InputError as exc:
            raise self.restate(exc, kwargs) from None

    def restate(self, exc: InputError, given: dict | None = None) -> ConfigError:
        """The :class:`~massdriver.errors.ConfigError` of a constructor's ``exc`` (see
        :meth:`build`)."""
        field = getattr(exc, "field", None)
        reason = getattr(exc, "reason", None)
        if field and reason:
            if field in self.data:
                shown = self.data[field]
            else:
                shown = (given or {}).get(field)
                shown = f"{shown:g}" if hasattr(shown, "unit") else shown
            return ConfigError(f"{self.key_path(field)} = {_fmt(shown)}: {reason}")
        return ConfigError(f"[{self.path or 'config'}] {exc}")

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
