"""A year of shots from one track, planned and priced (issue 20: ~1 M shots, < 2 min, < 4 GB).

Run::

    python benchmarks/bench_throughput.py               # 1 year, 60-min pricing grid
    python benchmarks/bench_throughput.py --days 30     # shorter (quick look)
    python benchmarks/bench_throughput.py --step 120    # coarser grid
    python benchmarks/bench_throughput.py --days 1461 --cluster 2   # also on a Dask cluster
    python benchmarks/bench_throughput.py --arrival     # shots fly the arrival strategies

The plan: the equatorial Procellarum track (azimuth 90 deg, 2.35-2.80 km/s), one shell
(400 km, 28.5 deg, free RAAN, "as much as possible"), 1 t satellites, shot energy
``m v^2 / (2 x 0.5)`` (5.8 GJ at 2.4 km/s) recharged at 200 MW: one shot every ~30 s; this
shell's windows are open all the time at a 3.6 km/s threshold, so ~1 M shots a year.

Measured (after warm-up: the kernels compiled and loaded, the ephemeris opened, on a short run):

* ``pricing``: :func:`massdriver.throughput.price_windows` (the compiled window scan of the
  grid, both branches);
* ``scheduling``: :func:`massdriver.throughput.schedule` (the compiled event loop, every shot
  priced by interpolation of the scan; the per-shell capacity run of the verdict included);
* ``peak memory``: the process's maximum resident set size (``ru_maxrss``).

Baseline, same run, same work per shot: pricing each shot by its own speed solve and budget
(:func:`massdriver.windows.scan_epochs` on that one epoch, one Python call per shot, what a
per-shot re-solve costs), timed on 200 of the schedule's shots and scaled to all of them. The
ratio printed is baseline / (pricing + scheduling).

``--cluster N``: the same plan again on a local Dask cluster of N worker processes (pricing
tasks, schedule in 365-day blocks with the state handed over), timed, and checked bit for bit
against the in-process schedule.

``--arrival``: the satellite is the model of ``examples/leo_from_procellarum.toml`` (at 1000 kg)
with every arrival strategy (:mod:`massdriver.throughput_arrival`: strategies flown at 1-day
nodes, interpolated to the shots); the scheduling time then includes those comparisons, and a
second baseline prices 20 shots one by one with every strategy
(:func:`massdriver.arrival.compare_strategies` at the shot's own perigee state).

Wall and CPU times are both printed: the machine is shared, the wall clock counts the time
other jobs hold the cores.
"""

from __future__ import annotations

import argparse
import resource
import time

import astropy.units as u
import numpy as np
from astropy.time import Time

from massdriver import throughput as tp
from massdriver.campaign import ShotEnergy
from massdriver.mission import LauncherSpec
from massdriver.site import LaunchSite
from massdriver.targets import circular
from massdriver.windows import scan_epochs

SITE = LaunchSite(lat=0 * u.deg, lon=-55 * u.deg, azimuth=90 * u.deg, name="Procellarum")
SPEC = LauncherSpec(speed_min=2.35 * u.km / u.s, speed_max=2.80 * u.km / u.s,
                    payload_mass=1000 * u.kg, speed_sigma=0.05 * u.m / u.s,
                    pointing_sigma=1e-3 * u.deg)
SHELL = tp.Shell("LEO 28.5 deg 400 km", (circular(400 * u.km, 28.5 * u.deg),))


def satellite(arrival: bool) -> tp.SatelliteSpec:
    if not arrival:
        return tp.SatelliteSpec(1000 * u.kg, 320 * u.s)
    from massdriver.arrival import ArrivalOptions
    from massdriver.satellite import Engine, Satellite

    model = Satellite(wet_mass=1000 * u.kg, engines=(Engine(400 * u.N, 320 * u.s, name="main"),),
                      drag_area=4 * u.m ** 2, max_heat_rate=5 * u.W / u.cm ** 2,
                      max_heat_load=5000 * u.J / u.cm ** 2)
    return tp.SatelliteSpec.from_satellite(model, arrival=ArrivalOptions())


