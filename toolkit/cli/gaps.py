"""``recall-toolkit gaps``."""

from __future__ import annotations

from toolkit.cli._common import load_profile_arg, seed_arg
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
        "--profile",
        metavar="PATH",
        default=None,
        help="the profile the cohort was generated from, if it declares its own categories "
        "(e.g. another ethnic group); default: the shipped profile",
    )
    p.add_argument(
        "--by",
        action="append",
        default=None,
        metavar="COL",
        help="subgroup column (repeatable): e.g. sex, ethnicity, recall_type, rosh, "
        "age_band, sed_band; rows whose group no published figure describes are marked "
        "split = assumed (intervals not printed), and programmes not offered to a group "
        "offered = NO",
    )
    p.add_argument(
        "--stock",
        type=float,
        default=None,
        metavar="N",
        help="national recalled stock to scale to (default: the published stock on --date, "
        "from papers/recall_process_experience/national.toml)",
    )
    p.add_argument(
        "--date",
        default="2016-03-31",
        metavar="YYYY-MM-DD",
        help="target date of the national figures: a date with a published stock in "
        "national.toml (default 2016-03-31; also 2016-09-30 and the 2014-03-31 census)",
    )
    p.add_argument(
        "--months",
        type=int,
        default=36,
        metavar="N",
        help="months the capacity scenario runs (default 36)",
    )
    p.add_argument(
        "--capacity",
        metavar="FILE",
        default=None,
        help="capacity scenario (TOML or CSV: places_per_year, length_days, "
        "wait_days per programme)",
    )
    p.add_argument(
        "--release",
        choices=("calibrated", "sed"),
        default="calibrated",
        help="release in the capacity scenario: calibrated (stays shortened so the census "
        "stock and the published recall flow agree) or sed (everyone stays to SED)",
    )
    p.add_argument(
        "--reading",
        default="default",
        metavar="NAME",
        help="alternative reading of the rules (see --sensitivity)",
    )
    p.add_argument(
        "--sensitivity",
        action="store_true",
        help="also print suitable and unmet counts under every reading, each marked literal, "
        "reading, fitted or no_criteria, and the assumed OVP bands the violence readings rest on",
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


#: Memory ``gaps`` needs: interpreter and libraries, then bytes per cohort row by format.
#: Measured (issue 23, ``/usr/bin/time -v``): a standard-recall Parquet cohort peaks at
#: 0.41 GB at 250,000 rows, 0.71 GB at 1,000,000 and 1.42 GB at 2,000,000 (about 710 bytes a
#: row); CSV at 0.51 GB at 250,000 rows (text parsed to strings first, about 1,000 a row).
#: Rounded up by about 10% (*assumed* margin for other profiles' columns).
BASE_BYTES = 250e6
BYTES_PER_ROW = {"parquet": 800, "csv": 1_100, "csv.gz": 1_100}

#: Fewest people in the Table 2 base (standard recalls with OASys) that ``gaps`` will scale to
#: a national figure. *Assumed*: below 30 the 95% Wilson interval of a share near 50% is wider
#: than +/-17 percentage points, i.e. more than +/-1,100 people on the 6,564 stock, so a national
#: figure says nothing (issue 12: one person gave a national unmet need of 4,923).
MIN_BASE = 30


def run(args) -> int:
    import json as _json

    from toolkit.cohort.io import atomic_outputs, read_cohort
    from toolkit.needs.gap import estimate_needs_gap, load_capacity
    from toolkit.outputs import progress
    from toolkit.profile.rules import (
        base_mask,
        load_programme_rules,
        reading_summary,
        score_bands,
        sensitivity_table,
    )
    from toolkit.validation import require_rows

    for out, suffix in ((args.json, ".json"), (args.csv, ".csv")):
        if out and not str(out).lower().endswith(suffix):
            raise UsageError(f"{out}: expected a {suffix} file")
    if args.months < 1:
        raise UsageError(f"--months: months must be a whole number >= 1; got {args.months}")
    with atomic_outputs() as outputs:
        # Every output is reserved before the work and renamed only when all are written.
        outputs.protect(args.cohort, args.rules, args.capacity, args.profile)
        for out in (args.json, args.csv):
            if out:
                outputs.reserve(out)
        _check_memory(args.cohort)  # before any work, as generate does
        bar = progress(2, "gaps")  # a bar on a terminal, lines in a log
        bar.stage(f"reading {args.cohort}")
        rules = load_programme_rules(args.rules)
        capacity = load_capacity(args.capacity, rules) if args.capacity else None
        spec = load_profile_arg(args.profile) if args.profile else None
        cohort = read_cohort(args.cohort, rules=rules, spec=spec)
        bar.update()
        require_rows(
            int(base_mask(cohort, rules).sum()),
            MIN_BASE,
            args.cohort,
            "people in the Table 2 base (standard recalls with OASys)",
            "fewer cannot support a national figure",
        )
        bar.stage("estimating the needs gap")
        res = estimate_needs_gap(
            cohort,
            rules,
            by=args.by,
            reading=args.reading,
            stock="auto" if args.stock is None else args.stock,
            target_date=args.date,
            capacity=capacity,
            capacity_months=args.months,
            capacity_release=args.release,
            spec=spec,
            annual_recalls=_capacity_admissions() if capacity is not None else None,
            rng=args.seed,
        )
        bar.update()
        bar.close()
        print(res.render())
        sens = sensitivity_table(cohort, rules)
        bands = score_bands(cohort, rules) if "ovp_2yr" in cohort.columns else None
        if args.sensitivity:
            print("\nSuitable and unmet counts under each reading (Table 2 base)")
            shown = sens.drop(columns=["note", "criteria"]).copy()  # both in --json
            shown["literal"] = ["LITERAL" if x else "" for x in shown["literal"]]
            shown["unmet_pct"] = shown["unmet_pct"].round(1)
            print(shown.to_string(index=False))
            print(
                "  reading_kind: literal = the footnote's rule as printed; reading = one "
                "reading of what it leaves open; fitted = adds a quantity the footnote does "
                "not name, set to meet the published count; no_criteria = none printed"
            )
            print(
                "  fitted_to_count: unpublished columns the reading reads, built so the "
                "default readings meet Table 2"
            )
            for line in reading_summary(sens, rules):
                print(f"  - {line}")
            if bands is not None:
                print(
                    "\nOVP (2-year) bands the violence readings depend on: ASSUMED, not "
                    "published (the generator builds OVP; index60 and the moderate/high "
                    "split rest on it)"
                )
                print(bands.round(1).to_string(index=False))
        pw = None
        if args.pathways:
            from toolkit.needs.pathways import load_pathway_rules, ttg_report

            prules = load_pathway_rules()
            if args.pathway_reading not in prules.readings:
                raise UsageError(
                    f"--pathway-reading: unknown reading {args.pathway_reading!r}; expected one "
                    f"of {', '.join(prules.readings)}"
                )
            recalled = cohort[cohort["recall_type"].notna()]
            pw = ttg_report(recalled, prules, reading=args.pathway_reading)
            print(f"\nResettlement pathways, all recalled (reading: {args.pathway_reading})")
            print(pw.render())
        if args.json:
            d = res.to_dict()
            d["sensitivity"] = _json.loads(sens.to_json(orient="records"))
            d["reading_summary"] = reading_summary(sens, rules)
            if bands is not None:
                d["ovp_bands_assumed"] = _json.loads(bands.to_json(orient="records"))
            if pw is not None:
                d["pathways"] = _json.loads(pw.table.to_json(orient="records"))
                d["pathway_groups"] = _json.loads(pw.groups.to_json(orient="records"))
                d["pathway_notes"] = list(pw.notes)
            outputs.write_json(d, args.json)
        if args.csv:
            outputs.write_text(args.csv, res.table.to_csv(index=False, lineterminator="\n"))
    written = [f for f in (args.json, args.csv) if f]
    if written:  # said only once every output is in place
        print(f"wrote {' and '.join(written)}")
    return 0


def _capacity_admissions():
    from toolkit.review.national import capacity_admissions

    return capacity_admissions()


def _check_memory(path: str) -> None:
    """Refuse a cohort too large for this machine's memory before reading it."""
    from toolkit.cli._common import require_memory
    from toolkit.cohort.io import cohort_format
    from toolkit.cohort.rows import estimate_rows

    rows = estimate_rows(path)
    if rows is None:  # unreadable: read_cohort gives the error
        return
    require_memory(
        BASE_BYTES,
        BYTES_PER_ROW[cohort_format(path)],
        rows,
        f"gaps {path} (about {rows:,} rows)",
        flag="--n",
        advice="use a cohort of {fits} rows or fewer",
    )
