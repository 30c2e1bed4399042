"""What a sweep's results say: Sobol indices, tornado swings, PSA summary, the frontier."""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.sweep.spec import SweepSpec

#: The headline outcomes the sensitivity analysis explains (issue 15).
HEADLINE = ("released_at_sed_pct", "bed_days_saved_per_person", "re_recall_pct", "sfo_per_1000")


def sobol_indices(results: pd.DataFrame, spec: SweepSpec) -> pd.DataFrame:
    """First-order and total Sobol indices of each headline outcome, per strategy.

    Uses :func:`SALib.analyze.sobol.analyze` on the Saltelli/Sobol' design of the spec, with
    bootstrap confidence intervals at ``spec.conf_level``. A strategy with a failed scenario or
    an outcome that does not vary (e.g. bed-days saved under release at SED) gets NaN indices
    and a ``note`` saying why.

    Returns
    -------
    pandas.DataFrame
        ``strategy``, ``outcome``, ``parameter``, ``S1``, ``S1_conf``, ``ST``, ``ST_conf``,
        ``note``; ``*_conf`` is the half-width of the interval.
    """
    from SALib.analyze import sobol

    problem = spec.problem()
    rows = []
    for strat in spec.strategies:
        d = results[results["strategy"] == strat].sort_values("point")
        for outcome in HEADLINE:
            y = d[outcome].to_numpy(float)
            note = ""
            if len(y) != len(spec.design()) or not np.isfinite(y).all():
                note = "failed or missing scenarios"
            elif np.ptp(y) == 0:
                note = "outcome does not vary"
            if note:
                for name in problem["names"]:
                    rows.append((strat, outcome, name, *[np.nan] * 4, note))
                continue
            si = sobol.analyze(
                problem,
                y,
                calc_second_order=False,
                num_resamples=spec.resamples,
                conf_level=spec.conf_level,
                seed=spec.seed,
            )
            for i, name in enumerate(problem["names"]):
                rows.append(
                    (
                        strat,
                        outcome,
                        name,
                        si["S1"][i],
                        si["S1_conf"][i],
                        si["ST"][i],
                        si["ST_conf"][i],
                        "",
                    )
                )
    cols = ["strategy", "outcome", "parameter", "S1", "S1_conf", "ST", "ST_conf", "note"]
    return pd.DataFrame(rows, columns=cols)


def tornado(
    results: pd.DataFrame, spec: SweepSpec, strategy: str, outcome: str, q: float = 0.2
) -> pd.DataFrame:
    """One-way swings read off the sweep's own sample: the mean outcome when each assumption is
    in its lowest vs highest ``q`` fraction of draws, against the mean over all draws.

    No extra runs are needed; with a Sobol design the other assumptions are spread over their
    whole ranges in both groups, so each swing is a main effect (other assumptions averaged).

    Returns
    -------
    pandas.DataFrame
        ``parameter``, ``low``, ``high`` (mean outcome in the low/high group), ``centre`` (mean
        over all), ``swing`` (``high - low``), sorted by absolute swing, largest first.
    """
    d = results[(results["strategy"] == strategy) & (results["status"] == "ok")]
    y = d[outcome].to_numpy(float)
    rows = []
    for a in spec.assumptions:
        x = d[a.name].to_numpy(float)
        lo, hi = np.quantile(x, [q, 1 - q])
        rows.append((a.name, y[x <= lo].mean(), y[x >= hi].mean()))
    df = pd.DataFrame(rows, columns=["parameter", "low", "high"])
    df["centre"] = y.mean()
    df["swing"] = df["high"] - df["low"]
    return df.reindex(df["swing"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def psa_summary(results: pd.DataFrame, strategies) -> pd.DataFrame:
    """Per strategy: mean and 2.5/97.5 percentiles over assumption draws of each outcome
    (the spread is the uncertainty from the assumptions; sampling noise within a scenario is
    small at the sizes a sweep uses and is included)."""
    from toolkit.sweep.scenario import OUTCOMES

    ok = results[results["status"] == "ok"]
    rows = []
    for s in strategies:
        d = ok[ok["strategy"] == s]
        row = {"strategy": s, "scenarios": len(d)}
        for o in OUTCOMES:
            v = d[o].to_numpy(float)
            row[o] = v.mean() if v.size else np.nan
            row[f"{o}_p2.5"] = np.percentile(v, 2.5) if v.size else np.nan
            row[f"{o}_p97.5"] = np.percentile(v, 97.5) if v.size else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def frontier(summary: pd.DataFrame) -> pd.DataFrame:
    """The cost-effectiveness frontier of review intensity against bed-days saved.

    A strategy is on the frontier if no other strategy saves at least as many bed-days with no
    more review hours per person (and does strictly better on one). Adds ``on_frontier`` and
    ``hours_per_bed_day`` (incremental review hours per extra bed-day saved, along the frontier
    from the least intensive strategy).
    """
    d = summary.copy()
    h = d["review_hours_per_person"].to_numpy(float)
    b = d["bed_days_saved_per_person"].to_numpy(float)
    dominated = np.array(
        [np.any((h <= h[i]) & (b >= b[i]) & ((h < h[i]) | (b > b[i]))) for i in range(len(d))]
    )
    d["on_frontier"] = ~dominated
    d["hours_per_bed_day"] = np.nan
    f = d[d["on_frontier"]].sort_values("review_hours_per_person")
    dh = f["review_hours_per_person"].diff()
    db = f["bed_days_saved_per_person"].diff()
    d.loc[f.index, "hours_per_bed_day"] = dh / db
    return d
