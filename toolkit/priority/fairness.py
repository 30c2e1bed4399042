"""Fairness audit of the suggestions and of simulated strategies, by sex, ethnicity and age
band, with intervals.

* :func:`fairness_audit` (per case): **flag rate** (share suggested for review within the
  planning window) with its **difference from the largest group** (Newcombe's interval for a
  difference of two proportions), **mean predicted chance** and, where outcomes are known
  (simulated records), **observed rate** and **calibration gap** (predicted minus observed);
  **benefit**: mean supervised days gained by a review now. Groups under :data:`MIN_GROUP`
  cases are marked ``too_small`` and get no interval.
* :func:`records_fairness` (simulation records, one row per person x strategy x replication):
  each group's level, its **gap** to the reference group within each replication, the mean gap
  with a t interval **over replications** (replications are independent; people within one are
  not), and the gap's change against a baseline strategy, **paired** by replication (the
  strategies of one replication share their people and random numbers). Vectorised with
  ``numpy.bincount``: 1.35 million records in a few seconds.

What ``recall-toolkit fairness RECORDS`` runs, by what RECORDS is (:func:`audit_fairness`
chooses): :func:`audit_caseload` for a caseload file (ranked as ``prioritise`` ranks it; outcome
columns read where present), :func:`audit_simulated` for the word ``simulated`` (held-out
simulated cases with known outcomes), :func:`audit_records` for simulation records. Each
returns a :class:`FairnessResult` (the table and the note that reads it).

What a calibration gap on *simulated* cases can and cannot show: the simulation has no
mechanism that differs by sex or ethnicity, so its gaps are about zero by construction; they
can reveal only that the score, fitted on everyone, reads the *modelled* process worse for a
group whose feature mix differs (age does enter the model's people through OGRS3). They cannot
show bias in real decisions, recording or outcomes, which the simulation does not contain.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.exceptions import UsageError
from toolkit.outputs import progress as make_progress
from toolkit.priority.caseload import (
    CaseloadError,
    parse_yesno,
    read_caseload_text,
    validate_caseload,
)
from toolkit.priority.dates import as_of_date
from toolkit.priority.features import simulated_caseload
from toolkit.priority.model import load_scoring_model
from toolkit.priority.rank import prioritise
from toolkit.results import ResultMixin

#: Age bands (completed years), as in published prison statistics' broad bands.
AGE_EDGES = (18, 25, 30, 40, 50, 200)
AGE_LABELS = ("18-24", "25-29", "30-39", "40-49", "50+")
GROUPS = ("sex", "ethnicity", "age_band")
#: Groups smaller than this are reported with their count but no interval (too few to read):
#: at 20 cases a share's 95% interval is already about +/-20 points.
MIN_GROUP = 20
#: What a calibration gap on simulated cases can and cannot detect (printed with the tables).
SIMULATED_GAP_NOTE = (
    "Calibration gaps here are measured on simulated cases. The simulation has no mechanism "
    "that differs by sex or ethnicity, so these gaps are about zero by construction: they can "
    "show only that the score reads the modelled process worse for a group whose mix of "
    "features differs. They cannot detect bias in real decisions, records or outcomes."
)


def age_band(age: pd.Series) -> pd.Series:
    """Age in completed years to the bands of :data:`AGE_LABELS` (categorical)."""
    return pd.cut(age.astype("float64"), AGE_EDGES, right=False, labels=list(AGE_LABELS))


def _wilson(k: np.ndarray, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion k/n."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def _diff_interval(k1, n1, k0, n0) -> tuple[np.ndarray, np.ndarray]:
    """95% interval of p1 - p0 for two independent proportions: Newcombe's hybrid score
    interval (Newcombe 1998, method 10), from the two Wilson intervals. The same as
    ``statsmodels.stats.proportion.confint_proportions_2indep(method="newcomb")`` (a test checks
    it), written out here because importing statsmodels costs the report about half a second.
    NaN where a group is empty."""
    k1, n1, k0, n0 = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (k1, n1, k0, n0)))
    z = 1.959963984540054  # the 97.5% standard normal quantile
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p0 = k1 / n1, k0 / n0
        l1, u1 = _wilson(k1, n1, z)
        l0, u0 = _wilson(k0, n0, z)
        d = p1 - p0
        lo = d - np.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
        hi = d + np.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
    bad = (n1 <= 0) | (n0 <= 0)
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


def fairness_audit(
    groups: pd.DataFrame,
    *,
    flagged: np.ndarray,
    probability: np.ndarray,
    days_gained: np.ndarray,
    observed: np.ndarray | None = None,
    observed_days: np.ndarray | None = None,
) -> pd.DataFrame:
    """Metrics by group with 95% intervals, and each group's flag-rate difference from the
    largest group of its attribute.

    Group means are plain pandas group means (every metric is a mean); intervals are normal
    approximations (mean +/- 1.96 standard errors; for the calibration gap, the SE of the
    paired difference predicted - observed), accurate at the group sizes given intervals
    (groups under :data:`MIN_GROUP` get none and are marked ``too_small``). The flag-rate
    difference uses Newcombe's interval, which holds for small shares too.

    Parameters
    ----------
    groups : DataFrame with any of ``sex``, ``ethnicity`` and ``age`` (or ``age_band``);
        an attribute not given (or all blank) is left out
    flagged : bool array, suggested for review within the planning window
    probability : predicted chance of being releasable within 28 days (NaN: not scored; such
        cases are left out)
    days_gained : predicted supervised days gained by a review now
    observed, observed_days : optional outcomes (simulated records)

    Returns
    -------
    pandas.DataFrame
        One row per (attribute, group): ``n``, ``too_small``, each metric with ``_lo``/``_hi``,
        ``reference`` (the largest group) and ``flag_rate_diff`` with ``_lo``/``_hi``.
    """
    g = groups.reset_index(drop=True).copy()
    if "age_band" not in g and "age" in g:
        g["age_band"] = age_band(g["age"])
    prob = np.asarray(probability, float)
    ok = np.isfinite(prob)  # cases the model does not rank carry no chance
    values = _case_metrics(flagged, prob, days_gained, observed, observed_days)
    names = list(values)
    vals = pd.DataFrame({k: v[ok] for k, v in values.items()})
    rows = []
    for attr in GROUPS:
        if attr not in g:
            continue
        key = g[attr].astype(object).to_numpy()[ok]
        known = pd.notna(key) & (pd.Series(key, dtype=object).astype(str) != "").to_numpy()
        if known.any():
            rows.append(_group_table(vals[known], key[known].astype(str), names, attr))
    if not rows:
        return pd.DataFrame(columns=["attribute", "group", "n", "too_small", *names])
    out = pd.concat(rows, ignore_index=True)
    out["n"] = out["n"].astype(int)
    return out


def _case_metrics(flagged, prob, days_gained, observed, observed_days) -> dict[str, np.ndarray]:
    """Each case's value of every metric :func:`fairness_audit` averages by group."""
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
    return values


