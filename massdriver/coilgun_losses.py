"""Launcher losses, energy bookkeeping and heating (the ``[losses]`` and ``[thermal]`` tables).

The coupled-circuit kernel (:mod:`massdriver.kernels.coilgun`) is exact for the circuits it is
given; this module gives it realistic ones. Every loss is on by default with a typical value
and can be set or turned off (``docs/coilgun.md`` gives the sources):

capacitor ESR
    ``ESR = tan(delta) sqrt(L / C)`` (the dissipation factor at the stage's ringing frequency
    ``1 / (2 pi sqrt(L C))``, where ``tan(delta) = omega ESR C``), in series with the coil.
switch conduction
    A thyristor's on-state model ``V_T = V_T0 + r_T I`` per device, with ``ceil(|V0| /
    V_device)`` devices in series and ``ceil(I_peak / I_device)`` strings in parallel: the
    threshold enters the circuit as a forward drop, the slope as a series resistance.
coil AC resistance
    Dowell's factor ``F_R = R_ac / R_dc`` (skin and proximity effect in a winding of ``m``
    layers) at the stage's pulse frequency, multiplying the DC resistance.
armature resistance
    The sleeve rings' resistance of an induction armature (already in the model from the
    resistivity; ``armature_resistance = false`` makes the sleeve lossless).
charger efficiency
    Grid energy to bank energy (power conversion); outside the kernel by nature.
cryogenic overhead
    A superconducting (driven) armature's heat load, lifted to room temperature at a fraction
    of the Carnot efficiency; grid energy per shot, outside the kernel by nature.

The first four are resistances and drops inside the compiled circuit equations, not factors
applied afterwards; the last two are the grid side of the account.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import astropy.units as u
import numpy as np

from massdriver.errors import InputError

__all__ = ["Losses", "Thermal", "dowell_factor", "skin_depth", "stage_loss_parameters",
           "energy_account", "heating", "NO_LOSSES", "MU0", "RHO_CU_MASS", "CP_CU",
           "RHO_AL_MASS", "CP_AL"]

#: vacuum permeability, H/m
MU0 = 4.0e-7 * math.pi
#: copper density (kg/m^3) and specific heat (J/(kg K)), CRC Handbook values at 20 C
RHO_CU_MASS = 8960.0
CP_CU = 385.0
#: aluminium density (kg/m^3) and specific heat (J/(kg K)), CRC Handbook values at 20 C
RHO_AL_MASS = 2700.0
CP_AL = 897.0


def skin_depth(resistivity: float, frequency: float) -> float:
    """Skin depth ``sqrt(rho / (pi f mu0))`` (m) of a non-magnetic conductor at ``frequency`` (Hz).

    Copper (1.72e-8 Ohm m) at 1.7 kHz: 1.60 mm.
    """
    return math.sqrt(resistivity / (math.pi * frequency * MU0))


def dowell_factor(thickness: float, depth: float, layers: float, porosity: float = 1.0) -> float:
    """Dowell's AC-to-DC resistance ratio of a winding (Dowell 1966, Proc. IEE 113(8) 1387).

    ``F_R = D [ (sinh 2D + sin 2D) / (cosh 2D - cos 2D)
    + 2 (m^2 - 1) / 3 (sinh D - sin D) / (cosh D + cos D) ]`` with ``D = sqrt(eta) h / delta``:
    conductor (layer) thickness ``h``, skin depth ``delta``, ``m`` layers and layer porosity
    ``eta`` (conductor fraction of the layer height). ``F_R -> 1`` as ``D -> 0``; one thick
    layer tends to ``D`` (the current crowds into one skin depth).

    Parameters
    ----------
    thickness : float
        Conductor thickness across the layer, m.
    depth : float
        Skin depth, m.
    layers : float
        Number of layers (>= 1).
    porosity : float
        Layer porosity in (0, 1].
    """
    d = math.sqrt(porosity) * thickness / depth
    if d < 1e-3:
        return 1.0
    if d > 20.0:         # hyperbolic terms dominate; avoid overflow
        return d * (1.0 + 2.0 * (layers * layers - 1.0) / 3.0)
    t1 = (math.sinh(2 * d) + math.sin(2 * d)) / (math.cosh(2 * d) - math.cos(2 * d))
    t2 = (math.sinh(d) - math.sin(d)) / (math.cosh(d) + math.cos(d))
    return d * (t1 + 2.0 * (layers * layers - 1.0) / 3.0 * t2)


def _pos(value: Any, name: str, *, allow_zero: bool = True, maximum: float | None = None
         ) -> float | None:
    if value is None:
        return None
    v = float(value)
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero) or (
            maximum is not None and v > maximum):
        rng = f"in [0, {maximum:g}]" if maximum is not None else ">= 0"
        raise InputError(f"losses.{name} = {value!r}: must be {rng}")
    return v


@dataclass(frozen=True)
class Losses:
    """Loss models of a launcher (SI plain floats; ``None`` or ``False`` turns one off).

    Attributes
    ----------
    capacitor_dissipation_factor : float or None
        ``tan(delta)`` of the bank capacitors at the pulse frequency (default 0.001).
    switch_threshold_voltage : float or None
        Thyristor on-state threshold ``V_T0`` per device, V (default 1.0).
    switch_slope_resistance : float or None
        Thyristor on-state slope resistance ``r_T`` per device, Ohm (default 0.25e-3).
    switch_device_voltage : float
        Working voltage per series device, V (default 2500: half the 5 kV rating of large
        press-pack thyristors).
    switch_device_current : float
        Pulse current per parallel device, A (default 50e3: below the 10 ms surge rating of
        100 mm press-pack thyristors, which is 60-100 kA).
    coil_ac_resistance : bool
        Dowell AC factor on the drive coils' resistance (default True).
    armature_resistance : bool
        Keep the induction sleeve's ring resistance (default True).
    charger_efficiency : float
        Grid to bank energy (default 0.88).
    residual_recovery : float
        Fraction of the energy left in the banks after a shot that the next charge reuses
        (default 0.9: a resonant inversion recovers the reversed charge); 0 dumps it.
    cryo_heat_load : float
        Heat load of a superconducting armature at its cold temperature, W (default 5).
    cryo_time_per_shot : float
        Time the armature is held cold per shot (its recirculation cycle), s (default 600).
    cryo_temperature : float
        Cold temperature, K (default 20: an MgB2 or HTS bucket coil).
    cryo_carnot_fraction : float
        Refrigerator efficiency as a fraction of Carnot (default 0.3).
    ambient_temperature : float
        K (default 300).
    """

    capacitor_dissipation_factor: float | None = 1e-3
    switch_threshold_voltage: float | None = 1.0
    switch_slope_resistance: float | None = 0.25e-3
    switch_device_voltage: float = 2500.0
    switch_device_current: float = 50e3
    coil_ac_resistance: bool = True
    armature_resistance: bool = True
    charger_efficiency: float = 0.88
    residual_recovery: float = 0.9
    cryo_heat_load: float = 5.0
    cryo_time_per_shot: float = 600.0
    cryo_temperature: float = 20.0
    cryo_carnot_fraction: float = 0.3
    ambient_temperature: float = 300.0

    def __post_init__(self) -> None:
        _pos(self.capacitor_dissipation_factor, "capacitor_dissipation_factor", maximum=1.0)
        _pos(self.switch_threshold_voltage, "switch_threshold_voltage", maximum=1e3)
        _pos(self.switch_slope_resistance, "switch_slope_resistance", maximum=1e3)
        _pos(self.switch_device_voltage, "switch_device_voltage", allow_zero=False)
        _pos(self.switch_device_current, "switch_device_current", allow_zero=False)
        for name in ("charger_efficiency", "cryo_carnot_fraction"):
            v = getattr(self, name)
            if not (0 < v <= 1):
                raise InputError(f"losses.{name} = {v!r}: must be in (0, 1]")
        if not (0 <= self.residual_recovery <= 1):
            raise InputError(f"losses.residual_recovery = {self.residual_recovery!r}: must be "
                             "in [0, 1]")
        _pos(self.cryo_heat_load, "cryo_heat_load")
        _pos(self.cryo_time_per_shot, "cryo_time_per_shot")
        _pos(self.cryo_temperature, "cryo_temperature", allow_zero=False)
        _pos(self.ambient_temperature, "ambient_temperature", allow_zero=False)
        if self.cryo_temperature >= self.ambient_temperature:
            raise InputError(f"losses.cryo_temperature = {self.cryo_temperature:g} K: must be "
                             f"below the ambient {self.ambient_temperature:g} K")

    def cryo_energy_per_shot(self) -> float:
        """Grid energy of the armature refrigeration per shot (J):
        ``Q t (T_amb / T_cold - 1) / carnot_fraction``."""
        cop_inv = (self.ambient_temperature / self.cryo_temperature - 1.0) \
            / self.cryo_carnot_fraction
        return self.cryo_heat_load * self.cryo_time_per_shot * cop_inv


#: the circuits as given (DC coil resistance, the sleeve's own ring resistance) and an ideal
#: grid side: the model before these loss models existed, an upper bound
NO_LOSSES = Losses(capacitor_dissipation_factor=None, switch_threshold_voltage=None,
                   switch_slope_resistance=None, coil_ac_resistance=False,
                   armature_resistance=True, charger_efficiency=1.0, residual_recovery=1.0,
                   cryo_heat_load=0.0)


@dataclass(frozen=True)
class Thermal:
    """Heating of the drive coils between shots (SI plain floats).

    Attributes
    ----------
    heat_transfer_coefficient : float
        Cooling conductance per coil surface area, W/(m^2 K) (default 50: forced air).
    ambient_temperature : float
        Coolant temperature, K (default 300).
    max_temperature : float
        Highest allowed coil temperature, K (default 403: 130 C, class B insulation).
    armature_max_temperature : float
        Highest allowed sleeve temperature after a shot, K (default 573: aluminium keeps its
        strength below about 300 C).
    charging_power : float or None
        Average charging power available to the banks, W (None: not a limit here).
    """

    heat_transfer_coefficient: float = 50.0
    ambient_temperature: float = 300.0
    max_temperature: float = 403.0
    armature_max_temperature: float = 573.0
    charging_power: float | None = None

    def __post_init__(self) -> None:
        for name in ("heat_transfer_coefficient", "ambient_temperature", "max_temperature",
                     "armature_max_temperature"):
            v = getattr(self, name)
            if not (v > 0 and math.isfinite(v)):
                raise InputError(f"thermal.{name} = {v!r}: must be > 0")
        if self.max_temperature <= self.ambient_temperature:
            raise InputError(f"thermal.max_temperature = {self.max_temperature:g} K: must be "
                             f"above the ambient {self.ambient_temperature:g} K")
        if self.charging_power is not None and not (self.charging_power > 0
                                                    and math.isfinite(self.charging_power)):
            raise InputError(f"thermal.charging_power = {self.charging_power!r}: must be > 0")


# ------------------------------------------------------------------------------------------------
# per-stage circuit parameters
# ------------------------------------------------------------------------------------------------
def _coil_dowell(coil, frequency: np.ndarray) -> np.ndarray:
    """Dowell factor of one coil geometry at each frequency: the winding's turns laid as square
    conductors of pitch ``sqrt(thickness * length / N)``, side ``pitch * sqrt(fill)``."""
    ri, ro = coil.inner_radius.to_value(u.m), coil.outer_radius.to_value(u.m)
    length = coil.length.to_value(u.m)
    n = float(coil.turns)
    thick = ro - ri if ro > ri else length / max(n, 1.0)
    pitch = math.sqrt(thick * length / max(n, 1e-12))
    fill = coil.fill_factor
    h = pitch * math.sqrt(fill)
    layers = max(1.0, round(thick / pitch))
    rho = coil.resistivity.to_value(u.Ohm * u.m)
    return np.array([dowell_factor(h, skin_depth(rho, f), layers, math.sqrt(fill))
                     for f in frequency])


def stage_loss_parameters(gun, losses: Losses, self_l: np.ndarray, coil_r_dc: np.ndarray
                          ) -> dict:
    """Per-stage resistances (Ohm) and the switch drop (V, unsigned) that ``losses`` adds.

    Returns a dict of arrays (N,): ``frequency`` (Hz), ``coil_ac`` (coil resistance at the
    pulse frequency), ``ac_factor``, ``esr``, ``switch_r``, ``switch_drop``, ``devices``
    (in series), ``parallel`` (strings).
    """
    g = gun.coil_index
    cap = gun.capacitance.to_value(u.F)
    v0 = np.abs(gun.voltage.to_value(u.V))
    l_k = self_l[g]
    freq = 1.0 / (2.0 * math.pi * np.sqrt(l_k * cap))
    fac = np.ones(gun.n_stages)
    if losses.coil_ac_resistance:
        for gi, coil in enumerate(gun.coils):
            sel = g == gi
            if np.any(sel):
                fac[sel] = _coil_dowell(coil, freq[sel])
    coil_ac = coil_r_dc[g] * fac
    esr = np.zeros(gun.n_stages)
    if losses.capacitor_dissipation_factor:
        esr = losses.capacitor_dissipation_factor * np.sqrt(l_k / cap)
    devices = np.maximum(1.0, np.ceil(np.max(v0) / losses.switch_device_voltage)) * np.ones(
        gun.n_stages)
    # parallel strings for the undamped peak current V0 sqrt(C / L)
    parallel = np.maximum(1.0, np.ceil(v0 * np.sqrt(cap / l_k) / losses.switch_device_current))
    switch_r = devices / parallel * (losses.switch_slope_resistance or 0.0)
    drop = devices * (losses.switch_threshold_voltage or 0.0)
    if gun.switch == "ring":
        drop = np.zeros_like(drop)    # a bidirectional switch: the drop's sign would flip
    drop = np.where(v0 > 20.0 * drop, drop, 0.0)
    return {"frequency": freq, "coil_ac": coil_ac, "ac_factor": fac, "esr": esr,
            "switch_r": switch_r, "switch_drop": drop, "devices": devices,
            "parallel": parallel}


# ------------------------------------------------------------------------------------------------
# the energy account
# ------------------------------------------------------------------------------------------------
def _stage_i2t(shot) -> np.ndarray:
    """Per-stage action ``int I^2 dt`` estimated as a half-sine pulse, ``I_pk^2 (t_off -
    t_fire) / 2`` (the exact total is the kernel's; this only distributes it)."""
    t_on = shot.stage_fire_time.to_value(u.s)
    t_off = shot.stage_off_time.to_value(u.s)
    t_end = shot.time_on_track.to_value(u.s)
    t_off = np.where(np.isfinite(t_off), t_off, t_end)
    dur = np.where(np.isfinite(t_on), np.maximum(t_off - t_on, 0.0), 0.0)
    return 0.5 * shot.stage_peak_current.to_value(u.A) ** 2 * dur


def energy_account(gun, shot, losses: Losses, params: dict) -> dict:
    """The energy account of ``shot`` (J and plain ratios; closes to rounding).

    ``stored + initial magnetic = kinetic + dissipated + left in banks + magnetic at exit``,
    with the dissipation split by mechanism. The stage circuits' resistive loss is the
    kernel's exact integral; its split between capacitor ESR, switch, coil and crowbar uses each
    stage's resistances and its ``int I^2 dt`` (estimated per stage, normalised to the exact
    total), and the switch threshold loss is exact, ``V_T0 C |V0 - V_end|`` per stage (the bank's
    charge passes the switch once).
    """
    c = gun.capacitance.to_value(u.F)
    v0 = gun.voltage.to_value(u.V)
    v_end = shot.stage_final_voltage.to_value(u.V)
    stored = float(np.sum(0.5 * c * v0 ** 2))
    left = float(np.sum(0.5 * c * v_end ** 2))
    drawn = shot.energy_drawn.to_value(u.J)
    w0 = shot.initial_magnetic_energy.to_value(u.J)
    ke = shot.kinetic_energy.to_value(u.J)
    m_tot = shot.moving_mass.to_value(u.kg)
    m_p = shot.payload_mass.to_value(u.kg)
    ke_payload = ke * m_p / m_tot if m_tot > 0 else 0.0
    w_mag = shot.stored_energy.to_value(u.J)
    total = shot.resistive_loss.to_value(u.J)
    arm = shot.armature_loss.to_value(u.J)
    fired = np.isfinite(shot.stage_fire_time.to_value(u.s))
    sw_drop = float(np.sum(np.where(fired, params["switch_drop"] * c * np.abs(v0 - v_end), 0.0)))
    stage_r = max(total - arm - sw_drop, 0.0)
    r_ser = gun.series_resistance.to_value(u.Ohm)
    r_cb = gun.crowbar_resistance.to_value(u.Ohm) * np.ones(gun.n_stages)
    parts = np.vstack([params["esr"], params["switch_r"], params["coil_ac"], r_ser, r_cb])
    if gun.switch != "crowbar":
        parts[4] = 0.0
    i2t = _stage_i2t(shot)
    w = parts * i2t
    scale = stage_r / float(np.sum(w)) if np.sum(w) > 0 else 0.0
    split = np.sum(w, axis=1) * scale
    dissipated = {
        "capacitor_esr_j": float(split[0]),
        "switch_j": float(split[1]) + sw_drop,
        "drive_coils_j": float(split[2]),
        "series_resistance_j": float(split[3]),
        "crowbar_j": float(split[4]),
        "armature_j": arm,
    }
    residual = total - sum(dissipated.values())
    if abs(residual) > 0:             # rounding, or no I^2 t to split (nothing fired)
        dissipated["drive_coils_j"] += residual
    dissipated["total_j"] = total
    recovered = losses.residual_recovery * left
    charger_in = (stored - recovered) / losses.charger_efficiency
    cryo = losses.cryo_energy_per_shot() if gun.armature.kind == "driven" else 0.0
    grid = charger_in + cryo
    balance = stored + w0 - (ke + total + left + w_mag)
    return {
        "stored_j": stored,
        "drawn_j": drawn,
        "left_in_banks_j": left,
        "left_recovered_j": recovered,
        "initial_magnetic_j": w0,
        "magnetic_at_exit_j": w_mag,
        "kinetic_j": ke,
        "kinetic_payload_j": ke_payload,
        "kinetic_carrier_j": ke - ke_payload,
        "dissipated": dissipated,
        "charger_loss_j": charger_in - (stored - recovered),
        "cryogenic_j": cryo,
        "grid_j": grid,
        "balance_j": balance,
        "balance_relative": balance / max(stored + abs(w0), 1e-300),
        "muzzle_efficiency": ke / drawn if drawn > 0 else 0.0,
        "bank_efficiency": ke / stored if stored > 0 else 0.0,
        "wall_plug_efficiency": ke_payload / grid if grid > 0 else 0.0,
        "definitions": {
            "muzzle_efficiency": "kinetic energy (payload + carrier) / energy drawn from banks",
            "bank_efficiency": "kinetic energy (payload + carrier) / energy stored in banks",
            "wall_plug_efficiency": "payload kinetic energy / grid energy (charger input for "
                                    "the energy not recovered from the banks, plus cryogenics)",
            "balance": "stored + initial magnetic - kinetic - dissipated - left in banks - "
                       "magnetic at exit",
        },
    }


# ------------------------------------------------------------------------------------------------
# heating and firing rate
# ------------------------------------------------------------------------------------------------
def heating(gun, shot, account: dict, params: dict, thermal: Thermal) -> dict:
    """Coil and armature temperature rise per shot and the sustainable firing rate.

    Each coil heats adiabatically during its pulse (``dT = E_coil / (m c)``, copper mass from
    the winding volume and fill factor) and cools between shots through ``G = h A`` (its whole
    surface), time constant ``tau = m c / G``. Fired at rate ``f`` it settles to a peak of
    ``T_amb + dT / (1 - exp(-1 / (f tau)))``; the sustainable rate keeps that at
    ``max_temperature``: ``f = -1 / (tau ln(1 - dT / (T_max - T_amb)))`` (0 if one shot
    overheats). The launcher's rate is the lowest stage's, and the charging power's
    ``P / grid energy per shot`` when ``thermal.charging_power`` is set.
    """
    n = gun.n_stages
    g = gun.coil_index
    coil_e = account["dissipated"]["drive_coils_j"]
    i2t = _stage_i2t(shot)
    w = params["coil_ac"] * i2t
    e_k = coil_e * w / np.sum(w) if np.sum(w) > 0 else np.zeros(n)
    mass = np.empty(len(gun.coils))
    area = np.empty(len(gun.coils))
    for gi, coil in enumerate(gun.coils):
        ri, ro = coil.inner_radius.to_value(u.m), coil.outer_radius.to_value(u.m)
        ln = coil.length.to_value(u.m)
        thick = max(ro - ri, 1e-3)
        mass[gi] = RHO_CU_MASS * coil.fill_factor * math.pi * ((ri + thick) ** 2 - ri ** 2) * ln
        area[gi] = 2 * math.pi * (ri + ri + thick) * ln + 2 * math.pi * ((ri + thick) ** 2
                                                                          - ri ** 2)
    heat_cap = mass[g] * CP_CU
    dt = e_k / heat_cap
    tau = heat_cap / (thermal.heat_transfer_coefficient * area[g])
    allow = thermal.max_temperature - thermal.ambient_temperature
    with np.errstate(divide="ignore"):
        frac = dt / allow
        rate = np.where(frac >= 1.0, 0.0,
                        np.where(frac <= 0.0, np.inf, -1.0 / (tau * np.log1p(-np.minimum(
                            frac, 1.0 - 1e-16)))))
    thermal_rate = float(np.min(rate)) if n else math.inf
    limiting = int(np.argmin(rate)) if n else -1
    out = {
        "temperature_rise_per_shot_k": dt,
        "cooling_time_constant_s": tau,
        "cooling_conductance_w_k": thermal.heat_transfer_coefficient * area[g],
        "max_temperature_k": thermal.max_temperature,
        "stage_sustainable_rate_hz": rate,
        "thermal_rate_hz": thermal_rate,
        "limiting_stage": limiting,
    }
    arm = gun.armature
    arm_dt = 0.0
    if arm.kind == "induction":
        ri, ro = arm.inner_radius.to_value(u.m), arm.outer_radius.to_value(u.m)
        m_arm = RHO_AL_MASS * math.pi * (ro ** 2 - ri ** 2) * arm.length.to_value(u.m)
        arm_dt = account["dissipated"]["armature_j"] / (m_arm * CP_AL)
    out["armature_temperature_rise_k"] = arm_dt
    out["armature_ok"] = bool(thermal.ambient_temperature + arm_dt
                              <= thermal.armature_max_temperature)
    rate_total = thermal_rate
    charge_rate = math.inf
    if thermal.charging_power is not None and account["grid_j"] > 0:
        charge_rate = thermal.charging_power * 1.0 / account["grid_j"]
        rate_total = min(rate_total, charge_rate)
    out["charging_rate_hz"] = charge_rate
    out["sustainable_rate_hz"] = rate_total
    return out
