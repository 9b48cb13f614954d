"""Valid ranges of model parameters, declared once next to the model that enforces them.

A :class:`Bound` is data (unit, minimum, maximum) with one :meth:`Bound.check`. The domain
constructors (:class:`massdriver.site.LaunchSite`, :class:`massdriver.mission.SearchSpec`, ...)
call it; :mod:`massdriver.config` does not check ranges itself, it hands the values to the
constructors and restates their :class:`~massdriver.errors.InputError` under the config key.
``docs/gen_config_reference.py`` reads the same objects to print the allowed ranges, so the
documented range is the enforced one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import astropy.units as u

from massdriver.errors import InputError

__all__ = ["Bound"]


@dataclass(frozen=True)
class Bound:
    """The allowed range of one scalar parameter.

    Parameters
    ----------
    unit : str
        Unit the limits are given in ("" for a plain number).
    minimum, maximum : float, optional
        Limits (``None``: unbounded on that side).
    exclusive_minimum : bool
        ``value > minimum`` instead of ``value >= minimum``.
    """

    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False

    def describe(self) -> str:
        """``"must be >= 0 deg and <= 90 deg"`` (or ``"must be finite"``)."""
        suffix = f" {self.unit}" if self.unit else ""
        parts = []
        if self.minimum is not None:
            op = ">" if self.exclusive_minimum else ">="
            parts.append(f"{op} {self.minimum:g}{suffix}")
        if self.maximum is not None:
            parts.append(f"<= {self.maximum:g}{suffix}")
        return "must be " + " and ".join(parts) if parts else "must be finite"

    def contains(self, x: float) -> bool:
        """Whether the plain number ``x`` (in :attr:`unit`) is finite and inside the range."""
        if not math.isfinite(x):
            return False
        if self.minimum is not None and (x <= self.minimum if self.exclusive_minimum
                                         else x < self.minimum):
            return False
        return self.maximum is None or x <= self.maximum

    def check(self, owner: str, name: str, value: Any) -> Any:
        """Validate ``value`` (a Quantity, or a number when :attr:`unit` is ""); return it
        converted to :attr:`unit`.

        Raises
        ------
        massdriver.errors.InputError
            ``"{owner}.{name} = {value}: must be ..."``, with ``field=name`` and the reason.
        """
        where = f"{owner}.{name}"
        if not self.unit:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InputError(f"{where} = {value!r}: expected a number", field=name,
                                 reason="expected a number")
            x = float(value)
            result: Any = value
        else:
            if not isinstance(value, u.Quantity):
                reason = f"give an astropy Quantity in {self.unit}, {self.describe()[5:]}"
                raise InputError(f"{where} = {value!r}: {reason}", field=name, reason=reason)
            try:
                result = value.to(self.unit)
            except u.UnitConversionError:
                reason = f"unit {value.unit} is not convertible to {self.unit}"
                raise InputError(f"{where} = {value}: {reason}", field=name,
                                 reason=reason) from None
            if result.ndim != 0:
                raise InputError(f"{where} = {value}: must be a scalar", field=name,
                                 reason="must be a scalar")
            x = float(result.value)
        if not self.contains(x):
            reason = self.describe()
            raise InputError(f"{where} = {value}: {reason}", field=name, reason=reason)
        return result
