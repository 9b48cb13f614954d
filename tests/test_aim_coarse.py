"""Coarse to fine in the track search (massdriver.aim): the fast path finds what the
exhaustive scan finds.

The fast path of :func:`massdriver.aim.aim` (the default) drops whole tracks after a month
screen (no shot reaches the target perigee) and, in time, solves every ``coarse_step``
(6 h) first, then, branch by branch, the hourly epochs only in the gaps where a window may
open: one end's total under ``threshold + coarse_slack`` or the edge of a reachable span. The
argument: a branch's total moves by less than ``coarse_slack`` (0.2 km/s) in half a coarse step
(3 h), so an epoch under the threshold lies within 3 h of a coarse epoch under ``threshold +
slack``, unless the total is undefined at that coarse epoch (no shot reaches the target),
which the edge rule catches. The checks: on a small Mare Imbrium case (the site where only
some tracks open windows) the fast path ranks the same best cell, counts the same windows
and duty cycles within a stated tolerance, and the slack assumption holds on the exhaustive
calendar.
"""

from __future__ import annotations

import astropy.units as u
import numpy as np
import pytest

from massdriver.aim import (
    COARSE_SLACK_KM_S,
    COARSE_STEP_S,
    _refine_spans,
    _screen_lattice,
    aim,
)
from massdriver.config import load_mission
from massdriver.errors import InputError

IMBRIUM = "examples/imbrium.toml"
GRID = dict(azimuths=[30, 60, 90, 120, 150], elevations=[0, 15, 30], step=1 * u.hour,
            refine=0)
HORIZON = 8 * u.day


@pytest.fixture(scope="module")
def mission():
    return load_mission(IMBRIUM)


def _aim(mission, **kw):
    s = mission.search
    return aim(mission.site, mission.target, s.start, kw.pop("horizon", HORIZON),
               launcher=mission.launcher, threshold=s.threshold, **{**GRID, **kw})


@pytest.fixture(scope="module")
def both(mission):
    fast = _aim(mission)                # month screen on a lattice of tracks + coarse time
    full = _aim(mission, screen=False, coarse_step=None)         # every track, every epoch
    return fast, full


def test_fast_path_finds_the_best_cell_and_the_same_windows(both):
    """Same best cell (largest margin) and recommendation; per cell the same number of
    windows, duty cycles within 2 epochs (an epoch within the speed solve's tolerance of the
    threshold may flip: the fast path seeds the interior epochs from other neighbours; none
    did here), minimum totals within 1 m/s, and fewer speed solves."""
    fast, full = both
    n = full.inputs["epochs"]
    best = [int(np.argmax([c.margin_km_s for c in r.cells])) for r in (fast, full)]
    assert best[0] == best[1]
    assert full.cells[best[1]].duty_cycle > 0
    top = [(r.recommendations[0].stats.azimuth_deg, r.recommendations[0].stats.elevation_deg)
           for r in (fast, full)]
    assert top[0] == top[1]
    opened = 0
    for a, b in zip(fast.cells, full.cells, strict=True):
        assert (a.azimuth_deg, a.elevation_deg) == (b.azimuth_deg, b.elevation_deg)
        assert a.windows == b.windows
        assert abs(a.duty_cycle - b.duty_cycle) <= 2.0 / n
        if b.duty_cycle > 0:
            opened += 1
            assert abs(a.total_min_km_s - b.total_min_km_s) < 1e-3
            assert abs(a.total_median_km_s - b.total_median_km_s) < 1e-3
            assert abs(a.margin_km_s - b.margin_km_s) < 1e-4
    assert opened >= 2                      # the case has windows on more than one track
    assert any(c.screened_out for c in fast.cells)
    assert fast.timings["screen_solves"] < 15 * 2 * 17        # the lattice left tracks out
    # the calendar of the first recommendation is the exhaustive scan in both
    assert np.array_equal(fast.calendar_total_km_s, full.calendar_total_km_s, equal_nan=True)
    solves = [r.timings["screen_solves"] + r.timings["grid_solves"] for r in (fast, full)]
    assert solves[0] < 0.5 * solves[1]
    assert fast.inputs["coarse_to_fine"] == {"coarse_step_minutes": 360.0,
                                             "slack_km_s": COARSE_SLACK_KM_S}
    assert full.inputs["coarse_to_fine"] is None


