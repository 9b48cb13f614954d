"""The generated kernel modules are what their generators in tools/ write.

``kernels/integrators/taylor_jets.py`` (``tools/taylor_gen.py``),
``kernels/integrators/batch_lanes.py`` (``tools/batch_gen.py``) and
``kernels/atmosphere_tables.py`` (``tools/atmosphere_gen.py``) are committed; after a change to
a generator, rerun it (``python tools/<name>.py``). The generators are plain scripts, not part
of the installed package: they are loaded here from their files.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

TOOLS = Path(__file__).resolve().parent.parent / "tools"


def load_generator(name: str):
    """Import ``tools/<name>.py`` as a module (it is not on the path)."""
    spec = importlib.util.spec_from_file_location(f"_generator_{name}", TOOLS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["taylor_gen", "batch_gen"])
def test_generated_module_is_up_to_date(name):
    """The committed module is byte for byte the generator's output (rerun it after a change)."""
    generator = load_generator(name)
    assert generator.TARGET.read_text() == generator.module_source()


_NUMBER = re.compile(r"-?\d\.\d+e[+-]\d+")


def test_atmosphere_tables_are_up_to_date():
    """``kernels/atmosphere_tables.py`` is the generator's output: the text and the USSA 1976
    densities byte for byte; the NRLMSIS solar-activity factors to 1e-5 in their logarithm.
    NRLMSIS (pymsis, compiled Fortran) gives densities that differ by about 1e-6 relative
    between machines and builds, so the sixth printed digit of about a third of the factors
    changes from one CPU to another (seen: max 2e-6); a real change of the generator moves
    them by far more."""
    generator = load_generator("atmosphere_gen")
    committed, fresh = generator.TARGET.read_text(), generator.module_source()
    assert _NUMBER.sub("#", committed) == _NUMBER.sub("#", fresh)
    table = "LOG_SOLAR_FACTOR = np.array("
    old_density, old_factors = committed.split(table)
    new_density, new_factors = fresh.split(table)
    assert _NUMBER.findall(old_density) == _NUMBER.findall(new_density)
    assert len(_NUMBER.findall(old_density)) > 1000
    old = np.array(_NUMBER.findall(old_factors), dtype=float)
    new = np.array(_NUMBER.findall(new_factors), dtype=float)
    assert old.shape == new.shape and old.size > 1000
    np.testing.assert_allclose(new, old, rtol=0.0, atol=1e-5)


def test_generated_constants_match_their_generator():
    """The constants the kernels read from the generated modules are the generators' values."""
    from massdriver.kernels.integrators import batch_lanes, taylor_jets

    taylor_gen = load_generator("taylor_gen")
    assert (taylor_jets.ORDER_MIN, taylor_jets.ORDER_MAX, taylor_jets.LANES, taylor_jets.CHUNK) == (
        taylor_gen.ORDER_MIN, taylor_gen.ORDER_MAX, taylor_gen.LANES, taylor_gen.CHUNK)
    assert batch_lanes.LANES == load_generator("batch_gen").LANES
