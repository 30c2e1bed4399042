"""Accredited programme suitability rules as data (``papers/<source>/programmes.toml``).

A rule is a list of conditions ``"<column> <op> <value>"`` that must all hold. Each programme
has a default reading (``criteria``) and named alternative readings; :func:`suitability`
applies one reading to a cohort, :func:`sensitivity_table` shows how suitable counts move across
readings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from toolkit.conditions import (  # noqa: F401 - the rules' condition language, re-exported
    OPS,
    PERCENT_COLUMNS,
    Condition,
    parse_conditions,
)
from toolkit.datafiles import check_keys, paper_file, read_toml
from toolkit.exceptions import SpecError

#: What a reading is against its footnote (``kinds`` in the file):
#: ``literal`` -- the footnote's rule as printed (a quantity it names without a version, e.g.
#: which violence score, is chosen and labelled in the note); ``reading`` -- one reading of a
#: footnote that leaves a gap (a threshold, horizon or scope not printed); ``fitted`` -- the rule
#: adds a quantity the footnote does not name, whose share the generator sets so that the count
#: meets Table 2; ``no_criteria`` -- no criteria are printed, the whole rule is assumed.
READING_KINDS = ("literal", "reading", "fitted", "no_criteria")
#: The kinds in words, for reports.
KIND_TEXT = {
    "literal": "the footnote's literal rule",
    "reading": "a reading of what the footnote leaves open",
    "fitted": "FITTED to the published count (the rule adds a quantity the footnote does not name)",
    "no_criteria": "assumed (no criteria printed)",
}


@dataclass(frozen=True)
class Programme:
    """One accredited programme: its readings and its published Table 2 row."""

    name: str
    label: str
    criteria: tuple[Condition, ...]
    alternatives: Mapping[str, tuple[Condition, ...]]
    suitable: int
    attended_pct: float
    attended_other_pct: float
    unmet_pct: float
    hold: tuple[str, ...]
    line: int
    quote: str
    footnote: str
    assumed: str
    reason: str
    #: Reading name -> ``"cited: ..."`` or ``"assumed: ..."`` (optional in the file).
    notes: Mapping[str, str] = field(default_factory=dict)
    #: Reading name -> what it is against the footnote (one of :data:`READING_KINDS`).
    kinds: Mapping[str, str] = field(default_factory=dict)
    #: Column -> the categories the programme was offered to (absent: offered to everyone).
    offered_to: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Where ``offered_to`` comes from: ``"cited: ..."`` or ``"assumed: ..."``.
    offered_note: str = ""

    @property
    def literal_reading(self) -> str | None:
        """The reading that follows the footnote literally (``None``: no footnote or none)."""
        return next((r for r, k in self.kinds.items() if k == "literal"), None)

    def offered(self, column: str, category) -> bool:
        """Whether the programme was offered to people with ``column == category``."""
        allowed = self.offered_to.get(column)
        return allowed is None or str(category) in allowed

    def reading(self, name: str = "default") -> tuple[Condition, ...]:
        """Conditions of a reading (``default`` or one of ``alternatives``)."""
        if name == "default":
            return self.criteria
        return self.alternatives.get(name, self.criteria)


@dataclass(frozen=True)
class ColumnSpec:
    """A column the rules read that the profile does not publish, built by the generator.

    ``kind = "score"``: a 0-100 score on ``range``, with ``at_least`` (threshold -> percent of
    people at or above it, piecewise linear in between), ranked by a latent tied to ``rank_by``
    with weight ``rank_weight``. ``kind = "flag"``: true/false, forced true where all
    ``true_when`` hold, forced false unless all ``requires`` hold, true only if every flag in
    ``implies`` is true, otherwise true for about ``rate`` of people (the rules' counts win),
    chosen by rank of the ``rank_by`` columns.
    """

    name: str
    kind: str
    rank_by: tuple[str, ...]
    rank_weight: float = 0.8
    at_least: Mapping[float, float] = field(default_factory=dict)
    range: tuple[float, float] = (0.0, 100.0)
    true_when: tuple[Condition, ...] = ()
    requires: tuple[Condition, ...] = ()
    implies: tuple[str, ...] = ()
    rate: float = 0.0
    reason: str = ""

    def share_at_least(self, x: float) -> float:
        """Percent of people at or above ``x`` (piecewise linear between the knots)."""
        lo, hi = self.range
        knots = sorted({lo: 100.0, **dict(self.at_least), hi: 0.0}.items())
        xs, ys = zip(*knots)
        return float(np.interp(x, xs, ys))


@dataclass(frozen=True)
class ProgrammeRules:
    """Validated programme rules (frozen)."""

    path: str
    meta: Mapping[str, object]
    programmes: tuple[Programme, ...]
    assumptions: Mapping[str, object]
    columns: Mapping[str, ColumnSpec] = field(default_factory=dict)
    claims: tuple[Mapping[str, str], ...] = ()

    def programme(self, name: str) -> Programme:
        """The programme with this name."""
        for p in self.programmes:
            if p.name == name:
                return p
        raise KeyError(f"{self.path}: no programme {name!r}")

    @property
    def readings(self) -> tuple[str, ...]:
        """All reading names used by any programme, ``default`` first."""
        names = {r for p in self.programmes for r in p.alternatives}
        return ("default", *sorted(names))

    @property
    def base_n(self) -> int:
        """The published size of the Table 2 base (``meta.base_n``)."""
        return int(self.meta["base_n"])


def default_rules_path() -> Path:
    """The shipped rules file (works from a wheel)."""
    return paper_file("recall_process_experience", "programmes.toml")


def _interval(conds: tuple[Condition, ...], column: str) -> tuple[float, float] | None:
    lo, hi, seen = -np.inf, np.inf, False
    for c in conds:
        if c.column != column or not isinstance(c.value, float) or c.or_else:
            continue
        seen = True
        if c.op in (">=", ">"):
            lo = max(lo, c.value)
        elif c.op in ("<", "<="):
            hi = min(hi, c.value)
    return (lo, hi) if seen else None


_TOP_KEYS = ("meta", "band_groups", "programmes", "assumptions", "columns", "claims")
_META_KEYS = (
    "document",
    "title",
    "locator",
    "line",
    "base_population",
    "base_requires",
    "base_n",
    "base_quote",
    "base_line",
    "note",
)
_PROGRAMME_KEYS = (
    "label",
    "line",
    "quote",
    "footnote",
    "suitable",
    "attended_pct",
    "attended_other_pct",
    "unmet_pct",
    "hold",
    "criteria",
    "assumed",
    "reason",
    "alternatives",
    "notes",
    "kinds",
    "offered_to",
    "offered_note",
)
_PROGRAMME_REQUIRED = (
    "label",
    "criteria",
    "suitable",
    "attended_pct",
    "attended_other_pct",
    "unmet_pct",
    "assumed",
    "reason",
)
#: ``[assumptions]`` of the first format (kept so files written in it keep loading).
_LEGACY_ASSUMPTIONS = (
    "ovp_2yr_band_shares",
    "violent_history_rate_below_30",
    "acquisitive_history_rate_low_ogrs",
    "history_reason",
    "link_reason",
    "ovp_reason",
    "attendance_reason",
    "other_populations_reason",
)
_SCORE_KEYS = ("kind", "rank_by", "rank_weight", "at_least", "range", "reason")
_FLAG_KEYS = ("kind", "rank_by", "true_when", "requires", "implies", "rate", "reason")
_CLAIM_KEYS = ("text", "label", "source", "reason")
_LABELS = ("cited", "assumed")


def _number(label, key, v, lo=-np.inf, hi=np.inf, what="a number"):
    if not isinstance(v, (int, float)) or isinstance(v, bool) or not lo <= v <= hi:
        raise SpecError(label, key, f"must be {what}", v)
    return float(v)


def _parse_column(label: str, name: str, blk) -> ColumnSpec:
    w = f"columns.{name}"
    if not isinstance(blk, dict):
        raise SpecError(label, w, "must be a table")
    kind = blk.get("kind")
    if kind not in ("score", "flag"):
        raise SpecError(label, f"{w}.kind", "must be 'score' or 'flag'", kind)
    check_keys(blk, _SCORE_KEYS if kind == "score" else _FLAG_KEYS, label, w, required=("kind",))
    rank_by = blk.get("rank_by", [])
    rank_by = [rank_by] if isinstance(rank_by, str) else rank_by
    if not isinstance(rank_by, list) or not all(isinstance(r, str) for r in rank_by):
        raise SpecError(label, f"{w}.rank_by", "must be a column name or a list of them", rank_by)
    if kind == "score":
        rng_ = blk.get("range", [0.0, 100.0])
        if (
            not isinstance(rng_, list)
            or len(rng_) != 2
            or not all(isinstance(x, (int, float)) for x in rng_)
            or not 0 <= rng_[0] < rng_[1] <= 100
        ):
            raise SpecError(
                label, f"{w}.range", "must be [low, high] with 0 <= low < high <= 100", rng_
            )
        at = {}
        for k, v in dict(blk.get("at_least", {})).items():
            try:
                t = float(k)
            except ValueError:
                raise SpecError(label, f"{w}.at_least.{k}", "keys must be thresholds") from None
            if not rng_[0] < t < rng_[1]:
                raise SpecError(label, f"{w}.at_least.{k}", f"threshold must lie inside {rng_}", t)
            at[t] = _number(label, f"{w}.at_least.{k}", v, 0, 100, "a percentage 0-100")
        ys = [at[t] for t in sorted(at)]
        if any(b > a for a, b in zip(ys, ys[1:])):
            raise SpecError(
                label, f"{w}.at_least", "percent at or above must fall as thresholds rise", ys
            )
        return ColumnSpec(
            name,
            kind,
            tuple(rank_by),
            rank_weight=_number(
                label, f"{w}.rank_weight", blk.get("rank_weight", 0.8), 0, 1, "in [0, 1]"
            ),
            at_least=MappingProxyType(at),
            range=(float(rng_[0]), float(rng_[1])),
            reason=str(blk.get("reason", "")),
        )
    implies = blk.get("implies", [])
    if not isinstance(implies, list) or not all(isinstance(x, str) for x in implies):
        raise SpecError(label, f"{w}.implies", "must be a list of flag column names", implies)
    return ColumnSpec(
        name,
        kind,
        tuple(rank_by),
        true_when=parse_conditions(
            label, f"{w}.true_when", blk.get("true_when", []), empty_ok=True
        ),
        requires=parse_conditions(label, f"{w}.requires", blk.get("requires", []), empty_ok=True),
        implies=tuple(implies),
        rate=_number(label, f"{w}.rate", blk.get("rate", 0.0), 0, 1, "a share in [0, 1]"),
        reason=str(blk.get("reason", "")),
    )


def _parse_offered(label: str, w: str, blk: Mapping) -> tuple[dict, str]:
    """``offered_to = { column = [categories] }`` and its ``offered_note`` (cited or assumed)."""
    offered = blk.get("offered_to", {})
    note = blk.get("offered_note", "")
    if not isinstance(offered, dict):
        raise SpecError(label, f"{w}.offered_to", "must be a table: column = [categories]", offered)
    out = {}
    for col, cats in offered.items():
        if not isinstance(cats, list) or not cats or not all(isinstance(c, str) for c in cats):
            raise SpecError(
                label, f"{w}.offered_to.{col}", "must be a non-empty list of categories", cats
            )
        out[col] = tuple(cats)
    if out and not (isinstance(note, str) and note.startswith(tuple(f"{x}:" for x in _LABELS))):
        raise SpecError(
            label,
            f"{w}.offered_note",
            "must say where offered_to comes from, starting 'cited:' or 'assumed:'",
            note,
        )
    return out, str(note)


def _legacy_columns(assumptions: Mapping) -> dict[str, ColumnSpec]:
    """Columns for a file in the first format (no ``[columns]``): the shipped file's, with the
    first format's ``[assumptions]`` (band shares, history rates) applied on top."""
    cols = dict(load_programme_rules(None).columns)
    shares = assumptions.get("ovp_2yr_band_shares")
    if isinstance(shares, dict) and "ovp_2yr" in cols:
        at, above = {}, 100.0
        for key, v in shares.items():  # below_30, 30_to_59, 60_plus in order
            m = re.match(r"^(?:below_(\d+)|(\d+)_to_\d+|(\d+)_plus)$", str(key))
            if not m:
                continue
            above -= float(v)
            if m.group(1):
                at[float(m.group(1))] = above
            else:
                nxt = re.match(r"^(\d+)_to_(\d+)$", str(key))
                if nxt:
                    at[float(nxt.group(2)) + 1] = above
        cols["ovp_2yr"] = ColumnSpec(
            **{**cols["ovp_2yr"].__dict__, "at_least": MappingProxyType(at)}
        )
    for col, key in (
        ("violent_history", "violent_history_rate_below_30"),
        ("acquisitive_history", "acquisitive_history_rate_low_ogrs"),
    ):
        if key in assumptions and col in cols:
            cols[col] = ColumnSpec(**{**cols[col].__dict__, "rate": float(assumptions[key])})
    return cols


def load_programme_rules(path: str | Path | None = None) -> ProgrammeRules:
    """Load and validate programme rules.

    Parameters
    ----------
    path : str or Path, optional
        A ``programmes.toml``; defaults to the shipped Table 2 rules.

    Returns
    -------
    ProgrammeRules

    Raises
    ------
    SpecError
        Naming the file, key and value: unknown keys (with the nearest known one), malformed
        conditions, thresholds out of range, overlapping bands (when ``band_groups`` declares
        them), missing fields, percentages outside 0-100, readings or flags that do not exist.

    Examples
    --------
    >>> rules = load_programme_rules()
    >>> p = rules.programmes[0]
    >>> len(rules.programmes), [str(c) for c in p.criteria][-1], p.notes["default"].split(":")[0]
    (6, 'ogrs3_2yr >= 25', 'assumed')
    """
    data, label = read_toml(path, "recall_process_experience", "programmes.toml")
    check_keys(data, _TOP_KEYS, label, required=("programmes",))
    meta = data.get("meta", {})
    check_keys(meta, _META_KEYS, label, "meta", required=("base_n",))
    if (
        not isinstance(meta["base_n"], int)
        or isinstance(meta["base_n"], bool)
        or meta["base_n"] < 1
    ):
        raise SpecError(label, "meta.base_n", "must be a positive whole number", meta["base_n"])
    progs = data.get("programmes")
    if not isinstance(progs, dict) or not progs:
        raise SpecError(label, "programmes", "must be a table of programmes")
    out = []
    for name, blk in progs.items():
        w = f"programmes.{name}"
        if not re.match(r"^[a-z_][a-z0-9_]*$", name):
            raise SpecError(label, w, "programme names must be lower_snake_case", name)
        check_keys(blk, _PROGRAMME_KEYS, label, w, required=_PROGRAMME_REQUIRED)
        for key in ("attended_pct", "attended_other_pct", "unmet_pct"):
            v = blk[key]
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not 0 <= v <= 100:
                raise SpecError(label, f"{w}.{key}", "must be a percentage 0-100", v)
        s = blk["suitable"]
        if not isinstance(s, int) or isinstance(s, bool) or s < 0:
            raise SpecError(label, f"{w}.suitable", "must be a non-negative whole number", s)
        if s > meta["base_n"]:
            raise SpecError(label, f"{w}.suitable", f"exceeds meta.base_n ({meta['base_n']})", s)
        hold = tuple(blk.get("hold", ()))
        if hold and (len(hold) != 2 or not set(hold) <= {"attended", "attended_other", "unmet"}):
            raise SpecError(
                label, f"{w}.hold", "must name two of attended, attended_other, unmet", list(hold)
            )
        alts = {
            k: parse_conditions(label, f"{w}.alternatives.{k}", v, or_ok=True)
            for k, v in blk.get("alternatives", {}).items()
        }
        notes = dict(blk.get("notes", {}))
        for k, v in notes.items():
            if k != "default" and k not in alts:
                raise SpecError(
                    label, f"{w}.notes.{k}", "names no reading of this programme", k
                ) from None
            if not isinstance(v, str) or not v.startswith(tuple(f"{x}:" for x in _LABELS)):
                raise SpecError(
                    label, f"{w}.notes.{k}", "must start with 'cited:' or 'assumed:'", v
                )
        kinds = blk.get("kinds", {})
        if not isinstance(kinds, dict):
            raise SpecError(label, f"{w}.kinds", "must be a table: reading = kind", kinds)
        for k, v in kinds.items():
            if k != "default" and k not in alts:
                raise SpecError(label, f"{w}.kinds.{k}", "names no reading of this programme", k)
            if v not in READING_KINDS:
                raise SpecError(
                    label, f"{w}.kinds.{k}", f"must be one of {', '.join(READING_KINDS)}", v
                )
        if list(kinds.values()).count("literal") > 1:
            raise SpecError(
                label, f"{w}.kinds", "names more than one literal reading (the footnote has one)"
            )
        offered, offered_note = _parse_offered(label, w, blk)
        out.append(
            Programme(
                name=name,
                label=blk["label"],
                criteria=parse_conditions(label, f"{w}.criteria", blk["criteria"]),
                alternatives=MappingProxyType(alts),
                suitable=s,
                attended_pct=float(blk["attended_pct"]),
                attended_other_pct=float(blk["attended_other_pct"]),
                unmet_pct=float(blk["unmet_pct"]),
                hold=hold,
                line=int(blk.get("line", 0)),
                quote=str(blk.get("quote", "")),
                footnote=str(blk.get("footnote", "")),
                assumed=blk["assumed"],
                reason=blk["reason"],
                notes=MappingProxyType(notes),
                kinds=MappingProxyType(dict(kinds)),
                offered_to=MappingProxyType(offered),
                offered_note=offered_note,
            )
        )
    assumptions = data.get("assumptions", {})
    if "columns" in data:
        check_keys(assumptions, (*_LEGACY_ASSUMPTIONS[3:],), label, "assumptions")
        columns = {k: _parse_column(label, k, v) for k, v in data["columns"].items()}
    else:  # the first format: columns are the shipped ones with this file's assumptions
        check_keys(assumptions, _LEGACY_ASSUMPTIONS, label, "assumptions")
        columns = _legacy_columns(assumptions)
    for c in columns.values():
        for f in c.implies:
            if f not in columns or columns[f].kind != "flag":
                raise SpecError(label, f"columns.{c.name}.implies", "names no flag column", f)
    claims = []
    for i, cl in enumerate(data.get("claims", [])):
        check_keys(cl, _CLAIM_KEYS, label, f"claims[{i}]", required=("text", "label"))
        if cl["label"] not in _LABELS:
            raise SpecError(
                label, f"claims[{i}].label", "must be 'cited' or 'assumed'", cl["label"]
            )
        if cl["label"] == "cited" and not cl.get("source"):
            raise SpecError(label, f"claims[{i}].source", "a cited claim needs its source")
        claims.append(MappingProxyType(dict(cl)))
    rules = ProgrammeRules(
        label,
        MappingProxyType(dict(meta)),
        tuple(out),
        MappingProxyType(dict(assumptions)),
        MappingProxyType(columns),
        tuple(claims),
    )
    _check_band_groups(rules, data.get("band_groups", {}), label)
    return rules


def _check_band_groups(rules: ProgrammeRules, groups, label: str) -> None:
    """Optional: programmes whose score bands a file declares must not overlap."""
    for group, members in groups.items():
        for reading in rules.readings:
            ivs = []
            for m in members:
                try:
                    prog = rules.programme(m)
                except KeyError:
                    raise SpecError(
                        label, f"band_groups.{group}", "names an unknown programme", m
                    ) from None
                conds = prog.reading(reading)
                cols = {c.column for c in conds if isinstance(c.value, float)}
                for col in cols:
                    iv = _interval(conds, col)
                    if iv:
                        ivs.append((col, iv, m))
            for i, (ca, (a0, a1), ma) in enumerate(ivs):
                for cb, (b0, b1), mb in ivs[i + 1 :]:
                    if ca == cb and ma != mb and max(a0, b0) < min(a1, b1):
                        raise SpecError(
                            label,
                            f"band_groups.{group}",
                            f"bands overlap under reading '{reading}': {ma} {ca} "
                            f"[{a0:g}, {a1:g}) and {mb} [{b0:g}, {b1:g})",
                        )


def table2_checks(rules: ProgrammeRules) -> list[dict]:
    """Consistency checks of the published Table 2 rows, written over the rules' structure.

    For every programme: the three attendance cells sum to 100 within rounding (each printed to
    0.1, so within 0.15), or two cells are held (``hold``); each cell is reachable as a whole
    number of the suitable people (GRIM); the suitable count fits in the base.

    Returns
    -------
    list of dict
        ``id``, ``programme``, ``kind`` (``sum``, ``grim``, ``base``), ``ok`` (bool) and
        ``message``; the audit can turn each into a finding.
    """
    out = []
    for p in rules.programmes:
        cells = {
            "attended": p.attended_pct,
            "attended_other": p.attended_other_pct,
            "unmet": p.unmet_pct,
        }
        total = sum(cells.values())
        ok = abs(total - 100) <= 0.15 + 1e-9
        msg = f"{p.label}: cells sum to {total:.1f}%"
        if not ok:
            msg += (
                f"; {' and '.join(p.hold)} held (`hold`), the third absorbs the difference"
                if p.hold
                else "; declare `hold` (the two cells to keep)"
            )
        out.append(
            {
                "id": f"table2_sum.{p.name}",
                "programme": p.name,
                "kind": "sum",
                "ok": ok,
                "held": bool(p.hold),
                "message": msg,
            }
        )
        for cell, pct in cells.items():
            n = p.suitable
            k = round(n * pct / 100)
            reach = n == 0 or any(
                abs(100 * kk / n - pct) <= 0.05 + 1e-9 for kk in (k - 1, k, k + 1) if 0 <= kk <= n
            )
            out.append(
                {
                    "id": f"table2_grim.{p.name}.{cell}",
                    "programme": p.name,
                    "kind": "grim",
                    "ok": reach,
                    "held": False,
                    "message": f"{p.label} {cell} {pct:.1f}% of {n} "
                    + ("is a whole number of people" if reach else "is no whole number of people"),
                }
            )
        fits = p.suitable <= rules.base_n
        out.append(
            {
                "id": f"table2_base.{p.name}",
                "programme": p.name,
                "kind": "base",
                "ok": fits,
                "held": False,
                "message": f"{p.label}: {p.suitable} suitable of {rules.base_n}",
            }
        )
    return out


def programme_figures_describe(spec, rules: ProgrammeRules) -> tuple[bool, str]:
    """Whether the programme file's published figures (Table 2) describe the profile's people.

    Published figures are targets only for the population they were counted on. In order:

    1. ``meta.programme_figures`` in the profile decides when given (the user says so);
    2. a programme file naming no ``meta.document`` is the user's own and is taken to describe
       the census it is used with;
    3. otherwise the figures describe the profile's population when both files cite the same
       document (the same census);
    4. otherwise they are **not comparable** (different population): the programme columns
       are built with them only as non-binding guides and ``fidelity`` shows them unjudged.

    Returns
    -------
    (bool, str)
        Whether they are targets, and why (one sentence, for the report).
    """
    flag = spec.meta.get("programme_figures")
    if flag is not None:
        return bool(flag), (
            f"the profile says so (meta.programme_figures = {str(bool(flag)).lower()})"
        )
    doc_rules, doc_spec = rules.meta.get("document"), spec.meta.get("document")
    if doc_rules is None:
        return True, f"{rules.path} cites no document: taken to describe this census"
    if doc_spec == doc_rules:
        return True, f"the profile and {rules.path} cite the same document ({doc_rules})"
    return False, (
        f"not comparable (different population): {rules.path} counts {doc_rules}, the profile "
        f"describes {doc_spec}; set meta.programme_figures = true in the profile if they "
        "describe the same people"
    )


def check_columns(cohort: pd.DataFrame, rules: ProgrammeRules, reading: str = "default") -> None:
    """Raise :class:`SpecError` if a rule refers to a column the cohort lacks, or to a category
    its column does not have (the profile's categories: such a rule would hold for nobody)."""
    for p in rules.programmes:
        for c in (part for cond in p.reading(reading) for part in cond.parts):
            if c.column not in cohort.columns:
                raise SpecError(
                    rules.path,
                    f"programmes.{p.name}.criteria",
                    f"refers to column '{c.column}' that the cohort lacks; regenerate "
                    "the cohort with this toolkit version or fix the rule",
                    str(c),
                )
            dtype = cohort[c.column].dtype
            if isinstance(dtype, pd.CategoricalDtype) and isinstance(c.value, (str, tuple)):
                cats = [str(x) for x in dtype.categories]
                values = c.value if isinstance(c.value, tuple) else (c.value,)
                bad = [v for v in values if v not in cats]
                if bad:
                    raise SpecError(
                        rules.path,
                        f"programmes.{p.name}.criteria",
                        f"names category '{bad[0]}' of {c.column}, which the profile does not "
                        f"have; expected one of {', '.join(cats)}",
                        str(c),
                    )


def suitability(
    cohort: pd.DataFrame, rules: ProgrammeRules, reading: str = "default"
) -> pd.DataFrame:
    """Boolean suitability per programme (columns) for every person (rows).

    Parameters
    ----------
    cohort : pandas.DataFrame
    rules : ProgrammeRules
    reading : str
        ``default`` or an alternative reading's name (programmes without it use their default).
    """
    check_columns(cohort, rules, reading)
    out = {}
    for p in rules.programmes:
        ok = np.ones(len(cohort), dtype=bool)
        for c in p.reading(reading):
            ok &= c.evaluate(cohort)
        out[p.name] = ok
    return pd.DataFrame(out, index=cohort.index)


def base_mask(cohort: pd.DataFrame, rules: ProgrammeRules) -> np.ndarray:
    """The people Table 2 describes: standard recalls with sufficient OASys data."""
    pop = rules.meta.get("base_population", "standard")
    m = (cohort["population"] == pop).to_numpy()
    if rules.meta.get("base_requires") == "has_oasys":
        m = m & cohort["has_oasys"].to_numpy(dtype=bool)
    return m


def fitted_columns(rules: ProgrammeRules, conds) -> tuple[str, ...]:
    """Columns a reading reads that the profile does not publish (``[columns]``): the generator
    sets their shares so that the *default* readings give Table 2, so a count that rests on one
    is fitted, not predicted."""
    out = []
    for c in conds:
        for col in c.columns:
            if col in rules.columns and col not in out:
                out.append(col)
    return tuple(out)


def sensitivity_table(cohort: pd.DataFrame, rules: ProgrammeRules) -> pd.DataFrame:
    """Suitable and unmet counts in the Table 2 base under every reading, beside the published
    count.

    Each row carries the reading's label (``cited`` or ``assumed``) and note from the programme
    file, so an explicit reading that cannot meet the published count shows why beside its count;
    ``reading_kind`` says what the reading is against the footnote (:data:`READING_KINDS`),
    ``literal`` marks the footnote's literal reading, ``fitted_to_count`` names the unpublished
    columns it reads (built so the default readings meet Table 2), and ``unmet``/``unmet_pct``
    are those suitable who attended no accredited programme (Table 2's unmet need), as a count
    and a share of the suitable.
    """
    base = base_mask(cohort, rules)
    names = [f"attended_{p.name}" for p in rules.programmes]
    have_att = all(c in cohort.columns for c in (*names, "attended_other_programme"))
    if have_att:
        any_att = cohort[names].to_numpy(dtype=bool).any(axis=1) | cohort[
            "attended_other_programme"
        ].to_numpy(dtype=bool)
    rows = []
    for p in rules.programmes:
        for name, conds in (("default", p.criteria), *p.alternatives.items()):
            ok = base.copy()
            for c in conds:
                if any(col not in cohort.columns for col in c.columns):
                    ok[:] = False
                    break
                ok &= c.evaluate(cohort)
            note = p.notes.get(name, "")
            n_ok = int(ok.sum())
            unmet = int((ok & ~any_att).sum()) if have_att else None
            rows.append(
                {
                    "programme": p.name,
                    "reading": name,
                    "criteria": " and ".join(str(c) for c in conds),
                    "suitable": n_ok,
                    "published": p.suitable,
                    "difference": n_ok - p.suitable,
                    # cited or assumed, and why (incl. the constraint an explicit reading hits)
                    "label": note.split(":", 1)[0] if note else "",
                    "note": note.split(":", 1)[1].strip() if note else "",
                    "reading_kind": p.kinds.get(name, ""),
                    "literal": name == p.literal_reading,
                    "fitted_to_count": ", ".join(fitted_columns(rules, conds)),
                    "unmet": unmet,
                    "unmet_pct": (100 * unmet / n_ok) if unmet is not None and n_ok else None,
                }
            )
    return pd.DataFrame(rows)


def reading_summary(sens: pd.DataFrame, rules: ProgrammeRules) -> list[str]:
    """One sentence per programme: what its default is and how far the literal reading is.

    Parameters
    ----------
    sens : pandas.DataFrame
        :func:`sensitivity_table` of a cohort under ``rules``.
    """
    out = []
    d = sens.set_index(["programme", "reading"])
    for p in rules.programmes:
        kind = p.kinds.get("default", "")
        row = d.loc[(p.name, "default")]
        fitted = row["fitted_to_count"]
        text = f"{p.label}: the default is {KIND_TEXT.get(kind, 'unlabelled')}"
        if fitted:
            text += f"; its count rests on {fitted} (not published: built to meet Table 2)"
        lit = p.literal_reading
        if lit == "default":
            text += "; it is the footnote's literal reading"
        elif lit is not None:
            r = d.loc[(p.name, lit)]
            unmet = "" if pd.isna(r["unmet_pct"]) else f", {r['unmet_pct']:.1f}% unmet"
            text += (
                f"; the footnote's literal reading ({lit}) gives {int(r['suitable']):,} suitable"
                f"{unmet}, {int(r['difference']):+,} against the published {p.suitable:,}"
            )
        elif kind == "no_criteria":
            text += "; no literal reading (no criteria printed)"
        else:
            text += "; no literal reading (the footnote leaves a threshold or scope unprinted)"
        out.append(text + ".")
    return out


def score_bands(
    cohort: pd.DataFrame, rules: ProgrammeRules, column: str = "ovp_2yr"
) -> pd.DataFrame:
    """Shares of the Table 2 base in the bands of an unpublished score the rules read.

    The bands are cut at every threshold the readings use on ``column``. Such a score is built
    by the generator (``[columns]``: *assumed* shares before the Table 2 counts are imposed), so
    a reading that depends on its bands (e.g. high-intensity violence at OVP 60+) depends on
    this assumed distribution; the table shows it beside the claim.

    Returns
    -------
    pandas.DataFrame
        ``band``, ``people``, ``share_pct`` (of the base), ``share_pct_violent`` (of those with
        the index offence the violence readings name, when the cohort has the column),
        ``assumed_start_pct`` (the file's share before the counts are imposed) and ``label``.
    """
    spec = rules.columns.get(column)
    cuts = sorted(
        {
            float(part.value)
            for p in rules.programmes
            for conds in (p.criteria, *p.alternatives.values())
            for c in conds
            for part in c.parts
            if part.column == column and isinstance(part.value, float)
        }
    )
    lo, hi = spec.range if spec else (0.0, 100.0)
    edges = [lo, *[c for c in cuts if lo < c < hi], hi + 1e-9]
    base = base_mask(cohort, rules)
    x = cohort.loc[base, column].astype("float64")
    violent = None
    if "index_offence_group" in cohort.columns:
        violent = cohort.loc[base, "index_offence_group"].astype(str).isin(["violence", "robbery"])
    rows = []
    for a, b in zip(edges, edges[1:]):
        m = (x >= a) & (x < b)
        start = None
        if spec is not None:
            start = spec.share_at_least(a) - (spec.share_at_least(b) if b <= hi else 0.0)
        rows.append(
            {
                "band": f"{a:g}-{min(b, hi):g}" if b <= hi else f"{a:g}+",
                "people": int(m.sum()),
                "share_pct": 100 * float(m.mean()) if len(x) else float("nan"),
                "share_pct_violent": (
                    100 * float(m[violent].mean())
                    if violent is not None and violent.any()
                    else None
                ),
                "assumed_start_pct": start,
                "label": "assumed" if spec is not None else "published",
            }
        )
    return pd.DataFrame(rows)
