"""Throughput shots flying the arrival strategies of issue 17 (massdriver.throughput_arrival).

One real plan (six days, the LEO 28.5 deg shell from the equatorial Procellarum track, as
tests/test_throughput.py, with the satellite model of examples/leo_from_procellarum.toml):

* every shot's delta-v is its chosen strategy's, interpolated between strategy nodes a day
  apart; a sample of shots is priced again one by one at their own epochs (a scan of the
  shot's epoch, then :func:`massdriver.arrival.compare_strategies` from its perigee state,
  keeping its plane change, as ``massdriver campaign`` prices a shot) and the schedule's
  delta-v is within :data:`ARRIVAL_INTERPOLATION_TOLERANCE_KM_S` of the one chosen there;
* propellant is the rocket equation on that delta-v with the capture engine's Isp (written out
  here), and the per-strategy totals add up to the plan's;
* ``strategies = "impulsive"`` gives the impulsive schedule, shot for shot;
* the CLI writes the strategy column and the totals by strategy.
"""

from __future__ import annotations

import json

import astropy.units as u
import numpy as np
import pytest

from massdriver import throughput as tp
from massdriver.arrival import compare_strategies
from massdriver.cli import main
from massdriver.errors import ConfigError
from massdriver.mission import LauncherSpec
from massdriver.site import LaunchSite
from massdriver.targets import circular
from massdriver.throughput_arrival import ARRIVAL_INTERPOLATION_TOLERANCE_KM_S
from massdriver.windows import scan_epochs

SITE = LaunchSite(lat=0 * u.deg, lon=-55 * u.deg, azimuth=90 * u.deg, name="Procellarum")
SPEC = LauncherSpec(speed_min=2.35 * u.km / u.s, speed_max=2.80 * u.km / u.s,
                    payload_mass=1000 * u.kg, speed_sigma=0.05 * u.m / u.s,
                    pointing_sigma=1e-3 * u.deg)
LEO = circular(400 * u.km, 28.5 * u.deg)
G0 = 9.80665e-3                          # km/s^2 (CGPM 1901), written out independently

PLAN = """
name = "arrival strategies"
start = "2027-01-02T12:00"
horizon = "6 d"
step = "60 min"
threshold = "3.6 km/s"
{arrival_step}

[satellite]
wet_mass = "800 kg"
drag_area = "4 m2"
max_heat_rate = "5 W/cm2"
max_heat_load = "5000 J/cm2"
[[satellite.engines]]
name = "main"
thrust = "400 N"
isp = "320 s"
{arrival}

[[launchers]]
name = "equatorial"
site = {{ lat = "0 deg", lon = "-55 deg", azimuth = "90 deg" }}
speed_min = "2.35 km/s"
speed_max = "2.80 km/s"
power = "20 MW"
efficiency = 0.5

[[shells]]
name = "LEO 28.5"
altitude = "400 km"
inclination = "28.5 deg"
tonnes_per_year = "max"
"""


def _plan(tmp_path, arrival="", arrival_step=""):
    from massdriver.config.throughput import load_throughput

    path = tmp_path / "plan.toml"
    path.write_text(PLAN.format(arrival=arrival, arrival_step=arrival_step))
    return path, load_throughput(path)


@pytest.fixture(scope="module")
def flown(tmp_path_factory):
    path, plan = _plan(tmp_path_factory.mktemp("arr"))
    return path, plan, tp.plan_throughput(plan, verdict=False)


