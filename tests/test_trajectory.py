"""massdriver.trajectory.shoot: physics sanity, event accuracy against an independent integration,
CR3BP preview against the ephemeris model, and the shape of the result.

References
----------
* Lunar escape speed 2.38 km/s, GM and mean radius of the Moon: NASA GSFC Moon Fact Sheet
  (https://nssdc.gsfc.nasa.gov/planetary/factsheet/moonfact.html).
* Transfer from a lunar mass driver to the Earth needs about 2.4-2.6 km/s and coasts 3-5 days:
  NASA SP-413, *Space Settlements: A Design Study* (1977), appendix F (mass driver exit speed
  2.4 km/s); O'Neill, Kolm, Heppenheimer & Kaplan, AIAA J. 15:518 (1977), lunar launch
  trajectories. The test shot (lat 0, lon -55 deg, east, 2027-01-01T00:00 UTC) and its two exit
  speeds 2.501711 km/s (prograde) and about 2.665 km/s (retrograde), both giving a ~400 km perigee,
  were found by the speed solve of :func:`massdriver.kernels.shots.solve_speeds` (the same force
  model and integrator: a consistency check, not an independent reference).
* Event location: scipy ``solve_ivp(method="DOP853")`` with its own brentq event location on the
  dense output (Hairer, Norsett & Wanner, *Solving ODEs I*, 2nd ed., Sec. II.6 and II.10), driven
  by a numpy/jplephem right-hand side written here from the model's published definition.
* Constants of the reference model: the sources' own numbers (``tests/published_constants.py``),
  never ``massdriver.bodies``, so a wrong constant in the package fails the comparison.
"""

from __future__ import annotations

import math

import astropy.units as u
import numpy as np
import published_constants as src
import pytest
from astropy.time import Time
from reference_forces import NumpyEphemerisModel, gradient

from massdriver import bodies
from massdriver.errors import EphemerisRangeError, InputError
from massdriver.site import LaunchSite
from massdriver.trajectory import STATUSES, shoot

EPOCH = Time("2027-01-01T00:00", scale="utc")
SITE = LaunchSite(lat=0 * u.deg, lon=-55 * u.deg, azimuth=90 * u.deg, elevation=0 * u.deg)
SPEED_PROGRADE = 2.501711 * u.km / u.s
SPEED_RETROGRADE = 2.665 * u.km / u.s


@pytest.fixture(scope="module")
def leo_shot():
    return shoot(SITE, EPOCH, SPEED_PROGRADE, model="ephemeris")


@pytest.fixture(scope="module")
def leo_shot_cr3bp():
    return shoot(SITE, EPOCH, SPEED_PROGRADE, model="cr3bp")


# --- physical sanity ---------------------------------------------------------------------------


def test_lunar_escape_speed_from_constants():
    """sqrt(2 GM / R) = 2.376 km/s (Moon Fact Sheet: 2.38 km/s)."""
    v_esc = math.sqrt(2.0 * src.DE421_GM_MOON / src.IAU_MOON_MEAN_RADIUS)
    assert v_esc == pytest.approx(2.376, abs=0.001)


def _kepler_return_time(r_vec, v_vec, gm, radius):
    """Two-body time from radius ``radius`` going outwards back to ``radius`` (s)."""
    r = np.linalg.norm(r_vec)
    energy = 0.5 * v_vec @ v_vec - gm / r
    a = -gm / (2.0 * energy)
    h = np.linalg.norm(np.cross(r_vec, v_vec))
    e = math.sqrt(max(0.0, 1.0 - h * h / (gm * a)))
    # eccentric anomaly where the radius is `radius` on the outbound leg
    cos_e = (1.0 - radius / a) / e
    big_e = math.acos(cos_e)
    mean_motion = math.sqrt(gm / a**3)
    # outbound E0 to apoapsis (pi) and symmetric back: total 2 (pi - M(E0)) / n
    m0 = big_e - e * math.sin(big_e)
    return 2.0 * (math.pi - m0) / mean_motion


