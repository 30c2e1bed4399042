"""Strategies as paired differences from a baseline (``formal``), with intervals.

Every strategy runs on the same episodes in each replication (common random numbers), so the
difference between a strategy and the baseline is computed within each replication and the
interval is a t interval over the replications' differences: far narrower than comparing two
independent intervals. "Bed-days saved" is measured against the stated baseline, not against
everyone staying to SED (under which the status quo itself would "save" bed-days).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from toolkit.exceptions import UsageError
from toolkit.review.engine import replication_means, t_quantile

#: The quantities compared: (name, mean it comes from (replication_means), scale, unit).
#: Differences are strategy minus baseline, per person admitted (or per 100 / 1,000).
PAIRED = (
    ("custody_days", "custody_days", 1, "days per person (first stay)"),
    ("follow_up_custody_days", "follow_up_custody_days", 1, "days per person in the window"),
    ("return_custody_days", "return_custody_days", 1, "re-recall custody days per person"),
    ("re_recall_pct", "re_recalled", 100, "percentage points"),
    ("reoffending_pct", "reoffended", 100, "percentage points"),
    ("rsr_serious_reoffending_per_1000", "sfo", 1000, "per 1,000 (RSR-predicted)"),
    (
        "rsr_serious_reoffending_on_licence_per_1000",
        "sfo_on_licence",
        1000,
        "per 1,000 (RSR-predicted, on licence)",
    ),
    ("reviews", "reviews", 1, "reviews per person"),
    ("cost", "cost", 1, "GBP per person (average cost per bed-day)"),
    ("cost_marginal", "cost_marginal", 1, "GBP per person (marginal cost per bed-day)"),
)


def paired_differences_from_means(
    means: Sequence[dict],
    baseline: str = "formal",
    *,
    confidence: float = 0.95,
) -> list[dict]:
    """Paired differences from per strategy x replication means (the dicts
    ``write_records`` returns: ``strategy``, ``replication`` and :func:`replication_means`).

    Returns one row per strategy other than the baseline and quantity: ``strategy``,
    ``quantity``, ``unit``, ``difference`` (mean over replications of strategy minus baseline),
    ``lo``, ``hi`` (t interval over replications; equal to the difference with one
    replication), ``n_replications``. ``bed_days_saved_vs_baseline`` is minus the custody
    difference in the window (days per person).
    """
    by = {(m["strategy"], m["replication"]): m for m in means}
    strategies = list(dict.fromkeys(m["strategy"] for m in means))
    if baseline not in strategies:
        raise UsageError(
            f"paired differences need the baseline strategy {baseline!r} among the strategies "
            f"simulated ({', '.join(strategies)})"
        )
    reps = sorted({m["replication"] for m in means if m["strategy"] == baseline})
    k = len(reps)
    tq = t_quantile(0.5 + confidence / 2, k - 1) if k > 1 else 0.0
    rows = []
    quantities = PAIRED + (
        ("bed_days_saved_vs_baseline", "follow_up_custody_days", -1, "bed-days per person"),
    )
    for s in strategies:
        if s == baseline:
            continue
        for name, src, scale, unit in quantities:
            d = np.array([scale * (by[(s, r)][src] - by[(baseline, r)][src]) for r in reps])
            mu = float(d.mean())
            half = float(tq * d.std(ddof=1) / np.sqrt(k)) if k > 1 else 0.0
            rows.append(
                {
                    "strategy": s,
                    "baseline": baseline,
                    "quantity": name,
                    "unit": unit,
                    "difference": mu,
                    "lo": mu - half,
                    "hi": mu + half,
                    "n_replications": k,
                }
            )
    return rows


def paired_differences(records, baseline: str = "formal", *, confidence: float = 0.95):
    """Paired differences from a records DataFrame (``SimulationResult.records``) as a
    DataFrame; see :func:`paired_differences_from_means`.

    Examples
    --------
    >>> from toolkit.cohort.generate import generate_cohort
    >>> from toolkit.review.engine import simulate_reviews
    >>> from toolkit.review.strategies import FormalReviews, ProactiveReview
    >>> res = simulate_reviews(generate_cohort(populations=["standard"], rng=1),
    ...     {"formal": FormalReviews(), "proactive": ProactiveReview(every=28)},
    ...     n=1000, n_replications=3, rng=1)
    >>> d = paired_differences(res.records).set_index("quantity")
    >>> bool(d.loc["custody_days", "difference"] <= 0)
    True
    """
    import pandas as pd

    means = []
    for (s, r), g in records.groupby(["strategy", "replication"], observed=True, sort=False):
        cols = {c: g[c].to_numpy() for c in g.columns if c not in ("strategy", "replication")}
        cols["route"] = g["route"].cat.codes.to_numpy()
        means.append({"strategy": s, "replication": r} | replication_means(cols))
    return pd.DataFrame(paired_differences_from_means(means, baseline, confidence=confidence))
