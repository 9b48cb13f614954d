"""Design-space sweeps of the shot solve: in-process (numba threads) or on a Dask cluster.

A *sweep* is a list of :class:`SweepCase` (a site and track, a target orbit, a grid of launch
epochs, the launcher's speed range, the arrival branches). For every case and branch the exit
speed that puts the Earth perigee at the target radius is solved at every epoch
(:func:`massdriver.kernels.shots.solve_speeds`) and each arrival is priced
(:func:`massdriver.budget.budget_arrays`), exactly as :func:`massdriver.windows.scan` does; the
answer is one :class:`massdriver.windows.ScanResult` per case.

Where the work runs
-------------------
*In-process* (the default): :func:`massdriver.windows.scan_many`, the chunks of ``CHUNK``
consecutive epochs of every case and branch handed out to numba's thread count of Python
threads (the results are those of :func:`massdriver.windows.scan` case by case).

*Dask* (``sweep(..., client=...)``, ``sweep(..., scheduler="tcp://host:8786")`` or inside
``with use_dask(client):``): the unit of work is a **task of consecutive epochs of one case and
branch**, ``chunk`` epochs long, ``chunk`` a multiple of ``CHUNK`` and every task starting at a
multiple of ``CHUNK`` in its case's grid. The speed solve treats each run of ``CHUNK`` epochs on
its own (each root seeds the next inside the run, never across runs), and a task solves its epochs
through the same entry point as the scan (``windows._scan_branch``), so it computes the same runs
with the same arithmetic as the in-process call: the results are **identical bit for bit**.
Dask does the scheduling, the retries and the recovery from lost workers (the tasks of a worker
that dies are run again elsewhere); results are gathered in task order. The arrivals are priced on
the client after the gather (microseconds per arrival, against milliseconds per speed solve), with
the same function and array layout as the in-process run.

Shipping work to the workers: a task carries the kernel floats of its case (site vectors, target
radius, speed range, tolerances: a few hundred bytes) and its epochs. The ephemeris is not
shipped: the default DE421 files are opened from each worker's own installation, and a user
ephemeris (:class:`massdriver.ephemeris.Ephemeris` pickles as its two file paths) must exist at
the same paths on the workers. Each task runs its numba kernel on ``numba_threads`` threads
(default 1: Dask's worker threads provide the parallelism).

Dask is an optional dependency (``pip install 'massdriver[distributed]'``), imported only when a
cluster is used.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import socket
import struct
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import astropy.units as u
import numba
import numpy as np
from astropy.table import QTable
from astropy.time import Time

from massdriver.ephemeris import Ephemeris, default_pck_path, default_spk_path
from massdriver.errors import InputError
from massdriver.kernels.shots import CHUNK
from massdriver.mission import LauncherSpec
from massdriver.outputs import write_file
from massdriver.safe_io import one_line
from massdriver.timescales import from_tdb_seconds, to_tdb_seconds
from massdriver.windows import BRANCHES, _problem, _scan_branch, assemble_scan

__all__ = ["SweepCase", "SweepResult", "PendingSweep", "sweep", "sweep_async", "use_dask",
           "current_client", "active_client", "grid_cases", "epoch_grid", "map_ordered",
           "map_checkpointed"]


# the client of the innermost ``use_dask`` block (a context variable, not a module global: it
# is set and reset only by the context manager, per thread / asyncio task)
_ACTIVE_CLIENT: contextvars.ContextVar = contextvars.ContextVar("massdriver_dask_client",
                                                                default=None)


# ------------------------------------------------------------------------------------------------
# cases
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SweepCase:
    """One point of a design-space sweep: a track, a target, a grid of launch epochs.

    Attributes
    ----------
    site : massdriver.site.LaunchSite
        Site and track (azimuth, elevation).
    target : massdriver.targets.TargetOrbit
        Target orbit; its perigee radius is the radius solved for.
    epochs : astropy.time.Time or ndarray
        Launch epochs, increasing: a ``Time`` array (any scale) or kernel floats (TDB seconds past
        J2000, e.g. from :func:`epoch_grid`, which reproduces the grid of
        :func:`massdriver.windows.solve` bit for bit).
    launcher : massdriver.config.LauncherSpec, optional
        Exit-speed range (default 2.30-2.80 km/s, as :func:`massdriver.windows.solve`).
    branches : tuple of str
        Arrival branches solved: ``"prograde"``, ``"retrograde"``.
    rtol : float
        DOP853 relative tolerance; a sweep is a scan, so its coasts run at
        ``max(rtol, windows.SCAN_RTOL)`` with the scan's perigee tolerance (docs/windows.md).
    max_flight_time : astropy.units.Quantity, optional
        Longest coast (default 8 days).
    ephemeris : massdriver.ephemeris.Ephemeris, optional
        Default DE421.
    label : str
        Name of the case in tables.
    """

    site: Any
    target: Any
    epochs: Any
    launcher: Any = None
    branches: tuple = ("prograde", "retrograde")
    rtol: float = 1e-10
    max_flight_time: Any = None
    ephemeris: Any = None
    label: str = ""


def epoch_grid(start, span, step) -> np.ndarray:
    """Launch epochs ``start + k * step`` over ``span`` (TDB s past J2000), as ``windows.solve``.

    Parameters
    ----------
    start : astropy.time.Time
    span, step : astropy.units.Quantity
        Time.

    Returns
    -------
    ndarray
        ``floor(span / step) + 1`` epochs, the same floats :func:`massdriver.windows.solve` scans.
    """
    step_s = float(u.Quantity(step).to_value(u.s))
    span_s = float(u.Quantity(span).to_value(u.s))
    if not (step_s > 0 and span_s > 0 and math.isfinite(step_s) and math.isfinite(span_s)):
        raise InputError(f"epoch_grid: span = {span} and step = {step} must be positive and finite")
    if step_s > span_s:
        raise InputError(f"epoch_grid: step ({step_s:g} s) must not exceed the span ({span_s:g} s)")
    n = int(math.floor(span_s / step_s + 1e-9)) + 1
    return float(to_tdb_seconds(start)) + step_s * np.arange(n)


def grid_cases(sites: Iterable, targets: Iterable, epochs: Iterable, **common) -> list[SweepCase]:
    """The Cartesian product sites x targets x epoch grids as a list of :class:`SweepCase`.

    Parameters
    ----------
    sites : iterable of LaunchSite
        Sites and tracks (one ``LaunchSite`` per site and azimuth).
    targets : iterable of TargetOrbit
        Target orbits (e.g. the planes of :func:`massdriver.targets.walker`).
    epochs : iterable of (Time or ndarray)
        Epoch grids (e.g. one :func:`epoch_grid` per month).
    **common
        Other :class:`SweepCase` fields (``launcher``, ``branches``, ``rtol`` ...).

    Returns
    -------
    list of SweepCase
        Sites vary slowest, epoch grids fastest; labels ``"s<i>-t<j>-e<k>"``.
    """
    sites, targets, epochs = list(sites), list(targets), list(epochs)
    out = []
    for i, site in enumerate(sites):
        for j, target in enumerate(targets):
            for k, grid in enumerate(epochs):
                out.append(SweepCase(site=site, target=target, epochs=grid,
                                     label=f"s{i}-t{j}-e{k}", **common))
    return out


# ------------------------------------------------------------------------------------------------
# tasks (what travels to a worker)
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _ShotTask:
    """Kernel floats of one run of consecutive epochs of one case and branch."""

    problem: Any            # windows._Problem without its ephemeris tables (eph=None)
    ephemeris: Any          # None for the default DE421, else an Ephemeris (pickles as paths)
    branch: float
    t: np.ndarray
    numba_threads: int


def _run_task(task: _ShotTask) -> tuple:
    """Solve the exit speed at every epoch of ``task`` (runs on a Dask worker).

    The solve goes through the window solver's own batch entry point
    (``massdriver.windows._scan_branch``), so a task performs exactly the calls the in-process
    scan performs on the same ``CHUNK`` runs. Returns its six arrays (speed, status, outcome,
    perigee epoch, perigee state, evaluations).
    """
    p = task.problem
    if p.eph is None:
        p = replace(p, eph=(task.ephemeris or Ephemeris()).kernel_tables())
    old = numba.get_num_threads()
    numba.set_num_threads(max(1, min(int(task.numba_threads), numba.config.NUMBA_NUM_THREADS)))
    try:                                    # numba's thread count is per calling thread
        return _scan_branch(p, np.ascontiguousarray(task.t, dtype=np.float64), task.branch)
    finally:
        numba.set_num_threads(old)


@dataclass(frozen=True)
class _Prepared:
    case: SweepCase
    problem: Any
    t: np.ndarray
    branches: tuple


def _tdb_seconds(epochs) -> np.ndarray:
    if isinstance(epochs, Time):
        t = np.atleast_1d(np.asarray(to_tdb_seconds(epochs), dtype=np.float64))
    else:
        t = np.atleast_1d(np.asarray(epochs, dtype=np.float64))
    return np.ascontiguousarray(t)


def _prepare(index: int, case: SweepCase) -> _Prepared:
    if not isinstance(case, SweepCase):
        raise InputError(f"sweep case {index}: expected a SweepCase, got {type(case).__name__}")
    t = _tdb_seconds(case.epochs)
    if t.ndim != 1 or t.size == 0:
        raise InputError(f"sweep case {index} ({case.label}): epochs must be a non-empty 1-D grid")
    if not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0):
        raise InputError(f"sweep case {index} ({case.label}): epochs must be finite and "
                         "strictly increasing")
    branches = tuple(case.branches)
    if not branches:
        raise InputError(f"sweep case {index} ({case.label}): no branch to solve")
    for name in branches:
        if name not in BRANCHES:
            raise InputError(f"sweep case {index} ({case.label}): branch {name!r} must be one of "
                             f"{', '.join(BRANCHES)}")
    launcher = case.launcher
    if launcher is None:
        launcher = LauncherSpec(speed_min=2.30 * u.km / u.s, speed_max=2.80 * u.km / u.s,
                                payload_mass=1000 * u.kg, speed_sigma=0.05 * u.m / u.s,
                                pointing_sigma=1e-3 * u.deg)
    if not (1e-13 <= float(case.rtol) <= 1e-6):
        raise InputError(f"sweep case {index} ({case.label}): rtol = {case.rtol!r} must be in "
                         "1e-13 .. 1e-6")
    tof = case.max_flight_time if case.max_flight_time is not None else 8 * u.day
    tof_s = float(u.Quantity(tof).to_value(u.s))
    if not (0 < tof_s <= 60 * 86400.0):
        raise InputError(f"sweep case {index} ({case.label}): max_flight_time = {tof} must be "
                         "in (0, 60] days")
    eph = case.ephemeris or Ephemeris()
    problem = _problem(case.site, case.target, launcher, float(case.rtol), tof_s, eph,
                       float(t[0]), float(t[-1]))
    return _Prepared(case=replace(case, ephemeris=eph), problem=problem, t=t, branches=branches)


def _is_default_ephemeris(eph) -> bool:
    return (eph.spk_path == str(default_spk_path()) and eph.pck_path == str(default_pck_path()))


def _task_plan(prepared: Sequence[_Prepared], chunk: int, numba_threads: int
               ) -> tuple[list[_ShotTask], list[tuple[int, int, int, int]]]:
    """Dask tasks and their ``(case, branch index, start, stop)`` slots, in result order.

    Every task starts at a multiple of ``chunk`` (itself a multiple of ``CHUNK``) in its case's
    grid.
    """
    tasks, slots = [], []
    for ci, prep in enumerate(prepared):
        n = prep.t.shape[0]
        problem = replace(prep.problem, eph=None)       # the workers open their own ephemeris
        eph = None if _is_default_ephemeris(prep.case.ephemeris) else prep.case.ephemeris
        for bi, name in enumerate(prep.branches):
            for s in range(0, n, chunk):
                e = min(n, s + chunk)
                tasks.append(_ShotTask(problem=problem, ephemeris=eph, branch=BRANCHES[name],
                                       t=prep.t[s:e].copy(), numba_threads=numba_threads))
                slots.append((ci, bi, s, e))
    return tasks, slots


def _assemble(prepared: Sequence[_Prepared], slots, results) -> tuple:
    """Concatenate the task results per case and branch and price them (as windows.scan)."""
    by_key: dict[tuple[int, int], list] = {}
    for (ci, bi, s, _e), res in zip(slots, results, strict=True):
        by_key.setdefault((ci, bi), []).append((s, res))
    scans = []
    for ci, prep in enumerate(prepared):
        t = prep.t
        results = []
        for bi, name in enumerate(prep.branches):
            parts = [r for _s, r in sorted(by_key[(ci, bi)], key=lambda x: x[0])]
            results.append((name, tuple(np.concatenate([p[k] for p in parts])
                                        for k in range(6))))
        scans.append(assemble_scan(t, prep.case.target, results))
    return tuple(scans)


# ------------------------------------------------------------------------------------------------
# results
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SweepResult:
    """The scans of a sweep, one per case, in the order of the cases.

    Attributes
    ----------
    cases : tuple of SweepCase
    scans : tuple of massdriver.windows.ScanResult
        ``scans[i]`` belongs to ``cases[i]`` (rows: every epoch of the first branch, then of the
        second, as :func:`massdriver.windows.scan`).
    backend : str
        ``"local"`` or ``"dask"``.
    n_tasks : int
        Units of work run (local: one per case and branch).
    chunk : int
        Epochs per Dask task (0 for the local backend).
    """

    cases: tuple
    scans: tuple
    backend: str
    n_tasks: int
    chunk: int

    @property
    def n_shots(self) -> int:
        """Speed solves in the sweep (epochs x branches over all cases)."""
        return int(sum(s.t_launch_tdb.shape[0] for s in self.scans))

    def best(self, index: int) -> dict | None:
        """The cheapest solved epoch of case ``index`` (plain floats) or ``None``."""
        s = self.scans[index]
        if not np.any(np.isfinite(s.total_km_s)):
            return None
        k = int(np.nanargmin(s.total_km_s))
        return {"t_launch_tdb": float(s.t_launch_tdb[k]), "branch": str(s.branch[k]),
                "speed_km_s": float(s.speed_km_s[k]), "total_km_s": float(s.total_km_s[k])}

    def to_table(self):
        """One row per case: track, target, solved fraction, cheapest epoch and total (QTable)."""
        rows: dict[str, list] = {k: [] for k in (
            "case", "label", "lat", "lon", "azimuth", "elevation", "target", "epochs",
            "solved_fraction", "best_utc", "best_branch", "best_speed", "best_total")}
        for i, (case, scan) in enumerate(zip(self.cases, self.scans, strict=True)):
            b = self.best(i)
            rows["case"].append(i)
            rows["label"].append(case.label)
            rows["lat"].append(case.site.lat.to_value(u.deg))
            rows["lon"].append(case.site.lon.to_value(u.deg))
            rows["azimuth"].append(case.site.azimuth.to_value(u.deg))
            rows["elevation"].append(case.site.elevation.to_value(u.deg))
            rows["target"].append(case.target.name)
            rows["epochs"].append(int(np.unique(scan.t_launch_tdb).shape[0]))
            rows["solved_fraction"].append(float(np.mean(np.isfinite(scan.total_km_s))))
            rows["best_utc"].append(from_tdb_seconds(b["t_launch_tdb"]).utc.isot if b else "")
            rows["best_branch"].append(b["branch"] if b else "")
            rows["best_speed"].append(b["speed_km_s"] if b else np.nan)
            rows["best_total"].append(b["total_km_s"] if b else np.nan)
        table = QTable(rows)
        for name in ("lat", "lon", "azimuth", "elevation"):
            table[name] = table[name] * u.deg
        table["best_speed"] = table["best_speed"] * (u.km / u.s)
        table["best_total"] = table["best_total"] * (u.km / u.s)
        table.meta = {"backend": self.backend, "n_tasks": self.n_tasks, "chunk": self.chunk}
        return table


# ------------------------------------------------------------------------------------------------
# the Dask side (lazy imports)
# ------------------------------------------------------------------------------------------------
def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise InputError("a Dask cluster needs the optional dependency 'distributed': "
                         "pip install 'massdriver[distributed]'") from None
    return distributed


#: largest first message accepted from a scheduler (its handshake is a few hundred bytes)
_HANDSHAKE_LIMIT = 1 << 20


def _parse_scheduler_address(address) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` of a scheduler address, or one-line InputError."""
    shown = one_line(repr(address), 80)
    example = "expected e.g. 'tcp://127.0.0.1:8786' or 'tls://scheduler.example:8786'"
    if not isinstance(address, str) or not address.strip():
        raise InputError(f"scheduler address {shown}: {example}")
    text = address.strip()
    scheme, sep, loc = text.partition("://")
    if not sep:
        scheme, loc = "tcp", text
    scheme = scheme.lower()
    if scheme not in ("tcp", "tls", "inproc", "ucx", "ws", "wss"):
        raise InputError(f"scheduler address {shown}: unknown scheme {one_line(scheme, 20)!r}; "
                         f"{example}")
    if scheme == "inproc":
        return scheme, loc, None
    host, colon, port = loc.rpartition(":")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536 or \
            any(c in host for c in "/?#@ ") or (host.startswith("[") != host.endswith("]")):
        raise InputError(f"scheduler address {shown}: expected HOST:PORT after the scheme; "
                         f"{example}")
    return scheme, host.strip("[]"), int(port)


