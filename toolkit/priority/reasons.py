"""Plain-language reasons for each ranked case, each checkable against the case's own row.

Two sources, both vectorised over cases (a loop runs over the dozen reason kinds, never over
cases):

* **rules** a person can verify from the row (no contact since recall; accommodation secured
  since the last review; long to SED and no recent review; an unmet programme that cannot be
  finished before SED; SED close);
* **the model's contributions** (:meth:`PriorityScorer.score_frame`): a feature is named only
  when it moves the case's log-odds by at least :data:`MIN_CONTRIBUTION` *and* the row shows the
  value the words state.

Guidance cited: the Better Outcomes guide for working with recalled prisoners (NOMS, in seed
``001``): section 2 "Make contact with recalled prisoners as soon as possible after their
return to custody"; section 3 "Take opportunities to safely release recalled prisoners at any
point during their recall" and "Aim wherever possible to release recalled prisoners before
their SED"; section 4 "Where formal interventions are hard to access, seek alternative
opportunities"; and the HMPPS best-practice principles (seed ``000``), principle 5 "Ensure
chances to succeed".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from toolkit.priority.dates import days_between
from toolkit.priority.routes import load_rules, programme_days, routes
from toolkit.schema import SIX_MONTHS_DAYS

#: A model feature is named when it moves the log-odds by at least this much (about a 7-point
#: change in a 50% chance): smaller effects are not worth a practitioner's reading time.
MIN_CONTRIBUTION = 0.3
#: "No review in N months": flagged from four months (the guidance asks for regular reviews
#: between the 28-day and annual points; four months is a third of the way to the annual one).
NO_REVIEW_DAYS = 120
#: "Long to SED": at least six months of supervision is at stake.
LONG_TO_SED_DAYS = SIX_MONTHS_DAYS
MAX_REASONS = 3
MODEL_CAP = 1.9
MODEL_REASONS = ("early_in_recall", "wants_release")

#: Every reason kind and the direction it argues: +1 "review sooner" (shown only on cases the
#: list suggests reviewing), -1 "little to gain from a review now" (never on a "review now"
#: case), 0 a step that does not depend on the ranking (contact, barriers, the route). No
#: reason names a static score (OGRS3): it cannot change, so it is not something to act on.
REASON_KINDS = {
    "no_contact": 0,
    "accommodation_since_review": 1,
    "long_to_sed_no_review": 1,
    "programme_before_sed": 0,
    "sed_near": -1,
    "early_in_recall": 1,
    "wants_release": 1,
    "declines_release": -1,
    "automatic_release": 0,
    "parole_board_route": 0,
    "not_fitted": 0,
    "board_referred": 0,
    "further_charge": 0,
}

G_CONTACT = "Better Outcomes 2: make contact as soon as possible after return to custody"
G_ANY_POINT = "Better Outcomes 3: release safely at any point, not only at formal reviews"
G_BEFORE_SED = "Better Outcomes 3: release before SED where possible, for supervision"
G_BARRIERS = "Better Outcomes 4 and HMPPS principle 5: tackle barriers, seek alternatives"
G_VIEWS = "Better Outcomes 4: seek the prisoner's views and work with them towards release"
G_NEAR = "Better Outcomes 3: identify those suitable for release now or soon"


@dataclass(frozen=True)
class Reason:
    code: str
    mask: np.ndarray  # bool per case
    text: Callable[[np.ndarray], np.ndarray]  # rows -> their words (built only where shown)
    strength: np.ndarray  # higher = listed first


def _int(s) -> np.ndarray:
    """Whole numbers as an object array of text (numpy's C loops; NaN -> '0', never shown)."""
    a = np.nan_to_num(np.asarray(s, dtype=float), nan=0.0, posinf=0.0, neginf=0.0)
    return np.rint(a).astype(np.int64).astype(str).astype(object)


def _obj(s) -> np.ndarray:
    return np.asarray(s.to_numpy(dtype=object) if isinstance(s, pd.Series) else s, dtype=object)


def _statutes(rtype: np.ndarray, rules) -> np.ndarray:
    """The statute the release rules cite for each case's recall type."""
    raw = rules.raw.get("recall_types", {})
    m = {k: str(v.get("statute", "")) for k, v in raw.items()}
    return pd.Series(rtype).map(m).fillna("").to_numpy(dtype=object)


#: "SED close": under this many days to SED little supervision is left to gain (the horizon of
#: the readiness score, :data:`toolkit.priority.features.HORIZON_DAYS`).
SED_NEAR_DAYS = 28


class _Reasons:
    """The case context every reason kind reads, and the list :meth:`add` fills."""

    def __init__(self, frame, as_of, scores, scored, action, route, rules):
        self.rules = load_rules(rules)
        self.n = n = len(frame)
        self.f = f = frame.reset_index(drop=True)
        self.s = scores.reset_index(drop=True)
        self.as_of = as_of
        self.route = (
            routes(f["recall_type"], self.rules)
            if route is None
            else np.asarray(route, dtype=object)
        )
        self.scored = (
            (self.route == "executive") if scored is None else np.asarray(scored, dtype=bool)
        )
        action = (
            np.where(self.scored, "review now", "no change").astype(object)
            if action is None
            else np.asarray(action, dtype=object)
        )
        self.review = pd.Series(action).str.startswith("review").to_numpy(dtype=bool) & self.scored
        self.now = (action == "review now") & self.scored
        self.t = days_between(as_of, f["recall_date"]).to_numpy()
        self.to_sed = days_between(
            f["sed_date"], pd.Series(as_of, index=pd.RangeIndex(n))
        ).to_numpy()
        self.auto = self.route == "automatic"
        self.rtype = f["recall_type"].astype(str).to_numpy(dtype=object)
        self.out: list[Reason] = []

    def add(self, code, mask, text, strength, where=None) -> None:
        """One reason kind: shown where ``mask`` holds, on the cases ``where`` selects (default
        the scored ones) and agreeing with the suggested action (:data:`REASON_KINDS`)."""
        n = self.n
        d = REASON_KINDS[code]
        ok = self.scored if where is None else where
        if d > 0:
            ok = ok & self.review
        elif d < 0:
            ok = ok & ~self.now
        mask = np.asarray(mask, dtype=bool) & ok
        # Model reasons rank by their contribution but below the rule reasons (2-3), which a
        # practitioner can act on directly.
        strength = np.minimum(strength, MODEL_CAP) if code in MODEL_REASONS else strength
        if not callable(text):
            fixed = np.broadcast_to(np.asarray(text, dtype=object), (n,))

            def text(i, fixed=fixed):
                return fixed[i]

        self.out.append(Reason(code, mask, text, np.broadcast_to(strength, n)))


def candidate_reasons(
    frame: pd.DataFrame,
    as_of: pd.Timestamp,
    scores: pd.DataFrame,
    *,
    scored: np.ndarray | None = None,
    action: np.ndarray | None = None,
    route: np.ndarray | None = None,
    rules=None,
) -> list[Reason]:
    """Every reason kind with its mask, words and strength (vectorised).

    ``scored`` marks the cases the model ranks, ``action`` their suggested action and
    ``route`` each case's release route (:func:`toolkit.priority.rank.prioritise` passes
    them); a reason is shown only where it agrees with them (:data:`REASON_KINDS`).
    """
    r = _Reasons(frame, as_of, scores, scored, action, route, rules)
    # the order is the tie-break between equally strong reasons: rules a person can check first
    _contact_reason(r)
    _accommodation_reason(r)
    _review_gap_reason(r)
    _programme_reason(r)
    _sed_near_reason(r)
    _model_reasons(r)
    _charge_and_board_reasons(r)
    _route_reasons(r)
    return r.out


def _contact_reason(r: _Reasons) -> None:
    if "om_contact_since_recall" not in r.f:
        return
    t = r.t
    r.add(
        "no_contact",
        r.f["om_contact_since_recall"].eq(False).fillna(False).to_numpy(),
        lambda i: (
            "no offender-manager contact since recall " + _int(t[i]) + f" days ago ({G_CONTACT})"
        ),
        3.0,
        where=~r.auto,
    )


def _accommodation_reason(r: _Reasons) -> None:
    f = r.f
    if "accommodation_secured_date" not in f:
        return
    acc = f["accommodation_secured_date"]
    if "last_review_date" in f:
        lr = f["last_review_date"]
        since = (acc.notna() & (lr.isna() | (acc > lr))).to_numpy()
        tail = np.where(
            lr.isna().to_numpy(), " and no review since recall", " and no review since then"
        ).astype(object)
    else:
        since = np.zeros(r.n, dtype=bool)
        tail = np.full(r.n, "", dtype=object)
    r.add(
        "accommodation_since_review",
        since,
        lambda i: (
            "accommodation secured on "
            + _obj(acc.iloc[i].dt.strftime("%Y-%m-%d").fillna(""))
            + tail[i]
            + f" ({G_BARRIERS})"
        ),
        2.5,
    )


def _review_gap_reason(r: _Reasons) -> None:
    if "last_review_date" not in r.f:
        return
    to_sed = r.to_sed
    since_rev = days_between(r.as_of, r.f["last_review_date"]).fillna(pd.Series(r.t)).to_numpy()
    months = np.floor(since_rev / 30.44)
    r.add(
        "long_to_sed_no_review",
        (to_sed >= LONG_TO_SED_DAYS) & (since_rev >= NO_REVIEW_DAYS),
        lambda i: (
            _int(to_sed[i])
            + " days to SED and no review in "
            + _int(months[i])
            + f" months ({G_ANY_POINT})"
        ),
        2.0,
    )


def _programme_reason(r: _Reasons) -> None:
    f = r.f
    if "programmes_needed" not in f:
        return
    to_sed = r.to_sed
    needed = f["programmes_needed"].fillna("").str.lower()
    done = (
        f["programmes_completed"].fillna("").str.lower()
        if "programmes_completed" in f
        else pd.Series("", index=pd.RangeIndex(r.n))
    )
    unmet_prog = first_unmet(needed, done)
    # days from starting a programme to finishing it (waiting list plus length): the review
    # model's assumed median, release rules [person] programme_median
    r.add(
        "programme_before_sed",
        unmet_prog.ne("").to_numpy() & (to_sed < programme_days(r.rules)),
        lambda i: (
            "unmet "
            + _obj(unmet_prog.iloc[i].str.replace("_", "-"))
            + " need with "
            + _int(to_sed[i])
            + " days to SED: cannot finish the programme before SED ("
            + G_BARRIERS
            + ")"
        ),
        2.2,
    )


def _sed_near_reason(r: _Reasons) -> None:
    to_sed = r.to_sed
    r.add(
        "sed_near",
        to_sed < SED_NEAR_DAYS,
        lambda i: (
            "SED in " + _int(to_sed[i]) + f" days: little supervision left to gain ({G_BEFORE_SED})"
        ),
        1.0,
    )


def _model_reasons(r: _Reasons) -> None:
    """Named only where the contribution is large, the row shows it and the case is suggested
    for review (the words say the score is raised)."""
    t, f, s = r.t, r.f, r.s
    c_t = s["contrib_log_days_since_recall"].to_numpy()
    r.add(
        "early_in_recall",
        c_t >= MIN_CONTRIBUTION,
        lambda i: (
            "recalled " + _int(t[i]) + " days ago: at this point of a recall the model's "
            f"readiness score is higher than for the average case ({G_NEAR})"
        ),
        c_t,
    )
    if "wants_release" not in f:
        return
    wants = f["wants_release"]
    c_w = s["contrib_wants_release"].to_numpy()
    r.add(
        "wants_release",
        wants.eq(True).fillna(False).to_numpy() & (c_w >= MIN_CONTRIBUTION),
        f"wants re-release ({G_VIEWS})",
        c_w,
    )
    r.add(
        "declines_release",
        wants.eq(False).fillna(False).to_numpy(),
        "does not want re-release: a review now is unlikely to release, so "
        "discuss the route to release (Better Outcomes 4)",
        np.abs(c_w),
        where=~r.auto,
    )


def _charge_and_board_reasons(r: _Reasons) -> None:
    f = r.f
    if "further_charge_or_remand" in f:
        r.add(
            "further_charge",
            f["further_charge_or_remand"].eq(True).fillna(False).to_numpy(),
            "further charge pending or remanded: release on licence would not end a remand in "
            "custody, and the charge bears on the public-protection test",
            4.0,
            where=~r.auto,
        )
    if "parole_board_stage" in f:
        stage = f["parole_board_stage"].astype(object).where(f["parole_board_stage"].notna(), "")
        referred = stage.isin(("referred", "dossier_due", "dossier_sent", "hearing_listed"))
        r.add(
            "board_referred",
            referred.to_numpy(),
            lambda i: (
                "referred to the Parole Board ("
                + _obj(stage.iloc[i].str.replace("_", " "))
                + "): executive release remains possible at any time before the Board decides "
                f"({G_ANY_POINT})"
            ),
            1.5,
            where=r.route == "executive",
        )


def _route_reasons(r: _Reasons) -> None:
    """Why a case is not ranked: its route (Board, automatic) or a type the model was not
    fitted on; the statute is the one the release rules cite for the type."""
    rtype, route, rules = r.rtype, r.route, r.rules
    board = route == "parole_board"
    unfitted = (route == "executive") & ~r.scored

    def type_words(i):
        return _obj(pd.Series(rtype[i]).str.replace("_", "/").str.upper())

    def dashed(i):
        return _obj(pd.Series(rtype[i]).str.replace("_", "-"))

    def stat(i):
        return _statutes(rtype[i], rules)

    r.add(
        "parole_board_route",
        board,
        lambda i: (
            type_words(i)
            + " recall: re-release only on a Parole Board direction ("
            + stat(i)
            + "), never by an executive review"
        ),
        5.0,
        where=board,
    )
    r.add(
        "not_fitted",
        unfitted,
        lambda i: (
            dashed(i) + " recall: the readiness model was fitted on other recall types, so it "
            "does not rank this case"
        ),
        5.0,
        where=unfitted,
    )
    r.add(
        "automatic_release",
        r.auto,
        lambda i: (
            "automatic release (" + dashed(i) + " recall, " + stat(i) + "): a review cannot "
            "bring it forward"
        ),
        5.0,
        where=r.auto,
    )


def first_unmet(needed: pd.Series, done: pd.Series | None = None) -> pd.Series:
    """The first programme in ``needed`` not in ``done`` ('' if none), vectorised and worked
    out once per distinct (needed, done) pair (a caseload repeats them)."""
    needed = needed.fillna("").astype(str).str.lower()
    done = (
        pd.Series("", index=needed.index)
        if done is None
        else done.fillna("").astype(str).str.lower()
    )
    key = needed.astype(object) + "|" + done.astype(object)
    codes, uniq = pd.factorize(key)
    u = pd.Series(uniq, dtype=object).str.split("|", n=1, expand=True)
    res = _first_unmet_unique(u[0], u[1] if 1 in u else pd.Series("", index=u.index))
    return pd.Series(res.to_numpy(dtype=object)[codes], index=needed.index)


def _first_unmet_unique(needed: pd.Series, done: pd.Series) -> pd.Series:
    nd = needed.str.split(";").explode().str.strip()
    dn = done.str.split(";").explode().str.strip()
    need = pd.DataFrame({"row": nd.index, "prog": nd.to_numpy()})
    need = need[need["prog"].notna() & need["prog"].ne("")]
    got = pd.DataFrame({"row": dn.index, "prog": dn.to_numpy()}).drop_duplicates()
    m = need.merge(got, on=["row", "prog"], how="left", indicator=True, sort=False)
    first = m[m["_merge"].eq("left_only")].drop_duplicates("row").set_index("row")["prog"]
    return first.reindex(needed.index).fillna("")


def reasons_text(
    frame: pd.DataFrame,
    as_of: pd.Timestamp,
    scores: pd.DataFrame,
    k: int = MAX_REASONS,
    **context,
) -> pd.Series:
    """The top ``k`` reasons per case joined with '; ' (strongest first); ``context`` is passed
    to :func:`candidate_reasons` (scored, action, route, rules)."""
    cands = candidate_reasons(frame, as_of, scores, **context)
    n = len(frame)
    strength = np.column_stack([np.where(r.mask, r.strength, -np.inf) for r in cands])
    order = np.argsort(-strength, axis=1, kind="stable")[:, :k]
    rows = np.arange(n)
    out = np.full(n, "", dtype=object)
    for j in range(order.shape[1]):  # k rounds, each vectorised over cases
        pick = order[:, j]
        ok = np.isfinite(strength[rows, pick])
        piece = np.full(n, "", dtype=object)
        for c_i, r in enumerate(cands):  # a dozen reason kinds; words built only where shown
            sel = np.flatnonzero(ok & (pick == c_i))
            if sel.size:
                piece[sel] = r.text(sel)
        sep = np.where((out != "") & ok, "; ", "")
        out = out + sep + piece
    out = np.where(out == "", "no specific reason beyond the ranking", out)
    return pd.Series(out, index=range(n), dtype=object)
