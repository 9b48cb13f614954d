"""Kernels compiled beside a cold ``solve`` (massdriver.background_compile).

What must hold: the child's warm-up steps compile the very specialisations ``solve`` uses (else
the child's work is wasted and the parent compiles them again), no child is started when it
cannot help, a started child is always ended and reaped, and ``warmup --only`` refuses an
unknown step with one line and exit 2.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from massdriver import background_compile as bc
from massdriver.cli import main

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from cli_run import run_cli  # noqa: E402


def test_no_child_when_it_cannot_help(monkeypatch):
    monkeypatch.setattr(bc, "_cached", lambda step: True)          # all cached already
    assert bc.start_background(["twobody_budgets", "arrival"]) is None
    monkeypatch.setattr(bc, "_cached", lambda step: None)          # cache state unknown
    assert bc.start_background(["twobody_budgets"]) is None
    monkeypatch.setattr(bc, "_cached", lambda step: False)
    monkeypatch.setenv("MASSDRIVER_BACKGROUND_COMPILE", "0")       # the user said no
    assert bc.start_background(["twobody_budgets"]) is None
    monkeypatch.delenv("MASSDRIVER_BACKGROUND_COMPILE")
    monkeypatch.setattr(bc.os, "cpu_count", lambda: 1)             # nothing to run it on
    assert bc.start_background(["twobody_budgets"]) is None


def test_cache_state_is_read_from_the_dispatchers():
    # the sentinel kernels exist and numba exposes where their cache index lives
    for step in bc._SENTINELS:
        assert bc._cached(step) in (True, False)


def test_a_started_child_is_ended_and_reaped(monkeypatch):
    monkeypatch.setattr(bc, "_cached", lambda step: False)
    child = bc.start_background(["twobody_budgets"])
    assert child is not None
    assert child.args[-2:] == ["--only", "twobody_budgets"]
    bc.stop_background(child)
    assert child.returncode is not None
    bc.stop_background(None)                                       # nothing started: no-op


def test_the_child_is_ended_however_the_body_ends(monkeypatch):
    monkeypatch.setattr(bc, "_cached", lambda step: False)
    with pytest.raises(RuntimeError):
        with bc.compiling_beside(["twobody_budgets"]) as child:
            raise RuntimeError("the solve failed")
    assert child is not None and child.returncode is not None


def test_solve_steps_follow_the_satellite():
    class Mission:
        satellite = None
    head = ["scan_head", "integrator_parts", "scan_tail", "twobody_budgets"]
    assert bc.solve_steps(Mission()) == head
    Mission.satellite = object()
    assert bc.solve_steps(Mission()) == head + ["arrival"]


def test_steps_from_the_mission_file_before_it_loads(tmp_path):
    """The child starts before the mission is checked: its steps come from the file's TOML
    alone, and a file that does not parse starts none (loading it reports the error)."""
    example = ROOT / "examples" / "leo_from_procellarum.toml"
    assert bc.mission_file_steps(example)[-1] == "arrival"
    text = example.read_text()
    without = tmp_path / "no_satellite.toml"
    without.write_text(text[:text.index("[satellite]")])
    assert bc.mission_file_steps(without) == bc.solve_steps(type("M", (), {"satellite": None}))
    broken = tmp_path / "broken.toml"
    broken.write_text("[site\n")
    assert bc.mission_file_steps(broken) == []
    assert bc.mission_file_steps(tmp_path / "missing.toml") == []


def test_every_step_of_a_solve_is_a_warmup_step_in_the_same_order():
    from massdriver.warmup import STEPS

    order = [name for name, _, _ in STEPS]
    steps = bc.solve_steps(type("M", (), {"satellite": object()}))
    assert [order.index(step) for step in steps] == sorted(order.index(s) for s in steps)
    assert set(steps) == set(bc._SENTINELS)


def test_the_child_runs_its_steps_and_exits():
    # a group compiled by signature, then a step of the public API
    assert bc.main(["--only", "scan_tail,twobody_budgets"]) == 0


def test_warmup_only_refuses_an_unknown_step(capsys):
    status, out, err = run_cli(capsys, ["warmup", "--only", "twobody_budgets,arivval"])
    assert status == 2
    assert err.count("\n") == 1 and "arivval" in err and "twobody_budgets" in err
    assert main(["warmup", "--quiet", "--only", "twobody_budgets"]) == 0


def _short_mission(tmp_path, satellite: bool):
    """The README's mission over 8 h around its first window (with or without its
    ``[satellite]``), written to ``tmp_path``."""
    mission = (ROOT / "examples" / "leo_from_procellarum.toml").read_text()
    if not satellite:
        mission = mission[:mission.index("[satellite]")]
    mission = (mission.replace('start = "2027-01-01T00:00"', 'start = "2027-01-03T04:00"')
               .replace('span = "28 d"', 'span = "8 h"'))
    assert 'span = "8 h"' in mission
    path = tmp_path / "mission.toml"
    path.write_text(mission)
    return path


@pytest.mark.slow
def test_child_steps_compile_what_solve_uses(tmp_path):
    """After the two background steps, pricing a real window compiles no new specialisation
    of any two-body or arrival kernel (run in a fresh process: the dispatchers start empty)."""
    path = _short_mission(tmp_path, satellite=True)
    code = textwrap.dedent(f"""
        import massdriver.kernels.arrival as a, massdriver.kernels.twobody as t
        from massdriver import warmup
        from massdriver.config import load_mission
        from massdriver.windows import solve_mission

        warmup.warmup(steps=["twobody_budgets", "arrival"])
        def signatures():
            return {{(m.__name__, name): len(d.signatures) for m in (a, t)
                     for name, d in vars(m).items() if hasattr(d, "signatures")}}
        before = signatures()
        plan = solve_mission(load_mission({str(path)!r}))
        assert plan.windows and plan.windows[0].arrival is not None, plan.message
        new = {{k: v - before.get(k, 0) for k, v in signatures().items()
                if v != before.get(k, 0)}}
        print("NEW", new)
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "NEW {}" in done.stdout, done.stdout


@pytest.mark.slow
def test_signature_groups_are_the_ones_a_scan_uses(tmp_path):
    """On an EMPTY cache (a warm one would load the scan kernel whole and never type its
    callees): after the groups compiled by signature (``scan_head``, ``integrator_parts``,
    ``scan_tail``), a real window solve (scan, refinement) compiles no new specialisation of
    any of their kernels, so none of the child's work is compiled again by the parent."""
    path = _short_mission(tmp_path, satellite=False)             # no arrival kernels here
    code = textwrap.dedent(f"""
        from massdriver.config import load_mission
        from massdriver.kernels import precompile
        from massdriver.windows import solve_mission

        parts = {{}}
        for group in precompile.GROUPS:
            precompile.compile_group(group)
            parts.update({{d.py_func.__qualname__: d for d, _ in precompile.GROUPS[group]()}})
        before = {{k: len(v.signatures) for k, v in parts.items()}}
        assert all(n == 1 for n in before.values()), before
        plan = solve_mission(load_mission({str(path)!r}))
        assert plan.windows, plan.message
        after = {{k: len(v.signatures) for k, v in parts.items()}}
        print("NEW", {{k: after[k] - before[k] for k in parts if after[k] != before[k]}})
    """)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "NEW {}" in done.stdout, done.stdout
