"""One strategy base that validates: parameters declared once per class, checked the same way
whether a strategy is made in code or from its command-line name (issue 24 item 2)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from toolkit.exceptions import UsageError
from toolkit.review.ordering import RandomOrder
from toolkit.review.strategies import (
    STRATEGIES,
    CapacityLimited,
    EventTriggered,
    ProactiveReview,
    Strategy,
    WholeNumber,
    parse_strategy,
)


@pytest.mark.parametrize(
    "cls, field, value, text, message",
    [
        (
            ProactiveReview,
            "every",
            0,
            "proactive:every=0",
            "proactive review interval must be a positive whole number of days; got 0",
        ),
        (
            EventTriggered,
            "after",
            -5,
            "event:after=-5",
            "event review 'after' must be a positive whole number of days; got -5",
        ),
        (
            CapacityLimited,
            "per_week",
            -1,
            "capacity:per_week=-1",
            "capacity per_week must be a whole number >= 0; got -1",
        ),
        (
            CapacityLimited,
            "min_gap",
            0,
            "capacity:min_gap=0",
            "capacity min_gap must be a positive whole number; got 0",
        ),
    ],
)
def test_code_and_name_refuse_with_the_same_message(cls, field, value, text, message):
    with pytest.raises(UsageError) as in_code:
        cls(**{field: value})
    with pytest.raises(UsageError) as by_name:
        parse_strategy(text)
    assert str(in_code.value) == str(by_name.value) == message


@pytest.mark.parametrize("value", [True, 2.0, "28", None, np.float64(28)])
def test_whole_numbers_are_ints_only(value):
    """A bool, a float or a string is not a number of days, even when it equals one."""
    with pytest.raises(UsageError, match="must be a positive whole number of days"):
        ProactiveReview(every=value)


def test_numpy_integers_and_ordering_names_are_accepted():
    assert ProactiveReview(every=np.int64(14)) == ProactiveReview(every=14)
    cap = CapacityLimited(per_week=np.int32(0), priority="random")
    assert cap.priority == RandomOrder() and cap.per_week == 0
    with pytest.raises(UsageError, match="capacity priority must be an ordering; got 3"):
        CapacityLimited(priority=3)


def test_a_name_takes_every_declared_parameter():
    """``parse_strategy`` accepts exactly the parameters the class declares (min_gap included)
    and names them when refusing another."""
    assert parse_strategy("capacity:per_week=5,min_gap=21") == CapacityLimited(5, min_gap=21)
    with pytest.raises(UsageError, match="it takes per_week, priority, min_gap"):
        parse_strategy("capacity:gap=3")
    for name, cls in STRATEGIES.items():
        assert isinstance(parse_strategy(name if name != "proactive" else "proactive:every=7"), cls)


def test_a_new_strategy_declares_its_constraints_once():
    """A strategy written outside the toolkit gets the same checks by declaring them."""

    @dataclass(frozen=True)
    class Every(Strategy):
        k: int = 3
        name = "every_k"
        _parameter_constraints = {"k": WholeNumber(2, "weeks")}

    assert Every(k=2).k == 2
    with pytest.raises(
        UsageError, match=r"^every_k k must be a whole number >= 2 of weeks; got 1$"
    ):
        Every(k=1)
