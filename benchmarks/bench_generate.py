"""Benchmark: generate 1,000,000 standard-recall people with the full schema.

Reports, measured in the same run:

* ``generate_cohort`` wall time and peak RSS (in a fresh subprocess, so imports count once);
* the floor: plain numpy Gaussian-copula sampling of the same shape (1,000,000 x 35 columns with
  a fixed correlation matrix and inverse-CDF marginals), no exactness, no OGRS3;
* at 10,000 rows, the ``copulas`` library's GaussianMultivariate fit-and-sample, if installed
  (benchmark only: the toolkit does not depend on it; its licence is not open source).

Run: ``python benchmarks/bench_generate.py`` (the copulas fit takes about 7 minutes; add
``--skip-copulas`` to leave it out). Not a timed test.

``python benchmarks/bench_generate.py --cli [RUNS]`` instead times what a user runs, from outside
the process (issues 10, 23): ``recall-toolkit generate --population standard --n 1000000 --seed S
--out x.parquet`` against the floor defined in issue 23, the cheapest honest generator of the
same size: a numpy Gaussian copula of 1,000,000 x 30 columns (a 30 x 30 correlation, a third of
the columns cut into small integers with ``searchsorted``, the rest mapped through a 257-point
quantile table with ``np.interp``), put in a DataFrame and written to Parquet, also as a fresh
``python`` process. (The floor before issue 23, 48 columns through per-column inverse CDFs,
took longer than the toolkit and bounded nothing.) The two alternate, RUNS times each (default
5); the medians of wall time and of CPU time (user + system), their ratios, peak RSS
(``/usr/bin/time -v``) and the load average are printed.
``--cli RUNS --base DIR`` also times another version of the toolkit unpacked in DIR, in the
same loop (the before of a change). Also printed: the median of the run-by-run ratios (each
run against the floor run beside it, at the same moment's load).

``python benchmarks/bench_generate.py --stages [RUNS] [--base DIR]`` prints where ``generate``'s
CPU and wall time go (imports, profile and rules, generation, Parquet) in fresh processes, and
what the generator's second thread saves in wall time and costs in CPU time (issue 23 item 5);
with ``--base``, the same for another version, alternating.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import time

N = 1_000_000

CHILD = r"""
import json, resource, sys, time
import numpy as np
kind, n = sys.argv[1], int(sys.argv[2])
t_import = time.perf_counter()
if kind == "toolkit":
    from toolkit import load_profile
    from toolkit.cohort.generate import generate_cohort
    spec = load_profile()
    generate_cohort(spec, n=1000, populations=["standard"], rng=0)  # warm caches
    times = []
    for rep in range(3):
        df = None  # free the previous cohort so peak memory is one cohort's
        t = time.perf_counter()
        df = generate_cohort(spec, n=n, populations=["standard"], rng=rep)
        times.append(time.perf_counter() - t)
    best, first = min(times), times[0]
    shape = list(df.shape)
elif kind == "floor":
    from scipy.special import ndtr, ndtri
    best = 1e9
    k = 35
    corr = np.full((k, k), 0.2) + 0.8 * np.eye(k)
    chol = np.linalg.cholesky(corr)
    for rep in range(3):
        t = time.perf_counter()
        rng = np.random.default_rng(rep)
        z = rng.standard_normal((n, k)) @ chol.T
        u = ndtr(z)
        out = np.empty_like(u)
        out[:, :10] = 18 + 67 * u[:, :10]            # bounded continuous
        out[:, 10:20] = np.exp(ndtri(u[:, 10:20]))    # lognormal
        out[:, 20:] = np.floor(3 * u[:, 20:])         # ordinal 0-2
        best = min(best, time.perf_counter() - t)
    shape = [n, k]
elif kind == "copulas":
    import pandas as pd
    from copulas.multivariate import GaussianMultivariate
    from toolkit import load_profile
    from toolkit.cohort.generate import generate_cohort
    df = generate_cohort(load_profile(), n=n, populations=["standard"], rng=0)
    num = df[["age", "years_since_first_sanction", "previous_sanctions", "previous_breaches",
              "ogrs3_1yr", "ogrs3_2yr", "ogrs4v_2yr", "osp_2yr", "rsr_2yr"]].astype(float)
    t = time.perf_counter()
    model = GaussianMultivariate()
    model.fit(num)
    model.sample(n)
    best = time.perf_counter() - t
    shape = [n, num.shape[1]]
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"kind": kind, "n": n, "seconds": best, "peak_rss_mb": peak_mb,
                  "shape": shape, "first_seconds": locals().get("first", best)}))
