"""Time `recall-toolkit fairness RECORDS.parquet` on 1.35 million simulation records.

Usage: python benchmarks/bench_fairness.py [--n 27000] [--replications 10] [--runs 3]

Simulates the shipped default cohort's standard recalls under five strategies (release at SED,
formal reviews, proactive 28-day reviews, FIFO and nearest-SED at 50 extra reviews a week) with
--replications replications of --n admissions each (27,000 x 5 x 10 = 1.35 million records),
writes the records to Parquet, then times the command as a fresh process (median of --runs),
with the child's peak resident memory. Targets: at most 10 s and 1 GB.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=27_000)
    ap.add_argument("--replications", type=int, default=10)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from toolkit.cohort.io import read_cohort
    from toolkit.review import parse_strategy, simulate_reviews

    cohort = read_cohort(ROOT / "synthetic" / "default_cohort.csv.gz")
    cohort = cohort[cohort["population"] == "standard"]
    names = (
        "sed",
        "formal",
        "proactive:every=28",
        "capacity:per_week=50,priority=fifo",
        "capacity:per_week=50,priority=nearest_sed",
    )
    strategies = {n: parse_strategy(n) for n in names}
    rec = simulate_reviews(
        cohort, strategies, n=a.n, n_replications=a.replications, rng=20261206
    ).records
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "records.parquet"
        rec.to_parquet(path)
        print(f"{len(rec):,} records, {path.stat().st_size / 1e6:.0f} MB Parquet")
        walls = []
        for _ in range(a.runs):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "toolkit.cli",
                    "fairness",
                    str(path),
                    "--out",
                    str(Path(d) / "fair.csv"),
                ],
                check=True,
                capture_output=True,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            walls.append(time.perf_counter() - t)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            print(f"  wall {walls[-1]:.2f} s, cpu {cpu:.2f} s")
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(
            f"fairness on {len(rec):,} records: median wall {statistics.median(walls):.2f} s; "
            f"peak child memory {peak:.0f} MB (largest child of this script)"
        )


if __name__ == "__main__":
    main()
