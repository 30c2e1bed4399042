"""Running a sweep: partitions of assumption points, serially or on Dask, with checkpoints.

A *point* is one draw of the assumptions; a *scenario* is one point x one strategy (one row of
the results). Each point's random stream is ``SeedSequence(seed, spawn_key=(point,))``: the
same stream whatever worker, partition or scheduler runs it, so results are identical serially,
with processes and on any Dask cluster.

Partitions of ``partition_size`` consecutive points are the unit of work and of checkpointing:
each finished partition is written to ``OUT/results/part-<first>-<last>.parquet`` (temp file
then rename), by the client, as it arrives. A rerun with the same spec skips every point already
in a checkpoint, so an interrupted sweep resumes and loses nothing. A scenario that raises is
recorded with ``status = "failed"``, its parameters and the error; the others go on.
"""

from __future__ import annotations

import json
import os
import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.exceptions import UsageError
from toolkit.sweep import scenario
from toolkit.sweep.spec import SweepSpec

SCHEDULERS = ("serial", "processes", "local")
_PART = re.compile(r"^part-(\d+)-(\d+)\.parquet$")


@dataclass(frozen=True)
class SweepRun:
    """What :func:`run_sweep` did."""

    out: Path
    results: pd.DataFrame
    n_points: int
    computed_partitions: int
    skipped_points: int
    lost: tuple[str, ...]
    seconds: float
    workers: int

    @property
    def failures(self) -> pd.DataFrame:
        return self.results[self.results["status"] != "ok"]


def run_partition(spec: SweepSpec, points: pd.DataFrame) -> pd.DataFrame:
    """Simulate every scenario of a block of points (runs on a worker).

    A point that raises gives one ``failed`` row per strategy, with the error; it never stops
    the partition.
    """
    names = [a.name for a in spec.assumptions]
    rows = []
    n_s = len(spec.strategies)
    for rec in points.to_dict("records"):
        point = int(rec["point"])
        values = {k: float(rec[k]) for k in names}
        seed = np.random.SeedSequence(spec.seed, spawn_key=(point,))
        try:
            outs = scenario.run_scenario(
                values,
                spec.strategies,
                n=spec.admissions,
                replications=spec.replications,
                populations=spec.populations,
                seed=seed,
                rules_path=spec.rules,
                cohort_seed=spec.cohort_seed,
            )
            status, error = "ok", ""
        except Exception as exc:  # noqa: BLE001 - one bad scenario must not stop the sweep
            outs = [dict.fromkeys(scenario.OUTCOMES, np.nan) for _ in spec.strategies]
            status = "failed"
            error = f"{type(exc).__name__}: {exc}"
            tb = traceback.format_exc(limit=3)
            error += "" if len(tb) > 2000 else f"\n{tb}"
        for i, (s, o) in enumerate(zip(spec.strategies, outs)):
            rows.append(
                {
                    "scenario": point * n_s + i,
                    "point": point,
                    "strategy": s,
                    **values,
                    **o,
                    "status": status,
                    "error": error,
                }
            )
    df = pd.DataFrame(rows)
    df["scenario"] = df["scenario"].astype("int64")
    df["point"] = df["point"].astype("int64")
    return df


def _partitions(points: pd.DataFrame, size: int) -> list[pd.DataFrame]:
    return [points.iloc[i : i + size] for i in range(0, len(points), size)]


def _done_points(results_dir: Path) -> set[int]:
    done: set[int] = set()
    for f in results_dir.glob("part-*.parquet"):
        if _PART.match(f.name):
            done.update(pd.read_parquet(f, columns=["point"])["point"].tolist())
    return done


def _write_part(results_dir: Path, df: pd.DataFrame) -> None:
    """Checkpoint one partition atomically: temp file (ignored by Parquet readers because it
    starts with a dot) then rename."""
    a, b = int(df["point"].min()), int(df["point"].max())
    final = results_dir / f"part-{a:07d}-{b:07d}.parquet"
    tmp = results_dir / f".{final.name}.{os.getpid()}.tmp"
    df.to_parquet(tmp, index=False)
    os.replace(tmp, final)


def _prepare_out(out: Path, spec: SweepSpec) -> Path:
    """Create OUT and its manifest, or check that an existing OUT holds this same sweep."""
    out.mkdir(parents=True, exist_ok=True)
    results = out / "results"
    results.mkdir(exist_ok=True)
    manifest = out / "manifest.json"
    fp = spec.fingerprint()
    if manifest.exists():
        old = json.loads(manifest.read_text(encoding="utf-8"))
        if old.get("fingerprint") != fp:
            raise UsageError(
                f"{out}: holds results of a different sweep (spec {old.get('spec')}); "
                "choose another --out or remove it"
            )
    else:
        text = json.dumps({"spec": spec.path, "fingerprint": fp}, indent=2) + "\n"
        tmp = out / ".manifest.json.tmp"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, manifest)
    return results


