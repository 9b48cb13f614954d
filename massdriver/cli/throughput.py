"""``massdriver throughput PLAN.toml --out DIR``: tonnes per year per orbit shell.

Examples
--------
::

    massdriver throughput examples/throughput_1mt.toml --out runs/yr
    massdriver throughput examples/throughput_1mt.toml --out runs/q --horizon 90d --step 180min
    massdriver throughput examples/throughput_1mt.toml --out runs/yr \\
        --scheduler tcp://127.0.0.1:8786 --resume   # pricing and blocks on a Dask cluster
"""

from __future__ import annotations

import argparse
import sys

from massdriver.report import THROUGHPUT_FIGURES, figure_files

__all__ = ["add_parser", "run", "OUTPUT_FILES", "FIGURES", "CHECKPOINT"]

#: files written into --out (the figures only without --no-report)
OUTPUT_FILES = ["schedule.parquet", "summary.ecsv", "binding.ecsv", "throughput.json",
                "plan.toml"]
#: the report's figures (massdriver.report.throughput_plots)
FIGURES = figure_files(THROUGHPUT_FIGURES)
#: folder in --out keeping finished pricing tasks and schedule blocks until the run commits
CHECKPOINT = "throughput.checkpoint"


def add_parser(subparsers) -> None:
    """Register the ``throughput`` subcommand (imports nothing heavy)."""
    from massdriver.cli._common import add_output_options, add_scheduler_option

    p = subparsers.add_parser(
        "throughput", help="tonnes per year per orbit shell: schedule, limits, verdict",
        description=(
            "Price every launcher's windows to every shell of a throughput plan over the "
            "horizon, fire the shots respecting bank recharge, coil heating, rate limits and "
            "the demand of each shell, and write schedule.parquet (every shot), summary.ecsv "
            "(tonnes per shell and month), binding.ecsv (the binding constraint of each launcher, "
            "day by day), throughput.json (totals, binding constraints, "
            "verdict), plan.toml (the input) and the report's figures into --out."))
    p.add_argument("config", help="throughput plan TOML file (see examples/throughput_1mt.toml)")
    add_output_options(p, result="summary", report_help="skip the figures")
    p.add_argument("--horizon", metavar="SPAN",
                   help="override the plan's horizon (e.g. 30d; at most 18.6 years)")
    p.add_argument("--step", metavar="SPAN",
                   help="override the plan's pricing grid (e.g. 180min; coarser is faster)")
    p.add_argument("--block-days", type=float, default=None, metavar="DAYS",
                   help="schedule in time blocks of DAYS (default: one block in-process, 365 on "
                        "a cluster); the schedule does not depend on it")
    p.add_argument("--no-verdict", action="store_true",
                   help="skip the per-shell capacity runs of the verdict")
    add_scheduler_option(p, what="price and schedule there")
    p.add_argument("--resume", action="store_true",
                   help=f"reuse the finished tasks kept in DIR/{CHECKPOINT} by an interrupted run")
    p.set_defaults(run=run)


def print_summary(result, stream=None) -> None:
    """Per-shell tonnes, totals and the verdict."""
    out = stream or sys.stdout
    tot = result.totals()
    d = result.delivered_tonnes()
    out.write(f"{'shell':<32} {'asked t/yr':>12} {'got t/yr':>12} {'capacity':>12}\n")
    for i, v in enumerate(result.verdicts):
        ask = "max" if v.demand is None else f"{v.demand.value:,.0f}"
        cap = "-" if v.capacity is None else f"{v.capacity.value:,.0f}"
        out.write(f"{v.name[:32]:<32} {ask:>12} {d[i] / tot['years']:>12,.0f} {cap:>12}\n")
    out.write(f"{tot['shots']:,} shots over {tot['years']:.3g} years: "
              f"{tot['tonnes_per_year']:,.0f} t/yr, mean power {tot['mean_power_w'] / 1e6:,.1f} "
              f"MW, propellant {tot['propellant_kg'] / 1e3:,.0f} t\n")
    out.write(result.verdict_text() + "\n")


def run(args: argparse.Namespace) -> int:
    import json
    import shutil
    from pathlib import Path

    from massdriver.cli._common import emit_json, json_ready
    from massdriver.cli.aim import parse_span
    from massdriver.cli.solve import _progress
    from massdriver.config.throughput import load_throughput
    from massdriver.outputs import OutputDirectory
    from massdriver.safe_io import read_limited
    from massdriver.throughput import plan_throughput

    horizon = None if args.horizon is None else parse_span(args.horizon, "--horizon")
    step = None if args.step is None else parse_span(args.step, "--step")
    plan = load_throughput(args.config, horizon=horizon, step=step)   # bad input: nothing made
    config_bytes = read_limited(args.config)
    names = OUTPUT_FILES + FIGURES
    checkpoint = Path(args.out) / CHECKPOINT
    with OutputDirectory(args.out, names, force=args.force, command="throughput",
                         same_input=("plan.toml", config_bytes)) as txn:
        if not args.resume and checkpoint.exists():
            shutil.rmtree(checkpoint)
        result = plan_throughput(plan, scheduler=args.scheduler, checkpoint=checkpoint,
                                 block_days=args.block_days, verdict=not args.no_verdict,
                                 progress=_progress(args.quiet, "windows"),
                                 arrival_progress=_progress(args.quiet, "arrival"))
        d = result.to_dict()
        with txn.file_errors("schedule.parquet"):
            import pyarrow.parquet as pq

            pq.write_table(result.schedule.to_arrow(plan), txn.path("schedule.parquet"),
                           compression="zstd")
        with txn.file_errors("summary.ecsv"):
            result.summary_table().write(txn.path("summary.ecsv"), format="ascii.ecsv")
        with txn.file_errors("binding.ecsv"):
            result.binding_table().write(txn.path("binding.ecsv"), format="ascii.ecsv")
        with txn.file_errors("throughput.json"):
            txn.write_text("throughput.json", json.dumps(json_ready(d), indent=2,
                                                         sort_keys=True, allow_nan=False) + "\n")
        with txn.file_errors("plan.toml"):
            txn.write_bytes("plan.toml", config_bytes)
        if not args.no_report:
            from massdriver.report.throughput_plots import write_throughput_figures

            with txn.file_errors(FIGURES[0]):
                write_throughput_figures(txn.staging)
        txn.commit()
    shutil.rmtree(checkpoint, ignore_errors=True)
    if args.json:
        emit_json(d)
    else:
        print_summary(result)
        sys.stdout.write(f"wrote {txn.directory}/\n")
    return 0
