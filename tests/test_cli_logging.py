"""Logging (issue 19 item 4): the library logs through ``logging`` and never prints; the CLI's
global ``-v``/``-vv``/``--log-level`` show those records on stderr, one line each; a command's
``--quiet`` silences them; stdout stays the command's output alone."""

from __future__ import annotations

import ast
import logging
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import fake_solve  # noqa: E402
from cli_run import run_cli  # noqa: E402

PACKAGE = HERE.parent / "massdriver"
#: where printing is the job: the command line and the report's own console output
PRINTING_ALLOWED = ("cli",)


def test_library_never_prints():
    """No ``print(...)`` call in the library (outside ``massdriver/cli/``), nor in kernels/."""
    offenders = []
    for root in (PACKAGE, HERE.parent / "kernels"):
        for path in sorted(root.rglob("*.py")):
            if path.relative_to(root).parts[0] in PRINTING_ALLOWED and root == PACKAGE:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                        and node.func.id == "print"):
                    offenders.append(f"{path.relative_to(root.parent)}:{node.lineno}")
    assert offenders == []


def test_library_logger_has_a_null_handler_and_logs(tmp_path, caplog):
    """``import massdriver`` adds a NullHandler (no "No handlers" fallback output for library
    users); the records reach an application's handlers (here pytest's)."""
    import massdriver  # noqa: F401
    from massdriver.outputs import OutputDirectory

    assert any(isinstance(h, logging.NullHandler)
               for h in logging.getLogger("massdriver").handlers)
    with caplog.at_level(logging.DEBUG, logger="massdriver"):
        with OutputDirectory(tmp_path / "o", ["a.txt"], force=False, command="test") as out:
            out.write_text("a.txt", "hello\n")
            out.commit()
    messages = [(r.name, r.levelno, r.getMessage()) for r in caplog.records]
    assert any(name == "massdriver.outputs" and level == logging.INFO
               and "wrote 1 file(s) into" in text for name, level, text in messages), messages
    assert any(level == logging.DEBUG and "a.txt: 6 bytes, sha256 " in text
               for _n, level, text in messages), messages


@pytest.fixture
def solve_argv(monkeypatch, tmp_path):
    fake_solve.patch(monkeypatch.setattr, windows=True)
    return ["solve", str(fake_solve.MISSION_EXAMPLE), "--out", str(tmp_path / "run"),
            "--no-report"]


def _log_lines(err):
    return [line for line in err.splitlines() if line.startswith("massdriver: ")]


def test_default_shows_no_info(capsys, solve_argv):
    status, out, err = run_cli(capsys, solve_argv)
    assert status == 0, err
    assert not [x for x in _log_lines(err) if x.startswith(("massdriver: info:",
                                                            "massdriver: debug:"))], err


@pytest.mark.parametrize("flags, info, debug", [
    (["-v"], True, False), (["-vv"], True, True), (["--verbose", "--verbose"], True, True),
    (["--log-level", "DEBUG"], True, True), (["--log-level", "info"], True, False),
    (["--log-level", "error"], False, False), (["-vv", "--log-level", "warning"], False, False),
])
def test_verbosity_flags(capsys, solve_argv, flags, info, debug):
    status, out, err = run_cli(capsys, [*flags, *solve_argv])
    assert status == 0, err
    lines = _log_lines(err)
    assert any(x.startswith("massdriver: info: wrote ") for x in lines) == info, err
    assert any(x.startswith("massdriver: debug: ") and "sha256" in x for x in lines) == debug
    assert "massdriver:" not in out                      # logs never go to stdout


def test_quiet_silences_the_log_unless_a_level_is_given(capsys, solve_argv):
    status, out, err = run_cli(capsys, ["-v", *solve_argv, "--quiet"])
    assert status == 0 and "massdriver: info:" in err   # -v asked for explicitly wins
    status, out, err = run_cli(capsys, [*solve_argv, "--quiet", "--force"])
    assert status == 0 and err == "", err
    status, out, err = run_cli(capsys, ["--log-level", "info", *solve_argv, "--quiet",
                                     "--force"])
    assert status == 0 and "massdriver: info: wrote " in err


def test_bad_log_level_is_one_line(capsys):
    status, out, err = run_cli(capsys, ["--log-level", "loud", "warmup"])
    assert status == 2
    assert err.count("\n") == 1 and "invalid log level 'loud'" in err, err


def test_log_messages_are_one_line(capsys, tmp_path):
    """A record with a line break or an ESC in it (user text) is printed as one escaped line."""
    from massdriver.cli import _configure_logging

    class Args:
        log_level, verbose, quiet = "info", 0, False

    restore = _configure_logging(Args())
    try:
        logging.getLogger("massdriver.test").info("name %s", "a\nb\x1b[31m")
    finally:
        restore()
    err = capsys.readouterr().err
    assert err == "massdriver: info: name a\\nb\\x1b[31m\n"
    logging.getLogger("massdriver.test").warning("after main: not shown by the CLI's handler")
    assert "after main" not in capsys.readouterr().err
