"""``massdriver coilgun``: simulate a launcher from its config, or size one.

Two forms share the subcommand::

    massdriver coilgun CONFIG.toml [--json] [--plot FILE.png] [--payload-mass KG] [--speed KM_S]
    massdriver coilgun design --mass KG --speed KM_S --max-g G [--json] [--write FILE.toml]

Nothing heavy is imported at module level.
"""

from __future__ import annotations

import argparse

DESCRIPTION = """\
Simulate a multi-stage coilgun (coupled capacitor-bank circuits and carrier motion) from a
TOML file, or size one for a payload:

  massdriver coilgun CONFIG.toml [--json] [--plot FILE.png]
  massdriver coilgun design --mass KG --speed KM_S --max-g G [--json] [--write FILE.toml]

With --speed a built launcher is charged (uniformly scaled bank voltages) for that exit speed.
"""

_DESIGN_ONLY = ("mass", "max_g", "max_voltage", "max_stage_energy", "armature", "bore_radius",
                "carrier_mass", "sections", "write")


def add_parser(subparsers) -> None:
    """Register ``coilgun`` (see the module docstring)."""
    p = subparsers.add_parser(
        "coilgun", help="simulate or size the coilgun launcher",
        description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("target", metavar="CONFIG.toml|design",
                   help="a coilgun TOML file to simulate, or the word 'design'")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--plot", metavar="FILE.png", help="write speed, g and currents vs position")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    p.add_argument("--speed", type=float, metavar="KM_S",
                   help="exit speed (km/s): the design target, or charge a built launcher for it")
    p.add_argument("--payload-mass", type=float, metavar="KG",
                   help="payload mass for a simulation (default: the file's payload_mass)")
    p.add_argument("--rtol", type=float, default=1e-8, help="integrator tolerance (1e-8)")
    p.add_argument("--shots-per-year", type=float, default=0.0, metavar="N",
                   help="launch rate for energy-per-year and average-power figures")
    g = p.add_argument_group("design options")
    g.add_argument("--mass", type=float, metavar="KG", help="payload mass (design)")
    g.add_argument("--max-g", type=float, metavar="G", help="peak acceleration limit (design)")
    g.add_argument("--max-voltage", type=float, metavar="KV",
                   help="bank voltage rating in kV (design; default: the lowest of 10, 20, "
                        "30, 40, 50 kV that works)")
    g.add_argument("--max-stage-energy", type=float, metavar="MJ",
                   help="bank energy limit per stage in MJ (design)")
    g.add_argument("--armature", choices=("driven", "induction"),
                   help="superconducting bucket coil (driven) or aluminium sleeve (induction)")
    g.add_argument("--bore-radius", type=float, metavar="M", help="payload envelope radius (m)")
    g.add_argument("--carrier-mass", type=float, metavar="KG",
                   help="carrier mass without payload (default 25%% of the payload)")
    g.add_argument("--sections", type=int, help="coil sections with their own turns (6)")
    g.add_argument("--write", metavar="FILE.toml", help="write the designed launcher as TOML")
    p.set_defaults(run=run)


def _check_finite(name: str, value, *, positive: bool = True) -> None:
    import math

    from massdriver.errors import InputError

    if value is None:
        return
    if not math.isfinite(value) or (positive and value <= 0):
        raise InputError(f"--{name.replace('_', '-')} = {value!r}: must be a finite number > 0")


def run(args) -> int:
    """Run ``massdriver coilgun``; returns the exit status."""
    from massdriver.errors import InputError

    for name in ("speed", "payload_mass", "mass", "max_g", "max_voltage", "max_stage_energy",
                 "bore_radius", "rtol"):
        _check_finite(name, getattr(args, name))
    _check_finite("carrier_mass", args.carrier_mass, positive=False)
    if args.carrier_mass is not None and args.carrier_mass < 0:
        raise InputError(f"--carrier-mass = {args.carrier_mass!r}: must be >= 0")
    if not (0 <= args.shots_per_year < float("inf")):      # NaN and inf fail too
        raise InputError(f"--shots-per-year = {args.shots_per_year!r}: must be a finite "
                         "number >= 0")
    if args.target == "design":
        return _run_design(args)
    given = [n for n in _DESIGN_ONLY if getattr(args, n) is not None]
    if given:
        raise InputError(f"--{given[0].replace('_', '-')} is a design option; use "
                         "'massdriver coilgun design ...'")
    return _run_simulation(args)


def _outputs_writable(args) -> None:
    from massdriver.cli._common import check_plot_path, check_writable

    if args.plot is not None:
        check_plot_path(args.plot, args.force)
    if getattr(args, "write", None) is not None:
        check_writable(args.write, args.force)


