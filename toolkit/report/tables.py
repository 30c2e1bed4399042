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

    >>> source_of("table1.age.standard")
    'table1'
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
    # ("table1.sex.male.all_recalled" -> "sex.male").
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
    >>> t = pd.DataFrame({"target_id": ["table1.age.hdc", "table1.n.hdc"],
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


#: Rows of the calibration table in ``review_model.md`` (section 6) by the target they report.
CALIBRATION_LABELS = {
    "released at SED": "released_at_sed_pct",
    "releasable earlier, of those at SED": "releasable_earlier_of_sed_pct",
    "census < 6 months": "census_under_6m_pct",
    "census 6-12 months": "census_6_to_12m_pct",
    "census > 12 months": "census_over_12m_pct",
    "a year or more to SED": "census_1yr_plus_to_sed_pct",
    "no OM contact, of those in custody": "om_no_contact_in_custody_pct",
    "Little's law stock (% of 6,564)": "littles_law_stock_pct",
}
#: A target counts as met when the model is within this many of its standard errors
#: (``toolkit.review.calibration.TARGET_SE``) plus :data:`SIMULATION_ERROR_POINTS`: the
#: tolerance tests/test_review_calibration.py states for the stored fit ("2 target SEs plus 1
#: point of simulation error at n = 5,000"). review_model.md labels the rest as misses.
MET_WITHIN_SE = 2.0
SIMULATION_ERROR_POINTS = 1.0


def met(difference: float, se: float, tolerance: float | None = None) -> bool:
    """Whether a calibration target is met: within its stated ``tolerance``
    (``toolkit.review.calibration.TOLERANCE``) when given, else ``|difference| <=
    MET_WITHIN_SE * se + SIMULATION_ERROR_POINTS`` (percentage points)."""
    if tolerance is not None:
        return bool(abs(difference) <= tolerance)
    return bool(abs(difference) <= MET_WITHIN_SE * se + SIMULATION_ERROR_POINTS)


def documented_calibration(path=None) -> pd.DataFrame:
    """The calibration table as documented in ``review_model.md`` (section 6).

    Returns one row per fitted target: ``target`` (the key of
    :func:`toolkit.review.calibration.calibration_targets`), ``label``, ``documented_model``
    and ``note`` (``met``, ``conflicts``, ``off by ...``) exactly as the note states them.
    """
    from pathlib import Path

    from toolkit.datafiles import paper_file

    if path is None:  # beside the rules in use (the source checkout's papers/ when run from one)
        from toolkit.review.policy import default_rules_path

        path = default_rules_path().with_name("review_model.md")
        if not path.is_file():
            path = paper_file("recall_process_experience", "review_model.md")
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    section = text.split("## 6. Calibration", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0] in CALIBRATION_LABELS:
            rows.append(
                {
                    "target": CALIBRATION_LABELS[cells[0]],
                    "label": cells[0],
                    "documented_model": float(cells[2].rstrip("%")),
                    "note": cells[4],
                }
            )
    return pd.DataFrame(rows)


def calibration_fit(standard: pd.DataFrame, rules=None, *, n: int | None = None) -> pd.DataFrame:
    """The review model's fit with the stored parameters beside each published target.

    Parameters
    ----------
    standard : pandas.DataFrame
        Standard recalls of a census cohort (the fit itself uses
        ``generate_cohort(populations=["standard"], rng=DEFAULT_SEED)``, the seed
        :data:`toolkit.defaults.DEFAULT_SEED`).
    rules : ReleaseRules, optional
    n : int, optional
        Episodes (default: the calibration's own ``FIT_N`` and seed, so the figures are those
        the fit saw).

    Returns
    -------
    pandas.DataFrame
        ``target``, ``label``, ``published``, ``model``, ``target_se``, ``z`` (difference in
        standard errors), ``status`` (``met`` per :func:`met`, else ``missed``) and
        ``documented`` (the note in review_model.md).
    """
    from toolkit.review.calibration import (
        FIT_N,
        FRAME_KEYS,
        TARGET_SE,
        TOLERANCE,
        calibration_targets,
        model_moments,
    )
    from toolkit.review.policy import load_release_rules

    rules = load_release_rules() if rules is None else rules
    m = model_moments(standard, rules, dict(rules.calibrated), n=n or FIT_N)
    doc = documented_calibration().set_index("target")
    rows = []
    for key, pub in calibration_targets(rules).items():
        z = (m[key] - pub) / TARGET_SE[key]
        rows.append(
            {
                "target": key,
                "label": doc["label"].get(key, key),
                "published": pub,
                "model": float(m[key]),
                "target_se": TARGET_SE[key],
                "tolerance": TOLERANCE[key],
                "z": float(z),
                "status": "met" if met(m[key] - pub, TARGET_SE[key], TOLERANCE[key]) else "missed",
                "documented": doc["note"].get(key, "not documented"),
            }
        )
    out = pd.DataFrame(rows)
    out.attrs["plausibility"] = {
        "max_day_share_pct": float(m["max_day_share_pct"]),
        "board_share_pct": float(m["board_share_pct"]),
    }
    out.attrs["case_review_frames"] = {k: float(m[k]) for k in FRAME_KEYS}
    return out
