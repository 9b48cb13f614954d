"""Secular J2 in the multi-day arrival strategies (aerobraking, multi-pass).

Sources:

* First-order secular rates of the node and of the argument of perigee: Vallado, D. A.,
  *Fundamentals of Astrodynamics and Applications*, 4th ed. (2013), eqs. 9-41 and 9-42:
  ``dOmega/dt = -3/2 n J2 (R/p)^2 cos i``, ``domega/dt = 3/4 n J2 (R/p)^2 (4 - 5 sin^2 i)``.
* Published consequences of those rates: a sun-synchronous orbit at 800 km is inclined 98.6 deg
  (Wertz & Larson, *Space Mission Analysis and Design*, 3rd ed., 1999, fig. 6-8 / table 6-3;
  Vallado 2013, sec. 11.4); the perigee stands still at the critical inclination
  ``asin(sqrt(4/5)) = 63.435 deg`` (Vallado 2013, sec. 9.6).
* The real J2 dynamics: scipy's DOP853 on a point-mass + J2 right-hand side written here; the
  slope of the osculating node and perigee over a day is the secular rate.
"""

from __future__ import annotations

import math

import astropy.units as u
import numpy as np
import pytest
from massdriver.kernels import arrival as K

from massdriver.bodies import GM_EARTH, J2_EARTH, R_EARTH

MU, R = GM_EARTH, R_EARTH


def _elements(y):
    """(a, e, i, Omega, omega, nu) of a state (km, km/s), written here from the vectors."""
    r, v = np.asarray(y[:3], float), np.asarray(y[3:6], float)
    rn = np.linalg.norm(r)
    h = np.cross(r, v)
    node = np.cross([0.0, 0.0, 1.0], h)
    ev = ((v @ v - MU / rn) * r - (r @ v) * v) / MU
    e = np.linalg.norm(ev)
    a = 1.0 / (2.0 / rn - v @ v / MU)
    inc = math.acos(h[2] / np.linalg.norm(h))
    raan = math.atan2(node[1], node[0])
    nn = node / np.linalg.norm(node)
    argp = math.atan2(np.cross(nn, ev) @ h / np.linalg.norm(h), nn @ ev)
    nu = math.atan2(np.cross(ev, r) @ h / np.linalg.norm(h), ev @ r)
    return a, e, inc, raan, argp, nu


def _state(rp, ra, inc, raan, argp, nu=0.0):
    """State at true anomaly nu of the ellipse (rp, ra) km with the given angles (rad)."""
    a = 0.5 * (rp + ra)
    e = (ra - rp) / (ra + rp)
    p = a * (1 - e * e)
    rr = p / (1 + e * math.cos(nu))
    pf_r = np.array([rr * math.cos(nu), rr * math.sin(nu), 0.0])
    pf_v = math.sqrt(MU / p) * np.array([-math.sin(nu), e + math.cos(nu), 0.0])

    def rot(axis, ang):
        c, s = math.cos(ang), math.sin(ang)
        if axis == 3:
            return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])
        return np.array([[1.0, 0, 0], [0, c, -s], [0, s, c]])

    M = rot(3, raan) @ rot(1, inc) @ rot(3, argp)
    return np.concatenate([M @ pf_r, M @ pf_v])


def _vallado(a, e, inc):
    n = math.sqrt(MU / a ** 3)
    k = n * J2_EARTH * (R / (a * (1 - e * e))) ** 2
    return -1.5 * k * math.cos(inc), 0.75 * k * (4 - 5 * math.sin(inc) ** 2)


def _P():
    P = np.zeros(K.N_PARAMS)
    P[K.MU], P[K.J2], P[K.R_REF] = MU, J2_EARTH, R
    P[K.NOSE], P[K.TOP], P[K.FLOOR], P[K.EXIT_ALT] = 1.0, 1000.0, -1e9, 1000.0
    P[K.T_ON] = P[K.T_OFF] = -math.inf
    P[K.LEVEL] = 1
    return P


def test_rates_give_the_published_sun_synchronous_and_critical_inclinations():
    a = R + 800.0
    node, _ = K.j2_secular_rates(MU, J2_EARTH, R, a, 0.0, math.cos(math.radians(98.6)))
    # the mean Sun: 360 deg per tropical year (0.9856 deg/day); 98.6 deg is quoted to 0.1 deg
    # (~1.7 % of cos i)
    assert math.degrees(node) * 86400.0 == pytest.approx(360.0 / 365.2422, rel=0.02)
    _, argp = K.j2_secular_rates(MU, J2_EARTH, R, a, 0.1,
                                 math.cos(math.asin(math.sqrt(0.8))))
    assert abs(argp) < 1e-18
    # and the rates are Vallado's eqs. 9-41 / 9-42 for an aerobraking-like ellipse
    rp, ra = R + 120.0, R + 20000.0
    a, e, inc = 0.5 * (rp + ra), (ra - rp) / (ra + rp), math.radians(28.5)
    got = K.j2_secular_rates(MU, J2_EARTH, R, a, e, math.cos(inc))
    assert got == pytest.approx(_vallado(a, e, inc), rel=1e-12)


