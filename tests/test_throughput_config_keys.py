"""Throughput plan keys that only mean something with another part of the plan.

``arrival_step`` spaces the nodes of the arrival-strategy pricing, which runs only with the
satellite model (``wet_mass`` and ``[[satellite.engines]]``; docs/config.md says "with the
satellite model only"). With a hand-typed ``mass``/``isp`` satellite it used to be accepted and
silently ignored; like ``[arrival]`` there, it is now one clear ConfigError.
"""

from __future__ import annotations

import pytest

from massdriver.config.throughput import load_throughput
from massdriver.errors import ConfigError

PLAN = """
name = "hand-typed satellite"
start = "2027-01-02T12:00"
horizon = "6 d"
threshold = "3.6 km/s"
{extra}

[satellite]
mass = "800 kg"
isp = "320 s"

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


def _load(tmp_path, extra: str):
    path = tmp_path / "plan.toml"
    path.write_text(PLAN.format(extra=extra))
    return load_throughput(path)


def test_hand_typed_satellite_loads_without_arrival_step(tmp_path):
    plan = _load(tmp_path, "")
    assert plan.satellite.arrival is None


def test_arrival_step_without_the_satellite_model_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"arrival_step .*satellite model") as exc:
        _load(tmp_path, 'arrival_step = "12 h"')
    assert "\n" not in str(exc.value)
