"""Track search: which way to point a mass driver's track (azimuth x elevation x calendar).

A track is built once; its azimuth and elevation then serve every launch for decades. For one
site and one target orbit, :func:`aim` scans a grid of tracks over a horizon of launch epochs
(default one year) with the full model of the window scan (DE421 Earth, Moon, Sun, Earth J2,
lunar J2/C22, libration; :func:`massdriver.windows.scan_many`: every cell is one case of the
same compiled thread pool) and summarises each track:

duty cycle
    The fraction of the scanned epochs (``start + k * step``) at which at least one arrival
    branch (prograde or retrograde) has a total delta-v (cheapest Earth strategy, no mid-course
    correction, no dispersion margin: the scan's budget) under the threshold.
windows per month
    Contiguous runs of such epochs, per 30.44 days of horizon.
min / median / 90th-percentile total
    Of the cheapest branch at the epochs inside windows.
speed and time-of-flight range
    Of those in-window shots.

The best few cells are then refined with :func:`scipy.optimize.minimize` (Nelder-Mead,
continuous azimuth and elevation, on a shorter horizon) maximising the **mean margin under the
threshold**, ``mean over epochs of max(threshold - total, 0)`` (unsolved epochs count 0): the
area between the threshold and the delta-v curve of the calendar, which grows both with the
time a window is open and with how cheap it is; it is continuous in the track angles where the
duty cycle alone is a step function. Each refined track is then scanned over the full horizon
like a grid cell. The recommendations rank grid and refined tracks by that margin and name the
cheapest (lowest median in-window total) and the most available (highest duty cycle).

Results are plain arrays with units in their names (like
:class:`massdriver.windows.ScanResult`); :meth:`TrackSearch.to_table` gives a ``QTable``.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import astropy.units as u
import numpy as np
from astropy.table import QTable
from astropy.utils.masked import Masked
from scipy.optimize import minimize

import massdriver
from massdriver import bodies, parallel, windows
from massdriver.ephemeris import Ephemeris
from massdriver.errors import InputError
from massdriver.mission import MAX_SCAN_EPOCHS, LauncherSpec
from massdriver.parallel import SweepCase
from massdriver.timescales import from_tdb_seconds, table_times, to_tdb_seconds
from massdriver.windows import BRANCHES, _problem

__all__ = ["TrackStats", "Recommendation", "TrackSearch", "aim", "track_stats",
           "parse_angle_range", "MONTH_DAYS", "resolve_auto_track", "solve_mission",
           "describe_track_choice", "AUTO_AZIMUTHS_DEG",
           "AUTO_ELEVATIONS_DEG"]

#: the coarse grid of ``azimuth = "auto"`` / ``elevation = "auto"`` (deg)
AUTO_AZIMUTHS_DEG = np.arange(0.0, 360.0, 30.0)
AUTO_ELEVATIONS_DEG = np.arange(0.0, 46.0, 15.0)
#: epoch spacing of that search: the mission's step, at least this (s)
AUTO_MIN_STEP_S = 6 * 3600.0

#: coarse-to-fine in time of :func:`aim`: coarse epoch spacing (s) and total slack (km/s)
COARSE_STEP_S = 6 * 3600.0
COARSE_SLACK_KM_S = 0.2

#: days in a mean calendar month (365.25 / 12), the unit of ``windows_per_month``
MONTH_DAYS = 365.25 / 12.0
#: cell-epochs scanned together (memory: ~0.2 kB per epoch and branch while a batch runs)
_BATCH_EPOCHS = 100_000


@dataclass(frozen=True)
class TrackStats:
    """The calendar of one track summarised (plain floats; NaN where no window opens).

    Attributes
    ----------
    azimuth_deg, elevation_deg : float
        The track (clockwise from north; above the local horizontal).
    duty_cycle : float
        Fraction of scanned epochs with a total under the threshold (any branch).
    windows : int
        Contiguous runs of such epochs.
    windows_per_month : float
        ``windows`` per 30.44 d of horizon.
    total_min_km_s, total_median_km_s, total_p90_km_s : float
        Cheapest-branch total delta-v at in-window epochs.
    speed_min_km_s, speed_max_km_s : float
        Exit speeds of the in-window shots.
    tof_min_days, tof_max_days : float
        Times of flight (launch to Earth perigee) of the in-window shots.
    margin_km_s : float
        Mean of ``max(threshold - total, 0)`` over all epochs (the refinement objective).
    screened_out : bool
        No shot of this track reached the target perigee at any epoch of the screen (see
        :func:`aim`, ``screen``), or none of its lattice neighbours did (``screen_lattice``;
        then it was not screened itself): it was not scanned over the horizon and its duty
        cycle is 0.
    cut_start, cut_end : bool
        A window is open at the first (last) scanned epoch: it is cut by the horizon, so its
        length, and ``windows`` by one, may differ from the full calendar's.
    """

    azimuth_deg: float
    elevation_deg: float
    duty_cycle: float
    windows: int
    windows_per_month: float
    total_min_km_s: float
    total_median_km_s: float
    total_p90_km_s: float
    speed_min_km_s: float
    speed_max_km_s: float
    tof_min_days: float
    tof_max_days: float
    margin_km_s: float
    screened_out: bool = False
    cut_start: bool = False
    cut_end: bool = False

    def to_dict(self) -> dict:
        """Plain JSON values (NaN becomes ``None``)."""
        out: dict[str, Any] = {}
        for key in self.__dataclass_fields__:
            v = getattr(self, key)
            out[key] = None if isinstance(v, float) and not math.isfinite(v) else v
        return out


@dataclass(frozen=True)
class Recommendation:
    """A recommended track and why.

    Attributes
    ----------
    rank : int
        1 = largest mean margin under the threshold.
    source : str
        ``"grid"`` (a cell of the grid) or ``"refined"`` (scipy, continuous angles).
    stats : TrackStats
        Over the full horizon.
    roles : tuple of str
        ``"best margin"``, ``"cheapest"``, ``"most available"`` where it is that.
    """

    rank: int
    source: str
    stats: TrackStats
    roles: tuple

    def to_dict(self) -> dict:
        return {"rank": self.rank, "source": self.source, "roles": list(self.roles),
                **self.stats.to_dict()}


@dataclass(frozen=True)
class TrackSearch:
    """The answer of :func:`aim`: every grid cell's statistics and the recommended tracks.

    Attributes
    ----------
    azimuths_deg, elevations_deg : ndarray
        The grid axes (degrees).
    cells : tuple of TrackStats
        Azimuth-major: cell ``i * len(elevations_deg) + j`` is ``(azimuths_deg[i],
        elevations_deg[j])``.
    recommendations : tuple of Recommendation
        Ranked (best margin first).
    inputs : dict
        Site, target, start, horizon, step, threshold, speed range, refinement settings.
    version : str
    calendar_tdb, calendar_total_km_s : ndarray (n,)
        The windows calendar of the first recommendation: every scanned epoch (TDB s past
        J2000) and its cheapest-branch total (km/s, NaN where no shot reaches the target).
    timings : dict
        Wall-clock seconds of the phases (``screen``, ``grid``, ``refine``, ``calendar``) and
        the speed solves of each (``*_solves``), for benchmarks; not written to the outputs.
    """

    azimuths_deg: np.ndarray
    elevations_deg: np.ndarray
    cells: tuple
    recommendations: tuple
    inputs: dict
    version: str
    calendar_tdb: np.ndarray = field(default_factory=lambda: np.empty(0))
    calendar_total_km_s: np.ndarray = field(default_factory=lambda: np.empty(0))
    timings: dict = field(default_factory=dict)

    def calendar_table(self):
        """The first recommendation's calendar as a ``QTable`` (``launch_utc``, ``total``,
        ``open``), unsolved epochs masked (ECSV-ready)."""


        v = self.calendar_total_km_s
        bad = ~np.isfinite(v)
        q = np.where(bad, 0.0, v) * u.km / u.s
        meta = {}
        if self.recommendations:
            top = self.recommendations[0].stats
            meta = {"azimuth_deg": top.azimuth_deg, "elevation_deg": top.elevation_deg,
                    "threshold_km_s": self.inputs["threshold_km_s"]}
        return QTable({
            "launch_utc": table_times(from_tdb_seconds(self.calendar_tdb)),
            "total": Masked(q, mask=bad) if np.any(bad) else q,
            "open": np.where(bad, False, v < self.inputs["threshold_km_s"]),
        }, meta=meta)

    def grid(self, name: str) -> np.ndarray:
        """A cell statistic as an ``(n_azimuth, n_elevation)`` array (e.g. ``"duty_cycle"``)."""
        if name not in TrackStats.__dataclass_fields__:
            raise InputError(f"unknown track statistic {name!r}")
        values = np.array([getattr(c, name) for c in self.cells], dtype=float)
        return values.reshape(self.azimuths_deg.size, self.elevations_deg.size)

    @property
    def cheapest(self) -> Recommendation | None:
        """The recommendation with the lowest median in-window total (None if no window)."""
        ok = [r for r in self.recommendations if math.isfinite(r.stats.total_median_km_s)]
        return min(ok, key=lambda r: r.stats.total_median_km_s) if ok else None

    @property
    def most_available(self) -> Recommendation | None:
        """The recommendation with the highest duty cycle (None if no window)."""
        ok = [r for r in self.recommendations if r.stats.duty_cycle > 0]
        return max(ok, key=lambda r: r.stats.duty_cycle) if ok else None

    def to_table(self):
        """The grid as an astropy ``QTable`` with units (ECSV-ready; NaN cells masked)."""

        def col(name: str, unit):
            v = np.array([getattr(c, name) for c in self.cells], dtype=float)
            bad = ~np.isfinite(v)
            q = np.where(bad, 0.0, v) * unit
            return Masked(q, mask=bad) if np.any(bad) else q

        kms = u.km / u.s
        return QTable({
            "azimuth": col("azimuth_deg", u.deg),
            "elevation": col("elevation_deg", u.deg),
            "duty_cycle": col("duty_cycle", u.one),
            "windows": np.array([c.windows for c in self.cells], dtype=int),
            "windows_per_month": col("windows_per_month", u.one),
            "total_min": col("total_min_km_s", kms),
            "total_median": col("total_median_km_s", kms),
            "total_p90": col("total_p90_km_s", kms),
            "speed_min": col("speed_min_km_s", kms),
            "speed_max": col("speed_max_km_s", kms),
            "tof_min": col("tof_min_days", u.day),
            "tof_max": col("tof_max_days", u.day),
            "margin": col("margin_km_s", kms),
            "screened_out": np.array([c.screened_out for c in self.cells], dtype=bool),
            "cut_start": np.array([c.cut_start for c in self.cells], dtype=bool),
            "cut_end": np.array([c.cut_end for c in self.cells], dtype=bool),
        }, meta={"massdriver_version": self.version, **self.inputs})

    def to_dict(self) -> dict:
        """Plain-JSON view of the recommendations (``recommendations.json``)."""
        cheap, avail = self.cheapest, self.most_available
        return {
            "massdriver_version": self.version,
            "inputs": self.inputs,
            "definitions": {
                "duty_cycle": "fraction of scanned epochs at which the total delta-v of some "
                              "arrival branch is under the threshold",
                "windows_per_month": "contiguous runs of such epochs per 30.44 days",
                "cut_start": "a window is open at the first scanned epoch (cut by the horizon)",
                "cut_end": "a window is open at the last scanned epoch (cut by the horizon)",
                "margin_km_s": "mean over scanned epochs of max(threshold - total, 0); "
                               "the ranking and refinement objective",
                "total": "scan budget: cheapest Earth strategy, no mid-course correction, "
                         "no dispersion margin",
            },
            "cheapest": None if cheap is None else cheap.rank,
            "most_available": None if avail is None else avail.rank,
            "recommendations": [r.to_dict() for r in self.recommendations],
        }


# ------------------------------------------------------------------------------------------------
def _runs(ok: np.ndarray) -> int:
    """Number of contiguous True runs."""
    if ok.size == 0:
        return 0
    return int(ok[0]) + int(np.count_nonzero(ok[1:] & ~ok[:-1]))


def _best_total(result, n_epochs: int) -> np.ndarray:
    """Cheapest-branch total per epoch (km/s; NaN where no branch solved)."""
    tot = result.total_km_s.reshape(-1, n_epochs)
    with np.errstate(all="ignore"):
        best = np.nanmin(np.where(np.isfinite(tot), tot, np.inf), axis=0)
    return np.where(np.isfinite(best), best, np.nan)


def _coarse_indices(n: int, k: int) -> np.ndarray:
    """Every ``k``-th of ``n`` epoch indices, and the last."""
    ic = np.arange(0, n, k)
    return ic if ic[-1] == n - 1 else np.append(ic, n - 1)


def _refine_spans(best: np.ndarray, ic: np.ndarray, limit: float) -> list[tuple[int, int]]:
    """Epoch index ranges ``[lo, hi)`` to solve at the fine step (coarse to fine in time).

    ``best`` is one branch's total at the coarse epochs ``ic`` (NaN: unsolved). The
    epochs strictly between two consecutive coarse epochs are solved where one of the two has
    a total under ``limit`` or exactly one of them is solved (the edge of a reachable span).
    Touching gaps merge into one range, the coarse epoch between them included (the
    continuation then runs through it as in a plain scan); the outer coarse ends are not
    solved again.
    """
    fin = np.isfinite(best)
    low = fin & (np.where(fin, best, np.inf) < limit)
    spans: list[tuple[int, int]] = []
    for j in range(ic.size - 1):
        if ic[j + 1] - ic[j] < 2:
            continue
        if low[j] or low[j + 1] or fin[j] != fin[j + 1]:
            lo, hi = int(ic[j]) + 1, int(ic[j + 1])
            if spans and spans[-1][1] == lo - 1:
                spans[-1] = (spans[-1][0], hi)
            else:
                spans.append((lo, hi))
    return spans


class _Calendar:
    """The rows of a :class:`massdriver.windows.ScanResult` :func:`track_stats` reads, at
    every epoch of a calendar, filled from scans of some of its epochs (NaN elsewhere)."""

    def __init__(self, t: np.ndarray, nb: int) -> None:
        n = t.size
        self.n = n
        self.t_launch_tdb = np.tile(t, nb)
        self.total_km_s = np.full(nb * n, np.nan)
        self.speed_km_s = np.full(nb * n, np.nan)
        self.t_perigee_tdb = np.full(nb * n, np.nan)

    def put(self, result, idx: np.ndarray, src_branch: int, branch: int) -> None:
        """Write branch ``src_branch`` of ``result`` (a scan of the epochs ``t[idx]``,
        branch after branch) as branch ``branch`` of the calendar."""
        m = idx.size
        rows = branch * self.n + idx
        src = slice(src_branch * m, (src_branch + 1) * m)
        self.total_km_s[rows] = result.total_km_s[src]
        self.speed_km_s[rows] = result.speed_km_s[src]
        self.t_perigee_tdb[rows] = result.t_perigee_tdb[src]


def _unscanned(azimuth_deg: float, elevation_deg: float) -> TrackStats:
    """A track the lattice screen dropped without scanning it (duty cycle 0)."""
    nan = math.nan
    return TrackStats(float(azimuth_deg), float(elevation_deg), 0.0, 0, 0.0, nan, nan, nan,
                      nan, nan, nan, nan, 0.0, screened_out=True)


def _screen_lattice(az: np.ndarray, el: np.ndarray):
    """Coarse to fine over the tracks of the month screen.

    Returns ``(first, neighbours)``: the tracks of every other azimuth and every other
    elevation (the last elevation too, and the last azimuth unless the azimuths close the
    circle), screened first, and for every other track its lattice neighbours (index distance
    at most 1 in both angles, across 0/360 deg when the azimuths close the circle): it is
    screened only if one of them was kept. ``(None, None)`` for grids under 3 x 3.
    """
    na, ne = az.size, el.size
    if na < 3 or ne < 3:
        return None, None
    d = np.diff(az)
    cyclic = bool(np.allclose(d, d[0]) and abs(az[0] + 360.0 - az[-1] - d[0]) < 1e-6 * 360)
    ia = set(range(0, na, 2)) | (set() if cyclic else {na - 1})
    ie = set(range(0, ne, 2)) | {ne - 1}
    first = [(float(az[i]), float(el[j])) for i in sorted(ia) for j in sorted(ie)]
    first_set = set(first)
    neighbours: dict[tuple, list] = {}
    for i in range(na):
        for j in range(ne):
            ae = (float(az[i]), float(el[j]))
            if ae in first_set:
                continue
            near = []
            for di in (-1, 0, 1):
                ii = (i + di) % na if cyclic else i + di
                if not 0 <= ii < na or ii not in ia:
                    continue
                for dj in (-1, 0, 1):
                    jj = j + dj
                    if 0 <= jj < ne and jj in ie:
                        near.append((float(az[ii]), float(el[jj])))
            neighbours[ae] = near
    return first, neighbours


def track_stats(azimuth_deg: float, elevation_deg: float, result, n_epochs: int,
                threshold_km_s: float, horizon_days: float) -> TrackStats:
    """Summarise one track's :class:`massdriver.windows.ScanResult` (see the module notes).

    Parameters
    ----------
    azimuth_deg, elevation_deg : float
        The track, degrees.
    result : massdriver.windows.ScanResult
        The scan of ``n_epochs`` epochs, branch after branch.
    n_epochs : int
    threshold_km_s : float
    horizon_days : float
        Length of the horizon (for windows per month).
    """
    nb = result.total_km_s.shape[0] // n_epochs
    tot = result.total_km_s.reshape(nb, n_epochs)
    filled = np.where(np.isfinite(tot), tot, np.inf)
    best_branch = np.argmin(filled, axis=0)
    cols = np.arange(n_epochs)
    best = filled[best_branch, cols]
    ok = best < threshold_km_s
    margin = float(np.mean(np.where(ok, threshold_km_s - best, 0.0)))
    nan = math.nan
    n_win = _runs(ok)
    if not np.any(ok):
        return TrackStats(float(azimuth_deg), float(elevation_deg), 0.0, 0, 0.0, nan, nan, nan,
                          nan, nan, nan, nan, margin)
    speed = result.speed_km_s.reshape(nb, n_epochs)[best_branch, cols][ok]
    tof = ((result.t_perigee_tdb - result.t_launch_tdb).reshape(nb, n_epochs)
           [best_branch, cols][ok] / bodies.DAY)
    inside = best[ok]
    return TrackStats(
        azimuth_deg=float(azimuth_deg), elevation_deg=float(elevation_deg),
        duty_cycle=float(np.mean(ok)), windows=n_win,
        windows_per_month=n_win / (horizon_days / MONTH_DAYS),
        total_min_km_s=float(inside.min()), total_median_km_s=float(np.median(inside)),
        total_p90_km_s=float(np.percentile(inside, 90.0)),
        speed_min_km_s=float(speed.min()), speed_max_km_s=float(speed.max()),
        tof_min_days=float(tof.min()), tof_max_days=float(tof.max()), margin_km_s=margin,
        cut_start=bool(ok[0]), cut_end=bool(ok[-1]))


def _site_with(site, azimuth_deg: float, elevation_deg: float):

    return replace(site, azimuth=(float(azimuth_deg) % 360.0) * u.deg,
                   elevation=float(elevation_deg) * u.deg)


def parse_angle_range(text: str, name: str) -> np.ndarray:
    """Angles (deg) from ``"start:stop:step"`` (both ends included: ``0:45:5`` gives 0, 5, ..
    45; for ``name="azimuths"`` a stop 360 deg from the start is dropped, being the start
    again: ``0:360:10`` gives 0, 10, .. 350) or a comma list ``"10,20,35"``.

    Raises
    ------
    massdriver.errors.InputError
        One line naming ``name`` and the text.
    """
    text = str(text).strip()
    try:
        if ":" in text:
            parts = [float(p) for p in text.split(":")]
            if len(parts) != 3:
                raise ValueError("give start:stop:step")
            a, b, s = parts
            if not all(math.isfinite(v) for v in parts) or s <= 0 or b < a:
                raise ValueError("need finite start <= stop and step > 0")
            count = int(math.floor((b - a) / s + 1e-9)) + 1
            if count > 3600:
                raise ValueError(f"{count} values, at most 3600")
            values = a + s * np.arange(count)
            if name == "azimuths" and count > 1 and values[-1] - values[0] >= 360.0 - 1e-9:
                values = values[:-1]           # 0:360:10 -> 0..350 (360 is 0 again)
        else:
            values = np.array([float(p) for p in text.split(",") if p.strip()])
            if values.size == 0:
                raise ValueError("empty list")
    except ValueError as exc:
        raise InputError(f"--{name} {text!r}: {exc} (e.g. 0:360:10 or 15,30)") from None
    return values


def aim(site, target, start, horizon, *, azimuths=None, elevations=None, launcher=None,
        threshold, step=None, rtol: float = 1e-10, max_flight_time=None,
        branches=("prograde", "retrograde"), refine: int = 3, refine_horizon=None,
        refine_evaluations: int = 20, screen: bool = True, screen_step=None, checkpoint=None,
        scheduler: str | None = None, client=None, ephemeris=None,
        progress: Callable[[int, int], None] | None = None,
        reach_screen: bool = True, screen_lattice: bool = True, coarse_step="auto",
        coarse_slack=None) -> TrackSearch:
    """Search the track's azimuth and elevation for one site and target over a calendar.

    Parameters
    ----------
    site : massdriver.site.LaunchSite
        The site (its azimuth and elevation are ignored: the grid replaces them).
    target : massdriver.targets.TargetOrbit
    start : astropy.time.Time
        First launch epoch.
    horizon : astropy.units.Quantity
        Length of the calendar scanned per track (time); any span the ephemeris covers.
    azimuths, elevations : array_like of float or astropy.units.Quantity
        Grid axes, degrees (default 0-330 deg every 30 deg; 0-45 deg every 15 deg).
        Azimuths are taken modulo 360; elevations must lie in [0, 90] deg.
    launcher : massdriver.config.LauncherSpec, optional
        Speed range (default 2.30-2.80 km/s as in :func:`massdriver.windows.solve`).
    threshold : astropy.units.Quantity
        Total delta-v under which an epoch is inside a window (km/s).
    step : astropy.units.Quantity, optional
        Epoch spacing (default 2 h).
    rtol : float
        Mission tolerance; the scan runs at ``max(rtol, massdriver.windows.SCAN_RTOL)``.
    max_flight_time : astropy.units.Quantity, optional
        Longest coast (default 8 days).
    branches : tuple of str
        Arrival branches (``prograde``, ``retrograde``).
    refine : int
        How many of the best grid cells (by margin) to refine with scipy (0: none).
    refine_horizon : astropy.units.Quantity, optional
        Horizon of the refinement's objective (default ``min(horizon, 60 d)``, two lunar
        months from ``start``).
    refine_evaluations : int
        Most objective evaluations (scans of ``refine_horizon``) per refined cell.
    screen : bool
        Coarse-to-fine: first scan every cell over one sidereal month (27.32 d, or the
        horizon if shorter) at ``screen_step``; a cell none of whose shots reaches the target
        perigee in that month (no converged speed solve: the track sends the coast away from
        the Earth) is not scanned over the horizon (``screened_out``). The Earth's direction
        from the track repeats every sidereal month up to the libration (+-7 deg) and the slow
        drift of the lunar orbit, so such a track has no window in the other months either;
        tracks with any solved shot are scanned in full.
    screen_step : astropy.units.Quantity, optional
        Epoch spacing of the screen (default ``max(step, 12 h)``).
    checkpoint : str or os.PathLike, optional
        A JSON-lines file the screen and grid results are appended to as each batch of
        tracks finishes. If it exists (an interrupted run of the same search: same site,
        target, start, epochs, step, threshold, speed range, tolerances, screen), its tracks
        are not scanned again; results are those of an uninterrupted run. The refinement is
        not checkpointed (it is redone).
    scheduler : str, optional
        Address of a Dask scheduler: every scan (screen, grid, refinement) then runs as
        :func:`massdriver.parallel.sweep` tasks of consecutive epochs of one track and branch,
        results identical bit for bit to the in-process run (also inside
        ``massdriver.parallel.use_dask``).
    client : distributed.Client, optional
        A connected client instead of ``scheduler``.
    ephemeris : massdriver.ephemeris.Ephemeris, optional
    progress : callable, optional
        ``progress(done, total)`` in speed solves (epochs x branches) of the grid scan.
    reach_screen : bool
        In-process scans skip the epochs a patched-conic test proves unreachable
        (:func:`massdriver.kernels.shots.reach_mask`; same results, fewer coasts; False: the
        plain window scan, the benchmark's baseline). Dask runs do not screen.
    screen_lattice : bool
        Coarse to fine over the tracks of the month screen (grids of at least 3 x 3): screen
        every other azimuth x every other elevation first, then only the tracks next to one
        it kept (:func:`_screen_lattice`); the others are ``screened_out`` without a scan.
        The tracks that reach the Earth form a connected patch of the grid (the geometry
        changes continuously with the angles), so this finds it unless it is narrower than
        two grid steps.
    coarse_step : astropy.units.Quantity, "auto" or None
        Coarse to fine in time (``"auto"``: 6 h): every track is first scanned at every
        ``round(coarse_step / step)``-th epoch (and the last); the epochs between two coarse
        epochs are then solved at ``step``, branch by branch, only where a window may open
        there on that branch: one of the two has a total under ``threshold + coarse_slack``,
        or one is solved and the other not (the edge of a reachable span). Every epoch inside
        a window is thus solved with the full model (the statistics are those of the
        exhaustive scan, up to the speed solve's tolerance at epochs seeded differently) as
        long as a branch's total changes by less than ``coarse_slack`` within half a coarse
        step and no reachable span is shorter than a coarse step. Off (``None``, or a
        ``coarse_step`` under two steps): every epoch is solved. The first recommendation's
        calendar is always the exhaustive scan.
    coarse_slack : astropy.units.Quantity, optional
        See ``coarse_step`` (default 0.2 km/s: a branch's total was measured to change by at
        most 0.08 km/s in 3 h near the threshold, docs/aim.md).

    Returns
    -------
    TrackSearch

    Raises
    ------
    massdriver.errors.InputError
        Empty or out-of-range grids, non-positive horizon/step/threshold, a horizon outside
        the ephemeris, a checkpoint of another search.
    """


    if launcher is None:
        launcher = LauncherSpec(speed_min=2.30 * u.km / u.s, speed_max=2.80 * u.km / u.s,
                                payload_mass=1000 * u.kg, speed_sigma=0.05 * u.m / u.s,
                                pointing_sigma=1e-3 * u.deg)
    az = _angles(azimuths, np.arange(0.0, 360.0, 30.0), "azimuths", -1e9, 1e9) % 360.0
    el = _angles(elevations, np.arange(0.0, 46.0, 15.0), "elevations", 0.0, 90.0)
    branches = tuple(branches)
    if not branches:
        raise InputError("branches: give at least one of prograde, retrograde")
    for name in branches:
        if name not in BRANCHES:
            raise InputError(f"branch {name!r}: must be one of {', '.join(BRANCHES)}")
    step_s = _value(step if step is not None else 2 * u.hour, u.s, "step")
    horizon_s = _value(horizon, u.s, "horizon")
    thr = _value(threshold, u.km / u.s, "threshold")
    if not (math.isfinite(step_s) and step_s > 0):
        raise InputError(f"step = {step}: must be a positive time")
    if not (math.isfinite(horizon_s) and horizon_s >= step_s):
        raise InputError(f"horizon = {horizon}: must be a time of at least one step "
                         f"({step_s / 3600:g} h)")
    if not (math.isfinite(thr) and thr > 0):
        raise InputError(f"threshold = {threshold}: must be a positive speed")
    if int(refine) < 0 or int(refine_evaluations) < 1:
        raise InputError("refine must be >= 0 and refine_evaluations >= 1")
    tof_s = float(u.Quantity(max_flight_time if max_flight_time is not None else 8 * u.day)
                  .to_value(u.s))
    ephemeris = ephemeris or Ephemeris()
    t0 = float(to_tdb_seconds(start))
    n = int(math.floor(horizon_s / step_s + 1e-9)) + 1
    if n > MAX_SCAN_EPOCHS:
        raise InputError(f"horizon / step gives {n} launch epochs per track; at most "
                         f"{MAX_SCAN_EPOCHS} are allowed: use a larger step")
    t = t0 + step_s * np.arange(n)
    horizon_days = n * step_s / bodies.DAY
    ref_s = float(u.Quantity(refine_horizon).to_value(u.s)) if refine_horizon is not None \
        else min(horizon_s, 60 * bodies.DAY)
    if not (math.isfinite(ref_s) and ref_s >= step_s):
        raise InputError(f"refine_horizon = {refine_horizon}: must be at least one step")
    n_ref = int(math.floor(min(ref_s, horizon_s) / step_s + 1e-9)) + 1
    t_ref = t[:n_ref]
    if coarse_step is None:
        coarse_k = 1
    else:
        c_s = COARSE_STEP_S if isinstance(coarse_step, str) and coarse_step == "auto" \
            else _value(coarse_step, u.s, "coarse_step")
        if not (math.isfinite(c_s) and c_s > 0):
            raise InputError(f"coarse_step = {coarse_step}: must be a positive time")
        coarse_k = max(1, int(round(c_s / step_s)))
    slack = COARSE_SLACK_KM_S if coarse_slack is None else _value(coarse_slack, u.km / u.s,
                                                                   "coarse_slack")
    if not (math.isfinite(slack) and slack >= 0):
        raise InputError(f"coarse_slack = {coarse_slack}: must be a speed >= 0")

    case_track: dict[int, tuple] = {}       # id(problem) -> its track, for Dask cases

    def problem(a: float, e: float):
        p = _problem(_site_with(site, a, e), target, launcher, rtol, tof_s, ephemeris,
                     float(t[0]), float(t[-1]))
        case_track[id(p)] = (a, e)
        return p

    problem(float(az[0]), float(el[0]))          # range checks once, before any work
    cells_ae = [(float(a), float(e)) for a in az for e in el]
    total = len(cells_ae) * n * len(branches)
    done = [0]

    solves = [0]     # speed solves started (epochs x branches), for the timings
    timings: dict[str, float] = {}
    clock = [time.perf_counter(), 0]

    def lap(name: str) -> None:
        now = time.perf_counter()
        timings[name] = timings.get(name, 0.0) + now - clock[0]
        timings[f"{name}_solves"] = timings.get(f"{name}_solves", 0) + solves[0] - clock[1]
        clock[0], clock[1] = now, solves[0]

    extra = [0]      # coarse to fine: the fine solves, added to the total once known

    def tick(k: int) -> None:
        done[0] += k
        if progress is not None:
            progress(done[0], total + extra[0])

    def run_cases(cases, tick_fn):
        """``scan_many`` of the cases, or the same work on a Dask cluster
        (:func:`massdriver.parallel.sweep`, bit-identical) when one is given or active."""
        solves[0] += sum(c[1].size for c in cases) * len(branches)
        if client is None and scheduler is None:
            from massdriver.parallel import current_client

            if current_client() is None:
                return windows.scan_many(cases, tick_fn, reach_screen=reach_screen)

        sweep_cases = [SweepCase(site=_site_with(site, *case_track[id(c[0])]), target=target,
                                 epochs=c[1], launcher=launcher, branches=c[3], rtol=rtol,
                                 max_flight_time=tof_s * u.s, ephemeris=ephemeris)
                       for c in cases]
        last = [0]

        def forward(d: int, _total: int) -> None:
            if tick_fn is not None:
                tick_fn(d - last[0])
            last[0] = d

        return list(parallel.sweep(sweep_cases, scheduler=scheduler, client=client,
                          progress=forward).scans)

    def scan_batch(batch, epochs, tick_fn, exhaustive: bool) -> list:
        """Scan results of the tracks of ``batch`` at every epoch of ``epochs``: one
        ``scan_many`` call, or coarse to fine in time (see ``coarse_step``; epochs left out
        are NaN rows)."""
        if exhaustive or coarse_k < 2 or epochs.size < 3 * coarse_k:
            return run_cases([(problem(a, e), epochs, target, branches) for a, e in batch],
                             tick_fn)
        probs = [problem(a, e) for a, e in batch]
        ic = _coarse_indices(epochs.size, coarse_k)
        coarse = run_cases([(p, epochs[ic], target, branches) for p in probs], tick_fn)
        cases, owner = [], []
        for k, (p, r) in enumerate(zip(probs, coarse, strict=True)):
            per_branch = r.total_km_s.reshape(len(branches), ic.size)
            for b, name in enumerate(branches):      # each branch's total is continuous
                for lo, hi in _refine_spans(per_branch[b], ic, thr + slack):
                    cases.append((p, epochs[lo:hi], target, (name,)))
                    owner.append((k, b, lo, hi))
        if tick_fn is not None and cases:
            extra[0] += sum(c[1].size for c in cases)
        fine = run_cases(cases, tick_fn) if cases else []
        merged = [_Calendar(epochs, len(branches)) for _ in batch]
        for k, r in enumerate(coarse):
            for b in range(len(branches)):
                merged[k].put(r, ic, b, b)
        for (k, b, lo, hi), r in zip(owner, fine, strict=True):
            merged[k].put(r, np.arange(lo, hi), 0, b)
        return merged

    def scan_tracks(tracks, epochs, count: bool, ckpt=None,
                    exhaustive: bool = False) -> list[TrackStats]:
        per = max(1, _BATCH_EPOCHS // (epochs.size * len(branches)))
        out = []
        for i in range(0, len(tracks), per):
            batch = tracks[i:i + per]
            results = scan_batch(batch, epochs, tick if count else None, exhaustive)
            days = epochs.size * step_s / bodies.DAY
            for (a, e), r in zip(batch, results, strict=True):
                out.append(track_stats(a, e, r, epochs.size, thr, days))
                if epochs is t:
                    curves[(out[-1].azimuth_deg, out[-1].elevation_deg)] = \
                        _best_total(r, epochs.size)
                if ckpt is not None:
                    ckpt.add("cell", (a, e), out[-1])
        return out

    curves: dict[tuple, np.ndarray] = {}     # full-horizon totals per epoch, by track
    scr_s = max(step_s, float(u.Quantity(screen_step).to_value(u.s))
                if screen_step is not None else 12 * 3600.0)
    n_scr = int(math.floor(min(horizon_s, 27.321661 * bodies.DAY) / scr_s + 1e-9)) + 1
    ckpt = None
    if checkpoint is not None:
        key = {"site": site.describe() | {"height_km": float(site.height.to_value(u.km)),
                                          "frame": site.frame},
               "target": target.describe(), "t0_tdb": t0, "epochs": n, "step_s": step_s,
               "threshold_km_s": thr, "branches": list(branches), "rtol": rtol,
               "max_flight_time_s": tof_s,
               "speed_km_s": [float(launcher.speed_min.to_value(u.km / u.s)),
                              float(launcher.speed_max.to_value(u.km / u.s))],
               "screen": [bool(screen), scr_s, n_scr, bool(screen_lattice)],
               "coarse": [coarse_k, slack] if coarse_k > 1 else None}
        ckpt = _Checkpoint(checkpoint, key)
    screen_done: dict[tuple, TrackStats | None] = dict(ckpt.screen) if ckpt else {}
    cell_done: dict[tuple, TrackStats] = dict(ckpt.cells) if ckpt else {}
    def screen_pass(pending) -> None:
        """The month screen of the tracks ``pending`` (see ``screen``)."""
        per = max(1, _BATCH_EPOCHS // (n_scr * len(branches)))
        for i in range(0, len(pending), per):
            batch = pending[i:i + per]
            results = run_cases([(problem(a, e), t_scr, target, branches) for a, e in batch],
                                tick)
            for (a, e), r in zip(batch, results, strict=True):
                kept = bool(np.any(r.solve_status == "converged"))
                screen_done[(a, e)] = None if kept else replace(
                    track_stats(a, e, r, n_scr, thr, n_scr * scr_s / bodies.DAY),
                    screened_out=True)
                if ckpt is not None:
                    ckpt.add("screen", (a, e), screen_done[(a, e)])

    if screen:
        t_scr = t0 + scr_s * np.arange(n_scr)
        first, second_of = _screen_lattice(az, el) if screen_lattice else (None, None)
        if first is None:
            first = cells_ae
        pending = [ae for ae in first if ae not in screen_done and ae not in cell_done]
        total = len(pending) * n_scr * len(branches)
        if progress is not None:
            progress(0, total)
        screen_pass(pending)
        if second_of is not None:
            kept = {ae for ae in first if ae in cell_done or screen_done.get(ae, 0) is None}
            second = [ae for ae in cells_ae if ae not in first and any(
                nb in kept for nb in second_of[ae])]
            pending = [ae for ae in second if ae not in screen_done and ae not in cell_done]
            total = done[0] + len(pending) * n_scr * len(branches)
            screen_pass(pending)
            for ae in cells_ae:                     # no kept lattice neighbour: not screened
                if ae not in screen_done and ae not in cell_done and ae not in second:
                    screen_done[ae] = _unscanned(*ae)
                    if ckpt is not None:
                        ckpt.add("screen", ae, screen_done[ae])
    lap("screen")
    todo = [ae for ae in cells_ae if ae not in cell_done
            and not (screen and screen_done.get(ae) is not None)]
    n_grid = n if coarse_k < 2 or n < 3 * coarse_k else _coarse_indices(n, coarse_k).size
    total = done[0] + len(todo) * n_grid * len(branches)
    if progress is not None:
        progress(done[0], total)
    cell_done.update(zip(todo, scan_tracks(todo, t, True, ckpt), strict=True))
    cells = [cell_done[ae] if ae in cell_done else screen_done[ae] for ae in cells_ae]

    lap("grid")
    # --- refine the best cells (continuous angles, shorter horizon) -------------------------
    order = sorted(range(len(cells)), key=lambda i: -cells[i].margin_km_s)
    seeds = [i for i in order if cells[i].margin_km_s > 0][:int(refine)]
    d_az = float(np.min(np.diff(np.unique(az)))) if az.size > 1 else 10.0
    d_el = float(np.min(np.diff(np.unique(el)))) if el.size > 1 else 5.0
    el_hi = float(min(90.0, el.max() + d_el)) if el.size > 1 else 90.0
    refined: list[TrackStats] = []
    for i in seeds:
        c = cells[i]
        memo: dict[tuple, float] = {}

        def objective(x: np.ndarray, memo: dict = memo) -> float:
            a, e = float(x[0]) % 360.0, float(np.clip(x[1], 0.0, el_hi))
            key = (round(a, 9), round(e, 9))
            if key not in memo:
                memo[key] = -scan_tracks([(a, e)], t_ref, False)[0].margin_km_s
            return memo[key]

        x0 = np.array([c.azimuth_deg, c.elevation_deg])
        simplex = np.array([x0, x0 + [d_az / 2, 0.0],
                            x0 + [0.0, d_el / 2 if c.elevation_deg + d_el / 2 <= el_hi
                                  else -d_el / 2]])
        res = minimize(objective, x0, method="Nelder-Mead",
                       bounds=[(None, None), (0.0, el_hi)],
                       options={"initial_simplex": simplex, "maxfev": int(refine_evaluations),
                                "xatol": 0.25, "fatol": 1e-5})
        a, e = float(res.x[0]) % 360.0, float(np.clip(res.x[1], 0.0, el_hi))
        if any(abs(a - r.azimuth_deg) < 1e-6 and abs(e - r.elevation_deg) < 1e-6
               for r in refined) or (abs(a - c.azimuth_deg) < 1e-6
                                     and abs(e - c.elevation_deg) < 1e-6):
            continue
        refined.extend(scan_tracks([(a, e)], t, False))

    recs = _recommend(cells, refined, [cells[i] for i in seeds])
    lap("refine")
    inputs = {
        "site": site.describe(),
        "target": target.describe(),
        "start_utc": from_tdb_seconds(t0).utc.isot,
        "horizon_days": horizon_days,
        "epochs": int(n),
        "step_minutes": step_s / 60.0,
        "threshold_km_s": thr,
        "speed_range_km_s": [float(launcher.speed_min.to_value(u.km / u.s)),
                             float(launcher.speed_max.to_value(u.km / u.s))],
        "branches": list(branches),
        "rtol": rtol,
        "screen": bool(screen),
        "screened_out_cells": int(sum(c.screened_out for c in cells)),
        "coarse_to_fine": None if coarse_k < 2 else {
            "coarse_step_minutes": coarse_k * step_s / 60.0, "slack_km_s": slack},
        "refine": {"cells": int(refine), "horizon_days": n_ref * step_s / bodies.DAY,
                   "max_evaluations": int(refine_evaluations), "method": "Nelder-Mead",
                   "objective": "maximise margin_km_s"},
        "model": "ephemeris (DE421: Earth, Moon, Sun, Earth J2, lunar J2/C22)",
    }
    calendar = np.full(n, np.nan)
    if recs:
        top = recs[0].stats
        key = (top.azimuth_deg, top.elevation_deg)
        if key not in curves or coarse_k > 1:    # a checkpoint cell, or coarse to fine
            curves.pop(key, None)
            scan_tracks([key], t, False, exhaustive=True)
        calendar = curves[key]
    lap("calendar")
    return TrackSearch(azimuths_deg=az, elevations_deg=el, cells=tuple(cells),
                       recommendations=recs, inputs=inputs, version=massdriver.__version__,
                       calendar_tdb=t, calendar_total_km_s=np.where(np.isfinite(calendar),
                                                                    calendar, np.nan),
                       timings=timings)


def _value(q, unit, name: str) -> float:
    """``q`` in ``unit`` as a float; a missing or wrong unit is an :class:`InputError`."""

    try:
        return float(u.Quantity(q).to_value(unit))
    except (u.UnitsError, TypeError, ValueError):
        raise InputError(f"{name} = {q!r}: give a Quantity in {unit}") from None


class _Checkpoint:
    """Append-only JSON-lines record of finished tracks (first line: the search's key)."""

    def __init__(self, path, key: dict) -> None:

        self.path = Path(path)
        self.key = json.loads(json.dumps(key))
        self.screen: dict[tuple, TrackStats | None] = {}
        self.cells: dict[tuple, TrackStats] = {}
        lines = []
        if self.path.exists() and self.path.stat().st_size:
            text = self.path.read_text().splitlines()
            try:
                header = json.loads(text[0])
            except (json.JSONDecodeError, IndexError):
                header = None
            if not isinstance(header, dict) or header.get("checkpoint_key") != self.key:
                raise InputError(f"{self.path}: a checkpoint of another track search (site, "
                                 "target, calendar or settings differ); delete it to start over")
            lines.append(text[0])
            for line in text[1:]:
                try:
                    rec = json.loads(line)
                    ae = (float(rec["azimuth_deg"]), float(rec["elevation_deg"]))
                    stats = None if rec["stats"] is None else TrackStats(**{
                        k: (math.nan if v is None else v) for k, v in rec["stats"].items()})
                except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                    break                   # a line cut short by the interruption: redo
                (self.screen if rec["kind"] == "screen" else self.cells)[ae] = stats
                lines.append(line)
        else:
            lines.append(json.dumps({"checkpoint_key": self.key}))
        self.path.write_text("\n".join(lines) + "\n")    # drops a cut last line

    def add(self, kind: str, ae: tuple, stats: TrackStats | None) -> None:

        rec = {"kind": kind, "azimuth_deg": ae[0], "elevation_deg": ae[1],
               "stats": None if stats is None else stats.to_dict()}
        with self.path.open("a") as f:
            f.write(json.dumps(rec) + "\n")


def _angles(values, default: np.ndarray, name: str, low: float, high: float) -> np.ndarray:

    if values is None:
        return default.astype(float)
    if isinstance(values, u.Quantity):
        try:
            values = values.to_value(u.deg)
        except u.UnitConversionError:
            raise InputError(f"{name}: unit {values.unit} is not an angle") from None
    arr = np.atleast_1d(np.asarray(values, dtype=float))
    if arr.ndim != 1 or arr.size == 0:
        raise InputError(f"{name}: give at least one angle")
    if not np.all(np.isfinite(arr)) or arr.min() < low or arr.max() > high:
        raise InputError(f"{name}: every angle must be finite and in [{low:g}, {high:g}] deg")
    return np.unique(arr)


def _recommend(cells: list, refined: list, seeds: list) -> tuple:
    """Rank refined tracks, the seed cells and the grid's cheapest / most available cells."""
    pool = [("refined", s) for s in refined] + [("grid", s) for s in seeds]
    open_cells = [c for c in cells if c.duty_cycle > 0]
    if open_cells:
        pool.append(("grid", min(open_cells, key=lambda c: c.total_median_km_s)))
        pool.append(("grid", max(open_cells, key=lambda c: c.duty_cycle)))
    seen, unique = set(), []
    for source, s in pool:
        key = (round(s.azimuth_deg, 6), round(s.elevation_deg, 6))
        if key not in seen and s.duty_cycle > 0:
            seen.add(key)
            unique.append((source, s))
    unique.sort(key=lambda p: -p[1].margin_km_s)
    if not unique:
        return ()
    cheap = min(unique, key=lambda p: p[1].total_median_km_s)[1]
    avail = max(unique, key=lambda p: p[1].duty_cycle)[1]
    out = []
    for k, (source, s) in enumerate(unique):
        roles = []
        if k == 0:
            roles.append("best margin")
        if s is cheap:
            roles.append("cheapest")
        if s is avail:
            roles.append("most available")
        out.append(Recommendation(rank=k + 1, source=source, stats=s, roles=tuple(roles)))
    return tuple(out)


def resolve_auto_track(mission, *, progress: Callable[[int, int], None] | None = None):
    """Choose the track of a mission whose ``[site]`` says ``azimuth``/``elevation = "auto"``.

    A fast coarse :func:`aim` over the mission's own span (its search start and span; epochs
    every ``max(step, 6 h)``), the month screen on. Both angles ``"auto"``: azimuths every
    30 deg x elevations 0-45 deg every 15 deg, the best cell refined with Nelder-Mead (at most
    12 evaluations). One angle ``"auto"``: that angle alone (azimuths every 10 deg, or
    elevations 0-45 deg every 5 deg), the other the mission's, no refinement. The chosen
    track is the first recommendation (largest mean margin under the threshold).

    Parameters
    ----------
    mission : massdriver.mission.MissionConfig
    progress : callable, optional
        As :func:`aim`.

    Returns
    -------
    mission : massdriver.mission.MissionConfig
        With the chosen azimuth and elevation in its site and ``auto_track`` emptied (the
        same object when nothing is ``"auto"``).
    info : dict or None
        What was searched and chosen (``plan.json`` ``inputs.track_search``).

    Raises
    ------
    massdriver.errors.InputError
        No track of the coarse grid opens a window under the threshold in the span.
    """


    if not mission.auto_track:
        return mission, None
    s, site = mission.search, mission.site
    auto = tuple(mission.auto_track)
    both = "azimuth" in auto and "elevation" in auto
    # one free angle: a finer 1-D grid and no refinement (which would move the fixed angle)
    az = (AUTO_AZIMUTHS_DEG if both else np.arange(0.0, 360.0, 10.0)) if "azimuth" in auto \
        else np.array([float(site.azimuth.to_value(u.deg)) % 360.0])
    el = (AUTO_ELEVATIONS_DEG if both else np.arange(0.0, 46.0, 5.0)) if "elevation" in auto \
        else np.array([float(site.elevation.to_value(u.deg))])
    step_s = max(float(s.step.to_value(u.s)), AUTO_MIN_STEP_S)
    horizon = max(float(s.span.to_value(u.s)), step_s) * u.s
    search = aim(site, mission.target, s.start, horizon, azimuths=az, elevations=el,
                 launcher=mission.launcher, threshold=s.threshold, step=step_s * u.s,
                 rtol=s.rtol, max_flight_time=s.max_flight_time, refine=1 if both else 0,
                 refine_evaluations=12, progress=progress,
                 screen_lattice=False)     # 30 deg apart, a patch may fall between lattice
    keys = " and ".join(f"site.{k}" for k in auto)
    if not search.recommendations:
        raise InputError(
            f"{keys} = \"auto\": no track of the coarse search (azimuth "
            f"{az.min():g}-{az.max():g} deg, elevation {el.min():g}-{el.max():g} deg) opens a "
            f"window under {search.inputs['threshold_km_s']:.3f} km/s in the "
            f"{horizon.to_value(u.day):.0f}-day span; try a longer [search] span, a higher "
            "threshold, a wider [launcher] speed range, or `massdriver aim` with a finer grid")
    top = search.recommendations[0]
    st = top.stats
    chosen = _site_with(site, st.azimuth_deg, st.elevation_deg)
    info = {
        "auto": list(auto),
        "azimuth_deg": st.azimuth_deg,
        "elevation_deg": st.elevation_deg,
        "source": top.source,
        "criterion": "largest mean margin under the threshold (massdriver aim's rank 1)",
        "duty_cycle": st.duty_cycle,
        "total_median_km_s": st.total_median_km_s,
        "grid_azimuths_deg": [float(a) for a in az],
        "grid_elevations_deg": [float(e) for e in el],
        "horizon_days": search.inputs["horizon_days"],
        "step_minutes": search.inputs["step_minutes"],
        "screened_out_cells": search.inputs["screened_out_cells"],
    }
    logging.getLogger(__name__).info(
        "track search chose azimuth %.2f deg, elevation %.2f deg", st.azimuth_deg,
        st.elevation_deg)
    return replace(mission, site=chosen, auto_track=()), info


def describe_track_choice(info: dict) -> str:
    """One line for the user: the track :func:`resolve_auto_track` chose, and why."""
    med = info["total_median_km_s"]
    med_text = f"{med:.3f} km/s" if med is not None and math.isfinite(med) else "-"
    return (f"track search ({' and '.join(info['auto'])} = auto): chose azimuth "
            f"{info['azimuth_deg']:.2f} deg, elevation {info['elevation_deg']:.2f} deg "
            f"({info['source']}; open {100 * info['duty_cycle']:.1f} % of the "
            f"{info['horizon_days']:.0f}-day span, median total {med_text})")


def solve_mission(mission, *, progress: Callable[[int, int], None] | None = None):
    """:func:`massdriver.windows.solve_mission`, choosing the track first where the mission's
    ``[site]`` says ``azimuth``/``elevation = "auto"`` (``massdriver solve`` and ``windows``).

    Parameters
    ----------
    mission : massdriver.mission.MissionConfig
    progress : callable, optional
        ``progress(done, total)`` of the window scan.

    Returns
    -------
    massdriver.windows.Plan
        With an ``"auto"`` track: ``plan.mission`` holds the chosen track and
        ``plan.inputs["track_search"]`` what was searched and chosen
        (:func:`resolve_auto_track`).
    """

    mission, info = resolve_auto_track(mission)
    plan = windows.solve_mission(mission, progress=progress)
    if info is not None:
        plan.inputs["track_search"] = info
    return plan
