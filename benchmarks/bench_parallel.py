"""Sweep throughput in-process (numba threads) vs a 2-worker Dask LocalCluster, and the per-task
overhead of the Dask route. Loopback only.

Run::

    python benchmarks/bench_parallel.py          # 4 cases x 4 CHUNK epochs x 2
    python benchmarks/bench_parallel.py --quick  # 2 cases x 2 CHUNK epochs x 2

What is measured (all after warm-up: numba kernels loaded from the cache in this process and on
every worker, the ephemeris opened everywhere):

* ``local``: :func:`massdriver.parallel.sweep` in-process, numba threads = cores;
* ``dask chunk=N``: the same sweep on ``LocalCluster(n_workers=2, threads_per_worker=1)``, one
  numba thread per task, ``N`` epochs per task (``N`` = 1 and 2 kernel chunks,
  ``kernels.shots.CHUNK``); the results are checked bit for bit against the local ones;
* ``no-op task round trip``: ``client.map`` + ``gather`` of 400 empty tasks, per task (the
  scheduler's fixed cost);
* ``per-task overhead of a sweep``: (wall time x workers - the tasks' compute time on the
  workers, from Dask's task stream) / tasks, i.e. what each task costs beyond its own compute
  (scheduling, transfer, idle workers at the end; it includes the pricing on the client after
  the gather).

Wall and CPU times are both printed: the machine is shared, the wall clock counts the time other
jobs hold the cores.
"""

from __future__ import annotations

import argparse
import os
import time

import astropy.units as u
from astropy.time import Time

from massdriver import parallel, targets
from massdriver.config import LauncherSpec
from massdriver.site import LaunchSite


def _noop(x):
    return x


def _identical(a, b) -> bool:
    for name in a.__dataclass_fields__:
        x, y = getattr(a, name), getattr(b, name)
        same = (list(x.ravel()) == list(y.ravel())) if x.dtype == object else \
            x.tobytes() == y.tobytes()
        if not same:
            return False
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    from massdriver.kernels.shots import CHUNK

    n_cases, n_epochs = (2, 2 * CHUNK) if args.quick else (4, 4 * CHUNK)

    import distributed
    import numba

    start = Time("2027-01-02T00:00", scale="utc")
    launcher = LauncherSpec(speed_min=2.35 * u.km / u.s, speed_max=2.80 * u.km / u.s,
                            payload_mass=1000 * u.kg, speed_sigma=0.05 * u.m / u.s,
                            pointing_sigma=1e-3 * u.deg)
    sites = [LaunchSite(lat=0 * u.deg, lon=-55 * u.deg, azimuth=az * u.deg)
             for az in (90.0, 80.0, 100.0, 70.0)[: max(1, n_cases // 2)]]
    tgts = [targets.circular(400 * u.km, 28.5 * u.deg),
            targets.walker(28.5 * u.deg, 6, 3, 1, 550 * u.km, epoch=start)[0]]
    grid = parallel.epoch_grid(start, (n_epochs - 1) * u.h, 60 * u.min)
    cases = parallel.grid_cases(sites, tgts, [grid], launcher=launcher)[:n_cases]
    shots = n_cases * n_epochs * 2
    print(f"sweep: {len(cases)} cases x {n_epochs} epochs x 2 branches = {shots} speed solves; "
          f"numba {numba.config.NUMBA_NUM_THREADS} threads, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f}")

    # warm-up (compile / cache load) and the local reference
    parallel.sweep([parallel.SweepCase(sites[0], tgts[0], grid[:CHUNK], launcher=launcher)])
    t0, c0 = time.perf_counter(), time.process_time()
    local = parallel.sweep(cases)
    t_local, c_local = time.perf_counter() - t0, time.process_time() - c0
    print(f"local          : {t_local:7.2f} s wall ({c_local:6.2f} s CPU)  "
          f"{shots / t_local:7.1f} shots/s")

    rows = []
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cl, \
            distributed.Client(cl, set_as_default=False) as client:
        # warm-up every worker: small sweeps (kernel cache load, ephemeris)
        parallel.sweep(cases[:1], client=client, chunk=CHUNK)
        parallel.sweep(cases[:1], client=client, chunk=CHUNK)
        for chunk in (CHUNK, 2 * CHUNK):
            cpu0 = sum(client.run(time.process_time).values())
            sched0 = client.run_on_scheduler(time.process_time)
            with distributed.get_task_stream(client=client) as stream:
                t0, c0 = time.perf_counter(), time.process_time()
                res = parallel.sweep(cases, client=client, chunk=chunk)
                wall, c_client = time.perf_counter() - t0, time.process_time() - c0
            cpu_workers = sum(client.run(time.process_time).values()) - cpu0
            cpu_sched = client.run_on_scheduler(time.process_time) - sched0
            compute = sum(ss["stop"] - ss["start"] for rec in stream.data
                          for ss in rec["startstops"] if ss["action"] == "compute")
            same = all(_identical(a, b) for a, b in zip(res.scans, local.scans, strict=True))
            overhead = (wall * 2 - compute) / res.n_tasks
            rows.append((chunk, res.n_tasks, wall, compute, overhead, same))
            print(f"dask chunk={chunk:3d}: {wall:7.2f} s wall  {shots / wall:7.1f} shots/s  "
                  f"({res.n_tasks} tasks; identical to local: {same})")
            print(f"    CPU: workers {cpu_workers:.2f} s, scheduler {cpu_sched:.2f} s, client "
                  f"{c_client:.2f} s (local run: {c_local:.2f} s); CPU beyond the local run "
                  f"{(cpu_workers + cpu_sched + c_client - c_local) / res.n_tasks * 1e3:.1f} "
                  f"ms/task")
            print(f"    wall: {compute:.2f} s of task compute on the workers; "
                  f"(2 x wall - compute) / tasks = {overhead * 1e3:.1f} ms/task")
        futures = client.map(_noop, range(400), pure=False)
        client.gather(futures)
        t0 = time.perf_counter()
        futures = client.map(_noop, range(400), pure=False)
        client.gather(futures)
        t_noop = (time.perf_counter() - t0) / 400
        print(f"no-op task round trip: {t_noop * 1e3:.2f} ms/task (400 tasks, 2 workers)")
    best = min(rows, key=lambda r: r[2])
    print(f"speed-up dask (2 workers, chunk={best[0]}) vs local: {t_local / best[2]:.2f}x wall")
    assert all(r[5] for r in rows), "a Dask sweep differs from the local one"


if __name__ == "__main__":
    main()
