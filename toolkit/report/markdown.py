"""Generated reproduction write-ups: ``papers/<source>/reproduction.md``.

Each source that has a template (``toolkit/report/templates/reproduction_<source>.md.j2``) gets a
write-up built from what the code produces at a fixed seed: side-by-side tables, every finding of
the consistency audit with its resolution, and what is not reproduced and why. The output is
deterministic (fixed seed, fixed formatting, no dates), so ``tests/test_report.py`` can fail when
the committed file differs from what ``recall-toolkit report --markdown`` writes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined

from toolkit.defaults import DEFAULT_SEED
from toolkit.exceptions import UsageError
from toolkit.needs.gap import CAPACITY_SHOWN
from toolkit.report.counts import figure_counts
from toolkit.report.tables import audit_findings, not_evaluated, side_by_side


def _cell(value) -> str:
    """One markdown table cell: pipes escaped, newlines flattened, NaN as a dash."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "-"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    return " ".join(str(value).split()).replace("|", "\\|")


def markdown_table(df: pd.DataFrame, index: bool = True) -> str:
    """A GitHub-flavoured markdown table from a DataFrame (cells as given; format first).

    >>> print(markdown_table(pd.DataFrame({"a": [1], "b": ["x|y"]}), index=False))
    | a | b |
    | --- | --- |
    | 1 | x\\|y |
    """
    df = df.reset_index() if index else df
    cols = [" / ".join(map(str, c)) if isinstance(c, tuple) else str(c) for c in df.columns]
    lines = [
        "| " + " | ".join(_cell(c) for c in cols) + " |",
        "| " + " | ".join("---" for _ in cols) + " |",
    ]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    return "\n".join(lines)


def compact(table: pd.DataFrame) -> pd.DataFrame:
    """Fold a :func:`side_by_side` table's (published, synthetic) column pairs into one
    ``"published / synthetic"`` column per population, so a wide table fits a page."""
    if table.empty:
        return table
    pops = list(dict.fromkeys(table.columns.get_level_values(0)))
    out = pd.DataFrame(index=table.index)
    for pop in pops:
        pub, syn = table[(pop, "published")], table[(pop, "synthetic")]
        out[pop] = [f"{p} / {s}" if p else "" for p, s in zip(pub, syn)]
    return out


