"""``massdriver aim MISSION.toml --out DIR``: which way to point the track (azimuth x elevation).

Writes ``grid.ecsv`` (every track of the grid), ``recommendations.json`` (the ranked tracks, the
definitions and the inputs), ``calendar.ecsv`` (the first recommendation's total per epoch), two
heatmaps (``duty_cycle.png``, ``median_delta_v.png``) and the windows calendar of the first
recommendation (``calendar.png``), and prints the ranked table. The mission's own azimuth and
elevation are ignored.

With ``--sites`` (catalogue, a list, or a near-side grid: :func:`massdriver.sites.parse_sites`)
it searches the tracks of every site instead of the mission's and writes ``sites.ecsv``,
``sites.json`` (per site, its best track's duty cycle and median delta-v) and ``site_map.png``.
"""

from __future__ import annotations

import argparse
import sys

#: partial results, appended as tracks finish; removed when the run completes
CHECKPOINT = "cells.jsonl"
OUTPUT_FILES = ["grid.ecsv", "recommendations.json", "calendar.ecsv", "duty_cycle.png",
                "median_delta_v.png", "calendar.png"]
SITE_FILES = ["sites.ecsv", "sites.json", "site_map.png"]


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "aim", help="search the track's azimuth and elevation for a mission's site and target",
        description=(
            "Scan a grid of track azimuths x elevations over a calendar (default one year from "
            "the mission's search start) for the mission's site and target; refine the best "
            "tracks with scipy; write grid.ecsv, recommendations.json and heatmaps into --out "
            "and print the ranked tracks."))
    p.add_argument("config", help="mission TOML file (its [site] azimuth/elevation are ignored)")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument("--azimuths", default="0:360:15", metavar="A:B:STEP",
                   help="azimuths in deg, start:stop:step (ends included; 360 = 0 dropped) "
                        "or a comma list (default 0:360:15)")
    p.add_argument("--elevations", default="0:45:15", metavar="A:B:STEP",
                   help="elevations in deg, as --azimuths (default 0:45:15)")
    p.add_argument("--horizon", default="365d", metavar="SPAN",
                   help="calendar scanned per track from the search start, e.g. 365d, 60d, "
                        "12h (default 365d)")
    p.add_argument("--step", default="6h", metavar="SPAN",
                   help="epoch spacing of the scan (default 6h)")
    p.add_argument("--refine", type=int, default=3, metavar="N",
                   help="refine the N best grid tracks with scipy (default 3; 0: none)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the scans on a Dask cluster (e.g. tcp://127.0.0.1:8786); the "
                        "results are identical to the in-process run")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted run in DIR: tracks recorded in "
                        "DIR/cells.jsonl are not scanned again")
    p.add_argument("--sites", metavar="SITES",
                   help="search these sites instead of the mission's: 'catalogue' (the "
                        "shipped sites), a list 'Apollo 15; 33 -16' (names or 'lat lon' in "
                        "deg), or a near-side grid 'grid:-60:60:30/-60:60:30' (lat/lon "
                        "START:STOP:STEP); writes sites.ecsv, sites.json, site_map.png")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--force", action="store_true", help="overwrite files in DIR")
    p.set_defaults(run=run)


def parse_span(text: str, option: str):
    """``"365d"``, ``"12h"``, ``"90min"`` or ``"30 d"`` as an astropy time Quantity."""
    import math
    import re

    import astropy.units as u

    from massdriver.errors import InputError

    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(d|day|days|h|hour|hours|"
                     r"min|s)\s*", str(text))
    if m is None:
        raise InputError(f"{option} {text!r}: give a time such as 365d, 12h or 90min")
    value = float(m.group(1))
    unit = {"d": u.day, "day": u.day, "days": u.day, "h": u.hour, "hour": u.hour,
            "hours": u.hour, "min": u.min, "s": u.s}[m.group(2)]
    if not (math.isfinite(value) and value > 0):
        raise InputError(f"{option} {text!r}: must be positive")
    return value * unit


def _progress(quiet: bool):
    from massdriver.cli._common import progress_enabled

    if not progress_enabled(quiet):
        return None

    def show(done: int, total: int) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        sys.stderr.write(f"\raim [{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
                         "speed solves")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def _num(value: float, fmt: str) -> str:
    import math

    return format(value, fmt) if math.isfinite(value) else "-"


