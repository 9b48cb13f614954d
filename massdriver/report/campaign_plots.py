"""The campaign figure: satellites delivered per plane against time (reads results only).

Drawn from the files ``massdriver campaign CONFIG --out DIR`` writes (``schedule.ecsv``, from
:meth:`massdriver.campaign.Campaign.to_table`, and ``campaign.json``, from
:meth:`massdriver.campaign.Campaign.to_dict`); nothing here solves or integrates.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from astropy.table import QTable
from astropy.time import Time

from massdriver.errors import InputError
from massdriver.report.plots import literal, new_figure, save_figure, style

__all__ = ["plot_deliveries", "write_campaign_figure", "CAMPAIGN_FIGURE"]

#: file stem of the figure in a campaign output directory
CAMPAIGN_FIGURE = "deliveries"


def _days_since(times, start) -> np.ndarray:
    """Days from ``start`` (astropy Time) to each of ``times`` (astropy Time column)."""
    if len(times) == 0:
        return np.zeros(0)
    return np.asarray((times.tdb - start.tdb).to_value("day"), dtype=float)


def plot_deliveries(schedule, requested: Sequence[int] | None = None, *, start=None,
                    plane_names: Sequence[str] | None = None, title: str = "",
                    summary: dict | None = None):
    """Cumulative satellites per plane against days since the campaign start.

    Solid steps: arrivals at the Earth perigee where the insertion begins; thin dashed steps:
    launches; dotted lines: satellites requested per plane.

    Parameters
    ----------
    schedule : astropy.table.Table
        The schedule (columns ``plane``, ``launch_utc``, ``arrival_utc``).
    requested : sequence of int, optional
        Satellites asked for per plane (default: ``schedule.meta["requested"]``).
    start : astropy.time.Time, optional
        Campaign start (default: ``schedule.meta["start_utc"]``, else the first launch).
    plane_names : sequence of str, optional
        Legend labels (default ``"plane k"``).
    title : str
    summary : dict, optional
        ``campaign.json``'s ``totals`` and ``timeline`` (shown under the title).

    Returns
    -------
    matplotlib.figure.Figure
    """
    meta = getattr(schedule, "meta", {}) or {}
    if requested is None:
        requested = meta.get("requested")
    if start is None:
        if meta.get("start_utc"):
            start = Time(meta["start_utc"], scale="utc")
        elif len(schedule):
            start = schedule["launch_utc"][0]
        else:
            start = Time("2000-01-01T12:00", scale="tdb")
    planes = np.asarray(schedule["plane"], dtype=int) if len(schedule) else np.zeros(0, int)
    n_planes = max(len(requested or ()), int(planes.max()) + 1 if planes.size else 0, 1)
    launch = _days_since(schedule["launch_utc"], start) if len(schedule) else np.zeros(0)
    arrive = _days_since(schedule["arrival_utc"], start) if len(schedule) else np.zeros(0)
    end = max([1.0, *launch.tolist(), *arrive.tolist()]) * 1.04

    with style():
        fig = new_figure(8.0, 4.6)
        ax = fig.add_subplot(1, 1, 1)
        for k in range(n_planes):
            color = f"C{k % 10}"
            label = (literal(plane_names[k]) if plane_names and k < len(plane_names)
                     else f"plane {k}")
            mine = planes == k
            for days, kw in ((np.sort(arrive[mine]), {"lw": 1.6, "label": label}),
                             (np.sort(launch[mine]), {"lw": 0.8, "ls": "--"})):
                x = np.concatenate([[0.0], days, [end]])
                y = np.concatenate([[0], np.arange(1, days.size + 1), [days.size]])
                ax.step(x, y, where="post", color=color, **kw)
            if requested is not None and k < len(requested):
                ax.axhline(requested[k], color=color, ls=":", lw=0.9)
        ax.set_xlim(0.0, end)
        ax.set_ylim(0, max([1, *(requested or []), *np.bincount(planes, minlength=1)]) + 0.5)
        ax.set_xlabel(f"days since {start.utc.isot[:16]} UTC")
        ax.set_ylabel("satellites")
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.plot([], [], color="k", lw=1.6, label="arrived (solid)")
        ax.plot([], [], color="k", lw=0.8, ls="--", label="launched (dashed)")
        if requested is not None:
            ax.plot([], [], color="k", lw=0.9, ls=":", label="requested (dotted)")
        ax.legend(loc="best", ncols=2 if n_planes > 4 else 1)
        head = literal(title or meta.get("constellation") or "campaign")
        if summary:
            tot, tl = summary.get("totals", {}), summary.get("timeline", {})
            line = (f"{tot.get('satellites_delivered', len(schedule))} of "
                    f"{tot.get('satellites_requested', '?')} satellites, "
                    f"{tl.get('duration_days', float('nan')):.2f} d to the last arrival, "
                    f"sum dv {tot.get('delta_v_km_s', float('nan')):.3f} km/s, "
                    f"propellant {tot.get('propellant_kg', float('nan')):.1f} kg, "
                    f"energy {tot.get('energy_j', float('nan')) / 1e9:.3g} GJ")
            head = f"{head}\n{line}"
        ax.set_title(head)
    return fig


def write_campaign_figure(directory: str | os.PathLike, formats: Sequence[str] = ("png",)
                          ) -> list[Path]:
    """Draw :func:`plot_deliveries` from a campaign output directory into it.

    Reads ``schedule.ecsv`` and (when present) ``campaign.json``; writes
    ``deliveries.<format>``.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    d = Path(directory)
    table_path = d / "schedule.ecsv"
    if not table_path.exists():
        raise InputError(f"{d}: no schedule.ecsv (write it with 'massdriver campaign')")
    schedule = QTable.read(table_path, format="ascii.ecsv")
    summary, names, requested = None, None, None
    if (d / "campaign.json").exists():
        summary = json.loads((d / "campaign.json").read_text())
        names = [p["name"] for p in summary.get("planes", [])] or None
        requested = [p["requested"] for p in summary.get("planes", [])] or None
    fig = plot_deliveries(schedule, requested, plane_names=names, summary=summary)
    return save_figure(fig, d / CAMPAIGN_FIGURE, formats)
