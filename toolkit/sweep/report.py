"""Everything a finished sweep writes besides its partitioned results: summary, failures,
Sobol indices, tornado, frontier and the national projection (tables and figures)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.outputs import OutputSet, atomic_outputs, json_text
from toolkit.sweep import scenario
from toolkit.sweep.run import SweepRun, checkpoint_note, default_scheduler, finish_sweep, run_sweep
from toolkit.sweep.sensitivity import HEADLINE, frontier, psa_summary, sobol_indices, tornado
from toolkit.sweep.spec import SweepSpec

#: spawn_key of the projection's stream: longer than any point's key, so never the same stream.
PROJECTION_KEY = (2**32 - 1,)


def run_projection(spec: SweepSpec):
    """Stays under each strategy at the rules file's values, and the stock projection.

    Returns
    -------
    (NationalModel, DataFrame, DataFrame)
        The national model, the projection and its validation.
    """
    from toolkit.sweep.projection import load_national_flow, project_stock, validate_projection

    proj = spec.projection or {}
    flow = load_national_flow(proj.get("national"))
    names = list(proj.get("strategies", spec.strategies))
    if flow.projection.status_quo_strategy not in names:
        names.insert(0, flow.projection.status_quo_strategy)
    seed = np.random.SeedSequence(spec.seed, spawn_key=PROJECTION_KEY)
    stays = {
        s: scenario.custody_days(
            s,
            n=proj.get("admissions", 20_000),
            replications=proj.get("replications", 2),
            populations=flow.projection.populations,
            rng=seed,  # the same stream for every strategy: common random numbers
            rules_path=spec.rules,
            cohort_seed=spec.cohort_seed,
        )
        for s in names
    }
    table = project_stock(flow, stays)
    return flow, table, validate_projection(flow, table)


def _csv(df: pd.DataFrame, path: Path, out: OutputSet) -> None:
    out.write(path, lambda tmp: df.to_csv(tmp, index=False))


def _figure(figsize, nrows=1, ncols=1):
    """A figure outside pyplot: writing the report never changes the caller's backend (a
    notebook keeps showing figures inline) and leaves no figure open."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    return fig, fig.subplots(nrows, ncols)


def _png(fig, path: Path, out: OutputSet) -> None:
    fig.tight_layout()
    out.write(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))


def write_report(run: SweepRun, spec: SweepSpec, hashes: dict | None = None) -> dict:
    """Write summary.csv/.json, failures.csv and, as the spec asks, sobol.csv, sobol.png,
    tornado.png, frontier.png, projection.csv, projection_validation.csv, projection.png.

    Every file is written all or nothing together (:mod:`toolkit.outputs`): an error or Ctrl-C
    leaves the previous report, if any, as it was.

    Parameters
    ----------
    hashes : dict, optional
        Filled with ``{file name: sha256 of the bytes written}``, for the sweep's manifest.

    Returns
    -------
    dict
        The summary written to ``summary.json``.
    """
    with atomic_outputs() as outs:
        summary = _write_report(run, spec, outs)
    if hashes is not None:
        hashes.update({p.name: h for p, h in outs.sha256.items()})
    return summary


