"""Resettlement pathway needs and Through the Gate service levels (rules as data).

Follows the TTG minimum specification (``papers/ttg_minimum_specification/pathways.toml``):

* Level 1 applies to everyone; Level 2 to anyone with an identified need on the pathway; Level 3
  to anyone with a need *and* additional complexity or vulnerability. For Employment, Training
  and Education and for Finance, Benefits and Debt, Levels 2 and 3 are one combined level
  (footnote 2): those rows report ``level_2_3`` and leave ``level_2_only``/``level_3`` empty.
* A pathway's need is read from *every* item it covers that the cohort carries (any one is a
  need); items it covers that the cohort lacks are listed in ``missing_items`` (the need is then
  a lower bound, or not estimable when no item is held).
* TTG Supporting Activity (section 7) and the extra support for victims of domestic abuse and for
  sex workers (section 8) are rows of their own, estimated where the cohort has the information
  and listed as not estimable (with the missing item) where it does not.
* Which people count as complex is a reading (``default``: recalled prisoners are a complex
  cohort; ``person_only``: complexity must come from the person); both are reported side by
  side as ``level_2_only_<reading>`` / ``level_3_<reading>``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.conditions import Condition, parse_conditions
from toolkit.datafiles import read_toml
from toolkit.declared import read_table
from toolkit.exceptions import UsageError
from toolkit.needs import pathway_tables as tables
from toolkit.results import ResultMixin

#: Complexity flags computed here rather than from ``[groups]``.
BUILTIN_FLAGS = tables.BUILTIN_FLAGS
YOUNG_ADULT_DEFINITIONS = ("default", "alternative")


@dataclass(frozen=True, kw_only=True)
class SourcedItem:
    """An item of the specification: its name and label, where the document says it (line
    and quote) and, where the reading is ours, why (``assumed``)."""

    name: str
    label: str
    line: int = 0
    quote: str = ""
    assumed: str = ""


@dataclass(frozen=True, kw_only=True)
class Pathway(SourcedItem):
    """One resettlement pathway (or extra-support cohort) and how its need is read."""

    need: tuple[Condition, ...]
    significant: tuple[Condition, ...]
    combined_levels: bool = False
    missing_items: tuple[str, ...] = ()

    @property
    def estimable(self) -> bool:
        """Whether the cohort holds any item the pathway covers."""
        return bool(self.need)


@dataclass(frozen=True, kw_only=True)
class Group(SourcedItem):
    """A group that can raise Level 3: any of ``any`` holds, or all of ``all``."""

    any: tuple[Condition, ...]
    all: tuple[Condition, ...]
    alternative_all: tuple[Condition, ...] = ()
    alternative_label: str = ""


@dataclass(frozen=True)
class PathwayRules:
    """Validated pathway rules (frozen)."""

    path: str
    pathways: tuple[Pathway, ...]
    complexity: Mapping
    groups: Mapping[str, Group]
    supporting: Mapping
    extra_support: tuple[Pathway, ...]
    meta: Mapping

    @property
    def readings(self) -> tuple[str, ...]:
        return ("default", *self.complexity.get("alternatives", {}))

    def flags(self, reading: str) -> list[str]:
        """The complexity flags of a reading."""
        if reading == "default":
            return list(self.complexity.get("default", []))
        return list(self.complexity["alternatives"][reading])


def _conds(label, key, items) -> tuple[Condition, ...]:
    return parse_conditions(label, key, items) if items else ()


def _item(cls, label: str, where: str, name: str, tab, conditions: dict[str, str], **more):
    """A :class:`Pathway` or :class:`Group` from its validated table: the sourced fields, the
    conditions (``{attribute: key}``) parsed in the condition language, and ``more``."""
    conds = {a: _conds(label, f"{where}.{k}", getattr(tab, k)) for a, k in conditions.items()}
    return cls(
        name=name,
        label=tab.label,
        line=tab.line,
        quote=tab.quote,
        assumed=tab.assumed,
        **conds,
        **more,
    )


def _pathway(label: str, where: str, name: str, raw: dict) -> Pathway:
    """One ``[pathways.<name>]`` or ``[extra_support.<name>]`` table, read against
    :class:`~toolkit.needs.pathway_tables.PathwayTable`, with its conditions parsed."""
    tab = read_table(tables.PathwayTable, raw, label, where)
    conditions = {"need": "need_any", "significant": "significant_any"}
    return _item(
        Pathway,
        label,
        where,
        name,
        tab,
        conditions,
        combined_levels=tab.combined_levels,
        missing_items=tuple(tab.missing_items),
    )


def _group(label: str, name: str, raw: dict) -> Group:
    """One ``[groups.<name>]`` table, read against
    :class:`~toolkit.needs.pathway_tables.GroupTable`, with its conditions parsed."""
    where = f"groups.{name}"
    tab = read_table(tables.GroupTable, raw, label, where)
    conditions = {k: k for k in ("any", "all", "alternative_all")}
    return _item(
        Group, label, where, name, tab, conditions, alternative_label=tab.alternative_label
    )


def load_pathway_rules(path: str | Path | None = None) -> PathwayRules:
    """Load and validate the pathway rules (default: the shipped TTG rules).

    The tables are declared in :mod:`toolkit.needs.pathway_tables`.

    Raises
    ------
    SpecError
        Naming the file, key and value: unknown keys (with the nearest known key), missing keys,
        values of the wrong type, malformed conditions, unknown complexity flags or groups, a
        non-estimable pathway that does not name its missing item.

    Examples
    --------
    >>> rules = load_pathway_rules()
    >>> [p.name for p in rules.pathways if p.combined_levels]
    ['employment_training_education', 'finance_benefits_debt']
    """
    data, label = read_toml(path, "ttg_minimum_specification", "pathways.toml")
    f = read_table(tables.PathwaysFile, data, label)
    out = tuple(_pathway(label, f"pathways.{k}", k, v) for k, v in f.pathways.items())
    groups = {k: _group(label, k, v) for k, v in f.groups.items()}
    extra = tuple(_pathway(label, f"extra_support.{k}", k, v) for k, v in f.extra_support.items())
    # complexity, supporting activity and meta are kept as the file gives them (the report
    # reads their notes); the declared tables have checked them
    return PathwayRules(
        label,
        out,
        data["complexity"],
        groups,
        data.get("supporting_activity", {}),
        extra,
        data.get("meta", {}),
    )


def _check_columns(conds, df) -> None:
    for c in conds:
        if c.column not in df.columns:
            raise UsageError(f"pathway rule refers to column '{c.column}' that the cohort lacks")


def _any(conds, df) -> np.ndarray:
    _check_columns(conds, df)
    ok = np.zeros(len(df), dtype=bool)
    for c in conds:
        ok |= c.evaluate(df)
    return ok


def _all(conds, df) -> np.ndarray:
    _check_columns(conds, df)
    ok = np.ones(len(df), dtype=bool)
    for c in conds:
        ok &= c.evaluate(df)
    return ok


def group_flags(
    cohort: pd.DataFrame, rules: PathwayRules, young_adult: str = "default"
) -> dict[str, np.ndarray]:
    """Membership of every group in ``[groups]`` plus ``recalled`` (boolean per person).

    ``young_adult="alternative"`` uses each group's ``alternative_all`` where it has one (the
    18-20 definition of young adult men).
    """
    if young_adult not in YOUNG_ADULT_DEFINITIONS:
        raise UsageError(f"young_adult must be 'default' or 'alternative'; got {young_adult!r}")
    out = {"recalled": cohort["recall_type"].notna().to_numpy()}
    for name, g in rules.groups.items():
        conds_all = (
            g.alternative_all if young_adult == "alternative" and g.alternative_all else g.all
        )
        m = np.ones(len(cohort), dtype=bool)
        if g.any:
            m &= _any(g.any, cohort)
        if conds_all:
            m &= _all(conds_all, cohort)
        out[name] = m
    return out


def _indicators(cohort, rules, young_adult="default"):
    """Need, complexity per reading, and the supporting-activity level-3 mask."""
    has = cohort["has_oasys"].to_numpy(dtype=bool)
    flags = group_flags(cohort, rules, young_adult)
    need = {
        pw.name: (_any(pw.need, cohort) & has) if pw.estimable else None for pw in rules.pathways
    }
    sig = {
        pw.name: _any(pw.significant, cohort) & has if pw.significant else None
        for pw in rules.pathways
    }
    complex_by = {}
    for r in rules.readings:
        base = np.zeros(len(cohort), dtype=bool)
        for f in rules.flags(r):
            if f in flags:
                base |= flags[f]
        complex_by[r] = (base, "significant_need" in rules.flags(r))
    return has, flags, need, sig, complex_by


def pathway_levels(
    cohort: pd.DataFrame,
    rules: PathwayRules | None = None,
    reading: str = "default",
    by: Sequence[str] | None = None,
    young_adult: str = "default",
) -> pd.DataFrame:
    """People at each service level of each resettlement pathway, supporting activity and
    extra-support cohort.

    Parameters
    ----------
    cohort : pandas.DataFrame
        People with OASys data are assessed; others count at Level 1 only.
    rules : PathwayRules, optional
    reading : str
        Complexity reading behind ``level_2_only`` / ``level_3``: ``default`` (recalled
        prisoners are a complex cohort) or an alternative; every reading is also reported in
        ``level_2_only_<reading>`` / ``level_3_<reading>``.
    by : list of str, optional
        Cohort columns to split by (e.g. ``population``).
    young_adult : {"default", "alternative"}
        Young-adult definition (18-25 as the specification says, or 18-20 as the Better
        Outcomes document says).

    Returns
    -------
    pandas.DataFrame
        One row per pathway (x subgroup): ``kind`` (pathway, supporting_activity,
        extra_support), ``n``, ``level_1``, ``need``, ``level_2_only``, ``level_3``,
        ``level_2_3`` (combined pathways), the side-by-side reading columns, ``need_pct``,
        ``level_2_only_pct``, ``level_3_pct``, ``combined_levels``, ``estimable``,
        ``items_read`` and ``missing_items``. Counts the cohort cannot give are missing (NaN),
        never zero.
    """
    rules = load_pathway_rules() if rules is None else rules
    if reading not in rules.readings:
        raise UsageError(f"unknown reading {reading!r}; expected one of {rules.readings}")
    keys = [cohort[b].astype(str) for b in by] if by else None
    groups = cohort.groupby(keys, observed=True).indices if by else {(): np.arange(len(cohort))}
    rows = [
        _level_row(spec, g, idx, by, rules.readings, reading)
        for spec in _row_specs(cohort, rules, young_adult)
        for g, idx in groups.items()
    ]
    out = pd.DataFrame(rows)
    for c in ("need", "level_2_only", "level_3", "level_2_3"):
        out[f"{c}_pct"] = 100 * out[c].astype(float) / out["n"].where(out["n"] > 0)
    return out


@dataclass(frozen=True)
class _RowSpec:
    """One row kind of :func:`pathway_levels`: who has the need, and who is at Level 3 under
    each reading (None where the cohort cannot say)."""

    name: str
    label: str
    kind: str  # pathway, supporting_activity or extra_support
    need: np.ndarray | None
    level_3: dict[str, np.ndarray] | None
    combined: bool
    items: str
    missing: str


def _level_3(complex_by, need_mask, sig_mask=None, name_flags=None) -> dict[str, np.ndarray]:
    """{reading: Level 3 mask} for a need mask: complexity from the reading's flags (plus a
    significant need where the reading counts it), or from ``name_flags`` when given."""
    out = {}
    for r, (cx, use_sig) in complex_by.items():
        c = cx if name_flags is None else name_flags
        if use_sig and sig_mask is not None and name_flags is None:
            c = c | sig_mask
        out[r] = need_mask & c
    return out


def _row_specs(cohort, rules, young_adult) -> list[_RowSpec]:
    """The rows' kinds: the pathways, then supporting activity, then extra support."""
    has, flags, need, sig, complex_by = _indicators(cohort, rules, young_adult)
    specs = []
    for pw in rules.pathways:
        n_mask = need[pw.name]
        specs.append(
            _RowSpec(
                pw.name,
                pw.label,
                "pathway",
                n_mask,
                _level_3(complex_by, n_mask, sig[pw.name]) if n_mask is not None else None,
                pw.combined_levels,
                "; ".join(str(c) for c in pw.need),
                "; ".join(pw.missing_items),
            )
        )
    if rules.supporting:
        sup = rules.supporting
        est = [need[p.name] for p in rules.pathways if need[p.name] is not None]
        any_need = np.logical_or.reduce(est) if est else None
        grp = np.zeros(len(cohort), dtype=bool)
        for g in sup["level_3_groups"]:
            grp |= flags[g]
        specs.append(
            _RowSpec(
                "supporting_activity",
                sup["label"],
                "supporting_activity",
                any_need,
                _level_3(complex_by, any_need, None, grp) if any_need is not None else None,
                False,
                "need on any pathway; level 3 groups: " + ", ".join(sup["level_3_groups"]),
                "; ".join(f"{k} ({v})" for k, v in sup.get("not_held", {}).items()),
            )
        )
    for ex in rules.extra_support:
        specs.append(
            _RowSpec(
                ex.name,
                ex.label,
                "extra_support",
                (_any(ex.need, cohort) & has) if ex.estimable else None,
                None,
                False,
                "; ".join(str(c) for c in ex.need),
                "; ".join(ex.missing_items),
            )
        )
    return specs


