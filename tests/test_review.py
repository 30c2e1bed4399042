"""Review-strategy simulation: rules validation, strategies, the engine against a discrete-event
reference, the law it follows, common random numbers, outcomes and the CLI."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from reference_des import simulate as des_simulate  # noqa: E402

from toolkit import CohortError, SpecError, UsageError  # noqa: E402
from toolkit.cohort.generate import generate_cohort  # noqa: E402
from toolkit.defaults import DEFAULT_SEED
from toolkit.review import (  # noqa: E402
    RECORD_COLUMNS,
    CapacityLimited,
    EventTriggered,
    FormalReviews,
    ProactiveReview,
    ReleaseAtSED,
    build_episodes,
    load_release_rules,
    parse_strategy,
    simulate_reviews,
)
from toolkit.review.engine import release_outcomes  # noqa: E402
from toolkit.review.policy import default_rules_path  # noqa: E402
from toolkit.schema import RECALL_TYPES  # noqa: E402

RULES_TEXT = default_rules_path().read_text()
ALL_TYPES = ("standard", "fixed_term", "life", "ipp_dpp", "hdc", "extended")


@pytest.fixture(scope="module")
def rules():
    return load_release_rules()


@pytest.fixture(scope="module")
def all_cohort():
    return generate_cohort(populations=list(ALL_TYPES), rng=DEFAULT_SEED)


@pytest.fixture(scope="module")
def episodes(all_cohort, rules):
    return build_episodes(all_cohort, rules, 600, populations=ALL_TYPES, rng=3)


# --- strategy validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, pattern",
    [
        ("bogus", "unknown strategy 'bogus'"),
        ("proactive", "proactive needs every=K"),
        ("proactive:every=0", "must be a positive whole number of days; got 0"),
        ("proactive:every=-7", "got -7"),
        ("proactive:often=3", "strategy 'proactive' has no parameter 'often'"),
        ("proactive:every=28,every=7", "parameter 'every' given twice \\('28' and '7'\\)"),
        ("event:after=-5", "'after' must be a positive whole number of days; got -5"),
        ("event:after=0", "got 0"),
        ("capacity:per_week=-1", "per_week must be a whole number >= 0; got -1"),
        ("capacity:priority=loudest", "unknown capacity priority 'loudest'"),
        ("formal:x=1", "strategy 'formal' has no parameter 'x'"),
        ("proactive:every=abc", "every must be a whole number; got 'abc'"),
        ("proactive:every=", "parameters must look like key=value"),
    ],
)
def test_bad_strategy(text, pattern):
    with pytest.raises(UsageError, match=pattern):
        parse_strategy(text)


@pytest.mark.slow
def test_identical_strategies_refused(all_cohort, rules):
    with pytest.raises(UsageError, match="'a' and 'b' are the same strategy"):
        simulate_reviews(
            all_cohort,
            {"a": ProactiveReview(every=28), "b": parse_strategy("proactive:every=028")},
            rules,
            n=10,
            n_replications=1,
            rng=1,
        )


def test_strategy_repr_and_orderings():
    assert repr(parse_strategy("proactive:every=14")) == "ProactiveReview(every=14)"
    cap = parse_strategy("capacity:per_week=5,priority=oracle")
    assert cap.per_week == 5 and cap.priority.name == "oracle"
    for name in ("fifo", "random", "nearest_sed", "scorer", "oracle"):
        assert parse_strategy(f"capacity:priority={name}").priority.name == name


# --- release rules are strict ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "old, new, pattern",
    [
        (
            "notice_probability = 0.8",
            "notice_probability = 1.8",
            r"executive\.notice_probability` must be a number between 0 and 1",
        ),
        (
            "notice_probability = 0.8",
            "notice_probabilty = 0.8",
            r"`executive\.notice_probabilty` is not a known key; did you mean "
            r"`notice_probability`\?",
        ),
        ("sigma = 0.8\n", "sigma = -0.8\n", r"`person\.sigma` must be a number between 0.01"),
        (
            "custody_per_day = 100.0",
            "custody_per_day = -1.0",
            r"costs\.custody_per_day` must be a number",
        ),
        (
            "direction_probability = 0.8",
            "direction_probability = -0.1",
            r"parole_board\.direction_probability` must be a number between 0 and 1",
        ),
        (
            "[calibrated]",
            "[calibratd]",
            r"`calibratd` is not a known key; did you mean `calibrated`",
        ),
        (
            "excluded_rosh = []",
            'excluded_rosh = ["extreme"]',
            r"executive\.excluded_rosh\[0\]` must be one of low, medium, high, very_high; "
            r"got 'extreme'",
        ),
        (
            "board_referral_day = 28\nboard_review_every = 365\nrelease_at_sed = true\n"
            'kind = "statute"\nstatute = "CJA 2003 s.255C(2)-(4)',
            "board_referral_day = 28\nboard_review_every = 0\nrelease_at_sed = true\n"
            'kind = "statute"\nstatute = "CJA 2003 s.255C(2)-(4)',
            r"recall_types\.standard\.board_review_every` must be a number between 1",
        ),
    ],
)
def test_bad_release_rules(tmp_path, old, new, pattern):
    assert old in RULES_TEXT
    p = tmp_path / "rules.toml"
    p.write_text(RULES_TEXT.replace(old, new, 1))
    with pytest.raises(SpecError, match=pattern):
        load_release_rules(p)


def test_missing_calibrated_block(tmp_path):
    text = RULES_TEXT[: RULES_TEXT.index("[calibrated]")]
    p = tmp_path / "rules.toml"
    p.write_text(text)
    with pytest.raises(SpecError, match="`calibrated` is required but missing"):
        load_release_rules(p)


def test_cohort_missing_columns(all_cohort, rules):
    with pytest.raises(CohortError, match="lacks column"):
        build_episodes(all_cohort.drop(columns=["ogrs3_2yr"]), rules, 10, rng=1)


# --- engine vs discrete-event reference --------------------------------------------------------


@pytest.mark.parametrize(
    "strategy",
    [ReleaseAtSED(), FormalReviews(), ProactiveReview(every=14), EventTriggered(after=10)],
    ids=repr,
)
def test_engine_matches_discrete_event_reference(episodes, rules, strategy):
    days = strategy.review_days(episodes, rules)
    rel, route, rev = des_simulate(episodes, days, rules)
    dense = release_outcomes(episodes, days, rules, chunk=97)  # odd chunk: batching irrelevant
    fast = strategy.outcomes(episodes, rules)  # the engine's own path (periodic not dense)
    for out in (dense, fast):
        np.testing.assert_array_equal(out["release_day"], rel)
        np.testing.assert_array_equal(out["route"], route)
        np.testing.assert_array_equal(out["reviews"], rev)


# --- the law ----------------------------------------------------------------------------------------


def test_release_follows_the_law(episodes, rules):
    out = ProactiveReview(every=7).outcomes(episodes, rules)
    rtype = np.array(RECALL_TYPES)[episodes.recall_type]
    route = out["route"]
    rel = out["release_day"]
    # indeterminate sentences: the Board only (Crime (Sentences) Act 1997 s.32)
    indet = np.isin(rtype, ["life", "ipp_dpp"])
    assert not np.any(route[indet] == 1)
    # extended sentences have the executive power too (s.255C(2))
    assert np.any(route[rtype == "extended"] == 1) or not np.any(rtype == "extended")
    # fixed-term: 28 days at the 2014 modelled date (14 days only from 1 February 2015, ORA
    # 2014; tests/test_review_law.py checks the later law), capped at SED
    ft = rtype == "fixed_term"
    assert set(np.unique(np.minimum(rel[ft], 28))) <= {28.0} | set(np.unique(rel[ft][rel[ft] < 28]))
    assert np.any(rel[ft] == 28) and not np.any(rel[ft] == 14)
    # HDC: released at the conditional release date, never at SED (s.255)
    assert np.all(route[rtype == "hdc"] == 0)
    # Board releases fall on a determination: the first, or a year after the last (s.256A)
    b = route == 2
    k = (rel[b] - episodes.first_board_day[b]) / 365.0
    np.testing.assert_allclose(k, np.round(k), atol=1e-9)
    assert np.all(episodes.first_board_day[b] > 28)
    # nobody leaves by a decision before they were releasable
    early = (route == 1) | (route == 2)
    assert np.all(rel[early] >= episodes.releasable_day[early])
    # people who decline release stay to SED (or the horizon)
    assert np.all(route[episodes.declines & episodes.reviewable] >= 3)


def test_excluded_rosh_is_data(all_cohort, rules):
    from dataclasses import replace

    strict = replace(rules, excluded_rosh=("high", "very_high"))
    ep = build_episodes(all_cohort, strict, 2000, rng=4)
    rosh = all_cohort["rosh"].astype(str).to_numpy()[ep.cohort_row]
    assert not np.any(ep.exec_ok & np.isin(rosh, ["high", "very_high"]))
    ep0 = build_episodes(all_cohort, rules, 2000, rng=4)
    assert np.all(ep0.exec_ok[ep0.recall_type == 0])  # default: no RoSH bar for standard


# --- common random numbers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fewer, more",
    [
        (ReleaseAtSED(), FormalReviews()),
        (FormalReviews(), ProactiveReview(every=28)),
        (ProactiveReview(every=28), ProactiveReview(every=14)),
        (FormalReviews(), EventTriggered()),
    ],
)
def test_adding_review_days_never_delays_release(episodes, rules, fewer, more):
    a = fewer.outcomes(episodes, rules)["release_day"]
    b = more.outcomes(episodes, rules)["release_day"]
    assert np.all(b <= a)
    assert np.any(b < a)


def test_random_extra_review_days_never_delay(episodes, rules):
    rng = np.random.default_rng(0)
    base = FormalReviews().review_days(episodes, rules)
    a = release_outcomes(episodes, base, rules)["release_day"]
    for _ in range(5):
        extra = np.sort(rng.uniform(0, 900, size=(episodes.n, 6)).round(), axis=1)
        more = np.sort(np.concatenate([base, extra], axis=1), axis=1)
        b = release_outcomes(episodes, more, rules)["release_day"]
        assert np.all(b <= a)


# --- outcomes over one follow-up window --------------------------------------------------------------


@pytest.fixture(scope="module")
def result(rules):
    coh = generate_cohort(populations=["standard"], rng=DEFAULT_SEED)
    strategies = {
        "sed": ReleaseAtSED(),
        "formal": FormalReviews(),
        "proactive:every=28": ProactiveReview(every=28),
        "capacity:per_week=20,priority=fifo": CapacityLimited(20, "fifo"),
    }
    return simulate_reviews(coh, strategies, rules, n=3000, n_replications=3, rng=5)


def test_simulation_outcomes_and_summary(result):
    rec = result.records
    assert len(rec) == 3000 * 4 * 3
    assert set(RECORD_COLUMNS) <= set(rec.columns)
    s = result.summary().set_index("strategy")
    formal, pro = s.loc["formal"], s.loc["proactive:every=28"]
    assert pro["released_at_sed_pct"] < formal["released_at_sed_pct"]
    assert pro["bed_days_saved_per_person"] > formal["bed_days_saved_per_person"] > 0
    assert s.loc["sed", "reviews_per_person"] == 0
    for col in ("released_at_sed_pct", "mean_custody_days", "reoffending_pct"):
        assert formal[f"{col}_lo"] <= formal[col] <= formal[f"{col}_hi"]
    js = result.summary_json()
    assert list(js) == list(result.strategies)
    assert "released_at_sed_pct_lo" in js["formal"]
    assert set(result.summary(by="sex")["sex"]) == {"male", "female"}


def test_outcomes_use_one_window_from_recall(result, rules):
    rec = result.records
    w = rules.follow_up_days
    # community days: the window less every custody day in it (a re-recall's stay included)
    np.testing.assert_allclose(
        rec["community_days"], np.maximum(w - rec["follow_up_custody_days"], 0), atol=1e-3
    )
    ret = rec["return_custody_days"]
    np.testing.assert_allclose(
        rec["follow_up_custody_days"], np.minimum(rec["release_day"], w) + ret, rtol=1e-5
    )
    assert (ret[~rec["re_recalled"]] == 0).all() and (ret[rec["re_recalled"]] > 0).all()
    # release at SED shows its own reoffending and serious further offences after SED
    sed = rec[rec["strategy"] == "sed"]
    after = sed[(sed["route"] == "sed") & (sed["release_day"] < w)]
    assert after["reoffended"].mean() > 0.2  # OGRS3 2-year about 60% over most of a window
    assert after["sfo"].any() or len(after) < 200
    assert not after["sfo_on_licence"].any()  # no licence after SED
    # re-recall only on licence: after release, before SED and within the window
    rr = rec[rec["re_recalled"]]
    assert (rr["re_recall_day"] > rr["release_day"]).all()
    assert (rr["re_recall_day"] < np.minimum(rr["sed_day"], w)).all()


def test_releasable_features_in_records(result):
    rec = result.records
    early = rec["route"].isin(["executive", "parole_board"])
    assert (rec.loc[early, "release_day"] >= rec.loc[early, "releasable_day"] - 1e-3).all()
    declines = ~rec["wants_release"]
    assert np.isinf(rec.loc[declines, "releasable_day"]).all()
    need = rec["accommodation_need"]
    assert np.isinf(rec.loc[~need, "accommodation_day"]).all()
    assert np.isfinite(rec.loc[need, "accommodation_day"]).all()
    # releasable no earlier than the barriers the caseload shows; OM contact and a pending
    # charge hold the executive route only
    r = rec["releasable_day"]
    assert (r[need] >= rec.loc[need, "accommodation_day"] - 1e-3).all()
    ex = rec["route"] == "executive"
    assert (rec.loc[ex, "release_day"] >= rec.loc[ex, "om_contact_day"] - 1e-3).all()
    assert (rec.loc[ex, "release_day"] >= rec.loc[ex, "charge_day"] - 1e-3).all()
    assert (rec["executive_open_day"] >= np.maximum(r, rec["om_contact_day"]) - 1e-3).all()


def test_replications_use_spawned_streams(all_cohort, rules):
    kw = dict(n=500, rng=9)
    one = simulate_reviews(all_cohort, {"formal": FormalReviews()}, rules, n_replications=1, **kw)
    two = simulate_reviews(all_cohort, {"formal": FormalReviews()}, rules, n_replications=2, **kw)
    rec1, rec2 = one.records, two.records
    first = rec2[rec2["replication"] == 0].reset_index(drop=True)
    np.testing.assert_array_equal(rec1["release_day"], first["release_day"])
    assert not np.array_equal(
        first["release_day"], rec2[rec2["replication"] == 1]["release_day"].to_numpy()
    )


# --- CLI -----------------------------------------------------------------------------------------


def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "toolkit.cli", *args], capture_output=True, text=True
    )


def test_simulate_cli(tmp_path):
    out, summ = tmp_path / "rec.parquet", tmp_path / "sum.json"
    r = _cli(
        "simulate",
        "--strategy",
        "formal",
        "--strategy",
        "proactive:every=28",
        "--replications",
        "2",
        "--n",
        "2000",
        "--seed",
        "4",
        "--out",
        str(out),
        "--summary",
        str(summ),
    )
    assert r.returncode == 0, r.stderr
    d = json.loads(summ.read_text())
    assert list(d) == ["formal", "proactive:every=28"]
    for key in (
        "released_at_sed_pct",
        "mean_custody_days",
        "mean_supervised_days",
        "reviews_per_person",
        "bed_days_saved_per_person",
        "re_recall_pct",
        "sfo_per_1000",
        "cost_per_person",
        "reoffending_pct",
        "parole_board_pct",
    ):
        for suffix in ("", "_lo", "_hi"):
            assert key + suffix in d["formal"]
    assert d["formal"]["bed_days_saved_national_per_year"] > 0
    assert out.stat().st_size > 0


@pytest.mark.slow
@pytest.mark.parametrize(
    "args, message",
    [
        (["--strategy", "bogus"], "unknown strategy 'bogus'"),
        (["--strategy", "proactive:every=0"], "must be a positive whole number"),
        (["--strategy", "capacity:per_week=-2"], "per_week must be a whole number >= 0"),
        (["--strategy", "event:after=-5"], "got -5"),
        (["--strategy", "proactive:every=28,every=7"], "parameter 'every' given twice"),
        (["--strategy", "formal", "--strategy", "formal"], "strategy 'formal' given twice"),
        (
            ["--strategy", "proactive:every=28", "--strategy", "proactive:every=028"],
            "are the same strategy (ProactiveReview(every=28))",
        ),
    ],
)
def test_simulate_cli_bad_input(tmp_path, args, message):
    out = tmp_path / "rec.parquet"
    r = _cli("simulate", *args, "--seed", "1", "--out", str(out))
    assert r.returncode == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr
    assert not out.exists()


def test_simulation_plots_take_and_return_axes(all_cohort, rules):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from toolkit.report.plots import plot_frontier, plot_release_curves, plot_route_mix

    res = simulate_reviews(
        all_cohort,
        {"formal": FormalReviews(), "sed": ReleaseAtSED()},
        rules,
        n=500,
        n_replications=2,
        rng=1,
    )
    for fn in (plot_release_curves, plot_route_mix, plot_frontier):
        fig, ax = plt.subplots()
        assert fn(res, ax=ax) is ax
        plt.close(fig)


@pytest.mark.slow
def test_simulate_cli_profile_and_growth(tmp_path):
    profile = Path(__file__).parents[1] / "papers" / "recall_process_experience" / "profile.toml"
    out, summ = tmp_path / "rec.csv", tmp_path / "s.json"
    args = ["simulate", "--strategy", "formal", "--n", "500", "--replications", "1"]
    base = _cli(*args, "--seed", "2", "--out", str(out), "--summary", str(summ))
    assert base.returncode == 0, base.stderr
    b = json.loads(summ.read_text())["formal"]
    grown = _cli(
        *args,
        "--seed",
        "2",
        "--out",
        str(out),
        "--summary",
        str(summ),
        "--profile",
        str(profile),
        "--growth",
        "0.15",
    )
    assert grown.returncode == 0, grown.stderr
    g = json.loads(summ.read_text())["formal"]
    # growth: the current national flow is above the stationary 2015 average
    assert g["national_admissions_per_year"] > b["national_admissions_per_year"] > 0
    both = _cli(
        *args, "--seed", "2", "--out", str(out), "--profile", str(profile), "--cohort", str(out)
    )
    assert both.returncode == 2 and "not both" in both.stderr


@pytest.mark.slow
def test_calibrate_cli_writes_nothing(tmp_path):
    before = default_rules_path().read_bytes()
    r = _cli("calibrate", "--n", "500", "--maxiter", "3")
    assert r.returncode == 0, r.stderr
    assert "Nothing on disk was changed" in r.stdout
    assert "Little's law" in r.stdout and "stored" in r.stdout
    assert default_rules_path().read_bytes() == before


def test_board_only_is_the_same_strategy_as_sed():
    """`board_only` names what `sed` does (no executive reviews; the Board still runs); both
    parse to one strategy, so giving both is refused as a duplicate."""
    from toolkit.exceptions import UsageError
    from toolkit.review.strategies import check_distinct, parse_strategy

    assert parse_strategy("board_only") == parse_strategy("sed") == ReleaseAtSED()
    with pytest.raises(UsageError, match="same strategy"):
        check_distinct({"sed": parse_strategy("sed"), "board_only": parse_strategy("board_only")})
