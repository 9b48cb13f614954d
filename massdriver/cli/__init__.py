"""The ``massdriver`` command line: thin, it parses, calls the API and prints or writes.

Each subcommand is one module in this package with ``add_parser(subparsers)`` and ``run(args)``;
those modules import nothing heavy at module level so ``massdriver --help`` stays fast.
Every user error (:class:`massdriver.errors.MassdriverError`) becomes one line on stderr and exit
status 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["main", "build_parser", "SUBCOMMANDS"]

#: subcommand modules, in the order ``--help`` lists them
SUBCOMMANDS = ("aim", "solve", "windows", "shoot", "coilgun", "campaign", "throughput",
               "report", "export", "warmup")


def _version() -> str:
    from massdriver import __version__

    return __version__


class _Parser(argparse.ArgumentParser):
    """``argparse`` with one-line errors: ``massdriver CMD: error: ...`` and exit status 2.

    The stock parser prints the whole usage block before the message; here the message alone
    is printed, with a pointer to ``--help`` (subparsers inherit this class).
    """

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every available subcommand registered."""
    parser = _Parser(
        prog="massdriver",
        description=(
            "Launch windows and delta-v budgets for satellites fired from a lunar mass driver "
            "into Earth orbit."
        ),
        epilog="Run 'massdriver COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"massdriver {_version()}")
    parser.add_argument("--debug", action="store_true",
                        help="show a full traceback on errors (for bug reports)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:  # a subcommand not built yet
            if exc.name == f"{__name__}.{name}":
                continue
            raise
        module.add_parser(subparsers)
    return parser


def _one_line(message: object) -> str:
    """An error message on one line: control characters and line breaks escaped, cut at
    2000 characters (each value in it is already cut where it is formatted)."""
    from massdriver.safe_io import one_line

    return one_line(message, 2000)


def _one_line_cache_warnings(warnings) -> None:
    """Show the numba cache's warnings (``JitCacheWarning``) as ``massdriver: warning: ...``,
    one line each; other warnings keep Python's format."""
    original = warnings.showwarning
    if getattr(original, "_massdriver", False):
        return

    def show(message, category, filename, lineno, file=None, line=None):
        if category.__name__ == "JitCacheWarning":
            (file or sys.stderr).write(f"massdriver: warning: {_one_line(message)}\n")
            return
        original(message, category, filename, lineno, file, line)

    show._massdriver = True
    warnings.showwarning = show


class _ArgumentError(Exception):
    pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default: ``sys.argv[1:]``) and return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    import warnings

    from massdriver.errors import MassdriverError

    # ERFA flags UTC dates past the leap-second table as "dubious"; epochs are handled in TDB
    warnings.filterwarnings("ignore", message=".*dubious year.*")
    _one_line_cache_warnings(warnings)
    try:
        return int(args.run(args) or 0)
    except MassdriverError as exc:
        if args.debug:
            raise
        print(f"massdriver {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:      # unreadable input, unwritable output, full disk: not a bug
        if args.debug:
            raise
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        reason = exc.strerror or str(exc)
        print(f"massdriver {args.command}: error: {_one_line(where + reason)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("massdriver: interrupted", file=sys.stderr)
        return 130
