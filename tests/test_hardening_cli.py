"""Bad input on the command line: one line ``massdriver CMD: error: ...``, exit 2, nothing written.

``massdriver.cli.main`` is called in-process. The expensive parts (the window solve, the grid
scan, the coilgun simulation, the coast integration) are replaced by a sentinel that raises
:class:`Reached`: an invalid input must be refused *before* it (validation never waits for a
solve), a valid one must get there. Mutated configs come from the schema-driven strategies of
``tests/config_mutations.py``.
"""

from __future__ import annotations

import itertools
import math
import sys
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))
from config_mutations import (  # noqa: E402
    COILGUN_EXAMPLE,
    MISSION_EXAMPLE,
    coilgun_mutations,
    mission_mutations,
    to_toml,
)

from massdriver.cli import main  # noqa: E402

CLI = settings(max_examples=80, deadline=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                      HealthCheck.filter_too_much])
_counter = itertools.count()


class Reached(Exception):
    """Raised by the stand-ins of the expensive calls."""


def _reached(*args, **kwargs):
    raise Reached()


@pytest.fixture
def no_solve(monkeypatch):
    """Replace every expensive call by the sentinel."""
    import massdriver.coilgun as coilgun
    import massdriver.trajectory as trajectory
    import massdriver.windows as windows

    for module, name in [(windows, "solve"), (windows, "scan"), (coilgun, "simulate"),
                         (coilgun, "charge_for_speed"), (coilgun, "design"),
                         (trajectory, "shoot")]:
        monkeypatch.setattr(module, name, _reached)


