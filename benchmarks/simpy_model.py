"""The review rules as a SimPy process model (one process per person), the baseline for the
speed target of issue 10: ``simulate`` must be at least 100x faster per episode.

Same rules and draws as the engine (toolkit/review/mechanism.py): the Board's determinations,
the strategy's executive reviews, release on the first of executive release, Board direction,
automatic release or SED. The script builds the same episodes as ``simulate`` (standard
recalls, default cohort), runs every strategy, checks that each release day equals the engine's,
and prints the episode count. Run: ``python benchmarks/simpy_model.py --n 4000``.
"""

from __future__ import annotations

import argparse
import math

import numpy as np
import simpy

from toolkit.cohort.generate import generate_cohort
from toolkit.review import build_episodes, load_release_rules, parse_strategy
from toolkit.review.mechanism import BOARD_SALT, hash_uniform
from toolkit.schema import RECALL_TYPES


def _u(key, day, salt=None):
    k = np.array([key ^ salt if salt is not None else key], dtype=np.uint64)
    return float(hash_uniform(k, np.array([day]))[0])


def person(env, i, ep, days, rules, every, out):
    """One recalled person as a SimPy process; writes the release day into ``out[i]``."""
    sed = float(ep.sed[i])
    limit = min(sed, rules.horizon_days)
    if not ep.reviewable[i]:
        yield env.timeout(min(float(ep.auto_day[i]), limit))
        out[i] = min(float(ep.auto_day[i]), limit)
        return
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
        yield env.timeout(max(day - env.now, 0.0))  # float clock: never a negative step
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
    yield env.timeout(max(release - env.now, 0.0))
    out[i] = release


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
    args = ap.parse_args()
    names = args.strategy or ["sed", "formal", "proactive:every=28", "proactive:every=14", "event"]
    rules = load_release_rules()
    cohort = generate_cohort(populations=["standard"], rng=20140331)
    ep = build_episodes(cohort, rules, args.n, rng=args.seed)
    every = {c: rules.types[t].board_review_every or math.inf for c, t in enumerate(RECALL_TYPES)}
    total = 0
    for name in names:
        strat = parse_strategy(name)
        days = strat.review_days(ep, rules)
        env = simpy.Environment()
        out = np.full(ep.n, np.nan)
        for i in range(ep.n):
            env.process(person(env, i, ep, days, rules, every, out))
        env.run()
        fast = strat.outcomes(ep, rules)["release_day"]
        if not np.allclose(out, fast, rtol=0, atol=1e-9):
            raise SystemExit(f"{name}: SimPy model and engine disagree")
        total += ep.n
    print(f"simpy: {total} episodes, agreeing with the engine")


if __name__ == "__main__":
    main()
