"""Arrival benchmarks: every strategy for one window (warm), and an aerobraking campaign of 500
passes against scipy.

    python benchmarks/bench_arrival.py                # both
    python benchmarks/bench_arrival.py --passes 500   # the campaign's length

1. Warm wall time of :func:`massdriver.arrival.compare_strategies` (five strategies, a
   lunar-return arrival at a 400 km perigee, the LEO example's satellite) and of each strategy
   alone. Target: < 1 s for all strategies.
2. An aerobraking campaign of N passes (default 500; target < 2 s): the compiled
   :func:`massdriver.kernels.arrival.aerobrake` against the same passes integrated by
   ``scipy.integrate.solve_ivp`` (RK45, the same Dormand-Prince 5(4) pair) on a right-hand side
   written here in Python: point mass (+ J2), drag on the air-relative velocity in the same
   US Standard Atmosphere 1976 table (log-linear interpolation of
   ``massdriver.kernels.atmosphere_tables``), Sutton-Graves heat load (J2 off in both, see
   :func:`bench_campaign`). Same start state, same
   rtol (1e-9) and absolute tolerances, same pass boundary; the coasts between passes are
   two-body in both (the same analytic helpers); corridor control is off in both so the passes
   are the same ones. Both are warmed (one short campaign) before timing, and the ratio is
   printed with the final apsides of both (they agree to a fraction of a km).

Absolute times depend on the machine's load (the figures in docs/performance.md were taken with
other jobs running); the ratio is the figure to compare.
"""

from __future__ import annotations

import argparse
import math
import time

import astropy.units as u
import numpy as np
from massdriver.kernels import arrival as K
from massdriver.kernels.atmosphere_tables import ALTITUDE_STEP, LOG_DENSITY, LOG_SOLAR_FACTOR
from scipy.integrate import solve_ivp

from massdriver import targets
from massdriver.arrival import compare_strategies, kernel_parameters
from massdriver.bodies import GM_EARTH, R_EARTH
from massdriver.satellite import Engine, Satellite

RTOL = 1e-9
#: start of the campaign: periapsis altitude (km) and apoapsis altitude (km)
PERIGEE_ALT, APOGEE_ALT = 121.0, 40000.0
MASS = 500.0   # kg after the capture burn


def satellite() -> Satellite:
    return Satellite(wet_mass=800 * u.kg, engines=(Engine(400 * u.N, 320 * u.s),),
                     max_heat_rate=5 * u.W / u.cm ** 2, max_heat_load=5000 * u.J / u.cm ** 2)


def bench_strategies() -> None:
    sat = satellite()
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


# --- the aerobraking campaign -----------------------------------------------------------------
def start_state(P: np.ndarray) -> np.ndarray:
    """The descending crossing of the pass boundary on an ellipse of the chosen apsides, in a
    28.5 deg plane (the atmosphere turns under it)."""
    rp, ra = R_EARTH + PERIGEE_ALT, R_EARTH + APOGEE_ALT
    vp = math.sqrt(GM_EARTH * 2.0 * ra / (rp * (rp + ra)))
    i = math.radians(28.5)
    y = np.array([rp, 0.0, 0.0, 0.0, vp * math.cos(i), vp * math.sin(i), MASS, 0.0])
    alt_b = min(P[K.TOP], 0.5 * (PERIGEE_ALT + APOGEE_ALT))
    e = (ra - rp) / (ra + rp)
    p = rp * (1.0 + e)
    nub = math.acos((p / (R_EARTH + alt_b) - 1.0) / e)
    out = np.empty(6)
    K.state_at_anomaly(GM_EARTH, y[:3], y[3:6], -nub, out)
    y[:6] = out
    return y


def kernel_campaign(P: np.ndarray, y0: np.ndarray, passes: int):
    hist = np.zeros((passes, 7))
    inf = 1e300
    # corridor control off (no fraction is below 0 or above 1e300): the passes are the drag's
    status, n, t, _dv, _q, _g, _l, y, _drift = K.aerobrake(
        y0.copy(), 0.0, P, RTOL, R_EARTH + 10.0, inf, inf, inf, 0.0, inf, 5.0, passes, 1e9,
        hist)
    return int(n), y, hist


