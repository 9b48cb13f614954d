"""Shared fixtures of the test suite.

Helpers that are not fixtures live in plain modules next to the tests (this directory is on
``sys.path`` under pytest's default import mode): ``reference_orbits`` (Kepler, CR3BP and lunar
launch references of the integrator tests) and ``config_mutations`` (the hypothesis strategies
that mutate the example configs). No test module imports another.
"""

from __future__ import annotations

import pytest

from massdriver.ephemeris import Ephemeris


@pytest.fixture(scope="session")
def eph():
    """The default ephemeris (DE421) as the kernels' Chebyshev tables."""
    return Ephemeris().kernel_tables()
