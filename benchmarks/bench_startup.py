"""Cold start: what the first run costs, against the goals of issue 15.

Measures, each in a fresh process (wall time, CPU time of the process and its threads, peak
resident memory):

1. the README's main job (``massdriver solve examples/leo_from_procellarum.toml``) on an empty
   numba cache (``NUMBA_CACHE_DIR`` pointing at a new directory): what a user waits for the
   first time;
2. the same job again on the cache the first run wrote (warm);
3. ``massdriver warmup`` on an empty cache, then the main job on the cache it wrote;
4. ``massdriver --help`` (the CLI's import cost; no kernel is compiled).

Optionally (``--suite``) the test suite on an empty cache (``pytest -q -x``), which takes
minutes. The goals are printed beside the figures.

Run: ``python benchmarks/bench_startup.py`` (add ``--suite`` for the test-suite row; ``--repeat
N`` repeats the warm rows and keeps the best; ``--no-warmup`` skips row 3). Needs only the
package (``pip install .``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: the README's main job, run as ``python -m massdriver`` with this interpreter (no PATH lookup)
MAIN_JOB = [sys.executable, "-m", "massdriver", "solve", "examples/leo_from_procellarum.toml",
            "--quiet", "--force"]
GOALS = {  # issue 15, part C, on 2 cores
    "cold main job": "<= 25 s wall",
    "peak RSS cold": "< 1 GB",
    "warm main job": "< 2 s wall",
    "cold test suite": "< 6 min",
    "massdriver --help": "< 0.3 s wall",
}
#: the same goals as numbers: (wall limit s, peak RSS limit MB or None)
LIMITS = {
    "cold main job": (25.0, 1000.0),
    "warm main job": (2.0, None),
    "cold test suite": (360.0, None),
    "massdriver --help": (0.3, None),
}


def verdict(name: str, r: dict) -> str:
    """``met`` / ``NOT met`` for a row with a goal, else empty."""
    if name not in LIMITS:
        return ""
    wall, rss = LIMITS[name]
    ok = r["wall"] <= wall and (rss is None or r["rss_mb"] < rss)
    return "met" if ok else "NOT met"

# Runs a command as a child and prints its resource usage as JSON: RUSAGE_CHILDREN of this
# wrapper then holds exactly that one command (its CPU over all threads, its peak RSS).
_WRAPPER = r"""
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).returncode
wall = time.perf_counter() - t0
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"code": code, "wall": wall, "cpu": r.ru_utime + r.ru_stime,
                  "rss_mb": r.ru_maxrss / 1024.0}))
"""


def measure(argv: list[str], cache: Path, cwd: Path, pycache: Path) -> dict:
    # Python's bytecode cache as an installed package has it (pip compiles it at install; an
    # editable install writes it on the first import): in its own directory, so that a
    # PYTHONDONTWRITEBYTECODE in the caller's environment does not make every run compile
    # the package's sources again (~0.5 s a run, 0.4 s of it the generated Taylor kernels)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), PYTHONPYCACHEPREFIX=str(pycache))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    out = subprocess.run([sys.executable, "-c", _WRAPPER, *argv], cwd=cwd, env=env,
                         capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["code"] != 0:
        raise SystemExit(f"{' '.join(argv)} exited {result['code']}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", action="store_true", help="also time the test suite cold")
    parser.add_argument("--repeat", type=int, default=3, help="warm runs (best is kept)")
    parser.add_argument("--no-warmup", action="store_true",
                        help="skip the `massdriver warmup` rows (minutes on a loaded machine)")
    args = parser.parse_args()

    rows: list[tuple[str, dict]] = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        work = tmp / "work"
        work.mkdir()
        (work / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
        job = [*MAIN_JOB, "--out", str(tmp / "run")]
        pyc = tmp / "pycache"      # written by the first (cold) run, read by the others

        cold = tmp / "cache-cold"
        rows.append(("cold main job", measure(job, cold, work, pyc)))
        warm = [measure(job, cold, work, pyc) for _ in range(max(args.repeat, 1))]
        rows.append(("warm main job", min(warm, key=lambda r: r["wall"])))

        prepared = tmp / "cache-warmup"
        if not args.no_warmup:
            warmup = [sys.executable, "-m", "massdriver", "warmup"]
            rows.append(("massdriver warmup (cold)", measure(warmup, prepared, work, pyc)))
            rows.append(("main job after warmup", measure(job, prepared, work, pyc)))
        helps = [measure([sys.executable, "-m", "massdriver", "--help"], prepared, work, pyc)
                 for _ in range(5)]
        rows.append(("massdriver --help", min(helps, key=lambda r: r["wall"])))
        if args.suite:
            suite = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider"]
            rows.append(("cold test suite", measure(suite, tmp / "cache-suite", ROOT, pyc)))

    print(f"{'what':<28} {'wall s':>8} {'CPU s':>8} {'peak RSS MB':>12}  {'goal':<34} verdict")
    for name, r in rows:
        goal = GOALS.get(name, "-")
        if name == "cold main job":
            goal = f"{goal}; peak RSS {GOALS['peak RSS cold']}"
        print(f"{name:<28} {r['wall']:8.2f} {r['cpu']:8.2f} {r['rss_mb']:12.0f}  {goal:<34} "
              f"{verdict(name, r)}")
    print(f"(load average at the end: {os.getloadavg()[0]:.1f})")
    print(f"(python {sys.version.split()[0]}, {os.cpu_count()} CPUs; wall includes the "
          "interpreter's start)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
