"""``massdriver export DIR``: CCSDS OEM/OPM, SPICE SPK and GMAT files of a solved run."""

from __future__ import annotations

import argparse
import sys


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "export", help="write OEM / OPM / SPK / GMAT files of a solved run",
        description=(
            "Fire the best window's shot (or every window's) of a solved run again and write "
            "a CCSDS OEM of the coast (dense-output samples every --step), a CCSDS OPM with "
            "the burns, a SPICE SPK (type 13) and a GMAT script, named window_N.* ."
        ))
    p.add_argument("dir", metavar="DIR", help="--out directory of 'massdriver solve'")
    p.add_argument("--format", default="oem,opm,spk,gmat", metavar="LIST",
                   help="comma-separated among oem, opm, spk, gmat (default: all)")
    p.add_argument("--step", default="60s", metavar="TIME",
                   help="sampling step of the OEM and SPK, e.g. 60s, 5min (default 60s)")
    p.add_argument("--time-system", default="TDB", metavar="TDB|UTC",
                   help="time scale of the OEM/OPM epochs (default TDB)")
    p.add_argument("--all-windows", action="store_true",
                   help="every window (default: the one of least total delta-v)")
    p.add_argument("--naif-id", default="-999001", metavar="ID",
                   help="negative NAIF id of the spacecraft in the SPK (default -999001)")
    p.add_argument("--isp", default="320s", metavar="TIME",
                   help="specific impulse for the burns' propellant mass (default 320s)")
    p.add_argument("--out", default=None, metavar="DIR2",
                   help="write there instead of DIR")
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.set_defaults(run=run)


def _time(text: str, option: str):
    import astropy.units as u

    from massdriver.cli._common import fail

    try:
        q = u.Quantity(text)
        q = q * u.s if q.unit == u.dimensionless_unscaled else q.to(u.s)
    except (TypeError, ValueError, u.UnitsError):
        fail(f"{option} {text!r}: expected a time, e.g. 60s or 5min")
    return q


def run(args: argparse.Namespace) -> int:
    from massdriver.export import export_run

    written = export_run(args.dir, out_dir=args.out, formats=args.format,
                         step=_time(args.step, "--step"), time_system=args.time_system,
                         all_windows=args.all_windows, naif_id=args.naif_id,
                         isp=_time(args.isp, "--isp"), force=args.force)
    for path in written:
        sys.stdout.write(f"wrote {path}\n")
    return 0
