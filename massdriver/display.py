"""Compact text and HTML views of the result dataclasses (for the REPL and notebooks).

The dataclasses hold whole arrays (every integrator step, every scanned epoch); their default
``repr`` printed them all. Each result class binds these functions as ``__repr__`` and
``_repr_html_``: one line of text, or a small table in a notebook, with the numbers an analyst
looks at first. They only read the results (no computation beyond a min or a count).
"""

from __future__ import annotations

import html
import math

import numpy as np

from massdriver.timescales import from_tdb_seconds, minute_text

__all__ = ["trajectory_repr", "trajectory_html", "window_repr", "window_html", "plan_repr",
           "plan_html", "scan_repr", "scan_html"]


def _minute(t) -> str:
    return minute_text(t)


def _v(q, unit: str, fmt: str) -> str:
    return format(float(q.to_value(unit)), fmt)


def _table(caption: str, rows: list[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
                   f"<td style='text-align:left'>{html.escape(v)}</td></tr>" for k, v in rows)
    return f"<table><caption>{html.escape(caption)}</caption>{body}</table>"


# --- Trajectory ---------------------------------------------------------------------------------
def _trajectory_rows(t) -> list[tuple[str, str]]:
    rows = [("model", t.model), ("status", t.status),
            ("launch (TDB)", _minute(t.launch_epoch.tdb)),
            ("exit speed", f"{_v(t.exit_speed, 'km/s', '.4f')} km/s"),
            ("time of flight", f"{_v(t.time_of_flight, 'day', '.3f')} d"),
            ("stored points", str(len(t.times)))]
    if t.perigee is not None:
        p = t.perigee
        rows += [("perigee altitude", f"{_v(p.altitude, 'km', '.1f')} km"),
                 ("inclination", f"{_v(p.inclination, 'deg', '.2f')} deg")]
    if t.samples is not None:
        rows.append(("samples", str(len(t.samples.times))))
    rows.append(("nfev / steps / rejected", f"{t.nfev} / {t.steps} / {t.rejected}"))
    return rows


def trajectory_repr(t) -> str:
    """One line: model, status, launch, speed, time of flight, perigee, counts."""
    parts = [f"model={t.model!r}", f"status={t.status!r}",
             f"launch={_minute(t.launch_epoch.tdb)} TDB",
             f"exit_speed={_v(t.exit_speed, 'km/s', '.4f')} km/s",
             f"time_of_flight={_v(t.time_of_flight, 'day', '.3f')} d"]
    if t.perigee is not None:
        parts.append(f"perigee_altitude={_v(t.perigee.altitude, 'km', '.1f')} km")
    parts.append(f"points={len(t.times)}")
    if t.samples is not None:
        parts.append(f"samples={len(t.samples.times)}")
    return f"Trajectory({', '.join(parts)})"


def trajectory_html(t) -> str:
    """A two-column table of :func:`trajectory_repr`'s numbers."""
    return _table("Trajectory", _trajectory_rows(t))


# --- LaunchWindow --------------------------------------------------------------------------------
def _window_rows(w) -> list[tuple[str, str]]:
    cut = ("still open at the scan's start " if w.truncated_start else "") + \
          ("still open at the scan's end" if w.truncated_end else "")
    rows = [("open / close (UTC)", f"{_minute(w.open.utc)} / {_minute(w.close.utc)}"),
            ("duration", f"{_v(w.duration, 'hour', '.1f')} h"),
            ("best (UTC)", _minute(w.best_epoch.utc)), ("arrival", w.branch),
            ("exit speed", f"{_v(w.speed, 'km/s', '.4f')} km/s"),
            ("time of flight", f"{_v(w.time_of_flight, 'day', '.2f')} d"),
            ("inclination", f"{_v(w.perigee.inclination, 'deg', '.2f')} deg"),
            ("total delta-v", f"{_v(w.budget.total, 'km/s', '.4f')} km/s ({w.budget.strategy})")]
    if cut:
        rows.append(("cut", cut.strip()))
    return rows


def window_repr(w) -> str:
    """One line: best epoch, span, speed, time of flight, total delta-v and strategy."""
    cut = ("<" if w.truncated_start else "") + (">" if w.truncated_end else "")
    return (f"LaunchWindow(best={_minute(w.best_epoch.utc)} UTC, "
            f"open={_minute(w.open.utc)}, hours={_v(w.duration, 'hour', '.1f')}, "
            f"branch={w.branch!r}, speed={_v(w.speed, 'km/s', '.4f')} km/s, "
            f"tof={_v(w.time_of_flight, 'day', '.2f')} d, "
            f"total={_v(w.budget.total, 'km/s', '.4f')} km/s {w.budget.strategy!r}"
            + (f", cut={cut!r}" if cut else "") + ")")


def window_html(w) -> str:
    """A two-column table of the window."""
    return _table("LaunchWindow", _window_rows(w))


# --- Plan ----------------------------------------------------------------------------------------
def plan_repr(p) -> str:
    """One line: how many windows, the best one, the scan size."""
    if not p.windows:
        return f"Plan(no window: {p.message!r}, scan={len(p.scan.t_launch_tdb)} shots)"
    b = p.best
    return (f"Plan({len(p.windows)} window{'s' if len(p.windows) != 1 else ''}, "
            f"best={_minute(b.best_epoch.utc)} UTC total="
            f"{_v(b.budget.total, 'km/s', '.4f')} km/s, scan={len(p.scan.t_launch_tdb)} shots)")


def plan_html(p) -> str:
    """The windows as one table (the columns of ``massdriver solve``'s table)."""
    if not p.windows:
        return f"<p>Plan: no window. {html.escape(p.message)}</p>"
    head = ["open (UTC)", "hours", "best (UTC)", "arrival", "speed km/s", "tof d", "incl deg",
            "total km/s", "strategy", "cut"]
    rows = []
    for w in p.windows:
        cut = ("<" if w.truncated_start else "") + (">" if w.truncated_end else "")
        cells = [_minute(w.open.utc), _v(w.duration, "hour", ".1f"), _minute(w.best_epoch.utc),
                 w.branch, _v(w.speed, "km/s", ".4f"), _v(w.time_of_flight, "day", ".2f"),
                 _v(w.perigee.inclination, "deg", ".2f"), _v(w.budget.total, "km/s", ".4f"),
                 w.budget.strategy, cut]
        rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    header = "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"
    return (f"<table><caption>Plan: {len(p.windows)} window(s), scan of "
            f"{len(p.scan.t_launch_tdb)} shots</caption>{header}{''.join(rows)}</table>")


# --- ScanResult ----------------------------------------------------------------------------------
def _scan_summary(s) -> dict:
    n = len(s.t_launch_tdb)
    out = {"shots": n, "converged": int(np.count_nonzero(s.solve_status == "converged"))}
    if n:
        out["first"] = _minute(from_tdb_seconds(float(np.min(s.t_launch_tdb))).utc)
        out["last"] = _minute(from_tdb_seconds(float(np.max(s.t_launch_tdb))).utc)
    finite = s.total_km_s[np.isfinite(s.total_km_s)] if n else np.empty(0)
    out["least_total"] = float(finite.min()) if finite.size else math.nan
    return out


def scan_repr(s) -> str:
    """One line: shots, epoch span, how many solved, the least total delta-v."""
    d = _scan_summary(s)
    span = f", {d['first']} .. {d['last']} UTC" if d["shots"] else ""
    least = (f", least_total={d['least_total']:.4f} km/s"
             if math.isfinite(d["least_total"]) else "")
    return f"ScanResult({d['shots']} shots{span}, converged={d['converged']}{least})"


def scan_html(s) -> str:
    """A two-column table of :func:`scan_repr`'s numbers."""
    d = _scan_summary(s)
    rows = [("shots", str(d["shots"])), ("converged", str(d["converged"]))]
    if d["shots"]:
        rows.append(("launch epochs (UTC)", f"{d['first']} .. {d['last']}"))
    if math.isfinite(d["least_total"]):
        rows.append(("least total delta-v", f"{d['least_total']:.4f} km/s"))
    return _table("ScanResult", rows)
