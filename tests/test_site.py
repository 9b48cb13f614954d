"""Tests of massdriver.site (LaunchSite) and the launch-state kernels (massdriver.kernels.frames).

References
----------
- Sidereal month 27.321661 d and mean lunar radius 1737.4 km (Archinal et al. 2011, CMDA 109:101):
  equatorial rotation speed 2 pi 1737.4 km / 27.321661 d = 4.6244 m/s.
- Independent recomputation of the launch state with numpy from the units-aware
  massdriver.ephemeris functions (Moon state, orientation matrix and its rate).
- NAIF frame kernel moon_080317.tf (PA -> ME rotation, frame 31007).
"""

from __future__ import annotations

import math

import astropy.units as u
import numpy as np
import pytest
from astropy.time import Time
from hypothesis import given, settings
from hypothesis import strategies as st

from massdriver import bodies
from massdriver.ephemeris import Ephemeris, moon_orientation, moon_state, pa_to_me_matrix
from massdriver.errors import EphemerisRangeError, InputError
from massdriver.site import LaunchSite
from massdriver.timescales import to_tdb_seconds

EPOCH = Time("2027-03-01T00:00:00", scale="tdb")
SIDEREAL_MONTH_S = 27.321661 * 86400.0


def _expected_state(site: LaunchSite, epoch, speed_km_s: float):
    """Launch state recomputed in numpy: r = r_moon + R^T x, v = v_moon + dR^T x + w R^T d."""
    moon = moon_state(epoch)
    r_mat, dr_mat = moon_orientation(epoch, rate=True)
    x = site.position_body().to_value(u.km)
    d = site.direction_body()
    r = moon.position.to_value(u.km) + r_mat.T @ x
    v = moon.velocity.to_value(u.km / u.s) + dr_mat.T @ x + speed_km_s * (r_mat.T @ d)
    return r, v, r_mat


def test_launch_state_matches_independent_numpy_computation():
    site = LaunchSite(lat=-3.0 * u.deg, lon=-23.5 * u.deg, height=1.2 * u.km,
                      azimuth=75 * u.deg, elevation=2 * u.deg, name="Procellarum")
    state = site.launch_state(EPOCH, 2.45 * u.km / u.s)
    r, v, _ = _expected_state(site, EPOCH, 2.45)
    np.testing.assert_allclose(state.position.to_value(u.km), r, rtol=0, atol=1e-8)
    np.testing.assert_allclose(state.velocity.to_value(u.km / u.s), v, rtol=0, atol=1e-12)
    # the site is at R_MOON + height from the Moon's centre
    offset = state.position - moon_state(EPOCH).position
    assert np.linalg.norm(offset).to_value(u.km) == pytest.approx(bodies.R_MOON + 1.2, abs=1e-9)


def test_equatorial_surface_speed_is_4_6_m_per_s():
    """Equator: 2 pi R / sidereal month = 4.6244 m/s (measured 4.6239..4.6250 m/s at lon 0 over
    1952-2047, libration included); pole: < 0.01 m/s (measured max 0.005 m/s)."""
    expected = 2 * math.pi * bodies.R_MOON / SIDEREAL_MONTH_S * 1000.0   # m/s
    assert expected == pytest.approx(4.6244, abs=1e-4)
    epochs = Time(np.linspace(2434000.5, 2468000.5, 60), format="jd", scale="tdb")
    for lat, speed in ((0.0, expected), (90.0, 0.0), (45.0, expected * math.cos(math.pi / 4))):
        site = LaunchSite(lat=lat * u.deg, lon=0 * u.deg)
        moving = site.launch_state(epochs, 0.0 * u.km / u.s).velocity
        surface = (moving - moon_state(epochs).velocity).to_value(u.m / u.s)
        measured = np.linalg.norm(surface, axis=1)
        assert np.all(np.abs(measured - speed) < 0.01 * expected)


def _icrf_direction(site, epoch, speed=1.0):
    """Unit launch direction in ICRF, from the launch state minus Moon and surface velocity."""
    zero = site.launch_state(epoch, 0.0 * u.km / u.s).velocity
    fast = site.launch_state(epoch, speed * u.km / u.s).velocity
    return ((fast - zero) / (speed * u.km / u.s)).to_value(u.one)


