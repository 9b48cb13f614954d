"""Figures of the arrival strategies (``docs/arrival.md``), drawn from ``plan.json``.

Like the rest of the report these functions read results only: the ``arrival`` table that
:meth:`massdriver.arrival.ArrivalComparison.as_dict` writes into each window of ``plan.json``
(and the per-pass ``history`` of its aerobraking result). Nothing is integrated here.

``plot_arrival_strategies``
    One panel per window: delta-v (km/s) and propellant mass (kg) of every priced strategy,
    side by side; the chosen one marked, the infeasible ones drawn as hatched stubs labelled
    with their outcome (re-entry, skip-out, limit exceeded, ...).
``plot_aerobraking``
    One aerobraking campaign: perigee and apogee altitude against pass number, and the peak
    heat rate and deceleration of each pass as fractions of the satellite's limits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from massdriver.report.plots import literal, new_figure

__all__ = ["ARRIVAL_FIGURES", "STRATEGY_LABELS", "arrival_stems", "aerobraking_window",
           "plot_arrival_strategies", "plot_aerobraking"]

#: figure stems of the arrival part of the report, in page order
ARRIVAL_FIGURES = ("arrival_strategies", "aerobraking")
#: how each strategy is named on the figures
STRATEGY_LABELS = {
    "impulsive": "impulsive",
    "finite_burn": "finite burn",
    "multi_pass": "multi-pass",
    "aerobraking": "aerobraking",
    "aerocapture": "aerocapture",
}
_DV_COLOR = "#1f77b4"
_KG_COLOR = "#ff7f0e"
_INFEASIBLE = "0.6"
#: at most this many windows are drawn (the cheapest by the chosen strategy's propellant)
MAX_WINDOWS = 12


def _arrival(window: dict) -> dict | None:
    a = window.get("arrival")
    return a if isinstance(a, dict) and isinstance(a.get("strategies"), list) else None


def _aerobraking(window: dict) -> dict | None:
    a = _arrival(window)
    if a is None:
        return None
    for r in a["strategies"]:
        if r.get("strategy") == "aerobraking" and isinstance(r.get("history"), dict):
            return r
    return None


def aerobraking_window(windows: Sequence[dict], best: dict | None = None) -> dict | None:
    """The window whose aerobraking campaign is drawn: ``best`` when it has one, else the
    first window with an aerobraking history (``None`` when no window has one)."""
    if best is not None and _aerobraking(best) is not None:
        return best
    return next((w for w in windows if _aerobraking(w) is not None), None)


def arrival_stems(plan: dict) -> tuple[str, ...]:
    """The arrival figures a plan gives: none without priced arrivals, ``aerobraking`` only
    when some window's aerobraking result carries its per-pass history."""
    windows = plan.get("windows") or []
    if not any(_arrival(w) is not None for w in windows):
        return ()
    if aerobraking_window(windows) is None:
        return ARRIVAL_FIGURES[:1]
    return ARRIVAL_FIGURES


def _num(x) -> float:
    return math.nan if x is None else float(x)


def _chosen_propellant(w: dict) -> float:
    a = _arrival(w)
    for r in a["strategies"]:
        if r["strategy"] == a["chosen"]:
            return _num(r["propellant_kg"])
    return math.inf


