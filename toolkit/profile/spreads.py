"""Derive what each population must hold to meet printed medians and standard deviations.

A median or SD may describe one population or a group of them (All recalled, All prisoners,
...). The generator builds each population on its own, so a group figure is turned into
per-population targets here, from the spec and the cohort's sizes alone (no cohort is needed,
so ``generate``, ``fidelity`` and ``audit`` agree on what is reachable):

* a **median** becomes *pins*: in each member population, the person at a given rank takes a
  given value. With ``c_p`` people of population ``p`` below the group's median ``M`` and the
  person at rank ``c_p`` pinned to ``M``, the group's sorted values have ``sum(c_p)`` values
  below ``M`` and at least one at ``M``; choosing ``sum(c_p)`` in the right range makes ``M``
  the group's middle value (or the mean of its two middle values). ``c_p`` is split in
  proportion to where ``M`` falls in each population's assumed distribution. A median of whole
  numbers that is a half (30.5 for an even N) pins ``a`` and ``a + 1`` on either side instead.
* a **standard deviation** of a group becomes a per-population SD by the decomposition of the
  group's sum of squares: ``(N-1) s^2 = sum (n_p-1) s_p^2 + sum n_p (m_p - m)^2``, with the
  populations' derived means ``m_p``; populations without an SD of their own share one SD.
* for the 0-2 OASys items, the number of people scored 2 (the sum fixes the 1s): it alone
  decides the item's median and SD.

Granularity is checked as for means and shares (GRIM): a median of N whole numbers is a whole
number when N is odd and a whole or half number when N is even; the SD of N whole numbers with
sum S has a sum of squares Q of the same parity as S and at least that of the most even split
of S, so it moves in steps (the GRIMMER test of Anaya 2016). A figure no cohort of these sizes
can print is reported ``unreachable at N = k`` with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy.optimize import brentq
from scipy.special import ndtr

from toolkit.profile.intervals import bounds, figures, interval_half
from toolkit.profile.model import ProfileSpec, Target
from toolkit.schema import GROUPS, MEAN_VARIABLES, SPREAD_VARIABLES


@dataclass(frozen=True)
class Spread:
    """What one population (or OASys group) must hold beyond its mean.

    Attributes
    ----------
    pins : tuple of (int, float)
        ``(rank, value)``: the person at this rank (0-based, ascending) takes this value.
        Ranks and values both ascend.
    sd : float or None
        The sample SD (``ddof=1``) to construct, if any.
    n2 : int or None
        For a 0-2 OASys item: how many people score 2.
    """

    pins: tuple[tuple[int, float], ...] = ()
    sd: float | None = None
    n2: int | None = None


def _members(t: Target, sizes: Mapping[str, int], complete) -> tuple[str, ...] | None:
    members = (t.population,) if t.population in sizes else complete.get(t.population)
    if not members or any(m not in sizes for m in members):
        return None
    return tuple(members)


def median_possible(value: float, half: float, n: int, integer: bool) -> bool:
    """Whether a median of ``n`` values can print ``value`` (whole numbers: whole or half)."""
    if n <= 0:
        return False
    if not integer:
        return True
    step = 1.0 if n % 2 else 0.5
    lo = math.ceil((value - half) / step - 1e-9)
    hi = math.floor((value + half) / step + 1e-9)
    return hi >= lo


def sd_possible(value: float, half: float, n: int, total: int) -> bool:
    """Whether ``n`` whole numbers summing to ``total`` can have a sample SD printing ``value``.

    Their sum of squares ``Q`` has the parity of ``total`` and is at least that of the most even
    split; the SD is ``sqrt((Q - total^2/n) / (n - 1))`` (GRIMMER, Anaya 2016).
    """
    if n < 2:
        return False
    q, r = divmod(int(total), n)
    q_min = (n - r) * q * q + r * (q + 1) ** 2
    lo_sd, hi_sd = max(value - half, 0.0), value + half
    base, eps = Fraction(int(total) ** 2, n), Fraction(1, 10**9)
    q_lo = math.ceil(Fraction(lo_sd).limit_denominator(10**9) ** 2 * (n - 1) + base - eps)
    q_hi = math.floor(Fraction(hi_sd).limit_denominator(10**9) ** 2 * (n - 1) + base + eps)
    q_lo = max(q_lo, q_min)
    if (q_lo - total) % 2:
        q_lo += 1
    return q_lo <= q_hi


def max_sd(n: int, total: float, lo: float, hi: float) -> float:
    """The largest sample SD of ``n`` values in ``[lo, hi]`` summing to ``total``.

    As many values as possible at ``hi``, one in between, the rest at ``lo`` (the sum of
    squares is convex, so its maximum is at a vertex of the feasible set).
    """
    if n < 2 or hi <= lo:
        return 0.0
    k = int(min(max(math.floor((total - n * lo) / (hi - lo)), 0), n))
    mid = total - k * hi - max(n - k - 1, 0) * lo if k < n else None
    vals = [hi] * k + ([mid] if mid is not None else []) + [lo] * max(n - k - 1, 0)
    v = np.asarray(vals, dtype=float)
    return float(np.std(v, ddof=1))


def _range(spec: ProfileSpec, var: str) -> tuple[float, float]:
    """The variable's range as the constructions use it (need_domains: up to max_domains)."""
    if var == "need_domains":
        return 0.0, float(spec.assumptions["need_domains"]["max_domains"])
    if MEAN_VARIABLES[var].oasys:
        return 0.0, 2.0
    return bounds(spec, var)


