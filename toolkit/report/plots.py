"""Matplotlib figures. Every ``plot_*`` takes ``ax=None`` and returns the axes; none calls
``plt.show()``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.profile.spec import ProfileSpec, load_profile
from toolkit.schema import GROUPS, NEED_ITEM_LABELS, NEED_ITEMS


def _axes(ax, figsize=(8, 6)):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    return ax


def figure1_table(cohort: pd.DataFrame, spec: ProfileSpec | None = None) -> pd.DataFrame:
    """Figure 1 item means for standard recalls and everyone else: published and synthetic.

    Returns
    -------
    pandas.DataFrame
        Index: item; columns ``label``, ``published_standard``, ``synthetic_standard``,
        ``published_not_standard``, ``synthetic_not_standard``.
    """
    spec = load_profile() if spec is None else spec
    has = cohort["has_oasys"].to_numpy()
    rows = []
    for item in NEED_ITEMS:
        row = {"item": item, "label": NEED_ITEM_LABELS[item]}
        for group in ("standard", "not_standard"):
            m = cohort["population"].isin(GROUPS[group]).to_numpy() & has
            row[f"published_{group}"] = spec.target(f"figure1.{item}.{group}").value
            vals = cohort.loc[m, item].astype("float64")
            row[f"synthetic_{group}"] = float(vals.mean()) if vals.notna().any() else np.nan
        rows.append(row)
    return pd.DataFrame(rows).set_index("item")


def plot_figure1(cohort: pd.DataFrame, spec: ProfileSpec | None = None, ax=None):
    """Reproduce Figure 1 (mean OASys need item scores) from a cohort beside the published bars.

    Bars are the synthetic means; black markers are the published chart values.

    Parameters
    ----------
    cohort : pandas.DataFrame
    spec : ProfileSpec, optional
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    tab = figure1_table(cohort, spec)
    ax = _axes(ax, (8, 7))
    y = np.arange(len(tab))
    h = 0.38
    ax.barh(
        y - h / 2,
        tab["synthetic_standard"],
        height=h,
        color="#1f77b4",
        label="Standard recalled (synthetic)",
    )
    ax.barh(
        y + h / 2,
        tab["synthetic_not_standard"],
        height=h,
        color="#ff7f0e",
        label="Other sentenced (synthetic)",
    )
    ax.scatter(
        tab["published_standard"],
        y - h / 2,
        marker="|",
        s=160,
        color="black",
        zorder=3,
        label="Published (chart data)",
    )
    ax.scatter(tab["published_not_standard"], y + h / 2, marker="|", s=160, color="black", zorder=3)
    ax.set_yticks(y, tab["label"])
    ax.invert_yaxis()
    ax.set_xlim(0, 2)
    ax.set_xlabel("Average score (0 no problem, 1 moderate, 2 significant)")
    ax.set_title(
        "Figure 1: assessment of need,\nstandard recalled vs all other sentenced prisoners"
    )
    ax.legend(loc="lower right", fontsize="small")
    return ax


