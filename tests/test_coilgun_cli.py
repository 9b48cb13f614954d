"""The ``massdriver coilgun`` command and the coilgun TOML schema."""

from __future__ import annotations

import json
from pathlib import Path

import astropy.units as u
import pytest

from massdriver.cli import main
from massdriver.coilgun import simulate
from massdriver.config import Table, coilgun_from_config, read_toml
from massdriver.errors import ConfigError

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
REQUIRED_KEYS = {"exit_speed_m_s", "peak_acceleration_g", "mean_acceleration_g", "track_length_m",
                 "efficiency", "energy_drawn_j", "kinetic_energy_j", "resistive_loss_j",
                 "stages", "time_on_track_s"}


def _json(capsys):
    return json.loads(capsys.readouterr().out)


def test_simulate_lab_example_json(capsys, tmp_path):
    png = tmp_path / "lab.png"
    assert main(["coilgun", str(EXAMPLES / "coilgun_lab.toml"), "--json", "--plot",
                 str(png)]) == 0
    out = _json(capsys)
    assert REQUIRED_KEYS <= out.keys()
    assert out["stages"] == 6
    assert out["status"] == "muzzle"
    assert abs(out["energy_balance_error"]) < 1e-6
    assert png.stat().st_size > 10_000
    # the plot is never overwritten without --force
    assert main(["coilgun", str(EXAMPLES / "coilgun_lab.toml"), "--plot", str(png)]) == 2
    assert "--force" in capsys.readouterr().err


def test_lunar_example_reaches_2500_m_s(capsys):
    assert main(["coilgun", str(EXAMPLES / "coilgun_lunar_1000kg.toml"), "--json"]) == 0
    out = _json(capsys)
    assert out["payload_mass_kg"] == 1000.0
    assert out["exit_speed_m_s"] == pytest.approx(2500.0, rel=1e-3)
    assert out["peak_acceleration_g"] <= 1000.0
    assert out["stages"] > 1000


def test_design_subcommand_json_and_write(capsys, tmp_path):
    dest = tmp_path / "designed.toml"
    assert main(["coilgun", "design", "--mass", "10", "--speed", "1.0", "--max-g", "3000",
                 "--json", "--write", str(dest), "--shots-per-year", "1e5"]) == 0
    out = _json(capsys)
    assert REQUIRED_KEYS <= out.keys()
    assert out["exit_speed_m_s"] == pytest.approx(1000.0, rel=1e-3)
    assert out["peak_acceleration_g"] <= 3000.0
    # 1e5 shots in a Julian year (365.25 d), each drawing at least the kinetic energy of the
    # 10 kg payload and its 2.5 kg carrier (design's default: 25 % of the payload) at 1 km/s
    assert out["shots_per_year"] == 1e5
    assert out["average_power_w"] == pytest.approx(out["energy_per_shot_j"] * 1e5 / 31_557_600.0,
                                                   rel=1e-12)
    assert out["energy_per_shot_j"] >= 0.5 * 12.5 * out["exit_speed_m_s"] ** 2
    # the written launcher reads back and reproduces the shot
    gun = coilgun_from_config(read_toml(dest))
    shot = simulate(gun)
    assert shot.exit_speed.to_value(u.m / u.s) == pytest.approx(out["exit_speed_m_s"], rel=1e-6)


def test_charge_for_speed_flag(capsys):
    assert main(["coilgun", str(EXAMPLES / "coilgun_lunar_1000kg.toml"), "--speed", "2.3",
                 "--json"]) == 0
    out = _json(capsys)
    assert out["exit_speed_m_s"] == pytest.approx(2300.0, rel=1e-4)
    assert out["charge_scale"] < 1.0


