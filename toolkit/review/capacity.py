"""The weekly caseload of a capacity-limited strategy, in integer weeks.

:class:`~toolkit.review.strategies.CapacityLimited` reviews at most ``per_week`` people a week
(week ``w`` is day ``7 w`` of the year; a person admitted on ``admit_day`` is on day
``t = 7 w - admit_day`` of their recall), in the order of an
:class:`~toolkit.review.ordering.Ordering`, among the people who are

* in custody with no decision pending: ``t < stop`` (``stop``: the formal notice, the Board's
  release or the end of the sentence; a review that notices the person moves it to that day);
* admitted: ``t >= 0``;
* not reviewed in the last ``min_gap`` days: ``t - last >= min_gap``.

A review on day ``t`` notices a person when ``t >= open`` (the executive route is open) and the
person's draw for that day is below the notice probability.

Every condition is monotone in the week (``7.0 * w - a`` never decreases as ``w`` grows), so
each becomes an integer week computed once per person (:func:`first_week`): the week a person
becomes due, the week they leave, the week their route opens. The loop over weeks then compares
integers, makes a draw only for reviewed people whose route is open, and jumps over weeks where
nobody is due. Once at most ``per_week`` people are left in custody, nobody competes any more:
everyone due is reviewed, so the rest is each person's own periodic timetable
(:func:`free_run`), computed for everyone at once. The float expressions are the ones the plain
week-by-week loop evaluates, so the result is the same to the bit (``tests/
test_review_capacity.py`` checks it against a discrete-event reference and the plain loop).
"""

from __future__ import annotations

import numpy as np

from toolkit.review.mechanism import hash_uniform_finite
from toolkit.review.ordering import Ordering

#: A week that never comes (an integer far beyond any horizon).
NEVER = np.int64(2**40)


def first_week(a: np.ndarray, day: np.ndarray) -> np.ndarray:
    """The first week ``w >= 0`` with ``7.0 * w - a >= day`` (float arithmetic as written;
    :data:`NEVER` where ``day`` is infinite or NaN)."""
    a = np.asarray(a, dtype=float)
    day = np.broadcast_to(np.asarray(day, dtype=float), a.shape)
    fin = np.isfinite(day)
    d = np.where(fin, day, 0.0)
    w = np.maximum(np.ceil((d + a) / 7.0), 0.0)
    # the division rounds: step down while the week before also qualifies, up while this one
    # does not (each at most once or twice)
    while True:
        down = (w > 0) & (7.0 * (w - 1) - a >= d)
        up = 7.0 * w - a < d
        if not (down.any() or up.any()):
            break
        w = w - down + up
    return np.where(fin, w.astype(np.int64), NEVER)


