"""Site selection (``massdriver aim --sites``, massdriver.sites), ``azimuth/elevation = "auto"``,
the continuity of the best track with the site, and how a Dask cluster splits the work.

Reasoning behind the physics checks (docs/aim.md, "choosing a site and a track"):

* Continuity. The track must send the hyperbolic excess against the Moon's orbital motion, a
  direction fixed in the Moon's frame (toward selenographic longitude ~90 E, up to the
  libration). Moving the site 3 deg north along its meridian turns the local vertical by 3 deg
  and leaves the local east direction unchanged (east = (-sin lon, cos lon, 0) whatever the
  latitude), so the best track can move by a few degrees only; a jump of tens of degrees
  would mean the search is finding noise. (Far away it does move: the shipped Imbrium track at
  33 N is tilted 30 deg up.)
* ``azimuth = "auto"`` from the equatorial Procellarum site (55 W) to LEO must pick an
  eastward track (the bundled track is due east), within the 30-deg spacing of the coarse grid.
"""

from __future__ import annotations

import dataclasses
import json

import astropy.units as u
import numpy as np
import pytest

from massdriver.aim import aim
from massdriver.cli import main
from massdriver.config import load_mission
from massdriver.errors import InputError
from massdriver.sites import CATALOGUE, parse_sites

PROCELLARUM = "examples/leo_from_procellarum.toml"


@pytest.fixture(scope="module")
def mission():
    return load_mission(PROCELLARUM)


# --- catalogue and parsing -------------------------------------------------------------------
def test_catalogue_coordinates_as_published():
    """Spot values against the sources named in massdriver/sites.py: Apollo 11 and 15 from
    Davies & Colvin (2000) table 2; Mare Imbrium and Shackleton from the IAU Gazetteer."""
    a11 = CATALOGUE["Apollo 11"]
    assert (a11.lat_deg, a11.lon_deg) == (0.67416, 23.47314)
    a15 = CATALOGUE["Apollo 15"]
    assert (a15.lat_deg, a15.lon_deg) == (26.13222, 3.63386)
    assert (CATALOGUE["Mare Imbrium"].lat_deg, CATALOGUE["Mare Imbrium"].lon_deg) == (32.8,
                                                                                      -15.6)
    assert CATALOGUE["Shackleton"].lat_deg == -89.67
    for s in CATALOGUE.values():
        assert -90 <= s.lat_deg <= 90 and -180 <= s.lon_deg <= 180 and s.source


def test_parse_sites_forms():
    assert len(parse_sites("catalogue")) == len(CATALOGUE)
    both = parse_sites("apollo 15;  33 -16")
    assert both[0].name == "Apollo 15" and (both[1].lat_deg, both[1].lon_deg) == (33.0, -16.0)
    grid = parse_sites("grid:-30:30:30/-60:60:60")
    assert len(grid) == 9
    assert {(s.lat_deg, s.lon_deg) for s in grid} >= {(-30.0, -60.0), (30.0, 60.0), (0.0, 0.0)}


@pytest.mark.parametrize("text,words", [
    ("Atlantis", "not a catalogue site"),
    ("grid:0:10:5/100:120:10", "near side"),
    ("grid:0:10:5", "grid:LAT0"),
    ("95 10", "latitude must lie"),
    ("", "give catalogue"),
])
def test_parse_sites_rejects(text, words):
    with pytest.raises(InputError, match=words):
        parse_sites(text)


def test_cli_bad_sites_exits_2(tmp_path, capsys):
    code = main(["aim", PROCELLARUM, "--out", str(tmp_path / "o"), "--sites", "Atlantis"])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Atlantis" in err[0]


def test_cli_sites_writes_table_json_and_map(tmp_path, capsys):
    """Two sites, one track each, four days at a 12-hour step: the equatorial Procellarum site
    (due east) has windows; the files are written and the JSON ranks it first."""
    out = tmp_path / "s"
    code = main(["aim", PROCELLARUM, "--out", str(out), "--sites", "0 -55; Apollo 17",
                 "--azimuths", "90", "--elevations", "0", "--horizon", "4d", "--step", "12h",
                 "--quiet"])
    assert code == 0
    for name in ("sites.ecsv", "sites.json", "site_map.png"):
        assert (out / name).stat().st_size > 0
    doc = json.loads((out / "sites.json").read_text())
    assert doc["sites"][0]["name"] == "+0.00 -55.00"
    assert doc["sites"][0]["azimuth_deg"] == 90.0
    assert "best track per site" not in capsys.readouterr().err


