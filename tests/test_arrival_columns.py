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
