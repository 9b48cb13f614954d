"""Compiled firing scheduler of the throughput planner (``massdriver throughput``).

One event loop over time for every launcher of a plan. Each launcher carries a state: the epoch
it has reached ``t_now`` (TDB s), the energy stored in its banks ``bank`` (J, at most
``bank_capacity``, recharged at ``power`` W), the temperature rise of its coils above their
heat sink ``rise`` (K: each shot adds ``heat_per_joule * E``, it decays as
``exp(-dt / cooling_time)``) and the epoch of its last shot (``1 / max rate`` must separate two
shots). The launcher with the earliest ``t_now`` moves next (ties: lower index); at ``t_now``:

1. **Windows.** For each shell and each of its options (plane x arrival branch) the scan's total
   delta-v, exit speed and time of flight are interpolated linearly in time between the two grid
   epochs around ``t_now``. A shell's window is open where an option's total is under the
   threshold (both grid ends solved); its cheapest open option is the shot it would get.
2. **Demand.** A shell with a finite demand may have received at most
   ``min(cap, floor(rate * period * (floor((t - t_origin) / period) + 1)))`` shots by ``t``:
   each period's demand (a year, or the whole horizon if shorter) may be fired any time in that
   period, a shortfall carries over, and the whole ``cap`` is due by the end. A shell asking
   "as much as possible" has no cap.
3. **Choice.** Among the open shells whose demand is not met, the one with the best priority
   (lowest number), then the cheapest total, then the lower index.
4. **Readiness.** The shot needs ``E(v)`` in the banks, its heat ``heat_per_joule E`` must keep
   the coils under ``max_rise`` and the rate limit must have passed since the last shot. If all
   hold, it is fired (bank, temperature, demand and the shot record updated) at ``t_now``; else
   the launcher waits for the latest of the three (that one is the *binding constraint*).
   Without a candidate the launcher waits until the next grid epoch, the next threshold
   crossing of an interpolated total, or the next demand accrual; the constraint is
   ``no_window``, or ``demand_met`` if a window was open for a shell whose demand was met.

The binding constraint of each launcher is recorded as change points ``(t, launcher, code)``.

The loop stops at ``block_end`` (or when a buffer is full) with the state as it is between two
events; calling it again with that state continues exactly as one uninterrupted call would
(the time blocks of a distributed run hand the state over this way, bit for bit).
Units: s, J, W, K, km/s; floats only (no astropy).
"""

from __future__ import annotations

import math

import numpy as np
from massdriver.kernels.jit import jit

__all__ = ["schedule_block", "CONSTRAINT_NAMES", "NO_WINDOW", "RECHARGE", "HEATING",
           "DEMAND_MET", "RATE_LIMIT", "HORIZON_END"]

NO_WINDOW = 0
RECHARGE = 1
HEATING = 2
DEMAND_MET = 3
RATE_LIMIT = 4
HORIZON_END = 5
#: names of the constraint codes, in code order
CONSTRAINT_NAMES = ("no_window", "recharge", "heating", "demand_met", "rate_limit",
                    "horizon_end")
#: relative slack of the energy and temperature tests (rounding of the waits)
_SLACK = 1e-12
#: shortest advance of an idle launcher (s): guarantees progress
_MIN_ADVANCE = 1e-6


@jit
def _advance(k, t_new, t_now, bank, rise, power, bank_capacity, cooling_time):
    """Move launcher ``k`` to ``t_new``: recharge its banks and cool its coils."""
    dt = t_new - t_now[k]
    if dt > 0.0:
        b = bank[k] + power[k] * dt
        bank[k] = b if b < bank_capacity[k] else bank_capacity[k]
        if rise[k] != 0.0:
            rise[k] = rise[k] * math.exp(-dt / cooling_time[k])
    t_now[k] = t_new


@jit
def _record_change(k, t, code, last_code, change_t, change_launcher, change_code, n_changes):
    """Record that launcher ``k``'s binding constraint becomes ``code`` at ``t`` (nothing if it
    already is); returns the new count of change points."""
    if last_code[k] != code:
        change_t[n_changes] = t
        change_launcher[n_changes] = k
        change_code[n_changes] = code
        n_changes += 1
        last_code[k] = code
    return n_changes


