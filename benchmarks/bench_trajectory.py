"""Benchmark of the trajectory kernels: massdriver vs scipy and heyoka, measured in one run.

Run::

    python benchmarks/bench_trajectory.py            # full run (~7 min on 2 idle cores)
    python benchmarks/bench_trajectory.py --quick    # fewer repetitions and a 2,000-shot batch
    python benchmarks/bench_trajectory.py --accuracy # CR3BP work precision vs heyoka only

The trajectory: a shot fired at 2.50 km/s from 1 km above the lunar surface (trailing side, 20 deg
above the horizontal, 2027-04-02 TDB), coasting 5 days; it passes an Earth perigee of 8,600 km
(ephemeris model) after 4.1 days. The same initial state is rotated into the Earth-Moon rotating
frame for the CR3BP. Tolerances: rtol = 1e-10 and 1e-12, atol = 1e-3 rtol in CR3BP units (the
equivalent km and km/s for the ephemeris model). No events (every integrator does the same work).

Single shot: best of N wall-clock times (the machine is shared; the minimum is the least disturbed
figure), for

* massdriver ``dop853.integrate`` called from Python, ``propagate.propagate`` (the named-result
  wrapper) and the kernel called from compiled code (what the window solver does);
* the same DOP853 pair in Sundman-regularised time (``sundman.integrate``, the
  ``regularize=True`` option), called from Python and from compiled code;
* ``scipy.integrate.solve_ivp(method="DOP853")`` with a numpy right-hand side (jplephem for the
  ephemeris model) and with the massdriver numba right-hand side;
* massdriver's Taylor-series integrator (``taylor.integrate``, ``method="taylor"``; CR3BP
  only), called from Python and from compiled code;
* heyoka ``taylor_adaptive`` (CR3BP only: heyoka has no JPL Chebyshev ephemeris), timing
  ``propagate_until`` alone (resetting its state is left outside the timer).

Batch: 10,000 shots (speeds 2.42-2.49 km/s, elevations 15-25 deg, azimuths +-5 deg: perigees
between 6,600 and 75,000 km, none hits the Earth; epochs over one lunar month for the ephemeris
model) on 1 and 2 threads: ``batch.propagate_batch`` (DOP853, lockstep SIMD lanes) and, for the
CR3BP, ``taylor.integrate_batch`` (the Taylor method in lockstep lanes) vs heyoka
``taylor_adaptive_batch`` (SIMD lanes = ``heyoka.recommended_simd_size()``) driven through
heyoka's own parallel path, ``heyoka.ensemble_propagate_until`` with ``max_workers`` = threads,
and the same batch integrator and scalar ``taylor_adaptive`` looped over in Python threads (one
integrator per thread), measured in alternating rounds (best of 5); the last column compares
the Taylor batch with the faster of heyoka's two batch drives (the ensemble path copies the
integrator for every block of lanes, which dominates on 30-us coasts). scipy is extrapolated
from its single-shot time.

Needs ``pip install ".[bench]"`` (heyoka); without heyoka its columns say n/a.
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import threading
import time

import numba
import numpy as np
from massdriver.kernels import forces
from massdriver.kernels.chebyshev import geocentric_moon
from massdriver.kernels.integrators import batch, dop853, propagate, sundman, taylor
from massdriver.kernels.integrators.taylor_jets import INTEGRATORS
from scipy.integrate import solve_ivp

from massdriver import bodies
from massdriver.ephemeris import Ephemeris

MU = bodies.CR3BP_MU
L = bodies.CR3BP_LENGTH_UNIT
TU = bodies.CR3BP_TIME_UNIT
VU = bodies.CR3BP_VELOCITY_UNIT
T0 = 8.6e8                      # 2027-04-02T12:53:20 TDB
DAYS = 5.0
THREADS = 2


# --- scenario -----------------------------------------------------------------------------------


def lunar_launch(eph, t, speed, elevation_deg=20.0, azimuth_deg=0.0, altitude=1.0):
    """Geocentric ICRF state of a shot from the Moon's trailing point (km, km/s)."""
    rm, vm = geocentric_moon(t, eph)
    back = -vm / np.linalg.norm(vm)
    up = np.cross(np.cross(back, rm), back)
    up /= np.linalg.norm(up)
    back = np.cross(up, np.cross(back, up))
    side = np.cross(up, back)
    el, az = math.radians(elevation_deg), math.radians(azimuth_deg)
    d = math.cos(el) * (math.cos(az) * back + math.sin(az) * side) + math.sin(el) * up
    return np.r_[rm + up * (bodies.R_MOON + altitude), vm + speed * d]


