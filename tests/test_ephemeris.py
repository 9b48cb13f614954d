"""Tests of massdriver.ephemeris and massdriver.timescales.

References
----------
- astropy.coordinates.get_body_barycentric_posvel with solar_system_ephemeris set to the same
  de421.bsp file (independent geocentric reduction, time handling and segment lookup).
- astropy's built-in ERFA model (``ephemeris="builtin"``: Moon from the Meeus 1998 truncated
  ELP2000-82, Earth/Sun from ERFA ``epv00``): a different, lower-accuracy model.
- B. A. Archinal et al., "Report of the IAU Working Group on Cartographic Coordinates and Rotational
  Elements: 2009", Celest. Mech. Dyn. Astr. 109, 101-135 (2011), Table 2 (Moon: alpha0, delta0, W
  with the terms E1..E13): the IAU approximation of the lunar mean-Earth/polar-axis (ME) frame.
- NAIF frame kernel moon_080317.tf: PA -> ME rotation (frame 31007).
"""

from __future__ import annotations

import pickle

import astropy.units as u
import numpy as np
import pytest
from astropy.time import Time

import massdriver as md
from massdriver.ephemeris import (
    Ephemeris,
    default_pck_path,
    default_spk_path,
    moon_orientation,
    moon_state,
    pa_to_me_matrix,
    sun_state,
)
from massdriver.errors import ConfigError, EphemerisRangeError, InputError
from massdriver.timescales import from_tdb_seconds, to_tdb_seconds

# 1950-01-01 .. 2049-12-31 TDB, 250 epochs (not aligned with the 4-day records)
EPOCHS = Time(np.linspace(2433282.5, 2469807.5, 250) + 0.123456, format="jd", scale="tdb")


def _geocentric_astropy(body: str, epoch, ephemeris: str):
    from astropy.coordinates import get_body_barycentric_posvel, solar_system_ephemeris

    with solar_system_ephemeris.set(ephemeris):
        pos, vel = get_body_barycentric_posvel(body, epoch)
        pos_e, vel_e = get_body_barycentric_posvel("earth", epoch)
    return ((pos - pos_e).xyz.T.to_value(u.km), (vel - vel_e).xyz.T.to_value(u.km / u.s))


@pytest.mark.parametrize("body,func", [("moon", moon_state), ("sun", sun_state)])
def test_states_match_astropy_with_same_de421_file(body, func):
    """Moon and Sun agree with astropy + the same de421.bsp to < 1 m (measured: Moon 6e-7 km,
    Sun 2e-5 km, the latter from float64 time rounding at 30 km/s), velocities to < 1e-9 km/s."""
    pos, vel = _geocentric_astropy(body, EPOCHS, str(default_spk_path()))
    state = func(EPOCHS)
    assert state.position.unit == u.km and state.velocity.unit == u.km / u.s
    assert state.position.shape == (EPOCHS.size, 3)
    assert np.max(np.linalg.norm(state.position.value - pos, axis=1)) < 1e-3
    assert np.max(np.linalg.norm(state.velocity.value - vel, axis=1)) < 1e-9


def test_utc_epoch_is_converted_to_tdb():
    """A UTC epoch and the TDB epoch with the same label are 69.18 s apart in 2027 (37 leap s +
    32.184 s), so the Moon is ~70 km (1 km/s x 69 s) apart; the state equals astropy's."""
    utc = Time("2027-03-01T00:00:00", scale="utc")
    tdb_same_label = Time("2027-03-01T00:00:00", scale="tdb")
    assert to_tdb_seconds(utc) - to_tdb_seconds(tdb_same_label) == pytest.approx(69.184, abs=2e-3)
    pos, _ = _geocentric_astropy("moon", utc, str(default_spk_path()))
    np.testing.assert_allclose(moon_state(utc).position.value, pos, atol=1e-6, rtol=0)
    shift = np.linalg.norm(moon_state(utc).position - moon_state(tdb_same_label).position)
    assert 30 * u.km < shift < 120 * u.km


