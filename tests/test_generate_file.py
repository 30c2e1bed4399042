"""``toolkit.cohort.export.generate_file``: the API behind ``recall-toolkit generate``."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from toolkit.cohort.export import generate_file
from toolkit.cohort.generate import generate_cohort
from toolkit.cohort.io import cohort_csv_bytes
from toolkit.exceptions import UsageError


def test_writes_the_cohort_generate_cohort_builds(tmp_path):
    out = tmp_path / "hdc.csv"
    res = generate_file(out, populations=["hdc"], rng=3)
    assert res.n_rows == 74 and res.path == out and res.manifest.exists()
    assert out.read_bytes() == cohort_csv_bytes(generate_cohort(populations=["hdc"], rng=3))
    manifest = json.loads(res.manifest.read_text())
    assert manifest["seed"] == 3 and manifest["rows"] == 74
    assert manifest["csv_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()


def test_seed_is_an_alias_of_rng(tmp_path):
    a = generate_file(tmp_path / "a.csv", populations=["hdc"], rng=5)
    b = generate_file(tmp_path / "b.csv", populations=["hdc"], seed=5)
    assert a.path.read_bytes() == b.path.read_bytes()
    seq = generate_file(tmp_path / "c.csv", populations=["hdc"], rng=np.random.SeedSequence(5))
    assert seq.path.read_bytes() == a.path.read_bytes()


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"rng": np.random.default_rng(1)}, "whole-number seed"),
        ({"rng": None}, "whole-number seed"),
        ({"rng": -1}, "whole-number seed"),
        ({"rng": 1, "seed": 1}, "not both"),
    ],
)
def test_refuses_a_seed_a_manifest_cannot_record(tmp_path, kwargs, words):
    with pytest.raises(UsageError, match=words):
        generate_file(tmp_path / "x.csv", populations=["hdc"], **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_bad_suffix_and_failed_check_leave_nothing(tmp_path):
    with pytest.raises(UsageError, match="suffix"):
        generate_file(tmp_path / "x.txt", rng=1)

    def refuse():
        raise UsageError("not enough memory")

    with pytest.raises(UsageError, match="memory"):
        generate_file(tmp_path / "x.parquet", rng=1, before_work=refuse)
    assert list(tmp_path.iterdir()) == []
