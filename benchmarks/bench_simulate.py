"""Benchmark: ``recall-toolkit simulate`` end to end against a SimPy process model of the same
rules (benchmarks/simpy_model.py), both timed from outside the process.

Engine: 200,000 admissions x 5 strategies (sed, formal, proactive 28 and 14, event) x 2
replications = 2,000,000 episodes, records written to Parquet. SimPy: the same strategies on
20,000 admissions (100,000 episodes, so that its fixed start-up cost, about 1.5 s of imports,
cohort and episodes, is spread thin: conservative for the ratio), checked against the engine.
Median of ``--runs`` runs each, in the same session; wall clock and CPU time (user + sys,
robust when other jobs share the machine) and peak memory (max RSS) per child, via ``os.wait4``.
Run: ``python benchmarks/bench_simulate.py [--runs 3] [--baseline DIR]``; ``--baseline`` times
the same command from another checkout (e.g. ``git archive`` of an older commit, with its
``toolkit/papers`` link) interleaved with the others. Needs ``pip install simpy``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
STRATEGIES = ["sed", "formal", "proactive:every=28", "proactive:every=14", "event"]


def timed(cmd: list[str], root: Path = ROOT) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MB) of one child process."""
    env = dict(os.environ, PYTHONPATH=str(root))
    t = time.perf_counter()
    # cwd too: `python -m` puts the working directory first on sys.path
    proc = subprocess.Popen(
        cmd, env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr.read().decode()}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--n", type=int, default=200_000, help="admissions per replication")
    ap.add_argument("--simpy-n", type=int, default=20_000)
    ap.add_argument("--baseline", type=Path, default=None, help="another checkout to time too")
    args = ap.parse_args()
    n_engine = args.n * 2 * len(STRATEGIES)
    n_simpy = args.simpy_n * len(STRATEGIES)
    with tempfile.TemporaryDirectory() as tmp:
        engine = [
            sys.executable,
            "-m",
            "toolkit.cli",
            "simulate",
            "--n",
            str(args.n),
            "--replications",
            "2",
            "--seed",
            "1",
            "--out",
            f"{tmp}/rec.parquet",
        ]
        for s in STRATEGIES:
            engine += ["--strategy", s]
        simpy = [
            sys.executable,
            str(ROOT / "benchmarks" / "simpy_model.py"),
            "--n",
            str(args.simpy_n),
        ]
        eng, sim, base = [], [], []
        for _ in range(args.runs):  # interleaved, so all see the same machine load
            eng.append(timed(engine))
            sim.append(timed(simpy))
            if args.baseline:
                base.append(timed(engine, args.baseline.resolve()))
    med = [statistics.median(x) for x in zip(*eng)]
    smed = [statistics.median(x) for x in zip(*sim)]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, python "
        f"{platform.python_version()}, {time.strftime('%Y-%m-%d')}, runs {args.runs}"
    )
    print(
        f"engine: {n_engine:,} episodes: median wall {med[0]:.2f} s, CPU {med[1]:.2f} s, "
        f"peak RSS {med[2]:.0f} MB"
    )
    print(f"simpy:  {n_simpy:,} episodes: median wall {smed[0]:.2f} s, CPU {smed[1]:.2f} s")
    if base:
        bmed = [statistics.median(x) for x in zip(*base)]
        print(
            f"baseline engine ({args.baseline}): median wall {bmed[0]:.2f} s, CPU "
            f"{bmed[1]:.2f} s, peak RSS {bmed[2]:.0f} MB; per episode (CPU) "
            f"{1e6 * bmed[1] / n_engine:.2f} us, ratio to simpy "
            f"{(smed[1] / n_simpy) / (bmed[1] / n_engine):.0f}x"
        )
    for label, a, b in (("wall", med[0], smed[0]), ("CPU", med[1], smed[1])):
        print(
            f"per episode ({label}): engine {1e6 * a / n_engine:.2f} us, simpy "
            f"{1e6 * b / n_simpy:.1f} us, ratio {(b / n_simpy) / (a / n_engine):.0f}x"
        )


if __name__ == "__main__":
    main()
