"""Hypothesis strategies that mutate the example configs one key at a time (issue 8).

The documented schema of ``examples/leo_from_procellarum.toml`` and ``examples/coilgun_lab.toml``
is written out here (``Spec``) and serves as the oracle of ``tests/test_hardening_config.py`` and
``tests/test_hardening_cli.py``: an invalid mutation must raise one ConfigError line naming the
key path; a valid one must load and keep its value. Also a small TOML writer (the tests need
NaN/inf, inline tables, mixed arrays, datetimes) and the one-line error check.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
MISSION_EXAMPLE = ROOT / "examples" / "leo_from_procellarum.toml"
COILGUN_EXAMPLE = ROOT / "examples" / "coilgun_lab.toml"
MISSION = tomllib.loads(MISSION_EXAMPLE.read_text())
COILGUN = tomllib.loads(COILGUN_EXAMPLE.read_text())
#: highest target perigee altitude accepted (150,000 km from the Earth's centre)
MAX_ALTITUDE_KM = 150_000.0 - 6378.1363

FAST = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


# --------------------------------------------------------------------------------------------
# a small TOML writer (the test needs NaN/inf, inline tables, mixed arrays, datetimes)
# --------------------------------------------------------------------------------------------
def _toml_string(text: str) -> str:
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _toml_string(v)
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml_string(key)


def to_toml(doc: dict) -> str:
    """Serialise ``doc`` (root scalars, tables, arrays of tables, one level of sub-tables)."""
    lines = [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in doc.items()
             if not isinstance(v, dict) and not _is_table_array(v)]

    def table(name: str, body: dict, header: str) -> None:
        lines.append(header)
        subs = []
        for k, v in body.items():
            if isinstance(v, dict):
                subs.append((k, v))
            else:
                lines.append(f"{_toml_key(k)} = {_toml_value(v)}")
        for k, v in subs:
            lines.append(f"[{name}.{_toml_key(k)}]")
            lines.extend(f"{_toml_key(kk)} = {_toml_value(vv)}" for kk, vv in v.items())

    for k, v in doc.items():
        if isinstance(v, dict):
            table(_toml_key(k), v, f"[{_toml_key(k)}]")
        elif _is_table_array(v):
            for item in v:
                table(_toml_key(k), item, f"[[{_toml_key(k)}]]")
    return "\n".join(lines) + "\n"


def _is_table_array(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)



# --------------------------------------------------------------------------------------------
# the schema of the two example files (the oracle)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Spec:
    """One key: its type, default unit, accepted range, whether required / in the example.

    ``safe`` is a sub-range that is valid whatever the other keys of the example hold (used for
    valid replacements: e.g. speed_min must stay below the example's speed_max)."""

    kind: str                       # quantity, number, integer, string, choice, boolean, time
    unit: str = ""
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    required: bool = True
    present: bool = True
    choices: tuple = ()
    safe: tuple | None = None


Path_ = tuple  # ("site", "lat"), ("sections", 0, "coil", "turns"), ...

MISSION_SCHEMA: dict[Path_, Spec] = {
    ("name",): Spec("string", required=False),
    ("mid_course",): Spec("boolean", required=False, present=False),
    ("site", "name"): Spec("string", required=False),
    ("site", "lat"): Spec("quantity", "deg", -90, 90),
    ("site", "lon"): Spec("quantity", "deg", -360, 360),
    ("site", "azimuth"): Spec("quantity", "deg", 0, 360),
    ("site", "elevation"): Spec("quantity", "deg", 0, 90, required=False),
    ("site", "height"): Spec("quantity", "km", -10, 12, required=False, present=False),
    ("site", "frame"): Spec("choice", choices=("PA", "ME"), required=False, present=False),
    ("launcher", "speed_min"): Spec("quantity", "km/s", 1, 5, required=False, safe=(1, 2.6)),
    ("launcher", "speed_max"): Spec("quantity", "km/s", 1, 5, required=False, safe=(2.45, 5)),
    ("launcher", "payload_mass"): Spec("quantity", "kg", 0, 1e7, lo_open=True, required=False),
    ("launcher", "speed_sigma"): Spec("quantity", "m/s", 0, 100, required=False),
    ("launcher", "pointing_sigma"): Spec("quantity", "deg", 0, 5, required=False),
    ("target", "kind"): Spec("choice", choices=("circular", "sun_synchronous", "geo", "elements",
                                                "walker"), safe=()),
    ("target", "altitude"): Spec("quantity", "km", 120, MAX_ALTITUDE_KM),
    ("target", "inclination"): Spec("quantity", "deg", 0, 180),
    ("search", "start"): Spec("time"),
    ("search", "span"): Spec("quantity", "day", 0, 3660, lo_open=True, safe=(0.05, 3660)),
    ("search", "step"): Spec("quantity", "min", 1, 1440, required=False),
    ("search", "threshold"): Spec("quantity", "km/s", 0, 20, lo_open=True),
    ("search", "model"): Spec("choice", choices=("ephemeris",), required=False,
                              present=False),
    ("search", "rtol"): Spec("number", "", 1e-13, 1e-6, required=False, present=False),
    ("search", "max_flight_time"): Spec("quantity", "day", 1, 30, required=False,
                                        present=False),
}
MISSION_TABLES = {("site",): True, ("launcher",): False, ("target",): True, ("search",): True}

_S = ("sections", 0)
_C = ("sections", 0, "coil")
COILGUN_SCHEMA: dict[Path_, Spec] = {
    ("name",): Spec("string", required=False),
    ("payload_mass",): Spec("quantity", "kg", 0, 1e7, required=False),
    ("carrier_mass",): Spec("quantity", "kg", 0, 1e7),
    ("switch",): Spec("choice", choices=("scr", "crowbar", "ring"), required=False),
    ("stage_coupling",): Spec("boolean", required=False),
    ("armature", "kind"): Spec("choice", choices=("driven", "induction"), safe=()),
    ("armature", "inner_radius"): Spec("quantity", "m", 0, 100, lo_open=True, safe=()),
    ("armature", "outer_radius"): Spec("quantity", "m", 0, 100, lo_open=True, safe=()),
    ("armature", "length"): Spec("quantity", "m", 0, 100, lo_open=True, safe=()),
    ("armature", "resistivity"): Spec("quantity", "Ohm m", 0, None, lo_open=True,
                                      required=False),
    ("armature", "rings"): Spec("integer", "", 1, 32, required=False),
    _S + ("stages",): Spec("integer", "", 1, 200000, safe=()),
    _S + ("first_position",): Spec("quantity", "m", -1e6, 1e6, required=False, safe=()),
    _S + ("pitch",): Spec("quantity", "m", 0, 1e3, lo_open=True, safe=()),
    _S + ("trigger_offset",): Spec("quantity", "m", -1e3, 1e3, required=False, safe=()),
    _S + ("voltage",): Spec("quantity", "V", -1e7, 1e7),
    _S + ("capacitance",): Spec("quantity", "F", 0, None, lo_open=True),
    _S + ("series_resistance",): Spec("quantity", "Ohm", 0, None, required=False),
    _C + ("inner_radius",): Spec("quantity", "m", 0, 100, lo_open=True, safe=()),
    _C + ("outer_radius",): Spec("quantity", "m", 0, 100, lo_open=True, required=False,
                                 safe=()),
    _C + ("length",): Spec("quantity", "m", 0, 100, lo_open=True, safe=()),
    _C + ("turns",): Spec("number", "", 0, 1e6, lo_open=True),
    _C + ("fill_factor",): Spec("number", "", 0, 1, lo_open=True, required=False),
}
COILGUN_TABLES = {("armature",): True, ("sections", 0): True, _C: True}

#: other units of each default unit, with the factor to it
ALT_UNITS = {
    "deg": [("deg", 1.0), ("rad", 180 / math.pi), ("arcmin", 1 / 60)],
    "km": [("km", 1.0), ("m", 1e-3), ("Mm", 1e3)],
    "km/s": [("km/s", 1.0), ("m/s", 1e-3), ("km/h", 1 / 3600)],
    "m/s": [("m/s", 1.0), ("km/s", 1e3), ("cm/s", 1e-2)],
    "kg": [("kg", 1.0), ("g", 1e-3), ("t", 1e3)],
    "day": [("d", 1.0), ("h", 1 / 24), ("s", 1 / 86400)],
    "min": [("min", 1.0), ("s", 1 / 60), ("h", 60.0)],
    "m": [("m", 1.0), ("mm", 1e-3), ("km", 1e3)],
    "V": [("V", 1.0), ("kV", 1e3), ("mV", 1e-3)],
    "F": [("F", 1.0), ("mF", 1e-3), ("uF", 1e-6)],
    "Ohm": [("Ohm", 1.0), ("mOhm", 1e-3), ("kOhm", 1e3)],
    "Ohm m": [("Ohm m", 1.0), ("Ohm cm", 1e-2)],
}
#: a unit of another dimension for each default unit
WRONG_UNITS = {"deg": "kg", "km": "km/s", "km/s": "km", "m/s": "deg", "kg": "m", "day": "m",
               "min": "kg", "m": "s", "V": "A", "F": "H", "Ohm": "V", "Ohm m": "m"}


def key_path(path: Path_) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + part
    return text


def _get_parent(doc: dict, path: Path_):
    node = doc
    for part in path[:-1]:
        node = node[part]
    return node


def _set(doc: dict, path: Path_, value: Any) -> dict:
    new = copy.deepcopy(doc)
    _get_parent(new, path)[path[-1]] = value
    return new


def _drop(doc: dict, path: Path_) -> dict:
    new = copy.deepcopy(doc)
    del _get_parent(new, path)[path[-1]]
    return new


@dataclass(frozen=True)
class Mutation:
    """One change to an example: the mutated document and what loading it must do."""

    label: str
    doc: dict
    path: str                     # the key path the error must name ("" when valid)
    valid: bool
    expect: tuple | None = None   # (Path_, value in the default unit) for a valid replacement

    def __repr__(self) -> str:    # short hypothesis reports
        return f"Mutation({self.label})"


def _finite_outside(spec: Spec) -> st.SearchStrategy[float]:
    """A value (default unit) clearly outside ``[lo, hi]``."""
    options = []
    if spec.lo is not None:
        lo = spec.lo
        edge = lo - max(1e-6 * abs(lo), 1e-6)
        below = st.floats(min_value=-1e12, max_value=edge, allow_nan=False)
        options.append(below)
        if spec.lo_open:
            options.append(st.just(float(lo)))
    if spec.hi is not None:
        hi = spec.hi
        options.append(st.floats(min_value=hi + max(1e-6 * abs(hi), 1e-6), max_value=1e300,
                                 allow_nan=False))
    return st.one_of(options)


def _written(spec: Spec, value: float, how: int) -> Any:
    """``value`` (default unit) as a TOML number or as a string in one of the units."""
    if spec.kind != "quantity" or how == 0:
        return value
    name, factor = ALT_UNITS[spec.unit][how % len(ALT_UNITS[spec.unit])]
    return f"{value / factor!r} {name}"


def _strategies(base: dict, schema: dict, tables: dict, *, valid: bool | None):
    """Hypothesis strategies of :class:`Mutation` for one example file."""
    keys = sorted(schema, key=key_path)
    present = [k for k in keys if schema[k].present]
    out: list[st.SearchStrategy[Mutation]] = []

    def drop(path):
        spec = schema[path]
        return Mutation(f"drop {key_path(path)}", _drop(base, path), key_path(path),
                        not spec.required)

    def drop_table(path):
        return Mutation(f"drop [{key_path(path)}]", _drop(base, path), key_path(path),
                        not tables[path])

    def unknown(args):
        table, name = args
        known = {p[-1] for p in schema if p[:-1] == table} | {
            p[-1] for p in tables if p[:-1] == table}
        if name in known:
            name = name + "_x"
        return Mutation(f"unknown {key_path(table + (name,))}", _set(base, table + (name,), 1.5),
                        key_path(table + (name,)), False)

    wrong_types = {
        "quantity": [True, [1.0, 2.0], {"value": 1.0}, dt.datetime(2027, 1, 1), dt.time(7, 0)],
        "number": [True, "1.0", [1.0], {"a": 1}, dt.date(2027, 1, 1)],
        "integer": [True, 2.5, "3", [1], {"a": 1}],
        "string": [1, 2.5, True, ["a"], {"a": "b"}],
        "choice": [1, 2.5, False, ["PA"], {"a": "b"}],
        "boolean": ["true", 1, 0.0, [True], {"a": True}],
        "time": [2027, 2027.5, True, ["2027-01-01"], {"a": 1}, dt.time(12, 0)],
    }

    def wrong_type(args):
        path, i = args
        spec = schema[path]
        value = wrong_types[spec.kind][i % len(wrong_types[spec.kind])]
        return Mutation(f"{key_path(path)} = {value!r} (type)", _set(base, path, value),
                        key_path(path), False)

    def nonfinite(args):
        path, value, how = args
        spec = schema[path]
        if spec.kind == "quantity" and how:
            value = f"{value} {spec.unit}"
        return Mutation(f"{key_path(path)} = {value!r}", _set(base, path, value),
                        key_path(path), False)

    def outside(args):
        path, value, how = args
        written = _written(schema[path], value, how)
        if schema[path].kind == "integer":
            written = int(max(min(value, 2**62), -(2**62)))
        return Mutation(f"{key_path(path)} = {written!r} (range)", _set(base, path, written),
                        key_path(path), False)

    def bad_unit(args):
        path, text = args
        spec = schema[path]
        value = f"1.5 {WRONG_UNITS[spec.unit]}" if text is None else text
        return Mutation(f"{key_path(path)} = {value!r} (unit)", _set(base, path, value),
                        key_path(path), False)

    def bad_choice(args):
        path, text = args
        spec = schema[path]
        if text in spec.choices:
            text = text + "?"
        return Mutation(f"{key_path(path)} = {text!r} (choice)", _set(base, path, text),
                        key_path(path), False)

    def inside(args):
        path, frac, how = args
        spec = schema[path]
        lo, hi = spec.safe if spec.safe else (spec.lo, spec.hi)
        value = lo + (hi - lo) * (1e-6 + frac * (1 - 2e-6))
        if spec.kind == "integer":
            value = int(round(value))
        return Mutation(f"{key_path(path)} = {value!r} (valid)",
                        _set(base, path, _written(spec, value, how)), "", True,
                        expect=(path, value))

    numeric = [k for k in keys if schema[k].kind in ("quantity", "number", "integer")]
    bounded = [k for k in numeric if schema[k].lo is not None or schema[k].hi is not None]
    with_unit = [k for k in keys if schema[k].kind == "quantity"]
    choice = [k for k in keys if schema[k].kind == "choice"]
    replaceable = [k for k in numeric if schema[k].safe != ()
                   and schema[k].lo is not None and schema[k].hi is not None]
    table_paths = sorted(tables, key=key_path)
    invalid = [
        st.sampled_from([k for k in present if schema[k].required]).map(drop),
        st.sampled_from([t for t in table_paths if tables[t] and len(t) == 1]).map(drop_table),
        st.tuples(st.sampled_from([()] + table_paths),
                  st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)).map(unknown),
        st.tuples(st.sampled_from(keys), st.integers(0, 5)).map(wrong_type),
        st.tuples(st.sampled_from(numeric), st.sampled_from([math.nan, math.inf, -math.inf]),
                  st.integers(0, 1)).map(nonfinite),
        st.sampled_from(bounded).flatmap(lambda k: st.tuples(
            st.just(k), _finite_outside(schema[k]), st.integers(0, 3))).map(outside),
        st.tuples(st.sampled_from(with_unit),
                  st.sampled_from([None, None, "abc", "", "1.5 kmq", "one", "1 2 3",
                                   "__import__('os').system('true')"])).map(bad_unit),
        st.tuples(st.sampled_from(choice), st.text(max_size=12)).map(bad_choice),
    ]
    valid_ones = [
        st.sampled_from([k for k in present if not schema[k].required]).map(drop),
        st.tuples(st.sampled_from(replaceable), st.floats(0, 1), st.integers(0, 3)).map(inside),
    ]
    if valid is None:
        out = invalid + valid_ones
    else:
        out = valid_ones if valid else invalid
    return out


