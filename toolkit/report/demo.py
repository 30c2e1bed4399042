"""The whole pipeline on defaults, into one folder with an ``index.html`` to open first.

:func:`run_demo` is what ``recall-toolkit demo`` calls (the command only parses arguments and
prints), so a notebook or script gets the same folder. It runs the pipeline's steps in order,
each a named function that computes its stage and describes the files it yields
(:class:`DemoFile`): :func:`generate`, :func:`fidelity`, :func:`gaps`, :func:`simulate`,
:func:`figures`, :func:`caseload`; one writer (:func:`write_files`) writes each stage's files
as it finishes, and :func:`_write_index` the ``index.html`` linking them all.

The folder is built under a temporary name next to ``out`` and renamed at the end: an
interrupted run (Ctrl-C, an error) leaves nothing behind, and an existing ``out`` is replaced
only once the new one is complete.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from toolkit import __version__
from toolkit.cohort.generate import generate_cohort
from toolkit.cohort.io import build_manifest, write_cohort_output
from toolkit.defaults import DEFAULT_SEED
from toolkit.exceptions import UsageError
from toolkit.fidelity.report import fidelity_report
from toolkit.needs.gap import estimate_needs_gap, load_capacity
from toolkit.outputs import atomic_outputs, output_folder, write_json
from toolkit.outputs import progress as make_progress
from toolkit.priority.seeds import recorded_seed
from toolkit.profile.rules import default_rules_path, load_programme_rules, sensitivity_table
from toolkit.profile.spec import load_profile
from toolkit.report.caseload import example_ranking
from toolkit.report.counts import figure_counts
from toolkit.report.html import render_index
from toolkit.report.tables import calibration_fit
from toolkit.report.text import simulation_text
from toolkit.results import ResultMixin
from toolkit.review import parse_strategy, simulate_reviews
from toolkit.review.calibration import calibration_report, sensitivity
from toolkit.review.national import capacity_admissions

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


@dataclass(frozen=True)
class DemoFile:
    """One file of the demo folder: its index entry and how to write it.

    ``write(path)`` writes the file at ``path``; ``None`` for a file another entry's ``write``
    writes with its own (the cohort's manifest, which records the cohort file's checksum).
    """

    href: str
    title: str
    caption: str
    figure: bool = False
    write: Callable[[Path], None] | None = field(default=None, repr=False, compare=False)

    def entry(self) -> dict:
        """``{"href", "title", "caption", "figure"}``, as the index lists it."""
        return {
            "href": self.href,
            "title": self.title,
            "caption": self.caption,
            "figure": self.figure,
        }


@dataclass
class Stage:
    """What a step yields: its result, its files and its line for the terminal."""

    value: Any
    files: list[DemoFile]
    headline: str | None = None


@dataclass
class DemoResult(ResultMixin):
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

    def to_frame(self) -> pd.DataFrame:
        """The files written (besides ``index.html``): href, title, caption, figure."""
        return pd.DataFrame(self.files, columns=["href", "title", "caption", "figure"])

    def to_dict(self) -> dict:
        return {
            "out": str(self.out),
            "index": str(self.index),
            "passed": self.passed,
            "headlines": list(self.headlines),
        } | super().to_dict()

    def render(self) -> str:
        """The headlines, then where the folder is and what to open first."""
        return "\n".join(
            [
                *self.headlines,
                "",
                f"Wrote {len(self.files) + 1} files to {self.out}/",
                f"Open first: {self.index.resolve()}",
                "  (in it, start with fidelity.txt: every published figure beside the synthetic "
                "one)",
            ]
        )


def demo_seed(rng: np.random.Generator | int | np.random.SeedSequence | None) -> int:
    """The integer seed every stage draws from: ``rng`` itself when an int (None: the
    project's :data:`~toolkit.defaults.DEFAULT_SEED`), else one draw from it, so that the
    seed the manifest and index record reproduces the folder (``recall-toolkit demo --seed``)."""
    return recorded_seed(rng, DEFAULT_SEED)


def run_demo(
    out: str | Path = "demo-out",
    *,
    rng: np.random.Generator | int | np.random.SeedSequence | None = None,
    seed: int | None = None,
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
    rng : int, numpy Generator or SeedSequence, optional
        Seed for the cohort, the needs-gap bootstrap, the simulation and the caseload (see
        :func:`demo_seed`); default :data:`toolkit.defaults.DEFAULT_SEED`.
    seed : int, optional
        The same as ``rng`` (the older name, kept); give one or the other.
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
    if seed is not None and rng is not None:
        raise UsageError("give rng or seed (the same thing), not both")
    seed = demo_seed(seed if rng is None else rng)
    out = Path(out)
    files: list[DemoFile] = []
    head: list[str] = []
    # The folder is refused before any work if it would lose something of the user's, built
    # under a temporary name, and swapped in (marker last) only when the block completes.
    folder = output_folder(out, command="demo", force=force, inputs=[profile])
    with folder as tmp, make_progress(7, "demo", tty=progress) as bar:

        def run(label: str, step: Callable[..., Stage], *args) -> Any:
            bar.stage(label)
            stage = step(*args)
            write_files(tmp, stage.files)
            files.extend(stage.files)
            if stage.headline:
                head.append(stage.headline)
            bar.update()
            return stage.value

        spec = load_profile(profile)
        df = run("generating the cohort", generate, spec, seed)
        rep = run("fidelity report", fidelity, df, spec)
        gap, rules = run("needs gap", gaps, df, seed)
        sim = run("review simulation", simulate, df, seed)
        run("figures", figures, df, spec, rep, gap, rules, sim)
        practitioner = run("example caseload", caseload, df, seed)
        bar.stage("index.html")
        _write_index(tmp, [f.entry() for f in files], spec, df, seed, bool(practitioner))
        bar.update()
    return DemoResult(
        out=out,
        index=out / "index.html",
        files=[f.entry() for f in files],
        headlines=head,
        passed=rep.passed,
    )


def write_files(folder: Path, files: list[DemoFile]) -> None:
    """The demo's one writer: each file into ``folder`` (the temporary folder
    :func:`run_demo` renames into place once everything is written)."""
    for f in files:
        if f.write is not None:
            f.write(folder / f.href)


# -- the steps: each computes its stage and says which files it yields ---------------------------
def generate(spec, rng: np.random.Generator | int | np.random.SeedSequence | None) -> Stage:
    """The synthetic cohort (Parquet) and the manifest that identifies it (with the integer
    seed :func:`demo_seed` makes of ``rng``)."""
    seed = demo_seed(rng)
    df = generate_cohort(spec, rng=seed)

    def write(path: Path) -> None:
        with atomic_outputs() as cohort_out:
            hashes = write_cohort_output(cohort_out, df, path)
        # file_sha256: the Parquet bytes written; csv_sha256 is None (no CSV was written)
        manifest = build_manifest(
            spec=spec,
            seed=seed,
            n=None,
            populations=None,
            csv_sha256=hashes["csv_sha256"],
            file_sha256=hashes["file_sha256"],
            n_rows=len(df),
        )
        write_json(manifest, path.with_name("cohort.manifest.json"))

    files = [
        DemoFile(
            "cohort.parquet",
            "Synthetic cohort",
            f"{len(df):,} synthetic people, one row each "
            "(Parquet; columns documented in toolkit/schema.py).",
            write=write,
        ),
        DemoFile(
            "cohort.manifest.json",
            "Cohort manifest",
            "Seed, profile, versions and the checksum that identify this cohort.",
        ),  # written with the cohort (it records the cohort file's checksum)
    ]
    return Stage(df, files, f"Cohort: {len(df):,} synthetic people (seed {seed})")


def fidelity(df: pd.DataFrame, spec) -> Stage:
    """Every published figure beside the synthetic one, as text and JSON."""
    rep = fidelity_report(df, spec)
    counts = figure_counts(rep)
    files = [
        DemoFile(
            "fidelity.txt",
            "Fidelity report",
            f"Every published figure beside the synthetic one: {counts.met} of "
            f"{counts.evaluated} evaluated published figures met at printed precision "
            f"({counts.shown} more shown, not evaluated; {counts.relations_held} of "
            f"{counts.relations} logical relations hold); the audit of the sources; the "
            "paper's comparisons re-tested.",
            write=_text(rep.render() + "\n"),
        ),
        DemoFile(
            "fidelity.json",
            "Fidelity report (JSON)",
            "The same report, machine-readable.",
            write=_json(rep.to_dict()),
        ),
    ]
    headline = (
        f"Fidelity: {counts.sentence()}; audit findings {len(rep.audit.issues)} "
        f"({len(rep.audit.unresolved)} unresolved)"
    )
    return Stage(rep, files, headline)


def gaps(df: pd.DataFrame, rng: np.random.Generator | int | np.random.SeedSequence | None) -> Stage:
    """The Table 2 needs gap under the shipped programme rules and the illustrative capacity
    scenario, with each reading's counts; its value is ``(gap, rules)``."""
    rules = load_programme_rules()
    gap = estimate_needs_gap(
        df,
        rules,
        capacity=load_capacity(default_rules_path().with_name("capacity_example.toml"), rules),
        annual_recalls=capacity_admissions(),
        rng=rng,
    )
    text = (
        gap.render()
        + "\n\nSuitable counts under each reading of the footnotes\n"
        + sensitivity_table(df, rules).to_string(index=False)
        + "\n"
    )
    files = [
        DemoFile(
            "needs_gap.txt",
            "Needs gap (Table 2)",
            "Suitable, attended, attended something "
            "else and unmet, with intervals; national figures with each uncertainty component "
            "(sampling, reading, time, share, combined); an illustrative capacity scenario "
            "month by month; each reading's counts.",
            write=_text(text),
        ),
        DemoFile(
            "needs_gap.json",
            "Needs gap (JSON)",
            "The same tables, machine-readable.",
            write=_json(gap.to_dict()),
        ),
    ]
    cs = gap.table.set_index("programme").iloc[0]
    headline = (
        f"Needs gap: {rules.programmes[0].label.lower()} {int(cs['suitable']):,} suitable, "
        f"{cs['unmet_pct']:.1f}% unmet ({cs['unmet_pct_lo']:.1f} to {cs['unmet_pct_hi']:.1f})"
    )
    return Stage((gap, rules), files, headline)


