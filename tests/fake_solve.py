"""``massdriver solve`` with the solver replaced by a synthetic plan (no numba, a few seconds).

Used by tests/test_outputs.py in-process (:func:`patch`) and as a real separate process
(``python tests/fake_solve.py ARGS...``, for concurrent runs and resource limits). The plan is
the synthetic run of tests/test_report.py: three windows and the analytic transfer of the
best one, or, with ``FAKE_SOLVE_WINDOWS=0``, one unsolved epoch and no window.
``FAKE_SOLVE_SLEEP`` (seconds) makes the "solve" last that long; ``FAKE_SOLVE_FAIL=1`` makes it
raise after the output directory was opened.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
MISSION_EXAMPLE = HERE.parent / "examples" / "leo_from_procellarum.toml"


def tiny_plan():
    """A real :class:`Plan` (one unsolved grid epoch, no window) built without a solve."""
    import numpy as np

    import massdriver
    from massdriver.windows import Plan, ScanResult

    nan = np.array([np.nan])
    scan = ScanResult(
        t_launch_tdb=np.array([851_000_000.0]), branch=np.array(["prograde"], dtype=object),
        speed_km_s=nan, t_perigee_tdb=nan,
        solve_status=np.array(["no_root_in_speed_range"], dtype=object),
        perigee_state=np.full((1, 6), np.nan), total_km_s=nan, insertion_km_s=nan,
        plane_change_km_s=nan, circularization_km_s=nan,
        strategy=np.array([""], dtype=object), inclination_deg=nan, raan_deg=nan,
        nfev=np.array([12]))
    return Plan(windows=(), scan=scan, mission=None, inputs={"threshold_km_s": 3.1},
                version=massdriver.__version__, message="no window: test plan")


def window_plan():
    """The synthetic plan of tests/test_report.py (three windows)."""
    from test_report import _plan, _scan

    return _plan(_scan())


def _fake_shoot(site, epoch, speed, **kwargs):
    from test_report import _trajectory

    launch = float((epoch.tdb.jd1 - 2451545.0) * 86400.0 + epoch.tdb.jd2 * 86400.0)
    return _trajectory(launch)


def patch(setattr, *, windows: bool = True, sleep: float = 0.0, fail: bool = False) -> None:
    """Replace the solve (and the best window's coast) with ``setattr`` (e.g.
    ``monkeypatch.setattr``)."""
    import massdriver.cli.solve as cli_solve
    import massdriver.trajectory as trajectory

    def solve_loaded(mission, quiet):
        if sleep:
            time.sleep(sleep)
        if fail:
            raise RuntimeError("the solver broke")
        plan = window_plan() if windows else tiny_plan()
        # a real solve's plan names its mission (solve reads the chosen track from it)
        return dataclasses.replace(plan, mission=mission)

    setattr(cli_solve, "solve_loaded", solve_loaded)
    setattr(trajectory, "shoot", _fake_shoot)


def main(argv: list[str]) -> int:
    from massdriver.cli import main as cli_main

    patch(setattr, windows=os.environ.get("FAKE_SOLVE_WINDOWS", "1") != "0",
          sleep=float(os.environ.get("FAKE_SOLVE_SLEEP", "0")),
          fail=os.environ.get("FAKE_SOLVE_FAIL") == "1")
    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
