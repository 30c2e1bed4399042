"""Consistency audit of the published figures in a profile spec.

The sources disagree with themselves in places. The audit finds those places from the spec
alone (no cohort needed) with four kinds of check:

* **sums**: shares of one variable that should add to 100, allowing for rounding;
* **weighted mixtures**: the all-recalled row against the N-weighted recall-type rows, and the
  all-prisoners row against the rest; duplicated cells (Table 1 vs Appendix);
* **GRIM-style granularity**: whether a printed mean of an integer variable, or a share, is
  possible at all at the given N (Brown and Heathers 2017), and, in reverse, which N reproduce the
  raw chart values of Figure 1;
* **claims and cross-source bounds**: whether the text's qualitative claims agree with the
  printed figures, and whether figures from another document can hold for this census.

Every finding that is not consistent must be resolved in the spec's ``[[resolutions]]``; the
report shows the resolution beside the finding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from toolkit.profile.spec import ProfileSpec, Target
from toolkit.profile.targets import resolve_targets
from toolkit.schema import NEED_ITEMS, RECALL_TYPES

STATUSES = ("consistent", "inconsistent", "unmeetable", "derived")
INTEGER_VARIABLES = ("previous_breaches", "need_domains", *NEED_ITEMS)


@dataclass(frozen=True)
class Finding:
    """One audit finding.

    Attributes
    ----------
    id : str
        Stable id, used by ``[[resolutions]]`` in the spec.
    check : str
        ``sum``, ``mixture``, ``duplicate``, ``grim``, ``claim`` or ``cross_source``.
    status : str
        ``consistent``, ``inconsistent`` (resolvable), ``unmeetable`` (no cohort can meet all
        the figures involved) or ``derived`` (a figure was inferred).
    message : str
        What was found, with the numbers.
    targets : tuple of str
        Target ids involved.
    resolution : str
        The spec's resolution (action and note), or '' if none.
    """

    id: str
    check: str
    status: str
    message: str
    targets: tuple[str, ...] = ()
    resolution: str = ""

    @property
    def needs_resolution(self) -> bool:
        """Whether the spec must say how this finding is handled."""
        return self.status != "consistent"

    @property
    def resolved(self) -> bool:
        """Whether the spec resolves this finding (consistent findings need nothing)."""
        return not self.needs_resolution or bool(self.resolution)


@dataclass(frozen=True)
class AuditResult:
    """All findings of :func:`audit_profile`."""

    spec_path: str
    findings: tuple[Finding, ...]

    @property
    def unresolved(self) -> tuple[Finding, ...]:
        """Findings that need a resolution the spec does not give."""
        return tuple(f for f in self.findings if not f.resolved)

    @property
    def issues(self) -> tuple[Finding, ...]:
        """Findings that are not simply consistent."""
        return tuple(f for f in self.findings if f.status != "consistent")

    def to_frame(self) -> pd.DataFrame:
        """One row per finding: id, check, status, message, targets, resolution."""
        return pd.DataFrame(
            [
                {
                    "id": f.id,
                    "check": f.check,
                    "status": f.status,
                    "message": f.message,
                    "targets": ", ".join(f.targets),
                    "resolution": f.resolution,
                }
                for f in self.findings
            ],
            columns=["id", "check", "status", "message", "targets", "resolution"],
        )


def _within(x: float, t: Target, tol: float | None = None) -> bool:
    return abs(x - t.value) <= (t.half_unit if tol is None else tol) + 1e-9


def audit_profile(spec: ProfileSpec, programmes=None) -> AuditResult:
    """Audit the published figures of a spec for internal consistency.

    Parameters
    ----------
    spec : ProfileSpec
    programmes : ProgrammeRules, optional
        Programme rules holding Table 2 (default: the shipped ``programmes.toml``); their row
        sums are audited too.

    Returns
    -------
    AuditResult
        Findings in a stable order, each with the spec's resolution where given.

    Examples
    --------
    >>> from toolkit import load_profile
    >>> res = audit_profile(load_profile())
    >>> "share_sum.days_on_recall.standard" in [f.id for f in res.issues]
    True
    """
    raw: list[Finding] = []
    raw += _check_sizes(spec)
    raw += _check_duplicates(spec)
    raw += _check_sums(spec)
    raw += _check_mixtures(spec)
    raw += _check_grim(spec)
    raw += _check_figure1_denominators(spec)
    raw += _check_claims(spec)
    raw += _check_cross_source(spec)
    from toolkit.profile.rules import load_programme_rules

    rules = load_programme_rules() if programmes is None else programmes
    table2 = _check_table2(rules)
    out = []
    for f in raw:
        r = spec.resolution_for(f.id)
        text = f"{r.action}: {r.note}" if r else ""
        out.append(Finding(f.id, f.check, f.status, f.message, f.targets, text))
    return AuditResult(spec.path, tuple(out) + tuple(table2))


def _check_table2(rules) -> list[Finding]:
    """Table 2 rows: attended + attended something else + unmet should be 100%."""
    out = []
    for p in rules.programmes:
        pcts = (p.attended_pct, p.attended_other_pct, p.unmet_pct)
        total = sum(pcts)
        ok = abs(total - 100) <= 0.15 + 1e-9  # three cells, each rounded to 0.1
        n = p.suitable
        grim = all(_grim_possible(v, 0.05, n, 100.0) for v in pcts)
        status = "consistent" if ok and grim else "unmeetable"
        msg = f"{' + '.join(f'{v:g}' for v in pcts)} = {total:.1f}% of {n:,} suitable" + (
            "" if ok else "; three cells rounded to 0.1 cannot sum to more than 100.15"
        )
        res = ""
        if not ok:
            if p.hold:
                res = (
                    f"hold_cells: {' and '.join(p.hold)} are held exactly "
                    f"(programmes.toml `hold`); the third cell absorbs the difference"
                )
        elif total != 100:
            msg += " (within rounding: all three cells can be met)"
        out.append(Finding(f"table2_sum.{p.name}", "sum", status, msg, (f"table2.{p.name}",), res))
    return out


# --------------------------------------------------------------------------------------------


def _check_sizes(spec: ProfileSpec) -> list[Finding]:
    out = []
    types = [spec.target(f"appendix.n.{t}") for t in RECALL_TYPES]
    total = sum(int(t.value) for t in types)
    rec = spec.target("appendix.n.all_recalled")
    ok = total == int(rec.value)
    out.append(
        Finding(
            "n_sum",
            "sum",
            "consistent" if ok else "inconsistent",
            f"recall-type Ns sum to {total:,}; All recalled N is {int(rec.value):,}",
            tuple(t.id for t in types) + (rec.id,),
        )
    )
    if spec.has_target("text.n_matched_alternative.all_recalled"):
        alt = spec.target("text.n_matched_alternative.all_recalled")
        if int(alt.value) != int(rec.value):
            out.append(
                Finding(
                    "n_alternative",
                    "sum",
                    "inconsistent",
                    f"the text gives two Ns for the matched cohort: {int(rec.value):,} and "
                    f"{int(alt.value):,} ('{alt.printed}'); the Appendix rows sum to {total:,}",
                    (alt.id, rec.id),
                )
            )
    if spec.has_target("text.population.standard.all_recalled"):
        t = spec.target("text.population.standard.all_recalled")
        share = 100 * spec.population_n("standard") / rec.value
        out.append(
            Finding(
                "standard_share",
                "sum",
                "consistent" if _within(share, t) else "inconsistent",
                f"{spec.population_n('standard'):,} / {int(rec.value):,} = {share:.2f}% standard; "
                f"printed {t.printed}%",
                (t.id, "appendix.n.standard"),
            )
        )
    if spec.has_target("text.has_oasys.standard"):
        t = spec.target("text.has_oasys.standard")
        ok = t.value <= spec.population_n("standard")
        out.append(
            Finding(
                "oasys_n",
                "sum",
                "consistent" if ok else "unmeetable",
                f"{int(t.value):,} standard recalls with OASys data of "
                f"{spec.population_n('standard'):,}",
                (t.id,),
            )
        )
    return out


def _check_duplicates(spec: ProfileSpec) -> list[Finding]:
    bad, checked = [], 0
    for t in spec.targets:
        if not t.id.startswith("table1."):
            continue
        twin_id = "appendix." + t.id[len("table1.") :]
        if not spec.has_target(twin_id):
            continue
        checked += 1
        twin = spec.target(twin_id)
        if twin.value != t.value:
            bad.append(
                Finding(
                    f"duplicate.{t.id}",
                    "duplicate",
                    "inconsistent",
                    f"Table 1 prints {t.printed}, the Appendix {twin.printed}",
                    (t.id, twin.id),
                )
            )
    if not bad:
        bad.append(
            Finding(
                "duplicate.table1_appendix",
                "duplicate",
                "consistent",
                f"all {checked} Table 1 cells equal their Appendix cells",
            )
        )
    return bad


def _check_sums(spec: ProfileSpec) -> list[Finding]:
    """Exhaustive category families in the Study 1 text should sum to 100%."""
    families: dict[tuple[str, str], list[Target]] = {}
    for t in spec.targets:
        if t.id.startswith("text.") and t.statistic == "share" and t.category:
            families.setdefault((t.variable, t.population), []).append(t)
    out = []
    for (var, pop), ts in sorted(families.items()):
        if len(ts) < 2:
            continue
        s = sum(t.value for t in ts)
        lo = sum(t.value - t.half_unit for t in ts)
        hi = sum(t.value + t.half_unit for t in ts)
        parts = " + ".join(f"{t.value:g}" for t in ts)
        if lo - 1e-9 <= 100 <= hi + 1e-9:
            status, msg = "consistent", f"{parts} = {s:g} (100 is within rounding)"
        else:
            status = "inconsistent"
            msg = (
                f"{parts} = {s:g}; even before rounding the shares sum to between {lo:g} and "
                f"{hi:g}, so {100 - hi:g}-{100 - lo:g}% of {pop} are in no printed category"
            )
        out.append(Finding(f"share_sum.{var}.{pop}", "sum", status, msg, tuple(t.id for t in ts)))
    return out


def _check_mixtures(spec: ProfileSpec) -> list[Finding]:
    out = []
    res = resolve_targets(spec)
    for var, mx in res.mixtures.items():
        rec = spec.target(f"appendix.{var}.all_recalled")
        ids = tuple(f"appendix.{var}.{t}" for t in RECALL_TYPES) + (rec.id,)
        if _within(mx.point_mixture, rec):
            status = "consistent"
            msg = f"N-weighted recall types give {mx.point_mixture:.3f}, printed {rec.printed}"
        elif mx.feasible:
            status = "inconsistent"
            msg = (
                f"N-weighted recall-type rows give {mx.point_mixture:.3f} (prints "
                f"{mx.point_mixture:.{rec.decimals}f}) but All recalled prints {rec.printed}; "
                f"reconcilable by shifting every type by {mx.shift:+.4f} inside its rounding "
                "interval"
            )
        else:
            status = "unmeetable"
            msg = (
                f"N-weighted recall types give {mx.point_mixture:.3f} but All recalled prints "
                f"{rec.printed}; no choice within the types' rounding intervals reaches it"
            )
        out.append(Finding(f"mixture.{var}", "mixture", status, msg, ids))
        allp = spec.target(f"appendix.{var}.all_prisoners")
        lo, hi = (0.0, 100.0)
        ok = lo <= mx.other_sentenced <= hi
        out.append(
            Finding(
                f"mixture_rest.{var}",
                "mixture",
                "consistent" if ok else "unmeetable",
                f"All prisoners {allp.printed} with the recalled at "
                f"{mx.point_mixture + mx.shift:.3f} implies {mx.other_sentenced:.3f} for the rest "
                "of the sentenced population",
                (allp.id, rec.id),
            )
        )
    return out


def _grim_possible(value: float, half: float, n: int, scale: float) -> bool:
    """Is there an integer k with |scale*k/n - value| <= half?"""
    lo = math.ceil((value - half) * n / scale - 1e-9)
    hi = math.floor((value + half) * n / scale + 1e-9)
    return hi >= max(lo, 0)


def _check_grim(spec: ProfileSpec) -> list[Finding]:
    out, checked = [], 0
    dens = spec.derived["figure1_denominators"]
    for t in spec.targets:
        if t.role == "context":
            continue
        n = None
        if t.id.startswith("figure1."):
            item, group = t.variable, t.population
            n = dens.get(group, {}).get(item)
        elif t.population in (*RECALL_TYPES, "all_recalled", "all_prisoners"):
            n = t.n or spec.population_n(t.population)
        if n is None:
            continue
        if t.statistic == "mean" and t.variable in INTEGER_VARIABLES:
            ok = _grim_possible(t.value, t.half_unit, n, 1.0)
        elif t.statistic == "share":
            ok = _grim_possible(t.value, t.half_unit, n, 100.0)
        else:
            continue
        checked += 1
        if not ok:
            out.append(
                Finding(
                    f"grim.{t.id}",
                    "grim",
                    "unmeetable",
                    f"no integer total over N = {n:,} gives {t.printed} at {t.decimals} decimals",
                    (t.id,),
                )
            )
    out.append(
        Finding(
            "grim.summary",
            "grim",
            "consistent",
            f"{checked} means of integer variables and shares checked for "
            f"granularity; {len(out)} impossible",
        )
    )
    return out


def infer_denominators(value: float, n_lo: int, n_hi: int, rel_tol: float = 5e-14) -> list[int]:
    """All N in ``[n_lo, n_hi]`` for which some integer k gives k/N equal to ``value``.

    The raw chart values are printed to 16-17 significant digits, so a mean of 0-2 scores over N
    people pins N down (inverse GRIM).

    Examples
    --------
    >>> infer_denominators(0.54220779220779258, 3000, 3699)
    [3080, 3388, 3696]
    """
    import numpy as np

    ns = np.arange(max(1, n_lo), n_hi + 1)
    k = np.round(value * ns)
    ok = np.abs(k / ns - value) <= rel_tol * max(abs(value), 1e-300)
    return [int(x) for x in ns[ok]]


def _check_figure1_denominators(spec: ProfileSpec) -> list[Finding]:
    dens = spec.derived["figure1_denominators"]
    counts = spec.derived["oasys_counts"]
    upper = {
        "standard": counts["standard"],
        "not_standard": spec.population_n("all_prisoners") - spec.population_n("standard"),
    }
    lines, bad, ids = [], [], []
    for group in ("standard", "not_standard"):
        for item in NEED_ITEMS:
            tid = f"figure1.{item}.{group}"
            if not spec.has_target(tid):
                continue
            t = spec.target(tid)
            ids.append(tid)
            found = infer_denominators(t.value, upper[group] // 2, upper[group])
            chosen = dens[group][item]
            if chosen not in found:
                bad.append(f"{group}.{item}: spec says {chosen}, raw value fits {found}")
            if len(found) != 1:
                lines.append(f"{group}.{item} fits N in {found}")
    status = "unmeetable" if bad else "derived"
    msg = (
        "raw Figure 1 values imply the number of people scored on each item "
        f"(standard {min(dens['standard'].values()):,}-{max(dens['standard'].values()):,} "
        f"of {counts['standard']:,} with OASys; others "
        f"{min(dens['not_standard'].values()):,}-{max(dens['not_standard'].values()):,})"
    )
    if lines:
        msg += "; ambiguous: " + "; ".join(lines)
    if bad:
        msg += "; NOT REPRODUCED: " + "; ".join(bad)
    return [Finding("figure1_denominators", "grim", status, msg, tuple(ids))]


def _published_value(spec: ProfileSpec, var: str, pop: str) -> float | None:
    for prefix in ("appendix", "figure1", "text"):
        tid = f"{prefix}.{var}.{pop}"
        if spec.has_target(tid):
            return spec.target(tid).value
    if var == "rosh" and spec.has_target(f"appendix.rosh.{pop}"):
        return spec.target(f"appendix.rosh.{pop}").value
    if pop == "not_standard" and spec.has_target(f"appendix.{var}.all_prisoners"):
        n_all = spec.population_n("all_prisoners")
        n_std = spec.population_n("standard")
        a = spec.target(f"appendix.{var}.all_prisoners").value
        s = spec.target(f"appendix.{var}.standard").value
        return (n_all * a - n_std * s) / (n_all - n_std)
    return None


def _check_claims(spec: ProfileSpec) -> list[Finding]:
    out = []
    for c in spec.claims:
        g = _published_value(spec, c.variable, c.group)
        r = _published_value(spec, c.variable, c.reference)
        if g is None or r is None:
            continue
        holds = g > r if c.direction == "higher" else g < r
        out.append(
            Finding(
                f"claim_vs_published.{c.id}",
                "claim",
                "consistent" if holds else "inconsistent",
                f"claim '{c.direction}' for {c.group} vs {c.reference} on {c.variable}: published "
                f"figures give {g:.3f} vs {r:.3f}",
                (),
            )
        )
    return out


def _check_cross_source(spec: ProfileSpec) -> list[Finding]:
    out = []
    n_rec = spec.population_n("all_recalled")
    tol = spec.assumptions["fidelity"]["approximate_tolerance_points"]
    if spec.has_target("bo.days_on_recall.under_6m.all_recalled"):
        t = spec.target("bo.days_on_recall.under_6m.all_recalled")
        std = spec.target("text.days_on_recall.under_6m.standard")
        # Fixed-term recalls last 28 days by statute, so all of them are under six months.
        low = (
            spec.population_n("standard") * (std.value - std.half_unit)
            + 100 * spec.population_n("fixed_term")
        ) / n_rec
        ok = low <= t.value + tol
        out.append(
            Finding(
                "cross_source.days_on_recall_under_6m",
                "cross_source",
                "consistent" if ok else "unmeetable",
                f"with {std.value:g}% of standard recalls under six months and every fixed-term "
                f"recall under 28 days, at least {low:.1f}% of all recalled are under six months; "
                f"the Better Outcomes guide says '{t.printed}' ({t.value:g}%)",
                (t.id, std.id),
            )
        )
    if spec.has_target("bo.days_on_recall.over_12m.all_recalled"):
        t = spec.target("bo.days_on_recall.over_12m.all_recalled")
        std = spec.target("text.days_on_recall.over_12m.standard")
        long_types = ("extended", "ipp_dpp", "life")
        lo = spec.population_n("standard") * (std.value - std.half_unit) / n_rec
        hi = (
            spec.population_n("standard") * (std.value + std.half_unit)
            + 100 * sum(spec.population_n(p) for p in long_types)
        ) / n_rec
        ok = lo - tol <= t.value <= hi + tol
        out.append(
            Finding(
                "cross_source.days_on_recall_over_12m",
                "cross_source",
                "consistent" if ok else "unmeetable",
                f"all-recalled share over a year must lie in [{lo:.1f}, {hi:.1f}]% given the "
                f"standard bands; the guide says {t.value:g}%",
                (t.id, std.id),
            )
        )
    if spec.has_target("bo.age.all_recalled"):
        t = spec.target("bo.age.all_recalled")
        a = spec.target("appendix.age.all_recalled")
        out.append(
            Finding(
                "cross_source.age",
                "cross_source",
                "consistent" if _within(a.value, t) else "inconsistent",
                f"the guide's average age {t.printed} vs the Appendix {a.printed}",
                (t.id, a.id),
            )
        )
    for r in ("non_compliance", "further_charge", "failure_to_reside", "out_of_touch"):
        a_id, b_id = f"bo.recall_reason.{r}.all_recalled", f"text.recall_reason.{r}.all_recalled"
        if spec.has_target(a_id) and spec.has_target(b_id):
            a, b = spec.target(a_id), spec.target(b_id)
            out.append(
                Finding(
                    f"cross_source.recall_reason.{r}",
                    "cross_source",
                    "consistent" if a.value == b.value else "inconsistent",
                    f"guide {a.printed}% vs research summary {b.printed}%",
                    (a_id, b_id),
                )
            )
    return out
