"""Benchmark: needs gap with subgroups on 1,000,000 people; 1,000 bootstrap replicates on 3,699.

Run: ``python benchmarks/bench_needs_gap.py``. Not a timed test.
"""

from __future__ import annotations

import platform
import time

from toolkit.cohort.generate import generate_cohort
from toolkit.needs.gap import estimate_needs_gap


def best_of(fn, k=3):
    times = []
    for _ in range(k):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times), times[0]


def main() -> None:
    print(
        f"machine: {platform.machine()}, python {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d')}"
    )
    big = generate_cohort(n=1_000_000, populations=["standard"], rng=1)
    best, first = best_of(
        lambda: estimate_needs_gap(
            big,
            by=["sex", "ethnicity", "age_band", "sed_band", "rosh"],
            n_boot=0,
            rng=1,
        )
    )
    print(f"needs gap, 1,000,000 people, 5 subgroup columns: best {best:.2f} s, first {first:.2f}")
    small = generate_cohort(populations=["standard"], rng=1)
    best, first = best_of(lambda: estimate_needs_gap(small, n_boot=1000, rng=1))
    print(
        f"needs gap + 1,000 bootstrap replicates, N = 3,699: best {best:.2f} s, first {first:.2f}"
    )


if __name__ == "__main__":
    main()
