"""The generated kernel modules are what their generators in tools/ write.

``kernels/integrators/taylor_jets.py`` (``tools/taylor_gen.py``),
``kernels/integrators/batch_lanes.py`` (``tools/batch_gen.py``) and
``kernels/atmosphere_tables.py`` (``tools/atmosphere_gen.py``) are committed; after a change to
a generator, rerun it (``python tools/<name>.py``). The generators are plain scripts, not part
of the installed package: they are loaded here from their files.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parent.parent / "tools"


def load_generator(name: str):
    """Import ``tools/<name>.py`` as a module (it is not on the path)."""
    spec = importlib.util.spec_from_file_location(f"_generator_{name}", TOOLS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["taylor_gen", "batch_gen", "atmosphere_gen"])
def test_generated_module_is_up_to_date(name):
    """The committed module is byte for byte the generator's output (rerun it after a change)."""
    generator = load_generator(name)
    assert generator.TARGET.read_text() == generator.module_source()


def test_generated_constants_match_their_generator():
    """The constants the kernels read from the generated modules are the generators' values."""
    from massdriver.kernels.integrators import batch_lanes, taylor_jets

    taylor_gen = load_generator("taylor_gen")
    assert (taylor_jets.ORDER_MIN, taylor_jets.ORDER_MAX, taylor_jets.LANES, taylor_jets.CHUNK) == (
        taylor_gen.ORDER_MIN, taylor_gen.ORDER_MAX, taylor_gen.LANES, taylor_gen.CHUNK)
    assert batch_lanes.LANES == load_generator("batch_gen").LANES