def _write_report(run: SweepRun, spec: SweepSpec, outs: OutputSet) -> dict:
    from toolkit.report.plots import plot_sweep_frontier

    out = run.out
    res = run.results
    files = ["results/"]
    summ = frontier(psa_summary(res, spec.strategies))
    _csv(summ, out / "summary.csv", outs)
    files.append("summary.csv")
    fails = res[res["status"] != "ok"]
    names = [a.name for a in spec.assumptions]
    fail_rows = fails.drop_duplicates("point")[["point", *names, "error"]]
    _csv(fail_rows, out / "failures.csv", outs)
    files.append("failures.csv")
    summary: dict = {
        "spec": spec.path,
        "fingerprint": spec.fingerprint(),
        "points": run.n_points,
        "strategies": list(spec.strategies),
        "scenarios": len(res),
        "scenarios_ok": int((res["status"] == "ok").sum()) if len(res) else 0,
        "scenarios_failed": int(len(fails)),
        "partitions_lost": list(run.lost),
        "admissions": spec.admissions,
        "replications": spec.replications,
        "seconds": round(run.seconds, 2),
        "workers": run.workers,
        # scenarios computed in this run (not resumed) per second per worker: to size a cluster
        "scenarios_per_second_per_worker": (
            round(
                (run.n_points - run.skipped_points)
                * len(spec.strategies)
                / run.seconds
                / run.workers,
                4,
            )
            if run.seconds > 0 and run.n_points > run.skipped_points
            else None
        ),
        "failures": [
            {"point": int(r["point"]), **{k: float(r[k]) for k in names}, "error": r["error"]}
            for _, r in fail_rows.head(20).iterrows()
        ],
        "by_strategy": json.loads(summ.to_json(orient="records")),
    }
    if spec.method == "sobol" and spec.assumptions:
        files += _write_sensitivity(run, spec, outs, summary)
    fig = plot_sweep_frontier(summ, ax=_figure((7, 5))[1]).figure
    _png(fig, out / "frontier.png", outs)
    files.append("frontier.png")
    if spec.projection is not None:
        files += _write_projection(spec, out, outs, summary)
    summary["files"] = files + ["summary.json"]
    outs.write_text(out / "summary.json", json_text(summary))
    return summary


def _write_sensitivity(run: SweepRun, spec: SweepSpec, outs: OutputSet, summary: dict) -> list:
    """sobol.csv, sobol.png and tornado.png; the largest total index per strategy and outcome
    into ``summary``. Returns the files written."""
    from toolkit.sweep import plots

    out, res = run.out, run.results
    si = sobol_indices(res, spec)
    _csv(si, out / "sobol.csv", outs)
    fig, axes = _figure((12, 8), 2, 2)
    for ax, o in zip(axes.flat, HEADLINE):
        plots.plot_sobol(si, spec.tornado_strategy, o, ax=ax)
    fig.suptitle(f"Sobol indices ({spec.conf_level:.0%} intervals): {spec.tornado_strategy}")
    _png(fig, out / "sobol.png", outs)
    fig, axes = _figure((12, 8), 2, 2)
    ok = res[res["strategy"] == spec.tornado_strategy]
    for ax, o in zip(axes.flat, HEADLINE):
        if (ok["status"] == "ok").any():
            plots.plot_tornado(tornado(res, spec, spec.tornado_strategy, o), o, ax=ax)
    fig.suptitle(f"Tornado: {spec.tornado_strategy} (mean over the other assumptions)")
    _png(fig, out / "tornado.png", outs)
    top = (
        si.dropna(subset=["ST"])
        .sort_values("ST", ascending=False)
        .groupby(["strategy", "outcome"], sort=False)
        .head(1)
    )
    summary["largest_total_sobol"] = json.loads(
        top[["strategy", "outcome", "parameter", "ST", "ST_conf"]].to_json(orient="records")
    )
    return ["sobol.csv", "sobol.png", "tornado.png"]


def _write_projection(spec: SweepSpec, out: Path, outs: OutputSet, summary: dict) -> list:
    """projection.csv, projection_validation.csv and projection.png; the validation into
    ``summary``. Returns the files written."""
    from toolkit.sweep import plots

    flow, table, val = run_projection(spec)
    t = table.assign(month=table["month"].astype(str))
    _csv(t, out / "projection.csv", outs)
    _csv(val, out / "projection_validation.csv", outs)
    ax = _figure((8, 4.5))[1]
    _png(plots.plot_projection(table, flow, ax=ax).figure, out / "projection.png", outs)
    summary["projection_validation"] = json.loads(
        val.drop(columns="quote").to_json(orient="records")
    )
    return ["projection.csv", "projection_validation.csv", "projection.png"]


