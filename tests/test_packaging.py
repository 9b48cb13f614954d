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


#: modules that keep function-level imports on purpose (issue 15 B.6), each with its reason
LAZY_IMPORTS_ALLOWED = {
    # the package front of the report submodules and of solve's output_names: importing any
    # of them must not load matplotlib, astropy.table and scipy (e.g. `solve --no-report`)
    "report/__init__.py",
    # bodies.py imports astropy only in quantity(): kernels/ import bodies for its constants
    # and stay free of astropy
    "bodies.py",
    # the background compile child imports massdriver.warmup (astropy, scipy, the package)
    # only after the kernels its parent needs first are compiled
    "background_compile.py",
}
#: optional dependencies are imported where they are used, with a message when missing
OPTIONAL_MODULES = ("distributed", "dask", "boinor", "heyoka", "pyarrow")


def test_library_imports_sit_at_module_top():
    """Outside ``massdriver/cli/`` a module imports what it needs at the top (issue 15 B.6):
    no import inside a function, except optional dependencies and guarded blocks."""
    package = ROOT / "massdriver"
    offenders = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package).as_posix()
        if rel.startswith("cli/") or rel in LAZY_IMPORTS_ALLOWED:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        parents = {child: node for node in ast.walk(tree)
                   for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                     else [a.name for a in node.names])
            if any(n.startswith(OPTIONAL_MODULES) for n in names):
                continue
            up, in_function, guarded = parents.get(node), False, False
            while up is not None:
                in_function |= isinstance(up, (ast.FunctionDef, ast.AsyncFunctionDef))
                guarded |= isinstance(up, (ast.Try, ast.With, ast.If))
                up = parents.get(up)
            if in_function and not guarded:
                offenders.append(f"{rel}:{node.lineno}")
    assert offenders == []
