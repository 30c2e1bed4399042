"""Consistency audit of the published figures in a profile spec.

The sources disagree with themselves in places. The audit finds those places from the spec
alone (no cohort needed). Every check is written once over the spec's *structure* (populations,
groups, variables, statistics, categories), so it applies to any profile:

* **sizes and sums**: recall-type Ns against All recalled; shares of one variable that should
  add to 100, allowing for rounding; duplicated cells (the same figure printed twice);
* **weighted mixtures**: a group's row against the N-weighted rows of its populations, and
  what a group row implies for populations without a row of their own;
* **GRIM-style granularity**: whether a printed mean of an integer variable, or a share, is
  possible at all at its N (Brown and Heathers 2017), and, in reverse, which N reproduce raw
  chart values; a median of N whole numbers is whole, or half for an even N; an SD of whole
  numbers with a printed mean must have a sum of squares of the right parity (GRIMMER, Anaya
  2016);
* **claims and other sources**: whether the text's qualitative claims agree with the printed
  figures, and whether figures from another document agree with, or can hold for, this census.

Every finding that is not consistent must be resolved in the spec's ``[[resolutions]]``; the
report shows the resolution beside the finding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from toolkit.exceptions import SpecError
from toolkit.profile.intervals import bounds as _bounds
from toolkit.profile.intervals import capped_band as _capped_band
from toolkit.profile.spec import ProfileSpec, Target
from toolkit.profile.spreads import median_possible, sd_possible
from toolkit.profile.targets import (
    EVALUATED,
    OASYS_MEANS,
    applies,
    assumed_shares,
    derive_targets,
    grim_reachable,
    infer_denominators,
    interval_half,
    printed_decimals,
)
from toolkit.results import ResultMixin
from toolkit.schema import GROUPS, MEAN_VARIABLES

STATUSES = ("consistent", "inconsistent", "unmeetable", "derived")
#: Categories that are never printed as such (the rest of a population in no printed band).
_UNPRINTED = ("unknown", "none")

__all__ = [
    "AuditResult",
    "Finding",
    "ProfileContradictionError",
    "audit_profile",
    "infer_denominators",
    "offered_resolutions",
    "refuse_contradictions",
]


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

    @property
    def contradiction(self) -> bool:
        """Whether the published figures contradict each other here (not mere granularity).

        Shares that cannot sum to 100, a group figure its populations' rows cannot mix to,
        two Ns, a figure printed twice with two values, or a figure of another source that
        cannot hold for this census. A figure no whole number of people can print at its N
        (GRIM, a median, an SD) is *unreachable at N*, not a contradiction.
        """
        return self.status in ("inconsistent", "unmeetable") and self.check in (
            "sum",
            "mixture",
            "duplicate",
            "cross_source",
        )


@dataclass(frozen=True)
class AuditResult(ResultMixin):
    """All findings of :func:`audit_profile` (:class:`toolkit.results.Result`; no figure)."""

    spec_path: str
    findings: tuple[Finding, ...]

    @property
    def unresolved(self) -> tuple[Finding, ...]:
        """Findings that need a resolution the spec does not give."""
        return tuple(f for f in self.findings if not f.resolved)

    @property
    def contradictions(self) -> tuple[Finding, ...]:
        """Unresolved contradictions: ``generate`` and ``fidelity`` refuse the profile.

        A figure of another source that the mixture check already names is listed once.
        """
        found = [f for f in self.unresolved if f.contradiction and f.check != "cross_source"]
        named = {t for f in found for t in f.targets}
        found += [
            f
            for f in self.unresolved
            if f.contradiction and f.check == "cross_source" and f.targets[0] not in named
        ]
        return tuple(found)

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

    def to_dict(self) -> dict:
        """``{"spec": path, "findings": [one record per finding]}`` (JSON-ready)."""
        return {"spec": self.spec_path, "findings": super().to_dict()["rows"]}

    def render(self, show_all: bool = False) -> str:
        """The findings as text: a summary line, then each finding that is not consistent
        (every finding with ``show_all``) and the resolution of those that need one."""
        lines = [
            f"Audit of {self.spec_path}: {len(self.findings)} checks, {len(self.issues)} "
            f"findings, {len(self.unresolved)} unresolved"
        ]
        for f in self.findings:
            if f.status == "consistent" and not show_all:
                continue
            lines.append(f"- [{f.status}] {f.id} ({f.check}): {f.message}")
            if f.needs_resolution:
                lines.append(
                    f"    resolution: {f.resolution or 'UNRESOLVED: add a [[resolutions]] entry'}"
                )
        return "\n".join(lines)


def _within(x: float, t: Target, tol: float | None = None) -> bool:
    return abs(x - t.value) <= (t.half_unit if tol is None else tol) + 1e-9


def _evaluated(spec: ProfileSpec) -> list[Target]:
    return [t for t in spec.targets if t.role in EVALUATED and t.population in GROUPS]


def _key(t: Target) -> tuple:
    return (t.population, t.variable, t.statistic, t.category)


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
    published = {p: spec.population_n(p) for p in spec.populations}
    derived = derive_targets(spec, published, published)
    raw: list[Finding] = []
    raw += _check_sizes(spec)
    raw += _check_duplicates(spec)
    raw += _check_sums(spec)
    raw += _check_mixtures(spec, derived)
    raw += _check_grim(spec, derived)
    raw += _check_denominators(spec, derived)
    raw += _check_claims(spec)
    raw += _check_cross_source(spec)
    from toolkit.profile.rules import load_programme_rules, programme_figures_describe

    rules = load_programme_rules() if programmes is None else programmes
    # Table 2 is audited only for a profile it describes (the same census): another
    # profile's audit would otherwise show the 2014 programme rows as its own findings
    table2 = _check_table2(rules) if programme_figures_describe(spec, rules)[0] else []
    out = []
    for f in raw:
        r = spec.resolution_for(f.id)
        text = f"{r.action}: {r.note}" if r else ""
        if not text:
            text = _derived_resolution(f)
        if not text and f.check == "sum" and f.status == "inconsistent":
            var = f.id.split(".")[1] if f.id.startswith("share_sum.") else ""
            if "unknown" in (spec.share_categories(var) or ()):
                text = (
                    "unknown_category: the printed shares are held and the rest of the "
                    f"population is given no {var} (missing), the category nobody prints"
                )
        if not text and f.check == "mixture" and f.status == "inconsistent":
            # rounded rows whose mix prints differently: the toolkit resolves it by construction
            text = (
                "derived_within_rounding: the generator chooses every row inside its rounding "
                "interval so the group row prints too (toolkit.profile.targets.derive_targets)"
            )
        out.append(Finding(f.id, f.check, f.status, f.message, f.targets, text))
    return AuditResult(spec.path, tuple(out) + tuple(table2))


def _derived_resolution(f: Finding) -> str:
    """How the toolkit itself resolves a finding the profile does not, in this profile's
    numbers ('' when only the profile's author can: a contradiction)."""
    if f.check == "claim" and f.status == "inconsistent":
        figs = f.message.split("published figures give ", 1)[-1]
        return (
            "follow_data: the cohort reproduces the published figures, which give "
            f"{figs}; the re-test on the cohort reports the direction they give, not the "
            "text's"
        )
    if f.id == "figure1_denominators" and f.status == "derived":
        return (
            "derived: the cohort scores exactly the number of people on each item that the "
            "raw chart values imply, so each raw value is reproduced"
        )
    return ""


#: What a profile can do about each kind of contradiction (shown when it is refused).
_OFFERED = {
    "share_sum": (
        "correct the transcription (a share's value or decimals); or, if the source prints "
        "these shares, add a [[resolutions]] entry for this finding with the share to set "
        'aside in `targets` and role = "unmeetable" (reported, not targeted)'
    ),
    "n_sum": (
        "correct the Ns; or a [[resolutions]] entry for this finding with the All recalled N "
        'in `targets` and role = "superseded" (the recall-type Ns define the populations)'
    ),
    "n_alternative": (
        "a [[resolutions]] entry for this finding with the N not used in `targets` and "
        'role = "superseded"'
    ),
    "mixture": (
        "correct the group figure or its rows; or a [[resolutions]] entry for this finding "
        'with the figure to set aside in `targets` and role = "unmeetable" (reported, not '
        "targeted)"
    ),
    "duplicate": (
        "correct one of the two; or a [[resolutions]] entry for this finding with the one not "
        'used in `targets` and role = "superseded"'
    ),
    "table2_sum": (
        'correct the programme row\'s cells; or give the row `hold = ["attended", '
        '"unmet"]` (two of attended, attended_other, unmet) in the programme file: those '
        "cells are held exactly and the third absorbs the difference"
    ),
    "oasys_n": "correct the count of people with OASys data or the population's N",
    "cross_source": (
        "a [[resolutions]] entry for this finding with the other source's figure in "
        '`targets` and role = "context" (another population or date) or "unmeetable"'
    ),
}


def offered_resolutions(f: Finding) -> str:
    """The resolutions the profile format offers for a finding (for the refusal message)."""
    kind = f.id.split(".", 1)[0].removesuffix("_rest")
    how = _OFFERED.get(kind, _OFFERED["mixture"])
    if kind in ("table2_sum", "oasys_n"):  # fixed in the files, not by a resolution
        return how
    return (
        f'{how}. Every [[resolutions]] entry names `finding = "{f.id}"`, an `action` and a '
        "`note` saying why (docs/profile_format.md)"
    )


class ProfileContradictionError(SpecError):
    """A profile whose published figures contradict each other, with no resolution given.

    ``generate`` and ``fidelity`` refuse it (exit 2) before any work: no cohort can meet
    every figure, and blaming the population size would hide the contradiction.
    """

    def __init__(self, spec_path: str, findings: tuple[Finding, ...]):
        self.findings = findings
        lines = [
            f"{len(findings)} contradiction(s) among the published figures, unresolved; "
            "no cohort can meet them all. Fix the figures or resolve each in [[resolutions]] "
            "(`recall-toolkit audit --profile FILE` lists them):"
        ]
        for f in findings:
            lines.append(f"  - {f.id}: {f.message}")
            lines.append(f"    targets: {', '.join(f.targets)}")
            lines.append(f"    resolutions: {offered_resolutions(f)}")
        super().__init__(spec_path, "[[targets]]", "\n".join(lines))


def refuse_contradictions(spec: ProfileSpec, programmes=None) -> AuditResult:
    """Audit ``spec`` and raise :class:`ProfileContradictionError` on unresolved contradictions.

    Returns the audit when there are none. Granularity (a figure no whole number of people
    can print at its N) is not refused: ``fidelity`` reports it unreachable at that N.
    """
    res = audit_profile(spec, programmes)
    if res.contradictions:
        raise ProfileContradictionError(spec.path, res.contradictions)
    return res


def _check_table2(rules) -> list[Finding]:
    """Table 2 rows: attended + attended something else + unmet should be 100%."""
    out = []
    for p in rules.programmes:
        pcts = (p.attended_pct, p.attended_other_pct, p.unmet_pct)
        total = sum(pcts)
        ok = abs(total - 100) <= 0.15 + 1e-9  # three cells, each rounded to 0.1
        n = p.suitable
        grim = all(grim_reachable(v, 0.05, n, 100.0) for v in pcts)
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
        # cells that sum but no whole number of people prints: granularity, not a contradiction
        check = "grim" if ok and status != "consistent" else "sum"
        out.append(Finding(f"table2_sum.{p.name}", check, status, msg, (f"table2.{p.name}",), res))
    return out


# --------------------------------------------------------------------------------------------


def _n_figures(spec: ProfileSpec, population: str) -> list[Target]:
    return [
        t
        for t in spec.targets
        if t.variable == "n" and t.statistic == "count" and t.population == population
    ]


def _check_sizes(spec: ProfileSpec) -> list[Finding]:
    out = []
    types = [t for t in _evaluated(spec) if t.variable == "n" and t.statistic == "count"]
    rows = [t for t in types if len(GROUPS[t.population]) == 1]
    total = sum(spec.population_n(p) for p in spec.populations if p != "other_sentenced")
    rec_figs = [t for t in _n_figures(spec, "all_recalled")]
    rec = next((t for t in rec_figs if t.role == "target"), None)
    if rec is not None:
        ok = total == int(rec.value)
        out.append(
            Finding(
                "n_sum",
                "sum",
                "consistent" if ok else "inconsistent",
                f"recall-type Ns sum to {total:,}; All recalled N is {int(rec.value):,}",
                tuple(dict.fromkeys(t.id for t in rows if t.population != "other_sentenced"))
                + (rec.id,),
            )
        )
        for alt in rec_figs:
            if int(alt.value) != int(rec.value):
                out.append(
                    Finding(
                        "n_alternative",
                        "sum",
                        "inconsistent",
                        f"the text gives two Ns for the recalled: {int(rec.value):,} and "
                        f"{int(alt.value):,} ('{alt.printed}'); the recall-type rows sum to "
                        f"{total:,}",
                        (alt.id, rec.id),
                    )
                )
    for t in spec.targets:
        if t.variable == "has_oasys" and t.statistic == "count" and t.role in EVALUATED:
            try:
                n = spec.population_n(t.population)
            except KeyError:
                continue
            ok = t.value <= n
            out.append(
                Finding(
                    f"oasys_n.{t.population}",
                    "sum",
                    "consistent" if ok else "unmeetable",
                    f"{int(t.value):,} {t.population} with OASys data of {n:,}",
                    (t.id,),
                )
            )
    return out


def _check_duplicates(spec: ProfileSpec) -> list[Finding]:
    """The same figure (population, variable, statistic, category) printed twice."""
    first: dict[tuple, Target] = {}
    bad, checked = [], 0
    for t in _evaluated(spec):
        k = _key(t)
        if k not in first:
            first[k] = t
            continue
        checked += 1
        twin = first[k]
        if twin.value != t.value and t.decimals == twin.decimals:
            bad.append(
                Finding(
                    f"duplicate.{t.id}",
                    "duplicate",
                    "inconsistent",
                    f"{t.locator} prints {t.printed}, {twin.locator} {twin.printed}",
                    (t.id, twin.id),
                )
            )
    if not bad:
        bad.append(
            Finding(
                "duplicate.summary",
                "duplicate",
                "consistent",
                f"all {checked} figures printed twice agree",
            )
        )
    return bad


def _check_sums(spec: ProfileSpec) -> list[Finding]:
    """Shares of one variable in one population: they cannot exceed 100 beyond rounding, and
    when every printable category is given they should reach 100 within rounding."""
    families: dict[tuple[str, str], dict[str, Target]] = {}
    for t in _evaluated(spec):
        if t.statistic == "share" and spec.share_categories(t.variable) and t.category:
            families.setdefault((t.variable, t.population), {}).setdefault(t.category, t)
    out = []
    for (var, pop), fam in sorted(families.items()):
        ts = list(fam.values())
        if len(ts) < 2:
            continue
        printable = [c for c in spec.share_categories(var) if c not in _UNPRINTED]
        complete = set(printable) <= set(fam)
        s = sum(t.value for t in ts)
        lo = sum(t.value - interval_half(spec, t) for t in ts)
        hi = sum(t.value + interval_half(spec, t) for t in ts)
        parts = " + ".join(f"{t.value:g}" for t in ts)
        if lo - 1e-9 <= 100 <= hi + 1e-9 or (not complete and lo <= 100 + 1e-9):
            status = "consistent"
            msg = f"{parts} = {s:g} (" + (
                "100 is within rounding)" if complete else "the rest in unprinted categories)"
            )
        elif lo > 100 + 1e-9:
            status = "unmeetable"
            msg = (
                f"contradiction: {parts} = {s:g}%; even allowing for rounding the shares of "
                f"{var} in {pop} sum to at least {lo:g}%, more than 100%"
            )
        else:
            status = "inconsistent"
            msg = (
                f"{parts} = {s:g}; even before rounding the shares sum to between {lo:g} and "
                f"{hi:g}, so {100 - hi:g}-{100 - lo:g}% of {pop} are in no printed category"
            )
        out.append(Finding(f"share_sum.{var}.{pop}", "sum", status, msg, tuple(t.id for t in ts)))
    return out


def _group_families(spec: ProfileSpec):
    """(group figure, member figures, members without a figure) for every group figure."""
    own: dict[tuple, Target] = {}
    best: dict[tuple, Target] = {}
    for t in _evaluated(spec):  # the most precise figure of each kind (duplicates agree)
        if _key(t) not in best or t.decimals > best[_key(t)].decimals:
            best[_key(t)] = t
    for t in best.values():
        if len(GROUPS[t.population]) == 1:
            own.setdefault(_key(t), t)
    for t in best.values():
        if len(GROUPS[t.population]) == 1 or t.statistic not in ("mean", "share"):
            continue
        if t.variable in OASYS_MEANS or t.variable == "population":
            continue
        members = [p for p in GROUPS[t.population] if p in spec.populations]
        if not members:
            continue
        figs = {p: own.get((p, t.variable, t.statistic, t.category)) for p in members}
        yield t, {p: f for p, f in figs.items() if f}, [p for p, f in figs.items() if not f]


def _member_range(spec: ProfileSpec, g: Target, p: str, own: Target | None) -> tuple[float, float]:
    """The values population ``p`` can take for group figure ``g``'s statistic.

    Its own row within its printed precision; else what the assumptions force (a recall
    capped below six months is always under six months; a recall-only variable is never
    recorded outside the recalled); else, for a share, 0 to 100 less the lower ends of its
    other categories' rows; for a mean, the variable's range.
    """
    if own is not None:
        h = interval_half(spec, own)
        lo_v, hi_v = own.value - h, own.value + h
        if g.statistic == "share":
            lo_v, hi_v = max(lo_v, 0.0), min(hi_v, 100.0)
        return lo_v, hi_v
    if g.statistic == "mean":
        d = MEAN_VARIABLES.get(g.variable)
        if d is None:
            return -math.inf, math.inf
        return _bounds(spec, g.variable)
    if not applies(g.variable, p):
        return 0.0, 0.0
    if g.variable == "days_on_recall" and _capped_band(spec, p) is not None:
        cats = spec.share_categories(g.variable)
        v = 100.0 if cats.index(g.category) == _capped_band(spec, p) else 0.0
        return v, v
    others = [
        t
        for t in _evaluated(spec)
        if t.population == p
        and t.variable == g.variable
        and t.statistic == "share"
        and t.category not in (None, g.category)
    ]
    taken = sum(max(t.value - interval_half(spec, t), 0.0) for t in others)
    return 0.0, max(100.0 - taken, 0.0)


def _check_mixtures(spec: ProfileSpec, derived) -> list[Finding]:
    """A group's figure against the N-weighted figures of its populations.

    The rows allow the group a range: each population's row anywhere in its rounding
    interval, a population without a row anywhere its assumptions and the variable allow. A
    group figure outside that range is a contradiction (no cohort can meet them all). Inside
    it, a group whose rows' printed values mix to another printed value is reconciled by
    choosing each row inside its interval (the derivation does).
    """
    out = []
    for g, figs, missing in _group_families(spec):
        if not figs and not (g.statistic == "share" and any(_forced(spec, g, p) for p in missing)):
            continue
        out.append(_mixture_finding(spec, derived, g, figs, missing))
    return out


def _mixture_range(spec: ProfileSpec, g: Target, figs: dict, missing: list, n: dict, unit: str):
    """The range the populations' rows allow the group (N-weighted), and how, in words."""
    members = [*figs, *missing]
    n_g = sum(n.values())
    lo = hi = 0.0
    for p in members:
        a, b = _member_range(spec, g, p, figs.get(p))
        lo, hi = lo + n[p] * a, hi + n[p] * b
    how = "each row within its printed precision"
    for p in missing:
        a, b = _member_range(spec, g, p, None)
        how += (
            f"; {p} has no row and its assumptions fix it at {a:g}{unit}"
            if a == b
            else f"; {p} has no row: anywhere in [{a:g}, {b:g}]{unit}"
        )
    return lo / n_g, hi / n_g, how


def _mixture_finding(spec: ProfileSpec, derived, g: Target, figs: dict, missing: list) -> Finding:
    """The mixture finding of one group figure (see :func:`_check_mixtures`)."""
    suffix = g.variable if g.statistic == "mean" else f"{g.variable}.{g.category}"
    if g.population != "all_recalled":
        suffix += f".{g.population}"
    ids = tuple(f.id for f in figs.values()) + (g.id,)
    members = [*figs, *missing]
    unit = "%" if g.statistic == "share" else ""
    n = {p: spec.population_n(p) for p in members}
    n_g = sum(n.values())
    lo, hi, how = _mixture_range(spec, g, figs, missing, n, unit)
    h = interval_half(spec, g)
    feasible = g.value + h >= lo - 1e-9 and g.value - h <= hi + 1e-9
    rng = f"[{lo:.3f}, {hi:.3f}]{unit}"
    what = f"{g.population} prints {g.printed}"
    if not feasible:
        status = "unmeetable"
        msg = (
            f"contradiction: {what}, but the N-weighted rows of {', '.join(members)} "
            f"allow only {rng} ({how})"
        )
    elif missing:
        rest_n = sum(n[p] for p in missing)
        rest = (n_g * g.value - sum(n[p] * f.value for p, f in figs.items())) / rest_n
        status = "consistent"
        msg = (
            f"{what} with the rows given implies {rest:.3f} for {', '.join(missing)}; the "
            f"rows allow {rng}"
        )
    else:
        status, msg = _mixture_of_rows(derived, g, figs, n, what, h)
    kind = "mixture_rest" if missing else "mixture"
    check = "mixture"
    if feasible and status != "consistent" and g.id in derived.unreachable:
        # the ranges meet, but no whole numbers of people at these Ns print the group
        # figure and every row at once: granularity, reported unreachable at N
        check, status = "grim", "unmeetable"
        msg = (
            f"{what}; the rows allow {rng}, but at these population sizes no whole "
            f"numbers of people print it and every row: {derived.unreachable[g.id]}"
        )
    return Finding(f"{kind}.{suffix}", check, status, msg, ids)


def _mixture_of_rows(
    derived, g: Target, figs: dict, n: dict, what: str, h: float
) -> tuple[str, str]:
    """Status and message when every population has a row: do the printed rows mix to it?"""
    n_g = sum(n.values())
    mix = sum(n[p] * f.value for p, f in figs.items()) / n_g
    if _within(mix, g, h):
        return "consistent", f"N-weighted rows give {mix:.3f}, printed {g.printed}"
    shown = derived.means.get(g.variable) if g.statistic == "mean" else None
    after = ""
    if shown:
        new = sum(n[p] * shown[p] for p in figs) / n_g
        after = f" (the derived rows give {new:.4f})"
    return "inconsistent", (
        f"N-weighted rows give {mix:.3f} (prints {mix:.{g.decimals}f}) but "
        f"{what}; reconcilable by choosing each row inside its rounding "
        f"interval{after}"
    )


def _forced(spec: ProfileSpec, g: Target, p: str) -> bool:
    """Whether the assumptions fix population ``p``'s share in ``g``'s category."""
    a, b = _member_range(spec, g, p, None)
    return a == b


def _check_grim(spec: ProfileSpec, derived) -> list[Finding]:
    out, checked = [], 0
    scored = {}
    for ng in derived.need_groups:
        for v, k in ng.scored.items():
            scored[(ng.name, v)] = k
    for t in _evaluated(spec):
        d = MEAN_VARIABLES.get(t.variable)
        if t.statistic == "mean" and d is not None and d.oasys:
            n = t.n or scored.get((t.population, t.variable))
        else:
            try:
                n = t.n or spec.population_n(t.population)
            except KeyError:
                continue
        if not n:
            continue
        h = interval_half(spec, t)
        msg = f"no integer total over N = {n:,} gives {t.printed} at {t.decimals} decimals"
        if t.statistic == "mean" and d is not None and d.integer:
            ok = grim_reachable(t.value, h, n, 1.0)
        elif t.statistic == "share":
            ok = grim_reachable(t.value, h, n, 100.0)
        elif t.statistic == "median" and d is not None and d.integer:
            # a median of N whole numbers is whole (N odd) or whole or half (N even)
            ok = median_possible(t.value, h, n, True)
            msg = (
                f"a median of N = {n:,} whole numbers is a whole number"
                + (" (N is odd)" if n % 2 else " or a half")
                + f"; none prints {t.printed} at {t.decimals} decimals"
            )
        elif t.statistic == "sd" and d is not None and d.integer:
            key = (t.population, t.variable, "mean", None)
            mean = next((x for x in _evaluated(spec) if _key(x) == key), None)
            if mean is None or n < 2 or (d.oasys and not t.n):
                continue
            # GRIMMER (Anaya 2016): some whole total the mean allows, and a sum of squares of
            # its parity, must give the printed SD
            hm = interval_half(spec, mean)
            s_lo = math.ceil((mean.value - hm) * n - 1e-9)
            totals = range(s_lo, math.floor((mean.value + hm) * n + 1e-9) + 1)
            ok = any(sd_possible(t.value, h, n, s) for s in list(totals)[:1000])
            msg = (
                f"no {n:,} whole numbers with a mean printing {mean.printed} have an SD printing "
                f"{t.printed} (their sum of squares has the parity of their sum: GRIMMER)"
            )
        else:
            continue
        checked += 1
        if not ok:
            out.append(Finding(f"grim.{t.id}", "grim", "unmeetable", msg, (t.id,)))
    out.append(
        Finding(
            "grim.summary",
            "grim",
            "consistent",
            f"{checked} means, medians and SDs of integer variables and shares checked for "
            f"granularity; {len(out)} impossible",
        )
    )
    return out


def _check_denominators(spec: ProfileSpec, derived) -> list[Finding]:
    """Item denominators implied by raw chart values (inverse GRIM), against any override."""
    lines, bad, ids, spans = [], [], [], []
    over = spec.derived.get("figure1_denominators", {})
    for ng in derived.need_groups:
        raw = [
            t
            for t in _evaluated(spec)
            if t.population == ng.name and t.variable in OASYS_MEANS and printed_decimals(t) >= 10
        ]
        if not raw:
            continue
        upper = ng.n_oasys
        for t in raw:
            if t.variable == "need_domains":
                continue
            ids.append(t.id)
            found = infer_denominators(t.value, upper // 2, upper)
            chosen = ng.scored[t.variable]
            if chosen not in found:
                bad.append(f"{ng.name}.{t.variable}: uses {chosen}, raw value fits {found}")
            if len(found) > 1:
                lines.append(f"{ng.name}.{t.variable} fits N in {found}")
            if ng.name in over and t.variable in over[ng.name]:
                if over[ng.name][t.variable] != chosen:
                    bad.append(
                        f"{ng.name}.{t.variable}: [derived] says {over[ng.name][t.variable]}"
                    )
        vals = [ng.scored[t.variable] for t in raw if t.variable != "need_domains"]
        if vals:
            spans.append(f"{ng.name} {min(vals):,}-{max(vals):,} of {upper:,} with OASys")
    if not ids:
        return []
    status = "unmeetable" if bad else "derived"
    msg = (
        "raw chart values imply the number of people scored on each item (" + "; ".join(spans) + ")"
    )
    if lines:
        msg += "; ambiguous (the largest is used): " + "; ".join(lines)
    if bad:
        msg += "; NOT REPRODUCED: " + "; ".join(bad)
    return [Finding("figure1_denominators", "grim", status, msg, tuple(ids))]


def _published_value(spec: ProfileSpec, var: str, pop: str, category=None) -> float | None:
    """A published mean or share for a population or group, or one implied by a larger group."""
    ev = _evaluated(spec)

    def fig(p):
        for t in ev:
            if t.variable == var and t.population == p and t.statistic in ("mean", "share"):
                if category is None or t.category == category or var == "rosh":
                    return t
        return None

    t = fig(pop)
    if t is not None:
        return t.value
    # implied by the smallest group containing pop, minus the rows of the other populations
    mine = set(GROUPS.get(pop, ())) & set(spec.populations)
    best = None
    for g, members in GROUPS.items():
        s = set(members) & set(spec.populations)
        if not mine or not mine < s or fig(g) is None:
            continue
        if best is None or len(s) < len(best[1]):
            best = (g, s)
    if best is None:
        return None
    g, s = best
    others = s - mine
    total = spec.population_n(g) * fig(g).value
    for p in others:
        f = fig(p)
        if f is None:
            return None
        total -= spec.population_n(p) * f.value
    return total / sum(spec.population_n(p) for p in mine)


def _check_claims(spec: ProfileSpec) -> list[Finding]:
    out = []
    for c in spec.claims:
        g = _published_value(spec, c.variable, c.group, c.category)
        r = _published_value(spec, c.variable, c.reference, c.category)
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
    """Figures of another source (role ``context``) about this census's populations.

    A figure with a twin in the profile is compared with it; a group share is checked against
    the bounds its populations' own figures (and any share the assumptions force, such as
    recalls that end within 28 days) put on it.
    """
    out = []
    ev = _evaluated(spec)
    for t in spec.targets:
        # figures the profile marks as from elsewhere or only approximate
        if t.population not in GROUPS or t.role not in ("context", "unmeetable", "approximate"):
            continue
        members = [p for p in GROUPS[t.population] if p in spec.populations]
        if not members:
            continue
        twin = next((x for x in ev if _key(x) == _key(t) and x.id != t.id), None)
        if twin is not None:
            out.append(_twin_finding(t, twin))
        elif t.statistic == "share" and t.category in (spec.share_categories(t.variable) or ()):
            found = _share_bounds_finding(spec, ev, t, members)
            if found is not None:
                out.append(found)
    return out


def _twin_finding(t: Target, twin: Target) -> Finding:
    """Another source's figure against the profile's own figure of the same cell."""
    suffix = t.variable if t.statistic == "mean" else f"{t.variable}.{t.category}"
    ok = _within(twin.value, t) or twin.value == t.value
    return Finding(
        f"cross_source.{suffix}",
        "cross_source",
        "consistent" if ok else "inconsistent",
        f"{t.document} {t.locator}: {t.printed} vs {twin.locator}: {twin.printed}",
        (t.id, twin.id),
    )


def _share_bounds_finding(
    spec: ProfileSpec, ev: list[Target], t: Target, members: list[str]
) -> Finding | None:
    """Another source's group share against the bounds its populations' rows put on it (None
    when no population has a row or a forced share, so there is nothing to compare)."""
    j = spec.share_categories(t.variable).index(t.category)
    lo = hi = 0.0
    used = []
    informative = False
    for p in members:
        n_p = spec.population_n(p)
        f = next(
            (
                x
                for x in ev
                if x.population == p
                and x.variable == t.variable
                and x.category == t.category
                and x.id != t.id
            ),
            None,
        )
        if f is not None:
            h = interval_half(spec, f)
            lo += n_p * max(f.value - h, 0)
            hi += n_p * min(f.value + h, 100)
            used.append(f.id)
            informative = True
        elif t.variable == "days_on_recall" and "max_days" in spec.assumptions.get(
            "days_on_recall", {}
        ).get(p, {}):
            forced = assumed_shares(spec, t.variable, p)
            lo += n_p * forced[j]
            hi += n_p * forced[j]
            informative = True
        else:
            hi += n_p * 100
    if not informative:
        return None
    n_g = sum(spec.population_n(p) for p in members)
    lo, hi = lo / n_g, hi / n_g
    tol = float(spec.assumptions.get("fidelity", {}).get("approximate_tolerance_points", 2.5))
    ok = lo - tol <= t.value <= hi + tol
    cat = f"_{t.category}" if t.category else ""
    return Finding(
        f"cross_source.{t.variable}{cat}",
        "cross_source",
        "consistent" if ok else "unmeetable",
        f"given the rows of {', '.join(members)} (and recalls whose assumed length keeps "
        f"them in one band), the share of {t.population} in {t.category} must lie in "
        f"[{lo:.1f}, {hi:.1f}]% (at least {lo:.1f}%); {t.document} {t.locator} says "
        f"'{t.printed}' ({t.value:g}%)",
        (t.id, *used),
    )
