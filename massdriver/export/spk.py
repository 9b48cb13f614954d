"""SPICE SPK files (type 13: Hermite interpolation of unequally spaced states) via ``spiceypy``.

The segment holds the exported states of each case (the dense-output samples and the arrival
perigee) relative to the Earth (NAIF 399) in the ``J2000`` frame. In SPICE, ``J2000`` is the
inertial frame of the JPL planetary ephemerides (DE421's frame is the ICRF; NAIF treats the two
as one and ignores the frame bias, < 0.1 arcsec), so the ICRF states go in unchanged. Epochs are
TDB seconds past J2000 (SPICE's ephemeris time).

``spiceypy`` is optional (``pip install "massdriver[export]"``); without it :func:`write_spk`
raises :class:`~massdriver.errors.InputError` saying how to install it.
"""

from __future__ import annotations

import os
from pathlib import Path

import astropy.units as u
import numpy as np

from massdriver.errors import InputError

__all__ = ["write_spk", "DEFAULT_NAIF_ID", "SPK_DEGREE"]

#: default NAIF id of the spacecraft (negative: spacecraft ids are negative in SPICE)
DEFAULT_NAIF_ID = -999001
#: type 13 Hermite polynomial degree (odd: 7 uses a window of 4 states)
SPK_DEGREE = 7
EARTH = 399


def _spiceypy():
    try:
        import spiceypy
    except ImportError:
        raise InputError("SPK export needs the 'spiceypy' package: pip install "
                         "'massdriver[export]'") from None
    return spiceypy


def check_naif_id(naif_id) -> int:
    """A spacecraft NAIF id: a negative integer (an ``int`` or its text)."""
    try:
        if isinstance(naif_id, bool):
            raise ValueError
        value = int(str(naif_id).strip())
    except (TypeError, ValueError):
        raise InputError(f"NAIF id {naif_id!r}: expected a negative integer") from None
    if value >= 0 or value < -(2**31):
        raise InputError(f"NAIF id {naif_id!r}: spacecraft ids are negative 32-bit integers")
    return value


def write_spk(path: str | os.PathLike, cases, *, naif_id: int = DEFAULT_NAIF_ID,
              degree: int = SPK_DEGREE) -> Path:
    """Write one type 13 segment per case into a new SPK file at ``path``.

    Parameters
    ----------
    path : path
        The file (must not exist: SPICE refuses to overwrite; callers write to a temporary
        name and move it).
    cases : sequence of massdriver.export.ExportCase
        Their coasts must not overlap in time if they share ``naif_id`` (one id per file
        here: windows are days apart).
    naif_id : int
        Spacecraft id (negative).
    degree : int
        Hermite degree (odd, 1..15).

    Returns
    -------
    pathlib.Path
    """
    sp = _spiceypy()
    body = check_naif_id(naif_id)
    if degree not in range(1, 16, 2):
        raise InputError(f"degree = {degree!r}: must be odd, 1..15")
    p = Path(path)
    if p.exists():
        raise InputError(f"{p} exists (SPK files are not overwritten in place)")
    handle = sp.spkopn(str(p), "massdriver export", 0)
    try:
        for case in cases:
            et = case.times_tdb_seconds
            states = np.hstack([case.positions.to_value(u.km),
                                case.velocities.to_value(u.km / u.s)])
            segid = f"massdriver {case.name}"[:40]
            sp.spkw13(handle, body, EARTH, "J2000", float(et[0]), float(et[-1]), segid,
                      degree, len(et), np.ascontiguousarray(states), np.ascontiguousarray(et))
    finally:
        sp.spkcls(handle)
    return p