"""


def run(kind: str, n: int) -> dict | None:
    r = subprocess.run([sys.executable, "-c", CHILD, kind, str(n)], capture_output=True, text=True)
    if r.returncode != 0:
        print(f"{kind}: failed or unavailable ({r.stderr.strip().splitlines()[-1:]})")
        return None
    return json.loads(r.stdout.strip().splitlines()[-1])


FLOOR_CLI = r"""
import sys
import numpy as np, pandas as pd
n, k, out = int(sys.argv[1]), 30, sys.argv[2]
rng = np.random.default_rng(0)
# a 30 x 30 correlation (random positive definite, unit diagonal)
g = rng.standard_normal((k, 2 * k))
cov = g @ g.T
d = np.sqrt(np.diag(cov))
corr = cov / d[:, None] / d[None, :]
z = rng.standard_normal((n, k)) @ np.linalg.cholesky(corr).T
cols = {}
grid = np.linspace(-4.0, 4.0, 257)            # a 257-point quantile table per column
for j in range(k):
    if j < k // 3:                            # a third cut into small integers
        cuts = np.sort(rng.standard_normal(4))
        cols[f"c{j}"] = np.searchsorted(cuts, z[:, j]).astype(np.int8)
    else:                                     # the rest through the quantile table
        table = np.sort(rng.gamma(2.0, 10.0, size=257))
        cols[f"c{j}"] = np.interp(z[:, j], grid, table)
pd.DataFrame(cols).to_parquet(out, index=False)
"""


def timed_cpu(cmd: list[str], env: dict | None = None, cwd: str | None = None) -> dict:
    """Run ``cmd`` under ``/usr/bin/time -v``; wall seconds, CPU seconds (user + system), peak MB.

    On a shared machine wall time includes waiting for a core; CPU time is what the command
    itself spent (both are reported: the issue's ratio is on wall time measured in the same
    session, CPU time shows how much of a ratio is load).
    """
    import re

    t = time.perf_counter()
    r = subprocess.run(
        ["/usr/bin/time", "-v", *cmd], capture_output=True, text=True, env=env, cwd=cwd
    )
    wall = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr[-2000:]}")

    def field(name: str) -> float:
        m = re.search(rf"{name}: ([0-9.]+)", r.stderr)
        return float(m.group(1)) if m else float("nan")

    cpu = field(r"User time \(seconds\)") + field(r"System time \(seconds\)")
    return {"wall": wall, "cpu": cpu, "peak": field(r"Maximum resident set size \(kbytes\)") / 1024}


def cli_main(runs: int, base: str | None = None) -> dict:
    """Median wall and CPU time and peak RSS of the user's command and of the floor.

    Each run is a fresh process; generate, the floor (and ``base``) alternate, so they see the
    same load. ``base``: a folder holding another version of the toolkit (``git archive COMMIT
    | tar -x`` plus the ``toolkit/papers -> ../papers`` link), timed as a third command in the
    same loop. Returns the medians by command and the ratios to the floor.
    """
    import os
    import statistics
    import tempfile

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from _outside import load

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, python "
        f"{platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M')} UTC"
    )
    res: dict[str, list[dict]] = {"generate": [], "floor": []}
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "x.parquet")
        cmds = {
            "generate": [sys.executable, "-m", "toolkit.cli", "generate", "--population"]
            + ["standard", "--n", str(N), "--seed", "{seed}", "--out", out],
            "floor": [sys.executable, "-c", FLOOR_CLI, str(N), out],
        }
        envs = {k: None for k in cmds}
        if base:
            cmds["base"] = cmds["generate"]
            envs["base"] = dict(os.environ, PYTHONPATH=os.path.abspath(base))
            res["base"] = []
        for rep in range(runs):
            for kind, cmd in cmds.items():
                before = load()
                cmd = [c.replace("{seed}", str(rep)) for c in cmd]
                r = timed_cpu(cmd, env=envs[kind], cwd=d)
                res[kind].append(r)
                print(
                    f"  {kind:9s} wall {r['wall']:6.2f} s  cpu {r['cpu']:6.2f} s "
                    f"{r['peak']:6.0f} MB  (load {before})"
                )
    med = {
        k: {m: statistics.median(r[m] for r in v) for m in ("wall", "cpu", "peak")}
        for k, v in res.items()
    }
    for k, v in med.items():
        print(
            f"{k:9s} median wall {v['wall']:.2f} s, cpu {v['cpu']:.2f} s, peak {v['peak']:.0f} MB"
        )
    ratios = {
        k: {m: med[k][m] / med["floor"][m] for m in ("wall", "cpu")} for k in med if k != "floor"
    }
    for k, r in ratios.items():
        print(f"ratio {k} / floor: wall {r['wall']:.2f}, cpu {r['cpu']:.2f}")
    # each run beside the floor run next to it (the same moment's load), then the median
    paired = {
        k: {
            m: statistics.median(a[m] / b[m] for a, b in zip(res[k], res["floor"]))
            for m in ("wall", "cpu")
        }
        for k in res
        if k != "floor"
    }
    for k, r in paired.items():
        print(f"median of run-by-run ratios {k} / floor: wall {r['wall']:.2f}, cpu {r['cpu']:.2f}")
    return {"runs": res, "medians": med, "ratios": ratios, "paired": paired}


STAGES_CHILD = r"""
import json, resource, sys, tempfile, time

