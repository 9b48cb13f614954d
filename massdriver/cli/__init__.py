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
from collections.abc import Callable, Sequence

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
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="log what the library does on stderr: -v steps (INFO), -vv "
                             "details (DEBUG)")
    parser.add_argument("--log-level", type=_log_level, metavar="LEVEL",
                        help="log level on stderr: debug, info, warning (default), error or "
                             "critical; overrides -v and a command's --quiet")
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


_LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


def _log_level(text: str) -> str:
    if text.lower() not in _LOG_LEVELS:
        raise argparse.ArgumentTypeError(
            f"invalid log level {text!r}: choose from {', '.join(_LOG_LEVELS)}")
    return text.lower()


def _configure_logging(args) -> Callable[[], None]:
    """Log records of ``massdriver.*`` to stderr as ``massdriver: LEVEL: message`` lines.

    Level: ``--log-level`` if given; else ``-v`` INFO, ``-vv`` DEBUG; else ERROR with a
    command's ``--quiet``; else WARNING. The handler writes to the ``sys.stderr`` of the moment
    (tests capture it). Returns the function that removes the handler again (:func:`main`
    calls it when the command ends, so a library caller's logging is left as it was).
    """
    import logging

    class Handler(logging.StreamHandler):
        @property
        def stream(self):
            return sys.stderr

        @stream.setter
        def stream(self, value):
            pass

    class Formatter(logging.Formatter):
        def format(self, record):
            text = record.getMessage()
            if record.exc_info:
                text += f" ({record.exc_info[1]!r})"
            return f"massdriver: {record.levelname.lower()}: {_one_line(text)}"

    if args.log_level:
        level = getattr(logging, args.log_level.upper())
    elif args.verbose:
        level = logging.INFO if args.verbose == 1 else logging.DEBUG
    elif getattr(args, "quiet", False):
        level = logging.ERROR
    else:
        level = logging.WARNING
    logger = logging.getLogger("massdriver")
    for old in [h for h in logger.handlers if getattr(h, "_massdriver_cli", False)]:
        logger.removeHandler(old)
    handler = Handler()
    handler._massdriver_cli = True
    handler.setFormatter(Formatter())
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(level)

    def restore() -> None:
        logger.removeHandler(handler)
        logger.setLevel(previous)

    return restore


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
    restore_logging = _configure_logging(args)
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
    finally:
        restore_logging()