def _python_rhs(P: np.ndarray):
    mu, j2, re = P[K.MU], P[K.J2], P[K.R_REF]
    omega, cda, nose, top = P[K.OMEGA], P[K.CDA], P[K.NOSE], P[K.TOP]
    log_rho = (LOG_DENSITY + LOG_SOLAR_FACTOR[int(P[K.LEVEL])]).tolist()
    n_tab = len(log_rho)
    step = float(ALTITUDE_STEP)
    k_sg = K.SUTTON_GRAVES_K

    def rhs(t, y):
        x, yy, z, vx, vy, vz, m, _q = y
        r2 = x * x + yy * yy + z * z
        r = math.sqrt(r2)
        f = -mu / (r2 * r)
        k = 1.5 * j2 * mu * re * re / (r2 * r2 * r)
        zz = 5.0 * z * z / r2
        ax = f * x + k * x * (zz - 1.0)
        ay = f * yy + k * yy * (zz - 1.0)
        az = f * z + k * z * (zz - 3.0)
        h = r - re
        q = 0.0
        if h <= top:
            xi = max(h, 0.0) / step
            i = min(int(xi), n_tab - 2)
            lr = log_rho[i] + (xi - i) * (log_rho[i + 1] - log_rho[i])
            rho = math.exp(lr)
            wx, wy, wz = vx + omega * yy, vy - omega * x, vz
            w = math.sqrt(wx * wx + wy * wy + wz * wz)
            d = 500.0 * rho * cda / m * w * w
            ax -= d * wx / w
            ay -= d * wy / w
            az -= d * wz / w
            q = k_sg * math.sqrt(rho / nose) * (1000.0 * w) ** 3
        return [vx, vy, vz, ax, ay, az, 0.0, q]

    return rhs


def scipy_campaign(P: np.ndarray, y0: np.ndarray, passes: int):
    """The same passes with solve_ivp: integrate each pass from the descending crossing of the
    boundary to the ascending one, coast two-body to the next descending crossing."""
    rhs = _python_rhs(P)
    re = P[K.R_REF]
    atol = np.array([RTOL * 1000.0] * 3 + [RTOL] * 3 + [RTOL * y0[6], 1.0])
    y = y0.copy()
    t = 0.0
    hist = np.zeros((passes, 3))
    calls = 0
    for k in range(passes):
        rp, ra = K.apsides(GM_EARTH, y[:3], y[3:6])
        alt_b = min(P[K.TOP], 0.5 * (rp + ra) - re)
        if k > 0:                                         # coast to the next entry
            ynext = np.empty(8)
            Pc = P.copy()
            t = K._coast_to_entry(y, t, Pc, alt_b, ynext)
            y = ynext

        def exit_(t, s, alt_b=alt_b):
            return math.sqrt(s[0] * s[0] + s[1] * s[1] + s[2] * s[2]) - re - alt_b
        exit_.terminal, exit_.direction = True, 1.0
        period = 2.0 * math.pi * math.sqrt((0.5 * (rp + ra)) ** 3 / GM_EARTH)
        sol = solve_ivp(rhs, (t, t + period), y, method="RK45", rtol=RTOL, atol=atol,
                        events=exit_)
        calls += sol.nfev
        y = sol.y[:, -1].copy()
        t = sol.t[-1]
        rp2, ra2 = K.apsides(GM_EARTH, y[:3], y[3:6])
        hist[k] = (t, rp2 - re, ra2 - re)
    return y, hist, calls


def bench_campaign(passes: int) -> None:
    P = kernel_parameters(satellite(), solar="mean", thrust=False)
    # J2 off in both: with it the osculating apsides after a pass depend on where the pass is
    # stopped (the kernel stops on its first step past the boundary, solve_ivp at the located
    # event), which shifts the following two-body coasts by J2's short-period terms (~10 km in
    # apoapsis) and the two campaigns would no longer fly the same passes
    P[K.J2] = 0.0
    y0 = start_state(P)
    kernel_campaign(P, y0, 3)                              # compile / warm both
    scipy_campaign(P, y0, 3)
    t0 = time.perf_counter()
    n, yk, hk = kernel_campaign(P, y0, passes)
    tk = time.perf_counter() - t0
    t0 = time.perf_counter()
    ys, hs, calls = scipy_campaign(P, y0, n)
    ts = time.perf_counter() - t0
    d_apo = np.max(np.abs(hk[:n, 2] - hs[:, 2]))
    d_per = np.max(np.abs(hk[:n, 1] - hs[:, 1]))
    print(f"aerobraking campaign, {n} passes (apoapsis {APOGEE_ALT:.0f} -> {hk[n - 1, 2]:.0f} km"
          f" altitude, {hk[n - 1, 0] / 86400.0:.1f} days), rtol {RTOL:g}:")
    print(f"  compiled kernel (massdriver.kernels.arrival.aerobrake) {tk:8.3f} s")
    print(f"  scipy solve_ivp RK45, Python right-hand side          {ts:8.3f} s "
          f"({calls} calls)")
    print(f"  ratio scipy / kernel {ts / tk:7.1f}; largest difference over the passes: "
          f"apoapsis {d_apo:.3f} km, periapsis {d_per:.4f} km")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--passes", type=int, default=500)
    ap.add_argument("--only", choices=("strategies", "campaign"))
    args = ap.parse_args()
    if args.only != "campaign":
        bench_strategies()
    if args.only != "strategies":
        bench_campaign(args.passes)


if __name__ == "__main__":
    main()
