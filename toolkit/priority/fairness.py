"""Fairness audit of the suggestions: flag rates, calibration and benefit by sex, ethnicity and
age band, with 95% intervals (fairlearn :class:`~fairlearn.metrics.MetricFrame`).

* **flag rate**: share of cases suggested for a review within the planning window;
* **mean predicted chance** and, where outcomes are known (simulated records), **observed
  rate** and **calibration gap** (predicted minus observed);
* **benefit**: mean supervised days gained by a review now, predicted and (where known)
  observed.

A group whose flag rate differs only because its predicted chance differs is not by itself a
sign of unfairness; a calibration gap is (the score would mean different things for different
groups).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Age bands (completed years), as in published prison statistics' broad bands.
AGE_EDGES = (18, 25, 30, 40, 50, 200)
AGE_LABELS = ("18-24", "25-29", "30-39", "40-49", "50+")
GROUPS = ("sex", "ethnicity", "age_band")
#: Groups smaller than this are reported with their count but no interval (too few to say).
MIN_GROUP = 20


def age_band(age: pd.Series) -> pd.Series:
    """Age in completed years to the bands of :data:`AGE_LABELS` (categorical)."""
    return pd.cut(age.astype("float64"), AGE_EDGES, right=False, labels=list(AGE_LABELS))


def _mean_of(y_true, y_pred, v):
    return float(np.mean(v))


def fairness_audit(
    groups: pd.DataFrame,
    *,
    flagged: np.ndarray,
    probability: np.ndarray,
    days_gained: np.ndarray,
    observed: np.ndarray | None = None,
    observed_days: np.ndarray | None = None,
) -> pd.DataFrame:
    """Metrics by group with 95% intervals.

    Point estimates come from fairlearn's :class:`~fairlearn.metrics.MetricFrame`. Intervals
    are normal approximations (mean +/- 1.96 standard errors; for the calibration gap, the SE
    of the paired difference predicted - observed). ``MetricFrame(n_boot=...)`` gives
    bootstrap intervals, but took about six minutes for 4,000 cases here; every metric is a
    mean, so the normal approximation is accurate at the group sizes reported (groups under
    :data:`MIN_GROUP` get no interval).

    Parameters
    ----------
    groups : DataFrame with ``sex``, ``ethnicity`` and ``age`` (or ``age_band``)
    flagged : bool array, suggested for review within the planning window
    probability : predicted chance of being releasable within 28 days
    days_gained : predicted supervised days gained by a review now
    observed, observed_days : optional outcomes (simulated records)

    Returns
    -------
    pandas.DataFrame
        One row per (attribute, group): ``n`` and each metric with ``_lo``/``_hi``.
    """
    from fairlearn.metrics import MetricFrame

    g = groups.reset_index(drop=True).copy()
    if "age_band" not in g:
        g["age_band"] = age_band(g["age"])
    prob = np.asarray(probability, float)
    ok = np.isfinite(prob)  # automatic-release cases carry no chance
    # metric -> (values whose group mean is the metric)
    values = {
        "flag_rate": np.asarray(flagged, float),
        "mean_predicted": prob,
        "days_gained_predicted": np.asarray(days_gained, float),
    }
    if observed is not None:
        values["observed_rate"] = np.asarray(observed, float)
        values["calibration_gap"] = prob - values["observed_rate"]
    if observed_days is not None:
        values["days_gained_observed"] = np.asarray(observed_days, float)
    rows = []
    names = list(values)
    for attr in GROUPS:
        sf = pd.Series(g[attr].astype(str).to_numpy()[ok], name=attr)
        vals = {k: v[ok] for k, v in values.items()}
        # One MetricFrame per attribute: each metric is the group mean of its own values,
        # passed as a per-metric sample parameter (fairlearn splits it by group).
        mf = MetricFrame(
            metrics={k: _mean_of for k in names},
            y_true=np.zeros(int(ok.sum())),
            y_pred=np.zeros(int(ok.sum())),
            sensitive_features=sf,
            sample_params={k: {"v": vals[k]} for k in names},
        )
        by = mf.by_group
        grp = pd.DataFrame(vals).groupby(sf.to_numpy())
        se = grp.std(ddof=1) / np.sqrt(grp.count())
        table = pd.DataFrame({"n": grp.size()})
        for k in names:
            table[k] = by[k]
            table[f"{k}_lo"] = by[k] - 1.96 * se[k]
            table[f"{k}_hi"] = by[k] + 1.96 * se[k]
        table = table.rename_axis("group").reset_index()
        small = table["n"] < MIN_GROUP
        for c in [c for c in table.columns if c.endswith(("_lo", "_hi"))]:
            table.loc[small, c] = np.nan
        table.insert(0, "attribute", attr)
        rows.append(table)
    out = pd.concat(rows, ignore_index=True)
    out["n"] = out["n"].astype(int)
    return out


def caseload_fairness(ranked: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """The fairness panel of a ranked caseload: flag rate (suggested for review within the
    planning window), mean chance and days gained by sex, ethnicity and age band.

    Parameters
    ----------
    ranked : pandas.DataFrame
        Output of :func:`toolkit.priority.rank.prioritise`.
    frame : pandas.DataFrame
        The validated caseload (``Caseload.frame``) the ranking was made from.

    Returns
    -------
    pandas.DataFrame
        :func:`fairness_audit`'s table, without empty groups.
    """
    by_ref = ranked.set_index("case_reference").loc[frame["case_reference"]]
    fair = fairness_audit(
        frame[["sex", "ethnicity", "age"]],
        flagged=by_ref["suggested_action"].str.startswith("review").to_numpy(),
        probability=by_ref["chance_releasable_28d_pct"].to_numpy(float) / 100,
        days_gained=by_ref["days_gained_if_reviewed_now"].to_numpy(float),
    )
    return fair[fair["n"] > 0] if len(fair) else fair


def records_fairness(records: pd.DataFrame) -> pd.DataFrame:
    """Benefit by group in review-simulation records (``simulate --out``): per strategy and
    sex, ethnicity and age band, the share released before SED, mean supervised days and
    serious further offences per person, with 95% intervals (normal approximation).

    A strategy that helps one group much less than another, at the same need, shows here.
    """
    from fairlearn.metrics import MetricFrame

    rec = records.reset_index(drop=True)
    g = pd.DataFrame(
        {"sex": rec["sex"], "ethnicity": rec["ethnicity"], "age_band": age_band(rec["age"])}
    )
    values = {
        "released_before_sed": (rec["route"].astype(str) != "sed").to_numpy(float),
        "supervised_days": rec["supervised_days"].to_numpy(float),
        "sfo": rec["sfo"].to_numpy(float),
    }
    out = []
    for strategy, idx in rec.groupby("strategy", observed=True, sort=False).indices.items():
        for attr in GROUPS:
            sf = pd.Series(g[attr].astype(str).to_numpy()[idx], name=attr)
            vals = {k: v[idx] for k, v in values.items()}
            mf = MetricFrame(
                metrics={k: _mean_of for k in vals},
                y_true=np.zeros(idx.size),
                y_pred=np.zeros(idx.size),
                sensitive_features=sf,
                sample_params={k: {"v": v} for k, v in vals.items()},
            )
            grp = pd.DataFrame(vals).groupby(sf.to_numpy())
            se = grp.std(ddof=1) / np.sqrt(grp.count())
            t = pd.DataFrame({"n": grp.size()})
            for k in vals:
                t[k] = mf.by_group[k]
                t[f"{k}_lo"] = mf.by_group[k] - 1.96 * se[k]
                t[f"{k}_hi"] = mf.by_group[k] + 1.96 * se[k]
            t = t.rename_axis("group").reset_index()
            t.insert(0, "attribute", attr)
            t.insert(0, "strategy", strategy)
            out.append(t)
    return pd.concat(out, ignore_index=True)
