"""Benchmark: `recall-toolkit sweep`, timed from outside the process.

Three modes, each command run ``--runs`` times into fresh output directories, interleaved
(so every command sees the same load), timed with ``os.wait4`` (wall clock; CPU = user + sys of
the command and the children it waited for); medians printed with the 1-minute load average
(other processes on the machine slow every wall-clock figure down).

* default: ``benchmarks/sweep_small.toml`` serially and on a 2-worker LocalCluster.
* ``--example``: the shipped example, ``sweep papers/recall_process_experience/
  sweep_example.toml --scheduler local --workers 2`` (issue 23: at most 60 s).
* ``--engine``: ``benchmarks/sweep_engine.toml`` serially beside ``simulate`` on the same
  admissions (2,000 per replication, as many replications as the sweep, the same strategies):
  CPU per episode (admission x strategy) of each and their ratio (issue 23: at most 1.5).

* ``--parts``: in this process, the CPU of one point of the shipped example, split by strategy
  (each strategy's outcomes for the admissions and their re-recalls, with its records), over
  ``--points`` points (issue 23: what each part of the example costs).

``--baseline DIR`` adds the same sweep command run from another checkout (e.g. ``git worktree
add /tmp/base main`` with its own ``toolkit/papers`` link), for a before/after ratio.
Run: ``python benchmarks/bench_sweep.py [--runs 3] [--example | --engine | --parts]
[--baseline DIR]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
EXAMPLE = "papers/recall_process_experience/sweep_example.toml"


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def timed(cmd: list[str], root: Path) -> dict:
    """Run ``cmd`` in ``root`` (its code on PYTHONPATH): wall clock, CPU (user + sys of the
    command and every process it waited for, e.g. a LocalCluster's workers) and the 1-minute
    load average at the start."""
    env = dict(os.environ, PYTHONPATH=str(root), MPLBACKEND="Agg")
    load, cpu = os.getloadavg()[0], _children_cpu()
    t = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, err = p.communicate()
    wall = time.perf_counter() - t
    if p.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{err.decode()[-2000:]}")
    return {"wall": wall, "cpu": _children_cpu() - cpu, "load": load}


def sweep_cmd(spec: str, out: Path, scheduler: str, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "toolkit.cli",
        "sweep",
        spec,
        "--out",
        str(out),
        "--scheduler",
        scheduler,
        "--workers",
        str(workers),
    ]


def parts(points: int) -> None:
    """CPU per point of the example, by strategy, measured in this process (census and flow
    weights from the sweep's cache, as on a worker; the first point warms the cache). A
    strategy's share is the CPU between the records of the strategy before it and its own
    (its outcomes, for the admissions and their re-recalls, and its records); the first
    strategy's includes drawing the replication's episodes."""
    import numpy as np

    from toolkit.review import RecordStream, parse_strategy
    from toolkit.review.episodes import params_from
    from toolkit.sweep import cache, load_sweep_spec, scenario

    spec = load_sweep_spec(ROOT / EXAMPLE)
    design = spec.design()
    names = [a.name for a in spec.assumptions]
    pops = tuple(spec.populations)
    named = {s: parse_strategy(s) for s in spec.strategies}

    def values(i):
        return {k: float(design.iloc[i][k]) for k in names}

    def stream(i):
        return np.random.SeedSequence(spec.seed, spawn_key=(i,))

    flow = dict(n=spec.admissions, replications=spec.replications, populations=pops)
    scenario.run_scenario(values(0), spec.strategies, rng=stream(0), **flow)
    cpu: dict[str, float] = dict.fromkeys(spec.strategies, 0.0)
    setup = 0.0
    for i in range(1, points + 1):
        t = time.process_time()
        rules = scenario.with_assumptions(scenario.load_rules(spec.rules), values(i))
        w = cache.stay_weights(pops, spec.cohort_seed, rules, params_from(rules, None))
        census, _ = cache.census(pops, spec.cohort_seed)
        records = RecordStream(census, named, rules, n=spec.admissions, weights=w,
                               n_replications=spec.replications, populations=list(pops),
                               rng=np.random.default_rng(stream(i)))  # fmt: skip
        setup += time.process_time() - t
        t = time.process_time()
        for _, name, _ in records:
            now = time.process_time()
            cpu[name] += now - t
            t = now
    start = time.process_time()
    for i in range(points + 1, 2 * points + 1):
        scenario.run_scenario(values(i), spec.strategies, rng=stream(i), **flow)
    whole = (time.process_time() - start) / points
    print(f"{EXAMPLE}, {points} points, CPU per point in this process:")
    print(f"  rules and flow weights for the point's values: {setup / points * 1000:.1f} ms")
    for name, c in cpu.items():
        print(f"  {name}: {c / points * 1000:.1f} ms")
    capacity = sum(c for n, c in cpu.items() if n.startswith("capacity")) / points
    print(f"  capacity strategies together: {capacity * 1000:.1f} ms")
    print(f"  run_scenario (what a worker runs), other points: {whole * 1000:.1f} ms")
    print(f"  x {len(design)} points: {whole * len(design):.1f} s of CPU")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--spec", default=str(ROOT / "benchmarks/sweep_small.toml"))
    ap.add_argument("--schedulers", default="serial,local")
    ap.add_argument("--example", action="store_true", help="time the shipped example sweep")
    ap.add_argument("--engine", action="store_true", help="sweep vs simulate, CPU per episode")
    ap.add_argument("--baseline", type=Path, help="another checkout to time the same sweep from")
    ap.add_argument("--parts", action="store_true", help="CPU of the example's parts, in-process")
    ap.add_argument("--points", type=int, default=24, help="points for --parts")
    a = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    if a.parts:
        parts(a.points)
        return
    from toolkit.sweep import load_sweep_spec

    spec_path = EXAMPLE if a.example else a.spec
    if a.engine:
        spec_path = "benchmarks/sweep_engine.toml"
    spec = load_sweep_spec(ROOT / spec_path)
    points = len(spec.design())
    scenarios = points * len(spec.strategies)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, python "
        f"{platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
        f"{spec_path}: {scenarios} scenarios of {spec.admissions:,} admissions x "
        f"{spec.replications} replications"
    )
    spec_path = str((ROOT / spec_path).resolve())  # the same file for --baseline
    tmp = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    commands: dict[str, tuple[list[str], Path]] = {}
    if a.engine or a.example:
        sched, workers = ("serial", 1) if a.engine else ("local", 2)
        commands["sweep"] = (sweep_cmd(spec_path, tmp / "o", sched, workers), ROOT)
        if a.baseline:
            commands["sweep (baseline)"] = (
                sweep_cmd(spec_path, tmp / "o", sched, workers),
                a.baseline.resolve(),
            )
        if a.engine:
            strategies = [x for s in spec.strategies for x in ("--strategy", s)]
            reps = points * spec.replications
            commands["simulate"] = (
                [sys.executable, "-m", "toolkit.cli", "simulate", "--n", str(spec.admissions),
                 "--replications", str(reps), *strategies, "--seed", "1",
                 "--out", str(tmp / "rec.parquet")],
                ROOT,
            )  # fmt: skip
    else:
        for sched in a.schedulers.split(","):
            w = 1 if sched == "serial" else 2
            commands[f"{sched} x{w}"] = (sweep_cmd(spec_path, tmp / "o", sched, w), ROOT)
    runs: dict[str, list[dict]] = {k: [] for k in commands}
    for _ in range(a.runs):
        for name, (cmd, root) in commands.items():
            shutil.rmtree(tmp / "o", ignore_errors=True)
            r = timed(cmd, root)
            runs[name].append(r)
            print(f"  {name}: wall {r['wall']:.1f} s, CPU {r['cpu']:.1f} s, load {r['load']:.1f}")
    shutil.rmtree(tmp, ignore_errors=True)
    episodes = points * spec.replications * spec.admissions * len(spec.strategies)
    med = {
        k: {f: statistics.median(x[f] for x in v) for f in ("wall", "cpu")} for k, v in runs.items()
    }
    first = next(iter(med))
    for name, m in med.items():
        loads = [round(x["load"], 1) for x in runs[name]]
        line = f"{name}: median wall {m['wall']:.1f} s, CPU {m['cpu']:.1f} s (load {loads})"
        if a.engine:
            line += f", CPU per episode {m['cpu'] / episodes * 1e6:.2f} us"
        elif name != first:
            line += f", wall ratio to {first} {m['wall'] / med[first]['wall']:.2f}"
        print(line)
    if a.engine:
        ratio = med["sweep"]["cpu"] / med["simulate"]["cpu"]
        print(f"sweep / simulate, CPU per episode: {ratio:.2f} (goal: at most 1.5)")
        if "sweep (baseline)" in med:
            base = med["sweep (baseline)"]["cpu"] / med["simulate"]["cpu"]
            print(f"baseline sweep / simulate, CPU per episode: {base:.2f}")


if __name__ == "__main__":
    main()
