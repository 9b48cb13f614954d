"""Shared fixtures of the test suite.

Helpers that are not fixtures live in plain modules next to the tests (this directory is on
``sys.path`` under pytest's default import mode): ``reference_orbits`` (Kepler, CR3BP and lunar
launch references of the integrator tests) and ``config_mutations`` (the hypothesis strategies
that mutate the example configs), ``cli_run`` (the command line run in-process: exit status,
stdout, stderr), ``fake_solve`` (solve with a synthetic plan), ``leo_case`` (the equatorial
LEO window case of the window and Orekit tests).

The suite runs numba's parallel kernels on at least two threads, also on a one-core runner
(``NUMBA_NUM_THREADS`` is read once, when numba is first imported, which is after this file):
the thread-split tests compare 1 with 2 threads, never 1 with 1.

The suite runs on pytest-xdist workers (``-n auto --dist loadfile`` in ``pyproject.toml``; ``-n
0`` for one process): each file on one worker, all workers sharing one numba cache. A test that
damages or empties cache entries gives its processes their own ``NUMBA_CACHE_DIR`` under
``tmp_path``; the other worker may load the same kernel at any moment.

With ``MASSDRIVER_NO_SKIPS=1`` (set by ``.ci/run``) a skipped test fails instead, except the
headless-browser check (chromium is a system package): what CI installs, CI runs. The Orekit
check's Java runtime is a system package too, but ``.ci/run`` installs it, so its skip fails.
"""

from __future__ import annotations

import os

if int(os.environ.get("NUMBA_NUM_THREADS") or os.cpu_count() or 1) < 2:
    os.environ["NUMBA_NUM_THREADS"] = "2"

import pytest  # noqa: E402

from massdriver.ephemeris import Ephemeris  # noqa: E402


@pytest.fixture(scope="session")
def eph():
    """The default ephemeris (DE421) as the kernels' Chebyshev tables."""
    return Ephemeris().kernel_tables()


@pytest.fixture
def two_threads():
    """numba on exactly 1 and then 2 threads: call the returned function with 1 or 2."""
    import numba

    assert numba.config.NUMBA_NUM_THREADS >= 2, "numba was imported before tests/conftest.py"
    before = numba.get_num_threads()
    yield numba.set_num_threads
    numba.set_num_threads(before)


#: skip reasons that stay skips under MASSDRIVER_NO_SKIPS (not installable by pip)
ALLOWED_SKIPS = ("chromium", "asked to skip", "hapsira not importable")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not (os.environ.get("MASSDRIVER_NO_SKIPS") == "1" and report.skipped):
        return
    if hasattr(report, "wasxfail"):
        return
    reason = str(report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr)
    if not any(allowed in reason for allowed in ALLOWED_SKIPS):
        report.outcome = "failed"
        report.longrepr = f"skipped under MASSDRIVER_NO_SKIPS=1 (CI must run it): {reason}"
