"""HTML renderings (Jinja2 templates in ``toolkit/report/templates/``, autoescaped)."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup


def _env() -> Environment:
    return Environment(
        loader=PackageLoader("toolkit.report", "templates"),
        undefined=StrictUndefined,
        autoescape=select_autoescape(["html", "html.j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_index(*, practitioner_hint: str, **context) -> str:
    """The demo's ``index.html``: what to open first, every file with a one-line caption,
    every figure inline.

    Parameters
    ----------
    practitioner_hint : str
        Trusted HTML (written by the toolkit, not user input) for the practitioners' line.
    **context
        ``files``, ``figures`` (lists of dicts with ``href``, ``title``, ``caption``),
        ``first`` (one such dict), ``cohort_line``, ``command``, ``version``, ``seed``.
    """
    return (
        _env()
        .get_template("index.html.j2")
        .render(practitioner_hint=Markup(practitioner_hint), **context)
    )


# -- review-priority report ----------------------------------------------------------------------
import datetime as _dt  # noqa: E402
import math  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

#: Rows of the ranked list shown (and sortable) in the report; the CSV holds them all. A team's
#: caseload is a few hundred; beyond this the page gets slow to open.
MAX_ROWS = 1000


def _priority_env() -> Environment:
    """The shared environment plus the number filters the priority report uses. Its CSS is
    inline and it loads nothing from the network, so it opens offline and prints as it reads."""
    env = _env()
    env.filters["num"] = _num
    env.filters["pct"] = lambda v, d=0: "" if _nan(v) else f"{100 * v:.{d}f}%"
    env.filters["signed_pct"] = lambda v, d=1: "" if _nan(v) else f"{100 * v:+.{d}f} points"
    return env


def _nan(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _num(v, d=1) -> str:
    if _nan(v):
        return ""
    return f"{v:,.{d}f}"


def render_priority_report(
    ranked: pd.DataFrame,
    *,
    as_of: pd.Timestamp,
    capacity: int,
    n_cases: int,
    absence_costs: list[str],
    fairness: pd.DataFrame | None,
    manifest: dict,
    source_name: str,
    max_rows: int = MAX_ROWS,
    interval: float = 0.9,
) -> str:
    """The review-priority report as one HTML string.

    Parameters
    ----------
    ranked : DataFrame from :func:`toolkit.priority.rank.prioritise`
    as_of : the date of the suggestions
    capacity : reviews a week assumed
    n_cases : cases in the caseload
    absence_costs : what missing optional columns cost (plain lines)
    fairness : flag rates on this caseload by group (``fairness_audit``), optional
    manifest : the scorer's manifest (held-out metrics, comparison, held-out fairness)
    source_name : file name of the caseload (no path: the report may be shared)
    interval : coverage of the readiness interval (the scorer's ``interval``)
    """
    actions = ranked["suggested_action"].str.replace(
        r"review by .*", "review by a date", regex=True
    )
    counts = actions.value_counts().to_dict()
    held = manifest.get("held_out", {})
    comparison = {
        cap: pd.DataFrame(rows).to_dict("records")
        for cap, rows in manifest.get("snapshot_comparison", {}).items()
    }
    capacity_rows = manifest.get("capacity_comparison", {})
    fair_sim = pd.DataFrame(manifest.get("held_out_fairness", []))
    from toolkit.priority.fairness import MIN_GROUP, SIMULATED_GAP_NOTE

    shown = ranked.head(max_rows)
    ranked_mask = shown["rank"].notna().to_numpy()
    chance = shown["chance_releasable_28d_pct"].to_numpy(dtype=float)
    gain = shown["days_gained_if_reviewed_now"].to_numpy(dtype=float)
    rows = shown.assign(
        rank_text=np.where(ranked_mask, shown["rank"].astype(str), "—"),
        rank_v=np.where(ranked_mask, shown["rank"].astype("float64").fillna(0), 1e9),
        filter_action=np.where(ranked_mask, shown["suggested_action"], "not ranked"),
        chance_v=np.nan_to_num(chance, nan=-1.0),
        gain_v=np.nan_to_num(gain, nan=-1.0),
        gain_text=[_num(g) if np.isfinite(g) else "not estimated" for g in gain],
    )
    routes = [r for r in ("executive", "parole_board", "automatic") if (ranked["route"] == r).any()]
    return (
        _priority_env()
        .get_template("priority_report.html.j2")
        .render(
            title="Review-priority suggestions",
            as_of=as_of.strftime("%Y-%m-%d"),
            generated=_dt.date.today().isoformat(),
            capacity=capacity,
            n_cases=n_cases,
            n_shown=min(max_rows, len(ranked)),
            rows=rows.to_dict("records"),
            route_names=routes,
            interval_pct=round(100 * interval),
            min_group=MIN_GROUP,
            simulated_note=SIMULATED_GAP_NOTE,
            counts=counts,
            absence_costs=absence_costs,
            fairness=None if fairness is None else fairness.to_dict("records"),
            fair_sim=fair_sim.to_dict("records"),
            held=held,
            comparison=comparison,
            capacity_rows=capacity_rows,
            manifest=manifest,
            source_name=source_name,
        )
    )
