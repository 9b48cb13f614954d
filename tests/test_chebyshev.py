"""Tests of the compiled Chebyshev evaluation (massdriver.kernels.chebyshev).

References: numpy.polynomial.chebyshev (independent Chebyshev series evaluation); jplephem
(B. Rhodes: an independent reader of the same DE421 SPK / PCK files); the SPICE example output
printed in the NAIF frame kernel moon_080317.tf (N. Bachman, 2008), "Program output" section.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from massdriver.kernels import chebyshev as ch
from numpy.polynomial import chebyshev as npcheb

from massdriver.ephemeris import Ephemeris, pa_to_me_matrix

REPO = Path(__file__).resolve().parents[1]


def test_cheb_eval_matches_numpy_series_and_derivative():
    """Value and rate equal numpy's chebval / chebder on a synthetic 3-record table."""
    rng = np.random.default_rng(1)
    n_rec, n_coef, init, intlen = 3, 9, -1000.0, 400.0
    coef = rng.normal(size=(n_rec, 3, n_coef))
    for t in np.linspace(init, init + n_rec * intlen, 37)[:-1] + 1e-9:
        index = int((t - init) // intlen)
        s = 2.0 * (t - init - index * intlen) / intlen - 1.0
        value, rate = ch.cheb_eval(coef, init, intlen, t)
        for k in range(3):
            c = coef[index, k]
            assert value[k] == pytest.approx(npcheb.chebval(s, c), rel=1e-13, abs=1e-13)
            expected_rate = npcheb.chebval(s, npcheb.chebder(c)) * 2.0 / intlen
            assert rate[k] == pytest.approx(expected_rate, rel=1e-12, abs=1e-14)


def test_cheb_eval_clamps_outside_table():
    """Epochs before/after the table reuse the first/last record (no out-of-bounds read)."""
    rng = np.random.default_rng(2)
    coef = rng.normal(size=(2, 3, 5))
    init, intlen = 0.0, 10.0
    before, _ = ch.cheb_eval(coef, init, intlen, -5.0)       # s = -2 in record 0
    after, _ = ch.cheb_eval(coef, init, intlen, 25.0)        # s = +2 in record 1
    for k in range(3):
        assert before[k] == pytest.approx(npcheb.chebval(-2.0, coef[0, k]), rel=1e-13)
        assert after[k] == pytest.approx(npcheb.chebval(2.0, coef[1, k]), rel=1e-13)


def test_table_layout(eph):
    """Shapes, dtypes and spans of the DE421 tables (record lengths from the SPK descriptors)."""
    assert len(eph) == 6
    for table in eph[:5]:
        assert table.dtype == np.float64 and table.ndim == 3 and table.shape[1] == 3
        assert table.flags.c_contiguous
    spans = eph[5]
    assert spans.shape == (6, 2)
    # DE421: Moon/Earth wrt EMB 4-day records, EMB and Sun 16-day, lunar PA angles 8-day
    np.testing.assert_array_equal(spans[:5, 1], [4 * 86400, 4 * 86400, 16 * 86400, 16 * 86400,
                                                 8 * 86400])
    # row 5: 1 / (1 + EMRAT), DE421 EMRAT = 81.3005690699153 (Folkner et al. 2008, IOM
    # 343R-08-003), read off the tables: Earth wrt EMB = -Moon wrt EMB / EMRAT
    assert spans[5, 0] == pytest.approx(1.0 / (1.0 + 81.3005690699153), rel=1e-14)
    np.testing.assert_allclose(eph[1], -eph[0] / 81.3005690699153, rtol=0, atol=1e-11)


def test_geocentric_states_match_jplephem(eph):
    """Moon and Sun geocentric states equal jplephem's own evaluation of de421.bsp.

    jplephem forms ``t - init`` (up to 5e9 s, rounded to ~1e-6 s) while the kernel measures time
    from the record midpoint; at the Earth's ~30 km/s about the SSB that allows ~3e-5 km, so the
    Sun is compared to 1e-4 km (10 cm) and the Moon (~1 km/s about the EMB) to 1e-5 km.
    """
    from jplephem.spk import SPK

    kernel = SPK.open(Ephemeris().spk_path)
    try:
        for t in np.linspace(-3.1e9, 1.6e9, 60):
            jd = (2451545.0, t / 86400.0)   # two-part Julian date, as jplephem recommends
            moon = kernel[3, 301].compute_and_differentiate(*jd)
            earth = kernel[3, 399].compute_and_differentiate(*jd)
            emb = kernel[0, 3].compute_and_differentiate(*jd)
            sun = kernel[0, 10].compute_and_differentiate(*jd)
            r, v = ch.geocentric_moon(t, eph)
            np.testing.assert_allclose(r, moon[0] - earth[0], atol=1e-5, rtol=0)
            np.testing.assert_allclose(v, (moon[1] - earth[1]) / 86400.0, atol=1e-11, rtol=0)
            r, v = ch.geocentric_sun(t, eph)
            np.testing.assert_allclose(r, sun[0] - emb[0] - earth[0], atol=1e-4, rtol=0)
            np.testing.assert_allclose(v, (sun[1] - emb[1] - earth[1]) / 86400.0, atol=1e-11,
                                       rtol=0)
            out = np.empty(6)
            ch.moon_sun_positions_into(t, eph, out)
            np.testing.assert_allclose(out[:3], moon[0] - earth[0], atol=1e-5, rtol=0)
            np.testing.assert_allclose(out[3:], sun[0] - emb[0] - earth[0], atol=1e-4, rtol=0)
    finally:
        kernel.close()


def test_moon_pa_matrix_matches_jplephem_angles_and_scipy(eph):
    """R = R3(psi) R1(theta) R3(phi) (SPICE EUL2M, axes 3-1-3) built independently with scipy
    from the Euler angles jplephem reads from moon_pa_de421_1900-2050.bpc."""
    from jplephem.pck import PCK
    from scipy.spatial.transform import Rotation

    pck = PCK.open(Ephemeris().pck_path)
    try:
        segment = pck.segments[0]
        for t in np.linspace(-3.1e9, 1.6e9, 40):
            angles, _ = segment.compute(2451545.0, t / 86400.0, derivative=True)
            expected = Rotation.from_euler("ZXZ", angles).as_matrix().T
            # 5e-12: jplephem rounds t - init to ~1e-6 s, times the 2.7e-6 rad/s spin
            np.testing.assert_allclose(ch.moon_pa_matrix(t, eph), expected, atol=5e-12, rtol=0)
    finally:
        pck.close()


def test_moon_pa_matrix_rate_is_derivative(eph):
    """dR/dt equals the 5-point central difference of R (h = 1000 s: truncation (h w)^4 / 30
    ~ 2e-12 relative); measured 8.5e-16 absolute (3e-10 of |dR/dt| = 2.7e-6 /s), the rounding of
    psi ~ 6.6e3 rad (ulp 9e-13) divided by h."""
    h = 1000.0
    for t in np.linspace(-3e9, 1.5e9, 25):
        m, dm = ch.moon_pa_matrix_and_rate(t, eph)
        p = [ch.moon_pa_matrix(t + k * h, eph) for k in (-2, -1, 1, 2)]
        numeric = (p[0] - 8 * p[1] + 8 * p[2] - p[3]) / (12 * h)
        np.testing.assert_allclose(dm, numeric, atol=3e-15, rtol=0)
        np.testing.assert_allclose(m @ m.T, np.eye(3), atol=1e-14, rtol=0)
        assert np.linalg.det(m) == pytest.approx(1.0, abs=1e-14)
        # dR/dt R^T is antisymmetric (R R^T = I)
        w = dm @ m.T
        np.testing.assert_allclose(w, -w.T, atol=1e-19, rtol=0)
        # the spin rate is the sidereal month: 2 pi / 27.32 d = 2.66e-6 rad/s (+- 2%)
        assert np.linalg.norm([w[1, 2], w[2, 0], w[0, 1]]) == pytest.approx(2.6617e-6, rel=0.02)


def test_spice_example_output_of_moon_080317_tf(eph):
    """Earth seen from the Moon in MOON_PA and MOON_ME at 2008 MAR 17 20:10:00 UTC.

    The frame kernel moon_080317.tf prints the SPICE (SPKEZR) result with DE421 and this very PA
    kernel: PA (379908.634, 33385.003, -12516.8859) km, (0.0399957879, 0.0117833314,
    0.115145731) km/s; ME (379892.825, 33510.118, -12661.5278) km, (0.0400357582, 0.0117963334,
    0.115130508) km/s. Measured agreement: 0.11 m in position, 1e-10 km/s in velocity (the
    printed digits and SPICE's simpler TDB-TT formula limit it).
    """
    from astropy.time import Time

    from massdriver.timescales import to_tdb_seconds

    t = to_tdb_seconds(Time("2008-03-17T20:10:00", scale="utc"))
    assert t == pytest.approx(259056665.0, abs=0.5)  # "ET (sec past J2000 TDB): 259056665."
    r, v = ch.geocentric_moon(t, eph)
    m, dm = ch.moon_pa_matrix_and_rate(t, eph)
    r_pa = m @ (-r)
    v_pa = m @ (-v) + dm @ (-r)
    np.testing.assert_allclose(r_pa, [379908.634, 33385.003, -12516.8859], atol=5e-4, rtol=0)
    np.testing.assert_allclose(v_pa, [0.0399957879, 0.0117833314, 0.115145731], atol=2e-9, rtol=0)
    me = pa_to_me_matrix()
    np.testing.assert_allclose(me @ r_pa, [379892.825, 33510.118, -12661.5278], atol=5e-4, rtol=0)
    np.testing.assert_allclose(me @ v_pa, [0.0400357582, 0.0117963334, 0.115130508], atol=2e-9,
                               rtol=0)


def test_kernels_import_only_as_massdriver_kernels():
    """The kernels are installed as massdriver.kernels; nothing imports the bare name 'kernels'."""
    assert ch.__name__ == "massdriver.kernels.chebyshev"
    import massdriver.kernels.frames as frames

    assert Path(ch.__file__).parent == Path(frames.__file__).parent
    bare = re.compile(r"^\s*(from\s+kernels(\.|\s)|import\s+kernels\b)", re.MULTILINE)
    offenders = []
    for folder in ("massdriver", "kernels", "tests", "examples", "benchmarks"):
        for path in (REPO / folder).rglob("*.py") if (REPO / folder).is_dir() else []:
            if bare.search(path.read_text(encoding="utf-8", errors="replace")):
                offenders.append(str(path.relative_to(REPO)))
    assert offenders == []
