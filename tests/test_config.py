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
        if rel[0] in ("config", "cli"):
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
