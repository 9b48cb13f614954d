"""The node mismatch of a multi-day arrival strategy is reported in (-180, 180] deg.

StrategyResult.node_mismatch documents that half-open range; ``math.remainder`` returns
[-pi, pi], so a mismatch of exactly half a turn came out as -180 deg. Half a turn either way is
the same plane pair, so the price (the plane change between the two planes) must not change.
"""

from __future__ import annotations

import math

import pytest

from massdriver.arrival import PlaneDrift, node_mismatch_cost

Q_KM = 6778.1363


@pytest.mark.parametrize("turns", [-0.5, 0.5, -1.5, 1.5])
def test_half_a_turn_is_plus_180(turns):
    plane = PlaneDrift(inclination=math.radians(53.0), node_rate=0.0)
    # the orbit drifts by `turns` whole turns (times cos i over cos i): half a turn and odd
    # multiples of it
    per_cos = turns * 2.0 * math.pi / math.cos(plane.inclination)
    dv, deg = node_mismatch_cost(plane, per_cos, 1.0e6, Q_KM, Q_KM)
    assert -180.0 < deg <= 180.0
    assert abs(deg) == pytest.approx(180.0, abs=1e-9)
    # the price is that of the two planes 2 i apart (cos theta = cos^2 i - sin^2 i)
    v = math.sqrt(398600.4415 / Q_KM)
    assert dv == pytest.approx(2 * v * math.sin(math.radians(53.0)), rel=1e-3)


def test_exact_minus_pi_maps_to_plus_180():
    plane = PlaneDrift(inclination=0.3, node_rate=1.0)
    # the orbit does not drift (per_cos 0); the target turns by exactly pi
    dv, deg = node_mismatch_cost(plane, 0.0, math.pi, Q_KM, Q_KM)
    assert deg == 180.0
