"""Building blocks for marginals that meet a published figure by construction.

The generator never relies on sampling luck: each marginal is built so that its mean or its
category counts are exact at the requested N, and dependence is imposed by *ranks* (the latent
Gaussian-copula scores decide who gets which value), in the spirit of Iman and Conover (1982).
All functions are vectorised over people; the only loops are over a handful of categories or
repair rounds.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit

from toolkit.parallel import available_cpus


def correlated_normals(rng, m: int, chol: np.ndarray) -> np.ndarray:
    """``m`` rows of standard normals correlated by the Cholesky factor ``chol`` (``z @ chol.T``).

    The product runs on one BLAS thread: OpenBLAS's threads cost far more CPU than they save on
    this tall, narrow product (1,000,000 x 13 by 13 x 13: about 0.03 s on one thread, 0.2-0.6 s
    of CPU on two threads of a busy machine). The result is the same bytes either way (each
    output element is one dot product of length 13; checked from 74 to 2,000,000 rows), so
    cohorts do not change.
    """
    from threadpoolctl import threadpool_limits

    z = np.random.default_rng(rng).standard_normal((m, chol.shape[0]))
    with threadpool_limits(1, user_api="blas"):
        return z @ chol.T


def group_codes(key: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``np.unique(key, return_inverse=True, return_counts=True)`` for small non-negative ints.

    Keys that are bit patterns of a few conditions (at most 2**16 values) are counted with
    ``np.bincount`` in one pass instead of sorted (1,000,000 keys: about 0.01 s against 0.1-0.3
    s); the result is the same arrays. Other keys go to ``np.unique``.
    """
    key = np.asarray(key)
    if key.size and key.dtype.kind in "iu" and 0 <= key.min() and key.max() < 1 << 16:
        sizes = np.bincount(key)
        keys = np.flatnonzero(sizes).astype(key.dtype)
        lookup = np.zeros(sizes.size, dtype=np.intp)
        lookup[keys] = np.arange(keys.size)
        return keys, lookup[key], sizes[keys]
    keys, inverse, sizes = np.unique(key, return_inverse=True, return_counts=True)
    return keys, inverse.ravel(), sizes


def largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    """Split an integer ``total`` in proportion to ``weights`` (Hamilton's method).

    Parameters
    ----------
    weights : array_like of float
        Non-negative weights (shares, sizes); need not sum to one.
    total : int
        The integer to allocate.

    Returns
    -------
    numpy.ndarray of int64
        Counts summing exactly to ``total``; ties in remainders go to the earlier entry.

    Examples
    --------
    >>> largest_remainder([57, 21, 18, 4], 3912).tolist()
    [2230, 822, 704, 156]
    """
    w = np.asarray(weights, dtype=float)
    if total < 0 or np.any(w < 0) or (total > 0 and w.sum() <= 0):
        raise ValueError(f"cannot allocate {total} over weights {w.tolist()}")
    if total == 0:
        return np.zeros(len(w), dtype=np.int64)
    quota = w / w.sum() * total
    base = np.floor(quota).astype(np.int64)
    short = int(total - base.sum())
    order = np.argsort(-(quota - base), kind="stable")
    base[order[:short]] += 1
    return base


def integerise_to_sum(x: np.ndarray, total: int) -> np.ndarray:
    """Round ``x`` to integers whose sum is exactly ``total``, keeping ranks (weakly).

    Everyone gets ``floor(x)``; the ``total - sum(floor(x))`` people with the largest fractional
    parts get one more. A larger ``x`` never ends up with a smaller integer.

    Parameters
    ----------
    x : numpy.ndarray of float
    total : int
        Required sum; must lie between ``sum(floor(x))`` and ``sum(floor(x)) + len(x)``.

    Returns
    -------
    numpy.ndarray of int64
    """
    base = np.floor(x)
    extra = int(total - base.sum())
    if not 0 <= extra <= len(x):
        raise ValueError(
            f"cannot reach sum {total} by rounding {len(x)} values (floor sum {int(base.sum())})"
        )
    out = base.astype(np.int64)
    if extra:
        frac = x - base
        idx = np.argpartition(-frac, extra - 1)[:extra] if extra < len(x) else np.arange(len(x))
        out[idx] += 1
    return out


