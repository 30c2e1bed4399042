"""Figure 1 of Study 1 (mean OASys need item scores, standard recalls against all other
sentenced prisoners): a figure of this paper alone, so it lives beside the paper.

``toolkit.report.plots`` keeps ``figure1_table`` and ``plot_figure1`` as names that lead here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.profile.spec import ProfileSpec, load_profile
from toolkit.report.plots import caption_below, legend_below, new_axes
from toolkit.schema import GROUPS, NEED_ITEM_LABELS, NEED_ITEMS


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


def plot_figure1(
    cohort: pd.DataFrame, spec: ProfileSpec | None = None, ax=None, caption: bool = True
):
    """Reproduce Figure 1 (mean OASys need item scores) from a cohort beside the published bars.

    Bars are the synthetic means; black markers are the published chart values.

    Parameters
    ----------
    cohort : pandas.DataFrame
    spec : ProfileSpec, optional
    ax : matplotlib.axes.Axes, optional
    caption : bool
        Draw the caption (population, N) under the axes.

    Returns
    -------
    matplotlib.axes.Axes
    """
    tab = figure1_table(cohort, spec)
    ax = new_axes(ax, (8, 7))
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
    ax.set_xlabel("Mean item score (0 = no problem, 1 = some, 2 = significant)")
    ax.set_title(
        "Figure 1: assessment of need,\nstandard recalled vs all other sentenced prisoners"
    )
    below = legend_below(ax, ncol=3)
    if caption:
        has = cohort["has_oasys"].to_numpy()
        n_std = int((cohort["population"].isin(GROUPS["standard"]).to_numpy() & has).sum())
        n_oth = int((cohort["population"].isin(GROUPS["not_standard"]).to_numpy() & has).sum())
        caption_below(
            ax,
            f"Synthetic census cohort, 31 March 2014 (not real people): {n_std:,} standard "
            f"recalls and {n_oth:,} other sentenced prisoners with an OASys assessment; one "
            "cohort (no replications: the marginals are constructed exactly). Published values "
            "are the chart's data.",
            below,
        )
    return ax
