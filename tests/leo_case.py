"""The equatorial LEO case shared by tests/test_windows.py and tests/test_orekit.py: a due-east
level track at 0 N, 55 W, a 400 km / 28.5 deg circular target, the search from 2027-01-01 UTC
(Orekit flies the very window the window tests find)."""

from __future__ import annotations

import astropy.units as u
from astropy.time import Time

from massdriver import targets
from massdriver.config import LauncherSpec
from massdriver.site import LaunchSite

SITE = LaunchSite(lat=0 * u.deg, lon=-55 * u.deg, azimuth=90 * u.deg, elevation=0 * u.deg)
LAUNCHER = LauncherSpec(speed_min=2.35 * u.km / u.s, speed_max=2.80 * u.km / u.s,
                        payload_mass=1000 * u.kg, speed_sigma=0.05 * u.m / u.s,
                        pointing_sigma=1e-3 * u.deg)
LEO = targets.circular(400 * u.km, 28.5 * u.deg)
START = Time("2027-01-01T00:00", scale="utc")
