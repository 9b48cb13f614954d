"""Generate docs/config.md, the reference of every configuration key, from the parsers themselves.

There is no separate schema to keep in step with the code: the real parsers
(:func:`massdriver.config.load_mission`, :func:`massdriver.config.coilgun_from_config`,
:func:`massdriver.config.load_campaign`) are run on sample files with a
:class:`massdriver.config.Table` subclass that records every key they ask for, with its type,
unit, default, bounds and choices. A range the model constructor enforces is the
:class:`massdriver.bounds.Bound` the parser hands to the getter (``bound=``), so the page shows
the range the code checks. Each kind of ``[target]`` and
``[armature]`` is run once. Descriptions come from the numpydoc sections of the classes and
functions the keys feed (``LaunchSite``, ``SearchSpec``, ``circular``, ``DriveCoil``...), or from
:data:`DESCRIPTIONS` below when the parameter has another name or no docstring.

The same records give a JSON Schema of each file (``massdriver/config/schema/*.schema.json``,
shipped with the package) for editors and other tools. The schema is the parsers' shape (keys,
types, choices, plain-number ranges, required keys); rules across keys (``pitch`` when
``stages > 1``, ``raan`` with ``epoch``...) and ranges of values written with a unit stay the
parsers' job.

Usage::

    python docs/gen_config_reference.py            # rewrite docs/config.md and the schemas
    python docs/gen_config_reference.py --check    # exit 1 if any of them is out of date

``tests/test_docs.py`` runs the check, so a new or changed key fails the suite until the page
is regenerated (and a key without any description fails it too).
"""

from __future__ import annotations

import argparse
import copy
import inspect
import json
import math
import re
import sys
import tomllib
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "config.md"
SCHEMA_DIR = ROOT / "massdriver" / "config" / "schema"
EXAMPLES = ROOT / "examples"

