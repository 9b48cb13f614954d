"""Tests of the parallel batch kernel (massdriver.kernels.integrators.batch).

The reference is the single-shot kernel itself
(massdriver.kernels.integrators.propagate.propagate): each shot of a batch must be
bit-identical to its one-at-a-time propagation, whatever the thread count.
The CR3BP tests run both batch kernels: DOP853 (kernels/integrators/batch.py) and the Taylor
method's lanes (kernels/integrators/taylor_lanes.py), each against its own single-shot integrator.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest
from massdriver.kernels import forces
from massdriver.kernels.integrators import batch, propagate, taylor_jets

from massdriver import bodies
from massdriver.ephemeris import Ephemeris

MU = bodies.CR3BP_MU
L = bodies.CR3BP_LENGTH_UNIT
V = bodies.CR3BP_VELOCITY_UNIT
T0 = 8.6e8


def cr3bp_shots(n, seed=0):
    """Launches from the lunar surface (1 km up) in random directions at 2.2-2.8 km/s."""
    rng = np.random.default_rng(seed)
    u = rng.normal(size=(n, 3))
    u /= np.linalg.norm(u, axis=1)[:, None]
    w = rng.normal(size=(n, 3))
    w -= (w * u).sum(axis=1)[:, None] * u
    w /= np.linalg.norm(w, axis=1)[:, None]
    el = np.radians(rng.uniform(5, 60, n))[:, None]
    d = np.cos(el) * w + np.sin(el) * u
    speed = rng.uniform(2.2, 2.8, n)[:, None] / V
    r = np.array([1 - MU, 0, 0]) + u * (bodies.R_MOON + 1.0) / L
    return np.hstack([r, speed * d])


MODES = propagate.event_modes(terminal=["moon_impact", "earth_impact", "escape"],
                           record=["perigee", "atmosphere"])


METHODS = ["dop853", "taylor"]


@pytest.mark.parametrize("method", METHODS)
def test_batch_equals_single_shots_cr3bp(method):
    y0 = cr3bp_shots(64)
    t_end = 6 * 86400 / bodies.CR3BP_TIME_UNIT
    params = forces.cr3bp_params()
    res = batch.propagate_many(forces.MODEL_CR3BP, 0.0, y0, t_end, params, None, rtol=1e-10,
                               atol=1e-13, events=MODES, method=method)
    assert set(res.status) <= {0, 1}
    # the sample covers the outcomes: some fall back on the Moon, some reach a perigee
    assert np.any(res.terminal_event == forces.EV_MOON_IMPACT)
    assert np.any(res.event_count[:, forces.EV_PERIGEE] > 0)
    for i in range(len(y0)):
        one = propagate.propagate(forces.MODEL_CR3BP, 0.0, y0[i], t_end, params, None, rtol=1e-10,
                               atol=1e-13, events=MODES, store_steps=False, method=method)
        assert res.status[i] == one.status
        assert res.terminal_event[i] == one.terminal_event
        assert res.t_final[i] == one.t_final
        assert np.array_equal(res.y_final[i], one.y_final)
        assert (res.nfev[i], res.nsteps[i], res.nrejected[i]) == (one.nfev, one.nsteps,
                                                                   one.nrejected)
        assert np.array_equal(res.event_count[i], one.event_count)
        for e in range(forces.N_EVENTS):
            if one.event_count[e]:
                assert res.first_t[i, e] == one.event_t[e][0]
                assert np.array_equal(res.first_y[i, e], one.event_y[e][0])
            else:
                assert math.isnan(res.first_t[i, e]) and np.all(np.isnan(res.first_y[i, e]))
    t_p, y_p = res.first("perigee")
    assert np.array_equal(t_p, res.first_t[:, forces.EV_PERIGEE], equal_nan=True)
    assert y_p.shape == (len(y0), 6)


@pytest.mark.parametrize("method", METHODS)
def test_batch_is_independent_of_thread_count(method, two_threads):
    # three chunks of shots (two work items run in parallel), the last one shorter than the
    # lanes of a chunk; 1 thread and then 2 (tests/conftest.py makes 2 available everywhere)
    assert batch.CHUNK == taylor_jets.CHUNK
    y0 = cr3bp_shots(2 * batch.CHUNK + 5, seed=1)
    params = forces.cr3bp_params()
    results = []
    for threads in (1, 2):
        two_threads(threads)
        assert numba.get_num_threads() == threads
        results.append(batch.propagate_many(forces.MODEL_CR3BP, 0.0, y0, 0.4, params, None,
                                            rtol=1e-10, atol=1e-13, events=MODES,
                                            method=method))
    for a, b in zip(results[0], results[1], strict=True):
        assert np.array_equal(a, b, equal_nan=True)


def test_batch_equals_single_shots_ephemeris_with_epochs():
    from massdriver.kernels.chebyshev import geocentric_moon

    eph = Ephemeris().kernel_tables()
    params = forces.ephemeris_params()
    epochs = T0 + np.linspace(0.0, 27.3 * 86400, 12)
    y0 = []
    for t in epochs:                 # 2.5 km/s from the trailing point, 20 deg up
        rm, vm = geocentric_moon(t, eph)
        along = -vm / np.linalg.norm(vm)
        up = np.cross(np.cross(along, rm), along)
        up /= np.linalg.norm(up)
        along = np.cross(up, np.cross(along, up))
        d = math.cos(math.radians(20)) * along + math.sin(math.radians(20)) * up
        y0.append(np.r_[rm + up * (bodies.R_MOON + 1.0), vm + 2.5 * d])
    y0 = np.array(y0)
    modes = propagate.event_modes(terminal=["perigee", "moon_impact", "earth_impact"])
    res = batch.propagate_many(forces.MODEL_EPHEMERIS, epochs, y0, epochs + 6 * 86400, params,
                               eph, rtol=1e-10, atol=1e-10, events=modes)
    assert np.sum(res.terminal_event == forces.EV_PERIGEE) >= 6
    for i in range(len(epochs)):
        one = propagate.propagate(forces.MODEL_EPHEMERIS, epochs[i], y0[i], epochs[i] + 6 * 86400,
                               params, eph, rtol=1e-10, atol=1e-10, events=modes,
                               store_steps=False)
        assert res.t_final[i] == one.t_final and np.array_equal(res.y_final[i], one.y_final)
        assert res.nfev[i] == one.nfev and res.terminal_event[i] == one.terminal_event


def test_batch_validation():
    with pytest.raises(ValueError):
        batch.propagate_many(forces.MODEL_CR3BP, 0.0, np.zeros((3, 4)), 1.0,
                             forces.cr3bp_params(), None)
    with pytest.raises(ValueError):
        batch.propagate_many(forces.MODEL_EPHEMERIS, 0.0, np.zeros((3, 6)), 1.0,
                             forces.ephemeris_params(), None)
    with pytest.raises(ValueError, match="CR3BP force model only"):
        batch.propagate_many(forces.MODEL_EPHEMERIS, 0.0, np.zeros((3, 6)), 1.0,
                             forces.ephemeris_params(), (), method="taylor")
    with pytest.raises(ValueError, match="unknown method 'rk4'"):
        batch.propagate_many(forces.MODEL_CR3BP, 0.0, np.zeros((3, 6)), 1.0,
                             forces.cr3bp_params(), None, method="rk4")
    with pytest.raises(ValueError, match="rtol must be finite"):
        batch.propagate_many(forces.MODEL_CR3BP, 0.0, np.zeros((3, 6)), 1.0,
                             forces.cr3bp_params(), None, rtol=math.nan, method="taylor")


@pytest.mark.parametrize("method", METHODS)
def test_batch_edge_cases_match_single_shots(method):
    """Fewer shots than lanes, a zero-length shot, a singular fall into the Moon's centre
    (step too small), a step cap, backward integration, and a NaN state."""
    params = forces.cr3bp_params()
    good = cr3bp_shots(3, seed=4)
    fall = np.array([1.0 - MU + 0.01, 0.0, 0.0, -0.1, -0.01, 0.0])
    nan = np.array([0.5, np.nan, 0.0, 0.0, 0.1, 0.0])
    y0 = np.vstack([good, fall, good[0], nan])
    t0 = np.array([0.0, 0.3, 0.0, 0.0, 0.5, 0.0])
    t_end = np.array([1.0, 0.3, -0.7, 1.0, 1.5, 1.0])
    none = np.zeros(forces.N_EVENTS, dtype=np.int64)
    for cap in (10**6, 40):
        res = batch.propagate_many(forces.MODEL_CR3BP, t0, y0, t_end, params, None,
                                   rtol=1e-10, atol=1e-13, events=none, max_steps=cap,
                                   method=method)
        assert res.status[1] == propagate.STATUS_FINISHED and res.nsteps[1] == 0
        assert res.status[5] == propagate.STATUS_STEP_TOO_SMALL
        if cap == 40:
            assert set(res.status) >= {propagate.STATUS_MAX_STEPS}
        else:
            assert res.status[3] == propagate.STATUS_STEP_TOO_SMALL
        for i in range(len(y0) - 1):   # (propagate refuses the NaN state)
            one = propagate.propagate(forces.MODEL_CR3BP, t0[i], y0[i], t_end[i], params, None,
                                   rtol=1e-10, atol=1e-13, store_steps=False, max_steps=cap,
                                   method=method)
            assert res.status[i] == one.status
            assert res.t_final[i] == one.t_final
            assert np.array_equal(res.y_final[i], one.y_final)
            assert (res.nfev[i], res.nsteps[i], res.nrejected[i]) == (one.nfev, one.nsteps,
                                                                       one.nrejected)
    empty = batch.propagate_many(forces.MODEL_CR3BP, 0.0, np.zeros((0, 6)), 1.0, params, None,
                                 method=method)
    assert empty.t_final.shape == (0,)
    if method == "taylor":          # the NaN shot, as the kernel integrates it one at a time
        from massdriver.kernels.integrators import taylor
        one = taylor.integrate(forces.MODEL_CR3BP, 0.0, nan, 1.0, 1e-10, np.full(6, 1e-13),
                               np.inf, 0.0, params, None, none, np.empty(0), False, 10**6, 1)
        assert (one[0], one[1], one[3], one[4]) == (res.status[5], res.t_final[5],
                                                    res.nfev[5], res.nsteps[5])


def test_taylor_batch_options_and_events_match_single_shots():
    """The Taylor lanes at order 16 (rtol 1e-13) with everything at once: per-shot start and
    end times, backward shots, a finite max_step, per-component atol, terminal events on their
    second occurrence and recorded ones, against one-at-a-time propagation."""
    params = forces.cr3bp_params()
    y0 = cr3bp_shots(21, seed=7)
    t0 = np.linspace(0.0, 2.0, len(y0))
    t_end = t0 + np.where(np.arange(len(y0)) % 3 == 0, -1.5, 2.5)
    atol = np.array([1e-15, 1e-15, 1e-15, 1e-14, 1e-14, 1e-14])
    modes = propagate.event_modes(terminal={"perigee": 2, "moon_impact": 1, "earth_impact": 1},
                               record=["atmosphere", "escape"])
    res = batch.propagate_many(forces.MODEL_CR3BP, t0, y0, t_end, params, None, rtol=1e-13,
                               atol=atol, max_step=0.05, events=modes, method="taylor")
    assert np.any(res.terminal_event == forces.EV_PERIGEE)
    assert np.any(res.terminal_event == forces.EV_MOON_IMPACT)
    assert np.any(t_end < t0) and np.all(res.nsteps > 0)
    for i in range(len(y0)):
        one = propagate.propagate(forces.MODEL_CR3BP, t0[i], y0[i], t_end[i], params, None,
                               rtol=1e-13, atol=atol, max_step=0.05, events=modes,
                               store_steps=False, method="taylor")
        assert (res.status[i], res.terminal_event[i], res.nfev[i], res.nsteps[i]) == (
            one.status, one.terminal_event, one.nfev, one.nsteps)
        assert res.t_final[i] == one.t_final
        assert np.array_equal(res.y_final[i], one.y_final)
        assert np.array_equal(res.event_count[i], one.event_count)
        for e in range(forces.N_EVENTS):
            if one.event_count[e]:
                assert res.first_t[i, e] == one.event_t[e][0]
                assert np.array_equal(res.first_y[i, e], one.event_y[e][0])
