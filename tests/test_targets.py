"""Target orbits: SSO inclination, mean Sun, precession, J2 drift, Walker planes, config.

References
----------
[SMAD]  J. R. Wertz & W. J. Larson (eds.), "Space Mission Analysis and Design", 3rd ed. (1999),
        table "Earth Satellite Parameters" (inside back cover): sun-synchronous inclination
        97.79 deg at 600 km, 98.60 deg at 800 km (also Vallado 2013, sec. 9.6).
[AA]    The Astronomical Almanac, section C, low-precision formulas for the Sun (0.01 deg,
        1950-2050); equation of time extremes about +16.4 min (early November) and -14.2 min
        (mid February) (e.g. J. Meeus, "Astronomical Algorithms", 2nd ed., ch. 28).
[Lieske] J. H. Lieske et al., A&A 58, 1 (1977): IAU 1976 precession = ERFA pmat76.
[Vallado] D. A. Vallado, "Fundamentals of Astrodynamics and Applications", 4th ed. (2013):
        geostationary radius 42,164 km; J2 nodal regression eq. 9-41.
[Curtis] H. D. Curtis, "Orbital Mechanics for Engineering Students", 3rd ed., Example 4.3:
        r = (-6045, -3490, 2500) km, v = (-3.457, 6.618, 2.533) km/s -> h = 58,310 km^2/s,
        i = 153.2 deg, RAAN = 255.3 deg, e = 0.1712, argp = 20.07 deg, true anomaly 28.45 deg.
"""

from __future__ import annotations

import math

import astropy.units as u
import erfa
import numpy as np
import pytest
from astropy.coordinates import PrecessedGeocentric, get_sun
from astropy.time import Time
from scipy.integrate import solve_ivp

import massdriver.targets as tg
from massdriver.bodies import GM_EARTH, J2_EARTH, R_EARTH
from massdriver.config import Table, target_from_config, targets_from_config
from massdriver.errors import ConfigError, InputError
from massdriver.timescales import from_tdb_seconds, to_tdb_seconds

EPOCH = Time("2027-03-01T00:00:00", scale="tdb")
T0 = to_tdb_seconds(EPOCH)


# --- sun-synchronous -----------------------------------------------------------------------------
@pytest.mark.parametrize("alt, inc", [(600.0, 97.79), (800.0, 98.60)])
def test_sun_synchronous_inclination_matches_published(alt, inc):
    """[SMAD] table values (two decimals)."""
    t = tg.sun_synchronous(alt * u.km, "10:30")
    assert t.inclination.to_value(u.deg) == pytest.approx(inc, abs=0.006)


def test_sun_synchronous_rate_equals_mean_sun_rate():
    t = tg.sun_synchronous(700 * u.km)
    rate = tg.nodal_precession_rate(R_EARTH + 700, 0.0, t.inclination.to_value(u.rad))
    assert rate == pytest.approx(2 * math.pi / (365.2421897 * 86400), rel=1e-12)
    assert t.raan_rate.to_value(u.deg / u.day) == pytest.approx(360 / 365.2421897, rel=1e-12)
    with pytest.raises(InputError, match="no sun-synchronous"):
        tg.sun_synchronous(6500 * u.km)


@pytest.mark.parametrize("ltan, offset", [("06:00", -90.0), ("12:00", 0.0), ("18:00", 90.0),
                                          ("22:30", 157.5), (10.5, -22.5)])
def test_ltan_places_the_node_relative_to_the_mean_sun(ltan, offset):
    t = tg.sun_synchronous(600 * u.km, ltan)
    times = T0 + np.linspace(0, 365 * 86400, 50)
    d = np.degrees(t.raan_rad(times) - tg.mean_sun_right_ascension(times))
    np.testing.assert_allclose((d - offset + 180) % 360 - 180, 0.0, atol=1e-9)


