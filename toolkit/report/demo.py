"""The whole pipeline on defaults, into one folder with an ``index.html`` to open first.

:func:`run_demo` is what ``recall-toolkit demo`` calls (the command only parses arguments and
prints), so a notebook or script gets the same folder. The folder is built under a temporary
name next to ``out`` and renamed at the end: an interrupted run (Ctrl-C, an error) leaves
nothing behind, and an existing ``out`` is replaced only once the new one is complete.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from toolkit.defaults import DEFAULT_SEED

#: The strategies the demo compares (names as on the ``simulate`` command line).
DEMO_STRATEGIES = (
    "board_only",
    "formal",
    "proactive:every=28",
    "event",
    "capacity:per_week=50,priority=nearest_sed",
)
#: Simulation size: enough for intervals of a point or so across replications, and fast.
DEMO_ADMISSIONS, DEMO_REPLICATIONS = 10_000, 5


@dataclass
class DemoResult:
    """What :func:`run_demo` wrote and the headline numbers it printed.

    Attributes
    ----------
    out : Path
        The finished folder.
    index : Path
        ``out / "index.html"``.
    files : list of dict
        ``href`` (file name in ``out``), ``title``, ``caption`` (one line), ``figure`` (bool).
    headlines : list of str
        One line per stage, for the terminal.
    passed : bool
        Whether every evaluated published figure was met.
    """

    out: Path
    index: Path
    files: list[dict] = field(default_factory=list)
    headlines: list[str] = field(default_factory=list)
    passed: bool = True


def _progress(progress: bool | None, total: int):
    """The output layer's progress: a bar on a terminal, one line per stage in a log."""
    from toolkit.outputs import progress as make_progress

    return make_progress(total, "demo", tty=progress)


def _savefig(fig, path: Path) -> None:
    fig.savefig(path, dpi=120, bbox_inches="tight")


