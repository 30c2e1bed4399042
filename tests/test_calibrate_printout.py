"""What ``calibrate`` prints: progress by stage, published figures as the source prints them,
and a rules path the user can copy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

#: Slow tier (the calibrate command end to end): run by python -m pytest -m "slow or not slow".
pytestmark = pytest.mark.slow


def test_calibrate_prints_progress_figures_as_printed_and_a_copyable_path():
    r = subprocess.run(
        [sys.executable, "-m", "toolkit.cli", "calibrate", "--n", "300", "--maxiter", "2"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    # not a terminal: one line per stage on stderr
    stages = [x for x in r.stderr.splitlines() if x.startswith("[")]
    assert len(stages) == 3 and "fitting" in stages[1]
    out = r.stdout
    # the census bands as the source prints them, and the note on the renormalisation
    rows = {x.split()[0]: x.split() for x in out.splitlines() if x.strip().startswith("census_")}
    assert rows["census_under_6m_pct"][1:3] == ["57", "59.38"]
    assert rows["census_6_to_12m_pct"][1] == "21" and rows["census_over_12m_pct"][1] == "18"
    assert "printed as 57 / 21 / 18%" in out and "4% with no band" in out
    # a path the user can copy, and the flag that reads the edited copy
    assert "<default>" not in out
    cp = next(x for x in out.splitlines() if x.strip().startswith("cp "))
    assert Path(cp.split()[1]).is_file()
    assert "--rules my_rules.toml" in out
