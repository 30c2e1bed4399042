"""Everything ``recall-toolkit gaps`` reports, from one call: the needs gap, the readings'
sensitivity, the assumed OVP bands and (on request) the Through the Gate levels.

:func:`needs_summary` checks its arguments before any work (the command only parses), so the
API refuses what the command refuses, with the same message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from toolkit.args import check_choice
from toolkit.cohort.io import read_cohort
from toolkit.exceptions import UsageError
from toolkit.needs.capacity import load_capacity
from toolkit.needs.gap import BASE_LABELS, NeedsGapResult, estimate_needs_gap, require_national_base
from toolkit.needs.pathways import TTGReport, load_pathway_rules, ttg_report
from toolkit.profile.rules import (
    ProgrammeRules,
    load_programme_rules,
    reading_summary,
    score_bands,
    sensitivity_table,
)
from toolkit.profile.spec import load_profile
from toolkit.results import ResultMixin

#: Memory :func:`needs_summary` needs on a cohort read from a file: interpreter and libraries,
#: then bytes per cohort row by format. Measured (issue 23, ``/usr/bin/time -v``): a
#: standard-recall Parquet cohort peaks at 0.41 GB at 250,000 rows, 0.71 GB at 1,000,000 and
#: 1.42 GB at 2,000,000 (about 710 bytes a row); CSV at 0.51 GB at 250,000 rows (text parsed to
#: strings first, about 1,000 a row). Rounded up by about 10% (*assumed* margin for other
#: profiles' columns). ``recall-toolkit gaps`` refuses a file that would not fit.
MEMORY_BASE_BYTES = 250e6
MEMORY_BYTES_PER_ROW = {"parquet": 800, "csv": 1_100, "csv.gz": 1_100}

#: What the readings' columns mean, printed under the sensitivity table.
SENSITIVITY_KEY = (
    "  reading_kind: literal = the footnote's rule as printed; reading = one "
    "reading of what it leaves open; fitted = adds a quantity the footnote does "
    "not name, set to meet the published count; no_criteria = none printed",
    "  fitted_to_count: unpublished columns the reading reads, built so the "
    "default readings meet Table 2",
)


@dataclass(frozen=True)
class NeedsSummary(ResultMixin):
    """Result of :func:`needs_summary`.

    Attributes
    ----------
    gap : NeedsGapResult
    sensitivity : pandas.DataFrame
        Suitable and unmet counts under every reading (Table 2 base).
    reading_summary : list of str
    bands : pandas.DataFrame or None
        The assumed OVP bands (None when the cohort has no ``ovp_2yr``).
    pathways : TTGReport or None
    pathway_reading : str
    show_sensitivity : bool
        Whether :meth:`render` prints the sensitivity (the JSON always holds it).
    """

    gap: NeedsGapResult
    sensitivity: pd.DataFrame
    reading_summary: list[str]
    bands: pd.DataFrame | None
    pathways: TTGReport | None
    pathway_reading: str = "default"
    show_sensitivity: bool = False

    _plot = "plot_needs_gap"

    def to_frame(self) -> pd.DataFrame:
        """The needs gap's table (a copy): what ``gaps --csv`` writes."""
        return self.gap.to_frame()

    def to_dict(self) -> dict:
        """The needs gap's dict with the sensitivity, the bands and the pathways added."""
        d = self.gap.to_dict()
        d["sensitivity"] = json.loads(self.sensitivity.to_json(orient="records"))
        d["reading_summary"] = list(self.reading_summary)
        if self.bands is not None:
            d["ovp_bands_assumed"] = json.loads(self.bands.to_json(orient="records"))
        if self.pathways is not None:
            pw = self.pathways.to_dict()
            d["pathways"], d["pathway_groups"] = pw["table"], pw["groups"]
            d["pathway_notes"] = pw["notes"]
        return d

    def render(self) -> str:
        """The needs gap, then the sensitivity (if asked) and the pathways (if computed)."""
        parts = [self.gap.render()]
        if self.show_sensitivity:
            parts += self._render_sensitivity()
        if self.pathways is not None:
            parts += [
                f"\nResettlement pathways, all recalled (reading: {self.pathway_reading})",
                self.pathways.render(),
            ]
        return "\n".join(parts)

    def _render_sensitivity(self) -> list[str]:
        shown = self.sensitivity.drop(columns=["note", "criteria"]).copy()  # both in the JSON
        shown["literal"] = ["LITERAL" if x else "" for x in shown["literal"]]
        shown["unmet_pct"] = shown["unmet_pct"].round(1)
        out = [
            "\nSuitable and unmet counts under each reading (Table 2 base)",
            shown.to_string(index=False),
            *SENSITIVITY_KEY,
            *(f"  - {line}" for line in self.reading_summary),
        ]
        if self.bands is not None:
            out += [
                "\nOVP (2-year) bands the violence readings depend on: ASSUMED, not "
                "published (the generator builds OVP; index60 and the moderate/high "
                "split rest on it)",
                self.bands.round(1).to_string(index=False),
            ]
        return out


