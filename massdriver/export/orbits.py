"""poliastro-API objects (``boinor``) of a window: the ``Orbit`` at arrival and the insertion.

Built on :mod:`massdriver.interop.poliastro` (the states pass unchanged: boinor's Earth orbits
are in GCRS, whose axes are massdriver's ICRF axes). boinor is optional
(``pip install "massdriver[poliastro]"``).
"""

from __future__ import annotations

import astropy.units as u

from massdriver.budget import ArrivalState
from massdriver.interop.poliastro import _boinor, to_orbit

__all__ = ["arrival_orbit", "insertion_maneuver", "inserted_orbit"]


def arrival_orbit(case):
    """The boinor ``Orbit`` of the arrival perigee (before the insertion burn).

    Parameters
    ----------
    case : massdriver.export.ExportCase

    Returns
    -------
    boinor.twobody.Orbit
        Around the Earth, at the perigee epoch.
    """
    p = case.arrival
    return to_orbit(ArrivalState(p.position, p.velocity, p.epoch))


def insertion_maneuver(case):
    """The Earth burns as one boinor ``Maneuver``: the first at once, each other after its
    interval from the previous one (apply it to :func:`arrival_orbit`).

    Returns
    -------
    boinor.maneuver.Maneuver
    """
    _boinor()                                  # the one clear error if boinor is missing
    from boinor.maneuver import Maneuver

    earth = [b for b in case.burns if b.name != "mcc"]
    impulses, previous = [], None
    for b in earth:
        gap = 0.0 if previous is None else float((b.epoch.tdb - previous.tdb).to_value(u.s))
        impulses.append((gap * u.s, b.delta_v))
        previous = b.epoch
    return Maneuver(*impulses)


def inserted_orbit(case):
    """The orbit right after the last Earth burn (``arrival_orbit(case).apply_maneuver(...)``;
    boinor propagates two-body between the burns)."""
    return arrival_orbit(case).apply_maneuver(insertion_maneuver(case))