def _probe_scheduler(address: str, scheme: str, host: str, port: int,
                     deadline: float) -> None:
    """Connect to ``host:port`` and, for ``tcp``, read the scheduler's first message within
    the deadline: a Dask scheduler sends its handshake first (8-byte length, then frames).

    ``distributed`` bounds the TCP connect but not the handshake read, and trusts the length
    it reads (a silent peer hangs it; another protocol's bytes become a huge allocation): this
    probe runs first, under the same deadline as the connection.
    """
    def left() -> float:
        return deadline - time.monotonic()

    def fail(why: str):
        raise InputError(f"cannot connect to the Dask scheduler at {address!r}: {why}")

    try:
        sock = socket.create_connection((host, port), timeout=max(left(), 0.01))
    except TimeoutError:
        fail("no connection within the timeout")
    except OSError as exc:
        fail(exc.strerror or str(exc))
    with sock:
        if scheme != "tcp":               # TLS and the others: the connect is all we check
            return

        def read(n: int) -> bytes:
            data = b""
            while len(data) < n:
                if left() <= 0:
                    fail("it accepted the connection but sent no Dask handshake within the "
                         "timeout (is it a Dask scheduler?)")
                sock.settimeout(max(left(), 0.01))
                try:
                    block = sock.recv(n - len(data))
                except TimeoutError:
                    continue
                except OSError as exc:
                    fail(exc.strerror or str(exc))
                if not block:
                    fail("the peer closed the connection before a Dask handshake (is it a "
                         "Dask scheduler?)")
                data += block
            return data

        (size,) = struct.unpack("<Q", read(8))
        if not 16 <= size <= _HANDSHAKE_LIMIT:
            fail(f"the peer does not speak the Dask protocol (its first message claims {size} "
                 "bytes)")
        frames = read(size)
        (n_frames,) = struct.unpack("<Q", frames[:8])
        header = 8 + 8 * n_frames
        if not (1 <= n_frames <= 64 and header <= size
                and header + sum(struct.unpack(f"<{n_frames}Q", frames[8:header])) <= size):
            fail("the peer does not speak the Dask protocol (malformed first message)")