def run_demo(
    out: str | Path = "demo-out",
    *,
    seed: int = DEFAULT_SEED,
    profile: str | Path | None = None,
    progress: bool | None = None,
    force: bool = False,
) -> DemoResult:
    """Run the pipeline (cohort, fidelity, needs gap, review simulation, figures, caseload
    hook) and write it with an ``index.html`` linking everything.

    Parameters
    ----------
    out : path
        Folder to create. An existing one is replaced, once the new one is complete, only if
        it is empty or a previous demo's output (it holds the marker
        :data:`toolkit.outputs.MARKER`), or with ``force``; ``.``, ``..``, the home folder and
        the profile's folder are always refused (:func:`toolkit.outputs.check_output_folder`).
    seed : int
        Seed for the cohort, the needs-gap bootstrap and the simulation.
    profile : path, optional
        Profile spec; default the shipped research-summary profile.
    progress : bool, optional
        A tqdm bar (True) or one line per stage (False); default: a bar when stderr is a
        terminal, lines otherwise.
    force : bool
        Replace a non-empty folder that is not a previous demo's output (its files are lost).

    Returns
    -------
    DemoResult
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from toolkit.cohort.generate import generate_cohort
    from toolkit.cohort.io import build_manifest
    from toolkit.fidelity.report import fidelity_report
    from toolkit.needs.gap import estimate_needs_gap, load_capacity
    from toolkit.outputs import atomic_outputs, output_folder, write_json
    from toolkit.profile.rules import default_rules_path, load_programme_rules, sensitivity_table
    from toolkit.profile.spec import load_profile
    from toolkit.report import plots
    from toolkit.report.counts import figure_counts
    from toolkit.report.tables import calibration_fit
    from toolkit.report.text import simulation_text
    from toolkit.review import parse_strategy, simulate_reviews
    from toolkit.review.calibration import calibration_report, sensitivity

    out = Path(out)
    files: list[dict] = []
    head: list[str] = []

    def add(href, title, caption, figure=False):
        files.append({"href": href, "title": title, "caption": caption, "figure": figure})

    # The folder is refused before any work if it would lose something of the user's, built
    # under a temporary name, and swapped in (marker last) only when the block completes.
    folder = output_folder(out, command="demo", force=force, inputs=[profile])
    with folder as tmp, _progress(progress, total=7) as bar:
        spec = load_profile(profile)
        bar.stage("generating the cohort")
        df = generate_cohort(spec, rng=seed)
        with atomic_outputs() as cohort_out:
            hashes = cohort_out.write_cohort(df, tmp / "cohort.parquet")
        # file_sha256: the Parquet bytes written; csv_sha256 is None (no CSV was written)
        write_json(
            build_manifest(
                spec=spec,
                seed=seed,
                n=None,
                populations=None,
                csv_sha256=hashes["csv_sha256"],
                file_sha256=hashes["file_sha256"],
                n_rows=len(df),
            ),
            tmp / "cohort.manifest.json",
        )
        add(
            "cohort.parquet",
            "Synthetic cohort",
            f"{len(df):,} synthetic people, one row each "
            "(Parquet; columns documented in toolkit/schema.py).",
        )
        add(
            "cohort.manifest.json",
            "Cohort manifest",
            "Seed, profile, versions and the checksum that identify this cohort.",
        )
        head.append(f"Cohort: {len(df):,} synthetic people (seed {seed})")
        bar.update()

        bar.stage("fidelity report")
        rep = fidelity_report(df, spec)
        counts = figure_counts(rep)
        write_json(rep.to_dict(), tmp / "fidelity.json")
        (tmp / "fidelity.txt").write_text(rep.render() + "\n", encoding="utf-8")
        add(
            "fidelity.txt",
            "Fidelity report",
            f"Every published figure beside the synthetic one: {counts.met} of "
            f"{counts.evaluated} evaluated published figures met at printed precision "
            f"({counts.shown} more shown, not evaluated; {counts.relations_held} of "
            f"{counts.relations} logical relations hold); the audit of the sources; the "
            "paper's comparisons re-tested.",
        )
        add("fidelity.json", "Fidelity report (JSON)", "The same report, machine-readable.")
        head.append(
            f"Fidelity: {counts.sentence()}; audit findings {len(rep.audit.issues)} "
            f"({len(rep.audit.unresolved)} unresolved)"
        )
        bar.update()

        bar.stage("needs gap")
        from toolkit.review.national import capacity_admissions

        rules = load_programme_rules()
        gap = estimate_needs_gap(
            df,
            rules,
            capacity=load_capacity(default_rules_path().with_name("capacity_example.toml"), rules),
            annual_recalls=capacity_admissions(),
            rng=seed,
        )
        write_json(gap.to_dict(), tmp / "needs_gap.json")
        (tmp / "needs_gap.txt").write_text(
            gap.render()
            + "\n\nSuitable counts under each reading of the footnotes\n"
            + sensitivity_table(df, rules).to_string(index=False)
            + "\n",
            encoding="utf-8",
        )
        cs = gap.table.set_index("programme").iloc[0]
        first = rules.programmes[0]
        add(
            "needs_gap.txt",
            "Needs gap (Table 2)",
            "Suitable, attended, attended something "
            "else and unmet, with intervals; national figures with each uncertainty component "
            "(sampling, reading, time, share, combined); an illustrative capacity scenario "
            "month by month; each reading's counts.",
        )
        add("needs_gap.json", "Needs gap (JSON)", "The same tables, machine-readable.")
        head.append(
            f"Needs gap: {first.label.lower()} {int(cs['suitable']):,} suitable, "
            f"{cs['unmet_pct']:.1f}% unmet ({cs['unmet_pct_lo']:.1f} to {cs['unmet_pct_hi']:.1f})"
        )
        bar.update()

        bar.stage("review simulation")
        sim = simulate_reviews(
            df,
            {nm: parse_strategy(nm) for nm in DEMO_STRATEGIES},
            n=DEMO_ADMISSIONS,
            n_replications=DEMO_REPLICATIONS,
            rng=seed,
        )
        write_json(sim.summary_json(), tmp / "simulation_summary.json")
        std = df[df["population"] == "standard"]
        (tmp / "simulation.txt").write_text(
            simulation_text(
                sim,
                f"Review strategies, standard recalls ({DEMO_ADMISSIONS:,} admissions x "
                f"{DEMO_REPLICATIONS} replications)",
            )
            + "\n\n"
            + calibration_report(std)
            + "\n\nWhich targets the model meets (within each target's stated tolerance, "
            "toolkit.review.calibration.TOLERANCE) and which it misses, "
            "beside what papers/recall_process_experience/review_model.md documents\n"
            + calibration_fit(std)[
                ["label", "published", "model", "tolerance", "status", "documented"]
            ]
            .round(2)
            .to_string(index=False)
            + "\n\nSensitivity to assumed parameters\n"
            + sensitivity(df).round(2).to_string(index=False)
            + "\n",
            encoding="utf-8",
        )
        add(
            "simulation.txt",
            "Review strategies",
            "No executive reviews (sed), formal, proactive, "
            "event-triggered and capacity-limited reviews: release routes (executive, Parole "
            "Board, SED), custody, reviews, bed-days, cost (GBP), outcomes over one follow-up "
            "window; the calibration with what it misses (the case review's 60% at SED) and "
            "Little's law; which assumptions drive the answer.",
        )
        add(
            "simulation_summary.json",
            "Review strategies (JSON)",
            "Per-strategy means with 95% intervals across replications.",
        )
        f = sim.summary().set_index("strategy")
        head.append(
            "Simulation: released at SED, formal reviews "
            f"{f.loc['formal', 'released_at_sed_pct']:.1f}%, proactive every 28 days "
            f"{f.loc['proactive:every=28', 'released_at_sed_pct']:.1f}%"
        )
        bar.update()

        bar.stage("figures")
        fig, ax = plt.subplots(figsize=(8, 7.5))
        plots.plot_figure1(df, spec, ax=ax)
        _savefig(fig, tmp / "figure1.png")
        plt.close(fig)
        fig, ax = plt.subplots(figsize=(9, 5.5))
        plots.plot_fidelity(rep, ax=ax)
        _savefig(fig, tmp / "fidelity.png")
        plt.close(fig)
        fig, ax = plt.subplots(figsize=(9, 6))
        plots.plot_needs_gap(gap, rules, ax=ax)
        _savefig(fig, tmp / "needs_gap.png")
        plt.close(fig)
        fig, axes = plt.subplots(1, 3, figsize=(19, 6.5))
        plots.plot_release_curves(sim, ax=axes[0], caption=False)
        plots.plot_route_mix(sim, ax=axes[1], caption=False)
        plots.plot_frontier(sim, ax=axes[2], caption=False)
        fig.tight_layout(w_pad=3, rect=(0, 0.06, 1, 1))
        plots.figure_caption(fig, plots.simulation_caption(sim, routes=True))
        _savefig(fig, tmp / "simulation.png")
        plt.close(fig)
        add(
            "figure1.png",
            "Figure 1 reproduced",
            "Mean OASys need scores, standard recalls "
            "vs other sentenced prisoners, beside the published chart values.",
            True,
        )
        add(
            "fidelity.png",
            "Fidelity at a glance",
            "Each published figure's miss in units of "
            "its printed precision; inside the grey band it prints as published.",
            True,
        )
        add(
            "needs_gap.png",
            "Needs gap (Table 2)",
            "Suitable standard recalls by attendance, "
            "with the unmet share's interval and the published boundaries.",
            True,
        )
        add(
            "simulation.png",
            "Review strategies",
            "Release curves, release routes and "
            "bed-days saved against reviews per person, with intervals across replications.",
            True,
        )
        bar.update()

        bar.stage("example caseload")
        practitioner = _caseload_hook(df, tmp, seed)
        for item in practitioner:
            add(**item)
        if practitioner:
            head.append(f"Caseload: {practitioner[0]['caption']}")
        bar.update()

        bar.stage("index.html")
        _write_index(tmp, files, spec, df, seed, practitioner_ready=bool(practitioner))
        bar.update()
    return DemoResult(
        out=out, index=out / "index.html", files=files, headlines=head, passed=rep.passed
    )


def _caseload_hook(cohort, out_dir: Path, seed: int) -> list[dict]:
    """The practitioner part: the ranked example caseload and its HTML report
    (:func:`toolkit.report.caseload.demo_caseload`), as index entries ``{"href", "title",
    "caption", "figure"}`` (the first caption is printed on the terminal)."""
    from toolkit.report.caseload import demo_caseload

    return list(demo_caseload(cohort, out_dir, rng=seed))


def _write_index(out_dir: Path, files, spec, df, seed, practitioner_ready: bool) -> None:
    from toolkit import __version__
    from toolkit.report.html import render_index

    first = next(f for f in files if f["href"] == "fidelity.txt")
    html = render_index(
        files=[f for f in files if not f["figure"]],
        figures=[f for f in files if f["figure"]],
        first=first,
        cohort_line=f"{len(df):,} synthetic people generated from "
        f"“{spec.meta.get('title', 'the profile')}” (seed {seed}).",
        practitioner_hint=(
            "the ranked example caseload above."
            if practitioner_ready
            else "review-priority suggestions (<code>recall-toolkit prioritise</code>) arrive "
            "with the practitioner scorer; this demo will then add a ranked example caseload."
        ),
        command=f"recall-toolkit demo --seed {seed}",
        version=__version__,
        seed=seed,
    )
    (out_dir / "index.html").write_text(html, encoding="utf-8")
