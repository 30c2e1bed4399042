"""Needs gaps against accredited programmes: suitable vs attended vs unmet, with uncertainty.

For each programme (and subgroup, on request) :func:`estimate_needs_gap` counts the people
suitable under a reading of the rules, and among them those who attended it, attended something
else, or have unmet need (Table 2's columns). Shares carry Wilson intervals
(:func:`statsmodels.stats.proportion.proportion_confint`); the number of unmet programme needs
per person, which has no closed form, gets a percentile bootstrap interval drawn as resampled
counts (:func:`bootstrap_mean_interval`).

National figures
----------------
The base (by default Table 2's standard recalls with OASys) stands for a national population:
the recalled stock on a target date times the standard-recall share (``national.toml``). Every
person in the base stands for the same number of people, ``population / N_base``, so a subgroup's
national count is *its share of the whole base* times the population: subgroups add up to the
ungrouped figure and no count exceeds the population it scales to.

Uncertainty is reported in separate components, none hidden in another:

* ``_lo``/``_hi``: sampling error (Wilson interval of the share of the whole base, as if the
  cohort were a sample of its size) at the point stock and share;
* ``_reading_lo``/``_hi``: the range of the point figure across the named readings of the
  programme rules (a range, not a probability interval);
* ``_time_lo``/``_hi``: the range across the published stocks within six months of the target
  date (the 2014 census rates are applied to a later, larger stock; the composition change
  itself is not measurable from the seeds and is *not* in any interval);
* ``_share_lo``/``_hi``: the standard-recall share's range ("around 75%");
* ``_combined_lo``/``_hi``: all four at once, from the lowest sampling bound under any reading at
  the lowest stock and share to the highest. If the reading, stock and share lie in their ranges,
  it covers the sampling error with at least the stated confidence.

A synthetic cohort is not evidence: intervals say how precisely a study of that size would pin
the figure down.

Subgroups
---------
Table 2 is published for the whole base only. A subgroup row (``by=``) rests on published figures
only where some figure of the profile describes that group alone (e.g. a recall type, whose
figures the profile prints); otherwise (sex, ethnicity, RoSH, age band ...) the split is the
generator's assumption: the row says so (``split = "assumed"``, ``split_note``), and its Wilson
intervals, which measure sampling error at the cohort's size, are not printed as the uncertainty
of that split. Which groups a programme was offered to is data in the programme file
(``offered_to``); rows of other groups are marked (``offered = False``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from toolkit.args import check_choice, check_int, check_rng
from toolkit.exceptions import SpecError, UsageError
from toolkit.needs.capacity import (  # CAPACITY_*, load_capacity: names users import from here
    CAPACITY_FIELDS,  # noqa: F401
    CAPACITY_SHOWN,  # noqa: F401
    RELEASE_MODES,
    capacity_lines,
    capacity_over_time,
    load_capacity,  # noqa: F401
)
from toolkit.needs.national import NationalFigures, as_date, load_national
from toolkit.profile.rules import ProgrammeRules, base_mask, load_programme_rules, suitability
from toolkit.profile.spec import load_profile
from toolkit.results import ResultMixin
from toolkit.schema import GROUPS, RECALL_TYPES, SIX_MONTHS_DAYS, YEAR_DAYS
from toolkit.validation import require_rows

#: Target date of the national figures unless the caller gives another (a dated stock in
#: ``national.toml``): 31 March 2016, the Better Outcomes guide's snapshot.
DEFAULT_TARGET_DATE = "2016-03-31"

DERIVED_BY = {
    "age_band": ("age", [18, 25, 30, 40, 50, 200], ["18-24", "25-29", "30-39", "40-49", "50+"]),
    "sed_band": (
        "days_to_sed",
        [0, 91, SIX_MONTHS_DAYS, YEAR_DAYS, 1e9],
        ["under 3m", "3-6m", "6-12m", "12m+"],
    ),
}
OUTCOMES = ("attended", "attended_other", "unmet")
BASES = ("table2", "recalled", "all")
#: Uncertainty components of each national figure, reported apart (see the module docstring).
COMPONENTS = ("reading", "time", "share", "combined")

#: Default bootstrap resamples B. The Monte Carlo standard error of each end of a 95% percentile
#: interval is about 1.4% of the interval's half-width at B = 10,000 (4.3% at 1,000, falling as
#: 1/sqrt(B); :func:`bootstrap_endpoint_mc_error`, checked against repeated bootstraps in the
#: tests): on the shipped default cohort the half-width is a few hundredths of a need per person,
#: so the ends wobble by less than the last of the three decimals printed. Resamples cost
#: B x (distinct values) multinomial draws, not B x people, so 10,000 takes milliseconds.
N_BOOT = 10_000


@dataclass(frozen=True)
class NeedsGapResult(ResultMixin):
    """Result of :func:`estimate_needs_gap`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per programme (x subgroup): ``n_base``, ``suitable``, ``attended``,
        ``attended_other``, ``unmet`` counts; ``suitable_pct`` (of the subgroup's base) and
        ``attended_pct``, ``attended_other_pct``, ``unmet_pct`` (of the suitable), each with
        ``_lo``/``_hi``. With a stock: ``national_n_base`` (the national population the
        subgroup stands for), ``national_suitable`` and ``national_unmet`` with the sampling
        interval (``_lo``/``_hi``) and each component ``_reading_lo`` ... ``_combined_hi``.
        With ``by``: ``split`` (one of :data:`SPLITS`: whether a published figure describes the
        row's group), ``split_note`` and ``offered`` (False where the programme file's
        ``offered_to`` leaves the group out).
    reading : str
    confidence : float
    stock : float or None
        The stock the point figures scale to.
    by : tuple of str
    capacity : pandas.DataFrame or None
        Capacity scenario summary per programme (see :mod:`toolkit.needs.capacity`).
    unmet_needs_per_person : dict or None
    national : dict or None
        What the national figures rest on: target date, stocks in the time window with their
        sources, the standard share and its range, the readings in the reading range.
    capacity_monthly : pandas.DataFrame or None
        The capacity scenario month by month.
    """

    table: pd.DataFrame
    reading: str
    confidence: float
    stock: float | None
    by: tuple[str, ...]
    capacity: pd.DataFrame | None = None
    unmet_needs_per_person: dict | None = None
    national: dict | None = None
    capacity_monthly: pd.DataFrame | None = None
    capacity_notes: tuple[str, ...] = field(default=())
    #: One entry per grouping column: ``column``, ``published_levels`` (levels some published
    #: figure describes alone), ``split`` ("published", "partly published" or "assumed") and
    #: ``caveat`` (a sentence for reports).
    subgroup_caveats: tuple[dict, ...] = field(default=())
    #: One sentence per programme with ``offered_to``: who it was offered to and the source.
    offered_notes: tuple[str, ...] = field(default=())

    #: drawn by :func:`toolkit.report.plots.plot_needs_gap` (Table 2 as stacked bars)
    _plot = "plot_needs_gap"

    def to_frame(self) -> pd.DataFrame:
        """The tidy table (a copy)."""
        return self.table.copy()

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        out = {
            "reading": self.reading,
            "confidence": self.confidence,
            "stock": self.stock,
            "by": list(self.by),
            "table": json.loads(self.table.to_json(orient="records")),
        }
        if self.subgroup_caveats:
            out["subgroup_caveats"] = [dict(c) for c in self.subgroup_caveats]
        if self.offered_notes:
            out["offered_notes"] = list(self.offered_notes)
        if self.national is not None:
            out["national"] = self.national
        if self.capacity is not None:
            out["capacity"] = json.loads(self.capacity.to_json(orient="records"))
            out["capacity_notes"] = list(self.capacity_notes)
            out["capacity_footing"] = next(
                (n for n in self.capacity_notes if n.startswith("footing:")), None
            )
        if self.capacity_monthly is not None:
            out["capacity_monthly"] = json.loads(self.capacity_monthly.to_json(orient="records"))
        if self.unmet_needs_per_person is not None:
            out["unmet_needs_per_person"] = self.unmet_needs_per_person
        return out

    def render(self) -> str:
        """A readable table for the terminal."""
        cols = [
            *self.by,
            "programme",
            "suitable",
            "attended_pct",
            "attended_other_pct",
            "unmet_pct",
            "unmet_pct_lo",
            "unmet_pct_hi",
        ]
        df = self.table[cols].copy()
        for c in df.columns:
            if df[c].dtype.kind == "f":
                df[c] = df[c].round(1)
        if "split" in self.table:
            # a sampling interval is not the uncertainty of an assumed split: not printed
            assumed = (self.table["split"] != "published").to_numpy()
            for c in ("unmet_pct_lo", "unmet_pct_hi"):
                df[c] = [("-" if a else f"{v:.1f}") for a, v in zip(assumed, df[c])]
            df["split"] = self.table["split"]
            df["offered"] = ["yes" if o else "NO" for o in self.table["offered"]]
        lines = [
            f"Needs gap (reading: {self.reading}; {int(self.confidence * 100)}% intervals)",
            df.to_string(index=False),
        ]
        lines += [f"  - {c['caveat']}" for c in self.subgroup_caveats]
        lines += [f"  - {n}" for n in self.offered_notes]
        if "national_unmet" in self.table:
            lines += ["", *self._render_national()]
        if self.unmet_needs_per_person:
            u = self.unmet_needs_per_person
            lines.append(
                f"Unmet programme needs per person: {u['mean']:.3f} "
                f"({u['lo']:.3f} to {u['hi']:.3f}, bootstrap)"
            )
        if self.capacity is not None:
            lines += ["", *capacity_lines(self.capacity, self.capacity_notes)]
        return "\n".join(lines)

    def _render_national(self) -> list[str]:
        nat = self.national or {}
        t = self.table
        df = t[[*self.by, "programme"]].copy()

        def rng_(a, b):
            return [f"{x:,.0f}-{y:,.0f}" for x, y in zip(t[a], t[b])]

        df["national_unmet"] = t["national_unmet"].round(0).astype("Int64")
        df["sampling"] = rng_("national_unmet_lo", "national_unmet_hi")
        for comp in COMPONENTS:
            df[comp] = rng_(f"national_unmet_{comp}_lo", f"national_unmet_{comp}_hi")
        if "split" in t:  # sampling error is not the uncertainty of an assumed split
            for comp in ("sampling", "combined"):
                df[comp] = [
                    s if ok else "split assumed"
                    for s, ok in zip(df[comp], t["split"] == "published")
                ]
        stocks = "; ".join(f"{s['count']:,} on {s['date']}" for s in nat.get("time_window", []))
        return [
            nat.get("coverage", ""),
            f"National unmet need at {nat.get('target_date')} (stock {self.stock:,.0f}, "
            f"x share {nat.get('share'):g} of the stock in the base); components apart:",
            df.to_string(index=False),
            f"  sampling: {int(self.confidence * 100)}% Wilson interval of the share of the "
            "whole base, at the point stock and share",
            f"  reading: range over readings {', '.join(nat.get('readings', []))}",
            f"  time: range over the published stocks within six months ({stocks}); the 2014 "
            "census rates are assumed to hold then (composition change not in any interval)",
            f"  share: {nat.get('share_low'):g} to {nat.get('share_high'):g}; combined: all "
            "four at their extremes",
        ]


def _needs_gap_iv(cohort, rules, by, reading):
    """Check :func:`estimate_needs_gap`'s cohort, rules, reading and grouping before any work;
    return the rules in force and ``by`` as a tuple."""
    if not isinstance(cohort, pd.DataFrame):
        raise UsageError("cohort must be a pandas DataFrame from generate_cohort or read_cohort")
    rules = load_programme_rules() if rules is None else rules
    if reading not in rules.readings:
        raise UsageError(
            f"unknown reading {reading!r}; expected one of {', '.join(rules.readings)}"
        )
    by = tuple(by or ())
    for b in by:
        if b not in cohort.columns and b not in DERIVED_BY:
            raise UsageError(
                f"cannot group by {b!r}: not a cohort column nor one of {', '.join(DERIVED_BY)}"
            )
    return rules, by


def _scaling_iv(base, stock, confidence, n_boot) -> None:
    """Check the base, the national scaling, the interval level and the resamples."""
    if base not in BASES:
        raise UsageError(f"base must be 'table2', 'recalled' or 'all'; got {base!r}")
    if stock is not None and not isinstance(stock, str):
        if isinstance(stock, bool) or not np.isfinite(stock) or stock <= 0:
            raise UsageError(f"stock must be a positive number of people; got {stock!r}")
    elif isinstance(stock, str) and stock != "auto":
        raise UsageError(f"stock must be a number, 'auto' or None; got {stock!r}")
    if base == "all" and stock is not None:
        raise UsageError(
            "base='all' mixes recalled and non-recalled prisoners (prison-wide rates) and cannot "
            "be scaled to the recalled stock; use base='recalled' (all recalled with OASys) or "
            "stock=None"
        )
    if not 0 < confidence < 1:
        raise UsageError(f"confidence must be between 0 and 1; got {confidence!r}")


def _capacity_iv(capacity, months, release, stock) -> int:
    """Check the capacity scenario's arguments (always: the API refuses what the command does);
    return the months as an int."""
    months = check_int("capacity_months", months, lo=1)
    check_choice("capacity_release", release, RELEASE_MODES)
    if capacity is not None and stock is None:
        raise UsageError("the capacity scenario needs national figures; give a stock")
    return months


#: Fewest people in the base that :func:`estimate_needs_gap` scales to a national figure.
#: *Assumed*: below 30 the 95% Wilson interval of a share near 50% is wider than +/-17
#: percentage points, i.e. more than +/-1,100 people on the 6,564 stock, so a national figure
#: says nothing (issue 12: one person gave a national unmet need of 4,923).
MIN_BASE = 30
#: How each base is named in messages.
BASE_LABELS = {
    "table2": "Table 2 base (standard recalls with OASys)",
    "recalled": "base (recalled people with OASys)",
    "all": "base (everyone with OASys)",
}


def require_national_base(
    cohort: pd.DataFrame,
    rules: ProgrammeRules | None = None,
    base: str = "table2",
    *,
    label: str = "cohort",
    mask: np.ndarray | None = None,
    minimum: int = MIN_BASE,
) -> None:
    """Refuse to scale a base of fewer than :data:`MIN_BASE` people to a national figure.

    Parameters
    ----------
    cohort : pandas.DataFrame
    rules : ProgrammeRules, optional
    base : {"table2", "recalled", "all"}
    label : str
        What the cohort is called in the message (e.g. its file name).
    mask : numpy.ndarray of bool, optional
        The base's rows, when the caller has them.
    minimum : int
        Fewest people allowed (default :data:`MIN_BASE`).

    Raises
    ------
    CohortError
        ``"<label>: has <n> people in the <base>; at least 30 needed (...)"``.
    """
    rules = load_programme_rules() if rules is None else rules
    n = int((_base(cohort, rules, base) if mask is None else mask).sum())
    require_rows(
        n,
        minimum,
        label,
        f"people in the {BASE_LABELS[base]}",
        "fewer cannot support a national figure",
    )


def outcome_matrix(cohort: pd.DataFrame, rules: ProgrammeRules, reading: str = "default"):
    """Suitability and outcome indicators (people x programmes).

    Returns
    -------
    suitable, attended, attended_other : numpy.ndarray of bool, shape (n, programmes)
    """
    suit = suitability(cohort, rules, reading).to_numpy()
    names = [p.name for p in rules.programmes]
    att_cols = [f"attended_{n}" for n in names]
    missing = [c for c in (*att_cols, "attended_other_programme") if c not in cohort.columns]
    if missing:
        raise SpecError(
            rules.path,
            "programmes",
            f"need attendance column(s) {missing} that the "
            "cohort lacks; regenerate the cohort with this toolkit version",
        )
    att = cohort[att_cols].to_numpy(dtype=bool)
    any_att = att.any(axis=1) | cohort["attended_other_programme"].to_numpy(dtype=bool)
    attended = suit & att
    other = suit & ~att & any_att[:, None]
    return suit, attended, other


def _with_groups(cohort: pd.DataFrame, by: tuple[str, ...]) -> pd.DataFrame:
    keys = {}
    for b in by:
        if b in DERIVED_BY:
            col, edges, labels = DERIVED_BY[b]
            keys[b] = pd.cut(cohort[col].astype("float64"), edges, right=False, labels=labels)
            if b == "sed_band":
                keys[b] = keys[b].cat.add_categories("no SED").fillna("no SED")
        else:
            keys[b] = cohort[b]
    return pd.DataFrame(keys, index=cohort.index)


def _base_rows(
    cohort: pd.DataFrame, mask: np.ndarray, rules: ProgrammeRules, by: tuple[str, ...]
) -> pd.DataFrame:
    """The base's rows, with only the columns the estimate reads.

    Copying every column of the base doubled the memory of a large cohort (issue 23: most of a
    standard-recall cohort is in the base); the readings' criteria, the attendance flags and
    the grouping columns are all the estimate needs. A cohort that is all base is not copied.
    """
    if mask.all():
        return cohort
    cols = {c.column for p in rules.programmes for r in rules.readings for c in p.reading(r)}
    cols |= {f"attended_{p.name}" for p in rules.programmes} | {"attended_other_programme"}
    cols |= {DERIVED_BY[b][0] if b in DERIVED_BY else b for b in by}
    keep = [c for c in cohort.columns if c in cols]
    return cohort.loc[mask, keep]


def _group_codes(cohort: pd.DataFrame, by: tuple[str, ...]) -> tuple[np.ndarray, pd.DataFrame]:
    """Integer group code per person and the group keys (one row per code).

    Missing values form their own group (``dropna=False``) so that subgroups always add up to
    the whole base.
    """
    if not by:
        return np.zeros(len(cohort), dtype=np.intp), pd.DataFrame(index=pd.RangeIndex(1))
    groups = _with_groups(cohort, by)
    gb = groups.groupby(list(by), observed=True, dropna=False, sort=True)
    codes = gb.ngroup().to_numpy()
    keys = gb.size().reset_index()[list(by)]
    return codes, keys


def _group_sums(codes: np.ndarray, n_groups: int, mat: np.ndarray) -> np.ndarray:
    """Per-group column sums of a people x programmes boolean matrix, shape (programmes, G).

    Each person's row is packed into one integer (a bit per programme) so a single bincount
    over (group, pattern) gives every column's sums at once; then patterns are unpacked.
    """
    n_prog = mat.shape[1]
    if n_prog > 12:  # too many patterns to enumerate: one bincount per column
        return np.stack(
            [np.bincount(codes, weights=mat[:, j], minlength=n_groups) for j in range(n_prog)]
        ).astype(np.int64)
    width = 1 << n_prog
    if n_prog <= 8:  # one byte per person, packed in C (an integer matmul is 10x slower)
        pattern = np.packbits(np.asarray(mat, dtype=bool), axis=1, bitorder="little")[:, 0]
    else:
        pattern = np.asarray(mat, dtype=np.uint8) @ (1 << np.arange(n_prog, dtype=np.int64))
    key = pattern.astype(np.intp) if n_groups == 1 else codes * width + pattern
    counts = np.bincount(key, minlength=n_groups * width)
    bits = (np.arange(width)[:, None] >> np.arange(n_prog)) & 1
    return (counts.reshape(n_groups, width) @ bits).T.astype(np.int64)


def _wilson(k, n, alpha):
    k = np.asarray(k, float)
    n = np.broadcast_to(np.asarray(n, float), k.shape)
    lo, hi = proportion_confint(k, np.where(n > 0, n, 1), alpha=alpha, method="wilson")
    return np.where(n > 0, 100 * lo, np.nan), np.where(n > 0, 100 * hi, np.nan)


def _base(cohort: pd.DataFrame, rules: ProgrammeRules, base: str) -> np.ndarray:
    has = cohort["has_oasys"].to_numpy(dtype=bool)
    if base == "table2":
        return base_mask(cohort, rules)
    if base == "recalled":
        return has & cohort["recall_type"].notna().to_numpy()
    return has


def estimate_needs_gap(
    cohort: pd.DataFrame,
    rules: ProgrammeRules | None = None,
    *,
    by: Sequence[str] | None = None,
    reading: str = "default",
    base: str = "table2",
    stock: float | str | None = "auto",
    target_date: str = DEFAULT_TARGET_DATE,
    standard_share: float | None = None,
    national: NationalFigures | None = None,
    confidence: float = 0.95,
    n_boot: int = N_BOOT,
    capacity: pd.DataFrame | None = None,
    capacity_months: int = 36,
    capacity_release: str = "calibrated",
    spec=None,
    annual_recalls: tuple[float, str] | None = None,
    min_base: int = MIN_BASE,
    rng: np.random.Generator | np.random.SeedSequence | int | None = None,
) -> NeedsGapResult:
    """Estimate suitable, attended, attended-other and unmet programme need.

    Parameters
    ----------
    cohort : pandas.DataFrame
        A cohort with the programme columns (``recall-toolkit generate``).
    rules : ProgrammeRules, optional
        Defaults to the shipped Table 2 rules.
    by : sequence of str, optional
        Subgroup columns: any cohort column (``sex``, ``ethnicity``, ``recall_type``, ``rosh``
        ...) or ``age_band`` / ``sed_band`` (time to sentence end date). Missing values form
        their own subgroup.
    reading : str
        ``default`` or an alternative reading of the rules.
    base : {"table2", "recalled", "all"}
        ``table2``: standard recalls with OASys data, the paper's N = 3,699, scaled to the stock
        times the standard-recall share; ``recalled``: every recalled person with OASys data,
        scaled to the whole stock; ``all``: everyone with OASys data (recalled or not) -- only
        with ``stock=None``, since prison-wide rates do not describe the recalled stock.
    stock : float, "auto" or None
        National recalled stock the base scales to: ``"auto"`` (default) takes the published
        stock on ``target_date`` from ``national.toml``; a number overrides it (the time
        component then collapses to that number); ``None`` for no national figures.
    target_date : str
        Date (YYYY-MM-DD) of the national figures; must be a dated stock in ``national.toml``
        when ``stock="auto"``.
    standard_share : float, optional
        Share of the stock on standard recall (``base="table2"``); default and range from
        ``national.toml``. A value given here is taken as exact (share component zero).
    national : NationalFigures, optional
        Defaults to the shipped ``national.toml``.
    annual_recalls : (float, str), optional
        Recalls a year (all recall types) the capacity scenario admits, and what the figure is
        (printed in the notes). Default: the national model's published flow.
        ``recall-toolkit gaps --capacity`` passes the admissions a year that ``simulate`` scales
        by (the national model's anchor applied to the review model's stays), so both commands
        stand on one national footing.
    confidence : float
        Interval level.
    n_boot : int
        Bootstrap resamples for the unmet-needs-per-person interval (0 to skip).
    capacity : pandas.DataFrame, optional
        Programme places, length and wait (see :func:`load_capacity`): runs the monthly
        stock-flow scenario of :func:`toolkit.needs.capacity.capacity_over_time`.
    capacity_months : int
        Months the capacity scenario runs.
    capacity_release : {"calibrated", "sed"}
        Release in the capacity scenario: stays shortened so stock and flow agree (default) or
        at SED.
    spec : ProfileSpec, optional
        The profile the cohort was generated from; with ``by`` it decides which subgroups rest
        on a published figure (default: the shipped profile).
    min_base : int
        Fewest people in the base that national figures are scaled from (default
        :data:`MIN_BASE`, *assumed*); a smaller base with a ``stock`` is refused.
    rng : numpy.random.Generator, numpy.random.SeedSequence or int, optional
        For the bootstrap and the capacity scenario's draws (in that order).

    Returns
    -------
    NeedsGapResult

    Examples
    --------
    >>> from toolkit.cohort.generate import generate_cohort
    >>> res = estimate_needs_gap(generate_cohort(populations=["standard"], rng=1), rng=1)
    >>> first = res.table.iloc[0]  # the first programme of the shipped rules
    >>> int(first["suitable"])
    1730
    """
    rules, by = _needs_gap_iv(cohort, rules, by, reading)
    _scaling_iv(base, stock, confidence, n_boot)
    capacity_months = _capacity_iv(capacity, capacity_months, capacity_release, stock)
    n_boot = check_int("n_boot", n_boot, lo=0)
    rng = check_rng("rng", rng)
    alpha = 1 - confidence
    mask = _base(cohort, rules, base)
    if stock is not None:
        require_national_base(cohort, rules, base, mask=mask, minimum=min_base)
    sub = _base_rows(cohort, mask, rules, by)
    suit, att, oth = outcome_matrix(sub, rules, reading)
    codes, keys = _group_codes(sub, by)
    table = _count_table(keys, codes, rules, by, suit, att, oth, alpha)
    caveats, offered_notes = _subgroup_marks(table, cohort, by, rules, spec)
    national_fig = nat_info = point_stock = scale = None
    if stock is not None:
        national_fig = load_national() if national is None else national
        point_stock, nat_info = _scaling(national_fig, stock, target_date, base, standard_share)
        nat_info["readings"], by_reading = _reading_counts(
            sub, rules, codes, len(keys), reading, table
        )
        scale = point_stock * nat_info["share"] / len(sub) if len(sub) else np.nan
        _national(table, len(sub), point_stock, nat_info, by_reading, alpha)
    unmet_mat = suit & ~att & ~oth
    # drawn in this order (bootstrap, then capacity) so one seed gives the same bytes as before
    per_person = _unmet_per_person(unmet_mat, n_boot, confidence, rng)
    scenario = None
    if capacity is not None:
        flow, flow_label = _admissions(national_fig, annual_recalls)
        scenario = capacity_over_time(
            cohort,
            mask,
            unmet_mat,
            [p.name for p in rules.programmes],
            capacity,
            scale=scale,
            stock=point_stock,
            flow_per_year=flow,
            flow_label=flow_label,
            months=capacity_months,
            release=capacity_release,
            rng=rng,
        )
    return NeedsGapResult(
        table=table,
        reading=reading,
        confidence=confidence,
        stock=None if point_stock is None else float(point_stock),
        by=by,
        capacity=None if scenario is None else scenario.summary,
        unmet_needs_per_person=per_person,
        national=nat_info,
        capacity_monthly=None if scenario is None else scenario.monthly,
        capacity_notes=() if scenario is None else tuple(scenario.notes),
        subgroup_caveats=caveats,
        offered_notes=offered_notes,
    )


def _count_table(keys, codes, rules, by, suit, att, oth, alpha) -> pd.DataFrame:
    """Counts per programme x group with each share's Wilson interval.

    Rows are programme-major (all groups of programme 1, then programme 2 ...).
    """
    names = [p.name for p in rules.programmes]
    n_groups, n_prog = len(keys), len(names)
    n_base = np.bincount(codes, minlength=n_groups).astype(np.int64)
    sums = {
        "suitable": _group_sums(codes, n_groups, suit),
        "attended": _group_sums(codes, n_groups, att),
        "attended_other": _group_sums(codes, n_groups, oth),
    }
    table = pd.concat([keys] * n_prog, ignore_index=True)
    table.insert(len(by), "programme", np.repeat(names, n_groups))
    table["n_base"] = np.tile(n_base, n_prog)
    for k, v in sums.items():
        table[k] = v.ravel()
    table["unmet"] = table["suitable"] - table["attended"] - table["attended_other"]
    table["suitable_pct"] = 100 * table["suitable"] / table["n_base"].where(table["n_base"] > 0)
    table["suitable_pct_lo"], table["suitable_pct_hi"] = _wilson(
        table["suitable"], table["n_base"], alpha
    )
    for o in OUTCOMES:
        table[f"{o}_pct"] = 100 * table[o] / table["suitable"].where(table["suitable"] > 0)
        table[f"{o}_pct_lo"], table[f"{o}_pct_hi"] = _wilson(table[o], table["suitable"], alpha)
    return table


def _subgroup_marks(table, cohort, by, rules, spec) -> tuple[tuple[dict, ...], tuple[str, ...]]:
    """With ``by``: mark each row's ``split`` and ``offered``; return the caveats and notes."""
    if not by:
        return (), ()
    if spec is None:
        spec = load_profile()
    # Table 2 describes its own base (standard recalls with OASys), whatever base is used
    published = published_levels(cohort, by, spec, base_rows=base_mask(cohort, rules))
    return _mark_subgroups(table, by, published), _mark_offered(table, by, rules)


def _unmet_per_person(unmet_mat: np.ndarray, n_boot: int, confidence: float, rng) -> dict | None:
    """Mean number of unmet programme needs per person with its bootstrap interval.

    A person can have several, so there is no binomial closed form: percentile bootstrap from
    resampled counts (:func:`bootstrap_mean_interval`: no copy of the cohort, no resamples x
    people array). None when ``n_boot`` is 0 or the base has fewer than two people.
    """
    n = len(unmet_mat)
    if not n_boot or n <= 1:
        return None
    lo, hi = bootstrap_mean_interval(unmet_mat.sum(axis=1), n_boot, confidence, rng)
    return {"mean": float(unmet_mat.sum() / n), "lo": lo, "hi": hi, "n_resamples": int(n_boot)}


def _admissions(national: NationalFigures, annual_recalls) -> tuple[float, str]:
    """Recalls a year the capacity scenario admits and what they are: the caller's, or the
    national model's published flow."""
    if annual_recalls is None:
        return national.flow, f"published, {national.flows[0].label}"
    flow, label = annual_recalls
    return flow, label


def bootstrap_mean_interval(
    values: np.ndarray,
    n_boot: int,
    confidence: float,
    rng: np.random.Generator | np.random.SeedSequence | int | None = None,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of small non-negative integers.

    A resample of n people with replacement holds each distinct value ``v`` some number of
    times, and those counts are multinomial(n, share of ``v``): drawing the counts is the same
    resampling distribution as drawing n indices, without the (resamples x n) index array or a
    copy of the data. Memory and time are O(n) for the tally plus O(B x distinct values).

    Parameters
    ----------
    values : numpy.ndarray of int
        One value per person (here: unmet programme needs, 0 to the number of programmes).
    n_boot : int
        Resamples B (at least 1).
    confidence : float
        Interval level.
    rng : numpy.random.Generator, numpy.random.SeedSequence or int, optional

    Returns
    -------
    (float, float)
        The ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles (linear
        interpolation, as :func:`scipy.stats.bootstrap`'s percentile method) of the resample
        means.

    Examples
    --------
    >>> lo, hi = bootstrap_mean_interval(np.array([0, 1, 1, 2] * 250), 1000, 0.95, rng=1)
    >>> bool(lo < 1.0 < hi)
    True
    """
    rng = check_rng("rng", rng)
    values = np.asarray(values)
    if values.size and (values.dtype.kind not in "iub" or values.min() < 0):
        raise UsageError("bootstrap_mean_interval takes non-negative whole numbers")
    counts = np.bincount(values.astype(np.intp, copy=False))
    n = int(counts.sum())
    seen = np.flatnonzero(counts)
    draws = rng.multinomial(n, counts[seen] / n, size=int(n_boot))  # (B, distinct values)
    means = draws @ seen.astype(float) / n
    alpha = 1 - confidence
    lo, hi = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)


def bootstrap_endpoint_mc_error(n_boot: int, confidence: float = 0.95) -> float:
    """Monte Carlo standard error of a percentile-interval end, as a share of the half-width.

    For B resamples the sample ``p`` quantile has standard error ``sqrt(p (1 - p) / B) / f``
    with ``f`` the density at the quantile; for a normal bootstrap distribution with standard
    deviation s, ``f = phi(z) / s`` and the half-width is ``z s``, so the ratio is
    ``sqrt(p (1 - p) / B) / (phi(z) z)`` with ``p = (1 - confidence) / 2``.
    """
    p = (1 - confidence) / 2
    z = stats.norm.isf(p)
    return float(np.sqrt(p * (1 - p) / n_boot) / (stats.norm.pdf(z) * z))


def _scaling(national: NationalFigures, stock, target_date, base, standard_share):
    """Point stock and what the national figures rest on (stocks, share and their ranges)."""
    if stock == "auto":
        point = national.stock_at(target_date)
        window = national.window(target_date) or (point,)
        point_stock = float(point.count)
        time_window = [
            {
                "date": str(s.date),
                "count": s.count,
                "document": national.document,
                "line": s.line,
                "quote": s.quote,
            }
            for s in window
        ]
    else:
        point_stock = float(stock)
        target_date = str(as_date(target_date))
        time_window = [{"date": target_date, "count": point_stock, "document": "user"}]
    if base == "table2":
        if standard_share is None:
            share = national.standard_share
            share_lo, share_hi = national.standard_share_low, national.standard_share_high
        else:
            if not 0 < standard_share <= 1:
                raise UsageError(f"standard_share must be in (0, 1]; got {standard_share!r}")
            share = share_lo = share_hi = float(standard_share)
    else:
        share = share_lo = share_hi = 1.0
    counts = [w["count"] for w in time_window]
    info = {
        "target_date": str(target_date),
        "stock": point_stock,
        "stock_low": float(min(counts)),
        "stock_high": float(max(counts)),
        "time_window": time_window,
        "share": share,
        "share_low": share_lo,
        "share_high": share_hi,
        "base": base,
        "source": national.path,
    }
    info.update(_coverage(base, share, share_lo, share_hi))
    return point_stock, info


def _coverage(base: str, share: float, share_lo: float, share_hi: float) -> dict:
    """Which population the national figures cover and the share of the stock they leave out."""
    if base == "table2":
        others = ", ".join(r for r in RECALL_TYPES if r != "standard")
        text = (
            f"Covers standard recalls only: {100 * share:g}% of the recalled stock "
            f"({100 * share_lo:g}-{100 * share_hi:g}%, national.toml); leaves out "
            f"{100 * (1 - share):g}% ({100 * (1 - share_hi):g}-{100 * (1 - share_lo):g}%): "
            f"the {others} recalls. Standard recalls with OASys data stand for all standard "
            "recalls (assumed)."
        )
    else:
        text = (
            "Covers the whole recalled stock (every recall type); recalled people with OASys "
            "data stand for all of it (assumed)."
        )
    return {
        "coverage": text,
        "covers": "standard recalls" if base == "table2" else "all recalled",
        "left_out_share": 1 - share,
        "left_out_share_low": 1 - share_hi,
        "left_out_share_high": 1 - share_lo,
    }


def published_levels(
    cohort: pd.DataFrame, by: Sequence[str], spec, *, base_rows: np.ndarray | None = None
) -> dict[str, dict[str, set]]:
    """For each grouping column, the levels that some published figure describes alone.

    A figure describes a level ``v`` of ``b`` alone when everyone its population covers (in the
    cohort) who has ``b`` recorded has ``b == v``. Two sources, kept apart:

    * ``"needs"``: the programme file's published table (Table 2) describes its base
      (``base_rows``): a level that is the whole base has its needs gap published;
    * ``"profile"``: the profile's targets (their populations) describe a level alone -- e.g. a
      recall type whose risk scores the profile prints; the generator matches those figures, but
      the group's programme suitability follows the base's construction (assumed).

    Sex is in neither for the shipped files (only the 96% male share of all recalled is
    printed), so a split by sex is assumed. Decided from the figures, not from a list of columns.

    Parameters
    ----------
    cohort : pandas.DataFrame
    by : sequence of str
        Grouping columns (cohort columns or ``age_band``/``sed_band``).
    spec : ProfileSpec
        The profile whose targets count as published figures (``targets`` with ``population``
        and ``role``; context figures do not count).
    base_rows : numpy.ndarray of bool, optional
        The rows the programme file's published table describes.

    Returns
    -------
    dict
        ``{column: {"needs": set of levels, "profile": set of levels}}``.
    """
    groups = _with_groups(cohort, tuple(by))
    pop = cohort["population"].astype(str).to_numpy()
    profile_masks = [
        np.isin(pop, pops)
        for pops in sorted(
            {
                GROUPS[t.population]
                for t in spec.targets
                if t.role != "context" and t.population in GROUPS
            }
        )
    ]
    needs_masks = [] if base_rows is None else [np.asarray(base_rows, dtype=bool)]

    def alone(col, masks):
        levels = set()
        for m in masks:
            vals = col[m].dropna().unique()
            if m.any() and len(vals) == 1:
                levels.add(vals[0])
        return levels

    return {
        b: {"needs": alone(groups[b], needs_masks), "profile": alone(groups[b], profile_masks)}
        for b in by
    }


#: ``split`` of a subgroup row: its needs gap is published for that group; only other figures
#: of the group are (the needs construction is the base's, assumed); no figure describes it.
SPLITS = ("published", "profile only", "assumed")


def _mark_subgroups(table: pd.DataFrame, by: tuple[str, ...], published: dict) -> tuple:
    """Add ``split`` and ``split_note`` per row; return one caveat per grouping column."""
    rank = np.zeros(len(table), dtype=int)  # index into SPLITS, the worst over the columns
    why = [[] for _ in range(len(table))]
    caveats = []
    for b in by:
        needs = published.get(b, {}).get("needs", set())
        prof = published.get(b, {}).get("profile", set())
        level = table[b]
        r = np.where(level.isin(list(needs)), 0, np.where(level.isin(list(needs | prof)), 1, 2))
        rank = np.maximum(rank, r)
        for i in np.flatnonzero(r > 0):
            why[i].append(b)
        status = SPLITS[int(r.max())] if len(r) else "published"
        if (r == 0).all():
            text = f"by {b}: the needs figures are published for each group (Table 2)."
        else:
            text = f"by {b}: Table 2 is published for the whole base only"
            prof_levels = sorted(str(v) for v in prof - needs)
            if prof_levels and (r == 1).any():
                text += (
                    f"; the profile prints other figures for {', '.join(prof_levels)} alone "
                    "(matched by the generator), but their programme suitability and attendance "
                    "follow the base's construction (assumed)"
                )
            if (r == 2).any():
                which = "the other groups" if needs | prof else "any group"
                text += (
                    f"; no published figure describes {which} alone: the split by {b} is the "
                    "generator's ASSUMPTION"
                )
            text += (
                ". Sampling intervals of these rows are not shown: they measure sampling error "
                "at the cohort's size, not the uncertainty of the split."
            )
        caveats.append(
            {
                "column": b,
                "published_levels": sorted(str(v) for v in needs),
                "profile_levels": sorted(str(v) for v in prof),
                "split": status,
                "caveat": text,
            }
        )
    table["split"] = [SPLITS[i] for i in rank]
    table["split_note"] = [
        ""
        if not w
        else f"no published needs figure by {', '.join(w)}: split assumed; intervals are "
        "sampling error only"
        for w in why
    ]
    return tuple(caveats)


def _mark_offered(table: pd.DataFrame, by: tuple[str, ...], rules: ProgrammeRules) -> tuple:
    """Add ``offered`` per row (False where the programme was not offered to the row's group)."""
    offered = np.ones(len(table), dtype=bool)
    notes = []
    for p in rules.programmes:
        cols = [b for b in by if b in p.offered_to]
        if not cols:
            continue
        rows = (table["programme"] == p.name).to_numpy()
        for b in cols:
            allowed = set(p.offered_to[b])
            offered &= ~rows | table[b].astype(str).isin(allowed).to_numpy()
        label, _, why = p.offered_note.partition(":")
        who = " and ".join(f"{b} {'/'.join(p.offered_to[b])}" for b in cols)
        notes.append(
            f"{p.label}: offered to {who} only, {label} ({why.strip()}) Other groups' rows: "
            "offered = NO."
        )
    table["offered"] = offered
    return tuple(notes)


def _reading_counts(sub, rules, codes, n_groups, reading, table):
    """Suitable and unmet counts (rows of ``table``) under every reading the rules name.

    Readings share most conditions, so each distinct condition is evaluated once. Readings that
    refer to columns the cohort lacks are left out (and so not in the range).
    """
    names = [p.name for p in rules.programmes]
    att = sub[[f"attended_{n}" for n in names]].to_numpy(dtype=bool)
    any_att = att.any(axis=1) | sub["attended_other_programme"].to_numpy(dtype=bool)
    cache: dict[str, np.ndarray] = {}

    def holds(c) -> np.ndarray:
        key = str(c)
        if key not in cache:
            cache[key] = c.evaluate(sub)
        return cache[key]

    used, suitable, unmet = [], [], []
    for r in rules.readings:
        if r == reading:
            s_k, u_k = table["suitable"].to_numpy(), table["unmet"].to_numpy()
        else:
            conds = [p.reading(r) for p in rules.programmes]
            if any(c.column not in sub.columns for cs in conds for c in cs):
                continue
            cols = []
            for cs in conds:
                ok = np.ones(len(sub), dtype=bool)
                for c in cs:
                    ok &= holds(c)
                cols.append(ok)
            suit = np.column_stack(cols)
            # unmet = suitable, did not attend this programme, attended nothing else
            s_k = _group_sums(codes, n_groups, suit).ravel()
            u_k = _group_sums(codes, n_groups, suit & ~any_att[:, None]).ravel()
        used.append(r)
        suitable.append(s_k)
        unmet.append(u_k)
    return used, {"suitable": np.array(suitable), "unmet": np.array(unmet)}


def _national(table, n_total, stock, info, by_reading, alpha):
    """Scale counts to the nation and add each uncertainty component as its own columns.

    Every person in the base stands for ``stock x share / n_total`` people, so a subgroup's
    figure is its count over the *whole* base times the national population.
    """
    share = info["share"]
    pop = stock * share
    unit = pop / n_total if n_total else np.nan
    s_lo, s_hi = info["stock_low"], info["stock_high"]
    sh_lo, sh_hi = info["share_low"], info["share_high"]
    table["national_n_base"] = table["n_base"] * unit
    for col in ("suitable", "unmet"):
        k = table[col].to_numpy(float)
        point = k * unit
        p_lo, p_hi = _wilson(k, n_total, alpha)
        table[f"national_{col}"] = point
        table[f"national_{col}_lo"] = pop * p_lo / 100
        table[f"national_{col}_hi"] = pop * p_hi / 100
        kr = by_reading[col].astype(float)
        table[f"national_{col}_reading_lo"] = kr.min(axis=0) * unit
        table[f"national_{col}_reading_hi"] = kr.max(axis=0) * unit
        table[f"national_{col}_time_lo"] = point * s_lo / stock
        table[f"national_{col}_time_hi"] = point * s_hi / stock
        table[f"national_{col}_share_lo"] = point * sh_lo / share
        table[f"national_{col}_share_hi"] = point * sh_hi / share
        r_lo, r_hi = _wilson(kr, n_total, alpha)
        table[f"national_{col}_combined_lo"] = np.nanmin(r_lo, axis=0) / 100 * s_lo * sh_lo
        table[f"national_{col}_combined_hi"] = np.nanmax(r_hi, axis=0) / 100 * s_hi * sh_hi
