"""Calibration: `calibrate` reproduces the stored parameters; the fit beats a poor start."""

import numpy as np
import pytest

from toolkit.cohort.generate import generate_cohort
from toolkit.review import load_release_rules
from toolkit.review.calibration import (
    TARGET_SE,
    calibrate,
    calibration_targets,
    model_moments,
)


@pytest.fixture(scope="module")
def rules():
    return load_release_rules()


@pytest.fixture(scope="module")
def cohort():
    return generate_cohort(populations=["standard"], rng=20140331)


@pytest.mark.slow
def test_calibrate_reproduces_stored_parameters(cohort, rules):
    """`calibrate()` with its defaults (the settings recorded in release_rules.toml) returns the
    stored parameters. The objective uses fixed draws, so the fit is deterministic; 5e-4 is the
    rounding of the stored values (4 decimals) plus Nelder-Mead's xatol."""
    res = calibrate(cohort, rules, intervals=False)
    for k, v in rules.calibrated.items():
        assert res.params[k] == pytest.approx(v, abs=2e-3), k


def test_stored_fit_meets_the_precise_targets(cohort, rules):
    """The census bands and the 1-year-to-SED share (5,125 people profiled) are met within
    2 target SEs plus 1 point of simulation error at n = 5,000 (SD of a census share about 0.7
    points); the case-review targets are reported, not asserted (they conflict, see
    review_model.md)."""
    m = model_moments(cohort, rules, dict(rules.calibrated))
    t = calibration_targets(rules)
    for k in (
        "census_under_6m_pct",
        "census_6_to_12m_pct",
        "census_over_12m_pct",
        "census_1yr_plus_to_sed_pct",
    ):
        assert abs(m[k] - t[k]) <= 2 * TARGET_SE[k] + 1.0, (k, m[k], t[k])
    assert m["max_day_share_pct"] <= rules.calibration["max_day_share_pct"]


def test_calibration_improves_on_its_start(cohort, rules):
    # poor in the three free parameters; the latent risk day starts near its 14-day floor, where
    # the fit holds it (a start far above the floor, mu_m = 6, lands in a local optimum with
    # almost everyone released at SED: the objective is not convex, hence two starts in calibrate)
    start = {"mu_d": 5.6, "sigma_d": 0.9, "q_never": 0.3, "mu_m": 3.0}
    t = calibration_targets(rules)

    def loss(m):
        return sum(((m[k] - v) / TARGET_SE[k]) ** 2 for k, v in t.items())

    m0 = model_moments(cohort, rules, start, n=2000)
    res = calibrate(cohort, rules, n=2000, starts=(start,), maxiter=150, intervals=False)
    m1 = model_moments(cohort, rules, res.params, n=2000)
    # from a poor start the weighted squared error must at least halve
    assert loss(m1) < loss(m0) / 2
    assert np.isfinite(res.mean_stay_days)
