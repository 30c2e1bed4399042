"""Flow from the census (1 / E[stay | person] weights), national scaling by Little's law, and
route shares under formal reviews."""

from dataclasses import replace
from types import MappingProxyType

import numpy as np
import pytest

from toolkit.cohort.generate import generate_cohort
from toolkit.defaults import DEFAULT_SEED
from toolkit.review import FormalReviews, build_episodes, load_release_rules, simulate_reviews
from toolkit.review.episodes import params_from
from toolkit.review.national import national_flow
from toolkit.schema import RECALL_TYPES

TYPES = ("standard", "extended", "fixed_term", "ipp_dpp", "life", "hdc")


@pytest.fixture(scope="module")
def rules():
    return load_release_rules()


@pytest.fixture(scope="module")
def census():
    return generate_cohort(populations=list(TYPES), rng=DEFAULT_SEED)


@pytest.mark.slow
def test_flow_reproduces_its_census(census, rules):
    """The steady-state stock of the simulated flow (each admission held for its stay) has the
    census's recall-type mix and, within standard recalls, its accommodation-need share."""
    n = 40_000
    ep = build_episodes(census, rules, n, populations=TYPES, rng=11)
    stay = FormalReviews().outcomes(ep, rules)["release_day"]
    pop = census["population"].astype(str).to_numpy()
    census_share = np.array([(pop == t).mean() for t in RECALL_TYPES])
    stock = np.bincount(ep.recall_type, weights=stay, minlength=6) / stay.sum()
    # Sampling error of a stay-weighted share (ratio estimator) from the sample itself, plus
    # the census's own sampling error (5,125 rows) behind the E[stay | cell] smoothing: 4 SE.
    for code in range(len(RECALL_TYPES)):
        x = stay * (ep.recall_type == code)
        z = x - stock[code] * stay
        se_flow = np.sqrt((z**2).sum()) / stay.sum()
        se_census = np.sqrt(census_share[code] * (1 - census_share[code]) / len(pop))
        tol = 4 * np.hypot(se_flow, se_census)
        assert abs(stock[code] - census_share[code]) <= tol, (RECALL_TYPES[code], stock, tol)
    # fixed-term recalls are a small part of the census but a large part of the flow
    assert (ep.recall_type == RECALL_TYPES.index("fixed_term")).mean() > 4 * census_share[2]
    std = ep.recall_type == 0
    accom = np.isfinite(ep.accommodation_day) | census["need_accommodation"].fillna(0).to_numpy()[
        ep.cohort_row
    ].astype(bool)
    stock_accom = (stay * (std & accom)).sum() / (stay * std).sum()
    std_rows = census[pop == "standard"]
    census_accom = (std_rows["need_accommodation"].fillna(0) >= 1).mean()
    se = np.sqrt(census_accom * (1 - census_accom) / len(std_rows))
    assert abs(stock_accom - census_accom) <= 4 * se + 0.02  # + 2 points for the flow's own SE


def test_weights_are_per_person(census, rules):
    """Within a recall type, people with more barriers stay longer and so are under-represented
    in the flow relative to the census."""
    ep = build_episodes(census, rules, 30_000, populations=("standard",), rng=2)
    std = census[census["population"] == "standard"]
    census_accom = (std["need_accommodation"].fillna(0) >= 1).mean()
    flow_accom = np.isfinite(ep.accommodation_day).mean()
    assert flow_accom < census_accom - 0.02


def test_littles_law_and_national_scaling(rules, census):
    p = params_from(rules, None)
    nat = national_flow(rules, p)
    # the arithmetic: published stock / mean stay = the flow the stock implies
    assert nat["flow_implied_by_stock"] > 0
    np.testing.assert_allclose(
        nat["implied_stock"], nat["annual_recalls"] * nat["mean_stay_days"] / 365, rtol=1e-9
    )
    # the check itself: the model's stays put 21,500 recalls a year within a factor 1.5 of the
    # published stock (the seeds' own numbers, stock 6,564, flow about 21,500)
    assert 1 / 1.5 < nat["implied_stock_over_published"] < 1.5
    # growth makes the current flow higher than the 2015 average, and the stock per unit flow
    # lower (recent admissions dominate)
    g = national_flow(rules, p, growth=0.15)
    assert g["annual_recalls_now_from_published_flow"] > nat["annual_recalls"]
    assert (
        g["implied_stock"] / g["annual_recalls_now_from_published_flow"]
        < nat["implied_stock"] / 21_500
    )
    # anchored on the stock (the shipped reading): the national stock is the published one
    # whatever the growth, and the standard-recall part of it is the census share of it
    for res in (nat, g):
        assert res["anchor"] == "stock"
        assert res["national_stock"] == pytest.approx(rules.national["stock"], rel=1e-9)
    std_share = float((census["population"] == "standard").sum()) / float(
        census["population"].isin(RECALL_TYPES).sum()
    )
    assert nat["national_stock_of_populations"] == pytest.approx(
        rules.national["stock"] * std_share, rel=1e-9
    )
    # with growth the same stock needs a higher current flow (recent admissions have had less
    # time to accumulate)
    assert g["annual_recalls_now"] > nat["annual_recalls_now"]
    # anchored on the flow: the published flow is used and the stock is the check's
    flow = national_flow(
        replace(rules, national=MappingProxyType({**rules.national, "anchor": "flow"})), p
    )
    assert flow["annual_recalls_now"] == pytest.approx(21_500)
    assert flow["national_stock"] == pytest.approx(nat["implied_stock"], rel=1e-9)
    # an explicit flow always means the flow
    assert national_flow(rules, p, annual_recalls=10_000)["annual_recalls_now"] == 10_000
    # national scaling does not depend on the cohort passed in
    std_only = generate_cohort(populations=["standard"], rng=5)
    a = simulate_reviews(
        std_only, {"formal": FormalReviews()}, rules, n=300, n_replications=1, rng=1
    )
    b = simulate_reviews(census, {"formal": FormalReviews()}, rules, n=300, n_replications=1, rng=1)
    assert a.flow_share == b.flow_share == pytest.approx(nat["flow_share"])
    assert 0.3 < a.flow_share < 0.8  # standard: 76% of the stock, less of the flow


def test_formal_route_shares_have_no_day_spike(rules):
    coh = generate_cohort(populations=["standard"], rng=DEFAULT_SEED)
    res = simulate_reviews(
        coh, {"formal": FormalReviews()}, rules, n=20_000, n_replications=1, rng=3
    )
    rec = res.records
    early = rec[rec["route"].isin(["executive", "parole_board"])]
    days = np.floor(early["release_day"]).value_counts(normalize=True)
    assert days.max() < 0.05  # no day holds more than 5% of the releases before SED
    board = (early["route"] == "parole_board").mean()
    lo, hi = rules.calibration["board_share_range_pct"]
    assert lo / 100 <= board <= hi / 100
    assert (rec["route"] == "executive").mean() > 0.01
