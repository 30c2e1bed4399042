"""The intervals a published figure allows, and the ranges the constructions work in.

Shared by the three readers of a profile, so they agree on what meeting a figure means: the
target derivation (:mod:`toolkit.profile.targets`, :mod:`toolkit.profile.spreads`), the
generator (:mod:`toolkit.cohort.generate`) and the fidelity judge
(:mod:`toolkit.fidelity.report`). Nothing here depends on a cohort: only on the profile and on
population sizes.

* :func:`interval_half`: half-width of the interval a synthetic figure must fall in;
* :func:`grim_reachable`: whether whole people can print a share or mean at all (GRIM);
* :func:`bounds`: a mean variable's range (the profile's assumed age range, ...);
* :func:`capped_band`: the ``days_on_recall`` band a recall type is always in, if any;
* :func:`figures`, :func:`printed_decimals`: the evaluated figures of a variable and their
  printed precision.
"""

from __future__ import annotations

import math
import re

from toolkit.profile.model import ProfileSpec, Target
from toolkit.schema import GROUPS, MEAN_VARIABLES, SIX_MONTHS_DAYS

#: Roles of the figures a cohort is built to and judged against.
EVALUATED = ("target", "approximate")


def interval_half(spec: ProfileSpec, t: Target) -> float:
    """Half-width of the interval a synthetic value must fall in to meet ``t``.

    Half a unit of the printed precision; a figure's own ``tolerance`` if it has one; for a
    figure the source calls approximate, the spec's ``assumptions.fidelity`` tolerance
    (``approximate_tolerance_points`` for shares, default 2.5; for other statistics the larger
    of half a unit and 5% of the value); a count is exact (0).

    Examples
    --------
    A share printed as 34% (no decimals) is met by anything from 33.5 to 34.5:

    >>> from types import SimpleNamespace
    >>> t = SimpleNamespace(tolerance=None, statistic="share", approximate=False, half_unit=0.5)
    >>> interval_half(SimpleNamespace(assumptions={}), t)
    0.5
    """
    if t.tolerance is not None:
        return t.tolerance
    if t.statistic == "count":
        return 0.0
    if t.approximate:
        fid = spec.assumptions.get("fidelity", {})
        pts = float(fid.get("approximate_tolerance_points", 2.5))
        return pts if t.statistic in ("share", "max_share") else max(t.half_unit, 0.05 * t.value)
    return t.half_unit


def grim_reachable(value: float, half: float, n: int, scale: float) -> bool:
    """Whether some whole ``k >= 0`` gives ``scale * k / n`` within ``half`` of ``value``.

    ``scale`` is 100 for a share in percent, 1 for a mean of whole numbers (the GRIM test:
    ``n`` people can only print means on a grid of ``1/n``).

    Examples
    --------
    No whole number of 7 people is 50% (3/7 = 42.9%, 4/7 = 57.1%), whole percent printed:

    >>> grim_reachable(50.0, 0.5, 7, 100.0)
    False
    """
    if n <= 0:
        return False
    lo = math.ceil((value - half) * n / scale - 1e-9)
    hi = math.floor((value + half) * n / scale + 1e-9)
    return hi >= max(lo, 0)


def printed_decimals(t: Target) -> int:
    """Decimals in the printed text (a raw chart value carries 15 or more)."""
    m = re.search(r"\.(\d+)", t.printed)
    return len(m.group(1)) if m else 0


def figures(spec: ProfileSpec, variable: str, statistic: str) -> list[Target]:
    """The evaluated figures of one variable and statistic (any population or category)."""
    return [
        t
        for t in spec.targets
        if t.variable == variable
        and t.statistic == statistic
        and t.role in EVALUATED
        and t.population in GROUPS
    ]


def bounds(spec: ProfileSpec, var: str) -> tuple[float, float]:
    """The range ``(lower, upper)`` a mean variable's values are built in.

    The schema's range (:data:`toolkit.schema.MEAN_VARIABLES`), except age (the profile's
    assumed ``[assumptions.age] lower``/``upper``) and years since the first sanction (at most
    the oldest age less the youngest age at a first sanction).
    """
    d = MEAN_VARIABLES[var]
    lo, hi = float(d.lower), float(d.upper)
    a = spec.assumptions
    if var == "age":
        lo, hi = float(a["age"]["lower"]), float(a["age"]["upper"])
    elif var == "years_since_first_sanction":
        hi = float(a["age"]["upper"]) - float(a["career"]["min_age_first_sanction"])
    return lo, hi


def capped_band(spec: ProfileSpec, pop: str) -> int | None:
    """The ``days_on_recall`` band a recall type is always in, or ``None``.

    A recall whose assumed ``max_days`` is at most six months is under six months (its days
    are drawn below the cap: band 0); a longer cap spans bands, so it fixes none.
    """
    blk = spec.assumptions.get("days_on_recall", {}).get(pop, {})
    if "max_days" not in blk or blk["max_days"] > SIX_MONTHS_DAYS:
        return None
    return 0
