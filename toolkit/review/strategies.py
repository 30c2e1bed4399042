"""Review strategies: each decides when a person's case gets an executive review.

A strategy is a small class. Most implement :meth:`Strategy.plan`, returning a
:class:`~toolkit.review.mechanism.ReviewPlan` (explicit days and/or a period); the default
:meth:`Strategy.outcomes` turns it into releases. A strategy whose reviews depend on the whole
caseload (:class:`CapacityLimited`) overrides :meth:`Strategy.outcomes`; the engine asks every
strategy the same thing and has no special cases. The Parole Board timetable (referral at day 28,
yearly determinations after that) runs for everyone whatever the strategy.

Command-line names: ``sed``, ``formal``, ``proactive:every=K``, ``event[:after=K]``,
``capacity:per_week=R,priority=fifo|random|nearest_sed|scorer|oracle[,min_gap=D]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

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


@dataclass(frozen=True)
class WholeNumber:
    """A parameter constraint: a whole number (an int, not a bool) of at least ``low``.

    ``label`` names the parameter in the message (default: strategy and parameter name)."""

    low: int
    unit: str = ""
    label: str = ""

    def coerce(self, value):
        return value

    def accepts(self, value) -> bool:
        return (
            not isinstance(value, bool)
            and isinstance(value, (int, np.integer))
            and value >= self.low
        )

    @property
    def expected(self) -> str:
        what = "a positive whole number" if self.low == 1 else f"a whole number >= {self.low}"
        return f"{what} of {self.unit}" if self.unit else what

    def parse(self, text: str, score=None) -> int:
        """The value written in a strategy's name (ValueError if not a whole number)."""
        return int(text)


@dataclass(frozen=True)
class OrderingChoice:
    """A parameter constraint: an :class:`~toolkit.review.ordering.Ordering`, or its name."""

    label: str = ""
    expected = "an ordering"

    def coerce(self, value):
        return make_ordering(value) if isinstance(value, str) else value

    def accepts(self, value) -> bool:
        return isinstance(value, Ordering)

    def parse(self, text: str, score=None) -> Ordering:
        return make_ordering(text, score=score)


class Strategy:
    """Base class. Subclasses implement :meth:`plan` (or :meth:`outcomes`) and keep their
    settings as dataclass fields (so equal settings compare equal).

    Their parameters are declared once, in :attr:`_parameter_constraints` (field name ->
    constraint, as scikit-learn declares an estimator's), and checked here when a strategy is
    made, whether in code or from its command-line name (:func:`parse_strategy`, which also
    takes the parameters it accepts from there)."""

    name = "strategy"
    #: Field name -> constraint (:class:`WholeNumber`, :class:`OrderingChoice`).
    _parameter_constraints: ClassVar[dict] = {}
    #: Parameters a command-line name must give (no default there) -> what they are.
    _required: ClassVar[dict[str, str]] = {}

    def __post_init__(self):
        for field_name, rule in self._parameter_constraints.items():
            value = rule.coerce(getattr(self, field_name))
            if not rule.accepts(value):
                label = rule.label or f"{self.name} {field_name}"
                raise UsageError(f"{label} must be {rule.expected}; got {value!r}")
            object.__setattr__(self, field_name, value)

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
    _parameter_constraints = {
        "every": WholeNumber(1, "days", label="proactive review interval"),
    }
    _required = {"every": "days between reviews"}

    def plan(self, ep, rules) -> ReviewPlan:
        return ReviewPlan(formal_plan(ep, rules).days, int(self.every))


@dataclass(frozen=True)
class EventTriggered(Strategy):
    """Formal point plus reviews when circumstances change (OM contact made, accommodation
    secured, a programme completed) and ``after`` days after each."""

    after: int = 28
    name = "event"
    _parameter_constraints = {"after": WholeNumber(1, "days", label="event review 'after'")}

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
    _parameter_constraints = {
        "per_week": WholeNumber(0),
        "priority": OrderingChoice(),
        "min_gap": WholeNumber(1),
    }

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


#: Command-line names: each strategy's ``name``, and ``sed`` (the first name of
#: ``board_only``, kept for existing scripts).
STRATEGIES = {c.name: c for c in (ReleaseAtSED, FormalReviews, ProactiveReview, EventTriggered)} | {
    "sed": ReleaseAtSED,
    CapacityLimited.name: CapacityLimited,
}


def parse_strategy(text: str, *, score=None) -> Strategy:
    """Build a strategy from its command-line name, e.g. ``proactive:every=28``: the name, then
    ``key=value`` for any of the parameters the strategy declares
    (:attr:`Strategy._parameter_constraints`), checked as the strategy checks them.

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
    if name not in STRATEGIES:
        raise UsageError(
            f"unknown strategy {name!r}; expected one of board_only (alias sed), formal, "
            "proactive:every=K, event[:after=K], capacity:per_week=R,priority=P"
        )
    cls = STRATEGIES[name]
    rules = cls._parameter_constraints
    bad = [k for k in kv if k not in rules]
    if bad:
        raise UsageError(
            f"strategy {name!r} has no parameter {bad[0]!r}"
            + (f"; it takes {', '.join(rules)}" if rules else "")
        )
    for k, what in cls._required.items():
        if k not in kv:
            raise UsageError(f"{name} needs {k}=K ({what})")
    values = {}
    for k, v in kv.items():
        try:
            values[k] = rules[k].parse(v, score=score)
        except UsageError:
            raise
        except ValueError:  # not a whole number
            raise UsageError(f"strategy {text!r}: {k} must be a whole number; got {v!r}") from None
    return cls(**values)


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