def _level_row(spec: _RowSpec, g, idx, by, readings, reading) -> dict:
    """One row of :func:`pathway_levels`: a row kind in one subgroup (``idx``: its people).
    Counts the cohort cannot give are NaN, never zero."""
    nan = float("nan")
    row = dict(zip(by or [], g if isinstance(g, tuple) else (g,)))
    n = len(idx)
    row.update({"pathway": spec.name, "label": spec.label, "kind": spec.kind, "n": n})
    row["level_1"] = n
    if spec.need is None:
        row.update({"need": nan, "level_2_only": nan, "level_3": nan, "level_2_3": nan})
        for r in readings:
            row[f"level_2_only_{r}"] = row[f"level_3_{r}"] = nan
    else:
        k = int(spec.need[idx].sum())
        row["need"] = k
        for r in readings:
            k3 = int(spec.level_3[r][idx].sum()) if spec.level_3 is not None else nan
            row[f"level_2_only_{r}"] = nan if spec.combined else k - k3
            row[f"level_3_{r}"] = nan if spec.combined else k3
        row["level_2_only"] = row[f"level_2_only_{reading}"]
        row["level_3"] = row[f"level_3_{reading}"]
        row["level_2_3"] = k if spec.combined else nan
    row.update(
        {
            "combined_levels": spec.combined,
            "estimable": spec.need is not None,
            "items_read": spec.items,
            "missing_items": spec.missing,
        }
    )
    return row


