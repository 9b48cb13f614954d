"""Plots of one coast (:class:`massdriver.trajectory.Trajectory`); they read the result only.

Nothing here integrates or evaluates an ephemeris: the rotating-frame view uses the geocentric
Moon positions stored in the result at every step.
"""

from __future__ import annotations

import os

import astropy.units as u
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Circle

from massdriver import bodies

__all__ = ["plot_trajectory", "rotating_frame_positions", "orbit_normal"]

_MARKERS = {
    "perigee": ("*", "tab:red"),
    "moon_impact": ("x", "tab:gray"),
    "earth_impact": ("x", "tab:red"),
    "atmosphere": ("v", "tab:orange"),
    "escape": ("^", "tab:purple"),
}


def rotating_frame_positions(positions_km: np.ndarray, moon_positions_km: np.ndarray,
                             normal=None):
    """Express Earth-centred ICRF positions in the Earth-Moon rotating frame.

    The frame is centred on the Earth; ``x`` points at the Moon at each instant; ``z`` is the
    normal of the Moon's orbital plane over the plotted span (the normalised sum of
    ``m_i x m_{i+1}`` of consecutive stored Moon positions, exact for a planar orbit and a good
    mean otherwise) unless ``normal`` is given; ``y = z x x``. Distances are not rescaled (km).

    Parameters
    ----------
    positions_km, moon_positions_km : ndarray, shape (n, 3)
        Geocentric ICRF positions of the payload and of the Moon at the same instants (km).
    normal : array_like, shape (3,), optional
        The frame's ``z`` axis in ICRF (any length); default: from ``moon_positions_km``.

    Returns
    -------
    payload_rot, moon_rot : ndarray, shape (n, 3)
        The payload and the Moon in the rotating frame (km); the Moon lies on the +x axis.
    """
    r = np.atleast_2d(np.asarray(positions_km, dtype=float))
    m = np.atleast_2d(np.asarray(moon_positions_km, dtype=float))
    if normal is None:
        normal = orbit_normal(m)
    z = np.asarray(normal, dtype=float) / np.linalg.norm(normal)
    x = m - np.outer(m @ z, z)
    x /= np.linalg.norm(x, axis=1)[:, None]
    y = np.cross(z, x)
    payload = np.stack([np.sum(r * x, axis=1), np.sum(r * y, axis=1), r @ z], axis=1)
    moon = np.stack([np.sum(m * x, axis=1), np.sum(m * y, axis=1), m @ z], axis=1)
    return payload, moon


def orbit_normal(moon_positions_km: np.ndarray) -> np.ndarray:
    """Unit normal of the Moon's motion from consecutive stored positions (ICRF, unitless)."""
    m = np.atleast_2d(np.asarray(moon_positions_km, dtype=float))
    normal = np.cross(m[:-1], m[1:]).sum(axis=0) if len(m) >= 2 else np.zeros(3)
    size = np.linalg.norm(normal)
    if not size > 0.0:
        return np.array([0.0, 0.0, 1.0])
    return normal / size


