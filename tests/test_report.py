"""The plotted report: files, page, figure contents, baseline images, CLI, headless browser.

The output directory is synthetic but shaped like a real ``massdriver solve --out DIR``: the
files are written by the real result classes (``ScanResult.to_table``, ``Plan.to_dict`` and
``Plan.to_table``, ``Trajectory.to_table``) from plausible numbers, so no solver runs here:

* scan: 28 days hourly, two branches; the prograde total (3.1-3.5 km/s) dips under the
  3.3 km/s threshold twice a fortnight, with a 2-day gap where no exit speed solves; the
  retrograde branch solves for 11 days only, at 4.4-4.5 km/s (no window);
* trajectory: the Earth two-body transfer ellipse from the Moon's distance (apogee) to a
  400 km perigee, sampled in eccentric anomaly (time of flight half its period, 4.98 d), with
  a Moon on a circular orbit of the same plane (inclination 28 deg).

Baseline images live in tests/baseline/; regenerate them (after a deliberate change of a
figure) with ``MASSDRIVER_UPDATE_BASELINES=1 pytest tests/test_report.py -k baseline``.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

BASELINE_DIR = Path(__file__).parent / "baseline"
EXAMPLE = Path(__file__).parents[1] / "examples" / "leo_from_procellarum.toml"
THRESHOLD = 3.3                               # km/s
START_JD = 2461406.5                          # 2027-01-01T00:00 UTC
GM_EARTH = 398600.436233                      # km^3/s^2, DE421 (Folkner et al. 2008, IOM
                                              # 343R-08-003); 398600.435436 is DE430's
R_EARTH = 6378.1366                           # km
R_TARGET = R_EARTH + 400.0                    # km
R_MOON_ORBIT = 384_400.0                      # km
MOON_PERIOD_D = 27.321661                     # sidereal month, days
INCLINATION = np.radians(28.0)
RAAN = np.radians(10.0)
BASELINE_DPI = 45
#: RMS over 0-255 pixel values above which a figure differs from its baseline
BASELINE_TOLERANCE = 2.0
#: matplotlib version the baselines were drawn with (layout and text placement change between
#: releases; the wheels all bundle the same FreeType and DejaVu fonts)
BASELINE_META = BASELINE_DIR / "report_baselines.json"


# ------------------------------------------------------------------------------------------------
# synthetic results
# ------------------------------------------------------------------------------------------------
def _scan():
    from massdriver.windows import ScanResult

    hours = np.arange(28 * 24 + 1, dtype=float)
    days = hours / 24.0
    t_tdb = (START_JD - 2451545.0) * 86400.0 + hours * 3600.0 + 69.184
    rows = {k: [] for k in ScanResult.__dataclass_fields__}
    for name in ("prograde", "retrograde"):
        n = days.size
        if name == "prograde":
            total = 3.30 + 0.18 * np.cos(2 * np.pi * (days - 4.0) / 13.66) + 0.004 * np.sin(days)
            speed = 2.515 + 0.02 * np.sin(2 * np.pi * days / 27.3) + 0.005 * np.cos(days)
            ok = ~((days >= 12.0) & (days < 14.0))
            status = np.where(ok, "converged", "no_root_in_speed_range")
            status[(days >= 14.0) & (days < 14.2)] = "not_converged"
            ok &= status == "converged"
            insertion = np.full(n, 0.258)
            plane = 0.2 + 0.15 * np.sin(2 * np.pi * days / 13.66) ** 2
            strategy = "high_ellipse"
        else:
            total = 4.45 + 0.05 * np.cos(2 * np.pi * (days - 10.5) / 11.0)
            speed = 2.61 + 0.04 * ((days - 10.5) / 5.5) ** 2
            ok = (days >= 5.0) & (days < 16.0)
            status = np.where(ok, "converged", "no_root_in_speed_range")
            insertion = np.full(n, 0.25)
            plane = np.full(n, 1.4)
            strategy = "high_ellipse"
        circ = total - insertion - plane
        nan = np.where(ok, 1.0, np.nan)
        tof = 4.9 + 0.3 * np.sin(days / 3.0)
        rows["t_launch_tdb"].append(t_tdb)
        rows["branch"].append(np.full(n, name, dtype=object))
        rows["speed_km_s"].append(speed * nan)
        rows["t_perigee_tdb"].append((t_tdb + tof * 86400.0) * nan)
        rows["solve_status"].append(np.asarray(status, dtype=object))
        rows["perigee_state"].append(np.tile([R_TARGET, 0, 0, 0, 10.75, 0], (n, 1)) * nan[:, None])
        rows["total_km_s"].append(total * nan)
        rows["insertion_km_s"].append(insertion * nan)
        rows["plane_change_km_s"].append(plane * nan)
        rows["circularization_km_s"].append(circ * nan)
        rows["strategy"].append(np.where(ok, strategy, "").astype(object))
        rows["inclination_deg"].append((28.5 + 15 * np.sin(days / 4.0)) * nan)
        rows["raan_deg"].append((350.0 + 5 * days) % 360.0 * nan)
        rows["nfev"].append(np.where(ok, 900, 300))
    return ScanResult(**{k: np.concatenate(v) for k, v in rows.items()})


def _budget(strategy: str, parts: dict):
    import astropy.units as u

    from massdriver.budget import DeltaVBudget

    q = {k: parts.get(k, 0.0) * u.km / u.s for k in
         ("mcc", "insertion", "plane_change", "circularization", "margin")}
    return DeltaVBudget(strategy=strategy, total=sum(q.values()),
                        capture_apoapsis_radius=(2.0e5 * u.km if strategy == "high_ellipse"
                                                 else None),
                        plane_angle=0.01 * u.deg, out_of_plane_angle=0.0 * u.deg, **q)


def _plan(scan):
    import astropy.units as u

    from massdriver.timescales import from_tdb_seconds
    from massdriver.trajectory import PerigeeArrival
    from massdriver.windows import LaunchWindow, MidCourseCorrection, Plan, _windows_from_runs

    sel = scan.branch == "prograde"
    t = scan.t_launch_tdb[sel]
    tot = scan.total_km_s[sel]
    good = np.isfinite(tot) & (tot < THRESHOLD)
    runs = _windows_from_runs(good)
    windows = []
    for j, (i0, i1) in enumerate(runs):
        k = i0 + int(np.nanargmin(tot[i0:i1 + 1]))
        tof = 4.9 + 0.1 * j
        tp = t[k] + tof * 86400.0
        perigee = PerigeeArrival(
            epoch=from_tdb_seconds(tp), time_of_flight=tof * u.day, radius=R_TARGET * u.km,
            altitude=400.0 * u.km, speed=10.75 * u.km / u.s, inclination=28.49 * u.deg,
            raan=(355.0 - 10 * j) * u.deg, argument_of_perigee=54.3 * u.deg,
            eccentricity=0.9668, position=np.array([4349.9, 4486.5, 2625.4]) * u.km,
            velocity=np.array([-8.236, 6.233, 2.994]) * u.km / u.s)
        perigee_burn = {"insertion": 3.0860 + 0.01 * j, "plane_change": 0.0,
                        "circularization": 0.0, "margin": 0.0017}
        mcc = {"mcc": 0.012 * (j + 1), "insertion": 3.0860, "margin": 0.0017}
        high = {"insertion": 0.2594, "plane_change": 0.0057, "circularization": 2.8266,
                "margin": 0.0017}
        chosen = "mid_course_correction" if j % 2 else "perigee_burn"
        parts = mcc if j % 2 else perigee_burn
        others = [("perigee_burn", perigee_burn), ("mid_course_correction", mcc),
                  ("high_ellipse", high)]
        best = _budget(chosen, parts)
        budget = type(best)(**{**best.__dict__, "alternatives": tuple(
            _budget(s, p) for s, p in others if s != chosen)})
        mid = MidCourseCorrection(
            epoch=from_tdb_seconds(t[k] + 2.2 * 86400.0), time_after_launch=2.2 * u.day,
            delta_v=np.array([1e-3, -2e-3, 3e-3]) * u.km / u.s,
            magnitude=float(np.linalg.norm([1e-3, -2e-3, 3e-3])) * u.km / u.s,
            converged=True, iterations=3)
        windows.append(LaunchWindow(
            open=from_tdb_seconds(t[i0]).utc, close=from_tdb_seconds(t[i1]).utc,
            best_epoch=from_tdb_seconds(t[k]).utc, branch="prograde",
            speed=float(scan.speed_km_s[sel][k]) * u.km / u.s, time_of_flight=tof * u.day,
            perigee=perigee, budget=budget, mid_course=mid,
            energy_per_shot=0.5 * 1000.0 * (scan.speed_km_s[sel][k] * 1e3) ** 2 * u.J,
            optimizer={"converged": True, "message": "Solution found.", "nfev": 7}))
    inputs = {
        "site": {"name": "Oceanus Procellarum (equatorial track)", "lat_deg": 0.0,
                 "lon_deg": -55.0, "azimuth_deg": 90.0, "elevation_deg": 0.0},
        "target": "circular 400 km: 400 km circular, i = 28.500 deg, any RAAN",
        "start_utc": "2027-01-01T00:00:00.000", "span_days": 28.0, "step_minutes": 60.0,
        "threshold_km_s": THRESHOLD, "speed_range_km_s": [2.4, 2.65],
        "model": "ephemeris (DE421: Earth, Moon, Sun, Earth J2, lunar J2/C22)", "rtol": 1e-10,
        "branches": ["prograde", "retrograde"],
    }
    return Plan(windows=tuple(windows), scan=scan, mission=None, inputs=inputs,
                version="0.1.0", message="")


def _plane_axes():
    """Perifocal-like axes of the Moon's (and the transfer's) plane in ICRF."""
    ci, si, co, so = np.cos(INCLINATION), np.sin(INCLINATION), np.cos(RAAN), np.sin(RAAN)
    p = np.array([co, so, 0.0])
    q = np.array([-so * ci, co * ci, si])
    return p, q


def _trajectory(launch_tdb: float):
    """The two-body transfer from the Moon's distance to the target perigee (analytic)."""
    import astropy.units as u

    from massdriver.timescales import from_tdb_seconds
    from massdriver.trajectory import Trajectory

    p_ax, q_ax = _plane_axes()
    r_apo = R_MOON_ORBIT - 1737.4
    a = 0.5 * (r_apo + R_TARGET)
    e = (r_apo - R_TARGET) / (r_apo + R_TARGET)
    n = np.sqrt(GM_EARTH / a**3)
    ecc_anom = np.linspace(np.pi, 2.0 * np.pi, 140)
    t = (ecc_anom - e * np.sin(ecc_anom) - np.pi) / n           # s after apogee (launch)
    nu = 2.0 * np.arctan2(np.sqrt(1 + e) * np.sin(ecc_anom / 2),
                          np.sqrt(1 - e) * np.cos(ecc_anom / 2))
    p = a * (1 - e**2)
    r = p / (1 + e * np.cos(nu))
    # perigee direction: opposite the Moon at launch (Moon at angle 120 deg in its plane)
    phase0 = np.radians(120.0)
    moon_dir0 = np.cos(phase0) * p_ax + np.sin(phase0) * q_ax
    x_ax = -moon_dir0
    y_ax = np.cross(np.cross(p_ax, q_ax), x_ax)
    pos = (r * np.cos(nu))[:, None] * x_ax + (r * np.sin(nu))[:, None] * y_ax
    vel = np.sqrt(GM_EARTH / p) * ((-np.sin(nu))[:, None] * x_ax
                                   + (e + np.cos(nu))[:, None] * y_ax)
    phase = phase0 + 2 * np.pi * t / (MOON_PERIOD_D * 86400.0)
    moon = R_MOON_ORBIT * (np.cos(phase)[:, None] * p_ax + np.sin(phase)[:, None] * q_ax)
    times = from_tdb_seconds(launch_tdb + t)
    return Trajectory(model="ephemeris", status="perigee", launch_epoch=times[0],
                      exit_speed=2.5 * u.km / u.s, times=times, positions=pos * u.km,
                      velocities=vel * u.km / u.s, moon_positions=moon * u.km)


