"""Packaging: the wheel ships the kernels as ``massdriver.kernels`` and imports on its own."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _python_files(*folders: str):
    for folder in folders:
        yield from (ROOT / folder).rglob("*.py")


def test_no_bare_kernels_import():
    """Nothing imports the top-level name ``kernels``: only ``massdriver.kernels``."""
    offenders = []
    for path in _python_files("massdriver", "kernels", "tests", "benchmarks", "examples"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            if any(n == "kernels" or n.startswith("kernels.") for n in names):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_kernels_free_of_astropy_and_matplotlib():
    """Kernels are numba only: no astropy, matplotlib or I/O modules imported there."""
    banned = ("astropy", "matplotlib", "massdriver.ephemeris", "massdriver.config")
    for path in _python_files("kernels"):
        text = path.read_text()
        for name in banned:
            assert f"import {name}" not in text and f"from {name}" not in text, (path, name)


@pytest.mark.skipif(os.environ.get("MASSDRIVER_SKIP_WHEEL") == "1", reason="asked to skip")
def test_wheel_contains_kernels_and_imports_outside_source_tree(tmp_path):
    """Build the wheel, unpack it elsewhere, and import massdriver.kernels from it."""
    wheel_dir = tmp_path / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(wheel_dir), str(ROOT)],
        check=True, capture_output=True, text=True,
    )
    (wheel,) = wheel_dir.glob("massdriver-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        zf.extractall(tmp_path / "site")
    assert "massdriver/kernels/jit.py" in names
    assert "massdriver/kernels/integrators/taylor_jets.py" in names
    assert not any(n.startswith(("kernels/", "tools/")) for n in names)
    code = (
        "import massdriver, massdriver.kernels.jit as j, massdriver.cli;"
        "import massdriver.kernels.integrators.propagate, massdriver.kernels.integrators.batch;"
        "print(j.__file__)"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site"), "MASSDRIVER_JIT_CACHE": "0"}
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, check=True,
                         capture_output=True, text=True).stdout.strip()
    assert Path(out).resolve().is_relative_to((tmp_path / "site").resolve())
