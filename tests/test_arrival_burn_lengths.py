"""Burns of several lengths from one start, resumed from one traced burn, are the burns.

The root finding of a finite burn's length (:func:`massdriver.arrival._solve_duration`) flies
~40 burns from the same start that differ only in their length. The integrator's steps do not
depend on where a burn ends until the trial step that reaches the end, so
:class:`massdriver.arrival._BurnLengths` flies the longest once, recording its trial steps
(:func:`massdriver.kernels.arrival.burn_trace`), and resumes each shorter one from the step
that reaches its end (:func:`~massdriver.kernels.arrival.burn_resume`). It is a shortcut, not
an approximation. Checks:

* every burn it gives, at lengths all over the range and exactly at the traced step
  boundaries, velocity-aligned and inertially fixed, one that falls to the burn floor and one
  that does not, equals :func:`massdriver.arrival._burn`'s bit for bit (state and info);
* the strategies that search burns (``finite_burn`` infeasible at 400 N and feasible with a
  raised perigee at 1 kN, ``aerobraking``'s capture) give the same result, to the last bit,
  with the shortcut switched off (no trace: every burn flown by ``_burn``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from massdriver.kernels import arrival as K
from test_arrival_two_body_burns import Q_LEO, _arrival, _satellite

from massdriver import arrival as A


def _start(thrust, start_s):
    """The README's first arrival coasted (two-body) to ``start_s`` s from perigee, and the
    burn parameters of a satellite of ``thrust`` N."""
    P = A.kernel_parameters(_satellite(thrust), floor=A.BURN_FLOOR)
    y_p = _arrival()
    return A._backward(y_p, 0.0, start_s, P), P, y_p


@pytest.mark.parametrize("thrust, start_s, steering, floors", [
    (400.0, -2500.0, "velocity", True),      # the README's case: dips under 150 km
    (400.0, -800.0, "velocity", False),      # reaches d_max above the floor
    (400.0, -2500.0, "inertial", False),
    (2000.0, -300.0, "velocity", False),
])
def test_resumed_burns_are_the_burns_bit_for_bit(thrust, start_s, steering, floors):
    y0, P, y_p = _start(thrust, start_s)
    direction = -y_p[3:6] / np.linalg.norm(y_p[3:6]) if steering == "inertial" else None
    d_max = 4000.0 if thrust < 1000.0 else 900.0
    burns = A._BurnLengths(y0, start_s, P, direction, d_max)
    assert burns.trace is not None
    assert (burns.end[1][1] == K.FLOOR_HIT) == floors
    rows = burns.trace[:burns.rows]
    # lengths all over the range, and exactly at (and a hair around) the traced steps' ends
    ends = np.concatenate([rows[:, 0], rows[:, 0] + rows[:, 1]]) - start_s
    lengths = np.concatenate([np.linspace(0.0, d_max, 97), ends, np.nextafter(ends, 0.0),
                              np.nextafter(ends, 1e9), [d_max, 19.9, 20.0, 10.0]])
    lengths = lengths[(lengths >= 0.0) & (lengths <= d_max)]
    resumed = 0
    for d in lengths:
        y_ref, info_ref = A._burn(y0, start_s, float(d), P, direction)
        y, info = burns(float(d))
        assert np.array_equal(y, y_ref), d
        assert np.array_equal(info, info_ref), d
        resumed += 20.0 <= d
    assert resumed > 100


@pytest.mark.parametrize("thrust", [400.0, 1000.0])
def test_strategies_unchanged_without_the_shortcut(thrust, monkeypatch):
    sat = _satellite(thrust)
    opts = A.ArrivalOptions()

    def price():
        fb = A.finite_burn(_arrival(), Q_LEO, Q_LEO, sat, opts)
        ab = A._aerobraking_from(_arrival(), 0.0, Q_LEO, Q_LEO, sat, opts, 0.0, 3.0)
        return fb.as_dict(), ab.as_dict()

    fast = price()
    monkeypatch.setattr(A, "_TRACE_ROWS", 0)     # every trace incomplete: every burn flown
    slow = price()
    assert fast == slow
    fb = fast[0]
    if thrust == 400.0:
        assert not fb["feasible"] and fb["outcome"].startswith("burn floored at 150 km")
    else:
        assert fb["feasible"] and fb["outcome"].startswith("ok, perigee aimed at")
    assert math.isfinite(fb["burn_time_s"])
