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


def solve_mission(config: str, quiet: bool):
    """Load a mission file and solve it (shared by ``solve`` and ``windows``)."""
    from massdriver.config import load_mission

    mission = load_mission(config)
    return mission, solve_loaded(mission, quiet)


def solve_loaded(mission, quiet: bool):
    """Solve a validated :class:`massdriver.config.MissionConfig`."""
    from massdriver.windows import solve

    s = mission.search
    return solve(
        mission.site, mission.target, s.start, s.span, threshold=s.threshold,
        launcher=mission.launcher, step=s.step, rtol=s.rtol, max_flight_time=s.max_flight_time,
        mid_course=mission.mid_course, mission=mission, progress=_progress(quiet))


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


def output_names() -> list[str]:
    """Every file ``solve`` may write into --out (results, report figures in both formats,
    page); those a run does not write are removed from --out as an earlier run's."""
    from massdriver.report import output_names as report_names

    return OUTPUT_FILES + [n for n in report_names(("png", "pdf")) if n not in OUTPUT_FILES]


def run(args: argparse.Namespace) -> int:
    import json

    from massdriver.cli._common import emit_json, json_ready
    from massdriver.config import load_mission
    from massdriver.outputs import OutputDirectory
    from massdriver.safe_io import read_limited

    out = Path(args.out)
    # a bad mission file creates nothing; then the output directory is locked and checked
    # (existing files need --force) before the (long) solve; the files appear at the end,
    # all together, or not at all
    mission = load_mission(args.config)
    mission_bytes = read_limited(args.config)
    with OutputDirectory(args.out, output_names(), force=args.force, command="solve") as txn:
        plan = solve_loaded(mission, args.quiet)
        best = plan.best
        with txn.file_errors("plan.json"):
            txn.write_text("plan.json", json.dumps(json_ready(plan.to_dict()), indent=2,
                                                   sort_keys=True, allow_nan=False) + "\n")
        with txn.file_errors("windows.ecsv"):
            plan.to_table().write(txn.path("windows.ecsv"), format="ascii.ecsv")
        with txn.file_errors("scan.ecsv"):
            plan.scan.to_table().write(txn.path("scan.ecsv"), format="ascii.ecsv")
        if best is not None:
            from massdriver.trajectory import shoot

            traj = shoot(mission.site, best.best_epoch, best.speed,
                         days=float(mission.search.max_flight_time.to_value("day")),
                         rtol=mission.search.rtol)
            with txn.file_errors("best_trajectory.ecsv"):
                traj.to_table().write(txn.path("best_trajectory.ecsv"), format="ascii.ecsv")
        with txn.file_errors("mission.toml"):
            txn.write_bytes("mission.toml", mission_bytes)
        if not args.no_report:
            from massdriver import report

            with txn.file_errors("report.html"):
                report.write_into(txn.staging, txn.staging, directory=out)
        txn.commit()
    if args.json:
        emit_json(plan.to_dict())
    else:
        print_windows(plan)
        sys.stdout.write(f"wrote {out}/\n")
    return 0
