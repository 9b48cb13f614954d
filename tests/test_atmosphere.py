"""The kernel atmosphere (:mod:`massdriver.kernels.atmosphere`) against independent models.

* ``ussa1976`` (the reference implementation of the U.S. Standard Atmosphere 1976,
  NOAA-S/T 76-1562) at altitudes between the table's nodes: checks the interpolation, and below
  86 km the generator's own layer equations, which do not use the package.
* Published sea-level value of the 1976 standard: 1.2250 kg/m^3 (table I of the standard).
* NRLMSIS 2.x (``pymsis``, Emmert et al. 2021, Earth Space Sci. 8, e2020EA001321) at the stated
  F10.7/Ap levels for the spread due to solar activity.
"""

from __future__ import annotations

import numpy as np
import pytest
from massdriver.kernels.atmosphere import (
    OMEGA_ATMOSPHERE,
    SOLAR_HIGH,
    SOLAR_LOW,
    SOLAR_MEAN,
    air_velocity,
    density,
    density_array,
)

ussa1976 = pytest.importorskip("ussa1976")


def _ussa(z_km: np.ndarray) -> np.ndarray:
    ds = ussa1976.compute(z=np.asarray(z_km) * 1000.0, variables=["rho"])
    return np.asarray(ds["rho"].values, dtype=float)


def test_sea_level_is_the_published_value():
    assert density(0.0, SOLAR_MEAN) == pytest.approx(1.2250, rel=1e-4)


def test_lower_atmosphere_matches_ussa1976_between_nodes():
    """0-86 km (the generator's layer equations vs the package): 0.002 % at the nodes, 0.2 %
    between them (largest next to the kinks of the temperature profile, e.g. 51 km)."""
    nodes = np.arange(0.0, 86.0, 1.0)
    np.testing.assert_allclose(density_array(nodes, SOLAR_MEAN), _ussa(nodes), rtol=2e-5)
    z = np.arange(0.37, 86.0, 1.13)
    ratio = density_array(z, SOLAR_MEAN) / _ussa(z)
    assert np.max(np.abs(ratio - 1.0)) < 2e-3


def test_upper_atmosphere_matches_ussa1976_between_nodes():
    """86-1000 km: log-linear interpolation on a 1-km grid is within 0.2 % of the standard."""
    z = np.arange(86.5, 1000.0, 3.7)
    ratio = density_array(z, SOLAR_MEAN) / _ussa(z)
    assert np.max(np.abs(ratio - 1.0)) < 2e-3


def test_monotone_decreasing():
    z = np.linspace(0.0, 1000.0, 5001)
    for level in (SOLAR_LOW, SOLAR_MEAN, SOLAR_HIGH):
        assert np.all(np.diff(density_array(z, level)) < 0.0)


def test_solar_spread_is_the_msis_spread():
    """The low/high levels change the density as NRLMSIS does, at a place and time not used by
    the generator's average (the ratio high/low at 400 km is > 10 in both)."""
    msis = pytest.importorskip("pymsis.msis")
    z = np.array([200.0, 400.0, 600.0])
    date = np.datetime64("2021-07-01T06:00")

    def run(f107, ap):
        out = msis.run(date, [10.0], [20.0], z, f107s=[f107], f107as=[f107], aps=[[ap] * 7])
        return np.asarray(out[..., 0], dtype=float).ravel()

    msis_ratio = run(250.0, 45.0) / run(70.0, 4.0)
    ours = density_array(z, SOLAR_HIGH) / density_array(z, SOLAR_LOW)
    assert ours[1] > 10.0 and msis_ratio[1] > 10.0
    # one place vs a global average: same spread within 35 %
    np.testing.assert_allclose(ours, msis_ratio, rtol=0.35)
    assert np.all(density_array(z, SOLAR_LOW) < density_array(z, SOLAR_MEAN))
    assert np.all(density_array(z, SOLAR_HIGH) > density_array(z, SOLAR_MEAN))


def test_no_solar_effect_low_down():
    for z in (0.0, 30.0, 79.0):
        assert density(z, SOLAR_HIGH) == density(z, SOLAR_MEAN) == density(z, SOLAR_LOW)


def test_air_velocity_is_corotating():
    """At rest on the rotating Earth's equator the air speed is zero."""
    r = np.array([6378.0, 0.0, 0.0])
    v = np.array([0.0, OMEGA_ATMOSPHERE * 6378.0, 0.0])
    out = np.empty(3)
    air_velocity(r, v, out)
    np.testing.assert_allclose(out, 0.0, atol=1e-15)
