"""``massdriver windows CONFIG.toml``: the window scan alone (no files written)."""

from __future__ import annotations

import argparse


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "windows", help="scan a mission's span for launch windows (prints, writes nothing)",
        description="Scan for launch windows of a mission file; --from/--days override its span.")
    p.add_argument("config", help="mission TOML file")
    p.add_argument("--from", dest="start", metavar="ISO_UTC", help="first launch epoch (UTC)")
    p.add_argument("--days", type=float, help="length of the scan, days")
    p.add_argument("--json", action="store_true", help="print the plan as one JSON object")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    # arrival realism (docs/arrival.md)
    p.add_argument("--strategies", metavar="LIST",
                   help="arrival strategies to price with the [satellite]: comma-separated "
                        "from impulsive, finite_burn, multi_pass, aerobraking, aerocapture, "
                        "or all (default: the file's [arrival], else all)")
    p.add_argument("--choose-by", choices=("propellant", "delta-v"),
                   help="pick the arrival strategy of least propellant mass or delta-v")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import dataclasses
    import math

    import astropy.units as u

    from massdriver.aim import solve_mission
    from massdriver.arrival import with_cli_choices
    from massdriver.background_compile import compiling_beside, solve_steps
    from massdriver.cli._common import emit_json
    from massdriver.cli.solve import _progress, print_windows, say_track_choice
    from massdriver.config import load_mission, parse_epoch
    from massdriver.errors import InputError

    mission = with_cli_choices(load_mission(args.config), args.strategies, args.choose_by)
    search = mission.search
    overrides: dict = {}
    if args.start is not None:
        try:
            overrides["start"] = parse_epoch(args.start)
        except ValueError as exc:
            raise InputError(f"--from {args.start!r}: {exc}") from None
    if args.days is not None:
        if not math.isfinite(args.days):
            raise InputError(f"--days {args.days}: must be a finite number of days")
        overrides["span"] = args.days * u.day
    if overrides:
        # SearchSpec checks the new span and start (bounds, epoch count, ephemeris coverage)
        try:
            search = dataclasses.replace(search, **overrides)
        except InputError as exc:
            if exc.field == "step" and overrides.get("span", search.span) < search.step:
                reason = (f"the span must not be shorter than the scan step ({search.step:g} "
                          f"in {args.config})")
            else:
                reason = exc.reason or str(exc)
            if exc.field in ("span", "step") and args.days is not None:
                flag = f"--days {args.days:g}"
            else:
                flag = f"--from {args.start}"
            raise InputError(f"{flag}: {reason}") from None
        mission = dataclasses.replace(mission, search=search)
    with compiling_beside(solve_steps(mission)):     # on a cold cache, on a second core
        plan = solve_mission(mission, progress=_progress(args.quiet))
    say_track_choice(plan)
    if args.json:
        emit_json(plan.to_dict())
    else:
        print_windows(plan)
    return 0