def make_plan(days: float, step_min: float, arrival: bool = False,
              arrival_step: float = 1.0) -> tp.ThroughputPlan:
    la = tp.ThroughputLauncher("equatorial", SITE, SPEC, power=200 * u.MW,
                               energy=ShotEnergy.from_efficiency(0.5, 1000 * u.kg))
    return tp.ThroughputPlan((la,), (SHELL,), satellite(arrival),
                             Time("2027-01-01T00:00", scale="utc"), horizon=days * u.day,
                             step=step_min * u.min, threshold=3.6 * u.km / u.s,
                             arrival_step=arrival_step * u.day)


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=365.25)
    ap.add_argument("--step", type=float, default=60.0, help="pricing grid, minutes")
    ap.add_argument("--baseline-shots", type=int, default=200)
    ap.add_argument("--cluster", type=int, default=0, metavar="N",
                    help="also run on a local Dask cluster of N worker processes")
    ap.add_argument("--arrival", action="store_true",
                    help="the satellite model: every shot flies its chosen arrival strategy")
    ap.add_argument("--arrival-step", type=float, default=1.0, metavar="DAYS",
                    help="node spacing of the arrival strategies (default 1 day)")
    a = ap.parse_args()

    warm = make_plan(2.0, a.step, a.arrival)        # warm-up: compile/load, open the ephemeris
    tp.schedule(warm, tp.price_windows(warm))

    plan = make_plan(a.days, a.step, a.arrival, a.arrival_step)
    tables, w_p, c_p = timed(lambda: tp.price_windows(plan))
    result, w_s, c_s = timed(lambda: tp.schedule(plan, tables))
    n = len(result.schedule)
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(f"plan: {a.days:g} days, grid {a.step:g} min ({tables.grid.size} epochs x 2 branches), "
          f"windows open {100 * tables.open_fraction(3.6)[0, 0]:.1f} % of the grid")
    print(f"pricing     wall {w_p:8.2f} s  cpu {c_p:8.2f} s")
    print(f"scheduling  wall {w_s:8.2f} s  cpu {c_s:8.2f} s  ({n:,} shots, verdict run included)")
    print(f"total       wall {w_p + w_s:8.2f} s  cpu {c_p + c_s:8.2f} s  peak RSS {rss_gb:.2f} GB")
    if a.arrival:
        by = result.totals()["by_strategy"]
        print(f"arrival     {result.inputs['arrival']['comparisons']} strategy comparisons at "
              f"{plan.arrival_step.to_value(u.day):g}-day nodes; flown: "
              + ", ".join(f"{k} {x['shots']:,}" for k, x in by.items())
              + f"; propellant {result.totals()['propellant_kg'] / 1e3:,.0f} t "
              f"(all impulsive {result.totals()['propellant_impulsive_kg'] / 1e3:,.0f} t)")
        from massdriver.arrival import compare_strategies

        pick10 = np.linspace(0, n - 1, 20).astype(int)
        kms = u.km / u.s
        agree, errors = [], []

        def strategies_one_by_one():
            for i in pick10:
                r = scan_epochs(SITE, SHELL.planes[0], SPEC, result.schedule.epoch_tdb[i:i + 1],
                                rtol=plan.rtol,
                                branches=(("prograde", "retrograde")[result.schedule.branch[i]],))
                ps = r.perigee_state[0]
                c = compare_strategies(ps[:3] * u.km, ps[3:6] * kms, SHELL.planes[0],
                                       plan.satellite.model,
                                       impulsive_total=r.total_km_s[0] * kms,
                                       extras=r.plane_change_km_s[0] * kms,
                                       options=plan.satellite.arrival)
                s = result.schedule
                flown = c[s.strategies[s.strategy[i]]]
                agree.append(c.chosen == flown.strategy)
                if flown.feasible:
                    errors.append(abs(flown.delta_v.to_value(kms) - s.delta_v_km_s[i]))
        _, w_a, c_a = timed(strategies_one_by_one)
        k = pick10.size
        print(f"baseline    every strategy per shot: {w_a / k:.3f} s wall, {c_a / k:.3f} s cpu "
              f"per shot -> {w_a / k * n / 86400:,.1f} days wall for {n:,} shots; ratio "
              f"wall {w_a / k * n / (w_p + w_s):,.0f}, cpu {c_a / k * n / (c_p + c_s):,.0f}")
        print(f"check       {k} shots priced one by one: same strategy chosen for {sum(agree)}; "
              f"delta-v of the strategy flown within {max(errors, default=0):.4f} km/s "
              f"({len(errors)} where it is feasible at the shot)")

    # baseline: one speed solve + budget per shot, one Python call each
    pick = np.linspace(0, n - 1, min(a.baseline_shots, n)).astype(int)
    t_pick = result.schedule.epoch_tdb[pick]

    def one_by_one():
        for t in t_pick:
            scan_epochs(SITE, SHELL.planes[0], SPEC, np.array([t]), rtol=plan.rtol,
                        branches=(("prograde", "retrograde")[0],))
    _, w_b, c_b = timed(one_by_one)
    per_w, per_c = w_b / pick.size, c_b / pick.size
    print(f"baseline    {per_w * 1e3:.2f} ms wall, {per_c * 1e3:.2f} ms cpu per shot "
          f"(one solve per shot, {pick.size} shots) -> {per_w * n:,.0f} s wall, "
          f"{per_c * n:,.0f} s cpu for {n:,} shots")
    print(f"ratio baseline / (pricing + scheduling): wall {per_w * n / (w_p + w_s):,.1f}, "
          f"cpu {per_c * n / (c_p + c_s):,.1f}")
    if a.cluster:
        from distributed import Client, LocalCluster

        with LocalCluster(n_workers=a.cluster, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cl, Client(cl) as client:
            client.run(lambda: tp.schedule(warm, tp.price_windows(warm)))   # warm the workers
            w = time.perf_counter()
            t2 = tp.price_windows(plan, client=client)
            r2 = tp.schedule(plan, t2, client=client, block_days=365.0)
            w_c = time.perf_counter() - w
        same = all(getattr(r2.schedule, f).tobytes() == getattr(result.schedule, f).tobytes()
                   for f in ("epoch_tdb", "launcher", "shell", "speed_km_s", "delta_v_km_s",
                             "energy_j"))
        print(f"dask {a.cluster} workers  wall {w_c:8.2f} s ({r2.blocks} blocks of 365 d); "
              f"in-process wall {w_p + w_s:.2f} s; ratio {(w_p + w_s) / w_c:.2f}; "
              f"bit-identical schedule: {same}")


if __name__ == "__main__":
    main()
