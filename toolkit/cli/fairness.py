"""``recall-toolkit fairness``: flag rates, calibration and benefit by sex, ethnicity, age band."""

from __future__ import annotations

import sys

from toolkit.cli._common import add_caseload_vocab_args, caseload_vocab, positive_int, seed_arg


def register(sub) -> None:
    p = sub.add_parser(
        "fairness",
        help="fairness audit of the review-priority suggestions",
        description="Audit the suggestions by sex, ethnicity and age band with 95%% intervals: "
        "share suggested for review and its difference from the largest group, mean predicted "
        "chance and days gained, and, where RECORDS hold outcome columns (releasable_28d "
        "yes/no, days_gained), observed rates and the calibration gap. RECORDS is a caseload "
        "CSV (optionally with those outcome columns), or the word `simulated` for held-out "
        "simulated cases with known outcomes, or the records of `recall-toolkit simulate "
        "--out` (.parquet or .csv): then, per strategy, each group's released-before-SED "
        "share, supervised days, serious further offences and re-recalls, the gap to the "
        "largest group with an interval over replications, and the change of that gap against "
        "--baseline, paired by replication. Groups too small to read are marked.",
    )
    p.add_argument("records", metavar="RECORDS", help="caseload CSV, or `simulated`")
    p.add_argument("--out", metavar="TABLE.csv", default=None, help="write the table as CSV")
    p.add_argument("--capacity", type=positive_int, default=20, metavar="N")
    p.add_argument("--as-of", default=None, metavar="DATE")
    p.add_argument("--n", type=positive_int, default=20_000, help="simulated cases (simulated)")
    p.add_argument("--seed", type=seed_arg, default=1)
    p.add_argument(
        "--baseline",
        default=None,
        metavar="STRATEGY",
        help="simulation records: strategy the gaps are compared with (fifo if run, else the "
        "first)",
    )
    add_caseload_vocab_args(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from toolkit.outputs import atomic_outputs
    from toolkit.priority.fairness import audit_fairness

    res = audit_fairness(
        args.records,
        as_of=args.as_of,
        capacity=args.capacity,
        n=args.n,
        rng=args.seed,
        baseline=args.baseline,
        **caseload_vocab(args),
    )
    if res.as_of is not None:
        print(f"as of {res.as_of.date()}", file=sys.stderr)
    if args.out:
        with atomic_outputs() as outputs:
            outputs.protect(args.records, args.rules, args.profile)
            outputs.write(args.out, lambda tmp: res.table.to_csv(tmp, index=False))
        print(f"wrote {args.out}", file=sys.stderr)
    print(res.render())
    print(f"note: {res.note}", file=sys.stderr)
    return 0
