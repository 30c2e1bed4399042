"""Shared fixtures: the default spec and a default cohort generated once per session."""

from __future__ import annotations

import pytest

from toolkit import load_profile
from toolkit.cohort.generate import generate_cohort


@pytest.fixture(scope="session")
def spec():
    return load_profile()


@pytest.fixture(scope="session")
def default_cohort(spec):
    return generate_cohort(spec, rng=20140331)