def test_builtin_erfa_model_is_tens_of_km_off():
    """astropy's builtin model: the Moon within 100 km of DE421 (measured max 18 km over
    1950-2049) and the Sun within 50 km (measured max 10 km), but clearly a different model
    (> 1 m apart everywhere)."""
    for func, limit in ((moon_state, 100.0), (sun_state, 50.0)):
        quick = func(EPOCHS, ephemeris="builtin").position.value
        precise = func(EPOCHS).position.value
        error = np.linalg.norm(quick - precise, axis=1)
        assert error.max() < limit
        assert error.min() > 1e-3


@pytest.mark.parametrize("func,atol", [(moon_state, 1e-10), (sun_state, 3e-9)])
def test_velocity_is_derivative_of_position(func, atol):
    """Velocity equals the 5-point central difference of position (h = 30 s, truncation
    ~ h^4 r w^5 / 30 < 1e-16 km/s). The tolerance is the rounding of the positions: ~ulp(|r|)/h,
    i.e. ~1e-12 km/s for the Moon (3.8e5 km) and ~1e-9 km/s for the Sun (1.5e8 km)."""
    h = 30.0 * u.s
    for epoch in EPOCHS[::25]:
        p = [func(epoch + k * h).position for k in (-2, -1, 1, 2)]
        numeric = ((p[0] - 8 * p[1] + 8 * p[2] - p[3]) / (12 * h)).to_value(u.km / u.s)
        np.testing.assert_allclose(func(epoch).velocity.value, numeric, rtol=0, atol=atol)


def _iau_moon_matrix(days):
    """ICRF -> Moon ME rotation from the IAU 2009 model (Archinal et al. 2011, Table 2).

    ``days`` is the interval in TDB days from J2000; R = R3(W) R1(90 - delta0) R3(90 + alpha0).
    """
    d = np.asarray(days, dtype=float)
    century = d / 36525.0
    e = np.radians(np.array([
        125.045 - 0.0529921 * d, 250.089 - 0.1059842 * d, 260.008 + 13.0120009 * d,
        176.625 + 13.3407154 * d, 357.529 + 0.9856003 * d, 311.589 + 26.4057084 * d,
        134.963 + 13.0649930 * d, 276.617 + 0.3287146 * d, 34.226 + 1.7484877 * d,
        15.134 - 0.1589763 * d, 119.743 + 0.0036096 * d, 239.961 + 0.1643573 * d,
        25.053 + 12.9590088 * d]))
    s, c = np.sin(e), np.cos(e)
    alpha0 = (269.9949 + 0.0031 * century - 3.8787 * s[0] - 0.1204 * s[1] + 0.0700 * s[2]
              - 0.0172 * s[3] + 0.0072 * s[5] - 0.0052 * s[9] + 0.0043 * s[12])
    delta0 = (66.5392 + 0.0130 * century + 1.5419 * c[0] + 0.0239 * c[1] - 0.0278 * c[2]
              + 0.0068 * c[3] - 0.0029 * c[5] + 0.0009 * c[6] + 0.0008 * c[9] - 0.0009 * c[12])
    w = (38.3213 + 13.17635815 * d - 1.4e-12 * d**2 + 3.5610 * s[0] + 0.1208 * s[1]
         - 0.0642 * s[2] + 0.0158 * s[3] + 0.0252 * s[4] - 0.0066 * s[5] - 0.0047 * s[6]
         - 0.0046 * s[7] + 0.0028 * s[8] + 0.0052 * s[9] + 0.0040 * s[10] + 0.0019 * s[11]
         - 0.0044 * s[12])

    def r3(a):
        ca, sa, z, o = np.cos(a), np.sin(a), np.zeros_like(a), np.ones_like(a)
        return np.moveaxis(np.array([[ca, sa, z], [-sa, ca, z], [z, z, o]]), [0, 1], [-2, -1])

    def r1(a):
        ca, sa, z, o = np.cos(a), np.sin(a), np.zeros_like(a), np.ones_like(a)
        return np.moveaxis(np.array([[o, z, z], [z, ca, sa], [z, -sa, ca]]), [0, 1], [-2, -1])

    return r3(np.radians(w)) @ r1(np.radians(90.0 - delta0)) @ r3(np.radians(90.0 + alpha0))


