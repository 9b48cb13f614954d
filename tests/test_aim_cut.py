"""What the ranked table of ``massdriver aim`` tells a newcomer beyond the numbers.

* A window still open at the first or last scanned epoch is cut by the horizon: the table
  marks it ``<`` / ``>`` (as ``massdriver solve`` does) and says what that means.
* A best grid track on the top (bottom) row of the elevation grid may have a better
  neighbour outside the grid: the table says so.
"""

from __future__ import annotations

import io
from types import SimpleNamespace

import numpy as np

from massdriver import bodies
from massdriver.aim import Recommendation, TrackSearch, track_stats
from massdriver.cli.aim import print_recommendations

THRESHOLD = 3.15


def _scan(total: np.ndarray):
    """A one-branch scan result with the totals ``total`` (km/s) at hourly epochs."""
    n = total.size
    t = 3600.0 * np.arange(n)
    return SimpleNamespace(total_km_s=total, speed_km_s=np.full(n, 2.5), t_launch_tdb=t,
                           t_perigee_tdb=t + 4 * bodies.DAY)


def test_windows_open_at_the_horizon_ends_are_flagged():
    inside, outside = 3.0, 3.4
    cases = {                      # totals -> (cut_start, cut_end, windows)
        (inside, inside, outside, outside, outside): (True, False, 1),
        (outside, outside, inside, outside, inside): (False, True, 2),
        (outside, inside, inside, inside, outside): (False, False, 1),
        (inside, inside, inside, inside, inside): (True, True, 1),
        (outside, np.nan, outside, np.nan, outside): (False, False, 0),
    }
    for total, (start, end, windows) in cases.items():
        s = track_stats(90.0, 30.0, _scan(np.array(total)), len(total), THRESHOLD, 1.0)
        assert (s.cut_start, s.cut_end, s.windows) == (start, end, windows), total


def test_the_ranked_table_marks_cut_windows_and_explains():
    cut = track_stats(90.0, 30.0, _scan(np.array([3.0, 3.0, 3.4, 3.4])), 4, THRESHOLD, 1.0)
    whole = track_stats(80.0, 30.0, _scan(np.array([3.4, 3.0, 3.0, 3.4])), 4, THRESHOLD, 1.0)
    recs = (Recommendation(1, "grid", cut, ("best margin",)),
            Recommendation(2, "grid", whole, ()))
    search = TrackSearch(azimuths_deg=np.array([80.0, 90.0]), elevations_deg=np.array([30.0]),
                         cells=(whole, cut), recommendations=recs,
                         inputs={"threshold_km_s": THRESHOLD, "horizon_days": 10.0},
                         version="test")
    out = io.StringIO()
    print_recommendations(search, out)
    lines = out.getvalue().splitlines()
    assert lines[0].split()[-1] == "cut"
    assert lines[2].split()[-1] == "<"             # rank 1: open at the start
    assert lines[3].split()[-1] != "<"             # rank 2: a whole window
    assert any(line.startswith("cut <: a window is open where the 10-day horizon starts")
               for line in lines)
    assert all(len(line) <= 100 for line in lines)
    table = search.to_table()
    assert list(table["cut_start"]) == [False, True]


def test_no_cut_note_without_cut_windows():
    whole = track_stats(80.0, 30.0, _scan(np.array([3.4, 3.0, 3.0, 3.4])), 4, THRESHOLD, 1.0)
    search = TrackSearch(azimuths_deg=np.array([80.0]), elevations_deg=np.array([30.0]),
                         cells=(whole,), recommendations=(Recommendation(1, "grid", whole, ()),),
                         inputs={"threshold_km_s": THRESHOLD, "horizon_days": 10.0},
                         version="test")
    out = io.StringIO()
    print_recommendations(search, out)
    assert "cut <:" not in out.getvalue()


def test_best_grid_track_on_the_elevation_edge_is_pointed_out():
    """A best grid track on the top row of the elevation grid (the Apollo 15 site's best is
    at the default 45 deg limit) may have a better neighbour outside the grid: say so."""
    top = track_stats(90.0, 45.0, _scan(np.array([3.4, 3.0, 3.0, 3.4])), 4, THRESHOLD, 1.0)
    inner = track_stats(90.0, 15.0, _scan(np.array([3.4, 3.0, 3.0, 3.4])), 4, THRESHOLD, 1.0)
    for best, noted in ((top, True), (inner, False)):
        search = TrackSearch(azimuths_deg=np.array([90.0]),
                             elevations_deg=np.array([0.0, 15.0, 30.0, 45.0]), cells=(best,),
                             recommendations=(Recommendation(1, "grid", best, ()),),
                             inputs={"threshold_km_s": THRESHOLD, "horizon_days": 10.0},
                             version="test")
        out = io.StringIO()
        print_recommendations(search, out)
        assert ("top of --elevations (45 deg)" in out.getvalue()) is noted
        assert all(len(line) <= 100 for line in out.getvalue().splitlines())
