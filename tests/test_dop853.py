"""Tests of the compiled DOP853 integrator (massdriver.kernels.integrators.dop853).

References
----------
- scipy.integrate.solve_ivp(method="DOP853") (scipy >= 1.11): the same algorithm run in Python.
  Counters (RHS evaluations, accepted steps) must be identical and states agree to round-off.
  Step *times* agree to ~1e-6 relative only: the DOP853 error estimate is a strongly cancelling
  sum (|E5 . K| ~ tol |K|) and numpy evaluates it through OpenBLAS dgemv, whose blocked FMA
  summation order differs from the kernel's plain left-to-right sums.
- Two-body motion: Kepler's equation M = E - e sin E solved by Newton iteration in the test
  (Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed., Alg. 2 and 10).
- E. Hairer, S. P. Norsett, G. Wanner, *Solving Ordinary Differential Equations I*, 2nd ed.
  (1993), Sec. II.10: the DOP853 tableau (checked against scipy's copy entry by entry).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from massdriver.kernels import forces
from massdriver.kernels.integrators import dop853_coefficients, propagate
from reference_orbits import (
    A_KEP,
    E_KEP,
    GM,
    ORBIT,
    PERIOD,
    T0,
    elements_to_state,
    kepler_params,
    kepler_state,
    lunar_launch,
)
from scipy.integrate import solve_ivp
from scipy.integrate._ivp import dop853_coefficients as scipy_coefficients

from massdriver import bodies


def test_coefficients_equal_scipy():
    for name in ("C", "A", "B", "E3", "E5", "D"):
        ours = getattr(dop853_coefficients, name)
        theirs = getattr(scipy_coefficients, name)
        assert ours.shape == theirs.shape
        assert np.array_equal(ours, theirs), name
    # order conditions of the 8th-order weights: sum b = 1, sum b c = 1/2, sum b c^7 = 1/8
    b = dop853_coefficients.B
    c = dop853_coefficients.C[:12]
    assert abs(b.sum() - 1.0) < 1e-15
    for k in range(1, 8):
        assert abs(np.dot(b, c**k) - 1.0 / (k + 1)) < 1e-14


@pytest.mark.parametrize("rtol", [1e-8, 1e-10, 1e-12])
def test_kepler_matches_scipy_counters_and_state(eph, rtol):
    y0 = elements_to_state(*ORBIT)
    t1 = T0 + 2.5 * PERIOD
    params = kepler_params()
    tab = forces.pack_ephemeris(eph, T0, t1)
    atol = rtol * 1e-3
    ref = solve_ivp(lambda t, y: forces.derivative(1, t, y, params, tab), (T0, t1), y0,
                    method="DOP853", rtol=rtol, atol=atol)
    ours = propagate.propagate(forces.MODEL_EPHEMERIS, T0, y0, t1, params, eph, rtol=rtol,
                            atol=atol)
    assert ours.status == 0 and ref.status == 0
    assert ours.nfev == ref.nfev
    assert ours.nsteps == len(ref.t) - 1
    if rtol >= 1e-10:
        # at 1e-12 the first (tiny) steps have error estimates at round-off level, so step
        # sizes differ by up to ~10% while their number does not
        h = np.diff(ref.t)
        assert np.all(np.abs(np.diff(ours.t) - h) <= 1e-4 * h)
    yf = ref.y[:, -1]
    # relative to the position, and for the velocity to the orbit's speed scale (the final
    # state is near apogee, where the speed is 50 times below the perigee speed)
    v_perigee = math.sqrt(GM * (1 + E_KEP) / (A_KEP * (1 - E_KEP)))
    assert np.linalg.norm(ours.y_final[:3] - yf[:3]) <= 1e-12 * np.linalg.norm(yf[:3])
    assert np.linalg.norm(ours.y_final[3:] - yf[3:]) <= 1e-12 * v_perigee
    assert ours.t_final == t1


def test_kepler_against_analytic_solution(eph):
    """Global error after 2.5 revolutions is a modest multiple of the tolerance and shrinks
    with it (measured: 54, 90, 69 x rtol in position at rtol = 1e-8, 1e-10, 1e-12)."""
    y0 = elements_to_state(*ORBIT)
    dt = 2.5 * PERIOD
    exact = kepler_state(*ORBIT, dt)
    v_perigee = math.sqrt(GM * (1 + E_KEP) / (A_KEP * (1 - E_KEP)))
    errors = []
    for rtol in (1e-8, 1e-10, 1e-12):
        out = propagate.propagate(forces.MODEL_EPHEMERIS, T0, y0, T0 + dt, kepler_params(), eph,
                               rtol=rtol, atol=rtol * 1e-3, store_steps=False)
        err_r = np.linalg.norm(out.y_final[:3] - exact[:3]) / A_KEP
        err_v = np.linalg.norm(out.y_final[3:] - exact[3:]) / v_perigee
        assert err_r < 300.0 * rtol and err_v < 300.0 * rtol, (rtol, err_r, err_v)
        errors.append(err_r)
    assert errors[0] > 1e3 * errors[2] > 0.0


def test_cr3bp_matches_scipy():
    mu = bodies.CR3BP_MU
    params = forces.cr3bp_params()
    # Koon, Lo, Marsden & Ross (2011) Sec. 2: a planar orbit near L1 (x0 = 0.8234, vy0 = 0.1263)
    y0 = np.array([0.8234, 0.0, 0.0, 0.0, 0.1263, 0.0])
    for rtol, t1 in ((1e-10, 3.0), (1e-12, 2.0)):
        ref = solve_ivp(lambda t, y: forces.derivative(0, t, y, params, None), (0.0, t1), y0,
                        method="DOP853", rtol=rtol, atol=1e-3 * rtol)
        ours = propagate.propagate(forces.MODEL_CR3BP, 0.0, y0, t1, params, None, rtol=rtol,
                                atol=1e-3 * rtol)
        assert ours.nfev == ref.nfev
        assert ours.nsteps == len(ref.t) - 1
        yf = ref.y[:, -1]
        assert np.linalg.norm(ours.y_final - yf) <= 1e-12 * np.linalg.norm(yf)
        assert abs(forces.jacobi_constant(ours.y_final, mu) - forces.jacobi_constant(y0, mu)) \
            < 100 * rtol


def test_backward_and_t_eval_match_scipy():
    params = forces.cr3bp_params()
    y0 = np.array([0.8234, 0.0, 0.0, 0.0, 0.1263, 0.0])
    t_eval = np.linspace(0.0, -2.0, 17)
    ref = solve_ivp(lambda t, y: forces.derivative(0, t, y, params, None), (0.0, -2.0), y0,
                    method="DOP853", rtol=1e-11, atol=1e-14, t_eval=t_eval)
    ours = propagate.propagate(forces.MODEL_CR3BP, 0.0, y0, -2.0, params, None, rtol=1e-11,
                            atol=1e-14, t_eval=t_eval)
    assert ours.nfev == ref.nfev                     # dense output costs 3 evaluations per step
    assert ours.n_eval == t_eval.size
    assert np.allclose(ours.y_eval, ref.y.T, rtol=0, atol=1e-11)
    assert np.array_equal(ours.y_eval[0], y0)        # x = 0 of the first step returns y0


def test_dense_output_matches_scipy_interpolant():
    params = forces.cr3bp_params()
    y0 = np.array([0.8234, 0.0, 0.0, 0.0, 0.1263, 0.0])
    ref = solve_ivp(lambda t, y: forces.derivative(0, t, y, params, None), (0.0, 1.0), y0,
                    method="DOP853", rtol=1e-9, atol=1e-12, dense_output=True)
    t_eval = np.linspace(0.0, 1.0, 101)
    ours = propagate.propagate(forces.MODEL_CR3BP, 0.0, y0, 1.0, params, None, rtol=1e-9,
                            atol=1e-12, t_eval=t_eval)
    assert np.allclose(ours.y_eval, ref.sol(t_eval).T, rtol=0, atol=1e-12)


def test_first_and_max_step_options():
    params = forces.cr3bp_params()
    y0 = np.array([0.8234, 0.0, 0.0, 0.0, 0.1263, 0.0])
    kw = dict(rtol=1e-9, atol=1e-12, first_step=1e-4, max_step=0.05)
    ref = solve_ivp(lambda t, y: forces.derivative(0, t, y, params, None), (0.0, 1.0), y0,
                    method="DOP853", **kw)
    ours = propagate.propagate(forces.MODEL_CR3BP, 0.0, y0, 1.0, params, None, **kw)
    assert ours.nfev == ref.nfev and ours.nsteps == len(ref.t) - 1
    assert np.max(np.diff(ours.t)) <= 0.05 * (1 + 1e-14)
    assert ours.t[1] == pytest.approx(1e-4, rel=1e-15)


def test_max_steps_status_and_storage_growth():
    params = forces.cr3bp_params()
    y0 = np.array([0.8234, 0.0, 0.0, 0.0, 0.1263, 0.0])
    full = propagate.propagate(forces.MODEL_CR3BP, 0.0, y0, 5.0, params, None, rtol=1e-12,
                            atol=1e-15)
    assert full.status == propagate.STATUS_FINISHED and full.nsteps > 200   # storage doubled
    assert full.t.shape == (full.nsteps + 1,) and np.all(np.diff(full.t) > 0)
    capped = propagate.propagate(forces.MODEL_CR3BP, 0.0, y0, 5.0, params, None, rtol=1e-12,
                              atol=1e-15, max_steps=50)
    assert capped.status == propagate.STATUS_MAX_STEPS and capped.nsteps == 50
    assert not capped.success
    assert np.array_equal(capped.t, full.t[:51])
    assert np.array_equal(capped.y_final, full.y[50])
    lean = propagate.propagate(forces.MODEL_CR3BP, 0.0, y0, 5.0, params, None, rtol=1e-12,
                            atol=1e-15, store_steps=False)
    assert lean.t.shape == (2,) and np.array_equal(lean.y_final, full.y_final)


def test_singularity_reports_step_too_small_not_nan():
    """A fall straight into the Moon's centre with the impact event off: a clean failure."""
    mu = bodies.CR3BP_MU
    params = forces.cr3bp_params()
    y0 = np.array([1.0 - mu + 0.01, 0.0, 0.0, -0.1, 0.0, 0.0])
    # the frame rotation bends the path: aim with the moving frame cancelled (vy = +x offset)
    y0[4] = -0.01
    out = propagate.propagate(forces.MODEL_CR3BP, 0.0, y0, 1.0, params, None, rtol=1e-10,
                           atol=1e-13, store_steps=False)
    hit = propagate.propagate(forces.MODEL_CR3BP, 0.0, y0, 1.0, params, None, rtol=1e-10,
                           atol=1e-13, events=propagate.event_modes(terminal=["moon_impact"]))
    assert hit.status == propagate.STATUS_EVENT and hit.terminal_event_name == "moon_impact"
    assert np.all(np.isfinite(hit.y_final))
    # without the event the step size collapses at the centre (measured: t = 0.0093, after
    # 1057 steps): a clean STEP_TOO_SMALL with a finite state inside the Moon, after the impact
    assert out.status == propagate.STATUS_STEP_TOO_SMALL
    assert np.all(np.isfinite(out.y_final))
    assert hit.t_final < out.t_final < 1.0
    r_moon = bodies.R_MOON / bodies.CR3BP_LENGTH_UNIT
    assert np.linalg.norm(out.y_final[:3] - np.array([1.0 - mu, 0.0, 0.0])) < r_moon


