"""A plain discrete-event reference for the review engine: one person at a time, a heap of
events. Deliberately simple and slow; the vectorised engine must agree with it exactly."""

from __future__ import annotations

import heapq

import numpy as np

from toolkit.review.engine import hash_uniform


def simulate_person(i, ep, review_days, rules):
    """Release day, route code and reviews for episode ``i`` (same codes as the engine)."""
    limit = min(ep.sed[i], rules.horizon_days)
    if not ep.reviewable[i]:
        auto = min(ep.auto_day[i], limit)
        return auto, (0 if ep.auto_day[i] < ep.sed[i] else 3), 0
    events = [(float(limit), 1, "end")]
    for d in review_days[i]:
        if np.isfinite(d) and d < limit:
            events.append((float(d), 0, "review"))
    heapq.heapify(events)
    delay = rules.delay_executive if ep.exec_ok[i] else rules.delay_parole_board
    reviews = 0
    while events:
        day, _, kind = heapq.heappop(events)
        if kind == "end":
            return limit, (3 if ep.sed[i] <= rules.horizon_days else 4), reviews
        reviews += 1
        noticed = (
            day >= ep.manageable[i]
            and not ep.declines[i]
            and hash_uniform(np.array([ep.key[i]]), np.array([day]))[0] < rules.notice_probability
        )
        if noticed:
            if day + delay < limit:
                return day + delay, (1 if ep.exec_ok[i] else 2), reviews
            return limit, (3 if ep.sed[i] <= rules.horizon_days else 4), reviews
    raise AssertionError("unreachable")


def simulate(ep, review_days, rules):
    out = [simulate_person(i, ep, review_days, rules) for i in range(ep.n)]
    rel, route, rev = zip(*out)
    return np.array(rel), np.array(route), np.array(rev)
