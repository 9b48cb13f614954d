"""Tests of the Sundman-regularised integrator (massdriver.kernels.integrators.sundman).

References (nothing here is checked against the regularised code itself):

- Two-body motion: Kepler's equation solved by Newton iteration in ``test_dop853`` (Vallado,
  *Fundamentals of Astrodynamics and Applications*, 4th ed., Alg. 2 and 10).
- ``scipy.integrate.solve_ivp(method="DOP853")`` in physical time with a numpy right-hand side
  (the CR3BP equations written out again below), at rtol 1e-13.
- The physical-time kernel :mod:`massdriver.kernels.integrators.dop853`, itself validated step
  for step against scipy (tests/test_dop853.py), at tighter tolerances than the run under test.
- CR3BP Jacobi integral (Szebehely 1967, *Theory of Orbits*, Sec. 1.5): conserved exactly.
"""

from __future__ import annotations

import numpy as np
import pytest
from massdriver.kernels import forces
from massdriver.kernels.chebyshev import geocentric_moon
from massdriver.kernels.integrators import propagate
from reference_orbits import (
    ORBIT,
    PERIOD,
    T0,
    cr3bp_numpy,
    kepler_params,
    kepler_state,
    lunar_launch,
    rotating_launch,
)
from reference_orbits import elements_to_state as kepler_elements_to_state
from scipy.integrate import solve_ivp

from massdriver import bodies

MU = bodies.CR3BP_MU
L = bodies.CR3BP_LENGTH_UNIT
TU = bodies.CR3BP_TIME_UNIT
VU = L / TU


def test_kepler_orbit_against_the_analytic_solution_with_fewer_evaluations(eph):
    """1.5 revolutions of a 6,700 x 380,000 km ellipse (point-mass Earth): the regularised
    run is closer to Kepler's solution than the physical-time run and needs ~40 % fewer
    evaluations."""
    y0 = kepler_elements_to_state(*ORBIT)
    t1 = 1.5 * PERIOD
    truth = kepler_state(*ORBIT, t1)
    for rtol, bound in ((1e-10, 1e-3), (1e-12, 1e-5)):
        phys = propagate.propagate(1, 0.0, y0, t1, kepler_params(), eph, rtol=rtol,
                                atol=1e-3 * rtol, store_steps=False)
        reg = propagate.propagate(1, 0.0, y0, t1, kepler_params(), eph, rtol=rtol,
                               atol=1e-3 * rtol, store_steps=False, regularize=True)
        err_phys = np.linalg.norm(phys.y_final[:3] - truth[:3])
        err_reg = np.linalg.norm(reg.y_final[:3] - truth[:3])
        assert reg.status == propagate.STATUS_FINISHED and reg.t_final == t1
        assert err_reg < bound                                      # km
        assert err_reg < err_phys
        assert reg.nfev < 0.7 * phys.nfev


def test_cr3bp_coast_matches_scipy_and_saves_evaluations(eph):
    """The 5-day benchmark coast (perigee 8,600 km): against scipy DOP853 at rtol 1e-13."""
    y0 = rotating_launch(eph, 2.50)
    t1 = 5 * 86400.0 / TU
    ref = solve_ivp(cr3bp_numpy, (0.0, t1), y0, method="DOP853", rtol=1e-13, atol=1e-16)
    assert ref.success
    p = forces.cr3bp_params()
    for rtol, bound_m in ((1e-10, 0.1), (1e-12, 1e-3)):
        phys = propagate.propagate(0, 0.0, y0, t1, p, None, rtol=rtol, atol=1e-3 * rtol,
                                store_steps=False)
        reg = propagate.propagate(0, 0.0, y0, t1, p, None, rtol=rtol, atol=1e-3 * rtol,
                               store_steps=False, regularize=True)
        err_phys = np.max(np.abs(phys.y_final[:3] - ref.y[:3, -1])) * L * 1e3
        err_reg = np.max(np.abs(reg.y_final[:3] - ref.y[:3, -1])) * L * 1e3
        assert err_reg < bound_m
        assert err_reg < err_phys
        assert reg.nfev < 0.7 * phys.nfev


