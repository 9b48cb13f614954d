"""Small helpers shared by the subcommands (no heavy imports here)."""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["emit_json", "json_ready", "fail", "progress_enabled", "prepare_output_dir",
           "check_writable", "add_output_options", "add_scheduler_option", "PLOT_FORMATS",
           "check_plot_path", "save_plot"]

#: figure formats of ``--plot FILE`` (the format follows the file's suffix)
PLOT_FORMATS = ("png", "pdf", "svg")


def json_ready(obj: Any) -> Any:
    """Convert numpy scalars/arrays and nested containers to plain JSON types.

    Non-finite floats are refused (they must never reach an output): a ``ValueError`` names the
    offending key path.
    """
    return _convert(obj, "$")


def _convert(obj: Any, path: str) -> Any:
    if isinstance(obj, dict):
        return {str(k): _convert(v, f"{path}.{k}") for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_convert(v, f"{path}[{i}]") for i, v in enumerate(obj)]
    if hasattr(obj, "tolist") and not isinstance(obj, (str, bytes)):
        return _convert(obj.tolist(), path)
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int):
        return obj
    if isinstance(obj, float):
        if not math.isfinite(obj):
            raise ValueError(f"non-finite number at {path}: {obj!r}")
        return obj
    return str(obj)


def emit_json(obj: Any, stream=None) -> None:
    """Print ``obj`` as one JSON object on stdout (sorted keys, no NaN allowed)."""
    stream = stream or sys.stdout
    stream.write(json.dumps(json_ready(obj), indent=2, sort_keys=True, allow_nan=False) + "\n")


def fail(message: str) -> None:
    """Raise the user-facing error the CLI turns into one line and exit status 2."""
    from massdriver.errors import InputError

    raise InputError(message)


def progress_enabled(quiet: bool) -> bool:
    """A progress bar is shown only on a terminal and when not ``--quiet``."""
    return (not quiet) and sys.stderr.isatty() and os.environ.get("CI") is None


def check_writable(path: str | os.PathLike, force: bool) -> Path:
    """Return ``Path(path)``; refuse, before anything is computed, a path that cannot be
    written: an existing entry (file or symlink, dangling or not) unless ``force``, a
    directory, a read-only file, a missing or unwritable parent, an empty name
    (:func:`massdriver.outputs.check_output_file`)."""
    from massdriver.outputs import check_output_file

    return check_output_file(path, force)


def check_plot_path(path: str | os.PathLike, force: bool) -> Path:
    """:func:`check_writable` for a figure: the suffix must also be one of
    :data:`PLOT_FORMATS` (the format written follows it)."""
    from massdriver.outputs import check_output_file

    return check_output_file(path, force, formats=PLOT_FORMATS)


def save_plot(fig, path: str | os.PathLike, force: bool, *, dpi: float = 120) -> Path:
    """Write ``fig`` to ``path`` in the format its suffix names, atomically (a temporary
    beside it renamed over it: a symlink there is replaced, never written through)."""
    from massdriver.outputs import write_file

    p = check_plot_path(path, force)
    fmt = p.suffix.lower().lstrip(".")
    metadata = {"pdf": {"CreationDate": None}, "svg": {"Date": None}}.get(fmt)
    return write_file(p, force, lambda f: fig.savefig(f, format=fmt, dpi=dpi,
                                                      metadata=metadata))


def prepare_output_dir(path: str | os.PathLike, names: list[str], force: bool) -> Path:
    """Create ``path`` if needed and check none of ``names`` inside it exists (unless ``force``).

    Every output file name is confined to the directory (no separators, no ``..``).
    """
    from massdriver.errors import InputError, OutputExistsError

    out = Path(path)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} exists and is not a directory")
    clashes = []
    for name in names:
        if Path(name).name != name or name in ("", ".", ".."):
            raise InputError(f"output name {name!r} would leave the output directory")
        if (out / name).exists():
            clashes.append(name)
    if clashes and not force:
        raise OutputExistsError(
            f"{out} already holds {', '.join(clashes)}; pass --force to overwrite"
        )
    out.mkdir(parents=True, exist_ok=True)
    return out


def add_output_options(parser, *, result: str, report_help: str) -> None:
    """The options of a job that writes a directory: ``--out``, ``--json`` (printing the
    ``result``), ``--quiet``, ``--force`` and ``--no-report`` (help ``report_help``)."""
    parser.add_argument("--out", required=True, metavar="DIR", help="output directory")
    parser.add_argument("--json", action="store_true",
                        help=f"print the {result} as one JSON object")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--force", action="store_true", help="overwrite files in DIR")
    parser.add_argument("--no-report", action="store_true", help=report_help)


def add_scheduler_option(parser, *, what: str) -> None:
    """``--scheduler ADDRESS``: run the job's tasks on a Dask cluster (``what`` says which,
    e.g. ``"price and schedule there"``)."""
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help=f"Dask scheduler address (e.g. tcp://127.0.0.1:8786): {what} "
                             "(needs the [distributed] extra)")
