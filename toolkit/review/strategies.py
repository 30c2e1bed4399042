"""Review strategies: each decides when a person's case gets an executive review.

A strategy is a small class. Most implement :meth:`Strategy.plan`, returning a
:class:`~toolkit.review.mechanism.ReviewPlan` (explicit days and/or a period); the default
:meth:`Strategy.outcomes` turns it into releases. A strategy whose reviews depend on the whole
caseload (:class:`CapacityLimited`) overrides :meth:`Strategy.outcomes`; the engine asks every
strategy the same thing and has no special cases. The Parole Board timetable (referral at day 28,
yearly determinations after that) runs for everyone whatever the strategy.

Command-line names: ``sed``, ``formal``, ``proactive:every=K``, ``event[:after=K]``,
``capacity:per_week=R,priority=fifo|random|nearest_sed|scorer|oracle``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from toolkit.exceptions import UsageError
from toolkit.review.capacity import weekly_reviews
from toolkit.review.mechanism import (
    ReviewPlan,
    count_reviews,
    finish,
    formal_plan,
    merge_days,
    release_outcomes,
)
from toolkit.review.ordering import Fifo, Ordering, make_ordering


class Strategy:
    """Base class. Subclasses implement :meth:`plan` (or :meth:`outcomes`) and keep their
    settings as dataclass fields (so equal settings compare equal)."""

    name = "strategy"

    def plan(self, ep, rules) -> ReviewPlan:  # pragma: no cover - interface
        """Executive review days per person."""
        raise NotImplementedError

    def review_days(self, ep, rules) -> np.ndarray:
        """All review days as a dense sorted ``(n, K)`` matrix (tests and the reference)."""
        return self.plan(ep, rules).dense(ep, rules.horizon_days)

    def outcomes(self, ep, rules, census=None) -> dict[str, np.ndarray]:
        """Release day, route, notice day and reviews for every episode."""
        return release_outcomes(ep, self.plan(ep, rules), rules)


@dataclass(frozen=True)
class ReleaseAtSED(Strategy):
    """No executive reviews: release by the Board (statutory timetable), automatically or at SED.

    Named ``board_only`` on the command line, or ``sed`` (its first name, kept for existing
    scripts): the Board's statutory reviews run under every strategy (s.255C(4), s.256A), so
    some people are released before SED even here.
    """

    name = "board_only"

    def plan(self, ep, rules) -> ReviewPlan:
        return ReviewPlan(np.full((ep.n, 0), np.inf))


@dataclass(frozen=True)
class FormalReviews(Strategy):
    """Executive consideration only at the formal 28-day point, then the Board's yearly reviews."""

    name = "formal"

    def plan(self, ep, rules) -> ReviewPlan:
        return formal_plan(ep, rules)


@dataclass(frozen=True)
class ProactiveReview(Strategy):
    """Formal point plus an executive review every ``every`` days from recall."""

    every: int = 28
    name = "proactive"

    def __post_init__(self):
        if (
            isinstance(self.every, bool)
            or not isinstance(self.every, (int, np.integer))
            or self.every <= 0
        ):
            raise UsageError(
                f"proactive review interval must be a positive whole number of days; "
                f"got {self.every!r}"
            )

    def plan(self, ep, rules) -> ReviewPlan:
        return ReviewPlan(formal_plan(ep, rules).days, int(self.every))


@dataclass(frozen=True)
class EventTriggered(Strategy):
    """Formal point plus reviews when circumstances change (OM contact made, accommodation
    secured, a programme completed) and ``after`` days after each."""

    after: int = 28
    name = "event"

    def __post_init__(self):
        if (
            isinstance(self.after, bool)
            or not isinstance(self.after, (int, np.integer))
            or self.after <= 0
        ):
            raise UsageError(
                f"event review 'after' must be a positive whole number of days; got {self.after!r}"
            )

    def plan(self, ep, rules) -> ReviewPlan:
        ev = np.column_stack([ep.om_contact_day, ep.event_day])
        ev = np.where(ep.reviewable[:, None], ev, np.inf)
        return ReviewPlan(merge_days(formal_plan(ep, rules).days, ev, ev + self.after))


