"""Offline solar-system ephemeris and lunar orientation (JPL DE421 by default).

Sources
-------
[DE421]  W. M. Folkner, J. G. Williams, D. H. Boggs, "The Planetary and Lunar Ephemeris DE 421",
         JPL IOM 343R-08-003 (2008). File ``de421.bsp`` shipped by the ``skyfield-data`` package
         (SPK type 2 Chebyshev segments, 1899-07-29 .. 2053-10-09).
[PA]     NAIF binary lunar PCK ``moon_pa_de421_1900-2050.bpc`` (shipped by ``lunarsky``): the
         Euler angles (3-1-3) of the DE421 lunar principal-axes frame MOON_PA_DE421 (31006)
         relative to ICRF, 1900-01-01 .. 2051-01-01 TDB.
[FK]     NAIF frame kernel ``moon_080317.tf`` (N. Bachman, 2008), frame 31007 MOON_ME_DE421:
         constant rotation PA -> ME by the angles 67.92", 78.56", 0.30" about axes 3, 2, 1, from
         J. G. Williams, D. H. Boggs, W. M. Folkner, "DE421 Lunar Orbit, Physical Librations, and
         Surface Coordinates", JPL IOM 335-JW,DB,WF-20080314-001 (2008).

Everything is read from files installed with the Python packages: there is never any network
access. The Chebyshev coefficients are handed to the compiled kernels as the ``eph`` tuple
documented in :mod:`massdriver.kernels.chebyshev`.

The quick alternative, astropy's built-in ERFA model (``ephemeris="builtin"``, Moon from the
ELP2000-82 truncation of Meeus 1998, Earth/Sun from ``epv00``) is only for fast previews: over
1950-2049 it is up to 18 km off for the Moon and up to 10 km for the Sun (measured in
tests/test_ephemeris.py), and it has no lunar orientation, so it cannot drive the kernels.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import astropy.units as u
import numpy as np
from astropy.coordinates import get_body_barycentric_posvel
from astropy.time import Time
from jplephem.daf import DAF
from jplephem.pck import PCK
from jplephem.spk import SPK

from . import safe_io
from .errors import ConfigError, EphemerisRangeError, InputError
from .kernels.chebyshev import geocentric_states, moon_pa_matrices, slice_tables
from .timescales import from_tdb_seconds, to_tdb_seconds

_log = logging.getLogger(__name__)

__all__ = [
    "Ephemeris", "Coverage", "BodyState", "default_spk_path", "default_pck_path",
    "moon_state", "sun_state", "moon_orientation", "pa_to_me_matrix", "PA_TO_ME_ANGLES_ARCSEC",
    "to_tdb_seconds", "from_tdb_seconds",
]

#: DE421 PA -> ME rotation angles (arcsec) about axes 3, 2, 1 [FK]: frame 31007 MOON_ME_DE421.
PA_TO_ME_ANGLES_ARCSEC = (67.92, 78.56, 0.30)

_SPK_PAIRS = ((3, 301), (3, 399), (0, 3), (0, 10))   # (center, target) in kernel-table order
_TABLE_NAMES = ("Moon wrt EMB (301/3)", "Earth wrt EMB (399/3)", "EMB wrt SSB (3/0)",
                "Sun wrt SSB (10/0)", "Moon PA Euler angles")


def _package_dir(package: str) -> Path:
    """Directory of an installed package, found without importing it (lunarsky is slow)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"package {package!r} is not installed; it ships the default kernels "
                          f"(pip install {package.replace('_', '-')})")
    return Path(next(iter(spec.submodule_search_locations)))


@functools.cache
def default_spk_path() -> Path:
    """Path of JPL DE421 (``de421.bsp``) inside the ``skyfield-data`` package."""
    return _package_dir("skyfield_data") / "data" / "de421.bsp"