def run_sweep(
    spec: SweepSpec,
    out: str | Path,
    *,
    scheduler="serial",
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SweepRun:
    """Run (or resume) a sweep and return all its results.

    Parameters
    ----------
    spec : SweepSpec
    out : path
        Output directory; ``results/`` holds the partitioned Parquet.
    scheduler : {"serial", "processes", "local"}, str address, or dask.distributed.Client
        ``serial`` runs in this process (no Dask needed); ``processes`` uses Dask's local
        multiprocessing scheduler; ``local`` starts a ``dask.distributed.LocalCluster``; any
        other string is the address of a running Dask scheduler (``tcp://host:8786``); a
        ``Client`` is used as it is.
    workers : int, optional
        Worker processes for ``processes``/``local`` (default: CPU count).
    progress : callable, optional
        Called with (points done, points total) as partitions finish.
    """
    import time

    out = Path(out)
    results_dir = _prepare_out(out, spec)
    points = spec.design()
    done = _done_points(results_dir)
    todo = points[~points["point"].isin(done)]
    parts = _partitions(todo, spec.partition_size)
    total = len(points)
    n_done = len(done)
    if progress:
        progress(n_done, total)

    def finished(df: pd.DataFrame) -> None:
        nonlocal n_done
        _write_part(results_dir, df)
        n_done += df["point"].nunique()
        if progress:
            progress(n_done, total)

    start = time.perf_counter()
    n_workers = 1
    lost: list[str] = []
    if parts:
        if isinstance(scheduler, str) and scheduler == "serial":
            for p in parts:
                finished(run_partition(spec, p))
        elif isinstance(scheduler, str) and scheduler == "processes":
            n_workers = workers or os.cpu_count() or 1
            _run_processes(spec, parts, n_workers, finished)
        else:
            n_workers = _run_distributed(spec, parts, scheduler, workers, finished, lost)
    seconds = time.perf_counter() - start
    results = read_results(out)
    return SweepRun(out, results, total, len(parts), len(done), tuple(lost), seconds, n_workers)


def _need_dask(what: str):
    try:
        import dask  # noqa: F401
    except ImportError:
        raise UsageError(
            f"--scheduler {what} needs Dask: pip install 'recall-toolkit[scale]', or use "
            "--scheduler serial"
        ) from None


def _run_processes(spec, parts, n_workers, finished) -> None:
    """Dask's local multiprocessing scheduler, in waves of ``n_workers`` partitions so every
    wave is checkpointed before the next starts."""
    _need_dask("processes")
    from concurrent.futures import ProcessPoolExecutor

    import dask
    from dask.multiprocessing import get_context

    # one pool for every wave: a worker process keeps what scenarios share (its census and
    # flow weights, toolkit.sweep.cache) from one wave to the next
    with ProcessPoolExecutor(n_workers, mp_context=get_context()) as pool:
        for i in range(0, len(parts), n_workers):
            wave = [dask.delayed(run_partition)(spec, p) for p in parts[i : i + n_workers]]
            for df in dask.compute(*wave, scheduler="processes", pool=pool):
                finished(df)


def _run_distributed(spec, parts, scheduler, workers, finished, lost) -> int:
    """``dask.distributed``: a LocalCluster, a scheduler address or a given Client."""
    label = scheduler if isinstance(scheduler, str) else "client"
    _need_dask(label)
    from dask.distributed import Client, LocalCluster, as_completed

    own_cluster = own_client = None
    if isinstance(scheduler, str):
        if scheduler == "local":
            own_cluster = LocalCluster(
                n_workers=workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
            )
            own_client = Client(own_cluster)
        else:
            try:
                own_client = Client(scheduler, timeout="10s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise UsageError(
                    f"--scheduler {scheduler}: cannot reach a Dask scheduler there ({exc})"
                ) from None
        client = own_client
    else:
        client = scheduler
    try:
        n_workers = len(client.scheduler_info().get("workers", {})) or 1
        futures = client.map(run_partition, [spec] * len(parts), parts, pure=False)
        first = {f.key: int(p["point"].iloc[0]) for f, p in zip(futures, parts)}
        for fut in as_completed(futures):
            # a partition whose worker died is not checkpointed: it is reported, and a rerun
            # of the same command retries it
            if fut.status == "finished":
                finished(fut.result())
            else:
                lost.append(f"partition from point {first[fut.key]}: {fut.exception()!r}")
        return n_workers
    finally:
        if own_client is not None:
            own_client.close()
        if own_cluster is not None:
            own_cluster.close()


def read_results(out: str | Path) -> pd.DataFrame:
    """All finished scenarios of a sweep, sorted by scenario."""
    d = Path(out) / "results"
    files = sorted(f for f in d.glob("part-*.parquet") if _PART.match(f.name))
    if not files:
        return pd.DataFrame()
    df = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    return df.sort_values("scenario", kind="stable").reset_index(drop=True)