def to_rotating(eph, t, y):
    """ICRF geocentric state -> CR3BP rotating frame (Moon on +x at t), non-dimensional."""
    rm, vm = geocentric_moon(t, eph)
    x = rm / np.linalg.norm(rm)
    z = np.cross(rm, vm)
    z /= np.linalg.norm(z)
    c = np.column_stack([x, np.cross(z, x), z])
    r = c.T @ (y[:3] - rm) / L
    v = c.T @ (y[3:] - vm) / VU
    return np.r_[np.array([1.0 - MU, 0.0, 0.0]) + r, v - np.cross([0.0, 0.0, 1.0], r)]


def cr3bp_numpy_rhs(t, y, mu=MU):
    """Plain numpy CR3BP right-hand side (what a scipy user would write)."""
    x, yy, z, vx, vy, vz = y
    r1 = np.sqrt((x + mu) ** 2 + yy**2 + z**2)
    r2 = np.sqrt((x - 1 + mu) ** 2 + yy**2 + z**2)
    ax = 2 * vy + x - (1 - mu) * (x + mu) / r1**3 - mu * (x - 1 + mu) / r2**3
    ay = -2 * vx + yy - (1 - mu) * yy / r1**3 - mu * yy / r2**3
    az = -(1 - mu) * z / r1**3 - mu * z / r2**3
    return np.array([vx, vy, vz, ax, ay, az])


class EphemerisNumpyRHS:
    """The ephemeris model in numpy + jplephem (what a scipy user would write)."""

    def __init__(self, params):
        from jplephem.pck import PCK
        from jplephem.spk import SPK

        e = Ephemeris()
        self.spk = SPK.open(e.spk_path)
        self.pck = PCK.open(e.pck_path)
        self.p = params

    def __call__(self, t, y):
        p = self.p
        jd = (2451545.0, t / 86400.0)
        earth = self.spk[3, 399].compute(*jd)
        moon = self.spk[3, 301].compute(*jd) - earth
        sun = self.spk[0, 10].compute(*jd) - self.spk[0, 3].compute(*jd) - earth
        r = y[:3]
        rr = np.linalg.norm(r)
        a = -p[forces.P_GM_EARTH] * r / rr**3
        pole = np.array(forces.earth_pole(t, 1))
        rp = r @ pole
        a += -1.5 * p[forces.P_J2_EARTH] * p[forces.P_GM_EARTH] * p[forces.P_R_EARTH_J2] ** 2 \
            / rr**5 * ((1 - 5 * rp**2 / rr**2) * r + 2 * rp * pole)
        for gm, s in ((p[forces.P_GM_MOON], moon), (p[forces.P_GM_SUN], sun)):
            d = r - s
            a -= gm * (d / np.linalg.norm(d) ** 3 + s / np.linalg.norm(s) ** 3)
        d = r - moon
        rho = np.linalg.norm(d)
        if rho < p[forces.P_MOON_HARMONICS_RADIUS]:
            phi, theta, psi = self.pck.segments[0].compute(*jd, derivative=False)
            m = np.array(forces.moon_pa_rotation(phi, theta, psi)).reshape(3, 3)
            b = m @ d
            k = p[forces.P_GM_MOON] * p[forces.P_R_MOON_J2] ** 2 / rho**5
            z5 = 5 * b[2] ** 2 / rho**2
            g = -1.5 * p[forces.P_J2_MOON] * k * b * np.array([1 - z5, 1 - z5, 3 - z5])
            w = 5 * (b[0] ** 2 - b[1] ** 2) / rho**2
            g += 3 * p[forces.P_C22_MOON] * k * np.array([2 * b[0] - w * b[0],
                                                          -2 * b[1] - w * b[1], -w * b[2]])
            a += m.T @ g
        return np.r_[y[3:], a]