@dataclass(frozen=True)
class TTGReport(ResultMixin):
    """Through the Gate levels under both complexity readings, groups, and what is not known.

    Attributes
    ----------
    table : pandas.DataFrame
        :func:`pathway_levels` for the chosen reading (every reading side by side).
    groups : pandas.DataFrame
        Each complexity group: ``held`` (the cohort has it), ``n`` people, ``pct``, and
        ``missing_item`` for groups the cohort does not hold; young adult men under both
        definitions.
    notes : tuple of str
        The date mismatch and the young-adult definition conflict, stated.
    reading : str
    """

    table: pd.DataFrame
    groups: pd.DataFrame
    notes: tuple[str, ...]
    reading: str

    #: drawn by :func:`toolkit.report.plots.plot_pathway_levels`
    _plot = "plot_pathway_levels"

    def to_frame(self) -> pd.DataFrame:
        """The levels table, one row per pathway (a copy)."""
        return self.table.copy()

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return {
            "reading": self.reading,
            "table": json.loads(self.table.to_json(orient="records")),
            "groups": json.loads(self.groups.to_json(orient="records")),
            "notes": list(self.notes),
        }

    def render(self) -> str:
        """Readable tables for the terminal."""
        readings = [
            c.removeprefix("level_3_")
            for c in self.table.columns
            if c.startswith("level_3_") and not c.endswith("_pct")
        ]
        cols = ["label", "n", "need", "level_2_3"]
        for r in readings:
            cols += [f"level_2_only_{r}", f"level_3_{r}"]
        t = self.table[cols].copy()
        t.columns = [
            "pathway",
            "n",
            "need",
            "L2+3 combined",
            *(f"{lv} ({r})" for r in readings for lv in ("L2 only", "L3")),
        ]
        missing = self.table.loc[self.table["missing_items"] != "", ["label", "missing_items"]]
        return "\n".join(
            [
                "Through the Gate levels (complexity readings side by side; NaN = not estimable "
                "or, for combined pathways, not separated)",
                t.to_string(index=False),
                "",
                "Items the specification covers that the cohort lacks (need is a lower bound or "
                "not estimable):",
                missing.to_string(index=False, header=False),
                "",
                "Complexity groups",
                self.groups.round(1).to_string(index=False),
                "",
                *(f"Note: {n}" for n in self.notes),
            ]
        )


