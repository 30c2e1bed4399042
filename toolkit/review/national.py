"""National scaling and the Little's-law check against the seeds' stock and flow.

The census (the stock) mixes recall types in proportion to flow x mean stay, so the flow share of
each type is ``sum over its census rows of 1 / E[stay | person]`` over the same sum for all
types. The stock mix is the published one (the default census of all recall types, whatever
cohort the user simulates), E[stay] comes from the model under formal reviews. Little's law
(stationary): stock = flow x mean stay. With a growing flow (rate g a year, r = ln(1 + g)),
the stock at T (the anchor date) is ``lambda(T) * E[(1 - exp(-r S)) / r]`` (S in years), and the
published flow's total (observed over its period, [T - b, T - a] years: [T - 1.25, T - 0.25] for
the 2015 flow and T = 31 March 2016) gives ``lambda(T)``. Every figure, date and label comes
from the national model (``national.toml``, :mod:`toolkit.national`) through ``rules.national``.

The check (``implied_stock``) always uses the published flow. What national figures use is set by
``[anchor] kind`` in ``national.toml``: ``"flow"`` scales by the published flow; ``"stock"``
solves Little's law for the flow that holds the published stock at the model's stays, so national
bed-days and admissions agree with the stock on the census date by construction (an explicit
``annual_recalls`` always means the flow).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from toolkit.categories import RECALL_TYPES, YEAR_DAYS
from toolkit.national import check_growth
from toolkit.review.census import CENSUS_SEED, default_census, prepare_census
from toolkit.review.episodes import draw_episodes, stay_weights
from toolkit.review.mechanism import formal_plan, release_outcomes

__all__ = ["CENSUS_SEED", "capacity_admissions", "littles_law_text", "national_flow"]

_DRAWS = 8


def national_flow(
    rules,
    params: dict,
    populations: Sequence[str] = ("standard",),
    *,
    growth: float | None = None,
    annual_recalls: float | None = None,
    census=None,
) -> dict:
    """Flow shares, mean stays and the Little's-law check (see the module docstring)."""
    census = default_census() if census is None else prepare_census(census)
    rows = np.flatnonzero(census.recall_type >= 0)
    w = stay_weights(census, rows, rules, params)  # 1 / E[stay | person], per day
    nat = rules.national
    flow_2015 = float(nat["annual_recalls"] if annual_recalls is None else annual_recalls)
    growth = check_growth(growth)
    g = 0.0 if growth is None else float(growth)
    r = np.log1p(g)
    # growth or decline alike (a negative --growth was ignored before: `r > 0`); the formulas
    # below hold for any r != 0 and tend to the stationary ones as r -> 0
    if abs(r) > 1e-12:
        rep = np.repeat(rows, _DRAWS)
        ep = draw_episodes(census, rep, rules, params, np.random.default_rng(CENSUS_SEED))
        stay = release_outcomes(ep, formal_plan(ep, rules), rules)["release_day"] / 365.0
        f = (-np.expm1(-r * stay) / r).reshape(-1, _DRAWS).mean(axis=1)
        a, b = _flow_offsets(nat)
        now = flow_2015 * r / (np.exp(-a * r) - np.exp(-b * r))
    else:
        f = None
        now = flow_2015
    # E over admissions of f(S): census rows weighted by w (= the admission mix)
    # stationary: E_adm[S] = N / sum(w) exactly (the smoothed stays behind the weights)
    exposure = float((w * f).sum() / w.sum()) if f is not None else rows.size / w.sum() / YEAR_DAYS
    implied_stock = now * exposure  # the check: published flow x the model's stays
    stock = nat["stock"]
    anchor = "flow" if annual_recalls is not None else nat.get("anchor", "flow")
    # the flow that national figures use: the published one, or the one that holds the
    # published stock at the model's stays (Little's law solved for the flow)
    used_now = now if anchor == "flow" else stock / exposure
    types = census.recall_type[rows]
    by_w = np.bincount(types, weights=w, minlength=len(RECALL_TYPES))
    n_t = np.bincount(types, minlength=len(RECALL_TYPES))
    flow_share_t = by_w / by_w.sum()
    mean_stay_t = np.where(by_w > 0, n_t / np.maximum(by_w, 1e-300), np.nan)
    stock_t = stock * n_t / n_t.sum()
    pops = [RECALL_TYPES.index(t) for t in populations]
    return {
        "flow_share": float(flow_share_t[pops].sum()),
        "annual_recalls": flow_2015,
        "annual_recalls_now": float(used_now),
        "anchor": anchor,
        "annual_recalls_now_from_published_flow": float(now),
        "national_stock": float(used_now * exposure),
        "national_stock_of_populations": float(used_now * exposure * n_t[pops].sum() / n_t.sum()),
        "growth": g,
        "mean_stay_days": float(n_t.sum() / by_w.sum()),
        "mean_stay_days_by_type": dict(zip(RECALL_TYPES, np.round(mean_stay_t, 1).tolist())),
        "flow_share_by_type": dict(zip(RECALL_TYPES, np.round(flow_share_t, 4).tolist())),
        "stock_share_by_type": dict(zip(RECALL_TYPES, np.round(n_t / n_t.sum(), 4).tolist())),
        "implied_stock": float(implied_stock),
        "published_stock": float(stock),
        "published_stock_sept_2016": float(nat["stock_sept_2016"]),
        "published_stock_label": nat["stock_label"],
        "other_published_stocks": tuple(nat["other_stocks"]),
        "flow_label": nat["flow_label"],
        "source": nat["source"],
        "implied_stock_over_published": float(implied_stock / stock),
        "flow_implied_by_stock": float(np.nansum(stock_t * YEAR_DAYS / mean_stay_t)),
    }


