"""The reach screen of the speed solve (kernels/shots.py ``reach_mask``): conservative and exact.

Reasoning. A shot reaches a perigee radius ``r_t`` only if its geocentric angular momentum
falls to ``|h| <= sqrt(GM r_t (1 + e))`` (``r_p = h^2 / (GM (1 + e))``), and the arrivals the scan
prices have ``e < 2``. The patched-conic ``|h|`` (lunar two-body hyperbola to the sphere of
influence, added to the Moon's geocentric state there) differs from the true one by the Earth's
tide inside the sphere and the Moon's pull after it; the screen skips an epoch only if every
sampled speed exceeds the limit by ``REACH_MARGIN`` = 150,000 km^2/s. Measured on 12 azimuths x
4 elevations x 2 days for the Imbrium, Procellarum LEO, SSO and GEO examples, every epoch with
a converged shot had ``min over speeds of |h_pc|`` at least 22,000 km^2/s *below* the limit
(so the margin is ~170,000 km^2/s of headroom over the worst case seen).

Exactness. An epoch without a root ends the continuation (the next epoch starts on the
bracketing grid) whether or not it was solved, so a screened scan must equal the unscreened
one bit for bit in every solution: any reachable epoch the screen skipped would show up as a
missing solution here (the check fails when ``REACH_MARGIN`` is made negative enough to skip
reachable epochs).
"""

from __future__ import annotations

import numpy as np
import pytest

from massdriver.aim import _site_with
from massdriver.config import load_mission
from massdriver.ephemeris import Ephemeris
from massdriver.timescales import to_tdb_seconds
from massdriver.windows import _problem, scan_many

TRACKS = [(a, e) for a in (0, 90, 180, 270) for e in (0, 30)]


@pytest.fixture(scope="module")
def cases():
    m = load_mission("examples/leo_from_procellarum.toml")
    eph = Ephemeris()
    t0 = float(to_tdb_seconds(m.search.start))
    t = t0 + 3 * 3600.0 * np.arange(13)           # 36 h, every 3 h
    return [(_problem(_site_with(m.site, a, e), m.target, m.launcher, 1e-10, 8 * 86400.0, eph,
                      t[0], t[-1]), t, m.target, ("prograde", "retrograde"))
            for a, e in TRACKS]


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.array_equal(a, b, equal_nan=True))


def test_screen_skips_no_reachable_epoch_and_changes_no_result(cases):
    """Screened and plain scans of 8 tracks x 13 epochs x 2 branches agree bit for bit in
    speed, status, perigee epoch and state; the screen saved coasts (fewer evaluations) and
    skipped a good part of the unreachable epochs."""
    plain = scan_many(cases)
    screened = scan_many(cases, reach_screen=True)
    nfev_plain = nfev_screened = 0
    for p, s in zip(plain, screened, strict=True):
        assert _same(p.speed_km_s, s.speed_km_s)
        assert list(p.solve_status) == list(s.solve_status)
        assert _same(p.t_perigee_tdb, s.t_perigee_tdb)
        assert _same(p.total_km_s, s.total_km_s)
        nfev_plain += int(np.sum(p.nfev))
        nfev_screened += int(np.sum(s.nfev))
    solved = sum(int(np.sum(p.solve_status == "converged")) for p in plain)
    assert solved > 0                      # the sample holds reachable epochs
    assert nfev_screened < 0.7 * nfev_plain


def test_patched_conic_h_is_under_the_limit_at_solved_speeds(cases):
    """At the speed of every converged shot the patched-conic ``|h|`` is below the reach
    limit ``sqrt(3 GM r_t)`` plus the margin (what the screen relies on), and the Moon's own
    ``|h|`` (~3.9e5 km^2/s, a slow shot that barely leaves) is far above it."""
    from massdriver.kernels.forces import P_GM_EARTH, P_GM_MOON
    from massdriver.kernels.shots import REACH_MARGIN, patched_conic_h

    scratch = [np.empty(6), np.empty((3, 3)), np.empty((3, 3)), np.empty(6), np.empty(6)]
    plain = scan_many(cases[:4])
    checked = 0
    for (p, t, _tg, _b), r in zip(cases[:4], plain, strict=True):
        limit = np.sqrt(3.0 * p.params[P_GM_EARTH] * p.r_target)
        n = t.size
        for k in np.flatnonzero(r.solve_status == "converged"):
            ti = t[k % n]
            h = patched_conic_h(ti, float(r.speed_km_s[k]), p.site_body, p.dir_body, p.eph,
                                p.params[P_GM_MOON], ti + p.flight_time_max, *scratch)
            assert h < limit + REACH_MARGIN
            checked += 1
        slow = patched_conic_h(t[0], 2.0, p.site_body, p.dir_body, p.eph, p.params[P_GM_MOON],
                               t[0] + p.flight_time_max, *scratch)
        assert 3.5e5 < slow < 4.3e5       # the Moon's h: a (1 - e^2)^0.5 sqrt(GM a)
    assert checked > 0
