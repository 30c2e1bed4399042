"""A sweep on a real Dask cluster: a scheduler and two workers as separate processes (issue 23).

The in-process tests (``test_sweep.py``) use a LocalCluster; here ``dask scheduler`` and two
``dask worker ADDRESS`` processes are started on loopback exactly as a policy team would start
them on their machines, and ``recall-toolkit sweep --scheduler tcp://...`` runs against them. The
checkpointed results must equal a serial run's byte for byte, also when one worker is killed
mid-run (the scheduler gives its partition to the other worker).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from toolkit.sweep import read_results

#: Slow tier (a local dask cluster of processes): run by python -m pytest -m "slow or not slow".
pytestmark = pytest.mark.slow

pytest.importorskip("dask.distributed")

ROOT = Path(__file__).parents[1]

# 8 points (Saltelli, N = 2, D = 2) x 3 strategies, one point a partition: small enough for a
# run in a few seconds, with enough partitions that a worker can be killed while others remain.
SPEC = """
[sweep]
seed = 23
replications = 2
admissions = 800
partition_size = 1

[strategies]
names = ["sed", "formal"]
grid.proactive = { every = [28] }

[design]
method = "sobol"
base_samples = 2

[assumptions]
"executive.notice_probability" = { dist = "uniform", low = 0.6, high = 0.95 }
"calibrated.q_never" = { dist = "uniform", low = 0.25, high = 0.4 }
"""


def _env() -> dict[str, str]:
    # Workers import the toolkit under test (this checkout), not an installed copy.
    return {
        "PYTHONPATH": str(ROOT),
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "MPLBACKEND": "Agg",
        "HOME": os.environ.get("HOME", "/tmp"),
    }


def _dask_cli() -> list[str]:
    exe = Path(sys.executable).parent / "dask"
    if exe.exists():
        return [str(exe)]
    if shutil.which("dask"):
        return ["dask"]
    pytest.skip("the `dask` command is not installed")


class Cluster:
    """``dask scheduler`` and ``dask worker ADDRESS`` processes on 127.0.0.1."""

    def __init__(self, tmp: Path, n_workers: int = 2) -> None:
        self.tmp = tmp
        self.procs: list[subprocess.Popen] = []
        self.workers: list[subprocess.Popen] = []
        self.address = ""
        self.n_workers = n_workers

    def _start(self, args: list[str], log: str) -> subprocess.Popen:
        fh = open(self.tmp / log, "wb")  # noqa: SIM115 - closed with the process
        p = subprocess.Popen(
            [*_dask_cli(), *args], env=_env(), stdout=fh, stderr=subprocess.STDOUT, cwd=self.tmp
        )
        fh.close()
        self.procs.append(p)
        return p

    def __enter__(self) -> Cluster:
        info = self.tmp / "scheduler.json"
        self._start(
            [
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(info),
            ],
            "scheduler.log",
        )
        deadline = time.monotonic() + 60
        while not info.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert info.exists(), (self.tmp / "scheduler.log").read_text()
        time.sleep(0.1)  # the file is written in one go, but give the writer a moment
        self.address = json.loads(info.read_text())["address"]
        assert self.address.startswith("tcp://127.0.0.1:")
        for i in range(self.n_workers):
            # --no-nanny: the worker is this process itself, so killing it kills the worker
            # (a nanny would restart it and the test would show nothing)
            self.workers.append(
                self._start(
                    [
                        "worker",
                        self.address,
                        "--nthreads",
                        "1",
                        "--no-nanny",
                        "--no-dashboard",
                        "--host",
                        "127.0.0.1",
                        "--name",
                        f"w{i}",
                    ],
                    f"worker{i}.log",
                )
            )
        self._wait_for_workers()
        return self

    def _wait_for_workers(self) -> None:
        from dask.distributed import Client

        with Client(self.address, timeout="30s") as c:
            c.wait_for_workers(self.n_workers, timeout=60)

    def __exit__(self, *exc) -> None:
        for p in reversed(self.procs):  # only the processes this test started
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def _sweep(spec: Path, out: Path, scheduler: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "toolkit.cli",
        "sweep",
        str(spec),
        "--out",
        str(out),
        "--scheduler",
        scheduler,
    ]


def _parts(out: Path) -> dict[str, bytes]:
    return {f.name: f.read_bytes() for f in sorted((out / "results").glob("part-*.parquet"))}


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    """The reference: the same sweep run serially in this process (the same checkpoint files
    as the command writes)."""
    from toolkit.sweep import load_sweep_spec, run_sweep

    tmp = tmp_path_factory.mktemp("serial")
    spec = tmp / "spec.toml"
    spec.write_text(SPEC)
    run = run_sweep(load_sweep_spec(spec), tmp / "out", scheduler="serial")
    assert (run.results["status"] == "ok").all() and len(run.results) == 24
    return spec, tmp / "out"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """One scheduler and two workers for the module (the last test kills a worker)."""
    with Cluster(tmp_path_factory.mktemp("cluster")) as c:
        yield c


def test_cluster_of_processes_equals_serial_byte_for_byte(tmp_path, serial, cluster):
    spec, serial_out = serial
    run = subprocess.run(
        _sweep(spec, tmp_path / "out", cluster.address),
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert "24 of 24 scenarios ok" in run.stdout and "on 2 worker(s)" in run.stdout
    got, want = _parts(tmp_path / "out"), _parts(serial_out)
    assert len(want) == 8  # one file a partition, same names
    assert got == want  # every checkpoint file, byte for byte
    pd.testing.assert_frame_equal(read_results(tmp_path / "out"), read_results(serial_out))


def test_worker_killed_mid_run_loses_nothing(tmp_path, serial, cluster):
    """Runs last in this module: it kills one of the module's two workers."""
    from dask.distributed import Client

    spec, serial_out = serial
    out = tmp_path / "out"
    with Client(cluster.address, timeout="30s") as watcher:
        proc = subprocess.Popen(
            _sweep(spec, out, cluster.address),
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        names = {f"w{i}": p for i, p in enumerate(cluster.workers)}
        deadline = time.monotonic() + 120
        killed = None
        while time.monotonic() < deadline and proc.poll() is None:
            # finished partitions are checkpointed in OUT/checkpoint/ while the sweep runs
            # (OUT/results/ appears only when it has finished)
            done = len(list((out / "checkpoint").glob("part-*.parquet")))
            if done >= 1:
                # the scheduler's view: a worker with a partition in hand right now
                info = watcher.scheduler_info()["workers"]
                busy = [a for a, tasks in watcher.processing().items() if tasks]
                if busy:
                    name = info[busy[0]]["name"]
                    in_hand = len(watcher.processing()[busy[0]])
                    names[name].send_signal(signal.SIGKILL)
                    names[name].wait()
                    killed = (name, done, in_hand)
                    break
            time.sleep(0.02)
        stdout, stderr = proc.communicate(timeout=300)
    if killed is None:
        pytest.skip("the sweep finished before a busy worker could be killed")
    name, done_before, in_hand = killed
    assert names[name].returncode == -signal.SIGKILL
    assert done_before < 8 and in_hand >= 1  # killed holding unfinished partitions
    assert proc.returncode == 0, stderr
    assert "24 of 24 scenarios ok" in stdout and "partition(s) lost" not in stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["partitions_lost"] == []
    # the partitions it held were recomputed by the other worker: every file, same bytes
    assert _parts(out) == _parts(serial_out)
    pd.testing.assert_frame_equal(read_results(out), read_results(serial_out))
