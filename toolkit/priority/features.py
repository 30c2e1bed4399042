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

from toolkit.schema import NEED_ITEMS, PROGRAMMES, RECALL_TYPES

#: Horizon of the "releasable soon" outcome, days (the issue's 28 days: the first statutory
#: review point and the usual executive decision window).
HORIZON_DAYS = 28
#: SED further than this counts as "far" (and indeterminate sentences are set to it): five
#: years is the longest follow-up the simulation runs.
FAR_DAYS = 1825.0
#: Features modelled with a spline (non-linear in the log of days / logit of a score).
SPLINE_FEATURES = (
    "log_days_since_recall",
    "log_days_to_sed",
    "log_days_since_review",
    "logit_ogrs3",
)
#: Features entering linearly (yes/no as 0/1; unknown -> the training mean).
LINEAR_FEATURES = (
    "need_domains",
    "accommodation_need",
    "accommodation_secured",
    "wants_release",
    "rosh_very_high",
    "indeterminate",
)
FEATURES = SPLINE_FEATURES + LINEAR_FEATURES
#: Yes/no features a caseload may leave unknown; the scorer averages over them when unknown.
BINARY_FEATURES = ("accommodation_need", "accommodation_secured", "wants_release")
#: Recall types released automatically (no review can bring release forward).
AUTOMATIC_TYPES = ("fixed_term", "hdc")
DEFAULT_AS_OF = pd.Timestamp("2026-01-05")


def days_between(later: pd.Series | pd.Timestamp, earlier: pd.Series) -> pd.Series:
    """Whole days from ``earlier`` to ``later`` as float (NaN where a date is missing)."""
    return (later - earlier).dt.days.astype("float64")