def sweep_and_report(
    spec: SweepSpec,
    out: str | Path,
    *,
    scheduler=None,
    workers: int | None = None,
    progress=None,
    force: bool = False,
) -> tuple[SweepRun, dict]:
    """Run (or resume) a sweep, write its report, then finish it: what ``recall-toolkit sweep``
    does. The manifest comes last (:func:`~toolkit.sweep.run.finish_sweep` after
    :func:`write_report`), and only when no partition was lost.

    Parameters
    ----------
    spec, out, workers, progress, force
        As :func:`~toolkit.sweep.run.run_sweep`.
    scheduler : optional
        As :func:`~toolkit.sweep.run.run_sweep`; None: :func:`~toolkit.sweep.run.default_scheduler`.

    Returns
    -------
    (SweepRun, dict)
        The run and the summary written to ``summary.json``.

    Raises
    ------
    toolkit.outputs.Interrupted
        On Ctrl-C after some partitions were checkpointed (saying how to resume).
    UsageError
        As :func:`~toolkit.sweep.run.run_sweep`, with what was checkpointed, if anything.
    """
    from toolkit.exceptions import UsageError
    from toolkit.outputs import Interrupted

    try:
        run = run_sweep(
            spec,
            out,
            scheduler=default_scheduler() if scheduler is None else scheduler,
            workers=workers,
            progress=progress,
            force=force,
            finish=False,  # finished below, after the report: the manifest comes last
        )
        hashes: dict = {}
        summary = write_report(run, spec, hashes)
        if not run.lost:
            finish_sweep(run, hashes)
    except KeyboardInterrupt:
        note = checkpoint_note(out)
        if note is None:
            raise
        raise Interrupted(note) from None
    except UsageError as exc:  # e.g. an unreachable scheduler: say what was kept, if anything
        note = checkpoint_note(out)
        if note is None:
            raise
        raise UsageError(f"{exc}; {note}") from None
    return run, summary


def summary_lines(
    run: SweepRun, spec: SweepSpec, summary: dict, folder: str | Path | None = None
) -> tuple[list[str], list[str]]:
    """What a finished (or partly finished) sweep tells its user: lines for stdout (scenarios,
    throughput, the projection's validation) and for stderr (failures; a sweep left
    unfinished). ``folder``: the output folder as the user wrote it (default ``run.out``)."""
    folder = run.out if folder is None else folder
    out, err = [], []
    out.append(
        f"{summary['scenarios_ok']} of {summary['scenarios']} scenarios ok "
        f"({run.skipped_points} points resumed from checkpoints) in {run.seconds:.1f} s on "
        f"{run.workers} worker(s); results in {folder}"
    )
    if summary["scenarios_per_second_per_worker"]:
        out.append(
            f"throughput: {summary['scenarios_per_second_per_worker']:.3f} scenarios "
            f"({spec.admissions:,} admissions x {spec.replications} replications) a second "
            "per worker"
        )
    for f in summary.get("failures", [])[:5]:
        err.append(f"failed point {f['point']}: {f['error'].splitlines()[0]}")
    for r in summary.get("projection_validation") or []:
        out.append(
            f"projection {r['figure']}: published {r['published']:,.1f}, projected "
            f"{r['projected']:,.1f} (miss {r['miss']:+,.1f}, {r['miss_pct']:+.1f}%)"
            + (" [anchored: met by construction]" if r.get("anchored") else "")
        )
    if summary["scenarios_failed"] or summary["partitions_lost"]:
        err.append(
            f"{summary['scenarios_failed']} scenario(s) failed, "
            f"{len(summary['partitions_lost'])} partition(s) lost; see failures.csv "
            f"(the sweep is not finished: its partitions stay in {folder}/checkpoint; rerun "
            "the same command to retry the lost partitions)"
        )
    return out, err
