"""``recall-toolkit fidelity``."""

from __future__ import annotations

from toolkit.cli._common import PROFILE_ARG, RULES_ARG
from toolkit.exceptions import UsageError


def register(sub) -> None:
    p = sub.add_parser(
        "fidelity",
        help="compare a cohort with the published figures",
        description="Print every published figure beside the cohort's value; "
        "exit 1 if any published target fails.",
    )
    p.add_argument("cohort", metavar="COHORT", help="cohort file (.parquet, .csv, .csv.gz)")
    p.add_argument("--profile", **PROFILE_ARG)
    p.add_argument("--rules", **RULES_ARG)
    p.add_argument("--json", metavar="OUT", default=None, help="also write the report as JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    from toolkit.cohort.io import atomic_outputs
    from toolkit.fidelity.report import check_cohort_file
    from toolkit.outputs import progress

    if args.json and not str(args.json).lower().endswith(".json"):
        raise UsageError(f"{args.json}: expected a .json file")
    with atomic_outputs() as outputs:
        outputs.protect(args.cohort, args.profile, args.rules)
        if args.json:
            outputs.reserve(args.json)
        with progress(2, "fidelity") as bar:  # a bar on a terminal, lines in a log
            rep = check_cohort_file(args.cohort, args.profile, args.rules, bar=bar)
        print(rep.render())
        if args.json:
            outputs.write_json(rep.to_dict(), args.json)
    if args.json:  # said only once the rename has happened
        print(f"wrote the fidelity report to {args.json}")
    return 0 if rep.passed else 1
