"""Untrusted inputs (issue 21, items 5-9): every case one line on stderr and exit 2, or drawn
literally; the faults are real (a character device, a FIFO, a pipe on stdin, hand-edited result
files, control characters in names, a 10^7-plane constellation).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import fake_solve  # noqa: E402
from cli_run import run_cli  # noqa: E402
from test_report import write_synthetic_run  # noqa: E402

EXAMPLES = HERE.parent / "examples"
MISSION = EXAMPLES / "leo_from_procellarum.toml"
CAMPAIGN = EXAMPLES / "campaign_walker.toml"


def _one_line_error(status, out, err, command, *words):
    assert status == 2, (status, err)
    assert out == ""
    assert err.count("\n") == 1 and err.startswith(f"massdriver {command}: error: "), repr(err)
    assert "Traceback" not in err
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]", err), repr(err)
    for w in words:
        assert w in err, (w, err)
    return err


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


@pytest.fixture
def no_solve(monkeypatch):
    fake_solve.patch(monkeypatch.setattr, fail=True)   # reaching the solve raises


# --------------------------------------------------------------------------------------------
# 5. config paths: regular files only, at most the size limit read
# --------------------------------------------------------------------------------------------
def test_config_from_a_character_device(no_solve, tmp_path, capsys):
    for device in ("/dev/zero", "/dev/urandom"):
        status, out, err = run_cli(capsys, ["solve", device, "--out", str(tmp_path / "o")])
        _one_line_error(status, out, err, "solve", "character device", "regular file")
    link = tmp_path / "mission.toml"
    os.symlink("/dev/zero", link)
    status, out, err = run_cli(capsys, ["campaign", str(link), "--out", str(tmp_path / "o")])
    _one_line_error(status, out, err, "campaign", "character device")
    assert sorted(os.listdir(tmp_path)) == ["mission.toml"]


def test_config_from_a_fifo_and_from_stdin_do_not_hang(tmp_path):
    fifo = tmp_path / "mission.toml"
    os.mkfifo(fifo)
    for argv, stdin in ((["solve", str(fifo)], None),
                        (["solve", "/dev/stdin"], subprocess.PIPE)):
        start = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "massdriver", *argv, "--out",
                               str(tmp_path / "o")], input="" if stdin else None,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.count("\n") == 1 and "a FIFO; give a regular file" in proc.stderr
        assert time.monotonic() - start < 60
    assert sorted(os.listdir(tmp_path)) == ["mission.toml"]


def test_reader_never_reads_past_the_limit(tmp_path):
    from massdriver.errors import InputError
    from massdriver.safe_io import read_limited

    big = tmp_path / "big.toml"
    big.write_bytes(b"# x\n" * 1000)
    assert read_limited(big, 4000) == b"# x\n" * 1000
    with pytest.raises(InputError, match="4000 bytes, more than the 3999-byte limit"):
        read_limited(big, 3999)
    with pytest.raises(InputError, match="a directory"):
        read_limited(tmp_path, 10)


# --------------------------------------------------------------------------------------------
# 6. sizes bounded before anything is built; messages on one line, control characters escaped
# --------------------------------------------------------------------------------------------
def test_walker_counts_are_bounded_before_anything_is_built(no_solve, tmp_path, capsys):
    import resource

    cfg = tmp_path / "walker.toml"
    for total, planes, word in ((10**7, 10**7, "target.total"), (10**6, 10**4, "target.planes")):
        shutil.copy(CAMPAIGN, cfg)
        _edit(cfg, "total = 24\nplanes = 3", f"total = {total}\nplanes = {planes}")
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.monotonic()
        status, out, err = run_cli(capsys, ["campaign", str(cfg), "--out", str(tmp_path / "o")])
        _one_line_error(status, out, err, "campaign", word, "<= 1")
        assert time.monotonic() - start < 10
        assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before < 200_000  # kB
    from massdriver.errors import InputError
    from massdriver.targets import walker

    with pytest.raises(InputError, match="walker.planes = 10000000: must be >= 1 and <= 1000"):
        walker("53:100/10000000/1", altitude=550)
    with pytest.raises(InputError, match="walker notation"):
        walker("53:" + "9" * 5000 + "/3/1", altitude=550)


def test_huge_and_hostile_values_in_messages(no_solve, tmp_path, capsys):
    cfg = tmp_path / "m.toml"
    cases = [
        # a 400-digit integer: cut to one short line
        ('total = 24', "total = " + "9" * 400, "..."),
        # an integer TOML cannot hold in Python without a limit error
        ('total = 24', "total = " + "9" * 5000, "not a usable config"),
        # ESC, NUL, a bidi override and a newline inside values and keys
        ('kind = "walker"', 'kind = "walk\\u001b[31mer\\u202e\\u0000\\n"', "\\x1b"),
        ('phasing = 1', 'phasing = 1\n"bad\\nkey\\u202e" = 1', "\\n"),
    ]
    for old, new, word in cases:
        shutil.copy(CAMPAIGN, cfg)
        _edit(cfg, old, new)
        status, out, err = run_cli(capsys, ["campaign", str(cfg), "--out", str(tmp_path / "o")])
        _one_line_error(status, out, err, "campaign", word)
        assert len(err) < 2200


def test_control_characters_are_escaped_in_report_html(tmp_path):
    from massdriver import report

    d = tmp_path / "run"
    write_synthetic_run(d)
    plan = json.loads((d / "plan.json").read_text())
    plan["inputs"]["site"]["name"] = "Site\x1b[2J\u202eevil\x00 <b>"
    (d / "plan.json").write_text(json.dumps(plan))
    (d / "mission.toml").write_text('name = "Mission \\u202e\\u0007 x"\n')
    page = report.write(d).read_text(encoding="utf-8")
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]", page)
    assert "Site\\x1b[2J\\u202eevil\\x00 &lt;b&gt;" in page
    assert "Mission \\u202e\\x07 x" in page


# --------------------------------------------------------------------------------------------
# 7. massdriver report: plan.json and the ECSVs are untrusted
# --------------------------------------------------------------------------------------------
def _plan_mutation(edit):
    def apply(d: Path) -> None:
        plan = json.loads((d / "plan.json").read_text())
        result = edit(plan)
        text = result if isinstance(result, str) else json.dumps(plan)
        (d / "plan.json").write_text(text)
    return apply


def _scan_mutation(edit):
    def apply(d: Path) -> None:
        from astropy.table import QTable

        t = QTable.read(d / "scan.ecsv", format="ascii.ecsv")
        t = edit(t)
        t.write(d / "scan.ecsv", format="ascii.ecsv", overwrite=True)
    return apply


def _set(path, value):
    def edit(plan):
        node = plan
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return edit


MUTATIONS = {
    "threshold is text": _plan_mutation(_set(["inputs", "threshold_km_s"], "3.3")),
    "threshold is null": _plan_mutation(_set(["inputs", "threshold_km_s"], None)),
    "threshold is NaN": _plan_mutation(
        lambda p: json.dumps(p).replace('"threshold_km_s": 3.3', '"threshold_km_s": NaN')),
    "speed is Infinity": _plan_mutation(
        lambda p: json.dumps(p).replace('"speed_km_s": 2.52', '"speed_km_s": Infinity', 1)),
    "threshold is negative": _plan_mutation(_set(["inputs", "threshold_km_s"], -1)),
    "windows is a table": _plan_mutation(_set(["windows"], {"a": 1})),
    "a window is null": _plan_mutation(_set(["windows", 0], None)),
    "an empty window": _plan_mutation(_set(["windows", 0], {})),
    "best epoch is a number": _plan_mutation(_set(["windows", 0, "best_utc"], 5)),
    "budget is null": _plan_mutation(_set(["windows", 1, "budget"], None)),
    "budget total is text": _plan_mutation(_set(["windows", 2, "budget", "total_km_s"], "x")),
    "perigee radius is a list": _plan_mutation(
        _set(["windows", 0, "perigee", "radius_km"], [1, 2])),
    "plan is a list": _plan_mutation(lambda p: "[1, 2]"),
    "plan nested without end": _plan_mutation(lambda p: "[" * 100_000 + "]" * 100_000),
    "scan without its total": _scan_mutation(lambda t: t[[c for c in t.colnames
                                                          if c != "total"]]),
    "scan.ecsv not ECSV": lambda d: (d / "scan.ecsv").write_text("%ECSV 1.0\n---\nx\n\x00\n"),
}


@pytest.fixture(scope="module")
def synthetic_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("untrusted") / "run"
    write_synthetic_run(d)
    return d


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_report_of_hand_edited_results(name, synthetic_run, tmp_path, capsys):
    d = tmp_path / "run"
    shutil.copytree(synthetic_run, d)
    MUTATIONS[name](d)
    before = sorted(os.listdir(d))
    status, out, err = run_cli(capsys, ["report", str(d)])
    _one_line_error(status, out, err, "report", str(d))
    assert sorted(os.listdir(d)) == before                  # nothing written


def test_untouched_synthetic_run_gives_a_report(synthetic_run, tmp_path, capsys):
    """The mutations above fail because of the mutation, not the fixture."""
    d = tmp_path / "run"
    shutil.copytree(synthetic_run, d)
    status, out, err = run_cli(capsys, ["report", str(d)])
    assert status == 0, err


# --------------------------------------------------------------------------------------------
# 8. user text in figures is drawn literally
# --------------------------------------------------------------------------------------------
def test_dollar_signs_in_names_are_drawn_literally():
    import io

    import astropy.units as u
    from astropy.table import QTable
    from astropy.time import Time

    from massdriver.report.campaign_plots import plot_deliveries

    launch = Time(["2027-01-02T00:00", "2027-01-03T00:00"], scale="utc")
    schedule = QTable({"plane": [0, 1], "launch_utc": launch, "arrival_utc": launch + 5 * u.day})
    names = ["$\\frac{1}{$", "plane $x^2$ of $$"]
    fig = plot_deliveries(schedule, [1, 1], start=launch[0], plane_names=names,
                          title="cost $5 $\\undefined")
    fig.savefig(io.BytesIO(), format="png")                # mathtext would raise here
    # each '$' escaped (matplotlib draws '\$' as a dollar sign), nothing else changed
    texts = [t.get_text().replace("\\$", "$")
             for t in fig.axes[0].get_legend().get_texts()]
    assert names[0] in texts and names[1] in texts
    assert fig.axes[0].get_title().replace("\\$", "$") == "cost $5 $\\undefined"
    for t in fig.axes[0].get_legend().get_texts():
        assert not t._preprocess_math(t.get_text())[1]      # not typeset as mathtext


# --------------------------------------------------------------------------------------------
# 9. degenerate inputs: a clear answer
# --------------------------------------------------------------------------------------------
def test_power_so_low_a_shot_never_recharges(no_solve, tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    shutil.copy(CAMPAIGN, cfg)
    _edit(cfg, 'power = "5 MW"', 'power = "1e-300 W"')
    status, out, err = run_cli(capsys, ["campaign", str(cfg), "--out", str(tmp_path / "o")])
    _one_line_error(status, out, err, "campaign", "campaign.power", "to recharge")
    assert not (tmp_path / "o").exists()


def test_units_that_cancel_are_not_an_angle(no_solve, tmp_path, capsys):
    cfg = tmp_path / "m.toml"
    shutil.copy(MISSION, cfg)
    _edit(cfg, 'azimuth = "90 deg"', 'azimuth = "1 m/m"')
    status, out, err = run_cli(capsys, ["solve", str(cfg), "--out", str(tmp_path / "o")])
    _one_line_error(status, out, err, "solve", "site.azimuth", "units cancel out")
    from massdriver.config import parse_quantity

    assert parse_quantity("90", "deg").value == 90.0                # a bare number still is


def test_leap_second_on_a_day_without_one(no_solve, tmp_path, capsys):
    cfg = tmp_path / "m.toml"
    shutil.copy(MISSION, cfg)
    _edit(cfg, 'start = "2027-01-01T00:00"', 'start = "2026-12-31T23:59:60"')
    status, out, err = run_cli(capsys, ["solve", str(cfg), "--out", str(tmp_path / "o")])
    _one_line_error(status, out, err, "solve", "search.start", "leap second")
    from massdriver.config import parse_epoch

    assert parse_epoch("2016-12-31T23:59:60").utc.isot == "2016-12-31T23:59:60.000"


def test_plot_suffix_decides_the_format_before_the_run(no_solve, tmp_path, capsys):
    status, out, err = run_cli(capsys, ["coilgun", "design", "--mass", "10", "--speed", "0.1",
                                     "--max-g", "1000", "--plot", str(tmp_path / "g.jpeg")])
    _one_line_error(status, out, err, "coilgun", "must end in .png, .pdf, .svg")
    status, out, err = run_cli(capsys, ["shoot", "--site", "0 -55", "--speed", "2.5", "--epoch",
                                     "2027-01-01T00:00", "--plot", ""])
    _one_line_error(status, out, err, "shoot", "empty")
    assert os.listdir(tmp_path) == []
