"""The shipped scorer and the report template are package data (so `pip install .` has them)."""

from __future__ import annotations

import fnmatch
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def test_default_scorer_and_template_are_package_data():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "toolkit.priority" in cfg["packages"]
    data = cfg["package-data"]
    for pkg, folder in (
        ("toolkit.priority", "toolkit/priority"),
        ("toolkit.report", "toolkit/report"),
    ):
        files = [
            p.relative_to(ROOT / folder).as_posix()
            for sub in ("default", "templates")
            for p in (ROOT / folder / sub).glob("*")
        ]
        assert files, folder
        for f in files:
            assert any(fnmatch.fnmatch(f, g) for g in data[pkg]), (pkg, f)
    names = {p.name for p in (ROOT / "toolkit/priority/default").iterdir()}
    assert names == {"manifest.json", "scorer.json", "scorer.npz"}  # no pickle anywhere