def write_synthetic_run(directory: Path, *, trajectory: bool = True) -> dict:
    """Write the files of a solve output directory; return the plan's dict."""
    directory.mkdir(parents=True, exist_ok=True)
    scan = _scan()
    plan = _plan(scan)
    (directory / "plan.json").write_text(json.dumps(plan.to_dict(), indent=2, allow_nan=False))
    plan.to_table().write(directory / "windows.ecsv", format="ascii.ecsv", overwrite=True)
    scan.to_table().write(directory / "scan.ecsv", format="ascii.ecsv", overwrite=True)
    if trajectory and plan.best is not None:
        launch = float((plan.best.best_epoch.tdb.jd1 - 2451545.0) * 86400.0
                       + plan.best.best_epoch.tdb.jd2 * 86400.0)
        _trajectory(launch).to_table().write(directory / "best_trajectory.ecsv",
                                             format="ascii.ecsv", overwrite=True)
    shutil.copy(EXAMPLE, directory / "mission.toml")
    return plan.to_dict()


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("run") / "leo"
    write_synthetic_run(d)
    return d


@pytest.fixture(scope="module")
def report_dir(run_dir, tmp_path_factory) -> Path:
    from massdriver import report

    d = tmp_path_factory.mktemp("report") / "leo"
    shutil.copytree(run_dir, d)
    report.write(d, formats=("png", "pdf"))
    return d