def now():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime, time.perf_counter()

out, last = {}, now()

def mark(name):
    global last
    t = now()
    out[name] = {"cpu": t[0] - last[0], "wall": t[1] - last[1]}
    last = t

import numpy, pandas
mark("import numpy and pandas")
from toolkit.cohort import construct
from toolkit.cohort.generate import generate_cohort
try:
    from toolkit.profile.stored import load_generator_inputs
except ImportError:  # a version before the stored inputs (--base): what generate did then
    def load_generator_inputs():
        from toolkit.profile.audit import refuse_contradictions
        from toolkit.profile.rules import load_programme_rules
        from toolkit.profile.spec import load_profile
        spec, rules = load_profile(), load_programme_rules()
        refuse_contradictions(spec, rules)
        return spec, rules
mark("import the generator")
spec, rules = load_generator_inputs()
mark("profile and rules (imports included)")
n = int(sys.argv[1])
df = generate_cohort(spec, n=n, populations=["standard"], rng=1, programmes=rules)
mark("generate_cohort")
with tempfile.TemporaryDirectory() as d:
    df.to_parquet(f"{d}/x.parquet", index=False)
mark("Parquet")
threshold = getattr(construct, "PARALLEL_MIN_PEOPLE", None)  # None: a version without threads
for label, value in (("in line (warm)", 10**18), ("second thread (warm)", threshold)):
    construct.PARALLEL_MIN_PEOPLE = value
    df = None
    last = now()
    df = generate_cohort(spec, n=n, populations=["standard"], rng=1, programmes=rules)
    mark("generate_cohort, " + label)
print(json.dumps(out))
"""


def stages_main(runs: int, base: str | None = None) -> dict:
    """Where the command's CPU and wall time go, stage by stage, in fresh processes.

    Each run is a new ``python``: imports, the profile and rules
    (:func:`toolkit.profile.stored.load_generator_inputs`), ``generate_cohort`` at 1,000,000
    standard recalls and the Parquet write, as ``generate`` does them; then, in the same
    process, ``generate_cohort`` again with its steps in line and on the second thread
    (:data:`toolkit.cohort.construct.PARALLEL_MIN_PEOPLE`), so the threads' saving in wall time
    and cost in CPU time are measured at the same moment's load. Prints the medians. ``base``:
    another version of the toolkit (as for ``--cli``), run alternately with this one.
    """
    import os
    import statistics

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from _outside import load

    print(f"{time.strftime('%Y-%m-%d %H:%M')} UTC, load {load()}")
    envs = {"this version": None}
    if base:
        envs["base"] = dict(os.environ, PYTHONPATH=os.path.abspath(base))
    got: dict[str, list[dict]] = {k: [] for k in envs}
    for _ in range(runs):
        for kind, env in envs.items():
            r = subprocess.run(
                [sys.executable, "-c", STAGES_CHILD, str(N)],
                capture_output=True,
                text=True,
                env=env,
                cwd=os.path.dirname(os.path.abspath(__file__)),
            )
            if r.returncode != 0:
                sys.exit(r.stderr[-2000:])
            got[kind].append(json.loads(r.stdout.strip().splitlines()[-1]))
    med = {
        kind: {
            k: {m: statistics.median(g[k][m] for g in done) for m in ("cpu", "wall")}
            for k in done[0]
        }
        for kind, done in got.items()
    }
    for kind, stages in med.items():
        print(f"{kind}:")
        for k, v in stages.items():
            print(f"  {k:40s} cpu {v['cpu']:6.3f} s  wall {v['wall']:6.3f} s")
    print(f"load {load()}")
    return med


def main() -> None:
    if "--help" in sys.argv or "-h" in sys.argv:
        print(__doc__)
        return
    if "--stages" in sys.argv:
        rest = sys.argv[sys.argv.index("--stages") + 1 :]
        base = rest[rest.index("--base") + 1] if "--base" in rest else None
        stages_main(int(rest[0]) if rest and rest[0].isdigit() else 3, base)
        return
    if "--cli" in sys.argv:
        rest = sys.argv[sys.argv.index("--cli") + 1 :]
        base = rest[rest.index("--base") + 1] if "--base" in rest else None
        runs = [a for a in rest if a.isdigit()]
        cli_main(int(runs[0]) if runs else 5, base)
        return
    print(
        f"machine: {platform.machine()} {platform.processor() or ''}, "
        f"python {platform.python_version()}, {time.strftime('%Y-%m-%d')}"
    )
    kinds = [("toolkit", N), ("floor", N)]
    if "--skip-copulas" not in sys.argv:
        kinds.append(("copulas", 10_000))
    for kind, n in kinds:
        res = run(kind, n)
        if res:
            print(
                f"{kind:8s} n={n:>9,}  best {res['seconds']:.2f} s, first "
                f"{res['first_seconds']:.2f} s  peak RSS {res['peak_rss_mb']:.0f} MB  "
                f"shape {res['shape']}"
            )


if __name__ == "__main__":
    main()
