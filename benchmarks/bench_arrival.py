"""Pricing every arrival strategy for one window (warm), the LEO example's satellite.

    python benchmarks/bench_arrival.py

Prints the warm wall time of :func:`massdriver.arrival.compare_strategies` (five strategies,
a lunar-return arrival at a 400 km perigee) and of each strategy alone. Absolute times depend on
the machine's load; the target is < 1 s for all strategies.
"""

from __future__ import annotations

import math
import time

import astropy.units as u
import numpy as np

from massdriver import targets
from massdriver.arrival import compare_strategies
from massdriver.bodies import R_EARTH
from massdriver.satellite import Engine, Satellite


def main() -> None:
    sat = Satellite(wet_mass=800 * u.kg, engines=(Engine(400 * u.N, 320 * u.s),),
                    max_heat_rate=5 * u.W / u.cm ** 2, max_heat_load=5000 * u.J / u.cm ** 2)
    r = np.array([R_EARTH + 400.0, 0.0, 0.0]) * u.km
    v = np.array([0.0, 10.85 * math.cos(0.5), 10.85 * math.sin(0.5)]) * u.km / u.s
    tgt = targets.circular(400 * u.km, 28.5 * u.deg)
    compare_strategies(r, v, tgt, sat)                      # compile / warm up
    for strategies in ("all", "finite_burn", "multi_pass", "aerobraking", "aerocapture"):
        best = math.inf
        for _ in range(3):
            t0 = time.perf_counter()
            c = compare_strategies(r, v, tgt, sat, strategies=strategies)
            best = min(best, time.perf_counter() - t0)
        extra = ""
        if strategies == "aerobraking":
            extra = f" ({c['aerobraking'].passes} passes)"
        print(f"{strategies:<12} {best:8.3f} s{extra}")


if __name__ == "__main__":
    main()
