"""``recall-toolkit calibrate``: parses its arguments and calls
:func:`toolkit.review.commands.calibrate_report`, which checks them, fits and reports."""

from __future__ import annotations

from toolkit.cli._common import PROFILE_ARG, positive_int


def register(sub) -> None:
    p = sub.add_parser(
        "calibrate",
        help="fit the review model to the case review and census (writes nothing)",
        description="Fit the unpublished person-model parameters so the formal strategy "
        "reproduces the case-review and census figures, with plausibility penalties; print "
        "the fit, parameter intervals and the Little's-law check. Nothing on disk is changed: "
        "copy the parameters into release_rules.toml [calibrated] to use them.",
    )
    p.add_argument("--cohort", metavar="FILE", default=None)
    p.add_argument("--profile", **PROFILE_ARG)
    p.add_argument("--rules", metavar="PATH", default=None)
    p.add_argument(
        "--n",
        type=positive_int,
        default=None,
        metavar="N",
        help="episodes per evaluation (default 10,000, as stored)",
    )
    p.add_argument(
        "--maxiter",
        type=positive_int,
        default=None,
        metavar="K",
        help="Nelder-Mead iterations per start (default 150, as stored)",
    )
    p.set_defaults(func=run)


def run(args) -> int:
    from toolkit.review.commands import StageProgress, calibrate_report

    stages = StageProgress(total=4)
    try:
        text = calibrate_report(
            cohort=args.cohort,
            profile=args.profile,
            rules=args.rules,
            n=args.n,
            maxiter=args.maxiter,
            stage=stages.stage,
            evaluations=stages.evaluations,
        )
    finally:
        stages.close()
    print(text)
    return 0
