"""Throughput planner: the six checks of issue 20, block hand-over, config and CLI.

Most checks run the compiled scheduler on synthetic window tables (a sinusoidal total delta-v
with windows a known share of the time), where the expected rates follow from arithmetic:

* recharge-bound: a shot every ``E / P`` seconds while a window is open;
* heating-bound: the lumped coil model settles at the spacing ``-tau ln(1 - dT / max_rise)``
  (the fixed point of ``T = T exp(-s / tau) + dT``);
* window-bound: with banks large enough to carry the energy through the closed spans, no more
  than ``rate_max x open time`` shots.

The schedule is then replayed here, in plain Python, from the shots alone (bank and coil
temperature integrated between shots), independently of the kernel. One real plan (two and a
half days, the LEO 28.5 deg shell from the equatorial Procellarum track, as tests/test_campaign.py)
checks the interpolated price of shots against the same shots solved one by one at their own
epochs, and the CLI end to end.
"""

from __future__ import annotations

import json
import math

import astropy.units as u
import numpy as np
import pytest
from astropy.time import Time

from massdriver import throughput as tp
from massdriver.campaign import ShotEnergy
from massdriver.cli import main
from massdriver.errors import ConfigError, InputError
from massdriver.mission import LauncherSpec
from massdriver.site import LaunchSite
from massdriver.targets import circular
from massdriver.timescales import to_tdb_seconds
from massdriver.windows import scan_epochs

START = Time("2027-01-02T12:00", scale="utc")
SITE = LaunchSite(lat=0 * u.deg, lon=-55 * u.deg, azimuth=90 * u.deg, name="Procellarum")
SPEC = LauncherSpec(speed_min=2.35 * u.km / u.s, speed_max=2.80 * u.km / u.s,
                    payload_mass=1000 * u.kg, speed_sigma=0.05 * u.m / u.s,
                    pointing_sigma=1e-3 * u.deg)
LEO = circular(400 * u.km, 28.5 * u.deg)
SAT = tp.SatelliteSpec(1000 * u.kg, 320 * u.s)
SPEED = 2.4                              # km/s of every synthetic shot
ENERGY = 0.5 * 1000 * (SPEED * 1e3) ** 2 / 0.5      # J: kinetic energy / efficiency 0.5
G0 = 9.80665                             # m/s^2 (CGPM 1901), written out independently


def launcher(power=200 * u.MW, bank=None, rate=None, thermal=None, name="A"):
    return tp.ThroughputLauncher(name, SITE, SPEC, power=power,
                                 energy=ShotEnergy.from_efficiency(0.5, 1000 * u.kg),
                                 bank_capacity=bank, max_shot_rate=rate, thermal=thermal)


def synthetic(plan: tp.ThroughputPlan, open_share: float = 0.5, period_days: float = 3.0):
    """Tables where each shell's window is open ``open_share`` of the time (0.5: half).

    total = 3.5 + 0.2 cos(2 pi t / period) against a threshold of 3.5 + 0.2 cos(pi (1 - share))
    (open where the phase is within pi share of pi)."""
    g = plan.grid()
    n_l, n_s = len(plan.launchers), len(plan.shells)
    shape = (n_l, n_s, 2, g.size)
    phase = 2 * np.pi * (g - g[0]) / (period_days * 86400.0)
    total = np.full(shape, np.nan)
    total[:, :, 0] = 3.5 + 0.2 * np.cos(phase)
    speed = np.full(shape, SPEED)
    tof = np.full(shape, 4 * 86400.0)
    return tp.WindowTables(g, total, speed, tof)


def threshold_for(open_share: float) -> float:
    return 3.5 + 0.2 * math.cos(math.pi * (1.0 - open_share))


def make_plan(launchers, shells, horizon=30 * u.day, share=0.5, step=60 * u.min):
    return tp.ThroughputPlan(tuple(launchers), tuple(shells), SAT, START, horizon=horizon,
                             step=step, threshold=threshold_for(share) * u.km / u.s)