def test_cr3bp_jacobi_constant_conserved_over_10_days(eph):
    p = forces.cr3bp_params()
    out = propagate.propagate(0, 0.0, rotating_launch(eph, 2.50), 10 * 86400.0 / TU, p, None,
                           rtol=1e-12, atol=1e-15, regularize=True)
    assert out.status == propagate.STATUS_FINISHED
    jac = np.array([forces.jacobi_constant(y, MU) for y in out.y])
    assert np.max(np.abs(jac - jac[0])) < 1e-10


def test_ephemeris_coast_agrees_with_the_physical_time_kernel(eph):
    """DE421 model, 5 days: within 1 m of the physical-time kernel at rtol 1e-13."""
    p = forces.ephemeris_params()
    y0 = lunar_launch(eph, T0, 2.50)
    t1 = T0 + 5 * 86400.0
    scale = np.array([L, L, L, VU, VU, VU]) * 1e-3
    truth = propagate.propagate(1, T0, y0, t1, p, eph, rtol=1e-13, atol=1e-13 * scale,
                             store_steps=False)
    for rtol in (1e-10, 1e-12):
        reg = propagate.propagate(1, T0, y0, t1, p, eph, rtol=rtol, atol=rtol * scale,
                               store_steps=False, regularize=True)
        assert reg.t_final == t1
        assert np.linalg.norm(reg.y_final[:3] - truth.y_final[:3]) < 1e-3          # km


def test_events_are_located_in_physical_time(eph):
    """Perigee and atmosphere crossings within 1 ms of the physical-time kernel at rtol 1e-13;
    shots below lunar escape speed end on the lunar surface (the Moon's position is taken at
    the physical time of the event)."""
    p = forces.ephemeris_params()
    y0 = lunar_launch(eph, T0, 2.50)
    t1 = T0 + 6 * 86400.0
    modes = propagate.event_modes(terminal=["earth_impact"], record=["perigee", "moon_impact"])
    truth = propagate.propagate(1, T0, y0, t1, p, eph, rtol=1e-13, atol=1e-14, events=modes)
    reg = propagate.propagate(1, T0, y0, t1, p, eph, rtol=1e-12, atol=1e-12, events=modes,
                           regularize=True)
    assert reg.event_count[forces.EV_PERIGEE] == truth.event_count[forces.EV_PERIGEE] == 1
    assert reg.event_count[forces.EV_MOON_IMPACT] == 0
    assert abs(reg.event_t[forces.EV_PERIGEE][0] - truth.event_t[forces.EV_PERIGEE][0]) < 1e-3
    y_p = reg.event_y[forces.EV_PERIGEE][0]
    assert y_p.shape == (6,)
    assert np.linalg.norm(y_p[:3]) == pytest.approx(
        np.linalg.norm(truth.event_y[forces.EV_PERIGEE][0][:3]), abs=1e-3)
    assert abs(y_p[:3] @ y_p[3:]) < 1e-9 * np.linalg.norm(y_p[:3]) * np.linalg.norm(y_p[3:])

    modes = propagate.event_modes(terminal=["moon_impact", "earth_impact", "escape"])
    for speed in (1.0, 2.2):
        y0 = lunar_launch(eph, T0, speed, elevation_deg=30.0)
        phys = propagate.propagate(1, T0, y0, T0 + 5 * 86400.0, p, eph, rtol=1e-10, atol=1e-10,
                                events=modes)
        reg = propagate.propagate(1, T0, y0, T0 + 5 * 86400.0, p, eph, rtol=1e-10, atol=1e-10,
                               events=modes, regularize=True)
        assert reg.status == propagate.STATUS_EVENT and reg.terminal_event_name == "moon_impact"
        assert abs(reg.t_final - phys.t_final) < 1e-3
        assert reg.t[-1] == reg.t_final
        rm, _ = geocentric_moon(reg.t_final, eph)
        assert np.linalg.norm(reg.y_final[:3] - rm) == pytest.approx(bodies.R_MOON, abs=1e-6)


