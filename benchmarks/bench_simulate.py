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

``--user-cohort`` times the command as a user runs it on their own cohort (issue 19): a
200,000-person cohort file (``generate --n 200000``, written once before the timing, as Parquet
and as CSV), 2 strategies (formal, proactive every 28 days) x 5 replications of 200,000
admissions, against the stored-census path of the same command and SimPy on the same 2
strategies: the model of the same rules (re-recall returns included) and, for comparison with
figures measured before the returns existed, the first stay only (``--first-stay-only``).
With ``--baseline`` it also prints, per command, the median of the paired differences (this
tree minus the baseline, run back to back): on a shared machine the medians of each move by more
than a change of 0.1 s, the paired difference much less.

``--stages`` runs the command's steps one by one in one process and prints the CPU of each,
median of ``--runs`` runs (with ``--baseline``, the other checkout's beside it).
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


USER_STRATEGIES = ["formal", "proactive:every=28"]


def user_cohort(args) -> None:
    """The ``--user-cohort`` benchmark (see the module docstring)."""
    reps = 5
    n_engine = args.n * reps * len(USER_STRATEGIES)
    n_simpy = args.simpy_n * len(USER_STRATEGIES)
    with tempfile.TemporaryDirectory() as tmp:
        gen = [sys.executable, "-m", "toolkit.cli", "generate", "--n", str(args.n), "--seed", "5"]
        subprocess.run(
            [*gen, "--out", f"{tmp}/c.parquet"],
            check=True,
            cwd=ROOT,
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
            stdout=subprocess.DEVNULL,
        )
        subprocess.run(
            [*gen, "--out", f"{tmp}/c.csv"],
            check=True,
            cwd=ROOT,
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
            stdout=subprocess.DEVNULL,
        )
        base = [sys.executable, "-m", "toolkit.cli", "simulate", "--n", str(args.n)]
        base += ["--replications", str(reps), "--seed", "1", "--out", f"{tmp}/rec.parquet"]
        for s in USER_STRATEGIES:
            base += ["--strategy", s]
        cmds = {
            "stored census": base,
            "--cohort c.parquet": [*base, "--cohort", f"{tmp}/c.parquet"],
            "--cohort c.csv": [*base, "--cohort", f"{tmp}/c.csv"],
        }
        simpy = [sys.executable, str(ROOT / "benchmarks" / "simpy_model.py")]
        simpy += ["--n", str(args.simpy_n)]
        for s in USER_STRATEGIES:
            simpy += ["--strategy", s]
        # the SimPy model of the same rules (re-recall returns included, as simulate has them
        # since issue 19) and, for comparison with earlier figures, without the returns
        simpy_first = [*simpy, "--first-stay-only"]
        times: dict[str, list] = {k: [] for k in [*cmds, "simpy", "simpy first stay"]}
        if args.baseline:
            for k in list(cmds):
                times[f"baseline {k}"] = []
        for run in range(args.runs):  # interleaved, so all see the same machine load
            for k, cmd in cmds.items():
                pair = [(k, ROOT)]
                if args.baseline:
                    pair.append((f"baseline {k}", args.baseline.resolve()))
                # which of the pair runs first alternates (the first of two runs back to back
                # was measured slower or faster by up to 0.07 s with both from the same tree)
                for label, root in pair[:: 1 if run % 2 == 0 else -1]:
                    times[label].append(timed(cmd, root))
            times["simpy"].append(timed(simpy))
            times["simpy first stay"].append(timed(simpy_first))
    med = {k: [statistics.median(x) for x in zip(*v)] for k, v in times.items()}
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, python "
        f"{platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M %Z')}, runs {args.runs}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    s_wall, s_cpu, _ = med.pop("simpy")
    f_wall, f_cpu, _ = med.pop("simpy first stay")
    for label, wall, cpu in (("simpy", s_wall, s_cpu), ("simpy first stay only", f_wall, f_cpu)):
        print(
            f"{label} {n_simpy:,} episodes: median wall {wall:.2f} s, CPU {cpu:.2f} s "
            f"({1e6 * cpu / n_simpy:.1f} us CPU an episode)"
        )
    for k, (wall, cpu, rss) in med.items():
        print(
            f"{k}: {n_engine:,} episodes: median wall {wall:.2f} s, CPU {cpu:.2f} s, peak RSS "
            f"{rss:.0f} MB; per episode (CPU) {1e6 * cpu / n_engine:.2f} us; ratio to simpy: "
            f"CPU {(s_cpu / n_simpy) / (cpu / n_engine):.0f}x, wall "
            f"{(s_wall / n_simpy) / (wall / n_engine):.0f}x; to simpy first stay only: CPU "
            f"{(f_cpu / n_simpy) / (cpu / n_engine):.0f}x"
        )
    if args.baseline:
        # run by run, this tree minus the baseline (each pair ran back to back, so a change in
        # the machine's load between runs cancels): the median of the differences
        for k in cmds:
            d_wall, d_cpu = (
                statistics.median(a[i] - b[i] for a, b in zip(times[k], times[f"baseline {k}"]))
                for i in (0, 1)
            )
            print(
                f"{k}: this tree - baseline, median of paired runs: wall {d_wall:+.3f} s, "
                f"CPU {d_cpu:+.3f} s"
            )


#: The ``--stages`` child: the simulate command's steps one by one, CPU seconds each
#: (``time.process_time``), as ``toolkit.review.commands.simulate_to_files`` runs them.
STAGES = """
import sys, time
T = [time.process_time()]
def t(label):
    T.append(time.process_time()); print(f"{label}: {T[-1] - T[-2]:.3f}")
print(f"interpreter start: {T[0]:.3f}")
import numpy; t("import numpy")
import pyarrow, pyarrow.parquet; t("import pyarrow")
from toolkit.review.commands import parse_strategies
from toolkit.review import load_release_rules
rules = load_release_rules(); named = parse_strategies(["formal", "proactive:every=28"])
t("toolkit imports, rules, strategies")
from toolkit.review.census import choose_census
cohort = sys.argv[1] if sys.argv[1] != "-" else None
census, national = choose_census(cohort); t("census (stored, or read and checked)")
print(f"pandas imported: {'pandas' in sys.modules}")
from toolkit.review.engine import RecordStream
from toolkit.review.output import write_records
stream = RecordStream(census, named, rules, n=200_000, n_replications=5, rng=1)
t("flow weights")
write_records(stream, sys.argv[2], "parquet"); t("simulate and write records")
from toolkit.outputs import file_sha256
file_sha256(sys.argv[2]); t("sha256 of the records (the output layer)")
stream.national(national_census=national, cohort=census); t("national figures")
"""


def stages(args) -> None:
    """The ``--stages`` breakdown (CPU per step, median of ``--runs`` runs) for the stored
    census, a Parquet and a CSV cohort; with ``--baseline``, the other checkout's beside it."""
    trees = {"this tree": ROOT} | ({"baseline": args.baseline.resolve()} if args.baseline else {})
    with tempfile.TemporaryDirectory() as tmp:
        gen = [sys.executable, "-m", "toolkit.cli", "generate", "--n", str(args.n), "--seed", "5"]
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        for suffix in ("parquet", "csv"):
            subprocess.run(
                [*gen, "--out", f"{tmp}/c.{suffix}"],
                check=True,
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        for cohort in ("-", f"{tmp}/c.parquet", f"{tmp}/c.csv"):
            print(f"-- cohort: {cohort if cohort != '-' else 'stored census'}")
            cmd = [sys.executable, "-c", STAGES, cohort, f"{tmp}/rec.parquet"]
            runs: dict[str, list[dict[str, str]]] = {name: [] for name in trees}
            for run in range(args.runs):  # interleaved, each tree first in turn
                for name, root in list(trees.items())[:: 1 if run % 2 == 0 else -1]:
                    out = subprocess.run(
                        cmd,
                        check=True,
                        cwd=root,
                        env=dict(os.environ, PYTHONPATH=str(root)),
                        capture_output=True,
                        text=True,
                    ).stdout
                    runs[name].append(dict(line.rsplit(": ", 1) for line in out.splitlines()))
            print("step: " + ", ".join(trees) + f" (median of {args.runs} runs)")
            for step in runs["this tree"][0]:
                cells = []
                for name in trees:
                    values = [r[step] for r in runs[name]]
                    try:
                        cells.append(f"{statistics.median(float(v) for v in values):.3f}")
                    except ValueError:  # not a number (pandas imported: True/False)
                        cells.append("/".join(sorted(set(values))))
                print(f"{step}: {', '.join(cells)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--n", type=int, default=200_000, help="admissions per replication")
    ap.add_argument("--simpy-n", type=int, default=20_000)
    ap.add_argument("--baseline", type=Path, default=None, help="another checkout to time too")
    ap.add_argument("--user-cohort", action="store_true", help="the user-cohort benchmark")
    ap.add_argument("--stages", action="store_true", help="CPU of each step of the command")
    args = ap.parse_args()
    if args.stages:
        stages(args)
        return
    if args.user_cohort:
        user_cohort(args)
        return
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
