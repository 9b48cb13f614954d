"""Numerical faults are reported states; no NaN or inf reaches any output (issue 8).

* Every way a shot can end - Earth perigee, lunar impact (also at launch), atmosphere or Earth
  impact, escape, timeout - is a named status with finite numbers in its JSON and ECSV views
  (hypothesis over speeds, directions, epochs, durations and both force models).
* A scan's unsolved epochs are reported by ``solve_status`` and written as empty (masked) fields,
  never ``nan``; the report reads them back as missing.
* An optimizer that does not converge is reported per window (``optimizer.converged`` false with
  scipy's message), and the window keeps the grid epoch.
* A real ``massdriver solve`` (with report) and coilgun runs are scanned: every text output parses
  without NaN/inf tokens.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
from astropy.table import QTable
from astropy.time import Time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from massdriver import bodies
from massdriver.cli import main
from massdriver.site import LaunchSite
from massdriver.trajectory import STATUSES, shoot

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "leo_from_procellarum.toml"
EPOCH = Time("2027-01-01T00:00", scale="utc")
#: a NaN / inf token as numpy, json, astropy or a %g format would print it
NONFINITE = re.compile(r"(?<![A-Za-z_])[-+]?(nan|inf|infinity)(?![A-Za-z_])", re.IGNORECASE)


def _reject_constant(name: str):
    raise ValueError(f"non-finite JSON constant {name}")


def assert_finite_json(text: str) -> dict:
    """Parse JSON refusing NaN/Infinity, and check every number is finite."""
    data = json.loads(text, parse_constant=_reject_constant)

    def walk(x):
        if isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
        elif isinstance(x, float):
            assert math.isfinite(x)

    walk(data)
    return data


def assert_no_nonfinite_text(text: str, where: str) -> None:
    match = NONFINITE.search(text)
    if match is not None:
        context = text[max(match.start() - 80, 0):match.end() + 40]
        raise AssertionError(f"{where}: {match.group(0)!r} near {context!r}")


def assert_finite_ecsv(path: Path) -> QTable:
    text = path.read_text()
    assert_no_nonfinite_text(text, str(path))
    table = QTable.read(path, format="ascii.ecsv")
    for name in table.colnames:
        col = table[name]
        values = getattr(col, "value", col)
        if getattr(values, "dtype", np.dtype(object)).kind == "f":
            data = np.ma.getdata(np.asarray(getattr(values, "unmasked", values)))
            mask = np.asarray(getattr(col, "mask", np.zeros(len(col), bool)))
            assert np.all(np.isfinite(data[~mask])), name
    return table


def assert_clean_trajectory(tr) -> None:
    assert tr.status in STATUSES and tr.status != "failed"
    d = tr.to_dict()
    assert_finite_json(json.dumps(d, allow_nan=False))
    for q in (tr.positions, tr.velocities, tr.moon_positions):
        assert np.all(np.isfinite(q.value))
    assert np.all(np.diff(tr.times.tdb.jd) >= 0)
    if tr.status == "perigee":
        assert tr.perigee is not None and tr.events[-1].kind == "perigee"
    else:
        assert tr.perigee is None
    if tr.status in ("moon_impact", "earth_impact", "atmosphere", "escape"):
        assert tr.events[-1].kind == tr.status


# --------------------------------------------------------------------------------------------
# every end of a shot is a named state
# --------------------------------------------------------------------------------------------
SITE = dict(lat=0 * u.deg, lon=-55 * u.deg)


@pytest.mark.parametrize(("azimuth", "elevation", "speed", "days", "statuses"), [
    (90, 0, 2.501711, 8.0, {"perigee"}),              # the LEO solution of the scan
    (90, 20, 2.30, 8.0, {"moon_impact"}),             # sub-escape, comes back down
    (90, 0, 2.58, 8.0, {"atmosphere", "earth_impact"}),
    (270, 0, 5.0, 8.0, {"escape"}),                   # leaves the Earth-Moon system
    (90, 0, 2.501711, 0.5, {"timeout"}),              # never reaches perigee in the span
    (90, 0, 1.0, 8.0, {"moon_impact"}),               # below circular speed: down at launch
])
@pytest.mark.parametrize("model", ["ephemeris", "cr3bp"])
def test_each_outcome_is_a_reported_state(azimuth, elevation, speed, days, statuses, model,
                                          tmp_path):
    if model == "cr3bp" and azimuth == 270:
        statuses = statuses | {"timeout"}     # the CR3BP has no Sun: escape is slower
    site = LaunchSite(azimuth=azimuth * u.deg, elevation=elevation * u.deg, **SITE)
    tr = shoot(site, EPOCH, speed * u.km / u.s, days=days, model=model)
    assert tr.status in statuses
    assert_clean_trajectory(tr)
    path = tmp_path / "shot.ecsv"
    tr.to_table().write(path, format="ascii.ecsv")
    assert_finite_ecsv(path)


def test_horizontal_sub_circular_shot_stops_at_launch():
    """Regression: the shot used to fly through the Moon (1360 km below its surface) to a
    timeout, the impact event having started on its own root."""
    site = LaunchSite(azimuth=90 * u.deg, **SITE)
    tr = shoot(site, EPOCH, 1.0 * u.km / u.s)
    assert tr.status == "moon_impact"
    assert tr.events[-1].time_of_flight.to_value(u.s) == 0.0
    d = np.linalg.norm((tr.positions - tr.moon_positions).to_value(u.km), axis=1)
    assert np.all(d >= bodies.R_MOON - 1e-6)
    # above circular speed (1.68 km/s) the same track orbits the Moon, never below the surface
    tr = shoot(site, EPOCH, 1.75 * u.km / u.s, days=1.0)
    d = np.linalg.norm((tr.positions - tr.moon_positions).to_value(u.km), axis=1)
    assert tr.status in ("timeout", "moon_impact") and np.all(d >= bodies.R_MOON - 1e-6)


def _shot(speed, azimuth=90.0, elevation=0.0, lat=0.0, models=("ephemeris", "cr3bp"),
          days=(6.0, 8.0)):
    """Shots around a geometry: (speed, azimuth, elevation, lat, hours, days, model)."""
    def around(x, half_width, lo=-math.inf, hi=math.inf):
        if isinstance(x, tuple):
            return st.floats(*x)
        return st.floats(max(lo, x - half_width), min(hi, x + half_width))

    return st.tuples(around(speed, 0.0), around(azimuth, 2.0, 0.0, 360.0),
                     around(elevation, 2.0, 0.0, 90.0), around(lat, 2.0, -90.0, 90.0),
                     st.floats(0.0, 24 * 365.0), st.floats(*days), st.sampled_from(models))


#: explicit mixture: each branch aims at one way a shot ends, so that every run draws them all
#: (a uniform draw over the whole box put ~0.3 examples per run in the 2.3-2.8 km/s transfer
#: band). From the LEO example's east track (0 N 55 W), whose 2.5017 km/s shot reaches a 400 km
#: perigee after 4.7 d and whose 2.58 km/s shot enters the atmosphere (test_trajectory.py).
SHOTS = st.one_of(
    _shot((2.44, 2.50)),                                    # transfer: Earth perigee
    _shot((2.53, 2.62), models=("ephemeris",)),             # between the branches: Earth
    _shot((0.5, 2.3), elevation=(0.0, 60.0), days=(0.2, 6.0)),     # sub-escape: the Moon
    _shot((4.0, 8.0), azimuth=270.0, models=("ephemeris",)),       # leaves the system
    st.tuples(st.floats(0.5, 8.0), st.floats(0.0, 360.0), st.floats(0.0, 60.0),
              st.floats(-90.0, 90.0), st.floats(0.0, 24 * 365.0), st.floats(0.2, 6.0),
              st.sampled_from(["ephemeris", "cr3bp"])),     # anything at all
)


def test_any_shot_ends_in_a_named_state_without_nan():
    seen: dict[str, int] = {}

    @settings(max_examples=40, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(shot=SHOTS)
    def run(shot):
        speed, azimuth, elevation, lat, hours, days, model = shot
        site = LaunchSite(lat=lat * u.deg, lon=-55 * u.deg, azimuth=azimuth * u.deg,
                          elevation=elevation * u.deg)
        tr = shoot(site, EPOCH + hours * u.hour, speed * u.km / u.s, days=days, model=model,
                   rtol=1e-10)
        assert_clean_trajectory(tr)
        d = np.linalg.norm((tr.positions - tr.moon_positions).to_value(u.km), axis=1)
        assert np.all(d >= bodies.R_MOON - 1.0)           # never through the Moon (1 km slack)
        seen[tr.status] = seen.get(tr.status, 0) + 1

    run()
    # the draws reached every way a shot ends (counted over the run's examples)
    assert seen.get("perigee", 0) >= 1, seen
    assert seen.get("atmosphere", 0) + seen.get("earth_impact", 0) >= 1, seen
    assert seen.get("moon_impact", 0) >= 1, seen
    assert seen.get("escape", 0) >= 1, seen


def test_shoot_cli_json_for_a_moon_impact(capsys):
    status = main(["shoot", "--site", "0 -55", "--speed", "1.2", "--epoch", "2027-01-01T00:00",
                   "--json"])
    out = capsys.readouterr().out
    assert status == 0
    d = assert_finite_json(out)
    assert d["status"] == "moon_impact" and d["perigee"] is None


@pytest.mark.parametrize(("azimuth", "elevation", "speed", "days", "statuses"), [
    (90, 0, 2.501711, 8.0, {"perigee"}),
    (90, 0, 2.58, 8.0, {"atmosphere", "earth_impact"}),
    (270, 0, 5.0, 8.0, {"escape"}),
    (90, 0, 2.501711, 0.5, {"timeout"}),
])
def test_shoot_cli_json_for_every_outcome(capsys, azimuth, elevation, speed, days, statuses):
    """Every way a shot ends reaches the CLI's JSON as its named status, with finite numbers,
    and a perigee block exactly when the coast ended at a perigee (the cases of
    test_each_outcome_is_a_reported_state; the Moon impact is the test above)."""
    status = main(["shoot", "--site", "0 -55", "--azimuth", str(azimuth), "--elevation",
                   str(elevation), "--speed", str(speed), "--days", str(days), "--epoch",
                   "2027-01-01T00:00", "--json"])
    out = capsys.readouterr().out
    assert status == 0
    d = assert_finite_json(out)
    assert d["status"] in statuses
    if d["status"] == "perigee":
        assert d["perigee"]["altitude_km"] == pytest.approx(400.0, abs=5.0)
    else:
        assert d["perigee"] is None


# --------------------------------------------------------------------------------------------
# scans: unsolved epochs are states, written as missing values
# --------------------------------------------------------------------------------------------
def _scan_with_gaps():
    from massdriver.windows import ScanResult

    n = 6
    bad = np.array([False, True, False, True, True, False])
    val = np.where(bad, np.nan, 1.0)
    status = np.where(bad, "no_root_in_speed_range", "converged").astype(object)
    status[3] = "not_converged"
    return ScanResult(
        t_launch_tdb=851_000_000.0 + 3600.0 * np.arange(n),
        branch=np.array(["prograde"] * n, dtype=object), speed_km_s=2.5 * val,
        t_perigee_tdb=851_000_000.0 + 3600.0 * np.arange(n) + 4e5 * val,
        solve_status=status, perigee_state=np.outer(val, np.ones(6)),
        total_km_s=3.1 * val, insertion_km_s=3.0 * val, plane_change_km_s=0.1 * val,
        circularization_km_s=0.0 * val, strategy=np.where(bad, "", "perigee_burn").astype(object),
        inclination_deg=28.5 * val, raan_deg=10.0 * val, nfev=np.arange(n) * 100)


def test_unsolved_scan_rows_are_masked_not_nan(tmp_path):
    scan = _scan_with_gaps()
    path = tmp_path / "scan.ecsv"
    scan.to_table().write(path, format="ascii.ecsv")
    table = assert_finite_ecsv(path)
    assert list(table["solve_status"]) == list(scan.solve_status)
    assert np.array_equal(np.asarray(table["speed"].mask), ~np.isfinite(scan.speed_km_s))
    # the report reads the masked fields back as NaN in memory (its plots skip them)
    from massdriver.report import read_results

    (tmp_path / "plan.json").write_text(json.dumps({"inputs": {"threshold_km_s": 3.2}}))
    back = read_results(tmp_path).scan
    np.testing.assert_array_equal(np.isnan(back["total"].to_value(u.km / u.s)),
                                  ~np.isfinite(scan.total_km_s))
    np.testing.assert_allclose(back["speed"].to_value(u.km / u.s)[[0, 2, 5]], 2.5, rtol=0,
                               atol=0)


# --------------------------------------------------------------------------------------------
# a real solve: windows, unsolved rows, report - no NaN in any file
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    d = tmp_path_factory.mktemp("no_nan")
    text = EXAMPLE.read_text()
    for old, new in [('span = "28 d"', 'span = "2 d"'), ('step = "60 min"', 'step = "360 min"'),
                     ('threshold = "3.10 km/s"', 'threshold = "3.20 km/s"')]:
        text = text.replace(old, new)
    config = d / "short.toml"
    config.write_text("mid_course = false\n" + text)
    out = d / "run"
    status = main(["solve", str(config), "--out", str(out), "--quiet", "--json"])
    assert status == 0
    return out


def test_solve_outputs_have_no_nonfinite_numbers(solved, capsys):
    plan = assert_finite_json((solved / "plan.json").read_text())
    assert plan["windows"], "the short LEO case has one window"
    for w in plan["windows"]:
        assert isinstance(w["optimizer"]["converged"], bool) and w["optimizer"]["message"]
    for name in ("windows.ecsv", "scan.ecsv", "best_trajectory.ecsv"):
        assert_finite_ecsv(solved / name)
    scan = QTable.read(solved / "scan.ecsv", format="ascii.ecsv")
    statuses = set(scan["solve_status"])
    assert statuses <= {"converged", "no_root_in_speed_range", "not_converged"}
    assert "no_root_in_speed_range" in statuses    # the retrograde branch is out of range
    html = (solved / "report.html").read_text()
    body = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)
    assert_no_nonfinite_text(body, "report.html")


def test_non_converged_optimizer_is_reported_per_window(monkeypatch):
    """scipy's bounded minimiser is made to fail: the window survives at its grid epoch, with
    ``converged = False`` and scipy's message in the plan."""
    import scipy.optimize
    from scipy.optimize import OptimizeResult

    from massdriver.targets import circular
    from massdriver.windows import solve

    def failing(fun, bounds=None, method=None, options=None, **kwargs):
        x = 0.5 * (bounds[0] + bounds[1])
        return OptimizeResult(x=x, fun=fun(x), success=False, status=1, nfev=1,
                              message="Maximum number of function calls reached.")

    monkeypatch.setattr(scipy.optimize, "minimize_scalar", failing)
    site = LaunchSite(azimuth=90 * u.deg, **SITE)
    plan = solve(site, circular(400 * u.km, 28.5 * u.deg), Time("2027-01-02", scale="utc"),
                 1.0 * u.day, threshold=3.2 * u.km / u.s, step=360 * u.min,
                 branches=("prograde",), mid_course=False, dispersion_samples=200)
    assert plan.windows
    for w in plan.windows:
        assert w.optimizer["converged"] is False
        assert "Maximum number of function calls" in w.optimizer["message"]
    d = assert_finite_json(json.dumps(plan.to_dict(), allow_nan=False))
    assert d["windows"][0]["optimizer"]["converged"] is False
    grid = set(np.round(plan.scan.t_launch_tdb, 3))
    best = plan.windows[0].best_epoch.tdb
    best_s = round(float((best.jd1 - 2451545.0) * 86400.0 + best.jd2 * 86400.0), 3)
    assert min(abs(best_s - g) for g in grid) < 1e-2            # kept a grid epoch


