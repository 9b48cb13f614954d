"""Many coilgun shots at once (Monte Carlo of the launcher's tolerances), in parallel (SI units).

Kept out of :mod:`massdriver.kernels.coilgun` on purpose: a ``parallel=True`` kernel costs a
long cold compile (about 90 s on a loaded 2-core machine), which the single-shot paths must
not pay. Importing this module compiles nothing; the first call to :func:`simulate_batch`
(a Monte Carlo) does, and it is not in ``massdriver warmup``'s default list.
"""

from __future__ import annotations

import numba
import numpy as np
from massdriver.kernels.coilgun import P_TRIG, P_V0, CoilgunModel, simulate_shot
from massdriver.kernels.jit import jit_parallel

__all__ = ["N_OUT", "simulate_batch"]

#: columns of :func:`simulate_batch`'s output: status, exit speed (m/s), time on track (s),
#: energy drawn (J), kinetic energy gained (J), peak |acceleration| (m/s^2)
N_OUT = 6


@jit_parallel
def simulate_batch(md, ctl, v_scale, trig_shift, masses):
    """Shots of one launcher with per-shot perturbations, one thread per shot (``prange``).

    Parameters
    ----------
    md : CoilgunModel
        The nominal launcher (its ``mass`` is ignored: ``masses`` gives each shot's).
    ctl : ShotControls
        Integration controls (``record`` should be False).
    v_scale : ndarray (n, N)
        Factor on every stage's charge voltage, per shot.
    trig_shift : ndarray (n, N)
        Shift of every stage's trigger position (m), per shot.
    masses : ndarray (n,)
        Moving mass of each shot (kg).

    Returns
    -------
    ndarray (n, N_OUT)
        Per shot: status, exit speed, time, energy drawn, kinetic energy, peak |acceleration|.
    """
    n = masses.size
    n_stage = md.sp.shape[0]
    out = np.empty((n, N_OUT))
    for i in numba.prange(n):
        sp = md.sp.copy()
        for k in range(n_stage):
            sp[k, P_V0] *= v_scale[i, k]
            sp[k, P_TRIG] += trig_shift[i, k]
        order = np.argsort(sp[:, P_TRIG], kind="mergesort")
        m = masses[i]
        mdi = CoilgunModel(sp, md.mode, md.geom, order, md.mss, md.tab, md.tab_n, md.tab_x0,
                           md.tab_h, md.n_layers, md.l_arm, md.r_arm, md.i_arm0, md.arm_offset,
                           md.arm_layer, m, 1.0 / m)
        res = simulate_shot(mdi, ctl)
        out[i, 0] = res.status
        out[i, 1] = res.v
        out[i, 2] = res.t
        out[i, 3] = res.e_drawn
        out[i, 4] = res.kinetic_energy
        out[i, 5] = res.max_abs_acc
    return out