def _edge_note(search, stream) -> None:
    """Say when the best grid track lies on the top (bottom) edge of the elevation grid: a
    steeper (shallower) track, outside the grid, may be better."""
    import numpy as np

    el = np.asarray(search.elevations_deg, dtype=float)
    grid = [r.stats for r in search.recommendations if r.source == "grid"]
    if el.size < 2 or not grid:
        return
    best = max(grid, key=lambda s: s.margin_km_s).elevation_deg
    if abs(best - el.max()) < 1e-9 and el.max() < 90.0:
        stream.write(f"note: the best grid track is at the top of --elevations "
                     f"({el.max():g} deg);\n      steeper tracks may be better: try --elevations "
                     f"0:{min(90.0, el.max() + 30.0):g}:15\n")
    elif abs(best - el.min()) < 1e-9 and el.min() > 0.0:
        stream.write(f"note: the best grid track is at the bottom of --elevations "
                     f"({el.min():g} deg); try lower elevations down to 0\n")


def print_recommendations(search, stream=None) -> None:
    """The ranked tracks, at most 100 columns wide, and the trade-off in words."""
    stream = stream or sys.stdout
    recs = search.recommendations
    if not recs:
        thr = search.inputs["threshold_km_s"]
        stream.write(f"no track of the grid opens a window under {thr:.3f} km/s in "
                     f"{search.inputs['horizon_days']:.0f} days.\nTry: widen the grid "
                     "(--azimuths, --elevations), raise [search] threshold, or widen "
                     "[launcher] speed_min/speed_max\n")
        return
    stream.write(f"{'#':>2} {'source':<7} {'az':>6} {'el':>5} {'duty':>6} {'win/mo':>6} "
                 f"{'min':>6} {'median':>6} {'p90':>6} {'speed':>11} {'tof':>9} cut\n")
    stream.write(f"{'':>2} {'':<7} {'deg':>6} {'deg':>5} {'%':>6} {'':>6} {'km/s':>6} "
                 f"{'km/s':>6} {'km/s':>6} {'km/s':>11} {'d':>9}\n")
    cut_any = False
    for r in recs:
        s = r.stats
        speed = f"{_num(s.speed_min_km_s, '.3f')}-{_num(s.speed_max_km_s, '.3f')}"
        tof = f"{_num(s.tof_min_days, '.1f')}-{_num(s.tof_max_days, '.1f')}"
        cut = ("<" if s.cut_start else "") + (">" if s.cut_end else "")
        cut_any = cut_any or bool(cut)
        stream.write(f"{r.rank:>2} {r.source:<7} {s.azimuth_deg:6.1f} {s.elevation_deg:5.1f} "
                     f"{100 * s.duty_cycle:6.2f} {s.windows_per_month:6.2f} "
                     f"{_num(s.total_min_km_s, '6.3f')} {_num(s.total_median_km_s, '6.3f')} "
                     f"{_num(s.total_p90_km_s, '6.3f')} {speed:>11} {tof:>9} {cut}\n")
    _edge_note(search, stream)
    cheap, avail = search.cheapest, search.most_available
    stream.write(f"ranked by the mean margin under the threshold: #1 "
                 f"({recs[0].source}) is the best compromise\n")
    stream.write("duty: % of scanned epochs with a total under the threshold\n"
                 "min/median/p90: totals at in-window epochs (no MCC, no dispersion margin)\n")
    if cut_any:
        stream.write(f"cut <: a window is open where the {search.inputs['horizon_days']:.0f}-day "
                     "horizon starts (>: where it ends): it is cut there,\n"
                     "       so its length and win/mo may differ on a longer horizon\n")
    if cheap is not None and avail is not None and cheap is not avail:
        c, a = cheap.stats, avail.stats
        stream.write(
            f"trade-off: #{cheap.rank} is cheapest (median {c.total_median_km_s:.3f} km/s, "
            f"open {100 * c.duty_cycle:.1f} % of the time);\n"
            f"           #{avail.rank} is most available (open {100 * a.duty_cycle:.1f} %, "
            f"median {a.total_median_km_s:.3f} km/s)\n")
    elif cheap is not None:
        stream.write(f"#{cheap.rank} is both the cheapest and the most available track\n")