def _fmt_frame(df: pd.DataFrame, decimals: int | dict = 1) -> pd.DataFrame:
    """Format floats with fixed decimals (so output never depends on float repr noise)."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype.kind == "f":
            d = decimals.get(c, 1) if isinstance(decimals, dict) else decimals
            out[c] = [("-" if np.isnan(v) else f"{v:,.{d}f}") for v in out[c]]
    return out


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("toolkit.report", "templates"),
        undefined=StrictUndefined,  # a missing value is an error, not a blank in the write-up
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # markdown, not HTML
    )
    env.filters["table"] = markdown_table
    return env


# --- one context builder per source ----------------------------------------------------------


def _recall_process_experience(seed: int) -> dict:
    from toolkit.cohort.generate import generate_cohort
    from toolkit.fidelity.report import fidelity_report
    from toolkit.needs.gap import estimate_needs_gap, load_capacity
    from toolkit.profile.rules import (
        default_rules_path,
        load_programme_rules,
        reading_summary,
        score_bands,
        sensitivity_table,
    )
    from toolkit.profile.spec import load_profile
    from toolkit.report.plots import figure1_table

    spec = load_profile()
    cohort = generate_cohort(spec, rng=seed)
    report = fidelity_report(cohort, spec)
    summary = report.to_dict()["summary"]

    f1 = figure1_table(cohort, spec)
    f1 = f1.set_index("label")[
        [
            "published_standard",
            "synthetic_standard",
            "published_not_standard",
            "synthetic_not_standard",
        ]
    ]
    f1.index.name = "item"

    findings = audit_findings(report)
    findings["resolution"] = findings["resolution"].fillna("UNRESOLVED")

    shown = not_evaluated(report)
    shown["synthetic"] = [("-" if pd.isna(v) else f"{float(v):,.2f}") for v in shown["synthetic"]]

    tests = report.tests[
        ["claim_id", "group_value", "reference_value", "claimed", "observed", "agrees", "p_value"]
    ].copy()
    tests["p_value"] = [f"{p:.2g}" for p in tests["p_value"]]
    tests = _fmt_frame(tests, {"group_value": 3, "reference_value": 3})

    rules = load_programme_rules()
    capacity = load_capacity(default_rules_path().with_name("capacity_example.toml"), rules)
    from toolkit.review.national import capacity_admissions

    gap = estimate_needs_gap(
        cohort, rules, capacity=capacity, annual_recalls=capacity_admissions(), rng=seed
    )
    tab = gap.table.set_index("programme")
    rows = []
    for p in rules.programmes:
        r = tab.loc[p.name]
        rows.append(
            {
                "programme": p.label,
                "suitable (pub / syn)": f"{p.suitable:,} / {int(r['suitable']):,}",
                "attended % (pub / syn)": f"{p.attended_pct} / {r['attended_pct']:.2f}",
                "other % (pub / syn)": f"{p.attended_other_pct} / {r['attended_other_pct']:.2f}",
                "unmet % (pub / syn)": f"{p.unmet_pct} / {r['unmet_pct']:.2f}",
                "unmet % 95% interval": f"{r['unmet_pct_lo']:.1f} to {r['unmet_pct_hi']:.1f}",
            }
        )
    table2 = pd.DataFrame(rows)
    readings = pd.DataFrame(
        [
            {
                "programme": p.label,
                "default is": p.kinds.get("default", ""),
                "default reading (assumed)": p.assumed,
                "default's note": p.notes.get("default", ""),
            }
            for p in rules.programmes
        ]
    )
    sens_full = sensitivity_table(cohort, rules)
    sens = sens_full[["programme", "reading", "reading_kind"]].copy()
    sens["literal"] = ["LITERAL" if x else "" for x in sens_full["literal"]]
    for c in ("suitable", "published", "difference"):
        sens[c] = sens_full[c]
    sens["unmet %"] = [f"{v:.1f}" for v in sens_full["unmet_pct"]]
    sens["fitted_to_count"] = sens_full["fitted_to_count"]
    ovp = score_bands(cohort, rules)
    ovp_bands = pd.DataFrame(
        {
            "OVP band": ovp["band"],
            "people": ovp["people"],
            "% of base": [f"{v:.1f}" for v in ovp["share_pct"]],
            "% of violent index offences": [f"{v:.1f}" for v in ovp["share_pct_violent"]],
            "assumed % before Table 2 is imposed": [f"{v:g}" for v in ovp["assumed_start_pct"]],
            "label": ovp["label"],
        }
    )
    by_sex = estimate_needs_gap(cohort, rules, by=["sex"], stock=None, n_boot=0, spec=spec)
    sex_tab = pd.DataFrame(
        {
            "programme": by_sex.table["programme"],
            "sex": by_sex.table["sex"].astype(str),
            "suitable": by_sex.table["suitable"],
            "unmet %": [f"{v:.1f}" for v in by_sex.table["unmet_pct"]],
            "split": by_sex.table["split"],
            "offered": ["yes" if o else "NO" for o in by_sex.table["offered"]],
        }
    )
    national = _national_components(gap)
    # the capacity summary shows the columns the terminal shows (one list, in needs.gap)
    cap_cols = list(CAPACITY_SHOWN)
    capacity_table = _fmt_frame(gap.capacity[cap_cols], {c: 0 for c in cap_cols[1:]})

    return {
        "seed": seed,
        "meta": dict(spec.meta),
        "summary": summary,
        "n_targets": len(report.targets),
        # the one count of published figures every output uses (toolkit.report.counts)
        "counts": figure_counts(report),
        "n_assumed": len(report.assumed),
        "table1": compact(side_by_side(report, "table1")),
        "appendix": compact(side_by_side(report, "appendix")),
        "text": compact(side_by_side(report, "text")),
        "guide": compact(side_by_side(report, "bo")),
        "figure1": _fmt_frame(f1, 4),
        "findings": findings.to_dict("records"),
        "not_evaluated": shown,
        "tests": tests,
        "n_tests": len(tests),
        "n_tests_agree": int(report.tests["agrees"].astype(bool).sum()),
        "table2": table2,
        "readings": readings,
        "sensitivity": sens,
        "reading_summary": reading_summary(sens_full, rules),
        "ovp_bands": ovp_bands,
        "by_sex": sex_tab,
        "by_sex_caveats": [c["caveat"] for c in by_sex.subgroup_caveats],
        "offered_notes": list(by_sex.offered_notes),
        "national": national,
        "stock": gap.stock,
        "national_meta": gap.national,
        "capacity": capacity_table,
        "capacity_notes": list(gap.capacity_notes),
        "capacity_months": int(gap.capacity_monthly["month"].max()),
        **_review(seed),
    }


def _national_components(gap) -> pd.DataFrame:
    """National unmet need per programme with each uncertainty component as a range."""
    t = gap.table
    out = pd.DataFrame(
        {
            "programme": t["programme"],
            "unmet %": [f"{v:.1f}" for v in t["unmet_pct"]],
            "national unmet": [f"{v:,.0f}" for v in t["national_unmet"]],
        }
    )
    for label, comp in (
        ("sampling", ""),
        ("reading", "_reading"),
        ("time", "_time"),
        ("share", "_share"),
        ("combined", "_combined"),
    ):
        lo, hi = t[f"national_unmet{comp}_lo"], t[f"national_unmet{comp}_hi"]
        out[label] = [f"{a:,.0f} to {b:,.0f}" for a, b in zip(lo, hi)]
    return out


def _review(seed: int) -> dict:
    """The review model: its calibration fit (stored parameters, on the standard-recall cohort
    ``recall-toolkit calibrate`` fits, the fit's own N and seed), the documented misses and the
    Little's-law check."""
    from toolkit.cohort.generate import generate_cohort
    from toolkit.report.tables import MET_WITHIN_SE, SIMULATION_ERROR_POINTS, calibration_fit
    from toolkit.review.calibration import case_review_frames_text
    from toolkit.review.national import littles_law_text, national_flow
    from toolkit.review.policy import load_release_rules

    rules = load_release_rules()
    std = generate_cohort(populations=["standard"], rng=seed)
    fit = calibration_fit(std, rules)
    table = pd.DataFrame(
        {
            "figure": fit["label"],
            "published": [f"{v:.1f}" for v in fit["published"]],
            "model": [f"{v:.1f}" for v in fit["model"]],
            "target SE": [f"{v:g}" for v in fit["target_se"]],
            "difference in SEs": [f"{v:+.1f}" for v in fit["z"]],
            "status": fit["status"],
            "review_model.md says": fit["documented"],
        }
    )
    nat = national_flow(rules, dict(rules.calibrated))
    plaus = fit.attrs["plausibility"]
    lo, hi = rules.calibration["board_share_range_pct"]
    return {
        "calibration": table,
        "calibration_missed": fit.loc[fit["status"] == "missed", "label"].tolist(),
        "met_within_se": MET_WITHIN_SE,
        "simulation_error": SIMULATION_ERROR_POINTS,
        "at_sed_model": float(fit.set_index("target").loc["released_at_sed_pct", "model"]),
        "littles_law": littles_law_text(nat),
        "case_review_frames": case_review_frames_text(fit.attrs["case_review_frames"], rules),
        "busiest_day_pct": plaus["max_day_share_pct"],
        "max_day_share_pct": rules.calibration["max_day_share_pct"],
        "board_share_pct": plaus["board_share_pct"],
        "board_range": f"{lo:g}-{hi:g}%",
        "params": ", ".join(f"`{k}` = {v:g}" for k, v in rules.calibrated.items()),
    }


def _howard_2009_ogrs3(seed: int) -> dict:
    from toolkit.cohort.ogrs3 import coefficients, ogrs3_probability
    from toolkit.datafiles import paper_file, read_toml

    co = coefficients()
    rows = []
    for i, v in enumerate(co.test_vectors, 1):
        row = {
            "vector": i,
            "age": v["age"],
            "sex": v["sex"],
            "offence": v["offence"],
            "previous sanctions": v["previous_sanctions"],
            "age at first sanction": v["age_at_first_sanction"],
        }
        for years, key in ((1, "p_1yr"), (2, "p_2yr")):
            p = float(
                ogrs3_probability(
                    v["age"],
                    v["sex"],
                    v["offence"],
                    v["previous_sanctions"],
                    v["age_at_first_sanction"],
                    years=years,
                )[0]
            )
            row[f"{years}-year published"] = f"{v[key]:.6f}"
            row[f"{years}-year toolkit"] = f"{p:.6f}"
        rows.append(row)
    raw, _ = read_toml(paper_file("howard_2009_ogrs3", "ogrs3.toml"), "howard_2009_ogrs3", "ogrs3")
    return {
        "seed": seed,
        "meta": raw.get("meta", {}),
        "vectors": pd.DataFrame(rows),
        "resolutions": raw.get("resolutions", []),
    }


def _ttg_minimum_specification(seed: int) -> dict:
    from toolkit.cohort.generate import generate_cohort
    from toolkit.datafiles import paper_file, read_toml
    from toolkit.needs.pathways import load_pathway_rules, ttg_report

    raw, _ = read_toml(
        paper_file("ttg_minimum_specification", "pathways.toml"),
        "ttg_minimum_specification",
        "pathways",
    )
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
    levels = pd.DataFrame({"pathway": t["label"], "n": [f"{int(v):,}" for v in t["n"]]})
    levels["need"] = t["need"].astype(float)
    levels["L2+3 combined"] = t["level_2_3"]
    for r in readings:
        levels[f"L2 only ({r})"] = t[f"level_2_only_{r}"]
        levels[f"L3 ({r})"] = t[f"level_3_{r}"]
    levels = _fmt_frame(levels, {c: 0 for c in levels.columns[1:]})
    missing = t.loc[t["missing_items"] != "", ["label", "missing_items"]].rename(
        columns={"label": "pathway", "missing_items": "items the cohort lacks"}
    )
    groups = report.groups[["label", "held", "n", "pct", "missing_item"]].rename(
        columns={"missing_item": "item the cohort lacks"}
    )
    groups = _fmt_frame(groups, {"n": 0, "pct": 1})
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
        "level_table": levels,
        "missing": missing,
        "groups": groups,
        "notes": list(report.notes),
        "not_held": report.groups.loc[~report.groups["held"].astype(bool), "label"].tolist(),
        "n_recalled": len(recalled),
    }