def test_a_coast_turns_node_and_perigee_and_keeps_the_shape():
    """One day of drift on the 120 x 20,000 km, 28.5 deg ellipse: node and argument of
    perigee move by Vallado's rates times the day; a, e, i and the true anomaly stay."""
    rp, ra, inc = R + 120.0, R + 20000.0, math.radians(28.5)
    y = np.zeros(8)
    y[:6] = _state(rp, ra, inc, math.radians(40.0), math.radians(30.0), 2.0)
    before = _elements(y)
    dt = 86400.0
    dn, dw, per_cos = K.j2_secular_drift(y, dt, _P())
    after = _elements(y)
    rn, rw = _vallado(before[0], before[1], inc)
    assert dn == pytest.approx(rn * dt, rel=1e-9) and dw == pytest.approx(rw * dt, rel=1e-9)
    assert per_cos * math.cos(inc) == pytest.approx(dn, rel=1e-9)
    # ~ -1.5 deg and +2.5 deg of this ellipse per day
    assert math.remainder(after[3] - before[3] - rn * dt, 2 * math.pi) == pytest.approx(0, abs=1e-9)
    assert math.remainder(after[4] - before[4] - rw * dt, 2 * math.pi) == pytest.approx(0, abs=1e-9)
    for k in (0, 1, 2, 5):
        assert after[k] == pytest.approx(before[k], rel=1e-9, abs=1e-9)


def test_secular_rates_match_the_j2_dynamics():
    """A day of full J2 flight (scipy DOP853, right-hand side written here) of a 300 x 3,000 km,
    28.5 deg orbit: the least-squares slope of the osculating node and perigee (the
    short-period terms average out over 12 revolutions) is the rate the campaign applies,
    within 1 % for the node and 2 % for the perigee (second-order and short-period residue)."""
    from scipy.integrate import solve_ivp

    rp, ra, inc = R + 300.0, R + 3000.0, math.radians(28.5)
    y0 = _state(rp, ra, inc, math.radians(40.0), math.radians(30.0))

    def rhs(t, s):
        r = s[:3]
        rn = np.linalg.norm(r)
        zr2 = (r[2] / rn) ** 2
        k = 1.5 * J2_EARTH * MU * R * R / rn ** 5
        acc = -MU * r / rn ** 3 + k * r * (5 * zr2 - 1)
        acc[2] -= 2 * k * r[2]
        return np.concatenate([s[3:], acc])

    T = 86400.0
    ts = np.linspace(0.0, T, 2001)
    sol = solve_ivp(rhs, (0, T), y0, method="DOP853", rtol=1e-11, atol=1e-9, t_eval=ts)
    el = np.array([_elements(s) for s in sol.y.T])
    node_fit = np.polyfit(ts, np.unwrap(el[:, 3]), 1)[0]
    argp_fit = np.polyfit(ts, np.unwrap(el[:, 4]), 1)[0]
    y = np.zeros(8)
    y[:6] = y0
    dn, dw, _ = K.j2_secular_drift(y, T, _P())
    assert dn / T == pytest.approx(node_fit, rel=0.01)
    assert dw / T == pytest.approx(argp_fit, rel=0.02)


def test_drag_free_campaign_drifts_at_the_secular_rates_and_keeps_its_shape():
    """The campaign with J2 on and no air: apsides unchanged after 20 passes, node and perigee
    moved by the Vallado rates times the campaign's duration, inclination unchanged."""
    P = _P()
    P[K.CDA] = 0.0
    inc = math.radians(98.0)
    y0 = np.zeros(8)
    y0[:6] = _state(R + 180.0, R + 20000.0, inc, math.radians(10.0), math.radians(45.0))
    y0[6] = 1500.0
    n = 20
    hist = np.zeros((n, 7))
    inf = 1e300
    status, npass, t_end, *_rest, y_end, drift = K.aerobrake(
        y0.copy(), 0.0, P, 1e-10, R + 10.0, inf, inf, inf, 0.0, inf, 5.0, n, 1e9, hist)
    assert npass == n
    np.testing.assert_allclose(hist[:, 2], 20000.0, atol=0.01)
    np.testing.assert_allclose(hist[:, 1], 180.0, atol=0.01)
    b, e = _elements(y0), _elements(y_end)
    rn, rw = _vallado(b[0], b[1], inc)
    assert t_end > 4 * 86400.0                      # ~4.9 days of drift
    assert math.remainder(e[3] - b[3] - rn * t_end, 2 * math.pi) == pytest.approx(0, abs=1e-7)
    assert math.remainder(e[4] - b[4] - rw * t_end, 2 * math.pi) == pytest.approx(0, abs=1e-7)
    assert e[2] == pytest.approx(inc, abs=1e-9)
    assert drift[0] == pytest.approx(rn * t_end, rel=1e-7)
    assert drift[1] == pytest.approx(rw * t_end, rel=1e-7)