def test_sub_escape_shot_falls_back_on_the_moon():
    """2.30 km/s < 2.376 km/s: bound to the Moon; a 20 deg elevated track comes down after about
    one Kepler ellipse (Earth tides at < 30 000 km from the Moon change the flight time by a few
    per cent), and no state is NaN."""
    site = LaunchSite(lat=0 * u.deg, lon=-55 * u.deg, azimuth=90 * u.deg,
                      elevation=20 * u.deg)
    tr = shoot(site, EPOCH, 2.30 * u.km / u.s, days=8.0)
    assert tr.status == "moon_impact"
    assert tr.perigee is None
    assert np.all(np.isfinite(tr.positions.to_value(u.km)))
    assert np.all(np.isfinite(tr.velocities.to_value(u.km / u.s)))
    impact = tr.events[-1]
    assert impact.kind == "moon_impact"
    d_moon = np.linalg.norm((impact.position - tr.moon_positions[-1]).to_value(u.km))
    assert d_moon == pytest.approx(src.IAU_MOON_MEAN_RADIUS, abs=1e-3)   # event on the sphere
    # selenocentric Kepler prediction from the launch state
    from massdriver.ephemeris import moon_state

    moon = moon_state(tr.launch_epoch)
    r_sel = (tr.positions[0] - moon.position).to_value(u.km)
    v_sel = (tr.velocities[0] - moon.velocity).to_value(u.km / u.s)
    t_kepler = _kepler_return_time(r_sel, v_sel, src.DE421_GM_MOON, src.IAU_MOON_MEAN_RADIUS)
    t_flight = impact.time_of_flight.to_value(u.s)
    assert t_flight == pytest.approx(t_kepler, rel=0.05)


def test_horizontal_sub_escape_shot_never_nan():
    """The horizontal 2.30 km/s shot grazes its periselene at the surface: it orbits the Moon
    (several far geocentric distance minima, which must not end the coast) until perturbations
    bring the periselene below the surface; it never reaches the Earth (measured: three far
    minima, at 0.04, 2.0 and 4.2 days, then the impact at 5.5 days)."""
    tr = shoot(SITE, EPOCH, 2.30 * u.km / u.s, days=8.0)
    assert tr.status == "moon_impact"
    assert np.all(np.isfinite(tr.positions.to_value(u.km)))
    far = [e for e in tr.events if e.kind == "perigee"]
    assert len(far) >= 2
    assert all(e.radius.to_value(u.km) > 150_000.0 for e in far)
    epochs = [e.time_of_flight.to_value(u.day) for e in far]
    assert np.all(np.diff(epochs) > 0.1)           # each minimum reported once


def test_prograde_shot_reaches_low_perigee(leo_shot):
    """SP-413 / O'Neill et al.: ~2.5 km/s reaches a low Earth perigee after 3-5 days."""
    tr = leo_shot
    assert tr.status == "perigee"
    p = tr.perigee
    assert 3.0 <= p.time_of_flight.to_value(u.day) <= 5.0          # measured 4.73 d
    assert 0.0 <= p.altitude.to_value(u.km) <= 2000.0
    # consistency: the speed was solved for 400 km by the kernel path (kernels.shots)
    assert p.altitude.to_value(u.km) == pytest.approx(400.0, abs=5.0)
    assert p.inclination.to_value(u.deg) < 90.0                     # prograde
    # vis-viva at perigee: a near-parabolic arrival (specific energy ~ -GM/(2 * 384 000 km))
    energy = 0.5 * p.speed.to_value(u.km / u.s) ** 2 - src.DE421_GM_EARTH / p.radius.to_value(u.km)
    assert -1.0 < energy < 0.0
    # the perigee is a true minimum: radial velocity zero there
    rv = float(np.dot(p.position.to_value(u.km), p.velocity.to_value(u.km / u.s)))
    assert abs(rv) < 1e-6 * p.radius.to_value(u.km) * p.speed.to_value(u.km / u.s)