def to_heyoka(y):
    """massdriver rotating state -> heyoka.model.cr3bp variables (x, y, z, px, py, pz).

    heyoka puts the primary at (+mu, 0, 0) and the secondary at (mu - 1, 0, 0) (our frame turned
    by 180 deg about z) and uses canonical momenta px = vx - y, py = vy + x.
    """
    x, yy, z, vx, vy, vz = -y[0], -y[1], y[2], -y[3], -y[4], y[5]
    return np.array([x, yy, z, vx - yy, vy + x, vz])


def from_heyoka(s):
    x, yy, z = s[0], s[1], s[2]
    vx, vy = s[3] + yy, s[4] - x
    return np.array([-x, -yy, z, -vx, -vy, s[5]])


# --- timing helpers ---------------------------------------------------------------------------


def best_of(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times)


def heyoka_best_of(ta, s0, t1, repeat):
    """Best and median time of heyoka's ``propagate_until(t1)`` from ``s0``: the state reset
    runs outside the timer (massdriver's kernels take the initial state as an argument)."""
    times = []
    for _ in range(repeat):
        ta.state[:] = s0
        ta.time = 0.0
        t = time.perf_counter()
        ta.propagate_until(t1)
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times)


@numba.njit
def _kernel_loop(n, regularize, model, t0, y0, t1, rtol, atol, params, eph, modes, no_eval):
    acc = 0.0
    for _ in range(n):
        if regularize:
            acc += sundman.integrate(model, t0, y0, t1, rtol, atol, np.inf, 0.0, params, eph,
                                     modes, no_eval, False, 10**7, 1)[1]
        else:
            acc += dop853.integrate(model, t0, y0, t1, rtol, atol, np.inf, 0.0, params, eph,
                                    modes, no_eval, False, 10**7, 1)[1]
    return acc


def _per_call(loop, args, repeat):
    """Best time per iteration of the compiled ``loop(n, *args)`` (loops of ~2 ms)."""
    loop(1, *args)
    t = time.perf_counter()
    loop(1, *args)
    n = max(1, int(2e-3 / max(time.perf_counter() - t, 1e-7)))
    best = math.inf
    for _ in range(repeat):
        t = time.perf_counter()
        loop(n, *args)
        best = min(best, (time.perf_counter() - t) / n)
    return best


def kernel_from_compiled(model, t0, y0, t1, rtol, atol, params, eph, repeat,
                         regularize=False):
    """Best per-shot time of the DOP853 kernel called from compiled code."""
    modes = np.zeros(forces.N_EVENTS, dtype=np.int64)
    args = (bool(regularize), model, t0, y0, t1, rtol, atol, params, eph, modes, np.empty(0))
    return _per_call(_kernel_loop, args, repeat)


@numba.njit
def _taylor_loop(n, entry, t0, y0, t1, rtol, atol, params, modes, no_eval):
    acc = 0.0
    for _ in range(n):
        acc += entry(0, t0, y0, t1, rtol, atol, np.inf, params, modes, no_eval, False, 10**7,
                     1)[1]
    return acc


def taylor_from_compiled(y0, t1, rtol, atol, params, repeat):
    """Best per-shot time of the Taylor entry point of ``rtol``'s order called from compiled
    code (the entry is a function argument here: this loop is not cached)."""
    args = (INTEGRATORS[taylor.order_for(rtol)], 0.0, y0, t1, rtol, atol, params,
            np.zeros(forces.N_EVENTS, dtype=np.int64), np.empty(0))
    return _per_call(_taylor_loop, args, repeat)


# --- main ---------------------------------------------------------------------------------------