def test_node_mismatch_cost_is_the_plane_change_between_the_drifted_planes():
    from astropy.time import Time

    from massdriver import targets
    from massdriver.arrival import PlaneDrift, node_mismatch_cost

    q = Q = R + 400.0
    assert node_mismatch_cost(None, -1.0, 1e6, q, Q) == (0.0, None)
    assert PlaneDrift.of(targets.circular(400 * u.km, 28.5 * u.deg)) is None
    sso = PlaneDrift.of(targets.sun_synchronous(700 * u.km, 10.5))
    assert sso.node_rate * 86400.0 == pytest.approx(2 * math.pi / 365.2422, rel=1e-5)
    fixed = PlaneDrift.of(targets.circular(400 * u.km, 28.5 * u.deg, 0 * u.deg,
                                           epoch=Time("2027-01-03")))
    inc = math.radians(28.5)
    # the target's own J2 rate (Vallado 9-41, circular 400 km)
    assert fixed.node_rate == pytest.approx(_vallado(q, 0.0, inc)[0], rel=1e-6)
    t = 46 * 86400.0
    node_c = math.radians(-89.0)
    dv, deg = node_mismatch_cost(fixed, node_c / math.cos(inc), t, q, Q)
    d = node_c - fixed.node_rate * t
    assert deg == pytest.approx(math.degrees(math.remainder(d, 2 * math.pi)), abs=1e-9)
    assert -180.0 < deg <= 180.0

    def normal(node):
        return np.array([math.sin(inc) * math.sin(node), -math.sin(inc) * math.cos(node),
                         math.cos(inc)])
    theta = math.acos(normal(node_c) @ normal(fixed.node_rate * t))
    assert dv == pytest.approx(2 * math.sqrt(MU / q) * math.sin(theta / 2), rel=1e-9)
    assert dv > 3.0                      # tens of degrees of plane in LEO: km/s


@pytest.fixture(scope="module")
def leo_pair():
    from astropy.time import Time

    from massdriver import targets
    from massdriver.arrival import compare_strategies
    from massdriver.satellite import Engine, Satellite

    sat = Satellite(wet_mass=800 * u.kg, engines=(Engine(400 * u.N, 320 * u.s),),
                    max_heat_rate=5 * u.W / u.cm ** 2, max_heat_load=5000 * u.J / u.cm ** 2)
    r = np.array([R + 400.0, 0.0, 0.0]) * u.km
    v = np.array([0.0, 10.85 * math.cos(0.5), 10.85 * math.sin(0.5)]) * u.km / u.s
    free = targets.circular(400 * u.km, 28.5 * u.deg)
    fixed = targets.circular(400 * u.km, 28.5 * u.deg, 0 * u.deg, epoch=Time("2027-01-03"))
    return tuple(compare_strategies(r, v, t, sat, strategies="multi_pass,aerobraking")
                 for t in (free, fixed))


def test_free_raan_costs_nothing_and_a_fixed_node_pays_the_mismatch(leo_pair):
    """The LEO arrival (docs/arrival.md): ~46 days of aerobraking turn the ellipse's node by
    ~-89 deg and the 400 km target's by ~-324 deg; the fixed plane is ~125 deg away at the end,
    and the comparison says so and prices it."""
    from massdriver.arrival import PlaneDrift, node_mismatch_cost

    free, fixed = leo_pair
    for name in ("multi_pass", "aerobraking"):
        a, b = free[name], fixed[name]
        assert a.feasible and b.feasible
        assert a.node_mismatch is None and a.outcome == "ok"
        assert b.days == a.days and b.passes == a.passes
        assert b.node_mismatch is not None and "node off" in b.outcome
        extra = (b.arrival_delta_v - a.arrival_delta_v).to_value("km/s")
        assert extra > 0.0
        d = b.node_mismatch.to_value("deg")
        # the mismatch's price is the formula's for that mismatch
        q = R + 400.0
        pd = PlaneDrift(math.radians(28.5), 0.0)
        assert extra == pytest.approx(node_mismatch_cost(
            pd, math.radians(d) / math.cos(pd.inclination), 0.0, q, q)[0], rel=1e-9)
        assert "node_mismatch_deg" in b.as_dict() and "node_mismatch_deg" not in a.as_dict()
    # the ellipse's own drift: the mismatch plus the target's (Vallado 9-41, -7.1 deg/day)
    rate = math.degrees(_vallado(R + 400.0, 0.0, math.radians(28.5))[0]) * 86400.0

    def own(name):
        r = fixed[name]
        return math.remainder(r.node_mismatch.to_value("deg") + rate * r.days.to_value("d"),
                              360.0)
    # ~46 days of aerobraking: ~-89 deg of the ellipse's node (docs/arrival.md)
    assert own("aerobraking") == pytest.approx(-89.0, abs=10.0)
    # ~3 days of multi-pass on ellipses of ~20,000-400,000 km: about a degree
    assert -3.0 < own("multi_pass") < -0.3