def test_horizontal_track_is_perpendicular_to_radius_and_azimuth_zero_points_north():
    for lat in (-60.0, 0.0, 30.0):
        north_site = LaunchSite(lat=lat * u.deg, lon=100 * u.deg, azimuth=0 * u.deg)
        _, _, r_mat = _expected_state(north_site, EPOCH, 0.0)
        radial = r_mat.T @ north_site.position_body().to_value(u.km)
        radial /= np.linalg.norm(radial)
        pole = r_mat.T @ np.array([0.0, 0.0, 1.0])
        east = np.cross(pole, radial)
        east /= np.linalg.norm(east)
        direction = _icrf_direction(north_site, EPOCH)
        assert np.linalg.norm(direction) == pytest.approx(1.0, abs=1e-9)
        assert abs(direction @ radial) < 1e-9                     # horizontal
        assert abs(direction @ east) < 1e-9                       # no east component
        assert direction @ pole == pytest.approx(math.cos(math.radians(lat)), abs=1e-9)
        east_site = LaunchSite(lat=lat * u.deg, lon=100 * u.deg, azimuth=90 * u.deg)
        np.testing.assert_allclose(_icrf_direction(east_site, EPOCH), east, atol=1e-9, rtol=0)
        up_site = LaunchSite(lat=lat * u.deg, lon=100 * u.deg, elevation=90 * u.deg)
        np.testing.assert_allclose(_icrf_direction(up_site, EPOCH), radial, atol=1e-9, rtol=0)


@settings(max_examples=60, deadline=None)
@given(lat=st.floats(-90, 90), lon=st.floats(-360, 360), az=st.floats(0, 360),
       el=st.floats(0, 90))
def test_direction_components_in_local_frame(lat, lon, az, el):
    """d = cos(el) (sin(az) e + cos(az) n) + sin(el) u, with (e, n, u) orthonormal, right-handed."""
    site = LaunchSite(lat=lat * u.deg, lon=lon * u.deg, azimuth=az * u.deg, elevation=el * u.deg)
    east, north, up = site.enu_basis_body()
    np.testing.assert_allclose(site.enu_basis_body() @ site.enu_basis_body().T, np.eye(3),
                               atol=1e-14, rtol=0)
    np.testing.assert_allclose(np.cross(east, north), up, atol=1e-14, rtol=0)
    d = site.direction_body()
    a, e = math.radians(az), math.radians(el)
    assert d @ up == pytest.approx(math.sin(e), abs=1e-12)
    assert d @ north == pytest.approx(math.cos(e) * math.cos(a), abs=1e-12)
    assert d @ east == pytest.approx(math.cos(e) * math.sin(a), abs=1e-12)


def test_mean_earth_frame_site():
    """A site given in ME coordinates sits at M^T x_ME in the PA frame (M = PA -> ME): the
    same lat/lon in PA and ME are 0.4-0.9 km apart on the surface."""
    lat, lon = 12.0, -40.0
    me_site = LaunchSite(lat=lat * u.deg, lon=lon * u.deg, frame="me", azimuth=0 * u.deg)
    pa_site = LaunchSite(lat=lat * u.deg, lon=lon * u.deg, frame="PA", azimuth=0 * u.deg)
    assert me_site.frame == "ME"
    radius = bodies.R_MOON
    x_me = radius * np.array([math.cos(math.radians(lat)) * math.cos(math.radians(lon)),
                              math.cos(math.radians(lat)) * math.sin(math.radians(lon)),
                              math.sin(math.radians(lat))])
    m = pa_to_me_matrix()
    np.testing.assert_allclose(me_site.position_body().to_value(u.km), m.T @ x_me, atol=1e-9,
                               rtol=0)
    gap = np.linalg.norm(me_site.position_body() - pa_site.position_body()).to_value(u.km)
    assert 0.3 < gap < 0.9
    # local north of the ME site expressed in ME is the ME-frame north
    north_me = m @ me_site.direction_body()
    expected = np.array([-math.sin(math.radians(lat)) * math.cos(math.radians(lon)),
                         -math.sin(math.radians(lat)) * math.sin(math.radians(lon)),
                         math.cos(math.radians(lat))])
    np.testing.assert_allclose(north_me, expected, atol=1e-14, rtol=0)


