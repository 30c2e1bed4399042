"""Review-priority suggestions for practitioners: caseload in, ranked list with reasons out.

Importing the package costs nothing: the review simulation's ``scorer`` ordering reaches it
(:func:`simulation_score`) through the numpy-only :mod:`toolkit.priority.gain`, and
``from toolkit.priority import PriorityScorer`` should not load scikit-learn before it is
asked for, so the imports below sit inside the functions that need them. Every module of the
package imports its own dependencies at the top unless a comment there says what it avoids.
"""

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


@lru_cache(maxsize=1)
def _gain():
    # numpy only: ``simulate`` with the scorer ordering imports neither pandas nor scipy
    from toolkit.priority.gain import ReviewGain, StoredModel

    return ReviewGain(StoredModel())


_BY_RULES: dict = {}


def _gain_for(rules):
    """The gain under the simulation's release rules (the shipped ones: :func:`_gain`)."""
    if rules is None:
        return _gain()
    hit = _BY_RULES.get(id(rules))
    if hit is None or hit[0] is not rules:
        from toolkit.priority.gain import ReviewGain

        _BY_RULES.clear()  # one simulation's rules at a time
        hit = _BY_RULES[id(rules)] = (rules, ReviewGain(_gain().model, rules))
    return hit[1]


#: Days to SED below which a case counts as if it had this many left when its expected gain is
#: spread over the days left (a review takes a week or more to land; chosen with the gain
#: rule on fitting seeds, cohort seed 77 and simulation seed 5, not on the evaluation ones).
URGENCY_FLOOR_DAYS = 28.0


def _score_arrays(arrays):
    """:func:`simulation_score` on the engine's caseload arrays
    (:func:`toolkit.review.ordering.case_arrays`)."""
    import numpy as np

    left = np.maximum(np.asarray(arrays["days_to_sed"], dtype=float), URGENCY_FLOOR_DAYS)
    return _gain()(arrays) / left


def simulation_score(features):
    """Score function for the review simulation's ``capacity:...,priority=scorer`` ordering:
    the expected number of people a review this week releases before SED
    (:class:`toolkit.priority.model.ReviewGain`: the shipped readiness model's chance of
    being releasable, times the chance the executive route is open to the case under the
    release rules, that a review notices it and that the decision lands before SED), from the
    engine's caseload view (``toolkit.review.FEATURES``; higher = review sooner), divided by
    the days left to SED (at least :data:`URGENCY_FLOOR_DAYS`): a case far from SED can be
    reviewed in a later week for nearly the same gain, one near SED cannot, so the gain per
    day left is what reviewing *this* week adds. Measured against the oracle and FIFO in
    ``benchmarks/README.md`` (``python benchmarks/bench_scorer_bound.py``).

    The stated objective of the simulation's ranking is people released before SED (the
    executive and Board routes); ``prioritise`` ranks by expected supervised days gained.
    ``simulation_score.arrays`` is the same score from numpy arrays, and
    ``simulation_score.prepare(episodes, census)`` the same score as ``f(idx, t)`` with the
    parts that do not change while a person waits computed once (the engine's fast path).
    """
    from toolkit.review.ordering import frame_to_arrays

    return _score_arrays(frame_to_arrays(features))


def _prepare(ep, census=None, rules=None):
    """:func:`simulation_score` for one set of simulation episodes, as ``f(idx, t)``, under the
    simulation's release rules (``rules``; default the shipped ones)."""
    return _gain_for(rules).prepare(ep, census, floor_days=URGENCY_FLOOR_DAYS)


simulation_score.arrays = _score_arrays
simulation_score.prepare = _prepare
