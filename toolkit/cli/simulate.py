"""``recall-toolkit simulate``."""

from __future__ import annotations

import sys

from toolkit.cli._common import DEFAULT_DEMO_SEED, positive_int, require_memory, seed_arg
from toolkit.exceptions import UsageError


def register(sub) -> None:
    p = sub.add_parser(
        "simulate",
        help="simulate review strategies",
        description="Simulate review strategies on admissions drawn from a "
        "cohort; one record per person x strategy x replication.",
    )
    p.add_argument(
        "--cohort",
        metavar="FILE",
        default=None,
        help="census cohort (default: generate the standard recalls, seed 20140331)",
    )
    p.add_argument(
        "--rules",
        metavar="PATH",
        default=None,
        help="release rules (TOML); default: the shipped release_rules.toml",
    )
    p.add_argument(
        "--strategy",
        action="append",
        required=True,
        metavar="NAME[:k=v,...]",
        help="sed, formal, proactive:every=K, event, "
        "capacity:per_week=R,priority=fifo|random|nearest_sed|scorer "
        "(repeatable)",
    )
    p.add_argument("--replications", type=positive_int, default=10, metavar="R")
    p.add_argument(
        "--n", type=positive_int, default=10_000, metavar="N", help="admissions per replication"
    )
    p.add_argument(
        "--population",
        action="append",
        default=None,
        metavar="TYPE",
        help="recall types to admit (default: standard)",
    )
    p.add_argument("--seed", type=seed_arg, required=True)
    p.add_argument("--out", required=True, metavar="RECORDS", help="records: .parquet or .csv")
    p.add_argument(
        "--summary",
        metavar="SUMMARY.json",
        default=None,
        help="summary keyed by strategy as written, with _lo/_hi bounds",
    )
    p.set_defaults(func=run)


#: Peak bytes per person x strategy x replication episode (records plus engine temporaries),
#: from peak RSS at 400,000, 800,000 and 2,000,000 episodes (about 270 B each; issue 12),
#: rounded up.
BYTES_PER_EPISODE = 400
#: Interpreter and library imports plus the census cohort.
BASE_BYTES = 400e6


def run(args) -> int:
    from toolkit.cohort.io import atomic_outputs, cohort_format
    from toolkit.review import parse_strategy

    strategies = {name: parse_strategy(name) for name in args.strategy}
    fmt = cohort_format(args.out)
    if fmt == "csv.gz":
        raise UsageError(f"{args.out}: records are written as .parquet or .csv")
    if args.summary and not str(args.summary).lower().endswith(".json"):
        raise UsageError(f"{args.summary}: the summary is a .json file")
    per_n = BYTES_PER_EPISODE * args.replications * len(strategies)
    require_memory(
        BASE_BYTES,
        per_n,
        args.n,
        f"simulate --n {args.n:,} x {args.replications:,} replications x "
        f"{len(strategies)} strategies",
        flag="--n",
    )
    # All outputs are reserved now and renamed only when all are written (issue 12).
    with atomic_outputs() as outputs:
        outputs.protect(args.cohort, args.rules)
        outputs.reserve(args.out)
        if args.summary:
            outputs.reserve(args.summary)
        return _run(args, strategies, fmt, outputs)


def _run(args, strategies, fmt, outputs) -> int:
    import time

    from toolkit.cohort.io import read_cohort
    from toolkit.review import load_release_rules, simulate_reviews

    rules = load_release_rules(args.rules)
    if args.cohort:
        cohort = read_cohort(args.cohort)
    else:
        from toolkit.cohort.generate import generate_cohort

        cohort = generate_cohort(populations=args.population or ["standard"], rng=DEFAULT_DEMO_SEED)
    start = time.perf_counter()

    def progress(done, total):
        if total > 1:
            bar = "#" * int(30 * done / total)
            print(
                f"\rsimulating [{bar:<30}] {done}/{total} replications "
                f"({time.perf_counter() - start:.1f} s)",
                end="",
                file=sys.stderr,
                flush=True,
            )
            if done == total:
                print(file=sys.stderr)

    res = simulate_reviews(
        cohort,
        strategies,
        rules,
        n=args.n,
        n_replications=args.replications,
        populations=args.population or ["standard"],
        rng=args.seed,
        progress=progress,
    )

    def _write(tmp):
        if fmt == "parquet":
            res.records.to_parquet(tmp, index=False)
        else:
            res.records.to_csv(tmp, index=False)

    outputs.write(args.out, _write)
    print(res.render())
    if args.summary:
        outputs.write_json(res.summary_json(), args.summary)
    return 0
