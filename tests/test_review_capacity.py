"""Capacity strategies: every ordering agrees with the discrete-event reference to the day,
common random numbers hold whichever strategies run, and the scorer takes an injected score."""

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
from reference_des import simulate_capacity  # noqa: E402

from toolkit.cohort.generate import generate_cohort  # noqa: E402
from toolkit.review import (  # noqa: E402
    FEATURES,
    CapacityLimited,
    FormalReviews,
    Scorer,
    build_episodes,
    load_release_rules,
    parse_strategy,
    simulate_reviews,
)
from toolkit.review.episodes import prepare_census  # noqa: E402


@pytest.fixture(scope="module")
def rules():
    return load_release_rules()


@pytest.fixture(scope="module")
def cohort():
    return generate_cohort(populations=["standard", "extended", "fixed_term", "life"], rng=7)


@pytest.fixture(scope="module")
def episodes(cohort, rules):
    pops = ("standard", "extended", "fixed_term", "life")
    return build_episodes(cohort, rules, 300, populations=pops, rng=8)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["fifo", "random", "nearest_sed", "scorer", "cleared_nearest_sed"])
def test_capacity_matches_discrete_event_reference(episodes, rules, cohort, name):
    census = prepare_census(cohort)
    strat = CapacityLimited(per_week=4, priority=name, min_gap=21)
    fast = strat.outcomes(episodes, rules, census)

    def key(i, t):
        return float(strat.priority.priority(episodes, np.array([i]), np.array([t]), census)[0])

    formal = FormalReviews().review_days(episodes, rules)
    rel, route, rev = simulate_capacity(episodes, formal, rules, 4, key, 21)
    np.testing.assert_array_equal(fast["release_day"], rel)
    np.testing.assert_array_equal(fast["route"], route)
    np.testing.assert_array_equal(fast["reviews"], rev)
    assert fast["reviews"].sum() > FormalReviews().outcomes(episodes, rules)["reviews"].sum()


def test_oracle_capacity_equals_its_allocation_as_explicit_reviews(episodes, rules, cohort):
    """The oracle plans its reviews up front (a maximum flow, not a per-day key, so the
    discrete-event reference above does not apply): the capacity loop must give exactly the
    releases of the formal reviews plus one executive review on each person's allocated day,
    at most ``per_week`` a week."""
    from toolkit.review.mechanism import ReviewPlan, formal_plan, merge_days, release_outcomes
    from toolkit.review.ordering import oracle_weeks

    census = prepare_census(cohort)
    strat = CapacityLimited(per_week=4, priority="oracle")
    fast = strat.outcomes(episodes, rules, census)
    formal = release_outcomes(episodes, formal_plan(episodes, rules), rules)
    limit = np.minimum(episodes.sed, rules.horizon_days)
    stop = np.minimum.reduce([formal["notice_day"], episodes.board_day, limit])
    week = oracle_weeks(episodes, rules, per_week=4, formal=formal, stop=stop)
    assert week.max() >= 0 and np.bincount(week[week >= 0]).max() <= 4
    day = np.where(week >= 0, 7.0 * week - episodes.admit_day, np.inf)[:, None]
    explicit = release_outcomes(
        episodes, ReviewPlan(merge_days(formal_plan(episodes, rules).days, day)), rules
    )
    np.testing.assert_array_equal(fast["release_day"], explicit["release_day"])
    np.testing.assert_array_equal(fast["route"], explicit["route"])


def test_common_random_numbers_whichever_strategies_run(cohort, rules):
    """The same person in the same replication gets the same draws (and so the same record
    under a given strategy) whatever else runs beside it."""
    names = ["capacity:per_week=10,priority=random", "capacity:per_week=10,priority=fifo"]
    a = simulate_reviews(
        cohort, {names[0]: parse_strategy(names[0])}, rules, n=2000, n_replications=2, rng=3
    ).records
    b = simulate_reviews(
        cohort,
        {
            "formal": FormalReviews(),
            names[1]: parse_strategy(names[1]),
            names[0]: parse_strategy(names[0]),
        },
        rules,
        n=2000,
        n_replications=2,
        rng=3,
    ).records
    b = b[b["strategy"] == names[0]].reset_index(drop=True)
    for col in ("person_id", "releasable_day", "release_day", "route", "reviews", "sfo"):
        np.testing.assert_array_equal(a[col].to_numpy(), b[col].to_numpy(), err_msg=col)


def test_scorer_takes_an_injected_score(cohort, rules, episodes):
    seen = {}

    def score(features):
        seen["columns"] = list(features.columns)
        return -features["days_to_sed"].to_numpy()  # nearest SED first, through the scorer

    census = prepare_census(cohort)
    via_scorer = CapacityLimited(4, Scorer(score)).outcomes(episodes, rules, census)
    direct = CapacityLimited(4, "nearest_sed").outcomes(episodes, rules, census)
    assert seen["columns"] == list(FEATURES)
    np.testing.assert_array_equal(via_scorer["release_day"], direct["release_day"])
    assert parse_strategy("capacity:priority=scorer", score=score).priority.score is score


def test_oracle_beats_fifo_and_random(cohort, rules):
    """Knowing who is releasable releases more people before SED at the same capacity. Fixed
    seed; the gap (several points) is far above the replication SD at n = 3,000 x 3 (about 1
    point)."""
    names = [f"capacity:per_week=15,priority={p}" for p in ("fifo", "random", "oracle")]
    res = simulate_reviews(
        cohort, {n: parse_strategy(n) for n in names}, rules, n=3000, n_replications=3, rng=4
    )
    s = res.summary().set_index("strategy")["released_at_sed_pct"]
    assert s[names[2]] < s[names[0]] - 2
    assert s[names[2]] < s[names[1]] - 2