@dataclass(frozen=True)
class CapacityLimited(Strategy):
    """Formal point plus at most ``per_week`` extra executive reviews a week across the caseload,
    given to people in custody with no decision pending and no extra review in the last
    ``min_gap`` days, in the order of ``priority`` (an :class:`~toolkit.review.ordering.Ordering`
    or its name: fifo, random, nearest_sed, scorer, oracle).

    The caseload is the simulated admissions, recalled uniformly over a year (``admit_day``).
    """

    per_week: int = 50
    priority: Ordering | str = field(default_factory=Fifo)
    min_gap: int = 28
    name = "capacity"

    def __post_init__(self):
        if (
            isinstance(self.per_week, bool)
            or not isinstance(self.per_week, (int, np.integer))
            or self.per_week < 0
        ):
            raise UsageError(
                f"capacity per_week must be a whole number >= 0; got {self.per_week!r}"
            )
        if isinstance(self.priority, str):
            object.__setattr__(self, "priority", make_ordering(self.priority))
        if not isinstance(self.priority, Ordering):
            raise UsageError(f"capacity priority must be an ordering; got {self.priority!r}")
        if not isinstance(self.min_gap, (int, np.integer)) or self.min_gap <= 0:
            raise UsageError(
                f"capacity min_gap must be a positive whole number; got {self.min_gap!r}"
            )

    def plan(self, ep, rules) -> ReviewPlan:
        return formal_plan(ep, rules)  # the weekly extra reviews come from outcomes()

    def outcomes(self, ep, rules, census=None) -> dict[str, np.ndarray]:
        """Formal reviews, plus the weekly budget over the caseload
        (:func:`toolkit.review.capacity.weekly_reviews`)."""
        plan = self.plan(ep, rules)
        formal = release_outcomes(ep, plan, rules)
        limit = np.minimum(ep.sed, rules.horizon_days)
        # reviews stop at the formal notice (a decision is then pending), the Board's release
        # or the end of the sentence
        stop = np.minimum.reduce([formal["notice_day"], ep.board_day, limit])
        order = self.priority.prepare(
            ep, rules, census, per_week=self.per_week, formal=formal, stop=stop.copy()
        )
        extra_notice, extra = weekly_reviews(
            ep,
            order,
            per_week=self.per_week,
            min_gap=self.min_gap,
            stop=stop,
            open_=np.where(ep.reviewable, ep.exec_open_day, np.inf),
            p=rules.notice_probability,
            census=census,
        )
        notice = np.minimum(formal["notice_day"], extra_notice)
        out = finish(ep, notice, rules)
        out["reviews"] = count_reviews(ep, plan, notice, out["release_day"], rules) + extra
        return out


_PARAMS = {
    "sed": (),
    "board_only": (),
    "formal": (),
    "proactive": ("every",),
    "event": ("after",),
    "capacity": ("per_week", "priority"),
}


def parse_strategy(text: str, *, score=None) -> Strategy:
    """Build a strategy from its command-line name, e.g. ``proactive:every=28``.

    ``score`` is the score function given to ``capacity:...,priority=scorer``.

    Raises
    ------
    UsageError
        Unknown name or parameter, a parameter given twice, or a bad value (naming it).
    """
    name, _, params = text.partition(":")
    kv: dict[str, str] = {}
    if params:
        for part in params.split(","):
            k, eq, v = part.partition("=")
            k, v = k.strip(), v.strip()
            if not eq or not k or not v:
                raise UsageError(f"strategy {text!r}: parameters must look like key=value")
            if k in kv:
                raise UsageError(
                    f"strategy {text!r}: parameter {k!r} given twice ({kv[k]!r} and {v!r})"
                )
            kv[k] = v
    if name not in _PARAMS:
        raise UsageError(
            f"unknown strategy {name!r}; expected one of board_only (alias sed), formal, "
            "proactive:every=K, event[:after=K], capacity:per_week=R,priority=P"
        )
    bad = [k for k in kv if k not in _PARAMS[name]]
    if bad:
        raise UsageError(
            f"strategy {name!r} has no parameter {bad[0]!r}"
            + (f"; it takes {', '.join(_PARAMS[name])}" if _PARAMS[name] else "")
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

    if name in ("sed", "board_only"):  # "board_only" says what it does; "sed" is kept for scripts
        return ReleaseAtSED()
    if name == "formal":
        return FormalReviews()
    if name == "proactive":
        if "every" not in kv:
            raise UsageError("proactive needs every=K (days between reviews)")
        return ProactiveReview(every=integer("every", 28))
    if name == "event":
        return EventTriggered(after=integer("after", 28))
    return CapacityLimited(
        per_week=integer("per_week", 50),
        priority=make_ordering(kv.get("priority", "fifo"), score=score),
    )


def check_distinct(named: dict) -> None:
    """Refuse two strategies with the same settings (they would be one strategy counted twice)."""
    seen: dict = {}
    for label, strat in named.items():
        for other, s in seen.items():
            if s == strat:
                raise UsageError(
                    f"strategies {other!r} and {label!r} are the same strategy ({strat!r}); "
                    "give each once"
                )
        seen[label] = strat