def needs_summary(
    cohort: pd.DataFrame,
    rules: ProgrammeRules | None = None,
    *,
    label: str = "cohort",
    sensitivity: bool = False,
    pathways: bool = False,
    pathway_reading: str = "default",
    **gap_options,
) -> NeedsSummary:
    """The needs gap with everything ``recall-toolkit gaps`` reports beside it.

    Parameters
    ----------
    cohort : pandas.DataFrame
    rules : ProgrammeRules, optional
    label : str
        What the cohort is called in messages (the command passes its file name).
    sensitivity : bool
        Print the counts under every reading (they are in :meth:`NeedsSummary.to_dict` always).
    pathways : bool
        Also the Through the Gate levels of the recalled (:func:`ttg_report`).
    pathway_reading : str
        Complexity reading of Level 3 (``default`` or an alternative of the pathway rules).
    **gap_options
        Keyword arguments of :func:`toolkit.needs.gap.estimate_needs_gap` (``by``, ``reading``,
        ``stock``, ``target_date``, ``capacity``, ``capacity_months``, ``capacity_release``,
        ``annual_recalls``, ``spec``, ``rng`` ...), passed on as given.

    Returns
    -------
    NeedsSummary

    Raises
    ------
    UsageError
        An unknown pathway reading (checked before any work), or any argument
        :func:`estimate_needs_gap` refuses.
    CohortError
        Fewer than :data:`toolkit.needs.gap.MIN_BASE` people in the base when national figures
        are asked for (the message names the cohort by ``label``).
    """
    rules = load_programme_rules() if rules is None else rules
    prules = load_pathway_rules() if pathways else None
    if prules is not None:
        check_choice("pathway_reading", pathway_reading, prules.readings)
    if gap_options.get("stock", "auto") is not None:
        base = gap_options.get("base", "table2")
        if base in BASE_LABELS:  # else estimate_needs_gap says what is wrong with it
            require_national_base(cohort, rules, base, label=label)
    gap = estimate_needs_gap(cohort, rules, **gap_options)
    pw = None
    if prules is not None:
        recalled = cohort[cohort["recall_type"].notna()]
        pw = ttg_report(recalled, prules, reading=pathway_reading)
    sens = sensitivity_table(cohort, rules)
    return NeedsSummary(
        gap=gap,
        sensitivity=sens,
        reading_summary=reading_summary(sens, rules),
        bands=score_bands(cohort, rules) if "ovp_2yr" in cohort.columns else None,
        pathways=pw,
        pathway_reading=pathway_reading,
        show_sensitivity=sensitivity,
    )


