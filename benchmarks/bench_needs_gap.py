"""Benchmark: needs gap with subgroups on 1,000,000 people; 1,000 bootstrap replicates on 3,699.

Run: ``python benchmarks/bench_needs_gap.py``. Not a timed test.

``python benchmarks/bench_needs_gap.py --cli [RUNS]`` times what a user runs, from outside the
process (issue 23): ``recall-toolkit gaps COHORT.parquet --json OUT`` on cohorts of 1,000,000
and 2,000,000 rows made by ``generate --population standard --n N`` (every row a standard
recall: the Table 2 base is nearly all of it) and by ``generate --n N`` (every recall type),
alternating sizes, RUNS times each (default 3); prints the median wall time, the median peak
RSS (``/usr/bin/time -v``), the 2M / 1M ratio and the load average beside each run.
"""

from __future__ import annotations

import platform
import subprocess
import sys
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


def cli_main(runs: int) -> None:
    import os
    import statistics
    import tempfile

    sys.path.insert(0, os.path.dirname(__file__))
    from _outside import load, timed

    py = [sys.executable, "-m", "toolkit.cli"]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, python "
        f"{platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M')} UTC"
    )
    with tempfile.TemporaryDirectory() as d:
        for label, pop in (("standard recalls", ["--population", "standard"]), ("all types", [])):
            files = {}
            for n in (1_000_000, 2_000_000):
                files[n] = os.path.join(d, f"c{n}.parquet")
                subprocess.run(
                    [*py, "generate", *pop, "--n", str(n), "--seed", "1", "--out", files[n]],
                    check=True,
                    capture_output=True,
                )
            res: dict[int, list] = {n: [] for n in files}
            for _rep in range(runs):
                for n, f in files.items():
                    before = load()
                    wall, peak = timed([*py, "gaps", f, "--json", os.path.join(d, "g.json")])
                    res[n].append((wall, peak))
                    print(f"  {label} {n:>9,}: {wall:6.2f} s {peak:7.0f} MB  (load {before})")
            med = {n: statistics.median(w for w, _ in v) for n, v in res.items()}
            mem = {n: statistics.median(p for _, p in v) for n, v in res.items()}
            for n in files:
                print(f"{label} {n:>9,}: median {med[n]:.2f} s, peak {mem[n]:.0f} MB")
            print(
                f"{label}: time 2M / 1M {med[2_000_000] / med[1_000_000]:.2f}, "
                f"memory 2M / 1M {mem[2_000_000] / mem[1_000_000]:.2f}"
            )


def main() -> None:
    if "--cli" in sys.argv:
        rest = sys.argv[sys.argv.index("--cli") + 1 :]
        cli_main(int(rest[0]) if rest else 3)
        return
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
