"""The one place that maps between the review simulation and caseload columns, and from a
validated caseload to the scorer's features.

* :func:`caseload_from_simulation` turns simulated recall episodes, seen at a moment while they
  are in custody, into caseload rows (the columns of :mod:`toolkit.priority.caseload`) plus the
  outcomes the scorer learns (releasable within 28 days; supervised days gained by a review
  now). The template's filled example and the training data both come from here.
* :func:`design` turns a typed caseload into the scorer's feature table.

When the review model changes what it records (issue 10), this module is the one to adapt.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import logit

from toolkit.priority.dates import days_between
from toolkit.priority.reasons import first_unmet
from toolkit.priority.routes import board_review_points, no_sed_types

# the feature names live with the stored model (numpy only); re-exported here
from toolkit.priority.stored import (  # noqa: F401
    BINARY_FEATURES,  # noqa: F401
    FAR_DAYS,
    FEATURES,
    LINEAR_FEATURES,
    SPLINE_FEATURES,  # noqa: F401
)
from toolkit.profile.rules import load_programme_rules
from toolkit.review import FormalReviews, load_release_rules, simulate_reviews
from toolkit.schema import NEED_ITEMS, RECALL_TYPES

#: Horizon of the "releasable soon" outcome, days (the issue's 28 days: the first statutory
#: review point and the usual executive decision window).
HORIZON_DAYS = 28
DEFAULT_AS_OF = pd.Timestamp("2026-01-05")


def design(frame: pd.DataFrame, as_of: pd.Timestamp, rules=None) -> pd.DataFrame:
    """The scorer's features from a typed caseload (see :data:`FEATURES`).

    Unknown optional values are NaN here; the scorer averages over unknown yes/no values and
    fills other unknowns with training means. Accommodation secured counts only where the
    person has an accommodation need: in the review model (and so in the training data)
    accommodation is a barrier only for people who need it, and "secured" without a need never
    occurs, so the model has nothing to say about it.
    """
    t = days_between(as_of, frame["recall_date"]).clip(lower=0)
    to_sed = days_between(frame["sed_date"], pd.Series(as_of, index=frame.index))
    indeterminate = frame["recall_type"].isin(no_sed_types(rules)).to_numpy()
    to_sed = to_sed.where(~indeterminate, FAR_DAYS).clip(0, FAR_DAYS)
    if "last_review_date" in frame:
        since_review = days_between(as_of, frame["last_review_date"]).fillna(t)
    else:
        # Unknown: assume the statutory points were held (the Board referral day, then the
        # yearly review), as the simulation's formal reviews are; before the first, none yet.
        tt = t.to_numpy()
        last = board_review_points(tt, rules)
        since_review = pd.Series(np.where(np.isnan(last), tt, tt - last), index=frame.index)
    ogrs = np.clip(frame["ogrs3_2yr"].to_numpy(float) / 100, 1e-3, 1 - 1e-3)
    if "need_domains" in frame:
        need = frame["need_domains"]
    else:
        need = pd.Series(np.nan, index=frame.index)
    out = pd.DataFrame(
        {
            "log_days_since_recall": np.log1p(t),
            "log_days_to_sed": np.log1p(to_sed),
            "log_days_since_review": np.log1p(since_review),
            "logit_ogrs3": logit(ogrs),
            "need_domains": need.astype("float64"),
            "accommodation_need": _flag(frame, "need_accommodation", lambda s: s >= 1),
            "accommodation_secured": _secured_if_needed(frame),
            "unmet_programme": _unmet_programme(frame),
            "om_contact": _flag(frame, "om_contact_since_recall", lambda s: s),
            "wants_release": _flag(frame, "wants_release", lambda s: s),
            "rosh_very_high": (frame["rosh"] == "very_high").to_numpy(float),
            "indeterminate": indeterminate.astype(float),
        },
        index=frame.index,
    )
    return out


def _secured_if_needed(frame) -> np.ndarray:
    secured = _flag(frame, "accommodation_secured", lambda s: s)
    need = _flag(frame, "need_accommodation", lambda s: s >= 1)
    return np.where(need == 0, 0.0, secured)


def _unmet_programme(frame) -> np.ndarray:
    """1 where a needed programme is not completed, 0 where none is, NaN if not known."""
    if "programmes_needed" not in frame:
        return np.full(len(frame), np.nan)
    done = frame["programmes_completed"] if "programmes_completed" in frame else None
    return first_unmet(frame["programmes_needed"], done).ne("").to_numpy(float)


def _flag(frame, col, fn) -> np.ndarray:
    if col not in frame:
        return np.full(len(frame), np.nan)
    s = frame[col]
    v = fn(s.astype("float64") if s.dtype != "boolean" else s)
    return pd.array(v, dtype="boolean").to_numpy(dtype="float64", na_value=np.nan)


def caseload_from_simulation(
    cohort: pd.DataFrame,
    n: int,
    *,
    as_of: pd.Timestamp = DEFAULT_AS_OF,
    populations=("standard",),
    rules=None,
    programmes=None,
    rng: np.random.Generator | int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulated people in custody on ``as_of``, as caseload rows plus their outcomes.

    The records of :func:`toolkit.review.simulate_reviews` under the formal reviews (one row
    per admission, with each person's event days and ``releasable_day``) are seen at a moment
    ``t`` while in custody, picked with probability proportional to the stay (a caseload on a
    given day holds long stays more often, as a census does) and uniformly within it.
    ``programmes`` are the programme rules the cohort was built with (default: the shipped
    ones); the rows' programme names are theirs.

    Returns
    -------
    caseload : pandas.DataFrame
        Typed caseload columns (as :func:`toolkit.priority.caseload.validate_caseload` gives).
    outcomes : pandas.DataFrame
        ``releasable_28d`` (``executive_open_day <= t + 28``: releasable, OM contact made and
        no further charge pending, so an executive review could release), ``releasable_now``,
        ``days_gained`` (supervised days an executive review today would add: for people
        releasable now, the notice probability times the days from ``t`` plus the median
        executive decision delay to the release the formal path gives; *assumed* mean of the
        engine's random delay), ``review_type`` (True for review-based recalls).
    """
    rng = np.random.default_rng(rng)
    rules = load_release_rules() if rules is None else rules
    sim_rng, pick_rng, _ = rng.spawn(3)  # the third stream is kept so that seeds stay stable
    rec = _formal_records(cohort, 3 * n, rules, populations, sim_rng)
    r, t = _seen_in_custody(rec, n, rules, pick_rng)
    outcomes = _outcomes(r, t, rules)
    return _caseload_rows(cohort, r, t, as_of, rules, programmes), outcomes


