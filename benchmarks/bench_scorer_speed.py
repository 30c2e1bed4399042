"""CPU time of the capacity simulation with the scorer ordering against FIFO, in-process.

`python benchmarks/bench_scorer_speed.py [--runs 3]`: iterates
`RecordStream(default_census(), capacity:per_week=50,priority=P, n=10000, n_replications=10)`
for P = fifo and scorer, interleaved, and prints each run's `time.process_time` and the ratio
of the medians. The whole command is timed from outside with `/usr/bin/time` (see README.md).
"""

from __future__ import annotations

import argparse
import statistics
import time


def run(priority: str) -> float:
    from toolkit.priority import simulation_score
    from toolkit.review.census import default_census
    from toolkit.review.engine import RecordStream
    from toolkit.review.strategies import parse_strategy

    census = default_census()
    s = parse_strategy(f"capacity:per_week=50,priority={priority}", score=simulation_score)
    t0 = time.process_time()
    for _ in RecordStream(census, {"x": s}, n=10_000, n_replications=10, rng=1):
        pass
    return time.process_time() - t0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--runs", type=int, default=3)
    a = p.parse_args(argv)
    times: dict[str, list[float]] = {"fifo": [], "scorer": []}
    run("scorer")  # warm-up: imports and the stored census
    for _ in range(a.runs):
        for name in times:
            times[name].append(run(name))
    med = {k: statistics.median(v) for k, v in times.items()}
    for k, v in times.items():
        print(f"{k}: {', '.join(f'{x:.2f}' for x in v)} s CPU (median {med[k]:.2f})")
    print(f"ratio scorer / fifo: {med['scorer'] / med['fifo']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
