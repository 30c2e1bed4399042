"""Rendering a ranked caseload: the review-priority HTML report (:func:`priority_report_html`,
which ``recall-toolkit prioritise --report`` writes) and the demo's practitioner part, a
synthetic example caseload, ranked, with its report (:func:`demo_caseload`).

``recall-toolkit demo`` (``toolkit.report.demo``) calls :func:`demo_caseload`. The caseload is
made by the function that makes ``recall-toolkit template caseload``'s filled example
(:func:`toolkit.priority.template.example_caseload`, re-exported here), from the demo's own
cohort, and then goes through the same public functions ``recall-toolkit prioritise`` runs
(:func:`write_ranked_caseload`): validation, the shipped default scorer, ranking with reasons,
the fairness panel and the report.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from toolkit.exceptions import UsageError
from toolkit.outputs import atomic_outputs
from toolkit.priority.caseload import Caseload, validate_caseload
from toolkit.priority.dates import as_of_date
from toolkit.priority.fairness import caseload_fairness
from toolkit.priority.features import DEFAULT_AS_OF
from toolkit.priority.io import atomic_write, write_csv
from toolkit.priority.model import ScoringModel, load_scoring_model
from toolkit.priority.rank import DEFAULT_CAPACITY, prioritise
from toolkit.priority.template import EXAMPLE_N, EXAMPLE_NAME, example_caseload
from toolkit.report.html import render_priority_report

__all__ = [
    "ExampleRanking",
    "RankedCaseload",
    "demo_caseload",
    "example_caseload",
    "example_ranking",
    "priority_report_html",
    "write_ranked_caseload",
]

#: Rows in the demo's caseload: a few hundred, the size of a large team's caseload (the
#: template command's default); it takes about a second to simulate and rank.
DEMO_N = EXAMPLE_N
EXAMPLE_FILE = EXAMPLE_NAME
RANKED_FILE = "caseload_ranked.csv"
REPORT_FILE = "caseload_report.html"


def priority_report_html(
    ranked: pd.DataFrame,
    caseload: Caseload,
    scorer: ScoringModel,
    *,
    capacity: int,
    source_name: str,
) -> str:
    """The review-priority HTML report for a ranked caseload, with the fairness panel on this
    caseload (as ``recall-toolkit prioritise --report`` writes it)."""
    fair = caseload_fairness(ranked, caseload.frame)
    if len(fair):
        fair = fair[fair["attribute"].isin(("sex", "ethnicity", "age_band"))]
    return render_priority_report(
        ranked,
        as_of=caseload.as_of,
        capacity=capacity,
        n_cases=len(ranked),
        absence_costs=caseload.absence_costs(),
        fairness=fair if len(fair) and np.isfinite(fair["flag_rate"]).any() else None,
        manifest=getattr(scorer, "manifest_", {}),
        source_name=source_name,
        interval=scorer.interval,
    )


class ExampleRanking(NamedTuple):
    """A ranked synthetic example caseload and its report, ready to write
    (:func:`example_ranking`)."""

    text: pd.DataFrame
    ranked: pd.DataFrame
    html: str
    #: ``{"href", "title", "caption", "figure"}`` per file, as the demo's index lists them
    entries: list[dict]
    #: file name -> ``write(path)``
    writers: dict


def example_ranking(
    cohort: pd.DataFrame,
    *,
    rng: np.random.Generator | int | np.random.SeedSequence | None = None,
    n: int = DEMO_N,
    capacity: int = DEFAULT_CAPACITY,
    as_of: pd.Timestamp = DEFAULT_AS_OF,
) -> ExampleRanking:
    """A synthetic example caseload from ``cohort`` (:func:`example_caseload`), validated,
    ranked by the shipped scorer and rendered as the HTML report, as ``prioritise`` would;
    nothing written (see :func:`demo_caseload`)."""
    rng = np.random.default_rng(rng)
    as_of = pd.Timestamp(as_of).normalize()
    text = example_caseload(cohort, n, as_of=as_of, rng=rng)
    caseload = validate_caseload(text, as_of=as_of)
    scorer = load_scoring_model()
    ranked = prioritise(caseload, scorer=scorer, capacity=capacity)
    html = priority_report_html(
        ranked, caseload, scorer, capacity=capacity, source_name=EXAMPLE_FILE
    )
    writers = {
        EXAMPLE_FILE: lambda p: atomic_write(p, lambda tmp: text.to_csv(tmp, index=False)),
        RANKED_FILE: lambda p: write_csv(ranked, p),
        REPORT_FILE: lambda p: atomic_write(p, lambda tmp: tmp.write_text(html, encoding="utf-8")),
    }
    now = int(ranked["suggested_action"].eq("review now").sum())
    entries = [
        {
            "href": REPORT_FILE,
            "title": "Review priorities (example caseload)",
            "caption": f"{len(ranked)} synthetic cases ranked for review on {as_of.date()}, "
            f"{now} suggested for review now at {capacity} reviews a week, each with its "
            "reasons; suggestions, never decisions.",
            "figure": False,
        },
        {
            "href": RANKED_FILE,
            "title": "Ranked caseload (CSV)",
            "caption": "Rank, release route, readiness (chance releasable within 28 days, with "
            "its interval), days gained, suggested action and reasons per synthetic case; a "
            "suggestion, never a decision.",
            "figure": False,
        },
        {
            "href": EXAMPLE_FILE,
            "title": "Example caseload (CSV)",
            "caption": "The synthetic caseload ranked above (simulated people, no real person), "
            "in the format recall-toolkit template caseload writes.",
            "figure": False,
        },
    ]
    return ExampleRanking(text, ranked, html, entries, writers)


def demo_caseload(
    cohort: pd.DataFrame,
    out_dir: str | Path,
    *,
    rng: np.random.Generator | int | None = None,
    n: int = DEMO_N,
    capacity: int = DEFAULT_CAPACITY,
    as_of: pd.Timestamp = DEFAULT_AS_OF,
) -> list[dict]:
    """Write a synthetic example caseload, its ranked list and the HTML report into ``out_dir``.

    Parameters
    ----------
    cohort : pandas.DataFrame
        A synthetic cohort (:func:`toolkit.cohort.generate.generate_cohort`) with standard
        recalls.
    out_dir : path
        An existing directory; writes :data:`EXAMPLE_FILE`, :data:`RANKED_FILE` and
        :data:`REPORT_FILE` (each written to a temporary file, then renamed).
    rng : numpy Generator, int or None
        Seed for picking the simulated people; same seed, same files.
    n, capacity, as_of
        Caseload rows, reviews a week, and the date of the suggestions.

    Returns
    -------
    list of dict
        ``{"href", "title", "caption", "figure"}`` per file, for the demo's index.html.
    """
    ex = example_ranking(cohort, rng=rng, n=n, capacity=capacity, as_of=as_of)
    for name in (EXAMPLE_FILE, RANKED_FILE, REPORT_FILE):
        ex.writers[name](Path(out_dir) / name)
    return ex.entries


class RankedCaseload(NamedTuple):
    """What :func:`write_ranked_caseload` ranked and wrote."""

    caseload: Caseload
    ranked: pd.DataFrame
    out: Path
    report: Path | None

    def summary(self) -> str:
        """Counts only (no case rows): cases by suggested action, and the files written."""
        ranked = self.ranked
        counts = ranked["suggested_action"].where(ranked["rank"].notna(), "not ranked (own route)")
        counts = counts.str.replace(r"review by .*", "review by", regex=True)
        summary = ", ".join(f"{v} {k}" for k, v in counts.value_counts().items())
        return f"{len(ranked)} cases ({summary}); wrote {self.out}" + (
            f" and {self.report}" if self.report is not None else ""
        )


def _check_paths(caseload: Path, out: Path, report: Path | None) -> None:
    """Refuse a folder for the caseload, an output that is the caseload, and one file for both
    outputs, before any work."""
    if caseload.is_dir():
        raise UsageError(f"{caseload}: is a folder; give the caseload CSV file")
    src = caseload.resolve()
    for o in [out] + ([report] if report is not None else []):
        if o.resolve() == src:
            raise UsageError(f"{o}: would overwrite the caseload; choose another output path")
    if report is not None and report.resolve() == out.resolve():
        raise UsageError(f"{out}: the ranked list and the report would be the same file")


def write_ranked_caseload(
    caseload: str | Path,
    out: str | Path,
    *,
    report: str | Path | None = None,
    capacity: int = DEFAULT_CAPACITY,
    as_of: str | pd.Timestamp | None = None,
    scorer: str | Path | ScoringModel | None = None,
    programmes=None,
    categories=None,
    protect=(),
) -> RankedCaseload:
    """Validate a caseload file, rank it (:func:`toolkit.priority.rank.prioritise`) and write
    the ranked CSV and, with ``report``, the HTML report: both or neither, nothing written
    before everything is computed (what ``recall-toolkit prioritise`` runs).

    Parameters
    ----------
    caseload : path
        The caseload CSV (never modified).
    out, report : path
        The ranked CSV and the optional HTML report.
    capacity : int
        Reviews a week (at least 1).
    as_of : date, optional
        The date the caseload describes (default today).
    scorer : path or ScoringModel, optional
        A stored scorer's folder, or a loaded one; default the shipped one.
    programmes, categories
        The programme names and profile categories the caseload may hold
        (:func:`toolkit.priority.caseload.validate_caseload`).
    protect : iterable of paths
        Other input files (rules, profile) an output must never overwrite.

    Raises
    ------
    UsageError, CaseloadError
        Bad paths or arguments; a caseload that breaks the schema (every problem listed).
    """
    caseload, out = Path(caseload), Path(out)
    report = None if report is None else Path(report)
    _check_paths(caseload, out, report)
    # Both outputs reserved before any work and renamed together (issue 20: a report in a
    # missing folder left the ranked CSV behind).
    with atomic_outputs() as outputs:
        outputs.protect(caseload, *protect)
        outputs.reserve(out)
        if report is not None:
            outputs.reserve(report)
        cl = validate_caseload(
            caseload, as_of=as_of_date(as_of), programmes=programmes, categories=categories
        )
        if not isinstance(scorer, ScoringModel):
            scorer = load_scoring_model(scorer)
        ranked = prioritise(cl, scorer=scorer, capacity=capacity)
        html = None
        if report is not None:
            html = priority_report_html(
                ranked, cl, scorer, capacity=capacity, source_name=caseload.name
            )
        # Everything computed before anything is written: no partial outputs.
        write_csv(ranked, out, outputs)
        if html is not None:
            outputs.write_text(report, html)
    return RankedCaseload(cl, ranked, out, report)
