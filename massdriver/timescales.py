"""The one place where :class:`astropy.time.Time` becomes kernel floats, and back.

Kernel time is **TDB seconds past J2000**, J2000 = 2000-01-01T12:00:00 TDB = JD 2451545.0 TDB
(the argument of the JPL ephemerides, called "ET" by SPICE). Any ``Time`` is first converted to the
TDB scale by astropy (UTC -> TAI -> TT -> TDB; astropy uses ERFA's ``dtdb`` series for TDB - TT, at
the geocentre), so a UTC epoch "2027-03-01T00:00" and the TDB epoch with the same label differ by
about 69.2 s (32.184 s + 37 leap seconds, plus a periodic term under 2 ms).

Precision: the two-part Julian date (``jd1 + jd2``) is kept separate until the final sum, so the
conversion is good to about 1e-7 s over the 1900-2050 span (float64 resolution at 5e9 s is 1e-6 s).
"""

from __future__ import annotations

import numpy as np
from astropy.time import Time, TimeDelta

from massdriver.bodies import DAY

from .errors import InputError

__all__ = ["J2000_JD", "SECONDS_PER_DAY", "to_tdb_seconds", "from_tdb_seconds", "table_times",
           "minute_text"]

J2000_JD = 2451545.0          # JD of 2000-01-01T12:00:00 TDB
SECONDS_PER_DAY = DAY         # s (bodies.DAY, the one definition)


def to_tdb_seconds(time) -> float | np.ndarray:
    """Convert an astropy ``Time`` (any scale) to TDB seconds past J2000.

    Parameters
    ----------
    time : astropy.time.Time
        Scalar or array epoch(s) in any time scale (UTC, TT, TDB, ...).

    Returns
    -------
    float or numpy.ndarray
        TDB seconds past 2000-01-01T12:00:00 TDB (same shape as ``time``).

    Raises
    ------
    massdriver.errors.InputError
        If ``time`` is not an astropy ``Time``.
    """
    if not isinstance(time, Time):
        raise InputError(
            f"epoch must be an astropy.time.Time, got {type(time).__name__} {time!r}"
        )
    tdb = time.tdb
    # jd1 is (half-)integral, so (jd1 - J2000) is exact; add the small part last
    seconds = (tdb.jd1 - J2000_JD) * SECONDS_PER_DAY + tdb.jd2 * SECONDS_PER_DAY
    if np.ndim(seconds) == 0:
        return float(seconds)
    return np.asarray(seconds, dtype=np.float64)


def from_tdb_seconds(seconds):
    """Convert TDB seconds past J2000 to an astropy ``Time`` in the TDB scale.

    Parameters
    ----------
    seconds : float or array_like
        TDB seconds past 2000-01-01T12:00:00 TDB.

    Returns
    -------
    astropy.time.Time
        ``Time(..., scale="tdb", format="jd")`` of the same shape; convert with ``.utc`` etc.
    """
    seconds = np.asarray(seconds, dtype=np.float64)
    days = np.floor(seconds / SECONDS_PER_DAY)
    remainder = seconds - days * SECONDS_PER_DAY   # exact: both terms share the ulp of seconds
    return Time(J2000_JD + days, remainder / SECONDS_PER_DAY, format="jd", scale="tdb")


def table_times(times, scale: str = "utc", precision: int = 3):
    """Epochs as a table column written as ISO 8601 strings (``2027-01-03T07:48:12.345``).

    Every ECSV file massdriver writes goes through here, so time columns read back as
    ``Time`` in the named scale with ISO labels instead of Julian-date floats.

    Parameters
    ----------
    times : astropy.time.Time or sequence of Time
        Epochs (any scale); an empty sequence gives an empty column.
    scale : str
        Scale of the written labels, ``"utc"`` or ``"tdb"``.
    precision : int
        Decimal places of the seconds (3: milliseconds).

    Returns
    -------
    astropy.time.Time
        A copy in ``scale`` with format ``isot``.
    """
    if not isinstance(times, Time):
        times = Time(list(times)) if len(times) else Time([], format="jd", scale=scale)
    out = getattr(times, scale).copy(format="isot")
    out.precision = precision
    return out


def minute_text(time) -> str:
    """An epoch rounded to the nearest minute in its own scale, as ``2027-01-03 07:48``.

    The windows table of ``massdriver solve`` and the report's tables print epochs this way.
    """
    return str((time + TimeDelta(30.0, format="sec")).isot)[:16].replace("T", " ")