def _group_table(vals: pd.DataFrame, key: np.ndarray, names: list[str], attr: str) -> pd.DataFrame:
    """One attribute's rows: group means with normal intervals, and the flag-rate difference
    from the largest group with Newcombe's interval (no intervals on too-small groups)."""
    grp = vals.groupby(key)
    mean, cnt = grp.mean(), grp.count()
    se = grp.std(ddof=1) / np.sqrt(cnt)
    table = pd.DataFrame({"n": grp.size()})
    for k in names:
        table[k] = mean[k]
        table[f"{k}_lo"] = mean[k] - 1.96 * se[k]
        table[f"{k}_hi"] = mean[k] + 1.96 * se[k]
    table = table.rename_axis("group").reset_index()
    ref = table.loc[table["n"].idxmax()]
    k1 = table["flag_rate"] * table["n"]
    lo, hi = _diff_interval(k1, table["n"], ref["flag_rate"] * ref["n"], ref["n"])
    table["reference"] = ref["group"]
    table["flag_rate_diff"] = table["flag_rate"] - ref["flag_rate"]
    table["flag_rate_diff_lo"] = np.where(table["group"] == ref["group"], np.nan, lo)
    table["flag_rate_diff_hi"] = np.where(table["group"] == ref["group"], np.nan, hi)
    small = table["n"] < MIN_GROUP
    table["too_small"] = small
    for c in [c for c in table.columns if c.endswith(("_lo", "_hi"))]:
        table.loc[small, c] = np.nan
    table.insert(0, "attribute", attr)
    return table


