"""The write-up of Study 1 (``reproduction.md``): the tables its template shows.

:func:`context` builds them from what the code produces at a fixed seed; the general renderer
(:func:`toolkit.report.markdown.render_reproduction`) fills ``reproduction.md.j2`` with them.
Each step below is one part of the write-up: the profile's fidelity, Figure 1, Table 2 and its
readings, subgroups, national figures, the capacity scenario, and the review model.
"""

from __future__ import annotations

import pandas as pd
from toolkit.papers.recall_process_experience.figures import figure1_table

from toolkit.cohort.generate import generate_cohort
from toolkit.fidelity.report import fidelity_report
from toolkit.needs.capacity import CAPACITY_SHOWN
from toolkit.needs.gap import estimate_needs_gap, load_capacity
from toolkit.profile.rules import (
    default_rules_path,
    load_programme_rules,
    reading_summary,
    score_bands,
    sensitivity_table,
)
from toolkit.profile.spec import load_profile
from toolkit.report.counts import figure_counts
from toolkit.report.markdown import compact, fmt_frame
from toolkit.report.tables import (
    MET_WITHIN_SE,
    SIMULATION_ERROR_POINTS,
    audit_findings,
    calibration_fit,
    not_evaluated,
    side_by_side,
)
from toolkit.review.calibration import case_review_frames_text
from toolkit.review.national import capacity_admissions, littles_law_text, national_flow
from toolkit.review.policy import load_release_rules


def context(seed: int) -> dict:
    """Everything ``reproduction.md.j2`` shows, computed at ``seed``."""
    spec = load_profile()
    cohort = generate_cohort(spec, rng=seed)
    report = fidelity_report(cohort, spec)
    rules = load_programme_rules()
    capacity = load_capacity(default_rules_path().with_name("capacity_example.toml"), rules)
    gap = estimate_needs_gap(
        cohort, rules, capacity=capacity, annual_recalls=capacity_admissions(), rng=seed
    )
    return {
        "seed": seed,
        "meta": dict(spec.meta),
        **_fidelity(report),
        "figure1": _figure1(cohort, spec),
        "table2": _table2(gap, rules),
        "readings": _readings(rules),
        **_sensitivity(cohort, rules),
        "ovp_bands": _ovp_bands(cohort, rules),
        **_by_sex(cohort, rules, spec),
        "national": _national_components(gap),
        "stock": gap.stock,
        "national_meta": gap.national,
        **_capacity(gap),
        **_review(seed),
    }


def _fidelity(report) -> dict:
    """The profile's fidelity: side-by-side tables, audit findings and the statistical tests."""
    findings = audit_findings(report)
    findings["resolution"] = findings["resolution"].fillna("UNRESOLVED")
    shown = not_evaluated(report)
    shown["synthetic"] = [("-" if pd.isna(v) else f"{float(v):,.2f}") for v in shown["synthetic"]]
    tests = report.tests[
        ["claim_id", "group_value", "reference_value", "claimed", "observed", "agrees", "p_value"]
    ].copy()
    tests["p_value"] = [f"{p:.2g}" for p in tests["p_value"]]
    tests = fmt_frame(tests, {"group_value": 3, "reference_value": 3})
    return {
        "summary": report.to_dict()["summary"],
        "n_targets": len(report.targets),
        # the one count of published figures every output uses (toolkit.report.counts)
        "counts": figure_counts(report),
        "n_assumed": len(report.assumed),
        "table1": compact(side_by_side(report, "table1")),
        "appendix": compact(side_by_side(report, "appendix")),
        "text": compact(side_by_side(report, "text")),
        "guide": compact(side_by_side(report, "bo")),
        "findings": findings.to_dict("records"),
        "not_evaluated": shown,
        "tests": tests,
        "n_tests": len(tests),
        "n_tests_agree": int(report.tests["agrees"].astype(bool).sum()),
    }


def _figure1(cohort: pd.DataFrame, spec) -> pd.DataFrame:
    """Figure 1's item means, published beside synthetic, for both groups."""
    f1 = figure1_table(cohort, spec).set_index("label")[
        [
            "published_standard",
            "synthetic_standard",
            "published_not_standard",
            "synthetic_not_standard",
        ]
    ]
    f1.index.name = "item"
    return fmt_frame(f1, 4)


def _table2(gap, rules) -> pd.DataFrame:
    """Table 2: published / synthetic per programme, with the unmet share's interval."""
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
    return pd.DataFrame(rows)


def _readings(rules) -> pd.DataFrame:
    """Each programme's default reading of Table 2's footnotes and why it is assumed."""
    return pd.DataFrame(
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


def _sensitivity(cohort: pd.DataFrame, rules) -> dict:
    """Suitable and unmet counts under every reading, and the summary sentences."""
    full = sensitivity_table(cohort, rules)
    sens = full[["programme", "reading", "reading_kind"]].copy()
    sens["literal"] = ["LITERAL" if x else "" for x in full["literal"]]
    for c in ("suitable", "published", "difference"):
        sens[c] = full[c]
    sens["unmet %"] = [f"{v:.1f}" for v in full["unmet_pct"]]
    sens["fitted_to_count"] = full["fitted_to_count"]
    return {"sensitivity": sens, "reading_summary": reading_summary(full, rules)}


def _ovp_bands(cohort: pd.DataFrame, rules) -> pd.DataFrame:
    """The assumed OVP bands the violence readings rest on."""
    ovp = score_bands(cohort, rules)
    return pd.DataFrame(
        {
            "OVP band": ovp["band"],
            "people": ovp["people"],
            "% of base": [f"{v:.1f}" for v in ovp["share_pct"]],
            "% of violent index offences": [f"{v:.1f}" for v in ovp["share_pct_violent"]],
            "assumed % before Table 2 is imposed": [f"{v:g}" for v in ovp["assumed_start_pct"]],
            "label": ovp["label"],
        }
    )


def _by_sex(cohort: pd.DataFrame, rules, spec) -> dict:
    """The needs gap by sex (a split no published figure describes), with its caveats."""
    by_sex = estimate_needs_gap(cohort, rules, by=["sex"], stock=None, n_boot=0, spec=spec)
    t = by_sex.table
    table = pd.DataFrame(
        {
            "programme": t["programme"],
            "sex": t["sex"].astype(str),
            "suitable": t["suitable"],
            "unmet %": [f"{v:.1f}" for v in t["unmet_pct"]],
            "split": t["split"],
            "offered": ["yes" if o else "NO" for o in t["offered"]],
        }
    )
    return {
        "by_sex": table,
        "by_sex_caveats": [c["caveat"] for c in by_sex.subgroup_caveats],
        "offered_notes": list(by_sex.offered_notes),
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


def _capacity(gap) -> dict:
    """The capacity scenario's summary: the columns the terminal shows (one list, in
    :data:`toolkit.needs.capacity.CAPACITY_SHOWN`)."""
    cols = list(CAPACITY_SHOWN)
    return {
        "capacity": fmt_frame(gap.capacity[cols], {c: 0 for c in cols[1:]}),
        "capacity_notes": list(gap.capacity_notes),
        "capacity_months": int(gap.capacity_monthly["month"].max()),
    }


def _review(seed: int) -> dict:
    """The review model: its calibration fit (stored parameters, on the standard-recall cohort
    ``recall-toolkit calibrate`` fits, the fit's own N and seed), the documented misses and the
    Little's-law check."""
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
