"""Fit, evaluate and store the default :class:`PriorityScorer` from the review simulation.

Re-run after the review model changes (``recall-toolkit fit-scorer``; ``python -m
toolkit.priority.train`` and ``benchmarks/fit_default_scorer.py`` run the same command): the
training data come from
:func:`toolkit.priority.features.caseload_from_simulation`, so nothing else needs editing.
Held-out evaluation uses an independent spawned stream (other people, other draws).
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from scipy.special import logit
from sklearn.calibration import calibration_curve
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score

import toolkit
from toolkit import defaults
from toolkit.cohort.generate import generate_cohort
from toolkit.defaults import SCORER_SEED
from toolkit.exceptions import UsageError
from toolkit.priority import URGENCY_FLOOR_DAYS
from toolkit.priority.compare import decision_records, decision_table, snapshot_comparison
from toolkit.priority.fairness import held_out_fairness
from toolkit.priority.features import DEFAULT_AS_OF, simulated_caseload
from toolkit.priority.gain import ReviewGain
from toolkit.priority.scorer import DEFAULT_DIR, PriorityScorer
from toolkit.priority.seeds import recorded_seed
from toolkit.review.ordering import frame_to_arrays

DEFAULT_SEED = SCORER_SEED
N_TRAIN = 40_000
N_TEST = 20_000


def evaluate(scorer: PriorityScorer, X: pd.DataFrame, outcomes: pd.DataFrame) -> dict:
    """Discrimination and calibration on held-out cases (review-based recalls only)."""
    m = outcomes["review_type"].to_numpy()
    y = outcomes["releasable_28d"].to_numpy()[m]
    s = scorer.score_frame(X[m])
    p = s["probability"].to_numpy()
    frac, mean_pred = calibration_curve(y, p, n_bins=10, strategy="quantile")
    # Calibration intercept and slope (Cox): logistic regression of y on logit(p).
    lp = logit(np.clip(p, 1e-6, 1 - 1e-6))[:, None]
    cal = LogisticRegression(C=1e6).fit(lp, y)
    g = outcomes["days_gained"].to_numpy()[m]
    gp = s["days_gained"].to_numpy()
    return {
        "n_held_out": int(m.sum()),
        "prevalence": float(y.mean()),
        "auc": float(roc_auc_score(y, p)),
        "brier": float(brier_score_loss(y, p)),
        "brier_of_prevalence": float(brier_score_loss(y, np.full_like(p, y.mean()))),
        "calibration_slope": float(cal.coef_[0, 0]),
        "calibration_intercept": float(cal.intercept_[0]),
        "reliability": {
            "mean_predicted": [round(float(v), 4) for v in mean_pred],
            "observed": [round(float(v), 4) for v in frac],
        },
        "days_gained_mean_observed": float(g.mean()),
        "days_gained_mean_predicted": float(gp.mean()),
        "days_gained_auc_any": float(roc_auc_score(g > 0, gp)) if (g > 0).any() else None,
        "auc_ogrs3_placeholder": float(roc_auc_score(y, 1 - X["logit_ogrs3"].to_numpy()[m])),
    }


def capacity_table(
    scorer: PriorityScorer,
    *,
    rng: np.random.Generator | int | np.random.SeedSequence | None = None,
    seed: int | None = None,
    n: int = 10_000,
    reps: int = 5,
    capacities=(10, 20, 40, 60),
) -> dict:
    """The decision-quality table (:func:`toolkit.priority.compare.decision_table`) in the
    review model's weekly capacity simulation, with this scorer's expected gain per day left
    to SED as the ``scorer`` ordering (as :func:`toolkit.priority.simulation_score` ranks with
    the shipped one); on cohort seed :data:`toolkit.defaults.DEFAULT_SEED`, not used to fit
    the scorer. ``rng`` draws the simulation (``seed``: its older name, kept; default
    :data:`DEFAULT_SEED`)."""
    if rng is not None and seed is not None:
        raise UsageError("give rng or seed (the same thing), not both")
    rng = DEFAULT_SEED if rng is None and seed is None else (seed if rng is None else rng)
    gain = ReviewGain(scorer)

    def score(features):
        a = frame_to_arrays(features)
        return gain(a) / np.maximum(np.asarray(a["days_to_sed"], float), URGENCY_FLOOR_DAYS)

    def prepare(ep, census=None, rules=None):
        g = gain if rules is None else ReviewGain(scorer, rules)
        return g.prepare(ep, census, floor_days=URGENCY_FLOOR_DAYS)

    score.prepare = prepare
    cohort = generate_cohort(populations=["standard"], rng=defaults.DEFAULT_SEED)
    rec = decision_records(
        cohort, capacities=capacities, n=n, n_replications=reps, rng=rng, score=score
    )
    t = decision_table(rec, capacities)
    out = {}
    for cap in capacities:
        rows = t[t["per_week"] == cap].drop(columns="per_week")
        out[str(cap)] = [
            {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in r.items()}
            for r in rows.to_dict("records")
        ]
    return out


def fit_default_scorer(
    seed: int | None = None,
    *,
    rng: np.random.Generator | int | np.random.SeedSequence | None = None,
    n_train: int = N_TRAIN,
    n_test: int = N_TEST,
    out: str | Path | None = DEFAULT_DIR,
) -> tuple[PriorityScorer, dict]:
    """Fit the default scorer on simulated caseloads, evaluate it held out, optionally store it.

    ``rng`` (or ``seed``, its older name) is turned into the integer seed the manifest records
    (:func:`toolkit.priority.seeds.recorded_seed`; default :data:`DEFAULT_SEED`).

    Returns
    -------
    scorer, manifest
    """
    if rng is not None and seed is not None:
        raise UsageError("give rng or seed (the same thing), not both")
    seed = recorded_seed(seed if rng is None else rng, DEFAULT_SEED)
    train_rng, test_rng = np.random.default_rng(seed).spawn(2)
    _, X, o = simulated_caseload(n_train, rng=train_rng)
    keep = o["review_type"].to_numpy()
    scorer = PriorityScorer().fit(
        X[keep], o["releasable_28d"].to_numpy()[keep], days_gained=o["days_gained"].to_numpy()[keep]
    )
    ft, Xt, ot = simulated_caseload(n_test, rng=test_rng)
    metrics = evaluate(scorer, Xt, ot)
    fair = held_out_fairness(scorer, ft, Xt, ot)
    comparison = {
        str(cap): snapshot_comparison(
            scorer, capacity=cap, caseload_size=300, n_caseloads=40, rng=seed + cap
        ).to_dict("records")
        for cap in (20, 60)
    }
    capacity = capacity_table(scorer, rng=seed)
    manifest = {
        "what": "Default review-priority readiness model",
        # the recall types it was fitted on: prioritise ranks no other type
        "recall_types": ["standard"],
        "trained_on": "toolkit.priority.features.caseload_from_simulation: standard recalls "
        "from toolkit.review.build_episodes on a generate_cohort census, seen while in custody "
        "under formal reviews (length-biased)",
        "seed": seed,
        "n_train": int(keep.sum()),
        "as_of": str(DEFAULT_AS_OF.date()),
        "held_out": metrics,
        "held_out_fairness": fair.to_dict("records"),
        "snapshot_comparison": comparison,
        "capacity_comparison": capacity,
        "toolkit_version": toolkit.__version__,
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "python": platform.python_version(),
        "regenerate": "python -m toolkit.priority.train",
    }
    if out is not None:
        scorer.save(out, manifest=manifest)
    return scorer, manifest


def held_out_summary(manifest: dict, out: str | Path | None) -> str:
    """One line: the held-out discrimination and calibration of a fitted scorer's manifest."""
    h = manifest["held_out"]
    return (
        f"held-out AUC {h['auc']:.3f} (OGRS3 placeholder {h['auc_ogrs3_placeholder']:.3f}), "
        f"Brier {h['brier']:.4f} (prevalence-only {h['brier_of_prevalence']:.4f}), "
        f"calibration slope {h['calibration_slope']:.2f}, intercept "
        f"{h['calibration_intercept']:.2f}; stored in {out}"
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m toolkit.priority.train [--seed S] [--out DIR] [--n-train N]``: the
    ``recall-toolkit fit-scorer`` command (one parser for both)."""
    # the command line sits above the toolkit: imported here so the library never needs it
    from toolkit.cli import main as cli_main

    return cli_main(["fit-scorer", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    raise SystemExit(main())