def shell(rate=None, priority=1, name="s"):
    return tp.Shell(name, (LEO,), rate=rate, priority=priority)


def replay(result: tp.ThroughputResult):
    """Replay each launcher's shots in plain Python: bank and coil temperature before each
    shot, from the plan's numbers only (not the kernel's state)."""
    s = result.schedule
    t0 = float(to_tdb_seconds(result.plan.start))
    out = []
    for li, la in enumerate(result.plan.launchers):
        sel = s.launcher == li
        t, e = s.epoch_tdb[sel], s.energy_j[sel]
        p = la.power.to_value(u.W)
        cap = la.bank_capacity.to_value(u.J)
        bank, temp, last = cap, 0.0, t0
        banks, temps = [], []
        for ti, ei in zip(t, e, strict=True):
            bank = min(cap, bank + p * (ti - last))
            if la.thermal is not None:
                temp *= math.exp(-(ti - last) / la.thermal.cooling_time.to_value(u.s))
            banks.append(bank)
            temps.append(temp)
            bank -= ei
            if la.thermal is not None:
                temp += (la.thermal.heat_fraction * ei
                         / la.thermal.heat_capacity.to_value(u.J / u.K))
            last = ti
        out.append((t, e, np.array(banks), np.array(temps)))
    return out


# ------------------------------------------------------------------------------------------------
# 1. energy drawn <= power x time + stored
# ------------------------------------------------------------------------------------------------
def test_energy_never_exceeds_power_times_time_plus_stored():
    la = launcher(power=150 * u.MW, bank=30 * u.GJ)
    plan = make_plan([la, launcher(power=90 * u.MW, name="B")], [shell()])
    r = tp.schedule(plan, synthetic(plan), verdict=False)
    assert len(r.schedule) > 10_000
    t0 = float(to_tdb_seconds(START))
    for li, launch in enumerate(plan.launchers):
        sel = r.schedule.launcher == li
        drawn = np.cumsum(r.schedule.energy_j[sel])
        allowed = (launch.bank_capacity.to_value(u.J)
                   + launch.power.to_value(u.W) * (r.schedule.epoch_tdb[sel] - t0))
        assert np.all(drawn <= allowed * (1 + 1e-9))
        # and it is the binding limit: the last shot drew all but about one shot's energy
        assert drawn[-1] > allowed[-1] - 2 * launch.bank_capacity.to_value(u.J) - \
            launch.power.to_value(u.W) * 0.5 * 30 * 86400


# ------------------------------------------------------------------------------------------------
# 2. recharge, heating and rate between consecutive shots of a launcher
# ------------------------------------------------------------------------------------------------
def test_consecutive_shots_respect_recharge_heating_and_rate():
    thermal = tp.CoilThermal(0.05, 5e7 * u.J / u.K, 1000 * u.s, 100 * u.K)
    plan = make_plan([launcher(thermal=thermal), launcher(power=400 * u.MW, rate=90 / u.h,
                                                          name="B")], [shell()])
    r = tp.schedule(plan, synthetic(plan), verdict=False)
    for li, (t, e, banks, temps) in enumerate(replay(r)):
        la = plan.launchers[li]
        assert np.all(banks >= e * (1 - 1e-9)), "a shot fired before its banks recharged"
        if la.thermal is not None:
            k = la.thermal.heat_fraction / la.thermal.heat_capacity.to_value(u.J / u.K)
            assert np.all(temps + k * e <= la.thermal.max_rise.to_value(u.K) * (1 + 1e-9))
        if la.max_shot_rate is not None:
            assert np.all(np.diff(t) >= 3600 / la.max_shot_rate.to_value(1 / u.h) * (1 - 1e-12))
    # the heating-bound launcher settles at the analytic spacing -tau ln(1 - dT / max_rise)
    t = r.schedule.epoch_tdb[r.schedule.launcher == 0]
    dt = np.diff(t)
    steady = np.median(dt[dt < 3600])
    expected = -1000 * math.log(1 - 0.05 * ENERGY / 5e7 / 100)
    assert steady == pytest.approx(expected, rel=1e-3)
    assert expected > ENERGY / 200e6          # heating, not recharge, binds it
    frac = r.to_dict()["binding_constraint_fraction"]
    assert frac["A"]["heating"] > 0.4 and frac["B"]["rate_limit"] > 0.4