def ttg_report(
    cohort: pd.DataFrame,
    rules: PathwayRules | None = None,
    reading: str = "default",
    by: Sequence[str] | None = None,
) -> TTGReport:
    """Levels under every complexity reading, the groups behind Level 3, and stated caveats."""
    rules = load_pathway_rules() if rules is None else rules
    table = pathway_levels(cohort, rules, reading=reading, by=by)
    flags = group_flags(cohort, rules)
    alt = group_flags(cohort, rules, "alternative")
    n = len(cohort)
    rows = []
    for name, g in rules.groups.items():
        k = int(flags[name].sum())
        rows.append(
            {
                "group": name,
                "label": g.label,
                "held": True,
                "n": k,
                "pct": 100 * k / n if n else np.nan,
                "missing_item": "",
            }
        )
        if g.alternative_all:
            k2 = int(alt[name].sum())
            rows.append(
                {
                    "group": f"{name}_alternative",
                    "label": g.alternative_label,
                    "held": True,
                    "n": k2,
                    "pct": 100 * k2 / n if n else np.nan,
                    "missing_item": "",
                }
            )
    not_held = {**rules.complexity.get("not_held", {}), **rules.supporting.get("not_held", {})}
    for name, item in not_held.items():
        rows.append(
            {
                "group": name,
                "label": name.replace("_", " "),
                "held": False,
                "n": np.nan,
                "pct": np.nan,
                "missing_item": item,
            }
        )
    notes = []
    if rules.meta.get("date_note"):
        notes.append(str(rules.meta["date_note"]))
    for g in rules.groups.values():
        if g.alternative_all and g.assumed:
            notes.append(f"{g.label} vs {g.alternative_label}: {g.assumed}")
    if "recalled" in rules.flags("default"):
        notes.append(
            "Under the default reading every recalled person with a need is Level 3 (recalled "
            "prisoners are named as a complex cohort), so Level 2 only is empty for a recalled "
            "cohort; the person_only reading shows the split the specification's other groups give."
        )
    return TTGReport(table, pd.DataFrame(rows), tuple(notes), reading)
