"""Benchmark: review simulation, vectorised engine vs the discrete-event reference.

1,000,000 person x strategy x replication episodes (200,000 admissions x 5 strategies x 1
replication, records included), then the same strategies on the first 5,000 admissions with
both the engine and the reference (tests/reference_des.py) to compare per-episode cost.
Run: ``python benchmarks/bench_simulate.py``. Not a timed test.
"""

from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

from reference_des import simulate as des_simulate  # noqa: E402

from toolkit.cohort.generate import generate_cohort  # noqa: E402
from toolkit.review import (  # noqa: E402
    build_episodes,
    load_release_rules,
    parse_strategy,
    simulate_reviews,  # noqa: E402
)
from toolkit.review.engine import release_outcomes  # noqa: E402

NAMES = ["sed", "formal", "proactive:every=28", "proactive:every=14", "event"]


def main() -> None:
    print(
        f"machine: {platform.machine()}, python {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d')}"
    )
    cohort = generate_cohort(populations=["standard"], rng=1)
    rules = load_release_rules()
    strategies = {n: parse_strategy(n) for n in NAMES}
    simulate_reviews(cohort, strategies, rules, n=1000, n_replications=1, rng=0)  # warm-up
    times = []
    for rep in range(3):
        t = time.perf_counter()
        res = simulate_reviews(cohort, strategies, rules, n=200_000, n_replications=1, rng=rep)
        times.append(time.perf_counter() - t)
    print(
        f"engine: {len(res.records):,} episodes (with records) best {min(times):.2f} s, "
        f"first {times[0]:.2f} s"
    )
    ep = build_episodes(cohort, rules, 5_000, rng=1)
    days = {n: s.review_days(ep, rules) for n, s in strategies.items()}
    t = time.perf_counter()
    for n in NAMES:
        release_outcomes(ep, days[n], rules)
    fast = time.perf_counter() - t
    t = time.perf_counter()
    for n in NAMES:
        des_simulate(ep, days[n], rules)
    slow = time.perf_counter() - t
    print(
        f"same 25,000 episodes: engine {fast:.4f} s, discrete-event reference {slow:.2f} s, "
        f"ratio {slow / fast:.0f}x"
    )


if __name__ == "__main__":
    main()