# ------------------------------------------------------------------------------------------------
# 4. delivered mass = shots x payload
# ------------------------------------------------------------------------------------------------
def test_delivered_mass_is_shots_times_payload_and_propellant_is_the_rocket_equation():
    plan = make_plan([launcher()], [shell(name="a"), shell(name="b", priority=2)])
    r = tp.schedule(plan, synthetic(plan), verdict=False)
    n = len(r.schedule)
    assert r.delivered_tonnes().sum() == pytest.approx(n * 1.0)
    assert r.monthly_tonnes().sum() == pytest.approx(n * 1.0)
    assert r.summary_table()["tonnes"].sum().to_value(u.t) == pytest.approx(n * 1.0)
    assert r.totals()["tonnes"] == pytest.approx(n * 1.0)
    dv = r.schedule.delta_v_km_s * 1e3
    np.testing.assert_allclose(r.schedule.propellant_kg,
                               1000 * (1 - np.exp(-dv / (G0 * 320))), rtol=1e-12)
    # priority: shell a takes every shot it can; b gets none (same windows, "max" demand)
    assert np.all(r.schedule.shell == 0)


# ------------------------------------------------------------------------------------------------
# 5. a demand below capacity is met exactly
# ------------------------------------------------------------------------------------------------
def test_demand_below_capacity_met_exactly_and_above_it_reported():
    horizon = 30 * u.day
    years = horizon.to_value(u.yr)
    plan = make_plan([launcher()], [shell(rate=2e5 * u.t / u.yr, name="fixed"),
                                    shell(name="rest", priority=2)], horizon=horizon)
    r = tp.schedule(plan, synthetic(plan), verdict=True)
    counts = np.bincount(r.schedule.shell, minlength=2)
    assert counts[0] == math.floor(2e5 * (horizon.to_value(u.s) / tp.YEAR) / 1.0 + 1e-9)
    assert counts[1] > counts[0]               # the rest went to the "max" shell
    assert r.feasible and r.verdicts[0].met
    # priority: the fixed shell takes every shot until its demand is met, the rest after it
    fixed_t = r.schedule.epoch_tdb[r.schedule.shell == 0]
    assert fixed_t.max() < r.schedule.epoch_tdb[r.schedule.shell == 1].min()
    assert r.verdicts[1].met is None
    # a demand above capacity: not met, the plan is not feasible, the verdict says why
    cap = r.verdicts[0].capacity.to_value(u.t / u.yr)
    big = make_plan([launcher()], [shell(rate=2 * cap * u.t / u.yr)], horizon=horizon)
    rb = tp.schedule(big, synthetic(big))
    assert not rb.feasible and rb.verdicts[0].met is False
    assert rb.verdicts[0].limit == "recharge"     # while its windows are open
    assert rb.verdicts[0].window_open == pytest.approx(0.5, abs=0.01)
    assert "NOT FEASIBLE" in rb.verdict_text()
    assert len(rb.schedule) == pytest.approx(cap * years, rel=2e-3)


