"""``recall-toolkit fidelity``."""

from __future__ import annotations

from toolkit.cli._common import PROFILE_ARG, load_profile_arg
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
    p.add_argument(
        "--rules",
        metavar="PATH",
        default=None,
        help="programme rules (TOML); default: the shipped Table 2 rules",
    )
    p.add_argument("--json", metavar="OUT", default=None, help="also write the report as JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    from toolkit.cohort.io import atomic_outputs, read_cohort
    from toolkit.fidelity.report import fidelity_report
    from toolkit.outputs import progress
    from toolkit.profile.rules import load_programme_rules

    if args.json and not str(args.json).lower().endswith(".json"):
        raise UsageError(f"{args.json}: expected a .json file")
    with atomic_outputs() as outputs:
        outputs.protect(args.cohort, args.profile, args.rules)
        if args.json:
            outputs.reserve(args.json)
        with progress(2, "fidelity") as bar:  # a bar on a terminal, lines in a log
            bar.stage(f"reading {args.cohort}")
            spec = load_profile_arg(args.profile)
            rules = load_programme_rules(args.rules)
            from toolkit.profile.audit import refuse_contradictions

            refuse_contradictions(spec, rules)  # a contradiction is named, not blamed on N
            # refuses an empty cohort ("0/0 targets met"); columns and categories follow the
            # profile and rules the cohort was generated with
            cohort = read_cohort(args.cohort, rules=rules, spec=spec)
            bar.update()
            bar.stage("comparing with the published figures")
            rep = fidelity_report(cohort, spec, programmes=rules)
            bar.update()
        print(rep.render())
        if args.json:
            outputs.write_json(rep.to_dict(), args.json)
    if args.json:  # said only once the rename has happened
        print(f"wrote the fidelity report to {args.json}")
    return 0 if rep.passed else 1