def test_zero_length_interval():
    params = forces.cr3bp_params()
    y0 = np.array([0.8234, 0.0, 0.0, 0.0, 0.1263, 0.0])
    out = propagate.propagate(forces.MODEL_CR3BP, 0.5, y0, 0.5, params, None)
    assert out.status == 0 and out.nsteps == 0 and out.nfev == 1
    assert np.array_equal(out.y_final, y0)


def test_wrapper_validation(eph):
    params = forces.cr3bp_params()
    y0 = np.zeros(6)
    with pytest.raises(ValueError):
        propagate.propagate(0, 0.0, y0, 1.0, params, None, rtol=0.0)
    with pytest.raises(ValueError):
        propagate.propagate(0, 0.0, y0, 1.0, params, None, first_step=2.0)
    with pytest.raises(ValueError):
        propagate.propagate(1, 0.0, y0, 1.0, forces.ephemeris_params(), None)
    with pytest.raises(ValueError):
        propagate.event_modes(terminal=["perigee"], record=["lunch"])
    modes = propagate.event_modes(terminal={"perigee": 2}, record=["atmosphere"])
    assert modes[forces.EV_PERIGEE] == 2 and modes[forces.EV_ATMOSPHERE] == -1


# --- events ------------------------------------------------------------------------------------


