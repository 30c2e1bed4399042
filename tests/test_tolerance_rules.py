"""The tolerance rules the generator and the fidelity judge share, against hand-worked cases.

``interval_half`` (toolkit/profile/intervals.py) is the half-width of the interval a synthetic
figure must fall in; the fidelity judge (``toolkit.fidelity.report._passes``) applies it and the
generator builds to it. ``bounds`` is a mean variable's range, ``capped_band`` the
days-on-recall band a capped recall type is always in, ``grim_reachable`` whether whole people
can print a figure at all. Each expected value below is
worked by hand from the rule as the docstrings state it (half a unit of the printed precision; a
figure's own tolerance; 0 for a count; for an approximate figure the profile's
``approximate_tolerance_points`` for shares, else the larger of half a unit and 5% of the value),
not taken from the code's output.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from toolkit.fidelity.report import _passes
from toolkit.profile.intervals import bounds, capped_band, grim_reachable, interval_half
from toolkit.profile.spec import Target


def target(statistic="mean", value=1.0, decimals=1, approximate=False, tolerance=None):
    return Target(
        id="t",
        population="standard",
        variable="age",
        statistic=statistic,
        value=value,
        printed=str(value),
        decimals=decimals,
        document="d",
        title="t",
        locator="Table 1",
        quote="q",
        approximate=approximate,
        tolerance=tolerance,
    )


PLAIN = SimpleNamespace(assumptions={})
FOUR_POINTS = SimpleNamespace(assumptions={"fidelity": {"approximate_tolerance_points": 4}})


@pytest.mark.parametrize(
    "spec, t, half",
    [
        # printed "34%" (0 decimals): 33.5 to 34.5
        (PLAIN, target("share", 34, 0), 0.5),
        # printed "2.85" (2 decimals): +-0.005
        (PLAIN, target("mean", 2.85, 2), 0.005),
        # printed "35.1" years
        (PLAIN, target("mean", 35.1, 1), 0.05),
        # a figure's own tolerance wins over its precision, even for an approximate figure
        (PLAIN, target("share", 34, 0, tolerance=1.25), 1.25),
        (PLAIN, target("mean", 30, 0, approximate=True, tolerance=0.1), 0.1),
        # a count is exact
        (PLAIN, target("count", 1730, 0), 0.0),
        (PLAIN, target("count", 1730, 0, approximate=True), 0.0),
        # approximate shares: 2.5 points unless the profile says otherwise
        (PLAIN, target("share", 60, 0, approximate=True), 2.5),
        (PLAIN, target("max_share", 10, 0, approximate=True), 2.5),
        (FOUR_POINTS, target("share", 60, 0, approximate=True), 4.0),
        # approximate means: max(half unit, 5% of the value): 5% of 30 = 1.5 > 0.5
        (PLAIN, target("mean", 30, 0, approximate=True), 1.5),
        # 5% of 4 = 0.2 < half a unit 0.5
        (PLAIN, target("mean", 4, 0, approximate=True), 0.5),
        # the points setting is for shares only
        (FOUR_POINTS, target("mean", 30, 0, approximate=True), 1.5),
    ],
)
def test_interval_half(spec, t, half):
    assert interval_half(spec, t) == pytest.approx(half, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(
    "t, synth, tol, passes",
    [
        (target("share", 34, 0), 34.5, 0.5, True),  # the interval's edge is in
        (target("share", 34, 0), 34.51, 0.5, False),
        (target("share", 34, 0), 33.5, 0.5, True),
        (target("share", 34, 0), 33.49, 0.5, False),
        (target("max_share", 10, 0), 0.0, 0.5, True),  # a ceiling: anything below passes
        (target("max_share", 10, 0), 10.5, 0.5, True),
        (target("max_share", 10, 0), 10.51, 0.5, False),
        (target("count", 1730, 0), 1730, 0.0, True),
        (target("count", 1730, 0), 1731, 0.0, False),
        (target("mean", 2.85, 2), None, 0.005, None),  # nothing to judge
    ],
)
def test_judge_applies_the_interval(t, synth, tol, passes):
    assert _passes(t, synth, tol) is passes


AGES = {"age": {"lower": 18, "upper": 85}, "career": {"min_age_first_sanction": 10}}


@pytest.mark.parametrize(
    "assumptions, var, expected",
    [
        # age: the profile's assumed range, not the schema's 10-120
        (AGES, "age", (18.0, 85.0)),
        ({**AGES, "age": {"lower": 21, "upper": 70}}, "age", (21.0, 70.0)),
        # years since first sanction: at most the oldest age less the youngest first sanction
        (AGES, "years_since_first_sanction", (0.0, 75.0)),
        (
            {**AGES, "career": {"min_age_first_sanction": 12}},
            "years_since_first_sanction",
            (0.0, 73.0),
        ),
        # scores are percentages; need items 0-2; the rest as the schema declares
        (AGES, "ogrs3_2yr", (0.0, 100.0)),
        (AGES, "need_domains", (0.0, 20.0)),
        (AGES, "previous_breaches", (0.0, 1000.0)),
    ],
)
def test_bounds(assumptions, var, expected):
    assert bounds(SimpleNamespace(assumptions=assumptions), var) == expected


@pytest.mark.parametrize(
    "days_on_recall, pop, band",
    [
        # a fixed-term recall capped at 28 days: always under six months (band 0)
        ({"fixed_term": {"max_days": 28}}, "fixed_term", 0),
        # a cap of six months (183 days, categories.SIX_MONTHS_DAYS): days are drawn below the
        # cap (0-182), all under six months
        ({"fixed_term": {"max_days": 183}}, "fixed_term", 0),
        # a cap of 184 days allows day 183, the first of the next band: no band is fixed
        ({"fixed_term": {"max_days": 184}}, "fixed_term", None),
        # no cap, or a cap for another type: nothing fixed
        ({"fixed_term": {}}, "fixed_term", None),
        ({"fixed_term": {"max_days": 28}}, "standard", None),
        ({}, "hdc", None),
    ],
)
def test_capped_band(days_on_recall, pop, band):
    spec = SimpleNamespace(assumptions={"days_on_recall": days_on_recall})
    assert capped_band(spec, pop) == band


@pytest.mark.parametrize(
    "value, half, n, scale, ok",
    [
        # 7 people: 3/7 = 42.857%, 4/7 = 57.143%; nothing prints 50% (49.5-50.5)
        (50.0, 0.5, 7, 100.0, False),
        # ... but 43% is 3/7 (42.857 is within 42.5-43.5)
        (43.0, 0.5, 7, 100.0, True),
        # a mean of whole numbers: 5 people can print 2.4 (12/5) but not 2.45 at two decimals
        (2.4, 0.05, 5, 1.0, True),
        (2.45, 0.005, 5, 1.0, False),
        # an interval edge counts: 1/8 = 12.5% prints as "13%" under round-half-up
        (13.0, 0.5, 8, 100.0, True),
        # 0% is always reachable (k = 0); a negative interval never is; nobody prints nothing
        (0.0, 0.5, 3, 100.0, True),
        (-2.0, 0.5, 3, 100.0, False),
        (10.0, 0.5, 0, 100.0, False),
    ],
)
def test_grim_reachable(value, half, n, scale, ok):
    assert grim_reachable(value, half, n, scale) is ok