def _mission_specials() -> list[st.SearchStrategy[Mutation]]:
    """Mission mistakes that need more than one key or a particular value."""
    start = ("search", "start")

    def epoch(text):
        return Mutation(f"start = {text!r}", _set(MISSION, start, text), "search.start", False)

    def year(y):
        text = f"{y:04d}-06-01T00:00"
        return Mutation(f"start = {text}", _set(MISSION, start, text), "search.start", False)

    def grid(args):
        span_days, step_min = args
        doc = _set(_set(MISSION, ("search", "span"), f"{span_days} d"), ("search", "step"),
                   f"{step_min} min")
        return Mutation(f"span {span_days} d / step {step_min} min", doc, "search.step", False)

    def inside_earth(h):
        return Mutation(f"altitude {h} km", _set(MISSION, ("target", "altitude"), f"{h} km"),
                        "target.altitude", False)

    def zero_span(text):
        return Mutation(f"span = {text!r}", _set(MISSION, ("search", "span"), text),
                        "search.span", False)

    def elements(args):
        a, e = args
        target = {"kind": "elements", "semi_major_axis": f"{a} km", "eccentricity": e,
                  "inclination": "30 deg", "raan": "10 deg", "epoch": "2027-01-01T00:00"}
        return Mutation(f"elements a={a} e={e}", _set(MISSION, ("target",), target),
                        "target", False)

    def not_a_table(value):
        return Mutation(f"site = {value!r}", _set(MISSION, ("site",), value), "site", False)

    def end_of_ephemeris(days):
        doc = _set(_set(MISSION, start, "2050-12-01T00:00"), ("search", "span"), f"{days} d")
        return Mutation(f"span {days} d from 2050-12-01", doc, "search.span", False)

    def speeds(args):
        lo, hi = args
        doc = _set(_set(MISSION, ("launcher", "speed_min"), f"{lo} km/s"),
                   ("launcher", "speed_max"), f"{hi} km/s")
        return Mutation(f"speeds {lo}..{hi}", doc, "launcher.speed_max", False)

    return [
        st.sampled_from(["2027-02-30T00:00", "2027-13-01", "yesterday", "2027/01/01 00:00",
                         "", "2027-01-01T25:00", "J2027", "2027-01-01T00:00 XYZ"]).map(epoch),
        st.one_of(st.integers(1, 1899), st.integers(2051, 9999)).map(year),
        st.tuples(st.integers(140, 3660), st.integers(1, 1)).map(grid),        # > 200k epochs
        st.floats(-1e9, 119.9, allow_nan=False).map(lambda h: inside_earth(round(h, 3))),
        st.sampled_from(["0 d", "0 s", "-1 d", "0", "-0.0 h"]).map(zero_span),
        st.one_of(
            st.tuples(st.floats(6500.0, 12000.0, allow_nan=False),         # a(1-e) < R + 120
                      st.floats(0.5, 0.999)),
            st.tuples(st.floats(1.0e6 + 1.0, 1e300, allow_nan=False), st.just(0.0)),
        ).map(elements),
        st.sampled_from([5, "Procellarum", [1, 2], True, 1.5]).map(not_a_table),
        st.integers(32, 3660).map(end_of_ephemeris),
        st.tuples(st.floats(2.5, 5.0), st.floats(1.0, 2.5)).filter(
            lambda s: s[1] <= s[0]).map(speeds),
    ]


