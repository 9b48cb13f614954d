"""``massdriver report DIR``: rebuild the plotted report of a ``massdriver solve --out DIR``.

Examples
--------
::

    massdriver report runs/leo              # figures (PNG) + report.html, refuses to overwrite
    massdriver report runs/leo --force --pdf
"""

from __future__ import annotations

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> None:
    """Register the ``report`` subcommand (imports nothing heavy)."""
    p = subparsers.add_parser(
        "report",
        help="rebuild the plotted report (figures + report.html) of a solve output directory",
        description=(
            "Read plan.json, scan.ecsv, windows.ecsv, best_trajectory.ecsv and mission.toml "
            "from DIR (the --out directory of 'massdriver solve') and write the figures "
            "(window_chart, speed_map, budget, trajectory, and with a [satellite] "
            "arrival_strategies and aerobraking; PNG, and PDF with --pdf) and "
            "report.html, one self-contained page with every image embedded. Nothing is "
            "recomputed: the report reads the saved results only."
        ),
    )
    p.add_argument("directory", metavar="DIR", help="output directory of 'massdriver solve'")
    p.add_argument("--force", action="store_true",
                   help="overwrite report files (figures, report.html) that exist in DIR")
    p.add_argument("--pdf", action="store_true", help="also write each figure as PDF")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object (the page and the files written)")
    p.set_defaults(run=run)


def run(args) -> int:
    """Write the report; returns the exit status (0)."""
    import sys

    from massdriver import report
    from massdriver.cli._common import emit_json

    formats = ("png", "pdf") if args.pdf else ("png",)
    path = report.write(args.directory, formats=formats, force=args.force)
    has_trajectory = (path.parent / "best_trajectory.ecsv").is_file()
    written = [name for name in report.output_names(formats, trajectory=has_trajectory)
               if (path.parent / name).is_file()]    # arrival figures only with a [satellite]
    if args.json:
        emit_json({"report": str(path), "files": written})
    else:
        sys.stdout.write(f"{path}\n")
    return 0
