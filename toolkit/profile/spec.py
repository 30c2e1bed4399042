"""Load and validate a profile spec: the published figures a cohort must meet, with provenance.

A profile lives in ``papers/<source>/profile.toml``. It holds

* ``[[targets]]``: every published figure, each with its document, table or figure, quoted text,
  printed value and precision, population and N;
* ``[[claims]]``: the paper's qualitative comparisons that a cohort can be tested against;
* ``[assumptions]``: everything the generator needs that the sources do not give, each block with
  a ``reason``;
* ``[derived]``: figures computed from published ones (e.g. item denominators implied by the raw
  chart values), each with its method;
* ``[[resolutions]]``: how each finding of the consistency audit is resolved.

:func:`load_profile` validates the file once and returns a frozen :class:`ProfileSpec`; nothing
downstream re-checks it.
"""

from __future__ import annotations

import hashlib
import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from toolkit.exceptions import SpecError
from toolkit.schema import (
    ETHNICITIES,
    GROUPS,
    INDEX_OFFENCE_GROUPS,
    INDEX_OFFENCES,
    NEED_ITEMS,
    OFFENCE_TO_GROUP,
    POPULATIONS,
    RECALL_TYPES,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

DEFAULT_SOURCE = "recall_process_experience"

#: Population labels a target may use. ``national_2016`` and ``case_review`` are context figures
#: about other populations (not the 2014 census) and are never evaluated on a cohort.
TARGET_POPULATIONS = (*GROUPS, "national_2016", "case_review")
STATISTICS = ("mean", "share", "count", "max_share")
ROLES = ("target", "context", "superseded", "unmeetable", "approximate")

#: Plausible ranges for a published mean, used to reject typos ("322" for 32.2).
MEAN_RANGES: dict[str, tuple[float, float]] = {
    "age": (10, 100),
    "years_since_first_sanction": (0, 90),
    "previous_breaches": (0, 100),
    "ogrs3_2yr": (0, 100),
    "ogrs4v_2yr": (0, 100),
    "osp_2yr": (0, 100),
    "rsr_2yr": (0, 100),
    "need_domains": (0, 10),
    **{item: (0, 2) for item in NEED_ITEMS},
}

LATENTS = (
    "age",
    "career",
    "breaches",
    "sanction_rate",
    "ogrs4v",
    "osp",
    "rsr",
    "rosh",
    "need",
    "recall_time",
    "sed_time",
)


@dataclass(frozen=True)
class Target:
    """One published figure and its provenance.

    Attributes
    ----------
    id : str
        Stable identifier, e.g. ``appendix.age.standard``.
    population : str
        Population or group the figure describes (see :data:`toolkit.schema.GROUPS`).
    variable : str
        Cohort column (or derived quantity) the figure is about.
    statistic : str
        ``mean``, ``share`` (percent), ``count`` or ``max_share``.
    value : float
        The printed value as a number.
    printed : str
        The characters printed in the source.
    decimals : int
        Printed precision; the synthetic figure must round to the same value.
    """

    id: str
    population: str
    variable: str
    statistic: str
    value: float
    printed: str
    decimals: int
    document: str
    title: str
    locator: str
    quote: str
    line: int | None = None
    n: int | None = None
    category: str | None = None
    approximate: bool = False
    note: str = ""
    role: str = "target"
    tolerance: float | None = None

    @property
    def half_unit(self) -> float:
        """Half a unit of the printed precision: the rounding interval's half-width."""
        return 0.5 * 10.0 ** (-self.decimals)

    @property
    def source(self) -> str:
        """Short provenance string: document, locator and line."""
        where = f", line {self.line}" if self.line else ""
        return f"{self.document} {self.locator}{where}"


@dataclass(frozen=True)
class Claim:
    """A qualitative comparison printed in a source (e.g. standard recalls are younger)."""

    id: str
    text: str
    variable: str
    group: str
    reference: str
    direction: str
    test: str
    line: int | None = None
    category: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Resolution:
    """How one audit finding is resolved in this spec."""

    finding: str
    action: str
    note: str
    targets: tuple[str, ...] = ()
    role: str | None = None


@dataclass(frozen=True)
class ProfileSpec:
    """A validated, immutable profile spec.

    Use :func:`load_profile` to build one. Mappings are read-only views.
    """

    path: str
    sha256: str
    meta: Mapping[str, Any]
    targets: tuple[Target, ...]
    claims: tuple[Claim, ...]
    assumptions: Mapping[str, Any]
    derived: Mapping[str, Any]
    resolutions: tuple[Resolution, ...]
    _by_id: Mapping[str, Target] = field(repr=False, default_factory=dict, compare=False)

    def target(self, target_id: str) -> Target:
        """Return the target with this id (``KeyError`` naming the id if absent)."""
        try:
            return self._by_id[target_id]
        except KeyError:
            raise KeyError(f"{self.path}: no target with id {target_id!r}") from None

    def has_target(self, target_id: str) -> bool:
        """Whether a target with this id exists."""
        return target_id in self._by_id

    def population_n(self, population: str) -> int:
        """Published N of a population; ``other_sentenced`` is All prisoners minus All recalled."""
        if population == "other_sentenced":
            return int(
                self.target("appendix.n.all_prisoners").value
                - self.target("appendix.n.all_recalled").value
            )
        return int(self.target(f"appendix.n.{population}").value)

    def resolution_for(self, finding: str) -> Resolution | None:
        """The spec's resolution of an audit finding, or ``None`` if unresolved."""
        for r in self.resolutions:
            if r.finding == finding:
                return r
        return None


def default_profile_path() -> Path:
    """Path of the default profile shipped with the package (works from a wheel too)."""
    res = resources.files("toolkit.papers") / DEFAULT_SOURCE / "profile.toml"
    return Path(str(res))


def _freeze(obj: Any) -> Any:
    if isinstance(obj, dict):
        return MappingProxyType({k: _freeze(v) for k, v in obj.items()})
    if isinstance(obj, list):
        return tuple(_freeze(v) for v in obj)
    return obj


class _Checker:
    """Small helper that raises :class:`SpecError` with the file, key and value."""

    def __init__(self, path: str):
        self.path = path

    def fail(self, key: str, message: str, value: object = ...) -> None:
        raise SpecError(self.path, key, message, value)

    def get(self, table: Mapping, key: str, where: str, kinds: tuple[type, ...], what: str):
        if key not in table:
            self.fail(f"{where}.{key}", f"is required ({what})")
        value = table[key]
        if isinstance(value, bool) and bool not in kinds:
            self.fail(f"{where}.{key}", f"must be {what}", value)
        if not isinstance(value, kinds):
            self.fail(f"{where}.{key}", f"must be {what}", value)
        return value

    def number(self, table: Mapping, key: str, where: str, lo: float, hi: float):
        v = self.get(table, key, where, (int, float), f"a number between {lo} and {hi}")
        if not (lo <= v <= hi) or not math.isfinite(v):
            self.fail(f"{where}.{key}", f"must be a number between {lo} and {hi}", v)
        return float(v)


def load_profile(path: str | Path | None = None) -> ProfileSpec:
    """Load and validate a profile spec.

    Parameters
    ----------
    path : str or Path, optional
        A ``profile.toml``. Defaults to the shipped profile of the research summary
        "Understanding the process and experience of recall to prison".

    Returns
    -------
    ProfileSpec
        Frozen, validated spec.

    Raises
    ------
    SpecError
        If the file is missing, not TOML, or any entry breaks a rule; the message names the file,
        the key, the value and what was expected.

    Examples
    --------
    >>> spec = load_profile()
    >>> spec.target("appendix.age.standard").value
    32.2
    >>> spec.population_n("other_sentenced")
    59369
    """
    p = Path(path) if path is not None else default_profile_path()
    label = str(path) if path is not None else f"<default>/{DEFAULT_SOURCE}/profile.toml"
    try:
        raw_bytes = p.read_bytes()
    except OSError as exc:
        raise SpecError(label, "(file)", f"cannot be read ({exc.strerror})") from None
    try:
        data = tomllib.loads(raw_bytes.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SpecError(label, "(file)", f"is not valid TOML: {exc}") from None
    if path is not None:
        data = _inherit_defaults(data)
    return _build_spec(label, hashlib.sha256(raw_bytes).hexdigest(), data)


def _inherit_defaults(data: dict) -> dict:
    """Fill sections a user's profile leaves out from the shipped default profile.

    A profile may hold only published figures (``[meta]``, ``[[targets]]``, ``[[claims]]``);
    the generator's ``[assumptions]``, the ``[derived]`` figures and the audit
    ``[[resolutions]]`` then come from the default profile, and ``meta.inherited`` says which.
    Inherited resolutions keep only the target ids the user's profile has.
    """
    missing = [k for k in ("assumptions", "derived", "resolutions") if k not in data]
    if not missing or not isinstance(data.get("targets"), list):
        return data
    default = tomllib.loads(default_profile_path().read_text(encoding="utf-8"))
    ids = {t.get("id") for t in data["targets"] if isinstance(t, dict)}
    out = dict(data)
    for key in missing:
        value = default.get(key)
        if key == "resolutions":
            value = [
                {**r, "targets": [t for t in r.get("targets", []) if t in ids]} for r in value or []
            ]
        out[key] = value
    if isinstance(out.get("meta"), dict):
        out["meta"] = {
            **out["meta"],
            "inherited": [f"{k} (from the default profile)" for k in missing],
        }
    return out


def _build_spec(label: str, sha: str, data: dict) -> ProfileSpec:
    ck = _Checker(label)
    meta = data.get("meta")
    if not isinstance(meta, dict):
        ck.fail("meta", "must be a table with the source's document and title")
    for key in ("document", "title"):
        ck.get(meta, key, "meta", (str,), "a string")

    resolutions = tuple(
        _parse_resolution(ck, i, r) for i, r in enumerate(data.get("resolutions", []))
    )
    role_of: dict[str, str] = {}
    for r in resolutions:
        if r.role:
            for tid in r.targets:
                role_of[tid] = r.role

    raw_targets = data.get("targets")
    if not isinstance(raw_targets, list) or not raw_targets:
        ck.fail("targets", "must be a non-empty array of tables ([[targets]])")
    targets = []
    seen: set[str] = set()
    for i, t in enumerate(raw_targets):
        tgt = _parse_target(ck, i, t, role_of)
        if tgt.id in seen:
            ck.fail(f"targets[{i}].id", "must be unique", tgt.id)
        seen.add(tgt.id)
        targets.append(tgt)
    by_id = {t.id: t for t in targets}
    for r in resolutions:
        for tid in r.targets:
            if tid not in by_id:
                ck.fail(f"resolutions[finding={r.finding}].targets", "names an unknown target", tid)

    # The generator needs every Appendix N.
    for pop in (*RECALL_TYPES, "all_recalled", "all_prisoners"):
        if f"appendix.n.{pop}" not in by_id:
            ck.fail("targets", f"must include appendix.n.{pop} (the population size)")
    if by_id["appendix.n.all_prisoners"].value <= by_id["appendix.n.all_recalled"].value:
        ck.fail(
            "targets[id=appendix.n.all_prisoners].value",
            "must exceed appendix.n.all_recalled (All prisoners includes the recalled)",
            by_id["appendix.n.all_prisoners"].value,
        )

    claims = tuple(_parse_claim(ck, i, c) for i, c in enumerate(data.get("claims", [])))
    assumptions = data.get("assumptions")
    if not isinstance(assumptions, dict):
        ck.fail("assumptions", "must be a table of assumed parameters, each with a reason")
    _check_assumptions(ck, assumptions)
    derived = data.get("derived", {})
    _check_derived(ck, derived)
    return ProfileSpec(
        path=label,
        sha256=sha,
        meta=_freeze(meta),
        targets=tuple(targets),
        claims=claims,
        assumptions=_freeze(assumptions),
        derived=_freeze(derived),
        resolutions=resolutions,
        _by_id=MappingProxyType(by_id),
    )


def _parse_target(ck: _Checker, i: int, t: Any, role_of: Mapping[str, str]) -> Target:
    if not isinstance(t, dict):
        ck.fail(f"targets[{i}]", "must be a table", t)
    tid = ck.get(t, "id", f"targets[{i}]", (str,), "a string id")
    w = f"targets[id={tid}]"
    pop = ck.get(t, "population", w, (str,), "a population name")
    if pop not in TARGET_POPULATIONS:
        ck.fail(f"{w}.population", f"must be one of {', '.join(TARGET_POPULATIONS)}", pop)
    stat = ck.get(t, "statistic", w, (str,), "a statistic name")
    if stat not in STATISTICS:
        ck.fail(f"{w}.statistic", f"must be one of {', '.join(STATISTICS)}", stat)
    var = ck.get(t, "variable", w, (str,), "a variable name")
    value = ck.get(t, "value", w, (int, float), "a number")
    if not math.isfinite(value):
        ck.fail(f"{w}.value", "must be a finite number", value)
    printed = ck.get(t, "printed", w, (str,), "the printed text as a string")
    decimals = ck.get(t, "decimals", w, (int,), "a whole number of printed decimals")
    if not 0 <= decimals <= 16:
        ck.fail(f"{w}.decimals", "must be between 0 and 16", decimals)
    if stat in ("share", "max_share") and not 0 <= value <= 100:
        ck.fail(f"{w}.value", "must be a percentage between 0 and 100", value)
    if stat == "count" and (value < 0 or float(value) != int(value)):
        ck.fail(f"{w}.value", "must be a non-negative whole number for a count", value)
    if stat == "mean" and var in MEAN_RANGES:
        lo, hi = MEAN_RANGES[var]
        if not lo <= value <= hi:
            ck.fail(f"{w}.value", f"must be between {lo} and {hi} for a mean of {var}", value)
    n = t.get("n")
    if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n <= 0):
        ck.fail(f"{w}.n", "must be a positive whole number", n)
    line = t.get("line")
    if line is not None and (not isinstance(line, int) or line <= 0):
        ck.fail(f"{w}.line", "must be a positive line number", line)
    tol = t.get("tolerance")
    if tol is not None and (not isinstance(tol, (int, float)) or tol < 0):
        ck.fail(f"{w}.tolerance", "must be a non-negative number", tol)
    role = role_of.get(tid, "target")
    if pop in ("national_2016", "case_review"):
        role = "context"
    elif role == "target" and t.get("approximate", False):
        role = "approximate"
    return Target(
        id=tid,
        population=pop,
        variable=var,
        statistic=stat,
        value=float(value),
        printed=printed,
        decimals=decimals,
        document=ck.get(t, "document", w, (str,), "the seed file name"),
        title=str(t.get("title", "")),
        locator=ck.get(t, "locator", w, (str,), "the table, figure or paragraph"),
        quote=ck.get(t, "quote", w, (str,), "the quoted source text"),
        line=line,
        n=n,
        category=t.get("category"),
        approximate=bool(t.get("approximate", False)),
        note=str(t.get("note", "")),
        role=role,
        tolerance=None if tol is None else float(tol),
    )


def _parse_claim(ck: _Checker, i: int, c: Any) -> Claim:
    if not isinstance(c, dict):
        ck.fail(f"claims[{i}]", "must be a table", c)
    cid = ck.get(c, "id", f"claims[{i}]", (str,), "a string id")
    w = f"claims[id={cid}]"
    for key in ("group", "reference"):
        v = ck.get(c, key, w, (str,), "a population group")
        if v not in GROUPS:
            ck.fail(f"{w}.{key}", f"must be one of {', '.join(GROUPS)}", v)
    direction = ck.get(c, "direction", w, (str,), "'higher' or 'lower'")
    if direction not in ("higher", "lower"):
        ck.fail(f"{w}.direction", "must be 'higher' or 'lower'", direction)
    test = ck.get(c, "test", w, (str,), "'welch_t' or 'chi2'")
    if test not in ("welch_t", "chi2"):
        ck.fail(f"{w}.test", "must be 'welch_t' or 'chi2'", test)
    return Claim(
        id=cid,
        text=ck.get(c, "text", w, (str,), "the quoted claim"),
        variable=ck.get(c, "variable", w, (str,), "a cohort column"),
        group=c["group"],
        reference=c["reference"],
        direction=direction,
        test=test,
        line=c.get("line"),
        category=c.get("category"),
        note=str(c.get("note", "")),
    )


def _parse_resolution(ck: _Checker, i: int, r: Any) -> Resolution:
    if not isinstance(r, dict):
        ck.fail(f"resolutions[{i}]", "must be a table", r)
    finding = ck.get(r, "finding", f"resolutions[{i}]", (str,), "an audit finding id")
    w = f"resolutions[finding={finding}]"
    targets = r.get("targets", [])
    if not isinstance(targets, list) or not all(isinstance(x, str) for x in targets):
        ck.fail(f"{w}.targets", "must be a list of target ids", targets)
    role = r.get("role")
    if role is not None and role not in ROLES:
        ck.fail(f"{w}.role", f"must be one of {', '.join(ROLES)}", role)
    return Resolution(
        finding=finding,
        action=ck.get(r, "action", w, (str,), "a short action name"),
        note=ck.get(r, "note", w, (str,), "an explanation"),
        targets=tuple(targets),
        role=role,
    )


def _check_reason(ck: _Checker, block: Mapping, where: str) -> None:
    reason = block.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        ck.fail(f"{where}.reason", "must say why this assumption was made (a non-empty string)")


def _check_shares(ck: _Checker, shares: Any, where: str, allowed: tuple[str, ...], total: float):
    if not isinstance(shares, dict) or not shares:
        ck.fail(where, f"must be a table of shares over {', '.join(allowed)}", shares)
    for k, v in shares.items():
        if k not in allowed:
            ck.fail(f"{where}.{k}", f"is not a known category (expected one of {allowed})", k)
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0:
            ck.fail(f"{where}.{k}", "must be a non-negative number", v)
    s = sum(shares.values())
    if abs(s - total) > 1e-6:
        ck.fail(where, f"must sum to {total}", round(s, 6))


def _check_assumptions(ck: _Checker, a: Mapping) -> None:
    need = (
        "age",
        "career",
        "previous_breaches",
        "previous_sanctions",
        "scores",
        "rosh",
        "sex",
        "ethnicity",
        "recall_reason",
        "index_offence",
        "days_on_recall",
        "days_to_sed",
        "oasys",
        "need_items",
        "need_domains",
        "correlation",
    )
    for block in need:
        if not isinstance(a.get(block), dict):
            ck.fail(f"assumptions.{block}", "must be a table (the generator needs it)")
        _check_reason(ck, a[block], f"assumptions.{block}")
    w = "assumptions.age"
    lo = ck.number(a["age"], "lower", w, 10, 100)
    hi = ck.number(a["age"], "upper", w, 10, 120)
    if hi <= lo:
        ck.fail(f"{w}.upper", "must exceed assumptions.age.lower", hi)
    ck.number(a["age"], "sigma", w, 0.01, 5)
    ck.number(a["career"], "min_age_first_sanction", "assumptions.career", 0, 18)
    ck.number(a["career"], "sigma", "assumptions.career", 0.01, 5)
    ck.number(a["previous_breaches"], "sigma", "assumptions.previous_breaches", 0.01, 5)
    ck.number(a["previous_sanctions"], "sigma", "assumptions.previous_sanctions", 0.01, 5)
    for score in ("ogrs4v_2yr", "osp_2yr", "rsr_2yr"):
        blk = a["scores"].get(score)
        if not isinstance(blk, dict):
            ck.fail(f"assumptions.scores.{score}", "must be a table with sigma and offence_shift")
        ck.number(blk, "sigma", f"assumptions.scores.{score}", 0.01, 5)
        for off, v in blk.get("offence_shift", {}).items():
            if off not in INDEX_OFFENCES:
                ck.fail(
                    f"assumptions.scores.{score}.offence_shift.{off}", "is not an OGRS3 offence"
                )
            if not isinstance(v, (int, float)):
                ck.fail(f"assumptions.scores.{score}.offence_shift.{off}", "must be a number", v)
    w = "assumptions.rosh"
    ck.number(a["rosh"], "very_high_share_of_high_or_very_high", w, 0, 1)
    ck.number(a["rosh"], "medium_share_of_low_or_medium", w, 0, 1)
    for pop, v in a["sex"].get("male_share", {}).items():
        if pop not in POPULATIONS:
            ck.fail(f"assumptions.sex.male_share.{pop}", "is not a population", pop)
        if not isinstance(v, (int, float)) or not 0 <= v <= 100:
            ck.fail(f"assumptions.sex.male_share.{pop}", "must be a percentage 0-100", v)
    if "other_sentenced" not in a["sex"].get("male_share", {}):
        ck.fail("assumptions.sex.male_share.other_sentenced", "is required (not published)")
    eth = a["ethnicity"]
    _check_shares(
        ck,
        eth.get("non_white_split"),
        "assumptions.ethnicity.non_white_split",
        ETHNICITIES[1:],
        1.0,
    )
    if "other_sentenced" not in eth.get("white_share", {}):
        ck.fail("assumptions.ethnicity.white_share.other_sentenced", "is required (not published)")
    off = a["index_offence"]
    groups = off.get("group_shares", {})
    for pop in POPULATIONS:
        if pop == "standard":
            continue  # published: 29/15/22/34
        if pop not in groups:
            ck.fail(f"assumptions.index_offence.group_shares.{pop}", "is required")
        _check_shares(
            ck,
            groups[pop],
            f"assumptions.index_offence.group_shares.{pop}",
            INDEX_OFFENCE_GROUPS,
            100.0,
        )
    within = off.get("within_group", {})
    for g in ("acquisitive", "other"):
        members = tuple(o for o, gg in OFFENCE_TO_GROUP.items() if gg == g)
        _check_shares(
            ck, within.get(g), f"assumptions.index_offence.within_group.{g}", members, 1.0
        )
    rr = a["recall_reason"]
    if rr.get("same_mix_in_every_recall_type") is not True:
        ck.fail(
            "assumptions.recall_reason.same_mix_in_every_recall_type",
            "must be true (the only reading the published all-recalled shares support)",
        )
    dor = a["days_on_recall"]
    for pop in RECALL_TYPES:
        blk = dor.get(pop)
        if not isinstance(blk, dict):
            ck.fail(f"assumptions.days_on_recall.{pop}", "must be a table with max_days or bands")
        if "max_days" in blk:
            ck.number(blk, "max_days", f"assumptions.days_on_recall.{pop}", 1, 36500)
        elif pop != "standard" and "bands" not in blk:
            ck.fail(f"assumptions.days_on_recall.{pop}", "needs `bands` or `max_days`")
        if "bands" in blk:
            _check_shares(
                ck,
                blk["bands"],
                f"assumptions.days_on_recall.{pop}.bands",
                ("under_6m", "6_to_12m", "over_12m"),
                100.0,
            )
    ck.number(dor, "over_12m_mean_excess_days", "assumptions.days_on_recall", 1, 10000)
    sed = a["days_to_sed"]
    for pop in RECALL_TYPES:
        if pop == "standard":
            continue
        v = sed.get("share_1yr_plus", {}).get(pop, "missing")
        if v != "none" and (not isinstance(v, (int, float)) or not 0 <= v <= 100):
            ck.fail(
                f"assumptions.days_to_sed.share_1yr_plus.{pop}",
                'must be a percentage 0-100, or "none" (no sentence end date)',
                v,
            )
    ck.number(sed, "over_1yr_mean_excess_days", "assumptions.days_to_sed", 1, 20000)
    for pop, v in a["oasys"].get("coverage", {}).items():
        if pop not in POPULATIONS or not isinstance(v, (int, float)) or not 0 <= v <= 1:
            ck.fail(f"assumptions.oasys.coverage.{pop}", "must be a share 0-1 for a population", v)
    w = "assumptions.need_items"
    ck.number(a["need_items"], "threshold_gap", w, 0.01, 5)
    ck.number(a["need_items"], "loading", w, 0, 0.99)
    w = "assumptions.need_domains"
    ck.number(a["need_domains"], "max_domains", w, 1, 20)
    ck.number(a["need_domains"], "sigma", w, 0.01, 5)
    ck.number(a["need_domains"], "loading", w, 0, 0.99)
    _check_correlation(ck, a["correlation"])


def _check_correlation(ck: _Checker, c: Mapping) -> None:
    w = "assumptions.correlation"
    names = c.get("latents")
    if list(names or []) != list(LATENTS):
        ck.fail(f"{w}.latents", f"must list the latents in this order: {list(LATENTS)}", names)
    m = c.get("matrix")
    k = len(LATENTS)
    if (
        not isinstance(m, list)
        or len(m) != k
        or not all(isinstance(r, list) and len(r) == k for r in m)
        or not all(isinstance(x, (int, float)) for r in m for x in r)
    ):
        ck.fail(f"{w}.matrix", f"must be a {k}x{k} array of numbers", m)
    arr = np.asarray(m, dtype=float)
    bad = np.argwhere(np.abs(arr - arr.T) > 1e-12)
    if bad.size:
        i, j = bad[0]
        ck.fail(f"{w}.matrix[{i}][{j}]", f"must equal matrix[{j}][{i}] (symmetric)", arr[i, j])
    if not np.allclose(np.diag(arr), 1.0):
        ck.fail(f"{w}.matrix", "must have 1 on the diagonal", np.diag(arr).tolist())
    if np.any(np.abs(arr) > 1):
        ck.fail(f"{w}.matrix", "entries must lie in [-1, 1]")
    try:
        np.linalg.cholesky(arr)
    except np.linalg.LinAlgError:
        ck.fail(f"{w}.matrix", "must be positive definite (it is not a valid correlation matrix)")


def _check_derived(ck: _Checker, d: Mapping) -> None:
    den = d.get("figure1_denominators")
    if den is None:
        ck.fail("derived.figure1_denominators", "is required (items' assessed N per group)")
    _check_reason_or_method(ck, den, "derived.figure1_denominators")
    for group in ("standard", "not_standard"):
        g = den.get(group)
        if not isinstance(g, dict):
            ck.fail(f"derived.figure1_denominators.{group}", "must be a table item -> N")
        for item in NEED_ITEMS:
            v = g.get(item)
            if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                ck.fail(
                    f"derived.figure1_denominators.{group}.{item}", "must be a positive integer", v
                )


def _check_reason_or_method(ck: _Checker, block: Any, where: str) -> None:
    if not isinstance(block, dict) or not isinstance(block.get("method"), str):
        ck.fail(f"{where}.method", "must describe how the figures were derived")