@functools.cache
def default_pck_path() -> Path:
    """Path of the DE421 lunar PA binary PCK inside the ``lunarsky`` package."""
    return _package_dir("lunarsky") / "data" / "pck" / "moon_pa_de421_1900-2050.bpc"


def _axis_rotation(axis: int, angle: float) -> np.ndarray:
    """SPICE frame rotation ``[angle]_axis`` (rotates the axes by ``angle``, rad)."""
    c, s = math.cos(angle), math.sin(angle)
    if axis == 1:
        return np.array([[1.0, 0.0, 0.0], [0.0, c, s], [0.0, -s, c]])
    if axis == 2:
        return np.array([[c, 0.0, -s], [0.0, 1.0, 0.0], [s, 0.0, c]])
    return np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])


@functools.cache
def _pa_to_me() -> np.ndarray:
    arcsec = math.pi / (180.0 * 3600.0)
    a3, a2, a1 = (a * arcsec for a in PA_TO_ME_ANGLES_ARCSEC)
    # x_ME = [-0.30"]_1 [-78.56"]_2 [-67.92"]_3 x_PA; checked in tests against the Earth-from-Moon
    # vectors printed in the moon_080317.tf example (SPICE output, 2008 MAR 17 20:10 UTC).
    matrix = _axis_rotation(1, -a1) @ _axis_rotation(2, -a2) @ _axis_rotation(3, -a3)
    matrix.setflags(write=False)
    return matrix


def pa_to_me_matrix() -> np.ndarray:
    """Constant rotation DE421 Moon PA -> Moon ME (mean Earth/polar axis), ``x_ME = M @ x_PA``.

    Returns
    -------
    numpy.ndarray, shape (3, 3)
        Read-only rotation matrix from the frame kernel moon_080317.tf (frame 31007): rotations by
        67.92", 78.56" and 0.30" about the z, y and x axes [FK].
    """
    return _pa_to_me()


# --- loading -------------------------------------------------------------------------------------


def _segment_table(segments, label: str, path: str):
    """Concatenate type-2 Chebyshev segments into one (n, 3, n_coef) table.

    Returns ``(coefficients, init, intlen, start_second, end_second)``.
    """
    if not segments:
        raise ConfigError(f"{label}: no segment in {path}")
    segments = sorted(segments, key=_seg_start)
    blocks, init0, intlen0, ncoef0, expected = [], None, None, None, None
    for seg in segments:
        if seg.data_type != 2:
            raise ConfigError(f"{label}: segment of type {seg.data_type} in {path}; only "
                              "Chebyshev type 2 is supported")
        init, intlen, rsize, n = seg.daf.read_array(seg.end_i - 3, seg.end_i)
        rsize, n = int(rsize), int(n)
        ncoef = (rsize - 2) // 3
        raw = np.array(seg.daf.map_array(seg.start_i, seg.end_i - 4), dtype=np.float64)
        coef = raw.reshape(n, rsize)[:, 2:].reshape(n, 3, ncoef)
        if init0 is None:
            init0, intlen0, ncoef0 = init, intlen, ncoef
        elif intlen != intlen0 or ncoef != ncoef0 or not math.isclose(init, expected, abs_tol=1e-3):
            raise ConfigError(f"{label}: segments in {path} are not contiguous with equal record "
                              "length and degree; cannot build one table")
        expected = init + n * intlen
        blocks.append(coef)
    table = np.ascontiguousarray(np.concatenate(blocks, axis=0))
    table.setflags(write=False)
    return table, float(init0), float(intlen0), _seg_start(segments[0]), _seg_end(segments[-1])


def _seg_start(seg) -> float:
    return float(getattr(seg, "start_second", getattr(seg, "initial_second", math.nan)))


def _seg_end(seg) -> float:
    return float(getattr(seg, "end_second", getattr(seg, "final_second", math.nan)))