SOURCES = {
    "recall_process_experience": _recall_process_experience,
    "howard_2009_ogrs3": _howard_2009_ogrs3,
    "ttg_minimum_specification": _ttg_minimum_specification,
}


def render_reproduction(
    source: str = "recall_process_experience", *, seed: int = DEFAULT_SEED
) -> str:
    """The reproduction write-up of one source, as markdown.

    Parameters
    ----------
    source : str
        A folder of ``papers/`` with a template (see :data:`SOURCES`).
    seed : int
        Seed of the cohort the tables are computed from.

    Returns
    -------
    str

    Examples
    --------
    >>> text = render_reproduction("howard_2009_ogrs3")
    >>> text.splitlines()[4]
    '# Reproducing OGRS3 (Howard et al. 2009)'
    >>> "| 1 | 20 | male | violence | 0 | 20 | 0.121616 | 0.121616 |" in text
    True
    """
    if source not in SOURCES:
        raise UsageError(
            f"--source: no reproduction write-up for {source!r}; expected one of "
            + ", ".join(sorted(SOURCES))
        )
    ctx = SOURCES[source](seed)
    template = _env().get_template(f"reproduction_{source}.md.j2")
    return template.render(**ctx, source=source)


def write_text_atomic(text: str, out: str | Path) -> Path:
    """Write ``text`` to ``out`` through the output layer (:func:`toolkit.outputs.write_text`:
    a temporary file renamed into place, mode as the umask gives, OS errors in one line)."""
    from toolkit.outputs import write_text

    write_text(out, text)
    return Path(out)
