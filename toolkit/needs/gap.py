"""Needs gaps against accredited programmes: suitable vs attended vs unmet, with uncertainty.

For each programme (and subgroup, on request) :func:`estimate_needs_gap` counts the people
suitable under a reading of the rules, and among them those who attended it, attended something
else, or have unmet need (Table 2's columns). Shares carry Wilson intervals
(:func:`statsmodels.stats.proportion.proportion_confint`); the number of unmet programme needs
per person, which has no closed form, gets a vectorised :func:`scipy.stats.bootstrap` interval;
national figures scale the base to a stock the user gives with the scaling uncertainty carried
through by Monte Carlo.

Intervals describe sampling error *as if* the cohort were a sample of the size used (by default
the paper's 3,699 standard recalls with OASys). A synthetic cohort is not evidence; the intervals
say how precisely a study of that size would pin the figure down.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from toolkit.exceptions import SpecError, UsageError
from toolkit.profile.rules import ProgrammeRules, base_mask, load_programme_rules, suitability

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: Default national scale: 6,564 recalled prisoners in custody on 31 March 2016, "around 75%"
#: on standard recall (Better Outcomes guide, seed 001 lines 4680-4683).
DEFAULT_STOCK = 6564
DEFAULT_STANDARD_SHARE = 0.75
#: "Around 75%" is read as anywhere that rounds to 75 (assumed uniform on [0.745, 0.755])
#: widened to +/-2.5 points because the guide's "around" is looser than rounding.
STANDARD_SHARE_RANGE = (0.725, 0.775)

DERIVED_BY = {
    "age_band": ("age", [18, 25, 30, 40, 50, 200], ["18-24", "25-29", "30-39", "40-49", "50+"]),
    "sed_band": ("days_to_sed", [0, 91, 183, 365, 1e9], ["under 3m", "3-6m", "6-12m", "12m+"]),
}
OUTCOMES = ("attended", "attended_other", "unmet")


@dataclass(frozen=True)
class NeedsGapResult:
    """Result of :func:`estimate_needs_gap`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per programme (x subgroup): ``n_base``, ``suitable``, ``attended``,
        ``attended_other``, ``unmet`` counts; ``suitable_pct`` (of the base) and
        ``attended_pct``, ``attended_other_pct``, ``unmet_pct`` (of the suitable), each with
        ``_lo``/``_hi``; and national estimates ``national_suitable``, ``national_unmet`` with
        intervals when a stock is given.
    reading : str
    confidence : float
    stock : float or None
    capacity : pandas.DataFrame or None
        Capacity scenario results (see :func:`capacity_scenario`).
    """

    table: pd.DataFrame
    reading: str
    confidence: float
    stock: float | None
    by: tuple[str, ...]
    capacity: pd.DataFrame | None = None
    unmet_needs_per_person: dict | None = None

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
        if self.capacity is not None:
            out["capacity"] = json.loads(self.capacity.to_json(orient="records"))
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
        if "national_unmet" in self.table:
            cols += ["national_unmet", "national_unmet_lo", "national_unmet_hi"]
        df = self.table[cols].copy()
        for c in df.columns:
            if df[c].dtype.kind == "f":
                df[c] = df[c].round(1)
        lines = [
            f"Needs gap (reading: {self.reading}; {int(self.confidence * 100)}% intervals)",
            df.to_string(index=False),
        ]
        if self.unmet_needs_per_person:
            u = self.unmet_needs_per_person
            lines.append(
                f"Unmet programme needs per person: {u['mean']:.3f} "
                f"({u['lo']:.3f} to {u['hi']:.3f}, bootstrap)"
            )
        if self.capacity is not None:
            lines += [
                "",
                "Capacity scenario (illustrative places, length and wait)",
                self.capacity.round(1).to_string(index=False),
            ]
        return "\n".join(lines)


def _needs_gap_iv(cohort, rules, by, reading, stock, confidence, n_boot):
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
    if stock is not None and (not np.isfinite(stock) or stock <= 0):
        raise UsageError(f"stock must be a positive number of people; got {stock!r}")
    if not 0 < confidence < 1:
        raise UsageError(f"confidence must be between 0 and 1; got {confidence!r}")
    if n_boot < 0:
        raise UsageError(f"n_boot must be zero or more; got {n_boot!r}")
    return rules, by


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


def _wilson(k, n, alpha):
    k = np.asarray(k, float)
    n = np.asarray(n, float)
    lo, hi = proportion_confint(k, np.where(n > 0, n, 1), alpha=alpha, method="wilson")
    return np.where(n > 0, 100 * lo, np.nan), np.where(n > 0, 100 * hi, np.nan)


def estimate_needs_gap(
    cohort: pd.DataFrame,
    rules: ProgrammeRules | None = None,
    *,
    by: Sequence[str] | None = None,
    reading: str = "default",
    base: str = "table2",
    stock: float | None = DEFAULT_STOCK,
    standard_share: float = DEFAULT_STANDARD_SHARE,
    confidence: float = 0.95,
    n_boot: int = 1000,
    capacity: pd.DataFrame | None = None,
    rng: np.random.Generator | int | None = None,
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
        ...) or ``age_band`` / ``sed_band`` (time to sentence end date).
    reading : str
        ``default`` or an alternative reading of the rules.
    base : {"table2", "all"}
        ``table2``: standard recalls with OASys data, the paper's N = 3,699; ``all``: everyone
        with OASys data.
    stock : float or None
        National stock of recalled prisoners to scale to (default 6,564 on 31 March 2016);
        ``None`` for no national figures.
    standard_share : float
        Share of the stock on standard recall (used when ``base="table2"``).
    confidence : float
        Interval level.
    n_boot : int
        Bootstrap resamples for the unmet-needs-per-person interval (0 to skip).
    capacity : pandas.DataFrame, optional
        Programme places, length and wait (see :func:`load_capacity`).
    rng : numpy.random.Generator or int, optional

    Returns
    -------
    NeedsGapResult

    Examples
    --------
    >>> from toolkit.cohort.generate import generate_cohort
    >>> res = estimate_needs_gap(generate_cohort(populations=["standard"], rng=1), rng=1)
    >>> int(res.table.set_index("programme").loc["cognitive_skills", "suitable"])
    1730
    """
    rules, by = _needs_gap_iv(cohort, rules, by, reading, stock, confidence, n_boot)
    rng = np.random.default_rng(rng)
    alpha = 1 - confidence
    if base == "table2":
        mask = base_mask(cohort, rules)
    elif base == "all":
        mask = cohort["has_oasys"].to_numpy(dtype=bool)
    else:
        raise UsageError(f"base must be 'table2' or 'all'; got {base!r}")
    sub = cohort.loc[mask]
    suit, att, oth = outcome_matrix(sub, rules, reading)
    names = [p.name for p in rules.programmes]
    groups = _with_groups(sub, by)
    frames = []
    for j, name in enumerate(names):
        ind = pd.DataFrame(
            {"base": 1, "suitable": suit[:, j], "attended": att[:, j], "attended_other": oth[:, j]},
            index=sub.index,
        ).astype(np.int64)
        if by:
            agg = ind.groupby([groups[b] for b in by], observed=True).sum().reset_index()
        else:
            agg = ind.sum().to_frame().T
        agg.insert(len(by), "programme", name)
        frames.append(agg)
    table = pd.concat(frames, ignore_index=True).rename(columns={"base": "n_base"})
    table["unmet"] = table["suitable"] - table["attended"] - table["attended_other"]
    table["suitable_pct"] = 100 * table["suitable"] / table["n_base"].where(table["n_base"] > 0)
    table["suitable_pct_lo"], table["suitable_pct_hi"] = _wilson(
        table["suitable"], table["n_base"], alpha
    )
    for o in OUTCOMES:
        table[f"{o}_pct"] = 100 * table[o] / table["suitable"].where(table["suitable"] > 0)
        table[f"{o}_pct_lo"], table[f"{o}_pct_hi"] = _wilson(table[o], table["suitable"], alpha)
    if stock is not None:
        _national(
            table,
            stock,
            standard_share if base == "table2" else 1.0,
            alpha,
            uncertain_share=base == "table2",
        )
    per_person = None
    if n_boot and len(sub) > 1:
        # Mean number of unmet programme needs per person: a person can have several, so no
        # binomial closed form; percentile bootstrap, vectorised over resamples.
        unmet_per_person = (suit & ~att & ~oth).sum(axis=1).astype(float)
        res = stats.bootstrap(
            (unmet_per_person,),
            np.mean,
            n_resamples=n_boot,
            confidence_level=confidence,
            vectorized=True,
            method="percentile",
            rng=rng,
        )
        per_person = {
            "mean": float(unmet_per_person.mean()),
            "lo": float(res.confidence_interval.low),
            "hi": float(res.confidence_interval.high),
            "n_resamples": int(n_boot),
        }
    cap = None
    if capacity is not None:
        cap = capacity_scenario(sub, suit, att, oth, names, capacity, table, stock)
    return NeedsGapResult(
        table=table,
        reading=reading,
        confidence=confidence,
        stock=None if stock is None else float(stock),
        by=by,
        capacity=cap,
        unmet_needs_per_person=per_person,
    )