@pytest.fixture(scope="module")
def area(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hardening_cli")


def _fresh(area: Path) -> Path:
    d = area / f"case{next(_counter)}"
    d.mkdir()
    return d


def _run(capsys, argv: list[str]):
    """``(status, stdout, stderr)``; ``status`` is ``"reached"`` if the sentinel was hit."""
    capsys.readouterr()
    try:
        status = main(argv)
    except Reached:
        status = "reached"
    except SystemExit as exc:      # argparse
        status = exc.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def assert_one_line_error(status, out: str, err: str, command: str, *names: str) -> str:
    """Exit 2, nothing on stdout, exactly one stderr line ``massdriver CMD: error: ...``."""
    assert status == 2, (status, err)
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, repr(err)
    prefix = f"massdriver {command}: error: " if command else "massdriver: error: "
    assert err.startswith(prefix), err
    assert "Traceback" not in err
    if names:
        assert any(n in err for n in names), f"none of {names} in {err!r}"
    return err


# --------------------------------------------------------------------------------------------
# mission files through ``solve`` and ``windows``
# --------------------------------------------------------------------------------------------
@CLI
@given(mutation=mission_mutations(), command=st.sampled_from(["solve", "windows"]))
def test_mission_mutations_on_the_cli(no_solve, area, capsys, mutation, command):
    """>= 80 cases: refused before the solve, one line naming the key, no output directory."""
    d = _fresh(area)
    config = d / "mission.toml"
    config.write_text(to_toml(mutation.doc), encoding="utf-8")
    out = d / "out"
    argv = [command, str(config), "--quiet"]
    if command == "solve":
        argv += ["--out", str(out), "--no-report"]
    status, stdout, err = _run(capsys, argv)
    if mutation.valid:
        assert status == "reached", err
        return
    assert_one_line_error(status, stdout, err, command, mutation.path)
    assert not out.exists()                             # nothing created for a bad config
    assert sorted(p.name for p in d.iterdir()) == ["mission.toml"]


@CLI
@given(mutation=coilgun_mutations(valid=False))
def test_coilgun_file_mutations_on_the_cli(no_solve, area, capsys, mutation):
    d = _fresh(area)
    config = d / "gun.toml"
    config.write_text(to_toml(mutation.doc), encoding="utf-8")
    plot = d / "shot.png"
    status, out, err = _run(capsys, ["coilgun", str(config), "--json", "--plot", str(plot)])
    assert_one_line_error(status, out, err, "coilgun", mutation.path)
    assert not plot.exists()


def test_the_examples_reach_the_solvers(no_solve, area, capsys):
    """The unmutated inputs are valid (the sentinel is what stops them)."""
    d = _fresh(area)
    assert _run(capsys, ["solve", str(MISSION_EXAMPLE), "--out", str(d / "o"),
                         "--quiet"])[0] == "reached"
    assert _run(capsys, ["windows", str(MISSION_EXAMPLE), "--quiet"])[0] == "reached"
    assert _run(capsys, ["coilgun", str(COILGUN_EXAMPLE), "--json"])[0] == "reached"
    assert _run(capsys, ["coilgun", "design", "--mass", "10", "--speed", "0.1",
                         "--max-g", "1000"])[0] == "reached"
    assert _run(capsys, ["shoot", "--site", "0 -55", "--speed", "2.5",
                         "--epoch", "2027-01-01T00:00"])[0] == "reached"


CAMPAIGN_EXAMPLE = MISSION_EXAMPLE.parent / "campaign_walker.toml"


@pytest.mark.skipif(not CAMPAIGN_EXAMPLE.exists(), reason="no campaign example")
@CLI
@given(data=st.data())
def test_campaign_section_mutations_on_the_cli(no_solve, area, capsys, monkeypatch, data):
    """``massdriver campaign``: a bad ``[campaign]`` value is one line naming the key, before
    any planning, and no output directory (it used to be created before the validation)."""
    import tomllib

    import massdriver.campaign as campaign

    monkeypatch.setattr(campaign, "plan_campaign", _reached)
    doc = tomllib.loads(CAMPAIGN_EXAMPLE.read_text())
    key = data.draw(st.sampled_from(sorted(doc["campaign"])))
    value = data.draw(st.one_of(
        st.sampled_from([math.nan, math.inf, -math.inf, True, [1.0], {"a": 1}, "", "abc"]),
        st.floats(min_value=-1e300, max_value=-1e-6),
    ))
    doc["campaign"][key] = value
    d = _fresh(area)
    config = d / "campaign.toml"
    config.write_text(to_toml(doc), encoding="utf-8")
    status, out, err = _run(capsys, ["campaign", str(config), "--out", str(d / "out")])
    assert_one_line_error(status, out, err, "campaign", f"campaign.{key}")
    assert not (d / "out").exists()


# --------------------------------------------------------------------------------------------
# ``shoot`` options
# --------------------------------------------------------------------------------------------
#: option -> (allowed low, high, low excluded?, unit added by some cases)
SHOOT_RANGES = {
    "--lat": (-90.0, 90.0, False, "deg"), "--lon": (-360.0, 360.0, False, "deg"),
    "--azimuth": (0.0, 360.0, False, "deg"), "--elevation": (0.0, 90.0, False, "deg"),
    "--height": (-10.0, 12.0, False, "km"), "--speed": (0.0, 20.0, True, "km/s"),
    "--days": (0.0, 60.0, True, ""), "--rtol": (1e-13, 1e-6, False, ""),
}
SHOOT_BASE = {"--lat": "0", "--lon": "-55", "--azimuth": "90", "--elevation": "0",
              "--height": "0", "--speed": "2.5", "--days": "8", "--rtol": "1e-11",
              "--epoch": "2027-01-01T00:00"}


@st.composite
def bad_shoot_option(draw):
    option = draw(st.sampled_from(sorted(SHOOT_RANGES) + ["--epoch"]))
    if option == "--epoch":
        value = draw(st.one_of(
            st.sampled_from(["2027-02-30", "tomorrow", "", "2027-01-01T00:00 XYZ", "1e3"]),
            st.integers(1, 1899).map(lambda y: f"{y:04d}-01-01"),
            st.integers(2051, 9999).map(lambda y: f"{y:04d}-01-01"),
        ))
        return option, value
    lo, hi, lo_open, unit = SHOOT_RANGES[option]
    outside = st.one_of(
        st.floats(max_value=lo - max(abs(lo) * 1e-6, 1e-9), allow_nan=False, min_value=-1e300),
        st.floats(min_value=hi + max(abs(hi) * 1e-6, 1e-9), allow_nan=False, max_value=1e300),
        st.just(lo) if lo_open else st.nothing(),
    )
    kind = draw(st.sampled_from(["outside", "nonfinite", "garbage"]))
    if kind == "outside":
        x = draw(outside)
        value = repr(x) if not unit or draw(st.booleans()) else f"{x!r} {unit}"
    elif kind == "nonfinite":
        value = draw(st.sampled_from(["nan", "inf", "-inf", "1e999", "NaN km", "-inf deg"]))
        if option in ("--days", "--rtol") and " " in value:
            value = value.split()[0]
    else:
        value = draw(st.text(alphabet="abcxyz!?%", min_size=1, max_size=6))
    return option, value


@CLI
@given(case=bad_shoot_option(), site_form=st.booleans())
def test_bad_shoot_options(no_solve, capsys, case, site_form):
    option, value = case
    args = dict(SHOOT_BASE)
    args[option] = value
    argv = ["shoot"]
    if site_form and option not in ("--lat", "--lon"):
        argv += ["--site", f"{args.pop('--lat')} {args.pop('--lon')}"]
    for key, val in args.items():
        argv += [f"{key}={val}"]
    status, out, err = _run(capsys, argv)
    assert_one_line_error(status, out, err, "shoot", option)


# --------------------------------------------------------------------------------------------
# ``windows --from/--days`` and ``coilgun`` numbers
# --------------------------------------------------------------------------------------------
@CLI
@given(case=st.one_of(
    st.tuples(st.just("--from"), st.one_of(
        st.integers(1, 1899).map(lambda y: f"{y:04d}-03-01"),
        st.integers(2051, 9999).map(lambda y: f"{y:04d}-03-01"),
        st.sampled_from(["2050-12-20", "2027-02-30", "never", "", "2027-01-01T24:61"]))),
    st.tuples(st.just("--days"), st.one_of(
        st.floats(max_value=0.0, allow_nan=False, min_value=-1e300).map(repr),
        st.floats(min_value=3660.0001, max_value=1e300).map(repr),
        st.sampled_from(["nan", "inf", "-inf", "1e999", "ten", "0x10", ""]))),
))
def test_bad_windows_options(no_solve, capsys, case):
    option, value = case
    status, out, err = _run(capsys, ["windows", str(MISSION_EXAMPLE), f"{option}={value}",
                                     "--quiet"])
    assert_one_line_error(status, out, err, "windows", option)


def test_windows_days_shorter_than_a_step(no_solve, capsys):
    status, out, err = _run(capsys, ["windows", str(MISSION_EXAMPLE), "--days", "0.01"])
    assert_one_line_error(status, out, err, "windows", "--days 0.01: the span must not be")


@CLI
@given(option=st.sampled_from(["--speed", "--payload-mass", "--rtol", "--shots-per-year",
                               "--mass", "--max-g", "--bore-radius", "--sections"]),
       value=st.one_of(st.sampled_from(["nan", "inf", "-inf", "-1", "0", "abc", "1e999", ""]),
                       st.floats(max_value=-1e-300, allow_nan=False).map(repr)),
       design=st.booleans())
def test_bad_coilgun_options(no_solve, capsys, option, value, design):
    if design:
        argv = ["coilgun", "design", "--mass", "10", "--speed", "0.1", "--max-g", "1000"]
    else:
        argv = ["coilgun", str(COILGUN_EXAMPLE)]
    if design and option == "--payload-mass":
        option = "--carrier-mass"
    if option in ("--shots-per-year", "--carrier-mass") and value == "0":
        value = "-1"                           # 0 is allowed for these two (>= 0)
    argv = [a for a in argv]
    if option in argv:                         # replace a design value
        argv[argv.index(option) + 1] = value
    else:
        argv += [f"{option}={value}"]
    status, out, err = _run(capsys, argv)
    names = (option, option.strip("-").replace("-", "_"))
    if not design and option in ("--mass", "--max-g", "--bore-radius", "--sections"):
        names += ("design option",)
    assert_one_line_error(status, out, err, "coilgun", *names)


@CLI
@given(argv=st.one_of(
    st.tuples(st.sampled_from(["solve", "windows", "shoot", "coilgun", "report"]),
              st.from_regex(r"--[a-z][a-z-]{0,10}", fullmatch=True)).map(list),
    st.lists(st.text(alphabet="abc-= ", max_size=6), min_size=1, max_size=3),
))
def test_argparse_errors_are_one_line(no_solve, capsys, argv):
    """Unknown options, missing arguments, unknown commands: one line, exit 2. None of these
    argument lists is complete, so none reaches a solver; only an abbreviation of --help
    (``--h``, ``--he``...) exits 0."""
    status, out, err = _run(capsys, argv)
    if status == 0:
        assert len(argv) == 2 and "--help".startswith(argv[1]) and len(argv[1]) >= 3, argv
        assert out.startswith("usage: massdriver") and err == ""
        return
    # an error is one line (a usage block is not): ``massdriver[ CMD]: error: ...``, exit 2
    assert status == 2, (argv, status)
    assert out == "" and err.endswith("\n") and err.count("\n") == 1, repr(err)
    assert err.startswith("massdriver") and ": error: " in err, err


#: valid values of the shoot grammar (option -> strategy of its text)
SHOOT_VALID = {
    "--lat": st.floats(-90.0, 90.0), "--lon": st.floats(-360.0, 360.0),
    "--azimuth": st.floats(0.0, 360.0), "--elevation": st.floats(0.0, 90.0),
    "--height": st.floats(-10.0, 12.0), "--speed": st.floats(0.01, 20.0),
    "--days": st.floats(0.01, 60.0),
    "--rtol": st.floats(-13.0, -6.0).map(lambda e: min(1e-6, max(1e-13, 10.0**e))),
}
SHOOT_CHOICES = {"--model": ("ephemeris", "cr3bp"), "--frame": ("PA", "ME")}


@st.composite
def shoot_command_line(draw):
    """A ``shoot`` command line from its grammar (the site, --speed and --epoch required, the
    rest optional) with at most one fault: ``("none", argv)``
    (complete and valid: reaches the solver), ``("value", argv, option)`` (one option out of
    its range or not a number) or ``("parse", argv)`` (unknown option, missing or extra
    argument, bad choice: argparse's error)."""
    fault = draw(st.sampled_from(["none", "value", "parse"]))
    opts = {k: repr(draw(v)) for k, v in SHOOT_VALID.items()
            if k in ("--lat", "--lon", "--speed") or draw(st.booleans())}
    opts["--epoch"] = draw(st.datetimes(datetime(1901, 1, 1), datetime(2049, 12, 31))).strftime(
        "%Y-%m-%dT%H:%M:%S")
    for k, choices in SHOOT_CHOICES.items():
        if draw(st.booleans()):
            opts[k] = draw(st.sampled_from(choices))
    bad = None
    if fault == "value":
        bad, value = draw(bad_shoot_option())
        opts[bad] = value
    site = bad not in ("--lat", "--lon") and draw(st.booleans())
    words = []
    if site:
        words.append(["--site", f"{opts.pop('--lat')} {opts.pop('--lon')}"])
    for k, v in opts.items():
        words.append([f"{k}={v}"] if draw(st.booleans()) or v.startswith("-") else [k, v])
    if draw(st.booleans()):
        words.append(["--json"])
    words = draw(st.permutations(words))
    if fault == "parse":
        how = draw(st.sampled_from(["unknown", "missing value", "drop required", "extra",
                                    "bad choice"]))
        if how == "unknown":
            words.insert(draw(st.integers(0, len(words))),
                         [draw(st.sampled_from(["--sped", "--epochs", "--latitude", "-x"]))])
        elif how == "missing value":
            words.append([draw(st.sampled_from(["--speed", "--days", "--lat", "--epoch"]))])
        elif how == "drop required":
            key = draw(st.sampled_from(["--speed", "--epoch"]))
            words = [w for w in words if not w[0].startswith(key)]
        elif how == "extra":
            words.append(["2.5"])
        else:
            option = draw(st.sampled_from(sorted(SHOOT_CHOICES)))
            words.append([f"{option}={draw(st.sampled_from(['', 'pa', 'CR3BP', 'none']))}"])
    argv = ["shoot"] + [w for word in words for w in word]
    return (fault, argv, bad) if fault == "value" else (fault, argv)


#: outcomes of test_shoot_command_line_grammar, by fault (the mix is checked after it)
_GRAMMAR_SEEN: dict[str, int] = {}


@CLI
@given(case=shoot_command_line())
def _shoot_grammar_case(no_solve, capsys, case):
    fault, argv = case[0], case[1]
    status, out, err = _run(capsys, argv)
    if fault == "none":
        assert status == "reached", (argv, status, err)
    elif fault == "value":
        assert_one_line_error(status, out, err, "shoot", case[2])
    else:       # argparse names the subcommand, or not for an unrecognized argument
        assert status == 2 and out == "", (argv, status)
        assert err.endswith("\n") and err.count("\n") == 1, repr(err)
        assert err.startswith(("massdriver shoot: error: ", "massdriver: error: ")), err
    _GRAMMAR_SEEN[fault] = _GRAMMAR_SEEN.get(fault, 0) + 1


def test_shoot_command_line_grammar(no_solve, capsys):
    """Command lines drawn from ``shoot``'s grammar (every option, both spellings, any order,
    the --site form) get past the parser when valid and reach the solver; one value fault
    gives the one-line error naming that option; one parse fault gives argparse's one-line
    error. Each of the three occurs in every run (80 examples, about 27 each)."""
    _GRAMMAR_SEEN.clear()
    _shoot_grammar_case(no_solve, capsys)
    assert set(_GRAMMAR_SEEN) == {"none", "value", "parse"}, _GRAMMAR_SEEN
    assert min(_GRAMMAR_SEEN.values()) >= 5, _GRAMMAR_SEEN


# --------------------------------------------------------------------------------------------
# files: never overwritten without --force, confined to --out, nothing for a bad input
# --------------------------------------------------------------------------------------------
def _tiny_plan():
    """A real :class:`Plan` (one unsolved grid epoch, no window) built without a solve."""
    import numpy as np

    import massdriver
    from massdriver.windows import Plan, ScanResult

    nan = np.array([np.nan])
    scan = ScanResult(
        t_launch_tdb=np.array([851_000_000.0]), branch=np.array(["prograde"], dtype=object),
        speed_km_s=nan, t_perigee_tdb=nan,
        solve_status=np.array(["no_root_in_speed_range"], dtype=object),
        perigee_state=np.full((1, 6), np.nan), total_km_s=nan, insertion_km_s=nan,
        plane_change_km_s=nan, circularization_km_s=nan,
        strategy=np.array([""], dtype=object), inclination_deg=nan, raan_deg=nan,
        nfev=np.array([12]))
    return Plan(windows=(), scan=scan, mission=None, inputs={"threshold_km_s": 3.1},
                version=massdriver.__version__, message="no window: test plan")


@pytest.fixture
def fake_solve(monkeypatch):
    import massdriver.cli.solve as cli_solve

    monkeypatch.setattr(cli_solve, "solve_loaded", lambda mission, quiet: _tiny_plan())


def test_outputs_confined_to_out_and_resolve_of_own_copy(fake_solve, tmp_path, capsys):
    """Every file lands in --out; ``solve DIR/mission.toml --out DIR --force`` (re-solving the
    copy a solve wrote) works (it was a shutil.SameFileError traceback)."""
    before = set(tmp_path.rglob("*"))
    out = tmp_path / "run"
    status, stdout, err = _run(capsys, ["solve", str(MISSION_EXAMPLE), "--out", str(out),
                                        "--quiet", "--no-report"])
    assert status == 0, err
    created = set(tmp_path.rglob("*")) - before
    assert all(p == out or out in p.parents for p in created)
    assert {p.name for p in out.iterdir()} == {"plan.json", "windows.ecsv", "scan.ecsv",
                                               "mission.toml", "manifest.json"}
    assert (out / "mission.toml").read_bytes() == MISSION_EXAMPLE.read_bytes()
    scan_text = (out / "scan.ecsv").read_text()
    assert "nan" not in scan_text.lower()                     # the unsolved row is masked
    status, stdout, err = _run(capsys, ["solve", str(out / "mission.toml"), "--out", str(out),
                                        "--quiet", "--no-report", "--force"])
    assert status == 0, err
    assert (out / "mission.toml").read_bytes() == MISSION_EXAMPLE.read_bytes()


@pytest.mark.parametrize("existing", ["plan.json", "scan.ecsv", "mission.toml", "report.html",
                                      "window_chart.png"])
def test_existing_outputs_are_never_overwritten(fake_solve, tmp_path, capsys, existing):
    out = tmp_path / "run"
    out.mkdir()
    (out / existing).write_text("mine\n")
    status, stdout, err = _run(capsys, ["solve", str(MISSION_EXAMPLE), "--out", str(out),
                                        "--quiet"])
    assert_one_line_error(status, stdout, err, "solve", "--force")
    assert existing in err
    assert [p.name for p in out.iterdir()] == [existing]
    assert (out / existing).read_text() == "mine\n"


def test_out_that_is_a_file_or_under_a_file(no_solve, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("mine\n")
    for out in (blocker, blocker / "sub"):
        status, stdout, err = _run(capsys, ["solve", str(MISSION_EXAMPLE), "--out", str(out)])
        assert_one_line_error(status, stdout, err, "solve", str(blocker))
    assert blocker.read_text() == "mine\n"


def test_plot_and_write_targets_are_protected(no_solve, tmp_path, capsys):
    png = tmp_path / "shot.png"
    png.write_text("mine\n")
    toml = tmp_path / "gun.toml"
    toml.write_text("mine\n")
    status, out, err = _run(capsys, ["shoot", "--site", "0 -55", "--speed", "2.5", "--epoch",
                                     "2027-01-01T00:00", "--plot", str(png)])
    assert_one_line_error(status, out, err, "shoot", "--force")
    status, out, err = _run(capsys, ["coilgun", str(COILGUN_EXAMPLE), "--plot", str(png)])
    assert_one_line_error(status, out, err, "coilgun", "--force")
    status, out, err = _run(capsys, ["coilgun", "design", "--mass", "10", "--speed", "0.1",
                                     "--max-g", "1000", "--write", str(toml)])
    assert_one_line_error(status, out, err, "coilgun", "--force")
    assert png.read_text() == "mine\n" and toml.read_text() == "mine\n"


def test_output_names_cannot_leave_the_directory(tmp_path):
    from massdriver.cli._common import prepare_output_dir
    from massdriver.errors import InputError

    for name in ("../plan.json", "/etc/passwd", "a/b", "..", ""):
        with pytest.raises(InputError, match="leave the output directory"):
            prepare_output_dir(tmp_path / "out", [name], force=True)
    assert not (tmp_path / "out").exists()


def test_report_of_a_missing_or_foreign_directory(tmp_path, capsys):
    status, out, err = _run(capsys, ["report", str(tmp_path / "nothing")])
    assert_one_line_error(status, out, err, "report", "not a directory")
    (tmp_path / "plan.json").write_text("{not json")
    (tmp_path / "scan.ecsv").write_text("x\n1\n")
    status, out, err = _run(capsys, ["report", str(tmp_path)])
    assert_one_line_error(status, out, err, "report", "plan.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json", "scan.ecsv"]


def test_debug_shows_the_traceback_instead(no_solve, tmp_path):
    from massdriver.errors import ConfigError

    bad = tmp_path / "bad.toml"
    bad.write_text("[site]\nlat = 95\nlon = 0\nazimuth = 90\n")
    with pytest.raises(ConfigError, match="site.lat"):
        main(["--debug", "solve", str(bad), "--out", str(tmp_path / "o")])


def test_interrupt_is_not_a_traceback(monkeypatch, capsys):
    import massdriver.windows as windows

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(windows, "solve", interrupted)
    status, out, err = _run(capsys, ["windows", str(MISSION_EXAMPLE), "--quiet"])
    assert status == 130 and err == "massdriver: interrupted\n"


def test_no_nan_accepted_anywhere_on_the_command_line(no_solve, capsys):
    """Every numeric option of every subcommand refuses NaN (one line each)."""
    cases = [(["windows", str(MISSION_EXAMPLE), "--days", "nan"], "days"),
             (["coilgun", str(COILGUN_EXAMPLE), "--speed", "nan"], "speed"),
             (["coilgun", "design", "--mass", "nan", "--speed", "1", "--max-g", "100"], "mass")]
    cases += [(["shoot", *[f"{k}={'nan' if k == opt else v}" for k, v in SHOOT_BASE.items()]],
               opt.lstrip("-")) for opt in SHOOT_RANGES]
    for argv, option in cases:
        status, out, err = _run(capsys, argv)
        # the line names the refused option
        assert_one_line_error(status, out, err, argv[0], option)