@jit
def schedule_block(grid_start, grid_step, total, speed, tof, threshold,
                   power, bank_capacity, energy_ref, speed_ref, min_spacing,
                   heat_per_joule, cooling_time, max_rise,
                   priority, quota_rate, quota_cap, quota_period, t_origin, t_stop, block_end,
                   t_now, bank, rise, t_last, last_code, delivered,
                   out_t, out_launcher, out_shell, out_option, out_speed, out_tof, out_dv,
                   out_energy, change_t, change_launcher, change_code):
    """Schedule shots from the state until ``block_end`` (see the module notes).

    Parameters
    ----------
    grid_start, grid_step : float
        First epoch (TDB s) and spacing (s) of the scan grid.
    total, speed, tof : ndarray (L, S, O, G)
        Per launcher, shell, option and grid epoch: total delta-v (km/s), exit speed (km/s),
        time of flight (s); NaN where unsolved or no such option.
    threshold : float
        km/s.
    power, bank_capacity : ndarray (L,)
        W, J.
    energy_ref, speed_ref : ndarray (L,)
        Shot energy ``energy_ref (v / speed_ref)^2`` J, or ``energy_ref`` when ``speed_ref`` is 0.
    min_spacing : ndarray (L,)
        ``1 / max rate`` (s, 0 for none).
    heat_per_joule, cooling_time, max_rise : ndarray (L,)
        K per J of shot energy (0: no heating), s, K.
    priority : ndarray (S,) int64
    quota_rate, quota_cap : ndarray (S,)
        Shots per second and total shots of each shell (``quota_cap = inf``: "as much as
        possible", the rate is then unused).
    quota_period : float
        Demand period (s).
    t_origin, t_stop, block_end : float
        Start of the horizon, its end, end of this block (TDB s).
    t_now, bank, rise, t_last : ndarray (L,)
        State (updated in place); ``t_last`` = ``-inf`` before the first shot.
    last_code : ndarray (L,) int64
        Binding constraint in force (-1 at the start); updated in place.
    delivered : ndarray (S,) int64
        Shots fired to each shell so far; updated in place.
    out_* : ndarray (N,)
        Shot buffers (epoch, launcher, shell, option, speed, time of flight, total delta-v,
        energy).
    change_t, change_launcher, change_code : ndarray (M,)
        Buffers of the constraint change points.

    Returns
    -------
    n_shots, n_changes : int
        Records written.
    done : bool
        ``True`` when the block is finished, ``False`` when a buffer filled first (call again
        with fresh buffers).
    """
    n_l = total.shape[0]
    n_s = total.shape[1]
    n_o = total.shape[2]
    n_g = total.shape[3]
    n_shots = 0
    n_changes = 0
    cap_shots = out_t.shape[0]
    cap_changes = change_t.shape[0]
    while True:
        if n_shots >= cap_shots or n_changes + 1 >= cap_changes:
            return n_shots, n_changes, False
        k = -1
        tmin = math.inf
        for j in range(n_l):
            if t_now[j] < tmin:
                tmin = t_now[j]
                k = j
        if k < 0 or tmin >= block_end or tmin >= t_stop:
            return n_shots, n_changes, True
        t = tmin
        x = (t - grid_start) / grid_step
        g = int(math.floor(x))
        if g >= n_g - 1 or g < 0:
            n_changes = _record_change(k, t, HORIZON_END, last_code, change_t, change_launcher,
                                       change_code, n_changes)
            _advance(k, t_stop, t_now, bank, rise, power, bank_capacity, cooling_time)
            continue
        frac = x - g
        t_grid_next = grid_start + (g + 1) * grid_step
        next_event = t_grid_next
        best_s = -1
        best_o = -1
        best_dv = math.inf
        best_v = 0.0
        best_tof = 0.0
        open_met = False
        for s in range(n_s):
            if math.isinf(quota_cap[s]):
                left = 1.0                    # as much as possible
            else:
                periods = math.floor((t - t_origin) / quota_period) + 1.0
                quota = math.floor(quota_rate[s] * quota_period * periods + 1e-9)
                if quota > quota_cap[s]:
                    quota = quota_cap[s]
                left = quota - delivered[s]
            s_dv = math.inf
            s_o = -1
            s_v = 0.0
            s_tof = 0.0
            for o in range(n_o):
                a = total[k, s, o, g]
                b = total[k, s, o, g + 1]
                if not (math.isfinite(a) and math.isfinite(b)):
                    continue
                dv = a + (b - a) * frac
                if dv < threshold:
                    if dv < s_dv:
                        s_dv = dv
                        s_o = o
                        va = speed[k, s, o, g]
                        s_v = va + (speed[k, s, o, g + 1] - va) * frac
                        ta = tof[k, s, o, g]
                        s_tof = ta + (tof[k, s, o, g + 1] - ta) * frac
                elif b < threshold and left > 0:
                    tc = t + (dv - threshold) / (dv - b) * (t_grid_next - t)
                    if tc < next_event:
                        next_event = tc
            if s_o < 0:
                continue
            if left > 0:
                better = best_s < 0 or priority[s] < priority[best_s] or (
                    priority[s] == priority[best_s] and s_dv < best_dv)
                if better:
                    best_s = s
                    best_o = s_o
                    best_dv = s_dv
                    best_v = s_v
                    best_tof = s_tof
            else:
                open_met = True
                if delivered[s] < quota_cap[s]:       # the next period's demand
                    t_acc = t_origin + (math.floor((t - t_origin) / quota_period) + 1.0) \
                        * quota_period
                    if t_acc < next_event:
                        next_event = t_acc
        if best_s < 0:
            code = DEMAND_MET if open_met else NO_WINDOW
            n_changes = _record_change(k, t, code, last_code, change_t, change_launcher,
                                       change_code, n_changes)
            t_new = next_event if next_event > t + _MIN_ADVANCE else t + _MIN_ADVANCE
            _advance(k, t_new, t_now, bank, rise, power, bank_capacity, cooling_time)
            continue
        if speed_ref[k] > 0.0:
            energy = energy_ref[k] * (best_v / speed_ref[k]) ** 2
        else:
            energy = energy_ref[k]
        heat = heat_per_joule[k] * energy
        wait = 0.0
        code = -1
        w_rate = t_last[k] + min_spacing[k] - t
        if w_rate > wait:
            wait = w_rate
            code = RATE_LIMIT
        if bank[k] < energy * (1.0 - _SLACK):
            w_bank = (energy - bank[k]) / power[k]
            if w_bank > wait:
                wait = w_bank
                code = RECHARGE
        if rise[k] + heat > max_rise[k] * (1.0 + _SLACK):
            w_heat = cooling_time[k] * math.log(rise[k] / (max_rise[k] - heat))
            if w_heat > wait:
                wait = w_heat
                code = HEATING
        if code >= 0:
            n_changes = _record_change(k, t, code, last_code, change_t, change_launcher,
                                       change_code, n_changes)
            if wait < _MIN_ADVANCE:
                wait = _MIN_ADVANCE
            _advance(k, t + wait, t_now, bank, rise, power, bank_capacity, cooling_time)
            continue
        out_t[n_shots] = t
        out_launcher[n_shots] = k
        out_shell[n_shots] = best_s
        out_option[n_shots] = best_o
        out_speed[n_shots] = best_v
        out_tof[n_shots] = best_tof
        out_dv[n_shots] = best_dv
        out_energy[n_shots] = energy
        n_shots += 1
        bank[k] -= energy
        rise[k] += heat
        t_last[k] = t
        delivered[best_s] += 1


def empty_buffers(n_shots: int, n_changes: int) -> tuple:
    """Fresh shot and change-point buffers for :func:`schedule_block`."""
    return (np.empty(n_shots), np.empty(n_shots, np.int64), np.empty(n_shots, np.int64),
            np.empty(n_shots, np.int64), np.empty(n_shots), np.empty(n_shots),
            np.empty(n_shots), np.empty(n_shots),
            np.empty(n_changes), np.empty(n_changes, np.int64), np.empty(n_changes, np.int64))