def test_mean_sun_advances_360_deg_per_tropical_year():
    d = tg.mean_sun_right_ascension(T0 + 365.2421897 * 86400) - tg.mean_sun_right_ascension(T0)
    assert (math.degrees(d) + 180) % 360 - 180 == pytest.approx(0.0, abs=2e-5)


@pytest.mark.filterwarnings("ignore:ERFA function")   # future UTC leap seconds
def test_sun_right_ascension_against_astropy():
    """[AA] low-precision Sun vs astropy's get_sun in the mean equator/equinox of date."""
    times = Time("2000-01-01", scale="tdb") + np.linspace(0, 49.5 * 365.25, 37) * u.day
    sun = get_sun(times)
    ra_ref = np.array([
        sun[k].transform_to(PrecessedGeocentric(equinox=times[k])).ra.to_value(u.deg)
        for k in range(len(times))])
    ra = np.degrees(tg.sun_right_ascension(to_tdb_seconds(times)))
    err = (ra - ra_ref + 180) % 360 - 180
    assert np.max(np.abs(err)) < 0.02


def test_equation_of_time_extremes():
    """[AA] about +16.4 min in early November, -14.2 min in mid February."""
    times = T0 + np.arange(0, 366 * 86400, 3600.0)
    eot = np.degrees(tg.equation_of_time(times)) * 4.0     # minutes of time
    k_max, k_min = int(np.argmax(eot)), int(np.argmin(eot))
    assert eot[k_max] == pytest.approx(16.4, abs=0.3)
    assert eot[k_min] == pytest.approx(-14.2, abs=0.3)
    assert from_tdb_seconds(times[k_max]).datetime.month in (10, 11)
    assert from_tdb_seconds(times[k_min]).datetime.month == 2


def test_precession_matrix_equals_erfa_pmat76():
    """[Lieske] the numpy polynomials vs ERFA."""
    times = Time("1950-01-01", scale="tdb") + np.linspace(0, 100 * 365.25, 9) * u.day
    P = tg.precession_matrix(to_tdb_seconds(times))
    for k in range(len(times)):
        ref = erfa.pmat76(times[k].tdb.jd1, times[k].tdb.jd2)
        np.testing.assert_allclose(P[k], ref, atol=2e-14)
    np.testing.assert_allclose(tg.precession_matrix(0.0), np.eye(3), atol=1e-16)


def test_plane_normal_is_the_mean_of_date_normal_rotated_to_icrf():
    t = tg.sun_synchronous(600 * u.km, "06:00")
    times = T0 + np.array([0.0, 1e6, 3e7])
    n = t.plane_normal(times)
    P = tg.precession_matrix(times)
    n_mod = np.einsum("kij,kj->ki", P, n)
    inc = t.inclination.to_value(u.rad)
    om = t.raan_rad(times)
    expect = np.stack([np.sin(inc) * np.sin(om), -np.sin(inc) * np.cos(om),
                       np.full(3, np.cos(inc))], axis=1)
    np.testing.assert_allclose(n_mod, expect, atol=1e-14)
    np.testing.assert_allclose(np.linalg.norm(n, axis=1), 1.0, atol=1e-14)
    # the pole of date differs from the ICRF pole by the precession since J2000 (~0.15 deg)
    pole = t.pole(T0)[0]
    assert math.degrees(math.acos(pole[2])) == pytest.approx(0.1517, abs=0.002)


# --- J2 drift ------------------------------------------------------------------------------------
def test_iss_like_nodal_regression():
    """400 km, 51.6 deg: the well-known ~ -5.0 deg/day of the ISS."""
    t = tg.circular(400 * u.km, 51.6 * u.deg, 10 * u.deg, epoch=EPOCH)
    assert t.raan_rate.to_value(u.deg / u.day) == pytest.approx(-5.0, abs=0.1)
    later = EPOCH + 2 * u.day
    d = (t.raan_at(later) - t.raan_at(EPOCH)).to_value(u.deg)
    d = (d + 180) % 360 - 180
    assert d == pytest.approx(2 * t.raan_rate.to_value(u.deg / u.day), rel=1e-9)
    assert t.raan_at(EPOCH).to_value(u.deg) == pytest.approx(10.0, abs=1e-9)
    frozen = tg.circular(400 * u.km, 51.6 * u.deg, 10 * u.deg, epoch=EPOCH, raan_drift=False)
    assert frozen.raan_at(later).to_value(u.deg) == pytest.approx(10.0, abs=1e-9)