# --- azimuth / elevation = "auto" ------------------------------------------------------------
def test_auto_azimuth_picks_an_eastward_track(tmp_path, capsys):
    """``azimuth = "auto"`` (elevation 0) from the equatorial Procellarum site to LEO over three
    days: ``windows`` says on stderr which track it chose, an eastward one, and the plan
    records it under ``inputs.track_search``."""
    text = open(PROCELLARUM).read().replace('azimuth = "90 deg"', 'azimuth = "auto"')
    text = text.replace('span = "28 d"', 'span = "3 d"').replace('step = "60 min"',
                                                                 'step = "6 h"')
    cfg = tmp_path / "auto.toml"
    cfg.write_text(text)
    m = load_mission(cfg)
    assert m.auto_track == ("azimuth",)
    assert main(["windows", str(cfg), "--quiet", "--json"]) == 0
    captured = capsys.readouterr()
    assert "chose azimuth" in captured.err
    plan = json.loads(captured.out)
    info = plan["inputs"]["track_search"]
    assert info["auto"] == ["azimuth"]
    assert 60.0 <= info["azimuth_deg"] <= 120.0
    assert info["elevation_deg"] == 0.0


def test_auto_is_refused_where_no_search_runs(tmp_path, capsys):
    """``"auto"`` elsewhere (a campaign's site, another key) is an ordinary bad value."""
    text = open(PROCELLARUM).read().replace('lat = "0.0 deg"', 'lat = "auto"')
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text)
    assert main(["windows", str(cfg)]) == 2
    assert "site.lat" in capsys.readouterr().err


# --- physics: continuity with the site -------------------------------------------------------
def test_best_track_moves_little_for_a_small_site_step(mission):
    """The refined best track at 0 N and at 3 N (same longitude, 55 W) over two weeks differs
    by less than 8 deg in azimuth and in elevation (see the module notes)."""
    best = []
    for lat in (0.0, 3.0):
        site = dataclasses.replace(mission.site, lat=lat * u.deg)
        s = mission.search
        r = aim(site, mission.target, s.start, 14 * u.day, azimuths=[75, 90, 105],
                elevations=[0, 10], launcher=mission.launcher, threshold=s.threshold,
                step=4 * u.hour, refine=1, refine_evaluations=10)
        assert r.recommendations
        top = r.recommendations[0].stats
        best.append((top.azimuth_deg, top.elevation_deg))
    (a0, e0), (a3, e3) = best
    assert abs((a3 - a0 + 180) % 360 - 180) < 8.0
    assert abs(e3 - e0) < 8.0


# --- scale: a Dask cluster splits the work by cells and by epochs ----------------------------
def test_local_cluster_splits_by_cells_and_epochs(mission, monkeypatch):
    """Two tracks over 300 epochs (10-minute step) on a 2-worker LocalCluster: the tasks cover
    both tracks and each track's calendar in more than one run of epochs (``CHUNK`` = 256), and
    the cells equal the in-process run's."""
    distributed = pytest.importorskip("distributed")
    import massdriver.parallel as parallel

    plans = []
    real = parallel._task_plan

    def spy(prepared, chunk, numba_threads):
        tasks, slots = real(prepared, chunk, numba_threads)
        plans.append(slots)
        return tasks, slots

    monkeypatch.setattr(parallel, "_task_plan", spy)
    opts = dict(azimuths=[90], elevations=[0, 10], step=10 * u.minute,
                horizon=299 * 10 * u.minute, refine=0, screen=False, coarse_step=None)
    local = _aim(mission, **opts)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cl:
        with distributed.Client(cl, set_as_default=False) as client:
            remote = _aim(mission, client=client, **opts)
    slots = [s for plan in plans for s in plan]
    cases = {c for c, _b, _s, _e in slots}
    assert len(cases) == 2                               # by cells
    for c in cases:
        starts = {s for cc, b, s, _e in slots if cc == c and b == 0}
        assert len(starts) >= 2                          # by epochs
    assert remote.cells == local.cells
    assert np.array_equal(remote.calendar_total_km_s, local.calendar_total_km_s,
                          equal_nan=True)


def _aim(mission, **kw):
    s = mission.search
    opts = dict(launcher=mission.launcher, threshold=s.threshold)
    opts.update(kw)
    return aim(mission.site, mission.target, s.start, opts.pop("horizon"), **opts)
