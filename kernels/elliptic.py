"""Mutual inductance of coaxial circular filaments and thick coils (numba, SI units).

Everything here is SI: radii and axial distances in m, inductances in H, gradients in H/m.

Complete elliptic integrals
---------------------------
:func:`ellip_ks` evaluates K(m) with the arithmetic-geometric mean (Abramowitz & Stegun 17.6) and
the tail sum ``S = sum_{n>=1} 2**(n-1) c_n**2`` of the same iteration, so that

    E(m) = K(m) (1 - m/2 - S).

The combinations Maxwell's formula needs are then free of cancellation for small ``m`` (distant
loops): ``(1 - m/2) K - E = K S`` and ``(2 - m) E - 2 (1 - m) K = K (m**2/2 - (2 - m) S)``. The
complementary parameter ``m1 = 1 - m`` is always formed from the geometry (never as ``1 - m``), so
near-touching filaments keep their precision too.

Two coaxial circular filaments (Maxwell)
----------------------------------------
Radii ``a``, ``b``, axial separation ``z``; ``m = k**2 = 4ab / ((a+b)**2 + z**2)``:

    M  = mu0 sqrt(ab) [(2/k - k) K - (2/k) E]                    = 2 mu0 sqrt(ab) K S / k
    dM/dz = -mu0 z k / (4 sqrt(ab)) [(2 - m) E / (1 - m) - 2 K]

(J. C. Maxwell, *A Treatise on Electricity and Magnetism* (1873), art. 701; the derivative follows
from dK/dk and dE/dk). The tests compare both with a direct quadrature of the Neumann integral.

Thick coils (uniform turn density over a rectangular cross-section)
-------------------------------------------------------------------
A coil is ``turns`` loops spread uniformly over ``[r_in, r_out] x [-length/2, length/2]``. The
radial direction is integrated with Gauss-Legendre nodes (the caller passes nodes and weights
normalised to sum 1). The axial direction is integrated *exactly*: two uniform axial distributions
convolve to a trapezoid, so with ``G1(s) = int_0^s m(t) dt`` and ``H(s) = int_0^s (s-t) m(t) dt``
(``m`` the filament mutual inductance at radii r1, r2):

    M(xi)     = N1 N2 / (l1 l2) [H(xi+sig) + H(xi-sig) - H(xi+del) - H(xi-del)]
    dM/dxi    = N1 N2 / (l1 l2) [G1(xi+sig) + G1(xi-sig) - G1(xi+del) - G1(xi-del)]

with ``sig = (l1 + l2)/2`` and ``del = (l1 - l2)/2``. ``G1`` and ``H`` are accumulated over the
sorted abscissae with Gauss-Legendre panels graded geometrically towards the filament
singularity at ``t = +-i |r1 - r2|`` (every panel is no longer than its distance to the singular
point), which keeps each panel's quadrature error near machine precision. The same routine gives
the self-inductance (``xi = 0`` with a coil and itself).
"""

from __future__ import annotations

import math

import numpy as np
from massdriver.kernels.jit import jit

from massdriver.bodies import MU_0

__all__ = [
    "ellip_ks", "ellipke", "loop_mutual", "loop_mutual_dz", "loop_mutual_both",
    "coil_pair_eval", "MU_0",
]

_GL10_X, _GL10_W = np.polynomial.legendre.leggauss(10)
_GL5_X, _GL5_W = np.polynomial.legendre.leggauss(5)


@jit
def ellip_ks(m, m1):
    """K(m) and the AGM tail sum S for parameter ``m`` and complementary parameter ``m1 = 1 - m``.

    Parameters
    ----------
    m, m1 : float
        The parameter ``m = k**2`` and ``1 - m`` (both given, computed by the caller without
        cancellation). ``0 <= m < 1``.

    Returns
    -------
    K : float
        Complete elliptic integral of the first kind.
    S : float
        ``sum_{n>=1} 2**(n-1) c_n**2``; E(m) = K (1 - m/2 - S).
    """
    a = 1.0
    b = math.sqrt(m1)
    c = 0.0
    s = 0.0
    w = 1.0
    for n in range(60):
        a_next = 0.5 * (a + b)
        b = math.sqrt(a * b)
        a = a_next
        if n == 0:
            c = m / (4.0 * a)          # c_1 = (a0 - b0)/2 = c_0**2 / (4 a_1), no cancellation
        else:
            c = c * c / (4.0 * a)      # c_{n+1} = c_n**2 / (4 a_{n+1})
        s += w * c * c                 # adds 2**(n) c_{n+1}**2
        w *= 2.0
        if c < 1e-17 * a:
            break
    return math.pi / (2.0 * a), s


