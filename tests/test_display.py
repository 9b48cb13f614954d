"""Compact ``repr`` and ``_repr_html_`` of the result dataclasses (they held whole arrays).

One short solve of the LEO example (2 days, as test_export) gives a Plan, its windows, its scan
and the best window's shot; each view must be short, carry the headline numbers (formatted as
the ``massdriver solve`` table prints them) and no array.
"""

from __future__ import annotations

import re
from pathlib import Path

import astropy.units as u
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "leo_from_procellarum.toml"


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    from massdriver.config import load_mission
    from massdriver.trajectory import shoot
    from massdriver.windows import solve_mission

    text = EXAMPLE.read_text()
    for old, new in [('span = "28 d"', 'span = "2 d"'), ('step = "60 min"', 'step = "360 min"'),
                     ('threshold = "3.10 km/s"', 'threshold = "3.20 km/s"')]:
        text = text.replace(old, new)
    path = tmp_path_factory.mktemp("display") / "short.toml"
    path.write_text(text)
    mission = load_mission(path)
    plan = solve_mission(mission)
    best = plan.best
    traj = shoot(mission.site, best.best_epoch, best.speed, rtol=1e-10)
    return plan, traj


def _no_array(text: str) -> None:
    assert "array(" not in text and "Quantity [" not in text and "\n" not in text
    assert len(text) < 400, len(text)


def test_plan_and_window_reprs(solved):
    plan, _ = solved
    text = repr(plan)
    _no_array(text)
    best = plan.best
    total = f"{best.budget.total.to_value(u.km / u.s):.4f}"
    assert text.startswith(f"Plan({len(plan.windows)} window") and total in text
    w = repr(best)
    _no_array(w)
    assert total in w and f"{best.speed.to_value(u.km / u.s):.4f}" in w and best.branch in w
    html = plan._repr_html_()
    assert html.count("<tr>") == len(plan.windows) + 1 and total in html
    assert "<table>" in best._repr_html_()


def test_scan_and_trajectory_reprs(solved):
    plan, traj = solved
    s = repr(plan.scan)
    _no_array(s)
    n = len(plan.scan.t_launch_tdb)
    assert s.startswith(f"ScanResult({n} shots")
    t = repr(traj)
    _no_array(t)
    assert f"points={len(traj.times)}" in t and "status='perigee'" in t
    alt = f"{traj.perigee.altitude.to_value(u.km):.1f}"
    assert alt in t and alt in traj._repr_html_()
    assert re.search(r"<th[^>]*>stored points</th><td[^>]*>\d+</td>", traj._repr_html_())
    assert "<table>" in plan.scan._repr_html_()
