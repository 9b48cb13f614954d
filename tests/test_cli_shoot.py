"""``massdriver shoot``: JSON schema, human summary, input errors (one line, exit 2), --plot."""

from __future__ import annotations

import json
import math

import pytest

from massdriver.cli import main

SHOT = ["shoot", "--lat", "0", "--lon", "-55", "--azimuth", "90", "--elevation", "0",
        "--speed", "2.501711", "--epoch", "2027-01-01T00:00"]
STATUSES = {"perigee", "moon_impact", "earth_impact", "atmosphere", "escape", "timeout"}


def _run_json(capsys, argv):
    assert main(argv) == 0
    captured = capsys.readouterr()
    return json.loads(captured.out)


def _all_numbers_finite(obj, path="$"):
    if isinstance(obj, dict):
        for k, v in obj.items():
            _all_numbers_finite(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            _all_numbers_finite(v, f"{path}[{i}]")
    elif isinstance(obj, float):
        assert math.isfinite(obj), path
    else:
        assert obj is None or isinstance(obj, (str, int, bool)), f"{path}: {type(obj)}"


@pytest.fixture(scope="module")
def ephemeris_json():
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main([*SHOT, "--json"]) == 0
    return json.loads(buffer.getvalue())


def test_json_schema_ephemeris(ephemeris_json):
    d = ephemeris_json
    for key in ("status", "model", "epoch_tdb", "initial_state", "events", "perigee", "nfev",
                "steps", "site", "rtol", "days"):
        assert key in d, key
    assert d["status"] == "perigee" and d["status"] in STATUSES
    assert d["model"] == "ephemeris"
    assert d["epoch_tdb"].startswith("2027-01-01T00:01:09")         # UTC + 69.18 s
    state = d["initial_state"]
    assert "ICRF" in state["frame"]
    assert len(state["position_km"]) == 3 and len(state["velocity_km_s"]) == 3
    r = math.dist(state["position_km"], (0.0, 0.0, 0.0))
    assert 350_000.0 < r < 410_000.0                                # at the Moon
    for event in d["events"]:
        assert set(event) >= {"kind", "epoch_tdb", "time_of_flight_days", "radius_km"}
    p = d["perigee"]
    for key in ("altitude_km", "radius_km", "epoch_tdb", "time_of_flight_days", "speed_km_s",
                "inclination_deg", "raan_deg"):
        assert isinstance(p[key], (float, str)), key
    assert 0.0 < p["altitude_km"] < 2000.0
    assert 3.0 < p["time_of_flight_days"] < 5.0                      # SP-413: 3-5 days
    assert p["radius_km"] == pytest.approx(p["altitude_km"] + 6378.1363, abs=1e-6)
    assert isinstance(d["nfev"], int) and d["nfev"] > 0
    assert isinstance(d["steps"], int) and d["steps"] > 0
    assert d["site"] == {"lat_deg": 0.0, "lon_deg": -55.0, "height_km": 0.0, "azimuth_deg": 90.0,
                         "elevation_deg": 0.0, "frame": "PA"}
    _all_numbers_finite(d)


def test_json_schema_cr3bp(capsys):
    d = _run_json(capsys, [*SHOT, "--model", "cr3bp", "--json"])
    assert d["model"] == "cr3bp"
    # the preview of the same shot also reaches its perigee (4.49 d, 1270 km: test_trajectory)
    assert d["status"] == "perigee"
    cr3bp = d["initial_state"]["cr3bp"]
    assert cr3bp["mu"] == pytest.approx(1.215058560962404e-2, rel=1e-15)
    assert cr3bp["length_unit_km"] == 389703.2648292776       # JPL three-body catalogue
    assert cr3bp["time_unit_s"] == 382981.2891290545
    assert len(cr3bp["initial_state_nd"]) == 6
    assert "rotating" in cr3bp["frame"]
    _all_numbers_finite(d)


def test_moon_impact_json_has_no_perigee(capsys):
    d = _run_json(capsys, ["shoot", "--site", "0 -55", "--elevation", "20", "--speed",
                           "2300 m/s", "--epoch", "2027-01-01T00:00", "--json"])
    assert d["status"] == "moon_impact"
    assert d["perigee"] is None
    assert d["events"][-1]["kind"] == "moon_impact"
    _all_numbers_finite(d)


def test_site_and_speed_with_units_equal_plain_options(capsys, ephemeris_json):
    """--site "LAT LON" and --speed 2.501711km/s are the same shot as --lat/--lon and km/s."""
    d = _run_json(capsys, ["shoot", "--site", "0 -55", "--speed", "2.501711km/s", "--epoch",
                           "2027-01-01T00:00", "--json"])
    assert d["perigee"]["epoch_tdb"] == ephemeris_json["perigee"]["epoch_tdb"]
    assert d["perigee"]["altitude_km"] == ephemeris_json["perigee"]["altitude_km"]


def test_design_example_site_is_lat_lon(capsys):
    """DESIGN.md's --site "-60 0": latitude -60 deg, longitude 0 (documented order)."""
    d = _run_json(capsys, ["shoot", "--site", "-60 0", "--azimuth", "90", "--speed", "2.50km/s",
                           "--epoch", "2027-03-01T00:00", "--days", "0.5", "--json"])
    assert d["site"]["lat_deg"] == -60.0 and d["site"]["lon_deg"] == 0.0
    # 2.50 km/s is above the lunar escape speed (2.38 km/s) and half a day is far too short to
    # reach the Earth (3-5 days, SP-413): the coast ends at the time limit
    assert d["status"] == "timeout"


def test_human_summary(capsys):
    assert main(SHOT) == 0
    out = capsys.readouterr().out
    assert "status: perigee" in out
    assert "altitude 400.0" in out


BAD = [
    (["--lat", "95", "--lon", "0"], "--lat"),
    (["--lat", "0", "--lon", "0", "--elevation", "-5"], "--elevation"),
    (["--site", "0"], "--site"),
    (["--site", "0 0", "--lat", "1"], "--site"),
    (["--lat", "0"], "site"),
    (["--lat", "0", "--lon", "0", "--speed", "-2.5"], "--speed"),
    (["--lat", "0", "--lon", "0", "--speed", "2.5 deg"], "--speed"),
    (["--lat", "0", "--lon", "0", "--speed", "fast"], "--speed"),
    (["--lat", "0", "--lon", "0", "--epoch", "1850-01-01T00:00"], "--epoch"),
    (["--lat", "0", "--lon", "0", "--epoch", "2070-01-01T00:00"], "--epoch"),
    (["--lat", "0", "--lon", "0", "--epoch", "2050-12-30T00:00"], "--epoch"),
    (["--lat", "0", "--lon", "0", "--epoch", "next tuesday"], "--epoch"),
    (["--lat", "0", "--lon", "0", "--epoch", "2027-02-30T00:00"], "--epoch"),
    (["--lat", "0", "--lon", "0", "--model", "nbody"], "--model"),
    (["--lat", "0", "--lon", "0", "--days", "0"], "--days"),
    (["--lat", "0", "--lon", "0", "--rtol", "1e-3"], "--rtol"),
    (["--lat", "0", "--lon", "0", "--method", "rk4"], "--method"),
    (["--lat", "0", "--lon", "0", "--method", "taylor"], "--model cr3bp"),
    (["--lat", "0", "--lon", "0", "--method", "taylor", "--model", "cr3bp", "--regularize"],
     "--regularize"),
]


@pytest.mark.parametrize(("extra", "needle"), BAD)
def test_bad_input_one_line_exit_2(capsys, extra, needle):
    argv = ["shoot", "--speed", "2.5", "--epoch", "2027-01-01T00:00", *extra]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("massdriver shoot: error: ")
    assert needle in lines[0]


def test_plot_written_and_not_overwritten(capsys, tmp_path):
    path = tmp_path / "shot.png"
    assert main([*SHOT, "--model", "cr3bp", "--plot", str(path)]) == 0
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000
    capsys.readouterr()
    # refuse to overwrite without --force: one line, exit 2, file untouched
    path.write_bytes(b"user data")
    assert main([*SHOT, "--model", "cr3bp", "--plot", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--force" in err[0]
    assert path.read_bytes() == b"user data"
    assert main([*SHOT, "--model", "cr3bp", "--plot", str(path), "--force"]) == 0
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_reads_the_result_only(tmp_path):
    """The plotting module imports no kernel (DESIGN: the report never calls a kernel)."""
    import ast
    from pathlib import Path

    import massdriver.report.trajectory_plots as plots

    tree = ast.parse(Path(plots.__file__).read_text())
    names = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    names += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [n for n in names if "kernels" in n or "trajectory" in n]


def test_rotating_frame_puts_the_moon_on_x():
    import numpy as np

    from massdriver.report.trajectory_plots import rotating_frame_positions

    angle = np.linspace(0.0, 1.0, 20)
    moon = 384_400.0 * np.stack([np.cos(angle), np.sin(angle), 0.1 * np.sin(angle)], axis=1)
    normal = np.array([0.0, -0.1, 1.0]) / np.sqrt(1.01)           # plane of (1,0,0), (0,1,0.1)
    payload = 0.5 * moon + 1000.0 * normal
    p_rot, m_rot = rotating_frame_positions(payload, moon)
    assert np.allclose(m_rot[:, 1:], 0.0, atol=1e-6)
    assert np.allclose(m_rot[:, 0], np.linalg.norm(moon, axis=1), rtol=1e-12)
    assert np.allclose(p_rot[:, 0], 0.5 * m_rot[:, 0], rtol=1e-12)
    assert np.allclose(p_rot[:, 1], 0.0, atol=1e-6)
    assert np.allclose(p_rot[:, 2], 1000.0, rtol=1e-12)


# --- massdriver warmup ----------------------------------------------------------------------------


def test_warmup_steps_all_defined():
    from massdriver import warmup

    names = [name for name, _, _ in warmup.STEPS]
    assert len(names) == len(set(names))
    assert set(names) == set(warmup._FUNCTIONS)
    assert {"shoot_ephemeris", "shoot_cr3bp", "shot_speeds", "coilgun"} <= set(names)


def test_warmup_runs_steps_and_skips_missing_modules(monkeypatch, capsys):
    from massdriver import warmup

    steps = (("shoot_cr3bp", ("massdriver.trajectory",), "one CR3BP coast"),
             ("batch", ("massdriver.kernels.no_such_module",), "missing"))
    monkeypatch.setattr(warmup, "STEPS", steps)
    seen = []
    timings = warmup.warmup(progress=lambda name, sec, note: seen.append((name, sec, note)))
    assert set(timings) == {"shoot_cr3bp", "total"}
    assert timings["total"] >= timings["shoot_cr3bp"] > 0.0
    assert seen[0][0] == "shoot_cr3bp" and seen[0][1] is not None
    assert seen[1][0] == "batch" and seen[1][1] is None and "no_such_module" in seen[1][2]
    # the CLI: timings on stderr, nothing with --quiet
    assert main(["warmup"]) == 0
    err = capsys.readouterr().err
    assert "warmup shoot_cr3bp" in err and "skipped" in err and "numba cache" in err
    assert main(["warmup", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_regularize_flag_gives_the_same_perigee_with_fewer_evaluations(ephemeris_json, capsys):
    """``--regularize`` (Sundman time): same arrival to < 1 m and 1 ms, fewer evaluations."""
    d = _run_json(capsys, [*SHOT, "--regularize", "--json"])
    assert d["regularize"] is True and ephemeris_json["regularize"] is False
    assert d["status"] == ephemeris_json["status"] == "perigee"
    assert d["nfev"] < ephemeris_json["nfev"]
    a, b = d["perigee"], ephemeris_json["perigee"]
    assert abs(a["radius_km"] - b["radius_km"]) < 1e-3
    assert abs(a["time_of_flight_days"] - b["time_of_flight_days"]) * 86400.0 < 1e-3


def test_taylor_method_gives_the_dop853_perigee_in_fewer_steps(capsys):
    """``--method taylor`` (CR3BP): the DOP853 arrival to < 1 m and 1 ms, in fewer steps."""
    cr3bp = [*SHOT, "--model", "cr3bp", "--json"]
    a = _run_json(capsys, cr3bp)
    b = _run_json(capsys, [*cr3bp, "--method", "taylor"])
    assert a["method"] == "dop853" and b["method"] == "taylor"
    assert a["status"] == b["status"] == "perigee"
    assert b["steps"] < a["steps"] and b["nfev"] == b["steps"]
    assert abs(a["perigee"]["radius_km"] - b["perigee"]["radius_km"]) < 1e-3
    assert abs(a["perigee"]["time_of_flight_days"] - b["perigee"]["time_of_flight_days"]) \
        * 86400.0 < 1e-3
    assert main([*SHOT, "--model", "cr3bp", "--method", "taylor"]) == 0
    assert "Taylor expansions" in capsys.readouterr().out
