"""Sweeps in-process and on a Dask LocalCluster (loopback only): identical bits, lost workers.

The reference of every comparison is :func:`massdriver.windows.scan` / ``windows.solve`` (the
window solver's own scan); the sweeps must reproduce its floats bit for bit (``tobytes``), not
merely within a tolerance.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time

import astropy.units as u
import numpy as np
import pytest
from astropy.time import Time
from massdriver.kernels.shots import CHUNK

from massdriver import parallel, targets, windows
from massdriver.config import LauncherSpec
from massdriver.ephemeris import Ephemeris
from massdriver.errors import InputError
from massdriver.site import LaunchSite

START = Time("2027-01-02T16:00", scale="utc")   # the LEO example's window (2027-01-03) is inside
LAUNCHER = LauncherSpec(speed_min=2.40 * u.km / u.s, speed_max=2.65 * u.km / u.s,
                        payload_mass=1000 * u.kg, speed_sigma=0.05 * u.m / u.s,
                        pointing_sigma=1e-3 * u.deg)
TARGET = targets.circular(400 * u.km, 28.5 * u.deg)          # free RAAN
SITES = [LaunchSite(lat=0 * u.deg, lon=-55 * u.deg, azimuth=az * u.deg) for az in (90.0, 80.0)]


def assert_scans_identical(a: windows.ScanResult, b: windows.ScanResult) -> None:
    """Every field equal, floats bit for bit."""
    for name in windows.ScanResult.__dataclass_fields__:
        x, y = getattr(a, name), getattr(b, name)
        assert x.shape == y.shape, name
        assert x.dtype == y.dtype, name
        if x.dtype == object:
            assert list(x.ravel()) == list(y.ravel()), name
        else:
            assert x.tobytes() == y.tobytes(), name


def _cases(n_epochs: int):
    grid = parallel.epoch_grid(START, (n_epochs - 1) * u.h, 60 * u.min)
    assert grid.shape == (n_epochs,)
    return parallel.grid_cases(SITES, [TARGET], [grid], launcher=LAUNCHER)


#: epochs per case: two whole kernel chunks and a ragged half chunk
N_EPOCHS = 2 * CHUNK + CHUNK // 2


@pytest.fixture(scope="module")
def local_result():
    return parallel.sweep(_cases(N_EPOCHS))


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cl:
        with distributed.Client(cl, set_as_default=False) as client:
            yield cl, client


# --- in-process ---------------------------------------------------------------------------------
def test_local_sweep_reproduces_windows_scan(local_result):
    assert local_result.backend == "local"
    assert len(local_result.scans) == 2
    assert local_result.n_shots == 2 * 2 * N_EPOCHS
    for case, scan in zip(local_result.cases, local_result.scans, strict=True):
        t = np.asarray(case.epochs)
        problem = windows._problem(case.site, TARGET, LAUNCHER, 1e-10, 8 * 86400.0, Ephemeris(),
                                   t[0], t[-1])
        ref = windows.scan(problem, t, TARGET, ("prograde", "retrograde"))
        assert_scans_identical(scan, ref)
    # the sweep finds the example's window: totals under 3.10 km/s on the prograde branch
    best = local_result.best(0)
    assert best is not None and best["branch"] == "prograde"
    assert 2.40 < best["speed_km_s"] < 2.65
    assert best["total_km_s"] < 3.10


def test_epoch_grid_is_the_grid_of_windows_solve():
    # a threshold no epoch meets: windows.solve returns its scan without refining anything
    plan = windows.solve(SITES[0], TARGET, START, 3 * u.h, threshold=0.01 * u.km / u.s,
                         launcher=LAUNCHER, step=60 * u.min, mid_course=False)
    grid = parallel.epoch_grid(START, 3 * u.h, 60 * u.min)
    assert plan.windows == ()
    assert grid.tobytes() == plan.scan.t_launch_tdb[:4].tobytes()
    res = parallel.sweep([parallel.SweepCase(SITES[0], TARGET, grid, launcher=LAUNCHER)])
    assert_scans_identical(res.scans[0], plan.scan)


def test_time_epochs_and_table(local_result):
    case = local_result.cases[0]
    as_time = parallel.SweepCase(case.site, TARGET, START + np.arange(4) * u.h,
                                 launcher=LAUNCHER, branches=("prograde",), label="time")
    res = parallel.sweep([as_time])
    scan = res.scans[0]
    assert scan.t_launch_tdb.shape == (4,)
    # Time input converted to TDB seconds (two-double JD): within 10 us of the float grid
    np.testing.assert_allclose(scan.t_launch_tdb, np.asarray(case.epochs)[:4], rtol=0, atol=1e-5)
    # same shots up to those microseconds and the scan's perigee tolerance (2e-6 r_t, 14 m:
    # a few mm/s of budget at most; measured 0.5 mm/s)
    np.testing.assert_allclose(scan.total_km_s, local_result.scans[0].total_km_s[:4], rtol=0,
                               atol=5e-6)
    table = local_result.to_table()
    assert list(table["label"]) == ["s0-t0-e0", "s1-t0-e0"]
    assert table["azimuth"].to_value(u.deg).tolist() == [90.0, 80.0]
    assert table["best_total"][0].to_value(u.km / u.s) == pytest.approx(
        local_result.best(0)["total_km_s"], abs=0)


def test_errors():
    good = _cases(4)[0]
    with pytest.raises(InputError, match="no case"):
        parallel.sweep([])
    with pytest.raises(InputError, match="branch 'up'"):
        parallel.sweep([parallel.SweepCase(good.site, TARGET, good.epochs, branches=("up",))])
    with pytest.raises(InputError, match="strictly increasing"):
        parallel.sweep([parallel.SweepCase(good.site, TARGET, np.asarray(good.epochs)[::-1])])
    with pytest.raises(InputError, match="multiple of"):
        parallel.sweep_async([good], client=object(), chunk=CHUNK + 1)
    with pytest.raises(InputError, match="needs a Dask client"):
        parallel.sweep_async([good])
    with pytest.raises(InputError, match="either client= or scheduler="):
        parallel.sweep([good], client=object(), scheduler="tcp://127.0.0.1:1")
    with pytest.raises(InputError, match="cannot connect"):
        with parallel.use_dask("tcp://127.0.0.1:9", timeout=1.0):
            pass


def test_dask_is_imported_lazily():
    code = ("import sys, massdriver.parallel, massdriver.cli.campaign; "
            "print(any(m.split('.')[0] in ('dask', 'distributed') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


# --- Dask ---------------------------------------------------------------------------------------
def test_local_cluster_identical_to_local(cluster, local_result):
    _cl, client = cluster
    res = parallel.sweep(_cases(N_EPOCHS), client=client, chunk=CHUNK)
    assert res.backend == "dask"
    assert res.n_tasks == 2 * 2 * math.ceil(N_EPOCHS / CHUNK)
    for a, b in zip(res.scans, local_result.scans, strict=True):
        assert_scans_identical(a, b)
    # the context-manager route, two kernel chunks per task, with progress reports
    seen = []
    assert parallel.current_client() is None
    with parallel.use_dask(client):
        assert parallel.current_client() is client
        res = parallel.sweep(_cases(N_EPOCHS), chunk=2 * CHUNK,
                             progress=lambda d, n: seen.append((d, n)))
    assert parallel.current_client() is None
    assert res.backend == "dask"
    assert res.n_tasks == 2 * 2 * math.ceil(N_EPOCHS / (2 * CHUNK))
    assert seen[-1] == (4 * N_EPOCHS, 4 * N_EPOCHS) and len(seen) == res.n_tasks
    for a, b in zip(res.scans, local_result.scans, strict=True):
        assert_scans_identical(a, b)


def test_map_ordered_in_order(cluster):
    _cl, client = cluster
    items = list(range(7))
    assert parallel.map_ordered(np.square, items) == [x * x for x in items]
    assert [int(v) for v in parallel.map_ordered(np.square, items, client=client)] == \
        [x * x for x in items]


def test_worker_killed_mid_sweep_loses_no_shot(cluster, local_result):
    _cl, client = cluster
    cases = _cases(N_EPOCHS)
    pending = parallel.sweep_async(cases, client=client, chunk=CHUNK)     # 12 tasks
    ours = set(pending.keys)
    # wait until the sweep is under way: a task finished and a worker holds another one
    victim, lost = None, set()
    deadline = time.monotonic() + 120
    while victim is None and time.monotonic() < deadline:
        if pending.progress()[0] >= 1:
            for address, keys in client.processing().items():
                if ours.intersection(keys):
                    victim, lost = address, ours.intersection(keys)
                    break
        time.sleep(0.02)
    assert victim is not None, "no task of the sweep was seen running"
    pid = client.run(os.getpid, workers=[victim])[victim]
    os.kill(pid, signal.SIGKILL)          # the worker dies with its task(s) and its results
    result = pending.result(timeout=240)
    deadline = time.monotonic() + 60
    while victim in client.scheduler_info()["workers"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert victim not in client.scheduler_info()["workers"]
    # the tasks it was running (and any result it held) were computed again elsewhere
    holders = client.who_has(pending.futures)
    assert lost and all(holders[k] and victim not in holders[k] for k in lost)
    assert result.n_tasks == 2 * 2 * math.ceil(N_EPOCHS / CHUNK)
    for a, b in zip(result.scans, local_result.scans, strict=True):
        assert_scans_identical(a, b)
    client.wait_for_workers(2, timeout=60)       # the nanny restarted it
