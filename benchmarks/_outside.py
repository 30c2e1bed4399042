"""Time a command from outside its process: wall time and peak RSS from ``/usr/bin/time -v``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time


def load() -> str:
    """The load averages (the machine is shared: timings are read beside them)."""
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:  # pragma: no cover - not Linux
        return "?"


def timed(cmd: list[str], env: dict | None = None, cwd: str | None = None) -> tuple[float, float]:
    """Run ``cmd`` (checked); return (wall seconds, peak RSS in MB).

    ``python -m`` puts the working folder first on ``sys.path``: give ``cwd`` outside any
    checkout when timing a version of the toolkit chosen by ``PYTHONPATH``.
    """
    gnu_time = "/usr/bin/time"
    full = [gnu_time, "-v", *cmd] if os.path.exists(gnu_time) else cmd
    t = time.perf_counter()
    r = subprocess.run(full, capture_output=True, text=True, env=env, cwd=cwd)
    wall = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr[-2000:]}")
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr)
    return wall, (int(m.group(1)) / 1024 if m else float("nan"))