#: descriptions of keys whose docstring parameter has another name, is shared or is missing:
#: ``(file, section, key)`` or ``(file, section, key, kind)`` for one kind of a table with
#: kinds; section ``""`` = the top level. They take precedence over the docstrings.
DESCRIPTIONS: dict[tuple, str] = {
    ("mission", "", "name"): "Mission name, shown in the report (default: the file name).",
    ("mission", "", "site"): "Where the track is (see [site]).",
    ("mission", "", "launcher"): "What the launcher can deliver (see [launcher]).",
    ("mission", "", "target"): "The Earth orbit to reach (see [target]).",
    ("mission", "", "search"): "Which launch epochs to scan and what makes a window "
                               "(see [search]).",
    ("mission", "site", "azimuth"): "Track azimuth clockwise from local north, [0, 360] deg "
                                    "(90 deg = due east), or \"auto\": `solve` and `windows` "
                                    "then choose it with a coarse track search first "
                                    "(docs/aim.md).",
    ("mission", "site", "elevation"): "Track elevation above the local horizontal, [0, 90] "
                                      "deg, or \"auto\" (as `azimuth`).",
    # a campaign's site has no track search: no "auto" there
    ("campaign", "site", "azimuth"): "Track azimuth clockwise from local north, [0, 360] deg "
                                     "(90 deg = due east).",
    ("campaign", "site", "elevation"): "Track elevation above the local horizontal, [0, 90] "
                                       "deg.",
    ("mission", "", "satellite"): "The arriving satellite: mass, engines, aerodynamics, limits "
                                  "(see [satellite]; optional: without it only the impulsive "
                                  "budget is priced).",
    ("mission", "", "arrival"): "Which arrival strategies to price and how (see [arrival]; "
                                "needs [satellite]).",
    ("mission", "satellite", "engines"): "One [[satellite.engines]] table per engine; at "
                                         "least one chemical.",
    ("mission", "arrival", "strategies"): "Comma-separated strategies to price (impulsive, "
                                          "finite_burn, multi_pass, aerobraking, aerocapture) "
                                          "or \"all\".",
    ("mission", "arrival", "solar_activity"): "Solar level of the atmosphere (NRLMSIS 2.x "
                                              "factor on the 1976 standard).",
    ("mission", "launcher", "coilgun"): "A coilgun file (path relative to the mission file) "
                                        "describing the launcher; see the coilgun file below.",
    ("mission", "target", "kind"): "Which kind of target orbit; the other keys depend on it.",
    ("mission", "target", "name"): "Label for reports (default: made from the kind and shape).",
    ("mission", "target", "ltan"): "Mean local time of the ascending node: \"HH:MM\" (a "
                                   "string) or hours as a number (default 6.0).",
    ("mission", "target", "semi_major_axis"): "Semi-major axis; the perigee altitude "
                                              "a (1 - e) - R_earth must be >= 120 km.",
    ("mission", "target", "eccentricity"): "Eccentricity.",
    ("mission", "target", "argument_of_perigee"): "Argument of perigee (kept for reference: the "
                                                  "budgets leave the line of apsides free).",
    ("mission", "target", "raan"): "Right ascension of the ascending node at `epoch`.",
    ("mission", "target", "epoch"): "Epoch at which `raan` (or `raan0`) holds.",
    ("mission", "target", "frame"): "Frame of the angles: mean equator and equinox of date, or "
                                    "the ICRF equator and x axis.",
    ("mission", "target", "raan_drift"): "Let the RAAN drift at the J2 secular rate from "
                                         "`epoch`.",
    ("mission", "target", "inclination", "elements"): "Inclination.",
    ("mission", "target", "inclination", "walker"): "Inclination of every plane (mean equator "
                                                    "of date).",
    ("mission", "target", "total", "walker"): "T, the number of satellites (a multiple of "
                                              "`planes`).",
    ("mission", "target", "planes", "walker"): "P, the number of equally spaced planes.",
    ("mission", "target", "phasing", "walker"): "F, the phasing, 0 .. planes - 1 (an in-plane "
                                                "matter the budgets do not price).",
    ("mission", "target", "plane"): "Which plane (0-based) of the constellation to launch to; "
                                    "required in a mission file.",
    ("campaign", "", "satellite"): "The arriving satellite, as in a mission file (optional: "
                                   "with it each shot's insertion is priced with every arrival "
                                   "strategy and its propellant is the chosen one's).",
    ("campaign", "", "arrival"): "Which arrival strategies to price and how, as in a mission "
                                 "file (needs [satellite]).",
    ("campaign", "satellite", "engines"): "One [[satellite.engines]] table per engine; at "
                                          "least one chemical.",
    ("campaign", "arrival", "strategies"): "Comma-separated strategies to price (impulsive, "
                                           "finite_burn, multi_pass, aerobraking, aerocapture) "
                                           "or \"all\".",
    ("campaign", "arrival", "solar_activity"): "Solar level of the atmosphere (NRLMSIS 2.x "
                                               "factor on the 1976 standard).",
    ("campaign", "", "name"): "Campaign name, shown in the outputs (default: the file name).",
    ("campaign", "", "site"): "Where the track is (as in a mission file).",
    ("campaign", "", "launcher"): "What the launcher can deliver (as in a mission file).",
    ("campaign", "", "target"): "The constellation: one target, or `kind = \"walker\"` for all "
                                "its planes.",
    ("campaign", "", "targets"): "The constellation as a list of target orbits, one per plane.",
    ("campaign", "", "search"): "Campaign span, grid and delta-v threshold (as in a mission "
                                "file).",
    ("campaign", "", "campaign"): "Satellites, propulsion and launcher power (see [campaign]).",
    ("campaign", "campaign", "satellites_per_plane"): "Satellites to deliver to each plane: one "
        "integer for all, or one per plane (default for a Walker target: total / planes).",
    ("campaign", "campaign", "satellite_mass"): "Satellite mass at arrival, before its "
                                                "insertion burns (the rocket equation's wet mass"
                                                "); with a [satellite] optional and equal to its "
                                                "wet_mass.",
    ("campaign", "campaign", "isp"): "Specific impulse of the satellite's thruster; with a "
                                     "[satellite] optional and equal to its capture engine's.",
    ("campaign", "campaign", "power"): "Average power recharging the launcher's banks.",
    ("campaign", "campaign", "energy_per_shot"): "Bank energy of one shot (alternative to "
                                                 "`efficiency` or a coilgun model).",
    ("campaign", "campaign", "efficiency"): "Bank energy to muzzle kinetic energy (alternative "
                                            "to `energy_per_shot`).",
    ("campaign", "campaign", "max_shot_rate"): "Optional limit on the firing rate.",
    ("campaign", "campaign", "policy"): "Assignment of satellites to launch slots: cheapest "
                                        "first, or as early as the launcher is ready.",
    ("campaign", "campaign", "dispersion_samples"): "Monte Carlo samples of each window's "
                                                    "dispersion margin.",
    ("campaign", "campaign", "seed"): "Seed of the Monte Carlo (results are deterministic).",
    ("coilgun", "", "name"): "Label for outputs and reports.",
    ("coilgun", "", "losses"): "Loss models, each on by default (see [losses] and "
                               "docs/coilgun.md).",
    ("coilgun", "", "thermal"): "Coil cooling, temperature limits and charging power (see "
                                "[thermal]).",
    ("coilgun", "", "tolerances"): "One-sigma shot-to-shot errors for the launcher Monte Carlo "
                                   "(see [tolerances]).",
    ("mission", "launcher", "dispersion_shots"): "Monte Carlo shots of the coilgun's "
                                                 "[tolerances] when a sigma is `\"from-coilgun\"`.",
    ("coilgun", "", "coilgun"): "The whole coilgun may sit in a [coilgun] table instead of the "
                                "top level (same keys).",
    ("coilgun", "", "armature"): "The carrier's armature (see [armature]).",
    ("coilgun", "", "sections"): "Runs of identical drive stages, in track order (see "
                                 "[[sections]]); at least one.",
    ("coilgun", "sections", "stages"): "Number of stages in this section.",
    ("coilgun", "sections", "pitch"): "Distance between consecutive coil centres (required "
                                      "when stages > 1).",
    ("coilgun", "sections", "first_position"): "Centre of the section's first coil along the "
                                               "track (default: one pitch after the previous "
                                               "section's last coil, or 0).",
    ("coilgun", "sections", "trigger_offset"): "Carrier position relative to the coil centre "
                                               "at which the switch closes; one value or a "
                                               "list of one per stage.",
    ("coilgun", "sections", "voltage"): "Signed charge voltage of each bank (the sign sets the "
                                        "current direction); one value or one per stage.",
    ("coilgun", "sections", "capacitance"): "Capacitance of each bank; one value or one per "
                                            "stage.",
    ("coilgun", "sections", "series_resistance"): "Bank + switch + leads resistance in series "
                                                  "with the coil; one value or one per stage.",
    ("coilgun", "sections", "coil"): "Geometry of the section's drive coils (see "
                                     "[sections.coil]).",
    # the throughput plan (massdriver throughput)
    ("throughput", "", "name"): "Plan name, shown in the outputs (default: the file name).",
    ("throughput", "", "start"): "UTC epoch at which the launchers are ready (banks charged, "
                                 "coils cold) and the horizon begins.",
    ("throughput", "", "horizon"): "Length of the plan: a year by default, at most 18.6 years "
                                   "(the nodal cycle of the Moon's orbit); `--horizon` "
                                   "overrides it.",
    ("throughput", "", "step"): "Pricing grid: every shot is priced by linear interpolation of "
                                "the window scan between the two grid epochs around it; "
                                "`--step` overrides it.",
    ("throughput", "", "threshold"): "A shot is fired only where its total insertion delta-v "
                                     "(no margin) is under this.",
    ("throughput", "", "satellite"): "The satellite (see [satellite]).",
    ("throughput", "", "arrival"): "Which arrival strategies each shot may fly and how, as in a "
                                   "mission file (needs the satellite model; default with it: "
                                   "all, chosen by propellant).",
    ("throughput", "", "arrival_step"): "Node spacing of the arrival-strategy pricing: every "
                                        "strategy is flown at nodes this far apart and its "
                                        "difference from the impulsive total interpolated to "
                                        "each shot (with the satellite model only).",
    ("throughput", "arrival", "strategies"): "Comma-separated strategies to price (impulsive, "
                                             "finite_burn, multi_pass, aerobraking, "
                                             "aerocapture) or \"all\"; \"impulsive\" prices "
                                             "every shot impulsively.",
    ("throughput", "arrival", "solar_activity"): "Solar level of the atmosphere (NRLMSIS 2.x "
                                                 "factor on the 1976 standard).",
    ("throughput", "", "launchers"): "The launchers, one table each (see [[launchers]]).",
    ("throughput", "", "shells"): "The orbit shells to fill, one table each (see [[shells]]).",
    ("throughput", "satellite", "mass"): "Satellite mass at arrival, before its insertion "
                                         "burns: the mass delivered per shot (hand-typed "
                                         "form, with `isp`; or the model: `wet_mass`, "
                                         "`engines`).",
    ("throughput", "satellite", "isp"): "Specific impulse of the satellite's thruster "
                                        "(propellant by the rocket equation; hand-typed form).",
    ("throughput", "launchers", "name"): "Label for outputs (default: launchers[i]).",
    ("throughput", "launchers", "site"): "The track: a table with the keys of a mission's "
                                         "[site].",
    ("throughput", "launchers", "speed_min"): "Lowest exit speed the launcher gives.",
    ("throughput", "launchers", "speed_max"): "Highest exit speed the launcher gives.",
    ("throughput", "launchers", "payload_mass"): "Mass leaving the track (at least the "
                                                 "satellite mass).",
    ("throughput", "launchers", "energy_per_shot"): "Bank energy of one shot (alternative to "
                                                    "`efficiency`).",
    ("throughput", "launchers", "efficiency"): "Bank energy to muzzle kinetic energy (the "
                                               "shot energy then grows as the speed squared).",
    ("throughput", "launchers", "thermal"): "Lumped coil heating (see [launchers.thermal]); "
                                            "absent: the coilgun file's heating, else heating "
                                            "is not a limit.",
    ("throughput", "launchers", "power"): "Average power recharging the banks (absent: the "
                                          "coilgun file's [thermal] charging_power).",
    ("throughput", "launchers", "coilgun"): "Coilgun file (relative to the plan): energy per "
                                            "shot (grid energy, scaled as v^2), coil heating "
                                            "and charging power from a shot simulated at "
                                            "`coilgun_speed`; hand-typed keys win.",
    ("throughput", "launchers", "coilgun_speed"): "Exit speed of the simulated coilgun shot "
                                                  "(needs `coilgun`).",
    ("throughput", "satellite", "wet_mass"): "Satellite model (issue 17, as a mission's "
                                             "[satellite]): mass at arrival, delivered per "
                                             "shot; its capture engine's Isp prices the "
                                             "propellant (instead of `mass`, `isp`).",
    ("throughput", "satellite", "engines"): "One [[satellite.engines]] table per engine; at "
                                            "least one chemical (the capture engine: the "
                                            "largest-thrust chemical one).",
    ("throughput", "shells", "name"): "Label for outputs (default: shells[i]).",
    ("throughput", "shells", "altitude"): "Circular orbit altitude above the Earth's "
                                          "equatorial radius.",
    ("throughput", "shells", "inclination"): "Inclination, or `\"sso\"` for a "
                                             "sun-synchronous shell (its inclination follows "
                                             "from the altitude).",
    ("throughput", "shells", "ltan"): "Mean local time of the ascending node of an `sso` "
                                      "shell, \"HH:MM\" (default 06:00, dawn-dusk).",
    ("throughput", "shells", "planes"): "Fixed planes, equally spaced in RAAN from `raan0` at "
                                        "`start` (then drifting with J2); absent: a free RAAN "
                                        "(any plane of that inclination). 1 for `sso`.",
    ("throughput", "shells", "raan0"): "RAAN of plane 0 at `start` (with `planes`).",
    ("throughput", "shells", "tonnes_per_year"): "Demand in tonnes per year, or `\"max\"` "
                                                 "for as much as possible; each year's "
                                                 "demand may be fired any time that year.",
}

