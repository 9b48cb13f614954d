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

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["write", "read_results", "figures", "ReportInputs", "FIGURES", "REPORT_HTML",
           "output_names"]

#: the page's file name
REPORT_HTML = "report.html"
#: figure file stems, in the order the page shows them
FIGURES = ("window_chart", "speed_map", "budget", "trajectory")
_FORMATS = ("png", "pdf")


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


def read_results(out_dir: str | os.PathLike) -> ReportInputs:
    """Read the files of a ``massdriver solve --out DIR`` directory.

    ``plan.json`` and ``scan.ecsv`` are required; ``windows.ecsv``, ``best_trajectory.ecsv``
    and ``mission.toml`` are used when present.

    Raises
    ------
    massdriver.errors.InputError
        ``out_dir`` is not a directory, a required file is missing, or a file cannot be read.
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
    try:
        plan = json.loads((d / "plan.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{d / 'plan.json'}: cannot read it as JSON ({exc})") from None
    if not isinstance(plan, dict) or "inputs" not in plan or "threshold_km_s" not in plan.get(
            "inputs", {}):
        raise InputError(f"{d / 'plan.json'}: not a massdriver plan (no inputs.threshold_km_s)")

    def table(name: str):
        try:
            t = QTable.read(d / name, format="ascii.ecsv")
        except Exception as exc:  # astropy raises many types for a malformed file
            raise InputError(f"{d / name}: cannot read it as ECSV ({exc})") from None
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
        mission = (d / "mission.toml").read_text(encoding="utf-8", errors="replace")
    else:
        missing.append("mission.toml")
    return ReportInputs(directory=d, plan=plan, scan=scan, windows=windows,
                        trajectory=trajectory, mission_text=mission, missing=tuple(missing))


def output_names(formats=("png",), *, trajectory: bool = True) -> list[str]:
    """The file names :func:`write` creates for ``formats`` (the figures and the page)."""
    names = [f"{stem}.{fmt}" for stem in FIGURES for fmt in formats
             if trajectory or stem != "trajectory"]
    return names + [REPORT_HTML]


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
        Overwrite report files that exist; without it an existing figure or page is an error
        (``massdriver solve`` passes ``True`` for a directory it has just written).

    Returns
    -------
    pathlib.Path
        The page, ``out_dir / "report.html"``.

    Raises
    ------
    massdriver.errors.InputError
        Missing or unreadable inputs, or an unknown format.
    massdriver.errors.OutputExistsError
        A report file exists and ``force`` is false.
    """
    from massdriver.errors import InputError, OutputExistsError

    formats = tuple(dict.fromkeys(str(f).lower().lstrip(".") for f in formats))
    bad = [f for f in formats if f not in _FORMATS]
    if bad:
        raise InputError(f"report format {bad[0]!r}: allowed formats are {', '.join(_FORMATS)}")
    inputs = read_results(out_dir)
    names = output_names(formats, trajectory=inputs.trajectory is not None)
    clashes = [n for n in names if (inputs.directory / n).exists()]
    if clashes and not force:
        raise OutputExistsError(f"{inputs.directory} already holds {', '.join(clashes)}; "
                                "pass --force to overwrite")
    for n in clashes:
        if (inputs.directory / n).is_dir():
            raise OutputExistsError(f"{inputs.directory / n} is a directory, expected a file")

    from massdriver.report import html

    figures = _draw(inputs, formats)
    page = html.render(inputs, figures)
    path = inputs.directory / REPORT_HTML
    path.write_text(page, encoding="utf-8")
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
        ``{stem: matplotlib.figure.Figure}`` in the order of :data:`FIGURES`; no
        ``"trajectory"`` without ``best_trajectory.ecsv``.
    """
    from massdriver.report import plots

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
                        f"{best['speed_km_s']:.4f} km/s, {best['branch']} arrival, "
                        f"time of flight {best['time_of_flight_days']:.2f} d")
        out["trajectory"] = plots.plot_trajectory_views(
            inputs.trajectory, target_radius_km=inputs.target_radius_km, title=suptitle)
    return out


def _draw(inputs: ReportInputs, formats: tuple[str, ...]) -> list:
    """Draw, save and encode every figure; returns :class:`massdriver.report.html.Figure`."""
    from massdriver.report import plots
    from massdriver.report.html import Figure, figure_captions

    captions = figure_captions(inputs)
    out = []
    with plots.style():
        for stem, fig in figures(inputs).items():
            files = plots.save_figure(fig, inputs.directory / stem, formats)
            png = ((inputs.directory / f"{stem}.png").read_bytes() if "png" in formats
                   else plots.png_bytes(fig))
            heading, caption = captions[stem]
            out.append(Figure(name=stem, title=heading, caption=caption, png=png,
                              files=tuple(p.name for p in files)))
    return out
