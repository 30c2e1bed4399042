"""Accredited programme suitability rules as data (``papers/<source>/programmes.toml``).

A rule is a list of conditions ``"<column> <op> <value>"`` that must all hold. Each programme
has a default reading (``criteria``) and named alternative readings; :func:`suitability`
applies one reading to a cohort, :func:`sensitivity_table` shows how suitable counts move across
readings.
"""

from __future__ import annotations

import operator
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from toolkit.datafiles import paper_file, read_toml
from toolkit.exceptions import SpecError

if sys.version_info >= (3, 11):
    pass
else:  # pragma: no cover
    pass

OPS = {
    "==": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
}
_COND = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s*(==|!=|>=|<=|>|<)\s*(\S+)\s*$")
#: Columns on a 0-100 percent scale and on the 0-2 item scale, for range checks.
PERCENT_COLUMNS = ("ogrs3_1yr", "ogrs3_2yr", "ogrs4v_2yr", "osp_2yr", "rsr_2yr", "ovp_2yr")


@dataclass(frozen=True)
class Condition:
    """One condition of a rule, e.g. ``ogrs3_2yr >= 25``."""

    column: str
    op: str
    value: object

    def __str__(self) -> str:
        if isinstance(self.value, bool):
            v = str(self.value).lower()
        elif isinstance(self.value, float):
            v = f"{self.value:g}"
        else:
            v = self.value
        return f"{self.column} {self.op} {v}"

    def evaluate(self, df: pd.DataFrame) -> np.ndarray:
        """Boolean array; missing values never satisfy a condition."""
        s = df[self.column]
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

    def reading(self, name: str = "default") -> tuple[Condition, ...]:
        """Conditions of a reading (``default`` or one of ``alternatives``)."""
        if name == "default":
            return self.criteria
        return self.alternatives.get(name, self.criteria)


@dataclass(frozen=True)
class ProgrammeRules:
    """Validated programme rules (frozen)."""

    path: str
    meta: Mapping[str, object]
    programmes: tuple[Programme, ...]
    assumptions: Mapping[str, object]

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


def _parse_conditions(label: str, key: str, items) -> tuple[Condition, ...]:
    if not isinstance(items, list) or not items:
        raise SpecError(
            label, key, "must be a non-empty list of conditions like 'ogrs3_2yr >= 25'", items
        )
    out = []
    for i, text in enumerate(items):
        m = _COND.match(text) if isinstance(text, str) else None
        if not m:
            raise SpecError(
                label,
                f"{key}[{i}]",
                "must look like '<column> <op> <value>' with op one of == != >= > <= <",
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
        Naming the file, key and value: malformed conditions, thresholds out of range,
        overlapping bands, missing fields, percentages outside 0-100.

    Examples
    --------
    >>> rules = load_programme_rules()
    >>> [str(c) for c in rules.programme("cognitive_skills").criteria]
    ['acquisitive_history == false', 'ogrs3_2yr >= 25']
    """
    data, label = read_toml(path, "recall_process_experience", "programmes.toml")
    progs = data.get("programmes")
    if not isinstance(progs, dict) or not progs:
        raise SpecError(label, "programmes", "must be a table of programmes")
    out = []
    for name, blk in progs.items():
        w = f"programmes.{name}"
        for key in (
            "label",
            "criteria",
            "suitable",
            "attended_pct",
            "attended_other_pct",
            "unmet_pct",
            "assumed",
            "reason",
        ):
            if key not in blk:
                raise SpecError(label, f"{w}.{key}", "is required")
        for key in ("attended_pct", "attended_other_pct", "unmet_pct"):
            v = blk[key]
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not 0 <= v <= 100:
                raise SpecError(label, f"{w}.{key}", "must be a percentage 0-100", v)
        s = blk["suitable"]
        if not isinstance(s, int) or isinstance(s, bool) or s < 0:
            raise SpecError(label, f"{w}.suitable", "must be a non-negative whole number", s)
        hold = tuple(blk.get("hold", ()))
        if hold and (len(hold) != 2 or not set(hold) <= {"attended", "attended_other", "unmet"}):
            raise SpecError(
                label, f"{w}.hold", "must name two of attended, attended_other, unmet", list(hold)
            )
        alts = {
            k: _parse_conditions(label, f"{w}.alternatives.{k}", v)
            for k, v in blk.get("alternatives", {}).items()
        }
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
            )
        )
    rules = ProgrammeRules(
        label,
        MappingProxyType(dict(data.get("meta", {}))),
        tuple(out),
        MappingProxyType(dict(data.get("assumptions", {}))),
    )
    for group, members in data.get("band_groups", {}).items():
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
    return rules


def check_columns(cohort: pd.DataFrame, rules: ProgrammeRules, reading: str = "default") -> None:
    """Raise :class:`SpecError` if a rule refers to a column the cohort lacks."""
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
    """Suitable counts in the Table 2 base under every reading, beside the published count."""
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
            rows.append(
                {
                    "programme": p.name,
                    "reading": name,
                    "criteria": " and ".join(str(c) for c in conds),
                    "suitable": int(ok.sum()),
                    "published": p.suitable,
                    "difference": int(ok.sum()) - p.suitable,
                }
            )
    return pd.DataFrame(rows)
