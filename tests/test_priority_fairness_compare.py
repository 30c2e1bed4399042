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
    # Flag-rate difference from the largest group (male): the difference of the two shares,
    # with an interval around it; none for the reference group itself.
    m, f = (g["sex"].to_numpy() == v for v in ("male", "female"))
    assert (sex["reference"] == "male").all()
    assert sex.loc["female", "flag_rate_diff"] == pytest.approx(
        flagged[f].mean() - flagged[m].mean()
    )
    assert sex.loc["female", "flag_rate_diff_lo"] < sex.loc["female", "flag_rate_diff"]
    assert sex.loc["female", "flag_rate_diff"] < sex.loc["female", "flag_rate_diff_hi"]
    assert np.isnan(sex.loc["male", "flag_rate_diff_lo"])
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


def test_records_fairness_gaps_over_replications_paired_between_strategies(
    default_cohort, tmp_path
):
    """`fairness RECORDS` on simulate's records: each group's level is the mean over
    replications of its plain group mean; the gap to the largest group and the change of that
    gap against the baseline strategy are computed within each replication, and their 95%
    intervals are t intervals over the replications (recomputed here with pandas and scipy)."""
    import subprocess
    import sys

    from scipy import stats

    from toolkit.priority.fairness import records_fairness
    from toolkit.review import FormalReviews, ReleaseAtSED, simulate_reviews

    cohort = default_cohort[default_cohort["population"] == "standard"]
    rec = simulate_reviews(
        cohort, {"sed": ReleaseAtSED(), "formal": FormalReviews()}, n=1500, n_replications=4, rng=4
    ).records
    t = records_fairness(rec, baseline="sed")
    before = rec["route"].astype(str).isin(["executive", "parole_board"]).astype(float)
    per = (
        rec.assign(before=before, sex=rec["sex"].astype(str))
        .groupby(["strategy", "replication", "sex"], observed=True)["before"]
        .mean()
        .unstack("sex")
    )
    ref = rec["sex"].astype(str).value_counts().idxmax()
    gap = per.sub(per[ref], axis=0)
    for sex in per.columns:
        row = t[
            (t["strategy"] == "formal")
            & (t["attribute"] == "sex")
            & (t["group"] == sex)
            & (t["metric"] == "released_before_sed")
        ].iloc[0]
        assert row["reference"] == ref and row["n_replications"] == 4
        assert row["level"] == pytest.approx(per.loc["formal", sex].mean())
        g = gap.loc["formal", sex].to_numpy()
        assert row["gap"] == pytest.approx(g.mean())
        change = g - gap.loc["sed", sex].to_numpy()  # paired by replication
        assert row["gap_change"] == pytest.approx(change.mean())
        if sex != ref and not row["too_small"]:
            lo, hi = stats.t.interval(0.95, 3, loc=g.mean(), scale=stats.sem(g))
            assert (row["gap_lo"], row["gap_hi"]) == pytest.approx((lo, hi))
            lo, hi = stats.t.interval(0.95, 3, loc=change.mean(), scale=stats.sem(change))
            assert (row["gap_change_lo"], row["gap_change_hi"]) == pytest.approx((lo, hi))
    # Every strategy's groups partition its records.
    n = t[t["metric"] == "sfo"].groupby(["strategy", "attribute"])["n"].sum()
    assert (n == 1500 * 4).all()
    # The baseline's change against itself is zero.
    assert (t.loc[t["strategy"] == "sed", "gap_change"].fillna(0) == 0).all()
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
    assert "cannot detect bias in real decisions" in r.stderr


def test_flag_rate_difference_interval_is_newcombes():
    """The hand-written Newcombe interval equals statsmodels' on shares from 0 to 1."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    from toolkit.priority.fairness import _diff_interval

    rng = np.random.default_rng(3)
    n1, n0 = rng.integers(1, 400, 200), rng.integers(1, 400, 200)
    k1 = np.minimum(rng.integers(0, 400, 200), n1)
    k0 = np.minimum(rng.integers(0, 400, 200), n0)
    k1[:5], k0[5:10] = 0, n0[5:10]  # shares of exactly 0 and 1
    lo, hi = _diff_interval(k1, n1, k0, n0)
    want = confint_proportions_2indep(k1, n1, k0, n0, method="newcomb", compare="diff")
    np.testing.assert_allclose(lo, want[0], atol=1e-10)
    np.testing.assert_allclose(hi, want[1], atol=1e-10)
