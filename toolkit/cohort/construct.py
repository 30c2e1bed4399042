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
    if guess is not None:
        for width in (0.05, 0.5, 5.0):
            a, b = max(lo, guess - width), min(hi, guess + width)
            if mean_of(a) - target <= 0 <= mean_of(b) - target:
                lo, hi = a, b
                break
    f_lo, f_hi = mean_of(lo) - target, mean_of(hi) - target
    if f_lo > 0 or f_hi < 0:
        raise ValueError(
            f"target mean {target} is outside the family's range "
            f"[{f_lo + target:.6g}, {f_hi + target:.6g}]"
        )
    return brentq(lambda m: mean_of(m) - target, lo, hi, xtol=1e-13, rtol=4 * np.finfo(float).eps)


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
    mu = solve_location(
        lambda m: lower + width * float(np.mean(expit(m + eta))), target_mean, guess=guess
    )
    return lower + width * expit(mu + eta)


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


def exact_shuffle(counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Category codes with exactly ``counts[k]`` of category ``k``, in random order."""
    codes = np.repeat(np.arange(len(counts), dtype=np.int16), np.asarray(counts, dtype=np.int64))
    return rng.permutation(codes)