def plot_arrival_strategies(windows: Sequence[dict]):
    """Every priced strategy of every window: delta-v and propellant, the chosen one marked.

    Parameters
    ----------
    windows : sequence of dict
        The ``windows`` list of ``plan.json``; those without an ``arrival`` table are skipped.
        At most :data:`MAX_WINDOWS` are drawn (the cheapest by the chosen strategy's
        propellant, in launch order).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per window: blue bars delta-v (km/s, left axis), orange bars propellant
        (kg, right axis); infeasible strategies as grey hatched stubs with their outcome.
    """
    priced = [w for w in windows if _arrival(w) is not None]
    dropped = 0
    if len(priced) > MAX_WINDOWS:
        keep = sorted(priced, key=_chosen_propellant)[:MAX_WINDOWS]
        dropped = len(priced) - MAX_WINDOWS
        priced = [w for w in priced if any(w is k for k in keep)]
    n = max(1, len(priced))
    ncols = min(n, 3)
    nrows = math.ceil(n / ncols)
    fig = new_figure(4.6 * ncols + 0.6, 3.9 * nrows + 0.5, layout="margins")
    # only the panels drawn: a hidden panel in the empty cells would cost as much as a drawn one
    grid = fig.add_gridspec(nrows, ncols)
    axes = [fig.add_subplot(grid[k // ncols, k % ncols]) for k in range(n)]
    dv_top = kg_top = 0.0
    for w in priced:
        for r in w["arrival"]["strategies"]:
            if r.get("feasible"):
                dv_top = max(dv_top, _num(r["delta_v_km_s"]))
                kg_top = max(kg_top, _num(r["propellant_kg"]))
    dv_top = 1.3 * (dv_top or 1.0)
    kg_top = 1.3 * (kg_top or 1.0)
    twins = []
    for ax, w in zip(axes, priced, strict=False):
        a = w["arrival"]
        results = a["strategies"]
        names = [r["strategy"] for r in results]
        x = np.arange(len(results))
        ax2 = ax.twinx()
        twins.append(ax2)
        for i, r in enumerate(results):
            ok = bool(r.get("feasible"))
            chosen = r["strategy"] == a["chosen"]
            edge = {"edgecolor": "black", "linewidth": 1.6} if chosen else \
                {"edgecolor": "white", "linewidth": 0.4}
            if ok:
                dv, kg = _num(r["delta_v_km_s"]), _num(r["propellant_kg"])
                ax.bar(x[i] - 0.19, dv, width=0.38, color=_DV_COLOR, **edge)
                ax2.bar(x[i] + 0.19, kg, width=0.38, color=_KG_COLOR, **edge)
                ax.annotate(f"{dv:.2f}", (x[i] - 0.19, dv), xytext=(0, 2),
                            textcoords="offset points", ha="center", va="bottom", fontsize=6.5,
                            color=_DV_COLOR)
                ax2.annotate(f"{kg:.0f}", (x[i] + 0.19, kg), xytext=(0, 2),
                             textcoords="offset points", ha="center", va="bottom",
                             fontsize=6.5, color=_KG_COLOR)
                if chosen:
                    ax.annotate("chosen", (x[i], max(dv / dv_top, kg / kg_top) * dv_top),
                                xytext=(0, 11), textcoords="offset points", ha="center",
                                va="bottom", fontsize=7.5, fontweight="bold")
            else:
                ax.bar(x[i], 0.06 * dv_top, width=0.76, color="none", hatch="///",
                       edgecolor=_INFEASIBLE, linewidth=0.6)
                ax.text(x[i], 0.08 * dv_top, literal(str(r.get("outcome", "infeasible"))),
                        rotation=90, ha="center", va="bottom", fontsize=7, color="0.35")
        ax.set_ylim(0.0, dv_top)
        ax2.set_ylim(0.0, kg_top)
        ax.set_xticks(x, [STRATEGY_LABELS.get(s, literal(s)) for s in names], rotation=30,
                      ha="right", fontsize=7.5)
        ax.set_xlim(-0.6, len(results) - 0.4)
        ax.set_ylabel("delta-v [km/s]", color=_DV_COLOR)
        ax2.set_ylabel("propellant [kg]", color=_KG_COLOR)
        ax.grid(False)
        ax2.grid(False)
        ax.set_title(f"launch {w['best_utc'][:16].replace('T', ' ')} UTC, "
                     f"{literal(w.get('branch', ''))}\nchosen by {literal(a.get('choose_by'))}: "
                     f"{STRATEGY_LABELS.get(a['chosen'], literal(a['chosen']))}", fontsize=8.5)
    if not priced:
        axes[0].text(0.5, 0.5, "no arrival priced (no [satellite] in the mission)",
                     transform=axes[0].transAxes, ha="center", va="center", color="0.4")
    title = "Arrival strategies per window: delta-v (blue) and propellant mass (orange)"
    if ncols == 1:               # one panel: the title in one line is wider than the figure
        title = title.replace(": ", ":\n")
    if dropped:
        title += f" ({dropped} more windows not drawn)"
    fig.suptitle(title)
    return fig


def plot_aerobraking(window: dict, limits: dict | None = None):
    """One window's aerobraking campaign, pass by pass.

    Parameters
    ----------
    window : dict
        A window of ``plan.json`` whose ``arrival`` holds an aerobraking result with a
        ``history`` (:func:`massdriver.arrival.history_dict`).
    limits : dict, optional
        ``max_heat_rate_W_cm2``, ``max_g``, ``max_heat_load_J_cm2``; default: the ``limits``
        of the window's ``arrival`` table. Without limits the lower panel shows the absolute
        heat rate and deceleration.

    Returns
    -------
    matplotlib.figure.Figure
        (a) perigee and apogee altitude (km) against pass number; (b) the peak heat rate,
        deceleration and heat load of each pass as fractions of the limits (or absolute).
    """
    r = _aerobraking(window)
    if r is None:
        raise ValueError("the window has no aerobraking history")
    h = r["history"]
    per = np.array([_num(x) for x in h["perigee_altitude_km"]])
    apo = np.array([_num(x) for x in h["apogee_altitude_km"]])
    q = np.array([_num(x) for x in h["peak_heat_rate_W_cm2"]])
    g = np.array([_num(x) for x in h["peak_g"]])
    load = np.array([_num(x) for x in h["heat_load_J_cm2"]])
    days = np.array([_num(x) for x in h["time_days"]])
    n = np.arange(1, per.size + 1)
    limits = limits if limits is not None else (window["arrival"].get("limits") or {})

    fig = new_figure(10.0, 6.4, layout="margins")
    ax_a, ax_b = fig.subplots(2, 1, sharex=True, height_ratios=(1.5, 1.0))
    ax_a.plot(n, apo, color="#1f77b4", lw=1.4, label="apogee altitude")
    ax_p = ax_a.twinx()
    ax_p.plot(n, per, color="#d62728", lw=1.0, label="perigee altitude")
    ax_a.set_ylabel("apogee altitude [km]", color="#1f77b4")
    ax_p.set_ylabel("perigee altitude [km]", color="#d62728")
    ax_p.grid(False)
    dv = _num(r.get("delta_v_km_s"))
    if r.get("feasible") and math.isfinite(dv):
        outcome = f"{dv:.3f} km/s in all (completed)"
    else:       # an infeasible campaign has no delta-v: say why instead of "nan km/s"
        outcome = literal(f"infeasible: {r.get('outcome') or 'no delta-v'}")
    ax_a.set_title(
        f"Aerobraking after the {window['best_utc'][:16].replace('T', ' ')} UTC launch: "
        f"{per.size} atmospheric passes, {days[-1] if days.size else 0.0:.1f} days, "
        f"{outcome}", fontsize=9)
    handles = ax_a.get_legend_handles_labels()
    more = ax_p.get_legend_handles_labels()
    ax_a.legend(handles[0] + more[0], handles[1] + more[1], loc="upper right", fontsize=8)

    qmax = limits.get("max_heat_rate_W_cm2")
    gmax = limits.get("max_g")
    lmax = limits.get("max_heat_load_J_cm2")
    if qmax and gmax and lmax:
        ax_b.plot(n, q / qmax, color="#ff7f0e", lw=1.0,
                  label=f"peak heat rate / {qmax:g} W/cm2")
        ax_b.plot(n, g / gmax, color="#2ca02c", lw=1.0, label=f"peak deceleration / {gmax:g} g")
        ax_b.plot(n, load / lmax, color="#9467bd", lw=0.8, ls=":",
                  label=f"heat load / {lmax:g} J/cm2")
        ax_b.axhline(1.0, color="#d62728", ls="--", lw=1.0, label="limit")
        ax_b.set_ylabel("fraction of the limit")
        top = max(1.4, 1.3 * float(np.nanmax(np.concatenate([q / qmax, g / gmax, [0.0]]))))
        ax_b.set_ylim(0.0, top)
    else:
        ax_b.plot(n, q, color="#ff7f0e", lw=1.0, label="peak heat rate [W/cm2]")
        ax_b.plot(n, g, color="#2ca02c", lw=1.0, label="peak deceleration [g]")
        ax_b.set_ylabel("per pass")
    ax_b.set_xlabel("pass number")
    ax_b.legend(loc="upper left", fontsize=7.5, ncols=4)
    return fig
