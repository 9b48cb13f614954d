"""Tests of the Taylor-series CR3BP integrator (massdriver.kernels.integrators.taylor).

References (none of them is the Taylor code itself):

- Two-body motion (``mu = 0``): Kepler's equation solved by Newton iteration in
  ``test_dop853`` (Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed., Alg. 2
  and 10), turned into the rotating frame.
- ``scipy.integrate.solve_ivp(method="DOP853")`` with a numpy right-hand side (the CR3BP
  equations of Koon, Lo, Marsden & Ross 2011, eq. 2.3.8, written out in ``test_sundman``).
- CR3BP Jacobi integral (Szebehely 1967, *Theory of Orbits*, Sec. 1.5): conserved exactly.
- The DOP853 kernel, itself checked step for step against scipy (tests/test_dop853.py).
- heyoka's ``taylor_adaptive`` (Biscani & Izzo 2021, MNRAS 504, 2614), the same method
  (Jorba & Zou 2005), when installed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from massdriver.kernels import forces
from massdriver.kernels.integrators import dop853, propagate, taylor
from reference_orbits import cr3bp_numpy, kepler_state, rotating_launch
from reference_orbits import elements_to_state as kepler_elements_to_state
from scipy.integrate import solve_ivp

from massdriver import bodies

MU = bodies.CR3BP_MU
L = bodies.CR3BP_LENGTH_UNIT
TU = bodies.CR3BP_TIME_UNIT


def run(y0, t1, rtol, *, t0=0.0, params=None, **kw):
    """``propagate.propagate(..., method="taylor")`` on the CR3BP, ``atol = 1e-3 rtol``."""
    kw.setdefault("atol", 1e-3 * rtol)
    kw.setdefault("store_steps", False)
    params = forces.cr3bp_params() if params is None else params
    return propagate.propagate(forces.MODEL_CR3BP, t0, y0, t1, params, None, rtol=rtol,
                            method="taylor", **kw)


def reference_jet(y, mu, p):
    """Taylor coefficients of the CR3BP flow, textbook recurrences written independently of the
    generator (loops; the accelerations as (1 - mu) d1 / r1^3 + mu d2 / r2^3)."""
    c = np.zeros((p + 1, 6))
    c[0] = y
    d1 = np.zeros((p + 1, 3))      # position relative to the Earth and to the Moon
    d2 = np.zeros((p + 1, 3))
    s1 = np.zeros(p + 1)
    s2 = np.zeros(p + 1)
    q1 = np.zeros(p + 1)           # r^-3 = s^(-3/2)
    q2 = np.zeros(p + 1)
    for k in range(p):
        d1[k] = c[k, :3]
        d2[k] = c[k, :3]
        if k == 0:
            d1[0, 0] += mu
            d2[0, 0] -= 1 - mu
        for s, q, d in ((s1, q1, d1), (s2, q2, d2)):
            s[k] = sum(d[j] @ d[k - j] for j in range(k + 1))
            if k == 0:
                q[0] = s[0] ** -1.5
            else:
                q[k] = sum((-1.5 * (k - j) - j) * s[k - j] * q[j] for j in range(k)) / (k * s[0])
        acc = -sum((1 - mu) * q1[k - j] * d1[j] + mu * q2[k - j] * d2[j] for j in range(k + 1))
        acc[0] += 2 * c[k, 4] + c[k, 0]
        acc[1] += -2 * c[k, 3] + c[k, 1]
        c[k + 1, :3] = c[k, 3:] / (k + 1)
        c[k + 1, 3:] = acc / (k + 1)
    return c


@pytest.mark.parametrize("y", [[0.5, 0.2, 0.1, 0.3, -0.4, 0.05],
                               [1.0 - MU + 0.006, 0.002, 0.001, 0.5, 2.0, 0.3],
                               [-MU - 0.02, 0.01, 0.0, -1.0, -6.0, 1.0]])
def test_every_order_against_independent_recurrences(y):
    """Orders 8-20 of the generated code against the loop recurrences above (a generic point,
    2,300 km from the Moon, 8,000 km from the Earth): every coefficient, relative to the
    largest of its order."""
    from massdriver.kernels.integrators import taylor_jets
    y = np.array(y)
    ref = reference_jet(y, MU, 20)
    for p in range(taylor.ORDER_MIN, taylor.ORDER_MAX + 1):
        c = np.zeros((p + 1, 6))
        getattr(taylor_jets, f"jet_{p}")(MU, y, c)
        scale = np.max(np.abs(ref[:p + 1]), axis=1, keepdims=True)
        assert np.max(np.abs(c - ref[:p + 1]) / scale) < 1e-12, p
        out = np.zeros(6)
        h = 0.37 / np.max(np.abs(ref[p])) ** (1.0 / p)
        getattr(taylor_jets, f"advance_{p}")(c, h, out)
        np.testing.assert_allclose(out, [np.polyval(ref[p::-1, i], h) for i in range(6)],
                                   rtol=1e-13, atol=1e-15)


def test_order_follows_jorba_zou():
    """p = ceil(-ln(tol) / 2 + 1) (Jorba & Zou 2005, eq. 7), clamped to the generated orders."""
    assert [taylor.order_for(t) for t in (1e-6, 1e-8, 1e-10, 1e-12, 1e-16, 1e-30)] == [
        8, 11, 13, 15, 20, 20]
    # the entry point integrate() picks is that order's
    from massdriver.kernels.integrators.taylor_jets import INTEGRATORS
    assert INTEGRATORS[taylor.order_for(1e-12)].__name__ == "integrate_15"
    hy = pytest.importorskip("heyoka")
    for tol in (1e-8, 1e-10, 1e-12, 1e-15):
        ta = hy.taylor_adaptive(hy.model.cr3bp(mu=MU), [0.5, 0, 0, 0, 0.5, 0], tol=tol)
        assert taylor.order_for(tol) == ta.order


def test_step_rule_arithmetic_matches_libm():
    """The step rule's log2 and exp2 (plain arithmetic on the float bits, so that the batch
    kernel's lane loop vectorises) against the C library's, and the rule itself against the
    Jorba-Zou formula written with math.log and math.exp, limits included."""
    import numba
    from massdriver.kernels.integrators.taylor_core import plain_exp2 as _exp2
    from massdriver.kernels.integrators.taylor_core import plain_log2 as _log2
    from massdriver.kernels.integrators.taylor_core import step_from_norms

    log2 = numba.njit(lambda x: _log2(x))
    exp2 = numba.njit(lambda y: _exp2(y))
    step = numba.njit(lambda m0, m1, m2, p, floor: step_from_norms(m0, m1, m2, False, p, floor))
    rng = np.random.default_rng(5)
    xs = np.concatenate([10.0 ** rng.uniform(-307, 307, 2000), rng.uniform(0.5, 2.0, 2000),
                         [1.0, 2.0, 0.5, 3.0, math.sqrt(2.0), np.nextafter(math.sqrt(2.0), 0)]])
    for x in xs:
        assert abs(log2(x) - math.log2(x)) <= 1e-15 * max(1.0, abs(math.log2(x)))
    assert log2(math.inf) == 1024.0
    for y in np.concatenate([rng.uniform(-1000, 1000, 2000), [0.0, 1.0, -1.0, 0.5, 52.0]]):
        assert exp2(y) == pytest.approx(2.0 ** y, rel=1e-15, abs=0.0)
    assert exp2(5000.0) == 2.0 ** 1000 and exp2(-5000.0) == 2.0 ** -1000
    for _ in range(500):
        m0, m1, m2 = 10.0 ** rng.uniform(-8, 2, 3)
        p = int(rng.integers(8, 21))
        floor = 10.0 ** rng.uniform(-6, 1)
        m = max(m0, floor)
        ref = math.exp(min(math.log(m / m1) / (p - 1), math.log(m / m2) / p) - 2.0
                       - 0.7 / (p - 1))
        assert step(m0, m1, m2, p, floor) == pytest.approx(ref, rel=1e-12)
    # limits, as with math.log (log 0 = -inf): a zero norm sets no limit, an infinite one or a
    # zero state with atol = 0 a zero step; a NaN coefficient a NaN step
    assert step(1.0, 0.0, 0.5, 13, 1e-3) == pytest.approx(
        math.exp(math.log(1.0 / 0.5) / 13 - 2.0 - 0.7 / 12), rel=1e-12)
    assert step(1.0, 0.0, 0.0, 13, 1e-3) > 1e300
    assert step(1.0, math.inf, 1.0, 13, 1e-3) == 0.0
    assert step(0.0, 1.0, 1.0, 13, 0.0) == 0.0
    assert math.isnan(numba.njit(lambda: step_from_norms(1.0, 1.0, 1.0, True, 13, 1e-3))())


def test_runs_without_the_jit():
    """With NUMBA_DISABLE_JIT=1 (kernels as plain Python, for debugging) the single-shot and
    batch Taylor integrators still run and agree with the compiled ones (FMA contraction aside)."""
    import json
    import os
    import subprocess
    import sys

    from massdriver.kernels.integrators import batch

    y0 = [[1.0 - MU + 0.005, 0.0, 0.0, 0.0, 1.9, 0.3], [0.8, 0.1, 0.0, 0.1, 0.4, 0.0]]
    code = (
        "import json, sys\n"
        "from massdriver.kernels import forces\n"
        "from massdriver.kernels.integrators import batch, propagate\n"
        "y0 = json.loads(sys.argv[1])\n"
        "one = propagate.propagate(forces.MODEL_CR3BP, 0.0, y0[0], 0.02, forces.cr3bp_params(), "
        "None, rtol=1e-10, atol=1e-13, method='taylor')\n"
        "many = batch.propagate_many(forces.MODEL_CR3BP, 0.0, y0, 0.02, forces.cr3bp_params(), "
        "None, rtol=1e-10, atol=1e-13, method='taylor')\n"
        "print(json.dumps([one.y_final.tolist(), many.y_final.tolist(), one.nsteps]))\n")
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    out = subprocess.run([sys.executable, "-c", code, json.dumps(y0)], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    y_one, y_many, nsteps = json.loads(out.stdout)
    one = run(np.array(y0[0]), 0.02, 1e-10, atol=1e-13)
    many = batch.propagate_many(forces.MODEL_CR3BP, 0.0, y0, 0.02, forces.cr3bp_params(), None,
                                rtol=1e-10, atol=1e-13, method="taylor")
    assert nsteps == one.nsteps
    assert np.allclose(y_one, one.y_final, rtol=1e-12, atol=1e-14)
    assert np.allclose(y_many, many.y_final, rtol=1e-12, atol=1e-14)
    assert np.array_equal(y_many[0], y_one)


def rotating(t, y_inertial):
    """An inertial state (CR3BP units, frame turning at 1 rad per unit) in the rotating frame."""
    c, s = math.cos(t), math.sin(t)
    R = np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])
    r = R @ y_inertial[:3]
    v = R @ y_inertial[3:] - np.cross([0.0, 0.0, 1.0], r)
    return np.r_[r, v]


@pytest.mark.parametrize("rtol, bound", [(1e-10, 1e-10), (1e-13, 1e-12)])
def test_kepler_orbit_in_the_rotating_frame(rtol, bound):
    """mu = 0: an e = 0.7 ellipse about the Earth for 3 revolutions, against Kepler's solution
    (position error in units of the Earth-Moon distance); and back to the start."""
    elements = (0.6, 0.7, 0.4, 1.0, 2.0, 0.3)
    period = 2.0 * math.pi * 0.6**1.5
    y0 = rotating(0.0, kepler_elements_to_state(*elements, mu=1.0))
    t1 = 3.0 * period
    params = forces.cr3bp_params(mu=0.0)
    out = run(y0, t1, rtol, params=params)
    truth = rotating(t1, kepler_state(*elements, t1, mu=1.0))
    assert out.status == propagate.STATUS_FINISHED and out.t_final == t1
    assert out.nrejected == 0 and out.nfev == out.nsteps
    assert np.max(np.abs(out.y_final[:3] - truth[:3])) < bound
    back = run(out.y_final, 0.0, rtol, params=params, t0=t1)
    assert back.t_final == 0.0
    assert np.max(np.abs(back.y_final[:3] - y0[:3])) < 10 * bound     # both legs


def test_benchmark_coast_matches_scipy(eph):
    """The 5-day benchmark coast (1 km above the Moon at 2.50 km/s, perigee 8,600 km) against
    scipy DOP853 at rtol 1e-13: 1 cm at rtol 1e-10, 0.3 mm at 1e-12 (the DOP853 tests allow
    10 cm and 1 mm), with ~100 steps."""
    y0 = rotating_launch(eph, 2.50)
    t1 = 5 * 86400.0 / TU
    ref = solve_ivp(cr3bp_numpy, (0.0, t1), y0, method="DOP853", rtol=1e-13, atol=1e-16)
    assert ref.success
    for rtol, bound_m in ((1e-10, 0.01), (1e-12, 3e-4)):
        out = run(y0, t1, rtol)
        err_m = np.max(np.abs(out.y_final[:3] - ref.y[:3, -1])) * L * 1e3
        assert err_m < bound_m
        assert 90 <= out.nsteps <= 130


def test_jacobi_constant_conserved_over_10_days(eph):
    out = run(rotating_launch(eph, 2.50), 10 * 86400.0 / TU, 1e-12, atol=1e-15,
              store_steps=True)
    assert out.status == propagate.STATUS_FINISHED
    jac = np.array([forces.jacobi_constant(y, MU) for y in out.y])
    assert out.y.shape[0] == out.nsteps + 1
    assert np.max(np.abs(jac - jac[0])) < 5e-12


def test_events_and_dense_output_match_dop853(eph):
    """Perigee and lunar-impact events within 1 ms of the DOP853 kernel at rtol 1e-13, and the
    dense output at hourly t_eval within 1 m; a shot below lunar escape speed hits the Moon."""
    p = forces.cr3bp_params()
    y0 = rotating_launch(eph, 2.50)
    t1 = 6 * 86400.0 / TU
    modes = propagate.event_modes(terminal=["earth_impact"], record=["perigee", "moon_impact"])
    t_eval = np.arange(0.0, t1, 3600.0 / TU)
    truth = propagate.propagate(0, 0.0, y0, t1, p, None, rtol=1e-13, atol=1e-16, events=modes,
                             t_eval=t_eval)
    out = run(y0, t1, 1e-12, events=modes, t_eval=t_eval)
    n_per = truth.event_count[forces.EV_PERIGEE]
    assert n_per >= 1 and out.event_count[forces.EV_PERIGEE] == n_per
    np.testing.assert_allclose(out.event_t[forces.EV_PERIGEE] * TU,
                               truth.event_t[forces.EV_PERIGEE] * TU, rtol=0, atol=1e-3)
    y_p = out.event_y[forces.EV_PERIGEE][0]
    r = y_p[:3] + [MU, 0, 0]
    assert abs(r @ y_p[3:]) < 1e-9 * np.linalg.norm(r) * np.linalg.norm(y_p[3:])
    assert out.n_eval == t_eval.size
    np.testing.assert_allclose(out.y_eval[:, :3] * L, truth.y_eval[:, :3] * L, rtol=0,
                               atol=1e-3)
    np.testing.assert_array_equal(out.y_eval[0], y0)

    modes = propagate.event_modes(terminal=["moon_impact", "earth_impact", "escape"])
    for speed in (1.0, 2.2):
        y_slow = rotating_launch(eph, speed)
        ref = propagate.propagate(0, 0.0, y_slow, t1, p, None, rtol=1e-13, atol=1e-16,
                               events=modes)
        out = run(y_slow, t1, 1e-12, events=modes, store_steps=True)
        assert out.status == propagate.STATUS_EVENT and out.terminal_event_name == "moon_impact"
        assert abs(out.t_final - ref.t_final) * TU < 1e-3
        assert out.t[-1] == out.t_final
        r_moon = np.linalg.norm(out.y_final[:3] - [1 - MU, 0, 0]) * L
        assert r_moon == pytest.approx(bodies.R_MOON, abs=1e-6)
        assert np.all(np.isfinite(out.y))


def test_step_options(eph):
    y0 = rotating_launch(eph, 2.50)
    t1 = 2 * 86400.0 / TU
    free = run(y0, t1, 1e-12, store_steps=True)
    capped = run(y0, t1, 1e-12, store_steps=True, max_step=0.01)
    assert np.max(np.diff(capped.t)) <= 0.01 * (1 + 1e-12) and capped.nsteps > free.nsteps
    assert np.max(np.abs(capped.y_final - free.y_final)) < 1e-10
    short = run(y0, t1, 1e-12, max_steps=5)
    assert short.status == propagate.STATUS_MAX_STEPS and short.nsteps == 5
    assert short.t_final < t1 and np.all(np.isfinite(short.y_final))


def test_agrees_with_heyoka(eph):
    """The same method as heyoka's taylor_adaptive: the same number of steps (within 2) and
    final states within 0.2 mm of each other at tol 1e-12."""
    hy = pytest.importorskip("heyoka")
    y0 = rotating_launch(eph, 2.50)
    t1 = 5 * 86400.0 / TU
    # heyoka's cr3bp: our frame turned by 180 deg about z, canonical momenta p = v + z x r
    def to_h(y):
        x, yy = -y[0], -y[1]
        return np.array([x, yy, y[2], -y[3] - yy, -y[4] + x, y[5]])

    ta = hy.taylor_adaptive(hy.model.cr3bp(mu=MU), to_h(y0), tol=1e-12)
    n_steps = ta.propagate_until(t1)[3]
    s = ta.state
    y_h = np.array([-s[0], -s[1], s[2], -(s[3] + s[1]), -(s[4] - s[0]), s[5]])
    out = run(y0, t1, 1e-12, atol=1e-12)
    assert abs(out.nsteps - n_steps) <= 2
    assert np.max(np.abs(out.y_final[:3] - y_h[:3])) * L * 1e3 < 2e-4


def test_bad_input_is_refused(eph):
    y0 = rotating_launch(eph, 2.50)
    with pytest.raises(ValueError, match="CR3BP"):
        propagate.propagate(forces.MODEL_EPHEMERIS, 0.0, y0, 1.0, forces.ephemeris_params(), eph,
                         method="taylor")
    with pytest.raises(ValueError, match="regularize"):
        propagate.propagate(0, 0.0, y0, 1.0, forces.cr3bp_params(), None, method="taylor",
                         regularize=True)
    with pytest.raises(ValueError, match="unknown method"):
        propagate.propagate(0, 0.0, y0, 1.0, forces.cr3bp_params(), None, method="rk4")


def test_shoot_taylor_agrees_with_dop853():
    import astropy.units as u
    from astropy.time import Time

    from massdriver.errors import InputError
    from massdriver.site import LaunchSite
    from massdriver.trajectory import shoot

    site = LaunchSite(lat=0 * u.deg, lon=-55 * u.deg, azimuth=90 * u.deg)
    epoch = Time("2027-01-01T00:00:00", scale="utc")
    a = shoot(site, epoch, 2.5 * u.km / u.s, model="cr3bp", rtol=1e-12)
    b = shoot(site, epoch, 2.5 * u.km / u.s, model="cr3bp", rtol=1e-12, method="taylor")
    assert a.status == b.status == "perigee"
    assert b.steps < a.steps / 1.5
    assert abs((a.perigee.epoch - b.perigee.epoch).to_value(u.s)) < 1e-3
    assert a.perigee.radius.to_value(u.km) == pytest.approx(b.perigee.radius.to_value(u.km),
                                                            abs=1e-3)
    with pytest.raises(InputError, match="cr3bp model only"):
        shoot(site, epoch, 2.5 * u.km / u.s, model="ephemeris", method="taylor")
    with pytest.raises(InputError, match="method = 'rk4'"):
        shoot(site, epoch, 2.5 * u.km / u.s, model="cr3bp", method="rk4")


def test_non_finite_states_fail_loudly(eph):
    """A NaN state or a start at the Earth's centre ends with a failure status, never a
    'finished' run full of NaN; propagate() refuses non-finite input (also for DOP853, whose
    kernel used to loop forever on a NaN state)."""
    p = forces.cr3bp_params()
    modes = np.zeros(forces.N_EVENTS, dtype=np.int64)
    atol = np.full(6, 1e-15)
    for y0 in ([0.5, np.nan, 0, 0, 0.5, 0], [-MU, 0, 0, 0, 0.5, 0], [1e300, 0, 0, 0, 0.5, 0]):
        out = taylor.integrate(0, 0.0, np.array(y0, dtype=float), 1.0, 1e-12, atol, np.inf, 0.0,
                               p, None, modes, np.empty(0), False, 1000, 1)
        assert out[0] == propagate.STATUS_STEP_TOO_SMALL and out[1] < 1.0
    out = dop853.integrate(0, 0.0, np.array([0.5, np.nan, 0, 0, 0.5, 0]), 1.0, 1e-10, atol,
                           np.inf, 0.0, p, None, modes, np.empty(0), False, 10, 1)
    assert out[0] < 0
    for method in ("dop853", "taylor"):
        with pytest.raises(ValueError, match="finite"):
            propagate.propagate(0, 0.0, [0.5, np.nan, 0, 0, 0.5, 0], 1.0, p, None, method=method)
        with pytest.raises(ValueError, match="finite"):
            propagate.propagate(0, 0.0, [0.5, 0, 0, 0, 0.5, 0], np.inf, p, None, method=method)
        with pytest.raises(ValueError, match="finite"):
            propagate.propagate(0, 0.0, [0.5, 0, 0, 0, 0.5, 0], 1.0, p, None, rtol=np.inf,
                             method=method)
