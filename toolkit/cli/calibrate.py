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


#: Published figures the fit compares with after a transformation: target key -> (the
#: calibration key as printed in the source, how the fit uses it).
_AS_PRINTED = {
    "census_under_6m_pct": ("under_6m", "57 / 21 / 18"),
    "census_6_to_12m_pct": ("6_to_12m", "57 / 21 / 18"),
    "census_over_12m_pct": ("over_12m", "57 / 21 / 18"),
}


class _Stages:
    """Progress through calibrate's stages: a tqdm bar on a terminal (stderr), one line per
    stage otherwise (logs and CI keep a readable record)."""

    def __init__(self, total: int):
        import sys
        import time

        self.tty = sys.stderr.isatty()
        self.t0 = time.perf_counter()
        self.bar = None
        if self.tty:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="stage", file=sys.stderr, leave=False)

    def stage(self, text: str) -> None:
        import sys
        import time

        if self.bar is not None:
            self.bar.set_description(text)
            self.bar.update(1)
        else:
            print(f"[{time.perf_counter() - self.t0:6.1f} s] {text}", file=sys.stderr, flush=True)

    def evaluations(self, k: int) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(f"{k} model evaluations", refresh=False)
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run(args) -> int:
    from toolkit.cohort.io import read_cohort
    from toolkit.exceptions import UsageError
    from toolkit.review import calibration as cal
    from toolkit.review import load_release_rules
    from toolkit.review.national import littles_law_text, national_flow
    from toolkit.review.output import copyable_path

    rules = load_release_rules(args.rules)
    if args.cohort and args.profile:
        raise UsageError("give --cohort or --profile, not both")
    stages = _Stages(total=4)
    try:
        if args.cohort:
            stages.stage(f"reading the cohort {args.cohort}")
            cohort = read_cohort(args.cohort)
        else:
            from toolkit.cohort.generate import generate_cohort

            spec = load_profile_arg(args.profile)
            if "standard" not in spec.populations:
                raise UsageError(
                    f"{spec.path} has no standard recalls: the calibration fits the formal "
                    "strategy to standard recalls (the case review and census figures describe "
                    "them)"
                )
            stages.stage("generating the standard-recall cohort")
            cohort = generate_cohort(spec, populations=["standard"], rng=DEFAULT_DEMO_SEED)
        kw = {"maxiter": args.maxiter} if args.maxiter else {}
        stages.stage("fitting the four parameters (Nelder-Mead from each start), then intervals")
        # count the model's evaluations for the bar (calibrate takes no callback; it calls
        # the module's model_moments, so a counting wrapper is put there for this call only)
        inner, calls = cal.model_moments, [0]

        def counted(*a, **k):
            calls[0] += 1
            if calls[0] % 5 == 0:
                stages.evaluations(calls[0])
            return inner(*a, **k)

        cal.model_moments = counted
        try:
            res = cal.calibrate(cohort, rules, n=args.n or cal.FIT_N, **kw)
        finally:
            cal.model_moments = inner
        stages.stage("the Little's-law check")
        nat_text = littles_law_text(national_flow(rules, res.params))
    finally:
        stages.close()
    print(f"Calibrated (formal strategy, standard recalls; {calls[0]} model evaluations):")
    for k, v in res.params.items():
        stored = rules.calibrated[k]
        print(f"  {k} = {v:.4f}   (stored {stored:.4f})")
    print(_targets_table(res.table, rules))
    print("95% intervals (Gauss-Newton over the targets' precision):")
    print(res.intervals.round(4).to_string(index=False))
    print(
        "Plausibility: busiest day {:.1f}% of releases before SED; Board {:.0f}% of them".format(
            res.plausibility["max_day_share_pct"], res.plausibility["board_share_pct"]
        )
    )
    print(cal.case_review_frames_text(res.case_review_frames, rules))
    print(nat_text)
    path = copyable_path(rules.path)
    print(
        "Nothing on disk was changed. To use these parameters, copy the rules file and put them "
        f"in its [calibrated] block:\n  cp {path} my_rules.toml\n"
        "then pass --rules my_rules.toml to simulate, calibrate and sweep (a sweep spec's "
        "[sweep] rules)."
    )
    return 0


def _targets_table(table, rules) -> str:
    """The fit's table with each published figure as the source prints it (the census bands
    57 / 21 / 18, not their renormalised 59.38 / 21.88 / 18.75) beside what the fit compares."""
    bands = rules.calibration["census_days_on_recall_pct"]
    total = sum(bands.values())
    t = table.copy()
    printed = []
    for k, v in zip(t["target"], t["published"], strict=True):
        if k in _AS_PRINTED:
            printed.append(f"{bands[_AS_PRINTED[k][0]]:g}")
        elif k == "littles_law_stock_pct":
            printed.append(f"{rules.national['stock']:,.0f} stock")
        else:
            printed.append(f"{v:g}")
    t.insert(1, "published (as printed)", printed)
    t = t.rename(columns={"published": "fit target"})
    text = t.round(2).to_string(index=False)
    if any(k in _AS_PRINTED for k in t["target"]):
        text += (
            f"\nThe census bands are printed as {' / '.join(f'{v:g}' for v in bands.values())}% "
            f"(line 5069; {100 - total:g}% with no band); the fit compares them over the "
            f"{total:g}% with a band (each / {total / 100:g})."
        )
    return text