def _connect_timeout() -> float:
    """Dask's ``distributed.comm.timeouts.connect`` (default 30 s; environment variable
    ``DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT``), in seconds."""
    import dask
    from dask.utils import parse_timedelta

    value = dask.config.get("distributed.comm.timeouts.connect", 30.0)
    try:
        seconds = float(parse_timedelta(value, default="seconds"))
    except (TypeError, ValueError, KeyError):
        raise InputError(f"distributed.comm.timeouts.connect = {value!r}: expected a time "
                         "such as '30s'") from None
    if not 0 < seconds <= 86400:
        raise InputError(f"distributed.comm.timeouts.connect = {value!r}: must be in "
                         "(0 s, 1 day]")
    return seconds


def _connect(address: str, timeout: float | None = None):
    """A client of the scheduler at ``address``: the TCP connect, the check of its handshake
    and the client's own connection all within ``timeout`` seconds (default
    :func:`_connect_timeout`)."""
    distributed = _import_distributed()
    scheme, host, port = _parse_scheduler_address(address)
    if timeout is None:
        timeout = _connect_timeout()
    deadline = time.monotonic() + float(timeout)
    if port is not None:
        _probe_scheduler(address, scheme, host, port, deadline)
    try:
        client = distributed.Client(address.strip(),
                                    timeout=max(deadline - time.monotonic(), 1.0),
                                    set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(f"cannot connect to the Dask scheduler at {address!r}: "
                         f"{one_line(exc, 200)}") from None
    _quiet_abandoned_gathers(client)
    return client


def _quiet_abandoned_gathers(client) -> None:
    """Drop asyncio's "Task exception was never retrieved" report of the gathers a closed
    client abandons (``AllExit``, after Ctrl-C): the interruption is reported on one line."""
    loop = getattr(getattr(client, "loop", None), "asyncio_loop", None)
    try:
        from distributed.client import AllExit
    except ImportError:                   # pragma: no cover - older distributed
        return
    if loop is None:                      # pragma: no cover
        return
    previous = loop.get_exception_handler()

    def handler(loop, context) -> None:
        if isinstance(context.get("exception"), AllExit):
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)


