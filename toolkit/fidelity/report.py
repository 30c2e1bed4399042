"""Fidelity report: every published figure beside the synthetic one, plus the paper's tests.

The report has four parts, kept apart on purpose:

* ``targets``: one row per published figure (target id, population, statistic, published,
  synthetic, tolerance, pass, role, source). Only ``role == "target"`` and ``"approximate"`` rows
  count towards :attr:`FidelityReport.passed`; context figures (other populations or dates),
  superseded and unmeetable figures are shown with the reason.
* ``assumed``: every assumed parameter the generator used, with its reason.
* ``audit``: the consistency findings about the published figures themselves.
* ``tests``: the paper's comparisons (standard recalls vs the rest) re-run on the cohort with
  Welch t-tests and chi-square tests (:mod:`scipy.stats`), with direction and significance.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import stats

from toolkit.exceptions import CohortError
from toolkit.profile.audit import AuditResult, audit_profile
from toolkit.profile.rules import (
    ProgrammeRules,
    load_programme_rules,
    programme_figures_describe,
)
from toolkit.profile.spec import ProfileSpec, Target, load_profile
from toolkit.profile.targets import derive_targets, interval_half
from toolkit.results import ResultMixin
from toolkit.schema import (
    GROUPS,
    NEED_ITEMS,
    RELATIONS,
    SIX_MONTHS_DAYS,
    YEAR_DAYS,
    relation_violations,
)

EVALUATED_ROLES = ("target", "approximate")
#: Roles shown but not judged: context (other population/date), superseded, unmeetable (audit),
#: not_in_cohort (population absent), scaled (a count at a non-published N), unreachable (no
#: cohort of these sizes can print the figure: the reason is in the note), contradicted (the
#: audit finds the figure contradicted by the others and the profile resolves it without
#: setting it aside), not_comparable (``table2_rows(comparable=False)`` only: the report
#: itself leaves out a Table 2 that describes another population than the profile's).
_OASYS_VARS = (*NEED_ITEMS, "need_domains")
_DAYS_BANDS = {
    "under_6m": (0, SIX_MONTHS_DAYS),
    "6_to_12m": (SIX_MONTHS_DAYS, YEAR_DAYS),
    "over_12m": (YEAR_DAYS, np.inf),
}


@dataclass(frozen=True)
class FidelityReport(ResultMixin):
    """Result of :func:`fidelity_report`.

    Attributes
    ----------
    targets : pandas.DataFrame
        Published figure vs synthetic, one row per target.
    assumed : pandas.DataFrame
        Assumed and derived parameters (block, key, value, reason), listed apart.
    audit : AuditResult
        Consistency findings about the published figures.
    tests : pandas.DataFrame
        The paper's claims re-tested on the cohort.
    """

    targets: pd.DataFrame
    assumed: pd.DataFrame
    audit: AuditResult
    tests: pd.DataFrame

    #: drawn by :func:`toolkit.report.plots.plot_fidelity` (``report.plot(ax=...)``)
    _plot: ClassVar[str | None] = "plot_fidelity"

    @property
    def evaluated(self) -> pd.DataFrame:
        """Rows that must pass (published targets not marked context/superseded/unmeetable)."""
        return self.targets[self.targets["role"].isin(EVALUATED_ROLES)]

    @property
    def failures(self) -> pd.DataFrame:
        """Evaluated rows that fail."""
        ev = self.evaluated
        return ev[ev["pass"] != True]  # noqa: E712 - pandas object column

    @property
    def passed(self) -> bool:
        """Whether every evaluated published target passes."""
        return self.failures.empty

    def to_frame(self) -> pd.DataFrame:
        """The published-vs-synthetic table (a copy)."""
        return self.targets.copy()

    def to_dict(self) -> dict:
        """A JSON-ready dict with all four parts and a summary."""

        def records(df: pd.DataFrame) -> list[dict]:
            return json.loads(df.to_json(orient="records"))

        ev = self.evaluated
        rel = (ev["statistic"] == "relation").to_numpy()
        return {
            "summary": {
                "evaluated": int(len(ev)),
                "passed": int((ev["pass"] == True).sum()),  # noqa: E712
                "failed": int(len(self.failures)),
                "all_passed": bool(self.passed),
                "not_evaluated": int(len(self.targets) - len(ev)),
                "unreachable": int((self.targets["role"] == "unreachable").sum()),
                "contradicted": int((self.targets["role"] == "contradicted").sum()),
                # the same split, published figures apart from the declared relations
                "published_evaluated": int((~rel).sum()),
                "published_passed": int(((ev["pass"] == True) & ~rel).sum()),  # noqa: E712
                "relations_checked": int(rel.sum()),
                "relations_held": int(((ev["pass"] == True) & rel).sum()),  # noqa: E712
                "audit_findings": int(len(self.audit.issues)),
                "audit_unresolved": int(len(self.audit.unresolved)),
            },
            "targets": records(self.targets),
            "assumed": records(self.assumed),
            "audit": records(self.audit.to_frame()),
            "tests": records(self.tests),
        }

    def render(self, width: int = 110) -> str:
        """A readable plain-text report for the terminal."""
        lines = []
        d = self.to_dict()["summary"]
        lines.append(
            f"Fidelity: {d['published_passed']}/{d['published_evaluated']} published figures met"
            f" ({d['published_evaluated'] - d['published_passed']} failed);"
            f" {d['relations_held']}/{d['relations_checked']} logical relations hold;"
            f" {d['unreachable']} unreachable at this N;"
            + (
                f" {d['contradicted']} contradicted by other figures (resolved in the profile);"
                if d["contradicted"]
                else ""
            )
            + f" {d['not_evaluated']} shown but not evaluated."
        )
        cols = ["target_id", "population", "published", "synthetic", "tolerance", "pass"]
        with pd.option_context(
            "display.width", width, "display.max_rows", None, "display.max_colwidth", 48
        ):
            lines.append("\nPublished targets")
            lines.append(self.evaluated[cols].to_string(index=False))
            other = self.targets[~self.targets["role"].isin(EVALUATED_ROLES)]
            if len(other):
                lines.append("\nShown, not evaluated (role and reason)")
                shown = other[["target_id", "role", "published", "synthetic"]]
                lines.append(shown.to_string(index=False))
                # Notes in full, wrapped at word boundaries (never cut mid-word).
                for tid, note in zip(other["target_id"], other["note"]):
                    if note:
                        lines.append(
                            textwrap.fill(
                                note, width, initial_indent=f"  {tid}: ", subsequent_indent="    "
                            )
                        )
            lines.append("\nAudit of the published figures")
            af = self.audit.to_frame()
            af = af[af["status"] != "consistent"]
            for _, r in af.iterrows():
                lines.append(f"- [{r['status']}] {r['id']}: {r['message']}")
                lines.append(f"    resolution: {r['resolution'] or 'UNRESOLVED'}")
            lines.append("\nPaper's comparisons re-tested (standard recalls vs the rest)")
            tcols = [
                "claim_id",
                "group_value",
                "reference_value",
                "claimed",
                "observed",
                "agrees",
                "p_value",
            ]
            if len(self.tests):
                lines.append(self.tests[tcols].to_string(index=False))
            else:
                lines.append("(the profile has no [[claims]])")
            lines.append(
                f"\nAssumed parameters: {len(self.assumed)} (see the JSON report or "
                "the spec's [assumptions])."
            )
        return "\n".join(lines)


def _mask(cohort: pd.DataFrame, group: str) -> np.ndarray:
    return cohort["population"].isin(GROUPS[group]).to_numpy()


def synthetic_value(cohort: pd.DataFrame, t: Target) -> float | None:
    """The cohort's value of the statistic a target describes, or ``None`` if not computable.

    Parameters
    ----------
    cohort : pandas.DataFrame
    t : Target

    Returns
    -------
    float or None
        Means in the variable's units; shares in percent; counts as numbers.
    """
    if t.population not in GROUPS:
        return None
    m = _mask(cohort, t.population)
    var = t.variable
    if t.statistic == "count":
        if var == "n":
            return float(m.sum())
        if var == "has_oasys":
            return float((m & cohort["has_oasys"].to_numpy()).sum())
        return None
    if t.statistic in ("sd", "median"):
        if var not in cohort.columns:
            return None
        if var in _OASYS_VARS:
            m = m & cohort["has_oasys"].to_numpy()
        s = cohort.loc[m, var].astype("float64").dropna()
        if t.statistic == "median":
            return float(s.median()) if len(s) else None
        return float(s.std(ddof=1)) if len(s) > 1 else None
    if t.statistic == "mean":
        if var not in cohort.columns:
            return None
        if var in _OASYS_VARS:
            m = m & cohort["has_oasys"].to_numpy()
        s = cohort.loc[m, var]
        return float(s.astype("float64").mean()) if s.notna().any() else None
    if m.sum() == 0:
        return None
    if t.statistic == "share":
        cat = t.category
        if var == "rosh" and cat in ("high_or_very_high", "low_or_medium"):
            hit = cohort["rosh"].isin(["high", "very_high"]).to_numpy()
            hit = hit if cat == "high_or_very_high" else ~hit
        elif var == "population":
            return 100.0 * float((cohort["population"].to_numpy()[m] == cat).mean())
        elif var == "days_on_recall" and cat in _DAYS_BANDS:
            lo, hi = _DAYS_BANDS[cat]
            d = cohort["days_on_recall"].astype("float64").to_numpy()
            hit = (d >= lo) & (d < hi)
        elif var == "days_on_recall" and cat == "unknown":
            hit = cohort["days_on_recall"].isna().to_numpy()
        elif var == "days_to_sed" and cat in ("1yr_plus", "under_1yr", "none"):
            d = cohort["days_to_sed"].astype("float64").to_numpy()
            hit = {"1yr_plus": d >= YEAR_DAYS, "under_1yr": d < YEAR_DAYS, "none": np.isnan(d)}[cat]
        elif var in cohort.columns:
            hit = (cohort[var] == cat).fillna(False).to_numpy(dtype=bool)
        else:
            return None
        return 100.0 * float(hit[m].mean())
    if t.statistic == "max_share" and var == "index_offence_group":
        # the group's offences as the cohort records them (a profile may regroup offences)
        sub = cohort.loc[m]
        in_group = (sub["index_offence_group"] == t.category).to_numpy(dtype=bool)
        counts = sub.loc[in_group, "index_offence"].value_counts()
        return 100.0 * float(counts.max()) / len(sub) if len(counts) else 0.0
    return None


def _legitimately_scaled(spec: ProfileSpec, sizes: Mapping[str, int]) -> bool:
    """Whether population sizes are what ``generate_cohort(n=total)`` allocates (another N).

    A cohort at the published N, or one whose sizes no allocation explains (people dropped or
    duplicated), is judged against the published counts as they stand.
    """
    from toolkit.cohort.construct import largest_remainder

    pops = list(sizes)
    published = np.array([spec.population_n(p) for p in pops], float)
    total = int(sum(sizes.values()))
    if total == int(published.sum()):
        return False
    return bool(
        np.array_equal(largest_remainder(published, total), np.array([sizes[p] for p in pops]))
    )


def _tolerance(spec: ProfileSpec, t: Target) -> float:
    return interval_half(spec, t)


def _passes(t: Target, synth: float | None, tol: float) -> bool | None:
    if synth is None:
        return None
    if t.statistic == "max_share":
        return synth <= t.value + tol + 1e-9
    return abs(synth - t.value) <= tol + 1e-9


def _ogrs3_reach(cohort: pd.DataFrame, t: Target, tol: float) -> str:
    """For a missed OGRS3 mean of a small population: why whole sanctions cannot reach it.

    OGRS3 is computed from each person's age, sex, offence and record, so a population of a few
    people can only take a discrete set of means. The generator's search over every person's
    number of sanctions (0-400) is rerun from this cohort; if it cannot reach the printed
    interval either, the figure is reported unreachable with the nearest mean found.
    Returns ``""`` when the population is large or the mean is reachable.
    """
    from scipy.special import expit

    from toolkit.cohort.generate import FINE_REPAIR_MAX, fine_sanctions
    from toolkit.cohort.ogrs3 import coefficients, ogrs3_linear
    from toolkit.schema import INDEX_OFFENCES

    m = _mask(cohort, t.population)
    n = int(m.sum())
    if n == 0 or n > FINE_REPAIR_MAX:
        return ""
    sub = cohort.loc[m]
    age = sub["age"].to_numpy(dtype=float)
    female = (sub["sex"].astype(str) == "female").to_numpy()
    off = pd.Categorical(sub["index_offence"].astype(str), categories=INDEX_OFFENCES).codes
    years = sub["years_since_first_sanction"].to_numpy(dtype=float)
    breaches = sub["previous_breaches"].to_numpy(dtype=np.int64)
    c = coefficients()

    def prob2(s, idx=slice(None)):
        lin = ogrs3_linear(age[idx], female[idx], off[idx], np.asarray(s), years[idx])
        return expit(c.intercept_2yr + lin)

    start = sub["previous_sanctions"].to_numpy(dtype=np.int64)
    s = fine_sanctions(start, breaches, prob2, t.value, 1e-4)
    best = 100.0 * float(prob2(s).mean())
    if abs(best - t.value) <= tol + 1e-9:
        return ""
    return (
        f"unreachable at N = {n:,}: OGRS3 moves in whole-sanction steps; with these people's "
        f"ages, sexes and offences a search over 0-400 sanctions each gets no nearer than "
        f"{best:.3f}"
    )


def relation_rows(cohort: pd.DataFrame) -> list[dict]:
    """One row per logical relation (:data:`toolkit.schema.RELATIONS`): people who break it."""
    rows = []
    for rel in RELATIONS:
        bad = relation_violations(cohort, rel)
        if bad is None:
            continue
        k = int(bad.sum())
        cond = " and ".join(rel.if_) if rel.if_ else "always"
        rows.append(
            {
                "target_id": f"relation.{rel.id}",
                "population": "all_prisoners",
                "variable": rel.then.split()[0],
                "statistic": "relation",
                "category": "",
                "published": "0 people",
                "published_value": 0.0,
                "synthetic": float(k),
                "tolerance": 0.0,
                "pass": k == 0,
                "role": "target",
                "source": "toolkit.schema.RELATIONS",
                "note": f"if {cond} then {rel.then}: {rel.reason}",
            }
        )
    return rows


def _flatten(prefix: str, obj, out: list, reason: str = "") -> None:
    if isinstance(obj, Mapping):
        reason = obj.get("reason", obj.get("method", reason))
        for k, v in obj.items():
            if k in ("reason", "method"):
                continue
            _flatten(f"{prefix}.{k}" if prefix else k, v, out, reason)
    else:
        out.append((prefix, json.dumps(obj if not isinstance(obj, tuple) else list(obj)), reason))


def assumed_table(spec: ProfileSpec) -> pd.DataFrame:
    """Every assumed (and derived) parameter of a spec with its reason, one row per leaf."""
    rows: list = []
    for block in ("assumptions", "derived"):
        src = getattr(spec, block)
        for name, val in src.items():
            leaf: list = []
            _flatten(name, val, leaf)
            for key, value, reason in leaf:
                rows.append(
                    {
                        "kind": "assumed" if block == "assumptions" else "derived",
                        "key": key,
                        "value": value,
                        "reason": reason,
                    }
                )
    return pd.DataFrame(rows, columns=["kind", "key", "value", "reason"])


def claim_tests(cohort: pd.DataFrame, spec: ProfileSpec, alpha: float = 0.05) -> pd.DataFrame:
    """Re-run the paper's comparisons on a cohort.

    Means use Welch's t-test (:func:`scipy.stats.ttest_ind` with ``equal_var=False``); shares
    use a chi-square test of the 2x2 table (:func:`scipy.stats.chi2_contingency`). OASys items
    are compared among people with OASys data.

    Returns
    -------
    pandas.DataFrame
        claim_id, variable, group, reference, group_value, reference_value, claimed, observed,
        agrees, statistic, p_value, significant, text.
    """
    rows = []
    for c in spec.claims:
        if c.variable not in cohort.columns:
            continue
        g, r = _mask(cohort, c.group), _mask(cohort, c.reference)
        if c.variable in _OASYS_VARS:
            has = cohort["has_oasys"].to_numpy()
            g, r = g & has, r & has
        if g.sum() < 2 or r.sum() < 2:
            continue
        if c.test == "chi2":
            if c.variable == "rosh":
                hit = cohort["rosh"].isin(["high", "very_high"]).to_numpy()
            else:
                hit = (cohort[c.variable] == c.category).fillna(False).to_numpy(dtype=bool)
            table = np.array([[hit[g].sum(), (~hit[g]).sum()], [hit[r].sum(), (~hit[r]).sum()]])
            stat, p, _, _ = stats.chi2_contingency(table)
            gv, rv = 100 * hit[g].mean(), 100 * hit[r].mean()
        else:
            x = cohort.loc[g, c.variable].astype("float64").dropna().to_numpy()
            y = cohort.loc[r, c.variable].astype("float64").dropna().to_numpy()
            res = stats.ttest_ind(x, y, equal_var=False)
            stat, p = float(res.statistic), float(res.pvalue)
            gv, rv = x.mean(), y.mean()
        observed = "higher" if gv > rv else "lower" if gv < rv else "equal"
        rows.append(
            {
                "claim_id": c.id,
                "variable": c.variable,
                "group": c.group,
                "reference": c.reference,
                "group_value": round(float(gv), 4),
                "reference_value": round(float(rv), 4),
                "claimed": c.direction,
                "observed": observed,
                "agrees": observed == c.direction,
                "statistic": round(float(stat), 4),
                "p_value": float(p),
                "significant": bool(p < alpha),
                "text": c.text,
            }
        )
    cols = [
        "claim_id",
        "variable",
        "group",
        "reference",
        "group_value",
        "reference_value",
        "claimed",
        "observed",
        "agrees",
        "statistic",
        "p_value",
        "significant",
        "text",
    ]
    return pd.DataFrame(rows, columns=cols)


def table2_rows(
    cohort: pd.DataFrame, rules, *, comparable: bool = True, why: str = ""
) -> list[dict]:
    """Table 2 targets (suitable counts and attendance shares) beside the cohort's values.

    With ``comparable=False`` (the figures describe another population, see
    :func:`toolkit.profile.rules.programme_figures_describe`) every row has role
    ``not_comparable`` and ``why`` as its note: shown, not judged.
    """
    from toolkit.needs.gap import estimate_needs_gap

    needed = {"attended_other_programme", "ovp_2yr", "violent_history"}
    if not needed <= set(cohort.columns) or "standard" not in set(cohort["population"].astype(str)):
        return []
    res = estimate_needs_gap(cohort, rules, stock=None, n_boot=0).table.set_index("programme")
    base_n = int(rules.meta.get("base_n", 0))
    at_published_n = int(res["n_base"].iloc[0]) == base_n
    rows = []
    src = f"{rules.meta.get('document', '')} {rules.meta.get('locator', '')}"
    for p in rules.programmes:
        r = res.loc[p.name]
        pcts = {
            "attended_pct": p.attended_pct,
            "attended_other_pct": p.attended_other_pct,
            "unmet_pct": p.unmet_pct,
        }
        infeasible = abs(sum(pcts.values()) - 100) > 0.15 + 1e-9
        items = [("suitable", "count", float(p.suitable), str(p.suitable), 0.0)]
        items += [(k, "share", v, f"{v:.1f}", 0.05) for k, v in pcts.items()]
        for stat_name, stat, value, printed, tol in items:
            synth = float(r[stat_name])
            role, note = "target", "base: standard recalls with OASys data"
            if stat == "count" and not at_published_n:
                role, note = "not_in_cohort", "count only comparable at the published N"
            if infeasible and stat == "share" and stat_name.replace("_pct", "") not in p.hold:
                role = "unmeetable"
                note = (
                    f"row sums to {sum(pcts.values()):.1f}%; {' and '.join(p.hold)} held "
                    "(audit table2_sum)"
                )
            if not at_published_n and stat == "share" and r["suitable"] > 0:
                # three cells must sum to N: at another N each can be met to within one person
                # beyond its printed precision
                tol = tol + 100.0 / float(r["suitable"])
                note = f"tolerance widened to one person at N = {int(r['suitable']):,}"
            if not comparable:  # first: whatever the cohort holds, another population
                role, note = "not_comparable", why
            elif not np.isfinite(synth):
                role, note = "not_in_cohort", "no standard recall with OASys data in this cohort"
            ok = abs(synth - value) <= tol + 1e-9 if role == "target" else None
            rows.append(
                {
                    "target_id": f"table2.{p.name}.{stat_name}",
                    "population": "standard",
                    "variable": p.name,
                    "statistic": stat,
                    "category": stat_name,
                    "published": printed,
                    "published_value": value,
                    "synthetic": round(synth, 6),
                    "tolerance": tol,
                    "pass": ok,
                    "role": role,
                    "source": f"{src}, line {p.line}",
                    "note": note,
                }
            )
    return rows


def fidelity_report(
    cohort: pd.DataFrame, spec: ProfileSpec | None = None, programmes=None
) -> FidelityReport:
    """Put every published figure of ``spec`` beside the cohort's value.

    Parameters
    ----------
    cohort : pandas.DataFrame
        A cohort with the :mod:`toolkit.schema` columns.
    spec : ProfileSpec, optional
        Defaults to the shipped profile.

    Returns
    -------
    FidelityReport

    Notes
    -----
    Tolerance is half a unit of the printed precision (a mean printed 32.2 passes on
    [32.15, 32.25]); counts must be exact; figures the source calls approximate get the spec's
    ``assumptions.fidelity.approximate_tolerance_points``.

    Examples
    --------
    >>> from toolkit.cohort.generate import generate_cohort
    >>> spec = load_profile()
    >>> rep = fidelity_report(generate_cohort(spec, populations=["hdc"], rng=3), spec)
    >>> r = rep.targets
    >>> bool(r.loc[(r["variable"] == "age") & (r["statistic"] == "mean")
    ...            & (r["population"] == "hdc"), "pass"].item())
    True
    """
    spec = load_profile() if spec is None else spec
    _require_columns(cohort)
    rules = load_programme_rules() if programmes is None else programmes
    audit = audit_profile(spec, rules)
    ctx = _judging(cohort, spec, audit)
    rows = [_target_row(ctx, t) for t in spec.targets]
    comparable, _why = programme_figures_describe(spec, rules)
    # Table 2 rows appear only for a profile they describe (the same census): another
    # profile's report would otherwise list 24 rows about other people
    if comparable:
        rows += table2_rows(cohort, rules)
    rows += relation_rows(cohort)
    targets = pd.DataFrame(rows)
    # one dtype whatever the rows: True/False for judged rows, None for the rest
    targets["pass"] = targets["pass"].astype(object)
    # Counts only match at the published N; scaled cohorts report them without judging.
    return FidelityReport(
        targets=targets,
        assumed=assumed_table(spec),
        audit=audit,
        tests=claim_tests(cohort, spec),
    )


def check_cohort_file(
    cohort: str | Path, profile: str | Path | None = None, rules=None, *, bar=None
) -> FidelityReport:
    """Judge a cohort file against a profile: what ``recall-toolkit fidelity`` runs.

    Parameters
    ----------
    cohort : str or Path
        A cohort file (``.parquet``, ``.csv``, ``.csv.gz``).
    profile : str or Path, optional
        A ``profile.toml`` (default: the shipped profile).
    rules : str, Path or ProgrammeRules, optional
        Programme rules (default: the shipped Table 2 rules).
    bar : toolkit.outputs.Progress, optional
        Told each of the two stages (reading, comparing).

    Raises
    ------
    ProfileContradictionError
        The profile's published figures contradict each other (named before the cohort is
        read, so a contradiction is never blamed on N).
    CohortError
        The cohort file is unreadable, empty or breaks the columns and categories the profile
        and rules give.
    """
    from toolkit.cohort.io import read_cohort
    from toolkit.profile.audit import refuse_contradictions

    if bar is not None:
        bar.stage(f"reading {cohort}")
    spec = load_profile(profile)
    if not isinstance(rules, ProgrammeRules):
        rules = load_programme_rules(rules)
    refuse_contradictions(spec, rules)
    df = read_cohort(cohort, rules=rules, spec=spec)
    if bar is not None:
        bar.update()
        bar.stage("comparing with the published figures")
    rep = fidelity_report(df, spec, programmes=rules)
    if bar is not None:
        bar.update()
    return rep


def _require_columns(cohort: pd.DataFrame) -> None:
    missing = [c for c in ("population", "has_oasys") if c not in cohort.columns]
    if missing:
        raise CohortError(
            f"cohort lacks required column(s) {missing}; expected a cohort from "
            "`recall-toolkit generate`"
        )


@dataclass(frozen=True)
class _Judging:
    """What judging each figure needs: the cohort, its sizes beside the published ones, the
    derived targets (for figures no cohort of these sizes can print) and the contradictions."""

    cohort: pd.DataFrame
    spec: ProfileSpec
    sizes: Mapping[str, int]
    published: Mapping[str, int]
    derived: Any
    scaled_cohort: bool
    contradicted: Mapping[str, Any]


def _judging(cohort: pd.DataFrame, spec: ProfileSpec, audit: AuditResult) -> _Judging:
    sizes_s = cohort["population"].astype(str).value_counts()
    sizes = {p: int(sizes_s.get(p, 0)) for p in spec.populations if sizes_s.get(p, 0) > 0}
    published = {p: spec.population_n(p) for p in spec.populations}
    return _Judging(
        cohort=cohort,
        spec=spec,
        sizes=sizes,
        published=published,
        derived=derive_targets(spec, sizes, published) if sizes else None,
        scaled_cohort=bool(sizes) and _legitimately_scaled(spec, sizes),
        # a figure the audit finds contradicted by the others is named as such, not blamed on N
        contradicted={tid: f for f in audit.findings if f.contradiction for tid in f.targets},
    )


def _target_row(j: _Judging, t: Target) -> dict:
    """One published figure beside the cohort's value, with its role and the reason."""
    role, note = t.role, t.note
    in_profile = [p for p in GROUPS.get(t.population, ()) if p in j.published]
    full = bool(in_profile) and set(in_profile) <= set(j.sizes)
    synth = synthetic_value(j.cohort, t) if role != "context" else None
    tol = _tolerance(j.spec, t)
    at_published = full and all(j.sizes[p] == j.published[p] for p in in_profile)
    counted = t.statistic == "count" and full and not at_published
    if role in EVALUATED_ROLES and counted and j.scaled_cohort:
        role, note = "scaled", "cohort generated at another N; counts not comparable"
    elif role in EVALUATED_ROLES and full and j.derived and t.id in j.derived.unreachable:
        role, note = _unreachable(j, t)
    ok = _passes(t, synth, tol) if role in EVALUATED_ROLES else None
    if ok is False and t.variable == "ogrs3_2yr" and t.statistic == "mean":
        reach = _ogrs3_reach(j.cohort, t, tol)
        if reach:
            role, ok, note = "unreachable", None, reach
    if role in EVALUATED_ROLES and (synth is None or not full):
        role, ok = "not_in_cohort", None
        note = "population not (fully) present in this cohort"
    elif role == "context":
        note = note or "describes another population or date; not evaluated"
    elif role in ("superseded", "unmeetable"):
        res = [r for r in j.spec.resolutions if t.id in r.targets]
        note = res[0].note if res else note
    return {
        "target_id": t.id,
        "population": t.population,
        "variable": t.variable,
        "statistic": t.statistic,
        "category": t.category or "",
        "published": t.printed,
        "published_value": t.value,
        "synthetic": None if synth is None else round(synth, 6),
        "tolerance": tol,
        "pass": ok,
        "role": role,
        "source": t.source,
        "note": note,
    }


def _unreachable(j: _Judging, t: Target) -> tuple[str, str]:
    """Role and note of a figure no cohort of these sizes can print (or one contradicted)."""
    note = j.derived.unreachable[t.id]
    if t.id in j.contradicted and not note.startswith("unreachable at N ="):
        f = j.contradicted[t.id]
        note = f"contradicted by the other figures (audit {f.id}): {f.message}" + (
            f"; resolution: {f.resolution}" if f.resolution else ""
        )
        return "contradicted", note
    return "unreachable", note