def _write_plot(shot, args, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from massdriver.cli._common import save_plot
    from massdriver.report.coilgun_plots import plot_shot

    fig = plot_shot(shot, None, title=title)
    try:
        save_plot(fig, args.plot, args.force)
    finally:
        plt.close(fig)


def _run_simulation(args) -> int:
    import astropy.units as u

    from massdriver.cli._common import emit_json
    from massdriver.coilgun import charge_for_speed, constant_acceleration_sizing, simulate
    from massdriver.config import coilgun_from_config, read_toml
    from massdriver.errors import InputError

    _outputs_writable(args)
    root = read_toml(args.target)
    gun = coilgun_from_config(root)
    payload = None if args.payload_mass is None else args.payload_mass * u.kg
    if payload is None and gun.payload_mass is None:
        raise InputError(f"{args.target} has no payload_mass; pass --payload-mass KG")
    scale = None
    if args.speed is not None:
        sched = charge_for_speed(gun, payload, args.speed * u.km / u.s, rtol=args.rtol)
        gun = gun.with_voltage(sched.voltage)
        scale = sched.scale
    shot = simulate(gun, payload, rtol=args.rtol)
    out = shot.summary()
    out["config"] = str(args.target)
    out["name"] = gun.name
    if scale is not None:
        out["charge_scale"] = scale
    if args.shots_per_year > 0 and shot.status == "muzzle" and shot.efficiency > 0:
        tp = constant_acceleration_sizing(shot.exit_speed, shot.mean_acceleration,
                                          shot.moving_mass, shots_per_year=args.shots_per_year,
                                          efficiency=min(shot.efficiency, 1.0),
                                          initial_speed=gun.initial_speed)
        out.update({"shots_per_year": args.shots_per_year,
                    "average_power_w": tp.average_power.to_value(u.W),
                    "mass_per_year_t": tp.mass_per_year.to_value(u.t)})
    if args.plot is not None:
        _write_plot(shot, args, gun.name or str(args.target))
        out["plot"] = args.plot
    if args.json:
        emit_json(out)
    else:
        _print_summary(out)
    return 0 if shot.status == "muzzle" else 1


def _run_design(args) -> int:
    import astropy.units as u

    from massdriver.cli._common import emit_json
    from massdriver.coilgun import design
    from massdriver.errors import InputError

    missing = [n for n in ("mass", "speed", "max_g") if getattr(args, n) is None]
    if missing:
        raise InputError("design needs " + ", ".join(
            "--" + n.replace("_", "-") for n in missing))
    if args.payload_mass is not None:
        raise InputError("--payload-mass is for simulations; the design takes --mass")
    _outputs_writable(args)
    if args.sections is not None and not 1 <= args.sections <= 64:
        raise InputError(f"--sections = {args.sections}: must be in 1..64")
    try:
        d = design(args.mass * u.kg, args.speed * u.km / u.s, args.max_g,
                   max_voltage=None if args.max_voltage is None else args.max_voltage * u.kV,
                   max_stage_energy=None if args.max_stage_energy is None
                   else args.max_stage_energy * u.MJ,
                   armature=args.armature or "driven",
                   bore_radius=None if args.bore_radius is None else args.bore_radius * u.m,
                   carrier_mass=None if args.carrier_mass is None else args.carrier_mass * u.kg,
                   shots_per_year=args.shots_per_year, sections=args.sections or 6,
                   rtol=args.rtol)
    except InputError as exc:
        raise InputError(_flag_names(str(exc))) from None
    out = d.summary()
    if args.write is not None:
        from massdriver.outputs import write_file

        text = d.coilgun.to_toml().encode("utf-8")
        write_file(args.write, args.force, lambda f: f.write(text))
        out["written"] = args.write
    if args.plot is not None:
        _write_plot(d.shot, args, d.coilgun.name)
        out["plot"] = args.plot
    if args.json:
        emit_json(out)
    else:
        _print_summary(out)
    return 0


#: design() argument -> (flag, unit the flag takes); design() states these quantities in that unit
_DESIGN_FLAGS = {"max_voltage": ("--max-voltage", "kV"), "max_stage_energy":
                 ("--max-stage-energy", "MJ"), "max_g": ("--max-g", "g"),
                 "bore_radius": ("--bore-radius", "m"), "carrier_mass": ("--carrier-mass", "kg")}


def _flag_names(message: str) -> str:
    """A design() message in the CLI's words: argument names become the flags (in their units)."""
    import re

    def flag(match):
        name, unit = _DESIGN_FLAGS[match.group(1)]
        return f"{name} ({unit})" if unit and match.group(2) is None else name

    return re.sub(r"\b(" + "|".join(_DESIGN_FLAGS) + r")\b( =)?", lambda m: flag(m) + (
        " =" if m.group(2) else ""), message)


def _print_summary(out: dict) -> None:
    rows = [
        ("status", "status", "{}"),
        ("exit speed", "exit_speed_m_s", "{:.3f} m/s"),
        ("target speed", "target_speed_m_s", "{:.3f} m/s"),
        ("peak acceleration", "peak_acceleration_g", "{:.1f} g"),
        ("mean acceleration", "mean_acceleration_g", "{:.1f} g"),
        ("track length", "track_length_m", "{:.3f} m"),
        ("time on track", "time_on_track_s", "{:.6f} s"),
        ("stages", "stages", "{}"),
        ("sections", "sections", "{}"),
        ("bank voltage rating", "rated_voltage_v", "{:.6g} V"),
        ("efficiency", "efficiency", "{:.4f}"),
        ("energy drawn", "energy_drawn_j", "{:.6g} J"),
        ("kinetic energy", "kinetic_energy_j", "{:.6g} J"),
        ("resistive loss", "resistive_loss_j", "{:.6g} J"),
        ("armature loss", "armature_loss_j", "{:.6g} J"),
        ("stored at exit", "stored_energy_j", "{:.6g} J"),
        ("energy balance error", "energy_balance_error", "{:.2e}"),
        ("max stage current", "max_stage_current_a", "{:.6g} A"),
        ("max stage voltage", "max_stage_voltage_v", "{:.6g} V"),
        ("average power", "average_power_w", "{:.6g} W"),
        ("mass per year", "mass_per_year_t", "{:.6g} t"),
        ("written", "written", "{}"),
        ("plot", "plot", "{}"),
    ]
    for label, key, fmt in rows:
        if key in out:
            print(f"{label:>22}: {fmt.format(out[key])}")
