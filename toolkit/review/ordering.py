"""Orderings: who gets a capacity-limited review first.

An ordering is a small object with one method, :meth:`Ordering.priority`, returning a number per
candidate (lower = reviewed sooner); ties go to the earlier episode index, so results do not
depend on the sort algorithm. Every draw an ordering uses belongs to the person (``u_order``),
so the same person gets the same draws whichever strategy runs (common random numbers).

The ``scorer`` ordering takes an injected score function (``score(features) -> array``, higher
= review sooner) over the caseload features in :data:`FEATURES`; ``toolkit.review`` does not
import the practitioner scorer (a lower stage), the command line wires it in. Without one it
uses :func:`fallback_score`, a documented rule of thumb.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from toolkit.categories import RECALL_TYPES
from toolkit.review.policy import ROSH_LEVELS

if TYPE_CHECKING:  # pandas is imported when features are built (only capacity orderings)
    import pandas as pd

#: Columns of the feature frame a score function receives (one row per candidate), all things
#: a caseload shows on the review day.
FEATURES = {
    "recall_type": "recall type (category)",
    "days_since_recall": "days since recall",
    "days_to_sed": "days to sentence end date (inf: none)",
    "ogrs3_2yr": "OGRS3 2-year, percent",
    "rsr_2yr": "RSR 2-year, percent",
    "rosh": "RoSH level (category; unknown as NaN)",
    "accommodation_need": "has an accommodation need (bool)",
    "accommodation_secured": "accommodation secured by the review day (bool)",
    "unmet_programme_need": "unmet accredited-programme need (bool)",
    "programme_completed": "that programme completed by the review day (bool)",
    "om_contact": "offender-manager contact since recall by the review day (bool)",
    "wants_release": "wants re-release (bool; false = declines)",
}


def case_features(ep, idx: np.ndarray, t: np.ndarray, census=None) -> pd.DataFrame:
    """The caseload view of episodes ``idx`` on their review day ``t`` (days since recall)."""
    import pandas as pd

    rows = ep.cohort_row[idx]
    ogrs = census.ogrs[rows] * 100 if census is not None else np.full(idx.size, np.nan)
    rsr = census.rsr[rows] * 100 if census is not None else np.full(idx.size, np.nan)
    rosh = census.rosh[rows] if census is not None else np.full(idx.size, -1)
    accom_need = np.isfinite(ep.accommodation_day[idx]) | (
        census.accommodation_need[rows] if census is not None else False
    )
    unmet = np.isfinite(ep.programme_day[idx])
    return pd.DataFrame(
        {
            "recall_type": pd.Categorical.from_codes(ep.recall_type[idx], RECALL_TYPES),
            "days_since_recall": t,
            "days_to_sed": ep.sed[idx] - t,
            "ogrs3_2yr": ogrs,
            "rsr_2yr": rsr,
            "rosh": pd.Categorical.from_codes(rosh, ROSH_LEVELS),
            "accommodation_need": accom_need,
            "accommodation_secured": ep.accommodation_day[idx] <= t,
            "unmet_programme_need": unmet,
            "programme_completed": ep.programme_day[idx] <= t,
            "om_contact": ep.om_contact_day[idx] <= t,
            "wants_release": ~ep.declines[idx],
        }
    )


def fallback_score(features: pd.DataFrame) -> np.ndarray:
    """Rule-of-thumb score used until a fitted scorer is injected (higher = review sooner).

    Counts the barriers to re-release the seeds name that the caseload shows as cleared (OM
    contact since recall, accommodation secured or not needed, programme done or not needed,
    wants release), then breaks ties by lower OGRS3. Not fitted to anything.
    """
    cleared = (
        features["om_contact"].to_numpy(int)
        + (~features["accommodation_need"] | features["accommodation_secured"]).to_numpy(int)
        + (~features["unmet_programme_need"] | features["programme_completed"]).to_numpy(int)
        + 2 * features["wants_release"].to_numpy(int)
    )
    ogrs = np.nan_to_num(features["ogrs3_2yr"].to_numpy(float), nan=50.0)
    return cleared + (1 - ogrs / 100) * 0.5


class Ordering:
    """Base class: ``priority`` per candidate, lower first."""

    name = "ordering"

    def priority(self, ep, idx: np.ndarray, t: np.ndarray, census=None) -> np.ndarray:
        raise NotImplementedError  # pragma: no cover - interface

    def select(self, ep, idx: np.ndarray, t: np.ndarray, k: int, census=None) -> np.ndarray:
        """The ``k`` candidates reviewed first (``idx`` ascending; ties to the earlier index)."""
        if idx.size <= k:
            return idx
        pri = self.priority(ep, idx, t, census)
        return idx[np.argsort(pri, kind="stable")[:k]]


@dataclass(frozen=True)
class Fifo(Ordering):
    """Longest since recall first."""

    name = "fifo"

    def priority(self, ep, idx, t, census=None):
        return ep.admit_day[idx]


@dataclass(frozen=True)
class RandomOrder(Ordering):
    """Random, from each person's own draw (the same whichever strategy runs)."""

    name = "random"

    def priority(self, ep, idx, t, census=None):
        return ep.u_order[idx]


