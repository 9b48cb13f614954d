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
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import dataclasses
    import math

    import astropy.units as u

    from massdriver.cli._common import emit_json
    from massdriver.cli.solve import _progress, print_windows
    from massdriver.config import MAX_SCAN_EPOCHS, load_mission, parse_epoch
    from massdriver.errors import InputError
    from massdriver.windows import solve

    mission = load_mission(args.config)
    search = mission.search
    if args.start is not None:
        try:
            search = dataclasses.replace(search, start=parse_epoch(args.start))
        except ValueError as exc:
            raise InputError(f"--from {args.start!r}: {exc}") from None
    if args.days is not None:
        if not (math.isfinite(args.days) and 0 < args.days <= 3660):
            raise InputError(f"--days {args.days}: must be in (0, 3660]")
        search = dataclasses.replace(search, span=args.days * u.day)
        n_epochs = int((search.span / search.step).to_value(u.one) + 1e-9) + 1
        if search.step > search.span:
            raise InputError(f"--days {args.days:g}: the span must not be shorter than the "
                             f"scan step ({search.step:g} in {args.config})")
        if n_epochs > MAX_SCAN_EPOCHS:
            raise InputError(f"--days {args.days:g}: {n_epochs} launch epochs at the scan step "
                             f"({search.step:g}); at most {MAX_SCAN_EPOCHS} are allowed")
    if args.start is not None or args.days is not None:
        from massdriver.ephemeris import Ephemeris

        cover = Ephemeris().coverage
        end = search.start + search.span + search.max_flight_time
        if search.start < cover.start or end > cover.stop:
            raise InputError(
                f"--from {search.start.utc.isot[:16]} UTC with a {search.span.to_value(u.day):g} d "
                f"span and {search.max_flight_time.to_value(u.day):g} d of flight leaves the "
                f"ephemeris ({cover.start.utc.isot[:10]} .. {cover.stop.utc.isot[:10]})")
    plan = solve(mission.site, mission.target, search.start, search.span,
                 threshold=search.threshold, launcher=mission.launcher, step=search.step,
                 rtol=search.rtol, max_flight_time=search.max_flight_time,
                 mid_course=mission.mid_course, mission=mission,
                 progress=_progress(args.quiet))
    if args.json:
        emit_json(plan.to_dict())
    else:
        print_windows(plan)
    return 0
