"""docs/architecture.md names only paths and functions that exist (issue 24 item 7)."""

from __future__ import annotations

import re
from pathlib import Path

import toolkit

ROOT = Path(__file__).parents[1]
DOC = (ROOT / "docs" / "architecture.md").read_text()


def test_every_path_named_exists():
    paths = set(re.findall(r"`((?:toolkit|papers|tests|docs|synthetic)/[^`]*)`", DOC))
    assert len(paths) > 30
    sources = [p.name for p in (ROOT / "papers").iterdir() if (p / "reproduction.md").exists()]
    missing = []
    for p in sorted(paths):
        # papers/<source>/x stands for every paper folder
        for concrete in [p.replace("<source>", s) for s in sources] if "<source>" in p else [p]:
            if "<" not in concrete and not (ROOT / concrete).exists():
                missing.append(concrete)
    assert not missing, f"docs/architecture.md names paths that do not exist: {missing}"


def test_every_function_named_exists():
    import importlib
    import pkgutil

    names = set(re.findall(r"`([a-z_]+)\(", DOC))
    assert {"load_profile", "generate_cohort", "simulate_reviews", "prioritise"} <= names
    defined = set()
    for info in pkgutil.walk_packages(toolkit.__path__, "toolkit."):
        if info.name.startswith("toolkit.cli"):
            continue
        module = vars(importlib.import_module(info.name))
        defined |= set(module)
        # methods named in the doc (``plan(ep, rules)``, ``to_frame()``) count where a class has them
        for obj in module.values():
            if isinstance(obj, type) and obj.__module__.startswith("toolkit"):
                defined |= set(vars(obj))
    assert names <= defined, f"not defined anywhere in toolkit: {sorted(names - defined)}"