def run(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from massdriver.aim import aim, parse_angle_range
    from massdriver.cli._common import json_ready, prepare_output_dir
    from massdriver.config import load_mission
    from massdriver.errors import InputError
    from massdriver.report.aim_plots import write_aim_figures

    azimuths = parse_angle_range(args.azimuths, "azimuths")
    elevations = parse_angle_range(args.elevations, "elevations")
    if elevations.min() < 0 or elevations.max() > 90:
        raise InputError(f"--elevations {args.elevations!r}: must lie in [0, 90] deg")
    horizon = parse_span(args.horizon, "--horizon")
    step = parse_span(args.step, "--step")
    if step > horizon:
        raise InputError(f"--step {args.step}: longer than --horizon {args.horizon}")
    if args.refine < 0:
        raise InputError(f"--refine {args.refine}: must be >= 0")
    mission = load_mission(args.config)
    if args.sites is not None:
        return run_sites(args, mission, azimuths, elevations, horizon, step)
    names = OUTPUT_FILES if args.resume else OUTPUT_FILES + [CHECKPOINT]
    out = prepare_output_dir(Path(args.out), names, args.force)
    checkpoint = out / CHECKPOINT
    if not args.resume and checkpoint.exists():        # --force: start over
        checkpoint.unlink()
    s = mission.search
    search = aim(mission.site, mission.target, s.start, horizon, azimuths=azimuths,
                 elevations=elevations, launcher=mission.launcher, threshold=s.threshold,
                 step=step, rtol=s.rtol, max_flight_time=s.max_flight_time, refine=args.refine,
                 checkpoint=checkpoint, scheduler=args.scheduler,
                 progress=_progress(args.quiet))
    search.to_table().write(out / "grid.ecsv", format="ascii.ecsv", overwrite=True)
    if search.recommendations:
        search.calendar_table().write(out / "calendar.ecsv", format="ascii.ecsv",
                                      overwrite=True)
    (out / "recommendations.json").write_text(
        json.dumps(json_ready(search.to_dict()), indent=2, sort_keys=True, allow_nan=False)
        + "\n")
    write_aim_figures(out)
    checkpoint.unlink()              # every result is in grid.ecsv now
    print_recommendations(search)
    sys.stdout.write(f"wrote {out}/\n")
    return 0


def run_sites(args, mission, azimuths, elevations, horizon, step) -> int:
    """``--sites``: the best track of each site (:func:`massdriver.sites.search_sites`)."""
    import json
    import math
    from pathlib import Path

    from massdriver.cli._common import json_ready, prepare_output_dir
    from massdriver.report.aim_plots import plot_site_map
    from massdriver.sites import parse_sites, search_sites

    sites = parse_sites(args.sites)
    out = prepare_output_dir(Path(args.out), SITE_FILES, args.force)
    s = mission.search
    bar = _progress(args.quiet)

    def show(done: int, total: int) -> None:
        if bar is not None:
            sys.stderr.write(f"\raim --sites: {done}/{total} sites")
            if done >= total:
                sys.stderr.write("\n")
            sys.stderr.flush()

    result = search_sites(sites, mission.target, s.start, horizon, launcher=mission.launcher,
                          threshold=s.threshold, azimuths=azimuths, elevations=elevations,
                          step=step, rtol=s.rtol, max_flight_time=s.max_flight_time,
                          height=mission.site.height, scheduler=args.scheduler,
                          progress=show)
    table = result.to_table()
    table.write(out / "sites.ecsv", format="ascii.ecsv", overwrite=True)
    (out / "sites.json").write_text(json.dumps(json_ready(result.to_dict()), indent=2,
                                               sort_keys=True, allow_nan=False) + "\n")
    fig = plot_site_map(table, title="best track per site (label: median total, km/s)\n"
                        f"{mission.target.describe()}")
    fig.savefig(out / "site_map.png", dpi=120)
    import matplotlib.pyplot as plt

    plt.close(fig)
    sys.stdout.write(f"{'site':<22} {'lat':>7} {'lon':>8} {'az':>6} {'el':>5} {'duty %':>7} "
                     f"{'median km/s':>11}\n")
    for r in sorted(result.results, key=lambda x: -x.margin_km_s):
        az = "-" if not math.isfinite(r.azimuth_deg) else f"{r.azimuth_deg:.1f}"
        el = "-" if not math.isfinite(r.elevation_deg) else f"{r.elevation_deg:.1f}"
        med = "-" if not math.isfinite(r.total_median_km_s) else f"{r.total_median_km_s:.3f}"
        sys.stdout.write(f"{r.site.name[:22]:<22} {r.site.lat_deg:7.2f} {r.site.lon_deg:8.2f} "
                         f"{az:>6} {el:>5} {100 * r.duty_cycle:7.2f} {med:>11}\n")
    sys.stdout.write("ranked by the mean margin under the threshold of each site's best track"
                     "\n")
    sys.stdout.write(f"wrote {out}/\n")
    return 0
