"""Monthly stock-flow projection of the recalled population in custody.

The stock at the end of month ``t`` is the admissions of every earlier month still in custody:

``stock[t] = sum_k admissions[t - k] * w[k]``,  ``w[k] = E[clip((D - k L) / L, 0, 1)]``

with ``D`` the days in custody of an admitted episode (drawn by the review model under a
strategy), ``L`` the mean month (365.25 / 12 days) and admissions spread evenly within their
month (``w[k]`` is then exactly the chance that an episode admitted in month ``t - k`` is still in
custody at the end of month ``t``). The flow and the published stock and growth figures it is
checked against come from ``papers/recall_process_experience/national_flow.toml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.datafiles import check_keys, paper_file, read_toml
from toolkit.exceptions import SpecError
from toolkit.schema import RECALL_TYPES

MONTH_DAYS = 365.25 / 12
_SOURCE, _NAME = "recall_process_experience", "national_flow.toml"
_PROV = ("kind", "line", "quote", "reason")


@dataclass(frozen=True)
class NationalFlow:
    """The national figures of ``national_flow.toml`` (published and assumed)."""

    path: str
    annual_recalls: float
    year: int
    stock: tuple[tuple[str, float, str], ...]  # (date, value, quote)
    growth: tuple[str, str, float, str] | None  # (start, end, pct, quote)
    standard_share_pct: float | None
    flow_growth_pct_per_year: float
    populations: tuple[str, ...]
    status_quo_strategy: str
    switch: pd.Period
    years: int


def _period(label, where, text) -> pd.Period:
    try:
        return pd.Period(str(text), freq="M")
    except (ValueError, TypeError):
        raise SpecError(label, where, "must be a date like 2016-03-31 or 2016-03", text) from None


def _pos(label, where, v) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0:
        raise SpecError(label, where, "must be a positive number", v)
    return float(v)


def load_national_flow(path: str | Path | None = None) -> NationalFlow:
    """Read ``national_flow.toml`` (default: the shipped one).

    Raises
    ------
    SpecError
        Unknown keys, missing figures, bad dates or values (naming file, key and value).
    """
    if path is None:
        # the source checkout's papers/ when run from one (an editable install elsewhere can map
        # toolkit.papers to another tree), else the copy shipped in the wheel
        here = Path(__file__).resolve().parents[2] / "papers" / _SOURCE / _NAME
        path = here if here.is_file() else paper_file(_SOURCE, _NAME)
    d, label = read_toml(path, _SOURCE, _NAME)
    label = label if path != paper_file(_SOURCE, _NAME) else f"<default>/{_SOURCE}/{_NAME}"
    check_keys(
        d,
        ("meta", "flow", "stock", "growth", "standard_share", "assumed"),
        label,
        required=("flow", "stock", "assumed"),
    )
    fl = d["flow"]
    check_keys(fl, ("annual_recalls", "year", *_PROV), label, "flow", required=("annual_recalls",))
    stock = []
    if not isinstance(d["stock"], list) or not d["stock"]:
        raise SpecError(label, "stock", "must be one or more [[stock]] tables")
    for i, s in enumerate(d["stock"]):
        w = f"stock[{i}]"
        check_keys(s, ("date", "value", *_PROV), label, w, required=("date", "value"))
        _period(label, f"{w}.date", s["date"])
        stock.append((str(s["date"]), _pos(label, f"{w}.value", s["value"]), s.get("quote", "")))
    growth = None
    if "growth" in d:
        g = d["growth"]
        check_keys(g, ("start", "end", "pct", *_PROV), label, "growth", required=("start", "end"))
        if _period(label, "growth.end", g["end"]) <= _period(label, "growth.start", g["start"]):
            raise SpecError(label, "growth.end", "must be after growth.start", g["end"])
        growth = (str(g["start"]), str(g["end"]), float(g["pct"]), g.get("quote", ""))
    share = None
    if "standard_share" in d:
        check_keys(d["standard_share"], ("pct", *_PROV), label, "standard_share")
        share = float(d["standard_share"]["pct"])
    a = d["assumed"]
    check_keys(
        a,
        (
            "flow_growth_pct_per_year",
            "populations",
            "status_quo_strategy",
            "switch",
            "years",
            *_PROV,
        ),
        label,
        "assumed",
        required=("populations", "status_quo_strategy", "switch", "years"),
    )
    pops = a["populations"]
    if not isinstance(pops, list) or not pops or any(p not in RECALL_TYPES for p in pops):
        raise SpecError(label, "assumed.populations", "must list recall types", pops)
    years = a["years"]
    if isinstance(years, bool) or not isinstance(years, int) or not 1 <= years <= 30:
        raise SpecError(label, "assumed.years", "must be a whole number of years, 1 to 30", years)
    gr = a.get("flow_growth_pct_per_year", 0.0)
    if isinstance(gr, bool) or not isinstance(gr, (int, float)) or gr <= -100:
        raise SpecError(label, "assumed.flow_growth_pct_per_year", "must be above -100", gr)
    return NationalFlow(
        path=label,
        annual_recalls=_pos(label, "flow.annual_recalls", fl["annual_recalls"]),
        year=int(fl.get("year", 2015)),
        stock=tuple(stock),
        growth=growth,
        standard_share_pct=share,
        flow_growth_pct_per_year=float(gr),
        populations=tuple(pops),
        status_quo_strategy=str(a["status_quo_strategy"]),
        switch=_period(label, "assumed.switch", a["switch"]),
        years=years,
    )


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


def project_stock(flow: NationalFlow, stays: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Month-end stock under each strategy, from a warm-up before the flow year to the end.

    Parameters
    ----------
    flow : NationalFlow
    stays : dict strategy -> DataFrame with ``custody_days`` and ``recall_type``
        One row per simulated admission. Must include ``flow.status_quo_strategy``: admissions
        before ``flow.switch`` follow it.

    Returns
    -------
    pandas.DataFrame
        Columns ``month`` (Period), ``strategy``, ``admissions``, ``stock`` and
        ``stock_standard`` (the standard recalls in it).
    """
    if flow.status_quo_strategy not in stays:
        raise SpecError(
            flow.path,
            "assumed.status_quo_strategy",
            "must be one of the projected strategies",
            flow.status_quo_strategy,
        )
    longest = max(float(v["custody_days"].max()) for v in stays.values())
    warm = int(np.ceil(longest / MONTH_DAYS)) + 2
    # steady by the January before the flow year (what the plot shows and the growth check uses)
    first = min(pd.Period(f"{flow.year - 1}-01", freq="M"), flow.switch) - warm
    last = flow.switch + 12 * flow.years - 1
    months = pd.period_range(first, last, freq="M")
    centre = pd.Period(f"{flow.year}-07", freq="M")  # the flow year's total is centred mid-year
    lag = np.array([(m - centre).n for m in months], float)
    adm = flow.annual_recalls / 12 * (1 + flow.flow_growth_pct_per_year / 100) ** (lag / 12)
    before = np.array([m < flow.switch for m in months])
    n = len(months)

    def weights(df, standard_only):
        among = (df["recall_type"].astype(str) == "standard") if standard_only else None
        return stay_weights(df["custody_days"].to_numpy(float), n, among)

    sq = stays[flow.status_quo_strategy]
    frames = []
    for name, df in stays.items():
        cols = {}
        for col, std in (("stock", False), ("stock_standard", True)):
            cols[col] = (
                np.convolve(adm * before, weights(sq, std))[:n]
                + np.convolve(adm * ~before, weights(df, std))[:n]
            )
        frames.append(pd.DataFrame({"month": months, "strategy": name, "admissions": adm, **cols}))
    return pd.concat(frames, ignore_index=True)