def _angle_deg(a, b):
    """Rotation angle between two (stacks of) rotation matrices, deg."""
    trace = np.trace(a @ np.swapaxes(b, -1, -2), axis1=-2, axis2=-1)
    return np.degrees(np.arccos(np.clip((trace - 1.0) / 2.0, -1.0, 1.0)))


def test_orientation_matches_iau_2009_mean_earth_model():
    """DE421 ME orientation vs the IAU 2009 series: measured max 0.0051 deg (18"), mean 8.6"
    over 1950-2049. Without the PA -> ME rotation the difference never falls below 0.025 deg
    (the 104" PA/ME offset), which checks the sign and axes of pa_to_me_matrix."""
    days = to_tdb_seconds(EPOCHS) / 86400.0
    iau = _iau_moon_matrix(days)
    me = moon_orientation(EPOCHS, frame="ME")
    pa = moon_orientation(EPOCHS)
    assert me.shape == (EPOCHS.size, 3, 3)
    assert _angle_deg(me, iau).max() < 0.01
    assert _angle_deg(pa, iau).min() > 0.02
    np.testing.assert_allclose(me, pa_to_me_matrix() @ pa, atol=1e-15, rtol=0)


def test_pa_to_me_matrix_is_the_104_arcsec_rotation():
    """moon_080317.tf angles 67.92", 78.56", 0.30": a rotation of sqrt(sum of squares) ~ 103.9"."""
    m = pa_to_me_matrix()
    np.testing.assert_allclose(m @ m.T, np.eye(3), atol=1e-15, rtol=0)
    assert _angle_deg(m, np.eye(3)) * 3600 == pytest.approx(np.hypot(67.92, 78.56), abs=0.05)
    with pytest.raises(ValueError):
        m[0, 0] = 2.0  # read-only


def test_orientation_rate_matches_finite_difference():
    """dR/dt returned by moon_orientation(rate=True) vs a 5-point difference (h = 1000 s)."""
    epoch = Time("2031-07-04T03:00:00", scale="tdb")
    r, dr = moon_orientation(epoch, rate=True)
    h = 1000 * u.s
    p = [moon_orientation(epoch + k * h) for k in (-2, -1, 1, 2)]
    numeric = (p[0] - 8 * p[1] + 8 * p[2] - p[3]) / 12000.0
    np.testing.assert_allclose(dr, numeric, atol=3e-15, rtol=0)
    assert r.shape == (3, 3)


def test_out_of_range_epoch_raises_one_clear_line():
    """DE421 + its PA kernel cover 1900-01-01 .. 2051-01-01 TDB."""
    cov = Ephemeris().coverage
    assert cov.start.isot.startswith("1900-01-01") and cov.stop.isot.startswith("2051-01-01")
    with pytest.raises(EphemerisRangeError) as info:
        moon_state(Time("2060-05-01T00:00:00", scale="tdb"))
    message = str(info.value)
    assert "\n" not in message
    assert "2060-05-01" in message and "1900-01-01" in message and "2051-01-01" in message
    with pytest.raises(EphemerisRangeError, match="1 of 2 epochs"):
        sun_state(Time(["2020-01-01", "1850-01-01"], scale="tdb"))
    with pytest.raises(EphemerisRangeError):
        moon_orientation(Time("1899-12-31T23:00:00", scale="tdb"))
    with pytest.raises(EphemerisRangeError):
        Ephemeris().kernel_tables(start=0.0, stop=3e9)
    assert issubclass(EphemerisRangeError, md.MassdriverError)


def test_bad_arguments_raise_input_error():
    with pytest.raises(InputError, match="astropy.time.Time"):
        moon_state(2451545.0)
    with pytest.raises(InputError, match="frame"):
        moon_orientation(Time("2020-01-01"), frame="XY")
    with pytest.raises(InputError, match="before start"):
        Ephemeris().kernel_tables(start=1e8, stop=0.0)