@pytest.fixture(scope="module")
def inputs(run_dir):
    from massdriver.report import read_results

    return read_results(run_dir)


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (raises on a non-PNG)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


# ------------------------------------------------------------------------------------------------
# the synthetic run itself is sane (so the tests below test the report, not the fixture)
# ------------------------------------------------------------------------------------------------
def test_synthetic_run_is_realistic(run_dir, inputs):
    plan = inputs.plan
    # under 3.3 km/s: from the scan start to day 0.5, days 7.4-12 (cut by the unsolved gap)
    # and days 21.1-27.9
    assert len(plan["windows"]) == 3
    assert len(inputs.scan) == 2 * (28 * 24 + 1)
    assert set(np.asarray(inputs.scan["branch"], dtype=str)) == {"prograde", "retrograde"}
    traj = inputs.trajectory
    r = np.column_stack([traj[c].to_value("km") for c in ("x", "y", "z")])
    v = np.column_stack([traj[c].to_value("km/s") for c in ("vx", "vy", "vz")])
    # the analytic transfer: energy conserved, perigee at the target radius, ~5 days of flight
    energy = 0.5 * np.sum(v**2, axis=1) - GM_EARTH / np.linalg.norm(r, axis=1)
    assert np.ptp(energy) < 1e-9 * np.abs(energy).max()
    assert np.linalg.norm(r[-1]) == pytest.approx(R_TARGET, abs=1e-6)
    tof = (traj["epoch_tdb"][-1] - traj["epoch_tdb"][0]).to_value("day")
    assert 4.9 < tof < 5.1
    assert inputs.target_radius_km == pytest.approx(R_TARGET)


