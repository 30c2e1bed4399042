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
from toolkit.datafiles import paper_file, read_toml
from toolkit.exceptions import SpecError

# What a reading is against its footnote: defined with the profile vocabulary (a module without
# pydantic), re-exported here where it was first defined.
from toolkit.profile.model import READING_KINDS  # noqa: F401

_PROGRAMME_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
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


def _column(label: str, name: str, blk) -> ColumnSpec:
    """``[columns.<name>]``: a score or flag column the generator builds (declared in
    :mod:`toolkit.profile.rules_tables`)."""
    from toolkit.declared import read_table
    from toolkit.profile import rules_tables as tables

    w = f"columns.{name}"
    kind = blk.get("kind") if isinstance(blk, dict) else None
    if not isinstance(blk, dict):
        raise SpecError(label, w, "must be a table")
    if kind not in ("score", "flag"):
        raise SpecError(label, f"{w}.kind", "must be 'score' or 'flag'", kind)
    tab = read_table(tables.ScoreColumn if kind == "score" else tables.FlagColumn, blk, label, w)
    rank_by = (tab.rank_by,) if isinstance(tab.rank_by, str) else tuple(tab.rank_by)
    if kind == "score":
        return ColumnSpec(
            name,
            kind,
            rank_by,
            rank_weight=float(tab.rank_weight),
            at_least=MappingProxyType({float(k): float(v) for k, v in tab.at_least.items()}),
            range=(float(tab.range[0]), float(tab.range[1])),
            reason=tab.reason,
        )
    return ColumnSpec(
        name,
        kind,
        rank_by,
        true_when=parse_conditions(label, f"{w}.true_when", tab.true_when, empty_ok=True),
        requires=parse_conditions(label, f"{w}.requires", tab.requires, empty_ok=True),
        implies=tuple(tab.implies),
        rate=float(tab.rate),
        reason=tab.reason,
    )


def _programme(label: str, name: str, raw: dict, base_n: int) -> Programme:
    """One ``[programmes.<name>]`` table, validated, with its conditions parsed."""
    from toolkit.declared import read_table
    from toolkit.profile import rules_tables as tables

    w = f"programmes.{name}"
    if not _PROGRAMME_NAME.match(name):
        raise SpecError(label, w, "programme names must be lower_snake_case", name)
    tab = read_table(tables.ProgrammeTable, raw, label, w, {"base_n": base_n})
    alts = {
        k: parse_conditions(label, f"{w}.alternatives.{k}", v, or_ok=True)
        for k, v in tab.alternatives.items()
    }
    return Programme(
        name=name,
        label=tab.label,
        criteria=parse_conditions(label, f"{w}.criteria", tab.criteria),
        alternatives=MappingProxyType(alts),
        suitable=tab.suitable,
        attended_pct=float(tab.attended_pct),
        attended_other_pct=float(tab.attended_other_pct),
        unmet_pct=float(tab.unmet_pct),
        hold=tuple(tab.hold),
        line=tab.line,
        quote=tab.quote,
        footnote=tab.footnote,
        assumed=tab.assumed,
        reason=tab.reason,
        notes=MappingProxyType(dict(tab.notes)),
        kinds=MappingProxyType(dict(tab.kinds)),
        offered_to=MappingProxyType({k: tuple(v) for k, v in tab.offered_to.items()}),
        offered_note=tab.offered_note,
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
    # the declared tables import pydantic: only when a file is validated (not at import)
    from toolkit.declared import read_table
    from toolkit.profile import rules_tables as tables

    data, label = read_toml(path, "recall_process_experience", "programmes.toml")
    f = read_table(tables.RulesFile, data, label)
    out = tuple(_programme(label, k, v, f.meta.base_n) for k, v in f.programmes.items())
    assumptions = data.get("assumptions", {})
    if f.columns is not None:
        read_table(tables.RulesAssumptions, assumptions, label, "assumptions")
        columns = {k: _column(label, k, v) for k, v in f.columns.items()}
    else:  # the first format: columns are the shipped ones with this file's assumptions
        read_table(tables.LegacyAssumptions, assumptions, label, "assumptions")
        columns = _legacy_columns(assumptions)
    for c in columns.values():
        for flag in c.implies:
            if flag not in columns or columns[flag].kind != "flag":
                raise SpecError(label, f"columns.{c.name}.implies", "names no flag column", flag)
    rules = ProgrammeRules(
        label,
        MappingProxyType(dict(data["meta"])),
        out,
        MappingProxyType(dict(assumptions)),
        MappingProxyType(columns),
        tuple(MappingProxyType(dict(cl)) for cl in data.get("claims", [])),
    )
    _check_band_groups(rules, f.band_groups, label)
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
