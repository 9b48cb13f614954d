"""CCSDS Orbit Data Messages (CCSDS 502.0-B-2, version 2.0, KVN): OEM and OPM text.

Frame. massdriver's states are Earth-centred on ICRF axes (the axes of DE421). The files say
``CENTER_NAME = EARTH`` and ``REF_FRAME = ICRF``, which OEM/OPM 2.0 allow (SANA frame
registry), and a comment states that EME2000 (the mean equator and equinox of J2000) differs
from ICRF by the frame bias, a fixed rotation of less than 0.1 arcsec (about 0.02 arcsec, i.e.
some 40 m at the Moon's distance): a reader that treats ICRF as EME2000 is off by that much.

Time. ``TIME_SYSTEM = TDB`` (the integration's own scale) or ``UTC``; epochs are written with
microseconds (1 cm of motion at 11 km/s).

Units: km and km/s (the standard's), six and nine decimals (mm, um/s).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import astropy.units as u
import numpy as np
from astropy.time import Time

from massdriver.errors import InputError

__all__ = ["TIME_SYSTEMS", "oem_text", "opm_text", "FRAME_COMMENT"]

TIME_SYSTEMS = ("TDB", "UTC")
FRAME_COMMENT = ("States: Earth-centred, ICRF axes (REF_FRAME ICRF). EME2000 differs from ICRF "
                 "by the frame bias, < 0.1 arcsec (about 0.02 arcsec); these data are ICRF.")
#: Hermite interpolation degree advertised in the OEM (positions and velocities at each node)
INTERPOLATION_DEGREE = 7


def _check_time_system(time_system: str) -> str:
    ts = str(time_system).upper()
    if ts not in TIME_SYSTEMS:
        raise InputError(f"time system {time_system!r}: must be one of {', '.join(TIME_SYSTEMS)}")
    return ts


def epoch_text(times, time_system: str) -> list[str]:
    """ISO 8601 epochs (``2027-01-03T07:49:35.809000``) in ``time_system``."""
    t = times.tdb if time_system == "TDB" else times.utc
    t = t.copy()
    t.precision = 6
    out = t.isot
    return [str(x) for x in np.atleast_1d(out)]


def _creation_date() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _header(kind: str, comments: list[str], creation_date: str | None) -> list[str]:
    lines = [f"CCSDS_{kind}_VERS = 2.0"]
    lines += [f"COMMENT {c}" for c in comments]
    lines += [f"CREATION_DATE = {creation_date or _creation_date()}",
              "ORIGINATOR = massdriver", ""]
    return lines


def _object_id(case) -> str:
    return f"MASSDRIVER-{case.name.upper().replace('_', '-')}"


def _budget_comments(case) -> list[str]:
    b = case.budget
    parts = [f"{k} {float(b[k + '_km_s']):.4f}" for k in
             ("mcc", "insertion", "plane_change", "circularization", "margin", "total")
             if k + "_km_s" in b]
    return [f"Budget ({b.get('strategy', '?')}, km/s): " + ", ".join(parts) + ".",
            "Burns: only the MCC (if the strategy has one) and the insertion's capture part "
            "have an epoch and a direction; the plane change and circularization are priced "
            "as magnitudes only."]


def oem_text(case, *, time_system: str = "TDB", creation_date: str | None = None) -> str:
    """An OEM 2.0 KVN message of ``case``'s sampled coast.

    Parameters
    ----------
    case : massdriver.export.ExportCase
    time_system : {"TDB", "UTC"}
    creation_date : str, optional
        ``CREATION_DATE`` (UTC, ISO 8601); default now.

    Returns
    -------
    str
    """
    ts = _check_time_system(time_system)
    ep = epoch_text(case.times, ts)
    r = case.positions.to_value(u.km)
    v = case.velocities.to_value(u.km / u.s)
    step = float(case.step.to_value(u.s))
    comments = [f"{case.mission_name}, {case.name}: coast from the lunar track exit to the Earth "
                "perigee.",
                "Ephemeris force model: point-mass Earth, Moon, Sun (JPL DE421), Earth J2, lunar "
                "J2/C22 near the Moon; adaptive DOP853.",
                f"States from the integrator's dense output every {step:g} s; the last line is "
                "the arrival perigee."]
    lines = _header("OEM", comments, creation_date)
    lines += ["META_START",
              f"OBJECT_NAME = {case.mission_name} {case.name}",
              f"OBJECT_ID = {_object_id(case)}",
              "CENTER_NAME = EARTH",
              "REF_FRAME = ICRF",
              f"TIME_SYSTEM = {ts}",
              f"START_TIME = {ep[0]}",
              f"STOP_TIME = {ep[-1]}",
              "INTERPOLATION = HERMITE",
              f"INTERPOLATION_DEGREE = {INTERPOLATION_DEGREE}",
              "META_STOP", "",
              f"COMMENT {FRAME_COMMENT}"]
    lines += [f"COMMENT {c}" for c in _budget_comments(case)]
    for k in range(len(ep)):
        lines.append(f"{ep[k]} {r[k, 0]:.6f} {r[k, 1]:.6f} {r[k, 2]:.6f} "
                     f"{v[k, 0]:.9f} {v[k, 1]:.9f} {v[k, 2]:.9f}")
    return "\n".join(lines) + "\n"


def opm_text(case, *, time_system: str = "TDB", creation_date: str | None = None,
             state: str = "launch") -> str:
    """An OPM 2.0 KVN message: a state of ``case`` and its burns as maneuver blocks.

    Parameters
    ----------
    case : massdriver.export.ExportCase
    time_system : {"TDB", "UTC"}
    creation_date : str, optional
    state : {"launch", "arrival"}
        The state vector given: at track exit (default; every burn follows it) or at the
        arrival perigee (before the insertion burn).

    Returns
    -------
    str
        Maneuvers are impulsive (``MAN_DURATION = 0``), ``MAN_REF_FRAME = ICRF``;
        ``MAN_DELTA_MASS`` from the rocket equation with the case's Isp and mass.
    """
    ts = _check_time_system(time_system)
    if state not in ("launch", "arrival"):
        raise InputError(f"state = {state!r}: must be 'launch' or 'arrival'")
    if state == "launch":
        epoch, r, v = case.times[0], case.positions[0], case.velocities[0]
    else:
        p = case.arrival
        epoch, r, v = p.epoch, p.position, p.velocity
    r = r.to_value(u.km)
    v = v.to_value(u.km / u.s)
    comments = [f"{case.mission_name}, {case.name}: state at the "
                f"{'lunar track exit' if state == 'launch' else 'arrival perigee'} and the "
                "impulsive burns.", FRAME_COMMENT]
    lines = _header("OPM", comments, creation_date)
    lines += [f"OBJECT_NAME = {case.mission_name} {case.name}",
              f"OBJECT_ID = {_object_id(case)}",
              "CENTER_NAME = EARTH",
              "REF_FRAME = ICRF",
              f"TIME_SYSTEM = {ts}", "",
              f"EPOCH = {epoch_text(epoch, ts)[0]}",
              f"X = {r[0]:.6f}", f"Y = {r[1]:.6f}", f"Z = {r[2]:.6f}",
              f"X_DOT = {v[0]:.9f}", f"Y_DOT = {v[1]:.9f}", f"Z_DOT = {v[2]:.9f}", "",
              f"COMMENT Mass at the state epoch: the launcher's payload mass. Propellant of "
              f"each burn by the rocket equation, Isp {float(case.isp.to_value(u.s)):g} s "
              f"(assumed).",
              f"MASS = {float(case.mass.to_value(u.kg)):.3f}", ""]
    lines += [f"COMMENT {c}" for c in _budget_comments(case)]
    for b in case.burns:
        dv = b.delta_v.to_value(u.km / u.s)
        lines += [f"COMMENT {b.name}: {b.description}",
                  f"MAN_EPOCH_IGNITION = {epoch_text(b.epoch, ts)[0]}",
                  "MAN_DURATION = 0.0",
                  f"MAN_DELTA_MASS = {float(b.delta_mass.to_value(u.kg)):.3f}",
                  "MAN_REF_FRAME = ICRF",
                  f"MAN_DV_1 = {dv[0]:.9f}", f"MAN_DV_2 = {dv[1]:.9f}",
                  f"MAN_DV_3 = {dv[2]:.9f}", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def parse_epochs(text: Any, time_system: str):
    """Epoch strings of a message back to an astropy ``Time`` (helper for readers)."""
    return Time(list(np.atleast_1d(text)), scale=_check_time_system(time_system).lower())
