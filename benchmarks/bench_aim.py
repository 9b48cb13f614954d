"""Track search speed: ``massdriver.aim.aim`` against the per-track window scan, and its scaling.

Run::

    python benchmarks/bench_aim.py              # 1/10 of the issue's size: 36 az x 10 el x 36.5 d
    python benchmarks/bench_aim.py --days 365   # the issue's full size (36 x 10 x 1 year hourly)
    python benchmarks/bench_aim.py --legacy --az 4 --el 2 --days 7   # the earlier comparisons

Default (the fast path as ``aim`` runs it: month screen on a lattice of the tracks,
patched-conic reach screen, coarse to fine in time; no refinement):

1. ``aim`` over the grid, hourly epochs, timed by phase (screen, grid, calendar).
2. **Baseline, same run**: the per-track window scan (``massdriver.windows.scan``, every epoch,
   no screen) of ``--baseline-tracks`` tracks spread over the grid, the same horizon; its time
   per track times the number of tracks is the baseline of the whole grid (an extrapolation
   over tracks, labelled so). Ratio baseline / fast path.
3. **Scaling**: the fast path on half of the azimuths and on half of the horizon.
4. **Full size**: with ``--days 365`` measured; otherwise extrapolated from the phases of
   this run (the screen does not depend on the horizon beyond one sidereal month, the grid
   and calendar phases are linear in it) and labelled so.

``--legacy``:

What is measured (DE421 force model, Mare Imbrium 33 N 16 W, LEO 550 km / 53 deg from
2027-03-01, launcher 2.40-2.80 km/s, both arrival branches, scan tolerances; no screening and
no refinement, so every cell is scanned over the whole horizon, as the issue's benchmark asks):

1. **The per-track window scan** (``massdriver.windows.scan`` of one track, one case on the
   thread pool) for every cell one after another: the way a user had to sweep tracks before.
2. **The grid of ``aim`` without the reach screen** (``reach_screen=False``): the same cells as
   cases of one ``windows.scan_many`` call, batched (the code before the screen).
3. **The grid of ``aim``** as it runs (patched-conic reach screen on: epochs no speed can
   bring down to the target are not solved; same results). Ratios (1)/(3) and (2)/(3).
4. **Scaling**: the screened grid's time for 1/2 and all of the cells, and for 1/2 and all of
   the horizon, and the speed solves per second; the full-size time (36 x 10 x 365 d hourly =
   3.15 M speed solves) is extrapolated from the measured rate and labelled as such (the
   share of skipped epochs depends on the grid, so this is an estimate).

Costs differ a lot between tracks: a shot whose coast never reaches the target perigee costs
~8 times the coasts of one that converges, so the rate depends on the grid.
"""

from __future__ import annotations

import argparse
import math
import time

import astropy.units as u
import numpy as np


def c_half(seconds: float) -> float:
    """A time to divide by (never zero)."""
    return max(seconds, 1e-9)


def _setup():
    from massdriver.config import load_mission

    return load_mission("examples/imbrium.toml")


def per_track(mission, cells, days: float) -> float:
    """Seconds for ``windows.scan`` of each cell in turn."""
    from massdriver.aim import _site_with
    from massdriver.ephemeris import Ephemeris
    from massdriver.timescales import to_tdb_seconds
    from massdriver.windows import _problem, scan

    eph = Ephemeris()
    t0 = float(to_tdb_seconds(mission.search.start))
    t = t0 + 3600.0 * np.arange(int(days * 24) + 1)
    start = time.perf_counter()
    for a, e in cells:
        p = _problem(_site_with(mission.site, a, e), mission.target, mission.launcher, 1e-10,
                     8 * 86400.0, eph, t[0], t[-1])
        scan(p, t, mission.target, ("prograde", "retrograde"))
    return time.perf_counter() - start


def grid(mission, az, el, days: float, reach_screen: bool = True) -> float:
    """Seconds for ``aim`` of the grid (no month screen, no coarse to fine, no refinement)."""
    from massdriver.aim import aim

    s = mission.search
    start = time.perf_counter()
    aim(mission.site, mission.target, s.start, days * u.day, azimuths=az, elevations=el,
        launcher=mission.launcher, threshold=s.threshold, step=1 * u.hour, refine=0,
        screen=False, reach_screen=reach_screen, coarse_step=None)
    return time.perf_counter() - start