@contextlib.contextmanager
def use_dask(client_or_address, *, timeout: float | None = None) -> Iterator[Any]:
    """Run the sweeps inside this block on a Dask cluster.

    Parameters
    ----------
    client_or_address : distributed.Client or str
        A connected client, or a scheduler address (``"tcp://127.0.0.1:8786"``); a client made
        from an address is closed when the block ends.
    timeout : float, optional
        Seconds for connecting to an address: the TCP connect and the scheduler's handshake
        under one deadline (default: Dask's ``distributed.comm.timeouts.connect``, 30 s).

    Yields
    ------
    distributed.Client

    Notes
    -----
    The setting is a :mod:`contextvars` variable set on entry and reset on exit: it holds only
    inside the block (per thread and asyncio task) and nested blocks restore the outer client.
    An explicit ``client=`` or ``scheduler=`` argument of :func:`sweep` wins over it.
    """
    own = isinstance(client_or_address, str)
    client = _connect(client_or_address, timeout) if own else client_or_address
    if client is None or not hasattr(client, "map"):
        raise InputError(f"use_dask(): expected a distributed.Client or an address, "
                         f"got {client_or_address!r}")
    token = _ACTIVE_CLIENT.set(client)
    try:
        yield client
    finally:
        _ACTIVE_CLIENT.reset(token)
        if own:
            client.close()