def test_kernel_tables_slice_is_small_and_equivalent():
    """A sliced table gives the same states as the full one inside [start, stop]."""
    from massdriver.kernels.chebyshev import geocentric_states, moon_pa_matrices

    start = Time("2027-01-01", scale="tdb")
    stop = Time("2027-04-01", scale="tdb")
    full = Ephemeris().kernel_tables()
    cut = Ephemeris().kernel_tables(start, stop)
    assert cut[0].shape[0] < 30 and cut[0].shape[1:] == full[0].shape[1:]
    t = np.linspace(to_tdb_seconds(start), to_tdb_seconds(stop), 97)
    for body in (0, 1):
        np.testing.assert_array_equal(geocentric_states(t, cut, body),
                                      geocentric_states(t, full, body))
    np.testing.assert_array_equal(moon_pa_matrices(t, cut)[0], moon_pa_matrices(t, full)[0])


def test_ephemeris_is_cached_immutable_and_picklable():
    a, b = Ephemeris(), Ephemeris.from_files(spk=default_spk_path(), pck=default_pck_path())
    assert a == b and hash(a) == hash(b)
    assert a.kernel_tables()[0] is b.kernel_tables()[0]        # parsed once (lru_cache)
    with pytest.raises(AttributeError):
        a.foo = 1
    with pytest.raises(ValueError):
        a.kernel_tables()[0][0, 0, 0] = 1.0
    c = pickle.loads(pickle.dumps(a))
    assert c == a and "de421.bsp" in repr(c)


def test_missing_or_wrong_file_is_config_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        Ephemeris.from_files(spk=tmp_path / "nope.bsp")
    bad = tmp_path / "bad.bsp"
    bad.write_bytes(b"not a DAF file" * 100)
    with pytest.raises(ConfigError):
        Ephemeris.from_files(spk=bad)
    # swapped files: a binary PCK is not an SPK and vice versa
    with pytest.raises(ConfigError, match="cannot read SPK"):
        Ephemeris.from_files(spk=default_pck_path())
    with pytest.raises(ConfigError, match="cannot read binary PCK"):
        Ephemeris.from_files(pck=default_spk_path())


def test_tdb_seconds_round_trip_and_j2000():
    """J2000 = 2000-01-01T12:00:00 TDB is 0 s; round trips keep < 1 us over 1900-2050."""
    assert to_tdb_seconds(Time("2000-01-01T12:00:00", scale="tdb")) == 0.0
    j2000_utc = Time("2000-01-01T11:58:55.816", scale="utc")   # J2000 TT - 32.184 s - 32 leap s
    assert to_tdb_seconds(j2000_utc) == pytest.approx(0.0, abs=1e-4)
    seconds = np.array([-3.1e9, -1e9, -0.5, 0.0, 1.234567, 7.9e8, 1.6e9])
    back = to_tdb_seconds(from_tdb_seconds(seconds))
    np.testing.assert_allclose(back, seconds, rtol=0, atol=1e-6)
    assert from_tdb_seconds(0.0).scale == "tdb"
    assert isinstance(to_tdb_seconds(Time("2020-01-01")), float)


@pytest.mark.parametrize("kind", ["fifo", "directory", "character device", "too large"])
def test_user_ephemeris_path_must_be_a_bounded_regular_file(tmp_path, monkeypatch, kind):
    """Issue 21 item 5 for ephemeris paths: a FIFO (would block), a character device (would
    read without end), a directory or a file over the size limit is refused with one line,
    before a byte is read; the SPK and the PCK path alike."""
    import os

    from massdriver import safe_io

    if kind == "fifo":
        path = tmp_path / "de.bsp"
        os.mkfifo(path)                          # no writer: a blocking open would hang here
        word = "FIFO"
    elif kind == "directory":
        path, word = tmp_path, "directory"
    elif kind == "character device":
        path, word = "/dev/zero", "character device"
    else:
        monkeypatch.setattr(safe_io, "EPHEMERIS_SIZE_LIMIT", 1 << 20)   # DE421 is 17 MB
        path, word = default_spk_path(), "limit"
        from massdriver import ephemeris

        ephemeris._load.cache_clear()            # read again, not served from the cache
    for arguments in ({"spk": path}, {"pck": path if kind != "too large" else
                                      default_spk_path()}):
        with pytest.raises(ConfigError, match=word) as info:
            Ephemeris.from_files(**arguments)
        assert "\n" not in str(info.value)