def test_j2_nodal_rate_against_numerical_integration():
    """Integrate two-body + J2 for 2 days (scipy DOP853) and fit the node's secular drift."""
    a, inc = R_EARTH + 600.0, math.radians(97.79)
    mu, J2, Re = GM_EARTH, J2_EARTH, R_EARTH

    def rhs(_t, y):
        x, yy, z = y[:3]
        r2 = x * x + yy * yy + z * z
        r = math.sqrt(r2)
        k = 1.5 * J2 * mu * Re**2 / r**5
        f = 5 * z * z / r2
        acc = -mu / r**3 * y[:3] + k * np.array([x * (f - 1), yy * (f - 1), z * (f - 3)])
        return np.concatenate([y[3:], acc])

    v = math.sqrt(mu / a)
    y0 = np.array([a, 0, 0, 0, v * math.cos(inc), v * math.sin(inc)])
    span = 2 * 86400.0
    sol = solve_ivp(rhs, (0, span), y0, method="DOP853", rtol=1e-11, atol=1e-9,
                    t_eval=np.linspace(0, span, 4001))
    h = np.cross(sol.y[:3].T, sol.y[3:].T)
    raan = np.unwrap(np.arctan2(h[:, 0], -h[:, 1]))
    slope = np.polyfit(sol.t, raan, 1)[0]
    assert slope == pytest.approx(tg.nodal_precession_rate(a, 0.0, inc), rel=0.01)
    assert slope == pytest.approx(tg.SUN_MEAN_MOTION, rel=0.01)   # it is sun-synchronous


# --- GEO, elements, Walker, free RAAN ------------------------------------------------------------
def test_geo():
    """[Vallado] r = 42,164 km, altitude 35,786 km."""
    g = tg.geo()
    assert g.perigee_radius.to_value(u.km) == pytest.approx(42164.17, abs=0.05)
    assert g.perigee_altitude.to_value(u.km) == pytest.approx(35786.0, abs=0.1)
    assert g.free_raan and g.inclination.to_value(u.deg) == 0.0
    with pytest.raises(InputError, match="free RAAN"):
        g.raan_rad(0.0)


def test_from_elements_and_validation():
    t = tg.from_elements(26600 * u.km, 0.74, 63.4 * u.deg, 40 * u.deg, 270 * u.deg, EPOCH)
    assert t.perigee_radius.to_value(u.km) == pytest.approx(26600 * 0.26)
    assert t.apogee_radius.to_value(u.km) == pytest.approx(26600 * 1.74)
    assert t.eccentricity == pytest.approx(0.74)
    # at the critical inclination the node still regresses
    assert t.raan_rate.to_value(u.deg / u.day) < 0
    assert t.raan_at(EPOCH).to_value(u.deg) == pytest.approx(40.0)
    with pytest.raises(InputError, match="ecc"):
        tg.from_elements(26600 * u.km, 1.2, 63.4 * u.deg, 0 * u.deg, 0 * u.deg, EPOCH)
    with pytest.raises(InputError, match="perigee_altitude"):
        tg.from_elements(7000 * u.km, 0.2, 63.4 * u.deg, 0 * u.deg, 0 * u.deg, EPOCH)
    with pytest.raises(InputError, match="inclination"):
        tg.circular(500 * u.km, 190 * u.deg)
    with pytest.raises(InputError, match="epoch"):
        tg.circular(500 * u.km, 50 * u.deg, 10 * u.deg)
    with pytest.raises(InputError, match="perigee_altitude"):
        tg.circular(-100 * u.km, 50 * u.deg)


