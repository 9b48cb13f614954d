"""Small helpers shared by the subcommands (no heavy imports here)."""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["emit_json", "json_ready", "fail", "progress_enabled", "prepare_output_dir",
           "check_writable", "add_output_options"]


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
    """Return ``Path(path)``; refuse to overwrite an existing file unless ``force``."""
    from massdriver.errors import OutputExistsError

    p = Path(path)
    if p.exists() and not force:
        raise OutputExistsError(f"{p} exists; pass --force to overwrite it")
    if p.exists() and p.is_dir():
        raise OutputExistsError(f"{p} is a directory, expected a file path")
    return p


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
