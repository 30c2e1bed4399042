"""Running a sweep: partitions of assumption points, serially or on Dask, with checkpoints.

A *point* is one draw of the assumptions; a *scenario* is one point x one strategy (one row of
the results). Each point's random stream is ``SeedSequence(seed, spawn_key=(point,))``: the
same stream whatever worker, partition or scheduler runs it, so results are identical serially,
with processes and on any Dask cluster.

Partitions of ``partition_size`` consecutive points are the unit of work and of checkpointing:
each finished partition is written to ``OUT/checkpoint/part-<first>-<last>.parquet`` (temp file
then rename, through :mod:`toolkit.outputs`), by the client, as it arrives. A rerun with the same
spec skips every point already in a checkpoint, so an interrupted sweep resumes and loses
nothing. Only a sweep with every point done is *finished* (:func:`finish_sweep`): its partitions
move to ``OUT/results/`` and ``OUT/manifest.json`` is written last, with the sha256 of every
file, so ``results/`` and ``manifest.json`` never describe a sweep that is not complete (issue
20). A scenario that raises is recorded with ``status = "failed"``, its parameters and the error;
the others go on.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.exceptions import UsageError
from toolkit.outputs import (
    MARKER,
    atomic_outputs,
    atomic_write,
    check_output_folder,
    file_sha256,
    json_text,
    marker_text,
    no_interrupt,
    os_error_text,
    read_marker,
)
from toolkit.results import ResultMixin
from toolkit.sweep import scenario
from toolkit.sweep.spec import SweepSpec

SCHEDULERS = ("serial", "processes", "local")
#: The folder of an unfinished sweep's partitions, inside OUT.
CHECKPOINT = "checkpoint"
_PART = re.compile(r"^part-(\d+)-(\d+)\.parquet$")


@dataclass(frozen=True)
class SweepRun(ResultMixin):
    """What :func:`run_sweep` did, with the result protocol (:mod:`toolkit.results`):
    :meth:`to_frame` is the results table (one row per scenario), :meth:`plot` the
    cost-effectiveness frontier (:func:`toolkit.report.plots.plot_sweep_frontier`)."""

    out: Path
    results: pd.DataFrame
    n_points: int
    computed_partitions: int
    skipped_points: int
    lost: tuple[str, ...]
    seconds: float
    workers: int

    _plot = "plot_sweep_frontier"

    @property
    def failures(self) -> pd.DataFrame:
        return self.results[self.results["status"] != "ok"]

    @property
    def strategies(self) -> tuple[str, ...]:
        """The strategies, in the spec's order (the order of scenarios within a point)."""
        if not len(self.results):
            return ()
        by_scenario = self.results.sort_values("scenario", kind="stable")["strategy"]
        return tuple(pd.unique(by_scenario))

    def to_frame(self) -> pd.DataFrame:
        """The results, one row per scenario (a copy)."""
        return self.results.copy()

    def summary(self) -> pd.DataFrame:
        """Per strategy: mean and 2.5/97.5 percentiles of each outcome over the assumption
        draws (:func:`~toolkit.sweep.sensitivity.psa_summary`)."""
        from toolkit.sweep.sensitivity import psa_summary

        return psa_summary(self.results, self.strategies)

    def frontier(self) -> pd.DataFrame:
        """:meth:`summary` with the cost-effectiveness frontier
        (:func:`~toolkit.sweep.sensitivity.frontier`)."""
        from toolkit.sweep.sensitivity import frontier

        return frontier(self.summary())

    def to_dict(self) -> dict:
        """What ran (points, partitions, lost, seconds, workers, folder) and the results'
        rows, JSON-ready."""
        return {
            "out": str(self.out),
            "points": self.n_points,
            "computed_partitions": self.computed_partitions,
            "skipped_points": self.skipped_points,
            "lost": list(self.lost),
            "seconds": self.seconds,
            "workers": self.workers,
            **super().to_dict(),
        }

    def render(self) -> str:
        """What ran, and per strategy the mean outcomes over the scenarios that ran."""
        from toolkit.sweep.scenario import OUTCOMES

        ok = int((self.results["status"] == "ok").sum()) if len(self.results) else 0
        head = (
            f"sweep in {self.out}: {self.n_points} points, {ok} of {len(self.results)} "
            f"scenarios ok, {len(self.lost)} partition(s) lost; {self.seconds:.1f} s on "
            f"{self.workers} worker(s)"
        )
        if not ok:
            return head
        table = self.summary().set_index("strategy")[list(OUTCOMES)]
        return f"{head}\n{table.round(2).to_string()}"