def test_walker_planes():
    planes = tg.walker("53:1584/72/17", altitude=550 * u.km, epoch=EPOCH, raan0=7 * u.deg)
    assert len(planes) == 72
    raans = np.array([p.raan_at(EPOCH).to_value(u.deg) for p in planes])
    np.testing.assert_allclose((np.diff(raans) + 180) % 360 - 180, 5.0, atol=1e-9)
    assert raans[0] == pytest.approx(7.0)
    assert all(p.kind == "walker" and not p.free_raan for p in planes)
    assert all(p.inclination.to_value(u.deg) == 53.0 for p in planes)
    # the pattern drifts rigidly
    later = EPOCH + 10 * u.day
    later_raans = np.array([p.raan_at(later).to_value(u.deg) for p in planes])
    np.testing.assert_allclose((np.diff(later_raans) + 180) % 360 - 180, 5.0, atol=1e-9)
    assert tg.parse_walker("53:1584/72/17") == (53.0, 1584, 72, 17)
    same = tg.walker(53 * u.deg, 1584, 72, 17, 550 * u.km, epoch=EPOCH, raan0=7 * u.deg)
    assert same[5].raan_at(EPOCH) == planes[5].raan_at(EPOCH)
    with pytest.raises(InputError, match="multiple"):
        tg.walker(53 * u.deg, 100, 7, 1, 550 * u.km)
    with pytest.raises(InputError, match="phasing"):
        tg.walker(53 * u.deg, 72, 6, 6, 550 * u.km)
    with pytest.raises(InputError, match="notation"):
        tg.walker("53/1584/72", altitude=550 * u.km)


def test_free_raan_target_arrays():
    t = tg.circular(550 * u.km, 53 * u.deg)
    arr = t.plane_arrays(T0 + np.arange(3.0))
    assert arr.free_raan and arr.cos_inclination == pytest.approx(math.cos(math.radians(53)))
    assert arr.pole.shape == (3, 3) and np.all(arr.normal == 0)
    assert "any RAAN" in t.describe()


# --- elements of a state -------------------------------------------------------------------------
def test_elements_curtis_example_4_3():
    el = tg.elements_from_state([-6045, -3490, 2500] * u.km, [-3.457, 6.618, 2.533] * u.km / u.s,
                                mu=398600.0)
    assert el.inclination.to_value(u.deg) == pytest.approx(153.2, abs=0.05)
    assert el.raan.to_value(u.deg) == pytest.approx(255.3, abs=0.05)
    assert el.eccentricity == pytest.approx(0.1712, abs=5e-5)
    assert el.argument_of_periapsis.to_value(u.deg) == pytest.approx(20.07, abs=0.005)
    assert el.true_anomaly.to_value(u.deg) == pytest.approx(28.45, abs=0.005)
    a = el.semi_major_axis.to_value(u.km)
    h = math.sqrt(398600.0 * a * (1 - el.eccentricity**2))
    assert h == pytest.approx(58310, abs=5)       # Curtis quotes 4 significant figures
    r, v = tg.state_from_elements(el, mu=398600.0)
    np.testing.assert_allclose(r.to_value(u.km), [-6045, -3490, 2500], atol=1e-8)
    np.testing.assert_allclose(v.to_value(u.km / u.s), [-3.457, 6.618, 2.533], atol=1e-12)


# --- config --------------------------------------------------------------------------------------
def _cfg(**kw):
    return Table(kw, "target", "test.toml")


