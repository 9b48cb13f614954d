"""The command line: help, version, errors as one line with exit status 2."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import massdriver
from massdriver.cli import main


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"massdriver {massdriver.__version__}"


def test_no_command_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "usage: massdriver" in capsys.readouterr().err


def test_unknown_command_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2


def test_help_imports_nothing_heavy():
    """``massdriver --help`` loads numba/scipy/astropy/matplotlib/numpy lazily (its speed is a
    benchmark figure: ``python benchmarks/bench_cli.py``, goal < 0.3 s)."""
    code = (
        "import sys;"
        "from massdriver.cli import build_parser; build_parser().format_help();"
        "heavy=[m for m in ('numba','scipy','astropy','matplotlib','numpy') if m in sys.modules];"
        "print('heavy:' + ','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout.strip()
    assert out == "heavy:", f"heavy modules imported by --help: {out}"


def test_python_dash_m_entry_point():
    res = subprocess.run([sys.executable, "-m", "massdriver", "--help"], capture_output=True,
                         text=True, env={**os.environ})
    assert res.returncode == 0
    assert "COMMAND" in res.stdout


def test_solve_and_windows_share_one_solve_mission(monkeypatch, tmp_path, capsys):
    """Both commands hand the loaded mission to massdriver.windows.solve_mission (issue 15
    B.2); windows --days reaches it as a changed SearchSpec."""
    from pathlib import Path

    import astropy.units as u

    import massdriver.windows as windows

    seen = []

    class Stop(Exception):
        pass

    def fake(mission, *, progress=None):
        seen.append(mission)
        raise Stop

    monkeypatch.setattr(windows, "solve_mission", fake)
    example = str(Path(__file__).resolve().parents[1] / "examples" / "leo_from_procellarum.toml")
    for argv in (["solve", example, "--out", str(tmp_path / "o"), "--quiet", "--no-report"],
                 ["windows", example, "--days", "3", "--quiet"]):
        with pytest.raises(Stop):
            main(["--debug", *argv])
    assert [m.name for m in seen] == [seen[0].name] * 2
    assert seen[0].search.span == 28 * u.day and seen[1].search.span == 3 * u.day
