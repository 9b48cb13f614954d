"""Reference orbits shared by the integrator tests (test_dop853, test_sundman, test_taylor).

- Two-body motion: Kepler's equation M = E - e sin E solved by Newton iteration (Vallado,
  *Fundamentals of Astrodynamics and Applications*, 4th ed., Alg. 2 and 10).
- The CR3BP in the rotating frame (Koon, Lo, Marsden & Ross 2011, eq. 2.3.8), numpy.
- A lunar launch state (a shot from 1 km above the Moon against its orbital motion).
"""

from __future__ import annotations

import math

import numpy as np
from massdriver.kernels import forces
from massdriver.kernels.chebyshev import geocentric_moon

from massdriver import bodies

GM = bodies.GM_EARTH
MU = bodies.CR3BP_MU
L = bodies.CR3BP_LENGTH_UNIT
TU = bodies.CR3BP_TIME_UNIT
VU = L / TU


def kepler_params():
    """Ephemeris model reduced to a point-mass Earth (third bodies and J2 off)."""
    return forces.ephemeris_params(gm_moon=0.0, gm_sun=0.0, j2_earth=0.0,
                                   moon_harmonics_radius=0.0)


def elements_to_state(a, e, i, raan, argp, nu, mu=GM):
    p = a * (1.0 - e * e)
    r_pf = p / (1.0 + e * math.cos(nu)) * np.array([math.cos(nu), math.sin(nu), 0.0])
    v_pf = math.sqrt(mu / p) * np.array([-math.sin(nu), e + math.cos(nu), 0.0])

    def rot(axis, ang):
        c, s = math.cos(ang), math.sin(ang)
        if axis == 3:
            return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])
        return np.array([[1.0, 0, 0], [0, c, -s], [0, s, c]])

    q = rot(3, raan) @ rot(1, i) @ rot(3, argp)
    return np.concatenate([q @ r_pf, q @ v_pf])


def kepler_state(a, e, i, raan, argp, nu0, dt, mu=GM):
    """Analytic two-body state after ``dt`` s: Kepler's equation by Newton iteration."""
    n = math.sqrt(mu / a**3)
    E0 = 2.0 * math.atan2(math.sqrt(1 - e) * math.sin(nu0 / 2),
                          math.sqrt(1 + e) * math.cos(nu0 / 2))
    M = E0 - e * math.sin(E0) + n * dt
    E = M
    for _ in range(50):
        dE = (E - e * math.sin(E) - M) / (1.0 - e * math.cos(E))
        E -= dE
        if abs(dE) < 1e-16:
            break
    nu = 2.0 * math.atan2(math.sqrt(1 + e) * math.sin(E / 2), math.sqrt(1 - e) * math.cos(E / 2))
    return elements_to_state(a, e, i, raan, argp, nu, mu)


# a lunar-transfer-like ellipse: perigee 6700 km, apogee 380,000 km
A_KEP = (6700.0 + 380000.0) / 2.0
E_KEP = (380000.0 - 6700.0) / (380000.0 + 6700.0)
ORBIT = (A_KEP, E_KEP, 0.5, 1.0, 2.0, 0.3)
PERIOD = 2.0 * math.pi * math.sqrt(A_KEP**3 / GM)
T0 = 8.6e8        # 2027-04-02 TDB, inside DE421


def lunar_launch(eph, t, speed, elevation_deg=20.0, altitude=1.0):
    """A shot from the lunar surface against the Moon's orbital motion (it falls earthwards)."""
    rm, vm = geocentric_moon(t, eph)
    along = -vm / np.linalg.norm(vm)
    up = np.cross(np.cross(along, rm), along)
    up /= np.linalg.norm(up)
    along = np.cross(up, np.cross(along, up))
    el = math.radians(elevation_deg)
    r0 = rm + up * (bodies.R_MOON + altitude)
    return np.r_[r0, vm + speed * (math.cos(el) * along + math.sin(el) * up)]


def cr3bp_numpy(t, y):
    """The CR3BP in the rotating frame (Koon, Lo, Marsden & Ross 2011, eq. 2.3.8), numpy."""
    x, yy, z, vx, vy, vz = y
    r1 = math.sqrt((x + MU) ** 2 + yy**2 + z**2)
    r2 = math.sqrt((x - 1 + MU) ** 2 + yy**2 + z**2)
    k1 = (1 - MU) / r1**3
    k2 = MU / r2**3
    return [vx, vy, vz, 2 * vy + x - k1 * (x + MU) - k2 * (x - 1 + MU),
            -2 * vx + yy - (k1 + k2) * yy, -(k1 + k2) * z]


def rotating_launch(eph, speed):
    """The benchmark coast: 2.50 km/s from 1 km above the Moon, rotating-frame CR3BP state."""
    y = lunar_launch(eph, T0, speed)
    rm, vm = geocentric_moon(T0, eph)
    ex = rm / np.linalg.norm(rm)
    ez = np.cross(rm, vm)
    ez /= np.linalg.norm(ez)
    ey = np.cross(ez, ex)
    C = np.array([ex, ey, ez])
    r_rel = C @ (y[:3] - rm) / L
    v_rel = C @ (y[3:] - vm) / VU
    r = np.array([1 - MU, 0, 0]) + r_rel
    return np.r_[r, v_rel - np.cross([0, 0, 1.0], r_rel)]