# ------------------------------------------------------------------------------------------------
# files and page
# ------------------------------------------------------------------------------------------------
def test_write_creates_every_file(report_dir):
    from massdriver.report import FIGURES, REPORT_HTML

    for stem in FIGURES:
        png = (report_dir / f"{stem}.png").read_bytes()
        width, height = _png_size(png)
        assert width > 300 and height > 200, stem
        pdf = (report_dir / f"{stem}.pdf").read_bytes()
        assert pdf.startswith(b"%PDF-") and len(pdf) > 5000, stem
    assert (report_dir / REPORT_HTML).stat().st_size > 50_000


def test_page_is_self_contained_with_embedded_images(report_dir):
    page = (report_dir / "report.html").read_text(encoding="utf-8")
    images = re.findall(r"<img src='data:image/png;base64,([A-Za-z0-9+/=]+)'", page)
    assert len(images) == 4 == page.count("<img ")
    for encoded, stem in zip(images, ("window_chart", "speed_map", "budget", "trajectory"),
                             strict=True):
        data = base64.b64decode(encoded, validate=True)
        assert data == (report_dir / f"{stem}.png").read_bytes()
    lowered = page.lower()
    for forbidden in ("<script", "<link", "http://", "https://", "@import", "url("):
        assert forbidden not in lowered, forbidden
    assert page.startswith("<!DOCTYPE html>") and "<meta charset='utf-8'>" in page


def test_page_content(report_dir, inputs):
    page = (report_dir / "report.html").read_text(encoding="utf-8")
    plan = inputs.plan
    best = inputs.best_window
    assert "LEO 400 km from Oceanus Procellarum" in page              # name from mission.toml
    assert "3 launch windows under 3.3 km/s" in page
    assert best["best_utc"][:19].replace("T", " ") in page
    assert f"{best['budget']['total_km_s']:.4f}" in page
    # one windows-table row per window, the best highlighted once
    table = page.split("<h2>Launch windows</h2>")[1].split("</table>")[0]
    assert table.count("<tr") == 1 + len(plan["windows"])
    assert page.count("<tr class='best'>") == 2      # the window's row and the chosen budget
    assert "perigee burn (chosen)" in page or "mid course correction (chosen)" in page
    for alt in best["budget"]["alternatives"]:
        assert alt["strategy"].replace("_", " ") in page
    assert "no root in speed range" in page                           # scan status counts
    assert "porkchop" in page and "not compute" in page               # the caption says what
    assert "name = &quot;LEO 400 km from Oceanus Procellarum&quot;" in page   # mission file


def test_text_from_inputs_is_escaped(tmp_path, run_dir):
    from massdriver import report

    d = tmp_path / "run"
    shutil.copytree(run_dir, d)
    plan = json.loads((d / "plan.json").read_text())
    plan["inputs"]["site"]["name"] = "<script>alert('x')</script> & co"
    (d / "plan.json").write_text(json.dumps(plan))
    (d / "mission.toml").unlink()
    page = report.write(d).read_text()
    assert "<script" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; co" in page
    assert "Files not found: mission.toml" in page


def test_overwrite_needs_force(tmp_path, run_dir):
    from massdriver import report
    from massdriver.errors import OutputExistsError

    d = tmp_path / "run"
    shutil.copytree(run_dir, d)
    (d / "report.html").write_text("my own notes")
    with pytest.raises(OutputExistsError, match="report.html; pass --force"):
        report.write(d)
    assert (d / "report.html").read_text() == "my own notes"
    assert not (d / "window_chart.png").exists()          # nothing written before the check
    path = report.write(d, force=True)
    assert path == d / "report.html" and "my own notes" not in path.read_text()
    # a PDF-only request still embeds PNG images in the page, without PNG files
    d2 = tmp_path / "pdf_only"
    shutil.copytree(run_dir, d2)
    page = report.write(d2, formats=("pdf",)).read_text()
    assert page.count("data:image/png;base64,") == 4
    assert not list(d2.glob("*.png")) and len(list(d2.glob("*.pdf"))) == 4


def test_errors_name_the_problem(tmp_path, run_dir):
    from massdriver import report
    from massdriver.errors import InputError

    with pytest.raises(InputError, match="is not a directory"):
        report.write(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="has no plan.json: run 'massdriver solve"):
        report.write(tmp_path / "empty")
    d = tmp_path / "run"
    shutil.copytree(run_dir, d)
    with pytest.raises(InputError, match="report format 'svg'"):
        report.write(d, formats=("svg",))
    (d / "scan.ecsv").write_text("not an ecsv file\n")
    with pytest.raises(InputError, match="scan.ecsv: cannot read it as ECSV"):
        report.write(d)
    (d / "plan.json").write_text("{")
    with pytest.raises(InputError, match="plan.json: cannot read it as JSON"):
        report.write(d)


