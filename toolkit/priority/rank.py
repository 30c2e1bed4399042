"""Rank a validated caseload: each case on its release route, then a readiness score, reasons and
a suggested action.

A suggestion, never a decision. The route comes first (:mod:`toolkit.priority.routes`, read
from the release rules): only cases on the executive route whose recall type the scorer was
fitted on are ranked; the others are listed, unranked, with the step their route calls for
(a Parole Board dossier or representations; automatic release on its date) and the reason.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
import pandas as pd

from toolkit.exceptions import UsageError
from toolkit.priority.caseload import Caseload
from toolkit.priority.features import FAR_DAYS, design
from toolkit.priority.model import ScoringModel, load_scoring_model
from toolkit.priority.reasons import reasons_text
from toolkit.priority.routes import automatic_release_date, load_rules, routes

#: Weeks ahead a "review by DATE" suggestion looks; later than this the ranking is "no change".
WEEKS_AHEAD = 4
#: Below this expected gain (days of supervision) a review is not suggested at all: one day is
#: the resolution of the dates in a caseload.
MIN_DAYS_GAINED = 1.0
DEFAULT_CAPACITY = 20
#: Chances below this are shown as "under 1%": the model's resolution on simulated records is
#: not finer, and "0.0%" reads like a verdict.
SMALL_CHANCE = 0.01
#: Recall types the shipped scorer was fitted on when its manifest does not say.
DEFAULT_FITTED_TYPES = ("standard",)

#: Output columns, in order (a public contract; columns are only ever added).
RANKED_COLUMNS = (
    "case_reference",
    "rank",
    "chance_releasable_28d_pct",
    "chance_releasable_28d_pct_lo",
    "chance_releasable_28d_pct_hi",
    "days_gained_if_reviewed_now",
    "suggested_action",
    "reasons",
    "route",
    "readiness",
    "as_of",
)

#: What the Parole Board route asks of the offender manager at each stage (the case is never
#: "releasable by review": only a Board direction releases, C(S)A 1997 s.28 and s.32).
BOARD_ACTION = {
    "": "Parole Board route: check the referral to the Board has been made and start the dossier",
    "none": "Parole Board route: check the referral to the Board has been made and start the "
    "dossier",
    "referred": "Parole Board route: prepare the dossier and the release plan for the Board",
    "dossier_due": "Parole Board route: send the dossier and the release plan to the Board",
    "dossier_sent": "Parole Board route: add representations (accommodation, release plan) "
    "before the Board decides",
    "hearing_listed": "Parole Board route: prepare the release plan and evidence for the hearing",
    "decided": "Parole Board route: act on the Board's decision",
}


def fitted_types(scorer: ScoringModel) -> tuple[str, ...]:
    """Recall types a scorer was fitted on (its manifest's ``recall_types``)."""
    man = getattr(scorer, "manifest_", {}) or {}
    return tuple(man.get("recall_types", DEFAULT_FITTED_TYPES))


def readiness_text(prob, lo, hi, interval: float) -> np.ndarray:
    """The readiness score in words: "under 1%" for small chances, else the percent with its
    interval and what the interval covers (model-parameter uncertainty only)."""
    prob, lo, hi = (np.asarray(a, dtype=float) for a in (prob, lo, hi))
    pct = np.char.mod("%.0f", np.nan_to_num(100 * prob)).astype(object)
    lo_t = np.char.mod("%.0f", np.nan_to_num(100 * lo)).astype(object)
    hi_t = np.char.mod("%.0f", np.nan_to_num(100 * hi)).astype(object)
    cover = f"{round(100 * interval)}% interval from the model's fit only"
    full = pct + "% (" + lo_t + "-" + hi_t + "%, " + cover + ")"
    small = np.where(hi < SMALL_CHANCE, "under 1%", "under 1% (up to " + hi_t + "%, " + cover + ")")
    return np.where(np.isnan(prob), "", np.where(prob < SMALL_CHANCE, small, full))


def gain_bound(frame: pd.DataFrame, as_of: pd.Timestamp, rules) -> np.ndarray:
    """Most supervised days a review today can gain: the chance a review notices a releasable
    person times the days from the earliest release (today plus the executive decision delay)
    to SED. Never negative and never more than the days from ``as_of`` to SED."""
    to_sed = (frame["sed_date"] - as_of).dt.days.to_numpy(dtype=float)
    to_sed = np.minimum(np.nan_to_num(to_sed, nan=FAR_DAYS), rules.horizon_days)
    return rules.notice_probability * np.maximum(to_sed - rules.delay_executive, 0.0)


def prioritise(
    caseload: Caseload,
    *,
    scorer: ScoringModel | None = None,
    capacity: int = DEFAULT_CAPACITY,
    rules=None,
) -> pd.DataFrame:
    """Ranked caseload: each case on its route; executive-route cases the scorer was fitted on
    ranked by the supervised days a review now is expected to gain.

    Parameters
    ----------
    caseload : Caseload
        From :func:`toolkit.priority.caseload.validate_caseload`.
    scorer : ScoringModel or PriorityScorer, optional
        Default: the shipped readiness model (:func:`toolkit.priority.model.load_scoring_model`).
    capacity : int
        Reviews available per week (at least 1): the top ``capacity`` ranked cases are "review
        now", the next ones "review by" the end of the week they fall in (up to four weeks),
        the rest "no change".
    rules : ReleaseRules, optional
        The release rules in force (default: the shipped file).

    Returns
    -------
    pandas.DataFrame with :data:`RANKED_COLUMNS`: ranked cases first (``rank`` 1, 2, ...), then
    the unranked ones (blank ``rank``) with the step their route calls for.

    Raises
    ------
    UsageError
        ``caseload`` is not a validated caseload, or ``capacity`` is not a whole number >= 1.
    """
    _prioritise_iv(caseload, capacity)
    scorer = load_scoring_model() if scorer is None else scorer
    rules = load_rules(rules)
    f, as_of = caseload.frame, caseload.as_of
    route = routes(f["recall_type"], rules)
    rtype = f["recall_type"].astype(str).to_numpy(dtype=object)
    charge = _yes(f, "further_charge_or_remand")
    scored = (route == "executive") & np.isin(rtype, fitted_types(scorer)) & ~charge
    s = scorer.score_frame(design(f, as_of, rules))
    gain, prob, lo, hi = _scored_values(s, f, as_of, rules, route, scored)
    order, pos = _order(f, route, scored, charge, gain)
    action = _ranked_actions(pos, scored, gain, capacity, as_of)
    action = _route_actions(f, route, rtype, scored, charge, action, as_of, rules)
    rank = pd.array(np.where(scored, pos, 0), dtype="Int64")
    rank[~scored] = pd.NA
    out = pd.DataFrame(
        {
            "case_reference": f["case_reference"].to_numpy(),
            "rank": rank,
            "chance_releasable_28d_pct": np.round(100 * prob, 1),
            "chance_releasable_28d_pct_lo": np.round(100 * lo, 1),
            "chance_releasable_28d_pct_hi": np.round(100 * hi, 1),
            "days_gained_if_reviewed_now": gain,
            "suggested_action": action,
            "reasons": reasons_text(
                f, as_of, s, scored=scored, action=action, route=route, rules=rules
            ).to_numpy(),
            "route": route,
            "readiness": readiness_text(prob, lo, hi, scorer.interval),
            "as_of": as_of.strftime("%Y-%m-%d"),
        }
    )
    return out.iloc[order].reset_index(drop=True)


def _prioritise_iv(caseload, capacity) -> None:
    """Refuse what :func:`prioritise` cannot rank, with a message naming the argument."""
    if not isinstance(caseload, Caseload):
        raise UsageError(
            "caseload must be a validated Caseload (toolkit.priority.caseload.validate_caseload), "
            f"not {type(caseload).__name__}"
        )
    if isinstance(capacity, bool) or not isinstance(capacity, Integral) or capacity < 1:
        raise UsageError(
            f"capacity must be a whole number of reviews a week, at least 1; got {capacity!r}"
        )


def _scored_values(s, f, as_of, rules, route, scored):
    """Days gained (bounded by what a review today can gain, to a tenth of a day), the chance
    and its interval, for the scored cases (NaN elsewhere; 0 days on the Board and automatic
    routes, where a review cannot release)."""
    gain = np.clip(s["days_gained"].to_numpy(), 0.0, gain_bound(f, as_of, rules))
    gain = np.where(scored, np.floor(10 * gain) / 10, np.nan)
    gain = np.where(np.isin(route, ("parole_board", "automatic")), 0.0, gain)
    prob, lo, hi = (
        np.where(scored, s[c].to_numpy(), np.nan)
        for c in ("probability", "probability_lo", "probability_hi")
    )
    return gain, prob, lo, hi


def _order(f, route, scored, charge, gain) -> tuple[np.ndarray, np.ndarray]:
    """Row order of the output (ranked cases by days gained, then the unranked by route; ties by
    case reference) and each case's 1-based position in it."""
    key = np.where(scored, gain, -np.inf)
    order = np.lexsort((f["case_reference"].to_numpy(), -key, _route_order(route, scored, charge)))
    pos = np.empty(len(f), dtype=np.int64)
    pos[order] = np.arange(1, len(f) + 1)
    return order, pos


def _ranked_actions(pos, scored, gain, capacity, as_of) -> np.ndarray:
    """ "review now" for the first ``capacity`` ranked cases worth a review, "review by" the end
    of the week each later one falls in (up to :data:`WEEKS_AHEAD`), else "no change"."""
    week = (pos - 1) // max(capacity, 1)
    worth = scored & (np.nan_to_num(gain) >= MIN_DAYS_GAINED)
    by = as_of + pd.to_timedelta(7 * (week + 1), unit="D")
    return np.where(
        worth & (week == 0),
        "review now",
        np.where(
            worth & (week < WEEKS_AHEAD),
            "review by " + pd.Series(by).dt.strftime("%Y-%m-%d").to_numpy(dtype=object),
            "no change",
        ),
    ).astype(object)


def _yes(f: pd.DataFrame, col: str) -> np.ndarray:
    if col not in f:
        return np.zeros(len(f), dtype=bool)
    return f[col].eq(True).fillna(False).to_numpy(dtype=bool)


def _route_order(route, scored, charge) -> np.ndarray:
    """Ranked cases first, then the unranked by how much an officer's step can do now:
    executive cases the model does not score, Board cases, then automatic release."""
    return np.select(
        [scored, (route == "executive") | charge, route == "parole_board"], [0, 1, 2], 3
    )


def _route_actions(f, route, rtype, scored, charge, action, as_of, rules) -> np.ndarray:
    """The suggested action of every case not ranked by the scorer, by its route, and the MAPPA
    and legal-representation additions the route calls for."""
    action = action.copy()
    auto_day = automatic_release_date(f["recall_type"], f["recall_date"], rules)
    auto_txt = auto_day.dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)
    is_auto = route == "automatic"
    curfew = {n for n, r in load_rules(rules).types.items() if r.curfew_max_days is not None}
    at_crd = is_auto & f["recall_type"].astype(str).isin(curfew).to_numpy()
    action[is_auto] = (
        "automatic release by "
        + auto_txt[is_auto]
        + ": no review needed (representations for early release, or to cancel the "
        "revocation, where the law allows)"
    )
    action[at_crd] = (
        "automatic release by "
        + auto_txt[at_crd]
        + " at the latest (the conditional release date): no review needed "
        "(representations to cancel the revocation, where the law allows)"
    )
    passed = is_auto & (auto_day < as_of).to_numpy()
    action[passed] = (
        "automatic release date "
        + auto_txt[passed]
        + " has passed: check the release was made, or the recall type"
    )
    board = route == "parole_board"
    stage = (
        f["parole_board_stage"].astype(object).where(f["parole_board_stage"].notna(), "")
        if "parole_board_stage" in f
        else pd.Series("", index=f.index)
    ).to_numpy(dtype=object)
    board_txt = pd.Series(stage).map(BOARD_ACTION).fillna(BOARD_ACTION[""]).to_numpy(object)
    action[board] = board_txt[board]
    if "legal_representative" in f:
        no_rep = f["legal_representative"].eq(False).fillna(False).to_numpy(dtype=bool)
        action[board & no_rep] = action[board & no_rep] + "; help arrange a legal representative"
    unscored = (route == "executive") & ~scored & ~charge
    action[unscored] = (
        "executive review as the rules require: not ranked (the model was not fitted on "
        + pd.Series(rtype[unscored]).str.replace("_", "-").to_numpy(dtype=object)
        + " recalls)"
    )
    action[charge & ~is_auto] = (
        "further charge pending or remanded: not ranked; resolve the charge first"
    )
    if "mappa_level" in f:
        lvl = f["mappa_level"].astype(object).to_numpy()
        mappa = np.isin(lvl, ("2", "3")) & ~is_auto
        action[mappa] = (
            action[mappa] + "; MAPPA level " + lvl[mappa].astype(str) + ": agree the release plan "
            "with the MAPPA meeting"
        )
    return action
