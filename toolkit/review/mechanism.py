"""The release mechanism in array form: executive reviews, the Parole Board timetable, release.

For every episode:

* **Parole Board** (every review-type recall, whatever the strategy): referral at day 28
  (s.255C(4)), first determination after the Board's delay, further determinations a year after
  the last one (s.256A). The Board directs release at the first determination on or after the
  day the person became releasable whose draw falls below the direction probability.
* **Executive** (where the law gives the Secretary of State the power, s.255C(2)): at the
  strategy's review days; the first review on or after the releasable day that *notices* it
  (draw below the notice probability) leads to release after the executive decision delay.
* Release is the earliest of the two routes, SED (or the horizon), or the automatic release day.

Draws are a counter-based hash of the person's key and the day (SplitMix64), so strategies
compared on the same episodes share common random numbers, and adding review days can only
bring a release forward.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from toolkit.categories import RECALL_TYPES

ROUTES = ("automatic", "executive", "parole_board", "sed", "horizon")
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
#: Key offset for the Board's draws, so the Board and an executive review on the same day are
#: independent draws.
BOARD_SALT = np.uint64(0xD1B54A32D192ED03)


def hash_uniform(key: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Uniform(0, 1) from (person key, day) via SplitMix64; vectorised, deterministic.

    The day enters at 1/1024-day resolution, so non-integer days (event reviews) get their own
    draws; an infinite or NaN day draws as day 0.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        d = np.where(np.isfinite(day), np.round(np.asarray(day, dtype=float) * 1024), 0)
        return _splitmix(key, d.astype(np.uint64))


def hash_uniform_finite(key: np.ndarray, day: np.ndarray) -> np.ndarray:
    """:func:`hash_uniform` for finite days >= 0 (the same numbers), without its checks: for
    loops that draw a few numbers many times (the capacity strategy's weeks)."""
    return _splitmix(key, np.round(day * 1024.0).astype(np.uint64))


_S11, _S27, _S30, _S31 = (np.uint64(s) for s in (11, 27, 30, 31))
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _splitmix(key: np.ndarray, ticks: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser of ``key + ticks * golden``, as a double in [0, 1) (53 bits).
    numpy wraps uint64 arithmetic on arrays silently, as the hash needs (on scalars it warns)."""
    z = ticks * _GOLDEN + key  # (not in place: key and ticks may broadcast)
    z ^= z >> _S30
    z *= _M1
    z ^= z >> _S27
    z *= _M2
    z ^= z >> _S31
    z >>= _S11
    return z.astype(np.float64) / float(1 << 53)


def board_release_day(first, every, releasable, limit, key, p) -> np.ndarray:
    """Day the Board directs release: the first determination ``first + k * every`` (k >= 0) on
    or after ``releasable`` and before ``limit`` whose draw is below ``p``; inf if none.
    Vectorised in rounds over the people still undecided (geometric: few rounds)."""
    with np.errstate(invalid="ignore"):
        k = np.ceil(np.maximum(releasable - first, 0.0) / every)
    k = np.where(np.isfinite(k), k, 0.0)
    rows = np.flatnonzero(np.isfinite(first) & np.isfinite(releasable))
    return first_day_drawn(first, every, k, rows, limit, key ^ BOARD_SALT, p)


def first_day_drawn(base, every, k, rows, limit, key, p) -> np.ndarray:
    """For each of ``rows``: the first day ``base + k * every`` (counting ``k`` up from the
    value given) before ``limit`` whose draw is below ``p``; inf if none (and for other rows).
    Vectorised in rounds over the rows still undecided (geometric: few rounds). ``k`` is
    modified."""
    out = np.full(np.shape(base), np.inf)
    while rows.size:
        day = base[rows] + k[rows] * every[rows]
        live = day < limit[rows]
        rows, day = rows[live], day[live]
        hit = hash_uniform(key[rows], day) < p
        out[rows[hit]] = day[hit]
        rows = rows[~hit]
        k[rows] += 1
    return out


@dataclass(frozen=True)
class ReviewPlan:
    """A strategy's executive review days: explicit days per person (``(n, K)``, sorted, ``inf``
    padded) plus, if ``every > 0``, a review every ``every`` days from recall for people on a
    review-type recall. Periodic days are never materialised as a dense matrix."""

    days: np.ndarray
    every: int = 0

    def dense(self, ep, horizon: float) -> np.ndarray:
        """All review days as one sorted ``(n, K)`` matrix (for tests and the reference)."""
        if not self.every:
            return self.days
        k = int(np.ceil(horizon / self.every))
        periodic = np.tile(np.arange(1, k + 1, dtype=float) * self.every, (ep.n, 1))
        periodic[~ep.reviewable] = np.inf
        return merge_days(self.days, periodic)


def merge_days(*arrays: np.ndarray) -> np.ndarray:
    """Union of review days per row (sorted, duplicates replaced by inf, all-inf columns gone)."""
    a = np.sort(np.concatenate(arrays, axis=1), axis=1)
    if a.shape[1] == 0:
        return a
    # repeated finite days (a repeated inf is already padding): rare with continuous event
    # days, so the second sort is usually skipped
    dup = (a[:, 1:] == a[:, :-1]) & np.isfinite(a[:, 1:])
    if dup.any():
        a[:, 1:][dup] = np.inf
        a.sort(axis=1)
    keep = np.isfinite(a).any(axis=0)
    return a if keep.all() else a[:, keep]


def formal_plan(ep, rules) -> ReviewPlan:
    """Formal executive consideration: the Secretary of State's review at the Board-referral
    point (day 28) for recall types with the executive power; the Board's own timetable runs
    for everyone on a review-type recall whatever the strategy."""
    day = np.array(
        [
            r.board_referral_day if (r.release == "review" and r.executive) else np.inf
            for r in (rules.types[t] for t in RECALL_TYPES)
        ]
    )[ep.recall_type]
    days = np.where(ep.reviewable, day, np.inf)[:, None]
    return ReviewPlan(days[:, np.isfinite(days).any(axis=0)] if days.size else days)


def _first_explicit(r, cand, key, p):
    """Index of the first candidate column whose draw is below p (-1 if none), in rounds."""
    first = np.full(r.shape[0], -1)
    rows = np.flatnonzero(cand.any(axis=1))
    cand = cand.copy()
    while rows.size:
        j = cand[rows].argmax(axis=1)
        day = r[rows, j]
        hit = hash_uniform(key[rows], day) < p
        first[rows[hit]] = j[hit]
        miss = rows[~hit]
        cand[miss, j[~hit]] = False
        rows = miss[cand[miss].any(axis=1)]
    return first


def _first_periodic(every, start, limit, key, p):
    """First periodic day ``j * every`` (j >= 1) at or after ``start`` and before ``limit`` whose
    draw is below p; inf if none."""
    j = np.maximum(np.ceil(np.where(np.isfinite(start), start, 0) / every), 1.0)
    rows = np.flatnonzero(np.isfinite(start))
    zero, step = np.zeros(start.size), np.full(start.size, every)
    return first_day_drawn(zero, step, j, rows, limit, key, p)


def executive_notice(ep, plan: ReviewPlan, rules, chunk: int = 250_000) -> np.ndarray:
    """Day of the first executive review that notices a releasable person (inf if none)."""
    limit = np.minimum(ep.sed, rules.horizon_days)
    stop = np.minimum(limit, ep.board_day)  # no review decides anything after the Board's release
    start = np.where(ep.reviewable, ep.exec_open_day, np.inf)
    p = rules.notice_probability
    notice = np.full(ep.n, np.inf)
    r = plan.days
    if r.shape[1]:
        for s in range(0, ep.n, chunk):
            sl = slice(s, min(s + chunk, ep.n))
            rr = r[sl]
            cand = (rr >= start[sl, None]) & (rr < stop[sl, None])
            first = _first_explicit(rr, cand, ep.key[sl], p)
            notice[sl] = np.where(
                first >= 0, rr[np.arange(rr.shape[0]), np.maximum(first, 0)], np.inf
            )
    if plan.every:
        per = _first_periodic(float(plan.every), start, stop, ep.key, p)
        notice = np.minimum(notice, per)
    return notice


def count_reviews(ep, plan: ReviewPlan, notice, release, rules) -> np.ndarray:
    """Executive reviews held: plan days ``d`` with ``d <= notice`` and ``d < release``."""
    limit = np.minimum(ep.sed, rules.horizon_days)
    bound = np.minimum(release, limit)
    r = plan.days
    held = (r <= notice[:, None]) & (r < bound[:, None])
    count = held.sum(axis=1)
    if plan.every:
        k = float(plan.every)
        # periodic days j*k (j >= 1) with j*k <= notice and j*k < bound
        top = np.where(
            np.isfinite(notice) & (notice < bound), np.floor(notice / k), np.ceil(bound / k) - 1
        )
        top = np.where(ep.reviewable & np.isfinite(top), np.maximum(top, 0), 0)
        fin = np.where(np.isfinite(r), r, 0.0)
        dup = held & (fin > 0) & (np.mod(fin, k) == 0)  # explicit days also periodic
        count = count + top.astype(np.int64) - dup.sum(axis=1)
    return np.where(ep.reviewable, count, 0)


def finish(ep, notice, rules) -> dict[str, np.ndarray]:
    """Release day and route from the executive notice day and the Board's day."""
    limit = np.minimum(ep.sed, rules.horizon_days)
    exec_release = notice + ep.exec_delay
    decided = np.minimum(exec_release, ep.board_day)
    release = np.minimum(decided, limit)
    end_route = np.where(ep.sed <= rules.horizon_days, 3, 4)
    route = np.where(decided < limit, np.where(exec_release <= ep.board_day, 1, 2), end_route)
    auto = ~ep.reviewable
    auto_release = np.minimum(np.nan_to_num(ep.auto_day, nan=0.0), limit)
    release = np.where(auto, auto_release, release)
    route = np.where(auto, np.where(ep.auto_day < ep.sed, 0, 3), route)
    return {"release_day": release, "route": route, "notice_day": np.where(auto, np.inf, notice)}


def release_outcomes(ep, plan, rules, chunk: int = 250_000) -> dict[str, np.ndarray]:
    """Release day, route, executive notice day and reviews held for every episode."""
    if not isinstance(plan, ReviewPlan):  # a dense (n, K) matrix of review days
        plan = ReviewPlan(np.asarray(plan, dtype=float))
    notice = executive_notice(ep, plan, rules, chunk)
    out = finish(ep, notice, rules)
    out["reviews"] = count_reviews(ep, plan, notice, out["release_day"], rules)
    return out
