"""The review rules as a SimPy process model (one process per person), the baseline for the
speed target of issues 10 and 19: ``simulate`` must be at least 100x faster per episode.

Same rules and draws as the engine (toolkit/review/mechanism.py, toolkit/review/engine.py): the
Board's determinations, the strategy's executive reviews, release on the first of executive
release, Board direction, automatic release or SED; then, on licence, a re-recall (exponential
wait at the person's re-recall hazard) within the follow-up window returns the person to custody
for a second stay under the same rules, with the sentence left as its SED and the engine's second
draw for that person (issue 19: re-recalls that cost). The script builds the same episodes as
one replication of ``simulate`` (standard recalls, default cohort), runs every strategy, checks
that each release day and each return stay equal the engine's records, and prints the episode
count. Run: ``python benchmarks/simpy_model.py --n 4000``; ``--first-stay-only`` runs the
model without returns (the baseline before issue 19 added them).
"""

from __future__ import annotations

import argparse
import math

import numpy as np
import simpy

from toolkit.cohort.generate import generate_cohort
from toolkit.review import load_release_rules, parse_strategy
from toolkit.review.census import prepare_census
from toolkit.review.engine import RecordStream
from toolkit.review.episodes import Draws, build_episodes, episodes_from, params_from
from toolkit.review.mechanism import BOARD_SALT, hash_uniform
from toolkit.schema import RECALL_TYPES


def _u(key, day, salt=None):
    k = np.array([key ^ salt if salt is not None else key], dtype=np.uint64)
    return float(hash_uniform(k, np.array([day]))[0])


def stay(env, t0, i, ep, days, rules, every, sed):
    """One stay in custody from day ``t0`` (recall) with ``sed`` days to SED; returns the
    release day counted from ``t0``."""
    limit = min(sed, rules.horizon_days)
    if not ep.reviewable[i]:
        release = min(float(ep.auto_day[i]), limit)
        yield env.timeout(max(t0 + release - env.now, 0.0))
        return release
    events = []
    d = float(ep.first_board_day[i])
    while d < limit:
        events.append((d, 0))
        d += every[int(ep.recall_type[i])]
    events += [(float(x), 1) for x in days[i] if math.isfinite(x) and x < limit]
    events.sort()
    releasable = float(ep.releasable_day[i])
    key = int(ep.key[i])
    pending = math.inf
    release = limit
    for day, kind in events:
        if pending <= day:
            break
        yield env.timeout(max(t0 + day - env.now, 0.0))  # float clock: never a negative step
        if kind == 0:
            if day >= releasable and _u(key, day, BOARD_SALT) < rules.board_direction_probability:
                release = day
                break
        elif (
            math.isinf(pending)
            and ep.exec_ok[i]
            and day >= float(ep.exec_open_day[i])  # releasable, OM contact, no pending charge
            and _u(key, day) < rules.notice_probability
        ):
            pending = day + float(ep.exec_delay[i])
    release = min(release, pending, limit)
    yield env.timeout(max(t0 + release - env.now, 0.0))
    return release


def person(env, i, ep, days, ep2, days2, rules, every, out, back):
    """One recalled person: the stay, then (``back`` not None) a re-recall within the window
    and the return stay; writes the release day into ``out[i]`` and the custody days of the
    return within the window into ``back[i]``."""
    sed = float(ep.sed[i])
    release = yield from stay(env, 0.0, i, ep, days, rules, every, sed)
    out[i] = release
    if back is None:
        return
    w = rules.follow_up_days
    lic_end = min(sed, rules.horizon_days, w)
    h = float(ep.h_rerecall[i])
    wait = -math.log1p(-float(ep.u_rerecall[i])) / h if h > 0 else math.inf
    recalled = release + wait
    if not recalled < lic_end:
        return
    yield env.timeout(max(recalled - env.now, 0.0))
    left = max(sed - recalled, 1.0) if math.isfinite(sed) else math.inf
    again = yield from stay(env, recalled, i, ep2, days2, rules, every, left)
    back[i] = min(again, w - recalled)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--strategy",
        action="append",
        default=None,
        help="strategies to run (repeatable; default: sed, formal, proactive 28 and 14, event)",
    )
    ap.add_argument(
        "--first-stay-only",
        action="store_true",
        help="no re-recall returns (the model before issue 19)",
    )
    args = ap.parse_args()
    names = args.strategy or ["sed", "formal", "proactive:every=28", "proactive:every=14", "event"]
    rules = load_release_rules()
    census = prepare_census(generate_cohort(populations=["standard"], rng=20140331))
    # the episodes of one replication of `simulate --seed SEED`: its spawned stream draws the
    # admissions, then the second draw that gives a re-recall's stay
    g = np.random.default_rng(args.seed).spawn(1)[0]
    ep = build_episodes(census, rules, args.n, rng=g)
    ep2 = episodes_from(census, ep.cohort_row, rules, params_from(rules, None), Draws.draw(g, ep.n))
    every = {c: rules.types[t].board_review_every or math.inf for c, t in enumerate(RECALL_TYPES)}
    total = 0
    for name in names:
        strat = parse_strategy(name)
        days, days2 = strat.review_days(ep, rules), strat.review_days(ep2, rules)
        env = simpy.Environment()
        out = np.full(ep.n, np.nan)
        back = None if args.first_stay_only else np.zeros(ep.n)
        for i in range(ep.n):
            env.process(person(env, i, ep, days, ep2, days2, rules, every, out, back))
        env.run()
        _check(name, strat, census, rules, args, out, back)
        total += ep.n
    print(f"simpy: {total} episodes, agreeing with the engine")


def _check(name, strat, census, rules, args, out, back) -> None:
    """The engine's records of the same replication: the same release days and return stays."""
    stream = RecordStream(census, {name: strat}, rules, n=args.n, n_replications=1, rng=args.seed)
    (_, _, rec), *_ = list(stream)
    if not np.allclose(out, rec["release_day"], rtol=0, atol=1e-9):
        raise SystemExit(f"{name}: SimPy model and engine disagree on release days")
    # the records hold float32 days (about 1e-4 at 1,000 days)
    if back is not None and not np.allclose(back, rec["return_custody_days"], rtol=1e-6, atol=1e-4):
        raise SystemExit(f"{name}: SimPy model and engine disagree on re-recall stays")


if __name__ == "__main__":
    main()