def test_batch_equals_scalar_and_raw_equals_units_aware():
    site = LaunchSite(lat=20 * u.deg, lon=5 * u.deg, azimuth=120 * u.deg, elevation=10 * u.deg)
    epochs = EPOCH + np.linspace(0, 40, 9) * u.day
    speeds = np.linspace(2.3, 2.6, 9)
    eph = Ephemeris().kernel_tables()
    t = to_tdb_seconds(epochs)
    batch = site.launch_states_raw(t, speeds, eph)
    assert batch.shape == (9, 6)
    for i in range(9):
        r, v = site.launch_state_raw(t[i], speeds[i], eph)
        np.testing.assert_array_equal(batch[i], np.concatenate([r, v]))
    state = site.launch_state(epochs, speeds * u.km / u.s)
    np.testing.assert_array_equal(state.position.to_value(u.km), batch[:, :3])
    np.testing.assert_array_equal(state.velocity.to_value(u.km / u.s), batch[:, 3:])
    # one speed for all epochs broadcasts
    assert site.launch_state(epochs, 2.4 * u.km / u.s).position.shape == (9, 3)
    # steered kernel with the same direction per shot is identical
    from massdriver.kernels.frames import launch_states_steered

    body, direction = site.kernel_arguments()
    steered = launch_states_steered(t, speeds, body, np.tile(direction, (9, 1)), eph)
    np.testing.assert_array_equal(steered, batch)


@pytest.mark.parametrize("field,value", [
    ("lat", 91 * u.deg), ("lat", -90.5 * u.deg), ("lat", float("nan") * u.deg),
    ("lat", 10 * u.km), ("lat", 10.0), ("lon", 400 * u.deg), ("height", -11 * u.km),
    ("height", 1e3 * u.km), ("azimuth", -1 * u.deg), ("azimuth", 361 * u.deg),
    ("elevation", -0.5 * u.deg), ("elevation", 91 * u.deg), ("frame", "XY"), ("name", 3),
    ("lat", [1, 2] * u.deg),
])
def test_validation_errors_name_the_field(field, value):
    kwargs = {"lat": 0 * u.deg, "lon": 0 * u.deg, field: value}
    with pytest.raises(InputError) as info:
        LaunchSite(**kwargs)
    message = str(info.value)
    assert f"LaunchSite.{field}" in message and "\n" not in message


def test_valid_edges_and_unit_conversion():
    site = LaunchSite(lat=math.pi / 2 * u.rad, lon=-360 * u.deg, height=-10 * u.km,
                      azimuth=360 * u.deg, elevation=90 * u.deg)
    assert site.lat.unit == u.deg and site.lat.value == pytest.approx(90.0)
    assert LaunchSite(lat=0 * u.deg, lon=0 * u.deg, height=500 * u.m).height == 0.5 * u.km
    default = LaunchSite(lat=0 * u.deg, lon=0 * u.deg)
    assert default.azimuth == 90 * u.deg and default.elevation == 0 * u.deg
    assert default.height == 0 * u.km and default.frame == "PA"
    assert hash(default) == hash(LaunchSite(lat=0 * u.deg, lon=0 * u.deg))
    with pytest.raises(AttributeError):
        default.lat = 3 * u.deg


def test_launch_state_argument_errors():
    site = LaunchSite(lat=0 * u.deg, lon=0 * u.deg)
    with pytest.raises(InputError, match="speed"):
        site.launch_state(EPOCH, 2.5)
    with pytest.raises(InputError, match="speed"):
        site.launch_state(EPOCH, -1 * u.km / u.s)
    with pytest.raises(InputError, match="speed"):
        site.launch_state(EPOCH, 3 * u.kg)
    with pytest.raises(EphemerisRangeError, match="2070"):
        site.launch_state(Time("2070-01-01", scale="tdb"), 2 * u.km / u.s)
    with pytest.raises(InputError, match="broadcast"):
        site.launch_state(EPOCH + [0, 1, 2] * u.day, [1, 2] * u.km / u.s)
