"""A plain discrete-event reference for the review engine: one person at a time (or, for capacity
strategies, one week at a time over the caseload), a heap of events, Python scalars. Deliberately
simple and slow; the vectorised engine must agree with it to the day on every strategy.

It re-implements the rules from their statement in toolkit/review/mechanism.py, sharing only the
hash that supplies the random draws (so both see the same draws)."""

from __future__ import annotations

import heapq
import math

import numpy as np

from toolkit.review.mechanism import BOARD_SALT, hash_uniform


def _u(key, day, salt=None):
    k = np.array([key ^ salt if salt is not None else key], dtype=np.uint64)
    return float(hash_uniform(k, np.array([day]))[0])


def _board_days(ep, i, limit):
    """The Board's determination days before ``limit`` (referral + delay, then yearly)."""
    first = float(ep.first_board_day[i])
    if not math.isfinite(first):
        return []
    rtype_every = _EVERY[int(ep.recall_type[i])]
    out, d = [], first
    while d < limit:
        out.append(d)
        d += rtype_every
    return out


_EVERY: dict = {}


def simulate_person(i, ep, review_days, rules, extra=()):
    """Release day, route code, reviews and notice day for episode ``i``.

    ``extra`` holds capacity reviews already scheduled for this person (days)."""
    sed = float(ep.sed[i])
    limit = min(sed, rules.horizon_days)
    end_route = 3 if sed <= rules.horizon_days else 4
    if not ep.reviewable[i]:
        auto = min(float(ep.auto_day[i]), limit)
        return auto, (0 if ep.auto_day[i] < sed else 3), 0, math.inf
    events = [(limit, 3, "end")]
    for d in _board_days(ep, i, limit):
        events.append((d, 0, "board"))
    for d in list(review_days[i]) + list(extra):
        if math.isfinite(d) and d < limit:
            events.append((float(d), 1, "review"))
    heapq.heapify(events)
    releasable = float(ep.releasable_day[i])
    reviews, notice, seen = 0, math.inf, set()
    pending = math.inf  # executive release day once noticed
    while events:
        day, _, kind = heapq.heappop(events)
        if pending <= day:  # the executive release happens first (ties go to it)
            return pending, 1, reviews, notice
        if kind == "end":
            return limit, end_route, reviews, notice
        if kind == "board":
            if day >= releasable and _u(int(ep.key[i]), day, BOARD_SALT) < (
                rules.board_direction_probability
            ):
                return day, 2, reviews, notice
            continue
        if day in seen or math.isfinite(notice):
            continue  # one review a day; none while a decision is pending
        seen.add(day)
        reviews += 1
        if (
            ep.exec_ok[i]
            and day >= float(ep.exec_open_day[i])
            and _u(int(ep.key[i]), day) < rules.notice_probability
        ):
            notice = day
            pending = day + float(ep.exec_delay[i])
            heapq.heappush(events, (pending, 2, "exec"))
    raise AssertionError("unreachable")


def simulate(ep, review_days, rules):
    """Every episode with fixed review days: arrays (release, route, reviews)."""
    _set_every(rules)
    out = [simulate_person(i, ep, review_days, rules)[:3] for i in range(ep.n)]
    rel, route, rev = zip(*out)
    return np.array(rel), np.array(route), np.array(rev)


def _set_every(rules):
    from toolkit.schema import RECALL_TYPES

    _EVERY.clear()
    for code, t in enumerate(RECALL_TYPES):
        _EVERY[code] = rules.types[t].board_review_every or math.inf


def simulate_capacity(ep, formal_days, rules, per_week, priority_key, min_gap):
    """Capacity strategy, week by week: each week, the people in custody with no decision
    pending and no extra review in ``min_gap`` days are sorted by ``priority_key(i, t)``
    (ties: lower index) and the first ``per_week`` reviewed. Returns (release, route, reviews)."""
    _set_every(rules)
    n = ep.n
    extra = [[] for _ in range(n)]
    last = [-math.inf] * n
    done = [False] * n
    week = 0
    while not all(done):
        cands = []
        for i in range(n):
            if done[i] or not ep.reviewable[i]:
                done[i] = True
                continue
            t = 7.0 * week - float(ep.admit_day[i])
            if t < 0:
                continue
            # state at t from the person's own history so far
            rel, _, _, notice = simulate_person(i, ep, formal_days, rules, extra[i])
            if t >= min(rel, notice):
                done[i] = True
                continue
            if t - last[i] >= min_gap:
                cands.append((priority_key(i, t), i, t))
        cands.sort()
        for _, i, t in cands[:per_week]:
            extra[i].append(t)
            last[i] = t
        week += 1
    out = [simulate_person(i, ep, formal_days, rules, extra[i])[:3] for i in range(n)]
    rel, route, rev = zip(*out)
    return np.array(rel), np.array(route), np.array(rev)