#: defaults that depend on the file and cannot be shown as the recorded value
DEFAULT_TEXT: dict[tuple[str, str, str], str] = {
    ("throughput", "", "name"): "the file name",
    ("throughput", "launchers", "coilgun_speed"): "the middle of the speed range",
    ("throughput", "launchers", "name"): "`launchers[i]`",
    ("throughput", "launchers", "payload_mass"): "the satellite mass",
    ("throughput", "shells", "name"): "`shells[i]`",
    ("mission", "", "name"): "the file name",
    ("coilgun", "sections", "pitch"): "**required** when stages > 1 (else 1 m)",
}

_REQUIRED_TEXT = "**required**"


@dataclass
class Spec:
    """One key as a parser asked for it."""

    kind: str
    unit: str = ""
    default: Any = None
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    choices: tuple | None = None


@dataclass
class Record:
    file: str
    variant: tuple[str, str] | None          # (section, kind) this run stands for
    section: str
    key: str
    spec: Spec


def _section(path: str) -> str:
    """``sections[2].coil`` -> ``sections.coil``."""
    return re.sub(r"\[\d+\]", "", path)


def _recording_table(records: list[Record], file: str, variant):
    from massdriver.config import REQUIRED, Table

    def limits(minimum, maximum, exclusive_minimum, bound):
        if bound is not None:
            return bound.minimum, bound.maximum, bound.exclusive_minimum
        return minimum, maximum, exclusive_minimum

    def note(table, key, spec):
        records.append(Record(file, variant, _section(table.path), key, spec))

    class RecordingTable(Table):
        def quantity(self, key, unit, *, default=REQUIRED, minimum=None, maximum=None,
                     exclusive_minimum=False, bound=None):
            note(self, key, Spec("quantity", unit, default, default is REQUIRED,
                                 *limits(minimum, maximum, exclusive_minimum, bound)))
            return super().quantity(key, unit, default=default, minimum=minimum,
                                    maximum=maximum, exclusive_minimum=exclusive_minimum,
                                    bound=bound)

        def number(self, key, *, default=REQUIRED, minimum=None, maximum=None,
                   exclusive_minimum=False, bound=None):
            note(self, key, Spec("number", "", default, default is REQUIRED,
                                 *limits(minimum, maximum, exclusive_minimum, bound)))
            return super().number(key, default=default, minimum=minimum, maximum=maximum,
                                  exclusive_minimum=exclusive_minimum, bound=bound)

        def integer(self, key, *, default=REQUIRED, minimum=None, maximum=None, bound=None):
            note(self, key, Spec("integer", "", default, default is REQUIRED,
                                 *limits(minimum, maximum, False, bound)))
            return super().integer(key, default=default, minimum=minimum, maximum=maximum,
                                   bound=bound)

        def string(self, key, *, default=REQUIRED, choices=None, checked=True):
            note(self, key, Spec("string", "", default, default is REQUIRED,
                                 choices=tuple(choices) if choices else None))
            return super().string(key, default=default, choices=choices, checked=checked)

        def listed(self, key):
            note(self, key, Spec("list"))            # the key also takes a list of values
            return super().listed(key)

        def boolean(self, key, *, default=REQUIRED):
            note(self, key, Spec("boolean", "", default, default is REQUIRED))
            return super().boolean(key, default=default)

        def time(self, key, *, default=REQUIRED):
            note(self, key, Spec("epoch", "", default, default is REQUIRED))
            return super().time(key, default=default)

        def table(self, key, *, required=True):
            note(self, key, Spec("table", "", None, required))
            t = super().table(key, required=required)
            return None if t is None else type(self)(t.data, t.path, t.source)

        def tables(self, key, *, required=True):
            note(self, key, Spec("array of tables", "", None, required))
            return [type(self)(t.data, t.path, t.source)
                    for t in super().tables(key, required=required)]

    return RecordingTable