def test_no_window_and_no_trajectory(tmp_path, run_dir):
    """A plan without windows (and so without best_trajectory.ecsv) still gets a report."""
    from massdriver import report

    d = tmp_path / "run"
    shutil.copytree(run_dir, d)
    (d / "best_trajectory.ecsv").unlink()
    plan = json.loads((d / "plan.json").read_text())
    plan["windows"] = []
    plan["inputs"]["threshold_km_s"] = 3.0
    plan["message"] = "no window under 3.000 km/s: the lowest total on the grid is 3.12 km/s"
    (d / "plan.json").write_text(json.dumps(plan))
    (d / "windows.ecsv").unlink()
    page = report.write(d).read_text()
    assert "No launch window under 3 km/s. no window under 3.000 km/s" in page
    assert page.count("<img ") == 3
    assert "No trajectory figure" in page
    assert not (d / "trajectory.png").exists()


def test_scan_without_any_solution(inputs):
    """Every epoch unsolved: the figures still draw, on the scan's own time axis."""
    import matplotlib.dates as mdates

    from massdriver.report import plots

    scan = inputs.scan.copy()
    for name in ("speed", "total", "insertion", "plane_change", "circularization"):
        scan[name] = scan[name] * np.nan
    with plots.style():
        fig = plots.plot_speed_map(scan, [], THRESHOLD)
        chart = plots.plot_window_chart(scan, [], THRESHOLD)
    ax = fig.axes[0]
    first, last = (mdates.date2num(t.datetime) for t in scan["launch_utc"][[0, -1]])
    lo, hi = ax.get_xlim()
    assert lo < first < last < hi and (hi - lo) < 1.05 * (last - first)
    assert any(t.get_text() == "no solved shot in the scan" for t in ax.texts)
    assert chart.axes[0].get_title() == "prograde arrival: 0 of 673 epochs solved, 0 windows"


# ------------------------------------------------------------------------------------------------
# what the figures show (artists checked against the data, not only pixels)
# ------------------------------------------------------------------------------------------------
def _labels_have_units(fig) -> None:
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>":
            assert "[km/s]" in ax.get_ylabel()
            continue
        for text in (ax.get_xlabel(), ax.get_ylabel()):
            if text:
                assert re.search(r"\[[^\]]+\]|\(UTC\)", text), text


def test_window_chart_shows_the_scan(inputs):
    import matplotlib.dates as mdates
    from astropy.time import Time
    from matplotlib.patches import Polygon, Rectangle

    from massdriver.report import plots

    windows = inputs.plan["windows"]
    with plots.style():
        fig = plots.plot_window_chart(inputs.scan, windows, THRESHOLD)
    ax_pro, ax_retro = fig.axes
    _labels_have_units(fig)
    assert ax_pro.get_ylabel() == "delta-v [km/s]"
    # 673 epochs less 48 (days 12-14, no root) and 5 (days 14-14.2, not converged)
    assert ax_pro.get_title() == "prograde arrival: 620 of 673 epochs solved, 3 windows"
    # shaded spans are the windows, open to close
    spans = [p for p in ax_pro.patches if isinstance(p, (Polygon, Rectangle))]
    extents = sorted((float(np.min(p.get_xy()[:, 0])), float(np.max(p.get_xy()[:, 0])))
                     if isinstance(p, Polygon) else (p.get_x(), p.get_x() + p.get_width())
                     for p in spans)
    expected = sorted((float(mdates.date2num(Time(w["open_utc"]).datetime)),
                       float(mdates.date2num(Time(w["close_utc"]).datetime))) for w in windows)
    assert np.allclose(extents, expected, atol=1e-6)
    assert not [p for p in ax_retro.patches if isinstance(p, (Polygon, Rectangle))]
    # the threshold line and the total curve
    lines = {ln.get_label(): ln for ln in ax_pro.get_lines()}
    assert np.allclose(lines["threshold 3.3 km/s"].get_ydata(), THRESHOLD)
    sel = np.asarray(inputs.scan["branch"], dtype=str) == "prograde"
    total = inputs.scan["total"][sel].to_value("km/s")
    y = np.asarray(lines["total (cheapest strategy)"].get_ydata(), dtype=float)
    assert np.array_equal(np.isnan(y), np.isnan(total))
    assert np.allclose(y[np.isfinite(y)], total[np.isfinite(total)], rtol=0, atol=1e-12)
    # the stacked parts add up to the total: the top band's upper edge reaches the total
    verts = np.vstack([p.vertices for p in ax_pro.collections[2].get_paths()])
    assert verts[:, 1].max() == pytest.approx(np.nanmax(total), abs=1e-12)
    best = [_window_best_total(w) for w in windows]
    assert np.allclose(lines["best epoch (final budget)"].get_ydata(), best)
    # unsolved epochs are ticked
    ticks = lines["no exit speed solution"].get_xdata()
    assert len(ticks) == int(np.count_nonzero(~np.isfinite(total)))


def _window_best_total(w: dict) -> float:
    return float(w["budget"]["total_km_s"])


