"""The aerobraking campaign must not create orbital energy between passes.

Found by a new-user trial (a 98 deg, 700 km target with the default 0.5 W/cm2 heat-rate limit):
the apoapsis of the aerobraking campaign fell from 20,000 km to 6,000 km and then rose back to
18,000 km with no burn, in a cycle of ~1,000 passes. The coasts between passes are two-body
(Kepler), so the passes must be too: with J2 inside a pass, the Keplerian energy of the
osculating state differs at entry and exit by the J2 potential between two points at different
latitudes (``sin(2 omega)`` with the argument of perigee omega), tens of km of apoapsis per pass.

Check: a pass with no air (Cd A = 0) is a conic, so a drag-free campaign keeps its apoapsis
(energy conservation, nothing written here).
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from massdriver.kernels import arrival as K

from massdriver.bodies import GM_EARTH, J2_EARTH, R_EARTH


def test_drag_free_campaign_keeps_its_apoapsis():
    mu, R = GM_EARTH, R_EARTH
    P = np.zeros(K.N_PARAMS)
    P[K.MU], P[K.J2], P[K.R_REF] = mu, J2_EARTH, R
    P[K.NOSE], P[K.TOP], P[K.FLOOR], P[K.EXIT_ALT] = 1.0, 1000.0, -1e9, 1000.0
    P[K.T_ON] = P[K.T_OFF] = -math.inf
    P[K.LEVEL] = 1
    P[K.CDA] = 0.0                                   # no drag: every pass is a conic
    rp, ra = R + 180.0, R + 20000.0
    vp = math.sqrt(mu * 2.0 * ra / (rp * (rp + ra)))
    # periapsis at 45 deg latitude on a 98 deg orbit (omega ~ 45 deg: the worst case)
    inc, w = math.radians(98.0), math.radians(45.0)
    rhat = np.array([math.cos(w), math.sin(w) * math.cos(inc), math.sin(w) * math.sin(inc)])
    that = np.array([-math.sin(w), math.cos(w) * math.cos(inc), math.cos(w) * math.sin(inc)])
    y0 = np.concatenate([rp * rhat, vp * that, [1500.0, 0.0]])
    n = 20
    hist = np.zeros((n, 7))
    inf = 1e300
    status, npass, *_ = K.aerobrake(y0.copy(), 0.0, P, 1e-10, R + 10.0, inf, inf, inf, 0.0,
                                    inf, 5.0, n, 1e9, hist)
    assert npass == n
    # with J2 in the passes: ~ -150 km of apoapsis per pass here (3,016 km in 20 passes)
    np.testing.assert_allclose(hist[:, 2], 20000.0, atol=0.01)
    np.testing.assert_allclose(hist[:, 1], 180.0, atol=0.01)


@pytest.mark.parametrize("nu", [math.pi - 1e-10, -math.pi + 1e-10])
def test_a_burn_at_the_apoapsis_it_is_at_takes_no_time(nu):
    """A trim right after a corridor burn starts at apoapsis, on either side of the anomaly's
    +-pi cut: the time to "the next apoapsis" is then zero, not one revolution (~6 h here)."""
    mu, R = GM_EARTH, R_EARTH
    rp, ra = R + 110.0, R + 20000.0
    vp = math.sqrt(mu * 2.0 * ra / (rp * (rp + ra)))
    peri = np.array([rp, 0.0, 0.0, 0.0, vp, 0.0])
    y = np.zeros(8)
    out = np.empty(6)
    K.state_at_anomaly(mu, peri[:3], peri[3:6], nu, out)
    y[:6], y[6] = out, 800.0
    t, dv = K._burn_at_apoapsis(y, 100.0, mu, R + 130.0)
    assert abs(t - 100.0) < 1e-3
    rp2, ra2 = K.apsides(mu, y[:3], y[3:6])
    assert rp2 == pytest.approx(R + 130.0, abs=1e-6) and ra2 == pytest.approx(ra, abs=1e-6)
    # vis-viva at the apoapsis: the speed change of a 20 km perigee raise
    va = [math.sqrt(2.0 * mu * r / (ra * (ra + r))) for r in (rp, R + 130.0)]
    assert dv == pytest.approx(va[1] - va[0], rel=1e-9)