def solve_location(
    mean_of: Callable[[float], float],
    target: float,
    lo: float = -40.0,
    hi: float = 40.0,
    guess: float | None = None,
) -> float:
    """Find the location ``mu`` with ``mean_of(mu) == target`` (``mean_of`` increasing).

    Uses :func:`scipy.optimize.brentq` to machine precision, so a continuous marginal meets its
    published mean exactly whatever the sample. A ``guess`` (e.g. solved on a subsample) narrows
    the bracket so large samples need only a few evaluations.
    """
    # ``mean_of`` is deterministic, so each point is evaluated once: the bracket check, the range
    # check and brentq's own first two evaluations all ask for the same two ends (on 1,000,000
    # people each evaluation is a pass over the data; brentq's iterates are unchanged).
    seen: dict[float, float] = {}

    def f(m: float) -> float:
        if m not in seen:
            seen[m] = mean_of(m) - target
        return seen[m]

    if guess is not None:
        for width in (0.05, 0.5, 5.0):
            a, b = max(lo, guess - width), min(hi, guess + width)
            if f(a) <= 0 <= f(b):
                lo, hi = a, b
                break
    f_lo, f_hi = f(lo), f(hi)
    if f_lo > 0 or f_hi < 0:
        raise ValueError(
            f"target mean {target} is outside the family's range "
            f"[{f_lo + target:.6g}, {f_hi + target:.6g}]"
        )
    return brentq(f, lo, hi, xtol=1e-13, rtol=4 * np.finfo(float).eps)


