"""Throughput planner joined to the satellite model (issue 17) and the coilgun models (issue 18),
split by launcher and time blocks, on a Dask cluster and resumed (issue 20, items 1 and 3).

The synthetic window tables and the plain-Python replay of tests/test_throughput.py are reused:
the expected numbers come from arithmetic on the plan (rocket equation, the lumped coil's
fixed point) or from the issue-18 shot simulated here, not from the scheduler.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
from test_throughput import (  # tests/ is on sys.path (pytest rootdir-less import)
    EXAMPLE_TEXT,
    G0,
    SPEED,
    launcher,
    make_plan,
    replay,
    shell,
    synthetic,
)

from massdriver import throughput as tp
from massdriver.campaign import ShotEnergy
from massdriver.cli import main
from massdriver.errors import ConfigError
from massdriver.satellite import Engine, Satellite

LAB = Path(__file__).resolve().parents[1] / "examples" / "coilgun_lab.toml"
#: copper density (kg/m^3) and specific heat (J/(kg K)), CRC Handbook, 20 C: written out here
RHO_CU, C_CU = 8960.0, 385.0


# ------------------------------------------------------------------------------------------------
# the satellite model (issue 17)
# ------------------------------------------------------------------------------------------------
def test_satellite_model_prices_propellant_with_its_capture_engine():
    sat = Satellite(1000 * u.kg, engines=(
        Engine(0.4 * u.N, 3000 * u.s, kind="electric", name="hall"),   # cannot capture
        Engine(100 * u.N, 450 * u.s, name="small"),
        Engine(2000 * u.N, 310 * u.s, name="main")))                  # largest chemical
    spec = tp.SatelliteSpec.from_satellite(sat)
    assert spec.mass.to_value(u.kg) == 1000 and spec.isp.to_value(u.s) == 310
    plan = make_plan([launcher()], [shell()], horizon=5 * u.day)
    plan = tp.ThroughputPlan(plan.launchers, plan.shells, spec, plan.start,
                             horizon=plan.horizon, step=plan.step, threshold=plan.threshold)
    r = tp.schedule(plan, synthetic(plan), verdict=False)
    dv = r.schedule.delta_v_km_s * 1e3
    np.testing.assert_allclose(r.schedule.propellant_kg, 1000 * (1 - np.exp(-dv / (G0 * 310))),
                               rtol=1e-12)
    d = r.to_dict()["inputs"]["satellite"]
    assert d["isp_s"] == 310 and d["model"]["engines"][2]["name"] == "main"
    assert "main" in d["isp_from"]


# ------------------------------------------------------------------------------------------------
# the coilgun's energy and heating (issue 18)
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def lab():
    from massdriver.coilgun import charge_for_speed
    from massdriver.config import coilgun_from_config, read_toml

    gun = coilgun_from_config(read_toml(LAB))
    speed = 35 * u.m / u.s
    energy, thermal, power = tp.coilgun_model(gun, speed)
    ref = charge_for_speed(gun, None, speed).shot
    return gun, energy, thermal, power, ref


def test_coilgun_energy_and_heating_match_the_simulated_shot(lab):
    gun, energy, thermal, power, ref = lab
    assert power is None                               # the lab file sets no charging_power
    e = ref.energy["grid_j"]
    assert energy.reference_energy.to_value(u.J) == pytest.approx(e, rel=1e-12)
    assert energy.reference_speed.to_value(u.m / u.s) == pytest.approx(35.0, rel=1e-4)
    h = ref.thermal
    # the lumped coil fires, sustained, at exactly the coilgun's own sustainable rate
    spacing = thermal.sustained_spacing(e * u.J).to_value(u.s)
    assert spacing == pytest.approx(1.0 / h["thermal_rate_hz"], rel=1e-9)
    # its heat capacity is the copper of one drive coil (winding annulus x fill factor), its
    # allowed rise T_max - T_ambient of the file's [thermal] (defaults 403 K, 300 K)
    coil = gun.coils[0]
    ri, ro = coil.inner_radius.to_value(u.m), coil.outer_radius.to_value(u.m)
    m_cu = RHO_CU * coil.fill_factor * math.pi * (ro ** 2 - ri ** 2) * coil.length.to_value(u.m)
    assert thermal.heat_capacity.to_value(u.J / u.K) == pytest.approx(m_cu * C_CU, rel=1e-9)
    assert thermal.max_rise.to_value(u.K) == pytest.approx(103.0)
    assert 0 < thermal.heat_fraction < 1


def test_scheduled_shots_respect_the_coilgun_heating(lab):
    """A launcher whose shot energy and heating come from the simulated lab shot (its energy
    taken as that of every shot of the synthetic tables) settles at the coilgun's rate."""
    _gun, energy, thermal, _power, ref = lab
    e = energy.reference_energy
    la = tp.ThroughputLauncher("lab", launcher().site, launcher().spec, power=1 * u.MW,
                               energy=ShotEnergy(e, SPEED * u.km / u.s), thermal=thermal)
    plan = make_plan([la], [shell()], horizon=1 * u.day)
    r = tp.schedule(plan, synthetic(plan, period_days=0.5), verdict=False)
    (t, en, _banks, temps), = replay(r)
    k = thermal.heat_fraction / thermal.heat_capacity.to_value(u.J / u.K)
    assert np.all(temps + k * en <= thermal.max_rise.to_value(u.K) * (1 + 1e-9))
    dt = np.diff(t)
    steady = np.median(dt[dt < 600])
    assert steady == pytest.approx(1.0 / ref.thermal["thermal_rate_hz"], rel=1e-3)
    assert r.to_dict()["binding_constraint_fraction"]["lab"]["heating"] > 0.4