def _assumed_sd(spec: ProfileSpec, var: str, mean: float) -> float:
    """A rough SD of a population's assumed distribution (used only to place group medians)."""
    a = spec.assumptions
    lo, hi = bounds(spec, var)
    w = hi - lo
    q = min(max((mean - lo) / w, 0.01), 0.99)
    if var == "age":
        sig = float(a["age"]["sigma"])
    elif var in ("ogrs4v_2yr", "osp_2yr", "rsr_2yr"):
        sig = float(a["scores"][var]["sigma"])
    elif var == "previous_breaches":
        return max(mean, 0.5) * float(a["previous_breaches"]["sigma"])
    elif var == "need_domains":
        sig = float(a["need_domains"]["sigma"])
        w = float(a["need_domains"]["max_domains"])
    else:
        sig = 1.0
    return max(sig * w * q * (1 - q), 1e-6)


def _allocate(est: np.ndarray, lo: np.ndarray, hi: np.ndarray, total: int) -> np.ndarray | None:
    """Whole numbers within ``[lo, hi]`` summing to ``total``, near ``est`` (largest remainder)."""
    if lo.sum() > total or hi.sum() < total:
        return None
    c = np.clip(np.floor(est), lo, hi).astype(np.int64)
    rem = est - np.floor(est)
    while c.sum() < total:
        room = np.flatnonzero(c < hi)
        c[room[np.argmax(rem[room])]] += 1
        rem[room[np.argmax(rem[room])]] = -1.0
        if (rem[c < hi] < 0).all():
            rem = np.where(c < hi, 0.0, rem)
    while c.sum() > total:
        room = np.flatnonzero(c > lo)
        c[room[np.argmin(rem[room])]] -= 1
        rem[room[np.argmin(rem[room])]] = 2.0
    return c


def _median_value(t: Target, n: int, integer: bool, h: float) -> float:
    """The achievable median nearest the printed one (whole, or half for an even N)."""
    if not integer:
        return t.value
    step = 1.0 if n % 2 else 0.5
    return round(t.value / step) * step


def _new_pins(c: int, n: int, M: float, half: bool, double: bool) -> list[tuple[int, float]]:
    """Pins placing ``c`` of ``n`` people below the median ``M`` (see the module notes)."""
    if half:  # c people at most a, the rest at least a + 1
        a = math.floor(M)
        return ([(c - 1, float(a))] if c >= 1 else []) + ([(c, float(a + 1))] if c < n else [])
    return [(c, float(M))] + ([(c + 1, float(M))] if double else [])


def _mean_ok(
    n: int, total: float, lo: float, hi: float, M: float, half: bool, double: bool = False
) -> np.ndarray:
    """For c = 0..n people below the median ``M``: can the pinned values and the free ones
    (within ``[lo, hi]``, on their side of the pins) sum to ``total``?"""
    c = np.arange(n + 1, dtype=float)
    eps = 1e-6 * max(1.0, abs(total))
    if half:
        a = math.floor(M)
        pin_sum = np.where(c >= 1, a, 0) + np.where(c <= n - 1, a + 1, 0)
        below, above = np.maximum(c - 1, 0), np.maximum(n - c - 1, 0)
        least = pin_sum + below * lo + above * (a + 1)
        most = pin_sum + below * a + above * hi
    else:
        k = 2 if double else 1  # people pinned at M
        below, above = c, np.maximum(n - c - k, 0)
        least = k * M + below * lo + above * M
        most = k * M + below * M + above * hi
        least[c > n - k], most[c > n - k] = np.inf, -np.inf  # the pins need people
    return (least - eps <= total) & (total <= most + eps)


