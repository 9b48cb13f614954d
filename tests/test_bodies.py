"""Every constant of massdriver.bodies equals the number printed in its cited source.

The numbers are written out in ``tests/published_constants.py`` with their citations; the
unnormalisation factors of the spherical harmonics are computed here from factorials.
"""

from __future__ import annotations

import math

import astropy.units as u
import published_constants as src
import pytest

from massdriver import bodies


def unnormalisation(l: int, m: int) -> float:
    """N_lm with C_lm = N_lm * Cbar_lm (Kaula 1966, eq. 1.34; Vallado 4th ed., eq. 8-22):
    N_lm = sqrt((2 - delta_0m) (2 l + 1) (l - m)! / (l + m)!)."""
    delta = 1 if m == 0 else 0
    return math.sqrt((2 - delta) * (2 * l + 1) * math.factorial(l - m) / math.factorial(l + m))


def test_unnormalisation_factors():
    assert unnormalisation(2, 0) == pytest.approx(math.sqrt(5.0), rel=1e-15)
    # N22 = sqrt(2 * 5 * 0! / 4!) = sqrt(10 / 24) = sqrt(5 / 12)
    assert unnormalisation(2, 2) == pytest.approx(math.sqrt(5.0 / 12.0), rel=1e-15)
    assert src.C22_MOON == pytest.approx(
        unnormalisation(2, 2) * src.GL0660B_C22_NORMALISED, rel=1e-15)


@pytest.mark.parametrize(("name", "value"), [
    ("GM_SUN", src.DE421_GM_SUN),
    ("GM_EARTH", src.DE421_GM_EARTH),
    ("GM_MOON", src.DE421_GM_MOON),
    ("R_EARTH", src.EGM2008_A_E),
    ("R_MOON", src.IAU_MOON_MEAN_RADIUS),
    ("R_MOON_GRAVITY", src.GL0660B_RADIUS),
    ("OMEGA_EARTH", src.IERS_OMEGA_EARTH),
    ("CR3BP_MU", src.JPL3B_MU),
    ("CR3BP_LENGTH_UNIT", src.JPL3B_LENGTH_UNIT),
    ("CR3BP_TIME_UNIT", src.JPL3B_TIME_UNIT),
    ("G0", src.STANDARD_GRAVITY),
    ("MU_0", src.CODATA2018_MU_0),
    ("RHO_ALUMINIUM", src.CRC_ALUMINIUM_RESISTIVITY_293K),
    ("MOON_MEAN_DISTANCE", src.MOON_SEMI_MAJOR_AXIS),
    ("DAY", 86400.0),
])
def test_constant_equals_its_source(name, value):
    assert getattr(bodies, name) == value


def test_ephemeris_gms_are_de421_not_de430():
    assert bodies.GM_EARTH != src.DE430_GM_EARTH and bodies.GM_MOON != src.DE430_GM_MOON


def test_zonal_and_sectorial_harmonics_from_normalised_values():
    assert bodies.J2_EARTH == pytest.approx(
        -unnormalisation(2, 0) * src.EGM2008_C20_NORMALISED, rel=1e-14)
    assert bodies.J2_MOON == pytest.approx(
        -unnormalisation(2, 0) * src.GL0660B_C20_NORMALISED, rel=1e-14)
    assert bodies.C22_MOON == pytest.approx(
        unnormalisation(2, 2) * src.GL0660B_C22_NORMALISED, rel=1e-14)


def test_copper_is_100_percent_iacs_to_the_digits_stated():
    # 1/58 = 0.0172413...: the package keeps five significant digits
    assert f"{bodies.RHO_COPPER:.4e}" == f"{src.IACS_COPPER_RESISTIVITY:.4e}"


def test_cr3bp_units_agree_with_the_de421_masses():
    """Kepler's third law with DE421's GM(Earth) + GM(Moon) gives JPL's time unit to 1e-8
    (the truncated 389703 km / 382981 s disagreed by 5e-7), and JPL's mass ratio is DE421's
    to 2e-7 (measured 1.1e-7: the catalogue's masses are a later ephemeris')."""
    gm = src.DE421_GM_EARTH + src.DE421_GM_MOON
    t_kepler = math.sqrt(bodies.CR3BP_LENGTH_UNIT**3 / gm)
    assert t_kepler == pytest.approx(bodies.CR3BP_TIME_UNIT, rel=1e-8)
    assert bodies.CR3BP_MU == pytest.approx(src.DE421_GM_MOON / gm, rel=2e-7)
    assert bodies.CR3BP_VELOCITY_UNIT == bodies.CR3BP_LENGTH_UNIT / bodies.CR3BP_TIME_UNIT


def test_conventions_with_a_stated_basis():
    # the entry interface of DESIGN.md (120 km; Apollo's was 400,000 ft = 121.9 km)
    assert bodies.EARTH_ATMOSPHERE_ALTITUDE == 120.0
    # "left the Earth-Moon system": the Earth's Hill radius a (m / 3 M)^(1/3) with a = 1 au
    # (IAU 2012 B2: 149,597,870.7 km) and the DE421 masses, to 1 %
    hill = 149_597_870.7 * ((src.DE421_GM_EARTH + src.DE421_GM_MOON)
                            / (3.0 * src.DE421_GM_SUN)) ** (1.0 / 3.0)
    assert bodies.ESCAPE_RADIUS == pytest.approx(hill, rel=0.01)


def test_quantities_carry_the_units():
    assert bodies.quantity("GM_EARTH").to_value(u.m**3 / u.s**2) == pytest.approx(
        src.DE421_GM_EARTH * 1e9, rel=1e-15)
    assert bodies.quantity("CR3BP_TIME_UNIT").to_value(u.day) == pytest.approx(
        src.JPL3B_TIME_UNIT / 86400.0, rel=1e-15)
    assert bodies.quantity("RHO_COPPER").unit == u.Ohm * u.m
