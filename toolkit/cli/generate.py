"""``recall-toolkit generate``."""

from __future__ import annotations

from toolkit.cli._common import PROFILE_ARG, load_profile_arg, positive_int, seed_arg


def register(sub) -> None:
    p = sub.add_parser(
        "generate",
        help="generate a synthetic cohort",
        description="Generate a synthetic census cohort and a manifest beside it.",
    )
    p.add_argument("--profile", **PROFILE_ARG)
    p.add_argument(
        "--rules",
        metavar="PATH",
        default=None,
        help="programme rules (TOML); default: the shipped Table 2 rules",
    )
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
    from toolkit.cohort.generate import generate_cohort
    from toolkit.cohort.io import (
        build_manifest,
        cohort_format,
        manifest_path,
        write_cohort,
        write_json,
    )
    from toolkit.profile.rules import load_programme_rules

    cohort_format(args.out)  # reject a bad suffix before any work
    spec = load_profile_arg(args.profile)
    rules = load_programme_rules(args.rules)  # --rules: the same file fidelity and gaps take
    df = generate_cohort(
        spec, n=args.n, populations=args.population, rng=args.seed, programmes=rules
    )
    sha = write_cohort(df, args.out)
    manifest = build_manifest(
        spec=spec,
        seed=args.seed,
        n=args.n,
        populations=args.population,
        csv_sha256=sha,
        n_rows=len(df),
    )
    write_json(manifest, manifest_path(args.out))
    print(f"wrote {len(df):,} people to {args.out} (manifest {manifest_path(args.out)})")
    return 0