def test_retrograde_branch_also_reaches_low_perigee():
    """The faster branch (~2.665 km/s) arrives retrograde (i > 90 deg) and sooner."""
    tr = shoot(SITE, EPOCH, SPEED_RETROGRADE)
    assert tr.status == "perigee"
    p = tr.perigee
    assert p.inclination.to_value(u.deg) > 90.0
    assert 0.0 <= p.altitude.to_value(u.km) <= 2000.0
    assert 3.0 <= p.time_of_flight.to_value(u.day) <= 4.7


def test_faster_than_both_branches_misses_or_escapes():
    """Between the two branches the osculating perigee passes under the Earth (signed-perigee
    picture of kernels.shots): 2.58 km/s must hit the Earth's atmosphere, which a shot coming
    in from the Moon crosses (terminal event at 120 km) before it could reach the surface."""
    tr = shoot(SITE, EPOCH, 2.58 * u.km / u.s, days=8.0)
    assert tr.status == "atmosphere"
    assert tr.events[-1].radius.to_value(u.km) <= src.EGM2008_A_E + 120.0 + 1e-6


# --- independent integration: event epochs and states ------------------------------------------


def test_numpy_model_terms():
    """Sanity of the reference RHS itself: the point-mass part against the explicit
    direct-minus-indirect formula, and each harmonic term against the central-difference
    gradient of its potential (Earth J2 at 7000 km, lunar J2 + C22 at 2000 km from the Moon)."""
    model = NumpyEphemerisModel()
    try:
        t = 8.5e8
        y = np.array([200_000.0, 100_000.0, 50_000.0, 0.0, 0.0, 0.0])
        moon, sun = model.bodies_at(t)
        acc = model(t, y)[3:] - model.earth_j2(t, y[:3])
        r = y[:3]
        expected = -src.DE421_GM_EARTH * r / np.linalg.norm(r) ** 3
        for s, gm in ((moon, src.DE421_GM_MOON), (sun, src.DE421_GM_SUN)):
            expected += gm * ((s - r) / np.linalg.norm(s - r) ** 3 - s / np.linalg.norm(s) ** 3)
        assert np.allclose(acc, expected, rtol=0.0, atol=1e-13 * np.linalg.norm(expected))

        r_leo = np.array([4000.0, -3000.0, 4800.0])
        j2 = model.earth_j2(t, r_leo)
        fd = gradient(lambda x: model.earth_j2_potential(t, x), r_leo, 1.0)
        assert np.linalg.norm(j2) > 1e-6
        assert np.allclose(j2, fd, rtol=0.0, atol=1e-7 * np.linalg.norm(j2))

        d = np.array([1200.0, 900.0, -1300.0])
        harm = model.moon_harmonics(t, d)
        fd = gradient(lambda x: model.moon_harmonics_potential(t, x), d, 0.5)
        assert np.linalg.norm(harm) > 1e-7
        assert np.allclose(harm, fd, rtol=0.0, atol=1e-7 * np.linalg.norm(harm))
    finally:
        model.close()