def test_shots_fly_the_chosen_strategy_within_the_bound(flown):
    _path, plan, r = flown
    s = r.schedule
    assert len(s) > 500
    assert s.strategies[0] == "impulsive" and len(s.strategies) == 5
    assert r.inputs["arrival"]["comparisons"] <= 2 * 8      # 2 branches x 8 nodes at most
    # a sample of shots priced one by one at their own epochs
    idx = np.unique(np.linspace(0, len(s) - 1, 16).astype(int))
    t = s.epoch_tdb[idx]
    solved = scan_epochs(SITE, LEO, SPEC, t, rtol=plan.rtol)
    kms = u.km / u.s
    errors, same = [], 0
    for i, shot in enumerate(idx):
        row = np.nonzero(solved.branch == ("prograde", "retrograde")[s.branch[shot]])[0][i]
        ps = solved.perigee_state[row]
        c = compare_strategies(ps[:3] * u.km, ps[3:6] * kms, LEO, plan.satellite.model,
                               impulsive_total=solved.total_km_s[row] * kms,
                               extras=solved.plane_change_km_s[row] * kms,
                               options=plan.satellite.arrival)
        flown_here = c[s.strategies[s.strategy[shot]]]
        # the delta-v of the strategy flown, against the same strategy at the shot's epoch
        if flown_here.feasible:
            errors.append(abs(s.delta_v_km_s[shot] - flown_here.delta_v.to_value(kms)))
        same += c.chosen == s.strategies[s.strategy[shot]]
    assert len(errors) >= len(idx) - 2
    assert max(errors) < ARRIVAL_INTERPOLATION_TOLERANCE_KM_S, errors
    # feasibility is the nodes' (a strategy feasible at both is offered between them): the
    # aerobraking walk-down ends in a re-entry at some isolated epochs (seen here at 1 of 16)
    assert same >= len(idx) - 2
    # the strategy flown is cheaper than the impulsive insertion the scheduler chose by
    assert np.all(s.delta_v_km_s <= s.delta_v_impulsive_km_s)


def test_propellant_and_totals_by_strategy(flown):
    _path, plan, r = flown
    s = r.schedule
    np.testing.assert_allclose(s.propellant_kg,
                               800.0 * (1.0 - np.exp(-s.delta_v_km_s / (G0 * 320.0))),
                               rtol=1e-12)
    tot = r.totals()
    by = tot["by_strategy"]
    assert sum(x["shots"] for x in by.values()) == len(s)
    assert sum(x["propellant_kg"] for x in by.values()) == pytest.approx(tot["propellant_kg"])
    assert tot["propellant_impulsive_kg"] > tot["propellant_kg"]
    assert "arrival strategies flown" in r.verdict_text()


def test_impulsive_only_is_the_impulsive_schedule(flown, tmp_path):
    _path, _plan_all, r = flown
    _p, plan = _plan(tmp_path, arrival='[arrival]\nstrategies = "impulsive"')
    imp = tp.plan_throughput(plan, verdict=False)
    assert imp.schedule.strategies == ("impulsive",)
    assert imp.schedule.epoch_tdb.tobytes() == r.schedule.epoch_tdb.tobytes()
    assert imp.schedule.delta_v_km_s.tobytes() == r.schedule.delta_v_impulsive_km_s.tobytes()
    assert np.all(imp.schedule.strategy == 0)


def test_config_arrival_needs_the_model_and_a_valid_step(tmp_path):
    path = tmp_path / "p.toml"
    text = PLAN.format(arrival="[arrival]\nchoose_by = \"delta-v\"", arrival_step="")
    hand = text.replace('wet_mass = "800 kg"\ndrag_area = "4 m2"\nmax_heat_rate = "5 W/cm2"\n'
                        'max_heat_load = "5000 J/cm2"\n[[satellite.engines]]\nname = "main"\n'
                        'thrust = "400 N"\nisp = "320 s"', 'mass = "800 kg"\nisp = "320 s"')
    path.write_text(hand)
    from massdriver.config.throughput import load_throughput

    with pytest.raises(ConfigError, match=r"\[arrival\] needs the satellite model"):
        load_throughput(path)
    _p, plan = _plan(tmp_path, arrival_step='arrival_step = "12 h"')
    assert plan.arrival_step.to_value(u.day) == 0.5
    with pytest.raises(ConfigError, match="arrival_step"):
        _plan(tmp_path, arrival_step='arrival_step = "60 d"')


def test_cli_writes_strategy_column_and_totals(flown, tmp_path, capsys):
    pq = pytest.importorskip("pyarrow.parquet")
    from astropy.table import Table

    path, _plan_all, r = flown
    out = tmp_path / "run"
    assert main(["throughput", str(path), "--out", str(out), "--json", "--quiet",
                 "--no-verdict", "--no-report"]) == 0
    d = json.loads(capsys.readouterr().out)
    table = pq.read_table(out / "schedule.parquet")
    names = table.column("arrival_strategy").to_pylist()
    assert names == [r.schedule.strategies[i] for i in r.schedule.strategy]
    assert d["totals"]["by_strategy"] == json.loads(json.dumps(r.totals()["by_strategy"]))
    assert d["shells"][0]["by_strategy"]
    summary = Table.read(out / "summary.ecsv", format="ascii.ecsv")
    chosen = r.schedule.strategies[int(np.bincount(r.schedule.strategy).argmax())]
    assert summary[f"shots_{chosen}"].sum() == np.sum(
        r.schedule.strategy == r.schedule.strategies.index(chosen))
    assert "LEO 28.5" in summary.meta["by_strategy"]
    by = r.totals()["by_strategy"]
    for name in r.schedule.strategies:
        assert float(summary[f"propellant_{name}"].sum()) == pytest.approx(
            by.get(name, {"propellant_kg": 0.0})["propellant_kg"])
    assert summary["propellant_all_impulsive"].unit == u.kg
    assert float(summary["propellant_all_impulsive"].sum()) == pytest.approx(
        r.totals()["propellant_impulsive_kg"])