def _open_daf(cls, path: str, what: str):
    """``cls(DAF(file))`` (jplephem's SPK or PCK) of a checked regular file (see :func:`_load`)."""
    one_line = safe_io.one_line
    try:
        handle = safe_io.open_regular(path, safe_io.EPHEMERIS_SIZE_LIMIT)
    except FileNotFoundError:
        raise ConfigError(f"ephemeris file not found: {one_line(path, 120)}") from None
    except InputError as exc:
        raise ConfigError(f"ephemeris {what}: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {one_line(path, 120)}: "
                          f"{exc.strerror or exc}") from None
    try:
        return cls(DAF(handle))
    except Exception as exc:  # jplephem raises plain ValueError/OSError on a bad file
        handle.close()
        raise ConfigError(f"cannot read {what} {one_line(path, 120)}: "
                          f"{one_line(exc, 120)}") from None


@functools.lru_cache(maxsize=4)
def _load(spk_path: str, pck_path: str):
    """Read the Chebyshev tables of an SPK + lunar binary PCK pair (cached per path pair).

    Both paths may come from a user: each must be a regular file of at most
    :data:`massdriver.safe_io.EPHEMERIS_SIZE_LIMIT` bytes (a FIFO, a device or a directory is
    refused before a byte is read, :func:`massdriver.safe_io.open_regular`).
    """
    tables, spans, starts, ends = [], [], [], []
    _log.debug("reading the ephemeris %s and %s", spk_path, pck_path)
    spk = _open_daf(SPK, spk_path, "SPK file")
    try:
        for (center, target), label in zip(_SPK_PAIRS, _TABLE_NAMES, strict=False):
            segs = [s for s in spk.segments if s.center == center and s.target == target]
            table, init, intlen, start, end = _segment_table(segs, label, spk_path)
            tables.append(table)
            spans.append((init, intlen))
            starts.append(start)
            ends.append(end)
    finally:
        spk.close()
    pck = _open_daf(PCK, pck_path, "binary PCK file")
    try:
        segs = [s for s in pck.segments if 31000 <= s.body < 32000 and s.frame == 1]
        bodies = sorted({s.body for s in segs})
        segs = [s for s in segs if bodies and s.body == bodies[0]]
        table, init, intlen, start, end = _segment_table(segs, _TABLE_NAMES[4], pck_path)
    finally:
        pck.close()
    tables.append(table)
    spans.append((init, intlen))
    starts.append(start)
    ends.append(end)
    # Earth wrt EMB = -Moon wrt EMB / EMRAT in JPL files: EMRAT from the first record's constant
    # terms, once per file (DE421: 81.3005690699153, to 1e-15 relative)
    emrat = -float(tables[0][0, 0, 0]) / float(tables[1][0, 0, 0])
    spans.append((1.0 / (1.0 + emrat), 0.0))
    spans_array = np.array(spans, dtype=np.float64)
    spans_array.setflags(write=False)
    return tuple(tables), spans_array, max(starts), min(ends)


