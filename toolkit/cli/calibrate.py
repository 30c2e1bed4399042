"""``recall-toolkit calibrate``."""

from __future__ import annotations

from toolkit.cli._common import DEFAULT_DEMO_SEED, positive_int


def register(sub) -> None:
    p = sub.add_parser(
        "calibrate",
        help="fit the review model to the case review and census",
        description="Fit the unpublished person-model parameters so the formal "
        "strategy reproduces the case-review and census figures.",
    )
    p.add_argument("--cohort", metavar="FILE", default=None)
    p.add_argument("--rules", metavar="PATH", default=None)
    p.add_argument("--n", type=positive_int, default=20_000, metavar="N")
    p.set_defaults(func=run)


def run(args) -> int:
    from toolkit.cohort.io import read_cohort
    from toolkit.review import load_release_rules
    from toolkit.review.calibration import calibrate

    rules = load_release_rules(args.rules)
    if args.cohort:
        cohort = read_cohort(args.cohort)
    else:
        from toolkit.cohort.generate import generate_cohort

        cohort = generate_cohort(populations=["standard"], rng=DEFAULT_DEMO_SEED)
    res = calibrate(cohort, rules, n=args.n)
    print("Calibrated (formal strategy, standard recalls):")
    for k, v in res.params.items():
        print(f"  {k} = {v:.4f}")
    print(res.table.round(2).to_string(index=False))
    print(
        f"mean stay {res.mean_stay_days:.0f} days; 21,500 recalls a year x mean stay / 365 = "
        f"{21500 * res.mean_stay_days / 365:,.0f} in custody (published stock 6,564, all types)"
    )
    return 0