def test_perigee_event_matches_scipy_dop853():
    """Issue 3: the shoot path (compiled DOP853 + event location) against scipy's DOP853 on an
    independently written force model, both at rtol 1e-12, over the 4.7-day coast: perigee epoch
    within 1 ms and perigee position within 1 m."""
    from scipy.integrate import solve_ivp

    from massdriver.timescales import to_tdb_seconds

    tr = shoot(SITE, EPOCH, SPEED_PROGRADE, rtol=1e-12)
    assert tr.status == "perigee"
    t0 = to_tdb_seconds(tr.launch_epoch)
    y0 = np.concatenate([tr.positions[0].to_value(u.km), tr.velocities[0].to_value(u.km / u.s)])
    model = NumpyEphemerisModel()

    def perigee(t, y):
        return y[:3] @ y[3:]

    perigee.terminal = True
    perigee.direction = 1.0
    try:
        sol = solve_ivp(lambda s, y: model(t0 + s, y), (0.0, 6.0 * 86400.0), y0,
                        method="DOP853", rtol=1e-12, atol=np.array([1e-12] * 3 + [1e-18] * 3),
                        events=perigee)
    finally:
        model.close()
    assert sol.status == 1
    # the coast starts 1737 km from the Moon, so the first geocentric minimum is the real one
    t_ref = sol.t_events[0][0]
    y_ref = sol.y_events[0][0]
    assert np.linalg.norm(y_ref[:3]) < 10_000.0
    p = tr.perigee
    dt = (p.epoch - tr.launch_epoch).to_value(u.s) - t_ref
    assert abs(dt) < 1e-3, f"perigee epoch differs by {dt * 1e3:.4f} ms"
    dr = np.linalg.norm(p.position.to_value(u.km) - y_ref[:3]) * 1e3
    assert dr < 1.0, f"perigee position differs by {dr:.4f} m"
    dv = np.linalg.norm(p.velocity.to_value(u.km / u.s) - y_ref[3:]) * 1e3
    assert dv < 1e-3, f"perigee velocity differs by {dv:.3e} m/s"


def test_moon_impact_event_matches_scipy_dop853():
    """The lunar-impact event of the 2.30 km/s lob (about 1.6 d, mostly within 30 000 km of
    the Moon where the lunar harmonics act) against scipy on the numpy model: < 1 ms, < 1 m."""
    from scipy.integrate import solve_ivp

    from massdriver.timescales import to_tdb_seconds

    site = LaunchSite(lat=0 * u.deg, lon=-55 * u.deg, azimuth=90 * u.deg,
                      elevation=20 * u.deg)
    tr = shoot(site, EPOCH, 2.30 * u.km / u.s, rtol=1e-12)
    assert tr.status == "moon_impact"
    t0 = to_tdb_seconds(tr.launch_epoch)
    y0 = np.concatenate([tr.positions[0].to_value(u.km), tr.velocities[0].to_value(u.km / u.s)])
    model = NumpyEphemerisModel()

    def impact(t, y):
        moon, _ = model.bodies_at(t0 + t)
        return np.linalg.norm(y[:3] - moon) - src.IAU_MOON_MEAN_RADIUS

    impact.terminal = True
    impact.direction = -1.0
    try:
        sol = solve_ivp(lambda s, y: model(t0 + s, y), (0.0, 8.0 * 86400.0), y0,
                        method="DOP853", rtol=1e-12, atol=np.array([1e-12] * 3 + [1e-18] * 3),
                        events=impact, first_step=1.0)
    finally:
        model.close()
    assert sol.status == 1
    event = tr.events[-1]
    dt = event.time_of_flight.to_value(u.s) - sol.t_events[0][0]
    assert abs(dt) < 1e-3, f"impact epoch differs by {dt * 1e3:.4f} ms"
    dr = np.linalg.norm(event.position.to_value(u.km) - sol.y_events[0][0][:3]) * 1e3
    assert dr < 1.0, f"impact position differs by {dr:.4f} m"


# --- CR3BP preview ------------------------------------------------------------------------------


def test_cr3bp_preview_close_to_ephemeris(leo_shot, leo_shot_cr3bp):
    """The CR3BP preview of the same shot reaches perigee within half a day of the ephemeris
    model (measured: 0.23 d earlier, 4.49 vs 4.73 d) and in the same sense of motion."""
    eph, cr3 = leo_shot, leo_shot_cr3bp
    assert cr3.status == "perigee"                                 # measured: 1270 km
    t_cr3 = cr3.events[-1].time_of_flight.to_value(u.day)
    t_eph = eph.perigee.time_of_flight.to_value(u.day)
    assert abs(t_cr3 - t_eph) < 0.5
    assert cr3.events[-1].radius.to_value(u.km) < 20_000.0


