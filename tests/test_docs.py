"""Documentation: generated references up to date, the guide's code valid, the site builds.

* docs/config.md is generated from the parsers (docs/gen_config_reference.py) and docs/cli.md
  from the argument parser (docs/gen_cli_reference.py): a changed key or option fails here until
  the page is regenerated;
* every Python block of the user guide compiles and its imports resolve;
* ``mkdocs build --strict`` passes (skipped when mkdocs is not installed: ``pip install
  ".[docs]"``), and every page of docs/ reaches the navigation.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, DOCS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module                    # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def config_reference():
    gen = _load("gen_config_reference")
    return gen, gen.collect()


def test_config_reference_is_up_to_date(config_reference):
    gen, records = config_reference
    text, missing = gen.render(records)
    assert not missing, f"keys without a description: {missing}"
    current = (DOCS / "config.md").read_text(encoding="utf-8")
    assert current == text, "docs/config.md is out of date: run python docs/gen_config_reference.py"


def test_config_reference_records_the_parsers_constraints(config_reference):
    """The recorder sees what the parsers enforce (spot checks against the code's own rules)."""
    gen, records = config_reference
    by_key = {(r.file, r.section, r.key): r.spec for r in records}
    threshold = by_key[("mission", "search", "threshold")]
    assert (threshold.kind, threshold.unit, threshold.required) == ("quantity", "km/s", True)
    assert threshold.exclusive_minimum and threshold.minimum == 0.0
    step = by_key[("mission", "search", "step")]
    assert float(step.default) == 60.0 and step.unit == "min"
    kind = by_key[("mission", "target", "kind")]
    from massdriver.targets import KINDS

    assert kind.choices == tuple(KINDS)
    assert by_key[("coilgun", "sections.coil", "turns")].required


def test_config_reference_covers_every_example_key(config_reference):
    """Each key used in examples/*.toml appears in the reference of its file and section."""
    import tomllib

    gen, records = config_reference
    known = {(r.file, r.section, r.key) for r in records}

    def walk(data: dict, file: str, section: str):
        for key, value in data.items():
            yield file, section, key
            if isinstance(value, dict):
                yield from walk(value, file, f"{section}.{key}" if section else key)
            elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                for item in value:
                    yield from walk(item, file, f"{section}.{key}" if section else key)

    examples = sorted((ROOT / "examples").glob("*.toml"))
    assert examples
    for path in examples:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        if "armature" in data or "coilgun" in data:
            file = "coilgun"
        elif "campaign" in data:
            file = "campaign"
        elif "shells" in data:
            file = "throughput"
        else:
            file = "mission"
        for item in walk(data, file, ""):
            assert item in known, f"{path.name}: {item} missing from docs/config.md"


def test_cli_reference_is_up_to_date():
    gen = _load("gen_cli_reference")
    current = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert current == gen.render(), (
        "docs/cli.md is out of date: run python docs/gen_cli_reference.py")


def test_guide_python_blocks_compile_and_import():
    text = (DOCS / "guide.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 2
    for block in blocks:
        tree = ast.parse(block)
        imports = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
        namespace: dict = {}
        exec(compile(ast.Module(body=imports, type_ignores=[]), "<guide>", "exec"), namespace)
    import massdriver as md

    # the names the guide uses through the package facade
    for name in ("LaunchSite", "targets"):
        assert getattr(md, name) is not None
    assert callable(md.targets.circular)


def test_every_page_is_reachable_and_links_resolve(tmp_path):
    if importlib.util.find_spec("mkdocs") is None:
        pytest.skip('mkdocs is not installed (pip install ".[docs]"); the site build was not run')
    # build a copy so that a missing page written by someone else (a link to it) is reported
    # here exactly as `mkdocs build --strict` in the CI would
    site = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                           str(site)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    pages = sorted(p.stem for p in DOCS.glob("*.md"))
    for stem in pages:
        built = site / ("index.html" if stem == "index" else f"{stem}/index.html")
        assert built.is_file(), stem
    home = (site / "index.html").read_text(encoding="utf-8")
    for stem in pages:
        if stem != "index":
            assert f'href="{stem}/"' in home, f"{stem}.md is not in the navigation"
    assert not list(site.rglob("*.py")), "generator scripts leaked into the site"
    shutil.rmtree(site)


# --------------------------------------------------------------------------------------------
# JSON Schema of the config files (issue 19 item 5), from the same records as docs/config.md
# --------------------------------------------------------------------------------------------
SCHEMA_FILES = {"mission": ["leo_from_procellarum", "sso_dawn_dusk", "geo_from_procellarum",
                            "imbrium"],
                "coilgun": ["coilgun_lab", "coilgun_lunar_1000kg"],
                "campaign": ["campaign_walker"],
                "throughput": ["throughput_1mt"]}


def _toml_as_json(path: Path):
    """A TOML file as JSON data (TOML date-times become ISO strings)."""
    import datetime
    import tomllib

    def plain(value):
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
            return value.isoformat()
        return value

    return plain(tomllib.loads(path.read_text()))


def _shipped_schema(name: str) -> dict:
    import json
    from importlib.resources import files

    return json.loads(files("massdriver.config").joinpath(f"schema/{name}.schema.json")
                      .read_text())


def test_config_schemas_are_up_to_date(config_reference):
    gen, records = config_reference
    for path, text in gen.schema_texts(records).items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.name} is out of date: run python docs/gen_config_reference.py")


@pytest.mark.parametrize("name", sorted(SCHEMA_FILES))
def test_every_example_validates_against_its_schema(name):
    import jsonschema

    schema = _shipped_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for example in SCHEMA_FILES[name]:
        errors = [e.message for e in validator.iter_errors(_toml_as_json(
            ROOT / "examples" / f"{example}.toml"))]
        assert errors == [], (example, errors)
    shipped = {p.stem for p in (ROOT / "examples").glob("*.toml")}
    assert shipped == {e for v in SCHEMA_FILES.values() for e in v}, "an example has no schema"


def test_schema_rejects_what_the_parser_rejects():
    """Spot checks: a misspelt key, a value out of range, a bad choice, a missing table."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(_shipped_schema("mission"))
    base = _toml_as_json(ROOT / "examples" / "leo_from_procellarum.toml")
    assert not list(validator.iter_errors(base))
    for section, key, value in [("target", "inclinaton", 28.5), ("site", "height", 15),
                                ("search", "model", "cr3bp"), ("search", "threshold", 0)]:
        bad = {k: dict(v) if isinstance(v, dict) else v for k, v in base.items()}
        bad[section][key] = value
        assert list(validator.iter_errors(bad)), (section, key, value)
    bad = {k: v for k, v in base.items() if k != "search"}
    assert list(validator.iter_errors(bad))
