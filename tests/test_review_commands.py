"""The simulate and calibrate commands as toolkit functions: the API refuses what the command
line refuses (same message, no flag names), and their result objects follow the protocol."""

from __future__ import annotations

import json

import numpy as np
import pytest

from toolkit.exceptions import UsageError
from toolkit.review import census as cen
from toolkit.review.commands import calibrate_report, parse_strategies, simulate_to_files


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"growth": 50.0}, "growth must be a yearly rate between -0.99 and 10"),
        ({"growth": -1.0}, "growth must be a yearly rate"),
        ({"n": 2.5}, "n must be a positive whole number"),
        ({"replications": True}, "replications must be a positive whole number"),
        ({"replications": 0}, "replications must be a positive whole number"),
        ({"summary": "s.csv"}, "the summary is a .json file"),
        ({"cohort": "c.parquet", "profile": "p.toml"}, "give a cohort or a profile, not both"),
    ],
)
def test_simulate_api_refuses_what_the_command_refuses(tmp_path, kw, message):
    with pytest.raises(UsageError, match=message) as err:
        simulate_to_files(["formal"], tmp_path / "r.parquet", rng=1, progress=False, **kw)
    assert "--" not in str(err.value)  # the API names arguments, not command-line flags
    assert not any(tmp_path.iterdir())  # nothing written


def test_simulate_api_refuses_a_strategy_twice_and_an_alias_of_one_given(tmp_path):
    with pytest.raises(UsageError, match="strategy 'board_only' given twice"):
        parse_strategies(["sed", "board_only"])
    with pytest.raises(UsageError, match="records are written as .parquet or .csv"):
        simulate_to_files(["formal"], tmp_path / "r.csv.gz", rng=1, progress=False)


def test_simulate_api_writes_what_the_command_writes(tmp_path):
    """The summary JSON is the SimulationResult's to_dict for the same request (one code path
    for the command and the API)."""
    from toolkit.review import FormalReviews, ProactiveReview, simulate_reviews

    out, summary = tmp_path / "r.parquet", tmp_path / "s.json"
    text = simulate_to_files(
        ["formal", "proactive:every=28"],
        out,
        summary=summary,
        n=2000,
        replications=2,
        rng=5,
        progress=False,
    )
    assert "formal" in text and "National:" in text
    written = json.loads(summary.read_text())
    strategies = {"formal": FormalReviews(), "proactive:every=28": ProactiveReview(every=28)}
    res = simulate_reviews(cen.default_census(), strategies, n=2000, n_replications=2, rng=5)
    expected = res.to_dict()
    assert list(written) == list(expected) == ["formal", "proactive:every=28"]
    for name in written:
        for k, v in expected[name].items():
            # per-replication means summed in another order: equal to 12 significant digits
            assert written[name][k] == pytest.approx(v, rel=1e-12, abs=1e-12), (name, k)


def test_simulation_result_follows_the_protocol():
    import matplotlib

    matplotlib.use("Agg")
    from toolkit.review import FormalReviews, ProactiveReview, simulate_reviews

    strategies = {"formal": FormalReviews(), "p28": ProactiveReview(every=28)}
    res = simulate_reviews(cen.default_census(), strategies, n=1000, n_replications=2, rng=3)
    frame = res.to_frame()
    assert list(frame["strategy"]) == ["formal", "p28"]
    assert set(res.to_dict()) == {"formal", "p28"}
    json.dumps(res.to_dict())  # JSON-ready
    assert "formal" in res.render() and "released_at_sed_pct" in res.render()
    ax = res.plot()
    assert len(ax.get_lines()) >= 2  # one release curve per strategy


def test_calibrate_api_refuses_what_the_command_refuses():
    with pytest.raises(UsageError, match="give a cohort or a profile, not both"):
        calibrate_report(cohort="c.parquet", profile="p.toml")
    with pytest.raises(UsageError, match="maxiter must be a positive whole number"):
        calibrate_report(maxiter=0)


@pytest.fixture(scope="module")
def standard():
    from toolkit.cohort.generate import generate_cohort

    return cen.prepare_census(generate_cohort(populations=["standard"], n=1500, rng=4))


def test_calibration_takes_rng_with_seed_as_an_alias(standard):
    from toolkit.review.calibration import calibrate

    kw = {"n": 600, "maxiter": 3, "intervals": False}
    a = calibrate(standard, rng=11, **kw)
    b = calibrate(standard, seed=11, **kw)
    c = calibrate(standard, rng=np.random.SeedSequence(11), **kw)
    assert a.params == b.params
    assert a.evaluations == b.evaluations > 0
    assert c.params == calibrate(standard, rng=np.random.SeedSequence(11), **kw).params
    with pytest.raises(UsageError, match="not both"):
        calibrate(standard, rng=1, seed=1, **kw)


def test_calibration_result_follows_the_protocol(standard):
    from toolkit.review.calibration import calibrate

    res = calibrate(standard, n=600, maxiter=3)
    d = res.to_dict()
    json.dumps(d)
    assert set(d["params"]) == {"mu_d", "sigma_d", "q_never", "mu_m"}
    assert len(d["targets"]) == len(res.to_frame()) and len(d["intervals"]) == 4
    text = res.render()
    assert text.startswith(f"Calibrated (formal strategy, standard recalls; {res.evaluations} ")
    assert "95% intervals" in text and "Case review" in text
    with pytest.raises(TypeError, match="no figure"):
        res.plot()


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"n": 2.5}, "n must be a positive whole number; got 2.5"),
        ({"n_replications": True}, "n_replications must be a positive whole number; got True"),
        ({"n": 0}, "n must be a positive whole number; got 0"),
    ],
)
def test_simulate_reviews_refuses_counts_that_are_not_positive_whole_numbers(kw, message):
    from toolkit.review import FormalReviews, simulate_reviews

    args = {"n": 100, "n_replications": 1} | kw
    with pytest.raises(UsageError, match=message):
        simulate_reviews(cen.default_census(), [FormalReviews()], rng=1, **args)
