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
                "carrier_mass", "sections", "write", "optimise")


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
    p.add_argument("--monte-carlo", type=int, metavar="N",
                   help="also run N shots with the file's [tolerances] (compiled, parallel) and "
                        "print the exit-speed and pointing dispersion")
    p.add_argument("--seed", type=int, default=0, help="Monte Carlo seed (0)")
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
    g.add_argument("--optimise", choices=("length", "efficiency"),
                   help="length: the shortest track under the g limit at the lowest working "
                        "bank voltage (default); efficiency: the bank voltage (10-50 kV) with "
                        "the best wall-plug efficiency")
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
    if args.monte_carlo is not None and not 2 <= args.monte_carlo <= 10_000_000:
        raise InputError(f"--monte-carlo = {args.monte_carlo}: must be an integer >= 2")
    if args.target == "design":
        if args.monte_carlo is not None:
            raise InputError("--monte-carlo is for a launcher file, not for design")
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
    if args.monte_carlo is not None:
        from massdriver.coilgun_tolerances import monte_carlo

        disp = monte_carlo(gun, args.monte_carlo, payload, seed=args.seed)
        out["dispersion"] = disp.summary()
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
                   rtol=args.rtol, optimise=args.optimise or "length")
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
    if "optimised_for" in out:
        print(f"{'optimised for':>22}: {out['optimised_for']}")
    _print_energy(out.get("energy"))
    _print_heating(out.get("heating"))
    _print_dispersion(out.get("dispersion"))


def _print_energy(e: dict | None) -> None:
    """The energy account, its loss breakdown and the three efficiencies."""
    if not e:
        return
    print("energy account (per shot):")
    rows = [("stored in banks", e["stored_j"]), ("drawn from banks", e["drawn_j"]),
            ("left in banks", e["left_in_banks_j"]),
            ("  of which recovered", e["left_recovered_j"]),
            ("initial magnetic", e["initial_magnetic_j"]),
            ("magnetic at exit", e["magnetic_at_exit_j"]),
            ("kinetic, payload", e["kinetic_payload_j"]),
            ("kinetic, carrier", e["kinetic_carrier_j"])]
    for name, key in (("capacitor ESR", "capacitor_esr_j"), ("switches", "switch_j"),
                      ("drive coils (AC)", "drive_coils_j"),
                      ("series resistance", "series_resistance_j"), ("crowbar", "crowbar_j"),
                      ("armature", "armature_j")):
        rows.append((f"dissipated, {name}", e["dissipated"][key]))
    rows += [("charger loss", e["charger_loss_j"]), ("cryogenics", e["cryogenic_j"]),
             ("grid energy", e["grid_j"]), ("balance", e["balance_j"])]
    for label, val in rows:
        print(f"{label:>30}: {val:.6g} J")
    for label, key in (("muzzle efficiency", "muzzle_efficiency"),
                       ("bank efficiency", "bank_efficiency"),
                       ("wall-plug efficiency", "wall_plug_efficiency")):
        print(f"{label:>30}: {e[key]:.4f}  ({e['definitions'][key]})")


def _print_heating(h: dict | None) -> None:
    if not h:
        return
    print("heating:")
    print(f"{'coil rise per shot (max)':>30}: {h['temperature_rise_per_shot_k']:.4g} K "
          f"(stage {h['limiting_stage']} limits the rate)")
    print(f"{'cooling time constant':>30}: {h['cooling_time_constant_s']:.4g} s "
          f"(conductance {h['cooling_conductance_w_k']:.4g} W/K)")
    print(f"{'max coil temperature':>30}: {h['max_temperature_k']:.4g} K")
    for label, key in (("thermal firing rate", "thermal_rate_hz"),
                       ("charging-power rate", "charging_rate_hz"),
                       ("sustainable firing rate", "sustainable_rate_hz")):
        v = h[key]
        print(f"{label:>30}: " + ("unlimited" if v is None else f"{v:.4g} Hz ({v * 3600:.4g}/h)"))
    if h["armature_temperature_rise_k"]:
        print(f"{'armature rise per shot':>30}: {h['armature_temperature_rise_k']:.4g} K"
              + ("" if h["armature_ok"] else "  (above its limit)"))


def _print_dispersion(d: dict | None) -> None:
    if not d:
        return
    print(f"launcher dispersion ({d['shots']} shots, seed {d['seed']}, {d['failed']} failed):")
    print(f"{'exit speed sigma':>30}: {d['speed_sigma_m_s']:.4g} m/s "
          f"(mean {d['speed_mean_m_s']:.6g}, nominal {d['nominal_speed_m_s']:.6g} m/s)")
    print(f"{'pointing sigma':>30}: {d['pointing_sigma_deg']:.4g} deg per axis")
