"""``massdriver warmup``: compile every numba kernel now (they are cached on disk)."""

from __future__ import annotations

import sys

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> None:
    """Register the ``warmup`` subcommand (imports nothing heavy)."""
    p = subparsers.add_parser(
        "warmup",
        help="compile all kernels ahead of use (numba on-disk cache)",
        description=(
            "Run tiny problems through every part of the API so that numba compiles its "
            "kernels and writes them to its on-disk cache (next to the installed sources, or "
            "under NUMBA_CACHE_DIR when set). Later runs then start in seconds. Per-step "
            "timings go to stderr."
        ),
    )
    p.add_argument("--quiet", action="store_true", help="print nothing")
    p.add_argument("--only", metavar="STEPS",
                   help="run only these steps, comma-separated (the names it prints, e.g. "
                        "twobody_budgets,arrival)")
    p.set_defaults(run=run)


def run(args) -> int:
    """Run ``massdriver warmup``."""
    from massdriver.warmup import cache_directories, cache_location, check_steps, warmup

    steps = None
    if args.only is not None:
        steps = [name.strip() for name in args.only.split(",") if name.strip()]
        check_steps(steps)          # an unknown step: one line (InputError), exit 2

    def report(name: str, seconds: float | None, note: str) -> None:
        if args.quiet:
            return
        shown = "   --  " if seconds is None else f"{seconds:6.1f} s"
        print(f"warmup {name:<16} {shown}  {note}", file=sys.stderr, flush=True)

    if not args.quiet:
        # the directories the imported kernels really use (they depend on which copy of the
        # package Python imported), not just the configured root
        where = ", ".join(cache_directories()) or cache_location()
        print(f"warmup: numba cache in {where}", file=sys.stderr, flush=True)
    timings = warmup(progress=report, steps=steps)
    if not args.quiet:
        print(f"warmup total {timings['total']:.1f} s", file=sys.stderr)
    return 0
