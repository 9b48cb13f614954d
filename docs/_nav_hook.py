"""MkDocs hook (core ``hooks:`` feature, no plugin): keep the navigation in step with docs/.

``mkdocs.yml`` lists the pages in their reading order. Pages are written by several people, so
this hook drops a nav entry whose file does not exist (MkDocs would warn, and ``--strict`` would
fail on a page that simply is not written yet) and appends, under "More", any page of docs/ the
nav does not list (MkDocs would only mention it). Links *inside* pages are still checked by
``mkdocs build --strict``.
"""

from __future__ import annotations

from pathlib import Path


def _prune(items, docs: Path, seen: set[str]):
    out = []
    for item in items:
        if isinstance(item, str):
            if (docs / item).is_file():
                seen.add(item)
                out.append(item)
            continue
        if isinstance(item, dict):
            kept = {}
            for title, value in item.items():
                if isinstance(value, list):
                    sub = _prune(value, docs, seen)
                    if sub:
                        kept[title] = sub
                elif isinstance(value, str) and ("://" in value or (docs / value).is_file()):
                    seen.add(value)
                    kept[title] = value
            if kept:
                out.append(kept)
    return out


def on_config(config, **kwargs):
    docs = Path(config["docs_dir"])
    seen: set[str] = set()
    nav = _prune(config.get("nav") or [], docs, seen)
    extra = sorted(p.relative_to(docs).as_posix() for p in docs.rglob("*.md")
                   if p.relative_to(docs).as_posix() not in seen
                   and not p.name.startswith("_"))
    if extra:
        nav.append({"More": extra})
    config["nav"] = nav
    return config
