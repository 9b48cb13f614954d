"""Config primitives: every error names the key, the value and what is allowed."""

from __future__ import annotations

from pathlib import Path

import astropy.units as u
import pytest

from massdriver.config import Table, parse_epoch, parse_quantity, read_toml
from massdriver.errors import ConfigError


def test_quantity_with_and_without_units():
    t = Table({"a": 2.5, "b": "2500 m/s", "c": "9000 km/h"}, "launcher")
    assert t.quantity("a", "km/s") == 2.5 * u.km / u.s
    assert t.quantity("b", "km/s").to_value(u.km / u.s) == pytest.approx(2.5, rel=1e-15)
    assert t.quantity("c", "km/s").to_value(u.km / u.s) == pytest.approx(2.5, rel=1e-15)


@pytest.mark.parametrize(
    ("data", "call", "fragments"),
    [
        ({"v": "2 kg"}, lambda t: t.quantity("v", "km/s"), ["launcher.v", "'2 kg'", "km / s"]),
        ({"v": 4.0}, lambda t: t.quantity("v", "km/s", maximum=3.0), ["launcher.v", "4.0", "<= 3"]),
        ({"v": -1}, lambda t: t.quantity("v", "km/s", minimum=0, exclusive_minimum=True),
         ["launcher.v", "-1", "> 0"]),
        ({"v": "nan km/s"}, lambda t: t.quantity("v", "km/s"), ["launcher.v", "finite"]),
        ({"v": True}, lambda t: t.number("v"), ["launcher.v", "True", "number"]),
        ({"n": 2.5}, lambda t: t.integer("n"), ["launcher.n", "2.5", "integer"]),
        ({"k": "x"}, lambda t: t.string("k", choices=("a", "b")), ["launcher.k", "'x'", "a, b"]),
        ({}, lambda t: t.number("m"), ["launcher.m", "missing"]),
        ({"e": "yesterday"}, lambda t: t.time("e"), ["launcher.e", "yesterday", "ISO 8601"]),
        ({"s": [1, 2]}, lambda t: t.table("s"), ["launcher.s", "table"]),
    ],
)
def test_errors_name_key_value_and_allowed(data, call, fragments):
    with pytest.raises(ConfigError) as exc:
        call(Table(data, "launcher"))
    message = str(exc.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message


def test_unknown_key_suggests_close_match():
    t = Table({"speed": 1.0, "sped_max": 2.0}, "launcher")
    t.quantity("speed", "km/s")
    t.quantity("speed_max", "km/s", default=3.0)
    with pytest.raises(ConfigError,
                       match=r"launcher.sped_max: unknown key; did you mean 'speed_max'"):
        t.finish()


def test_epoch_scales():
    assert parse_epoch("2027-03-01T00:00").scale == "utc"
    tdb = parse_epoch("2027-03-01 00:00:00 TDB")
    assert tdb.scale == "tdb"
    # TDB - UTC in 2027 is 32.184 s + 37 s leap seconds (+/- 2 ms periodic terms)
    diff = (tdb.utc - parse_epoch("2027-03-01T00:00")).to_value(u.s)
    assert diff == pytest.approx(-69.184, abs=0.002)


def test_read_toml_errors(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        read_toml(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("a = = 1\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        read_toml(bad)
    good = tmp_path / "good.toml"
    good.write_text('[site]\nlat = "3.0 deg"\n')
    root = read_toml(good)
    assert root.table("site").quantity("lat", "deg") == 3 * u.deg


def test_parse_quantity_dimensionless_string_takes_default_unit():
    assert parse_quantity("2.5", "km/s") == 2.5 * u.km / u.s


def test_config_package_is_imported_by_no_model_module():
    """``massdriver.config`` imports the models; no model module imports it back (issue 15
    B.1): checked on every import statement, function-level ones included."""
    import ast

    root = Path(__file__).resolve().parents[1]
    offenders = []
    for path in sorted((root / "massdriver").rglob("*.py")):
        rel = path.relative_to(root / "massdriver").parts
        if rel[0] in ("config", "cli", "export"):   # export reads a run's mission.toml, as cli
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:          # relative: resolve against massdriver/
                    base = "massdriver." + base if base else "massdriver"
                names = [base] + [f"{base}.{a.name}" for a in node.names]
            else:
                continue
            if any(n == "massdriver.config" or n.startswith("massdriver.config.")
                   for n in names):
                offenders.append(f"{'/'.join(rel)}:{node.lineno}")
    assert offenders == []


# --------------------------------------------------------------------------------------------
# issue 15 A.5: the mission file says what it means, and one value for each limit
# --------------------------------------------------------------------------------------------
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "leo_from_procellarum.toml"


def _mission(tmp_path, text: str):
    from massdriver.config import load_mission

    path = tmp_path / "m.toml"
    path.write_text(text)
    return load_mission(path)


@pytest.mark.parametrize(("old", "new", "message"), [
    ("inclination =", "inclinaton =", "target.inclination is missing: it is required in "
                                      "[target]; did you mean 'inclination' instead of "
                                      "'inclinaton'?"),
    ("[search]", "[serch]", "search is missing: it is required in the top level; did you "
                            "mean 'search' instead of 'serch'?"),
    ("lat =", "latt =", "site.lat is missing: it is required in [site]; did you mean 'lat' "
                        "instead of 'latt'?"),
])
def test_misspelt_required_key_gets_did_you_mean(tmp_path, old, new, message):
    text = EXAMPLE.read_text()
    assert old in text
    with pytest.raises(ConfigError) as info:
        _mission(tmp_path, text.replace(old, new, 1))
    assert str(info.value) == message


def test_search_model_cr3bp_is_refused_not_ignored(tmp_path):
    """The window solver has the ephemeris model only: model = "cr3bp" is one clear error."""
    text = EXAMPLE.read_text().replace("[search]", '[search]\nmodel = "cr3bp"', 1)
    with pytest.raises(ConfigError) as info:
        _mission(tmp_path, text)
    message = str(info.value)
    assert message.startswith("search.model = 'cr3bp': must be 'ephemeris'")
    assert "shoot --model cr3bp" in message and "\n" not in message
    text = EXAMPLE.read_text().replace("[search]", '[search]\nmodel = "ephemeris"', 1)
    assert _mission(tmp_path, text).search.model == "ephemeris"


def test_site_height_has_one_range_in_code_cli_and_docs(tmp_path, capsys):
    """LaunchSite, the mission file, ``shoot --height`` and docs/config.md share one range:
    the Moon's surface spans -9.1 .. +10.8 km about the 1737.4 km sphere (LOLA)."""
    from massdriver.cli import main
    from massdriver.errors import InputError
    from massdriver.site import HEIGHT_RANGE_KM, LaunchSite

    assert HEIGHT_RANGE_KM == (-10.0, 12.0)
    for km in (11.0, -9.5):
        assert LaunchSite(lat=0 * u.deg, lon=0 * u.deg, height=km * u.km).height == km * u.km
    with pytest.raises(InputError, match="LaunchSite.height"):
        LaunchSite(lat=0 * u.deg, lon=0 * u.deg, height=15 * u.km)
    text = EXAMPLE.read_text().replace("[site]", "[site]\nheight = \"15 km\"", 1)
    with pytest.raises(ConfigError, match=r"^site\.height = '15 km': must be >= -10 km and "
                                          r"<= 12 km$"):
        _mission(tmp_path, text)
    status = main(["shoot", "--site", "0 -55", "--speed", "2.5", "--epoch", "2027-01-01",
                   "--height", "15"])
    assert status == 2 and "--height" in capsys.readouterr().err
    reference = (Path(__file__).resolve().parents[1] / "docs" / "config.md").read_text()
    assert "| `height` | quantity [km] | 0 km | >= -10 km, <= 12 km |" in reference


def test_ephemeris_end_is_one_value_read_from_the_files(tmp_path):
    """``solve`` and ``shoot`` accept the same epochs: the coverage of the loaded DE421 and lunar
    PA kernel (1900-01-01 .. 2051-01-01 TDB), not a hard-coded 2050."""
    from massdriver.cli.shoot import parse_epoch_text
    from massdriver.ephemeris import Ephemeris
    from massdriver.errors import InputError

    cover = Ephemeris().coverage
    assert (cover.start.tdb.isot, cover.stop.tdb.isot) == ("1900-01-01T00:00:00.000",
                                                           "2051-01-01T00:00:00.000")
    text = EXAMPLE.read_text()
    start = text[text.index("start ="):].split("\n", 1)[0]
    late = _mission(tmp_path, text.replace(start, 'start = "2050-06-01T00:00"'))
    assert late.search.start.isot.startswith("2050-06-01")
    assert parse_epoch_text("2050-06-01").isot.startswith("2050-06-01")
    with pytest.raises(ConfigError, match=r"^search\.span = .*after the end of the ephemeris "
                                          r"\(2051-01-01T00:00 TDB\)"):
        _mission(tmp_path, text.replace(start, 'start = "2050-12-20T00:00"'))
    with pytest.raises(ConfigError, match=r"^search\.start = .*outside the ephemeris"):
        _mission(tmp_path, text.replace(start, 'start = "2051-01-02T00:00"'))
    with pytest.raises(InputError, match="outside the ephemeris"):
        parse_epoch_text("2051-01-02")
