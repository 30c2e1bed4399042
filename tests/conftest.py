"""Shared fixtures: the default spec and a default cohort generated once per session."""

from __future__ import annotations

import pytest

from toolkit import load_profile
from toolkit.cohort.generate import generate_cohort
from toolkit.defaults import DEFAULT_SEED


@pytest.fixture(scope="session")
def spec():
    return load_profile()


@pytest.fixture(scope="session")
def default_cohort(spec):
    return generate_cohort(spec, rng=DEFAULT_SEED)


@pytest.fixture(scope="session")
def installed_wheel(tmp_path_factory):
    """The package built as a wheel and installed alone (``--no-deps --target``) into a
    folder, once per session: ``(wheel_path, site_dir)``. Tests import from ``site_dir`` (with
    ``PYTHONPATH``) to check the installed package works without the source tree."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).parents[1]
    tmp = tmp_path_factory.mktemp("wheel")
    pip = [sys.executable, "-m", "pip"]
    r = subprocess.run(
        [*pip, "wheel", "--no-deps", "-q", "-w", str(tmp / "w"), str(root)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    wheel = next((tmp / "w").glob("recall_toolkit-*.whl"))
    site = tmp / "site"
    r = subprocess.run(
        [*pip, "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    return wheel, site
