"""Does the scorer help? Its ordering against FIFO, random, nearest-SED and an oracle.

Two comparisons:

* :func:`snapshot_comparison` (works today): held-out simulated caseloads of a team's size; each
  ordering picks ``capacity`` cases to review now; we count how many picked cases a review
  releases and the supervised days it gains, using the engine's own outcomes
  (:func:`toolkit.priority.features.caseload_from_simulation`). One week, one decision.
* :func:`capacity_comparison` (issue 13 item 6): the full weekly capacity simulation in
  :func:`toolkit.review.simulate_reviews`, with the scorer injected as the ordering of
  ``capacity:per_week=R,priority=scorer`` (the review model's ``Scorer`` ordering takes the
  score function; :func:`toolkit.priority.simulation_score` is the one ``simulate`` wires in).

Targets (issue 13): at least 20% more people released before SED than FIFO at the same
capacity; at least 80% of the oracle's gain over FIFO; no rise in modelled serious further
offences.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from toolkit.exceptions import ToolkitError
from toolkit.priority.scorer import PriorityScorer

ORDERINGS = ("fifo", "random", "nearest_sed", "scorer", "oracle")


class OrderingNotInjectable(ToolkitError):
    """The review model does not (yet) take an injected priority callable."""


def _order_keys(frame, X, outcomes, scorer, rng) -> dict[str, np.ndarray]:
    """Higher = reviewed first, per ordering."""
    t = np.expm1(X["log_days_since_recall"].to_numpy())
    to_sed = np.expm1(X["log_days_to_sed"].to_numpy())
    return {
        "fifo": t,  # longest in custody first
        "random": rng.random(len(X)),
        "nearest_sed": -to_sed,
        "scorer": scorer.rank_score(X),
        # The oracle knows who is releasable today (not the luck of the review itself), and
        # among them puts the most supervision at stake first.
        "oracle": outcomes["releasable_now"].to_numpy() * (1.0 + to_sed),
    }


def snapshot_comparison(
    scorer: PriorityScorer,
    *,
    capacity: int = 20,
    caseload_size: int = 200,
    n_caseloads: int = 50,
    rng: np.random.Generator | int | None = None,
) -> pd.DataFrame:
    """Released-by-review and days gained when each ordering picks ``capacity`` of a caseload.

    Returns
    -------
    pandas.DataFrame
        Per ordering: ``released_per_week`` and ``days_gained_per_week`` (means over caseloads
        with 95% t intervals), ``ratio_to_fifo`` and ``share_of_oracle_gain`` (of the oracle's
        gain over FIFO, in released people).
    """
    from toolkit.priority.train import simulated_caseload

    rng = np.random.default_rng(rng)
    sim_rng, pick_rng = rng.spawn(2)
    n = caseload_size * n_caseloads
    frame, X, o = simulated_caseload(n, rng=sim_rng)
    released = (o["days_gained"].to_numpy() > 0).astype(float)
    gained = o["days_gained"].to_numpy()
    keys = _order_keys(frame, X, o, scorer, pick_rng)
    team = np.repeat(np.arange(n_caseloads), caseload_size)
    res = {}
    for name, k in keys.items():
        # rank within each caseload (vectorised): sort by (team, -key)
        order = np.lexsort((-k, team))
        pos = np.empty(n, dtype=np.int64)
        pos[order] = np.arange(n) - np.repeat(np.arange(n_caseloads) * caseload_size, caseload_size)
        chosen = pos < capacity
        rel = np.bincount(team, weights=released * chosen, minlength=n_caseloads)
        gain = np.bincount(team, weights=gained * chosen, minlength=n_caseloads)
        res[name] = (rel, gain)
    tq = stats.t.ppf(0.975, n_caseloads - 1)
    rows = []
    fifo_rel = res["fifo"][0].mean()
    oracle_rel = res["oracle"][0].mean()
    for name, (rel, gain) in res.items():
        row = {"ordering": name}
        for label, v in (("released_per_week", rel), ("days_gained_per_week", gain)):
            se = v.std(ddof=1) / np.sqrt(len(v))
            row[label] = v.mean()
            row[f"{label}_lo"] = v.mean() - tq * se
            row[f"{label}_hi"] = v.mean() + tq * se
        row["ratio_to_fifo"] = rel.mean() / fifo_rel if fifo_rel > 0 else np.nan
        span = oracle_rel - fifo_rel
        row["share_of_oracle_gain"] = (rel.mean() - fifo_rel) / span if span > 0 else np.nan
        rows.append(row)
    out = pd.DataFrame(rows)
    out.attrs.update(capacity=capacity, caseload_size=caseload_size, n_caseloads=n_caseloads)
    return out


def capacity_comparison(
    score,
    cohort: pd.DataFrame,
    *,
    per_week: int = 20,
    n: int = 4000,
    n_replications: int = 5,
    rng: np.random.Generator | int | None = None,
) -> pd.DataFrame:
    """Weekly-capacity simulation of each ordering (issue 13 item 6).

    Parameters
    ----------
    score : callable ``score(features) -> array`` (higher = sooner), e.g.
        :func:`toolkit.priority.simulation_score`, injected into the review model's
        ``scorer`` ordering; FIFO, random, nearest SED and the oracle run on the same episodes
        (common random numbers).

    Returns
    -------
    pandas.DataFrame
        :meth:`SimulationResult.summary` rows, one per ordering (``strategy`` names end in
        ``priority=<ordering>``), plus ``formal`` (no extra reviews).
    """
    from toolkit.review import CapacityLimited, FormalReviews, simulate_reviews
    from toolkit.review.ordering import Scorer

    try:
        injected = CapacityLimited(per_week=per_week, priority=Scorer(score))
    except (ToolkitError, TypeError, ValueError) as exc:
        raise OrderingNotInjectable(
            f"the review model does not take an injected priority ({exc})"
        ) from None
    strategies = {"formal": FormalReviews()}
    for name in ("fifo", "random", "nearest_sed", "oracle"):
        strategies[f"capacity:per_week={per_week},priority={name}"] = CapacityLimited(
            per_week=per_week, priority=name
        )
    strategies[f"capacity:per_week={per_week},priority=scorer"] = injected
    res = simulate_reviews(cohort, strategies, n=n, n_replications=n_replications, rng=rng)
    return res.summary()
