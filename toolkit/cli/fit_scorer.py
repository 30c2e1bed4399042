"""``recall-toolkit fit-scorer``: refit the shipped review-priority scorer (for maintainers)."""

from __future__ import annotations

from toolkit.cli._common import positive_int, seed_arg


def register(sub) -> None:
    p = sub.add_parser(
        "fit-scorer",
        help="refit the default review-priority scorer from the review simulation (maintainers)",
        description="Fit the review-priority scorer on simulated caseloads "
        "(toolkit.priority.features.caseload_from_simulation), evaluate it on held-out cases "
        "(discrimination, calibration, fairness, the decision-quality table) and store it with "
        "its manifest. Re-run after the review model changes; same seed, same files. Prints "
        "the held-out AUC, Brier score and calibration.",
    )
    # defaults None: toolkit.priority.train's DEFAULT_SEED, N_TRAIN and the shipped folder
    p.add_argument("--seed", type=seed_arg, default=None, help="random seed")
    p.add_argument("--out", default=None, metavar="DIR", help="folder (default: the shipped one)")
    p.add_argument("--n-train", type=positive_int, default=None, metavar="N")
    p.set_defaults(func=run)


def run(args) -> int:
    from toolkit.priority.scorer import DEFAULT_DIR
    from toolkit.priority.train import N_TRAIN, fit_default_scorer, held_out_summary

    out = DEFAULT_DIR if args.out is None else args.out
    n_train = N_TRAIN if args.n_train is None else args.n_train
    _, manifest = fit_default_scorer(rng=args.seed, n_train=n_train, out=out)
    print(held_out_summary(manifest, out))
    return 0
