"""Programme columns at scale (issue 23): the state MILP guided by its LP relaxation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp

from toolkit.cohort import programmes as P


@pytest.mark.slow
def test_guided_solution_meets_the_full_milp_gap():
    """A transport-like problem with large counts (as at 1,000,000 people): the guided solve is
    integral, feasible and within the same relative gap of the full MILP's optimum."""
    rng = np.random.default_rng(3)
    n_p, n_s = 12, 16
    sizes = rng.integers(20_000, 90_000, n_p)
    nx = n_p * n_s
    rows, lb, ub = [], [], []
    for p in range(n_p):  # each pattern's people over the states
        r = np.zeros(nx + 2 * n_s)
        r[p * n_s : (p + 1) * n_s] = 1
        rows.append(r)
        lb.append(sizes[p])
        ub.append(sizes[p])
    nat = rng.multinomial(sizes.sum(), rng.dirichlet(np.ones(n_s)))
    for s in range(n_s):  # stay near a target per state (deviation both ways costs 1)
        r = np.zeros(nx + 2 * n_s)
        r[s:nx:n_s] = 1
        r[nx + 2 * s], r[nx + 2 * s + 1] = -1, 1
        rows.append(r)
        lb.append(nat[s] + 0.5)
        ub.append(nat[s] + 0.5)
    cost = np.r_[rng.random(nx) * 0.01, np.ones(2 * n_s)]
    integrality = np.r_[np.ones(nx), np.zeros(2 * n_s)]
    bounds = Bounds(0, np.r_[np.repeat(sizes, n_s), np.full(2 * n_s, np.inf)].astype(float))
    cons = LinearConstraint(np.array(rows), lb, ub)
    guided = P._solve_states(cost, integrality, bounds, cons, guided=True)
    full = milp(cost, integrality=integrality, bounds=bounds, constraints=cons)
    x = guided.x[:nx]
    assert np.allclose(x, np.round(x), atol=1e-6)
    assert np.allclose(np.array(rows)[:n_p] @ guided.x, sizes)
    assert guided.fun <= full.fun * (1 + P._GAP) + 1e-9


def test_large_cohort_meets_the_published_shares():
    """At 200,000 standard recalls (the guided path) every programme's suitable share of the
    Table 2 base is the published share to within what whole people allow at the base's size
    (half a person in 3,699 is 0.014 points; we allow 0.05, the printed rounding)."""
    from toolkit.cohort.generate import generate_cohort
    from toolkit.profile.rules import base_mask, load_programme_rules, suitability

    rules = load_programme_rules()
    c = generate_cohort(n=200_000, populations=["standard"], rng=4)
    base = base_mask(c, rules)
    assert base.sum() >= P._GUIDED_MIN_PEOPLE
    suit = suitability(c.loc[base], rules)
    for p in rules.programmes:
        got = 100 * suit[p.name].mean()
        want = 100 * p.suitable / rules.base_n
        assert abs(got - want) < 0.05, (p.name, got, want)


def test_stable_argsort_is_numpys_stable_sort():
    rng = np.random.default_rng(0)
    for t in range(300):
        n = int(rng.integers(0, 60))
        a = rng.integers(0, 5, n).astype(float) if t % 2 else rng.random(n)
        if t % 7 == 0 and n:
            a[rng.integers(0, n, 3)] = np.nan
        np.testing.assert_array_equal(P._stable_argsort(a), np.argsort(a, kind="stable"))
