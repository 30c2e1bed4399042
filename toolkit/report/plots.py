"""Matplotlib figures a paper could carry: titles, axis labels with units, legends that hide no
data, intervals where they belong, and a caption (population, N, replications) under the axes.
Every ``plot_*`` takes ``ax=None`` and returns the axes; none calls ``plt.show()``.

Captions are drawn inside the axes' layout box (``ax.text`` in axes coordinates), so
``fig.tight_layout()`` / ``layout="constrained"`` make room for them; pass ``caption=False`` to
leave them off (e.g. when the caption goes into the paper's text).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.fidelity.report import EVALUATED_ROLES
from toolkit.profile.rules import load_programme_rules
from toolkit.report.counts import figure_counts
from toolkit.report.tables import precision_misses

#: Figures of one paper, kept under these names for existing callers (see ``__getattr__``).
_PAPER_FIGURES = {
    "figure1_table": "toolkit.papers.recall_process_experience.figures",
    "plot_figure1": "toolkit.papers.recall_process_experience.figures",
}


def __getattr__(name: str):
    # A paper's own figure lives beside the paper; imported on first use, since the paper's
    # module draws with the helpers below (an import at the top would be a cycle).
    if name in _PAPER_FIGURES:
        import importlib

        return getattr(importlib.import_module(_PAPER_FIGURES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def new_axes(ax, figsize=(8, 6)):
    """``ax``, or the axes of a new figure of ``figsize`` inches when ``ax`` is None."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    return ax


#: Space under the axes for tick labels and the x label, in points.
_XLABEL_PT = 40
_LINE_PT = 14  # one legend row / caption line at 'small' size, in points


