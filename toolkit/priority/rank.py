"""Rank a validated caseload: score, reasons and a suggested action per case.

A suggestion, never a decision: the action says when a review looks worth doing, with a
reviewer capacity of ``capacity`` reviews a week.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.priority.caseload import Caseload
from toolkit.priority.features import AUTOMATIC_TYPES, design
from toolkit.priority.reasons import reasons_text
from toolkit.priority.scorer import PriorityScorer, load_default_scorer

#: Weeks ahead a "review by DATE" suggestion looks; later than this the ranking is "no change".
WEEKS_AHEAD = 4
#: Below this expected gain (days of supervision) a review is not suggested at all: one day is
#: the resolution of the dates in a caseload.
MIN_DAYS_GAINED = 1.0
DEFAULT_CAPACITY = 20

#: Output columns, in order (a public contract).
RANKED_COLUMNS = (
    "case_reference",
    "rank",
    "chance_releasable_28d_pct",
    "chance_releasable_28d_pct_lo",
    "chance_releasable_28d_pct_hi",
    "days_gained_if_reviewed_now",
    "suggested_action",
    "reasons",
)


def prioritise(
    caseload: Caseload,
    *,
    scorer: PriorityScorer | None = None,
    capacity: int = DEFAULT_CAPACITY,
) -> pd.DataFrame:
    """Ranked caseload (highest expected supervised days gained by a review now first).

    Parameters
    ----------
    caseload : Caseload
        From :func:`toolkit.priority.caseload.validate_caseload`.
    scorer : PriorityScorer, optional
        Default: the shipped scorer.
    capacity : int
        Reviews available per week: the top ``capacity`` cases are "review now", the next ones
        "review by" the end of the week they fall in (up to four weeks), the rest "no change".

    Returns
    -------
    pandas.DataFrame with :data:`RANKED_COLUMNS`.
    """
    scorer = load_default_scorer() if scorer is None else scorer
    f = caseload.frame
    X = design(f, caseload.as_of)
    s = scorer.score_frame(X)
    auto = f["recall_type"].isin(AUTOMATIC_TYPES).to_numpy()
    gain = np.where(auto, 0.0, s["days_gained"].to_numpy())
    prob = np.where(auto, np.nan, s["probability"].to_numpy())
    order = np.lexsort((f["case_reference"].to_numpy(), -gain))  # ties: by reference
    rank = np.empty(len(f), dtype=np.int64)
    rank[order] = np.arange(1, len(f) + 1)
    week = (rank - 1) // max(capacity, 1)
    worth = gain >= MIN_DAYS_GAINED
    by = caseload.as_of + pd.to_timedelta(7 * (week + 1), unit="D")
    action = np.where(
        worth & (week == 0),
        "review now",
        np.where(
            worth & (week < WEEKS_AHEAD),
            "review by " + pd.Series(by).dt.strftime("%Y-%m-%d").to_numpy(dtype=object),
            "no change",
        ),
    )
    out = pd.DataFrame(
        {
            "case_reference": f["case_reference"].to_numpy(),
            "rank": rank,
            "chance_releasable_28d_pct": np.round(100 * prob, 1),
            "chance_releasable_28d_pct_lo": np.round(
                100 * np.where(auto, np.nan, s["probability_lo"]), 1
            ),
            "chance_releasable_28d_pct_hi": np.round(
                100 * np.where(auto, np.nan, s["probability_hi"]), 1
            ),
            "days_gained_if_reviewed_now": np.round(gain, 1),
            "suggested_action": action,
            "reasons": reasons_text(f, caseload.as_of, s).to_numpy(),
        }
    )
    return out.iloc[order].reset_index(drop=True)
