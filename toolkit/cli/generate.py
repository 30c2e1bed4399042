"""``recall-toolkit generate``."""

from __future__ import annotations

from toolkit.cli._common import (
    PROFILE_ARG,
    load_profile_arg,
    positive_int,
    require_memory,
    seed_arg,
)


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


#: Peak bytes per person of ``generate`` (cohort, generation temporaries and the output
#: writer): peak RSS measured at 200,000, 400,000 and 1,000,000 people per output format (see
#: benchmarks/README.md, issue 12) and rounded up: CSV is the most expensive writer.
BYTES_PER_PERSON = {"parquet": 600, "csv": 1_100, "csv.gz": 1_100}
#: Interpreter, numpy, pandas, scipy and pyarrow imports.
BASE_BYTES = 300e6


def run(args) -> int:
    from toolkit.cohort.io import atomic_outputs, build_manifest, cohort_format, manifest_path

    fmt = cohort_format(args.out)  # reject a bad suffix before any work
    with atomic_outputs() as out:
        # Both outputs are reserved first, so an unwritable folder is refused at once and
        # Ctrl-C or an error at any point leaves neither file behind.
        out.protect(args.profile, args.rules)
        out.reserve(args.out)
        out.reserve(manifest_path(args.out))
        if args.n is not None:
            require_memory(
                BASE_BYTES,
                BYTES_PER_PERSON[fmt],
                args.n,
                f"generate --n {args.n:,}",
                flag="--n",
            )
        from toolkit.cohort.generate import generate_cohort
        from toolkit.profile.rules import load_programme_rules
        from toolkit.report.progress import stage_bar

        # Stages, not people: generation is vectorised over people, so there is nothing finer
        # to count; at 1,000,000 rows each stage takes seconds.
        with stage_bar(3, "generate") as bar:
            bar.set_postfix_str("loading the profile and rules")
            spec = load_profile_arg(args.profile)
            rules = load_programme_rules(args.rules)  # the same file fidelity and gaps take
            from toolkit.profile.audit import refuse_contradictions

            refuse_contradictions(spec, rules)  # before any work: no cohort can meet them
            bar.update()
            bar.set_postfix_str("building the cohort")
            df = generate_cohort(
                spec, n=args.n, populations=args.population, rng=args.seed, programmes=rules
            )
            bar.update()
            bar.set_postfix_str(f"writing {args.out}")
            hashes = out.write_cohort(df, args.out)
            manifest = build_manifest(
                spec=spec,
                seed=args.seed,
                n=args.n,
                populations=args.population,
                csv_sha256=hashes["csv_sha256"],
                file_sha256=hashes["file_sha256"],
                n_rows=len(df),
                rules=rules,
            )
            out.write_json(manifest, manifest_path(args.out))
            bar.update()
    print(f"wrote {len(df):,} people to {args.out} (manifest {manifest_path(args.out)})")
    return 0
