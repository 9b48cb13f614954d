"""``massdriver shoot``: fire one shot from a lunar track and coast it to the Earth.

Examples
--------
::

    massdriver shoot --lat 0 --lon -55 --azimuth 90 --speed 2.501711 --epoch 2027-01-01T00:00
    massdriver shoot --site "-60 0" --azimuth 90 --speed 2.50km/s --epoch 2027-03-01T00:00 --json
    massdriver shoot --site "0 -55" --speed 2.5 --epoch 2027-01-01 --model cr3bp --plot shot.png
    massdriver shoot --site "0 -55" --speed 2.5 --epoch 2027-01-01 --model cr3bp --method taylor

``--site "LAT LON"`` gives the selenocentric latitude and longitude in degrees, in that order
(longitude positive east, DE421 principal-axis frame); it replaces ``--lat``/``--lon``.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["add_parser", "run", "MODELS", "METHODS"]

#: force models accepted by ``--model`` and integrators accepted by ``--method`` (kept in step
#: with ``massdriver.trajectory.MODELS`` / ``METHODS``; repeated here so that ``--help``
#: imports nothing heavy)
MODELS = ("ephemeris", "cr3bp")
METHODS = ("dop853", "taylor")

_EPILOG = """\
A site is --site "LAT LON" (degrees, latitude first, longitude positive east) or --lat/--lon.
Speeds accept a unit (2.50km/s, "2500 m/s"); a bare number is km/s. Epochs are ISO 8601, UTC
unless suffixed " TDB" (e.g. "2027-03-01 00:00 TDB"). Exit status: 0 for any physical outcome
(perigee, moon_impact, earth_impact, atmosphere, escape, timeout), 1 if the integrator failed,
2 for invalid input.
"""


def add_parser(subparsers) -> None:
    """Register the ``shoot`` subcommand (imports nothing heavy)."""
    p = subparsers.add_parser(
        "shoot",
        help="integrate one shot from the lunar track to the Earth (events, perigee elements)",
        description=(
            "Fire one payload from a lunar mass-driver track at a given epoch and exit speed, "
            "coast it in the DE421 ephemeris model or the Earth-Moon CR3BP, and report how the "
            "coast ends (perigee, impacts, escape) with the perigee arrival elements."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    site = p.add_argument_group("site and track")
    site.add_argument("--site", metavar='"LAT LON"',
                      help="selenocentric latitude and longitude in degrees, e.g. \"-60 0\" "
                           "(replaces --lat/--lon)")
    site.add_argument("--lat", metavar="DEG", help="selenocentric latitude, [-90, 90] deg")
    site.add_argument("--lon", metavar="DEG",
                      help="selenocentric longitude, positive east, [-360, 360] deg")
    site.add_argument("--height", metavar="KM", default="0",
                      help="track exit height above the 1737.4 km sphere, -10 .. 12 km "
                           "(default 0 km)")
    site.add_argument("--frame", choices=("PA", "ME"), default="PA",
                      help="lunar body frame of LAT/LON: DE421 principal axes (default) or "
                           "mean Earth/polar axis")
    site.add_argument("--azimuth", metavar="DEG", default="90",
                      help="track azimuth clockwise from north, [0, 360] deg (default 90 = east)")
    site.add_argument("--elevation", metavar="DEG", default="0",
                      help="track elevation above the local horizontal, [0, 90] deg (default 0)")
    shot = p.add_argument_group("shot")
    shot.add_argument("--speed", metavar="KM_S", required=True,
                      help="exit speed relative to the surface, e.g. 2.5 or 2.50km/s")
    shot.add_argument("--epoch", metavar="ISO", required=True,
                      help="track exit epoch, ISO 8601 UTC (or suffix ' TDB'), inside the "
                           "ephemeris (DE421: 1900-01-01 .. 2051-01-01 TDB)")
    shot.add_argument("--model", default="ephemeris", metavar="{" + ",".join(MODELS) + "}",
                      help="force model: ephemeris (DE421 Earth/Moon/Sun + J2, default) or "
                           "cr3bp (fast preview)")
    shot.add_argument("--days", metavar="N", default="8",
                      help="longest coast before 'timeout', (0, 60] days (default 8)")
    shot.add_argument("--rtol", metavar="X", default="1e-11",
                      help="integrator relative tolerance, [1e-13, 1e-6] (default 1e-11)")
    shot.add_argument("--regularize", action="store_true",
                      help="integrate in Sundman-regularised time: ~40%% fewer force "
                           "evaluations for the same accuracy (default: physical time)")
    shot.add_argument("--method", default="dop853", metavar="{" + ",".join(METHODS) + "}",
                      help="integrator: dop853 (default) or taylor (Taylor series, order from "
                           "--rtol; --model cr3bp only)")
    out = p.add_argument_group("output")
    out.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    out.add_argument("--plot", metavar="FILE.png",
                     help="write a PNG of the path (ICRF x-y and Earth-Moon rotating frame)")
    out.add_argument("--force", action="store_true", help="overwrite an existing --plot file")
    p.set_defaults(run=run)


# --- argument parsing (pure Python, one message per bad option) --------------------------------


def _number(option: str, text, low: float, high: float, *, low_open: bool = False) -> float:
    """A finite float from ``text`` within ``[low, high]`` (or ``(low, high]``)."""
    import math

    from massdriver.errors import InputError

    try:
        value = float(str(text).strip())
    except ValueError:
        raise InputError(f"{option} {text!r}: not a number") from None
    inside = (value > low if low_open else value >= low) and value <= high
    if not (math.isfinite(value) and inside):
        bracket = "(" if low_open else "["
        raise InputError(f"{option} {text}: outside the allowed range {bracket}{low}, {high}]")
    return value


def _angle(option: str, text, low: float, high: float) -> float:
    """Degrees from ``text`` (a bare number or a string with an angle unit, e.g. ``"90 deg"``)."""
    text = str(text).strip()
    try:
        float(text)
    except ValueError:
        text = repr(_quantity(option, text, "deg"))
    return _number(option, text, low, high)


def _quantity(option: str, text: str, unit: str) -> float:
    """A value in ``unit`` from ``text`` (bare number in ``unit`` or with its own unit)."""
    from massdriver.config import parse_quantity
    from massdriver.errors import ConfigError, InputError

    try:
        return float(parse_quantity(text, unit, option).value)
    except ConfigError as exc:
        raise InputError(str(exc).replace(f"{option} = ", f"{option} ", 1)) from None


def parse_site_text(text: str) -> tuple[float, float]:
    """Parse ``--site "LAT LON"`` (degrees, latitude first) into ``(lat_deg, lon_deg)``.

    Commas are accepted as separators (``"-60, 0"``); each value may carry ``deg``.

    Raises
    ------
    massdriver.errors.InputError
        Not exactly two numbers, or a value out of range.
    """
    from massdriver.errors import InputError

    parts = str(text).replace(",", " ").split()
    # re-join a value written with its unit ("-60 deg 0 deg")
    values: list[str] = []
    for part in parts:
        if values and part.lower() in ("deg", "degree", "degrees", "°"):
            values[-1] += " deg"
        else:
            values.append(part)
    if len(values) != 2:
        raise InputError(f'--site {text!r}: expected "LAT LON" in degrees, e.g. --site "-60 0"')
    return (_angle("--site latitude", values[0], -90.0, 90.0),
            _angle("--site longitude", values[1], -360.0, 360.0))


def parse_epoch_text(text: str):
    """The ``--epoch`` value as an astropy ``Time`` (UTC unless suffixed), inside the ephemeris.

    Raises
    ------
    massdriver.errors.InputError
        Unparsable text, or an epoch outside the coverage of the default ephemeris files
        (DE421 and its lunar orientation kernel: 1900-01-01 .. 2051-01-01 TDB).
    """
    import warnings

    from massdriver.config import parse_epoch
    from massdriver.ephemeris import Ephemeris
    from massdriver.errors import InputError
    from massdriver.timescales import to_tdb_seconds

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")        # ERFA "dubious year" for far past/future UTC
        try:
            epoch = parse_epoch(text)
        except ValueError as exc:
            raise InputError(f"--epoch {text!r}: {exc}") from None
        seconds = float(to_tdb_seconds(epoch))
    coverage = Ephemeris().coverage
    if not coverage.start_seconds <= seconds <= coverage.stop_seconds:
        raise InputError(f"--epoch {text}: outside the ephemeris, {coverage.start.isot[:10]} .. "
                         f"{coverage.stop.isot[:10]} TDB ({Ephemeris().name})")
    return epoch


def _check_coast_inside_ephemeris(epoch, days: float, text: str) -> None:
    """Refuse a coast that would run past the end of the default ephemeris (one line)."""
    import astropy.units as u

    from massdriver.ephemeris import Ephemeris
    from massdriver.errors import InputError

    coverage = Ephemeris().coverage
    end = epoch + days * u.day
    if end > coverage.stop:
        raise InputError(f"--epoch {text} + --days {days:g} ends at {end.tdb.isot[:19]} TDB, "
                         f"after the end of the ephemeris ({coverage.stop.tdb.isot[:19]} TDB); "
                         "choose an earlier epoch or fewer days")


def build_inputs(args) -> dict:
    """Validate every option; return ``site``, ``epoch``, ``speed``, ``model``, ``days``,
    ``rtol``, ``regularize`` and ``method``.

    Raises
    ------
    massdriver.errors.InputError
        Naming the option, its value and what is allowed (one line).
    """
    import astropy.units as u

    from massdriver.errors import InputError
    from massdriver.site import HEIGHT_RANGE_KM, LaunchSite

    if args.model not in MODELS:
        raise InputError(f"--model {args.model!r}: allowed values {', '.join(MODELS)}")
    if args.method not in METHODS:
        raise InputError(f"--method {args.method!r}: allowed values {', '.join(METHODS)}")
    if args.method == "taylor" and args.model != "cr3bp":
        raise InputError(f"--method taylor with --model {args.model}: the Taylor integrator has "
                         "the cr3bp model only (add --model cr3bp)")
    if args.method == "taylor" and args.regularize:
        raise InputError("--regularize with --method taylor: regularisation applies to dop853 "
                         "only")
    if args.site is not None:
        if args.lat is not None or args.lon is not None:
            raise InputError("give either --site \"LAT LON\" or --lat/--lon, not both")
        lat, lon = parse_site_text(args.site)
    else:
        if args.lat is None or args.lon is None:
            raise InputError('a site is needed: --site "LAT LON" or both --lat and --lon (deg)')
        lat = _angle("--lat", args.lat, -90.0, 90.0)
        lon = _angle("--lon", args.lon, -360.0, 360.0)
    azimuth = _angle("--azimuth", args.azimuth, 0.0, 360.0)
    elevation = _angle("--elevation", args.elevation, 0.0, 90.0)
    height = _quantity("--height", args.height, "km")
    _number("--height", height, *HEIGHT_RANGE_KM)
    speed = _quantity("--speed", args.speed, "km/s")
    if not 0.0 < speed < 20.0:
        raise InputError(f"--speed {args.speed}: must be in (0, 20) km/s")
    days = _number("--days", args.days, 0.0, 60.0, low_open=True)
    rtol = _number("--rtol", args.rtol, 1e-13, 1e-6)
    epoch = parse_epoch_text(args.epoch)
    _check_coast_inside_ephemeris(epoch, days, args.epoch)
    site = LaunchSite(lat=lat * u.deg, lon=lon * u.deg, height=height * u.km,
                      azimuth=azimuth * u.deg, elevation=elevation * u.deg, frame=args.frame)
    return {"site": site, "epoch": epoch, "speed": speed * u.km / u.s, "model": args.model,
            "days": days, "rtol": rtol, "regularize": bool(args.regularize),
            "method": args.method}


def result_dict(trajectory, inputs: dict) -> dict:
    """The ``--json`` object: :meth:`Trajectory.to_dict` plus the site and the solver options."""
    import astropy.units as u

    out = trajectory.to_dict()
    site = inputs["site"]
    out["site"] = {
        "lat_deg": float(site.lat.to_value(u.deg)),
        "lon_deg": float(site.lon.to_value(u.deg)),
        "height_km": float(site.height.to_value(u.km)),
        "azimuth_deg": float(site.azimuth.to_value(u.deg)),
        "elevation_deg": float(site.elevation.to_value(u.deg)),
        "frame": site.frame,
    }
    out["days"] = float(inputs["days"])
    out["rtol"] = float(inputs["rtol"])
    out["regularize"] = bool(inputs.get("regularize", False))
    out["method"] = inputs.get("method", "dop853")
    return out


def summary_lines(trajectory, method: str = "dop853") -> list[str]:
    """A short human summary of the shot (a few lines); ``method`` names the counter."""
    import astropy.units as u
    import numpy as np

    from massdriver.trajectory import FAR_PERIGEE_RADIUS

    d = trajectory.to_dict()
    lines = [
        f"model {d['model']}, launch {d['epoch_utc']} UTC ({d['epoch_tdb']} TDB), "
        f"exit speed {d['exit_speed_km_s']:.6f} km/s",
        f"status: {d['status']} after {d['time_of_flight_days']:.4f} d "
        f"({d['steps']} steps, {d['nfev']} "
        f"{'Taylor expansions' if method == 'taylor' else 'evaluations'})",
    ]
    for e in d["events"]:
        kind = e["kind"]
        if kind == "perigee" and e["radius_km"] > FAR_PERIGEE_RADIUS:
            kind = "far perigee"           # a geocentric distance minimum that did not end it
        lines.append(f"  {kind:<13} {e['epoch_tdb']} TDB  t+{e['time_of_flight_days']:.5f} d"
                     f"  r = {e['radius_km']:.3f} km")
    if trajectory.perigee is None:
        r_end = trajectory.positions[-1]
        moon_end = trajectory.moon_positions[-1]
        lines.append(f"end: {float(np.linalg.norm(r_end.to_value(u.km))):.1f} km from the Earth, "
                     f"{float(np.linalg.norm((r_end - moon_end).to_value(u.km))):.1f} km from "
                     "the Moon")
    p = trajectory.perigee
    if p is not None:
        lines.append(
            f"perigee: altitude {p.altitude.to_value(u.km):.3f} km, speed "
            f"{p.speed.to_value(u.km / u.s):.5f} km/s, inclination "
            f"{p.inclination.to_value(u.deg):.4f} deg, RAAN {p.raan.to_value(u.deg):.4f} deg, "
            f"e = {p.eccentricity:.6f}"
        )
    return lines


def run(args) -> int:
    """Run ``massdriver shoot`` (see the module docstring)."""
    import warnings

    from massdriver.cli._common import check_plot_path, emit_json, save_plot

    inputs = build_inputs(args)
    plot_path = check_plot_path(args.plot, args.force) if args.plot is not None else None

    from massdriver.trajectory import shoot

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=_erfa_warning())
        trajectory = shoot(inputs["site"], inputs["epoch"], inputs["speed"],
                           model=inputs["model"], days=inputs["days"], rtol=inputs["rtol"],
                           regularize=inputs["regularize"], method=inputs["method"])
        if plot_path is not None:
            from massdriver.report.trajectory_plots import plot_trajectory

            save_plot(plot_trajectory(trajectory), plot_path, args.force)
        if args.json:
            emit_json(result_dict(trajectory, inputs))
        else:
            print("\n".join(summary_lines(trajectory, inputs["method"])))
            if plot_path is not None:
                print(f"plot written to {plot_path}")
    if trajectory.status == "failed":
        print("massdriver shoot: the integrator failed (step size underflow or step limit)",
              file=sys.stderr)
        return 1
    return 0


def _erfa_warning():
    from erfa import ErfaWarning

    return ErfaWarning