def plot_fidelity(report, ax=None):
    """Scatter of published vs synthetic values for the evaluated mean targets.

    Parameters
    ----------
    report : FidelityReport
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ev = report.evaluated
    ev = ev[ev["statistic"].isin(["mean", "share"]) & ev["synthetic"].notna()]
    ax = _axes(ax, (6, 6))
    colours = ev["pass"].map({True: "#2ca02c", False: "#d62728"}).fillna("grey")
    ax.scatter(ev["published_value"], ev["synthetic"].astype(float), c=list(colours), s=14)
    lim = [0, max(float(ev["published_value"].max()), 1.0) * 1.05]
    ax.plot(lim, lim, color="black", lw=0.8)
    ax.set_xscale("symlog", linthresh=1)
    ax.set_yscale("symlog", linthresh=1)
    ax.set_xlabel("Published")
    ax.set_ylabel("Synthetic")
    ax.set_title("Published vs synthetic (green: within printed precision)")
    return ax


def plot_needs_gap(result, rules=None, ax=None):
    """Table 2 as stacked bars (attended / attended something else / unmet) with intervals.

    Black markers are the published percentages; error bars are the unmet-share intervals.

    Parameters
    ----------
    result : NeedsGapResult
        From :func:`toolkit.needs_gap.estimate_needs_gap` without subgroups.
    rules : ProgrammeRules, optional
        For the published values and labels; defaults to the shipped rules.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    from toolkit.profile.rules import load_programme_rules

    rules = load_programme_rules() if rules is None else rules
    tab = result.table
    if result.by:
        tab = (
            tab.groupby("programme", sort=False)[
                ["suitable", "attended", "attended_other", "unmet"]
            ]
            .sum()
            .reset_index()
        )
        for o in ("attended", "attended_other", "unmet"):
            tab[f"{o}_pct"] = 100 * tab[o] / tab["suitable"]
    tab = tab.set_index("programme")
    names = [p.name for p in rules.programmes if p.name in tab.index]
    ax = _axes(ax, (8, 5))
    y = np.arange(len(names))
    left = np.zeros(len(names))
    colours = {"attended": "#2ca02c", "attended_other": "#9ecae1", "unmet": "#d62728"}
    labels = {
        "attended": "Attended",
        "attended_other": "Attended something else",
        "unmet": "Unmet need",
    }
    for o in ("attended", "attended_other", "unmet"):
        vals = tab.loc[names, f"{o}_pct"].to_numpy(float)
        ax.barh(y, vals, left=left, color=colours[o], label=labels[o])
        left += vals
    if "unmet_pct_lo" in tab and not result.by:
        lo = tab.loc[names, "unmet_pct_lo"].to_numpy(float)
        hi = tab.loc[names, "unmet_pct_hi"].to_numpy(float)
        start = 100 - tab.loc[names, "unmet_pct"].to_numpy(float)
        ax.errorbar(
            start + tab.loc[names, "unmet_pct"].to_numpy(float) / 2,
            y,
            xerr=[(hi - lo) / 2, (hi - lo) / 2],
            fmt="none",
            ecolor="black",
            capsize=3,
        )
    pub_att = [rules.programme(n).attended_pct for n in names]
    pub_unmet = [100 - rules.programme(n).unmet_pct for n in names]
    ax.scatter(
        pub_att,
        y,
        marker="|",
        s=200,
        color="black",
        zorder=3,
        label="Published (Table 2) boundaries",
    )
    ax.scatter(pub_unmet, y, marker="|", s=200, color="black", zorder=3)
    ax.set_yticks(
        y, [f"{rules.programme(n).label} (n={int(tab.loc[n, 'suitable'])})" for n in names]
    )
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of those suitable")
    ax.set_title("Accredited programmes: suitable people by attendance (Table 2)")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, -0.35), ncol=2, fontsize="small")
    return ax


def plot_release_curves(result, ax=None, max_days: float = 730):
    """Cumulative share released by days since recall, one line per strategy.

    Parameters
    ----------
    result : SimulationResult
    ax : matplotlib.axes.Axes, optional
    max_days : float
        Right edge of the x axis.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax, (7, 5))
    rec = result.records
    grid = np.linspace(0, max_days, 200)
    for name in result.strategies:
        days = np.sort(rec.loc[rec["strategy"] == name, "release_day"].to_numpy())
        ax.plot(grid, 100 * np.searchsorted(days, grid, side="right") / days.size, label=name)
    ax.set_xlabel("Days since recall")
    ax.set_ylabel("% released")
    ax.set_title("Cumulative re-release by review strategy")
    ax.legend(fontsize="small")
    return ax


def plot_route_mix(result, ax=None):
    """Stacked bars: share of releases by route (automatic, executive, Parole Board, SED)."""
    ax = _axes(ax, (7, 4))
    rec = result.records
    mix = (
        rec.groupby(["strategy", "route"], observed=False)
        .size()
        .unstack(fill_value=0)
        .reindex(list(result.strategies))
    )
    mix = 100 * mix.div(mix.sum(axis=1), axis=0)
    left = np.zeros(len(mix))
    y = np.arange(len(mix))
    for route in mix.columns:
        ax.barh(y, mix[route], left=left, label=str(route))
        left += mix[route].to_numpy()
    ax.set_yticks(y, list(mix.index))
    ax.invert_yaxis()
    ax.set_xlabel("% of releases")
    ax.set_title("Release route by strategy")
    ax.legend(fontsize="small", loc="lower right")
    return ax


def plot_frontier(result, ax=None):
    """Bed-days saved per person against reviews per person, one point per strategy (95% CI)."""
    ax = _axes(ax, (6, 5))
    s = result.summary()
    ax.errorbar(
        s["reviews_per_person"],
        s["bed_days_saved_per_person"],
        yerr=[
            s["bed_days_saved_per_person"] - s["bed_days_saved_per_person_lo"],
            s["bed_days_saved_per_person_hi"] - s["bed_days_saved_per_person"],
        ],
        fmt="o",
    )
    for _, r in s.iterrows():
        ax.annotate(
            r["strategy"],
            (r["reviews_per_person"], r["bed_days_saved_per_person"]),
            fontsize="small",
            xytext=(4, 4),
            textcoords="offset points",
        )
    ax.set_xlabel("Reviews per person")
    ax.set_ylabel("Bed-days saved per person (vs release at SED)")
    ax.set_title("Bed-days saved against review workload")
    return ax
