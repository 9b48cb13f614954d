"""Figures of a solved mission, drawn from the files ``massdriver solve --out DIR`` writes.

Every function here reads results only (tables and plain dicts); nothing integrates, solves or
evaluates an ephemeris. The figures are :class:`matplotlib.figure.Figure` objects on the Agg
canvas (no pyplot, no GUI backend), drawn inside :func:`style` so that all of them share fonts,
grids and colours:

``plot_window_chart``
    Delta-v of the scan against the launch epoch (one panel per arrival branch), the parts
    stacked, the threshold and the windows shaded.
``plot_speed_map``
    Solved exit speed against launch epoch, coloured by the total delta-v (a porkchop-style
    map of the solved points; see its docstring for what it is not).
``plot_budget_bars``
    The final delta-v budget of every window, parts stacked.
``plot_trajectory_views``
    The best window's coast: Earth-centred ICRF (x-y projection, near-Earth zoom, 3D) and the
    Earth-Moon rotating frame.

Units: delta-v and speeds in km/s, distances in 1000 km (the near-Earth zoom too), epochs in
UTC on the time axes.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import matplotlib
import matplotlib.dates as mdates
import numpy as np
from astropy.time import Time
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Circle
from scipy.interpolate import CubicSpline

from massdriver import bodies
from massdriver.report.trajectory_plots import orbit_normal, rotating_frame_positions

__all__ = [
    "BUDGET_PARTS", "SCAN_PARTS", "PART_COLORS", "PART_LABELS", "BRANCH_STYLE", "STYLE",
    "style", "new_figure", "save_figure", "png_bytes", "literal",
    "plot_window_chart", "plot_speed_map", "plot_budget_bars", "plot_trajectory_views",
    "perigee_index", "circle_in_plane", "hermite_path",
]

#: the parts of a window's budget, bottom to top of a stacked bar
BUDGET_PARTS = ("mcc", "insertion", "plane_change", "circularization", "margin")
#: the parts the scan prices at every grid epoch (no MCC, no margin there)
SCAN_PARTS = ("insertion", "plane_change", "circularization")
PART_COLORS = {
    "mcc": "#8c564b",
    "insertion": "#1f77b4",
    "plane_change": "#ff7f0e",
    "circularization": "#2ca02c",
    "margin": "#9467bd",
}
PART_LABELS = {
    "mcc": "mid-course correction",
    "insertion": "insertion",
    "plane_change": "plane change",
    "circularization": "circularization",
    "margin": "dispersion margin",
}
#: marker and colour of each arrival branch
BRANCH_STYLE = {
    "prograde": {"marker": "o", "color": "#1f77b4"},
    "retrograde": {"marker": "^", "color": "#d62728"},
}
_STRATEGY_SHORT = {
    "perigee_burn": "perigee burn",
    "high_ellipse": "high ellipse",
    "mid_course_correction": "with MCC",
}
_THRESHOLD_COLOR = "#d62728"
_WINDOW_COLOR = "#e6ab02"
_KM_PER_UNIT = 1000.0             # plotted distance unit: 1000 km

#: matplotlib rc parameters shared by every report figure
STYLE = {
    "font.size": 9.0,
    "axes.titlesize": 10.0,
    "axes.labelsize": 9.0,
    "legend.fontsize": 8.0,
    "xtick.labelsize": 8.0,
    "ytick.labelsize": 8.0,
    "axes.grid": True,
    "grid.linewidth": 0.4,
    "grid.alpha": 0.6,
    "lines.linewidth": 1.2,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.axisbelow": True,
    "axes.titley": 1.0,
    "figure.dpi": 100.0,
    "savefig.dpi": 110.0,
    "pdf.fonttype": 42,
    "svg.hashsalt": "massdriver",
}


def literal(text) -> str:
    """``text`` (a name from the user's files) for a figure: each ``$`` drawn as a dollar
    sign, never the start of mathtext (which would raise, or typeset, at drawing time)."""
    return str(text).replace("$", r"\$")


@contextlib.contextmanager
def style() -> Iterator[None]:
    """Context in which the report figures are drawn (:data:`STYLE` on top of the defaults)."""
    with matplotlib.rc_context(STYLE):
        yield


def new_figure(width: float, height: float, *, layout: str = "constrained"):
    """A figure of ``width`` x ``height`` inches on an Agg canvas.

    ``layout``: ``"constrained"`` (matplotlib's constrained layout) or ``"margins"``
    (:class:`massdriver.report.layout.MarginLayout`: one measurement of a single grid of
    panels, about half the cost; what the mission report's figures use).
    """
    if layout == "margins":
        from massdriver.report.layout import MarginLayout

        fig = Figure(figsize=(width, height), layout=MarginLayout())
    else:
        fig = Figure(figsize=(width, height), layout=layout)
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig, stem: str | os.PathLike, formats: Sequence[str] = ("png",), *,
                dpi: float | None = None) -> list[Path]:
    """Write ``fig`` as ``stem.<format>`` for each format (``png``, ``pdf``).

    The files carry no creation date, so the same figure gives the same bytes.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    stem = Path(stem)
    written = []
    for fmt in formats:
        path = stem.with_suffix(f".{fmt}")
        if fmt == "png":
            _save_png(fig, path, dpi)
        else:
            fig.savefig(path, format=fmt, dpi=dpi, metadata=_metadata(fmt))
        written.append(path)
    return written


def png_bytes(fig, *, dpi: float | None = None) -> bytes:
    """The figure as PNG bytes (what the HTML page embeds)."""
    buf = io.BytesIO()
    _save_png(fig, buf, dpi)
    return buf.getvalue()


def _save_png(fig, target, dpi: float | None) -> None:
    """``fig.savefig(target, format="png")`` with one drawing of the figure instead of two.

    For a figure with a layout engine, ``savefig`` first draws the whole figure without output
    to run the layout, then draws it again into the image. Here the engine is run once at the
    saved dpi (the text sizes it measures are those of the image) and switched off while the
    figure is drawn and saved, then restored. The pixels are those of ``savefig``.
    """
    dpi = matplotlib.rcParams["savefig.dpi"] if dpi is None else dpi
    engine = fig.get_layout_engine()
    if engine is None or dpi == "figure":
        fig.savefig(target, format="png", dpi=dpi, metadata=_metadata("png"),
                    pil_kwargs=_PNG_OPTIONS)
        return
    shown_dpi = fig.dpi
    try:
        fig.dpi = dpi
        if fig.axes:           # as Figure.draw does before drawing
            with contextlib.suppress(ValueError):
                engine.execute(fig)
        # no engine at all (not the "none" placeholder, with which savefig draws twice); the
        # rc keys would otherwise give a figure without an engine a tight or constrained one
        with matplotlib.rc_context({"figure.autolayout": False,
                                    "figure.constrained_layout.use": False}):
            fig.set_layout_engine(None)
        fig.savefig(target, format="png", dpi=dpi, metadata=_metadata("png"),
                    pil_kwargs=_PNG_OPTIONS)
    finally:
        fig.set_layout_engine(engine)
        fig.dpi = shown_dpi


#: zlib level of the PNG files: 3 encodes the report's six figures in two thirds of the time of
#: Pillow's default (6), for files 0-8 % larger (measured on the README's example)
_PNG_OPTIONS = {"compress_level": 3}


def _metadata(fmt: str) -> dict:
    if fmt == "pdf":
        return {"CreationDate": None, "Creator": "massdriver", "Producer": None}
    if fmt == "png":
        return {"Software": None}
    return {}


# ------------------------------------------------------------------------------------------------
# helpers on the tables
# ------------------------------------------------------------------------------------------------
def _values(column, unit: str | None = None) -> np.ndarray:
    """Plain float array of a table column (Quantity or plain), in ``unit`` when given."""
    if hasattr(column, "unit") and column.unit is not None and unit is not None:
        return np.asarray(column.to_value(unit), dtype=float)
    if hasattr(column, "value"):
        return np.asarray(column.value, dtype=float)
    return np.asarray(column, dtype=float)


def _datetimes(times) -> np.ndarray:
    """``astropy.time.Time`` (any scale) or ISO UTC strings -> numpy datetime64 in UTC."""
    t = times if isinstance(times, Time) else Time(list(np.atleast_1d(times)), scale="utc")
    return np.asarray(t.utc.datetime64)


def _date_axis(ax) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _branches(scan) -> list[str]:
    present = [str(b) for b in np.unique(np.asarray(scan["branch"], dtype=str))]
    order = [b for b in BRANCH_STYLE if b in present]
    return order + [b for b in present if b not in order]


def _window_total(w: dict) -> float:
    return float(w["budget"]["total_km_s"])


def _shade_windows(ax, windows: Sequence[dict], label: bool) -> None:
    """Shade each window's [open, close] span (a zero-length window as a thin line)."""
    for k, w in enumerate(windows):
        t0, t1 = _datetimes([w["open_utc"], w["close_utc"]])
        kwargs = {"color": _WINDOW_COLOR, "alpha": 0.18, "lw": 0,
                  "label": "launch window" if (label and k == 0) else None}
        if t1 > t0:
            ax.axvspan(t0, t1, **kwargs)
        else:
            ax.axvline(t0, color=_WINDOW_COLOR, alpha=0.5, lw=1.0, label=kwargs["label"])


# ------------------------------------------------------------------------------------------------
# window chart
# ------------------------------------------------------------------------------------------------
def plot_window_chart(scan, windows: Sequence[dict], threshold_km_s: float):
    """Delta-v against launch epoch over the scanned span, one panel per arrival branch.

    The scan's budget parts (insertion, plane change, circularization; the cheapest Earth
    strategy at each grid epoch, without mid-course correction or dispersion margin) are
    stacked; their sum is the total drawn as a line. Epochs whose speed solve failed are ticked
    along the bottom. Windows of the branch are shaded, the threshold is a dashed line, and each
    window's best epoch is a star at its final total (MCC and margin included).

    Parameters
    ----------
    scan : astropy.table.Table
        ``scan.ecsv``: columns ``launch_utc`` (Time), ``branch``, ``solve_status``, ``total``,
        ``insertion``, ``plane_change``, ``circularization`` (km/s).
    windows : sequence of dict
        The ``windows`` list of ``plan.json``.
    threshold_km_s : float
        Window threshold (km/s).

    Returns
    -------
    matplotlib.figure.Figure
    """
    branches = _branches(scan)
    fig = new_figure(9.0, 2.2 + 2.3 * len(branches), layout="margins")
    axes = fig.subplots(len(branches), 1, sharex=True, squeeze=False)[:, 0]
    t_all = _datetimes(scan["launch_utc"])
    branch_col = np.asarray(scan["branch"], dtype=str)
    top = 0.0
    for ax, name in zip(axes, branches, strict=True):
        sel = branch_col == name
        t = t_all[sel]
        total = _values(scan["total"][sel], "km/s")
        ok = np.isfinite(total)
        base = np.zeros(t.shape[0])
        for part in SCAN_PARTS:
            val = np.nan_to_num(_values(scan[part][sel], "km/s"))
            ax.fill_between(t, base, base + val, where=ok, interpolate=False, step=None,
                            color=PART_COLORS[part], alpha=0.55, lw=0,
                            label=PART_LABELS[part])
            base = base + val
        ax.plot(t, np.where(ok, total, np.nan), color="k", lw=1.0,
                label="total (cheapest strategy)")
        if np.any(~ok):
            ax.plot(t[~ok], np.zeros(np.count_nonzero(~ok)), "|", color="0.35", ms=8,
                    label="no exit speed solution")
        mine = [w for w in windows if w.get("branch") == name]
        _shade_windows(ax, mine, label=True)
        if mine:
            ax.plot(_datetimes([w["best_utc"] for w in mine]), [_window_total(w) for w in mine],
                    "*", color="gold", mec="k", mew=0.6, ms=11,
                    label="best epoch (final budget)")
        ax.axhline(threshold_km_s, color=_THRESHOLD_COLOR, ls="--", lw=1.0,
                   label=f"threshold {threshold_km_s:g} km/s")
        ax.set_ylabel("delta-v [km/s]")
        ax.set_title(f"{name} arrival: {np.count_nonzero(ok)} of {ok.size} epochs solved, "
                     f"{len(mine)} window{'s' if len(mine) != 1 else ''}")
        if np.any(ok):
            top = max(top, float(np.nanmax(total)))
    ymax = 1.08 * max(top, threshold_km_s)
    for ax in axes:
        ax.set_ylim(0.0, ymax)
        _date_axis(ax)
    handles, labels = {}, []
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in handles:
                handles[lab] = h
                labels.append(lab)
    fig.legend([handles[lab] for lab in labels], labels, loc="outside lower center", ncols=4)
    axes[-1].set_xlabel("launch epoch (UTC)")
    fig.suptitle("Delta-v of the solved arrival at each launch epoch")
    return fig


# ------------------------------------------------------------------------------------------------
# porkchop-style speed map
# ------------------------------------------------------------------------------------------------
def plot_speed_map(scan, windows: Sequence[dict], threshold_km_s: float):
    """Solved exit speed against launch epoch, coloured by the total delta-v.

    Each launch epoch of the scan has (per branch) one exit speed that puts the Earth perigee
    at the target radius; this map shows those solved points only. It is a porkchop-style view
    of the solution curve, not a true porkchop plot (which would need the budget at off-solution
    speeds, i.e. of arrivals that miss the target perigee). Colours saturate at twice the
    distance from the lowest total to the threshold; each window's best shot is a star.

    Parameters
    ----------
    scan : astropy.table.Table
        ``scan.ecsv`` (``launch_utc``, ``branch``, ``speed`` and ``total`` in km/s).
    windows : sequence of dict
        The ``windows`` list of ``plan.json``.
    threshold_km_s : float

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig = new_figure(9.0, 4.6, layout="margins")
    # the colour bar in a narrow column of its own: a panel of the grid the layout places
    grid = fig.add_gridspec(1, 2, width_ratios=(1.0, 0.022))
    ax = fig.add_subplot(grid[0, 0])
    t_all = _datetimes(scan["launch_utc"])
    branch_col = np.asarray(scan["branch"], dtype=str)
    speed = _values(scan["speed"], "km/s")
    total = _values(scan["total"], "km/s")
    ok = np.isfinite(speed) & np.isfinite(total)
    lo = float(np.min(total[ok])) if np.any(ok) else threshold_km_s - 1.0
    hi = lo + 2.0 * max(threshold_km_s - lo, 0.05)
    norm = Normalize(vmin=min(lo, threshold_km_s - 0.05), vmax=hi)
    mappable = None
    for name in _branches(scan):
        sel = ok & (branch_col == name)
        st = BRANCH_STYLE.get(name, {"marker": "s"})
        ax.plot(t_all[branch_col == name], speed[branch_col == name], color="0.75", lw=0.6,
                zorder=1)
        mappable = ax.scatter(t_all[sel], speed[sel], c=total[sel], cmap="viridis", norm=norm,
                              marker=st["marker"], s=14, lw=0.2, edgecolors="k", zorder=2,
                              label=f"{name} arrival")
    if windows:
        ax.plot(_datetimes([w["best_utc"] for w in windows]),
                [float(w["speed_km_s"]) for w in windows], "*", color="gold", mec="k",
                mew=0.6, ms=13, zorder=3, label="best shot of a window")
    if mappable is not None:
        bar = fig.colorbar(mappable, cax=fig.add_subplot(grid[0, 1], label="<colorbar>"),
                           extend="max")
        bar.set_label("total delta-v, cheapest strategy [km/s]")
        bar.ax.axhline(threshold_km_s, color=_THRESHOLD_COLOR, lw=1.5)
    if t_all.size:
        pad = (t_all.max() - t_all.min()) * 0.02
        ax.set_xlim(t_all.min() - pad, t_all.max() + pad)
    if not np.any(ok):
        ax.text(0.5, 0.5, "no solved shot in the scan", transform=ax.transAxes, ha="center",
                va="center", fontsize=12, color="0.4")
    _date_axis(ax)
    ax.set_xlabel("launch epoch (UTC)")
    ax.set_ylabel("exit speed [km/s]")
    ax.set_title("Solved shots: exit speed that reaches the target perigee "
                 f"(threshold {threshold_km_s:g} km/s marked on the colour bar)")
    ax.legend(loc="best")
    return fig


# ------------------------------------------------------------------------------------------------
# budget bars
# ------------------------------------------------------------------------------------------------
def plot_budget_bars(windows: Sequence[dict], threshold_km_s: float):
    """Each window's final budget at its best epoch: stacked bars and the parts one by one.

    Left: stacked bars (MCC, insertion, plane change, circularization, margin) with the total
    and the chosen strategy written on top, and the threshold. Right: the same parts side by
    side on a logarithmic axis in m/s, so that parts of a few m/s (MCC, margin) are visible
    next to a km/s insertion; parts under 1 mm/s are left out there.

    Parameters
    ----------
    windows : sequence of dict
        The ``windows`` list of ``plan.json`` (``budget`` holds ``<part>_km_s``).
    threshold_km_s : float

    Returns
    -------
    matplotlib.figure.Figure
    """
    n = len(windows)
    fig = new_figure(max(9.0, min(16.0, 4.0 + 1.6 * n)), 4.6, layout="margins")
    ax, ax_log = fig.subplots(1, 2, width_ratios=(1.0, 1.0))
    x = np.arange(n)
    parts = {p: np.array([float(w["budget"][f"{p}_km_s"]) for w in windows])
             for p in BUDGET_PARTS}
    base = np.zeros(n)
    for part in BUDGET_PARTS:
        ax.bar(x, parts[part], bottom=base, width=0.6, color=PART_COLORS[part],
               label=PART_LABELS[part], edgecolor="white", linewidth=0.4)
        base = base + parts[part]
    for k, w in enumerate(windows):
        strategy = _STRATEGY_SHORT.get(w["budget"]["strategy"], w["budget"]["strategy"])
        ax.annotate(f"{_window_total(w):.3f}\n{literal(strategy)}",
                    (x[k], base[k]), xytext=(0, 3), textcoords="offset points",
                    ha="center", va="bottom", fontsize=7)
    ax.axhline(threshold_km_s, color=_THRESHOLD_COLOR, ls="--", lw=1.0,
               label=f"threshold {threshold_km_s:g} km/s")
    labels = [f"{w['best_utc'][:10]}\n{w['best_utc'][11:16]} UTC\n"
              f"{literal(w['branch'])}"
              for w in windows]
    ax.set_xticks(x, labels)
    ax.set_xlim(-0.7, max(n, 1) - 0.3)
    ax.set_ylim(0.0, 1.18 * max([threshold_km_s, *base.tolist()]))
    ax.set_ylabel("delta-v [km/s]")
    ax.set_xlabel("window: best launch epoch (UTC), arrival branch")
    ax.set_title("Budget at the best epoch (total and strategy on top)")

    width = 0.8 / len(BUDGET_PARTS)
    floor = 1e-3                                             # m/s
    for j, part in enumerate(BUDGET_PARTS):
        val = parts[part] * 1000.0
        ax_log.bar(x + (j - (len(BUDGET_PARTS) - 1) / 2) * width, np.where(val >= floor, val, 0),
                   width=width, color=PART_COLORS[part], label=PART_LABELS[part])
    ax_log.set_yscale("log")
    ax_log.yaxis.set_major_formatter(_power_of_ten)
    ax_log.yaxis.set_minor_formatter("")      # at least six decades: no minor labels anyway
    largest = 1000.0 * max(1e-3, float(base.max(initial=1.0)))          # m/s
    ax_log.set_ylim(floor, 10.0 ** np.ceil(np.log10(largest)))
    ax_log.set_xticks(x, labels)
    ax_log.set_xlim(-0.7, max(n, 1) - 0.3)
    ax_log.set_ylabel("delta-v [m/s] (log scale)")
    ax_log.set_xlabel("window: best launch epoch (UTC), arrival branch")
    ax_log.set_title("The parts one by one")
    if n == 0:
        for a in (ax, ax_log):
            a.text(0.5, 0.5, "no launch window", transform=a.transAxes, ha="center",
                   va="center", fontsize=12, color="0.4")
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=6)
    return fig


_SUPERSCRIPT = str.maketrans("-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076"
                              "\u2077\u2078\u2079")


def _power_of_ten(value: float, _pos=None) -> str:
    """Tick label of a logarithmic axis: ``10`` with the exponent in Unicode superscripts.

    Matplotlib's default writes the same label as mathtext, whose parser costs about 0.1 s
    CPU a figure; these are plain text (DejaVu Sans has the glyphs). Ticks off a power of ten
    get no label.
    """
    if not value > 0:
        return ""
    exponent = round(float(np.log10(value)))
    if not np.isclose(value, 10.0 ** exponent, rtol=1e-9):
        return ""
    return "10" + str(exponent).translate(_SUPERSCRIPT)


# ------------------------------------------------------------------------------------------------
# trajectory
# ------------------------------------------------------------------------------------------------
def perigee_index(positions_km: np.ndarray) -> int:
    """Index of the stored point closest to the Earth (the arrival perigee of a coast that
    ends there)."""
    return int(np.argmin(np.linalg.norm(positions_km, axis=1)))


def hermite_path(t_s: np.ndarray, positions_km: np.ndarray, velocities_km_s: np.ndarray,
                 per_step: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Points between the stored integrator steps by cubic Hermite interpolation.

    The stored states (every accepted step) are far apart where the coast is slow; drawing
    straight segments between them shows corners, most visibly in the rotating frame. Each
    interval is filled with the cubic that matches the stored positions and velocities at both
    ends (error O(h^4), no force model evaluated).

    Parameters
    ----------
    t_s : ndarray (n,)
        Times of the stored states (s, increasing).
    positions_km, velocities_km_s : ndarray (n, 3)
    per_step : int
        Points per interval (the stored states are among them).

    Returns
    -------
    t_dense : ndarray (m,)
        ``(n - 1) * per_step + 1`` times; ``t_dense[::per_step] == t_s``.
    r_dense : ndarray (m, 3)
        Positions at ``t_dense`` (km).
    """
    t = np.asarray(t_s, dtype=float)
    r = np.asarray(positions_km, dtype=float)
    v = np.asarray(velocities_km_s, dtype=float)
    if t.size < 2:
        return t.copy(), r.copy()
    f = np.arange(per_step) / per_step                       # fractions in [0, 1)
    h = np.diff(t)[:, None, None]                            # (n-1, 1, 1)
    ff = f[None, :, None]
    h00 = 2 * ff**3 - 3 * ff**2 + 1
    h10 = ff**3 - 2 * ff**2 + ff
    h01 = -2 * ff**3 + 3 * ff**2
    h11 = ff**3 - ff**2
    pts = (h00 * r[:-1, None, :] + h10 * h * v[:-1, None, :] + h01 * r[1:, None, :]
           + h11 * h * v[1:, None, :])
    t_dense = (t[:-1, None] + np.diff(t)[:, None] * f[None, :]).reshape(-1)
    return (np.concatenate([t_dense, t[-1:]]),
            np.concatenate([pts.reshape(-1, 3), r[-1:]], axis=0))


def circle_in_plane(radius_km: float, normal, n: int = 181) -> np.ndarray:
    """Points (n, 3) of an Earth-centred circle of ``radius_km`` in the plane normal to
    ``normal`` (ICRF, km)."""
    z = np.asarray(normal, dtype=float)
    z = z / np.linalg.norm(z)
    helper = np.array([1.0, 0.0, 0.0]) if abs(z[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    x = np.cross(helper, z)
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    a = np.linspace(0.0, 2.0 * np.pi, n)
    return radius_km * (np.outer(np.cos(a), x) + np.outer(np.sin(a), y))


def plot_trajectory_views(trajectory, *, target_radius_km: float | None = None,
                          title: str = ""):
    """Four views of one coast from the lunar track to the Earth perigee.

    (a) Earth-centred ICRF, x-y projection with the Moon's track; (b) Earth-Moon rotating frame
    (x towards the Moon, z along the Moon's orbit normal, from the stored Moon positions; see
    :func:`massdriver.report.trajectory_plots.rotating_frame_positions`); (c) the arrival near
    the Earth, ICRF x-y, with the target orbit; (d) ICRF in 3D. Earth, Moon (at launch and at
    the end), launch point and perigee are marked in each.

    The target orbit is drawn as a circle of the target perigee radius in the arrival plane
    (the plane of the perigee state), projected where the panel is a projection. Lines pass
    through the stored states and are filled in between by :func:`hermite_path` (the Moon by a
    cubic spline in time); markers sit on stored states.

    Parameters
    ----------
    trajectory : astropy.table.Table
        ``best_trajectory.ecsv``: ``x, y, z, vx, vy, vz, moon_x, moon_y, moon_z`` (km, km/s)
        and ``epoch_tdb``.
    target_radius_km : float, optional
        Target orbit radius (km); no circle when ``None``.
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    r = np.column_stack([_values(trajectory[c], "km") for c in ("x", "y", "z")])
    v = np.column_stack([_values(trajectory[c], "km/s") for c in ("vx", "vy", "vz")])
    m = np.column_stack([_values(trajectory[c], "km") for c in ("moon_x", "moon_y", "moon_z")])
    epochs = trajectory["epoch_tdb"]
    t_s = np.asarray((epochs - epochs[0]).to_value("s"), dtype=float)
    k_p = perigee_index(r)
    r_p = float(np.linalg.norm(r[k_p]))
    normal = orbit_normal(m)
    r_rot, m_rot = rotating_frame_positions(r, m, normal)
    # smooth lines: Hermite between the stored steps, the Moon by a cubic spline in time
    t_d, r_d = hermite_path(t_s, r, v)
    m_d = CubicSpline(t_s, m, axis=0)(t_d) if t_s.size >= 4 else np.column_stack(
        [np.interp(t_d, t_s, m[:, k]) for k in range(3)])
    r_rot_d, _ = rotating_frame_positions(r_d, m_d, normal)
    target = None
    if target_radius_km is not None and np.isfinite(target_radius_km):
        h = np.cross(r[k_p], v[k_p])
        target = circle_in_plane(float(target_radius_km), h if np.linalg.norm(h) > 0 else
                                 np.array([0.0, 0.0, 1.0]))
    s = 1.0 / _KM_PER_UNIT

    fig = new_figure(11.0, 10.0, layout="margins")
    grid = fig.add_gridspec(2, 2)
    ax_i = fig.add_subplot(grid[0, 0])
    ax_r = fig.add_subplot(grid[0, 1])
    ax_z = fig.add_subplot(grid[1, 0])
    with matplotlib.rc_context({"axes.titley": None}):   # title level with (c)'s, as before
        ax_3 = fig.add_subplot(grid[1, 1], projection="3d")

    def marks(ax, rr, mm, moon=True):
        ax.add_patch(Circle((0.0, 0.0), bodies.R_EARTH * s, color="#2ca02c", alpha=0.6, lw=0,
                            label="Earth"))
        if moon:
            ax.add_patch(Circle(tuple(mm[0, :2] * s), bodies.R_MOON * s, color="0.5", alpha=0.7,
                                lw=0))
            ax.plot(*(mm[0, :2] * s), "o", color="0.35", ms=5, label="Moon at launch")
            ax.plot(*(mm[-1, :2] * s), "o", mfc="none", color="0.35", ms=6,
                    label="Moon at perigee")
        ax.plot(*(rr[0, :2] * s), "^", color="k", ms=7, label="launch point")
        ax.plot(*(rr[k_p, :2] * s), "*", color="#d62728", ms=12,
                label=f"perigee, r = {r_p:,.0f} km")
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_xlabel("x [1000 km]")
        ax.set_ylabel("y [1000 km]")

    ax_i.plot(m_d[:, 0] * s, m_d[:, 1] * s, color="0.6", ls="--", lw=1.0, label="Moon track")
    ax_i.plot(r_d[:, 0] * s, r_d[:, 1] * s, color="#1f77b4", label="payload")
    marks(ax_i, r, m)
    ax_i.set_title("(a) Earth-centred ICRF, x-y projection")
    ax_i.legend(loc="best")

    ax_r.plot(r_rot_d[:, 0] * s, r_rot_d[:, 1] * s, color="#1f77b4", label="payload")
    marks(ax_r, r_rot, m_rot)
    ax_r.set_title("(b) Earth-Moon rotating frame (x towards the Moon)")

    # near-Earth zoom: the last part of the approach, the perigee and the target orbit
    half = 3.5 * max(r_p, target_radius_km or 0.0, bodies.R_EARTH)
    near = np.all(np.abs(r_d[:, :2]) < 1.5 * half, axis=1)
    if target is not None:
        ax_z.plot(target[:, 0] * s, target[:, 1] * s, color="#ff7f0e", lw=1.2,
                  label=f"target orbit, r = {target_radius_km:,.0f} km (arrival plane)")
    ax_z.plot(np.where(near, r_d[:, 0], np.nan) * s, np.where(near, r_d[:, 1], np.nan) * s,
              color="#1f77b4", label="payload")
    marks(ax_z, r, m, moon=False)
    ax_z.set_aspect("equal", adjustable="box")
    ax_z.set_xlim(-half * s, half * s)
    ax_z.set_ylim(-half * s, half * s)
    ax_z.set_title("(c) arrival near the Earth, ICRF x-y projection")
    ax_z.legend(loc="upper left")

    ax_3.plot(m_d[:, 0] * s, m_d[:, 1] * s, m_d[:, 2] * s, color="0.6", ls="--", lw=1.0)
    ax_3.plot(r_d[:, 0] * s, r_d[:, 1] * s, r_d[:, 2] * s, color="#1f77b4")
    ax_3.scatter([0.0], [0.0], [0.0], color="#2ca02c", s=30)
    ax_3.scatter(*(m[0] * s), color="0.35", s=20)
    ax_3.scatter(*(r[0] * s), color="k", marker="^", s=30)
    ax_3.scatter(*(r[k_p] * s), color="#d62728", marker="*", s=60)
    if target is not None:
        ax_3.plot(target[:, 0] * s, target[:, 1] * s, target[:, 2] * s, color="#ff7f0e")
    pts = np.vstack([r, m, np.zeros((1, 3))]) * s
    centre = 0.5 * (pts.max(axis=0) + pts.min(axis=0))
    span = 0.5 * float(np.max(pts.max(axis=0) - pts.min(axis=0)))
    ax_3.set_xlim(centre[0] - span, centre[0] + span)
    ax_3.set_ylim(centre[1] - span, centre[1] + span)
    ax_3.set_zlim(centre[2] - span, centre[2] + span)
    ax_3.set_box_aspect((1.0, 1.0, 1.0))
    ax_3.set_xlabel("x [1000 km]")
    ax_3.set_ylabel("y [1000 km]")
    ax_3.set_zlabel("z [1000 km]")
    with matplotlib.rc_context({"axes.titley": None}):
        ax_3.set_title("(d) Earth-centred ICRF, 3D")
    if title:
        fig.suptitle(title)
    return fig
