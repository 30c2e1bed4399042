"""Figures of a sweep: Sobol indices, tornado, frontier, projection. Each takes ``ax=None``
and returns the axes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.report.plots import SWEEP_LABELS as LABELS


def _ax(ax, size=(6, 4)):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=size)
    return ax


def plot_sobol(indices: pd.DataFrame, strategy: str, outcome: str, ax=None):
    """First-order (S1) and total (ST) Sobol indices with their confidence intervals."""
    ax = _ax(ax)
    d = indices[(indices["strategy"] == strategy) & (indices["outcome"] == outcome)]
    d = d.sort_values("ST")
    y = np.arange(len(d))
    ax.barh(y - 0.2, d["S1"], 0.4, xerr=d["S1_conf"], label="first order S1", capsize=2)
    ax.barh(y + 0.2, d["ST"], 0.4, xerr=d["ST_conf"], label="total ST", capsize=2)
    ax.set_yticks(y, d["parameter"])
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_xlabel("Sobol index (share of variance)")
    ax.set_title(f"{LABELS.get(outcome, outcome)}\n{strategy}", fontsize=9)
    ax.legend(fontsize=8, loc="lower right")
    return ax


def plot_tornado(table: pd.DataFrame, outcome: str = "", ax=None):
    """Tornado: mean outcome with each assumption low vs high (from :func:`tornado`), largest
    swing on top, centred on the mean over all draws."""
    ax = _ax(ax)
    d = table.iloc[::-1]
    y = np.arange(len(d))
    c = float(d["centre"].iloc[0]) if len(d) else 0.0
    ax.barh(y, d["low"] - c, left=c, color="tab:blue", label="assumption low (bottom 20%)")
    ax.barh(y, d["high"] - c, left=c, color="tab:orange", label="assumption high (top 20%)")
    ax.axvline(c, color="black", lw=0.8)
    ax.set_yticks(y, d["parameter"])
    ax.set_xlabel(LABELS.get(outcome, outcome))
    ax.legend(fontsize=7, loc="lower right")
    return ax


def plot_frontier(front: pd.DataFrame, ax=None):
    """The frontier figure; its home is :func:`toolkit.report.plots.plot_sweep_frontier`."""
    from toolkit.report.plots import plot_sweep_frontier

    return plot_sweep_frontier(front, ax=ax)


def plot_projection(proj: pd.DataFrame, flow=None, ax=None):
    """Projected month-end stock per strategy from the year before the census (the warm-up
    before it is not shown); every published stock as a star at its date, labelled with its
    count (``flow``: the national model, :func:`toolkit.national.load_national`)."""
    ax = _ax(ax, (8, 4.5))
    if flow is not None:
        proj = proj[proj["month"] >= pd.Period(flow.census_date, freq="M") - 12]
    for name, d in proj.groupby("strategy", sort=False):
        ax.plot(d["month"].dt.to_timestamp(how="end"), d["stock"], label=name, lw=1.2)
    if flow is not None:
        for s in flow.stocks:
            ax.plot(pd.Timestamp(s.date), s.count, "k*", ms=9)
            ax.annotate(
                f"{s.count:,}",
                (pd.Timestamp(s.date), s.count),
                textcoords="offset points",
                xytext=(4, 6),
                fontsize=7,
            )
        ax.plot([], [], "k*", label="published stock")
        switch = pd.Period(flow.projection.switch, freq="M").to_timestamp()
        ax.axvline(switch, color="grey", ls=":", lw=0.8, label="strategies start")
    ax.set_ylabel("recalled prisoners in custody (month end)")
    ax.set_title("Projected recalled population in custody", fontsize=10)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7, ncol=2)
    return ax
