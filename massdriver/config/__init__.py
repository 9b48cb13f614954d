"""TOML configuration: config files -> validated, immutable model objects.

A config file is data only (``tomllib``: no evaluation of any kind). This package reads it
(:mod:`~massdriver.config.table`: :func:`read_toml`, :class:`Table`, :func:`parse_quantity`,
:func:`parse_epoch`) and maps each section onto its model's constructor:

* :mod:`~massdriver.config.mission`: :func:`load_mission` (``[site]``, ``[launcher]``,
  ``[target]``, ``[search]``) -> :class:`~massdriver.mission.MissionConfig`;
* :mod:`~massdriver.config.targets`: :func:`target_from_config`, :func:`targets_from_config`;
* :mod:`~massdriver.config.coilgun`: :func:`coilgun_from_config`;
* :mod:`~massdriver.config.campaign`: :func:`load_campaign`;
* :mod:`~massdriver.config.throughput`: :func:`load_throughput`.

The package imports the model modules and none of them imports it back. Every error is one
:class:`~massdriver.errors.ConfigError` line naming the key, the value and what is allowed; the
allowed ranges are the model constructors' own. Names are loaded on first use (PEP 562), so
``from massdriver.config import read_toml`` does not import the models.
"""

from __future__ import annotations

import importlib

# public name -> submodule of this package that defines it (or re-exports it from a model)
_EXPORTS: dict[str, str] = {
    "Table": "table", "REQUIRED": "table", "read_toml": "table", "parse_quantity": "table",
    "parse_epoch": "table",
    "load_mission": "mission", "site_from_config": "mission", "launcher_from_config": "mission",
    "search_from_config": "mission", "common_sections": "mission",
    "target_from_config": "targets", "targets_from_config": "targets",
    "coilgun_from_config": "coilgun",
    "load_campaign": "campaign",
    "load_throughput": "throughput",
}
#: the model classes a mission file becomes, importable from here as before the split
_MODELS: dict[str, str] = {
    "MissionConfig": "massdriver.mission", "LauncherSpec": "massdriver.mission",
    "SearchSpec": "massdriver.mission", "MAX_SCAN_EPOCHS": "massdriver.mission",
}

__all__ = [*_EXPORTS, *_MODELS]


def __getattr__(name: str):
    if name in _EXPORTS:
        module = importlib.import_module(f"{__name__}.{_EXPORTS[name]}")
    elif name in _MODELS:
        module = importlib.import_module(_MODELS[name])
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
