"""``recall-toolkit calibrate``."""

from __future__ import annotations

from toolkit.cli._common import DEFAULT_DEMO_SEED, PROFILE_ARG, load_profile_arg, positive_int


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
    from toolkit.cohort.io import read_cohort
    from toolkit.exceptions import UsageError
    from toolkit.review import load_release_rules
    from toolkit.review.calibration import FIT_N, calibrate, case_review_frames_text
    from toolkit.review.national import littles_law_text, national_flow

    rules = load_release_rules(args.rules)
    if args.cohort:
        if args.profile:
            raise UsageError("give --cohort or --profile, not both")
        cohort = read_cohort(args.cohort)
    else:
        from toolkit.cohort.generate import generate_cohort

        spec = load_profile_arg(args.profile)
        if "standard" not in spec.populations:
            raise UsageError(
                f"{spec.path} has no standard recalls: the calibration fits the formal strategy "
                "to standard recalls (the case review and census figures describe them)"
            )
        cohort = generate_cohort(spec, populations=["standard"], rng=DEFAULT_DEMO_SEED)
    kw = {"maxiter": args.maxiter} if args.maxiter else {}
    res = calibrate(cohort, rules, n=args.n or FIT_N, **kw)
    print("Calibrated (formal strategy, standard recalls):")
    for k, v in res.params.items():
        stored = rules.calibrated[k]
        print(f"  {k} = {v:.4f}   (stored {stored:.4f})")
    print(res.table.round(2).to_string(index=False))
    print("95% intervals (Gauss-Newton over the targets' precision):")
    print(res.intervals.round(4).to_string(index=False))
    print(
        "Plausibility: busiest day {:.1f}% of releases before SED; Board {:.0f}% of them".format(
            res.plausibility["max_day_share_pct"], res.plausibility["board_share_pct"]
        )
    )
    print(case_review_frames_text(res.case_review_frames, rules))
    print(littles_law_text(national_flow(rules, res.params)))
    print(
        "Nothing on disk was changed. To use these parameters, copy them into "
        f"[calibrated] of {rules.path}."
    )
    return 0
