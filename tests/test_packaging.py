"""The default profile ships inside the wheel, so `pip install .` works, not only -e."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

#: Slow tier (builds and installs a wheel): run by python -m pytest -m "slow or not slow".
pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[1]


def test_wheel_works_without_the_source_tree(installed_wheel, tmp_path):
    wheel, site = installed_wheel
    names = zipfile.ZipFile(wheel).namelist()
    assert "toolkit/papers/recall_process_experience/profile.toml" in names
    assert "toolkit/papers/howard_2009_ogrs3/ogrs3.toml" in names
    # The wheel installed alone into a folder and imported from somewhere else: the default
    # profile must load from the installed package, not from the checkout.
    code = (
        "import toolkit, toolkit.profile.spec as s; p = s.default_profile_path(); "
        "assert str(p).startswith(%r), p; "
        "from toolkit.cohort import generate_cohort; "
        "print(len(generate_cohort(populations=['hdc'], rng=1)))" % str(site)
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "74"
