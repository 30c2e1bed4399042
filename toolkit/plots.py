"""Matplotlib figures. Every ``plot_*`` takes ``ax=None`` and returns the axes; none calls
``plt.show()``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .schema import GROUPS, NEED_ITEM_LABELS, NEED_ITEMS
from .spec import ProfileSpec, load_profile


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
