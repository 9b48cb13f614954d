"""Run the command line in-process, as the user would from a shell (tests' shared helper)."""

from __future__ import annotations

from massdriver.cli import main


def run_cli(capsys, argv: list[str]) -> tuple[int, str, str]:
    """``massdriver ARGV`` through :func:`massdriver.cli.main`: ``(exit status, stdout, stderr)``.

    ``capsys`` is pytest's fixture; what was captured before the call is discarded.
    """
    capsys.readouterr()
    try:
        status = main(argv)
    except SystemExit as exc:
        status = exc.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err