def _with_mean(t: Target, M: float, N: int, mean: float) -> str:
    return (
        f"unreachable at N = {N:,}: with a mean of {mean:.3f} (the one the other figures give) "
        f"no {N:,} values in the variable's range have a median of {M:g}"
    )


def _merge(old, new) -> list[tuple[int, float]]:
    """Existing pins plus new ones; a new pin on a rank already pinned is dropped (the bounds
    on ``c_p`` made the existing value lie on the new pin's side)."""
    taken = {r for r, _ in old}
    return sorted(set(old) | {(r, v) for r, v in new if r not in taken})


def _median_pins(spec, var, t, members, sizes, means, pins, sds, unreachable) -> None:
    """Pins in each member population so the group's median prints ``t`` (module docstring);
    adds to ``pins`` only if every member can take its pins, else notes ``t`` unreachable."""
    integer = MEAN_VARIABLES[var].integer
    lo_v, hi_v = _range(spec, var)
    n = {p: sizes[p] for p in members}
    N = sum(n.values())
    M = _median_target(spec, var, t, N, unreachable)
    if M is None:
        return
    half = integer and M % 1 == 0.5
    pops = list(members)
    if len(pops) == 1 and N % 2 == 0 and not pins.get(pops[0]):
        _pin_even_middle(t, pops[0], N, M, half, integer, lo_v, hi_v, means, pins, sds, unreachable)
        return
    fixed = _fixed_values(pops, n, means, sds)
    a_ = math.floor(M)
    vals = [v for p in fixed for v in fixed[p]]
    fixed_below = sum(1 for v in vals if (v <= a_ + 1e-9 if half else v < M - 1e-9))
    fixed_at = 0 if half else sum(1 for v in vals if abs(v - M) <= 1e-9)
    pops = [p for p in pops if p not in fixed]
    if not pops:  # every value is fixed: the median is what it is
        kk = (N - 1) // 2
        above = N - fixed_below - fixed_at
        ok = fixed_below == N // 2 if half else (fixed_below <= kk and above <= kk)
        if not ok:
            unreachable.setdefault(
                t.id,
                f"unreachable at these population sizes: the values of every population in "
                f"{t.population} are fixed by its mean (one person) or mean and SD (two), and "
                f"their middle value is not {M:g}",
            )
        return
    nn = np.array([n[p] for p in pops], dtype=np.int64)
    double = np.zeros(len(pops), dtype=bool)
    if not half and N % 2 == 0 and len(pops) + fixed_at < 2:
        double[0] = True  # two middle values both at M
    lo, hi = _count_ranges(pops, nn, double, M, half, lo_v, hi_v, means, pins)
    if half:
        s_lo = s_hi = N // 2 - fixed_below
    else:
        kk = (N - 1) // 2
        at = len(pops) + int(double.sum()) + fixed_at
        s_lo, s_hi = N - kk - at - fixed_below, kk - fixed_below
    c = _counts_below(spec, var, pops, nn, M, means, sds, lo, hi, s_lo, s_hi)
    if c is None:
        if len(pops) == 1 and not fixed:
            unreachable.setdefault(t.id, _with_mean(t, M, N, means[pops[0]]))
            return
        unreachable.setdefault(
            t.id,
            f"unreachable at these population sizes: a median of {M:g} for {t.population} "
            "cannot be met together with the means (as the other figures give them) and "
            "medians of its populations",
        )
        return
    new = {
        p: _merge(pins.get(p, ()), _new_pins(int(c[i]), int(nn[i]), M, half, bool(double[i])))
        for i, p in enumerate(pops)
    }
    for p, merged in new.items():
        ranks = [r for r, _ in merged]
        values = [v for _, v in merged]
        if len(set(ranks)) != len(ranks) or any(b < a for a, b in zip(values, values[1:])):
            unreachable.setdefault(
                t.id,
                f"unreachable at these population sizes: a median of {M:g} for {t.population} "
                f"cannot be met together with the other medians of {p}",
            )
            return
    for p, merged in new.items():  # all members consistent: commit
        pins[p] = tuple(merged)


