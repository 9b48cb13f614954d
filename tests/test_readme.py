"""The README's two commands stay true: CI runs its test command; its main job's files exist."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from massdriver.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _bash_blocks() -> list[str]:
    return re.findall(r"```bash\n(.*?)```", README, flags=re.S)


def test_quick_start_has_the_two_commands():
    blocks = [b.strip() for b in _bash_blocks()]
    main_job = next(b for b in blocks if "massdriver solve" in b)
    tests = next(b for b in blocks if "pytest" in b)
    assert main_job.startswith("python -m pip install .")
    assert tests.startswith('python -m pip install ".[test]"')
    # CI runs exactly the README's test command
    assert tests in (ROOT / ".ci" / "run").read_text()


def test_main_job_command_parses_and_its_example_exists():
    main_job = next(b.strip() for b in _bash_blocks() if "massdriver solve" in b)
    argv = shlex.split(main_job.split("&&", 1)[1])[1:]
    args = build_parser().parse_args(argv)
    assert args.command == "solve"
    assert (ROOT / args.config).is_file()


def test_documented_commands_exist():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name in re.findall(r"`massdriver (\w+)", README):
        assert name in sub.choices, name
