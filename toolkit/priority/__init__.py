"""Review-priority suggestions for practitioners: caseload in, ranked list with reasons out."""

from functools import lru_cache

__all__ = ["PriorityScorer", "load_default_scorer", "simulation_score"]


def __getattr__(name):
    # The README documents `from toolkit.priority import PriorityScorer`; scikit-learn is
    # imported only when the estimator is asked for (prioritise itself does not need it).
    if name in ("PriorityScorer", "load_default_scorer"):
        from toolkit.priority import scorer

        return getattr(scorer, name)
    raise AttributeError(f"module 'toolkit.priority' has no attribute {name!r}")


@lru_cache(maxsize=1)
def _default():
    from toolkit.priority.model import load_scoring_model

    return load_scoring_model()


def simulation_score(features):
    """Score function for the review simulation's ``capacity:...,priority=scorer`` ordering:
    the shipped scorer's chance of being releasable within 28 days (higher = review sooner)
    from the engine's caseload view (``toolkit.review.FEATURES``).

    The simulation ranks by the chance because its comparison counts people released before
    SED; ``prioritise`` ranks by expected supervised days gained (the guidance's
    reason to release before SED). Measured at 20 and 60 reviews a week, ranking by days
    gained releases fewer people but gives more supervised days (benchmarks/README.md).
    """
    from toolkit.priority.features import design_from_review_features

    s = _default().score_frame(design_from_review_features(features), full=False)
    return s["probability"].to_numpy()
