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
        "While it runs, finished partitions are checkpointed in OUT/checkpoint/; rerunning the "
        "same command resumes an interrupted sweep. results/ and manifest.json appear only "
        "when every point is done. --out must be new, empty or this sweep's folder (or give "
        "--force); the current folder, your home folder and the spec's folder are refused.",
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
    p.add_argument(
        "--force",
        action="store_true",
        help="write into a non-empty --out folder that is not a sweep's (nothing in it is "
        "deleted; files of the same name are replaced)",
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
    from toolkit.exceptions import UsageError
    from toolkit.outputs import Interrupted
    from toolkit.outputs import progress as make_progress
    from toolkit.sweep.run import checkpoint_note, finish_sweep

    bar = make_progress(1, "sweep", unit="point")
    try:
        res = run_sweep(
            spec,
            args.out,
            scheduler=scheduler,
            workers=args.workers,
            progress=bar.count,
            force=args.force,
            finish=False,  # finished below, after the report: the manifest comes last
        )
        hashes: dict = {}
        summary = write_report(res, spec, hashes)
        if not res.lost:
            finish_sweep(res, hashes)
    except KeyboardInterrupt:
        note = checkpoint_note(args.out)
        if note is None:
            raise
        raise Interrupted(note) from None
    except UsageError as exc:  # e.g. an unreachable scheduler: say what was kept, if anything
        note = checkpoint_note(args.out)
        if note is None:
            raise
        raise UsageError(f"{exc}; {note}") from None
    finally:
        bar.close()
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
            f"(the sweep is not finished: its partitions stay in {args.out}/checkpoint; rerun "
            "the same command to retry the lost partitions)",
            file=sys.stderr,
        )
        return 1
    return 0