def plot_trajectory(trajectory, path: str | os.PathLike | None = None, *, dpi: int = 120):
    """Two panels: the ICRF x-y projection and the Earth-Moon rotating frame.

    Earth (origin), the Moon (at launch and at the end, and its track in the ICRF view), the
    launch point and every event (the perigee as a star) are marked; axes in 1000 km.

    Parameters
    ----------
    trajectory : massdriver.trajectory.Trajectory
        A result of :func:`massdriver.trajectory.shoot`.
    path : str or os.PathLike, optional
        Write a PNG there (the caller checks overwriting, see
        :func:`massdriver.cli._common.check_writable`).
    dpi : int
        Resolution of the written file.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not attached to pyplot: no GUI backend is touched).
    """
    scale = 1e-3                                   # km -> 1000 km
    r = trajectory.positions.to_value(u.km)
    m = trajectory.moon_positions.to_value(u.km)
    normal = orbit_normal(m)
    r_rot, m_rot = rotating_frame_positions(r, m, normal)
    events = [(e.kind, e.position.to_value(u.km)) for e in trajectory.events]
    # an event is drawn in the rotating frame with the Moon of the nearest stored step
    t_days = (trajectory.times - trajectory.launch_epoch).to_value(u.day)
    ev_days = [float(e.time_of_flight.to_value(u.day)) for e in trajectory.events]

    fig = Figure(figsize=(12.0, 6.0), layout="constrained")
    FigureCanvasAgg(fig)
    ax_i, ax_r = fig.subplots(1, 2)
    title = (f"{trajectory.model} model, launch {trajectory.launch_epoch.utc.isot[:19]} UTC, "
             f"{trajectory.exit_speed.to_value(u.km / u.s):.4f} km/s: {trajectory.status}")
    if trajectory.perigee is not None:
        p = trajectory.perigee
        title += (f" (altitude {p.altitude.to_value(u.km):.0f} km, "
                  f"i = {p.inclination.to_value(u.deg):.1f} deg, "
                  f"t = {p.time_of_flight.to_value(u.day):.2f} d)")
    fig.suptitle(title, fontsize=10)

    # ICRF projection
    ax_i.plot(r[:, 0] * scale, r[:, 1] * scale, color="tab:blue", lw=1.2, label="payload")
    ax_i.plot(m[:, 0] * scale, m[:, 1] * scale, color="0.6", lw=1.0, ls="--", label="Moon track")
    ax_i.set_title("Earth-centred ICRF, x-y projection", fontsize=10)
    ax_i.set_xlabel("x [1000 km]")
    ax_i.set_ylabel("y [1000 km]")

    # rotating frame
    ax_r.plot(r_rot[:, 0] * scale, r_rot[:, 1] * scale, color="tab:blue", lw=1.2,
              label="payload")
    ax_r.set_title("Earth-Moon rotating frame (x towards the Moon)", fontsize=10)
    ax_r.set_xlabel("x [1000 km]")
    ax_r.set_ylabel("y [1000 km]")

    for ax, rr, mm in ((ax_i, r, m), (ax_r, r_rot, m_rot)):
        ax.add_patch(_circle((0.0, 0.0), bodies.R_EARTH * scale, "tab:green"))
        ax.plot([0.0], [0.0], "o", color="tab:green", ms=7, label="Earth")
        ax.add_patch(_circle(tuple(mm[0, :2] * scale), bodies.R_MOON * scale, "0.5"))
        ax.plot(*(mm[0, :2] * scale), "o", color="0.4", ms=6, label="Moon at launch")
        ax.plot(*(mm[-1, :2] * scale), "o", mfc="none", color="0.4", ms=6,
                label="Moon at end")
        ax.plot(*(rr[0, :2] * scale), "^", color="k", ms=7, label="launch point")
        ax.set_aspect("equal", adjustable="datalim")
        ax.grid(True, lw=0.3)

    for (kind, pos), days in zip(events, ev_days, strict=True):
        marker, color = _MARKERS.get(kind, ("o", "k"))
        ax_i.plot(pos[0] * scale, pos[1] * scale, marker, color=color, ms=11,
                  label=kind.replace("_", " "))
        k = int(np.argmin(np.abs(t_days - days)))
        pos_rot, _ = rotating_frame_positions(pos, m[k], normal)
        ax_r.plot(pos_rot[0, 0] * scale, pos_rot[0, 1] * scale, marker, color=color, ms=11,
                  label=kind.replace("_", " "))
    ax_i.legend(fontsize=8, loc="best")
    if path is not None:
        fig.savefig(os.fspath(path), dpi=dpi, format="png")
    return fig


def _circle(centre, radius, color):
    return Circle(centre, radius, color=color, alpha=0.5, lw=0)
