"""Review strategies: each decides on which days a person's case is reviewed.

A strategy is a small class with one required method, :meth:`Strategy.review_days`, returning
an ``(n, K)`` array of review days (days since recall, sorted, padded with ``inf``). The engine
does the rest. :class:`CapacityLimited` is different: reviews compete for a weekly budget
across the caseload, so the engine runs it week by week (vectorised over people).

Command-line names: ``sed``, ``formal``, ``proactive:every=K``, ``event``,
``capacity:per_week=R,priority=fifo|random|nearest_sed|scorer``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from toolkit.exceptions import UsageError
from toolkit.schema import RECALL_TYPES


class Strategy:
    """Base class. Subclasses implement :meth:`review_days` and keep their settings as fields."""

    name = "strategy"

    def review_days(self, ep, rules) -> np.ndarray:  # pragma: no cover - interface
        """Review days per person: float array (n, K), sorted, ``inf`` where none."""
        raise NotImplementedError


def _formal(ep, rules) -> np.ndarray:
    """Statutory points: each type's review_days, then every annual_review_every days."""
    horizon = rules.horizon_days
    cols = []
    for name, rule in rules.types.items():
        code = RECALL_TYPES.index(name)
        if rule.release != "review":
            continue
        days = list(rule.review_days)
        if rule.annual_review_every:
            last = days[-1] if days else 0.0
            k = 1
            while last + k * rule.annual_review_every < horizon:
                days.append(last + k * rule.annual_review_every)
                k += 1
        cols.append((code, days))
    width = max((len(d) for _, d in cols), default=0)
    out = np.full((ep.n, width), np.inf)
    for code, days in cols:
        m = ep.recall_type == code
        out[np.ix_(m, np.arange(len(days)))] = days
    return out


def _merge(*arrays: np.ndarray) -> np.ndarray:
    """Union of review days per row (sorted, duplicates replaced by inf)."""
    a = np.sort(np.concatenate(arrays, axis=1), axis=1)
    dup = np.zeros_like(a, dtype=bool)
    dup[:, 1:] = a[:, 1:] == a[:, :-1]
    a[dup] = np.inf
    a.sort(axis=1)
    keep = np.isfinite(a).any(axis=0)
    return a[:, keep] if a.shape[1] else a


@dataclass(frozen=True)
class ReleaseAtSED(Strategy):
    """No reviews: everyone on a review-based recall is released at SED (or the horizon)."""

    name = "sed"

    def review_days(self, ep, rules) -> np.ndarray:
        return np.full((ep.n, 0), np.inf)


@dataclass(frozen=True)
class FormalReviews(Strategy):
    """Only the formal review points (28 days, then annually, per the rules file)."""

    name = "formal"

    def review_days(self, ep, rules) -> np.ndarray:
        return _formal(ep, rules)


@dataclass(frozen=True)
class ProactiveReview(Strategy):
    """Formal points plus a review every ``every`` days from recall."""

    every: int = 28
    name = "proactive"

    def __post_init__(self):
        if not isinstance(self.every, (int, np.integer)) or self.every <= 0:
            raise UsageError(
                f"proactive review interval must be a positive whole number of days; "
                f"got {self.every!r}"
            )

    def review_days(self, ep, rules) -> np.ndarray:
        k = int(np.ceil(rules.horizon_days / self.every))
        periodic = np.tile(np.arange(1, k + 1, dtype=float) * self.every, (ep.n, 1))
        periodic[~ep.reviewable] = np.inf
        return _merge(_formal(ep, rules), periodic)


@dataclass(frozen=True)
class EventTriggered(Strategy):
    """Formal points plus reviews when circumstances change (accommodation secured, an
    accredited programme completed: each person's ``event_day`` columns) and ``after`` days
    later."""

    after: int = 28
    name = "event"

    def review_days(self, ep, rules) -> np.ndarray:
        ev = np.where(ep.reviewable[:, None], ep.event_day, np.inf)
        return _merge(_formal(ep, rules), ev, ev + self.after)


PRIORITIES = ("fifo", "random", "nearest_sed", "scorer")


@dataclass(frozen=True)
class CapacityLimited(Strategy):
    """Formal points plus at most ``per_week`` extra reviews a week across the caseload, given
    to people in custody not reviewed in the last ``min_gap`` days, in ``priority`` order.

    Priorities: ``fifo`` (longest in custody first), ``random``, ``nearest_sed`` (least time to
    SED first) or ``scorer`` (highest score first; the default scorer is the chance of being
    manageable now implied by OGRS3 alone, a placeholder for the practitioner scorer).
    """

    per_week: int = 50
    priority: str = "fifo"
    min_gap: int = 28
    name = "capacity"

    def __post_init__(self):
        if not isinstance(self.per_week, (int, np.integer)) or self.per_week < 0:
            raise UsageError(
                f"capacity per_week must be a whole number >= 0; got {self.per_week!r}"
            )
        if self.priority not in PRIORITIES:
            raise UsageError(
                f"unknown capacity priority {self.priority!r}; expected one of "
                f"{', '.join(PRIORITIES)}"
            )

    def review_days(self, ep, rules) -> np.ndarray:
        return _formal(ep, rules)  # the engine adds the weekly extra reviews


def parse_strategy(text: str) -> Strategy:
    """Build a strategy from its command-line name, e.g. ``proactive:every=28``.

    Raises
    ------
    UsageError
        Unknown name or parameter, or a bad value.
    """
    name, _, params = text.partition(":")
    kv = {}
    if params:
        for part in params.split(","):
            k, eq, v = part.partition("=")
            if not eq or not k:
                raise UsageError(f"strategy {text!r}: parameters must look like key=value")
            kv[k.strip()] = v.strip()
    allowed = {
        "sed": (),
        "formal": (),
        "proactive": ("every",),
        "event": ("after",),
        "capacity": ("per_week", "priority"),
    }
    if name not in allowed:
        raise UsageError(
            f"unknown strategy {name!r}; expected one of sed, formal, "
            "proactive:every=K, event, capacity:per_week=R,priority=P"
        )
    bad = [k for k in kv if k not in allowed[name]]
    if bad:
        raise UsageError(
            f"strategy {name!r} has no parameter {bad[0]!r}"
            + (f"; it takes {', '.join(allowed[name])}" if allowed[name] else "")
        )

    def integer(key, default):
        if key not in kv:
            return default
        try:
            return int(kv[key])
        except ValueError:
            raise UsageError(
                f"strategy {text!r}: {key} must be a whole number; got {kv[key]!r}"
            ) from None

    if name == "sed":
        return ReleaseAtSED()
    if name == "formal":
        return FormalReviews()
    if name == "proactive":
        if "every" not in kv:
            raise UsageError("proactive needs every=K (days between reviews)")
        return ProactiveReview(every=integer("every", 28))
    if name == "event":
        after = integer("after", 28)
        if after <= 0:
            raise UsageError(f"event review 'after' must be positive; got {after}")
        return EventTriggered(after=after)
    return CapacityLimited(per_week=integer("per_week", 50), priority=kv.get("priority", "fifo"))
