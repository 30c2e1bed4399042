"""Marginal construction helpers: exact sums and means by construction, ranks preserved."""

import numpy as np
import pytest

from toolkit.cohort import construct as C


def test_largest_remainder_sums_and_is_proportional():
    counts = C.largest_remainder([57, 21, 18, 4], 3912)
    assert counts.sum() == 3912
    # Each count is within one of its exact quota (Hamilton's quota property).
    quota = np.array([57, 21, 18, 4]) / 100 * 3912
    assert np.all(np.abs(counts - quota) < 1)


def test_largest_remainder_rejects_impossible():
    with pytest.raises(ValueError, match="cannot allocate"):
        C.largest_remainder([0, 0], 3)


def test_integerise_to_sum_exact_and_monotone():
    rng = np.random.default_rng(5)
    x = rng.gamma(2.0, 1.5, size=10_001)
    total = int(round(x.sum()))
    k = C.integerise_to_sum(x, total)
    assert k.sum() == total
    order = np.argsort(x)
    assert np.all(np.diff(k[order]) >= 0), "a larger value never gets a smaller integer"
    assert np.all(np.abs(k - x) < 1)


def test_bounded_logit_normal_mean_is_exact():
    z = np.random.default_rng(1).standard_normal(74)
    x = C.bounded_logit_normal(z, 18, 85, 0.9, 31.9)
    assert abs(x.mean() - 31.9) < 1e-9
    assert x.min() > 18 and x.max() < 85
    # ranks of z are kept
    assert np.array_equal(np.argsort(z), np.argsort(x))


def test_bounded_logit_normal_rejects_mean_outside_bounds():
    with pytest.raises(ValueError, match="strictly between"):
        C.bounded_logit_normal(np.zeros(3), 0, 1, 1.0, 2.0)


def test_ordinal_counts_hit_sum_exactly():
    for n, total in [(3696, 2004), (3334, 1558), (57938, 60879), (10, 0), (10, 20)]:
        n1, n2 = C.ordinal_counts(n, total, 1.0)
        assert n1 + 2 * n2 == total
        assert 0 <= n1 and 0 <= n2 and n1 + n2 <= n


def test_assign_by_rank_counts_and_order():
    z = np.random.default_rng(2).standard_normal(1000)
    codes = C.assign_by_rank(z, [500, 300, 200])
    assert np.bincount(codes).tolist() == [500, 300, 200]
    # everyone in a higher category has a higher latent than everyone in a lower one
    assert z[codes == 0].max() < z[codes == 1].min() < z[codes == 2].min()


def test_exact_shuffle_counts():
    codes = C.exact_shuffle(np.array([3, 0, 2]), np.random.default_rng(0))
    assert sorted(codes.tolist()) == [0, 0, 0, 2, 2]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_newton_location_meets_the_mean_as_brentq_does(seed):
    # 200,000 logit-normal values with an offence-like shift: Newton from a subsample's
    # solution and brentq on everyone solve the same equation; both to machine precision, so
    # their locations agree to 1e-12 and the mean is met to 1e-12 (doubles of size ~30).
    rng = np.random.default_rng(seed)
    eta = 0.8 * rng.standard_normal(200_000) + rng.choice([0.0, 0.7, -0.4], 200_000)
    target = 25.0 + 10 * seed

    def mean_of(m):
        return 100.0 * float(np.mean(C.expit(m + eta)))

    def mean_and_slope(m):
        p = C.expit(m + eta)
        return 100.0 * float(np.mean(p)), 100.0 * float(np.mean(p * (1 - p)))

    sub = eta[::10]
    guess = C.solve_location(lambda m: 100.0 * float(np.mean(C.expit(m + sub))), target)
    mu_newton = C.newton_location(mean_and_slope, target, guess)
    mu_brentq = C.solve_location(mean_of, target)
    assert mu_newton == pytest.approx(mu_brentq, abs=1e-12)
    assert mean_of(mu_newton) == pytest.approx(target, abs=1e-12)
    x = C.bounded_logit_normal(eta, 0.0, 100.0, 1.0, target)  # the Newton path (>= 100,000)
    assert eta.size >= C.NEWTON_MIN_PEOPLE
    assert float(x.mean()) == pytest.approx(target, abs=1e-10)


def test_newton_location_falls_back_to_the_bracketing_solve():
    # A slope that is zero (a flat mean) or a guess that runs outside [lo, hi]: the bracketing
    # solve answers instead. mean(mu) = mu**3 has slope 0 at the guess 0.
    target = 8.0  # mu = 2
    got = C.newton_location(lambda m: (m**3, 3 * m**2), target, guess=0.0, lo=-40, hi=40)
    assert got == pytest.approx(2.0, abs=1e-12)
    # a mean whose Newton step overshoots far outside the range: tanh-like plateau
    got = C.newton_location(
        lambda m: (float(np.tanh(m)), float(1 - np.tanh(m) ** 2)), 0.5, guess=3.0, lo=-5, hi=5
    )
    assert got == pytest.approx(float(np.arctanh(0.5)), abs=1e-12)
