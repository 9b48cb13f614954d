"""windows.ecsv's arrival columns: infeasible strategies are empty (masked) fields, never
``nan``, and the columns' kind does not depend on the outcomes.

A newcomer saw the LEO example's all-infeasible aerocapture columns written masked in some runs
and as ``nan`` in others. The runs were of different trees: NaN cells were masked by commit
43d9fc0, and a tree without it (or an environment importing the other tree) wrote ``nan``. What
was left data-dependent: a column was masked only if some cell of it was infeasible, so the
ECSV header (``__serialized_columns__``) and the type read back changed with the outcomes.
Nothing is integrated here: the comparisons are built from result objects.
"""
from __future__ import annotations

import io

import astropy.units as u
import numpy as np
import pytest
from astropy.table import QTable
from test_no_nan import assert_no_nonfinite_text

from massdriver.arrival import ArrivalComparison, StrategyResult, arrival_columns

KMS = u.km / u.s
NAN = float("nan")


def _comparison(aerocapture_ok: bool, scale: float = 1.0) -> ArrivalComparison:
    def res(name, dv, kg, ok=True, outcome="ok"):
        dv, kg = (dv, kg) if ok else (NAN, NAN)
        return StrategyResult(name, ok, outcome, dv * KMS, kg * u.kg, dv * KMS)

    results = (res("impulsive", 3.0876 * scale, 500.9 * scale),
               res("aerobraking", 1.2408 * scale, 261.3 * scale),
               res("aerocapture", 1.1 * scale, 250.0 * scale, ok=aerocapture_ok,
                   outcome="ok" if aerocapture_ok else "no entry corridor under the limits"))
    return ArrivalComparison(results, "aerobraking", "propellant", {})


def _ecsv(comparisons) -> str:
    out = io.StringIO()
    QTable(arrival_columns(comparisons)).write(out, format="ascii.ecsv")
    return out.getvalue()


@pytest.mark.parametrize("outcomes", [(False, False, False), (True, True, True),
                                      (True, False, True)])
def test_every_strategy_column_is_masked_whatever_the_outcomes(outcomes):
    comps = [_comparison(ok, 1.0 + 0.01 * k) for k, ok in enumerate(outcomes)]
    cols = arrival_columns(comps)
    for name in ("dv_impulsive", "propellant_impulsive", "dv_aerocapture",
                 "propellant_aerocapture"):
        assert hasattr(cols[name], "mask"), name
    bad = ~np.array(outcomes)
    assert np.array_equal(np.asarray(cols["dv_aerocapture"].mask), bad)
    assert not np.any(cols["dv_impulsive"].mask)
    text = _ecsv(comps)
    assert_no_nonfinite_text(text, "windows.ecsv arrival columns")
    assert text == _ecsv(comps)                                   # byte for byte
    back = QTable.read(text, format="ascii.ecsv")
    assert np.array_equal(np.asarray(back["propellant_aerocapture"].mask), bad)
    assert back["dv_aerobraking"].unit == KMS
    assert np.allclose(back["dv_aerobraking"].unmasked.value,
                       [1.2408 * (1.0 + 0.01 * k) for k in range(3)])


def test_the_header_does_not_depend_on_the_outcomes():
    """The same strategies priced with different outcomes give the same ECSV header."""
    def header(outcomes):
        text = _ecsv([_comparison(ok, 1.0 + 0.01 * k) for k, ok in enumerate(outcomes)])
        return [line for line in text.splitlines() if line.startswith("#")]

    assert header((True, True)) == header((False, False)) == header((True, False))


def _all_strategies(scale: float) -> ArrivalComparison:
    names = ("impulsive", "finite_burn", "multi_pass", "aerobraking", "aerocapture")
    results = tuple(StrategyResult(n, n != "aerocapture", "ok", (1.0 + k) * scale * KMS,
                                   (200.0 + k) * scale * u.kg, (1.0 + k) * scale * KMS)
                    for k, n in enumerate(names))
    return ArrivalComparison(results, "aerobraking", "propellant", {})


def _header(table) -> dict:
    """ECSV ``datatype`` entry and serialisation block of every column, by name."""
    out = io.StringIO()
    table.write(out, format="ascii.ecsv")
    text = out.getvalue()
    back = QTable.read(text, format="ascii.ecsv")
    entries = {}
    for line in text.splitlines():
        if line.startswith("# - {name: "):
            entries[line.split("name: ")[1].split(",")[0]] = line
    return {name: (entries[name], type(back[name]).__name__, getattr(back[name], "unit", None))
            for name in back.colnames}


def test_a_run_without_windows_writes_the_strategy_columns():
    """windows.ecsv of a mission with a satellite but no window has the columns (names, types,
    units, masking) of a run with windows, with no rows; ``[arrival] strategies`` decides which.
    The time columns are left out of the comparison: astropy writes an empty ``Time`` column
    as float64 (it reads back as ``Time`` all the same)."""
    import dataclasses

    from fake_solve import MISSION_EXAMPLE, tiny_plan, window_plan

    from massdriver.arrival import ArrivalOptions
    from massdriver.config.mission import load_mission

    mission = load_mission(MISSION_EXAMPLE)
    assert mission.satellite is not None
    full = window_plan()
    full = dataclasses.replace(
        full, mission=mission,
        windows=tuple(dataclasses.replace(w, arrival=_all_strategies(1.0 + 0.01 * k))
                      for k, w in enumerate(full.windows)))
    empty = dataclasses.replace(tiny_plan(), mission=mission)
    with_rows, without = _header(full.to_table()), _header(empty.to_table())
    assert len(empty.to_table()) == 0
    assert list(without) == list(with_rows)
    assert "dv_aerocapture" in without and without["arrival_strategy"][0].endswith("string}")
    times = {"open_utc", "close_utc", "best_utc"}
    assert {k: v for k, v in without.items() if k not in times} == \
        {k: v for k, v in with_rows.items() if k not in times}
    assert without["dv_multi_pass"][1] == "MaskedQuantity"
    # the strategies of [arrival], impulsive first
    few = dataclasses.replace(mission, arrival=ArrivalOptions(strategies="aerobraking"))
    names = dataclasses.replace(empty, mission=few).to_table().colnames
    assert [n for n in names if n.startswith("dv_")] == ["dv_impulsive", "dv_aerobraking"]
    # a mission without a satellite has no strategy columns
    assert "arrival_strategy" not in tiny_plan().to_table().colnames
