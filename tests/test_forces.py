"""Tests of the force models (massdriver.kernels.forces).

References
----------
- JPL DE421 (``de421.bsp``) and the DE421 lunar PA binary PCK, read here independently with
  ``jplephem`` (positions, Euler angles) and ``scipy.spatial.transform`` (rotation matrix).
- ERFA (``erfa.bp06``, ``erfa.xy06``; IAU 2006/2000A): frame bias + precession matrix, whose
  third row is the mean Celestial Intermediate Pole, and the full CIP coordinates X, Y.
- R. H. Battin, *An Introduction to the Mathematics and Methods of Astrodynamics*, rev. ed.,
  AIAA (1999), Sec. 8.4: f(q) = (1 + q)^(3/2) - 1, checked here in exact rational arithmetic.
- Gravity potentials (checked by finite differences): Earth J2, U = -GM J2 R^2 (3 (r.p)^2 - r^2)
  / (2 r^5); lunar C22 (PA frame), U = 3 GM C22 R^2 (x^2 - y^2) / r^5 (Kaula 1966, eq. 1.31
  with P22 = 3 cos^2 phi).
- Constants of the reference models: the sources' own numbers (``tests/published_constants.py``:
  DE421 GMs, EGM2008 J2, GRAIL GL0660B J2/C22), never ``massdriver.bodies``.
"""

from __future__ import annotations

import math
from fractions import Fraction

import erfa
import numpy as np
import published_constants as src
import pytest
from massdriver.kernels import chebyshev as ch
from massdriver.kernels import forces
from massdriver.kernels.integrators import propagate
from scipy.integrate import solve_ivp
from scipy.spatial.transform import Rotation

from massdriver.ephemeris import Ephemeris

T0 = 8.6e8            # 2027-04-02 TDB
DAY = 86400.0


@pytest.fixture(scope="module")
def tab(eph):
    return forces.pack_ephemeris(eph, T0 - DAY, T0 + 6 * DAY)


def accel(t, y, params, tab):
    return forces.derivative(forces.MODEL_EPHEMERIS, t, np.asarray(y, float), params, tab)[3:]


def only(**kw):
    """Ephemeris-model params with everything off except what is passed."""
    base = dict(gm_moon=0.0, gm_sun=0.0, j2_earth=0.0, moon_harmonics_radius=0.0)
    base.update(kw)
    return forces.ephemeris_params(**base)


# --- packing and evaluation of the ephemeris ---------------------------------------------------


def test_packed_tables_equal_chebyshev_module(eph, tab):
    wide = forces.pack_ephemeris(eph, T0 - 30 * DAY, T0 + 40 * DAY)
    for t in np.linspace(T0 - 0.9 * DAY, T0 + 5.9 * DAY, 37):
        r_moon, _ = ch.geocentric_moon(t, eph)
        r_sun, _ = ch.geocentric_sun(t, eph)
        m, s = np.split(np.array(forces.ephemeris_bodies(t, tab, True, True)), 2)
        assert np.array_equal(m, forces.table_position(tab, forces.PACKED_MOON, t))
        # the chebyshev module forms t - init over ~4e9 s (rounded to 5e-7 s): Moon 1 km/s and
        # Sun 30 km/s relative to the Earth give 5e-7 km and 1.5e-5 km
        np.testing.assert_allclose(m, r_moon, rtol=0, atol=1e-6)
        np.testing.assert_allclose(s, r_sun, rtol=0, atol=3e-5)
        angles = np.array(forces.table_position(tab, forces.PACKED_MOON_PA, t))
        np.testing.assert_allclose(np.array(forces.moon_pa_rotation(*angles)).reshape(3, 3),
                                   ch.moon_pa_matrix(t, eph), rtol=0, atol=1e-15)
        # record indices are global: the packed span does not change a value
        for j in range(3):
            assert forces.table_position(tab, j, t) == forces.table_position(wide, j, t)
        assert (forces.ephemeris_bodies(t, tab, True, True)
                == forces.ephemeris_bodies(t, wide, True, True))
    # Earth wrt EMB = -Moon_geo / (1 + EMRAT): DE421's EMRAT = 81.3005690699153 (Folkner et al.
    # 2008, JPL IOM 343R-08-003, Table 1: Earth/Moon mass ratio)
    assert tab[forces._EARTH_OFFSET] == pytest.approx(1.0 / (1.0 + 81.3005690699153), rel=1e-13)
    # packing keeps only the records of the span (+1 margin): a few kB, not the whole file
    assert tab.size < 600 < wide.size
    assert forces.pack_ephemeris(None, 0.0, 1.0) is None


