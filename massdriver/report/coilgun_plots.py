"""Plots of a coilgun shot (reads a :class:`massdriver.coilgun.CoilgunShot`; never simulates)."""

from __future__ import annotations

from pathlib import Path

import astropy.units as u
import matplotlib
import matplotlib.pyplot as plt
import numpy as np

from massdriver.bodies import G0

__all__ = ["plot_shot"]


def plot_shot(shot, path: str | Path | None = None, *, title: str = ""):
    """Speed, acceleration (g) and drive current along the track.

    Parameters
    ----------
    shot : massdriver.coilgun.CoilgunShot
        A shot simulated with ``record=True``.
    path : str or Path, optional
        Write the figure there (PNG/PDF by extension).
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if path is not None:
        matplotlib.use("Agg")

    x = shot.position.to_value(u.m)
    fig, axes = plt.subplots(3, 1, figsize=(9, 8), sharex=True, constrained_layout=True)
    axes[0].plot(x, shot.speed.to_value(u.m / u.s), color="C0")
    axes[0].set_ylabel("speed (m/s)")
    axes[1].plot(x, shot.acceleration.to_value(u.m / u.s**2) / G0, color="C1", lw=0.8)
    axes[1].axhline(shot.mean_g, color="k", ls="--", lw=0.8, label=f"mean {shot.mean_g:.4g} g")
    axes[1].set_ylabel("acceleration (g)")
    axes[1].legend(loc="best")
    axes[2].plot(x, shot.drive_current.to_value(u.kA), color="C2", lw=0.8,
                 label="sum of |stage currents|")
    fired = np.isfinite(shot.stage_fire_time.to_value(u.s))
    axes[2].plot(shot.stage_position.to_value(u.m)[fired],
                 shot.stage_peak_current.to_value(u.kA)[fired], ".", color="C3", ms=3,
                 label="stage peak current (at coil)")
    axes[2].set_ylabel("current (kA)")
    axes[2].set_xlabel("carrier position (m)")
    axes[2].legend(loc="best")
    head = (title or "coilgun shot").replace("$", r"\$")    # a dollar sign, never mathtext
    fig.suptitle(f"{head}: exit {shot.exit_speed.to_value(u.m / u.s):.2f} m/s, "
                 f"peak {shot.peak_g:.4g} g, efficiency {shot.efficiency:.3f}")
    if path is not None:
        fig.savefig(path, dpi=120)
        plt.close(fig)
    return fig
