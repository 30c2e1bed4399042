"""The write-up of the Through the Gate specification (``reproduction.md``): service levels of
the recalled cohort under each complexity reading, and what the cohort cannot say.
:func:`context` builds what ``reproduction.md.j2`` shows."""

from __future__ import annotations

import pandas as pd

from toolkit.cohort.generate import generate_cohort
from toolkit.datafiles import paper_file, read_toml
from toolkit.needs.pathways import load_pathway_rules, ttg_report
from toolkit.report.markdown import fmt_frame

SOURCE = "ttg_minimum_specification"


def context(seed: int) -> dict:
    """Everything ``reproduction.md.j2`` shows, computed at ``seed``."""
    raw, _ = read_toml(paper_file(SOURCE, "pathways.toml"), SOURCE, "pathways")
    rules = load_pathway_rules()
    cohort = generate_cohort(rng=seed)
    recalled = cohort[cohort["recall_type"].notna()]
    report = ttg_report(recalled, rules)
    t = report.table
    readings = [
        c.removeprefix("level_3_")
        for c in t.columns
        if c.startswith("level_3_") and not c.endswith("_pct")
    ]
    missing = t.loc[t["missing_items"] != "", ["label", "missing_items"]].rename(
        columns={"label": "pathway", "missing_items": "items the cohort lacks"}
    )
    groups = report.groups[["label", "held", "n", "pct", "missing_item"]].rename(
        columns={"missing_item": "item the cohort lacks"}
    )
    return {
        "seed": seed,
        "meta": raw.get("meta", {}),
        "levels": raw.get("levels", {}),
        "pathways": [
            {"label": p.label, "assumed": p.assumed, "estimated": bool(p.need)}
            for p in rules.pathways
        ],
        "complexity": rules.complexity,
        "readings": readings,
        "level_table": _level_table(t, readings),
        "missing": missing,
        "groups": fmt_frame(groups, {"n": 0, "pct": 1}),
        "notes": list(report.notes),
        "not_held": report.groups.loc[~report.groups["held"].astype(bool), "label"].tolist(),
        "n_recalled": len(recalled),
    }


def _level_table(t: pd.DataFrame, readings: list[str]) -> pd.DataFrame:
    """People at each level of each pathway, the readings side by side."""
    levels = pd.DataFrame({"pathway": t["label"], "n": [f"{int(v):,}" for v in t["n"]]})
    levels["need"] = t["need"].astype(float)
    levels["L2+3 combined"] = t["level_2_3"]
    for r in readings:
        levels[f"L2 only ({r})"] = t[f"level_2_only_{r}"]
        levels[f"L3 ({r})"] = t[f"level_3_{r}"]
    return fmt_frame(levels, {c: 0 for c in levels.columns[1:]})
