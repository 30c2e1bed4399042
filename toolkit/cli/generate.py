"""``recall-toolkit generate``: parses its arguments and calls
:func:`toolkit.cohort.export.generate_file`."""

from __future__ import annotations

from toolkit.cli._common import PROFILE_ARG, RULES_ARG, positive_int, require_memory, seed_arg


def register(sub) -> None:
    p = sub.add_parser(
        "generate",
        help="generate a synthetic cohort",
        description="Generate a synthetic census cohort and a manifest beside it.",
    )
    p.add_argument("--profile", **PROFILE_ARG)
    p.add_argument("--rules", **RULES_ARG)
    p.add_argument(
        "--n",
        type=positive_int,
        default=None,
        help="total people (default: published N of the chosen populations)",
    )
    p.add_argument(
        "--population",
        action="append",
        default=None,
        metavar="NAME",
        help="restrict to a population (repeatable): standard, extended, fixed_term, "
        "ipp_dpp, life, hdc, other_sentenced",
    )
    p.add_argument(
        "--seed", type=seed_arg, required=True, help="random seed (same seed, same file)"
    )
    p.add_argument(
        "--out", required=True, metavar="FILE", help="output file: .parquet, .csv or .csv.gz"
    )
    p.set_defaults(func=run)


def run(args) -> int:
    from toolkit.cohort.export import generate_file, memory_estimate

    def check_memory() -> None:  # in the command's words: it names --n
        if args.n is not None:
            base, per_person = memory_estimate(args.out)
            what = f"generate --n {args.n:,}"
            require_memory(base, per_person, args.n, what, flag="--n")

    res = generate_file(
        args.out,
        profile=args.profile,
        rules=args.rules,
        n=args.n,
        populations=args.population,
        rng=args.seed,
        before_work=check_memory,
    )
    print(f"wrote {res.n_rows:,} people to {args.out} (manifest {res.manifest})")
    return 0