# --- public objects ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    """Time span covered by every table of an :class:`Ephemeris`.

    Attributes
    ----------
    start, stop : astropy.time.Time
        First and last valid epoch (TDB scale).
    start_seconds, stop_seconds : float
        The same, in TDB seconds past J2000.
    """

    start: object
    stop: object
    start_seconds: float
    stop_seconds: float


@dataclass(frozen=True)
class BodyState:
    """Geocentric state of a body, ICRF axes.

    Attributes
    ----------
    epoch : astropy.time.Time
        Epoch(s) of the state.
    position : astropy.units.Quantity
        Position, km, shape ``(3,)`` or ``(n, 3)``.
    velocity : astropy.units.Quantity
        Velocity, km/s, same shape.
    """

    epoch: object
    position: object
    velocity: object


class Ephemeris:
    """Immutable set of Chebyshev tables: planetary SPK + lunar PA binary PCK.

    ``Ephemeris()`` is DE421 with the DE421 lunar PA kernel, read from the ``skyfield-data`` and
    ``lunarsky`` packages (no network). The files are parsed once per path pair and cached, so
    constructing an ``Ephemeris`` again is cheap.

    Parameters
    ----------
    spk : str or os.PathLike, optional
        Planetary SPK with type-2 segments 301/3, 399/3, 3/0 and 10/0 (e.g. ``de440.bsp``).
        Default: DE421 from ``skyfield-data``.
    pck : str or os.PathLike, optional
        Lunar binary PCK (type 2 Euler angles of a MOON_PA_DEnnn frame relative to ICRF), e.g.
        ``moon_pa_de440_200625.bpc``. Default: ``moon_pa_de421_1900-2050.bpc`` from ``lunarsky``.
        Use the PA kernel that matches the SPK.

    Raises
    ------
    massdriver.errors.ConfigError
        If a file is missing or lacks the required segments.
    """

    __slots__ = ("_spk_path", "_pck_path", "_tables", "_spans", "_start", "_stop")

    def __init__(self, spk=None, pck=None) -> None:
        spk_path = str(Path(spk).expanduser().resolve()) if spk else str(default_spk_path())
        pck_path = str(Path(pck).expanduser().resolve()) if pck else str(default_pck_path())
        tables, spans, start, stop = _load(spk_path, pck_path)
        for name, value in (("_spk_path", spk_path), ("_pck_path", pck_path), ("_tables", tables),
                            ("_spans", spans), ("_start", start), ("_stop", stop)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        raise AttributeError("Ephemeris is immutable")

    def __delattr__(self, name):
        raise AttributeError("Ephemeris is immutable")

    def __repr__(self) -> str:
        return (f"Ephemeris(spk={Path(self._spk_path).name!r}, pck={Path(self._pck_path).name!r}, "
                f"coverage={self.coverage.start.isot} .. {self.coverage.stop.isot} TDB)")

    def __eq__(self, other) -> bool:
        return (isinstance(other, Ephemeris) and self._spk_path == other._spk_path
                and self._pck_path == other._pck_path)

    def __hash__(self) -> int:
        return hash((self._spk_path, self._pck_path))

    def __reduce__(self):
        # pickles as its file paths (for Dask workers): the tables are re-read there
        return (Ephemeris, (self._spk_path, self._pck_path))

    @classmethod
    def from_files(cls, spk=None, pck=None) -> Ephemeris:
        """Ephemeris from a user SPK (e.g. DE440) and lunar PA binary PCK; see the class doc."""
        return cls(spk=spk, pck=pck)

    @property
    def spk_path(self) -> str:
        """Absolute path of the planetary SPK file."""
        return self._spk_path

    @property
    def pck_path(self) -> str:
        """Absolute path of the lunar PA binary PCK file."""
        return self._pck_path

    @property
    def name(self) -> str:
        """Short label, e.g. ``"de421.bsp + moon_pa_de421_1900-2050.bpc"``."""
        return f"{Path(self._spk_path).name} + {Path(self._pck_path).name}"

    @property
    def coverage(self) -> Coverage:
        """Epochs covered by all five tables (DE421 + its PA kernel: 1900-01-01 .. 2051-01-01)."""
        return Coverage(start=from_tdb_seconds(self._start), stop=from_tdb_seconds(self._stop),
                        start_seconds=self._start, stop_seconds=self._stop)

    def check_range(self, t_tdb_seconds, epoch=None) -> None:
        """Raise if any epoch (TDB s past J2000) lies outside :attr:`coverage` or is not finite.

        Parameters
        ----------
        t_tdb_seconds : float or array_like
            Epochs, TDB s past J2000.
        epoch : astropy.time.Time, optional
            The same epochs as given by the user, shown in the message in their own scale.

        Raises
        ------
        massdriver.errors.EphemerisRangeError
            Naming the first offending epoch and the allowed range.
        """
        t = np.atleast_1d(np.asarray(t_tdb_seconds, dtype=np.float64))
        bad = ~(np.isfinite(t) & (t >= self._start) & (t <= self._stop))
        if np.any(bad):
            index = int(np.argmax(bad))
            first = t[index]
            if epoch is not None and np.isfinite(first):
                given = epoch.ravel()[index] if epoch.shape else epoch
                shown = f"{given.isot} {given.scale.upper()}"
            elif np.isfinite(first):
                shown = from_tdb_seconds(first).isot + " TDB"
            else:
                shown = str(first)
            more = f" ({int(bad.sum())} of {t.size} epochs)" if t.size > 1 else ""
            raise EphemerisRangeError(
                f"epoch {shown}{more} is outside the ephemeris coverage "
                f"{from_tdb_seconds(self._start).isot} .. {from_tdb_seconds(self._stop).isot} TDB "
                f"({self.name})")

    def kernel_tables(self, start=None, stop=None) -> tuple:
        """The ``eph`` tuple for the compiled kernels, optionally cut to ``[start, stop]``.

        Parameters
        ----------
        start, stop : float or astropy.time.Time, optional
            Span the kernels will need (TDB s past J2000, or ``Time``). Each table keeps the
            records covering the span plus one record of margin on each side (so a step slightly
            past ``stop`` still uses true data), which keeps the arrays small and cache-friendly
            for long scans. Default: the whole file.

        Returns
        -------
        tuple
            ``(moon_emb, earth_emb, emb_ssb, sun_ssb, moon_pa, spans)``, see
            :mod:`massdriver.kernels.chebyshev`. Arrays are read-only float64, C-contiguous.

        Raises
        ------
        massdriver.errors.EphemerisRangeError
            If ``start`` or ``stop`` lies outside :attr:`coverage`.
        massdriver.errors.InputError
            If ``stop < start``.
        """
        if start is None and stop is None:
            return (*self._tables, self._spans)
        t0 = self._start if start is None else _as_seconds(start)
        t1 = self._stop if stop is None else _as_seconds(stop)
        self.check_range([t0, t1])
        if t1 < t0:
            raise InputError(f"kernel_tables: stop ({t1} s) is before start ({t0} s)")

        return slice_tables((*self._tables, self._spans), t0, t1)

    # --- units-aware evaluation ---------------------------------------------------------------

    def _seconds_checked(self, epoch):
        seconds = to_tdb_seconds(epoch)
        self.check_range(seconds, epoch)
        return seconds

    def _states(self, epoch, body: int) -> BodyState:
        seconds = self._seconds_checked(epoch)
        flat = np.atleast_1d(seconds).ravel()
        states = geocentric_states(flat, self.kernel_tables(), body)
        shape = np.shape(seconds) + (3,)
        return BodyState(epoch=epoch, position=states[:, :3].reshape(shape) * u.km,
                         velocity=states[:, 3:].reshape(shape) * (u.km / u.s))

    def moon_state(self, epoch) -> BodyState:
        """Geocentric Moon position (km) and velocity (km/s), ICRF axes; see :func:`moon_state`."""
        return self._states(epoch, 0)

    def sun_state(self, epoch) -> BodyState:
        """Geocentric Sun position (km) and velocity (km/s), ICRF axes; see :func:`sun_state`."""
        return self._states(epoch, 1)

    def moon_orientation(self, epoch, frame: str = "PA", rate: bool = False):
        """Rotation ICRF -> Moon body frame (``x_body = R @ x_icrf``); see :func:`moon_orientation`.
        """
        frame = _check_frame(frame)
        seconds = self._seconds_checked(epoch)
        matrices, rates = moon_pa_matrices(np.atleast_1d(seconds).ravel(), self.kernel_tables())
        if frame == "ME":
            matrices = pa_to_me_matrix() @ matrices
            rates = pa_to_me_matrix() @ rates
        shape = np.shape(seconds) + (3, 3)
        if rate:
            return matrices.reshape(shape), rates.reshape(shape)
        return matrices.reshape(shape)


def _check_frame(frame: str) -> str:
    value = str(frame).upper()
    if value not in ("PA", "ME"):
        raise InputError(f"frame must be 'PA' (principal axes) or 'ME' (mean Earth), got {frame!r}")
    return value


def _as_seconds(value) -> float:
    if isinstance(value, Time):
        return float(to_tdb_seconds(value))
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(f"expected TDB seconds past J2000 or an astropy Time, got {value!r}") \
            from None


def _resolve(ephemeris) -> Ephemeris:
    if ephemeris is None:
        return Ephemeris()
    if isinstance(ephemeris, Ephemeris):
        return ephemeris
    raise InputError(f"ephemeris must be an Ephemeris, None or 'builtin', got {ephemeris!r}")


def _builtin_state(epoch, body: str) -> BodyState:
    """Geocentric state from astropy's built-in ERFA model (quick, ~tens of km off for the Moon)."""
    to_tdb_seconds(epoch)  # validates the type
    pos_b, vel_b = get_body_barycentric_posvel(body, epoch, ephemeris="builtin")
    pos_e, vel_e = get_body_barycentric_posvel("earth", epoch, ephemeris="builtin")
    position = np.moveaxis((pos_b - pos_e).xyz.to_value(u.km), 0, -1) * u.km
    velocity = np.moveaxis((vel_b - vel_e).xyz.to_value(u.km / u.s), 0, -1) * (u.km / u.s)
    return BodyState(epoch=epoch, position=position, velocity=velocity)