def _national(table, stock, share, alpha, uncertain_share):
    """Scale base counts to a national stock, carrying both uncertainties through.

    national = stock x standard share x p, where p is the base proportion. The interval is the
    product of the endpoints: stock x share_lo x p_lo to stock x share_hi x p_hi, with p's
    Wilson interval and the standard share anywhere in ``STANDARD_SHARE_RANGE`` ("around 75%").
    If p lies in its interval with probability 1 - alpha and the share lies in its range, the
    product lies in this interval: conservative (coverage at least 1 - alpha), closed form and
    vectorised over any number of subgroups.
    """
    n = table["n_base"].to_numpy(float)
    lo_s, hi_s = STANDARD_SHARE_RANGE if uncertain_share else (share, share)
    for col in ("suitable", "unmet"):
        k = table[col].to_numpy(float)
        p_lo, p_hi = _wilson(k, n, alpha)
        table[f"national_{col}"] = stock * share * k / np.where(n > 0, n, np.nan)
        table[f"national_{col}_lo"] = stock * lo_s * p_lo / 100
        table[f"national_{col}_hi"] = stock * hi_s * p_hi / 100


#: Capacity scenario fields and their allowed ranges (inclusive). Lengths and waits are capped
#: at ten years (*assumed*: longer than any programme or wait could be, so a larger number is a
#: typo such as days entered as hours); a programme takes at least one day.
CAPACITY_FIELDS: dict[str, tuple[float, float]] = {
    "places_per_year": (0, 1_000_000),
    "length_days": (1, 3_650),
    "wait_days": (0, 3_650),
}


