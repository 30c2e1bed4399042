"""``recall-toolkit demo``: the whole pipeline into one folder with an index.html."""

from __future__ import annotations

from toolkit.cli._common import DEFAULT_DEMO_SEED, PROFILE_ARG, seed_arg


def register(sub) -> None:
    p = sub.add_parser(
        "demo",
        help="run the whole pipeline on defaults into a folder with an index.html",
        description="Generate the default cohort and write, into one folder: the cohort, the "
        "fidelity report, the Table 2 needs gap, a review-strategy simulation summary, the "
        "figures (PNG) and an index.html linking everything. The folder is built under a "
        "temporary name and renamed at the end (an interrupted run leaves nothing). A "
        "non-empty --out folder is replaced only if it holds a previous demo's output, or with "
        "--force; the current folder, the folders above it, your home folder and the "
        "profile's folder are always refused. Progress: a bar on a terminal, one line per "
        "stage otherwise. Exit 1 if a published figure is not met.",
    )
    p.add_argument(
        "--out",
        default="demo-out",
        metavar="DIR",
        help="output folder (default demo-out): new, empty, or a previous demo's output",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="replace a non-empty --out folder that is not a previous demo's output (what is "
        "in it is deleted)",
    )
    p.add_argument("--profile", **PROFILE_ARG)
    p.add_argument("--seed", type=seed_arg, default=DEFAULT_DEMO_SEED, help="random seed")
    p.set_defaults(func=run)


def run(args) -> int:
    from toolkit.report.demo import run_demo

    res = run_demo(args.out, rng=args.seed, profile=args.profile, force=args.force)
    print(res.render())
    return 0 if res.passed else 1
