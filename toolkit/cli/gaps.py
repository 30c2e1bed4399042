"""``recall-toolkit gaps``: parses; :func:`toolkit.needs.summary.needs_summary_file` checks and
computes (the API refuses what the command refuses)."""

from __future__ import annotations

from toolkit.cli._common import seed_arg

#: (flag, options) of every argument, as add_argument takes them.
ARGUMENTS = (
    ("cohort", {"metavar": "COHORT", "help": "cohort file (.parquet, .csv, .csv.gz)"}),
    ("--rules", {"metavar": "PATH", "help": "programme rules (TOML); default: the shipped Table 2 "
     "rules"}),
    ("--profile", {"metavar": "PATH", "help": "the profile the cohort was generated from, if it "
     "declares its own categories (e.g. another ethnic group); default: the shipped profile"}),
    ("--by", {"action": "append", "metavar": "COL", "help": "subgroup column (repeatable): e.g. "
     "sex, ethnicity, recall_type, rosh, age_band, sed_band; rows whose group no published figure "
     "describes are marked split = assumed (intervals not printed), and programmes not offered "
     "to a group offered = NO"}),
    ("--stock", {"type": float, "metavar": "N", "help": "national recalled stock to scale to "
     "(default: the published stock on --date, from papers/recall_process_experience/"
     "national.toml)"}),
    ("--date", {"default": "2016-03-31", "metavar": "YYYY-MM-DD", "help": "target date of the "
     "national figures: a date with a published stock in national.toml (default 2016-03-31; also "
     "2016-09-30 and the 2014-03-31 census)"}),
    ("--months", {"type": int, "default": 36, "metavar": "N", "help": "months the capacity "
     "scenario runs (default 36)"}),
    ("--capacity", {"metavar": "FILE", "help": "capacity scenario (TOML or CSV: places_per_year, "
     "length_days, wait_days per programme)"}),
    ("--release", {"choices": ("calibrated", "sed"), "default": "calibrated", "help": "release in "
     "the capacity scenario: calibrated (stays shortened so the census stock and the published "
     "recall flow agree) or sed (everyone stays to SED)"}),
    ("--reading", {"default": "default", "metavar": "NAME", "help": "alternative reading of the "
     "rules (see --sensitivity)"}),
    ("--sensitivity", {"action": "store_true", "help": "also print suitable and unmet counts under "
     "every reading, each marked literal, reading, fitted or no_criteria, and the assumed OVP "
     "bands the violence readings rest on"}),
    ("--pathways", {"action": "store_true", "help": "also report Through the Gate resettlement "
     "pathway levels (recalled)"}),
    ("--pathway-reading", {"default": "default", "metavar": "NAME", "help": "complexity reading "
     "for Level 3: default (recalled prisoners are a complex cohort) or person_only"}),
    ("--seed", {"type": seed_arg, "default": 0, "help": "seed for the bootstrap"}),
    ("--json", {"metavar": "OUT", "help": "write the result as JSON"}),
    ("--csv", {"metavar": "OUT", "help": "write the table as CSV"}),
)  # fmt: skip


def register(sub) -> None:
    p = sub.add_parser(
        "gaps",
        help="needs gaps against accredited programmes",
        description="Suitable vs attended vs unmet need per accredited programme (Table 2), "
        "with intervals, subgroups, national scaling and capacity scenarios.",
    )
    for flag, options in ARGUMENTS:
        p.add_argument(flag, **options)
    p.set_defaults(func=run)


def run(args) -> int:
    from toolkit.cli._common import require_memory
    from toolkit.cohort.io import cohort_format
    from toolkit.needs.summary import MEMORY_BASE_BYTES, MEMORY_BYTES_PER_ROW, write_needs_summary
    from toolkit.review.national import capacity_admissions

    def check_memory(rows: int | None) -> None:  # in the command's words
        if rows is not None:  # unreadable: reading the cohort gives the error
            per_row = MEMORY_BYTES_PER_ROW[cohort_format(args.cohort)]
            what = f"gaps {args.cohort} (about {rows:,} rows)"
            advice = "use a cohort of {fits} rows or fewer"
            require_memory(MEMORY_BASE_BYTES, per_row, rows, what, flag="--n", advice=advice)

    _, written = write_needs_summary(
        args.cohort, json_out=args.json, csv_out=args.csv, rules=args.rules,
        capacity=args.capacity, profile=args.profile, before_work=check_memory, show=print,
        sensitivity=args.sensitivity, pathways=args.pathways, pathway_reading=args.pathway_reading,
        by=args.by, reading=args.reading, stock="auto" if args.stock is None else args.stock,
        target_date=args.date, capacity_months=args.months, capacity_release=args.release,
        rng=args.seed, annual_recalls=capacity_admissions() if args.capacity else None,
    )  # fmt: skip
    if written:  # said only once every output is in place
        print(f"wrote {' and '.join(written)}")
    return 0