def test_interpolation_and_feasibility_between_nodes():
    """fly_strategies on hand-made nodes: linear where a strategy is feasible at both nodes,
    the nearest node's where at one only; impulsive always offered."""
    from types import SimpleNamespace

    from massdriver.throughput_arrival import ArrivalNodes, fly_strategies

    plan = SimpleNamespace(horizon=2 * u.day, shells=(None,))
    # launcher 0, shell 0, option 0, nodes 0 and 1 (keys: node index; 4 node slots a row)
    keys = np.array([0, 1], np.int64)
    # strategies: impulsive, A (feasible at both: -1.0 -> -0.5), B (feasible at node 0 only)
    diff = np.array([[0.0, -1.0, -2.0], [0.0, -0.5, np.nan]])
    nodes = ArrivalNodes(0.0, 86400.0, keys, diff, ("impulsive", "A", "B"), 4)
    t = np.array([0.0, 0.25, 0.75]) * 86400.0
    zeros = np.zeros(3, np.int64)
    imp = np.array([3.0, 3.0, 3.0])
    st, dv = fly_strategies(nodes, plan, zeros, zeros, zeros, t, imp, n_options=2)
    np.testing.assert_array_equal(st, [2, 2, 1])             # B near node 0, A near node 1
    np.testing.assert_allclose(dv, [1.0, 1.0, 3.0 - 0.625])
    diff[:, 1:] = np.nan                                      # nothing feasible: impulsive
    st, dv = fly_strategies(nodes, plan, zeros, zeros, zeros, t, imp, n_options=2)
    assert np.all(st == 0) and np.all(dv == imp)


def test_dask_arrival_nodes_identical(flown):
    """The strategy comparisons as Dask tasks on a loopback LocalCluster: the same bytes."""
    distributed = pytest.importorskip("distributed")
    _path, plan, r = flown
    tables = tp.price_windows(plan)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cl, \
            distributed.Client(cl, set_as_default=False) as client:
        remote = tp.schedule(plan, tables, client=client, verdict=False)
    for f in ("epoch_tdb", "strategy", "delta_v_km_s", "propellant_kg"):
        assert getattr(remote.schedule, f).tobytes() == getattr(r.schedule, f).tobytes()


def test_chunked_shots_identical(flown, monkeypatch):
    """Shots handled in chunks (as a long horizon's millions are) give the same bytes."""
    import massdriver.throughput_arrival as ta

    _path, plan, r = flown
    monkeypatch.setattr(ta, "_SHOTS", 97)
    again = tp.schedule(plan, tp.price_windows(plan), verdict=False)
    for f in ("strategy", "delta_v_km_s", "propellant_kg"):
        assert getattr(again.schedule, f).tobytes() == getattr(r.schedule, f).tobytes()


def test_each_phase_counts_on_its_own_progress(flown):
    """Window pricing and arrival-strategy tasks are two phases with two counters: each
    ``progress(done, total)`` rises to its own total (the CLI labels them ``windows`` and
    ``arrival`` instead of one bar that restarted at 0); the result is the same."""
    _path, plan, r = flown
    seen = {"windows": [], "arrival": []}
    again = tp.plan_throughput(plan, verdict=False,
                               progress=lambda d, t: seen["windows"].append((d, t)),
                               arrival_progress=lambda d, t: seen["arrival"].append((d, t)))
    for name, calls in seen.items():
        assert calls, name
        done = [d for d, _t in calls]
        assert done == sorted(done) and calls[-1][0] == calls[-1][1], (name, calls)
        assert len({t for _d, t in calls}) == 1, name
    assert np.array_equal(again.schedule.strategy, r.schedule.strategy)
