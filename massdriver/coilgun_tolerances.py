"""Launcher errors by Monte Carlo through the compiled coilgun kernel (``[tolerances]``).

Shot-to-shot errors of bank voltage (per stage and common to all stages), trigger timing,
moving mass and track alignment are sampled and every sample is a full shot of the coupled
circuits (:func:`massdriver.kernels.coilgun_batch.simulate_batch`, one thread per shot). The
result is the exit-speed dispersion and the pointing dispersion that
``speed_sigma = "from-coilgun"`` hands to the window solver.

The kernel is one-dimensional (axial): the pointing error is the alignment tolerance of the
track axis at the muzzle (per axis), not a computed transverse response.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import astropy.units as u
import numpy as np

from massdriver.coilgun import _payload, simulate
from massdriver.errors import InputError
from massdriver.kernels import coilgun as kc
from massdriver.kernels import coilgun_batch as kb

__all__ = ["Tolerances", "LauncherDispersion", "monte_carlo", "MC_RTOL", "mc_controls"]

log = logging.getLogger(__name__)

#: integrator tolerance of the Monte Carlo shots. The dispersion is a difference between
#: shots, and the integration error is nearly the same in every shot: at 1e-3 the exit-speed
#: sigma moves by ~0.1 % of itself against 1e-8 (the convergence check in
#: tests/test_coilgun_realism.py and benchmarks/bench_coilgun.py), while each shot's speed
#: moves by ~2e-5 relative (reported in ``speed_mean``, not used for the sigma).
MC_RTOL = 1e-3

def mc_controls(rtol: float) -> dict:
    """Integration controls of the Monte Carlo shots at ``rtol``: keyword arguments of
    :class:`~massdriver.kernels.coilgun.ShotControls` besides ``rtol``.

    All loosen with ``rtol`` and equal the single-shot defaults at ``rtol <= 1e-8``:

    ``event_tol``
        events are located to ``1e-10 * max(1, rtol / 1e-7)`` of the track length (82 um of
        the 82 m benchmark track at 1e-3, against trigger shifts of ``v * jitter`` ~ mm);
    ``fire_step``
        the first step after a fire grows as ``0.02 (rtol / 1e-8) ** 0.25`` of an LC time, at
        most 0.3 (a fifth-order method's step scales as ``rtol ** 0.2``);
    ``land_triggers``
        steps aim at the next trigger position (constant-acceleration prediction), so that a
        trigger event needs no event iteration (off at ``rtol <= 1e-8``).

    Parameters
    ----------
    rtol : float
        Integrator tolerance of the shots.

    Returns
    -------
    dict
        ``event_tol``, ``fire_step``, ``land_triggers``.
    """
    tight = rtol <= 1e-8
    return {"event_tol": float(max(1.0, rtol / 1e-7)),
            "fire_step": 0.02 if tight else float(min(0.3, 0.02 * (rtol / 1e-8) ** 0.25)),
            "land_triggers": not tight}


@dataclass(frozen=True)
class Tolerances:
    """One-sigma shot-to-shot errors of a launcher.

    Attributes
    ----------
    voltage : float
        Relative charge-voltage error of each stage, independent (default 0.001: a 0.1 %
        regulated charger).
    voltage_common : float
        Relative charge-voltage error common to all stages of a shot (default 0.0005).
    trigger_jitter : float
        Switch timing jitter, s (default 1e-6; a thyristor's turn-on delay spread is about
        a microsecond).
    mass : float
        Relative error of the moving mass (default 0.001).
    alignment : float
        Angular alignment error of the track axis at the muzzle, rad, per axis (default 1e-5).
    """

    voltage: float = 1e-3
    voltage_common: float = 5e-4
    trigger_jitter: float = 1e-6
    mass: float = 1e-3
    alignment: float = 1e-5

    def __post_init__(self) -> None:
        for name in ("voltage", "voltage_common", "trigger_jitter", "mass", "alignment"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
                raise InputError(f"tolerances.{name} = {v!r}: must be a finite number >= 0")


@dataclass(frozen=True)
class LauncherDispersion:
    """Exit-speed and pointing dispersion of a launcher from its tolerances.

    Attributes
    ----------
    speed_sigma : Quantity
        Standard deviation of the exit speed (m/s).
    speed_mean, nominal_speed : Quantity
        Mean exit speed of the samples and of the nominal shot (m/s).
    pointing_sigma : Quantity
        Pointing error per axis (deg).
    n_shots, n_failed : int
        Samples run, and those that did not reach the muzzle (left out of the statistics).
    tolerances : Tolerances
    seed : int
    rtol : float
    """

    speed_sigma: Any
    speed_mean: Any
    nominal_speed: Any
    pointing_sigma: Any
    n_shots: int
    n_failed: int
    tolerances: Tolerances
    seed: int
    rtol: float

    def summary(self) -> dict:
        """Plain numbers (SI, pointing in deg)."""
        return {
            "speed_sigma_m_s": float(self.speed_sigma.to_value(u.m / u.s)),
            "speed_mean_m_s": float(self.speed_mean.to_value(u.m / u.s)),
            "nominal_speed_m_s": float(self.nominal_speed.to_value(u.m / u.s)),
            "pointing_sigma_deg": float(self.pointing_sigma.to_value(u.deg)),
            "shots": self.n_shots, "failed": self.n_failed, "seed": self.seed,
            "rtol": self.rtol,
            "tolerances": {"voltage": self.tolerances.voltage,
                           "voltage_common": self.tolerances.voltage_common,
                           "trigger_jitter_s": self.tolerances.trigger_jitter,
                           "mass": self.tolerances.mass,
                           "alignment_rad": self.tolerances.alignment},
        }


def sample_inputs(gun, nominal, n: int, tol: Tolerances, seed: int, mass: float):
    """Per-shot voltage factors (n, N), trigger shifts (n, N, m) and masses (n,) (SI).

    A timing jitter ``dt`` moves a trigger by ``v dt``, ``v`` the nominal shot's speed at that
    trigger (0 for a stage that fires at rest, which therefore does not jitter).
    """
    rng = np.random.default_rng(seed)
    n_st = gun.n_stages
    v_scale = 1.0 + tol.voltage_common * rng.standard_normal((n, 1)) \
        + tol.voltage * rng.standard_normal((n, n_st))
    pos = nominal.position.to_value(u.m)
    spd = nominal.speed.to_value(u.m / u.s)
    v_trig = np.interp(gun.trigger_positions.to_value(u.m), pos, spd) if pos.size else \
        np.zeros(n_st)
    x0 = gun.start.to_value(u.m)
    v_trig = np.where(gun.trigger_positions.to_value(u.m) <= x0,
                      gun.initial_speed.to_value(u.m / u.s), v_trig)
    shift = tol.trigger_jitter * rng.standard_normal((n, n_st)) * v_trig[None, :]
    masses = mass * (1.0 + tol.mass * rng.standard_normal(n))
    return np.ascontiguousarray(v_scale), np.ascontiguousarray(shift), masses


def monte_carlo(gun, n_shots: int = 1000, payload_mass=None, *, tolerances: Tolerances | None
                = None, seed: int = 0, rtol: float = MC_RTOL) -> LauncherDispersion:
    """Exit-speed and pointing dispersion of ``gun`` by Monte Carlo (compiled, parallel).

    Parameters
    ----------
    gun : massdriver.coilgun.Coilgun
    n_shots : int
        Samples (>= 2).
    payload_mass : Quantity, optional
        Default: the launcher's nominal payload.
    tolerances : Tolerances, optional
        Default: ``gun.tolerances`` or :class:`Tolerances()`.
    seed : int
    rtol : float
        Integrator tolerance of each sampled shot (default :data:`MC_RTOL`); the event
        location and the steps around a fire loosen with it (:func:`mc_controls`). The
        nominal shot (``nominal_speed``, trigger speeds) always runs at 1e-8.

    Returns
    -------
    LauncherDispersion
    """
    if isinstance(n_shots, bool) or not isinstance(n_shots, (int, np.integer)) or n_shots < 2:
        raise InputError(f"n_shots = {n_shots!r}: must be an integer >= 2")
    if not (isinstance(rtol, (int, float)) and 1e-12 <= rtol <= 1e-3):
        raise InputError(f"rtol = {rtol!r}: must be in [1e-12, 1e-3]")
    tol = tolerances or getattr(gun, "tolerances", None) or Tolerances()
    payload = _payload(gun, payload_mass)
    mass = (payload + gun.carrier_mass).to_value(u.kg)
    nominal = simulate(gun, payload)
    if nominal.status != "muzzle":
        raise InputError(f"monte_carlo: the nominal shot ends with status {nominal.status!r}")
    v_scale, shift, masses = sample_inputs(gun, nominal, int(n_shots), tol, seed, mass)
    k = gun.kernel_inputs()
    model = kc.make_model(k, mass)
    x0 = gun.start.to_value(u.m)
    x_end = gun.muzzle.to_value(u.m)
    t_lim = 5.0 * nominal.time_on_track.to_value(u.s) + 1.0
    ctl = kc.ShotControls(x0=float(x0), v0=float(gun.initial_speed.to_value(u.m / u.s)),
                          x_muzzle=float(x_end), t_max=float(t_lim), rtol=float(rtol),
                          retire_tol=1e-4, max_slots=64, max_steps=20_000_000,
                          i_scale=float(k["i_scale"]), record=False, **mc_controls(rtol))
    out = kb.simulate_batch(model, ctl, v_scale, shift, masses)
    ok = out[:, 0] == kc.STATUS_MUZZLE
    n_failed = int(np.count_nonzero(~ok))
    if np.count_nonzero(ok) < 2:
        raise InputError("monte_carlo: fewer than two sampled shots reached the muzzle")
    if n_failed:
        log.warning("monte_carlo: %d of %d sampled shots did not reach the muzzle", n_failed,
                    n_shots)
    v = out[ok, 1]
    return LauncherDispersion(
        speed_sigma=float(np.std(v, ddof=1)) * u.m / u.s, speed_mean=float(np.mean(v)) * u.m
        / u.s, nominal_speed=nominal.exit_speed.to(u.m / u.s),
        pointing_sigma=(tol.alignment * u.rad).to(u.deg), n_shots=int(n_shots),
        n_failed=n_failed, tolerances=tol, seed=int(seed), rtol=float(rtol))