def test_speed_map_points_are_the_solved_shots(inputs):
    from massdriver.report import plots

    with plots.style():
        fig = plots.plot_speed_map(inputs.scan, inputs.plan["windows"], THRESHOLD)
    _labels_have_units(fig)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "exit speed [km/s]"
    scan = inputs.scan
    branch = np.asarray(scan["branch"], dtype=str)
    for coll, name in zip(ax.collections, ("prograde", "retrograde"), strict=True):
        sel = (branch == name) & np.isfinite(scan["total"].to_value("km/s"))
        offsets = np.asarray(coll.get_offsets())
        assert offsets.shape == (int(np.count_nonzero(sel)), 2)
        assert np.allclose(offsets[:, 1], scan["speed"][sel].to_value("km/s"), atol=1e-12)
        assert np.allclose(coll.get_array(), scan["total"][sel].to_value("km/s"), atol=1e-12)
    # the colour scale saturates above the threshold (threshold inside the bar)
    norm = ax.collections[0].norm
    assert norm.vmin < THRESHOLD < norm.vmax


def test_budget_bars_add_up(inputs):
    from massdriver.report import plots

    windows = inputs.plan["windows"]
    with plots.style():
        fig = plots.plot_budget_bars(windows, THRESHOLD)
    _labels_have_units(fig)
    ax, ax_log = fig.axes
    n = len(windows)
    bars = ax.patches
    assert len(bars) == 5 * n
    tops = np.zeros(n)
    for k, bar in enumerate(bars):
        tops[k % n] = max(tops[k % n], bar.get_y() + bar.get_height())
    totals = [float(w["budget"]["total_km_s"]) for w in windows]
    assert np.allclose(tops, totals, rtol=0, atol=1e-12)
    assert ax_log.get_yscale() == "log" and ax_log.get_ylabel().startswith("delta-v [m/s]")
    mcc = [float(w["budget"]["mcc_km_s"]) * 1000 for w in windows]
    heights = [b.get_height() for b in ax_log.patches[:n]]                 # first part: MCC
    assert np.allclose(heights, [m if m >= 1e-3 else 0 for m in mcc])


def test_hermite_path_follows_the_conic(inputs):
    """Points filled in between the stored steps lie on the analytic transfer ellipse."""
    from massdriver.report.plots import hermite_path

    traj = inputs.trajectory
    r = np.column_stack([traj[c].to_value("km") for c in ("x", "y", "z")])
    v = np.column_stack([traj[c].to_value("km/s") for c in ("vx", "vy", "vz")])
    t = (traj["epoch_tdb"] - traj["epoch_tdb"][0]).to_value("s")
    t_d, r_d = hermite_path(t, r, v, per_step=8)
    assert np.array_equal(t_d[::8], t) and np.array_equal(r_d[::8], r)
    # exact positions at t_d: Kepler's equation from apogee (E = pi at t = 0)
    r_apo = R_MOON_ORBIT - 1737.4
    a = 0.5 * (r_apo + R_TARGET)
    e = (r_apo - R_TARGET) / (r_apo + R_TARGET)
    mean = np.pi + np.sqrt(GM_EARTH / a**3) * t_d
    ecc = mean.copy()
    for _ in range(50):
        ecc -= (ecc - e * np.sin(ecc) - mean) / (1 - e * np.cos(ecc))
    radius = a * (1 - e * np.cos(ecc))
    err = np.abs(np.linalg.norm(r_d, axis=1) - radius)
    assert np.max(err / radius) < 1e-4          # measured 2.2e-6 (straight chords: 1.8e-3)
    # straight chords between the stored steps would be much worse near the perigee
    chords = np.linalg.norm(r[:-1] + 0.5 * (r[1:] - r[:-1]), axis=1)
    exact_mid = radius[4::8]
    assert np.max(np.abs(chords - exact_mid) / exact_mid) > 10 * np.max(err / radius)


