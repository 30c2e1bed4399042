"""Every figure review_model.md (and the README's review paragraph) gives for the fit is
recomputed here from the stored parameters, at the calibration's own N and seed (the figures
are what `recall-toolkit calibrate` prints)."""

from pathlib import Path

import pytest

from toolkit.cohort.generate import generate_cohort
from toolkit.defaults import DEFAULT_SEED
from toolkit.report.tables import documented_calibration
from toolkit.review import load_release_rules
from toolkit.review.calibration import TOLERANCE, calibration_targets, model_moments

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "papers" / "recall_process_experience" / "review_model.md"


@pytest.fixture(scope="module")
def rules():
    return load_release_rules()


@pytest.fixture(scope="module")
def m(rules):
    standard = generate_cohort(populations=["standard"], rng=DEFAULT_SEED)
    return model_moments(standard, rules, dict(rules.calibrated))


def _text(path):
    return " ".join(path.read_text(encoding="utf-8").split())


def test_calibration_table_is_the_model(m, rules):
    """Each row of section 6's table: the model column is the fit's value to one decimal (0.051
    for the rounding), and "met" exactly when the target is within its tolerance."""
    doc = documented_calibration(DOC).set_index("target")
    t = calibration_targets(rules)
    assert set(doc.index) == set(t)
    for k, row in doc.iterrows():
        assert row["documented_model"] == pytest.approx(m[k], abs=0.051), k
        assert (row["note"] == "met") == (abs(m[k] - t[k]) <= TOLERANCE[k]), k


def test_figures_in_the_text_are_the_model(m, rules):
    text = _text(DOC)
    g = {k.replace("_growing", ""): v for k, v in m.items() if k.endswith("_growing")}
    shift = max(abs(g[k] - m[k]) for k in g)
    phrases = [
        *(f"`{k}` {v:.4f}" for k, v in rules.calibrated.items()),
        f"median {m['median_days_to_sed']:.0f} days to SED at recall",
        f"{g['census_under_6m_pct']:.1f} / {g['census_6_to_12m_pct']:.1f} / "
        f"{g['census_over_12m_pct']:.1f}% and {g['census_1yr_plus_to_sed_pct']:.1f}%",
        f"{m['census_under_6m_pct']:.1f} / {m['census_6_to_12m_pct']:.1f} / "
        f"{m['census_over_12m_pct']:.1f}% and {m['census_1yr_plus_to_sed_pct']:.1f}% stationary",
        f"up to {shift:.1f} points",
        f"{m['releasable_earlier_of_sed_admissions_pct']:.1f}% of those at SED",
        f"the model gives {m['releasable_earlier_judged_of_sed_admissions_pct']:.1f}%",
        f"fitted) {m['released_at_sed_admissions_pct']:.1f}% at SED",
        f"{m['released_at_sed_in_custody_pct']:.1f}% at SED and "
        f"{m['releasable_earlier_of_sed_in_custody_pct']:.1f}% of them releasable earlier",
        f"single-flow ratio at this fit: {m['littles_law_single_flow_stock_pct']:.1f}%",
        f"| back under six months | 45 | {m['snapshot_2016_under_6m_pct']:.1f} |",
        f"| over a year | 20 | {m['snapshot_2016_over_12m_pct']:.1f} |",
        f"| <= 5% | {m['max_day_share_pct']:.1f}% |",
        f"| 40-90% | {m['board_share_pct']:.1f}% |",
    ]
    missing = [p for p in phrases if p not in text]
    assert not missing, missing


def test_readme_review_paragraph_is_the_model(m):
    """The README's review paragraph states the fit in whole percent."""
    text = _text(ROOT / "README.md")
    para = text.split("The review simulation is a model", 1)[1].split("Review-priority output", 1)[
        0
    ]
    for phrase in (
        f"{m['released_at_sed_pct']:.0f}% of standard recalls at SED",
        f"{m['releasable_earlier_of_sed_pct']:.0f}% of them releasable earlier",
        f"{m['littles_law_stock_pct'] / 100:.2f} times the published 6,564",
        f"{m['snapshot_2016_under_6m_pct']:.0f}% back under six months",
    ):
        assert phrase in para, phrase