def capacity_admissions(rules=None) -> tuple[float, str]:
    """Recalls a year of every recall type that ``simulate`` scales by (the national model's
    anchor applied to the review model's stays, stationary), and what they are, for
    :func:`toolkit.needs.estimate_needs_gap`'s ``annual_recalls``: the capacity scenario's
    arrivals then stand on the same national footing as ``simulate`` (``gaps --capacity``, the
    write-ups, the demo and notebook 02 pass it)."""
    from toolkit.review.policy import load_release_rules

    rules = load_release_rules() if rules is None else rules
    nat = national_flow(rules, dict(rules.calibrated), RECALL_TYPES)
    how = (
        f"holding the published stock of {nat['published_stock']:,.0f} on "
        f"{nat['published_stock_label']} at the review model's stays, as simulate"
        if nat["anchor"] == "stock"
        else f"the published flow ({nat['flow_label']}), as simulate"
    )
    return nat["annual_recalls_now"], how


def _flow_offsets(nat) -> tuple[float, float]:
    """Years from the end and from the start of the published flow's period to the anchor date
    (0.25 and 1.25 for the 2015 flow and 31 March 2016)."""
    import datetime as dt

    # whole days: the flow covers start .. end inclusive, the stock is counted at the end of T
    t = dt.date.fromisoformat(nat["stock_date"])
    start = dt.date.fromisoformat(nat["flow_start"])
    end = dt.date.fromisoformat(nat["flow_end"])
    return (t - end).days / 365.25, ((t - start).days + 1) / 365.25


def littles_law_text(nat: dict) -> str:
    """The check in words (dates and labels from the national model)."""
    others = nat["other_published_stocks"]
    also = "; ".join(f"{c:,.0f} on {lab}" for lab, c in others)
    return (
        f"Little's law: {nat['annual_recalls']:,.0f} recalls ({nat['flow_label']})"
        + (
            f", {'growing' if nat['growth'] > 0 else 'shrinking'} "
            f"{100 * abs(nat['growth']):.0f}% a year"
            if nat["growth"]
            else ", stationary"
        )
        + f"; mean stay over all recall types {nat['mean_stay_days']:.0f} days -> implied stock "
        f"{nat['implied_stock']:,.0f} against {nat['published_stock']:,.0f} published "
        f"({nat['published_stock_label']}" + (f"; {also}" if also else "") + "): ratio "
        f"{nat['implied_stock_over_published']:.2f}. The published stock implies a flow of "
        f"{nat['flow_implied_by_stock']:,.0f} a year at these stays."
        + (
            f" National figures are anchored on the published stock: "
            f"{nat['annual_recalls_now']:,.0f} admissions a year (all recall types) hold "
            f"{nat['national_stock']:,.0f} in custody."
            if nat.get("anchor") == "stock"
            else f" National figures use the published flow ({nat['annual_recalls_now']:,.0f} a "
            "year)."
        )
    )