def legend_below(ax, ncol: int = 2, title: str | None = None) -> float:
    """A legend centred under the axes, offset in points (not axes fractions) so it never
    overlaps the x label whatever the figure's size. Returns the points it occupies."""
    from matplotlib.transforms import ScaledTranslation

    handles, _ = ax.get_legend_handles_labels()
    shift = ScaledTranslation(0, -_XLABEL_PT / 72, ax.figure.dpi_scale_trans)
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, 0),
        bbox_transform=ax.transAxes + shift,
        ncol=ncol,
        fontsize="small",
        title=title,
        title_fontsize="small" if title else None,
    )
    rows = -(-len(handles) // ncol) + (1 if title else 0)
    return _XLABEL_PT + rows * _LINE_PT + 14


def caption_below(ax, text: str, below_pt: float = _XLABEL_PT) -> None:
    """A caption under the axes (and under a legend placed by :func:`legend_below`), wrapped
    to about the axes' width, offset in points."""
    import textwrap

    width_in = ax.get_position().width * ax.figure.get_figwidth()
    chars = max(50, int(width_in * 15))  # ~15 characters per inch at 'small' size
    ax.annotate(
        textwrap.fill(text, chars),
        xy=(0, 0),
        xycoords="axes fraction",
        xytext=(0, -below_pt - 4),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize="small",
        color="0.25",
        annotation_clip=False,
    )


# the names this module's figures use (kept for figures added elsewhere)
_axes, _legend_below, _caption = new_axes, legend_below, caption_below


def _short(name: str) -> str:
    r"""A strategy name that fits a tick label: 'capacity:per_week=50,priority=nearest_sed'
    -> 'capacity\nper_week=50, priority=nearest_sed'.

    >>> _short("proactive:every=28")
    'proactive\nevery=28'
    """
    kind, _, opts = name.partition(":")
    return kind if not opts else kind + "\n" + opts.replace(",", ", ")


#: How each source's rows are named on the fidelity figure.
SOURCE_LABELS = {
    "appendix": "Appendix (risk by recall type)",
    "table1": "Table 1",
    "figure1": "Figure 1 (chart data)",
    "table2": "Table 2 (programmes)",
    "text": "Study 1 text",
    "bo": "Better Outcomes guide",
}


def plot_fidelity(report, ax=None, limit: float = 2.0, caption: bool = True):
    """Each published figure's miss in units of its printed precision, grouped by source.

    The x axis is ``(synthetic - published) / tolerance``, where the tolerance is half a unit
    in the last printed digit (or the stated looseness of "around"): anything inside the grey
    band [-1, 1] prints as the published figure, whatever its scale (percentages, scores,
    years and counts share one honest axis). Points beyond ``limit`` are drawn at the edge as
    arrows and labelled with their target id.

    Parameters
    ----------
    report : FidelityReport
    ax : matplotlib.axes.Axes, optional
    limit : float
        Half-width of the x axis in precision units.
    caption : bool
        Draw the caption under the axes.

    Returns
    -------
    matplotlib.axes.Axes
    """
    # published figures only: the declared logical relations are rules, not published figures
    m = precision_misses(report)
    m = m[m["statistic"] != "relation"]
    counts = figure_counts(report)
    ax = _axes(ax, (8, 5))
    sources = [s for s in SOURCE_LABELS if s in set(m["source"])]
    sources += [s for s in dict.fromkeys(m["source"]) if s not in sources]
    ax.axvspan(-1, 1, color="0.9", zorder=0, label="Prints as published (|miss| <= 1)")
    ax.axvline(0, color="0.5", lw=0.8, zorder=1)
    evaluated = m["role"].isin(EVALUATED_ROLES)
    styles = (
        (evaluated & (m["pass"] == True), "o", "#2ca02c", "Evaluated, met"),  # noqa: E712
        (evaluated & (m["pass"] != True), "o", "#d62728", "Evaluated, missed"),  # noqa: E712
        (~evaluated, "D", "#7f7f7f", "Shown, not evaluated (audit: superseded or unmeetable)"),
    )
    for mask, marker, colour, label in styles:
        if mask.any():
            _fidelity_points(ax, m[mask], sources, limit, marker, colour, label)
    ax.set_yticks(range(len(sources)), [SOURCE_LABELS.get(s, s) for s in sources])
    ax.invert_yaxis()
    ax.set_xlim(-limit, limit)
    ax.set_xlabel("Synthetic minus published, in units of printed precision (half a last digit)")
    ax.set_title("How far each synthetic figure is from the published one")
    below = _legend_below(ax, ncol=2)
    if caption:
        n = int(m.loc[m["target_id"].str.endswith(".all_prisoners"), "synthetic"].max())
        _caption(
            ax,
            f"{len(m)} of the {counts.published} published figures (those with a synthetic "
            f"value; {counts.met} of {counts.evaluated} evaluated met), one synthetic census "
            f"cohort of {n:,} people (not real people; no replications: marginals are "
            "constructed). "
            "Counts have no rounding: an exact count scores 0. Arrows at the edges mark figures "
            "beyond the axis, labelled with their target id and miss.",
            below,
        )
    return ax


def _fidelity_points(ax, d, sources, limit, marker, colour, label) -> None:
    """One style's points of :func:`plot_fidelity`; those beyond ``limit`` as arrows at the
    edge, labelled with their target id and miss."""
    # Deterministic vertical spread so points in one row do not sit on top of each other.
    y = d["source"].map({s: i for i, s in enumerate(sources)}).to_numpy(float)
    rank = d.groupby("source").cumcount().to_numpy()
    size = d["source"].map(d["source"].value_counts()).to_numpy()
    y = y + 0.6 * (rank / np.maximum(size - 1, 1) - 0.5)
    x = d["miss_in_precision"].to_numpy(float)
    inside = np.abs(x) <= limit
    ax.scatter(x[inside], y[inside], s=14, marker=marker, color=colour, label=label, zorder=3)
    for xi, yi, tid in zip(x[~inside], y[~inside], d["target_id"].to_numpy()[~inside]):
        edge = np.sign(xi) * limit * 0.97
        ax.scatter([edge], [yi], marker=">" if xi > 0 else "<", s=40, color=colour, zorder=3)
        ax.annotate(
            f"{tid}\n({'count differs' if np.isinf(xi) else f'{xi:+.0f} units'})",
            (edge, yi),
            xytext=(-6 if xi > 0 else 6, 0),
            textcoords="offset points",
            ha="right" if xi > 0 else "left",
            va="center",
            fontsize="x-small",
        )


def plot_needs_gap(result, rules=None, ax=None, caption: bool = True):
    """Table 2 as stacked bars (attended / attended something else / unmet need).

    The 95% interval of the unmet share is drawn where that share starts (the left edge of the
    red segment, at 100 - unmet %), so its ends read directly on the axis, and it is
    asymmetric when the interval is (Wilson). Black ticks are the published boundaries.

    Parameters
    ----------
    result : NeedsGapResult
        From :func:`toolkit.needs.gap.estimate_needs_gap`; subgroups are summed.
    rules : ProgrammeRules, optional
        For the published values and labels; defaults to the shipped rules.
    ax : matplotlib.axes.Axes, optional
    caption : bool
        Draw the caption under the axes.

    Returns
    -------
    matplotlib.axes.Axes
    """
    rules = load_programme_rules() if rules is None else rules
    tab = _needs_gap_table(result)
    names = [p.name for p in rules.programmes if p.name in tab.index]
    ax = _axes(ax, (9, 5.5))
    y = np.arange(len(names))
    _attendance_bars(ax, tab, names, y)
    if "unmet_pct_lo" in tab and not result.by:
        _unmet_interval(ax, tab, names, y, result.confidence)
    _published_marks(ax, rules, names, y)
    ax.set_yticks(
        y, [f"{rules.programme(n).label} (n = {int(tab.loc[n, 'suitable']):,})" for n in names]
    )
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("Share of those suitable (%), read from the left")
    # The unmet share is the red segment, measured from the right edge: a top axis reads it
    # directly, so the interval's ends are the interval's values (e.g. 58.1 to 62.7).
    top = ax.secondary_xaxis("top", functions=(lambda x: 100 - x, lambda x: 100 - x))
    top.set_xlabel("Unmet need (%), read from the right", fontsize="small")
    ax.set_title("Accredited programmes: suitable standard recalls by attendance (Table 2)", pad=12)
    below = _legend_below(ax, ncol=2)
    if caption:
        base = int(tab["n_base"].max()) if "n_base" in tab else None
        _caption(
            ax,
            "Synthetic standard recalls with an OASys assessment, 31 March 2014 (not real "
            f"people){f', N = {base:,}' if base else ''}; one cohort. Programme rules are "
            f"assumed readings of Table 2's footnotes (reading: {result.reading}). Intervals "
            "describe a study of this size, not uncertainty about real prisoners.",
            below,
        )
    return ax


#: The needs gap's outcomes as stacked: label and colour.
NEEDS_GAP_OUTCOMES = {
    "attended": ("Attended the programme", "#2ca02c"),
    "attended_other": ("Attended another programme", "#9ecae1"),
    "unmet": ("Unmet need", "#d62728"),
}


def _needs_gap_table(result):
    """The result's table indexed by programme, subgroups summed (shares recomputed)."""
    tab = result.table
    if result.by:
        tab = (
            tab.groupby("programme", sort=False)[
                ["suitable", "attended", "attended_other", "unmet"]
            ]
            .sum()
            .reset_index()
        )
        for o in NEEDS_GAP_OUTCOMES:
            tab[f"{o}_pct"] = 100 * tab[o] / tab["suitable"]
    return tab.set_index("programme")


def _attendance_bars(ax, tab, names, y) -> None:
    """Attended / attended another / unmet, stacked from the left."""
    left = np.zeros(len(names))
    for o, (label, colour) in NEEDS_GAP_OUTCOMES.items():
        vals = tab.loc[names, f"{o}_pct"].to_numpy(float)
        ax.barh(y, vals, left=left, color=colour, label=label)
        left += vals


def _unmet_interval(ax, tab, names, y, confidence: float) -> None:
    """The unmet share's interval, drawn where the red segment starts (at 100 - unmet)."""
    unmet = tab.loc[names, "unmet_pct"].to_numpy(float)
    lo = tab.loc[names, "unmet_pct_lo"].to_numpy(float)
    hi = tab.loc[names, "unmet_pct_hi"].to_numpy(float)
    # The red segment starts at 100 - unmet; a higher unmet share moves that edge left.
    ax.errorbar(
        100 - unmet,
        y,
        xerr=[hi - unmet, unmet - lo],
        fmt="none",
        ecolor="black",
        elinewidth=1.5,
        capsize=4,
        label=f"{int(round(100 * confidence))}% interval of the unmet share "
        "(Wilson; read on the top axis)",
    )


def _published_marks(ax, rules, names, y) -> None:
    """Black ticks at Table 2's published boundaries: where attended ends, unmet starts."""
    pub_att = [rules.programme(n).attended_pct for n in names]
    pub_unmet = [100 - rules.programme(n).unmet_pct for n in names]
    ax.scatter(
        pub_att,
        y - 0.3,
        marker="v",
        s=30,
        color="black",
        zorder=3,
        label="Published (Table 2): where attended ends and where unmet starts",
    )
    ax.scatter(pub_unmet, y - 0.3, marker="v", s=30, color="black", zorder=3)


#: Through the Gate levels as drawn: column, label, colour.
PATHWAY_LEVELS = (
    ("level_3", "Level 3 (need and complexity)", "#08519c"),
    ("level_2_only", "Level 2 only (need)", "#6baed6"),
    ("level_2_3", "Levels 2 and 3 combined (one service)", "#9e9ac8"),
)


def plot_pathway_levels(report, ax=None, caption: bool = True):
    """People at Level 2 only and Level 3 of each resettlement pathway (Through the Gate), as a
    share of the cohort, under the report's complexity reading.

    Pathways the specification serves as one level show one "combined" bar; rows the cohort
    cannot estimate are labelled "not estimable", never drawn as zero.

    Parameters
    ----------
    report : TTGReport
        From :func:`toolkit.needs.pathways.ttg_report`; subgroups are summed.
    ax : matplotlib.axes.Axes, optional
    caption : bool
        Draw the caption under the axes.

    Returns
    -------
    matplotlib.axes.Axes
    """
    cols = [c for c, _, _ in PATHWAY_LEVELS]
    t = report.table.groupby("pathway", sort=False).agg(
        label=("label", "first"),
        n=("n", "sum"),
        **{c: (c, lambda v: v.sum(min_count=1)) for c in cols},
    )
    ax = _axes(ax, (9, 0.45 * len(t) + 2.5))
    y = np.arange(len(t))
    left = np.zeros(len(t))
    for col, label, colour in PATHWAY_LEVELS:
        pct = (100 * t[col].astype(float) / t["n"].where(t["n"] > 0)).fillna(0).to_numpy()
        ax.barh(y, pct, left=left, color=colour, label=label)
        left += pct
    missing = t[cols].isna().all(axis=1).to_numpy()
    for yi in np.flatnonzero(missing):
        ax.text(1, yi, "not estimable (the cohort lacks the item)", va="center", fontsize="small")
    ax.set_yticks(y, t["label"], fontsize="small")
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("Share of the cohort (%)")
    ax.set_title(f"Through the Gate service levels (complexity reading: {report.reading})")
    below = _legend_below(ax, ncol=2)
    if caption:
        _caption(
            ax,
            f"Synthetic cohort of {int(t['n'].max()):,} people (not real people), one cohort. "
            "Needs are read from the OASys items the cohort carries (a lower bound where the "
            "pathway covers items it lacks); Level 3 adds the reading's complexity groups "
            "(assumed readings of the specification, pathways.toml).",
            below,
        )
    return ax


def simulation_caption(result, routes: bool = False) -> str:
    """Caption of the simulation figures: population, admissions, replications; with
    ``routes``, also the share still in custody at the horizon and what the bars mean."""
    rec = result.records
    per = int(rec.groupby(["strategy", "replication"], observed=True).size().max())
    pops = ", ".join(sorted(map(str, rec["recall_type"].dropna().unique())))
    text = (
        f"Simulated admissions of {pops} recalls drawn from the synthetic 2014 census cohort, "
        "weighted by 1 / expected stay so the census is their stock "
        f"(not real people): {per:,} per replication x {result.n_replications} replications, "
        "every strategy on the same admissions (common random numbers)."
    )
    if routes:
        text += (
            " "
            + _horizon_note(result)
            + (
                " Error bars: 95% t intervals of the mean across replications (Monte Carlo "
                "error only, not uncertainty in the assumptions)."
            )
        )
    return text


def _horizon_note(result) -> str:
    rec = result.records
    h = (rec["route"] == "horizon").groupby(rec["strategy"], observed=True).mean() * 100
    at = rec.loc[rec["route"] == "horizon", "release_day"]
    horizon = f"{int(at.max()):,}-day" if len(at) else "simulation"
    return (
        f"Release routes are shares of those released; {h.min():.1f}-{h.max():.1f}% are still "
        f"in custody at the {horizon} horizon (not a release, not shown)."
    )


def figure_caption(fig, text: str, width: int = 180) -> None:
    """A caption along the bottom of a multi-panel figure (leave room with
    ``tight_layout(rect=(0, 0.06, 1, 1))``)."""
    import textwrap

    fig.text(
        0.01,
        0.01,
        textwrap.fill(text, width),
        ha="left",
        va="bottom",
        fontsize="small",
        color="0.25",
    )


def plot_release_curves(result, ax=None, max_days: float = 730, caption: bool = True):
    """Cumulative share of admissions released by days since recall, one line per strategy.

    People still in custody at the simulation horizon are never counted as released.

    Parameters
    ----------
    result : SimulationResult
    ax : matplotlib.axes.Axes, optional
    max_days : float
        Right edge of the x axis.
    caption : bool

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax, (7, 5))
    rec = result.records
    grid = np.linspace(0, max_days, 200)
    for name in result.strategies:
        r = rec[rec["strategy"] == name]
        released = r.loc[r["route"] != "horizon", "release_day"].to_numpy()
        days = np.sort(released)
        ax.plot(grid, 100 * np.searchsorted(days, grid, side="right") / len(r), label=name)
    ax.set_xlim(0, max_days)
    ax.set_ylim(0, 100)
    ax.set_xlabel("Days since recall (days)")
    ax.set_ylabel("Released so far (% of admissions)")
    ax.set_title("Cumulative re-release by review strategy")
    below = _legend_below(ax, ncol=2, title="Strategy")
    if caption:
        _caption(ax, simulation_caption(result), below)
    return ax


#: Release routes, in the order they are stacked (the horizon is not a release).
RELEASE_ROUTES = {
    "automatic": ("Automatic (fixed-term)", "#8c564b"),
    "executive": ("Executive release", "#ff7f0e"),
    "parole_board": ("Parole Board", "#2ca02c"),
    "sed": ("At sentence expiry (SED)", "#d62728"),
}


def plot_route_mix(result, ax=None, caption: bool = True):
    """Stacked bars: share of releases by route, per strategy.

    People still in custody at the simulation horizon are not released, so they are not a
    route: the shares are of those released, and the caption gives the share still in custody.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax, (7, 4.5))
    rec = result.records
    counts = (
        rec.groupby(["strategy", "route"], observed=False)
        .size()
        .unstack(fill_value=0)
        .reindex(list(result.strategies))
    )
    routes = [r for r in RELEASE_ROUTES if r in counts.columns]
    released = counts[routes]
    mix = 100 * released.div(released.sum(axis=1), axis=0)
    left = np.zeros(len(mix))
    y = np.arange(len(mix))
    for route in routes:
        label, colour = RELEASE_ROUTES[route]
        ax.barh(y, mix[route], left=left, color=colour, label=label)
        left += mix[route].to_numpy()
    ax.set_yticks(y, [_short(s) for s in mix.index], fontsize="small")
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("Share of those released (%)")
    ax.set_title("Release route by strategy")
    below = _legend_below(ax, ncol=2)
    if caption:
        _caption(ax, simulation_caption(result) + " " + _horizon_note(result), below)
    return ax