def run_partition(spec: SweepSpec, points: pd.DataFrame) -> pd.DataFrame:
    """Simulate every scenario of a block of points (runs on a worker).

    A point that raises gives one ``failed`` row per strategy, with the error; it never stops
    the partition.
    """
    names = [a.name for a in spec.assumptions]
    rows = []
    n_s = len(spec.strategies)
    # what every scenario of the spec shares; each point adds its values and its own stream
    flow = {"n": spec.admissions, "replications": spec.replications}
    flow |= {"populations": spec.populations, "rules_path": spec.rules}
    for rec in points.to_dict("records"):
        point = int(rec["point"])
        values = {k: float(rec[k]) for k in names}
        stream = np.random.SeedSequence(spec.seed, spawn_key=(point,))
        try:
            outs = scenario.run_scenario(
                values, spec.strategies, rng=stream, cohort_seed=spec.cohort_seed, **flow
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


def _part_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(f for f in folder.glob("part-*.parquet") if _PART.match(f.name))


def _done_points(*folders: Path) -> set[int]:
    done: set[int] = set()
    for folder in folders:
        for f in _part_files(folder):
            done.update(pd.read_parquet(f, columns=["point"])["point"].tolist())
    return done


def _write_part(checkpoint: Path, df: pd.DataFrame) -> None:
    """Checkpoint one partition atomically: temp file (ignored by Parquet readers because it
    starts with a dot) then rename."""
    a, b = int(df["point"].min()), int(df["point"].max())
    final = checkpoint / f"part-{a:07d}-{b:07d}.parquet"
    atomic_write(final, lambda tmp: df.to_parquet(tmp, index=False))


def _is_sweep_output(out: Path) -> bool:
    """A sweep's folder made before the marker existed: its manifest has a fingerprint."""
    try:
        old = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(old, dict) and "fingerprint" in old


def _check_same_sweep(file: Path, fp: str, out: Path) -> None:
    if not file.exists():
        return
    try:
        old = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        old = {}
    if old.get("fingerprint") != fp:
        raise UsageError(
            f"{out}: holds results of a different sweep (spec {old.get('spec')}); "
            "choose another output folder or remove it"
        )


def _prepare_out(out: Path, spec: SweepSpec, force: bool = False) -> tuple[Path, bool]:
    """Create OUT and its checkpoint folder, or check that an existing OUT holds this sweep.

    Returns the checkpoint folder and whether OUT (or its marker) was made now (removed again
    if the run ends before its first checkpoint).
    """
    check_output_folder(
        out,
        command="sweep",
        force=force,
        inputs=[spec.path, spec.rules],
        owned=_is_sweep_output,
        force_does="write into it anyway (nothing in it is deleted)",
    )
    fp = spec.fingerprint()
    checkpoint = out / CHECKPOINT
    _check_same_sweep(out / "manifest.json", fp, out)
    _check_same_sweep(checkpoint / "checkpoint.json", fp, out)
    # "created": this run made OUT or its marker, and removes them again if it ends before its
    # first checkpoint (a --force folder of the user's is left as it was)
    created = not out.exists() or read_marker(out) is None
    try:
        out.mkdir(parents=True, exist_ok=True)
        if read_marker(out) is None:
            atomic_write(out / MARKER, lambda tmp: tmp.write_text(marker_text("sweep")))
        checkpoint.mkdir(exist_ok=True)
        if not (checkpoint / "checkpoint.json").exists():
            text = json_text({"spec": spec.path, "fingerprint": fp})
            atomic_write(checkpoint / "checkpoint.json", lambda tmp: tmp.write_text(text))
    except OSError as exc:
        raise UsageError(os_error_text(exc, exc.filename or out, "create")) from None
    return checkpoint, created


def _clean_unstarted(out: Path, checkpoint: Path, created: bool) -> None:
    """After a run that checkpointed nothing: remove the empty checkpoint (and OUT, if this
    run created it), so nothing is left that looks like output."""
    if _part_files(checkpoint):
        return
    shutil.rmtree(checkpoint, ignore_errors=True)
    if created:
        try:
            (out / MARKER).unlink(missing_ok=True)
            out.rmdir()  # only if empty: never a folder with anything of the user's
        except OSError:
            pass


def checkpoint_note(out: str | Path) -> str | None:
    """What an unfinished sweep left and how to resume or remove it (None if nothing)."""
    checkpoint = Path(out) / CHECKPOINT
    parts = _part_files(checkpoint)
    if not parts:
        return None
    points = len(_done_points(checkpoint))
    return (
        f"{points} point(s) are checkpointed in {checkpoint} (the sweep is not finished: no "
        "results/ or manifest.json); rerun the same command to resume, or delete that folder "
        "to start again"
    )


def finish_sweep(run: SweepRun, report: dict[str, str] | None = None) -> Path:
    """Finish a complete sweep: partitions to ``OUT/results/``, then ``OUT/manifest.json``.

    Parameters
    ----------
    run : SweepRun
        A run with every point done and no partition lost.
    report : dict, optional
        ``{file name: sha256}`` of the report files written beside the results.

    Returns
    -------
    Path
        The manifest.

    Raises
    ------
    UsageError
        If the run is not complete (partitions lost or points missing).
    """
    out = Path(run.out)
    checkpoint = out / CHECKPOINT
    results = out / "results"
    if run.lost or len(_done_points(checkpoint, results)) < run.n_points:
        raise UsageError(f"{out}: the sweep is not complete; rerun the same command to resume")
    fp = json.loads((checkpoint / "checkpoint.json").read_text(encoding="utf-8"))
    # Ctrl-C waits until the manifest is written: never results/ without it (a few renames)
    try:
        with no_interrupt():
            results.mkdir(exist_ok=True)
            for f in _part_files(checkpoint):
                os.replace(f, results / f.name)
            shutil.rmtree(checkpoint)
            files = [
                {"path": f"results/{f.name}", "file_sha256": file_sha256(f)}
                for f in _part_files(results)
            ]
            files += [{"path": k, "file_sha256": v} for k, v in (report or {}).items()]
            manifest = {"spec": fp["spec"], "fingerprint": fp["fingerprint"], "files": files}
            with atomic_outputs() as o:
                o.write_text(out / "manifest.json", json_text(manifest))
    except OSError as exc:
        raise UsageError(os_error_text(exc, exc.filename or out)) from None
    return out / "manifest.json"


def run_sweep(
    spec: SweepSpec,
    out: str | Path,
    *,
    scheduler="serial",
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    force: bool = False,
    finish: bool = True,
) -> SweepRun:
    """Run (or resume) a sweep and return all its results.

    Parameters
    ----------
    spec : SweepSpec
    out : path
        Output folder: new, empty, or this sweep's (``force`` to use another non-empty
        folder; see :func:`toolkit.outputs.check_output_folder`). ``checkpoint/`` holds the
        partitions while the sweep runs; ``results/`` once it is finished.
    scheduler : {"serial", "processes", "local"}, str address, or dask.distributed.Client
        ``serial`` runs in this process (no Dask needed); ``processes`` uses Dask's local
        multiprocessing scheduler; ``local`` starts a ``dask.distributed.LocalCluster``; any
        other string is the address of a running Dask scheduler (``tcp://host:8786``); a
        ``Client`` is used as it is.
    workers : int, optional
        Worker processes for ``processes``/``local`` (default: CPU count).
    progress : callable, optional
        Called with (points done, points total) as partitions finish.
    force : bool
        Use a non-empty ``out`` that is not a sweep's (nothing in it is deleted).
    finish : bool
        Finish the sweep when every point is done (:func:`finish_sweep`); the command passes
        False and finishes after writing its report, so the manifest comes last.
    """

    out = Path(out)
    checkpoint, created = _prepare_out(out, spec, force)
    try:
        run = _run(spec, out, checkpoint, scheduler, workers, progress)
    except BaseException:
        _clean_unstarted(out, checkpoint, created)
        raise
    if finish and not run.lost:
        finish_sweep(run)
    return run


def _run(spec, out, checkpoint, scheduler, workers, progress) -> SweepRun:
    import time

    points = spec.design()
    done = _done_points(checkpoint, out / "results")
    todo = points[~points["point"].isin(done)]
    parts = _partitions(todo, spec.partition_size)
    total = len(points)
    n_done = len(done)
    if progress:
        progress(n_done, total)

    def finished(df: pd.DataFrame) -> None:
        nonlocal n_done
        _write_part(checkpoint, df)
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


def default_scheduler() -> str:
    """``local`` (a Dask LocalCluster) when ``dask.distributed`` is installed, else ``serial``."""
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        return "serial"
    return "local"


def _need_dask(what: str):
    try:
        import dask  # noqa: F401
    except ImportError:
        raise UsageError(
            f"scheduler {what!r} needs Dask: pip install 'recall-toolkit[scale]', or use the "
            "serial scheduler"
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


class _GatherNoise(logging.Filter):
    """Drops Dask's "Couldn't gather ..." records (see :func:`_run_distributed`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Couldn't gather")


def _run_distributed(spec, parts, scheduler, workers, finished, lost) -> int:
    """``dask.distributed``: a LocalCluster, a scheduler address or a given Client."""
    label = scheduler if isinstance(scheduler, str) else "client"
    _need_dask(label)
    from dask.distributed import Client, LocalCluster, as_completed

    own_cluster = own_client = None
    if isinstance(scheduler, str):
        if scheduler == "local":
            # Workers start with Ctrl-C ignored (the disposition is inherited): only this
            # process handles it, closes the cluster and prints one line (issue 20: each
            # worker printed its own message and left semaphores behind).
            ignore = threading.current_thread() is threading.main_thread()
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if ignore else None
            # Workers log at "error" unless the user set a level: a Ctrl-C cancels their
            # tasks, which they would otherwise report as warnings under the one message.
            env_key = "DASK_LOGGING__DISTRIBUTED"
            env_set = env_key not in os.environ
            if env_set:
                os.environ[env_key] = "error"
            try:
                own_cluster = LocalCluster(
                    n_workers=workers or os.cpu_count() or 1,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",
                )
            finally:
                if ignore:
                    signal.signal(signal.SIGINT, previous)
                if env_set:
                    del os.environ[env_key]
            own_client = Client(own_cluster)
        else:
            try:
                own_client = Client(scheduler, timeout="10s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise UsageError(
                    f"scheduler {scheduler!r}: cannot reach a Dask scheduler there ({exc})"
                ) from None
        client = own_client
    else:
        client = scheduler
    # "Couldn't gather keys" is what Dask logs when a worker dies holding a result (it is
    # recomputed) or a Ctrl-C cancels the gathers; the sweep reports both outcomes itself, in one
    # line, so these records are dropped while it runs (other records pass).
    quiet = _GatherNoise()
    for name in ("distributed.scheduler", "distributed.client"):
        logging.getLogger(name).addFilter(quiet)
    try:
        n_workers = len(client.scheduler_info().get("workers", {})) or 1
        futures = client.map(run_partition, [spec] * len(parts), parts, pure=False)
        first = {f.key: int(p["point"].iloc[0]) for f, p in zip(futures, parts)}
        done = as_completed(futures)
        for fut in done:
            # A future can come back "lost" rather than "finished": its worker died holding the
            # result ("Couldn't gather ... rescheduling"). The scheduler recomputes it because
            # this client still holds it, so it goes back into the iterator to be yielded again
            # when done (not waited on here: a blocking wait would not end cleanly on Ctrl-C).
            # Only a partition that fails for good (its task raised, or it killed worker after
            # worker: KilledWorker) is reported, and a rerun of the same command retries it.
            if fut.status == "finished":
                finished(fut.result())
            elif fut.status in ("lost", "pending"):
                done.add(fut)
            else:
                lost.append(f"partition from point {first[fut.key]}: {fut.exception()!r}")
        return n_workers
    finally:
        if own_client is not None:
            own_client.close()
        if own_cluster is not None:
            own_cluster.close()
        for name in ("distributed.scheduler", "distributed.client"):
            logging.getLogger(name).removeFilter(quiet)


def read_results(out: str | Path) -> pd.DataFrame:
    """All finished scenarios of a sweep (finished or checkpointed), sorted by scenario."""
    files = _part_files(Path(out) / "results") + _part_files(Path(out) / CHECKPOINT)
    if not files:
        return pd.DataFrame()
    df = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    return df.sort_values("scenario", kind="stable").reset_index(drop=True)
