"""Time `recall-toolkit prioritise` on a 100,000-row caseload from outside the process.

Usage: python benchmarks/bench_prioritise.py [--n 100000] [--runs 5]

Makes the caseload with `recall-toolkit template caseload --n N`, then times, each as a
fresh process (median of --runs): a baseline (python importing pandas and reading the same
CSV), validation alone, and `prioritise` end to end (validate, score, rank, reasons, write the
CSV), without and with the HTML report. Wall time and CPU time (user + sys of the child) are
both reported: on a shared machine the wall time includes waiting for a core.
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


def timed(cmd, cwd) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(
        cmd, cwd=cwd, check=True, capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(
            [py, "-m", "toolkit.cli", "template", "caseload", "--n", str(a.n)],
            cwd=d,
            check=True,
            capture_output=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        src = "caseload_example.csv"
        cases = {
            "baseline: python -c 'import pandas; pandas.read_csv(CASELOAD)'": [
                py,
                "-c",
                f"import pandas; pandas.read_csv({src!r})",
            ],
            "validation alone (validate_caseload)": [
                py,
                "-c",
                "from toolkit.priority.caseload import validate_caseload as v; "
                f"v({src!r}, as_of='2026-01-05')",
            ],
            "recall-toolkit prioritise CASELOAD --out RANKED.csv": [
                py,
                "-m",
                "toolkit.cli",
                "prioritise",
                src,
                "--out",
                "r.csv",
                "--as-of",
                "2026-01-05",
            ],
            "... --report REPORT.html": [
                py,
                "-m",
                "toolkit.cli",
                "prioritise",
                src,
                "--out",
                "r.csv",
                "--report",
                "r.html",
                "--as-of",
                "2026-01-05",
            ],
        }
        print(f"| what ({a.n:,} rows) | median wall s | median CPU s | wall / baseline |")
        print("| --- | --- | --- | --- |")
        base = None
        for label, cmd in cases.items():
            runs = [timed(cmd, d) for _ in range(a.runs)]
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            base = wall if base is None else base
            print(f"| {label} | {wall:.2f} | {cpu:.2f} | {wall / base:.1f}x |", flush=True)


if __name__ == "__main__":
    main()