# --- point masses -----------------------------------------------------------------------------


def test_battin_f_is_exact_where_the_naive_form_cancels():
    for q in [1e-15, -3e-13, 1e-9, 2e-6, -1e-3, 0.1, 1.7, -0.5]:
        exact = float(_exact_battin(Fraction(q)))
        assert forces.battin_f(q) == pytest.approx(exact, rel=4e-16, abs=0)
    # the direct form loses all digits at q ~ 1e-15 (that is why the kernel does not use it)
    naive = (1.0 + 1e-15) ** 1.5 - 1.0
    assert abs(naive / float(_exact_battin(Fraction(1e-15))) - 1.0) > 1e-2


def _exact_battin(q: Fraction) -> Fraction:
    # (1 + q)^(3/2) - 1 to ~40 digits: Newton square root in rationals
    x = Fraction(1) + q
    s = Fraction(math.sqrt(float(x)))
    for _ in range(4):
        s = (s + x / s) / 2
    return x * s - 1


def test_third_body_terms_match_extended_precision(tab):
    """Moon and Sun perturbations equal the direct-minus-indirect form in long double."""
    rng = np.random.default_rng(7)
    for _ in range(20):
        t = T0 + rng.uniform(0, 5 * DAY)
        r = rng.normal(size=3) * 2e5
        for name, gm in (("moon", src.DE421_GM_MOON), ("sun", src.DE421_GM_SUN)):
            kw = {"gm_moon": gm} if name == "moon" else {"gm_sun": gm}
            a = accel(t, np.r_[r, 0, 0, 0], only(gm_earth=0.0, **kw), tab)
            bodies_at_t = np.array(forces.ephemeris_bodies(t, tab, True, True), np.longdouble)
            s = bodies_at_t[:3] if name == "moon" else bodies_at_t[3:]
            rl = r.astype(np.longdouble)
            d = rl - s
            ref = -np.longdouble(gm) * (d / np.sqrt(d @ d) ** 3 + s / np.sqrt(s @ s) ** 3)
            # the tidal difference of two nearly equal terms (4 digits cancel for the Sun), to a
            # few ulp of itself (the direct float64 form is off by ~1e-12 relative for the Sun)
            np.testing.assert_allclose(a, ref.astype(float), rtol=0,
                                       atol=5e-15 * float(np.max(np.abs(ref))))


# --- harmonics ---------------------------------------------------------------------------------


def _gradient(fun, r, h):
    g = np.zeros(3)
    for i in range(3):
        dr = np.zeros(3)
        dr[i] = h
        g[i] = (-fun(r + 2 * dr) + 8 * fun(r + dr) - 8 * fun(r - dr) + fun(r - 2 * dr)) / (12 * h)
    return g


def test_earth_j2_is_gradient_of_potential_about_erfa_mean_pole(tab):
    gm, re, j2 = src.DE421_GM_EARTH, src.EGM2008_A_E, src.J2_EARTH
    rng = np.random.default_rng(3)
    for t in (T0, -1.5e9, 1.4e9):
        _, _, rbp = erfa.bp06(2451545.0, t / DAY)
        pole = rbp[2]

        def potential(r, pole=pole):
            rr = np.linalg.norm(r)
            return -gm * j2 * re**2 * (3 * (r @ pole) ** 2 - rr**2) / (2 * rr**5)

        for _ in range(5):
            r = rng.normal(size=3)
            r *= rng.uniform(6600, 20000) / np.linalg.norm(r)
            a = accel(t, np.r_[r, 0, 0, 0], only(j2_earth=j2), tab) - accel(
                t, np.r_[r, 0, 0, 0], only(), tab)
            # 1e-8: the polynomial pole and erfa's differ by 0.2 mas (1e-9 rad)
            np.testing.assert_allclose(a, _gradient(potential, r, 1.0), rtol=0,
                                       atol=1e-8 * np.linalg.norm(a))


