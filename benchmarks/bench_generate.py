"""Benchmark: generate 1,000,000 standard-recall people with the full schema.

Reports, measured in the same run:

* ``generate_cohort`` wall time and peak RSS (in a fresh subprocess, so imports count once);
* the floor: plain numpy Gaussian-copula sampling of the same shape (1,000,000 x 35 columns with
  a fixed correlation matrix and inverse-CDF marginals), no exactness, no OGRS3;
* at 10,000 rows, the ``copulas`` library's GaussianMultivariate fit-and-sample, if installed
  (benchmark only: the toolkit does not depend on it; its licence is not open source).

Run: ``python benchmarks/bench_generate.py`` (the copulas fit takes about 7 minutes; add
``--skip-copulas`` to leave it out). Not a timed test.
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


def main() -> None:
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
