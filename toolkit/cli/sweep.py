"""``recall-toolkit sweep``."""

from __future__ import annotations

import sys

from toolkit.cli._common import positive_int


def register(sub) -> None:
    p = sub.add_parser(
        "sweep",
        help="policy sweep: strategies x assumptions, Sobol sensitivity, national projection",
        description="Run (or resume) a policy sweep described by a TOML spec: every strategy "
        "under every draw of the assumptions, results as partitioned Parquet in OUT/results/, "
        "a summary, Sobol indices, tornado, frontier and national projection (docs/sweeps.md). "
        "Rerunning the same command resumes an interrupted sweep.",
    )
    p.add_argument("spec", metavar="SPEC", help="sweep spec (TOML)")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="serial|processes|local|ADDRESS",
        help="serial (this process, no Dask), processes (Dask multiprocessing), local (a Dask "
        "LocalCluster) or the address of a running Dask scheduler, e.g. tcp://host:8786 "
        "(default: local if Dask is installed, else serial)",
    )
    p.add_argument(
        "--workers", type=positive_int, default=None, metavar="N", help="worker processes"
    )
    p.set_defaults(func=run)


def run(args) -> int:
    from toolkit.sweep import load_sweep_spec, run_sweep
    from toolkit.sweep.report import write_report

    spec = load_sweep_spec(args.spec)
    scheduler = args.scheduler
    if scheduler is None:
        try:
            import dask.distributed  # noqa: F401

            scheduler = "local"
        except ImportError:
            scheduler = "serial"
    bar = None
    if sys.stderr.isatty():
        try:
            from tqdm import tqdm

            bar = tqdm(total=1, unit="point", desc="sweep", file=sys.stderr)
        except ImportError:
            bar = None

    def progress(done, total):
        if bar is not None:
            bar.total = total
            bar.n = done
            bar.refresh()

    try:
        res = run_sweep(
            spec, args.out, scheduler=scheduler, workers=args.workers, progress=progress
        )
    finally:
        if bar is not None:
            bar.close()
    summary = write_report(res, spec)
    print(
        f"{summary['scenarios_ok']} of {summary['scenarios']} scenarios ok "
        f"({res.skipped_points} points resumed from checkpoints) in {res.seconds:.1f} s on "
        f"{res.workers} worker(s); results in {args.out}"
    )
    if summary["scenarios_per_second_per_worker"]:
        print(
            f"throughput: {summary['scenarios_per_second_per_worker']:.3f} scenarios "
            f"({spec.admissions:,} admissions x {spec.replications} replications) a second "
            "per worker"
        )
    for f in summary.get("failures", [])[:5]:
        print(f"failed point {f['point']}: {f['error'].splitlines()[0]}", file=sys.stderr)
    if summary.get("projection_validation"):
        for r in summary["projection_validation"]:
            print(
                f"projection {r['figure']}: published {r['published']:,.1f}, projected "
                f"{r['projected']:,.1f} (miss {r['miss']:+,.1f}, {r['miss_pct']:+.1f}%)"
                + (" [anchored: met by construction]" if r.get("anchored") else "")
            )
    if summary["scenarios_failed"] or summary["partitions_lost"]:
        print(
            f"{summary['scenarios_failed']} scenario(s) failed, "
            f"{len(summary['partitions_lost'])} partition(s) lost; see failures.csv "
            "(rerun the same command to retry lost partitions)",
            file=sys.stderr,
        )
        return 1
    return 0
