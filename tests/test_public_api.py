"""The imports the README documents work as written (issue 24: `from toolkit.priority import
PriorityScorer` raised ImportError while the README named it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def _documented_imports() -> list[str]:
    """Every `from toolkit... import ...` line in the README's code blocks, and every dotted
    name `toolkit.a.b.Name` it quotes in backticks (as `from toolkit.a.b import Name`)."""
    lines = re.findall(r"^\s*(from toolkit[\w.]* import [\w, ]+)", README, flags=re.M)
    for mod, name in re.findall(r"`(toolkit(?:\.[a-z_]+)+)\.([A-Z]\w+)`", README):
        lines.append(f"from {mod} import {name}")
    return sorted(set(lines))


def test_readme_quotes_some_imports():
    assert len(_documented_imports()) >= 4


@pytest.mark.parametrize("line", _documented_imports())
def test_documented_import_works(line):
    exec(line, {})


def test_priority_scorer_from_the_package():
    from toolkit.priority import PriorityScorer
    from toolkit.priority.scorer import PriorityScorer as direct

    assert PriorityScorer is direct