def simulate(
    df: pd.DataFrame, rng: np.random.Generator | int | np.random.SeedSequence | None
) -> Stage:
    """The review strategies of :data:`DEMO_STRATEGIES`, with the calibration (and what it
    misses) and the sensitivity to assumed parameters."""
    sim = simulate_reviews(
        df,
        {nm: parse_strategy(nm) for nm in DEMO_STRATEGIES},
        n=DEMO_ADMISSIONS,
        n_replications=DEMO_REPLICATIONS,
        rng=rng,
    )
    std = df[df["population"] == "standard"]
    fit = calibration_fit(std)[["label", "published", "model", "tolerance", "status", "documented"]]
    text = (
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
        + fit.round(2).to_string(index=False)
        + "\n\nSensitivity to assumed parameters\n"
        + sensitivity(df).round(2).to_string(index=False)
        + "\n"
    )
    files = [
        DemoFile(
            "simulation.txt",
            "Review strategies",
            "No executive reviews (sed), formal, proactive, "
            "event-triggered and capacity-limited reviews: release routes (executive, Parole "
            "Board, SED), custody, reviews, bed-days, cost (GBP), outcomes over one follow-up "
            "window; the calibration: which published targets it meets and which it misses, and "
            "Little's law; which assumptions drive the answer.",
            write=_text(text),
        ),
        DemoFile(
            "simulation_summary.json",
            "Review strategies (JSON)",
            "Per-strategy means with 95% intervals across replications.",
            write=_json(sim.summary_json()),
        ),
    ]
    f = sim.summary().set_index("strategy")
    headline = (
        "Simulation: released at SED, formal reviews "
        f"{f.loc['formal', 'released_at_sed_pct']:.1f}%, proactive every 28 days "
        f"{f.loc['proactive:every=28', 'released_at_sed_pct']:.1f}%"
    )
    return Stage(sim, files, headline)


