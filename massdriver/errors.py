"""Exceptions raised by massdriver.

Every error a user can cause derives from :class:`MassdriverError`; the CLI prints its message
on one line and exits with status 2. Anything else escaping is a bug.
"""

from __future__ import annotations

__all__ = [
    "MassdriverError", "ConfigError", "InputError", "EphemerisRangeError", "OutputExistsError",
]


class MassdriverError(Exception):
    """Base class of user-facing errors (bad input, impossible requests)."""


class ConfigError(MassdriverError, ValueError):
    """A configuration value is missing, of the wrong type or out of range.

    The message names the key, the value and what is allowed.
    """


class InputError(MassdriverError, ValueError):
    """An argument to the API or the CLI is invalid.

    Parameters
    ----------
    message : str
        One line naming the argument, the value and what is allowed.
    field : str, optional
        The name of the offending constructor parameter, when there is one; with ``reason``
        it lets :mod:`massdriver.config` restate the error under the config key it came from.
    reason : str, optional
        What is allowed, without the name and value (e.g. ``"must be >= 0 and <= 90 deg"``).
    """

    def __init__(self, message: str, *, field: str | None = None,
                 reason: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.reason = reason


class EphemerisRangeError(MassdriverError, ValueError):
    """An epoch lies outside the span covered by the ephemeris (DE421 and its lunar PA
    kernel: 1900-01-01 .. 2051-01-01 TDB)."""


class OutputExistsError(MassdriverError, FileExistsError):
    """An output file exists and ``force`` was not given."""