def scipy_event(index, params, tab, terminal):
    def g(t, y):
        return forces.event_value(forces.MODEL_EPHEMERIS, index, t, y, params, tab)

    g.direction = forces.EVENT_DIRECTIONS[index]
    g.terminal = terminal
    return g


def test_perigee_and_atmosphere_events_match_scipy_to_1_ms(eph):
    params = forces.ephemeris_params()
    t1 = T0 + 6 * 86400.0
    tab = forces.pack_ephemeris(eph, T0, t1)
    # bisection on the exit speed for a perigee at 60 km altitude (an atmospheric entry):
    # 2.50 km/s arrives at 8600 km, 2.60 km/s hits the Earth
    lo, hi = 2.50, 2.60
    target = bodies.R_EARTH + 60.0
    modes = propagate.event_modes(terminal=["perigee", "earth_impact"])
    for _ in range(40):
        w = 0.5 * (lo + hi)
        out = propagate.propagate(1, T0, lunar_launch(eph, T0, w), t1, params, eph, rtol=1e-10,
                               atol=1e-10, events=modes, store_steps=False)
        rp = np.linalg.norm(out.y_final[:3])
        if out.terminal_event_name == "perigee" and rp > target:
            lo = w
        else:
            hi = w
        if out.terminal_event_name == "perigee" and abs(rp - target) < 5.0:
            break
    y0 = lunar_launch(eph, T0, w)
    modes = propagate.event_modes(terminal=["earth_impact"], record=["perigee", "atmosphere",
                                                                   "moon_impact"])
    ours = propagate.propagate(1, T0, y0, t1, params, eph, rtol=1e-12, atol=1e-12, events=modes)
    events = [scipy_event(e, params, tab, e == forces.EV_EARTH_IMPACT)
              for e in (forces.EV_PERIGEE, forces.EV_ATMOSPHERE, forces.EV_MOON_IMPACT,
                        forces.EV_EARTH_IMPACT)]
    ref = solve_ivp(lambda t, y: forces.derivative(1, t, y, params, tab), (T0, t1), y0,
                    method="DOP853", rtol=1e-12, atol=1e-12, events=events)
    # a launch from 1 km above the Moon at atol = 1e-12 km starts with steps whose error
    # estimates are at round-off level, where the two summation orders (see the module
    # docstring) can change a step: the counters agree to a few steps, not exactly
    assert abs(ours.nsteps - (len(ref.t) - 1)) <= 0.02 * ours.nsteps
    t_perigee = ours.event_t[forces.EV_PERIGEE]
    t_atm = ours.event_t[forces.EV_ATMOSPHERE]
    assert ours.terminal_event == -1 and ours.status == 0       # perigee above the surface
    assert t_perigee.size == 1 and t_atm.size == 1 and t_atm[0] < t_perigee[0]
    assert 2.0 * 86400 < t_perigee[0] - T0 < 5.0 * 86400
    assert ours.event_count[forces.EV_MOON_IMPACT] == 0
    for ours_t, ref_t in ((t_perigee, ref.t_events[0]), (t_atm, ref.t_events[1])):
        assert ref_t.size == 1
        assert abs(ours_t[0] - ref_t[0]) < 1e-3                     # s
    # the located states satisfy the event equations
    y_p = ours.event_y[forces.EV_PERIGEE][0]
    assert abs(y_p[:3] @ y_p[3:]) < 1e-9 * np.linalg.norm(y_p[:3]) * np.linalg.norm(y_p[3:])
    y_a = ours.event_y[forces.EV_ATMOSPHERE][0]
    assert np.linalg.norm(y_a[:3]) == pytest.approx(bodies.R_EARTH + 120.0, abs=1e-6)
    # against a much tighter reference (the truth for this model), still under 1 ms
    truth = propagate.propagate(1, T0, y0, t1, params, eph, rtol=1e-13, atol=1e-14, events=modes)
    assert abs(truth.event_t[forces.EV_PERIGEE][0] - t_perigee[0]) < 1e-3
    assert abs(truth.event_t[forces.EV_ATMOSPHERE][0] - t_atm[0]) < 1e-3
    # terminal at the atmosphere: the integration stops there, with the event state
    stop = propagate.propagate(1, T0, y0, t1, params, eph, rtol=1e-12, atol=1e-12,
                            events=propagate.event_modes(terminal=["atmosphere", "perigee"]))
    assert stop.status == propagate.STATUS_EVENT and stop.terminal_event_name == "atmosphere"
    assert stop.t_final == stop.event_t[forces.EV_ATMOSPHERE][0] == stop.t[-1]
    assert stop.event_count[forces.EV_PERIGEE] == 0


