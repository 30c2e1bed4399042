"""The ``recall-toolkit`` command line. Thin: it calls the public API and formats the result.

Exit codes: 0 success; 1 a check failed (fidelity target missed, audit finding unresolved);
2 bad input (message on stderr, no traceback, no partial output).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from toolkit import __version__
from toolkit.exceptions import ToolkitError, UsageError

DEFAULT_DEMO_SEED = 20140331


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number; got {text!r}") from None
    if v <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of people; got {v}")
    return v


def _seed(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a non-negative whole number; got {text!r}"
        ) from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative whole number; got {v}")
    return v


def gap_rules():
    from toolkit.profile.rules import load_programme_rules

    return load_programme_rules()


def _load(profile):
    from toolkit.profile.spec import load_profile

    return load_profile(profile)


def cmd_generate(args) -> int:
    from toolkit.cohort.generate import generate_cohort
    from toolkit.cohort.io import (
        build_manifest,
        cohort_format,
        manifest_path,
        write_cohort,
        write_json,
    )

    cohort_format(args.out)  # reject a bad suffix before any work
    spec = _load(args.profile)
    df = generate_cohort(spec, n=args.n, populations=args.population, rng=args.seed)
    sha = write_cohort(df, args.out)
    manifest = build_manifest(
        spec=spec,
        seed=args.seed,
        n=args.n,
        populations=args.population,
        csv_sha256=sha,
        n_rows=len(df),
    )
    write_json(manifest, manifest_path(args.out))
    print(f"wrote {len(df):,} people to {args.out} (manifest {manifest_path(args.out)})")
    return 0


def cmd_fidelity(args) -> int:
    from toolkit.cohort.io import read_cohort, write_json
    from toolkit.fidelity.report import fidelity_report

    spec = _load(args.profile)
    cohort = read_cohort(args.cohort)
    rep = fidelity_report(cohort, spec)
    print(rep.render())
    if args.json:
        write_json(rep.to_dict(), args.json)
    return 0 if rep.passed else 1


def cmd_audit(args) -> int:
    from toolkit.cohort.io import write_json
    from toolkit.profile.audit import audit_profile

    spec = _load(args.profile)
    res = audit_profile(spec)
    print(
        f"Audit of {spec.path}: {len(res.findings)} checks, {len(res.issues)} findings, "
        f"{len(res.unresolved)} unresolved"
    )
    for f in res.findings:
        if f.status == "consistent" and not args.all:
            continue
        print(f"- [{f.status}] {f.id} ({f.check}): {f.message}")
        if f.needs_resolution:
            print(f"    resolution: {f.resolution or 'UNRESOLVED: add a [[resolutions]] entry'}")
    if args.json:
        import json

        write_json(
            {"spec": spec.path, "findings": json.loads(res.to_frame().to_json(orient="records"))},
            args.json,
        )
    return 0 if not res.unresolved else 1


def cmd_gaps(args) -> int:
    import json as _json

    from toolkit.cohort.io import atomic_write, read_cohort, write_json
    from toolkit.needs.gap import estimate_needs_gap, load_capacity
    from toolkit.profile.rules import load_programme_rules, sensitivity_table

    for out, suffix in ((args.json, ".json"), (args.csv, ".csv")):
        if out and not str(out).lower().endswith(suffix):
            raise UsageError(f"{out}: expected a {suffix} file")
    rules = load_programme_rules(args.rules)
    capacity = load_capacity(args.capacity, rules) if args.capacity else None
    cohort = read_cohort(args.cohort)
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
        write_json(d, args.json)
    if args.csv:
        text = res.table.to_csv(index=False, lineterminator="\n")
        atomic_write(args.csv, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return 0


def cmd_simulate(args) -> int:
    import time

    from toolkit.cohort.io import atomic_write, cohort_format, read_cohort, write_json
    from toolkit.review import load_release_rules, parse_strategy, simulate_reviews

    strategies = {name: parse_strategy(name) for name in args.strategy}
    fmt = cohort_format(args.out)
    if fmt == "csv.gz":
        raise UsageError(f"{args.out}: records are written as .parquet or .csv")
    if args.summary and not str(args.summary).lower().endswith(".json"):
        raise UsageError(f"{args.summary}: the summary is a .json file")
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

    atomic_write(args.out, _write)
    print(res.render())
    if args.summary:
        write_json(res.summary_json(), args.summary)
    return 0


def cmd_calibrate(args) -> int:
    from toolkit.cohort.io import read_cohort
    from toolkit.review import load_release_rules
    from toolkit.review.calibration import calibrate

    rules = load_release_rules(args.rules)
    if args.cohort:
        cohort = read_cohort(args.cohort)
    else:
        from toolkit.cohort.generate import generate_cohort

        cohort = generate_cohort(populations=["standard"], rng=DEFAULT_DEMO_SEED)
    res = calibrate(cohort, rules, n=args.n)
    print("Calibrated (formal strategy, standard recalls):")
    for k, v in res.params.items():
        print(f"  {k} = {v:.4f}")
    print(res.table.round(2).to_string(index=False))
    print(
        f"mean stay {res.mean_stay_days:.0f} days; 21,500 recalls a year x mean stay / 365 = "
        f"{21500 * res.mean_stay_days / 365:,.0f} in custody (published stock 6,564, all types)"
    )
    return 0


def cmd_demo(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from toolkit.cohort.generate import generate_cohort
    from toolkit.cohort.io import build_manifest, write_cohort, write_json
    from toolkit.fidelity.report import fidelity_report
    from toolkit.report.plots import plot_fidelity, plot_figure1

    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{out}: cannot create the output directory ({exc.strerror})") from None
    spec = _load(args.profile)
    print(f"1/4 generating the default cohort (seed {args.seed}) ...", flush=True)
    df = generate_cohort(spec, rng=args.seed)
    cohort_path = out / "cohort.parquet"
    sha = write_cohort(df, cohort_path)
    write_json(
        build_manifest(
            spec=spec, seed=args.seed, n=None, populations=None, csv_sha256=sha, n_rows=len(df)
        ),
        out / "cohort.manifest.json",
    )
    print("2/4 fidelity report ...", flush=True)
    rep = fidelity_report(df, spec)
    write_json(rep.to_dict(), out / "fidelity.json")
    text = rep.render()
    (out / "fidelity.txt").write_text(text + "\n", encoding="utf-8")
    print("3/4 figures ...", flush=True)
    fig, ax = plt.subplots(figsize=(8, 7))
    plot_figure1(df, spec, ax=ax)
    fig.tight_layout()
    fig.savefig(out / "figure1.png", dpi=120)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(6, 6))
    plot_fidelity(rep, ax=ax)
    fig.tight_layout()
    fig.savefig(out / "fidelity.png", dpi=120)
    plt.close(fig)
    from toolkit.needs.gap import estimate_needs_gap, load_capacity
    from toolkit.profile.rules import default_rules_path, sensitivity_table
    from toolkit.report.plots import plot_needs_gap

    gap = estimate_needs_gap(
        df,
        capacity=load_capacity(default_rules_path().with_name("capacity_example.toml")),
        rng=args.seed,
    )
    write_json(gap.to_dict(), out / "needs_gap.json")
    (out / "needs_gap.txt").write_text(
        gap.render()
        + "\n\nSuitable counts under each reading\n"
        + sensitivity_table(df, gap_rules()).to_string(index=False)
        + "\n",
        encoding="utf-8",
    )
    fig, ax = plt.subplots(figsize=(8, 5))
    plot_needs_gap(gap, ax=ax)
    fig.tight_layout()
    fig.savefig(out / "needs_gap.png", dpi=120)
    plt.close(fig)
    from toolkit.report.plots import plot_frontier, plot_release_curves, plot_route_mix
    from toolkit.review import parse_strategy, simulate_reviews
    from toolkit.review.calibration import calibration_report, sensitivity

    names = [
        "sed",
        "formal",
        "proactive:every=28",
        "event",
        "capacity:per_week=50,priority=nearest_sed",
    ]
    sim = simulate_reviews(
        df, {nm: parse_strategy(nm) for nm in names}, n=10_000, n_replications=5, rng=args.seed
    )
    write_json(sim.summary_json(), out / "simulation_summary.json")
    summ = sim.summary()
    sens = sensitivity(df)
    (out / "simulation.txt").write_text(
        "Review strategies, standard recalls (10,000 admissions x 5 replications)\n"
        + sim.render()
        + "\n\n"
        + calibration_report(df[df["population"] == "standard"])
        + "\n\nSensitivity to assumed parameters\n"
        + sens.round(2).to_string(index=False)
        + "\n",
        encoding="utf-8",
    )
    fig, axes = plt.subplots(1, 3, figsize=(18, 5))
    plot_release_curves(sim, ax=axes[0])
    plot_route_mix(sim, ax=axes[1])
    plot_frontier(sim, ax=axes[2])
    fig.tight_layout()
    fig.savefig(out / "simulation.png", dpi=100)
    plt.close(fig)
    print("4/4 done.\n")
    summary = rep.to_dict()["summary"]
    print(f"Cohort: {len(df):,} people -> {cohort_path}")
    print(
        f"Fidelity: {summary['passed']}/{summary['evaluated']} published targets met; "
        f"audit findings: {summary['audit_findings']} ({summary['audit_unresolved']} "
        "unresolved)"
    )
    print(f"Report: {out / 'fidelity.txt'}  Figure 1: {out / 'figure1.png'}")
    cs = gap.table.set_index("programme").loc["cognitive_skills"]
    print(
        f"Needs gap: {out / 'needs_gap.txt'} (cognitive skills: {int(cs['suitable'])} suitable, "
        f"{cs['unmet_pct']:.1f}% unmet)"
    )
    f = summ.set_index("strategy")
    print(
        f"Simulation: {out / 'simulation.txt'} (released at SED: formal "
        f"{f.loc['formal', 'released_at_sed_pct']:.1f}%, proactive every 28 days "
        f"{f.loc['proactive:every=28', 'released_at_sed_pct']:.1f}%)"
    )
    return 0 if rep.passed else 1


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="recall-toolkit",
        description="Synthetic recall cohorts calibrated to published profiles (with a "
        "fidelity report and an audit of the published figures), needs gaps against accredited "
        "programmes, and review-strategy simulation. Start with `recall-toolkit demo`.",
    )
    p.add_argument("--version", action="version", version=f"recall-toolkit {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    prof = {
        "metavar": "PATH",
        "default": None,
        "help": "profile spec (TOML); default: the shipped research-summary profile",
    }

    g = sub.add_parser(
        "generate",
        help="generate a synthetic cohort",
        description="Generate a synthetic census cohort and a manifest beside it.",
    )
    g.add_argument("--profile", **prof)
    g.add_argument(
        "--n",
        type=_positive_int,
        default=None,
        help="total people (default: published N of the chosen populations)",
    )
    g.add_argument(
        "--population",
        action="append",
        default=None,
        metavar="NAME",
        help="restrict to a population (repeatable): standard, extended, fixed_term, "
        "ipp_dpp, life, hdc, other_sentenced",
    )
    g.add_argument("--seed", type=_seed, required=True, help="random seed (same seed, same file)")
    g.add_argument(
        "--out", required=True, metavar="FILE", help="output file: .parquet, .csv or .csv.gz"
    )
    g.set_defaults(func=cmd_generate)

    f = sub.add_parser(
        "fidelity",
        help="compare a cohort with the published figures",
        description="Print every published figure beside the cohort's value; "
        "exit 1 if any published target fails.",
    )
    f.add_argument("cohort", metavar="COHORT", help="cohort file (.parquet, .csv, .csv.gz)")
    f.add_argument("--profile", **prof)
    f.add_argument("--json", metavar="OUT", default=None, help="also write the report as JSON")
    f.set_defaults(func=cmd_fidelity)

    a = sub.add_parser(
        "audit",
        help="audit the published figures for consistency",
        description="Check the spec's published figures against each other "
        "(sums, mixtures, GRIM, claims); exit 1 if a finding is "
        "unresolved.",
    )
    a.add_argument("--profile", **prof)
    a.add_argument("--all", action="store_true", help="also list consistent checks")
    a.add_argument("--json", metavar="OUT", default=None, help="also write findings as JSON")
    a.set_defaults(func=cmd_audit)

    gp = sub.add_parser(
        "gaps",
        help="needs gaps against accredited programmes",
        description="Suitable vs attended vs unmet need per accredited programme "
        "(Table 2), with intervals, subgroups, national scaling and "
        "capacity scenarios.",
    )
    gp.add_argument("cohort", metavar="COHORT", help="cohort file (.parquet, .csv, .csv.gz)")
    gp.add_argument(
        "--rules",
        metavar="PATH",
        default=None,
        help="programme rules (TOML); default: the shipped Table 2 rules",
    )
    gp.add_argument(
        "--by",
        action="append",
        default=None,
        metavar="COL",
        help="subgroup column (repeatable): e.g. sex, ethnicity, recall_type, rosh, "
        "age_band, sed_band",
    )
    gp.add_argument(
        "--stock",
        type=float,
        default=6564,
        metavar="N",
        help="national recalled stock to scale to (default 6,564, 31 March 2016)",
    )
    gp.add_argument(
        "--capacity",
        metavar="FILE",
        default=None,
        help="capacity scenario (TOML or CSV: places_per_year, length_days, "
        "wait_days per programme)",
    )
    gp.add_argument(
        "--reading",
        default="default",
        metavar="NAME",
        help="alternative reading of the rules (see --sensitivity)",
    )
    gp.add_argument(
        "--sensitivity", action="store_true", help="also print suitable counts under every reading"
    )
    gp.add_argument(
        "--pathways",
        action="store_true",
        help="also report Through the Gate resettlement pathway levels (recalled)",
    )
    gp.add_argument(
        "--pathway-reading",
        default="default",
        metavar="NAME",
        help="complexity reading for Level 3: default (recalled prisoners are a "
        "complex cohort) or person_only",
    )
    gp.add_argument("--seed", type=_seed, default=0, help="seed for the bootstrap")
    gp.add_argument("--json", metavar="OUT", default=None, help="write the result as JSON")
    gp.add_argument("--csv", metavar="OUT", default=None, help="write the table as CSV")
    gp.set_defaults(func=cmd_gaps)

    sm = sub.add_parser(
        "simulate",
        help="simulate review strategies",
        description="Simulate review strategies on admissions drawn from a "
        "cohort; one record per person x strategy x replication.",
    )
    sm.add_argument(
        "--cohort",
        metavar="FILE",
        default=None,
        help="census cohort (default: generate the standard recalls, seed 20140331)",
    )
    sm.add_argument(
        "--rules",
        metavar="PATH",
        default=None,
        help="release rules (TOML); default: the shipped release_rules.toml",
    )
    sm.add_argument(
        "--strategy",
        action="append",
        required=True,
        metavar="NAME[:k=v,...]",
        help="sed, formal, proactive:every=K, event, "
        "capacity:per_week=R,priority=fifo|random|nearest_sed|scorer "
        "(repeatable)",
    )
    sm.add_argument("--replications", type=_positive_int, default=10, metavar="R")
    sm.add_argument(
        "--n", type=_positive_int, default=10_000, metavar="N", help="admissions per replication"
    )
    sm.add_argument(
        "--population",
        action="append",
        default=None,
        metavar="TYPE",
        help="recall types to admit (default: standard)",
    )
    sm.add_argument("--seed", type=_seed, required=True)
    sm.add_argument("--out", required=True, metavar="RECORDS", help="records: .parquet or .csv")
    sm.add_argument(
        "--summary",
        metavar="SUMMARY.json",
        default=None,
        help="summary keyed by strategy as written, with _lo/_hi bounds",
    )
    sm.set_defaults(func=cmd_simulate)

    cb = sub.add_parser(
        "calibrate",
        help="fit the review model to the case review and census",
        description="Fit the unpublished person-model parameters so the formal "
        "strategy reproduces the case-review and census figures.",
    )
    cb.add_argument("--cohort", metavar="FILE", default=None)
    cb.add_argument("--rules", metavar="PATH", default=None)
    cb.add_argument("--n", type=_positive_int, default=20_000, metavar="N")
    cb.set_defaults(func=cmd_calibrate)

    d = sub.add_parser(
        "demo",
        help="generate the default cohort, report and figures",
        description="Generate the default cohort and write the fidelity report, the "
        "Figure 1 plot and the Table 2 needs gap to a directory.",
    )
    d.add_argument("--out", default="demo-out", metavar="DIR", help="output directory")
    d.add_argument("--profile", **prof)
    d.add_argument("--seed", type=_seed, default=DEFAULT_DEMO_SEED, help="random seed")
    d.set_defaults(func=cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``recall-toolkit`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except ToolkitError as exc:
        print(f"recall-toolkit {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # pragma: no cover
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
