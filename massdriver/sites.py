"""Where on the Moon to build the track: a small site catalogue and the site search.

Catalogue
---------
Coordinates are selenographic (planetocentric latitude, east-positive longitude) in the mean
Earth / polar axis frame (``frame="ME"`` of :class:`massdriver.site.LaunchSite`), the frame of
both sources:

* Apollo lunar-module sites: M. E. Davies and T. R. Colvin (2000), "Lunar coordinates in the
  regions of the Apollo landers", J. Geophys. Res. 105(E8), 20277-20280, table 2 (the values
  tabulated with five decimals; the older photographic Apollo 11 estimate, 0.647 N 23.505 E,
  Apollo 11 Mission Report table 5-IV, agrees to 0.05 deg).
* Maria and polar features: IAU / USGS Gazetteer of Planetary Nomenclature, feature centres
  (https://planetarynames.wr.usgs.gov): Mare Imbrium 32.8 N 15.6 W; Oceanus Procellarum
  20.67 N 56.67 W; Shackleton 89.67 S 129.78 E (crater centre: the rim, 10.5 km away, is
  within 0.35 deg); Malapert 84.9 S 12.9 E (crater centre; "Malapert Mountain" on its
  south-west rim, 86 S 0 E, has no IAU name).

A site of the catalogue is a point, not a surveyed track: terrain, slope and the length of a
track are outside this model.

Site search
-----------
:func:`search_sites` runs :func:`massdriver.aim.aim` (the track search over azimuth x
elevation) at each site and keeps the site's best track (the first recommendation: largest
mean margin under the threshold): its duty cycle and median in-window delta-v answer "where on
the Moon should the track be" for one target orbit.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import astropy.units as u
import numpy as np
from astropy.table import QTable
from astropy.utils.masked import Masked

import massdriver
from massdriver.aim import aim
from massdriver.errors import InputError
from massdriver.site import LaunchSite

__all__ = ["CatalogueSite", "CATALOGUE", "parse_sites", "SiteResult", "SiteSearch",
           "search_sites", "site_catalogue_table"]

_DC2000 = "Davies & Colvin (2000), JGR 105(E8):20277, table 2"
_GAZ = "IAU Gazetteer of Planetary Nomenclature (feature centre)"


@dataclass(frozen=True)
class CatalogueSite:
    """A named site: selenographic latitude and east longitude (deg, mean-Earth frame)."""

    name: str
    lat_deg: float
    lon_deg: float
    source: str


#: the shipped sites, by name (lower-case lookup: :func:`parse_sites`)
CATALOGUE: dict[str, CatalogueSite] = {s.name: s for s in (
    CatalogueSite("Apollo 11", 0.67416, 23.47314, _DC2000),
    CatalogueSite("Apollo 12", -3.01239, -23.42157, _DC2000),
    CatalogueSite("Apollo 14", -3.64530, -17.47136, _DC2000),
    CatalogueSite("Apollo 15", 26.13222, 3.63386, _DC2000),
    CatalogueSite("Apollo 16", -8.97301, 15.50019, _DC2000),
    CatalogueSite("Apollo 17", 20.19080, 30.77168, _DC2000),
    CatalogueSite("Mare Imbrium", 32.8, -15.6, _GAZ),
    CatalogueSite("Oceanus Procellarum", 20.67, -56.67, _GAZ),
    CatalogueSite("Shackleton", -89.67, 129.78, _GAZ + "; the rim is within 0.35 deg"),
    CatalogueSite("Malapert", -84.9, 12.9, _GAZ),
)}

#: most sites of one search (each is a whole track search)
MAX_SITES = 400


def site_catalogue_table():
    """The catalogue as an astropy ``Table`` (name, lat, lon in deg, source)."""
    rows = list(CATALOGUE.values())
    return QTable({"name": [s.name for s in rows],
                   "lat": np.array([s.lat_deg for s in rows]) * u.deg,
                   "lon": np.array([s.lon_deg for s in rows]) * u.deg,
                   "source": [s.source for s in rows]})


def _lookup(name: str) -> CatalogueSite:
    key = " ".join(name.split()).lower()
    for s in CATALOGUE.values():
        if s.name.lower() == key:
            return s
    raise InputError(f"--sites: {name!r} is not a catalogue site (known: "
                     f"{', '.join(CATALOGUE)}) nor 'LAT LON' in degrees")


def _range(text: str, what: str) -> np.ndarray:
    parts = text.split(":")
    try:
        a, b, s = (float(p) for p in parts)
    except ValueError:
        raise InputError(f"--sites grid {what} {text!r}: give START:STOP:STEP in degrees "
                         "(e.g. grid:-60:60:30/-60:60:30)") from None
    if not all(math.isfinite(v) for v in (a, b, s)) or s <= 0 or b < a:
        raise InputError(f"--sites grid {what} {text!r}: need finite START <= STOP and "
                         "STEP > 0")
    count = int(math.floor((b - a) / s + 1e-9)) + 1
    if count > MAX_SITES:
        raise InputError(f"--sites grid {what} {text!r}: {count} values, at most {MAX_SITES}")
    return a + s * np.arange(count)


def parse_sites(text: str) -> list[CatalogueSite]:
    """Sites from ``--sites``.

    ``catalogue``
        Every site of :data:`CATALOGUE`.
    ``grid:LAT0:LAT1:STEP/LON0:LON1:STEP``
        A latitude x longitude grid (deg, ends included) on the near side (|lon| <= 90 deg).
    ``NAME; LAT LON; ...``
        A semicolon-separated list of catalogue names (any case) and ``"lat lon"`` pairs
        (deg, east longitude).

    Raises
    ------
    massdriver.errors.InputError
        One line naming the entry at fault.
    """
    text = str(text).strip()
    if not text:
        raise InputError("--sites: give catalogue, a grid:... or a list of sites")
    if text.lower() == "catalogue":
        return list(CATALOGUE.values())
    if text.lower().startswith("grid:"):
        body = text[5:]
        if body.count("/") != 1:
            raise InputError(f"--sites {text!r}: give grid:LAT0:LAT1:STEP/LON0:LON1:STEP")
        lat_t, lon_t = body.split("/")
        lats, lons = _range(lat_t, "latitudes"), _range(lon_t, "longitudes")
        if lats.min() < -90 or lats.max() > 90:
            raise InputError(f"--sites {text!r}: latitudes must lie in [-90, 90] deg")
        if lons.min() < -90 or lons.max() > 90:
            raise InputError(f"--sites {text!r}: the grid is on the near side: longitudes "
                             "must lie in [-90, 90] deg")
        if lats.size * lons.size > MAX_SITES:
            raise InputError(f"--sites {text!r}: {lats.size * lons.size} sites, at most "
                             f"{MAX_SITES}")
        return [CatalogueSite(f"{la:+.1f} {lo:+.1f}", float(la), float(lo), "grid")
                for la in lats for lo in lons]
    out = []
    for entry in (e.strip() for e in text.split(";")):
        if not entry:
            continue
        parts = entry.replace(",", " ").split()
        try:
            lat, lon = (float(p) for p in parts)
        except ValueError:
            out.append(_lookup(entry))
            continue
        if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90
                and -360 <= lon <= 360):
            raise InputError(f"--sites {entry!r}: latitude must lie in [-90, 90] deg and "
                             "longitude in [-360, 360] deg")
        out.append(CatalogueSite(f"{lat:+.2f} {lon:+.2f}", lat, lon, "user"))
    if not out:
        raise InputError("--sites: no site given")
    if len(out) > MAX_SITES:
        raise InputError(f"--sites: {len(out)} sites, at most {MAX_SITES}")
    return out


@dataclass(frozen=True)
class SiteResult:
    """One site's best track (NaN angles and zero duty cycle when no track opens a window)."""

    site: CatalogueSite
    azimuth_deg: float
    elevation_deg: float
    duty_cycle: float
    total_median_km_s: float
    total_min_km_s: float
    windows_per_month: float
    margin_km_s: float

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"name": self.site.name, "lat_deg": self.site.lat_deg,
                               "lon_deg": self.site.lon_deg, "source": self.site.source}
        for key in ("azimuth_deg", "elevation_deg", "duty_cycle", "total_median_km_s",
                    "total_min_km_s", "windows_per_month", "margin_km_s"):
            v = getattr(self, key)
            out[key] = None if not math.isfinite(v) else v
        return out


