"""massdriver.cr3bp: the public CR3BP API (Lagrange points, Jacobi, frames, periodic orbits).

[JPL-3B] JPL Solar System Dynamics, Three-Body Periodic Orbits database
         (https://ssd.jpl.nasa.gov/tools/periodic_orbits.html), Earth-Moon, mu =
         1.215058560962404e-2: the southern L2 halo orbit x0 = 1.0809931218390707,
         z0 = -2.0235953267405354e-01, vy0 = -1.9895001215078018e-01, period
         2.3538670417546639 (the entry tests/test_cr3bp.py checks for closure).
[poliastro] poliastro 0.17 tests (tests_threebody/test_cr3bp_lib_calc.py): L1 x =
         0.8369151257723572, L2 x = 1.155682165444884 for the same mu.
"""

from __future__ import annotations

import numpy as np
import pytest

from massdriver import cr3bp
from massdriver.errors import InputError

MU = cr3bp.MU
HALO = np.array([1.0809931218390707, 0.0, -2.0235953267405354e-01, 0.0,
                 -1.9895001215078018e-01, 0.0])
HALO_PERIOD = 2.3538670417546639


def test_lagrange_points_and_jacobi():
    L = cr3bp.lagrange_points()
    assert L[0, 0] == pytest.approx(0.8369151257723572, abs=1e-13)      # [poliastro]
    assert L[1, 0] == pytest.approx(1.155682165444884, abs=1e-13)
    l4 = np.concatenate([L[3], np.zeros(3)])
    assert cr3bp.jacobi_constant(l4) == pytest.approx(3.0 - MU * (1.0 - MU), abs=1e-14)
    many = np.stack([l4, HALO])
    assert np.allclose(cr3bp.jacobi_constant(many),
                       [cr3bp.jacobi_constant(l4), cr3bp.jacobi_constant(HALO)], rtol=0,
                       atol=0)


def test_corrector_finds_the_published_l2_halo_from_a_guess():
    """[JPL-3B]: x0 off by 2e-3 and vy0 by 5e-3; z0 held; converges to the catalogue entry."""
    guess = HALO.copy()
    guess[0] += 2e-3
    guess[4] += 5e-3
    orbit = cr3bp.correct_periodic_orbit(guess, 2.4, fix="z")
    assert np.max(np.abs(orbit.initial_state - HALO)) < 1e-10
    assert orbit.period == pytest.approx(HALO_PERIOD, abs=1e-9)
    assert orbit.iterations >= 2 and orbit.residual < 1e-11


def test_lyapunov_orbit_closes_under_the_kernel_integrator():
    """A planar L1 Lyapunov orbit from the corrector (scipy DOP853 + STM) closes after one
    period under massdriver's own DOP853 kernel (a different integrator)."""
    from massdriver.kernels import forces
    from massdriver.kernels.integrators import propagate as front_door

    L1 = cr3bp.lagrange_points()[0, 0]
    orbit = cr3bp.correct_periodic_orbit([L1 - 0.01, 0, 0, 0, 0.08, 0], 2.7)
    assert orbit.initial_state[2] == 0.0
    prop = front_door.propagate(forces.MODEL_CR3BP, 0.0, orbit.initial_state, orbit.period,
                            forces.cr3bp_params(), None, rtol=1e-13, atol=1e-15)
    assert np.max(np.abs(prop.y_final - orbit.initial_state)) < 1e-9
    assert cr3bp.jacobi_constant(prop.y_final) == pytest.approx(orbit.jacobi, abs=1e-11)


def test_rotating_inertial_round_trip_and_the_moon():
    t = np.array([0.0, 0.7, 2.9])
    moon = np.tile([1.0 - MU, 0, 0, 0, 0, 0], (3, 1))
    inertial = cr3bp.rotating_to_inertial(moon, t)
    expected = (1.0 - MU) * np.stack([np.cos(t), np.sin(t), 0 * t, -np.sin(t), np.cos(t),
                                      0 * t], axis=-1)
    assert np.allclose(inertial, expected, rtol=0, atol=1e-15)
    assert np.allclose(cr3bp.rotating_to_inertial(moon, t, center="moon"), 0.0, atol=1e-15)
    states = np.array([[0.9, 0.1, 0.05, 0.01, -0.2, 0.03], HALO, [-0.3, 0.4, 0, 0.2, 0.1, 0]])
    for center in ("barycenter", "earth", "moon"):
        back = cr3bp.inertial_to_rotating(cr3bp.rotating_to_inertial(states, t, center=center),
                                          t, center=center)
        assert np.allclose(back, states, rtol=0, atol=1e-14)


def test_bad_input_is_an_input_error():
    with pytest.raises(InputError):
        cr3bp.correct_periodic_orbit([1.08, 0.1, -0.2, 0, -0.2, 0], 2.4)
    with pytest.raises(InputError):
        cr3bp.jacobi_constant([1.0, 2.0, np.nan, 0, 0, 0])
    with pytest.raises(InputError):
        cr3bp.rotating_to_inertial(HALO, 0.0, center="sun")
    with pytest.raises(InputError):
        cr3bp.lagrange_points(0.7)
