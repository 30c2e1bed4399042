"""Ranking invariants on caseloads written by Hypothesis, and the engine adapter."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit.priority.caseload import validate_caseload
from toolkit.priority.rank import RANKED_COLUMNS, prioritise
from toolkit.priority.routes import route_of_type
from toolkit.schema import RECALL_TYPES

AS_OF = pd.Timestamp("2026-01-05")


OPTIONAL = {
    "age": lambda d: str(d(st.integers(18, 80))),
    "sex": lambda d: d(st.sampled_from(["male", "female", ""])),
    "ethnicity": lambda d: d(st.sampled_from(["white", "black", "asian", "mixed", "other", ""])),
    "wants_release": lambda d: d(st.sampled_from(["yes", "no", "Y", "N", ""])),
    "om_contact_since_recall": lambda d: d(st.sampled_from(["yes", "no", ""])),
    "need_accommodation": lambda d: d(st.sampled_from(["0", "1", "2", ""])),
    "accommodation_secured": lambda d: d(st.sampled_from(["yes", "no", ""])),
    "need_domains": lambda d: d(st.sampled_from(["0", "3", "7", "10", ""])),
    "programmes_needed": lambda d: d(st.sampled_from(["", "cognitive_skills", "Cognitive Skills"])),
    "further_charge_or_remand": lambda d: d(st.sampled_from(["yes", "no", ""])),
    "mappa_level": lambda d: d(st.sampled_from(["1", "2", "3", ""])),
    "parole_board_stage": lambda d: d(st.sampled_from(["none", "referred", "hearing_listed", ""])),
    "legal_representative": lambda d: d(st.sampled_from(["yes", "no", ""])),
}


@st.composite
def caseloads(draw):
    """Valid caseloads of every recall type, each optional column present or absent (some with
    only the required columns); age is given unless date of birth is."""
    n = draw(st.integers(1, 40))
    present = draw(st.sets(st.sampled_from(sorted(OPTIONAL))))
    present.add("age")  # age or date of birth is required
    rows = []
    for i in range(n):
        t = draw(st.integers(0, 900))
        rtype = draw(st.sampled_from(list(RECALL_TYPES)))
        to_sed = draw(st.integers(0, 3000))
        recall = AS_OF - pd.Timedelta(days=t)
        row = {
            "case_reference": f"R{i}",
            "recall_type": rtype,
            "recall_date": recall.strftime("%Y-%m-%d"),
            "sed_date": ""
            if rtype in ("life", "ipp_dpp") and draw(st.booleans())
            else (AS_OF + pd.Timedelta(days=to_sed)).strftime("%Y-%m-%d"),
            "ogrs3_2yr": str(draw(st.floats(0, 100, allow_nan=False)).__round__(1)),
            "rosh": draw(st.sampled_from(["low", "medium", "high", "very_high"])),
        }
        row.update({c: OPTIONAL[c](draw) for c in sorted(present)})
        rows.append(row)
    return pd.DataFrame(rows), draw(st.integers(1, 10))


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(caseloads())
def test_ranking_invariants(case):
    """On every valid caseload: each case once; the ranked ones (executive route, a type the
    model was fitted on, no pending charge) numbered 1..k by days gained; days gained in
    [0, days from the as-of date to SED] wherever given, and missing only on the executive-route
    cases the model does not rank, which say why; no Board or automatic case is ever suggested
    for review or given a chance."""
    df, capacity = case
    cl = validate_caseload(df, as_of=AS_OF)
    r = prioritise(cl, capacity=capacity)
    assert tuple(r.columns) == RANKED_COLUMNS
    assert sorted(r["case_reference"]) == sorted(df["case_reference"])  # each case once
    row = df.set_index("case_reference").loc[r["case_reference"]].reset_index()
    assert (r["as_of"] == "2026-01-05").all()
    want_route = row["recall_type"].map(route_of_type())
    assert (r["route"].to_numpy() == want_route.to_numpy()).all()
    ranked = r["rank"].notna().to_numpy()
    charge = row.get("further_charge_or_remand", pd.Series("", index=row.index)).eq("yes")
    expect_ranked = (row["recall_type"].eq("standard") & ~charge).to_numpy()
    assert (ranked == expect_ranked).all()
    assert r.loc[ranked, "rank"].tolist() == list(range(1, ranked.sum() + 1))
    g = r["days_gained_if_reviewed_now"].to_numpy(float)
    assert np.all(np.diff(g[ranked]) <= 1e-9)
    sed = pd.to_datetime(row["sed_date"].replace("", None))
    to_sed = (sed - AS_OF).dt.days.to_numpy(float)
    given_ = ~np.isnan(g)
    assert np.all(g[given_] >= 0)
    bounded = given_ & ~np.isnan(to_sed)
    assert np.all(g[bounded] <= to_sed[bounded])
    # Missing only where the model does not rank an executive-route case, which says why.
    miss = ~given_
    assert np.all(r["route"].to_numpy()[miss] == "executive") and not ranked[miss].any()
    assert r.loc[miss, "suggested_action"].str.contains("not ranked").all()
    assert (r["suggested_action"] == "review now").sum() <= capacity
    off = r["route"].isin(["parole_board", "automatic"]).to_numpy()
    assert not r.loc[off, "suggested_action"].str.startswith("review").any()
    assert r.loc[off, "chance_releasable_28d_pct"].isna().all()
    assert (g[off] == 0).all()
    board = r["route"].eq("parole_board").to_numpy() & ~charge.to_numpy()
    assert r.loc[board, "suggested_action"].str.startswith("Parole Board route").all()
    assert (
        r.loc[r["route"].eq("automatic"), "suggested_action"]
        .str.startswith(("automatic release by", "automatic release date"))
        .all()
    )
    p = r.loc[ranked]
    assert ((p["chance_releasable_28d_pct"] >= 0) & (p["chance_releasable_28d_pct"] <= 100)).all()
    assert (p["chance_releasable_28d_pct_lo"] <= p["chance_releasable_28d_pct_hi"]).all()
    small = p["chance_releasable_28d_pct"] < 1
    assert p.loc[small, "readiness"].str.startswith("under 1%").all()
    assert not p.loc[~small, "readiness"].str.startswith("under").any()
    assert p.loc[~small, "readiness"].str.contains("interval from the model's fit only").all()
    assert r["reasons"].str.len().min() > 0


def test_simulation_score_on_the_engine_caseload_view():
    """The function the review model's ``scorer`` ordering calls: the expected releases before
    SED from a review this week per day left to SED (at least 28): times the days left, a
    chance no larger than the rules' chance that a review notices a releasable person; and
    higher when the caseload shows the barriers the model makes matter as cleared."""
    from toolkit.priority import simulation_score

    n = 200
    rng = np.random.default_rng(3)
    base = pd.DataFrame(
        {
            "recall_type": pd.Categorical(["standard"] * n),
            "days_since_recall": rng.integers(1, 400, n).astype(float),
            "days_to_sed": rng.integers(30, 900, n).astype(float),
            "ogrs3_2yr": rng.uniform(10, 90, n),
            "rsr_2yr": rng.uniform(0, 10, n),
            "rosh": pd.Categorical(["medium"] * n),
            "accommodation_need": np.ones(n, bool),
            "accommodation_secured": np.zeros(n, bool),
            "unmet_programme_need": np.ones(n, bool),
            "programme_completed": np.zeros(n, bool),
            "om_contact": np.zeros(n, bool),
            "wants_release": np.ones(n, bool),
        }
    )
    cleared = base.assign(accommodation_secured=True, programme_completed=True, om_contact=True)
    from toolkit.priority import URGENCY_FLOOR_DAYS
    from toolkit.review.policy import load_release_rules

    left = np.maximum(base["days_to_sed"].to_numpy(), URGENCY_FLOOR_DAYS)
    a, b = simulation_score(base) * left, simulation_score(cleared) * left
    p = load_release_rules().notice_probability
    assert a.shape == (n,) and np.all((a >= 0) & (a <= p))
    assert np.all(b >= a) and b.mean() > a.mean() + 0.1