def test_earth_pole_models():
    assert forces.earth_pole(T0, 0) == (0.0, 0.0, 1.0)
    for t in np.linspace(-1.5e9, 1.5e9, 31):
        p = np.array(forces.earth_pole(t, 1))
        assert np.linalg.norm(p) == pytest.approx(1.0, abs=1e-15)
        # mean CIP == third row of erfa's bias-precession matrix (IAU 2006): to 0.5 mas
        _, _, rbp = erfa.bp06(2451545.0, t / DAY)
        assert np.linalg.norm(np.cross(p, rbp[2])) * 206264.806 < 5e-4
        # and within the nutation amplitude (< 20") of the true CIP (erfa.xy06, IAU 2006/2000A)
        x, y = erfa.xy06(2451545.0, t / DAY)
        assert math.hypot(p[0] - x, p[1] - y) < 20.0 / 206264.806
    # the ICRF z axis is off by 0.1-0.4 deg in 2000-2050 (why the mean pole is the default)
    p = np.array(forces.earth_pole(1.5e9, 1))
    assert 0.1 < np.degrees(np.arccos(p[2])) < 0.4


def test_lunar_j2_c22_are_gradient_of_potential_in_pa_frame(eph, tab):
    gm, rm = src.DE421_GM_MOON, src.GL0660B_RADIUS
    j2, c22 = src.J2_MOON, src.C22_MOON
    rng = np.random.default_rng(11)
    for t in T0 + np.array([0.1, 1.3, 4.7]) * DAY:
        moon, _ = ch.geocentric_moon(t, eph)
        m = ch.moon_pa_matrix(t, eph)

        def potential(r, m=m, moon=moon):
            b = m @ (r - moon)
            rho = np.linalg.norm(b)
            return gm * rm**2 * (-j2 * (3 * b[2] ** 2 - rho**2) / (2 * rho**5)
                                 + 3 * c22 * (b[0] ** 2 - b[1] ** 2) / rho**5)

        for _ in range(5):
            u = rng.normal(size=3)
            r = moon + u / np.linalg.norm(u) * rng.uniform(1740, 8000)
            on = only(gm_moon=gm, moon_harmonics_radius=1e5)
            off = only(gm_moon=gm, moon_harmonics_radius=0.0)
            a = accel(t, np.r_[r, 0, 0, 0], on, tab) - accel(t, np.r_[r, 0, 0, 0], off, tab)
            np.testing.assert_allclose(a, _gradient(potential, r, 0.5), rtol=0,
                                       atol=1e-8 * np.linalg.norm(a))
            # beyond the switch radius the harmonics are off
            far = only(gm_moon=gm, moon_harmonics_radius=1000.0)
            np.testing.assert_array_equal(accel(t, np.r_[r, 0, 0, 0], far, tab),
                                          accel(t, np.r_[r, 0, 0, 0], off, tab))


# --- CR3BP ---------------------------------------------------------------------------------------


def test_cr3bp_rhs_is_potential_gradient_plus_coriolis():
    mu = src.JPL3B_MU
    params = forces.cr3bp_params()

    def omega(r):
        r1 = np.linalg.norm(r - [-mu, 0, 0])
        r2 = np.linalg.norm(r - [1 - mu, 0, 0])
        return 0.5 * (r[0] ** 2 + r[1] ** 2) + (1 - mu) / r1 + mu / r2

    rng = np.random.default_rng(5)
    for _ in range(20):
        y = np.r_[rng.uniform(-1.3, 1.3, 3) * [1, 1, 0.3], rng.normal(size=3) * 0.3]
        f = forces.derivative(forces.MODEL_CR3BP, 0.0, y, params, None)
        coriolis = np.array([2 * y[4], -2 * y[3], 0.0])
        np.testing.assert_array_equal(f[:3], y[3:])
        np.testing.assert_allclose(f[3:], _gradient(omega, y[:3], 1e-4) + coriolis, rtol=0,
                                   atol=1e-9 * np.linalg.norm(f[3:]))