def _formal_records(cohort, n_admissions, rules, populations, rng) -> pd.DataFrame:
    """One replication of the formal reviews: one record per admission."""
    return simulate_reviews(
        cohort,
        {"formal": FormalReviews()},
        rules,
        n=n_admissions,
        n_replications=1,
        populations=populations,
        rng=rng,
    ).records


def _seen_in_custody(rec, n, rules, rng) -> tuple[pd.DataFrame, np.ndarray]:
    """``n`` records picked in proportion to their stay (length-biased, as a caseload on one
    day holds them) and the day ``t`` since recall each is seen on (uniform within the stay)."""
    stay = np.maximum(rec["release_day"].to_numpy(float), 1.0)
    stay = np.where(np.isfinite(stay), stay, rules.horizon_days)
    pick = np.sort(rng.choice(len(rec), size=n, replace=False, p=stay / stay.sum()))
    r = rec.iloc[pick].reset_index(drop=True)
    t = np.floor(rng.random(n) * stay[pick])
    return r, t


def _outcomes(r: pd.DataFrame, t: np.ndarray, rules) -> pd.DataFrame:
    """What the scorer learns for each seen record (see :func:`caseload_from_simulation`)."""
    rtype = r["recall_type"].astype(str).to_numpy()
    review_type = np.array([rules.types[x].release == "review" for x in rtype])
    # what an executive review can act on: releasable, OM contact made and no further charge
    # pending (the review model's `executive_open_day`; records without it: releasable_day)
    col = "executive_open_day" if "executive_open_day" in r else "releasable_day"
    releasable = r[col].to_numpy(float)
    now = (releasable <= t) & review_type
    exec_ok = (
        np.array([rules.types[x].executive for x in rtype])
        & ~r["rosh"].astype(str).isin(rules.excluded_rosh).to_numpy()
    )
    limit = np.minimum(r["sed_day"].to_numpy(float), rules.horizon_days)
    base = np.minimum(r["release_day"].to_numpy(float), limit)
    gained = np.where(
        now & exec_ok,
        rules.notice_probability * np.maximum(base - (t + rules.delay_executive), 0.0),
        0.0,
    )
    return pd.DataFrame(
        {
            "releasable_28d": (releasable <= t + HORIZON_DAYS) & review_type,
            "releasable_now": now,
            "days_gained": gained,
            "review_type": review_type,
        }
    )