# ------------------------------------------------------------------------------------------------
# sample inputs: the example files, plus the kinds no example uses
# ------------------------------------------------------------------------------------------------
def _mission_samples() -> list[tuple[tuple[str, str], dict]]:
    base = tomllib.loads((EXAMPLES / "leo_from_procellarum.toml").read_text())
    base.get("launcher", {}).pop("coilgun", None)
    base["mid_course"] = True
    base.setdefault("arrival", {})        # every [arrival] key is then read (with defaults)
    targets = {
        "circular": base["target"],
        "sun_synchronous": tomllib.loads((EXAMPLES / "sso_dawn_dusk.toml").read_text())["target"],
        "geo": {"kind": "geo"},
        "elements": {"kind": "elements", "semi_major_axis": "26560 km", "eccentricity": 0.01,
                     "inclination": "55 deg", "raan": "30 deg", "epoch": "2027-01-01T00:00"},
        "walker": {"kind": "walker", "inclination": "53 deg", "total": 24, "planes": 3,
                   "phasing": 1, "altitude": "550 km", "plane": 0},
    }
    out = []
    for kind, target in targets.items():
        sample = copy.deepcopy(base)
        sample["target"] = copy.deepcopy(target)
        out.append((("target", kind), sample))
    # the numeric form of ltan (the example uses "HH:MM")
    sample = copy.deepcopy(base)
    sample["target"] = {"kind": "sun_synchronous", "altitude": "600 km"}
    out.append((("target", "sun_synchronous"), sample))
    return out


def _coilgun_samples() -> list[tuple[tuple[str, str], dict]]:
    lab = tomllib.loads((EXAMPLES / "coilgun_lab.toml").read_text())
    driven = copy.deepcopy(lab)
    driven["armature"] = {"kind": "driven", "inner_radius": "18 mm", "outer_radius": "23 mm",
                          "length": "30 mm", "turns": 100, "current": "500 A"}
    # the realism tables (issue 18), every key given
    lab["losses"] = {"capacitor_dissipation_factor": 0.001, "switch_threshold_voltage": "1 V",
                     "switch_slope_resistance": "0.25 mOhm", "switch_device_voltage": "2.5 kV",
                     "switch_device_current": "50 kA", "coil_ac_resistance": True,
                     "armature_resistance": True, "charger_efficiency": 0.88,
                     "residual_recovery": 0.9, "cryo_heat_load": "5 W",
                     "cryo_time_per_shot": "600 s", "cryo_temperature": "20 K",
                     "cryo_carnot_fraction": 0.3, "ambient_temperature": "300 K"}
    lab["thermal"] = {"heat_transfer_coefficient": 50, "ambient_temperature": "300 K",
                      "max_temperature": "403 K", "armature_max_temperature": "573 K",
                      "charging_power": "1 kW"}
    lab["tolerances"] = {"voltage": 0.001, "voltage_common": 0.0005, "trigger_jitter": "1 us",
                         "mass": 0.001, "alignment": "1e-5 rad"}
    return [(("armature", "induction"), lab), (("armature", "driven"), driven)]


def _campaign_samples() -> list[tuple[tuple[str, str], dict]]:
    walker = tomllib.loads((EXAMPLES / "campaign_walker.toml").read_text())
    planes = copy.deepcopy(walker)
    del planes["target"]
    planes["targets"] = [{"kind": "circular", "altitude": "550 km", "inclination": "28.5 deg",
                          "raan": "0 deg", "epoch": "2027-01-01T00:00"},
                         {"kind": "circular", "altitude": "550 km", "inclination": "28.5 deg",
                          "raan": "120 deg", "epoch": "2027-01-01T00:00"}]
    planes["campaign"]["satellites_per_plane"] = [4, 4]
    planes["campaign"].pop("efficiency")
    planes["campaign"]["energy_per_shot"] = "6 GJ"
    # arrival strategies (issue 17): the LEO example's satellite, every [arrival] key read
    leo = tomllib.loads((EXAMPLES / "leo_from_procellarum.toml").read_text())
    planes["satellite"] = leo["satellite"]
    planes["arrival"] = {}
    return [(("target", "walker"), walker), (("targets", "circular"), planes)]


