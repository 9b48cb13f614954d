"""``finite_burn`` with the approach perigee raised by the mid-course correction.

A long retrograde burn started before perigee sags towards the Earth while it slows. A mission
analyst aims the approach at a higher perigee (a correction about a day out, cheap) so that the
burn ends in the target orbit above the 150 km burn floor. ``finite_burn`` optimises that raise
(correction + burn + trim, trim within the tolerance). Checks, against nothing of the library's
pricing:

* the burn from the raised perigee flown again in scipy's DOP853 on a two-body + thrust
  right-hand side written here, from an approach state built here from vis-viva (same energy,
  same plane and perigee direction, mass less the correction's propellant): its end apsides
  are the target's (the clean-up it needs, from vis-viva, within the tolerance), and its
  delta-v (rocket equation on the scipy mass) and clean-up agree with the library's within
  1 m/s. The correction is ``|dh| / r`` at 200,000 km, recomputed here from ``h = r_p v_p``.
* the high-thrust limit: the raise and the gravity loss fall to zero as the thrust grows (the
  impulsive burn needs no raise);
* with 1 kN no burn from the 400 km arrival perigee reaches the circle above the floor (the
  Part-1 check refuses it), while the raised approach does.
"""

from __future__ import annotations

import math

import astropy.units as u
import numpy as np
import pytest
from test_arrival_two_body_burns import Q_LEO, _arrival, _satellite

from massdriver.bodies import GM_EARTH, R_EARTH

G0 = 9.80665


def _vis_viva(r, a):
    return math.sqrt(GM_EARTH * (2.0 / r - 1.0 / a))


def _apsides(y):
    """Periapsis and apoapsis radius of a bound state (km), from energy and angular momentum."""
    r, v = np.asarray(y[:3]), np.asarray(y[3:6])
    eps = 0.5 * float(v @ v) - GM_EARTH / float(np.linalg.norm(r))
    h = float(np.linalg.norm(np.cross(r, v)))
    a = -GM_EARTH / (2.0 * eps)
    e = math.sqrt(max(0.0, 1.0 + 2.0 * eps * h * h / GM_EARTH ** 2))
    return a * (1.0 - e), a * (1.0 + e)


def _clean_up(rp, ra, q, Q):
    """(rp, ra) -> (q, Q): at apoapsis move the periapsis to q, then at q the other apsis."""
    dv1 = abs(_vis_viva(ra, 0.5 * (ra + q)) - _vis_viva(ra, 0.5 * (ra + rp)))
    dv2 = abs(_vis_viva(q, 0.5 * (q + Q)) - _vis_viva(q, 0.5 * (q + ra)))
    return dv1 + dv2


def _price(thrust):
    from massdriver import arrival as A

    return A.finite_burn(_arrival(), Q_LEO, Q_LEO, _satellite(thrust), A.ArrivalOptions())


