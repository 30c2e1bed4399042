"""States to people (``programmes._assign_states``) against the plain rule it implements.

The plain rule: within each pattern, dimension by dimension, every group of people is ranked by
that dimension's key (a stable sort, so ties keep the order the previous ranking left) and the
lowest values go to the lowest ranked. The implementation skips ranking a group that takes a
single value and replays the skipped rankings only when a later key ties; it must give the
same assignment exactly, ties included, which integer keys (many ties) exercise.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from toolkit.cohort.programmes import _assign_states


def plain_rule(states, x, inverse, sizes, keys):
    assign = np.zeros((states.shape[1], inverse.size), dtype=np.int64)
    order = np.argsort(inverse, kind="stable")
    starts = np.r_[0, np.cumsum(sizes)]
    for p in range(x.shape[0]):
        groups = [(order[starts[p] : starts[p + 1]], np.flatnonzero(x[p] > 0))]
        for d in range(states.shape[1]):
            nxt = []
            for members, st in groups:
                vals = states[st, d]
                ranked = members[np.argsort(keys[d][members], kind="stable")]
                pos = 0
                for v in np.unique(vals):
                    sub = st[vals == v]
                    k = int(x[p, sub].sum())
                    assign[d][ranked[pos : pos + k]] = v
                    nxt.append((ranked[pos : pos + k], sub))
                    pos += k
            groups = nxt
    return assign


def case(seed: int, n_people: int, dims: list[int], n_patterns: int, key_levels: int | None):
    """Random patterns and a random split of each pattern's people over a random subset of
    states (some patterns confined to one value in some dimensions, as forcing does)."""
    rng = np.random.default_rng(seed)
    states = np.array(list(itertools.product(*[range(k) for k in dims])), dtype=np.int64)
    inverse = rng.integers(0, n_patterns, n_people)
    sizes = np.bincount(inverse, minlength=n_patterns)
    x = np.zeros((n_patterns, states.shape[0]), dtype=np.int64)
    for p in range(n_patterns):
        allowed = np.ones(states.shape[0], dtype=bool)
        for d, k in enumerate(dims):  # confine some dimensions to one value
            if rng.random() < 0.5:
                allowed &= states[:, d] == rng.integers(0, k)
        idx = np.flatnonzero(allowed)
        x[p, idx] = np.bincount(rng.choice(idx, size=sizes[p]), minlength=states.shape[0])[idx]
    if key_levels is None:
        keys = [rng.random(n_people) for _ in dims]
    else:  # few distinct values: many ties
        keys = [rng.integers(0, key_levels, n_people).astype(float) for _ in dims]
    return states, x, inverse, sizes, keys


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("key_levels", [None, 3, 50])
def test_same_assignment_as_ranking_every_group(seed, key_levels):
    dims = [3, 2, 2, 2][: 2 + seed % 3]
    args = case(seed, 400 + 37 * seed, dims, 1 + seed % 6, key_levels)
    got = _assign_states(*args)
    np.testing.assert_array_equal(got, plain_rule(*args))
    states, x, inverse, sizes, _keys = args
    # and the counts of each state in each pattern are those asked for
    codes = np.ravel_multi_index(
        tuple(got), [int(states[:, d].max()) + 1 for d in range(len(dims))]
    )
    state_codes = np.ravel_multi_index(
        tuple(states.T), [int(states[:, d].max()) + 1 for d in range(len(dims))]
    )
    for p in range(x.shape[0]):
        counts = np.bincount(codes[inverse == p], minlength=state_codes.max() + 1)
        np.testing.assert_array_equal(counts[state_codes], x[p])
