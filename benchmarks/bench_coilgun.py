"""Coilgun benchmark: a ~300-stage shot to 2.5 km/s and a design solve, vs scipy solve_ivp.

Run::

    python benchmarks/bench_coilgun.py [--repeat N] [--mc-shots N] [--mc-baseline-shots N]
        [--mc-scipy-shots N]

The shot runs with every loss model on (the defaults of ``massdriver.coilgun_losses``: capacitor
ESR, thyristor drop and slope, Dowell AC resistance); the baseline integrates the same circuits
(same resistances and switch drop). The launcher Monte Carlo (``--mc-shots``, default 10,000, of
the default ``[tolerances]``) runs in the batched ``prange`` kernel at the Monte Carlo controls
(``MC_RTOL`` and ``mc_controls``); its baselines: scipy ``solve_ivp`` on ``--mc-scipy-shots``
of the same samples at the same rtol (default 3, extrapolated per shot and so labelled), and
the serial single-shot kernel at the previous controls (rtol 1e-6, tight events) on
``--mc-baseline-shots`` (default 300), which with an rtol 1e-8 run of the same samples is the
convergence check of the exit-speed sigma.

Needs the package only (``pip install .``). Prints the wall-clock figures (both sides warmed
by one call first, then best of ``N`` runs each, default 3) and the ratio to a
baseline that integrates the *same* coupled ODE (same coupling tables, active set, SCR events)
with ``scipy.integrate.solve_ivp`` (RK45, Dormand-Prince 5(4)) and a numpy right-hand side.
"""

from __future__ import annotations

import time

import astropy.units as u
import numpy as np
from massdriver.kernels import coilgun as kc
from scipy.integrate import solve_ivp

from massdriver.coilgun import design, simulate


