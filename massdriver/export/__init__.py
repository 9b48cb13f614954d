"""Hand-off to trusted tools: CCSDS OEM/OPM, SPICE SPK, GMAT scripts, poliastro objects.

From a solved run directory (:func:`export_run`, the ``massdriver export DIR`` command) or from
the library objects (:func:`cases_from_plan`), for the best window or every window:

``oem``
    ``window_N.oem``: CCSDS OEM 2.0 (KVN) of the coast, Earth-centred ICRF, TDB or UTC, sampled
    from the integrator's dense output at ``step`` (:mod:`massdriver.export.ccsds`).
``opm``
    ``window_N.opm``: CCSDS OPM 2.0 with the launch state and the burns as maneuver blocks.
``spk``
    ``window_N.bsp``: SPICE SPK type 13 (Hermite) relative to the Earth, frame ``J2000``
    (:mod:`massdriver.export.spk`, needs ``spiceypy``).
``gmat``
    ``window_N.script``: a GMAT mission script (:mod:`massdriver.export.gmat`).

and, in Python, the boinor ``Orbit`` at arrival and the insertion ``Maneuver``
(:mod:`massdriver.export.orbits`). Every file is written to a temporary name in the target
directory and moved into place; nothing is overwritten unless ``force``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from massdriver.errors import InputError, OutputExistsError
from massdriver.export import ccsds
from massdriver.export.cases import (
    DEFAULT_ISP,
    DEFAULT_STEP,
    Burn,
    ExportCase,
    case_from_window,
    cases_from_plan,
    cases_from_run,
    read_run,
    select_windows,
)

__all__ = ["FORMATS", "EXTENSIONS", "Burn", "ExportCase", "case_from_window", "cases_from_plan",
           "cases_from_run", "export_cases", "export_run", "output_names", "write_case_file",
           "file_name", "patterns", "parse_formats", "DEFAULT_STEP", "DEFAULT_ISP"]

#: export formats, in the order they are written
FORMATS = ("oem", "opm", "spk", "gmat")
EXTENSIONS = {"oem": ".oem", "opm": ".opm", "spk": ".bsp", "gmat": ".script"}


def _formats(formats) -> tuple[str, ...]:
    if isinstance(formats, str):
        formats = [f for f in formats.split(",")]
    out = []
    for f in formats:
        name = str(f).strip().lower()
        if name not in FORMATS:
            raise InputError(f"format {f!r}: must be among {', '.join(FORMATS)}")
        if name not in out:
            out.append(name)
    if not out:
        raise InputError(f"no format given: choose among {', '.join(FORMATS)}")
    return tuple(out)


def parse_formats(formats) -> tuple[str, ...]:
    """The formats of a comma-separated list or a sequence, checked (:class:`InputError`)."""
    return _formats(formats)


def output_names(indices, formats=FORMATS) -> list[str]:
    """File names written for the windows ``indices`` (0-based) in ``formats``."""
    return [f"window_{i + 1}{EXTENSIONS[f]}" for i in indices for f in _formats(formats)]


def _check_clashes(out: Path, names: list[str], force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} exists and is not a directory")
    clashes = [n for n in names if (out / n).exists()]
    if clashes and not force:
        raise OutputExistsError(f"{out} already holds {', '.join(clashes)}; pass --force to "
                                "overwrite")


def _write_atomic(path: Path, writer) -> None:
    """``writer(tmp_path)`` writes a new file; it then replaces ``path`` in one rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.remove(tmp)               # SPICE's spkopn refuses an existing file
    try:
        writer(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def export_cases(cases, out_dir: str | os.PathLike, *, formats=FORMATS,
                 time_system: str = "TDB", naif_id: int | None = None,
                 force: bool = False) -> list[Path]:
    """Write the files of ``cases`` into ``out_dir``.

    Parameters
    ----------
    cases : sequence of ExportCase
    out_dir : path
        Created if missing.
    formats : str or sequence of str
        Among :data:`FORMATS` (a comma-separated string is accepted).
    time_system : {"TDB", "UTC"}
        Of the OEM and OPM epochs (the SPK is TDB, the GMAT script ``TDBModJulian``).
    naif_id : int, optional
        Spacecraft NAIF id of the SPK (negative; default
        :data:`massdriver.export.spk.DEFAULT_NAIF_ID`).
    force : bool
        Overwrite existing files.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    fmts = _formats(formats)
    ts = ccsds._check_time_system(time_system)
    if "spk" in fmts:
        from massdriver.export import spk

        spk.check_naif_id(  # before any file is written
            spk.DEFAULT_NAIF_ID if naif_id is None else naif_id)
    out = Path(out_dir)
    names = output_names([c.index for c in cases], fmts)
    _check_clashes(out, names, force)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for case in cases:
        for f in fmts:
            path = out / f"{case.name}{EXTENSIONS[f]}"
            _write_atomic(path, lambda p, c=case, f=f: write_case_file(
                c, f, p, time_system=ts, naif_id=naif_id))
            written.append(path)
    return written


def file_name(case, fmt: str) -> str:
    """The file name of ``case`` in format ``fmt`` (``window_N.oem``...)."""
    return f"{case.name}{EXTENSIONS[_formats([fmt])[0]]}"


def patterns(formats=FORMATS) -> list[str]:
    """Shell patterns of every file name an export in ``formats`` may write (``window_*.oem``),
    for :class:`massdriver.outputs.OutputDirectory` (``solve --export``)."""
    return [f"window_*{EXTENSIONS[f]}" for f in _formats(formats)]


def write_case_file(case, fmt: str, path: str | os.PathLike, *, time_system: str = "TDB",
                    naif_id: int | None = None) -> None:
    """Write one file of ``case`` in format ``fmt`` to the new file ``path``.

    Parameters
    ----------
    case : ExportCase
    fmt : {"oem", "opm", "spk", "gmat"}
    path : path
        Must not exist (SPICE refuses to write over a file).
    time_system, naif_id
        As in :func:`export_cases`.
    """
    (f,) = _formats([fmt])
    path = Path(path)
    if f == "oem":
        path.write_text(ccsds.oem_text(case, time_system=time_system))
    elif f == "opm":
        path.write_text(ccsds.opm_text(case, time_system=time_system))
    elif f == "spk":
        from massdriver.export import spk

        nid = spk.check_naif_id(spk.DEFAULT_NAIF_ID if naif_id is None else naif_id)
        spk.write_spk(path, [case], naif_id=nid)
    else:
        from massdriver.export.gmat import gmat_script

        path.write_text(gmat_script(case))


def export_run(run_dir: str | os.PathLike, *, out_dir: str | os.PathLike | None = None,
               formats=FORMATS, step=DEFAULT_STEP, time_system: str = "TDB",
               all_windows: bool = False, naif_id: int | None = None, isp=DEFAULT_ISP,
               force: bool = False, ephemeris=None) -> list[Path]:
    """Export a solved run directory (``massdriver export DIR``).

    The output names are checked before any shot is fired again, so a refusal costs nothing.

    Parameters
    ----------
    run_dir : path
        ``--out`` directory of ``massdriver solve`` (``plan.json``, ``mission.toml``).
    out_dir : path, optional
        Where to write (default ``run_dir``).
    formats, time_system, naif_id, force
        As in :func:`export_cases`.
    step : Quantity or float
        Sampling step of the OEM/SPK (s).
    all_windows : bool
        Every window (default the best).
    isp : Quantity or float
        Specific impulse for the burns' propellant mass (s).

    Returns
    -------
    list of pathlib.Path
    """
    fmts = _formats(formats)
    ccsds._check_time_system(time_system)
    windows, _ = read_run(run_dir)
    idx = select_windows(windows, all_windows)
    out = Path(run_dir if out_dir is None else out_dir)
    _check_clashes(out, output_names(idx, fmts), force)
    cases = cases_from_run(run_dir, all_windows=all_windows, step=step, isp=isp,
                           ephemeris=ephemeris)
    return export_cases(cases, out, formats=fmts, time_system=time_system, naif_id=naif_id,
                        force=force)
