"""Where the source documents (the seeds) are: ``RECALL_TOOLKIT_SEEDS`` when set (`.ci/run` sets
it), else ``../shared/seeds`` beside the checkout. Provenance tests skip, with this reason, only
when neither is there; a location that is set but missing is an error, not a skip."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_ENV = "RECALL_TOOLKIT_SEEDS"
SEEDS = Path(os.environ.get(_ENV) or Path(__file__).resolve().parents[2] / "shared" / "seeds")


def seeds_dir() -> Path:
    """The seeds folder, or skip the calling test (fail when ``RECALL_TOOLKIT_SEEDS`` names a
    folder that does not exist: CI must not pass by skipping the provenance checks)."""
    if SEEDS.is_dir():
        return SEEDS
    if os.environ.get(_ENV):
        pytest.fail(f"{_ENV}={SEEDS}: no such folder (the seed documents)")
    pytest.skip(f"seed documents not found at {SEEDS}; set {_ENV}")