@jit
def ellipke(m):
    """Complete elliptic integrals K(m) and E(m) (parameter convention of scipy.special).

    Parameters
    ----------
    m : float
        Parameter, ``0 <= m < 1``.

    Returns
    -------
    K, E : float
    """
    k, s = ellip_ks(m, 1.0 - m)
    return k, k * (1.0 - 0.5 * m - s)


@jit
def loop_mutual_both(a, b, z):
    """Mutual inductance of two coaxial circular filaments and its axial gradient.

    Parameters
    ----------
    a, b : float
        Radii in m (> 0).
    z : float
        Axial separation (position of loop b minus position of loop a), m.

    Returns
    -------
    M : float
        Mutual inductance, H.
    dM_dz : float
        dM/dz, H/m (negative for z > 0: the coupling falls with distance).
    """
    sq = (a + b) * (a + b) + z * z
    m = 4.0 * a * b / sq
    m1 = ((a - b) * (a - b) + z * z) / sq
    kk, s = ellip_ks(m, m1)
    k = math.sqrt(m)
    rab = math.sqrt(a * b)
    mut = 2.0 * MU_0 * rab * kk * s / k
    dmut = -MU_0 * z * k / (4.0 * rab) * kk * (0.5 * m * m - (2.0 - m) * s) / m1
    return mut, dmut


@jit
def loop_mutual(a, b, z):
    """Mutual inductance (H) of coaxial circular filaments of radii ``a``, ``b`` (m), ``z`` apart."""
    return loop_mutual_both(a, b, z)[0]


@jit
def loop_mutual_dz(a, b, z):
    """Axial gradient dM/dz (H/m) of :func:`loop_mutual`."""
    return loop_mutual_both(a, b, z)[1]


@jit
def _panel(r1, r2, lo, hi, end, five):
    """int_lo^hi m(t) dt and int_lo^hi (end - t) m(t) dt with one Gauss-Legendre panel."""
    half = 0.5 * (hi - lo)
    mid = 0.5 * (hi + lo)
    s0 = 0.0
    s1 = 0.0
    if five:
        for i in range(5):
            t = mid + half * _GL5_X[i]
            f = loop_mutual_both(r1, r2, t)[0] * _GL5_W[i]
            s0 += f
            s1 += f * (end - t)
    else:
        for i in range(10):
            t = mid + half * _GL10_X[i]
            f = loop_mutual_both(r1, r2, t)[0] * _GL10_W[i]
            s0 += f
            s1 += f * (end - t)
    return s0 * half, s1 * half


@jit
def _segment(r1, r2, lo, hi, d):
    """Both integrals over ``[lo, hi]`` (0 <= lo <= hi) with panels graded towards ``t = i d``."""
    s0 = 0.0
    s1 = 0.0
    a = lo
    while a < hi:
        dist = math.sqrt(a * a + d * d)
        length = hi - a
        if length > dist:
            length = dist
        b = a + length
        if b >= hi or hi - b < 1e-12 * length:
            b = hi
            length = hi - a
        p0, p1 = _panel(r1, r2, a, b, hi, length * 4.0 <= dist)
        s0 += p0
        s1 += p1
        a = b
    return s0, s1


@jit
def _accumulate(r1, r2, points, g1, h):
    """G1 and H at the non-negative abscissae ``points`` (any order), written into g1, h."""
    order = np.argsort(points)
    d = abs(r1 - r2)
    floor = 1e-10 * max(r1, r2)
    if d < floor:
        d = floor
    prev = 0.0
    g_prev = 0.0
    h_prev = 0.0
    for idx in range(points.size):
        i = order[idx]
        p = points[i]
        if p > prev:
            i0, i1 = _segment(r1, r2, prev, p, d)
            h_prev = h_prev + (p - prev) * g_prev + i1
            g_prev = g_prev + i0
            prev = p
        g1[i] = g_prev
        h[i] = h_prev


