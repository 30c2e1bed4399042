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
