"""Multi-stage coaxial coilgun: coupled circuits + carrier motion in one compiled call (SI units).

Units: m, s, kg, A, V, H, F, Ohm, J, N.

Model
-----
The carrier (payload + armature) moves along the axis: position ``x``, speed ``v``. Its armature is
``n_arm`` coaxial circuits (one driven coil, or the rings of a conducting sleeve) with a constant
inductance matrix ``L_arm`` and resistances ``R_arm``. Stage ``k`` is a drive coil (inductance
``L_k``, at ``x_k``) fed by a capacitor bank ``C_k`` charged to ``V0_k`` through ``R_on,k`` (coil +
bank + switch); the switch closes when the carrier reaches the trigger position. Switch modes:

Every stage may carry a switch forward drop ``V_d`` (``P_VDROP``, signed as the charge) while
its bank is in circuit; it enters Faraday's law as ``V_C - V_d`` and the loss quadrature as
``V_d I`` (SCR and crowbar modes conduct one way, so this is ``|V_d I|``).

``SCR`` (0)
    thyristor: conducts one way, opens at the first current zero (the bank keeps its residual,
    possibly reversed, charge).
``CROWBAR`` (1)
    when the capacitor voltage reaches zero a crowbar diode takes the coil current, which then
    freewheels through ``R_free,k`` (coil + crowbar); the capacitor is out of the circuit.
``RING`` (2)
    bidirectional switch: the RLC rings until the stage is retired.

With ``I`` the vector of circuit currents (armature circuits first, then the active stages) and
``Lm(x)`` the full inductance matrix (constant self and stage-stage terms, stage-armature mutual
inductances ``M_kj(x - x_k)``), Faraday's law for every circuit is

    Lm(x) dI/dt = e,   e = V_src - R I - v (dLm/dx) I,      dV_k/dt = -I_k / C_k (bank in circuit)
    m dv/dt = F = sum_k sum_j I_k I_j dM_kj/dx,              dx/dt = v.

``Lm`` is symmetric positive definite; it is factorised (Cholesky) at every right-hand side. Two
quadratures ride along: the resistive loss ``int sum R I^2 dt`` and the armature's share of it.
Energy is then conserved identically: ``d/dt(1/2 I^T Lm I + sum 1/2 C V^2 + 1/2 m v^2) =
-sum R I^2``; the kernel reports every term so the balance can be checked.

Couplings come from tables (one per distinct stage coil and armature layer) of ``M`` and ``dM/dxi``
on a uniform grid, built by :mod:`massdriver.kernels.elliptic` (filament sums, Maxwell's formula)
and multiplied by a smooth taper to exactly zero at the table ends. They are interpolated with
cubic Hermite polynomials, and the force uses the derivative of the *same* interpolant, so the
discrete model is exactly conservative. Outside its table a stage is decoupled from the carrier.

Active set
----------
Only fired, unretired stages are integrated ("slots"). A stage retires (leaves the state vector)
exactly at its SCR current zero; at a RING current zero once the carrier has left its coupling
window; or, in any mode, once the carrier has left the window and ``|I| <= retire_tol * peak``.
Whatever magnetic and capacitor energy a retired stage still held is booked to the resistive
loss it will end up in (``post_loss``), so the energy account stays exact. The cost of a shot is
therefore linear in the number of stages.

Integrator
----------
Adaptive Dormand-Prince 5(4) (FSAL, Hairer-Norsett-Wanner step control) with ``rtol`` scaled by the
problem's own magnitudes (track length, speed, peak current, bank voltage, bank energy). Events
(trigger positions, current zeros, capacitor-voltage zeros, muzzle, stall) are located by the
Illinois method on the step size, starting from a cubic Hermite estimate; the step then lands on
the crossed side of the event.

Layout
------
:func:`simulate_shot` takes two structured arguments, the read-only :data:`CoilgunModel`
(from :func:`make_model`) and the :data:`ShotControls`, and returns a :data:`ShotResult` read by
name. Its loop is a sequence of small steps: :func:`_dp5_step`, :func:`_error_norm`,
:func:`_locate_events` (:func:`_first_crossing`, :func:`_refine_event`), :func:`_sample_peaks`,
:func:`_apply_event`, :func:`_fire_due`, :func:`_update_peaks`, :func:`_next_retirable`,
:func:`_retire_slot`, :func:`_next_step`, and at
the end :func:`_energy_account`. Scratch space travels in namedtuples (``_Scratch``,
``_RKStages``, ``_Slots``, ``_StageLog``). One exception, measured: the right-hand side
(:func:`_rhs_arrays`) takes its arrays as plain arguments, read from the structures once per
step, because reading a field of a numba namedtuple costs a reference count each time and
doing that at every right-hand side made a 308-stage shot ~60 % slower; for the same reason the
helpers run on every step (peaks, retirement checks) take plain arrays, and the event and
trigger actions are called only when something happens.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
from massdriver.kernels.jit import jit

__all__ = [
    "SCR", "CROWBAR", "RING", "STATUS_MUZZLE", "STATUS_STALLED", "STATUS_TIME_LIMIT",
    "STATUS_STEP_LIMIT", "STATUS_TOO_MANY_ACTIVE", "STATUS_STEP_UNDERFLOW",
    "STATUS_NOT_POSITIVE_DEFINITE",
    "taper", "hermite_table", "hermite_eval", "CoilgunModel", "ShotControls", "ShotResult",
    "make_model", "simulate_shot", "constant_acceleration",
]

SCR = 0
CROWBAR = 1
RING = 2

STATUS_MUZZLE = 0
STATUS_STALLED = 1
STATUS_TIME_LIMIT = 2
STATUS_STEP_LIMIT = 3
STATUS_TOO_MANY_ACTIVE = 4
STATUS_STEP_UNDERFLOW = 5
STATUS_NOT_POSITIVE_DEFINITE = 6

# stage states
_IDLE = 0
_ON = 1          # bank in circuit
_FREE = 2        # crowbarred, freewheeling
_DONE = 3

# stage parameter columns (sp[k, :])
P_X = 0          # coil centre, m
P_TRIG = 1       # trigger position of the carrier reference point, m
P_L = 2          # coil self-inductance, H
P_RON = 3        # coil + bank + switch resistance, Ohm
P_RFREE = 4      # coil + crowbar resistance, Ohm
P_C = 5          # capacitance, F
P_V0 = 6         # initial (signed) bank voltage, V
P_XEXIT = 7      # carrier position beyond which the stage is decoupled, m
P_VDROP = 8      # switch forward (threshold) drop while the bank is in circuit, signed as V0, V
N_SP = 9

# event kinds
_EV_TRIGGER = 0
_EV_MUZZLE = 1
_EV_STALL = 2
_EV_ZERO_I = 3
_EV_ZERO_V = 4

# Dormand-Prince 5(4) tableau
_A21 = 1.0 / 5.0
_A31, _A32 = 3.0 / 40.0, 9.0 / 40.0
_A41, _A42, _A43 = 44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0
_A51, _A52, _A53, _A54 = 19372.0 / 6561.0, -25360.0 / 2187.0, 64448.0 / 6561.0, -212.0 / 729.0
_A61, _A62, _A63, _A64, _A65 = (9017.0 / 3168.0, -355.0 / 33.0, 46732.0 / 5247.0, 49.0 / 176.0,
                                -5103.0 / 18656.0)
_B1, _B3, _B4, _B5, _B6 = 35.0 / 384.0, 500.0 / 1113.0, 125.0 / 192.0, -2187.0 / 6784.0, 11.0 / 84.0
_E1, _E3, _E4, _E5, _E6, _E7 = (71.0 / 57600.0, -71.0 / 16695.0, 71.0 / 1920.0,
                                -17253.0 / 339200.0, 22.0 / 525.0, -1.0 / 40.0)


# --------------------------------------------------------------------------------------------
# Coupling tables
# --------------------------------------------------------------------------------------------
@jit
def taper(xi, x_lo, x_hi, width):
    """Smooth window (C2 quintic) that is 1 inside ``[x_lo + width, x_hi - width]`` and 0 outside
    ``[x_lo, x_hi]``; returns the value and its derivative."""
    if xi <= x_lo or xi >= x_hi:
        return 0.0, 0.0
    if xi < x_lo + width:
        s = (xi - x_lo) / width
        return s * s * s * (10.0 - 15.0 * s + 6.0 * s * s), 30.0 * s * s * (1.0 - s) ** 2 / width
    if xi > x_hi - width:
        s = (x_hi - xi) / width
        return s * s * s * (10.0 - 15.0 * s + 6.0 * s * s), -30.0 * s * s * (1.0 - s) ** 2 / width
    return 1.0, 0.0


@jit
def hermite_table(mut, dmut, xi, width):
    """Apply the taper to sampled M, dM/dxi on the uniform grid ``xi``; returns an (n, 2) table."""
    n = xi.size
    out = np.empty((n, 2))
    for i in range(n):
        w, dw = taper(xi[i], xi[0], xi[n - 1], width)
        out[i, 0] = mut[i] * w
        out[i, 1] = dmut[i] * w + mut[i] * dw
    return out


@jit
def hermite_eval(tab, n, x0, h, xi):
    """Cubic Hermite interpolation of a coupling table; returns (M, dM/dxi), zero outside it."""
    u = (xi - x0) / h
    if u <= 0.0 or u >= n - 1:
        return 0.0, 0.0
    i = int(u)
    if i > n - 2:
        i = n - 2
    t = u - i
    m0 = tab[i, 0]
    m1 = tab[i + 1, 0]
    d0 = tab[i, 1] * h
    d1 = tab[i + 1, 1] * h
    t2 = t * t
    t3 = t2 * t
    val = (2.0 * t3 - 3.0 * t2 + 1.0) * m0 + (t3 - 2.0 * t2 + t) * d0 \
        + (-2.0 * t3 + 3.0 * t2) * m1 + (t3 - t2) * d1
    der = (6.0 * t2 - 6.0 * t) * m0 + (3.0 * t2 - 4.0 * t + 1.0) * d0 \
        + (-6.0 * t2 + 6.0 * t) * m1 + (3.0 * t2 - 2.0 * t) * d1
    return val, der / h


# --------------------------------------------------------------------------------------------
# Structured arguments
# --------------------------------------------------------------------------------------------
#: Read-only model data of a shot (built once by :func:`make_model`).
#:
#: ``sp`` (N, 9) stage parameters ``P_X .. P_VDROP``; ``mode`` (N,) switch of each stage;
#: ``geom`` (N,) coil-geometry index; ``fire_order`` (N,) stages by trigger position; ``mss``
#: (N, D) stage-stage mutual inductances (``mss[k, d]``: stage ``k`` with ``k + d + 1``);
#: ``tab``, ``tab_n``, ``tab_x0``, ``tab_h`` the coupling tables (row ``g * n_layers + l``);
#: ``l_arm`` (n_arm, n_arm), ``r_arm``, ``i_arm0``, ``arm_offset``, ``arm_layer`` (n_arm,) the
#: armature circuits; ``mass`` the moving mass (``inf`` holds the carrier) and ``inv_mass``.
CoilgunModel = namedtuple("CoilgunModel", [
    "sp", "mode", "geom", "fire_order", "mss", "tab", "tab_n", "tab_x0", "tab_h", "n_layers",
    "l_arm", "r_arm", "i_arm0", "arm_offset", "arm_layer", "mass", "inv_mass"])

#: Integration controls of a shot (see :func:`simulate_shot`).
ShotControls = namedtuple("ShotControls", [
    "x0", "v0", "x_muzzle", "t_max", "rtol", "retire_tol", "max_slots", "max_steps", "i_scale",
    "record", "event_tol", "fire_step", "land_triggers"], defaults=(1.0, 0.02, False))

#: Scratch of the right-hand side: couplings of the active slots and the linear system.
_Scratch = namedtuple("_Scratch", ["mk", "dmk", "amat", "e"])
#: Scratch of one Runge-Kutta step: stages 2..6, the stage state and the error estimate; and
#: the state and derivative of the event iteration's trial steps (``yl``, ``kl``).
_RKStages = namedtuple("_RKStages", ["k2", "k3", "k4", "k5", "k6", "yt", "err", "yl", "kl"])
#: The active set: stage index and circuit state (``_ON``/``_FREE``) of every slot.
_Slots = namedtuple("_Slots", ["stage", "mode"])
#: Per-stage record of the shot.
_StageLog = namedtuple("_StageLog", ["state", "t_fire", "t_off", "peak_i", "peak_v", "min_v",
                                     "v_end", "post_loss", "e_drawn"])
#: Error-norm scales of the state components.
_Scales = namedtuple("_Scales", ["x", "v", "e", "i", "vmax", "ev"])

#: What :func:`simulate_shot` returns (SI). Counters: ``n_steps``, ``n_rejected``, ``n_rhs``,
#: ``n_events``, ``max_active`` (most slots at once), ``n_active`` (at the end). End state:
#: ``t``, ``x``, ``v``. Energies (J): ``loss_integrated`` (``int sum R I^2 dt``), ``loss_armature``
#: (its armature share), ``loss_post`` (booked at retirements), ``w_magnetic`` and
#: ``w_capacitor`` (left at the end), ``e_drawn``, ``kinetic_energy`` (gained),
#: ``w_armature0`` (initial magnetic energy of the armature). ``max_abs_acc`` (m/s^2),
#: ``last_error`` (last accepted error norm). Per stage (N,): ``stage_t_fire``,
#: ``stage_t_off`` (NaN if never), ``stage_peak_current``, ``stage_peak_voltage``,
#: ``stage_min_voltage`` (most negative ``V sign(V0)``), ``stage_v_end``, ``stage_e_drawn``,
#: ``stage_post_loss``. Trace (one row per accepted step, if recorded): ``trace_t``,
#: ``trace_x``, ``trace_v``, ``trace_acc``, ``trace_i_arm`` (first armature circuit),
#: ``trace_drive`` (sum of |stage currents|), ``trace_active``.
ShotResult = namedtuple("ShotResult", [
    "status", "n_steps", "n_rejected", "n_rhs", "n_events", "max_active", "n_active",
    "t", "x", "v", "loss_integrated", "loss_armature", "loss_post", "w_magnetic",
    "w_capacitor", "e_drawn", "kinetic_energy", "w_armature0", "max_abs_acc", "last_error",
    "stage_t_fire", "stage_t_off", "stage_peak_current", "stage_peak_voltage",
    "stage_min_voltage", "stage_v_end", "stage_e_drawn", "stage_post_loss",
    "trace_t", "trace_x", "trace_v", "trace_acc", "trace_i_arm", "trace_drive", "trace_active"])


def make_model(arrays, mass):
    """A :data:`CoilgunModel` from ``arrays`` (a mapping with its array fields and
    ``n_layers``, SI) and the moving ``mass`` (kg; ``inf`` holds the carrier fixed)."""
    mass = float(mass)
    inv_mass = 0.0 if not math.isfinite(mass) else 1.0 / mass
    fields = {name: arrays[name] for name in CoilgunModel._fields[:-2]}
    fields["n_layers"] = int(fields["n_layers"])
    return CoilgunModel(**fields, mass=mass, inv_mass=inv_mass)


# --------------------------------------------------------------------------------------------
# Right-hand side
# --------------------------------------------------------------------------------------------
@jit
def _couplings(x, n_slots, slot_stage, sp, geom, tab, tab_n, tab_x0, tab_h, n_layers,
               arm_offset, arm_layer, mk, dmk):
    """Stage-armature couplings M and dM/dxi of every active slot at carrier position ``x``."""
    n_arm = arm_offset.size
    for s in range(n_slots):
        k = slot_stage[s]
        base = geom[k] * n_layers
        for j in range(n_arm):
            g = base + arm_layer[j]
            m, dm = hermite_eval(tab[g], tab_n[g], tab_x0[g], tab_h[g],
                                 x - sp[k, P_X] + arm_offset[j])
            mk[s, j] = m
            dmk[s, j] = dm


@jit
def _assemble(n_slots, slot_stage, sp, mss, l_arm, mk, amat):
    """Full inductance matrix (armature circuits first, then the slots)."""
    n_arm = l_arm.shape[0]
    dim = n_arm + n_slots
    for i in range(n_arm):
        for j in range(n_arm):
            amat[i, j] = l_arm[i, j]
    depth = mss.shape[1]
    for s in range(n_slots):
        k = slot_stage[s]
        r = n_arm + s
        for j in range(n_arm):
            amat[r, j] = mk[s, j]
            amat[j, r] = mk[s, j]
        amat[r, r] = sp[k, P_L]
        for s2 in range(s + 1, n_slots):
            k2 = slot_stage[s2]
            d = k2 - k if k2 > k else k - k2
            val = 0.0
            if 0 < d <= depth:
                val = mss[k, d - 1] if k2 > k else mss[k2, d - 1]
            amat[r, n_arm + s2] = val
            amat[n_arm + s2, r] = val
    return dim


@jit
def _cholesky_solve(amat, dim, rhs):
    """Solve amat x = rhs in place (rhs <- x); amat is overwritten by its Cholesky factor.

    Returns False if the matrix is not positive definite."""
    for j in range(dim):
        s = amat[j, j]
        for k in range(j):
            s -= amat[j, k] * amat[j, k]
        if s <= 0.0:
            return False
        d = math.sqrt(s)
        amat[j, j] = d
        for i in range(j + 1, dim):
            t = amat[i, j]
            for k in range(j):
                t -= amat[i, k] * amat[j, k]
            amat[i, j] = t / d
    for i in range(dim):
        t = rhs[i]
        for k in range(i):
            t -= amat[i, k] * rhs[k]
        rhs[i] = t / amat[i, i]
    for i in range(dim - 1, -1, -1):
        t = rhs[i]
        for k in range(i + 1, dim):
            t -= amat[k, i] * rhs[k]
        rhs[i] = t / amat[i, i]
    return True


@jit
def _rhs_arrays(y, n_slots, slot_stage, slot_mode, sp, geom, mss, tab, tab_n, tab_x0, tab_h,
                n_layers, l_arm, r_arm, arm_offset, arm_layer, inv_mass, mk, dmk, amat, e, dy):
    """dy/dt on plain arrays (the fields of :data:`CoilgunModel`, :data:`_Slots` and
    :data:`_Scratch`); returns (force in N, ok flag).

    This innermost function takes the arrays themselves: reading them from the structured
    arguments at every call made a shot ~60 % slower (measured), so :func:`_dp5_step` reads
    them once per step and :func:`_rhs` is the structured front door for the other callers."""
    n_arm = r_arm.size
    x = y[0]
    v = y[1]
    _couplings(x, n_slots, slot_stage, sp, geom, tab, tab_n, tab_x0, tab_h, n_layers,
               arm_offset, arm_layer, mk, dmk)
    dim = _assemble(n_slots, slot_stage, sp, mss, l_arm, mk, amat)
    base = 4 + n_arm
    force = 0.0
    loss = 0.0
    loss_arm = 0.0
    for j in range(n_arm):
        ij = y[4 + j]
        e[j] = -r_arm[j] * ij
        loss_arm += r_arm[j] * ij * ij
    for s in range(n_slots):
        k = slot_stage[s]
        ik = y[base + 2 * s]
        vc = y[base + 2 * s + 1]
        if slot_mode[s] == _ON:
            r = sp[k, P_RON]
            vd = sp[k, P_VDROP]
            e[n_arm + s] = vc - vd - r * ik
            dy[base + 2 * s + 1] = -ik / sp[k, P_C]
            loss += vd * ik
        else:
            r = sp[k, P_RFREE]
            e[n_arm + s] = -r * ik
            dy[base + 2 * s + 1] = 0.0
        loss += r * ik * ik
        for j in range(n_arm):
            ij = y[4 + j]
            g = dmk[s, j]
            e[n_arm + s] -= v * g * ij
            e[j] -= v * g * ik
            force += ik * ij * g
    ok = _cholesky_solve(amat, dim, e)
    for j in range(n_arm):
        dy[4 + j] = e[j]
    for s in range(n_slots):
        dy[base + 2 * s] = e[n_arm + s]
    dy[0] = v
    dy[1] = force * inv_mass
    dy[2] = loss + loss_arm
    dy[3] = loss_arm
    return force, ok


@jit
def _rhs(y, n_slots, slots, md, ws, dy):
    """dy/dt; returns (force in N, ok flag)."""
    return _rhs_arrays(y, n_slots, slots.stage, slots.mode, md.sp, md.geom, md.mss, md.tab,
                       md.tab_n, md.tab_x0, md.tab_h, md.n_layers, md.l_arm, md.r_arm,
                       md.arm_offset, md.arm_layer, md.inv_mass, ws.mk, ws.dmk, ws.amat, ws.e,
                       dy)


@jit
def _couplings_of(x, n_slots, slots, md, ws):
    """:func:`_couplings` and :func:`_assemble` for the structured arguments; returns the
    dimension of the inductance matrix in ``ws.amat``."""
    _couplings(x, n_slots, slots.stage, md.sp, md.geom, md.tab, md.tab_n, md.tab_x0, md.tab_h,
               md.n_layers, md.arm_offset, md.arm_layer, ws.mk, ws.dmk)
    return _assemble(n_slots, slots.stage, md.sp, md.mss, md.l_arm, ws.mk, ws.amat)


@jit
def _magnetic_energy(y, n_slots, slots, md, ws):
    """1/2 I^T Lm(x) I for the current state."""
    n_arm = md.l_arm.shape[0]
    dim = _couplings_of(y[0], n_slots, slots, md, ws)
    amat = ws.amat
    w = 0.0
    for a in range(dim):
        ia = y[4 + a] if a < n_arm else y[4 + n_arm + 2 * (a - n_arm)]
        for b in range(dim):
            ib = y[4 + b] if b < n_arm else y[4 + n_arm + 2 * (b - n_arm)]
            w += 0.5 * amat[a, b] * ia * ib
    return w


@jit
def _slot_energy(y, s, n_slots, slots, md, ws):
    """Energy that leaves the model when slot ``s`` is removed (magnetic share + capacitor)."""
    n_arm = md.l_arm.shape[0]
    _couplings_of(y[0], n_slots, slots, md, ws)
    amat = ws.amat
    base = 4 + n_arm
    r = n_arm + s
    ik = y[base + 2 * s]
    w = 0.5 * amat[r, r] * ik * ik
    for j in range(n_arm):
        w += amat[r, j] * ik * y[4 + j]
    for s2 in range(n_slots):
        if s2 != s:
            w += amat[r, n_arm + s2] * ik * y[base + 2 * s2]
    k = slots.stage[s]
    vc = y[base + 2 * s + 1]
    if slots.mode[s] == _ON:
        w += 0.5 * md.sp[k, P_C] * vc * vc
    return w


# --------------------------------------------------------------------------------------------
# One Dormand-Prince step
# --------------------------------------------------------------------------------------------
@jit
def _dp5_step(y, f0, h, nst, n_slots, slots, md, ws, rk, y1, k7):
    """y1 = y + h * (5th-order solution), rk.err = h * (error estimate), k7 = f(y1).

    Returns ok (False if an inductance matrix was not positive definite)."""
    k2, k3, k4, k5, k6, yt, err = rk.k2, rk.k3, rk.k4, rk.k5, rk.k6, rk.yt, rk.err
    # the right-hand side's arrays, read once per step (see _rhs_arrays)
    ss, sm, mk, dmk, amat, e = slots.stage, slots.mode, ws.mk, ws.dmk, ws.amat, ws.e
    sp, geom, mss, tab, tab_n, tab_x0, tab_h = (md.sp, md.geom, md.mss, md.tab, md.tab_n,
                                                md.tab_x0, md.tab_h)
    nl, l_arm, r_arm, ao, al, im = (md.n_layers, md.l_arm, md.r_arm, md.arm_offset,
                                    md.arm_layer, md.inv_mass)
    ok = True
    for i in range(nst):
        yt[i] = y[i] + h * _A21 * f0[i]
    ok &= _rhs_arrays(yt, n_slots, ss, sm, sp, geom, mss, tab, tab_n, tab_x0, tab_h, nl, l_arm,
                      r_arm, ao, al, im, mk, dmk, amat, e, k2)[1]
    for i in range(nst):
        yt[i] = y[i] + h * (_A31 * f0[i] + _A32 * k2[i])
    ok &= _rhs_arrays(yt, n_slots, ss, sm, sp, geom, mss, tab, tab_n, tab_x0, tab_h, nl, l_arm,
                      r_arm, ao, al, im, mk, dmk, amat, e, k3)[1]
    for i in range(nst):
        yt[i] = y[i] + h * (_A41 * f0[i] + _A42 * k2[i] + _A43 * k3[i])
    ok &= _rhs_arrays(yt, n_slots, ss, sm, sp, geom, mss, tab, tab_n, tab_x0, tab_h, nl, l_arm,
                      r_arm, ao, al, im, mk, dmk, amat, e, k4)[1]
    for i in range(nst):
        yt[i] = y[i] + h * (_A51 * f0[i] + _A52 * k2[i] + _A53 * k3[i] + _A54 * k4[i])
    ok &= _rhs_arrays(yt, n_slots, ss, sm, sp, geom, mss, tab, tab_n, tab_x0, tab_h, nl, l_arm,
                      r_arm, ao, al, im, mk, dmk, amat, e, k5)[1]
    for i in range(nst):
        yt[i] = y[i] + h * (_A61 * f0[i] + _A62 * k2[i] + _A63 * k3[i] + _A64 * k4[i]
                            + _A65 * k5[i])
    ok &= _rhs_arrays(yt, n_slots, ss, sm, sp, geom, mss, tab, tab_n, tab_x0, tab_h, nl, l_arm,
                      r_arm, ao, al, im, mk, dmk, amat, e, k6)[1]
    for i in range(nst):
        y1[i] = y[i] + h * (_B1 * f0[i] + _B3 * k3[i] + _B4 * k4[i] + _B5 * k5[i] + _B6 * k6[i])
    ok &= _rhs_arrays(y1, n_slots, ss, sm, sp, geom, mss, tab, tab_n, tab_x0, tab_h, nl, l_arm,
                      r_arm, ao, al, im, mk, dmk, amat, e, k7)[1]
    for i in range(nst):
        err[i] = h * (_E1 * f0[i] + _E3 * k3[i] + _E4 * k4[i] + _E5 * k5[i] + _E6 * k6[i]
                      + _E7 * k7[i])
    return ok


@jit(inline="always")
def _error_norm(err, nst, n_arm, rtol, sc):
    """RMS of the error estimate over the components, each against its own scale."""
    acc = 0.0
    for i in range(nst):
        if i == 0:
            s = sc.x
        elif i == 1:
            s = sc.v
        elif i < 4:
            s = sc.e
        elif i < 4 + n_arm:
            s = sc.i
        elif (i - 4 - n_arm) % 2 == 0:
            s = sc.i
        else:
            s = sc.vmax
        q = err[i] / (rtol * s)
        acc += q * q
    enorm = math.sqrt(acc / nst)
    if not math.isfinite(enorm):
        enorm = 1e10
    return enorm


@jit
def _hermite_root(g0, g1, d0, d1):
    """First root in (0, 1] of the cubic Hermite through (0, g0, d0) and (1, g1, d1)."""
    prev_t = 0.0
    prev_g = g0
    for i in range(1, 33):
        t = i / 32.0
        t2 = t * t
        t3 = t2 * t
        g = (2 * t3 - 3 * t2 + 1) * g0 + (t3 - 2 * t2 + t) * d0 + (-2 * t3 + 3 * t2) * g1 \
            + (t3 - t2) * d1
        if (g >= 0.0) != (prev_g >= 0.0):
            lo = prev_t
            hi = t
            glo = prev_g
            for _ in range(40):
                mid = 0.5 * (lo + hi)
                m2 = mid * mid
                m3 = m2 * mid
                gm = (2 * m3 - 3 * m2 + 1) * g0 + (m3 - 2 * m2 + mid) * d0 \
                    + (-2 * m3 + 3 * m2) * g1 + (m3 - m2) * d1
                if (gm >= 0.0) == (glo >= 0.0):
                    lo = mid
                    glo = gm
                else:
                    hi = mid
            return hi
        prev_t = t
        prev_g = g
    return 1.0


@jit
def _hermite_absmax(g0, g1, d0, d1):
    """max |p(t)| on [0, 1] of the cubic Hermite through (0, g0, d0) and (1, g1, d1)."""
    best = max(abs(g0), abs(g1))
    # p'(t) = a t^2 + b t + c
    a = 6.0 * g0 + 3.0 * d0 - 6.0 * g1 + 3.0 * d1
    b = -6.0 * g0 - 4.0 * d0 + 6.0 * g1 - 2.0 * d1
    c = d0
    r0 = 2.0                       # critical points of p (2.0: none)
    r1 = 2.0
    if abs(a) > 1e-300:
        disc = b * b - 4.0 * a * c
        if disc >= 0.0:
            sq = math.sqrt(disc)
            q = -0.5 * (b + sq) if b >= 0.0 else -0.5 * (b - sq)
            r0 = q / a
            if q != 0.0:
                r1 = c / q
    elif abs(b) > 1e-300:
        r0 = -c / b
    for t in (r0, r1):
        if 0.0 < t < 1.0:
            t2 = t * t
            t3 = t2 * t
            v = (2 * t3 - 3 * t2 + 1) * g0 + (t3 - 2 * t2 + t) * d0 + (-2 * t3 + 3 * t2) * g1 \
                + (t3 - t2) * d1
            if abs(v) > best:
                best = abs(v)
    return best




# --------------------------------------------------------------------------------------------
# The shot: active set
# --------------------------------------------------------------------------------------------
@jit(inline="always")
def _retire(s, n_slots, n_arm, slots, y):
    """Free active slot ``s`` (move the last slot, with its coil current and bank voltage, into
    its place) and return the new number of active slots."""
    last = n_slots - 1
    if s != last:
        ii = 4 + n_arm + 2 * s
        slots.stage[s] = slots.stage[last]
        slots.mode[s] = slots.mode[last]
        y[ii] = y[4 + n_arm + 2 * last]
        y[ii + 1] = y[4 + n_arm + 2 * last + 1]
    return last


@jit(inline="always")
def _fire(k, t, n_slots, n_arm, slots, y, sp, log):
    """Close stage ``k``'s switch at ``t``: give it the next active slot (coil current 0, bank
    at its charge voltage) and return the new number of active slots."""
    slots.stage[n_slots] = k
    slots.mode[n_slots] = _ON
    y[4 + n_arm + 2 * n_slots] = 0.0
    y[4 + n_arm + 2 * n_slots + 1] = sp[k, P_V0]
    log.state[k] = _ON
    log.t_fire[k] = t
    return n_slots + 1


@jit(inline="always")
def _fire_due(ev_kind, t, y, n_slots, n_arm, next_fire, slots, md, log, max_slots):
    """Fire the stage of a trigger event and every stage whose trigger the carrier has passed.

    Returns ``(n_slots, next_fire, changed, status)`` (status -1, or too many active)."""
    sp = md.sp
    n_stage = sp.shape[0]
    changed = False
    status = -1
    force_fire = ev_kind == _EV_TRIGGER
    while next_fire < n_stage and (force_fire or sp[md.fire_order[next_fire], P_TRIG] <= y[0]):
        force_fire = False
        if ev_kind == _EV_MUZZLE or ev_kind == _EV_STALL:
            break
        k = md.fire_order[next_fire]
        if n_slots >= max_slots:
            status = STATUS_TOO_MANY_ACTIVE
            break
        n_slots = _fire(k, t, n_slots, n_arm, slots, y, sp, log)
        next_fire += 1
        changed = True
    return n_slots, next_fire, changed, status


@jit(inline="always")
def _apply_event(ev_kind, ev_slot, t, y, n_slots, n_arm, slots, md, ws, log):
    """Act on the event that ended the step (current zero: retire; voltage zero: crowbar).

    Returns ``(n_slots, changed, status)``; status is -1 or muzzle / stalled."""
    sp = md.sp
    changed = False
    status = -1
    if ev_kind == _EV_MUZZLE:
        status = STATUS_MUZZLE
    elif ev_kind == _EV_STALL:
        status = STATUS_STALLED
    elif ev_kind == _EV_ZERO_I:
        s = ev_slot
        k = slots.stage[s]
        ii = 4 + n_arm + 2 * s
        w = _slot_energy(y, s, n_slots, slots, md, ws)
        if md.mode[k] == SCR:
            vc = y[ii + 1]
            log.post_loss[k] += w - 0.5 * sp[k, P_C] * vc * vc
            log.v_end[k] = vc
        else:
            log.post_loss[k] += w
            log.v_end[k] = 0.0
        y[ii] = 0.0
        log.state[k] = _DONE
        log.t_off[k] = t
        n_slots = _retire(s, n_slots, n_arm, slots, y)
        changed = True
    elif ev_kind == _EV_ZERO_V:
        s = ev_slot
        k = slots.stage[s]
        iv = 4 + n_arm + 2 * s + 1
        vc = y[iv]
        log.post_loss[k] += 0.5 * sp[k, P_C] * vc * vc
        y[iv] = 0.0
        slots.mode[s] = _FREE
        log.state[k] = _FREE
        changed = True
    return n_slots, changed, status


@jit(inline="always")
def _update_peaks(y, n_slots, n_arm, slot_stage, slot_mode, sp, peak_i, peak_v, min_v):
    """Stage peak current, peak capacitor voltage and largest reversal, at the step's end.

    Per-step helpers take plain arrays: reading a field of a numba namedtuple costs a
    reference count each time (measured: ~3.7 ms of a 22 ms shot for two helpers)."""
    for s in range(n_slots):
        k = slot_stage[s]
        ii = 4 + n_arm + 2 * s
        ik = y[ii]
        if abs(ik) > peak_i[k]:
            peak_i[k] = abs(ik)
        vc = y[ii + 1]
        if slot_mode[s] == _ON:
            if abs(vc) > peak_v[k]:
                peak_v[k] = abs(vc)
            sgn = 1.0 if sp[k, P_V0] >= 0.0 else -1.0
            if sgn * vc < min_v[k]:
                min_v[k] = sgn * vc


@jit(inline="always")
def _next_retirable(start, y, n_slots, n_arm, slot_stage, slot_mode, sp, mode, peak_i,
                    retire_tol):
    """First slot from ``start`` whose stage the carrier has left and whose current is below
    ``retire_tol`` of its peak (a crowbarred stage only once freewheeling); -1 if none."""
    for s in range(start, n_slots):
        k = slot_stage[s]
        if y[0] > sp[k, P_XEXIT] and abs(y[4 + n_arm + 2 * s]) <= retire_tol * peak_i[k] \
                and (slot_mode[s] == _FREE or mode[k] != CROWBAR):
            return s
    return -1


@jit
def _retire_slot(s, t, y, n_slots, n_arm, slots, md, ws, log):
    """Retire slot ``s`` (decoupled, current below tolerance): book the energy it still holds
    as loss, and return the new number of active slots."""
    k = slots.stage[s]
    w = _slot_energy(y, s, n_slots, slots, md, ws)
    log.post_loss[k] += w
    log.v_end[k] = 0.0
    log.state[k] = _DONE
    log.t_off[k] = t
    return _retire(s, n_slots, n_arm, slots, y)


# --------------------------------------------------------------------------------------------
# The shot: events inside a step
# --------------------------------------------------------------------------------------------
@jit(inline="always")
def _first_crossing(y, y1, f0, k7, h, n_slots, n_arm, slots, md, next_fire, x_muzzle):
    """Earliest event in the step from ``y`` to ``y1`` (cubic Hermite estimate).

    Returns ``(fraction of h, kind, slot)``; kind -1 when nothing happens."""
    sp, mode, slot_stage, slot_mode = md.sp, md.mode, slots.stage, slots.mode
    n_stage = sp.shape[0]
    best = 2.0
    c_kind = -1
    c_slot = -1
    if next_fire < n_stage:
        xt = sp[md.fire_order[next_fire], P_TRIG]
        if y1[0] >= xt:
            best = _hermite_root(y[0] - xt, y1[0] - xt, h * f0[0], h * k7[0])
            c_kind = _EV_TRIGGER
    if y1[0] >= x_muzzle:
        th = _hermite_root(y[0] - x_muzzle, y1[0] - x_muzzle, h * f0[0], h * k7[0])
        if th < best:
            best = th
            c_kind = _EV_MUZZLE
    if md.inv_mass > 0.0 and y[1] > 0.0 and y1[1] <= 0.0:
        th = _hermite_root(y[1], y1[1], h * f0[1], h * k7[1])
        if th < best:
            best = th
            c_kind = _EV_STALL
    for s in range(n_slots):
        k = slot_stage[s]
        mode_k = mode[k]
        ii = 4 + n_arm + 2 * s
        if slot_mode[s] == _ON and (mode_k == SCR or (mode_k == RING
                                                     and y1[0] > sp[k, P_XEXIT])):
            if y[ii] != 0.0 and (y1[ii] == 0.0 or (y[ii] > 0.0) != (y1[ii] > 0.0)):
                th = _hermite_root(y[ii], y1[ii], h * f0[ii], h * k7[ii])
                if th < best:
                    best = th
                    c_kind = _EV_ZERO_I
                    c_slot = s
        if slot_mode[s] == _ON and mode_k == CROWBAR:
            iv = ii + 1
            if y[iv] != 0.0 and (y1[iv] == 0.0 or (y[iv] > 0.0) != (y1[iv] > 0.0)):
                th = _hermite_root(y[iv], y1[iv], h * f0[iv], h * k7[iv])
                if th < best:
                    best = th
                    c_kind = _EV_ZERO_V
                    c_slot = s
    return best, c_kind, c_slot


@jit
def _event_function(kind, slot, n_arm, next_fire, md, x_muzzle, sc):
    """The state component, its target value and the tolerance of an event kind."""
    if kind == _EV_TRIGGER:
        return 0, md.sp[md.fire_order[next_fire], P_TRIG], 1e-10 * sc.x * sc.ev
    if kind == _EV_MUZZLE:
        return 0, x_muzzle, 1e-10 * sc.x * sc.ev
    if kind == _EV_STALL:
        return 1, 0.0, 1e-9 * sc.v * sc.ev
    if kind == _EV_ZERO_I:
        return 4 + n_arm + 2 * slot, 0.0, 1e-8 * sc.i * sc.ev
    return 4 + n_arm + 2 * slot + 1, 0.0, 1e-8 * sc.vmax * sc.ev


@jit
def _refine_event(event, best, y, y1, f0, k7, h, nst, n_slots, slots, md, ws, rk):
    """Illinois iteration on the step fraction for ``y[comp] = target``, with real steps
    (``event = (comp, target, tol)``, see :func:`_event_function`; ``best`` the estimate).

    On return ``y1``, ``k7`` hold the state (and its derivative) at the returned fraction: on
    the crossed side of the event, or within ``tol`` of it. Returns ``(fraction, rhs calls)``.
    """
    comp, target, tol = event
    yl, kl = rk.yl, rk.kl
    n_rhs = 0
    g_lo = y[comp] - target
    g_hi = y1[comp] - target
    th_lo = 0.0
    th_hi = 1.0
    th = best
    if th <= 0.0 or th >= 1.0:
        th = 0.5
    side = 0
    if abs(g_hi) > tol:
        for _it in range(60):
            _dp5_step(y, f0, th * h, nst, n_slots, slots, md, ws, rk, yl, kl)
            n_rhs += 6
            g = yl[comp] - target
            if (g >= 0.0) == (g_lo >= 0.0) and g != 0.0:
                if abs(g) <= tol:
                    # close enough: the event happens here (its residual is booked)
                    th_hi = th
                    for i in range(nst):
                        y1[i] = yl[i]
                        k7[i] = kl[i]
                    break
                th_lo = th
                g_lo = g
                if side == -1:
                    g_hi *= 0.5
                side = -1
            else:
                th_hi = th
                g_hi = g
                for i in range(nst):
                    y1[i] = yl[i]
                    k7[i] = kl[i]
                if abs(g) <= tol:
                    break
                if side == 1:
                    g_lo *= 0.5
                side = 1
            if th_hi - th_lo <= 1e-14 * th_hi:
                break
            th = (th_lo * g_hi - th_hi * g_lo) / (g_hi - g_lo)
            if not (th_lo < th < th_hi):
                th = 0.5 * (th_lo + th_hi)
    return th_hi, n_rhs


@jit(inline="always")
def _locate_events(y, y1, f0, k7, h, nst, n_slots, slots, md, ws, rk, next_fire, ctl, sc):
    """Shorten an accepted step to its first event (up to 6 passes: an earlier event may
    appear in the shortened step). Returns ``(h, event kind, event slot, rhs calls)``."""
    n_arm = md.r_arm.size
    x_muzzle = ctl.x_muzzle
    n_rhs = 0
    ev_kind = -1
    ev_slot = -1
    for _pass in range(6):
        # y1, k7 describe the end of the (possibly shortened) step of size h
        best, c_kind, c_slot = _first_crossing(y, y1, f0, k7, h, n_slots, n_arm, slots, md,
                                               next_fire, x_muzzle)
        if c_kind < 0 or (c_kind == ev_kind and c_slot == ev_slot):
            break
        ev_kind = c_kind
        ev_slot = c_slot
        event = _event_function(ev_kind, ev_slot, n_arm, next_fire, md, x_muzzle, sc)
        th_hi, n = _refine_event(event, best, y, y1, f0, k7, h, nst, n_slots, slots, md, ws, rk)
        n_rhs += n
        # y1, k7 hold the state at th_hi (crossed, or within tol of the event)
        h = th_hi * h
    return h, ev_kind, ev_slot, n_rhs


# --------------------------------------------------------------------------------------------
# The shot: bookkeeping
# --------------------------------------------------------------------------------------------
@jit
def _scales(md, ctl):
    """Error-norm scales (track length, speed, energy, current, voltage) and the armature's
    initial magnetic energy."""
    sp = md.sp
    l_arm = md.l_arm
    i_arm0 = md.i_arm0
    n_arm = md.r_arm.size
    e_scale = 0.0
    vmax = 0.0
    for k in range(sp.shape[0]):
        e_scale += 0.5 * sp[k, P_C] * sp[k, P_V0] * sp[k, P_V0]
        vmax = max(vmax, abs(sp[k, P_V0]))
    e_arm0 = 0.0
    for a in range(n_arm):
        for b in range(n_arm):
            e_arm0 += 0.5 * l_arm[a, b] * i_arm0[a] * i_arm0[b]
    e_scale += e_arm0
    if math.isfinite(md.mass):
        v_scale = max(abs(ctl.v0), math.sqrt(2.0 * e_scale / md.mass))
    else:
        v_scale = 1.0
    x_scale = max(abs(ctl.x_muzzle - ctl.x0), 1e-3)
    sc = _Scales(x_scale, v_scale, max(e_scale, 1e-12), max(ctl.i_scale, 1e-6), max(vmax, 1.0),
                 float(ctl.event_tol))
    return sc, e_arm0


@jit(inline="always")
def _sample_peaks(y, y1, f0, k7, h_step, stage_acc, n_slots, n_arm, slot_stage, peak_i,
                  max_abs_acc):
    """Peak acceleration (also at the Runge-Kutta stages ``stage_acc`` of an event-free step,
    or None) and the stage peak currents (maximum of the step's cubic Hermite interpolant).
    Returns the peak acceleration so far."""
    if stage_acc is not None:
        for kk in stage_acc:
            if abs(kk) > max_abs_acc:
                max_abs_acc = abs(kk)
    for s in range(n_slots):
        ii = 4 + n_arm + 2 * s
        pk = _hermite_absmax(y[ii], y1[ii], h_step * f0[ii], h_step * k7[ii])
        if pk > peak_i[slot_stage[s]]:
            peak_i[slot_stage[s]] = pk
    return max_abs_acc


@jit
def _record(tr, n_tr, t, y, acc_now, n_arm, n_slots):
    """Append one trace row (t, x, v, a, first armature current, sum |I_stage|, active
    slots); returns the (possibly grown) trace and its length."""
    if n_tr >= tr.shape[0]:
        grown = np.zeros((2 * tr.shape[0], 7))
        grown[:n_tr] = tr[:n_tr]
        tr = grown
    drive = 0.0
    for s in range(n_slots):
        drive += abs(y[4 + n_arm + 2 * s])
    tr[n_tr, 0] = t
    tr[n_tr, 1] = y[0]
    tr[n_tr, 2] = y[1]
    tr[n_tr, 3] = acc_now
    tr[n_tr, 4] = y[4] if n_arm > 0 else 0.0
    tr[n_tr, 5] = drive
    tr[n_tr, 6] = n_slots
    return tr, n_tr + 1


@jit(inline="always")
def _land_on_trigger(h, y, f0, xt, margin):
    """The step that lands the carrier ``margin`` past the trigger position ``xt`` when the
    constant-acceleration prediction ``x + v h + a h^2 / 2`` reaches it within ``h``; else
    ``h``. Used with ``ctl.land_triggers``: a step that lands within the event tolerance needs
    no event iteration."""
    dx = xt + margin - y[0]
    if dx <= 0.0:
        return h
    v = y[1]
    a = f0[1]
    if v * h + 0.5 * a * h * h < dx:
        return h
    disc = v * v + 2.0 * a * dx
    if disc < 0.0:
        return h
    den = v + math.sqrt(disc)
    if den <= 0.0:
        return h
    ts = 2.0 * dx / den
    if 0.0 < ts < h:
        return ts
    return h


@jit(inline="always")
def _next_step(enorm, prev_err, ev_kind, h_step, h_try, changed, t, n_slots, slots, md, log,
               h_min, fire_step):
    """PI step control (Hairer's DOPRI5, beta = 0.04); at most the tried step after an event,
    and ``fire_step`` (default 2 %) of an LC time after a stage fires."""
    fac = 0.9 * max(enorm, 1e-10) ** -0.17 * max(prev_err, 1e-4) ** 0.04
    fac = min(5.0, max(0.2, fac))
    if ev_kind >= 0:
        fac = min(fac, 1.0)
    h = h_step * fac if ev_kind < 0 else h_try * fac
    if changed:
        sp, slot_stage, t_fire = md.sp, slots.stage, log.t_fire
        for s in range(n_slots):
            k = slot_stage[s]
            tl = math.sqrt(sp[k, P_L] * sp[k, P_C])
            if t_fire[k] == t and fire_step * tl < h:
                h = fire_step * tl
    if h < h_min:
        h = h_min
    return h


@jit
def _energy_account(y, n_slots, n_arm, slots, md, ws, log, v0):
    """Energy left in the circuits, drawn from the banks and gained by the carrier.

    Fills ``log.v_end`` and ``log.e_drawn``; returns ``(w_magnetic, w_capacitor, e_drawn,
    loss_post, kinetic_energy)``."""
    sp = md.sp
    n_stage = sp.shape[0]
    w_mag = _magnetic_energy(y, n_slots, slots, md, ws)
    w_cap = 0.0
    for s in range(n_slots):
        k = slots.stage[s]
        vc = y[4 + n_arm + 2 * s + 1]
        if slots.mode[s] == _ON:
            log.v_end[k] = vc
            w_cap += 0.5 * sp[k, P_C] * vc * vc
        else:
            log.v_end[k] = 0.0
    e_drawn = 0.0
    for k in range(n_stage):
        if log.state[k] == _IDLE:
            log.v_end[k] = sp[k, P_V0]
        log.e_drawn[k] = 0.5 * sp[k, P_C] * (sp[k, P_V0] ** 2 - log.v_end[k] ** 2)
        e_drawn += log.e_drawn[k]
    loss_post = 0.0
    for k in range(n_stage):
        loss_post += log.post_loss[k]
    if math.isfinite(md.mass):
        ke = 0.5 * md.mass * (y[1] * y[1] - v0 * v0)
    else:
        ke = 0.0
    return w_mag, w_cap, e_drawn, loss_post, ke


# --------------------------------------------------------------------------------------------
# The shot
# --------------------------------------------------------------------------------------------
@jit
def simulate_shot(md, ctl):
    """Integrate one shot from the carrier at ``ctl.x0`` (speed ``ctl.v0``) to the muzzle.

    Parameters
    ----------
    md : CoilgunModel
        The launcher and carrier (SI), from :func:`make_model`: stage parameters ``sp`` (N, 9)
        with columns ``P_X .. P_VDROP``; switch ``mode`` (``SCR``, ``CROWBAR``, ``RING``),
        coil-geometry index ``geom`` and ``fire_order`` (stages by trigger position), int64
        (N,); ``mss`` (N, D), H; coupling tables ``tab`` (G * n_layers, n_max, 2) of M (H) and
        dM/dxi (H/m) of geometry ``g`` with armature layer ``l`` at row ``g * n_layers + l``,
        on uniform grids ``tab_x0 + i * tab_h``, ``i < tab_n``; armature inductance matrix
        ``l_arm`` (H), resistances ``r_arm`` (Ohm), initial currents ``i_arm0`` (A), axial
        offsets ``arm_offset`` (m) and table layers ``arm_layer``; moving ``mass`` (kg,
        ``inf`` holds the carrier fixed).
    ctl : ShotControls
        ``x0``, ``v0``: initial position (m) and speed (m/s) of the carrier reference point;
        ``x_muzzle`` end of the track (m); ``t_max`` time limit (s); ``rtol`` relative
        tolerance of the step control; ``retire_tol``: a decoupled stage retires once
        ``|I| <= retire_tol * peak |I|``; ``max_slots`` most simultaneously active stages;
        ``max_steps`` step limit; ``i_scale`` current scale of the error norm (A); ``record``
        keep the trajectory at every accepted step; ``event_tol`` factor on the event
        location tolerances (default 1: trigger and muzzle positions to 1e-10 of the track,
        current zeros to 1e-8 of ``i_scale``); ``fire_step`` first step after a stage fires,
        as a fraction of its LC time (default 0.02); ``land_triggers`` aim the steps at the
        next trigger position (default False). The Monte Carlo sets the last three with its
        tolerance (:func:`massdriver.coilgun_tolerances.mc_controls`).

    Returns
    -------
    ShotResult
        Named fields (see :data:`ShotResult`).
    """
    sp = md.sp
    n_stage = sp.shape[0]
    n_arm = md.r_arm.size
    max_slots = ctl.max_slots
    nst_max = 4 + n_arm + 2 * max_slots
    dim_max = n_arm + max_slots
    t_max = ctl.t_max
    v0 = ctl.v0

    # state, its derivative and the step's end; scratch
    y = np.zeros(nst_max)
    y1 = np.zeros(nst_max)
    f0 = np.zeros(nst_max)
    k7 = np.zeros(nst_max)
    k2 = np.zeros(nst_max)
    k3 = np.zeros(nst_max)
    k4 = np.zeros(nst_max)
    k5 = np.zeros(nst_max)
    k6 = np.zeros(nst_max)
    err = np.zeros(nst_max)
    rk = _RKStages(k2, k3, k4, k5, k6, np.zeros(nst_max), err, np.zeros(nst_max),
                   np.zeros(nst_max))
    ws = _Scratch(np.zeros((max_slots, max(n_arm, 1))), np.zeros((max_slots, max(n_arm, 1))),
                  np.zeros((dim_max, dim_max)), np.zeros(dim_max))
    slot_stage = np.zeros(max_slots, dtype=np.int64)
    slot_mode = np.zeros(max_slots, dtype=np.int64)
    slots = _Slots(slot_stage, slot_mode)
    peak_i = np.zeros(n_stage)
    peak_v = np.zeros(n_stage)
    min_v = np.zeros(n_stage)
    log = _StageLog(np.zeros(n_stage, dtype=np.int64), np.full(n_stage, np.nan),
                    np.full(n_stage, np.nan), peak_i, peak_v, min_v, np.zeros(n_stage),
                    np.zeros(n_stage), np.zeros(n_stage))
    mode = md.mode
    fire_order = md.fire_order
    sc, e_arm0 = _scales(md, ctl)

    y[0] = ctl.x0
    y[1] = v0
    for j in range(n_arm):
        y[4 + j] = md.i_arm0[j]
    t = 0.0
    tr = np.zeros((1024 if ctl.record else 1, 7))
    n_tr = 0
    n_steps = 0
    n_rej = 0
    n_rhs = 0
    n_events = 0
    peak_slots = 0
    max_abs_acc = 0.0

    # fire the stages whose trigger lies behind the start
    n_slots, next_fire, _, status = _fire_due(-1, t, y, 0, n_arm, 0, slots, md, log, max_slots)
    nst = 4 + n_arm + 2 * n_slots
    ok = _rhs(y, n_slots, slots, md, ws, f0)[1]
    n_rhs += 1
    if not ok:
        status = STATUS_NOT_POSITIVE_DEFINITE

    # initial step: a small fraction of the fastest circuit time
    h = 1e-6
    for k in range(n_stage):
        tl = math.sqrt(sp[k, P_L] * sp[k, P_C])
        if tl > 0.0:
            h = min(h, 0.01 * tl)
    if n_slots == 0 and v0 > 0.0:
        h = 1e-3 * sc.x / v0
    h_min = 1e-14 * max(t_max, 1.0)
    prev_err = 1e-4
    if ctl.record:
        tr, n_tr = _record(tr, n_tr, t, y, f0[1], n_arm, 0)    # no drive current yet
        tr[0, 6] = n_slots

    while status < 0:
        if n_steps >= ctl.max_steps:
            status = STATUS_STEP_LIMIT
            break
        if t >= t_max:
            status = STATUS_TIME_LIMIT
            break
        if h > t_max - t:
            h = t_max - t
        h_free = h
        if ctl.land_triggers and next_fire < n_stage:
            h = _land_on_trigger(h, y, f0, sp[fire_order[next_fire], P_TRIG],
                                 0.5e-10 * sc.x * sc.ev)
        ok = _dp5_step(y, f0, h, nst, n_slots, slots, md, ws, rk, y1, k7)
        n_rhs += 6
        if not ok:
            status = STATUS_NOT_POSITIVE_DEFINITE
            break
        enorm = _error_norm(err, nst, n_arm, ctl.rtol, sc)
        if enorm > 1.0:
            n_rej += 1
            h *= max(0.2, 0.9 * enorm ** -0.2)
            if h < h_min:
                status = STATUS_STEP_UNDERFLOW
                break
            continue

        h_try = h if h >= h_free else h_free
        h_step, ev_kind, ev_slot, n = _locate_events(y, y1, f0, k7, h, nst, n_slots, slots, md,
                                                     ws, rk, next_fire, ctl, sc)
        n_rhs += n

        # accept
        stage_acc = (k2[1], k3[1], k4[1], k5[1], k6[1]) if ev_kind < 0 else None
        max_abs_acc = _sample_peaks(y, y1, f0, k7, h_step, stage_acc, n_slots, n_arm,
                                    slot_stage, peak_i, max_abs_acc)
        t += h_step
        n_steps += 1
        for i in range(nst):
            y[i] = y1[i]
            f0[i] = k7[i]
        if ev_kind >= 0:
            n_events += 1
        changed = False
        if ev_kind >= 0:
            n_slots, changed, status = _apply_event(ev_kind, ev_slot, t, y, n_slots, n_arm,
                                                    slots, md, ws, log)
        # triggers (the event one and any others at the same position); the guard spares
        # the call (and its structure reads) on most steps
        fired = False
        if ev_kind == _EV_TRIGGER or (next_fire < n_stage
                                      and sp[fire_order[next_fire], P_TRIG] <= y[0]):
            n_slots, next_fire, fired, st = _fire_due(ev_kind, t, y, n_slots, n_arm, next_fire,
                                                      slots, md, log, max_slots)
            if st >= 0:
                status = st
        # decoupled stages whose current has died away retire
        _update_peaks(y, n_slots, n_arm, slot_stage, slot_mode, sp, peak_i, peak_v, min_v)
        retired = False
        s = _next_retirable(0, y, n_slots, n_arm, slot_stage, slot_mode, sp, mode, peak_i,
                            ctl.retire_tol)
        while s >= 0:
            n_slots = _retire_slot(s, t, y, n_slots, n_arm, slots, md, ws, log)
            retired = True
            s = _next_retirable(s, y, n_slots, n_arm, slot_stage, slot_mode, sp, mode, peak_i,
                                ctl.retire_tol)
        changed = changed or fired or retired
        if n_slots > peak_slots:
            peak_slots = n_slots
        nst = 4 + n_arm + 2 * n_slots
        if changed:
            for i in range(nst, nst_max):
                y[i] = 0.0
            ok = _rhs(y, n_slots, slots, md, ws, f0)[1]
            n_rhs += 1
            if not ok:
                status = STATUS_NOT_POSITIVE_DEFINITE
        acc_now = f0[1]
        if abs(acc_now) > max_abs_acc:
            max_abs_acc = abs(acc_now)
        if ctl.record:
            tr, n_tr = _record(tr, n_tr, t, y, acc_now, n_arm, n_slots)
        h = _next_step(enorm, prev_err, ev_kind, h_step, h_try, changed, t, n_slots, slots, md,
                       log, h_min, ctl.fire_step)
        prev_err = enorm

    w_mag, w_cap, e_drawn, loss_post, ke = _energy_account(y, n_slots, n_arm, slots, md, ws,
                                                           log, v0)
    tr = tr[:n_tr].copy()
    return ShotResult(
        status, n_steps, n_rej, n_rhs, n_events, peak_slots, n_slots,
        t, y[0], y[1], y[2], y[3], loss_post, w_mag, w_cap, e_drawn, ke, e_arm0, max_abs_acc,
        prev_err,
        log.t_fire, log.t_off, log.peak_i, log.peak_v, log.min_v, log.v_end, log.e_drawn,
        log.post_loss,
        tr[:, 0].copy(), tr[:, 1].copy(), tr[:, 2].copy(), tr[:, 3].copy(), tr[:, 4].copy(),
        tr[:, 5].copy(), tr[:, 6].copy())


# --------------------------------------------------------------------------------------------
# Constant-acceleration sizing (the quick estimate)
# --------------------------------------------------------------------------------------------
@jit
def constant_acceleration(speed, acceleration, mass, shots_per_year, efficiency, v0):
    """Track length, time on track, kinetic energy, bank energy and average power.

    Parameters
    ----------
    speed : float
        Exit speed, m/s.
    acceleration : float
        Constant acceleration, m/s^2.
    mass : float
        Moving mass per shot, kg.
    shots_per_year : float
        Launch rate, 1/yr (Julian year of 365.25 d).
    efficiency : float
        Bank-to-kinetic efficiency (0, 1].
    v0 : float
        Entry speed, m/s.

    Returns
    -------
    tuple of float
        ``(length m, time s, kinetic energy J, bank energy J, average power W, peak power W)``;
        the peak power is the mechanical power at the muzzle, ``m a v``, over the efficiency.
    """
    length = (speed * speed - v0 * v0) / (2.0 * acceleration)
    time = (speed - v0) / acceleration
    ke = 0.5 * mass * (speed * speed - v0 * v0)
    bank = ke / efficiency
    power = bank * shots_per_year / (365.25 * 86400.0)
    peak = mass * acceleration * speed / efficiency
    return length, time, ke, bank, power, peak
