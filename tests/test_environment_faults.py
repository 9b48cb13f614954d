"""Environment faults (issue 21, items 10-11), injected for real: a TCP listener on 127.0.0.1
that accepts and never answers, a peer speaking another protocol, malformed addresses, Ctrl-C
(SIGINT) during a run on a real Dask scheduler, a truncated numba cache file, a cache location
that cannot be created.
"""

from __future__ import annotations

import glob
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from cli_run import run_cli

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CAMPAIGN = str(EXAMPLES / "campaign_walker.toml")


def _one_line_error(status, out, err, command, *words):
    assert status == 2, (status, err)
    assert err.count("\n") == 1 and err.startswith(f"massdriver {command}: error: "), repr(err)
    assert "Traceback" not in err
    for w in words:
        assert w in err, (w, err)


@pytest.fixture
def short_connect_timeout(monkeypatch):
    pytest.importorskip("distributed")
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "3s"}):
        yield 3.0


class _Listener:
    """A TCP server on 127.0.0.1 that accepts every connection and sends ``greeting`` (or
    nothing), then keeps the connection open without reading."""

    def __init__(self, greeting: bytes = b""):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.greeting = greeting
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)
            if self.greeting:
                conn.sendall(self.greeting)

    def close(self):
        self.sock.close()
        for c in self.held:
            c.close()


# --------------------------------------------------------------------------------------------
# 10. Dask: one deadline, one line
# --------------------------------------------------------------------------------------------
def test_silent_server_is_one_deadline_and_one_line(short_connect_timeout, tmp_path, capsys):
    server = _Listener()
    try:
        out = tmp_path / "run"
        start = time.monotonic()
        status, stdout, err = run_cli(capsys, ["campaign", CAMPAIGN, "--out", str(out), "--quiet",
                                            "--scheduler", f"tcp://127.0.0.1:{server.port}"])
        elapsed = time.monotonic() - start
        _one_line_error(status, stdout, err, "campaign", "sent no Dask handshake")
        assert elapsed < short_connect_timeout + 15
        assert server.held                                  # it did accept the connection
        assert not out.exists()                             # no empty --out left behind
    finally:
        server.close()


def test_non_dask_peer_is_one_line(short_connect_timeout, tmp_path, capsys):
    # an SSH banner: read as a Dask frame length it is ~3 EiB
    server = _Listener(b"SSH-2.0-OpenSSH_9.6\r\n" + b"\xff" * 64)
    try:
        status, stdout, err = run_cli(capsys, ["campaign", CAMPAIGN, "--out", str(tmp_path / "o"),
                                            "--quiet", "--scheduler",
                                            f"tcp://127.0.0.1:{server.port}"])
        _one_line_error(status, stdout, err, "campaign", "does not speak the Dask protocol")
        assert not (tmp_path / "o").exists()
    finally:
        server.close()


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:notaport", "tcp://127.0.0.1:99999",
                                     "http://127.0.0.1:8786", "127.0.0.1", "tcp://:8786",
                                     "tcp://a b:1", " "])
def test_malformed_address_is_one_line_at_once(short_connect_timeout, tmp_path, capsys,
                                               address):
    start = time.monotonic()
    status, stdout, err = run_cli(capsys, ["campaign", CAMPAIGN, "--out", str(tmp_path / "o"),
                                        "--quiet", "--scheduler", address])
    _one_line_error(status, stdout, err, "campaign", "scheduler address")
    assert time.monotonic() - start < 10
    assert not (tmp_path / "o").exists()


