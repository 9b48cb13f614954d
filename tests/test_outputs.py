"""Output directories written as one transaction (issue 21, items 1-4), faults injected for real.

The solve itself is replaced by the synthetic plan of tests/fake_solve.py (the files, the
report and the manifest are the real ones): stale files of an earlier run, two real
concurrent processes, real symlinks (dangling and not), a real file-size limit
(``RLIMIT_FSIZE`` in a subprocess), a real truncated file, a real read-only file (as an
unprivileged user when the tests run as root), a directory where a file goes.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import fake_solve  # noqa: E402
from cli_run import run_cli  # noqa: E402

from massdriver.cli import main  # noqa: E402

MISSION = str(fake_solve.MISSION_EXAMPLE)
RESULTS = {"plan.json", "windows.ecsv", "scan.ecsv", "mission.toml", "manifest.json"}
REPORT = {"window_chart.png", "speed_map.png", "budget.png", "report.html"}


def _one_line_error(status, out, err, command, *words):
    assert status == 2, (status, err)
    assert err.count("\n") == 1 and err.startswith(f"massdriver {command}: error: "), err
    assert "Traceback" not in err
    for w in words:
        assert w in err, (w, err)
    return err


def _snapshot(d: Path) -> dict:
    """Every entry of ``d``: name -> bytes (files), link target (symlinks), None (dirs)."""
    out = {}
    for p in sorted(d.iterdir()):
        if p.is_symlink():
            out[p.name] = ("link", os.readlink(p))
        elif p.is_dir():
            out[p.name] = None
        else:
            out[p.name] = p.read_bytes()
    return out


def _subprocess(args, env=None, **kwargs):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.Popen([sys.executable, str(HERE / "fake_solve.py"), *args], env=e,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


@pytest.fixture
def windows_solve(monkeypatch):
    fake_solve.patch(monkeypatch.setattr, windows=True)


@pytest.fixture
def empty_solve(monkeypatch):
    fake_solve.patch(monkeypatch.setattr, windows=False)


# --------------------------------------------------------------------------------------------
# 1. a run's directory describes that run only
# --------------------------------------------------------------------------------------------
def test_a_run_without_window_removes_the_earlier_runs_files(monkeypatch, tmp_path, capsys):
    out = tmp_path / "run"
    fake_solve.patch(monkeypatch.setattr, windows=True)
    status, stdout, err = run_cli(capsys, ["solve", MISSION, "--out", str(out), "--quiet"])
    assert status == 0, err
    first = set(os.listdir(out))
    assert first == RESULTS | REPORT | {"best_trajectory.ecsv", "trajectory.png"}
    (out / "my_notes.txt").write_text("mine\n")            # not a name massdriver writes
    status, stdout, err = run_cli(capsys, ["report", str(out), "--force", "--pdf"])
    assert status == 0, err
    assert (out / "budget.pdf").is_file()

    fake_solve.patch(monkeypatch.setattr, windows=False)
    status, stdout, err = run_cli(capsys, ["solve", MISSION, "--out", str(out), "--quiet",
                                        "--force", "--no-report"])
    assert status == 0, err
    # no best_trajectory.ecsv, figure or report.html of the first run is left
    assert set(os.listdir(out)) == RESULTS | {"my_notes.txt"}
    assert (out / "my_notes.txt").read_text() == "mine\n"
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["files"]) == RESULTS - {"manifest.json"}
    status, stdout, err = run_cli(capsys, ["report", str(out)])
    assert status == 0, err
    page = (out / "report.html").read_text()
    assert "No launch window" in page and "Trajectory of the best window" not in page
    manifest2 = json.loads((out / "manifest.json").read_text())
    assert manifest2["run_id"] == manifest["run_id"]                # same run, report added
    assert set(manifest2["files"]) == (RESULTS | REPORT) - {"manifest.json", "trajectory.png"}


def test_rerun_of_the_same_mission_replaces_only_its_own_untouched_outputs(
        windows_solve, tmp_path, capsys):
    """Re-running the same mission into its directory needs no --force (issue 15 A.7); a
    different mission, or an output the user edited, is refused and nothing changes."""
    out = tmp_path / "run"
    assert run_cli(capsys, ["solve", MISSION, "--out", str(out), "--quiet"])[0] == 0
    first = json.loads((out / "manifest.json").read_text())["run_id"]
    status, stdout, err = run_cli(capsys, ["solve", MISSION, "--out", str(out), "--quiet"])
    assert status == 0, err
    assert json.loads((out / "manifest.json").read_text())["run_id"] != first

    other = tmp_path / "other.toml"
    other.write_text(Path(MISSION).read_text().replace("28 d", "27 d"))
    before = _snapshot(out)
    status, stdout, err = run_cli(capsys, ["solve", str(other), "--out", str(out), "--quiet"])
    _one_line_error(status, stdout, err, "solve", "--force", "plan.json")
    assert _snapshot(out) == before

    with open(out / "report.html", "a") as fh:           # the user edits an output
        fh.write("<!-- my note -->\n")
    before = _snapshot(out)
    status, stdout, err = run_cli(capsys, ["solve", MISSION, "--out", str(out), "--quiet"])
    _one_line_error(status, stdout, err, "solve", "--force", "report.html")
    assert _snapshot(out) == before


def test_a_failed_run_leaves_the_previous_run_and_no_empty_out(monkeypatch, tmp_path, capsys):
    out = tmp_path / "run"
    fake_solve.patch(monkeypatch.setattr, windows=True)
    assert run_cli(capsys, ["solve", MISSION, "--out", str(out), "--quiet"])[0] == 0
    before = _snapshot(out)
    fake_solve.patch(monkeypatch.setattr, fail=True)
    with pytest.raises(RuntimeError, match="the solver broke"):
        main(["solve", MISSION, "--out", str(out), "--quiet", "--force"])
    assert _snapshot(out) == before                     # no staging dir, no lock, no mix
    fresh = tmp_path / "a" / "b" / "new"
    with pytest.raises(RuntimeError, match="the solver broke"):
        main(["solve", MISSION, "--out", str(fresh), "--quiet"])
    assert not (tmp_path / "a").exists()                # the directories it created: gone


def test_empty_out_is_refused(empty_solve, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, stdout, err = run_cli(capsys, ["solve", MISSION, "--out", "", "--quiet"])
    _one_line_error(status, stdout, err, "solve", "--out is empty")
    assert os.listdir(tmp_path) == []
    status, stdout, err = run_cli(capsys, ["solve", MISSION, "--out", ".", "--quiet",
                                        "--no-report"])
    assert status == 0, err                               # '.' said explicitly is fine
    status, stdout, err = run_cli(capsys, ["report", ""])
    _one_line_error(status, stdout, err, "report", "empty")
    assert not os.path.exists(tmp_path / "report.html")


# --------------------------------------------------------------------------------------------
# 2. concurrent runs (two real processes)
# --------------------------------------------------------------------------------------------
def test_two_concurrent_runs_into_one_directory(tmp_path):
    out = tmp_path / "run"
    argv = ["solve", MISSION, "--out", str(out), "--quiet", "--force", "--no-report"]
    first = _subprocess(argv, env={"FAKE_SOLVE_SLEEP": "6"})
    deadline = time.monotonic() + 60
    while not (out / ".massdriver.lock").exists():         # the first run holds the lock
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    second = _subprocess(argv, env={"FAKE_SOLVE_SLEEP": "0"})
    out2, err2 = second.communicate(timeout=120)
    out1, err1 = first.communicate(timeout=120)
    assert first.returncode == 0, err1
    assert second.returncode == 2, err2
    assert err2.count("\n") == 1 and "another massdriver run is writing there" in err2
    assert set(os.listdir(out)) == RESULTS | {"best_trajectory.ecsv"}
    from massdriver.outputs import verify_directory

    assert verify_directory(out)["run_id"]


# --------------------------------------------------------------------------------------------
# 3. symlinks
# --------------------------------------------------------------------------------------------
def test_dangling_symlink_is_an_existing_file(empty_solve, tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere / "target.json", out / "plan.json")
    status, stdout, err = run_cli(capsys, ["solve", MISSION, "--out", str(out), "--quiet"])
    _one_line_error(status, stdout, err, "solve", "plan.json", "--force")
    assert os.listdir(elsewhere) == []                   # nothing created through the link
    assert set(os.listdir(out)) == {"plan.json"}
    status, stdout, err = run_cli(capsys, ["solve", MISSION, "--out", str(out), "--quiet",
                                        "--force", "--no-report"])
    assert status == 0, err
    assert not (out / "plan.json").is_symlink()          # the link was replaced, not followed
    assert os.listdir(elsewhere) == []


def test_force_replaces_a_symlink_never_its_target(empty_solve, tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    precious = tmp_path / "precious.txt"
    precious.write_text("my thesis\n")
    os.symlink(precious, out / "scan.ecsv")
    os.symlink(precious, out / "report.html")
    status, stdout, err = run_cli(capsys, ["solve", MISSION, "--out", str(out), "--quiet",
                                        "--force"])
    assert status == 0, err
    assert precious.read_text() == "my thesis\n"
    assert not (out / "scan.ecsv").is_symlink() and not (out / "report.html").is_symlink()


def test_plot_and_write_through_symlinks(tmp_path):
    """``--plot``/``--write`` (:func:`massdriver.cli._common.save_plot`,
    :func:`massdriver.outputs.write_file`): a dangling link is an existing file; with force the
    link is replaced and its target kept."""
    from matplotlib.figure import Figure

    from massdriver.cli._common import save_plot
    from massdriver.errors import OutputExistsError
    from massdriver.outputs import write_file

    fig = Figure()
    fig.add_subplot().plot([0, 1], [1, 0])
    link = tmp_path / "shot.png"
    os.symlink(tmp_path / "nowhere" / "x.png", link)
    with pytest.raises(OutputExistsError, match="--force"):
        save_plot(fig, link, force=False)
    assert not (tmp_path / "nowhere").exists()
    precious = tmp_path / "precious.toml"
    precious.write_text("keep\n")
    toml = tmp_path / "gun.toml"
    os.symlink(precious, toml)
    write_file(toml, True, lambda f: f.write(b"name = 'x'\n"))
    assert precious.read_text() == "keep\n" and toml.read_text() == "name = 'x'\n"
    save_plot(fig, link, force=True)
    assert link.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and not link.is_symlink()
    assert sorted(os.listdir(tmp_path)) == ["gun.toml", "precious.toml", "shot.png"]


def test_plot_format_follows_the_suffix(tmp_path):
    from matplotlib.figure import Figure

    from massdriver.cli._common import save_plot
    from massdriver.errors import InputError

    fig = Figure()
    fig.add_subplot().plot([0, 1], [1, 0])
    assert save_plot(fig, tmp_path / "a.pdf", False).read_bytes().startswith(b"%PDF-")
    assert b"<svg" in save_plot(fig, tmp_path / "a.svg", False).read_bytes()[:2000]
    assert save_plot(fig, tmp_path / "a.PNG", False).read_bytes().startswith(b"\x89PNG")
    with pytest.raises(InputError, match="must end in .png, .pdf, .svg"):
        save_plot(fig, tmp_path / "a.jpeg", False)


# --------------------------------------------------------------------------------------------
# 4. partial files: a real size limit, a real truncation, read-only files, directories
# --------------------------------------------------------------------------------------------
def _limit_file_size(limit):
    def set_limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return set_limit


def test_file_size_limit_leaves_the_previous_run_intact(windows_solve, tmp_path, capsys):
    out = tmp_path / "run"
    assert run_cli(capsys, ["solve", MISSION, "--out", str(out), "--quiet", "--no-report"])[0] == 0
    before = _snapshot(out)
    assert len(before["scan.ecsv"]) > 100_000 > len(before["plan.json"])
    proc = _subprocess(["solve", MISSION, "--out", str(out), "--quiet", "--force"],
                       preexec_fn=_limit_file_size(60_000))
    stdout, err = proc.communicate(timeout=300)
    assert proc.returncode == 2, err
    assert err.count("\n") == 1, err
    assert err.startswith("massdriver solve: error: ") and "File too large" in err
    assert str(out / "scan.ecsv") in err                 # the file is named
    assert _snapshot(out) == before                     # nothing half-written, nothing mixed
    status, stdout, err = run_cli(capsys, ["report", str(out)])
    assert status == 0, err


def test_report_refuses_a_truncated_or_foreign_file(windows_solve, tmp_path, capsys):
    out = tmp_path / "run"
    assert run_cli(capsys, ["solve", MISSION, "--out", str(out), "--quiet", "--no-report"])[0] == 0
    scan = out / "scan.ecsv"
    size = scan.stat().st_size
    os.truncate(scan, size // 2)                        # the truncated file of a killed run
    status, stdout, err = run_cli(capsys, ["report", str(out)])
    _one_line_error(status, stdout, err, "report", "scan.ecsv", "does not match manifest.json")
    assert not (out / "report.html").exists()

    # a best_trajectory.ecsv of another run beside a run without windows
    other = tmp_path / "other"
    argv = ["solve", MISSION, "--out", str(other), "--quiet", "--no-report"]
    assert run_cli(capsys, argv)[0] == 0
    fake_solve.patch(pytest.MonkeyPatch().setattr, windows=False)
    lonely = tmp_path / "lonely"
    assert run_cli(capsys, ["solve", MISSION, "--out", str(lonely), "--quiet",
                         "--no-report"])[0] == 0
    (lonely / "best_trajectory.ecsv").write_bytes((other / "best_trajectory.ecsv").read_bytes())
    status, stdout, err = run_cli(capsys, ["report", str(lonely)])
    _one_line_error(status, stdout, err, "report", "best_trajectory.ecsv", "not part of run")
    # a plan.json from another run
    (other / "plan.json").write_bytes((lonely / "plan.json").read_bytes())
    status, stdout, err = run_cli(capsys, ["report", str(other)])
    _one_line_error(status, stdout, err, "report", "plan.json", "does not match")


def test_interrupted_commit_is_refused_then_cleaned(windows_solve, tmp_path, capsys):
    out = tmp_path / "run"
    assert run_cli(capsys, ["solve", MISSION, "--out", str(out), "--quiet", "--no-report"])[0] == 0
    (out / ".massdriver-20270101T000000Z-deadbeef.tmp").mkdir()     # a crash mid-commit
    status, stdout, err = run_cli(capsys, ["report", str(out)])
    _one_line_error(status, stdout, err, "report", "interrupted run")
    assert run_cli(capsys, ["solve", MISSION, "--out", str(out), "--quiet", "--force"])[0] == 0
    assert not [n for n in os.listdir(out) if n.startswith(".")]


def test_directory_where_a_file_goes_is_found_before_the_solve(monkeypatch, tmp_path, capsys):
    fake_solve.patch(monkeypatch.setattr, fail=True)    # reaching the solve would raise
    out = tmp_path / "run"
    (out / "scan.ecsv").mkdir(parents=True)
    status, stdout, err = run_cli(capsys, ["solve", MISSION, "--out", str(out), "--quiet",
                                        "--force"])
    _one_line_error(status, stdout, err, "solve", "scan.ecsv is a directory")
    assert os.listdir(out) == ["scan.ecsv"]


@pytest.fixture
def unprivileged(tmp_path):
    """A directory to work in as an unprivileged user: as root (which ignores permission
    bits) the effective uid/gid become ``nobody`` for the test and the directory is theirs."""
    import contextlib
    import shutil
    import tempfile

    if os.geteuid() != 0:
        yield tmp_path, contextlib.nullcontext
        return
    import massdriver.cli.solve  # noqa: F401  (the interpreter is root's: import it all first)
    import massdriver.config  # noqa: F401
    import massdriver.outputs  # noqa: F401
    import massdriver.report  # noqa: F401
    import massdriver.safe_io  # noqa: F401
    from massdriver.config import load_mission

    load_mission(MISSION)                 # every lazy import of the path to the solve
    d = Path(tempfile.mkdtemp(prefix="massdriver-outputs-"))
    os.chown(d, 65534, 65534)

    @contextlib.contextmanager
    def as_nobody():
        os.setegid(65534)
        os.seteuid(65534)
        try:
            yield
        finally:
            os.seteuid(0)
            os.setegid(0)

    yield d, as_nobody
    shutil.rmtree(d, ignore_errors=True)


def test_read_only_file_and_unwritable_out_are_found_before_the_solve(monkeypatch, unprivileged,
                                                                        capsys):
    fake_solve.patch(monkeypatch.setattr, fail=True)    # reaching the solve would raise
    base, as_user = unprivileged
    with as_user():
        out = base / "run"
        out.mkdir()
        (out / "report.html").write_text("my report\n")
        os.chmod(out / "report.html", 0o444)
        status, stdout, err = run_cli(capsys, ["solve", MISSION, "--out", str(out), "--quiet",
                                            "--force"])
        _one_line_error(status, stdout, err, "solve", "report.html is read-only")
        assert sorted(os.listdir(out)) == ["report.html"]
        locked = base / "locked"
        locked.mkdir()
        os.chmod(locked, 0o555)
        status, stdout, err = run_cli(capsys, ["solve", MISSION, "--out", str(locked / "sub"),
                                            "--quiet"])
        _one_line_error(status, stdout, err, "solve", "cannot create")
        status, stdout, err = run_cli(capsys, ["solve", MISSION, "--out", str(locked),
                                            "--quiet"])
        _one_line_error(status, stdout, err, "solve", "not writable")
        assert os.listdir(locked) == []
        os.chmod(locked, 0o755)


def test_campaign_figure_of_an_earlier_run_is_removed(monkeypatch, tmp_path, capsys):
    """``campaign --force --no-report`` after a run with the figure: no stale deliveries.png.
    (The planes' window solves are replaced by plans without windows: the schedule, files and
    figure are the real ones.)"""
    import dataclasses

    import massdriver.campaign as campaign

    def solve_planes(constellation, *args, **kwargs):
        plan = fake_solve.tiny_plan()
        plan = dataclasses.replace(plan, inputs={**plan.inputs, "step_minutes": 120.0})
        return [plan for _ in constellation.planes]

    monkeypatch.setattr(campaign, "solve_planes", solve_planes)
    config = str(HERE.parent / "examples" / "campaign_walker.toml")
    out = tmp_path / "walker"
    status, stdout, err = run_cli(capsys, ["campaign", config, "--out", str(out), "--quiet"])
    assert status == 0, err
    assert set(os.listdir(out)) == {"campaign.json", "schedule.ecsv", "campaign.toml",
                                    "deliveries.png", "manifest.json"}
    status, stdout, err = run_cli(capsys, ["campaign", config, "--out", str(out), "--quiet",
                                        "--force", "--no-report"])
    assert status == 0, err
    assert set(os.listdir(out)) == {"campaign.json", "schedule.ecsv", "campaign.toml",
                                    "manifest.json"}
    from massdriver.outputs import verify_directory

    assert verify_directory(out)["command"] == "campaign"


def test_patterns_declare_outputs_named_after_the_result(tmp_path):
    """``patterns`` (``solve --export`` names its files after the best window): a matching
    file of an earlier run that this run does not write is removed at the commit, one that
    is not an output of a run (no manifest entry) needs ``force``, and a name matching no
    pattern cannot be written."""
    from massdriver.errors import OutputExistsError
    from massdriver.outputs import OutputDirectory

    out = tmp_path / "o"
    pats = ["window_*.oem"]
    with OutputDirectory(out, ["a"], force=False, command="t", patterns=pats,
                         same_input=("a", b"x")) as txn:
        txn.write_bytes("a", b"x")
        txn.write_text("window_2.oem", "two\n")
        with pytest.raises(ValueError):
            txn.path("window_2.opm")
        txn.commit()
    with OutputDirectory(out, ["a"], force=False, command="t", patterns=pats,
                         same_input=("a", b"x")) as txn:    # the same run again: no --force
        txn.write_bytes("a", b"x")
        txn.write_text("window_1.oem", "one\n")
        txn.commit()
    assert sorted(os.listdir(out)) == ["a", "manifest.json", "window_1.oem"]
    (out / "window_7.oem").write_text("written by hand\n")
    with pytest.raises(OutputExistsError, match="window_7.oem"):
        with OutputDirectory(out, ["a"], force=False, command="t", patterns=pats,
                             same_input=("a", b"x")):
            pass
    with OutputDirectory(out, ["a"], force=True, command="t", patterns=pats) as txn:
        txn.write_bytes("a", b"x")
        txn.commit()
    assert sorted(os.listdir(out)) == ["a", "manifest.json"]