def validate_projection(flow: NationalFlow, proj: pd.DataFrame) -> pd.DataFrame:
    """The status-quo projection against every published stock and growth figure.

    Returns
    -------
    pandas.DataFrame
        ``figure``, ``published``, ``projected``, ``miss`` (projected - published) and
        ``miss_pct`` (of the published figure), ``quote``.
    """
    sqf = proj[proj["strategy"] == flow.status_quo_strategy].set_index("month")
    sq = sqf["stock"]
    rows = []
    for date, value, quote in flow.stock:
        p = float(sq.get(pd.Period(date, freq="M"), np.nan))
        rows.append(("stock " + date, value, p, quote))
    if flow.growth is not None:
        a, b, pct, quote = flow.growth
        s0 = float(sq.get(pd.Period(a, freq="M"), np.nan))
        s1 = float(sq.get(pd.Period(b, freq="M"), np.nan))
        rows.append((f"growth % {a} to {b}", pct, 100 * (s1 / s0 - 1), quote))
    if flow.standard_share_pct is not None and flow.stock:
        m = pd.Period(flow.stock[0][0], freq="M")
        share = 100 * sqf.loc[m, "stock_standard"] / sqf.loc[m, "stock"]
        rows.append((f"standard recall % of stock {m}", flow.standard_share_pct, share, ""))
    df = pd.DataFrame(rows, columns=["figure", "published", "projected", "quote"])
    df.insert(3, "miss", df["projected"] - df["published"])
    df.insert(4, "miss_pct", 100 * df["miss"] / df["published"])
    return df