def _throughput_samples() -> list[tuple[tuple[str, str], dict]]:
    plan = tomllib.loads((EXAMPLES / "throughput_1mt.toml").read_text())
    other = copy.deepcopy(plan)
    other["launchers"][0].pop("efficiency")
    other["launchers"][0]["energy_per_shot"] = "6 GJ"
    other["launchers"][0]["max_shot_rate"] = "100 /h"
    other["launchers"][0]["payload_mass"] = "1200 kg"
    other["shells"][0] = {"name": "walker-like", "altitude": "550 km", "inclination": "53 deg",
                          "planes": 3, "raan0": "10 deg", "tonnes_per_year": "max"}
    joined = copy.deepcopy(plan)          # issues 17 and 18: the models instead of numbers
    joined["satellite"] = {"wet_mass": "1000 kg", "drag_area": "4 m2", "drag_coefficient": 2.2,
                           "lift_to_drag": 0.0, "nose_radius": "1 m", "max_g": 5.0,
                           "max_heat_rate": "0.5 W/cm2", "max_heat_load": "200 J/cm2",
                           "engines": [{"thrust": "2 kN", "isp": "320 s", "kind": "chemical",
                                        "name": "main"}]}
    joined["arrival"] = {"strategies": "all", "choose_by": "propellant",
                         "solar_activity": "mean", "steering": "velocity", "max_burn": "600 s",
                         "capture_apoapsis": "20000 km", "max_days": "365 d"}
    joined["arrival_step"] = "1 d"
    for la in joined["launchers"]:
        for key in ("efficiency", "thermal", "power"):
            la.pop(key, None)
        la["coilgun"] = "coilgun_lab.toml"
        la["coilgun_speed"] = "2.5 km/s"
    return [(("plan", "example"), plan), (("plan", "variant"), other),
            (("plan", "models"), joined)]


def collect() -> list[Record]:
    """Run the parsers on the samples and return every key they read."""
    records: list[Record] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")        # ERFA "dubious year" for far epochs
        _run_parsers(records)
    return records


def _run_parsers(records: list[Record]) -> None:
    import astropy.units as u

    from massdriver.campaign import ShotEnergy
    from massdriver.config import campaign, coilgun, mission
    from massdriver.config import throughput as throughput_config
    from massdriver.config.table import read_toml

    for variant, sample in _mission_samples():
        table_cls = _recording_table(records, "mission", variant)

        def fake_read(path, _sample=sample, _cls=table_cls):
            return _cls(_sample, "", "<sample>")

        with mock.patch.object(mission, "read_toml", fake_read):
            mission.load_mission(EXAMPLES / "sample_mission.toml")
    for variant, sample in _coilgun_samples():
        table_cls = _recording_table(records, "coilgun", variant)
        coilgun.coilgun_from_config(table_cls(sample, "", "<sample>"))
    for variant, sample in _campaign_samples():
        table_cls = _recording_table(records, "campaign", variant)

        def fake_read(path, _sample=sample, _cls=table_cls):
            return _cls(_sample, "", "<sample>")

        with mock.patch.object(campaign, "read_toml", fake_read):
            campaign.load_campaign(EXAMPLES / "sample_campaign.toml")
    for variant, sample in _throughput_samples():
        table_cls = _recording_table(records, "throughput", variant)

        def fake_read(path, _sample=sample, _cls=table_cls):
            if Path(path).name != "sample_throughput.toml":     # the coilgun file
                return read_toml(path)
            return _cls(_sample, "", "<sample>")

        # the coilgun's shot is not simulated here: only the keys are recorded
        gun = (ShotEnergy(5e9 * u.J, 2.5 * u.km / u.s), None, 2e8 * u.W)
        with mock.patch.object(throughput_config, "read_toml", fake_read), \
                mock.patch("massdriver.throughput.coilgun_model", return_value=gun):
            throughput_config.load_throughput(EXAMPLES / "sample_throughput.toml")


# ------------------------------------------------------------------------------------------------
# descriptions from docstrings
# ------------------------------------------------------------------------------------------------
def _doc_params(obj) -> dict[str, str]:
    """``{name: first paragraph}`` from the Parameters/Attributes sections of a numpydoc."""
    doc = inspect.getdoc(obj) or ""
    out: dict[str, str] = {}
    section = None
    current: list[str] | None = None
    lines = doc.splitlines()
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if nxt and set(nxt.strip()) == {"-"} and line.strip():
            section = line.strip()
            current = None
            continue
        if set(line.strip()) == {"-"}:
            continue
        if section not in ("Parameters", "Attributes"):
            continue
        m = re.match(r"^(\w[\w, ]*?)\s*:\s*(.*)$", line)
        if m and not line.startswith(" "):
            current = []
            for name in m.group(1).split(","):
                out[name.strip()] = current          # shared list: filled below
            continue
        if current is not None:
            if line.strip() == "":
                if current:
                    current = None                   # first paragraph only
                continue
            current.append(line.strip())
    return {k: " ".join(v) for k, v in out.items() if v}


