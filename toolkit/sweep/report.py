"""Everything a finished sweep writes besides its partitioned results: summary, failures,
Sobol indices, tornado, frontier and the national projection (tables and figures)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.cohort.io import atomic_write, write_json
from toolkit.sweep import scenario
from toolkit.sweep.run import SweepRun
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
            seed=seed,  # the same stream for every strategy: common random numbers
            rules_path=spec.rules,
            cohort_seed=spec.cohort_seed,
        )
        for s in names
    }
    table = project_stock(flow, stays)
    return flow, table, validate_projection(flow, table)


def _csv(df: pd.DataFrame, path: Path) -> None:
    atomic_write(path, lambda tmp: df.to_csv(tmp, index=False))


def _figure(figsize, nrows=1, ncols=1):
    """A figure outside pyplot: writing the report never changes the caller's backend (a
    notebook keeps showing figures inline) and leaves no figure open."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    return fig, fig.subplots(nrows, ncols)


def _png(fig, path: Path) -> None:
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))


def write_report(run: SweepRun, spec: SweepSpec) -> dict:
    """Write summary.csv/.json, failures.csv and, as the spec asks, sobol.csv, sobol.png,
    tornado.png, frontier.png, projection.csv, projection_validation.csv, projection.png.

    Returns
    -------
    dict
        The summary written to ``summary.json``.
    """
    from toolkit.sweep import plots

    out = run.out
    res = run.results
    files = ["results/"]
    summ = frontier(psa_summary(res, spec.strategies))
    _csv(summ, out / "summary.csv")
    files.append("summary.csv")
    fails = res[res["status"] != "ok"]
    names = [a.name for a in spec.assumptions]
    fail_rows = fails.drop_duplicates("point")[["point", *names, "error"]]
    _csv(fail_rows, out / "failures.csv")
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
        si = sobol_indices(res, spec)
        _csv(si, out / "sobol.csv")
        fig, axes = _figure((12, 8), 2, 2)
        for ax, o in zip(axes.flat, HEADLINE):
            plots.plot_sobol(si, spec.tornado_strategy, o, ax=ax)
        fig.suptitle(f"Sobol indices ({spec.conf_level:.0%} intervals): {spec.tornado_strategy}")
        _png(fig, out / "sobol.png")
        fig, axes = _figure((12, 8), 2, 2)
        ok = res[res["strategy"] == spec.tornado_strategy]
        for ax, o in zip(axes.flat, HEADLINE):
            if (ok["status"] == "ok").any():
                plots.plot_tornado(tornado(res, spec, spec.tornado_strategy, o), o, ax=ax)
        fig.suptitle(f"Tornado: {spec.tornado_strategy} (mean over the other assumptions)")
        _png(fig, out / "tornado.png")
        files += ["sobol.csv", "sobol.png", "tornado.png"]
        top = (
            si.dropna(subset=["ST"])
            .sort_values("ST", ascending=False)
            .groupby(["strategy", "outcome"], sort=False)
            .head(1)
        )
        summary["largest_total_sobol"] = json.loads(
            top[["strategy", "outcome", "parameter", "ST", "ST_conf"]].to_json(orient="records")
        )
    _png(plots.plot_frontier(summ, ax=_figure((7, 5))[1]).figure, out / "frontier.png")
    files.append("frontier.png")
    if spec.projection is not None:
        flow, table, val = run_projection(spec)
        t = table.assign(month=table["month"].astype(str))
        _csv(t, out / "projection.csv")
        _csv(val, out / "projection_validation.csv")
        ax = _figure((8, 4.5))[1]
        _png(plots.plot_projection(table, flow, ax=ax).figure, out / "projection.png")
        files += ["projection.csv", "projection_validation.csv", "projection.png"]
        summary["projection_validation"] = json.loads(
            val.drop(columns="quote").to_json(orient="records")
        )
    summary["files"] = files + ["summary.json"]
    write_json(summary, out / "summary.json")
    return summary