def measure_single(name, model, t0, y0, t1, params, e, atol, rtol, rep, fun_np, tab, hy):
    """All single-shot timings of one model and tolerance."""
    modes = np.zeros(forces.N_EVENTS, dtype=np.int64)
    no_eval = np.empty(0)
    out = propagate.propagate(model, t0, y0, t1, params, e, rtol=rtol, atol=atol,
                           store_steps=False)
    res = {"model": name, "rtol": rtol, "steps": out.nsteps, "rejected": out.nrejected,
           "nfev": out.nfev}
    res["kernel"] = best_of(lambda: dop853.integrate(
        model, t0, y0, t1, rtol, atol, np.inf, 0.0, params, e, modes, no_eval, False, 10**7, 1),
        rep)
    res["propagate"] = best_of(lambda: propagate.propagate(
        model, t0, y0, t1, params, e, rtol=rtol, atol=atol, store_steps=False), rep)
    res["compiled"] = kernel_from_compiled(model, t0, y0, t1, rtol, atol, params, e,
                                           max(5, rep // 5))
    reg = propagate.propagate(model, t0, y0, t1, params, e, rtol=rtol, atol=atol,
                           store_steps=False, regularize=True)
    res["sundman_steps"], res["sundman_rejected"], res["sundman_nfev"] = (
        reg.nsteps, reg.nrejected, reg.nfev)
    res["sundman"] = best_of(lambda: sundman.integrate(
        model, t0, y0, t1, rtol, atol, np.inf, 0.0, params, e, modes, no_eval, False, 10**7, 1),
        rep)
    res["sundman_compiled"] = kernel_from_compiled(model, t0, y0, t1, rtol, atol, params, e,
                                                   max(5, rep // 5), regularize=True)

    # scipy with the numba right-hand side (called from Python at every stage) and with numpy
    def fun_nb(t, y):
        return forces.derivative(model, t, y, params, tab)

    sp_rep = max(3, rep // 20)
    ref = solve_ivp(fun_nb, (t0, t1), y0, method="DOP853", rtol=rtol, atol=atol)
    res["scipy_numba"] = best_of(lambda: solve_ivp(fun_nb, (t0, t1), y0, method="DOP853",
                                                   rtol=rtol, atol=atol), sp_rep)
    res["scipy_numpy"] = best_of(lambda: solve_ivp(fun_np, (t0, t1), y0, method="DOP853",
                                                   rtol=rtol, atol=atol), max(2, sp_rep // 2))
    res["scipy_nfev"] = ref.nfev
    res["agree"] = float(np.max(np.abs(ref.y[:, -1] - out.y_final)
                                / (np.abs(ref.y[:, -1]) + atol / rtol)))
    if model == 0:
        tay = propagate.propagate(model, t0, y0, t1, params, e, rtol=rtol, atol=atol,
                               store_steps=False, method="taylor")
        res["taylor_order"], res["taylor_steps"] = taylor.order_for(rtol), tay.nsteps
        res["taylor"] = best_of(lambda: taylor.integrate(
            model, t0, y0, t1, rtol, atol, np.inf, 0.0, params, e, modes, no_eval, False,
            10**7, 1), rep)
        res["taylor_compiled"] = taylor_from_compiled(y0, t1, rtol, atol, params,
                                                      max(5, rep // 5))
        # the fixed cost of a call from Python: one step of 1e-9 time units
        res["taylor_call"] = best_of(lambda: taylor.integrate(
            model, t0, y0, t0 + 1e-9, rtol, atol, np.inf, 0.0, params, e, modes, no_eval, False,
            10**7, 1), 20 * rep)[0]
    if hy is not None and model == 0:
        ta = hy.taylor_adaptive(hy.model.cr3bp(mu=MU), to_heyoka(y0), tol=rtol)
        res["heyoka_call"] = heyoka_best_of(ta, to_heyoka(y0), 1e-9, 20 * rep)[0]
        res["heyoka"] = heyoka_best_of(ta, to_heyoka(y0), t1, rep)
        res["heyoka_dev"] = float(np.max(np.abs(from_heyoka(ta.state) - out.y_final)))
    return res




def work_precision(hy, y_c, t1_c, p_c, rep):
    """Global error at the end of the CR3BP coast against a long-double heyoka reference
    (tol 1e-19), and the time, of massdriver's DOP853 and heyoka at the same nominal tolerances:
    a work-precision comparison (what each tolerance buys)."""
    ld = hy.taylor_adaptive(hy.model.cr3bp(mu=np.longdouble(MU)),
                            to_heyoka(y_c).astype(np.longdouble), tol=np.longdouble(1e-19),
                            fp_type=np.longdouble)
    ld.propagate_until(np.longdouble(t1_c))
    ref = from_heyoka(np.array(ld.state, dtype=float))
    modes = np.zeros(forces.N_EVENTS, dtype=np.int64)
    no_eval = np.empty(0)
    print("\n## Work precision, CR3BP 5-day coast: position error at the end (m) against "
          "heyoka in long double at tol 1e-19, and best-of time (us)\n")
    print("| rtol | massdriver DOP853 error | massdriver time | massdriver RHS evaluations | "
          "Sundman error | Sundman time | Sundman RHS evaluations | "
          "Taylor error | Taylor time | Taylor steps | "
          "heyoka error | heyoka time | heyoka steps |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for rtol in (1e-8, 1e-9, 1e-10, 1e-11, 1e-12, 1e-13):
        atol = np.full(6, 1e-3 * rtol)
        out = propagate.propagate(0, 0.0, y_c, t1_c, p_c, None, rtol=rtol, atol=atol,
                               store_steps=False)
        err = np.max(np.abs(out.y_final[:3] - ref[:3])) * L * 1e3
        t_ours = best_of(lambda rtol=rtol, atol=atol: dop853.integrate(
            0, 0.0, y_c, t1_c, rtol, atol, np.inf, 0.0, p_c, None, modes, no_eval, False,
            10**7, 1), rep)[0]
        reg = propagate.propagate(0, 0.0, y_c, t1_c, p_c, None, rtol=rtol, atol=atol,
                               store_steps=False, regularize=True)
        err_s = np.max(np.abs(reg.y_final[:3] - ref[:3])) * L * 1e3
        t_s = best_of(lambda rtol=rtol, atol=atol: sundman.integrate(
            0, 0.0, y_c, t1_c, rtol, atol, np.inf, 0.0, p_c, None, modes, no_eval, False,
            10**7, 1), rep)[0]
        tay = propagate.propagate(0, 0.0, y_c, t1_c, p_c, None, rtol=rtol, atol=atol,
                               store_steps=False, method="taylor")
        err_t = np.max(np.abs(tay.y_final[:3] - ref[:3])) * L * 1e3
        t_t = best_of(lambda rtol=rtol, atol=atol: taylor.integrate(
            0, 0.0, y_c, t1_c, rtol, atol, np.inf, 0.0, p_c, None, modes, no_eval, False,
            10**7, 1), rep)[0]
        ta = hy.taylor_adaptive(hy.model.cr3bp(mu=MU), to_heyoka(y_c), tol=rtol)

        steps = ta.propagate_until(t1_c)[3]
        herr = np.max(np.abs(from_heyoka(ta.state)[:3] - ref[:3])) * L * 1e3
        t_hy = heyoka_best_of(ta, to_heyoka(y_c), t1_c, rep)[0]
        print(f"| {rtol:.0e} | {err:.2g} | {t_ours * 1e6:.1f} | {out.nfev} | {err_s:.2g} | "
              f"{t_s * 1e6:.1f} | {reg.nfev} | {err_t:.2g} | {t_t * 1e6:.1f} | {tay.nsteps} | "
              f"{herr:.2g} | {t_hy * 1e6:.1f} | {steps} |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions, 2,000-shot batch")
    ap.add_argument("--accuracy", action="store_true",
                    help="only the CR3BP work-precision table (needs heyoka)")
    args = ap.parse_args(argv)
    rep = 20 if args.quick else 100
    n_batch = 2000 if args.quick else 10000

    try:
        import heyoka as hy
    except ImportError:          # optional: the comparison is skipped
        hy = None

    numba.set_num_threads(min(THREADS, numba.config.NUMBA_NUM_THREADS))
    print(f"# {platform.processor() or platform.machine()}, {numba.get_num_threads()} numba "
          f"threads, numba {numba.__version__}, numpy {np.__version__}"
          + (f", heyoka {hy.__version__}" if hy else ", heyoka not installed"))
    eph = Ephemeris().kernel_tables()
    t1_e = T0 + DAYS * 86400.0
    t1_c = DAYS * 86400.0 / TU
    y_e = lunar_launch(eph, T0, 2.50)
    y_c = to_rotating(eph, T0, y_e)
    p_c = forces.cr3bp_params()
    p_e = forces.ephemeris_params()
    tab = forces.pack_ephemeris(eph, T0, t1_e)
    scale_e = np.array([L, L, L, VU, VU, VU])

    # warm up / compile everything first
    for model in (forces.MODEL_CR3BP, forces.MODEL_EPHEMERIS):
        propagate.propagate(model, 0.0 if model == 0 else T0, y_c if model == 0 else y_e,
                         t1_c if model == 0 else t1_e, p_c if model == 0 else p_e,
                         None if model == 0 else eph)
        propagate.propagate(model, 0.0 if model == 0 else T0, y_c if model == 0 else y_e,
                         t1_c if model == 0 else t1_e, p_c if model == 0 else p_e,
                         None if model == 0 else eph, regularize=True)
    for rtol in (1e-8, 1e-9, 1e-10, 1e-11, 1e-12, 1e-13):     # one Taylor entry per order
        propagate.propagate(0, 0.0, y_c, t1_c, p_c, None, rtol=rtol, method="taylor")
    forces.derivative(0, 0.0, y_c, p_c, None)
    forces.derivative(1, T0, y_e, p_e, tab)

    if args.accuracy:
        if hy is None:
            print("heyoka is not installed: no work-precision table")
            return 1
        work_precision(hy, y_c, t1_c, p_c, rep)
        return 0

    rows = []
    for rtol in (1e-10, 1e-12):
        atol_c = np.full(6, 1e-3 * rtol)
        atol_e = 1e-3 * rtol * scale_e
        rows.append(measure_single("CR3BP", 0, 0.0, y_c, t1_c, p_c, None, atol_c, rtol, rep,
                                   cr3bp_numpy_rhs, None, hy))
        rows.append(measure_single("ephemeris", 1, T0, y_e, t1_e, p_e, eph, atol_e, rtol, rep,
                                   EphemerisNumpyRHS(p_e), tab, hy))

    print("\n## Single shot (5-day coast), best of N [median] in microseconds\n")
    print("| model | rtol | steps (rej) | nfev | kernel | propagate() | from compiled | "
          "Sundman steps (rej) | Sundman nfev | Sundman kernel | Sundman from compiled | "
          "scipy+numba RHS | scipy+numpy RHS | heyoka scalar |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        def us(key, r=r):
            if key not in r:
                return "n/a"
            b, m = r[key] if isinstance(r[key], tuple) else (r[key], r[key])
            return f"{b * 1e6:,.1f} [{m * 1e6:,.0f}]"
        print(f"| {r['model']} | {r['rtol']:.0e} | {r['steps']} ({r['rejected']}) | {r['nfev']} "
              f"(scipy {r['scipy_nfev']}) | {us('kernel')} | {us('propagate')} | "
              f"{r['compiled'] * 1e6:,.1f} | {r['sundman_steps']} ({r['sundman_rejected']}) | "
              f"{r['sundman_nfev']} | {us('sundman')} | {r['sundman_compiled'] * 1e6:,.1f} | "
              f"{us('scipy_numba')} | {us('scipy_numpy')} | {us('heyoka')} |")
    print("\nRatios (best times; > 1 means massdriver's kernel called from Python is faster):\n")
    for r in rows:
        k = r["kernel"][0]
        line = (f"- {r['model']} rtol {r['rtol']:.0e}: scipy+numpy / kernel = "
                f"{r['scipy_numpy'][0] / k:,.0f}x, scipy+numba / kernel = "
                f"{r['scipy_numba'][0] / k:,.0f}x")
        line += f", scipy+numba / Sundman kernel = {r['scipy_numba'][0] / r['sundman'][0]:,.0f}x"
        if "heyoka" in r:
            line += (f", heyoka / kernel = {r['heyoka'][0] / k:.2f}, heyoka / from-compiled = "
                     f"{r['heyoka'][0] / r['compiled']:.2f}, heyoka / Sundman kernel = "
                     f"{r['heyoka'][0] / r['sundman'][0]:.2f}, heyoka / Sundman from-compiled"
                     f" = {r['heyoka'][0] / r['sundman_compiled']:.2f}")
        if "taylor" in r:
            line += f", scipy+numba / Taylor kernel = {r['scipy_numba'][0] / r['taylor'][0]:,.0f}x"
        line += f"; max rel. deviation from scipy {r['agree']:.1e}"
        if "heyoka_dev" in r:
            line += f", from heyoka {r['heyoka_dev']:.1e}"
        print(line)

    print("\n## Taylor method (CR3BP), best of N [median] in microseconds\n")
    print("| rtol | order | steps | Taylor kernel | Taylor from compiled | heyoka scalar | "
          "heyoka / Taylor kernel | heyoka / Taylor from compiled | one-step call: Taylor, "
          "heyoka | heyoka / Taylor, call costs taken out |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "taylor" not in r:
            continue
        hy_cells = ("n/a", "n/a", "n/a", f"{r['taylor_call'] * 1e6:.2f}, n/a", "n/a")
        if "heyoka" in r:
            hb, hm = r["heyoka"]
            net = (hb - r["heyoka_call"]) / (r["taylor"][0] - r["taylor_call"])
            hy_cells = (f"{hb * 1e6:.1f} [{hm * 1e6:.0f}]", f"{hb / r['taylor'][0]:.2f}",
                        f"{hb / r['taylor_compiled']:.2f}",
                        f"{r['taylor_call'] * 1e6:.2f}, {r['heyoka_call'] * 1e6:.2f}",
                        f"{net:.2f}")
        print(f"| {r['rtol']:.0e} | {r['taylor_order']} | {r['taylor_steps']} | "
              f"{r['taylor'][0] * 1e6:.1f} [{r['taylor'][1] * 1e6:.0f}] | "
              f"{r['taylor_compiled'] * 1e6:.1f} | " + " | ".join(hy_cells) + " |")

    # --- batch --------------------------------------------------------------------------------
    rng = np.random.default_rng(2027)
    speeds = rng.uniform(2.42, 2.49, n_batch)
    elev = rng.uniform(15.0, 25.0, n_batch)
    azim = rng.uniform(-5.0, 5.0, n_batch)
    epochs = T0 + rng.uniform(0.0, 27.3 * 86400.0, n_batch)
    y_ce = np.array([lunar_launch(eph, T0, s, e, a) for s, e, a in zip(speeds, elev, azim,
                                                                       strict=True)])
    y_cb = np.array([to_rotating(eph, T0, y) for y in y_ce])
    y_eb = np.array([lunar_launch(eph, t, s, e, a) for t, s, e, a in zip(epochs, speeds, elev,
                                                                         azim, strict=True)])
    print(f"\n## Batch of {n_batch:,} shots (shots per second; best of {BATCH_ROUNDS} alternating "
          "rounds)\n")
    print("| model | rtol | threads | massdriver batch | with perigee event (terminal) | "
          "Taylor batch | Taylor, perigee event | heyoka ensemble (batch integrator) | "
          "heyoka batch, Python threads | heyoka scalar | scipy+numba (extrapolated) | "
          "Taylor batch speed / heyoka's faster batch drive |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for rtol in (1e-10, 1e-12):
        for name, model, t0s, y0s, dur, params, e, atol in (
                ("CR3BP", 0, np.zeros(n_batch), y_cb, t1_c, p_c, None, np.full(6, 1e-3 * rtol)),
                ("ephemeris", 1, epochs, y_eb, DAYS * 86400.0, p_e, eph,
                 1e-3 * rtol * scale_e)):
            single = next(r for r in rows if r["model"] == name and r["rtol"] == rtol)
            for threads in (1, THREADS):
                res = measure_batch(hy, model, t0s, y0s, t0s + dur, params, e, atol, rtol,
                                    threads)
                scipy_rate = threads / single["scipy_numba"][0]
                cells = [f"{n_batch / res[k]:,.0f}" if k in res else "n/a"
                         for k in ("md", "md_perigee", "md_taylor", "md_taylor_perigee",
                                   "hy_ensemble", "hy_batch", "hy_scalar")]
                # against heyoka's faster drive of the two (its ensemble path copies the
                # integrator per block of lanes, which dominates on coasts this short)
                hy_best = min(res.get("hy_ensemble", math.inf), res.get("hy_batch", math.inf))
                ratio = (f"{hy_best / res['md_taylor']:.2f}"
                         if math.isfinite(hy_best) and "md_taylor" in res else "n/a")
                print(f"| {name} | {rtol:.0e} | {threads} | " + " | ".join(cells)
                      + f" | {scipy_rate:,.0f} | {ratio} |")
    numba.set_num_threads(min(THREADS, numba.config.NUMBA_NUM_THREADS))
    return 0


BATCH_ROUNDS = 5


def measure_batch(hy, model, t0s, y0s, t1s, params, e, atol, rtol, threads):
    """Best wall-clock times (s) of the massdriver and heyoka batches, measured alternately."""
    numba.set_num_threads(threads)
    no_events = np.zeros(forces.N_EVENTS, dtype=np.int64)
    perigee = propagate.event_modes(terminal=["perigee", "moon_impact", "earth_impact"])

    tab = None if e is None else forces.pack_ephemeris(e, float(min(t0s.min(), t1s.min())),
                                                       float(max(t0s.max(), t1s.max())))

    def md(modes):
        return batch.propagate_batch(model, t0s, y0s, t1s, rtol, atol, np.inf, params, tab,
                                     modes, 10**7)

    def md_taylor(modes):
        return taylor.integrate_batch(t0s, y0s, t1s, rtol, atol, np.inf, params, modes, 10**7)

    md(no_events)
    runners = {"md": lambda: md(no_events), "md_perigee": lambda: md(perigee)}
    if model == 0:
        md_taylor(no_events)                  # compiles the order's kernel on the first run
        runners["md_taylor"] = lambda: md_taylor(no_events)
        runners["md_taylor_perigee"] = lambda: md_taylor(perigee)
    if hy is not None and model == 0:
        runners["hy_batch"] = heyoka_runner(hy, y0s, t1s[0], rtol, threads, "batch")
        runners["hy_ensemble"] = heyoka_runner(hy, y0s, t1s[0], rtol, threads, "ensemble")
    best = {k: math.inf for k in runners}
    for _ in range(BATCH_ROUNDS):
        for k, fn in runners.items():
            t = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - t)
    if hy is not None and model == 0:          # slow: once
        fn = heyoka_runner(hy, y0s, t1s[0], rtol, threads, "scalar")
        t = time.perf_counter()
        fn()
        best["hy_scalar"] = time.perf_counter() - t
    return best


def heyoka_runner(hy, y0s, t1, rtol, threads, mode):
    """A function running all shots through heyoka.

    ``"ensemble"``: heyoka's own parallel path, ``heyoka.ensemble_propagate_until`` on a
    ``taylor_adaptive_batch`` integrator (SIMD lanes), ``max_workers=threads`` (heyoka copies
    the integrator per block and propagates on its thread pool; the integration releases the
    GIL). ``"batch"`` / ``"scalar"``: one integrator per Python thread, looping over blocks of
    lanes / single shots."""
    lanes = hy.recommended_simd_size() if mode in ("batch", "ensemble") else 1
    n = len(y0s)
    states = np.array([to_heyoka(y) for y in y0s])
    dyn = hy.model.cr3bp(mu=MU)
    if mode == "ensemble":
        n_blocks = -(-n // lanes)
        padded = np.vstack([states, np.repeat(states[-1:], n_blocks * lanes - n, 0)])
        blocks = padded.reshape(n_blocks, lanes, 6).transpose(0, 2, 1).copy()
        proto = hy.taylor_adaptive_batch(dyn, blocks[0].copy(), tol=rtol)

        def gen(ta, i):
            ta.set_time(0.0)
            ta.state[:] = blocks[i]
            return ta

        def run_ensemble():
            return hy.ensemble_propagate_until(proto, t1, n_blocks, gen, max_workers=threads)

        run_ensemble()                         # warm-up
        return run_ensemble
    if mode == "batch":
        tas = [hy.taylor_adaptive_batch(dyn, states[:lanes].T.copy(), tol=rtol)
               for _ in range(threads)]
    else:
        tas = [hy.taylor_adaptive(dyn, states[0], tol=rtol) for _ in range(threads)]
    bounds = np.linspace(0, n // lanes, threads + 1).astype(int) * lanes
    bounds[-1] = n

    def work(k):
        ta = tas[k]
        lo, hi = bounds[k], bounds[k + 1]
        if mode == "batch":
            for i in range(lo, hi, lanes):
                block = states[i:i + lanes]
                if len(block) < lanes:                         # pad the last block
                    block = np.vstack([block, np.repeat(block[-1:], lanes - len(block), 0)])
                ta.set_time(0.0)
                ta.state[:] = block.T
                ta.propagate_until(t1)
        else:
            for i in range(lo, hi):
                ta.time = 0.0
                ta.state[:] = states[i]
                ta.propagate_until(t1)

    def run():
        pool = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
        for th in pool:
            th.start()
        for th in pool:
            th.join()

    run()              # warm-up (first call compiles nothing, but touches the memory)
    return run


if __name__ == "__main__":
    raise SystemExit(main())
