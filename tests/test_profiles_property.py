"""Property tests: profiles perturbed within consistency are generated and met.

Hypothesis draws a census (total N from 20 to 200,000, any non-empty subset of recall types,
with or without the rest of the sentenced population, single-sex or mixed, a recall reason
nobody has, values moved up to 12% around the default profile's), computes its published
figures rounded as printed (so the profile is consistent by construction: that census meets
them all), writes the profile file as a user would, generates a cohort at its own N and requires
every published figure to be met at printed precision or reported unreachable with a reason,
and every logical relation to hold for every person.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from profile_maker import CENSUS_2014_SIZES, figures, make_truth, to_toml

from toolkit.cohort.generate import generate_cohort
from toolkit.fidelity.report import fidelity_report
from toolkit.profile.spec import load_profile
from toolkit.schema import RECALL_REASONS, RECALL_TYPES

#: Slow tier (Hypothesis over whole profiles, each generated and judged): run by python -m pytest -m "slow or not slow".
pytestmark = pytest.mark.slow

#: The default profile's published sizes: the proportions a drawn census keeps.
WEIGHTS = CENSUS_2014_SIZES


@st.composite
def censuses(draw):
    kept = draw(
        st.lists(st.sampled_from(RECALL_TYPES), min_size=1, max_size=6, unique=True).map(
            lambda xs: [p for p in RECALL_TYPES if p in xs]
        )
    )
    if draw(st.booleans()):
        kept.append("other_sentenced")
    total = draw(st.integers(min_value=20, max_value=200_000))
    w = np.array([WEIGHTS[p] for p in kept], float)
    # every kept population has at least one person; the rest in the default proportions
    base = np.floor(w / w.sum() * max(total - len(kept), 0)).astype(int) + 1
    base[np.argmax(w)] += total - base.sum()
    sizes = {p: int(n) for p, n in zip(kept, base) if n > 0}
    female = draw(st.sampled_from([0.0, 4.0, 100.0]))
    drop = draw(st.sampled_from([None, *RECALL_REASONS]))
    seed = draw(st.integers(0, 2**32 - 1))
    jitter = draw(st.floats(0.0, 1.0))
    return sizes, female, drop, seed, jitter


@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(censuses())
def test_perturbed_profiles_met_or_unreachable(tmp_path_factory, census):
    sizes, female, drop, seed, jitter = census
    truth = make_truth(
        sizes, np.random.default_rng(seed), female_share=female, drop_reason=drop, jitter=jitter
    )
    figs = figures(truth, include_male=female < 100)
    path = tmp_path_factory.mktemp("p") / "profile.toml"
    path.write_text(to_toml("drawn census", figs))
    spec = load_profile(path)
    df = generate_cohort(spec, rng=seed)
    assert len(df) == sum(sizes.values())
    rep = fidelity_report(df, spec)
    t = rep.targets
    failed = rep.failures[["target_id", "published", "synthetic", "tolerance"]]
    assert rep.passed, f"sizes={sizes}\n{failed}"
    unreachable = t[t["role"] == "unreachable"]
    assert unreachable["note"].str.startswith("unreachable at").all()
    # every figure of the profile is judged or reported, none skipped
    assert not (t["role"] == "not_in_cohort").any()
    rel = t[t["statistic"] == "relation"]
    assert (rel["synthetic"] == 0).all(), rel[["target_id", "synthetic"]]
    recalled = df["population"] != "other_sentenced"  # sex is printed for the recalled only
    if female == 100.0:
        assert (df.loc[recalled, "sex"] == "female").all()
    if female == 0.0:
        assert (df.loc[recalled, "sex"] == "male").all()
