"""Each recall type's release route, read from the release rules in force.

The route decides what a useful step is for a case, before any score:

* ``executive``: the Secretary of State may re-release at any time once satisfied the
  public-protection test is met (CJA 2003 s.255C(2)-(3)); a review can bring release forward,
  so these cases are ranked (when the scorer was fitted on their recall type).
* ``parole_board``: re-release only on a Parole Board direction (Crime (Sentences) Act 1997
  s.28 and s.32(4)-(5) for IPP/DPP and life); no executive review can release, so the useful
  step is the dossier or representations for the Board, never "releasable by review".
* ``automatic``: re-release on a fixed day after return to custody (CJA 2003 s.255B for
  fixed-term recalls; HDC recalls until the conditional release date); a review cannot bring it
  forward, though early release on representations, or cancellation of the revocation where
  the law allows, remains possible and is labelled as such.

The facts (which type goes which way, its release day) come from the release rules file
through :func:`toolkit.review.load_release_rules`; nothing here lists recall types.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import numpy as np
import pandas as pd

from toolkit.review import load_release_rules

ROUTES = ("executive", "parole_board", "automatic")


def load_rules(rules=None):
    """The release rules in force (default: the shipped file, read once per process through the
    public loader: the review simulation's scorer ordering asks for it on every review day)."""
    return _shipped_rules() if rules is None else rules


@lru_cache(maxsize=1)
def _shipped_rules():
    return load_release_rules()


def programme_days(rules=None) -> float:
    """Days from starting an accredited programme to finishing it (waiting list plus length):
    the review model's assumed median, release rules ``[person] programme_median``."""
    return float(load_rules(rules).person["programme_median"])


def route_of_type(rules=None) -> dict[str, str]:
    """Recall type -> route, as the release rules say."""
    rules = load_rules(rules)
    out = {}
    for name, rule in rules.types.items():
        if rule.release == "automatic":
            out[name] = "automatic"
        elif rule.executive:
            out[name] = "executive"
        else:
            out[name] = "parole_board"
    return out


def routes(recall_type: pd.Series, rules=None) -> np.ndarray:
    """The route of each case (object array; '' for a type the rules do not know)."""
    m = route_of_type(rules)
    return recall_type.astype(str).map(m).fillna("").to_numpy(dtype=object)


def types_on(route: str, rules=None) -> tuple[str, ...]:
    """Recall types whose release goes by ``route``."""
    return tuple(t for t, r in route_of_type(rules).items() if r == route)


def no_sed_types(rules=None) -> tuple[str, ...]:
    """Recall types with no sentence expiry date: those the rules do not release at SED."""
    rules = load_rules(rules)
    return tuple(
        n for n, r in rules.types.items() if r.release == "review" and not r.release_at_sed
    )


def automatic_release_date(recall_type: pd.Series, recall_date: pd.Series, rules=None) -> pd.Series:
    """The latest automatic re-release date (recall date + the rules' release day; NaT
    elsewhere).

    For fixed-term recalls the rules give 28 days (14 for sentences under 12 months, which a
    caseload does not record: the longer period is shown, labelled in the action). A recall
    type with ``curfew_max_days`` (HDC: release at the conditional release date, which a
    caseload does not record) gets the latest date the rules allow, recall + curfew_max_days,
    not the modelled mean (``automatic_release_day``), so a date shown as passed has passed.
    """
    rules = load_rules(rules)
    days = {
        n: float(r.curfew_max_days if r.curfew_max_days is not None else r.automatic_release_day)
        for n, r in rules.types.items()
        if r.release == "automatic"
        and (r.automatic_release_day is not None or r.curfew_max_days is not None)
    }
    d = recall_type.astype(str).map(days).astype("float64")
    return recall_date + pd.to_timedelta(d, unit="D")


def board_review_points(t: np.ndarray, rules=None, recall_type: Iterable[str] | None = None):
    """Days since recall of the last statutory review point on or before ``t`` (NaN before the
    first): the Board referral day, then every ``board_review_every`` days (CJA 2003 s.255C(4),
    s.256A(1)). One copy of this arithmetic, read from the rules; the standard recall's timetable
    is used unless ``recall_type`` names each case's type."""
    rules = load_rules(rules)
    t = np.asarray(t, dtype=float)
    if recall_type is None:
        std = rules.types["standard"]
        first = np.full(t.shape, float(std.board_referral_day))
        every = np.full(t.shape, float(std.board_review_every))
    else:
        rt = pd.Series(list(recall_type), dtype=object)
        first = rt.map({n: r.board_referral_day for n, r in rules.types.items()}).to_numpy(
            dtype=float
        )
        every = rt.map({n: r.board_review_every for n, r in rules.types.items()}).to_numpy(
            dtype=float
        )
    with np.errstate(invalid="ignore"):
        last = first + every * np.floor((t - first) / every)
    return np.where(t >= first, last, np.nan)