def fast(mission, az, el, days: float):
    """``aim`` as it runs (refine 0): the result and its wall seconds."""
    from massdriver.aim import aim

    s = mission.search
    start = time.perf_counter()
    cpu = time.process_time()
    r = aim(mission.site, mission.target, s.start, days * u.day, azimuths=az, elevations=el,
            launcher=mission.launcher, threshold=s.threshold, step=1 * u.hour, refine=0)
    r.timings["cpu"] = time.process_time() - cpu
    return r, time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--az", type=int, default=36, help="azimuths (spread over 0-360 deg)")
    ap.add_argument("--el", type=int, default=10, help="elevations (spread over 0-45 deg)")
    ap.add_argument("--days", type=float, default=36.5, help="horizon, days (hourly epochs)")
    ap.add_argument("--baseline-tracks", type=int, default=6,
                    help="tracks of the per-track baseline (spread over the grid)")
    ap.add_argument("--no-baseline", action="store_true",
                    help="skip the per-track baseline (the fast path and its scaling only)")
    ap.add_argument("--legacy", action="store_true",
                    help="the earlier comparisons (per-track, grid, reach screen; no month "
                         "screen, no coarse to fine)")
    args = ap.parse_args()
    if args.legacy:
        return legacy(args)
    mission = _setup()
    az = np.linspace(0.0, 360.0, args.az, endpoint=False)
    el = np.linspace(0.0, 45.0, args.el) if args.el > 1 else np.array([20.0])
    cells = [(a, e) for a in az for e in el]
    n_ep = int(args.days * 24) + 1
    solves = len(cells) * n_ep * 2
    fast(mission, az[:1], el[:1], 0.5)            # warm-up: compile or load the kernels
    grid(mission, az[:1], el[:1], 0.25)
    r, t_fast = fast(mission, az, el, args.days)
    tm = r.timings
    print(f"{len(cells)} tracks x {args.days:g} d hourly x 2 branches = {solves:,} speed "
          "solves exhaustively")
    print(f"fast path (aim as run, refine 0): {t_fast:8.1f} s wall, {tm['cpu']:.1f} s CPU "
          f"(all threads); screen {tm['screen']:.1f} s "
          f"({tm['screen_solves']:,} solves), grid {tm['grid']:.1f} s "
          f"({tm['grid_solves']:,} solves), calendar {tm['calendar']:.1f} s "
          f"({tm['calendar_solves']:,} solves); {r.inputs['screened_out_cells']} of "
          f"{len(cells)} tracks screened out")
    best = max(r.cells, key=lambda c: c.margin_km_s)
    print(f"best track: azimuth {best.azimuth_deg:g} deg, elevation {best.elevation_deg:g} deg, "
          f"duty cycle {best.duty_cycle:.3f}, median {best.total_median_km_s:.3f} km/s")
    t_base = math.nan
    if not args.no_baseline:
        k = max(1, min(args.baseline_tracks, len(cells)))
        sample = [cells[i] for i in np.linspace(0, len(cells) - 1, k).round().astype(int)]
        cpu = time.process_time()
        t_track = per_track(mission, sample, args.days)
        cpu_track = time.process_time() - cpu
        t_base = t_track / k * len(cells)
        print(f"baseline: per-track window scans, every epoch: {t_track:.1f} s for {k} tracks "
              f"spread over the grid -> {t_base:.0f} s for all {len(cells)} (extrapolated over "
              f"tracks); ratio baseline / fast path: {t_base / t_fast:.1f}x wall, "
              f"{cpu_track / k * len(cells) / tm['cpu']:.1f}x CPU")
    half_az = az[: max(1, az.size // 2)]
    r_cells, t_half_cells = fast(mission, half_az, el, args.days)
    r_days, t_half_days = fast(mission, az, el, args.days / 2)
    c_cells, c_days, c_fast = r_cells.timings["cpu"], r_days.timings["cpu"], tm["cpu"]
    print(f"scaling with tracks:  {half_az.size * el.size} -> {len(cells)}: "
          f"{t_half_cells:.1f} -> {t_fast:.1f} s wall, {c_cells:.1f} -> {c_fast:.1f} s CPU "
          f"({c_fast / c_half(c_cells):.2f}x CPU for "
          f"{len(cells) / (half_az.size * el.size):.2f}x; the cost follows the tracks that "
          "pass the screen)")
    print(f"scaling with horizon: {args.days / 2:g} -> {args.days:g} d: {t_half_days:.1f} -> "
          f"{t_fast:.1f} s wall, {c_days:.1f} -> {c_fast:.1f} s CPU "
          f"({c_fast / c_half(c_days):.2f}x CPU for 2x)")
    scale = 365.0 / args.days
    if abs(scale - 1.0) < 1e-9:
        print(f"full size (36 x 10 x 365 d hourly), measured: {t_fast:.1f} s "
              f"= {t_fast / 60:.2f} min")
    else:
        est = tm["screen"] + scale * (tm["grid"] + tm["calendar"])
        share = (tm["screen"] + scale * (tm["grid"] + tm["calendar"])) / t_fast
        print(f"full size (365 d hourly, this grid), EXTRAPOLATED from this "
              f"{args.days:g}-day run (screen as measured, grid and calendar x {scale:.2f}): "
              f"{est:.0f} s = {est / 60:.1f} min wall here; {tm['cpu'] * share:.0f} s CPU, "
              f"i.e. ~{tm['cpu'] * share / 2 / 60:.1f} min on 2 idle cores"
              + ("" if math.isnan(t_base) else f"; baseline {t_base * scale / 60:.0f} min wall"))


def legacy(args) -> None:
    mission = _setup()
    az = np.linspace(0.0, 360.0, args.az, endpoint=False)
    el = np.linspace(0.0, 45.0, args.el) if args.el > 1 else np.array([20.0])
    cells = [(a, e) for a in az for e in el]
    # warm up: compile (or load from the cache) the scan kernels on a tiny case
    grid(mission, az[:1], el[:1], 0.25)
    grid(mission, az[:1], el[:1], 0.25, reach_screen=False)
    solves = len(cells) * (int(args.days * 24) + 1) * 2
    t_grid = grid(mission, az, el, args.days)
    t_plain = grid(mission, az, el, args.days, reach_screen=False)
    t_track = per_track(mission, cells, args.days)
    print(f"{len(cells)} tracks x {args.days:g} d hourly x 2 branches = {solves} speed solves")
    print(f"per-track window scans, one after another: {t_track:8.2f} s")
    print(f"aim grid, one pool, no reach screen:       {t_plain:8.2f} s")
    print(f"aim grid, one pool, reach screen (as run): {t_grid:8.2f} s   "
          f"ratio {t_track / t_grid:.2f}x to the per-track scans, "
          f"{t_plain / t_grid:.2f}x to no screen")
    rate = solves / t_grid
    print(f"rate: {rate:,.0f} speed solves/s  ({1e3 / rate:.3f} ms each)")
    half_cells = cells[: max(1, len(cells) // 2)]
    az_half = np.unique([a for a, _ in half_cells])
    t_half_cells = grid(mission, az_half, el, args.days)
    t_half_days = grid(mission, az, el, args.days / 2)
    n_half = az_half.size * el.size
    print(f"scaling with cells:   {n_half} -> {len(cells)} tracks: "
          f"{t_half_cells:.2f} -> {t_grid:.2f} s ({t_grid / t_half_cells:.2f}x for "
          f"{len(cells) / n_half:.2f}x)")
    print(f"scaling with horizon: {args.days / 2:g} -> {args.days:g} d: "
          f"{t_half_days:.2f} -> {t_grid:.2f} s ({t_grid / t_half_days:.2f}x for 2x)")
    full = 36 * 10 * (365 * 24 + 1) * 2
    print(f"extrapolated (not measured): 36 x 10 x 365 d hourly = {full:,} solves "
          f"-> {full / rate / 60:.1f} min at this rate")


if __name__ == "__main__":
    main()
