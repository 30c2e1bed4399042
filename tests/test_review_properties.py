"""Property tests (Hypothesis): on episodes whose timings are drawn by Hypothesis, the vectorised
engine agrees with the discrete-event reference to the day, and more reviews never delay."""

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
from reference_des import simulate as des_simulate  # noqa: E402

from toolkit.cohort.generate import generate_cohort  # noqa: E402
from toolkit.review import build_episodes, load_release_rules  # noqa: E402
from toolkit.review.mechanism import ReviewPlan, board_release_day, release_outcomes  # noqa: E402
from toolkit.schema import RECALL_TYPES  # noqa: E402

N = 12
RULES = load_release_rules()
BASE = build_episodes(
    generate_cohort(populations=["standard", "extended", "life"], rng=1),
    RULES,
    N,
    populations=("standard", "extended", "life"),
    rng=1,
)
day = st.floats(1, 1500, allow_nan=False).map(lambda x: round(x, 2))
maybe_day = st.one_of(st.just(np.inf), day)


def make_episodes(sed, releasable, first_board, exec_delay):
    every = np.array([RULES.types[t].board_review_every or np.inf for t in RECALL_TYPES])[
        BASE.recall_type
    ]
    sed = np.where(np.isfinite(BASE.sed), np.maximum(sed, 29.0), np.inf)
    first = np.where(BASE.reviewable, 28 + first_board, np.inf)
    limit = np.minimum(sed, RULES.horizon_days)
    board = board_release_day(
        first, every, releasable, limit, BASE.key, RULES.board_direction_probability
    )
    return replace(
        BASE,
        sed=sed,
        releasable_day=releasable,
        # the drawn releasable day opens the executive route (no contact or charge wait here)
        exec_open_day=np.where(BASE.exec_ok, releasable, np.inf),
        first_board_day=first,
        board_day=np.where(BASE.reviewable, board, np.inf),
        exec_delay=exec_delay,
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sed=st.lists(day, min_size=N, max_size=N),
    releasable=st.lists(maybe_day, min_size=N, max_size=N),
    first_board=st.lists(st.floats(1, 400), min_size=N, max_size=N),
    exec_delay=st.lists(st.floats(0.5, 90), min_size=N, max_size=N),
    reviews=st.lists(st.lists(st.integers(1, 1500), max_size=6), min_size=N, max_size=N),
    every=st.sampled_from([0, 7, 28, 91]),
)
def test_engine_equals_reference_on_drawn_episodes(
    sed, releasable, first_board, exec_delay, reviews, every
):
    ep = make_episodes(
        np.array(sed), np.array(releasable), np.array(first_board), np.array(exec_delay)
    )
    width = max(len(r) for r in reviews)
    days = np.full((N, width), np.inf)
    for i, r in enumerate(reviews):
        days[i, : len(r)] = sorted(set(r)) + [np.inf] * (len(r) - len(set(r)))
    days.sort(axis=1)
    plan = ReviewPlan(days, every)
    fast = release_outcomes(ep, plan, RULES)
    rel, route, rev = des_simulate(ep, plan.dense(ep, RULES.horizon_days), RULES)
    # the same day; 1e-9 allows the last float rounding step of a fractional decision delay
    np.testing.assert_allclose(fast["release_day"], rel, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(fast["route"], route)
    np.testing.assert_array_equal(fast["reviews"], rev)
    # adding the periodic reviews never delays a release (common random numbers)
    if every:
        fewer = release_outcomes(ep, ReviewPlan(days), RULES)["release_day"]
        assert np.all(fast["release_day"] <= fewer)


@pytest.mark.parametrize("p", [0.0, 1.0])
def test_notice_probability_extremes(p):
    """With notice probability 0 nobody leaves by the executive route; with 1 the first review
    on or after the releasable day is the one that notices."""
    rules = replace(RULES, notice_probability=p)
    ep = BASE
    out = release_outcomes(ep, ReviewPlan(np.full((N, 0), np.inf), 7), rules)
    if p == 0:
        assert not np.any(out["route"] == 1)
    else:
        # the executive route opens on the releasable day, OM contact and no pending charge
        ok = ep.exec_ok & np.isfinite(ep.exec_open_day)
        first = np.maximum(np.ceil(ep.exec_open_day[ok] / 7), 1) * 7
        noticed = np.isfinite(out["notice_day"][ok])
        np.testing.assert_array_equal(out["notice_day"][ok][noticed], first[noticed])