def test_zero_absolute_tolerance_is_handled(eph):
    """atol = 0 (pure relative control) gives the time component a tolerance from rtol |r0|."""
    out = propagate.propagate(1, T0, lunar_launch(eph, T0, 2.50), T0 + 86400.0,
                           forces.ephemeris_params(), eph, rtol=1e-10, atol=0.0,
                           regularize=True, store_steps=False)
    assert out.status == propagate.STATUS_FINISHED and np.all(np.isfinite(out.y_final))


def test_t_eval_backward_and_step_options(eph):
    p = forces.ephemeris_params()
    y0 = lunar_launch(eph, T0, 2.50)
    t1 = T0 + 3 * 86400.0
    t_eval = T0 + np.arange(0.0, 3 * 86400.0 + 1.0, 3600.0)
    phys = propagate.propagate(1, T0, y0, t1, p, eph, rtol=1e-13, atol=1e-13, t_eval=t_eval)
    reg = propagate.propagate(1, T0, y0, t1, p, eph, rtol=1e-12, atol=1e-12, t_eval=t_eval,
                           regularize=True)
    assert reg.n_eval == t_eval.size
    np.testing.assert_allclose(reg.y_eval[:, :3], phys.y_eval[:, :3], rtol=0, atol=1e-4)
    np.testing.assert_array_equal(reg.y_eval[0], y0)
    # stored steps: physical times, increasing, ending exactly at t_end
    assert np.all(np.diff(reg.t) > 0) and reg.t[0] == T0 and reg.t[-1] == t1
    # backward to the launch epoch
    back = propagate.propagate(1, t1, reg.y_final, T0, p, eph, rtol=1e-12, atol=1e-12,
                            regularize=True)
    assert back.t_final == T0
    assert np.linalg.norm(back.y_final[:3] - y0[:3]) < 1e-4
    # max_step is physical (converted with g at the start of each step)
    capped = propagate.propagate(1, T0, y0, t1, p, eph, rtol=1e-12, atol=1e-12, max_step=1800.0,
                              regularize=True)
    assert np.max(np.diff(capped.t)) <= 1800.0
    assert capped.nsteps >= 3 * 86400.0 / 1800.0
    # leaving the Moon g grows within a step: some steps come out too long and are retried
    assert capped.nrejected > reg.nrejected


def test_shoot_regularized_agrees_with_physical_time():
    import astropy.units as u
    from astropy.time import Time

    import massdriver
    from massdriver import LaunchSite, shoot

    assert shoot is massdriver.trajectory.shoot          # the massdriver.shoot(...)
    # the shot of tests/test_trajectory.py: a CR3BP perigee of ~1270 km altitude after 4.5 d
    site = LaunchSite(lat=0 * u.deg, lon=-55 * u.deg, azimuth=90 * u.deg, elevation=0 * u.deg)
    epoch = Time("2027-01-01T00:00", scale="utc")
    a = shoot(site, epoch, 2.501711 * u.km / u.s, model="cr3bp", days=8, rtol=1e-11)
    b = shoot(site, epoch, 2.501711 * u.km / u.s, model="cr3bp", days=8, rtol=1e-11,
              regularize=True)
    assert a.status == b.status == "perigee"
    assert b.nfev < a.nfev
    assert abs((a.perigee.epoch - b.perigee.epoch).to_value(u.s)) < 1e-3
    assert abs((a.perigee.radius - b.perigee.radius).to_value(u.m)) < 1.0
    assert b.times[-1] == b.perigee.epoch
