"""``strategies = "impulsive"`` in a throughput plan's ``[arrival]`` flies no strategy nodes.

docs/throughput.md: ``strategies = "impulsive"`` turns the arrival strategies off. With only the
impulsive insertion enabled every node difference is 0 by construction, yet the scheduler used
to scan every node again (one :func:`massdriver.windows.scan_epochs` per plane and 16 nodes)
and run a comparison of one strategy at each, to add 0 to every shot. Here the node pricing is
made to fail: the plan must not need it, and the schedule is priced impulsively.
"""

from __future__ import annotations

import numpy as np
import pytest

from massdriver import throughput as tp
from massdriver.config.throughput import load_throughput

PLAN = """
name = "impulsive only"
start = "2027-01-02T12:00"
horizon = "2 d"
step = "60 min"
threshold = "3.6 km/s"

[satellite]
wet_mass = "800 kg"
drag_area = "4 m2"
[[satellite.engines]]
name = "main"
thrust = "400 N"
isp = "320 s"

[arrival]
strategies = "impulsive"

[[launchers]]
name = "equatorial"
site = { lat = "0 deg", lon = "-55 deg", azimuth = "90 deg" }
speed_min = "2.35 km/s"
speed_max = "2.80 km/s"
power = "20 MW"
efficiency = 0.5

[[shells]]
name = "LEO 28.5"
altitude = "400 km"
inclination = "28.5 deg"
tonnes_per_year = "max"
"""


def test_impulsive_only_flies_no_nodes(tmp_path, monkeypatch):
    path = tmp_path / "plan.toml"
    path.write_text(PLAN)
    plan = load_throughput(path)

    def no_nodes(*args, **kwargs):
        raise AssertionError("strategy nodes flown for an impulsive-only plan")

    monkeypatch.setattr(tp, "price_arrival_nodes", no_nodes)
    r = tp.plan_throughput(plan, verdict=False)
    s = r.schedule
    assert len(s) > 0
    assert s.strategies == ("impulsive",)
    assert np.all(s.strategy == 0)
    assert s.delta_v_km_s.tobytes() == s.delta_v_impulsive_km_s.tobytes()
    assert r.inputs["arrival"]["comparisons"] == 0
    # propellant: the rocket equation on the impulsive total with the engine's Isp
    g0 = 9.80665e-3                                  # km/s^2 (CGPM 1901)
    np.testing.assert_allclose(s.propellant_kg,
                               800.0 * (1.0 - np.exp(-s.delta_v_km_s / (g0 * 320.0))),
                               rtol=1e-12)
    assert r.totals()["propellant_impulsive_kg"] == pytest.approx(r.totals()["propellant_kg"])
