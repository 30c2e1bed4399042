"""``recall-toolkit gaps``."""

from __future__ import annotations

from toolkit.cli._common import seed_arg
from toolkit.exceptions import UsageError


def register(sub) -> None:
    p = sub.add_parser(
        "gaps",
        help="needs gaps against accredited programmes",
        description="Suitable vs attended vs unmet need per accredited programme "
        "(Table 2), with intervals, subgroups, national scaling and "
        "capacity scenarios.",
    )
    p.add_argument("cohort", metavar="COHORT", help="cohort file (.parquet, .csv, .csv.gz)")
    p.add_argument(
        "--rules",
        metavar="PATH",
        default=None,
        help="programme rules (TOML); default: the shipped Table 2 rules",
    )
    p.add_argument(
        "--by",
        action="append",
        default=None,
        metavar="COL",
        help="subgroup column (repeatable): e.g. sex, ethnicity, recall_type, rosh, "
        "age_band, sed_band",
    )
    p.add_argument(
        "--stock",
        type=float,
        default=6564,
        metavar="N",
        help="national recalled stock to scale to (default 6,564, 31 March 2016)",
    )
    p.add_argument(
        "--capacity",
        metavar="FILE",
        default=None,
        help="capacity scenario (TOML or CSV: places_per_year, length_days, "
        "wait_days per programme)",
    )
    p.add_argument(
        "--reading",
        default="default",
        metavar="NAME",
        help="alternative reading of the rules (see --sensitivity)",
    )
    p.add_argument(
        "--sensitivity", action="store_true", help="also print suitable counts under every reading"
    )
    p.add_argument(
        "--pathways",
        action="store_true",
        help="also report Through the Gate resettlement pathway levels (recalled)",
    )
    p.add_argument(
        "--pathway-reading",
        default="default",
        metavar="NAME",
        help="complexity reading for Level 3: default (recalled prisoners are a "
        "complex cohort) or person_only",
    )
    p.add_argument("--seed", type=seed_arg, default=0, help="seed for the bootstrap")
    p.add_argument("--json", metavar="OUT", default=None, help="write the result as JSON")
    p.add_argument("--csv", metavar="OUT", default=None, help="write the table as CSV")
    p.set_defaults(func=run)


#: Fewest people in the Table 2 base (standard recalls with OASys) that ``gaps`` will scale to
#: a national figure. *Assumed*: below 30 the 95% Wilson interval of a share near 50% is wider
#: than +/-17 percentage points, i.e. more than +/-1,100 people on the 6,564 stock, so a national
#: figure says nothing (issue 12: one person gave a national unmet need of 4,923).
MIN_BASE = 30


def run(args) -> int:
    import json as _json

    from toolkit.cohort.io import atomic_outputs, read_cohort
    from toolkit.needs.gap import estimate_needs_gap, load_capacity
    from toolkit.profile.rules import base_mask, load_programme_rules, sensitivity_table
    from toolkit.validation import require_rows

    for out, suffix in ((args.json, ".json"), (args.csv, ".csv")):
        if out and not str(out).lower().endswith(suffix):
            raise UsageError(f"{out}: expected a {suffix} file")
    with atomic_outputs() as outputs:
        # Every output is reserved before the work and renamed only when all are written.
        outputs.protect(args.cohort, args.rules, args.capacity)
        for out in (args.json, args.csv):
            if out:
                outputs.reserve(out)
        rules = load_programme_rules(args.rules)
        capacity = load_capacity(args.capacity, rules) if args.capacity else None
        cohort = read_cohort(args.cohort)
        require_rows(
            int(base_mask(cohort, rules).sum()),
            MIN_BASE,
            args.cohort,
            "people in the Table 2 base (standard recalls with OASys)",
            "fewer cannot support a national figure",
        )
        res = estimate_needs_gap(
            cohort,
            rules,
            by=args.by,
            reading=args.reading,
            stock=args.stock,
            capacity=capacity,
            rng=args.seed,
        )
        print(res.render())
        sens = sensitivity_table(cohort, rules)
        if args.sensitivity:
            print("\nSuitable counts under each reading (Table 2 base)")
            print(sens.to_string(index=False))
        pw = None
        if args.pathways:
            from toolkit.needs.pathways import pathway_levels

            recalled = cohort[cohort["recall_type"].notna()]
            pw = pathway_levels(recalled, reading=args.pathway_reading)
            print(f"\nResettlement pathways, all recalled (reading: {args.pathway_reading})")
            cols = ["label", "n", "need", "level_2_only", "level_3", "need_pct", "level_3_pct"]
            print(pw[cols].round(1).to_string(index=False))
        if args.json:
            d = res.to_dict()
            d["sensitivity"] = _json.loads(sens.to_json(orient="records"))
            if pw is not None:
                d["pathways"] = _json.loads(pw.to_json(orient="records"))
            outputs.write_json(d, args.json)
        if args.csv:
            outputs.write_text(args.csv, res.table.to_csv(index=False, lineterminator="\n"))
    return 0
