"""Interop with both poliastro forks: boinor and hapsira ``Orbit`` objects, both ways.

hapsira 0.18.0 (its latest release) does not import with astropy >= 7 (``matrix_product`` was
removed from ``astropy.coordinates.matrix_utilities``): checked in a throwaway virtual
environment (hapsira 0.18.0, astropy 8.0.2: ``ImportError`` at ``import hapsira.twobody``).
So ``to_orbit(..., library="hapsira")`` must then fail with one clear ``InputError``, and
``from_orbit`` must read a hapsira ``Orbit`` through the attributes the forks share, without
importing either. Where hapsira does import (astropy < 7), the round trip runs for real.
"""

from __future__ import annotations

import sys
from types import SimpleNamespace

import astropy.units as u
import numpy as np
import pytest
from astropy.time import Time

from massdriver.budget import ArrivalState
from massdriver.errors import InputError
from massdriver.interop import poliastro as pa

EPOCH = Time("2027-01-08T07:33:15", scale="tdb")
R = [6778.0, 120.0, -40.0] * u.km
V = [0.3, 10.6, 1.4] * u.km / u.s


def _hapsira_importable() -> bool:
    try:
        import hapsira.twobody  # noqa: F401
    except Exception:               # ImportError, or astropy 7+ breaking it
        return False
    return True


def test_shared_attributes_are_read_without_any_fork():
    """What a hapsira (or boinor) Orbit exposes is enough: no import of either."""
    orbit = SimpleNamespace(attractor=SimpleNamespace(name="Earth", k=398600.4418 * u.km**3
                                                      / u.s**2), r=R, v=V, epoch=EPOCH)
    state = pa.from_orbit(orbit)
    assert np.all(state.position == R) and np.all(state.velocity == V) and state.epoch == EPOCH
    el = pa.elements_from_orbit(orbit)
    boinor = pytest.importorskip("boinor.twobody")
    from boinor.bodies import Earth

    ref = boinor.Orbit.from_vectors(Earth, R, V, epoch=EPOCH)
    assert el.eccentricity == pytest.approx(ref.ecc.value, rel=1e-12)
    assert el.inclination.to_value(u.deg) == pytest.approx(ref.inc.to_value(u.deg), rel=1e-12)


def test_not_an_orbit_or_not_the_earth_is_refused():
    with pytest.raises(InputError, match="poliastro-API Orbit"):
        pa.from_orbit(SimpleNamespace(r=R, v=V))
    moon = SimpleNamespace(attractor=SimpleNamespace(name="Moon"), r=R, v=V, epoch=EPOCH)
    with pytest.raises(InputError, match="around the Earth, got one around Moon"):
        pa.from_orbit(moon)
    with pytest.raises(InputError, match="library = 'poliastro'"):
        pa.to_orbit(ArrivalState(R, V, EPOCH), library="poliastro")


def test_unimportable_hapsira_is_one_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "hapsira.twobody", None)
    with pytest.raises(InputError, match="hapsira 0.18 fails with astropy >= 7"):
        pa.to_orbit(ArrivalState(R, V, EPOCH), library="hapsira")


@pytest.mark.skipif(not _hapsira_importable(), reason="hapsira not importable here "
                    "(not installed, or astropy >= 7)")
def test_hapsira_round_trip():
    from hapsira.bodies import Earth

    orbit = pa.to_orbit(ArrivalState(R, V, EPOCH), library="hapsira")
    assert orbit.attractor is Earth
    back = pa.from_orbit(orbit)
    assert np.allclose(back.position.to_value(u.km), R.to_value(u.km), rtol=0, atol=1e-9)
    assert np.allclose(back.velocity.to_value(u.km / u.s), V.to_value(u.km / u.s), rtol=0,
                       atol=1e-12)


def test_boinor_round_trip_through_the_shared_path():
    pytest.importorskip("boinor")
    orbit = pa.to_orbit(ArrivalState(R, V, EPOCH), library="boinor")
    back = pa.from_orbit(orbit)
    assert np.allclose(back.position.to_value(u.km), R.to_value(u.km), rtol=0, atol=1e-9)