def test_slack_covers_the_total_change_in_half_a_coarse_step(mission, both):
    """The assumption behind ``coarse_slack``: on the exhaustive hourly scan of every track
    that opens a window, each branch's total changes by less than the slack within 3 h (half
    the coarse step) wherever it is defined at both ends. (The cheapest-branch total can jump
    further, when the cheaper branch stops being solvable: hence the rule works per branch.)"""
    from massdriver.aim import _site_with
    from massdriver.timescales import to_tdb_seconds
    from massdriver.windows import scan_epochs

    _fast, full = both
    n = full.inputs["epochs"]
    t = float(to_tdb_seconds(mission.search.start)) + 3600.0 * np.arange(n)
    k = int(round(COARSE_STEP_S / 2 / 3600.0))
    checked = 0
    for c in full.cells:
        if c.duty_cycle == 0:
            continue
        r = scan_epochs(_site_with(mission.site, c.azimuth_deg, c.elevation_deg),
                        mission.target, mission.launcher, t)
        for v in r.total_km_s.reshape(2, n):
            ends = np.isfinite(v[k:]) & np.isfinite(v[:-k])
            change = np.abs(v[k:] - v[:-k])[ends]
            checked += change.size
            assert change.size == 0 or change.max() < COARSE_SLACK_KM_S
    assert checked > 100


def test_refine_spans_rules():
    """Gaps with a low end or a reachability edge are refined (their interior epochs);
    gaps between two high or two unsolved ends are not; touching gaps merge through the
    coarse epoch between them."""
    ic = np.array([0, 6, 12, 18, 24, 27])
    nan = np.nan
    # low at 6: gaps 0-6 and 6-12 merge; 18 solved, 24 not: the edge gap 18-24; 24-27 not
    best = np.array([3.9, 3.1, 3.8, 3.7, nan, nan])
    assert _refine_spans(best, ic, 3.15 + 0.3) == [(1, 12), (19, 24)]
    assert _refine_spans(np.full(6, nan), ic, 3.45) == []
    assert _refine_spans(np.full(6, 4.0), ic, 3.45) == []
    # adjacent coarse epochs (no interior) need nothing
    assert _refine_spans(np.array([3.0, 3.0]), np.array([0, 1]), 3.45) == []


def test_bad_coarse_settings_are_refused(mission):
    with pytest.raises(InputError, match="coarse_step"):
        _aim(mission, coarse_step=-1 * u.hour, horizon=1 * u.day)
    with pytest.raises(InputError, match="coarse_slack"):
        _aim(mission, coarse_slack=-0.1 * u.km / u.s, horizon=1 * u.day)
    with pytest.raises(InputError, match="coarse_step"):
        _aim(mission, coarse_step=3 * u.m, horizon=1 * u.day)


def test_screen_lattice_rules():
    """Every other azimuth x every other elevation (and the last elevation) first; the others
    wait for a kept neighbour, across 0/360 deg when the azimuths close the circle."""
    az = np.arange(0.0, 360.0, 10.0)
    el = np.arange(0.0, 46.0, 5.0)
    first, near = _screen_lattice(az, el)
    assert len(first) == 18 * 6                       # elevations 0, 10, .., 40 and 45
    assert (0.0, 45.0) in first and (10.0, 0.0) not in first
    assert sorted(near[(10.0, 5.0)]) == [(0.0, 0.0), (0.0, 10.0), (20.0, 0.0), (20.0, 10.0)]
    assert sorted(near[(350.0, 0.0)]) == [(0.0, 0.0), (340.0, 0.0)]
    assert len(first) + len(near) == az.size * el.size
    # not a closed circle: the last azimuth is on the lattice
    first, near = _screen_lattice(np.array([30.0, 60.0, 90.0, 120.0]), np.array([0, 15, 30.0]))
    assert {a for a, _e in first} == {30.0, 90.0, 120.0}
    assert _screen_lattice(np.array([90.0, 100.0]), el) == (None, None)