def test_a_real_scheduler_still_connects(short_connect_timeout):
    distributed = pytest.importorskip("distributed")
    from massdriver import parallel

    with distributed.LocalCluster(n_workers=0, processes=False, protocol="tcp",
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        with parallel.use_dask(cluster.scheduler_address) as client:
            assert client.scheduler_info()["type"] == "Scheduler"


def _scheduler_process(tmp_path):
    """A Dask scheduler with no workers in its own process (as a user's is), and its address.

    Not an in-process ``LocalCluster``: that scheduler would run on an event-loop thread of
    this test process, where whatever earlier tests left holding the GIL slows its replies;
    the interrupted campaign then waited on them for its whole shutdown (seen only in full
    runs of the suite, never alone)."""
    info = tmp_path / "scheduler.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
         "--port", "0", "--no-dashboard", "--scheduler-file", str(info)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not info.exists() or not info.read_text().strip().endswith("}"):
        assert proc.poll() is None, "the scheduler did not start"
        assert time.monotonic() < deadline, "the scheduler did not start within 120 s"
        time.sleep(0.1)
    return proc, json.loads(info.read_text())["address"]


def test_ctrl_c_during_a_dask_run(short_connect_timeout, tmp_path):
    """SIGINT while the campaign waits on a real scheduler (no workers: the plane tasks stay
    pending): exit 130, one line, no "Task exception was never retrieved", no --out."""
    distributed = pytest.importorskip("distributed")
    out = tmp_path / "run"
    scheduler, address = _scheduler_process(tmp_path)
    try:
        with distributed.Client(address, timeout=60) as watcher:
            # The child gets Python's Ctrl-C handler whatever this process inherited: a test
            # run started in the background by a non-interactive shell (CI) has SIGINT
            # ignored, which its children inherit, and Python then installs no handler (the
            # campaign rightly kept ignoring the signal; seen in CI with faulthandler).
            # faulthandler: a child still running after the deadline is stopped with SIGABRT,
            # which makes it print every thread's stack (in the failure message).
            argv = ["massdriver", "campaign", CAMPAIGN, "--out", str(out), "--quiet",
                    "--scheduler", address]
            code = ("import runpy, signal, sys; "
                    "signal.signal(signal.SIGINT, signal.default_int_handler); "
                    f"sys.argv = {argv!r}; runpy.run_module('massdriver', run_name='__main__')")
            proc = subprocess.Popen([sys.executable, "-X", "faulthandler", "-c", code],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            # the planes were submitted: tasks on the scheduler, their count unchanged for 2 s
            # (the campaign then waits on them; a SIGINT in the middle of the submission is
            # another case, not this test's)
            deadline = time.monotonic() + 120
            counts = []
            while not (counts and counts[-1] > 0 and len(counts) >= 20
                       and len(set(counts[-20:])) == 1):
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline
                counts.append(watcher.run_on_scheduler(
                    lambda dask_scheduler: len(dask_scheduler.tasks)))
                time.sleep(0.1)
            proc.send_signal(signal.SIGINT)
            try:
                stdout, err = proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGABRT)
                stdout, err = proc.communicate(timeout=60)
                state = (signal.getsignal(signal.SIGINT),
                         signal.pthread_sigmask(signal.SIG_BLOCK, []))
                pytest.fail(f"no exit within 60 s of SIGINT (this process: SIGINT handler and "
                            f"blocked signals {state}); its threads:\n{err[-6000:]}")
    finally:
        scheduler.terminate()
        scheduler.wait(timeout=30)
    assert proc.returncode == 130, err
    assert err == "massdriver: interrupted\n"
    assert not out.exists()


# --------------------------------------------------------------------------------------------
# 11. numba cache
# --------------------------------------------------------------------------------------------
_CALL = ("import warnings; from massdriver.cli import _one_line_cache_warnings; "
         "_one_line_cache_warnings(warnings); "
         "from massdriver.kernels.elliptic import ellipke; print(repr(ellipke(0.5)[0]))")
#: K(m = 1/2) (Abramowitz & Stegun table 17.1)
K_HALF = 1.8540746773013719


def _python(code, env):
    e = dict(os.environ)
    e.update(env)
    return subprocess.run([sys.executable, "-c", code], env=e, capture_output=True, text=True,
                          timeout=600)


def test_truncated_cache_entry_is_removed_and_rebuilt(tmp_path):
    env = {"NUMBA_CACHE_DIR": str(tmp_path / "cache"), "MASSDRIVER_JIT_CACHE": "1"}
    first = _python(_CALL, env)
    assert first.returncode == 0, first.stderr
    (entry,) = glob.glob(str(tmp_path / "cache" / "**" / "elliptic.ellipke-*.nbc"),
                         recursive=True)
    size = os.path.getsize(entry)
    with open(entry, "r+b") as f:                        # a run killed while writing it
        f.truncate(size // 3)
    second = _python(_CALL, env)
    assert second.returncode == 0, second.stderr
    assert float(second.stdout) == pytest.approx(K_HALF, rel=1e-15)
    lines = second.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("massdriver: warning: numba cache entry "
                                                   "of ellipke"), second.stderr
    assert "removed, compiling it again" in lines[0]
    (rebuilt,) = glob.glob(str(tmp_path / "cache" / "**" / "elliptic.ellipke-*.nbc"),
                           recursive=True)
    assert os.path.getsize(rebuilt) == size
    third = _python(_CALL, env)
    assert third.returncode == 0 and third.stderr == "", third.stderr


def test_unusable_cache_location_compiles_in_memory(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory\n")
    # NUMBA_CACHE_DIR under a regular file cannot be created (whoever runs the test, root
    # included); only the user-provided locator allowed: as with a read-only install
    env = {"NUMBA_CACHE_DIR": str(blocker / "cache"), "MASSDRIVER_JIT_CACHE": "1",
           "NUMBA_CACHE_LOCATOR_CLASSES": "UserProvidedCacheLocator"}
    result = _python(_CALL, env)
    assert result.returncode == 0, result.stderr
    assert float(result.stdout) == pytest.approx(K_HALF, rel=1e-15)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("massdriver: warning: no writable numba cache location")
    assert str(blocker / "cache") in lines[0]


#: as root (which ignores permission bits) the process drops to ``nobody`` after importing
#: Python's and numba's own modules (they live under root's home), before the kernels'
_AS_UNPRIVILEGED = (
    "import os, numba, warnings; numba.njit(lambda x: x + 1.0)(1.0); "
    "import massdriver.cli, massdriver.kernels.jit\n"
    "if os.geteuid() == 0: os.setegid(65534); os.seteuid(65534)\n")


def test_read_only_cache_location_compiles_in_memory(tmp_path):
    """A ``NUMBA_CACHE_DIR`` that exists but is read-only for the user (a real permission, not
    a mock; as root the run drops to ``nobody``): the kernel still runs, compiled in memory,
    with one warning line naming the directory, and nothing is written there."""
    cache = tmp_path / "cache"
    cache.mkdir()
    if os.geteuid() == 0:
        os.chmod(tmp_path, 0o755)
        os.chmod(cache, 0o755)                   # root's: read-only for nobody
    else:
        os.chmod(cache, 0o555)
    env = {"NUMBA_CACHE_DIR": str(cache), "MASSDRIVER_JIT_CACHE": "1",
           "NUMBA_CACHE_LOCATOR_CLASSES": "UserProvidedCacheLocator"}
    try:
        result = _python(_AS_UNPRIVILEGED + _CALL, env)
    finally:
        os.chmod(cache, 0o755)
    assert result.returncode == 0, result.stderr
    assert float(result.stdout) == pytest.approx(K_HALF, rel=1e-15)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("massdriver: warning: no writable numba cache location")
    assert str(cache) in lines[0]
    assert list(cache.rglob("*.nb*")) == []


def _warmup(cache, *flags):
    """``massdriver warmup --only coilgun`` with ``NUMBA_CACHE_DIR=cache``."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
    return subprocess.run([sys.executable, "-m", "massdriver", "warmup", "--only", "coilgun",
                           *flags], env=env, capture_output=True, text=True, timeout=1800)


def test_warmup_repairs_a_truncated_entry(tmp_path):
    """``massdriver warmup`` meets truncated entries of the coilgun kernel ``simulate_shot``
    in the cache it really uses: they are removed, compiled again and saved.

    The entries are found in the directories warmup names on its first line (the dispatchers'
    own cache paths, :func:`massdriver.warmup.cache_directories`), not by globbing a root: an
    installed copy and a source checkout of the package have different cache folders, under
    ``NUMBA_CACHE_DIR`` as beside the sources, and truncating the other copy's entries would
    test nothing (this test once failed in CI for that reason).

    The cache is this test's own (``NUMBA_CACHE_DIR`` under ``tmp_path``), not the suite's: the
    other pytest-xdist worker shares the suite's cache and, loading ``simulate_shot`` between
    the truncation and the check, would repair the entry first (no warning here) or meet the
    damage itself. Only the ``coilgun`` step runs: it compiles ``simulate_shot``, and a full
    warm-up on an empty cache costs minutes."""
    cache = tmp_path / "cache"
    first = _warmup(cache)                                # fills a cold cache, names it
    assert first.returncode == 0, first.stderr
    (line,) = [x for x in first.stderr.splitlines() if x.startswith("warmup: numba cache in ")]
    where = line.removeprefix("warmup: numba cache in ")
    if where.startswith("disabled"):
        pytest.skip("the numba cache is disabled (MASSDRIVER_JIT_CACHE=0)")
    directories = where.split(", ")
    assert all(os.path.isdir(d) for d in directories), directories
    root = os.path.realpath(cache)
    assert all(os.path.realpath(d).startswith(root + os.sep) for d in directories)
    entries = [p for d in directories
               for p in glob.glob(os.path.join(glob.escape(d), "*.simulate_shot-*.nbc"))]
    assert entries, (directories, "no simulate_shot entry after a warmup")
    sizes = {p: os.path.getsize(p) for p in entries}
    for p, size in sizes.items():                         # runs killed while writing them
        with open(p, "r+b") as f:
            f.truncate(size // 2)
    run = _warmup(cache, "--quiet")
    assert run.returncode == 0, run.stderr
    warned = [x for x in run.stderr.splitlines() if "simulate_shot" in x]
    assert len(warned) == 1, run.stderr
    assert warned[0].startswith("massdriver: warning: numba cache entry of simulate_shot")
    assert "removed, compiling it again" in warned[0]
    rebuilt = [p for d in directories
               for p in glob.glob(os.path.join(glob.escape(d), "*.simulate_shot-*.nbc"))]
    assert rebuilt and all(os.path.getsize(p) > 1000 for p in rebuilt)
    again = _warmup(cache, "--quiet")
    assert again.returncode == 0 and "simulate_shot" not in again.stderr, again.stderr


def test_cache_directories_are_the_dispatchers_own(tmp_path):
    """With ``NUMBA_CACHE_DIR`` set, the cache folders are under it and keyed by the kernel
    sources' location; without it, ``__pycache__`` beside the imported kernel sources."""
    code = ("import json, massdriver.kernels as k; from massdriver.warmup import "
            "cache_directories; print(json.dumps([k.__file__, cache_directories()]))")
    import json

    env = {"MASSDRIVER_JIT_CACHE": "1", "NUMBA_CACHE_DIR": str(tmp_path / "nc")}
    source, under = json.loads(_python(code, env).stdout)
    assert under and all(d.startswith(str(tmp_path / "nc") + os.sep) for d in under)
    e = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    e["MASSDRIVER_JIT_CACHE"] = "1"
    result = subprocess.run([sys.executable, "-c", code], env=e, capture_output=True,
                            text=True, timeout=600)
    source2, beside = json.loads(result.stdout)
    kernels = os.path.dirname(source2)
    if os.access(kernels, os.W_OK):                      # else numba's user-wide fallback
        assert os.path.join(kernels, "__pycache__") in beside
        assert os.path.join(kernels, "integrators", "__pycache__") in beside
