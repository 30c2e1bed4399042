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
    from toolkit.outputs import progress
    from toolkit.sweep import load_sweep_spec
    from toolkit.sweep.report import summary_lines, sweep_and_report

    spec = load_sweep_spec(args.spec)
    bar = progress(1, "sweep", unit="point")
    try:
        res, summary = sweep_and_report(
            spec,
            args.out,
            scheduler=args.scheduler,
            workers=args.workers,
            progress=bar.count,
            force=args.force,
        )
    finally:
        bar.close()
    out, err = summary_lines(res, spec, summary, args.out)
    print(*out, sep="\n")
    for line in err:
        print(line, file=sys.stderr)
    return 1 if summary["scenarios_failed"] or summary["partitions_lost"] else 0
