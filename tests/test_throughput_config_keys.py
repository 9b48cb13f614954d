"""Throughput plan keys that only mean something with another part of the plan.

* ``arrival_step`` spaces the nodes of the arrival-strategy pricing, which runs only with the
  satellite model (``wet_mass`` and ``[[satellite.engines]]``; docs/config.md says "with the
  satellite model only"). With a hand-typed ``mass``/``isp`` satellite it used to be accepted
  and silently ignored; like ``[arrival]`` there, it is now one clear ConfigError.
* ``[arrival] strategies = "impulsive"`` turns the strategies off (docs/throughput.md). Every
  node difference is then 0 by construction, yet the scheduler used to scan every node again
  (one :func:`massdriver.windows.scan_epochs` per plane and 16 nodes) to add 0 to every shot.
  Here the node pricing is made to fail: the plan must not need it.
"""

from __future__ import annotations

import numpy as np
import pytest

from massdriver import throughput as tp
from massdriver.config.throughput import load_throughput
from massdriver.errors import ConfigError

PLAN = """
name = "config keys"
start = "2027-01-02T12:00"
horizon = "2 d"
step = "60 min"
threshold = "3.6 km/s"
{top}

[satellite]
{satellite}

[[launchers]]
name = "equatorial"
site = {{ lat = "0 deg", lon = "-55 deg", azimuth = "90 deg" }}
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
HAND_TYPED = 'mass = "800 kg"\nisp = "320 s"'
MODEL = ('wet_mass = "800 kg"\ndrag_area = "4 m2"\n[[satellite.engines]]\nname = "main"\n'
         'thrust = "400 N"\nisp = "320 s"\n\n[arrival]\nstrategies = "impulsive"')


def _load(tmp_path, top: str, satellite: str):
    path = tmp_path / "plan.toml"
    path.write_text(PLAN.format(top=top, satellite=satellite))
    return load_throughput(path)


def test_hand_typed_satellite_loads_without_arrival_step(tmp_path):
    assert _load(tmp_path, "", HAND_TYPED).satellite.arrival is None


def test_arrival_step_without_the_satellite_model_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"arrival_step .*satellite model") as exc:
        _load(tmp_path, 'arrival_step = "12 h"', HAND_TYPED)
    assert "\n" not in str(exc.value)


def test_impulsive_only_flies_no_nodes(tmp_path, monkeypatch):
    plan = _load(tmp_path, "", MODEL)

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
