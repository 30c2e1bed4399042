"""Accredited programme suitability rules as data (``papers/<source>/programmes.toml``).

A rule is a list of conditions ``"<column> <op> <value>"`` that must all hold. Each programme
has a default reading (``criteria``) and named alternative readings; :func:`suitability`
applies one reading to a cohort, :func:`sensitivity_table` shows how suitable counts move across
readings.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from toolkit.datafiles import check_keys, paper_file, read_toml
from toolkit.exceptions import SpecError

OPS = {
    "==": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
}
_COND = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s*(==|!=|>=|<=|>|<)\s*(\S+)\s*$")
#: ``<column> in a,b,c``: the value is one of the listed categories.
_IN = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s+in\s+([A-Za-z0-9_]+(?:,[A-Za-z0-9_]+)*)\s*$")
#: Columns on a 0-100 percent scale and on the 0-2 item scale, for range checks.
PERCENT_COLUMNS = ("ogrs3_1yr", "ogrs3_2yr", "ogrs4v_2yr", "osp_2yr", "rsr_2yr", "ovp_2yr")


@dataclass(frozen=True)
class Condition:
    """One condition of a rule, e.g. ``ogrs3_2yr >= 25`` or ``index_offence_group in a,b``."""

    column: str
    op: str
    value: object

    def __str__(self) -> str:
        if isinstance(self.value, bool):
            v = str(self.value).lower()
        elif isinstance(self.value, float):
            v = f"{self.value:g}"
        elif isinstance(self.value, tuple):
            v = ",".join(self.value)
        else:
            v = self.value
        return f"{self.column} {self.op} {v}"

    def evaluate(self, df: pd.DataFrame) -> np.ndarray:
        """Boolean array; missing values never satisfy a condition."""
        s = df[self.column]
        if isinstance(s.dtype, pd.CategoricalDtype) and isinstance(self.value, (str, tuple)):
            # compare codes, not strings: fast on a million rows
            values = self.value if isinstance(self.value, tuple) else (self.value,)
            cats = s.cat.categories
            codes = s.cat.codes.to_numpy()
            hit = np.isin(codes, [cats.get_loc(v) for v in values if v in cats])
            return ~hit & (codes >= 0) if self.op == "!=" else hit
        if self.op == "in":
            res = s.astype("string").isin(self.value)
            return (
                pd.array(res, dtype="boolean").fillna(False).to_numpy(dtype=bool)
                & s.notna().to_numpy()
            )
        if isinstance(self.value, bool):
            arr = s.astype("boolean")
            res = OPS[self.op](arr, self.value)
        elif isinstance(self.value, str):
            res = OPS[self.op](s.astype("string"), self.value)
        else:
            res = OPS[self.op](s.astype("float64"), float(self.value))
        return pd.array(res, dtype="boolean").fillna(False).to_numpy(dtype=bool)


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


def _parse_value(text: str):
    if text in ("true", "false"):
        return text == "true"
    try:
        return float(text)
    except ValueError:
        return text


def _parse_conditions(label: str, key: str, items, *, empty_ok: bool = False):
    if not isinstance(items, list) or (not items and not empty_ok):
        raise SpecError(
            label, key, "must be a non-empty list of conditions like 'ogrs3_2yr >= 25'", items
        )
    out = []
    for i, text in enumerate(items):
        m_in = _IN.match(text) if isinstance(text, str) else None
        if m_in:
            out.append(Condition(m_in.group(1), "in", tuple(m_in.group(2).split(","))))
            continue
        m = _COND.match(text) if isinstance(text, str) else None
        if not m:
            raise SpecError(
                label,
                f"{key}[{i}]",
                "must look like '<column> <op> <value>' with op one of == != >= > <= < "
                "(or '<column> in a,b')",
                text,
            )
        col, op, raw = m.groups()
        value = _parse_value(raw)
        if isinstance(value, float):
            lo, hi = (
                (0, 100)
                if col in PERCENT_COLUMNS
                else (0, 2)
                if col.startswith("need_")
                else (-np.inf, np.inf)
            )
            if not lo <= value <= hi:
                raise SpecError(
                    label, f"{key}[{i}]", f"threshold for {col} must lie in [{lo}, {hi}]", value
                )
        if isinstance(value, (bool, str)) and op not in ("==", "!="):
            raise SpecError(
                label, f"{key}[{i}]", "can only use == or != with true/false or a category", text
            )
        out.append(Condition(col, op, value))
    return tuple(out)


def _interval(conds: tuple[Condition, ...], column: str) -> tuple[float, float] | None:
    lo, hi, seen = -np.inf, np.inf, False
    for c in conds:
        if c.column != column or not isinstance(c.value, float):
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
        true_when=_parse_conditions(
            label, f"{w}.true_when", blk.get("true_when", []), empty_ok=True
        ),
        requires=_parse_conditions(label, f"{w}.requires", blk.get("requires", []), empty_ok=True),
        implies=tuple(implies),
        rate=_number(label, f"{w}.rate", blk.get("rate", 0.0), 0, 1, "a share in [0, 1]"),
        reason=str(blk.get("reason", "")),
    )


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
            k: _parse_conditions(label, f"{w}.alternatives.{k}", v)
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
        out.append(
            Programme(
                name=name,
                label=blk["label"],
                criteria=_parse_conditions(label, f"{w}.criteria", blk["criteria"]),
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
        for c in p.reading(reading):
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


def sensitivity_table(cohort: pd.DataFrame, rules: ProgrammeRules) -> pd.DataFrame:
    """Suitable counts in the Table 2 base under every reading, beside the published count.

    Each row carries the reading's label (``cited`` or ``assumed``) and note from the programme
    file, so an explicit reading that cannot meet the published count shows why beside its count.
    """
    base = base_mask(cohort, rules)
    rows = []
    for p in rules.programmes:
        for name, conds in (("default", p.criteria), *p.alternatives.items()):
            ok = base.copy()
            for c in conds:
                if c.column not in cohort.columns:
                    ok[:] = False
                    break
                ok &= c.evaluate(cohort)
            note = p.notes.get(name, "")
            rows.append(
                {
                    "programme": p.name,
                    "reading": name,
                    "criteria": " and ".join(str(c) for c in conds),
                    "suitable": int(ok.sum()),
                    "published": p.suitable,
                    "difference": int(ok.sum()) - p.suitable,
                    # cited or assumed, and why (incl. the constraint an explicit reading hits)
                    "label": note.split(":", 1)[0] if note else "",
                    "note": note.split(":", 1)[1].strip() if note else "",
                }
            )
    return pd.DataFrame(rows)
