"""National figures that add up, with uncertainty components reported apart (issue 11, 1 and 3).

The hand-worked example uses its own one-programme rules file so that every expected number is
derived here from the cohort's counts, not from the code under test.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit import SpecError, UsageError
from toolkit.needs.gap import estimate_needs_gap
from toolkit.needs.national import load_national
from toolkit.profile.rules import load_programme_rules

RULES = """
[meta]
base_population = "standard"
base_requires = "has_oasys"
base_n = 200

[programmes.cognitive_skills]
label = "Cognitive skills"
criteria = ["ogrs3_2yr >= 25"]
suitable = 0
attended_pct = 0
attended_other_pct = 0
unmet_pct = 0
assumed = "test rule"
reason = "test rule"
[programmes.cognitive_skills.alternatives]
strict = ["ogrs3_2yr >= 50"]
"""

STOCK_2016_03, STOCK_2016_09, SHARE, SHARE_LO, SHARE_HI = 6564, 6710, 0.75, 0.725, 0.775
Z = 1.959963984540054  # two-sided 95% normal quantile


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    p = tmp_path_factory.mktemp("rules") / "programmes.toml"
    p.write_text(RULES, encoding="utf-8")
    return load_programme_rules(p)


def person(sex, ogrs, cog=False, other=False, population="standard", oasys=True):
    return {
        "population": population,
        "recall_type": None if population == "other_sentenced" else population,
        "has_oasys": oasys,
        "sex": sex,
        "ogrs3_2yr": float(ogrs),
        "attended_cognitive_skills": cog,
        "attended_other_programme": other,
        "days_on_recall": 30.0,
        "days_to_sed": 300.0,
    }


def hand_cohort() -> pd.DataFrame:
    """200 standard recalls with OASys (20 women, 180 men) plus people outside the base.

    Women: 8 suitable (OGRS3 >= 25): five at 30 (2 attended cognitive skills, 1 another
    programme, 2 unmet) and three at 60 (unmet): 5 unmet. 12 more women at OGRS3 10.
    Men: 90 suitable at 40 (30 attended, 10 another programme, 50 unmet); 90 at 10.
    Outside the base (must not count): 10 standard recalls without OASys, 5 fixed-term recalls
    and 5 people not recalled, all suitable and unmet.
    """
    rows = [person("female", 30, cog=True)] * 2 + [person("female", 30, other=True)]
    rows += [person("female", 30)] * 2 + [person("female", 60)] * 3
    rows += [person("female", 10)] * 12
    rows += [person("male", 40, cog=True)] * 30 + [person("male", 40, other=True)] * 10
    rows += [person("male", 40)] * 50 + [person("male", 10)] * 90
    rows += [person("male", 90, oasys=False)] * 10
    rows += [person("male", 90, population="fixed_term")] * 5
    rows += [person("male", 90, population="other_sentenced")] * 5
    return pd.DataFrame(rows)


def wilson(k, n):
    """Textbook Wilson score interval (independent of statsmodels)."""
    p = k / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z / (1 + Z**2 / n) * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2))
    return centre - half, centre + half


def test_women_cognitive_skills_by_hand(rules):
    res = estimate_needs_gap(hand_cohort(), rules, by=["sex"], n_boot=0)
    t = res.table.set_index("sex")
    w = t.loc["female"]
    # Each of the 200 base people stands for 6,564 x 0.75 / 200 = 24.615 people nationally.
    unit = STOCK_2016_03 * SHARE / 200
    assert unit == pytest.approx(24.615)
    assert (w["n_base"], w["suitable"], w["unmet"]) == (20, 8, 5)
    assert w["national_n_base"] == pytest.approx(20 * 24.615)  # 492.3 women nationally
    assert w["national_unmet"] == pytest.approx(5 * 24.615)  # 123.075
    assert w["national_suitable"] == pytest.approx(8 * 24.615)  # 196.92
    # sampling: Wilson interval of 5 out of the whole base of 200, times 4,923
    lo, hi = wilson(5, 200)
    assert w["national_unmet_lo"] == pytest.approx(4923 * lo)
    assert w["national_unmet_hi"] == pytest.approx(4923 * hi)
    # reading: 'strict' (OGRS3 >= 50) leaves the three women at 60, none attended: 3 unmet
    assert w["national_unmet_reading_lo"] == pytest.approx(3 * 24.615)
    assert w["national_unmet_reading_hi"] == pytest.approx(5 * 24.615)
    # time: stocks 6,564 (31 March 2016) and 6,710 (30 September 2016)
    assert w["national_unmet_time_lo"] == pytest.approx(5 / 200 * 0.75 * 6564)
    assert w["national_unmet_time_hi"] == pytest.approx(5 / 200 * 0.75 * 6710)  # 125.8125
    # share: 72.5% to 77.5%
    assert w["national_unmet_share_lo"] == pytest.approx(5 / 200 * 0.725 * 6564)
    assert w["national_unmet_share_hi"] == pytest.approx(5 / 200 * 0.775 * 6564)
    # combined: lowest Wilson bound over readings (3/200) at the lowest stock and share, ...
    assert w["national_unmet_combined_lo"] == pytest.approx(wilson(3, 200)[0] * 6564 * 0.725)
    assert w["national_unmet_combined_hi"] == pytest.approx(wilson(5, 200)[1] * 6710 * 0.775)
    # men: 50 unmet; the whole: 55 unmet -> 1,353.825
    assert t.loc["male", "national_unmet"] == pytest.approx(50 * 24.615)
    whole = estimate_needs_gap(hand_cohort(), rules, n_boot=0).table.iloc[0]
    assert whole["national_unmet"] == pytest.approx(55 * 24.615)


def test_base_recalled_scales_to_whole_stock(rules):
    """base='recalled': the 200 standard + 5 fixed-term with OASys stand for all 6,564."""
    t = estimate_needs_gap(hand_cohort(), rules, base="recalled", n_boot=0).table.iloc[0]
    assert t["n_base"] == 205
    assert t["national_unmet"] == pytest.approx((55 + 5) * 6564 / 205)
    assert t["national_unmet_share_lo"] == t["national_unmet_share_hi"] == t["national_unmet"]


def test_base_all_refused_with_stock_but_allowed_without(rules):
    with pytest.raises(UsageError, match="cannot be scaled to the recalled stock"):
        estimate_needs_gap(hand_cohort(), rules, base="all", n_boot=0)
    t = estimate_needs_gap(hand_cohort(), rules, base="all", stock=None, n_boot=0).table
    assert int(t["n_base"].iloc[0]) == 210 and "national_unmet" not in t


def test_user_stock_and_share_collapse_their_components(rules):
    t = estimate_needs_gap(
        hand_cohort(), rules, stock=1000, standard_share=0.5, n_boot=0
    ).table.iloc[0]
    assert t["national_unmet"] == pytest.approx(55 / 200 * 500)
    for comp in ("time", "share"):
        assert t[f"national_unmet_{comp}_lo"] == t[f"national_unmet_{comp}_hi"]


def test_user_stock_still_needs_a_real_date(rules):
    with pytest.raises(UsageError, match="date must look like YYYY-MM-DD"):
        estimate_needs_gap(hand_cohort(), rules, stock=1000, target_date="2016-13-01", n_boot=0)


def test_target_date_picks_the_dated_stock(rules):
    res = estimate_needs_gap(hand_cohort(), rules, target_date="2016-09-30", n_boot=0)
    assert res.stock == 6710
    assert res.table.iloc[0]["national_unmet"] == pytest.approx(55 / 200 * 0.75 * 6710)


# --- invariants over random cohorts and groupings -------------------------------------------

GROUP_VALUES = st.sampled_from(["a", "b", "c", None])


@st.composite
def cohorts(draw):
    n = draw(st.integers(1, 120))
    rows = []
    for _ in range(n):
        rows.append(
            {
                "population": draw(st.sampled_from(["standard", "standard", "fixed_term"])),
                "has_oasys": draw(st.booleans()) or draw(st.booleans()),
                "sex": draw(st.sampled_from(["female", "male"])),
                "g1": draw(GROUP_VALUES),
                "g2": draw(st.sampled_from(["x", "y"])),
                "ogrs3_2yr": draw(st.floats(0, 100)),
                "attended_cognitive_skills": draw(st.booleans()),
                "attended_other_programme": draw(st.booleans()),
            }
        )
    df = pd.DataFrame(rows)
    df["recall_type"] = df["population"]
    return df


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cohort=cohorts(),
    by=st.sampled_from([["sex"], ["g1"], ["g1", "g2"], ["sex", "g1", "g2"]]),
    date=st.sampled_from(["2016-03-31", "2016-09-30", "2014-03-31"]),
)
def test_national_figures_add_up_and_stay_within_population(rules, cohort, by, date):
    if not (cohort["population"].eq("standard") & cohort["has_oasys"]).any():
        return  # no base: nothing to scale
    # min_base=1: the arithmetic must hold at any size (the refusal of small bases is tested apart)
    whole = estimate_needs_gap(cohort, rules, target_date=date, n_boot=0, min_base=1)
    grouped = estimate_needs_gap(cohort, rules, by=by, target_date=date, n_boot=0, min_base=1)
    w, g = whole.table.iloc[0], grouped.table
    pop = whole.stock * 0.75
    for col in ("n_base", "suitable", "unmet"):
        assert g[f"national_{col}"].sum() == pytest.approx(w[f"national_{col}"], rel=1e-9)
        assert g[col].sum() == w[col]
    assert g["national_n_base"].sum() == pytest.approx(pop)
    tol = 1e-9 * pop
    for t in (g, whole.table):
        assert (t["national_suitable"] <= t["national_n_base"] + tol).all()
        assert (t["national_unmet"] <= t["national_suitable"] + tol).all()
        for col in ("suitable", "unmet"):
            x = t[f"national_{col}"]
            for comp in ("", "_reading", "_time", "_share", "_combined"):
                assert (t[f"national_{col}{comp}_lo"] <= x + tol).all(), comp
                assert (x <= t[f"national_{col}{comp}_hi"] + tol).all(), comp
            # nothing exceeds the largest population it can scale to
            assert (t[f"national_{col}_combined_hi"] <= 6710 * 0.775 + tol).all()


def test_default_cohort_sums_match_for_every_by(default_cohort):
    whole = estimate_needs_gap(default_cohort, n_boot=0).table.set_index("programme")
    for by in (["ethnicity"], ["rosh"], ["sex", "age_band"], ["sed_band"], ["recall_type"]):
        g = estimate_needs_gap(default_cohort, by=by, n_boot=0).table
        s = g.groupby("programme")[["national_suitable", "national_unmet"]].sum()
        ref = whole.loc[s.index, ["national_suitable", "national_unmet"]]
        assert np.allclose(s.to_numpy(), ref.to_numpy(), rtol=1e-9, atol=0), by
        # suitable nationally never above the standard-recall stock (0.75 x 6,564 = 4,923)
        assert s["national_suitable"].max() <= 4923 + 1e-6


# --- the data file ------------------------------------------------------------------------------


def test_national_file_figures_and_provenance():
    nat = load_national()
    assert [(str(s.date), s.count) for s in nat.stocks] == [
        ("2014-03-31", 5125),
        ("2016-03-31", 6564),
        ("2016-09-30", 6710),
    ]
    assert nat.flow == 21500 and nat.flow_year == 2015
    assert "6,710 recalled prisoners in custody" in nat.stock_at("2016-09-30").quote
    assert [s.count for s in nat.window("2016-03-31")] == [6564, 6710]
    assert [s.count for s in nat.window("2014-03-31")] == []


def test_national_file_refuses_unknown_keys(tmp_path):
    from toolkit.datafiles import paper_file

    text = paper_file("recall_process_experience", "national.toml").read_text(encoding="utf-8")
    p = tmp_path / "national.toml"
    p.write_text(text.replace("count = 21500", "cuont = 21500"), encoding="utf-8")
    with pytest.raises(
        SpecError, match=r"`flow\[0\]\.cuont` is not a known key; did you mean `count`"
    ):
        load_national(p)
    p.write_text(text.replace("count = 6710", "count = -6710"), encoding="utf-8")
    with pytest.raises(SpecError, match=r"`stock\[2\]\.count` must be a positive whole number"):
        load_national(p)


def test_seed_quotes_are_in_the_seed():
    """Every quoted figure in national.toml is on the cited line of the seed (when present)."""
    from seeds import seeds_dir

    seed = seeds_dir() / "001_3e9fc21fe0026f00.txt"
    lines = seed.read_text(encoding="utf-8").splitlines()
    nat = load_national()
    for s in nat.stocks:
        # the quote may wrap over the next lines of the plain-text seed
        window = " ".join(x.strip() for x in lines[s.line - 1 : s.line + 2])
        assert f"{s.count:,}" in window, s


def test_capacity_national_figures_do_not_depend_on_by(default_cohort):
    from toolkit.needs.gap import load_capacity
    from toolkit.profile.rules import default_rules_path

    cap = load_capacity(default_rules_path().with_name("capacity_example.toml"))
    a = estimate_needs_gap(default_cohort, capacity=cap, n_boot=0, rng=3).capacity
    b = estimate_needs_gap(default_cohort, by=["rosh"], capacity=cap, n_boot=0, rng=3).capacity
    pd.testing.assert_frame_equal(a, b)
    # the scenario starts from the ungrouped national unmet need
    whole = estimate_needs_gap(default_cohort, n_boot=0).table.set_index("programme")
    got = a.set_index("programme")["national_unmet"]
    assert np.allclose(got, whole.loc[got.index, "national_unmet"].round(), atol=0.5)