def _doc_sources() -> dict[tuple[str, str, str | None], list[tuple[Any, dict[str, str]]]]:
    """``(file, section, variant kind) -> [(object, {config key: docstring name})]``."""
    from massdriver import (
        arrival,
        coilgun,
        coilgun_losses,
        coilgun_tolerances,
        mission,
        satellite,
        site,
        targets,
        throughput,
    )

    elements_alias = {"semi_major_axis": "a", "eccentricity": "ecc", "inclination": "inc",
                      "argument_of_perigee": "argp"}
    return {
        ("mission", "", None): [(mission.MissionConfig, {})],
        ("mission", "site", None): [(site.LaunchSite, {})],
        ("mission", "launcher", None): [(mission.LauncherSpec, {})],
        ("mission", "search", None): [(mission.SearchSpec, {})],
        ("mission", "satellite", None): [(satellite.Satellite, {})],
        ("mission", "satellite.engines", None): [(satellite.Engine, {})],
        ("mission", "arrival", None): [(arrival.ArrivalOptions, {})],
        ("campaign", "satellite", None): [(satellite.Satellite, {})],
        ("campaign", "satellite.engines", None): [(satellite.Engine, {})],
        ("campaign", "arrival", None): [(arrival.ArrivalOptions, {})],
        ("mission", "target", "circular"): [(targets.circular, {})],
        ("mission", "target", "sun_synchronous"): [(targets.sun_synchronous, {})],
        ("mission", "target", "geo"): [(targets.geo, {})],
        ("mission", "target", "elements"): [(targets.from_elements, elements_alias)],
        ("mission", "target", "walker"): [(targets.walker, {})],
        ("coilgun", "", None): [(coilgun.Coilgun, {})],
        ("coilgun", "armature", "induction"): [(coilgun.Armature, {})],
        ("coilgun", "armature", "driven"): [(coilgun.Armature, {})],
        ("coilgun", "sections", None): [(coilgun.Stage, {})],
        ("coilgun", "sections.coil", None): [(coilgun.DriveCoil, {})],
        ("coilgun", "losses", None): [(coilgun_losses.Losses, {})],
        ("coilgun", "thermal", None): [(coilgun_losses.Thermal, {})],
        ("coilgun", "tolerances", None): [(coilgun_tolerances.Tolerances, {})],
        ("throughput", "", None): [(throughput.ThroughputPlan, {})],
        ("throughput", "arrival", None): [(arrival.ArrivalOptions, {})],
        ("throughput", "launchers", None): [(throughput.ThroughputLauncher, {})],
        ("throughput", "launchers.site", None): [(site.LaunchSite, {})],
        ("throughput", "launchers.thermal", None): [(throughput.CoilThermal, {})],
        ("throughput", "shells", None): [(throughput.Shell, {})],
        ("throughput", "satellite", None): [(throughput.SatelliteSpec, {}),
                                            (satellite.Satellite, {})],
        ("throughput", "satellite.engines", None): [(satellite.Engine, {})],
    }


def _markdown(text: str) -> str:
    """reST inline markup of docstrings -> Markdown: ``x`` and :role:`x` -> `x`."""
    text = re.sub(r":\w+:`~?([^`]+)`", r"`\1`", text)
    return text.replace("``", "`")


def describe(file: str, section: str, kind: str | None, key: str) -> str:
    """The description of one key ('' when there is none)."""
    text = DESCRIPTIONS.get((file, section, key, kind)) or DESCRIPTIONS.get((file, section, key))
    if text:
        return text
    for obj, alias in _doc_sources().get((file, section, kind), []):
        params = _doc_params(obj)
        name = alias.get(key, key)
        if name in params:
            return _markdown(params[name])
    if file == "campaign" and section in ("site", "launcher", "search", "target", "targets"):
        # the sections a campaign file shares with a mission file mean the same there
        return describe("mission", "target" if section == "targets" else section, kind, key)
    return ""


# ------------------------------------------------------------------------------------------------
# rendering
# ------------------------------------------------------------------------------------------------
def _g(x: float) -> str:
    return f"{x:g}"


def _default_text(spec: Spec) -> str:
    if spec.required:
        return _REQUIRED_TEXT
    d = spec.default
    if d is None:
        return "none"
    if isinstance(d, bool):
        return "`true`" if d else "`false`"
    if hasattr(d, "unit") and hasattr(d, "value"):
        return f"{_g(float(d.value))} {d.unit.to_string()}".strip()
    if isinstance(d, (int, float)):
        return f"{_g(d)} {spec.unit}".strip()
    if isinstance(d, str):
        return f'`"{d}"`'
    return str(d)


def _allowed_text(spec: Spec) -> str:
    if spec.choices:
        return ", ".join(f'`"{c}"`' for c in spec.choices)
    if spec.kind == "boolean":
        return "`true`, `false`"
    lo, hi = spec.minimum, spec.maximum
    unit = f" {spec.unit}" if spec.unit else ""
    parts = []
    if lo is not None:
        if lo == -math.inf:
            lo = None
    if lo is not None:
        parts.append(f"{'>' if spec.exclusive_minimum else '>='} {_g(lo)}{unit}")
    if hi is not None:
        parts.append(f"<= {_g(hi)}{unit}")
    return ", ".join(parts)


def _type_text(spec: Spec) -> str:
    if spec.kind == "quantity":
        return f"quantity [{spec.unit}]"
    return spec.kind


def _merge(specs: list[Spec]) -> tuple[str, str, str]:
    """Type, default and allowed text of one key asked for in several ways."""
    types, defaults, allowed = [], [], []
    for s in specs:
        if s.kind == "list":
            continue
        for lst, text in ((types, _type_text(s)), (defaults, _default_text(s)),
                          (allowed, _allowed_text(s))):
            if text and text not in lst:
                lst.append(text)
    if any(s.kind == "list" for s in specs):
        types.append("list")                        # one value, or a list of them
    if len(defaults) > 1 and _REQUIRED_TEXT in defaults:
        defaults.remove(_REQUIRED_TEXT)             # optional in one of its forms
    return " or ".join(types), "; ".join(defaults), "; ".join(allowed)


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def _table(file: str, section: str, kind: str | None, keys: dict[str, list[Spec]],
           missing: list[str]) -> list[str]:
    lines = ["| key | type | default | allowed | description |",
             "|---|---|---|---|---|"]
    for key, specs in keys.items():
        typ, default, allowed = _merge(specs)
        default = DEFAULT_TEXT.get((file, section, key), default)
        desc = describe(file, section, kind, key)
        if not desc:
            missing.append(f"{file}: [{section}] {key}" + (f" (kind {kind})" if kind else ""))
        lines.append(f"| `{key}` | {_escape(typ)} | {_escape(default)} | {_escape(allowed)} | "
                     f"{_escape(desc)} |")
    return lines


def _heading(section: str, records: list[Record]) -> str:
    if not section:
        return "Top level"
    parent, _, leaf = section.rpartition(".")
    is_array = any(r.section == parent and r.key == leaf and r.spec.kind == "array of tables"
                   for r in records)
    return f"[[{section}]]" if is_array else f"[{section}]"