def current_client():
    """The client of the innermost :func:`use_dask` block, or ``None`` (in-process runs)."""
    return _ACTIVE_CLIENT.get()


@contextlib.contextmanager
def active_client(scheduler: str | None = None, client=None, timeout: float | None = None
                  ) -> Iterator[Any]:
    """The Dask client a call should use, or ``None`` for an in-process run.

    ``client`` if given; else a client connected to ``scheduler`` (closed when the block ends);
    else the client of the enclosing :func:`use_dask` block; else ``None``.
    """
    if client is not None and scheduler is not None:
        raise InputError("give either client= or scheduler=, not both")
    if client is not None:
        yield client
    elif scheduler is not None:
        c = _connect(scheduler, timeout)
        try:
            yield c
        finally:
            c.close()
    else:
        yield _ACTIVE_CLIENT.get()


class PendingSweep:
    """A sweep submitted to a Dask cluster (from :func:`sweep_async`).

    Attributes
    ----------
    futures : list of distributed.Future
        One per task, in result order.
    keys : list of str
        Their task keys (``massdriver-shots-<sweep id>-<task index>``).
    """

    def __init__(self, prepared, slots, futures, client, chunk: int) -> None:
        self._prepared = prepared
        self._slots = slots
        self.futures = futures
        self.keys = [f.key for f in futures]
        self._client = client
        self._chunk = chunk

    def done(self) -> bool:
        """Whether every task has finished."""
        return all(f.done() for f in self.futures)

    def progress(self) -> tuple[int, int]:
        """``(tasks finished, tasks)``."""
        return sum(f.done() for f in self.futures), len(self.futures)

    def cancel(self) -> None:
        """Cancel the tasks not yet run."""
        self._client.cancel(self.futures)

    def result(self, timeout: float | None = None,
               progress: Callable[[int, int], None] | None = None) -> SweepResult:
        """Wait for every task, gather the results in order and price them.

        Parameters
        ----------
        timeout : float, optional
            Seconds to wait for all tasks (``None``: no limit).
        progress : callable, optional
            ``progress(shots done, shots)`` as tasks finish.
        """
        distributed = _import_distributed()
        deadline = None if timeout is None else time.monotonic() + float(timeout)
        if progress is not None:
            total = sum(e - s for _, _, s, e in self._slots)
            done = 0
            size = {f.key: e - s for f, (_, _, s, e) in zip(self.futures, self._slots,
                                                           strict=True)}
            for fut in distributed.as_completed(self.futures, loop=self._client.loop,
                                                timeout=timeout):
                done += size[fut.key]
                progress(done, total)
        if deadline is not None:
            for fut in self.futures:      # raises TimeoutError (or the task's error) in time
                fut.result(timeout=max(deadline - time.monotonic(), 0.0))
        results = self._client.gather(self.futures)
        scans = _assemble(self._prepared, self._slots, results)
        return SweepResult(cases=tuple(p.case for p in self._prepared), scans=scans,
                           backend="dask", n_tasks=len(self.futures), chunk=self._chunk)


