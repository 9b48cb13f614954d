"""Figures of a track search (``massdriver aim --out DIR``), drawn from its files only.

``plot_track_map`` draws one statistic of ``grid.ecsv``
(:meth:`massdriver.aim.TrackSearch.to_table`) as a heatmap over azimuth (x, deg clockwise from
north) and elevation (y, deg), with the recommended tracks of ``recommendations.json`` marked
and numbered by rank. Cells without a window are left blank (grey). Nothing here scans,
integrates or evaluates an ephemeris.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from astropy.table import QTable
from matplotlib.patches import Rectangle

from massdriver.errors import InputError
from massdriver.report.plots import _date_axis, _datetimes, new_figure, save_figure, style

__all__ = ["AIM_FIGURES", "plot_track_map", "plot_track_calendar", "write_aim_figures",
           "plot_site_map"]

#: figure stem -> (grid column, colour-bar label, colour map)
AIM_FIGURES = {
    "duty_cycle": ("duty_cycle", "duty cycle (fraction of epochs in a window)", "viridis"),
    "median_delta_v": ("total_median", "median total delta-v in windows (km/s)", "viridis_r"),
}


def _grid(table, column: str):
    az = np.asarray(table["azimuth"].to_value("deg") if hasattr(table["azimuth"], "unit")
                    else table["azimuth"], dtype=float)
    el = np.asarray(table["elevation"].to_value("deg") if hasattr(table["elevation"], "unit")
                    else table["elevation"], dtype=float)
    col = table[column]
    values = np.array(getattr(col, "value", col), dtype=float)
    mask = np.ma.getmaskarray(col) if np.ma.isMaskedArray(col) else \
        np.asarray(getattr(col, "mask", np.zeros(values.shape, bool)), dtype=bool)
    values = np.where(mask | ~np.isfinite(values), np.nan, values)
    if column == "duty_cycle":
        values = np.where(values > 0, values, np.nan)
    ax_az, ax_el = np.unique(az), np.unique(el)
    grid = np.full((ax_el.size, ax_az.size), np.nan)
    grid[np.searchsorted(ax_el, el), np.searchsorted(ax_az, az)] = values
    return ax_az, ax_el, grid


def _edges(centres: np.ndarray, default: float) -> np.ndarray:
    if centres.size == 1:
        return np.array([centres[0] - default / 2, centres[0] + default / 2])
    mid = (centres[1:] + centres[:-1]) / 2
    return np.concatenate([[centres[0] - (mid[0] - centres[0])], mid,
                           [centres[-1] + (centres[-1] - mid[-1])]])


def plot_track_map(table, column: str, label: str, recommendations: Sequence[dict] = (),
                   *, cmap: str = "viridis", title: str = ""):
    """Heatmap of ``table[column]`` over azimuth x elevation, recommendations marked.

    Parameters
    ----------
    table : astropy.table.Table
        ``grid.ecsv`` (columns ``azimuth``, ``elevation`` in deg and ``column``).
    column : str
    label : str
        Colour-bar label (with its unit).
    recommendations : sequence of dict
        ``recommendations.json``'s ``recommendations`` (``azimuth_deg``, ``elevation_deg``,
        ``rank``).
    cmap : str
    title : str

    Returns
    -------
    matplotlib.figure.Figure
    """

    ax_az, ax_el, grid = _grid(table, column)
    with style():
        fig = new_figure(8.0, 4.2)
        ax = fig.add_subplot()
        ax.set_facecolor("0.85")
        mesh = ax.pcolormesh(_edges(ax_az, 10.0), _edges(ax_el, 5.0), np.ma.masked_invalid(grid),
                             cmap=cmap, shading="flat")
        fig.colorbar(mesh, ax=ax, label=label)
        for rec in recommendations:
            ax.plot(rec["azimuth_deg"], rec["elevation_deg"], marker="o", ms=7, mfc="none",
                    mec="red", mew=1.5, ls="none")
            ax.annotate(str(rec["rank"]), (rec["azimuth_deg"], rec["elevation_deg"]),
                        textcoords="offset points", xytext=(5, 5), color="red", fontsize=9)
        ax.set_xlabel("track azimuth (deg, clockwise from north)")
        ax.set_ylabel("track elevation (deg)")
        ax.set_title(title or "grey: no window; red: recommended tracks (rank)")
    return fig


def plot_track_calendar(table, threshold_km_s: float, *, title: str = ""):
    """The windows calendar of one track: cheapest-branch total against the launch epoch.

    Parameters
    ----------
    table : astropy.table.Table
        ``calendar.ecsv`` (:meth:`massdriver.aim.TrackSearch.calendar_table`): ``launch_utc``,
        ``total`` (km/s, masked where no shot reaches the target), ``open``.
    threshold_km_s : float
    title : str

    Returns
    -------
    matplotlib.figure.Figure
    """

    when = _datetimes(table["launch_utc"])
    col = table["total"]
    total = np.array(getattr(col, "value", col), dtype=float)
    mask = np.asarray(getattr(col, "mask", np.zeros(total.shape, bool)), dtype=bool)
    total = np.where(mask, np.nan, total)
    is_open = np.asarray(table["open"], dtype=bool)
    with style():
        fig = new_figure(9.0, 3.6)
        ax = fig.add_subplot()
        ax.plot(when, total, lw=0.8, color="0.3", label="total delta-v (cheapest branch)")
        ax.plot(when[is_open], total[is_open], ls="none", marker=".", ms=3, color="tab:green",
                label="in a window")
        ax.axhline(threshold_km_s, color="tab:red", lw=1.0, ls="--", label="threshold")
        finite = total[np.isfinite(total)]
        if finite.size:
            ax.set_ylim(finite.min() - 0.02, min(finite.max(), threshold_km_s + 0.5) + 0.02)
        ax.set_ylabel("total delta-v (km/s)")
        _date_axis(ax)
        ax.legend(loc="upper right", fontsize=8)
        ax.set_title(title or "windows calendar of the recommended track")
    return fig


def write_aim_figures(directory: str | os.PathLike, formats: Sequence[str] = ("png",)
                      ) -> list[Path]:
    """Draw :data:`AIM_FIGURES` from ``DIR/grid.ecsv`` and ``DIR/recommendations.json``.

    Returns
    -------
    list of pathlib.Path
        The files written (``duty_cycle.png``, ``median_delta_v.png`` and, when
        ``calendar.ecsv`` is there, ``calendar.png``).
    """


    directory = Path(directory)
    try:
        table = QTable.read(directory / "grid.ecsv", format="ascii.ecsv")
        recs = json.loads((directory / "recommendations.json").read_text())
    except FileNotFoundError as exc:
        raise InputError(f"{exc.filename}: missing (run 'massdriver aim' first)") from None
    site = recs.get("inputs", {}).get("site", {})
    where = f"{site.get('name') or 'site'} ({site.get('lat_deg', 0):+.1f}, " \
            f"{site.get('lon_deg', 0):+.1f} deg)"
    written = []
    for stem, (column, label, cmap) in AIM_FIGURES.items():
        fig = plot_track_map(table, column, label, recs.get("recommendations", []), cmap=cmap,
                             title=f"{where}: {label.split(' (')[0]}")
        written += save_figure(fig, directory / stem, formats)
    cal = directory / "calendar.ecsv"
    if cal.exists():
        ctable = QTable.read(cal, format="ascii.ecsv")
        meta = ctable.meta
        if "threshold_km_s" in meta:
            fig = plot_track_calendar(
                ctable, float(meta["threshold_km_s"]),
                title=f"{where}: track azimuth {meta['azimuth_deg']:.1f} deg, elevation "
                      f"{meta['elevation_deg']:.1f} deg (recommendation 1)")
            written += save_figure(fig, directory / "calendar", formats)
    return written


def plot_site_map(table, *, title: str = ""):
    """Selenographic map of a site search: near-side disk, each site coloured by its best
    track's duty cycle and labelled with its median delta-v (km/s); sites without a window
    are hollow grey circles.

    Parameters
    ----------
    table : astropy.table.Table
        ``sites.ecsv`` (:meth:`massdriver.sites.SiteSearch.to_table`).

    Returns
    -------
    matplotlib.figure.Figure
    """

    matplotlib.use("Agg", force=False)

    def arr(name):
        c = table[name]
        v = np.array(getattr(c, "value", c), dtype=float)
        m = np.ma.getmaskarray(c) if np.ma.isMaskedArray(c) else \
            np.asarray(getattr(c, "mask", np.zeros(v.shape, bool)), dtype=bool)
        return np.where(m | ~np.isfinite(v), np.nan, v)

    lat, lon = arr("lat"), arr("lon")
    lon = (lon + 180.0) % 360.0 - 180.0
    duty, med = arr("duty_cycle"), arr("total_median")
    fig, ax = plt.subplots(figsize=(8, 4.6))
    ax.add_patch(Rectangle((-90, -90), 180, 180, facecolor="0.93", edgecolor="0.5",
                           label="near side (|lon| <= 90 deg)"))
    ok = np.isfinite(duty) & (duty > 0)
    sc = ax.scatter(lon[ok], lat[ok], c=100 * duty[ok], cmap="viridis", s=60,
                    edgecolors="k", zorder=3)
    ax.scatter(lon[~ok], lat[~ok], facecolors="none", edgecolors="0.4", s=60, zorder=3,
               label="no window")
    for x, y, m, name in zip(lon, lat, med, table["name"], strict=True):
        text = str(name) if not np.isfinite(m) else f"{name}\n{m:.3f}"
        ax.annotate(text, (x, y), xytext=(4, 3), textcoords="offset points", fontsize=6)
    if np.any(ok):
        fig.colorbar(sc, ax=ax, label="best track's duty cycle (%)")
    ax.set_xlim(-180, 180)
    ax.set_ylim(-90, 90)
    ax.set_xticks(np.arange(-180, 181, 45))
    ax.set_yticks(np.arange(-90, 91, 30))
    ax.set_xlabel("selenographic longitude (deg, east +)")
    ax.set_ylabel("latitude (deg)")
    ax.set_aspect("equal")
    ax.grid(True, lw=0.3)
    ax.legend(loc="lower left", fontsize=7)
    ax.set_title(title or "best track per site (label: median total delta-v, km/s)",
                 fontsize=9)
    fig.tight_layout()
    return fig