def figures(df: pd.DataFrame, spec, rep, gap, rules, sim) -> Stage:
    """The four PNG figures (drawn by :mod:`toolkit.report.plots`), each when written."""
    # matplotlib (about a second of import, and the Agg backend) only when figures are drawn
    import matplotlib

    matplotlib.use("Agg")
    from toolkit.report import plots

    def simulation_panels(fig, axes):
        plots.plot_release_curves(sim, ax=axes[0], caption=False)
        plots.plot_route_mix(sim, ax=axes[1], caption=False)
        plots.plot_frontier(sim, ax=axes[2], caption=False)
        fig.tight_layout(w_pad=3, rect=(0, 0.06, 1, 1))
        plots.figure_caption(fig, plots.simulation_caption(sim, routes=True))

    files = [
        DemoFile(
            "figure1.png",
            "Figure 1 reproduced",
            "Mean OASys need scores, standard recalls "
            "vs other sentenced prisoners, beside the published chart values.",
            True,
            _figure((8, 7.5), lambda fig, ax: plots.plot_figure1(df, spec, ax=ax)),
        ),
        DemoFile(
            "fidelity.png",
            "Fidelity at a glance",
            "Each published figure's miss in units of "
            "its printed precision; inside the grey band it prints as published.",
            True,
            _figure((9, 5.5), lambda fig, ax: plots.plot_fidelity(rep, ax=ax)),
        ),
        DemoFile(
            "needs_gap.png",
            "Needs gap (Table 2)",
            "Suitable standard recalls by attendance, "
            "with the unmet share's interval and the published boundaries.",
            True,
            _figure((9, 6), lambda fig, ax: plots.plot_needs_gap(gap, rules, ax=ax)),
        ),
        DemoFile(
            "simulation.png",
            "Review strategies",
            "Release curves, release routes and "
            "bed-days saved against reviews per person, with intervals across replications.",
            True,
            _figure((19, 6.5), simulation_panels, ncols=3),
        ),
    ]
    return Stage(None, files)