def test_below_lunar_escape_speed_reports_moon_impact(eph):
    params = forces.ephemeris_params()
    # (perigee only recorded: the geocentric distance of a short hop can pass a minimum)
    modes = propagate.event_modes(terminal=["moon_impact", "earth_impact", "escape"],
                               record=["perigee"])
    for speed in (1.0, 1.7, 2.2):
        y0 = lunar_launch(eph, T0, speed, elevation_deg=30.0)
        out = propagate.propagate(1, T0, y0, T0 + 5 * 86400.0, params, eph, rtol=1e-10,
                               atol=1e-10, events=modes)
        assert out.status == propagate.STATUS_EVENT
        assert out.terminal_event_name == "moon_impact"
        assert np.all(np.isfinite(out.y_final)) and np.all(np.isfinite(out.y))
        from massdriver.kernels.chebyshev import geocentric_moon

        rm, _ = geocentric_moon(out.t_final, eph)
        assert np.linalg.norm(out.y_final[:3] - rm) == pytest.approx(bodies.R_MOON, abs=1e-6)


def test_cr3bp_events_match_scipy():
    """Perigee (rotating-frame radial velocity about the Earth) and escape in the CR3BP."""
    params = forces.cr3bp_params()
    y0 = np.array([0.8234, 0.0, 0.0, 0.0, 0.1263, 0.0])

    def ev(index, terminal=False):
        def g(t, y):
            return forces.event_value(forces.MODEL_CR3BP, index, t, y, params, None)
        g.direction = forces.EVENT_DIRECTIONS[index]
        g.terminal = terminal
        return g

    ref = solve_ivp(lambda t, y: forces.derivative(0, t, y, params, None), (0.0, 20.0), y0,
                    method="DOP853", rtol=1e-11, atol=1e-13,
                    events=[ev(forces.EV_PERIGEE), ev(forces.EV_MOON_IMPACT, True)])
    modes = propagate.event_modes(terminal=["moon_impact"], record=["perigee"])
    ours = propagate.propagate(0, 0.0, y0, 20.0, params, None, rtol=1e-11, atol=1e-13,
                            events=modes, max_event_records=64)
    assert ours.nfev == ref.nfev
    # (the first one is at t = 0: vx0 = 0 makes r.v vanish there, which scipy counts too)
    assert ours.event_count[forces.EV_PERIGEE] == ref.t_events[0].size >= 3
    one_ms = 1e-3 / bodies.CR3BP_TIME_UNIT
    np.testing.assert_allclose(ours.event_t[forces.EV_PERIGEE], ref.t_events[0], rtol=0,
                               atol=one_ms)
    assert ours.status == ref.status


