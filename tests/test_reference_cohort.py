"""The committed reference cohort is rebuilt byte for byte from its manifest."""

import gzip
import hashlib
import json
from pathlib import Path

import pytest

from toolkit import load_profile
from toolkit.cohort.generate import generate_cohort
from toolkit.cohort.io import cohort_csv_bytes

#: Slow tier (regenerates the 64,494-person reference cohort): run by python -m pytest -m "slow or not slow".
pytestmark = pytest.mark.slow

SYNTHETIC = Path(__file__).parents[1] / "synthetic"


def test_reference_cohort_regenerates_identically():
    manifest = json.loads((SYNTHETIC / "default_cohort.manifest.json").read_text())
    spec = load_profile()
    assert manifest["spec_sha256"] == spec.sha256, "profile changed: regenerate synthetic/"
    df = generate_cohort(
        spec, n=manifest["n"], populations=manifest["populations"], rng=manifest["seed"]
    )
    data = cohort_csv_bytes(df)
    committed = gzip.decompress((SYNTHETIC / "default_cohort.csv.gz").read_bytes())
    assert hashlib.sha256(committed).hexdigest() == manifest["csv_sha256"]
    assert data == committed