def test_trajectory_views_mark_the_right_points(inputs):
    from massdriver.report import plots

    traj = inputs.trajectory
    with plots.style():
        fig = plots.plot_trajectory_views(traj, target_radius_km=R_TARGET, title="t")
    _labels_have_units(fig)
    ax_i, ax_r, ax_z, ax_3 = fig.axes
    r = np.column_stack([traj[c].to_value("km") for c in ("x", "y", "z")])
    k = plots.perigee_index(r)
    assert k == len(r) - 1                                      # the coast ends at perigee
    lines = {ln.get_label(): ln for ln in ax_i.get_lines()}
    peri = next(v for key, v in lines.items() if key.startswith("perigee"))
    assert np.allclose([peri.get_xdata()[0], peri.get_ydata()[0]], r[k, :2] / 1000.0)
    assert np.allclose([lines["launch point"].get_xdata()[0]], r[0, 0] / 1000.0)
    # rotating frame: the Moon on the +x axis at its distance, the payload's distance kept
    rot = {ln.get_label(): ln for ln in ax_r.get_lines()}
    moon_xy = np.array([rot["Moon at launch"].get_xdata()[0], rot["Moon at launch"].get_ydata()[0]])
    assert moon_xy[1] == pytest.approx(0.0, abs=1e-9)
    assert moon_xy[0] == pytest.approx(R_MOON_ORBIT / 1000.0, rel=1e-12)
    payload = rot["payload"]
    # the transfer lies in the Moon's plane, so the in-plane rotating distance is the radius;
    # the line passes through every stored state (8 interpolated points per step)
    dist = np.hypot(payload.get_xdata(), payload.get_ydata()) * 1000.0
    assert dist.size == 8 * (len(r) - 1) + 1
    assert np.allclose(dist[::8], np.linalg.norm(r, axis=1), rtol=1e-9)
    # the target orbit: a circle of the target radius in the arrival plane (3D line)
    x, y, z = ax_3.get_lines()[-1].get_data_3d()
    radius = np.sqrt(np.asarray(x) ** 2 + np.asarray(y) ** 2 + np.asarray(z) ** 2) * 1000.0
    assert np.allclose(radius, R_TARGET, rtol=1e-12)
    v = np.column_stack([traj[c].to_value("km/s") for c in ("vx", "vy", "vz")])
    normal = np.cross(r[k], v[k])
    pts = np.column_stack([x, y, z])
    assert np.allclose(pts @ normal / np.linalg.norm(normal), 0.0, atol=1e-9)
    assert ax_z.get_xlabel() == "x [1000 km]" and ax_3.get_zlabel() == "z [1000 km]"


# ------------------------------------------------------------------------------------------------
# baseline images
# ------------------------------------------------------------------------------------------------
def _decode_png(data: bytes) -> np.ndarray:
    """RGBA pixels (uint8) of a PNG, via matplotlib's reader (Pillow)."""
    import io

    from matplotlib.image import imread

    img = imread(io.BytesIO(data), format="png")
    img = np.asarray(img)
    if img.dtype != np.uint8:
        img = np.round(img * 255.0).astype(np.uint8)
    return img


def rms_difference(a: bytes, b: bytes) -> float:
    """Root-mean-square difference of two PNG images, 0-255 scale (inf if sizes differ)."""
    x = _decode_png(a).astype(float)
    y = _decode_png(b).astype(float)
    if x.shape != y.shape:
        return float("inf")
    return float(np.sqrt(np.mean((x - y) ** 2)))


def _figure_pngs(inputs, threshold: float = THRESHOLD) -> dict[str, bytes]:
    from massdriver.report import plots

    windows = inputs.plan["windows"]
    with plots.style():
        figs = {
            "window_chart": plots.plot_window_chart(inputs.scan, windows, threshold),
            "speed_map": plots.plot_speed_map(inputs.scan, windows, threshold),
            "budget": plots.plot_budget_bars(windows, threshold),
            "trajectory": plots.plot_trajectory_views(inputs.trajectory,
                                                      target_radius_km=R_TARGET,
                                                      title="synthetic transfer"),
        }
        return {k: plots.png_bytes(f, dpi=BASELINE_DPI) for k, f in figs.items()}


def test_report_figures_and_titles(inputs):
    """The figures ``write`` draws, each with its own title (not another figure's)."""
    from massdriver.report import figures, plots

    with plots.style():
        figs = figures(inputs)
    assert list(figs) == ["window_chart", "speed_map", "budget", "trajectory"]
    best = inputs.best_window
    title = figs["trajectory"].get_suptitle()
    assert title.startswith(f"Best window: launch {best['best_utc'][:16]} UTC")
    assert f"{best['speed_km_s']:.4f} km/s" in title
    assert figs["window_chart"].get_suptitle().startswith("Delta-v of the solved arrival")


def test_png_is_deterministic_and_rms_detects_changes(inputs):
    a = _figure_pngs(inputs)
    b = _figure_pngs(inputs)
    changed = _figure_pngs(inputs, threshold=3.45)
    for name in a:
        assert rms_difference(a[name], b[name]) == 0.0, name
    # a 0.15 km/s threshold change is far outside the tolerance in the threshold-bearing figures
    for name in ("window_chart", "speed_map", "budget"):
        assert rms_difference(a[name], changed[name]) > 3 * BASELINE_TOLERANCE, name


def test_png_is_drawn_once_with_the_pixels_of_savefig(inputs, tmp_path):
    """``save_figure`` and ``png_bytes`` draw a figure once: ``savefig`` on a figure with a
    layout engine draws it twice (once without output to lay it out, once into the image),
    which was a third of the report's time. The bytes are those of ``savefig``, saving after
    saving too (a figure with a colorbar is laid out a little differently the second time,
    by both), and the figure keeps its engine and its dpi. The PNG is compressed at zlib
    level 3 (faster than Pillow's default, for a few percent larger files)."""
    import io

    from massdriver.report import plots

    def savefig(fig) -> bytes:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", metadata={"Software": None},
                    pil_kwargs={"compress_level": 3})
        return buf.getvalue()

    windows = inputs.plan["windows"]
    draws = []
    with plots.style():
        for make in (lambda: plots.plot_budget_bars(windows, THRESHOLD),       # outside legend
                     lambda: plots.plot_speed_map(inputs.scan, windows, THRESHOLD)):  # colorbar
            reference = make()
            draws.clear()
            reference.canvas.mpl_connect("draw_event", draws.append)
            expected = [savefig(reference), savefig(reference)]
            assert len(draws) == 4                      # matplotlib's own: two draws a save
            fig = make()
            engine, dpi = fig.get_layout_engine(), fig.dpi
            draws.clear()
            fig.canvas.mpl_connect("draw_event", draws.append)
            (path,) = plots.save_figure(fig, tmp_path / "once", ("png",))
            assert len(draws) == 1
            assert fig.get_layout_engine() is engine and fig.dpi == dpi
            assert [path.read_bytes(), plots.png_bytes(fig)] == expected
            assert len(draws) == 2