def design(frame: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """The scorer's features from a typed caseload (see :data:`FEATURES`).

    Unknown optional values are NaN here; the scorer fills them with training means.
    """
    t = days_between(as_of, frame["recall_date"]).clip(lower=0)
    to_sed = days_between(frame["sed_date"], pd.Series(as_of, index=frame.index))
    indeterminate = frame["recall_type"].isin(("ipp_dpp", "life")).to_numpy()
    to_sed = to_sed.where(~indeterminate, FAR_DAYS).clip(0, FAR_DAYS)
    if "last_review_date" in frame:
        since_review = days_between(as_of, frame["last_review_date"]).fillna(t)
    else:
        # Unknown: assume the statutory points were held (day 28, then yearly), as the
        # simulation's formal reviews are (release_rules.toml: review_days = [28],
        # annual_review_every = 365); before day 28, no review yet.
        tt = t.to_numpy()
        last = np.where(tt >= 28, 28 + 365 * np.floor((tt - 28) / 365), np.nan)
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
            "accommodation_secured": _flag(frame, "accommodation_secured", lambda s: s),
            "wants_release": _flag(frame, "wants_release", lambda s: s),
            "rosh_very_high": (frame["rosh"] == "very_high").to_numpy(float),
            "indeterminate": indeterminate.astype(float),
        },
        index=frame.index,
    )
    return out


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
    rng: np.random.Generator | int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulated people in custody on ``as_of``, as caseload rows plus their outcomes.

    Episodes are drawn with :func:`toolkit.review.build_episodes`; each is seen at a moment
    ``t`` while in custody under the formal reviews, picked with probability proportional to
    the stay (a caseload on a given day holds long stays more often, as a census does) and
    uniformly within it.

    Returns
    -------
    caseload : pandas.DataFrame
        Typed caseload columns (as :func:`toolkit.priority.caseload.validate_caseload` gives).
    outcomes : pandas.DataFrame
        ``releasable_28d`` (manageable within 28 days and wanting release), ``releasable_now``,
        ``days_gained``
        (supervised days a review today adds under the engine's own rules), plus
        ``review_type`` (True for review-based recalls).
    """
    from toolkit.review import FormalReviews, build_episodes, load_release_rules
    from toolkit.review.engine import release_outcomes

    rng = np.random.default_rng(rng)
    rules = load_release_rules() if rules is None else rules
    # Oversample episodes, then keep n with probability proportional to stay.
    ep = build_episodes(cohort, rules, 3 * n, populations=populations, rng=rng)
    formal_days = FormalReviews().review_days(ep, rules)
    formal = release_outcomes(ep, formal_days, rules)
    stay = np.maximum(formal["release_day"], 1.0)
    pick = rng.choice(ep.n, size=n, replace=False, p=stay / stay.sum())
    t = np.floor(rng.random(n) * stay[pick])
    sub = _take(ep, pick)
    fd = formal_days[pick]
    # Outcome 1: releasable within 28 days (the engine's own latent day and refusals).
    releasable = (sub.manageable <= t + HORIZON_DAYS) & ~sub.declines & sub.reviewable
    # Outcome 2: supervised days gained by an extra review today, from the engine itself.
    with_now = np.sort(np.concatenate([fd, t[:, None]], axis=1), axis=1)
    now = release_outcomes(sub, with_now, rules)
    base = {k: v[pick] for k, v in formal.items()}
    gained = np.maximum(now["supervised_days"] - base["supervised_days"], 0.0)
    last_review = np.where(fd <= t[:, None], fd, -np.inf).max(axis=1)
    c = cohort.iloc[sub.cohort_row].reset_index(drop=True)
    recall_date = as_of - pd.to_timedelta(t, unit="D")
    sed = np.where(np.isfinite(sub.sed), sub.sed, np.nan)
    rtype = np.asarray(RECALL_TYPES)[sub.recall_type]
    accom_secured = sub.event_day[:, 0] <= t
    prog_done = sub.event_day[:, 1] <= t
    needed, completed = _programmes(c, prog_done)
    frame = pd.DataFrame(
        {
            "case_reference": [f"SIM{i:06d}" for i in range(1, n + 1)],
            "recall_type": pd.Categorical(rtype, categories=list(RECALL_TYPES)),
            "recall_date": recall_date,
            "sed_date": recall_date + pd.to_timedelta(sed, unit="D").round("D"),
            "age": c["age"].to_numpy(float),
            "sex": c["sex"].astype(str).to_numpy(),
            "ethnicity": c["ethnicity"].astype(str).to_numpy(),
            "ogrs3_2yr": c["ogrs3_2yr"].to_numpy(float),
            "rsr_2yr": c["rsr_2yr"].to_numpy(float),
            "rosh": c["rosh"].astype(str).to_numpy(),
            "need_domains": c["need_domains"].astype("float64").to_numpy(),
            **{i: c[i].astype("float64").to_numpy() for i in NEED_ITEMS},
            "accommodation_secured": pd.array(accom_secured, dtype="boolean"),
            "accommodation_secured_date": recall_date
            + pd.to_timedelta(np.where(accom_secured, np.floor(sub.event_day[:, 0]), np.nan), "D"),
            "programmes_needed": needed,
            "programmes_completed": completed,
            "last_review_date": recall_date
            + pd.to_timedelta(np.where(np.isfinite(last_review), last_review, np.nan), "D"),
            # OM contact is not in the review model; assumed: contact happens within about
            # three weeks of recall for 90% of people (labelled assumed in the template).
            "om_contact_since_recall": pd.array(
                rng.random(n) < 0.9 * (1 - np.exp(-t / 21.0)), dtype="boolean"
            ),
            "wants_release": pd.array(~sub.declines, dtype="boolean"),
        }
    )
    # Whole days (a caseload holds dates); keep recall day as t days before as_of.
    for col in ("sed_date", "accommodation_secured_date", "last_review_date"):
        frame[col] = frame[col].dt.normalize()
    outcomes = pd.DataFrame(
        {
            "releasable_28d": releasable,
            "releasable_now": (sub.manageable <= t) & ~sub.declines & sub.reviewable,
            "days_gained": np.where(sub.reviewable, gained, 0.0),
            "review_type": sub.reviewable,
        }
    )
    return frame, outcomes


def _take(ep, idx):
    from dataclasses import fields, replace

    vals = {
        f.name: getattr(ep, f.name)[idx]
        for f in fields(ep)
        if isinstance(getattr(ep, f.name), np.ndarray)
    }
    return replace(ep, n=len(idx), **vals)


def _programmes(c: pd.DataFrame, done_event: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Programmes needed (suitable) and completed (attended, or a completion event by now)."""
    try:
        from toolkit.needs.gap import outcome_matrix
        from toolkit.profile.rules import load_programme_rules

        suit, att, _ = outcome_matrix(c, load_programme_rules())
    except Exception:  # noqa: BLE001 - a cohort without programme columns: none known
        empty = np.full(len(c), "", dtype=object)
        return empty, empty.copy()
    unmet = suit & ~att
    # A completion event completes the first unmet programme.
    first = unmet.argmax(axis=1)
    comp = att.copy()
    rows = np.flatnonzero(done_event & unmet.any(axis=1))
    comp[rows, first[rows]] = True
    return _join(suit), _join(comp)


def _join(mask: np.ndarray) -> np.ndarray:
    names = np.asarray(PROGRAMMES, dtype=object)
    out = np.full(mask.shape[0], "", dtype=object)
    for j in range(mask.shape[1]):  # six programmes, vectorised over people
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


def episodes_caseload(ep, cohort: pd.DataFrame, idx, t, *, last_review=None) -> pd.DataFrame:
    """Caseload rows for episodes ``idx`` seen ``t`` days after their recall (the review
    engine's view of a person during a capacity simulation); see :func:`caseload_from_simulation`
    for the same mapping with outcomes."""
    idx = np.asarray(idx)
    t = np.broadcast_to(np.asarray(t, dtype=float), idx.shape)
    c = cohort.iloc[ep.cohort_row[idx]]
    recall_date = DEFAULT_AS_OF - pd.to_timedelta(np.floor(t), unit="D")
    sed = np.where(np.isfinite(ep.sed[idx]), ep.sed[idx], np.nan)
    lr = None if last_review is None else np.where(np.isfinite(last_review), last_review, np.nan)
    frame = pd.DataFrame(
        {
            "recall_type": pd.Categorical(
                np.asarray(RECALL_TYPES)[ep.recall_type[idx]], categories=list(RECALL_TYPES)
            ),
            "recall_date": recall_date,
            "sed_date": recall_date + pd.to_timedelta(sed, unit="D"),
            "ogrs3_2yr": c["ogrs3_2yr"].to_numpy(float),
            "rosh": c["rosh"].astype(str).to_numpy(),
            "need_domains": c["need_domains"].astype("float64").to_numpy(),
            "need_accommodation": c["need_accommodation"].astype("float64").to_numpy(),
            "accommodation_secured": pd.array(ep.event_day[idx, 0] <= t, dtype="boolean"),
            "wants_release": pd.array(~ep.declines[idx], dtype="boolean"),
        }
    )
    if lr is not None:
        frame["last_review_date"] = recall_date + pd.to_timedelta(lr, unit="D")
    return frame
