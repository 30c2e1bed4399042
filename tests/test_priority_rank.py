"""Ranking invariants on caseloads written by Hypothesis, and the engine adapter."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit.priority.caseload import validate_caseload
from toolkit.priority.rank import RANKED_COLUMNS, prioritise

AS_OF = pd.Timestamp("2026-01-05")


@st.composite
def caseloads(draw):
    n = draw(st.integers(1, 40))
    rows = []
    for i in range(n):
        t = draw(st.integers(0, 900))
        rtype = draw(st.sampled_from(["standard", "standard", "extended", "fixed_term", "life"]))
        to_sed = draw(st.integers(0, 2000))
        recall = AS_OF - pd.Timedelta(days=t)
        row = {
            "case_reference": f"R{i}",
            "recall_type": rtype,
            "recall_date": recall.strftime("%Y-%m-%d"),
            "sed_date": ""
            if rtype == "life"
            else (AS_OF + pd.Timedelta(days=to_sed)).strftime("%Y-%m-%d"),
            "age": str(draw(st.integers(18, 80))),
            "sex": draw(st.sampled_from(["male", "female"])),
            "ethnicity": draw(st.sampled_from(["white", "black", "asian", "mixed", "other"])),
            "ogrs3_2yr": str(draw(st.floats(0, 100, allow_nan=False)).__round__(1)),
            "rosh": draw(st.sampled_from(["low", "medium", "high", "very_high"])),
            "wants_release": draw(st.sampled_from(["yes", "no", ""])),
            "om_contact_since_recall": draw(st.sampled_from(["yes", "no", ""])),
        }
        rows.append(row)
    return pd.DataFrame(rows), draw(st.integers(1, 10))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(caseloads())
def test_ranking_invariants(case):
    df, capacity = case
    r = prioritise(validate_caseload(df, as_of=AS_OF), capacity=capacity)
    assert tuple(r.columns) == RANKED_COLUMNS
    assert sorted(r["case_reference"]) == sorted(df["case_reference"])  # each case once
    assert r["rank"].tolist() == list(range(1, len(df) + 1))
    assert np.all(np.diff(r["days_gained_if_reviewed_now"].to_numpy()) <= 1e-9)
    assert (r["suggested_action"] == "review now").sum() <= capacity
    auto = r["case_reference"].map(df.set_index("case_reference")["recall_type"]) == "fixed_term"
    assert (r.loc[auto, "suggested_action"] == "no change").all()
    assert r.loc[auto, "chance_releasable_28d_pct"].isna().all()
    p = r.loc[~auto]
    assert ((p["chance_releasable_28d_pct"] >= 0) & (p["chance_releasable_28d_pct"] <= 100)).all()
    assert (p["chance_releasable_28d_pct_lo"] <= p["chance_releasable_28d_pct_hi"]).all()
    assert r["reasons"].str.len().min() > 0


def test_simulation_score_on_the_engine_caseload_view():
    """The function the review model's ``scorer`` ordering calls: finite, in [0, 1], and
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
    a, b = simulation_score(base), simulation_score(cleared)
    assert a.shape == (n,) and np.all((a >= 0) & (a <= 1))
    assert np.all(b >= a) and b.mean() > a.mean() + 0.1
