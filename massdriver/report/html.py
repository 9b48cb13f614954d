"""``report.html``: one self-contained page (inline CSS, images as base64 data URIs, no scripts).

The page opens offline from any place it is copied to: it references no file, font, style sheet
or script outside itself (the optional PDF links point at the figure files next to it). Every
text that comes from the inputs is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from astropy.time import Time

from massdriver.safe_io import escape_controls
from massdriver.timescales import minute_text

__all__ = ["Figure", "render", "figure_captions", "data_uri"]

_CSS = """
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 1.5em auto;
       max-width: 1150px; color: #222; line-height: 1.4; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 1.6em; }
h3 { font-size: 1.05em; }
table { border-collapse: collapse; margin: 0.5em 0 1em 0; font-size: 0.88em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.55em; text-align: right; }
th { background: #f0f0f0; }
td.text, th.text { text-align: left; }
td.time { text-align: left; white-space: nowrap; }
.wide { overflow-x: auto; max-width: 100%; }
tr.best td { background: #fff6d5; }
figure { margin: 1em 0 2em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: 0.9em; color: #444; margin-top: 0.4em; }
pre { background: #f7f7f7; border: 1px solid #ddd; padding: 0.6em; overflow-x: auto;
      font-size: 0.85em; }
.note { color: #555; font-size: 0.9em; }
.summary { background: #f4f8fb; border-left: 4px solid #1f77b4; padding: 0.5em 0.8em; }
"""


@dataclass(frozen=True)
class Figure:
    """One figure of the page.

    Attributes
    ----------
    name : str
        File stem (``window_chart``...).
    title, caption : str
        Plain text (escaped when rendered).
    png : bytes
        The PNG image embedded in the page.
    files : tuple of str
        The figure files written next to the page (linked when they are PDF).
    """

    name: str
    title: str
    caption: str
    png: bytes
    files: tuple[str, ...] = ()


def data_uri(png: bytes) -> str:
    """``data:image/png;base64,...`` for ``png`` bytes."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def figure_captions(inputs) -> dict[str, tuple[str, str]]:
    """Title and caption of each figure (plain text), filled in from the inputs."""
    thr = inputs.threshold_km_s
    return {
        "window_chart": (
            "Delta-v against launch epoch",
            "For every launch epoch of the scan and each arrival branch, the exit speed is "
            "solved so that the coast reaches the target perigee radius, and the Earth arrival "
            "is priced with the cheapest insertion strategy. The coloured bands are that "
            "strategy's insertion, plane change and circularization, stacked; the black line "
            "is their total (no mid-course correction and no dispersion margin at this stage). "
            f"Green bands: launch windows (total under the {thr:g} km/s threshold, dashed). "
            "Stars: each window's best epoch at its final budget (mid-course correction and "
            "dispersion margin included). Grey ticks at the bottom: epochs where no exit speed "
            "in the launcher's range reaches the target perigee."),
        "speed_map": (
            "Exit speed and total delta-v (porkchop-style map of the solved shots)",
            "Each point is a solved shot of the scan: its launch epoch, the exit speed that "
            "puts the perigee at the target radius, and (colour) the total delta-v of the "
            "cheapest strategy. This is a porkchop-style view of the solution curve only: a "
            "true porkchop plot would need the budget at exit speeds off that curve (arrivals "
            "that miss the target perigee), which the scan does not compute. The threshold is "
            "the red mark on the colour bar; stars are the best shots of the windows."),
        "budget": (
            "Delta-v budget of each window",
            "Budget at each window's best epoch: mid-course correction, insertion, plane "
            "change, circularization and dispersion margin, stacked (left, km/s, with the "
            "total and the cheapest strategy on top) and side by side on a logarithmic scale "
            "(right, m/s; parts under 1 mm/s are not drawn)."),
        "trajectory": (
            "Trajectory of the best window",
            "The coast of the best window's shot (no mid-course correction applied), from "
            "the stored integrator steps of best_trajectory.ecsv: (a) Earth-centred ICRF "
            "axes, x-y projection, with the Moon's track; (b) the Earth-Moon rotating frame "
            "(x towards the Moon at each instant, z along the Moon's orbit normal); (c) the "
            "arrival near the Earth with the target orbit (circle of the target radius in the "
            "arrival plane, projected); (d) ICRF in 3D. Distances in 1000 km."),
        "arrival_strategies": (
            "Arrival strategies of each window",
            "Every insertion strategy priced with the mission's [satellite] at each window's "
            "best epoch (docs/arrival.md): total delta-v (blue, km/s, left axis: the window's "
            "mid-course correction, plane change and margin plus the strategy's in-plane "
            "part) and propellant mass by the rocket equation with the capture engine (orange, "
            "kg, right axis). Black outline: the strategy chosen (least propellant or "
            "delta-v, as the [arrival] table says). Grey hatched stubs: strategies that are "
            "not feasible, labelled with the outcome (re-entry, skip-out, limit exceeded, no "
            "corridor): those are reported, never counted as successes."),
        "aerobraking": (
            "Aerobraking campaign",
            "The aerobraking strategy of the best window (or the first window that has one), "
            "pass by pass: apogee altitude (left axis) and perigee altitude (right axis) after "
            "each atmospheric pass, and the pass's peak Sutton-Graves heat rate, peak "
            "deceleration and heat load as fractions of the satellite's limits (dashed line: "
            "the limit). The corridor-control burns at apoapsis keep the perigee in the band "
            "of 55-80 % of the binding limit; the last pass is followed by the perigee raise."),
    }


# ------------------------------------------------------------------------------------------------
def _e(text: Any) -> str:

    return html.escape(escape_controls(str(text)), quote=True)


def _num(x: Any, digits: int = 4) -> str:
    """A number for a table cell (plain text); NaN shows as an en dash."""
    if x is None:
        return "&ndash;"
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    try:
        v = float(x)
    except (TypeError, ValueError):
        return _e(x)
    if not math.isfinite(v):
        return "&ndash;"
    if abs(v) >= 1e7:
        return f"{v:.{digits}e}"
    text = f"{v:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0.0 else text


_UNIT_SUFFIXES = (
    ("_km_s", "km/s"), ("_m_s", "m/s"), ("_km", "km"), ("_deg", "deg"), ("_days", "d"),
    ("_hours", "h"), ("_minutes", "min"), ("_j", "J"), ("_kg", "kg"), ("_utc", "UTC"),
    ("_tdb", "TDB"),
)


def _label(key: str) -> tuple[str, str]:
    """``threshold_km_s`` -> ("threshold", "km/s")."""
    for suffix, unit in _UNIT_SUFFIXES:
        if key.endswith(suffix):
            return key[: -len(suffix)].replace("_", " "), unit
    return key.replace("_", " "), ""


def _value_text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(_value_text(v) for v in value)
    if value is None:
        return "&ndash;"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.10g}" if math.isfinite(value) else "&ndash;"
    return _e(value)


def _key_value_rows(data: dict, prefix: str = "") -> list[str]:
    rows = []
    for key, value in data.items():
        if isinstance(value, dict):
            rows.extend(_key_value_rows(value, prefix=f"{prefix}{key.replace('_', ' ')}: "))
            continue
        name, unit = _label(str(key))
        label = f"{prefix}{name}" + (f" [{unit}]" if unit else "")
        rows.append(f"<tr><th class='text'>{_e(label)}</th>"
                    f"<td class='text'>{_value_text(value)}</td></tr>")
    return rows


def _mission_name(inputs) -> str:
    if inputs.mission_text:
        import tomllib

        try:
            name = tomllib.loads(inputs.mission_text).get("name")
        except tomllib.TOMLDecodeError:
            name = None
        if isinstance(name, str) and name.strip():
            return name.strip()
    site = inputs.plan.get("inputs", {}).get("site", {})
    if isinstance(site, dict) and site.get("name"):
        return f"Launch windows from {site['name']}"
    return inputs.directory.name or "massdriver plan"


def _summary(inputs) -> str:
    plan = inputs.plan
    windows = plan.get("windows") or []
    best = inputs.best_window
    thr = inputs.threshold_km_s
    if best is None:
        text = (f"No launch window under {thr:g} km/s. "
                f"{plan.get('message') or ''}").strip()
        return f"<p class='summary'>{_e(text)}</p>"
    b = best["budget"]
    return (
        "<p class='summary'>"
        f"{len(windows)} launch window{'s' if len(windows) != 1 else ''} under {thr:g} km/s. "
        f"Best: launch <b>{_e(best['best_utc'][:19].replace('T', ' '))} UTC</b> "
        f"({_e(best['branch'])} arrival), "
        f"exit speed <b>{best['speed_km_s']:.4f} km/s</b>, time of flight "
        f"{best['time_of_flight_days']:.2f} d, total delta-v <b>{b['total_km_s']:.4f} km/s</b> "
        f"({_e(b['strategy'].replace('_', ' '))}).</p>" + _cut_note(windows))


def _cut_note(windows: Sequence[dict]) -> str:
    """Say which windows the scan's edges cut (their true edge and minimum may lie outside)."""
    cut = [w for w in windows if w.get("truncated_start") or w.get("truncated_end")]
    if not cut:
        return ""
    names = ", ".join(_time_text_iso(w["best_utc"]) for w in cut)
    return ("<p class='note'>Cut by the scan's edge (still open where the scan, extended past "
            f"the requested span by the window's length, starts or ends): {_e(names)}. Those "
            "windows may be longer than shown.</p>")


def _time_text_iso(label: str) -> str:
    return _time_text(Time(label, scale="utc"))


def _time_text(t) -> str:
    """UTC to the minute (rounded), ``YYYY-MM-DD hh:mm``."""
    return minute_text(t.utc)


def _windows_table(inputs) -> str:
    best = inputs.best_window
    best_utc = best["best_utc"][:19] if best is not None else None
    table = inputs.windows
    if table is None or len(table) == 0:
        if not (inputs.plan.get("windows") or []):
            return "<p class='note'>No windows.</p>"
        return _windows_table_from_plan(inputs.plan["windows"], best_utc)

    head, body = [], []
    for name in table.colnames:
        col = table[name]
        unit = getattr(col, "unit", None)
        scale = " (UTC)" if isinstance(col, Time) else ""
        label = name.replace("_utc", "").replace("_", " ") + scale
        if unit is not None and str(unit):
            text = unit.to_string() if hasattr(unit, "to_string") else str(unit)
            label += f" [{text.replace(' / ', '/')}]"
        head.append(f"<th class='text'>{_e(label)}</th>")
    for row in range(len(table)):
        cells = []
        is_best = False
        for name in table.colnames:
            col = table[name]
            if isinstance(col, Time):
                text = _time_text(col[row])
                if name == "best_utc" and best_utc is not None:
                    is_best = abs(float((col[row] - Time(best_utc, scale="utc")).sec)) < 0.5
                cells.append(f"<td class='time'>{_e(text)}</td>")
            elif getattr(col, "unit", None) is not None:
                digits = 1 if name in ("energy_per_shot", "perigee_altitude") else 4
                value = float(col[row].value)
                if name == "energy_per_shot":
                    cells.append(f"<td>{value:.4e}</td>")
                else:
                    cells.append(f"<td>{_num(value, digits)}</td>")
            else:
                cells.append(f"<td class='text'>{_e(str(col[row]).replace('_', ' '))}</td>")
        cls = " class='best'" if is_best else ""
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return ("<div class='wide'><table><thead><tr>" + "".join(head) + "</tr></thead><tbody>"
            + "".join(body) + "</tbody></table></div><p class='note'>From windows.ecsv (epochs "
            "rounded to the minute); the best window is highlighted.</p>")


def _windows_table_from_plan(windows: Sequence[dict], best_utc: str | None) -> str:
    cols = [("open", "open_utc"), ("close", "close_utc"), ("best", "best_utc")]
    head = ["open (UTC)", "close (UTC)", "best (UTC)", "branch", "speed [km/s]",
            "time of flight [d]", "total [km/s]", "strategy"]
    body = []
    for w in windows:
        cells = [f"<td class='time'>{_e(_time_text_iso(w[k]))}</td>" for _, k in cols]
        cells += [f"<td class='text'>{_e(w['branch'])}</td>", f"<td>{_num(w['speed_km_s'])}</td>",
                  f"<td>{_num(w['time_of_flight_days'])}</td>",
                  f"<td>{_num(w['budget']['total_km_s'])}</td>",
                  f"<td class='text'>{_e(w['budget']['strategy'].replace('_', ' '))}</td>"]
        cls = " class='best'" if w["best_utc"][:19] == best_utc else ""
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return ("<table><thead><tr>" + "".join(f"<th class='text'>{_e(h)}</th>" for h in head)
            + "</tr></thead><tbody>" + "".join(body) + "</tbody></table>"
            "<p class='note'>From plan.json (windows.ecsv not found).</p>")


_PARTS = ("mcc", "insertion", "plane_change", "circularization", "margin", "total")


def _budget_section(best: dict) -> str:
    b = best["budget"]
    budgets = [b, *b.get("alternatives", [])]
    head = "".join(f"<th>{_e(p.replace('_', ' '))} [km/s]</th>" for p in _PARTS)
    rows = []
    for k, x in enumerate(budgets):
        cells = "".join(f"<td>{_num(x.get(f'{p}_km_s'), 4)}</td>" for p in _PARTS)
        tag = " (chosen)" if k == 0 else ""
        cls = " class='best'" if k == 0 else ""
        rows.append(f"<tr{cls}><td class='text'>{_e(x['strategy'].replace('_', ' '))}{tag}</td>"
                    f"{cells}</tr>")
    out = [f"<h3>Budget at {_e(best['best_utc'][:19])} UTC ({_e(best['branch'])} arrival)</h3>",
           "<table><thead><tr><th class='text'>strategy</th>" + head + "</tr></thead><tbody>"
           + "".join(rows) + "</tbody></table>"]
    extra = {k: v for k, v in b.items() if k not in {f"{p}_km_s" for p in _PARTS}
             and k not in ("strategy", "alternatives")}
    per = best.get("perigee", {})
    arrival = {k: v for k, v in per.items() if k not in ("position_km", "velocity_km_s")}
    out.append("<h3>Arrival at perigee (before the Earth burns)</h3><table>"
               + "".join(_key_value_rows(arrival)) + "</table>")
    if extra:
        out.append("<h3>Strategy details</h3><table>" + "".join(_key_value_rows(extra))
                   + "</table>")
    disp = best.get("dispersion")
    if disp:
        src = ("from the launcher model (coilgun Monte Carlo of its [tolerances])"
               if disp.get("source") == "coilgun" else "as given in [launcher]")
        out.append(f"<h3>Launcher dispersion ({_e(src)})</h3><table>"
                   + "".join(_key_value_rows({k: v for k, v in disp.items() if k != "source"}))
                   + "</table>")
    account = best.get("launcher_energy")
    if account:
        out.append(_launcher_energy_table(account))
    mcc = best.get("mid_course")
    if mcc:
        out.append("<h3>Mid-course correction (priced for the MCC strategy)</h3><table>"
                   + "".join(_key_value_rows(mcc)) + "</table>")
    priced = best.get("arrival")
    if isinstance(priced, dict) and isinstance(priced.get("strategies"), list):
        out.append(_arrival_table(priced))
    shot = {k: best[k] for k in ("speed_km_s", "energy_per_shot_j", "time_of_flight_days",
                                 "duration_hours") if k in best}
    if "optimizer" in best:
        shot["optimizer"] = best["optimizer"]
    out.append("<h3>Shot</h3><table>" + "".join(_key_value_rows(shot)) + "</table>")
    return "\n".join(out)


_ARRIVAL_COLUMNS = (
    ("delta_v_km_s", "delta-v [km/s]", 4), ("propellant_kg", "propellant [kg]", 1),
    ("gravity_loss_km_s", "in-plane vs impulsive [km/s]", 4), ("passes", "passes", 0),
    ("days", "days [d]", 2), ("belt_passes", "belt passes", 0),
    ("peak_heat_rate_W_cm2", "peak heat rate [W/cm2]", 3), ("peak_g", "peak g", 2),
    ("burn_time_s", "burn time [s]", 0),
)


def _arrival_table(arrival: dict) -> str:
    """The best window's arrival strategies side by side (chosen highlighted)."""
    head = "".join(f"<th>{_e(label)}</th>" for _, label, _ in _ARRIVAL_COLUMNS)
    rows = []
    for r in arrival["strategies"]:
        chosen = r.get("strategy") == arrival.get("chosen")
        cells = []
        for key, _, digits in _ARRIVAL_COLUMNS:
            value = r.get(key)
            cells.append(f"<td>{_num(value, digits)}</td>")
        outcome = str(r.get("outcome", ""))
        name = str(r.get("strategy", "")).replace("_", " ") + (" (chosen)" if chosen else "")
        cls = " class='best'" if chosen else ""
        rows.append(f"<tr{cls}><td class='text'>{_e(name)}</td>{''.join(cells)}"
                    f"<td class='text'>{_e(outcome)}</td></tr>")
    limits = arrival.get("limits") or {}
    note = (f"Chosen by {_e(arrival.get('choose_by', '?'))} among the feasible strategies")
    if limits:
        note += (f", under the satellite's limits ({_num(limits.get('max_g'), 1)} g, "
                 f"{_num(limits.get('max_heat_rate_W_cm2'), 2)} W/cm2, "
                 f"{_num(limits.get('max_heat_load_J_cm2'), 0)} J/cm2 per pass)")
    return ("<h3>Arrival strategies (insertion with the mission's satellite)</h3>"
            "<div class='wide'><table><thead><tr><th class='text'>strategy</th>" + head
            + "<th class='text'>outcome</th></tr></thead><tbody>" + "".join(rows)
            + f"</tbody></table></div><p class='note'>{note}. Delta-v includes the window's "
            "mid-course correction, plane change and margin; propellant by the rocket "
            "equation with the capture engine (docs/arrival.md).</p>")


def _launcher_energy_table(account: dict) -> str:
    """The coilgun's energy account of the best window's shot, efficiencies with their
    definitions (the ``launcher_energy`` entry of a window in plan.json)."""
    eff = ("muzzle_efficiency", "bank_efficiency", "wall_plug_efficiency")
    defs = account.get("definitions", {})
    rows = _key_value_rows({k: v for k, v in account.items()
                            if k not in eff and k != "definitions"})
    for k in eff:
        if k in account:
            rows.append(f"<tr><th class='text'>{_e(k.replace('_', ' '))}</th>"
                        f"<td class='text'>{_value_text(account[k])} "
                        f"({_e(defs.get(k, ''))})</td></tr>")
    return ("<h3>Launcher energy account (coilgun model, this shot's charge)</h3><table>"
            + "".join(rows) + "</table>")


def _scan_section(scan) -> str:
    branch = np.asarray(scan["branch"], dtype=str)
    status = np.asarray(scan["solve_status"], dtype=str)
    total = np.asarray(getattr(scan["total"], "value", scan["total"]), dtype=float)
    statuses = sorted(set(status.tolist()))
    head = ("<tr><th class='text'>branch</th><th>epochs</th>"
            + "".join(f"<th>{_e(s.replace('_', ' '))}</th>" for s in statuses)
            + "<th>lowest total [km/s]</th></tr>")
    rows = []
    for name in sorted(set(branch.tolist())):
        sel = branch == name
        counts = "".join(f"<td>{int(np.count_nonzero(sel & (status == s)))}</td>"
                         for s in statuses)
        finite = total[sel][np.isfinite(total[sel])]
        lowest = _num(finite.min()) if finite.size else "&ndash;"
        rows.append(f"<tr><td class='text'>{_e(name)}</td><td>{int(np.count_nonzero(sel))}</td>"
                    f"{counts}<td>{lowest}</td></tr>")
    return "<table><thead>" + head + "</thead><tbody>" + "".join(rows) + "</tbody></table>"


def _figure(fig: Figure) -> str:
    links = [f for f in fig.files if f.endswith(".pdf")]
    more = ""
    if links:
        more = " " + ", ".join(f"<a href='{_e(f)}'>{_e(f)}</a>" for f in links)
    return (f"<figure id='{_e(fig.name)}'><h3>{_e(fig.title)}</h3>"
            f"<img src='{data_uri(fig.png)}' alt='{_e(fig.title)}'>"
            f"<figcaption>{_e(fig.caption)}{more}</figcaption></figure>")


def render(inputs, figures: Sequence[Figure]) -> str:
    """The whole page as a string.

    Parameters
    ----------
    inputs : massdriver.report.ReportInputs
    figures : sequence of Figure

    Returns
    -------
    str
        HTML5, UTF-8.
    """
    plan = inputs.plan
    title = _mission_name(inputs)
    best = inputs.best_window
    parts = [
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{_e(title)} - massdriver report</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f"<p class='note'>massdriver {_e(plan.get('massdriver_version', '?'))} &middot; "
        f"report rebuilt from the files of {_e(inputs.directory.name or '.')}/</p>",
        _summary(inputs),
        "<h2>Inputs</h2>",
        "<table>" + "".join(_key_value_rows(plan.get("inputs", {}))) + "</table>",
        "<h2>Launch windows</h2>",
        _windows_table(inputs),
    ]
    if best is not None:
        parts += ["<h2>Best window</h2>", _budget_section(best)]
    parts += ["<h2>Scan</h2>", _scan_section(inputs.scan)]
    parts.append("<h2>Figures</h2>")
    parts += [_figure(f) for f in figures]
    if inputs.trajectory is None:
        parts.append("<p class='note'>No trajectory figure: best_trajectory.ecsv is not in the "
                     "directory (there is none when no window was found).</p>")
    if inputs.mission_text is not None:
        parts += ["<h2>Mission file</h2>", f"<pre>{_e(inputs.mission_text)}</pre>"]
    if inputs.missing:
        parts.append(f"<p class='note'>Files not found: {_e(', '.join(inputs.missing))}.</p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
