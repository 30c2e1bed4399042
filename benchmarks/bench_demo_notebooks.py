"""Benchmark: wall time of ``recall-toolkit demo`` and of each notebook against their limits.

The limits are the issues' (issue 14: the demo well under a minute, 60 s on a 2-core machine;
the notebooks: each within two minutes in a fresh kernel). They were wall-clock asserts in
``tests/test_demo.py`` and ``tests/test_notebooks.py``; a test that fails because the machine
is busy says nothing about the code (issue 24, item 6), so they are measured here instead and the
tests check only what the demo and the notebooks produce.

Run: ``python benchmarks/bench_demo_notebooks.py`` (from the checkout; about 3-5 minutes). Prints
one line per item (seconds, limit, within or OVER) and the load average, and exits 1 if an item
is over its limit. Not a timed test.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO_LIMIT_S = 60
NOTEBOOK_LIMIT_S = 120


def time_demo() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "toolkit.cli", "demo", "--out", str(Path(tmp) / "demo-out")],
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
        return time.perf_counter() - t0


def time_notebook(path: Path) -> float:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    t0 = time.perf_counter()
    client.execute()
    return time.perf_counter() - t0


def main() -> int:
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    rows = [("recall-toolkit demo", time_demo(), DEMO_LIMIT_S)]
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        rows.append((f"notebooks/{path.name}", time_notebook(path), NOTEBOOK_LIMIT_S))
    over = 0
    for name, seconds, limit in rows:
        ok = seconds < limit
        over += not ok
        print(f"{name:48s} {seconds:6.1f} s  (limit {limit} s)  {'within' if ok else 'OVER'}")
    print("load average:", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