def test_no_root_anywhere_is_a_message_not_a_crash():
    """A launcher that cannot reach the Earth from this track: no window, a message, no NaN."""
    from massdriver.config import LauncherSpec
    from massdriver.targets import circular
    from massdriver.windows import solve

    slow = LauncherSpec(speed_min=2.0 * u.km / u.s, speed_max=2.2 * u.km / u.s,
                        payload_mass=1000 * u.kg, speed_sigma=0.05 * u.m / u.s,
                        pointing_sigma=1e-3 * u.deg)
    plan = solve(LaunchSite(azimuth=90 * u.deg, **SITE), circular(400 * u.km, 28.5 * u.deg),
                 EPOCH, 0.5 * u.day, threshold=3.2 * u.km / u.s, step=360 * u.min,
                 launcher=slow)
    assert plan.windows == () and plan.message.startswith("no window")
    assert set(plan.scan.solve_status) == {"no_root_in_speed_range"}
    assert_finite_json(json.dumps(plan.to_dict(), allow_nan=False))


# --------------------------------------------------------------------------------------------
# coilgun outputs
# --------------------------------------------------------------------------------------------
def test_coilgun_outputs_are_finite_also_for_a_failed_shot(tmp_path, capsys):
    gun = ROOT / "examples" / "coilgun_lab.toml"
    status = main(["coilgun", str(gun), "--json"])
    assert status == 0
    assert_finite_json(capsys.readouterr().out)
    dead = tmp_path / "dead.toml"
    dead.write_text(gun.read_text().replace('voltage = "400 V"', 'voltage = "0 V"'))
    status = main(["coilgun", str(dead), "--json"])
    out = capsys.readouterr().out
    d = assert_finite_json(out)
    assert status == 1 and d["status"] != "muzzle"              # a reported state, exit 1
