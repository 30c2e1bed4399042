"""``recall-toolkit simulate``."""

from __future__ import annotations

from toolkit.cli._common import (
    PROFILE_ARG,
    load_profile_arg,
    positive_int,
    require_memory,
    seed_arg,
)
from toolkit.defaults import DEFAULT_SEED
from toolkit.exceptions import UsageError


def register(sub) -> None:
    p = sub.add_parser(
        "simulate",
        help="simulate review strategies",
        description="Simulate review strategies on admissions drawn from a census cohort "
        "(weighted 1 / expected stay); one record per person x strategy x replication "
        "(columns: toolkit.review.RECORD_COLUMNS). The Parole Board timetable runs for "
        "everyone; strategies add executive reviews.",
    )
    p.add_argument(
        "--cohort",
        metavar="FILE",
        default=None,
        help=f"census cohort (default: generate one from --profile, seed {DEFAULT_SEED})",
    )
    p.add_argument("--profile", **PROFILE_ARG)
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
        help="board_only (alias sed: no executive reviews, the Parole Board's statutory reviews "
        "still run), formal, proactive:every=K, event[:after=K], "
        "capacity:per_week=R,priority=fifo|random|nearest_sed|cleared_nearest_sed|scorer|oracle "
        "(repeatable; each at most once)",
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
    p.add_argument(
        "--growth",
        type=float,
        default=None,
        metavar="G",
        help="yearly growth of the recall flow for national figures (e.g. 0.15, published "
        "for March 2015-March 2016); default stationary",
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


def default_score():
    """The practitioner scorer's simulation score function, when that package provides one
    (``toolkit.priority.simulation_score(features) -> array``); else None, and the ``scorer``
    ordering uses its documented fallback (toolkit.review.ordering.fallback_score)."""
    try:
        from toolkit.priority import simulation_score
    except ImportError:
        return None
    return simulation_score


#: Strategy names accepted on the command line and the name outputs use for them.
ALIASES = {"sed": "board_only"}
#: The strategy the others are compared with (paired differences), when given.
BASELINE = "formal"

#: Peak bytes per person x strategy x replication episode (records plus engine temporaries),
#: from peak RSS at 400,000, 800,000 and 2,000,000 episodes (about 270 B each; issue 12),
#: rounded up.
BYTES_PER_EPISODE = 400
#: Interpreter and library imports plus the census cohort.
BASE_BYTES = 400e6


def run(args) -> int:
    from toolkit.cohort.io import atomic_outputs, cohort_format
    from toolkit.review import parse_strategy
    from toolkit.review.strategies import check_distinct

    score = default_score() if any("scorer" in s for s in args.strategy) else None
    strategies = {}
    for given in args.strategy:
        # outputs name the strategy for what it does: `sed` is accepted, printed as board_only
        name = ALIASES.get(given, given)
        if name in strategies:
            raise UsageError(f"strategy {name!r} given twice; give each strategy once")
        strategies[name] = parse_strategy(given, score=score)
    check_distinct(strategies)
    if args.growth is not None and not -0.99 < args.growth < 10:
        raise UsageError(f"--growth must be a yearly rate between -0.99 and 10; got {args.growth}")
    fmt = cohort_format(args.out)
    if fmt == "csv.gz":
        raise UsageError(f"{args.out}: records are written as .parquet or .csv")
    if args.summary and not str(args.summary).lower().endswith(".json"):
        raise UsageError(f"{args.summary}: the summary is a .json file")
    if args.cohort and args.profile:
        raise UsageError("give --cohort or --profile, not both")
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

    from toolkit.review import load_release_rules
    from toolkit.review.engine import RecordStream, summary_json, summary_rows
    from toolkit.review.output import write_records

    rules = load_release_rules(args.rules)
    pops = args.population or ["standard"]
    national = None
    if args.cohort:
        from toolkit.review.census import read_census

        # only the columns the model reads, checked as read_cohort checks them
        cohort = read_census(args.cohort)
    elif args.profile is None:
        from toolkit.review.census import default_census

        # the shipped profile's census of every recall type, stored (identical to generating
        # it, which costs more than simulating 2,000,000 episodes; toolkit.review.census)
        cohort = national = default_census()
    else:
        from toolkit.cohort.generate import generate_cohort
        from toolkit.review.census import CENSUS_SEED, prepare_census
        from toolkit.schema import RECALL_TYPES

        # one census of every recall type: the simulated admissions come from its `pops`
        # rows, the national stock mix from all of it
        spec = load_profile_arg(args.profile)
        # the recall types the profile describes (a profile may leave any of them out)
        types = [t for t in spec.populations if t in RECALL_TYPES]
        missing = [p for p in pops if p not in types]
        if missing:
            raise UsageError(
                f"{spec.path} has no {missing[0]} recalls to simulate; give --population with "
                f"one or more of: {', '.join(types) or '(none: the profile has no recall types)'}"
            )
        cohort = generate_cohort(spec, populations=types, rng=CENSUS_SEED)
        cohort = national = prepare_census(cohort)
    # the output layer's progress: a bar on a terminal, a line per tenth in a log (issue 20)
    from toolkit.outputs import progress as make_progress

    bar = make_progress(args.replications * len(strategies), "simulate", unit="replication")

    def progress(done, total):
        bar.count(done, total)

    stream = RecordStream(
        cohort,
        strategies,
        rules,
        n=args.n,
        n_replications=args.replications,
        populations=pops,
        rng=args.seed,
        progress=progress,
    )
    means = None

    def _write(tmp):
        nonlocal means
        # records go to the file strategy x replication by strategy x replication, and the
        # summary comes from the same pass (no frame of all records)
        means = write_records(stream, tmp, fmt)

    with bar:
        outputs.write(args.out, _write)
    nat = stream.national(growth=args.growth, national_census=national, cohort=cohort)
    flow = nat["annual_recalls_now"] * nat["flow_share"]
    summary = summary_rows(means, stream.names, flow)
    _print_report(summary, means, stream.names, flow, nat, rules, args)
    if args.summary:
        outputs.write_json(summary_json(summary, stream.names), args.summary)
    return 0


def _print_report(summary, means, names, flow, nat, rules, args) -> None:
    """The summary in groups that fit 100 columns, paired differences from formal, the
    national figures and which inputs are published and which assumed."""
    import textwrap

    from toolkit.review.national import littles_law_text
    from toolkit.review.output import (
        inputs_line,
        paired_differences,
        render_differences,
        render_groups,
    )

    print(render_groups(summary, n_replications=args.replications))
    if len(names) > 1:
        base = BASELINE if BASELINE in names else names[0]
        diffs = paired_differences(means, list(names), flow, base)
        print()
        print(render_differences(diffs, base))
        if base != BASELINE:
            print(f"(give --strategy {BASELINE} to compare every strategy with today's reviews)")
    print()
    print(
        textwrap.fill(
            f"National: {flow:,.0f} admissions a year of the simulated recall types "
            f"({', '.join(args.population or ['standard'])}); national bed-days and costs per "
            "strategy are in the JSON summary.",
            100,
        )
    )
    print(textwrap.fill(littles_law_text(nat), 100))
    if args.profile or args.cohort:
        print(
            textwrap.fill(
                f"The national figures scale this census by the national model ({nat['source']}; "
                "England and Wales, 2014-16): read them as national only if this census "
                "describes the same recalled population.",
                100,
            )
        )
    print(inputs_line(rules, rules.national))