def load_capacity(path: str | Path, rules: ProgrammeRules | None = None) -> pd.DataFrame:
    """Read a capacity scenario (TOML or CSV): places per year, length and wait per programme.

    TOML: ``[programmes.<name>] places_per_year = ..., length_days = ..., wait_days = ...``.
    CSV: columns ``programme, places_per_year, length_days, wait_days``. The structure is
    strict: unknown keys or columns (e.g. ``wait_day``), unknown, repeated or missing programmes
    and numbers outside :data:`CAPACITY_FIELDS` are errors.

    Raises
    ------
    SpecError
        Naming the file, programme and field, the value found and what is expected.
    """
    from toolkit.datafiles import check_keys

    rules = load_programme_rules() if rules is None else rules
    path = Path(path)
    label = str(path)
    fields = list(CAPACITY_FIELDS)
    try:
        if path.suffix.lower() == ".csv":
            df = pd.read_csv(path)
            check_keys(dict.fromkeys(df.columns), ["programme", *fields], label, "(columns)")
            rows = df.to_dict(orient="records")
            where = [f"row {i + 2}" for i in range(len(rows))]  # header = row 1
        else:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            check_keys(data, ["programmes"], label, required=["programmes"])
            progs = data["programmes"]
            if not isinstance(progs, dict):
                raise SpecError(label, "programmes", "must be a table of programmes", progs)
            rows, where = [], []
            for k, v in progs.items():
                if not isinstance(v, dict):
                    raise SpecError(label, f"programmes.{k}", "must be a table", v)
                check_keys(v, fields, label, f"programmes.{k}")
                rows.append({"programme": k, **v})
                where.append(f"programmes.{k}")
    except OSError as exc:
        raise SpecError(label, "(file)", f"cannot be read ({exc.strerror})") from None
    except (
        tomllib.TOMLDecodeError,
        pd.errors.ParserError,
        pd.errors.EmptyDataError,
        UnicodeDecodeError,
    ) as exc:
        raise SpecError(label, "(file)", f"cannot be parsed: {exc}") from None
    known = [p.name for p in rules.programmes]
    seen: list[str] = []
    for r, at in zip(rows, where):
        name = r.get("programme")
        if name not in known:
            raise SpecError(
                label,
                f"{at}.programme" if at.startswith("row") else at,
                f"is not a known programme (expected one of {', '.join(known)})",
                name,
            )
        if name in seen:
            raise SpecError(label, f"{at}.programme", "repeats a programme given above", name)
        for f, (lo, hi) in CAPACITY_FIELDS.items():
            v = r.get(f)
            key = f"programmes.{name}.{f}"
            if (
                isinstance(v, bool)
                or not isinstance(v, (int, float, np.integer, np.floating))
                or not np.isfinite(v)
            ):
                raise SpecError(label, key, f"must be a number >= {lo}", v)
            if v < lo:
                raise SpecError(label, key, f"must be a number >= {lo}", v)
            if v > hi:
                raise SpecError(label, key, f"must be at most {hi:,}", v)
        seen.append(name)
    missing = [k for k in known if k not in seen]
    if missing:
        raise SpecError(
            label,
            "programmes",
            f"lacks programme(s) {', '.join(missing)}; give every programme (0 places is allowed)",
        )
    return pd.DataFrame(rows)[["programme", *fields]]