def _check_chunk(chunk: int | None) -> int:
    c = CHUNK if chunk is None else chunk
    if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or c < CHUNK or c % CHUNK:
        raise InputError(f"chunk = {chunk!r}: must be a positive multiple of "
                         f"kernels.shots.CHUNK = {CHUNK} (epochs per task)")
    return int(c)


def sweep_async(cases: Sequence[SweepCase], *, client=None, chunk: int | None = None,
                retries: int = 2, numba_threads: int = 1) -> PendingSweep:
    """Submit a sweep to a Dask cluster and return at once (see :func:`sweep`).

    Parameters
    ----------
    cases : sequence of SweepCase
    client : distributed.Client, optional
        Default: the client of the enclosing :func:`use_dask` block.
    chunk : int, optional
        Epochs per task, a multiple of ``kernels.shots.CHUNK`` (default: ``CHUNK``, one kernel
        chunk per task).
    retries : int
        Times Dask re-runs a task that raised (lost workers are handled by the scheduler
        regardless).
    numba_threads : int
        numba threads of each task on its worker.

    Returns
    -------
    PendingSweep
    """
    client = client if client is not None else _ACTIVE_CLIENT.get()
    if client is None:
        raise InputError("sweep_async() needs a Dask client (client= or a use_dask block)")
    chunk = _check_chunk(chunk)
    prepared = [_prepare(i, c) for i, c in enumerate(cases)]
    tasks, slots = _task_plan(prepared, chunk, int(numba_threads))
    sweep_id = uuid.uuid4().hex[:12]
    keys = [f"massdriver-shots-{sweep_id}-{i:06d}" for i in range(len(tasks))]
    futures = client.map(_run_task, tasks, key=keys, retries=int(retries))
    return PendingSweep(prepared, slots, futures, client, chunk)