def needs_summary_file(
    cohort: str | Path,
    *,
    rules: str | Path | None = None,
    capacity: str | Path | None = None,
    profile: str | Path | None = None,
    bar=None,
    **options,
) -> NeedsSummary:
    """:func:`needs_summary` of a cohort file: what ``recall-toolkit gaps`` runs.

    Parameters
    ----------
    cohort : str or Path
        A cohort file (``.parquet``, ``.csv``, ``.csv.gz``); messages name it.
    rules : str or Path, optional
        Programme rules (default: the shipped Table 2 rules).
    capacity : str or Path, optional
        A capacity scenario file (:func:`toolkit.needs.capacity.load_capacity`).
    profile : str or Path, optional
        The profile the cohort was generated from, if it declares its own categories.
    bar : toolkit.outputs.Progress, optional
        Told each of the two stages (reading, estimating).
    **options
        Keyword arguments of :func:`needs_summary` (and so of :func:`estimate_needs_gap`).

    Raises
    ------
    SpecError
        A rules, capacity or profile file that is unreadable or breaks its format.
    CohortError
        The cohort file is unreadable or breaks the columns the rules and profile give.
    """
    if bar is not None:
        bar.stage(f"reading {cohort}")
    prules = load_programme_rules(rules)
    scenario = load_capacity(capacity, prules) if capacity else None
    spec = load_profile(profile) if profile else None
    df = read_cohort(cohort, rules=prules, spec=spec)
    if bar is not None:
        bar.update()
        bar.stage("estimating the needs gap")
    out = needs_summary(df, prules, label=str(cohort), capacity=scenario, spec=spec, **options)
    if bar is not None:
        bar.update()
    return out


def write_needs_summary(
    cohort: str | Path,
    *,
    json_out: str | Path | None = None,
    csv_out: str | Path | None = None,
    rules: str | Path | None = None,
    capacity: str | Path | None = None,
    profile: str | Path | None = None,
    before_work=None,
    show=None,
    **options,
) -> tuple[NeedsSummary, list[str]]:
    """:func:`needs_summary_file`, with its JSON and CSV written all or nothing.

    Parameters
    ----------
    cohort, rules, capacity, profile, **options
        As :func:`needs_summary_file`.
    json_out, csv_out : str or Path, optional
        Where to write the result as JSON (``.json``) and the table as CSV (``.csv``); both are
        reserved before any work (an unwritable path is refused first) and neither is ever one
        of the input files.
    before_work : callable, optional
        Called with the cohort's estimated row count (None if unknown) once the outputs are
        reserved and before the cohort is read (the command checks memory there).
    show : callable, optional
        Called with the rendered text before the outputs are renamed into place.

    Returns
    -------
    (NeedsSummary, list of str)
        The result and the files written.

    Raises
    ------
    UsageError
        An output that is not ``.json``/``.csv``, or that cannot be written.
    """
    from toolkit.cohort.rows import estimate_rows
    from toolkit.outputs import atomic_outputs, progress

    written = [str(f) for f in (json_out, csv_out) if f]
    with atomic_outputs() as outputs:  # outputs reserved first, renamed when all are written
        outputs.protect(cohort, rules, capacity, profile)
        for out, suffix in ((json_out, ".json"), (csv_out, ".csv")):
            if out and not str(out).lower().endswith(suffix):
                raise UsageError(f"{out}: expected a {suffix} file")
            if out:
                outputs.reserve(out)
        if before_work is not None:
            before_work(estimate_rows(cohort))  # refuse a cohort too large before reading it
        with progress(2, "gaps") as bar:  # a bar on a terminal, lines in a log
            res = needs_summary_file(
                cohort, rules=rules, capacity=capacity, profile=profile, bar=bar, **options
            )
        if show is not None:
            show(res.render())
        if json_out:
            outputs.write_json(res.to_dict(), json_out)
        if csv_out:
            outputs.write_text(csv_out, res.to_frame().to_csv(index=False, lineterminator="\n"))
    return res, written