def caseload(
    df: pd.DataFrame, rng: np.random.Generator | int | np.random.SeedSequence | None
) -> Stage:
    """The practitioner part: a synthetic example caseload from the demo's cohort, ranked, with
    its HTML report (:func:`toolkit.report.caseload.example_ranking`); its value says whether
    it is there (the index words its hint on it)."""
    ex = example_ranking(df, rng=rng)
    files = [
        DemoFile(e["href"], e["title"], e["caption"], e["figure"], write=ex.writers[e["href"]])
        for e in ex.entries
    ]
    return Stage(bool(files), files, f"Caseload: {files[0].caption}" if files else None)


# -- writers -------------------------------------------------------------------------------------
def _text(text: str) -> Callable[[Path], None]:
    return lambda path: path.write_text(text, encoding="utf-8")


def _json(obj) -> Callable[[Path], None]:
    return lambda path: write_json(obj, path)


def _figure(size, draw, ncols: int = 1) -> Callable[[Path], None]:
    """Draw a figure of ``size`` inches when written (``draw(fig, ax)``; ``ax`` an array of
    ``ncols`` Axes when more than one), save it as PNG at 120 dpi and close it."""

    def write(path: Path) -> None:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(1, ncols, figsize=size) if ncols > 1 else plt.subplots(figsize=size)
        try:
            draw(fig, ax)
            fig.savefig(path, dpi=120, bbox_inches="tight")
        finally:
            plt.close(fig)

    return write


def _write_index(out_dir: Path, files, spec, df, seed, practitioner_ready: bool) -> None:
    """The ``index.html`` linking every file (figures shown), fidelity.txt first."""
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