def sweep(cases: Sequence[SweepCase], *, scheduler: str | None = None, client=None,
          chunk: int | None = None, retries: int = 2, numba_threads: int = 1,
          progress: Callable[[int, int], None] | None = None) -> SweepResult:
    """Solve and price every epoch of every case: in-process, or on a Dask cluster.

    Parameters
    ----------
    cases : sequence of SweepCase
        E.g. :func:`grid_cases` of sites (tracks) x target planes x epoch grids.
    scheduler : str, optional
        Address of a Dask scheduler (``"tcp://127.0.0.1:8786"``); a client is opened for the
        sweep and closed after it.
    client : distributed.Client, optional
        A connected client (wins over an enclosing :func:`use_dask` block).
    chunk : int, optional
        Epochs per Dask task, a positive multiple of ``kernels.shots.CHUNK`` (default:
        ``CHUNK``, one kernel chunk per task); tasks start at multiples of it in each case's
        grid, which keeps the results identical to the in-process run.
    retries : int
        Dask re-runs of a task that raised.
    numba_threads : int
        numba threads per Dask task (the in-process run uses all of numba's threads).
    progress : callable, optional
        ``progress(shots done, shots)``.

    Returns
    -------
    SweepResult
        One :class:`massdriver.windows.ScanResult` per case, bit-identical whichever backend ran
        it.
    """
    cases = list(cases)
    if not cases:
        raise InputError("sweep(): no case given")
    with active_client(scheduler, client) as active:
        if active is not None:
            pending = sweep_async(cases, client=active, chunk=chunk, retries=retries,
                                  numba_threads=numba_threads)
            return pending.result(progress=progress)
        from massdriver.windows import scan_many

        prepared = [_prepare(i, c) for i, c in enumerate(cases)]
        total = sum(p.t.shape[0] * len(p.branches) for p in prepared)
        done = [0]

        def tick(k: int) -> None:
            done[0] += k
            if progress is not None:
                progress(done[0], total)

        scans = tuple(scan_many([(p.problem, p.t, p.case.target, p.branches)
                                 for p in prepared], progress=tick))
        return SweepResult(cases=tuple(p.case for p in prepared), scans=scans, backend="local",
                           n_tasks=sum(len(p.branches) for p in prepared), chunk=0)