@dataclass(frozen=True)
class SiteSearch:
    """The answer of :func:`search_sites`: per site, its best track."""

    results: tuple
    inputs: dict
    version: str

    def to_table(self):
        """``QTable`` with units, one row per site (ECSV-ready; NaN masked)."""
        def col(values, unit):
            v = np.asarray(values, dtype=float)
            bad = ~np.isfinite(v)
            q = np.where(bad, 0.0, v) * unit
            return Masked(q, mask=bad) if np.any(bad) else q

        r = self.results
        kms = u.km / u.s
        return QTable({
            "name": [x.site.name for x in r],
            "lat": col([x.site.lat_deg for x in r], u.deg),
            "lon": col([x.site.lon_deg for x in r], u.deg),
            "azimuth": col([x.azimuth_deg for x in r], u.deg),
            "elevation": col([x.elevation_deg for x in r], u.deg),
            "duty_cycle": col([x.duty_cycle for x in r], u.one),
            "windows_per_month": col([x.windows_per_month for x in r], u.one),
            "total_min": col([x.total_min_km_s for x in r], kms),
            "total_median": col([x.total_median_km_s for x in r], kms),
            "margin": col([x.margin_km_s for x in r], kms),
            "source": [x.site.source for x in r],
        }, meta={"massdriver_version": self.version, **self.inputs})

    def to_dict(self) -> dict:
        """Plain JSON (``sites.json``): inputs, definitions, the sites ranked by margin."""
        ranked = sorted(self.results, key=lambda x: -x.margin_km_s)
        return {"massdriver_version": self.version, "inputs": self.inputs,
                "definitions": {
                    "best track": "the first recommendation of the site's track search "
                                  "(largest mean margin under the threshold)",
                    "duty_cycle": "fraction of scanned epochs with a total under the "
                                  "threshold, best track",
                    "total_median_km_s": "median total delta-v at in-window epochs"},
                "sites": [x.to_dict() for x in ranked]}