def _plan_text(launcher_extra: str, satellite: str = 'mass = "10 g"\nisp = "320 s"') -> str:
    text = EXAMPLE_TEXT.replace('mass = "1000 kg"\nisp = "320 s"', satellite)
    return text.replace('power = "200 MW"\nefficiency = 0.5', launcher_extra)


def test_config_coilgun_file_and_satellite_model(tmp_path, lab):
    from massdriver.config.throughput import load_throughput

    _gun, energy, _thermal, _power, _ref = lab
    gun_path = tmp_path / "gun.toml"
    gun_path.write_text(LAB.read_text())
    sat = ('wet_mass = "10 g"\n[[satellite.engines]]\nthrust = "5 N"\nisp = "290 s"\n'
           'name = "kick"')
    # energy from the coilgun file, priced at coilgun_speed (the lab gun's range); a hand-typed
    # thermal wins over the coilgun's (whose heating scaled to 2.8 km/s would melt the coils)
    path = tmp_path / "plan.toml"
    path.write_text(_plan_text(
        'power = "1 kW"\ncoilgun = "gun.toml"\ncoilgun_speed = "35 m/s"\n'
        'thermal = { heat_fraction = 0.01, heat_capacity = "1e9 J/K", cooling_time = "100 s", '
        'max_rise = "100 K" }', sat))
    plan = load_throughput(path)
    la = plan.launchers[0]
    assert la.energy.reference_energy.to_value(u.J) == pytest.approx(
        energy.reference_energy.to_value(u.J), rel=1e-12)
    assert la.thermal.heat_capacity.to_value(u.J / u.K) == 1e9
    assert plan.satellite.isp.to_value(u.s) == 290
    assert plan.satellite.model.engines[0].name == "kick"
    # without the hand-typed thermal: the coilgun's heating, which one shot at speed_max
    # exceeds: one clear line, exit 2
    path.write_text(_plan_text('power = "1 kW"\ncoilgun = "gun.toml"\ncoilgun_speed = "35 m/s"',
                               sat))
    with pytest.raises(ConfigError, match="max_rise"):
        load_throughput(path)


