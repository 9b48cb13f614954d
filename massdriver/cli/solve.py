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
    p.add_argument("--export", metavar="LIST", default=None,
                   help="also write the best window's hand-off files, comma-separated among "
                        "oem, opm, spk, gmat (as 'massdriver export' with its defaults: 60 s "
                        "step, TDB), in the same transaction as the results")
    # arrival realism (docs/arrival.md)
    p.add_argument("--strategies", metavar="LIST",
                   help="arrival strategies to price with the [satellite]: comma-separated "
                        "from impulsive, finite_burn, multi_pass, aerobraking, aerocapture, "
                        "or all (default: the file's [arrival], else all)")
    p.add_argument("--choose-by", choices=("propellant", "delta-v"),
                   help="pick the arrival strategy of least propellant mass or delta-v")
    p.set_defaults(run=run)


def _progress(quiet: bool, label: str = "scan"):
    """A ``progress(done, total)`` bar on stderr named ``label`` (``None`` when quiet)."""
    from massdriver.cli._common import progress_enabled

    if not progress_enabled(quiet):
        return None

    def show(done: int, total: int) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def solve_loaded(mission, quiet: bool):
    """Solve a validated :class:`massdriver.mission.MissionConfig`
    (:func:`massdriver.windows.solve_mission`, as ``windows`` does) with a progress bar."""
    from massdriver.aim import solve_mission

    plan = solve_mission(mission, progress=_progress(quiet))
    say_track_choice(plan)
    return plan


def say_track_choice(plan) -> None:
    """``azimuth``/``elevation = "auto"``: the chosen track, one line on stderr."""
    info = plan.inputs.get("track_search")
    if info is not None:
        from massdriver.aim import describe_track_choice

        sys.stderr.write(describe_track_choice(info) + "\n")


_ARC = {"prograde": "pro", "retrograde": "retro"}


def print_windows(plan, stream=None) -> None:
    """A table of the windows, at most 100 columns wide, epochs rounded to the minute (UTC)
    as in the report; a window cut by the scan's start (end) is marked ``<`` (``>``)."""
    from massdriver.timescales import minute_text

    stream = stream or sys.stdout
    if not plan.windows:
        stream.write(f"{plan.message}\n")
        return
    stream.write(f"{'open (UTC)':<16} {'hours':>5}  {'best (UTC)':<16}  {'arc':<5} "
                 f"{'speed':>6} {'tof':>5} {'incl':>6} {'total':>6} {'cut':<3} strategy\n")
    stream.write(f"{'':<16} {'':>5}  {'':<16}  {'':<5} {'km/s':>6} {'d':>5} {'deg':>6} "
                 f"{'km/s':>6}\n")
    cut_any = False
    for w in plan.windows:
        cut = ("<" if w.truncated_start else "") + (">" if w.truncated_end else "")
        cut_any = cut_any or bool(cut)
        stream.write(
            f"{minute_text(w.open.utc):<16} {w.duration.to_value('hour'):5.1f}  "
            f"{minute_text(w.best_epoch.utc):<16}  {_ARC[w.branch]:<5} "
            f"{w.speed.to_value('km/s'):6.4f} {w.time_of_flight.to_value('day'):5.2f} "
            f"{w.perigee.inclination.to_value('deg'):6.2f} "
            f"{w.budget.total.to_value('km/s'):6.4f} {cut:<3} {w.budget.strategy}\n")
    stream.write("arc: prograde / retrograde arrival; hours: open to close\n")
    if all(w.arrival is not None for w in plan.windows):
        from massdriver.arrival import comparison_lines

        for w in plan.windows:
            stream.write("\n".join(comparison_lines(w)) + "\n")
        stream.write("*: chosen; km/s and kg: whole budget (MCC, plane change and margin "
                     "included)\n")
    if cut_any:
        stream.write("cut <: still open where the scan starts (>: ends), after following the "
                     "window past the span\n     by its own length: it may be longer\n")


def _write_exports(txn, plan, formats) -> None:
    """The best window's export files (``--export``) into the run's staging directory."""
    from massdriver import export

    (case,) = export.cases_from_plan(plan)
    for fmt in formats:
        name = export.file_name(case, fmt)
        with txn.file_errors(name):
            export.write_case_file(case, fmt, txn.path(name))


def output_names() -> list[str]:
    """Every file ``solve`` may write into --out (results, report figures in both formats,
    page); those a run does not write are removed from --out as an earlier run's."""
    from massdriver.report import output_names as report_names

    return OUTPUT_FILES + [n for n in report_names(("png", "pdf")) if n not in OUTPUT_FILES]


def run(args: argparse.Namespace) -> int:
    from massdriver import background_compile as bc

    # on a cold numba cache the kernels the solve links compile on a second core meanwhile;
    # started before the package loads and the mission is checked, ended once solved
    child = bc.start_background(bc.mission_file_steps(args.config))
    try:
        return _run(args, child)
    finally:
        bc.stop_background(child)


def _run(args: argparse.Namespace, child) -> int:
    import json

    from massdriver.background_compile import stop_background
    from massdriver.cli._common import emit_json, json_ready
    from massdriver.config import load_mission
    from massdriver.outputs import OutputDirectory
    from massdriver.safe_io import read_limited

    out = Path(args.out)
    # a bad mission file (or --export list) creates nothing; then the output directory is
    # locked and checked (existing files need --force) before the (long) solve; the files
    # appear at the end, all together, or not at all
    export_formats: tuple[str, ...] = ()
    export_patterns: list[str] = []
    if args.export is not None:
        from massdriver import export

        export_formats = export.parse_formats(args.export)
        # every format an export may write is declared, so an earlier run's export files
        # are checked (--force) and removed when this run writes other ones or none
        export_patterns = export.patterns()
    from massdriver.arrival import with_cli_choices

    mission = with_cli_choices(load_mission(args.config), args.strategies, args.choose_by)
    mission_bytes = read_limited(args.config)
    with OutputDirectory(args.out, output_names(), force=args.force, command="solve",
                         patterns=export_patterns,
                         same_input=("mission.toml", mission_bytes)) as txn:
        plan = solve_loaded(mission, args.quiet)
        stop_background(child)          # nothing left for it: writing and drawing follow
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

            traj = shoot(plan.mission.site, best.best_epoch, best.speed,
                         days=float(mission.search.max_flight_time.to_value("day")),
                         rtol=mission.search.rtol)
            with txn.file_errors("best_trajectory.ecsv"):
                traj.to_table().write(txn.path("best_trajectory.ecsv"), format="ascii.ecsv")
        with txn.file_errors("mission.toml"):
            txn.write_bytes("mission.toml", mission_bytes)
        if export_formats and best is not None:
            _write_exports(txn, plan, export_formats)
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
