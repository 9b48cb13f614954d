"""Command-line start-up: how long ``massdriver --help`` takes (the CLI imports lazily).

Run::

    python benchmarks/bench_cli.py [--repeat N]

Prints, over ``N`` fresh interpreters (default 20): the time to build the parser and format the
help inside the interpreter (the goal of DESIGN.md: < 0.3 s), and the wall time of the whole
``python -m massdriver --help`` process (interpreter start included). Median and best.
Needs only the package itself (``pip install .``).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

GOAL_S = 0.3

IN_PROCESS = (
    "import time; t=time.perf_counter();"
    "from massdriver.cli import build_parser; build_parser().format_help();"
    "print(time.perf_counter()-t)"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="fresh interpreters (default 20)")
    args = parser.parse_args()
    inside, whole = [], []
    for _ in range(args.repeat):
        out = subprocess.run([sys.executable, "-c", IN_PROCESS], check=True,
                             capture_output=True, text=True).stdout
        inside.append(float(out))
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "massdriver", "--help"], check=True,
                       capture_output=True)
        whole.append(time.perf_counter() - t0)
    print(f"massdriver --help, {args.repeat} fresh interpreters")
    print(f"  parser + help text (in process): median {statistics.median(inside):.3f} s, "
          f"best {min(inside):.3f} s   (goal < {GOAL_S} s: "
          f"{'met' if statistics.median(inside) < GOAL_S else 'NOT met'})")
    print(f"  python -m massdriver --help (whole process): median "
          f"{statistics.median(whole):.3f} s, best {min(whole):.3f} s")


if __name__ == "__main__":
    main()