def plot_frontier(result, ax=None, caption: bool = True):
    """Bed-days saved per person against reviews per person, one point per strategy.

    Vertical bars are 95% t intervals of the mean across replications (the simulation's own
    Monte Carlo uncertainty, not uncertainty about the assumptions).

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax, (6.5, 5))
    s = result.summary()
    ax.errorbar(
        s["reviews_per_person"],
        s["bed_days_saved_per_person"],
        yerr=[
            s["bed_days_saved_per_person"] - s["bed_days_saved_per_person_lo"],
            s["bed_days_saved_per_person_hi"] - s["bed_days_saved_per_person"],
        ],
        fmt="o",
        capsize=4,
        label="Mean; bar = 95% interval across replications",
    )
    xmax = float(s["reviews_per_person"].max())
    # Label each point on the side away from the right edge; when two points sit close
    # together, put the second label above its point so the labels do not overlap.
    prev_x, prev_below = None, False
    for _, r in s.sort_values("reviews_per_person").iterrows():
        x, yv = r["reviews_per_person"], r["bed_days_saved_per_person"]
        right = x > 0.6 * xmax
        near = prev_x is not None and abs(x - prev_x) < 0.15 * max(xmax, 1)
        below = not (near and prev_below)
        ax.annotate(
            _short(r["strategy"]),
            (x, yv),
            fontsize="x-small",
            xytext=(-6 if right else 6, -4 if below else 6),
            textcoords="offset points",
            ha="right" if right else "left",
            va="top" if below else "bottom",
        )
        prev_x, prev_below = x, below
    ax.set_xlim(-0.05 * max(xmax, 1), 1.08 * max(xmax, 1))
    top = float(s["bed_days_saved_per_person_hi"].max())
    ax.set_ylim(-0.08 * max(top, 1), 1.15 * max(top, 1))
    ax.set_xlabel("Reviews per person (count)")
    ax.set_ylabel("Bed-days saved per person vs release at SED (days)")
    ax.set_title("Bed-days saved against review workload")
    ax.legend(loc="lower right", fontsize="small")
    if caption:
        _caption(ax, simulation_caption(result))
    return ax


def plot_capacity_over_time(
    result, rules=None, ax=None, column: str = "waiting", caption: bool = True
):
    """The capacity scenario month by month: one line per programme.

    Parameters
    ----------
    result : NeedsGapResult or CapacityResult
        From :func:`toolkit.needs.gap.estimate_needs_gap` with ``capacity`` given, or from
        :func:`toolkit.needs.capacity.capacity_over_time`.
    rules : ProgrammeRules, optional
        For programme labels; defaults to the shipped rules.
    ax : matplotlib.axes.Axes, optional
    column : str
        A column of the monthly table (``waiting``, ``completed``, ``released_unmet``, ...).
    caption : bool
        Draw the caption under the axes.

    Returns
    -------
    matplotlib.axes.Axes
    """
    # a CapacityResult holds the months as `monthly`; a NeedsGapResult as `capacity_monthly`
    monthly = getattr(result, "monthly", None)
    monthly = result.capacity_monthly if monthly is None else monthly
    if monthly is None:
        raise ValueError("the result has no capacity scenario: pass capacity= to the estimate")
    rules = load_programme_rules() if rules is None else rules
    labels = {p.name: p.label for p in rules.programmes}
    ax = _axes(ax, figsize=(9, 5.5))
    for name, d in monthly.groupby("programme", sort=False):
        ax.plot(d["month"], d[column], marker=".", label=labels.get(name, name))
    ax.set_xlabel("month of the scenario")
    ax.set_ylabel(f"{column.replace('_', ' ')} (national people)")
    ax.set_ylim(bottom=0)
    ax.set_title("Capacity scenario over time (ILLUSTRATIVE places, length and wait)")
    below = _legend_below(ax, ncol=3)
    if caption:
        _caption(
            ax,
            "Monthly stock-flow of unmet programme need: people with unmet need in custody at "
            "the start, arrivals from the published recall flow (census reweighted by 1/stay), "
            "starts limited by places, release at the calibrated stay. Places, lengths and "
            "waits are not published (capacity_example.toml).",
            below,
        )
    return ax


#: axis labels of the sweep's outcomes (the sweep's own figures use them too)
SWEEP_LABELS = {
    "released_at_sed_pct": "released at SED (%)",
    "bed_days_saved_per_person": "bed-days saved per person",
    "re_recall_pct": "re-recalled (%)",
    "sfo_per_1000": "serious further offences per 1,000",
    "review_hours_per_person": "review hours per person",
}


def plot_sweep_frontier(result, ax=None):
    """A sweep's cost-effectiveness frontier: review hours per person against bed-days saved
    per person, one point per strategy (bars: 2.5-97.5 percentiles over the assumption draws),
    the frontier joined.

    Parameters
    ----------
    result : SweepRun or pandas.DataFrame
        A sweep (:class:`toolkit.sweep.run.SweepRun`) or its frontier table
        (:func:`toolkit.sweep.sensitivity.frontier` of the PSA summary).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    front = result if isinstance(result, pd.DataFrame) else result.frontier()
    ax = _axes(ax, (7, 5))
    x, y = front["review_hours_per_person"], front["bed_days_saved_per_person"]
    xerr = yerr = None
    if "review_hours_per_person_p2.5" in front:
        xerr = np.vstack(
            [x - front["review_hours_per_person_p2.5"], front["review_hours_per_person_p97.5"] - x]
        )
        yerr = np.vstack(
            [
                y - front["bed_days_saved_per_person_p2.5"],
                front["bed_days_saved_per_person_p97.5"] - y,
            ]
        )
    ax.errorbar(x, y, xerr=xerr, yerr=yerr, fmt="o", color="grey", ecolor="lightgrey", ms=4)
    f = front[front["on_frontier"]].sort_values("review_hours_per_person")
    ax.plot(
        f["review_hours_per_person"],
        f["bed_days_saved_per_person"],
        "-o",
        color="tab:red",
        label="frontier",
    )
    order = front.sort_values("review_hours_per_person")
    for i, (_, r) in enumerate(order.iterrows()):
        # alternate labels above and below the points so neighbours do not overprint
        ax.annotate(
            r["strategy"],
            (r["review_hours_per_person"], r["bed_days_saved_per_person"]),
            fontsize=7,
            xytext=(4, 6 if i % 2 else -11),
            textcoords="offset points",
        )
    ax.set_xlabel(SWEEP_LABELS["review_hours_per_person"])
    ax.set_ylabel(SWEEP_LABELS["bed_days_saved_per_person"] + " (vs release at SED)")
    ax.legend(fontsize=8)
    return ax