class Caseload:
    """The people a capacity strategy may review, one slot each, and their integer weeks.

    Slots hold the reviewable episodes in the order the weekly choice needs: by the ordering's
    fixed priority where it has one (:meth:`~toolkit.review.ordering.Ordering.static_priority`;
    then the first ``per_week`` people due are the ones chosen), else by episode index (the
    order :meth:`~toolkit.review.ordering.Ordering.select` expects).
    """

    def __init__(self, ep, idx, stop, open_, min_gap: int, p: float):
        self.idx = idx
        self.a = ep.admit_day[idx]
        self.key = ep.key[idx]
        self.due = first_week(self.a, 0.0)  # admitted: t >= 0
        self.leave = first_week(self.a, stop[idx])  # t >= stop: left, or a decision pending
        self.opens = first_week(self.a, open_[idx])  # t >= open: a review can notice
        self.count = np.zeros(idx.size, dtype=np.int64)
        self.notice = np.full(idx.size, np.inf)
        self.lucky, self.at = _draws(self.a, self.key, self.opens, self.leave, p)
        self.gap = int(min_gap)
        # the smallest whole number of weeks >= min_gap days; when it is exactly min_gap days,
        # the float difference of the two days may fall just short (then one week more)
        self.step = -(-self.gap // 7)
        self.exact = 7 * self.step == self.gap

    def keep(self, rows: np.ndarray, extra_count, extra_notice) -> None:
        """Write every slot's reviews and notice day out, then keep only ``rows``."""
        extra_count[self.idx] = self.count
        extra_notice[self.idx] = self.notice
        for name in ("idx", "a", "key", "due", "leave", "opens", "count", "notice", "at"):
            setattr(self, name, getattr(self, name)[rows])

    def hits(self, pos: np.ndarray, week) -> np.ndarray:
        """Whether a review of slots ``pos`` in ``week`` (a scalar or one per slot, each
        before the slot leaves) notices them: the route is open and the draw is below p."""
        j = week - self.opens[pos]
        opened = j >= 0
        hit = np.zeros(pos.shape, dtype=bool)
        hit[opened] = self.lucky[self.at[pos[opened]] + j[opened]]
        return hit

    def review(self, pos: np.ndarray, week: int) -> None:
        """Review slots ``pos`` in ``week``: count it, set when each is next due, draw."""
        self.count[pos] += 1
        nxt = week + self.step
        if self.exact:
            tc = 7.0 * week - self.a[pos]
            self.due[pos] = nxt + ((7.0 * nxt - self.a[pos]) - tc < self.gap)
        else:
            self.due[pos] = nxt
        hit = self.hits(pos, week)
        if hit.any():
            ph = pos[hit]
            self.notice[ph] = 7.0 * week - self.a[ph]
            self.leave[ph] = week + 1


def _draws(a, key, opens, leave, p) -> tuple[np.ndarray, np.ndarray]:
    """Whether a review would notice each slot in each week from its route opening to its
    leaving (one flat array, all draws in one call), and where each slot's weeks start in it."""
    span = np.maximum(leave - opens, 0)
    at = np.cumsum(span) - span
    slot = np.repeat(np.arange(a.size), span)
    week = opens[slot] + (np.arange(slot.size) - at[slot])
    return hash_uniform_finite(key[slot], 7.0 * week - a[slot]) < p, at


def weekly_reviews(
    ep,
    order: Ordering,
    *,
    per_week: int,
    min_gap: int,
    stop: np.ndarray,
    open_: np.ndarray,
    p: float,
    census=None,
) -> tuple[np.ndarray, np.ndarray]:
    """Extra reviews held and the day one noticed each person (inf: none), per episode.

    Parameters as :class:`~toolkit.review.strategies.CapacityLimited`; ``order`` is the
    prepared ordering, ``stop`` the day each person's reviews stop (formal notice, the Board's
    release or the end of the sentence), ``open_`` the day a review can first notice them,
    ``p`` the notice probability.
    """
    extra_notice = np.full(ep.n, np.inf)
    extra = np.zeros(ep.n, dtype=np.int64)
    idx = np.flatnonzero(ep.reviewable)
    if not idx.size or per_week <= 0:
        return extra_notice, extra
    # the default choice (the k best by priority, everyone when k or fewer are due) is what
    # lets slot order stand in for a sort, and what makes the uncontested tail a free run
    default = type(order).select is Ordering.select
    static = order.static_priority(ep) if default else None
    if static is not None:
        idx = idx[np.argsort(static[idx], kind="stable")]  # ties to the earlier episode
    cl = Caseload(ep, idx, stop, open_, min_gap, p)
    week = int(cl.due.min())
    while True:
        alive = cl.leave > week
        n_alive = int(np.count_nonzero(alive))
        if n_alive == 0:
            break
        if default and n_alive <= per_week:
            free_run(cl, week)
            break
        if 2 * n_alive < cl.idx.size:  # drop the people who left (it keeps the arrays short)
            cl.keep(np.flatnonzero(alive), extra, extra_notice)
            alive = cl.leave > week
        pos = np.flatnonzero(alive & (cl.due <= week))
        if not pos.size:  # nobody due: nothing changes until the next person is
            week = max(week + 1, int(cl.due[alive].min()))
            continue
        if static is not None:
            pos = pos[:per_week]  # slots are in priority order
        elif pos.size > per_week or not default:
            chosen = order.select(ep, cl.idx[pos], 7.0 * week - cl.a[pos], per_week, census)
            pos = pos[np.searchsorted(cl.idx[pos], chosen)]
        cl.review(pos, week)
        week += 1
    cl.keep(np.zeros(0, dtype=np.int64), extra, extra_notice)
    return extra_notice, extra


def free_run(cl: Caseload, week: int) -> None:
    """From ``week`` on, review everyone left whenever due (no capacity binds): each person's
    timetable is then their own, laid out as a grid of weeks ``start + step * j`` for everyone
    at once. Where a gap of ``step`` weeks falls a float hair short of ``min_gap`` days, the
    grid is wrong from that column on; those people go round again from their last true
    review."""
    rows = np.flatnonzero(cl.leave > week)
    start = np.maximum(cl.due[rows], week)
    while rows.size:
        leave = cl.leave[rows]
        n_col = int(np.max(-(-(leave - start) // cl.step), initial=0)) + 1
        weeks = start[:, None] + cl.step * np.arange(n_col)
        a = cl.a[rows][:, None]
        t = 7.0 * weeks - a
        inside = weeks < leave[:, None]
        hit = np.zeros(t.shape, dtype=bool)
        cell = np.nonzero(inside)
        hit[cell] = cl.hits(rows[cell[0]], weeks[cell])
        j_out = np.argmin(inside, axis=1)  # the last column is always outside
        j_hit = np.where(hit.any(axis=1), np.argmax(hit, axis=1), n_col)
        if cl.exact and n_col > 1:
            short = (t[:, 1:] - t[:, :-1]) < cl.gap  # the step into column j + 1 falls short
            j_bad = np.where(short.any(axis=1), np.argmax(short, axis=1) + 1, n_col)
        else:
            j_bad = np.full(rows.size, n_col)
        end = np.minimum(j_out, j_hit + 1)  # reviews in columns before `end`
        done = end <= j_bad
        r = np.arange(rows.size)
        got = done & (j_hit < j_out)
        cl.count[rows[done]] += end[done]
        cl.notice[rows[got]] = t[r[got], j_hit[got]]
        # the rest: reviews up to column j_bad - 1 were true; the next one is a week later
        redo = ~done
        cl.count[rows[redo]] += j_bad[redo]
        start = weeks[r[redo], j_bad[redo]] + 1
        rows = rows[redo]