def best_of(fn, repeat):
    """Best wall-clock and best CPU (process) time of ``repeat`` calls, and the last result.

    The CPU time is what the code costs; on a loaded shared machine the wall clock also counts
    the time other processes hold the cores."""
    best = cpu = float("inf")
    out = None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        best = min(best, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    return best, cpu, out


def solve_ivp_shot(gun, mass, rtol, sp=None):
    """The same model (driven armature, SCR stages) integrated by solve_ivp, event by event
    (``sp``: stage parameters to use instead of the launcher's, e.g. a Monte Carlo sample)."""
    k = gun.kernel_inputs()
    if sp is not None:
        k = {**k, "sp": sp, "fire_order": np.argsort(sp[:, kc.P_TRIG], kind="stable")}
    sp, tab, tab_n, tab_x0, tab_h = k["sp"], k["tab"], k["tab_n"], k["tab_x0"], k["tab_h"]
    geom, mss, la = k["geom"], k["mss"], k["l_arm"][0, 0]
    depth = mss.shape[1]
    order = k["fire_order"]
    x_end = gun.muzzle.to_value(u.m)
    t, y_x, y_v, i_a = 0.0, gun.start.to_value(u.m), 0.0, k["i_arm0"][0]
    active: list[int] = []
    cur: dict[int, float] = {}
    volt: dict[int, float] = {}
    nxt = 0
    nfev = 0
    while nxt < len(order) and sp[order[nxt], kc.P_TRIG] <= y_x:
        active.append(int(order[nxt]))
        cur[active[-1]], volt[active[-1]] = 0.0, sp[active[-1], kc.P_V0]
        nxt += 1

    def rhs(_t, y):
        x, v, ia = y[0], y[1], y[2]
        n = len(active)
        m = np.zeros(n)
        dm = np.zeros(n)
        lm = np.zeros((n + 1, n + 1))
        lm[0, 0] = la
        for s, st in enumerate(active):
            g = geom[st]
            m[s], dm[s] = kc.hermite_eval(tab[g], tab_n[g], tab_x0[g], tab_h[g],
                                          x - sp[st, kc.P_X])
            lm[0, s + 1] = lm[s + 1, 0] = m[s]
            lm[s + 1, s + 1] = sp[st, kc.P_L]
            for s2 in range(s + 1, n):
                d = abs(active[s2] - st)
                if 0 < d <= depth:
                    lm[s + 1, s2 + 1] = lm[s2 + 1, s + 1] = mss[min(st, active[s2]), d - 1]
        ik = y[3:3 + n]
        vc = y[3 + n:3 + 2 * n]
        e = np.empty(n + 1)
        e[0] = -v * np.dot(dm, ik)
        e[1:] = vc - sp[active, kc.P_VDROP] - sp[active, kc.P_RON] * ik - v * dm * ia
        di = np.linalg.solve(lm, e)
        force = ia * np.dot(ik, dm)
        return np.concatenate(([v, force / mass], di, -ik / sp[active, kc.P_C]))

    while True:
        n = len(active)
        y0 = np.concatenate(([y_x, y_v, i_a], [cur[s] for s in active], [volt[s] for s in active]))
        events = []
        trig = sp[order[nxt], kc.P_TRIG] if nxt < len(order) else np.inf
        def ev_trig(_t, y, xt=trig):
            return (y[0] - xt)
        ev_trig.terminal, ev_trig.direction = True, 1
        def ev_muzzle(_t, y):
            return (y[0] - x_end)
        ev_muzzle.terminal, ev_muzzle.direction = True, 1
        events += [ev_trig, ev_muzzle]
        for s in range(n):
            sign = 1.0 if sp[active[s], kc.P_V0] > 0 else -1.0
            def ev(_t, y, j=3 + s, sg=sign):
                return (sg * y[j])
            ev.terminal, ev.direction = True, -1
            events.append(ev)
        sol = solve_ivp(rhs, (t, t + 10.0), y0, method="RK45", rtol=rtol,
                        atol=rtol * np.concatenate(([1.0, 1.0, 1e3], np.full(2 * n, 1e3))),
                        events=events)
        nfev += sol.nfev
        t = sol.t[-1]
        y = sol.y[:, -1]
        y_x, y_v, i_a = y[0], y[1], y[2]
        for s, st in enumerate(active):
            cur[st], volt[st] = y[3 + s], y[3 + n + s]
        hit = [j for j, te in enumerate(sol.t_events) if te.size]
        if not hit or 1 in hit:
            return y_v, t, nfev
        if 0 in hit:
            st = int(order[nxt])
            active.append(st)
            cur[st], volt[st] = 0.0, sp[st, kc.P_V0]
            nxt += 1
        for j in sorted((j - 2 for j in hit if j >= 2), reverse=True):
            del active[j]


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3,
                        help="best of N for the shot AND the scipy baseline, both warmed first "
                             "(default 3)")
    parser.add_argument("--mc-shots", type=int, default=10_000,
                        help="Monte Carlo shots in the batched kernel (default 10000; 0 skips)")
    parser.add_argument("--mc-baseline-shots", type=int, default=300,
                        help="shots of the serial 'before' loop and the convergence check "
                             "(default 300)")
    parser.add_argument("--mc-scipy-shots", type=int, default=3,
                        help="shots of the scipy solve_ivp baseline, extrapolated (default 3)")
    args = parser.parse_args()
    print("# coilgun benchmark (2 shared cores; numba compiled and cached first)")
    mass, speed, g_max = 1000 * u.kg, 2.5 * u.km / u.s, 5000.0
    d = design(mass, speed, g_max, max_voltage=100 * u.kV)       # warm-up + compilation
    t_design, c_design, d = best_of(lambda: design(mass, speed, g_max, max_voltage=100 * u.kV),
                                    3)
    gun = d.coilgun
    print(f"design solve: {mass:g} to {speed:g} at <= {g_max:g} g -> {gun.n_stages} stages, "
          f"{d.shot.track_length:.1f}, peak {d.shot.peak_g:.0f} g, exit "
          f"{d.shot.exit_speed:.3f}, efficiency {d.shot.efficiency:.4f}, "
          f"{d.iterations} simulations: {t_design:.3f} s wall, {c_design:.3f} s CPU "
          "(target < 5 s)")
    simulate(gun, record=False)
    t_shot, c_shot, shot = best_of(lambda: simulate(gun, record=False), args.repeat)
    print(f"shot: {gun.n_stages} stages to {shot.exit_speed:.3f}, rtol 1e-8, "
          f"{shot.n_steps} steps, {shot.n_rhs} RHS, energy balance "
          f"{shot.energy_balance_error:.1e}: {1e3 * t_shot:.2f} ms wall, {1e3 * c_shot:.2f} ms "
          "CPU (target < 25 ms with all losses)")
    m_tot = (mass + gun.carrier_mass).to_value(u.kg)
    solve_ivp_shot(gun, m_tot, 1e-8)                              # warm-up, as for the shot
    t_base, c_base, (v_ref, t_ref, nfev) = best_of(lambda: solve_ivp_shot(gun, m_tot, 1e-8),
                                                   args.repeat)
    print(f"baseline scipy solve_ivp (RK45, numpy RHS, same tables/events): exit "
          f"{v_ref:.3f} m/s ({(v_ref / shot.exit_speed.to_value(u.m / u.s) - 1):+.1e}), "
          f"{nfev} RHS: {t_base:.2f} s wall, {c_base:.2f} s CPU")
    print(f"speed-up vs solve_ivp (both warm, best of {args.repeat} each): "
          f"{t_base / t_shot:.0f}x wall, {c_base / c_shot:.0f}x CPU")
    if args.mc_shots > 0:
        monte_carlo_bench(gun, mass, args.mc_shots, args.mc_baseline_shots,
                          args.mc_scipy_shots)


