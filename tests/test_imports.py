"""Import structure: every module imports on its own, no import cycles, kernels stay numba-only.

* Each module of ``massdriver`` and ``massdriver.kernels`` is imported in a fresh interpreter
  (an import that only works after another module happened to load first fails here).
* The import graph among ``massdriver.*`` modules, read from the source (every ``import``
  statement, at module level or inside a function: a lazy import is still a dependency), has no
  cycle (DESIGN.md section 2: "no module imports one that imports it back").
* ``massdriver.kernels`` imports neither astropy nor matplotlib, directly or through another
  module it loads (checked on the graph and in the fresh interpreter).
"""

from __future__ import annotations

import ast
import concurrent.futures
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: source folder -> package name (``kernels/`` ships as ``massdriver.kernels``)
PACKAGES = {ROOT / "massdriver": "massdriver", ROOT / "kernels": "massdriver.kernels"}
FORBIDDEN_IN_KERNELS = ("astropy", "matplotlib")
#: Cycles known and being removed elsewhere (issue 15 B.1: the ``massdriver/config/`` package of
#: the config restructure); delete an entry once its fix is merged. Nothing may be added here.
KNOWN_CYCLES = [["massdriver.coilgun", "massdriver.config", "massdriver.targets"]]


def module_files() -> dict[str, Path]:
    """Every module of the two packages: dotted name -> file."""
    modules = {}
    for folder, package in PACKAGES.items():
        for path in sorted(folder.rglob("*.py")):
            parts = path.relative_to(folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join((package, *parts))] = path
    return modules


def _walk(tree: ast.AST, module_level: bool):
    """``ast.walk``, optionally without entering function bodies (imports run at import time)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        if module_level and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        todo.extend(ast.iter_child_nodes(node))


def imported_names(name: str, path: Path, module_level: bool = False) -> set[str]:
    """Dotted names of every ``import`` in a module (relative imports resolved; for ``from a
    import b`` both ``a`` and ``a.b``, the caller keeps those that are modules); with
    ``module_level``, only those run when the module is imported (not inside functions)."""
    is_package = path.name == "__init__.py"
    names = set()
    for node in _walk(ast.parse(path.read_text(), str(path)), module_level):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[:len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module
            names.add(source)
            names.update(f"{source}.{alias.name}" for alias in node.names)
    return names


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Edges between the package's own modules (an import of a package counts as an import of
    its ``__init__``; parents imported implicitly by Python are not edges)."""
    return {name: {target for target in imported_names(name, path)
                   if target in modules and target != name}
            for name, path in modules.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return cycles


def test_find_cycles_sees_a_cycle():
    """The checker itself: a two-module cycle and a three-module one are reported."""
    graph = {"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"e"}, "e": {"c"}, "f": {"a"}}
    assert sorted(find_cycles(graph)) == [["a", "b"], ["c", "d", "e"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    graph = import_graph(module_files())
    assert graph["massdriver.kernels.integrators.propagate"], "the graph reader found no edges"
    cycles = [c for c in find_cycles(graph) if c not in KNOWN_CYCLES]
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)
    kernel_cycles = find_cycles({k: {t for t in v if t.startswith("massdriver.kernels")}
                                 for k, v in graph.items() if k.startswith("massdriver.kernels")})
    assert not kernel_cycles, f"import cycles in massdriver.kernels: {kernel_cycles}"


def test_kernels_import_no_astropy_or_matplotlib():
    """No kernel module imports astropy or matplotlib, anywhere in its code; nor does any module
    a kernel module loads when it is imported (e.g. the constants of ``massdriver.bodies``)."""
    modules = module_files()
    for name, path in modules.items():
        if name.startswith("massdriver.kernels"):
            for target in imported_names(name, path):
                assert target.split(".")[0] not in FORBIDDEN_IN_KERNELS, f"{name} imports {target}"
    loaded_at_import = {name: imported_names(name, path, module_level=True)
                        for name, path in modules.items()}
    for start in (n for n in modules if n.startswith("massdriver.kernels")):
        seen, todo = set(), [start]
        while todo:
            current = todo.pop()
            for target in loaded_at_import[current]:
                assert target.split(".")[0] not in FORBIDDEN_IN_KERNELS, (
                    f"{start} loads {target} (through {current})")
                if target in modules and target not in seen:
                    seen.add(target)
                    todo.append(target)


_PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("astropy", "matplotlib"))))
"""


def _import_fresh(name: str) -> tuple[str, int, str, list[str]]:
    out = subprocess.run([sys.executable, "-c", _PROBE, name], capture_output=True, text=True,
                         timeout=300, cwd=ROOT / "tests")
    loaded = json.loads(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 else []
    return name, out.returncode, out.stderr[-1500:], loaded


@pytest.mark.slow
def test_every_module_imports_in_a_fresh_interpreter():
    names = [n for n in module_files() if not n.endswith("__main__")]
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(_import_fresh, names))
    failed = [f"{name}:\n{err}" for name, code, err, _ in results if code != 0]
    assert not failed, "\n".join(failed)
    heavy = {name: loaded for name, _, _, loaded in results
             if name.startswith("massdriver.kernels") and loaded}
    assert not heavy, f"kernel modules that load astropy/matplotlib: {heavy}"
