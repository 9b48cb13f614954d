"""The arrival figures of the report (issue 17): strategies per window, aerobraking campaign.

The output directory is test_report's synthetic solve run with an ``arrival`` table added to
each window, written by the real result classes (:class:`massdriver.arrival.StrategyResult`,
:class:`~massdriver.arrival.ArrivalComparison`) from plausible numbers (near the LEO example's:
3.09 km/s / 501 kg impulsive, 3.19 km/s finite burn, 1.32 km/s / 275 kg aerobraking over ~300
passes, as it priced them before the aerobraking J2 fix (now 1.24 km/s / 261 kg, ~330 passes),
aerocapture without a corridor), so nothing is integrated here; the figures drawn from a real
comparison are checked in test_arrival.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_report import _png_size, write_synthetic_run

PASSES = 300


def _history(n: int = PASSES) -> np.ndarray:
    """A plausible aerobraking history: apogee from 20,000 km down to 400 km, perigee near
    110 km, heat rate around 60 % of a 5 W/cm2 limit."""
    k = np.arange(n, dtype=float)
    apo = 400.0 + 19600.0 * (1.0 - k / (n - 1)) ** 1.5
    per = 110.0 + 2.0 * np.sin(k / 5.0)
    q = 3.0 + 0.3 * np.sin(k / 3.0)
    return np.column_stack([0.12 * k, per, apo, q, 0.01 + 0 * k, 400.0 + 0 * k,
                            0.2 + 0 * k])


def _comparison(scale: float = 1.0):
    import astropy.units as u

    from massdriver.arrival import ArrivalComparison, StrategyResult

    kms = u.km / u.s
    nan = float("nan")

    def res(name, dv, kg, ok=True, outcome="ok", **kw):
        return StrategyResult(name, ok, outcome, dv * kms, kg * u.kg, dv * kms, **kw)

    results = (
        res("impulsive", 3.0876 * scale, 500.9 * scale),
        res("finite_burn", 3.1946 * scale, 510.9 * scale, gravity_loss=0.107 * kms),
        res("multi_pass", 3.1286 * scale, 504.8 * scale, passes=7, days=2.2 * u.day),
        res("aerobraking", 1.3248 * scale, 275.5 * scale, passes=PASSES + 1,
            days=36.0 * u.day, peak_heat_rate=3.3 * u.W / u.cm ** 2, peak_g=0.01,
            history=_history()),
        res("aerocapture", nan, nan, ok=False, outcome="no entry corridor under the limits"),
    )
    limits = {"max_g": 5.0, "max_heat_rate_W_cm2": 5.0, "max_heat_load_J_cm2": 5000.0}
    return ArrivalComparison(results, "aerobraking", "propellant", limits)


def write_run_with_arrival(directory: Path) -> dict:
    """test_report's synthetic run, every window priced (window k scaled by 1 + 0.01 k)."""
    write_synthetic_run(directory)
    plan = json.loads((directory / "plan.json").read_text())
    for k, w in enumerate(plan["windows"]):
        w["arrival"] = _comparison(1.0 + 0.01 * k).as_dict()
    (directory / "plan.json").write_text(json.dumps(plan, indent=2, allow_nan=False))
    return plan


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("run") / "leo"
    write_run_with_arrival(d)
    return d


@pytest.fixture(scope="module")
def figs(run_dir):
    from massdriver import report
    from massdriver.report import plots

    with plots.style():
        yield report.figures(report.read_results(run_dir))


def test_plan_json_carries_the_comparison_compactly():
    from massdriver.arrival import HISTORY_COLUMNS

    d = _comparison().as_dict()
    assert d["limits"]["max_heat_rate_W_cm2"] == 5.0
    ab = next(r for r in d["strategies"] if r["strategy"] == "aerobraking")
    assert list(ab["history"]) == list(HISTORY_COLUMNS)
    h = _history()
    for k, name in enumerate(HISTORY_COLUMNS):
        assert np.allclose(ab["history"][name], h[:, k], rtol=5e-5, atol=1e-9)
    # other strategies carry no history; NaN is null (strict JSON)
    assert all("history" not in r for r in d["strategies"] if r["strategy"] != "aerobraking")
    text = json.dumps(d, allow_nan=False)
    assert len(text) < 60 * PASSES          # 5 significant digits: ~40 bytes per pass


def test_arrival_figures_are_drawn_in_order(figs):
    from massdriver.report import ARRIVAL_FIGURES, FIGURES

    assert tuple(figs) == FIGURES + ARRIVAL_FIGURES


