"""Review-strategy microsimulation: how proactive reviews change outcomes against release at SED.

``policy`` reads the release rules (law as data), ``episodes`` draws an admissions cohort from a
census with flow weights 1 / E[stay | person], ``mechanism`` computes executive and Parole Board
release in array form, ``ordering`` and ``strategies`` hold the review strategies (small
classes), ``engine`` runs them on common random numbers and keeps one record per person x
strategy x replication, ``national`` scales to England and Wales by Little's law, and
``calibration`` fits the unpublished parameters to the case-review and census figures.
"""

from toolkit.review.engine import (
    RECORD_COLUMNS,
    RecordStream,
    SimulationResult,
    build_episodes,
    simulate_reviews,
)
from toolkit.review.ordering import (
    FEATURES,
    Fifo,
    NearestSED,
    Oracle,
    Ordering,
    RandomOrder,
    Scorer,
    fallback_score,
)
from toolkit.review.policy import ReleaseRules, load_release_rules
from toolkit.review.strategies import (
    CapacityLimited,
    EventTriggered,
    FormalReviews,
    ProactiveReview,
    ReleaseAtSED,
    Strategy,
    parse_strategy,
)

__all__ = [
    "FEATURES",
    "RECORD_COLUMNS",
    "CapacityLimited",
    "EventTriggered",
    "Fifo",
    "FormalReviews",
    "NearestSED",
    "Oracle",
    "Ordering",
    "ProactiveReview",
    "RandomOrder",
    "RecordStream",
    "ReleaseAtSED",
    "ReleaseRules",
    "Scorer",
    "SimulationResult",
    "Strategy",
    "build_episodes",
    "fallback_score",
    "load_release_rules",
    "parse_strategy",
    "simulate_reviews",
]
