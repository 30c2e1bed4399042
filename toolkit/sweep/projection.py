"""Monthly stock-flow projection of the recalled population in custody.

The stock at the end of month ``t`` is the admissions of every earlier month still in custody:

``stock[t] = sum_k admissions[t - k] * w[k]``,  ``w[k] = E[clip((D - k L) / L, 0, 1)]``

with ``D`` the days in custody of an admitted episode (drawn by the review model under a
strategy), ``L`` the mean month (365.25 / 12 days) and admissions spread evenly within their
month (``w[k]`` is then exactly the chance that an episode admitted in month ``t - k`` is still in
custody at the end of month ``t``).

The flow grows as the sources say: at the published stock growth (``[[growth]]`` of the national
model, 15% a year March 2015 to March 2016) until ``[projection] growth_until``, then at the
assumed ``growth_after_pct_per_year``. Its level is set by the national model's ``[anchor]``:
``"stock"`` scales it so the status quo holds the published stock on the anchor date; ``"flow"``
so that admissions over the published flow's period total its count. Every figure, date and label
comes from the national model (:func:`toolkit.national.load_national`), and
:func:`validate_projection` lists every published stock, flow, growth and share figure with the
projection's miss.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.exceptions import SpecError
from toolkit.national import NationalModel, date_label, load_national

MONTH_DAYS = 365.25 / 12

#: The national model the projection reads (kept under the name sweeps and notebooks import).
NationalFlow = NationalModel


def load_national_flow(path: str | Path | None = None) -> NationalModel:
    """The national model (``national.toml``; default: the shipped one): see
    :func:`toolkit.national.load_national`."""
    return load_national(path)


def _month(d) -> pd.Period:
    return pd.Period(d, freq="M")


def stay_weights(days: np.ndarray, months: int, among=None) -> np.ndarray:
    """``w[k]``: the chance an episode admitted (evenly) in a month is still in custody ``k``
    month-ends later, from a sample of days in custody (``among``: count only these episodes,
    still dividing by all, for one recall type's part of the stock)."""
    d = np.asarray(days, float)
    m = np.ones(d.size) if among is None else np.asarray(among, float)
    k = np.arange(months)[:, None] * MONTH_DAYS
    # evaluated in blocks of lags so the (months x n) matrix stays small
    out = np.empty(months)
    for s in range(0, months, 12):
        inside = np.clip((d[None, :] - k[s : s + 12]) / MONTH_DAYS, 0, 1)
        out[s : s + 12] = (inside * m).mean(axis=1)
    return out


def monthly_admissions(nat: NationalModel, months: pd.PeriodIndex) -> np.ndarray:
    """Admissions per month at level 1 (the month of the published flow's start = 1/12 of a
    year's), growing at the published rate until ``growth_until`` and at the assumed rate after;
    :func:`project_stock` sets the level from the anchor."""
    g = nat.growth_per_year
    g_after = nat.projection.growth_after_pct_per_year / 100
    ref, until = _month(nat.flows[0].start), _month(nat.projection.growth_until)
    t = np.array([(m - ref).n for m in months], float)
    t_until = float((until - ref).n)
    before = np.minimum(t, t_until)
    after = np.maximum(t - t_until, 0.0)
    return (1 + g) ** (before / 12) * (1 + g_after) ** (after / 12) / 12


def project_stock(flow: NationalModel, stays: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Month-end stock under each strategy, from a warm-up before the census to the end.

    Parameters
    ----------
    flow : NationalModel
        The national model (:func:`toolkit.national.load_national`).
    stays : dict strategy -> DataFrame with ``custody_days`` and ``recall_type``
        One row per simulated admission. Must include the projection's
        ``status_quo_strategy``: admissions before its ``switch`` follow it.

    Returns
    -------
    pandas.DataFrame
        Columns ``month`` (Period), ``strategy``, ``admissions``, ``stock`` and
        ``stock_standard`` (the standard recalls in it).
    """
    pj = flow.projection
    if pj.status_quo_strategy not in stays:
        raise SpecError(
            flow.path,
            "projection.status_quo_strategy",
            "must be one of the projected strategies",
            pj.status_quo_strategy,
        )
    switch = _month(pj.switch)
    longest = max(float(v["custody_days"].max()) for v in stays.values())
    warm = int(np.ceil(longest / MONTH_DAYS)) + 2
    # steady growth by the year before the census (what the plot shows and the checks use)
    first = min(_month(flow.census_date) - 12, switch) - warm
    last = switch + 12 * pj.years - 1
    months = pd.period_range(first, last, freq="M")
    adm = monthly_admissions(flow, months)
    before = np.array([m < switch for m in months])
    n = len(months)

    def weights(df, standard_only):
        among = (df["recall_type"].astype(str) == "standard") if standard_only else None
        return stay_weights(df["custody_days"].to_numpy(float), n, among)

    sq = stays[pj.status_quo_strategy]
    w_sq = {std: weights(sq, std) for std in (False, True)}
    # the level: hold the published stock on the anchor date under the status quo, or make the
    # admissions over the published flow's period total its count
    if flow.anchor == "stock":
        k = months.get_loc(_month(flow.anchor_date))
        level = flow.anchor_stock.count / float(np.convolve(adm, w_sq[False])[k])
    else:
        f = flow.flows[0]
        inside = (months >= _month(f.start)) & (months <= _month(f.end))
        level = f.count / float(adm[inside].sum())
    adm = adm * level
    frames = []
    for name, df in stays.items():
        cols = {}
        for col, std in (("stock", False), ("stock_standard", True)):
            w = w_sq[std] if df is sq else weights(df, std)
            cols[col] = np.convolve(adm * before, w_sq[std])[:n] + np.convolve(adm * ~before, w)[:n]
        frames.append(pd.DataFrame({"month": months, "strategy": name, "admissions": adm, **cols}))
    return pd.concat(frames, ignore_index=True)


def validate_projection(flow: NationalModel, proj: pd.DataFrame) -> pd.DataFrame:
    """The status-quo projection against every published stock, flow, growth and share figure.

    Returns
    -------
    pandas.DataFrame
        ``figure``, ``date`` (the end of the period it describes), ``published``, ``projected``,
        ``miss`` (projected - published), ``miss_pct`` (of the published figure), ``anchored``
        (True where the projection is scaled to meet the figure, so its miss is zero by
        construction), ``role`` (``"anchor"``; ``"input"``: the flow grows at this rate, so the
        stock meets it up to the stays' transients; ``"check"``: an out-of-fit comparison),
        ``line`` and ``quote``.
    """
    sqf = proj[proj["strategy"] == flow.projection.status_quo_strategy].set_index("month")
    sq = sqf["stock"]
    rows = []

    def at(d) -> float:
        return float(sq.get(_month(d), np.nan))

    for s in flow.stocks:
        anchored = flow.anchor == "stock" and s.date == flow.anchor_date
        rows.append((f"stock {s.label}", s.date, s.count, at(s.date), anchored, s.line, s.quote))
    for f in flow.flows:
        inside = (sqf.index >= _month(f.start)) & (sqf.index <= _month(f.end))
        got = float(sqf.loc[inside, "admissions"].sum())
        anchored = flow.anchor == "flow" and f is flow.flows[0]
        rows.append((f"recalls {f.label}", f.end, f.count, got, anchored, f.line, f.quote))
    for g in flow.growths:
        got = 100 * (at(g.end) / at(g.start) - 1)
        label = f"stock growth % {g.start} to {g.end}"
        rows.append((label, g.end, g.percent, got, False, g.line, g.quote))
    a = flow.anchor_date
    m = _month(a)
    share = 100 * sqf.loc[m, "stock_standard"] / sqf.loc[m, "stock"]
    rows.append(
        (
            f"standard recall % of stock {date_label(a)}",
            a,
            100 * flow.standard_share,
            share,
            False,
            flow.standard_share_line,
            flow.standard_share_quote,
        )
    )
    cols = ["figure", "date", "published", "projected", "anchored", "line", "quote"]
    df = pd.DataFrame(rows, columns=cols)
    growth = df["figure"].str.startswith("stock growth")
    df.insert(5, "role", np.where(df["anchored"], "anchor", np.where(growth, "input", "check")))
    df["date"] = df["date"].astype(str)
    df.insert(4, "miss", df["projected"] - df["published"])
    df.insert(5, "miss_pct", 100 * df["miss"] / df["published"])
    return df
