"""Resettlement pathway needs and Through the Gate service levels (rules as data).

Level 1 applies to everyone; Level 2 to anyone with an identified need on the pathway; Level 3
to anyone with a need *and* additional complexity or vulnerability. Which cohorts count as
complex is a reading of the specification (``papers/ttg_minimum_specification/pathways.toml``);
:func:`pathway_levels` takes the default or an alternative reading.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.datafiles import read_toml
from toolkit.exceptions import SpecError, UsageError
from toolkit.profile.rules import Condition, _parse_conditions

if sys.version_info >= (3, 11):
    pass
else:  # pragma: no cover
    pass

COMPLEXITY_FLAGS = ("recalled", "female", "young_adult_male", "bame", "significant_need")


@dataclass(frozen=True)
class Pathway:
    name: str
    label: str
    need: tuple[Condition, ...]
    significant: tuple[Condition, ...]
    assumed: str


@dataclass(frozen=True)
class PathwayRules:
    path: str
    pathways: tuple[Pathway, ...]
    complexity: dict

    @property
    def readings(self) -> tuple[str, ...]:
        return ("default", *self.complexity.get("alternatives", {}))


def load_pathway_rules(path: str | Path | None = None) -> PathwayRules:
    """Load and validate the pathway rules (default: the shipped TTG rules)."""
    data, label = read_toml(path, "ttg_minimum_specification", "pathways.toml")
    out = []
    for name, blk in data.get("pathways", {}).items():
        w = f"pathways.{name}"
        need = _parse_conditions(label, f"{w}.need", blk["need"]) if blk.get("need") else ()
        sig = (
            _parse_conditions(label, f"{w}.significant", blk["significant"])
            if blk.get("significant")
            else ()
        )
        out.append(Pathway(name, blk.get("label", name), need, sig, blk.get("assumed", "")))
    comp = data.get("complexity", {})
    for key, flags in [
        ("default", comp.get("default", [])),
        *((f"alternatives.{k}", v) for k, v in comp.get("alternatives", {}).items()),
    ]:
        bad = [f for f in flags if f not in COMPLEXITY_FLAGS]
        if bad:
            raise SpecError(
                label,
                f"complexity.{key}",
                "names an unknown complexity flag "
                f"(expected some of {', '.join(COMPLEXITY_FLAGS)})",
                bad[0],
            )
    if not out:
        raise SpecError(label, "pathways", "must define at least one pathway")
    return PathwayRules(label, tuple(out), comp)


def _all(conds, df) -> np.ndarray:
    ok = np.ones(len(df), dtype=bool)
    for c in conds:
        if c.column not in df.columns:
            raise UsageError(f"pathway rule refers to column '{c.column}' that the cohort lacks")
        ok &= c.evaluate(df)
    return ok


def pathway_levels(
    cohort: pd.DataFrame,
    rules: PathwayRules | None = None,
    reading: str = "default",
    by: list[str] | None = None,
) -> pd.DataFrame:
    """People at each service level of each resettlement pathway.

    Parameters
    ----------
    cohort : pandas.DataFrame
        People with OASys data are assessed; others count at Level 1 only.
    rules : PathwayRules, optional
    reading : str
        ``default`` (recalled prisoners are a complex cohort) or an alternative.
    by : list of str, optional
        Cohort columns to split by (e.g. ``population``).

    Returns
    -------
    pandas.DataFrame
        One row per pathway (x subgroup): ``n``, ``level_1``, ``level_2_only``, ``level_3``,
        ``need`` and their shares; missing where the cohort cannot say (no items).
    """
    rules = load_pathway_rules() if rules is None else rules
    if reading not in rules.readings:
        raise UsageError(f"unknown reading {reading!r}; expected one of {rules.readings}")
    flags = (
        rules.complexity.get("default", [])
        if reading == "default"
        else rules.complexity["alternatives"][reading]
    )
    has = cohort["has_oasys"].to_numpy(dtype=bool)
    female = (cohort["sex"] == "female").to_numpy()
    base_complex = np.zeros(len(cohort), dtype=bool)
    if "recalled" in flags:
        base_complex |= cohort["recall_type"].notna().to_numpy()
    if "female" in flags:
        base_complex |= female
    if "young_adult_male" in flags:
        base_complex |= ~female & (cohort["age"].to_numpy() <= 25)
    if "bame" in flags:
        base_complex |= (cohort["ethnicity"] != "white").to_numpy()
    rows = []
    keys = [cohort[b].astype(str) for b in by] if by else None
    groups = cohort.groupby(keys, observed=True).indices if by else {(): np.arange(len(cohort))}
    for pw in rules.pathways:
        if pw.need:
            need = _all(pw.need, cohort) & has
            complex_ = base_complex | (
                _all(pw.significant, cohort)
                if "significant_need" in flags and pw.significant
                else False
            )
            lvl3 = need & complex_
        for g, idx in groups.items():
            row = dict(zip(by or [], g if isinstance(g, tuple) else (g,)))
            n = len(idx)
            row.update({"pathway": pw.name, "label": pw.label, "n": n, "level_1": n})
            if pw.need:
                k_need, k3 = int(need[idx].sum()), int(lvl3[idx].sum())
                row.update({"need": k_need, "level_2_only": k_need - k3, "level_3": k3})
            else:
                row.update({"need": np.nan, "level_2_only": np.nan, "level_3": np.nan})
            rows.append(row)
    out = pd.DataFrame(rows)
    for c in ("need", "level_2_only", "level_3"):
        out[f"{c}_pct"] = 100 * out[c] / out["n"]
    return out