@pytest.mark.parametrize("extra, sat, match", [
    ('power = "1 MW"\ncoilgun = "nope.toml"', None, "does not exist"),
    ('efficiency = 0.5', None, "power"),
    ('power = "1 MW"\nefficiency = 0.5\ncoilgun_speed = "2 km/s"', None, "coilgun_speed"),
    ('power = "1 MW"\nefficiency = 0.5\nenergy_per_shot = "1 GJ"', None, "not both"),
    ('power = "1 MW"\nefficiency = 0.5', 'mass = "10 g"\nwet_mass = "10 g"', "not both"),
    ('power = "1 MW"\nefficiency = 0.5', 'wet_mass = "10 g"', "engines"),
])
def test_config_join_errors_one_line(tmp_path, capsys, extra, sat, match):
    from massdriver.config.throughput import load_throughput

    path = tmp_path / "plan.toml"
    path.write_text(_plan_text(extra, sat or 'mass = "10 g"\nisp = "320 s"'))
    with pytest.raises(ConfigError, match=match):
        load_throughput(path)
    code = main(["throughput", str(path), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1


# ------------------------------------------------------------------------------------------------
# split by launcher and time blocks; Dask; resume
# ------------------------------------------------------------------------------------------------
def _three_launchers():
    thermal = tp.CoilThermal(0.05, 5e7 * u.J / u.K, 1000 * u.s, 100 * u.K)
    return [launcher(thermal=thermal), launcher(power=90 * u.MW, rate=100 / u.h, name="B"),
            launcher(power=300 * u.MW, bank=60 * u.GJ, name="C")]


def _shifted(plan):
    """Synthetic tables whose windows differ between launchers A and B (C has A's: ties)."""
    t = synthetic(plan)
    total = t.total_km_s.copy()
    for li in range(total.shape[0]):
        total[li] = np.roll(total[li], 7 * (li % 2), axis=-1)   # A, C alike: ties
    return tp.WindowTables(t.grid, total, t.speed_km_s, t.tof_s)


def _same(a: tp.ThroughputResult, b: tp.ThroughputResult) -> None:
    for f in ("epoch_tdb", "launcher", "shell", "plane", "branch", "speed_km_s", "tof_s",
              "delta_v_km_s", "energy_j", "propellant_kg"):
        assert getattr(a.schedule, f).tobytes() == getattr(b.schedule, f).tobytes(), f
    for f in ("change_t", "change_launcher", "change_code"):
        assert getattr(a, f).tobytes() == getattr(b, f).tobytes(), f
    assert [v.to_dict() for v in a.verdicts] == [v.to_dict() for v in b.verdicts]


def test_split_by_launcher_is_the_joint_run_record_for_record():
    """"As much as possible" shells: each launcher is scheduled on its own and the pieces
    merged; the kernel run on all launchers together gives the same records."""
    plan = make_plan(_three_launchers(), [shell(), shell(priority=2, name="b")])
    tables = _shifted(plan)
    assert len(tp._units(plan, tables, None)) == 3
    split = tp.schedule(plan, tables, verdict=False, block_days=4.1)
    k = tp._kernel_inputs(plan, tables)
    _state, shots, changes, _n = tp._run_block((k, tp._initial_state(plan), k["t_stop"]))
    assert len(split.schedule) > 10_000 and len(set(shots[1])) == 3
    for mine, joint in zip((split.schedule.epoch_tdb, split.schedule.launcher,
                            split.schedule.shell, split.schedule.speed_km_s,
                            split.schedule.energy_j), (shots[0], shots[1], shots[2], shots[4],
                                                       shots[7]), strict=True):
        assert mine.astype(joint.dtype).tobytes() == joint.tobytes()
    for mine, joint in zip((split.change_t, split.change_launcher, split.change_code),
                           changes, strict=True):
        assert mine.tobytes() == joint.tobytes()
    # a finite demand couples the launchers (shared quotas): one piece
    fixed = make_plan(_three_launchers(), [shell(rate=1e5 * u.t / u.yr), shell(name="b")])
    assert len(tp._units(fixed, tables, None)) == 1


def test_dask_blocks_pieces_and_verdicts_bit_identical(tmp_path):
    """On a Dask cluster (in-process LocalCluster): the main run, the per-shell verdict runs
    and the per-launcher pieces in blocks, bit-identical to the in-process single block."""
    distributed = pytest.importorskip("distributed")
    plan = make_plan(_three_launchers(), [shell(rate=2e5 * u.t / u.yr),
                                          shell(priority=2, name="rest")])
    tables = _shifted(plan)
    local = tp.schedule(plan, tables)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cl, \
            distributed.Client(cl, set_as_default=False) as client:
        remote = tp.schedule(plan, tables, client=client, block_days=6.0,
                             checkpoint=tmp_path / "c")
    assert remote.blocks == 5
    _same(local, remote)
    assert local.verdicts[1].capacity.value > 0
    # main run: one piece (finite demand); verdicts: 2 shells x 3 launchers; 5 blocks each
    assert len(list((tmp_path / "c").glob("block-*.npz"))) == (1 + 2 * 3) * 5


def test_cli_resume_recomputes_nothing_finished(tmp_path, monkeypatch, capsys):
    """An interrupted `massdriver throughput` run resumes (--resume) from the blocks and pricing
    tasks it finished, computing only the rest, and writes what an uninterrupted run writes."""
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "plan.toml"
    path.write_text(EXAMPLE_TEXT)
    full = tmp_path / "full"
    assert main(["throughput", str(path), "--out", str(full), "--no-report", "--quiet",
                 "--block-days", "0.5"]) == 0
    capsys.readouterr()
    real_block, real_price = tp._run_block, tp._price_piece
    calls = {"block": 0, "price": 0}

    def dying_block(job):
        calls["block"] += 1
        if calls["block"] > 5:
            raise KeyboardInterrupt
        return real_block(job)

    monkeypatch.setattr(tp, "_run_block", dying_block)
    out = tmp_path / "run"
    assert main(["throughput", str(path), "--out", str(out), "--no-report", "--quiet",
                 "--block-days", "0.5"]) != 0
    capsys.readouterr()
    kept = out / "throughput.checkpoint"
    assert len(list(kept.glob("block-*.npz"))) == 5
    assert len(list(kept.glob("price-*.npy"))) >= 1
    assert not (out / "schedule.parquet").exists()

    def counted_block(job):
        calls["block"] += 1
        return real_block(job)

    def counted_price(piece):
        calls["price"] += 1
        return real_price(piece)

    calls.update(block=0, price=0)
    monkeypatch.setattr(tp, "_run_block", counted_block)
    monkeypatch.setattr(tp, "_price_piece", counted_price)
    assert main(["throughput", str(path), "--out", str(out), "--no-report", "--quiet",
                 "--block-days", "0.5", "--resume"]) == 0
    capsys.readouterr()
    # 2.5 days in 0.5-day blocks: 5 blocks x (main + 1 verdict run) = 10; 5 were kept
    assert calls == {"block": 5, "price": 0}
    a = pq.read_table(full / "schedule.parquet")
    b = pq.read_table(out / "schedule.parquet")
    assert a.equals(b)
    assert not kept.exists()
    ja = json.loads((full / "throughput.json").read_text())
    jb = json.loads((out / "throughput.json").read_text())
    assert ja["totals"] == jb["totals"] and ja["verdict"] == jb["verdict"]


# ------------------------------------------------------------------------------------------------
# the report's figures show the schedule (issue 20, item 4)
# ------------------------------------------------------------------------------------------------
def test_report_figures_show_the_schedule(tmp_path, monkeypatch):
    pq = pytest.importorskip("pyarrow.parquet")
    from massdriver.cli._common import json_ready
    from massdriver.report import throughput_plots as tpl

    plan = make_plan([launcher(), launcher(power=90 * u.MW, name="B")],
                     [shell(rate=2e5 * u.t / u.yr, name="a"), shell(priority=2, name="b")],
                     horizon=45 * u.day)
    r = tp.schedule(plan, synthetic(plan), verdict=False)
    pq.write_table(r.schedule.to_arrow(plan), tmp_path / "schedule.parquet")
    r.binding_table().write(tmp_path / "binding.ecsv", format="ascii.ecsv")
    (tmp_path / "throughput.json").write_text(json.dumps(json_ready(r.to_dict())))
    figs = {}

    def keep(fig, stem, formats=("png",), **kw):
        figs[Path(stem).name] = fig
        return []

    monkeypatch.setattr(tpl, "save_figure", keep)
    tpl.write_throughput_figures(tmp_path)
    # stacked tonnes per month: each shell's bars are its monthly tonnes (Jan, Feb 2027)
    ax = figs["tonnes_per_month"].axes[0]
    monthly = r.monthly_tonnes()
    assert len(ax.containers) == 2
    for si, bars in enumerate(ax.containers):
        heights = np.array([b.get_height() for b in bars]) * 1e3
        np.testing.assert_allclose(heights, monthly[si][:heights.size], rtol=1e-12)
    assert monthly.sum() == pytest.approx(len(r.schedule))
    # the calendar holds every shot, one cell per day
    cal = figs["firing_calendar"].axes[0].images[0].get_array()
    assert np.nansum(np.asarray(cal, float)) == len(r.schedule)
    # energy of the year and its mean power over the 45 days the horizon covers
    e_ax = figs["energy_propellant"].axes[0]
    assert e_ax.patches[0].get_height() == pytest.approx(r.schedule.energy_j.sum() / 1e15)
    mean_mw = r.totals()["mean_power_w"] / 1e6
    assert e_ax.texts[0].get_text() == f"{mean_mw:,.0f} MW"
    p_ax = figs["energy_propellant"].axes[1]
    assert p_ax.patches[0].get_height() == pytest.approx(r.schedule.propellant_kg.sum() / 1e3)
    # binding constraint: one band per constraint
    polys = figs["binding_constraint"].axes[0].collections
    assert len(polys) == len(tp.CONSTRAINT_NAMES)
    # delta-v histograms: one per shell with shots, counted in the legend
    labels = [t.get_text() for t in figs["delta_v"].axes[0].get_legend().get_texts()]
    counts = np.bincount(r.schedule.shell, minlength=2)
    assert labels == [f"a ({counts[0]:,} shots)", f"b ({counts[1]:,} shots)"]
