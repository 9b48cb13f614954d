"""massdriver.propagate: any state, ephemeris or CR3BP model, events, dense output.

[JPL-3B] JPL Three-Body Periodic Orbits database (https://ssd.jpl.nasa.gov/tools/
periodic_orbits.html), Earth-Moon southern L2 halo: x0 = 1.0809931218390707,
z0 = -2.0235953267405354e-01, vy0 = -1.9895001215078018e-01, period 2.3538670417546639.
"""

from __future__ import annotations

import astropy.units as u
import numpy as np
import pytest
from astropy.time import Time

import massdriver
from massdriver.errors import InputError

HALO = np.array([1.0809931218390707, 0.0, -2.0235953267405354e-01, 0.0,
                 -1.9895001215078018e-01, 0.0])
PERIOD = 2.3538670417546639
EPOCH = Time("2027-01-08T07:33:15", scale="tdb")


def test_cr3bp_halo_closes_and_dense_output_finds_the_half_period_crossing():
    """[JPL-3B]: one period returns to the start; at half a period (dense output) the orbit
    crosses the xz plane perpendicularly; Jacobi is conserved."""
    from massdriver import cr3bp

    prop = massdriver.propagate(HALO, EPOCH, PERIOD, model="cr3bp", rtol=1e-13)
    assert prop.status == "done"
    y_end = np.concatenate([prop.positions[-1].value, prop.velocities[-1].value])
    assert np.max(np.abs(y_end - HALO)) < 1e-10
    half = EPOCH + PERIOD / 2 * massdriver.bodies.CR3BP_TIME_UNIT * u.s
    _, r, v = prop.at(Time([half]))
    assert abs(r[0, 1].value) < 1e-10 and abs(v[0, 0].value) < 1e-10 and \
        abs(v[0, 2].value) < 1e-10
    y_half = np.concatenate([r[0].value, v[0].value])
    assert cr3bp.jacobi_constant(y_half) == pytest.approx(cr3bp.jacobi_constant(HALO), abs=1e-12)
    # a Quantity tof is converted with the time unit
    again = massdriver.propagate(HALO, EPOCH, PERIOD * massdriver.bodies.CR3BP_TIME_UNIT * u.s,
                                 model="cr3bp", rtol=1e-13)
    assert np.allclose(again.positions[-1].value, prop.positions[-1].value, atol=1e-12)


def test_ephemeris_leo_round_trip_event_and_dense_output():
    r0 = [6778.0, 0.0, 0.0] * u.km
    v0 = [0.0, 6.7, 3.6] * u.km / u.s
    fwd = massdriver.propagate((r0, v0), EPOCH, 0.5 * u.day)
    assert fwd.status == "done" and fwd.times[-1].tdb.isot.startswith("2027-01-08T19:33:15")
    back = massdriver.propagate((fwd.positions[-1], fwd.velocities[-1]), fwd.times[-1],
                                -0.5 * u.day)
    assert np.linalg.norm((back.positions[-1] - r0).to_value(u.m)) < 1.0
    # dense output at the stored step epochs equals the stored states
    idx = np.arange(5, len(fwd.times) - 1, 40)
    _, r, _ = fwd.at(fwd.times[idx])
    assert np.max(np.abs((r - fwd.positions[idx]).to_value(u.m))) < 1e-3
    # a terminal perigee: r . v = 0 there
    stop = massdriver.propagate((r0 * 1.2, v0 * 0.95), EPOCH, 1 * u.day, events=["perigee"])
    assert stop.status == "perigee"
    rv = float(np.dot(stop.positions[-1].to_value(u.km), stop.velocities[-1].to_value(u.km / u.s)))
    assert abs(rv) < 1e-6
    assert stop.representation.x.unit == u.km


def test_orbit_objects_and_bad_input():
    boinor = pytest.importorskip("boinor.twobody")
    from boinor.bodies import Earth

    orbit = boinor.Orbit.from_vectors(Earth, [7000.0, 0, 0] * u.km, [0, 7.5, 0.5] * u.km / u.s,
                                      epoch=EPOCH)
    prop = massdriver.propagate(orbit, tof=600 * u.s)
    assert prop.epoch.tdb.isot == EPOCH.tdb.isot and prop.status == "done"
    # the Orbit's own state is the start, and the coast is the one of the same raw vectors
    assert np.array_equal(prop.positions[0].to_value(u.km), [7000.0, 0.0, 0.0])
    assert np.array_equal(prop.velocities[0].to_value(u.km / u.s), [0.0, 7.5, 0.5])
    raw = massdriver.propagate(([7000.0, 0, 0] * u.km, [0, 7.5, 0.5] * u.km / u.s), EPOCH,
                               600 * u.s)
    assert np.array_equal(prop.positions[-1].value, raw.positions[-1].value)
    assert (prop.times[-1] - EPOCH).to_value(u.s) == pytest.approx(600.0, abs=1e-6)
    for kwargs in ({"model": "nbody"}, {"events": ["apogee"]}, {"rtol": 1e-3}):
        with pytest.raises(InputError):
            massdriver.propagate(orbit, tof=600 * u.s, **kwargs)
    with pytest.raises(InputError):
        massdriver.propagate(orbit, tof=0 * u.s)
    with pytest.raises(InputError):
        massdriver.propagate([1.0, 2.0], EPOCH, 1.0, model="cr3bp")
    with pytest.raises(InputError):
        prop.at(EPOCH + [1, 2] * u.day)
