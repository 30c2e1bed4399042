"""Tables that put published figures beside synthetic ones, shared by the notebooks, the
generated write-ups (:mod:`toolkit.report.markdown`) and the demo (:mod:`toolkit.report.demo`).

Nothing here knows a target id by heart: tables are built from the fidelity report's rows
(``target_id`` is ``<source>.<variable>[.<category>].<population>``), so a profile of your own
gets the same tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Display order of populations (those absent from a report are skipped).
POPULATION_ORDER = (
    "all_prisoners",
    "all_recalled",
    "standard",
    "fixed_term",
    "extended",
    "ipp_dpp",
    "life",
    "hdc",
    "not_standard",
)


def source_of(target_id: str) -> str:
    """The table/figure a target belongs to: the first part of its id.

    >>> source_of("appendix.age.standard")
    'appendix'
    """
    return target_id.split(".", 1)[0]


def shown_decimals(tolerance: float) -> int:
    """Decimals to show a synthetic value with: one more than the published figure printed.

    A tolerance of half a unit in the last printed digit (0.05) means one printed decimal, so
    the synthetic value is shown with two; counts (tolerance 0) are whole numbers.

    >>> shown_decimals(0.05), shown_decimals(0.5), shown_decimals(0.0)
    (2, 1, 0)
    """
    if not tolerance or tolerance <= 0:
        return 0
    printed = max(0, int(round(-np.log10(2 * tolerance))))
    return printed + 1


def _fmt(value, decimals: int) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "-"
    return f"{float(value):,.{decimals}f}"


def side_by_side(report, source: str, *, statistic: str | None = None) -> pd.DataFrame:
    """One published table beside the cohort's figures: rows are variables (and categories),
    columns ``(population, "published" | "synthetic")``.

    Parameters
    ----------
    report : FidelityReport
    source : str
        First part of the target ids, e.g. ``"appendix"``, ``"table1"``, ``"table2"``.
    statistic : str, optional
        Keep one statistic only (``"mean"``, ``"share"``, ``"count"``).

    Returns
    -------
    pandas.DataFrame
        Strings: published as printed, synthetic with one more decimal than printed.
    """
    t = report.targets
    t = t[t["target_id"].map(source_of) == source]
    if statistic is not None:
        t = t[t["statistic"] == statistic]
    if t.empty:
        return pd.DataFrame()
    # The id between the source and the population names the row uniquely
    # ("text.sex.male.all_recalled" -> "sex.male").
    row_key = [
        ".".join(i.split(".")[1:-1]) if i.endswith("." + p) else ".".join(i.split(".")[1:])
        for i, p in zip(t["target_id"], t["population"])
    ]
    t = t.assign(
        row=row_key,
        published_s=t["published"].astype(str),
        synthetic_s=[
            _fmt(v, shown_decimals(tol)) for v, tol in zip(t["synthetic"], t["tolerance"])
        ],
    )
    pops = [p for p in POPULATION_ORDER if p in set(t["population"])]
    pops += [p for p in dict.fromkeys(t["population"]) if p not in pops]
    rows = list(dict.fromkeys(t["row"]))
    out = {}
    for pop in pops:
        d = t[t["population"] == pop].set_index("row")
        out[(pop, "published")] = d["published_s"].reindex(rows).fillna("")
        out[(pop, "synthetic")] = d["synthetic_s"].reindex(rows).fillna("")
    df = pd.DataFrame(out, index=rows)
    df.columns = pd.MultiIndex.from_tuples(df.columns, names=["population", ""])
    df.index.name = "variable"
    return df


def precision_misses(report) -> pd.DataFrame:
    """Each published figure's miss measured in units of its printed precision.

    ``miss_in_precision = (synthetic - published) / tolerance``, where the tolerance is half a
    unit in the last printed digit (or the stated looseness of "around"). A value in [-1, 1]
    rounds to the published figure. Counts have tolerance 0: an exact count scores 0, any
    other ``+/-inf``.

    Returns
    -------
    pandas.DataFrame
        ``target_id``, ``source``, ``population``, ``statistic``, ``published_value``,
        ``synthetic``, ``tolerance``, ``miss``, ``miss_in_precision``, ``role``, ``pass``;
        only rows with a synthetic value.

    Examples
    --------
    A mean printed as 35.0 (tolerance 0.05) met by 35.02, and an exact count:

    >>> from types import SimpleNamespace
    >>> t = pd.DataFrame({"target_id": ["appendix.age.hdc", "appendix.n.hdc"],
    ...     "population": "hdc", "statistic": ["mean", "count"], "published_value": [35.0, 74],
    ...     "synthetic": [35.02, 74.0], "tolerance": [0.05, 0.0], "role": "target",
    ...     "pass": True})
    >>> precision_misses(SimpleNamespace(targets=t))["miss_in_precision"].round(2).tolist()
    [0.4, 0.0]
    """
    t = report.targets
    t = t[t["synthetic"].notna()].copy()
    syn = t["synthetic"].astype(float).to_numpy()
    pub = t["published_value"].astype(float).to_numpy()
    tol = t["tolerance"].astype(float).to_numpy()
    miss = syn - pub
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(tol > 0, miss / np.where(tol > 0, tol, 1.0), np.sign(miss) * np.inf)
    # An exact count (miss 0, tolerance 0) is a zero miss, not NaN.
    ratio = np.where((tol == 0) & (np.abs(miss) < 1e-9), 0.0, ratio)
    t["source"] = t["target_id"].map(source_of)
    t["miss"] = miss
    t["miss_in_precision"] = ratio
    cols = [
        "target_id",
        "source",
        "population",
        "statistic",
        "published_value",
        "synthetic",
        "tolerance",
        "miss",
        "miss_in_precision",
        "role",
        "pass",
    ]
    return t[cols].reset_index(drop=True)


def audit_findings(report) -> pd.DataFrame:
    """Audit findings that are not plainly consistent: id, status, message and resolution."""
    af = report.audit.to_frame()
    af = af[af["status"] != "consistent"]
    return af[["id", "status", "message", "resolution"]].reset_index(drop=True)


def not_evaluated(report) -> pd.DataFrame:
    """Published figures shown but not judged, with their role and the reason."""
    from toolkit.fidelity.report import EVALUATED_ROLES

    t = report.targets
    t = t[~t["role"].isin(EVALUATED_ROLES)]
    return t[["target_id", "role", "published", "synthetic", "note"]].reset_index(drop=True)