_FILES = {
    "mission": (
        "Mission file",
        "The input of `massdriver solve` and `massdriver windows` "
        "(examples: `examples/leo_from_procellarum.toml`, `examples/sso_dawn_dusk.toml`, "
        "`examples/geo_from_procellarum.toml`)."),
    "campaign": (
        "Campaign file",
        "The input of `massdriver campaign` (example: `examples/campaign_walker.toml`): "
        "`[site]`, `[launcher]` and `[search]` as in a mission file (above), the constellation "
        "as one `[target]` (`kind = \"walker\"` gives every plane) or `[[targets]]` (one table "
        "per plane), and a `[campaign]` table."),
    "throughput": (
        "Throughput plan file",
        "The input of `massdriver throughput` (example: `examples/throughput_1mt.toml`; "
        "docs/throughput.md): the horizon and pricing grid at the top level, a `[satellite]`, "
        "one `[[launchers]]` table per launcher (its `site` as a mission's `[site]`) and one "
        "`[[shells]]` table per orbit shell."),
    "coilgun": (
        "Coilgun file",
        "The input of `massdriver coilgun`, and the file a mission's `[launcher] coilgun` "
        "names (examples: `examples/coilgun_lab.toml`, `examples/coilgun_lunar_1000kg.toml`)."),
}


def render(records: list[Record] | None = None) -> tuple[str, list[str]]:
    """The Markdown page and the keys that have no description."""
    records = collect() if records is None else records
    missing: list[str] = []
    out = [
        "# Configuration reference",
        "",
        "<!-- generated by docs/gen_config_reference.py from the parsers; do not edit by hand. "
        "Regenerate with: python docs/gen_config_reference.py -->",
        "",
        "Every key each configuration file accepts, as the parsers read it: type, default, "
        "allowed range and meaning. This page is generated by running the real parsers on "
        "sample files and recording each key they ask for (`docs/gen_config_reference.py`); "
        "the test suite fails when it is out of date.",
        "",
        "Value syntax (all files are [TOML](https://toml.io)):",
        "",
        "- a **quantity** is a number in the unit shown (`span = 28` means 28 d) or a string "
        "with any compatible unit (`span = \"4 week\"`, `speed_min = \"2400 m/s\"`); ranges "
        "are checked in the unit shown;",
        "- an **epoch** is an ISO 8601 string, UTC unless it ends in ` TDB` "
        "(`\"2027-03-01T00:00\"`, `\"2027-03-01 00:00 TDB\"`), or a TOML date-time (UTC);",
        "- a key the parser does not know is an error that names it and suggests the closest "
        "known key; every other error names the key, the value and what is allowed, and the "
        "command exits with status 2.",
        "",
        "The same records give a JSON Schema of each file, shipped with the package as "
        "`massdriver/config/schema/mission.schema.json`, `coilgun.schema.json`, "
        "`campaign.schema.json` and `throughput.schema.json` (for editors and other tools; "
        "every example validates). A "
        "schema checks keys, types, choices, required keys and the ranges of plain numbers; "
        "rules across keys and ranges of values written with a unit are the parsers' (TOML "
        "date-times are validated as ISO strings).",
        "",
    ]
    for file, (title, intro) in _FILES.items():
        recs = [r for r in records if r.file == file]
        out += [f"## {title}", "", intro, ""]
        sections: list[str] = []
        for r in recs:
            if r.section not in sections:
                sections.append(r.section)
        for section in sections:
            srecs = [r for r in recs if r.section == section]
            kinds = []
            for r in srecs:
                if r.variant and r.variant[0] == section and r.variant[1] not in kinds:
                    kinds.append(r.variant[1])
            out += [f"### {_heading(section, recs)}", ""]
            if not kinds:
                keys: dict[str, list[Spec]] = {}
                for r in srecs:
                    keys.setdefault(r.key, [])
                    if r.spec not in keys[r.key]:
                        keys[r.key].append(r.spec)
                out += _table(file, section, None, keys, missing) + [""]
                continue
            for kind in kinds:
                keys = {}
                for r in srecs:
                    if r.variant == (section, kind):
                        keys.setdefault(r.key, [])
                        if r.spec not in keys[r.key]:
                            keys[r.key].append(r.spec)
                out += [f"#### `kind = \"{kind}\"`", ""]
                out += _table(file, section, kind, keys, missing) + [""]
    return "\n".join(out).rstrip() + "\n", missing


# ------------------------------------------------------------------------------------------------
# JSON Schema
# ------------------------------------------------------------------------------------------------
#: keys the parser requires only in some cases (see DEFAULT_TEXT): optional in the schema
_CONDITIONAL = {("coilgun", "sections", "pitch")}
#: a campaign gives its constellation as [target] or [[targets]], exactly one of them
_ONE_OF = {("campaign", ""): ("target", "targets"),
           # a throughput plan's satellite: hand-typed numbers or the satellite model
           ("throughput", "satellite"): (("mass", "isp"), ("wet_mass", "engines"))}
_TITLES = {"mission": "massdriver mission file", "coilgun": "massdriver coilgun file",
           "campaign": "massdriver campaign file", "throughput": "massdriver throughput plan"}


def _value_schema(spec: Spec) -> dict:
    """The schema of one value asked for as ``spec`` (not a table)."""
    if spec.choices:
        return {"enum": list(spec.choices)}
    if spec.kind in ("quantity", "number", "integer"):
        number: dict[str, Any] = {"type": "integer" if spec.kind == "integer" else "number"}
        if spec.minimum is not None and spec.minimum != -math.inf:
            number["exclusiveMinimum" if spec.exclusive_minimum else "minimum"] = spec.minimum
        if spec.maximum is not None:
            number["maximum"] = spec.maximum
        if spec.kind != "quantity":
            return number
        number["description"] = f"in {spec.unit}"
        return {"anyOf": [number, {"type": "string",
                                   "description": f"a value with a unit convertible to "
                                                  f"{spec.unit}, e.g. '1 {spec.unit}'"}]}
    if spec.kind == "epoch":
        return {"type": "string", "description": "ISO 8601, UTC unless it ends in ' TDB' (a "
                                                 "TOML date-time is read as UTC)"}
    return {"type": {"string": "string", "boolean": "boolean"}[spec.kind]}


