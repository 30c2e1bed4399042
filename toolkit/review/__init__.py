"""Review-strategy microsimulation: how proactive reviews change outcomes against release at SED.

``policy`` reads the release rules (data), ``strategies`` holds the review strategies (small
classes with one required method), ``engine`` turns a cohort into an admissions cohort of
episodes and computes every person's release day from their draws and a strategy's review days
in array form, ``calibration`` fits the unpublished parameters to the case-review and census
figures.
"""

from toolkit.review.engine import SimulationResult, build_episodes, simulate_reviews
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
    "CapacityLimited",
    "EventTriggered",
    "FormalReviews",
    "ProactiveReview",
    "ReleaseAtSED",
    "ReleaseRules",
    "SimulationResult",
    "Strategy",
    "build_episodes",
    "load_release_rules",
    "parse_strategy",
    "simulate_reviews",
]
