"""Fairness audit numbers and the comparison of orderings (issue 13 items 6 and 7)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from toolkit.priority.compare import capacity_comparison, snapshot_comparison
from toolkit.priority.fairness import AGE_LABELS, age_band, fairness_audit
from toolkit.priority.scorer import load_default_scorer


def test_fairness_audit_matches_plain_group_means():
    rng = np.random.default_rng(7)
    n = 3000
    g = pd.DataFrame(
        {
            "sex": rng.choice(["male", "female"], n, p=[0.9, 0.1]),
            "ethnicity": rng.choice(["white", "black", "asian"], n),
            "age": rng.integers(18, 70, n),
        }
    )
    flagged = rng.random(n) < 0.2
    prob = rng.random(n)
    obs = rng.random(n) < prob
    gain = rng.exponential(10, n)
    t = fairness_audit(g, flagged=flagged, probability=prob, days_gained=gain, observed=obs)
    sex = t[t["attribute"] == "sex"].set_index("group")
    for s in ("male", "female"):
        m = g["sex"].to_numpy() == s
        assert sex.loc[s, "flag_rate"] == pytest.approx(flagged[m].mean())
        assert sex.loc[s, "calibration_gap"] == pytest.approx(prob[m].mean() - obs[m].mean())
        assert sex.loc[s, "n"] == m.sum()
        # 95% interval half-width is 1.96 SE of a mean.
        half = 1.96 * flagged[m].std(ddof=1) / np.sqrt(m.sum())
        assert sex.loc[s, "flag_rate_hi"] - sex.loc[s, "flag_rate"] == pytest.approx(half)
    # Calibrated by construction: every group's gap interval covers 0 (95%; 7 groups, seed fixed).
    assert ((t["calibration_gap_lo"] <= 0) & (t["calibration_gap_hi"] >= 0)).all()


def test_age_bands():
    b = age_band(pd.Series([18, 24, 25, 39, 40, 50, 80]))
    assert list(b.astype(str)) == ["18-24", "18-24", "25-29", "30-39", "40-49", "50+", "50+"]
    assert list(b.cat.categories) == list(AGE_LABELS)


def test_snapshot_comparison_scorer_beats_fifo_and_random():
    """One week's choice on 30 held-out caseloads of 200 (fixed seed). The scorer must release
    more people than FIFO and random with non-overlapping 95% intervals, and the oracle
    bounds everything (it knows who is releasable)."""
    r = snapshot_comparison(
        load_default_scorer(), capacity=20, caseload_size=200, n_caseloads=30, rng=9
    )
    r = r.set_index("ordering")
    for other in ("fifo", "random", "nearest_sed"):
        assert r.loc["scorer", "released_per_week_lo"] > r.loc[other, "released_per_week_hi"]
    assert r.loc["scorer", "ratio_to_fifo"] >= 1.2  # issue target: >= 20% more than FIFO
    assert r.loc["oracle", "released_per_week"] >= r.loc["scorer", "released_per_week"]
    assert (
        r.loc["fifo", "share_of_oracle_gain"] == 0 and r.loc["oracle", "share_of_oracle_gain"] == 1
    )


def test_capacity_comparison_targets(default_cohort):
    """Issue 13 item 6 in the review model's weekly capacity simulation, the scorer injected.

    3,000 admissions a year x 3 replications with 18 extra reviews a week (the 60-in-10,000
    ratio measured at full size in benchmarks/README.md: +30% over FIFO, 80% of the oracle's
    gain). Tolerances for this small N: at least 20% more released before SED than FIFO
    (measured +30%; the replication SE of each share is about 0.5 points), at least 60% of the
    oracle's gain (80% at full size), and serious further offences not significantly higher
    than under FIFO (95% intervals overlap).
    """
    from toolkit.priority import simulation_score

    cohort = default_cohort[default_cohort["population"] == "standard"]
    s = capacity_comparison(simulation_score, cohort, per_week=18, n=3000, n_replications=3, rng=2)
    s = s.set_index("strategy")
    name = {k.rsplit("=", 1)[1]: k for k in s.index if "priority=" in k}
    before = 100 - s["released_at_sed_pct"]
    fifo, sc, oracle = before[name["fifo"]], before[name["scorer"]], before[name["oracle"]]
    assert sc >= 1.2 * fifo
    assert sc - fifo >= 0.6 * (oracle - fifo)
    assert s.loc[name["scorer"], "sfo_per_1000_lo"] <= s.loc[name["fifo"], "sfo_per_1000_hi"]


def test_records_fairness_matches_group_means(default_cohort, tmp_path):
    """`fairness RECORDS` on simulate's records: benefit by group equals plain group means."""
    import subprocess
    import sys

    from toolkit.priority.fairness import records_fairness
    from toolkit.review import FormalReviews, ReleaseAtSED, simulate_reviews

    cohort = default_cohort[default_cohort["population"] == "standard"]
    rec = simulate_reviews(
        cohort, {"sed": ReleaseAtSED(), "formal": FormalReviews()}, n=1500, n_replications=1, rng=4
    ).records
    t = records_fairness(rec)
    f = t[(t["strategy"] == "formal") & (t["attribute"] == "sex")].set_index("group")
    r = rec[rec["strategy"] == "formal"]
    for sex, d in r.groupby("sex", observed=True):
        assert f.loc[sex, "n"] == len(d)
        assert f.loc[sex, "released_before_sed"] == pytest.approx((d["route"] != "sed").mean())
        assert f.loc[sex, "supervised_days"] == pytest.approx(d["supervised_days"].mean())
    # Every strategy's groups partition its records.
    assert (t.groupby(["strategy", "attribute"])["n"].sum() == 1500).all()
    # The command reads the records file and writes the same table.
    path = tmp_path / "rec.parquet"
    rec.to_parquet(path)
    out = tmp_path / "fair.csv"
    r = subprocess.run(
        [sys.executable, "-m", "toolkit.cli", "fairness", str(path), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    assert len(pd.read_csv(out)) == len(t)
