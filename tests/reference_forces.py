"""An ephemeris force model written independently of massdriver's kernels.

numpy, jplephem (DE421 SPK and the lunar PA binary PCK, read directly) and ERFA, with the
constants of ``published_constants`` (the sources' numbers, never ``massdriver.bodies``).
Driven by ``scipy.integrate.solve_ivp`` it is the independent reference of test_trajectory.py
and of the end-to-end window check in test_windows.py.
"""

from __future__ import annotations

import math

import numpy as np
import published_constants as src


class NumpyEphemerisModel:
    """The ephemeris force model written independently with numpy, jplephem and ERFA.

    Point-mass Earth, Moon and Sun (DE421 via jplephem), Earth J2 about the mean pole (third row
    of ERFA's IAU 2006 bias-precession matrix ``pmat06``), lunar J2 and C22 in the DE421 PA
    frame (Euler angles 3-1-3 from the binary PCK via jplephem) within 66 100 km of the Moon.
    """

    def __init__(self):
        from jplephem.pck import PCK
        from jplephem.spk import SPK

        from massdriver.ephemeris import default_pck_path, default_spk_path

        self.spk = SPK.open(str(default_spk_path()))
        self.pck = PCK.open(str(default_pck_path()))
        self.pa = self.pck.segments[0]
        self.nfev = 0

    def close(self):
        self.spk.close()
        self.pck.close()

    def bodies_at(self, t):
        jd1, jd2 = 2451545.0, t / 86400.0
        earth = self.spk[3, 399].compute(jd1, jd2)
        moon = self.spk[3, 301].compute(jd1, jd2) - earth
        sun = self.spk[0, 10].compute(jd1, jd2) - self.spk[0, 3].compute(jd1, jd2) - earth
        return moon, sun

    @staticmethod
    def _third_body(r, s, gm):
        d = s - r
        return gm * (d / np.linalg.norm(d) ** 3 - s / np.linalg.norm(s) ** 3)

    def pole(self, t):
        import erfa

        return erfa.pmat06(2451545.0, t / 86400.0)[2]

    def pa_matrix(self, t):
        phi, theta, psi = self.pa.compute(2451545.0, t / 86400.0, derivative=False)
        return _rot3(psi) @ _rot1(theta) @ _rot3(phi)               # ICRF -> PA

    def earth_j2(self, t, r):
        """Earth J2 acceleration about the mean pole (km/s^2)."""
        pole = self.pole(t)
        rn = np.linalg.norm(r)
        z = r @ pole
        k = -1.5 * src.J2_EARTH * src.DE421_GM_EARTH * src.EGM2008_A_E**2 / rn**5
        return k * ((1.0 - 5.0 * z * z / rn**2) * r + 2.0 * z * pole)

    def earth_j2_potential(self, t, r):
        """U_J2 = -GM J2 R^2 (3 (r.p)^2 / r^2 - 1) / (2 r^3), with a = grad U (km^2/s^2)."""
        rn = np.linalg.norm(r)
        z = r @ self.pole(t)
        return (-src.DE421_GM_EARTH * src.J2_EARTH * src.EGM2008_A_E**2
                * (3.0 * z * z / rn**2 - 1.0) / (2.0 * rn**3))

    def moon_harmonics(self, t, d):
        """Lunar J2 + C22 acceleration at selenocentric ICRF offset ``d`` (km/s^2)."""
        rot = self.pa_matrix(t)
        x, yy, zz = rot @ d
        dn = np.linalg.norm(d)
        gm_r2 = src.DE421_GM_MOON * src.GL0660B_RADIUS**2
        j2 = -1.5 * src.J2_MOON * gm_r2 / dn**5
        f = 5.0 * zz * zz / dn**2
        g = np.array([j2 * x * (1.0 - f), j2 * yy * (1.0 - f), j2 * zz * (3.0 - f)])
        c22 = 3.0 * src.C22_MOON * gm_r2 / dn**5
        w = 5.0 * (x * x - yy * yy) / dn**2
        g += c22 * np.array([2.0 * x - w * x, -2.0 * yy - w * yy, -w * zz])
        return rot.T @ g

    def moon_harmonics_potential(self, t, d):
        """U = -GM J2 R^2 (3 z^2 / d^2 - 1) / (2 d^3) + 3 GM C22 R^2 (x^2 - y^2) / d^5 (PA)."""
        x, yy, zz = self.pa_matrix(t) @ d
        dn = np.linalg.norm(d)
        gm_r2 = src.DE421_GM_MOON * src.GL0660B_RADIUS**2
        return (-gm_r2 * src.J2_MOON * (3.0 * zz * zz / dn**2 - 1.0) / (2.0 * dn**3)
                + 3.0 * gm_r2 * src.C22_MOON * (x * x - yy * yy) / dn**5)

    def __call__(self, t, y):
        self.nfev += 1
        r = y[:3]
        rn = np.linalg.norm(r)
        a = -src.DE421_GM_EARTH * r / rn**3 + self.earth_j2(t, r)
        moon, sun = self.bodies_at(t)
        a += (self._third_body(r, moon, src.DE421_GM_MOON)
              + self._third_body(r, sun, src.DE421_GM_SUN))
        d = r - moon
        if np.linalg.norm(d) < 66100.0:
            a += self.moon_harmonics(t, d)
        return np.concatenate([y[3:], a])


def gradient(func, x, step):
    """Central-difference gradient of ``func`` at ``x`` (4th order)."""
    grad = np.empty(3)
    for i in range(3):
        e = np.zeros(3)
        e[i] = step
        grad[i] = (-func(x + 2 * e) + 8 * func(x + e) - 8 * func(x - e) + func(x - 2 * e)) / (
            12.0 * step)
    return grad


def _rot1(angle):
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, s], [0.0, -s, c]])


def _rot3(angle):
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])
