"""``massdriver solve CONFIG.toml --out DIR``: the main job (windows, budgets, files, report)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

OUTPUT_FILES = ["plan.json", "windows.ecsv", "scan.ecsv", "best_trajectory.ecsv",
                "mission.toml"]


def add_parser(subparsers) -> None:
    from massdriver.cli._common import add_output_options

    p = subparsers.add_parser(
        "solve", help="find launch windows and delta-v budgets for a mission file",
        description=(
            "Scan the mission's launch span, solve the exit speed of every shot, price the "
            "Earth arrival, refine the windows, and write plan.json, windows.ecsv, scan.ecsv, "
            "best_trajectory.ecsv and the report into --out."
        ))
    p.add_argument("config", help="mission TOML file (see examples/)")
    add_output_options(p, result="plan", report_help="skip the plotted report")
    p.set_defaults(run=run)


def _progress(quiet: bool):
    from massdriver.cli._common import progress_enabled

    if not progress_enabled(quiet):
        return None

    def show(done: int, total: int) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        sys.stderr.write(f"\rscan [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def solve_loaded(mission, quiet: bool):
    """Solve a validated :class:`massdriver.mission.MissionConfig`
    (:func:`massdriver.windows.solve_mission`, as ``windows`` does) with a progress bar."""
    from massdriver.windows import solve_mission

    return solve_mission(mission, progress=_progress(quiet))


def print_windows(plan, stream=None) -> None:
    """A short table of the windows."""
    stream = stream or sys.stdout
    if not plan.windows:
        stream.write(f"{plan.message}\n")
        return
    stream.write(f"{'open (UTC)':<20} {'close (UTC)':<20} {'best (UTC)':<20} {'branch':<10} "
                 f"{'speed':>8} {'tof':>6} {'incl':>6} {'total':>7}  strategy\n")
    stream.write(f"{'':<20} {'':<20} {'':<20} {'':<10} {'km/s':>8} {'d':>6} {'deg':>6} "
                 f"{'km/s':>7}\n")
    for w in plan.windows:
        stream.write(
            f"{w.open.utc.isot[:16]:<20} {w.close.utc.isot[:16]:<20} "
            f"{w.best_epoch.utc.isot[:16]:<20} {w.branch:<10} "
            f"{w.speed.to_value('km/s'):8.4f} {w.time_of_flight.to_value('day'):6.2f} "
            f"{w.perigee.inclination.to_value('deg'):6.2f} "
            f"{w.budget.total.to_value('km/s'):7.4f}  {w.budget.strategy}\n")


def run(args: argparse.Namespace) -> int:
    import json
    import shutil

    from massdriver.cli._common import emit_json, json_ready, prepare_output_dir
    from massdriver.config import load_mission

    out = Path(args.out)
    # a bad mission file creates nothing; then refuse before the (long) solve if files
    # (the report's included) would be overwritten
    mission = load_mission(args.config)
    names = list(OUTPUT_FILES)
    if not args.no_report:
        from massdriver.report import output_names

        names += [n for n in output_names() if n not in names]
    prepare_output_dir(out, names, args.force)
    plan = solve_loaded(mission, args.quiet)
    best = plan.best
    (out / "plan.json").write_text(json.dumps(json_ready(plan.to_dict()), indent=2,
                                              sort_keys=True, allow_nan=False) + "\n")
    plan.to_table().write(out / "windows.ecsv", format="ascii.ecsv", overwrite=True)
    plan.scan.to_table().write(out / "scan.ecsv", format="ascii.ecsv", overwrite=True)
    if best is not None:
        from massdriver.trajectory import shoot

        traj = shoot(mission.site, best.best_epoch, best.speed,
                     days=float(mission.search.max_flight_time.to_value("day")),
                     rtol=mission.search.rtol)
        traj.to_table().write(out / "best_trajectory.ecsv", format="ascii.ecsv",
                              overwrite=True)
    copy = out / "mission.toml"
    if not (copy.exists() and copy.samefile(args.config)):    # re-solving DIR/mission.toml
        shutil.copyfile(args.config, copy)
    if not args.no_report:
        from massdriver import report

        report.write(out, force=True)
    if args.json:
        emit_json(plan.to_dict())
    else:
        print_windows(plan)
        sys.stdout.write(f"wrote {out}/\n")
    return 0
