"""poliastro-API interop (boinor): conversions, and insertion budgets vs boinor maneuvers."""

from __future__ import annotations

import math
import sys

import astropy.units as u
import numpy as np
import pytest
from astropy.time import Time
from scipy.spatial.transform import Rotation

import massdriver.targets as tg
from massdriver.bodies import R_EARTH
from massdriver.budget import ArrivalState, budget_arrays, combined_burn_delta_v, delta_v_budget
from massdriver.errors import InputError
from massdriver.timescales import to_tdb_seconds

boinor = pytest.importorskip("boinor")
from boinor.bodies import Earth  # noqa: E402
from boinor.maneuver import Maneuver  # noqa: E402
from boinor.twobody import Orbit  # noqa: E402

from massdriver.interop import poliastro as pa  # noqa: E402

# boinor's own numba code warns about non-contiguous arrays; not ours to fix
pytestmark = pytest.mark.filterwarnings("ignore::numba.core.errors.NumbaPerformanceWarning")

EPOCH = Time("2027-03-01T00:00:00", scale="tdb")
T0 = to_tdb_seconds(EPOCH)
K = Earth.k.to_value(u.km**3 / u.s**2)


def _kms(q):
    return q.to_value(u.km / u.s)


@pytest.mark.parametrize("r_f", [12000.0, 42164.0, 90000.0])
def test_hohmann_equals_boinor(r_f):
    orbit_i = Orbit.circular(Earth, 400 * u.km, inc=0 * u.deg, epoch=EPOCH)
    # equatorial in GCRS (= ICRF axes), free RAAN
    target = tg.circular((r_f - R_EARTH) * u.km, 0 * u.deg, frame="icrf")
    b = pa.budget_for_orbit(orbit_i, target)
    hoh = _kms(Maneuver.hohmann(orbit_i, r_f * u.km).get_total_cost())
    perigee = next(x for x in (b, *b.alternatives) if x.strategy == "perigee_burn")
    assert _kms(perigee.total) == pytest.approx(hoh, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("r_b, r_f", [(150000.0, 90000.0), (600000.0, 140000.0)])
def test_bielliptic_equals_boinor_high_ellipse(r_b, r_f):
    """Strategy high_ellipse with a fixed capture apoapsis r_b is the bi-elliptic transfer."""
    orbit_i = Orbit.circular(Earth, 500 * u.km, inc=0 * u.deg, epoch=EPOCH)
    target = pa.target_from_orbit(Orbit.circular(Earth, r_f * u.km - Earth.R, epoch=EPOCH))
    b = pa.budget_for_orbit(orbit_i, target, capture_apoapsis=r_b * u.km,
                            optimize_capture=False)
    he = next(x for x in (b, *b.alternatives) if x.strategy == "high_ellipse")
    ref = _kms(Maneuver.bielliptic(orbit_i, r_b * u.km, r_f * u.km).get_total_cost())
    assert _kms(he.total) == pytest.approx(ref, rel=1e-12)
    assert he.capture_apoapsis_radius.to_value(u.km) == r_b
    # the budget keeps the cheaper of Hohmann (perigee_burn) and bi-elliptic (high_ellipse);
    # which one wins depends on r_f / r_i and r_b (Vallado 2013, fig. 6-8)
    hoh = _kms(Maneuver.hohmann(orbit_i, r_f * u.km).get_total_cost())
    assert _kms(b.total) == pytest.approx(min(hoh, ref), rel=1e-12)
    assert b.strategy == ("high_ellipse" if ref < hoh else "perigee_burn")


def test_impulse_puts_the_arrival_into_the_target_plane():
    """The combined perigee burn, applied with Maneuver.impulse, yields the target orbit."""
    tgt_orbit = Orbit.circular(Earth, 600 * u.km, inc=51.6 * u.deg, raan=40 * u.deg,
                               epoch=EPOCH)
    target = pa.target_from_orbit(tgt_orbit, raan_drift=False)
    assert target.frame == "icrf"
    n_t = target.plane_normal(T0)[0]
    h = np.cross(*[x.to_value(x.unit) for x in tgt_orbit.rv()])
    np.testing.assert_allclose(n_t, h / np.linalg.norm(h), atol=1e-12)
    rp = tgt_orbit.a.to_value(u.km)
    rhat = np.array([0.3, -0.4, 0.2])
    rhat -= (rhat @ n_t) * n_t
    rhat /= np.linalg.norm(rhat)
    n_a = Rotation.from_rotvec(rhat * math.radians(25.0)).apply(n_t)
    va = math.sqrt(0.9**2 + 2 * K / rp)
    arr = Orbit.from_vectors(Earth, rhat * rp * u.km, va * np.cross(n_a, rhat) * u.km / u.s,
                             epoch=EPOCH)
    st = pa.from_orbit(arr)
    dv = combined_burn_delta_v(st.position.value, st.velocity.value, T0, target, mu=K)
    final = arr.apply_maneuver(Maneuver.impulse(dv * u.km / u.s))
    assert final.ecc.value < 1e-9
    assert final.a.to_value(u.km) == pytest.approx(rp, rel=1e-10)
    assert final.inc.to_value(u.deg) == pytest.approx(51.6, abs=1e-8)
    assert final.raan.to_value(u.deg) == pytest.approx(40.0, abs=1e-8)
    b = pa.budget_for_orbit(arr, target)
    perigee = next(x for x in (b, *b.alternatives) if x.strategy == "perigee_burn")
    cost = _kms(Maneuver.impulse(dv * u.km / u.s).get_total_cost())
    assert _kms(perigee.total) == pytest.approx(cost, abs=1e-9)


def test_elements_match_boinor():
    rng = np.random.default_rng(4)
    for _ in range(20):
        a = rng.uniform(7000, 50000)
        ecc = rng.uniform(0.01, 0.9)
        if a * (1 - ecc) < 6600:
            continue
        orb = Orbit.from_classical(Earth, a * u.km, ecc * u.one, rng.uniform(1, 179) * u.deg,
                                   rng.uniform(0, 360) * u.deg, rng.uniform(0, 360) * u.deg,
                                   rng.uniform(-179, 179) * u.deg, epoch=EPOCH)
        el = pa.elements_from_orbit(orb)
        assert el.semi_major_axis.to_value(u.km) == pytest.approx(orb.a.to_value(u.km),
                                                                  rel=1e-10)
        assert el.eccentricity == pytest.approx(orb.ecc.value, abs=1e-10)
        for mine, theirs in ((el.inclination, orb.inc), (el.raan, orb.raan),
                             (el.argument_of_periapsis, orb.argp), (el.true_anomaly, orb.nu)):
            d = (mine.to_value(u.deg) - theirs.to_value(u.deg) + 180) % 360 - 180
            assert abs(d) < 1e-7


def test_round_trips():
    state = ArrivalState([7000.0, 100.0, -300.0] * u.km, [0.5, 10.4, 2.0] * u.km / u.s, EPOCH)
    orb = pa.to_orbit(state)
    back = pa.from_orbit(orb)
    np.testing.assert_allclose(back.position.to_value(u.km), state.position.value, atol=1e-9)
    np.testing.assert_allclose(back.velocity.to_value(u.km / u.s), state.velocity.value,
                               atol=1e-12)
    assert back.epoch == EPOCH
    orb2 = pa.to_orbit((state.position, state.velocity), EPOCH)
    np.testing.assert_allclose(orb2.r.to_value(u.km), state.position.value, atol=1e-9)
    el = tg.elements_from_state(state.position, state.velocity, EPOCH)
    orb3 = pa.to_orbit(el)
    np.testing.assert_allclose(orb3.r.to_value(u.km), state.position.value, atol=1e-6)


def test_target_to_orbit_lies_in_the_target_plane():
    target = tg.sun_synchronous(600 * u.km, "10:30")
    orb = pa.to_orbit(target, EPOCH)
    r, v = (x.to_value(x.unit) for x in orb.rv())
    h = np.cross(r, v)
    np.testing.assert_allclose(h / np.linalg.norm(h), target.plane_normal(T0)[0], atol=1e-12)
    assert orb.a.to_value(u.km) == pytest.approx(R_EARTH + 600.0, rel=1e-12)
    with pytest.raises(InputError, match="free RAAN"):
        pa.to_orbit(tg.circular(500 * u.km, 50 * u.deg), EPOCH)
    free = pa.to_orbit(tg.circular(500 * u.km, 50 * u.deg), EPOCH, raan=10 * u.deg)
    assert free.inc.to_value(u.deg) == pytest.approx(50.0, abs=0.2)   # mean-of-date vs GCRS
    with pytest.raises(InputError, match="epoch"):
        pa.to_orbit(target)


def test_budget_for_orbit_equals_delta_v_budget():
    target = tg.sun_synchronous(600 * u.km, "06:00")
    orb = Orbit.from_vectors(Earth, [6978.0, 0, 0] * u.km, [0, 10.7, 1.2] * u.km / u.s,
                             epoch=EPOCH)
    a = pa.budget_for_orbit(orb, target, mu=K)
    b = delta_v_budget(orb.r, orb.v, EPOCH, target, mu=K)
    assert a.total == b.total and a.strategy == b.strategy
    raw = budget_arrays(orb.r.to_value(u.km), orb.v.to_value(u.km / u.s), T0, target, mu=K)
    assert _kms(a.total) == pytest.approx(raw.total[0], abs=1e-12)


def test_missing_boinor_is_a_clear_input_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "boinor.twobody", None)
    with pytest.raises(InputError, match=r"massdriver\[poliastro\]"):
        pa.to_orbit(ArrivalState([7000.0, 0, 0] * u.km, [0, 8.0, 0] * u.km / u.s, EPOCH))


def test_non_earth_orbit_is_rejected():
    from boinor.bodies import Mars

    orb = Orbit.circular(Mars, 400 * u.km, epoch=EPOCH)
    with pytest.raises(InputError, match="around the Earth"):
        pa.from_orbit(orb)
