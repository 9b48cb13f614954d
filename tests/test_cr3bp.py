"""Tests of the Earth-Moon CR3BP model (massdriver.kernels.forces, MODEL_CR3BP).

References
----------
[JPL-3B]  JPL Solar System Dynamics, Three-Body Periodic Orbits database
          (https://ssd.jpl.nasa.gov/tools/periodic_orbits.html): Earth-Moon mass ratio
          mu = 1.215058560962404e-2, length unit 389703.2648292776 km, time unit
          382981.2891290545 s (the API's "system" block); the southern L2
          halo orbit below (initial state and period to 16 digits) is one of its entries.
[KLMR]    W. S. Koon, M. W. Lo, J. E. Marsden, S. D. Ross, *Dynamical Systems, the Three-Body
          Problem and Space Mission Design* (2011), Ch. 2: Earth-Moon Jacobi constants of the
          Lagrange points C1 = 3.1883, C2 = 3.1722, C3 = 3.0121, C4 = C5 = 2.9880 (mu = 0.01215).
[poliastro] poliastro 0.17 test suite, tests/tests_threebody/test_cr3bp_lib_calc.py: Earth-Moon
          Lagrange points for mu = 1.215058560962404e-2: L1 x = 0.8369151257723572,
          L2 x = 1.155682165444884, L3 x = -1.005062645810278, L4 = (0.4878494143903759,
          0.8660254037844386).
The collinear points are also recomputed here independently with scipy.optimize.brentq.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from massdriver.kernels import forces
from massdriver.kernels.integrators import propagate
from scipy.optimize import brentq

from massdriver import bodies

MU = bodies.CR3BP_MU
DAY_TU = 86400.0 / bodies.CR3BP_TIME_UNIT


def test_system_constants_and_scaling():
    assert MU == 1.215058560962404e-2                              # [JPL-3B]
    assert bodies.CR3BP_LENGTH_UNIT == 389703.2648292776                # [JPL-3B]
    assert bodies.CR3BP_TIME_UNIT == 382981.2891290545                  # [JPL-3B]
    # the time unit is 1 / mean motion of the primaries: T = sqrt(L^3 / G(M_E + M_M))
    gm = bodies.GM_EARTH + bodies.GM_MOON
    assert math.sqrt(bodies.CR3BP_LENGTH_UNIT**3 / gm) == pytest.approx(
        bodies.CR3BP_TIME_UNIT, rel=1e-8)                           # measured 7e-9
    assert bodies.CR3BP_VELOCITY_UNIT == pytest.approx(1.01755, rel=1e-5)   # km/s
    # the mass ratio agrees with the DE421 GMs
    assert bodies.GM_MOON / gm == pytest.approx(MU, rel=2e-7)      # measured 1.1e-7


def test_lagrange_points_match_published_and_brentq():
    points = forces.lagrange_points(MU)
    published = np.array([[0.8369151257723572, 0, 0], [1.155682165444884, 0, 0],
                          [-1.005062645810278, 0, 0], [0.4878494143903759, 0.8660254037844386, 0],
                          [0.4878494143903759, -0.8660254037844386, 0]])      # [poliastro]
    np.testing.assert_allclose(points, published, rtol=0, atol=1e-13)

    def dx_omega(x):
        return x - (1 - MU) * (x + MU) / abs(x + MU) ** 3 - MU * (x - 1 + MU) / abs(x - 1 + MU) ** 3

    eps = 1e-9
    roots = [brentq(dx_omega, -MU + eps, 1 - MU - eps, xtol=1e-16, rtol=9e-16),
             brentq(dx_omega, 1 - MU + eps, 2.0, xtol=1e-16, rtol=9e-16),
             brentq(dx_omega, -2.0, -MU - eps, xtol=1e-16, rtol=9e-16)]
    np.testing.assert_allclose(points[:3, 0], roots, rtol=0, atol=2e-15)
    # all five are equilibria of the rotating-frame equations
    params = forces.cr3bp_params()
    for p in points:
        f = forces.derivative(forces.MODEL_CR3BP, 0.0, np.r_[p, 0, 0, 0], params, None)
        assert np.max(np.abs(f)) < 1e-14


def test_jacobi_constants_of_lagrange_points():
    points = forces.lagrange_points(MU)
    c = [forces.jacobi_constant(np.r_[p, 0, 0, 0], MU) for p in points]
    np.testing.assert_allclose(c, [3.1883, 3.1722, 3.0121, 2.9880, 2.9880], rtol=0,
                               atol=6e-5)                                   # [KLMR], 4 decimals
    assert c[3] == pytest.approx(3.0 - MU * (1.0 - MU), abs=1e-15)          # analytic
    assert c[0] > c[1] > c[2] > c[3]


@pytest.mark.parametrize("y0", [
    np.array([0.8234, 0.0, 0.0, 0.0, 0.1263, 0.0]),                         # [KLMR] near L1
    # a lunar departure: 100 km above the far side at 2.45 km/s retrograde, out of plane
    np.array([1.0 - MU + (bodies.R_MOON + 100.0) / bodies.CR3BP_LENGTH_UNIT, 0.0, 0.0,
              0.0, -2.45 / bodies.CR3BP_VELOCITY_UNIT * 0.9, 0.1]),
])
def test_jacobi_constant_conserved_over_ten_days(y0):
    params = forces.cr3bp_params()
    out = propagate.propagate(forces.MODEL_CR3BP, 0.0, y0, 10.0 * DAY_TU, params, None,
                           rtol=1e-12, atol=1e-15)
    assert out.status == 0
    c0 = forces.jacobi_constant(y0, MU)
    drift = np.array([forces.jacobi_constant(y, MU) - c0 for y in out.y])
    assert np.max(np.abs(drift)) < 1e-10
    # a loose tolerance really breaks it (the check is sensitive)
    loose = propagate.propagate(forces.MODEL_CR3BP, 0.0, y0, 10.0 * DAY_TU, params, None,
                             rtol=1e-5, atol=1e-8)
    assert abs(forces.jacobi_constant(loose.y_final, MU) - c0) > 1e-10


def test_published_l2_halo_orbit_closes_after_one_period():
    """[JPL-3B] southern L2 halo: after one period the state returns to itself, and at half a
    period it crosses the xz plane perpendicularly (y = vx = vz = 0)."""
    y0 = np.array([1.0809931218390707, 0.0, -2.0235953267405354e-01, 1.0157158264396639e-14,
                   -1.9895001215078018e-01, 7.2218178975912707e-15])
    period = 2.3538670417546639
    params = forces.cr3bp_params()
    half = propagate.propagate(forces.MODEL_CR3BP, 0.0, y0, period / 2, params, None, rtol=1e-13,
                            atol=1e-15)
    assert np.max(np.abs(half.y_final[[1, 3, 5]])) < 1e-12
    full = propagate.propagate(forces.MODEL_CR3BP, 0.0, y0, period, params, None, rtol=1e-13,
                            atol=1e-15)
    assert np.max(np.abs(full.y_final - y0)) < 1e-11
    # the perilune of this near-rectilinear orbit is ~3200 km from the Moon's centre
    perilune = np.linalg.norm(half.y_final[:3] - [1 - MU, 0, 0]) * bodies.CR3BP_LENGTH_UNIT
    assert 1800 < perilune < 20000
