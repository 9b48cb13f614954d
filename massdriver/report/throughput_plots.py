"""The throughput figures (reads results only).

Drawn from the files ``massdriver throughput PLAN --out DIR`` writes: ``schedule.parquet`` (one
row per shot), ``binding.ecsv`` (the binding constraint of each launcher, day by day) and
``throughput.json`` (inputs, totals, verdict). Nothing here solves or schedules.

* ``tonnes_per_month.png``: tonnes fired per calendar month, stacked by shell;
* ``firing_calendar.png``: shots per day (all launchers) as a calendar heatmap, one row per
  week;
* ``binding_constraint.png``: share of each day under each binding constraint (all launchers);
* ``energy_propellant.png``: bank energy (and mean power) and satellite propellant per year;
* ``delta_v.png``: distribution of the shots' total delta-v, per shell.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from astropy.table import Table

from massdriver.errors import InputError
from massdriver.report import THROUGHPUT_FIGURES as FIGURE_STEMS
from massdriver.report.plots import literal, new_figure, save_figure, style

__all__ = ["write_throughput_figures", "FIGURE_STEMS"]

_DAY_NS = 86400 * 10**9


def _read(directory: Path):
    import pyarrow.parquet as pq

    for name in ("schedule.parquet", "binding.ecsv", "throughput.json"):
        if not (directory / name).exists():
            raise InputError(f"{directory}: no {name} (write it with 'massdriver throughput')")
    table = pq.read_table(directory / "schedule.parquet",
                          columns=["epoch_utc", "shell", "delta_v_km_s", "energy_gj",
                                   "propellant_kg"])
    summary = json.loads((directory / "throughput.json").read_text())
    binding = Table.read(directory / "binding.ecsv", format="ascii.ecsv")
    shell = table.column("shell").combine_chunks() if table.num_rows else None
    return {
        "epoch_ns": table.column("epoch_utc").to_numpy().astype("datetime64[ns]").astype(
            np.int64),
        "shell": (np.zeros(0, int) if shell is None else
                  np.asarray(shell.indices.to_numpy(zero_copy_only=False), dtype=int)),
        "dv": table.column("delta_v_km_s").to_numpy(),
        "energy_gj": table.column("energy_gj").to_numpy(),
        "propellant_kg": table.column("propellant_kg").to_numpy(),
        "summary": summary, "binding": binding,
        "shell_names": [s["name"] for s in summary["inputs"]["shells"]],
        "mass_t": summary["inputs"]["satellite"]["mass_kg"] / 1000.0,
    }


def _month_index(epoch_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    months = epoch_ns.astype("datetime64[ns]").astype("datetime64[M]")
    if months.size == 0:
        return np.zeros(0, int), np.zeros(0, "datetime64[M]")
    labels = np.arange(months.min(), months.max() + 1)
    return (months - labels[0]).astype(int), labels


def _year_seconds(inputs: dict, years: np.ndarray) -> np.ndarray:
    """Seconds of each calendar year (UTC) inside the plan's horizon: the mean power of a
    year the horizon covers in part is its energy over that part, not over a whole year."""
    start = np.datetime64(inputs["start_utc"][:19], "ms").astype(np.int64) / 1e3
    end = start + float(inputs["horizon_days"]) * 86400.0
    out = []
    for y in years:
        lo = np.datetime64(f"{int(y):04d}-01-01", "ms").astype(np.int64) / 1e3
        hi = np.datetime64(f"{int(y) + 1:04d}-01-01", "ms").astype(np.int64) / 1e3
        out.append(max(min(end, hi) - max(start, lo), 1.0))
    return np.array(out)


def write_throughput_figures(directory: str | os.PathLike, formats=("png",)) -> list[Path]:
    """Draw the five figures of a throughput output directory into it.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    d = Path(directory)
    r = _read(d)
    names = r["shell_names"]
    written: list[Path] = []
    with style():
        # tonnes per month, stacked by shell
        fig = new_figure(8, 4)
        ax = fig.add_subplot()
        k, labels = _month_index(r["epoch_ns"])
        bottom = np.zeros(labels.size)
        for si, name in enumerate(names):
            per = np.bincount(k[r["shell"] == si], minlength=labels.size)[:labels.size] \
                * r["mass_t"]
            ax.bar(np.arange(labels.size), per / 1e3, bottom=bottom / 1e3, label=literal(name))
            bottom += per
        ax.set_xticks(np.arange(labels.size))
        ax.set_xticklabels([str(x) for x in labels], rotation=90, fontsize=7)
        ax.set_ylabel("kt fired per month")
        ax.set_title("Tonnes per month per shell")
        ax.legend(fontsize=8)
        written += save_figure(fig, d / "tonnes_per_month", formats)

        # calendar heatmap: shots per day, weeks x weekdays
        fig = new_figure(8, 4)
        ax = fig.add_subplot()
        b = r["binding"]
        day_of = np.array([str(x)[:10] for x in b["start_utc"]], "datetime64[D]")
        days, idx = np.unique(day_of, return_inverse=True)
        day0 = days[0]
        n_days = days.size
        per_day = np.zeros(n_days)
        di = (r["epoch_ns"].astype("datetime64[ns]").astype("datetime64[D]") - day0).astype(int)
        ok = (di >= 0) & (di < n_days)
        np.add.at(per_day, di[ok], 1.0)
        weekday0 = int((day0.astype(int) + 3) % 7)       # 1970-01-01 was a Thursday
        cells = np.full(((n_days + weekday0 + 6) // 7) * 7, np.nan)
        cells[weekday0:weekday0 + n_days] = per_day
        grid = cells.reshape(-1, 7).T
        im = ax.imshow(grid, aspect="auto", cmap="viridis", interpolation="nearest")
        ax.set_yticks(range(7))
        ax.set_yticklabels(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
        ax.set_xlabel(f"week from {day0}")
        ax.set_title("Firing duty: shots per day (all launchers)")
        fig.colorbar(im, ax=ax, label="shots per day")
        written += save_figure(fig, d / "firing_calendar", formats)

        # binding constraint over time (all launchers), per day
        fig = new_figure(8, 4)
        ax = fig.add_subplot()
        cols = [c for c in b.colnames if c not in ("start_utc", "launcher")]
        stack = []
        for c in cols:
            v = np.zeros(n_days)
            np.add.at(v, idx, np.asarray(b[c], float))
            stack.append(v / max(1, len(set(b["launcher"]))))
        ax.stackplot(np.arange(n_days), *stack, labels=[c.replace("_", " ") for c in cols])
        ax.set_ylim(0, 1)
        ax.set_xlabel(f"days from {days[0]}")
        ax.set_ylabel("share of launcher time")
        ax.set_title("Binding constraint over time")
        ax.legend(fontsize=7, loc="upper right")
        written += save_figure(fig, d / "binding_constraint", formats)

        # energy and propellant per year
        fig = new_figure(8, 4)
        ax1, ax2 = fig.subplots(1, 2)
        years = r["epoch_ns"].astype("datetime64[ns]").astype("datetime64[Y]").astype(int) + 1970
        ys = np.unique(years) if years.size else np.zeros(0, int)
        e = np.array([r["energy_gj"][years == y].sum() for y in ys])
        p = np.array([r["propellant_kg"][years == y].sum() for y in ys]) / 1e3
        ax1.bar(ys, e / 1e6)
        ax1.set_ylabel("bank energy drawn (PJ)")
        ax1.set_title("Energy per year (mean power over the horizon's part of it)")
        covered = _year_seconds(r["summary"]["inputs"], ys)
        for y, x, sec in zip(ys, e, covered, strict=True):
            ax1.annotate(f"{x * 1e9 / sec / 1e6:,.0f} MW", (y, x / 1e6),
                         ha="center", va="bottom", fontsize=7)
        ax2.bar(ys, p)
        ax2.set_ylabel("satellite propellant (t)")
        ax2.set_title("Propellant per year")
        written += save_figure(fig, d / "energy_propellant", formats)

        # delta-v distribution per shell
        fig = new_figure(8, 4)
        ax = fig.add_subplot()
        for si, name in enumerate(names):
            v = r["dv"][r["shell"] == si]
            if v.size:
                ax.hist(v, bins=60, histtype="step", label=f"{literal(name)} ({v.size:,} shots)")
        ax.set_xlabel("total delta-v per shot (km/s)")
        ax.set_ylabel("shots")
        ax.set_title("Delta-v distribution per shell")
        ax.legend(fontsize=8)
        written += save_figure(fig, d / "delta_v", formats)
    return written