def _mpl_release() -> str:
    import matplotlib

    return ".".join(matplotlib.__version__.split(".")[:2])


def test_figures_match_baselines(inputs):
    pngs = _figure_pngs(inputs)
    if os.environ.get("MASSDRIVER_UPDATE_BASELINES"):
        BASELINE_DIR.mkdir(exist_ok=True)
        for name, data in pngs.items():
            (BASELINE_DIR / f"report_{name}.png").write_bytes(data)
        BASELINE_META.write_text(json.dumps({"matplotlib": _mpl_release(),
                                             "dpi": BASELINE_DPI}) + "\n")
    made_with = json.loads(BASELINE_META.read_text())["matplotlib"]
    # the test extra pins matplotlib to the baselines' release: another release fails here
    # (it never skips) with the way to regenerate them
    assert made_with == _mpl_release(), (
        f"baselines drawn with matplotlib {made_with}, running {_mpl_release()}: install the "
        'test extra (pip install ".[test]") or regenerate them with '
        "MASSDRIVER_UPDATE_BASELINES=1 after checking the figures by eye")
    failures = []
    for name, data in pngs.items():
        path = BASELINE_DIR / f"report_{name}.png"
        assert path.exists(), (f"missing baseline {path}; create it with "
                               "MASSDRIVER_UPDATE_BASELINES=1 pytest tests/test_report.py")
        rms = rms_difference(path.read_bytes(), data)
        if not rms <= BASELINE_TOLERANCE:
            failures.append(f"{name}: RMS {rms:.3f} > {BASELINE_TOLERANCE}")
    assert not failures, "; ".join(failures)


# ------------------------------------------------------------------------------------------------
# command line
# ------------------------------------------------------------------------------------------------
def test_cli_report(tmp_path, run_dir, capsys):
    from massdriver.cli import main

    d = tmp_path / "run"
    shutil.copytree(run_dir, d)
    assert main(["report", str(d)]) == 0
    assert capsys.readouterr().out.strip() == str(d / "report.html")
    assert main(["report", str(d)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("massdriver report: error: ") and "pass --force" in err
    assert main(["report", str(d), "--force", "--pdf", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["report"] == str(d / "report.html")
    assert sorted(out["files"]) == sorted(
        [f"{s}.{f}" for s in ("window_chart", "speed_map", "budget", "trajectory")
         for f in ("png", "pdf")] + ["report.html"])
    assert main(["report", str(tmp_path / "nope")]) == 2
    assert "is not a directory" in capsys.readouterr().err


def test_report_package_imports_nothing_heavy():
    code = ("import sys, massdriver.report, massdriver.cli.report;"
            "print(','.join(m for m in ('matplotlib','astropy','numba','scipy') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == ""


# ------------------------------------------------------------------------------------------------
# headless browser: every image decodes in a real renderer
# ------------------------------------------------------------------------------------------------
def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


_PROBE = """<script>
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var sizes = imgs.map(function (i) { return i.naturalWidth + 'x' + i.naturalHeight; });
  var out = document.createElement('pre');
  out.id = 'probe';
  out.textContent = 'IMAGES ' + imgs.length + ' ' + sizes.join(' ') + ' END';
  document.body.appendChild(out);
});
</script>"""


def test_images_render_in_headless_chromium(report_dir, tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("no chromium on PATH or at /usr/bin/chromium (Debian: apt-get install -y "
                    "chromium); the headless-browser check of report.html was not run")
    page = (report_dir / "report.html").read_text(encoding="utf-8")
    # the probe goes into a copy: the report itself stays script-free
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu",
           "--disable-background-networking", "--disable-extensions", "--no-first-run",
           f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=10000",
           "--dump-dom", probe.as_uri()]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail("chromium --headless --dump-dom did not finish in 120 s")
    match = re.search(r"IMAGES (\d+) ([0-9x ]*) END", proc.stdout)
    assert match, f"probe result missing from the DOM (exit {proc.returncode}): " \
                  f"{proc.stderr[-2000:]}"
    assert int(match.group(1)) == 4
    for size, stem in zip(match.group(2).split(), ("window_chart", "speed_map", "budget",
                                                   "trajectory"), strict=True):
        width, height = (int(s) for s in size.split("x"))
        assert (width, height) == _png_size((report_dir / f"{stem}.png").read_bytes())
        assert width > 0 and height > 0