def _key_schema(file: str, section: str, key: str, specs: list[Spec], records, kind) -> dict:
    child = f"{section}.{key}" if section else key
    forms = []
    for s in specs:
        if s.kind == "table":
            forms.append(_object_schema(file, child, records))
        elif s.kind == "array of tables":
            forms.append({"type": "array", "items": _object_schema(file, child, records)})
        elif s.kind != "list":
            forms.append(_value_schema(s))
    if any(s.kind == "list" for s in specs):
        item = forms[0] if len(forms) == 1 else {"anyOf": forms}
        forms.append({"type": "array", "items": item})
    out = forms[0] if len(forms) == 1 else {"anyOf": forms}
    desc = describe(file, _section(section), kind, key)
    return {"description": desc, **out} if desc else out


def _keys(recs) -> dict[str, list[Spec]]:
    keys: dict[str, list[Spec]] = {}
    for r in recs:
        keys.setdefault(r.key, [])
        if r.spec not in keys[r.key]:
            keys[r.key].append(r.spec)
    return keys


def _required(file: str, section: str, recs, keys) -> list[str]:
    """Keys every sample that reached this section asked for as required."""
    runs = {r.variant for r in recs}
    out = []
    for key, specs in keys.items():
        if (file, section, key) in _CONDITIONAL:
            continue
        everywhere = all(any(r.key == key for r in recs if r.variant == v) for v in runs)
        if everywhere and all(s.required for s in specs if s.kind != "list"):
            out.append(key)
    return out


def _object_schema(file: str, section: str, records) -> dict:
    recs = [r for r in records if r.file == file and r.section == section]
    kinds = []
    for r in recs:
        if r.variant and r.variant[0] == section and r.variant[1] not in kinds:
            kinds.append(r.variant[1])
    if file == "campaign" and section in ("target", "targets"):
        # a campaign target is a mission target whose walker kind needs no plane
        extra = [r for r in records if r.file == "mission" and r.section == "target"]
        for r in extra:
            if r.variant[1] not in kinds:
                kinds.append(r.variant[1])
        recs = recs + [Record(file, (section, r.variant[1]), section, r.key,
                              Spec(**{**r.spec.__dict__, "required": r.spec.required
                                      and r.key != "plane"}))
                       for r in extra if not any(c.variant == (section, r.variant[1])
                                                 for c in recs)]
    if not kinds:
        keys = _keys(recs)
        obj = {"type": "object",
               "properties": {k: _key_schema(file, section, k, v, records, None)
                              for k, v in keys.items()},
               "additionalProperties": False}
        required = _required(file, section, recs, keys)
        if required:
            obj["required"] = required
        for a, b in [_ONE_OF[(file, section)]] if (file, section) in _ONE_OF else []:
            a, b = ([a] if isinstance(a, str) else list(a)), ([b] if isinstance(b, str)
                                                              else list(b))
            obj["required"] = [k for k in obj.get("required", []) if k not in a + b]
            if not obj["required"]:
                del obj["required"]
            obj["oneOf"] = [{"required": a}, {"required": b}]
        return obj
    branches = []
    all_kinds: list[str] = []
    for kind in kinds:
        krecs = [r for r in recs if r.variant == (section, kind)]
        keys = _keys(krecs)
        for s in keys.get("kind", []):
            all_kinds = list(s.choices or all_kinds)
        props = {k: _key_schema(file, section, k, v, records, kind) for k, v in keys.items()}
        props["kind"] = {"const": kind}
        branches.append({"if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
                         "then": {"properties": props, "additionalProperties": False,
                                  "required": _required(file, section, krecs, keys)}})
    return {"type": "object", "required": ["kind"],
            "properties": {"kind": {"enum": all_kinds or kinds}}, "allOf": branches}


def schemas(records: list[Record] | None = None) -> dict[str, dict]:
    """``{file: JSON Schema}`` of the mission, coilgun and campaign files."""
    records = collect() if records is None else records
    out = {}
    for file in _FILES:
        body = _object_schema(file, "", records)
        head = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                "$id": f"massdriver/config/schema/{file}.schema.json",
                "title": _TITLES[file],
                "description": _FILES[file][1] + " Generated by docs/gen_config_reference.py "
                               "from the parsers; the parsers also check rules across keys "
                               "and ranges of values written with a unit. TOML date-times "
                               "are validated as ISO strings."}
        if file == "coilgun":   # the whole launcher may sit in a [coilgun] table
            out[file] = {**head, "$defs": {"coilgun": body},
                         "oneOf": [{"$ref": "#/$defs/coilgun"},
                                   {"type": "object", "required": ["coilgun"],
                                    "properties": {"coilgun": {"$ref": "#/$defs/coilgun"}},
                                    "additionalProperties": False}]}
        else:
            out[file] = {**head, **body}
    return out


def schema_texts(records: list[Record] | None = None) -> dict[Path, str]:
    """``{path: JSON text}`` of the schema files."""
    return {SCHEMA_DIR / f"{file}.schema.json": json.dumps(schema, indent=2) + "\n"
            for file, schema in schemas(records).items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if docs/config.md or a schema differs")
    args = parser.parse_args(argv)
    records = collect()
    text, missing = render(records)
    files = {OUTPUT: text, **schema_texts(records)}
    if missing:
        print("keys without a description (add to DESCRIPTIONS or the docstring):\n  "
              + "\n  ".join(missing), file=sys.stderr)
        return 1
    if args.check:
        stale = [p for p, t in files.items()
                 if (p.read_text(encoding="utf-8") if p.exists() else "") != t]
        for path in stale:
            print(f"{path} is out of date: run python docs/gen_config_reference.py",
                  file=sys.stderr)
        return 1 if stale else 0
    SCHEMA_DIR.mkdir(exist_ok=True)
    for path, content in files.items():
        path.write_text(content, encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