@dataclass(frozen=True)
class NearestSED(Ordering):
    """Least time to SED first."""

    name = "nearest_sed"

    def priority(self, ep, idx, t, census=None):
        return ep.sed[idx] - t


@dataclass(frozen=True)
class Scorer(Ordering):
    """Highest score first; ``score(features)`` is injected (see :data:`FEATURES`), else
    :func:`fallback_score`."""

    score: Callable[[pd.DataFrame], np.ndarray] | None = field(default=None, compare=True)
    name = "scorer"

    def priority(self, ep, idx, t, census=None):
        fn = self.score or fallback_score
        return -np.asarray(fn(case_features(ep, idx, t, census)), dtype=float)


@dataclass(frozen=True)
class Oracle(Ordering):
    """Knows who is releasable and when each decision would land: first the people releasable
    now whose executive release would still come before SED, nearest SED first (the most
    releases before SED per review); then the rest by the day they will become releasable.
    An upper bound for any scorer on the share released before SED."""

    name = "oracle"

    def priority(self, ep, idx, t, census=None):
        left = ep.sed[idx] - t
        useful = (ep.exec_open_day[idx] <= t) & (left > ep.exec_delay[idx])
        return np.where(useful, -1e7 + left, ep.exec_open_day[idx])


# -- a baseline from caseload columns only (kept apart from the review model's own orderings) ---
#: Days to SED a case must have left to be put first by :class:`ClearedNearestSED`: with less,
#: an executive decision (median two weeks) may not land before SED. *Assumed*, from the
#: baseline rule as first measured (21 days); the rule is a baseline, not a tuned ordering.
CLEARED_MIN_DAYS_TO_SED = 21


@dataclass(frozen=True)
class ClearedNearestSED(Ordering):
    """A baseline any scorer should beat, from caseload columns only: first the people with
    every barrier the caseload shows cleared (offender-manager contact since recall,
    accommodation secured or not needed, programme completed or not needed, wanting release)
    and more than :data:`CLEARED_MIN_DAYS_TO_SED` days to SED, nearest SED first; then everyone
    else, longest since recall first."""

    name = "cleared_nearest_sed"

    def priority(self, ep, idx, t, census=None):
        rows = ep.cohort_row[idx]
        accom_need = np.isfinite(ep.accommodation_day[idx]) | (
            census.accommodation_need[rows] if census is not None else False
        )
        cleared = (
            (ep.om_contact_day[idx] <= t)
            & (~accom_need | (ep.accommodation_day[idx] <= t))
            & (~np.isfinite(ep.programme_day[idx]) | (ep.programme_day[idx] <= t))
            & ~ep.declines[idx]
        )
        left = ep.sed[idx] - t
        first = cleared & (left > CLEARED_MIN_DAYS_TO_SED)
        return np.where(first, -1e7 + left, ep.admit_day[idx])


ORDERINGS = {o.name: o for o in (Fifo, RandomOrder, NearestSED, Scorer, Oracle, ClearedNearestSED)}


def make_ordering(name: str, *, score=None) -> Ordering:
    """An ordering from its command-line name (``score`` only for ``scorer``)."""
    from toolkit.exceptions import UsageError

    if name not in ORDERINGS:
        raise UsageError(
            f"unknown capacity priority {name!r}; expected one of {', '.join(ORDERINGS)}"
        )
    return Scorer(score) if name == "scorer" else ORDERINGS[name]()