# ------------------------------------------------------------------------------------------------
# coarse-grained ordered map (one task per item), used by the campaign planner
# ------------------------------------------------------------------------------------------------
def map_checkpointed(func: Callable, items: Sequence, paths: Sequence, *, batch: int,
                     scheduler: str | None = None, client=None,
                     label: str = "massdriver-task",
                     progress: Callable[[int, int], None] | None = None) -> list:
    """:func:`map_ordered` over ``items`` whose results (ndarrays) are kept in ``.npy`` files.

    ``paths[i]`` (a :class:`pathlib.Path`, or ``None`` for no file) holds the result of
    ``func(items[i])``: an existing file is loaded instead of computing it (a resumed run);
    the others are computed ``batch`` at a time and each written as soon as its batch ends
    (:func:`massdriver.outputs.write_file`: a file is whole or absent). ``progress(done,
    total)`` in items after each batch. Results in the order of ``items``.
    """
    items = list(items)
    results: list = [None] * len(items)
    todo = []
    for i, path in enumerate(paths):
        if path is not None and path.exists():
            results[i] = np.load(path)
        else:
            todo.append((i, path))
    done = len(items) - len(todo)
    for a in range(0, len(todo), batch):
        part = todo[a:a + batch]
        out = map_ordered(func, [items[i] for i, _ in part], scheduler=scheduler,
                          client=client, label=label)
        for (i, path), arr in zip(part, out, strict=True):
            results[i] = arr
            if path is not None:
                write_file(path, True, lambda f, arr=arr: np.save(f, arr))
        done += len(part)
        if progress is not None:
            progress(done, len(items))
    return results


def map_ordered(func: Callable, items: Sequence, *, scheduler: str | None = None, client=None,
                retries: int = 2, label: str = "massdriver-task") -> list:
    """``[func(x) for x in items]``, in-process or one Dask task per item, results in order.

    ``func`` must be a module-level function (picklable) and deterministic; its numba kernels
    give the same floats on a worker as in-process (they do not depend on the thread count).

    Parameters
    ----------
    func : callable
    items : sequence
    scheduler, client : see :func:`sweep` (default: the enclosing :func:`use_dask` block, else
        in-process).
    retries : int
    label : str
        Task-key prefix.
    """
    items = list(items)
    with active_client(scheduler, client) as active:
        if active is None:
            return [func(x) for x in items]
        run_id = uuid.uuid4().hex[:12]
        keys = [f"{label}-{run_id}-{i:06d}" for i in range(len(items))]
        futures = active.map(func, items, key=keys, retries=int(retries))
        return active.gather(futures)