def _caseload_rows(cohort, r, t, as_of, rules, programmes) -> pd.DataFrame:
    """The seen records as typed caseload columns, dated back from ``as_of``."""
    n = len(r)
    c = cohort.set_index("person_id").loc[r["person_id"].to_numpy()].reset_index()
    recall_date = as_of - pd.to_timedelta(t, unit="D")
    sed = r["sed_day"].to_numpy(float)
    sed = np.where(np.isfinite(sed), sed, np.nan)
    accom_day = r["accommodation_day"].to_numpy(float)
    accom_secured = accom_day <= t
    prog_done = r["programme_day"].to_numpy(float) <= t
    needed, completed = _programmes(
        c, r["unmet_programme_need"].to_numpy(bool), prog_done, programmes
    )
    # Last review: the statutory points held (referral day, then yearly), as the formal strategy.
    last = board_review_points(t, rules)
    frame = pd.DataFrame(
        {
            "case_reference": [f"SIM{i:06d}" for i in range(1, n + 1)],
            "recall_type": pd.Categorical(
                r["recall_type"].astype(str).to_numpy(), categories=list(RECALL_TYPES)
            ),
            "recall_date": recall_date,
            "sed_date": recall_date + pd.to_timedelta(np.round(sed), unit="D"),
            "age": r["age"].to_numpy(float),
            "sex": r["sex"].astype(str).to_numpy(),
            "ethnicity": r["ethnicity"].astype(str).to_numpy(),
            "ogrs3_2yr": r["ogrs3_2yr"].to_numpy(float),
            "rsr_2yr": r["rsr_2yr"].to_numpy(float),
            "rosh": r["rosh"].astype(str).to_numpy(),
            "need_domains": c["need_domains"].astype("float64").to_numpy(),
            **{i: c[i].astype("float64").to_numpy() for i in NEED_ITEMS},
            "accommodation_secured": pd.array(accom_secured, dtype="boolean"),
            "accommodation_secured_date": recall_date
            + pd.to_timedelta(np.where(accom_secured, np.floor(accom_day), np.nan), "D"),
            "programmes_needed": needed,
            "programmes_completed": completed,
            "last_review_date": recall_date + pd.to_timedelta(last, "D"),
            "om_contact_since_recall": pd.array(
                r["om_contact_day"].to_numpy(float) <= t, dtype="boolean"
            ),
            "wants_release": pd.array(r["wants_release"].to_numpy(bool), dtype="boolean"),
        }
    )
    # The caseload's accommodation need is the record's (the need item 0/1/2 follows it).
    need = r["accommodation_need"].to_numpy(bool)
    frame["need_accommodation"] = np.where(
        need, np.maximum(frame["need_accommodation"].fillna(1), 1), 0.0
    )
    return frame


def simulated_caseload(
    n: int,
    *,
    rng: np.random.Generator | int | np.random.SeedSequence | None = None,
    cohort: pd.DataFrame | None = None,
    populations=("standard",),
):
    """Typed caseload, its feature table and outcomes from the review simulation, on
    :data:`DEFAULT_AS_OF` (a standard-recall cohort is generated when none is given): the
    training and held-out data of the scorer and the fairness audit on simulated cases.

    Returns
    -------
    frame, features, outcomes
        :func:`caseload_from_simulation`'s two tables and :func:`design` of the first.
    """
    # the cohort generator (about 2 s of scipy.stats import) only when a cohort is made here
    from toolkit.cohort.generate import generate_cohort

    rng = np.random.default_rng(rng)
    c_rng, s_rng = rng.spawn(2)
    if cohort is None:
        cohort = generate_cohort(populations=list(populations), rng=c_rng)
    frame, outcomes = caseload_from_simulation(
        cohort, n, populations=populations, as_of=DEFAULT_AS_OF, rng=s_rng
    )
    return frame, design(frame, DEFAULT_AS_OF), outcomes