# --- the integer-week caseload equals the plain week-by-week loop ------------------------------


def plain_weekly_loop(ep, order, *, per_week, min_gap, stop, open_, p, census=None):
    """The capacity strategy's weekly loop as first written (one numpy pass over the caseload
    per week, every week): the reference :func:`toolkit.review.capacity.weekly_reviews` must
    equal bit for bit. Also returns how many reviews came a week later than ``min_gap`` days
    rounded up to weeks (the float difference of two review days fell just short)."""
    from toolkit.review.mechanism import hash_uniform

    stop = stop.copy()
    extra_notice = np.full(ep.n, np.inf)
    extra = np.zeros(ep.n, dtype=np.int64)
    last = np.full(ep.n, -np.inf)
    live = np.flatnonzero(ep.reviewable)
    late, week = 0, 0
    while live.size and per_week > 0:
        t = 7.0 * week - ep.admit_day[live]
        live = live[t < stop[live]]
        t = 7.0 * week - ep.admit_day[live]
        ok = (t >= 0) & (t - last[live] >= min_gap)
        cand = live[ok]
        if cand.size:
            chosen = order.select(ep, cand, t[ok], per_week, census)
            tc = 7.0 * week - ep.admit_day[chosen]
            gap = tc - last[chosen]
            late += int(np.sum(np.isfinite(gap) & (np.rint(gap / 7) > -(-min_gap // 7))))
            last[chosen] = tc
            extra[chosen] += 1
            hit = (tc >= open_[chosen]) & (hash_uniform(ep.key[chosen], tc) < p)
            extra_notice[chosen[hit]] = tc[hit]
            stop[chosen[hit]] = tc[hit]
        week += 1
    return extra_notice, extra, late


def _loop_inputs(ep, rules, census, per_week, priority):
    from toolkit.review.mechanism import formal_plan, release_outcomes
    from toolkit.review.ordering import make_ordering

    formal = release_outcomes(ep, formal_plan(ep, rules), rules)
    limit = np.minimum(ep.sed, rules.horizon_days)
    stop = np.minimum.reduce([formal["notice_day"], ep.board_day, limit])
    order = make_ordering(priority).prepare(
        ep, rules, census, per_week=per_week, formal=formal, stop=stop.copy()
    )
    open_ = np.where(ep.reviewable, ep.exec_open_day, np.inf)
    return order, stop, open_


@pytest.mark.parametrize("priority", ["fifo", "random", "nearest_sed", "oracle"])
@pytest.mark.parametrize("per_week, min_gap", [(0, 28), (3, 28), (12, 21), (7, 30), (40, 1)])
def test_weekly_reviews_equal_the_plain_loop(episodes, rules, cohort, priority, per_week, min_gap):
    from toolkit.review.capacity import weekly_reviews

    census = prepare_census(cohort)
    order, stop, open_ = _loop_inputs(episodes, rules, census, per_week, priority)
    kw = dict(per_week=per_week, min_gap=min_gap, stop=stop, open_=open_, census=census)
    p = rules.notice_probability
    notice, extra = weekly_reviews(episodes, order, p=p, **kw)
    ref_notice, ref_extra, _ = plain_weekly_loop(episodes, order, p=p, **kw)
    np.testing.assert_array_equal(notice, ref_notice)
    np.testing.assert_array_equal(extra, ref_extra)


def test_uncontested_reviews_follow_the_float_gap(cohort, rules):
    """With capacity to spare everyone is reviewed whenever due (the free run); a review that
    comes a week late because the float difference of two days fell a hair short of
    ``min_gap`` is reproduced, and there are such reviews in this sample."""
    from toolkit.review.capacity import weekly_reviews

    census = prepare_census(cohort)
    ep = build_episodes(cohort, rules, 2500, populations=("standard", "life"), rng=21)
    order, stop, open_ = _loop_inputs(ep, rules, census, 10_000, "fifo")
    for p in (rules.notice_probability, 0.05):  # few notices: long runs of reviews
        kw = dict(per_week=10_000, min_gap=28, stop=stop, open_=open_, p=p)
        notice, extra = weekly_reviews(ep, order, **kw)
        ref_notice, ref_extra, late = plain_weekly_loop(ep, order, **kw)
        np.testing.assert_array_equal(notice, ref_notice)
        np.testing.assert_array_equal(extra, ref_extra)
    assert late > 0


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    n=st.integers(1, 400),
    seed=st.integers(0, 2**16),
    per_week=st.integers(1, 60),
    min_gap=st.integers(1, 50),
    priority=st.sampled_from(["fifo", "random", "nearest_sed", "cleared_nearest_sed"]),
    p=st.floats(0.05, 1.0),
)
def test_weekly_reviews_equal_the_plain_loop_anywhere(
    cohort, rules, n, seed, per_week, min_gap, priority, p
):
    """Any caseload size, capacity, gap, ordering and notice probability: the same bits."""
    from toolkit.review.capacity import weekly_reviews

    census = prepare_census(cohort)
    ep = build_episodes(cohort, rules, n, populations=("standard", "life"), rng=seed)
    order, stop, open_ = _loop_inputs(ep, rules, census, per_week, priority)
    kw = dict(per_week=per_week, min_gap=min_gap, stop=stop, open_=open_, p=p, census=census)
    notice, extra = weekly_reviews(ep, order, **kw)
    ref_notice, ref_extra, _ = plain_weekly_loop(ep, order, **kw)
    np.testing.assert_array_equal(notice, ref_notice)
    np.testing.assert_array_equal(extra, ref_extra)
