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


def case_arrays(ep, idx: np.ndarray, t: np.ndarray, census=None) -> dict[str, np.ndarray]:
    """As :func:`case_features`, as plain numpy arrays (no DataFrame): ``recall_type`` and
    ``rosh`` as codes into :data:`~toolkit.categories.RECALL_TYPES` and
    :data:`~toolkit.review.policy.ROSH_LEVELS` (-1: unknown). The simulation scores every
    candidate on every review day, so a score function that takes these (its ``arrays``
    attribute) avoids building a DataFrame hundreds of times a replication."""
    rows = ep.cohort_row[idx]
    n = idx.size
    accom_need = np.isfinite(ep.accommodation_day[idx])
    if census is not None:
        accom_need = accom_need | census.accommodation_need[rows]
    return {
        "recall_type": ep.recall_type[idx],
        "days_since_recall": t,
        "days_to_sed": ep.sed[idx] - t,
        "ogrs3_2yr": census.ogrs[rows] * 100 if census is not None else np.full(n, np.nan),
        "rsr_2yr": census.rsr[rows] * 100 if census is not None else np.full(n, np.nan),
        "rosh": census.rosh[rows] if census is not None else np.full(n, -1),
        "accommodation_need": accom_need,
        "accommodation_secured": ep.accommodation_day[idx] <= t,
        "unmet_programme_need": np.isfinite(ep.programme_day[idx]),
        "programme_completed": ep.programme_day[idx] <= t,
        "om_contact": ep.om_contact_day[idx] <= t,
        "wants_release": ~ep.declines[idx],
    }


def frame_to_arrays(features: pd.DataFrame) -> dict[str, np.ndarray]:
    """A :func:`case_features` frame as :func:`case_arrays` gives it (categories as codes)."""
    out = {k: features[k].to_numpy() for k in FEATURES}
    for k, names in (("recall_type", RECALL_TYPES), ("rosh", ROSH_LEVELS)):
        col = features[k]
        if hasattr(col, "cat") and tuple(col.cat.categories) == tuple(names):
            out[k] = col.cat.codes.to_numpy()
        else:
            lookup = {n: i for i, n in enumerate(names)}
            out[k] = np.array([lookup.get(str(v), -1) for v in col], dtype=np.int64)
    return out


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

    def static_priority(self, ep) -> np.ndarray | None:
        """Every episode's priority if it does not change with the review day, else None.
        Given, the capacity strategy sorts its caseload once instead of every week."""
        return None

    def prepare(self, ep, rules, census, *, per_week: int, formal: dict, stop: np.ndarray):
        """The ordering to use for these episodes (most orderings: themselves). The capacity
        strategy calls it once before its weekly loop with the formal reviews' outcomes and
        the day each person's reviews stop; the oracle plans its allocation here."""
        return self

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

    def static_priority(self, ep):
        return ep.admit_day


@dataclass(frozen=True)
class RandomOrder(Ordering):
    """Random, from each person's own draw (the same whichever strategy runs)."""

    name = "random"

    def priority(self, ep, idx, t, census=None):
        return ep.u_order[idx]

    def static_priority(self, ep):
        return ep.u_order


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

    def prepare(self, ep, rules, census, *, per_week: int, formal: dict, stop: np.ndarray):
        """A score function with a ``prepare(episodes, census, rules=rules)`` attribute gives
        ``f(idx, t)`` for these episodes under the simulation's rules (the same score, static
        parts computed once)."""
        prep = getattr(self.score, "prepare", None)
        return self if prep is None else _PreparedScore(prep(ep, census, rules=rules))

    def priority(self, ep, idx, t, census=None):
        fn = self.score or fallback_score
        fast = getattr(fn, "arrays", None)  # the same score from numpy arrays (no DataFrame)
        if fast is not None:
            return -np.asarray(fast(case_arrays(ep, idx, t, census)), dtype=float)
        return -np.asarray(fn(case_features(ep, idx, t, census)), dtype=float)


class _PreparedScore(Ordering):
    """A :class:`Scorer` bound to one set of episodes (``gain(idx, t)``, higher first)."""

    name = "scorer"

    def __init__(self, gain):
        self.gain = gain

    def priority(self, ep, idx, t, census=None):
        return -np.asarray(self.gain(idx, np.asarray(t, dtype=float)), dtype=float)