def _programmes(
    c: pd.DataFrame, unmet_flag: np.ndarray, done_event: np.ndarray, rules=None
) -> tuple[np.ndarray, np.ndarray]:
    """Programme names for the caseload: needed = the cohort's suitable programmes; for people
    the review model gives an unmet need, the first suitable one not attended is the unmet
    one (completed once its day has passed); everything else suitable counts as completed.
    Programme names are those of ``rules`` (the programme rules the cohort was built with;
    default the shipped ones)."""
    rules = load_programme_rules() if rules is None else rules
    names = [p.name for p in rules.programmes]
    try:
        # the needs stage (about 3 s of import) only for a cohort with programme columns
        from toolkit.needs.gap import outcome_matrix

        suit, att, _ = outcome_matrix(c, rules)
    except Exception:  # noqa: BLE001 - a cohort without programme columns: none known
        suit = np.zeros((len(c), len(names)), dtype=bool)
        att = suit.copy()
    suit = suit.copy()
    unmet = suit & ~att
    # The review model's unmet need decides; give it a programme if the cohort has none.
    no_prog = unmet_flag & ~unmet.any(axis=1)
    suit[no_prog, 0] = True
    unmet[no_prog, 0] = True
    first = unmet.argmax(axis=1)
    comp = suit.copy()
    rows = np.flatnonzero(unmet_flag & ~done_event)
    comp[rows, first[rows]] = False  # the one unmet programme is not yet completed
    return _join(suit, names), _join(comp, names)


def _join(mask: np.ndarray, programmes) -> np.ndarray:
    names = np.asarray(programmes, dtype=object)
    out = np.full(mask.shape[0], "", dtype=object)
    for j in range(mask.shape[1]):  # a handful of programmes, vectorised over people
        sep = np.where(out == "", "", ";")
        out = np.where(mask[:, j], out + sep + names[j], out)
    return out


def to_csv_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A typed caseload as the text a CSV holds (dates ISO, yes/no, blanks)."""
    out = pd.DataFrame(index=frame.index)
    for c in frame.columns:
        s = frame[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[c] = s.dt.strftime("%Y-%m-%d").fillna("")
        elif str(s.dtype) == "boolean":
            out[c] = s.map({True: "yes", False: "no"}).astype(object).fillna("")
        elif pd.api.types.is_float_dtype(s):
            whole = bool(s.dropna().eq(np.floor(s.dropna())).all())
            txt = (s.round(0).astype("Int64") if whole else s.round(2)).astype(str)
            out[c] = txt.where(s.notna(), "")
        else:
            out[c] = s.astype(object).where(s.notna(), "").astype(str)
    return out


def design_from_review_features(features: pd.DataFrame) -> pd.DataFrame:
    """The scorer's features from the review engine's caseload view
    (:data:`toolkit.review.FEATURES`, one row per candidate on a review day)."""
    t = features["days_since_recall"].to_numpy(float)
    rtype = features["recall_type"].astype(str)
    indeterminate = rtype.isin(no_sed_types()).to_numpy()
    to_sed = np.where(indeterminate, FAR_DAYS, features["days_to_sed"].to_numpy(float))
    to_sed = np.clip(np.nan_to_num(to_sed, nan=FAR_DAYS, posinf=FAR_DAYS), 0, FAR_DAYS)
    last = board_review_points(t)
    since = np.where(np.isnan(last), t, t - last)
    ogrs = np.clip(features["ogrs3_2yr"].to_numpy(float) / 100, 1e-3, 1 - 1e-3)
    unmet = features["unmet_programme_need"].to_numpy(bool) & ~features[
        "programme_completed"
    ].to_numpy(bool)
    return pd.DataFrame(
        {
            "log_days_since_recall": np.log1p(np.maximum(t, 0)),
            "log_days_to_sed": np.log1p(to_sed),
            "log_days_since_review": np.log1p(since),
            "logit_ogrs3": logit(ogrs),
            "need_domains": np.nan,
            "accommodation_need": features["accommodation_need"].to_numpy(float),
            "accommodation_secured": features["accommodation_secured"].to_numpy(float),
            "unmet_programme": unmet.astype(float),
            "om_contact": features["om_contact"].to_numpy(float),
            "wants_release": features["wants_release"].to_numpy(float),
            "rosh_very_high": (features["rosh"].astype(str) == "very_high").to_numpy(float),
            "indeterminate": indeterminate.astype(float),
        },
        index=features.index,
    )
