"""``massdriver campaign CONFIG.toml --out DIR``: plan the deployment of a constellation.

Examples
--------
::

    massdriver campaign examples/campaign_walker.toml --out runs/walker
    massdriver campaign examples/campaign_walker.toml --out runs/walker --force --json
    massdriver campaign examples/campaign_walker.toml --out runs/walker \\
        --scheduler tcp://127.0.0.1:8786          # the planes' scans on a Dask cluster
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["add_parser", "run", "OUTPUT_FILES"]

#: files written into --out (the figure only without --no-report)
OUTPUT_FILES = ["campaign.json", "schedule.ecsv", "campaign.toml"]
_FIGURE_STEM = "deliveries"
_FIGURE = f"{_FIGURE_STEM}.png"


def add_parser(subparsers) -> None:
    """Register the ``campaign`` subcommand (imports nothing heavy)."""
    from massdriver.cli._common import add_output_options, add_scheduler_option

    p = subparsers.add_parser(
        "campaign", help="plan a constellation's deployment: which satellite, which window, when",
        description=(
            "Find the launch windows of every plane of the constellation in a campaign file, "
            "assign the satellites to shots inside them respecting the launcher's recharge "
            "(energy per shot / power) and shot-rate limit, and write campaign.json (totals, "
            "timeline, every shot and window), schedule.ecsv (one row per shot), campaign.toml "
            "(the input) and deliveries.png (satellites per plane against time) into --out."
        ))
    p.add_argument("config", help="campaign TOML file (see examples/campaign_walker.toml)")
    add_output_options(p, result="campaign", report_help="skip the deliveries figure")
    add_scheduler_option(p, what="solve the planes there, one task per plane")
    p.set_defaults(run=run)


def print_summary(campaign, stream=None) -> None:
    """A short text summary: per-plane counts, totals, timeline."""
    d = campaign.to_dict()
    out = stream or sys.stdout
    tot, tl = d["totals"], d["timeline"]
    out.write(f"{'plane':<34} {'asked':>5} {'fired':>5} {'windows':>7} {'sum dv':>9} "
              f"{'propellant':>10}  first shot (UTC)\n")
    out.write(f"{'':<34} {'':>5} {'':>5} {'':>7} {'km/s':>9} {'kg':>10}\n")
    for p in d["planes"]:
        out.write(f"{p['name'][:34]:<34} {p['requested']:>5} {p['delivered']:>5} "
                  f"{p['windows']:>7} {p['delta_v_km_s']:9.3f} {p['propellant_kg']:10.1f}  "
                  f"{(p['first_shot_utc'] or '-')[:16]}\n")
    out.write(f"satellites {tot['satellites_delivered']}/{tot['satellites_requested']}, "
              f"delta-v {tot['delta_v_km_s']:.3f} km/s in total")
    if tot["mean_delta_v_km_s"] is not None:
        out.write(f" (mean {tot['mean_delta_v_km_s']:.3f}, max {tot['max_delta_v_km_s']:.3f})")
    out.write(f", propellant {tot['propellant_kg']:.1f} kg, energy "
              f"{tot['energy_j'] / 1e9:.4g} GJ\n")
    if d["inputs"].get("arrival"):
        parts = [f"{name.replace('_', ' ')} {x['shots']} shot{'s' if x['shots'] != 1 else ''} "
                 f"{x['propellant_kg']:.1f} kg" for name, x in tot["by_strategy"].items()]
        out.write(f"arrival strategies flown (chosen by {d['inputs']['arrival']['choose_by']}): "
                  f"{', '.join(parts)}; all impulsive would take "
                  f"{tot['propellant_impulsive_kg']:.1f} kg\n")
    if tl["first_shot_utc"] is not None:
        out.write(f"first shot {tl['first_shot_utc'][:16]}, last shot {tl['last_shot_utc'][:16]}"
                  f", last arrival {tl['last_arrival_utc'][:16]} UTC: "
                  f"{tl['duration_days']:.2f} days from the start\n")
        if tl.get("last_in_final_orbit_utc"):
            out.write(f"last satellite in its final orbit {tl['last_in_final_orbit_utc'][:16]} "
                      "UTC (after its insertion strategy)\n")
    if d["message"]:
        out.write(f"{d['message']}\n")


def run(args: argparse.Namespace) -> int:
    import json

    from massdriver.cli._common import emit_json, json_ready
    from massdriver.cli.solve import _progress
    from massdriver.config import load_campaign
    from massdriver.outputs import OutputDirectory
    from massdriver.report import figure_files
    from massdriver.safe_io import read_limited

    config = load_campaign(args.config)             # a bad config creates nothing
    config_bytes = read_limited(args.config)
    names = OUTPUT_FILES + figure_files((_FIGURE_STEM,), ("png", "pdf"))
    # locked and checked before the long solve; the files appear together at the end
    with OutputDirectory(args.out, names, force=args.force, command="campaign",
                         same_input=("campaign.toml", config_bytes)) as txn:
        campaign = config.plan(scheduler=args.scheduler, progress=_progress(args.quiet))
        d = campaign.to_dict()
        with txn.file_errors("campaign.json"):
            txn.write_text("campaign.json", json.dumps(json_ready(d), indent=2, sort_keys=True,
                                                       allow_nan=False) + "\n")
        with txn.file_errors("schedule.ecsv"):
            campaign.to_table().write(txn.path("schedule.ecsv"), format="ascii.ecsv")
        with txn.file_errors("campaign.toml"):
            txn.write_bytes("campaign.toml", config_bytes)
        if not args.no_report:
            from massdriver.report.campaign_plots import write_campaign_figure

            with txn.file_errors(_FIGURE):
                write_campaign_figure(txn.staging, ("png",))
        txn.commit()
    if args.json:
        emit_json(d)
    else:
        print_summary(campaign)
        sys.stdout.write(f"wrote {txn.directory}/\n")
    return 0
