"""The README's Python example runs as written (the public imports it shows keep working), and
the README keeps the set-up steps a new user needs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

#: Slow tier (runs the README's example on the full cohort): run by python -m pytest -m "slow or not slow".
pytestmark = pytest.mark.slow

README = Path(__file__).parents[1] / "README.md"


def test_readme_python_example_runs():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks, "the README shows a Python example"
    for code in blocks:
        ns: dict = {}
        exec(compile(code, "README.md", "exec"), ns)  # noqa: S102 - our own README
    # The example's objects are what it says they are.
    assert len(ns["cohort"]) == 64494
    assert ns["report"].passed
    assert set(ns["gap"].to_frame()["sex"]) == {"male", "female"}


def test_readme_set_up_comes_first_and_names_python_version():
    text = README.read_text(encoding="utf-8")
    setup = text.index("## Set-up")
    assert setup < text.index("## Researchers") < text.index("## Policy teams")
    assert text.index("## Policy teams") < text.index("## Practitioners")
    for needed in (
        "git clone",
        "python3 -m venv",
        "3.10",
        'pip install -e ".[test]"',
        "recall-toolkit demo",
        "not real people",
        "CITATION.cff",
    ):
        assert needed in text, needed
    for img in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text):
        assert (README.parent / img).exists(), img