def monte_carlo_bench(gun, mass, n_shots: int, n_base: int, n_scipy: int) -> None:
    """The launcher Monte Carlo: batched prange kernel at the Monte Carlo controls, against
    (a) scipy solve_ivp shots of the same samples at the same rtol (extrapolated), (b) a
    serial loop of the compiled single-shot kernel at the previous controls (rtol 1e-6,
    tight events; the "before"), which also gives the convergence check of the sigma."""
    import numba
    from massdriver.kernels import coilgun_batch as kb

    from massdriver.coilgun_tolerances import MC_RTOL, Tolerances, mc_controls, sample_inputs

    tol = gun.tolerances or Tolerances()
    m_tot = (mass + gun.carrier_mass).to_value(u.kg)
    nominal = simulate(gun, mass)
    v_scale, shift, masses = sample_inputs(gun, nominal, n_shots, tol, 0, m_tot)
    k = gun.kernel_inputs()
    model = kc.make_model(k, m_tot)
    mcc = mc_controls(MC_RTOL)
    common = dict(x0=gun.start.to_value(u.m), v0=0.0, x_muzzle=gun.muzzle.to_value(u.m),
                  t_max=5.0 * nominal.time_on_track.to_value(u.s) + 1.0, retire_tol=1e-4,
                  max_slots=64, max_steps=20_000_000, i_scale=float(k["i_scale"]),
                  record=False)
    ctl = kc.ShotControls(rtol=MC_RTOL, **mcc, **common)
    t0 = time.perf_counter()
    kb.simulate_batch(model, ctl, v_scale[:2], shift[:2], masses[:2])    # compile / load
    t_compile = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    out = kb.simulate_batch(model, ctl, v_scale, shift, masses)
    t_mc, c_mc = time.perf_counter() - t0, time.process_time() - c0
    ok = out[:, 0] == kc.STATUS_MUZZLE
    nth = numba.get_num_threads()
    print(f"Monte Carlo: {n_shots} shots of {gun.n_stages} stages (rtol {MC_RTOL:g}, event "
          f"tol x{mcc['event_tol']:g}, first step {mcc['fire_step']:g} LC after a fire, "
          f"steps landing on triggers; {nth} threads; first call "
          f"{t_compile:.1f} s incl. compile/load): {t_mc:.1f} s wall, {c_mc:.1f} s CPU "
          f"(= {c_mc / nth:.1f} s on {nth} free cores; target < 30 s); exit speed sigma "
          f"{np.std(out[ok, 1], ddof=1):.4f} m/s, {int(np.count_nonzero(~ok))} failed")

    def sample_sp(i):
        sp = k["sp"].copy()
        sp[:, kc.P_V0] *= v_scale[i]
        sp[:, kc.P_TRIG] += shift[i]
        return sp

    # (a) scipy solve_ivp, same samples, same rtol
    n_sc = min(n_scipy, n_shots)
    if n_sc > 0:
        solve_ivp_shot(gun, masses[0], MC_RTOL, sample_sp(0))                  # warm-up
        t0, c0 = time.perf_counter(), time.process_time()
        v_sc = [solve_ivp_shot(gun, masses[i], MC_RTOL, sample_sp(i))[0] for i in range(n_sc)]
        t_sc = (time.perf_counter() - t0) / n_sc
        c_sc = (time.process_time() - c0) / n_sc
        dv = np.max(np.abs(np.array(v_sc) - out[:n_sc, 1]))
        print(f"baseline scipy solve_ivp (RK45, same circuits, rtol {MC_RTOL:g}) on {n_sc} of "
              f"the samples: {t_sc:.2f} s/shot wall, {c_sc:.2f} s CPU -> {c_sc * n_shots:.0f} s "
              f"CPU for {n_shots} (extrapolated); max |exit speed difference| {dv:.3f} m/s; "
              f"Monte Carlo speed-up {c_sc * n_shots / c_mc:.0f}x CPU, "
              f"{t_sc * n_shots / t_mc:.0f}x wall")
    # (b) the previous controls, serial: cost before, and the sigma's convergence
    n_b = min(n_base, n_shots)
    ctl_old = kc.ShotControls(rtol=1e-6, **common)
    ctl_ref = kc.ShotControls(rtol=1e-8, **common)
    v_old, v_ref = [], []
    t_b = c_b = 0.0
    for i in range(n_b):
        mdl = kc.make_model({**k, "sp": sample_sp(i),
                             "fire_order": np.argsort(sample_sp(i)[:, kc.P_TRIG],
                                                      kind="stable")}, masses[i])
        t0, c0 = time.perf_counter(), time.process_time()
        v_old.append(kc.simulate_shot(mdl, ctl_old).v)
        t_b += time.perf_counter() - t0
        c_b += time.process_time() - c0
        v_ref.append(kc.simulate_shot(mdl, ctl_ref).v)
    if n_b > 1:
        s_new = np.std(out[:n_b, 1], ddof=1)
        s_ref = np.std(v_ref, ddof=1)
        s_old = np.std(v_old, ddof=1)
        print(f"before: serial loop of the single-shot kernel at rtol 1e-6, tight events, "
              f"{n_b} shots: {1e3 * t_b / n_b:.1f} ms/shot wall, {1e3 * c_b / n_b:.1f} ms CPU "
              f"-> {c_b / n_b * n_shots:.0f} s CPU for {n_shots}; per-shot CPU now "
              f"{1e3 * c_mc / n_shots:.1f} ms ({c_b / n_b / (c_mc / n_shots):.1f}x less)")
        print(f"convergence on those {n_b} samples: exit-speed sigma {s_new:.5f} m/s (Monte "
              f"Carlo controls), {s_old:.5f} (rtol 1e-6), {s_ref:.5f} (rtol 1e-8): "
              f"{s_new / s_ref - 1:+.2e} relative (criterion: < 1e-2)")


if __name__ == "__main__":
    main()
