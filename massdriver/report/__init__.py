"""The plotted report of a solved mission, rebuilt from the files of its output directory.

``massdriver solve CONFIG --out DIR`` writes ``plan.json``, ``windows.ecsv``, ``scan.ecsv``,
``best_trajectory.ecsv`` and ``mission.toml`` into ``DIR``; :func:`write` reads them back and
adds the figures (PNG, optionally PDF) and ``report.html``, one self-contained page (images
embedded as data URIs, no external CSS or JavaScript). The report reads results only: it never
integrates a trajectory or evaluates an ephemeris, so it can be rebuilt anywhere from the files.

Modules: :mod:`~massdriver.report.plots` (the mission figures), :mod:`~massdriver.report.html`
(the page), :mod:`~massdriver.report.trajectory_plots` (one coast, used by ``massdriver shoot``).
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["write", "write_into", "read_results", "figures", "ReportInputs", "FIGURES",
           "ARRIVAL_FIGURES", "REPORT_HTML", "RESULT_FILES", "output_names", "figure_files",
           "THROUGHPUT_FIGURES"]

#: the page's file name
REPORT_HTML = "report.html"
#: figure file stems, in the order the page shows them
FIGURES = ("window_chart", "speed_map", "budget", "trajectory")
#: figures of the arrival strategies, drawn after :data:`FIGURES` when the plan priced them (a
#: mission with a ``[satellite]``, docs/arrival.md)
ARRIVAL_FIGURES = ("arrival_strategies", "aerobraking")
_FORMATS = ("png", "pdf")
#: figure file stems of ``massdriver throughput`` (:mod:`massdriver.report.throughput_plots`)
THROUGHPUT_FIGURES = ("tonnes_per_month", "firing_calendar", "binding_constraint",
                      "energy_propellant", "delta_v")


@dataclass(frozen=True)
class ReportInputs:
    """What a report is drawn from (the files of one ``massdriver solve`` output directory).

    Attributes
    ----------
    directory : pathlib.Path
    plan : dict
        ``plan.json`` (:meth:`massdriver.windows.Plan.to_dict`).
    scan : astropy.table.QTable
        ``scan.ecsv`` (:meth:`massdriver.windows.ScanResult.to_table`).
    windows : astropy.table.QTable or None
        ``windows.ecsv`` (:meth:`massdriver.windows.Plan.to_table`), when present.
    trajectory : astropy.table.QTable or None
        ``best_trajectory.ecsv`` (:meth:`massdriver.trajectory.Trajectory.to_table`), when
        present (there is none without a window).
    mission_text : str or None
        ``mission.toml`` as written by the user.
    missing : tuple of str
        Optional files that were not found.
    """

    directory: Path
    plan: dict
    scan: Any
    windows: Any = None
    trajectory: Any = None
    mission_text: str | None = None
    missing: tuple[str, ...] = field(default=())

    @property
    def threshold_km_s(self) -> float:
        """The window threshold (km/s) from ``plan.json``."""
        return float(self.plan["inputs"]["threshold_km_s"])

    @property
    def best_window(self) -> dict | None:
        """The window of ``plan.json`` with the lowest total (``None`` without windows)."""
        windows = self.plan.get("windows") or []
        if not windows:
            return None
        return min(windows, key=lambda w: float(w["budget"]["total_km_s"]))

    @property
    def target_radius_km(self) -> float | None:
        """Target perigee radius (km): ``inputs.target_perigee_radius_km`` when the plan states
        it, else the perigee radius of the best window (the speed solve puts it there)."""
        inputs = self.plan.get("inputs", {})
        if "target_perigee_radius_km" in inputs:
            return float(inputs["target_perigee_radius_km"])
        best = self.best_window
        if best is not None and "perigee" in best:
            return float(best["perigee"]["radius_km"])
        return None


#: the files of a ``massdriver solve`` run the report is drawn from
RESULT_FILES = ("plan.json", "scan.ecsv", "windows.ecsv", "best_trajectory.ecsv", "mission.toml")


def read_results(out_dir: str | os.PathLike, *, verify: bool = True) -> ReportInputs:
    """Read the files of a ``massdriver solve --out DIR`` directory.

    ``plan.json`` and ``scan.ecsv`` are required; ``windows.ecsv``, ``best_trajectory.ecsv``
    and ``mission.toml`` are used when present.

    Parameters
    ----------
    out_dir : str or os.PathLike
    verify : bool
        Check the files against the directory's ``manifest.json`` first
        (:func:`massdriver.outputs.verify_directory`): files of different runs, or changed
        since, are refused.

    Raises
    ------
    massdriver.errors.InputError
        ``out_dir`` is not a directory, a required file is missing, the files do not belong
        together, or a file cannot be read.
    """
    import numpy as np
    from astropy.table import QTable

    from massdriver.errors import InputError

    d = Path(out_dir)
    if not d.is_dir():
        raise InputError(f"{d} is not a directory (expected the --out DIR of massdriver solve)")
    for name in ("plan.json", "scan.ecsv"):
        if not (d / name).is_file():
            raise InputError(f"{d} has no {name}: run 'massdriver solve CONFIG --out {d}' first")
    if verify:
        from massdriver.outputs import verify_directory

        verify_directory(d, required=("plan.json", "scan.ecsv"), also=RESULT_FILES)
    from massdriver.safe_io import one_line, read_limited

    try:
        plan = json.loads(read_limited(d / "plan.json", _JSON_LIMIT).decode("utf-8"),
                          parse_constant=_refuse_constant)
    except (OSError, ValueError, RecursionError) as exc:
        raise InputError(f"{d / 'plan.json'}: cannot read it as JSON ({one_line(exc)})") \
            from None
    if not isinstance(plan, dict) or not isinstance(plan.get("inputs"), dict) or \
            "threshold_km_s" not in plan["inputs"]:
        raise InputError(f"{d / 'plan.json'}: not a massdriver plan (no inputs.threshold_km_s)")
    _check_plan(plan, d / "plan.json")

    def table(name: str):
        try:
            lines = read_limited(d / name, _ECSV_LIMIT).decode("utf-8").splitlines()
            t = QTable.read(lines, format="ascii.ecsv")
        except Exception as exc:  # astropy raises many types for a malformed file
            raise InputError(f"{d / name}: cannot read it as ECSV ({one_line(exc)})") \
                from None
        for key in t.colnames:    # missing values (unsolved scan rows) are masked in the file
            col = t[key]
            kind = getattr(getattr(col, "dtype", None), "kind", "")
            if kind == "f" and getattr(col, "mask", None) is not None:
                t[key] = col.filled(np.nan)
        return t

    scan = table("scan.ecsv")
    missing = []
    windows = trajectory = mission = None
    if (d / "windows.ecsv").is_file():
        windows = table("windows.ecsv")
    else:
        missing.append("windows.ecsv")
    if (d / "best_trajectory.ecsv").is_file():
        trajectory = table("best_trajectory.ecsv")
    else:
        missing.append("best_trajectory.ecsv")
    if (d / "mission.toml").is_file():
        mission = read_limited(d / "mission.toml").decode("utf-8", errors="replace")
    else:
        missing.append("mission.toml")
    return ReportInputs(directory=d, plan=plan, scan=scan, windows=windows,
                        trajectory=trajectory, mission_text=mission, missing=tuple(missing))


_JSON_LIMIT = 256 << 20
_ECSV_LIMIT = 1 << 30


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a number a massdriver plan holds")


def _check_plan(plan: dict, where: Path) -> None:
    """Refuse a ``plan.json`` whose fields the report reads have the wrong type (one line).

    Python's ``json`` accepts NaN and Infinity: they are refused while parsing. Each window
    needs its epochs as ISO strings, finite numbers for speed, time of flight and the budget
    total, and tables (or null) where tables belong.
    """
    import re

    from massdriver.errors import InputError
    from massdriver.safe_io import one_line

    def bad(path: str, value, what: str):
        raise InputError(f"{where}: {path} = {one_line(json.dumps(value), 60)}: expected "
                         f"{what} (the file is not what massdriver solve writes)")

    def number(path, value, *, positive=False):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            bad(path, value, "a number")
        if positive and not value > 0:
            bad(path, value, "a number > 0")

    iso = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
    inputs = plan["inputs"]
    number("inputs.threshold_km_s", inputs["threshold_km_s"], positive=True)
    if "target_perigee_radius_km" in inputs:
        number("inputs.target_perigee_radius_km", inputs["target_perigee_radius_km"],
               positive=True)
    if "site" in inputs and not isinstance(inputs["site"], dict):
        bad("inputs.site", inputs["site"], "a table")
    for key in ("message", "massdriver_version"):
        if plan.get(key) is not None and not isinstance(plan[key], str):
            bad(key, plan[key], "a string")
    windows = plan.get("windows")
    if windows is None:
        return
    if not isinstance(windows, list):
        bad("windows", windows, "a list")
    for i, w in enumerate(windows):
        at = f"windows[{i}]"
        if not isinstance(w, dict):
            bad(at, w, "a table")
        for key in ("open_utc", "close_utc", "best_utc"):
            if not isinstance(w.get(key), str) or not iso.match(w[key]):
                bad(f"{at}.{key}", w.get(key), "an ISO time 'YYYY-MM-DDThh:mm...'")
        if not isinstance(w.get("branch"), str):
            bad(f"{at}.branch", w.get("branch"), "a string")
        for key in ("speed_km_s", "time_of_flight_days"):
            number(f"{at}.{key}", w.get(key))
        budget = w.get("budget")
        if not isinstance(budget, dict):
            bad(f"{at}.budget", budget, "a table")
        for b_at, b in [(f"{at}.budget", budget)] + [
                (f"{at}.budget.alternatives[{j}]", a)
                for j, a in enumerate(budget.get("alternatives") or [])]:
            if not isinstance(b, dict):
                bad(b_at, b, "a table")
            number(f"{b_at}.total_km_s", b.get("total_km_s"))
            if not isinstance(b.get("strategy"), str):
                bad(f"{b_at}.strategy", b.get("strategy"), "a string")
            for key, value in b.items():
                if key.endswith(("_km_s", "_km", "_deg")) and value is not None:
                    number(f"{b_at}.{key}", value)
        for key in ("perigee", "mid_course", "optimizer"):
            if w.get(key) is not None and not isinstance(w[key], dict):
                bad(f"{at}.{key}", w[key], "a table or null")
        for key, value in list(w.items()) + [(f"perigee.{k}", v) for k, v in
                                             (w.get("perigee") or {}).items()]:
            if key.endswith(("_km_s", "_km", "_deg", "_days", "_hours", "_j")) and \
                    value is not None and not isinstance(value, list):
                number(f"{at}.{key}", value)


def output_names(formats=("png",), *, trajectory: bool = True,
                 arrival: tuple[str, ...] | None = None) -> list[str]:
    """The file names :func:`write` creates for ``formats`` (the figures and the page).

    ``arrival``: the arrival figures the plan gives
    (:func:`massdriver.report.arrival_plots.arrival_stems`); default all of
    :data:`ARRIVAL_FIGURES` (every file a report may write).
    """
    extra = ARRIVAL_FIGURES if arrival is None else tuple(arrival)
    stems = [stem for stem in FIGURES + extra if trajectory or stem != "trajectory"]
    return figure_files(stems, formats) + [REPORT_HTML]


def figure_files(stems, formats=("png",)) -> list[str]:
    """File names of the figures ``stems`` in ``formats``: ``stem.fmt``, stem by stem, in
    the order of ``formats``."""
    return [f"{stem}.{fmt}" for stem in stems for fmt in formats]


def write(out_dir: str | os.PathLike, *, formats=("png",), force: bool = False) -> Path:
    """Draw the figures and write ``report.html`` into a ``massdriver solve`` output directory.

    Parameters
    ----------
    out_dir : str or os.PathLike
        The directory holding ``plan.json``, ``scan.ecsv`` (required), ``windows.ecsv``,
        ``best_trajectory.ecsv`` and ``mission.toml``.
    formats : sequence of str
        Figure files to write: any of ``"png"``, ``"pdf"``. The page always embeds PNG images
        (drawn in memory when ``"png"`` is not asked for).
    force : bool
        Overwrite report files that exist; without it an existing figure or page is an error.
        Report files of an earlier report that this one does not write (a PDF when only PNG
        is asked for) are removed: the directory holds one report.

    Notes
    -----
    The files are written as one transaction (:class:`massdriver.outputs.OutputDirectory`):
    the directory is locked, the results are checked against its ``manifest.json`` (files
    that do not belong together are refused), and the figures and the page appear together
    or not at all. The manifest gains the report's files.

    Returns
    -------
    pathlib.Path
        The page, ``out_dir / "report.html"``.

    Raises
    ------
    massdriver.errors.InputError
        Missing or unreadable inputs, files that do not belong together, or an unknown
        format.
    massdriver.errors.OutputExistsError
        A report file exists and ``force`` is false, or another run holds the directory.
    """
    from massdriver.errors import InputError
    from massdriver.outputs import OutputDirectory

    formats = _check_formats(formats)
    if os.fspath(out_dir) == "":
        raise InputError("the directory is empty: give the --out DIR of massdriver solve")
    d = Path(out_dir)
    if not d.is_dir():
        raise InputError(f"{d} is not a directory (expected the --out DIR of massdriver solve)")
    names = output_names(_FORMATS)
    with OutputDirectory(d, names, force=force, command="report", keep=RESULT_FILES) as txn:
        from massdriver.outputs import verify_directory

        verify_directory(d, required=("plan.json", "scan.ecsv"), also=RESULT_FILES, own=txn)
        inputs = read_results(d, verify=False)
        with txn.file_errors(REPORT_HTML):
            _write_files(inputs, formats, txn.staging)
        txn.commit()
    return d / REPORT_HTML


def _check_formats(formats) -> tuple[str, ...]:
    from massdriver.errors import InputError

    formats = tuple(dict.fromkeys(str(f).lower().lstrip(".") for f in formats))
    bad = [f for f in formats if f not in _FORMATS]
    if bad:
        raise InputError(f"report format {bad[0]!r}: allowed formats are {', '.join(_FORMATS)}")
    return formats


def write_into(source: str | os.PathLike, target: str | os.PathLike, *,
               formats=("png",), directory: str | os.PathLike | None = None) -> Path:
    """Draw the report of the results in ``source`` into the (new, empty) files of ``target``.

    The building block of :func:`write` and of ``massdriver solve``, which draw into the staging
    directory of an :class:`massdriver.outputs.OutputDirectory`; nothing is checked against a
    manifest or for existing files here.

    Parameters
    ----------
    source, target : str or os.PathLike
        Where the results are read and where the figures and the page are written.
    formats : sequence of str
    directory : str or os.PathLike, optional
        The directory the page names (default ``source``).

    Returns
    -------
    pathlib.Path
        ``target / "report.html"``.
    """
    import dataclasses

    formats = _check_formats(formats)
    inputs = read_results(source, verify=False)
    if directory is not None:
        inputs = dataclasses.replace(inputs, directory=Path(directory))
    return _write_files(inputs, formats, Path(target))


def _write_files(inputs: ReportInputs, formats: tuple[str, ...], target: Path) -> Path:
    from massdriver.errors import InputError
    from massdriver.report import html
    from massdriver.safe_io import one_line

    try:
        figures = _draw(inputs, formats, target)
        page = html.render(inputs, figures)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError) as exc:
        if isinstance(exc, InputError):
            raise
        # the files passed the checks of read_results but still do not fit together (e.g. a
        # column missing from scan.ecsv, a window of plan.json without its rows)
        raise InputError(
            f"{inputs.directory}: the results do not hold what massdriver solve writes "
            f"({type(exc).__name__}: {one_line(exc, 120)})") from None
    path = target / REPORT_HTML
    with open(path, "x", encoding="utf-8") as f:
        f.write(page)
    return path


def figures(inputs: ReportInputs) -> dict:
    """Draw every figure of the report (call inside :func:`massdriver.report.plots.style`).

    Parameters
    ----------
    inputs : ReportInputs
        From :func:`read_results`.

    Returns
    -------
    dict
        ``{stem: matplotlib.figure.Figure}`` in the order of :data:`FIGURES`, then
        :data:`ARRIVAL_FIGURES` when the plan priced the arrival strategies; no
        ``"trajectory"`` without ``best_trajectory.ecsv``.
    """
    from massdriver.report import arrival_plots, plots

    windows = inputs.plan.get("windows") or []
    thr = inputs.threshold_km_s
    out = {
        "window_chart": plots.plot_window_chart(inputs.scan, windows, thr),
        "speed_map": plots.plot_speed_map(inputs.scan, windows, thr),
        "budget": plots.plot_budget_bars(windows, thr),
    }
    if inputs.trajectory is not None:
        best = inputs.best_window
        suptitle = ""
        if best is not None:
            suptitle = (f"Best window: launch {best['best_utc'][:16]} UTC, "
                        f"{best['speed_km_s']:.4f} km/s, {plots.literal(best['branch'])} "
                        "arrival, "
                        f"time of flight {best['time_of_flight_days']:.2f} d")
        out["trajectory"] = plots.plot_trajectory_views(
            inputs.trajectory, target_radius_km=inputs.target_radius_km, title=suptitle)
    stems = arrival_plots.arrival_stems(inputs.plan)
    if "arrival_strategies" in stems:
        out["arrival_strategies"] = arrival_plots.plot_arrival_strategies(windows)
    if "aerobraking" in stems:
        out["aerobraking"] = arrival_plots.plot_aerobraking(
            arrival_plots.aerobraking_window(windows, inputs.best_window))
    return out


@contextlib.contextmanager
def _gc_paused():
    """Context without automatic garbage collection (restored to its state on exit).

    Figures are tens of thousands of small objects in reference cycles; building and drawing
    them triggers full collections, each of which walks every object of the process (in
    ``massdriver solve``, all of numba's and astropy's too): ~0.13 s CPU of a report. The
    figures' garbage is collected after, by the next automatic collection.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _draw(inputs: ReportInputs, formats: tuple[str, ...], target: Path) -> list:
    """Draw, save and encode every figure; returns :class:`massdriver.report.html.Figure`."""
    from massdriver.report import plots
    from massdriver.report.html import Figure, figure_captions

    captions = figure_captions(inputs)
    out = []
    with _gc_paused(), plots.style():
        for stem, fig in figures(inputs).items():
            files = plots.save_figure(fig, target / stem, formats)
            png = ((target / f"{stem}.png").read_bytes() if "png" in formats
                   else plots.png_bytes(fig))
            heading, caption = captions[stem]
            out.append(Figure(name=stem, title=heading, caption=caption, png=png,
                              files=tuple(p.name for p in files)))
    return out
