"""Determinism: the same mission gives byte-identical files across runs and thread counts.

``massdriver solve`` runs in fresh interpreters on a short copy of the LEO example (2 days at a
6-hour step, threshold raised to 3.20 km/s so that one window with a mid-course correction is
found), with ``NUMBA_NUM_THREADS=1`` and ``=2`` and once more with 2 threads. ``plan.json``,
``windows.ecsv``, ``scan.ecsv`` and ``best_trajectory.ecsv`` must agree byte for byte: the
parallel speed solve works on fixed chunks of launch epochs (``kernels.shots.CHUNK``) whatever
the thread count, so no result depends on how the chunks are scheduled; the files carry no
timestamp.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "leo_from_procellarum.toml"
FILES = ("plan.json", "windows.ecsv", "scan.ecsv", "best_trajectory.ecsv", "mission.toml")


def _short_config(directory: Path) -> Path:
    text = EXAMPLE.read_text()
    for old, new in [('span = "28 d"', 'span = "2 d"'), ('step = "60 min"', 'step = "360 min"'),
                     ('threshold = "3.10 km/s"', 'threshold = "3.20 km/s"')]:
        assert old in text, old
        text = text.replace(old, new)
    path = directory / "short.toml"
    path.write_text(text)
    return path


def _solve(config: Path, out: Path, threads: int) -> subprocess.CompletedProcess:
    env = {**os.environ, "NUMBA_NUM_THREADS": str(threads), "PYTHONHASHSEED": str(threads)}
    env.pop("MASSDRIVER_FASTMATH", None)
    return subprocess.run([sys.executable, "-m", "massdriver", "solve", str(config), "--out",
                           str(out), "--quiet", "--no-report"], capture_output=True, text=True,
                          env=env, timeout=1200, check=False)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("determinism")
    config = _short_config(d)
    results = {}
    for label, threads in [("one_thread", 1), ("two_threads", 2), ("two_threads_again", 2)]:
        proc = _solve(config, d / label, threads)
        assert proc.returncode == 0, proc.stderr[-2000:]
        results[label] = (d / label, proc)
    return results


def test_solve_found_a_window(runs):
    out, _ = runs["one_thread"]
    plan = json.loads((out / "plan.json").read_text())
    assert len(plan["windows"]) == 1
    w = plan["windows"][0]
    assert w["branch"] == "prograde" and w["budget"]["total_km_s"] < 3.20
    assert {p.name for p in out.iterdir()} == set(FILES) | {"manifest.json"}  # (has a run id)


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("other", ["two_threads", "two_threads_again"])
def test_files_are_byte_identical(runs, name, other):
    a = (runs["one_thread"][0] / name).read_bytes()
    b = (runs[other][0] / name).read_bytes()
    assert a == b, f"{name} differs between 1 and 2 numba threads ({other})"


def test_printed_summary_is_identical(runs):
    lines = [proc.stdout.splitlines()[:-1] for _, proc in runs.values()]   # last: "wrote DIR/"
    assert lines[0] == lines[1] == lines[2]
    assert all(proc.stderr == "" for _, proc in runs.values())


def test_files_carry_no_timestamp(runs):
    """Nothing in the files depends on when they were written (so equality is meaningful)."""
    out, _ = runs["one_thread"]
    today = dt.datetime.now(dt.UTC).date()
    stamps = {str(today), str(today - dt.timedelta(days=1)), today.strftime("%Y%m%d")}
    for name in FILES:
        text = (out / name).read_text()
        assert not any(s in text for s in stamps), name


def test_thread_count_is_honoured():
    """The environment variable does reach numba (the comparison above is not 1 vs 1)."""
    code = "import numba; print(numba.config.NUMBA_NUM_THREADS)"
    for n in (1, 2):
        env = {**os.environ, "NUMBA_NUM_THREADS": str(n)}
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=env, check=True).stdout
        assert int(out) == n