def test_perigee_max_radius_filters_far_perigees(eph):
    """A far geocentric minimum (87,500 km) is hidden by perigee_max_radius = 50,000 km; the
    8,600 km perigee of a faster shot is still found."""
    modes = propagate.event_modes(terminal=["perigee", "moon_impact", "earth_impact"])
    t1 = T0 + 6 * 86400.0
    far = lunar_launch(eph, T0, 2.45, elevation_deg=0.0)
    near = lunar_launch(eph, T0, 2.50)
    all_perigees = forces.ephemeris_params()
    filtered = forces.ephemeris_params(perigee_max_radius=50000.0)
    out = propagate.propagate(1, T0, far, t1, all_perigees, eph, events=modes)
    assert out.terminal_event_name == "perigee"
    assert 80000.0 < np.linalg.norm(out.y_final[:3]) < 95000.0
    out = propagate.propagate(1, T0, far, t1, filtered, eph, events=modes)
    assert out.status == propagate.STATUS_FINISHED and out.event_count[forces.EV_PERIGEE] == 0
    a = propagate.propagate(1, T0, near, t1, all_perigees, eph, events=modes)
    b = propagate.propagate(1, T0, near, t1, filtered, eph, events=modes)
    assert b.terminal_event_name == "perigee" and b.t_final == a.t_final
    assert np.linalg.norm(b.y_final[:3]) < 10000.0