@jit
def coil_pair_eval(r1_nodes, r1_weights, length1, turns1, r2_nodes, r2_weights, length2, turns2,
                   xi):
    """Mutual inductance and its gradient between two coaxial thick coils at offsets ``xi``.

    Parameters
    ----------
    r1_nodes, r1_weights : ndarray
        Radial Gauss-Legendre nodes (m) of coil 1 over ``[r_in, r_out]`` and weights summing to 1
        (a single node of weight 1 for a thin winding).
    length1 : float
        Axial length of coil 1, m (> 0).
    turns1 : float
        Number of turns of coil 1.
    r2_nodes, r2_weights, length2, turns2
        The same for coil 2.
    xi : ndarray
        Axial offsets of coil 2's centre from coil 1's centre, m.

    Returns
    -------
    M : ndarray
        Mutual inductance at each offset, H.
    dM : ndarray
        dM/dxi at each offset, H/m.
    """
    n = xi.size
    sig = 0.5 * (length1 + length2)
    dlt = 0.5 * (length1 - length2)
    pts = np.empty(4 * n)
    for j in range(n):
        pts[4 * j] = abs(xi[j] + sig)
        pts[4 * j + 1] = abs(xi[j] - sig)
        pts[4 * j + 2] = abs(xi[j] + dlt)
        pts[4 * j + 3] = abs(xi[j] - dlt)
    g1 = np.empty(4 * n)
    h = np.empty(4 * n)
    mut = np.zeros(n)
    dmut = np.zeros(n)
    for i1 in range(r1_nodes.size):
        for i2 in range(r2_nodes.size):
            w = r1_weights[i1] * r2_weights[i2]
            _accumulate(r1_nodes[i1], r2_nodes[i2], pts, g1, h)
            for j in range(n):
                sp = 1.0 if xi[j] + sig >= 0.0 else -1.0
                sm = 1.0 if xi[j] - sig >= 0.0 else -1.0
                dp = 1.0 if xi[j] + dlt >= 0.0 else -1.0
                dm = 1.0 if xi[j] - dlt >= 0.0 else -1.0
                mut[j] += w * (h[4 * j] + h[4 * j + 1] - h[4 * j + 2] - h[4 * j + 3])
                dmut[j] += w * (sp * g1[4 * j] + sm * g1[4 * j + 1]
                                - dp * g1[4 * j + 2] - dm * g1[4 * j + 3])
    pref = turns1 * turns2 / (length1 * length2)
    for j in range(n):
        mut[j] *= pref
        dmut[j] *= pref
    return mut, dmut


@jit
def coil_self_inductance(r_in, r_out, length, turns, n_nodes):
    """Self-inductance (H) of a coil with uniform turn density over its rectangular cross-section.

    The radial double integral has a weak singularity on its diagonal ``r1 = r2``; the inner
    integral is split there so that Gauss-Legendre sees it only at interval ends (the tests show
    the convergence with ``n_nodes``). A thin winding (``r_out == r_in``) is the current sheet of
    Lorenz/Nagaoka.

    Parameters
    ----------
    r_in, r_out : float
        Inner and outer winding radii, m (``0 < r_in <= r_out``).
    length : float
        Axial length, m (> 0).
    turns : float
        Number of turns.
    n_nodes : int
        Gauss-Legendre nodes per radial interval.

    Returns
    -------
    float
        Self-inductance, H.
    """
    zero = np.zeros(1)
    if r_out <= r_in:
        one = np.ones(1)
        r = np.full(1, r_in)
        return coil_pair_eval(r, one, length, turns, r, one, length, turns, zero)[0][0]
    x, w = _gauss(n_nodes)
    half = 0.5 * (r_out - r_in)
    total = 0.0
    r1 = np.empty(1)
    w1 = np.ones(1)
    r2 = np.empty(2 * n_nodes)
    w2 = np.empty(2 * n_nodes)
    for i in range(n_nodes):
        r1[0] = r_in + half * (1.0 + x[i])
        lo = r1[0] - r_in
        hi = r_out - r1[0]
        for j in range(n_nodes):
            r2[j] = r_in + 0.5 * lo * (1.0 + x[j])
            w2[j] = 0.5 * lo * w[j] / (r_out - r_in)
            r2[n_nodes + j] = r1[0] + 0.5 * hi * (1.0 + x[j])
            w2[n_nodes + j] = 0.5 * hi * w[j] / (r_out - r_in)
        m = coil_pair_eval(r1, w1, length, turns, r2, w2, length, turns, zero)[0][0]
        total += 0.5 * w[i] * m
    return total


@jit(inline="always")
def _legendre_slope(n, z):
    """``(P_n(z), P_n'(z))`` by the three-term recurrence (``P_{n-1}`` enters the slope)."""
    p0 = 1.0
    p1 = z
    for k in range(2, n + 1):
        p0, p1 = p1, ((2.0 * k - 1.0) * z * p1 - (k - 1.0) * p0) / k
    if n == 1:
        p0, p1 = 1.0, z
    return p1, n * (z * p1 - p0) / (z * z - 1.0)


@jit
def _gauss(n):
    """Gauss-Legendre nodes and weights on [-1, 1] (Newton on P_n, Golub-Welsch-free)."""
    x = np.empty(n)
    w = np.empty(n)
    for i in range(n):
        z = math.cos(math.pi * (i + 0.75) / (n + 0.5))
        for _ in range(100):
            p1, dp = _legendre_slope(n, z)
            dz = p1 / dp
            z -= dz
            if abs(dz) < 1e-16:
                break
        dp = _legendre_slope(n, z)[1]
        x[n - 1 - i] = z
        w[n - 1 - i] = 2.0 / ((1.0 - z * z) * dp * dp)
    return x, w