def search_sites(sites: list[CatalogueSite], target, start, horizon, *, launcher=None,
                 threshold, azimuths=None, elevations=None, step=None, rtol: float = 1e-10,
                 max_flight_time=None, height=None, scheduler: str | None = None,
                 progress: Callable[[int, int], None] | None = None) -> SiteSearch:
    """The best track of every site (:func:`massdriver.aim.aim` at each, no refinement).

    Parameters
    ----------
    sites : list of CatalogueSite
        E.g. from :func:`parse_sites`.
    target : massdriver.targets.TargetOrbit
    start : astropy.time.Time
    horizon, step : astropy.units.Quantity
        Calendar per track and epoch spacing (as :func:`massdriver.aim.aim`).
    launcher : massdriver.mission.LauncherSpec, optional
    threshold : astropy.units.Quantity
        Total delta-v of a window, km/s.
    azimuths, elevations : array_like of float, optional
        The track grid of every site (deg; defaults of :func:`massdriver.aim.aim`).
    height : astropy.units.Quantity, optional
        Height of every site's track exit (default 0 km).
    scheduler : str, optional
        Dask scheduler address (each site's scans run there).
    progress : callable, optional
        ``progress(done_sites, total_sites)``.

    Returns
    -------
    SiteSearch
    """
    if not sites:
        raise InputError("search_sites: give at least one site")
    results = []
    if progress is not None:
        progress(0, len(sites))
    for k, cs in enumerate(sites):
        site = LaunchSite(lat=cs.lat_deg * u.deg, lon=cs.lon_deg * u.deg,
                          height=height if height is not None else 0 * u.km,
                          name=cs.name, frame="ME")
        s = aim(site, target, start, horizon, azimuths=azimuths, elevations=elevations,
                launcher=launcher, threshold=threshold, step=step, rtol=rtol,
                max_flight_time=max_flight_time, refine=0, scheduler=scheduler)
        nan = math.nan
        if s.recommendations:
            b = s.recommendations[0].stats
            results.append(SiteResult(cs, b.azimuth_deg, b.elevation_deg, b.duty_cycle,
                                      b.total_median_km_s, b.total_min_km_s,
                                      b.windows_per_month, b.margin_km_s))
        else:
            results.append(SiteResult(cs, nan, nan, 0.0, nan, nan, 0.0, 0.0))
        if progress is not None:
            progress(k + 1, len(sites))
        last = s
    inputs = {key: last.inputs[key] for key in ("target", "start_utc", "horizon_days",
                                                "epochs", "step_minutes", "threshold_km_s",
                                                "speed_range_km_s", "branches", "model")}
    inputs["azimuths_deg"] = [float(a) for a in last.azimuths_deg]
    inputs["elevations_deg"] = [float(e) for e in last.elevations_deg]
    inputs["frame"] = "ME (mean Earth / polar axis)"
    return SiteSearch(results=tuple(results), inputs=inputs, version=massdriver.__version__)