def test_strategy_bars_are_the_plan_numbers(figs, run_dir):
    plan = json.loads((run_dir / "plan.json").read_text())
    fig = figs["arrival_strategies"]
    panels = [ax for ax in fig.axes if ax.get_ylabel() == "delta-v [km/s]"]
    twins = [ax for ax in fig.axes if ax.get_ylabel() == "propellant [kg]"]
    assert len(panels) == len(twins) == len(plan["windows"]) == 3
    for ax, ax2, w in zip(panels, twins, plan["windows"], strict=True):
        feasible = [r for r in w["arrival"]["strategies"] if r["feasible"]]
        solid = [p for p in ax.patches if p.get_hatch() is None]
        assert [p.get_height() for p in solid] == pytest.approx(
            [r["delta_v_km_s"] for r in feasible])
        assert [p.get_height() for p in ax2.patches] == pytest.approx(
            [r["propellant_kg"] for r in feasible])
        # the chosen strategy (aerobraking, 4th feasible) is outlined, the others are not
        widths = [p.get_linewidth() for p in ax2.patches]
        assert widths.index(max(widths)) == 3 and widths.count(max(widths)) == 1
        texts = [t.get_text() for t in ax.texts]
        assert "chosen" in texts
        # the infeasible strategy: a hatched stub labelled with its outcome, no number
        assert [p.get_hatch() for p in ax.patches].count("///") == 1
        assert "no entry corridor under the limits" in texts
        labels = [t.get_text() for t in ax.get_xticklabels()]
        assert labels == ["impulsive", "finite burn", "multi-pass", "aerobraking",
                          "aerocapture"]
        assert "aerobraking" in ax.get_title()


def test_aerobraking_figure_is_the_history(figs, run_dir):
    plan = json.loads((run_dir / "plan.json").read_text())
    fig = figs["aerobraking"]
    ax_a, ax_p, ax_b = (next(a for a in fig.axes if a.get_ylabel() == label) for label in (
        "apogee altitude [km]", "perigee altitude [km]", "fraction of the limit"))
    # the best window of the report (lowest impulsive total) is the one drawn
    best = min(plan["windows"], key=lambda w: w["budget"]["total_km_s"])
    ab = next(r for r in best["arrival"]["strategies"] if r["strategy"] == "aerobraking")
    h = ab["history"]
    x, y = ax_a.lines[0].get_data()
    assert list(x) == list(range(1, PASSES + 1))
    assert np.allclose(y, h["apogee_altitude_km"])
    assert np.allclose(ax_p.lines[0].get_data()[1], h["perigee_altitude_km"])
    q = ax_b.lines[0].get_data()[1]
    assert np.allclose(q, np.array(h["peak_heat_rate_W_cm2"]) / 5.0)
    assert any(np.allclose(line.get_ydata(), 1.0) for line in ax_b.lines)     # the limit
    assert f"{PASSES} atmospheric passes" in ax_a.get_title() and "completed" in ax_a.get_title()


def test_infeasible_aerobraking_title_says_why_not_nan():
    """An infeasible campaign (re-entry on its last pass, say) still has a history to draw but
    no delta-v: the title gives the outcome, never "nan km/s in all"."""
    import astropy.units as u

    from massdriver.arrival import ArrivalComparison, StrategyResult
    from massdriver.report import plots
    from massdriver.report.arrival_plots import plot_aerobraking

    nan = float("nan")
    bad = StrategyResult("aerobraking", False, "re-entry", nan * u.km / u.s, nan * u.kg,
                         nan * u.km / u.s, passes=PASSES + 1, days=36.0 * u.day,
                         history=_history())
    ok = _comparison().results[0]
    window = {"best_utc": "2027-01-03T07:48:00",
              "arrival": ArrivalComparison((ok, bad), "impulsive", "propellant", {}).as_dict()}
    with plots.style():
        fig = plot_aerobraking(window)
    title = next(a for a in fig.axes if a.get_ylabel() == "apogee altitude [km]").get_title()
    assert "infeasible: re-entry" in title
    assert "nan" not in title and "km/s in all" not in title


def test_report_files_and_page(run_dir, tmp_path):
    from massdriver.cli import main

    d = tmp_path / "run"
    shutil.copytree(run_dir, d)
    assert main(["report", str(d), "--json"]) == 0
    for stem in ("arrival_strategies", "aerobraking"):
        w, h = _png_size((d / f"{stem}.png").read_bytes())
        assert w > 600 and h > 300
    page = (d / "report.html").read_text(encoding="utf-8")
    assert "<h3>Arrival strategies (insertion with the mission's satellite)</h3>" in page
    assert "aerobraking (chosen)" in page
    # impulsive vs finite vs aero-assisted, with their propellant masses
    for name, kg in (("impulsive", "500.9"), ("finite burn", "510.9"),
                     ("aerobraking (chosen)", "275.5")):
        row = page.split(f"<td class='text'>{name}</td>")[1].split("</tr>")[0]
        assert f"<td>{kg}</td>" in row, name
    assert "no entry corridor under the limits" in page
    assert "id='arrival_strategies'" in page and "id='aerobraking'" in page


def test_no_arrival_no_arrival_figures(tmp_path):
    from massdriver import report

    d = tmp_path / "plain"
    write_synthetic_run(d)
    report.write(d)
    assert not (d / "arrival_strategies.png").exists()
    assert not (d / "aerobraking.png").exists()
    assert "Arrival strategies" not in (d / "report.html").read_text(encoding="utf-8")


def test_arrival_figures_only_read_results(run_dir, tmp_path):
    """Drawing the arrival figures integrates nothing: neither the arrival module nor the
    compiled kernels (numba) are imported by the report."""
    d = tmp_path / "run"
    shutil.copytree(run_dir, d)
    code = ("import sys; from massdriver import report; report.write(sys.argv[1]); "
            "print(','.join(m for m in ('numba', 'massdriver.arrival', "
            "'massdriver.kernels.arrival', 'scipy.integrate', 'massdriver.windows') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, str(d)], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == ""
    assert (d / "aerobraking.png").is_file()