def test_params_builders():
    p = forces.cr3bp_params()
    assert p.shape == (forces.N_PARAMS,)
    assert p[forces.P_MU] == src.JPL3B_MU
    assert p[forces.P_R_MOON_SURFACE] * src.JPL3B_LENGTH_UNIT == pytest.approx(
        src.IAU_MOON_MEAN_RADIUS)
    assert p[forces.P_R_ATMOSPHERE] * src.JPL3B_LENGTH_UNIT == pytest.approx(
        src.EGM2008_A_E + 120.0)
    q = forces.ephemeris_params()
    assert q[forces.P_GM_EARTH] == src.DE421_GM_EARTH and q[forces.P_POLE_MODEL] == 1.0
    assert q[forces.P_R_ESCAPE] == 1.5e6
    assert q[forces.P_MOON_HARMONICS_RADIUS] == forces.MOON_SPHERE_OF_INFLUENCE


def test_event_functions(tab):
    mu = src.JPL3B_MU
    p = forces.cr3bp_params()
    y = np.array([1 - mu + p[forces.P_R_MOON_SURFACE], 0, 0, 0.1, 0.2, 0.0])
    assert forces.event_value(0, forces.EV_MOON_IMPACT, 0.0, y, p, None) == pytest.approx(
        0.0, abs=1e-15)
    assert forces.event_value(0, forces.EV_PERIGEE, 0.0, y, p, None) == pytest.approx(
        (1.0 + p[forces.P_R_MOON_SURFACE]) * 0.1)
    q = forces.ephemeris_params()
    r = np.array([7000.0, 0.0, 0.0, 0.0, -1.0, 0.0])
    assert forces.event_value(1, forces.EV_ATMOSPHERE, T0, r, q, tab) == pytest.approx(
        7000.0 - src.EGM2008_A_E - 120.0)
    assert forces.event_value(1, forces.EV_EARTH_IMPACT, T0, r, q, tab) == pytest.approx(
        7000.0 - src.EGM2008_A_E)
    assert forces.event_value(1, forces.EV_ESCAPE, T0, r, q, tab) == pytest.approx(7000.0 - 1.5e6)
    assert forces.event_value(1, forces.EV_PERIGEE, T0, r, q, tab) == 0.0


# --- high fidelity against an independent integration ---------------------------------------


class IndependentModel:
    """Same physics, written with jplephem + erfa + scipy Rotation and numpy (no kernel code)."""

    def __init__(self):
        from jplephem.pck import PCK
        from jplephem.spk import SPK

        e = Ephemeris()
        self.spk = SPK.open(e.spk_path)
        self.pck = PCK.open(e.pck_path)
        self.nfev = 0

    def close(self):
        self.spk.close()
        self.pck.close()

    def __call__(self, t, y):
        self.nfev += 1
        jd = (2451545.0, t / DAY)
        earth = self.spk[3, 399].compute(*jd)
        moon = self.spk[3, 301].compute(*jd) - earth
        sun = self.spk[0, 10].compute(*jd) - self.spk[0, 3].compute(*jd) - earth
        r = y[:3]
        rr = np.linalg.norm(r)
        a = -src.DE421_GM_EARTH * r / rr**3
        pole = erfa.bp06(*jd)[2][2]
        rp = r @ pole
        a += -1.5 * src.J2_EARTH * src.DE421_GM_EARTH * src.EGM2008_A_E**2 / rr**5 * (
            (1 - 5 * rp**2 / rr**2) * r + 2 * rp * pole)
        for gm, s in ((src.DE421_GM_MOON, moon), (src.DE421_GM_SUN, sun)):
            d = r - s
            a += -gm * (d / np.linalg.norm(d) ** 3 + s / np.linalg.norm(s) ** 3)
        d = r - moon
        rho = np.linalg.norm(d)
        if rho < forces.MOON_SPHERE_OF_INFLUENCE:
            angles = self.pck.segments[0].compute(*jd, derivative=False)
            m = Rotation.from_euler("ZXZ", angles).as_matrix().T
            b = m @ d
            k = src.DE421_GM_MOON * src.GL0660B_RADIUS**2 / rho**5
            z5 = 5 * b[2] ** 2 / rho**2
            g = -1.5 * src.J2_MOON * k * b * np.array([1 - z5, 1 - z5, 3 - z5])
            w = 5 * (b[0] ** 2 - b[1] ** 2) / rho**2
            g += 3 * src.C22_MOON * k * np.array([2 * b[0] - w * b[0], -2 * b[1] - w * b[1],
                                                     -w * b[2]])
            a += m.T @ g
        return np.r_[y[3:], a]


