"""Launch sites on the Moon and the geocentric state of a payload leaving the track.

A site is given by selenographic (selenocentric, spherical) latitude and longitude in the DE421
lunar principal-axes frame (``frame="PA"``, the frame of the lunar gravity field and of the
orientation kernel) or in the mean-Earth/polar-axis frame (``frame="ME"``, the frame of lunar maps,
IAU convention: longitude positive east). The two differ by a constant rotation of 104" (0.029 deg;
67.92", 78.56", 0.30" about z, y, x; NAIF frame kernel moon_080317.tf, frame 31007, from Williams,
Boggs & Folkner, JPL IOM 335-JW,DB,WF-20080314-001, 2008): up to 0.9 km on the surface.

The track points along ``azimuth`` (clockwise from local north: 90 deg = east) and ``elevation``
(above the local horizontal plane, i.e. the plane normal to the radius). The launch velocity is the
exit speed along the track plus the surface rotational velocity (about 4.6 m/s at the equator),
computed from the time derivative of the DE421 orientation, physical libration included.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import astropy.units as u
import numpy as np

from . import bodies
from .bounds import Bound
from .ephemeris import Ephemeris, pa_to_me_matrix
from .errors import InputError
from .kernels.frames import launch_state, launch_states
from .timescales import to_tdb_seconds

__all__ = ["LaunchSite", "LaunchState", "BOUNDS", "HEIGHT_RANGE_KM"]


#: lowest and highest surface of the Moon relative to the 1737.4 km mean sphere: -9.13 km
#: (Antoniadi crater floor) and +10.78 km (Selenean summit), from the LOLA topography (D. E.
#: Smith et al., "Initial observations from the Lunar Orbiter Laser Altimeter (LOLA)",
#: Geophys. Res. Lett. 37, L18204, 2010); a track's exit lies on the ground or on a ramp at most
#: about a kilometre above it, so ``height`` is allowed in [-10, 12] km.
HEIGHT_RANGE_KM = (-10.0, 12.0)

#: the allowed range of each numeric field of :class:`LaunchSite`
BOUNDS: dict[str, Bound] = {
    "lat": Bound("deg", -90.0, 90.0),
    "lon": Bound("deg", -360.0, 360.0),
    "height": Bound("km", *HEIGHT_RANGE_KM),
    "azimuth": Bound("deg", 0.0, 360.0),
    "elevation": Bound("deg", 0.0, 90.0),
}


@dataclass(frozen=True)
class LaunchState:
    """Geocentric ICRF state of a payload at track exit.

    Attributes
    ----------
    epoch : astropy.time.Time
        Launch epoch(s).
    position : astropy.units.Quantity
        Position, km, shape ``(3,)`` or ``(n, 3)``.
    velocity : astropy.units.Quantity
        Velocity, km/s, same shape (exit speed along the track + lunar surface rotation + Moon's
        orbital velocity).
    """

    epoch: object
    position: object
    velocity: object


@dataclass(frozen=True)
class LaunchSite:
    """A mass-driver site on the lunar surface and the direction of its track.

    Parameters
    ----------
    lat : astropy.units.Quantity
        Selenocentric latitude, angle in [-90, 90] deg.
    lon : astropy.units.Quantity
        Selenocentric longitude (positive east), angle in [-360, 360] deg.
    height : astropy.units.Quantity
        Height of the track exit above the mean sphere of radius ``bodies.R_MOON`` = 1737.4 km,
        [-10, 12] km (the lunar surface lies between -9.1 and +10.8 km: :data:`HEIGHT_RANGE_KM`).
    azimuth : astropy.units.Quantity
        Track azimuth clockwise from local north, [0, 360] deg (90 deg = due east).
    elevation : astropy.units.Quantity
        Track elevation above the local horizontal, [0, 90] deg.
    name : str
        Label for reports.
    frame : {"PA", "ME"}
        Body frame of ``lat``/``lon``: DE421 principal axes (default) or mean Earth/polar axis.

    Raises
    ------
    massdriver.errors.InputError
        Naming the field, the value and the allowed range.
    """

    lat: object
    lon: object
    height: object = None
    azimuth: object = None
    elevation: object = None
    name: str = ""
    frame: str = "PA"
    _body: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        defaults = {"height": 0.0 * u.km, "azimuth": 90.0 * u.deg, "elevation": 0.0 * u.deg}
        for key, value in defaults.items():
            if getattr(self, key) is None:
                object.__setattr__(self, key, value)
        for key, bound in BOUNDS.items():
            object.__setattr__(self, key, bound.check("LaunchSite", key, getattr(self, key)))
        if not isinstance(self.name, str):
            raise InputError(f"LaunchSite.name = {self.name!r}: must be a string", field="name",
                             reason="must be a string")
        frame = str(self.frame).upper()
        if frame not in ("PA", "ME"):
            raise InputError(f"LaunchSite.frame = {self.frame!r}: allowed values 'PA', 'ME'",
                             field="frame", reason="allowed values 'PA', 'ME'")
        object.__setattr__(self, "frame", frame)
        object.__setattr__(self, "_body", self._compute_body_vectors())

    def __hash__(self) -> int:
        return hash((float(self.lat.value), float(self.lon.value), float(self.height.value),
                     float(self.azimuth.value), float(self.elevation.value), self.name,
                     self.frame))

    # --- geometry in the body frame ---------------------------------------------------------

    def describe(self) -> dict:
        """The site as plain JSON values (a plan's and a campaign's ``inputs["site"]``):
        ``name``, ``lat_deg``, ``lon_deg``, ``azimuth_deg``, ``elevation_deg``."""
        return {"name": self.name, "lat_deg": float(self.lat.to_value(u.deg)),
                "lon_deg": float(self.lon.to_value(u.deg)),
                "azimuth_deg": float(self.azimuth.to_value(u.deg)),
                "elevation_deg": float(self.elevation.to_value(u.deg))}

    def _compute_body_vectors(self):
        lat = math.radians(float(self.lat.value))
        lon = math.radians(float(self.lon.value))
        az = math.radians(float(self.azimuth.value))
        el = math.radians(float(self.elevation.value))
        radius = bodies.R_MOON + float(self.height.value)
        up = np.array([math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon),
                       math.sin(lat)])
        east = np.array([-math.sin(lon), math.cos(lon), 0.0])
        north = np.array([-math.sin(lat) * math.cos(lon), -math.sin(lat) * math.sin(lon),
                          math.cos(lat)])
        basis = np.array([east, north, up])          # rows, in the site's frame
        if self.frame == "ME":
            basis = basis @ pa_to_me_matrix()        # row vectors: x_PA = M.T x_ME
        east, north, up = basis
        direction = math.cos(el) * (math.sin(az) * east + math.cos(az) * north) + math.sin(el) * up
        position = radius * up
        for array in (position, direction, basis):
            array.setflags(write=False)
        return position, direction, basis

    def position_body(self):
        """Site position in the Moon PA frame (km), on the sphere of radius R_MOON + height.

        Returns
        -------
        astropy.units.Quantity, shape (3,)
        """
        return self._body[0] * u.km

    def direction_body(self) -> np.ndarray:
        """Unit launch direction in the Moon PA frame (dimensionless, shape (3,))."""
        return self._body[1]

    def enu_basis_body(self) -> np.ndarray:
        """Local east, north, up unit vectors (rows) in the Moon PA frame, shape (3, 3)."""
        return self._body[2]

    def kernel_arguments(self) -> tuple[np.ndarray, np.ndarray]:
        """The site as kernel floats: ``(site_body_km (3,), dir_body (3,))`` in the PA frame.

        The single place where a ``LaunchSite`` loses its units (for
        :func:`massdriver.kernels.frames.launch_states`).
        """
        return self._body[0], self._body[1]

    # --- launch states ----------------------------------------------------------------------

    def launch_state_raw(self, t_tdb_seconds: float, speed_km_s: float, eph=None):
        """Geocentric ICRF launch state in kernel floats.

        Parameters
        ----------
        t_tdb_seconds : float
            Epoch, TDB s past J2000 (not range-checked: the kernel clamps; use
            :meth:`launch_state` for a checked call).
        speed_km_s : float
            Exit speed relative to the surface, km/s.
        eph : tuple, optional
            Ephemeris tables (:meth:`Ephemeris.kernel_tables`); default DE421.

        Returns
        -------
        r, v : numpy.ndarray, shape (3,)
            Position (km) and velocity (km/s).
        """
        tables = Ephemeris().kernel_tables() if eph is None else eph
        return launch_state(float(t_tdb_seconds), float(speed_km_s), self._body[0],
                            self._body[1], tables)

    def launch_states_raw(self, t_tdb_seconds, speed_km_s, eph=None) -> np.ndarray:
        """Vectorised :meth:`launch_state_raw`: arrays of epochs and speeds -> ``(n, 6)``.

        Parameters
        ----------
        t_tdb_seconds : array_like, shape (n,)
            Epochs, TDB s past J2000.
        speed_km_s : float or array_like, shape (n,)
            Exit speeds, km/s (broadcast against the epochs).
        eph : tuple, optional
            Ephemeris tables; default DE421.

        Returns
        -------
        numpy.ndarray, shape (n, 6)
            Position (km) and velocity (km/s) per shot, geocentric ICRF.
        """
        t, speed = np.broadcast_arrays(np.atleast_1d(np.asarray(t_tdb_seconds, np.float64)),
                                       np.asarray(speed_km_s, np.float64))
        tables = Ephemeris().kernel_tables() if eph is None else eph
        # copies: numba must not see the read-only views made by broadcast_arrays
        return launch_states(np.array(t.ravel()), np.array(speed.ravel()), self._body[0],
                             self._body[1], tables)

    def launch_state(self, epoch, speed, ephemeris: Ephemeris | None = None) -> LaunchState:
        """Geocentric ICRF state of a payload leaving the track.

        Parameters
        ----------
        epoch : astropy.time.Time
            Launch epoch(s) (any scale, converted to TDB), scalar or 1-D array.
        speed : astropy.units.Quantity
            Exit speed relative to the lunar surface (velocity), scalar or matching ``epoch``.
        ephemeris : Ephemeris, optional
            Default: DE421 with its lunar PA kernel.

        Returns
        -------
        LaunchState
            ``position`` (km) and ``velocity`` (km/s), shape ``(3,)`` or ``(n, 3)``.

        Raises
        ------
        massdriver.errors.EphemerisRangeError
            If an epoch is outside the ephemeris coverage.
        massdriver.errors.InputError
            If ``speed`` is not a non-negative finite velocity Quantity.
        """
        ephemeris = Ephemeris() if ephemeris is None else ephemeris
        seconds = to_tdb_seconds(epoch)
        ephemeris.check_range(seconds, epoch)
        if not isinstance(speed, u.Quantity) or not speed.unit.is_equivalent(u.km / u.s):
            raise InputError(f"speed = {speed!r}: give a velocity Quantity, e.g. 2.5 * u.km / u.s")
        speed_km_s = np.asarray(speed.to_value(u.km / u.s), dtype=np.float64)
        if not np.all(np.isfinite(speed_km_s)) or np.any(speed_km_s < 0):
            raise InputError(f"speed = {speed}: must be finite and >= 0 km/s")
        if np.ndim(seconds) > 1 or np.ndim(speed_km_s) > 1:
            raise InputError("launch_state: epoch and speed must be scalars or 1-D arrays")
        try:
            shape = np.broadcast_shapes(np.shape(seconds), np.shape(speed_km_s))
        except ValueError:
            raise InputError(f"launch_state: {np.size(seconds)} epochs and {np.size(speed_km_s)} "
                             "speeds do not broadcast") from None
        states = self.launch_states_raw(seconds, speed_km_s, ephemeris.kernel_tables())
        states = states.reshape(shape + (6,))
        return LaunchState(epoch=epoch, position=states[..., :3] * u.km,
                           velocity=states[..., 3:] * (u.km / u.s))