def test_cr3bp_frame_and_units(leo_shot_cr3bp):
    """The non-dimensional initial state sits 1737.4 km from the model Moon at (1 - mu, 0, 0)
    and its units are the stated JPL constants; the ICRF states rebuilt from it keep the
    selenocentric launch speed."""
    info = leo_shot_cr3bp.cr3bp
    assert info["mu"] == src.JPL3B_MU
    assert info["length_unit_km"] == src.JPL3B_LENGTH_UNIT
    assert info["time_unit_s"] == src.JPL3B_TIME_UNIT
    y = np.array(info["initial_state_nd"])
    d = np.linalg.norm(y[:3] - [1.0 - src.JPL3B_MU, 0.0, 0.0]) * src.JPL3B_LENGTH_UNIT
    # on the surface, moved out by the 1 mm launch clearance (trajectory.LAUNCH_CLEARANCE)
    assert d == pytest.approx(src.IAU_MOON_MEAN_RADIUS + 1e-6, abs=1e-7)
    # rotating-frame speed relative to the Moon = inertial selenocentric speed minus the frame
    # velocity (omega x r_rel, at most 1737 km / T = 4.5 m/s): about 2.50 km/s
    v = np.linalg.norm(y[3:]) * bodies.CR3BP_VELOCITY_UNIT
    assert v == pytest.approx(2.5017, abs=0.01)


# --- result objects -----------------------------------------------------------------------------


def test_to_dict_plain_and_finite(leo_shot):
    import json

    d = leo_shot.to_dict()
    text = json.dumps(d, allow_nan=False)
    assert json.loads(text)["status"] == "perigee"
    assert d["status"] in STATUSES
    for key in ("altitude_km", "radius_km", "epoch_tdb", "time_of_flight_days", "speed_km_s",
                "inclination_deg", "raan_deg"):
        assert key in d["perigee"]
    assert d["nfev"] > 0 and d["steps"] > 0
    assert d["events"][-1]["kind"] == "perigee"


def test_to_table_roundtrip(leo_shot, tmp_path):
    from astropy.table import QTable

    table = leo_shot.to_table()
    assert len(table) == len(leo_shot.times)
    path = tmp_path / "shot.ecsv"
    table.write(path)
    back = QTable.read(path)
    assert back["x"].unit == u.km
    assert np.allclose(back["x"].to_value(u.km), leo_shot.positions[:, 0].to_value(u.km),
                       rtol=0.0, atol=1e-9)


def test_stored_steps_monotonic_and_end_at_the_event(leo_shot):
    t = (leo_shot.times - leo_shot.launch_epoch).to_value(u.s)
    assert np.all(np.diff(t) > 0.0)
    assert t[-1] == pytest.approx(leo_shot.perigee.time_of_flight.to_value(u.s), abs=1e-6)


# --- input errors -------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs", [
    {"model": "nbody"},
    {"speed": -1.0 * u.km / u.s},
    {"speed": 2.5 * u.deg},
    {"speed": float("nan") * u.km / u.s},
    {"days": 0.0},
    {"days": 100.0},
    {"rtol": 1e-3},
])
def test_bad_inputs_raise_input_error(kwargs):
    args = {"site": SITE, "epoch": EPOCH, "speed": SPEED_PROGRADE, **kwargs}
    with pytest.raises(InputError):
        shoot(args.pop("site"), args.pop("epoch"), args.pop("speed"), **args)


def test_epoch_outside_ephemeris():
    with pytest.raises(EphemerisRangeError):
        shoot(SITE, Time("2050-12-28T00:00", scale="tdb"), SPEED_PROGRADE, days=8.0)