def test_from_config_each_kind():
    sso = target_from_config(_cfg(kind="sun_synchronous", altitude="600 km",
                                          ltan="06:00"))
    assert sso.ltan == 6.0 and sso.inclination.to_value(u.deg) == pytest.approx(97.788, abs=1e-3)
    sso2 = target_from_config(_cfg(kind="sun_synchronous", altitude=600, ltan=18.5))
    assert sso2.ltan == 18.5
    c = target_from_config(_cfg(kind="circular", altitude=550, inclination=53,
                                        raan="120 deg", epoch="2027-03-01T00:00 TDB",
                                        name="shell 1"))
    assert c.name == "shell 1" and c.raan_at(EPOCH).to_value(u.deg) == pytest.approx(120.0)
    free = target_from_config(_cfg(kind="circular", altitude=550, inclination=53))
    assert free.free_raan
    g = target_from_config(_cfg(kind="geo"))
    assert g.kind == "geo"
    e = target_from_config(_cfg(kind="elements", semi_major_axis="26600 km",
                                        eccentricity=0.74, inclination=63.4, raan=40,
                                        argument_of_perigee=270, epoch="2027-03-01T00:00 TDB",
                                        frame="icrf"))
    assert e.frame == "icrf"
    w = target_from_config(_cfg(kind="walker", inclination=53, total=1584, planes=72,
                                        phasing=17, altitude=550, plane=3,
                                        epoch="2027-03-01T00:00 TDB"))
    assert w.raan_at(EPOCH).to_value(u.deg) == pytest.approx(15.0)
    allp = targets_from_config(_cfg(kind="walker", inclination=53, total=1584, planes=72,
                                       phasing=17, altitude=550))
    assert len(allp) == 72


@pytest.mark.parametrize("table, match", [
    (dict(kind="circular", altitude=50, inclination=53), r"target\.altitude = 50: must be >= 120"),
    (dict(kind="circular", altitude=500, inclination=200), r"target\.inclination = 200"),
    (dict(kind="circular", altitude=500, inclination=50, raan=3), r"target\.epoch is missing"),
    (dict(kind="circular", altitude=500, inclinaton=50),
     r"target\.inclination is missing: .* did you mean 'inclination' instead of 'inclinaton'"),
    (dict(kind="circular", altitude=500, inclination=50, colour=1), r"target\.colour: unknown"),
    (dict(kind="torus"), r"target\.kind = 'torus': must be one of"),
    (dict(kind="sun_synchronous", altitude=600, ltan="6h"), r"target\.ltan"),
    (dict(kind="sun_synchronous", altitude=600, ltan=25), r"target\.ltan = 25"),
    (dict(kind="sun_synchronous", altitude=6500), r"no sun-synchronous"),
    (dict(kind="elements", semi_major_axis=7000, eccentricity=0.2, inclination=10, raan=0,
          epoch="2027-01-01"), r"target\.eccentricity = 0\.2: .*perigee altitude"),
    (dict(kind="walker", inclination=53, total=100, planes=7, phasing=1, altitude=550, plane=0),
     r"target\.total = 100: must be a multiple"),
    (dict(kind="walker", inclination=53, total=72, planes=6, phasing=1, altitude=550),
     r"target\.plane is missing"),
    (dict(kind="circular", altitude="500 kg", inclination=50), r"target\.altitude = '500 kg'"),
])
def test_from_config_errors_name_key_and_value(table, match):
    with pytest.raises(ConfigError, match=match):
        target_from_config(_cfg(**table))


def test_target_ranges_live_in_the_model():
    """The perigee and inclination ranges are TargetOrbit's own (issue 15 B.1): the API refuses
    a perigee beyond 150,000 km as the config did, and the config reports the model's range
    under its key."""
    with pytest.raises(InputError, match="perigee_altitude = 200000 km: .*passing"):
        tg.circular(200_000 * u.km, 30 * u.deg)
    assert tg.BOUNDS["perigee_altitude"].maximum == pytest.approx(150_000.0 - R_EARTH)
    with pytest.raises(ConfigError, match=r"^target\.altitude = 200000: must be >= 120 km and "
                                          r"<= 143622 km \(a closest approach"):
        target_from_config(_cfg(kind="circular", altitude=200000, inclination=30))
