"""Benchmark: `recall-toolkit sweep`, timed from outside the process.

Runs ``benchmarks/sweep_small.toml`` (40 scenarios of 10,000 admissions x 20 replications)
serially (the baseline, same session) and on a 2-worker LocalCluster, ``--runs`` times each,
into fresh output directories, and prints the median wall time, the throughput per worker and
the 1-minute load average (other processes on the machine slow every figure down).
Run: ``python benchmarks/bench_sweep.py [--runs 3] [--spec benchmarks/sweep_1000.toml]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--spec", default=str(ROOT / "benchmarks/sweep_small.toml"))
    ap.add_argument("--schedulers", default="serial,local")
    a = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from toolkit.sweep import load_sweep_spec

    spec = load_sweep_spec(a.spec)
    scenarios = len(spec.design()) * len(spec.strategies)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, python "
        f"{platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M')}; {scenarios} scenarios "
        f"of {spec.admissions:,} admissions x {spec.replications} replications"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    base = None
    for sched in a.schedulers.split(","):
        workers = 1 if sched == "serial" else 2
        times, loads = [], []
        for _ in range(a.runs):
            out = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
            cmd = [
                sys.executable,
                "-m",
                "toolkit.cli",
                "sweep",
                a.spec,
                "--out",
                str(out / "o"),
                "--scheduler",
                sched,
                "--workers",
                str(workers),
            ]
            loads.append(os.getloadavg()[0])
            t = time.perf_counter()
            subprocess.run(cmd, check=True, env=env, capture_output=True)
            times.append(time.perf_counter() - t)
            shutil.rmtree(out)
        med = statistics.median(times)
        base = base or med
        print(
            f"{sched:>8} x{workers}: median {med:.1f} s of {[round(t, 1) for t in times]}, "
            f"{scenarios / med / workers:.3f} scenarios/s per worker, ratio to serial "
            f"{base / med:.2f}, load average at start {[round(x, 1) for x in loads]}"
        )


if __name__ == "__main__":
    main()