# ------------------------------------------------------------------------------------------------
# 6. doubling the power doubles the rate only until the windows bind
# ------------------------------------------------------------------------------------------------
def test_doubling_power_doubles_rate_until_windows_bind():
    rate_max = 240.0                 # shots per hour, one every 15 s
    BANK = 20e12                     # J: carries 80 MW through the 2.25-day closed spans
    horizon = 30 * u.day
    share = 0.25
    rates = {}
    for mw in (20, 40, 80, 160, 320):
        la = launcher(power=mw * u.MW, bank=BANK * u.J, rate=rate_max / u.h)
        plan = make_plan([la], [shell()], horizon=horizon, share=share)
        r = tp.schedule(plan, synthetic(plan, share), verdict=False)
        rates[mw] = len(r.schedule)
    # energy-bound: all the energy of the horizon is fired (the banks carry it through the
    # closed spans), so the shots the power pays for (beyond the initial charge) follow it
    stored = BANK / ENERGY
    assert (rates[40] - stored) / (rates[20] - stored) == pytest.approx(2.0, rel=0.01)
    assert (rates[80] - stored) / (rates[40] - stored) == pytest.approx(2.0, rel=0.01)
    # window-bound: no more than rate_max x open time, whatever the power
    ceiling = rate_max * share * horizon.to_value(u.h)
    assert rates[320] <= ceiling * 1.01 + 10
    assert rates[320] / rates[160] < 1.1
    assert rates[160] < 2 * rates[80] * 0.9


# ------------------------------------------------------------------------------------------------
# blocks, checkpoints, config
# ------------------------------------------------------------------------------------------------
def test_blocks_and_checkpoint_resume_bit_identical(tmp_path):
    thermal = tp.CoilThermal(0.05, 5e7 * u.J / u.K, 1000 * u.s, 100 * u.K)
    plan = make_plan([launcher(thermal=thermal), launcher(rate=100 / u.h, name="B")],
                     [shell(rate=3e5 * u.t / u.yr), shell(priority=2, name="rest")])
    tables = synthetic(plan)
    one = tp.schedule(plan, tables, verdict=False)
    cut = tp.schedule(plan, tables, verdict=False, block_days=2.3, checkpoint=tmp_path / "c")
    assert cut.blocks == 14
    for f in ("epoch_tdb", "launcher", "shell", "speed_km_s", "delta_v_km_s", "energy_j"):
        assert getattr(one.schedule, f).tobytes() == getattr(cut.schedule, f).tobytes()
    assert one.change_t.tobytes() == cut.change_t.tobytes()
    # resume: drop the last blocks of the checkpoint, run again, same bytes
    files = sorted((tmp_path / "c").glob("block-*.npz"))
    assert len(files) == 14
    for f in files[9:]:
        f.unlink()
    again = tp.schedule(plan, tables, verdict=False, block_days=2.3, checkpoint=tmp_path / "c")
    assert again.schedule.epoch_tdb.tobytes() == one.schedule.epoch_tdb.tobytes()


