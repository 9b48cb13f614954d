"""Arrival strategies of a throughput schedule (issue 17 joined to issue 20).

With a satellite model and its arrival options (``[satellite]`` with ``wet_mass`` and
``[[satellite.engines]]``, optionally ``[arrival]``), every shot of a throughput schedule flies
the arrival strategy chosen for it (impulsive, finite burn, multi-pass, aerobraking,
aerocapture; :func:`massdriver.arrival.compare_strategies`), and its delta-v and propellant are
that strategy's. Pricing each of a million shots one by one would take a day, so:

1. **Nodes.** The strategies are priced at *nodes* ``start + j h`` (``h`` the plan's
   ``arrival_step``, 1 day by default): for every (launcher, shell, plane, branch) whose shots
   fall between two nodes, those two nodes are solved (one batched
   :func:`massdriver.windows.scan_epochs` per plane: exit speed, perigee state, plane change,
   impulsive total) and every enabled strategy is flown from that perigee state, keeping the
   node's plane change (:func:`~massdriver.arrival.compare_strategies` with
   ``extras = plane change``, as ``massdriver campaign`` does per shot). A node stores each
   strategy's **difference from the impulsive total**, ``d_s = dv_s - dv_impulsive`` (km/s;
   NaN where the strategy is infeasible under the satellite's limits). Only the nodes some
   shot needs are flown: a few hundred calls for a year, not one per shot.
2. **Shots.** A shot at ``t`` between nodes ``j`` and ``j + 1`` gets, for each strategy,
   ``dv_s(t) = dv_impulsive(t) + d_s(t)``, ``d_s`` interpolated linearly between the two
   nodes when it is feasible at both; feasible at one only, the nearest node decides (its
   difference, or not offered), so that a strategy whose feasibility flips from epoch to
   epoch is offered about as often as it is feasible. The shot flies the cheapest by the
   options' ``choose_by`` (propellant or delta-v: one engine prices them all, so both give the
   same choice; ties go to the earlier strategy of
   :data:`massdriver.arrival.ARRIVAL_STRATEGIES`). Its propellant is the rocket equation on
   that delta-v with the capture engine.

The difference ``d_s`` is the strategy's in-plane cost minus the impulsive in-plane cost: it
follows the perigee speed and the arrival geometry, which change over the lunar month, not the
shot-to-shot spacing, so a node spacing of a day is enough. Its error against shots priced one
by one at their own epochs is bounded by :data:`ARRIVAL_INTERPOLATION_TOLERANCE_KM_S`
(tests/test_throughput_arrival.py), on top of the impulsive interpolation of the window scan.

What it does not change: the schedule (which shot when, and to which plane and branch) is still
chosen by the impulsive total and the threshold, as in ``massdriver campaign``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import astropy.units as u
import numpy as np

from massdriver.arrival import ARRIVAL_STRATEGIES, ArrivalOptions, compare_strategies
from massdriver.parallel import map_checkpointed
from massdriver.timescales import SECONDS_PER_DAY, to_tdb_seconds
from massdriver.windows import scan_epochs

__all__ = ["ArrivalNodes", "price_arrival_nodes", "fly_strategies", "strategy_names",
           "ARRIVAL_INTERPOLATION_TOLERANCE_KM_S", "DEFAULT_ARRIVAL_STEP_DAYS"]

log = logging.getLogger(__name__)

#: bound on |interpolated - individually priced| delta-v of a shot's chosen strategy at the
#: default node spacing, the impulsive interpolation included (tests/test_throughput_arrival.py)
ARRIVAL_INTERPOLATION_TOLERANCE_KM_S = 0.06
#: default node spacing of the strategy pricing (days)
DEFAULT_ARRIVAL_STEP_DAYS = 1.0
_BRANCHES = ("prograde", "retrograde")
#: nodes per pricing task
_CHUNK = 16
#: shots handled at once (bounds the temporaries: ~0.3 GB per million shots and 5 strategies)
_SHOTS = 1 << 20


def strategy_names(options: ArrivalOptions | None) -> tuple[str, ...]:
    """The strategies a schedule may fly, in :data:`ARRIVAL_STRATEGIES` order (impulsive
    first; only impulsive without options)."""
    if options is None:
        return ("impulsive",)
    return tuple(s for s in ARRIVAL_STRATEGIES if s in options.strategies)


@dataclass(frozen=True)
class ArrivalNodes:
    """The strategies priced at the nodes a schedule needs.

    Attributes
    ----------
    t0, step : float
        Node ``j`` is at ``t0 + j step`` (TDB s, s).
    keys : ndarray (K,) int64
        Sorted node keys ``((launcher * S + shell) * O + option) * J + j``.
    diff_km_s : ndarray (K, N)
        Per node and strategy (order of ``strategies``): delta-v minus the impulsive total,
        NaN where infeasible or unsolved.
    strategies : tuple of str
    calls : int
        Strategy comparisons flown.
    """

    t0: float
    step: float
    keys: np.ndarray
    diff_km_s: np.ndarray
    strategies: tuple
    calls: int


def _n_nodes(plan, step_s: float) -> int:
    """Nodes per (launcher, shell, option) row of the key space: the horizon and one spare."""
    return int(math.ceil(float(plan.horizon.to_value(u.s)) / step_s - 1e-9)) + 2


def _row_base(launcher, shell, option, n_s: int, n_options: int, n_j: int):
    """``key - j`` of a node (see :class:`ArrivalNodes`): ``((launcher * S + shell) * O +
    option) * J``, int64 for arrays."""
    return ((np.asarray(launcher).astype(np.int64) * n_s + shell) * n_options + option) * n_j


def _node_task(task: tuple) -> np.ndarray:
    """One pricing task (module-level: picklable): ``(site, target, spec, t_nodes, need,
    satellite, options, rtol, tof_days)``, ``need`` (n, 2) bool per node and branch. Returns
    (n, 2, N) differences from the impulsive total (NaN where not needed or infeasible)."""
    site, target, spec, t, need, satellite, options, rtol, tof_days = task
    names = strategy_names(options)
    out = np.full((t.size, 2, len(names)), np.nan)
    r = scan_epochs(site, target, spec, t, rtol=rtol, max_flight_time=tof_days * u.day,
                    branches=_BRANCHES)
    kms = u.km / u.s
    for b, name in enumerate(_BRANCHES):
        rows = np.nonzero(r.branch == name)[0]
        for i, row in enumerate(rows):
            total = r.total_km_s[row]
            if not (need[i, b] and math.isfinite(total)):
                continue
            ps = r.perigee_state[row]
            c = compare_strategies(ps[:3] * u.km, ps[3:6] * kms, target, satellite,
                                   impulsive_total=total * kms,
                                   extras=r.plane_change_km_s[row] * kms, options=options)
            for k, sname in enumerate(names):
                res = c[sname]
                dv = float(res.delta_v.to_value(kms))
                out[i, b, k] = dv - total if res.feasible and math.isfinite(dv) else np.nan
    return out


def _task_key(task: tuple) -> str:
    site, target, spec, t, need, satellite, options, rtol, tof = task
    h = hashlib.sha256(json.dumps(
        [site.describe(), target.describe(),
         [float(spec.speed_min.value), float(spec.speed_max.value)], satellite.as_dict(),
         repr(options), rtol, tof], sort_keys=True, default=str).encode())
    h.update(np.ascontiguousarray(t).tobytes())
    h.update(np.ascontiguousarray(need).tobytes())
    return h.hexdigest()[:24]


def price_arrival_nodes(plan, launcher: np.ndarray, shell: np.ndarray, option: np.ndarray,
                        epoch_tdb: np.ndarray, *, n_options: int, scheduler: str | None = None,
                        client=None, checkpoint: str | Path | None = None,
                        progress: Callable[[int, int], None] | None = None) -> ArrivalNodes:
    """Fly every enabled strategy at the nodes the given shots fall between (step 1 of the
    module notes).

    Parameters
    ----------
    plan : massdriver.throughput.ThroughputPlan
        With ``plan.satellite.model`` and ``plan.satellite.arrival``.
    launcher, shell, option, epoch_tdb : ndarray (n,)
        The shots (option = plane * 2 + branch; epochs TDB s).
    n_options : int
        Options per shell of the window tables (twice the most planes).
    scheduler, client
        A Dask cluster (one task per plane and 16 nodes).
    checkpoint : path, optional
        Folder keeping each finished task (``arrival-<hash>.npy``).
    progress : callable, optional
        ``progress(done, total)`` in tasks.

    Returns
    -------
    ArrivalNodes
    """
    sat, options = plan.satellite.model, plan.satellite.arrival
    names = strategy_names(options)
    t0 = float(to_tdb_seconds(plan.start))
    h = float(plan.arrival_step.to_value(u.s))
    n_j = _n_nodes(plan, h)
    n_s = len(plan.shells)
    parts = []
    for a in range(0, epoch_tdb.shape[0], _SHOTS):       # in chunks: bounded temporaries
        sl = slice(a, a + _SHOTS)
        j = np.floor((np.asarray(epoch_tdb[sl]) - t0) / h).astype(np.int64)
        base = _row_base(launcher[sl], shell[sl], option[sl], n_s, n_options, n_j)
        parts.append(np.unique(np.concatenate([base + j, base + j + 1])))
    keys = np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
    # decode: (launcher, shell, plane) groups, each a set of nodes and branches
    jj = keys % n_j
    rest = keys // n_j
    o = rest % n_options
    rest //= n_options
    s = rest % n_s
    la = rest // n_s
    tasks, where = [], []
    tof = float(plan.max_flight_time.to_value(u.day))
    for li, si, pi in sorted(set(zip(la.tolist(), s.tolist(), (o // 2).tolist(), strict=True))):
        sel = np.nonzero((la == li) & (s == si) & (o // 2 == pi))[0]
        nodes = np.unique(jj[sel])
        need = np.zeros((nodes.size, 2), bool)
        need[np.searchsorted(nodes, jj[sel]), o[sel] % 2] = True
        spec = replace(plan.launchers[li].spec, coilgun=None)
        target = plan.shells[si].planes[pi]
        for a in range(0, nodes.size, _CHUNK):
            part = nodes[a:a + _CHUNK]
            tasks.append((plan.launchers[li].site, target, spec, t0 + h * part.astype(float),
                          need[a:a + _CHUNK], sat, options, plan.rtol, tof))
            where.append((li, si, pi, part))
    calls = int(sum(int(task[4].sum()) for task in tasks))
    log.info("arrival strategies: %d tasks, %d comparisons at %d-day nodes", len(tasks), calls,
             round(h / SECONDS_PER_DAY))
    folder = None if checkpoint is None else Path(checkpoint)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    paths = [None if folder is None else folder / f"arrival-{_task_key(task)}.npy"
             for task in tasks]
    results = map_checkpointed(_node_task, tasks, paths, batch=4, scheduler=scheduler,
                               client=client, label="massdriver-throughput-arrival",
                               progress=progress)
    diff = np.full((keys.size, len(names)), np.nan)
    for (li, si, pi, part), arr in zip(where, results, strict=True):
        for b in range(2):
            k = _row_base(li, si, 2 * pi + b, n_s, n_options, n_j) + part
            pos = np.searchsorted(keys, k)
            ok = (pos < keys.size) & (keys[np.minimum(pos, keys.size - 1)] == k)
            diff[pos[ok]] = arr[ok, b]
    return ArrivalNodes(t0=t0, step=h, keys=keys, diff_km_s=diff, strategies=names,
                        calls=calls)


def fly_strategies(nodes: ArrivalNodes, plan, launcher: np.ndarray, shell: np.ndarray,
                   option: np.ndarray, epoch_tdb: np.ndarray, impulsive_km_s: np.ndarray, *,
                   n_options: int) -> tuple[np.ndarray, np.ndarray]:
    """Each shot's strategy and delta-v (step 2 of the module notes).

    Returns
    -------
    strategy : ndarray (n,) int8
        Index into ``nodes.strategies`` (0: impulsive).
    delta_v_km_s : ndarray (n,)
        The chosen strategy's total.
    """
    h, t0 = nodes.step, nodes.t0
    n_j = _n_nodes(plan, h)
    n_s = len(plan.shells)
    n = np.asarray(epoch_tdb).shape[0]
    strategy = np.zeros(n, np.int8)
    delta_v = np.empty(n)
    for a in range(0, n, _SHOTS):                          # in chunks: bounded temporaries
        sl = slice(a, a + _SHOTS)
        x = (np.asarray(epoch_tdb[sl]) - t0) / h
        j = np.floor(x).astype(np.int64)
        w = (x - j)[:, None]
        base = _row_base(launcher[sl], shell[sl], option[sl], n_s, n_options, n_j)
        d0 = nodes.diff_km_s[np.searchsorted(nodes.keys, base + j)]
        d1 = nodes.diff_km_s[np.searchsorted(nodes.keys, base + j + 1)]
        d = d0 + (d1 - d0) * w               # both nodes feasible: linear in time
        near = np.where(w < 0.5, d0, d1)     # else the nearest node decides (NaN: not offered)
        d = np.where(np.isfinite(d), d, near)
        d[:, 0] = 0.0                        # impulsive: the scan's own price
        dv = impulsive_km_s[sl, None] + d
        choice = np.argmin(np.where(np.isfinite(dv), dv, np.inf), axis=1)
        strategy[sl] = choice
        delta_v[sl] = np.take_along_axis(dv, choice[:, None], axis=1)[:, 0]
    return strategy, delta_v