def capacity_scenario(sub, suit, att, oth, names, capacity, table, stock) -> pd.DataFrame:
    """How much unmet need could be met before sentence end, and who cannot be reached in time.

    A person with unmet need is *reachable* if their time to SED is at least the wait plus the
    programme length (people with no SED, life and IPP, are always reachable). Places available
    to this population before the median reachable person's SED are ``places_per_year`` times
    that horizon (in years, capped at one). Met = min(reachable, places in horizon). Figures are
    for the base as given and, when a stock is given, scaled nationally.
    """
    cap = capacity.set_index("programme")
    sed = sub["days_to_sed"].astype("float64").to_numpy()
    rows = []
    scale = None
    if stock is not None and "national_unmet" in table:
        first = table.iloc[0]
        scale = first["national_unmet"] / first["unmet"] if first["unmet"] else None
    for j, name in enumerate(names):
        c = cap.loc[name]
        unmet = suit[:, j] & ~att[:, j] & ~oth[:, j]
        need_days = c["wait_days"] + c["length_days"]
        reach = unmet & (np.isnan(sed) | (sed >= need_days))
        slack = np.where(np.isnan(sed), 365.0, sed - need_days)[reach]
        horizon = float(np.clip(np.median(slack), 0, 365) / 365) if slack.size else 0.0
        k_unmet, k_reach = int(unmet.sum()), int(reach.sum())
        row = {
            "programme": name,
            "unmet": k_unmet,
            "unreachable_before_sed": k_unmet - k_reach,
            "reachable": k_reach,
            "horizon_years": horizon,
            "places_per_year": float(c["places_per_year"]),
            "wait_days": float(c["wait_days"]),
            "length_days": float(c["length_days"]),
        }
        if scale:
            nat_reach = k_reach * scale
            places = float(c["places_per_year"]) * horizon
            row.update(
                {
                    "national_unmet": k_unmet * scale,
                    "national_reachable": nat_reach,
                    "places_in_horizon": places,
                    "national_met_before_sed": min(nat_reach, places),
                    "national_still_unmet": k_unmet * scale - min(nat_reach, places),
                }
            )
        rows.append(row)
    return pd.DataFrame(rows)
