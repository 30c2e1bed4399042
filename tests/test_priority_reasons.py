"""Every reason in a ranked list is checked against its own row (issue 13 item 3)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from toolkit.priority.caseload import validate_caseload
from toolkit.priority.features import DEFAULT_AS_OF, design, to_csv_text
from toolkit.priority.rank import prioritise
from toolkit.priority.reasons import (
    LONG_TO_SED_DAYS,
    NO_REVIEW_DAYS,
    reasons_text,
)
from toolkit.priority.routes import programme_days, types_on
from toolkit.priority.scorer import load_default_scorer
from toolkit.priority.train import simulated_caseload


@pytest.fixture(scope="module")
def ranked_with_rows():
    frame, _, _ = simulated_caseload(3000, rng=303)
    # Round-trip through CSV text: the reasons are checked against what the user's file says.
    cl = validate_caseload(to_csv_text(frame), as_of=DEFAULT_AS_OF)
    ranked = prioritise(cl, capacity=20)
    rows = cl.frame.set_index("case_reference").loc[ranked["case_reference"]].reset_index()
    return ranked, rows, cl.as_of


def _days(a, b):
    return (a - b).days


def check(reason: str, row: pd.Series, as_of: pd.Timestamp) -> bool:
    """Is this reason true of this row? Each known wording is parsed and verified."""
    t = _days(as_of, row["recall_date"])
    to_sed = _days(row["sed_date"], as_of) if pd.notna(row["sed_date"]) else None
    lr = row.get("last_review_date")
    if m := re.match(r"no offender-manager contact since recall (\d+) days ago", reason):
        return row["om_contact_since_recall"] is False or row["om_contact_since_recall"] == False  # noqa: E712
    if m := re.match(
        r"accommodation secured on (\d{4}-\d\d-\d\d) and no review since (then|recall)", reason
    ):
        acc = row["accommodation_secured_date"]
        ok = pd.notna(acc) and acc.strftime("%Y-%m-%d") == m.group(1)
        return ok and (pd.isna(lr) if m.group(2) == "recall" else acc > lr)
    if m := re.match(r"(\d+) days to SED and no review in (\d+) months", reason):
        since = _days(as_of, lr) if pd.notna(lr) else t
        return (
            int(m.group(1)) == to_sed
            and to_sed >= LONG_TO_SED_DAYS
            and since >= NO_REVIEW_DAYS
            and int(m.group(2)) == int(np.floor(since / 30.44))
        )
    if m := re.match(r"unmet ([a-z-]+) need with (-?\d+) days to SED: cannot finish", reason):
        prog = m.group(1).replace("-", "_")
        needed = row["programmes_needed"].split(";")
        done = (row.get("programmes_completed") or "").split(";")
        return prog in needed and prog not in done and int(m.group(2)) == to_sed < programme_days()
    if m := re.match(r"SED in (-?\d+) days", reason):
        return int(m.group(1)) == to_sed and to_sed < 28
    if m := re.match(r"recalled (\d+) days ago", reason):
        return int(m.group(1)) == t
    if reason.startswith("wants re-release"):
        return row["wants_release"] == True  # noqa: E712
    if reason.startswith("does not want re-release"):
        return row["wants_release"] == False  # noqa: E712
    if reason.startswith("automatic release"):
        return row["recall_type"] in types_on("automatic")
    if re.match(r"[A-Z/]+ recall: re-release only on a Parole Board direction", reason):
        return row["recall_type"] in types_on("parole_board")
    if re.match(r"[a-z-]+ recall: the readiness model was fitted on other", reason):
        return row["recall_type"] in types_on("executive") and row["recall_type"] != "standard"
    if reason.startswith("further charge pending or remanded"):
        return row["further_charge_or_remand"] == True  # noqa: E712
    if m := re.match(r"referred to the Parole Board \(([a-z ]+)\)", reason):
        return row["parole_board_stage"] == m.group(1).replace(" ", "_")
    if reason.startswith("no specific reason"):
        return True
    raise AssertionError(f"unknown reason wording: {reason!r}")


def test_every_reason_is_true_of_its_row(ranked_with_rows):
    ranked, rows, as_of = ranked_with_rows
    n_checked = 0
    for i in range(len(ranked)):  # the test may loop; the code under test does not
        for reason in ranked.at[i, "reasons"].split("; "):
            assert check(reason, rows.iloc[i], as_of), (ranked.at[i, "case_reference"], reason)
            n_checked += 1
    assert n_checked > len(ranked)  # most cases carry more than one reason


def test_reason_kinds_all_occur(ranked_with_rows):
    """The check above is only as good as the wordings it meets: each kind must appear."""
    text = " ".join(ranked_with_rows[0]["reasons"])
    for phrase in (
        "no offender-manager contact since recall",
        "accommodation secured on",
        "days to SED and no review in",
        "cannot finish the programme before SED",
        "wants re-release",
        "does not want re-release",
        "recalled",
    ):
        assert phrase in text, phrase
    assert "OGRS3" not in text  # a static score is never a reason


def test_model_reasons_follow_contributions(ranked_with_rows):
    """A model-based reason appears only where its feature pushes the log-odds by >= 0.3."""
    frame, _, _ = simulated_caseload(500, rng=404)
    sc = load_default_scorer()
    s = sc.score_frame(design(frame, DEFAULT_AS_OF))
    txt = reasons_text(frame, DEFAULT_AS_OF, s, k=20)
    has_recent = txt.str.contains("^recalled|; recalled", regex=True).to_numpy()
    assert np.all(s["contrib_log_days_since_recall"].to_numpy()[has_recent] >= 0.3)


def test_hand_written_case_gets_the_rule_reasons():
    """A case built by hand: accommodation secured after the review, an unmet programme; then
    the same case with no contact for 41 days (the contact reason is shown whatever the
    ranking: making contact does not depend on it)."""
    df = pd.DataFrame(
        {
            "case_reference": ["A"],
            "recall_type": ["standard"],
            "recall_date": ["2025-11-25"],
            "sed_date": ["2026-03-01"],
            "age": ["40"],
            "sex": ["female"],
            "ethnicity": ["black"],
            "ogrs3_2yr": ["30"],
            "rosh": ["medium"],
            "om_contact_since_recall": ["yes"],
            "last_review_date": ["2025-12-01"],
            "accommodation_secured": ["yes"],
            "accommodation_secured_date": ["2025-12-20"],
            "wants_release": ["yes"],
            "programmes_needed": ["cognitive_skills"],
            "programmes_completed": [""],
        }
    )
    cl = validate_caseload(df, as_of="2026-01-05")
    r = prioritise(cl).at[0, "reasons"]
    assert "unmet cognitive-skills need with 55 days to SED" in r
    # With the programme completed the case is suggested for review, and the reason that
    # argues for a review (accommodation secured since the last one) is shown.
    df["programmes_completed"] = ["cognitive_skills"]
    out = prioritise(validate_caseload(df, as_of="2026-01-05"))
    assert out.at[0, "suggested_action"] == "review now"
    assert "accommodation secured on 2025-12-20 and no review since then" in out.at[0, "reasons"]
    df["om_contact_since_recall"] = ["no"]
    r = prioritise(validate_caseload(df, as_of="2026-01-05")).at[0, "reasons"]
    assert "no offender-manager contact since recall 41 days ago" in r