def _median_target(spec, var, t, N: int, unreachable) -> float | None:
    """The median value to build for ``t`` over ``N`` people (noting a median whole numbers
    cannot print), or None if it lies outside the variable's range."""
    d = MEAN_VARIABLES[var]
    lo_v, hi_v = _range(spec, var)
    h = interval_half(spec, t)
    if not median_possible(t.value, h, N, d.integer):
        kind = "a whole number (N is odd)" if N % 2 else "a whole or half number"
        unreachable[t.id] = (
            f"unreachable at N = {N:,}: a median of {N:,} whole numbers is {kind}, and none "
            f"prints {t.value:.{t.decimals}f}"
        )
    M = _median_value(t, N, d.integer, h)
    if not lo_v <= M <= hi_v:
        unreachable[t.id] = (
            f"unreachable: a median of {M:g} lies outside {var}'s range [{lo_v:g}, {hi_v:g}]"
        )
        return None
    return M


def _pin_even_middle(t, p, N, M, half, integer, lo_v, hi_v, means, pins, sds, unreachable):
    """One population, an even number of people: the two middle values are M - gap and
    M + gap. Ties (or neighbours a, a + 1 for a half) unless there are only two people and an
    SD is printed: then the two values are the whole distribution, and the gap gives the SD."""
    gap = 0.5 if half else 0.0
    target_sd = sds.get(p)
    if N == 2 and target_sd is not None:
        want = target_sd / math.sqrt(2.0)
        gap = gap + max(round(want - gap), 0) if integer else want
    gap = min(gap, M - lo_v, hi_v - M)
    k, S = N // 2, means[p] * N
    least = (k - 1) * lo_v + 2 * M + (k - 1) * (M + gap)
    most = (k - 1) * (M - gap) + 2 * M + (k - 1) * hi_v
    if not least - 1e-6 <= S <= most + 1e-6:
        unreachable.setdefault(t.id, _with_mean(t, M, N, S / N))
        return
    pins[p] = ((k - 1, float(M - gap)), (k, float(M + gap)))


def _fixed_values(pops, n, means, sds) -> dict[str, list[float]]:
    """Populations whose values are fixed (in a group of several): one person holds its mean,
    and two people with an SD set hold mean -/+ SD/sqrt(2); they lie on either side of M (or
    at it) and take no pin."""
    fixed: dict[str, list[float]] = {}
    for p in pops if len(pops) > 1 else ():
        if n[p] == 1:
            fixed[p] = [means[p]]
        elif n[p] == 2 and sds.get(p) is not None:
            g = sds[p] / math.sqrt(2.0)
            fixed[p] = [means[p] - g, means[p] + g]
    return fixed


def _count_ranges(pops, nn, double, M, half, lo_v, hi_v, means, pins):
    """Per population, the range of people it may have below M (at most ``a`` for a half):
    within reach of its mean (:func:`_mean_ok`) and consistent with its pins so far."""
    lo = np.zeros(len(pops), dtype=np.int64)
    hi = nn - 1 - double if not half else nn.copy()
    for i, p in enumerate(pops):
        # the population's mean must stay within reach of its pins: c people at most M (or
        # a) and the rest at least M (or a + 1), within the range, must sum to its total
        ok = np.flatnonzero(
            _mean_ok(int(nn[i]), means[p] * nn[i], lo_v, hi_v, M, half, bool(double[i]))
        )
        if ok.size:
            lo[i], hi[i] = max(lo[i], ok[0]), min(hi[i], ok[-1])
        else:
            lo[i], hi[i] = 1, 0
        for r, v in pins.get(p, ()):
            a = math.floor(M) if half else M
            if v < M if not half else v <= a:
                lo[i] = max(lo[i], r + 1)
            elif v > M if not half else v >= a + 1:
                hi[i] = min(hi[i], r - (0 if half else 1 + int(double[i])))
    return lo, hi