@pytest.mark.parametrize("argv,message", [
    (["coilgun", "design", "--mass", "10"], "design needs --speed, --max-g"),
    (["coilgun", "design", "--mass", "-1", "--speed", "1", "--max-g", "10"], "--mass"),
    (["coilgun", "missing.toml"], "does not exist"),
    (["coilgun", "examples/coilgun_lab.toml", "--max-g", "10"], "design option"),
    (["coilgun", "design", "--mass", "10", "--speed", "1", "--max-g", "3000",
      "--payload-mass", "3"], "--payload-mass"),
])
def test_clean_errors(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("massdriver coilgun: error:")
    assert message in err
    assert err.count("\n") == 1


def _lab_data():
    import tomllib

    return tomllib.loads((EXAMPLES / "coilgun_lab.toml").read_text())


@pytest.mark.parametrize("path,value,message", [
    (("sections", 0, "stages"), 0, "sections[0].stages = 0: must be >= 1"),
    (("sections", 0, "coil", "turns"), -3, "sections[0].coil.turns = -3: must be > 0"),
    (("sections", 0, "voltage"), [400, 400], "sections[0].voltage: 2 values given, expected 6"),
    (("sections", 0, "capacitance"), [1e-3, 1e-3, -1, 1e-3, 1e-3, 1e-3],
     "sections[0].capacitance[2] = -1: must be > 0 F"),
    (("armature", "kind"), "ferrite", "armature.kind = 'ferrite': must be one of"),
    (("switch",), "spark", "switch = 'spark': must be one of scr, crowbar, ring"),
    (("sections", 0, "pitch"), "4 kg", "sections[0].pitch = '4 kg': unit 'kg' is not allowed"),
    (("armature", "colour"), "red", "armature.colour: unknown key"),
])
def test_config_errors_name_key_value_and_range(path, value, message):
    data = _lab_data()
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(ConfigError) as exc:
        coilgun_from_config(Table(data, ""))
    assert message in str(exc.value)
    assert "\n" not in str(exc.value)


def test_per_stage_lists_and_coilgun_subtable():
    data = _lab_data()
    data["sections"][0]["voltage"] = [300, 350, 400, 400, "0.4 kV", 400]
    gun = coilgun_from_config(Table({"coilgun": data}, ""))
    assert gun.voltage.to_value(u.V).tolist() == [300, 350, 400, 400, 400, 400]
    assert gun.n_stages == 6
    assert gun.track_length > 0 * u.m


def test_design_chooses_the_bank_voltage(capsys):
    """Issue 15 A.2: the guide's command designs the launcher without --max-voltage."""
    assert main(["coilgun", "design", "--mass", "1000", "--speed", "2.5", "--max-g", "1000",
                 "--json"]) == 0
    out = _json(capsys)
    assert out["voltage_chosen"] is True
    assert out["rated_voltage_v"] in (10e3, 20e3, 30e3, 40e3, 50e3)
    assert out["max_charge_voltage_v"] <= out["rated_voltage_v"]
    assert out["exit_speed_m_s"] == pytest.approx(2500.0, rel=1e-3)
    assert out["peak_acceleration_g"] <= 1000.0
    # the rating is the lowest that works: the next lower one fails, naming the flag in kV
    lower = out["rated_voltage_v"] / 1e3 - 10
    assert main(["coilgun", "design", "--mass", "1000", "--speed", "2.5", "--max-g", "1000",
                 "--max-voltage", f"{lower:g}"]) == 2
    err = capsys.readouterr().err
    assert f"--max-voltage = {lower:g} kV" in err
    assert " V;" not in err and "000 V" not in err


def test_design_refuses_beyond_the_engineering_voltage_limit(capsys):
    assert main(["coilgun", "design", "--mass", "1000", "--speed", "2.5", "--max-g", "20000"]) == 2
    err = capsys.readouterr().err
    assert "no bank voltage up to the 50 kV engineering limit" in err
    assert "--max-voltage" in err and "--max-g" in err
    assert err.count("\n") == 1


def test_design_induction_armature(capsys):
    """Issue 15 A.2: an induction (sleeve) launcher is designed for reasonable inputs."""
    assert main(["coilgun", "design", "--mass", "10", "--speed", "1", "--max-g", "3000",
                 "--armature", "induction", "--max-voltage", "20", "--json"]) == 0
    out = _json(capsys)
    assert out["armature_kind"] == "induction"
    assert out["exit_speed_m_s"] == pytest.approx(1000.0, rel=1e-3)
    assert out["peak_acceleration_g"] <= 3000.0
    assert out["max_charge_voltage_v"] <= 20e3
    assert out["armature_loss_j"] > 0
    assert abs(out["energy_balance_error"]) < 1e-6