def caseload_fairness(ranked: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """The fairness panel of a ranked caseload: among the cases the model ranks, the flag rate
    (suggested for review within the planning window) and its difference from the largest
    group with an interval, mean chance and days gained, by sex, ethnicity (where the caseload
    gives them) and age band.

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
    fair = _ranked_fairness(ranked, frame)
    return fair[fair["n"] > 0] if len(fair) else fair


def _ranked_fairness(ranked: pd.DataFrame, frame: pd.DataFrame, **observed) -> pd.DataFrame:
    """:func:`fairness_audit` of a ranked caseload: flagged = suggested for review within the
    planning window, with the ranking's chance and days gained (``observed``: outcomes)."""
    by_ref = ranked.set_index("case_reference").loc[frame["case_reference"]]
    cols = [c for c in ("sex", "ethnicity", "age") if c in frame]
    return fairness_audit(
        frame[cols],
        flagged=by_ref["suggested_action"].str.startswith("review").to_numpy(),
        probability=by_ref["chance_releasable_28d_pct"].to_numpy(float) / 100,
        days_gained=by_ref["days_gained_if_reviewed_now"].to_numpy(float),
        **observed,
    )


#: Outcome columns of simulation records :func:`records_fairness` reports (name -> meaning).
RECORD_METRICS = {
    "released_before_sed": "share released before SED by the executive or Board route",
    "supervised_days": "mean supervised (licence) days",
    "sfo": "serious further offences per person within the follow-up",
    "re_recalled": "share re-recalled within the follow-up",
}
RECORD_COLUMNS_NEEDED = ("replication", "strategy", "route", "age", "supervised_days", "sfo")


def _t_interval(x: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean over replications and its 95% t interval (NaN with one replication)."""
    # scipy.stats (about a second of import) only for simulation records
    from scipy.stats import t as t_dist

    n = np.sum(np.isfinite(x), axis=axis)
    m = np.nanmean(x, axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.nanstd(x, axis=axis, ddof=1)
        half = t_dist.ppf(0.975, np.maximum(n - 1, 1)) * sd / np.sqrt(n)
    half = np.where(n > 1, half, np.nan)
    return m, m - half, m + half


def records_fairness(records: pd.DataFrame, *, baseline: str | None = None) -> pd.DataFrame:
    """Benefit by group in review-simulation records (``simulate --out``): per strategy,
    attribute (sex, ethnicity, age band) and group, each outcome's level, its gap to the
    attribute's reference group (the largest) with a 95% t interval over replications, and the
    change of that gap against ``baseline`` (default ``fifo`` if run, else the first strategy),
    paired by replication.

    Parameters
    ----------
    records : pandas.DataFrame
        Records of :func:`toolkit.review.simulate_reviews` (one row per person x strategy x
        replication).
    baseline : str, optional
        Strategy the gaps are compared with.

    Returns
    -------
    pandas.DataFrame
        One row per (strategy, attribute, group, metric): ``n`` (records over replications),
        ``level`` (mean over replications), ``reference``, ``gap`` with ``gap_lo``/``gap_hi``,
        ``gap_change`` with ``_lo``/``_hi`` (this strategy's gap minus the baseline's),
        ``n_replications`` and ``too_small`` (under :data:`MIN_GROUP` records per
        replication on average; no intervals then).
    """
    rec = records
    rep_codes, reps = pd.factorize(rec["replication"], sort=True)
    st_codes, strategies = pd.factorize(rec["strategy"].astype(str), sort=False)
    baseline = _baseline(strategies, baseline)
    cells = _Cells(rep_codes, len(reps), st_codes, strategies, list(strategies).index(baseline))
    metrics = _record_metrics(rec)
    out = []
    for attr, col in _record_attributes(rec).items():
        g_codes, groups = pd.factorize(col, sort=True)
        for mname, v in metrics.items():
            out += _metric_rows(
                cells, g_codes, groups, v, attr=attr, metric=mname, baseline=baseline
            )
    return pd.concat(out, ignore_index=True)


def _baseline(strategies, baseline: str | None) -> str:
    """The strategy gaps are compared with: ``baseline``, else fifo if run, else the first."""
    if baseline is None:
        return "fifo" if "fifo" in set(strategies) else str(strategies[0])
    if baseline not in set(strategies):
        raise UsageError(
            f"baseline strategy {baseline!r} is not in the records ({', '.join(strategies)})"
        )
    return baseline


def _record_metrics(rec: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each record's value of the outcomes of :data:`RECORD_METRICS` the records hold."""
    route = rec["route"].astype(str).to_numpy()
    metrics = {
        "released_before_sed": np.isin(route, ("executive", "parole_board")).astype(float),
        "supervised_days": rec["supervised_days"].to_numpy(float),
        "sfo": rec["sfo"].to_numpy(float),
    }
    if "re_recalled" in rec:
        metrics["re_recalled"] = rec["re_recalled"].to_numpy(float)
    return metrics


def _record_attributes(rec: pd.DataFrame) -> dict[str, pd.Series]:
    """Sex and ethnicity where the records hold them, and the age band, as text."""
    attrs = {
        a: rec[a].astype(str) for a in ("sex", "ethnicity") if a in rec and rec[a].notna().any()
    }
    attrs["age_band"] = age_band(rec["age"]).astype(str)
    return attrs


@dataclass(frozen=True)
class _Cells:
    """Replication and strategy codes of the records, for bincounts over the cells."""

    rep_codes: np.ndarray
    R: int
    st_codes: np.ndarray
    strategies: pd.Index
    b: int  # the baseline's position


def _metric_rows(cells: _Cells, g_codes, groups, v, *, attr, metric, baseline) -> list:
    """One attribute's and metric's rows, one frame per strategy: level, gap to the largest
    group and its change against the baseline, each with a t interval over replications."""
    R, S, G = cells.R, len(cells.strategies), len(groups)
    key = (cells.rep_codes * S + cells.st_codes) * G + g_codes
    size = R * S * G
    cnt = np.bincount(key, minlength=size).reshape(R, S, G).astype(float)
    ref = int(np.argmax(cnt.sum(axis=(0, 1))))
    tot = np.bincount(key, weights=v, minlength=size).reshape(R, S, G)
    with np.errstate(invalid="ignore", divide="ignore"):
        level = tot / cnt  # R x S x G
    gap = level - level[:, :, [ref]]
    change = gap - gap[:, [cells.b], :]
    lv, _, _ = _t_interval(level)
    gm, glo, ghi = _t_interval(gap)
    cm, clo, chi = _t_interval(change)
    n = cnt.sum(axis=0)
    small = n / R < MIN_GROUP
    out = []
    for s_i, strat in enumerate(cells.strategies):
        t = pd.DataFrame(
            {
                "strategy": strat,
                "attribute": attr,
                "group": groups,
                "metric": metric,
                "n": n[s_i].astype(int),
                "level": lv[s_i],
                "reference": groups[ref],
                "gap": gm[s_i],
                "gap_lo": glo[s_i],
                "gap_hi": ghi[s_i],
                "baseline": baseline,
                "gap_change": cm[s_i],
                "gap_change_lo": clo[s_i],
                "gap_change_hi": chi[s_i],
                "n_replications": R,
                "too_small": small[s_i],
            }
        )
        t.loc[t["too_small"], ["gap_lo", "gap_hi", "gap_change_lo", "gap_change_hi"]] = np.nan
        out.append(t)
    return out


# -- the three audits the ``fairness`` command runs, by what it is given -----------------------
#: Notes printed with each audit's table (what its columns mean and cannot show).
CASELOAD_NOTE = (
    "flag_rate_diff: the group's share suggested for review minus the largest group's, "
    "with Newcombe's 95% interval; groups under 20 cases are too small to read."
)
RECORDS_NOTE = (
    "gap: group minus the largest group, mean over replications with a 95% t interval; "
    "gap_change: this strategy's gap minus the baseline's, paired by replication. "
    + SIMULATED_GAP_NOTE
)
#: Defaults of the audits (the command's defaults).
DEFAULT_CAPACITY, DEFAULT_SIMULATED_N, DEFAULT_SIMULATED_SEED = 20, 20_000, 1
#: The word that asks :func:`audit_fairness` for held-out simulated cases instead of a file.
SIMULATED = "simulated"


@dataclass
class FairnessResult(ResultMixin):
    """A fairness audit's table, what it was run on and the note that reads it.

    Attributes
    ----------
    table : pandas.DataFrame
        :func:`fairness_audit`'s or :func:`records_fairness`'s table.
    kind : str
        ``"caseload"``, ``"simulated"`` or ``"records"``.
    note : str
        What the columns mean and what the audit cannot show.
    as_of : pandas.Timestamp or None
        The caseload's as-of date (caseload audits only).
    """

    table: pd.DataFrame
    kind: str
    note: str
    as_of: pd.Timestamp | None = None

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def to_dict(self) -> dict:
        out = {"kind": self.kind, "note": self.note}
        out["as_of"] = None if self.as_of is None else str(self.as_of.date())
        return out | super().to_dict()

    def render(self) -> str:
        """The table rounded to 3 places, every column shown."""
        with pd.option_context("display.width", 200, "display.max_columns", 30):
            return self.table.round(3).to_string(index=False)


def is_simulation_records(path: str | Path) -> bool:
    """Parquet files, or CSVs whose header has ``strategy`` and ``route``, are simulation
    records (``recall-toolkit simulate --out``); anything else is read as a caseload."""
    path = str(path)
    if path.endswith(".parquet"):
        return True
    try:
        with open(path, encoding="utf-8-sig") as fh:
            head = fh.readline().strip().split(",")
    except OSError:
        return False
    return "strategy" in head and "route" in head


def read_simulation_records(path: str | Path) -> pd.DataFrame:
    """The columns :func:`records_fairness` reads from a records file (.parquet or .csv).

    Raises
    ------
    UsageError
        The file cannot be parsed, or lacks a column of :data:`RECORD_COLUMNS_NEEDED`.
    OSError
        The file cannot be opened.
    """
    path = str(path)
    wanted = [*RECORD_COLUMNS_NEEDED, "sex", "ethnicity", "re_recalled"]
    parquet = path.endswith(".parquet")
    try:
        if parquet:
            import pyarrow.parquet as pq  # pyarrow's Parquet reader only for Parquet input

            names = pq.read_schema(path).names
            rec = pd.read_parquet(path, columns=[c for c in wanted if c in names])
        else:
            rec = pd.read_csv(path, usecols=lambda c: c in wanted)
    except OSError:
        raise  # one line naming the path (toolkit.cli.main)
    except Exception as exc:  # noqa: BLE001 - any parser failure is a bad input file
        kind = "Parquet" if parquet else "CSV"
        raise UsageError(f"{path}: cannot be read as {kind} ({exc})") from None
    missing = [c for c in RECORD_COLUMNS_NEEDED if c not in rec.columns]
    if missing:
        raise UsageError(f"{path}: simulation records lack column(s) {', '.join(missing)}")
    return rec


def audit_records(
    records: pd.DataFrame | str | Path, *, baseline: str | None = None
) -> FairnessResult:
    """:func:`records_fairness` of simulation records (a frame, or a file
    :func:`read_simulation_records` reads)."""
    if not isinstance(records, pd.DataFrame):
        records = read_simulation_records(records)
    return FairnessResult(records_fairness(records, baseline=baseline), "records", RECORDS_NOTE)


def held_out_fairness(scorer, frame, X, outcomes) -> pd.DataFrame:
    """Fairness audit on held-out simulated cases, where the outcomes are known (review-based
    recalls; "flagged": the top fifth by expected days gained, a 20-in-100 capacity)."""
    m = outcomes["review_type"].to_numpy()
    s = scorer.score_frame(X[m])
    gain = s["days_gained"].to_numpy()
    return fairness_audit(
        frame[m],
        flagged=gain >= np.quantile(gain, 0.8),
        probability=s["probability"].to_numpy(),
        days_gained=gain,
        observed=outcomes["releasable_28d"].to_numpy()[m],
        observed_days=outcomes["days_gained"].to_numpy()[m],
    )


def audit_simulated(
    n: int = DEFAULT_SIMULATED_N,
    *,
    rng: np.random.Generator | int | np.random.SeedSequence | None = DEFAULT_SIMULATED_SEED,
    scorer=None,
    progress: bool | None = None,
) -> FairnessResult:
    """:func:`held_out_fairness` on ``n`` simulated cases with known outcomes (the shipped
    scorer unless given); ``progress`` as :func:`toolkit.outputs.progress`'s ``tty``."""
    if isinstance(n, bool) or not isinstance(n, Integral) or n < 1:
        raise UsageError(f"n must be a whole number of simulated cases, at least 1; got {n!r}")
    scorer = load_scoring_model() if scorer is None else scorer
    with make_progress(2, "fairness", tty=progress) as bar:  # a bar on a terminal, lines in a log
        bar.stage(f"simulating {n:,} held-out cases")
        frame, X, o = simulated_caseload(n, rng=rng)
        bar.update()
        bar.stage("auditing the suggestions by group")
        table = held_out_fairness(scorer, frame, X, o)
        bar.update()
    return FairnessResult(table, SIMULATED, SIMULATED_GAP_NOTE)


def audit_caseload(
    path: str | Path,
    *,
    as_of: str | pd.Timestamp | None = None,
    capacity: int = DEFAULT_CAPACITY,
    scorer=None,
    programmes=None,
    categories=None,
) -> FairnessResult:
    """The suggestions for a caseload file, ranked as ``prioritise`` ranks them, audited by
    group; where the file has outcome columns (``releasable_28d`` yes/no, ``days_gained``)
    also the observed rates and the calibration gap.

    Raises
    ------
    UsageError
        ``as_of`` is not a date, or ``capacity`` is under 1.
    CaseloadError
        The caseload breaks the schema, or an outcome cell is not yes/no or a number >= 0.
    """
    cl = validate_caseload(
        path, as_of=as_of_date(as_of), programmes=programmes, categories=categories
    )
    observed = observed_outcomes(path)
    ranked = prioritise(cl, scorer=scorer, capacity=capacity)
    table = _ranked_fairness(ranked, cl.frame, **observed)
    return FairnessResult(table, "caseload", CASELOAD_NOTE, as_of=cl.as_of)


def observed_outcomes(path: str | Path) -> dict[str, np.ndarray]:
    """The outcome columns a caseload file may add, as :func:`fairness_audit`'s ``observed``
    (``releasable_28d``: yes/no) and ``observed_days`` (``days_gained``: a number >= 0).

    Raises
    ------
    CaseloadError
        Listing every cell that is not what its column expects (the first 50 per column).
    """
    text = read_caseload_text(path)
    kw, problems = {}, []
    if "releasable_28d" in text:
        obs = parse_yesno(text["releasable_28d"])
        bad = np.flatnonzero(obs.isna().to_numpy())
        problems += [f"row {i + 2}, column releasable_28d: expected yes or no" for i in bad[:50]]
        kw["observed"] = obs.to_numpy(dtype=float, na_value=np.nan)
    if "days_gained" in text:
        d = pd.to_numeric(text["days_gained"], errors="coerce")
        bad = np.flatnonzero((d.isna() | (d < 0)).to_numpy())
        problems += [f"row {i + 2}, column days_gained: expected a number >= 0" for i in bad[:50]]
        kw["observed_days"] = d.to_numpy(float)
    if problems:
        raise CaseloadError(str(path), problems)
    return kw


def audit_fairness(
    source: str | Path,
    *,
    as_of: str | pd.Timestamp | None = None,
    capacity: int = DEFAULT_CAPACITY,
    n: int = DEFAULT_SIMULATED_N,
    rng: np.random.Generator | int | np.random.SeedSequence | None = DEFAULT_SIMULATED_SEED,
    baseline: str | None = None,
    programmes=None,
    categories=None,
    progress: bool | None = None,
) -> FairnessResult:
    """The audit ``source`` asks for: :data:`SIMULATED` (the word) for :func:`audit_simulated`
    (``n``, ``rng``), simulation records (:func:`is_simulation_records`) for
    :func:`audit_records` (``baseline``), any other file for :func:`audit_caseload`
    (``as_of``, ``capacity``, ``programmes``, ``categories``)."""
    if str(source) == SIMULATED:
        return audit_simulated(n, rng=rng, progress=progress)
    if is_simulation_records(source):
        return audit_records(source, baseline=baseline)
    return audit_caseload(
        source, as_of=as_of, capacity=capacity, programmes=programmes, categories=categories
    )