def _counts_below(spec, var, pops, nn, M, means, sds, lo, hi, s_lo, s_hi) -> np.ndarray | None:
    """People below M per population, summing to what the group's median needs (between
    ``s_lo`` and ``s_hi``), split by where M falls in each population's assumed distribution
    (the same shift in SDs everywhere, so small populations are not piled onto)."""
    mp = np.array([means[p] for p in pops])
    sd = np.array([sds.get(p) or _assumed_sd(spec, var, means[p]) for p in pops])
    z = (M - mp) / sd
    want = int(min(max(round(float(np.sum(nn * ndtr(z)))), s_lo), s_hi))
    n_rest = int(nn.sum())

    def below(shift: float) -> float:
        return float(np.sum(nn * ndtr(z + shift))) - want

    shift = brentq(below, -40.0, 40.0, xtol=1e-10) if 0 < want < n_rest else 0.0
    est = nn * ndtr(z + shift)
    c = _allocate(est, lo, hi, want)
    if c is None:
        for alt in range(s_lo, s_hi + 1):
            c = _allocate(est, lo, hi, alt)
            if c is not None:
                break
    return c


def _sd_targets(spec, var, t, members, sizes, means, totals, sds, unreachable) -> None:
    d = MEAN_VARIABLES[var]
    n = {p: sizes[p] for p in members}
    N = sum(n.values())
    h = interval_half(spec, t)
    if N < 2:
        unreachable[t.id] = f"unreachable at N = {N:,}: a standard deviation needs two people"
        return
    lo_v, hi_v = _range(spec, var)
    largest = max_sd(N, sum(totals[p] for p in members), lo_v, hi_v)
    if t.value - h > largest + 1e-9:
        unreachable[t.id] = (
            f"unreachable at N = {N:,}: {N:,} values in [{lo_v:g}, {hi_v:g}] with the mean "
            f"the other figures give have an SD of at most {largest:.3f}"
        )
    if d.integer:
        total = int(round(sum(totals[p] for p in members)))
        if not sd_possible(t.value, h, N, total):
            unreachable[t.id] = (
                f"unreachable at N = {N:,}: {N:,} whole numbers summing to {total:,} have a sum "
                f"of squares of the parity of their sum (GRIMMER), and no such SD prints "
                f"{t.value:.{t.decimals}f}"
            )
    if len(members) == 1:
        sds.setdefault(members[0], t.value)
        return
    m_g = sum(n[p] * means[p] for p in members) / N
    between = sum(n[p] * (means[p] - m_g) ** 2 for p in members)
    fixed = [p for p in members if p in sds]
    free = [p for p in members if p not in sds and n[p] > 1]
    ss = (N - 1) * t.value**2 - between - sum((n[p] - 1) * sds[p] ** 2 for p in fixed)
    if free:
        s2 = ss / sum(n[p] - 1 for p in free)
        if s2 <= 0:
            unreachable.setdefault(
                t.id,
                f"unreachable at these population sizes: the means (and SDs) of "
                f"{', '.join(members)} alone give an SD above {t.value:.{t.decimals}f}",
            )
            return
        for p in free:
            sds[p] = math.sqrt(s2)
        return
    implied = math.sqrt(max((N - 1) * t.value**2 - ss, 0.0) / (N - 1))
    if abs(implied - t.value) > h + 1e-9:
        unreachable.setdefault(
            t.id,
            f"unreachable at these population sizes: every population in it has its SD set, and "
            f"with their means they give {implied:.3f}",
        )


def person_spreads(
    spec: ProfileSpec,
    sizes: Mapping[str, int],
    complete: Mapping[str, tuple[str, ...]],
    means: Mapping[str, Mapping[str, float]],
    unreachable: dict[str, str],
) -> dict[str, dict[str, Spread]]:
    """Per-population pins and SDs for every person-level variable with a median or SD printed.

    Populations' own figures come first, then groups from the smallest, so a group takes its
    populations' figures as given.
    """
    out: dict[str, dict[str, Spread]] = {}
    for var in SPREAD_VARIABLES:
        if MEAN_VARIABLES[var].oasys:
            continue
        meds, sds_f = figures(spec, var, "median"), figures(spec, var, "sd")
        if not meds and not sds_f:
            continue
        m = {p: float(means[var][p]) for p in sizes}
        totals = {p: m[p] * sizes[p] for p in sizes}
        pins: dict[str, tuple] = {}
        sds: dict[str, float] = {}
        for t in sorted(sds_f, key=lambda t: len(GROUPS[t.population])):
            members = _members(t, sizes, complete)
            if members:
                _sd_targets(spec, var, t, members, sizes, m, totals, sds, unreachable)
        for t in sorted(meds, key=lambda t: len(GROUPS[t.population])):
            members = _members(t, sizes, complete)
            if members:
                _median_pins(spec, var, t, members, sizes, m, pins, sds, unreachable)
        out[var] = {
            p: Spread(pins=pins.get(p, ()), sd=sds.get(p))
            for p in sizes
            if pins.get(p) or sds.get(p) is not None
        }
    return out


