"""``recall-toolkit simulate``: parses its arguments and calls
:func:`toolkit.review.commands.simulate_to_files`, which checks them, chooses the census,
simulates, writes the outputs and returns the report printed here."""

from __future__ import annotations

from toolkit.cli._common import PROFILE_ARG, positive_int, require_memory, seed_arg
from toolkit.defaults import DEFAULT_SEED

#: Peak bytes per person x strategy x replication episode (records plus engine temporaries),
#: from peak RSS at 400,000, 800,000 and 2,000,000 episodes (about 270 B each; issue 12),
#: rounded up.
BYTES_PER_EPISODE = 400
#: Interpreter and library imports plus the census cohort.
BASE_BYTES = 400e6
STRATEGY_HELP = (
    "board_only (alias sed: no executive reviews, the Parole Board's statutory reviews still "
    "run), formal, proactive:every=K, event[:after=K], capacity:per_week=R,priority=fifo|random|"
    "nearest_sed|cleared_nearest_sed|scorer|oracle (repeatable; each at most once)"
)


def register(sub) -> None:
    p = sub.add_parser(
        "simulate",
        help="simulate review strategies",
        description="Simulate review strategies on admissions drawn from a census cohort "
        "(weighted 1 / expected stay); one record per person x strategy x replication "
        "(columns: toolkit.review.RECORD_COLUMNS). The Parole Board timetable runs for "
        "everyone; strategies add executive reviews.",
    )
    cohort_help = f"census cohort (default: generate one from --profile, seed {DEFAULT_SEED})"
    p.add_argument("--cohort", metavar="FILE", default=None, help=cohort_help)
    p.add_argument("--profile", **PROFILE_ARG)
    rules_help = "release rules (TOML); default: the shipped release_rules.toml"
    p.add_argument("--rules", metavar="PATH", default=None, help=rules_help)
    p.add_argument(
        "--strategy", action="append", required=True, metavar="NAME[:k=v,...]", help=STRATEGY_HELP
    )
    p.add_argument("--replications", type=positive_int, default=10, metavar="R")
    n_help = "admissions per replication"
    p.add_argument("--n", type=positive_int, default=10_000, metavar="N", help=n_help)
    pop_help = "recall types to admit (default: standard)"
    p.add_argument("--population", action="append", default=None, metavar="TYPE", help=pop_help)
    growth_help = (
        "yearly growth of the recall flow for national figures (e.g. 0.15, published for "
        "March 2015-March 2016); default stationary"
    )
    p.add_argument("--growth", type=float, default=None, metavar="G", help=growth_help)
    p.add_argument("--seed", type=seed_arg, required=True)
    p.add_argument("--out", required=True, metavar="RECORDS", help="records: .parquet or .csv")
    summary_help = "summary keyed by strategy as written, with _lo/_hi bounds"
    p.add_argument("--summary", metavar="SUMMARY.json", default=None, help=summary_help)
    p.set_defaults(func=run)


def run(args) -> int:
    from toolkit.review.commands import simulate_to_files

    k = len(set(args.strategy))
    what = f"simulate --n {args.n:,} x {args.replications:,} replications x {k} strategies"
    require_memory(BASE_BYTES, BYTES_PER_EPISODE * args.replications * k, args.n, what, flag="--n")
    text = simulate_to_files(
        args.strategy,
        args.out,
        summary=args.summary,
        cohort=args.cohort,
        profile=args.profile,
        rules=args.rules,
        n=args.n,
        replications=args.replications,
        populations=args.population,
        growth=args.growth,
        rng=args.seed,
    )
    print(text)
    return 0
