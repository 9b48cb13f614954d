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
    """An argument to the API or the CLI is invalid."""


class EphemerisRangeError(MassdriverError, ValueError):
    """An epoch lies outside the span covered by the ephemeris (DE421: 1900-2050)."""


class OutputExistsError(MassdriverError, FileExistsError):
    """An output file exists and ``force`` was not given."""