def _default_n2(n: int, total: int, gap: float) -> int:
    """The number of 2s the ordinal-probit shape gives (as ``construct.ordinal_counts``)."""
    mean = total / n
    if mean <= 0 or mean >= 2:
        return 0 if mean <= 0 else n
    t = brentq(lambda t: ndtr(-t) + ndtr(-(t + gap)) - mean, -40, 40, xtol=1e-12)
    return int(round(n * float(ndtr(-(t + gap)))))


def item_n2(spec: ProfileSpec, figs: list[Target], n: int, total: int, unreachable) -> int | None:
    """The number of 2s among ``n`` 0-2 scores summing to ``total`` that meets ``figs``.

    With the sum fixed, the 2s decide everything: ``n1 = total - 2 n2``, ``n0 = n - n1 - n2``;
    the median is read off the counts and ``Q = total + 2 n2``. Every possible ``n2`` is tried;
    the one nearest the assumed shape among those meeting all the figures is kept.
    """
    if n < 1:
        return None
    n2 = np.arange(max(0, total - n), total // 2 + 1)
    if n2.size == 0:
        return None
    n1 = total - 2 * n2
    n0 = n - n1 - n2

    def value_at(i):
        return np.where(i < n0, 0.0, np.where(i < n0 + n1, 1.0, 2.0))

    ok_all = np.ones(n2.size, dtype=bool)
    for t in figs:
        h = interval_half(spec, t)
        if t.statistic == "median":
            got = 0.5 * (value_at((n - 1) // 2) + value_at(n // 2))
        else:
            if n < 2:
                unreachable[t.id] = f"unreachable at N = {n:,}: an SD needs two people"
                continue
            got = np.sqrt(np.maximum(total + 2 * n2 - total**2 / n, 0) / (n - 1))
        ok = np.abs(got - t.value) <= h + 1e-9
        if not ok.any():
            what = "median" if t.statistic == "median" else "SD"
            unreachable[t.id] = (
                f"unreachable at N = {n:,}: no split of {n:,} scores of 0, 1 and 2 summing to "
                f"{total:,} has a {what} that prints {t.value:.{t.decimals}f}"
            )
        else:
            ok_all &= ok
    if not ok_all.any():
        for t in figs:
            unreachable.setdefault(
                t.id,
                f"unreachable at N = {n:,}: no split of {n:,} scores of 0, 1 and 2 summing to "
                f"{total:,} meets this item's median and SD together",
            )
        return None
    gap = float(spec.assumptions["need_items"]["threshold_gap"])
    want = _default_n2(n, total, gap)
    cand = n2[ok_all]
    return int(cand[np.argmin(np.abs(cand - want))])


def oasys_spreads(spec: ProfileSpec, need_groups, unreachable: dict[str, str]):
    """Pins and SD of ``need_domains`` and the 2s of each item, per OASys group (by name)."""
    out: dict[str, dict[str, Spread]] = {}
    for var in SPREAD_VARIABLES:
        if not MEAN_VARIABLES[var].oasys:
            continue
        figs = figures(spec, var, "median") + figures(spec, var, "sd")
        for grp in need_groups:
            mine = [t for t in figs if t.population == grp.name]
            if not mine:
                continue
            n, total = int(grp.scored[var]), int(grp.totals[var])
            if var != "need_domains":
                n2 = item_n2(spec, mine, n, total, unreachable)
                if n2 is not None:
                    out.setdefault(var, {})[grp.name] = Spread(n2=n2)
                continue
            sizes = {grp.name: n}
            means = {grp.name: total / n if n else 0.0}
            pins: dict[str, tuple] = {}
            sds: dict[str, float] = {}
            for t in sorted(mine, key=lambda t: t.statistic != "sd"):
                one = (grp.name,)
                if t.statistic == "sd":
                    totals = {grp.name: total}
                    _sd_targets(spec, var, t, one, sizes, means, totals, sds, unreachable)
                else:
                    _median_pins(spec, var, t, one, sizes, means, pins, sds, unreachable)
            sp = Spread(pins=pins.get(grp.name, ()), sd=sds.get(grp.name))
            if sp.pins or sp.sd is not None:
                out.setdefault(var, {})[grp.name] = sp
    return out
