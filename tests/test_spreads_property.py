"""Property tests: printed medians and SDs, for populations and groups, generated and met.

Hypothesis draws a census as in ``test_profiles_property`` (N from 20 to 200,000, mostly small,
any recall types), makes a truth of whole people's values (so every printed figure is met by
that truth at once: the profile is consistent by construction), and prints medians and/or SDs
of random numeric variables for random populations and groups, sometimes without the
variable's mean where they are printed (a median or SD with no mean). The cohort generated at the census's
own N must meet every figure at printed precision, or ``fidelity`` must report it
``unreachable at ...`` with the reason; every logical relation must hold.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from profile_maker import (
    CENSUS_2014_SIZES,
    SPREAD_PERSON,
    figures,
    item_counts,
    make_truth,
    person_values,
    set_totals_from_values,
    spread_figures,
    to_toml,
)

from toolkit.cohort.generate import generate_cohort
from toolkit.fidelity.report import fidelity_report
from toolkit.profile.spec import load_profile
from toolkit.schema import RECALL_TYPES

#: Slow tier (Hypothesis over whole profiles, each generated and judged): run by python -m pytest -m "slow or not slow".
pytestmark = pytest.mark.slow

WEIGHTS = CENSUS_2014_SIZES
LEVELS = (*WEIGHTS, "all_recalled", "all_prisoners", "not_standard")
#: OASys items with no logical relation to another item (a relation may need more people with
#: a score than a printed SD allows; such a profile is not consistent).
ITEMS = ("need_accommodation", "need_impulsivity", "need_temper", "need_domains")


@st.composite
def spread_profiles(draw):
    kept = draw(
        st.lists(st.sampled_from(RECALL_TYPES), min_size=1, max_size=6, unique=True).map(
            lambda xs: [p for p in RECALL_TYPES if p in xs]
        )
    )
    if draw(st.booleans()):
        kept.append("other_sentenced")
    # mostly small censuses (fast, and where granularity bites), sometimes large
    scale = draw(st.sampled_from([400, 400, 400, 5_000, 200_000]))
    total = draw(st.integers(min_value=max(20, len(kept)), max_value=scale))
    w = np.array([WEIGHTS[p] for p in kept], float)
    base = np.floor(w / w.sum() * max(total - len(kept), 0)).astype(int) + 1
    base[np.argmax(w)] += total - base.sum()
    sizes = {p: int(n) for p, n in zip(kept, base) if n > 0}
    picks = draw(
        st.lists(
            st.tuples(
                st.sampled_from([*SPREAD_PERSON, *ITEMS]),
                st.sampled_from(LEVELS),
                st.sampled_from(["median", "sd"]),
            ),
            min_size=1,
            max_size=6,
            unique=True,
        )
    )
    drop_means = draw(st.booleans())
    seed = draw(st.integers(0, 2**32 - 1))
    return sizes, picks, drop_means, seed


@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(spread_profiles())
def test_medians_and_sds_met_or_unreachable(tmp_path_factory, case):
    sizes, picks, drop_means, seed = case
    rng = np.random.default_rng(seed)
    truth = make_truth(sizes, rng)
    values = person_values(truth, rng)
    set_totals_from_values(truth, values)
    items = item_counts(truth, rng)
    # OASys figures describe the truth's OASys groups only
    picks = [
        (v, lvl if v in SPREAD_PERSON else ("standard" if lvl == "standard" else "not_standard"), s)
        for v, lvl, s in picks
    ]
    spreads = spread_figures(truth, values, list(dict.fromkeys(picks)), items)
    figs = figures(truth)
    if drop_means:  # no mean printed where a median or SD is: it stands alone
        dropped = {(f["variable"], f["population"]) for f in spreads}
        figs = [
            f
            for f in figs
            if not (f["statistic"] == "mean" and (f["variable"], f["population"]) in dropped)
        ]
    rep = _judged(tmp_path_factory, figs + spreads, seed)
    t = rep.targets
    failed = rep.failures[["target_id", "published", "synthetic", "tolerance"]]
    unreachable = t[t["role"] == "unreachable"]
    assert unreachable["note"].str.startswith("unreachable").all()
    judged = t[t["statistic"].isin(["median", "sd"])]
    assert len(judged) == len(spreads)
    assert judged["role"].isin(["target", "unreachable"]).all()
    # every median and SD is met or reported unreachable with its reason
    bad = judged[judged["pass"] == False]  # noqa: E712 - pandas object column
    assert bad.empty, f"sizes={sizes} picks={picks} drop={drop_means}\n{failed}"
    rel = t[t["statistic"] == "relation"]
    assert (rel["synthetic"] == 0).all(), rel[["target_id", "synthetic"]]
    if not rep.passed:
        # Any other figure missed must be missed without the medians and SDs too, so printing
        # them breaks nothing. Known limit, not of these figures: OGRS3 group rows of a census
        # with one or two people in a recall type are met or missed depending on those
        # people's exact ages and breaches (the whole-sanction repair keeps met rows fixed),
        # which a printed median or SD of age or breaches sets; they are left out then.
        before = set(_judged(tmp_path_factory, figs, seed).failures["target_id"])
        feeds_ogrs3 = any(v in ("age", "previous_breaches") for v, _, _ in picks)
        new = {i for i in failed["target_id"] if not (feeds_ogrs3 and i.startswith("ogrs3_2yr."))}
        assert new <= before, f"sizes={sizes} picks={picks}\n{failed}"


def _judged(tmp_path_factory, figs, seed):
    path = tmp_path_factory.mktemp("p") / "profile.toml"
    path.write_text(to_toml("drawn census with medians and SDs", figs))
    spec = load_profile(path)
    return fidelity_report(generate_cohort(spec, rng=seed), spec)
