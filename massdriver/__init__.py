"""massdriver: launch windows and delta-v budgets for satellites fired from a lunar mass driver.

The public API is re-exported here lazily (PEP 562), so ``import massdriver`` and the CLI's
``--help`` stay fast: numba, scipy and astropy load only when a name that needs them is used.
"""

from __future__ import annotations

import importlib
import sys
from importlib.metadata import PackageNotFoundError, version
from importlib.util import find_spec, module_from_spec, spec_from_file_location
from pathlib import Path


def _kernels_from_source_tree() -> None:
    """Make ``massdriver.kernels`` importable when this package is imported from a checkout.

    The wheel ships ``kernels/`` inside the package (setuptools ``package-dir``); a source
    checkout keeps it beside ``massdriver/``. When Python picks up the checkout instead of the
    installed package (``python -m massdriver`` run from the repository root), register the
    folder under its package name, so nothing imports it by the bare name ``kernels``.
    """
    here = Path(__file__).resolve().parent
    source = here.parent / "kernels" / "__init__.py"
    if (here / "kernels").is_dir() or not source.is_file() or "massdriver.kernels" in sys.modules:
        return
    # An editable install maps the name to the checkout it was installed from; a second checkout
    # (a git worktree on PYTHONPATH) must use its own kernels, not that one's.
    spec = find_spec("massdriver.kernels")
    if spec is not None and spec.origin and Path(spec.origin).resolve() == source.resolve():
        return
    spec = spec_from_file_location("massdriver.kernels", source,
                                   submodule_search_locations=[str(source.parent)])
    module = module_from_spec(spec)
    sys.modules["massdriver.kernels"] = module
    spec.loader.exec_module(module)


_kernels_from_source_tree()

# The library logs through ``logging.getLogger("massdriver.<module>")`` and never prints; an
# application (the CLI: ``-v``, ``--log-level``) decides what is shown.
import logging as _logging  # noqa: E402

_logging.getLogger(__name__).addHandler(_logging.NullHandler())

try:
    __version__ = version("massdriver")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

# public name -> "module:attribute" (module relative to this package)
_EXPORTS: dict[str, str] = {
    "MassdriverError": "errors:MassdriverError",
    "ConfigError": "errors:ConfigError",
    "InputError": "errors:InputError",
    "EphemerisRangeError": "errors:EphemerisRangeError",
    "bodies": "bodies:",
    "ephemeris": "ephemeris:",
    "config": "config:",
    "coilgun": "coilgun:",
    "Coilgun": "coilgun:Coilgun",
    "DriveCoil": "coilgun:DriveCoil",
    "Armature": "coilgun:Armature",
    "CoilgunShot": "coilgun:CoilgunShot",
    "CoilgunDesign": "coilgun:CoilgunDesign",
    "simulate_coilgun": "coilgun:simulate",
    "design_coilgun": "coilgun:design",
    "charge_for_speed": "coilgun:charge_for_speed",
    "constant_acceleration_sizing": "coilgun:constant_acceleration_sizing",
    "targets": "targets:",
    "TargetOrbit": "targets:TargetOrbit",
    "budget": "budget:",
    "report": "report:",
    "DeltaVBudget": "budget:DeltaVBudget",
    "Ephemeris": "ephemeris:Ephemeris",
    "moon_state": "ephemeris:moon_state",
    "sun_state": "ephemeris:sun_state",
    "moon_orientation": "ephemeris:moon_orientation",
    "shoot": "trajectory:shoot",
    "Trajectory": "trajectory:Trajectory",
    "trajectory": "trajectory:",
    "windows": "windows:",
    "LaunchSite": "site:LaunchSite",
    "LaunchState": "site:LaunchState",
    "site": "site:",
    "timescales": "timescales:",
    "to_tdb_seconds": "timescales:to_tdb_seconds",
    "from_tdb_seconds": "timescales:from_tdb_seconds",
    "campaign": "campaign:",
    "plan_campaign": "campaign:plan_campaign",
    "Campaign": "campaign:Campaign",
    "Constellation": "campaign:Constellation",
    "parallel": "parallel:",
    "cr3bp": "cr3bp:",
    "propagate": "propagation:propagate",
    "Propagation": "propagation:Propagation",
    "export": "export:",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    try:
        target = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'massdriver' has no attribute {name!r}") from None
    module_name, _, attribute = target.partition(":")
    module = importlib.import_module(f".{module_name}", __name__)
    value = getattr(module, attribute) if attribute else module
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