def mission_mutations(*, valid: bool | None = None) -> st.SearchStrategy[Mutation]:
    """Mutations of the example mission (``valid``: only valid/invalid ones, or both)."""
    parts = _strategies(MISSION, MISSION_SCHEMA, MISSION_TABLES, valid=valid)
    if valid is not True:
        parts = parts + _mission_specials()
    return st.one_of(parts)


def _coilgun_specials() -> list[st.SearchStrategy[Mutation]]:
    """Per-stage lists (one value per stage): one bad element, or the wrong length."""
    stages = COILGUN["sections"][0]["stages"]
    per_stage = [k for k in ("voltage", "capacitance", "trigger_offset", "series_resistance")]

    def one_bad(args):
        key, index, bad, as_text = args
        spec = COILGUN_SCHEMA[_S + (key,)]
        good = 0.5 * (spec.lo + (spec.hi if spec.hi is not None else spec.lo + 2.0))
        if spec.lo_open and good == spec.lo:
            good = spec.lo + 1.0
        values: list[Any] = [good] * stages
        values[index] = f"{bad} {spec.unit}" if as_text else bad
        return Mutation(f"{key}[{index}] = {bad!r}", _set(COILGUN, _S + (key,), values),
                        f"sections[0].{key}", False)

    def wrong_length(args):
        key, n = args
        return Mutation(f"{key} with {n} values", _set(COILGUN, _S + (key,), [1.0] * n),
                        f"sections[0].{key}", False)

    def outside(key):
        return _finite_outside(COILGUN_SCHEMA[_S + (key,)])

    return [
        st.sampled_from(per_stage).flatmap(lambda k: st.tuples(
            st.just(k), st.integers(0, stages - 1),
            st.one_of(outside(k), st.sampled_from([math.nan, math.inf, -math.inf])),
            st.booleans())).map(one_bad),
        st.tuples(st.sampled_from(per_stage),
                  st.integers(1, 12).filter(lambda n: n != stages)).map(wrong_length),
    ]


def coilgun_mutations(*, valid: bool | None = None) -> st.SearchStrategy[Mutation]:
    """Mutations of the example coilgun (``valid``: only valid/invalid ones, or both)."""
    parts = _strategies(COILGUN, COILGUN_SCHEMA, COILGUN_TABLES, valid=valid)
    if valid is not True:
        parts = parts + _coilgun_specials()
    return st.one_of(parts)


def check_error_line(message: str, path: str) -> None:
    """One line, naming the key path (``site`` also matches ``[site]``/``site.lat``)."""
    assert "\n" not in message and message.strip() == message, message
    assert 10 < len(message) < 400, message
    assert path in message, f"{path!r} not named in {message!r}"
    assert "Traceback" not in message
