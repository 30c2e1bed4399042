"""``recall-toolkit demo``."""

from __future__ import annotations

from pathlib import Path

from toolkit.cli._common import (
    DEFAULT_DEMO_SEED,
    PROFILE_ARG,
    gap_rules,
    load_profile_arg,
    seed_arg,
)
from toolkit.exceptions import UsageError


def register(sub) -> None:
    p = sub.add_parser(
        "demo",
        help="generate the default cohort, report and figures",
        description="Generate the default cohort and write the fidelity report, the "
        "Figure 1 plot and the Table 2 needs gap to a directory.",
    )
    p.add_argument("--out", default="demo-out", metavar="DIR", help="output directory")
    p.add_argument("--profile", **PROFILE_ARG)
    p.add_argument("--seed", type=seed_arg, default=DEFAULT_DEMO_SEED, help="random seed")
    p.set_defaults(func=run)


def run(args) -> int:
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
    spec = load_profile_arg(args.profile)
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
