"""The speed solve stops at a jump of the sign of q (kernels/shots.py ``JUMP_SLOPE``).

Reasoning. ``q(w) = sign(h . n_moon) sqrt(r_p)`` is continuous where ``h`` passes through
zero (a radial fall), but its sign also flips where the orbit plane swings through the Moon's
orbit normal (``h`` perpendicular to ``n_moon``) while the perigee stays finite: ``q`` jumps
from ``+sqrt(r_p)`` to ``-sqrt(r_p)``. The bracketing grid takes such a jump for a root, and
the regula falsi then narrows the bracket onto it for ~30 shots before giving up
(``SOLVE_NOT_CONVERGED``); on the track search's benchmark grid these solves made 75 % of all
force evaluations. A continuous ``q`` changes by ~1e3 sqrt(km) per km/s (the slope the
continuation measures); a genuine crossing from ``+sqrt(r_t)`` to ``-sqrt(r_t)`` across a
bracket of width ``dw`` needs a mean slope ``2 sqrt(r_t) / dw``, so a bracket with ends of
opposite signs, both at least ``sqrt(r_t)`` in size, and a mean slope over ``JUMP_SLOPE`` =
1e6 (1000 times the physical one) holds a jump, and the solve stops there with the same
result it reached before.

Checks, on the Mare Imbrium track (azimuth 90, elevation 45 deg) whose month screen has such
epochs: (1) every epoch the solve gives up on really straddles a sign jump (a bisection of the
grid bracket down to 1e-9 km/s leaves ends of equal ``|q|``, opposite signs, both above
``sqrt(r_t)``); (2) the solve gives up after the bracketing grid and a few regula-falsi shots,
not ~30 (it fails with ``JUMP_SLOPE`` set huge); (3) the epochs that converge are those of the
plain scan, solved to the scan's tolerance.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from massdriver.kernels import shots

from massdriver.aim import _site_with
from massdriver.config import load_mission
from massdriver.ephemeris import Ephemeris
from massdriver.timescales import to_tdb_seconds
from massdriver.windows import _FAR_PERIGEE, _SCAN_PERIGEE_REL, _SPEED_TOL, _problem


@pytest.fixture(scope="module")
def case():
    m = load_mission("examples/imbrium.toml")
    eph = Ephemeris()
    t0 = float(to_tdb_seconds(m.search.start))
    t = t0 + 12 * 3600.0 * np.arange(20)              # 10 days, every 12 h
    p = _problem(_site_with(m.site, 90.0, 45.0), m.target, m.launcher, 1e-10, 8 * 86400.0,
                 eph, t[0], t[-1])
    return p, t


def _solve_each(p, t):
    """Each epoch alone (no continuation): the bracketing grid, then the regula falsi."""
    out = []
    for ti in t:
        r = shots.solve_speeds(np.array([ti]), 1.0, p.r_target, p.speed_min, p.speed_max,
                               _SPEED_TOL, _SCAN_PERIGEE_REL * p.r_target, p.site_body,
                               p.dir_body, p.flight_time_max, p.scan_rtol, p.scan_atol,
                               p.params, p.eph, _FAR_PERIGEE, np.array([np.nan]))
        out.append((r[0][0], int(r[1][0]), int(r[5][0])))
    return out


def _grid(p, ti):
    """q on the solver's bracketing grid, and the shots' evaluations."""
    y = np.empty(6)
    lo = max(p.speed_min, shots.LOWEST_USEFUL_SPEED)
    n = min(max(int(math.ceil((p.speed_max - lo) / shots.GRID_SPACING)) + 1, 5), 64)
    ws = lo + (p.speed_max - lo) / (n - 1) * np.arange(n)
    rows = [shots.signed_perigee(ti, w, p.site_body, p.dir_body, ti + p.flight_time_max,
                                 p.scan_rtol, p.scan_atol, p.params, p.eph, _FAR_PERIGEE, y)
            for w in ws]
    return ws, rows


def test_gives_up_only_at_sign_jumps_and_early(case):
    p, t = case
    q_t = math.sqrt(p.r_target)
    y = np.empty(6)
    results = _solve_each(p, t)
    failed = [(ti, nfev) for ti, (_s, st, nfev) in zip(t, results, strict=True)
              if st == shots.SOLVE_NOT_CONVERGED]
    assert len(failed) >= 3, "the case should have epochs straddling a sign jump"
    for ti, nfev in failed:
        ws, rows = _grid(p, ti)
        clean = [o in (shots.OUTCOME_PERIGEE, shots.OUTCOME_EARTH_IMPACT) for _q, o, _t, _n in rows]
        k = next(k for k in range(1, len(ws)) if clean[k - 1] and clean[k]
                 and rows[k - 1][0] - q_t > 0 > rows[k][0] - q_t)
        lo, hi, q_lo, q_hi = ws[k - 1], ws[k], rows[k - 1][0], rows[k][0]
        while hi - lo > 1e-9:
            c = 0.5 * (lo + hi)
            qc = shots.signed_perigee(ti, c, p.site_body, p.dir_body, ti + p.flight_time_max,
                                      p.scan_rtol, p.scan_atol, p.params, p.eph, _FAR_PERIGEE,
                                      y)[0]
            if qc - q_t > 0:
                lo, q_lo = c, qc
            else:
                hi, q_hi = c, qc
        # (1) a jump: the same perigee on both sides, opposite senses, beyond the target's
        assert q_lo > q_t and q_hi < -q_t
        assert abs(q_lo + q_hi) < 1e-4 * q_lo
        # (2) early: the grid up to the bracket plus at most 12 shots of the largest cost
        grid_cost = sum(n for _q, _o, _t, n in rows[:k + 1])
        shot = max(n for _q, _o, _t, n in rows)
        assert nfev <= grid_cost + 12 * shot, (nfev, grid_cost, shot)


def test_converged_epochs_hit_the_target_perigee(case):
    p, t = case
    y = np.empty(6)
    converged = [(ti, s) for ti, (s, st, _n) in zip(t, _solve_each(p, t), strict=True)
                 if st == shots.SOLVE_CONVERGED]
    for ti, s in converged:
        q, o, _t, _n = shots.signed_perigee(ti, s, p.site_body, p.dir_body,
                                            ti + p.flight_time_max, p.scan_rtol, p.scan_atol,
                                            p.params, p.eph, _FAR_PERIGEE, y)
        assert o == shots.OUTCOME_PERIGEE
        assert abs(q * q - p.r_target) <= 10 * _SCAN_PERIGEE_REL * p.r_target
