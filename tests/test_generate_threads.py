"""The generator's second thread changes no byte (issue 23 item 5).

From :data:`toolkit.cohort.construct.PARALLEL_MIN_PEOPLE` people the generator overlaps steps
that are independent (risk scores beside the sanctions, need-item rankings beside the next
item's draws, half the programme patterns' state assignments). Each draws nothing or from its
own stream in its own order and writes only its own columns or people, so the cohort must be
the same whether the steps run on two threads or in line. The threshold is moved here so small
cohorts (fast to build) take both paths; every column is compared exactly.
"""

from __future__ import annotations

import pandas as pd
import pytest

from toolkit.cohort import construct
from toolkit.cohort.generate import generate_cohort


def _cohort(monkeypatch, threshold: int, **kwargs) -> pd.DataFrame:
    monkeypatch.setattr(construct, "PARALLEL_MIN_PEOPLE", threshold)
    monkeypatch.setattr(construct, "available_cpus", lambda: 2)  # whatever the test machine has
    return generate_cohort(**kwargs)


def test_one_cpu_runs_in_line(monkeypatch):
    monkeypatch.setattr(construct, "available_cpus", lambda: 1)
    assert not construct.second_thread(10**9)
    monkeypatch.setattr(construct, "available_cpus", lambda: 2)
    assert construct.second_thread(construct.PARALLEL_MIN_PEOPLE)
    assert not construct.second_thread(construct.PARALLEL_MIN_PEOPLE - 1)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n": 6_000, "populations": ["standard"], "rng": 3},
        {"n": 9_000, "rng": 11},  # every population, several need-item groups
    ],
    ids=["standard", "every population"],
)
def test_two_threads_give_the_same_cohort_as_one(monkeypatch, kwargs):
    inline = _cohort(monkeypatch, 10**12, **kwargs)
    threaded = _cohort(monkeypatch, 1, **kwargs)
    pd.testing.assert_frame_equal(threaded, inline, check_exact=True)
    assert inline.equals(threaded)


def test_an_error_on_the_second_thread_is_raised(monkeypatch):
    """A step that fails on the second thread fails the call (no half-built cohort)."""
    import toolkit.cohort.generate as gen

    def broken(*args, **kwargs):
        raise RuntimeError("risk scores failed")

    monkeypatch.setattr(gen, "_risk_scores", broken)
    monkeypatch.setattr(construct, "PARALLEL_MIN_PEOPLE", 1)
    monkeypatch.setattr(construct, "available_cpus", lambda: 2)
    with pytest.raises(RuntimeError, match="risk scores failed"):
        generate_cohort(n=2_000, populations=["standard"], rng=1)


def test_programme_bands_ahead_draw_nothing_without_their_columns():
    """Natural bands built ahead need each score's ``rank_by`` column; without it they are
    left to the construction in line (which refuses a bad file) and draw nothing, so the
    programme stream is where the construction expects it."""
    import numpy as np

    from toolkit.cohort.programmes import natural_bands_ahead
    from toolkit.profile.rules import load_programme_rules

    rules = load_programme_rules()
    rank_by = {s.rank_by[0] for s in rules.columns.values() if s.kind == "score"}
    cols = {"population": np.zeros(10, dtype=np.int16)}
    g = np.random.default_rng(4)
    assert natural_bands_ahead(cols, rules, g) is None
    assert g.random() == np.random.default_rng(4).random()
    # with the columns: the first population present, bands for its people
    cols = {"population": np.array([3, 3, 1, 1, 1], dtype=np.int16)}
    cols.update({c: np.arange(5.0) for c in rank_by})
    code, latent, bands = natural_bands_ahead(cols, rules, np.random.default_rng(4))
    assert code == 1 and {len(v) for v in (*latent.values(), *bands.values())} == {3}