def bounded_logit_normal(
    z: np.ndarray,
    lower: float,
    upper: float,
    sigma: float,
    target_mean: float,
    shift: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Values ``lower + (upper-lower) * expit(mu + sigma*z + shift)`` with sample mean exact.

    Parameters
    ----------
    z : numpy.ndarray
        Latent standard-normal scores (their ranks decide who gets high values).
    lower, upper : float
        Bounds of the variable.
    sigma : float
        Spread on the logit scale (assumed).
    target_mean : float
        Mean the returned sample must have.
    shift : float or array
        Per-person shift on the logit scale (e.g. an index-offence effect).
    """
    if not lower < target_mean < upper:
        raise ValueError(f"target mean {target_mean} must lie strictly between {lower} and {upper}")
    eta = sigma * z + shift
    width = upper - lower
    guess = None
    if eta.size > 50_000:  # solve on a systematic subsample first, then refine on everyone
        sub = eta[:: eta.size // 20_000]
        guess = solve_location(
            lambda m: lower + width * float(np.mean(expit(m + sub))), target_mean
        )
    if eta.size >= NEWTON_MIN_PEOPLE:
        p, q_buf = np.empty_like(eta, dtype=float), np.empty_like(eta, dtype=float)

        def mean_and_slope(m: float) -> tuple[float, float]:
            # p = expit(m + eta), q = p * (1 - p): in two buffers reused by every Newton step
            # (the same values as fresh arrays; each is 8 MB per million people)
            expit(np.add(eta, m, out=p), out=p)
            q = np.multiply(p, np.subtract(1.0, p, out=q_buf), out=q_buf)
            return lower + width * float(np.mean(p)), width * float(np.mean(q))

        mu = newton_location(mean_and_slope, target_mean, guess)
    else:
        mu = solve_location(
            lambda m: lower + width * float(np.mean(expit(m + eta))), target_mean, guess=guess
        )
    return lower + width * expit(mu + eta)


#: From this many values, a location is refined from its subsample solution by Newton's method
#: (:func:`newton_location`: about 3 passes over the data, against brentq's 6-7 including its
#: bracket). *Assumed* threshold: above every population of the shipped cohorts (the largest,
#: other sentenced prisoners, is 59,369), so they are unchanged; both methods solve the mean
#: to machine precision.
NEWTON_MIN_PEOPLE = 100_000

#: From this many people, the generator overlaps independent steps on a second thread: the risk
#: scores beside the sanctions and each need item's ranking beside the next item's draws
#: (:mod:`toolkit.cohort.generate`), half the programme patterns' state assignments
#: (:mod:`toolkit.cohort.programmes`). Each step draws nothing or from its own stream, in its
#: order, and writes only its own columns or people, so the cohort is the same bytes either way.
#: *Assumed*: below it each step takes milliseconds and a thread hand-off is not worth it.
PARALLEL_MIN_PEOPLE = 50_000


def second_thread(n: int) -> bool:
    """Whether steps over ``n`` people overlap on a second thread: from
    :data:`PARALLEL_MIN_PEOPLE` people, when the process may use two CPUs or more (on one, a
    second thread only adds switching). The cohort is the same bytes either way."""
    return n >= PARALLEL_MIN_PEOPLE and available_cpus() >= 2


def newton_location(
    mean_and_slope: Callable[[float], tuple[float, float]],
    target: float,
    guess: float,
    lo: float = -40.0,
    hi: float = 40.0,
) -> float:
    """The location ``mu`` with ``mean(mu) == target``, by Newton's method from ``guess``.

    ``mean_and_slope(mu)`` returns the mean and its derivative (positive: the mean increases
    with ``mu``). Stops when a step is below ``1e-13`` (brentq's ``xtol`` in
    :func:`solve_location`); if the iteration leaves ``[lo, hi]``, meets a flat slope or has
    not converged in 12 steps, the bracketing solve is used instead.
    """
    mu = float(guess)
    for _ in range(12):
        f, slope = mean_and_slope(mu)
        if not slope > 0:
            break
        step = (f - target) / slope
        mu -= step
        if not lo <= mu <= hi:
            break
        if abs(step) <= 1e-13:
            return mu
    return solve_location(lambda m: mean_and_slope(m)[0], target, lo, hi, guess=guess)


def spread_for_sd(
    z: np.ndarray,
    lower: float,
    upper: float,
    target_mean: float,
    target_sd: float,
    shift: np.ndarray | float = 0.0,
    lo: float = 0.02,
    hi: float = 6.0,
    integer_total: int | None = None,
) -> float:
    """The logit-scale spread ``sigma`` at which :func:`bounded_logit_normal` has ``target_sd``.

    The sample standard deviation (``ddof=1``, as papers print it) grows with ``sigma`` at a
    fixed mean, so :func:`scipy.optimize.brentq` finds it; a target outside what the family can
    reach between ``lo`` and ``hi`` gets the nearest end. With ``integer_total`` the SD is that
    of the values after :func:`integerise_to_sum` (whole years), so small populations meet it too.
    """

    def sd(sig: float) -> float:
        x = bounded_logit_normal(z, lower, upper, sig, target_mean, shift)
        if integer_total is not None:
            x = integerise_to_sum(x, integer_total)
        return float(np.std(x, ddof=1)) if x.size > 1 else 0.0

    f_lo, f_hi = sd(lo) - target_sd, sd(hi) - target_sd
    if f_lo >= 0:
        return lo
    if f_hi <= 0:
        return hi
    return brentq(lambda s: sd(s) - target_sd, lo, hi, xtol=1e-10)


def ordinal_counts(n: int, total: int, gap: float) -> tuple[int, int]:
    """Counts of 1s and 2s among ``n`` 0/1/2 scores whose sum is exactly ``total``.

    The shape comes from an ordinal probit with thresholds ``t`` and ``t + gap``; ``t`` is solved
    so the expected mean is ``total / n``, then the count of 2s is rounded and the 1s fill the
    remainder exactly.
    """
    from scipy.special import ndtr

    if n == 0:
        return 0, 0
    if not 0 <= total <= 2 * n:
        raise ValueError(f"an item sum of {total} is impossible for {n} scores of 0-2")
    mean = total / n
    if mean <= 0:
        return 0, 0
    if mean >= 2:
        return 0, n
    t = brentq(lambda t: ndtr(-t) + ndtr(-(t + gap)) - mean, -40, 40, xtol=1e-12)
    n2 = int(round(n * float(ndtr(-(t + gap)))))
    n2 = min(max(n2, max(0, total - n)), total // 2)
    n1 = total - 2 * n2
    return n1, n2


def assign_by_rank(latent: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Give category ``k`` to the people ranked in the ``k``-th block of ``latent`` (ascending).

    ``counts`` must sum to ``len(latent)``. Uses one multi-pivot ``argpartition`` (O(n log k)),
    so no full sort is needed.

    Returns
    -------
    numpy.ndarray of int8/int16
        Category codes 0..k-1.
    """
    counts = np.asarray(counts, dtype=np.int64)
    n = len(latent)
    if counts.sum() != n:
        raise ValueError(f"counts sum to {counts.sum()}, expected {n}")
    codes = np.empty(n, dtype=np.int16)
    edges = np.cumsum(counts)
    kth = [int(e) for e in edges[:-1] if 0 < e < n]
    order = np.argpartition(latent, kth) if kth else np.arange(n)
    start = 0
    for k, end in enumerate(edges):
        codes[order[start:end]] = k
        start = int(end)
    return codes


def exact_shuffle(counts: np.ndarray, rng) -> np.ndarray:
    """Category codes with exactly ``counts[k]`` of category ``k``, in random order.

    ``rng``: a numpy Generator (used as is), an int seed or a SeedSequence.
    """
    codes = np.repeat(np.arange(len(counts), dtype=np.int16), np.asarray(counts, dtype=np.int64))
    return np.random.default_rng(rng).permutation(codes)


def _logit_scores(x: np.ndarray, lower: float, upper: float) -> tuple[np.ndarray, np.ndarray]:
    """Values on the logit scale of ``[lower, upper]``, strictly increasing with rank."""
    u = np.clip((x - lower) / (upper - lower), 1e-12, 1 - 1e-12)
    e = np.log(u) - np.log1p(-u)
    order = np.argsort(e, kind="stable")
    es = e[order]
    # ties (a flat template) are broken by rank so every pin has its own knot
    es = es + np.arange(es.size) * 1e-9 * max(1.0, float(np.abs(es).max()))
    out = np.empty_like(es)
    out[order] = es
    return out, order


def meet_spread(
    x: np.ndarray,
    lower: float,
    upper: float,
    target_mean: float,
    pins: tuple[tuple[int, float], ...] = (),
    target_sd: float | None = None,
    *,
    integer_total: int | None = None,
) -> np.ndarray:
    """Reshape ``x`` (same ranks) so order statistics, mean and SD meet published figures.

    The template ``x`` (what the marginal's own construction built) is read on the logit scale
    of ``[lower, upper]`` and mapped through a monotone, piecewise-linear function:

    * without pins, ``location + scale * e`` (the logit-normal family of
      :func:`bounded_logit_normal`, with its spread solved as in :func:`spread_for_sd`);
    * with pins ``(rank, value)``, the function passes through every pin (the person at
      ``rank`` takes ``value`` exactly, so a median is met by fixing the middle order
      statistic(s)); below the first pin and above the last it has slopes
      ``scale * exp(-skew)`` and ``scale * exp(skew)``.

    The mean is met by solving ``location`` (no pins) or ``skew`` (pins) with
    :func:`scipy.optimize.brentq`; a ``target_sd`` (``ddof=1``) by solving ``scale`` around it.
    Because the map is monotone, every person keeps their rank, so the dependence imposed by
    the latent scores survives. With ``integer_total`` the values are whole numbers summing to
    it (:func:`integerise_to_sum` over everyone but the pinned people, whose whole values are
    kept; a person below a pin never rounds above it).

    Returns
    -------
    numpy.ndarray
        Values in the order of ``x``.
    """
    m = _SpreadMap(x, lower, upper, pins, integer_total)
    target_mean = float(target_mean)
    if target_sd is None or x.size < 2:
        return m.build(1.0, target_mean)

    def sd_gap(scale: float) -> float:
        return float(np.std(m.build(scale, target_mean), ddof=1)) - target_sd

    s_lo, s_hi = 1e-3, 1e4  # a wide bracket: two close template values may need a big stretch
    g_lo, g_hi = sd_gap(s_lo), sd_gap(s_hi)
    if g_lo >= 0:
        return m.build(s_lo, target_mean)
    if g_hi <= 0:
        return m.build(s_hi, target_mean)
    s = brentq(sd_gap, s_lo, s_hi, xtol=1e-9, rtol=1e-10)
    y = m.build(s, target_mean)
    if integer_total is None:
        return y
    # Whole numbers: the SD is a step function of the scale, so brentq stops at a jump; unit
    # moves between people then bring the sum of squares to the nearest reachable value.
    n = x.size
    fixed = np.zeros(n, dtype=bool)
    fixed[[r for r, _ in m.pins]] = True
    q_target = target_sd**2 * (n - 1) + float(integer_total) ** 2 / n
    y[m.order] = spread_integers(y[m.order], fixed, q_target, lower, upper)
    return y


class _SpreadMap:
    """The monotone map of :func:`meet_spread` from a template to values, and its solves.

    Built once per template: the template's logit scores ``e`` (and their order), the pins
    (extended to the bounds for whole numbers), the pins' knots ``(ek, lk)`` on the logit scale.
    ``build(scale, mean)`` solves the skew or location that meets ``mean`` at that ``scale``,
    warm-starting each solve from the previous one.
    """

    def __init__(self, x, lower: float, upper: float, pins, integer_total: int | None):
        n = x.size
        self.n, self.lower, self.upper = n, lower, upper
        self.width = upper - lower
        self.integer_total = integer_total
        self.e, self.order = _logit_scores(np.asarray(x, dtype=float), lower, upper)
        pins = tuple(sorted((int(r), float(v)) for r, v in pins if 0 <= int(r) < n))
        if integer_total is not None and pins:
            # whole numbers pinned at a bound: everyone beyond that pin is at the bound too
            # (no continuous value lies beyond a bound, so rounding could not keep them on
            # their side)
            r0, v0 = pins[0]
            r1, v1 = pins[-1]
            extra = [(r, v0) for r in range(r0)] if v0 <= lower else []
            extra += [(r, v1) for r in range(r1 + 1, n)] if v1 >= upper else []
            pins = tuple(sorted(set(pins) | set(extra)))
        self.pins = pins
        self.free = np.ones(n, dtype=bool)
        if pins:
            ranks = np.array([r for r, _ in pins])
            self.vals = np.array([v for _, v in pins])
            self.pin_idx = self.order[ranks]
            self.ek = self.e[self.pin_idx]
            uk = np.clip((self.vals - lower) / self.width, 1e-12, 1 - 1e-12)
            self.lk = np.log(uk) - np.log1p(-uk)
            self.free[self.pin_idx] = False
        self.centre = float(np.median(self.e))
        self.last: list[float] = []  # the previous solution narrows the next bracket

    def continuous(self, scale: float, b: float) -> np.ndarray:
        """Values before rounding: location ``b`` (no pins) or skew ``b`` (pins)."""
        e = self.e
        if not self.pins:
            return self.lower + self.width * expit(b + scale * (e - self.centre))
        ek, lk = self.ek, self.lk
        g = np.interp(e, ek, lk)
        lo_side, hi_side = e < ek[0], e > ek[-1]
        g[lo_side] = lk[0] + scale * np.exp(-b) * (e[lo_side] - ek[0])
        g[hi_side] = lk[-1] + scale * np.exp(b) * (e[hi_side] - ek[-1])
        y = self.lower + self.width * expit(g)
        y[self.pin_idx] = self.vals
        return y

    def finish(self, y: np.ndarray) -> np.ndarray:
        """Whole numbers summing to ``integer_total`` (pins keep their whole values)."""
        if self.integer_total is None:
            return y
        out = np.empty(self.n, dtype=np.int64)
        free = self.free
        if self.pins:
            out[self.pin_idx] = np.round(self.vals).astype(np.int64)
        rest = int(self.integer_total - out[~free].sum()) if self.pins else int(self.integer_total)
        yr = y[free]
        floor_sum = np.floor(yr).sum()
        if not floor_sum <= rest <= floor_sum + yr.size:  # mean out of reach: best effort
            yr = np.clip(yr + (rest - yr.sum()) / max(yr.size, 1), self.lower, self.upper)
        try:
            out[free] = integerise_to_sum(yr, rest)
        except ValueError:
            out[free] = np.round(yr).astype(np.int64)
        return out

    def solve_b(self, scale: float, target_mean: float) -> float:
        """The location or skew at which the continuous values have ``target_mean``."""
        b_lo, b_hi = -40.0, 40.0  # wide: one free value beside a pin may need a big stretch

        def f(b):
            return float(np.mean(self.continuous(scale, b))) - target_mean

        lo_b, hi_b = b_lo, b_hi
        last = self.last
        for step in (0.01, 0.1, 1.0) if last else ():
            a, b = max(b_lo, last[-1] - step), min(b_hi, last[-1] + step)
            if f(a) <= 0 <= f(b):
                lo_b, hi_b = a, b
                break
        else:
            f_lo, f_hi = f(b_lo), f(b_hi)
            if f_lo >= 0:
                return b_lo
            if f_hi <= 0:
                return b_hi
        last.append(brentq(f, lo_b, hi_b, xtol=1e-12))
        return last[-1]

    def build(self, scale: float, target_mean: float) -> np.ndarray:
        return self.finish(self.continuous(scale, self.solve_b(scale, target_mean)))


def spread_integers(
    w: np.ndarray, fixed: np.ndarray, q_target: float, lower: float, upper: float
) -> np.ndarray:
    """Move single units between people so the sum of squares of ``w`` nears ``q_target``.

    ``w`` is sorted ascending; a unit taken from the first person holding a value ``a`` and
    given to the last holding ``b`` keeps it sorted, keeps the sum, and changes the sum of
    squares by ``2 (b - a + 1)``. Fixed (pinned) positions are never moved, so every pinned
    order statistic holds. Each round applies the move nearest the remaining gap; it stops
    when no move brings the sum of squares closer (the gap is then at most one step of 2).
    """
    w = np.asarray(w, dtype=np.int64).copy()
    n = w.size
    for _ in range(2000 if n <= 20_000 else 100):
        gap = q_target - float(np.dot(w, w))
        if abs(gap) <= 1.0:
            break
        vals, first, counts = np.unique(w, return_index=True, return_counts=True)
        last = first + counts - 1
        dec = ~fixed[first] & (vals - 1 >= lower)
        inc = ~fixed[last] & (vals + 1 <= upper)
        a_idx, b_idx = np.flatnonzero(dec), np.flatnonzero(inc)
        if a_idx.size == 0 or b_idx.size == 0:
            break
        delta = 2.0 * (vals[b_idx][None, :] - vals[a_idx][:, None] + 1)
        same = a_idx[:, None] == b_idx[None, :]
        delta = np.where(same & (counts[a_idx][:, None] < 2), np.nan, delta)
        resid = np.abs(gap - delta)
        if np.all(np.isnan(resid)):
            break
        i, j = np.unravel_index(int(np.nanargmin(resid)), resid.shape)
        if resid[i, j] >= abs(gap) - 1e-9:
            break
        w[first[a_idx[i]]] -= 1
        w[last[b_idx[j]]] += 1
    if n <= 60:
        w = _spread_small(w, fixed, q_target, lower, upper)
    return w


def _spread_small(w, fixed, q_target, lower, upper, rounds: int = 50):
    """Few people: moves of several units between any two, each kept between its neighbouring
    pinned values (so pins keep their ranks once re-sorted), for sums of squares that single
    units in sorted order cannot reach (they are sparse with few people)."""
    w = w.copy()
    n = w.size
    pin_pos = np.flatnonzero(fixed)
    idx = np.arange(n)
    prev = np.searchsorted(pin_pos, idx, side="left") - 1
    nxt = np.searchsorted(pin_pos, idx, side="right")
    seg_lo, seg_hi = np.full(n, float(lower)), np.full(n, float(upper))
    if pin_pos.size:
        seg_lo = np.where(prev >= 0, w[pin_pos[np.maximum(prev, 0)]], lower).astype(float)
        top = w[pin_pos[np.minimum(nxt, pin_pos.size - 1)]]
        seg_hi = np.where(nxt < pin_pos.size, top, upper).astype(float)
    free = np.flatnonzero(~fixed)
    k = np.arange(1, 101)
    for _ in range(rounds):
        gap = q_target - float(np.dot(w, w))
        if abs(gap) <= 1.0 or free.size < 2:
            break
        a, b = np.meshgrid(free, free, indexing="ij")  # take k from a, give to b
        a, b = a[a != b], b[a != b]
        kk = k[None, :]
        ok = (w[a][:, None] - kk >= seg_lo[a][:, None]) & (w[b][:, None] + kk <= seg_hi[b][:, None])
        delta = 2.0 * kk * (w[b][:, None] - w[a][:, None] + kk)
        resid = np.where(ok, np.abs(gap - delta), np.inf)
        best = int(np.argmin(resid))
        r, c = divmod(best, k.size)
        if resid.flat[best] < abs(gap) - 1e-9:
            w[a[r]] -= k[c]
            w[b[r]] += k[c]
            continue
        # no single move helps: two moves together (the second looked up by sorting every
        # move's change, then checked exactly on the values it would leave)
        flat = np.where(ok, delta, np.nan).ravel()
        valid = np.flatnonzero(~np.isnan(flat))
        d_sorted_idx = valid[np.argsort(flat[valid])]
        d_sorted = flat[d_sorted_idx]
        want = gap - flat[valid]
        pos = np.clip(np.searchsorted(d_sorted, want), 0, d_sorted.size - 1)
        approx = np.abs(want - d_sorted[pos])
        improved = False
        for t in np.argsort(approx)[:200]:
            m1, m2 = valid[t], d_sorted_idx[pos[t]]
            trial = w.copy()
            for m in (m1, m2):
                rr, cc = divmod(int(m), k.size)
                trial[a[rr]] -= k[cc]
                trial[b[rr]] += k[cc]
            if np.any(trial < seg_lo) or np.any(trial > seg_hi):
                continue
            if abs(q_target - float(np.dot(trial, trial))) < abs(gap) - 1e-9:
                w, improved = trial, True
                break
        if not improved:
            break
    return np.sort(w)