def lunar_launch_state(eph, t, speed, altitude=10.0):
    """A shot from just above the lunar surface, against the Moon's orbital motion (falls
    towards the Earth), tilted 20 deg up from the local horizontal."""
    rm, vm = ch.geocentric_moon(t, eph)
    up = -rm / np.linalg.norm(rm)                    # the Moon's Earth-facing... far side point
    along = -vm + (vm @ up) * up
    along /= np.linalg.norm(along)
    up = np.cross(np.cross(along, rm), along)
    up /= np.linalg.norm(up)
    direction = math.cos(math.radians(20)) * along + math.sin(math.radians(20)) * up
    r0 = rm + up * (src.IAU_MOON_MEAN_RADIUS + altitude)
    return np.r_[r0, vm + speed * direction]


@pytest.mark.slow
def test_five_day_coast_agrees_with_independent_integration_to_1_m(eph):
    """Measured: 9 mm. For scale, the same coast without the lunar J2/C22 ends 267 km away,
    without Earth J2 259 km away (perigee at 7750 km) and with J2 about the ICRF z axis instead
    of the mean pole 670 m away, so each term is checked."""
    y0 = lunar_launch_state(eph, T0, 2.5)
    t1 = T0 + 5 * DAY
    params = forces.ephemeris_params()
    ours = propagate.propagate(forces.MODEL_EPHEMERIS, T0, y0, t1, params, eph, rtol=1e-12,
                            atol=1e-12, store_steps=False)
    assert ours.status == 0
    model = IndependentModel()
    try:
        ref = solve_ivp(model, (T0, t1), y0, method="DOP853", rtol=1e-13, atol=1e-13)
    finally:
        model.close()
    assert ref.status == 0
    # the coast really goes somewhere: far from the Moon, well inside the escape radius
    assert 1e5 < np.linalg.norm(ours.y_final[:3]) < 1.5e6
    dr = np.linalg.norm(ours.y_final[:3] - ref.y[:3, -1])
    dv = np.linalg.norm(ours.y_final[3:] - ref.y[3:, -1])
    assert dr < 1e-3, dr          # km: < 1 m after 5 days
    assert dv < 1e-8, dv          # km/s


def test_packed_ephemeris_is_smooth_in_time(tab):
    """The positions carry the full precision of t: over two ulps of t (2.4e-7 s) the Moon
    moves 2.4e-7 km and the tables follow to 2e-10 km (position ulp 6e-11 km). Forming
    t - init over the ~4e9 s since the table start in 1899 would quantise time to 4.8e-7 s:
    steps of 0 or 4.8e-7 km."""

    def moon(t):
        return np.array(forces.table_position(tab, forces.PACKED_MOON, t))

    for t in T0 + np.array([12345.678, 98765.4321, 3.3e5]):
        velocity = (moon(t + 1.0) - moon(t - 1.0)) / 2.0
        assert 0.9 < np.linalg.norm(velocity) < 1.1                      # km/s
        dt = 2.0 * np.spacing(t)             # 2.4e-7 s, exactly representable from t
        np.testing.assert_allclose(moon(t + dt) - moon(t), velocity * dt, rtol=0, atol=2e-10)