def test_raised_approach_burn_against_scipy():
    """1 kN on 800 kg: the approach perigee is raised to ~900 km; the ~27-minute burn from it,
    flown in DOP853, ends on the 400 km circle."""
    from scipy.integrate import solve_ivp

    from massdriver import arrival as A

    thrust, isp = 1000.0, 320.0
    ve = isp * G0 / 1000.0
    res = _price(thrust)
    assert res.feasible and res.outcome.startswith("ok, perigee aimed at")
    h_aim = res.approach_perigee.to_value(u.km)
    assert 600.0 < h_aim < 1200.0                        # measured 901 km
    assert f"{h_aim:.0f} km" in res.outcome
    # the approach state, from vis-viva: same energy, plane and perigee direction
    y = _arrival()
    r0, v0 = y[:3], y[3:6]
    rp0, vp0 = float(np.linalg.norm(r0)), float(np.linalg.norm(v0))
    rp1 = R_EARTH + h_aim
    vp1 = math.sqrt(vp0 ** 2 - 2.0 * GM_EARTH / rp0 + 2.0 * GM_EARTH / rp1)
    mcc = abs(rp1 * vp1 - rp0 * vp0) / 200000.0          # |dh| / r at 200,000 km
    m0 = 800.0 * math.exp(-mcc / ve)
    y_c = np.concatenate([r0 / rp0 * rp1, v0 / vp0 * vp1, [m0, 0.0]])
    # the library's burn from that state: its start (s from perigee) and length
    P = A.kernel_parameters(_satellite(thrust), floor=A.BURN_FLOOR)
    b = A._finite_burn_to(y_c, 0.0, Q_LEO, Q_LEO, P, ve, "velocity")
    assert b.duration == pytest.approx(res.burn_time.to_value(u.s), rel=1e-6)
    assert b.start < 0.0                                 # started before perigee

    def coast(t, s):
        return np.concatenate([s[3:6], -GM_EARTH * s[:3] / np.linalg.norm(s[:3]) ** 3])

    def burn(t, s):
        r, v, m = s[:3], s[3:6], s[6]
        a = -GM_EARTH * r / np.linalg.norm(r) ** 3 - thrust / m / 1000.0 * v / np.linalg.norm(v)
        return np.concatenate([v, a, [-thrust / (isp * G0)]])

    tight = dict(method="DOP853", rtol=1e-12, atol=1e-12)
    start = solve_ivp(coast, (0.0, b.start), y_c[:6], **tight).y[:, -1]
    end = solve_ivp(burn, (b.start, b.start + b.duration), np.concatenate([start, [m0]]),
                    **tight).y[:, -1]
    rp, ra = _apsides(end)
    assert abs(rp - Q_LEO) < 5.0 and abs(ra - Q_LEO) < 5.0   # the 400 km circle
    clean_up = _clean_up(rp, ra, Q_LEO, Q_LEO)
    assert clean_up < A.trim_tolerance(A.impulsive_in_plane(rp0, vp0, Q_LEO, Q_LEO))
    assert abs(clean_up - res.trim.to_value(u.km / u.s)) * 1000.0 < 1.0        # m/s
    burn_dv = ve * math.log(m0 / end[6])
    lib_burn = res.arrival_delta_v.to_value(u.km / u.s) - mcc - res.trim.to_value(u.km / u.s)
    assert abs(burn_dv - lib_burn) * 1000.0 < 1.0                               # m/s
    # the price is correction + burn + clean-up; the loss against the impulsive insertion
    # is positive and under 0.3 km/s (measured 180 m/s)
    assert 0.0 < res.gravity_loss.to_value(u.km / u.s) < 0.3


def test_without_the_raise_one_kilonewton_cannot_insert():
    """The same 1 kN burn from the unraised 400 km perigee stops at the floor, far from the
    circle: the raise is what makes the strategy feasible."""
    from massdriver import arrival as A

    y = _arrival()
    P = A.kernel_parameters(_satellite(1000.0), floor=A.BURN_FLOOR)
    b = A._finite_burn_to(y, 0.0, Q_LEO, Q_LEO, P, A._ve(_satellite(1000.0)), "velocity")
    imp = A.impulsive_in_plane(float(np.linalg.norm(y[:3])), float(np.linalg.norm(y[3:6])),
                               Q_LEO, Q_LEO)
    assert b.min_altitude < A.BURN_FLOOR + 1.0
    assert b.trim > 5.0 * A.trim_tolerance(imp)                 # measured 1.56 km/s


def test_high_thrust_limit_needs_no_raise():
    """6.4, 25.6 and 102.4 kN: the raise falls to zero (measured 13.6, 0.5, 0.0 km) and the
    loss against the impulsive cost with it (5.7, 0.45, 0.04 m/s), staying positive."""
    raises, losses = [], []
    for thrust in (6400.0, 25600.0, 102400.0):
        res = _price(thrust)
        assert res.feasible
        raises.append(res.approach_perigee.to_value(u.km) - 400.0)
        losses.append(res.gravity_loss.to_value(u.m / u.s))
    assert raises[0] > raises[1] >= raises[2] >= -1e-9, raises
    assert raises[2] < 1.0, raises
    assert losses[0] > losses[1] > losses[2] > 0.0, losses
    assert losses[2] < 0.1, losses


def test_four_hundred_newtons_stays_infeasible():
    """No aim up to 2,000 km higher lets one 400 N burn (an hour) reach the circle: it sags
    to the floor whatever the aim. Reported, never chosen."""
    res = _price(400.0)
    assert not res.feasible and "floored at 150 km" in res.outcome
    assert res.approach_perigee.to_value(u.km) == pytest.approx(400.0, abs=1e-3)
    assert res.as_dict()["approach_perigee_altitude_km"] == pytest.approx(400.0, abs=1e-3)