def test_bad_inputs_one_line(tmp_path, capsys):
    with pytest.raises(InputError, match="18.6"):
        make_plan([launcher()], [shell()], horizon=19 * u.yr)
    with pytest.raises(InputError, match="bank_capacity"):
        launcher(bank=1 * u.GJ)
    with pytest.raises(InputError, match="max_rise"):
        launcher(thermal=tp.CoilThermal(0.5, 1e6 * u.J / u.K, 10 * u.s, 10 * u.K))
    from massdriver.config.throughput import load_throughput

    text = EXAMPLE_TEXT.replace('tonnes_per_year = "max"', 'tonnes_per_yera = "max"')
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match="tonnes_per_yera"):
        load_throughput(path)
    code = main(["throughput", str(path), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o" / "schedule.parquet").exists()


# ------------------------------------------------------------------------------------------------
# 3. each shot's budget against the shot solved at its own epoch; the CLI end to end
# ------------------------------------------------------------------------------------------------
EXAMPLE_TEXT = """
name = "test plan"
start = "2027-01-02T12:00"
horizon = "2.5 d"
step = "60 min"
threshold = "3.5 km/s"
[satellite]
mass = "1000 kg"
isp = "320 s"
[[launchers]]
name = "equatorial"
site = { lat = "0 deg", lon = "-55 deg", azimuth = "90 deg" }
speed_min = "2.35 km/s"
speed_max = "2.80 km/s"
power = "200 MW"
efficiency = 0.5
[[shells]]
name = "LEO 28.5"
altitude = "400 km"
inclination = "28.5 deg"
tonnes_per_year = "max"
"""


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    from massdriver.config.throughput import load_throughput

    path = tmp_path_factory.mktemp("plan") / "plan.toml"
    path.write_text(EXAMPLE_TEXT)
    plan = load_throughput(path)
    return path, plan, tp.plan_throughput(plan, verdict=False)


def test_shot_budgets_match_individually_solved_shots(real):
    """Every shot of the 2.5-day plan, solved again at its own epoch (one batched scan of all
    the shots' epochs, the branch the shot chose) against its interpolated price."""
    _path, plan, r = real
    s = r.schedule
    assert len(s) > 1000
    t = s.epoch_tdb
    solved = scan_epochs(SITE, LEO, SPEC, t, rtol=plan.rtol)
    rows = {}
    for b, name in enumerate(("prograde", "retrograde")):
        idx = np.nonzero(solved.branch == name)[0]
        assert np.array_equal(solved.t_launch_tdb[idx], t)
        rows[b] = idx
    row = np.where(s.branch == 0, rows[0], rows[1])
    err = np.abs(s.delta_v_km_s - solved.total_km_s[row])
    assert np.all(np.isfinite(solved.total_km_s[row]))
    assert err.max() < tp.INTERPOLATION_TOLERANCE_KM_S, err.max()
    assert np.abs(s.speed_km_s - solved.speed_km_s[row]).max() < 2e-3
    tof = solved.t_perigee_tdb[row] - solved.t_launch_tdb[row]
    assert np.abs(s.tof_s - tof).max() < 600.0
    assert np.all(solved.total_km_s[row] < plan.threshold.to_value(u.km / u.s)
                  + tp.INTERPOLATION_TOLERANCE_KM_S)


def test_cli_writes_parquet_summary_and_figures(real, tmp_path, capsys):
    pq = pytest.importorskip("pyarrow.parquet")
    path, plan, r = real
    out = tmp_path / "run"
    code = main(["throughput", str(path), "--out", str(out), "--json", "--quiet"])
    assert code == 0
    d = json.loads(capsys.readouterr().out)
    table = pq.read_table(out / "schedule.parquet")
    assert table.num_rows == len(r.schedule) == d["totals"]["shots"]
    assert set(table.column_names) >= {"epoch_utc", "launcher", "shell", "speed_km_s",
                                       "arrival_utc", "delta_v_km_s", "propellant_kg"}
    np.testing.assert_array_equal(table.column("delta_v_km_s").to_numpy(),
                                  r.schedule.delta_v_km_s)
    for name in ("summary.ecsv", "binding.ecsv", "throughput.json", "plan.toml",
                 "tonnes_per_month.png", "firing_calendar.png", "binding_constraint.png",
                 "energy_propellant.png", "delta_v.png"):
        assert (out / name).exists(), name
    assert not (out / "throughput.checkpoint").exists()
    assert d["verdict"].startswith("FEASIBLE")


def test_dask_pricing_and_blocks_identical(real):
    """Pricing tasks and schedule blocks on a loopback LocalCluster: the same bytes."""
    distributed = pytest.importorskip("distributed")
    _path, plan, r = real
    local_tables = tp.price_windows(plan)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cl, \
            distributed.Client(cl, set_as_default=False) as client:
        # (the same pricing tasks: other task boundaries were seen to move the totals in
        # their last bits at the boundary epochs)
        tables = tp.price_windows(plan, client=client)
        remote = tp.schedule(plan, tables, client=client, block_days=0.7, verdict=False)
    assert tables.total_km_s.tobytes() == local_tables.total_km_s.tobytes()
    assert remote.blocks == 4
    for f in ("epoch_tdb", "shell", "speed_km_s", "delta_v_km_s", "energy_j"):
        assert getattr(remote.schedule, f).tobytes() == getattr(r.schedule, f).tobytes()
