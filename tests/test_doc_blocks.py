"""Every code block of README.md and docs/*.md runs, as a reader would run it.

Each page runs in a fresh working directory holding a link to ``examples/``; its blocks run in
order, sharing one namespace (a later block may use what an earlier one made):

* ``python`` blocks are executed;
* ``bash`` blocks are split into commands (``&&``, lines, continuation lines, ``#`` comments):
  ``massdriver ...`` runs through :func:`massdriver.cli.main` and must exit 0; installing the
  package (``pip install .``, ``".[extra]"``: the extra must exist), making and activating a
  virtual environment, and running ``pytest`` or ``mkdocs`` are recognised and skipped (the
  test is already running inside an installed environment, CI runs the suite and the docs
  build); any other command fails the test, so a new kind of command needs a rule here;
* ``toml`` blocks must parse, and a block with ``[site]``, ``[target]`` and ``[search]`` must
  load as a mission;
* a ``text`` (or unlabelled) block that shows a windows table (it starts with ``open (UTC)``)
  must equal what the page's last ``massdriver solve`` / ``massdriver windows`` printed.

Unlabelled blocks (formulas) and other ``text`` blocks (help texts, checked by test_docs.py) are
not code.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", flags=re.S | re.M)
EXTRAS = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]


def blocks(page: Path) -> list[tuple[str, str, int]]:
    """``(language, code, line)`` of each fenced block of a page."""
    text = page.read_text(encoding="utf-8")
    return [(m.group(1), m.group(2), text.count("\n", 0, m.start()) + 1)
            for m in FENCE.finditer(text)]


def commands(code: str) -> list[list[str]]:
    """The commands of a bash block, each as argv."""
    out = []
    for line in code.replace("\\\n", " ").splitlines():
        for part in line.split("&&"):
            argv = shlex.split(part, comments=True)
            if argv:
                out.append(argv)
    return out


def _pip_install(argv: list[str]) -> bool:
    words = argv[3:] if argv[:3] == ["python", "-m", "pip"] else argv[1:]
    if argv[0] not in ("pip", "python") or not words or words[0] != "install":
        return False
    for target in words[1:]:
        if target.startswith("-"):
            continue
        match = re.fullmatch(r"\.(?:\[([\w,-]+)\])?", target)
        assert match, f"pip installs something other than this project: {target}"
        for extra in (match.group(1) or "").split(","):
            assert not extra or extra in EXTRAS, f"no extra [{extra}] in pyproject.toml"
    return True


def _skipped(argv: list[str]) -> bool:
    """Commands a reader runs around massdriver, not massdriver itself."""
    if _pip_install(argv):
        return True
    if argv[0] in (".", "source") and argv[1].endswith("activate"):
        return True
    if argv[0] in ("python", "python3") and argv[1:3] == ["-m", "venv"]:
        return True
    if argv[0] == "pytest" or argv[:3] == ["python", "-m", "pytest"]:
        return True
    return argv[:3] == ["python", "-m", "mkdocs"]


def run_massdriver(argv: list[str]) -> str:
    from massdriver.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    assert code == 0, f"massdriver {shlex.join(argv)} exited {code}: {err.getvalue()[-2000:]}"
    return out.getvalue()


def _windows_rows(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()
            if line.strip() and not line.startswith("wrote ")]


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    (tmp_path / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    return tmp_path


PAGES_WITH_CODE = [p for p in PAGES
                   if any(lang in ("python", "bash", "toml") for lang, _c, _l in blocks(p))]


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES_WITH_CODE, ids=lambda p: p.name)
def test_every_code_block_runs(page: Path, workdir):
    namespace: dict = {"__name__": f"docs_{page.stem}"}
    last_windows_output = None
    for lang, code, line in blocks(page):
        where = f"{page.relative_to(ROOT)}:{line}"
        if lang == "python":
            exec(compile(code, where, "exec"), namespace)            # noqa: S102
        elif lang == "bash":
            for argv in commands(code):
                if argv[0] == "massdriver":
                    printed = run_massdriver(argv[1:])
                    if argv[1] in ("solve", "windows") and "--json" not in argv:
                        last_windows_output = printed
                else:
                    assert _skipped(argv), f"{where}: no rule to run {shlex.join(argv)}"
        elif lang == "toml":
            data = tomllib.loads(code)
            if {"site", "target", "search"} <= set(data):
                from massdriver.config import load_mission

                path = workdir / f"block_{line}.toml"
                path.write_text(code)
                load_mission(path)
        elif lang in ("text", "") and code.startswith("open (UTC)"):
            assert last_windows_output is not None, f"{where}: no solve before this output"
            assert _windows_rows(code) == _windows_rows(last_windows_output), where


def test_the_block_runner_understands_the_commands_it_meets():
    assert commands("a b && c \\\n  d # note\n# only a comment\n") == [["a", "b"], ["c", "d"]]
    assert _skipped(["python", "-m", "pip", "install", ".[test]"])
    with pytest.raises(AssertionError, match="no extra"):
        _skipped(["pip", "install", ".[nonexistent]"])
    with pytest.raises(AssertionError, match="other than this project"):
        _skipped(["pip", "install", "requests"])
    assert not _skipped(["rm", "-rf", "runs"])


def test_pages_have_code_to_run():
    names = {p.name for p in PAGES_WITH_CODE}
    assert {"README.md", "guide.md", "coilgun.md", "campaign.md", "trajectory.md"} <= names
    assert os.path.isdir(ROOT / "examples")
