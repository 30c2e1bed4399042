"""The two test tiers (issue 24 item 6): the default run leaves out tests marked slow; CI runs
the README's full-suite command, exactly; the README states both commands."""

from __future__ import annotations

import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).parents[1]
FULL = 'python -m pytest -m "slow or not slow"'


def test_default_run_is_the_fast_tier():
    opts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert '-m "not slow"' in opts["addopts"]
    assert any(m.startswith("slow:") and FULL in m for m in opts["markers"])


def test_ci_runs_the_readmes_full_suite_command():
    readme = (ROOT / "README.md").read_text()
    assert "`python -m pytest` runs the fast tier" in readme
    assert f"```bash\n{FULL}\n```" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    pytest_lines = [x for x in ci.splitlines() if re.match(r"\s*python -m pytest", x)]
    assert pytest_lines == [FULL]