def moon_state(epoch, ephemeris=None) -> BodyState:
    """Geocentric state of the Moon in ICRF axes.

    Parameters
    ----------
    epoch : astropy.time.Time
        Epoch(s), any time scale (converted to TDB), scalar or array.
    ephemeris : Ephemeris or "builtin", optional
        Default: DE421. ``"builtin"`` uses astropy's ERFA model (quick; up to ~20 km off).

    Returns
    -------
    BodyState
        ``position`` (km) and ``velocity`` (km/s), shape ``epoch.shape + (3,)``.

    Raises
    ------
    massdriver.errors.EphemerisRangeError
        If an epoch is outside the ephemeris coverage (DE421: 1900-01-01 .. 2051-01-01 TDB).
    """
    if isinstance(ephemeris, str) and ephemeris == "builtin":
        return _builtin_state(epoch, "moon")
    return _resolve(ephemeris).moon_state(epoch)


def sun_state(epoch, ephemeris=None) -> BodyState:
    """Geocentric state of the Sun in ICRF axes (km, km/s); arguments as :func:`moon_state`."""
    if isinstance(ephemeris, str) and ephemeris == "builtin":
        return _builtin_state(epoch, "sun")
    return _resolve(ephemeris).sun_state(epoch)


def moon_orientation(epoch, frame: str = "PA", ephemeris=None, rate: bool = False):
    """Rotation matrix from ICRF to the Moon's body-fixed frame, ``x_body = R @ x_icrf``.

    Parameters
    ----------
    epoch : astropy.time.Time
        Epoch(s), any scale, scalar or array.
    frame : {"PA", "ME"}
        DE421 principal-axes frame (default) or mean-Earth/polar-axis frame (``PA`` followed by the
        constant rotation of :func:`pa_to_me_matrix`).
    ephemeris : Ephemeris, optional
        Default: DE421 and its lunar PA kernel.
    rate : bool
        Also return the time derivative ``dR/dt`` (1/s).

    Returns
    -------
    numpy.ndarray
        ``R`` with shape ``epoch.shape + (3, 3)``; ``(R, dR/dt)`` if ``rate``.
    """
    return _resolve(ephemeris).moon_orientation(epoch, frame=frame, rate=rate)