@dataclass(frozen=True)
class Oracle(Ordering):
    """An upper bound on people released before SED: knows every draw (who becomes releasable
    when, whether each review would notice it, the Board's day, the executive delay) and
    allocates the week's reviews to release the most people before SED.

    Used by :class:`~toolkit.review.strategies.CapacityLimited` through :meth:`prepare`: the
    allocation is a maximum bipartite *b*-matching of people to review weeks (each person at
    most once, at most ``per_week`` a week), solved exactly as a maximum flow
    (:func:`scipy.sparse.csgraph.maximum_flow`). A person is linked to a week when a review
    that week would notice them (the same draw the simulation uses), their release would land
    before SED (or the horizon), and neither the formal review nor the Board already releases
    them before SED. Every ordering's extra releases are such a matching, so no ordering
    releases more people before SED in any replication; more capacity only adds feasible
    matchings, so the bound never falls as capacity rises. The oracle never spends a review
    that misses, so the minimum gap between reviews never binds for it.

    The objective is the count released before SED (executive and Board routes). Which of the
    maximum allocations the flow returns is not chosen for supervised days, so the oracle
    bounds the count only (not supervised days or bed-days).
    """

    name = "oracle"

    def priority(self, ep, idx, t, census=None):
        # Without prepare (a direct call): the old greedy rule, releasable now first.
        left = ep.sed[idx] - t
        useful = (ep.exec_open_day[idx] <= t) & (left > ep.exec_delay[idx])
        return np.where(useful, -1e7 + left, ep.exec_open_day[idx])

    def prepare(self, ep, rules, census, *, per_week: int, formal: dict, stop: np.ndarray):
        """The allocation for these episodes (see the class docstring)."""
        return _OraclePlan(oracle_weeks(ep, rules, per_week=per_week, formal=formal, stop=stop))


def oracle_edges(ep, rules, *, formal: dict, stop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(person, week)`` pairs where an extra review that week would notice a person whom no
    other route releases before SED, early enough for release before SED (or the horizon)."""
    from toolkit.review.mechanism import hash_uniform

    limit = np.minimum(ep.sed, rules.horizon_days)
    base = np.minimum(formal["notice_day"] + ep.exec_delay, ep.board_day) < limit
    open_ = np.where(ep.reviewable, ep.exec_open_day, np.inf)
    lo = np.maximum(open_, 0.0)
    hi = np.minimum(stop, limit - ep.exec_delay)  # review day t must satisfy lo <= t < hi
    who = np.flatnonzero(ep.reviewable & ~base & np.isfinite(lo) & (lo < hi))
    if not who.size:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    a = ep.admit_day[who]
    w_lo = np.ceil((lo[who] + a) / 7.0 - 1e-9).astype(np.int64)
    w_hi = np.floor((hi[who] + a) / 7.0 + 1e-9).astype(np.int64) + 1  # exclusive, checked below
    cnt = np.maximum(w_hi - w_lo, 0)
    person = np.repeat(who, cnt)
    week = np.repeat(w_lo, cnt) + np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    # the simulation's own review day and draw for that person and week
    t = 7.0 * week - ep.admit_day[person]
    ok = (t >= lo[person]) & (t < hi[person])
    person, week, t = person[ok], week[ok], t[ok]
    hit = hash_uniform(ep.key[person], t) < rules.notice_probability
    return person[hit], week[hit]


def oracle_weeks(ep, rules, *, per_week: int, formal: dict, stop: np.ndarray) -> np.ndarray:
    """The week each person gets the oracle's review (-1: none), from a maximum flow."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import maximum_flow

    out = np.full(ep.n, -1, dtype=np.int64)
    person, week = oracle_edges(ep, rules, formal=formal, stop=stop)
    if not person.size or per_week <= 0:
        return out
    pu, pi = np.unique(person, return_inverse=True)
    wu, wi = np.unique(week, return_inverse=True)
    n_p, n_w = pu.size, wu.size
    src, sink = 0, n_p + n_w + 1
    rows = np.concatenate([np.zeros(n_p, np.int64), 1 + pi, 1 + n_p + np.arange(n_w)])
    cols = np.concatenate([1 + np.arange(n_p), 1 + n_p + wi, np.full(n_w, sink)])
    cap = np.concatenate(
        [np.ones(n_p, np.int32), np.ones(pi.size, np.int32), np.full(n_w, per_week, np.int32)]
    )
    g = csr_matrix((cap, (rows, cols)), shape=(sink + 1, sink + 1))
    flow = maximum_flow(g, src, sink, method="dinic").flow.tocsr()
    f = np.asarray(flow[1 + pi, 1 + n_p + wi]).ravel()
    used = f > 0
    out[pu[pi[used]]] = wu[wi[used]]
    return out


class _OraclePlan(Ordering):
    """The oracle's allocation for one set of episodes: reviews exactly the people assigned
    to this week (possibly fewer than the capacity)."""

    name = "oracle"

    def __init__(self, week: np.ndarray):
        self.week = week

    def select(self, ep, idx, t, k, census=None):
        w = np.rint((np.asarray(t) + ep.admit_day[idx]) / 7.0).astype(np.int64)
        return idx[self.week[idx] == w]


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
